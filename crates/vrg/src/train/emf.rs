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
//! (the trainer's `visible_means`).
//!
//! Boltzmann.jl (the authors' code) uses 3 sweeps with damping ½, the
//! defaults of `--tap-iterations` and `--tap-damping`; `--tap-tolerance`
//! stops an update's sweeps once no magnetisation moved by more than it.
//! The gradient of step 2 is that of ln Z_TAP only at a fixed point: on
//! binarised MNIST (784×500, 5 epochs, 20 magnetisations) the AIS test
//! log-likelihood went from −178 nats with 3 sweeps to −141 with 10 and
//! −130 with 30 (PCD-1: −123; `benches/RESULTS.md`, issue #17).
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
/// by damped TAP sweeps, at most `iterations` and no more once a sweep
/// moved no magnetisation by more than `tolerance`; W from `weights`.
/// Returns the sweeps done.
#[allow(clippy::too_many_arguments)]
pub(super) fn negative_phase(
    rbm: &Rbm,
    weights: &AlignedRows,
    order: TapOrder,
    iterations: usize,
    tolerance: f32,
    damping: f32,
    chains: usize,
    visible: &mut [f32],
    hidden: &mut [f32],
    work: &mut EmfWork,
) -> usize {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let ws = weights.stride();
    let powers = match order {
        TapOrder::First => 1,
        TapOrder::Second => 2,
        TapOrder::Third => 3,
    };
    // W² and W³ (row-major n_visible × n_hidden), as the order needs.
    for (power, out) in [(2, &mut work.w2), (3, &mut work.w3)] {
        if power > powers {
            break;
        }
        out.resize(nv * nh, 0.0);
        for (row, out) in weights.as_slice().chunks(ws).zip(out.chunks_exact_mut(nh)) {
            for (x, &w) in out.iter_mut().zip(&row[..nh]) {
                *x = if power == 2 { w * w } else { w * w * w };
            }
        }
    }
    let vu = visible_discrete(rbm.visible_units());
    let hu = hidden_discrete(rbm.hidden_units());
    work.field.resize(chains * nv.max(nh), 0.0);
    // Damped sweeps, visible layer first.
    for done in 1..=iterations {
        let mut largest_change = 0.0f32;
        for side in [Side::Visible, Side::Hidden] {
            largest_change = largest_change.max(sweep(
                rbm, weights, order, damping, chains, visible, hidden, side, vu, hu, work,
            ));
        }
        if largest_change <= tolerance {
            return done;
        }
    }
    iterations
}

/// The element-wise power Wᵏ (k = 1, 2, 3) of the weights as the right
/// operand of a product giving `side`'s fields: (Wᵏ)ᵀ for the visible
/// layer, Wᵏ for the hidden layer.
fn power<'a>(
    weights: &'a AlignedRows,
    (w2, w3): (&'a [f32], &'a [f32]),
    k: usize,
    side: Side,
) -> Operand<'a> {
    let (nv, nh) = (weights.rows(), weights.cols());
    let w = match k {
        1 => Operand::with_stride(weights.as_slice(), nv, nh, weights.stride()),
        2 => Operand::new(w2, nv, nh),
        _ => Operand::new(w3, nv, nh),
    };
    match side {
        Side::Visible => w.t(),
        Side::Hidden => w,
    }
}

/// `out = κ(m_other) · Wᵏ` (oriented for the updated side): the other
/// layer's cumulants κ₂ or κ₃ of its `chains` magnetisation rows `other`
/// (`n_other` each, written to `kappa`) times `w_power`, the element-wise
/// power W² or W³ of the weights from [`power`]; the sums behind the
/// order-2 and order-3 reaction terms of (T2) in [`crate::estimate::tap`].
fn reaction_product(
    out: &mut Vec<f32>,
    kappa: &mut Vec<f32>,
    other: &[f32],
    cumulant: impl Fn(f64) -> f64,
    w_power: Operand<'_>,
    chains: usize,
) {
    let n_other = other.len() / chains.max(1);
    kappa.resize(chains * n_other, 0.0);
    for (k, &m) in kappa.iter_mut().zip(other) {
        *k = cumulant(f64::from(m)) as f32;
    }
    let n = if w_power.transposed {
        w_power.rows
    } else {
        w_power.cols
    };
    out.resize(chains * n, 0.0);
    gemm(
        out,
        Operand::new(kappa, chains, n_other),
        w_power,
        1.0,
        false,
    );
}

/// One damped update of `side`'s magnetisations given the other layer's;
/// returns the largest change of a magnetisation.
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
) -> f32 {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
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
    let powers = (&work.w2[..], &work.w3[..]);
    let field = &mut work.field[..chains * n];
    gemm(
        field,
        Operand::new(other, chains, n_other),
        power(weights, powers, 1, side),
        1.0,
        false,
    );
    if order >= TapOrder::Second {
        reaction_product(
            &mut work.second,
            &mut work.kappa2,
            other,
            |m| other_units.kappa2(m),
            power(weights, powers, 2, side),
            chains,
        );
    }
    if order >= TapOrder::Third {
        reaction_product(
            &mut work.third,
            &mut work.kappa3,
            other,
            |m| other_units.kappa3(m),
            power(weights, powers, 3, side),
            chains,
        );
    }
    let mut largest_change = 0.0f32;
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
            let next = (f64::from(damping) * mi + (1.0 - f64::from(damping)) * target) as f32;
            largest_change = largest_change.max((next - *m).abs());
            *m = next;
        }
    }
    largest_change
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
