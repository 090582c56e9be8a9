//! Files: the formats vrg reads and writes, and the rules every file
//! follows.
//!
//! - Formats: [`npy`] arrays, [`idx`] (MNIST's IDX, plain or gzipped),
//!   [`image`] (PNG files and directories of them), [`safetensors`] (the
//!   container of model and checkpoint files, whose layouts belong to
//!   [`crate::rbm::file`], [`crate::dbn::file`] and
//!   [`crate::train::checkpoint`]), and [`sidecar`] (`ising sample`'s JSON
//!   descriptions of its `.npy` files).
//! - Rules: [`limits`] (the bounds a reader checks before it allocates),
//!   [`atomic`] (write-then-rename files and directories) and [`guard`]
//!   (no output may be an input, or another output).
//!
//! Nothing a user already had is lost: every file is written to a temporary
//! file in the same directory and renamed over the target only once complete.
//! No file can crash or exhaust the machine: every reader checks the sizes
//! a file declares against the file and a memory limit before it allocates
//! ([`limits`]), and every error is one line naming the file.

pub mod atomic;
pub mod guard;
pub mod idx;
pub mod image;
pub mod limits;
pub mod npy;
pub mod safetensors;
pub mod sidecar;

pub use atomic::AtomicFile;
pub use guard::PathPlan;
