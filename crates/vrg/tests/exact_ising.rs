//! Exact Ising references checked against brute-force enumeration, against
//! each other (Kaufman at large L vs Onsager), against Beale's exact
//! low-temperature coefficients of the 32×32 torus, and against known series.

use vrg::ising::exact::*;
use vrg::Error;

const TC: f64 = 2.269185314213022;

/// Brute-force thermodynamics of a rows×cols torus with the 2N-bond
/// convention (each site's right and down neighbour; both bonds count when a
/// dimension is 2).
struct Enumerated {
    /// `hist[b]` = number of states with `b` unsatisfied bonds; E = −2NJ + 2Jb.
    hist: Vec<u64>,
    n_spins: usize,
}

impl Enumerated {
    /// Loops over all 2^(rows·cols) states and histograms their energies.
    fn new(rows: usize, cols: usize) -> Self {
        let n = rows * cols;
        assert!(n <= 24);
        let mut bonds = Vec::with_capacity(2 * n);
        for r in 0..rows {
            for c in 0..cols {
                let i = r * cols + c;
                bonds.push((i, r * cols + (c + 1) % cols));
                bonds.push((i, ((r + 1) % rows) * cols + c));
            }
        }
        let mut hist = vec![0u64; 2 * n + 1];
        for state in 0u64..(1u64 << n) {
            let broken: u64 = bonds
                .iter()
                .map(|&(i, j)| ((state >> i) ^ (state >> j)) & 1)
                .sum();
            hist[broken as usize] += 1;
        }
        Enumerated { hist, n_spins: n }
    }

    /// (ln Z / N, ⟨E⟩/N, (⟨E²⟩ − ⟨E⟩²)/(N T²)), with Boltzmann weights shifted
    /// by the ground-state energy E₀ = −2NJ so that nothing overflows.
    fn thermo(&self, t: f64, j: f64) -> (f64, f64, f64) {
        let n = self.n_spins as f64;
        let e0 = -2.0 * n * j;
        let de = |b: usize| 2.0 * j * b as f64; // E − E₀ ≥ 0
        let weight = |b: usize| self.hist[b] as f64 * (-de(b) / t).exp();
        let z: f64 = (0..self.hist.len()).map(weight).sum();
        let mean_de: f64 = (0..self.hist.len()).map(|b| weight(b) * de(b)).sum::<f64>() / z;
        let var: f64 = (0..self.hist.len())
            .map(|b| weight(b) * (de(b) - mean_de).powi(2))
            .sum::<f64>()
            / z;
        let ln_z = -e0 / t + z.ln();
        (ln_z / n, (e0 + mean_de) / n, var / (n * t * t))
    }
}

#[test]
fn critical_temperature_value() {
    assert!((critical_temperature(1.0) - TC).abs() < 1e-15);
    assert!((critical_temperature(2.5) - 2.5 * TC).abs() < 1e-14);
}

#[test]
fn kaufman_matches_brute_force() {
    let sizes = [
        (2, 2),
        (3, 3),
        (4, 4),
        (2, 3),
        (3, 4),
        (4, 3),
        (2, 6),
        (4, 5),
    ];
    let temps = [0.5, 1.0, 1.8, TC, 2.5, 3.0, 10.0];
    let (mut max_lnz, mut max_u, mut max_c) = (0.0f64, 0.0f64, 0.0f64);
    for &(rows, cols) in &sizes {
        let brute = Enumerated::new(rows, cols);
        for &t in &temps {
            for &j in &[1.0, 0.7] {
                let (lnz, u, c) = brute.thermo(t * j, j);
                let k = kaufman(rows, cols, t * j, j).unwrap();
                let d_lnz = (k.log_z_per_spin - lnz).abs();
                let d_u = (k.energy_per_spin - u).abs();
                let d_c = (k.specific_heat_per_spin - c).abs();
                max_lnz = max_lnz.max(d_lnz);
                max_u = max_u.max(d_u / j);
                max_c = max_c.max(d_c);
                assert!(
                    d_lnz < 1e-12 && d_u < 1e-12 && d_c < 1e-11,
                    "{rows}x{cols} T={t} J={j}: lnZ/N {} vs {lnz}, u {} vs {u}, c {} vs {c}",
                    k.log_z_per_spin,
                    k.energy_per_spin,
                    k.specific_heat_per_spin
                );
                let fe = -t * j * lnz;
                assert!((k.free_energy_per_spin - fe).abs() < 1e-12 * (1.0 + fe.abs()));
                assert!(
                    (k.log_z - lnz * (rows * cols) as f64).abs() < 1e-11,
                    "total ln Z"
                );
            }
        }
    }
    eprintln!("brute force: max |Δ ln Z/N| = {max_lnz:.2e}, max |Δu| = {max_u:.2e}, max |Δc| = {max_c:.2e}");
}

