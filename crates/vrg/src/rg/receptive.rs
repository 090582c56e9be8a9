//! Effective receptive fields of DBN units and how local they are
//! (Mehta & Schwab 2014, §V and Fig. 4).
//!
//! A field is a real value per lattice site, `side²` values indexed
//! i = row·side + col (see [`super::lattice`]); its *mass* at a site is the
//! absolute value a_i = |field_i|.

use super::lattice::torus_delta;
use crate::dbn::Dbn;
use crate::linalg::{gemm_f64, Operand};
use crate::stats::quantile;
use crate::{Error, Result};
use rayon::prelude::*;
use std::f64::consts::TAU;

/// The effective receptive fields of the units at `level` (1 = layer 0's
/// hidden units, …, `dbn.layers().len()` = the top): the row-major
/// `n_0 × n_level` matrix R = W0·W1·…·W_{level−1}, computed in f64, whose
/// column u is unit u's field over the data's `n_0` units. Mehta & Schwab
/// (2014, Fig. 4): "the effective receptive field of a unit is the product
/// of the weight matrices below it". Level 1 is W0 itself.
///
/// Errors if `level` is 0 or above the number of layers.
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), Fig. 4.
pub fn receptive_fields(dbn: &Dbn, level: usize) -> Result<Vec<f64>> {
    let layers = dbn.layers();
    if level == 0 || level > layers.len() {
        return Err(Error::invalid(
            "level",
            level,
            format!("1 (the first hidden layer) to {} (the top)", layers.len()),
        ));
    }
    let n_data = layers[0].n_visible();
    let mut product: Vec<f64> = layers[0].weights().iter().map(|&w| w as f64).collect();
    for layer in &layers[1..level] {
        let (n_inner, n_outer) = (layer.n_visible(), layer.n_hidden());
        let w: Vec<f64> = layer.weights().iter().map(|&x| x as f64).collect();
        let mut next = vec![0.0f64; n_data * n_outer];
        gemm_f64(
            &mut next,
            Operand::new(&product, n_data, n_inner),
            Operand::new(&w, n_inner, n_outer),
            1.0,
            false,
        );
        product = next;
    }
    Ok(product)
}

/// How concentrated one field is on the periodic lattice
/// (see [`field_locality`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Locality {
    /// The largest share of the mass Σ|field| inside one window × window
    /// window (0 for a field that is zero everywhere).
    pub mass_fraction: f64,
    /// (row, col) of that best window's top-left site.
    pub window_origin: (usize, usize),
    /// The circular mean position (row, col) of the mass, in [0, side)².
    pub centre: (f64, f64),
    /// The second-moment radius sqrt(Σ a d² / Σ a) about the centre.
    pub radius: f64,
    /// The effective number of sites the field covers, (Σw²)²/Σw⁴
    /// ([`participation_ratio`]).
    pub participation_ratio: f64,
}

/// Periodic 2D prefix sums of the masses over the lattice tiled 2 × 2, so
/// that every window sum (with wrap) is four look-ups.
struct PeriodicPrefix {
    side: usize,
    /// (2·side + 1)² prefix sums: sums[r·(2side+1) + c] = Σ over the tiled
    /// lattice's rows < r and columns < c.
    sums: Vec<f64>,
    total: f64,
}

impl PeriodicPrefix {
    fn new(mass: &[f64], side: usize) -> Self {
        let width = 2 * side + 1;
        let mut sums = vec![0.0f64; width * width];
        for r in 0..2 * side {
            let mut row_sum = 0.0;
            for c in 0..2 * side {
                row_sum += mass[(r % side) * side + c % side];
                sums[(r + 1) * width + c + 1] = sums[r * width + c + 1] + row_sum;
            }
        }
        PeriodicPrefix {
            side,
            sums,
            total: mass.iter().sum(),
        }
    }

    /// Σ of the masses in the window × window window whose top-left site
    /// is (row, col), wrapping around the lattice (window ≤ side).
    fn window_sum(&self, row: usize, col: usize, window: usize) -> f64 {
        let width = 2 * self.side + 1;
        let at = |r: usize, c: usize| self.sums[r * width + c];
        at(row + window, col + window) - at(row, col + window) - at(row + window, col)
            + at(row, col)
    }

