//! Tests of `vrg::estimate::exact`: ln Z by enumerating either layer agrees
//! with a brute-force double sum of e^{−E(v,h)} (discrete units) and with
//! log-sum-exps of the library's marginal free energies, for every pair of
//! unit types, small and large weights (|x| up to ~60), one block and many
//! Gray-code blocks; the result does not depend on the thread count; the
//! limits are clear errors.

use vrg::estimate::exact::{
    log_partition_enumerating, log_partition_exact, smaller_layer, Layer, BLOCK_BITS,
    MAX_ENUMERATED_UNITS,
};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::Error;

mod common;
use common::{
    all_states, assert_close, log_sum_exp, random_pair_model as random_model, unit_values, PAIRS,
};

/// ln Σ_h e^{−H(h)} with H(h) from `Rbm::free_energy_hidden` (an f64 GEMM,
/// independent of the Gray-code walk).
fn log_z_from_hidden_marginal(rbm: &Rbm) -> f64 {
    let nh = rbm.n_hidden();
    let h = all_states(unit_values(rbm.hidden_units() == HiddenUnits::Spin), nh);
    let free = rbm.free_energy_hidden(&h, 1 << nh).unwrap();
    log_sum_exp(free.iter().map(|f| -f))
}

/// ln Σ_v Σ_h e^{−E(v,h)} from `Rbm::energy` alone (discrete visible units).
fn log_z_brute_force(rbm: &Rbm) -> f64 {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let v_states = all_states(unit_values(rbm.visible_units() == VisibleUnits::Spin), nv);
    let h_states = all_states(unit_values(rbm.hidden_units() == HiddenUnits::Spin), nh);
    let mut terms = Vec::new();
    for v in v_states.chunks_exact(nv) {
        for h in h_states.chunks_exact(nh) {
            terms.push(-rbm.energy(v, h).unwrap());
        }
    }
    log_sum_exp(terms)
}

#[test]
fn both_layers_agree_with_brute_force_for_every_unit_pair() {
    for (p, &pair) in PAIRS.iter().enumerate() {
        for &(nv, nh) in &[(1, 1), (5, 4), (7, 6), (3, 9)] {
            for (s, &scale) in [0.3, 6.0].iter().enumerate() {
                let rbm = random_model(pair, nv, nh, scale, (100 * p + 10 * nv + nh + s) as u64);
                let context = format!("{pair:?} {nv}×{nh} scale {scale}");
                let by_hidden = log_partition_enumerating(&rbm, Layer::Hidden).unwrap();
                let reference = log_z_from_hidden_marginal(&rbm);
                assert_close(by_hidden, reference, 1e-9, &context);
                if pair.0.is_discrete() {
                    let by_visible = log_partition_enumerating(&rbm, Layer::Visible).unwrap();
                    let brute = log_z_brute_force(&rbm);
                    assert_close(by_visible, brute, 1e-9, &context);
                    assert_close(by_hidden, brute, 1e-9, &context);
                }
            }
        }
    }
}

/// More states than one Gray-code block: the blocks' walks and their
/// combination must still give every state once.
#[test]
fn many_blocks_agree_with_the_other_layer() {
    let n_hidden = BLOCK_BITS + 3;
    for &pair in &PAIRS[..4] {
        let rbm = random_model(pair, 9, n_hidden, 0.8, 7);
        let by_hidden = log_partition_enumerating(&rbm, Layer::Hidden).unwrap();
        let by_visible = log_partition_enumerating(&rbm, Layer::Visible).unwrap();
        assert_close(by_hidden, by_visible, 1e-10, &format!("{pair:?}"));
        assert_close(
            by_hidden,
            log_z_from_hidden_marginal(&rbm),
            1e-10,
            &format!("{pair:?}"),
        );
        let auto = log_partition_exact(&rbm).unwrap();
        assert_eq!(auto.enumerated, Layer::Visible);
        assert_eq!(auto.states, 1 << 9);
        assert_eq!(auto.log_z, by_visible);
    }
}

/// Weights of order 20 (inputs of order 100): the log-space sums stay finite
/// and exact.
#[test]
fn large_weights_stay_finite_and_exact() {
    for &pair in &PAIRS {
        let rbm = random_model(pair, 6, 5, 20.0, 3);
        let by_hidden = log_partition_enumerating(&rbm, Layer::Hidden).unwrap();
        assert!(by_hidden > 50.0, "{pair:?}: ln Z = {by_hidden}");
        assert_close(
            by_hidden,
            log_z_from_hidden_marginal(&rbm),
            1e-10,
            &format!("{pair:?}"),
        );
        if pair.0.is_discrete() {
            assert_close(
                by_hidden,
                log_z_brute_force(&rbm),
                1e-10,
                &format!("{pair:?}"),
            );
        }
    }
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let rbm = random_model(PAIRS[0], 30, BLOCK_BITS + 4, 0.5, 11);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| log_partition_enumerating(&rbm, Layer::Hidden).unwrap())
    };
    assert_eq!(run(1).to_bits(), run(2).to_bits());
    assert_eq!(run(2).to_bits(), run(3).to_bits());
}

#[test]
fn limits_are_clear_errors() {
    let gaussian = random_model(PAIRS[4], 3, 4, 0.5, 1);
    assert_eq!(smaller_layer(&gaussian), Layer::Hidden);
    let e = log_partition_enumerating(&gaussian, Layer::Visible).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    assert!(e.to_string().contains("Gaussian"), "{e}");
    let wide = random_model(
        PAIRS[0],
        MAX_ENUMERATED_UNITS + 1,
        MAX_ENUMERATED_UNITS + 2,
        0.1,
        1,
    );
    let e = log_partition_exact(&wide).unwrap_err();
    assert!(
        matches!(e, Error::TooManySpins { n_spins, .. } if n_spins == MAX_ENUMERATED_UNITS + 1),
        "{e}"
    );
}

/// Inputs beyond ±300 (weights of order 150): blocks leave the product walk
/// (e^{2a} would overflow) for the exponential path; both agree with the
/// brute-force sums, and a model with mixed blocks does too.
#[test]
fn huge_inputs_take_the_exponential_path_exactly() {
    for &pair in &PAIRS {
        for (scale, seed) in [(150.0, 5), (40.0, 6)] {
            let rbm = random_model(pair, 6, 5, scale, seed);
            let by_hidden = log_partition_enumerating(&rbm, Layer::Hidden).unwrap();
            let context = format!("{pair:?} scale {scale}");
            assert!(by_hidden.is_finite(), "{context}: {by_hidden}");
            assert_close(by_hidden, log_z_from_hidden_marginal(&rbm), 1e-10, &context);
            if pair.0.is_discrete() {
                assert_close(by_hidden, log_z_brute_force(&rbm), 1e-10, &context);
                let by_visible = log_partition_enumerating(&rbm, Layer::Visible).unwrap();
                assert_close(by_visible, log_z_brute_force(&rbm), 1e-10, &context);
            }
        }
    }
}
