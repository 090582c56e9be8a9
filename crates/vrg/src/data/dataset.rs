//! The in-memory data matrix.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Samples as rows of an `n_rows × n_features` row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub n_rows: usize,
    pub n_features: usize,
    /// Shape `(n_rows, n_features)`, row-major: feature `j` of row `i` is
    /// `values[i * n_features + j]`.
    pub values: Vec<f32>,
    /// Image `(height, width)` when rows are images (`height · width =
    /// n_features`), else `None`.
    pub shape_hint: Option<(usize, usize)>,
    /// The file or directory the rows came from, for error messages.
    pub source: Option<PathBuf>,
}

impl Dataset {
    /// A dataset from row-major `values` of shape `(n_rows, n_features)`.
    /// Fails if `n_features` is 0 or the length does not match.
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
            values,
            shape_hint: None,
            source: None,
        })
    }

    /// Row `i` (length `n_features`). Panics if `i >= n_rows`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.n_features..(i + 1) * self.n_features]
    }

    /// The rows in order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.values.chunks_exact(self.n_features)
    }

    /// A new dataset holding the given rows, in the given order (same
    /// `shape_hint` and `source`). Panics on an index `>= n_rows`.
    pub fn select_rows(&self, indices: &[usize]) -> Dataset {
        let mut values = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            values.extend_from_slice(self.row(i));
        }
        Dataset {
            n_rows: indices.len(),
            n_features: self.n_features,
            values,
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
