use super::gaussian::derivative_polynomial;
use super::model::SpinModel;
use super::*;
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// An RBM with uniform random parameters in ±`scale` (biases ±`scale`/2);
/// each weight is zeroed with probability `sparsity`.
fn random_rbm(
    n: usize,
    m: usize,
    visible: VisibleUnits,
    hidden: HiddenUnits,
    scale: f64,
    sparsity: f64,
    seed: u64,
) -> Rbm {
    let mut rng = crate::rng::root(seed);
    let mut draw = |s: f64| ((2.0 * crate::rng::uniform(&mut rng) - 1.0) * s) as f32;
    let weights: Vec<f32> = (0..n * m)
        .map(|_| {
            let w = draw(scale);
            if f64::from(draw(1.0)).abs() < sparsity {
                0.0
            } else {
                w
            }
        })
        .collect();
    let a: Vec<f32> = (0..n).map(|_| draw(scale / 2.0)).collect();
    let b: Vec<f32> = (0..m).map(|_| draw(scale / 2.0)).collect();
    Rbm::from_parameters(visible, hidden, weights, a, b).unwrap()
}

/// The nearest-neighbour bonds of the `side × side` torus, right and down
/// from each site.
fn torus_bonds(side: usize) -> Vec<(usize, usize)> {
    let mut bonds = Vec::new();
    for r in 0..side {
        for c in 0..side {
            let i = r * side + c;
            bonds.push((i, r * side + (c + 1) % side));
            bonds.push((i, ((r + 1) % side) * side + c));
        }
    }
    bonds
}

/// One spin hidden unit per bond, weight w on both of its sites, zero
/// biases, so that ln 2cosh(w(s_i + s_j)) = const + K s_i s_j with
/// K = ½ ln cosh 2w. For Bernoulli visible units the same spin-convention
/// unit needs W = 2w and hidden bias −2w (x = −2w + 2w(v_i + v_j) =
/// w(s_i + s_j)).
fn bond_rbm(side: usize, w: f64, visible: VisibleUnits) -> Rbm {
    let bonds = torus_bonds(side);
    let (n, m) = (side * side, bonds.len());
    let (weight, bias) = match visible {
        VisibleUnits::Bernoulli => (2.0 * w, -2.0 * w),
        _ => (w, 0.0),
    };
    let mut weights = vec![0.0f32; n * m];
    for (mu, &(i, j)) in bonds.iter().enumerate() {
        weights[i * m + mu] = weight as f32;
        weights[j * m + mu] = weight as f32;
    }
    Rbm::from_parameters(
        visible,
        HiddenUnits::Spin,
        weights,
        vec![0.0; n],
        vec![bias as f32; m],
    )
    .unwrap()
}

/// The exact couplings of [`bond_rbm`] for weight `w` as stored (f32).
fn bond_coupling(w: f64) -> f64 {
    0.5 * (2.0 * w).cosh().ln()
}

/// Checks `result` against the bond Hamiltonian: K = ½ ln cosh 2w on the
/// bonds, 0 on every other listed set, within `tolerance` (plus `sigmas`
/// standard errors when the method has them).
fn check_bond_couplings(
    result: &EffectiveCouplings,
    side: usize,
    w: f64,
    tolerance: f64,
    sigmas: f64,
) {
    let bonds = torus_bonds(side);
    let k = bond_coupling(w);
    for c in &result.couplings {
        let is_bond =
            c.spins.len() == 2 && bonds.iter().any(|&(i, j)| c.spins == [i.min(j), i.max(j)]);
        let expected = if is_bond { k } else { 0.0 };
        let allowed = tolerance + sigmas * c.stderr.unwrap_or(0.0);
        assert!(
            (c.value - expected).abs() <= allowed,
            "{}: K{:?} = {} ± {:?}, expected {expected}",
            result.method.name(),
            c.spins,
            c.value,
            c.stderr
        );
    }
}

fn all_spins(n: usize, x: usize) -> Vec<i8> {
    (0..n)
        .map(|i| if (x >> i) & 1 == 1 { -1 } else { 1 })
        .collect()
}

