//! Partition functions of RBMs trained for one epoch on MNIST:
//! `cargo bench -p vrg --bench partition` times exact ln Z of a 784 × 25
//! RBM (issue bar: under 30 s on two cores); `-- --ais` times AIS with 100
//! chains and Salakhutdinov & Murray's 14 500 temperatures on 784 × 500
//! (bar: under 5 minutes). `--hidden N` changes the hidden layer's size,
//! `--betas K` the number of temperatures, `--model FILE.safetensors`
//! evaluates a saved model instead of training one. The full MNIST files
//! come from `--mnist DIR`, else `$VRG_MNIST_DIR`, else `../shared/data/mnist`
//! (relative to the repository root). `--json` prints the AIS result as one
//! object (used by `ais_compare.sh`).

mod common;

use std::time::Instant;
use vrg::data::LoadOptions;
use vrg::estimate::ais::{ais_log_partition, base_rate_biases, BetaSchedule};
use vrg::estimate::exact::log_partition_exact;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{initial_rbm, TrainConfig, Trainer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let ais = args.iter().any(|a| a == "--ais");
    let hidden: usize = value("--hidden").map_or(if ais { 500 } else { 25 }, |h| {
        h.parse().expect("--hidden N")
    });
    let data = common::load_mnist(
        &common::mnist_dir(value("--mnist")),
        "train-images-idx3-ubyte.gz",
        &LoadOptions::default(),
    );
    let params = TrainConfig::new()
        .batch_size(100)
        .check(data.n_rows)
        .unwrap();
    let rbm = initial_rbm(
        &data,
        hidden,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params);
    let model = match value("--model") {
        Some(path) => vrg::rbm::file::load_rbm(&path).expect("--model FILE").rbm,
        None => {
            trainer.train_epoch(&data, &|_| {}).unwrap();
            trainer.rbm().clone()
        }
    };
    let hidden = model.n_hidden();
    let threads = rayon::current_num_threads();
    if ais {
        let schedule = match value("--betas") {
            Some(k) => BetaSchedule::scaled(k.parse().expect("--betas K")).unwrap(),
            None => BetaSchedule::salakhutdinov_murray(),
        };
        let base = base_rate_biases(&data.values, data.n_features, VisibleUnits::Bernoulli);
        let start = Instant::now();
        let estimate = ais_log_partition(&model, &base, 100, &schedule, 1).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        if args.iter().any(|a| a == "--json") {
            println!(
                "{{\"library\":\"vrg\",\"log_z\":{},\"log_z_stderr\":{},\"ess\":{},\"chains\":100,\"betas\":{},\"seconds\":{seconds}}}",
                estimate.log_z,
                estimate.log_z_stderr,
                estimate.ess,
                schedule.steps()
            );
            return;
        }
        println!(
            "784×{hidden} RBM: AIS ln Z = {:.4} ± {:.4} (ESS {:.1} of 100) \
             with 100 chains × {} temperatures in {seconds:.2} s on {threads} threads",
            estimate.log_z,
            estimate.log_z_stderr,
            estimate.ess,
            schedule.steps(),
        );
        return;
    }
    let start = Instant::now();
    let exact = log_partition_exact(&model).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "784×{hidden} RBM: ln Z = {:.6} by enumerating the {} layer \
         ({} states) in {seconds:.2} s on {threads} threads ({:.2} ns per state and visible unit)",
        exact.log_z,
        exact.enumerated.name(),
        exact.states,
        seconds * 1e9 / (exact.states as f64 * 784.0),
    );
}
