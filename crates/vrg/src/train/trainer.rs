//! The training loop shared by CD-k, PCD-k and EMF (tap2, tap3).
//!
//! One update on a minibatch V⁰ (B rows):
//! 1. positive phase H⁰ = E[h | V⁰] (σ or tanh of V⁰W + c), times a dropout
//!    mask if dropout is on;
//! 2. negative phase: k block Gibbs steps h → v → h started from a sample of
//!    H⁰ (CD) or from the persistent chains (PCD), ending with visible
//!    samples Vⁿ and hidden means Hⁿ;
//!    (EMF, tap2/tap3: Vⁿ and Hⁿ are instead the TAP magnetisations of
//!    the persistent states after --tap-iterations damped sweeps, of which
//!    --tap-restarts restart from rows of V⁰ and H⁰ first (every other one
//!    from a sample of the --tap-gibbs-chains Gibbs chains), and the weight
//!    gradient gains the Onsager terms of ∂ln Z_TAP/∂W; see
//!    [`super::emf`]);
//! 3. velocity update with momentum μ and learning rate ε:
//!    ΔW ← μΔW + ε(V⁰ᵀH⁰/B − VⁿᵀHⁿ/Bⁿ − λ₂W − λ₁ sign W − s),
//!    Δb ← μΔb + ε(⟨v⁰⟩ − ⟨vⁿ⟩), Δc ← μΔc + ε(⟨h⁰⟩ − ⟨hⁿ⟩ − s_c), then
//!    W += ΔW, b += Δb, c += Δc. The sparsity terms s (Hinton's guide §11)
//!    are cost·(q_j − p) on c_j and cost·(q_j − p)⟨v_i⟩ on W_ij, with q the
//!    running mean activity q ← λq + (1 − λ)⟨h⁰⟩.
//!
//! The two gradient products are one product of the stacked rows
//! [V⁰; −(B/Bⁿ)Vⁿ] and [H⁰; Hⁿ], G; the momentum step is then element-wise
//! over W (the weights are read and written once per update outside the
//! products).
//!
//! Bernoulli visible rows are mostly zeros (about a fifth of MNIST pixels
//! are on, and so are about as many of the reconstructions' samples). When
//! a batch's density is at most [`SPARSE_DENSITY`], the three products with
//! a visible operand (V⁰W, VⁿW and the stacked gradient) are sums of the
//! rows of W (or of H) selected by the nonzeros
//! ([`crate::linalg::sparse`]), and the momentum step runs on each piece of
//! G as the gradient product finishes it (EMF's few dense magnetisations
//! are stacked under a sparse batch the same way). PCD keeps each chain's
//! hidden state (as scikit-learn does), which saves recomputing it: CD-1
//! and PCD-1 both cost five products of B × n_visible × n_hidden.
//!
//! Layout and threads: during an epoch W and ΔW live in 64-byte aligned
//! rows ([`crate::linalg::aligned`]) and go back to the model at its end;
//! the sparse products and the momentum step split W by the same column
//! tiles, so each thread keeps updating the columns it reads. Each update
//! runs with the pool's other threads kept looking for work
//! ([`with_pool_awake`]). The work is split by output rows or columns only,
//! so results do not depend on the thread count.
//!
//! Randomness: epoch e draws from random-stream family
//! `rng::families::TRAINING_EPOCHS + e` of the seed;
//! its first stream shuffles the rows, then every batch takes one stream
//! per fixed chunk of rows ([`CHUNK_ROWS`]) of the batch and of the chains.
//! So a run is a function of the seed alone, and a run resumed at epoch e is
//! the same as one that never stopped.
//!
//! # References
//! - G. E. Hinton, "Training products of experts by minimizing contrastive
//!   divergence", Neural Computation 14, 1771 (2002).
//! - T. Tieleman, "Training restricted Boltzmann machines using
//!   approximations to the likelihood gradient", ICML 2008.
//! - G. E. Hinton, "A Practical Guide to Training Restricted Boltzmann
//!   Machines", UTML TR 2010-003 (2010), §§3–11.
//! - N. Srivastava et al., "Dropout: a simple way to prevent neural networks
//!   from overfitting", JMLR 15, 1929 (2014), §8 (dropout RBMs).

use super::emf::{self, EmfWork, OnsagerTile};
use super::momentum::{momentum_step, MomentumStep};
use super::params::{Method, TrainParams};
use super::phases::{
    column_means, hidden_kind, hidden_means, multiply_rows, sample_in_place, take_streams,
    visible_kind, visible_means, with_pool_awake, UnitKind,
};
use crate::data::Dataset;
use crate::linalg::aligned::{AlignedRows, RowPieces};
use crate::linalg::sparse::{sparse_times_dense_around, SparseChunk, SparseRows, COLUMN_TILE};
use crate::linalg::{self, gemm_with_stride, Operand};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::rng::{self, Rng};
use crate::{Error, Result};
use rand::RngCore;
use rayon::prelude::*;