#[test]
fn couplings_of_the_bond_rbm_are_half_ln_cosh_2w_by_every_exact_method() {
    let side = 4;
    for visible in [VisibleUnits::Spin, VisibleUnits::Bernoulli] {
        for w in [0.3f32, 1.1] {
            let w = f64::from(w);
            let rbm = bond_rbm(side, w, visible);
            let exact = couplings_exact(&rbm, 4, 0.0).unwrap();
            // Every set up to order 4 is listed (tolerance 0).
            assert_eq!(exact.couplings.len(), 16 + 120 + 560 + 1820);
            check_bond_couplings(&exact, side, w, 1e-9, 0.0);
            // K_∅ = Σ_bonds ½ (ln 2cosh 2w + ln 2).
            let constant = 32.0 * 0.5 * ((2.0 * (2.0 * w).cosh()).ln() + 2f64.ln());
            assert!((exact.constant - constant).abs() < 1e-9);
            let support = couplings_support(&rbm, 4, 0.0, 0.0, 20).unwrap();
            check_bond_couplings(&support, side, w, 1e-9, 0.0);
            assert!((support.constant - constant).abs() < 1e-9);
            assert_eq!(support.diagnostics.largest_support, 2);
            assert_eq!(support.diagnostics.discarded_mass_total, 0.0);
            // Fields, the 32 bonds and nothing else.
            assert_eq!(support.couplings.len(), 16 + 32);
        }
    }
}

#[test]
fn monte_carlo_couplings_of_the_bond_rbm_lie_within_four_standard_errors() {
    let side = 4;
    let w = f64::from(0.7f32);
    let rbm = bond_rbm(side, w, VisibleUnits::Spin);
    let mut sets: Vec<Vec<usize>> = (0..16).map(|i| vec![i]).collect();
    sets.extend(lattice_pairs(side, 2.0).unwrap());
    sets.extend(lattice_triples(side, 1.5).unwrap());
    let options = MonteCarloOptions {
        samples: 2000,
        seed: 3,
    };
    let mc = couplings_monte_carlo(&rbm, &CouplingSets::Given(sets), &options).unwrap();
    check_bond_couplings(&mc, side, w, 1e-12, 4.0);
    // The fields have a real variance (the estimator is not trivially exact).
    assert!(mc.get(&[0]).unwrap().stderr.unwrap() > 1e-3);
    // A bond's unit lies inside the pair: exact, no variance.
    assert!(mc.get(&[0, 1]).unwrap().stderr.unwrap() < 1e-12);
    let constant = 32.0 * 0.5 * ((2.0 * (2.0 * w).cosh()).ln() + 2f64.ln());
    assert!((mc.constant - constant).abs() <= 4.0 * mc.constant_stderr.unwrap() + 1e-9);
}

#[test]
fn gaussian_couplings_of_the_bond_rbm() {
    let side = 4;
    let mut sets: Vec<Vec<usize>> = (0..16).map(|i| vec![i]).collect();
    sets.extend(lattice_pairs(side, 2.0).unwrap());
    sets.extend(lattice_triples(side, 1.5).unwrap());
    let sets = CouplingSets::Given(sets);
    // The finite-difference form is exact here: each unit's support lies
    // inside the bond, and the fields vanish by the symmetry of ln 2cosh.
    for w in [0.2f32, 1.3] {
        let w = f64::from(w);
        let rbm = bond_rbm(side, w, VisibleUnits::Spin);
        let g = couplings_gaussian(&rbm, &sets, &GaussianOptions::default()).unwrap();
        check_bond_couplings(&g, side, w, 1e-12, 0.0);
    }
    // The derivative form gives w² f″(0) = w² on a bond: relative error
    // ⅔w² + O(w⁴), below w².
    let mut previous = f64::INFINITY;
    for w in [0.2f32, 0.1, 0.05] {
        let w = f64::from(w);
        let rbm = bond_rbm(side, w, VisibleUnits::Spin);
        let options = GaussianOptions {
            form: GaussianForm::Derivative,
            ..GaussianOptions::default()
        };
        let g = couplings_gaussian(&rbm, &sets, &options).unwrap();
        let k = g.value(&[0, 1]);
        assert!((k - w * w).abs() < 1e-15, "{k} vs w² = {}", w * w);
        let relative = (k - bond_coupling(w)).abs() / bond_coupling(w);
        assert!(relative < w * w, "w = {w}: relative error {relative}");
        assert!(relative < previous / 3.0);
        previous = relative;
        assert!(g.value(&[0]).abs() < 1e-12 && g.value(&[0, 5]).abs() < 1e-12);
    }
}

