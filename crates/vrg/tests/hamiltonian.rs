//! Integration tests for `vrg::hamiltonian`: many-body Hamiltonians, exact
//! enumeration against naive sums, and Hopfield networks.

use proptest::prelude::*;
use rand::RngCore;
use vrg::hamiltonian::{
    overlap, FixedPointClass, Hopfield, SpinHamiltonian, MAX_ENUMERATION_SPINS,
    MAX_FIXED_POINT_SPINS,
};
use vrg::rng::{self, Rng};
use vrg::Error;

mod common;
use common::{assert_close_symmetric, log_sum_exp};

// ---------------------------------------------------------------- helpers

/// Spins of state `mask` (bit i set ⇔ s_i = −1).
fn spins_of(mask: u64, n: usize) -> Vec<i8> {
    (0..n)
        .map(|i| if (mask >> i) & 1 == 1 { -1 } else { 1 })
        .collect()
}

/// Naive thermodynamics from a list of (spins, energy) over all states:
/// (ln Z, ⟨H⟩, Var H, ⟨s_i⟩), with two-pass variance.
fn naive_thermo(states: &[(Vec<i8>, f64)], beta: f64) -> (f64, f64, f64, Vec<f64>) {
    let log_weights: Vec<f64> = states.iter().map(|(_, e)| -beta * e).collect();
    let log_z = log_sum_exp(log_weights.iter().copied());
    let probs: Vec<f64> = log_weights.iter().map(|lw| (lw - log_z).exp()).collect();
    let mean: f64 = states.iter().zip(&probs).map(|((_, e), p)| p * e).sum();
    let var: f64 = states
        .iter()
        .zip(&probs)
        .map(|((_, e), p)| p * (e - mean) * (e - mean))
        .sum();
    let n = states.first().map_or(0, |(s, _)| s.len());
    let mags = (0..n)
        .map(|i| {
            states
                .iter()
                .zip(&probs)
                .map(|((s, _), p)| p * f64::from(s[i]))
                .sum()
        })
        .collect();
    (log_z, mean, var, mags)
}

/// All states of `h` with their energies from `energy()`.
fn all_states(h: &SpinHamiltonian) -> Vec<(Vec<i8>, f64)> {
    let n = h.n_spins();
    (0..1u64 << n)
        .map(|mask| {
            let s = spins_of(mask, n);
            let e = h.energy(&s);
            (s, e)
        })
        .collect()
}

/// A uniform index in [0, bound) (bias 2^-64·bound, irrelevant here).
fn index(rng: &mut Rng, bound: usize) -> usize {
    ((u128::from(rng.next_u64()) * bound as u128) >> 64) as usize
}

/// A random Hamiltonian on n spins with 1-, 2-, 3- and 4-body terms.
fn random_hamiltonian(n: usize, n_terms: usize, scale: f64, rng: &mut Rng) -> SpinHamiltonian {
    let mut h = SpinHamiltonian::new(n);
    h.add_offset(scale * (rng::uniform(rng) - 0.5)).unwrap();
    for _ in 0..n_terms {
        let size = 1 + index(rng, 4.min(n));
        let mut set = Vec::new();
        while set.len() < size {
            let i = index(rng, n);
            if !set.contains(&i) {
                set.push(i);
            }
        }
        let k = scale * (2.0 * rng::uniform(rng) - 1.0);
        h.add_term(&set, k).unwrap();
    }
    h
}

fn random_pattern(n: usize, rng: &mut Rng) -> Vec<i8> {
    (0..n)
        .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
        .collect()
}

/// Three exactly orthogonal ±1 patterns of length 20 (blocks of 10 and of 5),
/// scrambled by a random site permutation and a random per-site sign (which
/// preserve all overlaps).
fn orthogonal_patterns(rng: &mut Rng) -> Vec<Vec<i8>> {
    let n = 20;
    let base: Vec<Vec<i8>> = vec![
        vec![1; n],
        (0..n).map(|i| if i < 10 { 1 } else { -1 }).collect(),
        (0..n)
            .map(|i| if (i / 5) % 2 == 0 { 1 } else { -1 })
            .collect(),
    ];
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, index(rng, i + 1));
    }
    let gauge = random_pattern(n, rng);
    base.iter()
        .map(|p| (0..n).map(|i| p[perm[i]] * gauge[i]).collect())
        .collect()
}

