//! The Thouless–Anderson–Palmer (TAP) free energy of an RBM: ln Z from
//! the Plefka expansion of its Gibbs free energy to first (naive mean
//! field), second (TAP) or third order in the weights, at self-consistent
//! magnetisations found by damped fixed-point iteration.
//!
//! # The expansion
//! Fix the magnetisations m_i = ⟨v_i⟩ of the visible and m_j = ⟨h_j⟩ of the
//! hidden units; the Gibbs free energy Γ(m) (the Legendre transform of
//! −ln Z in the fields) satisfies −ln Z = min_m Γ(m). Expanded in powers of
//! W (Plefka 1982; Georges & Yedidia 1991) for a bipartite graph, which has
//! no loops of length three, the terms up to third order are pairwise
//! (Gabrié, Tramel & Krzakala 2015, eq. 4 for 0/1 units):
//!
//! Γ(m) = −S(m) − Σ_i b_i m_i − Σ_j c_j m_j − Σ_ij W_ij m_i m_j
//!        − ½ Σ_ij W_ij² κ₂(m_i) κ₂(m_j)                    (order 2)
//!        − ⅙ Σ_ij W_ij³ κ₃(m_i) κ₃(m_j)                    (order 3)    (T1)
//!
//! where S is the entropy of independent units with those means and κ₂,
//! κ₃ are a single unit's second and third cumulants as functions of its
//! mean:
//! - 0/1 (Bernoulli) units: S = −Σ [m ln m + (1 − m) ln(1 − m)],
//!   κ₂ = m(1 − m), κ₃ = m(1 − m)(1 − 2m); the third-order term is then
//!   −(2/3) Σ W³ (m_i − m_i²)(½ − m_i)(m_j − m_j²)(½ − m_j), Gabrié et al.'s
//!   eq. (4);
//! - ±1 (spin) units: S = −Σ [(1+m)/2 ln((1+m)/2) + (1−m)/2 ln((1−m)/2)],
//!   κ₂ = 1 − m², κ₃ = −2m(1 − m²); the third-order term is
//!   −(2/3) Σ W³ m_i(1 − m_i²) m_j(1 − m_j²) (Georges & Yedidia 1991, eq. 20
//!   without its triangle terms), which vanishes at m = 0.
//!
//! The per-pair form follows from the cumulant expansion: the order-n
//! term of a single bond is (Wⁿ/n!) κₙ(m_i) κₙ(m_j) up to n = 3, and on a
//! bipartite graph no other diagram survives the Legendre transform at that
//! order.
//!
//! # The fixed point
//! Stationarity ∂Γ/∂m_i = 0 reads m_i = f(h_i) with f = σ for 0/1 and
//! f = tanh for ±1 units and the field
//!
//! h_i = b_i + Σ_j W_ij m_j + ½ κ₂′(m_i) Σ_j W_ij² κ₂(m_j)
//!       + ⅙ κ₃′(m_i) Σ_j W_ij³ κ₃(m_j)                                  (T2)
//!
//! (κ₂′ = 1 − 2m and κ₃′ = 1 − 6m + 6m² for 0/1 units, κ₂′ = −2m and
//! κ₃′ = −2 + 6m² for spins; for 0/1 units the second-order term is
//! −(m_i − ½) Σ_j W_ij² (m_j − m_j²), the Onsager reaction term of Gabrié
//! et al.'s eq. 5), and symmetrically for the hidden units. The iteration
//! updates the visible layer, then the hidden layer, each damped:
//! m ← d·m + (1 − d)·f(h). It stops when the residual of (T2),
//! max |f(h(m)) − m| over both layers, is at most the tolerance, and
//! reports an error ([`Error::NotConverged`]) when the iteration cap comes
//! first or a magnetisation stops being finite. Then ln Z ≈ −Γ(m*).
//!
//! At W = 0 every order is exact (Γ is minimised at m = f(b), where
//! −Γ = Σ softplus(b_i) or Σ ln 2cosh(b_i)). For weights of scale ε the
//! order-k estimate errs by O(ε^{k+1}).
//!
//! Gaussian units are refused: the expansion is for discrete units.
//!
//! # References
//! - M. Gabrié, E. W. Tramel and F. Krzakala, "Training Restricted
//!   Boltzmann Machines via the Thouless-Anderson-Palmer free energy",
//!   NeurIPS 2015, eqs. (4)–(5).
//! - T. Plefka, "Convergence condition of the TAP equation for the
//!   infinite-ranged Ising spin glass model", J. Phys. A 15, 1971 (1982).
//! - A. Georges and J. S. Yedidia, "How to expand around mean-field
//!   theory using high-temperature expansions", J. Phys. A 24, 2173 (1991).
//! - D. J. Thouless, P. W. Anderson and R. G. Palmer, "Solution of
//!   'Solvable model of a spin glass'", Phil. Mag. 35, 593 (1977).

