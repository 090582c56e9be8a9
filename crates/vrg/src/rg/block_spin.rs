//! Kadanoff block spins and the observables that follow a configuration
//! along the RG flow: the majority rule, the best-matching block of each
//! hidden unit, and per-level magnetisation and nearest-neighbour
//! correlation.
//!
//! Configurations are row-major `rows × n_units` arrays; on the lattice,
//! unit i is site (i / side, i % side) of the periodic `side × side`
//! lattice (see [`super::lattice`]).

use super::lattice::torus_distance;
use crate::{Error, Result};
use rayon::prelude::*;

/// Fails unless `len` values are `rows` configurations of `side²` sites;
/// returns `side²`.
pub(crate) fn check_configuration_shape(len: usize, rows: usize, side: usize) -> Result<usize> {
    let n_sites = side * side;
    if len != rows * n_sites {
        return Err(Error::ShapeMismatch {
            what: "spin configurations".into(),
            expected: format!("{rows} rows × {side}² = {n_sites} sites"),
            found: format!("{len} values"),
        });
    }
    Ok(n_sites)
}

/// Fails, naming the first offending value's data row and lattice site,
/// unless every value of `spins` (rows of `side²` sites, `f32` or `i8`) at
/// a site where `present(site)` holds is −1 or +1.
pub(crate) fn check_spins<T: Copy + Into<f32> + std::fmt::Display>(
    spins: &[T],
    side: usize,
    present: impl Fn(usize) -> bool,
) -> Result<()> {
    let n_sites = side * side;
    let not_spin = |k: usize| {
        let v: f32 = spins[k].into();
        present(k % n_sites) && v != 1.0 && v != -1.0
    };
    match (0..spins.len()).find(|&k| not_spin(k)) {
        None => Ok(()),
        Some(k) => {
            let (row, site) = (k / n_sites, k % n_sites);
            Err(Error::invalid(
                "spin",
                format!(
                    "{} at data row {row}, lattice row {}, column {}",
                    spins[k],
                    site / side,
                    site % side
                ),
                "−1 or +1",
            ))
        }
    }
}

/// Kadanoff's majority-rule block spins (Kadanoff 1966; Mehta & Schwab
/// 2014, §II): the ±1 configurations `spins` (`rows × side²`, site
/// row·side + col) coarse-grained by `block`. Block (R, C) covers lattice
/// rows R·block .. (R + 1)·block and the same columns; its spin is
/// sign(Σ_{i ∈ block} s_i). A tie (possible for even block²) takes the
/// spin of the block's top-left site (R·block, C·block), a deterministic
/// rule that keeps the output ±1. The result is `rows × (side/block)²`,
/// block index R·(side/block) + C.
///
/// Errors if `block` is 0, `side` is 0 or not a multiple of `block`,
/// `spins.len()` ≠ rows·side², or a value is not ±1 (naming its data row
/// and lattice site).
///
/// # References
/// - L. P. Kadanoff, "Scaling laws for Ising models near T_c", Physics 2,
///   263 (1966).
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), §II.
pub fn majority_rule(spins: &[f32], rows: usize, side: usize, block: usize) -> Result<Vec<f32>> {
    if block == 0 {
        return Err(Error::invalid("block", 0, "a block side of at least 1"));
    }
    if side == 0 || !side.is_multiple_of(block) {
        return Err(Error::invalid(
            "block",
            block,
            format!("a divisor of the lattice side {side}"),
        ));
    }
    let n_sites = check_configuration_shape(spins.len(), rows, side)?;
    check_spins(spins, side, |_| true)?;
    let coarse = side / block;
    let mut out = vec![0.0f32; rows * coarse * coarse];
    for (config, blocked) in spins
        .chunks_exact(n_sites)
        .zip(out.chunks_exact_mut(coarse * coarse))
    {
        for big_row in 0..coarse {
            for big_col in 0..coarse {
                let top_left = big_row * block * side + big_col * block;
                let sum: i64 = (0..block)
                    .flat_map(|dr| (0..block).map(move |dc| top_left + dr * side + dc))
                    .map(|i| config[i] as i64)
                    .sum();
                blocked[big_row * coarse + big_col] = match sum.signum() {
                    0 => config[top_left],
                    sign => sign as f32,
                };
            }
        }
    }
    Ok(out)
}