fn flipped(s: &[i8], i: usize) -> Vec<i8> {
    let mut t = s.to_vec();
    t[i] = -t[i];
    t
}

/// True if no single flip lowers `h`'s energy (checked with energy differences).
fn is_stable(h: &SpinHamiltonian, s: &[i8]) -> bool {
    let e = h.energy(s);
    (0..s.len()).all(|i| h.energy(&flipped(s, i)) - e >= -1e-12)
}

// ------------------------------------------------- enumeration vs naive

/// Checks `h.enumerate(beta)` (ln Z, ⟨H⟩, Var H, every ⟨s_i⟩) against the
/// naive sum over all states to 1e-10, and returns it.
fn assert_enumeration_matches_naive_sum(
    h: &SpinHamiltonian,
    beta: f64,
) -> vrg::hamiltonian::Enumeration {
    let n = h.n_spins();
    let exact = h.enumerate(beta).unwrap();
    let (log_z, mean, var, mags) = naive_thermo(&all_states(h), beta);
    let tag = format!("n = {n}, beta = {beta}");
    assert_close_symmetric(exact.log_z, log_z, 1e-10, &format!("log_z, {tag}"));
    assert_close_symmetric(
        exact.mean_energy,
        mean,
        1e-10,
        &format!("mean_energy, {tag}"),
    );
    assert_close_symmetric(
        exact.energy_variance,
        var,
        1e-10,
        &format!("energy_variance, {tag}"),
    );
    assert_eq!(exact.magnetizations.len(), n);
    for (i, (&m, &naive)) in exact.magnetizations.iter().zip(&mags).enumerate() {
        assert_close_symmetric(m, naive, 1e-10, &format!("<s_{i}>, {tag}"));
    }
    exact
}

#[test]
fn enumeration_matches_naive_sum_for_random_many_body_hamiltonians() {
    let mut rng = rng::root(20240611);
    for n in 1..=10 {
        for &(n_terms, scale, beta) in &[(3 * n, 1.0, 1.0), (5 * n, 0.3, 2.5), (2 * n, 4.0, 0.7)] {
            let h = random_hamiltonian(n, n_terms, scale, &mut rng);
            let exact = assert_enumeration_matches_naive_sum(&h, beta);
            assert_eq!(exact.free_energy, -exact.log_z);
        }
    }
}

/// Sizes with several chunks (N ≥ 13) and more than 2^10 Gray-code steps per
/// chunk, so chunk combination and energy resynchronisation are exercised.
#[test]
fn enumeration_matches_naive_sum_across_chunks() {
    let mut rng = rng::root(7);
    for &n in &[13usize, 15] {
        let h = random_hamiltonian(n, 4 * n, 1.0, &mut rng);
        for &beta in &[0.0, 0.8, -0.5, 3.0] {
            assert_enumeration_matches_naive_sum(&h, beta);
        }
    }
}

#[test]
fn enumeration_survives_huge_energies() {
    // e^{-βH} over/underflows in plain arithmetic; log-space must not.
    let mut rng = rng::root(99);
    let h = random_hamiltonian(9, 30, 2000.0, &mut rng);
    let exact = h.enumerate(1.0).unwrap();
    let (log_z, mean, var, _) = naive_thermo(&all_states(&h), 1.0);
    assert!(
        exact.log_z.is_finite() && exact.log_z > 700.0,
        "log_z = {}",
        exact.log_z
    );
    assert_close_symmetric(exact.log_z, log_z, 1e-10, "log_z");
    assert_close_symmetric(exact.mean_energy, mean, 1e-10, "mean_energy");
    assert!(
        (exact.energy_variance - var).abs() <= 1e-6 * mean.abs(),
        "variance {} vs {var}",
        exact.energy_variance
    );
}

