//! Times the four products of an RBM update (784×500, batch B) through
//! `vrg::linalg::gemm`: `cargo run --release -p vrg --example gemm_shapes -- B THREADS`.
use std::time::Instant;
use vrg::linalg::{gemm, Operand};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (b, threads) = (
        args.first().copied().unwrap_or(100),
        args.get(1).copied().unwrap_or(1),
    );
    let (nv, nh) = (784, 500);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let v: Vec<f32> = (0..b * nv).map(|i| (i % 7) as f32 * 0.1).collect();
        let h: Vec<f32> = (0..b * nh).map(|i| (i % 5) as f32 * 0.1).collect();
        let w: Vec<f32> = (0..nv * nh).map(|i| (i % 3) as f32 * 0.01).collect();
        let mut out_h = vec![0.0f32; b * nh];
        let mut out_v = vec![0.0f32; b * nv];
        let mut grad = vec![0.0f32; nv * nh];
        let flops = 2.0 * (b * nv * nh) as f64;
        let time = |name: &str, f: &mut dyn FnMut()| {
            f();
            let start = Instant::now();
            let mut n = 0;
            while start.elapsed().as_secs_f64() < 1.0 {
                f();
                n += 1;
            }
            let s = start.elapsed().as_secs_f64() / n as f64;
            println!(
                "{name:<28} {:>8.1} µs  {:>6.0} GFLOP/s",
                s * 1e6,
                flops / s / 1e9
            );
        };
        time("H = V W", &mut || {
            gemm(
                &mut out_h,
                Operand::new(&v, b, nv),
                Operand::new(&w, nv, nh),
                1.0,
                false,
            )
        });
        time("V = H Wᵀ", &mut || {
            gemm(
                &mut out_v,
                Operand::new(&h, b, nh),
                Operand::new(&w, nv, nh).t(),
                1.0,
                false,
            )
        });
        time("dW += Vᵀ H", &mut || {
            gemm(
                &mut grad,
                Operand::new(&v, b, nv).t(),
                Operand::new(&h, b, nh),
                1.0,
                true,
            )
        });
    });
}
