//! Flags of `vrg rbm …`.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use vrg::estimate::LogZMethod;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::TrainConfig;

#[derive(Debug, Subcommand)]
pub enum RbmCommand {
    /// Train an RBM by CD-k or PCD-k; writes a checkpoint MODEL.safetensors
    /// after every epoch and, with --log, one JSON line per epoch.
    Train(Box<RbmTrainArgs>),
    /// Draw visible configurations by block Gibbs sampling from random
    /// starts; writes FILE.npy of shape (N, n_visible): int8 (0/1 or ±1) for
    /// Bernoulli and spin units, float64 for Gaussian units.
    Sample(RbmSampleArgs),
    /// Hidden means E[h|v] of every data row; writes H.npy, float64 of shape
    /// (rows, n_hidden).
    Transform(RbmTransformArgs),
    /// The visible free energy H(v) = −ln Σ_h e^{−E(v,h)} of every data row
    /// and its mean.
    FreeEnergy(RbmFreeEnergyArgs),
    /// ln Z of the model (exact enumeration of the smaller layer, or
    /// annealed importance sampling) and the data's average log-likelihood
    /// ln p(v) = −H(v) − ln Z.
    Eval(RbmEvalArgs),
    /// Each hidden unit's weights as a grey tile (grey = 128 + 127·w/max|w|
    /// per tile), tiles in a grid with 1-pixel black gaps; writes FILE.png.
    Filters(RbmFiltersArgs),
}