#[test]
fn empty_and_constant_hamiltonians() {
    let mut h = SpinHamiltonian::new(0);
    h.add_offset(1.5).unwrap();
    let e = h.enumerate(2.0).unwrap();
    assert_close_symmetric(e.log_z, -3.0, 1e-15, "one state, H = 1.5");
    assert_eq!(e.energy_variance, 0.0);
    // Free spins: Z = 2^N.
    let free = SpinHamiltonian::new(14).enumerate(1.0).unwrap();
    assert_close_symmetric(free.log_z, 14.0 * 2f64.ln(), 1e-14, "free spins");
    assert!(free.magnetizations.iter().all(|&m| m.abs() < 1e-14));
}

#[test]
fn observables_and_pair_correlations_match_naive_sum() {
    let mut rng = rng::root(3);
    let n = 9;
    let h = random_hamiltonian(n, 25, 0.8, &mut rng);
    let beta = 1.3;
    let states = all_states(&h);
    let log_weights: Vec<f64> = states.iter().map(|(_, e)| -beta * e).collect();
    let log_z = log_sum_exp(log_weights.iter().copied());
    let probs: Vec<f64> = log_weights.iter().map(|lw| (lw - log_z).exp()).collect();

    let observe = |s: &[i8], e: f64| {
        let m = s.iter().map(|&x| f64::from(x)).sum::<f64>();
        [m * m, e * m, f64::from(s[0] * s[3] * s[7])]
    };
    let averages = h.enumerate_observables(beta, observe).unwrap();
    assert_close_symmetric(averages.log_z, log_z, 1e-10, "log_z");
    for k in 0..3 {
        let naive: f64 = states
            .iter()
            .zip(&probs)
            .map(|((s, e), p)| p * observe(s, *e)[k])
            .sum();
        assert_close_symmetric(
            averages.averages[k],
            naive,
            1e-10,
            &format!("observable {k}"),
        );
    }

    let corr = h.pair_correlations(beta).unwrap();
    assert_close_symmetric(corr.log_z, log_z, 1e-10, "log_z");
    for i in 0..n {
        assert_eq!(corr.get(i, i), 1.0);
        for j in 0..n {
            let naive: f64 = states
                .iter()
                .zip(&probs)
                .map(|((s, _), p)| p * f64::from(s[i] * s[j]))
                .sum();
            assert_close_symmetric(corr.get(i, j), naive, 1e-10, &format!("<s_{i} s_{j}>"));
            assert_eq!(corr.get(i, j), corr.get(j, i));
        }
    }
}

// ------------------------------------------------------- property tests

/// (n, terms as (index list, coupling), spins).
type Parts = (usize, Vec<(Vec<usize>, f64)>, Vec<i8>);

/// Strategy for [`Parts`] with terms of up to `max_order` spins.
fn hamiltonian_parts(max_order: usize) -> impl Strategy<Value = Parts> {
    (1usize..9).prop_flat_map(move |n| {
        let term = (
            proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=max_order.min(n)),
            -2.0..2.0f64,
        )
            .prop_shuffle_indices();
        (
            Just(n),
            proptest::collection::vec(term, 0..12),
            proptest::collection::vec(prop_oneof![Just(1i8), Just(-1i8)], n),
        )
    })
}

/// Shuffles a term's index list so that add_term sees unsorted input.
trait ShuffleIndices {
    fn prop_shuffle_indices(self) -> BoxedStrategy<(Vec<usize>, f64)>;
}

impl<S: Strategy<Value = (Vec<usize>, f64)> + 'static> ShuffleIndices for S {
    fn prop_shuffle_indices(self) -> BoxedStrategy<(Vec<usize>, f64)> {
        self.prop_flat_map(|(set, k)| (Just(set).prop_shuffle(), Just(k)))
            .boxed()
    }
}

fn build(n: usize, terms: &[(Vec<usize>, f64)]) -> SpinHamiltonian {
    let mut h = SpinHamiltonian::new(n);
    for (set, k) in terms {
        h.add_term(set, *k).unwrap();
    }
    h
}

