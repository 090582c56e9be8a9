//! Grids of image tiles (receptive fields, block spins) with a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::colour::{diverging, grey, Rgb};
use crate::line::ticks_for;
use crate::render::{check_side, render, FONT};
use crate::{plottable, PlotError, Result, MAX_ABS_VALUE};

/// How tile values map to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColourMap {
    /// Blue–white–red centred at 0 on the symmetric range `±max|value|` over
    /// all tiles (see [`diverging`](crate::diverging)). For signed weights.
    #[default]
    Diverging,
    /// Black at the smallest value over all tiles, white at the largest (see
    /// [`grey`](crate::grey)). For spins, activations, probabilities.
    Grey,
}

/// A titled grid of equally shaped tiles sharing one colour scale.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageGrid {
    /// The title above the grid.
    pub title: String,
    /// The tiles, each `tile_shape.0 * tile_shape.1` values in row-major order.
    pub tiles: Vec<Vec<f64>>,
    /// `(height, width)` of every tile, in values.
    pub tile_shape: (usize, usize),
    /// Tiles per row of the grid (at least 1; fewer if there are fewer tiles).
    pub columns: usize,
    /// The colour map.
    pub colour_map: ColourMap,
    /// A short label under each tile (e.g. the unit number and a locality
    /// figure); one per tile when given.
    pub tile_labels: Option<Vec<String>>,
    /// Indices of tiles to mark with a green frame and cross (e.g. dead units).
    pub marked: Vec<usize>,
    /// What a mark means, shown under the colour bar when any tile is marked,
    /// e.g. `"dead unit"`; `"marked"` if empty.
    pub marked_label: String,
    /// The colour bar's label, with its unit, e.g. `"weight"`.
    pub colour_bar_label: String,
    /// Image width in pixels (within [`MIN_SIDE`](crate::MIN_SIDE)`..=`[`MAX_SIDE`](crate::MAX_SIDE)).
    pub width: u32,
    /// Image height in pixels (within [`MIN_SIDE`](crate::MIN_SIDE)`..=`[`MAX_SIDE`](crate::MAX_SIDE)).
    pub height: u32,
}

/// The colour of marks (frame and cross): a green that stands out on both maps.
const MARK: RGBColor = RGBColor(0, 170, 0);

/// Draws `grid` and returns the PNG bytes, `grid.width`×`grid.height` pixels.
///
/// The tiles fill the left part of the image, row by row, each scaled by
/// the same whole number of pixels per value, as large as fits; the colour
/// bar with its ticks and label is on the right.
///
/// # Errors
/// [`PlotError::Invalid`] when there is no tile, a tile dimension or
/// `columns` is 0, a tile has the wrong number of values or a non-finite
/// value (or one beyond ±[`MAX_ABS_VALUE`](crate::MAX_ABS_VALUE)), the labels are not one per tile, a marked index is out of range,
/// the size is out of bounds, or the tiles do not fit (at least one pixel
/// per value); [`PlotError::Draw`] / [`PlotError::Encode`] if drawing fails.
pub fn image_grid(grid: &ImageGrid) -> Result<Vec<u8>> {
    validate(grid)?;
    let layout = Layout::new(grid)?;
    render(grid.width, grid.height, |root| draw(root, grid, &layout))
}

