//! Monte Carlo estimates of chosen couplings, for any number of visible
//! units.

use rand::RngCore;
use rayon::prelude::*;

use super::exact::add_log_partition;
use super::model::SpinModel;
use super::{Coupling, CouplingDiagnostics, CouplingMethod, CouplingSets, EffectiveCouplings};
use crate::linalg::{axpy_f64, gemm_f64, Operand};
use crate::rbm::Rbm;
use crate::{Error, Result};

/// Parameters of [`couplings_monte_carlo`].
#[derive(Clone, Debug, PartialEq)]
pub struct MonteCarloOptions {
    /// Uniform configurations drawn (at least 2, for a standard error).
    pub samples: usize,
    /// The seed (draws come from family [`crate::rng::families::COUPLINGS`]).
    pub seed: u64,
}

impl Default for MonteCarloOptions {
    /// 10 000 samples, seed 0.
    fn default() -> Self {
        MonteCarloOptions {
            samples: 10_000,
            seed: 0,
        }
    }
}

/// Samples drawn from one random stream.
const CHUNK: usize = 256;

/// D_S f(x) = 2^{−k} Σ_{t∈{±1}^k} (Π_j t_j) f(x + Σ_j w_j t_j), the
/// discrete mixed derivative of f along the weights `w` of the k sites of
/// S, given precomputed `shifts` (Σ_j w_j t_j) and `signs` (Π_j t_j).
#[inline]
pub(crate) fn finite_difference(
    f: impl Fn(f64) -> f64,
    x: f64,
    shifts: &[f64],
    signs: &[f64],
) -> f64 {
    let mut sum = 0.0;
    for (&d, &sign) in shifts.iter().zip(signs) {
        sum += sign * f(x + d);
    }
    sum / shifts.len() as f64
}

