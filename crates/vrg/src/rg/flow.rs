//! RG flows of configurations: iterate the map v → h → v′ of a trained RBM
//! and watch where the configurations go.
//!
//! The reference text asks whether repeated application of the learned map
//! converges to a fixed point. Iso, Shiba & Yokoo (2018) trained an RBM on
//! Ising configurations at many temperatures and found that iterating
//! v → h → v′ drives configurations toward T_c — the opposite of an RG flow,
//! which runs away from the critical point; Veiga & Vicente (2020) showed
//! that an RBM trained without any lattice information does the same. This
//! module runs the flows: many independent chains at once from chosen
//! starts, with each step's configurations measured (energy per spin, |m|,
//! nearest-neighbour correlation, Binder cumulant) and error bars over the
//! chains, and detects the step after which the observables stop moving
//! ([`detect_fixed_point`]). Turning energies into temperatures is the job of
//! [`crate::ising::thermometer`].
//!
//! Two kinds of step:
//! - **sampled** (the default): h ~ P(h | v), v′ ~ P(v | h), block Gibbs
//!   sampling ([`Rbm::gibbs_step`]); the chain's state is a configuration.
//! - **mean-field**: h = E[h | v], v′ = E[v | h] ([`Rbm::mean_hiddens`],
//!   [`Rbm::mean_visibles`]); the state is a vector of means, deterministic
//!   given the start. It is measured on one ±1 configuration per chain drawn
//!   from the product distribution with those means (s_i = +1 with
//!   probability (1 + μ_i)/2, μ the spin mean), so that the observables are
//!   those of configurations in both modes.
//!
//! Randomness: family [`rng::families::FLOWS`] of the seed, split into three
//! streams: the random starts, the Gibbs chains, and the mean-field
//! measurement draws. All starts of one call run as one batch of chains
//! (start by start, in the order given), so a call with the same starts,
//! chains and seed is reproduced bit for bit whatever the thread count.
//!
//! # References
//! - S. Iso, S. Shiba and S. Yokoo, "Scale-invariant feature extraction of
//!   neural network and renormalization group flow", Phys. Rev. E 97,
//!   053304 (2018).
//! - R. Veiga and R. Vicente, "Restricted Boltzmann
//!   Machine Flows and The Critical Temperature of Ising models",
//!   arXiv:2006.10176 (2020).
//! - K. Binder, Z. Phys. B 43, 119 (1981) (the cumulant).

use crate::ising::model::bond_and_spin_sums;
use crate::ising::thermometer::{EnergyThermometer, MagnetizationCurve, Reading};
use crate::rbm::{Rbm, VisibleUnits};
use crate::rng;
use crate::stats::Estimate;
use crate::{Error, Result};
use serde::Serialize;

/// Where the chains of a flow start.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowStart {
    /// Every spin up: a ground state, T₀ = 0.
    Up,
    /// Every spin ±1 with probability ½: T₀ = ∞.
    Random,
    /// Given ±1 configurations (`chains × L²`, row-major), one per chain.
    Configurations {
        /// A name for reports (e.g. the file's stem).
        name: String,
        /// The configurations, ±1.
        spins: Vec<i8>,
    },
}

impl FlowStart {
    /// The start's name in reports: `up`, `random`, or the given name.
    pub fn name(&self) -> &str {
        match self {
            FlowStart::Up => "up",
            FlowStart::Random => "random",
            FlowStart::Configurations { name, .. } => name,
        }
    }
}

/// How a flow runs.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowOptions {
    /// Independent chains per start (≥ 1; for
    /// [`FlowStart::Configurations`], at most the number given: the first
    /// `chains` are used).
    pub chains: usize,
    /// Steps v → h → v′ (≥ 1); step 0 is the start.
    pub steps: usize,
    /// Mean-field steps instead of sampled ones (see the module documentation).
    pub mean_field: bool,
    /// Steps whose configurations are kept (each ≤ `steps`).
    pub save_steps: Vec<usize>,
    /// The seed (family [`rng::families::FLOWS`]).
    pub seed: u64,
}

