//! The Gaussian approximation of effective couplings.
//!
//! # Derivation
//! Take one hidden unit in spin-convention parameters (eq. S of the parent
//! module), g(s) = f(b + Σ_i w_i s_i) with f(x) = ln Σ_h e^{h x}, and a set
//! S of k sites. Its coupling is ĝ(S) = E_s[g(s) Π_{i∈S} s_i] with s
//! uniform on {±1}^n. Split the input into the part on S and the rest,
//! X_R = Σ_{i∉S} w_i s_i, which is independent of s_S; averaging over s_S
//! exactly gives
//!
//! ĝ(S) = E_{X_R}[ 2^{−k} Σ_{t∈{±1}^S} (Π_{i∈S} t_i) f(b + X_R + Σ_{i∈S} w_i t_i) ].   (1)
//!
//! This is exact. X_R has mean 0 and variance σ_R² = Σ_{i∉S} w_i², and is a
//! sum of independent bounded terms, so for many comparable weights it is
//! close to Gaussian (Lindeberg's central limit theorem). Replacing it by
//! N(0, σ_R²) gives the **finite-difference form**
//!
//! ĝ(S) ≈ E_{x∼N(b, σ_R²)}[ 2^{−k} Σ_t (Π t_i) f(x + Σ_{i∈S} w_i t_i) ].    (G-FD)
//!
//! Expanding the finite difference for small weights on S — the operator
//! 2^{−k} Σ_t (Π t_i) e^{u Σ w_i t_i} = Π_{i∈S} sinh(w_i u) = u^k Π w_i (1 +
//! O(w²)) in Fourier space — gives the **derivative form**
//!
//! ĝ(S) ≈ (Π_{i∈S} w_i) E_{x∼N(b, σ_R²)}[ f^{(k)}(x) ],                      (G-D)
//!
//! the k-th derivative of the unit's log-partition function averaged over
//! its Gaussian input, times the weights of the sites of S (with f′ = σ,
//! f″ = σ(1 − σ), … for Bernoulli units and f′ = tanh, f″ = 1 − tanh², …
//! for spin units). The same formula with σ² = Σ_i w_i² over *all* sites
//! is what Stein's lemma gives if the s_i themselves were Gaussian; the
//! two differ at relative order w_S², the same order as the error of (G-D)
//! itself, and excluding S is what the small-w limit of (G-FD) gives, so
//! that is what is used here.
//!
//! Each unit contributes its own term; the linear part of H is added
//! exactly, and K_∅ ≈ K₀ + Σ_μ E_{x∼N(b′_μ, Σ_i w_iμ²)}[f(x)].
//!
//! # Exactness
//! - (G-FD) is exact for every unit whose weights outside S are all zero
//!   (then X_R ≡ 0): e.g. the one-unit-per-bond RBM, whose pair couplings
//!   it reproduces for any w; and any odd/even symmetry of f that makes a
//!   coupling vanish (a field of an unbiased ln 2cosh unit) survives,
//!   because the quadrature nodes are symmetric. Otherwise its error is
//!   the non-Gaussianity of X_R: of relative order Σ_{i∉S} w_i⁴ / σ_R⁴,
//!   i.e. 1/N_R for N_R comparable weights.
//! - (G-D) is additionally off by relative O(w_S²): for the bond RBM it
//!   gives K = w² f″(0) = w² (spin units) against the exact
//!   ½ ln cosh 2w = w² − ⅔ w⁴ + O(w⁶).
//!
//! # The paper
//! Decelle, Furtlehner, Navas Gómez & Seoane (2024) map an RBM onto a
//! many-body Ising Hamiltonian and approximate each hidden unit's input by
//! a Gaussian (a central-limit argument) to make the couplings of all
//! orders computable. Only the abstract of that paper could be consulted
//! while this was written (from stored copies; the formula itself was not
//! retrievable), so whether their expression coincides with (G-FD) or
//! (G-D) above — in particular whether their Gaussian's variance excludes
//! the sites of S — is *not verified*. The derivation above stands on its
//! own and its exactness claims are tested.
//!
//! # Quadrature
//! E_{x∼N(μ,σ²)}[φ(x)] = π^{−1/2} Σ_j ω_j φ(μ + √2 σ z_j) with the
//! (physicists') Gauss–Hermite nodes z_j and weights ω_j of order
//! `nodes` (default [`DEFAULT_NODES`] = 64), exact for polynomials of degree
//! < 2·nodes. The nodes are computed by Newton's method on the normalised
//! Hermite recurrence (Numerical Recipes §4.6). f and its derivatives vary
//! on a scale of 1 (sech² x for spin units), while the nodes near the mean
//! are about πσ/√nodes apart, so Gauss–Hermite is only accurate for narrow
//! inputs: measured against a fine trapezoid rule, E[sech² x] with 64
//! nodes is off by 4·10⁻⁹ (relative) at σ = 1, 2·10⁻⁴ at σ = 2, 5% at σ = 4
//! and 50% at σ = 8. [`GaussHermite::expectation`] therefore uses the
//! Gauss–Hermite rule only while πσ/√nodes ≤ [`MAX_NODE_SPACING`] = ¼,
//! and otherwise the trapezoid rule with step h = ¼ on μ ± 9σ (the
//! Gaussian tail beyond is below 10⁻¹⁸; for integrands analytic in a strip
//! of half-width π/2 around the real axis, as f and its derivatives are,
//! the trapezoid error falls like e^{−π²/h} ≈ 10⁻¹⁷). Both branches are
//! tested against each other and against closed forms.
//!
//! # References
//! - A. Decelle, C. Furtlehner, A. de J. Navas Gómez and B. Seoane,
//!   "Inferring effective couplings with Restricted Boltzmann Machines",
//!   SciPost Phys. 16, 095 (2024), arXiv:2309.02292.
//! - C. Stein, "Estimation of the mean of a multivariate normal
//!   distribution", Ann. Statist. 9, 1135 (1981) (Stein's lemma).
//! - W. H. Press et al., *Numerical Recipes*, 3rd ed. (2007), §4.6
//!   (Gauss–Hermite nodes).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::SpinModel;
use super::monte_carlo::{finite_difference, shifts_and_signs};
use super::{Coupling, CouplingDiagnostics, CouplingMethod, CouplingSets, EffectiveCouplings};
use crate::rbm::{HiddenUnits, Rbm};
use crate::{Error, Result};

