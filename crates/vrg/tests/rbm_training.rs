//! Training, checked on models small enough to enumerate exactly, and the
//! model-file contract.

use vrg::data::Dataset;
use vrg::rbm::file::{load_rbm, save_rbm};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::rng;
use vrg::train::{
    initial_rbm, Method, TapPrecision, TapWeights, TrainConfig, TrainParams, TrainState, Trainer,
};

mod common;
use common::{all_states, normal, on_threads, unit_values};

/// Exact P(v) of every visible state, from the free energies.
fn exact_distribution(rbm: &Rbm, states: &[f32]) -> Vec<f64> {
    let n = 1usize << rbm.n_visible();
    let f = rbm.free_energy_visible(states, n).unwrap();
    let min = f.iter().cloned().fold(f64::INFINITY, f64::min);
    let weights: Vec<f64> = f.iter().map(|x| (-(x - min)).exp()).collect();
    let z: f64 = weights.iter().sum();
    weights.iter().map(|w| w / z).collect()
}

fn kl(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(a, _)| **a > 0.0)
        .map(|(a, b)| a * (a / b).ln())
        .sum()
}

/// A "true" RBM with strong random weights, and samples drawn exactly from
/// its visible marginal by inverse-CDF sampling over the enumerated states.
fn teacher(n_visible: usize, n_hidden: usize, spin: bool, n_samples: usize) -> (Vec<f64>, Dataset) {
    teacher_with_weights(n_visible, n_hidden, spin, n_samples, 3.0)
}

/// [`teacher`] with weights ~ N(0, `scale`²).
fn teacher_with_weights(
    n_visible: usize,
    n_hidden: usize,
    spin: bool,
    n_samples: usize,
    scale: f64,
) -> (Vec<f64>, Dataset) {
    let units = if spin {
        VisibleUnits::Spin
    } else {
        VisibleUnits::Bernoulli
    };
    let mut r = rng::root(2024);
    let mut draw = || normal(&mut r) as f32;
    let w: Vec<f32> = (0..n_visible * n_hidden)
        .map(|_| scale as f32 * draw())
        .collect();
    let b: Vec<f32> = (0..n_visible).map(|_| 0.5 * draw()).collect();
    let c: Vec<f32> = (0..n_hidden).map(|_| 0.5 * draw()).collect();
    let truth = Rbm::from_parameters(units, HiddenUnits::Bernoulli, w, b, c).unwrap();
    let states = all_states(unit_values(spin), n_visible);
    let p = exact_distribution(&truth, &states);
    let mut cdf = Vec::with_capacity(p.len());
    let mut acc = 0.0;
    for x in &p {
        acc += x;
        cdf.push(acc);
    }
    let mut draw = rng::root(7);
    let mut values = Vec::with_capacity(n_samples * n_visible);
    for _ in 0..n_samples {
        let u = rng::uniform(&mut draw) * acc;
        let k = cdf.partition_point(|&c| c < u).min(p.len() - 1);
        values.extend_from_slice(&states[k * n_visible..(k + 1) * n_visible]);
    }
    (p, Dataset::new(n_samples, n_visible, values).unwrap())
}

/// The exact KL divergence from `truth` of an 8-hidden-unit RBM trained on
/// `data` with `params`: before training, and after each epoch.
fn kl_trace(
    data: &Dataset,
    truth: &[f64],
    units: VisibleUnits,
    spin: bool,
    params: &TrainParams,
) -> (f64, Vec<f64>) {
    let rbm = initial_rbm(data, 8, units, HiddenUnits::Bernoulli, params).unwrap();
    let states = all_states(unit_values(spin), 8);
    let kl_before = kl(truth, &exact_distribution(&rbm, &states));
    let mut trainer = Trainer::new(rbm, params.clone());
    let mut trace = Vec::new();
    for _ in 0..params.epochs() {
        trainer.train_epoch(data, &|_| {}).unwrap();
        trace.push(kl(truth, &exact_distribution(trainer.rbm(), &states)));
    }
    (kl_before, trace)
}

