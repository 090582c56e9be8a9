//! The report of a run directory (`vrg demo`, `vrg dbn analyze`): its
//! `summary.json` in tables, its figures with their captions.

use super::{format_number, run_rows, Block, Cell, Figure, Report, Section, Table};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::Path;

/// The report's file name inside a run directory.
pub const REPORT_FILE: &str = "report.html";

/// Largest `summary.json` read.
const MAX_SUMMARY_BYTES: u64 = 64 << 20;

/// Reads `dir/summary.json` and the PNG figures it lists.
///
/// # Errors
/// When `dir` or its summary cannot be read, the summary is not a JSON
/// object, or a listed figure is missing or not a PNG (each error names
/// the file).
pub fn report_for_run_dir(dir: &Path) -> Result<Report> {
    let meta = std::fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a directory: expected the output directory of vrg demo or vrg dbn analyze",
            dir.display()
        );
    }
    let path = dir.join("summary.json");
    if !path.exists() {
        bail!(
            "{}: no summary.json: expected the output directory of vrg demo or vrg dbn analyze",
            dir.display()
        );
    }
    let bytes = vrg::io::limits::read_regular(&path, Some((MAX_SUMMARY_BYTES, "summary file")))?;
    let summary: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    if !summary.is_object() {
        bail!("{}: expected a JSON object", path.display());
    }
    let mut figures = read_figures(dir, &summary)?;
    Ok(report_for_summary(&summary, &mut figures))
}

/// The PNG figures `summary["figures"]` lists (key → file in `dir`), in the
/// summary's order, with their captions (`summary["captions"]`, or a
/// built-in one).
fn read_figures(dir: &Path, summary: &Value) -> Result<Vec<(String, Figure)>> {
    let Some(listed) = summary["figures"].as_object() else {
        return Ok(Vec::new());
    };
    let mut listed: Vec<(&String, &Value)> = listed.iter().collect();
    listed.sort_by_key(|(key, _)| figure_rank(key));
    let mut figures = Vec::new();
    for (key, file) in listed {
        let Some(file) = file.as_str() else {
            bail!(
                "{}: figures.{key} is {file}; expected a file name",
                dir.join("summary.json").display()
            );
        };
        if !file.ends_with(".png") {
            continue;
        }
        // Only names inside the directory: a summary cannot embed other files.
        if Path::new(file).components().count() != 1 || file.starts_with('.') {
            bail!(
                "{}: figures.{key} = {file:?}; expected a file name inside the directory",
                dir.join("summary.json").display()
            );
        }
        let caption = summary["captions"][key]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| default_caption(key).to_owned());
        let figure = Figure::read(&dir.join(file), file, caption).with_context(|| {
            format!("summary.json lists the figure {key} = {file}, which cannot be embedded")
        })?;
        figures.push((key.clone(), figure));
    }
    Ok(figures)
}

/// A caption for the figures `vrg` writes, for summaries without `captions`.
fn default_caption(key: &str) -> &'static str {
    match key {
        k if k.starts_with("receptive_fields_level") => {
            "Each tile is one hidden unit's receptive field on the data lattice: local fields \
             that grow with the level are the coarse-graining of the RG."
        }
        "training" => {
            "Training curves per layer: held-out free energy drifting above the training one \
             is overfitting; the reconstruction error should fall and level off."
        }
        "free_energies" => {
            "Free energy per unit of each layer's RBM and its change between layers."
        }
        "field_sizes" => "Effective number of sites per receptive field, by level.",
        "block_spins" => {
            "Kadanoff's majority-rule block spins beside the hidden units placed at their \
             centres: similar patterns mean the network learned block spins."
        }
        "reconstructions" => {
            "Data and its reconstructions from each level: detail lost at the top is what the \
             coarse-graining threw away."
        }
        "generated" => "Configurations sampled from the DBN: they should look like the data.",
        _ => "",
    }
}

