//! Every sampler against exact answers, judged by z-scores against the
//! sampler's own error bars (binning for means, jackknife for c, χ, U).
//!
//! Exact values: brute-force enumeration of all 2^N states for small
//! lattices (written out here, independent of the library), Kaufman's
//! solution (`vrg::ising::exact::kaufman`) for L = 16 and L = 130.

use vrg::ising::exact::{critical_temperature, kaufman};
use vrg::ising::{run_chain, Algorithm, ChainResult, IsingModel, Observables, SamplingPlan};
use vrg::rng;
use vrg::stats::Estimate;

/// Exact Boltzmann averages by enumeration: [e, |m|, m², m⁴, c, χ, U].
fn enumerate(model: &IsingModel) -> [f64; 7] {
    let l = model.size;
    let n = l * l;
    assert!(n <= 20);
    let beta = model.beta();
    let mut states = Vec::with_capacity(1 << n);
    for bits in 0u32..(1 << n) {
        let s = |i: usize| if bits >> i & 1 == 1 { 1.0 } else { -1.0 };
        let mut bonds = 0.0;
        let mut mag = 0.0;
        for r in 0..l {
            for c in 0..l {
                let i = r * l + c;
                bonds += s(i) * (s(r * l + (c + 1) % l) + s(((r + 1) % l) * l + c));
                mag += s(i);
            }
        }
        states.push((-model.coupling * bonds - model.field * mag, mag / n as f64));
    }
    let e_min = states.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let (mut z, mut e1, mut e2, mut am, mut m2, mut m4) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(e, m) in &states {
        let w = (-beta * (e - e_min)).exp();
        let e = e / n as f64;
        z += w;
        e1 += w * e;
        e2 += w * e * e;
        am += w * m.abs();
        m2 += w * m * m;
        m4 += w * m.powi(4);
    }
    let (e1, e2, am, m2, m4) = (e1 / z, e2 / z, am / z, m2 / z, m4 / z);
    let t = model.temperature;
    [
        e1,
        am,
        m2,
        m4,
        n as f64 * (e2 - e1 * e1) / (t * t),
        n as f64 * (m2 - am * am) / t,
        1.0 - m4 / (3.0 * m2 * m2),
    ]
}

