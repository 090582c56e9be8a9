//! `vrg dbn sample`: Gibbs chains in the top RBM, then a down-pass.

use crate::experiment::greedy::join_sizes;
use crate::flags::DbnSampleArgs;
use crate::inputs::{check_extension, check_writable};
use crate::progress;
use anyhow::{bail, Context, Result};
use vrg::dbn::file::load_dbn;

pub fn run(args: DbnSampleArgs) -> Result<()> {
    if args.samples == 0 {
        bail!("invalid --samples 0: expected at least 1 sample");
    }
    if args.gibbs_steps == 0 {
        bail!("invalid --gibbs-steps 0: expected at least 1 step");
    }
    check_extension(&args.out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .output("--out", &args.out)
        .check()?;
    let dbn = load_dbn(&args.model)?.dbn;
    check_writable(&args.out).context("invalid --out")?;
    let bar = progress::bar(args.gibbs_steps as u64, "Gibbs steps");
    let samples = dbn.generate(args.samples, args.gibbs_steps, args.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let nv = dbn.sizes()[0];
    let units = dbn.layers()[0].visible_units();
    let dtype = crate::output::write_samples(&args.out, [args.samples, nv], &samples, units)?;
    eprintln!(
        "wrote {}: {} samples of {nv} units from the DBN {} after {} Gibbs steps in its top RBM ({dtype})",
        args.out.display(),
        args.samples,
        join_sizes(&dbn.sizes()),
        args.gibbs_steps
    );
    Ok(())
}