/// The observables of one step's configurations, with error bars over the
/// independent chains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepObservables {
    /// The step (0 = the start).
    pub step: usize,
    /// e = −(1/N) Σ_⟨ij⟩ s_i s_j (J = 1, h = 0), mean ± standard error.
    pub energy_per_spin: Estimate,
    /// ⟨|m|⟩, m = (1/N) Σ_i s_i.
    pub abs_magnetization: Estimate,
    /// ⟨s_i s_j⟩ over nearest-neighbour pairs (= −e/2 on the torus).
    pub nearest_neighbour_correlation: Estimate,
    /// U = 1 − ⟨m⁴⟩ / (3⟨m²⟩²) (Binder 1981), jackknife error over chains;
    /// NaN if every chain has m = 0.
    pub binder_cumulant: Estimate,
}

/// Where a flow settles: the step after which its observables stop moving,
/// and their values averaged over the steps from there to the end.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FixedPoint {
    /// The first step of the settled stretch.
    pub step: usize,
    /// Steps averaged (from `step` to the last).
    pub steps_averaged: usize,
    /// e averaged over the settled steps; the error is over chains of each
    /// chain's own average, so it accounts for correlations between steps.
    pub energy_per_spin: Estimate,
    /// ⟨|m|⟩ averaged likewise.
    pub abs_magnetization: Estimate,
}

/// Why a flow has no fixed point.
pub const NOT_SETTLED: &str =
    "the observables still move beyond their error bars in the last tenth of the steps: run more steps";

/// The result of one start's flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    /// The start's name ([`FlowStart::name`]).
    pub start: String,
    /// Chains.
    pub chains: usize,
    /// Step 0 (the start) to the last step.
    pub steps: Vec<StepObservables>,
    /// The saved steps' configurations, ±1, `chains × L²` each.
    pub saved: Vec<(usize, Vec<i8>)>,
    /// Where the flow settles, if it does within the run
    /// ([`detect_fixed_point`]).
    pub fixed_point: Option<FixedPoint>,
    /// Per step, each chain's (e, |m|): `steps × chains`.
    pub chain_series: Vec<Vec<[f64; 2]>>,
}

/// How many combined standard errors a step may lie from the settled value
/// and still count as settled ([`detect_fixed_point`]).
pub const FIXED_POINT_Z: f64 = 3.0;

