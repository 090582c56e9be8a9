//! The full MNIST files the benchmarks read (the tests use the subset in
//! `tests/data/mnist-subset` instead).

use std::path::{Path, PathBuf};
use vrg::data::{load, Dataset, LoadOptions};

/// The directory of the original MNIST IDX files: `flag` (a `--mnist DIR`
/// argument) when given, else `$VRG_MNIST_DIR`, else `../shared/data/mnist`;
/// a relative `VRG_MNIST_DIR` (or the default) is taken from the repository
/// root, as the benchmark scripts do.
pub fn mnist_dir(flag: Option<String>) -> PathBuf {
    if let Some(dir) = flag {
        return PathBuf::from(dir);
    }
    let dir = std::env::var_os("VRG_MNIST_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("../shared/data/mnist"), PathBuf::from);
    if dir.is_absolute() {
        dir
    } else {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2);
        repository
            .expect("crates/vrg sits two levels down")
            .join(dir)
    }
}

/// Loads `name` (e.g. `train-images-idx3-ubyte.gz`) from `dir`; when the
/// file is missing or unreadable, says so, naming `VRG_MNIST_DIR` and the
/// path tried, and exits with code 2.
pub fn load_mnist(dir: &Path, name: &str, options: &LoadOptions) -> Dataset {
    let path = dir.join(name);
    if !path.is_file() {
        eprintln!(
            "error: the full MNIST files are needed and {} does not exist.\n\
             Set VRG_MNIST_DIR (default ../shared/data/mnist from the repository root) \
             or pass --mnist DIR: a directory holding the original IDX files \
             train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz, ….",
            path.display()
        );
        std::process::exit(2);
    }
    load(&path, options).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    })
}

/// This process's user + system CPU time in seconds (10 ms ticks, Linux;
/// NaN elsewhere): on a shared machine it shows the work apart from the wait.
#[allow(dead_code)]
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |k: usize| fields.get(k).and_then(|v| v.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}
