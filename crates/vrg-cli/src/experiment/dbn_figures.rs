//! The labelled figures of a DBN's RG analysis (`vrg demo`, `vrg dbn
//! analyze`), drawn with [`vrg_plot`].
//!
//! Each figure is one function from values the analysis already computed
//! to a [`Figure`]: its `summary.json` key, file name, one-line caption and
//! the drawing (an [`ImageGrid`] or [`LinePlot`] panels). [`Figure::write`]
//! renders it into the output directory; the caller records `key → file`
//! under `figures` and `key → caption` under `captions`.

use crate::plots::{training_curves, EpochPoint};
use anyhow::{Context, Result};
use std::path::Path;
use vrg::dbn::LayerFreeEnergy;
use vrg::rg::{BlockSpinFigure, DbnAnalysis};
use vrg_plot::{ColourMap, ImageGrid, LinePlot, Series, SeriesStyle, MAX_SIDE};

/// Width of one line-plot panel, in pixels.
const PANEL_WIDTH: u32 = 640;
/// Height of one line-plot panel, in pixels.
const PANEL_HEIGHT: u32 = 460;

/// What a [`Figure`] draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Drawing {
    /// A grid of image tiles with a colour bar.
    Grid(Box<ImageGrid>),
    /// Line plots laid out `columns` per row.
    Panels {
        plots: Vec<LinePlot>,
        columns: usize,
    },
}

/// One figure of the analysis, ready to write.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Its key in `summary.json`'s `figures` and `captions`.
    pub key: String,
    /// The PNG file's name in the output directory.
    pub file: String,
    /// One line telling a reader what to look for.
    pub caption: String,
    pub drawing: Drawing,
}

impl Figure {
    /// The PNG bytes.
    pub fn png(&self) -> vrg_plot::Result<Vec<u8>> {
        match &self.drawing {
            Drawing::Grid(grid) => vrg_plot::image_grid(grid),
            Drawing::Panels { plots, columns } => vrg_plot::panels(plots, *columns),
        }
    }

    /// Draws the figure into `dir/file` (atomically).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(&self.file);
        self.png()
            .and_then(|png| vrg_plot::write_png(&path, &png))
            .with_context(|| format!("cannot draw {}", self.file))
    }
}

/// Whether `v` can be drawn (finite and within the plotting range).
fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= vrg_plot::MAX_ABS_VALUE
}

// ---------------------------------------------------------------------------
// Image grids: sizes that keep tiles and labels readable.

/// Margins, colour bar and title of [`vrg_plot::image_grid`]'s layout, in
/// pixels: the largest the crate uses, so that the tiles get at least the
/// pixels per value asked for.
const GRID_SIDE_ROOM: u32 = 180 + 2 * 8 + 12;
const GRID_TITLE_ROOM: u32 = 51 + 8 + 12;
/// The colour bar needs this much height (200 pixels, ticks and legend).
const GRID_MIN_HEIGHT: u32 = 340;
/// Width of a character of the tile labels and title, in font sizes
/// (DejaVu Sans digits are 0.64 em wide).
const CHAR_EM: f64 = 0.64;

/// The tile pitch `(x, y)` that [`vrg_plot::image_grid`] uses for tiles of
/// `(h, w)` values at `scale` pixels per value, with its label font size.
fn tile_pitch((h, w): (usize, usize), scale: u32, labelled: bool) -> (u32, u32, f64) {
    let pitch_x = w as u32 * scale + 4;
    let label_size = (f64::from(pitch_x) / 7.0).clamp(8.0, 14.0);
    let label_h = if labelled {
        (label_size * 1.5) as u32
    } else {
        0
    };
    (pitch_x, h as u32 * scale + 4 + label_h, label_size)
}