/// PCD and CD trained on samples of a known RBM move the exact KL
/// divergence KL(P_true ‖ P_model) far down from its value at
/// initialisation (every quantity enumerated exactly over 2^8 states).
#[test]
fn training_reduces_the_exact_kl_divergence() {
    for (method, spin) in [
        (Method::Pcd, false),
        (Method::Cd, false),
        (Method::Pcd, true),
    ] {
        let (truth, data) = teacher(8, 4, spin, 4000);
        let units = if spin {
            VisibleUnits::Spin
        } else {
            VisibleUnits::Bernoulli
        };
        let params = TrainConfig::new()
            .method(method)
            .k(if method == Method::Cd { 5 } else { 1 })
            .epochs(60)
            .batch_size(20)
            .learning_rate(0.05)
            .learning_rate_final(0.002)
            .l2(0.0)
            .seed(3)
            .check(data.n_rows)
            .unwrap();
        let (kl_before, trace) = kl_trace(&data, &truth, units, spin, &params);
        let kl_after = *trace.last().unwrap();
        eprintln!("{method:?} spin={spin}: KL {kl_before:.4} -> {kl_after:.4}");
        // The empirical distribution of 4000 samples itself sits ≈ 255/8000
        // ≈ 0.03 nats from the truth; a well-trained model lands near that.
        assert!(
            kl_after < 0.25 * kl_before && kl_after < 0.03,
            "{method:?} spin={spin}: KL {kl_before:.4} → {kl_after:.4}; trace {trace:?}"
        );
    }
}

/// EMF training (gradients of the TAP free energy at persistent
/// magnetisations, Gabrié et al. 2015) on samples of a known, moderately
/// coupled RBM (weights ~ N(0, 1)) lowers the exact KL divergence
/// KL(P_true ‖ P_model) well below its value at initialisation (0/1 units,
/// enumerated over 2^8 states). With the strongly coupled teacher of the
/// CD/PCD test, or a larger learning rate, the TAP approximation's bias
/// takes over as the weights grow and the KL divergence climbs again after
/// its minimum (the second-order free energy is not a bound on ln Z). With
/// ±1 visible units the same happens after a few epochs even for a weak
/// teacher (N(0, ¼) weights): Gabrié et al. train 0/1 units.
#[test]
fn emf_training_reduces_the_exact_kl_divergence() {
    // (method, restarts, Gibbs chains, weights): the paper's persistent
    // magnetisations, restarts from persistent Gibbs chains, and the
    // states weighted by e^{−Γ}.
    for (method, restarts, gibbs, weights) in [
        (Method::Tap2, 0, 0, TapWeights::Uniform),
        (Method::Tap3, 0, 0, TapWeights::Uniform),
        (Method::Tap3, 2, 20, TapWeights::Uniform),
        (Method::Tap2, 2, 20, TapWeights::Boltzmann),
    ] {
        let (spin, scale) = (false, 1.0);
        let (truth, data) = teacher_with_weights(8, 4, spin, 4000, scale);
        let units = if spin {
            VisibleUnits::Spin
        } else {
            VisibleUnits::Bernoulli
        };
        let params = TrainConfig::new()
            .method(method)
            .epochs(30)
            .batch_size(20)
            .learning_rate(0.05)
            .learning_rate_final(0.002)
            .initial_momentum(0.5)
            .momentum(0.5)
            .l2(0.0)
            .tap_restarts(restarts)
            .tap_gibbs_chains(gibbs)
            .tap_weights(weights)
            .seed(3)
            .check(data.n_rows)
            .unwrap();
        let (kl_before, trace) = kl_trace(&data, &truth, units, spin, &params);
        let kl_after = *trace.last().unwrap();
        let label = format!("{method:?} R={restarts} G={gibbs} {weights}");
        eprintln!("{label}: KL {kl_before:.4} -> {kl_after:.4}");
        assert!(
            kl_after < 0.6 * kl_before,
            "{label}: KL {kl_before:.4} → {kl_after:.4}; \
             trace {trace:?}"
        );
    }
}

