//! Helpers shared by the command-line tests: run the `vrg` binary in a
//! directory, read what it printed and wrote.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;
use std::process::{Command, Output};

#[path = "../../../vrg/tests/common/npy_files.rs"]
mod npy_files;
#[allow(unused_imports)] // each test file uses its own subset
pub use npy_files::{read_npy, write_npy};

/// The MNIST training images shipped with the library's tests: the first
/// 2000 rows of the original IDX file (see its README.md).
pub const MNIST_SUBSET_TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vrg/tests/data/mnist-subset/train-images-idx3-ubyte.gz"
);

/// The whitespace-separated words of a command line.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Runs `vrg args` in `dir`.
pub fn vrg(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrg"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run vrg")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `vrg` and fails the test unless it succeeds.
pub fn vrg_ok(dir: &Path, args: &[&str]) -> Output {
    let o = vrg(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// Fails unless `vrg args` exits with code 2 without panicking and its
/// error mentions every one of `words`; returns the error text.
pub fn vrg_err(dir: &Path, args: &[&str], words: &[&str]) -> String {
    let o = vrg(dir, args);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?} should fail: {text}");
    for w in words {
        assert!(text.contains(w), "{args:?}: {text:?} should mention {w:?}");
    }
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// The names in `dir`, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The records of a JSON-lines file (a training log), one value a line.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