#[test]
fn kaufman_is_symmetric_under_transpose() {
    for &(m, n) in &[(2, 7), (3, 16), (5, 64), (2, 1024), (17, 300)] {
        for &t in &[0.3, 1.5, TC, 2.4, 7.0, 60.0] {
            let a = kaufman(m, n, t, 1.0).unwrap();
            let b = kaufman(n, m, t, 1.0).unwrap();
            assert!(
                (a.log_z_per_spin - b.log_z_per_spin).abs() < 1e-13,
                "{m}x{n} T={t}: {} vs {}",
                a.log_z_per_spin,
                b.log_z_per_spin
            );
            assert!((a.energy_per_spin - b.energy_per_spin).abs() < 1e-12);
            assert!(
                (a.specific_heat_per_spin - b.specific_heat_per_spin).abs()
                    < 1e-10 * (1.0 + a.specific_heat_per_spin),
                "{m}x{n} T={t}: c {} vs {}",
                a.specific_heat_per_spin,
                b.specific_heat_per_spin
            );
        }
    }
}

/// Exact coefficients of the 32×32 torus, Z = e^{2NK} Σ_p g_p x^p with
/// x = e^{−2K}, listed up to x^64 (P. D. Beale 1996, Phys. Rev. Lett. 76, 78;
/// table published with his Mathematica program at
/// spot.colorado.edu/~beale/IsingExactMathematica.html). For T ≤ 1 the
/// omitted terms are below 1e−19 relative.
const BEALE_32: &[(i32, f64)] = &[
    (0, 2.0),
    (4, 2048.0),
    (6, 4096.0),
    (8, 1057792.0),
    (10, 4218880.0),
    (12, 371621888.0),
    (14, 2191790080.0),
    (16, 100903637504.0),
    (18, 768629792768.0),
    (20, 22748079183872.0),
    (22, 205394991329280.0),
    (24, 4449893079195648.0),
    (26, 44743561136807936.0),
    (28, 776335369907888128.0),
    (30, 8296338816339398656.0),
    (32, 122868315209973770496.0),
    (34, 1348964107338697842688.0),
    (36, 17832940430689993684992.0),
    (38, 196523971814021975830528.0),
    (40, 2391406180740483290926080.0),
    (42, 26065481800659863486496768.0),
    (44, 298044124622553465145298944.0),
    (46, 3185666524478313863851044864.0),
    (48, 34699120806036636726464401408.0),
    (50, 362130971398695260784899284992.0),
    (52, 3791345208840452468065820620800.0),
    (54, 38569361472886182609543396929536.0),
    (56, 390468333064795797623009891880960.0),
    (58, 3871553755823196043657602074615808.0),
    (60, 38057017987760849668592216619089920.0),
    (62, 368038492491826519223092138855485440.0),
    (64, 3523173455605142701375696893142359104.0),
];

