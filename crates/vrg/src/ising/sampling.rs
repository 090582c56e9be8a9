//! Running Markov chains and measuring them.
//!
//! [`run_chain`] drives one chain (burn-in, then `samples` stored
//! configurations `sweeps` sweeps apart), measuring energy and magnetisation
//! after every sweep, and returns the [`Observables`] with error bars.
//! [`run_temperatures`] runs one independent chain per temperature in
//! parallel, each with its own family of random streams.

use super::exact::critical_temperature;
use super::model::IsingModel;
use super::multispin::MultiSpinMetropolis;
use super::observables::{Observables, Recorder};
use super::sequential::{SequentialMetropolis, SiteOrder};
use super::wolff::Wolff;
use crate::rng::{self, Rng};
use crate::{Error, Result};
use rand::RngCore;
use rayon::prelude::*;
use serde::Serialize;

/// Which Monte Carlo update to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Checkerboard Metropolis, multi-spin coded, for even L ≥ 4; byte-per-spin
    /// Metropolis in random site order for odd L and L = 2.
    Metropolis,
    /// Wolff cluster updates (h = 0, J > 0).
    Wolff,
    /// Wolff near and below T_c at zero field (T < 1.25 T_c, J > 0),
    /// Metropolis otherwise.
    Auto,
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "metropolis" => Ok(Algorithm::Metropolis),
            "wolff" => Ok(Algorithm::Wolff),
            "auto" => Ok(Algorithm::Auto),
            other => Err(Error::invalid(
                "algorithm",
                other,
                "one of metropolis, wolff, auto",
            )),
        }
    }
}

impl Algorithm {
    /// The concrete algorithm `Auto` stands for at this model.
    pub fn resolve(self, model: &IsingModel) -> Algorithm {
        match self {
            Algorithm::Auto => {
                let near_or_below =
                    model.temperature < 1.25 * critical_temperature(model.coupling.abs());
                if model.field == 0.0 && model.coupling > 0.0 && near_or_below {
                    Algorithm::Wolff
                } else {
                    Algorithm::Metropolis
                }
            }
            concrete => concrete,
        }
    }
}

/// How a chain is run. Validated by [`SamplingPlan::check`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SamplingPlan {
    /// Configurations to store (N ≥ 1).
    pub samples: usize,
    /// Sweeps between stored configurations (≥ 1).
    pub sweeps: usize,
    /// Sweeps discarded before the first stored configuration.
    pub burn_in: usize,
    pub algorithm: Algorithm,
}

impl SamplingPlan {
    /// Checks the plan's ranges.
    pub fn check(&self) -> Result<()> {
        if self.samples == 0 {
            return Err(Error::invalid("samples", 0, "at least 1 sample"));
        }
        if self.sweeps == 0 {
            return Err(Error::invalid(
                "sweeps",
                0,
                "at least 1 sweep between samples",
            ));
        }
        let total = (self.samples as u64)
            .checked_mul(self.sweeps as u64)
            .and_then(|t| t.checked_add(self.burn_in as u64));
        if total.is_none() {
            return Err(Error::invalid(
                "sweeps",
                self.sweeps,
                format!(
                    "samples × sweeps + burn-in below 2^64 (samples {}, burn-in {})",
                    self.samples, self.burn_in
                ),
            ));
        }
        Ok(())
    }

    /// Total sweeps a chain runs (burn-in included).
    pub fn total_sweeps(&self) -> u64 {
        (self.samples as u64)
            .saturating_mul(self.sweeps as u64)
            .saturating_add(self.burn_in as u64)
    }
}

/// The configuration a chain starts from: ordered (all +1, or all −1 in a
/// negative field) below T_c, random above, which avoids the long-lived
/// stripe states a random start can fall into below T_c.
pub fn initial_configuration(model: &IsingModel, rng: &mut Rng) -> Vec<i8> {
    let n = model.n_spins();
    if model.temperature < critical_temperature(model.coupling.abs()) && model.coupling > 0.0 {
        vec![if model.field < 0.0 { -1 } else { 1 }; n]
    } else {
        (0..n)
            .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
            .collect()
    }
}

/// A running chain of any algorithm.
pub enum Chain {
    MultiSpin(Box<MultiSpinMetropolis>),
    Sequential(SequentialMetropolis),
    Wolff(Wolff),
}

impl Chain {
    /// A chain for `model` with `algorithm` (resolved if `Auto`), started as
    /// [`initial_configuration`] says, random streams split from `rng`.
    pub fn new(model: IsingModel, algorithm: Algorithm, mut rng: Rng) -> Result<Self> {
        let start = initial_configuration(&model, &mut rng);
        Ok(match algorithm.resolve(&model) {
            Algorithm::Wolff => Chain::Wolff(Wolff::new(model, &start, rng)?),
            _ if model.size.is_multiple_of(2) && model.size >= 4 => {
                Chain::MultiSpin(Box::new(MultiSpinMetropolis::new(model, &start, &rng)?))
            }
            _ => Chain::Sequential(SequentialMetropolis::new(
                model,
                &start,
                rng,
                SiteOrder::Random,
            )?),
        })
    }

