//! `vrg dbn train | analyze | sample | transform`.

use crate::args::{
    DbnCommand, DbnSampleArgs, DbnTrainArgs, DbnTransformArgs, LayerFlags, LogZChoice, LogZFlags,
};
use crate::config::ExperimentConfig;
use crate::progress;
use crate::rbm::{check_extension, check_writable, fit_units, load_data};
use crate::resume::{self, DataRecord, LogState};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vrg::data::{self, Dataset};
use vrg::dbn::file::{load_dbn, load_dbn_checkpoint, save_dbn_checkpoint, LayerInProgress};
use vrg::dbn::{
    layer_free_energy_on_inputs, Dbn, EpochTrained, GreedyHooks, GreedyStart, LayerFreeEnergy,
    LayerSpec,
};
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{LayerConfig, TrainParams};

pub use crate::resume::JsonLog;

pub fn run(command: DbnCommand) -> Result<()> {
    match command {
        DbnCommand::Train(args) => train(*args).map(|_| ()),
        DbnCommand::Analyze(args) => crate::analyze::analyze(*args).map(|_| ()),
        DbnCommand::Sample(args) => sample(args),
        DbnCommand::Transform(args) => transform(args),
    }
}

/// Parses a list of unit counts such as `1600,400,100,25`.
fn parse_sizes(text: &str) -> Result<Vec<usize>> {
    let sizes: Vec<usize> = text
        .split(',')
        .map(|item| {
            item.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    anyhow::anyhow!("invalid --layers {text:?}: {item:?} is not a unit count ≥ 1")
                })
        })
        .collect::<Result<_>>()?;
    if sizes.len() < 2 {
        bail!("invalid --layers {text:?}: expected the data's units and at least one hidden layer, e.g. 1600,400");
    }
    Ok(sizes)
}

/// Each layer's settings: the command line (`flags`) over the layer's
/// `[[layer]]` table over `[train]`; seeds default to 1, 2, 3, … by layer.
fn layer_settings(
    flags: &LayerFlags,
    config: &ExperimentConfig,
    n_layers: usize,
) -> Result<Vec<LayerConfig>> {
    (0..n_layers)
        .map(|l| {
            let from_file = config
                .layers
                .get(l)
                .cloned()
                .unwrap_or_default()
                .over(&config.train);
            let mut merged = from_file.with_train(&flags.train.layer(l, n_layers)?);
            if let Some(units) = &flags.hidden_units {
                merged.hidden_units = Some(units.layer("hidden-units", l, n_layers)?);
            }
            merged.seed = merged.seed.or(Some(1 + l as u64));
            Ok(merged)
        })
        .collect()
}

/// ln Z settings: flags over the config's `[analysis]` table; `None` for
/// `--logz none`.
pub fn logz_options(
    flags: &LogZFlags,
    config: &ExperimentConfig,
    seed: u64,
) -> Result<Option<LogZOptions>> {
    let choice = match (flags.logz, config.analysis.logz.as_deref()) {
        (Some(choice), _) => choice,
        (None, Some(text)) => text
            .parse::<LogZChoice>()
            .map_err(|e| anyhow::anyhow!("invalid [analysis] logz {e}"))?,
        (None, None) => LogZChoice(Some(LogZMethod::Auto)),
    };
    let Some(method) = choice.0 else {
        return Ok(None);
    };
    let chains = flags.chains.or(config.analysis.chains).unwrap_or(100);
    if chains < 2 {
        bail!("invalid --chains {chains}: expected at least 2 AIS chains");
    }
    let betas = flags.betas.or(config.analysis.betas);
    if let Some(k) = betas {
        vrg::estimate::BetaSchedule::scaled(k)
            .map_err(|e| anyhow::anyhow!("invalid --betas {k}: {e}"))?;
    }
    Ok(Some(LogZOptions {
        method,
        chains,
        betas,
        seed,
        bracket: false,
    }))
}

