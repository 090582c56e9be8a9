//! `vrg rg couplings`: the effective couplings of a trained RBM's visible
//! marginal (see [`vrg::rg::couplings`]), printed, as JSON, and as figures.

use crate::flags::{CouplingMethodChoice, RgCouplingsArgs};
use crate::output::print_json;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use vrg::rbm::Rbm;
use vrg::rg::couplings::{
    couplings_exact, couplings_gaussian, couplings_monte_carlo, couplings_support, lattice_pairs,
    lattice_triples, CouplingSets, EffectiveCouplings, GaussianOptions, MonteCarloOptions,
    SpinConvention, MAX_EXACT_VISIBLE, MAX_SUPPORT,
};
use vrg_plot::{LinePlot, Series, SeriesStyle};

/// The files `--out DIR` receives.
const OUT_FILES: [&str; 3] = [
    "couplings.json",
    "couplings_by_order.png",
    "pairs_by_distance.png",
];

pub fn run(args: RgCouplingsArgs) -> Result<()> {
    if args.max_order == 0 {
        bail!("invalid --max-order 0: expected at least 1 (1 = fields, 2 = pairs, …)");
    }
    if let Some(d) = args.distance {
        if !(d.is_finite() && d >= 1.0) {
            bail!(
                "invalid --distance {d}: expected a torus distance of at least 1 lattice spacing"
            );
        }
    }
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--model", &args.model);
    if let Some(dir) = &args.out {
        plan.output_dir("--out", dir, OUT_FILES);
    }
    plan.check()?;
    let rbm = crate::inputs::rbm_or_layer(&args.model, args.layer)?;
    let n = rbm.n_visible();
    // Only data units sit on a lattice: above layer 1 the visible units are
    // the hidden units of the layer below, in no spatial order.
    let side = match args.layer {
        Some(layer) if layer > 1 => None,
        _ => square_side(n),
    };
    if let (Some(layer), Some(_), None) = (args.layer, args.distance, side) {
        if layer > 1 {
            bail!(
                "--distance needs visible units on a lattice: the visible units of layer {layer} are \
                 the hidden units of layer {}, which have no lattice order",
                layer - 1
            );
        }
    }
    let method = match args.method {
        CouplingMethodChoice::Auto if n <= MAX_EXACT_VISIBLE => CouplingMethodChoice::Exact,
        CouplingMethodChoice::Auto => CouplingMethodChoice::MonteCarlo,
        m => m,
    };
    let spinner = crate::progress::spinner("effective couplings");
    let couplings = match method {
        CouplingMethodChoice::Exact => couplings_exact(&rbm, args.max_order, args.tolerance)?,
        CouplingMethodChoice::Support => couplings_support(
            &rbm,
            args.max_order,
            args.tolerance,
            args.weight_tolerance,
            MAX_SUPPORT,
        )?,
        CouplingMethodChoice::MonteCarlo | CouplingMethodChoice::Gaussian => {
            let sets = estimated_sets(n, side, args.distance, args.max_order)?;
            if method == CouplingMethodChoice::MonteCarlo {
                let options = MonteCarloOptions {
                    samples: args.samples,
                    seed: args.seed,
                };
                couplings_monte_carlo(&rbm, &sets, &options)?
            } else {
                couplings_gaussian(&rbm, &sets, &GaussianOptions::default())?
            }
        }
        CouplingMethodChoice::Auto => unreachable!("resolved above"),
    };
    spinner.finish_and_clear();
    let document = couplings_json(&args, &rbm, &couplings, side)?;
    print_summary(&args.model, &rbm, &couplings, &document);
    if let Some(dir) = &args.out {
        write_outputs(dir, &couplings, &document, side, args.data_coupling)?;
        eprintln!("wrote couplings.json and figures into {}/", dir.display());
    }
    if args.json {
        print_json(&document)?;
    }
    Ok(())
}

/// L when `n` = L² (the visible units as an L×L torus).
fn square_side(n: usize) -> Option<usize> {
    vrg::rg::lattice_side(n).ok()
}

