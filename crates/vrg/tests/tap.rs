//! The TAP free energy (issue #17), checked against exact enumeration:
//! exact at W = 0, errors falling as ε^{k+1} at order k for weights of scale
//! ε, fixed points that satisfy their equations, and non-convergence
//! reported as an error.

use vrg::estimate::{
    log_partition_exact, tap_gibbs_free_energy, tap_log_partition, tap_residual, TapOptions,
    TapOrder,
};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::{rng, Error};

mod common;
use common::normal;

const DISCRETE_PAIRS: [(VisibleUnits, HiddenUnits); 4] = [
    (VisibleUnits::Bernoulli, HiddenUnits::Bernoulli),
    (VisibleUnits::Bernoulli, HiddenUnits::Spin),
    (VisibleUnits::Spin, HiddenUnits::Bernoulli),
    (VisibleUnits::Spin, HiddenUnits::Spin),
];

/// Weights ε·W⁰ with W⁰ ~ N(0.1, 1), and generic biases ~ N(1, 0.5²) (not
/// scaled): nonzero magnetisations away from ½ (0/1 units) or 0 (spins)
/// and weights with a mean, so that no odd order of the expansion vanishes
/// by symmetry or nearly cancels.
fn model(pair: (VisibleUnits, HiddenUnits), nv: usize, nh: usize, eps: f64, seed: u64) -> Rbm {
    let mut r = rng::root(seed);
    let w: Vec<f32> = (0..nv * nh)
        .map(|_| (eps * (0.1 + normal(&mut r))) as f32)
        .collect();
    let mut bias = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| (1.0 + 0.5 * normal(&mut r)) as f32)
            .collect()
    };
    let b = bias(nv);
    let c = bias(nh);
    Rbm::from_parameters(pair.0, pair.1, w, b, c).unwrap()
}

fn options(order: TapOrder) -> TapOptions {
    TapOptions {
        tolerance: 1e-12,
        ..TapOptions::new(order)
    }
}

#[test]
fn without_weights_every_order_is_exact() {
    for pair in DISCRETE_PAIRS {
        let rbm = model(pair, 7, 5, 0.0, 11);
        let exact = log_partition_exact(&rbm).unwrap().log_z;
        for order in TapOrder::ALL {
            let tap = tap_log_partition(&rbm, &options(order)).unwrap();
            assert!(
                (tap.log_z - exact).abs() < 1e-12,
                "{pair:?} {order}: TAP {} vs exact {exact}",
                tap.log_z
            );
        }
    }
}

/// Least-squares slope of ln y against ln x.
fn log_log_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = x.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// For weights of scale ε the order-k estimate of ln Z errs by O(ε^{k+1}):
/// the slopes of ln|error| against ln ε, fitted over ε = 0.025 … 0.0015625 (local slopes there
/// are within 0.1 of the limit), are
/// 2, 3 and 4 within ±0.3, for every pair of discrete unit types.
#[test]
fn errors_fall_as_the_next_power_of_the_weight_scale() {
    let scales = [0.025, 0.0125, 0.00625, 0.003125, 0.0015625];
    for pair in DISCRETE_PAIRS {
        for order in TapOrder::ALL {
            let errors: Vec<f64> = scales
                .iter()
                .map(|&eps| {
                    let rbm = model(pair, 8, 6, eps, 5);
                    let exact = log_partition_exact(&rbm).unwrap().log_z;
                    let tap = tap_log_partition(&rbm, &options(order)).unwrap();
                    (tap.log_z - exact).abs()
                })
                .collect();
            let slope = log_log_slope(&scales, &errors);
            let expected = (order.order() + 1) as f64;
            eprintln!("{pair:?} {order}: slope {slope:.3} (errors {errors:?})");
            assert!(
                (slope - expected).abs() <= 0.3,
                "{pair:?} {order}: slope {slope:.3}, expected {expected}; errors {errors:?}"
            );
        }
    }
}

