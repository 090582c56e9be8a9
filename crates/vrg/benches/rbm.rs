//! RBM training throughput on MNIST: `cargo bench -p vrg --bench rbm`.
//!
//! A 784×500 Bernoulli RBM, CD-1 and PCD-1, batches of 100 and 1000, on one
//! thread and all cores; samples per second over one epoch of the 60 000
//! training images (median of 3 epochs after a warm-up). The reference
//! figures (scikit-learn, PyTorch CPU) come from `rbm_reference.py` run on
//! the same machine; the table in RESULTS.md puts them side by side.
//! `--quick` trains on 5 000 images once (a smoke run); `--only cd-100-2`
//! runs one case; `--json` prints one JSON object per case (used by
//! `rbm_compare.sh`). The full MNIST files come from `--mnist DIR`, else
//! `$VRG_MNIST_DIR`, else `../shared/data/mnist` (relative to the repository
//! root).

mod common;

use std::time::Instant;
use vrg::data::LoadOptions;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{initial_rbm, Method, TrainConfig, Trainer};

fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((v.iter().sum::<u64>() - idle, v.iter().sum()))
}

fn own_jiffies() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mnist = common::mnist_dir(
        args.iter()
            .position(|a| a == "--mnist")
            .and_then(|i| args.get(i + 1).cloned()),
    );
    let options = LoadOptions {
        limit: if quick { Some(5000) } else { None },
        ..LoadOptions::default()
    };
    let data = common::load_mnist(&mnist, "train-images-idx3-ubyte.gz", &options);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "784×500 Bernoulli RBM on {} MNIST images, f32; samples/s (median of {} epochs)",
        data.n_rows,
        if quick { 1 } else { 3 }
    );
    println!(
        "{:>6} {:>6} {:>8} {:>12} {:>14}",
        "method", "batch", "threads", "samples/s", "others' CPU"
    );
    for method in [Method::Cd, Method::Pcd] {
        for batch in [100usize, 1000] {
            for threads in [1, cores] {
                let label = format!("{}-{batch}-{threads}", format!("{method:?}").to_lowercase());
                if let Some(i) = args.iter().position(|a| a == "--only") {
                    if args.get(i + 1) != Some(&label) {
                        continue;
                    }
                }
                let params = TrainConfig::new()
                    .method(method)
                    .batch_size(batch)
                    .epochs(100)
                    .check(data.n_rows)
                    .unwrap();
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let (rate, others) = pool.install(|| {
                    let rbm = initial_rbm(
                        &data,
                        500,
                        VisibleUnits::Bernoulli,
                        HiddenUnits::Bernoulli,
                        &params,
                    )
                    .unwrap();
                    let mut trainer = Trainer::new(rbm, params.clone());
                    if !quick {
                        trainer.train_epoch(&data, &|_| {}).unwrap();
                    }
                    let (j0, o0) = (cpu_jiffies(), own_jiffies());
                    let mut rates = Vec::new();
                    for _ in 0..if quick { 1 } else { 3 } {
                        let start = Instant::now();
                        trainer.train_epoch(&data, &|_| {}).unwrap();
                        rates.push(data.n_rows as f64 / start.elapsed().as_secs_f64());
                    }
                    let others = match (j0, cpu_jiffies(), o0, own_jiffies()) {
                        (Some((b0, t0)), Some((b1, t1)), Some(o0), Some(o1)) => {
                            100.0 * (b1 - b0).saturating_sub(o1 - o0) as f64
                                / (t1 - t0).max(1) as f64
                        }
                        _ => f64::NAN,
                    };
                    (vrg::stats::median(&rates), others)
                });
                let name = format!("{method:?}").to_lowercase();
                if args.iter().any(|a| a == "--json") {
                    println!(
                        "{{\"library\":\"vrg\",\"method\":\"{name}-1\",\"batch\":{batch},\"threads\":{threads},\"samples_per_second\":{rate:.1},\"others_cpu_share\":{:.4}}}",
                        others / 100.0
                    );
                } else {
                    println!("{name:>6} {batch:>6} {threads:>8} {rate:>12.0} {others:>13.1}%");
                }
            }
        }
    }
}