/// A block-spin rule for stored ±1 configurations (see [`block_spins`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockRule {
    /// sign(Σ_{i ∈ block} s_i); a tie (even block²) is broken by a fair
    /// coin from the seeded tie-break stream.
    Majority,
    /// The spin of the block's top-left site (decimation).
    Decimation,
}

/// Configurations per tie-break stream: chunk c of a level draws its coins
/// from its own stream, so the result does not depend on the thread count.
pub const TIE_BREAK_CHUNK: usize = 64;

/// The tie-break streams of blocking level `level` (1 = the first
/// blocking) for `rows` configurations, one per chunk of
/// [`TIE_BREAK_CHUNK`] configurations: family
/// [`crate::rng::families::BLOCK_TIE_BREAKS`] of `seed`, whose streams are
/// numbered level by level ((level − 1) · chunks + chunk), so no two levels
/// or chunks share random numbers and no other use of the seed does either.
pub(crate) fn tie_break_streams(seed: u64, level: usize, rows: usize) -> Vec<crate::rng::Rng> {
    let chunks = rows.div_ceil(TIE_BREAK_CHUNK);
    let mut base = crate::rng::family(seed, crate::rng::families::BLOCK_TIE_BREAKS);
    for _ in 0..level.saturating_sub(1) * chunks {
        base.jump();
    }
    crate::rng::streams(&base, chunks)
}

/// One blocking step of the configurations `chunk` (rows of `side²` ±1
/// spins) into `out` (rows of (side/block)²), drawing tie-break coins
/// from `rng` in row-major block order (only where a tie occurs).
pub(crate) fn block_chunk(
    chunk: &[i8],
    side: usize,
    block: usize,
    rule: BlockRule,
    rng: &mut crate::rng::Rng,
    out: &mut [i8],
) {
    let coarse = side / block;
    for (config, blocked) in chunk
        .chunks_exact(side * side)
        .zip(out.chunks_exact_mut(coarse * coarse))
    {
        for big_row in 0..coarse {
            for big_col in 0..coarse {
                let top_left = big_row * block * side + big_col * block;
                blocked[big_row * coarse + big_col] = match rule {
                    BlockRule::Decimation => config[top_left],
                    BlockRule::Majority => {
                        let mut sum = 0i32;
                        for dr in 0..block {
                            let row = &config[top_left + dr * side..top_left + dr * side + block];
                            sum += row.iter().map(|&s| s as i32).sum::<i32>();
                        }
                        match sum.signum() {
                            0 => {
                                if crate::rng::uniform(rng) < 0.5 {
                                    1
                                } else {
                                    -1
                                }
                            }
                            sign => sign as i8,
                        }
                    }
                };
            }
        }
    }
}

/// The lattice sides of `levels` successive blockings of an L = `side`
/// lattice by `block`: [L, L/b, …, L/bⁿ]. Errors, naming L, b and the
/// level, if `block` < 2 or b does not divide the side at some level.
pub fn block_sides(side: usize, block: usize, levels: usize) -> Result<Vec<usize>> {
    if block < 2 {
        return Err(Error::invalid("block", block, "a block side b ≥ 2"));
    }
    let mut sides = vec![side];
    for level in 1..=levels {
        let current = sides[level - 1];
        if current < block || !current.is_multiple_of(block) {
            return Err(Error::invalid(
                "block",
                block,
                format!(
                    "a divisor of the lattice side at every level: level {level} would block side {current} (L = {side}, b = {block}) and b does not divide it"
                ),
            ));
        }
        sides.push(current / block);
    }
    Ok(sides)
}