fn validate(grid: &ImageGrid) -> Result<()> {
    check_side("the image grid width", grid.width)?;
    check_side("the image grid height", grid.height)?;
    if grid.tiles.is_empty() {
        return Err(PlotError::invalid("image grid: no tiles given"));
    }
    let (h, w) = grid.tile_shape;
    if h == 0 || w == 0 {
        return Err(PlotError::invalid(format!(
            "image grid: the tile shape is {h}×{w}; both sides must be at least 1"
        )));
    }
    if grid.columns == 0 {
        return Err(PlotError::invalid("image grid: columns must be at least 1"));
    }
    let n = h.checked_mul(w).ok_or_else(|| {
        PlotError::invalid(format!("image grid: the tile shape {h}×{w} is too large"))
    })?;
    for (i, t) in grid.tiles.iter().enumerate() {
        if t.len() != n {
            return Err(PlotError::invalid(format!(
                "image grid: tile {i} has {} values; the tile shape {h}×{w} needs {n}",
                t.len()
            )));
        }
        if let Some(j) = t.iter().position(|v| !plottable(*v)) {
            return Err(PlotError::invalid(format!(
                "image grid: tile {i}, value {j} (row {}, column {}) is {}; values must be \
                 finite, at most {MAX_ABS_VALUE:e} in magnitude",
                j / w,
                j % w,
                t[j]
            )));
        }
    }
    if let Some(labels) = &grid.tile_labels {
        if labels.len() != grid.tiles.len() {
            return Err(PlotError::invalid(format!(
                "image grid: {} tile labels for {} tiles",
                labels.len(),
                grid.tiles.len()
            )));
        }
    }
    if let Some(&m) = grid.marked.iter().find(|&&m| m >= grid.tiles.len()) {
        return Err(PlotError::invalid(format!(
            "image grid: marked tile {m} does not exist ({} tiles)",
            grid.tiles.len()
        )));
    }
    Ok(())
}

/// Where things go, in pixels; computed before allocating.
struct Layout {
    columns: usize,
    /// Pixels per value.
    scale: u32,
    /// Horizontal and vertical pitch between tile origins.
    pitch_x: u32,
    pitch_y: u32,
    gap: u32,
    title_h: u32,
    title_size: f64,
    label_size: f64,
    /// Top of the first row of tiles.
    grid_top: u32,
    /// Height of all rows of tiles.
    grid_h: u32,
    /// Left edge of the colour bar area.
    bar_x: u32,
    /// The value range of the colour scale.
    lo: f64,
    hi: f64,
}

impl Layout {
    fn new(grid: &ImageGrid) -> Result<Layout> {
        let (th, tw) = grid.tile_shape;
        let columns = grid.columns.min(grid.tiles.len());
        let rows = grid.tiles.len().div_ceil(columns);
        let area = (f64::from(grid.width) * f64::from(grid.height)).sqrt();
        let title_size = (area / 26.0).clamp(12.0, 28.0);
        let title_h = (title_size * 1.8) as u32;
        let bar_w = ((grid.width as f64) * 0.16).clamp(80.0, 180.0) as u32;
        let margin = 8;
        let gap = 4;
        let avail_w = grid.width.saturating_sub(bar_w + 2 * margin);
        let avail_h = grid.height.saturating_sub(title_h + margin);
        // Labels are sized from the tile pitch, so find the scale first
        // without labels, then shrink it until labels fit too.
        let label_size_for = |pitch_x: u32| (pitch_x as f64 / 7.0).clamp(8.0, 14.0);
        let has_labels = grid.tile_labels.is_some();
        let fits = |scale: u32| -> Option<(u32, u32, f64)> {
            let pitch_x = (tw as u64 * scale as u64 + gap as u64).min(u32::MAX as u64) as u32;
            let label_size = label_size_for(pitch_x);
            let label_h = if has_labels {
                (label_size * 1.5) as u32
            } else {
                0
            };
            let pitch_y =
                (th as u64 * scale as u64 + (gap + label_h) as u64).min(u32::MAX as u64) as u32;
            let ok = pitch_x as u64 * columns as u64 <= avail_w as u64
                && pitch_y as u64 * rows as u64 <= avail_h as u64;
            ok.then_some((pitch_x, pitch_y, label_size))
        };
        let max_scale = (avail_w as usize / (columns * tw).max(1)).max(1) as u32;
        let (scale, (pitch_x, pitch_y, label_size)) = (1..=max_scale)
            .rev()
            .find_map(|s| fits(s).map(|f| (s, f)))
            .ok_or_else(|| {
                PlotError::invalid(format!(
                    "image grid: {} tiles of {th}×{tw} in {columns} columns do not fit in \
                     {}×{} pixels (with title and colour bar); make the image larger",
                    grid.tiles.len(),
                    grid.width,
                    grid.height
                ))
            })?;
        let grid_h = pitch_y * rows as u32;
        let grid_top = title_h + (avail_h - grid_h) / 2;
        let values = grid.tiles.iter().flatten().copied();
        let (lo, hi) = match grid.colour_map {
            ColourMap::Diverging => {
                let m = values.fold(0.0f64, |m, v| m.max(v.abs()));
                let m = if m > 0.0 { m } else { 1.0 };
                (-m, m)
            }
            ColourMap::Grey => {
                let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
                if hi > lo {
                    (lo, hi)
                } else {
                    (lo - 0.5, hi + 0.5)
                }
            }
        };
        Ok(Layout {
            columns,
            scale,
            pitch_x,
            pitch_y,
            gap,
            grid_top,
            grid_h,
            title_h,
            title_size,
            label_size,
            bar_x: grid.width - bar_w - margin,
            lo,
            hi,
        })
    }

