//! `vrg rbm …`: training ([`train`]), sampling, transforming data, free
//! energies, ln Z and weight images ([`filters`]) of restricted Boltzmann
//! machines.

use crate::flags::{RbmCommand, RbmEvalArgs, RbmFreeEnergyArgs, RbmSampleArgs, RbmTransformArgs};
use crate::inputs::{check_npy_paths, check_sample_counts, check_writable, model_and_data};
use crate::log_z::estimate_log_z;
use crate::output::write_samples;
use crate::{output, progress};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::io::Write;
use std::time::Instant;
use vrg::rbm::file::load_rbm;

mod filters;
mod train;

/// Rows per call when transforming data or computing free energies, so
/// memory stays bounded for large data sets.
const ROWS_PER_BLOCK: usize = 4096;

/// The most values (rows × units) `sample` holds in one array.
const MAX_SAMPLE_VALUES: usize = 1 << 31;

pub fn run(command: RbmCommand) -> Result<()> {
    match command {
        RbmCommand::Train(args) => train::run(*args),
        RbmCommand::Sample(args) => sample(args),
        RbmCommand::Transform(args) => transform(args),
        RbmCommand::FreeEnergy(args) => free_energy(args),
        RbmCommand::Eval(args) => eval(args),
        RbmCommand::Filters(args) => filters::run(args),
    }
}

fn sample(args: RbmSampleArgs) -> Result<()> {
    check_sample_counts(args.samples, "chain", args.gibbs_steps)?;
    check_npy_paths(&args.model, None, &args.out)?;
    let rbm = load_rbm(&args.model)?.rbm;
    let (n, nv, nh) = (args.samples, rbm.n_visible(), rbm.n_hidden());
    let too_many = |units: usize| {
        n.checked_mul(units)
            .filter(|&v| v <= MAX_SAMPLE_VALUES)
            .is_none()
    };
    if too_many(nv) || too_many(nh) {
        bail!(
            "invalid --samples {n}: {n} chains of {nv} visible and {nh} hidden units exceed {MAX_SAMPLE_VALUES} values; draw fewer per run"
        );
    }
    check_writable(&args.out).context("invalid --out")?;

    let bar = progress::bar(args.gibbs_steps as u64, "Gibbs steps");
    let visible = rbm.sample_chains(n, args.gibbs_steps, args.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let dtype = write_samples(&args.out, [n, nv], &visible, rbm.visible_units())?;
    eprintln!(
        "wrote {}: {n} samples of {nv} {} units after {} Gibbs steps ({dtype})",
        args.out.display(),
        rbm.visible_units(),
        args.gibbs_steps
    );
    Ok(())
}

fn transform(args: RbmTransformArgs) -> Result<()> {
    check_npy_paths(&args.model, Some(&args.data.data), &args.out)?;
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    check_writable(&args.out).context("invalid --out")?;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let mut means = Vec::with_capacity(data.n_rows * nh);
    let mut block = vec![0.0f32; ROWS_PER_BLOCK.min(data.n_rows) * nh];
    data.for_each_chunk(ROWS_PER_BLOCK, |_, rows| {
        let n = rows.len() / nv;
        rbm.mean_hiddens(rows, n, &mut block[..n * nh])?;
        means.extend(block[..n * nh].iter().map(|&h| f64::from(h)));
        Ok::<(), vrg::Error>(())
    })?;
    vrg::io::npy::write_f64(&args.out, &[data.n_rows, nh], &means)?;
    eprintln!(
        "wrote {}: hidden means E[h|v] of {} rows, shape ({}, {nh})",
        args.out.display(),
        data.n_rows,
        data.n_rows
    );
    Ok(())
}

/// H(v) of every row of `data`, [`ROWS_PER_BLOCK`] rows at a time.
fn free_energies(rbm: &vrg::rbm::Rbm, data: &vrg::data::Dataset) -> Result<Vec<f64>> {
    let nv = rbm.n_visible();
    let mut energies = Vec::with_capacity(data.n_rows);
    data.for_each_chunk(ROWS_PER_BLOCK, |_, rows| {
        energies.extend(rbm.free_energy_visible(rows, rows.len() / nv)?);
        Ok::<(), vrg::Error>(())
    })?;
    Ok(energies)
}

fn free_energy(args: RbmFreeEnergyArgs) -> Result<()> {
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    let energies = free_energies(&rbm, &data)?;
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    if args.json {
        return output::print_json(&json!({
            "n_rows": data.n_rows,
            "mean_free_energy": mean,
            "free_energy": energies,
        }));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: mean free energy H(v) = {mean:.6} over {} rows (model {})",
        args.data.data.display(),
        data.n_rows,
        args.model.display()
    )?;
    Ok(())
}

fn eval(args: RbmEvalArgs) -> Result<()> {
    let (rbm, data) = model_and_data(&args.model, &args.data)?;
    let energies = free_energies(&rbm, &data)?;
    let avg_free_energy = energies.iter().sum::<f64>() / energies.len() as f64;
    let start = Instant::now();
    let mut report = estimate_log_z(
        &rbm,
        args.logz,
        &data,
        args.chains,
        args.betas,
        args.seed,
        true,
    )?;
    let log_z = report["log_z"].as_f64().unwrap_or(f64::NAN);
    let stderr = report["log_z_stderr"].as_f64().unwrap_or(f64::NAN);
    let avg_log_likelihood = -avg_free_energy - log_z;
    let fields = report.as_object_mut().expect("an object");
    fields.insert("avg_log_likelihood".into(), json!(avg_log_likelihood));
    fields.insert("avg_log_likelihood_stderr".into(), json!(stderr));
    fields.insert("avg_free_energy".into(), json!(avg_free_energy));
    fields.insert("n_samples".into(), json!(data.n_rows));
    fields.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
    if args.json {
        return output::print_json(&report);
    }
    let mut out = std::io::stdout().lock();
    let method = report["method"].as_str().unwrap_or("?");
    let upper = report["log_z_upper"]
        .as_f64()
        .map_or_else(String::new, |u| {
            format!(
                " (reverse AIS: {u:.4} ± {:.4})",
                report["log_z_upper_stderr"].as_f64().unwrap_or(f64::NAN)
            )
        });
    writeln!(
        out,
        "{}: ln Z = {log_z:.4} ± {stderr:.4} ({method}){upper}; average log-likelihood \
         {avg_log_likelihood:.4} ± {stderr:.4} nats over {} rows (mean free energy {avg_free_energy:.4})",
        args.model.display(),
        data.n_rows,
    )?;
    Ok(())
}
