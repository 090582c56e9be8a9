//! Partition functions and likelihoods of learned models: exact ln Z by
//! enumerating the smaller layer ([`exact`]).

pub mod exact;

pub use exact::{log_partition_enumerating, log_partition_exact, ExactLogZ, Layer};
