//! Exact ln Z of a 784 × 25 RBM trained for one epoch on MNIST (issue bar:
//! under 30 s on two cores): `cargo bench -p vrg --bench partition`.
//! `--hidden N` changes the enumerated layer's size (`--hidden 20` for a
//! quick run); `--mnist DIR` points at another copy of the IDX files.

use std::time::Instant;
use vrg::data::{load, LoadOptions};
use vrg::estimate::exact::log_partition_exact;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{initial_rbm, TrainParams, Trainer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let hidden: usize = value("--hidden").map_or(25, |h| h.parse().expect("--hidden N"));
    let mnist = value("--mnist").unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mnist").to_string()
    });
    let data = load(
        format!("{mnist}/train-images-idx3-ubyte.gz"),
        &LoadOptions::default(),
    )
    .expect("MNIST training images");
    let params = TrainParams {
        batch_size: 100,
        ..TrainParams::default()
    };
    let rbm = initial_rbm(
        &data,
        hidden,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params);
    trainer.train_epoch(&data, &|_| {}).unwrap();
    let threads = rayon::current_num_threads();
    let start = Instant::now();
    let exact = log_partition_exact(trainer.rbm()).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "784×{hidden} RBM (1 epoch of CD-1 on MNIST): ln Z = {:.6} by enumerating the {} layer \
         ({} states) in {seconds:.2} s on {threads} threads ({:.2} ns per state and visible unit)",
        exact.log_z,
        exact.enumerated.name(),
        exact.states,
        seconds * 1e9 / (exact.states as f64 * 784.0),
    );
}