/// The width and height of an image grid of `n` tiles of `shape` in
/// `columns` columns with `title` and, if given, `labels`, and whether the
/// labels are kept: tiles of at least `min_tile` pixels (a few pixels per
/// lattice site), wide enough for the longest label and the whole image
/// wide enough for the title. Labels are dropped when they would make the
/// image larger than [`MAX_SIDE`]; the scale falls to 1 pixel per value
/// before the image may not fit.
fn grid_size(
    n: usize,
    shape: (usize, usize),
    columns: usize,
    title: &str,
    labels: Option<&[String]>,
    min_tile: u32,
) -> (u32, u32, bool) {
    let columns = columns.clamp(1, n.max(1));
    let rows = n.div_ceil(columns).max(1) as u32;
    let longest = labels.map_or(0, |l| {
        l.iter().map(|s| s.chars().count()).max().unwrap_or(0)
    });
    let side = shape.0.max(shape.1).max(1) as u32;
    let base = min_tile.div_ceil(side).max(1);
    let size = |scale: u32, labelled: bool| -> (u32, u32) {
        let (px, py, _) = tile_pitch(shape, scale, labelled);
        let mut width = (columns as u32 * px + GRID_SIDE_ROOM).max(MIN_GRID_WIDTH);
        let height = (rows * py + GRID_TITLE_ROOM).max(GRID_MIN_HEIGHT);
        // Title font as vrg-plot sizes it, from the image area.
        let title_fits = |w: u32| {
            let size = ((f64::from(w) * f64::from(height)).sqrt() / 26.0).clamp(12.0, 28.0);
            f64::from(w) >= title.chars().count() as f64 * CHAR_EM * size + 40.0
        };
        while !title_fits(width) && width < MAX_SIDE {
            width += 16;
        }
        (width.min(MAX_SIDE + 1), height)
    };
    let fits = |(w, h): (u32, u32)| w <= MAX_SIDE && h <= MAX_SIDE;
    if labels.is_some() {
        // The smallest scale from `base` whose pitch holds the label.
        let scale = (base..base + 64).find(|&s| {
            let (px, _, label_size) = tile_pitch(shape, s, true);
            f64::from(px) >= longest as f64 * CHAR_EM * label_size + 6.0
        });
        if let Some(s) = scale {
            let wh = size(s, true);
            if fits(wh) {
                return (wh.0, wh.1, true);
            }
        }
    }
    let scale = (1..=base)
        .rev()
        .find(|&s| fits(size(s, false)))
        .unwrap_or(1);
    let (w, h) = size(scale, false);
    (w.min(MAX_SIDE), h.min(MAX_SIDE), false)
}

/// The narrowest image grid drawn.
const MIN_GRID_WIDTH: u32 = 480;

/// Tiles at least this many pixels on a side.
const MIN_TILE: u32 = 96;

/// The smallest integer c with c² ≥ n (at least 1).
fn ceil_sqrt(n: usize) -> usize {
    crate::figures::ceil_sqrt(n).max(1)
}

/// An image grid sized by [`grid_size`] (labels dropped when they do not fit).
#[allow(clippy::too_many_arguments)]
fn sized_grid(
    title: String,
    tiles: Vec<Vec<f64>>,
    side: usize,
    columns: usize,
    colour_map: ColourMap,
    colour_bar_label: String,
    tile_labels: Option<Vec<String>>,
    (marked, marked_label): (Vec<usize>, &str),
) -> ImageGrid {
    let (width, height, keep) = grid_size(
        tiles.len(),
        (side, side),
        columns,
        &title,
        tile_labels.as_deref(),
        MIN_TILE,
    );
    ImageGrid {
        title,
        tiles,
        tile_shape: (side, side),
        columns,
        colour_map,
        tile_labels: tile_labels.filter(|_| keep),
        marked,
        marked_label: marked_label.to_owned(),
        colour_bar_label,
        width,
        height,
    }
}

/// What the data values of a tile mean, for the colour bar.
fn data_scale_label(bernoulli: bool) -> String {
    if bernoulli {
        "p(v = 1): 0 spin down, 1 spin up".to_owned()
    } else {
        "spin s: −1 down, +1 up".to_owned()
    }
}

// ---------------------------------------------------------------------------
// The figures.

/// `receptive_fields_level{level}.png`: every unit's effective field
/// W0·…·W_{level−1} on the data lattice (column u of
/// `analysis.receptive_fields[level − 1]`), one diverging colour scale
/// shared by all tiles, each tile labelled with the unit's number u, its
/// participation ratio PR and its radius r (from
/// `analysis.localities[level − 1]`), dead units
/// (`analysis.dead_units[level − 1]`) marked. `level` is 1-based.
pub fn receptive_fields(analysis: &DbnAnalysis, level: usize) -> Figure {
    let side = analysis.lattice_side;
    let n0 = side * side;
    let fields = &analysis.receptive_fields[level - 1];
    let n = fields.len() / n0;
    let tiles: Vec<Vec<f64>> = (0..n)
        .map(|u| (0..n0).map(|i| fields[i * n + u]).collect())
        .collect();
    let labels: Vec<String> = analysis.localities[level - 1]
        .iter()
        .enumerate()
        .map(|(u, l)| format!("u{u} PR {:.0} r {:.1}", l.participation_ratio, l.radius))
        .collect();
    let product = if level == 1 {
        "weight W0".to_owned()
    } else {
        format!("effective weight W0·…·W{}", level - 1)
    };
    Figure {
        key: format!("receptive_fields_level{level}"),
        file: format!("receptive_fields_level{level}.png"),
        caption: format!(
            "Each tile is one level-{level} unit's effective field on the data lattice (label: \
             unit, participation ratio PR = effective sites, radius r in lattice spacings); \
             red positive, blue negative on one shared scale; local blobs growing with level \
             are the RG's coarse-graining; green crosses mark dead units."
        ),
        drawing: Drawing::Grid(Box::new(sized_grid(
            format!(
                "Level {level} receptive fields ({n} units, {side}×{side} lattice): unit, PR, radius"
            ),
            tiles,
            side,
            ceil_sqrt(n),
            ColourMap::Diverging,
            format!("{product} on data site (dimensionless)"),
            Some(labels),
            (analysis.dead_units[level - 1].clone(), "dead unit"),
        ))),
    }
}

