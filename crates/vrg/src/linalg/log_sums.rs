//! Vectorised f64 sums of softplus and ln 2cosh, the summed-out layer's
//! term of an RBM free energy:
//!
//! Σ_i softplus(x_i) = Σ_i max(x_i, 0) + ln Π_i (1 + e^{−|x_i|}),
//! Σ_i ln 2cosh(x_i) = Σ_i |x_i| + ln Π_i (1 + e^{−2|x_i|}),
//!
//! (softplus(x) = ln(1 + eˣ), ln 2cosh x = ln(eˣ + e^{−x}); Mehta & Schwab
//! 2014, eq. 12, and `rbm::units`). Each factor 1 + e^{−|x|} lies in
//! [1, 2], so a running product per vector lane cannot overflow for 512
//! factors; the kernels split it into exponent and mantissa every 512
//! vectors and take one logarithm per call instead of one per element. What
//! remains per element is one e^{−|x|} (the polynomial of
//! [`super::exp_neg_f64`]), one add and one multiply.
//!
//! Three paths, chosen at run time like the element-wise kernels
//! (`linalg::dispatch`): AVX-512 (8 lanes), AVX2 with FMA (4 lanes) and a
//! portable fallback (the scalar [`super::softplus_f64`] and
//! [`super::ln_2cosh_f64`] summed in 32 running sums, which the compiler's
//! baseline may vectorise). The fused forms ([`axpy_log_sum`]) first
//! update x ← x + δ·w (one multiply-add per element, in the same pass):
//! the step of a Gray-code walk over one layer's states.
//!
//! Accuracy: every path returns S with |S − S_ref| ≤ [`max_error`]`(x)`,
//! S_ref the sum of the standard library's `exp`/`ln_1p` forms
//! (`rbm::softplus`, `rbm::ln_2cosh`) taken in order. The bound is
//! (n + 32)·ε·Σ_i (1 + |f(x_i)|) with ε = 2⁻⁵² — the worst case of summing
//! n rounded terms in two different orders, plus the product's n roundings
//! of numbers in [1, 2]; measured errors on random inputs are 10²–10³ times
//! smaller (`tests/log_sums.rs` prints them).
//!
//! # References
//! - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), eq. 12.
//! - W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*
//!   (1980) (the range reduction of e^x).

use super::dispatch::{isa, Isa};
use super::{ln_2cosh_f64, softplus_f64};

/// Which function is summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSum {
    /// softplus(x) = ln(1 + eˣ) (Bernoulli units summed out).
    Softplus,
    /// ln 2cosh x (±1 spin units summed out).
    Ln2Cosh,
}

impl LogSum {
    /// f(x) by the scalar vectorisable form ([`softplus_f64`], [`ln_2cosh_f64`]).
    #[inline(always)]
    pub fn scalar(self, x: f64) -> f64 {
        match self {
            LogSum::Softplus => softplus_f64(x),
            LogSum::Ln2Cosh => ln_2cosh_f64(x),
        }
    }
}

/// A code path of the sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumPath {
    /// AVX-512F/DQ, 8 f64 lanes.
    Avx512,
    /// AVX2 with FMA, 4 f64 lanes.
    Avx2,
    /// The compiler's baseline.
    Portable,
}

impl SumPath {
    /// Every path, fastest first.
    pub const ALL: [SumPath; 3] = [SumPath::Avx512, SumPath::Avx2, SumPath::Portable];

    /// A short name ("avx512", "avx2", "portable").
    pub fn name(self) -> &'static str {
        match self {
            SumPath::Avx512 => "avx512",
            SumPath::Avx2 => "avx2",
            SumPath::Portable => "portable",
        }
    }

    /// Whether the running processor can take this path.
    pub fn supported(self) -> bool {
        matches!(
            (self, isa()),
            (SumPath::Portable, _)
                | (SumPath::Avx2, Isa::Avx2 | Isa::Avx512)
                | (SumPath::Avx512, Isa::Avx512)
        )
    }

    /// The path [`log_sum`] and [`axpy_log_sum`] take here.
    pub fn best() -> SumPath {
        match isa() {
            Isa::Avx512 => SumPath::Avx512,
            Isa::Avx2 => SumPath::Avx2,
            Isa::Generic => SumPath::Portable,
        }
    }
}

