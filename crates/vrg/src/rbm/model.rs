//! The restricted Boltzmann machine: parameters, energy, marginal free
//! energies (the "RBM Hamiltonians" H(v) and H(h)) and conditional means.
//!
//! Batches are row-major `rows × n` slices: row r of a visible batch is
//! `v[r * n_visible..(r + 1) * n_visible]`.
//!
//! # References
//! - G. E. Hinton, *A Practical Guide to Training Restricted Boltzmann
//!   Machines*, UTML TR 2010-003 (2010), §16.1 (free energy), §13.2 (Gaussian units).
//! - P. Mehta and D. J. Schwab, *An exact mapping between the Variational
//!   Renormalization Group and Deep Learning*, arXiv:1410.3831 (2014),
//!   eq. (9) (energy), (10)–(12) (marginal Hamiltonians).

use super::units::{HiddenUnits, VisibleUnits};
use crate::linalg::{self, gemm, Operand};
use crate::{Error, Result};

/// A restricted Boltzmann machine with energy (Mehta & Schwab 2014, eq. 9)
///
/// E(v, h) = −bᵀv − cᵀh − vᵀWh            (Bernoulli or spin visible units),
/// E(v, h) = ½‖v − b‖² − cᵀh − vᵀWh       (Gaussian visible units, unit variance),
///
/// and Gaussian hidden units (unit variance) add ½‖h‖²:
/// E(v, h) = −bᵀv − cᵀh − vᵀWh + ½‖h‖², so that p(h_j | v) = N(c_j + (vᵀW)_j, 1)
/// (Barra, Bernacchia, Santucci & Contucci 2012, the Hopfield ↔ RBM
/// equivalence; see [`HiddenUnits::Gaussian`]). Gaussian units on both
/// layers are refused ([`Rbm::new`]).
///
/// `weights` is W, row-major `n_visible × n_hidden` (W_ij at `i * n_hidden + j`);
/// `visible_bias` is b (`n_visible`), `hidden_bias` is c (`n_hidden`).
#[derive(Clone, Debug, PartialEq)]
pub struct Rbm {
    n_visible: usize,
    n_hidden: usize,
    visible_units: VisibleUnits,
    hidden_units: HiddenUnits,
    weights: Vec<f32>,
    visible_bias: Vec<f32>,
    hidden_bias: Vec<f32>,
}

/// Checks that `found` elements make a `rows × n` batch.
pub(crate) fn check_batch(what: &str, found: usize, rows: usize, n: usize) -> Result<()> {
    if rows.checked_mul(n) == Some(found) {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what: what.to_string(),
            expected: format!("{rows} × {n} = {} elements", rows.saturating_mul(n)),
            found: format!("{found} elements"),
        })
    }
}

fn check_len(what: &str, found: usize, expected: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what: what.to_string(),
            expected: format!("{expected} elements"),
            found: format!("{found} elements"),
        })
    }
}

/// Thread use of the f64 products of the free energies: the same threshold as
/// [`linalg::gemm`]'s f32 products.
impl Rbm {
    /// An RBM with all weights and biases zero.
    ///
    /// Errors with [`Error::InvalidParameter`] if a layer is empty, or for
    /// Gaussian visible together with Gaussian hidden units (a Gaussian
    /// model that is normalisable only while every singular value of W
    /// stays below 1, which training does not guarantee).
    pub fn new(
        n_visible: usize,
        n_hidden: usize,
        visible_units: VisibleUnits,
        hidden_units: HiddenUnits,
    ) -> Result<Self> {
        if n_visible == 0 {
            return Err(Error::invalid("n_visible", n_visible, "at least 1"));
        }
        if n_hidden == 0 {
            return Err(Error::invalid("n_hidden", n_hidden, "at least 1"));
        }
        if !visible_units.is_discrete() && !hidden_units.is_discrete() {
            return Err(Error::invalid(
                "unit types",
                format!("{visible_units} visible with {hidden_units} hidden units"),
                "at most one Gaussian layer (Gaussian visible and Gaussian hidden units \
                 together have a finite partition function only while every singular \
                 value of W is below 1)",
            ));
        }
        let n_weights = crate::memory::check_product(
            || format!("an RBM of {n_visible} visible × {n_hidden} hidden units"),
            &[n_visible, n_hidden],
            std::mem::size_of::<f32>(),
        )?;
        Ok(Rbm {
            n_visible,
            n_hidden,
            visible_units,
            hidden_units,
            weights: vec![0.0; n_weights],
            visible_bias: vec![0.0; n_visible],
            hidden_bias: vec![0.0; n_hidden],
        })
    }