/// Where a figure comes in its section: the order a reader follows (what
/// the units see, how large, what they match), then by name.
fn figure_rank(key: &str) -> (usize, usize, String) {
    let rank = [
        "training",
        "free_energies",
        "receptive_fields",
        "field_sizes",
        "block_spins",
        "reconstructions",
        "generated",
    ]
    .iter()
    .position(|k| key.starts_with(k))
    .unwrap_or(usize::MAX);
    // level10 after level9.
    (rank, key.len(), key.to_owned())
}

/// Which section a figure belongs to.
fn section_of(key: &str) -> &'static str {
    match key {
        "training" => "training",
        "free_energies" => "free-energies",
        "generated" | "reconstructions" => "samples",
        k if k.starts_with("receptive_fields") || k == "field_sizes" || k == "block_spins" => {
            "levels"
        }
        _ => "more",
    }
}

/// The report of a summary and its figures: one section per part of the
/// summary that is present, each with its table and its figures (by
/// [`section_of`]); a section with neither is left out.
pub fn report_for_summary(summary: &Value, figures: &mut Vec<(String, Figure)>) -> Report {
    let s = summary;
    let n = |key: &str| s[key].as_array().map(Vec::len);
    let params = s["training"]["params"].as_array().map(Vec::len);
    // (anchor, heading, intro, tables)
    let parts: Vec<(&str, &str, Option<String>, Vec<Table>)> = vec![
        (
            "data",
            "The data: 2D Ising configurations",
            Some(
                "Monte Carlo configurations of the periodic L×L Ising model, checked against \
                 Kaufman's exact finite-lattice values. The exact entropy per spin s bounds \
                 what any model can reach: no model of these configurations has an average \
                 log-likelihood per spin above −s."
                    .into(),
            ),
            s["ising"]
                .is_object()
                .then(|| ising_table(s))
                .into_iter()
                .collect(),
        ),
        (
            "training",
            "Training",
            Some(
                "Each layer is an RBM trained greedily on the layer below's mean activations."
                    .into(),
            ),
            params
                .map(|layers| vec![params_table(s, layers), likelihood_table(s)])
                .unwrap_or_default(),
        ),
        (
            "free-energies",
            "Free energies per layer",
            s["free_energies_note"]
                .as_str()
                .map(|note| format!("Measured {note}.")),
            n("free_energies")
                .map(|layers| free_energy_table(s, layers))
                .into_iter()
                .collect(),
        ),
        (
            "levels",
            "RG levels: what each layer coarse-grains",
            Some(
                "Level 0 is the data; level l is the hidden units of layer l, given the data \
                 below (mean-field pass up), read as spins. A Kadanoff step keeps local \
                 receptive fields whose size grows with the level and hidden units that follow \
                 block spins of the matching size."
                    .into(),
            ),
            n("levels")
                .map(|levels| levels_table(s, levels))
                .into_iter()
                .chain(n("levels").and_then(|levels| mcrg_table(s, levels)))
                .collect(),
        ),
        (
            "samples",
            "Reconstructions and generated configurations",
            None,
            s["generated"]
                .is_object()
                .then(|| generated_table(s))
                .into_iter()
                .collect(),
        ),
        ("more", "More figures", None, Vec::new()),
    ];
    let mut sections = Vec::new();
    for (id, heading, intro, tables) in parts {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(figures)
            .into_iter()
            .partition(|(k, _)| section_of(k) == id);
        *figures = rest;
        let blocks: Vec<Block> = tables
            .into_iter()
            .map(Block::Table)
            .chain(mine.into_iter().map(|(_, f)| Block::Figure(f)))
            .collect();
        if !blocks.is_empty() {
            sections.push(Section {
                id: id.into(),
                heading: heading.into(),
                intro,
                blocks,
            });
        }
    }
    Report {
        title: title(s),
        lead: lead(s),
        run: header(s),
        sections,
    }
}

fn title(summary: &Value) -> String {
    if let Some(e) = summary["experiment"].as_str() {
        format!("vrg demo: {e}")
    } else if let Some(m) = summary["model"].as_str() {
        format!("vrg dbn analyze: {m}")
    } else {
        "vrg run report".into()
    }
}

