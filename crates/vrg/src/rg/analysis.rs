//! The RG reading of a trained DBN on lattice data, level by level: free
//! energies, receptive fields and their locality, block-spin comparison,
//! magnetisation and nearest-neighbour correlation, reconstructions.
//!
//! Level 0 is the data (sites of the L × L torus); level l ≥ 1 is layer
//! l − 1's hidden units, each placed at the centre of its receptive field
//! W0·…·W_{l−1} ([`receptive_fields`]). Observables of hidden levels use
//! the sampled up-pass (h ~ P(h | h below)), as the hidden configurations
//! the DBN assigns to each data configuration; spins are 2h − 1 for
//! Bernoulli units. The block-spin comparison uses the mean-field up-pass
//! and Kadanoff's majority rule with blocks of side L/√n_l, so that level l
//! has as many blocks as units (skipped when √n_l is not a whole divisor
//! of L).
//!
//! Each level whose units can be placed on the coarse lattice of the
//! block comparison (by the optimal one-to-one assignment of units to
//! blocks, see [`super::learned_mcrg`]) also gets the MCRG exponents y_T and y_H of
//! the learned coarse-graining, beside majority rule's on the same data
//! with the same block sides ([`LevelReport::mcrg`]).

use super::block_spin::{
    best_blocks, block_correlations, level_observables, majority_rule, LevelObservables,
};
use super::learned_mcrg::{learned_and_majority, place_units, LevelMcrg, Placement};
use super::receptive::{
    best_window_mass_fractions, layer_locality, receptive_fields, summarize_locality, Locality,
    LocalitySummary,
};
use crate::data::Dataset;
use crate::dbn::{layer_free_energies, Dbn, LayerFreeEnergy};
use crate::estimate::LogZOptions;
use crate::rbm::{HiddenUnits, VisibleUnits};
use crate::stats::median;
use crate::{Error, Result};
use serde::Serialize;

/// Settings of [`analyze_dbn`].
#[derive(Clone, Debug)]
pub struct AnalysisOptions {
    /// Side of the locality window.
    pub window: usize,
    /// How to get each layer's ln Z (`None`: free energies not computed).
    pub logz: Option<LogZOptions>,
    /// Seed of the sampled up-pass (and of the majority rule's
    /// tie-breaks in the MCRG comparison).
    pub seed: u64,
    /// Jackknife blocks of the MCRG error bars (≥ 2; a level whose MCRG
    /// cannot use them gets a reason instead of exponents).
    pub mcrg_jackknife: usize,
}

/// Kadanoff blocks against hidden units at one level.
#[derive(Clone, Debug, Serialize)]
pub struct BlockComparison {
    /// Side b of the majority-rule blocks.
    pub block: usize,
    pub n_blocks: usize,
    /// Median over units of |corr(unit, best-matching block spin)|.
    pub median_abs_correlation: f64,
    pub mean_abs_correlation: f64,
    /// Median torus distance between a unit's receptive-field centre and
    /// the centre of its best-matching block, in lattice spacings.
    pub median_centre_distance: f64,
}

/// One level of the analysis.
#[derive(Clone, Debug, Serialize)]
pub struct LevelReport {
    pub level: usize,
    pub n_units: usize,
    /// Magnetisation and nearest-neighbour correlation of the level's spins.
    pub observables: LevelObservables,
    /// Locality of the receptive fields (levels ≥ 1).
    pub locality: Option<LocalitySummary>,
    /// Median over units of the best-window mass fraction for windows of
    /// side 1, 2, …, L (levels ≥ 1).
    pub mass_fraction_profile: Vec<f64>,
    pub block_spins: Option<BlockComparison>,
    /// Mean squared error per data unit of the reconstruction from this
    /// level (0 at level 0).
    pub reconstruction_error: f64,
    /// How many of the level's units are dead ([`dead_units`]; 0 at level 0).
    pub dead_units: usize,
    /// The learned coarse-graining's MCRG exponents beside majority
    /// rule's (levels ≥ 1; [`super::learned_mcrg`]).
    pub mcrg: Option<LevelMcrg>,
}

