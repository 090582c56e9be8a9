//! Tests of `vrg::rbm`: free energies against brute-force sums of the
//! energy, the two marginals' partition functions against each other,
//! conditionals against energy ratios, samplers against conditionals
//! (z-scores), determinism across thread counts, and shape errors.

use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits, SAMPLING_CHUNK_ROWS};
use vrg::rng::{self, Rng};
use vrg::Error;

mod common;
use common::{all_states, assert_close, log_sum_exp, normal, random_model, PAIRS};

/// The two values of a discrete unit: (off, on).
fn off_on_visible(units: VisibleUnits) -> (f32, f32) {
    match units {
        VisibleUnits::Bernoulli => (0.0, 1.0),
        VisibleUnits::Spin => (-1.0, 1.0),
        VisibleUnits::Gaussian => unreachable!("Gaussian units are not discrete"),
    }
}

fn off_on_hidden(units: HiddenUnits) -> (f32, f32) {
    match units {
        HiddenUnits::Bernoulli => (0.0, 1.0),
        HiddenUnits::Spin => (-1.0, 1.0),
        HiddenUnits::Gaussian => unreachable!("Gaussian units are not discrete"),
    }
}

/// A random configuration of discrete units, or N(0, 2²) for Gaussian ones.
fn random_visible(units: VisibleUnits, n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n)
        .map(|_| match units {
            VisibleUnits::Gaussian => (2.0 * normal(rng)) as f32,
            discrete => {
                let (off, on) = off_on_visible(discrete);
                if rng::uniform(rng) < 0.5 {
                    off
                } else {
                    on
                }
            }
        })
        .collect()
}

fn random_hidden(units: HiddenUnits, n: usize, rng: &mut Rng) -> Vec<f32> {
    let (off, on) = off_on_hidden(units);
    (0..n)
        .map(|_| if rng::uniform(rng) < 0.5 { off } else { on })
        .collect()
}

/// Model sizes for the exhaustive tests, n_visible ≤ 8, n_hidden ≤ 6.
const SIZES: [(usize, usize); 5] = [(1, 1), (3, 2), (5, 6), (8, 3), (8, 6)];

/// Weight scales: small, and large enough that unit inputs reach |x| ≈ 20 and beyond.
const SCALES: [f64; 2] = [0.3, 5.0];

/// H(v) = −ln Σ_h e^{−E(v,h)} by enumeration of h, using only `energy`.
fn brute_free_energy_visible(rbm: &Rbm, v: &[f32]) -> f64 {
    let hs = all_states(off_on_hidden(rbm.hidden_units()), rbm.n_hidden());
    -log_sum_exp(
        hs.chunks_exact(rbm.n_hidden())
            .map(|h| -rbm.energy(v, h).unwrap()),
    )
}

#[test]
fn free_energy_visible_equals_brute_force_sum_over_hiddens() {
    let mut sample_rng = rng::root(11);
    let mut max_input = 0.0f32;
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        for (size_index, &(nv, nh)) in SIZES.iter().enumerate() {
            for &scale in &SCALES {
                let seed = (pair_index * 100 + size_index * 10) as u64 + scale as u64;
                let rbm = random_model(visible, hidden, nv, nh, scale, seed);
                let rows = 7;
                let v: Vec<f32> = (0..rows)
                    .flat_map(|_| random_visible(visible, nv, &mut sample_rng))
                    .collect();
                let mut x = vec![0.0; rows * nh];
                rbm.visible_to_hidden_input(&v, rows, &mut x).unwrap();
                max_input = x.iter().fold(max_input, |m, xi| m.max(xi.abs()));
                let free = rbm.free_energy_visible(&v, rows).unwrap();
                assert_eq!(free.len(), rows);
                for (r, v_row) in v.chunks_exact(nv).enumerate() {
                    let expected = brute_free_energy_visible(&rbm, v_row);
                    let context = format!("{visible}/{hidden} {nv}×{nh} scale {scale} row {r}");
                    assert_close(free[r], expected, 1e-9, &context);
                }
            }
        }
    }
    assert!(
        max_input > 20.0,
        "the test must reach large inputs, got {max_input}"
    );
}

