//! `vrg ising …`.

use crate::flags::{ExactArgs, IsingCommand, MeasureArgs, SampleArgs};
use crate::{output, plots, progress};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::time::Instant;
use vrg::io::sidecar;
use vrg::ising::exact::{
    critical_temperature, kaufman, onsager_energy_per_spin, yang_magnetization,
};
use vrg::ising::{self as lattice, Algorithm, IsingModel, SamplingPlan};

pub fn run(command: IsingCommand) -> Result<()> {
    match command {
        IsingCommand::Sample(args) => sample(args),
        IsingCommand::Exact(args) => exact(args),
        IsingCommand::Measure(args) => measure(args),
    }
}

/// Parses `--temperature`: `T`, `T1,T2,…` or `start:stop:step` (inclusive),
/// where `tc` stands for T_c of `coupling`.
pub fn parse_temperatures(text: &str, coupling: f64) -> Result<Vec<f64>> {
    let malformed = || {
        anyhow::anyhow!(
            "invalid --temperature {text:?}: expected a value (2.269), a list (1.5,2.0,2.269) \
             or a range start:stop:step (1.0:3.5:0.25)"
        )
    };
    let number = |s: &str| -> Result<f64> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("tc") {
            return Ok(critical_temperature(coupling.abs()));
        }
        s.parse::<f64>().map_err(|_| malformed())
    };
    let values = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [start, stop, step] = parts[..] else {
            return Err(malformed());
        };
        let (start, stop, step) = (number(start)?, number(stop)?, number(step)?);
        if !(start.is_finite() && stop.is_finite() && step.is_finite())
            || step <= 0.0
            || stop < start
        {
            bail!("invalid --temperature {text:?}: a range start:stop:step needs finite start ≤ stop and step > 0");
        }
        let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
        if count > 100_000 {
            bail!("invalid --temperature {text:?}: range has {count} temperatures, at most 100000");
        }
        (0..count).map(|i| start + i as f64 * step).collect()
    } else {
        text.split(',').map(number).collect::<Result<Vec<f64>>>()?
    };
    if values.is_empty() {
        return Err(malformed());
    }
    for &t in &values {
        if !(t.is_finite() && t > 0.0) {
            bail!("invalid --temperature {t}: expected finite temperatures T > 0");
        }
    }
    Ok(values)
}

fn exact_block(model: &IsingModel) -> Value {
    if model.field != 0.0 || model.coupling <= 0.0 {
        return Value::Null;
    }
    match kaufman(model.size, model.size, model.temperature, model.coupling) {
        Ok(k) => json!({
            "energy_per_spin": k.energy_per_spin,
            "specific_heat_per_spin": k.specific_heat_per_spin,
            "free_energy_per_spin": k.free_energy_per_spin,
            "log_z_per_spin": k.log_z_per_spin,
            "onsager_energy_per_spin": onsager_energy_per_spin(model.temperature, model.coupling).ok(),
            "onsager_magnetization": yang_magnetization(model.temperature, model.coupling).ok(),
        }),
        Err(_) => Value::Null,
    }
}

