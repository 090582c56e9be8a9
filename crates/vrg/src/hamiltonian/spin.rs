//! Sparse many-body spin Hamiltonians.
//!
//! The reference text writes the general Hamiltonian of binary variables as
//!
//! H(v) = −Σ_i K_i v_i − Σ_{i<j} K_ij v_i v_j − Σ_{i<j<k} K_ijk v_i v_j v_k − …
//!
//! with Z = Σ_v e^{−H(v)} and F = −ln Z. [`SpinHamiltonian`] stores exactly
//! this: a constant offset plus a sparse list of terms, each a set S of spin
//! indices with a coupling K_S,
//!
//! H(s) = offset − Σ_S K_S Π_{i∈S} s_i,   s_i ∈ {−1, +1}.   (eq. H)
//!
//! Couplings are plain numbers. The enumeration routines take an explicit
//! inverse temperature `beta` and weight states by e^{−β H(s)}; `beta = 1`
//! is the reference text's convention, in which β is absorbed into the K's.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One many-body term −K_S Π_{i∈S} s_i of eq. (H).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// The spin index set S: strictly increasing, never empty.
    pub spins: Vec<usize>,
    /// The coupling K_S (positive K_S favours Π_{i∈S} s_i = +1).
    pub coupling: f64,
}

/// A Hamiltonian of Ising spins s_i ∈ {−1, +1} with arbitrary many-body
/// couplings, eq. (H) of the module docs:
///
/// H(s) = offset − Σ_S K_S Π_{i∈S} s_i.
///
/// Terms are kept in insertion order; adding a term on an index set that is
/// already present adds to its coupling. A per-spin index of the terms that
/// contain each spin makes [`flip_delta`](Self::flip_delta) cost
/// O(terms touching the spin).
///
/// Serializes (serde, [`to_json`](Self::to_json)) as
/// `{"n_spins": N, "offset": c, "terms": [{"spins": [...], "coupling": K}, ...]}`;
/// deserializing validates every term as [`add_term`](Self::add_term) does.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "HamiltonianData", into = "HamiltonianData")]
pub struct SpinHamiltonian {
    n_spins: usize,
    offset: f64,
    terms: Vec<Term>,
    /// Position in `terms` of each index set, for merging duplicates.
    position: HashMap<Vec<usize>, usize>,
    /// `terms_of_spin[i]`: positions in `terms` of the terms containing spin i.
    terms_of_spin: Vec<Vec<usize>>,
}

impl PartialEq for SpinHamiltonian {
    fn eq(&self, other: &Self) -> bool {
        self.n_spins == other.n_spins && self.offset == other.offset && self.terms == other.terms
    }
}

/// The serialized form of a [`SpinHamiltonian`].
#[derive(Clone, Debug, Serialize, Deserialize)]
struct HamiltonianData {
    n_spins: usize,
    offset: f64,
    terms: Vec<Term>,
}

impl From<SpinHamiltonian> for HamiltonianData {
    fn from(h: SpinHamiltonian) -> Self {
        HamiltonianData {
            n_spins: h.n_spins,
            offset: h.offset,
            terms: h.terms,
        }
    }
}

impl TryFrom<HamiltonianData> for SpinHamiltonian {
    type Error = Error;

    fn try_from(data: HamiltonianData) -> Result<Self> {
        let mut h = SpinHamiltonian::new(data.n_spins);
        h.add_offset(data.offset)?;
        for term in &data.terms {
            h.add_term(&term.spins, term.coupling)?;
        }
        Ok(h)
    }
}

impl SpinHamiltonian {
    /// The zero Hamiltonian on `n_spins` spins: no terms, offset 0.
    pub fn new(n_spins: usize) -> Self {
        SpinHamiltonian {
            n_spins,
            offset: 0.0,
            terms: Vec::new(),
            position: HashMap::new(),
            terms_of_spin: vec![Vec::new(); n_spins],
        }
    }

