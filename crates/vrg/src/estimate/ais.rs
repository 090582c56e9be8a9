//! ln Z of an RBM by annealed importance sampling (AIS), from a base-rate
//! model whose partition function is known in closed form.
//!
//! Salakhutdinov & Murray (2008), §3–4, following Neal (2001): the
//! intermediate models are the geometric path between the base model A
//! (visible biases b_A, no couplings) and the target B = (W, b, c),
//!
//! p*_β(v) = e^{−(1−β)E_A(v) − βE_B(v)} Π_j Σ_{h_j} e^{β h_j x_j(v)},  x = c + Wᵀv,
//!
//! with E_A(v) = −b_Aᵀv and E_B(v) = −bᵀv (½‖v − b_A‖², ½‖v − b‖² for
//! Gaussian visible units). At β = 0 the hidden product is 2^{n_h}, so
//! ln Z_0 = Σ_i ln Σ_{v_i} e^{−E_A} + n_h ln 2. Gaussian hidden units keep
//! their ½h² term at every β (it belongs to both A and B), so their factor
//! is ∫ e^{β h x − h²/2} dh = √(2π) e^{β² x²/2}, h ~ N(β x, 1) in the Gibbs
//! step, and each contributes ½ ln 2π instead of ln 2 to ln Z_0. Each of M chains starts
//! from an exact sample of the base model, and for β_1 < … < β_K = 1
//! accumulates the log-weight
//!
//! ln w = Σ_k [ln p*_{β_k}(v_{k−1}) − ln p*_{β_{k−1}}(v_{k−1})],
//!
//! moving v_{k−1} → v_k by one block Gibbs step (h | v, then v | h) that
//! leaves p_{β_k} invariant. Then Ẑ_B = Z_0 · mean(w) is unbiased, and
//! ln Ẑ_B = ln Z_0 + ln Σ w − ln M (a log-sum-exp). Its standard error is
//! the delta-method std(w)/(√M mean(w)) from the spread of the weights
//! (computed on w / max w), and the effective sample size is
//! (Σw)² / Σw². ln Ẑ is biased low by about half its variance, so a small
//! ESS means the estimate is likely too low, not merely noisy.
//!
//! Chains run in fixed chunks of [`CHAINS_PER_CHUNK`], each with its own
//! random stream and its own whole path, in parallel; the result does not
//! depend on the thread count.
//!
//! Per temperature and chain the work is two products (V·W and H·Wᵀ, on
//! the nonzeros of {0, 1} layers, with W and Wᵀ packed once per run as
//! [`ColumnPanels`]), the two hidden log-partition sums in f64, and the
//! draws: vectorised σ or tanh of the inputs compared with 24-bit uniforms,
//! as in the trainer's samplers.
//!
//! # References
//! - R. M. Neal, "Annealed importance sampling", Statistics and Computing
//!   11, 125 (2001).
//! - R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep
//!   belief networks", ICML 2008.

use super::layer_sums;
use crate::data::Dataset;
use crate::linalg::maths::{dot_f32_f64, sigmoid_affine_rows, tanh_affine_rows};
use crate::linalg::sparse::{sparse_times_panels, ColumnPanels, SparseRows};
use crate::linalg::{
    bernoulli_in_place, fill_random_bits, gemm, spin_in_place, transpose, Operand,
};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::rng::{self, Rng};
use crate::{Error, Result};
use rayon::prelude::*;

/// Chains per random stream (and per parallel task). Each block of the
/// packed weights a chunk's products read is fetched into L1 once per
/// chunk and step, so larger chunks fetch less per chain: 50 (two chunks
/// for the usual 100 chains on two cores) ran about 8 % faster than 25.
pub const CHAINS_PER_CHUNK: usize = 50;

/// Gibbs steps at β = 1 between the forward run's end and the reverse
/// run's start in [`ais_bracket`], so that the reverse chains start closer
/// to the model's distribution.
pub const REVERSE_BURN_IN: usize = 200;

/// Below this fraction of the chains, [`AisEstimate::low_ess`] is set.
pub const LOW_ESS_FRACTION: f64 = 0.1;

