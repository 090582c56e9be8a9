//! Line plots (one or several series, optional error bars) and panels of them.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::render::{check_side, render, FONT};
use crate::{plottable, PlotError, Result, MAX_ABS_VALUE, MAX_SIDE};

/// How a [`Series`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesStyle {
    /// A line through the points, in order.
    #[default]
    Line,
    /// A marker at each point.
    Points,
    /// A line with a marker at each point.
    LineAndPoints,
}

/// One named series of `(x, y)` points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Its name in the legend (shown when the plot has more than one series).
    pub name: String,
    /// The points, drawn in the given order.
    pub points: Vec<(f64, f64)>,
    /// Symmetric vertical error bars, one non-negative half-width per point.
    pub y_errors: Option<Vec<f64>>,
    /// How the series is drawn.
    pub style: SeriesStyle,
}

/// A titled plot of one or more series on linear axes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinePlot {
    /// The title above the plot.
    pub title: String,
    /// The x axis label, with its unit, e.g. `"epoch"` or `"temperature T (J/k_B)"`.
    pub x_label: String,
    /// The y axis label, with its unit.
    pub y_label: String,
    /// Image width in pixels (within [`MIN_SIDE`](crate::MIN_SIDE)`..=`[`MAX_SIDE`]).
    pub width: u32,
    /// Image height in pixels (within [`MIN_SIDE`](crate::MIN_SIDE)`..=`[`MAX_SIDE`]).
    pub height: u32,
    /// The series; at least one, each with at least one point.
    pub series: Vec<Series>,
}

/// Series colours (the "tab10" palette), picked in order and cycled.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Draws `plot` and returns the PNG bytes, `plot.width`×`plot.height` pixels.
///
/// # Errors
/// [`PlotError::Invalid`] when there is no series, a series has no point, a
/// coordinate or error bar is non-finite or beyond
/// ±[`MAX_ABS_VALUE`](crate::MAX_ABS_VALUE), an error bar is negative, the number
/// of error bars differs from the number of points, or the size is out of
/// bounds; [`PlotError::Draw`] / [`PlotError::Encode`] if drawing fails.
pub fn line_plot(plot: &LinePlot) -> Result<Vec<u8>> {
    validate(plot, "the plot")?;
    render(plot.width, plot.height, |root| draw_line_plot(root, plot))
}

/// Draws several plots in one image, `columns` panels per row, filled row by
/// row, and returns the PNG bytes.
///
/// Every panel gets a cell of the largest `width` × the largest `height`
/// among the plots, so the image is `columns × max width` pixels wide (fewer
/// columns if there are fewer plots) and `rows × max height` high.
///
/// # Errors
/// As [`line_plot`] for each panel (the message names the panel by number
/// and title); also when `plots` is empty, `columns` is 0, or the whole image
/// exceeds [`MAX_SIDE`] pixels in either direction.
pub fn panels(plots: &[LinePlot], columns: usize) -> Result<Vec<u8>> {
    if plots.is_empty() {
        return Err(PlotError::invalid("panels: no plot given"));
    }
    if columns == 0 {
        return Err(PlotError::invalid("panels: columns must be at least 1"));
    }
    for (i, p) in plots.iter().enumerate() {
        validate(p, &format!("panel {i} ({:?})", p.title))?;
    }
    let columns = columns.min(plots.len());
    let rows = plots.len().div_ceil(columns);
    let cell_w = plots.iter().map(|p| p.width).max().unwrap_or(0);
    let cell_h = plots.iter().map(|p| p.height).max().unwrap_or(0);
    let total = |cells: usize, side: u32, what: &str| -> Result<u32> {
        let t = cells as u64 * u64::from(side);
        u32::try_from(t)
            .ok()
            .filter(|&t| t <= MAX_SIDE)
            .ok_or_else(|| {
                PlotError::invalid(format!(
                    "panels: the image {what} would be {t} pixels ({cells} × {side}); \
                     it must be at most {MAX_SIDE}"
                ))
            })
    };
    let width = total(columns, cell_w, "width")?;
    let height = total(rows, cell_h, "height")?;
    render(width, height, |root| {
        for (plot, area) in plots.iter().zip(root.split_evenly((rows, columns))) {
            draw_line_plot(&area, plot)?;
        }
        Ok(())
    })
}

