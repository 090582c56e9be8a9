//! Grey-scale weight images for `vrg rbm filters`: grids of equally sized
//! tiles, each scaled on its own. (The DBN analysis draws labelled figures
//! with `vrg_plot`; see `experiment::dbn_figures`.)

/// A grid of `n_tiles` tiles of `tile_h × tile_w` pixels, `columns` per
/// row, one pixel of black between tiles; `value(tile, pixel)` gives pixel
/// `pixel` (row-major within the tile). Each tile is scaled on its own: 0
/// is mid-grey, the tile's largest |x| is black or white; NaN is mid-grey.
/// Returns (height, width, pixels).
pub fn tile_grid(
    n_tiles: usize,
    (tile_h, tile_w): (usize, usize),
    columns: usize,
    value: impl Fn(usize, usize) -> f64,
) -> (usize, usize, Vec<u8>) {
    let columns = columns.clamp(1, n_tiles.max(1));
    let grid_rows = n_tiles.div_ceil(columns).max(1);
    let width = columns * tile_w + (columns - 1);
    let height = grid_rows * tile_h + (grid_rows - 1);
    let mut pixels = vec![0u8; width * height];
    let n_pixels = tile_h * tile_w;
    for t in 0..n_tiles {
        let max = (0..n_pixels).map(|i| value(t, i).abs()).fold(0.0, f64::max);
        let (top, left) = ((t / columns) * (tile_h + 1), (t % columns) * (tile_w + 1));
        for i in 0..n_pixels {
            let x = value(t, i);
            let grey = if x.is_nan() || max <= 0.0 {
                128.0
            } else {
                128.0 + 127.0 * x / max
            };
            let (r, c) = (i / tile_w, i % tile_w);
            pixels[(top + r) * width + left + c] = grey.round().clamp(0.0, 255.0) as u8;
        }
    }
    (height, width, pixels)
}

/// The smallest integer c with c² ≥ n.
pub fn ceil_sqrt(n: usize) -> usize {
    let mut c = (n as f64).sqrt() as usize;
    while c * c < n {
        c += 1;
    }
    while c > 0 && (c - 1) * (c - 1) >= n {
        c -= 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_land_in_their_cells_with_black_borders() {
        // Two 2×3 tiles in one row: tile t's pixel i has value t·10 + i.
        let (h, w, px) = tile_grid(2, (2, 3), 2, |t, i| (t * 10 + i) as f64);
        assert_eq!((h, w), (2, 7));
        assert_eq!(px[3], 0, "border column");
        assert_eq!(px[0], 128, "0 is mid-grey");
        assert_eq!(px[4], (128.0f64 + 127.0 * 10.0 / 15.0).round() as u8);
        assert_eq!(px[7 + 6], 255);
    }

    #[test]
    fn symmetric_scale_maps_each_tiles_extremes() {
        let (_, _, px) = tile_grid(1, (1, 3), 1, |_, i| [-2.0, 0.0, 1.0][i]);
        assert_eq!(px, vec![1, 128, 192]);
        let (_, _, nan) = tile_grid(1, (1, 1), 1, |_, _| f64::NAN);
        assert_eq!(nan, vec![128]);
    }
}
