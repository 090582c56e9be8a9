//! The 2D Ising model on an L×L periodic square lattice.
//!
//! - [`IsingModel`]: validated parameters (L, J, h, T) and energies.
//! - Samplers: [`MultiSpinMetropolis`] (checkerboard, 64 spins per word),
//!   [`Wolff`] (cluster updates), [`SequentialMetropolis`] (byte per spin,
//!   the reference and the sampler for odd L).
//! - [`run_chain`] / [`run_temperatures`]: chains with measurements;
//!   [`Observables`] with binning and jackknife error bars.
//! - [`configurations`]: stored ±1 or 0/1 configurations read from `.npy`.
//! - [`exact`]: T_c, Onsager, Yang, and Kaufman's finite-lattice solution.
//! - [`thermometer`]: the temperature of configurations, read from their
//!   energy (exact, Kaufman) or |m| (a sampled curve).

pub mod configurations;
pub mod exact;
pub mod model;
pub mod multispin;
pub mod observables;
pub mod sampling;
pub mod sequential;
pub mod thermometer;
pub mod wolff;

pub use model::IsingModel;
pub use multispin::MultiSpinMetropolis;
pub use observables::{measure_configurations, Observables, Recorder};
pub use sampling::{run_chain, run_temperatures, Algorithm, Chain, ChainResult, SamplingPlan};
pub use sequential::SequentialMetropolis;
pub use thermometer::{EnergyThermometer, MagnetizationCurve, Reading};
pub use wolff::Wolff;
