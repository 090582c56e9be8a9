//! `vrg report DIR`: one self-contained HTML page from a run directory.

use crate::flags::ReportArgs;
use crate::report::run_dir::{report_for_run_dir, REPORT_FILE};
use anyhow::Result;
use std::path::{Path, PathBuf};

pub fn run(args: ReportArgs) -> Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join(REPORT_FILE));
    let path = write_report(&args.dir, &out)?;
    eprintln!("report: {}", path.display());
    Ok(())
}

/// Builds the report of run directory `dir` and writes it to `out`
/// (atomically), refusing an `out` that is one of the files it reads.
/// Returns `out`.
pub fn write_report(dir: &Path, out: &Path) -> Result<PathBuf> {
    let report = report_for_run_dir(dir)?;
    let mut plan = vrg::io::PathPlan::new();
    plan.input("DIR/summary.json", dir.join("summary.json"));
    for figure in report.figures() {
        plan.input(format!("DIR/{}", figure.name), dir.join(&figure.name));
    }
    plan.output("--out", out).check()?;
    report.write(out)?;
    Ok(out.to_path_buf())
}
