//! Swendsen's MCRG ([`super::mcrg`]) applied to a learned coarse-graining:
//! a DBN's sampled hidden layers placed on coarse lattices, beside
//! Kadanoff's majority rule with the same block sides on the same data.
//!
//! # Placement
//! A level of m² hidden units above L × L data, with m dividing L, is put
//! on the m × m coarse lattice of b × b blocks (b = L/m) by the optimal
//! one-to-one assignment of units to majority-rule blocks: the permutation
//! π maximising Σ_u |ρ(u, π(u))|, ρ the Pearson correlation between the
//! unit's mean-field activation and the block spin over the analysed rows
//! ([`super::block_correlations`]), solved exactly by the Hungarian
//! algorithm ([`super::max_weight_assignment`]; Kuhn 1955, Munkres 1957).
//! Each unit's own best-matching block ([`super::best_matching_blocks`])
//! may be claimed by several units; the assignment resolves such
//! collisions at the least cost in total |correlation|, and
//! [`AssignmentQuality`] says how block-like the result is (mean and
//! minimum |ρ| of the assigned pairs, the fraction of units assigned their
//! best-matching block). Unit u's sampled spin s_u (2h − 1 for Bernoulli
//! units) enters at block π(u) as σ_u s_u, σ_u the sign of ρ(u, π(u)): a
//! learned unit may encode its block spin negated, and the sign makes
//! every placed spin correlate positively with its block. A unit whose
//! correlation with every block is 0 (a constant unit), or that is
//! assigned a block it does not correlate with, has no sign and makes its
//! level not placeable.
//!
//! # The two flows
//! The placed levels, in order, form a chain level 0 (the data) → l₁ →
//! l₂ → …, each step of block side b = L_{l_{k−1}}/L_{l_k} (a placed
//! level whose side does not divide the side of the last placed level
//! below it is left out of the chain). Each step's T is measured by
//! [`mcrg_levels`] from the configurations of its two ends, giving y_T
//! and y_H with jackknife errors; the same is done for the data blocked by
//! the majority rule with the same block sides ([`block_levels`], seeded
//! tie-breaks), so the learned map's exponents stand beside majority
//! rule's on the same rows.
//!
//! # References
//! - R. H. Swendsen, "Monte Carlo renormalization group", Phys. Rev. Lett.
//!   42, 859 (1979).
//! - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), §V.
//! - L. P. Kadanoff, Physics 2, 263 (1966).
//! - H. W. Kuhn, Naval Research Logistics Quarterly 2, 83 (1955); J.
//!   Munkres, J. SIAM 5, 32 (1957) (the assignment).

use super::assignment::max_weight_assignment;
use super::block_spin::{block_levels, BlockRule};
use super::mcrg::{mcrg_levels, LevelResult, LevelSpins};
use crate::{Error, Result};
use serde::Serialize;

/// How block-like a level's placement is: over the assigned (unit, block)
/// pairs, the mean and minimum |Pearson correlation|, and the fraction of
/// units assigned a block of the largest |correlation| they have with any
/// block (their best-matching block; 1 when no two units collide).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AssignmentQuality {
    pub mean_abs_correlation: f64,
    pub min_abs_correlation: f64,
    pub best_block_fraction: f64,
}

/// A hidden level on its coarse lattice, or why it is not there.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// `rows × side²` ±1 spins of the side × side coarse lattice; unit u
    /// sits at block `blocks[u]`.
    Placed {
        side: usize,
        spins: Vec<i8>,
        blocks: Vec<usize>,
        quality: AssignmentQuality,
    },
    /// Why the level has no place on a coarse lattice.
    NotPlaceable { reason: String },
}