/// The default number of Gauss–Hermite nodes.
pub const DEFAULT_NODES: usize = 64;

/// The most Gauss–Hermite nodes accepted (Newton's method from Numerical
/// Recipes' starting guesses loses digits at 256 nodes; 128 is tested).
pub const MAX_NODES: usize = 128;

/// Which Gaussian formula [`couplings_gaussian`] evaluates (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GaussianForm {
    /// (G-FD): the exact finite difference over the spins of S, averaged
    /// over a Gaussian for the rest.
    FiniteDifference,
    /// (G-D): Π_{i∈S} w_i E[f^{(|S|)}(x)].
    Derivative,
}

/// Parameters of [`couplings_gaussian`].
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianOptions {
    /// Gauss–Hermite nodes, 1 to [`MAX_NODES`].
    pub nodes: usize,
    /// Which formula.
    pub form: GaussianForm,
}

impl Default for GaussianOptions {
    /// [`DEFAULT_NODES`] nodes, the finite-difference form.
    fn default() -> Self {
        GaussianOptions {
            nodes: DEFAULT_NODES,
            form: GaussianForm::FiniteDifference,
        }
    }
}

/// The largest spacing πσ/√nodes of the Gauss–Hermite nodes near the
/// mean for which [`GaussHermite::expectation`] uses them (module docs,
/// "Quadrature").
pub const MAX_NODE_SPACING: f64 = 0.25;

/// Gaussian expectations by Gauss–Hermite quadrature, with a trapezoid
/// rule for inputs too wide for the nodes (module docs, "Quadrature").
#[derive(Clone, Debug, PartialEq)]
pub struct GaussHermite {
    /// Nodes z_j (physicists' convention, weight e^{−z²}), decreasing.
    pub nodes: Vec<f64>,
    /// Weights ω_j, summing to √π.
    pub weights: Vec<f64>,
}