/// `levels` successive block-spin transforms (Kadanoff 1966; Swendsen
/// 1979) of the ±1 configurations `spins` (`rows × side²`, site
/// row·side + col) with blocks of `block × block` sites: block (R, C) of a
/// level covers rows R·b .. (R + 1)·b and the same columns of the level
/// below, and its spin is, for [`BlockRule::Majority`], sign(Σ s_i), a tie
/// taking ±1 with probability ½ each from the seeded streams of
/// [`TIE_BREAK_CHUNK`] configurations (family
/// [`crate::rng::families::BLOCK_TIE_BREAKS`] of `seed`), and for
/// [`BlockRule::Decimation`] the top-left spin. Returns the
/// `rows × (side/bⁿ)²` configurations of the last level (the input for
/// `levels` = 0). Parallel over chunks; the same for any thread count.
///
/// Errors if a value is not ±1, `spins.len()` ≠ rows·side², or `block`
/// does not divide the side at some level ([`block_sides`]).
///
/// # References
/// - L. P. Kadanoff, Physics 2, 263 (1966).
/// - R. H. Swendsen, Phys. Rev. Lett. 42, 859 (1979).
pub fn block_spins(
    spins: &[i8],
    rows: usize,
    side: usize,
    block: usize,
    rule: BlockRule,
    levels: usize,
    seed: u64,
) -> Result<Vec<i8>> {
    let sides = block_sides(side, block, levels)?;
    check_i8_spins(spins, rows, side)?;
    let mut current = spins.to_vec();
    blocking_steps(&mut current, rows, &sides, rule, seed, |_| {});
    Ok(current)
}

/// Blocks `current` (`rows × sides[0]²`) level by level to `sides[1]`,
/// `sides[2]`, … (each dividing the one before), leaving the last level
/// in `current` and handing each level's configurations to `each` as they
/// are made. Level n draws its tie-breaks from [`tie_break_streams`] of
/// level n.
fn blocking_steps(
    current: &mut Vec<i8>,
    rows: usize,
    sides: &[usize],
    rule: BlockRule,
    seed: u64,
    mut each: impl FnMut(&[i8]),
) {
    for level in 1..sides.len() {
        let (fine, coarse) = (sides[level - 1], sides[level]);
        let mut next = vec![0i8; rows * coarse * coarse];
        let mut rngs = tie_break_streams(seed, level, rows);
        current
            .par_chunks(TIE_BREAK_CHUNK * fine * fine)
            .zip(next.par_chunks_mut(TIE_BREAK_CHUNK * coarse * coarse))
            .zip(rngs.par_iter_mut())
            .for_each(|((chunk, out), rng)| {
                block_chunk(chunk, fine, fine / coarse, rule, rng, out)
            });
        each(&next);
        *current = next;
    }
}

/// Successive block-spin transforms of the ±1 configurations `spins`
/// (`rows × side²`) with block sides `blocks[0]`, `blocks[1]`, … (level n
/// blocks level n − 1 by b_n), as [`block_spins`] does with one block
/// side: the same rules, and level n draws the same tie-breaks from the
/// same streams of `seed`, so with equal block sides level n equals
/// `block_spins(.., n, seed)`. Returns every level's configurations,
/// level 1 first (`rows × (side/(b_1⋯b_n))²` each).
///
/// Errors if a value is not ±1, `spins.len()` ≠ rows·side², a block side
/// is below 2 or does not divide the side of the level it blocks.
pub fn block_levels(
    spins: &[i8],
    rows: usize,
    side: usize,
    blocks: &[usize],
    rule: BlockRule,
    seed: u64,
) -> Result<Vec<Vec<i8>>> {
    let mut sides = vec![side];
    for (n, &b) in blocks.iter().enumerate() {
        let current = sides[n];
        if b < 2 || current < b || !current.is_multiple_of(b) {
            return Err(Error::invalid(
                "block",
                b,
                format!("a block side b ≥ 2 dividing the side {current} of level {n} (L = {side})"),
            ));
        }
        sides.push(current / b);
    }
    check_i8_spins(spins, rows, side)?;
    let mut current = spins.to_vec();
    let mut levels = Vec::with_capacity(blocks.len());
    blocking_steps(&mut current, rows, &sides, rule, seed, |level| {
        levels.push(level.to_vec())
    });
    Ok(levels)
}