#[test]
fn walsh_expansion_reproduces_the_free_energy_on_every_configuration() {
    for (k, visible) in [VisibleUnits::Bernoulli, VisibleUnits::Spin]
        .into_iter()
        .enumerate()
    {
        for (l, hidden) in HiddenUnits::ALL.into_iter().enumerate() {
            let n = 9;
            let rbm = random_rbm(n, 5, visible, hidden, 1.5, 0.0, (10 * k + l) as u64);
            let couplings = couplings_exact(&rbm, n, 0.0).unwrap();
            assert_eq!(couplings.couplings.len(), (1 << n) - 1);
            let hamiltonian = couplings.to_hamiltonian().unwrap();
            let convention = couplings.convention;
            let mut v = Vec::new();
            let mut spins = Vec::new();
            for x in 0..1usize << n {
                let s = all_spins(n, x);
                v.extend(s.iter().map(|&si| convention.visible(si)));
                spins.push(s);
            }
            let free = rbm.free_energy_visible(&v, 1 << n).unwrap();
            for (s, f) in spins.iter().zip(&free) {
                let scale = f.abs().max(1.0);
                assert!(
                    (couplings.energy(s) - f).abs() < 1e-9 * scale,
                    "{visible}/{hidden}"
                );
                assert!((hamiltonian.energy(s) - f).abs() < 1e-9 * scale);
            }
        }
    }
}

#[test]
fn walsh_expansion_reproduces_the_free_energy_across_table_rows() {
    // n = 15 > 12: the transform's second stage (across rows) is used.
    let n = 15;
    let rbm = random_rbm(
        n,
        4,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        1.0,
        0.0,
        5,
    );
    let couplings = couplings_exact(&rbm, n, 0.0).unwrap();
    let model = SpinModel::from_rbm(&rbm).unwrap();
    let mut rng = crate::rng::root(11);
    for _ in 0..64 {
        let x = (crate::rng::uniform(&mut rng) * (1u64 << n) as f64) as usize;
        let s = all_spins(n, x);
        let v: Vec<f32> = s
            .iter()
            .map(|&si| couplings.convention.visible(si))
            .collect();
        let f = rbm.free_energy_visible(&v, 1).unwrap()[0];
        assert!((couplings.energy(&s) - f).abs() < 1e-9 * f.abs().max(1.0));
        assert!((-model.neg_energy(&s) - f).abs() < 1e-9 * f.abs().max(1.0));
    }
}

#[test]
fn support_method_equals_exact_with_zero_tolerance() {
    for hidden in HiddenUnits::ALL {
        let n = 11;
        let rbm = random_rbm(n, 6, VisibleUnits::Bernoulli, hidden, 1.0, 0.4, 21);
        let exact = couplings_exact(&rbm, 3, 0.0).unwrap();
        let support = couplings_support(&rbm, 3, 0.0, 0.0, 20).unwrap();
        assert!((exact.constant - support.constant).abs() < 1e-9);
        for c in &exact.couplings {
            assert!(
                (c.value - support.value(&c.spins)).abs() < 1e-9,
                "K{:?}: {} vs {}",
                c.spins,
                c.value,
                support.value(&c.spins)
            );
        }
        // Every listed support coupling is one of the exact ones.
        assert!(support
            .couplings
            .iter()
            .all(|c| exact.get(&c.spins).is_some()));
    }
}