/// The inverse temperatures β_0 = 0 < β_1 < … < β_K = 1.
#[derive(Clone, Debug, PartialEq)]
pub struct BetaSchedule(Vec<f64>);

impl BetaSchedule {
    /// Salakhutdinov & Murray's schedule: steps of 10⁻³ from 0 to 0.5, 10⁻⁴
    /// to 0.9 and 10⁻⁵ to 1 (14 500 intermediate temperatures).
    pub fn salakhutdinov_murray() -> Self {
        let mut betas = Vec::with_capacity(14_501);
        betas.extend((0..500).map(|i| i as f64 * 1e-3));
        betas.extend((0..4000).map(|i| 0.5 + i as f64 * 1e-4));
        betas.extend((0..10_000).map(|i| 0.9 + i as f64 * 1e-5));
        betas.push(1.0);
        BetaSchedule(betas)
    }

    /// `steps` temperatures with the same shape as
    /// [`salakhutdinov_murray`](Self::salakhutdinov_murray) (the same
    /// fractions of steps in [0, 0.5], [0.5, 0.9] and [0.9, 1]), for shorter
    /// runs. Errors if `steps` < 3.
    pub fn scaled(steps: usize) -> Result<Self> {
        if steps < 3 {
            return Err(Error::invalid("betas", steps, "at least 3 temperatures"));
        }
        crate::memory::check(
            || format!("an AIS schedule of {steps} temperatures"),
            steps.saturating_add(1),
            std::mem::size_of::<f64>(),
        )?;
        let first = (steps * 500 / 14_500).max(1);
        let second = (steps * 4000 / 14_500).max(1);
        let third = steps - first - second;
        let mut betas = Vec::with_capacity(steps + 1);
        betas.extend((0..first).map(|i| 0.5 * i as f64 / first as f64));
        betas.extend((0..second).map(|i| 0.5 + 0.4 * i as f64 / second as f64));
        betas.extend((0..third).map(|i| 0.9 + 0.1 * i as f64 / third as f64));
        betas.push(1.0);
        Ok(BetaSchedule(betas))
    }

    /// β_0 … β_K.
    pub fn betas(&self) -> &[f64] {
        &self.0
    }

    /// K, the number of steps (temperatures after β_0).
    pub fn steps(&self) -> usize {
        self.0.len() - 1
    }
}

/// What [`ais_log_partition`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct AisEstimate {
    /// ln Ẑ = ln Z_0 + ln mean(w).
    pub log_z: f64,
    /// Standard error of ln Ẑ (delta method, from the weights' spread).
    pub log_z_stderr: f64,
    /// ln Z_0 of the base model.
    pub log_z_base: f64,
    /// Effective sample size (Σw)² / Σw², between 1 and `chains`.
    pub ess: f64,
    pub chains: usize,
    /// Whether the ESS is below [`LOW_ESS_FRACTION`] of the chains.
    pub low_ess: bool,
    /// ln w of each chain.
    pub log_weights: Vec<f64>,
}

/// Visible biases of the base-rate model from the data's column means m_i:
/// ln(p/(1−p)) for Bernoulli units (p = m_i clipped to [10⁻³, 1 − 10⁻³]),
/// atanh(m_i) for spin units (clipped to ±(1 − 2·10⁻³)), m_i for Gaussian
/// units (Salakhutdinov & Murray 2008, §4; Hinton 2010, §8).
pub fn base_rate_biases(data: &[f32], n_features: usize, units: VisibleUnits) -> Vec<f32> {
    let rows = data.len() / n_features.max(1);
    let mut sums = vec![0.0f64; n_features];
    add_columns(&mut sums, data);
    biases_from_sums(&sums, rows, units)
}

/// [`base_rate_biases`] of a [`Dataset`], read chunk by chunk (packed rows
/// are never decoded whole); the same biases, bit for bit.
pub fn base_rate_biases_of(data: &Dataset, units: VisibleUnits) -> Vec<f32> {
    let mut sums = vec![0.0f64; data.n_features];
    let _ = data.for_each_chunk(crate::data::STREAM_ROWS, |_, rows| {
        add_columns(&mut sums, rows);
        Ok::<(), ()>(())
    });
    biases_from_sums(&sums, data.n_rows, units)
}