/// The 2^k shifts Σ_j w_j t_j and signs Π_j t_j of
/// [`finite_difference`], bit j of the index set ⇔ t_j = −1.
pub(crate) fn shifts_and_signs(w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let shifts = super::model::signed_sums(w, 0.0);
    let signs = (0..shifts.len())
        .map(|t: usize| {
            if t.count_ones().is_multiple_of(2) {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    (shifts, signs)
}

/// Unbiased Monte Carlo estimates of the couplings K_S for the sets
/// `sets`, with standard errors, and of K_∅.
///
/// # Estimator
/// By eq. (WHT), K_S = [linear part] + Σ_μ E_s[g_μ(s) Π_{i∈S} s_i] with s
/// uniform on {±1}^n and g_μ(s) = f(b′_μ + Σ_i w_iμ s_i) (eq. S). Splitting
/// s = (s_S, s_R) and averaging over s_S exactly,
///
/// E_s[g_μ(s) Π_{i∈S} s_i] = E_s[D_S g_μ(s)],
/// D_S g_μ(s) = 2^{−|S|} Σ_{t∈{±1}^S} (Π_{i∈S} t_i) f(x_μ(s) − Σ_{i∈S} w_iμ s_i + Σ_{i∈S} w_iμ t_i),
///
/// a discrete mixed derivative that depends only on the spins outside S.
/// For N independent uniform configurations s⁽ᵏ⁾ the estimate is
/// K̂_S = [linear part] + (1/N) Σ_k Y_k with Y_k = Σ_μ D_S g_μ(s⁽ᵏ⁾), and its
/// standard error is the sample standard deviation of Y over √N. This is
/// unbiased, and the exact average over s_S removes the variance that the
/// naive estimator g Π s_i carries from the constant, the fields and every
/// coupling not containing S: a unit whose support lies inside S
/// contributes its exact value with no variance, and a unit with a zero
/// weight on a site of S contributes exactly 0. The linear part (K₀ to
/// K_∅, h_i to K_{i}) is exact; K_∅ is estimated by the plain mean of
/// Σ_μ g_μ(s⁽ᵏ⁾). Cost: N·n·n_hidden for the inputs (one GEMM) plus
/// N·n_hidden·2^|S| evaluations of f per set.
///
/// Configurations are drawn in fixed chunks of 256 from their own streams
/// of family [`crate::rng::families::COUPLINGS`] of `options.seed`, and each
/// set's average is accumulated in sample order, so the result does not
/// depend on the thread count.
///
/// Errors with [`Error::InvalidParameter`] for Gaussian visible units,
/// fewer than 2 samples, or a bad set (see [`CouplingSets::resolve`]), and
/// [`Error::TooMuchMemory`] when the N configurations do not fit.
pub fn couplings_monte_carlo(
    rbm: &Rbm,
    sets: &CouplingSets,
    options: &MonteCarloOptions,
) -> Result<EffectiveCouplings> {
    let model = SpinModel::from_rbm(rbm)?;
    let samples = options.samples;
    if samples < 2 {
        return Err(Error::invalid(
            "samples",
            samples,
            "at least 2 (a standard error needs two draws)",
        ));
    }
    let sets = sets.resolve(model.n)?;
    let (n, m) = (model.n, model.m);
    crate::memory::check_product(
        || format!("{samples} uniform configurations of {n} spins and {m} hidden inputs"),
        &[samples, 2 * n + m],
        std::mem::size_of::<f64>(),
    )?;
    // Uniform spins, chunk by chunk from fixed streams (samples × n).
    let mut drawn = vec![0.0f64; samples * n];
    let n_chunks = samples.div_ceil(CHUNK);
    let streams = crate::rng::streams(
        &crate::rng::family(options.seed, crate::rng::families::COUPLINGS),
        n_chunks,
    );
    drawn
        .par_chunks_mut(CHUNK * n)
        .zip(streams)
        .for_each(|(chunk, mut rng)| {
            for row in chunk.chunks_exact_mut(n) {
                for word in row.chunks_mut(64) {
                    let bits = rng.next_u64();
                    for (k, s) in word.iter_mut().enumerate() {
                        *s = if (bits >> k) & 1 == 1 { -1.0 } else { 1.0 };
                    }
                }
            }
        });
    // Site-major spins (n × samples), so that a site's values over the
    // samples are contiguous.
    let mut spins = vec![0.0f64; samples * n];
    for (k, row) in drawn.chunks_exact(n).enumerate() {
        for (i, &s) in row.iter().enumerate() {
            spins[i * samples + k] = s;
        }
    }
    drop(drawn);
    // x_μ = b′_μ + Σ_i w_iμ s_i, unit-major (m × samples).
    let mut inputs = vec![0.0f64; samples * m];
    gemm_f64(
        &mut inputs,
        Operand::new(&model.weights, m, n),
        Operand::new(&spins, n, samples),
        1.0,
        false,
    );
    for (row, &b) in inputs.chunks_exact_mut(samples).zip(&model.bias) {
        for x in row.iter_mut() {
            *x += b;
        }
    }
    // K_∅: plain mean of Σ_μ g_μ.
    let mut totals = vec![0.0f64; samples];
    let add = add_log_partition(model.hidden);
    for row in inputs.chunks_exact(samples) {
        // totals += f(0 + x) for the unit's inputs x over the samples.
        add(&mut totals, 0.0, row, 1.0);
    }
    let (mean, stderr) = mean_and_stderr(&totals);
    let constant = model.constant + mean;
    let couplings: Vec<Coupling> = sets
        .par_iter()
        .map(|set| {
            let mut y = vec![0.0f64; samples];
            let mut rest = vec![0.0f64; samples];
            for mu in 0..m {
                let w = model.unit(mu);
                let ws: Vec<f64> = set.iter().map(|&i| w[i]).collect();
                if ws.contains(&0.0) {
                    continue;
                }
                // The unit's input without the spins of S, per sample.
                rest.copy_from_slice(&inputs[mu * samples..(mu + 1) * samples]);
                for (&i, &wi) in set.iter().zip(&ws) {
                    axpy_f64(&mut rest, -wi, &spins[i * samples..(i + 1) * samples]);
                }
                // y += D_S g_μ = 2^{−k} Σ_t (Π t) f(rest + Σ w t).
                let (shifts, signs) = shifts_and_signs(&ws);
                let scale = 1.0 / shifts.len() as f64;
                for (&d, &sign) in shifts.iter().zip(&signs) {
                    add(&mut y, d, &rest, sign * scale);
                }
            }
            let (mean, stderr) = mean_and_stderr(&y);
            let linear = if set.len() == 1 {
                model.field[set[0]]
            } else {
                0.0
            };
            Coupling {
                spins: set.clone(),
                value: linear + mean,
                stderr: Some(stderr),
            }
        })
        .collect();
    let max_order = sets.iter().map(Vec::len).max().unwrap_or(0);
    let mut result = EffectiveCouplings {
        n_spins: n,
        convention: model.convention,
        method: CouplingMethod::MonteCarlo {
            samples,
            seed: options.seed,
        },
        constant,
        constant_stderr: Some(stderr),
        couplings,
        diagnostics: CouplingDiagnostics {
            max_order,
            ..CouplingDiagnostics::default()
        },
    };
    result.sort();
    Ok(result)
}

/// The mean of `y` and its standard error √(var/N), var with N − 1.
fn mean_and_stderr(y: &[f64]) -> (f64, f64) {
    let count = y.len() as f64;
    let mean = y.iter().sum::<f64>() / count;
    let var = y.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0);
    (mean, (var / count).sqrt())
}