/// Horizontal offset of unit `u` of `n` in a strip plot: spread over
/// ±0.2 around its level so that the points do not hide each other.
fn jitter(u: usize, n: usize) -> f64 {
    if n <= 1 {
        0.0
    } else {
        0.4 * (u as f64 / (n - 1) as f64 - 0.5)
    }
}

/// `field_sizes.png`: every live unit's participation ratio (Σw²)²/Σw⁴
/// against its level (points spread ±0.2 around the level; dead units,
/// whose fields are noise, are left out and counted in the legend), the
/// median per level over all units (as recorded in the level report) as a
/// line, and the b² sites of the Kadanoff block compared at each level
/// where there is one.
pub fn field_sizes(analysis: &DbnAnalysis) -> Figure {
    let mut units = Vec::new();
    let mut medians = Vec::new();
    let mut blocks = Vec::new();
    let mut dead_total = 0;
    for (l, localities) in analysis.localities.iter().enumerate() {
        let level = l + 1;
        let n = localities.len();
        let dead = analysis.dead_units.get(l).map_or(&[][..], |d| &d[..]);
        dead_total += dead.len();
        units.extend(
            localities
                .iter()
                .enumerate()
                .filter(|(u, x)| plottable(x.participation_ratio) && !dead.contains(u))
                .map(|(u, x)| (level as f64 + jitter(u, n), x.participation_ratio)),
        );
        let report = analysis.levels.get(level);
        if let Some(m) = report
            .and_then(|r| r.locality.as_ref())
            .map(|s| s.median_participation_ratio)
            .filter(|&m| plottable(m))
        {
            medians.push((level as f64, m));
        }
        if let Some(b) = report.and_then(|r| r.block_spins.as_ref()) {
            blocks.push((level as f64, (b.block * b.block) as f64));
        }
    }
    let unit_name = match dead_total {
        0 => "one unit".to_owned(),
        1 => "one unit (1 dead unit not shown)".to_owned(),
        d => format!("one unit ({d} dead units not shown)"),
    };
    let mut series = vec![
        Series {
            name: unit_name,
            points: units,
            y_errors: None,
            style: SeriesStyle::Points,
        },
        Series {
            name: "median per level".to_owned(),
            points: medians,
            y_errors: None,
            style: SeriesStyle::LineAndPoints,
        },
    ];
    if !blocks.is_empty() {
        series.push(Series {
            name: "Kadanoff block of b×b: b² sites".to_owned(),
            points: blocks,
            y_errors: None,
            style: SeriesStyle::LineAndPoints,
        });
    }
    series.retain(|s| !s.points.is_empty());
    let side = analysis.lattice_side;
    Figure {
        key: "field_sizes".into(),
        file: "field_sizes.png".into(),
        caption: "Effective number of lattice sites each unit's receptive field covers, level by \
                  level: under coarse-graining the median should grow with level, like the b² \
                  sites of a Kadanoff block."
            .into(),
        drawing: Drawing::Panels {
            plots: vec![LinePlot {
                title: format!(
                    "Receptive-field size by level ({side}×{side} lattice, {} sites)",
                    side * side
                ),
                x_label: "level l (1 = first hidden layer)".into(),
                y_label: "effective sites per field, (Σw²)²/Σw⁴".into(),
                width: 800,
                height: 560,
                series,
            }],
            columns: 1,
        },
    }
}