#[test]
fn free_energy_hidden_equals_brute_force_sum_over_discrete_visibles() {
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        if !visible.is_discrete() {
            continue;
        }
        for (size_index, &(nv, nh)) in SIZES.iter().enumerate() {
            for &scale in &SCALES {
                let seed = 1000 + (pair_index * 100 + size_index * 10) as u64 + scale as u64;
                let rbm = random_model(visible, hidden, nv, nh, scale, seed);
                let vs = all_states(off_on_visible(visible), nv);
                let hs = all_states(off_on_hidden(hidden), nh);
                let free = rbm.free_energy_hidden(&hs, 1 << nh).unwrap();
                for (k, h) in hs.chunks_exact(nh).enumerate() {
                    let expected =
                        -log_sum_exp(vs.chunks_exact(nv).map(|v| -rbm.energy(v, h).unwrap()));
                    let context = format!("{visible}/{hidden} {nv}×{nh} scale {scale} h #{k}");
                    assert_close(free[k], expected, 1e-9, &context);
                }
            }
        }
    }
}

/// ln ∫ e^{−E(v,h)} dv for Gaussian visible units by quadrature, using only
/// `energy`: E is a sum of one-unit terms in v for fixed h, so
/// ∫ e^{−E(v,h)} dv = e^{−E(0,h)} Π_i ∫ e^{−[E(t e_i, h) − E(0, h)]} dt,
/// each 1-D integral by the trapezoid rule (spectrally accurate for a
/// Gaussian integrand) on ±15 around the unit's mean b_i + (Wh)_i.
fn gaussian_log_integral(rbm: &Rbm, h: &[f32]) -> f64 {
    let nv = rbm.n_visible();
    let nh = rbm.n_hidden();
    let zero = vec![0.0f32; nv];
    let e0 = rbm.energy(&zero, h).unwrap();
    let step = 0.01;
    let mut log_integral = -e0;
    let mut v = zero.clone();
    for i in 0..nv {
        let mean = f64::from(rbm.visible_bias()[i])
            + (0..nh)
                .map(|j| f64::from(rbm.weights()[i * nh + j]) * f64::from(h[j]))
                .sum::<f64>();
        let exponents: Vec<f64> = (-1500..=1500)
            .map(|k| {
                // The grid point in f32, since configurations are f32.
                v[i] = (mean + k as f64 * step) as f32;
                -(rbm.energy(&v, h).unwrap() - e0)
            })
            .collect();
        v[i] = 0.0;
        log_integral += log_sum_exp(exponents) + f64::ln(step);
    }
    log_integral
}

#[test]
fn free_energy_hidden_of_gaussian_visibles_equals_quadrature_over_visibles() {
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        if visible.is_discrete() {
            continue;
        }
        for (size_index, &(nv, nh)) in SIZES.iter().enumerate() {
            for &scale in &[0.3, 2.0] {
                let seed = 2000 + (pair_index * 100 + size_index * 10) as u64 + scale as u64;
                let rbm = random_model(visible, hidden, nv, nh, scale, seed);
                let hs = all_states(off_on_hidden(hidden), nh);
                let free = rbm.free_energy_hidden(&hs, 1 << nh).unwrap();
                for (k, h) in hs.chunks_exact(nh).enumerate() {
                    let expected = -gaussian_log_integral(&rbm, h);
                    let context = format!("{visible}/{hidden} {nv}×{nh} scale {scale} h #{k}");
                    // f32 grid points carry ~1e-7 relative rounding of t, so
                    // the quadrature is good to ~1e-9 only where |mean| is moderate.
                    assert_close(free[k], expected, 1e-8, &context);
                }
            }
        }
    }
}