/// Data file and preprocessing flags shared by the RBM commands.
#[derive(Debug, Args)]
pub struct RbmDataArgs {
    /// Data, one sample per row: `.npy` (2-D (rows, features), or N-D with
    /// trailing axes flattened), MNIST IDX (plain or gzip), a PNG, or a
    /// directory of same-size PNGs. Pixels are scaled to [0, 1]. The format
    /// is read from the content, not the name.
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Binarize after loading: `threshold:X` (1 if v > X, else 0) or
    /// `stochastic:SEED` (1 with probability v, values in [0, 1]; drawn once
    /// from SEED, whatever the thread count) [default: none].
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub binarize: Option<String>,
    /// Divide `.npy` values by X (finite, non-zero; not for IDX or PNG,
    /// which are always divided by 255) [default: none].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub scale: Option<String>,
    /// Use only the first N rows [default: all].
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Flags of `vrg rbm train`. Training flags left out take their defaults,
/// or with --resume the checkpoint's values.
#[derive(Debug, Args)]
pub struct RbmTrainArgs {
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Hidden units (≥ 1). Required unless --resume.
    #[arg(long, value_name = "N", required_unless_present = "resume")]
    pub hidden: Option<usize>,
    /// Visible unit type: bernoulli (values in [0, 1]), spin (±1; 0/1 data
    /// are mapped to ±1) or gaussian (real values, unit variance: standardise
    /// the data first) [default: bernoulli].
    #[arg(long, value_name = "UNITS")]
    pub visible_units: Option<VisibleUnits>,
    /// Hidden unit type [default: bernoulli].
    #[arg(long, value_name = "UNITS")]
    pub hidden_units: Option<HiddenUnits>,
    /// The training hyper-parameters (one flag each).
    #[command(flatten)]
    pub train: TrainConfig,
    /// Append one JSON line per epoch to FILE.jsonl (keys epoch,
    /// free_energy_train, free_energy_validation, free_energy_gap,
    /// reconstruction_error, pseudo_log_likelihood, seconds, learning_rate,
    /// momentum, and for tap2/tap3 tap_sweeps, the mean TAP sweeps per
    /// update); a fresh run replaces the file, --resume appends.
    #[arg(long, value_name = "FILE.jsonl")]
    pub log: Option<PathBuf>,
    /// Draw the training curves into a `.png` figure, redrawn (atomically)
    /// after every epoch so a long run can be watched: mean free energy of
    /// the training and held-out rows, their gap, the reconstruction error,
    /// the pseudo-log-likelihood and ln p(v) where evaluated, against epoch.
    /// With --resume the earlier epochs come from --log; without --log the
    /// figure shows only the epochs of this run.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML page when training ends: what was run
    /// (command, version, date, wall time, machine, seed), the parameters,
    /// the training curves and a table of every epoch (with --resume, the
    /// earlier epochs come from --log).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Held-out data for the free-energy monitor, read with the same
    /// preprocessing flags (only its first --monitor-rows rows are read).
    #[arg(long, value_name = "FILE")]
    pub validation: Option<PathBuf>,
    /// Fraction in [0, 1) of the data held out, chosen by --seed; 0 turns the
    /// held-out monitor off [default: 0.1, unless --validation is given].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub validation_fraction: Option<f64>,
    /// Training (and held-out) rows whose free energies and reconstruction
    /// error are monitored each epoch (≥ 1).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub monitor_rows: usize,
    /// Monitored training rows whose exact pseudo-log-likelihood is computed
    /// each epoch (0: off; binary data only).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub pll_rows: usize,
    /// Continue the checkpoint --out from its last epoch to --epochs, bit
    /// for bit as if never stopped, with its saved parameters (training
    /// flags may only repeat them) and the same data flags and data as the
    /// first run (a difference is refused); --log is reconciled with the
    /// checkpoint (lines after it dropped, a lost line restored), then
    /// appended to.
    #[arg(long)]
    pub resume: bool,
    /// Every N epochs (and after the last), also log ln Z (exact when the
    /// smaller layer has at most 25 units, else AIS with 100 chains) and the
    /// average log-likelihoods −F − ln Z of the monitored training rows and
    /// of the held-out rows (keys log_z, log_z_stderr, log_z_method,
    /// log_likelihood_train, log_likelihood_validation) [default: off].
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,
    /// AIS temperatures for --eval-every [default: Salakhutdinov & Murray's
    /// 14 500].
    #[arg(long, value_name = "K")]
    pub eval_betas: Option<usize>,
    /// Model checkpoint, a `.safetensors` path, written atomically after
    /// every epoch.
    #[arg(long, value_name = "MODEL.safetensors")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RbmSampleArgs {
    /// Model file written by `vrg rbm train`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    /// Independent chains, one output row each (≥ 1).
    #[arg(long, value_name = "N")]
    pub samples: usize,
    /// Block Gibbs steps v → h → v′ per chain (≥ 1), from a random start
    /// (Bernoulli 0/1 with p = ½, spins ±1 with p = ½, Gaussian N(0, 1)).
    #[arg(long, value_name = "K")]
    pub gibbs_steps: usize,
    /// Seed of all random streams (same seed, same samples, whatever the
    /// thread count).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Output array, a `.npy` path.
    #[arg(long, value_name = "FILE.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RbmTransformArgs {
    /// Model file written by `vrg rbm train`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Output array of hidden means, a `.npy` path.
    #[arg(long, value_name = "H.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RbmFreeEnergyArgs {
    /// Model file written by `vrg rbm train`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Print JSON with keys n_rows, mean_free_energy and free_energy (one
    /// value per row) instead of the mean and count.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RbmEvalArgs {
    /// Model file written by `vrg rbm train`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    /// The rows to evaluate (for AIS, their means also set the base-rate
    /// model's visible biases).
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// How to get ln Z: exact (every state of the smaller discrete layer),
    /// ais (annealed importance sampling from a base-rate model), auto
    /// (exact up to 25 enumerated units, else AIS), or tap1, tap2, tap3 (the
    /// TAP free energy at first, second or third order: naive mean field
    /// and its Plefka corrections, Bernoulli and spin units only).
    #[arg(long, value_enum, default_value_t = LogZMethod::Auto, value_name = "METHOD")]
    pub logz: LogZMethod,
    /// AIS chains.
    #[arg(long, value_name = "C", default_value_t = 100)]
    pub chains: usize,
    /// AIS temperatures [default: Salakhutdinov & Murray's 14 500; another K
    /// keeps the schedule's shape].
    #[arg(long, value_name = "K")]
    pub betas: Option<usize>,
    /// Seed of the AIS chains.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Print JSON with keys log_z, log_z_stderr, method, avg_log_likelihood,
    /// avg_log_likelihood_stderr, avg_free_energy, n_samples, ess (and
    /// enumerated_layer; or iterations and residual for TAP; or
    /// log_z_base, chains, betas and the reverse-AIS
    /// upper-side estimate log_z_upper, log_z_upper_stderr, ess_reverse).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RbmFiltersArgs {
    /// Model file written by `vrg rbm train`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    /// Output image, a `.png` path.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
    /// Tile shape HxW with H·W = n_visible [default: square, when n_visible
    /// is a perfect square].
    #[arg(long, value_name = "HxW")]
    pub shape: Option<String>,
    /// Tiles per row of the grid (≥ 1; at most n_hidden are used) [default:
    /// ⌈√n_hidden⌉].
    #[arg(long, value_name = "C")]
    pub columns: Option<usize>,
}