fn estimates(o: &Observables) -> [(&'static str, Estimate); 7] {
    [
        ("e", o.energy_per_spin),
        ("|m|", o.abs_magnetization),
        ("m²", o.magnetization_squared),
        ("m⁴", o.magnetization_fourth),
        ("c", o.specific_heat),
        ("χ", o.susceptibility),
        ("U", o.binder_cumulant),
    ]
}

fn run(model: IsingModel, algorithm: Algorithm, sweeps: usize, seed: u64) -> ChainResult {
    let plan = SamplingPlan {
        samples: sweeps,
        sweeps: 1,
        burn_in: 2000,
        algorithm,
    };
    run_chain(&model, &plan, rng::root(seed), None, &|_| {}).unwrap()
}

/// Collects z-scores and judges them together: χ²/dof and the largest |z|.
#[derive(Default)]
struct Verdict {
    z: Vec<(String, f64)>,
}

impl Verdict {
    fn add(&mut self, label: String, estimate: Estimate, exact: f64) {
        assert!(
            estimate.error.is_finite() && estimate.error > 0.0,
            "{label}: error bar {estimate:?}"
        );
        self.z.push((label, estimate.z_score(exact)));
    }

    /// Observables of one chain are correlated (|m|, m², m⁴ move together),
    /// so χ²/dof has a wider spread than for independent z; the bounds
    /// (χ²/dof < 2.5, |z| < 4.5) still fail for any real bias of a few
    /// error bars.
    fn check(&self) {
        let chi2: f64 = self.z.iter().map(|(_, z)| z * z).sum();
        let dof = self.z.len() as f64;
        let worst = self.z.iter().map(|(_, z)| z.abs()).fold(0.0, f64::max);
        let report: Vec<String> = self
            .z
            .iter()
            .map(|(l, z)| format!("{l}: {z:+.2}"))
            .collect();
        assert!(
            chi2 / dof < 2.5 && worst < 4.5,
            "χ²/dof = {:.2}, max |z| = {worst:.2}\n{}",
            chi2 / dof,
            report.join("\n")
        );
    }
}

fn temperatures() -> [f64; 3] {
    [1.8, critical_temperature(1.0), 3.0]
}

fn check_against_enumeration(
    size: usize,
    coupling: f64,
    field: f64,
    algorithm: Algorithm,
    temps: &[f64],
) {
    let mut verdict = Verdict::default();
    for (i, &t) in temps.iter().enumerate() {
        let model = IsingModel::new(size, coupling, field, t).unwrap();
        let exact = enumerate(&model);
        let result = run(model, algorithm, 200_000, 100 + i as u64);
        assert!(result.observables.converged, "T = {t}: not converged");
        for ((name, estimate), exact) in estimates(&result.observables).into_iter().zip(exact) {
            verdict.add(format!("L={size} T={t:.4} {name}"), estimate, exact);
        }
    }
    verdict.check();
}

#[test]
fn multispin_metropolis_4x4_matches_enumeration() {
    check_against_enumeration(4, 1.0, 0.0, Algorithm::Metropolis, &temperatures());
}

/// L = 2 (doubled bonds) runs random-order byte Metropolis: typewriter or
/// checkerboard order with deterministic ΔE = 0 flips is not ergodic there.
#[test]
fn metropolis_2x2_doubled_bonds_match_enumeration() {
    check_against_enumeration(2, 1.0, 0.0, Algorithm::Metropolis, &temperatures());
}

#[test]
fn multispin_metropolis_in_a_field_and_antiferromagnetic() {
    check_against_enumeration(4, 1.0, 0.3, Algorithm::Metropolis, &[2.0, 3.0]);
    check_against_enumeration(4, -1.0, 0.5, Algorithm::Metropolis, &[1.5, 3.0]);
}

#[test]
fn wolff_4x4_matches_enumeration() {
    check_against_enumeration(4, 1.0, 0.0, Algorithm::Wolff, &temperatures());
}

#[test]
fn odd_lattices_sequential_metropolis_and_wolff_match_enumeration() {
    // L = 3: no checkerboard, so Metropolis runs the sequential sampler.
    check_against_enumeration(3, 1.0, 0.0, Algorithm::Metropolis, &temperatures());
    check_against_enumeration(3, 1.0, 0.2, Algorithm::Metropolis, &[2.5]);
    check_against_enumeration(3, 1.0, 0.0, Algorithm::Wolff, &temperatures());
}

/// Energy and specific heat against Kaufman's exact finite-lattice values.
fn check_against_kaufman(size: usize, algorithm: Algorithm, temps: &[f64], sweeps: usize) {
    let mut verdict = Verdict::default();
    for (i, &t) in temps.iter().enumerate() {
        let model = IsingModel::new(size, 1.0, 0.0, t).unwrap();
        let exact = kaufman(size, size, t, 1.0).unwrap();
        let result = run(model, algorithm, sweeps, 200 + i as u64);
        assert!(
            result.observables.converged,
            "L={size} T = {t}: not converged"
        );
        let o = &result.observables;
        verdict.add(
            format!("L={size} T={t:.4} e"),
            o.energy_per_spin,
            exact.energy_per_spin,
        );
        verdict.add(
            format!("L={size} T={t:.4} c"),
            o.specific_heat,
            exact.specific_heat_per_spin,
        );
    }
    verdict.check();
}

#[test]
fn multispin_metropolis_16x16_matches_kaufman() {
    check_against_kaufman(16, Algorithm::Metropolis, &temperatures(), 200_000);
}

#[test]
fn wolff_16x16_matches_kaufman() {
    check_against_kaufman(16, Algorithm::Wolff, &temperatures(), 100_000);
}

#[test]
fn sequential_metropolis_15x15_matches_kaufman() {
    // Odd L runs the sequential sampler; Kaufman holds for any L ≥ 2.
    check_against_kaufman(15, Algorithm::Metropolis, &temperatures(), 100_000);
}

/// L = 130: each sublattice row is 65 sites, two words with a one-bit
/// tail, so the word-boundary and wrap-around shifts are all exercised.
#[test]
fn multispin_metropolis_across_word_boundaries_matches_kaufman() {
    check_against_kaufman(130, Algorithm::Metropolis, &[3.0], 20_000);
    check_against_kaufman(128, Algorithm::Metropolis, &[2.6], 20_000);
}

/// Below L = 128 a word holds several sublattice rows (L = 4: 2 rows of 2
/// sites, L = 6: 3 of 3, L = 8: 4 of 4, L = 64: 2 of 32), each wrapping
/// inside its field and the first and last words rotated: every layout
/// against Kaufman (L = 4 is also checked against enumeration above).
#[test]
fn multispin_metropolis_with_several_rows_per_word_matches_kaufman() {
    for size in [6, 8] {
        check_against_kaufman(size, Algorithm::Metropolis, &temperatures(), 100_000);
    }
    check_against_kaufman(64, Algorithm::Metropolis, &[2.6, 3.0], 20_000);
}

#[test]
fn wolff_at_l_8_and_64_matches_kaufman() {
    check_against_kaufman(8, Algorithm::Wolff, &temperatures(), 50_000);
    check_against_kaufman(64, Algorithm::Wolff, &[critical_temperature(1.0)], 5_000);
}

/// The chain is a function of the seed alone, whatever the thread count.
#[test]
fn results_do_not_depend_on_thread_count() {
    let model = IsingModel::new(64, 1.0, 0.0, 2.3).unwrap();
    let plan = SamplingPlan {
        samples: 5,
        sweeps: 3,
        burn_in: 10,
        algorithm: Algorithm::Metropolis,
    };
    let sample = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut out = vec![0i8; 5 * 64 * 64];
            let models = [model, IsingModel::new(64, 1.0, 0.0, 1.9).unwrap()];
            let mut both = vec![0i8; 2 * out.len()];
            vrg::ising::run_temperatures(&models, &plan, 9, Some(&mut both), &|_| {}).unwrap();
            run_chain(&model, &plan, rng::family(9, 0), Some(&mut out), &|_| {}).unwrap();
            (out, both)
        })
    };
    let (one, both_one) = sample(1);
    let (two, both_two) = sample(2);
    assert_eq!(one, two);
    assert_eq!(both_one, both_two);
    // chain 0 of run_temperatures is the chain of family 0
    assert_eq!(&both_one[..one.len()], &one[..]);
}