#[test]
fn both_marginals_give_the_same_partition_function_for_discrete_units() {
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        if !visible.is_discrete() {
            continue;
        }
        for (size_index, &(nv, nh)) in SIZES.iter().enumerate() {
            for &scale in &SCALES {
                let seed = 3000 + (pair_index * 100 + size_index * 10) as u64 + scale as u64;
                let rbm = random_model(visible, hidden, nv, nh, scale, seed);
                let vs = all_states(off_on_visible(visible), nv);
                let hs = all_states(off_on_hidden(hidden), nh);
                let log_z_visible = log_sum_exp(
                    rbm.free_energy_visible(&vs, 1 << nv)
                        .unwrap()
                        .iter()
                        .map(|f| -f),
                );
                let log_z_hidden = log_sum_exp(
                    rbm.free_energy_hidden(&hs, 1 << nh)
                        .unwrap()
                        .iter()
                        .map(|f| -f),
                );
                let context = format!("{visible}/{hidden} {nv}×{nh} scale {scale} ln Z");
                assert_close(log_z_visible, log_z_hidden, 1e-9, &context);
            }
        }
    }
}

#[test]
fn both_marginals_give_the_same_partition_function_for_gaussian_visibles() {
    // n_visible = 2: integrate e^{−H(v)} on a 2-D grid (trapezoid rule).
    // Gaussian hidden units never sit with Gaussian visible units.
    for &hidden in &[HiddenUnits::Bernoulli, HiddenUnits::Spin] {
        for (seed, nh) in [(1u64, 1usize), (2, 3), (3, 4)] {
            let rbm = random_model(VisibleUnits::Gaussian, hidden, 2, nh, 1.0, 4000 + seed);
            let hs = all_states(off_on_hidden(hidden), nh);
            let log_z_hidden = log_sum_exp(
                rbm.free_energy_hidden(&hs, 1 << nh)
                    .unwrap()
                    .iter()
                    .map(|f| -f),
            );
            // Bounding box of the mixture's means b + Wh, widened by 12 σ.
            let mut low = [f64::INFINITY; 2];
            let mut high = [f64::NEG_INFINITY; 2];
            let mut means = vec![0.0f32; (1 << nh) * 2];
            rbm.mean_visibles(&hs, 1 << nh, &mut means).unwrap();
            for m in means.chunks_exact(2) {
                for i in 0..2 {
                    low[i] = low[i].min(f64::from(m[i]) - 12.0);
                    high[i] = high[i].max(f64::from(m[i]) + 12.0);
                }
            }
            let step = 0.05;
            let counts = [0, 1].map(|i| ((high[i] - low[i]) / step).ceil() as usize + 1);
            let mut grid = Vec::with_capacity(counts[0] * counts[1] * 2);
            for a in 0..counts[0] {
                for b in 0..counts[1] {
                    grid.push((low[0] + a as f64 * step) as f32);
                    grid.push((low[1] + b as f64 * step) as f32);
                }
            }
            let rows = counts[0] * counts[1];
            let log_z_visible = log_sum_exp(
                rbm.free_energy_visible(&grid, rows)
                    .unwrap()
                    .iter()
                    .map(|f| -f),
            ) + 2.0 * f64::ln(step);
            let context = format!("gaussian/{hidden} 2×{nh} ln Z");
            assert_close(log_z_visible, log_z_hidden, 1e-8, &context);
        }
    }
}