    /// The concrete algorithm this chain runs.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Chain::Wolff(_) => Algorithm::Wolff,
            _ => Algorithm::Metropolis,
        }
    }

    /// Called once burn-in is over: Wolff fixes its sweep length.
    pub fn end_burn_in(&mut self) {
        if let Chain::Wolff(w) = self {
            w.freeze_sweep_length();
        }
    }

    /// One sweep (for Wolff: clusters flipping N spins on average).
    pub fn sweep(&mut self) {
        match self {
            Chain::MultiSpin(s) => s.sweep(),
            Chain::Sequential(s) => s.sweep(),
            Chain::Wolff(s) => s.sweep(),
        }
    }

    /// Bond sum over the 2N bonds and magnetisation.
    pub fn bond_and_spin_sums(&self) -> (i64, i64) {
        match self {
            Chain::MultiSpin(s) => s.bond_and_spin_sums(),
            Chain::Sequential(s) => s.bond_and_spin_sums(),
            Chain::Wolff(s) => s.bond_and_spin_sums(),
        }
    }

    /// Writes the configuration (L×L, row-major, ±1) into `out`.
    pub fn store(&self, out: &mut [i8]) {
        match self {
            Chain::MultiSpin(s) => s.store(out),
            Chain::Sequential(s) => out.copy_from_slice(s.spins()),
            Chain::Wolff(s) => out.copy_from_slice(s.spins()),
        }
    }
}

/// The result of one chain.
#[derive(Clone, Debug, Serialize)]
pub struct ChainResult {
    pub model: IsingModel,
    /// The algorithm actually run (`auto` resolved).
    pub algorithm: Algorithm,
    pub observables: Observables,
}