fn sample(args: SampleArgs) -> Result<()> {
    let started = Instant::now();
    let temperatures = parse_temperatures(&args.temperature, args.hamiltonian.coupling)?;
    let algorithm = args.algorithm;
    let models = temperatures
        .iter()
        .map(|&t| {
            IsingModel::new(
                args.size,
                args.hamiltonian.coupling,
                args.hamiltonian.field,
                t,
            )
        })
        .collect::<vrg::Result<Vec<_>>>()?;
    let plan = SamplingPlan {
        samples: args.samples,
        sweeps: args.sweeps,
        burn_in: args.burn_in,
        algorithm,
    };
    plan.check()?;
    for model in &models {
        if algorithm == Algorithm::Wolff {
            // Reject Wolff's preconditions before any work.
            lattice::wolff::check_preconditions(model)?;
        }
    }
    if args.out.extension().and_then(|e| e.to_str()) != Some("npy") {
        bail!(
            "invalid --out {}: expected a path ending in .npy",
            args.out.display()
        );
    }
    if let Some(plot) = &args.plot {
        if plot.extension().and_then(|e| e.to_str()) != Some("png") {
            bail!(
                "invalid --plot {}: expected a path ending in .png",
                plot.display()
            );
        }
        let mut distinct = temperatures.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.len() < 2 {
            bail!(
                "invalid --plot {}: a curve needs at least 2 temperatures, --temperature {:?} gives {}",
                plot.display(),
                args.temperature,
                distinct.len()
            );
        }
    }
    let n = args.size * args.size;
    let total_rows = vrg::memory::check_product(
        || {
            format!(
                "--samples {} × {} temperatures × {n} spins",
                args.samples,
                models.len()
            )
        },
        &[args.samples, models.len(), n],
        1,
    )? / n;
    // Check both outputs before any work: a bad --out fails now, and nothing
    // appears at the target paths unless the run completes.
    vrg::io::PathPlan::new()
        .output("--out", &args.out)
        .output("--out's sidecar", sidecar::path_for(&args.out))
        .output_if("--plot", args.plot.as_deref())
        .check()?;
    let npy_out = vrg::io::AtomicFile::create(&args.out).context("invalid --out")?;
    drop(npy_out);
    vrg::io::atomic::check_writable_target(&sidecar::path_for(&args.out))
        .context("invalid --out")?;
    if let Some(plot) = &args.plot {
        vrg::io::atomic::check_writable_target(plot).context("invalid --plot")?;
    }

    let mut spins = vec![0i8; total_rows * n];
    let bar = progress::bar(plan.total_sweeps() * models.len() as u64, "sweeps");
    let results =
        lattice::run_temperatures(&models, &plan, args.seed, Some(&mut spins), &|done| {
            bar.inc(done)
        })?;
    bar.finish_and_clear();

    let blocks: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "temperature": r.model.temperature,
                "rows": [i * args.samples, (i + 1) * args.samples],
                "algorithm": r.algorithm,
                "observables": r.observables,
                "exact": exact_block(&r.model),
            })
        })
        .collect();
    let file_name = args
        .out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned());
    let sidecar_json = json!({
        "vrg_version": env!("CARGO_PKG_VERSION"),
        "command": "ising sample",
        "data_file": file_name,
        "shape": [total_rows, args.size, args.size],
        "dtype": "int8",
        "parameters": {
            "size": args.size,
            "coupling": args.hamiltonian.coupling,
            "field": args.hamiltonian.field,
            "temperatures": temperatures,
            "samples": args.samples,
            "sweeps": args.sweeps,
            "burn_in": args.burn_in,
            "algorithm": algorithm,
            "seed": args.seed,
            "threads": rayon::current_num_threads(),
        },
        "blocks": blocks,
        "seconds": started.elapsed().as_secs_f64(),
    });
    // The figure is drawn before anything is committed: a drawing error
    // leaves no output behind.
    let figure = match &args.plot {
        Some(_) => Some(
            vrg_plot::panels(&plots::ising_scan(&results), plots::COLUMNS)
                .context("cannot draw --plot")?,
        ),
        None => None,
    };
    // The pair is committed as a unit: both written in full, then renamed.
    let npy_file = vrg::io::npy::prepare(&args.out, &[total_rows, args.size, args.size], &spins)?;
    let json_file = output::write_json(&sidecar::path_for(&args.out), &sidecar_json)?;
    vrg::io::atomic::commit_all(vec![npy_file, json_file])?;

    for r in &results {
        let o = &r.observables;
        eprintln!(
            "T = {:<8.5} {:<10} e = {:.6} ± {:.6}  |m| = {:.5} ± {:.5}  c = {:.4} ± {:.4}  τ_e = {:.1} sweeps{}",
            r.model.temperature,
            format!("{:?}", r.algorithm).to_lowercase(),
            o.energy_per_spin.mean,
            o.energy_per_spin.error,
            o.abs_magnetization.mean,
            o.abs_magnetization.error,
            o.specific_heat.mean,
            o.specific_heat.error,
            o.autocorrelation_time.energy,
            if o.converged { "" } else { "  (error bars not converged: run longer)" }
        );
    }
    eprintln!(
        "wrote {} and {}",
        args.out.display(),
        sidecar::path_for(&args.out).display()
    );
    if let (Some(plot), Some(figure)) = (&args.plot, figure) {
        vrg_plot::write_png(plot, &figure)?;
        eprintln!("wrote {}", plot.display());
    }
    Ok(())
}

