//! Thermometers against equilibrium Monte Carlo data: configurations sampled
//! at a known temperature must read back that temperature within error bars
//! (a z-score test, |T_read − T| ≤ 4 σ_T).
//!
//! - Energy: ⟨e⟩ ± its binning error, read off Kaufman's exact ⟨e⟩(T)
//!   ([`EnergyThermometer`]); σ_T = σ_e / c(T).
//! - |m|: ⟨|m|⟩ ± its binning error, read off a [`MagnetizationCurve`]
//!   sampled with a different seed on the default grid; σ_T combines the
//!   measurement's and the curve's error bars in quadrature.

use vrg::ising::{
    run_temperatures, Algorithm, EnergyThermometer, IsingModel, MagnetizationCurve, Reading,
    SamplingPlan,
};

const TEMPERATURES: [f64; 5] = [1.5, 2.0, 2.3, 2.6, 3.5];
const Z_MAX: f64 = 4.0;

fn measured_plan() -> SamplingPlan {
    SamplingPlan {
        samples: 20_000,
        sweeps: 1,
        burn_in: 1_000,
        algorithm: Algorithm::Auto,
    }
}

fn curve_plan() -> SamplingPlan {
    SamplingPlan {
        samples: 5_000,
        sweeps: 1,
        burn_in: 500,
        algorithm: Algorithm::Auto,
    }
}

fn check(what: &str, side: usize, t: f64, reading: &Reading) -> f64 {
    let got = reading
        .temperature
        .unwrap_or_else(|| panic!("{what} L={side} T={t}: no reading ({reading:?})"));
    let err = reading
        .temperature_err
        .unwrap_or_else(|| panic!("{what} L={side} T={t}: no error bar ({reading:?})"));
    assert!(err > 0.0, "{what} L={side} T={t}: zero error bar");
    let z = (got - t) / err;
    assert!(
        z.abs() <= Z_MAX,
        "{what} L={side} T={t}: read {got} ± {err} (z = {z:.2})"
    );
    z
}

fn reads_back(side: usize) {
    let models: Vec<IsingModel> = TEMPERATURES
        .iter()
        .map(|&t| IsingModel::new(side, 1.0, 0.0, t).unwrap())
        .collect();
    let results = run_temperatures(&models, &measured_plan(), 11, None, &|_| {}).unwrap();
    let energy = EnergyThermometer::new(side, 1.0).unwrap();
    let curve = MagnetizationCurve::sample(
        side,
        1.0,
        &MagnetizationCurve::default_temperatures(),
        &curve_plan(),
        22,
    )
    .unwrap();
    for (&t, result) in TEMPERATURES.iter().zip(&results) {
        let obs = &result.observables;
        assert!(obs.converged, "L={side} T={t}: binning did not converge");
        let e = obs.energy_per_spin;
        let ze = check("energy", side, t, &energy.read(e.mean, e.error));
        let m = obs.abs_magnetization;
        let zm = check("|m|", side, t, &curve.read(m.mean, m.error));
        eprintln!("L={side} T={t}: z(energy) = {ze:+.2}, z(|m|) = {zm:+.2}");
    }
}

#[test]
fn thermometers_read_back_l10() {
    reads_back(10);
}

#[test]
fn thermometers_read_back_l16() {
    reads_back(16);
}