/// Fails unless `spins` holds `rows × side²` values, each ±1 (naming the
/// first other value's configuration and site).
pub(crate) fn check_i8_spins(spins: &[i8], rows: usize, side: usize) -> Result<()> {
    check_configuration_shape(spins.len(), rows, side)?;
    check_spins(spins, side, |_| true)
}

/// The block spin a unit follows most closely (see [`best_matching_blocks`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BlockMatch {
    /// Index of the block spin.
    pub block: usize,
    /// The signed Pearson correlation between the unit and that block.
    pub correlation: f64,
}

/// Centred columns of a row-major `rows × cols` matrix, stored column by
/// column, with each column's norm sqrt(Σ (x − x̄)²).
fn centred_columns(values: &[f32], rows: usize, cols: usize) -> (Vec<f64>, Vec<f64>) {
    let mut centred = vec![0.0f64; rows * cols];
    let mut norms = vec![0.0f64; cols];
    for c in 0..cols {
        let column = &mut centred[c * rows..(c + 1) * rows];
        for (r, x) in column.iter_mut().enumerate() {
            *x = values[r * cols + c] as f64;
        }
        let mean = column.iter().sum::<f64>() / rows as f64;
        column.iter_mut().for_each(|x| *x -= mean);
        norms[c] = column.iter().map(|x| x * x).sum::<f64>().sqrt();
    }
    (centred, norms)
}

/// The signed Pearson correlation of each hidden unit with each block spin
/// across the `rows` configurations, row-major `n_units × n_blocks`:
/// ρ(x, y) = Σ (x − x̄)(y − ȳ) / sqrt(Σ (x − x̄)² Σ (y − ȳ)²), taken as 0
/// when either column is constant. `activations` is `rows × n_units`
/// (e.g. a DBN up-pass), `blocks` is `rows × n_blocks` (e.g.
/// [`majority_rule`] of the same data). Accumulates in f64; parallel over
/// units.
///
/// Errors if `rows` or `n_blocks` is 0, a length is not rows × its count,
/// or a value is not finite.
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), §V (hidden units
///   as block spins).
pub fn block_correlations(
    activations: &[f32],
    n_units: usize,
    blocks: &[f32],
    n_blocks: usize,
    rows: usize,
) -> Result<Vec<f64>> {
    if rows == 0 {
        return Err(Error::invalid("rows", 0, "at least one configuration"));
    }
    if n_blocks == 0 {
        return Err(Error::invalid("blocks", 0, "at least one block spin"));
    }
    for (what, values, count) in [
        ("hidden activations", activations, n_units),
        ("block spins", blocks, n_blocks),
    ] {
        if values.len() != rows * count {
            return Err(Error::ShapeMismatch {
                what: what.into(),
                expected: format!("{rows} rows × {count} columns"),
                found: format!("{} values", values.len()),
            });
        }
        if let Some(k) = values.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "correlation input",
                format!(
                    "{} in the {what} at row {}, column {}",
                    values[k],
                    k / count,
                    k % count
                ),
                "finite values",
            ));
        }
    }
    let (centred_blocks, block_norms) = centred_columns(blocks, rows, n_blocks);
    let (centred_units, unit_norms) = centred_columns(activations, rows, n_units);
    Ok((0..n_units)
        .into_par_iter()
        .flat_map_iter(|u| {
            let unit = &centred_units[u * rows..(u + 1) * rows];
            let (centred_blocks, block_norms, unit_norms) =
                (&centred_blocks, &block_norms, &unit_norms);
            (0..n_blocks).map(move |b| {
                let denominator = unit_norms[u] * block_norms[b];
                if denominator > 0.0 {
                    let block = &centred_blocks[b * rows..(b + 1) * rows];
                    let dot: f64 = unit.iter().zip(block).map(|(x, y)| x * y).sum();
                    (dot / denominator).clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            })
        })
        .collect())
}

