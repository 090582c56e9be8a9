//! Partition functions and likelihoods of learned models: exact ln Z by
//! enumerating the smaller layer ([`exact`]), and annealed importance
//! sampling from a base-rate model ([`ais`]).

pub mod ais;
pub mod choice;
pub mod exact;
mod layer_sums;

pub use ais::{
    ais_bracket_with, ais_log_partition, ais_log_partition_with, base_rate_biases, AisEstimate,
    BetaSchedule, Products,
};
pub use choice::{estimate_log_partition, LogZ, LogZMethod, LogZOptions, AUTO_EXACT_UNITS};
pub use exact::{log_partition_enumerating, log_partition_exact, ExactLogZ, Layer};
