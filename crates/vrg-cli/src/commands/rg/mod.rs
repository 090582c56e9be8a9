//! `vrg rg couplings | renormalized | flow | flow-experiment`.

use crate::flags::RgCommand;
use anyhow::Result;

mod couplings;
mod flow;
mod flow_experiment;
mod renormalized;

pub fn run(command: RgCommand) -> Result<()> {
    match command {
        RgCommand::Couplings(args) => couplings::run(args),
        RgCommand::Renormalized(args) => renormalized::run(*args),
        RgCommand::Flow(args) => flow::run(*args),
        RgCommand::FlowExperiment(args) => flow_experiment::run(args),
    }
}
