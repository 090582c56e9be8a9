//! Effective couplings of an RBM's visible marginal:
//! `cargo bench -p vrg --bench couplings` times the exact Walsh–Hadamard
//! expansion of a 24-visible RBM (issue #14 bar: under 2 s on two cores)
//! with 16 and 64 hidden units, the bare in-place transform of 2^24
//! entries, and the Monte Carlo and Gaussian estimates of the
//! nearest-neighbour and next-nearest pairs of a 16 × 16 lattice RBM
//! (256 × 64). Prints the median of `--runs N` runs (default 5) after one
//! warm-up; other arguments (criterion's `--warm-up-time` and the like)
//! are ignored.

use std::time::Instant;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::rg::couplings::{
    couplings_exact, couplings_gaussian, couplings_monte_carlo, lattice_pairs, CouplingSets,
    GaussianOptions, MonteCarloOptions,
};

/// An RBM with weights uniform in ±`scale` and biases in ±`scale`/2.
fn random_rbm(n: usize, m: usize, scale: f64, seed: u64) -> Rbm {
    let mut rng = vrg::rng::root(seed);
    let mut draw = |s: f64| ((2.0 * vrg::rng::uniform(&mut rng) - 1.0) * s) as f32;
    let weights = (0..n * m).map(|_| draw(scale)).collect();
    let a = (0..n).map(|_| draw(scale / 2.0)).collect();
    let b = (0..m).map(|_| draw(scale / 2.0)).collect();
    Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        weights,
        a,
        b,
    )
    .expect("parameters")
}

/// This process's user + system CPU time in seconds (Linux), to tell the
/// cost apart from waiting for cores that other programs hold.
fn cpu_seconds() -> f64 {
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

/// Median wall seconds of `runs` calls after one warm-up, and the mean CPU
/// seconds per call.
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let cpu_start = cpu_seconds();
    let mut seconds: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    let cpu = (cpu_seconds() - cpu_start) / runs as f64;
    seconds.sort_by(f64::total_cmp);
    (seconds[runs / 2], cpu)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map_or(5, |r| r.parse().expect("--runs N"));
    let threads = rayon::current_num_threads();
    let n = 24;
    for hidden in [16, 64] {
        let rbm = random_rbm(n, hidden, 0.3, 1);
        let (seconds, cpu) = time(runs, || {
            std::hint::black_box(couplings_exact(&rbm, 2, 0.0).expect("exact"));
        });
        println!(
            "exact/{n}x{hidden}: {seconds:.3} s on {threads} threads, {cpu:.2} CPU s \
             ({:.2} ns per configuration, {:.3} ns per configuration and hidden unit)",
            seconds * 1e9 / (1u64 << n) as f64,
            seconds * 1e9 / ((1u64 << n) as f64 * hidden as f64),
        );
    }
    let mut table = vec![0.5f64; 1 << n];
    let (seconds, cpu) = time(runs, || {
        vrg::linalg::walsh::fwht(&mut table).expect("power of two");
    });
    println!(
        "fwht/2^{n}: {seconds:.3} s on {threads} threads, {cpu:.2} CPU s ({:.3} ns per butterfly)",
        seconds * 1e9 / (n as f64 * (1u64 << (n - 1)) as f64)
    );
    let side = 16;
    let rbm = random_rbm(side * side, 64, 0.1, 2);
    let sets = CouplingSets::Given(lattice_pairs(side, std::f64::consts::SQRT_2).expect("pairs"));
    let options = MonteCarloOptions {
        samples: 2000,
        seed: 1,
    };
    let (seconds, cpu) = time(runs, || {
        std::hint::black_box(couplings_monte_carlo(&rbm, &sets, &options).expect("mc"));
    });
    println!(
        "monte_carlo/{}x64 nn+nnn pairs ({} sets), 2000 samples: {seconds:.3} s on {threads} threads, {cpu:.2} CPU s",
        side * side,
        4 * side * side
    );
    let (seconds, cpu) = time(runs, || {
        std::hint::black_box(
            couplings_gaussian(&rbm, &sets, &GaussianOptions::default()).expect("gaussian"),
        );
    });
    println!(
        "gaussian/{}x64 nn+nnn pairs, 64 nodes: {seconds:.3} s on {threads} threads, {cpu:.2} CPU s",
        side * side
    );
}