#[test]
fn kaufman_matches_beale_32x32_low_temperature_series() {
    let n = 1024.0;
    for &t in &[0.6f64, 0.8, 1.0] {
        let k = 1.0 / t;
        let x = (-2.0 * k).exp();
        let s: f64 = BEALE_32.iter().map(|&(p, g)| g * x.powi(p)).sum();
        // d/dK Σ g x^p = Σ g p x^p · (−2)
        let ds: f64 = BEALE_32
            .iter()
            .map(|&(p, g)| -2.0 * f64::from(p) * g * x.powi(p))
            .sum();
        let ln_z = 2.0 * n * k + s.ln();
        let u = -(2.0 * n + ds / s) / n;
        let kf = kaufman(32, 32, t, 1.0).unwrap();
        let d_lnz = (kf.log_z - ln_z).abs() / ln_z;
        let d_u = (kf.energy_per_spin - u).abs();
        eprintln!("32x32 T={t}: rel Δ ln Z = {d_lnz:.2e}, |Δu| = {d_u:.2e}");
        assert!(d_lnz < 1e-14, "T={t}: ln Z {} vs {ln_z}", kf.log_z);
        assert!(d_u < 1e-13, "T={t}: u {} vs {u}", kf.energy_per_spin);
    }
}

#[test]
fn kaufman_large_lattice_matches_onsager() {
    // Below T_c the finite torus keeps both ordered states: ln Z = N f∞ + ln 2
    // + O(e^{−L/ξ}), so the exact ln Z/N exceeds Onsager's by ln 2 / N
    // (2.6e−6 at L = 512), which is subtracted here.
    let l = 512usize;
    let n = (l * l) as f64;
    let (mut max_lnz, mut max_u) = (0.0f64, 0.0f64);
    for &t in &[0.3, 1.0, 1.8, 2.0, 2.6, 3.0, 5.0, 50.0] {
        let k = kaufman(l, l, t, 1.0).unwrap();
        let degeneracy = if t < TC { LN2 / n } else { 0.0 };
        let lnz = onsager_log_z_per_spin(t, 1.0).unwrap() + degeneracy;
        let u = onsager_energy_per_spin(t, 1.0).unwrap();
        let (d_lnz, d_u) = (
            (k.log_z_per_spin - lnz).abs(),
            (k.energy_per_spin - u).abs(),
        );
        max_lnz = max_lnz.max(d_lnz);
        max_u = max_u.max(d_u);
        eprintln!("L={l} T={t}: |Δ ln Z/N| = {d_lnz:.2e}, |Δu| = {d_u:.2e}");
        assert!(d_lnz < 1e-9, "T={t}: lnZ/N {} vs {lnz}", k.log_z_per_spin);
        assert!(d_u < 1e-9, "T={t}: u {} vs {u}", k.energy_per_spin);
        assert!(k.specific_heat_per_spin.is_finite() && k.specific_heat_per_spin > 0.0);
    }
    eprintln!("L=512 vs Onsager: max |Δ ln Z/N| = {max_lnz:.2e}, max |Δu| = {max_u:.2e}");
}

#[test]
fn kaufman_finite_size_convergence_at_tc() {
    let u_inf = onsager_energy_per_spin(TC, 1.0).unwrap();
    let lnz_inf = onsager_log_z_per_spin(TC, 1.0).unwrap();
    let mut prev = f64::INFINITY;
    let mut prev_c = 0.0;
    for &l in &[64usize, 128, 256, 512] {
        let k = kaufman(l, l, TC, 1.0).unwrap();
        let du = (k.energy_per_spin - u_inf).abs();
        let dlnz = (k.log_z_per_spin - lnz_inf).abs();
        eprintln!(
            "T_c, L={l}: |u_L − u_∞| = {du:.3e} (L·Δ = {:.4}), |Δ ln Z/N| = {dlnz:.3e}, c = {:.6}",
            l as f64 * du,
            k.specific_heat_per_spin
        );
        assert!(du < prev, "L={l}: {du} not below {prev}");
        assert!(du < 1.0 / l as f64, "O(1/L) correction: L={l}, Δ={du}");
        assert!(dlnz < 1.0 / (l * l) as f64);
        // The specific heat diverges logarithmically with L at T_c.
        assert!(k.specific_heat_per_spin > prev_c);
        prev = du;
        prev_c = k.specific_heat_per_spin;
    }
}

