//! Gaussian hidden units (issue #14, part 2): the Hopfield ↔ RBM
//! equivalence (Barra, Bernacchia, Santucci & Contucci, Neural Networks 34,
//! 2012), their conditional, exact ln Z by visible enumeration, AIS,
//! effective couplings, training and the model file.

mod common;
use common::{all_states, log_sum_exp, random_model, unit_values};
use vrg::data::Dataset;
use vrg::dbn::Dbn;
use vrg::estimate::{
    ais_log_partition, log_partition_enumerating, log_partition_exact, BetaSchedule, Layer,
};
use vrg::hamiltonian::Hopfield;
use vrg::rbm::file::{load_rbm, save_rbm};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::rg::couplings::{
    couplings_exact, couplings_gaussian, couplings_monte_carlo, couplings_support, CouplingSets,
    GaussianForm, GaussianOptions, MonteCarloOptions,
};
use vrg::rng;
use vrg::train::{initial_rbm, TrainConfig, Trainer};

/// `p` random ±1 patterns of `n` spins.
fn random_patterns(n: usize, p: usize, seed: u64) -> Vec<Vec<i8>> {
    let mut r = rng::root(seed);
    (0..p)
        .map(|_| {
            (0..n)
                .map(|_| if rng::uniform(&mut r) < 0.5 { 1 } else { -1 })
                .collect()
        })
        .collect()
}

/// The RBM of a Hopfield network: spin visible units, one Gaussian hidden
/// unit per pattern with W_iμ = ξ_i^μ/√N, no biases. With N = 16 the
/// weights ±¼ are exact in f32.
fn hopfield_rbm(patterns: &[Vec<i8>]) -> Rbm {
    let (n, p) = (patterns[0].len(), patterns.len());
    let scale = 1.0 / (n as f32).sqrt();
    let mut w = vec![0.0f32; n * p];
    for (mu, xi) in patterns.iter().enumerate() {
        for (i, &x) in xi.iter().enumerate() {
            w[i * p + mu] = f32::from(x) * scale;
        }
    }
    Rbm::from_parameters(
        VisibleUnits::Spin,
        HiddenUnits::Gaussian,
        w,
        vec![0.0; n],
        vec![0.0; p],
    )
    .unwrap()
}

#[test]
fn gaussian_hidden_rbm_is_the_hopfield_network() {
    // H(s) = −Σ_μ [½(Σ_i ξ_i^μ s_i/√N)² + ½ ln 2π]
    //      = −Σ_{i<j} J_ij s_i s_j − ½ Σ_μ Σ_i (ξ_i^μ)²/N − (p/2) ln 2π
    //      = H_Hopfield(s) − p/2 − (p/2) ln 2π   (the diagonal J_ii = p/N).
    let (n, p) = (16, 3);
    let patterns = random_patterns(n, p, 14);
    let hopfield = Hopfield::from_patterns(&patterns).unwrap();
    let rbm = hopfield_rbm(&patterns);
    let shift = -0.5 * p as f64 * (1.0 + (2.0 * std::f64::consts::PI).ln());

    let couplings = couplings_exact(&rbm, n, 1e-9).unwrap();
    let mut pairs = 0;
    for c in &couplings.couplings {
        assert_eq!(
            c.spins.len(),
            2,
            "only pair couplings, found K{:?} = {}",
            c.spins,
            c.value
        );
        let (i, j) = (c.spins[0], c.spins[1]);
        assert!(
            (c.value - hopfield.coupling(i, j)).abs() < 1e-9,
            "K{:?} = {} vs J = {}",
            c.spins,
            c.value,
            hopfield.coupling(i, j)
        );
        pairs += 1;
    }
    // Every nonzero Hebbian coupling is listed (|J| ≥ 1/N), none missing.
    let nonzero = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| hopfield.coupling(i, j) != 0.0)
        .count();
    assert_eq!(pairs, nonzero);
    assert!(couplings.diagnostics.dropped > 0); // the higher orders, all ≈ 0
    assert!(
        (couplings.constant + shift).abs() < 1e-9,
        "K_∅ {}",
        couplings.constant
    );

    // H(v) of the RBM is the Hopfield energy plus the constant, on all
    // 2^16 configurations.
    let v = all_states(unit_values(true), n);
    let free = rbm.free_energy_visible(&v, 1 << n).unwrap();
    let mut worst: f64 = 0.0;
    for (s, f) in v.chunks_exact(n).zip(&free) {
        let spins: Vec<i8> = s.iter().map(|&x| x as i8).collect();
        worst = worst.max((f - (hopfield.energy(&spins) + shift)).abs());
        assert!((couplings.energy(&spins) - f).abs() < 1e-9);
    }
    assert!(
        worst < 1e-9,
        "largest |H_RBM − H_Hopfield − const| = {worst}"
    );
}

