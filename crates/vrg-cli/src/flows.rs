//! RG flows of configurations, shared by `vrg rg flow` and `vrg rg
//! flow-experiment`: starts from flags, the run with a progress bar, both
//! thermometers, the saved configurations and the figure.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use vrg::ising::thermometer::{EnergyThermometer, MagnetizationCurve};
use vrg::ising::{Algorithm, SamplingPlan};
use vrg::rbm::Rbm;
use vrg::rg::flow::{read_flow, run_flows, Flow, FlowOptions, FlowReading, FlowStart};
use vrg_plot::{LinePlot, Series, SeriesStyle};

/// A start as named on the command line: `up`, `random` or a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub enum StartSpec {
    Up,
    Random,
    File(PathBuf),
}

impl StartSpec {
    /// The name used in reports and file names: `up`, `random`, or the
    /// file's stem.
    pub fn name(&self) -> String {
        match self {
            StartSpec::Up => "up".into(),
            StartSpec::Random => "random".into(),
            StartSpec::File(path) => path
                .file_stem()
                .map_or("file".into(), |s| s.to_string_lossy().into_owned()),
        }
    }
}

/// Parses `--starts up,random,FILE.npy`: at least one, no name twice.
pub fn parse_starts(text: &str) -> Result<Vec<StartSpec>> {
    let mut starts: Vec<StartSpec> = Vec::new();
    for word in text.split(',').map(str::trim) {
        let start = match word {
            "up" => StartSpec::Up,
            "random" => StartSpec::Random,
            "" => bail!("invalid --starts {text:?}: an empty start (expected up, random or FILE.npy, comma-separated)"),
            path if path.ends_with(".npy") || Path::new(path).is_file() => {
                StartSpec::File(PathBuf::from(path))
            }
            other => bail!(
                "invalid --starts {text:?}: unknown start {other:?} (expected up, random or a .npy file of configurations)"
            ),
        };
        if let Some(name) = starts
            .iter()
            .map(StartSpec::name)
            .find(|n| *n == start.name())
        {
            bail!("invalid --starts {text:?}: the start {name:?} is named twice");
        }
        starts.push(start);
    }
    Ok(starts)
}

/// The file `DIR/start_<name>_step_<k>.npy` of a saved step.
pub fn saved_file(dir: &Path, start: &str, step: usize) -> PathBuf {
    dir.join(format!("start_{start}_step_{step}.npy"))
}

/// Loads the starts (files read as ±1 configurations of an L×L lattice with
/// L = `side`).
pub fn load_starts(specs: &[StartSpec], side: usize) -> Result<Vec<FlowStart>> {
    specs
        .iter()
        .map(|spec| {
            Ok(match spec {
                StartSpec::Up => FlowStart::Up,
                StartSpec::Random => FlowStart::Random,
                StartSpec::File(path) => {
                    let configurations = vrg::ising::configurations::read(path, None)?;
                    if configurations.size != side {
                        bail!(
                            "--starts {}: configurations of a {size}×{size} lattice, but the model's visible units are a {side}×{side} lattice",
                            path.display(),
                            size = configurations.size
                        );
                    }
                    FlowStart::Configurations {
                        name: spec.name(),
                        spins: configurations.spins,
                    }
                }
            })
        })
        .collect()
}

/// The |m|(T) curve of the second thermometer: `sweeps` measurements per
/// temperature of [`MagnetizationCurve::default_temperatures`] after 1000
/// sweeps of burn-in.
pub fn magnetization_curve(side: usize, sweeps: usize, seed: u64) -> Result<MagnetizationCurve> {
    let plan = SamplingPlan {
        samples: sweeps,
        sweeps: 1,
        burn_in: 1000,
        algorithm: Algorithm::Auto,
    };
    let spinner = crate::progress::spinner(&format!(
        "Monte Carlo |m|(T) of the {side}×{side} lattice (second thermometer)"
    ));
    let curve = MagnetizationCurve::sample(
        side,
        1.0,
        &MagnetizationCurve::default_temperatures(),
        &plan,
        seed,
    )?;
    spinner.finish_and_clear();
    Ok(curve)
}