/// Adds each row of `rows` (row-major, rows of `sums.len()`) to `sums`.
fn add_columns(sums: &mut [f64], rows: &[f32]) {
    for row in rows.chunks_exact(sums.len().max(1)) {
        for (m, &v) in sums.iter_mut().zip(row) {
            *m += f64::from(v);
        }
    }
}

/// The base-rate biases from column sums over `rows` rows.
fn biases_from_sums(sums: &[f64], rows: usize, units: VisibleUnits) -> Vec<f32> {
    sums.iter()
        .map(|&sum| {
            let m = sum / rows.max(1) as f64;
            let b = match units {
                VisibleUnits::Bernoulli => {
                    let p = m.clamp(1e-3, 1.0 - 1e-3);
                    (p / (1.0 - p)).ln()
                }
                VisibleUnits::Spin => m.clamp(-1.0 + 2e-3, 1.0 - 2e-3).atanh(),
                VisibleUnits::Gaussian => m,
            };
            b as f32
        })
        .collect()
}

/// How the chains' layer inputs are multiplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Products {
    /// Layers of {0, 1} units by the sparse products of
    /// [`crate::linalg::sparse`] (only their nonzeros are read); other
    /// layers densely. The default.
    #[default]
    Sparse,
    /// Every product dense (the reference the sparse one is tested against).
    Dense,
}

/// AIS estimate of ln Z for `rbm` with `chains` chains over `schedule`,
/// from the base model with visible biases `base_bias` (see
/// [`base_rate_biases`]), seeded by `seed`.
pub fn ais_log_partition(
    rbm: &Rbm,
    base_bias: &[f32],
    chains: usize,
    schedule: &BetaSchedule,
    seed: u64,
) -> Result<AisEstimate> {
    ais_log_partition_with(rbm, base_bias, chains, schedule, seed, Products::Sparse)
}

/// [`ais_log_partition`] with the products chosen.
pub fn ais_log_partition_with(
    rbm: &Rbm,
    base_bias: &[f32],
    chains: usize,
    schedule: &BetaSchedule,
    seed: u64,
    products: Products,
) -> Result<AisEstimate> {
    check_arguments(rbm, base_bias, chains)?;
    let walks = walk(
        rbm,
        base_bias,
        chains,
        schedule.betas(),
        None,
        0,
        (seed, products),
        0,
    );
    Ok(summarize(
        walks.log_weights,
        base_log_partition(rbm, base_bias),
        Direction::Forward,
    ))
}

/// A bracket around ln Z: the forward AIS estimate (biased low) and a
/// reverse AIS estimate (Burda, Grosse & Salakhutdinov 2015) started from
/// the forward chains' final states after [`REVERSE_BURN_IN`] more Gibbs
/// steps at β = 1.
/// Reverse AIS estimates Z_0/Z from the path walked backwards; its
/// ln Z = ln Z_0 − ln mean(w) is biased high when its start states are
/// exact samples of the model, so the two bracket ln Z when both chains mix
/// well (the forward end states are only approximate samples, so the upper
/// side is an estimate, not a guarantee).
pub fn ais_bracket(
    rbm: &Rbm,
    base_bias: &[f32],
    chains: usize,
    schedule: &BetaSchedule,
    seed: u64,
) -> Result<(AisEstimate, AisEstimate)> {
    ais_bracket_with(rbm, base_bias, chains, schedule, seed, Products::Sparse)
}

/// [`ais_bracket`] with the products chosen.
pub fn ais_bracket_with(
    rbm: &Rbm,
    base_bias: &[f32],
    chains: usize,
    schedule: &BetaSchedule,
    seed: u64,
    products: Products,
) -> Result<(AisEstimate, AisEstimate)> {
    check_arguments(rbm, base_bias, chains)?;
    let log_z_base = base_log_partition(rbm, base_bias);
    let forward = walk(
        rbm,
        base_bias,
        chains,
        schedule.betas(),
        None,
        REVERSE_BURN_IN,
        (seed, products),
        0,
    );
    let backwards: Vec<f64> = schedule.betas().iter().rev().copied().collect();
    let chunks = chains.div_ceil(CHAINS_PER_CHUNK);
    let reverse = walk(
        rbm,
        base_bias,
        chains,
        &backwards,
        Some(&forward.end_states),
        0,
        (seed, products),
        chunks,
    );
    Ok((
        summarize(forward.log_weights, log_z_base, Direction::Forward),
        summarize(reverse.log_weights, log_z_base, Direction::Reverse),
    ))
}

