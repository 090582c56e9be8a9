//! Command-line flags. Raw values are parsed here; ranges are checked by the
//! library's validated constructors before any work starts.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use vrg::estimate::LogZMethod;
use vrg::ising::Algorithm;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{PerLayer, TrainConfig, TrainConfigLists};

/// Unsupervised deep learning as Kadanoff's variational renormalization group.
///
/// Units: k_B = 1, energies in units of the coupling J, temperature T.
#[derive(Debug, Parser)]
#[command(name = "vrg", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for parallel work [default: all cores]. Results do not
    /// depend on it: every chunk of work has its own random stream.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The 2D Ising model: Monte Carlo samples, exact results, measurements.
    #[command(subcommand)]
    Ising(IsingCommand),
    /// Restricted Boltzmann machines: train, sample, transform data, free
    /// energies, weight images.
    #[command(subcommand)]
    Rbm(RbmCommand),
    /// Deep belief networks as stacks of RG steps: greedy training, RG
    /// analysis (free energies, receptive fields, block spins), generation.
    #[command(subcommand)]
    Dbn(DbnCommand),
    /// The main job: Ising samples, a DBN trained on them and its RG
    /// analysis, written to ./vrg-demo/ (built-in small setup; --full runs
    /// Mehta & Schwab's 40×40, 1600-400-100-25 experiment).
    Demo(Box<DemoArgs>),
}

#[derive(Debug, Subcommand)]
pub enum IsingCommand {
    /// Sample configurations by Monte Carlo; writes FILE.npy (int8 ±1, shape
    /// (N·temperatures, L, L)) and FILE.json with parameters and observables.
    Sample(SampleArgs),
    /// Print exact finite-lattice (Kaufman) and infinite-lattice (Onsager,
    /// Yang) values.
    Exact(ExactArgs),
    /// Measure energy, magnetisation, specific heat, susceptibility and the
    /// Binder cumulant of stored ±1 (or 0/1) configurations, with error bars.
    Measure(MeasureArgs),
}

/// Lattice and Hamiltonian flags shared by the Ising commands.
#[derive(Debug, Args)]
pub struct HamiltonianArgs {
    /// Coupling J of H = −J Σ s_i s_j − h Σ s_i (energy units).
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "J",
        allow_negative_numbers = true
    )]
    pub coupling: f64,
    /// Uniform field h (energy units).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "H",
        allow_negative_numbers = true
    )]
    pub field: f64,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Lattice side L (N = L² spins, periodic boundaries), L ≥ 2.
    #[arg(long, value_name = "L")]
    pub size: usize,
    /// Temperature(s) in units of J: one value (2.269), a list
    /// (1.5,2.0,2.269) or an inclusive range start:stop:step (1.0:3.5:0.25).
    /// `tc` stands for the critical temperature 2J/ln(1+√2).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub temperature: String,
    /// Configurations to store per temperature.
    #[arg(long, value_name = "N")]
    pub samples: usize,
    /// Lattice sweeps between stored configurations (for Wolff: cluster
    /// updates flipping L² spins on average). Observables are measured after
    /// every sweep.
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub sweeps: usize,
    /// Sweeps discarded before the first stored configuration.
    #[arg(long, default_value_t = 1000, value_name = "B")]
    pub burn_in: usize,
    /// Update algorithm: metropolis (checkerboard, multi-spin coded), wolff
    /// (clusters; h = 0, J > 0), or auto (Wolff for T < 1.25 T_c at h = 0).
    #[arg(long, value_enum, default_value_t = Algorithm::Auto, value_name = "ALGORITHM")]
    pub algorithm: Algorithm,
    #[command(flatten)]
    pub hamiltonian: HamiltonianArgs,
    /// Seed of all random streams.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Output array, a `.npy` path; FILE.json is written beside it.
    #[arg(long, value_name = "FILE.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExactArgs {
    /// Lattice side L of the finite torus, L ≥ 2.
    #[arg(long, value_name = "L")]
    pub size: usize,
    /// Temperature(s) in units of J (a value, list or range, as for `sample`).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub temperature: String,
    /// Coupling J > 0 (energy units).
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "J",
        allow_negative_numbers = true
    )]
    pub coupling: f64,
    /// Print JSON: one object (one per line for several temperatures) with
    /// energy_per_spin, specific_heat_per_spin, free_energy_per_spin,
    /// log_z_per_spin, onsager_energy_per_spin, onsager_magnetization.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Configurations as `.npy`: shape (N, L, L), (L, L) or (N, L²), values
    /// all ±1 or all 0/1 (mapped by s = 2v − 1), any integer, bool or float dtype.
    #[arg(long, value_name = "FILE.npy")]
    pub data: PathBuf,
    /// Temperature the configurations were drawn at (for specific heat and
    /// susceptibility). Default: from FILE.json written by `vrg ising sample`
    /// if present (measuring each temperature's rows separately), else 1.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub temperature: Option<f64>,
    /// Coupling J for the energy [default: from FILE.json, else 1].
    #[arg(long, value_name = "J", allow_negative_numbers = true)]
    pub coupling: Option<f64>,
    /// Field h for the energy [default: from FILE.json, else 0].
    #[arg(long, value_name = "H", allow_negative_numbers = true)]
    pub field: Option<f64>,
    /// Lattice side L, needed only for a 2-D array (n, n) with n a perfect
    /// square, which could be one n×n lattice or n configurations of
    /// √n×√n [default: from FILE.json, else from the shape].
    #[arg(long, value_name = "L")]
    pub lattice: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

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
    /// momentum); a fresh run replaces the file, --resume appends.
    #[arg(long, value_name = "FILE.jsonl")]
    pub log: Option<PathBuf>,
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
    /// ais (annealed importance sampling from a base-rate model) or auto
    /// (exact up to 25 enumerated units, else AIS).
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
    /// enumerated_layer, or log_z_base, chains, betas and the reverse-AIS
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

