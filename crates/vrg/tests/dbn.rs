//! Tests of `vrg::dbn`: the stack's passes agree with the single-RBM code,
//! compose layer by layer, and mismatched stacks are clear errors.

mod common;
use common::random_model;
use vrg::dbn::Dbn;
use vrg::rbm::{HiddenUnits, VisibleUnits};

fn batch(rows: usize, n: usize) -> Vec<f32> {
    (0..rows * n)
        .map(|i| ((i * 7919) % 13 < 5) as u8 as f32)
        .collect()
}

#[test]
fn one_layer_passes_equal_the_rbms_conditionals() {
    let rbm = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        12,
        5,
        0.7,
        1,
    );
    let dbn = Dbn::new(vec![rbm.clone()]).unwrap();
    let v = batch(9, 12);
    let mut h = vec![0.0; 9 * 5];
    rbm.mean_hiddens(&v, 9, &mut h).unwrap();
    assert_eq!(dbn.up(&v, 9, 1).unwrap(), h);
    let mut back = vec![0.0; 9 * 12];
    rbm.mean_visibles(&h, 9, &mut back).unwrap();
    assert_eq!(dbn.down(&h, 9, 1).unwrap(), back);
    assert_eq!(dbn.up(&v, 9, 0).unwrap(), v);
    assert_eq!(dbn.sizes(), vec![12, 5]);
}

#[test]
fn passes_compose_layer_by_layer() {
    let (a, b) = (
        random_model(VisibleUnits::Spin, HiddenUnits::Spin, 16, 8, 0.5, 2),
        random_model(VisibleUnits::Spin, HiddenUnits::Spin, 8, 3, 0.5, 3),
    );
    let dbn = Dbn::new(vec![a.clone(), b.clone()]).unwrap();
    let v: Vec<f32> = batch(4, 16).iter().map(|&x| 2.0 * x - 1.0).collect();
    let mut h1 = vec![0.0; 4 * 8];
    a.mean_hiddens(&v, 4, &mut h1).unwrap();
    let mut h2 = vec![0.0; 4 * 3];
    b.mean_hiddens(&h1, 4, &mut h2).unwrap();
    assert_eq!(dbn.up(&v, 4, 2).unwrap(), h2);
    let mut d1 = vec![0.0; 4 * 8];
    b.mean_visibles(&h2, 4, &mut d1).unwrap();
    let mut d0 = vec![0.0; 4 * 16];
    a.mean_visibles(&d1, 4, &mut d0).unwrap();
    assert_eq!(dbn.down(&h2, 4, 2).unwrap(), d0);
    assert_eq!(dbn.sizes(), vec![16, 8, 3]);
}

#[test]
fn mismatched_stacks_and_levels_are_clear_errors() {
    let a = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        10,
        6,
        0.5,
        4,
    );
    let wrong_size = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        5,
        2,
        0.5,
        5,
    );
    let e = Dbn::new(vec![a.clone(), wrong_size])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layer 1 visible units") && e.contains("expected 6"),
        "{e}"
    );
    let wrong_kind = random_model(VisibleUnits::Spin, HiddenUnits::Bernoulli, 6, 2, 0.5, 6);
    let e = Dbn::new(vec![a.clone(), wrong_kind])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bernoulli hidden units under spin visible units"),
        "{e}"
    );
    assert!(Dbn::new(vec![])
        .unwrap_err()
        .to_string()
        .contains("at least one RBM"));
    let dbn = Dbn::new(vec![a]).unwrap();
    let e = dbn.up(&batch(1, 10), 1, 2).unwrap_err().to_string();
    assert!(
        e.contains("level") && e.contains("0 (the data) to 1"),
        "{e}"
    );
    let e = dbn.up(&batch(1, 9), 1, 1).unwrap_err().to_string();
    assert!(e.contains("shape mismatch"), "{e}");
}

/// Greedy training: layer l + 1 is exactly the RBM trained alone on the
/// up-pass of the data through the trained layers below; same parameters on
/// one and two threads; every epoch reported.
/// Two layers over 16 visible units: 8 Bernoulli hidden units trained with
/// `first`, then 4 hidden units of type `top` trained with `second`.
fn two_layers(
    top: HiddenUnits,
    first: vrg::train::TrainParams,
    second: vrg::train::TrainParams,
) -> Vec<vrg::dbn::LayerSpec> {
    use vrg::dbn::LayerSpec;
    vec![
        LayerSpec {
            n_hidden: 8,
            hidden_units: HiddenUnits::Bernoulli,
            params: first,
        },
        LayerSpec {
            n_hidden: 4,
            hidden_units: top,
            params: second,
        },
    ]
}

