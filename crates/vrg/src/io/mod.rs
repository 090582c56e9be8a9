//! Files: `.npy` arrays and atomic writes.
//!
//! Nothing a user already had is lost: every file is written to a temporary
//! file in the same directory and renamed over the target only once complete.

pub mod atomic;
pub mod idx;
pub mod image;
pub mod limits;
pub mod model_file;
pub mod npy;
mod safetensors;

pub use atomic::AtomicFile;
