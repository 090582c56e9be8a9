//! The matrix products: f32 through the AVX-512 kernel ([`super::sgemm`])
//! where the processor has it, else matrixmultiply; f64 through
//! matrixmultiply. All matrices are row-major slices; products below
//! [`PARALLEL_MULTIPLY_ADDS`] run on the calling thread.

use super::sgemm;
use rayon::prelude::*;

/// Products with at least this many multiply-adds use the rayon pool.
pub const PARALLEL_MULTIPLY_ADDS: usize = 4_000_000;

/// An epilogue of a product: called with (row, first column, finished
/// values) for each finished piece of a row of the result, while it is
/// still in cache (e.g. to add a bias and apply σ).
pub type Finish<'a> = &'a (dyn Fn(usize, usize, &mut [f32]) + Sync);

/// A row-major matrix operand, possibly used transposed.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a, T = f32> {
    pub data: &'a [T],
    /// Rows and columns as stored.
    pub rows: usize,
    pub cols: usize,
    /// Distance between the starts of stored rows (≥ cols).
    pub stride: usize,
    /// Use the transpose of the stored matrix.
    pub transposed: bool,
}

impl<'a, T> Operand<'a, T> {
    /// The stored `rows × cols` matrix.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        debug_assert_eq!(data.len(), rows * cols);
        Self::with_stride(data, rows, cols, cols)
    }

    /// The stored `rows × cols` matrix whose row r starts at `data[r·stride]`.
    pub fn with_stride(data: &'a [T], rows: usize, cols: usize, stride: usize) -> Self {
        assert!(
            stride >= cols && (rows == 0 || data.len() >= (rows - 1) * stride + cols),
            "operand: {} values do not hold {rows} × {cols} at stride {stride}",
            data.len()
        );
        Operand {
            data,
            rows,
            cols,
            stride,
            transposed: false,
        }
    }

    /// Its transpose.
    pub fn t(self) -> Self {
        Operand {
            transposed: !self.transposed,
            ..self
        }
    }

    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// (row, column) distances between elements of the matrix used.
    fn element_strides(&self) -> (usize, usize) {
        if self.transposed {
            (1, self.stride)
        } else {
            (self.stride, 1)
        }
    }
}

impl<'a> Operand<'a, f32> {
    fn as_strided(&self) -> sgemm::Strided<'a> {
        let (row_stride, col_stride) = self.element_strides();
        sgemm::Strided {
            data: self.data,
            row_stride,
            col_stride,
        }
    }
}

/// dst = alpha · a · b (`accumulate` false) or dst += alpha · a · b, with
/// dst row-major `m × n`. Panics on inconsistent shapes (a programming
/// error: callers check user data first).
pub fn gemm(dst: &mut [f32], a: Operand<'_>, b: Operand<'_>, alpha: f32, accumulate: bool) {
    let (m, _) = a.shape();
    let (_, n) = b.shape();
    assert_eq!(dst.len(), m * n, "gemm: destination is not {m} × {n}");
    gemm_with_stride(dst, n, a, b, alpha, accumulate);
}

/// Checks a product's shapes; returns (m, k, n).
fn product_shape<T>(
    dst_len: usize,
    dst_stride: usize,
    a: &Operand<'_, T>,
    b: &Operand<'_, T>,
) -> (usize, usize, usize) {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    assert_eq!(k, k2, "gemm: inner dimensions {k} and {k2} differ");
    assert!(
        dst_stride >= n && (m == 0 || dst_len >= (m - 1) * dst_stride + n),
        "gemm: destination is not {m} × {n} at stride {dst_stride}"
    );
    (m, k, n)
}

/// [`gemm`] into a destination whose row r starts at `dst[r·dst_stride]`
/// (the padding between rows is left alone).
pub fn gemm_with_stride(
    dst: &mut [f32],
    dst_stride: usize,
    a: Operand<'_>,
    b: Operand<'_>,
    alpha: f32,
    accumulate: bool,
) {
    gemm_then(dst, dst_stride, a, b, alpha, accumulate, None);
}

