//! The exact partition function of an RBM, by enumerating the states of
//! one layer and summing the other out in closed form.
//!
//! With the hidden layer enumerated (Mehta & Schwab 2014, eq. 12),
//!
//! ln Z = ln Σ_h e^{−H(h)},  −H(h) = cᵀh + Σ_i ln Σ_{v_i} e^{v_i a_i},  a = b + Wh,
//!
//! where the per-unit sum is softplus(a_i) for Bernoulli, ln 2cosh(a_i) for
//! spin and ½a_i² − ½b_i² + ½ ln 2π for Gaussian visible units; with the
//! visible layer enumerated (discrete units only), symmetrically
//! −H(v) = bᵀv + Σ_j ln Σ_{h_j} e^{h_j x_j}, x = c + Wᵀv, where the
//! per-unit term is ½x_j² + ½ ln 2π for Gaussian hidden units (which
//! cannot be enumerated: an RBM with Gaussian hidden units is summed over
//! its visible layer). The sum over 2ⁿ states is a log-sum-exp in f64.
//!
//! The states are visited in Gray-code order inside blocks of
//! [`BLOCK_BITS`] bits: consecutive states differ in one unit, so the other
//! layer's input a changes by one column of W (m multiply-adds) instead of
//! being recomputed (n·m); each block starts from a directly computed input,
//! which bounds the rounding drift of the updates. Blocks run in parallel
//! and their partial sums are combined in block order, so the result does
//! not depend on the thread count. The cost is 2ⁿ·m evaluations of
//! e^{−|a|}, each fused with its update a ← a ± w_j into one pass
//! ([`crate::linalg::log_sums::axpy_log_sum`]: the logarithms of the per-unit factors
//! 1 + e^{−|a|} are taken once per state, of their product). A blocked
//! product (the inputs of 2^k states at once as a matrix product) would cost
//! n multiply-adds per input against the walk's one, so the walk stays.
//!
//! # References
//! - P. Mehta and D. J. Schwab, "An exact mapping between the Variational
//!   Renormalization Group and Deep Learning", arXiv:1410.3831 (2014).
//! - R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep
//!   belief networks", ICML 2008, §3 (ln Z of small RBMs by enumeration).

use super::layer_sums;
use crate::linalg;
use crate::linalg::log_sums::{axpy_log_sum, scaled_log1p_sum, LogSum};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::{Error, Result};
use rayon::prelude::*;

/// Largest number of units this module enumerates (2³⁴ states; each
/// costs one pass over the other layer).
pub const MAX_ENUMERATED_UNITS: usize = 34;

/// States per block (Gray-code walk between direct recomputations).
pub const BLOCK_BITS: usize = 12;

/// Which layer's states are enumerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Visible,
    Hidden,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Visible => "visible",
            Layer::Hidden => "hidden",
        }
    }
}

/// ln Z with how it was computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExactLogZ {
    pub log_z: f64,
    /// The layer whose states were summed over.
    pub enumerated: Layer,
    /// Number of states summed (2ⁿ).
    pub states: u64,
}

/// The layer [`log_partition_exact`] enumerates: the smaller one of those
/// with discrete units (the hidden layer on a tie, or when the visible
/// units are Gaussian; the visible layer when the hidden units are
/// Gaussian, whatever its size).
pub fn smaller_layer(rbm: &Rbm) -> Layer {
    let visible_smaller = rbm.visible_units().is_discrete() && rbm.n_visible() < rbm.n_hidden();
    if !rbm.hidden_units().is_discrete() || visible_smaller {
        Layer::Visible
    } else {
        Layer::Hidden
    }
}

/// Exact ln Z, enumerating [`smaller_layer`].
pub fn log_partition_exact(rbm: &Rbm) -> Result<ExactLogZ> {
    let layer = smaller_layer(rbm);
    let log_z = log_partition_enumerating(rbm, layer)?;
    let n = match layer {
        Layer::Visible => rbm.n_visible(),
        Layer::Hidden => rbm.n_hidden(),
    };
    Ok(ExactLogZ {
        log_z,
        enumerated: layer,
        states: 1u64 << n,
    })
}