fn sizes(summary: &Value) -> Option<String> {
    let sizes: Vec<String> = summary["sizes"]
        .as_array()?
        .iter()
        .map(|s| s.to_string())
        .collect();
    Some(sizes.join("-"))
}

fn lead(summary: &Value) -> String {
    let dbn = sizes(summary).map_or("A deep belief network".into(), |s| {
        format!("A deep belief network of {s} units per level")
    });
    let ising = &summary["ising"];
    let data = if ising.is_object() {
        format!(
            "{} configurations of the {L}×{L} Ising model at T = {} (J/T = {})",
            ising["samples"],
            ising["temperature"]
                .as_f64()
                .map_or("?".into(), format_number),
            ising["coupling_over_temperature"]
                .as_f64()
                .map_or("?".into(), format_number),
            L = ising["size"],
        )
    } else {
        summary["data"]
            .as_str()
            .map_or("its data".into(), |d| format!("the data {d}"))
    };
    let verb = if ising.is_object() {
        "trained greedily on"
    } else {
        "analysed on"
    };
    format!(
        "{dbn}, {verb} {data}. Read the DBN as Kadanoff's variational renormalization group: \
         each layer coarse-grains the one below. The tables give the numbers (as in \
         summary.json); each figure says what to look for."
    )
}

fn header(summary: &Value) -> Vec<(String, String)> {
    let mut rows = run_rows(&summary["run"]);
    for (what, key) in [
        ("experiment", "experiment"),
        ("model", "model"),
        ("data", "data"),
    ] {
        if let Some(v) = summary[key].as_str() {
            rows.push((what.into(), v.into()));
        }
    }
    if let Some(s) = sizes(summary) {
        rows.push(("units per level".into(), s));
    }
    if let Some(seeds) = summary["run"]["seeds"].as_object() {
        let text: Vec<String> = seeds.iter().map(|(k, v)| format!("{k} {v}")).collect();
        rows.push(("seeds".into(), text.join(", ")));
    }
    if !rows.iter().any(|(w, _)| w == "wall time") {
        if let Some(s) = summary["seconds"].as_f64() {
            rows.push(("wall time".into(), super::format_seconds(s)));
        }
    }
    rows
}

/// A table of (quantity, cells…) rows.
fn rows_table(caption: &str, head: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        caption: caption.into(),
        head: head.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

fn ising_table(s: &Value) -> Table {
    let row = |what: &str, value: &str, error: Option<&str>, exact: Option<&str>| {
        vec![
            Cell::text(what),
            Cell::at(s, value),
            error.map_or(Cell::text(""), |p| Cell::at(s, p)),
            exact.map_or(Cell::text(""), |p| Cell::at(s, p)),
        ]
    };
    rows_table(
        "Ising data (Monte Carlo, with the exact values for the same lattice)",
        &["quantity", "value", "± standard error", "exact (Kaufman)"],
        vec![
            row("lattice side L (periodic L×L)", "/ising/size", None, None),
            row("temperature T", "/ising/temperature", None, None),
            row("coupling J", "/ising/coupling", None, None),
            row("J/T", "/ising/coupling_over_temperature", None, None),
            row("configurations", "/ising/samples", None, None),
            row("Monte Carlo update", "/ising/algorithm", None, None),
            row(
                "energy per spin E/N",
                "/ising/energy_per_spin/mean",
                Some("/ising/energy_per_spin/error"),
                Some("/ising/exact_energy_per_spin"),
            ),
            row(
                "|magnetisation| per spin",
                "/ising/abs_magnetization/mean",
                Some("/ising/abs_magnetization/error"),
                None,
            ),
            row(
                "entropy per spin s",
                "/ising/exact_entropy_per_spin",
                None,
                Some("/ising/exact_entropy_per_spin"),
            ),
            row(
                "ln Z per spin",
                "/ising/exact_log_z_per_spin",
                None,
                Some("/ising/exact_log_z_per_spin"),
            ),
        ],
    )
}

/// The training parameters table: one row per parameter, one column per layer.
fn params_table(s: &Value, layers: usize) -> Table {
    let names: Vec<String> = s["training"]["params"][0]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut head = vec!["parameter".to_owned()];
    head.extend((1..=layers).map(|l| format!("layer {l}")));
    Table {
        caption: "Training parameters per layer (as in the model file)".into(),
        head,
        rows: names
            .iter()
            .map(|name| {
                std::iter::once(Cell::text(name))
                    .chain((0..layers).map(|l| {
                        Cell::at(s, &format!("/training/params/{l}/{}", pointer_token(name)))
                    }))
                    .collect()
            })
            .collect(),
    }
}

/// `name` escaped as one JSON-pointer token (RFC 6901).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn likelihood_table(s: &Value) -> Table {
    rows_table(
        "How well layer 1 models the data",
        &["quantity", "nats per spin"],
        vec![
            vec![
                Cell::text("layer 1 log-likelihood of held-out configurations"),
                Cell::at(s, "/training/layer0_log_likelihood_per_spin_validation"),
            ],
            vec![
                Cell::text("best possible (−s, exact entropy)"),
                Cell::at(s, "/training/best_possible_log_likelihood_per_spin"),
            ],
        ],
    )
}

