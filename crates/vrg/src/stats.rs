//! Error bars for correlated Monte Carlo series.
//!
//! A Markov chain's measurements are correlated, so the naive standard error
//! underestimates the true one by a factor √(2τ_int). [`Binning`] keeps the
//! ALPS-style logarithmic binning analysis (bins of size 1, 2, 4, … built on
//! the fly in O(log n) memory) to give each mean's error bar and the
//! integrated autocorrelation time, plus a bounded list of coarse bins for
//! jackknife errors of non-linear functions of means (specific heat,
//! susceptibility, Binder cumulant).
//!
//! # References
//! - H. Flyvbjerg and H. G. Petersen, "Error estimates on averages of
//!   correlated data", J. Chem. Phys. 91, 461 (1989) (blocking analysis).
//! - V. Ambegaokar and M. Troyer, "Estimating errors reliably in Monte Carlo
//!   simulations of the Ehrenfest model", Am. J. Phys. 78, 150 (2010)
//!   (binning, τ_int = ½ (σ_binned/σ_naive)²).
//! - B. Efron, "The Jackknife, the Bootstrap and Other Resampling Plans" (1982).

use serde::Serialize;

/// A mean and its one-standard-deviation error bar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub error: f64,
}

impl Estimate {
    /// The z-score of this estimate against an exact value, (mean − exact)/error.
    /// Infinite if the error bar is zero and the values differ.
    pub fn z_score(&self, exact: f64) -> f64 {
        let diff = self.mean - exact;
        if diff == 0.0 {
            0.0
        } else {
            diff / self.error
        }
    }
}

/// Fewest bins a level must hold for its error bar to be trusted.
const MIN_BINS: u64 = 16;
/// Fewest bins a level may hold to be reported at all (for short series).
const MIN_BINS_REPORTED: u64 = 8;
/// The coarse bins kept for the jackknife are merged pairwise whenever their
/// number reaches twice this.
const MAX_COARSE_BINS: usize = 256;

/// One level of the logarithmic binning: bins of size 2^level.
#[derive(Clone, Debug)]
struct Level {
    count: u64,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    pending: Option<Vec<f64>>,
}

impl Level {
    fn new(channels: usize) -> Self {
        Level {
            count: 0,
            sum: vec![0.0; channels],
            sum_sq: vec![0.0; channels],
            pending: None,
        }
    }

    /// Standard error of the mean from this level's bins (unbiased variance).
    fn error(&self, channel: usize) -> f64 {
        if self.count < 2 {
            return f64::NAN;
        }
        let n = self.count as f64;
        let mean = self.sum[channel] / n;
        let var = (self.sum_sq[channel] / n - mean * mean).max(0.0) * n / (n - 1.0);
        (var / n).sqrt()
    }
}

/// Streaming binning analysis of a vector-valued series (`channels` values per
/// measurement).
#[derive(Clone, Debug)]
pub struct Binning {
    channels: usize,
    /// Values are stored shifted by the first measurement, which keeps the
    /// sums of squares free of cancellation when the mean is large.
    shift: Option<Vec<f64>>,
    levels: Vec<Level>,
    coarse: Vec<Vec<f64>>,
    coarse_size: u64,
    partial: Vec<f64>,
    partial_count: u64,
}

/// The error analysis of one channel.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ChannelAnalysis {
    /// Mean with the binning error bar.
    pub estimate: Estimate,
    /// Integrated autocorrelation time in measurements, τ_int =
    /// ½ (σ_binned / σ_naive)² (τ_int = ½ for uncorrelated data).
    pub autocorrelation_time: f64,
    /// Whether a block size satisfying the optimal-block criterion was
    /// found (see `chosen_level`); if not, the error bar is an underestimate.
    pub converged: bool,
}

impl Binning {
    /// An empty analysis of `channels` values per measurement.
    pub fn new(channels: usize) -> Self {
        Binning {
            channels,
            shift: None,
            levels: Vec::new(),
            coarse: Vec::new(),
            coarse_size: 1,
            partial: vec![0.0; channels],
            partial_count: 0,
        }
    }

