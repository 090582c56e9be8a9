//! Unit types of an RBM layer and the one-unit functions they need:
//! conditional means, per-unit log partition sums, and the numerically
//! stable `softplus`, `ln 2cosh` and sigmoid behind them.
//!
//! A unit with input x (its bias plus the weighted sum of the other layer)
//! has the Boltzmann weight e^{s x} over its states s:
//! - Bernoulli, s ∈ {0, 1}: Σ_s e^{s x} = 1 + e^x, so ln Σ = softplus(x) and
//!   P(s = 1 | x) = σ(x);
//! - spin, s ∈ {−1, +1}: Σ_s e^{s x} = 2 cosh x, so E[s | x] = tanh x and
//!   P(s = +1 | x) = σ(2x);
//! - Gaussian visible (unit variance): weight e^{−½(s − b)² + s y}
//!   with a = b + y, a normal density of mean a and variance 1;
//! - Gaussian hidden (unit variance): weight e^{−½s² + s x}, a normal density
//!   of mean x and variance 1, with ln ∫ e^{−½s² + s x} ds = ½x² + ½ ln 2π.
//!   Integrating such units out leaves a purely pairwise visible Hamiltonian
//!   (the Hopfield ↔ RBM equivalence of Barra et al. 2012; see
//!   [`HiddenUnits::Gaussian`]).
//!
//! # References
//! - G. E. Hinton, *A Practical Guide to Training Restricted Boltzmann
//!   Machines*, UTML TR 2010-003 (2010), §13.2 (Gaussian visible units).
//! - P. Mehta and D. J. Schwab, *An exact mapping between the Variational
//!   Renormalization Group and Deep Learning*, arXiv:1410.3831 (2014), eq. (9)–(12).
//! - A. Barra, A. Bernacchia, E. Santucci and P. Contucci, *On the
//!   equivalence of Hopfield networks and Boltzmann machines*, Neural
//!   Networks 34, 1 (2012).

use crate::Error;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The state space of a visible unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum VisibleUnits {
    /// v_i ∈ {0, 1}.
    Bernoulli,
    /// v_i ∈ {−1, +1}.
    Spin,
    /// v_i ∈ ℝ, unit variance around b_i + (Wh)_i (data standardised).
    Gaussian,
}

/// The state space of a hidden unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum HiddenUnits {
    /// h_j ∈ {0, 1}.
    Bernoulli,
    /// h_j ∈ {−1, +1}.
    Spin,
    /// h_j ∈ ℝ, unit variance around c_j + (vᵀW)_j (energy term +½h_j²).
    ///
    /// The energy is
    /// E(v, h) = −bᵀv − cᵀh − vᵀWh + ½‖h‖² and p(h_j | v) = N(x_j, 1) with
    /// x = c + vᵀW. Integrating h out gives ln ∫ e^{h x − h²/2} dh =
    /// ½x² + ½ ln 2π per unit, so H(v) = −bᵀv − Σ_j (½x_j² + ½ ln 2π): a
    /// Hopfield network with pair couplings J_ik = Σ_j W_ij W_kj
    /// (Barra, Bernacchia, Santucci & Contucci, Neural Networks 34, 2012).
    /// Train with a learning rate one or two orders of magnitude smaller
    /// than for binary units, as for Gaussian visible units (Hinton 2010,
    /// §13.2): E[h | v] is unbounded, so the CD gradient grows with W.
    /// Not combined with Gaussian visible units ([`Rbm::new`](crate::rbm::Rbm::new)
    /// refuses it: that model is normalisable only when every singular
    /// value of W is below 1).
    Gaussian,
}

impl VisibleUnits {
    /// Every visible unit type, in the order of their names.
    pub const ALL: [VisibleUnits; 3] = [
        VisibleUnits::Bernoulli,
        VisibleUnits::Spin,
        VisibleUnits::Gaussian,
    ];

