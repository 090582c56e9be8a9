//! The training loop: epochs until the parameters' count, the per-epoch
//! monitor (Hinton's guide §6) and, every few epochs, ln Z and the average
//! log-likelihoods, handed to hooks that show progress and write
//! checkpoints. `vrg rbm train` and [`crate::dbn::Dbn::train_greedy`] both
//! train through [`fit`].
//!
//! ```
//! use vrg::data::Dataset;
//! use vrg::rbm::{HiddenUnits, VisibleUnits};
//! use vrg::train::{checkpoint, fit, initial_rbm, EpochRecord, FitOptions, Monitor};
//! use vrg::train::{TrainConfig, Trainer};
//!
//! # fn main() -> vrg::Result<()> {
//! // 200 rows of 16 binary pixels: the two halves of each row agree.
//! let rows: Vec<f32> = (0..200u32)
//!     .flat_map(|r| (0..16u32).map(move |i| ((r >> (i % 8)) & 1) as f32))
//!     .collect();
//! let data = Dataset::new(200, 16, rows)?;
//! let params = TrainConfig::new()
//!     .epochs(4)
//!     .batch_size(20)
//!     .learning_rate(0.05)
//!     .check(data.n_rows)?;
//! let units = (VisibleUnits::Bernoulli, HiddenUnits::Bernoulli);
//! let start = initial_rbm(&data, 8, units.0, units.1, &params)?;
//! let monitor = Monitor::new(&data, None, 100, 0);
//! // ln Z (exact: 8 hidden units) and log-likelihoods every 2 epochs.
//! let options = FitOptions { evaluate_every: Some(2), ..FitOptions::default() };
//! let dir = std::env::temp_dir().join(format!("vrg-fit-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).map_err(|e| vrg::Error::io(&dir, e))?;
//! let path = dir.join("rbm.safetensors");
//!
//! // Two epochs, with a checkpoint file after each, then stop.
//! let mut trainer = Trainer::new(start.clone(), params.with_epochs(2)?);
//! fit(&mut trainer, &data, &monitor, &options, &mut |t: &Trainer, record: &EpochRecord| {
//!     println!("epoch {}: F(train) {:.3}", record.metrics.epoch, record.metrics.free_energy_train);
//!     checkpoint::save(&path, t)
//! })?;
//!
//! // Resume from the file to epoch 4; a run that never stopped ends the same, bit for bit.
//! let mut resumed = checkpoint::load(&path, Some(4))?;
//! let mut log_likelihoods = Vec::new();
//! fit(&mut resumed, &data, &monitor, &options, &mut |_: &Trainer, record: &EpochRecord| {
//!     log_likelihoods.extend(record.likelihood.as_ref().map(|l| l.log_likelihood_train));
//!     Ok(())
//! })?;
//! let mut straight = Trainer::new(start, params);
//! fit(&mut straight, &data, &monitor, &options, &mut |_: &Trainer, _: &EpochRecord| Ok(()))?;
//! assert_eq!(resumed.rbm(), straight.rbm());
//! assert_eq!(log_likelihoods.len(), 1); // evaluated at epoch 4
//! assert!(log_likelihoods[0] < 0.0);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

use super::monitor::{EpochMetrics, Monitor};
use super::trainer::Trainer;
use crate::data::Dataset;
use crate::estimate::choice::{estimate_log_partition, LogZ, LogZOptions};
use crate::{Error, Result};
use serde::Serialize;
use std::time::Instant;

/// ln Z and the average log-likelihoods ln p(v) = −H(v) − ln Z of the
/// monitored rows, at one epoch.
#[derive(Clone, Debug, Serialize)]
pub struct Likelihood {
    pub log_z: f64,
    /// Standard error of ln Z (0 when exact).
    pub log_z_stderr: f64,
    /// "exact" or "ais".
    pub log_z_method: &'static str,
    /// Mean ln p(v) of the monitored training rows.
    pub log_likelihood_train: f64,
    /// Mean ln p(v) of the held-out rows (null without them).
    pub log_likelihood_validation: Option<f64>,
    /// The whole estimate (effective sample size, …); not in the log line.
    #[serde(skip)]
    pub estimate: LogZ,
}

/// One epoch's record: the monitor's metrics and, on evaluation epochs,
/// the likelihoods. Serialises as one flat JSON object (the training log's
/// line).
#[derive(Clone, Debug, Serialize)]
pub struct EpochRecord {
    #[serde(flatten)]
    pub metrics: EpochMetrics,
    #[serde(flatten)]
    pub likelihood: Option<Likelihood>,
}

