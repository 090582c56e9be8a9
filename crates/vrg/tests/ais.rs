//! Tests of `vrg::estimate::ais`: AIS estimates of ln Z land within their
//! own error bars of the exact value (enumeration) for every unit pair on
//! small models and on a 784 × 20 RBM trained on MNIST (the 2000 training
//! images shipped in `tests/data/mnist-subset`); the runs are the
//! same for any thread count; bad arguments are clear errors.

use vrg::data::{load, LoadOptions};
use vrg::estimate::ais::{ais_log_partition, base_rate_biases, BetaSchedule};
use vrg::estimate::exact::log_partition_exact;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{initial_rbm, TrainConfig, Trainer};

mod common;
use common::{mnist_subset, random_pair_model as random_model, PAIRS};

/// z = (AIS − exact) / stderr, with the stderr floored at 10⁻³ nats (a
/// near-perfect run can report a tiny spread).
fn z_score(estimate: f64, stderr: f64, exact: f64) -> f64 {
    (estimate - exact) / stderr.max(1e-3)
}

#[test]
fn small_models_of_every_unit_pair_within_error_bars() {
    let schedule = BetaSchedule::scaled(3000).unwrap();
    for (p, &pair) in PAIRS.iter().enumerate() {
        let rbm = random_model(pair, 12, 8, 0.5, 40 + p as u64);
        let exact = log_partition_exact(&rbm).unwrap().log_z;
        // Base model: the target's own visible biases.
        let ais = ais_log_partition(&rbm, rbm.visible_bias(), 200, &schedule, 5).unwrap();
        let z = z_score(ais.log_z, ais.log_z_stderr, exact);
        assert!(
            z.abs() < 4.0 && (ais.log_z - exact).abs() < 0.1,
            "{pair:?}: AIS {} ± {} against exact {exact} (z = {z}, ESS {})",
            ais.log_z,
            ais.log_z_stderr,
            ais.ess
        );
        assert!(
            ais.ess > 20.0 && ais.ess <= 200.0 + 1e-9,
            "{pair:?}: ESS {}",
            ais.ess
        );
        assert_eq!(ais.log_weights.len(), 200);
    }
}

