//! `vrg rg couplings`.

use crate::flags::RgCommand;
use anyhow::Result;

mod couplings;

pub fn run(command: RgCommand) -> Result<()> {
    match command {
        RgCommand::Couplings(args) => couplings::run(args),
    }
}