    /// Number of measurements pushed so far.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.count)
    }

    /// Whether nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one measurement of all channels. `values.len()` must equal `channels`.
    pub fn push(&mut self, values: &[f64]) {
        assert_eq!(
            values.len(),
            self.channels,
            "Binning::push: wrong channel count"
        );
        let shift = self.shift.get_or_insert_with(|| values.to_vec());
        let mut bin: Vec<f64> = values
            .iter()
            .zip(shift.iter())
            .map(|(v, s)| v - s)
            .collect();
        // Coarse bins for the jackknife.
        for (p, v) in self.partial.iter_mut().zip(&bin) {
            *p += v;
        }
        self.partial_count += 1;
        if self.partial_count == self.coarse_size {
            let scale = 1.0 / self.coarse_size as f64;
            self.coarse
                .push(self.partial.iter().map(|p| p * scale).collect());
            self.partial.iter_mut().for_each(|p| *p = 0.0);
            self.partial_count = 0;
            if self.coarse.len() == 2 * MAX_COARSE_BINS {
                self.coarse = merge_pairs(&self.coarse);
                self.coarse_size *= 2;
            }
        }
        // Logarithmic binning.
        let mut level = 0;
        loop {
            if level == self.levels.len() {
                self.levels.push(Level::new(self.channels));
            }
            let l = &mut self.levels[level];
            l.count += 1;
            for ((sum, sum_sq), b) in l.sum.iter_mut().zip(l.sum_sq.iter_mut()).zip(&bin) {
                *sum += b;
                *sum_sq += b * b;
            }
            match l.pending.take() {
                None => {
                    l.pending = Some(bin);
                    break;
                }
                Some(previous) => {
                    for (b, p) in bin.iter_mut().zip(&previous) {
                        *b = 0.5 * (*b + p);
                    }
                    level += 1;
                }
            }
        }
    }

    /// The level whose error bar is reported for `channel`, and whether it
    /// is trusted. The optimal block size of Lee, Needs & Drummond (2011):
    /// the smallest B = 2^k with B³ > 2 n (σ_k/σ_0)⁴ among levels holding at
    /// least [`MIN_BINS`] bins. If none qualifies the series is too short for
    /// its autocorrelation time: the coarsest level with enough bins is used
    /// and the result is marked not converged.
    fn chosen_level(&self, channel: usize) -> (usize, bool) {
        let n = self.len() as f64;
        let naive = self.levels[0].error(channel);
        if naive.is_nan() || naive <= 0.0 {
            return (0, true);
        }
        for (k, level) in self.levels.iter().enumerate() {
            if level.count < MIN_BINS {
                break;
            }
            let ratio = level.error(channel) / naive;
            let block = (1u64 << k) as f64;
            if block.powi(3) > 2.0 * n * ratio.powi(4) {
                return (k, true);
            }
        }
        let fallback = self
            .levels
            .iter()
            .rposition(|l| l.count >= MIN_BINS_REPORTED)
            .unwrap_or(0);
        (fallback, false)
    }

    /// Mean of a channel over all measurements.
    pub fn mean(&self, channel: usize) -> f64 {
        let base = &self.levels[0];
        self.shift.as_ref().map_or(f64::NAN, |s| s[channel]) + base.sum[channel] / base.count as f64
    }

    /// Mean, binning error bar and τ_int of one channel. Panics if empty.
    pub fn analyze(&self, channel: usize) -> ChannelAnalysis {
        assert!(!self.is_empty(), "Binning::analyze on an empty series");
        let mean = self.mean(channel);
        let (k, converged) = self.chosen_level(channel);
        let naive = self.levels[0].error(channel);
        let error = self.levels[k].error(channel);
        let (error, tau) = if naive > 0.0 && error.is_finite() {
            (error, 0.5 * (error / naive).powi(2))
        } else {
            (if error.is_finite() { error } else { 0.0 }, 0.5)
        };
        ChannelAnalysis {
            estimate: Estimate { mean, error },
            autocorrelation_time: tau,
            converged,
        }
    }

    /// Jackknife estimate of `f(channel means)` with its error, over bins at
    /// least as long as the largest block size chosen for any channel (so
    /// they are nearly independent). The estimate is bias-corrected:
    /// θ = B f(all) − (B−1) mean_i f(all but bin i).
    ///
    /// Only whole coarse bins enter; a trailing partial bin is left out.
    pub fn jackknife(&self, f: impl Fn(&[f64]) -> f64) -> Estimate {
        let target = (0..self.channels)
            .map(|c| 1u64 << self.chosen_level(c).0)
            .max()
            .unwrap_or(1);
        let mut bins = self.coarse.clone();
        let mut size = self.coarse_size;
        while size < target && bins.len() >= 4 {
            bins = merge_pairs(&bins);
            size *= 2;
        }
        let shift = self
            .shift
            .clone()
            .unwrap_or_else(|| vec![0.0; self.channels]);
        let unshift =
            |means: &[f64]| -> Vec<f64> { means.iter().zip(&shift).map(|(m, s)| m + s).collect() };
        let b = bins.len();
        let mut total = vec![0.0; self.channels];
        for bin in &bins {
            for (t, v) in total.iter_mut().zip(bin) {
                *t += v;
            }
        }
        let full = f(&unshift(
            &total.iter().map(|t| t / b as f64).collect::<Vec<_>>(),
        ));
        if b < 2 {
            return Estimate {
                mean: full,
                error: f64::NAN,
            };
        }
        let leave_one_out: Vec<f64> = bins
            .iter()
            .map(|bin| {
                let means: Vec<f64> = total
                    .iter()
                    .zip(bin)
                    .map(|(t, v)| (t - v) / (b - 1) as f64)
                    .collect();
                f(&unshift(&means))
            })
            .collect();
        let avg = leave_one_out.iter().sum::<f64>() / b as f64;
        let var = leave_one_out.iter().map(|x| (x - avg).powi(2)).sum::<f64>() * (b - 1) as f64
            / b as f64;
        Estimate {
            mean: b as f64 * full - (b - 1) as f64 * avg,
            error: var.sqrt(),
        }
    }
}