#[test]
fn hidden_conditionals_match_energy_ratios() {
    let mut rng = rng::root(5);
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        for &scale in &[0.5, 3.0] {
            let (nv, nh) = (7, 5);
            let rbm = random_model(visible, hidden, nv, nh, scale, 5000 + pair_index as u64);
            let rows = 6;
            let v: Vec<f32> = (0..rows)
                .flat_map(|_| random_visible(visible, nv, &mut rng))
                .collect();
            let mut mean = vec![0.0f32; rows * nh];
            rbm.mean_hiddens(&v, rows, &mut mean).unwrap();
            let (off, on) = off_on_hidden(hidden);
            for (r, v_row) in v.chunks_exact(nv).enumerate() {
                for j in 0..nh {
                    // The other hidden units' values must not matter.
                    let mut h = random_hidden(hidden, nh, &mut rng);
                    h[j] = on;
                    let e_on = rbm.energy(v_row, &h).unwrap();
                    h[j] = off;
                    let e_off = rbm.energy(v_row, &h).unwrap();
                    let delta = e_on - e_off;
                    // P(on)/P(off) = e^{−ΔE}: P(on) = 1/(1 + e^{ΔE}).
                    let p_on = 1.0 / (1.0 + delta.exp());
                    let expected = match hidden {
                        HiddenUnits::Bernoulli => p_on,
                        HiddenUnits::Spin => p_on - (1.0 - p_on),
                        HiddenUnits::Gaussian => unreachable!("PAIRS has discrete hidden units"),
                    };
                    let found = f64::from(mean[r * nh + j]);
                    assert!(
                        (found - expected).abs() < 1e-5,
                        "{visible}/{hidden} scale {scale} row {r} unit {j}: mean {found}, energy ratio gives {expected}"
                    );
                }
            }
        }
    }
}

#[test]
fn visible_conditionals_match_energy_ratios() {
    let mut rng = rng::root(6);
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        for &scale in &[0.5, 3.0] {
            let (nv, nh) = (7, 5);
            let rbm = random_model(visible, hidden, nv, nh, scale, 6000 + pair_index as u64);
            let rows = 6;
            let h: Vec<f32> = (0..rows)
                .flat_map(|_| random_hidden(hidden, nh, &mut rng))
                .collect();
            let mut mean = vec![0.0f32; rows * nv];
            rbm.mean_visibles(&h, rows, &mut mean).unwrap();
            for (r, h_row) in h.chunks_exact(nh).enumerate() {
                for i in 0..nv {
                    let mut v = random_visible(visible, nv, &mut rng);
                    let found = f64::from(mean[r * nv + i]);
                    let expected = match visible {
                        VisibleUnits::Gaussian => {
                            // E is ½t² − t a_i + const in t = v_i: the mean a_i is
                            // t − (E(t+1) − E(t−1))/2 and the curvature is 1.
                            // An integer t keeps t ± 1 exact in f32.
                            let t = v[i].round();
                            v[i] = t;
                            let e_mid = rbm.energy(&v, h_row).unwrap();
                            v[i] = t + 1.0;
                            let e_plus = rbm.energy(&v, h_row).unwrap();
                            v[i] = t - 1.0;
                            let e_minus = rbm.energy(&v, h_row).unwrap();
                            let curvature = e_plus + e_minus - 2.0 * e_mid;
                            assert!((curvature - 1.0).abs() < 1e-9, "unit variance: {curvature}");
                            f64::from(t) - (e_plus - e_minus) / 2.0
                        }
                        discrete => {
                            let (off, on) = off_on_visible(discrete);
                            v[i] = on;
                            let e_on = rbm.energy(&v, h_row).unwrap();
                            v[i] = off;
                            let e_off = rbm.energy(&v, h_row).unwrap();
                            let p_on = 1.0 / (1.0 + (e_on - e_off).exp());
                            if discrete == VisibleUnits::Spin {
                                2.0 * p_on - 1.0
                            } else {
                                p_on
                            }
                        }
                    };
                    assert!(
                        (found - expected).abs() < 1e-5 * expected.abs().max(1.0),
                        "{visible}/{hidden} scale {scale} row {r} unit {i}: mean {found}, energy gives {expected}"
                    );
                }
            }
        }
    }
}

const N_SAMPLES: usize = 20_000;

