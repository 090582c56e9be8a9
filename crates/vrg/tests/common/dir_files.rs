//! Listing a directory, shared by the library's and the command line's tests
//! (the CLI's `tests/common` includes this file by path).

use std::path::Path;

/// The names in `dir`, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