impl GaussHermite {
    /// The rule of order `order` (1 to [`MAX_NODES`]).
    pub fn new(order: usize) -> Result<Self> {
        if !(1..=MAX_NODES).contains(&order) {
            return Err(Error::invalid(
                "Gauss–Hermite nodes",
                order,
                format!("1 to {MAX_NODES}"),
            ));
        }
        let n = order;
        let nf = n as f64;
        const PI_M4: f64 = 0.751_125_544_464_942_5; // π^{−1/4}
        let mut x = vec![0.0f64; n];
        let mut w = vec![0.0f64; n];
        let mut z = 0.0f64;
        for i in 0..n.div_ceil(2) {
            z = match i {
                0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
                1 => z - 1.14 * nf.powf(0.426) / z,
                2 => 1.86 * z - 0.86 * x[0],
                3 => 1.91 * z - 0.91 * x[1],
                _ => 2.0 * z - x[i - 2],
            };
            let mut pp = 0.0;
            for _ in 0..100 {
                // Normalised Hermite polynomials by their recurrence.
                let mut p1 = PI_M4;
                let mut p2 = 0.0;
                for j in 1..=n {
                    let p3 = p2;
                    p2 = p1;
                    let jf = j as f64;
                    p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
                }
                pp = (2.0 * nf).sqrt() * p2;
                let step = p1 / pp;
                z -= step;
                if step.abs() <= 1e-15 * z.abs().max(1.0) {
                    break;
                }
            }
            if n % 2 == 1 && i == n / 2 {
                z = 0.0;
            }
            x[i] = z;
            x[n - 1 - i] = -z;
            w[i] = 2.0 / (pp * pp);
            w[n - 1 - i] = w[i];
        }
        Ok(GaussHermite {
            nodes: x,
            weights: w,
        })
    }

    /// E[φ(x)] for x ∼ N(`mean`, `sd`²): by the Gauss–Hermite rule when
    /// π·sd/√nodes ≤ [`MAX_NODE_SPACING`], else by
    /// [`trapezoid`](Self::trapezoid) (module docs, "Quadrature").
    pub fn expectation(&self, mean: f64, sd: f64, phi: impl Fn(f64) -> f64) -> f64 {
        let spacing = std::f64::consts::PI * sd / (self.nodes.len() as f64).sqrt();
        if spacing <= MAX_NODE_SPACING {
            self.hermite(mean, sd, phi)
        } else {
            Self::trapezoid(mean, sd, phi)
        }
    }

    /// E[φ(x)] for x ∼ N(`mean`, `sd`²) by the Gauss–Hermite rule alone:
    /// π^{−1/2} Σ_j ω_j φ(mean + √2·sd·z_j).
    pub fn hermite(&self, mean: f64, sd: f64, phi: impl Fn(f64) -> f64) -> f64 {
        if sd == 0.0 {
            return phi(mean);
        }
        let scale = std::f64::consts::SQRT_2 * sd;
        let sum: f64 = self
            .nodes
            .iter()
            .zip(&self.weights)
            .map(|(&z, &w)| w * phi(mean + scale * z))
            .sum();
        sum * FRAC_1_SQRT_PI
    }

    /// E[φ(x)] for x ∼ N(`mean`, `sd`²) by the trapezoid rule with step
    /// h = min(¼, sd/4) on mean ± 9·sd: h Σ_k p(x_k) φ(x_k) with p the
    /// normal density (module docs, "Quadrature").
    pub fn trapezoid(mean: f64, sd: f64, phi: impl Fn(f64) -> f64) -> f64 {
        if sd == 0.0 {
            return phi(mean);
        }
        let h = 0.25f64.min(sd / 4.0);
        let half = (9.0 * sd / h).ceil() as i64;
        let norm = h * FRAC_1_SQRT_PI / (std::f64::consts::SQRT_2 * sd);
        let mut sum = 0.0;
        for k in -half..=half {
            let u = k as f64 * h;
            let z = u / sd;
            sum += (-0.5 * z * z).exp() * phi(mean + u);
        }
        sum * norm
    }
}

/// 1/√π.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// The coefficients (constant first) of the polynomial P_k with
/// f^{(k)}(x) = P_k(p(x)), p = σ (Bernoulli), tanh (spin) or x (Gaussian), k ≥ 1:
/// P_1(p) = p and P_{k+1}(p) = P_k′(p) · p′ with p′ = p(1 − p) = p − p²,
/// 1 − p² or 1.
pub(crate) fn derivative_polynomial(hidden: HiddenUnits, k: usize) -> Vec<f64> {
    // p′ as a polynomial in p.
    let dp: [f64; 3] = match hidden {
        HiddenUnits::Bernoulli => [0.0, 1.0, -1.0],
        HiddenUnits::Spin => [1.0, 0.0, -1.0],
        // p = f′(x) = x, p′ = 1.
        HiddenUnits::Gaussian => [1.0, 0.0, 0.0],
    };
    let mut poly = vec![0.0, 1.0];
    for _ in 1..k {
        let derivative: Vec<f64> = (1..poly.len()).map(|j| j as f64 * poly[j]).collect();
        let mut next = vec![0.0; derivative.len() + 2];
        for (a, &da) in derivative.iter().enumerate() {
            for (b, &db) in dp.iter().enumerate() {
                next[a + b] += da * db;
            }
        }
        poly = next;
    }
    poly
}

