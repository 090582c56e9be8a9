//! Thermometers: the temperature a set of L×L periodic 2D Ising
//! configurations was drawn at, read from a measured observable.
//!
//! - [`EnergyThermometer`]: inverts Kaufman's exact finite-torus internal
//!   energy ⟨e⟩(T) (no sampling, no finite-size error).
//! - [`MagnetizationCurve`]: inverts a Monte Carlo-sampled ⟨|m|⟩(T) curve
//!   by linear interpolation.
//!
//! Both return a [`Reading`]: the temperature, its error bar by linear error
//! propagation, or `None` with a note when the observable lies outside the
//! curve's range. Energies are in units of J, k_B = 1, zero field, J > 0.
//!
//! # References
//! - B. Kaufman (1949), "Crystal statistics. II. Partition function evaluated
//!   by spinor analysis", Phys. Rev. 76, 1232 (the exact ⟨e⟩(T) and
//!   c(T) = d⟨e⟩/dT of the finite torus; see [`super::exact::kaufman`]).
//! - P. R. Bevington and D. K. Robinson (2003), *Data Reduction and Error
//!   Analysis for the Physical Sciences*, 3rd ed., McGraw-Hill, §3.2 (linear
//!   propagation of errors, σ_f² = Σ (∂f/∂x_i)² σ_i² for independent x_i).

use super::exact::kaufman;
use super::model::IsingModel;
use super::sampling::{run_temperatures, SamplingPlan};
use crate::stats::Estimate;
use crate::{Error, Result};
use serde::Serialize;

/// A temperature read off a thermometer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    /// The temperature (units of J, k_B = 1); `None` when the observable is
    /// outside the curve's range or not finite (the `note` says which).
    pub temperature: Option<f64>,
    /// Its one-standard-deviation error bar by linear error propagation;
    /// `None` when it cannot be formed (the `note` says why).
    pub temperature_err: Option<f64>,
    /// Why the temperature or its error is missing, or what is special
    /// about the reading (e.g. the T = 0 ground state).
    pub note: Option<String>,
}

impl Reading {
    fn none(note: String) -> Self {
        Reading {
            temperature: None,
            temperature_err: None,
            note: Some(note),
        }
    }

    /// A temperature with error `err`; an error bar that is not finite (or an
    /// input error bar that is negative or not finite) becomes `None` with a
    /// note.
    fn with_error(temperature: f64, err: f64, input_err: f64, what: &str) -> Self {
        if !(input_err.is_finite() && input_err >= 0.0) {
            return Reading {
                temperature: Some(temperature),
                temperature_err: None,
                note: Some(format!(
                    "{what} error bar {input_err} is not a finite value ≥ 0; no error propagated"
                )),
            };
        }
        if err.is_finite() {
            Reading {
                temperature: Some(temperature),
                temperature_err: Some(err),
                note: None,
            }
        } else {
            Reading {
                temperature: Some(temperature),
                temperature_err: None,
                note: Some(format!(
                    "the curve is flat at T = {temperature}: the error bar is unbounded"
                )),
            }
        }
    }
}

fn check_side_and_coupling(side: usize, coupling_j: f64) -> Result<()> {
    if side < 2 {
        return Err(Error::invalid("side", side, "a lattice side L ≥ 2"));
    }
    if !(coupling_j.is_finite() && coupling_j > 0.0) {
        return Err(Error::invalid(
            "coupling_j",
            coupling_j,
            "a finite ferromagnetic coupling J > 0",
        ));
    }
    Ok(())
}

/// Smallest reduced coupling K = J/T the energy thermometer searches down to
/// (T = 10¹² J).
const K_MIN: f64 = 1e-12;
/// The reduced coupling the search starts its lower bracket at.
const K_LOW_START: f64 = 1e-6;
/// Largest reduced coupling searched (T = J/50); there ⟨e⟩ + 2J ≈ 8J e^{−400},
/// far below the 10⁻¹² J ground-state tolerance.
const K_MAX: f64 = 50.0;
/// Energies within this many J of −2J read as the ground state.
const GROUND_TOLERANCE: f64 = 1e-12;

