//! The error type of the crate.

use std::path::PathBuf;

/// Why a figure could not be drawn or written.
///
/// Every message names the input at fault (the series, tile or field) and
/// what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The input was refused before drawing: empty, non-finite, mismatched
    /// lengths, out-of-range sizes or indices. The message says which.
    #[error("invalid plot input: {0}")]
    Invalid(String),
    /// The drawing library failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The pixels could not be encoded as PNG.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    /// Writing the PNG file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file (or temporary file) being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl PlotError {
    /// An [`PlotError::Invalid`] with the given message.
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        PlotError::Invalid(msg.into())
    }

    /// A [`PlotError::Draw`] from any displayable drawing error.
    pub(crate) fn draw(e: impl std::fmt::Display) -> Self {
        PlotError::Draw(e.to_string())
    }
}