#[test]
fn kaufman_stays_finite_on_huge_lattices_and_extreme_temperatures() {
    for &t in &[0.05, 0.3, 1.0, 2.2, TC, 2.3, 4.0, 30.0, 99.9] {
        for &(m, n) in &[(1024, 1024), (2, 1024), (1024, 3)] {
            let k = kaufman(m, n, t, 1.0).unwrap();
            for v in [
                k.log_z,
                k.log_z_per_spin,
                k.free_energy_per_spin,
                k.energy_per_spin,
                k.specific_heat_per_spin,
            ] {
                assert!(v.is_finite(), "{m}x{n} T={t}: {k:?}");
            }
            // ln Z/N between its bounds: ln 2 + 2K·(−1)… and ln 2 + 2K.
            assert!(k.log_z_per_spin <= LN2 + 2.0 / t + 1e-12);
            assert!(k.log_z_per_spin >= (2.0 / t).max(LN2) - 1e-12);
            assert!(k.energy_per_spin >= -2.0 - 1e-12 && k.energy_per_spin <= 1e-12);
            assert!(k.specific_heat_per_spin >= -1e-12);
        }
    }
    // Very low temperature: ground state only, u → −2J, ln Z → 2NK + ln 2.
    let k = kaufman(1024, 1024, 0.05, 1.0).unwrap();
    assert!((k.energy_per_spin + 2.0).abs() < 1e-12);
    assert!((k.log_z - (2.0 * 1024.0 * 1024.0 * 20.0 + LN2)).abs() < 1e-6);
    // Extreme couplings: K = 10⁻⁶ and K = 10⁶.
    for &(t, j) in &[(1e6, 1.0), (1e-3, 1e3)] {
        let k = kaufman(1024, 1024, t, j).unwrap();
        assert!(
            k.log_z.is_finite() && k.energy_per_spin.is_finite(),
            "{k:?}"
        );
        assert!(k.specific_heat_per_spin.is_finite() && k.specific_heat_per_spin >= 0.0);
    }
    let k = kaufman(1024, 1024, 1e6, 1.0).unwrap();
    // High-T series: ln Z/N = ln 2 + K² + O(K⁴), u = −2K + O(K³), c = 2K² + O(K⁴).
    // (The mode sums cancel to O(K) here, so u keeps ~1e−10 relative accuracy.)
    assert!((k.log_z_per_spin - LN2 - 1e-12).abs() < 1e-14);
    assert!((k.energy_per_spin + 2e-6).abs() < 1e-15);
    assert!((k.specific_heat_per_spin - 2e-12).abs() < 1e-20);
    // Very large K (J/T = 5000) still works.
    let k = kaufman(64, 64, 0.01, 50.0).unwrap();
    assert!(
        (k.energy_per_spin / 50.0 + 2.0).abs() < 1e-12 && k.specific_heat_per_spin.abs() < 1e-12
    );
}

const LN2: f64 = std::f64::consts::LN_2;

#[test]
fn onsager_energy_is_derivative_of_log_z() {
    for &t in &[0.8, 1.5, 2.0, 2.5, 3.0, 5.0, 20.0] {
        let k = 1.0 / t;
        let h = 2e-5;
        let f = |kk: f64| onsager_log_z_per_spin(1.0 / kk, 1.0).unwrap();
        let d = (f(k + h) - f(k - h)) / (2.0 * h);
        let u = onsager_energy_per_spin(t, 1.0).unwrap();
        eprintln!(
            "Onsager T={t}: u = {u:.15}, −dlnZ/dK = {:.15}, Δ = {:.2e}",
            -d,
            (u + d).abs()
        );
        assert!((u + d).abs() < 1e-8, "T={t}: u {u} vs {}", -d);
    }
    // Also with J ≠ 1: u scales with J, ln Z depends on J/T only.
    let (u1, u2) = (
        onsager_energy_per_spin(1.7, 1.0).unwrap(),
        onsager_energy_per_spin(3.4, 2.0).unwrap(),
    );
    assert!((2.0 * u1 - u2).abs() < 1e-14);
}