#[test]
fn support_error_is_bounded_by_the_discarded_mass() {
    let n = 10;
    // Gaussian hidden units are expanded exactly (nothing is discarded).
    for hidden in [HiddenUnits::Bernoulli, HiddenUnits::Spin] {
        let rbm = random_rbm(n, 5, VisibleUnits::Spin, hidden, 0.6, 0.0, 33);
        let exact = couplings_exact(&rbm, n, 0.0).unwrap();
        for tol in [0.05, 0.2] {
            let support = couplings_support(&rbm, n, 0.0, tol, 20).unwrap();
            let d = &support.diagnostics;
            let mass = d.discarded_mass_total;
            assert_eq!(d.discarded_mass.len(), 5);
            assert!((d.discarded_mass.iter().sum::<f64>() - mass).abs() < 1e-15);
            assert!(mass > 0.0);
            // Pointwise: |H̃(s) − H(s)| ≤ M.
            let mut worst: f64 = 0.0;
            for x in 0..1usize << n {
                let s = all_spins(n, x);
                worst = worst.max((support.energy(&s) - exact.energy(&s)).abs());
            }
            assert!(
                worst > 0.0 && worst <= mass,
                "max |ΔH| = {worst} > M = {mass}"
            );
            // Parseval: ‖ΔK‖₂ ≤ M (K_∅ included).
            let mut sq = (support.constant - exact.constant).powi(2);
            for c in &exact.couplings {
                sq += (support.value(&c.spins) - c.value).powi(2);
            }
            assert!(sq.sqrt() <= mass, "‖ΔK‖ = {} > M = {mass}", sq.sqrt());
        }
    }
}

#[test]
fn monte_carlo_agrees_with_exact_couplings_within_their_errors() {
    let n = 10;
    let rbm = random_rbm(
        n,
        6,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        1.2,
        0.0,
        8,
    );
    let exact = couplings_exact(&rbm, 3, 0.0).unwrap();
    let mut sets: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for i in 0..n {
        for j in i + 1..n {
            sets.push(vec![i, j]);
        }
    }
    sets.extend([vec![0, 1, 2], vec![3, 5, 9], vec![1, 4, 7]]);
    let options = MonteCarloOptions {
        samples: 4000,
        seed: 17,
    };
    let mc = couplings_monte_carlo(&rbm, &CouplingSets::Given(sets.clone()), &options).unwrap();
    assert_eq!(mc.couplings.len(), sets.len());
    let mut chi2 = 0.0;
    for c in &mc.couplings {
        let se = c.stderr.unwrap();
        assert!(se > 0.0);
        let z = (c.value - exact.value(&c.spins)) / se;
        assert!(z.abs() < 4.0, "K{:?}: z = {z}", c.spins);
        chi2 += z * z;
    }
    let per_dof = chi2 / mc.couplings.len() as f64;
    assert!(per_dof < 1.6, "χ²/dof = {per_dof}");
    let z = (mc.constant - exact.constant) / mc.constant_stderr.unwrap();
    assert!(z.abs() < 4.0);
    // The same seed draws the same numbers whatever the thread count.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| couplings_monte_carlo(&rbm, &CouplingSets::Given(sets), &options).unwrap());
    assert_eq!(one, mc);
}

#[test]
fn gaussian_approximation_is_close_for_many_comparable_weights() {
    // 20 sites, ±0.25 weights on every site: each unit's input is a sum of
    // 20 comparable terms, close to Gaussian. The finite-difference form
    // errs by the non-Gaussianity of the rest (relative O(1/18)), the
    // derivative form by that plus O(w²).
    let n = 20;
    let m = 3;
    let mut rng = crate::rng::root(4);
    let weights: Vec<f32> = (0..n * m)
        .map(|_| {
            if crate::rng::uniform(&mut rng) < 0.5 {
                0.5
            } else {
                -0.5
            }
        })
        .collect();
    let rbm = Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        weights,
        vec![0.1; n],
        vec![0.3, -0.2, 0.0],
    )
    .unwrap();
    let exact = couplings_exact(&rbm, 3, 0.0).unwrap();
    let sets = CouplingSets::Given(
        exact
            .couplings
            .iter()
            .filter(|c| c.spins.len() <= 3)
            .map(|c| c.spins.clone())
            .collect(),
    );
    for (form, bound) in [
        (GaussianForm::FiniteDifference, 0.05),
        (GaussianForm::Derivative, 0.12),
    ] {
        let options = GaussianOptions {
            form,
            ..GaussianOptions::default()
        };
        let g = couplings_gaussian(&rbm, &sets, &options).unwrap();
        for order in 1..=3 {
            let (mut err, mut size): (f64, f64) = (0.0, 0.0);
            for c in exact.couplings.iter().filter(|c| c.spins.len() == order) {
                err = err.max((g.value(&c.spins) - c.value).abs());
                size = size.max(c.value.abs());
            }
            let relative = err / size;
            assert!(
                relative < bound,
                "{form:?}, order {order}: max error {relative} of max |K|"
            );
        }
        let relative = (g.constant - exact.constant).abs() / exact.constant.abs();
        assert!(relative < 1e-2, "{form:?} K_∅: {relative}");
    }
}

