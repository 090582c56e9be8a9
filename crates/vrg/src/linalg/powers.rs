//! Products of a few rows with the element-wise powers of one matrix,
//! Y_p = X_p · B^{∘p} (B^{∘p}_ij = B_ij^p) for p = 1 … P, P ≤ 3, in one
//! pass over B: the fields m·W and the reaction sums κ₂(m)·W² and κ₃(m)·W³
//! of the TAP equations (eq. T2 of [`crate::estimate::tap`]), which EMF
//! training solves for a few persistent magnetisations at every update
//! (`train::emf`).
//!
//! With tens of rows a general product spends most of its time packing B
//! (each packed element serves only as many multiply-adds as there are
//! rows). Here, on AVX-512, each 32-column tile of B is read straight from
//! its rows, its powers are formed in registers, and every load serves a
//! group of up to 12/P rows of every X_p (24 accumulators). Elsewhere the
//! same sums come from a row-by-row loop of axpys.

use super::disjoint::DisjointMut;
use super::dispatch::{isa, Isa};
use super::maths::axpy;
use super::PARALLEL_MULTIPLY_ADDS;
use rayon::prelude::*;

/// The highest power of B [`rows_times_powers`] forms.
pub const MAX_POWER: usize = 3;

/// Columns of B per task (two AVX-512 vectors).
const TILE: usize = 32;

/// How many rows of B ahead the kernel prefetches.
const PREFETCH_ROWS: usize = 8;

