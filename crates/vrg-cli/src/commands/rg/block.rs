//! `vrg rg block` (issue #16; being built).

use crate::flags::RgBlockArgs;
use anyhow::{bail, Result};

pub fn run(_args: RgBlockArgs) -> Result<()> {
    bail!("vrg rg block is not built yet (issue #16)")
}
