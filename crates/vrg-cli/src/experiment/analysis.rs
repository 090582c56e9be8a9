//! `vrg dbn analyze`: the RG analysis of a trained DBN, as figures and
//! `summary.json` in a directory.

use crate::experiment::config::ExperimentConfig;
use crate::experiment::dbn_figures::{self, Figure};
use crate::experiment::plan::logz_options;
use crate::output::write_json;
use crate::progress;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use vrg::data::Dataset;
use vrg::dbn::Dbn;
use vrg::rbm::VisibleUnits;
use vrg::rg::{analyze_dbn, block_spin_figure, level_observables, AnalysisOptions, DbnAnalysis};

/// Settings of one analysis run, resolved from flags and config.
pub struct AnalysisRun {
    pub options: AnalysisOptions,
    /// Configurations generated for the figure (0: none).
    pub generate: usize,
    /// Free energies already known (from training): used instead of
    /// estimating ln Z again.
    pub known_free_energies: Option<Vec<vrg::dbn::LayerFreeEnergy>>,
    /// What the free energies in the summary were measured on.
    pub free_energies_note: &'static str,
    pub gibbs_steps: usize,
}

/// The files [`analyze_into`] writes for a DBN with `levels` hidden levels
/// (and `generate` generated configurations); `free_energies.png` only when
/// there are free energies.
pub fn output_files(levels: usize, generate: usize) -> Vec<String> {
    let mut names: Vec<String> = (1..=levels)
        .map(|l| format!("receptive_fields_level{l}.png"))
        .collect();
    names.extend(
        [
            "field_sizes.png",
            "free_energies.png",
            "reconstructions.png",
            "block_spins.png",
        ]
        .map(String::from),
    );
    if generate > 0 {
        names.push("generated.png".into());
    }
    names.extend(["layers.csv", "summary.json"].map(String::from));
    names
}

/// The output directory `--out`, built under a temporary name beside it
/// and moved into place by [`vrg::io::atomic::OutputDir::commit`].
pub fn create_output_dir(dir: &Path) -> Result<vrg::io::atomic::OutputDir> {
    vrg::io::atomic::OutputDir::create(dir).context("invalid --out")
}

/// Writes `figure` into `dir` and records it in `figures` (key → file) and
/// `captions` (key → caption) of `summary.json`.
pub fn write_figure(
    figure: &Figure,
    dir: &Path,
    figures: &mut serde_json::Map<String, Value>,
    captions: &mut serde_json::Map<String, Value>,
) -> Result<()> {
    figure.write(dir)?;
    figures.insert(figure.key.clone(), json!(figure.file));
    captions.insert(figure.key.clone(), json!(figure.caption));
    Ok(())
}