/// Runs one flow per start with the RBM `rbm`, whose visible units are the
/// spins of an `side × side` torus (Bernoulli units read as s = 2v − 1, spin
/// units as they are; Gaussian visible units are refused). `step_done` is
/// called after every step (for progress bars).
///
/// # Errors
/// [`Error::InvalidParameter`] for no starts, zero chains or steps, a save
/// step beyond `steps`, Gaussian visible units, or given configurations
/// that are not ±1 or too few; [`Error::ShapeMismatch`] if the visible
/// layer is not `side²` units; memory limits as in [`crate::memory`].
pub fn run_flows(
    rbm: &Rbm,
    side: usize,
    starts: &[FlowStart],
    options: &FlowOptions,
    step_done: &dyn Fn(),
) -> Result<Vec<Flow>> {
    let n = check_flow(rbm, side, starts, options)?;
    let chains = options.chains;
    let rows = chains * starts.len();
    let nh = rbm.n_hidden();
    crate::memory::check_product(
        || format!("{rows} chains of {n} visible + {nh} hidden units"),
        &[rows, (3 * n).saturating_add(nh)],
        std::mem::size_of::<f32>(),
    )?;
    // Each chain's (e, |m|) at every step, and the saved configurations.
    crate::memory::check_product(
        || format!("{} steps × {rows} chains of (e, |m|)", options.steps + 1),
        &[options.steps.saturating_add(1), rows],
        2 * std::mem::size_of::<f64>(),
    )?;
    crate::memory::check_product(
        || {
            format!(
                "{} saved steps of {rows} configurations",
                options.save_steps.len()
            )
        },
        &[options.save_steps.len(), rows, n],
        1,
    )?;
    let bernoulli = rbm.visible_units() == VisibleUnits::Bernoulli;
    let family = rng::family(options.seed, rng::families::FLOWS);
    let mut streams = rng::streams(&family, 3).into_iter();
    let (mut start_rng, mut chain_rng, mut measure_rng) = (
        streams.next().expect("three streams"),
        streams.next().expect("three streams"),
        streams.next().expect("three streams"),
    );

    // The state in the visible units' own values (0/1 or ±1; means in
    // mean-field mode), all starts stacked.
    let mut state = Vec::with_capacity(rows * n);
    for start in starts {
        let spins: Vec<i8> = match start {
            FlowStart::Up => vec![1; chains * n],
            FlowStart::Random => (0..chains * n)
                .map(|_| {
                    if rng::uniform(&mut start_rng) < 0.5 {
                        1
                    } else {
                        -1
                    }
                })
                .collect(),
            FlowStart::Configurations { spins, .. } => spins[..chains * n].to_vec(),
        };
        state.extend(spins.iter().map(|&s| spin_to_unit(s, bernoulli)));
    }
    let mut next = vec![0.0f32; rows * n];
    let mut hidden = vec![0.0f32; rows * nh];
    let mut spins = vec![0i8; rows * n];

    let mut flows: Vec<Flow> = starts
        .iter()
        .map(|s| Flow {
            start: s.name().to_owned(),
            chains,
            steps: Vec::with_capacity(options.steps + 1),
            saved: Vec::new(),
            fixed_point: None,
            chain_series: Vec::with_capacity(options.steps + 1),
        })
        .collect();
    for step in 0..=options.steps {
        if step > 0 {
            if options.mean_field {
                rbm.mean_hiddens(&state, rows, &mut hidden)?;
                rbm.mean_visibles(&hidden, rows, &mut next)?;
            } else {
                rbm.gibbs_step(&state, rows, &mut chain_rng, &mut hidden, &mut next)?;
            }
            std::mem::swap(&mut state, &mut next);
        }
        if options.mean_field && step > 0 {
            for (s, &mean) in spins.iter_mut().zip(&state) {
                let up = if bernoulli { mean } else { (1.0 + mean) / 2.0 };
                *s = if (rng::uniform(&mut measure_rng) as f32) < up {
                    1
                } else {
                    -1
                };
            }
        } else {
            for (s, &v) in spins.iter_mut().zip(&state) {
                *s = unit_to_spin(v, bernoulli);
            }
        }
        for (flow, block) in flows.iter_mut().zip(spins.chunks_exact(chains * n)) {
            let per_chain: Vec<[f64; 2]> = block
                .chunks_exact(n)
                .map(|config| {
                    let (bonds, magnetisation) = bond_and_spin_sums(config, side);
                    [
                        -(bonds as f64) / n as f64,
                        (magnetisation as f64 / n as f64).abs(),
                    ]
                })
                .collect();
            flow.steps.push(step_observables(step, &per_chain));
            flow.chain_series.push(per_chain);
            if options.save_steps.contains(&step) {
                flow.saved.push((step, block.to_vec()));
            }
        }
        if step > 0 {
            step_done();
        }
    }
    for flow in &mut flows {
        flow.fixed_point = detect_fixed_point(&flow.chain_series);
    }
    Ok(flows)
}

/// Checks a flow's inputs; returns the number of visible units L².
fn check_flow(
    rbm: &Rbm,
    side: usize,
    starts: &[FlowStart],
    options: &FlowOptions,
) -> Result<usize> {
    if starts.is_empty() {
        return Err(Error::invalid("starts", "(none)", "at least one start"));
    }
    if options.chains == 0 {
        return Err(Error::invalid("chains", 0, "at least 1"));
    }
    if options.steps == 0 {
        return Err(Error::invalid("steps", 0, "at least 1"));
    }
    if let Some(&s) = options.save_steps.iter().find(|&&s| s > options.steps) {
        return Err(Error::invalid(
            "save-steps",
            s,
            format!("steps between 0 and --steps = {}", options.steps),
        ));
    }
    if rbm.visible_units() == VisibleUnits::Gaussian {
        return Err(Error::invalid(
            "visible units",
            "gaussian",
            "bernoulli or spin units (a flow moves Ising configurations)",
        ));
    }
    let n = side
        .checked_mul(side)
        .filter(|&n| side >= 2 && n == rbm.n_visible())
        .ok_or_else(|| Error::ShapeMismatch {
            what: "the model's visible layer".into(),
            expected: format!("L² = {side}² units for an L × L lattice, L ≥ 2"),
            found: format!("{} visible units", rbm.n_visible()),
        })?;
    for start in starts {
        if let FlowStart::Configurations { name, spins } = start {
            let available = spins.len() / n;
            if spins.len() % n != 0 || available < options.chains {
                return Err(Error::ShapeMismatch {
                    what: format!("start configurations {name}"),
                    expected: format!(
                        "at least {} configurations of {n} spins (one per chain)",
                        options.chains
                    ),
                    found: format!("{} values ({available} configurations)", spins.len()),
                });
            }
            if let Some(&bad) = spins.iter().find(|&&s| s != 1 && s != -1) {
                return Err(Error::invalid(
                    "start configuration value",
                    bad,
                    format!("±1 spins in {name}"),
                ));
            }
        }
    }
    Ok(n)
}

