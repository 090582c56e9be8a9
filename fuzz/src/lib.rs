//! Helpers of the fuzz targets: vrg's readers take paths, so each input is
//! written to a scratch file of this process first, and every error must be
//! one line.

use std::path::PathBuf;

/// A scratch file `name` in a directory of this process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vrg-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir.join(name)
}

/// Writes `data` to the scratch file `name` and returns its path.
pub fn input(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, data).expect("scratch file");
    path
}

/// Panics (a finding for libFuzzer) unless an error is one line.
pub fn check<T, E: std::fmt::Display>(result: Result<T, E>) {
    if let Err(e) = result {
        let text = e.to_string();
        assert!(!text.contains('\n'), "error of several lines: {text:?}");
    }
}