/// Each row's block with the largest |correlation| of the row-major
/// `n_units × n_blocks` matrix `correlations` ([`block_correlations`]),
/// exact ties to the lowest block index; a row of zeros gives block 0 with
/// correlation 0.
pub fn best_blocks(correlations: &[f64], n_blocks: usize) -> Vec<BlockMatch> {
    correlations
        .chunks_exact(n_blocks.max(1))
        .map(|row| {
            let mut best = BlockMatch {
                block: 0,
                correlation: 0.0,
            };
            for (b, &correlation) in row.iter().enumerate() {
                if correlation.abs() > best.correlation.abs() {
                    best = BlockMatch {
                        block: b,
                        correlation,
                    };
                }
            }
            best
        })
        .collect()
}

/// For each hidden unit, the block spin with the largest |Pearson
/// correlation| across the `rows` configurations, and that correlation
/// (signed; [`block_correlations`], [`best_blocks`]). Exact ties go to the
/// lowest block index.
///
/// Errors as [`block_correlations`].
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), §V (hidden units
///   as block spins).
pub fn best_matching_blocks(
    activations: &[f32],
    n_units: usize,
    blocks: &[f32],
    n_blocks: usize,
    rows: usize,
) -> Result<Vec<BlockMatch>> {
    let correlations = block_correlations(activations, n_units, blocks, n_blocks, rows)?;
    Ok(best_blocks(&correlations, n_blocks))
}

/// Magnetisation and nearest-neighbour correlation of one level's
/// configurations, with standard errors (see [`level_observables`]).
#[derive(Clone, Debug, serde::Serialize)]
pub struct LevelObservables {
    pub n_units: usize,
    /// ⟨|m|⟩ with m = Σ_u s_u / n_units per configuration.
    pub magnetisation: f64,
    pub magnetisation_stderr: f64,
    /// ⟨s_u s_v⟩ over nearest-neighbour pairs (u, v).
    pub nearest_neighbour_correlation: f64,
    pub nearest_neighbour_correlation_stderr: f64,
}

/// Units whose torus distance from each unit is within 10⁻⁹ of that unit's
/// smallest distance to any other unit.
fn nearest_neighbours(positions: &[(f64, f64)], side: usize) -> Vec<Vec<usize>> {
    positions
        .par_iter()
        .enumerate()
        .map(|(u, &p)| {
            let distances: Vec<f64> = positions
                .iter()
                .map(|&q| torus_distance(p, q, side))
                .collect();
            let nearest = distances
                .iter()
                .enumerate()
                .filter(|&(v, _)| v != u)
                .map(|(_, &d)| d)
                .fold(f64::INFINITY, f64::min);
            (0..positions.len())
                .filter(|&v| v != u && distances[v] <= nearest + 1e-9)
                .collect()
        })
        .collect()
}

/// Mean and standard error sample-std/sqrt(n) of per-row values (the
/// standard error is NaN for a single row).
fn mean_and_stderr(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

/// The magnetisation and nearest-neighbour correlation of the
/// configurations `spins` (`rows × n_units`, values ±1 or means in
/// [−1, 1]) of units at `positions` (`n_units` (row, col) points on the
/// `side × side` torus: for the data, the sites; for hidden units, their
/// receptive-field centres from [`super::field_locality`]).
///
/// - magnetisation = (1/rows) Σ_rows |Σ_u s_u / n_units|;
/// - the nearest neighbours N(u) of unit u are all other units whose torus
///   distance from u is within 10⁻⁹ of u's smallest distance to any other
///   unit; nearest_neighbour_correlation = (1/rows) Σ_rows (1/n_units)
///   Σ_u (1/|N(u)|) Σ_{v ∈ N(u)} s_u s_v.
///
/// On the plain lattice (positions = sites, side ≥ 3) N(u) is the four
/// lattice neighbours and the correlation is the usual ⟨s_i s_{i+δ}⟩,
/// which Mehta & Schwab (2014, §V) follow from level to level. Standard
/// errors are the sample standard deviation of the per-row values over
/// sqrt(rows) (NaN for one row): valid for independent rows.
///
/// Errors if `rows` is 0, there are fewer than 2 units, `side` is 0, a
/// length disagrees, a value is outside [−1, 1] or a position is not
/// finite.
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), §V.
pub fn level_observables(
    spins: &[f32],
    rows: usize,
    positions: &[(f64, f64)],
    side: usize,
) -> Result<LevelObservables> {
    let n_units = positions.len();
    if rows == 0 {
        return Err(Error::invalid("rows", 0, "at least one configuration"));
    }
    if n_units < 2 {
        return Err(Error::invalid(
            "units",
            n_units,
            "at least 2 units (a unit needs a neighbour)",
        ));
    }
    if side == 0 {
        return Err(Error::invalid("side", 0, "a lattice side of at least 1"));
    }
    if spins.len() != rows * n_units {
        return Err(Error::ShapeMismatch {
            what: "configurations".into(),
            expected: format!("{rows} rows × {n_units} units (one per position)"),
            found: format!("{} values", spins.len()),
        });
    }
    if let Some(k) = spins.iter().position(|s| !(-1.0..=1.0).contains(s)) {
        return Err(Error::invalid(
            "spin",
            format!("{} at row {}, unit {}", spins[k], k / n_units, k % n_units),
            "a value in [−1, 1]",
        ));
    }
    if let Some(u) = positions
        .iter()
        .position(|p| !(p.0.is_finite() && p.1.is_finite()))
    {
        return Err(Error::invalid(
            "position",
            format!("{:?} of unit {u}", positions[u]),
            "finite coordinates",
        ));
    }
    let neighbours = nearest_neighbours(positions, side);
    let per_row: Vec<(f64, f64)> = spins
        .par_chunks_exact(n_units)
        .map(|s| {
            let m = s.iter().map(|&x| x as f64).sum::<f64>() / n_units as f64;
            let correlation = neighbours
                .iter()
                .enumerate()
                .map(|(u, near)| {
                    let sum: f64 = near.iter().map(|&v| s[v] as f64).sum();
                    s[u] as f64 * sum / near.len() as f64
                })
                .sum::<f64>()
                / n_units as f64;
            (m.abs(), correlation)
        })
        .collect();
    let magnetisations: Vec<f64> = per_row.iter().map(|p| p.0).collect();
    let correlations: Vec<f64> = per_row.iter().map(|p| p.1).collect();
    let (magnetisation, magnetisation_stderr) = mean_and_stderr(&magnetisations);
    let (nearest_neighbour_correlation, nearest_neighbour_correlation_stderr) =
        mean_and_stderr(&correlations);
    Ok(LevelObservables {
        n_units,
        magnetisation,
        magnetisation_stderr,
        nearest_neighbour_correlation,
        nearest_neighbour_correlation_stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    fn lattice_positions(side: usize) -> Vec<(f64, f64)> {
        (0..side * side)
            .map(|i| ((i / side) as f64, (i % side) as f64))
            .collect()
    }

    fn random_spins(n: usize, p_up: f64, seed: u64) -> Vec<f32> {
        let mut r = rng::root(seed);
        (0..n)
            .map(|_| {
                if rng::uniform(&mut r) < p_up {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect()
    }

    #[test]
    fn majority_of_hand_made_configurations() {
        // Two 4 × 4 configurations, blocks of 2: one clear majority per
        // block in the first; ties in the second.
        #[rustfmt::skip]
        let spins: Vec<f32> = vec![
            // row 0: blocks (0,0) = +3−1, (0,1) = −4, (1,0) = +4, (1,1) = −3+1
             1.,  1., -1., -1.,
             1., -1., -1., -1.,
             1.,  1., -1.,  1.,
             1.,  1., -1., -1.,
            // row 1: every block is a 2–2 tie; its top-left spin decides
            -1.,  1.,  1., -1.,
             1., -1.,  1., -1.,
             1.,  1., -1., -1.,
            -1., -1.,  1.,  1.,
        ];
        let blocked = majority_rule(&spins, 2, 4, 2).unwrap();
        assert_eq!(blocked, vec![1., -1., 1., -1., -1., 1., 1., -1.]);
        // A block of 4 on 4 × 4: both sums are 0, so the top-left spins
        // (+1, −1) decide; flipping one spin of a row of the first breaks
        // the tie its way. A block of 1 is the identity.
        assert_eq!(majority_rule(&spins[..16], 1, 4, 4).unwrap(), vec![1.]);
        assert_eq!(majority_rule(&spins[16..], 1, 4, 4).unwrap(), vec![-1.]);
        let mut down = spins[..16].to_vec();
        down[8] = -1.0;
        assert_eq!(majority_rule(&down, 1, 4, 4).unwrap(), vec![-1.]);
        assert_eq!(majority_rule(&spins, 2, 4, 1).unwrap(), spins);
    }

    #[test]
    fn majority_rule_on_odd_blocks_never_ties() {
        let spins = random_spins(6 * 36, 0.5, 3);
        let blocked = majority_rule(&spins, 6, 6, 3).unwrap();
        for (k, &b) in blocked.iter().enumerate() {
            let (row, index) = (k / 4, k % 4);
            let (big_row, big_col) = (index / 2, index % 2);
            let sum: f32 = (0..3)
                .flat_map(|dr| (0..3).map(move |dc| (big_row * 3 + dr) * 6 + big_col * 3 + dc))
                .map(|i| spins[row * 36 + i])
                .sum();
            assert_eq!(b, sum.signum());
        }
    }

    #[test]
    fn majority_rule_rejects_bad_input() {
        let spins = vec![1.0f32; 2 * 36];
        assert!(majority_rule(&spins, 2, 6, 4).is_err());
        assert!(majority_rule(&spins, 2, 6, 0).is_err());
        assert!(matches!(
            majority_rule(&spins[1..], 2, 6, 2),
            Err(Error::ShapeMismatch { .. })
        ));
        let mut half = spins.clone();
        half[36 + 2 * 6 + 5] = 0.5;
        let message = majority_rule(&half, 2, 6, 2).unwrap_err().to_string();
        assert!(message.contains("0.5"), "{message}");
        assert!(
            message.contains("data row 1, lattice row 2, column 5"),
            "{message}"
        );
    }

    #[test]
    fn planted_copies_find_their_block() {
        let (rows, n_blocks) = (400, 8);
        let blocks = random_spins(rows * n_blocks, 0.5, 9);
        let noise = random_spins(rows, 0.5, 10);
        // Units: a copy of block 3, a negated copy of block 5, pure noise,
        // and a constant.
        let n_units = 4;
        let mut activations = vec![0.0f32; rows * n_units];
        for r in 0..rows {
            activations[r * n_units] = blocks[r * n_blocks + 3];
            activations[r * n_units + 1] = -blocks[r * n_blocks + 5];
            activations[r * n_units + 2] = noise[r];
            activations[r * n_units + 3] = 0.25;
        }
        let matches = best_matching_blocks(&activations, n_units, &blocks, n_blocks, rows).unwrap();
        assert_eq!(matches[0].block, 3);
        assert!((matches[0].correlation - 1.0).abs() < 1e-12, "{matches:?}");
        assert_eq!(matches[1].block, 5);
        assert!((matches[1].correlation + 1.0).abs() < 1e-12, "{matches:?}");
        // Noise correlates with no block beyond a few 1/sqrt(rows).
        assert!(matches[2].correlation.abs() < 4.0 / (rows as f64).sqrt());
        assert_eq!(
            matches[3],
            BlockMatch {
                block: 0,
                correlation: 0.0
            }
        );
        assert!(best_matching_blocks(&activations, n_units, &blocks, n_blocks, 0).is_err());
        assert!(best_matching_blocks(&activations[1..], n_units, &blocks, n_blocks, rows).is_err());
        assert!(best_matching_blocks(&activations, n_units, &blocks, 0, rows).is_err());
    }

    #[test]
    fn ordered_and_checkerboard_configurations() {
        let side = 6;
        let positions = lattice_positions(side);
        let up = vec![1.0f32; 3 * side * side];
        let o = level_observables(&up, 3, &positions, side).unwrap();
        assert_eq!(o.n_units, 36);
        assert!((o.magnetisation - 1.0).abs() < 1e-12, "{o:?}");
        assert!(
            (o.nearest_neighbour_correlation - 1.0).abs() < 1e-12,
            "{o:?}"
        );
        assert!(o.magnetisation_stderr.abs() < 1e-12);
        let checkerboard: Vec<f32> = (0..2 * side * side)
            .map(|k| {
                let i = k % (side * side);
                if (i / side + i % side) % 2 == 0 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        let c = level_observables(&checkerboard, 2, &positions, side).unwrap();
        assert!(c.magnetisation.abs() < 1e-12, "{c:?}");
        assert!(
            (c.nearest_neighbour_correlation + 1.0).abs() < 1e-12,
            "{c:?}"
        );
    }

    #[test]
    fn lattice_correlation_matches_a_direct_computation() {
        let (side, rows) = (8, 50);
        let n = side * side;
        let spins = random_spins(rows * n, 0.7, 21);
        let o = level_observables(&spins, rows, &lattice_positions(side), side).unwrap();
        let mut magnetisations = Vec::new();
        let mut correlations = Vec::new();
        for s in spins.chunks_exact(n) {
            magnetisations.push((s.iter().map(|&x| x as f64).sum::<f64>() / n as f64).abs());
            let mut bonds = 0.0f64;
            for r in 0..side {
                for c in 0..side {
                    let here = s[r * side + c] as f64;
                    let right = s[r * side + (c + 1) % side] as f64;
                    let down = s[((r + 1) % side) * side + c] as f64;
                    bonds += here * (right + down);
                }
            }
            correlations.push(bonds / (2 * n) as f64);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let stderr = |v: &[f64]| {
            let m = mean(v);
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64 / v.len() as f64)
                .sqrt()
        };
        assert!((o.magnetisation - mean(&magnetisations)).abs() < 1e-12);
        assert!((o.magnetisation_stderr - stderr(&magnetisations)).abs() < 1e-12);
        assert!((o.nearest_neighbour_correlation - mean(&correlations)).abs() < 1e-12);
        assert!((o.nearest_neighbour_correlation_stderr - stderr(&correlations)).abs() < 1e-12);
        // Independent spins with P(up) = 0.7: ⟨s_i s_j⟩ = 0.4² = 0.16.
        assert!(
            (o.nearest_neighbour_correlation - 0.16).abs() < 0.05,
            "{o:?}"
        );
    }

    #[test]
    fn hidden_level_neighbours_come_from_positions() {
        // Four units at the centres of 2 × 2 blocks of a 4 × 4 torus: each
        // has two nearest neighbours at distance 2 (the diagonal one is
        // at 2√2).
        let positions = [(0.5, 0.5), (0.5, 2.5), (2.5, 0.5), (2.5, 2.5)];
        let spins = [1.0f32, 1.0, -1.0, -1.0];
        let o = level_observables(&spins, 1, &positions, 4).unwrap();
        // Unit 0's neighbours are 1 (+1) and 2 (−1): mean 0, likewise all.
        assert!(o.nearest_neighbour_correlation.abs() < 1e-12, "{o:?}");
        assert!(o.magnetisation.abs() < 1e-12);
        assert!(o.magnetisation_stderr.is_nan());
    }

    #[test]
    fn level_observables_rejects_bad_input() {
        let positions = lattice_positions(3);
        let spins = vec![1.0f32; 2 * 9];
        assert!(level_observables(&spins, 0, &positions, 3).is_err());
        assert!(level_observables(&spins[..1], 1, &positions[..1], 3).is_err());
        assert!(level_observables(&spins[1..], 2, &positions, 3).is_err());
        let mut bad = spins.clone();
        bad[4] = 1.5;
        assert!(level_observables(&bad, 2, &positions, 3).is_err());
        let mut far = positions.clone();
        far[2].1 = f64::NAN;
        assert!(level_observables(&spins, 2, &far, 3).is_err());
    }
}