/// Everything `vrg dbn train` (and `vrg demo`) need to train.
pub struct TrainPlan {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    /// The fraction of the data held out (in `validation`).
    pub validation_fraction: f64,
    pub visible_units: VisibleUnits,
    pub specs: Vec<LayerSpec>,
    pub logz: Option<LogZOptions>,
    pub monitor_rows: usize,
}

/// What a finished training run hands on.
pub struct Trained {
    pub dbn: Dbn,
    pub params: Vec<TrainParams>,
    pub free_energies: Vec<LayerFreeEnergy>,
}

/// Metadata key of the [`PlanRecord`] in a DBN checkpoint.
const PLAN_KEY: &str = "train_plan";
/// Metadata key of the finished layers' free energies.
const FREE_ENERGIES_KEY: &str = "free_energies";

/// ln Z settings as a resume record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LogZRecord {
    method: LogZMethod,
    chains: usize,
    betas: Option<usize>,
    seed: u64,
}

/// What `vrg dbn train` trains, as a resume record (`train_plan`): units
/// per level, unit types, every layer's parameters, ln Z settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct PlanRecord {
    sizes: Vec<usize>,
    visible_units: String,
    hidden_units: Vec<String>,
    params: Vec<TrainParams>,
    logz: Option<LogZRecord>,
}

impl PlanRecord {
    fn of(plan: &TrainPlan) -> Self {
        PlanRecord {
            sizes: std::iter::once(plan.train.n_features)
                .chain(plan.specs.iter().map(|s| s.n_hidden))
                .collect(),
            visible_units: plan.visible_units.name().into(),
            hidden_units: plan
                .specs
                .iter()
                .map(|s| s.hidden_units.name().into())
                .collect(),
            params: plan.specs.iter().map(|s| s.params.clone()).collect(),
            logz: plan.logz.as_ref().map(|o| LogZRecord {
                method: o.method,
                chains: o.chains,
                betas: o.betas,
                seed: o.seed,
            }),
        }
    }

