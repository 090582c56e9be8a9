//! The in-memory data matrix: dense `f32` rows, or binary rows packed one
//! bit per value.

use crate::{Error, Result};
use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Bits per storage word of packed rows.
const WORD_BITS: usize = 64;

/// Rows decoded per chunk by [`Dataset::for_each_chunk`]'s callers that
/// only stream through the data (64 KiB-ish buffers for MNIST-sized rows).
pub(crate) const STREAM_ROWS: usize = 256;

/// How the values are held.
#[derive(Clone, Debug)]
enum Storage {
    /// Row-major `f32`: feature `j` of row `i` is `values[i * n_features + j]`.
    Dense(Vec<f32>),
    /// One bit per value, each row padded to whole `u64` words (bit `j % 64`
    /// of word `i * words_per_row + j / 64` is feature `j` of row `i`); a
    /// clear bit decodes to `levels[0]`, a set bit to `levels[1]`.
    Packed {
        words: Vec<u64>,
        words_per_row: usize,
        levels: [f32; 2],
    },
}

/// Samples as rows of an `n_rows × n_features` matrix. Real-valued data are
/// held as `f32`; binary data (every value 0/1, or every value ±1) may be
/// packed one bit per value ([`Dataset::pack`]), 32 times smaller. Both
/// decode to the same `f32` values, bit for bit, so every computation on
/// the rows gives the same result either way.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub n_rows: usize,
    pub n_features: usize,
    storage: Storage,
    /// Image `(height, width)` when rows are images (`height · width =
    /// n_features`), else `None`.
    pub shape_hint: Option<(usize, usize)>,
    /// The file or directory the rows came from, for error messages.
    pub source: Option<PathBuf>,
}

/// Equal shapes, hints, sources and decoded values (a packed set equals the
/// dense set it came from).
impl PartialEq for Dataset {
    fn eq(&self, other: &Self) -> bool {
        self.n_rows == other.n_rows
            && self.n_features == other.n_features
            && self.shape_hint == other.shape_hint
            && self.source == other.source
            && self.dense_values() == other.dense_values()
    }
}

/// Words per packed row of `n_features` bits.
pub(crate) fn words_per_row(n_features: usize) -> usize {
    n_features.div_ceil(WORD_BITS)
}

/// Decodes one packed row into `out` (its length is the row's width).
#[inline]
fn decode_row(words: &[u64], levels: [f32; 2], out: &mut [f32]) {
    for (chunk, &word) in out.chunks_mut(WORD_BITS).zip(words) {
        for (k, v) in chunk.iter_mut().enumerate() {
            *v = levels[((word >> k) & 1) as usize];
        }
    }
}

impl Dataset {
    /// A dataset from row-major `values` of shape `(n_rows, n_features)`,
    /// held as `f32`. Fails if `n_features` is 0 or the length does not
    /// match.
    pub fn new(n_rows: usize, n_features: usize, values: Vec<f32>) -> Result<Self> {
        if n_features == 0 {
            return Err(Error::invalid("n_features", 0, "at least 1"));
        }
        if n_rows.checked_mul(n_features) != Some(values.len()) {
            return Err(Error::ShapeMismatch {
                what: "dataset values".into(),
                expected: format!(
                    "{n_rows}×{n_features} = {} values",
                    n_rows as u128 * n_features as u128
                ),
                found: format!("{} values", values.len()),
            });
        }
        Ok(Dataset {
            n_rows,
            n_features,
            storage: Storage::Dense(values),
            shape_hint: None,
            source: None,
        })
    }

    /// A packed dataset from its words (`n_rows · ⌈n_features/64⌉`, rows
    /// padded with clear bits) and the values of a clear and a set bit.
    pub(crate) fn from_packed(
        n_rows: usize,
        n_features: usize,
        words: Vec<u64>,
        levels: [f32; 2],
    ) -> Self {
        let words_per_row = words_per_row(n_features);
        debug_assert!(n_features > 0 && words.len() == n_rows * words_per_row);
        Dataset {
            n_rows,
            n_features,
            storage: Storage::Packed {
                words,
                words_per_row,
                levels,
            },
            shape_hint: None,
            source: None,
        }
    }

