//! Numerical kernels: f32 matrix products (a hand-blocked AVX-512 kernel,
//! [`sgemm`], or matrixmultiply on other processors), f64 products
//! (matrixmultiply), and vectorised element-wise functions (sigmoid, tanh,
//! Bernoulli draws) with run-time dispatch to AVX-512 or AVX2 where the
//! processor has them.
//!
//! All matrices are row-major slices. Products below
//! [`PARALLEL_MULTIPLY_ADDS`] run on the calling thread: splitting them
//! costs more than it saves (DESIGN.md, "Performance model").
//!
//! faer 0.24 was the first choice for the products it does not hand-write;
//! its x86 kernels (private-gemm-x86 0.1.22) write past the end of the
//! destination for some shapes (e.g. 9 × 64 times 64 × 40, in f32 and f64,
//! found by valgrind), so vrg uses matrixmultiply there instead.

pub mod aligned;
pub mod sgemm;
pub mod sparse;

use crate::rng::Rng;
use rand::RngCore;
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
    if sgemm::available() {
        sgemm::sgemm(
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
        );
        return;
    }
    gemm_portable(dst, dst_stride, a, b, alpha, accumulate, parallel);
    if let Some(finish) = finish {
        for (r, row) in dst.chunks_mut(dst_stride).take(m).enumerate() {
            finish(r, 0, &mut row[..n]);
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
    /// As for `matrixmultiply::sgemm`: every element addressed exists.
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

impl Portable for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller's contract.
        unsafe {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

impl Portable for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller's contract.
        unsafe {
            matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

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

/// e^x for f32, Cody–Waite range reduction and a degree-6 polynomial
/// (relative error below 2·10⁻⁷ on [−87, 88]; inputs are clamped there).
/// Written branch-free so that loops over it vectorise.
///
/// # References
/// - W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*
///   (1980); the Cephes `expf` coefficients (S. L. Moshier, 1984).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2E + MAGIC;
    let n = shifted - MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let exponent = (shifted.to_bits() as i32 - MAGIC.to_bits() as i32 + 127) << 23;
    p * f32::from_bits(exponent as u32)
}

/// σ(x) = 1 / (1 + e^{−x}).
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// tanh(x) = 2σ(2x) − 1.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    2.0 * sigmoid_f32(2.0 * x) - 1.0
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Isa {
    Avx512,
    Avx2,
    Generic,
}

fn isa() -> Isa {
    use std::sync::OnceLock;
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
            {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Generic
    })
}

/// Defines a public element-wise function with AVX-512, AVX2 and generic
/// versions of the same body, chosen at run time.
macro_rules! multiversion {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) $body:block) => {
        multiversion! { $(#[$doc])* pub fn $name($($arg: $ty),*) -> () $body }
    };
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
            unsafe fn avx512($($arg: $ty),*) -> $ret { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) -> $ret { body($($arg),*) }
            match isa() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the processor supports the enabled features (checked in `isa`).
                Isa::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

multiversion! {
    /// x ← σ(x + bias) for each row of `x` (row-major, `bias.len()` columns).
    pub fn sigmoid_rows(x: &mut [f32], bias: &[f32]) {
        for row in x.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = sigmoid_f32(*v + b);
            }
        }
    }
}

multiversion! {
    /// x ← tanh(x + bias) for each row of `x`.
    pub fn tanh_rows(x: &mut [f32], bias: &[f32]) {
        for row in x.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = tanh_f32(*v + b);
            }
        }
    }
}

multiversion! {
    /// x ← x + bias for each row of `x`.
    pub fn add_bias_rows(x: &mut [f32], bias: &[f32]) {
        for row in x.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
    }
}

multiversion! {
    /// out_i = 1 if u_i < p_i else 0, with u_i = (bits_i >> 8) · 2⁻²⁴ from
    /// the 32-bit random words `bits`.
    pub fn bernoulli_from_bits(p: &[f32], bits: &[u32], out: &mut [f32]) {
        for ((o, &p), &b) in out.iter_mut().zip(p).zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *o = if u < p { 1.0 } else { 0.0 };
        }
    }
}

