//! Flags of `vrg ising …`.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use vrg::ising::Algorithm;

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
    /// Also draw the observables against temperature into a `.png` figure:
    /// energy, specific heat, |m| and the Binder cumulant with error bars,
    /// beside Kaufman's exact curves for the same L and Onsager's / Yang's
    /// for L → ∞ (h = 0, J > 0 only). Needs at least 2 temperatures.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
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
