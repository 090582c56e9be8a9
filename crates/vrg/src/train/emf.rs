//! The negative phase of EMF training (Gabrié, Tramel & Krzakala 2015):
//! the model's statistics come from the TAP free energy
//! ([`crate::estimate::tap`]) at its fixed point instead of from Gibbs
//! chains.
//!
//! Each persistent "chain" is a pair of magnetisations (m_v, m_h), both
//! kept across updates and in checkpoints (`train.visible_chains`,
//! `n_chains × n_visible`, and `train.chains`, `n_chains × n_hidden`), as
//! the persistent magnetisations of §3 of the paper and of Boltzmann.jl.
//! They start from random training rows and their hidden means. Per update:
//! 1. `iterations` damped sweeps of the TAP equations (eq. T2 of
//!    [`crate::estimate::tap`]), visible layer first:
//!    m_v ← d·m_v + (1 − d)·f(b + W m_h + ½κ₂′(m_v)·W²κ₂(m_h) + ⅙κ₃′(m_v)·W³κ₃(m_h)),
//!    then the same for m_h given the new m_v (the third-order terms only
//!    at order 3);
//! 2. the gradient of ln Z_TAP = −Γ(m*) (the envelope theorem: at the
//!    fixed point ∂Γ/∂m = 0, so only the explicit dependence counts):
//!    ∂ln Z/∂b_i = m_i, ∂ln Z/∂c_j = m_j and
//!    ∂ln Z/∂W_ij = m_i m_j + W_ij κ₂(m_i) κ₂(m_j) + ½ W_ij² κ₃(m_i) κ₃(m_j),
//!    averaged over the chains: the negative statistics of the update.
//!
//! A checkpoint written before the visible magnetisations were kept has
//! only m_h; m_v then restarts once from the naive mean field f(b + W m_h)
//! ([`naive_visible`]).
//!
//! Boltzmann.jl (the authors' code) uses 3 sweeps with damping ½, the
//! defaults of `--tap-iterations` and `--tap-damping`. The sweeps are not
//! iterated to convergence: as with PCD's one Gibbs step, the persistent
//! magnetisations follow the slowly changing model.
//!
//! # References
//! - M. Gabrié, E. W. Tramel and F. Krzakala, "Training Restricted
//!   Boltzmann Machines via the Thouless-Anderson-Palmer free energy",
//!   NeurIPS 2015, eqs. (4)–(7) and §3 (persistent magnetisations).

use crate::estimate::tap::{Discrete, TapOrder};
use crate::linalg::aligned::AlignedRows;
use crate::linalg::{gemm, Operand};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// Scratch buffers of the EMF negative phase, allocated once.
#[derive(Clone, Debug, Default)]
pub(super) struct EmfWork {
    /// W² and W³, row-major n_visible × n_hidden.
    w2: Vec<f32>,
    w3: Vec<f32>,
    /// Fields of one layer (chains × n), and the cumulant rows of the other.
    field: Vec<f32>,
    second: Vec<f32>,
    third: Vec<f32>,
    kappa2: Vec<f32>,
    kappa3: Vec<f32>,
    /// The cumulants of both layers, for the gradient's correction.
    kappa2_v: Vec<f32>,
    kappa3_v: Vec<f32>,
    kappa2_h: Vec<f32>,
    kappa3_h: Vec<f32>,
}

fn visible_discrete(units: VisibleUnits) -> Discrete {
    match units {
        VisibleUnits::Spin => Discrete::Spin,
        // Gaussian units are refused before training (trainer.rs).
        _ => Discrete::Bernoulli,
    }
}

fn hidden_discrete(units: HiddenUnits) -> Discrete {
    match units {
        HiddenUnits::Spin => Discrete::Spin,
        _ => Discrete::Bernoulli,
    }
}

/// Which layer a sweep updates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Visible,
    Hidden,
}

/// The EMF negative phase: the persistent magnetisations `visible`
/// (`chains × n_visible`) and `hidden` (`chains × n_hidden`) are advanced
/// by `iterations` damped TAP sweeps; W from `weights`.
#[allow(clippy::too_many_arguments)]
pub(super) fn negative_phase(
    rbm: &Rbm,
    weights: &AlignedRows,
    order: TapOrder,
    iterations: usize,
    damping: f32,
    chains: usize,
    visible: &mut [f32],
    hidden: &mut [f32],
    work: &mut EmfWork,
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let ws = weights.stride();
    if order >= TapOrder::Second {
        work.w2.resize(nv * nh, 0.0);
        if order >= TapOrder::Third {
            work.w3.resize(nv * nh, 0.0);
        }
        for i in 0..nv {
            let row = &weights.as_slice()[i * ws..i * ws + nh];
            for (j, &w) in row.iter().enumerate() {
                work.w2[i * nh + j] = w * w;
                if order >= TapOrder::Third {
                    work.w3[i * nh + j] = w * w * w;
                }
            }
        }
    }
    let vu = visible_discrete(rbm.visible_units());
    let hu = hidden_discrete(rbm.hidden_units());
    work.field.resize(chains * nv.max(nh), 0.0);
    // Damped sweeps, visible layer first.
    for _ in 0..iterations {
        for side in [Side::Visible, Side::Hidden] {
            sweep(
                rbm, weights, order, damping, chains, visible, hidden, side, vu, hu, work,
            );
        }
    }
}

