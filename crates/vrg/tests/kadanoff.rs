//! Kadanoff's lower-bound renormalization and the Migdal–Kadanoff
//! recursion against closed forms and Onsager's free energy.

use vrg::ising::exact::{onsager_log_z_per_spin, CRITICAL_COUPLING};
use vrg::rg::kadanoff::{
    block_cell_log_z_bound, block_cell_step, block_cell_variational, free_energy_per_spin,
    kadanoff_variational, migdal_kadanoff, migdal_kadanoff_step, optimal_parameter,
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
        for m in [
            Method::Variational,
            Method::Checkerboard,
            Method::MigdalKadanoff,
        ] {
            let f = free_energy_per_spin(m, k).unwrap();
            // To rounding: at K = 20 both sides are 40 to 15 digits.
            assert!(
                f <= exact + 1e-13 * exact.abs(),
                "{m:?} K = {k}: {f} > exact {exact}"
            );
        }
    }
    // At high temperature the potential-moving bound is tight: within 1%
    // up to K = 0.3 (0.43% there), much tighter than bond moving (12%).
    for &k in &[0.05, 0.1, 0.2, 0.3] {
        let exact = -onsager_log_z_per_spin(1.0 / k, 1.0).unwrap();
        let f = free_energy_per_spin(Method::Checkerboard, k).unwrap();
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
    let v = free_energy_per_spin(Method::Checkerboard, k).unwrap();
    assert!((-v - (ln2 + k * k)).abs() < 1e-7, "{v}");
    let m = free_energy_per_spin(Method::MigdalKadanoff, k).unwrap();
    assert!((-m - (ln2 + 2.0 * k * k)).abs() < 1e-7, "{m}");
    // Large K: bond moving gives ln Z/N → 2K + ⅓ ln 2 (the ground state plus
    // the spins the moves leave free, ¼ ln 2 per step weighted by 4⁻ⁿ).
    let k = 20.0;
    let m = free_energy_per_spin(Method::MigdalKadanoff, k).unwrap();
    assert!((-m - (2.0 * k + ln2 / 3.0)).abs() < 1e-9, "{m}");
}

/// The 16 configurations of a plaquette's spins (a, b, c, d) in cyclic
/// order, as ±1.
fn plaquette_configurations() -> Vec<[f64; 4]> {
    (0..16)
        .map(|k| std::array::from_fn(|i| if k >> i & 1 == 1 { -1.0 } else { 1.0 }))
        .collect()
}

/// g(μ) of the block-cell step summed directly, with the normalisation
/// ln 2cosh(pS) evaluated as it is (not through its expansion).
fn plaquette_function(k: [f64; 3], p: f64, mu: &[f64; 4]) -> f64 {
    plaquette_configurations()
        .iter()
        .map(|s| {
            let sum: f64 = s.iter().sum();
            let edges = s[0] * s[1] + s[1] * s[2] + s[2] * s[3] + s[3] * s[0];
            let diag = s[0] * s[2] + s[1] * s[3];
            let quad = s[0] * s[1] * s[2] * s[3];
            let coupling: f64 = (0..4).map(|i| mu[i] * s[i]).sum();
            (p * coupling + 2.0 * k[0] * edges + 4.0 * k[1] * diag + 4.0 * k[2] * quad
                - (2.0 * (p * sum).cosh()).ln())
            .exp()
        })
        .sum::<f64>()
        .ln()
}