/// z-scores of the column means of `samples` (`N_SAMPLES × n`) against
/// `means`, with per-unit variances `variances`; asserts |z| < 4.5.
fn assert_means_converge(samples: &[f32], means: &[f32], variances: &[f64], context: &str) {
    let n = means.len();
    let mut tested = 0;
    for k in 0..n {
        let sum: f64 = samples
            .iter()
            .skip(k)
            .step_by(n)
            .map(|&x| f64::from(x))
            .sum();
        let sample_mean = sum / N_SAMPLES as f64;
        let standard_error = (variances[k] / N_SAMPLES as f64).sqrt();
        if variances[k] * (N_SAMPLES as f64) < 25.0 {
            continue; // nearly deterministic unit: a z-score is meaningless
        }
        tested += 1;
        let z = (sample_mean - f64::from(means[k])) / standard_error;
        assert!(
            z.abs() < 4.5,
            "{context} unit {k}: sample mean {sample_mean}, exact {}, z = {z}",
            means[k]
        );
    }
    assert!(
        tested * 2 >= n,
        "{context}: too few units tested ({tested} of {n})"
    );
}

fn binary_variance(mean: f32, spin: bool) -> f64 {
    let m = f64::from(mean);
    if spin {
        1.0 - m * m
    } else {
        m * (1.0 - m)
    }
}

#[test]
fn sampled_hiddens_converge_to_mean_hiddens() {
    let mut data_rng = rng::root(7);
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        let (nv, nh) = (8, 6);
        let rbm = random_model(visible, hidden, nv, nh, 0.5, 7000 + pair_index as u64);
        let v_row = random_visible(visible, nv, &mut data_rng);
        let v: Vec<f32> = v_row.iter().copied().cycle().take(N_SAMPLES * nv).collect();
        let mut mean = vec![0.0f32; nh];
        rbm.mean_hiddens(&v_row, 1, &mut mean).unwrap();
        let mut samples = vec![0.0f32; N_SAMPLES * nh];
        let mut rng = rng::root(70 + pair_index as u64);
        rbm.sample_hiddens(&v, N_SAMPLES, &mut rng, &mut samples)
            .unwrap();
        let (off, on) = off_on_hidden(hidden);
        assert!(samples.iter().all(|&s| s == off || s == on));
        let spin = hidden == HiddenUnits::Spin;
        let variances: Vec<f64> = mean.iter().map(|&m| binary_variance(m, spin)).collect();
        assert_means_converge(
            &samples,
            &mean,
            &variances,
            &format!("{visible}/{hidden} hiddens"),
        );
    }
}

#[test]
fn sampled_visibles_converge_to_mean_visibles() {
    let mut data_rng = rng::root(8);
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        let (nv, nh) = (8, 6);
        let rbm = random_model(visible, hidden, nv, nh, 0.5, 8000 + pair_index as u64);
        let h_row = random_hidden(hidden, nh, &mut data_rng);
        let h: Vec<f32> = h_row.iter().copied().cycle().take(N_SAMPLES * nh).collect();
        let mut mean = vec![0.0f32; nv];
        rbm.mean_visibles(&h_row, 1, &mut mean).unwrap();
        let mut samples = vec![0.0f32; N_SAMPLES * nv];
        let mut rng = rng::root(80 + pair_index as u64);
        rbm.sample_visibles(&h, N_SAMPLES, &mut rng, &mut samples)
            .unwrap();
        let context = format!("{visible}/{hidden} visibles");
        let variances: Vec<f64> = match visible {
            VisibleUnits::Gaussian => vec![1.0; nv],
            discrete => {
                let (off, on) = off_on_visible(discrete);
                assert!(samples.iter().all(|&s| s == off || s == on));
                let spin = discrete == VisibleUnits::Spin;
                mean.iter().map(|&m| binary_variance(m, spin)).collect()
            }
        };
        assert_means_converge(&samples, &mean, &variances, &context);
        if visible == VisibleUnits::Gaussian {
            // Unit variance: the sample variance's standard error is √(2/N).
            for (i, &mean_i) in mean.iter().enumerate() {
                let column = samples.iter().skip(i).step_by(nv).map(|&x| f64::from(x));
                let m = f64::from(mean_i);
                let variance = column.map(|x| (x - m) * (x - m)).sum::<f64>() / N_SAMPLES as f64;
                let z = (variance - 1.0) / (2.0 / N_SAMPLES as f64).sqrt();
                assert!(
                    z.abs() < 4.5,
                    "{context} unit {i}: variance {variance}, z = {z}"
                );
            }
        }
    }
}

