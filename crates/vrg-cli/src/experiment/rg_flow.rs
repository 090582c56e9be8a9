//! The RG-flow experiment (`vrg rg flow-experiment`): Ising data at many
//! temperatures, one RBM per run (the main run and its controls) and lattice
//! size, flows v → h → v′ from T₀ = 0 and T₀ = ∞ read by the exact
//! thermometer, and the verdicts of Iso, Shiba & Yokoo (2018) and Veiga &
//! Vicente (2020) checked. The experiment file is `examples/rg-flow.toml`
//! (built in).

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use vrg::data::Dataset;
use vrg::ising::{Algorithm, SamplingPlan};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::rg::flow::{FlowOptions, FlowReading, FlowStart};
use vrg::rng::families;
use vrg::train::{
    fit, initial_rbm, EpochMetrics, EpochRecord, FitOptions, Monitor, TrainConfig, Trainer,
};
use vrg_plot::{LinePlot, Series, SeriesStyle};

/// The built-in experiment file.
pub const RG_FLOW_CONFIG: &str = include_str!("../../../../examples/rg-flow.toml");

/// `[data]`: the Ising configurations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowData {
    /// Temperatures (0 = ground states, inf = independent spins).
    pub temperatures: Vec<f64>,
    /// Configurations per temperature.
    pub samples: usize,
    #[serde(default = "ten")]
    pub sweeps: usize,
    #[serde(default = "thousand")]
    pub burn_in: usize,
    #[serde(default = "one")]
    pub seed: u64,
    #[serde(default = "tenth")]
    pub validation_fraction: f64,
}

/// `[model]`: the RBM of each run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowModel {
    #[serde(default = "bernoulli_visible")]
    pub visible_units: VisibleUnits,
    #[serde(default = "bernoulli_hidden")]
    pub hidden_units: HiddenUnits,
    /// Hidden units per lattice site.
    #[serde(default = "one_f64")]
    pub hidden_per_site: f64,
}

/// `[flow]`: the flows of every run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSettings {
    pub chains: usize,
    pub steps: usize,
    #[serde(default = "up_and_random")]
    pub starts: Vec<String>,
    #[serde(default)]
    pub mean_field: bool,
    #[serde(default = "curve_sweeps")]
    pub curve_sweeps: usize,
    #[serde(default = "one")]
    pub seed: u64,
    /// Epochs after which runs with `flows_along_training` also flow, to
    /// show how the fixed point moves as training goes on.
    #[serde(default)]
    pub along_training_epochs: Vec<usize>,
}

/// `[[run]]`: one RBM per lattice size, trained on a selection of the data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRun {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Only temperatures ≥ this.
    pub min_temperature: Option<f64>,
    /// Only temperatures ≤ this.
    pub max_temperature: Option<f64>,
    /// Exactly these temperatures (they join `[data]`'s if new).
    pub temperatures: Option<Vec<f64>>,
    /// Train on the sites permuted by one fixed random permutation.
    #[serde(default)]
    pub permute: bool,
    /// Flow after each epoch of `[flow] along_training_epochs` too.
    #[serde(default)]
    pub flows_along_training: bool,
    pub sizes: Vec<usize>,
}

/// A whole experiment file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowExperimentConfig {
    pub data: FlowData,
    pub model: FlowModel,
    pub train: TrainConfig,
    pub flow: FlowSettings,
    #[serde(rename = "run")]
    pub runs: Vec<FlowRun>,
}

fn ten() -> usize {
    10
}
fn thousand() -> usize {
    1000
}
fn one() -> u64 {
    1
}
fn one_f64() -> f64 {
    1.0
}
fn tenth() -> f64 {
    0.1
}
fn curve_sweeps() -> usize {
    4000
}
fn bernoulli_visible() -> VisibleUnits {
    VisibleUnits::Bernoulli
}
fn bernoulli_hidden() -> HiddenUnits {
    HiddenUnits::Bernoulli
}
fn up_and_random() -> Vec<String> {
    vec!["up".into(), "random".into()]
}

