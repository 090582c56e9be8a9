//! Labelled figures for `vrg`, rendered to PNG without system fonts or libraries.
//!
//! Plain data goes in, PNG bytes come out:
//!
//! - [`line_plot`] draws one [`LinePlot`]: a title, axis labels (with whatever
//!   units the caller writes into them), one or more [`Series`] drawn as lines,
//!   points or both, optional vertical error bars, and a legend when there is
//!   more than one series;
//! - [`panels`] lays several line plots out in one image (e.g. one panel per
//!   DBN layer);
//! - [`image_grid`] draws an [`ImageGrid`] of tiles (receptive fields, block
//!   spins) with a colour map, a colour bar showing the value scale, optional
//!   per-tile labels and marked tiles (e.g. dead units);
//! - [`write_png`] writes bytes to a file atomically (temporary file and
//!   rename in the same directory).
//!
//! Drawing uses [`plotters`] with its bitmap backend; text is rendered with
//! `ab_glyph` from DejaVu Sans, embedded in the binary through the `dejavu`
//! crate, and the pixels are encoded with the `png` crate. The font's
//! licence (Bitstream Vera / DejaVu, permissive; its notice must travel with
//! copies of the font, so with binaries that embed it) is in
//! `crates/vrg-plot/LICENSE-DejaVu-fonts`. Every input is
//! validated before anything is allocated or drawn: empty series or grids,
//! non-finite values or values beyond ±[`MAX_ABS_VALUE`], mismatched lengths and image sizes outside
//! [`MIN_SIDE`]`..=`[`MAX_SIDE`] pixels are refused with a [`PlotError`] that
//! names the series or tile at fault.
#![forbid(unsafe_code)]

mod colour;
mod error;
mod grid;
mod line;
mod render;

pub use colour::{diverging, grey, Rgb, DIVERGING_NEGATIVE, DIVERGING_POSITIVE};
pub use error::PlotError;
pub use grid::{image_grid, ColourMap, ImageGrid};
pub use line::{line_plot, panels, LinePlot, Series, SeriesStyle};
pub use render::write_png;

/// Smallest accepted image side, in pixels.
pub const MIN_SIDE: u32 = 64;
/// Largest accepted image side, in pixels (checked before allocating).
pub const MAX_SIDE: u32 = 8192;

/// Largest accepted magnitude of a coordinate, error bar or tile value:
/// beyond it the axis arithmetic (spans, padding, ticks) could overflow.
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Whether `v` is finite and within ±[`MAX_ABS_VALUE`].
pub(crate) fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS_VALUE
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, PlotError>;
