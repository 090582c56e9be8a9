//! Greedy training resumed from any epoch of any layer (issue #11, class
//! 6): `Dbn::train_greedy_from` continued from the finished layers and the
//! layer in training, as a checkpoint file holds them, ends with the stack
//! of a run that never stopped, bit for bit.

use vrg::data::Dataset;
use vrg::dbn::file::{load_dbn, load_dbn_checkpoint, save_dbn_checkpoint, LayerInProgress};
use vrg::dbn::{Dbn, GreedyHooks, GreedyStart, LayerSpec};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{TrainConfig, TrainState};

fn data(rows: usize, n: usize) -> Dataset {
    let values = (0..rows * n)
        .map(|i| f32::from(u8::from((i * 7919 + i / n) % 11 < 4)))
        .collect();
    Dataset::new(rows, n, values).unwrap()
}

/// The training rows of every run.
const TRAIN_ROWS: usize = 120;

/// Both layers' specs, their parameters checked against `n_train_rows`.
fn specs(n_train_rows: usize) -> Vec<LayerSpec> {
    let params = |seed, epochs, method| {
        TrainConfig::new()
            .epochs(epochs)
            .batch_size(20)
            .learning_rate(0.05)
            .method(method)
            .seed(seed)
            .check(n_train_rows)
            .unwrap()
    };
    vec![
        LayerSpec {
            n_hidden: 8,
            hidden_units: HiddenUnits::Bernoulli,
            params: params(1, 4, vrg::train::Method::Pcd),
        },
        LayerSpec {
            n_hidden: 4,
            hidden_units: HiddenUnits::Spin,
            params: params(2, 3, vrg::train::Method::Cd),
        },
    ]
}

/// Every (layer, epoch) checkpoint of a run: the finished layers, the
/// layer in training and its state.
type Snapshot = (Vec<Rbm>, Rbm, TrainState);

fn train(
    start: GreedyStart,
    snapshots: &mut Vec<Snapshot>,
    epochs: &mut Vec<(usize, usize)>,
) -> Dbn {
    let (train, validation) = (data(TRAIN_ROWS, 16), data(30, 16));
    let mut hooks = GreedyHooks {
        epoch_done: &mut |done| {
            epochs.push((done.layer, done.metrics.epoch));
            snapshots.push((
                done.finished.to_vec(),
                done.trainer.rbm().clone(),
                done.trainer.state().clone(),
            ));
            Ok(())
        },
        layer_done: &mut |_| Ok(()),
    };
    Dbn::train_greedy_from(
        &train,
        Some(&validation),
        VisibleUnits::Bernoulli,
        &specs(train.n_rows),
        50,
        start,
        &mut hooks,
    )
    .unwrap()
}

#[test]
fn greedy_training_resumed_from_every_epoch_matches_an_uninterrupted_run() {
    let (mut snapshots, mut epochs) = (Vec::new(), Vec::new());
    let straight = train(GreedyStart::default(), &mut snapshots, &mut epochs);
    assert_eq!(epochs.len(), 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbn.safetensors");
    let specs = specs(TRAIN_ROWS);
    for (i, (finished, rbm, state)) in snapshots.iter().enumerate() {
        // Through the checkpoint file, as `vrg dbn train` resumes.
        let params: Vec<_> = specs[..finished.len()]
            .iter()
            .map(|s| Some(s.params.clone()))
            .collect();
        let layer_params = &specs[finished.len()].params;
        let training = LayerInProgress {
            rbm,
            params: layer_params,
            state,
        };
        save_dbn_checkpoint(
            &path,
            finished,
            &params,
            Some(training),
            &Default::default(),
        )
        .unwrap();
        let file = load_dbn_checkpoint(&path).unwrap();
        assert_eq!(&file.layers, finished);
        let in_progress = file.in_progress.unwrap();
        assert_eq!(&in_progress.rbm, rbm);
        assert_eq!(in_progress.state.as_ref(), Some(state));
        assert_eq!(in_progress.params.as_ref(), Some(layer_params));
        if finished.is_empty() {
            // No finished layer yet: not a stack the analysis can read.
            assert!(load_dbn(&path).is_err());
        } else {
            assert_eq!(load_dbn(&path).unwrap().dbn.layers(), &finished[..]);
        }
        let start = GreedyStart {
            finished: file.layers,
            in_progress: Some((in_progress.rbm, in_progress.state.unwrap())),
        };
        let (mut rest, mut rest_epochs) = (Vec::new(), Vec::new());
        let resumed = train(start, &mut rest, &mut rest_epochs);
        assert_eq!(resumed, straight, "resumed after epoch line {}", i + 1);
        assert_eq!(rest_epochs, epochs[i + 1..], "epochs after line {}", i + 1);
    }
    // From the finished first layer alone.
    let start = GreedyStart {
        finished: straight.layers()[..1].to_vec(),
        in_progress: None,
    };
    let (mut rest, mut rest_epochs) = (Vec::new(), Vec::new());
    assert_eq!(train(start, &mut rest, &mut rest_epochs), straight);
    assert_eq!(rest_epochs, vec![(1, 1), (1, 2), (1, 3)]);
}

#[test]
fn a_start_that_does_not_fit_the_specs_is_an_error() {
    let (mut snapshots, mut epochs) = (Vec::new(), Vec::new());
    let straight = train(GreedyStart::default(), &mut snapshots, &mut epochs);
    let run = |start: GreedyStart| {
        let mut hooks = GreedyHooks {
            epoch_done: &mut |_| Ok(()),
            layer_done: &mut |_| Ok(()),
        };
        let train = data(TRAIN_ROWS, 16);
        Dbn::train_greedy_from(
            &train,
            None,
            VisibleUnits::Bernoulli,
            &specs(train.n_rows),
            50,
            start,
            &mut hooks,
        )
        .unwrap_err()
        .to_string()
    };
    let layers = straight.layers().to_vec();
    let (_, rbm, state) = snapshots[1].clone();
    let text = run(GreedyStart {
        finished: layers.clone(),
        in_progress: Some((rbm.clone(), state.clone())),
    });
    assert!(text.contains("at most 2"), "{text}");
    // Layer 0 where layer 1 belongs.
    let text = run(GreedyStart {
        finished: vec![layers[0].clone()],
        in_progress: Some((rbm, state)),
    });
    assert!(text.contains("layer 1 to resume"), "{text}");
    let text = run(GreedyStart {
        finished: vec![layers[1].clone()],
        in_progress: None,
    });
    assert!(text.contains("layer 0 to resume"), "{text}");
}
