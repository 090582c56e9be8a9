//! Binary data packed one bit per value train exactly as the same data held
//! as f32 (issue #18 item 3): bit-identical parameters, monitor figures and
//! ln Z, for CD and PCD, Bernoulli and spin visible units.

use vrg::data::{split_validation, to_spins, Dataset};
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{
    fit, initial_rbm, EpochRecord, FitOptions, Method, Monitor, TrainConfig, Trainer,
};

/// 0/1 data of `rows × features` with some structure (a few prototypes
/// with flipped bits), from a fixed seed.
fn binary_data(rows: usize, features: usize) -> Dataset {
    let mut rng = vrg::rng::root(17);
    let values = (0..rows)
        .flat_map(|r| {
            let prototype = r % 3;
            (0..features)
                .map(|j| {
                    let on = (j * (prototype + 2)) % 5 < 2;
                    let flip = vrg::rng::uniform(&mut rng) < 0.1;
                    f32::from(u8::from(on != flip))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Dataset::new(rows, features, values).unwrap()
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Everything deterministic in an epoch's record, as bits.
fn record_bits(record: &EpochRecord) -> Vec<u64> {
    let m = &record.metrics;
    let mut out = vec![
        m.epoch as u64,
        m.free_energy_train.to_bits(),
        m.free_energy_validation.map_or(0, f64::to_bits),
        m.free_energy_gap.map_or(0, f64::to_bits),
        m.reconstruction_error.to_bits(),
        m.pseudo_log_likelihood.map_or(1, f64::to_bits),
    ];
    if let Some(l) = &record.likelihood {
        out.extend([
            l.log_z.to_bits(),
            l.log_z_stderr.to_bits(),
            l.log_likelihood_train.to_bits(),
            l.log_likelihood_validation.map_or(0, f64::to_bits),
        ]);
    }
    out
}

/// Trains on `all` (split 80/20, monitored, ln Z by AIS every 2 epochs)
/// and returns the model and the epoch records.
fn train(all: &Dataset, method: Method, units: VisibleUnits) -> (Rbm, Vec<Vec<u64>>) {
    let (train, validation) = split_validation(all, 0.2, 5).unwrap();
    let params = TrainConfig::new()
        .method(method)
        .batch_size(16)
        .epochs(3)
        .learning_rate(0.05)
        .check(train.n_rows)
        .unwrap();
    let rbm = initial_rbm(&train, 9, units, HiddenUnits::Bernoulli, &params).unwrap();
    let mut trainer = Trainer::new(rbm, params);
    let monitor = Monitor::new(&train, Some(&validation), 60, 20);
    let options = FitOptions {
        evaluate_every: Some(2),
        log_z: LogZOptions {
            method: LogZMethod::Ais,
            chains: 8,
            betas: Some(30),
            seed: 3,
            bracket: false,
        },
    };
    let mut records = Vec::new();
    let mut hook = |_: &Trainer, r: &EpochRecord| {
        records.push(record_bits(r));
        Ok(())
    };
    fit(&mut trainer, &train, &monitor, &options, &mut hook).unwrap();
    (trainer.rbm().clone(), records)
}

#[test]
fn training_on_packed_data_gives_bit_identical_parameters() {
    // 150 rows and 70 features: neither a multiple of 64.
    let base = binary_data(150, 70);
    for units in [VisibleUnits::Bernoulli, VisibleUnits::Spin] {
        let mut dense = base.clone();
        if units == VisibleUnits::Spin {
            to_spins(&mut dense);
        }
        let mut packed = dense.clone();
        assert!(packed.pack(), "{units:?} data pack");
        assert!(!dense.is_binary());
        for method in [Method::Cd, Method::Pcd] {
            let (a, records_a) = train(&dense, method, units);
            let (b, records_b) = train(&packed, method, units);
            let what = format!("{units:?} {method:?}");
            assert_eq!(bits(a.weights()), bits(b.weights()), "{what}: weights");
            assert_eq!(bits(a.visible_bias()), bits(b.visible_bias()), "{what}");
            assert_eq!(bits(a.hidden_bias()), bits(b.hidden_bias()), "{what}");
            assert_eq!(records_a, records_b, "{what}: monitor and ln Z");
            assert_eq!(records_a.len(), 3);
            // The model moved away from its start, so the comparison means
            // something.
            let params = TrainConfig::new().check(120).unwrap();
            let start = initial_rbm(&dense, 9, units, HiddenUnits::Bernoulli, &params).unwrap();
            assert_ne!(bits(a.weights()), bits(start.weights()), "{what}");
        }
    }
}

#[test]
fn free_energies_of_packed_rows_equal_those_of_dense_rows() {
    let dense = binary_data(100, 70);
    let mut packed = dense.clone();
    packed.pack();
    let params = TrainConfig::new().check(100).unwrap();
    let rbm = initial_rbm(
        &dense,
        7,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let whole = rbm.free_energy_visible(&dense.dense_values(), 100).unwrap();
    let mut chunked = Vec::new();
    packed
        .for_each_chunk(64, |_, rows| {
            chunked.extend(rbm.free_energy_visible(rows, rows.len() / 70)?);
            Ok::<(), vrg::Error>(())
        })
        .unwrap();
    let as_bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(as_bits(&whole), as_bits(&chunked));
    assert_eq!(
        bits(&vrg::estimate::base_rate_biases(
            &dense.dense_values(),
            70,
            VisibleUnits::Bernoulli
        )),
        bits(&vrg::estimate::base_rate_biases_of(
            &packed,
            VisibleUnits::Bernoulli
        ))
    );
}