    /// The lowercase name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            VisibleUnits::Bernoulli => "bernoulli",
            VisibleUnits::Spin => "spin",
            VisibleUnits::Gaussian => "gaussian",
        }
    }

    /// Whether the unit takes finitely many values ({0,1} or {−1,+1}).
    pub fn is_discrete(self) -> bool {
        !matches!(self, VisibleUnits::Gaussian)
    }

    /// Conditional mean E[v_i | h] given the input a = b_i + (Wh)_i:
    /// σ(a) for Bernoulli, tanh(a) for spin, a for Gaussian (Hinton 2010, §13.2).
    #[inline(always)]
    pub fn mean(self, a: f32) -> f32 {
        match self {
            VisibleUnits::Bernoulli => sigmoid(a),
            VisibleUnits::Spin => a.tanh(),
            VisibleUnits::Gaussian => a,
        }
    }

    /// ln of one unit's sum (or integral) over its states of the Boltzmann
    /// weight, given the input a = b_i + y_i with y_i = (Wh)_i and the bias b_i:
    /// - Bernoulli: ln(1 + e^a) = softplus(a);
    /// - spin: ln(e^a + e^{−a}) = ln 2cosh(a);
    /// - Gaussian: ln ∫ e^{−½(v − b)² + v y} dv = ln[√(2π) e^{b y + y²/2}]
    ///   = ½a² − ½b² + ½ ln 2π  (substitute v = b + u and complete the square).
    #[inline(always)]
    pub fn log_partition(self, a: f64, bias: f64) -> f64 {
        match self {
            VisibleUnits::Bernoulli => softplus(a),
            VisibleUnits::Spin => ln_2cosh(a),
            VisibleUnits::Gaussian => 0.5 * (a * a - bias * bias) + HALF_LN_2PI,
        }
    }
}

impl HiddenUnits {
    /// Every hidden unit type, in the order of their names.
    pub const ALL: [HiddenUnits; 3] = [
        HiddenUnits::Bernoulli,
        HiddenUnits::Spin,
        HiddenUnits::Gaussian,
    ];

    /// The lowercase name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            HiddenUnits::Bernoulli => "bernoulli",
            HiddenUnits::Spin => "spin",
            HiddenUnits::Gaussian => "gaussian",
        }
    }

    /// Whether the unit takes finitely many values ({0,1} or {−1,+1}).
    pub fn is_discrete(self) -> bool {
        !matches!(self, HiddenUnits::Gaussian)
    }

    /// Conditional mean E[h_j | v] given the input x = c_j + (vᵀW)_j:
    /// σ(x) = P(h_j = 1 | v) for Bernoulli, tanh(x) for spin, x for Gaussian.
    #[inline(always)]
    pub fn mean(self, x: f32) -> f32 {
        match self {
            HiddenUnits::Bernoulli => sigmoid(x),
            HiddenUnits::Spin => x.tanh(),
            HiddenUnits::Gaussian => x,
        }
    }

    /// ln of one unit's sum (or integral) over its states of its Boltzmann
    /// weight given the input x: ln Σ_{h_j} e^{h_j x} = softplus(x) for
    /// Bernoulli, ln 2cosh(x) for spin, and ln ∫ e^{h x − h²/2} dh =
    /// ½x² + ½ ln 2π for Gaussian units.
    #[inline(always)]
    pub fn log_partition(self, x: f64) -> f64 {
        match self {
            HiddenUnits::Bernoulli => softplus(x),
            HiddenUnits::Spin => ln_2cosh(x),
            HiddenUnits::Gaussian => 0.5 * x * x + HALF_LN_2PI,
        }
    }
}

/// ½ ln 2π.
pub(crate) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// softplus(x) = ln(1 + e^x), evaluated as max(x, 0) + ln1p(e^{−|x|}) so that
/// it neither overflows for large x nor loses digits for very negative x.
#[inline(always)]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// ln(2 cosh x) = ln(e^x + e^{−x}), evaluated as |x| + ln1p(e^{−2|x|}).
#[inline(always)]
pub fn ln_2cosh(x: f64) -> f64 {
    let m = x.abs();
    m + (-2.0 * m).exp().ln_1p()
}

/// The logistic sigmoid σ(x) = 1 / (1 + e^{−x}), evaluated on the side where
/// the exponential cannot overflow.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl fmt::Display for VisibleUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for HiddenUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for VisibleUnits {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "bernoulli" => Ok(VisibleUnits::Bernoulli),
            "spin" => Ok(VisibleUnits::Spin),
            "gaussian" => Ok(VisibleUnits::Gaussian),
            other => Err(Error::invalid(
                "visible units",
                other,
                "expected bernoulli, spin or gaussian",
            )),
        }
    }
}

impl std::str::FromStr for HiddenUnits {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "bernoulli" => Ok(HiddenUnits::Bernoulli),
            "spin" => Ok(HiddenUnits::Spin),
            "gaussian" => Ok(HiddenUnits::Gaussian),
            other => Err(Error::invalid(
                "hidden units",
                other,
                "expected bernoulli, spin or gaussian",
            )),
        }
    }
}