/// [`gemm_with_stride`], then `finish` on every piece of every row of the
/// result, each exactly once (with the AVX-512 kernel, by the thread that
/// computed the piece, while it is in cache).
pub fn gemm_then(
    dst: &mut [f32],
    dst_stride: usize,
    a: Operand<'_>,
    b: Operand<'_>,
    alpha: f32,
    accumulate: bool,
    finish: Option<Finish<'_>>,
) {
    let (m, k, n) = product_shape(dst.len(), dst_stride, &a, &b);
    if m == 0 || n == 0 {
        return;
    }
    let parallel = m * n * k >= PARALLEL_MULTIPLY_ADDS && rayon::current_num_threads() > 1;
    gemm_on(
        GemmPath::for_this_processor(),
        dst,
        dst_stride,
        a,
        b,
        alpha,
        accumulate,
        parallel,
        finish,
    );
}

/// The f32 product paths [`gemm_then`] chooses between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GemmPath {
    /// The hand-blocked AVX-512 kernel, [`sgemm::sgemm`].
    Avx512,
    /// matrixmultiply ([`gemm_portable`]), then the epilogue row by row.
    Matrixmultiply,
}

impl GemmPath {
    /// The path [`gemm_then`] takes on the running processor.
    pub(crate) fn for_this_processor() -> Self {
        if sgemm::available() {
            GemmPath::Avx512
        } else {
            GemmPath::Matrixmultiply
        }
    }

    /// Every path the running processor can take (for tests).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Self> {
        [GemmPath::Avx512, GemmPath::Matrixmultiply]
            .into_iter()
            .filter(|&p| p != GemmPath::Avx512 || sgemm::available())
            .collect()
    }
}

/// [`gemm_then`] through the given path, shapes already checked by
/// [`product_shape`] and m, n > 0; the products run on the rayon pool when
/// `parallel`. Panics if the processor cannot take `path`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_on(
    path: GemmPath,
    dst: &mut [f32],
    dst_stride: usize,
    a: Operand<'_>,
    b: Operand<'_>,
    alpha: f32,
    accumulate: bool,
    parallel: bool,
    finish: Option<Finish<'_>>,
) {
    let (m, k) = a.shape();
    let n = b.shape().1;
    match path {
        GemmPath::Avx512 => sgemm::sgemm(
            m,
            n,
            k,
            alpha,
            a.as_strided(),
            b.as_strided(),
            dst,
            dst_stride,
            accumulate,
            parallel,
            finish,
        ),
        GemmPath::Matrixmultiply => {
            gemm_portable(dst, dst_stride, a, b, alpha, accumulate, parallel);
            if let Some(finish) = finish {
                for (r, row) in dst.chunks_mut(dst_stride).take(m).enumerate() {
                    finish(r, 0, &mut row[..n]);
                }
            }
        }
    }
}

/// The f64 product dst = alpha · a · b (or dst += …), dst row-major `m × n`
/// (exact free energies and partition functions work in f64).
pub fn gemm_f64(
    dst: &mut [f64],
    a: Operand<'_, f64>,
    b: Operand<'_, f64>,
    alpha: f64,
    accumulate: bool,
) {
    let (m, _) = a.shape();
    let (_, n) = b.shape();
    assert_eq!(dst.len(), m * n, "gemm: destination is not {m} × {n}");
    let (m, k, n) = product_shape(dst.len(), n, &a, &b);
    if m == 0 || n == 0 {
        return;
    }
    let parallel = m * n * k >= PARALLEL_MULTIPLY_ADDS && rayon::current_num_threads() > 1;
    gemm_portable(dst, n, a, b, alpha, accumulate, parallel);
}

/// Element types of [`gemm_portable`]: matrixmultiply's kernels.
trait Portable: Copy + Send + Sync {
    const ZERO: Self;
    const ONE: Self;
    /// C ← α A B + β C with element strides as matrixmultiply takes them.
    ///
    /// # Safety
    /// As for `matrixmultiply::sgemm`: `a` is valid for reads of the
    /// m × k elements at row/column strides (rsa, csa), `b` of the k × n at
    /// (rsb, csb), `c` for reads and writes of the m × n at (rsc, csc); `c`
    /// overlaps neither `a` nor `b`, and no other thread touches those
    /// elements of `c` meanwhile.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

/// `impl Portable for $t` through `matrixmultiply::$gemm`.
macro_rules! portable {
    ($t:ty, $gemm:ident) => {
        impl Portable for $t {
            const ZERO: $t = 0.0;
            const ONE: $t = 1.0;
            #[doc = concat!("`matrixmultiply::", stringify!($gemm), "`.")]
            ///
            /// # Safety
            /// As for [`Portable::gemm`]: every element addressed through the
            /// pointers and strides exists, and `c` is not read by others while
            /// it is written.
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: $t,
                a: *const $t,
                rsa: isize,
                csa: isize,
                b: *const $t,
                rsb: isize,
                csb: isize,
                beta: $t,
                c: *mut $t,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: the caller's contract.
                unsafe {
                    matrixmultiply::$gemm(
                        m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc,
                    )
                }
            }
        }
    };
}

