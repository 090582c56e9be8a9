//! `vrg rbm train`: flags and data into [`vrg::train::fit`], with a
//! progress bar, a log line and a checkpoint per epoch, and `--resume`.

use crate::flags::RbmTrainArgs;
use crate::inputs::{check_extension, check_training_paths, fit_units, load_data};
use crate::log_z::warn_low_ess;
use crate::plots::EpochPoint;
use crate::report::rbm::{rbm_training_report, RbmTraining};
use crate::report::run_record;
use crate::resume::{DataRecord, JsonLog, LogState};
use crate::{plots, progress, resume};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use std::path::Path;
use vrg::data;
use vrg::data::Binarize;
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::io::safetensors::read_metadata;
use vrg::rbm::file::{load_rbm, save_rbm_with_metadata};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{
    fit, initial_rbm, EpochRecord, FitHooks, FitOptions, Monitor, TrainParams, Trainer,
};

/// The flags given on a `--resume` command line that disagree with the
/// checkpoint, as `--flag value (checkpoint: saved)`: the model's shape and
/// unit types, then every training parameter but --epochs.
fn resume_conflicts(args: &RbmTrainArgs, saved: &TrainParams, rbm: &Rbm) -> Vec<String> {
    fn check<T: PartialEq + std::fmt::Display>(
        out: &mut Vec<String>,
        flag: &str,
        given: Option<T>,
        saved: T,
    ) {
        if let Some(given) = given {
            if given != saved {
                out.push(format!("--{flag} {given} (checkpoint: {saved})"));
            }
        }
    }
    let mut c = Vec::new();
    check(&mut c, "hidden", args.hidden, rbm.n_hidden());
    check(
        &mut c,
        "visible-units",
        args.visible_units,
        rbm.visible_units(),
    );
    check(
        &mut c,
        "hidden-units",
        args.hidden_units,
        rbm.hidden_units(),
    );
    c.extend(
        args.train
            .conflicts(saved, &["epochs"])
            .iter()
            .map(|conflict| conflict.to_string()),
    );
    c
}

/// Where training starts: a new model, or a checkpoint being resumed.
enum Start {
    Fresh {
        hidden: usize,
        hidden_units: HiddenUnits,
    },
    Resume {
        rbm: Box<Rbm>,
        state: Box<vrg::train::TrainState>,
        /// The checkpoint's data record and log state (absent in
        /// checkpoints of older versions).
        data: Option<DataRecord>,
        log: Option<LogState>,
    },
}

/// The data flags of `vrg rbm train` as a resume record: every flag that
/// changes the rows trained on or what is logged.
fn data_flags(args: &RbmTrainArgs, binarize: Option<Binarize>, fraction: f64) -> DataRecord {
    DataRecord::default()
        .path("--data", Some(&args.data.data))
        .value("--binarize", resume::binarize_text(binarize))
        .value("--scale", resume::or_none(args.data.scale.as_deref()))
        .value("--limit", resume::or_none(args.data.limit))
        .path("--validation", args.validation.as_deref())
        .value("--validation-fraction", fraction)
        .value("--monitor-rows", args.monitor_rows)
        .value("--pll-rows", args.pll_rows)
        .value("--eval-every", resume::or_none(args.eval_every))
        .value("--eval-betas", resume::or_none(args.eval_betas))
}

/// Turns a failed epoch into the error the user reads; a divergence says
/// what happened to the checkpoint.
fn epoch_error(error: vrg::Error, out: &Path, last_saved: Option<usize>) -> anyhow::Error {
    match error {
        vrg::Error::NonFinite { epoch, quantity } => {
            let kept = match last_saved {
                Some(done) => format!("{} keeps the checkpoint after epoch {done}", out.display()),
                None => format!("nothing was written to {}", out.display()),
            };
            anyhow!(
                "training diverged at epoch {epoch}: {quantity} is not finite (lower the learning rate); {kept}"
            )
        }
        other => other.into(),
    }
}

fn optional(value: Option<f64>, precision: usize) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.precision$}"))
}