/// Exact energy thermometer of the side×side periodic Ising model at zero
/// field: inverts Kaufman's finite-lattice internal energy per spin ⟨e⟩(T)
/// (Kaufman 1949, Phys. Rev. 76, 1232; [`super::exact::kaufman`]).
///
/// ⟨e⟩(T) rises monotonically (c = d⟨e⟩/dT = Var(E)/(N T²) > 0) from −2J at
/// T → 0 to 0 at T → ∞, so every e in (−2J, 0) has exactly one temperature.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyThermometer {
    /// Lattice side L (N = L² spins).
    pub side: usize,
    /// Coupling J > 0.
    pub coupling_j: f64,
}

impl EnergyThermometer {
    /// A thermometer for the side×side torus with coupling J.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `side < 2` or J not finite and > 0.
    pub fn new(side: usize, coupling_j: f64) -> Result<Self> {
        check_side_and_coupling(side, coupling_j)?;
        side.checked_mul(side)
            .ok_or_else(|| Error::invalid("side", side, "L² fitting in usize"))?;
        Ok(EnergyThermometer { side, coupling_j })
    }

    /// Kaufman's exact internal energy per spin ⟨e⟩(T) = −J (∂_K ln Z)/N of
    /// the torus (Kaufman 1949, Phys. Rev. 76, 1232; [`kaufman`]), for plots.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for T not finite and > 0.
    pub fn energy_at(&self, temperature: f64) -> Result<f64> {
        Ok(kaufman(self.side, self.side, temperature, self.coupling_j)?.energy_per_spin)
    }

    /// (⟨e⟩, c) at reduced coupling K = J/T.
    fn curve_at_k(&self, k: f64) -> Option<(f64, f64)> {
        let exact = kaufman(self.side, self.side, self.coupling_j / k, self.coupling_j).ok()?;
        Some((exact.energy_per_spin, exact.specific_heat_per_spin))
    }

    /// The temperature T at which Kaufman's exact ⟨e⟩(T) of this torus equals
    /// `energy_per_spin`, with error bar by linear error propagation
    /// (Bevington & Robinson 2003, §3.2) through the inverse function,
    ///
    /// σ_T = σ_e / c(T),   c(T) = d⟨e⟩/dT (the specific heat per spin,
    /// exact from Kaufman's ln Z), valid while σ_e is small against the
    /// scale on which c changes.
    ///
    /// Solved by bisection in ln K (K = J/T), which is well conditioned from
    /// high to low T: the bracket starts at K ∈ [10⁻⁶, 50] and its lower end
    /// is lowered by decades down to 10⁻¹² when e is closer to 0; it is
    /// halved until its width in ln K is below 10⁻¹³ (T relative to ~10⁻¹³,
    /// limited in practice by rounding in ⟨e⟩, ~10⁻¹⁵ J).
    ///
    /// Edge cases:
    /// - e ≤ −2J + 10⁻¹² J: T = 0 with error 0, note "ground-state energy
    ///   (T = 0)";
    /// - e ≥ 0 (at or above the T → ∞ limit), e so close to 0 that T would
    ///   exceed 10¹² J, or e not finite: `None` with a note;
    /// - σ_e negative or not finite: T with no error bar, and a note.
    pub fn read(&self, energy_per_spin: f64, energy_err: f64) -> Reading {
        let j = self.coupling_j;
        let e = energy_per_spin;
        if !e.is_finite() {
            return Reading::none(format!("energy per spin {e} is not finite"));
        }
        if e <= -2.0 * j + GROUND_TOLERANCE * j {
            return Reading {
                temperature: Some(0.0),
                temperature_err: Some(0.0),
                note: Some("ground-state energy (T = 0)".into()),
            };
        }
        if e >= 0.0 {
            return Reading::none(format!("energy per spin {e} ≥ 0, above the T → ∞ limit"));
        }
        // f(ln K) = ⟨e⟩(K) − e decreases in K: > 0 at small K, < 0 at large K.
        let energy = |k: f64| self.curve_at_k(k).map(|(u, _)| u);
        let mut lo = K_LOW_START;
        loop {
            match energy(lo) {
                Some(u) if u > e => break,
                Some(_) if lo / 10.0 >= K_MIN => lo /= 10.0,
                _ => {
                    return Reading::none(format!(
                        "energy per spin {e} is within {:.1e} J of 0: T would exceed {:.0e} J",
                        -energy(K_MIN).unwrap_or(0.0),
                        j / K_MIN
                    ))
                }
            }
        }
        let (mut ln_lo, mut ln_hi) = (lo.ln(), K_MAX.ln());
        for _ in 0..200 {
            if ln_hi - ln_lo <= 1e-13 {
                break;
            }
            let mid = 0.5 * (ln_lo + ln_hi);
            match energy(mid.exp()) {
                Some(u) if u > e => ln_lo = mid,
                Some(u) if u < e => ln_hi = mid,
                Some(_) => {
                    ln_lo = mid;
                    ln_hi = mid;
                }
                None => break,
            }
        }
        let k = (0.5 * (ln_lo + ln_hi)).exp();
        let temperature = j / k;
        let c = self.curve_at_k(k).map_or(f64::NAN, |(_, c)| c);
        Reading::with_error(temperature, energy_err / c, energy_err, "energy")
    }
}