    fn colour(&self, map: ColourMap, v: f64) -> Rgb {
        match map {
            ColourMap::Diverging => diverging(v, self.hi),
            ColourMap::Grey => grey(v, self.lo, self.hi),
        }
    }
}

fn rgb((r, g, b): Rgb) -> RGBColor {
    RGBColor(r, g, b)
}

fn draw(root: &DrawingArea<BitMapBackend<'_>, Shift>, grid: &ImageGrid, l: &Layout) -> Result<()> {
    root.fill(&WHITE).map_err(PlotError::draw)?;
    let (width, _) = root.dim_in_pixel();
    let title_style = TextStyle::from((FONT, l.title_size, FontStyle::Bold).into_font())
        .pos(Pos::new(HPos::Center, VPos::Center))
        .color(&BLACK);
    root.draw_text(
        &grid.title,
        &title_style,
        ((width / 2) as i32, (l.title_h / 2) as i32),
    )
    .map_err(PlotError::draw)?;

    let (th, tw) = grid.tile_shape;
    let grid_w = l.pitch_x * l.columns as u32;
    let bar_left = l.bar_x;
    // Centre the tiles in the space left of the colour bar.
    let x0 = (bar_left.saturating_sub(grid_w)) / 2;
    let y0 = l.grid_top;
    let s = l.scale as i32;
    let label_style = TextStyle::from((FONT, l.label_size).into_font())
        .pos(Pos::new(HPos::Center, VPos::Top))
        .color(&BLACK);
    for (i, tile) in grid.tiles.iter().enumerate() {
        let tx = (x0 + (i % l.columns) as u32 * l.pitch_x + l.gap / 2) as i32;
        let ty = (y0 + (i / l.columns) as u32 * l.pitch_y + l.gap / 2) as i32;
        for (j, &v) in tile.iter().enumerate() {
            let px = tx + (j % tw) as i32 * s;
            let py = ty + (j / tw) as i32 * s;
            root.draw(&Rectangle::new(
                [(px, py), (px + s, py + s)],
                rgb(l.colour(grid.colour_map, v)).filled(),
            ))
            .map_err(PlotError::draw)?;
        }
        let (tx1, ty1) = (tx + tw as i32 * s - 1, ty + th as i32 * s - 1);
        // A thin grey frame so white tiles stay visible.
        root.draw(&Rectangle::new(
            [(tx - 1, ty - 1), (tx1 + 1, ty1 + 1)],
            RGBColor(170, 170, 170),
        ))
        .map_err(PlotError::draw)?;
        if grid.marked.contains(&i) {
            draw_mark(root, (tx, ty), (tx1, ty1))?;
        }
        if let Some(labels) = &grid.tile_labels {
            root.draw_text(
                &labels[i],
                &label_style,
                ((tx + tx1) / 2, ty1 + 3 + (l.label_size * 0.25) as i32),
            )
            .map_err(PlotError::draw)?;
        }
    }
    draw_colour_bar(root, grid, l)
}