fn free_energy_table(s: &Value, layers: usize) -> Table {
    let columns = [
        ("visible", "n_visible"),
        ("hidden", "n_hidden"),
        ("ln Z", "log_z"),
        ("± std. error", "log_z_stderr"),
        ("method", "log_z_method"),
        ("ln Z (TAP2)", "log_z_tap2"),
        ("f = −ln Z/n", "free_energy_per_unit"),
        ("Δf", "delta_free_energy_per_unit"),
        ("⟨H(v)⟩", "mean_free_energy"),
        ("ln p(v)", "log_likelihood"),
        ("⟨H(v)⟩ held out", "mean_free_energy_validation"),
        ("ln p(v) held out", "log_likelihood_validation"),
    ];
    let mut head = vec!["layer".to_owned()];
    head.extend(columns.iter().map(|(h, _)| (*h).to_owned()));
    Table {
        caption: "Each layer's RBM: partition function (and its second-order TAP estimate \
                  beside it, — where the TAP equations do not converge), free energy per \
                  visible unit f and its change Δf from the layer below, mean free energy and \
                  log-likelihood per configuration (nats)"
            .into(),
        head,
        rows: (0..layers)
            .map(|l| {
                std::iter::once(Cell::text((l + 1).to_string()))
                    .chain(
                        columns
                            .iter()
                            .map(|(_, key)| Cell::at(s, &format!("/free_energies/{l}/{key}"))),
                    )
                    .collect()
            })
            .collect(),
    }
}

fn levels_table(s: &Value, levels: usize) -> Table {
    let mut columns: Vec<(String, &str)> = vec![
        ("units".into(), "n_units"),
        ("|m|".into(), "observables/magnetisation"),
        (
            "nearest-neighbour ⟨s s′⟩".into(),
            "observables/nearest_neighbour_correlation",
        ),
        (
            format!("median |w| mass in best {0}×{0} window", s["window"]),
            "locality/median_mass_fraction",
        ),
        (
            "median field radius (sites)".into(),
            "locality/median_radius",
        ),
        ("block side".into(), "block_spins/block"),
        (
            "median |corr| with block spin".into(),
            "block_spins/median_abs_correlation",
        ),
        ("reconstruction error".into(), "reconstruction_error"),
    ];
    // Figures later analyses add, shown when any level has them.
    for (head, key) in [
        (
            "median effective sites per field (Σw²)²/Σw⁴",
            "locality/median_participation_ratio",
        ),
        ("dead units", "dead_units"),
    ] {
        let present = (0..levels).any(|l| {
            s.pointer(&format!("/levels/{l}/{key}"))
                .is_some_and(|v| !v.is_null())
        });
        if present {
            columns.push((head.into(), key));
        }
    }
    let columns: Vec<(&str, &str)> = columns.iter().map(|(h, k)| (h.as_str(), *k)).collect();
    per_level_table(
        s,
        "Each level read as spins (the data is level 0)",
        0..levels,
        "",
        &columns,
    )
}