/// Y_p ← X_p · B^{∘p} for p = 1 … P = `xs.len()` (1 ≤ P ≤ [`MAX_POWER`]):
/// `xs[p − 1]` is `rows × k` and `ys[p − 1]` is `rows × n`, both
/// row-major and contiguous; B is `k × n`, row-major with row stride
/// `b_stride` ≥ n. The sums run over i = 0 … k − 1 in order, each product
/// rounded once (fused multiply-add) on AVX-512; the portable loop rounds
/// the product and the sum separately, so the two paths agree to rounding.
///
/// Panics if P is out of range or a slice is too short for its shape.
pub fn rows_times_powers(
    xs: &[&[f32]],
    rows: usize,
    k: usize,
    b: &[f32],
    b_stride: usize,
    n: usize,
    ys: &mut [&mut [f32]],
) {
    let powers = xs.len();
    assert!(
        (1..=MAX_POWER).contains(&powers) && ys.len() == powers,
        "rows_times_powers: {powers} left operands and {} results (1 to {MAX_POWER} each)",
        ys.len()
    );
    assert!(
        b_stride >= n,
        "rows_times_powers: stride {b_stride} < {n} columns"
    );
    if k > 0 && n > 0 {
        assert!(
            b.len() >= (k - 1) * b_stride + n,
            "rows_times_powers: B too short"
        );
    }
    for (x, y) in xs.iter().zip(ys.iter()) {
        assert!(x.len() >= rows * k, "rows_times_powers: X too short");
        assert!(y.len() >= rows * n, "rows_times_powers: Y too short");
    }
    if rows == 0 || n == 0 {
        return;
    }
    if k == 0 {
        ys.iter_mut().for_each(|y| y[..rows * n].fill(0.0));
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa() == Isa::Avx512 {
        let parallel = rows * k * n * powers >= PARALLEL_MULTIPLY_ADDS;
        let y: [DisjointMut<f32>; MAX_POWER] =
            std::array::from_fn(|p| DisjointMut::new(ys[p.min(powers - 1)]));
        let shape = Shape {
            rows,
            k,
            n,
            b_stride,
        };
        let tile = |t: usize| {
            // SAFETY: the processor has AVX-512F (isa); the lengths were
            // checked above; tile t writes only columns 32t.. 32t + 32 of
            // each Y_p, which no other task writes.
            unsafe { column_tile(xs, &shape, b, &y, t * TILE) }
        };
        let tiles = n.div_ceil(TILE);
        if parallel {
            (0..tiles).into_par_iter().for_each(tile);
        } else {
            (0..tiles).for_each(tile);
        }
        return;
    }
    rows_times_powers_portable(xs, rows, k, b, b_stride, n, ys);
}

/// The row-by-row loop: for each row i of B, its powers, then
/// Y_p[r, :] += X_p[r, i] · B^{∘p}[i, :] for every r and p.
fn rows_times_powers_portable(
    xs: &[&[f32]],
    rows: usize,
    k: usize,
    b: &[f32],
    b_stride: usize,
    n: usize,
    ys: &mut [&mut [f32]],
) {
    let powers = xs.len();
    ys.iter_mut().for_each(|y| y[..rows * n].fill(0.0));
    let mut power_rows = vec![0.0f32; powers * n];
    for i in 0..k {
        let row = &b[i * b_stride..i * b_stride + n];
        power_rows[..n].copy_from_slice(row);
        for p in 1..powers {
            let (lower, upper) = power_rows.split_at_mut(p * n);
            for ((out, &below), &w) in upper[..n].iter_mut().zip(&lower[(p - 1) * n..]).zip(row) {
                *out = below * w;
            }
        }
        for (p, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
            let power_row = &power_rows[p * n..(p + 1) * n];
            for (r, y_row) in y[..rows * n].chunks_exact_mut(n).enumerate() {
                axpy(y_row, x[r * k + i], power_row);
            }
        }
    }
}

/// The sizes a tile task needs.
struct Shape {
    rows: usize,
    k: usize,
    n: usize,
    b_stride: usize,
}

/// Rows per group for P powers: 24 accumulators (two vectors per row and
/// power) leave registers for B's powers and the broadcast (in
/// [`super::powers_bf16`], for B's 2P packed vectors).
pub(super) const fn group_rows(powers: usize) -> usize {
    12 / powers
}

/// Stores a group's sums: row r of Y_p (stride `n`, from `y[p]`) gets
/// `acc[r][p]`, two vectors, in the lanes of the masks `[m0, m1]`. Shared
/// by this module's kernel and [`super::powers_bf16`]'s.
///
/// A macro, not a function: the sums must stay in registers through the
/// kernel's loop. Passed by reference to a function that is not inlined (a
/// `#[target_feature]` function cannot be `#[inline(always)]`), the
/// accumulator array had an address, and LLVM then stored every
/// accumulator to the stack on every step of the loop, one store per
/// multiply-add: that halved the bfloat16 kernel's speed in the `vrg`
/// binary, though not in the benchmark's build.
///
/// Expands to unsafe code: the caller's `unsafe` block promises that the
/// processor supports AVX-512F and that rows 0.. R of each Y_p exist from
/// `y[p]` in the masked lanes of the tile.
#[cfg(target_arch = "x86_64")]
macro_rules! store_group {
    ($acc:expr, $y:expr, $n:expr, $masks:expr) => {{
        let [m0, m1]: [u16; 2] = $masks;
        for (r, acc) in $acc.iter().enumerate() {
            for (p, acc) in acc.iter().enumerate() {
                let out = $y[p].add(r * $n);
                std::arch::x86_64::_mm512_mask_storeu_ps(out, m0, acc[0]);
                std::arch::x86_64::_mm512_mask_storeu_ps(out.add(16), m1, acc[1]);
            }
        }
    }};
}
#[cfg(target_arch = "x86_64")]
pub(super) use store_group;

/// `kernel::<P, R>(args…)` with the power count `powers` (1 … 3; more
/// is 3) and a group's row count `live` (1 … 12) as constants: the
/// dispatch of this module's kernel and [`super::powers_bf16`]'s. The
/// call is unsafe where the kernel is; the caller's `unsafe` block covers
/// it.
macro_rules! with_group_shape {
    ($powers:expr, $live:expr, $kernel:ident($($arg:expr),*)) => {
        match $powers {
            1 => with_group_shape!(@rows 1, $live, $kernel($($arg),*)),
            2 => with_group_shape!(@rows 2, $live, $kernel($($arg),*)),
            _ => with_group_shape!(@rows 3, $live, $kernel($($arg),*)),
        }
    };
    (@rows $p:literal, $live:expr, $kernel:ident($($arg:expr),*)) => {
        match $live {
            1 => $kernel::<$p, 1>($($arg),*),
            2 => $kernel::<$p, 2>($($arg),*),
            3 => $kernel::<$p, 3>($($arg),*),
            4 => $kernel::<$p, 4>($($arg),*),
            5 => $kernel::<$p, 5>($($arg),*),
            6 => $kernel::<$p, 6>($($arg),*),
            7 => $kernel::<$p, 7>($($arg),*),
            8 => $kernel::<$p, 8>($($arg),*),
            9 => $kernel::<$p, 9>($($arg),*),
            10 => $kernel::<$p, 10>($($arg),*),
            11 => $kernel::<$p, 11>($($arg),*),
            12 => $kernel::<$p, 12>($($arg),*),
            _ => unreachable!("a group has 1 to 12 rows"),
        }
    };
}
pub(super) use with_group_shape;

/// Columns j0.. j0 + 32 (fewer at the right edge) of every Y_p, in groups
/// of [`group_rows`] rows.
///
/// # Safety
/// The processor supports AVX-512F; each of the P = `xs.len()` (1 … 3)
/// X_p holds `rows × k` floats, B `(k − 1)·b_stride + n`, and `y[p]` points
/// at `rows × n` floats that no other task writes in these columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn column_tile(
    xs: &[&[f32]],
    shape: &Shape,
    b: &[f32],
    y: &[DisjointMut<f32>; MAX_POWER],
    j0: usize,
) {
    let width = (shape.n - j0).min(TILE);
    let masks = [
        lane_mask(width.min(16)),
        lane_mask(width.saturating_sub(16)),
    ];
    let powers = xs.len();
    let step = group_rows(powers);
    let mut r0 = 0;
    while r0 < shape.rows {
        let live = (shape.rows - r0).min(step);
        let at = Group {
            x: std::array::from_fn(|p| xs[p.min(powers - 1)][r0 * shape.k..].as_ptr()),
            b: b.as_ptr().wrapping_add(j0),
            y: std::array::from_fn(|p| y[p].wrapping_add(r0 * shape.n + j0).get()),
            masks,
        };
        // SAFETY: the group's rows r0.. r0 + live exist; the rest as the
        // caller promised.
        unsafe { with_group_shape!(powers, live, group_kernel(&at, shape)) }
        r0 += live;
    }
}