/// Everything [`analyze_dbn`] measures; figures are drawn from it.
#[derive(Clone, Debug, Serialize)]
pub struct DbnAnalysis {
    pub lattice_side: usize,
    pub rows: usize,
    pub levels: Vec<LevelReport>,
    pub free_energies: Vec<LayerFreeEnergy>,
    /// Whether the median receptive-field radius grows strictly from level
    /// to level.
    pub radius_grows_with_depth: bool,
    /// Each level's (≥ 1) per-unit locality.
    #[serde(skip)]
    pub localities: Vec<Vec<Locality>>,
    /// Each level's (≥ 1) receptive fields, n_0 × n_l row-major.
    #[serde(skip)]
    pub receptive_fields: Vec<Vec<f64>>,
    /// Each level's (≥ 1) dead units ([`dead_units`]), in increasing order.
    #[serde(skip)]
    pub dead_units: Vec<Vec<usize>>,
}

/// The standard deviation of p(h = 1 | input) over the analysed rows
/// below which a unit is dead ([`dead_units`]).
pub const DEAD_UNIT_STD: f64 = 0.01;

/// The dead units of a level: those whose activation tells (almost)
/// nothing about the input.
///
/// `activations` holds `rows × n_units` mean-field activations E[h | input]
/// row-major (the up-pass [`Dbn::up`], whose input at level l ≥ 2 is the
/// level below's mean-field activations); `spin` says that the units take
/// values ±1, so that E\[h\] ∈ [−1, 1], otherwise h ∈ {0, 1}. A unit's
/// activation is a = p(h = 1 | input) (for spin units p(h = +1 | input) =
/// (1 + E\[h\])/2), and unit u is dead when the population standard
/// deviation of a over the rows, sqrt(⟨a²⟩ − ⟨a⟩²), is below
/// [`DEAD_UNIT_STD`]: it is (almost) always on, always off or stuck at one
/// probability, whatever the configuration. Returns the dead units'
/// indices in increasing order.
///
/// # Errors
/// When `rows` or `n_units` is 0 or `activations` does not hold
/// `rows × n_units` values.
pub fn dead_units(
    activations: &[f32],
    rows: usize,
    n_units: usize,
    spin: bool,
) -> Result<Vec<usize>> {
    if rows == 0 || n_units == 0 || rows.checked_mul(n_units) != Some(activations.len()) {
        return Err(Error::ShapeMismatch {
            what: "activations".into(),
            expected: format!("rows × units = {rows} × {n_units}, both at least 1"),
            found: format!("{} values", activations.len()),
        });
    }
    let mut sum = vec![0.0f64; n_units];
    let mut sum_sq = vec![0.0f64; n_units];
    for row in activations.chunks_exact(n_units) {
        for (u, &m) in row.iter().enumerate() {
            let a = if spin {
                (1.0 + f64::from(m)) / 2.0
            } else {
                f64::from(m)
            };
            sum[u] += a;
            sum_sq[u] += a * a;
        }
    }
    let n = rows as f64;
    Ok((0..n_units)
        .filter(|&u| {
            let mean = sum[u] / n;
            let variance = (sum_sq[u] / n - mean * mean).max(0.0);
            variance.sqrt() < DEAD_UNIT_STD
        })
        .collect())
}

/// The data as spins: 2v − 1 for Bernoulli values, unchanged for spins.
pub(crate) fn as_spins(values: &[f32], bernoulli: bool) -> Vec<f32> {
    if bernoulli {
        values.iter().map(|&v| 2.0 * v - 1.0).collect()
    } else {
        values.to_vec()
    }
}

/// The block side b with (L/b)² = n_units, if there is one.
pub(crate) fn block_side(side: usize, n_units: usize) -> Option<usize> {
    let m = (n_units as f64).sqrt().round() as usize;
    (m > 0 && m * m == n_units && side.is_multiple_of(m)).then(|| side / m)
}