fn exact(args: ExactArgs) -> Result<()> {
    let temperatures = parse_temperatures(&args.temperature, args.coupling)?;
    let mut objects = Vec::new();
    if !(args.coupling.is_finite() && args.coupling > 0.0) {
        bail!(
            "invalid --coupling {}: expected a ferromagnetic J > 0 for the exact solution",
            args.coupling
        );
    }
    for &t in &temperatures {
        IsingModel::new(args.size, args.coupling, 0.0, t)?;
        let k = kaufman(args.size, args.size, t, args.coupling)?;
        objects.push(json!({
            "size": args.size,
            "temperature": t,
            "coupling": args.coupling,
            "energy_per_spin": k.energy_per_spin,
            "specific_heat_per_spin": k.specific_heat_per_spin,
            "free_energy_per_spin": k.free_energy_per_spin,
            "log_z_per_spin": k.log_z_per_spin,
            "onsager_energy_per_spin": onsager_energy_per_spin(t, args.coupling)?,
            "onsager_magnetization": yang_magnetization(t, args.coupling)?,
            "critical_temperature": critical_temperature(args.coupling),
        }));
    }
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for o in &objects {
            serde_json::to_writer(&mut out, o)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}×{} torus, J = {}, T_c = {:.12}\n  (finite lattice: Kaufman 1949; infinite lattice: Onsager 1944, Yang 1952)",
        args.size,
        args.size,
        args.coupling,
        critical_temperature(args.coupling)
    )?;
    writeln!(
        out,
        "{:>10} {:>18} {:>18} {:>18} {:>18} {:>18} {:>14}",
        "T",
        "energy/spin",
        "spec.heat/spin",
        "free energy/spin",
        "ln Z/spin",
        "Onsager e",
        "Yang m"
    )?;
    for o in &objects {
        let f = |k: &str| o[k].as_f64().unwrap_or(f64::NAN);
        writeln!(
            out,
            "{:>10.6} {:>18.12} {:>18.12} {:>18.12} {:>18.12} {:>18.12} {:>14.10}",
            f("temperature"),
            f("energy_per_spin"),
            f("specific_heat_per_spin"),
            f("free_energy_per_spin"),
            f("log_z_per_spin"),
            f("onsager_energy_per_spin"),
            f("onsager_magnetization")
        )?;
    }
    Ok(())
}