/// Exact ln Z by summing over every state of `layer`. Errors if that layer
/// has Gaussian units or more than [`MAX_ENUMERATED_UNITS`] units (for
/// Gaussian hidden units: more visible units than that).
pub fn log_partition_enumerating(rbm: &Rbm, layer: Layer) -> Result<f64> {
    let problem = Enumeration::new(rbm, layer)?;
    let bits = BLOCK_BITS.min(problem.n);
    let blocks = 1usize << (problem.n - bits);
    // (max, Σ e^{x − max}) of each block, combined in block order.
    let partial: Vec<(f64, f64)> = (0..blocks)
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; problem.m], vec![0.0f64; problem.m]),
            |(input, scratch), block| problem.block(block, bits, input, scratch),
        )
        .collect();
    let max = partial
        .iter()
        .map(|&(m, _)| m)
        .fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = partial.iter().map(|&(m, s)| s * (m - max).exp()).sum();
    Ok(max + sum.ln())
}

/// How the other layer's units sum out.
#[derive(Clone, Copy, Debug)]
enum Other {
    /// softplus(a)
    Bernoulli,
    /// ln 2cosh(a)
    Spin,
    /// ½a² plus a constant (Gaussian visible or hidden units).
    Gaussian,
}

/// The sum over the enumerated layer's states x (n units, {0,1} or ±1):
/// log-weight(x) = own_biasᵀx + constant + Σ_i f(a_i), a = other_bias + Σ_j x_j w_j.
struct Enumeration {
    n: usize,
    m: usize,
    spin: bool,
    /// Row j: the weights of enumerated unit j to the other layer (m values).
    weights: Vec<f64>,
    own_bias: Vec<f64>,
    other_bias: Vec<f64>,
    other: Other,
    constant: f64,
    /// The product walk's tables ([`ProductWalk`]); `None` for Gaussian units.
    products: Option<ProductWalk>,
}

/// Tables of the product walk: with e_i = e^{s·a_i} (s = 1 for softplus,
/// 2 for ln 2cosh), flipping unit j multiplies e by e^{±s·d·w_j} (d the
/// unit's step, 1 or 2), and Σ_i f(a_i) = Σ_i ln(1 + e_i) for softplus,
/// −Σ_i a_i + Σ_i ln(1 + e_i) for ln 2cosh (ln 2cosh a = −a + ln(1 + e^{2a})),
/// summed by [`scaled_log1p_sum`] without an exponential per element.
struct ProductWalk {
    /// s: 1 (softplus) or 2 (ln 2cosh).
    scale: f64,
    /// Row j: e^{s·d·w_j} (unit j switched on) and e^{−s·d·w_j} (off).
    on: Vec<f64>,
    off: Vec<f64>,
    /// Σ_i w_ji per enumerated unit (tracks Σ_i a_i for ln 2cosh).
    row_sums: Vec<f64>,
    /// Σ_{j < bits} d·|w_ji| per other unit i: how far a_i can move within a block.
    reach: Vec<f64>,
}

/// A block takes the product walk when every s·a_i stays within ±this during
/// it, so that e^{s·a_i} stays a normal, finite f64 (e^{±600} ≈ 10^{±261}).
const PRODUCT_WALK_LIMIT: f64 = 600.0;