proptest! {
    #[test]
    fn flip_delta_is_the_energy_difference((n, terms, spins) in hamiltonian_parts(4)) {
        let h = build(n, &terms);
        let e = h.energy(&spins);
        for i in 0..n {
            let direct = h.energy(&flipped(&spins, i)) - e;
            let delta = h.flip_delta(&spins, i);
            prop_assert!((delta - direct).abs() <= 1e-12 * (1.0 + e.abs()), "spin {i}: {delta} vs {direct}");
        }
    }

    #[test]
    fn even_hamiltonians_are_spin_flip_symmetric((n, terms, spins) in hamiltonian_parts(4)) {
        let even: Vec<_> = terms.into_iter().filter(|(set, _)| set.len() % 2 == 0).collect();
        let h = build(n, &even);
        prop_assert!(h.is_even());
        let reversed: Vec<i8> = spins.iter().map(|&s| -s).collect();
        prop_assert!((h.energy(&spins) - h.energy(&reversed)).abs() <= 1e-12);
    }

    #[test]
    fn add_term_merging_is_additive(
        (n, terms_a, spins) in hamiltonian_parts(3),
        extra in proptest::collection::vec(-2.0..2.0f64, 12),
    ) {
        // B re-adds A's index sets (reversed, so merging must sort) with new couplings.
        let terms_b: Vec<(Vec<usize>, f64)> = terms_a
            .iter()
            .zip(&extra)
            .map(|((set, _), &k)| (set.iter().rev().copied().collect(), k))
            .collect();
        let ha = build(n, &terms_a);
        let hb = build(n, &terms_b);
        let mut both = build(n, &terms_a);
        for (set, k) in &terms_b {
            both.add_term(set, *k).unwrap();
        }
        let scale = 1.0 + ha.energy(&spins).abs() + hb.energy(&spins).abs();
        prop_assert!((both.energy(&spins) - ha.energy(&spins) - hb.energy(&spins)).abs() <= 1e-12 * scale);
        // No new terms: every set of B was already in A.
        prop_assert_eq!(both.n_terms(), ha.n_terms());
        for term in both.terms() {
            let ka: f64 = ha.terms().filter(|t| t.spins == term.spins).map(|t| t.coupling).sum();
            let kb: f64 = hb.terms().filter(|t| t.spins == term.spins).map(|t| t.coupling).sum();
            prop_assert!((term.coupling - (ka + kb)).abs() <= 1e-12);
            prop_assert!(term.spins.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

#[test]
fn order_terms_and_json_round_trip() {
    let mut h = SpinHamiltonian::new(5);
    h.add_term(&[4, 1, 2], 0.5).unwrap();
    h.add_term(&[3], -1.0).unwrap();
    h.add_term(&[2, 1, 4], 0.25).unwrap();
    h.add_term(&[], 2.0).unwrap(); // constant term: offset −= 2
    assert_eq!(h.order(), 3);
    assert_eq!(h.n_terms(), 2);
    assert_eq!(h.offset(), -2.0);
    let first = h.terms().next().unwrap();
    assert_eq!(first.spins, vec![1, 2, 4]);
    assert_eq!(first.coupling, 0.75);
    assert_eq!(h.terms_containing(4).count(), 1);
    let json = h.to_json().unwrap();
    let back = SpinHamiltonian::from_json(&json).unwrap();
    assert_eq!(back, h);
    let s = [1, -1, 1, -1, -1];
    assert_eq!(back.energy(&s), h.energy(&s));
    assert_eq!(back.flip_delta(&s, 2), h.flip_delta(&s, 2));
}

// ------------------------------------------------------ Ising lattices

/// ln Z of the periodic rows × cols Ising model with the lattice formula
/// written out: H = −K Σ_{r,c} s(r,c)[s(r,c+1) + s(r+1,c)] − h Σ s.
fn naive_ising_log_z(rows: usize, cols: usize, k: f64, field: f64) -> f64 {
    let n = rows * cols;
    let log_weights: Vec<f64> = (0..1u64 << n)
        .map(|mask| {
            let s = |r: usize, c: usize| f64::from(spins_of(mask, n)[(r % rows) * cols + c % cols]);
            let mut energy = 0.0;
            for r in 0..rows {
                for c in 0..cols {
                    energy -= k * s(r, c) * (s(r, c + 1) + s(r + 1, c));
                    energy -= field * s(r, c);
                }
            }
            -energy
        })
        .collect();
    log_sum_exp(log_weights.iter().copied())
}

#[test]
fn ising_square_lattice_log_z_matches_direct_sum() {
    for &(rows, cols) in &[(4usize, 4usize), (2, 3), (3, 2), (2, 2)] {
        for &(k, field) in &[(0.4, 0.0), (0.3, 0.15), (-0.7, 0.0)] {
            let h = SpinHamiltonian::from_ising_square(rows, cols, k, field).unwrap();
            let exact = h.enumerate(1.0).unwrap();
            let naive = naive_ising_log_z(rows, cols, k, field);
            assert_close_symmetric(
                exact.log_z,
                naive,
                1e-10,
                &format!("{rows}x{cols}, K = {k}, h = {field}"),
            );
            // Explicit β: β = 2 with coupling K equals β = 1 with 2K.
            let doubled =
                SpinHamiltonian::from_ising_square(rows, cols, 2.0 * k, 2.0 * field).unwrap();
            assert_close_symmetric(
                h.enumerate(2.0).unwrap().log_z,
                doubled.enumerate(1.0).unwrap().log_z,
                1e-12,
                "beta scaling",
            );
        }
    }
}

#[test]
fn ising_2x2_doubles_bonds() {
    let h = SpinHamiltonian::from_ising_square(2, 2, 1.0, 0.0).unwrap();
    // 2N = 8 bonds on 4 distinct pairs, each counted twice.
    assert_eq!(h.n_terms(), 4);
    assert!(h.terms().all(|t| t.spins.len() == 2 && t.coupling == 2.0));
    assert_eq!(h.energy(&[1, 1, 1, 1]), -8.0);
    let h44 = SpinHamiltonian::from_ising_square(4, 4, 1.0, 0.5).unwrap();
    assert_eq!(h44.n_terms(), 32 + 16);
    assert_eq!(h44.energy(&[1; 16]), -32.0 - 8.0);
}

#[test]
fn exact_ising_4x4_magnetization_moments() {
    let (l, n) = (4usize, 16usize);
    let h = SpinHamiltonian::from_ising_square(l, l, 1.0, 0.0).unwrap();
    let beta = 0.4;
    let averages = h
        .enumerate_observables(beta, |s, e| {
            let m = s.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
            let e = e / n as f64;
            [m.abs(), m * m, m.powi(4), e, e * e]
        })
        .unwrap();
    // Naive: every state, lattice formula for the energy.
    let mut log_w = Vec::new();
    let mut values = Vec::new();
    for mask in 0..1u64 << n {
        let s = spins_of(mask, n);
        let at = |r: usize, c: usize| f64::from(s[(r % l) * l + c % l]);
        let mut energy = 0.0;
        for r in 0..l {
            for c in 0..l {
                energy -= at(r, c) * (at(r, c + 1) + at(r + 1, c));
            }
        }
        let m = s.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let e = energy / n as f64;
        log_w.push(-beta * energy);
        values.push([m.abs(), m * m, m.powi(4), e, e * e]);
    }
    let log_z = log_sum_exp(log_w.iter().copied());
    for k in 0..5 {
        let naive: f64 = log_w
            .iter()
            .zip(&values)
            .map(|(lw, v)| (lw - log_z).exp() * v[k])
            .sum();
        assert_close_symmetric(averages.averages[k], naive, 1e-10, &format!("moment {k}"));
    }
    let thermo = h.enumerate(beta).unwrap();
    assert_close_symmetric(
        averages.averages[3] * n as f64,
        thermo.mean_energy,
        1e-12,
        "<e> N = <H>",
    );
    let var_e = averages.averages[4] - averages.averages[3].powi(2);
    assert_close_symmetric(
        var_e * (n * n) as f64,
        thermo.energy_variance,
        1e-8,
        "Var e",
    );
}

// ----------------------------------------------------------- determinism

#[test]
fn enumeration_is_bitwise_identical_for_any_thread_count() {
    let mut rng = rng::root(11);
    let h = random_hamiltonian(18, 60, 1.0, &mut rng);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let e = h.enumerate(0.9).unwrap();
            let o = h
                .enumerate_observables(0.9, |s, e| [f64::from(s[0]) * e, f64::from(s[17])])
                .unwrap();
            (e, o)
        })
    };
    let (e1, o1) = run(1);
    let (e2, o2) = run(2);
    let (e3, o3) = run(3);
    for (e, o) in [(&e2, &o2), (&e3, &o3)] {
        assert_eq!(e1.log_z.to_bits(), e.log_z.to_bits());
        assert_eq!(e1.free_energy.to_bits(), e.free_energy.to_bits());
        assert_eq!(e1.mean_energy.to_bits(), e.mean_energy.to_bits());
        assert_eq!(e1.energy_variance.to_bits(), e.energy_variance.to_bits());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&e1.magnetizations), bits(&e.magnetizations));
        assert_eq!(bits(&o1.averages), bits(&o.averages));
        assert_eq!(o1.log_z.to_bits(), o.log_z.to_bits());
    }
}