pub fn run(args: RbmTrainArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let started_at = std::time::SystemTime::now();
    // Flags that need no data.
    let binarize = args.data.binarize()?;
    if let (Some(file), Some(fraction)) = (&args.validation, args.validation_fraction) {
        bail!(
            "--validation {} and --validation-fraction {fraction} both given: expected one of them",
            file.display()
        );
    }
    let fraction = args
        .validation_fraction
        .unwrap_or(if args.validation.is_some() { 0.0 } else { 0.1 });
    if !(0.0..1.0).contains(&fraction) {
        bail!("invalid --validation-fraction {fraction}: expected a fraction in [0, 1)");
    }
    if args.eval_every == Some(0) {
        bail!("invalid --eval-every 0: expected at least 1 epoch");
    }
    if args.monitor_rows == 0 {
        bail!("invalid --monitor-rows 0: expected at least 1 row");
    }
    check_extension("--out", &args.out, "safetensors")?;
    for (flag, path, extension) in [
        ("--plot", &args.plot, "png"),
        ("--report", &args.report, "html"),
    ] {
        if let Some(path) = path {
            check_extension(flag, path, extension)?;
        }
    }
    // Outputs: checked now, written only once an epoch has succeeded.
    check_training_paths(
        &args.data.data,
        ("--validation", args.validation.as_deref()),
        &args.out,
        args.log.as_deref(),
        &[
            ("--plot", args.plot.as_deref()),
            ("--report", args.report.as_deref()),
        ],
    )?;
    if let Some(log) = &args.log {
        if log.is_file() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(log)
                .with_context(|| format!("invalid --log {}", log.display()))?;
        }
    }

    // The model's shape and the parameters: from the flags, or the checkpoint.
    let flags = data_flags(&args, binarize, fraction);
    let (params, visible_units, start) = if args.resume {
        let file = load_rbm(&args.out).context("--resume")?;
        let metadata = read_metadata(&args.out).context("--resume")?;
        let saved_data: Option<DataRecord> =
            resume::record(&metadata, resume::DATA_KEY, &args.out)?;
        let saved_log: Option<LogState> = resume::record(&metadata, resume::LOG_KEY, &args.out)?;
        let (Some(saved), Some(state)) = (file.params, file.state) else {
            bail!(
                "--resume: {} is not a training checkpoint (it holds no training parameters and optimiser state); train without --resume",
                args.out.display()
            );
        };
        let conflicts = resume_conflicts(&args, &saved, &file.rbm);
        if !conflicts.is_empty() {
            bail!(
                "--resume continues {} with its saved parameters, but {}: only --epochs may change (drop those flags, or train afresh without --resume)",
                args.out.display(),
                conflicts.join(", ")
            );
        }
        match &saved_data {
            Some(saved) => flags.check_flags(saved, &args.out)?,
            None => eprintln!(
                "--resume: {} holds no record of its data flags and data (written by an older vrg): the data could not be checked",
                args.out.display()
            ),
        }
        let done = state.epochs_done;
        let epochs = args.train.epochs.unwrap_or(saved.epochs());
        if epochs < done {
            bail!(
                "invalid --epochs {epochs}: {} has already trained {done} epochs; expected at least {done} (more to continue)",
                args.out.display()
            );
        }
        let params = saved.with_epochs(epochs)?;
        let units = file.rbm.visible_units();
        (
            params,
            units,
            Start::Resume {
                rbm: Box::new(file.rbm),
                state: Box::new(state),
                data: saved_data,
                log: saved_log,
            },
        )
    } else {
        let hidden = args.hidden.unwrap_or(0);
        if hidden == 0 {
            bail!("invalid --hidden {hidden}: expected at least 1 hidden unit");
        }
        let visible_units = args.visible_units.unwrap_or(VisibleUnits::Bernoulli);
        let hidden_units = args.hidden_units.unwrap_or(HiddenUnits::Bernoulli);
        // Every range but the batch size's bound, which needs the data.
        let params = args.train.check(usize::MAX)?;
        (
            params,
            visible_units,
            Start::Fresh {
                hidden,
                hidden_units,
            },
        )
    };

    // Data: training rows and held-out rows.
    let mut all = load_data(&args.data.data, &args.data, args.data.limit, binarize)?;
    if let Start::Resume { rbm, .. } = &start {
        if all.n_features != rbm.n_visible() {
            bail!(
                "{}: rows have {} features but the checkpoint {} has {} visible units",
                args.data.data.display(),
                all.n_features,
                args.out.display(),
                rbm.n_visible()
            );
        }
    }
    fit_units(&mut all, visible_units)?;
    let (train_set, validation) = if let Some(file) = &args.validation {
        let mut held_out = load_data(file, &args.data, Some(args.monitor_rows), binarize)?;
        if held_out.n_features != all.n_features {
            bail!(
                "{}: rows have {} features but --data {} has {}",
                file.display(),
                held_out.n_features,
                args.data.data.display(),
                all.n_features
            );
        }
        fit_units(&mut held_out, visible_units)?;
        (all, Some(held_out))
    } else if fraction > 0.0 {
        let n = all.n_rows;
        let held = (fraction * n as f64).round() as usize;
        if held >= n {
            bail!(
                "invalid --validation-fraction {fraction}: it holds out {held} of the {n} rows of {}, leaving none to train on",
                args.data.data.display()
            );
        }
        let (train_set, held_out) = data::split_validation(&all, fraction, params.seed())?;
        // The split holds copies of every row: the whole set goes now.
        drop(all);
        (train_set, (held_out.n_rows > 0).then_some(held_out))
    } else {
        (all, None)
    };
    params.check_batch(train_set.n_rows)?;
    let record = flags.with_data(&train_set, validation.as_ref());
    let log;
    // The epochs before this run's, for --plot and --report.
    let mut earlier = Vec::new();
    let mut trainer = match start {
        Start::Fresh {
            hidden,
            hidden_units,
        } => {
            let rbm = initial_rbm(&train_set, hidden, visible_units, hidden_units, &params)?;
            log = JsonLog::create(args.log.as_deref())?;
            Trainer::new(rbm, params)
        }
        Start::Resume {
            rbm,
            state,
            data,
            log: saved_log,
        } => {
            if let Some(saved) = &data {
                record.check_data(saved, &args.out)?;
            }
            // The log: reconciled with the checkpoint (a refusal comes
            // before anything is written), or for an older checkpoint
            // appended to as it is.
            let log_state = match (saved_log, args.log.as_deref()) {
                (Some(saved), Some(path)) => {
                    let fix = resume::plan_log_fix(path, &saved, &args.out)?;
                    resume::apply_log_fix(path, fix, &saved)?
                }
                (Some(saved), None) => saved,
                (None, path) => resume::adopt_log(path)?,
            };
            log = JsonLog::resume(args.log.as_deref(), log_state);
            let done = state.epochs_done;
            let drawn = args.plot.is_some() || args.report.is_some();
            if let (true, Some(path)) = (drawn, args.log.as_deref()) {
                earlier = earlier_epochs(path, done)?;
            }
            if done == params.epochs() {
                eprintln!(
                    "{} has trained its {done} epochs already: nothing to train",
                    args.out.display()
                );
                return Ok(());
            }
            let trainer = Trainer::resume(*rbm, params, *state)?;
            let p = trainer.params();
            eprintln!(
                "resuming {} after epoch {done} of {} with its saved parameters (method {}, k {}, batch {}, lr {}, seed {})",
                args.out.display(),
                p.epochs(),
                p.method(),
                p.k(),
                p.batch_size(),
                p.learning_rate(),
                p.seed()
            );
            trainer
        }
    };

    let monitor = Monitor::new(
        &train_set,
        validation.as_ref(),
        args.monitor_rows,
        args.pll_rows,
    );
    let total = trainer.params().epochs();
    let first = trainer.epochs_done();
    eprintln!(
        "training {} → {} RBM ({} visible, {} hidden) on {} rows{} for epochs {}–{total}",
        trainer.rbm().visible_units(),
        trainer.rbm().hidden_units(),
        trainer.rbm().n_visible(),
        trainer.rbm().n_hidden(),
        train_set.n_rows,
        validation
            .as_ref()
            .map_or_else(String::new, |v| format!(" ({} held out)", v.n_rows)),
        first + 1
    );
    let bar = progress::bar(
        train_set.n_rows as u64 * (total - first) as u64,
        &format!("epoch {}/{total}", first + 1),
    );
    let options = FitOptions {
        evaluate_every: args.eval_every,
        log_z: LogZOptions {
            method: LogZMethod::Auto,
            chains: 100,
            betas: args.eval_betas,
            seed: trainer.params().seed(),
            bracket: false,
        },
    };
    let mut hooks = TrainHooks {
        bar: &bar,
        inc: Box::new(|rows| bar.inc(rows)),
        log,
        out: &args.out,
        record: &record,
        total,
        last_saved: args.resume.then_some(first),
        plot: args.plot.as_deref(),
        curves: earlier,
        plot_error: None,
    };
    if let Err(error) = fit(&mut trainer, &train_set, &monitor, &options, &mut hooks) {
        bar.finish_and_clear();
        if let Some(message) = hooks.plot_error.take() {
            bail!(message);
        }
        return Err(epoch_error(error, &args.out, hooks.last_saved));
    }
    bar.finish_and_clear();
    eprintln!("wrote {}", args.out.display());
    if let Some(plot) = &args.plot {
        eprintln!("wrote {}", plot.display());
    }
    if let Some(path) = &args.report {
        let params = serde_json::to_value(trainer.params())
            .context("cannot record the training parameters")?;
        let mut run = run_record(started_at, started.elapsed().as_secs_f64());
        run["seeds"] = serde_json::json!({ "training": trainer.params().seed() });
        let report = rbm_training_report(&RbmTraining {
            model: args.out.display().to_string(),
            data: args.data.data.display().to_string(),
            rows: train_set.n_rows,
            held_out: validation.as_ref().map(|v| v.n_rows),
            visible_units: trainer.rbm().visible_units().to_string(),
            hidden_units: trainer.rbm().hidden_units().to_string(),
            n_visible: trainer.rbm().n_visible(),
            n_hidden: trainer.rbm().n_hidden(),
            params,
            epochs: &hooks.curves,
            run,
        })?;
        report.write(path)?;
        eprintln!("report: {}", path.display());
    }
    Ok(())
}