impl Enumeration {
    fn new(rbm: &Rbm, layer: Layer) -> Result<Self> {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        let w: Vec<f64> = rbm.weights().iter().map(|&x| f64::from(x)).collect();
        let b: Vec<f64> = rbm.visible_bias().iter().map(|&x| f64::from(x)).collect();
        let c: Vec<f64> = rbm.hidden_bias().iter().map(|&x| f64::from(x)).collect();
        let (n, m) = match layer {
            Layer::Visible => (nv, nh),
            Layer::Hidden => (nh, nv),
        };
        if n > MAX_ENUMERATED_UNITS && layer == Layer::Visible && !rbm.hidden_units().is_discrete()
        {
            return Err(Error::invalid(
                "n_visible",
                n,
                format!(
                    "at most {MAX_ENUMERATED_UNITS} visible units for exact ln Z with Gaussian \
                     hidden units (they cannot be enumerated, so the visible layer is); use AIS"
                ),
            ));
        }
        if n > MAX_ENUMERATED_UNITS {
            return Err(Error::TooManySpins {
                n_spins: n,
                max_spins: MAX_ENUMERATED_UNITS,
            });
        }
        let mut problem = match layer {
            Layer::Visible => {
                if !rbm.visible_units().is_discrete() {
                    return Err(Error::InvalidParameter {
                        name: "enumerated layer",
                        value: "visible".into(),
                        expected: "a layer of discrete units (Gaussian visible units are integrated, not enumerated: enumerate the hidden layer)".into(),
                    });
                }
                Enumeration {
                    n,
                    m,
                    spin: rbm.visible_units() == VisibleUnits::Spin,
                    weights: w,
                    own_bias: b,
                    other_bias: c,
                    other: match rbm.hidden_units() {
                        HiddenUnits::Bernoulli => Other::Bernoulli,
                        HiddenUnits::Spin => Other::Spin,
                        HiddenUnits::Gaussian => Other::Gaussian,
                    },
                    // ½ ln 2π per Gaussian hidden unit (½x² is `Other::Gaussian`).
                    constant: if rbm.hidden_units().is_discrete() {
                        0.0
                    } else {
                        nh as f64 * crate::rbm::HALF_LN_2PI
                    },
                    products: None,
                }
            }
            Layer::Hidden => {
                if !rbm.hidden_units().is_discrete() {
                    return Err(Error::InvalidParameter {
                        name: "enumerated layer",
                        value: "hidden".into(),
                        expected: "a layer of discrete units (Gaussian hidden units are integrated, not enumerated: enumerate the visible layer)".into(),
                    });
                }
                // Columns of W as rows.
                let mut columns = vec![0.0f64; nh * nv];
                for i in 0..nv {
                    for j in 0..nh {
                        columns[j * nv + i] = w[i * nh + j];
                    }
                }
                let (other, constant) = match rbm.visible_units() {
                    VisibleUnits::Bernoulli => (Other::Bernoulli, 0.0),
                    VisibleUnits::Spin => (Other::Spin, 0.0),
                    // ½a² − ½b² + ½ ln 2π per unit (units.rs).
                    VisibleUnits::Gaussian => (
                        Other::Gaussian,
                        b.iter()
                            .map(|&bi| -0.5 * bi * bi + crate::rbm::HALF_LN_2PI)
                            .sum(),
                    ),
                };
                Enumeration {
                    n,
                    m,
                    spin: rbm.hidden_units() == HiddenUnits::Spin,
                    weights: columns,
                    own_bias: c,
                    other_bias: b,
                    other,
                    constant,
                    products: None,
                }
            }
        };
        problem.products = problem.product_walk();
        Ok(problem)
    }

    /// The product walk's tables for discrete other units.
    fn product_walk(&self) -> Option<ProductWalk> {
        let scale = match self.other {
            Other::Bernoulli => 1.0,
            Other::Spin => 2.0,
            Other::Gaussian => return None,
        };
        let step = if self.spin { 2.0 } else { 1.0 };
        let on: Vec<f64> = self
            .weights
            .iter()
            .map(|&w| (scale * step * w).exp())
            .collect();
        let off: Vec<f64> = self
            .weights
            .iter()
            .map(|&w| (-scale * step * w).exp())
            .collect();
        let row_sums = self
            .weights
            .chunks_exact(self.m.max(1))
            .map(|row| row.iter().sum())
            .collect();
        let bits = BLOCK_BITS.min(self.n);
        let mut reach = vec![0.0f64; self.m];
        for row in self.weights.chunks_exact(self.m.max(1)).take(bits) {
            for (r, &w) in reach.iter_mut().zip(row) {
                *r += step * w.abs();
            }
        }
        Some(ProductWalk {
            scale,
            on,
            off,
            row_sums,
            reach,
        })
    }