impl FlowExperimentConfig {
    /// Parses and checks an experiment file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let config: Self = toml::from_str(text)
            .with_context(|| format!("{origin}: not a valid RG-flow experiment file"))?;
        config.check(origin)?;
        Ok(config)
    }

    /// The built-in file, or the one at `path`.
    pub fn read_if_given(path: Option<&Path>) -> Result<Self> {
        match path {
            None => Self::parse(RG_FLOW_CONFIG, "examples/rg-flow.toml (built in)"),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --config {}", path.display()))?;
                Self::parse(&text, &path.display().to_string())
            }
        }
    }

    fn check(&self, origin: &str) -> Result<()> {
        let d = &self.data;
        if d.temperatures.is_empty() {
            bail!("{origin}: [data] temperatures is empty: expected at least one temperature");
        }
        if let Some(t) = d.temperatures.iter().find(|t| t.is_nan() || **t < 0.0) {
            bail!("{origin}: [data] temperature {t}: expected T ≥ 0 (0 = ground states, inf = independent spins)");
        }
        if d.samples == 0 || d.sweeps == 0 {
            bail!(
                "{origin}: [data] samples and sweeps must be at least 1 (found {} and {})",
                d.samples,
                d.sweeps
            );
        }
        if !(d.validation_fraction >= 0.0 && d.validation_fraction < 0.5) {
            bail!(
                "{origin}: [data] validation_fraction {}: expected a fraction in [0, 0.5)",
                d.validation_fraction
            );
        }
        let m = &self.model;
        if !(m.hidden_per_site.is_finite() && m.hidden_per_site > 0.0 && m.hidden_per_site <= 16.0)
        {
            bail!(
                "{origin}: [model] hidden_per_site {}: expected a number in (0, 16]",
                m.hidden_per_site
            );
        }
        if m.visible_units == VisibleUnits::Gaussian {
            bail!("{origin}: [model] visible_units gaussian: a flow moves Ising configurations (bernoulli or spin)");
        }
        let f = &self.flow;
        if f.chains == 0 || f.steps == 0 || f.curve_sweeps == 0 {
            bail!(
                "{origin}: [flow] chains, steps and curve_sweeps must be at least 1 (found {}, {}, {})",
                f.chains, f.steps, f.curve_sweeps
            );
        }
        if f.starts.is_empty() {
            bail!("{origin}: [flow] starts is empty: expected up, random or both");
        }
        if let Some(s) = f.starts.iter().find(|s| *s != "up" && *s != "random") {
            bail!("{origin}: [flow] start {s:?}: expected \"up\" or \"random\"");
        }
        let epochs = self.train.epochs.unwrap_or(10);
        if let Some(e) = f
            .along_training_epochs
            .iter()
            .find(|&&e| e == 0 || e > epochs)
        {
            bail!("{origin}: [flow] along_training_epochs has {e}: expected epochs from 1 to [train] epochs = {epochs}");
        }
        if self.runs.is_empty() {
            bail!("{origin}: no [[run]]: expected at least one run");
        }
        let mut names = std::collections::BTreeSet::new();
        for run in &self.runs {
            let name = &run.name;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!("{origin}: [[run]] name {name:?}: expected letters, digits, - or _ (it names files)");
            }
            if !names.insert(name.clone()) {
                bail!("{origin}: [[run]] name {name:?} appears twice");
            }
            if run.sizes.is_empty() || run.sizes.iter().any(|&l| !(2..=128).contains(&l)) {
                bail!(
                    "{origin}: run {name}: sizes {:?}: expected lattice sides from 2 to 128",
                    run.sizes
                );
            }
            if run.temperatures.is_some()
                && (run.min_temperature.is_some() || run.max_temperature.is_some())
            {
                bail!("{origin}: run {name}: give either temperatures or min/max_temperature, not both");
            }
            if let Some(t) = run
                .temperatures
                .iter()
                .flatten()
                .find(|t| t.is_nan() || **t < 0.0)
            {
                bail!("{origin}: run {name}: temperature {t}: expected T ≥ 0");
            }
            if self.run_temperatures(run).is_empty() {
                bail!("{origin}: run {name}: selects no temperature of [data]");
            }
        }
        Ok(())
    }

    /// The temperatures a run trains on.
    pub fn run_temperatures(&self, run: &FlowRun) -> Vec<f64> {
        match &run.temperatures {
            Some(list) => list.clone(),
            None => self
                .data
                .temperatures
                .iter()
                .copied()
                .filter(|&t| run.min_temperature.is_none_or(|lo| t >= lo))
                .filter(|&t| run.max_temperature.is_none_or(|hi| t <= hi))
                .collect(),
        }
    }
}

