//! Effective couplings of a trained RBM: the visible marginal Hamiltonian
//! H(v) = −ln Σ_h e^{−E(v,h)} written as an Ising Hamiltonian with
//! many-body couplings,
//!
//! H(s) = −K_∅ − Σ_{S≠∅} K_S Π_{i∈S} s_i,   s_i ∈ {−1, +1},          (eq. K)
//!
//! the "renormalized Hamiltonian" of the reference text (the couplings K̃
//! of Mehta & Schwab 2014, eq. 13). Every function of n Ising spins has
//! exactly one such expansion (the Fourier–Walsh expansion), with
//!
//! K_S = −2^{−n} Σ_s H(s) Π_{i∈S} s_i                                 (eq. WHT)
//!
//! (the products Π_{i∈S} s_i are orthonormal under the uniform average
//! 2^{−n} Σ_s). K_∅ is the constant term; it goes into the offset of a
//! [`SpinHamiltonian`] as offset = −K_∅ (see
//! [`EffectiveCouplings::to_hamiltonian`]).
//!
//! # Spin conventions
//! The couplings are always those of spins s_i ∈ {−1, +1}:
//! - [`SpinConvention::Bernoulli`]: visible units v_i ∈ {0, 1} are read as
//!   s_i = 2v_i − 1 (v_i = (1 + s_i)/2), so v_i = 1 is s_i = +1;
//! - [`SpinConvention::Spin`]: visible units v_i ∈ {−1, +1}, s_i = v_i.
//!
//! Gaussian visible units have no finite set of states and are refused.
//!
//! With the RBM energy E(v, h) = −aᵀv − bᵀh − vᵀWh ([`Rbm`](crate::rbm::Rbm): a the visible,
//! b the hidden bias, W_iμ at `i * n_hidden + μ`),
//!
//! H(v) = −Σ_i a_i v_i − Σ_μ f(b_μ + Σ_i W_iμ v_i),
//!
//! f(x) = ln Σ_{h_μ} e^{h_μ x} = softplus(x) (Bernoulli hidden units),
//! ln 2cosh(x) (spin hidden units) or ½x² + ½ ln 2π (Gaussian hidden units,
//! below). Substituting v_i = (1 + s_i)/2 for
//! Bernoulli visible units gives the same form in the spins,
//!
//! H(s) = −K₀ − Σ_i h_i s_i − Σ_μ f(b′_μ + Σ_i w_iμ s_i),               (eq. S)
//!
//! | | K₀ | h_i | w_iμ | b′_μ |
//! |---|---|---|---|---|
//! | Bernoulli visible | ½ Σ_i a_i | ½ a_i | ½ W_iμ | b_μ + ½ Σ_i W_iμ |
//! | spin visible | 0 | a_i | W_iμ | b_μ |
//!
//! # Gaussian hidden units
//! For Gaussian hidden units ([`HiddenUnits::Gaussian`](crate::rbm::HiddenUnits::Gaussian),
//! energy term +½h_μ²) f(x) = ln ∫ e^{h x − h²/2} dh = ½x² + ½ ln 2π is
//! quadratic, so with s_i² = 1 the expansion stops at pairs:
//!
//! K_∅ = K₀ + Σ_μ (½b′_μ² + ½Σ_i w_iμ² + ½ ln 2π),
//! K_i = h_i + Σ_μ b′_μ w_iμ,   K_ij = Σ_μ w_iμ w_jμ,   K_S = 0 for |S| ≥ 3:
//!
//! a Hopfield network whose patterns are the columns of W (Barra,
//! Bernacchia, Santucci & Contucci 2012). Spin visible units with
//! W_iμ = ξ_i^μ/√N reproduce the Hebbian couplings J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ
//! of [`Hopfield`](crate::hamiltonian::Hopfield). [`couplings_exact`] still
//! tabulates H and transforms it (its higher orders come out 0 to
//! rounding); [`couplings_support`] returns the closed form above for any
//! n; [`couplings_monte_carlo`] and [`couplings_gaussian`] are exact for
//! the pairs (the mixed difference of a quadratic is constant, and
//! Gauss–Hermite quadrature integrates quadratics exactly), the Monte Carlo
//! fields and K_∅ keeping their sampling error.
//!
//! All methods work with these *spin-convention* parameters; weight
//! tolerances and discarded weight masses are stated in them (for
//! Bernoulli visible units w = W/2). The linear part K₀ + Σ h_i s_i is
//! already expanded: it adds K₀ to K_∅ and h_i to K_{i}, exactly, in every
//! method. Each hidden unit contributes the expansion of its term
//! g_μ(s) = f(b′_μ + Σ_i w_iμ s_i), ĝ_μ(S) = 2^{−n} Σ_s g_μ(s) Π_{i∈S} s_i,
//! and K_S = [linear part] + Σ_μ ĝ_μ(S).
//!
//! # Methods
//! - [`couplings_exact`]: tabulate −H(s) on all 2^n configurations and
//!   apply the fast Walsh–Hadamard transform ([`crate::linalg::walsh`]);
//!   exact to rounding, n ≤ [`MAX_EXACT_VISIBLE`].
//! - [`couplings_support`]: expand each g_μ over its support, the sites
//!   with |w_iμ| > tolerance (exact when the tolerance is 0); see the
//!   function for the error bound in terms of the discarded weight mass.
//! - [`couplings_monte_carlo`]: an unbiased estimate, with a standard
//!   error, of chosen couplings (fields, pairs, lattice neighbours, …) for
//!   any n.
//! - [`couplings_gaussian`]: the Gaussian (central-limit) approximation of
//!   each unit's input, after Decelle, Furtlehner, Navas Gómez & Seoane
//!   (2024), by Gauss–Hermite quadrature; derivation in [`gaussian`].
//!
//! [`lattice_pairs`] and [`lattice_triples`] list the sets of an L × L
//! torus within a distance; [`EffectiveCouplings::strength_by_order`] and
//! [`EffectiveCouplings::pairs_by_distance`] summarise a result.
//!
//! # Example
//! One spin hidden unit on the two sites of a bond, weight w on both:
//! ln 2cosh(w(s₀ + s₁)) = const + K s₀ s₁ with K = ½ ln cosh 2w.
//! ```
//! use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
//! use vrg::rg::couplings::couplings_exact;
//!
//! let w = 0.5f32;
//! let rbm = Rbm::from_parameters(
//!     VisibleUnits::Spin,
//!     HiddenUnits::Spin,
//!     vec![w, w], // W (2 visible × 1 hidden)
//!     vec![0.0; 2],
//!     vec![0.0],
//! )?;
//! let couplings = couplings_exact(&rbm, 2, 1e-12)?;
//! let k = 0.5 * (2.0 * f64::from(w)).cosh().ln();
//! assert!((couplings.value(&[0, 1]) - k).abs() < 1e-12);
//! assert_eq!(couplings.couplings.len(), 1); // the two fields are 0, dropped
//! let hamiltonian = couplings.to_hamiltonian()?; // offset −K_∅, one term
//! assert_eq!(hamiltonian.n_terms(), 1);
//! # Ok::<(), vrg::Error>(())
//! ```
//!
//! # References
//! - P. Mehta and D. J. Schwab, "An exact mapping between the Variational
//!   Renormalization Group and Deep Learning", arXiv:1410.3831 (2014),
//!   eq. (10)–(13).
//! - A. Decelle, C. Furtlehner, A. de J. Navas Gómez and B. Seoane,
//!   "Inferring effective couplings with Restricted Boltzmann Machines",
//!   SciPost Phys. 16, 095 (2024), arXiv:2309.02292.
//! - R. O'Donnell, *Analysis of Boolean Functions* (Cambridge, 2014), ch. 1.
//! - A. Barra, A. Bernacchia, E. Santucci and P. Contucci, "On the
//!   equivalence of Hopfield networks and Boltzmann machines", Neural
//!   Networks 34, 1 (2012).

