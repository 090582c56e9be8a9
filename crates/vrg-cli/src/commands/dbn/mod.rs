//! `vrg dbn train | analyze | sample | transform`.

use crate::flags::DbnCommand;
use anyhow::Result;

mod analyze;
mod sample;
mod train;
mod transform;

pub fn run(command: DbnCommand) -> Result<()> {
    match command {
        DbnCommand::Train(args) => train::run(*args).map(|_| ()),
        DbnCommand::Analyze(args) => analyze::run(*args).map(|_| ()),
        DbnCommand::Sample(args) => sample::run(args),
        DbnCommand::Transform(args) => transform::run(args),
    }
}
