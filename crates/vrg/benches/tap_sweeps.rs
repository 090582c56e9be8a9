//! The TAP sweeps of one EMF update: `cargo bench -p vrg --bench tap_sweeps`.
//!
//! A 784×500 RBM and 20 persistent magnetisations (the MNIST setting of
//! issue #17): 3 sweeps, each the visible fields X·Wᵀ^{∘p} and the hidden
//! fields X·W^{∘p} for p = 1 … P (P = 2 for TAP2, 3 for TAP3), with the
//! f32 kernel ([`vrg::linalg::powers`]) and with the bfloat16 one
//! ([`vrg::linalg::powers_bf16`]: W and Wᵀ packed once per update, then
//! the same products), on one thread and on all cores. Milliseconds per
//! update, the best of 7 rounds of 100 updates (the least disturbed by
//! other work on the machine). `--quick` runs 1 round of 10.

use std::time::Instant;
use vrg::linalg::powers::rows_times_powers;
use vrg::linalg::powers_bf16::{self, PackedPowers};

const N_VISIBLE: usize = 784;
const N_HIDDEN: usize = 500;
const CHAINS: usize = 20;
const SWEEPS: usize = 3;

/// The best seconds per call of `work` over `rounds` rounds of `reps`.
fn best_of(rounds: usize, reps: usize, mut work: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            (0..reps).for_each(|_| work());
            start.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, reps) = if quick { (1, 10) } else { (7, 100) };
    let (nv, nh) = (N_VISIBLE, N_HIDDEN);
    // Weights of the size a trained MNIST RBM has, and magnetisations and
    // cumulants in their ranges (the values do not change the work).
    let w: Vec<f32> = (0..nv * nh)
        .map(|i| ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * 0.2)
        .collect();
    let mut wt = vec![0.0f32; nv * nh];
    vrg::linalg::transpose(&w, nv, nh, &mut wt);
    let rows = |n: usize, p: usize| -> Vec<f32> {
        (0..CHAINS * n)
            .map(|i| ((i * (p + 3)) % 17) as f32 / 17.0)
            .collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "TAP sweeps of one EMF update: {nv}×{nh}, {CHAINS} magnetisations, {SWEEPS} sweeps; \
         ms per update (best of {rounds}×{reps}); AVX512-BF16: {}",
        powers_bf16::available()
    );
    println!(
        "{:>5} {:>8} {:>10} {:>10} {:>10} {:>8}",
        "order", "threads", "f32", "bf16 pack", "bf16 all", "ratio"
    );
    for powers in [2, 3] {
        let xv: Vec<Vec<f32>> = (0..powers).map(|p| rows(nv, p)).collect();
        let xh: Vec<Vec<f32>> = (0..powers).map(|p| rows(nh, p)).collect();
        let mut yv: Vec<Vec<f32>> = vec![vec![0.0; CHAINS * nv]; powers];
        let mut yh: Vec<Vec<f32>> = vec![vec![0.0; CHAINS * nh]; powers];
        for threads in [1, cores] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (f32_update, pack, bf16_update) = pool.install(|| {
                let f32_update = best_of(rounds, reps, || {
                    for _ in 0..SWEEPS {
                        let xs: Vec<&[f32]> = xh.iter().map(|x| &x[..]).collect();
                        let mut ys: Vec<&mut [f32]> = yv.iter_mut().map(|y| &mut y[..]).collect();
                        rows_times_powers(&xs, CHAINS, nh, &wt, nv, nv, &mut ys);
                        let xs: Vec<&[f32]> = xv.iter().map(|x| &x[..]).collect();
                        let mut ys: Vec<&mut [f32]> = yh.iter_mut().map(|y| &mut y[..]).collect();
                        rows_times_powers(&xs, CHAINS, nv, &w, nh, nh, &mut ys);
                    }
                });
                let (mut packed_w, mut packed_wt) =
                    (PackedPowers::default(), PackedPowers::default());
                let pack = best_of(rounds, reps, || {
                    packed_w.pack(&w, nh, nv, nh, powers);
                    packed_wt.pack(&wt, nv, nh, nv, powers);
                });
                let mut x_words = Vec::new();
                let sweeps = best_of(rounds, reps, || {
                    for _ in 0..SWEEPS {
                        let xs: Vec<&[f32]> = xh.iter().map(|x| &x[..]).collect();
                        let mut ys: Vec<&mut [f32]> = yv.iter_mut().map(|y| &mut y[..]).collect();
                        packed_wt.rows_times(&xs, CHAINS, &mut ys, &mut x_words);
                        let xs: Vec<&[f32]> = xv.iter().map(|x| &x[..]).collect();
                        let mut ys: Vec<&mut [f32]> = yh.iter_mut().map(|y| &mut y[..]).collect();
                        packed_w.rows_times(&xs, CHAINS, &mut ys, &mut x_words);
                    }
                });
                (f32_update, pack, pack + sweeps)
            });
            println!(
                "{powers:>5} {threads:>8} {:>10.3} {:>10.3} {:>10.3} {:>8.2}",
                f32_update * 1e3,
                pack * 1e3,
                bf16_update * 1e3,
                f32_update / bf16_update
            );
        }
    }
}