fn toy_data(rows: usize, n: usize, seed: u64) -> Dataset {
    toy_data_with_density(rows, n, seed, 0.2, 0.8)
}

/// Rows with unit i on with probability low + (high − low)·i/n.
fn toy_data_with_density(rows: usize, n: usize, seed: u64, low: f64, high: f64) -> Dataset {
    let mut r = rng::root(seed);
    let values = (0..rows * n)
        .map(|i| {
            if rng::uniform(&mut r) < low + (high - low) * ((i % n) as f64 / n as f64) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Dataset::new(rows, n, values).unwrap()
}

/// Stopping after one epoch, saving, loading and continuing gives exactly
/// the parameters of a run that never stopped.
#[test]
fn resume_equals_an_uninterrupted_run() {
    // Dense rows, and rows sparse enough for the sparse products.
    let dense = toy_data(300, 20, 1);
    let sparse = toy_data_with_density(300, 20, 1, 0.02, 0.2);
    // (method, rows, precision, Gibbs chains seeding EMF's restarts, EMF's
    // weights of the states)
    let uniform = TapWeights::Uniform;
    let boltzmann = TapWeights::Boltzmann;
    for (method, data, precision, gibbs, weights) in [
        (Method::Cd, &dense, TapPrecision::F32, 0, uniform),
        (Method::Pcd, &dense, TapPrecision::F32, 0, uniform),
        (Method::Cd, &sparse, TapPrecision::F32, 0, uniform),
        (Method::Pcd, &sparse, TapPrecision::F32, 0, uniform),
        (Method::Tap2, &dense, TapPrecision::F32, 0, uniform),
        (Method::Tap3, &sparse, TapPrecision::F32, 0, uniform),
        (Method::Tap3, &dense, TapPrecision::Bf16, 0, uniform),
        (Method::Tap2, &sparse, TapPrecision::F32, 5, uniform),
        (Method::Tap3, &dense, TapPrecision::Bf16, 40, uniform),
        (Method::Tap3, &sparse, TapPrecision::F32, 5, boltzmann),
        (Method::Tap2, &dense, TapPrecision::Bf16, 40, boltzmann),
    ] {
        let params = TrainConfig::new()
            .method(method)
            .tap_precision(precision)
            .tap_gibbs_chains(gibbs)
            .tap_weights(weights)
            .epochs(3)
            .batch_size(25)
            .sparsity_target(0.1)
            .dropout(0.2)
            .l1(1e-4)
            // EMF: 3 of the 25 magnetisations restart per update, in a
            // rotation that must continue across the checkpoint.
            .tap_restarts(3)
            .check(data.n_rows)
            .unwrap();
        let rbm = initial_rbm(
            data,
            7,
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            &params,
        )
        .unwrap();
        let mut straight = Trainer::new(rbm.clone(), params.clone());
        for _ in 0..3 {
            straight.train_epoch(data, &|_| {}).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.safetensors");
        let mut first = Trainer::new(rbm, params.clone());
        first.train_epoch(data, &|_| {}).unwrap();
        save_rbm(
            &path,
            first.rbm(),
            Some(first.params()),
            Some(first.state()),
        )
        .unwrap();
        let file = load_rbm(&path).unwrap();
        assert_eq!(file.epoch, 1);
        let mut resumed =
            Trainer::resume(file.rbm, file.params.unwrap(), file.state.unwrap()).unwrap();
        for _ in 0..2 {
            resumed.train_epoch(data, &|_| {}).unwrap();
        }
        assert_eq!(resumed.rbm(), straight.rbm(), "{method:?}");
        assert_eq!(resumed.state(), straight.state(), "{method:?}");
        assert_eq!(resumed.state().gibbs_chains.len(), gibbs * 7, "{method:?}");
    }
}

/// EMF sweeps stop once no magnetisation moves by more than
/// --tap-tolerance (one sweep per update at tolerance 1, more for smaller
/// tolerances, at most --tap-iterations; at 0 only at an exact fixed
/// point); a checkpoint without the visible magnetisations
/// (written before they were kept) resumes by restarting them, and one
/// with too few is refused, naming the tensor.
#[test]
fn emf_sweeps_stop_at_the_tolerance_and_checkpoints_keep_both_layers() {
    let data = toy_data(200, 12, 5);
    let config = |iterations: usize, tolerance: f64| {
        TrainConfig::new()
            .method(Method::Tap2)
            .epochs(2)
            .batch_size(20)
            .tap_iterations(iterations)
            .tap_tolerance(tolerance)
            .check(data.n_rows)
            .unwrap()
    };
    let run = |iterations: usize, tolerance: f64| {
        let params = config(iterations, tolerance);
        let rbm = initial_rbm(
            &data,
            6,
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            &params,
        )
        .unwrap();
        let mut trainer = Trainer::new(rbm, params);
        trainer.train_epoch(&data, &|_| {}).unwrap();
        trainer
    };
    assert_eq!(run(2, 0.0).tap_sweeps(), (2 * 10, 10));
    assert_eq!(run(50, 1.0).tap_sweeps(), (10, 10));
    let sweeps: Vec<usize> = [1e-2, 1e-4, 0.0]
        .map(|t| run(50, t).tap_sweeps().0)
        .to_vec();
    assert!(
        10 < sweeps[0] && sweeps.windows(2).all(|w| w[0] <= w[1]),
        "{sweeps:?}"
    );
    assert!(sweeps[2] <= 50 * 10, "{sweeps:?}");
    let trainer = run(50, 1e-4);

    let state = trainer.state();
    assert_eq!(
        (state.chains.len(), state.visible_chains.len()),
        (20 * 6, 20 * 12)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let mut old = state.clone();
    old.visible_chains.clear();
    save_rbm(&path, trainer.rbm(), Some(trainer.params()), Some(&old)).unwrap();
    let file = load_rbm(&path).unwrap();
    assert!(file.state.as_ref().unwrap().visible_chains.is_empty());
    let mut resumed = Trainer::resume(file.rbm, file.params.unwrap(), file.state.unwrap()).unwrap();
    resumed.train_epoch(&data, &|_| {}).unwrap();
    let visible = &resumed.state().visible_chains;
    assert_eq!(visible.len(), 20 * 12);
    assert!(
        visible.iter().all(|m| (0.0..=1.0).contains(m)),
        "{visible:?}"
    );

    let mut short = state.clone();
    short.visible_chains.truncate(19 * 12);
    save_rbm(&path, trainer.rbm(), Some(trainer.params()), Some(&short)).unwrap();
    let error = load_rbm(&path).unwrap_err().to_string();
    assert!(error.contains("train.visible_chains"), "{error}");
}

/// One epoch of a Bernoulli RBM with `n_hidden` units initialised from
/// `data`, trained with `params`.
fn after_one_epoch(data: &Dataset, n_hidden: usize, params: TrainParams) -> Trainer {
    let rbm = initial_rbm(
        data,
        n_hidden,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params);
    trainer.train_epoch(data, &|_| {}).unwrap();
    trainer
}

/// A second epoch after `first`, resumed from `state` (`first`'s state,
/// perhaps altered).
fn second_epoch(first: &Trainer, state: TrainState, data: &Dataset) -> Trainer {
    let params = first.params().with_epochs(2).unwrap();
    let mut resumed = Trainer::resume(first.rbm().clone(), params, state).unwrap();
    resumed.train_epoch(data, &|_| {}).unwrap();
    resumed
}

/// `state` with its EMF magnetisations (both layers) replaced by uniform
/// random values.
fn scrambled_magnetisations(mut state: TrainState) -> TrainState {
    let mut r = rng::root(3);
    for m in state
        .visible_chains
        .iter_mut()
        .chain(state.chains.iter_mut())
    {
        *m = rng::uniform(&mut r) as f32;
    }
    state
}

/// TAP2 on batches of 20 with 10 magnetisations and one sweep per update
/// of damping `damping` (the magnetisations keep a memory of where they
/// started; converged sweeps would forget it), `restarts` of them
/// restarted per update: the setting of the restart tests.
fn emf_restart_config(restarts: usize, damping: f64) -> TrainConfig {
    TrainConfig::new()
        .method(Method::Tap2)
        .epochs(1)
        .batch_size(20)
        .persistent_chains(10)
        .tap_iterations(1)
        .tap_damping(damping)
        .tap_restarts(restarts)
}

/// --tap-restarts R: each update restarts R persistent magnetisations, in
/// turn, from rows of the batch. With R = --chains every update starts
/// from the batch alone, so the model after an epoch does not depend on
/// the magnetisations it resumed with; with R < --chains it does, and the
/// restarted magnetisations follow the rotation (u·R + t) mod --chains.
/// More restarts than magnetisations are refused, naming the flag.
#[test]
fn emf_restarts_replace_magnetisations_with_batch_rows() {
    let data = toy_data(200, 12, 9);
    let params = |restarts: usize| {
        emf_restart_config(restarts, 0.5)
            .check(data.n_rows)
            .unwrap()
    };
    // One epoch makes the persistent state, then a second runs from it (or
    // from scrambled magnetisations).
    let two_epochs = |restarts: usize, scramble: bool| {
        let first = after_one_epoch(&data, 6, params(restarts));
        let state = first.state().clone();
        let state = if scramble {
            scrambled_magnetisations(state)
        } else {
            state
        };
        second_epoch(&first, state, &data)
    };
    let (kept, scrambled) = (two_epochs(10, false), two_epochs(10, true));
    assert_eq!(kept.rbm(), scrambled.rbm());
    assert_eq!(kept.state(), scrambled.state());
    let (kept, scrambled) = (two_epochs(3, false), two_epochs(3, true));
    assert_ne!(kept.rbm().weights(), scrambled.rbm().weights());

    let error = TrainConfig::new()
        .method(Method::Tap2)
        .persistent_chains(10)
        .tap_restarts(11)
        .check(data.n_rows)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("tap-restarts") && error.contains("11"),
        "{error}"
    );
}

/// --tap-gibbs-chains G: every other restart (the odd ones of the
/// rotation) starts from the visible sample of one of G persistent Gibbs
/// chains (and its hidden means) instead of a batch row. On rows of
/// intensities ¼ and ¾ with sweeps that barely move the magnetisations,
/// the last update's restarted magnetisations show their seeds: batch rows
/// (¼, ¾) at even places, 0/1 samples at odd ones. With every
/// magnetisation restarted at each update, the model after an epoch does
/// not depend on the magnetisations it resumed with, but does depend on
/// the Gibbs chains' states (and differs from restarts from the batch
/// alone); the chains are 0/1 hidden samples, kept in the checkpoint, and a
/// checkpoint with too few or none is refused, naming the tensor. Gibbs
/// chains without restarts, or fewer than the restarts they seed per
/// update, are refused, naming the flag.
#[test]
fn emf_restarts_from_gibbs_chains_start_from_their_samples() {
    let binary = toy_data(200, 12, 9);
    let quarters = Dataset::new(
        200,
        12,
        binary
            .dense_values()
            .iter()
            .map(|&v| 0.25 + 0.5 * v)
            .collect(),
    )
    .unwrap();
    let config = |gibbs: usize, damping: f64| {
        emf_restart_config(10, damping)
            .tap_gibbs_chains(gibbs)
            // Weights large enough for a chain's samples to depend on its
            // hidden state (at 0.01 they are the biases' samples).
            .init_std(1.0)
            .check(200)
            .unwrap()
    };
    {
        let trainer = after_one_epoch(&quarters, 6, config(5, 0.999_999));
        for (t, m) in trainer.state().visible_chains.chunks_exact(12).enumerate() {
            let seeds: &[f32] = if t % 2 == 1 {
                &[0.0, 1.0]
            } else {
                &[0.25, 0.75]
            };
            assert!(
                m.iter().all(|x| seeds.iter().any(|s| (x - s).abs() < 1e-4)),
                "magnetisation {t}: {m:?}, expected values near {seeds:?}"
            );
        }
    }
    let data = binary;
    let first = after_one_epoch(&data, 6, config(12, 0.5));
    let chains = &first.state().gibbs_chains;
    assert_eq!(chains.len(), 12 * 6);
    assert!(chains.iter().all(|&h| h == 0.0 || h == 1.0), "{chains:?}");
    // The second epoch from the first's state, its magnetisations or its
    // Gibbs chains scrambled.
    let kept = second_epoch(&first, first.state().clone(), &data);
    let magnetisations_scrambled = scrambled_magnetisations(first.state().clone());
    assert_eq!(
        kept.rbm(),
        second_epoch(&first, magnetisations_scrambled, &data).rbm()
    );
    let mut chains_scrambled = first.state().clone();
    let mut r = rng::root(4);
    for h in &mut chains_scrambled.gibbs_chains {
        *h = (rng::uniform(&mut r) < 0.5) as u8 as f32;
    }
    assert_ne!(
        kept.rbm().weights(),
        second_epoch(&first, chains_scrambled, &data)
            .rbm()
            .weights()
    );
    let from_batch = after_one_epoch(&data, 6, config(0, 0.5));
    assert_ne!(first.rbm().weights(), from_batch.rbm().weights());
    assert!(from_batch.state().gibbs_chains.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    for keep in [11 * 6, 0] {
        let mut short = first.state().clone();
        short.gibbs_chains.truncate(keep);
        save_rbm(&path, first.rbm(), Some(first.params()), Some(&short)).unwrap();
        let error = load_rbm(&path).unwrap_err().to_string();
        assert!(error.contains("train.gibbs_chains"), "{error}");
    }

    for (restarts, gibbs, expected) in [
        (0, 4, "without --tap-restarts"),
        (3, 1, "at least the 2 restarts"),
    ] {
        let error = TrainConfig::new()
            .method(Method::Tap2)
            .persistent_chains(10)
            .tap_restarts(restarts)
            .tap_gibbs_chains(gibbs)
            .check(data.n_rows)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("tap-gibbs-chains") && error.contains(expected),
            "{error}"
        );
    }
}

/// A Bernoulli-visible RBM with `n_hidden` units initialised from `data`
/// and trained two epochs, on a pool of `threads` threads.
fn two_epochs_on_threads(
    threads: usize,
    data: &Dataset,
    n_hidden: usize,
    hidden: HiddenUnits,
    params: &TrainParams,
) -> Rbm {
    on_threads(threads, || {
        let rbm = initial_rbm(data, n_hidden, VisibleUnits::Bernoulli, hidden, params).unwrap();
        let mut t = Trainer::new(rbm, params.clone());
        t.train_epoch(data, &|_| {}).unwrap();
        t.train_epoch(data, &|_| {}).unwrap();
        t.rbm().clone()
    })
}

/// Same seed, same model, whatever the thread count (small products run
/// on one thread, so the results are bit-identical).
#[test]
fn training_is_deterministic_across_thread_counts() {
    let data = toy_data(200, 30, 2);
    let params = TrainConfig::new()
        .epochs(2)
        .batch_size(50)
        .check(data.n_rows)
        .unwrap();
    let run = |threads| two_epochs_on_threads(threads, &data, 10, HiddenUnits::Spin, &params);
    assert_eq!(run(1), run(2));
}

/// A learning rate that blows the weights up is reported, not trained on.
#[test]
fn divergence_is_an_error() {
    let data = toy_data(100, 10, 3);
    let params = TrainConfig::new()
        .learning_rate(1e38)
        .momentum(0.9)
        .initial_momentum(0.9)
        .epochs(5)
        .batch_size(10)
        .check(data.n_rows)
        .unwrap();
    let rbm = initial_rbm(
        &data,
        5,
        VisibleUnits::Gaussian,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params);
    let mut error = None;
    for _ in 0..5 {
        if let Err(e) = trainer.train_epoch(&data, &|_| {}) {
            error = Some(e);
            break;
        }
    }
    let message = error.expect("training should diverge").to_string();
    assert!(message.contains("not finite"), "{message}");
}

/// Write-then-read of a model is the identity, for every unit type.
#[test]
fn model_file_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    for (v, h) in [
        (VisibleUnits::Bernoulli, HiddenUnits::Bernoulli),
        (VisibleUnits::Spin, HiddenUnits::Spin),
        (VisibleUnits::Gaussian, HiddenUnits::Bernoulli),
    ] {
        let data = toy_data(50, 6, 4);
        let params = TrainConfig::new()
            .epochs(1)
            .batch_size(10)
            .check(data.n_rows)
            .unwrap();
        let rbm = initial_rbm(&data, 3, v, h, &params).unwrap();
        let path = dir.path().join(format!("{v:?}-{h:?}.safetensors"));
        save_rbm(&path, &rbm, None, None).unwrap();
        let file = load_rbm(&path).unwrap();
        assert_eq!(file.rbm, rbm);
        assert!(file.params.is_none() && file.state.is_none());
    }
}

/// The format is a contract: a file written by vrg 0.1 (format version 1,
/// kept in tests/data) must keep loading, with the values it was written
/// with: W_ij = (i − 2j)/8, b_i = i/4 − 1, c_j = −j/2 for a 5×3 spin/Bernoulli
/// model with a PCD-2 training state at epoch 7.
#[test]
fn format_version_1_file_still_loads() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rbm_format_v1.safetensors"
    );
    let file = load_rbm(path).unwrap();
    let rbm = &file.rbm;
    assert_eq!((rbm.n_visible(), rbm.n_hidden()), (5, 3));
    assert_eq!(rbm.visible_units(), VisibleUnits::Spin);
    assert_eq!(rbm.hidden_units(), HiddenUnits::Bernoulli);
    for i in 0..5 {
        assert_eq!(rbm.visible_bias()[i], i as f32 / 4.0 - 1.0);
        for j in 0..3 {
            assert_eq!(rbm.weights()[i * 3 + j], (i as f32 - 2.0 * j as f32) / 8.0);
        }
    }
    for j in 0..3 {
        assert_eq!(rbm.hidden_bias()[j], -(j as f32) / 2.0);
    }
    assert_eq!(file.epoch, 7);
    let params = file.params.unwrap();
    assert_eq!((params.method(), params.k()), (Method::Pcd, 2));
    let state = file.state.unwrap();
    assert_eq!(state.epochs_done, 7);
    assert_eq!(state.chains.len(), 4 * 3);
}