/// The files an experiment writes into its directory.
pub fn output_files(config: &FlowExperimentConfig) -> Vec<String> {
    let mut files = vec!["summary.json".to_owned()];
    for run in &config.runs {
        for &l in &run.sizes {
            files.push(format!("flow_{}_L{l}.png", run.name));
            files.push(format!("rbm_{}_L{l}.safetensors", run.name));
            if run.flows_along_training && !config.flow.along_training_epochs.is_empty() {
                files.push(format!("fixed_points_{}_L{l}.png", run.name));
            }
        }
    }
    files
}

/// Data of one lattice size: every temperature any run uses, in one block
/// per temperature.
struct SizeData {
    temperatures: Vec<f64>,
    spins: Vec<i8>,
    per_temperature: usize,
}

impl SizeData {
    /// The rows (as visible-unit values) of the given temperatures.
    fn rows(&self, temperatures: &[f64], n: usize, units: VisibleUnits) -> Vec<f32> {
        let mut out = Vec::new();
        for t in temperatures {
            let k = self
                .temperatures
                .iter()
                .position(|x| x == t)
                .expect("every run temperature was sampled");
            let block =
                &self.spins[k * self.per_temperature * n..(k + 1) * self.per_temperature * n];
            out.extend(block.iter().map(|&s| match units {
                VisibleUnits::Bernoulli => f32::from((s + 1) / 2),
                _ => f32::from(s),
            }));
        }
        out
    }
}

/// The epoch after which the pseudo-log-likelihood stays within 2% of its
/// total change of its final value (the mean of the last five epochs): the
/// epochs the training needed, by the free-energy monitor's likelihood.
fn converged_epoch(metrics: &[EpochMetrics]) -> Option<usize> {
    let pll: Vec<f64> = metrics
        .iter()
        .map(|m| m.pseudo_log_likelihood)
        .collect::<Option<_>>()?;
    let tail = &pll[pll.len().saturating_sub(5)..];
    let last = tail.iter().sum::<f64>() / tail.len() as f64;
    let change = (last - pll[0]).abs().max(1e-12);
    let mut epoch = metrics.len();
    for (m, p) in metrics.iter().zip(&pll).rev() {
        if (p - last).abs() > 0.02 * change {
            break;
        }
        epoch = m.epoch;
    }
    Some(epoch)
}

/// A trained RBM: the model, the monitor's epochs, its hidden units, and
/// the model as it was after each requested epoch.
struct TrainedRun {
    rbm: Rbm,
    metrics: Vec<EpochMetrics>,
    hidden: usize,
    snapshots: Vec<(usize, Rbm)>,
}