    /// The best window's mass fraction and origin. A later origin (in
    /// row-major order) replaces the best only if its sum is larger by more
    /// than 10⁻¹² of the total, so exact ties go to the first origin and
    /// not to rounding.
    fn best_window(&self, window: usize) -> (f64, (usize, usize)) {
        if self.total <= 0.0 {
            return (0.0, (0, 0));
        }
        if window == self.side {
            return (1.0, (0, 0));
        }
        let margin = 1e-12 * self.total;
        let mut best = (f64::NEG_INFINITY, (0, 0));
        for row in 0..self.side {
            for col in 0..self.side {
                let sum = self.window_sum(row, col, window);
                if sum > best.0 + margin {
                    best = (sum, (row, col));
                }
            }
        }
        ((best.0 / self.total).clamp(0.0, 1.0), best.1)
    }
}

fn check_field(field: &[f64], side: usize) -> Result<()> {
    if field.len() != side * side {
        return Err(Error::ShapeMismatch {
            what: "receptive field".into(),
            expected: format!("{side} × {side} = {} sites", side * side),
            found: format!("{} values", field.len()),
        });
    }
    if let Some(i) = field.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(
            "receptive field",
            format!(
                "{} at site {i} (row {}, col {})",
                field[i],
                i / side,
                i % side
            ),
            "finite values",
        ));
    }
    Ok(())
}

fn check_window(window: usize, side: usize) -> Result<()> {
    if window == 0 || window > side {
        return Err(Error::invalid(
            "window",
            window,
            format!("a window side from 1 to the lattice side {side}"),
        ));
    }
    Ok(())
}

/// The circular (periodic) mean of positions 0..side weighted by `mass`:
/// θ_x = 2πx/side, mean = atan2(Σ m sin θ, Σ m cos θ)·side/2π mapped to
/// [0, side) (Mardia & Jupp 2000, §2.2.1). Undefined (returned as 0) when
/// both sums vanish, e.g. for a uniform mass.
fn circular_mean(mass: &[f64], side: usize) -> f64 {
    let (mut sin_sum, mut cos_sum) = (0.0f64, 0.0f64);
    for (x, m) in mass.iter().enumerate() {
        let theta = TAU * x as f64 / side as f64;
        sin_sum += m * theta.sin();
        cos_sum += m * theta.cos();
    }
    let mut mean = sin_sum.atan2(cos_sum) * side as f64 / TAU;
    if mean < 0.0 {
        mean += side as f64;
    }
    if mean >= side as f64 {
        mean -= side as f64;
    }
    mean
}

/// How local one field is on the periodic `side × side` lattice, with
/// masses a_i = |field_i| (`field` has `side²` values, site row·side + col):
///
/// - `mass_fraction` = max over all side² window origins (with periodic
///   wrap) of Σ_{i ∈ window} a_i / Σ_i a_i, for a `window × window` window
///   (0 if Σ a = 0); `window_origin` is the best window's top-left (row,
///   col), the first in row-major order among exact ties.
/// - `centre` = the circular mean position of the mass on each axis:
///   θ = 2πx/side, centre_x = atan2(Σ a sin θ, Σ a cos θ)·side/2π in
///   [0, side) (0 where both sums vanish);
/// - `radius` = sqrt(Σ a_i d_i² / Σ a), d_i the torus distance of site i
///   from the centre: the second-moment radius (0 if Σ a = 0).
///
/// A Kadanoff block spin's field has mass fraction 1 at its block's size;
/// Mehta & Schwab (2014, Fig. 4) find learned fields of this kind.
///
/// Errors if `field.len()` ≠ side², `window` is 0 or above `side`, or a
/// value is not finite.
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), Fig. 4.
/// - K. V. Mardia and P. E. Jupp, *Directional Statistics* (Wiley, 2000).
pub fn field_locality(field: &[f64], side: usize, window: usize) -> Result<Locality> {
    check_field(field, side)?;
    check_window(window, side)?;
    let mass: Vec<f64> = field.iter().map(|x| x.abs()).collect();
    let prefix = PeriodicPrefix::new(&mass, side);
    let (mass_fraction, window_origin) = prefix.best_window(window);
    if prefix.total <= 0.0 {
        return Ok(Locality {
            mass_fraction: 0.0,
            window_origin: (0, 0),
            centre: (0.0, 0.0),
            radius: 0.0,
            participation_ratio: 0.0,
        });
    }
    let mut row_mass = vec![0.0f64; side];
    let mut col_mass = vec![0.0f64; side];
    for (i, m) in mass.iter().enumerate() {
        row_mass[i / side] += m;
        col_mass[i % side] += m;
    }
    let centre = (
        circular_mean(&row_mass, side),
        circular_mean(&col_mass, side),
    );
    // Σ a d² = Σ_rows m_r Δrow² + Σ_cols m_c Δcol², since d² = Δrow² + Δcol².
    let second_moment: f64 = row_mass
        .iter()
        .enumerate()
        .map(|(r, m)| m * torus_delta(centre.0, r as f64, side).powi(2))
        .chain(
            col_mass
                .iter()
                .enumerate()
                .map(|(c, m)| m * torus_delta(centre.1, c as f64, side).powi(2)),
        )
        .sum();
    Ok(Locality {
        mass_fraction,
        window_origin,
        centre,
        radius: (second_moment / prefix.total).sqrt(),
        participation_ratio: participation_ratio(field),
    })
}

