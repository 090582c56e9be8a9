//! Single-precision matrix product C ← αAB (+ C), hand-blocked for AVX-512.
//!
//! The layout of Goto & van de Geijn: B is packed into panels of
//! [`NR`] columns for a depth block of [`KC`], A into panels of [`MR`] rows,
//! and a 12×32 register-blocked micro-kernel (24 zmm accumulators, one
//! broadcast of A and two loads of B per step) does all arithmetic. Work is
//! split across threads by rows of C or by columns of C (whichever is
//! larger), each thread computing whole elements in a fixed order, so the
//! result is bit-for-bit the same for any number of threads.
//!
//! Used where the processor has AVX-512; elsewhere `gemm` falls back to
//! matrixmultiply.
//!
//! # References
//! - K. Goto and R. A. van de Geijn, "Anatomy of high-performance matrix
//!   multiplication", ACM TOMS 34, 12 (2008).
//! - F. G. Van Zee and R. A. van de Geijn, "BLIS: a framework for rapidly
//!   instantiating BLAS functionality", ACM TOMS 41, 14 (2015).

use super::disjoint::DisjointMut;
use super::Finish;
use rayon::prelude::*;
use std::cell::RefCell;

/// Rows of the micro-kernel's tile.
pub const MR: usize = 12;
/// Columns of the micro-kernel's tile (two 16-lane vectors).
pub const NR: usize = 32;
/// Depth of a packed block.
pub const KC: usize = 256;
/// Rows of A packed at once.
pub const MC: usize = 120;

/// A strided read-only matrix: element (i, j) at `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a> {
    pub data: &'a [f32],
    pub row_stride: usize,
    pub col_stride: usize,
}

impl Strided<'_> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

thread_local! {
    static BUFFERS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Resizes a packing buffer without clearing what will be overwritten.
fn reserve(out: &mut Vec<f32>, len: usize) {
    if out.len() < len {
        out.resize(len, 0.0);
    }
}

/// Packs rows `rows` × depth `depth` of A (starting at (i0, p0)) into
/// panels of MR rows: for each panel, for each p, MR values (zero-padded).
fn pack_a(a: Strided<'_>, i0: usize, rows: usize, p0: usize, depth: usize, out: &mut Vec<f32>) {
    let panels = rows.div_ceil(MR);
    reserve(out, panels * MR * depth);
    for panel in 0..panels {
        let dst = &mut out[panel * MR * depth..(panel + 1) * MR * depth];
        let r_end = (rows - panel * MR).min(MR);
        let first = i0 + panel * MR;
        if r_end < MR {
            dst.iter_mut().for_each(|x| *x = 0.0);
        }
        if a.col_stride == 1 {
            // dst[p·MR + r] = A[first + r, p0 + p]: a strided transpose.
            let src = &a.data[first * a.row_stride + p0..];
            super::transpose_strided(src, a.row_stride, r_end, depth, dst, MR);
        } else if a.row_stride == 1 {
            // Transposed storage: the MR values of one p are contiguous.
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                let src = &a.data[(p0 + p) * a.col_stride + first..];
                if r_end == MR {
                    let d: &mut [f32; MR] = d.try_into().expect("MR values");
                    let s: &[f32; MR] = src[..MR].try_into().expect("MR values");
                    *d = *s;
                } else {
                    d[..r_end].copy_from_slice(&src[..r_end]);
                }
            }
        } else {
            for p in 0..depth {
                for r in 0..r_end {
                    dst[p * MR + r] = a.at(first + r, p0 + p);
                }
            }
        }
    }
}

/// Packs depth `depth` × columns `cols` of B (starting at (p0, j0)) into
/// panels of NR columns: for each panel, for each p, NR values (zero-padded).
fn pack_b(b: Strided<'_>, p0: usize, depth: usize, j0: usize, cols: usize, out: &mut Vec<f32>) {
    let panels = cols.div_ceil(NR);
    reserve(out, panels * NR * depth);
    for panel in 0..panels {
        let dst = &mut out[panel * NR * depth..(panel + 1) * NR * depth];
        let c_end = (cols - panel * NR).min(NR);
        let first = j0 + panel * NR;
        if b.col_stride == 1 {
            for (p, d) in dst.chunks_exact_mut(NR).enumerate() {
                let src = &b.data[(p0 + p) * b.row_stride + first..];
                if c_end == NR {
                    // A fixed-length copy the compiler turns into two vector moves.
                    let d: &mut [f32; NR] = d.try_into().expect("NR values");
                    let s: &[f32; NR] = src[..NR].try_into().expect("NR values");
                    *d = *s;
                } else {
                    d[..c_end].copy_from_slice(&src[..c_end]);
                    d[c_end..].iter_mut().for_each(|x| *x = 0.0);
                }
            }
        } else {
            if c_end < NR {
                dst.iter_mut().for_each(|x| *x = 0.0);
            }
            if b.row_stride == 1 {
                // Transposed storage: dst[p·NR + c] = data[(first + c)·cs + p0 + p].
                let src = &b.data[first * b.col_stride + p0..];
                super::transpose_strided(src, b.col_stride, c_end, depth, dst, NR);
            } else {
                for c in 0..c_end {
                    for p in 0..depth {
                        dst[p * NR + c] = b.at(p0 + p, first + c);
                    }
                }
            }
        }
    }
}

