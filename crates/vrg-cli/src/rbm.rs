//! `vrg rbm …`: training, sampling, transforming data, free energies and
//! weight images of restricted Boltzmann machines.

use crate::args::{
    RbmCommand, RbmDataArgs, RbmEvalArgs, RbmFiltersArgs, RbmFreeEnergyArgs, RbmSampleArgs,
    RbmTrainArgs, RbmTransformArgs,
};
use crate::output;
use crate::progress;
use crate::resume::{self, DataRecord, JsonLog, LogState};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use vrg::data::{self, Binarize, Dataset, LoadOptions, UnitMapping};
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::io::safetensors::read_metadata;
use vrg::rbm::file::{load_rbm, save_rbm_with_metadata};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{
    fit, initial_rbm, EpochRecord, FitHooks, FitOptions, Monitor, TrainParams, Trainer,
};

/// Rows per call when transforming data or computing free energies, so
/// memory stays bounded for large data sets.
const ROWS_PER_BLOCK: usize = 4096;

/// The most values (rows × units) `sample` holds in one array.
const MAX_SAMPLE_VALUES: usize = 1 << 31;

pub fn run(command: RbmCommand) -> Result<()> {
    match command {
        RbmCommand::Train(args) => train(*args),
        RbmCommand::Sample(args) => sample(args),
        RbmCommand::Transform(args) => transform(args),
        RbmCommand::FreeEnergy(args) => free_energy(args),
        RbmCommand::Eval(args) => eval(args),
        RbmCommand::Filters(args) => filters(args),
    }
}

// ---------------------------------------------------------------------------
// Flags and data.

/// Parses `--binarize`: `threshold:X` (finite X) or `stochastic:SEED`.
pub(crate) fn parse_binarize(text: &str) -> Result<Binarize> {
    let malformed =
        || anyhow!("invalid --binarize {text}: expected threshold:X or stochastic:SEED");
    match text.split_once(':') {
        Some(("threshold", x)) => match x.trim().parse::<f32>() {
            Ok(x) if x.is_finite() => Ok(Binarize::Threshold(x)),
            _ => Err(malformed()),
        },
        Some(("stochastic", seed)) => seed
            .trim()
            .parse::<u64>()
            .map(Binarize::Stochastic)
            .map_err(|_| malformed()),
        _ => Err(malformed()),
    }
}

/// Parses `--shape HxW` (also `H×W`) for tiles of `n_visible` pixels.
pub fn parse_shape(text: &str, n_visible: usize) -> Result<(usize, usize)> {
    let malformed = || {
        anyhow!(
            "invalid --shape {text}: expected HxW with H·W = {n_visible}, the model's visible units"
        )
    };
    let (h, w) = text.split_once(['x', 'X', '×']).ok_or_else(malformed)?;
    let h: usize = h.trim().parse().map_err(|_| malformed())?;
    let w: usize = w.trim().parse().map_err(|_| malformed())?;
    if h == 0 || w == 0 || h.checked_mul(w) != Some(n_visible) {
        return Err(malformed());
    }
    Ok((h, w))
}

/// The smallest integer c with c² ≥ n.
fn ceil_sqrt(n: usize) -> usize {
    let mut c = (n as f64).sqrt() as usize;
    while c * c < n {
        c += 1;
    }
    while c > 0 && (c - 1) * (c - 1) >= n {
        c -= 1;
    }
    c
}

impl RbmDataArgs {
    /// `--scale` as the float32 the data are divided by, refused (with the
    /// value as given) unless it is finite, non-zero and stays so in float32.
    pub fn scale_f32(&self) -> Result<Option<f32>> {
        let Some(text) = self.scale.as_deref() else {
            return Ok(None);
        };
        let scale: f64 = text
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid --scale {text}: expected a number"))?;
        let narrow = scale as f32;
        if !(scale.is_finite() && narrow.is_finite() && narrow != 0.0) {
            bail!(
                "invalid --scale {text}: expected a finite, non-zero number within float32's range (about 1.2e-38 to 3.4e38 in magnitude)"
            );
        }
        Ok(Some(narrow))
    }

