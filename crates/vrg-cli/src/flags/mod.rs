//! Command-line flags, one module per command group. Values are parsed
//! here (enums into the library's own types); ranges are checked by the
//! library's validated constructors before any work starts.

use clap::{Parser, Subcommand};
pub use dbn::*;
pub use demo::*;
pub use ising::*;
pub use rbm::*;
pub use report::*;
pub use rg::*;

mod dbn;
mod demo;
mod ising;
mod rbm;
mod report;
mod rg;

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
    /// The RG reading of a trained network: effective couplings of its
    /// visible marginal Hamiltonian, renormalized couplings along a DBN.
    #[command(subcommand)]
    Rg(RgCommand),
    /// The main job: Ising samples, a DBN trained on them and its RG
    /// analysis, written to ./vrg-demo/ (built-in small setup; --full runs
    /// Mehta & Schwab's 40×40, 1600-400-100-25 experiment).
    Demo(Box<DemoArgs>),
    /// One self-contained HTML page (figures embedded, no network, no
    /// script) from the output directory of `vrg demo` or `vrg dbn analyze`.
    Report(ReportArgs),
}