    /// Packs the rows one bit per value when every value is exactly 0.0 or
    /// 1.0, or every value exactly −1.0 or +1.0 (compared bit for bit, so
    /// −0.0 stays dense); otherwise leaves the data as they are. Returns
    /// whether the data are packed now.
    pub fn pack(&mut self) -> bool {
        let Storage::Dense(values) = &self.storage else {
            return true;
        };
        let bits = |a: f32, b: f32| {
            let (a, b) = (a.to_bits(), b.to_bits());
            values.iter().all(|v| v.to_bits() == a || v.to_bits() == b)
        };
        let levels = if bits(0.0, 1.0) {
            [0.0, 1.0]
        } else if bits(-1.0, 1.0) {
            [-1.0, 1.0]
        } else {
            return false;
        };
        let wpr = words_per_row(self.n_features);
        let mut words = vec![0u64; self.n_rows * wpr];
        for (row, dst) in values
            .chunks_exact(self.n_features)
            .zip(words.chunks_exact_mut(wpr))
        {
            for (j, &v) in row.iter().enumerate() {
                if v == 1.0 {
                    dst[j / WORD_BITS] |= 1 << (j % WORD_BITS);
                }
            }
        }
        self.storage = Storage::Packed {
            words,
            words_per_row: wpr,
            levels,
        };
        true
    }

    /// Whether the rows are packed one bit per value.
    pub fn is_binary(&self) -> bool {
        matches!(self.storage, Storage::Packed { .. })
    }

    /// Bytes the values take in memory.
    pub fn storage_bytes(&self) -> usize {
        match &self.storage {
            Storage::Dense(v) => v.len() * 4,
            Storage::Packed { words, .. } => words.len() * 8,
        }
    }

    /// Decodes row `i` into `out` (length `n_features`). Panics if
    /// `i >= n_rows` or the length differs.
    pub fn row_into(&self, i: usize, out: &mut [f32]) {
        assert!(i < self.n_rows && out.len() == self.n_features);
        match &self.storage {
            Storage::Dense(values) => out.copy_from_slice(&values[i * out.len()..][..out.len()]),
            Storage::Packed {
                words,
                words_per_row,
                levels,
            } => decode_row(&words[i * words_per_row..][..*words_per_row], *levels, out),
        }
    }

    /// Decodes the consecutive rows from `first` into `out` (a whole number
    /// of rows). Panics if they run past the last row.
    pub fn rows_into(&self, first: usize, out: &mut [f32]) {
        let nf = self.n_features;
        assert!(out.len().is_multiple_of(nf) && first + out.len() / nf <= self.n_rows);
        match &self.storage {
            Storage::Dense(values) => out.copy_from_slice(&values[first * nf..][..out.len()]),
            Storage::Packed {
                words,
                words_per_row,
                levels,
            } => {
                let words = words[first * words_per_row..].chunks_exact(*words_per_row);
                for (dst, w) in out.chunks_exact_mut(nf).zip(words) {
                    decode_row(w, *levels, dst);
                }
            }
        }
    }