#[test]
fn greedy_training_stacks_layers_trained_on_the_up_pass() {
    use vrg::data::Dataset;
    use vrg::dbn::GreedyHooks;
    use vrg::train::{initial_rbm, TrainConfig, Trainer};
    let rows = 120;
    let data = Dataset::new(rows, 16, batch(rows, 16)).unwrap();
    let params = |seed| {
        TrainConfig::new()
            .epochs(3)
            .batch_size(20)
            .seed(seed)
            .check(data.n_rows)
            .unwrap()
    };
    let specs = two_layers(HiddenUnits::Spin, params(1), params(2));
    let validation = Dataset::new(30, 16, batch(30, 16)[..30 * 16].to_vec()).unwrap();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut epochs = Vec::new();
        let mut layers_seen = Vec::new();
        let dbn = pool.install(|| {
            let mut hooks = GreedyHooks {
                epoch_done: &mut |done| {
                    let m = done.metrics;
                    epochs.push((done.layer, m.epoch, m.free_energy_validation.is_some()));
                    Ok(())
                },
                layer_done: &mut |done| {
                    layers_seen.push((
                        done.layer,
                        done.stack.len(),
                        done.train_inputs.n_features,
                        done.validation_inputs.map(|v| v.n_rows),
                    ));
                    Ok(())
                },
            };
            Dbn::train_greedy(
                &data,
                Some(&validation),
                VisibleUnits::Bernoulli,
                &specs,
                50,
                &mut hooks,
            )
            .unwrap()
        });
        (dbn, epochs, layers_seen)
    };
    let (dbn, epochs, layers_seen) = run(1);
    assert_eq!(dbn.sizes(), vec![16, 8, 4]);
    let e = |l, n| (l, n, true);
    assert_eq!(
        epochs,
        vec![e(0, 1), e(0, 2), e(0, 3), e(1, 1), e(1, 2), e(1, 3)]
    );
    assert_eq!(layers_seen, vec![(0, 1, 16, Some(30)), (1, 2, 8, Some(30))]);
    assert_eq!(run(2).0, dbn);
    // Layer 1 alone, on the up-pass through layer 0.
    let up = Dataset::new(rows, 8, dbn.up(&data.dense_values(), rows, 1).unwrap()).unwrap();
    let rbm = initial_rbm(
        &up,
        4,
        VisibleUnits::Bernoulli,
        HiddenUnits::Spin,
        &params(2),
    )
    .unwrap();
    let mut alone = Trainer::new(rbm, params(2));
    for _ in 0..3 {
        alone.train_epoch(&up, &|_| {}).unwrap();
    }
    assert_eq!(alone.rbm(), &dbn.layers()[1]);
    let mut hooks = GreedyHooks {
        epoch_done: &mut |_| Ok(()),
        layer_done: &mut |_| Ok(()),
    };
    let no_layers = Dbn::train_greedy(&data, None, VisibleUnits::Bernoulli, &[], 50, &mut hooks);
    assert!(no_layers
        .unwrap_err()
        .to_string()
        .contains("at least one layer"));
    // A hook's error stops training and comes back.
    let mut hooks = GreedyHooks {
        epoch_done: &mut |done| {
            if done.metrics.epoch == 2 {
                Err(vrg::Error::invalid("test", "stop", "a hook error"))
            } else {
                Ok(())
            }
        },
        layer_done: &mut |_| panic!("no layer should finish"),
    };
    let stopped = Dbn::train_greedy(&data, None, VisibleUnits::Bernoulli, &specs, 50, &mut hooks);
    assert!(stopped.unwrap_err().to_string().contains("hook error"));
}

/// A stack written with save_dbn reads back exactly, with each layer's
/// parameters; other files are clear errors naming the problem.
#[test]
fn dbn_files_round_trip_and_bad_files_are_clear_errors() {
    use vrg::dbn::file::{load_dbn, save_dbn};
    use vrg::rbm::file::save_rbm;
    use vrg::train::TrainConfig;
    let dir = tempfile::tempdir().unwrap();
    let dbn = Dbn::new(vec![
        random_model(VisibleUnits::Gaussian, HiddenUnits::Spin, 9, 6, 0.5, 7),
        random_model(VisibleUnits::Spin, HiddenUnits::Bernoulli, 6, 3, 0.5, 8),
    ])
    .unwrap();
    let params = vec![
        None,
        // No training data here: any row count admits the batch.
        Some(TrainConfig::new().epochs(7).check(usize::MAX).unwrap()),
    ];
    let path = dir.path().join("stack.safetensors");
    save_dbn(&path, &dbn, &params).unwrap();
    let back = load_dbn(&path).unwrap();
    assert_eq!(back.dbn, dbn);
    assert_eq!(back.params, params);

    // An RBM file is not a DBN file.
    let rbm_path = dir.path().join("one.safetensors");
    save_rbm(&rbm_path, &dbn.layers()[0], None, None).unwrap();
    let e = load_dbn(&rbm_path).unwrap_err().to_string();
    assert!(
        e.contains("one.safetensors") && e.contains("vrg-rbm") && e.contains("vrg-dbn"),
        "{e}"
    );
    // Garbage and a missing file.
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a model").unwrap();
    let e = load_dbn(&junk).unwrap_err().to_string();
    assert!(
        e.contains("junk.safetensors") && e.contains("not a valid .safetensors"),
        "{e}"
    );
    assert!(load_dbn(dir.path().join("absent.safetensors"))
        .unwrap_err()
        .to_string()
        .contains("absent.safetensors"));
}

