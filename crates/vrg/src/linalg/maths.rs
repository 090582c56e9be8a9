//! Element-wise maths, vectorisable: e^x, σ, tanh, ln(1 + y), softplus and
//! ln 2cosh in f32 and f64, and the row kernels built on them (bias plus
//! σ or tanh, column sums, axpy), each compiled for AVX-512, AVX2 and a
//! generic processor (`linalg::dispatch`).

use super::dispatch::multiversion;

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
    /// x ← σ(scale·x + bias) for each row of `x` (`bias.len()` columns):
    /// the Bernoulli means at inverse temperature `scale` of AIS's
    /// intermediate models.
    pub fn sigmoid_affine_rows(x: &mut [f32], scale: f32, bias: &[f32]) {
        for row in x.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = sigmoid_f32(scale * *v + b);
            }
        }
    }
}

multiversion! {
    /// x ← tanh(scale·x + bias) for each row of `x` (the spin means of
    /// [`sigmoid_affine_rows`]).
    pub fn tanh_affine_rows(x: &mut [f32], scale: f32, bias: &[f32]) {
        for row in x.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = tanh_f32(scale * *v + b);
            }
        }
    }
}

multiversion! {
    /// Σ_i x_i y_i in f64 for f32 `x` and f64 `y` (the shorter length),
    /// summed in 8 interleaved lanes (lane l takes i ≡ l mod 8), then the
    /// lanes in order: vectorised, and the same sum on every path.
    pub fn dot_f32_f64(x: &[f32], y: &[f64]) -> f64 {
        let n = x.len().min(y.len());
        let (x, y) = (&x[..n], &y[..n]);
        let mut lanes = [0.0f64; 8];
        for (xs, ys) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
            for ((lane, &a), &b) in lanes.iter_mut().zip(xs).zip(ys) {
                *lane += f64::from(a) * b;
            }
        }
        let tail = n - n % 8;
        for ((lane, &a), &b) in lanes.iter_mut().zip(&x[tail..]).zip(&y[tail..]) {
            *lane += f64::from(a) * b;
        }
        lanes.iter().sum()
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

/// ln x for normal x > 0, f32: with x = 2ᵉ·f, f ∈ [1, 2) read from the
/// bits, ln x = e·ln 2 + ln(1 + (f − 1)) ([`ln_1p_unit_f32`]); error
/// below 2·10⁻⁷ + 2·10⁻⁷·|ln x| (about one f32 rounding). Branch-free, so that loops over it vectorise.
/// (For subnormal x the exponent is read as −127: x ln x is then still
/// below 10⁻³⁶ in magnitude.)
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    exponent as f32 * std::f32::consts::LN_2 + ln_1p_unit_f32(mantissa - 1.0)
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

/// ln 2 split for Cody–Waite reduction in f64 (the fdlibm constants):
/// `LN2_HI_F64` has its low mantissa bits zero, so `k · LN2_HI_F64` is
/// exact for the exponents |k| ≤ 1100 used here, and `LN2_LO_F64` carries
/// the rest of ln 2.
pub(crate) const LN2_HI_F64: f64 = 0.693_147_180_369_123_8;
/// The low part of ln 2 (see [`LN2_HI_F64`]).
pub(crate) const LN2_LO_F64: f64 = 1.908_214_929_270_587_7e-10;
/// 1/n! for n = 0…13: the Taylor polynomial of e^r on |r| ≤ ln 2 / 2
/// (truncation below 2·10⁻¹⁶ relative), shared by [`exp_neg_f64`] and the
/// vectorised log-sum kernels.
pub(crate) const EXP_TAYLOR_F64: [f64; 14] = [
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

/// e^x for f64, x ≤ 0: x = k ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite,
/// two-part ln 2), e^r by its Taylor polynomial to degree 13 (truncation
/// below 2·10⁻¹⁶ relative), then 2^k through the exponent bits; 0 below
/// −708 (where e^x < 10⁻³⁰⁷). Branch-free, so loops over it vectorise;
/// written with `mul_add`, which is one instruction where the caller is
/// compiled for FMA (the AVX2 and AVX-512 versions of `multiversion!`
/// kernels) and a correctly rounded library call elsewhere.
#[inline(always)]
pub fn exp_neg_f64(x: f64) -> f64 {
    const LN2_HI: f64 = LN2_HI_F64;
    const LN2_LO: f64 = LN2_LO_F64;
    let tiny = x < -708.0;
    let x = x.max(-708.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, x));
    // Horner form of Σ_{n ≤ 13} rⁿ/n!.
    const C: [f64; 14] = EXP_TAYLOR_F64;
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

multiversion! {
    /// y ← y + a·x in f64.
    pub fn axpy_f64(y: &mut [f64], a: f64, x: &[f64]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
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

    /// ln x against f64 over normal x from 10⁻³⁰ to 10³⁰ and in (0, 1],
    /// where the entropies of the EMF states read it.
    #[test]
    fn ln_accuracy() {
        // The error in units of the bound 2·10⁻⁷·(1 + |ln x|).
        let error = |x: f32| {
            let exact = f64::from(x).ln();
            (f64::from(ln_f32(x)) - exact).abs() / (2e-7 * (1.0 + exact.abs()))
        };
        let mut worst: f64 = 0.0;
        let mut x = 1e-30f32;
        while x < 1e30 {
            worst = worst.max(error(x));
            x *= 1.000_37;
        }
        for i in 1..=100_000 {
            worst = worst.max(error(i as f32 / 100_000.0));
        }
        assert!(worst <= 1.0, "ln error {worst} times the bound");
    }

    /// The affine means of AIS's intermediate models: σ(s·x + b) and
    /// tanh(s·x + b) per row, against f64, including saturated inputs.
    #[test]
    fn affine_sigmoid_and_tanh_rows_match_f64() {
        let bias = [0.5f32, -1.25, 3.0];
        let x0: Vec<f32> = (-600..600).map(|i| i as f32 * 0.05).collect();
        for scale in [0.0f32, 0.37, 1.0, 80.0] {
            let (mut s, mut t) = (x0.clone(), x0.clone());
            sigmoid_affine_rows(&mut s, scale, &bias);
            tanh_affine_rows(&mut t, scale, &bias);
            for (i, &x) in x0.iter().enumerate() {
                let a = f64::from(scale) * f64::from(x) + f64::from(bias[i % 3]);
                let sigma = 1.0 / (1.0 + (-a).exp());
                assert!((f64::from(s[i]) - sigma).abs() < 1e-6, "σ({a}) = {}", s[i]);
                assert!(
                    (f64::from(t[i]) - a.tanh()).abs() < 2e-6,
                    "tanh({a}) = {}",
                    t[i]
                );
            }
        }
    }

    /// The f32 · f64 dot product in 8 lanes equals the f64 sum to rounding,
    /// for every length of tail, and is empty-safe.
    #[test]
    fn dot_f32_f64_matches_the_f64_sum() {
        let x: Vec<f32> = (0..803)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let y: Vec<f64> = (0..803)
            .map(|i| ((i * 53 % 89) as f64 - 44.0) / 3.0)
            .collect();
        for n in [0, 1, 7, 8, 9, 784, 803] {
            let exact: f64 = x[..n]
                .iter()
                .zip(&y[..n])
                .map(|(&a, &b)| f64::from(a) * b)
                .sum();
            let scale: f64 = x[..n]
                .iter()
                .zip(&y[..n])
                .map(|(&a, &b)| (f64::from(a) * b).abs())
                .sum();
            let got = dot_f32_f64(&x[..n], &y[..n]);
            assert!(
                (got - exact).abs() <= 1e-14 * scale.max(1.0),
                "n = {n}: {got} vs {exact}"
            );
        }
        assert_eq!(dot_f32_f64(&x[..5], &y[..3]), dot_f32_f64(&x[..3], &y[..3]));
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
    }
}
