//! RG analysis on a trained model: an RBM trained on images made of 2 × 2
//! Kadanoff blocks learns receptive fields that each sit on one block, and
//! the same images with their pixels scrambled do not give local fields
//! (Mehta & Schwab 2014, Fig. 4).

use vrg::data::Dataset;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::rg::{layer_locality, summarize_locality, LocalitySummary};
use vrg::rng;
use vrg::train::{initial_rbm, Method, TrainConfig, Trainer};

const SIDE: usize = 16;
const BLOCK: usize = 2;
const ROWS: usize = 3000;
const N_HIDDEN: usize = 64;

/// `ROWS` 16 × 16 binary images (row-major, site row·16 + col), each an
/// exact 2 × 2 block copy of an 8 × 8 image of i.i.d. fair coins.
fn block_images(seed: u64) -> Vec<f32> {
    let coarse = SIDE / BLOCK;
    let mut r = rng::root(seed);
    let mut values = Vec::with_capacity(ROWS * SIDE * SIDE);
    for _ in 0..ROWS {
        let coins: Vec<f32> = (0..coarse * coarse)
            .map(|_| (rng::uniform(&mut r) < 0.5) as u8 as f32)
            .collect();
        for i in 0..SIDE * SIDE {
            let (row, col) = (i / SIDE, i % SIDE);
            values.push(coins[(row / BLOCK) * coarse + col / BLOCK]);
        }
    }
    values
}

/// A fixed random permutation of 0..n (Fisher–Yates).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut r = rng::root(seed);
    let mut order: Vec<usize> = (0..n).collect();
    rng::shuffle(&mut order, |bound| {
        ((rng::uniform(&mut r) * bound as f64) as usize).min(bound - 1)
    });
    order
}

/// The weights W (`256 × 64`, as f64) of a Bernoulli RBM trained by CD-1
/// with an L1 penalty on `values`. The L1 penalty is what makes the fields
/// sparse: without it (or with L1 ≥ 10⁻²) the median mass fraction at a
/// 2 × 2 window stays near 0.05 on the block images.
fn trained_fields(values: Vec<f32>) -> Vec<f64> {
    let data = Dataset::new(ROWS, SIDE * SIDE, values).unwrap();
    let params = TrainConfig::new()
        .method(Method::Cd)
        .k(1)
        .epochs(40)
        .batch_size(50)
        .learning_rate(0.2)
        .l1(4e-3)
        .seed(5)
        .check(data.n_rows)
        .unwrap();
    let rbm = initial_rbm(
        &data,
        N_HIDDEN,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        &params,
    )
    .unwrap();
    let mut trainer = Trainer::new(rbm, params.clone());
    for _ in 0..params.epochs() {
        trainer.train_epoch(&data, &|_| {}).unwrap();
    }
    trainer.rbm().weights().iter().map(|&w| w as f64).collect()
}

fn locality_at_block(fields: &[f64]) -> LocalitySummary {
    let localities = layer_locality(fields, N_HIDDEN, SIDE, BLOCK).unwrap();
    summarize_locality(BLOCK, &localities)
}

/// Observed (seeds 17, 5, 23): median mass fraction 0.854 on the block
/// images, 0.221 on the scrambled ones and 0.852 once the scrambled
/// fields are put back in lattice order; across five other seed pairs the
/// block median ranged 0.84–0.88 and the scrambled one 0.22–0.225. A field
/// spread over the lattice has about 0.05, and a field on 4 scattered
/// sites about 0.25.
#[test]
fn block_structure_gives_local_fields() {
    let n_sites = SIDE * SIDE;
    let values = block_images(17);
    let blocked = locality_at_block(&trained_fields(values.clone()));

    // Scrambled image k at position p holds the original pixel order[p].
    let order = permutation(n_sites, 23);
    let scrambled_values: Vec<f32> = values
        .chunks_exact(n_sites)
        .flat_map(|row| order.iter().map(move |&i| row[i]))
        .collect();
    let scrambled_fields = trained_fields(scrambled_values);
    let scrambled = locality_at_block(&scrambled_fields);

    // The scrambled model's fields, each row moved back to its lattice site.
    let mut restored_fields = vec![0.0f64; n_sites * N_HIDDEN];
    for (p, &site) in order.iter().enumerate() {
        restored_fields[site * N_HIDDEN..(site + 1) * N_HIDDEN]
            .copy_from_slice(&scrambled_fields[p * N_HIDDEN..(p + 1) * N_HIDDEN]);
    }
    let restored = locality_at_block(&restored_fields);
    eprintln!("blocked {blocked:?}\nscrambled {scrambled:?}\nrestored {restored:?}");

    assert!(
        blocked.median_mass_fraction > 0.6,
        "block images: {blocked:?}"
    );
    assert!(
        scrambled.median_mass_fraction < 0.3,
        "scrambled images: {scrambled:?}"
    );
    // The scrambled model learned the same blocks, only not where the
    // lattice puts them: locality is geometry, not a failure to train.
    assert!(
        restored.median_mass_fraction > 0.6,
        "scrambled model in lattice order: {restored:?}"
    );
    assert!(blocked.median_radius < scrambled.median_radius);
}

