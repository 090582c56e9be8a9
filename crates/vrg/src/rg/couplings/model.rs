//! An RBM's visible marginal in spin-convention parameters (eq. S of the
//! module docs), in f64.

use super::{Coupling, SpinConvention};
use crate::linalg::{gemm_f64, Operand};
use crate::rbm::{HiddenUnits, Rbm};
use crate::Result;

/// H(s) = −K₀ − Σ_i h_i s_i − Σ_μ f(b′_μ + Σ_i w_iμ s_i) (eq. S).
#[derive(Clone, Debug)]
pub(crate) struct SpinModel {
    pub n: usize,
    pub m: usize,
    pub convention: SpinConvention,
    pub hidden: HiddenUnits,
    /// K₀.
    pub constant: f64,
    /// h_i (`n`).
    pub field: Vec<f64>,
    /// b′_μ (`m`).
    pub bias: Vec<f64>,
    /// w_iμ unit-major: `weights[μ * n + i]` (`m × n`).
    pub weights: Vec<f64>,
}

impl SpinModel {
    /// The spin-convention parameters of `rbm` (table in the module docs).
    /// Errors for Gaussian visible units or if the f64 copy of the weights
    /// does not fit in memory.
    pub fn from_rbm(rbm: &Rbm) -> Result<Self> {
        let convention = SpinConvention::of(rbm.visible_units())?;
        let (n, m) = (rbm.n_visible(), rbm.n_hidden());
        crate::memory::check_product(
            || format!("an f64 copy of the {n} × {m} weights"),
            &[n, m],
            std::mem::size_of::<f64>(),
        )?;
        let scale = match convention {
            SpinConvention::Bernoulli => 0.5,
            SpinConvention::Spin => 1.0,
        };
        let w = rbm.weights();
        let mut weights = vec![0.0; n * m];
        for i in 0..n {
            for mu in 0..m {
                weights[mu * n + i] = scale * f64::from(w[i * m + mu]);
            }
        }
        let a: Vec<f64> = rbm.visible_bias().iter().map(|&x| f64::from(x)).collect();
        let mut bias: Vec<f64> = rbm.hidden_bias().iter().map(|&x| f64::from(x)).collect();
        let field: Vec<f64> = a.iter().map(|&x| scale * x).collect();
        let mut constant = 0.0;
        if convention == SpinConvention::Bernoulli {
            constant = field.iter().sum();
            for (mu, b) in bias.iter_mut().enumerate() {
                *b += weights[mu * n..(mu + 1) * n].iter().sum::<f64>();
            }
        }
        Ok(SpinModel {
            n,
            m,
            convention,
            hidden: rbm.hidden_units(),
            constant,
            field,
            bias,
            weights,
        })
    }

    /// Unit μ's weights w_·μ (`n`).
    pub fn unit(&self, mu: usize) -> &[f64] {
        &self.weights[mu * self.n..(mu + 1) * self.n]
    }

    /// f(x) = ln Σ_h e^{h x} of the hidden units (softplus or ln 2cosh),
    /// by the vectorisable polynomial forms of [`crate::linalg::maths`];
    /// ln ∫ e^{h x − h²/2} dh = ½x² + ½ ln 2π for Gaussian units.
    #[inline(always)]
    pub fn log_partition(&self, x: f64) -> f64 {
        match self.hidden {
            HiddenUnits::Bernoulli => crate::linalg::softplus_f64(x),
            HiddenUnits::Spin => crate::linalg::ln_2cosh_f64(x),
            HiddenUnits::Gaussian => 0.5 * x * x + crate::rbm::HALF_LN_2PI,
        }
    }

    /// The expansion (eq. K) in closed form for Gaussian hidden units
    /// (module docs, "Gaussian hidden units"): with f(x) = ½x² + ½ ln 2π
    /// and s_i² = 1,
    ///
    /// K_∅ = K₀ + Σ_μ (½b′_μ² + ½Σ_i w_iμ² + ½ ln 2π),
    /// K_i = h_i + Σ_μ b′_μ w_iμ,   K_ij = Σ_μ w_iμ w_jμ (i < j),
    ///
    /// and every coupling of order 3 or more is 0. Returns K_∅ and the
    /// couplings with |S| ≤ `max_order` (at most 2 matter) and |K_S| ≥
    /// `tolerance` (unsorted), and how many were dropped below `tolerance`.
    /// Errors with [`crate::Error::TooMuchMemory`] when the n × n pair
    /// table does not fit.
    pub fn gaussian_hidden_expansion(
        &self,
        max_order: usize,
        tolerance: f64,
    ) -> Result<(f64, Vec<Coupling>, usize)> {
        let (n, m) = (self.n, self.m);
        let mut constant = self.constant;
        for mu in 0..m {
            let b = self.bias[mu];
            let norm: f64 = self.unit(mu).iter().map(|w| w * w).sum();
            constant += 0.5 * b * b + 0.5 * norm + crate::rbm::HALF_LN_2PI;
        }
        let mut couplings = Vec::new();
        let mut dropped = 0;
        let mut keep = |spins: Vec<usize>, value: f64| {
            if value.abs() < tolerance {
                dropped += 1;
            } else {
                couplings.push(Coupling {
                    spins,
                    value,
                    stderr: None,
                });
            }
        };
        for i in 0..n {
            let field: f64 = self.field[i]
                + (0..m)
                    .map(|mu| self.bias[mu] * self.weights[mu * n + i])
                    .sum::<f64>();
            keep(vec![i], field);
        }
        if max_order >= 2 && n >= 2 {
            // J = wᵀw (n × n) from the unit-major weights (m × n).
            let len = crate::memory::check_product(
                || format!("the {n} × {n} pair couplings"),
                &[n, n],
                std::mem::size_of::<f64>(),
            )?;
            let mut pairs = vec![0.0f64; len];
            let w = Operand::new(&self.weights[..], m, n);
            gemm_f64(&mut pairs, w.t(), w, 1.0, false);
            for i in 0..n {
                for j in i + 1..n {
                    keep(vec![i, j], pairs[i * n + j]);
                }
            }
        }
        Ok((constant, couplings, dropped))
    }

    /// −H(s) by eq. (S), for tests.
    #[cfg(test)]
    pub fn neg_energy(&self, s: &[i8]) -> f64 {
        let mut sum = self.constant;
        for (i, &si) in s.iter().enumerate() {
            sum += self.field[i] * f64::from(si);
        }
        for mu in 0..self.m {
            let x: f64 = self.bias[mu]
                + self
                    .unit(mu)
                    .iter()
                    .zip(s)
                    .map(|(&w, &si)| w * f64::from(si))
                    .sum::<f64>();
            sum += self.log_partition(x);
        }
        sum
    }
}

/// The signed sums Σ_k w_k s_k over all 2^len(w) spin configurations, with
/// bit k of the index set ⇔ s_k = −1, built by doubling:
/// t[x | 2^k] = t[x] − 2 w_k for x < 2^k, t[0] = Σ_k w_k.
pub(crate) fn signed_sums(w: &[f64], offset: f64) -> Vec<f64> {
    let mut t = Vec::with_capacity(1 << w.len());
    t.push(offset + w.iter().sum::<f64>());
    for &wk in w {
        let len = t.len();
        for x in 0..len {
            let v = t[x] - 2.0 * wk;
            t.push(v);
        }
    }
    t
}