/// Checks one plot; `what` names it in messages.
fn validate(plot: &LinePlot, what: &str) -> Result<()> {
    check_side(&format!("{what}: the width"), plot.width)?;
    check_side(&format!("{what}: the height"), plot.height)?;
    if plot.series.is_empty() {
        return Err(PlotError::invalid(format!("{what}: no series given")));
    }
    for (i, s) in plot.series.iter().enumerate() {
        let name = format!("{what}: series {i} ({:?})", s.name);
        if s.points.is_empty() {
            return Err(PlotError::invalid(format!("{name} has no points")));
        }
        if let Some(j) = s
            .points
            .iter()
            .position(|(x, y)| !(plottable(*x) && plottable(*y)))
        {
            let (x, y) = s.points[j];
            return Err(PlotError::invalid(format!(
                "{name}: point {j} is ({x}, {y}); coordinates must be finite, \
                 at most {MAX_ABS_VALUE:e} in magnitude"
            )));
        }
        if let Some(errors) = &s.y_errors {
            if errors.len() != s.points.len() {
                return Err(PlotError::invalid(format!(
                    "{name} has {} points but {} error bars",
                    s.points.len(),
                    errors.len()
                )));
            }
            if let Some(j) = errors
                .iter()
                .position(|e| !(0.0..=MAX_ABS_VALUE).contains(e))
            {
                return Err(PlotError::invalid(format!(
                    "{name}: error bar {j} is {}; error bars must be finite, non-negative \
                     and at most {MAX_ABS_VALUE:e}",
                    errors[j]
                )));
            }
        }
    }
    Ok(())
}

/// The padded data range `[lo, hi]` of `values`; never empty.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = hi - lo;
    if span > 0.0 && span.is_finite() {
        let pad = span * 0.05;
        (lo - pad, hi + pad)
    } else {
        let pad = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        (lo - pad, hi + pad)
    }
}

/// A tick formatter for an axis from `lo` to `hi`: [`tick`], with values
/// within 10⁻⁹ of the span from zero written as 0 (tick positions are sums
/// of steps, so the zero tick may come out as ±3e-17).
pub(crate) fn ticks_for(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let zero = (hi - lo).abs() * 1e-9;
    move |v: &f64| if v.abs() <= zero { "0".into() } else { tick(v) }
}

/// Formats an axis tick value compactly.
pub(crate) fn tick(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// The corner of the plot whose legend-sized box covers the fewest points
/// (upper right on a tie), so the legend hides as little data as possible.
fn legend_corner(
    plot: &LinePlot,
    (x_lo, x_hi): (f64, f64),
    (y_lo, y_hi): (f64, f64),
) -> SeriesLabelPosition {
    // The legend's share of the plot's width, from its longest entry (a
    // character is about 0.55 of the font size; the box adds its marker and
    // padding), and of its height, from the number of entries.
    let font = (f64::from(plot.width.min(plot.height)) / 32.0).clamp(9.0, 16.0);
    let longest = plot
        .series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let fx =
        ((longest as f64 * 0.55 * font + 50.0) / (f64::from(plot.width) * 0.85)).clamp(0.25, 0.9);
    let fy = (0.08 + 0.07 * plot.series.len() as f64).min(0.6);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    // Markers are data: hiding one costs more than hiding the end of a line.
    let covered = |right: bool, upper: bool| {
        plot.series
            .iter()
            .flat_map(|s| {
                let weight = if s.style == SeriesStyle::Line { 1 } else { 5 };
                s.points.iter().map(move |p| (p, weight))
            })
            .filter(|((x, y), _)| {
                let u = (x - x_lo) / (x_hi - x_lo);
                let v = (y - y_lo) / (y_hi - y_lo);
                let in_x = if right { u >= 1.0 - fx } else { u <= fx };
                let in_y = if upper { v >= 1.0 - fy } else { v <= fy };
                in_x && in_y
            })
            .map(|(_, weight)| weight)
            .sum::<usize>()
    };
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| covered(right, upper))
        .map_or(SeriesLabelPosition::UpperRight, |c| c.0)
}