/// What `vrg rbm train` does as epochs finish: the progress bar, the log
/// line, the checkpoint.
struct TrainHooks<'a> {
    bar: &'a ProgressBar,
    inc: Box<dyn Fn(u64) + Sync + 'a>,
    log: JsonLog,
    out: &'a Path,
    record: &'a DataRecord,
    total: usize,
    /// The epochs in the checkpoint at `out`, if one was written.
    last_saved: Option<usize>,
    /// `--plot`, redrawn after every epoch from `curves`.
    plot: Option<&'a Path>,
    /// The epochs drawn: the log's earlier ones, then this run's.
    curves: Vec<EpochPoint>,
    /// Why drawing `plot` stopped the run, if it did.
    plot_error: Option<String>,
}

/// The epochs up to `done` recorded in the training log at `path` (lines that
/// are no epoch record are skipped; a missing log gives none).
fn earlier_epochs(path: &Path, done: usize) -> Result<Vec<EpochPoint>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --log {} for --plot", path.display()))?;
    Ok(text
        .lines()
        .filter_map(EpochPoint::from_log_line)
        .filter(|p| p.epoch <= done)
        .collect())
}

impl FitHooks for TrainHooks<'_> {
    fn progress(&self) -> Option<&(dyn Fn(u64) + Sync)> {
        Some(&*self.inc)
    }

    fn epoch_done(&mut self, trainer: &Trainer, record: &EpochRecord) -> vrg::Result<()> {
        let (done, total) = (trainer.epochs_done(), self.total);
        let line = serde_json::to_value(record)
            .map_err(|e| vrg::Error::invalid("epoch record", e, "a JSON object"))?;
        // The line goes into the checkpoint before the file, so a kill
        // between the two loses nothing (see crate::resume).
        self.log.push(&line);
        save_rbm_with_metadata(
            self.out,
            trainer.rbm(),
            Some(trainer.params()),
            Some(trainer.state()),
            &resume::metadata(self.record, self.log.state()),
        )?;
        self.last_saved = Some(done);
        self.log.write_pending()?;
        self.curves.push(EpochPoint::from(record));
        if let Some(plot) = self.plot {
            vrg_plot::panels(&plots::training_curves(&self.curves), plots::COLUMNS)
                .and_then(|png| vrg_plot::write_png(plot, &png))
                .map_err(|e| {
                    self.plot_error = Some(format!(
                        "cannot write --plot {}: {e}; {} keeps the checkpoint after epoch {done}",
                        plot.display(),
                        self.out.display()
                    ));
                    vrg::Error::invalid(
                        "--plot",
                        plot.display(),
                        "a figure that can be drawn and written",
                    )
                })?;
        }
        let m = &record.metrics;
        let likelihood = record.likelihood.as_ref().map_or_else(String::new, |l| {
            if let vrg::estimate::LogZ::Ais { forward, .. } = &l.estimate {
                if forward.low_ess {
                    self.bar.suspend(|| warn_low_ess(forward));
                }
            }
            format!(
                "  LL(train) {:.3}  LL(held out) {}",
                l.log_likelihood_train,
                optional(l.log_likelihood_validation, 3)
            )
        });
        let sweeps = m
            .tap_sweeps
            .map_or_else(String::new, |s| format!("  TAP sweeps {s:.1}"));
        self.bar.suspend(|| {
            eprintln!(
                "epoch {done}/{total}  F(train) {:.4}  F(held out) {}  gap {}  recon {:.5}  PLL {}{likelihood}  lr {}  momentum {}{sweeps}  {:.2} s",
                m.free_energy_train,
                optional(m.free_energy_validation, 4),
                optional(m.free_energy_gap, 4),
                m.reconstruction_error,
                optional(m.pseudo_log_likelihood, 3),
                m.learning_rate,
                m.momentum,
                m.seconds
            )
        });
        self.bar.set_message(format!(
            "epoch {}/{total} gap {} PLL {}",
            (done + 1).min(total),
            optional(m.free_energy_gap, 3),
            optional(m.pseudo_log_likelihood, 2)
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// The defaults quoted in `vrg rbm train --help` are the library's.
    #[test]
    fn train_help_quotes_the_library_defaults() {
        let d = vrg::train::TrainConfig::new().check(usize::MAX).unwrap();
        let cli = crate::flags::Cli::command();
        let train = cli
            .find_subcommand("rbm")
            .and_then(|c| c.find_subcommand("train"))
            .expect("rbm train");
        let help = |long: &str| {
            train
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .and_then(|a| a.get_help())
                .map(|h| h.to_string())
                .unwrap_or_else(|| panic!("--{long} has no help"))
        };
        let cases = [
            ("method", d.method().to_string()),
            ("k", d.k().to_string()),
            ("epochs", d.epochs().to_string()),
            ("batch", d.batch_size().to_string()),
            ("lr", d.learning_rate().to_string()),
            ("momentum", d.momentum().to_string()),
            ("initial-momentum", d.initial_momentum().to_string()),
            (
                "momentum-switch-epoch",
                d.momentum_switch_epoch().to_string(),
            ),
            ("l2", d.l2().to_string()),
            ("l1", d.l1().to_string()),
            ("sparsity-cost", d.sparsity_cost().to_string()),
            ("sparsity-decay", d.sparsity_decay().to_string()),
            ("dropout", d.dropout().to_string()),
            ("init-std", d.init_std().to_string()),
            ("seed", d.seed().to_string()),
        ];
        for (flag, value) in cases {
            let text = help(flag);
            assert!(
                text.contains(&format!("[default: {value}]"))
                    || text.contains(&format!("[default: {value};")),
                "--{flag}: {text:?} does not quote the default {value}"
            );
        }
        assert!(d.learning_rate_final().is_none() && help("lr-final").contains("[default: none"));
        assert!(d.sparsity_target().is_none() && help("sparsity").contains("[default: none"));
        assert!(
            d.persistent_chains().is_none() && help("chains").contains("[default: the batch size]")
        );
    }
}