/// The sets Monte Carlo and the Gaussian approximation estimate: every
/// field, and all pairs, or the lattice pairs (and, from order 3, triples)
/// within `distance`.
fn estimated_sets(
    n: usize,
    side: Option<usize>,
    distance: Option<f64>,
    max_order: usize,
) -> Result<CouplingSets> {
    let Some(distance) = distance else {
        return Ok(if max_order >= 2 {
            CouplingSets::FieldsAndPairs
        } else {
            CouplingSets::Fields
        });
    };
    let Some(side) = side else {
        bail!("--distance needs visible units on an L×L lattice; {n} is not a square");
    };
    let mut sets: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    if max_order >= 2 {
        sets.extend(lattice_pairs(side, distance)?);
    }
    if max_order >= 3 {
        sets.extend(lattice_triples(side, distance)?);
    }
    Ok(CouplingSets::Given(sets))
}

/// The JSON document of `--json` and `couplings.json`: H(s) = −Σ_S K_S Π
/// s_i in the spin convention, the constant under `"sites": []`.
fn couplings_json(
    args: &RgCouplingsArgs,
    rbm: &Rbm,
    c: &EffectiveCouplings,
    side: Option<usize>,
) -> Result<Value> {
    let mut list = vec![json!({"sites": [], "value": c.constant, "stderr": c.constant_stderr})];
    list.extend(
        c.couplings
            .iter()
            .map(|k| json!({"sites": k.spins, "value": k.value, "stderr": k.stderr})),
    );
    let by_distance = match side {
        Some(side) => serde_json::to_value(c.pairs_by_distance(side)?)?,
        None => Value::Null,
    };
    Ok(json!({
        "model": args.model.display().to_string(),
        "layer": args.layer,
        "n_visible": rbm.n_visible(),
        "n_hidden": rbm.n_hidden(),
        "visible_units": rbm.visible_units().to_string(),
        "hidden_units": rbm.hidden_units().to_string(),
        "convention": "spin",
        "hamiltonian": "H(s) = -sum_S K_S prod_{i in S} s_i; the constant K_0 under sites []",
        "visible_as_spins": match c.convention {
            SpinConvention::Bernoulli => "s = 2v - 1",
            SpinConvention::Spin => "s = v",
        },
        "method": c.method,
        "diagnostics": c.diagnostics,
        "by_order": c.strength_by_order(),
        "lattice_side": side,
        "pairs_by_distance": by_distance,
        "data_coupling": args.data_coupling,
        "couplings": list,
    }))
}

fn print_summary(model: &Path, rbm: &Rbm, c: &EffectiveCouplings, doc: &Value) {
    eprintln!(
        "effective couplings of {} ({} {} visible units read as {}, {} {} hidden): method {}, K_∅ = {:.6}",
        model.display(),
        rbm.n_visible(),
        rbm.visible_units(),
        doc["visible_as_spins"].as_str().unwrap_or("?"),
        rbm.n_hidden(),
        rbm.hidden_units(),
        c.method.name(),
        c.constant
    );
    let d = &c.diagnostics;
    if d.dropped > 0 || d.discarded_mass_total > 0.0 {
        eprintln!(
            "dropped {} couplings below |K| = {:e}; discarded weight mass {:.3e} (bounds the error of every coupling)",
            d.dropped, d.tolerance, d.discarded_mass_total
        );
    }
    for o in c.strength_by_order() {
        eprintln!(
            "order {}: {} couplings, mean |K| {:.4e}, rms {:.4e}, max |K| {:.4e}",
            o.order, o.count, o.mean_abs, o.rms, o.max_abs
        );
    }
    if let Some(groups) = doc["pairs_by_distance"].as_array() {
        for g in groups.iter().take(6) {
            eprintln!(
                "pairs at distance {:.3}: {} pairs, mean K {:.5} ± {:.5} (std), max |K| {:.5}",
                g["distance"].as_f64().unwrap_or(f64::NAN),
                g["count"],
                g["mean"].as_f64().unwrap_or(f64::NAN),
                g["std"].as_f64().unwrap_or(f64::NAN),
                g["max_abs"].as_f64().unwrap_or(f64::NAN),
            );
        }
    }
}