#[test]
fn gauss_hermite_integrates_gaussian_moments() {
    let rule = GaussHermite::new(3).unwrap();
    let (m, sd) = (0.3, 1.7);
    let sum: f64 = rule.weights.iter().sum();
    assert!((sum - std::f64::consts::PI.sqrt()).abs() < 1e-14);
    // Exact to degree 5 with 3 nodes.
    assert!((rule.hermite(m, sd, |x| (x - m).powi(2)) - sd * sd).abs() < 1e-12);
    assert!((rule.hermite(m, sd, |x| (x - m).powi(4)) - 3.0 * sd.powi(4)).abs() < 1e-11);
    let rule = GaussHermite::new(64).unwrap();
    assert!((rule.weights.iter().sum::<f64>() - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    let expected = (m + 0.5 * sd * sd).exp();
    assert!((rule.hermite(m, sd, f64::exp) / expected - 1.0).abs() < 1e-12);
    // The trapezoid branch on the same closed forms.
    for sd in [0.3, 1.7, 6.0] {
        let second = GaussHermite::trapezoid(m, sd, |x| (x - m).powi(2));
        assert!((second / (sd * sd) - 1.0).abs() < 1e-12, "{sd}");
        let fourth = GaussHermite::trapezoid(m, sd, |x| (x - m).powi(4));
        assert!((fourth / (3.0 * sd.powi(4)) - 1.0).abs() < 1e-12, "{sd}");
    }
    // e^x moves the integrand's peak to mean + σ², so only for small σ
    // does ±9σ hold it.
    let expected = (m + 0.5 * 0.3f64.powi(2)).exp();
    assert!((GaussHermite::trapezoid(m, 0.3, f64::exp) / expected - 1.0).abs() < 1e-12);
    for order in [1, 2, 7, 100, 128] {
        let rule = GaussHermite::new(order).unwrap();
        let second = rule.hermite(0.0, 1.0, |x| x * x);
        let norm = rule.hermite(0.0, 1.0, |_| 1.0);
        assert!((norm - 1.0).abs() < 1e-12);
        assert!((second - if order == 1 { 0.0 } else { 1.0 }).abs() < 1e-10);
    }
    assert!(GaussHermite::new(0).is_err() && GaussHermite::new(129).is_err());
}

#[test]
fn derivative_polynomials_match_finite_differences() {
    let h = 1e-4;
    for hidden in HiddenUnits::ALL {
        let f = |x: f64| hidden.log_partition(x);
        let p = |x: f64| match hidden {
            HiddenUnits::Bernoulli => 1.0 / (1.0 + (-x).exp()),
            HiddenUnits::Spin => x.tanh(),
            HiddenUnits::Gaussian => x,
        };
        let eval = |k: usize, x: f64| {
            derivative_polynomial(hidden, k)
                .iter()
                .rev()
                .fold(0.0, |acc, &c| acc * p(x) + c)
        };
        for x in [-1.3, 0.0, 0.4, 2.0] {
            assert!((eval(1, x) - (f(x + h) - f(x - h)) / (2.0 * h)).abs() < 1e-7);
            let second = (f(x + h) - 2.0 * f(x) + f(x - h)) / (h * h);
            assert!((eval(2, x) - second).abs() < 1e-5);
            let third = (eval(2, x + h) - eval(2, x - h)) / (2.0 * h);
            assert!((eval(3, x) - third).abs() < 1e-7);
            let fourth = (eval(3, x + h) - eval(3, x - h)) / (2.0 * h);
            assert!((eval(4, x) - fourth).abs() < 1e-7);
        }
    }
}

#[test]
fn couplings_summaries_by_order_and_distance() {
    let side = 4;
    let w = f64::from(0.5f32);
    let rbm = bond_rbm(side, w, VisibleUnits::Spin);
    let exact = couplings_exact(&rbm, 2, 1e-12).unwrap();
    // Only the 32 bonds survive the tolerance.
    assert_eq!(exact.couplings.len(), 32);
    assert_eq!(exact.diagnostics.dropped, 16 + 120 - 32);
    let orders = exact.strength_by_order();
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].order, orders[0].count), (2, 32));
    assert!((orders[0].max_abs - bond_coupling(w)).abs() < 1e-12);
    let groups = exact.pairs_by_distance(side).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].distance_squared, groups[0].count), (1, 32));
    assert!((groups[0].mean - bond_coupling(w)).abs() < 1e-12 && groups[0].std < 1e-12);
    let all = couplings_exact(&rbm, 2, 0.0).unwrap();
    let groups = all.pairs_by_distance(side).unwrap();
    let squares: Vec<usize> = groups.iter().map(|g| g.distance_squared).collect();
    assert_eq!(squares, [1, 2, 4, 5, 8]);
    assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), 120);
    assert!(groups[1].max_abs < 1e-12);
    assert!(all.pairs_by_distance(5).is_err());
}