/// Errors for base biases of the wrong length or not finite, and fewer
/// than two chains.
fn check_arguments(rbm: &Rbm, base_bias: &[f32], chains: usize) -> Result<()> {
    let nv = rbm.n_visible();
    if base_bias.len() != nv {
        return Err(Error::ShapeMismatch {
            what: "base-rate visible biases".into(),
            expected: format!("{nv} values"),
            found: format!("{}", base_bias.len()),
        });
    }
    if chains < 2 {
        return Err(Error::invalid("chains", chains, "at least 2 chains"));
    }
    // Each chain holds visible and hidden states, their probabilities and
    // a log weight.
    crate::memory::check_product(
        || {
            format!(
                "{chains} AIS chains of {nv} visible + {} hidden units",
                rbm.n_hidden()
            )
        },
        &[chains, nv.saturating_add(rbm.n_hidden()).saturating_mul(2)],
        std::mem::size_of::<f32>(),
    )?;
    if let Some((i, b)) = base_bias.iter().enumerate().find(|(_, b)| !b.is_finite()) {
        return Err(Error::invalid(
            "base-rate visible bias",
            b,
            format!("finite numbers (element {i})"),
        ));
    }
    Ok(())
}

/// Which way a path was walked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// β from 0 to 1: mean(w) estimates Z/Z_0.
    Forward,
    /// β from 1 to 0: mean(w) estimates Z_0/Z.
    Reverse,
}

/// ln Z, its standard error and the ESS from the log-weights.
fn summarize(log_weights: Vec<f64>, log_z_base: f64, direction: Direction) -> AisEstimate {
    let chains = log_weights.len();
    let m = chains as f64;
    let max = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_weights.iter().map(|&l| (l - max).exp()).collect();
    let sum: f64 = w.iter().sum();
    let mean = sum / m;
    let variance = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let ess = sum * sum / w.iter().map(|x| x * x).sum::<f64>();
    let log_mean = max + mean.ln();
    AisEstimate {
        log_z: match direction {
            Direction::Forward => log_z_base + log_mean,
            Direction::Reverse => log_z_base - log_mean,
        },
        log_z_stderr: (variance / m).sqrt() / mean,
        log_z_base,
        ess,
        chains,
        low_ess: ess < LOW_ESS_FRACTION * m,
        log_weights,
    }
}

/// Log-weights (and final visible states) of `chains` chains walking
/// `betas` in the order given, from base-model samples or from `start`
/// (chains × n_visible), in chunks of [`CHAINS_PER_CHUNK`] run in
/// parallel; chunk c draws from stream `first_stream + c` of the seed's
/// AIS family. Then `extra_steps` more Gibbs steps at the last β.
#[allow(clippy::too_many_arguments)]
fn walk(
    rbm: &Rbm,
    base_bias: &[f32],
    chains: usize,
    betas: &[f64],
    start: Option<&[f32]>,
    extra_steps: usize,
    (seed, products): (u64, Products),
    first_stream: usize,
) -> Walks {
    let nv = rbm.n_visible();
    let chunks = chains.div_ceil(CHAINS_PER_CHUNK);
    let base = rng::family(seed, rng::families::AIS);
    let streams = rng::streams(&base, first_stream + chunks).split_off(first_stream);
    let panels = WeightPanels::new(rbm, products);
    let results: Vec<(Vec<f64>, Vec<f32>)> = streams
        .into_par_iter()
        .enumerate()
        .map(|(c, stream)| {
            let first = c * CHAINS_PER_CHUNK;
            let rows = CHAINS_PER_CHUNK.min(chains - first);
            let start = start.map(|s| &s[first * nv..(first + rows) * nv]);
            Path::new(rbm, base_bias, rows, &panels).run(betas, start, extra_steps, stream)
        })
        .collect();
    let mut walks = Walks {
        log_weights: Vec::with_capacity(chains),
        end_states: Vec::with_capacity(chains * nv),
    };
    for (log_w, v) in results {
        walks.log_weights.extend(log_w);
        walks.end_states.extend(v);
    }
    walks
}