#[test]
fn every_coupling_method_gives_the_pairwise_closed_form() {
    // Bernoulli visible units (s = 2v − 1, w = W/2) with biases.
    let rbm = random_model(VisibleUnits::Bernoulli, HiddenUnits::Gaussian, 9, 4, 0.7, 3);
    let exact = couplings_exact(&rbm, 9, 0.0).unwrap();
    // J_ij = Σ_μ w_iμ w_jμ with w = W/2.
    let (n, m) = (9, 4);
    let w = rbm.weights();
    for i in 0..n {
        for j in i + 1..n {
            let j_ij: f64 = (0..m)
                .map(|mu| 0.25 * f64::from(w[i * m + mu]) * f64::from(w[j * m + mu]))
                .sum();
            assert!((exact.value(&[i, j]) - j_ij).abs() < 1e-9);
        }
    }
    for c in exact.couplings.iter().filter(|c| c.spins.len() > 2) {
        assert!(c.value.abs() < 1e-9, "K{:?} = {}", c.spins, c.value);
    }
    let support = couplings_support(&rbm, 3, 0.0, 0.3, 2).unwrap();
    assert_eq!(support.diagnostics.discarded_mass_total, 0.0);
    let gaussian = |form| {
        couplings_gaussian(
            &rbm,
            &CouplingSets::FieldsAndPairs,
            &GaussianOptions { nodes: 8, form },
        )
        .unwrap()
    };
    let finite_difference = gaussian(GaussianForm::FiniteDifference);
    let derivative = gaussian(GaussianForm::Derivative);
    let monte_carlo = couplings_monte_carlo(
        &rbm,
        &CouplingSets::FieldsAndPairs,
        &MonteCarloOptions {
            samples: 4000,
            seed: 1,
        },
    )
    .unwrap();
    for (name, other) in [
        ("support", &support),
        ("gaussian fd", &finite_difference),
        ("gaussian derivative", &derivative),
    ] {
        assert!((other.constant - exact.constant).abs() < 1e-9, "{name} K_∅");
        for c in exact.couplings.iter().filter(|c| c.spins.len() <= 2) {
            assert!(
                (other.value(&c.spins) - c.value).abs() < 1e-9,
                "{name} K{:?}: {} vs {}",
                c.spins,
                other.value(&c.spins),
                c.value
            );
        }
    }
    // Monte Carlo: the pairs exactly (no variance), the fields within
    // their standard errors.
    for c in &monte_carlo.couplings {
        let stderr = c.stderr.unwrap();
        let truth = exact.value(&c.spins);
        if c.spins.len() == 2 {
            assert!((c.value - truth).abs() < 1e-9 && stderr < 1e-9);
        } else {
            assert!((c.value - truth).abs() < 5.0 * stderr, "K{:?}", c.spins);
        }
    }
}