/// The participation ratio of a field w: PR = (Σ_i w_i²)² / Σ_i w_i⁴, the
/// effective number of sites it covers.
///
/// A field spread evenly (|w_i| equal) over k sites and zero elsewhere has
/// PR = k; a single site gives 1; the field of N sites with PR near N is
/// spread over the whole lattice. PR is invariant under w → c·w (c ≠ 0)
/// and ignores signs and positions, so unlike the radius of
/// [`field_locality`] it measures a field's size without assuming it is
/// one compact blob. The values are divided by max |w_i| before squaring,
/// so that large or tiny weights neither overflow nor underflow. A field
/// that is zero everywhere (or empty) gives 0; a non-finite value gives NaN.
pub fn participation_ratio(field: &[f64]) -> f64 {
    let max = field.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    if max == 0.0 {
        return 0.0;
    }
    if !max.is_finite() {
        return f64::NAN;
    }
    let (mut s2, mut s4) = (0.0f64, 0.0f64);
    for w in field {
        let x = (w / max).powi(2);
        s2 += x;
        s4 += x * x;
    }
    s2 * s2 / s4
}

/// The locality profile of one field: element w − 1 is the best window's
/// mass fraction (as in [`field_locality`]) for every window w = 1..=side.
/// Non-decreasing (a window of w + 1 contains one of w), and 1 at
/// w = side unless the field is zero everywhere (then all 0). Periodic 2D
/// prefix sums make each window size O(side²), O(side³) in all.
///
/// Errors as [`field_locality`] for the field.
pub fn best_window_mass_fractions(field: &[f64], side: usize) -> Result<Vec<f64>> {
    check_field(field, side)?;
    let mass: Vec<f64> = field.iter().map(|x| x.abs()).collect();
    let prefix = PeriodicPrefix::new(&mass, side);
    Ok((1..=side).map(|w| prefix.best_window(w).0).collect())
}

/// [`field_locality`] of each column u of `fields`, the row-major
/// `side² × n_units` matrix of receptive fields (as from
/// [`receptive_fields`]), in unit order; parallel over units.
///
/// Errors if `fields.len()` ≠ side²·n_units, the window is out of range or
/// a value is not finite (naming the unit and site).
pub fn layer_locality(
    fields: &[f64],
    n_units: usize,
    side: usize,
    window: usize,
) -> Result<Vec<Locality>> {
    let n_sites = side * side;
    if fields.len() != n_sites * n_units {
        return Err(Error::ShapeMismatch {
            what: "receptive fields".into(),
            expected: format!("{n_sites} sites × {n_units} units"),
            found: format!("{} values", fields.len()),
        });
    }
    check_window(window, side)?;
    if let Some(k) = fields.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(
            "receptive fields",
            format!(
                "{} at site {} of unit {}",
                fields[k],
                k / n_units,
                k % n_units
            ),
            "finite values",
        ));
    }
    (0..n_units)
        .into_par_iter()
        .map(|u| {
            let column: Vec<f64> = (0..n_sites).map(|i| fields[i * n_units + u]).collect();
            field_locality(&column, side, window)
        })
        .collect()
}

/// Summary statistics of a layer's localities (see [`summarize_locality`]).
#[derive(Clone, Debug, serde::Serialize)]
pub struct LocalitySummary {
    pub window: usize,
    pub median_mass_fraction: f64,
    pub lower_quartile_mass_fraction: f64,
    pub upper_quartile_mass_fraction: f64,
    pub median_radius: f64,
    pub mean_radius: f64,
    /// Quartiles of the fields' [`participation_ratio`]s: effective sites
    /// per field, (Σw²)²/Σw⁴.
    pub lower_quartile_participation_ratio: f64,
    pub median_participation_ratio: f64,
    pub upper_quartile_participation_ratio: f64,
}