// -------------------------------------------------------------- Hopfield

#[test]
fn hebbian_couplings_are_symmetric_with_zero_diagonal() {
    let mut rng = rng::root(5);
    let (n, p) = (13, 4);
    let patterns: Vec<Vec<i8>> = (0..p).map(|_| random_pattern(n, &mut rng)).collect();
    let net = Hopfield::from_patterns(&patterns).unwrap();
    let couplings = net.couplings();
    for i in 0..n {
        assert_eq!(net.coupling(i, i), 0.0);
        for j in 0..n {
            assert_eq!(couplings[i * n + j], couplings[j * n + i]);
            if i != j {
                let hebb: f64 = patterns
                    .iter()
                    .map(|xi| f64::from(xi[i] * xi[j]))
                    .sum::<f64>()
                    / n as f64;
                assert_close_symmetric(net.coupling(i, j), hebb, 1e-15, "J_ij");
            }
        }
    }
    // H = −½ Σ_{i≠j} J_ij s_i s_j, three ways.
    let h = net.to_hamiltonian();
    assert!(h.terms().all(|t| t.spins.len() == 2));
    for _ in 0..20 {
        let s = random_pattern(n, &mut rng);
        let mut direct = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    direct -= 0.5 * couplings[i * n + j] * f64::from(s[i] * s[j]);
                }
            }
        }
        assert_close_symmetric(h.energy(&s), direct, 1e-12, "to_hamiltonian energy");
        assert_close_symmetric(net.energy(&s), direct, 1e-12, "Hopfield::energy");
        for i in 0..n {
            let field: f64 = (0..n).map(|j| couplings[i * n + j] * f64::from(s[j])).sum();
            assert_close_symmetric(net.local_field(&s, i), field, 1e-12, "local field");
            assert_close_symmetric(
                h.flip_delta(&s, i),
                2.0 * f64::from(s[i]) * field,
                1e-12,
                "ΔH = 2 s h",
            );
        }
    }
}