    /// The periodic L_rows × L_cols square-lattice Ising model
    ///
    /// H(s) = −K Σ_{x} (s_x s_{x+ê₁} + s_x s_{x+ê₂}) − h Σ_x s_x
    ///
    /// in the 2N-bond convention: every site contributes its right and its
    /// down bond, with periodic wrap-around, so there are exactly 2N bonds.
    /// Site (r, c) is spin `r * cols + c`. When a dimension is 2 the "right"
    /// (or "down") bonds of the two sites in a row join the same pair, and
    /// both count: that pair's coupling is 2K. No field terms are stored when
    /// `field == 0`.
    ///
    /// Errors if `rows < 2`, `cols < 2` (a bond would join a site to itself),
    /// if rows·cols overflows, or if `coupling` or `field` is not finite.
    pub fn from_ising_square(rows: usize, cols: usize, coupling: f64, field: f64) -> Result<Self> {
        if rows < 2 {
            return Err(Error::invalid(
                "rows",
                rows,
                "at least 2 (periodic lattice)",
            ));
        }
        if cols < 2 {
            return Err(Error::invalid(
                "cols",
                cols,
                "at least 2 (periodic lattice)",
            ));
        }
        let n_spins = rows.checked_mul(cols).ok_or_else(|| {
            Error::invalid(
                "rows * cols",
                format!("{rows} * {cols}"),
                "a size that fits in usize",
            )
        })?;
        check_finite("coupling", coupling)?;
        check_finite("field", field)?;
        let mut h = SpinHamiltonian::new(n_spins);
        for r in 0..rows {
            for c in 0..cols {
                let site = r * cols + c;
                let right = r * cols + (c + 1) % cols;
                let down = ((r + 1) % rows) * cols + c;
                h.add_term(&[site, right], coupling)?;
                h.add_term(&[site, down], coupling)?;
            }
        }
        if field != 0.0 {
            for site in 0..n_spins {
                h.add_term(&[site], field)?;
            }
        }
        Ok(h)
    }

    /// Number of spins N.
    pub fn n_spins(&self) -> usize {
        self.n_spins
    }

    /// The constant offset of eq. (H).
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// Adds `constant` to the offset of eq. (H). Errors if it is not finite.
    pub fn add_offset(&mut self, constant: f64) -> Result<()> {
        check_finite("offset", constant)?;
        self.offset += constant;
        Ok(())
    }