/// `count` rows of `train` drawn uniformly with replacement, from the next
/// stream of `cursor`, and their hidden means E[h | v] under `rbm` (W from
/// `weights`): where persistent chains start.
fn random_rows_and_hidden_means(
    rbm: &Rbm,
    weights: &AlignedRows,
    train: &Dataset,
    count: usize,
    cursor: &mut Rng,
) -> (Vec<f32>, Vec<f32>) {
    let mut pick = take_streams(cursor, 1).pop().expect("one stream");
    let mut rows = vec![0.0f32; count * train.n_features];
    for row in rows.chunks_exact_mut(train.n_features.max(1)) {
        // r = ⌊x · n_rows / 2³²⌋ from the top 32 bits x of one draw.
        let r = (((pick.next_u64() >> 32) * train.n_rows as u64) >> 32) as usize;
        train.row_into(r, row);
    }
    let nh = rbm.n_hidden();
    let mut means = vec![0.0f32; count * nh];
    hidden_means(rbm, weights, &rows, count, &mut means, nh, None);
    (rows, means)
}

/// Hidden states sampled in place from the means `chains` (rows ×
/// n_hidden), one stream of `cursor` per chunk of [`CHUNK_ROWS`] rows: the
/// starting states of Gibbs chains.
fn sample_chain_states(rbm: &Rbm, chains: &mut [f32], cursor: &mut Rng) {
    let nh = rbm.n_hidden();
    let rows = chains.len() / nh.max(1);
    let mut streams = take_streams(cursor, rows.div_ceil(CHUNK_ROWS));
    let kind = hidden_kind(rbm.hidden_units());
    sample_in_place(chains, nh, kind, &mut streams, None, None);
}

/// Rows per random stream.
pub const CHUNK_ROWS: usize = 32;
/// Element-wise work on at least this many values runs on the thread pool.
pub(super) const PARALLEL_ELEMENTS: usize = 1 << 15;
/// Visible batches with at most this fraction of nonzeros use the sparse
/// products (on this machine they win below about 0.45).
pub const SPARSE_DENSITY: f64 = 0.35;
/// How many rows ahead the sparse gradient's epilogue prefetches its
/// pieces of W and ΔW (the dense path's slab loop gained nothing from it).
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Everything beyond the model that a resumed run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Epochs completed.
    pub epochs_done: usize,
    pub velocity_weights: Vec<f32>,
    pub velocity_visible_bias: Vec<f32>,
    pub velocity_hidden_bias: Vec<f32>,
    /// PCD chains: the hidden state of each persistent chain,
    /// `n_chains × n_hidden` (empty for CD); EMF: the persistent hidden
    /// magnetisations.
    pub chains: Vec<f32>,
    /// EMF: the persistent visible magnetisations, `n_chains × n_visible`
    /// (empty for CD and PCD, and until EMF training starts).
    pub visible_chains: Vec<f32>,
    /// EMF with --tap-gibbs-chains G: the hidden state of each persistent
    /// Gibbs chain whose samples seed the restarts, `G × n_hidden` (empty
    /// otherwise, and until training starts).
    pub gibbs_chains: Vec<f32>,
    /// Running mean activity q of each hidden unit (sparsity).
    pub hidden_activity: Vec<f32>,
}

/// Scratch buffers, allocated once.
#[derive(Clone, Debug, Default)]
struct Workspace {
    /// Visible rows: the batch V⁰ (first B rows), then the negative-phase
    /// samples Vⁿ (Bⁿ rows), so that one product gives both gradient terms.
    visible: Vec<f32>,
    /// Hidden rows H⁰, then Hⁿ, 64-byte aligned: the operand of the
    /// gradient's sparse product.
    hidden: AlignedRows,
    mask: Vec<f32>,
    hidden_sample: Vec<f32>,
    /// During an epoch, W and its velocity ΔW live here (aligned rows, the
    /// layout the sparse products read); the model and the state get them
    /// back at the end of the epoch.
    weights: AlignedRows,
    velocity: AlignedRows,
    /// The summed gradient G = V⁰ᵀH⁰ − (B/Bⁿ)VⁿᵀHⁿ.
    gradient: AlignedRows,
    /// Nonzeros of V⁰, of Vⁿ, and of [V⁰; −(B/Bⁿ)Vⁿ]ᵀ.
    positive: SparseRows,
    negative: SparseRows,
    columns: SparseRows,
    /// Buffers of the EMF negative phase.
    emf: EmfWork,
    /// EMF's Gibbs chains: their visible samples and those samples'
    /// hidden means, the seeds of the restarts.
    gibbs_visible: Vec<f32>,
    gibbs_means: Vec<f32>,
}

