//! Files: `.npy` arrays, IDX, PNG, model files, `ising sample`'s JSON
//! sidecars, and atomic writes.
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
pub mod model_file;
pub mod npy;
mod safetensors;
pub mod sidecar;

pub use atomic::AtomicFile;
pub use guard::PathPlan;