#[test]
fn onsager_values_at_and_near_tc() {
    let u = onsager_energy_per_spin(TC, 1.0).unwrap();
    assert!((u + std::f64::consts::SQRT_2).abs() < 1e-14, "u(T_c) = {u}");
    // Continuity of u through T_c (the elliptic term is ~ x ln x).
    for &dt in &[1e-6, 1e-9, 1e-12] {
        for s in [-1.0, 1.0] {
            let u = onsager_energy_per_spin(TC * (1.0 + s * dt), 1.0).unwrap();
            assert!((u + std::f64::consts::SQRT_2).abs() < 1e-4, "{dt}: {u}");
        }
    }
    // ln Z/N at T_c = ½ ln 2 + 2G/π (G = Catalan's constant).
    let catalan = 0.915_965_594_177_219;
    let exact = 0.5 * LN2 + 2.0 * catalan / std::f64::consts::PI;
    let lnz = onsager_log_z_per_spin(TC, 1.0).unwrap();
    eprintln!("ln Z/N at T_c: {lnz:.16} vs {exact:.16}");
    assert!((lnz - exact).abs() < 2e-15);
    // Continuity of ln Z/N just off T_c (|Δ| ≈ |u|·|ΔK|).
    for &dt in &[1e-8, 1e-11] {
        for s in [-1.0, 1.0] {
            let l = onsager_log_z_per_spin(TC * (1.0 + s * dt), 1.0).unwrap();
            assert!((l - exact).abs() < 2.0 * dt, "{dt}: {l}");
        }
    }
    // High- and low-temperature limits.
    // High-temperature series u = −2v − 4v³(1 − v²) + O(v⁵), v = tanh K.
    let t = 1e4f64;
    let v = (1.0 / t).tanh();
    let series = -2.0 * v - 4.0 * v.powi(3) * (1.0 - v * v);
    let u = onsager_energy_per_spin(t, 1.0).unwrap();
    assert!(
        ((u - series) / series).abs() < 1e-12,
        "high T: {u} vs {series}"
    );
    let l = onsager_log_z_per_spin(t, 1.0).unwrap();
    // ln Z/N = ln 2 + 2 ln cosh K + O(K⁴) … ≈ ln 2 + K² to O(K⁴).
    assert!((l - LN2 - 1.0 / (t * t)).abs() < 1e-14);
    let u = onsager_energy_per_spin(0.1, 1.0).unwrap();
    assert!((u + 2.0).abs() < 1e-15);
}

#[test]
fn yang_magnetization_values() {
    assert_eq!(yang_magnetization(TC, 1.0).unwrap(), 0.0);
    for &t in &[2.27, 2.5, 3.0, 100.0] {
        assert_eq!(yang_magnetization(t, 1.0).unwrap(), 0.0);
    }
    assert!((yang_magnetization(0.05, 1.0).unwrap() - 1.0).abs() < 1e-15);
    // Low-temperature series m = 1 − 2x⁴ − 8x⁶ − 34x⁸ − …, x = e^{−2K}.
    let x = (-2.0 / 0.5f64).exp();
    let series = 1.0 - 2.0 * x.powi(4) - 8.0 * x.powi(6) - 34.0 * x.powi(8);
    let m = yang_magnetization(0.5, 1.0).unwrap();
    assert!((m - series).abs() < 1e-15, "{m} vs {series}");
    // Plain formula at T = 2.0 and 2.2.
    for &t in &[1.0f64, 2.0, 2.2] {
        let plain = (1.0 - (2.0 / t).sinh().powi(-4)).powf(0.125);
        let m = yang_magnetization(t, 1.0).unwrap();
        assert!((m - plain).abs() < 1e-14, "T={t}: {m} vs {plain}");
    }
    // J scaling and monotone decrease.
    assert_eq!(
        yang_magnetization(4.0, 2.0).unwrap(),
        yang_magnetization(2.0, 1.0).unwrap()
    );
    let mut prev = 1.0;
    for i in 1..=226 {
        let m = yang_magnetization(0.01 * i as f64, 1.0).unwrap();
        assert!(m <= prev && m > 0.0);
        prev = m;
    }
}