/// A layer whose hidden unit k sums exactly the spins of block k (side
/// `block`) of a `side` × `side` lattice: Kadanoff's block spin as an RBM.
fn block_sum_layer(side: usize, block: usize, strength: f32) -> vrg::rbm::Rbm {
    let per_side = side / block;
    let (nv, nh) = (side * side, per_side * per_side);
    let mut weights = vec![0.0f32; nv * nh];
    for i in 0..nv {
        let (r, c) = (i / side, i % side);
        weights[i * nh + (r / block) * per_side + c / block] = strength;
    }
    vrg::rbm::Rbm::from_parameters(
        VisibleUnits::Spin,
        HiddenUnits::Spin,
        weights,
        vec![0.0; nv],
        vec![0.0; nh],
    )
    .unwrap()
}

/// The whole analysis on a hand-built stack of exact block-spin layers
/// (8×8 → 4×4 → 2×2): fields are exactly local with the known radii, each
/// unit follows its own majority-rule block, free energies are exact.
#[test]
fn analysis_of_an_exact_block_spin_stack() {
    use vrg::dbn::Dbn;
    use vrg::estimate::{LogZMethod, LogZOptions};
    use vrg::rg::{analyze_dbn, AnalysisOptions};
    let side = 8;
    // Level 2 sums the four level-1 units of each 2×2 block of the 4×4
    // coarse lattice: its field on the data is a 4×4 block.
    let dbn = Dbn::new(vec![block_sum_layer(8, 2, 2.0), block_sum_layer(4, 2, 2.0)]).unwrap();
    let rows = 400;
    let mut r = rng::root(3);
    let values: Vec<f32> = (0..rows * side * side)
        .map(|_| {
            if rng::uniform(&mut r) < 0.5 {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    let data = Dataset::new(rows, side * side, values).unwrap();
    let options = AnalysisOptions {
        window: 2,
        logz: Some(LogZOptions {
            method: LogZMethod::Exact,
            ..LogZOptions::default()
        }),
        seed: 1,
        mcrg_jackknife: 10,
    };
    let report = analyze_dbn(&dbn, &data, side, &options, &|_| {}).unwrap();
    assert_eq!(report.levels.len(), 3);
    let level1 = &report.levels[1];
    let locality1 = level1.locality.as_ref().unwrap();
    assert!((locality1.median_mass_fraction - 1.0).abs() < 1e-12);
    assert!((locality1.median_radius - 0.5f64.sqrt()).abs() < 1e-9);
    // A 4×4 block: mean squared distance from its centre is 2 × 1.25.
    let locality2 = report.levels[2].locality.as_ref().unwrap();
    assert!((locality2.median_radius - 2.5f64.sqrt()).abs() < 1e-9);
    assert!(
        (locality2.median_mass_fraction - 0.25).abs() < 1e-12,
        "a 2×2 window holds a quarter of a 4×4 block"
    );
    assert!(report.radius_grows_with_depth);
    // Uniform fields over 2×2 and 4×4 blocks: 4 and 16 effective sites.
    assert!((locality1.median_participation_ratio - 4.0).abs() < 1e-9);
    assert!((locality2.median_participation_ratio - 16.0).abs() < 1e-9);
    // Every unit follows its block of random spins: none is dead.
    assert_eq!(report.dead_units, vec![Vec::<usize>::new(); 2]);
    assert!(report.levels.iter().all(|l| l.dead_units == 0));
    assert_eq!(level1.mass_fraction_profile.len(), side);
    assert!((level1.mass_fraction_profile[1] - 1.0).abs() < 1e-12);
    // Each unit's best block is its own block, at distance 0.
    let blocks = level1.block_spins.as_ref().unwrap();
    assert_eq!((blocks.block, blocks.n_blocks), (2, 16));
    assert!(blocks.median_centre_distance < 1e-9);
    assert!(blocks.median_abs_correlation > 0.5);
    let blocks2 = report.levels[2].block_spins.as_ref().unwrap();
    assert_eq!((blocks2.block, blocks2.n_blocks), (4, 4));
    assert!(blocks2.median_centre_distance < 1e-9);
    // Level 0: i.i.d. fair spins have ⟨s s'⟩ ≈ 0 within its error bar.
    let o = &report.levels[0].observables;
    assert!(o.nearest_neighbour_correlation.abs() < 5.0 * o.nearest_neighbour_correlation_stderr);
    // Free energies: exact, one per layer.
    assert_eq!(report.free_energies.len(), 2);
    assert!(report
        .free_energies
        .iter()
        .all(|f| f.log_z_method == "exact"));
    // Bad inputs.
    assert!(analyze_dbn(&dbn, &data, 7, &options, &|_| {}).is_err());
    let wide = AnalysisOptions {
        window: 9,
        ..options.clone()
    };
    assert!(analyze_dbn(&dbn, &data, side, &wide, &|_| {}).is_err());
}

/// The block-spin figure of one exact block-spin layer (4×4 → 2×2): per
/// configuration, the data, its majority-rule blocks, and each hidden unit
/// (at its own block's centre) with the sign of its block.
#[test]
fn block_spin_figure_lays_out_data_blocks_and_hidden_units() {
    use vrg::dbn::Dbn;
    use vrg::rg::{analyze_dbn, block_spin_figure, AnalysisOptions};
    let side = 4;
    let dbn = Dbn::new(vec![block_sum_layer(side, 2, 2.0)]).unwrap();
    // Block sums (row 0): +4, −2 / +2, −4; row 1 is row 0 flipped.
    #[rustfmt::skip]
    let first: Vec<f32> = vec![
        1.0, 1.0, -1.0, -1.0,
        1.0, 1.0, -1.0, 1.0,
        1.0, -1.0, -1.0, -1.0,
        1.0, 1.0, -1.0, -1.0,
    ];
    let mut values = first.clone();
    values.extend(first.iter().map(|v| -v));
    values.extend(first.iter());
    let data = Dataset::new(3, side * side, values).unwrap();
    let options = AnalysisOptions {
        window: 2,
        logz: None,
        seed: 1,
        mcrg_jackknife: 10,
    };
    let analysis = analyze_dbn(&dbn, &data, side, &options, &|_| {}).unwrap();
    let figure = block_spin_figure(&dbn, &data, &analysis, 2).unwrap();
    assert_eq!(figure.columns, 3);
    assert_eq!(figure.tiles.len(), 2 * 3, "2 configurations shown of 3");
    let block_sign = [1.0, -1.0, 1.0, -1.0];
    for (e, sign) in [1.0f64, -1.0].into_iter().enumerate() {
        let tiles = &figure.tiles[3 * e..3 * e + 3];
        for i in 0..side * side {
            assert_eq!(tiles[0][i], sign * f64::from(first[i]));
            let block = block_sign[(i / side / 2) * 2 + (i % side) / 2];
            assert_eq!(tiles[1][i], sign * block, "block spin at site {i}");
            // tanh(2 · block sum) with the block's sign; never empty.
            let hidden = tiles[2][i];
            assert!(
                hidden.abs() > 0.9 && hidden.signum() == sign * block,
                "{hidden}"
            );
        }
    }
}

/// A layer that is exactly Kadanoff's 3×3 majority rule (odd blocks: no
/// ties; weights so strong that sampling is deterministic) flows exactly
/// like the majority-rule block spins: the same coarse configurations, the
/// same fitted couplings.
#[test]
fn a_hard_majority_rule_layer_has_the_block_spins_couplings() {
    use vrg::dbn::Dbn;
    use vrg::ising::{run_chain, Algorithm, IsingModel, SamplingPlan};
    use vrg::rg::renormalized::{dbn_coupling_flow, FitOptions};
    let side = 9;
    let model = IsingModel::new(side, 1.0, 0.0, 1.0 / 0.3).unwrap();
    let plan = SamplingPlan {
        samples: 300,
        sweeps: 5,
        burn_in: 200,
        algorithm: Algorithm::Metropolis,
    };
    let mut spins = vec![0i8; plan.samples * side * side];
    run_chain(&model, &plan, vrg::rng::root(7), Some(&mut spins), &|_| {}).unwrap();
    let data: Vec<f32> = spins.iter().map(|&s| f32::from(s)).collect();
    let dbn = Dbn::new(vec![block_sum_layer(side, 3, 40.0)]).unwrap();
    let options = FitOptions {
        zero_field: true,
        ..FitOptions::default()
    };
    let flow = dbn_coupling_flow(&dbn, &data, plan.samples, side, 3, &options, None, 1).unwrap();
    assert!(flow.skipped.is_empty());
    assert_eq!(flow.levels.len(), 1);
    let level = &flow.levels[0];
    assert_eq!(
        (level.block, level.side, level.occupied_fraction),
        (3, 3, 1.0)
    );
    assert_eq!(level.majority_rule.tie_fraction, 0.0);
    let (learned, blocks) = (
        level.learned.as_ref().expect("fitted").couplings.to_array(),
        level.majority_rule.fit.couplings.to_array(),
    );
    for (a, b) in learned.iter().zip(&blocks) {
        assert!((a - b).abs() < 1e-9, "{learned:?} vs {blocks:?}");
    }
    // The data's own fit is the nearest-neighbour model at K = 0.3, and the
    // blocks flow toward K = 0 (high-temperature side).
    assert!((flow.data.couplings.nearest_neighbour - 0.3).abs() < 0.05);
    assert!(blocks[1] < flow.data.couplings.nearest_neighbour);
}

/// A layer whose units are all dead (hidden biases so negative that no
/// configuration turns a unit on) cannot be fitted: the level is reported
/// without learned couplings, with the reason, and its majority-rule
/// blocks are still fitted.
#[test]
fn a_dead_layer_is_reported_not_fitted_beside_its_majority_rule_blocks() {
    use vrg::dbn::Dbn;
    use vrg::ising::{run_chain, Algorithm, IsingModel, SamplingPlan};
    use vrg::rg::renormalized::{dbn_coupling_flow, FitOptions};
    let side = 9;
    let model = IsingModel::new(side, 1.0, 0.0, 1.0 / 0.3).unwrap();
    let plan = SamplingPlan {
        samples: 200,
        sweeps: 5,
        burn_in: 200,
        algorithm: Algorithm::Metropolis,
    };
    let mut spins = vec![0i8; plan.samples * side * side];
    run_chain(&model, &plan, vrg::rng::root(8), Some(&mut spins), &|_| {}).unwrap();
    let data: Vec<f32> = spins.iter().map(|&s| f32::from(s)).collect();
    let mut layer = block_sum_layer(side, 3, 1.0);
    layer.hidden_bias_mut().fill(-1e4);
    let dbn = Dbn::new(vec![layer]).unwrap();
    let options = FitOptions {
        zero_field: true,
        ..FitOptions::default()
    };
    let flow = dbn_coupling_flow(&dbn, &data, plan.samples, side, 3, &options, None, 1).unwrap();
    let level = &flow.levels[0];
    assert!(level.learned.is_none());
    let note = level.learned_note.as_deref().unwrap();
    assert!(
        note.contains("9 of the 9 coarse cells") && note.contains("9 of those never change"),
        "{note}"
    );
    assert!(level.majority_rule.fit.couplings.nearest_neighbour > 0.0);
}
