//! Flags of `vrg rg …`: what a trained network has learned, in the
//! language of the renormalization group.

use crate::flags::RbmDataArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum RgCommand {
    /// Effective couplings of a trained RBM: its visible marginal
    /// H(v) = −ln Σ_h e^{−E(v,h)} written as an Ising Hamiltonian
    /// H(s) = −Σ_S K_S Π_{i∈S} s_i (fields, pairs, triples, …; s = 2v − 1 for
    /// 0/1 units), exactly or by Monte Carlo with error bars.
    Couplings(RgCouplingsArgs),
    /// Renormalized couplings along a DBN: per level, the lattice couplings
    /// (field, K_nn, K_nnn, plaquette; pseudo-likelihood with bootstrap
    /// errors) of the layer's sampled hidden units placed on the coarse
    /// lattice, beside those of Kadanoff's majority-rule blocks of the same
    /// side, and which way each flows relative to K_c = 0.4407.
    Renormalized(Box<RgRenormalizedArgs>),
    /// RG flow of configurations: iterate a trained RBM's map v → h → v′ on
    /// many chains from chosen starts, read each step's temperature from
    /// Kaufman's exact energy of the same lattice (and, independently, from
    /// |m| against Monte Carlo), and find the fixed point the flow settles at.
    Flow(Box<RgFlowArgs>),
    /// The RG-flow experiment of Iso, Shiba & Yokoo (2018) with Veiga &
    /// Vicente's (2020) controls: Ising data from T = 0 to 6, one RBM per
    /// run (all temperatures; only T ≥ 4; only T ≤ 1; only T = 0 and ∞;
    /// sites permuted), flows from T₀ = 0 and ∞ to their fixed points read
    /// by the exact thermometer (built-in examples/rg-flow.toml).
    FlowExperiment(RgFlowExperimentArgs),
    /// Kadanoff block spins of stored lattice configurations: majority rule
    /// (seeded random tie-break for even blocks) or decimation, applied
    /// level after level.
    Block(RgBlockArgs),
    /// Swendsen's Monte Carlo RG: the linearised RG matrix between blocking
    /// levels from operator correlations of equilibrium configurations, and
    /// the critical exponents y_T and y_H from its eigenvalues.
    Mcrg(Box<RgMcrgArgs>),
    /// Lower-bound (potential-moving) real-space RG recursions for the 2D
    /// Ising model, after Kadanoff (1975): block spins with a variational
    /// parameter, a checkerboard decimation with moved next-nearest bonds,
    /// or the Migdal–Kadanoff recursion; fixed point, critical coupling, ν
    /// and the free-energy bound.
    Kadanoff(RgKadanoffArgs),
}

/// How `vrg rg couplings` computes the couplings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CouplingMethodChoice {
    /// exact up to 24 visible units, monte-carlo above.
    Auto,
    /// Walsh–Hadamard transform of H over all 2^n configurations (n ≤ 24).
    Exact,
    /// Each hidden unit expanded exactly over its support: the sites with
    /// |w| above --weight-tolerance (exact at 0; the discarded weight mass
    /// bounds the error of every coupling).
    Support,
    /// Unbiased Monte Carlo estimates with standard errors, of the fields
    /// and pairs (lattice pairs and triples within --distance).
    MonteCarlo,
    /// The Gaussian approximation of Decelle et al. (2024) for the same sets.
    Gaussian,
}