#[derive(Debug, Subcommand)]
pub enum DbnCommand {
    /// Greedy layer-wise training; writes one .safetensors with every layer
    /// (a checkpoint after each layer) and logs per-epoch monitor values and
    /// per-layer free energies.
    Train(Box<DbnTrainArgs>),
    /// RG analysis of a trained DBN on lattice data: per-layer free
    /// energies, receptive fields and their locality, block-spin
    /// comparison, reconstructions and generated samples; figures and
    /// summary.json in a directory.
    Analyze(Box<DbnAnalyzeArgs>),
    /// Generate data: Gibbs chains in the top RBM, then an ancestral
    /// down-pass.
    Sample(DbnSampleArgs),
    /// The up-pass of data to a level: mean activations, or samples with
    /// --sample.
    Transform(DbnTransformArgs),
}

/// Per-layer training flags of `vrg dbn train`: each takes one value for
/// every layer or a comma-separated list with one value per layer, and
/// overrides the --config file. Seeds default to 1, 2, 3, … by layer.
#[derive(Debug, Default, Args)]
pub struct LayerFlags {
    /// Hidden unit types: bernoulli or spin.
    #[arg(long, value_name = "UNITS")]
    pub hidden_units: Option<PerLayer<HiddenUnits>>,
    #[command(flatten)]
    pub train: TrainConfigLists,
}

/// `--logz`: a [`LogZMethod`], or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogZChoice(pub Option<LogZMethod>);

impl std::str::FromStr for LogZChoice {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "none" => Ok(LogZChoice(None)),
            other => other
                .parse::<LogZMethod>()
                .map(|m| LogZChoice(Some(m)))
                .map_err(|_| format!("{other:?}: expected exact, ais, auto or none")),
        }
    }
}

/// ln Z flags of `vrg dbn analyze`.
#[derive(Debug, Default, Args)]
pub struct LogZFlags {
    /// How to get each layer's ln Z: exact, ais, auto (exact up to 25
    /// enumerated units), or none.
    #[arg(long, value_name = "METHOD")]
    pub logz: Option<LogZChoice>,
    /// AIS temperatures [default: 14 500, Salakhutdinov & Murray's schedule].
    #[arg(long, value_name = "K")]
    pub betas: Option<usize>,
    /// AIS chains [default: 100].
    #[arg(long, value_name = "C")]
    pub chains: Option<usize>,
}

/// ln Z flags of `vrg dbn train` (`--chains` there is the training's
/// persistent chains).
#[derive(Debug, Default, Args)]
pub struct TrainLogZFlags {
    /// How to get each layer's ln Z after training: exact, ais, auto (exact
    /// up to 25 enumerated units), or none.
    #[arg(long, value_name = "METHOD")]
    pub logz: Option<LogZChoice>,
    /// AIS temperatures [default: 14 500, Salakhutdinov & Murray's schedule].
    #[arg(long, value_name = "K", alias = "betas")]
    pub ais_betas: Option<usize>,
    /// AIS chains [default: 100].
    #[arg(long, value_name = "C")]
    pub ais_chains: Option<usize>,
}

