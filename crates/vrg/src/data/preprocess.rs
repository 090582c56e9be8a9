//! Binarization and the 0/1 ↔ ±1 maps.

use super::validate::{first_offending, value_error};
use super::Dataset;
use crate::{rng, Error, Result};
use rayon::prelude::*;

/// How to turn grey levels into binary {0, 1} data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binarize {
    /// v ← 1 if v > threshold else 0.
    Threshold(f32),
    /// v ← 1 with probability v (values must lie in [0, 1]), drawn once from
    /// this seed (Salakhutdinov & Murray 2008's MNIST binarization).
    Stochastic(u64),
}

/// Rows per random stream in stochastic binarization: rows
/// `[k·ROWS_PER_STREAM, (k+1)·ROWS_PER_STREAM)` use stream `k` of
/// `rng::streams` of family `rng::families::BINARIZATION` of the seed, so the result depends only on the
/// seed, never on the thread count.
pub const ROWS_PER_STREAM: usize = 256;

/// Binarizes `data` in place. Errors (before changing anything) on NaN, on a
/// non-finite threshold, and, for `Stochastic`, on values outside [0, 1]; the
/// error names the first offending row and column.
///
/// # References
/// R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep
/// belief networks", ICML 2008.
pub fn binarize(data: &mut Dataset, how: Binarize) -> Result<()> {
    match how {
        Binarize::Threshold(threshold) => {
            if !threshold.is_finite() {
                return Err(Error::invalid("threshold", threshold, "a finite number"));
            }
            if let Some(found) = first_offending(data, |v| !v.is_nan()) {
                return Err(value_error(
                    data,
                    found,
                    "binarization expects numbers, not NaN",
                ));
            }
            data.values.par_iter_mut().for_each(|v| {
                *v = if *v > threshold { 1.0 } else { 0.0 };
            });
        }
        Binarize::Stochastic(seed) => {
            if let Some(found) = first_offending(data, |v| (0.0..=1.0).contains(&v)) {
                return Err(value_error(
                    data,
                    found,
                    "stochastic binarization expects probabilities in [0, 1]",
                ));
            }
            let chunk = ROWS_PER_STREAM * data.n_features;
            let n_chunks = data.values.len().div_ceil(chunk.max(1));
            let streams = rng::streams(&rng::family(seed, rng::families::BINARIZATION), n_chunks);
            data.values
                .par_chunks_mut(chunk.max(1))
                .zip(streams)
                .for_each(|(values, mut stream)| {
                    for v in values {
                        // u ∈ [0, 1): P(u < p) = p, so 0 stays 0 and 1 stays 1.
                        *v = if rng::uniform(&mut stream) < f64::from(*v) {
                            1.0
                        } else {
                            0.0
                        };
                    }
                });
        }
    }
    Ok(())
}

/// Maps binary values to spins, s = 2v − 1 (0 → −1, 1 → +1; probabilities
/// become mean spins).
pub fn to_spins(data: &mut Dataset) {
    data.values.par_iter_mut().for_each(|v| *v = 2.0 * *v - 1.0);
}

/// Maps spins to binary values, v = (s + 1) / 2 (−1 → 0, +1 → 1).
pub fn to_binary(data: &mut Dataset) {
    data.values
        .par_iter_mut()
        .for_each(|v| *v = 0.5 * (*v + 1.0));
}