/// A Monte Carlo-sampled ⟨|m|⟩(T) curve of the side×side periodic Ising
/// model at zero field, used as a thermometer by [`MagnetizationCurve::read`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MagnetizationCurve {
    /// Lattice side L.
    pub side: usize,
    /// Coupling J > 0.
    pub coupling_j: f64,
    /// (temperature, ⟨|m|⟩ ± binning error), temperatures strictly increasing.
    pub points: Vec<(f64, Estimate)>,
}

impl MagnetizationCurve {
    /// Samples ⟨|m|⟩ at each temperature with [`run_temperatures`]: one
    /// independent chain per temperature (chain i on random-stream family i
    /// of `seed`, so the curve does not depend on the thread count), run as
    /// `plan` says (its `algorithm`, e.g. `Auto`), zero field; error bars from
    /// the binning analysis ([`super::Observables`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `side < 2`, J not finite and > 0,
    /// fewer than 2 temperatures, a temperature not finite and > 0,
    /// temperatures not strictly increasing, or a bad `plan`.
    pub fn sample(
        side: usize,
        coupling_j: f64,
        temperatures: &[f64],
        plan: &SamplingPlan,
        seed: u64,
    ) -> Result<Self> {
        check_side_and_coupling(side, coupling_j)?;
        check_temperatures(temperatures)?;
        plan.check()?;
        let models = temperatures
            .iter()
            .map(|&t| IsingModel::new(side, coupling_j, 0.0, t))
            .collect::<Result<Vec<_>>>()?;
        let results = run_temperatures(&models, plan, seed, None, &|_| {})?;
        let points = temperatures
            .iter()
            .zip(&results)
            .map(|(&t, r)| (t, r.observables.abs_magnetization))
            .collect();
        Ok(MagnetizationCurve {
            side,
            coupling_j,
            points,
        })
    }

    /// The default grid for [`MagnetizationCurve::sample`] (J = 1): 0.5 to
    /// 1.4 in steps of 0.1, 1.5 to 3.45 in steps of 0.05 around
    /// T_c ≈ 2.269 J where ⟨|m|⟩ bends most, and 3.5 to 6.0 in steps of 0.25
    /// (61 temperatures). Multiply by J for other couplings.
    pub fn default_temperatures() -> Vec<f64> {
        (5..15)
            .map(|i| i as f64 / 10.0)
            .chain((30..70).map(|i| i as f64 / 20.0))
            .chain((14..=24).map(|i| i as f64 / 4.0))
            .collect()
    }

