//! `vrg rbm filters`: each hidden unit's weights as a grey tile.

use crate::figures::ceil_sqrt;
use crate::flags::RbmFiltersArgs;
use crate::inputs::{check_extension, check_writable};
use anyhow::{anyhow, bail, Context, Result};
use vrg::rbm::file::load_rbm;
use vrg::rbm::Rbm;

/// Parses `--shape HxW` (also `H×W`) for tiles of `n_visible` pixels.
pub fn parse_shape(text: &str, n_visible: usize) -> Result<(usize, usize)> {
    let malformed = || {
        anyhow!(
            "invalid --shape {text}: expected HxW with H·W = {n_visible}, the model's visible units"
        )
    };
    let (h, w) = text.split_once(['x', 'X', '×']).ok_or_else(malformed)?;
    let h: usize = h.trim().parse().map_err(|_| malformed())?;
    let w: usize = w.trim().parse().map_err(|_| malformed())?;
    if h == 0 || w == 0 || h.checked_mul(w) != Some(n_visible) {
        return Err(malformed());
    }
    Ok((h, w))
}

/// Lays out the columns of W (one per hidden unit) as `tile_h × tile_w`
/// tiles, `columns` per grid row, 1-pixel black gaps; each tile is scaled
/// by its own max |w| to grey = 128 + 127·w/max|w|. Returns
/// (height, width, pixels).
pub fn filter_image(
    rbm: &Rbm,
    (tile_h, tile_w): (usize, usize),
    columns: usize,
) -> (usize, usize, Vec<u8>) {
    let nh = rbm.n_hidden();
    let weights = rbm.weights();
    crate::figures::tile_grid(nh, (tile_h, tile_w), columns, |j, i| {
        f64::from(weights[i * nh + j])
    })
}

pub fn run(args: RbmFiltersArgs) -> Result<()> {
    check_extension("--out", &args.out, "png")?;
    vrg::io::PathPlan::new()
        .input("--model", &args.model)
        .output("--out", &args.out)
        .check()?;
    if args.columns == Some(0) {
        bail!("invalid --columns 0: expected at least 1 tile per row");
    }
    let rbm = load_rbm(&args.model)?.rbm;
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let shape = match &args.shape {
        Some(text) => parse_shape(text, nv)?,
        None => {
            let side = ceil_sqrt(nv);
            if side * side != nv {
                bail!(
                    "{} has {nv} visible units, not a perfect square: give the tile shape with --shape HxW",
                    args.model.display()
                );
            }
            (side, side)
        }
    };
    let columns = args.columns.unwrap_or_else(|| ceil_sqrt(nh)).min(nh);
    let grid_rows = nh.div_ceil(columns);
    let pixels_needed = (columns * (shape.1 + 1))
        .checked_mul(grid_rows * (shape.0 + 1))
        .filter(|&p| p <= 1 << 31);
    if pixels_needed.is_none() {
        bail!(
            "the filter image of {nh} tiles of {}x{} would exceed 2^31 pixels",
            shape.0,
            shape.1
        );
    }
    check_writable(&args.out).context("invalid --out")?;
    let (height, width, pixels) = filter_image(&rbm, shape, columns);
    vrg::io::image::write_grey_png(&args.out, height, width, &pixels)?;
    eprintln!(
        "wrote {}: {nh} filters of {}x{} in {grid_rows} rows × {columns} columns ({height}×{width} pixels)",
        args.out.display(),
        shape.0,
        shape.1
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrg::rbm::{HiddenUnits, VisibleUnits};

    #[test]
    fn shape_syntax_and_grid_sizes() {
        assert_eq!(parse_shape("8x4", 32).unwrap(), (8, 4));
        assert_eq!(parse_shape("8×4", 32).unwrap(), (8, 4));
        for bad in ["8x5", "8", "0x0", "x4", "ax4"] {
            assert!(parse_shape(bad, 32).is_err(), "{bad:?}");
        }
        for (n, c) in [(1, 1), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (500, 23)] {
            assert_eq!(ceil_sqrt(n), c, "{n}");
        }
    }

    #[test]
    fn filter_tiles_are_columns_of_w_scaled_per_tile() {
        // 4 visible (2×2 tiles), 3 hidden: W_ij = (i + 1)·(j + 1)·(−1)^i.
        let weights: Vec<f32> = (0..4)
            .flat_map(|i| {
                (0..3)
                    .map(move |j| ((i + 1) * (j + 1)) as f32 * if i % 2 == 0 { 1.0 } else { -1.0 })
            })
            .collect();
        let rbm = Rbm::from_parameters(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            weights,
            vec![0.0; 4],
            vec![0.0; 3],
        )
        .unwrap();
        let (h, w, pixels) = filter_image(&rbm, (2, 2), 2);
        assert_eq!((h, w), (5, 5));
        // Tile 0 (top left): column 0 = [1, −2, 3, −4], max 4.
        let grey = |w: f64| (128.0 + 127.0 * w / 4.0).round() as u8;
        assert_eq!(pixels[0], grey(1.0));
        assert_eq!(pixels[1], grey(-2.0));
        assert_eq!(pixels[5], grey(3.0));
        assert_eq!(pixels[6], 1);
        // Gaps and the empty fourth cell are black; tile 1 starts at column 3.
        assert_eq!(pixels[2], 0);
        assert_eq!(pixels[2 * 5], 0);
        assert_eq!(pixels[3], grey(1.0));
        assert_eq!(pixels[3 * 5 + 3], 0);
        // Tile 2 (bottom left) has the same pattern: every tile is scaled alone.
        assert_eq!(pixels[3 * 5], grey(1.0));
        assert_eq!(pixels[4 * 5 + 1], 1);
    }
}
