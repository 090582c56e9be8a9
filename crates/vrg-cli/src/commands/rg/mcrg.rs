//! `vrg rg mcrg` (issue #16; being built).

use crate::flags::RgMcrgArgs;
use anyhow::{bail, Result};

pub fn run(_args: RgMcrgArgs) -> Result<()> {
    bail!("vrg rg mcrg is not built yet (issue #16)")
}