struct Walks {
    log_weights: Vec<f64>,
    end_states: Vec<f32>,
}

/// ln Z_0 = Σ_i ln Σ_{v_i} e^{b_A,i v_i} + n_h f(0), with f(0) = ln 2 for
/// binary and ½ ln 2π for Gaussian hidden units (ln √(2π) per Gaussian
/// visible unit).
fn base_log_partition(rbm: &Rbm, base_bias: &[f32]) -> f64 {
    let visible: f64 = base_bias
        .iter()
        .map(|&b| match rbm.visible_units() {
            VisibleUnits::Bernoulli => crate::rbm::softplus(f64::from(b)),
            VisibleUnits::Spin => crate::rbm::ln_2cosh(f64::from(b)),
            VisibleUnits::Gaussian => crate::rbm::HALF_LN_2PI,
        })
        .sum();
    visible + rbm.n_hidden() as f64 * rbm.hidden_units().log_partition(0.0)
}

/// One chunk of chains walking the whole schedule.
struct Path<'a> {
    rbm: &'a Rbm,
    base_bias: &'a [f32],
    rows: usize,
    v: Vec<f32>,
    h: Vec<f32>,
    x: Vec<f32>,
    scratch: Vec<f64>,
    /// n_hidden zeros: the hidden inputs' bias (x already holds c).
    zeros: Vec<f32>,
    /// (1 − β) b_A + β b, the visible inputs' bias at the current β.
    visible_inputs: Vec<f32>,
    /// Random words of a layer's draws.
    bits: Vec<u32>,
    /// b − b_A in f64: E_A(v) − E_B(v) = (b − b_A)ᵀv for binary visible
    /// units.
    bias_gap: Vec<f64>,
    /// The weights packed for the sparse products, where chosen.
    panels: &'a WeightPanels,
    nonzeros: SparseRows,
}

/// The weights as [`ColumnPanels`] for the sparse products of {0, 1}
/// layers: W for V·W when the visible units are Bernoulli, Wᵀ for H·Wᵀ
/// when the hidden units are; packed once per run and shared by the
/// chunks.
struct WeightPanels {
    visible: Option<ColumnPanels>,
    hidden: Option<ColumnPanels>,
}

impl WeightPanels {
    fn new(rbm: &Rbm, products: Products) -> Self {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        let sparse = products == Products::Sparse;
        let visible = (sparse && rbm.visible_units() == VisibleUnits::Bernoulli)
            .then(|| ColumnPanels::new(rbm.weights(), nv, nh, nh));
        let hidden = (sparse && rbm.hidden_units() == HiddenUnits::Bernoulli).then(|| {
            let mut weights_t = vec![0.0; nv * nh];
            transpose(rbm.weights(), nv, nh, &mut weights_t);
            ColumnPanels::new(&weights_t, nh, nv, nv)
        });
        WeightPanels { visible, hidden }
    }
}