mod exact;
pub mod gaussian;
mod model;
mod monte_carlo;
mod sets;
mod summary;

pub use exact::{couplings_exact, couplings_support, MAX_EXACT_VISIBLE, MAX_SUPPORT};
pub use gaussian::{couplings_gaussian, GaussHermite, GaussianForm, GaussianOptions};
pub use monte_carlo::{couplings_monte_carlo, MonteCarloOptions};
pub use sets::{lattice_pairs, lattice_triples, CouplingSets, MAX_SET_ORDER};
pub use summary::{DistanceGroup, OrderStrength};

use serde::{Deserialize, Serialize};

use crate::hamiltonian::SpinHamiltonian;
use crate::rbm::VisibleUnits;
use crate::{Error, Result};

/// How visible units are read as Ising spins (module docs, "Spin
/// conventions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpinConvention {
    /// v_i ∈ {0, 1}, s_i = 2v_i − 1.
    Bernoulli,
    /// v_i ∈ {−1, +1}, s_i = v_i.
    Spin,
}

impl SpinConvention {
    /// The convention of an RBM's visible units. Errors for Gaussian units,
    /// which have no spin expansion.
    pub fn of(units: VisibleUnits) -> Result<Self> {
        match units {
            VisibleUnits::Bernoulli => Ok(SpinConvention::Bernoulli),
            VisibleUnits::Spin => Ok(SpinConvention::Spin),
            VisibleUnits::Gaussian => Err(Error::invalid(
                "visible units",
                units,
                "bernoulli or spin visible units: effective couplings expand H(v) in \
                 Ising spins, and Gaussian visible units take real values",
            )),
        }
    }