/// The naive mean-field visible magnetisations m_v = f(b + W m_h) of the
/// hidden magnetisations `hidden` (`chains × n_hidden`), written to
/// `visible` (`chains × n_visible`): the start of m_v when a checkpoint
/// holds only m_h.
pub(super) fn naive_visible(
    rbm: &Rbm,
    weights: &AlignedRows,
    chains: usize,
    hidden: &[f32],
    visible: &mut [f32],
    work: &mut EmfWork,
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let w = Operand::with_stride(weights.as_slice(), nv, nh, weights.stride());
    let vu = visible_discrete(rbm.visible_units());
    let field = &mut work.field;
    field.resize(chains * nv.max(nh), 0.0);
    let f = &mut field[..chains * nv];
    gemm(f, Operand::new(hidden, chains, nh), w.t(), 1.0, false);
    for (row, out) in f.chunks_exact(nv).zip(visible.chunks_exact_mut(nv)) {
        for ((x, m), &b) in row.iter().zip(out.iter_mut()).zip(rbm.visible_bias()) {
            *m = vu.mean(f64::from(x + b)) as f32;
        }
    }
}

/// W (n_visible × n_hidden) as the right operand of a product giving
/// `side`'s fields: Wᵀ for the visible layer, W for the hidden layer.
fn oriented(w: Operand<'_>, side: Side) -> Operand<'_> {
    match side {
        Side::Visible => w.t(),
        Side::Hidden => w,
    }
}

/// Sizes of one sweep: `chains` magnetisation rows, `n` units on the
/// updated side and `n_other` on the other, the weight matrix `nv × nh`,
/// and which side is updated.
#[derive(Clone, Copy)]
struct Shape {
    chains: usize,
    n: usize,
    n_other: usize,
    nv: usize,
    nh: usize,
    side: Side,
}

/// `out = κ(m_other) · Wᵏ` (oriented for `shape.side`): the other layer's
/// cumulants κ₂ or κ₃ of its magnetisations `other` (written to `kappa`)
/// times the element-wise power `w_power` = W² or W³ of the weights, the
/// sums behind the order-2 and order-3 reaction terms of (T2) in
/// [`crate::estimate::tap`].
fn reaction_product(
    out: &mut Vec<f32>,
    kappa: &mut Vec<f32>,
    other: &[f32],
    cumulant: impl Fn(f64) -> f64,
    w_power: &[f32],
    shape: Shape,
) {
    let Shape {
        chains,
        n,
        n_other,
        nv,
        nh,
        side,
    } = shape;
    kappa.resize(chains * n_other, 0.0);
    for (k, &m) in kappa.iter_mut().zip(other) {
        *k = cumulant(f64::from(m)) as f32;
    }
    out.resize(chains * n, 0.0);
    gemm(
        out,
        Operand::new(kappa, chains, n_other),
        oriented(Operand::new(w_power, nv, nh), side),
        1.0,
        false,
    );
}

/// One damped update of `side`'s magnetisations given the other layer's.
#[allow(clippy::too_many_arguments)]
fn sweep(
    rbm: &Rbm,
    weights: &AlignedRows,
    order: TapOrder,
    damping: f32,
    chains: usize,
    visible: &mut [f32],
    hidden: &mut [f32],
    side: Side,
    vu: Discrete,
    hu: Discrete,
    work: &mut EmfWork,
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let ws = weights.stride();
    let w = Operand::with_stride(weights.as_slice(), nv, nh, ws);
    let (own, other, n, n_other, own_units, other_units, bias): (
        &mut [f32],
        &[f32],
        usize,
        usize,
        Discrete,
        Discrete,
        &[f32],
    ) = match side {
        Side::Visible => (visible, hidden, nv, nh, vu, hu, rbm.visible_bias()),
        Side::Hidden => (hidden, visible, nh, nv, hu, vu, rbm.hidden_bias()),
    };
    // The other layer's magnetisations times W (or Wᵀ), and its cumulants
    // times W² and W³.
    let field = &mut work.field[..chains * n];
    gemm(
        field,
        Operand::new(other, chains, n_other),
        oriented(w, side),
        1.0,
        false,
    );
    let shape = Shape {
        chains,
        n,
        n_other,
        nv,
        nh,
        side,
    };
    if order >= TapOrder::Second {
        reaction_product(
            &mut work.second,
            &mut work.kappa2,
            other,
            |m| other_units.kappa2(m),
            &work.w2,
            shape,
        );
    }
    if order >= TapOrder::Third {
        reaction_product(
            &mut work.third,
            &mut work.kappa3,
            other,
            |m| other_units.kappa3(m),
            &work.w3,
            shape,
        );
    }
    for (r, (row, out)) in field
        .chunks_exact(n)
        .zip(own.chunks_exact_mut(n))
        .enumerate()
    {
        for (k, (&x, m)) in row.iter().zip(out.iter_mut()).enumerate() {
            let mi = f64::from(*m);
            let mut h = f64::from(x) + f64::from(bias[k]);
            if order >= TapOrder::Second {
                h += 0.5 * own_units.kappa2_slope(mi) * f64::from(work.second[r * n + k]);
            }
            if order >= TapOrder::Third {
                h += own_units.kappa3_slope(mi) / 6.0 * f64::from(work.third[r * n + k]);
            }
            let target = own_units.mean(h);
            *m = (f64::from(damping) * mi + (1.0 - f64::from(damping)) * target) as f32;
        }
    }
}

/// The chains' sums behind the Onsager part of the negative statistics,
/// C₂ = Σ_chains κ₂(m_i) κ₂(m_j) and C₃ = Σ_chains κ₃(m_i) κ₃(m_j)
/// (`n_visible × n_hidden`, kept in `work` for [`add_onsager_gradient`]),
/// from the magnetisations `visible` (`chains × n_visible`) and `hidden`
/// (`chains × n_hidden`).
pub(super) fn onsager_statistics(
    rbm: &Rbm,
    order: TapOrder,
    chains: usize,
    visible: &[f32],
    hidden: &[f32],
    work: &mut EmfWork,
) {
    if order < TapOrder::Second {
        return;
    }
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let vu = visible_discrete(rbm.visible_units());
    let hu = hidden_discrete(rbm.hidden_units());
    // Σ_chains κ(m_i) κ(m_j) = κ_vᵀ κ_h for one cumulant κ of both layers.
    let cross_sum = |kappa: fn(Discrete, f64) -> f64,
                     kappa_v: &mut Vec<f32>,
                     kappa_h: &mut Vec<f32>,
                     out: &mut Vec<f32>| {
        for (units, m, buffer) in [(vu, visible, &mut *kappa_v), (hu, hidden, &mut *kappa_h)] {
            buffer.clear();
            buffer.extend(m.iter().map(|&x| kappa(units, f64::from(x)) as f32));
        }
        out.resize(nv * nh, 0.0);
        gemm(
            out,
            Operand::new(kappa_v, chains, nv).t(),
            Operand::new(kappa_h, chains, nh),
            1.0,
            false,
        );
    };
    cross_sum(
        Discrete::kappa2,
        &mut work.kappa2_v,
        &mut work.kappa2_h,
        &mut work.second,
    );
    if order >= TapOrder::Third {
        cross_sum(
            Discrete::kappa3,
            &mut work.kappa3_v,
            &mut work.kappa3_h,
            &mut work.third,
        );
    }
}

/// Adds to the gradient G (`n_visible × n_hidden`) the Onsager part of the
/// negative statistics times `scale` (−B/Bⁿ):
/// G_ij += scale · (W_ij C₂_ij + ½ W_ij² C₃_ij), with C₂, C₃ from
/// [`onsager_statistics`]. (The m_i m_j part is in the trainer's stacked
/// product.)
pub(super) fn add_onsager_gradient(
    rbm: &Rbm,
    weights: &AlignedRows,
    order: TapOrder,
    scale: f32,
    gradient: &mut AlignedRows,
    work: &EmfWork,
) {
    if order < TapOrder::Second {
        return;
    }
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let third = order >= TapOrder::Third;
    let (ws, gs) = (weights.stride(), gradient.stride());
    let g = gradient.as_mut_slice();
    for i in 0..nv {
        let w = &weights.as_slice()[i * ws..i * ws + nh];
        let row = &mut g[i * gs..i * gs + nh];
        for j in 0..nh {
            let mut term = w[j] * work.second[i * nh + j];
            if third {
                term += 0.5 * w[j] * w[j] * work.third[i * nh + j];
            }
            row[j] += scale * term;
        }
    }
}