/// The MR×NR micro-kernel: C[0..rows, 0..cols] (row stride `ldc`) ←
/// α·Apanel·Bpanel (+ C if `add`).
///
/// # Safety
/// The processor must support AVX-512F; `a` holds `depth·MR` and `b`
/// `depth·NR` values; `c` is valid for `rows` rows of `cols` values at
/// stride `ldc`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(
    depth: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    alpha: f32,
    add: bool,
    rows: usize,
    cols: usize,
) {
    use std::arch::x86_64::*;
    const V: usize = NR / 16;
    let mut acc = [[_mm512_setzero_ps(); V]; MR];
    let mut a = a;
    let mut b = b;
    for _ in 0..depth {
        let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(b.add(16 * v)));
        for (r, row) in acc.iter_mut().enumerate() {
            let ar = _mm512_set1_ps(*a.add(r));
            for v in 0..V {
                row[v] = _mm512_fmadd_ps(ar, bv[v], row[v]);
            }
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    let alpha_v = _mm512_set1_ps(alpha);
    let masks: [__mmask16; V] = std::array::from_fn(|v| {
        let left = cols.saturating_sub(16 * v).min(16);
        if left == 16 {
            0xFFFF
        } else {
            ((1u32 << left) - 1) as u16
        }
    });
    for (r, row) in acc.iter().enumerate().take(rows) {
        let dst = c.add(r * ldc);
        for v in 0..V {
            let mut x = _mm512_mul_ps(row[v], alpha_v);
            if add {
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], dst.add(16 * v)));
            }
            _mm512_mask_storeu_ps(dst.add(16 * v), masks[v], x);
        }
    }
}

/// Whether the hand-blocked kernel can run here.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// C (m × n, row r at `c[r·ldc ..]`) ← α·A·B, plus C if `accumulate`; A is
/// m × k, B is k × n, both strided; then `finish(r, j0, x)` on each finished
/// piece x = C[r, j0 .. j0 + x.len()] of a thread's share, while it is in
/// cache. Runs on the current rayon pool when `parallel`. Requires
/// [`available`].
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
    parallel: bool,
    finish: Option<Finish<'_>>,
) {
    assert!(available(), "sgemm needs AVX-512");
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        ldc >= n && c.len() >= (m - 1) * ldc + n,
        "sgemm: C is not {m} × {n} at stride {ldc}"
    );
    let parts = if parallel {
        rayon::current_num_threads().max(1)
    } else {
        1
    };
    let c_ptr = DisjointMut::new(c);
    // Rows i0.. i0 + rows, columns j0..j1 of C, then their epilogue.
    let share = |i0: usize, rows: usize, j0: usize, j1: usize| {
        // SAFETY: shares cover disjoint rows or disjoint column ranges of C,
        // which holds m rows of n values at stride ldc (checked above).
        unsafe {
            let first = c_ptr.get().add(i0 * ldc);
            if k == 0 {
                if !accumulate {
                    for r in 0..rows {
                        std::slice::from_raw_parts_mut(first.add(r * ldc + j0), j1 - j0).fill(0.0);
                    }
                }
            } else {
                block(
                    rows,
                    j1 - j0,
                    k,
                    alpha,
                    a,
                    b,
                    first,
                    ldc,
                    i0,
                    j0,
                    accumulate,
                );
            }
            if let Some(finish) = finish {
                for r in 0..rows {
                    finish(
                        i0 + r,
                        j0,
                        std::slice::from_raw_parts_mut(first.add(r * ldc + j0), j1 - j0),
                    );
                }
            }
        }
    };
    if parts == 1 {
        share(0, m, 0, n);
    } else if m >= n {
        // Split rows of C in multiples of MR.
        let rows_per = m.div_ceil(parts).div_ceil(MR) * MR;
        (0..m.div_ceil(rows_per)).into_par_iter().for_each(|t| {
            let i0 = t * rows_per;
            share(i0, (m - i0).min(rows_per), 0, n);
        });
    } else {
        // Split columns of C in multiples of NR; each part writes its own
        // columns of every row.
        let cols_per = n.div_ceil(parts).div_ceil(NR) * NR;
        (0..n.div_ceil(cols_per)).into_par_iter().for_each(|t| {
            let j0 = t * cols_per;
            share(0, m, j0, (j0 + cols_per).min(n));
        });
    }
}