/// Trains an [`Rbm`] epoch by epoch.
#[derive(Clone, Debug)]
pub struct Trainer {
    params: TrainParams,
    rbm: Rbm,
    state: TrainState,
    work: Workspace,
    /// Whether sparse visible batches may use the sparse products.
    sparse_products: bool,
    /// Updates done with the sparse products since this trainer was made.
    sparse_updates: usize,
    /// EMF: TAP sweeps and updates done since this trainer was made.
    tap_sweeps: (usize, usize),
}

/// Errors for a sparsity target on Gaussian hidden units: the target is a
/// probability of being on, which a real-valued unit does not have; and
/// for EMF training (tap2, tap3) of Gaussian units, which the TAP
/// expansion does not cover.
fn check_sparsity_units(
    visible_units: VisibleUnits,
    hidden_units: HiddenUnits,
    params: &TrainParams,
) -> Result<()> {
    if params.method.tap_order().is_some()
        && (!visible_units.is_discrete() || !hidden_units.is_discrete())
    {
        return Err(Error::invalid(
            "method",
            params.method,
            "cd or pcd for Gaussian units (the TAP free energy of tap2/tap3 is for \
             Bernoulli and spin units)",
        ));
    }
    if hidden_units == HiddenUnits::Gaussian {
        if let Some(p) = params.sparsity_target {
            return Err(Error::invalid(
                "sparsity",
                p,
                "no sparsity target with Gaussian hidden units (the target is a \
                 probability of a unit being on; real-valued units have none)",
            ));
        }
    }
    Ok(())
}

/// Initial parameters as in Hinton's guide §8: W ~ N(0, σ²), c = 0 (or
/// ln(p/(1−p)) for a sparsity target p), and b_i = ln(p_i/(1−p_i)) for
/// Bernoulli units (p_i the fraction of training rows with v_i on, clipped
/// to [10⁻³, 1 − 10⁻³]), atanh(m_i) for spin units, the mean for Gaussian.
pub fn initial_rbm(
    train: &Dataset,
    n_hidden: usize,
    visible_units: VisibleUnits,
    hidden_units: HiddenUnits,
    params: &TrainParams,
) -> Result<Rbm> {
    check_sparsity_units(visible_units, hidden_units, params)?;
    let n_visible = train.n_features;
    let mut rbm = Rbm::new(n_visible, n_hidden, visible_units, hidden_units)?;
    let biases = crate::estimate::base_rate_biases_of(train, visible_units);
    rbm.visible_bias_mut().copy_from_slice(&biases);
    if let Some(p) = params.sparsity_target {
        let c = match hidden_units {
            HiddenUnits::Bernoulli => (p / (1.0 - p)).ln(),
            HiddenUnits::Spin => (2.0 * p - 1.0).atanh(),
            HiddenUnits::Gaussian => unreachable!("refused by check_sparsity_units"),
        };
        rbm.hidden_bias_mut().iter_mut().for_each(|x| *x = c as f32);
    }
    let mut r = rng::family(params.seed, rng::families::INITIALIZATION);
    for w in rbm.weights_mut() {
        let normal = rng::normal_pair(&mut r).0;
        *w = (params.init_std * normal) as f32;
    }
    Ok(rbm)
}

impl Trainer {
    /// A trainer starting from `rbm` (e.g. from [`initial_rbm`]) with
    /// checked parameters ([`super::TrainConfig::check`]).
    pub fn new(rbm: Rbm, params: TrainParams) -> Self {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        let state = TrainState {
            epochs_done: 0,
            velocity_weights: vec![0.0; nv * nh],
            velocity_visible_bias: vec![0.0; nv],
            velocity_hidden_bias: vec![0.0; nh],
            chains: Vec::new(),
            visible_chains: Vec::new(),
            gibbs_chains: Vec::new(),
            hidden_activity: vec![params.sparsity_target.unwrap_or(0.0) as f32; nh],
        };
        Self::from_parts(rbm, params, state)
    }

    /// The trainer of `rbm` at `state`, with a fresh workspace.
    fn from_parts(rbm: Rbm, params: TrainParams, state: TrainState) -> Self {
        Trainer {
            params,
            rbm,
            state,
            work: Workspace::default(),
            sparse_products: true,
            sparse_updates: 0,
            tap_sweeps: (0, 0),
        }
    }