    /// The spin s_i of a visible value: 2v − 1 (Bernoulli) or v (spin).
    /// Values other than the unit's two states give ±1 by their sign
    /// (Bernoulli: v > ½ is +1).
    pub fn spin(self, v: f32) -> i8 {
        let up = match self {
            SpinConvention::Bernoulli => v > 0.5,
            SpinConvention::Spin => v > 0.0,
        };
        if up {
            1
        } else {
            -1
        }
    }

    /// The visible value of a spin: (1 + s)/2 (Bernoulli) or s (spin).
    pub fn visible(self, s: i8) -> f32 {
        match self {
            SpinConvention::Bernoulli => {
                if s > 0 {
                    1.0
                } else {
                    0.0
                }
            }
            SpinConvention::Spin => f32::from(s.signum()),
        }
    }
}

/// Which method produced an [`EffectiveCouplings`], with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CouplingMethod {
    /// Walsh–Hadamard transform of H on all 2^n configurations.
    Exact,
    /// Per-unit expansion on the sites with |w_iμ| > `weight_tolerance`
    /// (spin-convention weights).
    Support {
        /// Sites with |w_iμ| ≤ this are dropped from unit μ.
        weight_tolerance: f64,
        /// The largest support allowed.
        max_support: usize,
    },
    /// Monte Carlo over uniform spins.
    MonteCarlo {
        /// Number of uniform configurations drawn.
        samples: usize,
        /// The seed of the draws.
        seed: u64,
    },
    /// Gaussian approximation of each unit's input.
    Gaussian {
        /// Gauss–Hermite nodes.
        nodes: usize,
        /// Finite-difference or derivative form.
        form: GaussianForm,
    },
}

impl CouplingMethod {
    /// A short name: `exact`, `support`, `monte_carlo`, `gaussian`.
    pub fn name(&self) -> &'static str {
        match self {
            CouplingMethod::Exact => "exact",
            CouplingMethod::Support { .. } => "support",
            CouplingMethod::MonteCarlo { .. } => "monte_carlo",
            CouplingMethod::Gaussian { .. } => "gaussian",
        }
    }
}

/// One coupling K_S of eq. (K).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coupling {
    /// The spin set S, strictly increasing, never empty.
    pub spins: Vec<usize>,
    /// K_S.
    pub value: f64,
    /// The standard error of a Monte Carlo estimate (`None` otherwise).
    pub stderr: Option<f64>,
}