fn measure(args: MeasureArgs) -> Result<()> {
    // A sidecar that is present must be valid (vrg::io::sidecar).
    let meta_path = sidecar::path_for(&args.data);
    let meta = sidecar::read(&meta_path)?;
    let sidecar_name = meta_path.display().to_string();
    let size_origin = format!("{sidecar_name} (parameters.size)");
    let lattice = match (args.lattice, &meta) {
        (Some(l), _) => Some((l, "--lattice")),
        (None, Some(m)) => m.size.map(|l| (l, size_origin.as_str())),
        (None, None) => None,
    };
    let configurations = lattice::configurations::read(&args.data, lattice)?;
    // The Hamiltonian: flags, else the sidecar, else J = 1, h = 0; a value
    // from the sidecar is named as such when it is invalid.
    let from_sidecar = |key: &str| format!("{sidecar_name} (parameters.{key})");
    let (coupling, coupling_origin) = match (args.coupling, meta.as_ref().and_then(|m| m.coupling))
    {
        (Some(j), _) => (j, "--coupling".to_string()),
        (None, Some(j)) => (j, from_sidecar("coupling")),
        (None, None) => (1.0, "the default coupling".to_string()),
    };
    let (field, field_origin) = match (args.field, meta.as_ref().and_then(|m| m.field)) {
        (Some(h), _) => (h, "--field".to_string()),
        (None, Some(h)) => (h, from_sidecar("field")),
        (None, None) => (0.0, "the default field".to_string()),
    };
    // Blocks of rows with their temperature: from the sidecar, unless
    // --temperature is given.
    let mut blocks: Vec<(Option<f64>, usize, usize, String)> = Vec::new();
    if let (None, Some(meta)) = (args.temperature, &meta) {
        meta.check_rows(&meta_path, &args.data, configurations.rows)?;
        for (i, b) in meta.blocks.iter().enumerate() {
            blocks.push((
                Some(b.temperature),
                b.start,
                b.end,
                format!("{sidecar_name} (blocks[{i}].temperature)"),
            ));
        }
    }
    if blocks.is_empty() {
        blocks.push((
            args.temperature,
            0,
            configurations.rows,
            "--temperature".to_string(),
        ));
    }
    let n = configurations.size * configurations.size;
    let mut results = Vec::new();
    for (temperature, start, end, temperature_origin) in &blocks {
        let t = temperature.unwrap_or(1.0);
        for (value, name, origin, ok) in [
            (
                t,
                "temperature",
                temperature_origin,
                t.is_finite() && t > 0.0,
            ),
            (
                coupling,
                "coupling",
                &coupling_origin,
                coupling.is_finite() && coupling != 0.0,
            ),
            (field, "field", &field_origin, field.is_finite()),
        ] {
            if !ok && !origin.starts_with("--") {
                bail!("{origin}: invalid {name} {value}");
            }
        }
        let model = IsingModel::new(configurations.size, coupling, field, t)?;
        let observables =
            lattice::measure_configurations(&model, &configurations.spins[start * n..end * n])?;
        results.push(json!({
            "temperature": temperature,
            "rows": [start, end],
            "observables": observables,
        }));
    }
    let report = json!({
        "data_file": args.data.display().to_string(),
        "size": configurations.size,
        "configurations": configurations.rows,
        "coupling": coupling,
        "field": field,
        "blocks": results,
    });
    if args.json {
        return output::print_json(&report);
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} configurations of {}×{}, J = {coupling}, h = {field}",
        args.data.display(),
        configurations.rows,
        configurations.size,
        configurations.size
    )?;
    for block in &results {
        let t = block["temperature"].as_f64();
        writeln!(
            out,
            "rows {}..{}  T = {}",
            block["rows"][0],
            block["rows"][1],
            t.map_or(
                "unknown (c and χ at T = 1; pass --temperature)".to_string(),
                |t| t.to_string()
            )
        )?;
        let o = &block["observables"];
        for key in [
            "energy_per_spin",
            "magnetization",
            "abs_magnetization",
            "magnetization_squared",
            "magnetization_fourth",
            "specific_heat",
            "susceptibility",
            "binder_cumulant",
        ] {
            writeln!(
                out,
                "  {key:<22} {:>14.8} ± {:.8}",
                o[key]["mean"].as_f64().unwrap_or(f64::NAN),
                o[key]["error"].as_f64().unwrap_or(f64::NAN)
            )?;
        }
        writeln!(
            out,
            "  τ_int (configurations): energy {:.2}, |m| {:.2}",
            o["autocorrelation_time"]["energy"]
                .as_f64()
                .unwrap_or(f64::NAN),
            o["autocorrelation_time"]["abs_magnetization"]
                .as_f64()
                .unwrap_or(f64::NAN)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_temperatures;

    #[test]
    fn temperature_syntax() {
        assert_eq!(parse_temperatures("2.5", 1.0).unwrap(), vec![2.5]);
        assert_eq!(parse_temperatures("1.5,2.0", 1.0).unwrap(), vec![1.5, 2.0]);
        let range = parse_temperatures("1.0:2.0:0.25", 1.0).unwrap();
        assert_eq!(range.len(), 5);
        assert!((range[4] - 2.0).abs() < 1e-12);
        assert!((parse_temperatures("tc", 1.0).unwrap()[0] - 2.269185314213022).abs() < 1e-12);
        for bad in [
            "", "1.0:2.0", "a", "1:2:0", "2:1:0.1", "1,,2", "-1", "nan", "1:2:x", "inf",
        ] {
            assert!(parse_temperatures(bad, 1.0).is_err(), "{bad:?} accepted");
        }
    }
}