    /// The temperature at which the sampled ⟨|m|⟩(T) equals `abs_m`, by
    /// linear interpolation between neighbouring points.
    ///
    /// ⟨|m|⟩ decreases with T, but a sampled curve can be non-monotone by
    /// noise: the reading is the **first crossing scanning from low T** (the
    /// first segment [T_i, T_{i+1}] whose ⟨|m|⟩ values bracket `abs_m`).
    /// `abs_m` above the lowest-T point's ⟨|m|⟩ or below the highest-T
    /// point's gives `None` with a note naming the range (even if a noisy
    /// point in between would bracket it).
    ///
    /// On the segment, with u = (m − m_i)/(m_{i+1} − m_i),
    /// T = T_i + u (T_{i+1} − T_i), and by linear error propagation
    /// (Bevington & Robinson 2003, §3.2), taking `abs_m` and the two curve
    /// points as independent,
    ///
    /// σ_T = |ΔT/Δm| · √(σ_m² + (1 − u)² σ_i² + u² σ_{i+1}²),
    ///
    /// i.e. σ_|m| over the segment's slope, with the curve's own error bars
    /// added in quadrature. The interpolation (curvature) error is not
    /// included: the grid must be dense enough for it to be small.
    /// A flat segment (Δm = 0) gives its lower temperature with no error bar.
    pub fn read(&self, abs_m: f64, abs_m_err: f64) -> Reading {
        if !abs_m.is_finite() {
            return Reading::none(format!("|m| = {abs_m} is not finite"));
        }
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return Reading::none("the curve has no points".into());
        };
        let (m_top, m_bottom) = (first.1.mean, last.1.mean);
        if !(abs_m <= m_top && abs_m >= m_bottom) {
            return Reading::none(format!(
                "|m| = {abs_m} is outside the curve's range [{m_bottom}, {m_top}] \
                 (⟨|m|⟩ at T = {} and T = {})",
                last.0, first.0
            ));
        }
        for pair in self.points.windows(2) {
            let ((t0, p0), (t1, p1)) = (pair[0], pair[1]);
            let (m0, m1) = (p0.mean, p1.mean);
            if !(abs_m <= m0.max(m1) && abs_m >= m0.min(m1)) {
                continue;
            }
            let dm = m1 - m0;
            if dm == 0.0 {
                return Reading::with_error(t0, f64::INFINITY, abs_m_err, "|m|");
            }
            let dt = t1 - t0;
            let u = (abs_m - m0) / dm;
            let temperature = t0 + u * dt;
            let sigma =
                (abs_m_err.powi(2) + ((1.0 - u) * p0.error).powi(2) + (u * p1.error).powi(2))
                    .sqrt();
            return Reading::with_error(temperature, (dt / dm).abs() * sigma, abs_m_err, "|m|");
        }
        // Unreachable for a continuous piecewise-linear curve from m_top to
        // m_bottom, but NaN points could get here.
        Reading::none(format!("|m| = {abs_m}: no segment of the curve crosses it"))
    }
}