/// Runs the analysis of `dbn` on `data` and writes the figures,
/// `layers.csv` and `summary.json` (with `extra` merged in) into `dir`.
/// `best_log_likelihood_per_spin`, when known (the exact Ising entropy
/// bound −s of `vrg demo`), is drawn beside layer 1's log-likelihood.
/// Returns the summary.
pub fn analyze_into(
    dbn: &Dbn,
    data: &Dataset,
    run: &AnalysisRun,
    dir: &Path,
    extra: Value,
    best_log_likelihood_per_spin: Option<f64>,
) -> Result<Value> {
    let n0 = dbn.sizes()[0];
    let side = vrg::rg::lattice_side(n0).map_err(|_| {
        anyhow::anyhow!(
            "the RG analysis needs square-lattice data: the DBN's {n0} data units are not L×L"
        )
    })?;
    let spinner = progress::spinner("analysis");
    let mut options = run.options.clone();
    if run.known_free_energies.is_some() {
        options.logz = None;
    }
    let mut analysis = analyze_dbn(dbn, data, side, &options, &|what| {
        spinner.set_message(format!("analysis: {what}"))
    })?;
    if let Some(known) = &run.known_free_energies {
        analysis.free_energies = known.clone();
    }
    spinner.set_message("analysis: figures");
    let mut figures = serde_json::Map::new();
    let mut captions = serde_json::Map::new();
    let bernoulli_data = dbn.layers()[0].visible_units() == VisibleUnits::Bernoulli;
    let mut drawn: Vec<Figure> = (1..=analysis.receptive_fields.len())
        .map(|level| dbn_figures::receptive_fields(&analysis, level))
        .collect();
    drawn.push(dbn_figures::field_sizes(&analysis));
    drawn.extend(dbn_figures::free_energies(
        &analysis.free_energies,
        best_log_likelihood_per_spin,
    ));

    // Reconstructions from every level beside the input.
    let examples = data.n_rows.min(8);
    let depth = dbn.layers().len();
    let inputs = data.rows_f32(0..examples);
    let inputs = &inputs[..];
    let mut columns = vec![inputs.to_vec()];
    for level in 1..=depth {
        columns.push(dbn.reconstruct(inputs, examples, level)?);
    }
    drawn.push(dbn_figures::reconstructions(
        &columns,
        examples,
        side,
        bernoulli_data,
    ));

    // Block spins beside hidden activations placed at their centres
    // (vrg::rg::block_spin_figure).
    let block_levels: Vec<(usize, usize)> = analysis
        .levels
        .iter()
        .filter_map(|l| l.block_spins.as_ref().map(|b| (l.level, b.block)))
        .collect();
    let block_spins = block_spin_figure(dbn, data, &analysis, 4)?;
    drawn.push(dbn_figures::block_spins(&block_spins, &block_levels, side));

    // Generated configurations.
    let spin = |v: f32, bernoulli: bool| if bernoulli { 2.0 * v - 1.0 } else { v };
    let mut generated_summary = Value::Null;
    if run.generate > 0 {
        spinner.set_message("analysis: generating");
        let samples = dbn.generate(run.generate, run.gibbs_steps, run.options.seed, &|| {})?;
        drawn.push(dbn_figures::generated(
            &samples,
            run.generate,
            side,
            run.gibbs_steps,
            bernoulli_data,
        ));
        if run.generate >= 2 {
            let spins: Vec<f32> = samples.iter().map(|&v| spin(v, bernoulli_data)).collect();
            let sites: Vec<(f64, f64)> = (0..n0)
                .map(|i| ((i / side) as f64, (i % side) as f64))
                .collect();
            let observed = level_observables(&spins, run.generate, &sites, side)?;
            generated_summary = json!({
                "samples": run.generate,
                "gibbs_steps": run.gibbs_steps,
                "observables": observed,
            });
        }
    }
    spinner.set_message("analysis: drawing figures");
    for figure in &drawn {
        write_figure(figure, dir, &mut figures, &mut captions)?;
    }
    spinner.finish_and_clear();

    write_layers_csv(&dir.join("layers.csv"), &analysis)?;
    figures.insert("layers_csv".into(), json!("layers.csv"));
    let mut summary = summary_json(&analysis, run);
    summary["generated"] = generated_summary;
    summary["figures"] = Value::Object(figures);
    summary["captions"] = Value::Object(captions);
    if let (Some(target), Value::Object(more)) = (summary.as_object_mut(), extra) {
        for (k, v) in more {
            target.insert(k, v);
        }
    }
    write_json(&dir.join("summary.json"), &summary)?.commit()?;
    Ok(summary)
}

fn summary_json(analysis: &DbnAnalysis, run: &AnalysisRun) -> Value {
    let radii: Vec<f64> = analysis
        .levels
        .iter()
        .filter_map(|l| l.locality.as_ref().map(|s| s.median_radius))
        .collect();
    let ratios: Vec<f64> = analysis
        .levels
        .iter()
        .filter_map(|l| l.locality.as_ref().map(|s| s.median_participation_ratio))
        .collect();
    let dead: Vec<usize> = analysis.levels[1..].iter().map(|l| l.dead_units).collect();
    let first = analysis.levels.get(1).and_then(|l| l.locality.as_ref());
    json!({
        "lattice_side": analysis.lattice_side,
        "rows": analysis.rows,
        "window": run.options.window,
        "receptive_fields": {
            "first_layer_median_mass_fraction": first.map(|s| s.median_mass_fraction),
            "median_radius_by_level": radii,
            "median_participation_ratio_by_level": ratios,
            "dead_units_by_level": dead,
            "radius_grows_with_depth": analysis.radius_grows_with_depth,
        },
        "levels": analysis.levels,
        "free_energies": analysis.free_energies,
        "free_energies_note": run.free_energies_note,
    })
}