    /// Errors, in one line naming the first flag that differs and both
    /// values, unless `self` is the plan `saved` in `checkpoint`.
    fn check(&self, saved: &PlanRecord, checkpoint: &Path) -> Result<()> {
        let differs = |flag: &str, now: String, then: String| {
            anyhow!(
                "--resume: {flag} {now} differs from the checkpoint {} ({then}); resume with the same flags or train afresh",
                checkpoint.display()
            )
        };
        if self.sizes != saved.sizes {
            let list = |sizes: &[usize]| {
                sizes
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            return Err(differs("--layers", list(&self.sizes), list(&saved.sizes)));
        }
        if self.visible_units != saved.visible_units {
            return Err(differs(
                "--visible-units",
                self.visible_units.clone(),
                saved.visible_units.clone(),
            ));
        }
        for l in 0..self.hidden_units.len() {
            if self.hidden_units[l] != saved.hidden_units[l] {
                return Err(differs(
                    "--hidden-units",
                    format!("{} for layer {}", self.hidden_units[l], l + 1),
                    saved.hidden_units[l].clone(),
                ));
            }
            if let Some(c) = self.params[l].conflicts_with(&saved.params[l]).first() {
                return Err(differs(
                    &format!("--{}", c.flag),
                    format!("{} for layer {}", c.given, l + 1),
                    c.saved.clone(),
                ));
            }
        }
        let method = |r: &Option<LogZRecord>| {
            r.as_ref()
                .map_or_else(|| "none".to_string(), |r| r.method.to_string())
        };
        match (&self.logz, &saved.logz) {
            (Some(now), Some(then)) => {
                if now.method != then.method {
                    return Err(differs("--logz", method(&self.logz), method(&saved.logz)));
                }
                if now.chains != then.chains {
                    return Err(differs(
                        "--chains",
                        now.chains.to_string(),
                        then.chains.to_string(),
                    ));
                }
                if now.betas != then.betas {
                    return Err(differs(
                        "--betas",
                        resume::or_none(now.betas),
                        resume::or_none(then.betas),
                    ));
                }
                if now.seed != then.seed {
                    return Err(differs(
                        "ln Z seed",
                        now.seed.to_string(),
                        then.seed.to_string(),
                    ));
                }
            }
            (None, None) => {}
            _ => return Err(differs("--logz", method(&self.logz), method(&saved.logz))),
        }
        Ok(())
    }
}

/// Where [`train_plan_from`] starts: a checkpoint's finished layers and
/// layer in training, and the finished layers' free energies.
pub struct ResumePoint {
    pub start: GreedyStart,
    pub free_energies: Vec<LayerFreeEnergy>,
}

/// Greedy training of `plan` from the start: [`train_plan_from`] with no
/// data flags recorded (`vrg demo`, whose data it generates itself).
pub fn train_plan(plan: &TrainPlan, out: &Path, log: &mut JsonLog) -> Result<Trained> {
    let record = DataRecord::default().with_data(&plan.train, plan.validation.as_ref());
    train_plan_from(plan, out, log, &record, None)
}

/// Greedy training of `plan`, from `resumed` if given, with a progress bar,
/// lines in `log`, and each layer's free energies (with `plan.logz`)
/// printed as it finishes. After every epoch a checkpoint is written
/// atomically to `out`: the finished layers, the layer in training with its
/// optimiser state, and the resume records (`data`, the plan, the log's
/// state, the free energies so far); after each layer, the stack so far
/// without a layer in training. The file written after the last layer is
/// the finished model.
pub fn train_plan_from(
    plan: &TrainPlan,
    out: &Path,
    log: &mut JsonLog,
    data: &DataRecord,
    resumed: Option<ResumePoint>,
) -> Result<Trained> {
    let (start, free_energies) = match resumed {
        Some(r) => (r.start, r.free_energies),
        None => (GreedyStart::default(), Vec::new()),
    };
    let total: usize = plan.specs.iter().map(|s| s.params.epochs()).sum();
    let done: usize = plan.specs[..start.finished.len()]
        .iter()
        .map(|s| s.params.epochs())
        .sum::<usize>()
        + start.in_progress.as_ref().map_or(0, |(_, s)| s.epochs_done);
    let bar = progress::bar(
        total.saturating_sub(done) as u64,
        &format!("layer {}", start.finished.len() + 1),
    );
    let params: Vec<TrainParams> = plan.specs.iter().map(|s| s.params.clone()).collect();
    let saved: Vec<Option<TrainParams>> = params.iter().cloned().map(Some).collect();
    let plan_json = serde_json::to_string(&PlanRecord::of(plan)).expect("the plan serialises");
    let extra = |state: &LogState, figures: &[LayerFreeEnergy]| -> BTreeMap<String, String> {
        let mut metadata = resume::metadata(data, state);
        metadata.insert(PLAN_KEY.into(), plan_json.clone());
        metadata.insert(
            FREE_ENERGIES_KEY.into(),
            serde_json::to_string(figures).expect("figures serialise"),
        );
        metadata
    };
    let free_energies = std::cell::RefCell::new(free_energies);
    let log = std::cell::RefCell::new(log);
    // Each step: its log line into the log's state, the checkpoint that
    // carries that state, then the line into the file (see crate::resume).
    let mut epoch_done = |done: EpochTrained<'_>| -> vrg::Result<()> {
        bar.set_message(format!("layer {}", done.layer + 1));
        bar.inc(1);
        let mut line = serde_json::to_value(done.metrics).expect("metrics serialise");
        line["layer"] = json!(done.layer);
        let mut log = log.borrow_mut();
        log.push(&line);
        let trainer = done.trainer;
        let training = LayerInProgress {
            rbm: trainer.rbm(),
            params: trainer.params(),
            state: trainer.state(),
        };
        save_dbn_checkpoint(
            out,
            done.finished,
            &saved[..done.finished.len()],
            Some(training),
            &extra(log.state(), &free_energies.borrow()),
        )?;
        log.write_pending()
    };
    let mut layer_done = |done: vrg::dbn::LayerTrained<'_>| -> vrg::Result<()> {
        let mut log = log.borrow_mut();
        if let Some(options) = &plan.logz {
            let rbm = done.stack.last().expect("a layer");
            let spinner = progress::spinner(&format!("layer {}: ln Z", done.layer + 1));
            let mut figures = layer_free_energy_on_inputs(
                rbm,
                done.layer,
                done.train_inputs,
                done.validation_inputs,
                options,
            )?;
            spinner.finish_and_clear();
            if let Some(below) = free_energies.borrow().last() {
                vrg::dbn::free_energy::set_differences(&mut figures, below);
            }
            bar.suspend(|| eprintln!("{}", describe_free_energy(&figures)));
            let mut line = serde_json::to_value(&figures).expect("figures serialise");
            line["event"] = json!("layer_done");
            log.push(&line);
            free_energies.borrow_mut().push(figures);
        }
        save_dbn_checkpoint(
            out,
            done.stack,
            &saved[..done.stack.len()],
            None,
            &extra(log.state(), &free_energies.borrow()),
        )?;
        log.write_pending()
    };
    let mut hooks = GreedyHooks {
        epoch_done: &mut epoch_done,
        layer_done: &mut layer_done,
    };
    let dbn = Dbn::train_greedy_from(
        &plan.train,
        plan.validation.as_ref(),
        plan.visible_units,
        &plan.specs,
        plan.monitor_rows,
        start,
        &mut hooks,
    )
    .map_err(|e| {
        anyhow!(
            "{e} ({} keeps the last checkpoint; continue it with --resume)",
            out.display()
        )
    })?;
    bar.finish_and_clear();
    Ok(Trained {
        dbn,
        params,
        free_energies: free_energies.into_inner(),
    })
}