fn merge_pairs(bins: &[Vec<f64>]) -> Vec<Vec<f64>> {
    bins.chunks_exact(2)
        .map(|pair| {
            pair[0]
                .iter()
                .zip(&pair[1])
                .map(|(a, b)| 0.5 * (a + b))
                .collect()
        })
        .collect()
}

/// The median of `values`: the middle order statistic, or the mean of the
/// two middle ones for an even count (equal to [`quantile`] at q = ½ up to
/// rounding). NaN if empty.
pub fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// The q-quantile of `values` by linear interpolation between order
/// statistics (numpy's default, Hyndman & Fan 1996 type 7): with x sorted,
/// h = q·(n − 1), Q = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋). NaN if empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = q * (sorted.len() - 1) as f64;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

/// A sorted copy of `values` (IEEE total order, so NaNs sort last).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    /// An AR(1) process x_t = φ x_{t−1} + ε_t has τ_int = ½ (1+φ)/(1−φ) and
    /// mean zero; the binning analysis must recover both.
    #[test]
    fn ar1_autocorrelation_time_and_error() {
        let phi: f64 = 0.8;
        let exact_tau = 0.5 * (1.0 + phi) / (1.0 - phi);
        let mut r = rng::root(7);
        let mut binning = Binning::new(1);
        let mut x = 0.0;
        let n = 1 << 20;
        for _ in 0..n {
            let eps = rng::normal_pair(&mut r).0;
            x = phi * x + eps;
            binning.push(&[x]);
        }
        let a = binning.analyze(0);
        assert!(a.converged);
        assert!(
            (a.autocorrelation_time - exact_tau).abs() < 0.12 * exact_tau,
            "tau {}",
            a.autocorrelation_time
        );
        // stationary variance 1/(1−φ²); exact error of the mean sqrt(2τ var / n)
        let exact_error = (2.0 * exact_tau / (1.0 - phi * phi) / n as f64).sqrt();
        assert!((a.estimate.error - exact_error).abs() < 0.15 * exact_error);
        assert!(a.estimate.z_score(0.0).abs() < 4.0);
    }

    /// The jackknife of a linear function equals the plain mean, and its error
    /// equals the binned error at the same bin size.
    #[test]
    fn jackknife_of_linear_function_is_the_mean() {
        let mut r = rng::root(3);
        let mut binning = Binning::new(2);
        for _ in 0..10_000 {
            let u = rng::uniform(&mut r);
            binning.push(&[u, 3.0 + u * u]);
        }
        let jk = binning.jackknife(|m| m[0] + 2.0 * m[1]);
        // Only whole bins enter the jackknife, so it may differ from the mean
        // over all data by the trailing partial bin: far below the error bar.
        let plain = binning.mean(0) + 2.0 * binning.mean(1);
        assert!(
            (jk.mean - plain).abs() < 0.1 * jk.error,
            "{} vs {plain} ± {}",
            jk.mean,
            jk.error
        );
        assert!(jk.error > 0.0);
    }

    /// The variance of uniform deviates, 1/12, is recovered by the jackknife of
    /// ⟨x²⟩ − ⟨x⟩² within its own error bar.
    #[test]
    fn jackknife_variance_z_score() {
        let mut r = rng::root(11);
        let mut binning = Binning::new(2);
        for _ in 0..100_000 {
            let u = rng::uniform(&mut r);
            binning.push(&[u, u * u]);
        }
        let var = binning.jackknife(|m| m[1] - m[0] * m[0]);
        assert!(var.z_score(1.0 / 12.0).abs() < 4.0, "{var:?}");
    }
}
