//! Greedy training of a plan, layer by layer, with a checkpoint per epoch,
//! a JSON-lines log, per-layer free energies, and exact resume.

use crate::experiment::dbn_figures::{epochs_by_layer, training};
use crate::experiment::plan::TrainPlan;
use crate::plots::EpochPoint;
use crate::resume::{DataRecord, JsonLog, LogState};
use crate::{progress, resume};
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vrg::dbn::file::{load_dbn_checkpoint, save_dbn_checkpoint, LayerInProgress};
use vrg::dbn::{
    layer_free_energy_on_inputs, Dbn, EpochTrained, GreedyHooks, GreedyStart, LayerFreeEnergy,
};
use vrg::estimate::LogZMethod;
use vrg::train::TrainParams;

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
pub struct PlanRecord {
    sizes: Vec<usize>,
    visible_units: String,
    hidden_units: Vec<String>,
    params: Vec<TrainParams>,
    logz: Option<LogZRecord>,
}

impl PlanRecord {
    pub fn of(plan: &TrainPlan) -> Self {
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
    pub fn check(&self, saved: &PlanRecord, checkpoint: &Path) -> Result<()> {
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
    train_plan_from(plan, out, log, &record, None, None)
}

/// `vrg dbn train --plot`: every layer's training curves, redrawn after
/// every epoch (see [`crate::experiment::dbn_figures::training`]).
pub struct TrainingPlot {
    path: PathBuf,
    /// The epochs drawn, per layer.
    layers: Vec<Vec<EpochPoint>>,
}

impl TrainingPlot {
    /// A figure at `path` starting with no epoch.
    pub fn new(path: &Path) -> Self {
        TrainingPlot {
            path: path.to_path_buf(),
            layers: Vec::new(),
        }
    }

    /// A figure at `path` starting with the epochs of the (reconciled)
    /// training log at `log`; a missing log gives none.
    pub fn resumed(path: &Path, log: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(log) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read --log {} for --plot", log.display()))
            }
        };
        Ok(TrainingPlot {
            path: path.to_path_buf(),
            layers: epochs_by_layer(&text),
        })
    }

    /// Adds the epoch of log line `line` (layer `layer`) and redraws.
    fn add(&mut self, layer: usize, line: &serde_json::Value) -> vrg::Result<()> {
        let point: EpochPoint = serde_json::from_value(line.clone())
            .map_err(|e| vrg::Error::invalid("epoch record", e, "the monitor's values"))?;
        if self.layers.len() <= layer {
            self.layers.resize_with(layer + 1, Vec::new);
        }
        self.layers[layer].push(point);
        let Some(figure) = training(&self.layers) else {
            return Ok(());
        };
        figure
            .png()
            .and_then(|png| vrg_plot::write_png(&self.path, &png))
            .map_err(|e| {
                vrg::Error::invalid(
                    "--plot",
                    format!("{} ({e})", self.path.display()),
                    "a figure that can be drawn and written",
                )
            })
    }
}

/// Greedy training of `plan`, from `resumed` if given, with a progress bar,
/// lines in `log`, and each layer's free energies (with `plan.logz`)
/// printed as it finishes. After every epoch a checkpoint is written
/// atomically to `out`: the finished layers, the layer in training with its
/// optimiser state, and the resume records (`data`, the plan, the log's
/// state, the free energies so far); after each layer, the stack so far
/// without a layer in training. The file written after the last layer is
/// the finished model. With `plot`, the training curves are redrawn after
/// the checkpoint and the log line of every epoch.
pub fn train_plan_from(
    plan: &TrainPlan,
    out: &Path,
    log: &mut JsonLog,
    data: &DataRecord,
    resumed: Option<ResumePoint>,
    plot: Option<TrainingPlot>,
) -> Result<Trained> {
    let plot = std::cell::RefCell::new(plot);
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
        log.write_pending()?;
        match plot.borrow_mut().as_mut() {
            Some(plot) => plot.add(done.layer, &line),
            None => Ok(()),
        }
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
    let stderr = if f.log_z_method != "ais" {
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
    let tap = match f.log_z_tap2 {
        Some(t) if f.log_z_method != "tap2" => format!(" [TAP2 {t:.3}]"),
        _ => String::new(),
    };
    format!(
        "layer {} ({}×{}): ln Z = {:.3}{stderr} ({}){tap}, f = −ln Z/n = {:.4}{delta}; ⟨H(v)⟩ = {:.3}; ln p(v): train {:.3}{validation}",
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

/// A checkpoint of `vrg dbn train` read for `--resume`.
pub struct Checkpoint {
    pub layers: Vec<vrg::rbm::Rbm>,
    pub in_progress: Option<(vrg::rbm::Rbm, vrg::train::TrainState)>,
    pub data: DataRecord,
    pub plan: PlanRecord,
    pub log: LogState,
    pub free_energies: Vec<LayerFreeEnergy>,
}

impl Checkpoint {
    pub fn read(path: &Path) -> Result<Self> {
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

pub fn join_sizes(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("-")
}