multiversion! {
    /// out_i = +1 with probability (1 + m_i)/2, else −1 (spin units with
    /// mean m_i), from the random words `bits`.
    pub fn spin_from_bits(mean: &[f32], bits: &[u32], out: &mut [f32]) {
        for ((o, &m), &b) in out.iter_mut().zip(mean).zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *o = if u < 0.5 * (1.0 + m) { 1.0 } else { -1.0 };
        }
    }
}

/// ln(1 + y) for y ∈ [0, 1], f32, via ln z = 2 atanh((z−1)/(z+1)) with the
/// series to t¹³ (t ≤ 1/3, relative error below 10⁻⁷). Branch-free.
#[inline(always)]
pub fn ln_1p_unit_f32(y: f32) -> f32 {
    let t = y / (2.0 + y);
    let t2 = t * t;
    let series = 1.0 / 13.0;
    let series = series * t2 + 1.0 / 11.0;
    let series = series * t2 + 1.0 / 9.0;
    let series = series * t2 + 1.0 / 7.0;
    let series = series * t2 + 1.0 / 5.0;
    let series = series * t2 + 1.0 / 3.0;
    let series = series * t2 + 1.0;
    2.0 * t * series
}

/// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}), f32.
#[inline(always)]
pub fn softplus_f32(x: f32) -> f32 {
    x.max(0.0) + ln_1p_unit_f32(exp_f32(-x.abs()))
}

/// ln(2 cosh x) = |x| + ln(1 + e^{−2|x|}), f32.
#[inline(always)]
pub fn ln_2cosh_f32(x: f32) -> f32 {
    x.abs() + ln_1p_unit_f32(exp_f32(-2.0 * x.abs()))
}

/// Σ_j [f(x_j + d·w_j) − f(x_j)] in f32 with 16 running sums, then added
/// in order; inlined into each [`multiversion!`] kernel that uses it.
#[inline(always)]
fn shift_sum_f32(x: &[f32], w: &[f32], d: f32, f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; 16];
    let mut xs = x.chunks_exact(16);
    let mut ws = w.chunks_exact(16);
    for (xc, wc) in (&mut xs).zip(&mut ws) {
        for l in 0..16 {
            lanes[l] += f(xc[l] + d * wc[l]) - f(xc[l]);
        }
    }
    let mut total: f32 = lanes.iter().sum();
    for (&xv, &wv) in xs.remainder().iter().zip(ws.remainder()) {
        total += f(xv + d * wv) - f(xv);
    }
    total
}

multiversion! {
    /// Σ_j [softplus(x_j + d·w_j) − softplus(x_j)]: the change of a
    /// Bernoulli hidden layer's log partition sum when one visible unit with
    /// weights `w` changes by `d`.
    pub fn softplus_shift_sum(x: &[f32], w: &[f32], d: f32) -> f32 {
        shift_sum_f32(x, w, d, softplus_f32)
    }
}

multiversion! {
    /// Σ_j [ln 2cosh(x_j + d·w_j) − ln 2cosh(x_j)], the spin-hidden analogue
    /// of [`softplus_shift_sum`].
    pub fn ln_2cosh_shift_sum(x: &[f32], w: &[f32], d: f32) -> f32 {
        shift_sum_f32(x, w, d, ln_2cosh_f32)
    }
}

multiversion! {
    /// x_i ← 1 if u_i < x_i else 0 (x holds probabilities), u_i from `bits`.
    pub fn bernoulli_in_place(x: &mut [f32], bits: &[u32]) {
        for (v, &b) in x.iter_mut().zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *v = if u < *v { 1.0 } else { 0.0 };
        }
    }
}

multiversion! {
    /// x_i ← +1 with probability (1 + x_i)/2 else −1 (x holds spin means).
    pub fn spin_in_place(x: &mut [f32], bits: &[u32]) {
        for (v, &b) in x.iter_mut().zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *v = if u < 0.5 * (1.0 + *v) { 1.0 } else { -1.0 };
        }
    }
}

/// Coefficients of one momentum step (see [`momentum_step`]).
#[derive(Clone, Copy, Debug)]
pub struct MomentumStep {
    /// μ
    pub momentum: f32,
    /// ε
    pub learning_rate: f32,
    /// λ₂
    pub l2: f32,
    /// λ₁
    pub l1: f32,
    /// α, the factor of the summed gradient (ε / B).
    pub alpha: f32,
}