portable!(f32, sgemm);
portable!(f64, dgemm);

/// The product through matrixmultiply (f64, and f32 on processors without
/// AVX-512), shapes already checked by [`product_shape`]. Parallel over
/// blocks of rows of dst on the rayon pool; each element is computed the
/// same way whatever the split, so results do not depend on the thread
/// count.
fn gemm_portable<T: Portable>(
    dst: &mut [T],
    dst_stride: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    alpha: T,
    accumulate: bool,
    parallel: bool,
) {
    let (m, k) = a.shape();
    let n = b.shape().1;
    let (rsa, csa) = a.element_strides();
    let (rsb, csb) = b.element_strides();
    let beta = if accumulate { T::ONE } else { T::ZERO };
    let parts = if parallel {
        rayon::current_num_threads().clamp(1, m)
    } else {
        1
    };
    let rows_per = m.div_ceil(parts);
    let dst = &mut dst[..(m - 1) * dst_stride + n];
    let block = |(t, c): (usize, &mut [T])| {
        let i0 = t * rows_per;
        let rows = (m - i0).min(rows_per);
        // SAFETY: a holds m × k elements at (rsa, csa) (checked when it was
        // made), so rows i0.. i0 + rows exist; b holds k × n; c holds `rows`
        // rows of n values at stride dst_stride. With β = 0 matrixmultiply
        // does not read c.
        unsafe {
            T::gemm(
                rows,
                k,
                n,
                alpha,
                a.data.as_ptr().add(i0 * rsa),
                rsa as isize,
                csa as isize,
                b.data.as_ptr(),
                rsb as isize,
                csb as isize,
                beta,
                c.as_mut_ptr(),
                dst_stride as isize,
                1,
            )
        }
    };
    if parts > 1 {
        dst.par_chunks_mut(rows_per * dst_stride)
            .enumerate()
            .for_each(block);
    } else {
        block((0, dst));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_naive_in_every_transpose() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let naive = |i: usize, j: usize| (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum::<f32>();
        let mut c = vec![1.0f32; m * n];
        gemm(
            &mut c,
            Operand::new(&a, m, k),
            Operand::new(&b, k, n),
            2.0,
            true,
        );
        for i in 0..m {
            for j in 0..n {
                assert!((c[i * n + j] - (1.0 + 2.0 * naive(i, j))).abs() < 1e-5);
            }
        }
        // (bᵀ aᵀ) = (a b)ᵀ
        let mut ct = vec![0.0f32; n * m];
        gemm(
            &mut ct,
            Operand::new(&b, k, n).t(),
            Operand::new(&a, m, k).t(),
            1.0,
            false,
        );
        for i in 0..m {
            for j in 0..n {
                assert!((ct[j * m + i] - naive(i, j)).abs() < 1e-5);
            }
        }
    }

    /// Runs `test` on every f32 product path this processor can take,
    /// naming each in the output (`--nocapture` shows it).
    fn on_every_path(test: &str, mut run: impl FnMut(GemmPath)) {
        for path in GemmPath::available() {
            eprintln!("{test}: f32 path {path:?}");
            run(path);
        }
    }

    /// A deterministic `rows × stride` matrix of values in [−1, 1].
    fn matrix(rows: usize, stride: usize, seed: f32) -> Vec<f32> {
        (0..rows * stride)
            .map(|i| (i as f32 * 0.37 + seed).sin())
            .collect()
    }

    #[test]
    fn strided_operands_and_destination_on_every_path() {
        // A (m × k) stored at row stride k + 3, B (k × n) stored transposed
        // (n × k) at stride k + 5, C at stride n + 2 whose padding must stay.
        let (m, k, n) = (9, 300, 40);
        let (sa, sb, sc) = (k + 3, k + 5, n + 2);
        let a: Vec<f32> = (0..m * sa).map(|i| (i as f32 * 0.37).sin()).collect();
        let bt: Vec<f32> = (0..n * sb).map(|i| (i as f32 * 0.11).cos()).collect();
        let naive = |i: usize, j: usize| {
            (0..k)
                .map(|l| a[i * sa + l] as f64 * bt[j * sb + l] as f64)
                .sum::<f64>()
        };
        on_every_path("strided", |path| {
            for parallel in [false, true] {
                let mut c = vec![-7.0f32; m * sc];
                let a_op = Operand::with_stride(&a, m, k, sa);
                let b_op = Operand::with_stride(&bt, n, k, sb).t();
                gemm_on(path, &mut c, sc, a_op, b_op, 2.0, false, parallel, None);
                for i in 0..m {
                    for j in 0..n {
                        let exact = 2.0 * naive(i, j);
                        assert!(
                            (c[i * sc + j] as f64 - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                            "{path:?} parallel {parallel} ({i},{j})"
                        );
                    }
                    assert_eq!(&c[i * sc + n..(i + 1) * sc], &[-7.0, -7.0]);
                }
            }
        });
        // The dispatching entry point takes one of them.
        let mut c = vec![-7.0f32; m * sc];
        let b_op = Operand::with_stride(&bt, n, k, sb).t();
        gemm_with_stride(
            &mut c,
            sc,
            Operand::with_stride(&a, m, k, sa),
            b_op,
            2.0,
            false,
        );
        for i in 0..m {
            for j in 0..n {
                let exact = 2.0 * naive(i, j);
                assert!((c[i * sc + j] as f64 - exact).abs() < 1e-4 * (1.0 + exact.abs()));
            }
        }
    }

    /// Every path, every transpose, serial and parallel, overwriting and
    /// accumulating, with padded operands and a padded destination (as the
    /// trainer's aligned rows have) and an epilogue: each element equals
    /// the f64 product, the epilogue sees it exactly once, and the padding
    /// is untouched.
    #[test]
    fn every_path_matches_f64_with_padded_destination_and_epilogue() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let shapes: [(usize, usize, usize); 6] = [
            (1, 1, 1),
            (13, 7, 1),
            (9, 64, 40),
            (12, 300, 33),
            (37, 70, 100),
            (5, 513, 31),
        ];
        on_every_path("padded", |path| {
            for &(m, k, n) in &shapes {
                for (ta, tb, parallel, accumulate) in
                    (0..16).map(|bits| (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0))
                {
                    // Stored shapes (transposed operands are stored k × m, n × k).
                    let (ra, ca) = if ta { (k, m) } else { (m, k) };
                    let (rb, cb) = if tb { (n, k) } else { (k, n) };
                    let (sa, sb, sc) = (ca + 3, cb + 5, n.next_multiple_of(16) + 16);
                    let a = matrix(ra, sa, 0.1);
                    let b = matrix(rb, sb, 0.7);
                    let a_at = |i: usize, l: usize| {
                        (if ta { a[l * sa + i] } else { a[i * sa + l] }) as f64
                    };
                    let b_at = |l: usize, j: usize| {
                        (if tb { b[j * sb + l] } else { b[l * sb + j] }) as f64
                    };
                    let mut a_op = Operand::with_stride(&a, ra, ca, sa);
                    let mut b_op = Operand::with_stride(&b, rb, cb, sb);
                    if ta {
                        a_op = a_op.t();
                    }
                    if tb {
                        b_op = b_op.t();
                    }
                    let start = |i: usize, j: usize| (i * 7 + j) as f32 * 0.01 - 0.3;
                    let mut c = vec![-7.0f32; m * sc];
                    for i in 0..m {
                        for j in 0..n {
                            c[i * sc + j] = start(i, j);
                        }
                    }
                    let seen: Vec<AtomicU32> = (0..m * n).map(|_| AtomicU32::new(0)).collect();
                    let finish = |r: usize, j0: usize, x: &mut [f32]| {
                        for (j, v) in x.iter_mut().enumerate() {
                            seen[r * n + j0 + j].fetch_add(1, Ordering::Relaxed);
                            *v += 0.5;
                        }
                    };
                    gemm_on(
                        path,
                        &mut c,
                        sc,
                        a_op,
                        b_op,
                        -1.5,
                        accumulate,
                        parallel,
                        Some(&finish),
                    );
                    let case = format!(
                        "{path:?} {m}×{k}×{n} ta {ta} tb {tb} parallel {parallel} accumulate {accumulate}"
                    );
                    for i in 0..m {
                        for j in 0..n {
                            let product: f64 = (0..k).map(|l| a_at(i, l) * b_at(l, j)).sum();
                            let before = if accumulate { start(i, j) as f64 } else { 0.0 };
                            let exact = before - 1.5 * product + 0.5;
                            let got = c[i * sc + j] as f64;
                            assert!(
                                (got - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                                "{case} ({i},{j}): {got} vs {exact}"
                            );
                            assert_eq!(seen[i * n + j].load(Ordering::Relaxed), 1, "{case}");
                        }
                        assert!(
                            c[i * sc + n..(i + 1) * sc].iter().all(|&v| v == -7.0),
                            "{case}: padding of row {i} written"
                        );
                    }
                }
            }
        });
    }

    /// Every product path, on shapes that once made faer's kernels write
    /// past the destination: the values beyond dst must stay as they were.
    #[test]
    fn products_stay_inside_their_destination() {
        for &(m, k, n) in &[
            (9, 64, 40),
            (9, 300, 40),
            (12, 300, 33),
            (13, 7, 1),
            (1, 1, 1),
        ] {
            let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.11).cos()).collect();
            let exact =
                |i: usize, j: usize| (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum::<f64>();
            eprintln!("stay inside {m}×{k}×{n}: f64 path matrixmultiply");
            let mut c64 = vec![-3.0f64; m * n + 64];
            gemm_f64(
                &mut c64[..m * n],
                Operand::new(&a, m, k),
                Operand::new(&b, k, n),
                1.0,
                false,
            );
            assert!(c64[m * n..].iter().all(|&x| x == -3.0), "f64 {m}×{k}×{n}");
            for i in 0..m {
                for j in 0..n {
                    let e = exact(i, j);
                    assert!((c64[i * n + j] - e).abs() < 1e-12 * (1.0 + e.abs()));
                }
            }
            let (a32, b32): (Vec<f32>, Vec<f32>) = (
                a.iter().map(|&x| x as f32).collect(),
                b.iter().map(|&x| x as f32).collect(),
            );
            let mut dispatched = vec![-3.0f32; m * n + 64];
            gemm(
                &mut dispatched[..m * n],
                Operand::new(&a32, m, k),
                Operand::new(&b32, k, n),
                1.0,
                false,
            );
            let mut results = vec![dispatched];
            on_every_path("stay inside", |path| {
                let mut c = vec![-3.0f32; m * n + 64];
                gemm_on(
                    path,
                    &mut c[..m * n],
                    n,
                    Operand::new(&a32, m, k),
                    Operand::new(&b32, k, n),
                    1.0,
                    false,
                    false,
                    None,
                );
                results.push(c);
            });
            for c in &results {
                assert!(c[m * n..].iter().all(|&x| x == -3.0), "f32 {m}×{k}×{n}");
                for i in 0..m {
                    for j in 0..n {
                        let e = exact(i, j);
                        assert!((c[i * n + j] as f64 - e).abs() < 1e-4 * (1.0 + e.abs()));
                    }
                }
            }
        }
    }

    /// The f64 product (matrixmultiply, its only path) into a padded
    /// destination, serial and parallel, against a naive sum.
    #[test]
    fn f64_product_with_padded_destination() {
        let (m, k, n) = (11, 90, 23);
        let sc = n + 5;
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.11).cos()).collect();
        for (parallel, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
            eprintln!("f64 padded: path matrixmultiply, parallel {parallel}");
            let mut c = vec![-3.0f64; m * sc];
            for i in 0..m {
                c[i * sc..i * sc + n].fill(0.25);
            }
            let (a_op, b_op) = (Operand::new(&a, m, k), Operand::new(&b, k, n));
            gemm_portable(&mut c, sc, a_op, b_op, 2.0, accumulate, parallel);
            for i in 0..m {
                for j in 0..n {
                    let product: f64 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
                    let exact = if accumulate { 0.25 } else { 0.0 } + 2.0 * product;
                    assert!((c[i * sc + j] - exact).abs() < 1e-12 * (1.0 + exact.abs()));
                }
                assert!(c[i * sc + n..(i + 1) * sc].iter().all(|&v| v == -3.0));
            }
        }
    }
}