/// The median and quartiles of the mass fractions and of the participation
/// ratios, and the median and mean radius of `localities` (all measured at `window`). Quantiles interpolate
/// linearly between order statistics like numpy's default, so the median
/// of an even count is the mean of the two middle values. All statistics
/// are NaN for an empty slice.
pub fn summarize_locality(window: usize, localities: &[Locality]) -> LocalitySummary {
    let fractions: Vec<f64> = localities.iter().map(|l| l.mass_fraction).collect();
    let radii: Vec<f64> = localities.iter().map(|l| l.radius).collect();
    let ratios: Vec<f64> = localities.iter().map(|l| l.participation_ratio).collect();
    LocalitySummary {
        window,
        median_mass_fraction: quantile(&fractions, 0.5),
        lower_quartile_mass_fraction: quantile(&fractions, 0.25),
        upper_quartile_mass_fraction: quantile(&fractions, 0.75),
        median_radius: quantile(&radii, 0.5),
        mean_radius: if radii.is_empty() {
            f64::NAN
        } else {
            radii.iter().sum::<f64>() / radii.len() as f64
        },
        lower_quartile_participation_ratio: quantile(&ratios, 0.25),
        median_participation_ratio: quantile(&ratios, 0.5),
        upper_quartile_participation_ratio: quantile(&ratios, 0.75),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
    use crate::rng;

    fn random_values(n: usize, seed: u64) -> Vec<f64> {
        let mut r = rng::root(seed);
        (0..n).map(|_| 2.0 * rng::uniform(&mut r) - 1.0).collect()
    }

    fn layer(n_visible: usize, n_hidden: usize, seed: u64) -> Rbm {
        let w = random_values(n_visible * n_hidden, seed)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        Rbm::from_parameters(
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            w,
            vec![0.0; n_visible],
            vec![0.0; n_hidden],
        )
        .unwrap()
    }

    /// The mass of every window by direct periodic summation, O(side⁴).
    fn brute_force_best(field: &[f64], side: usize, window: usize) -> f64 {
        let total: f64 = field.iter().map(|x| x.abs()).sum();
        let mut best = 0.0f64;
        for r in 0..side {
            for c in 0..side {
                let mut sum = 0.0;
                for dr in 0..window {
                    for dc in 0..window {
                        sum += field[((r + dr) % side) * side + (c + dc) % side].abs();
                    }
                }
                best = best.max(sum);
            }
        }
        best / total
    }

    #[test]
    fn two_layer_fields_are_the_weight_product() {
        let (n0, n1, n2) = (9, 4, 3);
        let (a, b) = (layer(n0, n1, 1), layer(n1, n2, 2));
        let dbn = Dbn::new(vec![a.clone(), b.clone()]).unwrap();
        let level_one = receptive_fields(&dbn, 1).unwrap();
        let w0: Vec<f64> = a.weights().iter().map(|&x| x as f64).collect();
        assert_eq!(level_one, w0);
        let level_two = receptive_fields(&dbn, 2).unwrap();
        assert_eq!(level_two.len(), n0 * n2);
        for i in 0..n0 {
            for u in 0..n2 {
                let mut expected = 0.0f64;
                for j in 0..n1 {
                    expected += a.weights()[i * n1 + j] as f64 * b.weights()[j * n2 + u] as f64;
                }
                let found = level_two[i * n2 + u];
                assert!(
                    (found - expected).abs() < 1e-12,
                    "({i}, {u}): {found} vs {expected}"
                );
            }
        }
        for bad in [0, 3] {
            let message = receptive_fields(&dbn, bad).unwrap_err().to_string();
            assert!(message.contains("level"), "{message}");
        }
    }

    #[test]
    fn blob_wrapping_the_corner_is_one_window() {
        let side = 6;
        let mut field = vec![0.0f64; side * side];
        // Sites (5, 5), (5, 0), (0, 5), (0, 0): one 2 × 2 block across both seams.
        for (r, c, x) in [(5, 5, 1.0), (5, 0, -2.0), (0, 5, 0.5), (0, 0, 3.0)] {
            field[r * side + c] = x;
        }
        let locality = field_locality(&field, side, 2).unwrap();
        assert!((locality.mass_fraction - 1.0).abs() < 1e-12, "{locality:?}");
        assert_eq!(locality.window_origin, (5, 5));
        // A 1 × 1 window holds the largest single mass, 3 of 6.5.
        let single = field_locality(&field, side, 1).unwrap();
        assert!((single.mass_fraction - 3.0 / 6.5).abs() < 1e-12);
        assert_eq!(single.window_origin, (0, 0));
    }

    #[test]
    fn uniform_field_fills_windows_by_area() {
        let side = 8;
        let field = vec![-0.3f64; side * side];
        for window in 1..=side {
            let locality = field_locality(&field, side, window).unwrap();
            let expected = (window * window) as f64 / (side * side) as f64;
            assert!(
                (locality.mass_fraction - expected).abs() < 1e-12,
                "window {window}: {locality:?}"
            );
            assert_eq!(locality.window_origin, (0, 0));
        }
    }

    #[test]
    fn centre_and_radius_of_blobs() {
        let side = 8;
        let site = |cells: &[(usize, usize)]| {
            let mut field = vec![0.0f64; side * side];
            for &(r, c) in cells {
                field[r * side + c] = 1.0;
            }
            field
        };
        // A pair across the column seam: centre between cols 7 and 0.
        let pair = field_locality(&site(&[(3, 7), (3, 0)]), side, 2).unwrap();
        assert!((pair.centre.0 - 3.0).abs() < 1e-9, "{pair:?}");
        assert!((pair.centre.1 - 7.5).abs() < 1e-9, "{pair:?}");
        assert!((pair.radius - 0.5).abs() < 1e-9, "{pair:?}");
        // One site: centred on it, radius 0.
        let one = field_locality(&site(&[(2, 5)]), side, 1).unwrap();
        assert!((one.centre.0 - 2.0).abs() < 1e-9 && (one.centre.1 - 5.0).abs() < 1e-9);
        assert!(one.radius.abs() < 1e-9, "{one:?}");
        // A symmetric 2 × 2 blob, inside and across both seams.
        let inside = field_locality(&site(&[(1, 4), (1, 5), (2, 4), (2, 5)]), side, 2).unwrap();
        assert!((inside.centre.0 - 1.5).abs() < 1e-9 && (inside.centre.1 - 4.5).abs() < 1e-9);
        assert!((inside.radius - 0.5f64.sqrt()).abs() < 1e-9, "{inside:?}");
        let corner = field_locality(&site(&[(7, 7), (7, 0), (0, 7), (0, 0)]), side, 2).unwrap();
        assert!((corner.centre.0 - 7.5).abs() < 1e-9 && (corner.centre.1 - 7.5).abs() < 1e-9);
        assert!((corner.radius - 0.5f64.sqrt()).abs() < 1e-9, "{corner:?}");
        // A zero field has nothing to measure.
        let zero = field_locality(&vec![0.0; side * side], side, 2).unwrap();
        assert_eq!(zero.mass_fraction, 0.0);
        assert_eq!(zero.radius, 0.0);
    }

    #[test]
    fn profile_agrees_with_single_windows_and_brute_force() {
        let side = 7;
        let field = random_values(side * side, 11);
        let profile = best_window_mass_fractions(&field, side).unwrap();
        assert_eq!(profile.len(), side);
        for (k, fraction) in profile.iter().enumerate() {
            let window = k + 1;
            let single = field_locality(&field, side, window).unwrap();
            assert!((single.mass_fraction - fraction).abs() < 1e-12);
            let brute = brute_force_best(&field, side, window);
            assert!(
                (brute - fraction).abs() < 1e-12,
                "window {window}: {brute} vs {fraction}"
            );
        }
        for pair in profile.windows(2) {
            assert!(pair[1] >= pair[0] - 1e-12, "{profile:?}");
        }
        assert!((profile[side - 1] - 1.0).abs() < 1e-12);
        assert!(profile[0] < 0.2, "{profile:?}");
    }

    #[test]
    fn bad_fields_are_errors() {
        let side = 4;
        let field = vec![1.0f64; side * side];
        assert!(matches!(
            field_locality(&field[1..], side, 2),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(field_locality(&field, side, 0).is_err());
        assert!(field_locality(&field, side, 5).is_err());
        let mut bad = field.clone();
        bad[6] = f64::NAN;
        let message = field_locality(&bad, side, 2).unwrap_err().to_string();
        assert!(message.contains("row 1, col 2"), "{message}");
        assert!(best_window_mass_fractions(&bad, side).is_err());
        assert!(best_window_mass_fractions(&field[1..], side).is_err());
        assert!(layer_locality(&field, 2, side, 2).is_err());
        assert!(layer_locality(&bad, 1, side, 2).is_err());
        assert!(layer_locality(&field, 1, side, 0).is_err());
    }

    #[test]
    fn layer_locality_reads_columns() {
        let (side, n_units) = (5, 3);
        let fields = random_values(side * side * n_units, 5);
        let all = layer_locality(&fields, n_units, side, 2).unwrap();
        assert_eq!(all.len(), n_units);
        for (u, locality) in all.iter().enumerate() {
            let column: Vec<f64> = (0..side * side).map(|i| fields[i * n_units + u]).collect();
            assert_eq!(*locality, field_locality(&column, side, 2).unwrap());
        }
    }

    #[test]
    fn summary_quantiles_interpolate_like_numpy() {
        let at = |mass_fraction: f64, radius: f64| Locality {
            mass_fraction,
            window_origin: (0, 0),
            centre: (0.0, 0.0),
            radius,
            participation_ratio: 10.0 * radius,
        };
        let four = [at(0.1, 1.0), at(0.4, 2.0), at(0.2, 4.0), at(0.9, 3.0)];
        let s = summarize_locality(2, &four);
        assert_eq!(s.window, 2);
        // numpy.percentile([0.1, 0.2, 0.4, 0.9], [25, 50, 75]) = 0.175, 0.3, 0.525.
        assert!((s.median_mass_fraction - 0.3).abs() < 1e-12);
        assert!((s.lower_quartile_mass_fraction - 0.175).abs() < 1e-12);
        assert!((s.upper_quartile_mass_fraction - 0.525).abs() < 1e-12);
        assert!((s.median_radius - 2.5).abs() < 1e-12);
        assert!((s.mean_radius - 2.5).abs() < 1e-12);
        // numpy.percentile([10, 20, 30, 40], [25, 50, 75]) = 17.5, 25, 32.5.
        assert!((s.lower_quartile_participation_ratio - 17.5).abs() < 1e-12);
        assert!((s.median_participation_ratio - 25.0).abs() < 1e-12);
        assert!((s.upper_quartile_participation_ratio - 32.5).abs() < 1e-12);
        let three = summarize_locality(1, &four[..3]);
        assert!((three.median_mass_fraction - 0.2).abs() < 1e-12);
        assert!((three.median_radius - 2.0).abs() < 1e-12);
        assert!(summarize_locality(1, &[]).median_mass_fraction.is_nan());
    }

    #[test]
    fn participation_ratio_counts_the_sites_a_field_covers() {
        // Uniform |w| over k sites (any signs), zero elsewhere: exactly k.
        for k in 1..=7 {
            let mut field = vec![0.0; 10];
            for (i, w) in field.iter_mut().enumerate().take(k) {
                *w = if i % 2 == 0 { 0.3 } else { -0.3 };
            }
            assert_eq!(participation_ratio(&field), k as f64, "k = {k}");
        }
        // A single site: 1, whatever its value.
        assert_eq!(participation_ratio(&[0.0, -5.0, 0.0]), 1.0);
        // Two sites with weights 1 and 2: (1 + 4)² / (1 + 16) = 25/17.
        assert!((participation_ratio(&[1.0, 0.0, 2.0]) - 25.0 / 17.0).abs() < 1e-15);
        // Invariant under w → c·w, including huge and tiny scales.
        let field = random_values(36, 11);
        let pr = participation_ratio(&field);
        assert!(pr > 1.0 && pr < 36.0);
        for c in [-3.0, 1e-200, 1e200, 0.5] {
            let scaled: Vec<f64> = field.iter().map(|w| c * w).collect();
            assert!(
                (participation_ratio(&scaled) - pr).abs() < 1e-12 * pr,
                "c = {c}"
            );
        }
        // Zero or empty fields: 0; non-finite: NaN.
        assert_eq!(participation_ratio(&[0.0; 4]), 0.0);
        assert_eq!(participation_ratio(&[]), 0.0);
        assert!(participation_ratio(&[1.0, f64::INFINITY]).is_nan());
        // field_locality carries it.
        let l = field_locality(&field, 6, 2).unwrap();
        assert_eq!(l.participation_ratio, pr);
    }
}