multiversion! {
    /// The momentum step on a piece of a row i of W with its gradient G
    /// already summed: ΔW ← μΔW − ε(λ₂W + λ₁ sign W + s_j m_i) + α G, then
    /// W ← W + ΔW, element by element; the sparsity term s_j m_i is there
    /// when `sparsity` = Some((s, m_i)), s covering the piece's columns.
    pub fn momentum_step(velocity: &mut [f32], weights: &mut [f32], gradient: &[f32], step: MomentumStep, sparsity: Option<(&[f32], f32)>) {
        let MomentumStep { momentum, learning_rate, l2, l1, alpha } = step;
        let n = velocity.len();
        let (weights, gradient) = (&mut weights[..n], &gradient[..n]);
        let sign = |w: f32| if w > 0.0 { 1.0 } else if w < 0.0 { -1.0 } else { 0.0 };
        match sparsity {
            None => {
                for j in 0..n {
                    let w = weights[j];
                    let dw = momentum * velocity[j] - learning_rate * (l2 * w + l1 * sign(w)) + alpha * gradient[j];
                    velocity[j] = dw;
                    weights[j] = w + dw;
                }
            }
            Some((s, m)) => {
                let s = &s[..n];
                for j in 0..n {
                    let w = weights[j];
                    let dw = momentum * velocity[j] - learning_rate * (l2 * w + l1 * sign(w) + s[j] * m) + alpha * gradient[j];
                    velocity[j] = dw;
                    weights[j] = w + dw;
                }
            }
        }
    }
}

multiversion! {
    /// out_j += Σ_r x[r, j] for x row-major with `out.len()` columns, in f64.
    pub fn add_column_sums(x: &[f32], out: &mut [f64]) {
        for row in x.chunks_exact(out.len()) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v as f64;
            }
        }
    }
}

multiversion! {
    /// y ← y + a·x.
    pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}

/// dst (cols × rows, row-major) ← srcᵀ for src rows × cols, row-major.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert_eq!(src.len(), rows * cols);
    assert_eq!(dst.len(), rows * cols);
    transpose_strided(src, cols, rows, cols, dst, rows);
}

/// dst[c·dst_stride + r] ← src[r·src_stride + c] for r < rows, c < cols:
/// a transpose between strided matrices, in 8×8 tiles with AVX shuffles
/// where available. Panics if either slice is too short.
pub fn transpose_strided(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src.len() >= (rows - 1) * src_stride + cols,
        "transpose: source too short"
    );
    assert!(
        dst.len() >= (cols - 1) * dst_stride + rows,
        "transpose: destination too short"
    );
    let (full_r, full_c) = (rows / 8 * 8, cols / 8 * 8);
    #[cfg(target_arch = "x86_64")]
    if isa() != Isa::Generic {
        for rb in (0..full_r).step_by(8) {
            for cb in (0..full_c).step_by(8) {
                // SAFETY: AVX is available (AVX2 implies AVX); the 8×8 tile
                // lies inside both slices (checked above).
                unsafe {
                    transpose8x8(
                        src.as_ptr().add(rb * src_stride + cb),
                        src_stride,
                        dst.as_mut_ptr().add(cb * dst_stride + rb),
                        dst_stride,
                    )
                };
            }
        }
        for r in 0..rows {
            let c_start = if r < full_r { full_c } else { 0 };
            for c in c_start..cols {
                dst[c * dst_stride + r] = src[r * src_stride + c];
            }
        }
        return;
    }
    for r in 0..rows {
        for c in 0..cols {
            dst[c * dst_stride + r] = src[r * src_stride + c];
        }
    }
}

/// One 8×8 tile of [`transpose_strided`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose8x8(s: *const f32, src_stride: usize, d: *mut f32, dst_stride: usize) {
    use std::arch::x86_64::*;
    let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(s.add(i * src_stride)));
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    let out = [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ];
    for (i, v) in out.iter().enumerate() {
        _mm256_storeu_ps(d.add(i * dst_stride), *v);
    }
}

