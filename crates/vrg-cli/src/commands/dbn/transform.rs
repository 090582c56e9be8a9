//! `vrg dbn transform`: the up-pass of data to a level.

use crate::flags::DbnTransformArgs;
use crate::inputs::{check_npy_paths, check_writable, data_for};
use anyhow::{bail, Context, Result};
use vrg::dbn::file::load_dbn;

pub fn run(args: DbnTransformArgs) -> Result<()> {
    check_npy_paths(&args.model, Some(&args.data.data), &args.out)?;
    let dbn = load_dbn(&args.model)?.dbn;
    let top = dbn.layers().len();
    let level = args.level.unwrap_or(top);
    if level == 0 || level > top {
        bail!("invalid --level {level}: expected 1 (the first hidden layer) to {top} (the top)");
    }
    let data = data_for(
        &dbn,
        &args.model,
        &args.data,
        args.data.limit,
        args.data.binarize()?,
    )?;
    check_writable(&args.out).context("invalid --out")?;
    let shape = [data.n_rows, dbn.sizes()[level]];
    let values = data.dense_values();
    if args.sample {
        let mut rng = vrg::rng::family(args.seed, vrg::rng::families::SAMPLING);
        let h = dbn.sample_up(&values, data.n_rows, level, &mut rng)?;
        let values: Vec<i8> = h.iter().map(|&x| x as i8).collect();
        vrg::io::npy::write_i8(&args.out, &shape, &values)?;
    } else {
        let h = dbn.up(&values, data.n_rows, level)?;
        let values: Vec<f64> = h.iter().map(|&x| f64::from(x)).collect();
        vrg::io::npy::write_f64(&args.out, &shape, &values)?;
    }
    eprintln!(
        "wrote {}: {} of level {level} for {} rows, shape ({}, {})",
        args.out.display(),
        if args.sample {
            "samples"
        } else {
            "mean activations"
        },
        data.n_rows,
        shape[0],
        shape[1]
    );
    Ok(())
}