/// A spin as the visible unit's value: v = (s + 1)/2 for Bernoulli units.
fn spin_to_unit(s: i8, bernoulli: bool) -> f32 {
    if bernoulli {
        f32::from((s + 1) / 2)
    } else {
        f32::from(s)
    }
}

/// A sampled unit's value as a spin: s = 2v − 1 for Bernoulli units.
fn unit_to_spin(v: f32, bernoulli: bool) -> i8 {
    let up = if bernoulli { v > 0.5 } else { v > 0.0 };
    if up {
        1
    } else {
        -1
    }
}

/// Mean and standard error of the mean (σ/√n, σ with n − 1) of `values`;
/// error 0 for a single value.
fn mean_and_error(values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let (count, sum) = values
        .clone()
        .fold((0usize, 0.0), |(c, s), x| (c + 1, s + x));
    let mean = sum / count as f64;
    if count < 2 {
        return Estimate { mean, error: 0.0 };
    }
    let sum_sq: f64 = values.map(|x| (x - mean) * (x - mean)).sum();
    Estimate {
        mean,
        error: (sum_sq / (count - 1) as f64 / count as f64).sqrt(),
    }
}

/// The observables of one step from each chain's (e, |m|).
fn step_observables(step: usize, per_chain: &[[f64; 2]]) -> StepObservables {
    let energy = mean_and_error(per_chain.iter().map(|c| c[0]));
    StepObservables {
        step,
        energy_per_spin: energy,
        abs_magnetization: mean_and_error(per_chain.iter().map(|c| c[1])),
        nearest_neighbour_correlation: Estimate {
            mean: -energy.mean / 2.0,
            error: energy.error / 2.0,
        },
        binder_cumulant: binder_jackknife(per_chain.iter().map(|c| c[1]).collect()),
    }
}

/// U = 1 − ⟨m⁴⟩/(3⟨m²⟩²) over chains with its delete-one jackknife error
/// (Efron 1982): σ² = (n − 1)/n Σ_k (U_(k) − Ū)², U_(k) without chain k.
fn binder_jackknife(abs_m: Vec<f64>) -> Estimate {
    let n = abs_m.len() as f64;
    let m2: f64 = abs_m.iter().map(|m| m * m).sum();
    let m4: f64 = abs_m.iter().map(|m| m.powi(4)).sum();
    let binder = |m2: f64, m4: f64, count: f64| 1.0 - (m4 / count) / (3.0 * (m2 / count).powi(2));
    let mean = binder(m2, m4, n);
    if abs_m.len() < 2 || !mean.is_finite() {
        return Estimate {
            mean,
            error: if mean.is_finite() { 0.0 } else { f64::NAN },
        };
    }
    let leave_out: Vec<f64> = abs_m
        .iter()
        .map(|m| binder(m2 - m * m, m4 - m.powi(4), n - 1.0))
        .collect();
    let average = leave_out.iter().sum::<f64>() / n;
    let variance = (n - 1.0) / n * leave_out.iter().map(|u| (u - average).powi(2)).sum::<f64>();
    Estimate {
        mean,
        error: variance.sqrt(),
    }
}

/// The step after which a flow's observables stop moving, from each step's
/// per-chain (e, |m|) (`series[step][chain]`), or `None` if they still move
/// at the end.
///
/// The settled value R of each observable is its mean over the last tenth
/// of the steps (at least one step), with the error σ_R of that average
/// taken over chains (each chain's own average first, so correlations
/// between steps are accounted for). The fixed point is the first step t*
/// such that every step t ≥ t* lies within [`FIXED_POINT_Z`] combined errors
/// of R, |O_t − R| ≤ z √(σ_t² + σ_R²), for both e and |m|. If t* falls inside
/// the last tenth itself the flow has not settled ([`NOT_SETTLED`]). The
/// reported values are averages over steps t* to the end, with errors over
/// chains likewise.
pub fn detect_fixed_point(series: &[Vec<[f64; 2]>]) -> Option<FixedPoint> {
    let total = series.len();
    if total == 0 || series[0].is_empty() {
        return None;
    }
    let window = total.div_ceil(10).max(1);
    let settled = |from: usize, k: usize| {
        let chains = series[from].len();
        mean_and_error((0..chains).map(move |c| {
            series[from..].iter().map(|step| step[c][k]).sum::<f64>() / (total - from) as f64
        }))
    };
    let reference = [settled(total - window, 0), settled(total - window, 1)];
    let mut first_settled = total;
    for t in (0..total).rev() {
        let within = (0..2).all(|k| {
            let step = mean_and_error(series[t].iter().map(|c| c[k]));
            let allowed = FIXED_POINT_Z * step.error.hypot(reference[k].error);
            (step.mean - reference[k].mean).abs() <= allowed
        });
        if !within {
            break;
        }
        first_settled = t;
    }
    if first_settled > total - window {
        return None;
    }
    Some(FixedPoint {
        step: first_settled,
        steps_averaged: total - first_settled,
        energy_per_spin: settled(first_settled, 0),
        abs_magnetization: settled(first_settled, 1),
    })
}