#[test]
fn lattice_sets_within_a_distance() {
    assert_eq!(lattice_pairs(4, 1.0).unwrap().len(), 32);
    assert_eq!(
        lattice_pairs(4, std::f64::consts::SQRT_2).unwrap().len(),
        64
    );
    // The four right triangles of each of the 16 plaquettes.
    let triples = lattice_triples(4, std::f64::consts::SQRT_2).unwrap();
    assert_eq!(triples.len(), 64);
    assert!(triples.contains(&vec![0, 1, 4]) && triples.contains(&vec![0, 1, 5]));
    assert!(lattice_triples(4, 1.0).unwrap().is_empty());
    assert!(lattice_pairs(1, 1.0).is_err() && lattice_pairs(4, 0.0).is_err());
    assert!(lattice_pairs(4, f64::NAN).is_err());
}

#[test]
fn couplings_bad_inputs_are_clear_errors() {
    let big = random_rbm(
        25,
        2,
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        1.0,
        0.0,
        1,
    );
    let text = couplings_exact(&big, 2, 0.0).unwrap_err().to_string();
    assert!(
        text.contains("n_visible = 25") && text.contains("at most 24"),
        "{text}"
    );
    let gaussian = random_rbm(
        4,
        2,
        VisibleUnits::Gaussian,
        HiddenUnits::Bernoulli,
        1.0,
        0.0,
        1,
    );
    for text in [
        couplings_exact(&gaussian, 2, 0.0).unwrap_err().to_string(),
        couplings_support(&gaussian, 2, 0.0, 0.0, 20)
            .unwrap_err()
            .to_string(),
        couplings_monte_carlo(
            &gaussian,
            &CouplingSets::Fields,
            &MonteCarloOptions::default(),
        )
        .unwrap_err()
        .to_string(),
        couplings_gaussian(
            &gaussian,
            &CouplingSets::Fields,
            &GaussianOptions::default(),
        )
        .unwrap_err()
        .to_string(),
    ] {
        assert!(
            text.contains("gaussian") && text.contains("Ising spins"),
            "{text}"
        );
    }
    let small = random_rbm(6, 2, VisibleUnits::Spin, HiddenUnits::Spin, 1.0, 0.0, 1);
    let text = couplings_exact(&small, 0, 0.0).unwrap_err().to_string();
    assert!(text.contains("max_order = 0"), "{text}");
    assert!(couplings_support(&small, 0, 0.0, 0.0, 20).is_err());
    let text = couplings_exact(&small, 2, -1.0).unwrap_err().to_string();
    assert!(text.contains("tolerance"), "{text}");
    assert!(couplings_exact(&small, 2, f64::NAN).is_err());
    assert!(couplings_support(&small, 2, 0.0, f64::INFINITY, 20).is_err());
    assert!(couplings_support(&small, 2, 0.0, 0.0, 31).is_err());
    let wide = random_rbm(30, 2, VisibleUnits::Spin, HiddenUnits::Spin, 1.0, 0.0, 1);
    let text = couplings_support(&wide, 2, 0.0, 0.0, 20)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("hidden unit 0 has 30 sites") && text.contains("larger weight tolerance"),
        "{text}"
    );
    // A larger tolerance makes it feasible.
    assert!(couplings_support(&wide, 2, 0.0, 0.9, 20).is_ok());
    let few = MonteCarloOptions {
        samples: 1,
        seed: 0,
    };
    let text = couplings_monte_carlo(&small, &CouplingSets::Fields, &few)
        .unwrap_err()
        .to_string();
    assert!(text.contains("samples = 1"), "{text}");
    for (set, needle) in [
        (vec![], "non-empty"),
        (vec![6], "index below n_visible = 6"),
        (vec![1, 1], "repeated"),
    ] {
        let sets = CouplingSets::Given(vec![set]);
        let text = couplings_gaussian(&small, &sets, &GaussianOptions::default())
            .unwrap_err()
            .to_string();
        assert!(text.contains(needle), "{text}");
    }
    let none = GaussianOptions {
        nodes: 0,
        ..GaussianOptions::default()
    };
    assert!(couplings_gaussian(&small, &CouplingSets::Pairs, &none).is_err());
}