/// Bad model files are clear errors naming the file.
#[test]
fn bad_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a model").unwrap();
    let e = load_rbm(&junk).unwrap_err().to_string();
    assert!(
        e.contains("junk.safetensors") && e.contains("not a valid .safetensors"),
        "{e}"
    );
    let missing = load_rbm(dir.path().join("absent.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("absent.safetensors"), "{missing}");
}

/// With products large enough to run on the thread pool (≥ 4·10⁶
/// multiply-adds), the products split their work by rows or columns of the
/// output only, so the models agree bit for bit.
#[test]
fn parallel_products_agree_across_thread_counts() {
    let data = toy_data(400, 200, 5);
    let params = TrainConfig::new()
        .epochs(2)
        .batch_size(100)
        .check(data.n_rows)
        .unwrap();
    let run = |threads| two_epochs_on_threads(threads, &data, 200, HiddenUnits::Bernoulli, &params);
    let (one, two) = (run(1), run(2));
    assert_eq!(one.weights(), two.weights());
    assert_eq!(one.visible_bias(), two.visible_bias());
    assert_eq!(one.hidden_bias(), two.hidden_bias());
}

/// With the sparse products (visible rows ~12% on; for EMF with its 20 dense
/// magnetisations stacked under the batch) training gives the same
/// parameters on one thread and on two, bit for bit, and agrees with the
/// dense products up to rounding (exactly, with the AVX-512 kernels: both
/// sum each element over k in increasing order with fused multiply-adds).
#[test]
fn sparse_products_agree_with_dense_products() {
    // 390 rows: the last batch of each epoch has 90.
    let data = toy_data_with_density(390, 200, 6, 0.02, 0.22);
    for (method, precision, gibbs) in [
        (Method::Cd, TapPrecision::F32, 0),
        (Method::Pcd, TapPrecision::F32, 0),
        (Method::Tap2, TapPrecision::F32, 0),
        (Method::Tap3, TapPrecision::F32, 0),
        (Method::Tap3, TapPrecision::Bf16, 0),
        (Method::Tap2, TapPrecision::F32, 40),
    ] {
        // EMF: 20 dense magnetisations stacked under the sparse batch (and
        // with Gibbs chains, their samples' sparse products).
        let params = TrainConfig::new()
            .method(method)
            .tap_precision(precision)
            .tap_gibbs_chains(gibbs)
            .epochs(2)
            .batch_size(100)
            .l1(1e-4)
            .sparsity_target(0.1)
            .persistent_chains(20)
            .tap_restarts(2)
            .check(data.n_rows)
            .unwrap();
        let run = |threads, sparse| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let rbm = initial_rbm(
                    &data,
                    200,
                    VisibleUnits::Bernoulli,
                    HiddenUnits::Bernoulli,
                    &params,
                )
                .unwrap();
                let mut t = Trainer::new(rbm, params.clone());
                t.set_sparse_products(sparse);
                t.train_epoch(&data, &|_| {}).unwrap();
                t.train_epoch(&data, &|_| {}).unwrap();
                (t.rbm().clone(), t.sparse_updates())
            })
        };
        let ((sparse_one, updates), (sparse_two, _), (dense, no_updates)) =
            (run(1, true), run(2, true), run(2, false));
        assert_eq!(updates, 8, "{method:?}: every update should be sparse");
        assert_eq!(no_updates, 0);
        assert_eq!(sparse_one, sparse_two, "{method:?}");
        let worst = sparse_two
            .weights()
            .iter()
            .zip(dense.weights())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let scale = dense.weights().iter().fold(0.0f32, |m, w| m.max(w.abs()));
        assert!(
            worst < 1e-3 * scale,
            "{method:?}: max |ΔW| = {worst} of {scale}"
        );
    }
}

/// Two trainings at once in one two-thread pool (each keeps the other
/// thread looking for work during its updates) finish, and each gives the
/// parameters it gives alone.
#[test]
fn concurrent_trainings_in_one_pool_finish_with_their_own_results() {
    let data = toy_data_with_density(400, 200, 8, 0.02, 0.22);
    let train = |method| {
        let params = TrainConfig::new()
            .method(method)
            .epochs(2)
            .batch_size(100)
            .check(data.n_rows)
            .unwrap();
        let rbm = initial_rbm(
            &data,
            150,
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            &params,
        )
        .unwrap();
        let mut t = Trainer::new(rbm, params);
        t.train_epoch(&data, &|_| {}).unwrap();
        t.train_epoch(&data, &|_| {}).unwrap();
        t.rbm().clone()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let alone = pool.install(|| (train(Method::Cd), train(Method::Pcd)));
    let together = pool.install(|| rayon::join(|| train(Method::Cd), || train(Method::Pcd)));
    assert_eq!(alone, together);
}
