//! `vrg rg flow`: iterate a trained RBM's map v → h → v′ on many chains and
//! read where the configurations go (see [`vrg::rg::flow`]).

use crate::flags::RgFlowArgs;
use crate::flows::{self, StartSpec};
use crate::output::print_json;
use anyhow::{bail, Context, Result};
use serde_json::json;
use vrg::rg::flow::FlowOptions;

pub fn run(args: RgFlowArgs) -> Result<()> {
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    if args.chains == 0 {
        bail!("invalid --chains 0: expected at least 1 chain per start");
    }
    if args.steps == 0 {
        bail!("invalid --steps 0: expected at least 1 step");
    }
    if args.curve_sweeps == 0 {
        bail!("invalid --curve-sweeps 0: expected at least 1 sweep per temperature");
    }
    let specs = flows::parse_starts(&args.starts)?;
    let save_steps = args
        .save_steps
        .clone()
        .unwrap_or_else(|| vec![0, args.steps]);
    if let Some(bad) = save_steps.iter().find(|&&k| k > args.steps) {
        bail!(
            "invalid --save-steps {bad}: expected steps from 0 to --steps {}",
            args.steps
        );
    }
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--model", &args.model);
    for spec in &specs {
        if let StartSpec::File(path) = spec {
            plan.input("--starts", path);
        }
    }
    plan.output_dir("--out", &args.out, ["flow.json", "flow.png"]);
    for spec in &specs {
        for &k in &save_steps {
            plan.output("--out", flows::saved_file(&args.out, &spec.name(), k));
        }
    }
    plan.check()?;

    if let Some(layer) = args.layer.filter(|&l| l > 1) {
        bail!(
            "invalid --layer {layer}: a flow moves lattice configurations, and only layer 1's visible units are the lattice's sites (layer {layer}'s are layer {}'s hidden units)",
            layer - 1
        );
    }
    let rbm = crate::inputs::rbm_or_layer(&args.model, args.layer)?;
    let n = rbm.n_visible();
    let side = match args.lattice {
        Some(l) => l,
        None => vrg::rg::lattice_side(n).map_err(|_| {
            anyhow::anyhow!(
                "--model {}: its {n} visible units are not an L×L lattice (give --lattice L if they are)",
                args.model.display()
            )
        })?,
    };
    if side.checked_mul(side) != Some(n) {
        bail!(
            "invalid --lattice {side}: the model {} has {n} visible units, not {side}² = {}",
            args.model.display(),
            side.saturating_mul(side)
        );
    }
    let starts = flows::load_starts(&specs, side)?;
    let options = FlowOptions {
        chains: args.chains,
        steps: args.steps,
        mean_field: args.mean_field,
        save_steps,
        seed: args.seed,
    };
    let curve = flows::magnetization_curve(side, args.curve_sweeps, args.seed)?;
    let (flows_run, readings) =
        flows::run_and_read(&rbm, side, &starts, &options, Some(&curve), "flow steps")?;
    for reading in &readings {
        println!("{}", flows::describe(reading));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create --out {}", args.out.display()))?;
    let saved = flows::write_saved(&args.out, &flows_run, side)?;
    let png = flows::flow_figure(&readings, &format!("{side}×{side}"))?;
    vrg_plot::write_png(args.out.join("flow.png"), &png)?;
    let document = json!({
        "lattice": side,
        "model": args.model.display().to_string(),
        "visible_units": rbm.visible_units().name(),
        "hidden_units": rbm.hidden_units().name(),
        "n_hidden": rbm.n_hidden(),
        "mean_field": args.mean_field,
        "chains": args.chains,
        "steps": args.steps,
        "seed": args.seed,
        "critical_temperature": vrg::ising::exact::critical_temperature(1.0),
        "magnetization_curve": curve,
        "flows": readings,
        "run": crate::report::run_record(started, clock.elapsed().as_secs_f64()),
    });
    crate::output::write_json(&args.out.join("flow.json"), &document)?.commit()?;
    eprintln!(
        "wrote flow.json, flow.png and {} configuration file{} into {}/",
        saved.len(),
        if saved.len() == 1 { "" } else { "s" },
        args.out.display()
    );
    if args.json {
        print_json(&document)?;
    }
    Ok(())
}