#[test]
fn hidden_samples_are_normal_around_the_input() {
    let rbm = random_model(VisibleUnits::Spin, HiddenUnits::Gaussian, 6, 5, 1.0, 7);
    let rows = 40_000;
    let v_row = [1.0f32, -1.0, -1.0, 1.0, 1.0, -1.0];
    let v: Vec<f32> = v_row.iter().copied().cycle().take(rows * 6).collect();
    let mut x = vec![0.0f32; 5];
    rbm.mean_hiddens(&v_row, 1, &mut x).unwrap();
    let mut input = vec![0.0f32; 5];
    rbm.visible_to_hidden_input(&v_row, 1, &mut input).unwrap();
    assert_eq!(x, input, "E[h | v] is the input x");
    let mut h = vec![0.0f32; rows * 5];
    rbm.sample_hiddens(&v, rows, &mut rng::root(5), &mut h)
        .unwrap();
    for (j, &xj) in x.iter().enumerate() {
        let values: Vec<f64> = h.iter().skip(j).step_by(5).map(|&a| f64::from(a)).collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // Standard errors of the mean (1/√n) and of the variance (√(2/n)).
        let z_mean = (mean - f64::from(xj)) * n.sqrt();
        let z_var = (var - 1.0) / (2.0 / n).sqrt();
        eprintln!("unit {j}: x {xj} mean {mean:.4} (z {z_mean:.2}), var {var:.4} (z {z_var:.2})");
        assert!(z_mean.abs() < 4.0 && z_var.abs() < 4.0, "unit {j}");
    }
}

#[test]
fn exact_log_partition_enumerates_the_visible_layer() {
    // n_hidden = 2 < n_visible = 5, but the hidden layer cannot be summed.
    let rbm = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Gaussian,
        5,
        2,
        1.0,
        21,
    );
    let exact = log_partition_exact(&rbm).unwrap();
    assert_eq!(exact.enumerated, Layer::Visible);
    assert_eq!(exact.states, 32);
    let error = log_partition_enumerating(&rbm, Layer::Hidden)
        .unwrap_err()
        .to_string();
    assert!(error.contains("enumerate the visible layer"), "{error}");

    // Independently: ln Z = ln ∫ e^{−H(h)} d²h with H(h) from the hidden
    // marginal (the visible units summed, ½‖h‖² included), by the
    // trapezoid rule on a grid covering every mixture component c + Wᵀv.
    let v = all_states(unit_values(false), 5);
    let mut means = vec![0.0f32; 32 * 2];
    rbm.mean_hiddens(&v, 32, &mut means).unwrap();
    let mut low = [f64::INFINITY; 2];
    let mut high = [f64::NEG_INFINITY; 2];
    for m in means.chunks_exact(2) {
        for k in 0..2 {
            low[k] = low[k].min(f64::from(m[k]) - 12.0);
            high[k] = high[k].max(f64::from(m[k]) + 12.0);
        }
    }
    let step = 0.05;
    let counts = [0, 1].map(|k| ((high[k] - low[k]) / step).ceil() as usize + 1);
    let mut grid = Vec::with_capacity(counts[0] * counts[1] * 2);
    for a in 0..counts[0] {
        for b in 0..counts[1] {
            grid.push((low[0] + a as f64 * step) as f32);
            grid.push((low[1] + b as f64 * step) as f32);
        }
    }
    let free = rbm.free_energy_hidden(&grid, grid.len() / 2).unwrap();
    let integral = log_sum_exp(free.iter().map(|f| -f)) + 2.0 * step.ln();
    eprintln!("ln Z: enumeration {} vs quadrature {integral}", exact.log_z);
    assert!((exact.log_z - integral).abs() < 1e-6);

    // Too many visible units to enumerate: a clear error.
    let wide = Rbm::new(40, 2, VisibleUnits::Spin, HiddenUnits::Gaussian).unwrap();
    let error = log_partition_exact(&wide).unwrap_err().to_string();
    assert!(
        error.contains("Gaussian hidden units") && error.contains("AIS"),
        "{error}"
    );
}

#[test]
fn ais_agrees_with_the_exact_log_partition() {
    let rbm = random_model(VisibleUnits::Spin, HiddenUnits::Gaussian, 10, 3, 0.5, 8);
    let exact = log_partition_exact(&rbm).unwrap().log_z;
    let schedule = BetaSchedule::scaled(1000).unwrap();
    let ais = ais_log_partition(&rbm, &[0.0; 10], 200, &schedule, 4).unwrap();
    eprintln!(
        "exact {exact}, AIS {} ± {} (ESS {})",
        ais.log_z, ais.log_z_stderr, ais.ess
    );
    assert!((ais.log_z - exact).abs() < 4.0 * ais.log_z_stderr + 1e-3);
}