/// What [`fit`] evaluates besides the monitor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitOptions {
    /// Every this many epochs (and after the last), ln Z and the
    /// likelihoods ([`Likelihood`]); `None`: never.
    pub evaluate_every: Option<usize>,
    /// How ln Z is estimated (AIS starts from the base rates of all the
    /// training rows).
    pub log_z: LogZOptions,
}

/// What [`fit`] reports as it goes. A closure
/// `FnMut(&Trainer, &EpochRecord) -> Result<()>` is a hook that only sees
/// finished epochs.
pub trait FitHooks {
    /// Called with the rows of each finished batch, from the pool's
    /// threads (for a progress bar); none by default.
    fn progress(&self) -> Option<&(dyn Fn(u64) + Sync)> {
        None
    }
    /// After each epoch, with the trainer (model, parameters, optimiser
    /// state: what a checkpoint needs) and the epoch's record. An error
    /// stops training and is returned by [`fit`].
    fn epoch_done(&mut self, trainer: &Trainer, record: &EpochRecord) -> Result<()>;
}

impl<F> FitHooks for F
where
    F: FnMut(&Trainer, &EpochRecord) -> Result<()>,
{
    fn epoch_done(&mut self, trainer: &Trainer, record: &EpochRecord) -> Result<()> {
        self(trainer, record)
    }
}

/// ln Z of the trainer's model and the likelihoods of the monitored rows.
fn likelihood(
    trainer: &Trainer,
    train: &Dataset,
    metrics: &EpochMetrics,
    options: &LogZOptions,
) -> Result<Likelihood> {
    let estimate = estimate_log_partition(trainer.rbm(), train, options)?;
    let log_z = estimate.log_z();
    Ok(Likelihood {
        log_z,
        log_z_stderr: estimate.stderr(),
        log_z_method: estimate.method_name(),
        log_likelihood_train: -metrics.free_energy_train - log_z,
        log_likelihood_validation: metrics.free_energy_validation.map(|f| -f - log_z),
        estimate,
    })
}

/// Trains `trainer` on `train` from its epochs done to its parameters'
/// epochs. After each epoch `monitor` evaluates the model, every
/// `options.evaluate_every` epochs (and after the last) ln Z and the
/// likelihoods are added, and `hooks.epoch_done` receives the record.
/// Errors (a divergence, [`Error::NonFinite`], or a hook's error) stop
/// training; the trainer then holds the model of the failed epoch, so a
/// caller keeps its last checkpoint. Deterministic for a given seed,
/// whatever the thread count, and a resumed trainer continues bit for bit.
pub fn fit(
    trainer: &mut Trainer,
    train: &Dataset,
    monitor: &Monitor,
    options: &FitOptions,
    hooks: &mut impl FitHooks,
) -> Result<()> {
    if options.evaluate_every == Some(0) {
        return Err(Error::invalid("eval-every", 0, "at least 1 epoch"));
    }
    let total = trainer.params().epochs();
    while trainer.epochs_done() < total {
        let epoch = trainer.epochs_done();
        let started = Instant::now();
        let sweeps_before = trainer.tap_sweeps();
        trainer.train_epoch(train, hooks.progress().unwrap_or(&|_| {}))?;
        let seconds = started.elapsed().as_secs_f64();
        let done = trainer.epochs_done();
        let params = trainer.params();
        let mut metrics = monitor.evaluate(
            trainer.rbm(),
            done,
            params.learning_rate_at(epoch),
            params.momentum_at(epoch),
            seconds,
        )?;
        if params.method.tap_order().is_some() {
            let (sweeps, updates) = trainer.tap_sweeps();
            let updates = (updates - sweeps_before.1).max(1);
            metrics.tap_sweeps = Some((sweeps - sweeps_before.0) as f64 / updates as f64);
        }
        let evaluate = options
            .evaluate_every
            .is_some_and(|every| done.is_multiple_of(every) || done == total);
        let likelihood = if evaluate {
            Some(likelihood(trainer, train, &metrics, &options.log_z)?)
        } else {
            None
        };
        hooks.epoch_done(
            trainer,
            &EpochRecord {
                metrics,
                likelihood,
            },
        )?;
    }
    Ok(())
}