/// Draws a validated plot into `area`.
fn draw_line_plot(area: &DrawingArea<BitMapBackend<'_>, Shift>, plot: &LinePlot) -> Result<()> {
    area.fill(&WHITE).map_err(PlotError::draw)?;
    let (w, h) = area.dim_in_pixel();
    let small = w.min(h);
    // Font sizes scale gently with the panel size.
    let title_size = (small as f64 / 20.0).clamp(12.0, 28.0);
    let label_size = (small as f64 / 26.0).clamp(10.0, 20.0);
    let tick_size = (small as f64 / 32.0).clamp(9.0, 16.0);

    let (x_lo, x_hi) = padded_range(
        plot.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0)),
    );
    let (y_lo, y_hi) = padded_range(plot.series.iter().flat_map(|s| {
        let errs = s.y_errors.as_deref();
        s.points.iter().enumerate().flat_map(move |(j, p)| {
            let e = errs.map_or(0.0, |e| e[j]);
            [p.1 - e, p.1 + e]
        })
    }));

    let mut chart = ChartBuilder::on(area)
        .caption(&plot.title, (FONT, title_size, FontStyle::Bold))
        .margin(8)
        .margin_right(16)
        .x_label_area_size((label_size * 2.8) as u32)
        .y_label_area_size((label_size * 4.6) as u32)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(PlotError::draw)?;
    chart
        .configure_mesh()
        .x_desc(&plot.x_label)
        .y_desc(&plot.y_label)
        .axis_desc_style((FONT, label_size))
        .label_style((FONT, tick_size))
        .x_label_formatter(&ticks_for(x_lo, x_hi))
        .y_label_formatter(&ticks_for(y_lo, y_hi))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(PlotError::draw)?;

    let marker = (small as f64 / 120.0).clamp(2.0, 5.0) as i32;
    for (i, s) in plot.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let line = colour.stroke_width(2);
        if let Some(errors) = &s.y_errors {
            chart
                .draw_series(s.points.iter().zip(errors).map(|(&(x, y), &e)| {
                    ErrorBar::new_vertical(
                        x,
                        y - e,
                        y,
                        y + e,
                        colour.stroke_width(1),
                        (2 * marker + 2) as u32,
                    )
                }))
                .map_err(PlotError::draw)?;
        }
        let draw_line = matches!(s.style, SeriesStyle::Line | SeriesStyle::LineAndPoints);
        let draw_points = matches!(s.style, SeriesStyle::Points | SeriesStyle::LineAndPoints);
        if draw_line {
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), line))
                .map_err(PlotError::draw)?;
        }
        if draw_points {
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|&p| Circle::new(p, marker, colour.filled())),
                )
                .map_err(PlotError::draw)?;
        }
        // An empty series carries the legend entry: a line segment and/or a
        // marker, as the series is drawn (the unused part is transparent).
        let path_style = if draw_line { line } else { TRANSPARENT.into() };
        let point_style = if draw_points {
            colour.filled()
        } else {
            TRANSPARENT.filled()
        };
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(PlotError::draw)?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (20, 0)], path_style)
                    + Circle::new((10, 0), marker, point_style)
            });
    }
    if plot.series.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FONT, tick_size))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(150, 150, 150))
            .position(legend_corner(plot, (x_lo, x_hi), (y_lo, y_hi)))
            .draw()
            .map_err(PlotError::draw)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_tick_reads_zero() {
        let format = ticks_for(-0.25, 0.05);
        assert_eq!(format(&-2.7755575615628914e-17), "0");
        assert_eq!(format(&-0.05), "-0.05");
        assert_eq!(format(&1e-12), "0");
        assert_eq!(ticks_for(0.0, 1e-12)(&1e-15), "1.0e-15");
    }
}
