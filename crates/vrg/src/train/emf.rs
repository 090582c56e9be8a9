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
//! With `--tap-restarts R`, R of the magnetisations (in turn: (u·R + t)
//! mod n_chains at update u) restart at each update from rows of the batch,
//! m_v = v and m_h = E[h | v], before the sweeps. Without restarts, the
//! persistent magnetisations all settle in one TAP state: on binarised
//! MNIST (784×500, 20 epochs, 20 or 100 magnetisations, 10 undamped
//! sweeps) every one of them ended at the same fixed point, with −Γ 16–24
//! nats below the states reached from test images, so the negative phase
//! never pushed those states down and the model's ln Z ran away (AIS test
//! log-likelihood −120 and −114 nats against PCD-1's −101). With one or
//! two restarts per update the 20 magnetisations held 20 distinct states
//! and the model scored −103 to −104 (`benches/RESULTS.md`, issue #17).
//!
//! With `--tap-gibbs-chains G` as well, every other restart (the odd k of
//! the rotation k = u·R + t) starts instead from the visible sample v of
//! one of G persistent Gibbs chains (chain ⌊k/2⌋ mod G; m_v = v, m_h =
//! E[h | v]), which take one block Gibbs step h → v → h, as PCD's chains
//! do, before each update whose restarts use them
//! ([`step_gibbs_chains`]; their hidden states are kept in checkpoints as
//! `train.gibbs_chains`). Restarts from the batch alone find the states
//! near the data, as CD's chains do; the Gibbs chains' samples also reach
//! the states the model puts mass on away from the data, which the
//! negative phase must push down. On binarised MNIST (784×500, 20 epochs,
//! 20 magnetisations, 3 undamped sweeps, one restart per update, eight
//! seeds) G = 10 gained 0.55 ± 0.45 nats of test log-likelihood on
//! average, less than the 1.2–1.4 nats of spread between seeds
//! (`benches/RESULTS.md`, issue #17).
//!
//! With `--tap-weights boltzmann`, step 2 weighs each chain's statistics
//! by the Boltzmann weight of its TAP state, e^{−Γ_α} / Σ_β e^{−Γ_β}, in
//! place of 1/n: the negative statistics are then the gradient of
//! ln Σ_α e^{−Γ(m_α)}, the TAP estimate of ln Z as a sum over the states
//! the chains hold (each α at its own fixed point, so the envelope theorem
//! still holds state by state). Uniform weights treat every state found as
//! equally probable; restarts find states in proportion to the data, not
//! to the model's mass, so the states that hold most of it were pushed
//! down too little and the model's ln Z ran about 20 nats above PCD-1's.
//! −Γ of each state comes with the last sweep at no extra product: the
//! hidden update's fields W m_v, W² κ₂(m_v) and W³ κ₃(m_v) are those of
//! the final m_v, so −Γ is the hidden layer's sum Σ_j [S(m_j) + m_j (c_j +
//! (W m_v)_j) + ½κ₂(m_j)(W²κ₂(m_v))_j + ⅙κ₃(m_j)(W³κ₃(m_v))_j] plus the
//! visible layer's entropy and bias terms ([`block_state_log_z`]). On
//! binarised MNIST (784×500, 20 epochs, 20 magnetisations, 3 undamped
//! sweeps, one restart per update, bf16, eight seeds) the weights alone
//! brought TAP3 from 3.5 to 2.7 nats below PCD-1 on average; with
//! `--tap-gibbs-chains 10` as well, TAP3 averaged 1.6 and TAP2 1.7 nats
//! below PCD-1, every seed within 2.5, and the models' ln Z came within a
//! few nats of PCD-1's (`benches/RESULTS.md`, issue #17).
//!
//! A checkpoint written before the visible magnetisations were kept has
//! only m_h; m_v then restarts once from the naive mean field f(b + W m_h)
//! (the trainer's `visible_means`).
//!
//! Boltzmann.jl (the authors' code) uses 3 sweeps with damping ½, the
//! defaults of `--tap-iterations` and `--tap-damping`; `--tap-tolerance`
//! stops an update's sweeps once no magnetisation moved by more than it.
//! The gradient of step 2 is that of ln Z_TAP only at a fixed point: on
//! binarised MNIST (784×500, 20 epochs, 20 magnetisations, undamped, two
//! restarts) the AIS test log-likelihood went from −106.3 nats with 3
//! sweeps to −104.2 with 5 and −103.3 with 10 (PCD-1: −101.4;
//! `benches/RESULTS.md`, issue #17).
//!
//! The per-update cost is dominated by the sweeps' products with W, W²
//! and W³ ([`crate::linalg::powers`]), each a pass over W per layer. With
//! `--tap-precision bf16` they take W's powers and the magnetisations
//! rounded to bfloat16 ([`crate::linalg::powers_bf16`], packed once per
//! update for W and Wᵀ), where the processor's dot-product instruction does
//! two multiply-adds per lane: the sweeps then solve the TAP equations of
//! the rounded weights (relative error 2⁻⁸ per factor), while the TAP
//! update, the gradient and the parameters stay f32.
//!
//! Each chain's TAP equations involve only its own magnetisations, so the
//! chains are swept in blocks, one per thread, each block through a whole
//! sweep at a time: split product by product (tens of microseconds each),
//! the sweeps kept one thread busy while the other slept (on two threads,
//! 78 % of an EMF epoch's samples on one thread, against 46 % for PCD-1).
//!
//! # References
//! - M. Gabrié, E. W. Tramel and F. Krzakala, "Training Restricted
//!   Boltzmann Machines via the Thouless-Anderson-Palmer free energy",
//!   NeurIPS 2015, eqs. (4)–(7) and §3 (persistent magnetisations).

