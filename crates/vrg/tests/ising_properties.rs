//! Identities every Ising configuration satisfies, as property tests.

use proptest::prelude::*;
use vrg::ising::model::{bond_and_spin_sums, energy, neighbour_sum};
use vrg::ising::{IsingModel, MultiSpinMetropolis};
use vrg::rng;

fn lattice() -> impl Strategy<Value = (usize, Vec<i8>)> {
    (2usize..12).prop_flat_map(|l| {
        (
            Just(l),
            proptest::collection::vec(prop_oneof![Just(-1i8), Just(1i8)], l * l),
        )
    })
}

fn even_lattice() -> impl Strategy<Value = (usize, Vec<i8>)> {
    (2usize..100).prop_flat_map(|half| {
        let l = 2 * half;
        (
            Just(l),
            proptest::collection::vec(prop_oneof![Just(-1i8), Just(1i8)], l * l),
        )
    })
}

proptest! {
    /// ΔE of a single flip, from the local field, equals E(after) − E(before).
    #[test]
    fn flip_delta_is_the_energy_difference(
        (l, spins) in lattice(),
        coupling in -2.0f64..2.0,
        field in -1.0f64..1.0,
        site in any::<prop::sample::Index>(),
    ) {
        prop_assume!(coupling != 0.0);
        let model = IsingModel::new(l, coupling, field, 1.0).unwrap();
        let i = site.index(l * l);
        let delta = model.flip_delta(spins[i], neighbour_sum(&spins, l, i / l, i % l));
        let mut flipped = spins.clone();
        flipped[i] = -flipped[i];
        let difference = energy(&model, &flipped) - energy(&model, &spins);
        prop_assert!((delta - difference).abs() < 1e-9 * (1.0 + difference.abs()));
    }

    /// Without a field, E(−s) = E(s); with one, E(−s) − E(s) = 2hM.
    #[test]
    fn global_flip_symmetry((l, spins) in lattice(), coupling in -2.0f64..2.0, field in -1.0f64..1.0) {
        prop_assume!(coupling != 0.0);
        let negated: Vec<i8> = spins.iter().map(|s| -s).collect();
        let free = IsingModel::new(l, coupling, 0.0, 1.0).unwrap();
        prop_assert!((energy(&free, &negated) - energy(&free, &spins)).abs() < 1e-9);
        let model = IsingModel::new(l, coupling, field, 1.0).unwrap();
        let magnetisation: f64 = spins.iter().map(|&s| s as f64).sum();
        let shift = energy(&model, &negated) - energy(&model, &spins);
        prop_assert!((shift - 2.0 * field * magnetisation).abs() < 1e-9 * (1.0 + shift.abs()));
    }

    /// The bit-packed lattice stores and measures exactly what it was given.
    #[test]
    fn multispin_round_trip_and_sums((l, spins) in even_lattice()) {
        let model = IsingModel::new(l, 1.0, 0.0, 2.0).unwrap();
        let sampler = MultiSpinMetropolis::new(model, &spins, &rng::root(0)).unwrap();
        let mut back = vec![0i8; l * l];
        sampler.store(&mut back);
        prop_assert_eq!(&back, &spins);
        prop_assert_eq!(sampler.bond_and_spin_sums(), bond_and_spin_sums(&spins, l));
    }

    /// A multi-spin sweep keeps the spins ±1 and the bits past the last site
    /// clear (checked through the bond sums of the stored configuration).
    #[test]
    fn multispin_sweep_keeps_a_valid_configuration((l, spins) in even_lattice(), t in 0.5f64..5.0, h in -1.0f64..1.0) {
        let model = IsingModel::new(l, 1.0, h, t).unwrap();
        let mut sampler = MultiSpinMetropolis::new(model, &spins, &rng::root(1)).unwrap();
        sampler.sweep();
        let mut after = vec![0i8; l * l];
        sampler.store(&mut after);
        prop_assert!(after.iter().all(|&s| s == 1 || s == -1));
        prop_assert_eq!(sampler.bond_and_spin_sums(), bond_and_spin_sums(&after, l));
    }
}
