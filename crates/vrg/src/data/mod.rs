//! Training data: loading (`.npy`, MNIST IDX, PNG), binarization, unit
//! checks, fitting 0/1 or ±1 data to the visible units, and
//! train/validation splits.
//!
//! A [`Dataset`] is an `n_rows × n_features` row-major matrix, one sample
//! per row, held as `f32` or, for binary data (all 0/1 or all ±1), packed
//! one bit per value ([`Dataset::pack`]); both decode to the same `f32`
//! values. [`load`] picks the reader from the file's content; pixel formats
//! are scaled to [0, 1], and binarized IDX and PNG pixels are packed as
//! they are read, never held as `f32`.

mod dataset;
mod fit;
mod load;
mod preprocess;
mod split;
mod validate;

pub use dataset::Dataset;
pub(crate) use dataset::STREAM_ROWS;
pub use fit::{fit_units, UnitMapping};
pub use load::{load, LoadOptions};
pub use preprocess::{binarize, to_binary, to_spins, Binarize, ROWS_PER_STREAM};
pub use split::split_validation;
pub use validate::{validate_units, UnitKind};