/// One line on a layer's free energies.
pub fn describe_free_energy(f: &LayerFreeEnergy) -> String {
    let stderr = if f.log_z_method == "exact" {
        String::new()
    } else {
        format!(" ± {:.3}", f.log_z_stderr)
    };
    let delta = f
        .delta_free_energy_per_unit
        .map_or(String::new(), |d| format!(", Δf = {d:+.4}"));
    let validation = f
        .log_likelihood_validation
        .map_or(String::new(), |v| format!(", validation {v:.3}"));
    format!(
        "layer {} ({}×{}): ln Z = {:.3}{stderr} ({}), f = −ln Z/n = {:.4}{delta}; ⟨H(v)⟩ = {:.3}; ln p(v): train {:.3}{validation}",
        f.layer + 1,
        f.n_visible,
        f.n_hidden,
        f.log_z,
        f.log_z_method,
        f.free_energy_per_unit,
        f.mean_free_energy,
        f.log_likelihood,
    )
}

/// Command-line choices that override an experiment file.
#[derive(Default)]
pub struct Overrides<'a> {
    /// Units per level, the data's first.
    pub sizes: Option<Vec<usize>>,
    pub visible_units: Option<VisibleUnits>,
    pub validation_fraction: Option<f64>,
    pub layer_flags: Option<&'a LayerFlags>,
}