use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The order of the Plefka expansion (T1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TapOrder {
    /// First order: naive mean field.
    #[serde(rename = "tap1")]
    First,
    /// Second order: TAP (with the Onsager reaction term).
    #[serde(rename = "tap2")]
    Second,
    /// Third order.
    #[serde(rename = "tap3")]
    Third,
}

impl TapOrder {
    /// The three orders, lowest first.
    pub const ALL: [TapOrder; 3] = [TapOrder::First, TapOrder::Second, TapOrder::Third];

    /// 1, 2 or 3.
    pub fn order(self) -> usize {
        match self {
            TapOrder::First => 1,
            TapOrder::Second => 2,
            TapOrder::Third => 3,
        }
    }

    /// `tap1`, `tap2` or `tap3`.
    pub fn name(self) -> &'static str {
        match self {
            TapOrder::First => "tap1",
            TapOrder::Second => "tap2",
            TapOrder::Third => "tap3",
        }
    }
}

impl std::fmt::Display for TapOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of the damped fixed-point iteration.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TapOptions {
    pub order: TapOrder,
    /// Stop when max |f(h(m)) − m| ≤ tolerance (> 0).
    pub tolerance: f64,
    /// The most sweeps (visible then hidden layer) before giving up (≥ 1).
    pub max_iterations: usize,
    /// d in m ← d·m + (1 − d)·f(h), in [0, 1).
    pub damping: f64,
}

impl TapOptions {
    /// Order `order` with tolerance 10⁻⁹, at most 10 000 sweeps, damping 0.5
    /// (Gabrié et al. 2015 damp by ½).
    pub fn new(order: TapOrder) -> Self {
        TapOptions {
            order,
            tolerance: 1e-9,
            max_iterations: 10_000,
            damping: 0.5,
        }
    }

    fn check(&self) -> Result<()> {
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(Error::invalid(
                "tap tolerance",
                self.tolerance,
                "a finite tolerance > 0",
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::invalid("tap-iterations", 0, "at least 1 iteration"));
        }
        if !(self.damping.is_finite() && (0.0..1.0).contains(&self.damping)) {
            return Err(Error::invalid(
                "tap-damping",
                self.damping,
                "a damping in [0, 1)",
            ));
        }
        Ok(())
    }
}

/// The TAP estimate of ln Z with its fixed point.
#[derive(Clone, Debug, PartialEq)]
pub struct TapEstimate {
    pub order: TapOrder,
    /// −Γ(m*), the estimate of ln Z.
    pub log_z: f64,
    /// Visible magnetisations m_i at the fixed point (`n_visible`).
    pub visible: Vec<f64>,
    /// Hidden magnetisations m_j at the fixed point (`n_hidden`).
    pub hidden: Vec<f64>,
    /// Sweeps done.
    pub iterations: usize,
    /// max |f(h(m*)) − m*| over both layers, at most the tolerance.
    pub residual: f64,
}

/// The discrete unit types, in the form the expansion needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Discrete {
    /// {0, 1}
    Bernoulli,
    /// {−1, +1}
    Spin,
}

impl Discrete {
    fn visible(units: VisibleUnits) -> Result<Self> {
        match units {
            VisibleUnits::Bernoulli => Ok(Discrete::Bernoulli),
            VisibleUnits::Spin => Ok(Discrete::Spin),
            VisibleUnits::Gaussian => Err(not_discrete("visible")),
        }
    }

    fn hidden(units: HiddenUnits) -> Result<Self> {
        match units {
            HiddenUnits::Bernoulli => Ok(Discrete::Bernoulli),
            HiddenUnits::Spin => Ok(Discrete::Spin),
            HiddenUnits::Gaussian => Err(not_discrete("hidden")),
        }
    }