#[test]
fn stored_patterns_are_fixed_points_and_recalled_from_two_flips() {
    for seed in 0..5 {
        let mut rng = rng::root(seed);
        let patterns = orthogonal_patterns(&mut rng);
        let net = Hopfield::from_patterns(&patterns).unwrap();
        let h = net.to_hamiltonian();
        for (mu, xi) in patterns.iter().enumerate() {
            assert!(is_stable(&h, xi), "pattern {mu} not stable (seed {seed})");
            for _ in 0..4 {
                let i = index(&mut rng, 20);
                let j = (i + 1 + index(&mut rng, 19)) % 20;
                let start = flipped(&flipped(xi, i), j);
                assert_close_symmetric(overlap(&start, xi), 0.8, 1e-15, "corrupted overlap");
                let recall = net.recall(&start, &mut rng).unwrap();
                assert!(recall.converged);
                assert_eq!(
                    &recall.state, xi,
                    "recall of pattern {mu} from flips {i}, {j}"
                );
                assert_eq!(recall.overlaps[mu], 1.0);
                assert!(recall.sweeps >= 2, "one sweep to fix, one to confirm");
            }
        }
        let points = net.fixed_points().unwrap();
        for (mu, xi) in patterns.iter().enumerate() {
            assert!(points
                .iter()
                .any(|p| p.class == FixedPointClass::Stored(mu) && &p.state == xi));
            assert!(points
                .iter()
                .any(|p| p.class == FixedPointClass::Reversed(mu)));
        }
    }
}

