//! A DBN's flow in coupling space: at each level, the couplings of the
//! layer's sampled hidden units placed on the coarse lattice beside those
//! of Kadanoff's majority-rule block spins of the same side.

use super::fit::{fit_couplings, Bootstrap, CouplingFit, FitOptions};
use super::flow::{majority_rule_flow, place_units, FlowStep};
use crate::dbn::Dbn;
use crate::rbm::{HiddenUnits, VisibleUnits};
use crate::rg::analysis::{as_spins, block_side};
use crate::rg::{field_locality, receptive_fields};
use crate::{Error, Result};
use serde::Serialize;

/// One level of [`dbn_coupling_flow`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelCouplings {
    /// The level: 1 = the hidden units of the first layer.
    pub level: usize,
    pub n_units: usize,
    /// Block side b with (L/b)² = n_units.
    pub block: usize,
    /// Side L/b of the coarse lattice.
    pub side: usize,
    /// Fraction of the coarse cells a unit was placed in (the others are
    /// holes, left out of the fit).
    pub occupied_fraction: f64,
    /// The couplings of the layer's sampled units on the coarse lattice;
    /// `None` when they cannot be fitted (e.g. every unit dead, so that no
    /// term's local field varies), with the reason in `learned_note`.
    pub learned: Option<CouplingFit>,
    /// Why `learned` is missing.
    pub learned_note: Option<String>,
    /// The couplings of majority-rule blocks of side b of the same data.
    pub majority_rule: FlowStep,
}

/// The result of [`dbn_coupling_flow`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DbnFlow {
    /// Side L of the data lattice.
    pub lattice_side: usize,
    pub rows: usize,
    /// The couplings of the data themselves (level 0).
    pub data: CouplingFit,
    /// The levels with a block side (n_units a square dividing L²) and a
    /// coarse lattice of side ≥ 3, in order.
    pub levels: Vec<LevelCouplings>,
    /// The other levels, each with why it was left out.
    pub skipped: Vec<(usize, String)>,
}

