//! Helpers shared by the command-line tests: run the `vrg` binary in a
//! directory, read what it printed and wrote.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;
use std::process::{Command, Output};

/// The MNIST training images shipped with the library's tests: the first
/// 2000 rows of the original IDX file (see its README.md).
pub const MNIST_SUBSET_TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vrg/tests/data/mnist-subset/train-images-idx3-ubyte.gz"
);

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

/// Writes `data` with `shape` as a `.npy` file.
pub fn write_npy<T: npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
    use npyz::WriterBuilder;
    let mut file = std::fs::File::create(path).unwrap();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut file)
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

/// Shape and values of a `.npy` file of `T`.
pub fn read_npy<T: npyz::Deserialize>(path: &Path) -> (Vec<u64>, Vec<T>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec().unwrap())
}
