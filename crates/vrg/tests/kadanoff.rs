//! Kadanoff's lower-bound renormalization and the Migdal–Kadanoff
//! recursion against closed forms and Onsager's free energy.

use vrg::ising::exact::{onsager_log_z_per_spin, CRITICAL_COUPLING};
use vrg::rg::kadanoff::{
    free_energy_per_spin, kadanoff_variational, migdal_kadanoff, migdal_kadanoff_step,
    variational_step, Method,
};

#[test]
fn migdal_kadanoff_fixed_point_and_nu() {
    let r = migdal_kadanoff();
    let k = r.fixed_point[0];
    assert!((k - 0.304_688_931_7).abs() < 1e-8, "K* = {k}");
    assert!((r.nu - 1.338_265_79).abs() < 1e-8, "ν = {}", r.nu);
    // K* is a fixed point of K′ = ½ ln cosh 4K and λ = dK′/dK there.
    assert!((migdal_kadanoff_step(k).unwrap() - k).abs() < 1e-14);
    let h = 1e-6;
    let slope =
        (migdal_kadanoff_step(k + h).unwrap() - migdal_kadanoff_step(k - h).unwrap()) / (2.0 * h);
    assert!((slope - r.thermal_eigenvalue).abs() < 1e-8);
    assert_eq!(r.critical_coupling, k);
}

#[test]
fn variational_fixed_point_eigenvalue_and_critical_coupling() {
    let r = kadanoff_variational();
    let fp = [r.fixed_point[0], r.fixed_point[1], 0.0];
    let (next, _) = variational_step(fp).unwrap();
    assert!((next[0] - fp[0]).abs() < 1e-14 && (next[1] - fp[1]).abs() < 1e-14);
    assert!((next[2] - r.fixed_point[2]).abs() < 1e-14);
    // λ: the largest eigenvalue of the numerical Jacobian in (K₁, K₂).
    let h = 1e-6;
    let mut j = [[0.0; 2]; 2];
    for col in 0..2 {
        let mut up = fp;
        let mut down = fp;
        up[col] += h;
        down[col] -= h;
        let (a, _) = variational_step(up).unwrap();
        let (b, _) = variational_step(down).unwrap();
        for row in 0..2 {
            j[row][col] = (a[row] - b[row]) / (2.0 * h);
        }
    }
    let tr = j[0][0] + j[1][1];
    let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    let lambda = 0.5 * (tr + (tr * tr - 4.0 * det).sqrt());
    assert!((lambda - r.thermal_eigenvalue).abs() < 1e-7, "{lambda}");
    // What this recursion gives (see the doc of kadanoff_variational): it
    // does not reach the 1% bar on K_c; ν is within 5% of 1.
    assert!(
        (r.critical_coupling - 0.402_947_073_5).abs() < 1e-8,
        "{}",
        r.critical_coupling
    );
    assert!((r.nu - 0.974_096_149_6).abs() < 1e-8, "{}", r.nu);
    assert!((r.nu - 1.0).abs() < 0.05);
    assert!(r.critical_coupling < CRITICAL_COUPLING);
}

#[test]
fn both_free_energies_are_lower_bounds_on_onsager() {
    // f = −ln Z/N; each moved model has ln Z_moved ≥ ln Z (convexity with
    // ⟨V⟩_H = 0), so the recursions' f lies below the exact one.
    for &k in &[
        0.01,
        0.05,
        0.1,
        0.2,
        0.3,
        0.4,
        CRITICAL_COUPLING,
        0.5,
        0.7,
        1.0,
        2.0,
        20.0,
    ] {
        let exact = -onsager_log_z_per_spin(1.0 / k, 1.0).unwrap();
        for m in [Method::Variational, Method::MigdalKadanoff] {
            let f = free_energy_per_spin(m, k).unwrap();
            assert!(f <= exact, "{m:?} K = {k}: {f} > exact {exact}");
        }
    }
    // At high temperature the potential-moving bound is tight: within 1%
    // up to K = 0.3 (0.43% there), much tighter than bond moving (12%).
    for &k in &[0.05, 0.1, 0.2, 0.3] {
        let exact = -onsager_log_z_per_spin(1.0 / k, 1.0).unwrap();
        let f = free_energy_per_spin(Method::Variational, k).unwrap();
        assert!(exact - f < 0.01 * exact.abs(), "K = {k}: {f} vs {exact}");
        let mk = free_energy_per_spin(Method::MigdalKadanoff, k).unwrap();
        assert!(
            mk < f,
            "K = {k}: bond moving {mk} should be the looser bound"
        );
    }
}

#[test]
fn free_energy_limits() {
    // Small K: exactly ln Z/N = ln 2 + K² + O(K⁴). Potential moving keeps
    // every nn bond in place and gets K²; bond moving doubles half the bonds
    // and gets 2K² (a bound, not a tangent).
    let k: f64 = 0.01;
    let ln2 = 2f64.ln();
    let v = free_energy_per_spin(Method::Variational, k).unwrap();
    assert!((-v - (ln2 + k * k)).abs() < 1e-7, "{v}");
    let m = free_energy_per_spin(Method::MigdalKadanoff, k).unwrap();
    assert!((-m - (ln2 + 2.0 * k * k)).abs() < 1e-7, "{m}");
    // Large K: bond moving gives ln Z/N → 2K + ⅓ ln 2 (the ground state plus
    // the spins the moves leave free, ¼ ln 2 per step weighted by 4⁻ⁿ).
    let k = 20.0;
    let m = free_energy_per_spin(Method::MigdalKadanoff, k).unwrap();
    assert!((-m - (2.0 * k + ln2 / 3.0)).abs() < 1e-9, "{m}");
}