/// e^x for f64, x ≤ 0: x = k ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite,
/// two-part ln 2), e^r by its Taylor polynomial to degree 13 (truncation
/// below 2·10⁻¹⁶ relative), then 2^k through the exponent bits; 0 below
/// −708 (where e^x < 10⁻³⁰⁷). Branch-free, so loops over it vectorise;
/// written with `mul_add`, which is one instruction where the caller is
/// compiled for FMA (the AVX2 and AVX-512 versions of [`multiversion!`]
/// kernels) and a correctly rounded library call elsewhere.
#[inline(always)]
pub fn exp_neg_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let tiny = x < -708.0;
    let x = x.max(-708.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, x));
    // Horner form of Σ_{n ≤ 13} rⁿ/n!.
    const C: [f64; 14] = [
        1.0,
        1.0,
        0.5,
        1.666_666_666_666_666_6e-1,
        4.166_666_666_666_666_4e-2,
        8.333_333_333_333_333e-3,
        1.388_888_888_888_889e-3,
        1.984_126_984_126_984e-4,
        2.480_158_730_158_73e-5,
        2.755_731_922_398_589e-6,
        2.755_731_922_398_589_3e-7,
        2.505_210_838_544_172e-8,
        2.087_675_698_786_81e-9,
        1.605_904_383_682_161_3e-10,
    ];
    let mut p = C[13];
    for &c in C[..13].iter().rev() {
        p = p.mul_add(r, c);
    }
    // 2^k without a float-to-integer conversion (which does not vectorise):
    // adding 2⁵² + 1023 leaves k + 1023 in the low mantissa bits.
    let biased = (k + (4_503_599_627_370_496.0 + 1023.0)).to_bits();
    let scale = f64::from_bits(biased << 52);
    if tiny {
        0.0
    } else {
        p * scale
    }
}

/// ln(1 + y) for y ∈ [0, 1] in f64: ln(1 + y) = 2 atanh t with
/// t = y/(2 + y) (|t| ≤ 0.172 for y ≤ √2 − 1), or ln 2 + 2 atanh t with
/// t = (y − 1)/(y + 3) above; atanh by its odd series to t²¹ (truncation
/// below 10⁻¹⁷). Computed from y directly, so small y keep their digits.
#[inline(always)]
pub fn ln_1p_unit_f64(y: f64) -> f64 {
    let upper = y > std::f64::consts::SQRT_2 - 1.0;
    let t = if upper {
        (y - 1.0) / (y + 3.0)
    } else {
        y / (2.0 + y)
    };
    let t2 = t * t;
    // 2 Σ_{n=0}^{10} t^{2n+1}/(2n+1)
    let mut p: f64 = 1.0 / 21.0;
    for d in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p.mul_add(t2, 1.0 / d);
    }
    let ln = 2.0 * t * p;
    if upper {
        ln + std::f64::consts::LN_2
    } else {
        ln
    }
}

/// softplus(x) = max(x, 0) + ln(1 + e^{−|x|}) in f64, vectorisable.
#[inline(always)]
pub fn softplus_f64(x: f64) -> f64 {
    x.max(0.0) + ln_1p_unit_f64(exp_neg_f64(-x.abs()))
}

/// ln(2 cosh x) = |x| + ln(1 + e^{−2|x|}) in f64, vectorisable.
#[inline(always)]
pub fn ln_2cosh_f64(x: f64) -> f64 {
    x.abs() + ln_1p_unit_f64(exp_neg_f64(-2.0 * x.abs()))
}

/// Σ_i f(a_i) in f64 with 32 running sums (four independent vectors of
/// polynomial chains in flight per iteration), then added in order; inlined
/// into each [`multiversion!`] kernel that uses it, so it vectorises there.
#[inline(always)]
fn lane_sum_f64(a: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; 32];
    let mut chunks = a.chunks_exact(32);
    for c in &mut chunks {
        for l in 0..32 {
            lanes[l] += f(c[l]);
        }
    }
    let mut total: f64 = lanes.iter().sum();
    for &x in chunks.remainder() {
        total += f(x);
    }
    total
}

multiversion! {
    /// Σ_i softplus(a_i) in f64.
    pub fn softplus_sum_f64(a: &[f64]) -> f64 {
        lane_sum_f64(a, softplus_f64)
    }
}

multiversion! {
    /// Σ_i ln 2cosh(a_i) in f64.
    pub fn ln_2cosh_sum_f64(a: &[f64]) -> f64 {
        lane_sum_f64(a, ln_2cosh_f64)
    }
}