    /// A trainer continuing from a saved state.
    pub fn resume(rbm: Rbm, params: TrainParams, state: TrainState) -> Result<Self> {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        let shapes = [
            ("velocity of W", state.velocity_weights.len(), nv * nh),
            ("velocity of b", state.velocity_visible_bias.len(), nv),
            ("velocity of c", state.velocity_hidden_bias.len(), nh),
            ("hidden activity", state.hidden_activity.len(), nh),
        ];
        for (what, found, expected) in shapes {
            if found != expected {
                return Err(Error::ShapeMismatch {
                    what: what.into(),
                    expected: format!("{expected} values"),
                    found: format!("{found}"),
                });
            }
        }
        // Persistent states: rows × width each, or empty (made at the
        // first epoch).
        let emf_rows = |rows: usize| match params.method.tap_order() {
            Some(_) => rows,
            None => 0,
        };
        let persistent = [
            ("persistent chains", &state.chains, params.n_chains(), nh),
            (
                "persistent visible magnetisations",
                &state.visible_chains,
                emf_rows(params.n_chains()),
                nv,
            ),
            (
                "persistent Gibbs chains (--tap-gibbs-chains)",
                &state.gibbs_chains,
                emf_rows(params.tap_gibbs_chains),
                nh,
            ),
        ];
        for (what, values, rows, width) in persistent {
            if !values.is_empty() && values.len() != rows * width {
                return Err(Error::ShapeMismatch {
                    what: what.into(),
                    expected: format!("{rows} × {width}"),
                    found: format!("{} values", values.len()),
                });
            }
        }
        Ok(Self::from_parts(rbm, params, state))
    }

    /// Turns the sparse products off (on by default; results agree with
    /// the dense products up to rounding). For tests and benchmarks.
    pub fn set_sparse_products(&mut self, on: bool) {
        self.sparse_products = on;
    }

    /// Updates done with the sparse products since this trainer was made.
    pub fn sparse_updates(&self) -> usize {
        self.sparse_updates
    }

    /// EMF training: the TAP sweeps done and the updates they served since
    /// this trainer was made (fewer sweeps than updates × --tap-iterations
    /// when --tap-tolerance stops them early).
    pub fn tap_sweeps(&self) -> (usize, usize) {
        self.tap_sweeps
    }

    pub fn rbm(&self) -> &Rbm {
        &self.rbm
    }

    pub fn params(&self) -> &TrainParams {
        &self.params
    }

    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// The persistent Gibbs chains that seed EMF's restarts (0 for CD and
    /// PCD).
    fn gibbs_chains(&self) -> usize {
        match self.params.method.tap_order() {
            Some(_) => self.params.tap_gibbs_chains,
            None => 0,
        }
    }

    /// Epochs completed so far.
    pub fn epochs_done(&self) -> usize {
        self.state.epochs_done
    }

    /// One pass over `train` in a seeded random order. `progress` is called
    /// with the number of rows of each finished batch. Fails with
    /// [`Error::NonFinite`] (leaving the caller's last checkpoint alone) if a
    /// parameter stops being finite. Runs on the current rayon pool (on one
    /// of its threads, so that the parallel regions of each update are
    /// handed between pool threads rather than from outside).
    pub fn train_epoch(&mut self, train: &Dataset, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
        if rayon::current_thread_index().is_none() {
            return rayon::scope(|_| self.train_epoch_on_pool(train, progress));
        }
        self.train_epoch_on_pool(train, progress)
    }