#[test]
fn block_cell_step_is_the_exact_plaquette_sum() {
    // g(μ) = g₀ + (K₁′/2) Σ_edges μμ + K₂′ Σ_diag μμ + K₄′ μμμμ for all
    // 16 cell-spin configurations: the four coefficients carry g exactly.
    for (k, p) in [
        ([0.3, 0.05, -0.02], 0.7),
        ([0.1, 0.0, 0.0], 0.2),
        ([0.9, -0.1, 0.2], 1.4),
    ] {
        let (next, g0) = block_cell_step(k, p).unwrap();
        for mu in plaquette_configurations() {
            let edges = mu[0] * mu[1] + mu[1] * mu[2] + mu[2] * mu[3] + mu[3] * mu[0];
            let diag = mu[0] * mu[2] + mu[1] * mu[3];
            let quad = mu[0] * mu[1] * mu[2] * mu[3];
            let expansion = g0 + 0.5 * next[0] * edges + next[1] * diag + next[2] * quad;
            let direct = plaquette_function(k, p, &mu);
            assert!(
                (expansion - direct).abs() < 1e-12,
                "{k:?} {p}: {expansion} vs {direct}"
            );
        }
    }
    // An independent implementation (NumPy, 2026-12-02) of the same step.
    let (next, g0) = block_cell_step([0.3, 0.05, -0.02], 0.7).unwrap();
    let expected = [0.226_369_69, 0.024_760_60, 0.003_133_79];
    for i in 0..3 {
        assert!((next[i] - expected[i]).abs() < 1e-8, "{next:?}");
    }
    assert!((g0 - 2.533_204_229_156).abs() < 1e-10, "{g0}");
}

#[test]
fn block_cell_bound_holds_for_every_parameter() {
    // Any p gives an upper bound on ln Z/N (a lower bound on f); K = 0 with
    // p → 0 is exact (ln 2), and the optimal p is better than its
    // neighbours.
    assert!((block_cell_log_z_bound([0.0; 3], 0.0).unwrap() - 2f64.ln()).abs() < 1e-14);
    for &k in &[0.1, 0.3, CRITICAL_COUPLING, 0.6, 1.5] {
        let exact = onsager_log_z_per_spin(1.0 / k, 1.0).unwrap();
        for &p in &[0.0, 0.2, 0.5, 0.8, 1.2, 3.0] {
            let bound = block_cell_log_z_bound([k, 0.0, 0.0], p).unwrap();
            assert!(bound >= exact, "K = {k}, p = {p}: {bound} < {exact}");
        }
        let best = optimal_parameter([k, 0.0, 0.0]).unwrap();
        let at = |p: f64| block_cell_log_z_bound([k, 0.0, 0.0], p).unwrap();
        assert!(
            at(best) <= at(best + 1e-3) && at(best) <= at(best - 1e-3),
            "K = {k}"
        );
    }
    let bound = block_cell_log_z_bound([0.3, 0.0, 0.0], 0.7).unwrap();
    assert!((bound - 0.873_428_581_131).abs() < 1e-9, "{bound}");
    assert!(block_cell_step([f64::NAN, 0.0, 0.0], 0.5).is_err());
    assert!(block_cell_step([0.3, 0.0, 0.0], -1.0).is_err());
}

#[test]
fn block_cell_fixed_point_parameter_and_nu() {
    let r = block_cell_variational().unwrap();
    let p = r.parameter.unwrap();
    let k = [r.fixed_point[0], r.fixed_point[1], r.fixed_point[2]];
    // A fixed point of R_p*, and p* is the best parameter there.
    let (next, _) = block_cell_step(k, p).unwrap();
    for i in 0..3 {
        assert!((next[i] - k[i]).abs() < 1e-12, "{next:?} vs {k:?}");
    }
    assert!((optimal_parameter(k).unwrap() - p).abs() < 1e-7);
    // The independent NumPy implementation's numbers.
    assert!((p - 0.760_988_542_2).abs() < 1e-6, "p* = {p}");
    let expected = [0.317_441_6, 0.107_706_62, -0.007_530_31];
    for i in 0..3 {
        assert!((k[i] - expected[i]).abs() < 1e-6, "{k:?}");
    }
    assert!(
        (r.thermal_eigenvalue - 2.024_457_132).abs() < 1e-5,
        "{}",
        r.thermal_eigenvalue
    );
    assert!((r.nu - 0.982_767_086_5).abs() < 1e-5, "ν = {}", r.nu);
    assert!(
        (r.critical_coupling - 0.483_646_661_5).abs() < 1e-6,
        "{}",
        r.critical_coupling
    );
    assert_eq!(r.rescaling, 2.0);
    // ν within 5% of 1; K_c misses the 1% target (see the module docs).
    assert!((r.nu - 1.0).abs() < 0.05);
    assert!(r.critical_coupling > CRITICAL_COUPLING);
}
