//! Flags of `vrg dbn …`.

use crate::flags::RbmDataArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use vrg::estimate::LogZMethod;
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::{PerLayer, TrainConfigLists};

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
                .map_err(|_| "expected exact, ais, auto or none".to_string()),
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
    /// Draw every layer's training curves (one row of panels per layer:
    /// free energies of training and held-out rows, their gap, the
    /// reconstruction error, against epoch) into a `.png` figure, redrawn
    /// atomically after every epoch. With --resume the earlier epochs come
    /// from --log.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
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
    /// Jackknife blocks of the error bars of the MCRG exponents (learned
    /// coarse-graining and majority rule) [default: 10].
    #[arg(long, value_name = "J")]
    pub mcrg_jackknife: Option<usize>,
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