/// Trains one RBM on `values` (`rows × n`) with the monitor every epoch;
/// also keeps the RBM as it was after each epoch of `snapshots`.
fn train_rbm(
    config: &FlowExperimentConfig,
    values: Vec<f32>,
    n: usize,
    label: &str,
    snapshots: &[usize],
) -> Result<TrainedRun> {
    let rows = values.len() / n;
    let all = Dataset::new(rows, n, values)?;
    let fraction = config.data.validation_fraction;
    let params = config.train.check(rows)?;
    let (train, validation) = if fraction > 0.0 {
        let (t, v) = vrg::data::split_validation(&all, fraction, params.seed())?;
        (t, Some(v))
    } else {
        (all, None)
    };
    params.check_batch(train.n_rows)?;
    let hidden = ((config.model.hidden_per_site * n as f64).round() as usize).max(1);
    let rbm = initial_rbm(
        &train,
        hidden,
        config.model.visible_units,
        config.model.hidden_units,
        &params,
    )?;
    let monitor = Monitor::new(&train, validation.as_ref(), 2000, 500);
    let mut trainer = Trainer::new(rbm, params);
    let bar = crate::progress::bar(
        trainer.params().epochs() as u64,
        &format!("training {label}"),
    );
    let mut metrics = Vec::new();
    let mut taken = Vec::new();
    fit(
        &mut trainer,
        &train,
        &monitor,
        &FitOptions::default(),
        &mut |t: &Trainer, record: &EpochRecord| {
            metrics.push(record.metrics.clone());
            if snapshots.contains(&record.metrics.epoch) {
                taken.push((record.metrics.epoch, t.rbm().clone()));
            }
            bar.inc(1);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    Ok(TrainedRun {
        rbm: trainer.rbm().clone(),
        metrics,
        hidden,
        snapshots: taken,
    })
}

/// A random permutation of 0..n from family `family` of `seed`.
fn permutation(n: usize, seed: u64, family: usize) -> Vec<usize> {
    let mut rng = vrg::rng::family(seed, family);
    let mut order: Vec<usize> = (0..n).collect();
    vrg::rng::shuffle(&mut order, |bound| {
        vrg::rng::index_unbiased(&mut rng, bound as u64) as usize
    });
    order
}

/// Rows with their sites permuted: v′_i = v_{π(i)}.
fn permute_rows(values: &[f32], n: usize, pi: &[usize]) -> Vec<f32> {
    values
        .chunks_exact(n)
        .flat_map(|row| pi.iter().map(move |&j| row[j]))
        .collect()
}

/// The RBM trained on permuted sites, its visible units put back in
/// lattice order: visible unit π(i) of the result is unit i of `rbm`.
/// Flowing the result on lattice-ordered configurations is exactly
/// flowing `rbm` on permuted ones and un-permuting what comes out.
fn unpermute(rbm: &Rbm, pi: &[usize]) -> Result<Rbm> {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let mut weights = vec![0.0f32; nv * nh];
    let mut bias = vec![0.0f32; nv];
    for (i, &j) in pi.iter().enumerate() {
        weights[j * nh..(j + 1) * nh].copy_from_slice(&rbm.weights()[i * nh..(i + 1) * nh]);
        bias[j] = rbm.visible_bias()[i];
    }
    Ok(Rbm::from_parameters(
        rbm.visible_units(),
        rbm.hidden_units(),
        weights,
        bias,
        rbm.hidden_bias().to_vec(),
    )?)
}

/// The bar's verdicts on one run's fixed points.
fn verdict(run: &str, readings: &[FlowReading]) -> Value {
    let temperature = |r: &FlowReading| {
        r.fixed_point.as_ref().and_then(|f| {
            f.temperatures
                .temperature
                .map(|t| (t, f.temperatures.temperature_err.unwrap_or(f64::NAN)))
        })
    };
    let all = |test: &dyn Fn(f64, f64) -> bool| {
        readings
            .iter()
            .all(|r| temperature(r).is_some_and(|(t, e)| test(t, e)))
    };
    match run {
        "main" => json!({
            "bar": "T* from both starts within [2.0, 2.75] within its error bar",
            "pass": all(&|t, e| t + e >= 2.0 && t - e <= 2.75),
        }),
        "hot" => json!({
            "bar": "control (a): does not come below T = 3",
            "pass": all(&|t, e| t + e >= 3.0),
        }),
        "cold" => json!({
            "bar": "control (b): ends below T = 1.5",
            "pass": all(&|t, e| t - e < 1.5),
        }),
        _ => Value::Null,
    }
}

/// Runs the experiment into `out` (created; files written atomically).
pub fn run_experiment(config: &FlowExperimentConfig, out: &Path) -> Result<Value> {
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create --out {}", out.display()))?;
    let sizes: std::collections::BTreeSet<usize> = config
        .runs
        .iter()
        .flat_map(|r| r.sizes.iter().copied())
        .collect();
    let plan = SamplingPlan {
        samples: config.data.samples,
        sweeps: config.data.sweeps,
        burn_in: config.data.burn_in,
        algorithm: Algorithm::Auto,
    };
    let starts: Vec<FlowStart> = config
        .flow
        .starts
        .iter()
        .map(|s| {
            if s == "up" {
                FlowStart::Up
            } else {
                FlowStart::Random
            }
        })
        .collect();
    let mut entries = Vec::new();
    let mut data_seconds = BTreeMap::new();
    for &side in &sizes {
        let n = side * side;
        // Every temperature a run of this size uses, in first-seen order.
        let mut temperatures: Vec<f64> = Vec::new();
        for run in config.runs.iter().filter(|r| r.sizes.contains(&side)) {
            for t in config.run_temperatures(run) {
                if !temperatures.contains(&t) {
                    temperatures.push(t);
                }
            }
        }
        let data_clock = std::time::Instant::now();
        let spinner = crate::progress::spinner(&format!(
            "Ising data, {side}×{side}: {} temperatures × {} configurations",
            temperatures.len(),
            config.data.samples
        ));
        let spins = vrg::ising::sampling::configurations_at(
            side,
            1.0,
            &temperatures,
            &plan,
            config.data.seed,
            &|_| {},
        )?;
        spinner.finish_and_clear();
        let curve =
            crate::flows::magnetization_curve(side, config.flow.curve_sweeps, config.flow.seed)?;
        data_seconds.insert(side, data_clock.elapsed().as_secs_f64());
        let data = SizeData {
            temperatures,
            spins,
            per_temperature: config.data.samples,
        };
        for run in config.runs.iter().filter(|r| r.sizes.contains(&side)) {
            let label = format!("{} L = {side}", run.name);
            let run_clock = std::time::Instant::now();
            let run_temps = config.run_temperatures(run);
            let mut values = data.rows(&run_temps, n, config.model.visible_units);
            // Rows come one temperature after another: shuffled, so that the
            // monitor's rows and the held-out rows are alike.
            let order = permutation(values.len() / n, config.data.seed, families::ROW_ORDER);
            values = order
                .iter()
                .flat_map(|&r| values[r * n..(r + 1) * n].to_vec())
                .collect();
            let pi = run
                .permute
                .then(|| permutation(n, config.data.seed, families::SITE_PERMUTATION));
            if let Some(pi) = &pi {
                values = permute_rows(&values, n, pi);
            }
            let snapshots: Vec<usize> = if run.flows_along_training {
                config.flow.along_training_epochs.clone()
            } else {
                Vec::new()
            };
            let TrainedRun {
                rbm: trained,
                metrics,
                hidden,
                snapshots: taken,
            } = train_rbm(config, values, n, &label, &snapshots)?;
            let lattice_order = |rbm: Rbm| match &pi {
                Some(pi) => unpermute(&rbm, pi),
                None => Ok(rbm),
            };
            let rbm = lattice_order(trained)?;
            let model_file = out.join(format!("rbm_{}_L{side}.safetensors", run.name));
            vrg::rbm::file::save_rbm(&model_file, &rbm, None, None)?;
            let options = FlowOptions {
                chains: config.flow.chains,
                steps: config.flow.steps,
                mean_field: config.flow.mean_field,
                save_steps: Vec::new(),
                seed: config.flow.seed,
            };
            let (_, readings) = crate::flows::run_and_read(
                &rbm,
                side,
                &starts,
                &options,
                Some(&curve),
                &format!("flows {label}"),
            )?;
            let mut along_training = Vec::new();
            for (epoch, snapshot) in taken {
                let snapshot = lattice_order(snapshot)?;
                let (_, at_epoch) = crate::flows::run_and_read(
                    &snapshot,
                    side,
                    &starts,
                    &options,
                    Some(&curve),
                    &format!("flows {label} after epoch {epoch}"),
                )?;
                along_training.push((epoch, at_epoch));
            }
            along_training.push((metrics.len(), readings.clone()));
            if along_training.len() > 1 {
                let png =
                    along_training_figure(&along_training, &format!("{} (L = {side})", run.name))?;
                vrg_plot::write_png(
                    out.join(format!("fixed_points_{}_L{side}.png", run.name)),
                    &png,
                )?;
                for (epoch, rs) in &along_training {
                    let words: Vec<String> = rs
                        .iter()
                        .map(|r| {
                            match r.fixed_point.as_ref().and_then(|f| {
                                f.temperatures
                                    .temperature
                                    .zip(f.temperatures.temperature_err)
                            }) {
                                Some((t, e)) => format!("{}: T* = {t:.3} ± {e:.3}", r.start),
                                None => format!("{}: —", r.start),
                            }
                        })
                        .collect();
                    println!("  after epoch {epoch:>4}: {}", words.join(", "));
                }
            }
            let png = crate::flows::flow_figure(&readings, &format!("{} (L = {side})", run.name))?;
            vrg_plot::write_png(out.join(format!("flow_{}_L{side}.png", run.name)), &png)?;
            println!("{label}: {}", run.description);
            for r in &readings {
                println!("  {}", crate::flows::describe(r).replace('\n', "\n  "));
            }
            let last = metrics.last().expect("at least one epoch");
            entries.push(json!({
                "run": run.name,
                "description": run.description,
                "lattice": side,
                "temperatures": run_temps.iter().map(|t| if t.is_finite() { json!(t) } else { json!("inf") }).collect::<Vec<_>>(),
                "permuted": run.permute,
                "model": {
                    "file": model_file.file_name().map(|f| f.to_string_lossy().into_owned()),
                    "n_visible": n,
                    "n_hidden": hidden,
                },
                "training": {
                    "rows": data.per_temperature * run_temps.len(),
                    "epochs": metrics.len(),
                    "converged_epoch": converged_epoch(&metrics),
                    "converged_epoch_rule": "first epoch after which the pseudo-log-likelihood stays within 2% of its total change of its final value (mean of the last 5 epochs)",
                    "final": last,
                    "monitor": metrics.iter().map(|m| json!([
                        m.epoch,
                        m.free_energy_train,
                        m.free_energy_validation,
                        m.pseudo_log_likelihood,
                        m.reconstruction_error,
                    ])).collect::<Vec<_>>(),
                    "monitor_columns": ["epoch", "free_energy_train", "free_energy_validation", "pseudo_log_likelihood", "reconstruction_error"],
                },
                "verdict": verdict(&run.name, &readings),
                "fixed_points_along_training": along_training.iter().map(|(epoch, rs)| json!({
                    "epoch": epoch,
                    "fixed_points": rs.iter().map(|r| json!({
                        "start": r.start,
                        "fixed_point": r.fixed_point,
                        "note": r.fixed_point_note,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "flows": readings,
                "seconds": run_clock.elapsed().as_secs_f64(),
            }));
        }
    }
    let seconds = clock.elapsed().as_secs_f64();
    let summary = json!({
        "experiment": "RG flows of configurations (Iso, Shiba & Yokoo 2018; Veiga & Vicente 2020)",
        "critical_temperature": vrg::ising::exact::critical_temperature(1.0),
        "veiga_vicente_fixed_point_magnetization": 0.6507,
        "runs": entries,
        "interpretation": interpretation(&entries),
        "interpretation_rule": format!("near T_c: the fixed point's T (exact energy thermometer) within {NEAR_CRITICAL} + 2σ of T_c"),
        "data_seconds_by_size": data_seconds,
        "seconds": seconds,
        "run": crate::report::run_record(started, seconds),
    });
    crate::output::write_json(&out.join("summary.json"), &summary)?.commit()?;
    Ok(summary)
}

/// The fixed-point temperature of the `start` flow of an entry, with its error.
fn fixed_temperature(entry: &Value, start: &str) -> Option<(f64, f64)> {
    let flow = entry["flows"]
        .as_array()?
        .iter()
        .find(|f| f["start"] == start)?;
    Some((
        flow["fixed_point"]["temperature"].as_f64()?,
        flow["fixed_point"]["temperature_err"].as_f64()?,
    ))
}

/// How far from T_c a fixed point may lie (beyond twice its error bar) and
/// still be called "near T_c" in the interpretation: about 15 %.
pub const NEAR_CRITICAL: f64 = 0.35;

/// A fixed point's temperature from |m| and whether the two thermometers
/// agree there.
fn magnetization_reading(entry: &Value, start: &str) -> Option<(f64, bool)> {
    let flow = entry["flows"]
        .as_array()?
        .iter()
        .find(|f| f["start"] == start)?;
    let fixed = &flow["fixed_point"];
    Some((
        fixed["temperature_from_magnetization"].as_f64()?,
        fixed["thermometers_agree"].as_bool()?,
    ))
}

/// Plain words on what the runs and controls say, from the fixed points:
/// where each run settles, whether the two thermometers agree there, how
/// the main run's fixed point moves with training, and whether the
/// lattice-blind controls settle where the main run does.
fn interpretation(entries: &[Value]) -> Vec<String> {
    let t_c = vrg::ising::exact::critical_temperature(1.0);
    let near = |(t, e): (f64, f64)| (t - t_c).abs() <= NEAR_CRITICAL + 2.0 * e;
    let starts = ["up", "random"];
    let mut lines = Vec::new();
    let find = |run: &str, side: u64| {
        entries
            .iter()
            .find(|e| e["run"] == run && e["lattice"].as_u64() == Some(side))
    };
    for entry in entries {
        let (run, side) = (
            entry["run"].as_str().unwrap_or(""),
            entry["lattice"].as_u64().unwrap_or(0),
        );
        let fixed: Vec<(&str, (f64, f64))> = starts
            .iter()
            .filter_map(|&s| fixed_temperature(entry, s).map(|t| (s, t)))
            .collect();
        if fixed.is_empty() {
            lines.push(format!(
                "{run} (L = {side}): no fixed point with a temperature"
            ));
            continue;
        }
        let temps: Vec<String> = fixed
            .iter()
            .map(|(s, (t, e))| format!("from {s} T* = {t:.2} ± {e:.2}"))
            .collect();
        let all_near = fixed.iter().all(|(_, t)| near(*t));
        let mut line = format!(
            "{run} (L = {side}): {}; {} T_c = {t_c:.3}",
            temps.join(", "),
            if all_near { "near" } else { "away from" }
        );
        let disagree: Vec<String> = starts
            .iter()
            .filter_map(|&s| magnetization_reading(entry, s))
            .filter(|(_, agree)| !agree)
            .map(|(t, _)| format!("{t:.2}"))
            .collect();
        if !disagree.is_empty() {
            line.push_str(&format!(
                ". Its |m| alone reads T = {}: the settled configurations are not equilibrium Ising states at any temperature, and a thermometer that sees only the magnetisation (or a classifier) would misplace them",
                disagree.join(" and ")
            ));
        }
        lines.push(line);
        if let Some(along) = entry["fixed_points_along_training"].as_array() {
            if along.len() > 1 {
                let at = |a: &Value| {
                    a["fixed_points"][0]["fixed_point"]["temperature"]
                        .as_f64()
                        .map(|t| format!("{t:.2} at epoch {}", a["epoch"]))
                };
                if let (Some(first), Some(last)) = (at(&along[0]), at(&along[along.len() - 1])) {
                    lines.push(format!(
                        "{run} (L = {side}): the fixed point from up moves with training, from T* = {first} to {last}: where the flow settles depends on how long the RBM was trained"
                    ));
                }
            }
        }
    }
    let sides: std::collections::BTreeSet<u64> = entries
        .iter()
        .filter_map(|e| e["lattice"].as_u64())
        .collect();
    for side in sides {
        let Some(main) = find("main", side) else {
            continue;
        };
        if let Some(permuted) = find("permuted", side) {
            let shifts: Vec<f64> = starts
                .iter()
                .filter_map(|&s| {
                    Some(fixed_temperature(permuted, s)?.0 - fixed_temperature(main, s)?.0)
                })
                .collect();
            if !shifts.is_empty() {
                let largest = shifts.iter().fold(0.0f64, |m, d| m.max(d.abs()));
                lines.push(if largest <= 0.1 {
                    format!("L = {side}: hiding the lattice from the RBM (sites permuted) moves the fixed point by at most {largest:.2}: the flow's fixed point does not use the lattice's structure")
                } else {
                    format!("L = {side}: hiding the lattice from the RBM (sites permuted) moves the fixed point by up to {largest:.2}: the flow depends on the lattice")
                });
            }
        }
        let main_near = starts
            .iter()
            .filter_map(|&s| fixed_temperature(main, s))
            .all(near);
        if let Some(extremes) = find("extremes", side) {
            let extremes_near = starts
                .iter()
                .filter_map(|&s| fixed_temperature(extremes, s))
                .all(near);
            lines.push(match (main_near, extremes_near) {
                (true, true) => format!("L = {side}: the main run and the RBM trained only on T = 0 and T = ∞ both settle near T_c: flowing to T_c does not by itself show an RG of the lattice (Veiga & Vicente's point)"),
                (true, false) => format!("L = {side}: the main run settles near T_c by the exact thermometer and the T = 0/∞ control does not"),
                (false, _) => format!("L = {side}: the main run does not settle within {NEAR_CRITICAL} of T_c by the exact thermometer"),
            });
        }
    }
    lines
}

/// The fixed-point temperature T* of each start against the training epoch
/// at which the RBM was taken, with T_c across.
fn along_training_figure(along: &[(usize, Vec<FlowReading>)], title: &str) -> Result<Vec<u8>> {
    // Per start: the (epoch, T*) points and their error bars.
    type Points = (Vec<(f64, f64)>, Vec<f64>);
    let mut by_start: BTreeMap<String, Points> = BTreeMap::new();
    let mut last_epoch = 1.0f64;
    for (epoch, readings) in along {
        last_epoch = last_epoch.max(*epoch as f64);
        for r in readings {
            let entry = by_start.entry(r.start.clone()).or_default();
            if let Some((t, e)) = r
                .fixed_point
                .as_ref()
                .and_then(|f| {
                    f.temperatures
                        .temperature
                        .zip(f.temperatures.temperature_err)
                })
                .filter(|(t, e)| t.is_finite() && e.is_finite())
            {
                entry.0.push((*epoch as f64, t));
                entry.1.push(e);
            }
        }
    }
    let mut series: Vec<Series> = by_start
        .into_iter()
        .filter(|(_, (points, _))| !points.is_empty())
        .map(|(start, (points, errors))| Series {
            name: format!("from {start}: T* (Kaufman)"),
            points,
            y_errors: Some(errors),
            style: SeriesStyle::LineAndPoints,
        })
        .collect();
    let t_c = vrg::ising::exact::critical_temperature(1.0);
    series.push(Series {
        name: format!("T_c = {t_c:.4}"),
        points: vec![(0.0, t_c), (last_epoch, t_c)],
        y_errors: None,
        style: SeriesStyle::Line,
    });
    Ok(vrg_plot::line_plot(&LinePlot {
        title: format!("{title}: the flow's fixed point as training goes on"),
        x_label: "training epoch of the RBM".into(),
        y_label: "fixed-point temperature T* (J/k_B)".into(),
        width: 900,
        height: 560,
        series,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary entry whose flows from up and random settle at `t` (error
    /// 0.01), read from |m| as `t_m` (agreeing when `t_m` = `t`).
    fn entry(run: &str, side: u64, t: f64, t_m: f64) -> Value {
        let flow = |start: &str| {
            json!({"start": start, "fixed_point": {
                "temperature": t, "temperature_err": 0.01,
                "temperature_from_magnetization": t_m,
                "thermometers_agree": (t - t_m).abs() < 0.05,
            }})
        };
        json!({"run": run, "lattice": side, "flows": [flow("up"), flow("random")]})
    }

    #[test]
    fn the_interpretation_says_what_the_controls_show() {
        let lines = interpretation(&[
            entry("main", 10, 2.3, 2.3),
            entry("permuted", 10, 2.32, 2.3),
            entry("extremes", 10, 4.9, 2.5),
        ]);
        let text = lines.join("\n");
        assert!(
            text.contains("main (L = 10): from up T* = 2.30 ± 0.01"),
            "{text}"
        );
        assert!(text.contains("near T_c"), "{text}");
        assert!(text.contains("Its |m| alone reads T = 2.50"), "{text}");
        assert!(
            text.contains("does not use the lattice's structure"),
            "{text}"
        );
        assert!(text.contains("the T = 0/∞ control does not"), "{text}");
        let lines = interpretation(&[entry("main", 20, 1.7, 1.7), entry("permuted", 20, 2.2, 2.2)]);
        let text = lines.join("\n");
        assert!(text.contains("away from T_c"), "{text}");
        assert!(text.contains("the flow depends on the lattice"), "{text}");
    }

    #[test]
    fn runs_select_their_temperatures() {
        let config = FlowExperimentConfig::parse(RG_FLOW_CONFIG, "built in").unwrap();
        let by_name = |name: &str| {
            let run = config.runs.iter().find(|r| r.name == name).unwrap();
            config.run_temperatures(run)
        };
        assert_eq!(by_name("main").len(), 25);
        assert_eq!(
            by_name("hot"),
            [4.0, 4.25, 4.5, 4.75, 5.0, 5.25, 5.5, 5.75, 6.0]
        );
        assert_eq!(by_name("cold"), [0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(by_name("extremes"), [0.0, f64::INFINITY]);
    }

    #[test]
    fn unpermuting_restores_the_lattice_order() {
        let pi = permutation(6, 3, families::SITE_PERMUTATION);
        let mut sorted = pi.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        let rows: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let permuted = permute_rows(&rows, 6, &pi);
        // An RBM trained on permuted rows, put back in lattice order, sees
        // each lattice site through the weights its permuted position had.
        let weights: Vec<f32> = (0..6 * 2).map(|v| v as f32).collect();
        let rbm = Rbm::from_parameters(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            weights,
            (0..6).map(|v| v as f32).collect(),
            vec![0.0; 2],
        )
        .unwrap();
        let back = unpermute(&rbm, &pi).unwrap();
        let mut h_permuted = vec![0.0f32; 4];
        let mut h_back = vec![0.0f32; 4];
        rbm.visible_to_hidden_input(&permuted, 2, &mut h_permuted)
            .unwrap();
        back.visible_to_hidden_input(&rows, 2, &mut h_back).unwrap();
        assert_eq!(h_permuted, h_back);
    }
}