    /// An RBM from its parameters: n_visible = `visible_bias.len()`,
    /// n_hidden = `hidden_bias.len()`, `weights` row-major `n_visible × n_hidden`.
    ///
    /// Errors with [`Error::ShapeMismatch`] (`what` = "weights") if the weights
    /// do not have that shape, and [`Error::InvalidParameter`] for an empty
    /// layer or a non-finite parameter.
    pub fn from_parameters(
        visible_units: VisibleUnits,
        hidden_units: HiddenUnits,
        weights: Vec<f32>,
        visible_bias: Vec<f32>,
        hidden_bias: Vec<f32>,
    ) -> Result<Self> {
        let mut rbm = Rbm::new(
            visible_bias.len(),
            hidden_bias.len(),
            visible_units,
            hidden_units,
        )?;
        check_batch(
            "weights (n_visible × n_hidden)",
            weights.len(),
            rbm.n_visible,
            rbm.n_hidden,
        )?;
        for (name, values) in [
            ("weights", &weights),
            ("visible_bias", &visible_bias),
            ("hidden_bias", &hidden_bias),
        ] {
            if let Some((index, value)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(Error::invalid(
                    name,
                    value,
                    format!("finite numbers (element {index})"),
                ));
            }
        }
        rbm.weights = weights;
        rbm.visible_bias = visible_bias;
        rbm.hidden_bias = hidden_bias;
        Ok(rbm)
    }

    /// Number of visible units.
    pub fn n_visible(&self) -> usize {
        self.n_visible
    }

