//! `vrg rg couplings | renormalized | flow | flow-experiment | block | mcrg | kadanoff`.

use crate::flags::RgCommand;
use anyhow::Result;

mod block;
mod couplings;
mod flow;
mod flow_experiment;
mod kadanoff;
mod mcrg;
mod renormalized;

pub fn run(command: RgCommand) -> Result<()> {
    match command {
        RgCommand::Couplings(args) => couplings::run(args),
        RgCommand::Renormalized(args) => renormalized::run(*args),
        RgCommand::Flow(args) => flow::run(*args),
        RgCommand::FlowExperiment(args) => flow_experiment::run(args),
        RgCommand::Block(args) => block::run(args),
        RgCommand::Mcrg(args) => mcrg::run(*args),
        RgCommand::Kadanoff(args) => kadanoff::run(args),
    }
}
