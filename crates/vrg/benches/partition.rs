//! Partition functions of RBMs trained for one epoch on MNIST:
//! `cargo bench -p vrg --bench partition` times exact ln Z of a 784 × 25
//! RBM (issue bar: under 30 s on two cores); `-- --ais` times AIS with 100
//! chains and Salakhutdinov & Murray's 14 500 temperatures on 784 × 500
//! (bar: under 5 minutes). `--hidden N` changes the hidden layer's size,
//! `--betas K` the number of temperatures, `--model FILE.safetensors`
//! evaluates a saved model instead of training one. The full MNIST files
//! come from `--mnist DIR`, else `$VRG_MNIST_DIR`, else `../shared/data/mnist`
//! (relative to the repository root). `--json` prints the AIS result as one
//! object (used by `ais_compare.sh`); `--dense` runs AIS on dense products
//! instead of the sparse ones (the comparison). `-- --kernels` times only the f64
//! softplus sums over 784 inputs (ns per element) on each path this
//! processor has and for the standard library's scalar form, no MNIST needed.

mod common;

use std::time::Instant;
use vrg::data::LoadOptions;
use vrg::estimate::ais::{ais_log_partition_with, base_rate_biases, BetaSchedule, Products};
use vrg::estimate::exact::log_partition_exact;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{initial_rbm, TrainConfig, Trainer};

/// ns per element of Σ softplus over 784 inputs, per path, and of the
/// standard library's scalar `exp`/`ln_1p` form summed in order.
fn time_kernels() {
    use vrg::linalg::log_sums::{axpy_log_sum_on, log_sum_on, LogSum, SumPath};
    let x: Vec<f64> = (0..784)
        .map(|i| ((i * 37) % 101) as f64 * 0.2 - 10.0)
        .collect();
    let w: Vec<f64> = (0..784)
        .map(|i| ((i * 13) % 7) as f64 * 0.01 - 0.03)
        .collect();
    let time_reps = |reps: usize, f: &mut dyn FnMut() -> f64| {
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = Instant::now();
            let mut sink = 0.0;
            for _ in 0..reps {
                sink += f();
            }
            std::hint::black_box(sink);
            best = best.min(start.elapsed().as_secs_f64() * 1e9 / (reps as f64 * 784.0));
        }
        best
    };
    let time = |f: &mut dyn FnMut() -> f64| time_reps(50_000, f);
    let scalar = time_reps(5_000, &mut || {
        std::hint::black_box(&x)
            .iter()
            .map(|&v| vrg::rbm::softplus(v))
            .sum()
    });
    // The previous kernel: `linalg::softplus_f64` summed in 32 running sums,
    // auto-vectorised for AVX-512 (what `multiversion!` compiled).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    fn previous(a: &[f64]) -> f64 {
        let mut lanes = [0.0f64; 32];
        let mut chunks = a.chunks_exact(32);
        for c in &mut chunks {
            for l in 0..32 {
                lanes[l] += vrg::linalg::softplus_f64(c[l]);
            }
        }
        let mut total: f64 = lanes.iter().sum();
        for &x in chunks.remainder() {
            total += vrg::linalg::softplus_f64(x);
        }
        total
    }
    println!("softplus sum, 784 f64, ns per element (best of 5):");
    println!("  std scalar          {scalar:.3}");
    #[cfg(target_arch = "x86_64")]
    if SumPath::Avx512.supported() {
        // SAFETY: the processor has AVX-512F/DQ (checked just above; VL
        // comes with them on every processor that has both).
        let old = time(&mut || unsafe { previous(std::hint::black_box(&x)) });
        println!("  previous (auto-vectorised, AVX-512) {old:.3}");
    }
    for path in SumPath::ALL.into_iter().filter(|p| p.supported()) {
        let time = |f: &mut dyn FnMut() -> f64| {
            time_reps(
                if path == SumPath::Portable {
                    2_000
                } else {
                    50_000
                },
                f,
            )
        };
        let plain =
            time(&mut || log_sum_on(path, LogSum::Softplus, std::hint::black_box(&x)).unwrap());
        let mut a = x.clone();
        let mut sign = 1.0;
        let fused = time(&mut || {
            sign = -sign;
            axpy_log_sum_on(path, LogSum::Softplus, &mut a, sign, &w).unwrap()
        });
        let factor: Vec<f64> = w.iter().map(|v| v.exp()).collect();
        let inverse: Vec<f64> = w.iter().map(|v| (-v).exp()).collect();
        let mut e: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let mut flip = false;
        let product = time(&mut || {
            flip = !flip;
            let f = if flip { &factor } else { &inverse };
            vrg::linalg::log_sums::scaled_log1p_sum_on(path, &mut e, Some(f)).unwrap()
        });
        println!(
            "  {:<9} sum {plain:.3} ({:.1}× scalar), fused with the update {fused:.3}, \
             product walk step {product:.3}",
            path.name(),
            scalar / plain
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--kernels") {
        time_kernels();
        return;
    }
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
        let base = base_rate_biases(
            &data.dense_values(),
            data.n_features,
            VisibleUnits::Bernoulli,
        );
        let start = Instant::now();
        let products = if args.iter().any(|a| a == "--dense") {
            Products::Dense
        } else {
            Products::Sparse
        };
        let estimate = ais_log_partition_with(&model, &base, 100, &schedule, 1, products).unwrap();
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
             with 100 chains × {} temperatures in {seconds:.2} s on {threads} threads ({products:?} products)",
            estimate.log_z,
            estimate.log_z_stderr,
            estimate.ess,
            schedule.steps(),
        );
        return;
    }
    let (start, cpu) = (Instant::now(), common::cpu_seconds());
    let exact = log_partition_exact(&model).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let cpu = common::cpu_seconds() - cpu;
    println!(
        "784×{hidden} RBM: ln Z = {:.6} by enumerating the {} layer \
         ({} states) in {seconds:.2} s on {threads} threads ({:.2} ns per state and visible unit; \
         {cpu:.2} CPU s)",
        exact.log_z,
        exact.enumerated.name(),
        exact.states,
        seconds * 1e9 / (exact.states as f64 * 784.0),
    );
}