/// The magnetisations returned satisfy m = f(h(m)) to the tolerance, and
/// are a stationary point of Γ: its finite-difference gradient vanishes.
#[test]
fn fixed_points_satisfy_their_equations() {
    for pair in DISCRETE_PAIRS {
        let rbm = model(pair, 9, 7, 0.5, 23);
        for order in TapOrder::ALL {
            let opts = TapOptions {
                tolerance: 1e-10,
                ..TapOptions::new(order)
            };
            let tap = tap_log_partition(&rbm, &opts).unwrap();
            let residual = tap_residual(&rbm, order, &tap.visible, &tap.hidden).unwrap();
            assert!(residual <= 1e-10, "{pair:?} {order}: residual {residual:e}");
            assert_eq!(residual, tap.residual);
            assert!(tap.iterations >= 1);
            let gamma = tap_gibbs_free_energy(&rbm, order, &tap.visible, &tap.hidden).unwrap();
            assert_eq!(-gamma, tap.log_z);
            // Central differences of Γ in each magnetisation.
            let h = 1e-6;
            for layer in 0..2 {
                let n = if layer == 0 {
                    tap.visible.len()
                } else {
                    tap.hidden.len()
                };
                for k in 0..n {
                    let at = |delta: f64| {
                        let (mut v, mut hd) = (tap.visible.clone(), tap.hidden.clone());
                        let m = if layer == 0 { &mut v[k] } else { &mut hd[k] };
                        *m += delta;
                        tap_gibbs_free_energy(&rbm, order, &v, &hd).unwrap()
                    };
                    let slope = (at(h) - at(-h)) / (2.0 * h);
                    assert!(
                        slope.abs() < 1e-5,
                        "{pair:?} {order}: ∂Γ/∂m = {slope:e} (layer {layer}, unit {k})"
                    );
                }
            }
        }
    }
}

/// A strongly coupled spin-glass RBM: undamped, the second-order iteration
/// does not settle, and that is an error naming the order and the residual,
/// not a silent NaN or a wrong number.
#[test]
fn non_convergence_is_reported() {
    let mut r = rng::root(99);
    let (nv, nh) = (20, 20);
    let w: Vec<f32> = (0..nv * nh)
        .map(|_| (0.4 * normal(&mut r)) as f32)
        .collect();
    let mut bias =
        |n: usize| -> Vec<f32> { (0..n).map(|_| (0.1 * normal(&mut r)) as f32).collect() };
    let (b, c) = (bias(nv), bias(nh));
    let rbm = Rbm::from_parameters(VisibleUnits::Spin, HiddenUnits::Spin, w, b, c).unwrap();
    let opts = TapOptions {
        damping: 0.0,
        max_iterations: 1000,
        ..TapOptions::new(TapOrder::Second)
    };
    let e = tap_log_partition(&rbm, &opts).unwrap_err();
    assert!(
        matches!(e, Error::NotConverged { iterations, .. } if iterations == 1000),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("the TAP2 fixed point (damping 0) did not converge: residual"),
        "{text}"
    );
}