    /// Adds the term −K_S Π_{i∈S} s_i of eq. (H), with S = `spins` and
    /// K_S = `coupling`.
    ///
    /// The index set may be given in any order; it is stored sorted. If S is
    /// already present the couplings add (K_S ← K_S + `coupling`), so adding
    /// is additive: H with both terms = H₁ + H₂. The empty set is the
    /// constant term: −K_∅ goes into the offset.
    ///
    /// Errors if an index is ≥ `n_spins`, an index is repeated (s_i² = 1
    /// would silently lower the order; write the reduced term instead), or
    /// `coupling` is not finite. On error the Hamiltonian is unchanged.
    pub fn add_term(&mut self, spins: &[usize], coupling: f64) -> Result<()> {
        check_finite("coupling", coupling)?;
        let mut set = spins.to_vec();
        set.sort_unstable();
        if let Some(&bad) = set.iter().find(|&&i| i >= self.n_spins) {
            return Err(Error::invalid(
                "spin index",
                bad,
                format!("an index below n_spins = {} (term {spins:?})", self.n_spins),
            ));
        }
        if let Some(pair) = set.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::invalid(
                "spin index",
                pair[0],
                format!(
                    "distinct indices within a term; index {} is repeated in term {spins:?}",
                    pair[0]
                ),
            ));
        }
        if set.is_empty() {
            self.offset -= coupling;
            return Ok(());
        }
        match self.position.get(&set) {
            Some(&t) => self.terms[t].coupling += coupling,
            None => {
                let t = self.terms.len();
                for &i in &set {
                    self.terms_of_spin[i].push(t);
                }
                self.position.insert(set.clone(), t);
                self.terms.push(Term {
                    spins: set,
                    coupling,
                });
            }
        }
        Ok(())
    }

    /// The stored terms, in insertion order (merged duplicates keep the
    /// position of their first insertion).
    pub fn terms(&self) -> impl ExactSizeIterator<Item = &Term> + '_ {
        self.terms.iter()
    }

    /// Number of stored terms.
    pub fn n_terms(&self) -> usize {
        self.terms.len()
    }

    /// The terms that contain spin `i`.
    ///
    /// # Panics
    /// If `i >= n_spins`.
    pub fn terms_containing(&self, i: usize) -> impl ExactSizeIterator<Item = &Term> + '_ {
        self.terms_of_spin[i].iter().map(move |&t| &self.terms[t])
    }

    /// The order of the Hamiltonian: the size of its largest stored term
    /// (0 when there are none).
    pub fn order(&self) -> usize {
        self.terms.iter().map(|t| t.spins.len()).max().unwrap_or(0)
    }

    /// True when no stored term has an odd number of spins, so that
    /// H(−s) = H(s).
    pub fn is_even(&self) -> bool {
        self.terms.iter().all(|t| t.spins.len() % 2 == 0)
    }

    /// The energy H(s) = offset − Σ_S K_S Π_{i∈S} s_i of eq. (H), in
    /// O(Σ_S |S|).
    ///
    /// `spins` holds s_i ∈ {−1, +1}; other values enter the products as
    /// numbers.
    ///
    /// # Panics
    /// If `spins.len() != n_spins`.
    pub fn energy(&self, spins: &[i8]) -> f64 {
        self.check_len(spins);
        let mut sum = 0.0;
        for term in &self.terms {
            sum += term.coupling * product(spins, &term.spins);
        }
        self.offset - sum
    }

    /// ΔH = H(s with s_i flipped) − H(s) = 2 Σ_{S∋i} K_S Π_{j∈S} s_j, from the
    /// terms containing spin i only (every such product changes sign).
    ///
    /// # Panics
    /// If `spins.len() != n_spins` or `i >= n_spins`.
    pub fn flip_delta(&self, spins: &[i8], i: usize) -> f64 {
        self.check_len(spins);
        let mut sum = 0.0;
        for &t in &self.terms_of_spin[i] {
            let term = &self.terms[t];
            sum += term.coupling * product(spins, &term.spins);
        }
        2.0 * sum
    }

    /// The Hamiltonian as JSON (see the type's docs for the layout).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::invalid("hamiltonian", e, "a Hamiltonian with finite couplings"))
    }

    /// Reads a Hamiltonian written by [`to_json`](Self::to_json), validating
    /// every term.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| {
            Error::invalid(
                "hamiltonian JSON",
                e,
                "{\"n_spins\": N, \"offset\": c, \"terms\": [...]}",
            )
        })
    }

    fn check_len(&self, spins: &[i8]) {
        assert_eq!(
            spins.len(),
            self.n_spins,
            "spin configuration has {} entries but the Hamiltonian has {} spins",
            spins.len(),
            self.n_spins
        );
    }

    /// Term positions containing spin `i` (for the enumeration tables).
    pub(super) fn term_positions_of(&self, i: usize) -> &[usize] {
        &self.terms_of_spin[i]
    }

    /// The stored terms as a slice (for the enumeration tables).
    pub(super) fn term_slice(&self) -> &[Term] {
        &self.terms
    }
}

/// Π_{i∈set} s_i.
#[inline]
fn product(spins: &[i8], set: &[usize]) -> f64 {
    let mut p = 1.0;
    for &i in set {
        p *= f64::from(spins[i]);
    }
    p
}

pub(super) fn check_finite(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(name, value, "a finite number"))
    }
}