    /// f(h) = σ(h) or tanh(h), the mean of a free unit in field h.
    #[inline]
    pub(crate) fn mean(self, h: f64) -> f64 {
        match self {
            Discrete::Bernoulli => {
                if h >= 0.0 {
                    1.0 / (1.0 + (-h).exp())
                } else {
                    let e = h.exp();
                    e / (1.0 + e)
                }
            }
            Discrete::Spin => h.tanh(),
        }
    }

    /// κ₂(m): m(1 − m) or 1 − m².
    #[inline]
    pub(crate) fn kappa2(self, m: f64) -> f64 {
        match self {
            Discrete::Bernoulli => m * (1.0 - m),
            Discrete::Spin => 1.0 - m * m,
        }
    }

    /// κ₂′(m): 1 − 2m or −2m.
    #[inline]
    pub(crate) fn kappa2_slope(self, m: f64) -> f64 {
        match self {
            Discrete::Bernoulli => 1.0 - 2.0 * m,
            Discrete::Spin => -2.0 * m,
        }
    }

    /// κ₃(m): m(1 − m)(1 − 2m) or −2m(1 − m²).
    #[inline]
    pub(crate) fn kappa3(self, m: f64) -> f64 {
        match self {
            Discrete::Bernoulli => m * (1.0 - m) * (1.0 - 2.0 * m),
            Discrete::Spin => -2.0 * m * (1.0 - m * m),
        }
    }

    /// κ₃′(m): 1 − 6m + 6m² or −2 + 6m².
    #[inline]
    pub(crate) fn kappa3_slope(self, m: f64) -> f64 {
        match self {
            Discrete::Bernoulli => 1.0 - 6.0 * m + 6.0 * m * m,
            Discrete::Spin => -2.0 + 6.0 * m * m,
        }
    }

    /// The entropy of one unit of mean m (0 ln 0 = 0).
    fn entropy(self, m: f64) -> f64 {
        let h = |p: f64| if p > 0.0 { -p * p.ln() } else { 0.0 };
        match self {
            Discrete::Bernoulli => h(m) + h(1.0 - m),
            Discrete::Spin => h(0.5 * (1.0 + m)) + h(0.5 * (1.0 - m)),
        }
    }

    /// Whether m lies in the unit's range of means.
    fn in_range(self, m: f64) -> bool {
        match self {
            Discrete::Bernoulli => (0.0..=1.0).contains(&m),
            Discrete::Spin => (-1.0..=1.0).contains(&m),
        }
    }
}

fn not_discrete(layer: &str) -> Error {
    Error::invalid(
        "units",
        format!("Gaussian {layer} units"),
        "Bernoulli or spin units (the TAP expansion is for discrete units)",
    )
}

