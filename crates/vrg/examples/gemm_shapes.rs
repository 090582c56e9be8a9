//! Times the four products of an RBM update (784×500, batch B) through
//! `vrg::linalg::gemm`, and the same products with a sparse visible
//! operand of the given density through `vrg::linalg::sparse`:
//! `cargo run --release -p vrg --example gemm_shapes -- B THREADS [DENSITY]`.
use std::time::Instant;
use vrg::linalg::sparse::{sparse_times_dense, AlignedRows, SparseRows};
use vrg::linalg::{gemm, Operand};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .take(2)
        .map(|a| a.parse().unwrap())
        .collect();
    let (b, threads) = (
        args.first().copied().unwrap_or(100),
        args.get(1).copied().unwrap_or(1),
    );
    let density: f64 = std::env::args().nth(3).map_or(0.19, |d| d.parse().unwrap());
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
        // Visible rows with the given fraction of nonzeros (hashed positions).
        let v_sparse: Vec<f32> = (0..b * nv)
            .map(|i| {
                let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                if (h % 10_000) as f64 / 10_000.0 < density {
                    0.5
                } else {
                    0.0
                }
            })
            .collect();
        let parallel = threads > 1;
        let mut w_aligned = AlignedRows::default();
        w_aligned.reshape(nv, nh);
        w_aligned.copy_from(&w);
        let mut rows = SparseRows::default();
        let mut columns = SparseRows::default();
        time(&format!("sparse({density}) fill rows"), &mut || {
            rows.fill_from_dense(&v_sparse, b, nv, parallel)
        });
        time(&format!("sparse({density}) H = V W"), &mut || {
            rows.fill_from_dense(&v_sparse, b, nv, parallel);
            sparse_times_dense(
                &mut out_h,
                &rows,
                w_aligned.as_slice(),
                w_aligned.stride(),
                nh,
                parallel,
            )
        });
        // The gradient's stack [V⁰; Vⁿ] (here two copies of the batch).
        time(&format!("sparse({density}) transpose 2B rows"), &mut || {
            columns.fill_transpose_of_stack(&[(&rows, 1.0), (&rows, -1.0)], parallel)
        });
        let mut h_stack = AlignedRows::default();
        h_stack.reshape(2 * b, nh);
        h_stack.copy_from(&[&h[..], &h[..]].concat());
        time(
            &format!("sparse({density}) dW = Vᵀ H, 2B rows"),
            &mut || {
                columns.fill_transpose_of_stack(&[(&rows, 1.0), (&rows, -1.0)], parallel);
                sparse_times_dense(
                    &mut grad,
                    &columns,
                    h_stack.as_slice(),
                    h_stack.stride(),
                    nh,
                    parallel,
                )
            },
        );
    });
}