/// The mask of the first `count` (≤ 16) lanes.
pub(super) fn lane_mask(count: usize) -> u16 {
    if count >= 16 {
        u16::MAX
    } else {
        (1u16 << count) - 1
    }
}

/// Where one group of rows starts: X_p's first row, B's first column, Y_p's
/// (first row, first column), and the tile's lane masks.
struct Group {
    x: [*const f32; MAX_POWER],
    b: *const f32,
    y: [*mut f32; MAX_POWER],
    masks: [u16; 2],
}

/// Y_p[r, tile] = Σ_i X_p[r, i] B_i[tile]^p for the group's R rows.
///
/// # Safety
/// The processor supports AVX-512F; rows 0.. R of each X_p (stride k) and
/// of each Y_p (stride n) exist from the group's pointers; B has k rows of
/// stride b_stride from `at.b`, each readable in the masked lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn group_kernel<const P: usize, const R: usize>(at: &Group, shape: &Shape) {
    use std::arch::x86_64::*;
    let [m0, m1] = at.masks;
    let mut acc = [[[_mm512_setzero_ps(); 2]; P]; R];
    for i in 0..shape.k {
        // SAFETY: row i of B's tile, read in the masked lanes only; element
        // (r, i) of each X_p; see the function's contract.
        unsafe {
            let row = at.b.add(i * shape.b_stride);
            // B's rows are far apart (a row of W), where the hardware
            // prefetcher does not follow: fetch a row a few steps ahead.
            let ahead = row.wrapping_add(PREFETCH_ROWS * shape.b_stride) as *const i8;
            _mm_prefetch::<_MM_HINT_T0>(ahead);
            _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
            let w = [
                _mm512_maskz_loadu_ps(m0, row),
                _mm512_maskz_loadu_ps(m1, row.add(16)),
            ];
            let mut power = [w; P];
            for p in 1..P {
                for t in 0..2 {
                    power[p][t] = _mm512_mul_ps(power[p - 1][t], w[t]);
                }
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                for (p, acc) in acc.iter_mut().enumerate() {
                    let s = _mm512_set1_ps(*at.x[p].add(r * shape.k + i));
                    for t in 0..2 {
                        acc[t] = _mm512_fmadd_ps(s, power[p][t], acc[t]);
                    }
                }
            }
        }
    }
    // SAFETY: rows 0.. R of each Y_p exist in the masked lanes (the
    // function's contract).
    unsafe { store_group!(acc, at.y, shape.n, at.masks) };
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// One shape of a power kernel's test: X_1 … X_P (`rows × k` each) and
    /// B (`k` rows of `n` at `stride`), random.
    pub(in crate::linalg) struct Case {
        pub rows: usize,
        pub k: usize,
        pub n: usize,
        pub stride: usize,
        pub powers: usize,
        pub xs: Vec<Vec<f32>>,
        pub b: Vec<f32>,
    }

    impl Case {
        pub fn x_refs(&self) -> Vec<&[f32]> {
            self.xs.iter().map(|x| &x[..]).collect()
        }

        /// Y_1 … Y_P filled with NaN (every element must be written).
        pub fn outputs(&self) -> Vec<Vec<f32>> {
            vec![vec![f32::NAN; self.rows * self.n]; self.powers]
        }
    }

    /// Mutable views of `ys`, the kernels' output argument.
    pub(in crate::linalg) fn refs_mut(ys: &mut [Vec<f32>]) -> Vec<&mut [f32]> {
        ys.iter_mut().map(|y| &mut y[..]).collect()
    }

    /// Both paths of a power kernel (`kernels` returns the fast and the
    /// portable Y_1 … Y_P of a case) against f64 sums (`reference(case,
    /// p)` for power p, 0-based), within 4 k ε 1.5^(p+1): the f32 sums of
    /// k terms of size ≤ 1.5^(p+1). The shapes take the row count through
    /// every group size and a remainder, k odd and even and 1, widths with
    /// a partial first or second vector and a stride wider than n; every
    /// power count up to [`MAX_POWER`].
    pub(in crate::linalg) fn check_against_f64_sums(
        seed: u64,
        kernels: impl Fn(&Case) -> [Vec<Vec<f32>>; 2],
        reference: impl Fn(&Case, usize) -> Vec<f64>,
    ) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        for &(rows, k, n, stride) in &[
            (1, 5, 3, 3),
            (5, 1, 17, 20),
            (13, 37, 33, 40),
            (20, 70, 64, 64),
            (25, 63, 100, 103),
            (25, 64, 100, 103),
        ] {
            for powers in 1..=MAX_POWER {
                let xs = (0..powers)
                    .map(|_| (0..rows * k).map(|_| rng.random_range(-1.0..1.0)).collect())
                    .collect();
                let b = (0..k * stride)
                    .map(|_| rng.random_range(-1.5..1.5))
                    .collect();
                let case = Case {
                    rows,
                    k,
                    n,
                    stride,
                    powers,
                    xs,
                    b,
                };
                let [fast, portable] = kernels(&case);
                for p in 0..powers {
                    let exact = reference(&case, p);
                    let bound =
                        4.0 * k as f64 * f64::from(f32::EPSILON) * 1.5f64.powi(p as i32 + 1);
                    for (e, (&fast, &slow)) in exact.iter().zip(fast[p].iter().zip(&portable[p])) {
                        assert!(
                            (f64::from(fast) - e).abs() <= bound
                                && (f64::from(slow) - e).abs() <= bound,
                            "rows {rows} k {k} n {n} power {}: {fast} / {slow} against {e}",
                            p + 1
                        );
                    }
                }
            }
        }
    }

    /// Σ_i X[r, i] B[i, j]^p in f64.
    fn reference(case: &Case, p: usize) -> Vec<f64> {
        let (rows, k, n, stride) = (case.rows, case.k, case.n, case.stride);
        let (x, b) = (&case.xs[p], &case.b);
        let mut y = vec![0.0f64; rows * n];
        for r in 0..rows {
            for i in 0..k {
                for j in 0..n {
                    y[r * n + j] +=
                        f64::from(x[r * k + i]) * f64::from(b[i * stride + j]).powi(p as i32 + 1);
                }
            }
        }
        y
    }

    #[test]
    fn powers_match_f64_sums_for_every_group_and_edge() {
        check_against_f64_sums(
            17,
            |case| {
                let (mut fast, mut portable) = (case.outputs(), case.outputs());
                let x_refs = case.x_refs();
                let (rows, k, n, stride) = (case.rows, case.k, case.n, case.stride);
                let b = &case.b;
                rows_times_powers(&x_refs, rows, k, b, stride, n, &mut refs_mut(&mut fast));
                rows_times_powers_portable(
                    &x_refs,
                    rows,
                    k,
                    b,
                    stride,
                    n,
                    &mut refs_mut(&mut portable),
                );
                [fast, portable]
            },
            reference,
        );
    }

    #[test]
    fn empty_sums_are_zero() {
        let x: [f32; 0] = [];
        let mut y = vec![f32::NAN; 6];
        rows_times_powers(&[&x], 2, 0, &[], 3, 3, &mut [&mut y]);
        assert!(y.iter().all(|&v| v == 0.0));
    }
}
