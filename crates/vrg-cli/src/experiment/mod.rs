//! Experiments: an experiment file ([`config`]) and flags become a
//! training plan ([`plan`]), trained greedily with checkpoints and logs
//! ([`greedy`]) and analysed ([`analysis`]). `vrg dbn train`, `vrg dbn
//! analyze` and `vrg demo` are thin commands over these steps. The RG-flow
//! experiment of `vrg rg flow-experiment` is [`rg_flow`].

pub mod analysis;
pub mod config;
pub mod dbn_figures;
pub mod greedy;
pub mod plan;
pub mod rg_flow;