fn write_layers_csv(path: &Path, analysis: &DbnAnalysis) -> Result<()> {
    use std::io::Write;
    let mut file = vrg::io::AtomicFile::create(path)?;
    let io = |e| anyhow::anyhow!("{}: cannot write: {e}", path.display());
    writeln!(file, "level,n_units,median_mass_fraction,median_radius,magnetisation,nearest_neighbour_correlation,block,median_abs_block_correlation,reconstruction_error,log_z,log_z_stderr,free_energy_per_unit,delta_free_energy_per_unit").map_err(io)?;
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    for level in &analysis.levels {
        // Layer l − 1's figures describe the step into level l.
        let f = level
            .level
            .checked_sub(1)
            .and_then(|l| analysis.free_energies.get(l));
        writeln!(
            file,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            level.level,
            level.n_units,
            opt(level.locality.as_ref().map(|s| s.median_mass_fraction)),
            opt(level.locality.as_ref().map(|s| s.median_radius)),
            level.observables.magnetisation,
            level.observables.nearest_neighbour_correlation,
            level
                .block_spins
                .as_ref()
                .map_or(String::new(), |b| b.block.to_string()),
            opt(level.block_spins.as_ref().map(|b| b.median_abs_correlation)),
            level.reconstruction_error,
            opt(f.map(|f| f.log_z)),
            opt(f.map(|f| f.log_z_stderr)),
            opt(f.map(|f| f.free_energy_per_unit)),
            opt(f.and_then(|f| f.delta_free_energy_per_unit)),
        )
        .map_err(io)?;
    }
    file.commit()?;
    Ok(())
}

/// The analysis settings from flags over the config's `[analysis]` table.
pub fn analysis_run(
    flags: &crate::flags::AnalysisFlags,
    config: &ExperimentConfig,
) -> Result<AnalysisRun> {
    let window = flags.window.or(config.analysis.window).unwrap_or(4);
    if window == 0 {
        bail!("invalid --window 0: expected a window side of at least 1");
    }
    let gibbs_steps = flags
        .gibbs_steps
        .or(config.analysis.gibbs_steps)
        .unwrap_or(1000);
    let generate = flags.generate.or(config.analysis.generate).unwrap_or(64);
    let mcrg_jackknife = flags
        .mcrg_jackknife
        .or(config.analysis.mcrg_jackknife)
        .unwrap_or(10);
    if mcrg_jackknife < 2 {
        bail!("invalid --mcrg-jackknife {mcrg_jackknife}: expected at least 2 jackknife blocks");
    }
    if generate > 0 && gibbs_steps == 0 {
        bail!("invalid --gibbs-steps 0: expected at least 1 step");
    }
    Ok(AnalysisRun {
        options: AnalysisOptions {
            window,
            logz: logz_options(&flags.logz, config, flags.seed)?,
            seed: flags.seed,
            mcrg_jackknife,
        },
        generate,
        gibbs_steps,
        known_free_energies: None,
        free_energies_note: ANALYSED_DATA_NOTE,
    })
}

/// What `vrg dbn analyze`'s free energies are measured on.
const ANALYSED_DATA_NOTE: &str =
    "per layer l, on the analysed rows propagated up by the mean-field pass: \
ln Z_l of the layer's RBM, f_l = -ln Z_l / n_visible, the changes to the layer below, \
mean_free_energy = <H_l(v)> and log_likelihood = -<H_l(v)> - ln Z_l (see vrg::dbn::free_energy)";

