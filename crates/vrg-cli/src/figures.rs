//! Grey-scale figures: grids of equally sized tiles written as PNG.

/// How a tile's values become grey levels.
#[derive(Clone, Copy, Debug)]
pub enum Scale {
    /// Each tile on its own: 0 is mid-grey, the tile's largest |x| is
    /// black or white (weights, receptive fields).
    SymmetricPerTile,
    /// One fixed range for every tile: `low` is black, `high` white
    /// (configurations, probabilities). NaN is mid-grey.
    Fixed(f64, f64),
}

/// A grid of `n_tiles` tiles of `tile_h × tile_w` pixels, `columns` per
/// row, one pixel of black between tiles; `value(tile, pixel)` gives pixel
/// `pixel` (row-major within the tile). Returns (height, width, pixels).
pub fn tile_grid(
    n_tiles: usize,
    (tile_h, tile_w): (usize, usize),
    columns: usize,
    scale: Scale,
    value: impl Fn(usize, usize) -> f64,
) -> (usize, usize, Vec<u8>) {
    let columns = columns.clamp(1, n_tiles.max(1));
    let grid_rows = n_tiles.div_ceil(columns).max(1);
    let width = columns * tile_w + (columns - 1);
    let height = grid_rows * tile_h + (grid_rows - 1);
    let mut pixels = vec![0u8; width * height];
    let n_pixels = tile_h * tile_w;
    for t in 0..n_tiles {
        let max = match scale {
            Scale::SymmetricPerTile => (0..n_pixels).map(|i| value(t, i).abs()).fold(0.0, f64::max),
            Scale::Fixed(..) => 0.0,
        };
        let (top, left) = ((t / columns) * (tile_h + 1), (t % columns) * (tile_w + 1));
        for i in 0..n_pixels {
            let x = value(t, i);
            let grey = match scale {
                _ if x.is_nan() => 128.0,
                Scale::SymmetricPerTile if max > 0.0 => 128.0 + 127.0 * x / max,
                Scale::SymmetricPerTile => 128.0,
                Scale::Fixed(low, high) => 255.0 * (x - low) / (high - low),
            };
            let (r, c) = (i / tile_w, i % tile_w);
            pixels[(top + r) * width + left + c] = grey.round().clamp(0.0, 255.0) as u8;
        }
    }
    (height, width, pixels)
}

/// Each pixel of `pixels` (`height × width`) as a `zoom × zoom` square.
pub fn upscale(height: usize, width: usize, pixels: &[u8], zoom: usize) -> (usize, usize, Vec<u8>) {
    let (h, w) = (height * zoom, width * zoom);
    let mut out = vec![0u8; h * w];
    for (r, row) in out.chunks_exact_mut(w).enumerate() {
        for (c, p) in row.iter_mut().enumerate() {
            *p = pixels[(r / zoom) * width + c / zoom];
        }
    }
    (h, w, out)
}

/// The zoom that makes a tile at least 64 pixels high (at most 8).
pub fn zoom_for(tile_h: usize) -> usize {
    64usize.div_ceil(tile_h.max(1)).clamp(1, 8)
}

/// Writes a [`tile_grid`] to `path` (atomically), each pixel enlarged by
/// [`zoom_for`] the tile height.
pub fn write_tile_grid(
    path: &std::path::Path,
    n_tiles: usize,
    tile: (usize, usize),
    columns: usize,
    scale: Scale,
    value: impl Fn(usize, usize) -> f64,
) -> vrg::Result<()> {
    let (height, width, pixels) = tile_grid(n_tiles, tile, columns, scale, value);
    let (height, width, pixels) = upscale(height, width, &pixels, zoom_for(tile.0));
    vrg::io::image::write_grey_png(path, height, width, &pixels)
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
        let (h, w, px) = tile_grid(2, (2, 3), 2, Scale::Fixed(0.0, 15.0), |t, i| {
            (t * 10 + i) as f64
        });
        assert_eq!((h, w), (2, 7));
        assert_eq!(px[3], 0, "border column");
        assert_eq!(px[0], 0);
        assert_eq!(px[4], (255.0f64 * 10.0 / 15.0).round() as u8);
        assert_eq!(px[7 + 6], (255.0f64 * 15.0 / 15.0).round() as u8);
    }

    #[test]
    fn upscaling_repeats_each_pixel() {
        let (h, w, px) = upscale(1, 2, &[10, 20], 2);
        assert_eq!((h, w), (2, 4));
        assert_eq!(px, vec![10, 10, 20, 20, 10, 10, 20, 20]);
        assert_eq!(zoom_for(20), 4);
        assert_eq!(zoom_for(40), 2);
        assert_eq!(zoom_for(784), 1);
    }

    #[test]
    fn symmetric_scale_maps_each_tiles_extremes() {
        let (_, _, px) = tile_grid(1, (1, 3), 1, Scale::SymmetricPerTile, |_, i| {
            [-2.0, 0.0, 1.0][i]
        });
        assert_eq!(px, vec![1, 128, 192]);
        let (_, _, nan) = tile_grid(1, (1, 1), 1, Scale::Fixed(0.0, 1.0), |_, _| f64::NAN);
        assert_eq!(nan, vec![128]);
    }
}
