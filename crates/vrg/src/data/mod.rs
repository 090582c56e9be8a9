//! Training data: loading (`.npy`, MNIST IDX, PNG), binarization, unit
//! checks, fitting 0/1 or ±1 data to the visible units, and
//! train/validation splits.
//!
//! A [`Dataset`] is an `n_rows × n_features` row-major `f32` matrix, one
//! sample per row. [`load`] picks the reader from the file's content; pixel
//! formats are scaled to [0, 1].

mod dataset;
mod fit;
mod load;
mod preprocess;
mod split;
mod validate;

pub use dataset::Dataset;
pub use fit::{fit_units, UnitMapping};
pub use load::{load, LoadOptions};
pub use preprocess::{binarize, to_binary, to_spins, Binarize, ROWS_PER_STREAM};
pub use split::split_validation;
pub use validate::{validate_units, UnitKind};