/// Runs one chain. Measures after every sweep past burn-in; stores
/// `plan.samples` configurations into `out` (shape (samples, L, L), ±1) if
/// given. `progress` is called with the number of sweeps just done.
pub fn run_chain(
    model: &IsingModel,
    plan: &SamplingPlan,
    rng: Rng,
    mut out: Option<&mut [i8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ChainResult> {
    plan.check()?;
    let n = model.n_spins();
    if let Some(buffer) = &out {
        if buffer.len() != plan.samples * n {
            return Err(Error::ShapeMismatch {
                what: "sample buffer".into(),
                expected: format!("{} × {} spins", plan.samples, n),
                found: format!("{}", buffer.len()),
            });
        }
    }
    let mut chain = Chain::new(*model, plan.algorithm, rng)?;
    const PROGRESS_EVERY: usize = 64;
    for done in 0..plan.burn_in {
        chain.sweep();
        if (done + 1) % PROGRESS_EVERY == 0 {
            progress(PROGRESS_EVERY as u64);
        }
    }
    progress((plan.burn_in % PROGRESS_EVERY) as u64);
    chain.end_burn_in();
    let mut recorder = Recorder::new(*model);
    let mut pending = 0u64;
    for sample in 0..plan.samples {
        for _ in 0..plan.sweeps {
            chain.sweep();
            let (bonds, magnetisation) = chain.bond_and_spin_sums();
            recorder.record(bonds, magnetisation);
            pending += 1;
            if pending as usize >= PROGRESS_EVERY {
                progress(pending);
                pending = 0;
            }
        }
        if let Some(buffer) = out.as_deref_mut() {
            chain.store(&mut buffer[sample * n..(sample + 1) * n]);
        }
    }
    progress(pending);
    Ok(ChainResult {
        model: *model,
        algorithm: chain.algorithm(),
        observables: recorder.finish(),
    })
}

/// Runs one independent chain per model (typically one per temperature) in
/// parallel. Chain t draws from random-stream family t of `seed`, so results
/// do not depend on the thread count. `out`, if given, has shape
/// (models.len() × samples, L, L) with the chains' samples in order.
pub fn run_temperatures(
    models: &[IsingModel],
    plan: &SamplingPlan,
    seed: u64,
    out: Option<&mut [i8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<ChainResult>> {
    plan.check()?;
    let Some(first) = models.first() else {
        return Err(Error::invalid(
            "temperature",
            "(none)",
            "at least one temperature",
        ));
    };
    let per_chain = plan.samples * first.n_spins();
    if models.iter().any(|m| m.size != first.size) {
        return Err(Error::invalid(
            "size",
            "(mixed)",
            "one lattice size for all chains",
        ));
    }
    let run = |(index, (model, buffer)): (usize, (&IsingModel, Option<&mut [i8]>))| {
        run_chain(model, plan, rng::family(seed, index), buffer, progress)
    };
    match out {
        Some(buffer) => {
            if buffer.len() != per_chain * models.len() {
                return Err(Error::ShapeMismatch {
                    what: "sample buffer".into(),
                    expected: format!(
                        "{} × {} spins",
                        models.len() * plan.samples,
                        first.n_spins()
                    ),
                    found: format!("{}", buffer.len()),
                });
            }
            models
                .par_iter()
                .zip(buffer.par_chunks_mut(per_chain).map(Some))
                .enumerate()
                .map(run)
                .collect()
        }
        None => models
            .par_iter()
            .map(|m| (m, None))
            .enumerate()
            .map(run)
            .collect(),
    }
}

/// `plan.samples` configurations of the L×L torus (`size`, coupling J,
/// no field) at each temperature of `temperatures`, in that order: shape
/// (temperatures × samples, L, L), ±1. Besides Monte Carlo chains at T > 0
/// ([`run_temperatures`], chain t on family t of `seed`), two limits are
/// exact: T = 0 gives ground states (all up or all down, each with
/// probability ½ per configuration, from family `temperatures.len()`), and
/// T = ∞ gives independent fair spins (family `temperatures.len() + 1`).
/// Results do not depend on the thread count.
///
/// # Errors
/// [`Error::InvalidParameter`] for no temperature, a negative or NaN one,
/// or a plan or model out of range; memory limits as in [`crate::memory`].
pub fn configurations_at(
    size: usize,
    coupling: f64,
    temperatures: &[f64],
    plan: &SamplingPlan,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<i8>> {
    plan.check()?;
    if temperatures.is_empty() {
        return Err(Error::invalid(
            "temperatures",
            "(none)",
            "at least one temperature",
        ));
    }
    if let Some(bad) = temperatures.iter().find(|t| t.is_nan() || **t < 0.0) {
        return Err(Error::invalid(
            "temperature",
            bad,
            "T ≥ 0 (0 for ground states, inf for independent spins)",
        ));
    }
    // Validates size and coupling once, whatever the temperatures.
    let n = IsingModel::new(size, coupling, 0.0, 1.0)?.n_spins();
    let per_temperature = plan.samples.checked_mul(n).ok_or_else(|| {
        Error::invalid("samples", plan.samples, "samples × L² that fits in memory")
    })?;
    crate::memory::check_product(
        || {
            format!(
                "{} temperatures × {} configurations of {n} spins",
                temperatures.len(),
                plan.samples
            )
        },
        &[temperatures.len(), per_temperature],
        1,
    )?;
    let finite: Vec<(usize, f64)> = temperatures
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, t)| *t > 0.0 && t.is_finite())
        .collect();
    let models = finite
        .iter()
        .map(|&(_, t)| IsingModel::new(size, coupling, 0.0, t))
        .collect::<Result<Vec<_>>>()?;
    let mut sampled = vec![0i8; models.len() * per_temperature];
    if !models.is_empty() {
        run_temperatures(&models, plan, seed, Some(&mut sampled), progress)?;
    }
    let mut ground = rng::family(seed, temperatures.len());
    let mut random = rng::family(seed, temperatures.len() + 1);
    let mut out = vec![0i8; temperatures.len() * per_temperature];
    let mut next_sampled = sampled.chunks_exact(per_temperature.max(1));
    for (block, &t) in out
        .chunks_exact_mut(per_temperature.max(1))
        .zip(temperatures)
    {
        if t == 0.0 {
            for config in block.chunks_exact_mut(n) {
                config.fill(if rng::uniform(&mut ground) < 0.5 {
                    1
                } else {
                    -1
                });
            }
        } else if t == f64::INFINITY {
            for s in block.iter_mut() {
                *s = if rng::uniform(&mut random) < 0.5 {
                    1
                } else {
                    -1
                };
            }
        } else {
            block.copy_from_slice(next_sampled.next().expect("one chain per finite T"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod configurations_at_tests {
    use super::*;

    #[test]
    fn zero_and_infinite_temperatures_are_exact_limits() {
        let plan = SamplingPlan {
            samples: 400,
            sweeps: 2,
            burn_in: 100,
            algorithm: Algorithm::Auto,
        };
        let spins =
            configurations_at(4, 1.0, &[0.0, 2.0, f64::INFINITY], &plan, 5, &|_| {}).unwrap();
        let n = 16;
        let (ground, rest) = spins.split_at(400 * n);
        let (_, random) = rest.split_at(400 * n);
        // Ground states: uniform configurations, both signs present.
        assert!(ground.chunks_exact(n).all(|c| c.iter().all(|&s| s == c[0])));
        let ups = ground.chunks_exact(n).filter(|c| c[0] == 1).count();
        assert!((ups as f64 - 200.0).abs() < 4.0 * 10.0, "{ups} of 400 up");
        // Independent spins: mean 0 with standard error 1/√6400.
        let mean = random.iter().map(|&s| f64::from(s)).sum::<f64>() / 6400.0;
        assert!(mean.abs() < 4.0 / 80.0, "{mean}");
        assert!(configurations_at(4, 1.0, &[-1.0], &plan, 5, &|_| {}).is_err());
        assert!(configurations_at(4, 1.0, &[], &plan, 5, &|_| {}).is_err());
    }
}
