//! The library's one error type. Variants carry the data a user needs to fix
//! the problem: which parameter, what was expected, what was found.

use crate::io::limits::Bound;
use std::path::PathBuf;

/// Everything that can go wrong in `vrg`'s library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is outside its valid range (negative temperature, L < 2, …).
    #[error("invalid {name} = {}: {}", one_line(value), one_line(expected))]
    InvalidParameter {
        /// The parameter's name as the user knows it (e.g. `temperature`).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// An array has the wrong shape.
    #[error(
        "shape mismatch in {}: expected {}, found {}",
        one_line(what),
        one_line(expected),
        one_line(found)
    )]
    ShapeMismatch {
        what: String,
        expected: String,
        found: String,
    },
    /// A data file's contents are not what the operation needs.
    #[error("{}: {}", one_line(&path.display().to_string()), one_line(reason))]
    InvalidData { path: PathBuf, reason: String },
    /// A file declares data that would need more bytes than the file holds
    /// or than memory allows; nothing was allocated for it.
    #[error(
        "{}: {} needs {needed} bytes, more than {bound}",
        one_line(&path.display().to_string()),
        one_line(what)
    )]
    TooLarge {
        path: PathBuf,
        /// What was declared, e.g. `shape (60000, 784) of float32`.
        what: String,
        /// Bytes it would need.
        needed: u128,
        /// The bound it exceeds.
        bound: Bound,
    },
    /// A model file of the wrong kind (a DBN where an RBM is expected, or a
    /// file another program wrote).
    #[error("{} is {found}, expected {expected}", one_line(&path.display().to_string()))]
    WrongFileKind {
        path: PathBuf,
        /// What the file is, e.g. `a DBN file (vrg-dbn) with 3 layers`.
        found: String,
        /// What the operation reads, e.g. `an RBM model file (vrg-rbm)`.
        expected: String,
    },
    /// An environment variable that vrg reads has an invalid value.
    #[error(
        "invalid environment variable {name}={}: expected {expected}",
        quoted(value)
    )]
    InvalidEnvironment {
        name: &'static str,
        value: String,
        expected: String,
    },
    /// An operating-system I/O error on a named file. (The cause is part of
    /// the message and deliberately not a `source`, so that error chains
    /// do not print it twice.)
    #[error("{}: {}", one_line(&path.display().to_string()), one_line(&cause.to_string()))]
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
    /// A request sized by a flag or by the model (not declared by a file,
    /// see [`Error::TooLarge`]) would need more memory than the limit.
    #[error("{what} needs {} ({needed} bytes), more than {bound}", human_bytes(*needed))]
    TooMuchMemory {
        /// What would be allocated, as the user knows it
        /// (`1000000 chains of 784 visible + 500 hidden units`).
        what: String,
        /// Bytes it would take (saturated at u128's range).
        needed: u128,
        /// The memory limit it exceeds.
        bound: crate::io::limits::Bound,
    },
    /// An iteration (such as the TAP fixed point) did not reach its
    /// tolerance within its iteration cap, or stopped being finite.
    #[error(
        "{} did not converge: residual {residual:.3e} after {iterations} iterations (tolerance {tolerance:.1e}); try more iterations or a larger damping",
        one_line(what)
    )]
    NotConverged {
        /// What was iterated, e.g. `the TAP2 fixed point (damping 0.5)`.
        what: String,
        /// Iterations done.
        iterations: usize,
        /// The residual at the end (NaN or infinite if it diverged).
        residual: f64,
        /// The tolerance asked for.
        tolerance: f64,
    },
    /// An exact computation would enumerate too many states.
    #[error("exact enumeration of {n_spins} spins is too large (at most {max_spins})")]
    TooManySpins { n_spins: usize, max_spins: usize },
    /// Exact ln Z was asked of a DBN with a layer whose smaller discrete
    /// side has more units than can be enumerated.
    #[error(
        "invalid --logz exact: layer {layer} ({n_visible}×{n_hidden}) would enumerate {units} units (at most {max_units}); use --logz auto or ais"
    )]
    ExactInfeasible {
        /// The layer, counting from 1.
        layer: usize,
        n_visible: usize,
        n_hidden: usize,
        /// The units its exact ln Z would enumerate.
        units: usize,
        /// The most that can be enumerated.
        max_units: usize,
    },
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

/// `text` on one line: line breaks, tabs and other control characters are
/// written as escapes (`\n`), so that an error message built from a file's
/// contents or a parser's report stays one line.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A value found in a file, quoted for an error message: control
/// characters and quotes escaped, and at most 80 characters (longer values
/// end in `…`).
pub fn quoted(value: &str) -> String {
    const MAX: usize = 80;
    let mut shown: String = value.chars().take(MAX).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("\"{}\"", shown.escape_debug())
}

/// A shape as numpy writes it: `(60000, 28, 28)`, `(3,)`, `()`.
pub fn shape_text<T: std::fmt::Display>(shape: &[T]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}
