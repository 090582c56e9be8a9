//! Tests of `vrg::linalg::log_sums`: on every path this processor supports
//! (named in the output: run with `--nocapture`), the vectorised sums of
//! softplus and ln 2cosh equal the standard library's scalar forms summed
//! in order within the documented bound `max_error`, on random inputs of
//! magnitudes up to 700 and lengths that leave every remainder; the fused
//! update x ← x + δw stores the same x as a plain multiply-add; the product
//! walk's Σ ln(1 + e_i) matches `ln_1p` within its bound for e up to e^{±300}.

use rand::{Rng as _, RngCore};
use vrg::linalg::log_sums::{
    axpy_log_sum, axpy_log_sum_on, log_sum, log_sum_on, max_error, LogSum, SumPath,
};

fn reference(kind: LogSum, x: &[f64]) -> f64 {
    x.iter()
        .map(|&v| match kind {
            LogSum::Softplus => vrg::rbm::softplus(v),
            LogSum::Ln2Cosh => vrg::rbm::ln_2cosh(v),
        })
        .sum()
}

/// Inputs of length n at magnitude `scale` (uniform in ±scale), with a few
/// exact extremes (±700, 0) mixed in.
fn inputs(rng: &mut impl RngCore, n: usize, scale: f64) -> Vec<f64> {
    (0..n)
        .map(|i| match i % 97 {
            13 => 700.0,
            41 => -700.0,
            77 => 0.0,
            _ => scale * (2.0 * rng.random::<f64>() - 1.0),
        })
        .collect()
}

#[test]
fn every_path_matches_the_scalar_sums_within_the_bound() {
    let mut rng = vrg::rng::root(2026);
    let paths: Vec<SumPath> = SumPath::ALL.into_iter().filter(|p| p.supported()).collect();
    let names: Vec<&str> = paths.iter().map(|p| p.name()).collect();
    println!("log-sum paths on this processor: {}", names.join(", "));
    assert!(paths.contains(&SumPath::Portable));
    for kind in [LogSum::Softplus, LogSum::Ln2Cosh] {
        for &path in &paths {
            // Worst error relative to the bound, and relative to the sum.
            let (mut worst_of_bound, mut worst_relative) = (0.0f64, 0.0f64);
            for &n in &[0usize, 1, 3, 7, 8, 9, 31, 100, 784, 1000, 4099, 5003] {
                for &scale in &[0.5, 5.0, 40.0, 700.0] {
                    let x = inputs(&mut rng, n, scale);
                    let expected = reference(kind, &x);
                    let found = log_sum_on(path, kind, &x).unwrap();
                    let error = (found - expected).abs();
                    let bound = max_error(kind, &x);
                    assert!(
                        error <= bound,
                        "{} {kind:?} n={n} scale={scale}: {found} vs {expected} (bound {bound:e})",
                        path.name()
                    );
                    if n > 0 {
                        worst_of_bound = worst_of_bound.max(error / bound);
                        worst_relative = worst_relative.max(error / expected.abs().max(1.0));
                    }
                }
            }
            println!(
                "{:>8} {kind:?}: worst error {worst_of_bound:.2e} of the bound, \
                 {worst_relative:.2e} relative",
                path.name()
            );
        }
    }
}

#[test]
fn the_fused_update_stores_x_plus_delta_w() {
    let mut rng = vrg::rng::root(7);
    for path in SumPath::ALL.into_iter().filter(|p| p.supported()) {
        for kind in [LogSum::Softplus, LogSum::Ln2Cosh] {
            for &n in &[1usize, 5, 16, 785] {
                let x = inputs(&mut rng, n, 30.0);
                let w = inputs(&mut rng, n + 3, 2.0);
                let delta = -1.0;
                let mut updated = x.clone();
                let sum = axpy_log_sum_on(path, kind, &mut updated, delta, &w).unwrap();
                let expected: Vec<f64> = x.iter().zip(&w).map(|(&a, &b)| a + delta * b).collect();
                for (i, (u, e)) in updated.iter().zip(&expected).enumerate() {
                    // ±1 times w is exact, so a fused and an unfused add agree.
                    assert_eq!(u, e, "{} {kind:?} n={n} element {i}", path.name());
                }
                let direct = log_sum_on(path, kind, &updated).unwrap();
                assert!(
                    (sum - direct).abs() <= 4.0 * f64::EPSILON * direct.abs(),
                    "{} {kind:?} n={n}: {sum} vs {direct}",
                    path.name()
                );
            }
        }
    }
}