/// `free_energies.png`, or `None` without free energies: per layer l
/// (1-based, the RBM between levels l − 1 and l) the free energy per
/// visible unit f_l = −ln Z_l/n_l with error bars `log_z_stderr`/n_l; the
/// change Δf_l = f_l − f_{l−1} with error bars
/// sqrt((σ_l/n_l)² + (σ_{l−1}/n_{l−1})²) (when there are two layers or
/// more); and each layer's log-likelihood of its inputs per data spin,
/// ln p / n_0, on training and held-out inputs, beside the best possible
/// value for layer 1 when given (`best_per_spin`, e.g. −s of the exact
/// Ising entropy s per spin).
pub fn free_energies(free: &[LayerFreeEnergy], best_per_spin: Option<f64>) -> Option<Figure> {
    let first = free.first()?;
    let n0 = first.n_visible as f64;
    let layer = |f: &LayerFreeEnergy| (f.layer + 1) as f64;
    let points = |name: &str, values: Vec<(f64, f64, f64)>| {
        let values: Vec<(f64, f64, f64)> = values
            .into_iter()
            .filter(|&(x, y, e)| plottable(x) && plottable(y) && plottable(e) && e >= 0.0)
            .collect();
        (!values.is_empty()).then(|| Series {
            name: name.to_owned(),
            points: values.iter().map(|&(x, y, _)| (x, y)).collect(),
            y_errors: Some(values.iter().map(|&(_, _, e)| e).collect()),
            style: SeriesStyle::LineAndPoints,
        })
    };
    let x_label = "layer l (the RBM between levels l − 1 and l)";
    let panel = |title: &str, y_label: &str, series: Vec<Option<Series>>| {
        let series: Vec<Series> = series.into_iter().flatten().collect();
        (!series.is_empty()).then(|| LinePlot {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            width: PANEL_WIDTH,
            height: PANEL_HEIGHT,
            series,
        })
    };
    let f = points(
        "f = −ln Z / n",
        free.iter()
            .map(|f| {
                let n = f.n_visible as f64;
                (layer(f), f.free_energy_per_unit, f.log_z_stderr / n)
            })
            .collect(),
    );
    let delta = points(
        "Δf = f_l − f_(l−1)",
        free.windows(2)
            .filter_map(|w| {
                let d = w[1].delta_free_energy_per_unit?;
                let e = (w[1].log_z_stderr / w[1].n_visible as f64)
                    .hypot(w[0].log_z_stderr / w[0].n_visible as f64);
                Some((layer(&w[1]), d, e))
            })
            .collect(),
    );
    let likelihood = |name: &str, pick: &dyn Fn(&LayerFreeEnergy) -> Option<f64>| {
        points(
            name,
            free.iter()
                .filter_map(|f| pick(f).map(|ll| (layer(f), ll / n0, 0.0)))
                .collect(),
        )
        .map(|mut s| {
            // Points: layers model different inputs, so no line joins them.
            s.y_errors = None;
            s.style = SeriesStyle::Points;
            s
        })
    };
    let bound = best_per_spin.filter(|&b| plottable(b)).map(|b| Series {
        name: "best possible for layer 1 (−s, exact entropy)".to_owned(),
        points: vec![(0.8, b), (1.2, b)],
        y_errors: None,
        style: SeriesStyle::Line,
    });
    let plots: Vec<LinePlot> = [
        panel(
            "Free energy per visible unit by layer",
            "f = −ln Z_l / n_l (nats per visible unit)",
            vec![f],
        ),
        panel(
            "Change of free energy per unit between layers",
            "Δf (nats per visible unit)",
            vec![delta],
        ),
        panel(
            "Log-likelihood of each layer's inputs per data spin",
            "ln p / n_data (nats per data spin)",
            vec![
                likelihood("training inputs", &|f| Some(f.log_likelihood)),
                likelihood("held-out inputs", &|f| f.log_likelihood_validation),
                bound,
            ],
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if plots.is_empty() {
        return None;
    }
    let columns = plots.len();
    Some(Figure {
        key: "free_energies".into(),
        file: "free_energies.png".into(),
        caption: "Free energy per unit of each layer's RBM with its ln Z error bar, its change \
                  between layers, and how well each layer models its inputs (nats per data spin; \
                  for layer 1, the closer to the exact-entropy bound the better)."
            .into(),
        drawing: Drawing::Panels { plots, columns },
    })
}

/// `reconstructions.png`: `columns[0]` holds `examples` data rows of the
/// L × L lattice (`side` = L), `columns[l]` their reconstructions from
/// level l (the up-pass to l and back down); one row of tiles per example,
/// two per row when there are more than 4 examples.
pub fn reconstructions(
    columns: &[Vec<f32>],
    examples: usize,
    side: usize,
    bernoulli: bool,
) -> Figure {
    let n0 = side * side;
    let per_row = if examples > 4 { 2 } else { 1 };
    let width = columns.len() * per_row;
    let mut tiles = Vec::new();
    let mut labels = Vec::new();
    for e in 0..examples {
        for (c, column) in columns.iter().enumerate() {
            tiles.push(
                column[e * n0..(e + 1) * n0]
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect(),
            );
            labels.push(if c == 0 {
                "data".to_owned()
            } else {
                format!("from level {c}")
            });
        }
    }
    Figure {
        key: "reconstructions".into(),
        file: "reconstructions.png".into(),
        caption: "Each data configuration, then its reconstruction from each level (up to \
                  that level and back down); deeper levels keep the large domains and lose the \
                  site-by-site detail."
            .into(),
        drawing: Drawing::Grid(Box::new(sized_grid(
            format!(
                "Reconstructions from each level ({examples} configurations, {side}×{side} lattice)"
            ),
            tiles,
            side,
            width,
            ColourMap::Grey,
            data_scale_label(bernoulli),
            Some(labels),
            (Vec::new(), ""),
        ))),
    }
}

/// `block_spins.png` from [`vrg::rg::block_spin_figure`]: per shown
/// configuration, the data as spins, then for each `(level, b)` of
/// `block_levels` (the levels with a block-spin comparison, in order) the
/// majority-rule blocks of side b and the level's units at their field
/// centres. Sites where no unit's centre falls (NaN) are drawn as 0, mid
/// grey.
pub fn block_spins(
    figure: &BlockSpinFigure,
    block_levels: &[(usize, usize)],
    side: usize,
) -> Figure {
    let mut names = vec!["data".to_owned()];
    for &(level, b) in block_levels {
        names.push(format!("{b}×{b} blocks"));
        names.push(format!("level {level} units"));
    }
    let columns = figure.columns.max(1);
    let labels: Vec<String> = (0..figure.tiles.len())
        .map(|t| names.get(t % columns).cloned().unwrap_or_default())
        .collect();
    let tiles: Vec<Vec<f64>> = figure
        .tiles
        .iter()
        .map(|t| {
            t.iter()
                .map(|&v| if v.is_finite() { v } else { 0.0 })
                .collect()
        })
        .collect();
    let shown = tiles.len() / columns;
    Figure {
        key: "block_spins".into(),
        file: "block_spins.png".into(),
        caption: "Each row: a configuration, then for each level Kadanoff's majority-rule block \
                  spins beside the level's hidden units drawn at their receptive-field centres \
                  (white: the unit's field points up); the more alike each pair, the more the \
                  DBN coarse-grains like Kadanoff. Mid grey: no unit centred there."
            .into(),
        drawing: Drawing::Grid(Box::new(sized_grid(
            format!(
                "Block spins beside hidden units ({shown} configurations, {side}×{side} lattice)"
            ),
            tiles,
            side,
            columns,
            ColourMap::Grey,
            "spin: −1 down, +1 up (units: oriented 2p − 1)".to_owned(),
            Some(labels),
            (Vec::new(), ""),
        ))),
    }
}

/// `generated.png`: `count` configurations of the L × L lattice
/// (`side` = L) sampled from the DBN with `gibbs_steps` steps of Gibbs
/// sampling at the top.
pub fn generated(
    samples: &[f32],
    count: usize,
    side: usize,
    gibbs_steps: usize,
    bernoulli: bool,
) -> Figure {
    let n0 = side * side;
    let tiles: Vec<Vec<f64>> = (0..count)
        .map(|t| {
            samples[t * n0..(t + 1) * n0]
                .iter()
                .map(|&v| f64::from(v))
                .collect()
        })
        .collect();
    Figure {
        key: "generated".into(),
        file: "generated.png".into(),
        caption: "Configurations the DBN generates (Gibbs sampling at the top, then down): near \
                  T_c they should show domains of all sizes like the training data."
            .into(),
        drawing: Drawing::Grid(Box::new(sized_grid(
            format!(
                "Generated configurations ({count} samples, {gibbs_steps} Gibbs steps at the top)"
            ),
            tiles,
            side,
            ceil_sqrt(count),
            ColourMap::Grey,
            data_scale_label(bernoulli),
            None,
            (Vec::new(), ""),
        ))),
    }
}

/// `training.png`, or `None` without epochs: [`training_curves`] of each
/// layer (`layers[l]`: layer l + 1's epochs), one row of panels per layer,
/// titles prefixed "Layer l: ".
pub fn training(layers: &[Vec<EpochPoint>]) -> Option<Figure> {
    let mut plots = Vec::new();
    let mut columns = 0;
    for (l, points) in layers.iter().enumerate() {
        let mut curves = training_curves(points);
        if curves.is_empty() {
            continue;
        }
        columns = columns.max(curves.len());
        for c in &mut curves {
            c.title = format!("Layer {}: {}", l + 1, c.title);
        }
        plots.extend(curves);
    }
    if plots.is_empty() {
        return None;
    }
    Some(Figure {
        key: "training".into(),
        file: "training.png".into(),
        caption: "Training of each layer against epoch: the free energies of training and \
                  held-out rows should stay together (a growing gap is overfitting), the \
                  reconstruction error should fall and the likelihoods rise."
            .into(),
        drawing: Drawing::Panels { plots, columns },
    })
}

/// The epochs of each layer in a training log's lines (`train.jsonl`: epoch
/// lines carry a `"layer"` key, 0-based); lines that are no epoch record
/// are skipped. Element l holds layer l + 1's epochs, in log order.
pub fn epochs_by_layer(log: &str) -> Vec<Vec<EpochPoint>> {
    let mut layers: Vec<Vec<EpochPoint>> = Vec::new();
    for line in log.lines() {
        let Some(point) = EpochPoint::from_log_line(line) else {
            continue;
        };
        let Some(layer) = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v["layer"].as_u64())
        else {
            continue;
        };
        let layer = layer as usize;
        if layers.len() <= layer {
            layers.resize_with(layer + 1, Vec::new);
        }
        layers[layer].push(point);
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (width, height) of PNG bytes, decoded in full.
    fn decoded_size(png: &[u8]) -> (u32, u32) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        (frame.width, frame.height)
    }

    fn grid_of(f: &Figure) -> &ImageGrid {
        match &f.drawing {
            Drawing::Grid(g) => g,
            Drawing::Panels { .. } => panic!("{} is no grid", f.key),
        }
    }

    fn plots_of(f: &Figure) -> &[LinePlot] {
        match &f.drawing {
            Drawing::Panels { plots, .. } => plots,
            Drawing::Grid(_) => panic!("{} is no line plot", f.key),
        }
    }

    fn check_png(f: &Figure, (w, h): (u32, u32)) {
        assert_eq!(decoded_size(&f.png().unwrap()), (w, h), "{}", f.key);
    }

    /// A small analysis by hand: a 4×4 lattice, level 1 with 3 units
    /// (unit 2 dead), level 2 with 1 unit.
    fn analysis() -> DbnAnalysis {
        use vrg::rg::{field_locality, summarize_locality};
        let side = 4;
        let n0 = 16;
        let mut level1 = vec![0.0; n0 * 3];
        for i in 0..n0 {
            level1[i * 3] = if i < 4 { 1.0 } else { 0.0 };
            level1[i * 3 + 1] = -(i as f64) / 16.0;
            level1[i * 3 + 2] = if i == 5 { 0.5 } else { 0.0 };
        }
        let level2: Vec<f64> = (0..n0).map(|i| (i % 3) as f64 - 1.0).collect();
        let localities = |fields: &[f64], n: usize| -> Vec<vrg::rg::Locality> {
            (0..n)
                .map(|u| {
                    let c: Vec<f64> = (0..n0).map(|i| fields[i * n + u]).collect();
                    field_locality(&c, side, 2).unwrap()
                })
                .collect()
        };
        let l1 = localities(&level1, 3);
        let l2 = localities(&level2, 1);
        let report = |level: usize, n_units: usize, loc: Option<&[vrg::rg::Locality]>| {
            vrg::rg::LevelReport {
                level,
                n_units,
                observables: vrg::rg::LevelObservables {
                    n_units,
                    magnetisation: 0.0,
                    magnetisation_stderr: 0.0,
                    nearest_neighbour_correlation: 0.0,
                    nearest_neighbour_correlation_stderr: 0.0,
                },
                locality: loc.map(|l| summarize_locality(2, l)),
                mass_fraction_profile: Vec::new(),
                block_spins: None,
                reconstruction_error: 0.0,
                dead_units: 0,
                mcrg: None,
            }
        };
        DbnAnalysis {
            lattice_side: side,
            rows: 2,
            levels: vec![
                report(0, n0, None),
                report(1, 3, Some(&l1)),
                report(2, 1, Some(&l2)),
            ],
            free_energies: Vec::new(),
            radius_grows_with_depth: false,
            localities: vec![l1, l2],
            receptive_fields: vec![level1, level2],
            dead_units: vec![vec![2], vec![]],
        }
    }

    #[test]
    fn receptive_field_tiles_labels_and_marks_are_the_analysis_values() {
        let a = analysis();
        let f = receptive_fields(&a, 1);
        assert_eq!(f.key, "receptive_fields_level1");
        assert_eq!(f.file, "receptive_fields_level1.png");
        let g = grid_of(&f);
        assert_eq!(g.tiles.len(), 3);
        for (u, tile) in g.tiles.iter().enumerate() {
            let column: Vec<f64> = (0..16).map(|i| a.receptive_fields[0][i * 3 + u]).collect();
            assert_eq!(*tile, column);
        }
        assert_eq!(g.colour_map, ColourMap::Diverging);
        assert_eq!(g.marked, vec![2]);
        assert_eq!(g.marked_label, "dead unit");
        let labels = g.tile_labels.as_ref().unwrap();
        // Unit 0 covers 4 sites evenly: PR 4; unit 2 one site: PR 1.
        assert!(labels[0].starts_with("u0 PR 4 r "), "{}", labels[0]);
        assert!(labels[2].starts_with("u2 PR 1 r 0.0"), "{}", labels[2]);
        assert!(g.title.contains("Level 1") && g.title.contains("3 units"));
        assert!(g.title.contains("4×4 lattice"));
        assert!(!g.colour_bar_label.is_empty());
        // Tiles of at least 96 pixels.
        assert!(g.width >= 2 * 96 && g.height >= 2 * 96);
        check_png(&f, (g.width, g.height));
        let f2 = receptive_fields(&a, 2);
        assert!(grid_of(&f2).marked.is_empty());
        check_png(&f2, (grid_of(&f2).width, grid_of(&f2).height));
    }

    #[test]
    fn large_grids_stay_within_the_size_limit_and_keep_labels_when_they_fit() {
        let labels: Vec<String> = (0..400).map(|u| format!("u{u} PR 123 r 12.3")).collect();
        let (w, h, kept) = grid_size(400, (40, 40), 20, "a title", Some(&labels), MIN_TILE);
        assert!(kept);
        assert!(w <= MAX_SIDE && h <= MAX_SIDE, "{w}×{h}");
        // Labels that cannot fit are dropped, not an error.
        let long: Vec<String> = (0..400).map(|_| "x".repeat(400)).collect();
        let (w, h, kept) = grid_size(400, (40, 40), 20, "a title", Some(&long), MIN_TILE);
        assert!(!kept);
        assert!(w <= MAX_SIDE && h <= MAX_SIDE, "{w}×{h}");
        let g = ImageGrid {
            title: "t".into(),
            tiles: vec![vec![0.5; 1600]; 400],
            tile_shape: (40, 40),
            columns: 20,
            colour_map: ColourMap::Diverging,
            tile_labels: Some(labels),
            marked: vec![3],
            marked_label: "dead unit".into(),
            colour_bar_label: "w".into(),
            width: 0,
            height: 0,
        };
        let (width, height, _) =
            grid_size(400, (40, 40), 20, "t", g.tile_labels.as_deref(), MIN_TILE);
        let png = vrg_plot::image_grid(&ImageGrid { width, height, ..g }).unwrap();
        assert_eq!(decoded_size(&png), (width, height));
    }

    #[test]
    fn field_size_points_are_the_participation_ratios() {
        let a = analysis();
        let f = field_sizes(&a);
        let plots = plots_of(&f);
        assert_eq!(plots.len(), 1);
        let units = &plots[0].series[0];
        // Unit 2 of level 1 is dead: left out.
        let expected: Vec<f64> = [&a.localities[0][..2], &a.localities[1][..]]
            .concat()
            .iter()
            .map(|l| l.participation_ratio)
            .collect();
        assert_eq!(
            units.points.iter().map(|p| p.1).collect::<Vec<_>>(),
            expected
        );
        // x: the level, give or take the spread.
        assert!(units.name.contains("1 dead unit not shown"));
        let levels = [1.0, 1.0, 2.0];
        for (p, l) in units.points.iter().zip(levels) {
            assert!((p.0 - l).abs() <= 0.2 + 1e-12, "{p:?}");
        }
        assert_eq!(
            plots[0].series[1].points,
            vec![
                (
                    1.0,
                    a.levels[1]
                        .locality
                        .as_ref()
                        .unwrap()
                        .median_participation_ratio
                ),
                (
                    2.0,
                    a.levels[2]
                        .locality
                        .as_ref()
                        .unwrap()
                        .median_participation_ratio
                ),
            ]
        );
        assert!(plots[0].y_label.contains("(Σw²)²/Σw⁴"));
        check_png(&f, (800, 560));
    }

    fn free(layer: usize, n: usize, log_z: f64, se: f64, previous: Option<f64>) -> LayerFreeEnergy {
        let f = -log_z / n as f64;
        LayerFreeEnergy {
            layer,
            n_visible: n,
            n_hidden: 4,
            log_z,
            log_z_stderr: se,
            log_z_method: "ais".into(),
            ess: None,
            log_z_tap2: None,
            free_energy: -log_z,
            free_energy_per_unit: f,
            delta_free_energy: None,
            delta_free_energy_per_unit: previous.map(|p| f - p),
            mean_free_energy: 0.0,
            mean_free_energy_validation: None,
            log_likelihood: -10.0 * (layer + 1) as f64,
            log_likelihood_validation: (layer == 0).then_some(-11.0),
        }
    }

    #[test]
    fn free_energy_panels_are_the_layer_values() {
        let l0 = free(0, 16, 20.0, 0.4, None);
        let l1 = free(1, 8, 12.0, 0.8, Some(l0.free_energy_per_unit));
        let f = free_energies(&[l0.clone(), l1.clone()], Some(-0.5)).unwrap();
        let plots = plots_of(&f);
        assert_eq!(plots.len(), 3);
        let fs = &plots[0].series[0];
        assert_eq!(
            fs.points,
            vec![
                (1.0, l0.free_energy_per_unit),
                (2.0, l1.free_energy_per_unit)
            ]
        );
        assert_eq!(fs.y_errors.as_deref(), Some(&[0.4 / 16.0, 0.8 / 8.0][..]));
        let d = &plots[1].series[0];
        assert_eq!(
            d.points,
            vec![(2.0, l1.delta_free_energy_per_unit.unwrap())]
        );
        let e = d.y_errors.as_ref().unwrap()[0];
        assert!((e - (0.1f64.powi(2) + 0.025f64.powi(2)).sqrt()).abs() < 1e-15);
        let ll = &plots[2].series;
        assert_eq!(ll[0].points, vec![(1.0, -10.0 / 16.0), (2.0, -20.0 / 16.0)]);
        assert_eq!(ll[1].points, vec![(1.0, -11.0 / 16.0)]);
        assert_eq!(ll[2].points, vec![(0.8, -0.5), (1.2, -0.5)]);
        for p in plots {
            assert!(!p.title.is_empty() && p.x_label.contains("layer"));
        }
        check_png(&f, (3 * PANEL_WIDTH, PANEL_HEIGHT));
        // One layer, no bound: no Δf panel, no bound series.
        let one = free_energies(&[l0], None).unwrap();
        assert_eq!(plots_of(&one).len(), 2);
        assert_eq!(plots_of(&one)[1].series.len(), 2);
        check_png(&one, (2 * PANEL_WIDTH, PANEL_HEIGHT));
        assert!(free_energies(&[], Some(-0.5)).is_none());
    }

    #[test]
    fn data_grids_show_the_values_with_their_columns_named() {
        let side = 4;
        let data: Vec<f32> = (0..32).map(|i| (i % 2) as f32).collect();
        let rec: Vec<f32> = (0..32).map(|i| i as f32 / 32.0).collect();
        let f = reconstructions(&[data.clone(), rec.clone()], 2, side, true);
        let g = grid_of(&f);
        assert_eq!(g.tiles.len(), 4);
        assert_eq!(g.columns, 2);
        assert_eq!(
            g.tiles[1],
            rec[..16].iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
        );
        assert_eq!(
            g.tiles[2],
            data[16..].iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
        );
        assert_eq!(
            g.tile_labels.as_deref().unwrap(),
            ["data", "from level 1", "data", "from level 1"]
        );
        assert_eq!(g.colour_map, ColourMap::Grey);
        assert!(g.colour_bar_label.contains("p(v = 1)"));
        check_png(&f, (g.width, g.height));
        // More than 4 examples: two to a row.
        let five: Vec<f32> = (0..80).map(|i| (i % 2) as f32).collect();
        let f = reconstructions(&[five.clone(), five.clone(), five], 5, side, true);
        assert_eq!(grid_of(&f).columns, 6);
        assert_eq!(grid_of(&f).tiles.len(), 15);

        let fig = BlockSpinFigure {
            columns: 3,
            tiles: vec![vec![1.0; 16], vec![-1.0; 16], vec![f64::NAN; 16]],
        };
        let f = block_spins(&fig, &[(1, 2)], side);
        let g = grid_of(&f);
        assert_eq!(
            g.tile_labels.as_deref().unwrap(),
            ["data", "2×2 blocks", "level 1 units"]
        );
        assert_eq!(g.tiles[1], vec![-1.0; 16]);
        assert_eq!(g.tiles[2], vec![0.0; 16], "no centre: 0");
        check_png(&f, (g.width, g.height));

        let samples: Vec<f32> = (0..48).map(|i| ((i / 3) % 2) as f32).collect();
        let f = generated(&samples, 3, side, 10, false);
        let g = grid_of(&f);
        assert_eq!(
            g.tiles[2],
            samples[32..]
                .iter()
                .map(|&v| f64::from(v))
                .collect::<Vec<_>>()
        );
        assert!(g.title.contains("3 samples") && g.title.contains("10 Gibbs steps"));
        assert!(g.colour_bar_label.contains("spin"));
        check_png(&f, (g.width, g.height));
    }

    #[test]
    fn training_panels_come_from_the_log_per_layer() {
        let line = |layer: usize, epoch: usize| {
            format!(
                r#"{{"layer":{layer},"epoch":{epoch},"free_energy_train":{},"reconstruction_error":0.5,"pseudo_log_likelihood":-3.0}}"#,
                -(epoch as f64) - 10.0 * layer as f64
            )
        };
        let log = [
            line(0, 1),
            line(0, 2),
            r#"{"layer":0,"event":"layer_done"}"#.to_owned(),
            line(1, 1),
            "garbage".to_owned(),
        ]
        .join("\n");
        let layers = epochs_by_layer(&log);
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[0].len(), 2);
        assert_eq!(layers[1][0].free_energy_train, -11.0);
        let f = training(&layers).unwrap();
        let plots = plots_of(&f);
        // Free energy, reconstruction error, pseudo-likelihood per layer.
        assert_eq!(plots.len(), 6);
        assert!(plots[0].title.starts_with("Layer 1: "));
        assert!(plots[3].title.starts_with("Layer 2: "));
        assert_eq!(plots[3].series[0].points, vec![(1.0, -11.0)]);
        check_png(&f, (3 * 640, 2 * 460));
        assert!(training(&[]).is_none());
    }
}