#[test]
fn fixed_points_are_stable_and_complete() {
    // Random, non-orthogonal patterns: every returned state is stable under
    // every single flip (energy differences), and, for N = 12, every stable
    // state is returned.
    let mut rng = rng::root(17);
    let mut ties_seen = 0;
    for &(n, p) in &[(12usize, 3usize), (12, 5), (12, 4), (12, 2), (16, 4)] {
        let patterns: Vec<Vec<i8>> = (0..p).map(|_| random_pattern(n, &mut rng)).collect();
        let net = Hopfield::from_patterns(&patterns).unwrap();
        let h = net.to_hamiltonian();
        let points = net.fixed_points().unwrap();
        assert!(!points.is_empty());
        for point in &points {
            assert!(
                is_stable(&h, &point.state),
                "returned state not stable: {:?}",
                point.state
            );
            assert_close_symmetric(
                point.energy,
                h.energy(&point.state),
                1e-12,
                "fixed point energy",
            );
            assert_eq!(point.overlaps, net.overlaps(&point.state));
            // A fixed point of the dynamics: recall from it changes nothing,
            // even where a local field is exactly zero (ties keep the spin).
            let recall = net.recall(&point.state, &mut rng).unwrap();
            assert_eq!(recall.state, point.state);
            assert_eq!((recall.sweeps, recall.converged), (1, true));
            ties_seen += (0..n)
                .filter(|&i| net.local_field(&point.state, i) == 0.0)
                .count();
        }
        assert!(
            points.windows(2).all(|w| w[0].energy <= w[1].energy),
            "sorted by energy"
        );
        if n <= 12 {
            let naive: Vec<Vec<i8>> = (0..1u64 << n)
                .map(|m| spins_of(m, n))
                .filter(|s| is_stable(&h, s))
                .collect();
            assert_eq!(naive.len(), points.len(), "N = {n}, p = {p}");
            for s in &naive {
                assert!(points.iter().any(|q| &q.state == s));
            }
        }
    }
    assert!(
        ties_seen > 0,
        "the pattern sets must include fixed points with zero local fields"
    );
}

#[test]
fn symmetric_three_pattern_mixture_is_a_spurious_fixed_point() {
    let mut rng = rng::root(2);
    let patterns = orthogonal_patterns(&mut rng);
    let net = Hopfield::from_patterns(&patterns).unwrap();
    let mixture = net.symmetric_mixture(&[0, 1, 2]).unwrap();
    // Written out independently: sign(ξ¹ + ξ² + ξ³).
    for i in 0..20 {
        let sum: i32 = patterns.iter().map(|p| i32::from(p[i])).sum();
        assert_eq!(i32::from(mixture[i]), sum.signum());
    }
    assert!(
        is_stable(&net.to_hamiltonian(), &mixture),
        "mixture must be stable for this set"
    );
    for xi in &patterns {
        assert_close_symmetric(overlap(&mixture, xi), 0.5, 1e-15, "mixture overlap");
    }
    let points = net.fixed_points().unwrap();
    let found = points
        .iter()
        .find(|p| p.state == mixture)
        .expect("mixture among the fixed points");
    assert_eq!(found.class, FixedPointClass::Spurious);
    assert_eq!(found.overlaps, vec![0.5, 0.5, 0.5]);
    let reversed: Vec<i8> = mixture.iter().map(|&s| -s).collect();
    assert!(points
        .iter()
        .any(|p| p.state == reversed && p.class == FixedPointClass::Spurious));
    // Spurious states lie above the stored ones.
    let stored_energy = points
        .iter()
        .find(|p| p.class == FixedPointClass::Stored(0))
        .unwrap()
        .energy;
    assert!(found.energy > stored_energy);
}

#[test]
fn recall_is_reproducible_from_a_seed() {
    let mut rng = rng::root(8);
    let patterns: Vec<Vec<i8>> = (0..4).map(|_| random_pattern(24, &mut rng)).collect();
    let net = Hopfield::from_patterns(&patterns).unwrap();
    let start = random_pattern(24, &mut rng);
    let a = net.recall(&start, &mut rng::root(1)).unwrap();
    let b = net.recall(&start, &mut rng::root(1)).unwrap();
    assert_eq!(a, b);
    assert!(a.converged);
    let h = net.to_hamiltonian();
    assert!(is_stable(&h, &a.state));
    assert!(h.energy(&a.state) <= h.energy(&start));
}