/// One thread's share: rows [i0, i0 + m) of A and C, columns [j0, j0 + n)
/// of B and C; `c` points at C's row i0, column 0, with row stride `ldc`.
///
/// # Safety
/// The processor supports AVX-512F; rows i0.. i0 + m of C hold columns
/// j0.. j0 + n at `c`, and no other thread touches them.
#[allow(clippy::too_many_arguments)]
unsafe fn block(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    c: *mut f32,
    ldc: usize,
    i0: usize,
    j0: usize,
    accumulate: bool,
) {
    BUFFERS.with(|buffers| {
        let (packed_a, packed_b) = &mut *buffers.borrow_mut();
        for p0 in (0..k).step_by(KC) {
            let depth = KC.min(k - p0);
            pack_b(b, p0, depth, j0, n, packed_b);
            let add = accumulate || p0 > 0;
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack_a(a, i0 + ic, mc, p0, depth, packed_a);
                let b_len = n.div_ceil(NR) * NR * depth;
                let a_len = mc.div_ceil(MR) * MR * depth;
                for (jp, bpanel) in packed_b[..b_len].chunks_exact(NR * depth).enumerate() {
                    let cols = NR.min(n - jp * NR);
                    for (ip, apanel) in packed_a[..a_len].chunks_exact(MR * depth).enumerate() {
                        let rows = MR.min(mc - ip * MR);
                        let offset = (ic + ip * MR) * ldc + j0 + jp * NR;
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: AVX-512 checked by `sgemm`; the tile lies
                        // inside this share of C (the caller's contract).
                        unsafe {
                            kernel(
                                depth,
                                apanel.as_ptr(),
                                bpanel.as_ptr(),
                                c.add(offset),
                                ldc,
                                alpha,
                                add,
                                rows,
                                cols,
                            );
                        }
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rayon pool of `threads` threads.
    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    fn naive(m: usize, n: usize, k: usize, a: Strided<'_>, b: Strided<'_>) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum();
            }
        }
        c
    }

    #[test]
    fn matches_naive_for_odd_shapes_layouts_and_threads() {
        if !available() {
            return;
        }
        for &(m, n, k) in &[
            (1, 1, 1),
            (13, 33, 7),
            (12, 32, 256),
            (25, 70, 300),
            (100, 37, 513),
            (40, 200, 20),
        ] {
            let a_data: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1)
                .collect();
            let b_data: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1)
                .collect();
            for (a, b) in [
                (
                    Strided {
                        data: &a_data,
                        row_stride: k,
                        col_stride: 1,
                    },
                    Strided {
                        data: &b_data,
                        row_stride: n,
                        col_stride: 1,
                    },
                ),
                (
                    Strided {
                        data: &a_data,
                        row_stride: 1,
                        col_stride: m,
                    },
                    Strided {
                        data: &b_data,
                        row_stride: 1,
                        col_stride: k,
                    },
                ),
            ] {
                let exact = naive(m, n, k, a, b);
                for threads in [1, 2, 3] {
                    let pool = pool(threads);
                    let mut c = vec![1.0f32; m * n];
                    pool.install(|| sgemm(m, n, k, 0.5, a, b, &mut c, n, true, true, None));
                    for (x, e) in c.iter().zip(&exact) {
                        assert!(
                            (*x as f64 - (1.0 + 0.5 * e)).abs() < 1e-4 * (1.0 + e.abs()),
                            "{m}x{n}x{k}"
                        );
                    }
                    let mut d = vec![7.0f32; m * n];
                    pool.install(|| sgemm(m, n, k, 1.0, a, b, &mut d, n, false, threads > 1, None));
                    for (x, e) in d.iter().zip(&exact) {
                        assert!((*x as f64 - e).abs() < 1e-4 * (1.0 + e.abs()));
                    }
                }
            }
        }
    }

    /// The epilogue sees every element exactly once, after its product,
    /// whichever way the work is split (by rows when m ≥ n, by columns
    /// otherwise).
    #[test]
    fn finish_sees_every_finished_element_once() {
        if !available() {
            return;
        }
        for &(m, n, k) in &[(70, 30, 40), (30, 70, 40), (5, 3, 0)] {
            let a_data: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b_data: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 - 2.0).collect();
            let a = Strided {
                data: &a_data,
                row_stride: k,
                col_stride: 1,
            };
            let b = Strided {
                data: &b_data,
                row_stride: n,
                col_stride: 1,
            };
            let exact = naive(m, n, k, a, b);
            for threads in [1, 2, 3] {
                let pool = pool(threads);
                let seen = std::sync::Mutex::new(vec![0u32; m * n]);
                let finish = |r: usize, j0: usize, x: &mut [f32]| {
                    let mut seen = seen.lock().unwrap();
                    for (j, v) in x.iter_mut().enumerate() {
                        seen[r * n + j0 + j] += 1;
                        *v = 2.0 * *v + 1.0;
                    }
                };
                let mut c = vec![5.0f32; m * n];
                pool.install(|| {
                    sgemm(
                        m,
                        n,
                        k,
                        1.0,
                        a,
                        b,
                        &mut c,
                        n,
                        false,
                        threads > 1,
                        Some(&finish),
                    )
                });
                assert!(
                    seen.into_inner().unwrap().iter().all(|&s| s == 1),
                    "{m}×{n}×{k}"
                );
                for (x, e) in c.iter().zip(&exact) {
                    assert_eq!(*x as f64, 2.0 * e + 1.0, "{m}×{n}×{k}");
                }
            }
        }
    }
}
