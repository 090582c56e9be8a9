//! `vrg rg couplings | renormalized`.

use crate::flags::RgCommand;
use anyhow::Result;

mod couplings;
mod renormalized;

pub fn run(command: RgCommand) -> Result<()> {
    match command {
        RgCommand::Couplings(args) => couplings::run(args),
        RgCommand::Renormalized(args) => renormalized::run(*args),
    }
}