fn write_outputs(
    dir: &Path,
    c: &EffectiveCouplings,
    doc: &Value,
    side: Option<usize>,
    data_coupling: Option<f64>,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create --out {}", dir.display()))?;
    crate::output::write_json(&dir.join("couplings.json"), doc)?.commit()?;
    let png = vrg_plot::line_plot(&by_order_plot(c))?;
    vrg_plot::write_png(dir.join("couplings_by_order.png"), &png)?;
    if let Some(side) = side {
        if let Some(plot) = by_distance_plot(c, side, data_coupling)? {
            let png = vrg_plot::line_plot(&plot)?;
            vrg_plot::write_png(dir.join("pairs_by_distance.png"), &png)?;
        }
    }
    Ok(())
}

/// |K_S| of every coupling against its order |S|, with the mean and the
/// largest per order.
pub fn by_order_plot(c: &EffectiveCouplings) -> LinePlot {
    let strength = c.strength_by_order();
    let points: Vec<(f64, f64)> = c
        .couplings
        .iter()
        .map(|k| (k.spins.len() as f64, k.value.abs()))
        .collect();
    let per_order = |f: &dyn Fn(&vrg::rg::couplings::OrderStrength) -> f64| -> Vec<(f64, f64)> {
        strength.iter().map(|o| (o.order as f64, f(o))).collect()
    };
    LinePlot {
        title: format!(
            "Effective couplings by order ({} spins, {})",
            c.n_spins,
            c.method.name()
        ),
        x_label: "order |S| (1 = fields, 2 = pairs, 3 = triples, …)".into(),
        y_label: "|K_S| (dimensionless, H(s) = −Σ K_S Π s_i)".into(),
        width: 900,
        height: 600,
        series: vec![
            Series {
                name: "one coupling".into(),
                points,
                y_errors: None,
                style: SeriesStyle::Points,
            },
            Series {
                name: "mean |K| per order".into(),
                points: per_order(&|o| o.mean_abs),
                y_errors: None,
                style: SeriesStyle::LineAndPoints,
            },
            Series {
                name: "largest |K| per order".into(),
                points: per_order(&|o| o.max_abs),
                y_errors: None,
                style: SeriesStyle::LineAndPoints,
            },
        ],
    }
}

/// Pair couplings K_ij against the torus distance of i and j, with their
/// standard errors where estimated, the mean per distance, and the data's
/// own nearest-neighbour K when given. `None` when there is no pair.
pub fn by_distance_plot(
    c: &EffectiveCouplings,
    side: usize,
    data_coupling: Option<f64>,
) -> Result<Option<LinePlot>> {
    let pairs: Vec<_> = c.couplings.iter().filter(|k| k.spins.len() == 2).collect();
    if pairs.is_empty() {
        return Ok(None);
    }
    let distance = |i: usize, j: usize| {
        let site = |k: usize| ((k / side) as f64, (k % side) as f64);
        vrg::rg::torus_distance(site(i), site(j), side)
    };
    let points: Vec<(f64, f64)> = pairs
        .iter()
        .map(|k| (distance(k.spins[0], k.spins[1]), k.value))
        .collect();
    let errors: Option<Vec<f64>> = pairs.iter().map(|k| k.stderr).collect::<Option<Vec<f64>>>();
    let groups = c.pairs_by_distance(side)?;
    let mut series = vec![
        Series {
            name: "one pair".into(),
            points,
            y_errors: errors,
            style: SeriesStyle::Points,
        },
        Series {
            name: "mean per distance".into(),
            points: groups.iter().map(|g| (g.distance, g.mean)).collect(),
            y_errors: None,
            style: SeriesStyle::LineAndPoints,
        },
    ];
    if let Some(k) = data_coupling {
        series.push(Series {
            name: format!("the data's K = J/T = {k} (nearest neighbours)"),
            points: vec![(0.8, k), (1.2, k)],
            y_errors: None,
            style: SeriesStyle::Line,
        });
    }
    Ok(Some(LinePlot {
        title: format!(
            "Effective pair couplings on the {side}×{side} torus ({})",
            c.method.name()
        ),
        x_label: "distance between the two sites (lattice spacings)".into(),
        y_label: "K_ij (dimensionless, H(s) = −Σ K_ij s_i s_j − …)".into(),
        width: 900,
        height: 600,
        series,
    }))
}