/// Runs the flows with a progress bar and reads them with both thermometers.
pub fn run_and_read(
    rbm: &Rbm,
    side: usize,
    starts: &[FlowStart],
    options: &FlowOptions,
    curve: Option<&MagnetizationCurve>,
    what: &str,
) -> Result<(Vec<Flow>, Vec<FlowReading>)> {
    let bar = crate::progress::bar(options.steps as u64, what);
    let flows = run_flows(rbm, side, starts, options, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let thermometer = EnergyThermometer::new(side, 1.0)?;
    let readings = flows
        .iter()
        .map(|f| read_flow(f, &thermometer, curve))
        .collect();
    Ok((flows, readings))
}

/// Writes each flow's saved steps as `start_<name>_step_<k>.npy` (±1 int8,
/// shape (chains, L, L)) into `dir`.
pub fn write_saved(dir: &Path, flows: &[Flow], side: usize) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for flow in flows {
        for (step, spins) in &flow.saved {
            let path = saved_file(dir, &flow.start, *step);
            vrg::io::npy::write_i8(&path, &[flow.chains, side, side], spins)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// One line per flow: where it starts, where it settles.
pub fn describe(reading: &FlowReading) -> String {
    let t = |v: Option<f64>, e: Option<f64>| match (v, e) {
        (Some(v), Some(e)) => format!("{v:.3} ± {e:.3}"),
        (Some(v), None) => format!("{v:.3}"),
        _ => "—".into(),
    };
    let first = &reading.steps[0];
    let last = reading.steps.last().expect("step 0 at least");
    let mut line = format!(
        "start {:<8} step 0: T = {}, |m| = {:.3};  step {}: T = {} (from |m|: {}), |m| = {:.3} ± {:.3}",
        reading.start,
        t(first.temperatures.temperature, first.temperatures.temperature_err),
        first.abs_magnetization,
        last.step,
        t(last.temperatures.temperature, last.temperatures.temperature_err),
        t(
            last.temperatures.temperature_from_magnetization,
            last.temperatures.temperature_from_magnetization_err
        ),
        last.abs_magnetization,
        last.abs_magnetization_err,
    );
    match &reading.fixed_point {
        Some(f) => line.push_str(&format!(
            "\n  fixed point from step {}: T* = {} (from |m|: {}{}), m* = {:.4} ± {:.4}",
            f.step,
            t(f.temperatures.temperature, f.temperatures.temperature_err),
            t(
                f.temperatures.temperature_from_magnetization,
                f.temperatures.temperature_from_magnetization_err
            ),
            match f.temperatures.thermometers_agree {
                Some(false) => "; the thermometers disagree",
                _ => "",
            },
            f.abs_magnetization,
            f.abs_magnetization_err
        )),
        None => line.push_str(&format!(
            "\n  no fixed point: {}",
            reading.fixed_point_note.as_deref().unwrap_or("")
        )),
    }
    line
}

/// T(step) from both thermometers and |m|(step), one series per start and
/// thermometer, with error bars; T_c drawn as a line across.
pub fn flow_figure(readings: &[FlowReading], title: &str) -> Result<Vec<u8>> {
    let mut temperature = Vec::new();
    let mut magnetization = Vec::new();
    let mut last_step = 0;
    for r in readings {
        last_step = last_step.max(r.steps.last().map_or(0, |s| s.step));
        let mut from_energy = (Vec::new(), Vec::new());
        let mut from_m = (Vec::new(), Vec::new());
        for s in &r.steps {
            if let (Some(t), Some(e)) = (s.temperatures.temperature, s.temperatures.temperature_err)
            {
                if t.is_finite() && e.is_finite() {
                    from_energy.0.push((s.step as f64, t));
                    from_energy.1.push(e);
                }
            }
            if let (Some(t), Some(e)) = (
                s.temperatures.temperature_from_magnetization,
                s.temperatures.temperature_from_magnetization_err,
            ) {
                if t.is_finite() && e.is_finite() {
                    from_m.0.push((s.step as f64, t));
                    from_m.1.push(e);
                }
            }
        }
        for (series, label, style) in [
            (
                from_energy,
                "T from e (Kaufman)",
                SeriesStyle::LineAndPoints,
            ),
            (from_m, "T from |m| (Monte Carlo)", SeriesStyle::Points),
        ] {
            if !series.0.is_empty() {
                temperature.push(Series {
                    name: format!("{}: {label}", r.start),
                    points: series.0,
                    y_errors: Some(series.1),
                    style,
                });
            }
        }
        magnetization.push(Series {
            name: r.start.clone(),
            points: r
                .steps
                .iter()
                .map(|s| (s.step as f64, s.abs_magnetization))
                .collect(),
            y_errors: Some(r.steps.iter().map(|s| s.abs_magnetization_err).collect()),
            style: SeriesStyle::LineAndPoints,
        });
    }
    let t_c = vrg::ising::exact::critical_temperature(1.0);
    temperature.push(Series {
        name: format!("T_c = {t_c:.4} (Onsager)"),
        points: vec![(0.0, t_c), (last_step.max(1) as f64, t_c)],
        y_errors: None,
        style: SeriesStyle::Line,
    });
    let plots = [
        LinePlot {
            title: format!("{title}: temperature along the flow"),
            x_label: "step v → h → v′".into(),
            y_label: "temperature T (J/k_B)".into(),
            width: 900,
            height: 560,
            series: temperature,
        },
        LinePlot {
            title: format!("{title}: |m| along the flow"),
            x_label: "step v → h → v′".into(),
            y_label: "⟨|m|⟩".into(),
            width: 900,
            height: 560,
            series: magnetization,
        },
    ];
    Ok(vrg_plot::panels(&plots, 2)?)
}