/// The model in f64 with W², W³ for the expansion.
struct Expansion {
    nv: usize,
    nh: usize,
    visible: Discrete,
    hidden: Discrete,
    order: TapOrder,
    /// W, W² and W³, row-major n_visible × n_hidden.
    w: [Vec<f64>; 3],
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Expansion {
    fn new(rbm: &Rbm, order: TapOrder) -> Result<Self> {
        let w: Vec<f64> = rbm.weights().iter().map(|&x| f64::from(x)).collect();
        let w2 = w.iter().map(|x| x * x).collect();
        let w3 = w.iter().map(|x| x * x * x).collect();
        Ok(Expansion {
            nv: rbm.n_visible(),
            nh: rbm.n_hidden(),
            visible: Discrete::visible(rbm.visible_units())?,
            hidden: Discrete::hidden(rbm.hidden_units())?,
            order,
            w: [w, w2, w3],
            b: rbm.visible_bias().iter().map(|&x| f64::from(x)).collect(),
            c: rbm.hidden_bias().iter().map(|&x| f64::from(x)).collect(),
        })
    }

    /// The fields (T2) of the visible units given both layers'
    /// magnetisations.
    fn visible_fields(&self, mv: &[f64], mh: &[f64]) -> Vec<f64> {
        let (k2, k3) = cumulants(self.hidden, mh, self.order);
        let mut out = self.b.clone();
        for (i, h) in out.iter_mut().enumerate() {
            let row = |p: usize| &self.w[p][i * self.nh..(i + 1) * self.nh];
            *h += dot(row(0), mh);
            if self.order >= TapOrder::Second {
                *h += 0.5 * self.visible.kappa2_slope(mv[i]) * dot(row(1), &k2);
            }
            if self.order >= TapOrder::Third {
                *h += self.visible.kappa3_slope(mv[i]) / 6.0 * dot(row(2), &k3);
            }
        }
        out
    }

    /// The fields (T2) of the hidden units.
    fn hidden_fields(&self, mv: &[f64], mh: &[f64]) -> Vec<f64> {
        let (k2, k3) = cumulants(self.visible, mv, self.order);
        let mut first = vec![0.0; self.nh];
        let mut second = vec![0.0; self.nh];
        let mut third = vec![0.0; self.nh];
        for i in 0..self.nv {
            let row = |p: usize| &self.w[p][i * self.nh..(i + 1) * self.nh];
            axpy(&mut first, mv[i], row(0));
            if self.order >= TapOrder::Second {
                axpy(&mut second, k2[i], row(1));
            }
            if self.order >= TapOrder::Third {
                axpy(&mut third, k3[i], row(2));
            }
        }
        (0..self.nh)
            .map(|j| {
                let mut h = self.c[j] + first[j];
                if self.order >= TapOrder::Second {
                    h += 0.5 * self.hidden.kappa2_slope(mh[j]) * second[j];
                }
                if self.order >= TapOrder::Third {
                    h += self.hidden.kappa3_slope(mh[j]) / 6.0 * third[j];
                }
                h
            })
            .collect()
    }

    /// max |f(h(m)) − m| over both layers (NaN if any term is NaN).
    fn residual(&self, mv: &[f64], mh: &[f64]) -> f64 {
        let hv = self.visible_fields(mv, mh);
        let hh = self.hidden_fields(mv, mh);
        let mut r = 0.0f64;
        for (&h, &m) in hv.iter().zip(mv) {
            r = nan_max(r, (self.visible.mean(h) - m).abs());
        }
        for (&h, &m) in hh.iter().zip(mh) {
            r = nan_max(r, (self.hidden.mean(h) - m).abs());
        }
        r
    }

    /// Γ(m) of (T1).
    fn gibbs(&self, mv: &[f64], mh: &[f64]) -> f64 {
        let mut gamma = 0.0;
        for (&m, &b) in mv.iter().zip(&self.b) {
            gamma -= self.visible.entropy(m) + b * m;
        }
        for (&m, &c) in mh.iter().zip(&self.c) {
            gamma -= self.hidden.entropy(m) + c * m;
        }
        let (kv2, kv3) = cumulants(self.visible, mv, self.order);
        let (kh2, kh3) = cumulants(self.hidden, mh, self.order);
        for i in 0..self.nv {
            let row = |p: usize| &self.w[p][i * self.nh..(i + 1) * self.nh];
            gamma -= mv[i] * dot(row(0), mh);
            if self.order >= TapOrder::Second {
                gamma -= 0.5 * kv2[i] * dot(row(1), &kh2);
            }
            if self.order >= TapOrder::Third {
                gamma -= kv3[i] / 6.0 * dot(row(2), &kh3);
            }
        }
        gamma
    }
}

/// κ₂ and κ₃ of each magnetisation (empty when `order` does not use them).
fn cumulants(units: Discrete, m: &[f64], order: TapOrder) -> (Vec<f64>, Vec<f64>) {
    let k2 = if order >= TapOrder::Second {
        m.iter().map(|&x| units.kappa2(x)).collect()
    } else {
        Vec::new()
    };
    let k3 = if order >= TapOrder::Third {
        m.iter().map(|&x| units.kappa3(x)).collect()
    } else {
        Vec::new()
    };
    (k2, k3)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// max(a, b), NaN if either is NaN.
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// The Gibbs free energy Γ(m) of (T1) at `order`, at any magnetisations
/// (`visible`: `n_visible` values, `hidden`: `n_hidden`, each in [0, 1]
/// for Bernoulli or [−1, 1] for spin units). At the fixed point −Γ is the
/// TAP estimate of ln Z.
///
/// Errors for Gaussian units, a length that is not the layer's, or a
/// magnetisation outside its unit's range.
pub fn tap_gibbs_free_energy(
    rbm: &Rbm,
    order: TapOrder,
    visible: &[f64],
    hidden: &[f64],
) -> Result<f64> {
    let e = Expansion::new(rbm, order)?;
    check_magnetisations(&e, visible, hidden)?;
    Ok(e.gibbs(visible, hidden))
}

/// The residual max |f(h(m)) − m| of the fixed-point equations (T2) at
/// `order` over both layers, at magnetisations `visible` (`n_visible`) and
/// `hidden` (`n_hidden`). Same errors as [`tap_gibbs_free_energy`].
pub fn tap_residual(rbm: &Rbm, order: TapOrder, visible: &[f64], hidden: &[f64]) -> Result<f64> {
    let e = Expansion::new(rbm, order)?;
    check_magnetisations(&e, visible, hidden)?;
    Ok(e.residual(visible, hidden))
}

fn check_magnetisations(e: &Expansion, visible: &[f64], hidden: &[f64]) -> Result<()> {
    for (what, m, n, units) in [
        ("visible magnetisations", visible, e.nv, e.visible),
        ("hidden magnetisations", hidden, e.nh, e.hidden),
    ] {
        if m.len() != n {
            return Err(Error::ShapeMismatch {
                what: what.into(),
                expected: format!("{n} values"),
                found: format!("{} values", m.len()),
            });
        }
        if let Some((i, x)) = m.iter().enumerate().find(|(_, &x)| !units.in_range(x)) {
            return Err(Error::invalid(
                "magnetisation",
                x,
                format!(
                    "a mean in [{}, 1] ({what}, element {i})",
                    if units == Discrete::Spin { -1 } else { 0 }
                ),
            ));
        }
    }
    Ok(())
}

/// The TAP estimate of ln Z at `options.order`, from the fixed point the
/// damped iteration reaches when started at the free units' means
/// m_i = f(b_i), m_j = f(c_j).
///
/// # Errors
/// [`Error::InvalidParameter`] for Gaussian units or options out of range;
/// [`Error::NotConverged`] when the residual of (T2) is still above the
/// tolerance after `options.max_iterations` sweeps, or a magnetisation is
/// no longer finite (it names the order, the sweeps and the residual).
pub fn tap_log_partition(rbm: &Rbm, options: &TapOptions) -> Result<TapEstimate> {
    options.check()?;
    let e = Expansion::new(rbm, options.order)?;
    let visible: Vec<f64> = e.b.iter().map(|&b| e.visible.mean(b)).collect();
    let hidden: Vec<f64> = e.c.iter().map(|&c| e.hidden.mean(c)).collect();
    solve(&e, options, visible, hidden)
}

/// As [`tap_log_partition`], started from given magnetisations
/// (`visible`: `n_visible`, `hidden`: `n_hidden`, in the units' ranges).
pub fn tap_log_partition_from(
    rbm: &Rbm,
    options: &TapOptions,
    visible: &[f64],
    hidden: &[f64],
) -> Result<TapEstimate> {
    options.check()?;
    let e = Expansion::new(rbm, options.order)?;
    check_magnetisations(&e, visible, hidden)?;
    solve(&e, options, visible.to_vec(), hidden.to_vec())
}

fn solve(
    e: &Expansion,
    options: &TapOptions,
    mut mv: Vec<f64>,
    mut mh: Vec<f64>,
) -> Result<TapEstimate> {
    let d = options.damping;
    let mut residual = e.residual(&mv, &mh);
    let mut iterations = 0;
    // A NaN residual is not converged: it stops at the first check.
    while residual.is_nan() || residual > options.tolerance {
        if iterations == options.max_iterations || !residual.is_finite() {
            return Err(Error::NotConverged {
                what: format!(
                    "the {} fixed point (damping {d})",
                    options.order.name().to_uppercase()
                ),
                iterations,
                residual,
                tolerance: options.tolerance,
            });
        }
        let hv = e.visible_fields(&mv, &mh);
        for (m, h) in mv.iter_mut().zip(hv) {
            *m = d * *m + (1.0 - d) * e.visible.mean(h);
        }
        let hh = e.hidden_fields(&mv, &mh);
        for (m, h) in mh.iter_mut().zip(hh) {
            *m = d * *m + (1.0 - d) * e.hidden.mean(h);
        }
        iterations += 1;
        residual = e.residual(&mv, &mh);
    }
    Ok(TapEstimate {
        order: options.order,
        log_z: -e.gibbs(&mv, &mh),
        visible: mv,
        hidden: mh,
        iterations,
        residual,
    })
}