/// The documented bound on |S − S_ref| for the sum over `x` (module docs):
/// (n + 32)·ε·Σ_i (1 + |f(x_i)|), ε = 2⁻⁵².
pub fn max_error(kind: LogSum, x: &[f64]) -> f64 {
    let scale: f64 = x.iter().map(|&v| 1.0 + kind.scalar(v).abs()).sum();
    (x.len() as f64 + 32.0) * f64::EPSILON * scale
}

/// Σ_i f(x_i) on the fastest path this processor has.
pub fn log_sum(kind: LogSum, x: &[f64]) -> f64 {
    sum_on(SumPath::best(), kind, Input::Read(x)).unwrap_or(0.0)
}

/// x ← x + δ·w, then Σ_i f(x_i) over the updated x, in one pass, on the
/// fastest path. `w` must be as long as `x` (only `x.len()` values are read).
pub fn axpy_log_sum(kind: LogSum, x: &mut [f64], delta: f64, w: &[f64]) -> f64 {
    sum_on(SumPath::best(), kind, Input::Update(x, delta, w)).unwrap_or(0.0)
}

/// [`log_sum`] on a given path; `None` where the processor lacks it.
pub fn log_sum_on(path: SumPath, kind: LogSum, x: &[f64]) -> Option<f64> {
    sum_on(path, kind, Input::Read(x))
}

/// [`axpy_log_sum`] on a given path; `None` where the processor lacks it.
pub fn axpy_log_sum_on(
    path: SumPath,
    kind: LogSum,
    x: &mut [f64],
    delta: f64,
    w: &[f64],
) -> Option<f64> {
    sum_on(path, kind, Input::Update(x, delta, w))
}

/// e ← e ⊙ factor (element-wise, when `factor` is given), then
/// Σ_i ln(1 + e_i) over the new e, as ln Π_i (1 + e_i) with the product
/// split into exponent and mantissa at every factor (e_i may be large: the
/// factors are unbounded). For e_i = e^{a_i} this is Σ softplus(a_i)
/// without an exponential per element: the Gray-code walk of
/// [`crate::estimate::exact`] multiplies e by e^{±w_j} instead of adding
/// ±w_j to a. The e_i must be positive, finite and normal (≥ 2⁻¹⁰²²).
/// Error: |S − Σ_i ln_1p(e_i)| ≤ (n + 32)·ε·Σ_i (1 + ln(1 + e_i)).
pub fn scaled_log1p_sum(e: &mut [f64], factor: Option<&[f64]>) -> f64 {
    scaled_log1p_sum_on(SumPath::best(), e, factor).unwrap_or(0.0)
}

/// [`scaled_log1p_sum`] on a given path; `None` where the processor lacks it.
pub fn scaled_log1p_sum_on(path: SumPath, e: &mut [f64], factor: Option<&[f64]>) -> Option<f64> {
    if !path.supported() {
        return None;
    }
    if let Some(f) = factor {
        assert!(
            f.len() >= e.len(),
            "scaled_log1p_sum: factor shorter than e"
        );
    }
    let (f, scale) = match factor {
        Some(f) => (f.as_ptr(), true),
        None => (e.as_ptr(), false),
    };
    Some(match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `path.supported()` checked AVX-512F/DQ; `e` is exclusively
        // borrowed and `f` has at least `e.len()` values (or is not read).
        SumPath::Avx512 => unsafe { x86::log1p_avx512(e.as_mut_ptr(), e.len(), f, scale) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `path.supported()` checked AVX2 and FMA; pointers as above.
        SumPath::Avx2 => unsafe { x86::log1p_avx2(e.as_mut_ptr(), e.len(), f, scale) },
        _ => {
            if let Some(f) = factor {
                for (v, &fi) in e.iter_mut().zip(f) {
                    *v *= fi;
                }
            }
            e.iter().map(|v| v.ln_1p()).sum()
        }
    })
}

enum Input<'a> {
    Read(&'a [f64]),
    Update(&'a mut [f64], f64, &'a [f64]),
}