#[test]
fn bad_options_and_gaussian_units_are_refused() {
    let rbm = model(DISCRETE_PAIRS[0], 3, 2, 0.1, 1);
    for (opts, needle) in [
        (
            TapOptions {
                damping: 1.0,
                ..TapOptions::new(TapOrder::Second)
            },
            "invalid tap-damping = 1",
        ),
        (
            TapOptions {
                max_iterations: 0,
                ..TapOptions::new(TapOrder::Second)
            },
            "invalid tap-iterations = 0",
        ),
        (
            TapOptions {
                tolerance: f64::NAN,
                ..TapOptions::new(TapOrder::Second)
            },
            "invalid tap tolerance = NaN",
        ),
    ] {
        let e = tap_log_partition(&rbm, &opts).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
    let gaussian = Rbm::new(3, 2, VisibleUnits::Gaussian, HiddenUnits::Bernoulli).unwrap();
    let e = tap_log_partition(&gaussian, &TapOptions::new(TapOrder::First))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Gaussian visible units"), "{e}");
    let e = tap_residual(&rbm, TapOrder::First, &[0.5, 0.5, 1.5], &[0.5, 0.5])
        .unwrap_err()
        .to_string();
    assert!(e.contains("element 2"), "{e}");
}

/// One EMF update with sweeps run to convergence, no momentum and no
/// decay moves the parameters by the learning rate times (data statistics
/// − ∂ln Z_TAP/∂θ), the gradient of the TAP free energy taken here by
/// central differences of [`tap_log_partition`] (f64): the envelope-theorem
/// gradient of the trainer is the derivative of ln Z_TAP.
#[test]
fn emf_update_follows_the_derivative_of_the_tap_free_energy() {
    emf_update_against_tap_derivative(vrg::train::TapPrecision::F32, 2e-3);
}

/// The same with the sweeps' products in bfloat16 (where the processor has
/// them): the fixed point is that of W rounded to 8 significant bits, so
/// the update follows the derivative to about that precision (with 5
/// visible units of weights up to 0.6·3, a relative error of ~1 %).
#[test]
fn emf_update_in_bf16_follows_the_derivative_to_its_rounding() {
    emf_update_against_tap_derivative(vrg::train::TapPrecision::Bf16, 2e-2);
}

/// One EMF update per case against central differences of ln Z_TAP, each
/// parameter's step within `tolerance`·(1 + |expected|).
fn emf_update_against_tap_derivative(precision: vrg::train::TapPrecision, tolerance: f64) {
    use vrg::train::{Method, TrainConfig};
    for (pair, method, order) in [
        (DISCRETE_PAIRS[0], Method::Tap2, TapOrder::Second),
        (DISCRETE_PAIRS[0], Method::Tap3, TapOrder::Third),
        (DISCRETE_PAIRS[3], Method::Tap3, TapOrder::Third),
        (DISCRETE_PAIRS[2], Method::Tap2, TapOrder::Second),
        (DISCRETE_PAIRS[1], Method::Tap3, TapOrder::Third),
    ] {
        let (nv, nh, rows) = (5, 4, 6);
        let rbm = model(pair, nv, nh, 0.6, 41);
        let values = random_rows(rows, nv, pair.0 == VisibleUnits::Spin);
        let params = TrainConfig::new()
            .method(method)
            .persistent_chains(1)
            .tap_precision(precision);
        let worst = update_error_against_tap_derivative(&rbm, &values, params, order);
        assert!(worst < tolerance, "{pair:?} {order} {precision}: {worst}");
    }
}

/// The same across several column tiles of the gradient, where the Onsager
/// sums are formed a tile at a time (150 hidden units: tiles of 64, 64 and
/// 22 columns): on the sparse path (0/1 rows with one 1 in four) and the
/// dense one (spins). The steps match to about 1.5·10⁻⁴; with every tile
/// given the first tile's sums they miss by 1.6·10⁻³ (0/1 units) and
/// 7.8·10⁻³ (spins), without the Onsager term by 3·10⁻³.
#[test]
fn emf_update_across_column_tiles_follows_the_derivative() {
    use vrg::train::{Method, TrainConfig};
    for (pair, method, order) in [
        (DISCRETE_PAIRS[0], Method::Tap3, TapOrder::Third),
        (DISCRETE_PAIRS[0], Method::Tap2, TapOrder::Second),
        (DISCRETE_PAIRS[3], Method::Tap3, TapOrder::Third),
    ] {
        let (nv, nh, rows) = (4, 150, 8);
        let rbm = model(pair, nv, nh, 0.1, 43);
        let values: Vec<f32> = if pair.0 == VisibleUnits::Spin {
            random_rows(rows, nv, true)
        } else {
            (0..rows * nv)
                .map(|k| if k % nv == (k / nv) % nv { 1.0 } else { 0.0 })
                .collect()
        };
        let params = TrainConfig::new().method(method).persistent_chains(2);
        let worst = update_error_against_tap_derivative(&rbm, &values, params, order);
        assert!(worst < 5e-4, "{pair:?} {order}: {worst}");
    }
}

/// [`worst_step_error`] of one update of `config` ([`one_converged_update`]
/// on all of `values`) from `rbm`, against the derivative of ln Z_TAP at
/// `order`.
fn update_error_against_tap_derivative(
    rbm: &Rbm,
    values: &[f32],
    config: vrg::train::TrainConfig,
    order: TapOrder,
) -> f64 {
    let nv = rbm.n_visible();
    let rows = values.len() / nv;
    let params = one_converged_update(config, rows).unwrap();
    let mut trainer = vrg::train::Trainer::new(rbm.clone(), params);
    let data = vrg::data::Dataset::new(rows, nv, values.to_vec()).unwrap();
    trainer.train_epoch(&data, &|_| {}).unwrap();
    let opts = TapOptions {
        tolerance: 1e-13,
        ..TapOptions::new(order)
    };
    let log_z = |m: &Rbm| tap_log_partition(m, &opts).unwrap().log_z;
    worst_step_error(rbm, values, trainer.rbm(), &log_z)
}

/// `rows` random rows of ±1 (`spin`) or 0/1 values.
fn random_rows(rows: usize, nv: usize, spin: bool) -> Vec<f32> {
    let mut r = rng::root(8);
    (0..rows * nv)
        .map(|_| match (rng::uniform(&mut r) < 0.5, spin) {
            (true, _) => 1.0,
            (false, true) => -1.0,
            (false, false) => 0.0,
        })
        .collect()
}

/// The learning rate of [`one_converged_update`].
const RATE: f64 = 1e-3;

/// `config` made one plain EMF update on a batch of all `rows`: sweeps run
/// to convergence, rate [`RATE`], no momentum, no decay.
fn one_converged_update(
    config: vrg::train::TrainConfig,
    rows: usize,
) -> vrg::Result<vrg::train::TrainParams> {
    config
        .epochs(1)
        .batch_size(rows)
        .tap_iterations(400)
        .learning_rate(RATE)
        .initial_momentum(0.0)
        .momentum(0.0)
        .l2(0.0)
        .check(rows)
}

/// The largest error, in units of 1 + |expected|, of the steps from
/// `before` to `after` (one update of [`one_converged_update`] on the rows
/// `values`) against RATE·(data statistics − ∂`log_z`/∂θ), the derivative
/// by central differences in the f32 parameters.
fn worst_step_error(before: &Rbm, values: &[f32], after: &Rbm, log_z: &dyn Fn(&Rbm) -> f64) -> f64 {
    let (nv, nh) = (before.n_visible(), before.n_hidden());
    let rows = values.len() / nv;
    // Data statistics ⟨v_i E[h_j | v]⟩, ⟨v_i⟩, ⟨E[h_j | v]⟩.
    let mut h0 = vec![0.0f32; rows * nh];
    before.mean_hiddens(values, rows, &mut h0).unwrap();
    let derivative = |set: &dyn Fn(&mut Rbm, f32)| -> f64 {
        let (mut up, mut down) = (before.clone(), before.clone());
        set(&mut up, 1e-3);
        set(&mut down, -1e-3);
        (log_z(&up) - log_z(&down)) / 2e-3
    };
    let error = |moved: f32, data_mean: f64, model: f64| {
        let expected = data_mean - model;
        (f64::from(moved) / RATE - expected).abs() / (1.0 + expected.abs())
    };
    let mean = |f: &dyn Fn(usize) -> f64| (0..rows).map(f).sum::<f64>() / rows as f64;
    let mut worst: f64 = 0.0;
    for i in 0..nv {
        for j in 0..nh {
            let k = i * nh + j;
            let data_mean = mean(&|r| f64::from(values[r * nv + i]) * f64::from(h0[r * nh + j]));
            let model = derivative(&|m: &mut Rbm, d| m.weights_mut()[k] += d);
            let moved = after.weights()[k] - before.weights()[k];
            worst = worst.max(error(moved, data_mean, model));
        }
        let data_mean = mean(&|r| f64::from(values[r * nv + i]));
        let model = derivative(&|m: &mut Rbm, d| m.visible_bias_mut()[i] += d);
        let moved = after.visible_bias()[i] - before.visible_bias()[i];
        worst = worst.max(error(moved, data_mean, model));
    }
    for j in 0..nh {
        let data_mean = mean(&|r| f64::from(h0[r * nh + j]));
        let model = derivative(&|m: &mut Rbm, d| m.hidden_bias_mut()[j] += d);
        let moved = after.hidden_bias()[j] - before.hidden_bias()[j];
        worst = worst.max(error(moved, data_mean, model));
    }
    worst
}

/// --tap-weights boltzmann: one EMF update with converged sweeps moves the
/// parameters by the learning rate times (data statistics − ∂/∂θ
/// ln Σ_α e^{−Γ(m_α)}), the sum over the chains' TAP states, each state
/// found again from its magnetisations at the shifted parameters (central
/// differences of [`tap_log_partition_from`], f64). The model is a
/// ferromagnet with two TAP states (all units up, all down) whose −Γ
/// differ by nats, and its two chains start one in each: the weights are
/// far from uniform, and the uniform mean of the two states' derivatives
/// misses the update by far more than the tolerance.
#[test]
fn emf_update_with_boltzmann_weights_follows_the_sum_over_states() {
    use vrg::estimate::tap_log_partition_from;
    use vrg::train::{Method, TapWeights, TrainConfig, Trainer};
    for (pair, method, order) in [
        (DISCRETE_PAIRS[3], Method::Tap2, TapOrder::Second),
        (DISCRETE_PAIRS[3], Method::Tap3, TapOrder::Third),
        (DISCRETE_PAIRS[0], Method::Tap2, TapOrder::Second),
        (DISCRETE_PAIRS[0], Method::Tap3, TapOrder::Third),
    ] {
        let (nv, nh, rows) = (5, 4, 6);
        let spin = pair.0 == VisibleUnits::Spin;
        let rbm = two_state_ferromagnet(pair, nv, nh);
        let values = random_rows(rows, nv, spin);
        let params = TrainConfig::new()
            .method(method)
            .persistent_chains(2)
            .tap_weights(TapWeights::Boltzmann);
        let params = one_converged_update(params, rows).unwrap();
        // Chain 0 starts near all up, chain 1 near all down.
        let (up, down) = if spin { (0.9, -0.9) } else { (0.9, 0.1) };
        let mut state = Trainer::new(rbm.clone(), params.clone()).state().clone();
        let two_states = |n: usize| [vec![up; n], vec![down; n]].concat();
        (state.visible_chains, state.chains) = (two_states(nv), two_states(nh));
        let mut trainer = Trainer::resume(rbm.clone(), params, state).unwrap();
        let data = vrg::data::Dataset::new(rows, nv, values.clone()).unwrap();
        trainer.train_epoch(&data, &|_| {}).unwrap();
        // The chains' fixed points, each the start of its state's solver.
        let state = trainer.state();
        let starts: Vec<(Vec<f64>, Vec<f64>)> = (0..2)
            .map(|c| {
                let f = |m: &[f32], n: usize| {
                    m[c * n..(c + 1) * n]
                        .iter()
                        .map(|&x| f64::from(x))
                        .collect()
                };
                (f(&state.visible_chains, nv), f(&state.chains, nh))
            })
            .collect();
        let opts = TapOptions {
            tolerance: 1e-13,
            ..TapOptions::new(order)
        };
        let state_log_z = |m: &Rbm, c: usize| {
            tap_log_partition_from(m, &opts, &starts[c].0, &starts[c].1)
                .unwrap()
                .log_z
        };
        let label = format!("{pair:?} {order}");
        let gap = (state_log_z(&rbm, 0) - state_log_z(&rbm, 1)).abs();
        assert!(
            gap > 1.0,
            "{label}: the two states' −Γ differ by only {gap}"
        );
        let sum_over_states = |m: &Rbm| {
            let (a, b) = (state_log_z(m, 0), state_log_z(m, 1));
            a.max(b) + (-(a - b).abs()).exp().ln_1p()
        };
        let worst = worst_step_error(&rbm, &values, trainer.rbm(), &sum_over_states);
        assert!(worst < 2e-3, "{label}: {worst}");
        let uniform = |m: &Rbm| 0.5 * (state_log_z(m, 0) + state_log_z(m, 1));
        let miss = worst_step_error(&rbm, &values, trainer.rbm(), &uniform);
        assert!(
            miss > 0.1,
            "{label}: uniform weights miss the update by only {miss}"
        );
    }
}

/// All couplings w = 1 (spins) or 2 (0/1 units) with weak noise, and
/// biases that favour the all-up state slightly (0/1 units: centred, so
/// that all on and all off are both stable): two TAP states.
fn two_state_ferromagnet(pair: (VisibleUnits, HiddenUnits), nv: usize, nh: usize) -> Rbm {
    let spin = pair.0 == VisibleUnits::Spin;
    let w = if spin { 1.0 } else { 2.0 };
    let mut r = rng::root(5);
    let weights: Vec<f32> = (0..nv * nh)
        .map(|_| (w + 0.05 * normal(&mut r)) as f32)
        .collect();
    let centre = |n: usize| if spin { 0.0 } else { -0.5 * w * n as f64 };
    let b = vec![(centre(nh) + 0.15) as f32; nv];
    let c = vec![(centre(nv) + 0.1) as f32; nh];
    Rbm::from_parameters(pair.0, pair.1, weights, b, c).unwrap()
}