#[derive(Debug, Args)]
pub struct RgCouplingsArgs {
    /// The model: an RBM file, or a DBN file with --layer.
    #[arg(long, value_name = "MODEL.safetensors")]
    pub model: PathBuf,
    /// For a DBN: the layer whose RBM to expand (1 = the one on the data).
    #[arg(long, value_name = "L")]
    pub layer: Option<usize>,
    #[arg(long, value_enum, default_value_t = CouplingMethodChoice::Auto)]
    pub method: CouplingMethodChoice,
    /// Highest order |S| kept (exact and support; Monte Carlo and Gaussian
    /// compute fields and pairs, and lattice triples at 3 or more).
    #[arg(long, default_value_t = 4, value_name = "K")]
    pub max_order: usize,
    /// Couplings with |K_S| below this are dropped (exact and support; their
    /// number is reported).
    #[arg(long, default_value_t = 1e-10, value_name = "TOL")]
    pub tolerance: f64,
    /// Support method: sites with |w_iμ| (spin convention) at or below this
    /// are dropped from hidden unit μ.
    #[arg(long, default_value_t = 0.0, value_name = "W")]
    pub weight_tolerance: f64,
    /// Monte Carlo and Gaussian: only pairs (and triples) of sites within
    /// this torus distance on the L×L lattice of the visible units, unit i
    /// at row i / L, column i % L (data units only: not above layer 1 of a
    /// DBN) [default: all pairs, no triples].
    #[arg(long, value_name = "D")]
    pub distance: Option<f64>,
    /// Monte Carlo samples of the spins.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub samples: usize,
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The data's own nearest-neighbour coupling K = J/T (e.g. from `vrg
    /// ising sample`), drawn beside the learned pair couplings.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub data_coupling: Option<f64>,
    /// Print the couplings as JSON to stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write couplings.json, couplings_by_order.png and (for L×L
    /// visible units) pairs_by_distance.png into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RgRenormalizedArgs {
    /// Model file written by `vrg dbn train` (data units an L×L lattice).
    #[arg(long, value_name = "DBN")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: RbmDataArgs,
    /// Rows of the data used (the first N).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub rows: usize,
    /// Window side of the receptive-field locality that places each unit at
    /// its field's centre.
    #[arg(long, default_value_t = 4, value_name = "B")]
    pub window: usize,
    /// Bootstrap resamples for the error bars (≥ 2).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub bootstrap: usize,
    /// Consecutive rows resampled together (raise it for correlated Monte
    /// Carlo rows).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub block_length: usize,
    /// Fix the field h at 0 (up–down symmetric data).
    #[arg(long)]
    pub zero_field: bool,
    /// Seed of the hidden units' samples and of the bootstrap.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The data's own nearest-neighbour coupling K = J/T, drawn in the figure.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub data_coupling: Option<f64>,
    /// Print the flow as JSON to stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write renormalized.json and renormalized_flow.png into this
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RgFlowArgs {
    /// The model: an RBM file whose visible units are the spins of an L×L
    /// torus, or a DBN file with --layer 1.
    #[arg(long, value_name = "MODEL.safetensors")]
    pub model: PathBuf,
    /// For a DBN: the layer whose RBM to iterate (its visible units must be
    /// the lattice: 1).
    #[arg(long, value_name = "L")]
    pub layer: Option<usize>,
    /// Comma-separated starts: `up` (every spin up, T₀ = 0), `random` (T₀ =
    /// ∞), or a `.npy` file of ±1 (or 0/1) configurations of shape (N, L, L)
    /// or (N, L²), one per chain.
    #[arg(long, default_value = "up,random", value_name = "START,…")]
    pub starts: String,
    /// Independent chains per start.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub chains: usize,
    /// Steps v → h → v′.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub steps: usize,
    /// Mean-field steps h = E[h|v], v′ = E[v|h] (measured on configurations
    /// drawn from the means) instead of sampled ones.
    #[arg(long)]
    pub mean_field: bool,
    /// The lattice side L [default: √(visible units)].
    #[arg(long, value_name = "L")]
    pub lattice: Option<usize>,
    /// Steps whose configurations are written to
    /// `DIR/start_<name>_step_<k>.npy` (±1 int8, shape (chains, L, L))
    /// [default: the first and the last].
    #[arg(long, value_delimiter = ',', value_name = "K,…")]
    pub save_steps: Option<Vec<usize>>,
    /// Monte Carlo sweeps per temperature of the |m|(T) curve read by the
    /// second thermometer (after 1000 sweeps of burn-in).
    #[arg(long, default_value_t = 4000, value_name = "N")]
    pub curve_sweeps: usize,
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Print flow.json to stdout too.
    #[arg(long)]
    pub json: bool,
    /// Directory for flow.json, flow.png and the saved configurations
    /// (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RgFlowExperimentArgs {
    /// Experiment file (TOML; see examples/rg-flow.toml) [default: the
    /// built-in examples/rg-flow.toml].
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Directory for summary.json, one flow figure and one RBM per run and
    /// lattice size (created if missing).
    #[arg(long, value_name = "DIR", default_value = "vrg-rg-flow")]
    pub out: PathBuf,
}

/// A block-spin rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BlockRule {
    /// sign of the block's sum; ties (even blocks) broken by a seeded coin.
    Majority,
    /// the block's top-left spin.
    Decimation,
}

#[derive(Debug, Args)]
pub struct RgBlockArgs {
    /// ±1 (or 0/1) configurations, shape (N, L, L) or (N, L²).
    #[arg(long, value_name = "X.npy")]
    pub data: PathBuf,
    #[arg(long, value_enum, default_value_t = BlockRule::Majority)]
    pub rule: BlockRule,
    /// Block side b (it must divide L at every level).
    #[arg(long, default_value_t = 2, value_name = "B")]
    pub block: usize,
    /// Blocking levels applied one after another.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub levels: usize,
    /// Seed of the majority rule's tie-breaks.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The blocked configurations (±1 int8, shape (N, L/bⁿ, L/bⁿ)).
    #[arg(long, value_name = "Y.npy")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RgMcrgArgs {
    /// Equilibrium ±1 (or 0/1) configurations, shape (N, L, L) or (N, L²),
    /// e.g. from `vrg ising sample` at K_c.
    #[arg(long, value_name = "X.npy")]
    pub data: PathBuf,
    /// Block side b.
    #[arg(long, default_value_t = 2, value_name = "B")]
    pub block: usize,
    #[arg(long, value_enum, default_value_t = BlockRule::Majority)]
    pub rule: BlockRule,
    /// Blocking levels [default: as many as leave a lattice of side ≥ 4].
    #[arg(long, value_name = "N")]
    pub levels: Option<usize>,
    /// Configurations of a lattice b times smaller at the same coupling, for
    /// the matched-lattice variant (level n + 1 of X against level n of
    /// these).
    #[arg(long, value_name = "X_SMALL.npy")]
    pub matched: Option<PathBuf>,
    /// Jackknife blocks of consecutive configurations for the error bars.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub jackknife: usize,
    /// Seed of the majority rule's tie-breaks.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Print the result as JSON to stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write mcrg.json into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Which real-space RG `vrg rg kadanoff` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KadanoffMethod {
    /// Kadanoff's one-parameter block-spin transformation: 2 × 2 cells
    /// coupled to their cell spins by p, potentials moved onto the corner
    /// plaquettes, p chosen where the free-energy bound is best (b = 2).
    Variational,
    /// Potential moving + checkerboard decimation in (K_nn, K_nnn, K_□),
    /// no free parameter (b = √2).
    Checkerboard,
    /// The Migdal–Kadanoff bond-moving recursion, b = 2.
    MigdalKadanoff,
}

#[derive(Debug, Args)]
pub struct RgKadanoffArgs {
    #[arg(long, value_enum, default_value_t = KadanoffMethod::Variational)]
    pub method: KadanoffMethod,
    /// Also the free-energy bound per spin at these couplings K (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "K,…")]
    pub free_energy: Option<Vec<f64>>,
    /// Print the result as JSON to stdout.
    #[arg(long)]
    pub json: bool,
}