// -------------------------------------------------------------- bad input

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn bad_input_is_rejected_with_a_clear_message() {
    let mut h = SpinHamiltonian::new(4);
    h.add_term(&[0, 1], 1.0).unwrap();
    let before = h.clone();

    let m = message(h.add_term(&[1, 4], 1.0).unwrap_err());
    assert!(
        m.contains("spin index") && m.contains('4') && m.contains("n_spins = 4"),
        "{m}"
    );
    let m = message(h.add_term(&[2, 0, 2], 1.0).unwrap_err());
    assert!(m.contains("repeated") && m.contains('2'), "{m}");
    let m = message(h.add_term(&[0], f64::NAN).unwrap_err());
    assert!(m.contains("coupling") && m.contains("finite"), "{m}");
    assert_eq!(
        h, before,
        "failed add_term leaves the Hamiltonian unchanged"
    );

    let m = message(h.enumerate(f64::INFINITY).unwrap_err());
    assert!(m.contains("beta"), "{m}");

    let too_many = SpinHamiltonian::new(MAX_ENUMERATION_SPINS + 1);
    match too_many.enumerate(1.0) {
        Err(Error::TooManySpins {
            n_spins: 31,
            max_spins: 30,
        }) => {}
        other => panic!("expected TooManySpins, got {other:?}"),
    }
    assert!(too_many.pair_correlations(1.0).is_err());
    assert!(too_many.enumerate_observables(1.0, |_, e| [e]).is_err());

    let m = message(SpinHamiltonian::from_ising_square(1, 4, 1.0, 0.0).unwrap_err());
    assert!(m.contains("rows"), "{m}");
    let m = message(SpinHamiltonian::from_ising_square(3, 4, f64::NAN, 0.0).unwrap_err());
    assert!(m.contains("coupling"), "{m}");

    let m = message(
        SpinHamiltonian::from_json(
            r#"{"n_spins": 2, "offset": 0, "terms": [{"spins": [0, 2], "coupling": 1}]}"#,
        )
        .unwrap_err(),
    );
    assert!(m.contains("spin index"), "{m}");

    // Hopfield patterns.
    let m = message(Hopfield::from_patterns(&[vec![1, -1, 1], vec![1, 1]]).unwrap_err());
    assert!(
        m.contains("pattern 1") && m.contains("3 spins") && m.contains("found 2"),
        "{m}"
    );
    let m = message(Hopfield::from_patterns(&[vec![1, -1, 1], vec![1, 0, -1]]).unwrap_err());
    assert!(
        m.contains("pattern 1") && m.contains("spin 1") && m.contains("−1 or +1"),
        "{m}"
    );
    let m = message(Hopfield::from_patterns(&[vec![2, -1]]).unwrap_err());
    assert!(m.contains("2 at spin 0"), "{m}");
    assert!(Hopfield::from_patterns(&[]).is_err());
    assert!(Hopfield::from_patterns(&[vec![]]).is_err());

    let net = Hopfield::from_patterns(&[vec![1, -1, 1, 1]]).unwrap();
    let m = message(net.recall(&[1, 1, 1], &mut rng::root(0)).unwrap_err());
    assert!(m.contains("recall start") && m.contains("4 spins"), "{m}");
    let m = message(net.recall(&[1, 1, 3, 1], &mut rng::root(0)).unwrap_err());
    assert!(m.contains("start"), "{m}");
    assert!(net.symmetric_mixture(&[0, 0, 0]).is_err());
    assert!(net.symmetric_mixture(&[0, 1]).is_err());

    let big = Hopfield::from_patterns(&[vec![1; MAX_FIXED_POINT_SPINS + 1]]).unwrap();
    assert!(matches!(
        big.fixed_points(),
        Err(Error::TooManySpins {
            n_spins: 25,
            max_spins: 24
        })
    ));
}