    /// The value of unit j in state `x` (bit j).
    fn unit(&self, x: u64, j: usize) -> f64 {
        let on = (x >> j) & 1 == 1;
        match (self.spin, on) {
            (_, true) => 1.0,
            (true, false) => -1.0,
            (false, false) => 0.0,
        }
    }

    /// Σ_i f(a_i) + constant.
    fn other_sum(&self, a: &[f64]) -> f64 {
        self.constant
            + match self.other {
                Other::Bernoulli => layer_sums::softplus_sum_f64(a),
                Other::Spin => layer_sums::ln_2cosh_sum_f64(a),
                Other::Gaussian => 0.5 * a.iter().map(|x| x * x).sum::<f64>(),
            }
    }

    /// a ← a + δ·w, then Σ_i f(a_i) + constant over the new a (one pass for
    /// discrete units: [`crate::linalg::log_sums::axpy_log_sum`]).
    fn update_and_sum(&self, a: &mut [f64], delta: f64, w: &[f64]) -> f64 {
        match self.other {
            Other::Bernoulli => self.constant + axpy_log_sum(LogSum::Softplus, a, delta, w),
            Other::Spin => self.constant + axpy_log_sum(LogSum::Ln2Cosh, a, delta, w),
            Other::Gaussian => {
                linalg::axpy_f64(a, delta, w);
                self.other_sum(a)
            }
        }
    }

    /// (max, Σ e^{x − max}) over the log-weights of the states of one block:
    /// Gray codes g(s) = s ⊕ (s ≫ 1) for s in block·2^bits .. (block+1)·2^bits.
    fn block(&self, block: usize, bits: usize, a: &mut [f64], e: &mut [f64]) -> (f64, f64) {
        let first = (block as u64) << bits;
        let gray = |s: u64| s ^ (s >> 1);
        let mut x = gray(first);
        // The first state's input and own term, directly.
        a.copy_from_slice(&self.other_bias);
        let mut own = 0.0;
        for j in 0..self.n {
            let xj = self.unit(x, j);
            if xj != 0.0 {
                linalg::axpy_f64(a, xj, &self.weights[j * self.m..(j + 1) * self.m]);
                own += xj * self.own_bias[j];
            }
        }
        let states = 1u64 << bits;
        let mut values = Vec::with_capacity(states as usize);
        let walk = self.products.as_ref().filter(|p| {
            a.iter()
                .zip(&p.reach)
                .all(|(&ai, &r)| p.scale * (ai.abs() + r) <= PRODUCT_WALK_LIMIT)
        });
        if let Some(p) = walk {
            // The product walk: e_i = e^{s·a_i}, multiplied at each flip.
            for (ei, &ai) in e.iter_mut().zip(a.iter()) {
                *ei = (p.scale * ai).exp();
            }
            let spin_other = matches!(self.other, Other::Spin);
            let mut sum_a: f64 = if spin_other { a.iter().sum() } else { 0.0 };
            values.push(own + self.constant - sum_a + scaled_log1p_sum(e, None));
            for s in first + 1..first + states {
                let j = s.trailing_zeros() as usize;
                let (before, after) = (self.unit(x, j), self.unit(x ^ (1 << j), j));
                x ^= 1 << j;
                let delta = after - before;
                own += delta * self.own_bias[j];
                if spin_other {
                    sum_a += delta * p.row_sums[j];
                }
                let table = if delta > 0.0 { &p.on } else { &p.off };
                let factor = &table[j * self.m..(j + 1) * self.m];
                values.push(own + self.constant - sum_a + scaled_log1p_sum(e, Some(factor)));
            }
        } else {
            values.push(own + self.other_sum(a));
            for s in first + 1..first + states {
                // g(s) differs from g(s − 1) in bit trailing_zeros(s).
                let j = s.trailing_zeros() as usize;
                let (before, after) = (self.unit(x, j), self.unit(x ^ (1 << j), j));
                x ^= 1 << j;
                let delta = after - before;
                own += delta * self.own_bias[j];
                let w = &self.weights[j * self.m..(j + 1) * self.m];
                values.push(own + self.update_and_sum(a, delta, w));
            }
        }
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum = values.iter().map(|&v| (v - max).exp()).sum();
        (max, sum)
    }
}
