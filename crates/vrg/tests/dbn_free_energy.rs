//! Per-layer free energies of tiny stacks against brute-force sums of
//! e^{−E(v,h)} over every joint state.

mod common;
use common::{all_states, log_sum_exp, random_model, unit_values};
use vrg::data::Dataset;
use vrg::dbn::{layer_free_energies, Dbn};
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// All 2ⁿ states of n binary (0/1) or spin (±1) units, one vector each.
fn states(n: usize, spin: bool) -> Vec<Vec<f32>> {
    all_states(unit_values(spin), n)
        .chunks_exact(n)
        .map(<[f32]>::to_vec)
        .collect()
}

/// H(v) = −ln Σ_h e^{−E(v,h)} by summing every hidden state.
fn brute_free_energy(rbm: &Rbm, v: &[f32]) -> f64 {
    let spin = rbm.hidden_units() == HiddenUnits::Spin;
    -log_sum_exp(
        states(rbm.n_hidden(), spin)
            .iter()
            .map(|h| -rbm.energy(v, h).unwrap()),
    )
}

/// ln Z = ln Σ_{v,h} e^{−E(v,h)} by summing every joint state.
fn brute_log_z(rbm: &Rbm) -> f64 {
    let spin = rbm.visible_units() == VisibleUnits::Spin;
    log_sum_exp(
        states(rbm.n_visible(), spin)
            .iter()
            .map(|v| -brute_free_energy(rbm, v)),
    )
}

fn check_stack(visible: VisibleUnits, hidden: HiddenUnits, sizes: &[usize], seed: u64) {
    let visible_next = match hidden {
        HiddenUnits::Bernoulli => VisibleUnits::Bernoulli,
        HiddenUnits::Spin => VisibleUnits::Spin,
        HiddenUnits::Gaussian => panic!("a DBN has no Gaussian hidden layers"),
    };
    let layers: Vec<Rbm> = sizes
        .windows(2)
        .enumerate()
        .map(|(l, pair)| {
            let units = if l == 0 { visible } else { visible_next };
            random_model(units, hidden, pair[0], pair[1], 1.5, seed + l as u64)
        })
        .collect();
    let dbn = Dbn::new(layers).unwrap();
    let spin = visible == VisibleUnits::Spin;
    let all = states(sizes[0], spin);
    let pick = |rows: std::ops::Range<usize>| {
        let chosen: Vec<f32> = rows
            .clone()
            .flat_map(|r| all[(r * 37 + 5) % all.len()].clone())
            .collect();
        Dataset::new(rows.len(), sizes[0], chosen).unwrap()
    };
    let (train, validation) = (pick(0..23), pick(23..31));
    let options = LogZOptions {
        method: LogZMethod::Exact,
        ..LogZOptions::default()
    };
    let seen = std::cell::Cell::new(0);
    let figures = layer_free_energies(&dbn, &train, Some(&validation), &options, &|_| {
        seen.set(seen.get() + 1)
    })
    .unwrap();
    assert_eq!(seen.get(), sizes.len() - 1);
    let mut below: Option<(f64, f64)> = None;
    for (l, f) in figures.iter().enumerate() {
        let rbm = &dbn.layers()[l];
        let log_z = brute_log_z(rbm);
        assert!(
            (f.log_z - log_z).abs() < 1e-9 * log_z.abs().max(1.0),
            "layer {l}: {} vs {log_z}",
            f.log_z
        );
        assert_eq!(f.log_z_method, "exact");
        // The second-order TAP ln Z beside it, as the library computes it.
        let tap = vrg::estimate::tap_log_partition(
            rbm,
            &vrg::estimate::TapOptions::new(vrg::estimate::TapOrder::Second),
        )
        .ok()
        .map(|t| t.log_z);
        // (None where the layer has Gaussian units or its TAP fixed point
        // does not converge, as for this spin stack's strong random weights.)
        assert_eq!(f.log_z_tap2, tap, "layer {l}");
        assert_eq!((f.n_visible, f.n_hidden), (sizes[l], sizes[l + 1]));
        let per_unit = -log_z / sizes[l] as f64;
        assert!((f.free_energy_per_unit - per_unit).abs() < 1e-9);
        let mean = |data: &Dataset| {
            let up = dbn.up(&data.dense_values(), data.n_rows, l).unwrap();
            up.chunks(sizes[l])
                .map(|v| brute_free_energy(rbm, v))
                .sum::<f64>()
                / data.n_rows as f64
        };
        let (m_train, m_validation) = (mean(&train), mean(&validation));
        assert!((f.mean_free_energy - m_train).abs() < 1e-5, "layer {l}");
        assert!((f.mean_free_energy_validation.unwrap() - m_validation).abs() < 1e-5);
        assert!((f.log_likelihood - (-m_train - log_z)).abs() < 1e-5);
        match below {
            None => assert!(f.delta_free_energy.is_none()),
            Some((big_f, small_f)) => {
                assert!((f.delta_free_energy.unwrap() - (-log_z - big_f)).abs() < 1e-9);
                assert!(
                    (f.delta_free_energy_per_unit.unwrap() - (per_unit - small_f)).abs() < 1e-9
                );
            }
        }
        below = Some((-log_z, per_unit));
    }
}