/// Both thermometers' readings of one set of configurations: the
/// temperature at which Kaufman's exact ⟨e⟩(T) equals their energy
/// ([`EnergyThermometer`]), the one at which a Monte Carlo ⟨|m|⟩(T) equals
/// their ⟨|m|⟩ ([`MagnetizationCurve`]), and whether the two agree.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Temperatures {
    /// T from the energy; `None` outside the curve's range (see `note`).
    pub temperature: Option<f64>,
    pub temperature_err: Option<f64>,
    /// T from ⟨|m|⟩; `None` outside the curve's range or without a curve.
    pub temperature_from_magnetization: Option<f64>,
    pub temperature_from_magnetization_err: Option<f64>,
    /// Whether the two agree within [`THERMOMETERS_Z`] combined errors
    /// (`None` unless both exist). Disagreement says the configurations are
    /// not equilibrium Ising states at any one temperature.
    pub thermometers_agree: Option<bool>,
    /// Why a temperature is missing, if one is.
    pub note: Option<String>,
}

/// One step of a flow: its observables (flat, each with its `_err`) and
/// temperatures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReading {
    pub step: usize,
    pub energy_per_spin: f64,
    pub energy_per_spin_err: f64,
    pub abs_magnetization: f64,
    pub abs_magnetization_err: f64,
    pub nearest_neighbour_correlation: f64,
    pub nearest_neighbour_correlation_err: f64,
    pub binder_cumulant: f64,
    pub binder_cumulant_err: f64,
    #[serde(flatten)]
    pub temperatures: Temperatures,
}

/// A flow's fixed point ([`FixedPoint`]) with its temperatures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPointReading {
    pub step: usize,
    pub steps_averaged: usize,
    pub energy_per_spin: f64,
    pub energy_per_spin_err: f64,
    pub abs_magnetization: f64,
    pub abs_magnetization_err: f64,
    #[serde(flatten)]
    pub temperatures: Temperatures,
}

/// A flow read by the thermometers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowReading {
    /// The start's name.
    pub start: String,
    pub chains: usize,
    pub steps: Vec<StepReading>,
    /// `None` if the flow did not settle (see `fixed_point_note`).
    pub fixed_point: Option<FixedPointReading>,
    pub fixed_point_note: Option<String>,
}

/// Combined standard errors within which the two thermometers agree.
pub const THERMOMETERS_Z: f64 = 3.0;

