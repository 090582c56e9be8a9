//! The library's one error type. Variants carry the data a user needs to fix
//! the problem: which parameter, what was expected, what was found.

use std::path::PathBuf;

/// Everything that can go wrong in `vrg`'s library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is outside its valid range (negative temperature, L < 2, …).
    #[error("invalid {name} = {value}: {expected}")]
    InvalidParameter {
        /// The parameter's name as the user knows it (e.g. `temperature`).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// An array has the wrong shape.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        what: String,
        expected: String,
        found: String,
    },
    /// A data file's contents are not what the operation needs.
    #[error("{}: {reason}", path.display())]
    InvalidData { path: PathBuf, reason: String },
    /// An operating-system I/O error on a named file. (The cause is part of
    /// the message and deliberately not a `source`, so that error chains
    /// do not print it twice.)
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// Training produced a NaN or infinite parameter.
    #[error(
        "training diverged at epoch {epoch}: {quantity} is not finite (try a lower learning rate)"
    )]
    NonFinite { epoch: usize, quantity: String },
    /// An output path names the same file as an input or another output.
    #[error("{output} is the same file as {other}: {rule}")]
    PathConflict {
        /// The output, as `--flag path`.
        output: String,
        /// The input or other output it collides with, as `--flag path`.
        other: String,
        /// Which rule it breaks.
        rule: String,
    },
    /// An operation would need more memory than the limit allows.
    #[error("{what} needs {} but {limit}", human_bytes(*needed))]
    TooLarge {
        /// What would be allocated, as the user knows it (`--samples 10⁶ × 784 values`).
        what: String,
        /// Bytes it would take (saturated at u128's range).
        needed: u128,
        /// The limit it exceeds, in words.
        limit: String,
    },
    /// An exact computation would enumerate too many states.
    #[error("exact enumeration of {n_spins} spins is too large (at most {max_spins})")]
    TooManySpins { n_spins: usize, max_spins: usize },
}

/// `n` bytes in the largest binary unit that keeps it ≥ 1 (`3.2 GiB`).
pub fn human_bytes(n: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }
}