/// Places the sampled ±1 spins `hidden` (`rows × n`, n = side² units) of
/// one hidden level on the side × side coarse lattice by the optimal
/// one-to-one assignment of units to blocks, from the row-major n × n
/// signed unit–block correlations `correlations`
/// ([`super::block_correlations`]): unit u at block π(u) with sign
/// sign(ρ(u, π(u))), π maximising Σ_u |ρ(u, π(u))| (see the module
/// documentation). Returns [`Placement::NotPlaceable`] with the reason
/// when a unit correlates with no block, or is assigned one it has
/// correlation 0 with.
///
/// # Errors
/// When `hidden` does not hold `rows × side²` values, `correlations` does
/// not hold side⁴, a value is not ±1, or a correlation is not finite.
pub fn place_units(
    hidden: &[f32],
    rows: usize,
    correlations: &[f64],
    side: usize,
) -> Result<Placement> {
    let n = side * side;
    if n == 0
        || n.checked_mul(n) != Some(correlations.len())
        || rows.checked_mul(n) != Some(hidden.len())
    {
        return Err(Error::ShapeMismatch {
            what: "hidden spins to place".into(),
            expected: format!(
                "rows × side² = {rows} × {side}² values, side⁴ unit–block correlations"
            ),
            found: format!(
                "{} values, {} correlations",
                hidden.len(),
                correlations.len()
            ),
        });
    }
    if let Some(k) = hidden.iter().position(|&s| s != 1.0 && s != -1.0) {
        return Err(Error::invalid(
            "hidden spins",
            format!("{} at row {}, unit {}", hidden[k], k / n, k % n),
            "±1 (sampled units)",
        ));
    }
    let abs: Vec<f64> = correlations.iter().map(|c| c.abs()).collect();
    if let Some(u) = abs
        .chunks_exact(n)
        .position(|row| row.iter().all(|&c| c == 0.0))
    {
        return Ok(Placement::NotPlaceable {
            reason: format!("unit {u} correlates with no block spin (it has no sign)"),
        });
    }
    let blocks = max_weight_assignment(&abs, n)?;
    if let Some(u) = (0..n).find(|&u| abs[u * n + blocks[u]] == 0.0) {
        return Ok(Placement::NotPlaceable {
            reason: format!(
                "unit {u} is assigned block {} with correlation 0 (it has no sign)",
                blocks[u]
            ),
        });
    }
    let assigned: Vec<f64> = (0..n).map(|u| abs[u * n + blocks[u]]).collect();
    let best = (0..n)
        .filter(|&u| {
            let top = abs[u * n..(u + 1) * n].iter().cloned().fold(0.0, f64::max);
            assigned[u] == top
        })
        .count();
    let quality = AssignmentQuality {
        mean_abs_correlation: assigned.iter().sum::<f64>() / n as f64,
        min_abs_correlation: assigned.iter().cloned().fold(f64::INFINITY, f64::min),
        best_block_fraction: best as f64 / n as f64,
    };
    let signs: Vec<i8> = (0..n)
        .map(|u| {
            if correlations[u * n + blocks[u]] > 0.0 {
                1
            } else {
                -1
            }
        })
        .collect();
    let mut spins = vec![0i8; rows * n];
    for (out, row) in spins.chunks_exact_mut(n).zip(hidden.chunks_exact(n)) {
        for u in 0..n {
            out[blocks[u]] = signs[u] * row[u] as i8;
        }
    }
    Ok(Placement::Placed {
        side,
        spins,
        blocks,
        quality,
    })
}

/// y_T and y_H of one RG step, with jackknife errors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Exponents {
    pub y_t: f64,
    pub y_t_err: f64,
    pub y_h: f64,
    pub y_h_err: f64,
}

impl Exponents {
    /// The exponents of one MCRG level; an error when one of them or its
    /// error bar is not finite (T, or one jackknife replicate's T, has no
    /// positive real eigenvalue).
    fn of(level: &LevelResult) -> Result<Self> {
        let e = Exponents {
            y_t: level.even.y.value,
            y_t_err: level.even.y.error,
            y_h: level.odd.y.value,
            y_h_err: level.odd.y.error,
        };
        for (name, value) in [
            ("y_T", e.y_t),
            ("y_T's error", e.y_t_err),
            ("y_H", e.y_h),
            ("y_H's error", e.y_h_err),
        ] {
            if !value.is_finite() {
                return Err(Error::invalid(
                    name,
                    value,
                    "a finite value (T or a jackknife replicate of it has no positive real eigenvalue)",
                ));
            }
        }
        Ok(e)
    }
}

