//! `vrg rg renormalized`: a DBN's flow in coupling space beside Kadanoff's
//! majority rule (see [`vrg::rg::renormalized::dbn_coupling_flow`]).

use crate::flags::RgRenormalizedArgs;
use crate::output::print_json;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use vrg::rg::renormalized::{
    dbn_coupling_flow, flow_direction, Bootstrap, DbnFlow, FitOptions, FlowDirection,
    CRITICAL_COUPLING,
};
use vrg::stats::Estimate;
use vrg_plot::{LinePlot, Series, SeriesStyle};

/// Standard errors a change must exceed to call a flow's direction.
const DIRECTION_Z: f64 = 3.0;

pub fn run(args: RgRenormalizedArgs) -> Result<()> {
    if args.rows < 2 {
        bail!("invalid --rows {}: expected at least 2 rows", args.rows);
    }
    let bootstrap = Bootstrap {
        replicates: args.bootstrap,
        block_length: args.block_length,
        seed: args.seed,
    };
    bootstrap.check()?;
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--model", &args.model)
        .input("--data", &args.data.data);
    if let Some(dir) = &args.out {
        plan.output_dir("--out", dir, ["renormalized.json", "renormalized_flow.png"]);
    }
    plan.check()?;
    let binarize = args.data.binarize()?;
    let dbn = vrg::dbn::file::load_dbn(&args.model)?.dbn;
    let n0 = dbn.sizes()[0];
    let side = vrg::rg::lattice_side(n0).map_err(|_| {
        anyhow::anyhow!(
            "the renormalized couplings need square-lattice data: the DBN's {n0} data units are not L×L"
        )
    })?;
    if args.window == 0 || args.window > side {
        bail!(
            "invalid --window {}: expected a window side from 1 to {side}",
            args.window
        );
    }
    let limit = Some(args.data.limit.map_or(args.rows, |l| l.min(args.rows)));
    let data = crate::inputs::data_for(&dbn, &args.model, &args.data, limit, binarize)?;
    let options = FitOptions {
        zero_field: args.zero_field,
        ..FitOptions::default()
    };
    let spinner = crate::progress::spinner("renormalized couplings (pseudo-likelihood, bootstrap)");
    let flow = dbn_coupling_flow(
        &dbn,
        &data.dense_values(),
        data.n_rows,
        side,
        args.window,
        &options,
        Some(&bootstrap),
        args.seed,
    )?;
    spinner.finish_and_clear();
    let document = flow_json(&args, &flow)?;
    print_flow(&flow);
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --out {}", dir.display()))?;
        crate::output::write_json(&dir.join("renormalized.json"), &document)?.commit()?;
        let png = vrg_plot::line_plot(&flow_plot(&flow, args.data_coupling))?;
        vrg_plot::write_png(dir.join("renormalized_flow.png"), &png)?;
        eprintln!(
            "wrote renormalized.json and renormalized_flow.png into {}/",
            dir.display()
        );
    }
    if args.json {
        print_json(&document)?;
    }
    Ok(())
}

fn nn(fit: &vrg::rg::renormalized::CouplingFit) -> Estimate {
    Estimate {
        mean: fit.couplings.nearest_neighbour,
        error: fit.errors.map_or(f64::NAN, |e| e.nearest_neighbour),
    }
}

fn direction_name(d: FlowDirection) -> &'static str {
    match d {
        FlowDirection::TowardCritical => "toward K_c",
        FlowDirection::AwayFromCritical => "away from K_c",
        FlowDirection::Undecided => "undecided",
    }
}

/// Each level's step from the level below (the data for level 1), for the
/// learned layers and for the majority-rule blocks.
/// A level whose learned units could not be fitted has no direction
/// ("not fitted"), and the next level's learned step starts from the last
/// fitted one.
fn directions(flow: &DbnFlow) -> Vec<(&'static str, &'static str)> {
    let mut learned_from = nn(&flow.data);
    let mut blocks_from = nn(&flow.data);
    flow.levels
        .iter()
        .map(|l| {
            let blocks = nn(&l.majority_rule.fit);
            let learned_direction = match &l.learned {
                Some(fit) => {
                    let learned = nn(fit);
                    let d = direction_name(flow_direction(learned_from, learned, DIRECTION_Z));
                    learned_from = learned;
                    d
                }
                None => "not fitted",
            };
            let d = (
                learned_direction,
                direction_name(flow_direction(blocks_from, blocks, DIRECTION_Z)),
            );
            blocks_from = blocks;
            d
        })
        .collect()
}