    fn train_epoch_on_pool(
        &mut self,
        train: &Dataset,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<()> {
        let (nv, nh) = (self.rbm.n_visible(), self.rbm.n_hidden());
        if train.n_features != nv {
            return Err(Error::ShapeMismatch {
                what: "training data".into(),
                expected: format!("{nv} features"),
                found: format!("{}", train.n_features),
            });
        }
        self.params.check_batch(train.n_rows)?;
        check_sparsity_units(
            self.rbm.visible_units(),
            self.rbm.hidden_units(),
            &self.params,
        )?;
        let gibbs_chains = self.gibbs_chains();
        // Buffers this epoch allocates: the weights' work copies (W, its
        // velocity and gradient), the batch's and the chains' states.
        crate::memory::check_product(|| format!("training {nv} × {nh} weights"), &[nv, nh, 3], 4)?;
        let states = self
            .params
            .batch_size
            .max(self.params.n_chains())
            .saturating_add(gibbs_chains);
        crate::memory::check_product(
            || {
                format!(
                    "batch {} and chains {} of {nv} + {nh} units",
                    self.params.batch_size,
                    self.params.n_chains()
                )
            },
            &[states, (nv + nh).saturating_mul(4)],
            4,
        )?;
        let epoch = self.state.epochs_done;
        let mut cursor = rng::family(self.params.seed, rng::families::TRAINING_EPOCHS + epoch);
        // Shuffle with the epoch's first stream (Fisher–Yates).
        let mut order: Vec<usize> = (0..train.n_rows).collect();
        {
            let mut stream = take_streams(&mut cursor, 1).pop().expect("one stream");
            // j = ⌊x · bound / 2³²⌋ from the top 32 bits x of one draw.
            rng::shuffle(&mut order, |bound| {
                (((stream.next_u64() >> 32) * bound as u64) >> 32) as usize
            });
        }
        let batch = self.params.batch_size;
        let n_chains = self.params.n_chains();
        let w = &mut self.work;
        w.weights.reshape(nv, nh);
        w.weights.copy_from(self.rbm.weights());
        w.velocity.reshape(nv, nh);
        w.velocity.copy_from(&self.state.velocity_weights);
        w.gradient.reshape(nv, nh);
        if self.params.method.is_persistent() && self.state.chains.is_empty() {
            // Chains start from hidden samples of random training rows (PCD),
            // magnetisations from their hidden means (EMF).
            let (start, mut chains) =
                random_rows_and_hidden_means(&self.rbm, &w.weights, train, n_chains, &mut cursor);
            if self.params.method == Method::Pcd {
                sample_chain_states(&self.rbm, &mut chains, &mut cursor);
            } else if self.params.method.tap_order().is_some() {
                // EMF's visible magnetisations start at the rows themselves.
                self.state.visible_chains = start;
            }
            self.state.chains = chains;
        }
        if self.params.method.tap_order().is_some() && self.state.visible_chains.is_empty() {
            // A checkpoint that kept only the hidden magnetisations.
            let mut visible = vec![0.0f32; n_chains * nv];
            visible_means(
                &self.rbm,
                &w.weights,
                &self.state.chains,
                n_chains,
                &mut visible,
            );
            self.state.visible_chains = visible;
        }
        if gibbs_chains > 0 && self.state.gibbs_chains.is_empty() {
            // Gibbs chains start as PCD's do: hidden samples of random
            // training rows.
            let (_, mut chains) = random_rows_and_hidden_means(
                &self.rbm,
                &w.weights,
                train,
                gibbs_chains,
                &mut cursor,
            );
            sample_chain_states(&self.rbm, &mut chains, &mut cursor);
            self.state.gibbs_chains = chains;
        }
        let negative_rows = match self.params.method {
            Method::Cd => batch,
            Method::Pcd | Method::Tap2 | Method::Tap3 => n_chains,
        };
        let w = &mut self.work;
        w.visible.resize((batch + negative_rows) * nv, 0.0);
        w.hidden.reshape(batch + negative_rows, nh);
        w.mask.resize(batch * nh, 0.0);
        w.hidden_sample.resize(negative_rows * nh, 0.0);
        let learning_rate = self.params.learning_rate_at(epoch) as f32;
        let momentum = self.params.momentum_at(epoch) as f32;
        let updates_per_epoch = train.n_rows.div_ceil(batch);
        for (u, rows) in order.chunks(batch).enumerate() {
            let b = rows.len();
            let neg = if self.params.method == Method::Cd {
                b
            } else {
                n_chains
            };
            let batch_chunks = b.div_ceil(CHUNK_ROWS);
            // EMF's sweeps draw nothing (they are deterministic); its Gibbs
            // chains, if any, draw as PCD's chains do.
            let chain_chunks = if self.params.method == Method::Pcd {
                neg.div_ceil(CHUNK_ROWS)
            } else {
                gibbs_chains.div_ceil(CHUNK_ROWS)
            };
            let mut streams = take_streams(&mut cursor, batch_chunks + chain_chunks);
            let (batch_streams, chain_streams) = streams.split_at_mut(batch_chunks);
            with_pool_awake(|| {
                self.update(
                    (train, rows, epoch * updates_per_epoch + u),
                    neg,
                    learning_rate,
                    momentum,
                    batch_streams,
                    chain_streams,
                )
            });
            progress(b as u64);
        }
        self.work.weights.copy_to(self.rbm.weights_mut());
        self.work.velocity.copy_to(&mut self.state.velocity_weights);
        self.state.epochs_done += 1;
        self.check_finite(epoch + 1)
    }

    fn check_finite(&self, epoch: usize) -> Result<()> {
        let named: [(&str, &[f32]); 3] = [
            ("W", self.rbm.weights()),
            ("b (visible bias)", self.rbm.visible_bias()),
            ("c (hidden bias)", self.rbm.hidden_bias()),
        ];
        for (name, values) in named {
            if let Some(i) = values.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite {
                    epoch,
                    quantity: format!("{name}[{i}]"),
                });
            }
        }
        Ok(())
    }

    /// One parameter update on the `b` rows at the start of `work.visible`.
    fn update(
        &mut self,
        (train, batch, update_index): (&Dataset, &[usize], usize),
        neg: usize,
        learning_rate: f32,
        momentum: f32,
        batch_streams: &mut [Rng],
        chain_streams: &mut [Rng],
    ) {
        let (nv, nh) = (self.rbm.n_visible(), self.rbm.n_hidden());
        let b = batch.len();
        let params = &self.params;
        let rbm = &mut self.rbm;
        let w = &mut self.work;
        // Sparse products are tried for Bernoulli visible units (0/1 or
        // intensities: zeros are common), never for spins or Gaussians.
        let try_sparse = self.sparse_products && rbm.visible_units() == VisibleUnits::Bernoulli;
        // 0. The batch's rows, and their nonzeros, gathered in parallel.
        {
            let mut fills: Vec<Option<SparseChunk<'_>>> = if try_sparse {
                let chunks = w.positive.chunks_for_filling(b, nv, CHUNK_ROWS);
                chunks.into_iter().map(Some).collect()
            } else {
                Vec::new()
            };
            fills.resize_with(b.div_ceil(CHUNK_ROWS), || None);
            let gather =
                |((dst, rows), fill): ((&mut [f32], &[usize]), Option<SparseChunk<'_>>)| {
                    for (dst, &r) in dst.chunks_exact_mut(nv).zip(rows) {
                        train.row_into(r, dst);
                    }
                    if let Some(mut fill) = fill {
                        fill.fill_from_dense(dst);
                    }
                };
            let batch_rows = &mut w.visible[..b * nv];
            if batch_rows.len() >= PARALLEL_ELEMENTS {
                batch_rows
                    .par_chunks_mut(CHUNK_ROWS * nv)
                    .zip(batch.par_chunks(CHUNK_ROWS))
                    .zip(fills)
                    .for_each(gather);
            } else {
                batch_rows
                    .chunks_mut(CHUNK_ROWS * nv)
                    .zip(batch.chunks(CHUNK_ROWS))
                    .zip(fills)
                    .for_each(gather);
            }
        }
        let state = &mut self.state;
        let hidden = hidden_kind(rbm.hidden_units());
        let visible = visible_kind(rbm.visible_units());
        let hs = w.hidden.stride();
        let (v0, v_neg) = w.visible.split_at_mut(b * nv);
        let v_neg = &mut v_neg[..neg * nv];
        let (h0, h_neg) = w.hidden.as_mut_slice().split_at_mut(b * hs);
        let h_neg = &mut h_neg[..neg * hs];
        let h_sample = &mut w.hidden_sample[..neg * nh];
        // 1. Positive phase.
        let sparse_positive = try_sparse && w.positive.density() <= SPARSE_DENSITY;
        let positive = sparse_positive.then_some(&w.positive);
        // EMF restarts: restart k = u·R + t (t < R) of update u resets
        // magnetisation k mod Bⁿ to batch row t mod B and its hidden means;
        // with Gibbs chains, the odd k take instead the visible sample of
        // chain ⌊k/2⌋ mod G after this update's Gibbs step, and its hidden
        // means.
        let emf = params.method.tap_order().is_some();
        let restarts = params.tap_restarts;
        let gibbs = state.gibbs_chains.len() / nh.max(1);
        let first = update_index * restarts;
        let from_chains = |k: usize| gibbs > 0 && k % 2 == 1;
        let step_chains = emf && (first..first + restarts).any(from_chains);
        // The chains' Gibbs step reads only W and the chains (and draws from
        // their own streams), so it runs beside the positive phase: its few
        // rows are too short a product to split among threads.
        let model: &Rbm = rbm;
        let weights = &w.weights;
        let gibbs_buffers = (&mut w.gibbs_visible, &mut w.gibbs_means);
        let gibbs_nonzeros = try_sparse.then_some(&mut w.negative);
        let gibbs_chains = &mut state.gibbs_chains;
        if step_chains {
            rayon::join(
                || hidden_means(model, weights, v0, b, h0, hs, positive),
                || {
                    emf::step_gibbs_chains(
                        model,
                        weights,
                        gibbs_chains,
                        gibbs_buffers,
                        chain_streams,
                        gibbs_nonzeros,
                    )
                },
            );
        } else {
            hidden_means(model, weights, v0, b, h0, hs, positive);
        }
        if emf {
            for (t, k) in (first..first + restarts).enumerate() {
                let chain = k % neg;
                let (v, h) = if from_chains(k) {
                    let row = (k / 2) % gibbs;
                    (
                        &w.gibbs_visible[row * nv..(row + 1) * nv],
                        &w.gibbs_means[row * nh..(row + 1) * nh],
                    )
                } else {
                    let row = t % b;
                    (&v0[row * nv..(row + 1) * nv], &h0[row * hs..row * hs + nh])
                };
                state.visible_chains[chain * nv..(chain + 1) * nv].copy_from_slice(v);
                state.chains[chain * nh..(chain + 1) * nh].copy_from_slice(h);
            }
        }
        let dropout = params.dropout as f32;
        let mask = &mut w.mask[..b * nh];
        if dropout > 0.0 {
            mask.iter_mut().for_each(|m| *m = 1.0 - dropout);
            sample_in_place(mask, nh, UnitKind::Bernoulli, batch_streams, None, None);
            multiply_rows(h0, hs, mask, nh);
        }
        // 2. Negative phase: k steps h → v → h from the data (CD) or from
        // the chains' hidden states (PCD); or damped TAP sweeps of the
        // persistent magnetisations (EMF).
        let mut sparse_negative = false;
        if let Some(order) = params.method.tap_order() {
            h_sample.copy_from_slice(&state.chains);
            v_neg.copy_from_slice(&state.visible_chains);
            let sweeps = emf::negative_phase(
                rbm,
                &w.weights,
                order,
                params.tap_iterations,
                params.tap_tolerance as f32,
                params.tap_damping as f32,
                params.tap_precision,
                params.tap_weights,
                neg,
                v_neg,
                h_sample,
                &mut w.emf,
            );
            self.tap_sweeps.0 += sweeps;
            self.tap_sweeps.1 += 1;
            state.chains.copy_from_slice(h_sample);
            state.visible_chains.copy_from_slice(v_neg);
            for (dst, src) in h_neg.chunks_mut(hs).zip(h_sample.chunks_exact(nh)) {
                dst[..nh].copy_from_slice(src);
            }
            // Weighted states: each row of Hⁿ times its chain's factor, so
            // that the gradient's product and ⟨h⟩ⁿ weigh the chains.
            for (row, &factor) in h_neg.chunks_mut(hs).zip(w.emf.factors()) {
                row[..nh].iter_mut().for_each(|h| *h *= factor);
            }
            if sparse_positive {
                // The magnetisations are dense, but there are few of them:
                // stacked under a sparse batch, the gradient's sparse
                // product still reads far fewer rows of H than a dense one.
                w.negative.fill_from_dense(v_neg, neg, nv, false);
                sparse_negative = true;
            }
        } else {
            let streams = match params.method {
                Method::Cd => {
                    sample_in_place(h_sample, nh, hidden, batch_streams, Some((h0, hs)), None);
                    if dropout > 0.0 {
                        multiply_rows(h_sample, nh, mask, nh);
                    }
                    batch_streams
                }
                _ => {
                    h_sample.copy_from_slice(&state.chains);
                    chain_streams
                }
            };
            let masked = dropout > 0.0 && params.method == Method::Cd;
            for step in 0..params.k {
                visible_means(rbm, &w.weights, h_sample, neg, v_neg);
                let nonzeros = try_sparse.then_some(&mut w.negative);
                sample_in_place(v_neg, nv, visible, streams, None, nonzeros);
                sparse_negative = try_sparse && w.negative.density() <= SPARSE_DENSITY;
                let negative = sparse_negative.then_some(&w.negative);
                hidden_means(rbm, &w.weights, v_neg, neg, h_neg, hs, negative);
                if masked {
                    multiply_rows(h_neg, hs, mask, nh);
                }
                if step + 1 < params.k || params.method == Method::Pcd {
                    sample_in_place(h_sample, nh, hidden, streams, Some((h_neg, hs)), None);
                }
            }
            if params.method == Method::Pcd {
                state.chains.copy_from_slice(h_sample);
            }
        }
        // 3. Updates: the column means (for the biases and the sparsity
        // term) and, on the sparse path, the nonzeros of the stacked
        // [V⁰; −(B/Bⁿ)Vⁿ] by column.
        let scale = -(b as f32) / neg as f32;
        let rows = b + neg;
        let parallel = rows * nv * nh >= linalg::PARALLEL_MULTIPLY_ADDS;
        let sparse_gradient = sparse_positive && sparse_negative;
        let mut mean_v0 = vec![0.0f64; nv];
        let mut mean_vn = vec![0.0f64; nv];
        let mut mean_h0 = vec![0.0f64; nh];
        let mut mean_hn = vec![0.0f64; nh];
        rayon::join(
            || {
                rayon::join(
                    || column_means(v0, b, nv, nv, &mut mean_v0),
                    || column_means(v_neg, neg, nv, nv, &mut mean_vn),
                )
            },
            || {
                rayon::join(
                    || column_means(h0, b, nh, hs, &mut mean_h0),
                    || column_means(h_neg, neg, nh, hs, &mut mean_hn),
                )
            },
        );
        if sparse_gradient {
            w.columns
                .fill_transpose_of_stack(&[(&w.positive, 1.0), (&w.negative, scale)], parallel);
        }
        let tap_order = params.method.tap_order();
        if let Some(order) = tap_order {
            // The cumulants behind the Onsager sums of ∂ln Z_TAP/∂W,
            // before Vⁿ is scaled.
            emf::onsager_cumulants(rbm, order, neg, v_neg, h_sample, &mut w.emf);
            // Weighted states: ⟨v⟩ⁿ = Σ_α factor_α m_α / Bⁿ.
            if !w.emf.factors().is_empty() {
                mean_vn.iter_mut().for_each(|m| *m = 0.0);
                for (row, &factor) in v_neg.chunks_exact(nv).zip(w.emf.factors()) {
                    let factor = f64::from(factor) / neg as f64;
                    for (m, &v) in mean_vn.iter_mut().zip(row) {
                        *m += factor * f64::from(v);
                    }
                }
            }
        }
        let mut sparsity = vec![0.0f32; nh];
        if let Some(target) = params.sparsity_target {
            let lambda = params.sparsity_decay as f32;
            for (j, q) in state.hidden_activity.iter_mut().enumerate() {
                // Bernoulli activity in [0,1]; for spin units the activity is
                // P(h = +1) = (1 + E[h])/2.
                let activity = match hidden {
                    UnitKind::Spin => 0.5 * (1.0 + mean_h0[j] as f32),
                    _ => mean_h0[j] as f32,
                };
                *q = lambda * *q + (1.0 - lambda) * activity;
                sparsity[j] = params.sparsity_cost as f32 * (*q - target as f32);
            }
        }
        // G = [V⁰; −(B/Bⁿ)Vⁿ]ᵀ [H⁰; Hⁿ], one product of the stacked
        // (B + Bⁿ)-row blocks, then ΔW ← μΔW − ε(λ₂W + λ₁ sign W + s_j⟨v_i⟩)
        // + (ε/B)G and W += ΔW element-wise (so the result does not depend
        // on the thread count).
        let step = MomentumStep {
            momentum,
            learning_rate,
            l2: params.l2 as f32,
            l1: params.l1 as f32,
            alpha: learning_rate / b as f32,
        };
        let has_sparsity = params.sparsity_target.is_some();
        let shift = |i: usize, j0: usize, len: usize| {
            has_sparsity.then(|| (&sparsity[j0..j0 + len], mean_v0[i] as f32))
        };
        // One finished piece (row i, columns j0..) of G: its Onsager part
        // (EMF), then the momentum step.
        let update_piece = |onsager: Option<&OnsagerTile>,
                            (i, j0): (usize, usize),
                            velocity: &mut [f32],
                            weights: &mut [f32],
                            g: &mut [f32]| {
            if let Some(onsager) = onsager {
                onsager.add_to_piece(scale, (i, j0), weights, g);
            }
            momentum_step(velocity, weights, g, step, shift(i, j0, g.len()));
        };
        let gs = w.gradient.stride();
        if sparse_gradient {
            // From the nonzeros, with the momentum step on each finished
            // piece of G while it is in cache.
            self.sparse_updates += 1;
            let emf = &w.emf;
            let velocity_rows = RowPieces::new(&mut w.velocity);
            let weight_rows = RowPieces::new(&mut w.weights);
            // EMF: each column tile's Onsager sums are formed just before
            // its pieces.
            sparse_times_dense_around(
                w.gradient.as_mut_slice(),
                gs,
                &w.columns,
                w.hidden.as_slice(),
                hs,
                nh,
                parallel,
                &|j0, width, run| {
                    emf.with_onsager_tile(j0, width, |onsager| {
                        run(&|i, j0, g| {
                            // SAFETY: the product finishes each (row, column
                            // tile) piece once, and the pieces are disjoint.
                            let (velocity, weights) = unsafe {
                                (
                                    velocity_rows.piece(i, j0, g.len()),
                                    weight_rows.piece(i, j0, g.len()),
                                )
                            };
                            update_piece(onsager, (i, j0), velocity, weights, g);
                            // The product finishes a tile's rows in order.
                            let ahead = i + PREFETCH_ROWS_AHEAD;
                            weight_rows.prefetch(ahead, j0, g.len());
                            velocity_rows.prefetch(ahead, j0, g.len());
                        })
                    })
                },
            );
        } else {
            v_neg.iter_mut().for_each(|v| *v *= scale);
            gemm_with_stride(
                w.gradient.as_mut_slice(),
                gs,
                Operand::new(&w.visible[..rows * nv], rows, nv).t(),
                Operand::with_stride(w.hidden.as_slice(), rows, nh, hs),
                1.0,
                false,
            );
            // In slabs of the sparse products' column tiles: each thread
            // updates the columns of W that its share of them reads next
            // (EMF: after adding the slab's Onsager sums to G).
            let emf = &w.emf;
            w.gradient
                .column_slabs_mut(COLUMN_TILE)
                .into_par_iter()
                .zip(w.velocity.column_slabs_mut(COLUMN_TILE))
                .zip(w.weights.column_slabs_mut(COLUMN_TILE))
                .for_each(|((mut gradient, mut velocity), mut weights)| {
                    let (j0, len) = (weights.first_column(), weights.width());
                    emf.with_onsager_tile(j0, len, |onsager| {
                        for i in 0..weights.rows() {
                            let g = gradient.row(i);
                            update_piece(onsager, (i, j0), velocity.row(i), weights.row(i), g);
                        }
                    })
                });
        }
        for (i, (db, bias)) in state
            .velocity_visible_bias
            .iter_mut()
            .zip(rbm.visible_bias_mut().iter_mut())
            .enumerate()
        {
            *db = momentum * *db + learning_rate * (mean_v0[i] - mean_vn[i]) as f32;
            *bias += *db;
        }
        for (j, (dc, bias)) in state
            .velocity_hidden_bias
            .iter_mut()
            .zip(rbm.hidden_bias_mut().iter_mut())
            .enumerate()
        {
            *dc = momentum * *dc + learning_rate * ((mean_h0[j] - mean_hn[j]) as f32 - sparsity[j]);
            *bias += *dc;
        }
    }
}