#[test]
fn couplings_spin_conventions_round_trip() {
    for convention in [SpinConvention::Bernoulli, SpinConvention::Spin] {
        for s in [-1i8, 1] {
            assert_eq!(convention.spin(convention.visible(s)), s);
        }
    }
    assert_eq!(SpinConvention::Bernoulli.visible(1), 1.0);
    assert_eq!(SpinConvention::Bernoulli.visible(-1), 0.0);
    assert!(SpinConvention::of(VisibleUnits::Gaussian).is_err());
}

#[test]
fn couplings_serialize_and_convert() {
    let rbm = random_rbm(
        5,
        3,
        VisibleUnits::Spin,
        HiddenUnits::Bernoulli,
        1.0,
        0.0,
        2,
    );
    let exact = couplings_exact(&rbm, 2, 0.0).unwrap();
    let json = serde_json::to_string(&exact).unwrap();
    let back: EffectiveCouplings = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exact);
    let h = exact.to_hamiltonian().unwrap();
    assert_eq!(h.n_terms(), 5 + 10);
    assert!((h.offset() + exact.constant).abs() < 1e-15);
    assert_eq!(exact.value(&[3, 1]), exact.get(&[1, 3]).unwrap().value);
    assert_eq!(exact.value(&[]), exact.constant);
}

#[test]
fn support_and_monte_carlo_agree_beyond_exact_enumeration() {
    // 40 visible units (2^40 configurations: no exact table), each hidden
    // unit on 5 sites: the support method is exact with tolerance 0, and
    // the Monte Carlo estimates must lie within their errors of it.
    let (n, m) = (40, 12);
    let mut rng = crate::rng::root(99);
    let mut weights = vec![0.0f32; n * m];
    for mu in 0..m {
        for k in 0..5 {
            let i = (3 * mu + 7 * k) % n;
            weights[i * m + mu] = (2.0 * crate::rng::uniform(&mut rng) - 1.0) as f32;
        }
    }
    let rbm = Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        weights,
        vec![0.2; n],
        vec![-0.3; m],
    )
    .unwrap();
    assert!(couplings_exact(&rbm, 2, 0.0).is_err());
    let support = couplings_support(&rbm, 3, 0.0, 0.0, 20).unwrap();
    assert_eq!(support.diagnostics.largest_support, 5);
    let sets: Vec<Vec<usize>> = support.couplings.iter().map(|c| c.spins.clone()).collect();
    let options = MonteCarloOptions {
        samples: 3000,
        seed: 5,
    };
    let mc = couplings_monte_carlo(&rbm, &CouplingSets::Given(sets), &options).unwrap();
    assert_eq!(mc.couplings.len(), support.couplings.len());
    for c in &mc.couplings {
        let expected = support.value(&c.spins);
        let allowed = 4.0 * c.stderr.unwrap() + 1e-12;
        assert!(
            (c.value - expected).abs() <= allowed,
            "K{:?}: {} vs {expected}",
            c.spins,
            c.value
        );
    }
}