fn sum_on(path: SumPath, kind: LogSum, input: Input<'_>) -> Option<f64> {
    if !path.supported() {
        return None;
    }
    let cosh = kind == LogSum::Ln2Cosh;
    Some(match path {
        #[cfg(target_arch = "x86_64")]
        SumPath::Avx512 => match input {
            // SAFETY: `path.supported()` checked AVX-512F/DQ (`isa`); the
            // pointer and length come from one slice, which the kernel only
            // reads (`update` is false).
            Input::Read(x) => unsafe {
                x86::sum_avx512(
                    x.as_ptr() as *mut f64,
                    x.len(),
                    0.0,
                    x.as_ptr(),
                    false,
                    cosh,
                )
            },
            Input::Update(x, delta, w) => {
                assert!(w.len() >= x.len(), "axpy_log_sum: w shorter than x");
                // SAFETY: as above; `w` has at least `x.len()` values and `x`
                // is exclusively borrowed, so the kernel may store into it.
                unsafe { x86::sum_avx512(x.as_mut_ptr(), x.len(), delta, w.as_ptr(), true, cosh) }
            }
        },
        #[cfg(target_arch = "x86_64")]
        SumPath::Avx2 => match input {
            // SAFETY: `path.supported()` checked AVX2 and FMA (`isa`); the
            // pointer and length come from one slice, read only.
            Input::Read(x) => unsafe {
                x86::sum_avx2(
                    x.as_ptr() as *mut f64,
                    x.len(),
                    0.0,
                    x.as_ptr(),
                    false,
                    cosh,
                )
            },
            Input::Update(x, delta, w) => {
                assert!(w.len() >= x.len(), "axpy_log_sum: w shorter than x");
                // SAFETY: as above; `w` has at least `x.len()` values and `x`
                // is exclusively borrowed.
                unsafe { x86::sum_avx2(x.as_mut_ptr(), x.len(), delta, w.as_ptr(), true, cosh) }
            }
        },
        _ => match input {
            Input::Read(x) => portable_sum(kind, x),
            Input::Update(x, delta, w) => {
                for (v, &wi) in x.iter_mut().zip(w) {
                    *v += delta * wi;
                }
                portable_sum(kind, x)
            }
        },
    })
}

/// Σ_i f(x_i) with 32 running sums, added in order at the end.
fn portable_sum(kind: LogSum, x: &[f64]) -> f64 {
    #[inline(always)]
    fn lanes(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
        let mut lanes = [0.0f64; 32];
        let mut chunks = x.chunks_exact(32);
        for c in &mut chunks {
            for l in 0..32 {
                lanes[l] += f(c[l]);
            }
        }
        let mut total: f64 = lanes.iter().sum();
        for &v in chunks.remainder() {
            total += f(v);
        }
        total
    }
    match kind {
        LogSum::Softplus => lanes(x, softplus_f64),
        LogSum::Ln2Cosh => lanes(x, ln_2cosh_f64),
    }
}

/// Vectors of factors multiplied per lane before the product is split into
/// exponent and mantissa (each factor ≤ 2, so the product stays ≤ 2⁵¹²).
const RENORMALISE_EVERY: usize = 512;

