//! `vrg rg flow-experiment`: the RG-flow experiment and its controls (see
//! [`crate::experiment::rg_flow`]).

use crate::experiment::rg_flow::{output_files, run_experiment, FlowExperimentConfig};
use crate::flags::RgFlowExperimentArgs;
use anyhow::Result;

pub fn run(args: RgFlowExperimentArgs) -> Result<()> {
    let config = FlowExperimentConfig::read_if_given(args.config.as_deref())?;
    let mut plan = vrg::io::PathPlan::new();
    plan.input_if("--config", args.config.as_deref());
    plan.output_dir("--out", &args.out, output_files(&config));
    plan.check()?;
    let summary = run_experiment(&config, &args.out)?;
    for line in summary["interpretation"].as_array().into_iter().flatten() {
        println!("{}", line.as_str().unwrap_or_default());
    }
    eprintln!(
        "wrote summary.json, the flow figures and the RBMs into {}/ ({:.0} s)",
        args.out.display(),
        summary["seconds"].as_f64().unwrap_or(f64::NAN)
    );
    Ok(())
}