#[test]
fn gaussian_units_on_both_layers_dbn_layers_and_sparsity_are_refused() {
    let error = Rbm::new(4, 2, VisibleUnits::Gaussian, HiddenUnits::Gaussian)
        .unwrap_err()
        .to_string();
    assert!(error.contains("at most one Gaussian layer"), "{error}");
    let rbm = Rbm::new(4, 2, VisibleUnits::Spin, HiddenUnits::Gaussian).unwrap();
    let error = Dbn::new(vec![rbm]).unwrap_err().to_string();
    assert!(error.contains("not in a stack"), "{error}");
    let data = Dataset::new(4, 4, vec![1.0; 16]).unwrap();
    let params = TrainConfig::new()
        .sparsity_target(0.1)
        .batch_size(2)
        .check(4)
        .unwrap();
    let error = initial_rbm(&data, 2, VisibleUnits::Spin, HiddenUnits::Gaussian, &params)
        .unwrap_err()
        .to_string();
    assert!(error.contains("Gaussian hidden units"), "{error}");
}

/// Mean squared error of v → E[h|v] → E[v|h].
fn reconstruction_error(rbm: &Rbm, data: &Dataset) -> f64 {
    let rows = data.n_rows;
    let mut h = vec![0.0f32; rows * rbm.n_hidden()];
    let mut v = vec![0.0f32; rows * rbm.n_visible()];
    rbm.mean_hiddens(&data.dense_values(), rows, &mut h)
        .unwrap();
    rbm.mean_visibles(&h, rows, &mut v).unwrap();
    let total: f64 = data
        .dense_values()
        .iter()
        .zip(&v)
        .map(|(&a, &b)| f64::from(a - b).powi(2))
        .sum();
    total / (rows * rbm.n_visible()) as f64
}

#[test]
fn cd1_training_learns_noisy_patterns_and_the_model_file_round_trips() {
    // Three patterns of 16 spins, each row one of them with 10% flips.
    let (n, p, rows) = (16, 3, 600);
    let patterns = random_patterns(n, p, 2);
    let mut r = rng::root(9);
    let mut values = Vec::with_capacity(rows * n);
    for k in 0..rows {
        for &x in &patterns[k % p] {
            let flip = rng::uniform(&mut r) < 0.1;
            values.push(if flip { -f32::from(x) } else { f32::from(x) });
        }
    }
    let data = Dataset::new(rows, n, values).unwrap();
    // A small learning rate, as for Gaussian visible units (Hinton 2010,
    // §13.2): the gradient grows with W (E[h | v] is not bounded), and at
    // 0.01 with momentum 0.9 these weights run away within 20 epochs.
    let params = TrainConfig::new()
        .k(1)
        .epochs(20)
        .batch_size(20)
        .learning_rate(0.001)
        .init_std(0.01)
        .seed(3)
        .check(rows)
        .unwrap();
    let rbm = initial_rbm(&data, p, VisibleUnits::Spin, HiddenUnits::Gaussian, &params).unwrap();
    let before = reconstruction_error(&rbm, &data);
    let mut trainer = Trainer::new(rbm, params.clone());
    for _ in 0..params.epochs() {
        trainer.train_epoch(&data, &|_| {}).unwrap();
    }
    let after = reconstruction_error(trainer.rbm(), &data);
    eprintln!("reconstruction error {before:.4} -> {after:.4}");
    assert!(after < 0.5 * before, "{before} → {after}");
    assert!(trainer.rbm().weights().iter().all(|w| w.is_finite()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaussian.safetensors");
    save_rbm(&path, trainer.rbm(), Some(trainer.params()), None).unwrap();
    let loaded = load_rbm(&path).unwrap();
    assert_eq!(loaded.rbm.hidden_units(), HiddenUnits::Gaussian);
    assert_eq!(&loaded.rbm, trainer.rbm());
}