impl TrainLogZFlags {
    /// The same flags under `vrg dbn analyze`'s names.
    pub fn as_analysis(&self) -> LogZFlags {
        LogZFlags {
            logz: self.logz,
            betas: self.ais_betas,
            chains: self.ais_chains,
        }
    }
}

#[derive(Debug, Args)]
pub struct DbnTrainArgs {
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Units per level, the data's first: 1600,400,100,25 trains three
    /// layers on 1600-unit data. May be left out when --config has
    /// [[layer]] tables.
    // The brackets are TOML, printed as they stand by --help.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "N0,N1,…")]
    pub layers: Option<String>,
    /// Experiment file (TOML; see examples/mehta-schwab.toml); flags given
    /// here override it.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// The data's unit type: bernoulli, spin or gaussian [default:
    /// bernoulli]. ±1 data meet Bernoulli units as 0/1 and 0/1 data meet
    /// spin units as ±1 (said on stderr).
    #[arg(long, value_name = "UNITS")]
    pub visible_units: Option<VisibleUnits>,
    #[command(flatten)]
    pub layer: LayerFlags,
    /// Fraction in [0, 1) of the rows held out for validation [default: 0.1].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub validation_fraction: Option<f64>,
    /// Rows of each layer's inputs monitored each epoch.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub monitor_rows: usize,
    #[command(flatten)]
    pub logz: TrainLogZFlags,
    /// JSON lines: one per epoch (layer, monitor values) and one per layer
    /// (its free energies); a fresh run replaces the file.
    #[arg(long, value_name = "FILE.jsonl")]
    pub log: Option<PathBuf>,
    /// Continue the checkpoint --out (written after every epoch) from its
    /// last finished layer and epoch, bit for bit as if never stopped: give
    /// the same flags and data as the first run (any difference is
    /// refused); --log is reconciled with the checkpoint, then appended to.
    #[arg(long)]
    pub resume: bool,
    /// The model file to write: a checkpoint after every epoch (the
    /// finished layers and the layer in training), the finished DBN at the
    /// end.
    #[arg(long, value_name = "DBN.safetensors")]
    pub out: PathBuf,
}

#[derive(Debug, Default, Args)]
pub struct AnalysisFlags {
    /// Side of the square window of the locality measure: a receptive
    /// field's |weight| mass in the best window this wide [default: 4].
    #[arg(long, value_name = "B")]
    pub window: Option<usize>,
    #[command(flatten)]
    pub logz: LogZFlags,
    /// Configurations generated by the DBN for the figure [default: 64].
    #[arg(long, value_name = "N")]
    pub generate: Option<usize>,
    /// Gibbs steps in the top RBM when generating [default: 1000].
    #[arg(long, value_name = "K")]
    pub gibbs_steps: Option<usize>,
    /// Analyse at most the first N rows [default: 10000].
    #[arg(long, value_name = "N")]
    pub rows: Option<usize>,
    /// Seed of sampling, generation and AIS.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct DbnAnalyzeArgs {
    /// Model file written by `vrg dbn train`.
    #[arg(long, value_name = "DBN")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Experiment file whose [analysis] table sets defaults.
    // The brackets are TOML, printed as they stand by --help.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub analysis: AnalysisFlags,
    /// Directory for the figures and summary.json (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DbnSampleArgs {
    /// Model file written by `vrg dbn train`.
    #[arg(long, value_name = "DBN")]
    pub model: PathBuf,
    /// Samples (independent chains).
    #[arg(long, value_name = "N")]
    pub samples: usize,
    /// Gibbs steps in the top RBM.
    #[arg(long, value_name = "K", default_value_t = 1000)]
    pub gibbs_steps: usize,
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output `.npy` (int8 for binary and spin units).
    #[arg(long, value_name = "FILE.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DbnTransformArgs {
    /// Model file written by `vrg dbn train`.
    #[arg(long, value_name = "DBN")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Level to stop at: 1 = the first hidden layer, … [default: the top].
    #[arg(long, value_name = "L")]
    pub level: Option<usize>,
    /// Sample each level, h ~ P(h | level below), instead of the mean-field
    /// pass.
    #[arg(long)]
    pub sample: bool,
    /// Seed of --sample.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output array (rows × units of the level), a `.npy` path: float64
    /// means, or int8 samples.
    #[arg(long, value_name = "H.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run Mehta & Schwab's paper-scale setup (examples/mehta-schwab.toml)
    /// instead of the small built-in one (examples/demo.toml).
    #[arg(long, conflicts_with = "config")]
    pub full: bool,
    /// Run this experiment file instead.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "vrg-demo")]
    pub out: PathBuf,
}