/// Builds a [`TrainPlan`] from data already loaded, command-line
/// overrides and the experiment file.
pub fn plan_from(
    mut all: Dataset,
    overrides: Overrides<'_>,
    config: &ExperimentConfig,
    logz: Option<LogZOptions>,
    monitor_rows: usize,
) -> Result<TrainPlan> {
    let Overrides {
        sizes,
        visible_units,
        validation_fraction,
        layer_flags: flags,
    } = overrides;
    let hidden: Vec<usize> = match &sizes {
        Some(sizes) => {
            if sizes[0] != all.n_features {
                bail!(
                    "invalid --layers: the first size {} is the data's units, but the data have {} features per row",
                    sizes[0],
                    all.n_features
                );
            }
            if !config.layers.is_empty() && config.layers.len() != sizes.len() - 1 {
                bail!(
                    "--layers gives {} layers but the config has {} [[layer]] tables",
                    sizes.len() - 1,
                    config.layers.len()
                );
            }
            sizes[1..].to_vec()
        }
        None => {
            if config.layers.is_empty() {
                bail!("no layers: give --layers N0,N1,… or a --config with [[layer]] tables");
            }
            config
                .layers
                .iter()
                .map(|l| l.hidden.expect("checked when parsed"))
                .collect()
        }
    };
    let empty = LayerFlags::default();
    let settings = layer_settings(flags.unwrap_or(&empty), config, hidden.len())?;
    let visible_units = visible_units
        .or(config.data.visible_units)
        .unwrap_or(VisibleUnits::Bernoulli);
    fit_units(&mut all, visible_units)?;
    let fraction = validation_fraction
        .or(config.data.validation_fraction)
        .unwrap_or(0.1);
    if !(0.0..1.0).contains(&fraction) {
        bail!("invalid --validation-fraction {fraction}: expected a fraction in [0, 1)");
    }
    let first_seed = settings[0].seed.expect("seeds are set");
    let (train, held_out) = data::split_validation(&all, fraction, first_seed)?;
    let validation = (held_out.n_rows > 0).then_some(held_out);
    let mut specs = Vec::with_capacity(hidden.len());
    for (l, (n_hidden, s)) in hidden.iter().zip(&settings).enumerate() {
        let in_layer = |e: anyhow::Error| {
            anyhow::anyhow!(
                "layer {}: {}",
                l + 1,
                crate::output::describe(&e, &crate::output::command_line())
            )
        };
        let params = s
            .train()
            .check(train.n_rows)
            .map_err(|e| in_layer(e.into()))?;
        specs.push(LayerSpec {
            n_hidden: *n_hidden,
            hidden_units: s.hidden_units.unwrap_or(HiddenUnits::Bernoulli),
            params,
        });
    }
    if monitor_rows == 0 {
        bail!("invalid --monitor-rows 0: expected at least 1 row");
    }
    if let Some(logz) = &logz {
        let sizes: Vec<usize> = std::iter::once(train.n_features)
            .chain(specs.iter().map(|spec| spec.n_hidden))
            .collect();
        vrg::estimate::choice::check_feasible(logz.method, &sizes, visible_units)?;
    }
    Ok(TrainPlan {
        train,
        validation,
        validation_fraction: fraction,
        visible_units,
        specs,
        logz,
        monitor_rows,
    })
}

/// A checkpoint of `vrg dbn train` read for `--resume`.
struct Checkpoint {
    layers: Vec<vrg::rbm::Rbm>,
    in_progress: Option<(vrg::rbm::Rbm, vrg::train::TrainState)>,
    data: DataRecord,
    plan: PlanRecord,
    log: LogState,
    free_energies: Vec<LayerFreeEnergy>,
}

impl Checkpoint {
    fn read(path: &Path) -> Result<Self> {
        let file = load_dbn_checkpoint(path).context("--resume")?;
        let missing = || {
            anyhow!(
                "--resume: {} holds no resume records (it was not written by this version of `vrg dbn train`); train afresh without --resume",
                path.display()
            )
        };
        let record = |key| resume::record::<serde_json::Value>(&file.metadata, key, path);
        let (Some(data), Some(plan), Some(log), Some(figures)) = (
            record(resume::DATA_KEY)?,
            record(PLAN_KEY)?,
            record(resume::LOG_KEY)?,
            record(FREE_ENERGIES_KEY)?,
        ) else {
            return Err(missing());
        };
        let invalid = |key: &str, e: serde_json::Error| {
            anyhow!(
                "--resume: {}: metadata {key} is not valid ({e})",
                path.display()
            )
        };
        let plan: PlanRecord = serde_json::from_value(plan).map_err(|e| invalid(PLAN_KEY, e))?;
        if plan.params.len() != plan.hidden_units.len() || plan.sizes.len() != plan.params.len() + 1
        {
            return Err(anyhow!(
                "--resume: {}: metadata {PLAN_KEY} does not describe one set of parameters per layer",
                path.display()
            ));
        }
        let in_progress = match file.in_progress {
            Some(rbm_file) => Some((rbm_file.rbm, rbm_file.state.ok_or_else(missing)?)),
            None => None,
        };
        Ok(Checkpoint {
            layers: file.layers,
            in_progress,
            data: serde_json::from_value(data).map_err(|e| invalid(resume::DATA_KEY, e))?,
            plan,
            log: serde_json::from_value(log).map_err(|e| invalid(resume::LOG_KEY, e))?,
            free_energies: serde_json::from_value(figures)
                .map_err(|e| invalid(FREE_ENERGIES_KEY, e))?,
        })
    }
}