#[test]
fn walsh_expansion_with_large_weights_stays_exact() {
    // Weights of tens: the table's products of per-unit factors are split
    // into groups (scale 40) or a unit is evaluated directly (scale 150,
    // its input spans more than e^600 over a row).
    let n = 14;
    for hidden in HiddenUnits::ALL {
        for scale in [40.0, 150.0] {
            let rbm = random_rbm(n, 5, VisibleUnits::Bernoulli, hidden, scale, 0.0, 12);
            let couplings = couplings_exact(&rbm, n, 0.0).unwrap();
            let support = couplings_support(&rbm, 2, 0.0, 0.0, 20).unwrap();
            for c in support.couplings.iter() {
                let k = couplings.value(&c.spins);
                assert!(
                    (k - c.value).abs() < 1e-9 * scale,
                    "{hidden}, {scale}: K{:?}",
                    c.spins
                );
            }
            let mut rng = crate::rng::root(1);
            for _ in 0..64 {
                let x = (crate::rng::uniform(&mut rng) * (1u64 << n) as f64) as usize;
                let s = all_spins(n, x);
                let v: Vec<f32> = s
                    .iter()
                    .map(|&si| couplings.convention.visible(si))
                    .collect();
                let f = rbm.free_energy_visible(&v, 1).unwrap()[0];
                let e = couplings.energy(&s);
                assert!(
                    (e - f).abs() < 1e-9 * f.abs().max(1.0),
                    "{hidden}, {scale}: {e} vs {f}"
                );
            }
        }
    }
}

/// E[φ(x)], x ∼ N(0, σ²), by the trapezoid rule on ±12σ (exponentially
/// accurate for smooth φ).
fn trapezoid_expectation(sd: f64, phi: impl Fn(f64) -> f64) -> f64 {
    let steps = 200_000;
    let h = 24.0 * sd / steps as f64;
    let mut sum = 0.0;
    for k in 0..=steps {
        let x = -12.0 * sd + k as f64 * h;
        let density = (-0.5 * (x / sd).powi(2)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt());
        sum += density * phi(x);
    }
    sum * h
}

#[test]
fn gauss_hermite_accuracy_for_wide_inputs() {
    // f″ of a spin unit, sech² x: the sharpest integrand the couplings use
    // at low order. The module docs' rule: node spacing π σ / √nodes ≲ 1.
    // Gauss–Hermite alone degrades for wide inputs (64 nodes: 2·10⁻⁴ at
    // σ = 2, 5% at σ = 4); `expectation` switches to the trapezoid rule.
    let sech2 = |x: f64| 1.0 / x.cosh().powi(2);
    for nodes in [16usize, 64, 128] {
        let rule = GaussHermite::new(nodes).unwrap();
        for sd in [0.05, 0.5, 1.0, 2.0, 2.5, 4.0, 8.0, 30.0] {
            let reference = trapezoid_expectation(sd, sech2);
            let error =
                (rule.expectation(0.3, sd, |x| sech2(x - 0.3)) - reference).abs() / reference;
            assert!(
                error < 1e-9,
                "nodes {nodes}, σ = {sd}: relative error {error:e}"
            );
        }
    }
    let rule = GaussHermite::new(64).unwrap();
    let wide = (rule.hermite(0.0, 4.0, sech2) - trapezoid_expectation(4.0, sech2)).abs();
    assert!(wide > 1e-3 * trapezoid_expectation(4.0, sech2));
}
