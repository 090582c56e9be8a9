//! Flags of `vrg report`.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output directory of `vrg demo` or `vrg dbn analyze` (it holds
    /// summary.json and the figures it lists).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to write the HTML page [default: DIR/report.html].
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
}