/// ln of Π 2^{e_l}·m_l over lanes, from the exponents' sum and the mantissas.
#[inline(always)]
fn log_of_split_product(exponents: f64, mantissas: &[f64]) -> f64 {
    // Each mantissa lies in [1, 2): their product is below 2⁸ for 8 lanes.
    let m: f64 = mantissas.iter().product();
    exponents * std::f64::consts::LN_2 + m.ln()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{log_of_split_product, RENORMALISE_EVERY};
    use crate::linalg::{ln_2cosh_f64, softplus_f64};
    use std::arch::x86_64::*;

    use crate::linalg::maths::{EXP_TAYLOR_F64 as C, LN2_HI_F64 as LN2_HI, LN2_LO_F64 as LN2_LO};
    /// 2⁵² + 1023: adding it to an integral k leaves k + 1023 in the low
    /// mantissa bits.
    const EXP_MAGIC: f64 = 4_503_599_627_370_496.0 + 1023.0;

    /// The scalar remainder (fewer elements than one vector), added to
    /// `linear` with the ln term folded in; updates x when `update`.
    ///
    /// # Safety
    /// `x` (and `w` when `update`) valid for `n` elements from `start`.
    #[inline(always)]
    unsafe fn tail(
        x: *mut f64,
        w: *const f64,
        start: usize,
        n: usize,
        delta: f64,
        update: bool,
        cosh: bool,
    ) -> f64 {
        let mut total = 0.0;
        for i in start..n {
            // SAFETY: i < n, within the caller's slices.
            let v = unsafe {
                if update {
                    let v = delta.mul_add(*w.add(i), *x.add(i));
                    *x.add(i) = v;
                    v
                } else {
                    *x.add(i)
                }
            };
            total += if cosh {
                ln_2cosh_f64(v)
            } else {
                softplus_f64(v)
            };
        }
        total
    }

    /// Scalar remainder of the ln(1 + e) kernels.
    ///
    /// # Safety
    /// `e` (and `f` when `scale`) valid for `n` elements.
    #[inline(always)]
    unsafe fn log1p_tail(e: *mut f64, f: *const f64, start: usize, n: usize, scale: bool) -> f64 {
        let mut total = 0.0;
        for i in start..n {
            // SAFETY: i < n, within the caller's slices.
            let v = unsafe {
                if scale {
                    *e.add(i) *= *f.add(i);
                }
                *e.add(i)
            };
            total += v.ln_1p();
        }
        total
    }

    /// The AVX-512 kernel of `scaled_log1p_sum`.
    ///
    /// # Safety
    /// AVX-512F and AVX-512DQ are available; `e` is valid for `n` reads and
    /// writes, `f` for `n` reads when `scale`.
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    pub(super) unsafe fn log1p_avx512(e: *mut f64, n: usize, f: *const f64, scale: bool) -> f64 {
        let vectors = n / 8;
        let one = _mm512_set1_pd(1.0);
        // Four independent products and exponent sums: one chain would wait
        // on each multiply's latency.
        let mut product = [one; 4];
        let mut exponents = [_mm512_setzero_pd(); 4];
        // The factor 1 + e_v (after e_v ← e_v·f_v) of vector v.
        let term = |v: usize| {
            // SAFETY: v·8 + 8 ≤ n, within the caller's slices.
            unsafe {
                let p = e.add(8 * v);
                let value = _mm512_loadu_pd(p);
                let value = if scale {
                    let value = _mm512_mul_pd(value, _mm512_loadu_pd(f.add(8 * v)));
                    _mm512_storeu_pd(p, value);
                    value
                } else {
                    value
                };
                _mm512_add_pd(one, value)
            }
        };
        for start in (0..vectors).step_by(RENORMALISE_EVERY) {
            let end = vectors.min(start + RENORMALISE_EVERY);
            let mut v = start;
            let [mut p0, mut p1, mut p2, mut p3] = product;
            let [mut x0, mut x1, mut x2, mut x3] = exponents;
            while v + 4 <= end {
                let (t0, t1, t2, t3) = (term(v), term(v + 1), term(v + 2), term(v + 3));
                x0 = _mm512_add_pd(x0, _mm512_getexp_pd(t0));
                x1 = _mm512_add_pd(x1, _mm512_getexp_pd(t1));
                x2 = _mm512_add_pd(x2, _mm512_getexp_pd(t2));
                x3 = _mm512_add_pd(x3, _mm512_getexp_pd(t3));
                p0 = _mm512_mul_pd(
                    p0,
                    _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(t0),
                );
                p1 = _mm512_mul_pd(
                    p1,
                    _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(t1),
                );
                p2 = _mm512_mul_pd(
                    p2,
                    _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(t2),
                );
                p3 = _mm512_mul_pd(
                    p3,
                    _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(t3),
                );
                v += 4;
            }
            while v < end {
                let t = term(v);
                x0 = _mm512_add_pd(x0, _mm512_getexp_pd(t));
                p0 = _mm512_mul_pd(
                    p0,
                    _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(t),
                );
                v += 1;
            }
            product = [p0, p1, p2, p3];
            exponents = [x0, x1, x2, x3];
            for (p, x) in product.iter_mut().zip(exponents.iter_mut()) {
                *x = _mm512_add_pd(*x, _mm512_getexp_pd(*p));
                *p = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(*p);
            }
        }
        // Four mantissas below 2 multiply to below 16.
        let all = _mm512_mul_pd(
            _mm512_mul_pd(product[0], product[1]),
            _mm512_mul_pd(product[2], product[3]),
        );
        let exponents = _mm512_add_pd(
            _mm512_add_pd(exponents[0], exponents[1]),
            _mm512_add_pd(exponents[2], exponents[3]),
        );
        let exponents = _mm512_add_pd(exponents, _mm512_getexp_pd(all));
        let all = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(all);
        let mut mantissas = [0.0f64; 8];
        // SAFETY: `mantissas` holds 8 f64.
        unsafe { _mm512_storeu_pd(mantissas.as_mut_ptr(), all) };
        // SAFETY: the remainder lies within the caller's slices.
        let rest = unsafe { log1p_tail(e, f, 8 * vectors, n, scale) };
        log_of_split_product(_mm512_reduce_add_pd(exponents), &mantissas) + rest
    }

    /// The AVX2 kernel of `scaled_log1p_sum` (exponent and mantissa from
    /// the bits).
    ///
    /// # Safety
    /// AVX2 and FMA are available; pointers as for [`log1p_avx512`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn log1p_avx2(e: *mut f64, n: usize, f: *const f64, scale: bool) -> f64 {
        let vectors = n / 4;
        let one = _mm256_set1_pd(1.0);
        let mut product = one;
        let mut exponents = _mm256_setzero_pd();
        let split = Split256::new();
        for start in (0..vectors).step_by(RENORMALISE_EVERY) {
            for v in start..vectors.min(start + RENORMALISE_EVERY) {
                // SAFETY: v·4 + 4 ≤ n, within the caller's slices.
                let value = unsafe {
                    let p = e.add(4 * v);
                    let value = _mm256_loadu_pd(p);
                    if scale {
                        let value = _mm256_mul_pd(value, _mm256_loadu_pd(f.add(4 * v)));
                        _mm256_storeu_pd(p, value);
                        value
                    } else {
                        value
                    }
                };
                let (exponent, mantissa) = split.apply(_mm256_add_pd(one, value));
                exponents = _mm256_add_pd(exponents, exponent);
                product = _mm256_mul_pd(product, mantissa);
            }
            let (exponent, mantissa) = split.apply(product);
            exponents = _mm256_add_pd(exponents, exponent);
            product = mantissa;
        }
        let mut mantissas = [0.0f64; 4];
        let mut exps = [0.0f64; 4];
        // SAFETY: each array holds 4 f64.
        unsafe {
            _mm256_storeu_pd(mantissas.as_mut_ptr(), product);
            _mm256_storeu_pd(exps.as_mut_ptr(), exponents);
        }
        // SAFETY: the remainder lies within the caller's slices.
        let rest = unsafe { log1p_tail(e, f, 4 * vectors, n, scale) };
        log_of_split_product(exps.iter().sum(), &mantissas) + rest
    }

    /// x = 2^e · m with m ∈ [1, 2) for positive normal x, 4 lanes, from the bits.
    #[derive(Clone, Copy)]
    struct Split256 {
        exponent_bits: __m256i,
        one_bits: __m256i,
        two52: __m256i,
        unbias: __m256d,
    }

    impl Split256 {
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        fn new() -> Self {
            Split256 {
                exponent_bits: _mm256_set1_epi64x(0x7ff0_0000_0000_0000),
                one_bits: _mm256_castpd_si256(_mm256_set1_pd(1.0)),
                // OR-ing a biased exponent e into 2⁵²'s mantissa and
                // subtracting 2⁵² + 1023 gives e − 1023 exactly.
                two52: _mm256_castpd_si256(_mm256_set1_pd(4_503_599_627_370_496.0)),
                unbias: _mm256_set1_pd(4_503_599_627_370_496.0 + 1023.0),
            }
        }

        #[target_feature(enable = "avx2,fma")]
        #[inline]
        fn apply(self, x: __m256d) -> (__m256d, __m256d) {
            let bits = _mm256_castpd_si256(x);
            let biased = _mm256_srli_epi64::<52>(_mm256_and_si256(bits, self.exponent_bits));
            let e = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(biased, self.two52)),
                self.unbias,
            );
            let m = _mm256_castsi256_pd(_mm256_or_si256(
                _mm256_andnot_si256(self.exponent_bits, bits),
                self.one_bits,
            ));
            (e, m)
        }
    }

    /// e^t for t ≤ 0, 8 lanes: `exp_neg_f64`'s reduction and polynomial
    /// (0 below −708).
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    #[inline]
    fn exp_neg_512(t: __m512d) -> __m512d {
        {
            let tiny = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(t, _mm512_set1_pd(-708.0));
            let t = _mm512_max_pd(t, _mm512_set1_pd(-708.0));
            let k = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
                _mm512_mul_pd(t, _mm512_set1_pd(std::f64::consts::LOG2_E)),
            );
            let r = _mm512_fnmadd_pd(k, _mm512_set1_pd(LN2_HI), t);
            let r = _mm512_fnmadd_pd(k, _mm512_set1_pd(LN2_LO), r);
            let mut p = _mm512_set1_pd(C[13]);
            for &c in C[..13].iter().rev() {
                p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c));
            }
            let biased = _mm512_castpd_si512(_mm512_add_pd(k, _mm512_set1_pd(EXP_MAGIC)));
            let scale = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(biased));
            _mm512_maskz_mul_pd(!tiny, p, scale)
        }
    }

    /// The AVX-512 kernel: optionally x ← x + δ·w, then Σ f(x_i).
    ///
    /// # Safety
    /// AVX-512F and AVX-512DQ are available; `x` is valid for `n` reads
    /// (and writes when `update`), `w` for `n` reads when `update`.
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    pub(super) unsafe fn sum_avx512(
        x: *mut f64,
        n: usize,
        delta: f64,
        w: *const f64,
        update: bool,
        cosh: bool,
    ) -> f64 {
        let vectors = n / 8;
        let mut linear = _mm512_setzero_pd();
        let mut product = _mm512_set1_pd(1.0);
        let mut exponents = _mm512_setzero_pd();
        let one = _mm512_set1_pd(1.0);
        let d = _mm512_set1_pd(delta);
        let scale = _mm512_set1_pd(if cosh { -2.0 } else { -1.0 });
        for start in (0..vectors).step_by(RENORMALISE_EVERY) {
            for v in start..vectors.min(start + RENORMALISE_EVERY) {
                // SAFETY: v·8 + 8 ≤ n, within the caller's slices.
                let value = unsafe {
                    let p = x.add(8 * v);
                    let value = _mm512_loadu_pd(p);
                    if update {
                        let value = _mm512_fmadd_pd(d, _mm512_loadu_pd(w.add(8 * v)), value);
                        _mm512_storeu_pd(p, value);
                        value
                    } else {
                        value
                    }
                };
                let magnitude = _mm512_abs_pd(value);
                linear = _mm512_add_pd(
                    linear,
                    if cosh {
                        magnitude
                    } else {
                        _mm512_max_pd(value, _mm512_setzero_pd())
                    },
                );
                let y = exp_neg_512(_mm512_mul_pd(scale, magnitude));
                product = _mm512_mul_pd(product, _mm512_add_pd(one, y));
            }
            // product = 2^e · m with m ∈ [1, 2).
            exponents = _mm512_add_pd(exponents, _mm512_getexp_pd(product));
            product = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(product);
        }
        let mut mantissas = [0.0f64; 8];
        // SAFETY: `mantissas` holds 8 f64.
        unsafe { _mm512_storeu_pd(mantissas.as_mut_ptr(), product) };
        // SAFETY: the remainder lies within the caller's slices.
        let rest = unsafe { tail(x, w, 8 * vectors, n, delta, update, cosh) };
        _mm512_reduce_add_pd(linear)
            + log_of_split_product(_mm512_reduce_add_pd(exponents), &mantissas)
            + rest
    }

    /// e^t for t ≤ 0, 4 lanes (as [`exp_neg_512`]).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn exp_neg_256(t: __m256d) -> __m256d {
        {
            let not_tiny = _mm256_cmp_pd::<_CMP_GE_OQ>(t, _mm256_set1_pd(-708.0));
            let t = _mm256_max_pd(t, _mm256_set1_pd(-708.0));
            let k = _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
                _mm256_mul_pd(t, _mm256_set1_pd(std::f64::consts::LOG2_E)),
            );
            let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_HI), t);
            let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_LO), r);
            let mut p = _mm256_set1_pd(C[13]);
            for &c in C[..13].iter().rev() {
                p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
            }
            let biased = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(EXP_MAGIC)));
            let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased));
            _mm256_and_pd(_mm256_mul_pd(p, scale), not_tiny)
        }
    }

    /// The AVX2 kernel (as [`sum_avx512`], 4 lanes).
    ///
    /// # Safety
    /// AVX2 and FMA are available; pointers as for [`sum_avx512`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_avx2(
        x: *mut f64,
        n: usize,
        delta: f64,
        w: *const f64,
        update: bool,
        cosh: bool,
    ) -> f64 {
        let vectors = n / 4;
        let mut linear = _mm256_setzero_pd();
        let mut product = _mm256_set1_pd(1.0);
        let mut exponents = _mm256_setzero_pd();
        let one = _mm256_set1_pd(1.0);
        let sign = _mm256_set1_pd(-0.0);
        let d = _mm256_set1_pd(delta);
        let scale = _mm256_set1_pd(if cosh { -2.0 } else { -1.0 });
        let split = Split256::new();
        for start in (0..vectors).step_by(RENORMALISE_EVERY) {
            for v in start..vectors.min(start + RENORMALISE_EVERY) {
                // SAFETY: v·4 + 4 ≤ n, within the caller's slices.
                let value = unsafe {
                    let p = x.add(4 * v);
                    let value = _mm256_loadu_pd(p);
                    if update {
                        let value = _mm256_fmadd_pd(d, _mm256_loadu_pd(w.add(4 * v)), value);
                        _mm256_storeu_pd(p, value);
                        value
                    } else {
                        value
                    }
                };
                let magnitude = _mm256_andnot_pd(sign, value);
                linear = _mm256_add_pd(
                    linear,
                    if cosh {
                        magnitude
                    } else {
                        _mm256_max_pd(value, _mm256_setzero_pd())
                    },
                );
                let y = exp_neg_256(_mm256_mul_pd(scale, magnitude));
                product = _mm256_mul_pd(product, _mm256_add_pd(one, y));
            }
            let (exponent, mantissa) = split.apply(product);
            exponents = _mm256_add_pd(exponents, exponent);
            product = mantissa;
        }
        let mut mantissas = [0.0f64; 4];
        let mut lanes = [0.0f64; 4];
        let mut exps = [0.0f64; 4];
        // SAFETY: each array holds 4 f64.
        unsafe {
            _mm256_storeu_pd(mantissas.as_mut_ptr(), product);
            _mm256_storeu_pd(lanes.as_mut_ptr(), linear);
            _mm256_storeu_pd(exps.as_mut_ptr(), exponents);
        }
        // SAFETY: the remainder lies within the caller's slices.
        let rest = unsafe { tail(x, w, 4 * vectors, n, delta, update, cosh) };
        lanes.iter().sum::<f64>() + log_of_split_product(exps.iter().sum(), &mantissas) + rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_path_matches_the_scalar_sum() {
        let x: Vec<f64> = (0..1037)
            .map(|i| ((i * 7919) % 1401) as f64 - 700.0)
            .collect();
        for kind in [LogSum::Softplus, LogSum::Ln2Cosh] {
            let reference: f64 = x.iter().map(|&v| kind.scalar(v)).sum();
            for path in SumPath::ALL.into_iter().filter(|p| p.supported()) {
                let s = log_sum_on(path, kind, &x).unwrap();
                assert!(
                    (s - reference).abs() <= max_error(kind, &x),
                    "{path:?} {kind:?}: {s} vs {reference}"
                );
            }
        }
        assert_eq!(log_sum(LogSum::Softplus, &[]), 0.0);
    }
}