    /// Number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.n_hidden
    }

    /// The visible units' type.
    pub fn visible_units(&self) -> VisibleUnits {
        self.visible_units
    }

    /// The hidden units' type.
    pub fn hidden_units(&self) -> HiddenUnits {
        self.hidden_units
    }

    /// W, row-major `n_visible × n_hidden`.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// W, row-major `n_visible × n_hidden`, for in-place updates.
    pub fn weights_mut(&mut self) -> &mut [f32] {
        &mut self.weights
    }

    /// b, `n_visible`.
    pub fn visible_bias(&self) -> &[f32] {
        &self.visible_bias
    }

    /// b, `n_visible`, for in-place updates.
    pub fn visible_bias_mut(&mut self) -> &mut [f32] {
        &mut self.visible_bias
    }

    /// c, `n_hidden`.
    pub fn hidden_bias(&self) -> &[f32] {
        &self.hidden_bias
    }

    /// c, `n_hidden`, for in-place updates.
    pub fn hidden_bias_mut(&mut self) -> &mut [f32] {
        &mut self.hidden_bias
    }

    /// E(v, h) of one configuration (Mehta & Schwab 2014, eq. 9), accumulated
    /// in f64: −bᵀv − cᵀh − vᵀWh, or ½‖v − b‖² − cᵀh − vᵀWh for Gaussian
    /// visible units, plus ½‖h‖² for Gaussian hidden units. `v` has `n_visible` elements, `h` has `n_hidden`. Values
    /// are not checked to lie in the units' state spaces.
    pub fn energy(&self, v: &[f32], h: &[f32]) -> Result<f64> {
        check_len("visible configuration v", v.len(), self.n_visible)?;
        check_len("hidden configuration h", h.len(), self.n_hidden)?;
        let mut energy = 0.0f64;
        for (&vi, &bi) in v.iter().zip(&self.visible_bias) {
            let (vi, bi) = (f64::from(vi), f64::from(bi));
            energy += match self.visible_units {
                VisibleUnits::Gaussian => 0.5 * (vi - bi) * (vi - bi),
                _ => -bi * vi,
            };
        }
        let gaussian_hidden = self.hidden_units == HiddenUnits::Gaussian;
        for (&hj, &cj) in h.iter().zip(&self.hidden_bias) {
            let hj = f64::from(hj);
            energy -= f64::from(cj) * hj;
            if gaussian_hidden {
                energy += 0.5 * hj * hj;
            }
        }
        for (&vi, row) in v.iter().zip(self.weights.chunks_exact(self.n_hidden)) {
            let wh: f64 = row
                .iter()
                .zip(h)
                .map(|(&w, &hj)| f64::from(w) * f64::from(hj))
                .sum();
            energy -= f64::from(vi) * wh;
        }
        Ok(energy)
    }

    /// Checks that `data` holds `rows` visible rows (`rows × n_visible`
    /// values); `what` names it in the error.
    pub(crate) fn check_visible(&self, what: &str, data: &[f32], rows: usize) -> Result<()> {
        check_batch(what, data.len(), rows, self.n_visible)
    }

    /// Checks that `data` holds `rows` hidden rows (`rows × n_hidden`
    /// values); `what` names it in the error.
    pub(crate) fn check_hidden(&self, what: &str, data: &[f32], rows: usize) -> Result<()> {
        check_batch(what, data.len(), rows, self.n_hidden)
    }

    /// The hidden units' inputs x = vW + c for a batch: `v` is `rows × n_visible`,
    /// `out` is `rows × n_hidden` (x_rj = c_j + Σ_i v_ri W_ij). One f32
    /// product through [`linalg::gemm`].
    pub fn visible_to_hidden_input(&self, v: &[f32], rows: usize, out: &mut [f32]) -> Result<()> {
        self.check_visible("visible batch (rows × n_visible)", v, rows)?;
        self.check_hidden("hidden output (rows × n_hidden)", out, rows)?;
        if rows == 0 {
            return Ok(());
        }
        for row in out.chunks_exact_mut(self.n_hidden) {
            row.copy_from_slice(&self.hidden_bias);
        }
        gemm(
            out,
            Operand::new(v, rows, self.n_visible),
            Operand::new(&self.weights, self.n_visible, self.n_hidden),
            1.0,
            true,
        );
        Ok(())
    }

    /// The visible units' inputs a = hWᵀ + b for a batch: `h` is `rows × n_hidden`,
    /// `out` is `rows × n_visible` (a_ri = b_i + Σ_j W_ij h_rj). One f32
    /// product through [`linalg::gemm`].
    pub fn hidden_to_visible_input(&self, h: &[f32], rows: usize, out: &mut [f32]) -> Result<()> {
        self.check_hidden("hidden batch (rows × n_hidden)", h, rows)?;
        self.check_visible("visible output (rows × n_visible)", out, rows)?;
        if rows == 0 {
            return Ok(());
        }
        for row in out.chunks_exact_mut(self.n_visible) {
            row.copy_from_slice(&self.visible_bias);
        }
        gemm(
            out,
            Operand::new(h, rows, self.n_hidden),
            Operand::new(&self.weights, self.n_visible, self.n_hidden).t(),
            1.0,
            true,
        );
        Ok(())
    }

    /// Conditional hidden means for a batch (`v`: `rows × n_visible`, `out`:
    /// `rows × n_hidden`): P(h_j = 1 | v) = σ(c_j + (vᵀW)_j) for Bernoulli
    /// units, E[h_j | v] = tanh(c_j + (vᵀW)_j) for spin units and
    /// E[h_j | v] = c_j + (vᵀW)_j for Gaussian units
    /// (Hinton 2010, eq. 7; Mehta & Schwab 2014, eq. 13).
    pub fn mean_hiddens(&self, v: &[f32], rows: usize, out: &mut [f32]) -> Result<()> {
        self.visible_to_hidden_input(v, rows, out)?;
        let units = self.hidden_units;
        for x in out.iter_mut() {
            *x = units.mean(*x);
        }
        Ok(())
    }

    /// Conditional visible means for a batch (`h`: `rows × n_hidden`, `out`:
    /// `rows × n_visible`): σ(a_i), tanh(a_i) or a_i for Bernoulli, spin or
    /// Gaussian units, with a_i = b_i + (Wh)_i (Hinton 2010, eq. 8 and §13.2).
    pub fn mean_visibles(&self, h: &[f32], rows: usize, out: &mut [f32]) -> Result<()> {
        self.hidden_to_visible_input(h, rows, out)?;
        let units = self.visible_units;
        for a in out.iter_mut() {
            *a = units.mean(*a);
        }
        Ok(())
    }

    /// The visible marginal Hamiltonian ("free energy") of each row of a batch
    /// `v` (`rows × n_visible`), H(v) = −ln Σ_h e^{−E(v,h)}
    /// (Hinton 2010, eq. 25; Mehta & Schwab 2014, eq. 11):
    ///
    /// H(v) = −bᵀv − Σ_j ln Σ_{h_j} e^{h_j x_j},  x = c + vᵀW,
    ///
    /// where ln Σ_{h_j} e^{h_j x} is softplus(x) for Bernoulli and ln 2cosh(x)
    /// for spin hidden units; for Gaussian hidden units the integral
    /// ln ∫ e^{h x − h²/2} dh = ½x² + ½ ln 2π, so H(v) = −bᵀv − Σ_j (½x_j² +
    /// ½ ln 2π), a Hopfield Hamiltonian with pair couplings Σ_j W_ij W_kj
    /// (Barra et al. 2012). For Gaussian visible units −bᵀv becomes
    /// +½‖v − b‖². This is exact for the energy [`Rbm::energy`]: e^{−H(v)} is
    /// the unnormalised probability of v, and for Gaussian units it is a density
    /// whose normalising constant carries the (2π)^{n_visible/2} (which appears
    /// in [`Rbm::free_energy_hidden`] and in Z, not here): −ln p(v) = H(v) + ln Z.
    ///
    /// Computed in f64 (inputs and parameters converted, one f64 GEMM), so the
    /// result agrees with sums of [`Rbm::energy`] to f64 rounding.
    pub fn free_energy_visible(&self, v: &[f32], rows: usize) -> Result<Vec<f64>> {
        self.check_visible("visible batch (rows × n_visible)", v, rows)?;
        let (nv, nh) = (self.n_visible, self.n_hidden);
        let x = self.product_f64(v, rows, false);
        let mut free_energy = Vec::with_capacity(rows);
        for (v_row, x_row) in v.chunks_exact(nv).zip(x.chunks_exact(nh)) {
            let mut f = 0.0f64;
            for (&vi, &bi) in v_row.iter().zip(&self.visible_bias) {
                let (vi, bi) = (f64::from(vi), f64::from(bi));
                f += match self.visible_units {
                    VisibleUnits::Gaussian => 0.5 * (vi - bi) * (vi - bi),
                    _ => -bi * vi,
                };
            }
            for (&xj, &cj) in x_row.iter().zip(&self.hidden_bias) {
                f -= self.hidden_units.log_partition(xj + f64::from(cj));
            }
            free_energy.push(f);
        }
        Ok(free_energy)
    }

    /// The hidden marginal Hamiltonian of each row of a batch `h`
    /// (`rows × n_hidden`), H(h) = −ln Σ_v e^{−E(v,h)} (Mehta & Schwab 2014,
    /// eq. 12; the sum is an integral for Gaussian units):
    ///
    /// H(h) = −cᵀh − Σ_i ln Σ_{v_i} e^{v_i a_i},  a = b + Wh,
    ///
    /// with softplus(a_i) for Bernoulli and ln 2cosh(a_i) for spin visible
    /// units. For Gaussian visible units, ∫ e^{−½(v−b)² + v y} dv =
    /// √(2π) e^{b y + y²/2} with y = (Wh)_i, so
    ///
    /// H(h) = −cᵀh − Σ_i [½ a_i² − ½ b_i²] − (n_visible/2) ln 2π.
    ///
    /// Gaussian hidden units add ½‖h‖² (their own term of [`Rbm::energy`]).
    ///
    /// Computed in f64 (one f64 GEMM). Σ_h e^{−H(h)} = Z = Σ_v e^{−H(v)}.
    pub fn free_energy_hidden(&self, h: &[f32], rows: usize) -> Result<Vec<f64>> {
        self.check_hidden("hidden batch (rows × n_hidden)", h, rows)?;
        let (nv, nh) = (self.n_visible, self.n_hidden);
        let y = self.product_f64(h, rows, true);
        let mut free_energy = Vec::with_capacity(rows);
        for (h_row, y_row) in h.chunks_exact(nh).zip(y.chunks_exact(nv)) {
            let mut f = 0.0f64;
            for (&hj, &cj) in h_row.iter().zip(&self.hidden_bias) {
                let hj = f64::from(hj);
                f -= f64::from(cj) * hj;
                if self.hidden_units == HiddenUnits::Gaussian {
                    f += 0.5 * hj * hj;
                }
            }
            for (&yi, &bi) in y_row.iter().zip(&self.visible_bias) {
                let bi = f64::from(bi);
                f -= self.visible_units.log_partition(bi + yi, bi);
            }
            free_energy.push(f);
        }
        Ok(free_energy)
    }

    /// vW (`rows × n_hidden`) or, with `transposed`, hWᵀ (`rows × n_visible`),
    /// in f64 without biases. The caller has checked the batch's shape.
    fn product_f64(&self, batch: &[f32], rows: usize, transposed: bool) -> Vec<f64> {
        let (nv, nh) = (self.n_visible, self.n_hidden);
        let (n_in, n_out) = if transposed { (nh, nv) } else { (nv, nh) };
        let mut out = vec![0.0f64; rows * n_out];
        if rows == 0 {
            return out;
        }
        let batch64: Vec<f64> = batch.iter().map(|&x| f64::from(x)).collect();
        let weights64: Vec<f64> = self.weights.iter().map(|&x| f64::from(x)).collect();
        let w = Operand::new(&weights64[..], nv, nh);
        let rhs = if transposed { w.t() } else { w };
        linalg::gemm_f64(
            &mut out,
            Operand::new(&batch64[..], rows, n_in),
            rhs,
            1.0,
            false,
        );
        out
    }
}