fn flow_json(args: &RgRenormalizedArgs, flow: &DbnFlow) -> Result<Value> {
    let mut doc = serde_json::to_value(flow)?;
    let steps: Vec<Value> = directions(flow)
        .into_iter()
        .map(|(learned, blocks)| json!({"learned": learned, "majority_rule": blocks}))
        .collect();
    doc["directions"] = json!(steps);
    doc["critical_coupling"] = json!(CRITICAL_COUPLING);
    doc["model"] = json!(args.model.display().to_string());
    doc["data_file"] = json!(args.data.data.display().to_string());
    doc["data_coupling"] = json!(args.data_coupling);
    doc["hamiltonian"] = json!(
        "H(s) = -h sum_i s_i - K_nn sum_<ij> s_i s_j - K_nnn sum_<<ij>> s_i s_j - K_plaquette sum_[] s_i s_j s_k s_l"
    );
    Ok(doc)
}

fn print_flow(flow: &DbnFlow) {
    let row = |name: String, fit: &vrg::rg::renormalized::CouplingFit| {
        let c = &fit.couplings;
        let e = fit.errors.unwrap_or_default();
        eprintln!(
            "{name:<28} K_nn {:>8.4} ± {:.4}  K_nnn {:>8.4} ± {:.4}  K_□ {:>8.4} ± {:.4}  h {:>8.4} ± {:.4}",
            c.nearest_neighbour,
            e.nearest_neighbour,
            c.next_nearest_neighbour,
            e.next_nearest_neighbour,
            c.plaquette,
            e.plaquette,
            c.field,
            e.field
        );
    };
    eprintln!(
        "renormalized couplings on {} rows of the {L}×{L} lattice (K_c = {CRITICAL_COUPLING:.4}):",
        flow.rows,
        L = flow.lattice_side
    );
    row("data (level 0)".into(), &flow.data);
    for (l, (learned, blocks)) in flow.levels.iter().zip(directions(flow)) {
        let name = format!(
            "level {} ({}×{}, {:.0}% placed)",
            l.level,
            l.side,
            l.side,
            100.0 * l.occupied_fraction
        );
        match &l.learned {
            Some(fit) => row(name, fit),
            None => eprintln!("{name:<28} {}", l.learned_note.as_deref().unwrap_or("")),
        }
        row(
            format!("majority rule {0}×{0} blocks", l.block),
            &l.majority_rule.fit,
        );
        eprintln!("  flow from the level below: learned {learned}, majority rule {blocks}");
    }
    for (level, why) in &flow.skipped {
        eprintln!("level {level} left out: {why}");
    }
}

/// K_nn against level: the data, the learned layers and the majority-rule
/// blocks of the same side, with bootstrap error bars; K_c and the data's
/// own K (when given) as lines.
pub fn flow_plot(flow: &DbnFlow, data_coupling: Option<f64>) -> LinePlot {
    let point = |level: usize, fit: &vrg::rg::renormalized::CouplingFit| {
        let e = nn(fit);
        (
            (level as f64, e.mean),
            if e.error.is_finite() { e.error } else { 0.0 },
        )
    };
    let data = point(0, &flow.data);
    let (learned, learned_err): (Vec<_>, Vec<_>) = std::iter::once(data)
        .chain(
            flow.levels
                .iter()
                .filter_map(|l| l.learned.as_ref().map(|fit| point(l.level, fit))),
        )
        .unzip();
    let (blocks, blocks_err): (Vec<_>, Vec<_>) = std::iter::once(data)
        .chain(
            flow.levels
                .iter()
                .map(|l| point(l.level, &l.majority_rule.fit)),
        )
        .unzip();
    let top = flow.levels.last().map_or(1, |l| l.level) as f64;
    let mut series = vec![
        Series {
            name: "DBN levels (sampled hidden units on the coarse lattice)".into(),
            points: learned,
            y_errors: Some(learned_err),
            style: SeriesStyle::LineAndPoints,
        },
        Series {
            name: "Kadanoff majority-rule blocks of the same side".into(),
            points: blocks,
            y_errors: Some(blocks_err),
            style: SeriesStyle::LineAndPoints,
        },
        Series {
            name: format!("K_c = {CRITICAL_COUPLING:.4}"),
            points: vec![(0.0, CRITICAL_COUPLING), (top, CRITICAL_COUPLING)],
            y_errors: None,
            style: SeriesStyle::Line,
        },
    ];
    if let Some(k) = data_coupling {
        series.push(Series {
            name: format!("the data's K = J/T = {k}"),
            points: vec![(0.0, k), (top, k)],
            y_errors: None,
            style: SeriesStyle::Line,
        });
    }
    let blocks: Vec<String> = flow
        .levels
        .iter()
        .map(|l| format!("{}: {}×{}", l.level, l.block, l.block))
        .collect();
    LinePlot {
        title: "Renormalized nearest-neighbour coupling along the DBN".into(),
        x_label: format!(
            "level (0 = data; block side per level {})",
            blocks.join(", ")
        ),
        y_label: "K_nn (dimensionless, pseudo-likelihood fit)".into(),
        width: 900,
        height: 600,
        series,
    }
}