#[test]
fn the_default_entry_points_take_the_best_path() {
    let mut rng = vrg::rng::root(3);
    let x = inputs(&mut rng, 300, 20.0);
    let best = SumPath::best();
    assert!(best.supported());
    for kind in [LogSum::Softplus, LogSum::Ln2Cosh] {
        assert_eq!(log_sum(kind, &x), log_sum_on(best, kind, &x).unwrap());
        let w = inputs(&mut rng, 300, 1.0);
        let (mut a, mut b) = (x.clone(), x.clone());
        assert_eq!(
            axpy_log_sum(kind, &mut a, 1.0, &w),
            axpy_log_sum_on(best, kind, &mut b, 1.0, &w).unwrap()
        );
        assert_eq!(a, b);
    }
}

/// The product walk's sum Σ ln(1 + e_i) (after e ← e·f) on every path
/// against the standard library's `ln_1p` in order, for e from e^{−600}
/// to e^{600}, within the documented bound (n + 32)·ε·Σ(1 + ln(1 + e_i)).
#[test]
fn scaled_log1p_sums_match_ln_1p_within_the_bound() {
    use vrg::linalg::log_sums::{scaled_log1p_sum, scaled_log1p_sum_on};
    let mut rng = vrg::rng::root(11);
    for path in SumPath::ALL.into_iter().filter(|p| p.supported()) {
        let mut worst = 0.0f64;
        for &n in &[0usize, 1, 7, 8, 33, 784, 4101, 9000] {
            for &scale in &[1.0, 30.0, 300.0] {
                let e: Vec<f64> = inputs(&mut rng, n, scale)
                    .iter()
                    .map(|a| (a.clamp(-300.0, 300.0)).exp())
                    .collect();
                let f: Vec<f64> = inputs(&mut rng, n, 1.0)
                    .iter()
                    .map(|w| w.clamp(-1.0, 1.0).exp())
                    .collect();
                let scaled: Vec<f64> = e.iter().zip(&f).map(|(a, b)| a * b).collect();
                let expected: f64 = scaled.iter().map(|v| v.ln_1p()).sum();
                let bound = (n as f64 + 32.0)
                    * f64::EPSILON
                    * scaled.iter().map(|v| 1.0 + v.ln_1p()).sum::<f64>();
                let mut walked = e.clone();
                let found = scaled_log1p_sum_on(path, &mut walked, Some(&f)).unwrap();
                assert_eq!(walked, scaled, "{} n={n}: e ← e·f", path.name());
                let error = (found - expected).abs();
                assert!(
                    error <= bound,
                    "{} n={n} scale={scale}: {found} vs {expected} (bound {bound:e})",
                    path.name()
                );
                let mut again = scaled.clone();
                let plain = scaled_log1p_sum_on(path, &mut again, None).unwrap();
                assert_eq!(again, scaled);
                assert!((plain - expected).abs() <= bound);
                if n > 0 {
                    worst = worst.max(error / bound);
                }
            }
        }
        println!(
            "{:>8} ln(1 + e) sums: worst error {worst:.2e} of the bound",
            path.name()
        );
    }
    let mut e = vec![1.0; 20];
    assert_eq!(
        scaled_log1p_sum(&mut e, None),
        scaled_log1p_sum_on(SumPath::best(), &mut [1.0; 20], None).unwrap()
    );
}