fn run_chain(rbm: &Rbm, v0: &[f32], rows: usize, seed: u64) -> (Vec<f32>, Vec<f32>, u64) {
    use rand::RngCore;
    let mut rng = rng::root(seed);
    let mut hidden = vec![0.0f32; rows * rbm.n_hidden()];
    let mut v = v0.to_vec();
    let mut v_next = vec![0.0f32; rows * rbm.n_visible()];
    for _ in 0..3 {
        rbm.gibbs_step(&v, rows, &mut rng, &mut hidden, &mut v_next)
            .unwrap();
        std::mem::swap(&mut v, &mut v_next);
    }
    (hidden, v, rng.next_u64())
}

#[test]
fn sampling_is_identical_with_one_and_two_threads() {
    let rows = 200 * SAMPLING_CHUNK_ROWS + 17;
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    let (one, two) = (pool(1), pool(2));
    for (pair_index, &(visible, hidden)) in PAIRS.iter().enumerate() {
        let rbm = random_model(visible, hidden, 8, 6, 0.5, 9000 + pair_index as u64);
        let mut data_rng = rng::root(90);
        let v0: Vec<f32> = (0..rows)
            .flat_map(|_| random_visible(visible, 8, &mut data_rng))
            .collect();
        let serial = one.install(|| run_chain(&rbm, &v0, rows, 99));
        let parallel = two.install(|| run_chain(&rbm, &v0, rows, 99));
        assert!(
            serial == parallel,
            "{visible}/{hidden}: samples depend on the thread count"
        );
    }
}

#[test]
fn chunks_and_consecutive_calls_draw_different_numbers() {
    let rbm = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        8,
        6,
        0.2,
        10,
    );
    let rows = 2 * SAMPLING_CHUNK_ROWS;
    let v = vec![1.0f32; rows * 8];
    let mut rng = rng::root(1);
    let mut first = vec![0.0f32; rows * 6];
    let mut second = vec![0.0f32; rows * 6];
    rbm.sample_hiddens(&v, rows, &mut rng, &mut first).unwrap();
    rbm.sample_hiddens(&v, rows, &mut rng, &mut second).unwrap();
    let half = SAMPLING_CHUNK_ROWS * 6;
    assert_ne!(
        first[..half],
        first[half..],
        "two chunks drew the same stream"
    );
    assert_ne!(first, second, "the generator did not advance between calls");
}

#[test]
fn gibbs_step_is_sample_hiddens_then_sample_visibles() {
    let rbm = random_model(VisibleUnits::Gaussian, HiddenUnits::Spin, 5, 4, 1.0, 12);
    let rows = 100;
    let mut data_rng = rng::root(13);
    let v: Vec<f32> = (0..rows * 5)
        .map(|_| normal(&mut data_rng) as f32)
        .collect();
    let (mut h1, mut v1) = (vec![0.0f32; rows * 4], vec![0.0f32; rows * 5]);
    let (mut h2, mut v2) = (vec![0.0f32; rows * 4], vec![0.0f32; rows * 5]);
    let mut rng = rng::root(14);
    rbm.gibbs_step(&v, rows, &mut rng, &mut h1, &mut v1)
        .unwrap();
    let mut rng = rng::root(14);
    rbm.sample_hiddens(&v, rows, &mut rng, &mut h2).unwrap();
    rbm.sample_visibles(&h2, rows, &mut rng, &mut v2).unwrap();
    assert_eq!((h1, v1), (h2, v2));
}