    /// The parsed `--binarize` flag.
    pub fn binarize(&self) -> Result<Option<Binarize>> {
        self.binarize.as_deref().map(parse_binarize).transpose()
    }
}

/// Fails unless `--out` ends in `.extension`.
pub(crate) fn check_extension(path: &Path, extension: &str) -> Result<()> {
    let matches = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !matches {
        bail!(
            "invalid --out {}: expected a path ending in .{extension}",
            path.display()
        );
    }
    Ok(())
}

/// Fails unless `path`'s directory can take a new file and `path` is not a
/// directory. Creating (and dropping) the temporary file proves that; the
/// target itself is not touched.
pub(crate) fn check_writable(path: &Path) -> Result<()> {
    drop(vrg::io::AtomicFile::create(path)?);
    Ok(())
}

/// Loads data with the preprocessing flags (`limit` in place of `--limit`).
pub(crate) fn load_data(
    path: &Path,
    flags: &RbmDataArgs,
    limit: Option<usize>,
    binarize: Option<Binarize>,
) -> Result<Dataset> {
    let options = LoadOptions {
        limit,
        scale: flags.scale_f32()?,
        binarize,
    };
    Ok(data::load(path, &options)?)
}

/// The file `data` came from, or "data".
fn source_name(data: &Dataset) -> String {
    data.source
        .as_deref()
        .map_or_else(|| "data".to_string(), |p| p.display().to_string())
}

/// Fits `data` to the visible units ([`data::fit_units`]), saying on
/// stderr when 0/1 data became ±1 spins or ±1 data became 0/1.
pub(crate) fn fit_units(data: &mut Dataset, units: VisibleUnits) -> Result<()> {
    let note = match data::fit_units(data, units)? {
        None => return Ok(()),
        Some(UnitMapping::BinaryToSpin) => {
            "0/1 values mapped to ±1 spins (s = 2v − 1) for spin visible units"
        }
        Some(UnitMapping::SpinToBinary) => {
            "±1 spins mapped to 0/1 (v = (s + 1)/2) for Bernoulli visible units"
        }
    };
    eprintln!("{}: {note}", source_name(data));
    Ok(())
}

/// Fails unless the data rows have the model's number of visible units.
fn check_features(data: &Dataset, data_path: &Path, rbm: &Rbm, model_path: &Path) -> Result<()> {
    if data.n_features != rbm.n_visible() {
        bail!(
            "{}: rows have {} features but the model {} has {} visible units",
            data_path.display(),
            data.n_features,
            model_path.display(),
            rbm.n_visible()
        );
    }
    Ok(())
}

/// Loads a model file and data for it: preprocessing flags applied, the
/// feature count checked, values fitted to the visible units.
fn model_and_data(model: &Path, flags: &RbmDataArgs) -> Result<(Rbm, Dataset)> {
    let binarize = flags.binarize.as_deref().map(parse_binarize).transpose()?;
    let rbm = load_rbm(model)?.rbm;
    let mut data = load_data(&flags.data, flags, flags.limit, binarize)?;
    check_features(&data, &flags.data, &rbm, model)?;
    fit_units(&mut data, rbm.visible_units())?;
    Ok((rbm, data))
}

// ---------------------------------------------------------------------------
// train

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

