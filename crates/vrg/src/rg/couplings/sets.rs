//! The spin sets S whose couplings the Monte Carlo and Gaussian methods
//! estimate, and the sets of an L × L torus within a distance.

use crate::{Error, Result};

/// The largest |S| the set-based methods accept (each costs 2^|S|
/// evaluations per unit and sample or node).
pub const MAX_SET_ORDER: usize = 20;

/// Which couplings to estimate.
#[derive(Clone, Debug, PartialEq)]
pub enum CouplingSets {
    /// Every field K_i.
    Fields,
    /// Every pair K_ij, i < j.
    Pairs,
    /// Every field and every pair.
    FieldsAndPairs,
    /// The given sets (each in any order; duplicates of a set are merged).
    Given(Vec<Vec<usize>>),
}

impl CouplingSets {
    /// The sets on `n` spins, each sorted, sorted by (|S|, S), without
    /// duplicates. Errors for an empty set (K_∅ is always returned), an
    /// index ≥ n, a repeated index, or |S| > [`MAX_SET_ORDER`], and with
    /// [`Error::TooMuchMemory`] when the list does not fit.
    pub fn resolve(&self, n: usize) -> Result<Vec<Vec<usize>>> {
        let pairs = || {
            crate::memory::check(
                || format!("the {n}·({n} − 1)/2 pairs of {n} spins"),
                n.saturating_mul(n.saturating_sub(1)) / 2,
                2 * std::mem::size_of::<usize>() + std::mem::size_of::<Vec<usize>>(),
            )?;
            let mut sets = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    sets.push(vec![i, j]);
                }
            }
            Ok::<_, Error>(sets)
        };
        let fields = || (0..n).map(|i| vec![i]).collect::<Vec<_>>();
        let mut sets = match self {
            CouplingSets::Fields => fields(),
            CouplingSets::Pairs => pairs()?,
            CouplingSets::FieldsAndPairs => {
                let mut s = fields();
                s.extend(pairs()?);
                s
            }
            CouplingSets::Given(given) => {
                let mut sets = Vec::with_capacity(given.len());
                for set in given {
                    let mut s = set.clone();
                    s.sort_unstable();
                    if s.is_empty() {
                        return Err(Error::invalid(
                            "coupling set",
                            "{}",
                            "a non-empty set of spins (the constant K_∅ is always returned)",
                        ));
                    }
                    if let Some(&bad) = s.iter().find(|&&i| i >= n) {
                        return Err(Error::invalid(
                            "spin index",
                            bad,
                            format!("an index below n_visible = {n} (set {set:?})"),
                        ));
                    }
                    if let Some(w) = s.windows(2).find(|w| w[0] == w[1]) {
                        return Err(Error::invalid(
                            "spin index",
                            w[0],
                            format!(
                                "distinct indices within a set; {} is repeated in {set:?}",
                                w[0]
                            ),
                        ));
                    }
                    if s.len() > MAX_SET_ORDER {
                        return Err(Error::invalid(
                            "coupling set size",
                            s.len(),
                            format!("at most {MAX_SET_ORDER} spins (set {set:?})"),
                        ));
                    }
                    sets.push(s);
                }
                sets
            }
        };
        sets.sort_by(|a, b| super::set_order(a, b));
        sets.dedup();
        Ok(sets)
    }
}

/// The squared minimal-image distance between sites `a` and `b` of the
/// `side × side` torus, site i = (i / side, i % side).
pub(crate) fn torus_distance_squared(a: usize, b: usize, side: usize) -> usize {
    let delta = |x: usize, y: usize| {
        let d = x.abs_diff(y);
        d.min(side - d)
    };
    let dr = delta(a / side, b / side);
    let dc = delta(a % side, b % side);
    dr * dr + dc * dc
}

fn check_lattice(side: usize, max_distance: f64) -> Result<()> {
    if side < 2 {
        return Err(Error::invalid("lattice side", side, "at least 2"));
    }
    if !(max_distance > 0.0 && max_distance.is_finite()) {
        return Err(Error::invalid(
            "max_distance",
            max_distance,
            "a finite distance > 0 (1 is nearest neighbours)",
        ));
    }
    Ok(())
}

/// For each site, the sites j ≠ i within `max_distance` on the torus.
fn neighbours(side: usize, max_distance: f64) -> Vec<Vec<usize>> {
    let n = side * side;
    let limit = max_distance * max_distance + 1e-9;
    (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i && torus_distance_squared(i, j, side) as f64 <= limit)
                .collect()
        })
        .collect()
}

/// The pairs {i, j} of the `side × side` torus (site i = (i / side,
/// i % side), periodic) at minimal-image Euclidean distance ≤
/// `max_distance` (1: nearest neighbours; √2 adds the diagonals), sorted.
/// Errors if `side` < 2 or `max_distance` is not a positive finite number.
pub fn lattice_pairs(side: usize, max_distance: f64) -> Result<Vec<Vec<usize>>> {
    check_lattice(side, max_distance)?;
    let near = neighbours(side, max_distance);
    let mut sets = Vec::new();
    for (i, js) in near.iter().enumerate() {
        for &j in js {
            if j > i {
                sets.push(vec![i, j]);
            }
        }
    }
    sets.sort();
    Ok(sets)
}

/// The triples {i, j, k} of the torus (as in [`lattice_pairs`]) whose three
/// pairwise distances are all ≤ `max_distance` (√2: the elementary
/// right-angled triangles of a plaquette), sorted.
pub fn lattice_triples(side: usize, max_distance: f64) -> Result<Vec<Vec<usize>>> {
    check_lattice(side, max_distance)?;
    let near = neighbours(side, max_distance);
    let mut sets = Vec::new();
    for (i, js) in near.iter().enumerate() {
        for (a, &j) in js.iter().enumerate() {
            if j <= i {
                continue;
            }
            for &k in &js[a + 1..] {
                if k > j && near[j].binary_search(&k).is_ok() {
                    sets.push(vec![i, j, k]);
                }
            }
        }
    }
    sets.sort();
    sets.dedup();
    Ok(sets)
}