fn shape_mismatch_what<T: std::fmt::Debug>(result: vrg::Result<T>) -> String {
    match result {
        Err(Error::ShapeMismatch { what, .. }) => what,
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
}

#[test]
fn wrong_lengths_are_shape_errors_naming_the_array() {
    let rbm = random_model(VisibleUnits::Bernoulli, HiddenUnits::Spin, 4, 3, 1.0, 15);
    let mut rng = rng::root(16);
    let v = vec![0.0f32; 2 * 4];
    let h = vec![0.0f32; 2 * 3];
    assert!(shape_mismatch_what(rbm.energy(&v[..3], &h[..3])).contains("visible"));
    assert!(shape_mismatch_what(rbm.energy(&v[..4], &h[..2])).contains("hidden"));
    assert!(shape_mismatch_what(rbm.free_energy_visible(&v, 3)).contains("visible batch"));
    assert!(shape_mismatch_what(rbm.free_energy_hidden(&h, 3)).contains("hidden batch"));
    let mut out_h = vec![0.0f32; 5];
    assert!(shape_mismatch_what(rbm.mean_hiddens(&v, 2, &mut out_h)).contains("hidden output"));
    let mut out_v = vec![0.0f32; 7];
    assert!(shape_mismatch_what(rbm.mean_visibles(&h, 2, &mut out_v)).contains("visible output"));
    assert!(
        shape_mismatch_what(rbm.sample_hiddens(&v[..7], 2, &mut rng, &mut [0.0; 6]))
            .contains("visible batch")
    );
    assert!(
        shape_mismatch_what(rbm.sample_visibles(&h, 2, &mut rng, &mut out_v))
            .contains("visible output")
    );
    let mut good_h = vec![0.0f32; 6];
    assert!(
        shape_mismatch_what(rbm.gibbs_step(&v, 2, &mut rng, &mut good_h, &mut out_v))
            .contains("visible output")
    );
    let bad = Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        vec![0.0; 11],
        vec![0.0; 4],
        vec![0.0; 3],
    );
    assert!(shape_mismatch_what(bad).contains("weights"));
}

#[test]
fn invalid_parameters_are_rejected() {
    assert!(matches!(
        Rbm::new(0, 3, VisibleUnits::Spin, HiddenUnits::Spin),
        Err(Error::InvalidParameter {
            name: "n_visible",
            ..
        })
    ));
    assert!(matches!(
        Rbm::new(3, 0, VisibleUnits::Spin, HiddenUnits::Spin),
        Err(Error::InvalidParameter {
            name: "n_hidden",
            ..
        })
    ));
    let nan = Rbm::from_parameters(
        VisibleUnits::Spin,
        HiddenUnits::Spin,
        vec![0.0, f32::NAN],
        vec![0.0],
        vec![0.0, 0.0],
    );
    assert!(matches!(
        nan,
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let zero = Rbm::new(3, 2, VisibleUnits::Gaussian, HiddenUnits::Bernoulli).unwrap();
    assert_eq!((zero.n_visible(), zero.n_hidden()), (3, 2));
    assert!(zero
        .weights()
        .iter()
        .chain(zero.visible_bias())
        .chain(zero.hidden_bias())
        .all(|&x| x == 0.0));
}

#[test]
fn unit_names_parse_print_and_serialize() {
    for units in VisibleUnits::ALL {
        assert_eq!(units.to_string().parse::<VisibleUnits>().unwrap(), units);
        let json = serde_json::to_string(&units).unwrap();
        assert_eq!(json, format!("\"{units}\""));
        assert_eq!(serde_json::from_str::<VisibleUnits>(&json).unwrap(), units);
    }
    for units in HiddenUnits::ALL {
        assert_eq!(units.to_string().parse::<HiddenUnits>().unwrap(), units);
        let json = serde_json::to_string(&units).unwrap();
        assert_eq!(serde_json::from_str::<HiddenUnits>(&json).unwrap(), units);
    }
    let error = "gauss".parse::<VisibleUnits>().unwrap_err().to_string();
    assert!(error.contains("bernoulli, spin or gaussian"), "{error}");
    let error = "gauss".parse::<HiddenUnits>().unwrap_err().to_string();
    assert!(error.contains("bernoulli, spin or gaussian"), "{error}");
}
