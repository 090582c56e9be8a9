//! Checks that data suits a layer's unit type.

use super::Dataset;
use crate::{Error, Result};

/// What values a visible layer's units can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// Binary {0, 1} units; data may be probabilities in [0, 1].
    Bernoulli,
    /// Ising spins: exactly −1 or +1.
    Spin,
    /// Real-valued units: any finite value.
    Gaussian,
}

impl UnitKind {
    fn accepts(self, v: f32) -> bool {
        match self {
            UnitKind::Bernoulli => (0.0..=1.0).contains(&v),
            UnitKind::Spin => v == 1.0 || v == -1.0,
            UnitKind::Gaussian => v.is_finite(),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            UnitKind::Bernoulli => "Bernoulli units expect values in [0, 1]",
            UnitKind::Spin => "spin units expect exactly -1 or +1",
            UnitKind::Gaussian => "Gaussian units expect finite values",
        }
    }
}

/// The first `(row, column, value)` (row-major order) where `ok` fails.
pub(crate) fn first_offending(
    data: &Dataset,
    ok: impl Fn(f32) -> bool,
) -> Option<(usize, usize, f32)> {
    data.find(ok)
}

/// An [`Error::InvalidData`] naming the dataset's file, the row and column
/// (counting from 0), the value and what was expected.
pub(crate) fn value_error(
    data: &Dataset,
    (row, column, value): (usize, usize, f32),
    expected: &str,
) -> Error {
    Error::InvalidData {
        path: data.origin().to_path_buf(),
        reason: format!("row {row}, column {column} (counting from 0): value {value}; {expected}"),
    }
}

/// Checks every value suits `kind` (NaN and ±∞ are always rejected); the
/// error names the file, the first offending row and column, the value and
/// what was expected.
pub fn validate_units(data: &Dataset, kind: UnitKind) -> Result<()> {
    match first_offending(data, |v| kind.accepts(v)) {
        None => Ok(()),
        Some(found) => Err(value_error(data, found, kind.expected())),
    }
}