/// A table of one row per level in `levels`, its columns (heading, key)
/// read from `levels/l/{prefix}{key}`, after a column of the level.
fn per_level_table(
    s: &Value,
    caption: &str,
    levels: std::ops::Range<usize>,
    prefix: &str,
    columns: &[(&str, &str)],
) -> Table {
    let mut head = vec!["level".to_owned()];
    head.extend(columns.iter().map(|(h, _)| (*h).to_owned()));
    Table {
        caption: caption.into(),
        head,
        rows: levels
            .map(|l| {
                std::iter::once(Cell::at(s, &format!("/levels/{l}/level")))
                    .chain(
                        columns
                            .iter()
                            .map(|(_, key)| Cell::at(s, &format!("/levels/{l}/{prefix}{key}"))),
                    )
                    .collect()
            })
            .collect(),
    }
}

/// The MCRG exponents of the learned coarse-graining beside majority
/// rule's (`levels/l/mcrg`, vrg::rg::learned_mcrg), when any level has them.
fn mcrg_table(s: &Value, levels: usize) -> Option<Table> {
    let present = (1..levels).any(|l| {
        s.pointer(&format!("/levels/{l}/mcrg"))
            .is_some_and(|v| v.is_object())
    });
    if !present {
        return None;
    }
    let columns = [
        ("from level", "from_level"),
        ("b", "block"),
        ("mean |corr|", "mean_abs_correlation"),
        ("min |corr|", "min_abs_correlation"),
        ("best block", "best_block_fraction"),
        ("y_T learned", "learned/y_t"),
        ("±", "learned/y_t_err"),
        ("y_T majority", "majority/y_t"),
        ("±", "majority/y_t_err"),
        ("y_H learned", "learned/y_h"),
        ("±", "learned/y_h_err"),
        ("y_H majority", "majority/y_h"),
        ("±", "majority/y_h_err"),
        ("note", "reason"),
    ];
    Some(per_level_table(
        s,
        "MCRG exponents (Swendsen 1979; 2D Ising: y_T = 1, y_H = 15/8) of each step between \
         placed levels: the hidden units placed on the coarse lattice by the optimal \
         one-to-one assignment of units to blocks (Hungarian algorithm, maximising the total \
         |corr| of unit and block spin; mean and min |corr| of the assigned pairs, and the \
         fraction of units on their best-matching block) (learned), beside the data blocked \
         by majority rule with the same block side b (majority), with jackknife errors",
        1..levels,
        "mcrg/",
        &columns,
    ))
}

fn generated_table(s: &Value) -> Table {
    let row = |what: &str, generated: &str, data: &str| {
        vec![Cell::text(what), Cell::at(s, generated), Cell::at(s, data)]
    };
    rows_table(
        "Configurations generated by the DBN against the data (level 0)",
        &["quantity", "generated", "data"],
        vec![
            row("configurations", "/generated/samples", "/rows"),
            vec![
                Cell::text("Gibbs steps at the top"),
                Cell::at(s, "/generated/gibbs_steps"),
                Cell::text(""),
            ],
            row(
                "|m|",
                "/generated/observables/magnetisation",
                "/levels/0/observables/magnetisation",
            ),
            row(
                "± std. error",
                "/generated/observables/magnetisation_stderr",
                "/levels/0/observables/magnetisation_stderr",
            ),
            row(
                "nearest-neighbour ⟨s s′⟩",
                "/generated/observables/nearest_neighbour_correlation",
                "/levels/0/observables/nearest_neighbour_correlation",
            ),
            row(
                "± std. error",
                "/generated/observables/nearest_neighbour_correlation_stderr",
                "/levels/0/observables/nearest_neighbour_correlation_stderr",
            ),
        ],
    )
}