/// Reads (e ± σ_e, ⟨|m|⟩ ± σ_m) with both thermometers.
pub fn read_temperatures(
    energy: Estimate,
    abs_m: Estimate,
    thermometer: &EnergyThermometer,
    curve: Option<&MagnetizationCurve>,
) -> Temperatures {
    let from_energy = thermometer.read(energy.mean, energy.error);
    let from_m = curve.map(|c| c.read(abs_m.mean, abs_m.error));
    let pair = |r: &Reading| {
        r.temperature
            .map(|t| (t, r.temperature_err.unwrap_or(f64::NAN)))
    };
    let t_e = pair(&from_energy);
    let t_m = from_m.as_ref().and_then(pair);
    let thermometers_agree = match (t_e, t_m) {
        (Some((a, sa)), Some((b, sb))) => Some((a - b).abs() <= THERMOMETERS_Z * sa.hypot(sb)),
        _ => None,
    };
    let notes: Vec<String> = [
        from_energy.note.map(|n| format!("energy: {n}")),
        from_m.and_then(|r| r.note).map(|n| format!("|m|: {n}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    Temperatures {
        temperature: t_e.map(|t| t.0),
        temperature_err: t_e.map(|t| t.1),
        temperature_from_magnetization: t_m.map(|t| t.0),
        temperature_from_magnetization_err: t_m.map(|t| t.1),
        thermometers_agree,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Reads every step of `flow` and its fixed point with the exact energy
/// thermometer of the same lattice and, if given, the Monte Carlo |m| curve.
pub fn read_flow(
    flow: &Flow,
    thermometer: &EnergyThermometer,
    curve: Option<&MagnetizationCurve>,
) -> FlowReading {
    let steps = flow
        .steps
        .iter()
        .map(|s| StepReading {
            step: s.step,
            energy_per_spin: s.energy_per_spin.mean,
            energy_per_spin_err: s.energy_per_spin.error,
            abs_magnetization: s.abs_magnetization.mean,
            abs_magnetization_err: s.abs_magnetization.error,
            nearest_neighbour_correlation: s.nearest_neighbour_correlation.mean,
            nearest_neighbour_correlation_err: s.nearest_neighbour_correlation.error,
            binder_cumulant: s.binder_cumulant.mean,
            binder_cumulant_err: s.binder_cumulant.error,
            temperatures: read_temperatures(
                s.energy_per_spin,
                s.abs_magnetization,
                thermometer,
                curve,
            ),
        })
        .collect();
    let fixed_point = flow.fixed_point.map(|f| FixedPointReading {
        step: f.step,
        steps_averaged: f.steps_averaged,
        energy_per_spin: f.energy_per_spin.mean,
        energy_per_spin_err: f.energy_per_spin.error,
        abs_magnetization: f.abs_magnetization.mean,
        abs_magnetization_err: f.abs_magnetization.error,
        temperatures: read_temperatures(f.energy_per_spin, f.abs_magnetization, thermometer, curve),
    });
    FlowReading {
        start: flow.start.clone(),
        chains: flow.chains,
        steps,
        fixed_point_note: fixed_point.is_none().then(|| NOT_SETTLED.to_owned()),
        fixed_point,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::HiddenUnits;

    /// An RBM that copies its input: one hidden unit per site with weight
    /// `w` to it alone, biases −w/2 for Bernoulli units (so the input to
    /// each unit is w(v − ½)) and 0 for spin units.
    fn copier(n: usize, w: f32, units: VisibleUnits) -> Rbm {
        let (hidden, bias) = match units {
            VisibleUnits::Spin => (HiddenUnits::Spin, 0.0),
            _ => (HiddenUnits::Bernoulli, -w / 2.0),
        };
        let mut weights = vec![0.0f32; n * n];
        for i in 0..n {
            weights[i * n + i] = w;
        }
        Rbm::from_parameters(units, hidden, weights, vec![bias; n], vec![bias; n]).unwrap()
    }

    fn options(chains: usize, steps: usize) -> FlowOptions {
        FlowOptions {
            chains,
            steps,
            mean_field: false,
            save_steps: vec![0, steps],
            seed: 7,
        }
    }

    #[test]
    fn a_copying_rbm_stays_where_it_starts() {
        for units in [VisibleUnits::Bernoulli, VisibleUnits::Spin] {
            for mean_field in [false, true] {
                let rbm = copier(16, 60.0, units);
                let opts = FlowOptions {
                    mean_field,
                    ..options(50, 20)
                };
                let flows =
                    run_flows(&rbm, 4, &[FlowStart::Up, FlowStart::Random], &opts, &|| {}).unwrap();
                for flow in &flows {
                    let (first, last) = (&flow.saved[0].1, &flow.saved[1].1);
                    assert_eq!(first, last, "{units:?} {mean_field} {}", flow.start);
                    let s0 = flow.steps[0];
                    assert!(flow
                        .steps
                        .iter()
                        .all(|s| s.energy_per_spin == s0.energy_per_spin));
                    let fixed = flow.fixed_point.expect("settled");
                    assert_eq!(fixed.step, 0);
                    assert_eq!(fixed.energy_per_spin.mean, s0.energy_per_spin.mean);
                }
                assert_eq!(flows[0].steps[0].energy_per_spin.mean, -2.0);
                assert_eq!(flows[0].steps[0].abs_magnetization.mean, 1.0);
            }
        }
    }

    #[test]
    fn random_starts_are_uncorrelated_and_up_starts_are_ground_states() {
        let rbm = copier(100, 60.0, VisibleUnits::Spin);
        let flows = run_flows(
            &rbm,
            10,
            &[FlowStart::Up, FlowStart::Random],
            &options(2000, 1),
            &|| {},
        )
        .unwrap();
        let up = flows[0].steps[0];
        assert_eq!(up.nearest_neighbour_correlation.mean, 1.0);
        assert!((up.binder_cumulant.mean - 2.0 / 3.0).abs() < 1e-12);
        let random = flows[1].steps[0];
        // e has mean 0 and variance 2N/N² = 2/N per chain at T = ∞.
        assert!(
            random.energy_per_spin.z_score(0.0).abs() < 4.0,
            "{random:?}"
        );
        let expected_error = (2.0 / 100.0 / 2000.0f64).sqrt();
        assert!((random.energy_per_spin.error / expected_error - 1.0).abs() < 0.1);
        // For independent spins ⟨m²⟩ = 1/N exactly and U → 0 as N grows
        // (U = 1 − (3 − 2/N)/3 = 2/(3N) exactly for ±1 spins).
        assert!(
            random.binder_cumulant.z_score(2.0 / 300.0).abs() < 4.0,
            "{random:?}"
        );
    }

    #[test]
    fn flows_do_not_depend_on_the_thread_count() {
        let mut rbm = copier(36, 1.0, VisibleUnits::Bernoulli);
        for (i, w) in rbm.weights_mut().iter_mut().enumerate() {
            *w += ((i * 7919) % 13) as f32 / 13.0 - 0.5;
        }
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                run_flows(
                    &rbm,
                    6,
                    &[FlowStart::Random, FlowStart::Up],
                    &options(300, 5),
                    &|| {},
                )
                .unwrap()
            })
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn the_fixed_point_is_the_first_step_of_the_settled_stretch() {
        // 200 chains relaxing exponentially from 1 to 0.5 with noise 0.05:
        // e_t = 0.5 + 0.5·0.5^t + noise, |m| flat.
        let mut rng = rng::root(3);
        let series: Vec<Vec<[f64; 2]>> = (0..60)
            .map(|t| {
                (0..200)
                    .map(|_| {
                        let noise = 0.05 * rng::normal_pair(&mut rng).0;
                        [0.5 + 0.5 * 0.5f64.powi(t) + noise, 0.3]
                    })
                    .collect()
            })
            .collect();
        let fixed = detect_fixed_point(&series).unwrap();
        // The drift 0.5^t falls below 3σ ≈ 3·0.05/√200·√2 ≈ 0.015 at t ≈ 5–6.
        assert!((4..=9).contains(&fixed.step), "{fixed:?}");
        assert!(fixed.energy_per_spin.z_score(0.5).abs() < 4.0, "{fixed:?}");
        // Still drifting at the end: no fixed point.
        let drifting: Vec<Vec<[f64; 2]>> = (0..60)
            .map(|t| vec![[t as f64, 0.0], [t as f64 + 0.01, 0.0]])
            .collect();
        assert_eq!(detect_fixed_point(&drifting), None);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let rbm = copier(16, 1.0, VisibleUnits::Spin);
        let up = [FlowStart::Up];
        let err = |r: Result<Vec<Flow>>| r.unwrap_err().to_string();
        assert!(err(run_flows(&rbm, 5, &up, &options(4, 2), &|| {})).contains("L² = 5²"));
        assert!(err(run_flows(&rbm, 4, &[], &options(4, 2), &|| {})).contains("start"));
        assert!(err(run_flows(&rbm, 4, &up, &options(0, 2), &|| {})).contains("chains"));
        assert!(err(run_flows(&rbm, 4, &up, &options(4, 0), &|| {})).contains("steps"));
        let late = FlowOptions {
            save_steps: vec![3],
            ..options(4, 2)
        };
        assert!(err(run_flows(&rbm, 4, &up, &late, &|| {})).contains("save-steps"));
        let few = FlowStart::Configurations {
            name: "f".into(),
            spins: vec![1; 16 * 3],
        };
        assert!(
            err(run_flows(&rbm, 4, &[few], &options(4, 2), &|| {})).contains("3 configurations")
        );
        let zero = FlowStart::Configurations {
            name: "z".into(),
            spins: vec![0; 16 * 4],
        };
        assert!(err(run_flows(&rbm, 4, &[zero], &options(4, 2), &|| {})).contains("±1"));
    }
}
