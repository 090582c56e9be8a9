//! Partition functions and likelihoods of learned models: exact ln Z by
//! enumerating the smaller layer ([`exact`]), and annealed importance
//! sampling from a base-rate model ([`ais`]), and the TAP (mean-field)
//! free energy ([`tap`]).

pub mod ais;
pub mod choice;
pub mod exact;
mod layer_sums;
pub mod tap;

pub use ais::{
    ais_bracket_with, ais_log_partition, ais_log_partition_with, base_rate_biases,
    base_rate_biases_of, AisEstimate, BetaSchedule, Products,
};
pub use choice::{estimate_log_partition, LogZ, LogZMethod, LogZOptions, AUTO_EXACT_UNITS};
pub use exact::{log_partition_enumerating, log_partition_exact, ExactLogZ, Layer};
pub use tap::{
    tap_gibbs_free_energy, tap_log_partition, tap_log_partition_from, tap_residual, TapEstimate,
    TapOptions, TapOrder,
};
