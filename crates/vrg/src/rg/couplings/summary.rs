//! Summaries of an expansion: strength by order, pairs by lattice distance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sets::torus_distance_squared;
use super::EffectiveCouplings;
use crate::{Error, Result};

/// The listed couplings of one order |S|.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderStrength {
    /// |S|.
    pub order: usize,
    /// How many couplings of this order are listed.
    pub count: usize,
    /// Mean of |K_S| over them.
    pub mean_abs: f64,
    /// Largest |K_S|.
    pub max_abs: f64,
    /// Root mean square of K_S.
    pub rms: f64,
}

/// The listed pair couplings K_ij at one torus distance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistanceGroup {
    /// Squared minimal-image distance Δrow² + Δcol² (an integer, the key).
    pub distance_squared: usize,
    /// The distance √(Δrow² + Δcol²).
    pub distance: f64,
    /// How many pairs at this distance are listed.
    pub count: usize,
    /// Mean K_ij.
    pub mean: f64,
    /// Standard deviation of K_ij over the group (0 for one pair).
    pub std: f64,
    /// Largest |K_ij|.
    pub max_abs: f64,
}

impl EffectiveCouplings {
    /// Count, mean |K|, max |K| and rms K of the listed couplings of each
    /// order, in increasing order (orders with no listed coupling omitted).
    pub fn strength_by_order(&self) -> Vec<OrderStrength> {
        let mut groups: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for c in &self.couplings {
            groups.entry(c.spins.len()).or_default().push(c.value);
        }
        groups
            .into_iter()
            .map(|(order, values)| {
                let count = values.len() as f64;
                OrderStrength {
                    order,
                    count: values.len(),
                    mean_abs: values.iter().map(|v| v.abs()).sum::<f64>() / count,
                    max_abs: values.iter().fold(0.0, |m: f64, v| m.max(v.abs())),
                    rms: (values.iter().map(|v| v * v).sum::<f64>() / count).sqrt(),
                }
            })
            .collect()
    }

    /// The listed pair couplings of an L × L periodic lattice (`side` = L,
    /// site i = (i / L, i % L)), grouped by minimal-image distance, nearest
    /// first. Errors unless n_spins = L² with L ≥ 2.
    pub fn pairs_by_distance(&self, side: usize) -> Result<Vec<DistanceGroup>> {
        if side < 2 || side.checked_mul(side) != Some(self.n_spins) {
            return Err(Error::invalid(
                "lattice side",
                side,
                format!("L ≥ 2 with L² = n_spins = {}", self.n_spins),
            ));
        }
        let mut groups: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for c in self.couplings.iter().filter(|c| c.spins.len() == 2) {
            let d2 = torus_distance_squared(c.spins[0], c.spins[1], side);
            groups.entry(d2).or_default().push(c.value);
        }
        Ok(groups
            .into_iter()
            .map(|(distance_squared, values)| {
                let count = values.len() as f64;
                let mean = values.iter().sum::<f64>() / count;
                let var = if values.len() > 1 {
                    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0)
                } else {
                    0.0
                };
                DistanceGroup {
                    distance_squared,
                    distance: (distance_squared as f64).sqrt(),
                    count: values.len(),
                    mean,
                    std: var.sqrt(),
                    max_abs: values.iter().fold(0.0, |m: f64, v| m.max(v.abs())),
                }
            })
            .collect())
    }
}