fn train(args: RbmTrainArgs) -> Result<()> {
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
    check_extension(&args.out, "safetensors")?;
    vrg::io::PathPlan::new()
        .input("--data", &args.data.data)
        .input_if("--validation", args.validation.as_deref())
        .output("--out", &args.out)
        .output_if("--log", args.log.as_deref())
        .check()?;

    // Outputs: checked now, written only once an epoch has succeeded.
    check_writable(&args.out).context("invalid --out")?;
    if let Some(log) = &args.log {
        check_writable(log).context("invalid --log")?;
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
        (train_set, (held_out.n_rows > 0).then_some(held_out))
    } else {
        (all, None)
    };
    params.check_batch(train_set.n_rows)?;
    let record = flags.with_data(&train_set, validation.as_ref());
    let log;
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
    };
    if let Err(error) = fit(&mut trainer, &train_set, &monitor, &options, &mut hooks) {
        bar.finish_and_clear();
        return Err(epoch_error(error, &args.out, hooks.last_saved));
    }
    bar.finish_and_clear();
    eprintln!("wrote {}", args.out.display());
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
        self.bar.suspend(|| {
            eprintln!(
                "epoch {done}/{total}  F(train) {:.4}  F(held out) {}  gap {}  recon {:.5}  PLL {}{likelihood}  lr {}  momentum {}  {:.2} s",
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

// ---------------------------------------------------------------------------
// sample

/// A Box–Muller standard normal.
/// Writes samples of `units` as `.npy`: int8 for Bernoulli and spin units,
/// float64 for Gaussian ones; returns the dtype's name.
pub(crate) fn write_samples(
    path: &Path,
    shape: [usize; 2],
    samples: &[f32],
    units: VisibleUnits,
) -> Result<&'static str> {
    Ok(match units {
        VisibleUnits::Gaussian => {
            let values: Vec<f64> = samples.iter().map(|&v| f64::from(v)).collect();
            vrg::io::npy::write_f64(path, &shape, &values)?;
            "float64"
        }
        VisibleUnits::Bernoulli | VisibleUnits::Spin => {
            let values: Vec<i8> = samples.iter().map(|&v| v as i8).collect();
            vrg::io::npy::write_i8(path, &shape, &values)?;
            "int8"
        }
    })
}

fn sample(args: RbmSampleArgs) -> Result<()> {
    if args.samples == 0 {
        bail!("invalid --samples 0: expected at least 1 chain");
    }
    if args.gibbs_steps == 0 {
        bail!("invalid --gibbs-steps 0: expected at least 1 step");
    }
    check_extension(&args.out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .output("--out", &args.out)
        .check()?;
    let rbm = load_rbm(&args.model)?.rbm;
    let (n, nv, nh) = (args.samples, rbm.n_visible(), rbm.n_hidden());
    let too_many = |units: usize| {
        n.checked_mul(units)
            .filter(|&v| v <= MAX_SAMPLE_VALUES)
            .is_none()
    };
    if too_many(nv) || too_many(nh) {
        bail!(
            "invalid --samples {n}: {n} chains of {nv} visible and {nh} hidden units exceed {MAX_SAMPLE_VALUES} values; draw fewer per run"
        );
    }
    check_writable(&args.out).context("invalid --out")?;

    let bar = progress::bar(args.gibbs_steps as u64, "Gibbs steps");
    let visible = rbm.sample_chains(n, args.gibbs_steps, args.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let dtype = write_samples(&args.out, [n, nv], &visible, rbm.visible_units())?;
    eprintln!(
        "wrote {}: {n} samples of {nv} {} units after {} Gibbs steps ({dtype})",
        args.out.display(),
        rbm.visible_units(),
        args.gibbs_steps
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// transform, free-energy

fn transform(args: RbmTransformArgs) -> Result<()> {
    check_extension(&args.out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .input("--data", &args.data.data)
        .output("--out", &args.out)
        .check()?;
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    check_writable(&args.out).context("invalid --out")?;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let mut means = Vec::with_capacity(data.n_rows * nh);
    let mut block = vec![0.0f32; ROWS_PER_BLOCK.min(data.n_rows) * nh];
    for rows in data.values.chunks(ROWS_PER_BLOCK * nv) {
        let n = rows.len() / nv;
        rbm.mean_hiddens(rows, n, &mut block[..n * nh])?;
        means.extend(block[..n * nh].iter().map(|&h| f64::from(h)));
    }
    vrg::io::npy::write_f64(&args.out, &[data.n_rows, nh], &means)?;
    eprintln!(
        "wrote {}: hidden means E[h|v] of {} rows, shape ({}, {nh})",
        args.out.display(),
        data.n_rows,
        data.n_rows
    );
    Ok(())
}

fn free_energy(args: RbmFreeEnergyArgs) -> Result<()> {
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    let nv = rbm.n_visible();
    let mut energies = Vec::with_capacity(data.n_rows);
    for rows in data.values.chunks(ROWS_PER_BLOCK * nv) {
        energies.extend(rbm.free_energy_visible(rows, rows.len() / nv)?);
    }
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    if args.json {
        return output::print_json(&json!({
            "n_rows": data.n_rows,
            "mean_free_energy": mean,
            "free_energy": energies,
        }));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: mean free energy H(v) = {mean:.6} over {} rows (model {})",
        args.data.data.display(),
        data.n_rows,
        args.model.display()
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// eval

/// ln Z of `rbm` by `method`, as JSON fields: method, log_z, log_z_stderr,
/// ess, and enumerated_layer and states (exact) or log_z_base, chains and
/// betas (AIS, with base-rate biases from the rows `data`; a warning on
/// stderr when the effective sample size is small), and with `bracket` the
/// reverse-AIS upper-side estimate log_z_upper, log_z_upper_stderr and
/// ess_reverse.
pub(crate) fn estimate_log_z(
    rbm: &Rbm,
    method: LogZMethod,
    data: &[f32],
    chains: usize,
    betas: Option<usize>,
    seed: u64,
    bracket: bool,
) -> Result<serde_json::Value> {
    use vrg::estimate::choice;
    let method = match method {
        LogZMethod::Exact => choice::LogZMethod::Exact,
        LogZMethod::Ais => choice::LogZMethod::Ais,
        LogZMethod::Auto => choice::LogZMethod::Auto,
    };
    let options = choice::LogZOptions {
        method,
        chains,
        betas,
        seed,
        bracket,
    };
    let bar = (!choice::uses_enumeration(rbm, method)).then(|| {
        progress::spinner(&format!(
            "AIS: {chains} chains × {} temperatures",
            betas.unwrap_or(vrg::estimate::BetaSchedule::salakhutdinov_murray().steps())
        ))
    });
    let estimate = choice::estimate_log_partition(rbm, data, &options)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(log_z_json(&estimate))
}

/// Warns on stderr that an AIS estimate's effective sample size is small.
fn warn_low_ess(forward: &vrg::estimate::AisEstimate) {
    eprintln!(
        "vrg: warning: AIS effective sample size {:.1} of {} chains is small; ln Z is \
         likely underestimated (try more temperatures or chains)",
        forward.ess, forward.chains
    );
}

/// The JSON fields of an ln Z estimate (see [`estimate_log_z`]), with a
/// warning on stderr when an AIS effective sample size is small.
pub(crate) fn log_z_json(estimate: &vrg::estimate::LogZ) -> serde_json::Value {
    use vrg::estimate::LogZ;
    match estimate {
        LogZ::Exact(result) => json!({
            "method": "exact",
            "log_z": result.log_z,
            "log_z_stderr": 0.0,
            "ess": null,
            "enumerated_layer": result.enumerated.name(),
            "states": result.states,
        }),
        LogZ::Ais {
            forward,
            reverse,
            betas,
        } => {
            if forward.low_ess {
                warn_low_ess(forward);
            }
            let mut report = json!({
                "method": "ais",
                "log_z": forward.log_z,
                "log_z_stderr": forward.log_z_stderr,
                "ess": forward.ess,
                "log_z_base": forward.log_z_base,
                "chains": forward.chains,
                "betas": betas,
            });
            if let Some(reverse) = reverse {
                let fields = report.as_object_mut().expect("an object");
                fields.insert("log_z_upper".into(), json!(reverse.log_z));
                fields.insert("log_z_upper_stderr".into(), json!(reverse.log_z_stderr));
                fields.insert("ess_reverse".into(), json!(reverse.ess));
            }
            report
        }
    }
}

fn eval(args: RbmEvalArgs) -> Result<()> {
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    let nv = rbm.n_visible();
    let mut energies = Vec::with_capacity(data.n_rows);
    for rows in data.values.chunks(ROWS_PER_BLOCK * nv) {
        energies.extend(rbm.free_energy_visible(rows, rows.len() / nv)?);
    }
    let avg_free_energy = energies.iter().sum::<f64>() / energies.len() as f64;
    let start = Instant::now();
    let mut report = estimate_log_z(
        &rbm,
        args.logz,
        &data.values,
        args.chains,
        args.betas,
        args.seed,
        true,
    )?;
    let log_z = report["log_z"].as_f64().unwrap_or(f64::NAN);
    let stderr = report["log_z_stderr"].as_f64().unwrap_or(f64::NAN);
    let avg_log_likelihood = -avg_free_energy - log_z;
    let fields = report.as_object_mut().expect("an object");
    fields.insert("avg_log_likelihood".into(), json!(avg_log_likelihood));
    fields.insert("avg_log_likelihood_stderr".into(), json!(stderr));
    fields.insert("avg_free_energy".into(), json!(avg_free_energy));
    fields.insert("n_samples".into(), json!(data.n_rows));
    fields.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
    if args.json {
        return output::print_json(&report);
    }
    let mut out = std::io::stdout().lock();
    let method = report["method"].as_str().unwrap_or("?");
    let upper = report["log_z_upper"]
        .as_f64()
        .map_or_else(String::new, |u| {
            format!(
                " (reverse AIS: {u:.4} ± {:.4})",
                report["log_z_upper_stderr"].as_f64().unwrap_or(f64::NAN)
            )
        });
    writeln!(
        out,
        "{}: ln Z = {log_z:.4} ± {stderr:.4} ({method}){upper}; average log-likelihood \
         {avg_log_likelihood:.4} ± {stderr:.4} nats over {} rows (mean free energy {avg_free_energy:.4})",
        args.model.display(),
        data.n_rows,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// filters

/// Lays out the columns of W (one per hidden unit) as `tile_h × tile_w`
/// tiles, `columns` per grid row, 1-pixel black gaps; each tile is scaled
/// by its own max |w| to grey = 128 + 127·w/max|w|. Returns
/// (height, width, pixels).
pub fn filter_image(
    rbm: &Rbm,
    (tile_h, tile_w): (usize, usize),
    columns: usize,
) -> (usize, usize, Vec<u8>) {
    let nh = rbm.n_hidden();
    let weights = rbm.weights();
    crate::figures::tile_grid(
        nh,
        (tile_h, tile_w),
        columns,
        crate::figures::Scale::SymmetricPerTile,
        |j, i| f64::from(weights[i * nh + j]),
    )
}

fn filters(args: RbmFiltersArgs) -> Result<()> {
    check_extension(&args.out, "png")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .output("--out", &args.out)
        .check()?;
    if args.columns == Some(0) {
        bail!("invalid --columns 0: expected at least 1 tile per row");
    }
    let rbm = load_rbm(&args.model)?.rbm;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let shape = match &args.shape {
        Some(text) => parse_shape(text, nv)?,
        None => {
            let side = ceil_sqrt(nv);
            if side * side != nv {
                bail!(
                    "{} has {nv} visible units, not a perfect square: give the tile shape with --shape HxW",
                    args.model.display()
                );
            }
            (side, side)
        }
    };
    let columns = args.columns.unwrap_or_else(|| ceil_sqrt(nh)).min(nh);
    let grid_rows = nh.div_ceil(columns);
    let pixels_needed = (columns * (shape.1 + 1))
        .checked_mul(grid_rows * (shape.0 + 1))
        .filter(|&p| p <= 1 << 31);
    if pixels_needed.is_none() {
        bail!(
            "the filter image of {nh} tiles of {}x{} would exceed 2^31 pixels",
            shape.0,
            shape.1
        );
    }
    check_writable(&args.out).context("invalid --out")?;
    let (height, width, pixels) = filter_image(&rbm, shape, columns);
    vrg::io::image::write_grey_png(&args.out, height, width, &pixels)?;
    eprintln!(
        "wrote {}: {nh} filters of {}x{} in {grid_rows} rows × {columns} columns ({height}×{width} pixels)",
        args.out.display(),
        shape.0,
        shape.1
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn binarize_syntax() {
        assert_eq!(
            parse_binarize("threshold:0.5").unwrap(),
            Binarize::Threshold(0.5)
        );
        assert_eq!(
            parse_binarize("stochastic:7").unwrap(),
            Binarize::Stochastic(7)
        );
        for bad in [
            "",
            "foo:1",
            "threshold",
            "threshold:",
            "threshold:nan",
            "threshold:inf",
            "stochastic:-1",
            "stochastic:x",
            "Threshold:0.5",
        ] {
            let e = parse_binarize(bad).unwrap_err().to_string();
            assert!(
                e.contains("expected threshold:X or stochastic:SEED"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn shape_syntax_and_grid_sizes() {
        assert_eq!(parse_shape("8x4", 32).unwrap(), (8, 4));
        assert_eq!(parse_shape("8×4", 32).unwrap(), (8, 4));
        for bad in ["8x5", "8", "0x0", "x4", "ax4"] {
            assert!(parse_shape(bad, 32).is_err(), "{bad:?}");
        }
        for (n, c) in [(1, 1), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (500, 23)] {
            assert_eq!(ceil_sqrt(n), c, "{n}");
        }
    }

    #[test]
    fn filter_tiles_are_columns_of_w_scaled_per_tile() {
        // 4 visible (2×2 tiles), 3 hidden: W_ij = (i + 1)·(j + 1)·(−1)^i.
        let weights: Vec<f32> = (0..4)
            .flat_map(|i| {
                (0..3)
                    .map(move |j| ((i + 1) * (j + 1)) as f32 * if i % 2 == 0 { 1.0 } else { -1.0 })
            })
            .collect();
        let rbm = Rbm::from_parameters(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            weights,
            vec![0.0; 4],
            vec![0.0; 3],
        )
        .unwrap();
        let (h, w, pixels) = filter_image(&rbm, (2, 2), 2);
        assert_eq!((h, w), (5, 5));
        // Tile 0 (top left): column 0 = [1, −2, 3, −4], max 4.
        let grey = |w: f64| (128.0 + 127.0 * w / 4.0).round() as u8;
        assert_eq!(pixels[0], grey(1.0));
        assert_eq!(pixels[1], grey(-2.0));
        assert_eq!(pixels[5], grey(3.0));
        assert_eq!(pixels[6], 1);
        // Gaps and the empty fourth cell are black; tile 1 starts at column 3.
        assert_eq!(pixels[2], 0);
        assert_eq!(pixels[2 * 5], 0);
        assert_eq!(pixels[3], grey(1.0));
        assert_eq!(pixels[3 * 5 + 3], 0);
        // Tile 2 (bottom left) has the same pattern: every tile is scaled alone.
        assert_eq!(pixels[3 * 5], grey(1.0));
        assert_eq!(pixels[4 * 5 + 1], 1);
    }

    /// The defaults quoted in `vrg rbm train --help` are the library's.
    #[test]
    fn train_help_quotes_the_library_defaults() {
        let d = vrg::train::TrainConfig::new().check(usize::MAX).unwrap();
        let cli = crate::args::Cli::command();
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