use super::phases::{hidden_kind, hidden_means, sample_in_place, visible_kind, visible_means};
use super::trainer::SPARSE_DENSITY;
use super::{TapPrecision, TapWeights};
use crate::estimate::tap::{Discrete, TapOrder};
use crate::linalg::aligned::AlignedRows;
use crate::linalg::dispatch::multiversion;
use crate::linalg::maths::{ln_f32, sigmoid_f32, tanh_f32};
use crate::linalg::powers::rows_times_powers;
use crate::linalg::powers_bf16::{self, PackedPowers};
use crate::linalg::sparse::SparseRows;
use crate::linalg::{gemm_with_stride, transpose_strided, Operand};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::rng::Rng;
use rayon::prelude::*;
use std::cell::RefCell;

/// Scratch buffers of the EMF negative phase, allocated once.
#[derive(Clone, Debug, Default)]
pub(super) struct EmfWork {
    /// Wᵀ, row-major n_hidden × n_visible: the visible fields' right
    /// operand in f32, transposed once per update (bf16 packs its powers
    /// from W directly).
    wt: Vec<f32>,
    /// W's and Wᵀ's powers in bfloat16, for the sweeps on processors
    /// with AVX512-BF16.
    packed_w: PackedPowers,
    packed_wt: PackedPowers,
    /// The sweeps' scratch, one per block of chains swept in parallel.
    blocks: Vec<SweepScratch>,
    /// The chains' cumulants of both layers (`chains × n`), the visible
    /// ones times each chain's factor, for the Onsager sums.
    kappa2_v: Vec<f32>,
    kappa3_v: Vec<f32>,
    kappa2_h: Vec<f32>,
    kappa3_h: Vec<f32>,
    /// The order, chains and layer sizes of the cumulants held after
    /// [`onsager_cumulants`] (`None` before, and at first order).
    onsager: Option<OnsagerShape>,
    /// −Γ(m_v, m_h) of each chain's magnetisations after the last sweep
    /// (with `--tap-weights boltzmann`; empty otherwise).
    state_log_z: Vec<f64>,
    /// Each chain's weight in the negative statistics times the number of
    /// chains, n·e^{−Γ_α} / Σ_β e^{−Γ_β} (with `--tap-weights boltzmann`;
    /// empty otherwise).
    factors: Vec<f32>,
}

/// One block of chains' sweep buffers: the fields of one layer (chains ×
/// n) and the reaction sums κ₂·W² and κ₃·W³ of the other layer's
/// cumulants, those cumulants, and the bfloat16 rows of the products.
#[derive(Clone, Debug, Default)]
struct SweepScratch {
    field: Vec<f32>,
    second: Vec<f32>,
    third: Vec<f32>,
    kappa2: Vec<f32>,
    kappa3: Vec<f32>,
    x_words: Vec<u32>,
    /// The hidden fields W m_v, kept through the update for −Γ.
    hidden_field: Vec<f32>,
    /// −Γ of each chain of the block after its last hidden update.
    state_log_z: Vec<f64>,
}

/// What every block's sweep reads: the model, the right operands of its
/// products, the order, the damping and the unit types.
struct SweepModel<'a> {
    rbm: &'a Rbm,
    products: SweepProducts<'a>,
    order: TapOrder,
    damping: f32,
    visible_units: Discrete,
    hidden_units: Discrete,
    /// Whether hidden updates also give −Γ of their chains' states.
    state_log_z: bool,
}

/// The right operands of the sweeps' products: W (for the hidden fields)
/// and Wᵀ (for the visible ones) in f32, or their powers packed in
/// bfloat16.
#[derive(Clone, Copy)]
enum SweepProducts<'a> {
    F32 {
        weights: &'a AlignedRows,
        wt: &'a [f32],
    },
    Bf16 {
        packed_w: &'a PackedPowers,
        packed_wt: &'a PackedPowers,
    },
}