fn assert_invalid<T: std::fmt::Debug>(r: vrg::Result<T>) {
    assert!(matches!(r, Err(Error::InvalidParameter { .. })), "{r:?}");
}

#[test]
fn bad_input_is_rejected() {
    for &(t, j) in &[
        (0.0, 1.0),
        (-1.0, 1.0),
        (f64::NAN, 1.0),
        (f64::INFINITY, 1.0),
        (1.0, 0.0),
        (1.0, -1.0),
        (1.0, f64::NAN),
        (1.0, f64::INFINITY),
        (1e-320, 1e10),
    ] {
        assert_invalid(onsager_energy_per_spin(t, j));
        assert_invalid(onsager_log_z_per_spin(t, j));
        assert_invalid(yang_magnetization(t, j));
        assert_invalid(kaufman(4, 4, t, j));
    }
    assert_invalid(kaufman(1, 4, 1.0, 1.0));
    assert_invalid(kaufman(4, 1, 1.0, 1.0));
    assert_invalid(kaufman(0, 0, 1.0, 1.0));
}

#[test]
fn kaufman_derivatives_match_finite_differences() {
    // u = −J ∂(ln Z/N)/∂K and c = −(K²/J) ∂u/∂K by central differences in K,
    // including near T_c on a large lattice where ∂c/∂K is large.
    for &(m, n) in &[(7, 9), (3, 256), (512, 512)] {
        for &t in &[1.2, 2.0, TC, 2.3, 4.0] {
            let k0 = 1.0 / t;
            let h = 1e-5 * k0;
            let at = |k: f64| kaufman(m, n, 1.0 / k, 1.0).unwrap();
            let (lo, mid, hi) = (at(k0 - h), at(k0), at(k0 + h));
            let u_fd = -(hi.log_z_per_spin - lo.log_z_per_spin) / (2.0 * h);
            let c_fd = -k0 * k0 * (hi.energy_per_spin - lo.energy_per_spin) / (2.0 * h);
            let (du, dc) = (
                (mid.energy_per_spin - u_fd).abs(),
                (mid.specific_heat_per_spin - c_fd).abs() / mid.specific_heat_per_spin,
            );
            assert!(
                du < 1e-8,
                "{m}x{n} T={t}: u {} vs {u_fd}",
                mid.energy_per_spin
            );
            assert!(
                dc < 1e-6,
                "{m}x{n} T={t}: c {} vs {c_fd}",
                mid.specific_heat_per_spin
            );
        }
    }
}

#[test]
fn kaufman_is_continuous_across_its_branch_switch() {
    // γ_l switches form at sinh 2K = 2, i.e. T = 2/asinh 2.
    let t_switch = 2.0 / 2.0f64.asinh();
    for &(m, n) in &[(4, 6), (64, 64), (2, 512)] {
        let a = kaufman(m, n, t_switch * (1.0 - 1e-13), 1.0).unwrap();
        let b = kaufman(m, n, t_switch * (1.0 + 1e-13), 1.0).unwrap();
        assert!((a.log_z_per_spin - b.log_z_per_spin).abs() < 1e-12);
        assert!((a.energy_per_spin - b.energy_per_spin).abs() < 1e-12);
        assert!((a.specific_heat_per_spin - b.specific_heat_per_spin).abs() < 1e-11);
    }
}

#[test]
fn kaufman_specific_heat_grows_logarithmically_at_tc() {
    // Ferdinand & Fisher (1969): c_L(T_c) = (2/π) ln²(1+√2) · ln L + const + o(1),
    // so doubling L adds (2/π) ln²(1+√2) ln 2 ≈ 0.34276.
    let slope = 2.0 / std::f64::consts::PI * (1.0 + std::f64::consts::SQRT_2).ln().powi(2);
    let c = |l: usize| kaufman(l, l, TC, 1.0).unwrap().specific_heat_per_spin;
    let step = c(512) - c(256);
    assert!(
        (step - slope * LN2).abs() < 1e-3,
        "{step} vs {}",
        slope * LN2
    );
}