/// What the free energies recorded during training are measured on.
pub const TRAINING_DATA_NOTE: &str = "per layer l, after it was trained, on its training inputs \
(mean_free_energy, log_likelihood) and held-out inputs (…_validation), propagated up by the \
mean-field pass: ln Z_l of the layer's RBM, f_l = -ln Z_l / n_visible, the changes to the layer \
below (see vrg::dbn::free_energy)";

/// Prints the headline numbers of a summary.
pub fn print_headlines(summary: &Value, dir: &Path) {
    let rf = &summary["receptive_fields"];
    eprintln!(
        "receptive fields: first-layer median mass fraction in the best {w}×{w} window {:.3}; median radius by level {}; grows with depth: {}",
        rf["first_layer_median_mass_fraction"].as_f64().unwrap_or(f64::NAN),
        rf["median_radius_by_level"],
        rf["radius_grows_with_depth"],
        w = summary["window"],
    );
    if let Some(levels) = summary["levels"].as_array() {
        for l in levels {
            let block =
                l["block_spins"]["median_abs_correlation"]
                    .as_f64()
                    .map_or(String::new(), |c| {
                        format!(
                            ", median |corr| with its {0}×{0} block spin {c:.3}",
                            l["block_spins"]["block"]
                        )
                    });
            let mcrg = &l["mcrg"];
            let exponents = |which: &str| {
                let e = &mcrg[which];
                let f = |k: &str| e[k].as_f64().unwrap_or(f64::NAN);
                e.is_object().then(|| {
                    format!(
                        "{which} y_T = {:.3} ± {:.3}, y_H = {:.3} ± {:.3}",
                        f("y_t"),
                        f("y_t_err"),
                        f("y_h"),
                        f("y_h_err")
                    )
                })
            };
            let mcrg_line = if mcrg.is_object() {
                let parts: Vec<String> = ["learned", "majority"]
                    .into_iter()
                    .filter_map(exponents)
                    .chain(mcrg["reason"].as_str().map(|r| format!("({r})")))
                    .collect();
                let step = match (mcrg["from_level"].as_u64(), mcrg["block"].as_u64()) {
                    (Some(from), Some(b)) => format!(" from level {from}, b = {b}"),
                    _ => String::new(),
                };
                let assignment = match (
                    mcrg["mean_abs_correlation"].as_f64(),
                    mcrg["min_abs_correlation"].as_f64(),
                    mcrg["best_block_fraction"].as_f64(),
                ) {
                    (Some(mean), Some(min), Some(best)) => format!(
                        "\n  units assigned one-to-one to blocks: |corr| mean {mean:.3}, \
                         min {min:.3}; {:.0}% on their best-matching block",
                        100.0 * best
                    ),
                    _ => String::new(),
                };
                format!("{assignment}\n  MCRG{step}: {}", parts.join("; "))
            } else {
                String::new()
            };
            eprintln!(
                "level {} ({} units): |m| = {:.3}, nearest-neighbour ⟨s s'⟩ = {:.3}{block}{mcrg_line}",
                l["level"],
                l["n_units"],
                l["observables"]["magnetisation"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
                l["observables"]["nearest_neighbour_correlation"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            );
        }
    }
    if let Some(free) = summary["free_energies"].as_array() {
        for f in free {
            eprintln!(
                "layer {}: ln Z = {:.3} ± {:.3} ({}), f = −ln Z/n = {:.4}, Δf = {}",
                f["layer"].as_u64().unwrap_or(0) + 1,
                f["log_z"].as_f64().unwrap_or(f64::NAN),
                f["log_z_stderr"].as_f64().unwrap_or(f64::NAN),
                f["log_z_method"].as_str().unwrap_or("?"),
                f["free_energy_per_unit"].as_f64().unwrap_or(f64::NAN),
                f["delta_free_energy_per_unit"]
                    .as_f64()
                    .map_or("—".into(), |d| format!("{d:+.4}")),
            );
        }
    }
    eprintln!("figures and summary.json in {}/", dir.display());
}