impl<'a> Path<'a> {
    fn new(rbm: &'a Rbm, base_bias: &'a [f32], rows: usize, panels: &'a WeightPanels) -> Self {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        Path {
            rbm,
            base_bias,
            rows,
            v: vec![0.0; rows * nv],
            h: vec![0.0; rows * nh],
            x: vec![0.0; rows * nh],
            scratch: vec![0.0; nh],
            zeros: vec![0.0; nh],
            visible_inputs: vec![0.0; nv],
            bits: Vec::new(),
            bias_gap: rbm
                .visible_bias()
                .iter()
                .zip(base_bias)
                .map(|(&b, &a)| f64::from(b) - f64::from(a))
                .collect(),
            panels,
            nonzeros: SparseRows::default(),
        }
    }

    /// x = V·W (no bias), sparse for {0, 1} visible units when chosen.
    fn visible_times_weights(&mut self) {
        let (nv, nh) = (self.rbm.n_visible(), self.rbm.n_hidden());
        if let Some(panels) = &self.panels.visible {
            self.nonzeros.fill_from_dense(&self.v, self.rows, nv, false);
            sparse_times_panels(&mut self.x, &self.nonzeros, panels);
        } else {
            gemm(
                &mut self.x,
                Operand::new(&self.v, self.rows, nv),
                Operand::new(self.rbm.weights(), nv, nh),
                1.0,
                false,
            );
        }
    }

    /// v = H·Wᵀ (no bias), sparse for {0, 1} hidden units when chosen.
    fn hidden_times_weights(&mut self) {
        let (nv, nh) = (self.rbm.n_visible(), self.rbm.n_hidden());
        if let Some(panels) = &self.panels.hidden {
            self.nonzeros.fill_from_dense(&self.h, self.rows, nh, false);
            sparse_times_panels(&mut self.v, &self.nonzeros, panels);
        } else {
            gemm(
                &mut self.v,
                Operand::new(&self.h, self.rows, nh),
                Operand::new(self.rbm.weights(), nv, nh).t(),
                1.0,
                false,
            );
        }
    }

    /// The chunk's log-weights Σ_k [ln p*_{β_k}(v_{k−1}) − ln p*_{β_{k−1}}(v_{k−1})]
    /// along `betas` (in the order given) and its final states.
    fn run(
        mut self,
        betas: &[f64],
        start: Option<&[f32]>,
        extra_steps: usize,
        mut rng: Rng,
    ) -> (Vec<f64>, Vec<f32>) {
        let rbm = self.rbm;
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        let rows = self.rows;
        match start {
            Some(states) => self.v.copy_from_slice(states),
            None => {
                // v_0 from the base model: inputs b_A.
                self.v.fill(0.0);
                sample_layer(
                    &mut self.v,
                    1.0,
                    self.base_bias,
                    Units::of_visible(self.rbm.visible_units()),
                    &mut rng,
                    &mut self.bits,
                );
            }
        }
        let mut log_w = vec![0.0f64; rows];
        let (b, b_a) = (self.rbm.visible_bias(), self.base_bias);
        for k in 1..betas.len() {
            let (before, beta) = (betas[k - 1], betas[k]);
            // x = c + Wᵀv for the current v.
            self.visible_times_weights();
            let c = self.rbm.hidden_bias();
            for (r, (v, x)) in self
                .v
                .chunks_exact(nv)
                .zip(self.x.chunks_exact_mut(nh))
                .enumerate()
            {
                for (xj, &cj) in x.iter_mut().zip(c) {
                    *xj += cj;
                }
                // ln p*_β(v) − ln p*_{β'}(v): (β − β')[E_A(v) − E_B(v)] plus
                // the hidden log-partition sums at β x and β' x.
                let visible = match self.rbm.visible_units() {
                    VisibleUnits::Gaussian => gaussian_energy_gap(v, b, b_a),
                    _ => dot_f32_f64(v, &self.bias_gap),
                };
                let at = |scale: f64, scratch: &mut Vec<f64>| {
                    for (s, &xj) in scratch.iter_mut().zip(x.iter()) {
                        *s = scale * f64::from(xj);
                    }
                    match rbm.hidden_units() {
                        HiddenUnits::Bernoulli => layer_sums::softplus_sum_f64(scratch),
                        HiddenUnits::Spin => layer_sums::ln_2cosh_sum_f64(scratch),
                        // ½x² + ½ ln 2π per unit; the constant cancels in
                        // the difference below.
                        HiddenUnits::Gaussian => 0.5 * scratch.iter().map(|x| x * x).sum::<f64>(),
                    }
                };
                let hidden = at(beta, &mut self.scratch) - at(before, &mut self.scratch);
                log_w[r] += (beta - before) * visible + hidden;
            }
            if k + 1 < betas.len() {
                self.transition(beta, &mut rng);
            }
        }
        let last = betas.last().copied().unwrap_or(1.0);
        for _ in 0..extra_steps {
            self.hidden_inputs();
            self.transition(last, &mut rng);
        }
        (log_w, self.v)
    }

    /// x = c + Wᵀv for the current v.
    fn hidden_inputs(&mut self) {
        let nh = self.rbm.n_hidden();
        self.visible_times_weights();
        for x in self.x.chunks_exact_mut(nh) {
            for (xj, &cj) in x.iter_mut().zip(self.rbm.hidden_bias()) {
                *xj += cj;
            }
        }
    }

    /// One block Gibbs step at β: h ~ p_β(h | v) from the inputs β x (x
    /// already computed for v; h ~ N(β x, 1) for Gaussian units), then v ~
    /// p_β(v | h) from the inputs β W h + (1 − β) b_A + β b.
    fn transition(&mut self, beta: f64, rng: &mut Rng) {
        let beta32 = beta as f32;
        self.h.copy_from_slice(&self.x);
        let no_bias = &self.zeros[..];
        sample_layer(
            &mut self.h,
            beta32,
            no_bias,
            Units::of_hidden(self.rbm.hidden_units()),
            rng,
            &mut self.bits,
        );
        self.hidden_times_weights();
        let (b, b_a) = (self.rbm.visible_bias(), self.base_bias);
        for ((a, &bi), &ai) in self.visible_inputs.iter_mut().zip(b).zip(b_a) {
            *a = (1.0 - beta32) * ai + beta32 * bi;
        }
        sample_layer(
            &mut self.v,
            beta32,
            &self.visible_inputs,
            Units::of_visible(self.rbm.visible_units()),
            rng,
            &mut self.bits,
        );
    }
}

