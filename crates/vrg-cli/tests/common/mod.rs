//! Helpers shared by the command-line tests: run the `vrg` binary in a
//! directory, read what it printed and wrote.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;
use std::process::{Command, Output};

#[path = "../../../vrg/tests/common/npy_files.rs"]
mod npy_files;
#[allow(unused_imports)] // each test file uses its own subset
pub use npy_files::{read_npy, write_npy};
#[path = "../../../vrg/tests/common/dir_files.rs"]
mod dir_files;
#[allow(unused_imports)] // each test file uses its own subset
pub use dir_files::files;

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

/// Runs `vrg` and fails the test unless it succeeds; returns what it
/// printed on standard output.
pub fn vrg_stdout(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&vrg_ok(dir, args).stdout).into_owned()
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

/// Fails unless `vrg args` exits with code 2 and a one-line error that
/// mentions every one of `needles`; returns that error.
pub fn vrg_one_line_err(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let o = vrg(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err:?}"
        );
    }
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err:?}"
    );
    err
}

/// Writes `flat.npy`, 60 rows of 10 bits (data that train but are no square
/// lattice), and trains the one-layer DBN `flat.safetensors` on it in `dir`.
pub fn train_flat_dbn(dir: &Path) {
    let bits: Vec<u8> = (0..60 * 10).map(|i| ((i * 7919) % 5 < 2) as u8).collect();
    write_npy(&dir.join("flat.npy"), &[60, 10], &bits);
    vrg_ok(
        dir,
        &words(
            "dbn train --data flat.npy --layers 10,4 --epochs 1 --batch 10 --out flat.safetensors",
        ),
    );
}

/// The names and contents of every file in `dir`.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

/// The records of a JSON-lines file (a training log), one value a line.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