/// Chains per block of the parallel sweeps: the chains split evenly among
/// the threads (each chain's TAP equations involve only its own
/// magnetisations, so the blocks are independent and the result does not
/// depend on the split), one block on one thread.
fn block_chains(chains: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    chains.div_ceil(threads).max(1)
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
/// moved no magnetisation by more than `tolerance`; W from `weights`,
/// its powers in bfloat16 for `precision` bf16 where the processor has
/// AVX512-BF16 (f32 otherwise). With `state_weights` Boltzmann, the
/// chains' weights in the negative statistics ([`EmfWork::factors`]) from
/// −Γ of their states after the last sweep. Returns the sweeps done.
#[allow(clippy::too_many_arguments)]
pub(super) fn negative_phase(
    rbm: &Rbm,
    weights: &AlignedRows,
    order: TapOrder,
    iterations: usize,
    tolerance: f32,
    damping: f32,
    precision: TapPrecision,
    state_weights: TapWeights,
    chains: usize,
    visible: &mut [f32],
    hidden: &mut [f32],
    work: &mut EmfWork,
) -> usize {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    // bfloat16 products only where the processor has them.
    let products = if precision == TapPrecision::Bf16 && powers_bf16::available() {
        let powers = order.order();
        let (w, stride) = (weights.as_slice(), weights.stride());
        work.packed_w.pack(w, stride, nv, nh, powers);
        // Wᵀ's powers straight from W, a tile at a time (no f32 Wᵀ).
        work.packed_wt.pack_transposed(w, stride, nv, nh, powers);
        SweepProducts::Bf16 {
            packed_w: &work.packed_w,
            packed_wt: &work.packed_wt,
        }
    } else {
        work.wt.resize(nh * nv, 0.0);
        transpose_strided(
            weights.as_slice(),
            weights.stride(),
            nv,
            nh,
            &mut work.wt,
            nv,
        );
        SweepProducts::F32 {
            weights,
            wt: &work.wt,
        }
    };
    let model = SweepModel {
        rbm,
        products,
        order,
        damping,
        visible_units: visible_discrete(rbm.visible_units()),
        hidden_units: hidden_discrete(rbm.hidden_units()),
        state_log_z: state_weights == TapWeights::Boltzmann,
    };
    // The chains in blocks, one per thread, for the whole of each sweep: a
    // sweep's products are too short to be split among threads one at a
    // time (the other threads wake too late to take part).
    let block = block_chains(chains);
    work.blocks
        .resize_with(chains.div_ceil(block).max(1), SweepScratch::default);
    let visible = &mut visible[..chains * nv];
    let hidden = &mut hidden[..chains * nh];
    // Damped sweeps, visible layer first.
    let mut done = iterations;
    for sweeps in 1..=iterations {
        let largest_change = visible
            .par_chunks_mut(block * nv)
            .zip(hidden.par_chunks_mut(block * nh))
            .zip(work.blocks.par_iter_mut())
            .map(|((visible, hidden), scratch)| {
                let rows = visible.len() / nv;
                let change = [Side::Visible, Side::Hidden]
                    .into_iter()
                    .map(|side| sweep(&model, rows, visible, hidden, side, scratch))
                    .fold(0.0f32, f32::max);
                // −Γ of the states this sweep leaves, if it may be the
                // last: the cap's, or one that meets the tolerance here
                // (the sweeps go on while any block moved more).
                if model.state_log_z && (sweeps == iterations || change <= tolerance) {
                    block_state_log_z(&model, rows, visible, hidden, scratch);
                }
                change
            })
            .reduce(|| 0.0, f32::max);
        if largest_change <= tolerance {
            done = sweeps;
            break;
        }
    }
    work.state_log_z.clear();
    work.factors.clear();
    if model.state_log_z {
        for block in &work.blocks {
            work.state_log_z.extend_from_slice(&block.state_log_z);
        }
        boltzmann_factors(&work.state_log_z, &mut work.factors);
    }
    done
}

/// `factors` ← n·e^{ℓ_α} / Σ_β e^{ℓ_β} for the n log-weights `log_z`
/// (ℓ_α = −Γ_α): each state's Boltzmann weight among the n, times n, so
/// that equal weights give factors of 1. Computed from ℓ_α − max ℓ.
fn boltzmann_factors(log_z: &[f64], factors: &mut Vec<f32>) {
    let top = log_z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = log_z.iter().map(|l| (l - top).exp()).sum();
    let n = log_z.len() as f64;
    factors.clear();
    factors.extend(log_z.iter().map(|l| (n * (l - top).exp() / total) as f32));
}

/// The seeds of the restarts from persistent Gibbs chains
/// (`--tap-gibbs-chains`): one block Gibbs step h → v → h of each chain,
/// whose hidden states `chains` (`G × n_hidden`) become samples of the new
/// hidden means; `visible` gets the step's visible samples
/// (`G × n_visible`) and `means` their hidden means E[h | v]
/// (`G × n_hidden`), the m_v and m_h a restarted magnetisation starts
/// from. The chains draw from `streams`,
/// chunk by chunk as PCD's chains do; `nonzeros` (Bernoulli visible units)
/// takes the visible samples' nonzeros, for the sparse product when they
/// are sparse enough.
pub(super) fn step_gibbs_chains(
    rbm: &Rbm,
    weights: &AlignedRows,
    chains: &mut [f32],
    (visible, means): (&mut Vec<f32>, &mut Vec<f32>),
    streams: &mut [Rng],
    nonzeros: Option<&mut SparseRows>,
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let rows = chains.len() / nh.max(1);
    visible.resize(rows * nv, 0.0);
    means.resize(rows * nh, 0.0);
    visible_means(rbm, weights, chains, rows, visible);
    let visible_units = visible_kind(rbm.visible_units());
    match nonzeros {
        Some(nonzeros) => {
            sample_in_place(visible, nv, visible_units, streams, None, Some(nonzeros));
            let sparse = (nonzeros.density() <= SPARSE_DENSITY).then_some(&*nonzeros);
            hidden_means(rbm, weights, visible, rows, means, nh, sparse);
        }
        None => {
            sample_in_place(visible, nv, visible_units, streams, None, None);
            hidden_means(rbm, weights, visible, rows, means, nh, None);
        }
    }
    let hidden_units = hidden_kind(rbm.hidden_units());
    sample_in_place(chains, nh, hidden_units, streams, Some((means, nh)), None);
}

/// One damped update of `side`'s magnetisations given the other layer's,
/// for a block of `chains` chains; returns the largest change of a
/// magnetisation. When the states are weighted, an update of the hidden
/// layer keeps its fields in `work.hidden_field` (with the reaction sums
/// in `work.second` and `work.third`) for [`block_state_log_z`].
fn sweep(
    model: &SweepModel<'_>,
    chains: usize,
    visible: &mut [f32],
    hidden: &mut [f32],
    side: Side,
    work: &mut SweepScratch,
) -> f32 {
    let rbm = model.rbm;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let (vu, hu) = (model.visible_units, model.hidden_units);
    // The updated layer and the other one; the other layer's magnetisations
    // times W (or Wᵀ) and its cumulants times W² and W³.
    let (own, other, own_units, other_units) = match side {
        Side::Visible => (visible, &*hidden, vu, hu),
        Side::Hidden => (hidden, &*visible, hu, vu),
    };
    let (n, bias) = match side {
        Side::Visible => (nv, rbm.visible_bias()),
        Side::Hidden => (nh, rbm.hidden_bias()),
    };
    // The order-k equations use the powers W¹ … Wᵏ.
    let powers = model.order.order();
    let rows_out = chains * n;
    // The other layer's cumulants κ₂ and κ₃, as far as the order uses them.
    fill_cumulant(&mut work.kappa2, other, powers >= 2, |m| {
        other_units.kappa2(m)
    });
    fill_cumulant(&mut work.kappa3, other, powers >= 3, |m| {
        other_units.kappa3(m)
    });
    for buffer in [&mut work.field, &mut work.second, &mut work.third] {
        buffer.resize(rows_out, 0.0);
    }
    let xs: [&[f32]; 3] = [other, &work.kappa2, &work.kappa3];
    let mut ys: [&mut [f32]; 3] = [&mut work.field, &mut work.second, &mut work.third];
    let (xs, ys) = (&xs[..powers], &mut ys[..powers]);
    match (model.products, side) {
        (SweepProducts::F32 { wt, .. }, Side::Visible) => {
            rows_times_powers(xs, chains, nh, wt, nv, nv, ys);
        }
        (SweepProducts::F32 { weights, .. }, Side::Hidden) => {
            let (w, stride) = (weights.as_slice(), weights.stride());
            rows_times_powers(xs, chains, nv, w, stride, nh, ys);
        }
        (SweepProducts::Bf16 { packed_wt, .. }, Side::Visible) => {
            packed_wt.rows_times(xs, chains, ys, &mut work.x_words);
        }
        (SweepProducts::Bf16 { packed_w, .. }, Side::Hidden) => {
            packed_w.rows_times(xs, chains, ys, &mut work.x_words);
        }
    }
    if model.state_log_z && side == Side::Hidden {
        work.hidden_field.clone_from(&work.field);
    }
    tap_update(
        own_units == Discrete::Spin,
        powers,
        own,
        &mut work.field,
        &work.second,
        &work.third,
        bias,
        model.damping,
    )
}

/// −Γ(m_v, m_h) (eq. T1 of [`crate::estimate::tap`]) of each of a block's
/// `chains` states into `work.state_log_z`, after a sweep whose hidden
/// update left the fields of the final m_v in `work` ([`sweep`]): the
/// visible layer's entropy and bias terms, and the hidden layer's with
/// every coupling term.
fn block_state_log_z(
    model: &SweepModel<'_>,
    chains: usize,
    visible: &[f32],
    hidden: &[f32],
    work: &mut SweepScratch,
) {
    let rbm = model.rbm;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let powers = model.order.order();
    work.state_log_z.clear();
    for r in 0..chains {
        let h = r * nh..(r + 1) * nh;
        let fields = [
            &work.hidden_field[h.clone()],
            &work.second[h.clone()],
            &work.third[h.clone()],
        ];
        let mv = &visible[r * nv..(r + 1) * nv];
        let log_z = layer_log_z(model.visible_units, 0, mv, rbm.visible_bias(), [&[]; 3])
            + layer_log_z(
                model.hidden_units,
                powers,
                &hidden[h],
                rbm.hidden_bias(),
                fields,
            );
        work.state_log_z.push(log_z);
    }
}

/// One layer's part of −Γ(m) (eq. T1 of [`crate::estimate::tap`]) given
/// the other layer's fields: Σ_i [S(m_i) + m_i (b_i + x_i) +
/// ½κ₂(m_i) s₂ᵢ + ⅙κ₃(m_i) s₃ᵢ] with x = W m_other, s₂ = W² κ₂(m_other)
/// and s₃ = W³ κ₃(m_other) in `fields` (read up to `powers`; 0 for the entropy and
/// bias terms alone), S the entropy of a unit of mean m. The layers' parts
/// of a state, one with `powers` 0 and the other with the order, sum to
/// −Γ: each coupling term is counted once.
fn layer_log_z(
    units: Discrete,
    powers: usize,
    m: &[f32],
    bias: &[f32],
    fields: [&[f32]; 3],
) -> f64 {
    let lanes = match (units, powers) {
        (Discrete::Bernoulli, 0) => layer_log_z_bernoulli0(m, bias, fields),
        (Discrete::Bernoulli, 1) => layer_log_z_bernoulli1(m, bias, fields),
        (Discrete::Bernoulli, 2) => layer_log_z_bernoulli2(m, bias, fields),
        (Discrete::Bernoulli, _) => layer_log_z_bernoulli3(m, bias, fields),
        (Discrete::Spin, 0) => layer_log_z_spin0(m, bias, fields),
        (Discrete::Spin, 1) => layer_log_z_spin1(m, bias, fields),
        (Discrete::Spin, 2) => layer_log_z_spin2(m, bias, fields),
        (Discrete::Spin, _) => layer_log_z_spin3(m, bias, fields),
    };
    lanes.iter().map(|&l| f64::from(l)).sum()
}

/// The body of [`layer_log_z`] for one unit type and number of powers,
/// summed in 16 f32 lanes so that it vectorises (the entropy by
/// [`ln_f32`]).
#[inline(always)]
fn layer_log_z_lanes<const SPIN: bool, const POWERS: usize>(
    m: &[f32],
    bias: &[f32],
    [x, s2, s3]: [&[f32]; 3],
) -> [f32; 16] {
    let n = m.len();
    assert!(bias.len() == n && (POWERS < 1 || x.len() == n));
    assert!((POWERS < 2 || s2.len() == n) && (POWERS < 3 || s3.len() == n));
    // The fields the order reads (0 for the others, never read).
    let fields = |i: usize| {
        [
            if POWERS >= 1 { x[i] } else { 0.0 },
            if POWERS >= 2 { s2[i] } else { 0.0 },
            if POWERS >= 3 { s3[i] } else { 0.0 },
        ]
    };
    let mut lanes = [0.0f32; 16];
    let whole = n - n % 16;
    for i0 in (0..whole).step_by(16) {
        for (l, lane) in lanes.iter_mut().enumerate() {
            let i = i0 + l;
            *lane += unit_log_z::<SPIN, POWERS>(m[i], bias[i], fields(i));
        }
    }
    for (lane, i) in lanes.iter_mut().zip(whole..n) {
        *lane += unit_log_z::<SPIN, POWERS>(m[i], bias[i], fields(i));
    }
    lanes
}

/// One unit's term of [`layer_log_z`]: S(m) + m (b + x) + ½κ₂(m) s₂ +
/// ⅙κ₃(m) s₃ (the fields read up to `POWERS`).
#[inline(always)]
fn unit_log_z<const SPIN: bool, const POWERS: usize>(
    m: f32,
    bias: f32,
    [x, s2, s3]: [f32; 3],
) -> f32 {
    let (up, down) = if SPIN {
        (0.5 * (1.0 + m), 0.5 * (1.0 - m))
    } else {
        (m, 1.0 - m)
    };
    let mut t = minus_p_ln_p(up) + minus_p_ln_p(down);
    let field = if POWERS >= 1 { bias + x } else { bias };
    t += m * field;
    if POWERS >= 2 {
        let kappa2 = if SPIN { 1.0 - m * m } else { m * (1.0 - m) };
        t += 0.5 * kappa2 * s2;
    }
    if POWERS >= 3 {
        let kappa3 = if SPIN {
            -2.0 * m * (1.0 - m * m)
        } else {
            m * (1.0 - m) * (1.0 - 2.0 * m)
        };
        t += kappa3 * (1.0 / 6.0) * s3;
    }
    t
}

/// −p ln p, 0 at p = 0.
#[inline(always)]
fn minus_p_ln_p(p: f32) -> f32 {
    if p > 0.0 {
        -p * ln_f32(p)
    } else {
        0.0
    }
}

macro_rules! layer_log_z_kernels {
    ($($name:ident: $spin:literal, $powers:literal;)*) => {$(
        multiversion! {
            /// [`layer_log_z_lanes`] for one unit type and number of powers.
            pub fn $name(m: &[f32], bias: &[f32], fields: [&[f32]; 3]) -> [f32; 16] {
                layer_log_z_lanes::<$spin, $powers>(m, bias, fields)
            }
        }
    )*};
}

layer_log_z_kernels! {
    layer_log_z_bernoulli0: false, 0;
    layer_log_z_bernoulli1: false, 1;
    layer_log_z_bernoulli2: false, 2;
    layer_log_z_bernoulli3: false, 3;
    layer_log_z_spin0: true, 0;
    layer_log_z_spin1: true, 1;
    layer_log_z_spin2: true, 2;
    layer_log_z_spin3: true, 3;
}

/// `buffer` ← κ(m) for each magnetisation m (sized to `m`), in f32, when
/// `used`; otherwise only sized (the order's equations do not read it).
fn fill_cumulant(buffer: &mut Vec<f32>, m: &[f32], used: bool, kappa: impl Fn(f64) -> f64) {
    buffer.resize(m.len(), 0.0);
    if used {
        for (k, &m) in buffer.iter_mut().zip(m) {
            *k = kappa(f64::from(m)) as f32;
        }
    }
}

/// One damped TAP update of one layer (eq. T2 of [`crate::estimate::tap`])
/// for `powers` = 1, 2, 3 (the order): for each magnetisation m with field
/// x = (W m_other)_i, reaction sums s₂ = (W² κ₂)_i and s₃ = (W³ κ₃)_i and
/// bias b,
/// m ← d·m + (1 − d)·f(b + x + ½κ₂′(m) s₂ + ⅙κ₃′(m) s₃),
/// with f = σ and κ₂′ = 1 − 2m, κ₃′ = 1 − 6m + 6m² for 0/1 units, f = tanh
/// and κ₂′ = −2m, κ₃′ = −2 + 6m² for ±1 spins ([`Discrete::kappa2_slope`]
/// and [`Discrete::kappa3_slope`], here in f32 so that the loop vectorises;
/// s₂ and s₃ are read only at the orders that have them). `field` is overwritten with |Δm|. Returns
/// the largest |Δm|.
#[allow(clippy::too_many_arguments)]
fn tap_update(
    spin: bool,
    powers: usize,
    m: &mut [f32],
    field: &mut [f32],
    second: &[f32],
    third: &[f32],
    bias: &[f32],
    damping: f32,
) -> f32 {
    let lanes = match (spin, powers) {
        (false, 1) => tap_update_rows_bernoulli1(m, field, second, third, bias, damping),
        (false, 2) => tap_update_rows_bernoulli2(m, field, second, third, bias, damping),
        (false, _) => tap_update_rows_bernoulli3(m, field, second, third, bias, damping),
        (true, 1) => tap_update_rows_spin1(m, field, second, third, bias, damping),
        (true, 2) => tap_update_rows_spin2(m, field, second, third, bias, damping),
        (true, _) => tap_update_rows_spin3(m, field, second, third, bias, damping),
    };
    lanes.into_iter().fold(0.0, f32::max)
}

/// The body of [`tap_update`] for one unit type and order: the update,
/// then the largest change kept per lane (16 lanes), each loop written so
/// that it vectorises.
#[inline(always)]
fn tap_update_rows<const SPIN: bool, const ORDER: u32>(
    m: &mut [f32],
    field: &mut [f32],
    second: &[f32],
    third: &[f32],
    bias: &[f32],
    damping: f32,
) -> [f32; 16] {
    let n = bias.len();
    let rows = m
        .chunks_exact_mut(n)
        .zip(field.chunks_exact_mut(n))
        .zip(second.chunks_exact(n).zip(third.chunks_exact(n)));
    for ((m, x), (s2, s3)) in rows {
        let units = m
            .iter_mut()
            .zip(x.iter_mut())
            .zip(s2.iter().zip(s3))
            .zip(bias);
        for (((m, x), (&s2, &s3)), &b) in units {
            let old = *m;
            let mut h = *x + b;
            if ORDER >= 2 {
                let slope2 = if SPIN { -2.0 * old } else { 1.0 - 2.0 * old };
                h += 0.5 * slope2 * s2;
            }
            if ORDER >= 3 {
                let slope3 = if SPIN {
                    -2.0 + 6.0 * old * old
                } else {
                    1.0 - 6.0 * old + 6.0 * old * old
                };
                h += slope3 * (1.0 / 6.0) * s3;
            }
            let target = if SPIN { tanh_f32(h) } else { sigmoid_f32(h) };
            let next = damping * old + (1.0 - damping) * target;
            *x = (next - old).abs();
            *m = next;
        }
    }
    let changes = &field[..m.len()];
    let mut largest = [0.0f32; 16];
    let mut chunks = changes.chunks_exact(16);
    for chunk in &mut chunks {
        for (l, &c) in largest.iter_mut().zip(chunk) {
            *l = l.max(c);
        }
    }
    for (l, &c) in largest.iter_mut().zip(chunks.remainder()) {
        *l = l.max(c);
    }
    largest
}

macro_rules! tap_update_kernels {
    ($($name:ident: $spin:literal, $order:literal;)*) => {$(
        multiversion! {
            /// [`tap_update_rows`] for one unit type and order.
            pub fn $name(
                m: &mut [f32],
                field: &mut [f32],
                second: &[f32],
                third: &[f32],
                bias: &[f32],
                damping: f32
            ) -> [f32; 16] {
                tap_update_rows::<$spin, $order>(m, field, second, third, bias, damping)
            }
        }
    )*};
}

tap_update_kernels! {
    tap_update_rows_bernoulli1: false, 1;
    tap_update_rows_bernoulli2: false, 2;
    tap_update_rows_bernoulli3: false, 3;
    tap_update_rows_spin1: true, 1;
    tap_update_rows_spin2: true, 2;
    tap_update_rows_spin3: true, 3;
}

/// The order, chains and layer sizes behind the cumulants of
/// [`onsager_cumulants`].
#[derive(Clone, Copy, Debug)]
struct OnsagerShape {
    order: TapOrder,
    chains: usize,
    n_visible: usize,
    n_hidden: usize,
}

/// The chains' cumulants behind the Onsager part of the negative
/// statistics, κ₂ and (at third order) κ₃ of the magnetisations `visible`
/// (`chains × n_visible`) and `hidden` (`chains × n_hidden`), each chain's
/// visible cumulants times its factor ([`EmfWork::factors`]) when the
/// states are weighted; kept in `work` for [`EmfWork::with_onsager_tile`].
pub(super) fn onsager_cumulants(
    rbm: &Rbm,
    order: TapOrder,
    chains: usize,
    visible: &[f32],
    hidden: &[f32],
    work: &mut EmfWork,
) {
    work.onsager = None;
    if order < TapOrder::Second {
        return;
    }
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let vu = visible_discrete(rbm.visible_units());
    let hu = hidden_discrete(rbm.hidden_units());
    let factors = &work.factors;
    let fill = |kappa: fn(Discrete, f64) -> f64, kappa_v: &mut Vec<f32>, kappa_h: &mut Vec<f32>| {
        fill_cumulant(kappa_v, visible, true, |m| kappa(vu, m));
        for (row, &factor) in kappa_v.chunks_exact_mut(nv).zip(factors) {
            row.iter_mut().for_each(|k| *k *= factor);
        }
        fill_cumulant(kappa_h, hidden, true, |m| kappa(hu, m));
    };
    fill(Discrete::kappa2, &mut work.kappa2_v, &mut work.kappa2_h);
    if order >= TapOrder::Third {
        fill(Discrete::kappa3, &mut work.kappa3_v, &mut work.kappa3_h);
    }
    work.onsager = Some(OnsagerShape {
        order,
        chains,
        n_visible: nv,
        n_hidden: nh,
    });
}

thread_local! {
    /// Each thread's block of the Onsager sums, reused from tile to tile
    /// so that it stays in the core's cache (at third order two
    /// `n_visible ×` [`COLUMN_TILE`](crate::linalg::sparse::COLUMN_TILE)
    /// blocks: 400 KB for 784 visible units).
    static ONSAGER_TILE: RefCell<OnsagerTile> = RefCell::new(OnsagerTile::default());
}

/// Columns j0 .. j0 + width of the Onsager sums
/// C₂ = Σ_chains κ₂(m_i) κ₂(m_j) and (third order) C₃ = Σ_chains κ₃(m_i) κ₃(m_j),
/// `n_visible × width` each.
#[derive(Debug, Default)]
pub(super) struct OnsagerTile {
    /// Whether C₃ is held (third order).
    third_order: bool,
    j0: usize,
    second: AlignedRows,
    third: AlignedRows,
}

impl OnsagerTile {
    /// Adds to a piece of the gradient G the Onsager part of the negative
    /// statistics times `scale` (−B/Bⁿ):
    /// G_ij += scale · (W_ij C₂_ij + ½ W_ij² C₃_ij) for row i and the
    /// columns j0 .. j0 + g.len() (inside this tile) of G, `weights` the
    /// same piece of W. (The m_i m_j part is in the trainer's stacked
    /// product.)
    pub(super) fn add_to_piece(
        &self,
        scale: f32,
        (i, j0): (usize, usize),
        weights: &[f32],
        g: &mut [f32],
    ) {
        let at = j0 - self.j0..j0 - self.j0 + g.len();
        let second = &self.second.row(i)[at.clone()];
        if self.third_order {
            onsager_third(g, weights, second, &self.third.row(i)[at], scale);
        } else {
            onsager_second(g, weights, second, scale);
        }
    }
}

impl EmfWork {
    /// Each chain's weight in the negative statistics times the number of
    /// chains, after [`negative_phase`] with Boltzmann weights; empty with
    /// uniform weights.
    pub(super) fn factors(&self) -> &[f32] {
        &self.factors
    }

    /// Calls `body` with columns j0 .. j0 + width of the Onsager sums of
    /// the cumulants from [`onsager_cumulants`], formed in this thread's
    /// block, or with `None` when there are none (PCD, CD, TAP1).
    ///
    /// C = κ_vᵀ κ_h is a rank-(chains) product; formed a column tile at a
    /// time, just before the gradient's pieces of that tile use it, it
    /// stays in cache instead of passing through memory as two whole
    /// `n_visible × n_hidden` arrays (about 0.3 ms of a 784 × 500 TAP3
    /// update).
    pub(super) fn with_onsager_tile<R>(
        &self,
        j0: usize,
        width: usize,
        body: impl FnOnce(Option<&OnsagerTile>) -> R,
    ) -> R {
        let Some(shape) = self.onsager else {
            return body(None);
        };
        assert!(
            j0 + width <= shape.n_hidden,
            "Onsager tile outside the hidden units"
        );
        let fill = |tile: &mut OnsagerTile| {
            let (chains, nv, nh) = (shape.chains, shape.n_visible, shape.n_hidden);
            tile.third_order = shape.order >= TapOrder::Third;
            tile.j0 = j0;
            let cross_sum = |kappa_v: &[f32], kappa_h: &[f32], out: &mut AlignedRows| {
                out.reshape(nv, width);
                let stride = out.stride();
                gemm_with_stride(
                    out.as_mut_slice(),
                    stride,
                    Operand::new(kappa_v, chains, nv).t(),
                    Operand::with_stride(&kappa_h[j0..], chains, width, nh),
                    1.0,
                    false,
                );
            };
            cross_sum(&self.kappa2_v, &self.kappa2_h, &mut tile.second);
            if tile.third_order {
                cross_sum(&self.kappa3_v, &self.kappa3_h, &mut tile.third);
            }
        };
        ONSAGER_TILE.with(|cell| {
            // This thread's block is taken only if a task nested inside
            // another's (a parallel product of a large tile stealing
            // work): that one gets a block of its own.
            let (mut borrowed, mut own);
            let tile: &mut OnsagerTile = match cell.try_borrow_mut() {
                Ok(block) => {
                    borrowed = block;
                    &mut borrowed
                }
                Err(_) => {
                    own = OnsagerTile::default();
                    &mut own
                }
            };
            fill(tile);
            body(Some(tile))
        })
    }
}

multiversion! {
    /// g += scale · w·c₂ element-wise (the second-order Onsager term).
    pub fn onsager_second(g: &mut [f32], weights: &[f32], second: &[f32], scale: f32) {
        for ((g, &w), &c2) in g.iter_mut().zip(weights).zip(second) {
            *g += scale * (w * c2);
        }
    }
}

multiversion! {
    /// g += scale · (w·c₂ + ½w²·c₃) element-wise (both Onsager terms).
    pub fn onsager_third(g: &mut [f32], weights: &[f32], second: &[f32], third: &[f32], scale: f32) {
        for (((g, &w), &c2), &c3) in g.iter_mut().zip(weights).zip(second).zip(third) {
            *g += scale * (w * c2 + 0.5 * w * w * c3);
        }
    }
}