#[test]
fn bernoulli_stack_free_energies_match_enumeration() {
    check_stack(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &[7, 5, 4, 2],
        21,
    );
}

#[test]
fn spin_stack_free_energies_match_enumeration() {
    check_stack(VisibleUnits::Spin, HiddenUnits::Spin, &[6, 5, 3], 31);
}

#[test]
fn gaussian_data_layer_free_energies_match_enumeration() {
    // Gaussian data units: H(v) of layer 0 is summed over its hidden states
    // by brute force (its ln Z, a Gaussian integral, is checked in
    // tests/partition.rs); the Bernoulli layer above is enumerated whole.
    let layers = vec![
        random_model(
            VisibleUnits::Gaussian,
            HiddenUnits::Bernoulli,
            5,
            4,
            0.4,
            41,
        ),
        random_model(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            4,
            3,
            1.0,
            42,
        ),
    ];
    let dbn = Dbn::new(layers).unwrap();
    let values: Vec<f32> = (0..40).map(|i| ((i * 13) % 7) as f32 * 0.3 - 0.9).collect();
    let train = Dataset::new(8, 5, values).unwrap();
    let options = LogZOptions {
        method: LogZMethod::Exact,
        ..LogZOptions::default()
    };
    let figures = layer_free_energies(&dbn, &train, None, &options, &|_| {}).unwrap();
    let top = &dbn.layers()[1];
    assert!((figures[1].log_z - brute_log_z(top)).abs() < 1e-9 * figures[1].log_z.abs().max(1.0));
    let m0 = train
        .dense_values()
        .chunks_exact(train.n_features)
        .map(|v| brute_free_energy(&dbn.layers()[0], v))
        .sum::<f64>()
        / 8.0;
    assert!((figures[0].mean_free_energy - m0).abs() < 1e-5);
    assert!(figures[0].mean_free_energy_validation.is_none());
}

#[test]
fn ais_layers_agree_with_exact_within_error_bars() {
    let layers = vec![
        random_model(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            12,
            8,
            0.8,
            51,
        ),
        random_model(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            8,
            6,
            0.8,
            52,
        ),
    ];
    let dbn = Dbn::new(layers).unwrap();
    let values: Vec<f32> = (0..12 * 50)
        .map(|i| ((i * 7919) % 11 < 4) as u8 as f32)
        .collect();
    let train = Dataset::new(50, 12, values).unwrap();
    let exact = layer_free_energies(
        &dbn,
        &train,
        None,
        &LogZOptions {
            method: LogZMethod::Exact,
            ..LogZOptions::default()
        },
        &|_| {},
    )
    .unwrap();
    let ais = layer_free_energies(
        &dbn,
        &train,
        None,
        &LogZOptions {
            method: LogZMethod::Ais,
            betas: Some(2000),
            ..LogZOptions::default()
        },
        &|_| {},
    )
    .unwrap();
    for (e, a) in exact.iter().zip(&ais) {
        assert_eq!(a.log_z_method, "ais");
        let z = (a.log_z - e.log_z) / a.log_z_stderr.max(1e-3);
        assert!(
            z.abs() < 4.0,
            "layer {}: AIS {} ± {} vs exact {}",
            e.layer,
            a.log_z,
            a.log_z_stderr,
            e.log_z
        );
    }
}
