//! Flags of `vrg demo`.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run Mehta & Schwab's paper-scale setup (examples/mehta-schwab.toml)
    /// instead of the small built-in one (examples/demo.toml).
    #[arg(long, conflicts_with = "config")]
    pub full: bool,
    /// Run this experiment file instead.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "vrg-demo")]
    pub out: PathBuf,
}