    /// The rows `range` as one row-major `f32` slice: borrowed from dense
    /// storage, decoded from packed.
    pub fn rows_f32(&self, range: Range<usize>) -> Cow<'_, [f32]> {
        assert!(range.start <= range.end && range.end <= self.n_rows);
        let nf = self.n_features;
        match &self.storage {
            Storage::Dense(values) => Cow::Borrowed(&values[range.start * nf..range.end * nf]),
            Storage::Packed { .. } => {
                let mut out = vec![0.0f32; range.len() * nf];
                self.rows_into(range.start, &mut out);
                Cow::Owned(out)
            }
        }
    }

    /// All values, row-major, as `f32` (decoded when packed: for small data
    /// only; large data go through [`Dataset::for_each_chunk`]).
    pub fn dense_values(&self) -> Cow<'_, [f32]> {
        self.rows_f32(0..self.n_rows)
    }

    /// All values, row-major, as an owned `f32` vector.
    pub fn into_values(self) -> Vec<f32> {
        match self.storage {
            Storage::Dense(values) => values,
            Storage::Packed { .. } => self.dense_values().into_owned(),
        }
    }

    /// Calls `f(first_row, rows)` for consecutive chunks of up to
    /// `rows_per_chunk` rows (row-major `f32`, a whole number of rows), in
    /// order: dense rows are passed as they are, packed rows decoded into
    /// one reused buffer. Stops at the first error.
    pub fn for_each_chunk<E>(
        &self,
        rows_per_chunk: usize,
        mut f: impl FnMut(usize, &[f32]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let nf = self.n_features;
        let per = rows_per_chunk.max(1);
        match &self.storage {
            Storage::Dense(values) => {
                for (k, rows) in values.chunks(per * nf).enumerate() {
                    f(k * per, rows)?;
                }
            }
            Storage::Packed { .. } => {
                let mut buffer = vec![0.0f32; per.min(self.n_rows) * nf];
                let mut first = 0;
                while first < self.n_rows {
                    let n = per.min(self.n_rows - first);
                    let rows = &mut buffer[..n * nf];
                    self.rows_into(first, rows);
                    f(first, rows)?;
                    first += n;
                }
            }
        }
        Ok(())
    }

    /// The first `(row, column, value)` in row-major order where `ok` fails.
    pub(crate) fn find(&self, ok: impl Fn(f32) -> bool) -> Option<(usize, usize, f32)> {
        let nf = self.n_features;
        let mut found = None;
        let _ = self.for_each_chunk(STREAM_ROWS, |first, rows| {
            match rows.iter().position(|&v| !ok(v)) {
                Some(k) => {
                    found = Some((first + k / nf, k % nf, rows[k]));
                    Err(())
                }
                None => Ok(()),
            }
        });
        found
    }

    /// Replaces every value `v` by `f(v)`: on each value of dense storage
    /// (in parallel), on the two levels of packed storage.
    pub(crate) fn map_values(&mut self, f: impl Fn(f32) -> f32 + Sync + Send) {
        use rayon::prelude::*;
        match &mut self.storage {
            Storage::Dense(values) => values.par_iter_mut().for_each(|v| *v = f(*v)),
            Storage::Packed { levels, .. } => *levels = levels.map(f),
        }
    }

    /// The dense values, mutably (`None` when packed).
    pub(crate) fn dense_mut(&mut self) -> Option<&mut [f32]> {
        match &mut self.storage {
            Storage::Dense(values) => Some(values),
            Storage::Packed { .. } => None,
        }
    }

    /// A new dataset holding the given rows, in the given order (same
    /// storage, `shape_hint` and `source`). Panics on an index `>= n_rows`.
    pub fn select_rows(&self, indices: &[usize]) -> Dataset {
        let storage = match &self.storage {
            Storage::Dense(values) => {
                let nf = self.n_features;
                let mut out = Vec::with_capacity(indices.len() * nf);
                for &i in indices {
                    out.extend_from_slice(&values[i * nf..(i + 1) * nf]);
                }
                Storage::Dense(out)
            }
            Storage::Packed {
                words,
                words_per_row,
                levels,
            } => {
                let wpr = *words_per_row;
                let mut out = Vec::with_capacity(indices.len() * wpr);
                for &i in indices {
                    assert!(i < self.n_rows, "row {i} of {}", self.n_rows);
                    out.extend_from_slice(&words[i * wpr..(i + 1) * wpr]);
                }
                Storage::Packed {
                    words: out,
                    words_per_row: wpr,
                    levels: *levels,
                }
            }
        };
        Dataset {
            n_rows: indices.len(),
            n_features: self.n_features,
            storage,
            shape_hint: self.shape_hint,
            source: self.source.clone(),
        }
    }

    /// The path named in error messages (`<in-memory dataset>` without a source).
    pub(crate) fn origin(&self) -> &Path {
        self.source
            .as_deref()
            .unwrap_or(Path::new("<in-memory dataset>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0/1 (or ±1) values of `rows × features`, a pseudo-random pattern.
    fn binary(rows: usize, features: usize, levels: [f32; 2]) -> Vec<f32> {
        (0..rows * features)
            .map(|k| levels[((k * 2_654_435_761) >> 7) & 1])
            .collect()
    }

    #[test]
    fn packed_rows_decode_to_the_dense_values_bit_for_bit() {
        for levels in [[0.0, 1.0], [-1.0, 1.0]] {
            for (rows, features) in [(1, 1), (3, 64), (67, 130), (5, 784)] {
                let values = binary(rows, features, levels);
                let dense = Dataset::new(rows, features, values.clone()).unwrap();
                let mut packed = dense.clone();
                assert!(packed.pack() && packed.is_binary() && !dense.is_binary());
                assert_eq!(packed.storage_bytes(), rows * features.div_ceil(64) * 8);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&packed.dense_values()), bits(&values));
                let mut row = vec![9.0; features];
                for i in 0..rows {
                    packed.row_into(i, &mut row);
                    assert_eq!(bits(&row), bits(&values[i * features..(i + 1) * features]));
                }
                let mut seen = Vec::new();
                packed
                    .for_each_chunk(2, |first, chunk| {
                        assert_eq!(first * features, seen.len());
                        assert!(chunk.len() <= 2 * features);
                        seen.extend_from_slice(chunk);
                        Ok::<(), ()>(())
                    })
                    .unwrap();
                assert_eq!(bits(&seen), bits(&values));
                assert_eq!(packed, dense);
                assert_eq!(
                    bits(&packed.rows_f32(rows / 2..rows)),
                    bits(&values[rows / 2 * features..])
                );
                assert_eq!(bits(&packed.into_values()), bits(&values));
            }
        }
    }

    #[test]
    fn data_that_are_not_binary_stay_dense() {
        for values in [
            vec![0.0, 1.0, 0.5],
            vec![-1.0, 1.0, 0.0],
            vec![-0.0, 1.0, 1.0],
            vec![2.0, 2.0, 2.0],
            vec![0.0, 1.0, f32::NAN],
        ] {
            let mut d = Dataset::new(1, 3, values.clone()).unwrap();
            assert!(!d.pack(), "{values:?}");
            assert!(!d.is_binary());
            let kept = d.dense_values();
            assert!(kept
                .iter()
                .zip(&values)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn selected_packed_rows_equal_selected_dense_rows() {
        let dense = Dataset::new(70, 100, binary(70, 100, [0.0, 1.0])).unwrap();
        let mut packed = dense.clone();
        packed.pack();
        let pick = [69, 0, 3, 3, 64];
        let (a, b) = (packed.select_rows(&pick), dense.select_rows(&pick));
        assert!(a.is_binary() && !b.is_binary());
        assert_eq!(a, b);
    }

    #[test]
    fn level_maps_and_searches_act_on_packed_data_as_on_dense() {
        let dense = Dataset::new(9, 70, binary(9, 70, [0.0, 1.0])).unwrap();
        let mut packed = dense.clone();
        packed.pack();
        let mut dense = dense;
        for d in [&mut dense, &mut packed] {
            d.map_values(|v| 2.0 * v - 1.0);
        }
        assert_eq!(packed, dense);
        assert!(packed.is_binary());
        let not_minus_one = |v: f32| v != -1.0;
        assert_eq!(packed.find(not_minus_one), dense.find(not_minus_one));
        assert!(packed.find(not_minus_one).is_some());
        assert_eq!(packed.find(|v| v.abs() == 1.0), None);
    }
}