/// What a method left out (non-fatal; a return value, not an error).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CouplingDiagnostics {
    /// The largest |S| computed.
    pub max_order: usize,
    /// Couplings with |K_S| below this were dropped from the list.
    pub tolerance: f64,
    /// How many computed couplings were dropped for |K_S| < `tolerance`.
    pub dropped: usize,
    /// Support method: per hidden unit μ, the discarded weight mass
    /// m_μ = Σ_{i: |w_iμ| ≤ tol} |w_iμ| (spin-convention weights); empty
    /// for the other methods.
    pub discarded_mass: Vec<f64>,
    /// M = Σ_μ m_μ, which bounds the error of the support method
    /// (see [`couplings_support`]).
    pub discarded_mass_total: f64,
    /// Support method: the largest support (sites kept by one unit).
    pub largest_support: usize,
}

/// The expansion (eq. K) of an RBM's visible marginal Hamiltonian.
///
/// Couplings are sorted by order |S|, then lexicographically by S. A set
/// that is not listed has K_S = 0 to the method's accuracy: it was below
/// the tolerance ([`CouplingDiagnostics::dropped`] counts those), of higher
/// order than asked, outside every unit's support (support method), or
/// not requested (Monte Carlo, Gaussian).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectiveCouplings {
    /// Number of spins n (the RBM's visible units).
    pub n_spins: usize,
    /// How visible values map to spins.
    pub convention: SpinConvention,
    /// The method and its parameters.
    pub method: CouplingMethod,
    /// K_∅, the constant term of eq. (K): H(s) = −K_∅ − Σ K_S Π s_i.
    pub constant: f64,
    /// Standard error of K_∅ (Monte Carlo only).
    pub constant_stderr: Option<f64>,
    /// The couplings, sorted by (|S|, S).
    pub couplings: Vec<Coupling>,
    /// What was left out.
    pub diagnostics: CouplingDiagnostics,
}

/// Orders sets by size, then lexicographically.
pub(crate) fn set_order(a: &[usize], b: &[usize]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl EffectiveCouplings {
    /// Sorts the couplings by (|S|, S).
    pub(crate) fn sort(&mut self) {
        self.couplings.sort_by(|a, b| set_order(&a.spins, &b.spins));
    }

    /// The listed coupling on the set `spins` (given in increasing order),
    /// if any.
    pub fn get(&self, spins: &[usize]) -> Option<&Coupling> {
        self.couplings
            .binary_search_by(|c| set_order(&c.spins, spins))
            .ok()
            .map(|k| &self.couplings[k])
    }

    /// K_S for S = `spins` (any order; the empty set gives K_∅), 0 when the
    /// set is not listed.
    pub fn value(&self, spins: &[usize]) -> f64 {
        if spins.is_empty() {
            return self.constant;
        }
        let mut set = spins.to_vec();
        set.sort_unstable();
        self.get(&set).map_or(0.0, |c| c.value)
    }

    /// H(s) = −K_∅ − Σ_S K_S Π_{i∈S} s_i from the listed couplings
    /// (eq. K). `spins` has `n_spins` values ±1.
    ///
    /// # Panics
    /// If `spins.len() != n_spins`.
    pub fn energy(&self, spins: &[i8]) -> f64 {
        assert_eq!(spins.len(), self.n_spins, "energy: wrong number of spins");
        let mut sum = self.constant;
        for c in &self.couplings {
            let negative = c.spins.iter().filter(|&&i| spins[i] < 0).count() % 2 == 1;
            sum += if negative { -c.value } else { c.value };
        }
        -sum
    }

    /// The listed couplings as a [`SpinHamiltonian`] (eq. H of
    /// [`SpinHamiltonian`]): offset = −K_∅, one term per coupling,
    /// so that its energy is [`energy`](Self::energy). Standard errors are
    /// not carried.
    pub fn to_hamiltonian(&self) -> Result<SpinHamiltonian> {
        let mut h = SpinHamiltonian::new(self.n_spins);
        h.add_offset(-self.constant)?;
        for c in &self.couplings {
            h.add_term(&c.spins, c.value)?;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests;