multiversion! {
    /// y ← y + a·x in f64.
    pub fn axpy_f64(y: &mut [f64], a: f64, x: &[f64]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}

/// Fills `bits` with random 32-bit words (two per 64-bit draw).
pub fn fill_random_bits(rng: &mut Rng, bits: &mut [u32]) {
    let mut pairs = bits.chunks_exact_mut(2);
    for pair in &mut pairs {
        let x = rng.next_u64();
        pair[0] = x as u32;
        pair[1] = (x >> 32) as u32;
    }
    for last in pairs.into_remainder() {
        *last = rng.next_u64() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_sigmoid_accuracy() {
        let mut worst: f64 = 0.0;
        let mut x = -87.0f32;
        while x < 88.0 {
            let exact = (x as f64).exp();
            worst = worst.max(((exp_f32(x) as f64) - exact).abs() / exact);
            x += 0.001_3;
        }
        assert!(worst < 3e-7, "exp relative error {worst}");
        let mut xs: Vec<f32> = (-2000..2000).map(|i| i as f32 * 0.01).collect();
        let expected: Vec<f64> = xs
            .iter()
            .map(|&x| 1.0 / (1.0 + (-(x as f64 + 0.5)).exp()))
            .collect();
        sigmoid_rows(&mut xs, &[0.5; 4]);
        for (s, e) in xs.iter().zip(&expected) {
            assert!((*s as f64 - e).abs() < 1e-6, "{s} vs {e}");
        }
        let mut big = vec![-1000.0f32, 1000.0, f32::MAX, f32::MIN];
        sigmoid_rows(&mut big, &[0.0]);
        assert_eq!(big[1], 1.0);
        assert!(big[0] >= 0.0 && big[0] < 1e-30);
        assert!(big.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn softplus_shift_sum_matches_f64() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 1.7).collect();
        let w: Vec<f32> = (0..37).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.9).collect();
        let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
        let lc = |v: f64| v.abs() + (-2.0 * v.abs()).exp().ln_1p();
        for d in [1.0f32, -1.0, 2.0] {
            let exact: f64 = x
                .iter()
                .zip(&w)
                .map(|(&a, &b)| sp(a as f64 + (d * b) as f64) - sp(a as f64))
                .sum();
            assert!(
                (softplus_shift_sum(&x, &w, d) as f64 - exact).abs() < 1e-4,
                "{d}"
            );
            let exact: f64 = x
                .iter()
                .zip(&w)
                .map(|(&a, &b)| lc(a as f64 + (d * b) as f64) - lc(a as f64))
                .sum();
            assert!(
                (ln_2cosh_shift_sum(&x, &w, d) as f64 - exact).abs() < 1e-4,
                "{d}"
            );
        }
    }

    #[test]
    fn transpose_is_exact_for_ragged_shapes() {
        let mut padded = vec![-1.0f32; 40 * 50];
        let src: Vec<f32> = (0..13 * 30).map(|i| i as f32).collect();
        // 13×29 block of a 13×30 matrix into a destination with stride 50.
        transpose_strided(&src, 30, 13, 29, &mut padded, 50);
        for r in 0..13 {
            for c in 0..29 {
                assert_eq!(padded[c * 50 + r], src[r * 30 + c]);
            }
            assert_eq!(padded[29 * 50 + r], -1.0);
        }
        for (rows, cols) in [(1, 1), (8, 8), (9, 17), (16, 24), (784, 500), (3, 40)] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let mut dst = vec![-1.0f32; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * rows + r],
                        src[r * cols + c],
                        "{rows}×{cols} at ({r},{c})"
                    );
                }
            }
        }
    }

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

    #[test]
    fn strided_operands_and_destination_on_both_paths() {
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
        let run = |portable: bool| {
            let mut c = vec![-7.0f32; m * sc];
            let a_op = Operand::with_stride(&a, m, k, sa);
            let b_op = Operand::with_stride(&bt, n, k, sb).t();
            if portable {
                gemm_portable(&mut c, sc, a_op, b_op, 2.0, false, false);
            } else {
                gemm_with_stride(&mut c, sc, a_op, b_op, 2.0, false);
            }
            c
        };
        for c in [run(true)] {
            for i in 0..m {
                for j in 0..n {
                    let exact = 2.0 * naive(i, j);
                    assert!((c[i * sc + j] as f64 - exact).abs() < 1e-4 * (1.0 + exact.abs()));
                }
                assert_eq!(&c[i * sc + n..(i + 1) * sc], &[-7.0, -7.0]);
            }
        }
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
            let mut c64 = vec![-3.0f64; m * n + 64];
            gemm_f64(
                &mut c64[..m * n],
                Operand::new(&a, m, k),
                Operand::new(&b, k, n),
                1.0,
                false,
            );
            assert!(c64[m * n..].iter().all(|&x| x == -3.0), "f64 {m}×{k}×{n}");
            let (a32, b32): (Vec<f32>, Vec<f32>) = (
                a.iter().map(|&x| x as f32).collect(),
                b.iter().map(|&x| x as f32).collect(),
            );
            let mut fast = vec![-3.0f32; m * n + 64];
            let mut portable = vec![-3.0f32; m * n + 64];
            gemm(
                &mut fast[..m * n],
                Operand::new(&a32, m, k),
                Operand::new(&b32, k, n),
                1.0,
                false,
            );
            gemm_portable(
                &mut portable[..m * n],
                n,
                Operand::new(&a32, m, k),
                Operand::new(&b32, k, n),
                1.0,
                false,
                false,
            );
            for c in [&fast, &portable] {
                assert!(c[m * n..].iter().all(|&x| x == -3.0), "f32 {m}×{k}×{n}");
            }
            for i in 0..m {
                for j in 0..n {
                    let e = exact(i, j);
                    assert!((c64[i * n + j] - e).abs() < 1e-12 * (1.0 + e.abs()));
                    for c in [&fast, &portable] {
                        assert!((c[i * n + j] as f64 - e).abs() < 1e-4 * (1.0 + e.abs()));
                    }
                }
            }
        }
    }

    #[test]
    fn f64_exp_log1p_softplus_match_the_standard_library() {
        let (mut worst_exp, mut worst_ln, mut worst_sp) = (0.0f64, 0.0f64, 0.0f64);
        let mut x = -700.0f64;
        while x <= 0.0 {
            let exact = x.exp();
            worst_exp = worst_exp.max((exp_neg_f64(x) - exact).abs() / exact);
            x += 0.0137;
        }
        assert_eq!(exp_neg_f64(-800.0), 0.0);
        let mut y = 0.0f64;
        while y <= 1.0 {
            let exact = y.ln_1p();
            let err = (ln_1p_unit_f64(y) - exact).abs();
            worst_ln = worst_ln.max(if exact > 0.0 { err / exact } else { err });
            y += 0.000_37;
        }
        assert_eq!(ln_1p_unit_f64(1e-300), 1e-300);
        let mut x = -60.0f64;
        while x <= 60.0 {
            let exact = crate::rbm::softplus(x);
            worst_sp = worst_sp.max((softplus_f64(x) - exact).abs() / exact.max(1e-300));
            let cosh = crate::rbm::ln_2cosh(x);
            worst_sp = worst_sp.max((ln_2cosh_f64(x) - cosh).abs() / cosh);
            x += 0.0071;
        }
        assert!(worst_exp < 1e-15, "exp relative error {worst_exp}");
        assert!(worst_ln < 1e-15, "ln1p relative error {worst_ln}");
        assert!(worst_sp < 1e-14, "softplus relative error {worst_sp}");
        let a: Vec<f64> = (0..100).map(|i| (i as f64 - 50.0) * 0.37).collect();
        let exact: f64 = a.iter().map(|&x| crate::rbm::softplus(x)).sum();
        assert!((softplus_sum_f64(&a) - exact).abs() < 1e-12 * exact);
        let exact: f64 = a.iter().map(|&x| crate::rbm::ln_2cosh(x)).sum();
        assert!((ln_2cosh_sum_f64(&a) - exact).abs() < 1e-12 * exact);
    }

    #[test]
    fn bernoulli_frequencies() {
        let mut rng = crate::rng::root(5);
        let p = vec![0.3f32; 100_000];
        let mut bits = vec![0u32; p.len()];
        fill_random_bits(&mut rng, &mut bits);
        let mut out = vec![0.0f32; p.len()];
        bernoulli_from_bits(&p, &bits, &mut out);
        let ones: f64 = out.iter().map(|&v| v as f64).sum();
        let n = p.len() as f64;
        let z = (ones - 0.3 * n) / (n * 0.3 * 0.7).sqrt();
        assert!(z.abs() < 4.5, "z = {z}");
    }
}