#[test]
fn one_layer_sampling_and_generation_equal_the_rbms() {
    let rbm = random_model(VisibleUnits::Spin, HiddenUnits::Spin, 10, 6, 0.8, 4);
    let dbn = Dbn::new(vec![rbm.clone()]).unwrap();
    // Generation with one layer is the RBM's own chains.
    let generated = dbn.generate(70, 5, 9, &|| {}).unwrap();
    assert_eq!(generated, rbm.sample_chains(70, 5, 9, &|| {}).unwrap());
    assert!(generated.iter().all(|&s| s == 1.0 || s == -1.0));
    // The sampled up-pass is the RBM's sampler with the same stream.
    let v: Vec<f32> = batch(70, 10).iter().map(|&x| 2.0 * x - 1.0).collect();
    let (mut a, mut b) = (vrg::rng::root(3), vrg::rng::root(3));
    let mut h = vec![0.0; 70 * 6];
    rbm.sample_hiddens(&v, 70, &mut a, &mut h).unwrap();
    assert_eq!(dbn.sample_up(&v, 70, 1, &mut b).unwrap(), h);
    // Reconstruction from level 1 is E[v | E[h | v]].
    let mut mean_h = vec![0.0; 70 * 6];
    rbm.mean_hiddens(&v, 70, &mut mean_h).unwrap();
    let mut back = vec![0.0; 70 * 10];
    rbm.mean_visibles(&mean_h, 70, &mut back).unwrap();
    assert_eq!(dbn.reconstruct(&v, 70, 1).unwrap(), back);
    assert_eq!(dbn.reconstruct(&v, 70, 0).unwrap(), v);
}

#[test]
fn generation_runs_the_top_chain_then_samples_down() {
    // A two-layer stack whose lower layer copies h into v almost surely
    // (strong diagonal weights, opposite biases): generated data must
    // then carry the top RBM's visible samples unit by unit.
    let top = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        4,
        3,
        1.0,
        5,
    );
    let n = 4;
    let mut weights = vec![0.0f32; n * n];
    for i in 0..n {
        weights[i * n + i] = 40.0;
    }
    let copy = vrg::rbm::Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        weights,
        vec![-20.0; n],
        vec![-20.0; n],
    )
    .unwrap();
    let dbn = Dbn::new(vec![copy, top.clone()]).unwrap();
    let generated = dbn.generate(200, 7, 11, &|| {}).unwrap();
    let top_samples = top.sample_chains(200, 7, 11, &|| {}).unwrap();
    assert_eq!(generated, top_samples);
    assert!(dbn.generate(0, 7, 11, &|| {}).is_err());
    assert!(dbn.generate(5, 0, 11, &|| {}).is_err());
}

/// Issue #11: a divergence in a deep layer says which layer diverged.
#[test]
fn a_divergence_names_its_layer() {
    use vrg::data::Dataset;
    use vrg::dbn::GreedyHooks;
    use vrg::train::TrainConfig;
    let data = Dataset::new(60, 16, batch(60, 16)).unwrap();
    let params = |learning_rate| {
        TrainConfig::new()
            .epochs(2)
            .batch_size(20)
            .learning_rate(learning_rate)
            .momentum(0.0)
            .initial_momentum(0.0)
            .check(data.n_rows)
            .unwrap()
    };
    let specs = two_layers(HiddenUnits::Bernoulli, params(0.01), params(1e38));
    let mut hooks = GreedyHooks {
        epoch_done: &mut |_| Ok(()),
        layer_done: &mut |_| Ok(()),
    };
    let error = Dbn::train_greedy(&data, None, VisibleUnits::Bernoulli, &specs, 20, &mut hooks)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("diverged") && error.contains("layer 2"),
        "{error}"
    );
}