/// The renormalized couplings of `dbn` on `data` (`rows` rows of its L²
/// data units, L = `side`; 0/1 data read as spins 2v − 1): the data's own
/// lattice couplings, then for each level l whose n_l units tile the
/// lattice in b × b blocks ((L/b)² = n_l, L/b ≥ 3):
///
/// - *learned*: the level's hidden units sampled by the up-pass
///   ([`Dbn::sample_up`], stream l − 1 of `seed`), read as spins (2h − 1
///   for 0/1 units), each oriented by the sign of its total receptive
///   field Σ_i W_eff,iu (so that "up" means the data's up) and placed in
///   the coarse cell of its receptive-field centre ([`field_locality`]
///   with `window`; [`place_units`]: the unit nearest the block centre
///   wins a shared cell, empty cells are holes);
/// - *majority rule*: Kadanoff's block spins of side b of the same data
///   ([`majority_rule_flow`]);
///
/// both fitted by [`fit_couplings`] with `options` and `bootstrap`. The
/// comparison of the two K_nn per level is Mehta & Schwab's claim read in
/// coupling space: if the DBN coarse-grains like Kadanoff, its levels flow
/// like the block spins.
///
/// # Errors
/// Data that are not ±1 or 0/1, a DBN whose data units are not L × L, a
/// hidden layer whose samples are not binary (Gaussian units), or the
/// fits' errors (perfectly ordered data, say).
///
/// # References
/// - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014).
/// - R. H. Swendsen, Phys. Rev. Lett. 42, 859 (1979).
#[allow(clippy::too_many_arguments)]
pub fn dbn_coupling_flow(
    dbn: &Dbn,
    data: &[f32],
    rows: usize,
    side: usize,
    window: usize,
    options: &FitOptions,
    bootstrap: Option<&Bootstrap>,
    seed: u64,
) -> Result<DbnFlow> {
    let n0 = dbn.sizes()[0];
    if side.checked_mul(side) != Some(n0) {
        return Err(Error::invalid(
            "lattice side",
            side,
            format!("the side of the DBN's {n0} data units as an L × L lattice"),
        ));
    }
    if data.len() != rows * n0 {
        return Err(Error::invalid(
            "data",
            format!("{} values", data.len()),
            format!("{rows} rows × {n0} data units"),
        ));
    }
    let bernoulli_data = dbn.layers()[0].visible_units() == VisibleUnits::Bernoulli;
    let spins = as_spins(data, bernoulli_data);
    let data_fit = fit_couplings(&spins, rows, side, None, options, bootstrap)?;
    let streams = crate::rng::streams(&crate::rng::root(seed), dbn.layers().len());
    let mut levels = Vec::new();
    let mut skipped = Vec::new();
    for level in 1..=dbn.layers().len() {
        let n = dbn.sizes()[level];
        let Some(b) = block_side(side, n) else {
            skipped.push((
                level,
                format!("{n} units do not tile the {side}×{side} lattice in square blocks"),
            ));
            continue;
        };
        if side / b < 3 {
            skipped.push((
                level,
                format!("its {0}×{0} coarse lattice is below 3×3", side / b),
            ));
            continue;
        }
        let layer = &dbn.layers()[level - 1];
        if !matches!(
            layer.hidden_units(),
            HiddenUnits::Bernoulli | HiddenUnits::Spin
        ) {
            return Err(Error::invalid(
                "hidden units",
                layer.hidden_units(),
                "binary (bernoulli or spin) hidden units, whose samples are spins",
            ));
        }
        let mut rng = streams[level - 1].clone();
        let sampled = dbn.sample_up(data, rows, level, &mut rng)?;
        let hidden = as_spins(&sampled, layer.hidden_units() == HiddenUnits::Bernoulli);
        let fields = receptive_fields(dbn, level)?;
        let mut centres = Vec::with_capacity(n);
        let mut orientation = Vec::with_capacity(n);
        for u in 0..n {
            let field: Vec<f64> = (0..n0).map(|i| fields[i * n + u]).collect();
            centres.push(field_locality(&field, side, window)?.centre);
            let total: f64 = field.iter().sum();
            orientation.push(if total < 0.0 { -1.0 } else { 1.0 });
        }
        let coarse = place_units(&hidden, rows, &centres, Some(&orientation), side, b)?;
        let occupied = coarse.mask.iter().filter(|&&m| m).count();
        // A level whose units cannot be fitted (all dead, say) is reported
        // as such; the majority-rule blocks of its side still are.
        let (learned, learned_note) = match fit_couplings(
            &coarse.spins,
            rows,
            coarse.side,
            Some(&coarse.mask),
            options,
            bootstrap,
        ) {
            Ok(fit) => (Some(fit), None),
            Err(Error::InvalidParameter { .. }) if occupied > 0 => {
                let constant = (0..coarse.mask.len())
                    .filter(|&c| coarse.mask[c])
                    .filter(|&c| {
                        let first = coarse.spins[c];
                        (0..rows).all(|r| coarse.spins[r * coarse.mask.len() + c] == first)
                    })
                    .count();
                (
                    None,
                    Some(format!(
                        "cannot be fitted: {occupied} of the {} coarse cells hold a unit and {constant} of those never change over the {rows} rows (dead units): too few varying neighbours for a unique pseudo-likelihood maximum",
                        coarse.mask.len()
                    )),
                )
            }
            Err(e) => return Err(e),
        };
        let majority = majority_rule_flow(&spins, rows, side, &[b], options, bootstrap)?
            .pop()
            .expect("one block side, one step");
        levels.push(LevelCouplings {
            level,
            n_units: n,
            block: b,
            side: coarse.side,
            occupied_fraction: occupied as f64 / coarse.mask.len() as f64,
            learned,
            learned_note,
            majority_rule: majority,
        });
    }
    Ok(DbnFlow {
        lattice_side: side,
        rows,
        data: data_fit,
        levels,
        skipped,
    })
}