/// Analyses `dbn` on `data` (rows of its data units, an L × L lattice
/// each; Bernoulli data are read as spins 2v − 1). See the module
/// documentation for what is measured.
pub fn analyze_dbn(
    dbn: &Dbn,
    data: &Dataset,
    side: usize,
    options: &AnalysisOptions,
    step_done: &dyn Fn(&str),
) -> Result<DbnAnalysis> {
    let n0 = dbn.sizes()[0];
    if side * side != n0 || data.n_features != n0 {
        return Err(Error::ShapeMismatch {
            what: "lattice data".into(),
            expected: format!(
                "{side}×{side} = {} units per row (the DBN's data units)",
                side * side
            ),
            found: format!("{} features, DBN data units {n0}", data.n_features),
        });
    }
    if data.n_rows < 2 {
        return Err(Error::invalid(
            "rows",
            data.n_rows,
            "at least 2 rows to analyse",
        ));
    }
    if options.window == 0 || options.window > side {
        return Err(Error::invalid(
            "window",
            options.window,
            format!("a window side from 1 to {side}"),
        ));
    }
    let rows = data.n_rows;
    let bernoulli_data = dbn.layers()[0].visible_units() == VisibleUnits::Bernoulli;
    if dbn.layers()[0].visible_units() == VisibleUnits::Gaussian {
        return Err(Error::invalid(
            "visible units",
            "gaussian",
            "binary or spin data units on a lattice",
        ));
    }
    // Lattice data of an RG analysis are small: decoded whole.
    let values = data.dense_values();
    let data_spins = as_spins(&values, bernoulli_data);
    let sites: Vec<(f64, f64)> = (0..n0)
        .map(|i| ((i / side) as f64, (i % side) as f64))
        .collect();

    let mut levels = vec![LevelReport {
        level: 0,
        n_units: n0,
        observables: level_observables(&data_spins, rows, &sites, side)?,
        locality: None,
        mass_fraction_profile: Vec::new(),
        block_spins: None,
        reconstruction_error: 0.0,
        dead_units: 0,
        mcrg: None,
    }];
    let mut placements = Vec::new();
    let mut localities = Vec::new();
    let mut dead_per_level = Vec::new();
    let mut fields_per_level = Vec::new();
    let mut rng = crate::rng::family(options.seed, crate::rng::families::SAMPLING);
    for level in 1..=dbn.layers().len() {
        step_done(&format!("level {level}: receptive fields"));
        let n_units = dbn.sizes()[level];
        let fields = receptive_fields(dbn, level)?;
        let locality = layer_locality(&fields, n_units, side, options.window)?;
        let profiles: Vec<Vec<f64>> = {
            use rayon::prelude::*;
            (0..n_units)
                .into_par_iter()
                .map(|u| {
                    let column: Vec<f64> = (0..n0).map(|i| fields[i * n_units + u]).collect();
                    best_window_mass_fractions(&column, side)
                })
                .collect::<Result<_>>()?
        };
        let profile: Vec<f64> = (0..side)
            .map(|b| median(&profiles.iter().map(|p| p[b]).collect::<Vec<_>>()))
            .collect();
        let centres: Vec<(f64, f64)> = locality.iter().map(|l| l.centre).collect();

        step_done(&format!("level {level}: block spins and observables"));
        let sampled = dbn.sample_up(&values, rows, level, &mut rng)?;
        let hidden_bernoulli = dbn.layers()[level - 1].hidden_units() == HiddenUnits::Bernoulli;
        let spins = as_spins(&sampled, hidden_bernoulli);
        let observables = level_observables(&spins, rows, &centres, side)?;
        let means = dbn.up(&values, rows, level)?;
        let dead = dead_units(&means, rows, n_units, !hidden_bernoulli)?;
        let (block_spins, placement) = match block_side(side, n_units) {
            Some(b) => {
                let blocks = majority_rule(&data_spins, rows, side, b)?;
                let per_side = side / b;
                let n_blocks = per_side * per_side;
                let correlations = block_correlations(&means, n_units, &blocks, n_blocks, rows)?;
                let matches = best_blocks(&correlations, n_blocks);
                let block_centre = |k: usize| {
                    let (r, c) = (k / per_side, k % per_side);
                    (
                        (r * b) as f64 + (b as f64 - 1.0) / 2.0,
                        (c * b) as f64 + (b as f64 - 1.0) / 2.0,
                    )
                };
                let abs: Vec<f64> = matches.iter().map(|m| m.correlation.abs()).collect();
                let distances: Vec<f64> = matches
                    .iter()
                    .zip(&centres)
                    .map(|(m, &c)| super::lattice::torus_distance(c, block_centre(m.block), side))
                    .collect();
                let placement = if dbn.layers()[level - 1].hidden_units() == HiddenUnits::Gaussian {
                    Placement::NotPlaceable {
                        reason: "Gaussian hidden units are not ±1 spins".into(),
                    }
                } else {
                    place_units(&spins, rows, &correlations, per_side)?
                };
                let comparison = BlockComparison {
                    block: b,
                    n_blocks,
                    mean_abs_correlation: abs.iter().sum::<f64>() / abs.len() as f64,
                    median_abs_correlation: median(&abs),
                    median_centre_distance: median(&distances),
                };
                (Some(comparison), placement)
            }
            None => (
                None,
                Placement::NotPlaceable {
                    reason: format!(
                        "{n_units} units are not m² with m dividing the lattice side {side}"
                    ),
                },
            ),
        };
        placements.push(placement);
        let reconstruction = dbn.reconstruct(&values, rows, level)?;
        let reconstruction_error = values
            .iter()
            .zip(&reconstruction)
            .map(|(&v, &r)| f64::from(v - r).powi(2))
            .sum::<f64>()
            / values.len() as f64;
        levels.push(LevelReport {
            level,
            n_units,
            observables,
            locality: Some(summarize_locality(options.window, &locality)),
            mass_fraction_profile: profile,
            block_spins,
            reconstruction_error,
            dead_units: dead.len(),
            mcrg: None,
        });
        dead_per_level.push(dead);
        localities.push(locality);
        fields_per_level.push(fields);
    }
    step_done("MCRG of the learned and majority-rule maps");
    let mcrg: Vec<LevelMcrg> = if data_spins.iter().all(|&s| s == 1.0 || s == -1.0) {
        let data_i8: Vec<i8> = data_spins.iter().map(|&s| s as i8).collect();
        learned_and_majority(
            &data_i8,
            rows,
            side,
            &placements,
            options.mcrg_jackknife,
            options.seed,
        )?
    } else {
        let reason = "the data are not ±1 spins (0/1 for binary units)".to_owned();
        placements
            .iter()
            .map(|p| LevelMcrg {
                placed: matches!(p, Placement::Placed { .. }),
                assignment: match p {
                    Placement::Placed { quality, .. } => Some(*quality),
                    Placement::NotPlaceable { .. } => None,
                },
                from_level: None,
                block: None,
                learned: None,
                majority: None,
                reason: Some(reason.clone()),
            })
            .collect()
    };
    for (level, m) in levels[1..].iter_mut().zip(mcrg) {
        level.mcrg = Some(m);
    }
    let free_energies = match &options.logz {
        Some(logz) => {
            step_done("free energies (ln Z per layer)");
            layer_free_energies(dbn, data, None, logz, &|_| {})?
        }
        None => Vec::new(),
    };
    let radii: Vec<f64> = levels
        .iter()
        .filter_map(|l| l.locality.as_ref().map(|s| s.median_radius))
        .collect();
    Ok(DbnAnalysis {
        lattice_side: side,
        rows,
        radius_grows_with_depth: radii.windows(2).all(|w| w[1] > w[0]),
        levels,
        free_energies,
        localities,
        receptive_fields: fields_per_level,
        dead_units: dead_per_level,
    })
}