#[test]
fn an_rbm_trained_on_mnist_within_error_bars() {
    // All 2000 rows of the subset, 9 epochs: the 180 updates that 3 epochs
    // of the first 6000 full-MNIST rows gave.
    let data = load(
        mnist_subset("train-images-idx3-ubyte.gz"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(data.n_rows, 2000);
    let params = TrainConfig::new()
        .batch_size(100)
        .epochs(9)
        .learning_rate(0.05)
        .check(data.n_rows)
        .unwrap();
    let rbm = initial_rbm(
        &data,
        20,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params);
    for _ in 0..9 {
        trainer.train_epoch(&data, &|_| {}).unwrap();
    }
    let rbm = trainer.rbm();
    let exact = log_partition_exact(rbm).unwrap().log_z;
    let base = base_rate_biases(
        &data.dense_values(),
        data.n_features,
        VisibleUnits::Bernoulli,
    );
    let ais = ais_log_partition(rbm, &base, 100, &BetaSchedule::scaled(2000).unwrap(), 9).unwrap();
    let z = z_score(ais.log_z, ais.log_z_stderr, exact);
    assert!(
        z.abs() < 4.0 && (ais.log_z - exact).abs() < 0.2,
        "AIS {} ± {} against exact {exact} (z = {z}, ESS {})",
        ais.log_z,
        ais.log_z_stderr,
        ais.ess
    );
}

#[test]
fn runs_do_not_depend_on_the_thread_count() {
    let rbm = random_model(PAIRS[0], 30, 10, 0.3, 3);
    let schedule = BetaSchedule::scaled(200).unwrap();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| ais_log_partition(&rbm, rbm.visible_bias(), 60, &schedule, 2).unwrap())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn large_weights_give_finite_estimates_and_a_low_ess_flag_when_due() {
    let rbm = random_model(PAIRS[0], 10, 6, 20.0, 8);
    let ais =
        ais_log_partition(&rbm, &[0.0; 10], 50, &BetaSchedule::scaled(50).unwrap(), 1).unwrap();
    assert!(
        ais.log_z.is_finite() && ais.log_z_stderr.is_finite(),
        "{ais:?}"
    );
    assert!(ais.ess >= 1.0 - 1e-9 && ais.ess <= 50.0 + 1e-9);
    assert_eq!(ais.low_ess, ais.ess < 5.0);
}

#[test]
fn the_default_schedule_is_salakhutdinov_and_murrays() {
    let s = BetaSchedule::salakhutdinov_murray();
    assert_eq!(s.steps(), 14_500);
    let b = s.betas();
    assert_eq!((b[0], b[500], b[4500], b[14_500]), (0.0, 0.5, 0.9, 1.0));
    assert!(b.windows(2).all(|w| w[1] > w[0]));
    assert!((b[1] - 1e-3).abs() < 1e-15 && (b[14_499] - 0.99999).abs() < 1e-12);
    let short = BetaSchedule::scaled(145).unwrap();
    assert_eq!(short.steps(), 145);
    assert!(short.betas().windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn bad_arguments_are_clear_errors() {
    let rbm = random_model(PAIRS[0], 4, 3, 0.5, 1);
    let schedule = BetaSchedule::scaled(10).unwrap();
    let e = ais_log_partition(&rbm, &[0.0; 3], 10, &schedule, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("base-rate visible biases") && e.contains("4 values"),
        "{e}"
    );
    let e = ais_log_partition(&rbm, &[0.0; 4], 1, &schedule, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("chains"), "{e}");
    let e = ais_log_partition(&rbm, &[f32::NAN, 0.0, 0.0, 0.0], 10, &schedule, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("finite"), "{e}");
    let e = BetaSchedule::scaled(2).unwrap_err().to_string();
    assert!(e.contains("betas"), "{e}");
}

/// Forward and reverse AIS on small models: both within their error bars of
/// the exact value, and (up to those error bars) below and above it.
#[test]
fn reverse_ais_brackets_the_exact_value() {
    use vrg::estimate::ais::ais_bracket;
    let schedule = BetaSchedule::scaled(3000).unwrap();
    for (p, &pair) in PAIRS.iter().enumerate() {
        let rbm = random_model(pair, 12, 8, 0.5, 70 + p as u64);
        let exact = log_partition_exact(&rbm).unwrap().log_z;
        let (forward, reverse) = ais_bracket(&rbm, rbm.visible_bias(), 200, &schedule, 3).unwrap();
        let single = ais_log_partition(&rbm, rbm.visible_bias(), 200, &schedule, 3).unwrap();
        assert_eq!(
            forward, single,
            "{pair:?}: the bracket's forward run is the plain run"
        );
        for (name, e) in [("forward", &forward), ("reverse", &reverse)] {
            let z = z_score(e.log_z, e.log_z_stderr, exact);
            assert!(
                z.abs() < 4.0 && (e.log_z - exact).abs() < 0.1,
                "{pair:?} {name}: {} ± {} against exact {exact} (z = {z})",
                e.log_z,
                e.log_z_stderr
            );
        }
        let slack = 4.0 * (forward.log_z_stderr + reverse.log_z_stderr).max(1e-3);
        assert!(
            forward.log_z <= exact + slack && exact <= reverse.log_z + slack,
            "{pair:?}"
        );
    }
}

/// Sparse products for {0, 1} layers change only the rounding of the
/// inputs: with the same seed every chain visits the same states, so each
/// chain's log-weight agrees with the dense run's to rounding (a different
/// state anywhere would move it by O(1)), forward and reverse; both
/// estimates lie within their error bars of each other and of the exact
/// value. Spin layers are multiplied densely either way (identical runs).
#[test]
fn sparse_products_give_the_dense_chains() {
    use vrg::estimate::ais::{ais_bracket_with, Products};
    let schedule = BetaSchedule::scaled(1000).unwrap();
    for (p, &pair) in PAIRS[..4].iter().enumerate() {
        let rbm = random_model(pair, 40, 14, 0.4, 90 + p as u64);
        let exact = log_partition_exact(&rbm).unwrap().log_z;
        let run = |products| ais_bracket_with(&rbm, rbm.visible_bias(), 64, &schedule, 5, products);
        let (sparse, dense) = (
            run(Products::Sparse).unwrap(),
            run(Products::Dense).unwrap(),
        );
        for (name, s, d) in [
            ("forward", &sparse.0, &dense.0),
            ("reverse", &sparse.1, &dense.1),
        ] {
            let worst = s
                .log_weights
                .iter()
                .zip(&d.log_weights)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                worst < 1e-3,
                "{pair:?} {name}: log-weights differ by {worst}"
            );
            let z = (s.log_z - d.log_z) / s.log_z_stderr.max(1e-12);
            assert!(z.abs() < 1.0, "{pair:?} {name}: {} vs {}", s.log_z, d.log_z);
            let z = z_score(s.log_z, s.log_z_stderr, exact);
            assert!(
                z.abs() < 4.0,
                "{pair:?} {name}: {} ± {} vs exact {exact}",
                s.log_z,
                s.log_z_stderr
            );
        }
    }
}
