//! `vrg dbn analyze`: the RG analysis of a trained DBN into a directory.

use crate::commands::report::write_report;
use crate::experiment::analysis::{
    analysis_run, analyze_into, create_output_dir, output_files, print_headlines,
};
use crate::experiment::config::ExperimentConfig;
use crate::flags::DbnAnalyzeArgs;
use crate::output::write_json;
use crate::report::run_dir::REPORT_FILE;
use crate::report::run_record;
use anyhow::{bail, Result};
use serde_json::json;
use std::path::PathBuf;

pub fn run(args: DbnAnalyzeArgs) -> Result<PathBuf> {
    let started = std::time::Instant::now();
    let started_at = std::time::SystemTime::now();
    let config = ExperimentConfig::read_if_given(args.config.as_deref())?;
    let run = analysis_run(&args.analysis, &config)?;
    let rows = args
        .analysis
        .rows
        .or(config.analysis.rows)
        .unwrap_or(10_000);
    if rows < 2 {
        bail!("invalid --rows {rows}: expected at least 2 rows");
    }
    let binarize = args.data.binarize()?;
    let dbn = vrg::dbn::file::load_dbn(&args.model)?.dbn;
    let side = (dbn.sizes()[0] as f64).sqrt().round() as usize;
    if side * side == dbn.sizes()[0] && run.options.window > side {
        bail!(
            "invalid window {}: the lattice of {} is {side}×{side}; expected a window side from 1 to {side}",
            run.options.window,
            args.model.display()
        );
    }
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .input("--data", &args.data.data)
        .input_if("--config", args.config.as_deref())
        .output_dir(
            "--out",
            &args.out,
            output_files(dbn.layers().len(), run.generate)
                .into_iter()
                .chain([REPORT_FILE.to_owned()]),
        )
        .check()?;
    let limit = Some(args.data.limit.map_or(rows, |l| l.min(rows)));
    let data = crate::inputs::data_for(&dbn, &args.model, &args.data, limit, binarize)?;
    let out = create_output_dir(&args.out)?;
    let extra = json!({
        "model": args.model.display().to_string(),
        "data": args.data.data.display().to_string(),
        "sizes": dbn.sizes(),
    });
    let mut summary = analyze_into(&dbn, &data, &run, out.path(), extra, None)?;
    let seconds = started.elapsed().as_secs_f64();
    summary["seconds"] = json!(seconds);
    let mut record = run_record(started_at, seconds);
    record["seeds"] = json!({
        "analysis": run.options.seed,
        "ln Z (AIS)": run.options.logz.as_ref().map(|l| l.seed),
    });
    summary["run"] = record;
    write_json(&out.path().join("summary.json"), &summary)?.commit()?;
    write_report(out.path(), &out.path().join(REPORT_FILE))?;
    out.commit()?;
    print_headlines(&summary, &args.out);
    eprintln!("report: {}", args.out.join(REPORT_FILE).display());
    Ok(args.out)
}