fn check_temperatures(temperatures: &[f64]) -> Result<()> {
    if temperatures.len() < 2 {
        return Err(Error::invalid(
            "temperatures",
            temperatures.len(),
            "at least 2 temperatures",
        ));
    }
    for &t in temperatures {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::invalid(
                "temperature",
                t,
                "a finite temperature T > 0",
            ));
        }
    }
    if let Some(pair) = temperatures.windows(2).find(|p| p[1] <= p[0]) {
        return Err(Error::invalid(
            "temperatures",
            format!("{} then {}", pair[0], pair[1]),
            "strictly increasing temperatures",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::Algorithm;

    #[test]
    fn energy_round_trip() {
        for side in [4, 10, 16] {
            let th = EnergyThermometer::new(side, 1.0).unwrap();
            for t in [0.5, 1.5, 2.269, 3.0, 6.0] {
                let e = th.energy_at(t).unwrap();
                let r = th.read(e, 0.0);
                let got = r.temperature.unwrap();
                assert!(
                    (got - t).abs() <= 1e-8 * t,
                    "L={side} T={t}: read {got} ({r:?})"
                );
                assert_eq!(r.temperature_err, Some(0.0));
                assert_eq!(r.note, None);
            }
        }
    }

    #[test]
    fn energy_round_trip_other_coupling_and_high_t() {
        let th = EnergyThermometer::new(8, 2.5).unwrap();
        for t in [1.0, 5.0, 1e3, 1e7] {
            let e = th.energy_at(t).unwrap();
            let got = th.read(e, 0.0).temperature.unwrap();
            assert!((got - t).abs() <= 1e-8 * t, "T={t}: read {got}");
        }
    }

    #[test]
    fn energy_error_propagation_matches_finite_difference() {
        let th = EnergyThermometer::new(10, 1.0).unwrap();
        for t in [1.0, 2.0, 2.269, 3.5] {
            let h = 1e-5 * t;
            let slope = (th.energy_at(t + h).unwrap() - th.energy_at(t - h).unwrap()) / (2.0 * h);
            let sigma_e = 1e-3;
            let e = th.energy_at(t).unwrap();
            let err = th.read(e, sigma_e).temperature_err.unwrap();
            let expected = sigma_e / slope;
            assert!(
                (err - expected).abs() <= 1e-5 * expected,
                "T={t}: σ_T {err} vs σ_e/(de/dT) {expected}"
            );
            // And the inverse: a small shift δe in e moves T by δe/c.
            let shift = sigma_e * 1e-3;
            let moved = th.read(e + shift, 0.0).temperature.unwrap() - t;
            assert!(
                (moved - err * 1e-3).abs() <= 1e-3 * err * 1e-3,
                "T={t}: moved {moved}, expected {}",
                err * 1e-3
            );
        }
    }

    #[test]
    fn energy_edge_cases() {
        let th = EnergyThermometer::new(10, 1.0).unwrap();
        let ground = th.read(-2.0, 0.01);
        assert_eq!(ground.temperature, Some(0.0));
        assert_eq!(ground.temperature_err, Some(0.0));
        assert_eq!(ground.note.as_deref(), Some("ground-state energy (T = 0)"));
        assert_eq!(th.read(-2.5, 0.0).temperature, Some(0.0));
        for e in [0.0, 0.013, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let r = th.read(e, 0.01);
            assert_eq!(r.temperature, None, "e={e}");
            assert_eq!(r.temperature_err, None, "e={e}");
            assert!(r.note.is_some(), "e={e}");
        }
        assert!(th.read(0.013, 0.0).note.unwrap().contains("T → ∞"));
        assert!(th.read(f64::NAN, 0.0).note.unwrap().contains("not finite"));
        // A vanishingly small |e| needs T beyond 10¹² J.
        assert_eq!(th.read(-1e-15, 0.0).temperature, None);
        // A bad input error bar keeps the temperature, drops the error.
        let r = th.read(-1.0, f64::NAN);
        assert!(r.temperature.is_some());
        assert_eq!(r.temperature_err, None);
        assert!(r.note.is_some());
    }

    #[test]
    fn energy_bad_parameters() {
        assert!(EnergyThermometer::new(1, 1.0).is_err());
        assert!(EnergyThermometer::new(0, 1.0).is_err());
        for j in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(EnergyThermometer::new(4, j).is_err(), "J={j}");
        }
        let th = EnergyThermometer::new(4, 1.0).unwrap();
        for t in [0.0, -1.0, f64::NAN] {
            assert!(th.energy_at(t).is_err(), "T={t}");
        }
    }

    fn est(mean: f64, error: f64) -> Estimate {
        Estimate { mean, error }
    }

    fn hand_curve(values: &[(f64, f64, f64)]) -> MagnetizationCurve {
        MagnetizationCurve {
            side: 4,
            coupling_j: 1.0,
            points: values.iter().map(|&(t, m, s)| (t, est(m, s))).collect(),
        }
    }

    #[test]
    fn magnetization_interpolation_and_errors() {
        let curve = hand_curve(&[(1.0, 0.9, 0.0), (2.0, 0.7, 0.0), (3.0, 0.2, 0.0)]);
        // Segment 2: slope −0.5 per unit T.
        let r = curve.read(0.45, 0.01);
        assert!((r.temperature.unwrap() - 2.5).abs() < 1e-12);
        assert!((r.temperature_err.unwrap() - 0.02).abs() < 1e-12);
        // Segment 1: slope −0.2.
        let r = curve.read(0.85, 0.01);
        assert!((r.temperature.unwrap() - 1.25).abs() < 1e-12);
        assert!((r.temperature_err.unwrap() - 0.05).abs() < 1e-12);
        // End points are in range.
        assert_eq!(curve.read(0.9, 0.0).temperature, Some(1.0));
        assert_eq!(curve.read(0.2, 0.0).temperature, Some(3.0));
        // Curve errors add in quadrature, weighted by (1 − u) and u.
        let noisy = hand_curve(&[(1.0, 0.9, 0.0), (2.0, 0.7, 0.03), (3.0, 0.2, 0.04)]);
        let r = noisy.read(0.45, 0.01); // u = 0.5 on segment 2
        let expected = 2.0 * (0.01f64.powi(2) + 0.015f64.powi(2) + 0.02f64.powi(2)).sqrt();
        assert!((r.temperature_err.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn magnetization_outside_range() {
        let curve = hand_curve(&[(1.0, 0.9, 0.0), (2.0, 0.7, 0.0), (3.0, 0.2, 0.0)]);
        for m in [0.95, 0.1, f64::NAN] {
            let r = curve.read(m, 0.01);
            assert_eq!(r.temperature, None, "m={m}");
            assert_eq!(r.temperature_err, None, "m={m}");
            assert!(r.note.is_some());
        }
        assert!(curve.read(0.95, 0.0).note.unwrap().contains("[0.2, 0.9]"));
    }

    #[test]
    fn magnetization_non_monotone_takes_first_crossing() {
        // Noise makes ⟨|m|⟩ rise between T = 2 and T = 3.
        let curve = hand_curve(&[
            (1.0, 0.9, 0.0),
            (2.0, 0.5, 0.0),
            (3.0, 0.6, 0.0),
            (4.0, 0.1, 0.0),
        ]);
        // 0.55 is crossed on [1, 2], [2, 3] and [3, 4]: the first wins.
        let r = curve.read(0.55, 0.0);
        assert!((r.temperature.unwrap() - 1.875).abs() < 1e-12, "{r:?}");
        // A flat segment gives its lower end and no error bar.
        let flat = hand_curve(&[(1.0, 0.9, 0.0), (2.0, 0.5, 0.0), (3.0, 0.5, 0.0)]);
        let r = flat.read(0.5, 0.01);
        assert_eq!(r.temperature, Some(2.0));
        let r = hand_curve(&[(1.0, 0.5, 0.0), (2.0, 0.5, 0.0)]).read(0.5, 0.01);
        assert_eq!(r.temperature, Some(1.0));
        assert_eq!(r.temperature_err, None);
        assert!(r.note.is_some());
    }

    #[test]
    fn default_grid_is_increasing_and_dense_near_tc() {
        let t = MagnetizationCurve::default_temperatures();
        assert!(check_temperatures(&t).is_ok());
        assert_eq!(t.first(), Some(&0.5));
        assert_eq!(t.last(), Some(&6.0));
        let near: Vec<_> = t.iter().filter(|&&x| (2.0..2.5).contains(&x)).collect();
        assert!(near.len() >= 10);
    }

    #[test]
    fn magnetization_bad_parameters() {
        let plan = SamplingPlan {
            samples: 10,
            sweeps: 1,
            burn_in: 0,
            algorithm: Algorithm::Auto,
        };
        let ok = [1.0, 2.0];
        assert!(MagnetizationCurve::sample(1, 1.0, &ok, &plan, 0).is_err());
        assert!(MagnetizationCurve::sample(4, 0.0, &ok, &plan, 0).is_err());
        assert!(MagnetizationCurve::sample(4, -1.0, &ok, &plan, 0).is_err());
        for temps in [
            &[1.0][..],
            &[][..],
            &[2.0, 1.0][..],
            &[1.0, 1.0][..],
            &[0.0, 1.0][..],
            &[1.0, f64::NAN][..],
            &[1.0, f64::INFINITY][..],
        ] {
            assert!(
                MagnetizationCurve::sample(4, 1.0, temps, &plan, 0).is_err(),
                "{temps:?}"
            );
        }
        let bad_plan = SamplingPlan { samples: 0, ..plan };
        assert!(MagnetizationCurve::sample(4, 1.0, &ok, &bad_plan, 0).is_err());
        let curve = MagnetizationCurve::sample(4, 1.0, &ok, &plan, 0).unwrap();
        assert_eq!(curve.points.len(), 2);
        assert_eq!(curve.points[0].0, 1.0);
    }
}