/// Horner evaluation of `poly` (constant first) at `p`.
fn horner(poly: &[f64], p: f64) -> f64 {
    poly.iter().rev().fold(0.0, |acc, &c| acc * p + c)
}

/// The Gaussian approximation (module docs) of the couplings K_S for the
/// sets `sets`, and of K_∅: per hidden unit, (G-FD) or (G-D) with the
/// unit's input outside S replaced by N(b′_μ, Σ_{i∉S} w_iμ²), evaluated by
/// Gauss–Hermite quadrature with `options.nodes` nodes (the trapezoid rule
/// for inputs too wide for them; module docs, "Quadrature"); the linear
/// part exactly. No standard errors (it is deterministic); its error is
/// discussed in the module docs. Cost per set: n_hidden × nodes × 2^|S|
/// (G-FD) or n_hidden × nodes (G-D) evaluations.
///
/// Errors with [`Error::InvalidParameter`] for Gaussian visible units, a
/// bad node count or a bad set (see [`CouplingSets::resolve`]).
pub fn couplings_gaussian(
    rbm: &Rbm,
    sets: &CouplingSets,
    options: &GaussianOptions,
) -> Result<EffectiveCouplings> {
    let model = SpinModel::from_rbm(rbm)?;
    let rule = GaussHermite::new(options.nodes)?;
    let sets = sets.resolve(model.n)?;
    let variance: Vec<f64> = (0..model.m)
        .map(|mu| model.unit(mu).iter().map(|w| w * w).sum())
        .collect();
    let f = |x: f64| model.log_partition(x);
    let mut constant = model.constant;
    for (&bias, &var) in model.bias.iter().zip(&variance) {
        constant += rule.expectation(bias, var.sqrt(), f);
    }
    let max_order = sets.iter().map(Vec::len).max().unwrap_or(0);
    let polynomials: Vec<Vec<f64>> = (0..=max_order)
        .map(|k| derivative_polynomial(model.hidden, k.max(1)))
        .collect();
    let couplings: Vec<Coupling> = sets
        .par_iter()
        .map(|set| {
            let mut value = if set.len() == 1 {
                model.field[set[0]]
            } else {
                0.0
            };
            for (mu, &var) in variance.iter().enumerate() {
                let w = model.unit(mu);
                let ws: Vec<f64> = set.iter().map(|&i| w[i]).collect();
                if ws.contains(&0.0) {
                    continue;
                }
                let own: f64 = ws.iter().map(|w| w * w).sum();
                // σ_R² = Σ_{i∉S} w_i², clamped against rounding below 0.
                let sd = (var - own).max(0.0).sqrt();
                let mean = model.bias[mu];
                value += match options.form {
                    GaussianForm::FiniteDifference => {
                        let (shifts, signs) = shifts_and_signs(&ws);
                        rule.expectation(mean, sd, |x| finite_difference(f, x, &shifts, &signs))
                    }
                    GaussianForm::Derivative => {
                        let poly = &polynomials[set.len()];
                        let product: f64 = ws.iter().product();
                        let p = |x: f64| match model.hidden {
                            HiddenUnits::Bernoulli => 0.5 * (1.0 + (0.5 * x).tanh()),
                            HiddenUnits::Spin => x.tanh(),
                            HiddenUnits::Gaussian => x,
                        };
                        product * rule.expectation(mean, sd, |x| horner(poly, p(x)))
                    }
                };
            }
            Coupling {
                spins: set.clone(),
                value,
                stderr: None,
            }
        })
        .collect();
    let mut result = EffectiveCouplings {
        n_spins: model.n,
        convention: model.convention,
        method: CouplingMethod::Gaussian {
            nodes: options.nodes,
            form: options.form,
        },
        constant,
        constant_stderr: None,
        couplings,
        diagnostics: CouplingDiagnostics {
            max_order,
            ..CouplingDiagnostics::default()
        },
    };
    result.sort();
    Ok(result)
}
