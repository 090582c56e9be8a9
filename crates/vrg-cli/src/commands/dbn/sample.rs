//! `vrg dbn sample`: Gibbs chains in the top RBM, then a down-pass.

use crate::experiment::greedy::join_sizes;
use crate::flags::DbnSampleArgs;
use crate::inputs::{check_npy_paths, check_sample_counts, check_writable};
use crate::progress;
use anyhow::{Context, Result};
use vrg::dbn::file::load_dbn;

pub fn run(args: DbnSampleArgs) -> Result<()> {
    check_sample_counts(args.samples, "sample", args.gibbs_steps)?;
    check_npy_paths(&args.model, None, &args.out)?;
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
