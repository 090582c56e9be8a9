//! `vrg rg kadanoff` (issue #16; being built).

use crate::flags::RgKadanoffArgs;
use anyhow::{bail, Result};

pub fn run(_args: RgKadanoffArgs) -> Result<()> {
    bail!("vrg rg kadanoff is not built yet (issue #16)")
}