/// How a layer's units are sampled from their inputs.
#[derive(Clone, Copy)]
enum Units {
    /// 1 with probability σ(a), else 0.
    Bernoulli,
    /// +1 with probability σ(2a), else −1.
    Spin,
    /// a + N(0, 1).
    Gaussian,
}

impl Units {
    fn of_visible(units: VisibleUnits) -> Self {
        match units {
            VisibleUnits::Bernoulli => Units::Bernoulli,
            VisibleUnits::Spin => Units::Spin,
            VisibleUnits::Gaussian => Units::Gaussian,
        }
    }

    fn of_hidden(units: HiddenUnits) -> Self {
        match units {
            HiddenUnits::Bernoulli => Units::Bernoulli,
            HiddenUnits::Spin => Units::Spin,
            HiddenUnits::Gaussian => Units::Gaussian,
        }
    }
}

/// Replaces each entry y of `x` (rows of `bias.len()`) by a sample of its
/// unit with input a = scale·y + bias: Bernoulli with P(1) = σ(a), spin
/// with P(+1) = σ(2a) = (1 + tanh a)/2, or a + N(0, 1). The binary draws
/// compare vectorised means with 24-bit uniforms from `bits` (filled from
/// `rng`), as the trainer's samplers do.
fn sample_layer(
    x: &mut [f32],
    scale: f32,
    bias: &[f32],
    units: Units,
    rng: &mut Rng,
    bits: &mut Vec<u32>,
) {
    let mut uniforms = |rng: &mut Rng| {
        bits.resize(x.len(), 0);
        fill_random_bits(rng, bits);
    };
    match units {
        Units::Bernoulli => {
            uniforms(rng);
            sigmoid_affine_rows(x, scale, bias);
            bernoulli_in_place(x, bits);
        }
        Units::Spin => {
            uniforms(rng);
            tanh_affine_rows(x, scale, bias);
            spin_in_place(x, bits);
        }
        Units::Gaussian => {
            for row in x.chunks_exact_mut(bias.len().max(1)) {
                for (y, &b) in row.iter_mut().zip(bias) {
                    *y = scale * *y + b;
                }
            }
            crate::rbm::add_standard_normal(x, rng);
        }
    }
}

/// E_A(v) − E_B(v) = ½‖v − b_A‖² − ½‖v − b‖² for Gaussian visible units
/// (for binary units it is (b − b_A)ᵀv, `Path::bias_gap`).
fn gaussian_energy_gap(v: &[f32], b: &[f32], b_a: &[f32]) -> f64 {
    v.iter()
        .zip(b.iter().zip(b_a))
        .map(|(&vi, (&bi, &ai))| {
            let (vi, bi, ai) = (f64::from(vi), f64::from(bi), f64::from(ai));
            0.5 * ((vi - ai).powi(2) - (vi - bi).powi(2))
        })
        .sum()
}