/// The MCRG exponents of one hidden level (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelMcrg {
    /// Whether the level was placed on a coarse lattice.
    pub placed: bool,
    /// How block-like the placement is, when placed (flattened into the
    /// JSON as `mean_abs_correlation`, `min_abs_correlation`,
    /// `best_block_fraction`).
    #[serde(flatten)]
    pub assignment: Option<AssignmentQuality>,
    /// The level the step starts from (the last placed level below, 0 the
    /// data), when the level is in the chain.
    pub from_level: Option<usize>,
    /// The step's block side b = L_from / L_level.
    pub block: Option<usize>,
    /// The learned map's exponents.
    pub learned: Option<Exponents>,
    /// Majority rule's, same data and block sides.
    pub majority: Option<Exponents>,
    /// Why an exponent is missing (not placeable, not in the chain, or the
    /// MCRG failed, e.g. a singular correlation matrix).
    pub reason: Option<String>,
}

/// The learned and majority-rule MCRG exponents of each hidden level
/// (`placements[l − 1]` is level l), from the ±1 data `data` (`rows ×
/// side²`), with `jackknife` blocks and majority-rule tie-breaks from
/// `seed` (see the module documentation). An MCRG that fails (too few
/// rows for the jackknife, a singular matrix) becomes the level's
/// `reason`, never an error.
///
/// # Errors
/// When `data` are not `rows × side²` ±1 spins or a placed level is not
/// `rows × side²` values.
pub fn learned_and_majority(
    data: &[i8],
    rows: usize,
    side: usize,
    placements: &[Placement],
    jackknife: usize,
    seed: u64,
) -> Result<Vec<LevelMcrg>> {
    super::block_spin::check_i8_spins(data, rows, side)?;
    // The chain: (level, side, spins) of each step's end.
    let mut chain: Vec<(usize, usize, &[i8])> = vec![(0, side, data)];
    let mut out = Vec::with_capacity(placements.len());
    for (i, placement) in placements.iter().enumerate() {
        let level = i + 1;
        let mut result = LevelMcrg {
            placed: false,
            assignment: None,
            from_level: None,
            block: None,
            learned: None,
            majority: None,
            reason: None,
        };
        match placement {
            Placement::NotPlaceable { reason } => result.reason = Some(reason.clone()),
            Placement::Placed {
                side: m,
                spins,
                quality,
                ..
            } => {
                super::block_spin::check_i8_spins(spins, rows, *m)?;
                result.placed = true;
                result.assignment = Some(*quality);
                let &(from, below, _) = chain.last().expect("the chain starts at the data");
                if *m == 0 || *m >= below || !below.is_multiple_of(*m) {
                    result.reason = Some(format!(
                        "side {m} does not divide side {below} of level {from}, the placed level below"
                    ));
                } else {
                    result.from_level = Some(from);
                    result.block = Some(below / m);
                    chain.push((level, *m, spins));
                }
            }
        }
        out.push(result);
    }
    let blocks: Vec<usize> = chain.windows(2).map(|w| w[0].1 / w[1].1).collect();
    let majority = block_levels(data, rows, side, &blocks, BlockRule::Majority, seed)?;
    let step = |fine: LevelSpins, coarse: LevelSpins| {
        mcrg_levels(&[fine, coarse], rows, jackknife).and_then(|r| Exponents::of(&r[0]))
    };
    for (k, pair) in chain.windows(2).enumerate() {
        let (fine, coarse) = (pair[0], pair[1]);
        let result = &mut out[coarse.0 - 1];
        let mut failures = Vec::new();
        let learned = step(
            LevelSpins {
                side: fine.1,
                spins: fine.2,
            },
            LevelSpins {
                side: coarse.1,
                spins: coarse.2,
            },
        );
        match learned {
            Ok(e) => result.learned = Some(e),
            Err(e) => failures.push(format!("learned: {e}")),
        }
        let below = if k == 0 { data } else { &majority[k - 1] };
        match step(
            LevelSpins {
                side: fine.1,
                spins: below,
            },
            LevelSpins {
                side: coarse.1,
                spins: &majority[k],
            },
        ) {
            Ok(e) => result.majority = Some(e),
            Err(e) => failures.push(format!("majority rule: {e}")),
        }
        if !failures.is_empty() {
            result.reason = Some(format!("MCRG failed: {}", failures.join("; ")));
        }
    }
    Ok(out)
}