/// The tiles of the block-spin figure, row-major: one row per shown
/// configuration, `columns` tiles to a row, each tile an L × L image
/// (site r·L + c) with values in [−1, 1] or NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSpinFigure {
    /// Tiles per row: the configuration, then two per level with a
    /// block-spin comparison.
    pub columns: usize,
    pub tiles: Vec<Vec<f64>>,
}

/// The block-spin figure of `analysis` (of `dbn` on `data`, rows of the
/// DBN's L² data units): for each of the first `shown` rows of `data`, the configuration as spins (2v − 1
/// for Bernoulli data), then for each level l with a block-spin comparison
/// (block side b) two tiles: Kadanoff's majority-rule block spins of side
/// b ([`majority_rule`]), and the hidden units' mean-field activations as
/// spins (2p − 1 for Bernoulli units) placed at their receptive-field
/// centres: each b × b block shows the mean over the units whose centre
/// falls in it of o_u·s_u, o_u the sign of unit u's total field Σ_i W_iu
/// (so that a unit that turns on under up spins shows white), and NaN
/// where no centre falls. Every tile is drawn on the L × L lattice, each
/// block filling its b × b sites (Mehta & Schwab 2014, Fig. 4, beside
/// Kadanoff 1966).
///
/// # Errors
/// The up-pass's and the majority rule's (data that are not ±1 or 0/1 for
/// spins).
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), Fig. 4.
/// - L. P. Kadanoff, "Scaling laws for Ising models near T_c", Physics 2,
///   263 (1966).
pub fn block_spin_figure(
    dbn: &Dbn,
    data: &Dataset,
    analysis: &DbnAnalysis,
    shown: usize,
) -> Result<BlockSpinFigure> {
    let side = analysis.lattice_side;
    let n0 = dbn.sizes()[0];
    let shown = shown.min(data.n_rows);
    let bernoulli_data = dbn.layers()[0].visible_units() == VisibleUnits::Bernoulli;
    let block_levels: Vec<(usize, usize)> = analysis
        .levels
        .iter()
        .filter_map(|l| l.block_spins.as_ref().map(|b| (l.level, b.block)))
        .collect();
    let values = data.rows_f32(0..shown);
    let data_spins = as_spins(&values, bernoulli_data);
    // Site i's block on the (side/b)² coarse lattice.
    let cell_of = |i: usize, b: usize| (i / side / b) * (side / b) + (i % side) / b;
    let mut tiles: Vec<Vec<f64>> = Vec::new();
    for e in 0..shown {
        let row = &data_spins[e * n0..(e + 1) * n0];
        tiles.push(row.iter().map(|&v| f64::from(v)).collect());
        for &(level, b) in &block_levels {
            let blocks = majority_rule(row, 1, side, b)?;
            tiles.push((0..n0).map(|i| f64::from(blocks[cell_of(i, b)])).collect());
            let n = dbn.sizes()[level];
            let means = dbn.up(&values[e * n0..(e + 1) * n0], 1, level)?;
            let hidden_bernoulli = dbn.layers()[level - 1].hidden_units() == HiddenUnits::Bernoulli;
            let hidden_spins = as_spins(&means, hidden_bernoulli);
            let per_side = side / b;
            let mut sum = vec![0.0f64; per_side * per_side];
            let mut count = vec![0usize; per_side * per_side];
            let fields = &analysis.receptive_fields[level - 1];
            for (u, locality) in analysis.localities[level - 1].iter().enumerate().take(n) {
                let (r, c) = locality.centre;
                let site = (r.floor() as usize % side) * side + c.floor() as usize % side;
                let orientation = (0..n0).map(|i| fields[i * n + u]).sum::<f64>().signum();
                sum[cell_of(site, b)] += orientation * f64::from(hidden_spins[u]);
                count[cell_of(site, b)] += 1;
            }
            tiles.push(
                (0..n0)
                    .map(|i| match count[cell_of(i, b)] {
                        0 => f64::NAN,
                        k => sum[cell_of(i, b)] / k as f64,
                    })
                    .collect(),
            );
        }
    }
    Ok(BlockSpinFigure {
        columns: 1 + 2 * block_levels.len(),
        tiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_units_are_those_whose_activation_barely_varies() {
        // Three rows of four units: unit 0 always off, unit 1 varies a lot,
        // unit 2 stuck at 0.7, unit 3 varies by ±0.009 around 0.5 (standard
        // deviation sqrt(2/3)·0.009 ≈ 0.0073 < 0.01).
        let a = [
            0.0, 0.1, 0.7, 0.491, //
            0.0, 0.9, 0.7, 0.5, //
            0.0, 0.5, 0.7, 0.509,
        ];
        assert_eq!(dead_units(&a, 3, 4, false).unwrap(), vec![0, 2, 3]);
        // ±0.02 around 0.5: standard deviation ≈ 0.0163, alive.
        let b = [0.48, 0.5, 0.52];
        assert!(dead_units(&b, 3, 1, false).unwrap().is_empty());
        // Spin units: p = (1 + E[h])/2 halves the spread, so E[h] = ±0.015
        // (p = 0.5 ± 0.0075) is dead and E[h] = ±1 alive.
        let spin = [0.015, -1.0, -0.015, 1.0];
        assert_eq!(dead_units(&spin, 2, 2, true).unwrap(), vec![0]);
        // Read as probabilities, ±0.015 is a spread of 0.015: alive.
        assert!(dead_units(&spin, 2, 2, false).unwrap().is_empty());
        // Shapes.
        assert!(dead_units(&a, 2, 4, false).is_err());
        assert!(dead_units(&[], 0, 4, false).is_err());
    }
}