/// A green frame and cross over the tile spanning `(x0, y0)..=(x1, y1)`.
fn draw_mark(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Result<()> {
    let style = MARK.stroke_width(2);
    root.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x1 + 1, y1 + 1)], style))
        .map_err(PlotError::draw)?;
    root.draw(&PathElement::new(vec![(x0, y0), (x1, y1)], style))
        .map_err(PlotError::draw)?;
    root.draw(&PathElement::new(vec![(x0, y1), (x1, y0)], style))
        .map_err(PlotError::draw)
}

/// The colour bar: a vertical gradient with value ticks and the label on
/// its left, and the meaning of a mark underneath when any tile is marked.
fn draw_colour_bar(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    grid: &ImageGrid,
    l: &Layout,
) -> Result<()> {
    let (width, height) = root.dim_in_pixel();
    let legend_h = if grid.marked.is_empty() {
        0
    } else {
        (l.label_size * 3.0) as u32
    };
    // The bar spans the rows of tiles, but at least 200 pixels (or all the
    // room there is), centred on them.
    let room = height.saturating_sub(l.title_h + legend_h);
    let bar_h = l.grid_h.max(200).min(room);
    let centre = l.grid_top + l.grid_h / 2;
    let bar_top = centre
        .saturating_sub(bar_h / 2)
        .clamp(l.title_h, l.title_h + room - bar_h);
    let area = root
        .clone()
        .shrink((l.bar_x, bar_top), (width - l.bar_x, bar_h));
    let tick_size = (l.title_size * 0.6).clamp(10.0, 16.0);
    let mut chart = ChartBuilder::on(&area)
        .margin_top(6)
        .margin_bottom(10)
        .margin_right(4)
        .y_label_area_size((tick_size * 5.0) as u32)
        .build_cartesian_2d(0.0..1.0, l.lo..l.hi)
        .map_err(PlotError::draw)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(&grid.colour_bar_label)
        .axis_desc_style((FONT, tick_size * 1.1))
        .label_style((FONT, tick_size))
        .y_label_formatter(&ticks_for(l.lo, l.hi))
        .y_labels(7)
        .draw()
        .map_err(PlotError::draw)?;
    let steps = 256;
    let step = (l.hi - l.lo) / steps as f64;
    chart
        .draw_series((0..steps).map(|k| {
            let a = l.lo + k as f64 * step;
            let mid = a + step / 2.0;
            Rectangle::new(
                [(0.0, a), (1.0, a + step)],
                rgb(l.colour(grid.colour_map, mid)).filled(),
            )
        }))
        .map_err(PlotError::draw)?;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, l.lo), (1.0, l.hi)],
            BLACK.stroke_width(1),
        )))
        .map_err(PlotError::draw)?;

    if !grid.marked.is_empty() {
        let side = (l.label_size * 1.4) as i32;
        let x = l.bar_x as i32 + 4;
        let y = (bar_top + bar_h) as i32 + 2;
        root.draw(&Rectangle::new(
            [(x, y), (x + side, y + side)],
            WHITE.filled(),
        ))
        .map_err(PlotError::draw)?;
        draw_mark(root, (x + 1, y + 1), (x + side - 1, y + side - 1))?;
        let text = if grid.marked_label.is_empty() {
            "marked"
        } else {
            grid.marked_label.as_str()
        };
        let style = TextStyle::from((FONT, l.label_size * 1.1).into_font())
            .pos(Pos::new(HPos::Left, VPos::Center))
            .color(&BLACK);
        root.draw_text(text, &style, (x + side + 6, y + side / 2))
            .map_err(PlotError::draw)?;
    }
    Ok(())
}
