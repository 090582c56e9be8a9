//! Observables of Ising configurations, with error bars.
//!
//! Per configuration: energy per spin e = E/N and magnetisation per spin
//! m = Σs/N. Over a series: ⟨e⟩, ⟨m⟩, ⟨|m|⟩, ⟨m²⟩, ⟨m⁴⟩ with binning error
//! bars, and by jackknife
//! - specific heat per spin c = N (⟨e²⟩ − ⟨e⟩²) / T²,
//! - susceptibility per spin χ = N (⟨m²⟩ − ⟨|m|⟩²) / T (the finite-lattice
//!   form that stays finite below T_c; at h = 0 above T_c, N⟨m²⟩/T is the
//!   other common choice, also reported),
//! - Binder cumulant U = 1 − ⟨m⁴⟩ / (3 ⟨m²⟩²),
//!
//! and the integrated autocorrelation times of e, |m| and m² in units of
//! measurements (sweeps, when measured every sweep).
//!
//! # References
//! - K. Binder, Z. Phys. B 43, 119 (1981) (the cumulant).
//! - M. E. J. Newman and G. T. Barkema, "Monte Carlo Methods in Statistical
//!   Physics" (1999), ch. 3–4.

use super::model::IsingModel;
use crate::stats::{Binning, Estimate};
use serde::Serialize;

/// Channels of the binning analysis, in order.
const E: usize = 0;
const E2: usize = 1;
const ABS_M: usize = 2;
const M2: usize = 3;
const M4: usize = 4;
const M: usize = 5;
const CHANNELS: usize = 6;

/// Integrated autocorrelation times, in measurements.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct AutocorrelationTimes {
    pub energy: f64,
    pub abs_magnetization: f64,
    pub magnetization_squared: f64,
}

/// Estimates of the standard observables from a series of configurations.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Observables {
    /// Number of configurations measured.
    pub n_measurements: u64,
    pub energy_per_spin: Estimate,
    pub magnetization: Estimate,
    pub abs_magnetization: Estimate,
    pub magnetization_squared: Estimate,
    pub magnetization_fourth: Estimate,
    /// c = N (⟨e²⟩ − ⟨e⟩²) / T².
    pub specific_heat: Estimate,
    /// χ = N (⟨m²⟩ − ⟨|m|⟩²) / T.
    pub susceptibility: Estimate,
    /// χ' = N ⟨m²⟩ / T.
    pub susceptibility_m2: Estimate,
    /// U = 1 − ⟨m⁴⟩ / (3⟨m²⟩²).
    pub binder_cumulant: Estimate,
    pub autocorrelation_time: AutocorrelationTimes,
    /// Whether the binning error bars of e, |m|, m² and m⁴ reached their
    /// plateau. If false the run was too short for its autocorrelation time
    /// and error bars are low. (⟨m⟩ is not included: at h = 0 below T_c a
    /// chain flips its sign only rarely, so ⟨m⟩'s error bar can be low even
    /// when everything else is converged.)
    pub converged: bool,
}

/// Accumulates per-configuration measurements of one model.
#[derive(Clone, Debug)]
pub struct Recorder {
    model: IsingModel,
    binning: Binning,
}

impl Recorder {
    pub fn new(model: IsingModel) -> Self {
        Recorder {
            model,
            binning: Binning::new(CHANNELS),
        }
    }

    /// Records one configuration from its bond sum Σ_⟨ij⟩ s_i s_j (2N
    /// bonds) and magnetisation Σ s_i.
    pub fn record(&mut self, bond_sum: i64, spin_sum: i64) {
        let n = self.model.n_spins() as f64;
        let e = (-self.model.coupling * bond_sum as f64 - self.model.field * spin_sum as f64) / n;
        let m = spin_sum as f64 / n;
        let m2 = m * m;
        let mut values = [0.0; CHANNELS];
        values[E] = e;
        values[E2] = e * e;
        values[ABS_M] = m.abs();
        values[M2] = m2;
        values[M4] = m2 * m2;
        values[M] = m;
        self.binning.push(&values);
    }

    /// The estimates. Panics if nothing was recorded.
    pub fn finish(&self) -> Observables {
        let n = self.model.n_spins() as f64;
        let t = self.model.temperature;
        let b = &self.binning;
        let e = b.analyze(E);
        let abs_m = b.analyze(ABS_M);
        let m2 = b.analyze(M2);
        let others = [b.analyze(M4), b.analyze(M)];
        // The signed magnetisation is left out: at h = 0 below T_c it
        // tunnels between ±|m| on time scales that grow exponentially with
        // L, and its error bar is then an underestimate (documented).
        let converged = [e, abs_m, m2, others[0]].iter().all(|a| a.converged);
        Observables {
            n_measurements: b.len(),
            energy_per_spin: e.estimate,
            magnetization: others[1].estimate,
            abs_magnetization: abs_m.estimate,
            magnetization_squared: m2.estimate,
            magnetization_fourth: others[0].estimate,
            specific_heat: b.jackknife(|x| n * (x[E2] - x[E] * x[E]) / (t * t)),
            susceptibility: b.jackknife(|x| n * (x[M2] - x[ABS_M] * x[ABS_M]) / t),
            susceptibility_m2: b.jackknife(|x| n * x[M2] / t),
            binder_cumulant: b.jackknife(|x| 1.0 - x[M4] / (3.0 * x[M2] * x[M2])),
            autocorrelation_time: AutocorrelationTimes {
                energy: e.autocorrelation_time,
                abs_magnetization: abs_m.autocorrelation_time,
                magnetization_squared: m2.autocorrelation_time,
            },
            converged,
        }
    }
}

/// Observables of stored configurations `spins` (shape (n, L, L), ±1,
/// row-major) of `model`, taken in order as one series.
pub fn measure_configurations(model: &IsingModel, spins: &[i8]) -> crate::Result<Observables> {
    let n = model.n_spins();
    if spins.is_empty() || !spins.len().is_multiple_of(n) {
        return Err(crate::Error::ShapeMismatch {
            what: "configurations".into(),
            expected: format!("a positive multiple of L² = {n} spins"),
            found: format!("{}", spins.len()),
        });
    }
    let mut recorder = Recorder::new(*model);
    for config in spins.chunks_exact(n) {
        let (bonds, magnetisation) = super::model::bond_and_spin_sums(config, model.size);
        recorder.record(bonds, magnetisation);
    }
    Ok(recorder.finish())
}