fn train(args: DbnTrainArgs) -> Result<PathBuf> {
    check_extension(&args.out, "safetensors")?;
    let config = ExperimentConfig::read_if_given(args.config.as_deref())?;
    let sizes = args.layers.as_deref().map(parse_sizes).transpose()?;
    let logz = logz_options(&args.logz.as_analysis(), &config, 1)?;
    let binarize = args.data.binarize()?;
    vrg::io::PathPlan::new()
        .input("--data", &args.data.data)
        .input_if("--config", args.config.as_deref())
        .output("--out", &args.out)
        .output_if("--log", args.log.as_deref())
        .check()?;
    check_writable(&args.out).context("invalid --out")?;
    if let Some(log) = &args.log {
        check_writable(log).context("invalid --log")?;
    }
    // The data flags known before the data are read; checked against a
    // checkpoint at once, and again with the rest after planning.
    let flags = DataRecord::default()
        .path("--data", Some(&args.data.data))
        .value("--binarize", resume::binarize_text(binarize))
        .value("--scale", resume::or_none(args.data.scale.as_deref()))
        .value("--limit", resume::or_none(args.data.limit))
        .value("--monitor-rows", args.monitor_rows);
    let checkpoint = if args.resume {
        let checkpoint = Checkpoint::read(&args.out)?;
        flags.check_flags(&checkpoint.data, &args.out)?;
        Some(checkpoint)
    } else {
        None
    };
    let all = load_data(&args.data.data, &args.data, args.data.limit, binarize)?;
    let overrides = Overrides {
        sizes,
        visible_units: args.visible_units,
        validation_fraction: args.validation_fraction,
        layer_flags: Some(&args.layer),
    };
    let plan = plan_from(all, overrides, &config, logz, args.monitor_rows)?;
    let record = flags
        .value("--validation-fraction", plan.validation_fraction)
        .with_data(&plan.train, plan.validation.as_ref());
    let started = std::time::Instant::now();
    let trained = match checkpoint {
        None => {
            let mut log = JsonLog::create(args.log.as_deref())?;
            train_plan_from(&plan, &args.out, &mut log, &record, None)?
        }
        Some(checkpoint) => {
            // Every check before anything is written.
            record.check_flags(&checkpoint.data, &args.out)?;
            PlanRecord::of(&plan).check(&checkpoint.plan, &args.out)?;
            record.check_data(&checkpoint.data, &args.out)?;
            let log_state = match args.log.as_deref() {
                Some(path) => {
                    let fix = resume::plan_log_fix(path, &checkpoint.log, &args.out)?;
                    resume::apply_log_fix(path, fix, &checkpoint.log)?
                }
                None => checkpoint.log.clone(),
            };
            let n_layers = plan.specs.len();
            let finished = checkpoint.layers.len();
            if finished == n_layers {
                eprintln!(
                    "{} holds all {n_layers} trained layers already: nothing to train",
                    args.out.display()
                );
                return Ok(args.out);
            }
            let at = checkpoint
                .in_progress
                .as_ref()
                .map_or(0, |(_, s)| s.epochs_done);
            eprintln!(
                "resuming {}: {finished} of {n_layers} layers trained, layer {} after epoch {at} of {}",
                args.out.display(),
                finished + 1,
                plan.specs[finished].params.epochs()
            );
            let mut log = JsonLog::resume(args.log.as_deref(), log_state);
            let resumed = ResumePoint {
                start: GreedyStart {
                    finished: checkpoint.layers,
                    in_progress: checkpoint.in_progress,
                },
                free_energies: checkpoint.free_energies,
            };
            train_plan_from(&plan, &args.out, &mut log, &record, Some(resumed))?
        }
    };
    eprintln!(
        "wrote {}: DBN {} ({} layers) in {:.1} s",
        args.out.display(),
        join_sizes(&trained.dbn.sizes()),
        trained.dbn.layers().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(args.out)
}

pub fn join_sizes(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

fn sample(args: DbnSampleArgs) -> Result<()> {
    if args.samples == 0 {
        bail!("invalid --samples 0: expected at least 1 sample");
    }
    if args.gibbs_steps == 0 {
        bail!("invalid --gibbs-steps 0: expected at least 1 step");
    }
    check_extension(&args.out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .output("--out", &args.out)
        .check()?;
    let dbn = load_dbn(&args.model)?.dbn;
    check_writable(&args.out).context("invalid --out")?;
    let bar = progress::bar(args.gibbs_steps as u64, "Gibbs steps");
    let samples = dbn.generate(args.samples, args.gibbs_steps, args.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let nv = dbn.sizes()[0];
    let units = dbn.layers()[0].visible_units();
    let dtype = crate::rbm::write_samples(&args.out, [args.samples, nv], &samples, units)?;
    eprintln!(
        "wrote {}: {} samples of {nv} units from the DBN {} after {} Gibbs steps in its top RBM ({dtype})",
        args.out.display(),
        args.samples,
        join_sizes(&dbn.sizes()),
        args.gibbs_steps
    );
    Ok(())
}

/// Loads the data (the first `limit` rows) for the DBN in `model`, fitted
/// to its data units; errors unless each row has one value per data unit.
pub fn data_for(
    dbn: &Dbn,
    model: &Path,
    flags: &crate::args::RbmDataArgs,
    limit: Option<usize>,
    binarize: Option<vrg::data::Binarize>,
) -> Result<Dataset> {
    let mut data = load_data(&flags.data, flags, limit, binarize)?;
    fit_units(&mut data, dbn.layers()[0].visible_units())?;
    if data.n_features != dbn.sizes()[0] {
        bail!(
            "{} has {} features per row but the DBN {} has {} data units",
            flags.data.display(),
            data.n_features,
            model.display(),
            dbn.sizes()[0]
        );
    }
    Ok(data)
}

fn transform(args: DbnTransformArgs) -> Result<()> {
    check_extension(&args.out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .input("--data", &args.data.data)
        .output("--out", &args.out)
        .check()?;
    let dbn = load_dbn(&args.model)?.dbn;
    let top = dbn.layers().len();
    let level = args.level.unwrap_or(top);
    if level == 0 || level > top {
        bail!("invalid --level {level}: expected 1 (the first hidden layer) to {top} (the top)");
    }
    let data = data_for(
        &dbn,
        &args.model,
        &args.data,
        args.data.limit,
        args.data.binarize()?,
    )?;
    check_writable(&args.out).context("invalid --out")?;
    let shape = [data.n_rows, dbn.sizes()[level]];
    if args.sample {
        let mut rng = vrg::rng::family(args.seed, vrg::rng::families::SAMPLING);
        let h = dbn.sample_up(&data.values, data.n_rows, level, &mut rng)?;
        let values: Vec<i8> = h.iter().map(|&x| x as i8).collect();
        vrg::io::npy::write_i8(&args.out, &shape, &values)?;
    } else {
        let h = dbn.up(&data.values, data.n_rows, level)?;
        let values: Vec<f64> = h.iter().map(|&x| f64::from(x)).collect();
        vrg::io::npy::write_f64(&args.out, &shape, &values)?;
    }
    eprintln!(
        "wrote {}: {} of level {level} for {} rows, shape ({}, {})",
        args.out.display(),
        if args.sample {
            "samples"
        } else {
            "mean activations"
        },
        data.n_rows,
        shape[0],
        shape[1]
    );
    Ok(())
}
