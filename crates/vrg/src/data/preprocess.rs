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
            check_threshold(threshold)?;
            if let Some(found) = first_offending(data, |v| !v.is_nan()) {
                return Err(value_error(
                    data,
                    found,
                    "binarization expects numbers, not NaN",
                ));
            }
            data.map_values(|v| if v > threshold { 1.0 } else { 0.0 });
        }
        Binarize::Stochastic(seed) => {
            if let Some(found) = first_offending(data, |v| (0.0..=1.0).contains(&v)) {
                return Err(value_error(
                    data,
                    found,
                    "stochastic binarization expects probabilities in [0, 1]",
                ));
            }
            // Packed data in [0, 1] are 0/1 already, and u < 0 never holds
            // while u < 1 always does: nothing changes.
            let n_features = data.n_features;
            let Some(values) = data.dense_mut() else {
                return Ok(());
            };
            let chunk = ROWS_PER_STREAM * n_features;
            let n_chunks = values.len().div_ceil(chunk.max(1));
            let streams = rng::streams(&rng::family(seed, rng::families::BINARIZATION), n_chunks);
            values
                .par_chunks_mut(chunk.max(1))
                .zip(streams)
                .for_each(|(values, mut stream)| {
                    for v in values {
                        *v = if draw(&mut stream, *v) { 1.0 } else { 0.0 };
                    }
                });
        }
    }
    Ok(())
}

pub(crate) fn check_threshold(threshold: f32) -> Result<()> {
    if !threshold.is_finite() {
        return Err(Error::invalid("threshold", threshold, "a finite number"));
    }
    Ok(())
}

/// One stochastic draw: 1 with probability `p` (u ∈ [0, 1): P(u < p) = p,
/// so 0 stays 0 and 1 stays 1).
#[inline]
fn draw(stream: &mut rng::Rng, p: f32) -> bool {
    rng::uniform(stream) < f64::from(p)
}

/// Binarizes one row of values in [0, 1] (`values`, in column order) into
/// the clear words `bits`, drawing from `stream` for `Stochastic`: the bits
/// [`binarize`] would set on the same values with the same stream.
fn binarize_row(
    how: Binarize,
    stream: &mut rng::Rng,
    values: impl Iterator<Item = f32>,
    bits: &mut [u64],
) {
    for (j, v) in values.enumerate() {
        let on = match how {
            Binarize::Threshold(threshold) => v > threshold,
            Binarize::Stochastic(_) => draw(stream, v),
        };
        bits[j / 64] |= u64::from(on) << (j % 64);
    }
}

/// The random streams of [`binarize`] for `n_rows` rows (one per
/// [`ROWS_PER_STREAM`] rows).
pub(crate) fn row_streams(how: Binarize, n_rows: usize) -> Vec<rng::Rng> {
    let seed = match how {
        Binarize::Stochastic(seed) => seed,
        Binarize::Threshold(_) => 0,
    };
    let n_chunks = n_rows.div_ceil(ROWS_PER_STREAM);
    rng::streams(&rng::family(seed, rng::families::BINARIZATION), n_chunks)
}

/// Binarizes consecutive rows of pixel bytes (each value `p / 255`)
/// straight into their packed words, never holding them as `f32`: the bits
/// [`binarize`] sets on the `f32` pixels. The rows start at a multiple of
/// [`ROWS_PER_STREAM`]; `words` are theirs (clear) and `streams` their
/// streams of [`row_streams`], from the first row's on.
pub(crate) fn binarize_byte_rows(
    how: Binarize,
    n_features: usize,
    bytes: &[u8],
    words: &mut [u64],
    streams: &mut [rng::Rng],
) {
    let table: [f32; 256] = std::array::from_fn(|v| v as f32 / 255.0);
    let wpr = super::dataset::words_per_row(n_features);
    words
        .par_chunks_mut(ROWS_PER_STREAM * wpr)
        .zip(bytes.par_chunks(ROWS_PER_STREAM * n_features))
        .zip(streams.par_iter_mut())
        .for_each(|((words, bytes), stream)| {
            for (bits, row) in words
                .chunks_exact_mut(wpr)
                .zip(bytes.chunks_exact(n_features))
            {
                let values = row.iter().map(|&b| table[usize::from(b)]);
                binarize_row(how, stream, values, bits);
            }
        });
}

/// Binarizes rows given one at a time, in order, into packed rows: the same
/// bits as [`binarize`] on the whole matrix. Values must be numbers in
/// [0, 1] (pixels), checked row by row.
pub(crate) struct RowBinarizer {
    how: Binarize,
    n_features: usize,
    words: Vec<u64>,
    streams: Vec<rng::Rng>,
    rows: usize,
}

impl RowBinarizer {
    pub(crate) fn new(n_rows: usize, n_features: usize, how: Binarize) -> Result<Self> {
        if let Binarize::Threshold(threshold) = how {
            check_threshold(threshold)?;
        }
        Ok(RowBinarizer {
            how,
            n_features,
            words: vec![0u64; n_rows * super::dataset::words_per_row(n_features)],
            streams: row_streams(how, n_rows),
            rows: 0,
        })
    }

    /// Binarizes the next row; `Err(column)` for a value outside [0, 1].
    pub(crate) fn push(&mut self, row: &[f32]) -> std::result::Result<(), usize> {
        if let Some(j) = row.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(j);
        }
        let wpr = super::dataset::words_per_row(self.n_features);
        let bits = &mut self.words[self.rows * wpr..(self.rows + 1) * wpr];
        let stream = &mut self.streams[self.rows / ROWS_PER_STREAM];
        binarize_row(self.how, stream, row.iter().copied(), bits);
        self.rows += 1;
        Ok(())
    }

    /// The packed rows pushed (all `n_rows` of them).
    pub(crate) fn finish(self) -> Dataset {
        debug_assert_eq!(self.rows * self.n_features.div_ceil(64), self.words.len());
        Dataset::from_packed(self.rows, self.n_features, self.words, [0.0, 1.0])
    }
}

/// Maps binary values to spins, s = 2v − 1 (0 → −1, 1 → +1; probabilities
/// become mean spins).
pub fn to_spins(data: &mut Dataset) {
    data.map_values(|v| 2.0 * v - 1.0);
}

/// Maps spins to binary values, v = (s + 1) / 2 (−1 → 0, +1 → 1).
pub fn to_binary(data: &mut Dataset) {
    data.map_values(|v| 0.5 * (v + 1.0));
}
