//! Hopfield networks: Hebbian storage, zero-temperature recall, and the
//! complete list of fixed points (stored, reversed and spurious memories).
//!
//! The network of N spins s_i ∈ {−1, +1} storing p patterns ξ^μ has the
//! Hebbian couplings (Hopfield 1982)
//!
//! J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ  (i ≠ j),   J_ii = 0,          (eq. J)
//!
//! and the energy
//!
//! H(s) = −½ Σ_{i≠j} J_ij s_i s_j = −Σ_{i<j} J_ij s_i s_j,     (eq. E)
//!
//! which is the reference text's H = −Σ B_i v_i − Σ J_ij v_i v_j with B = 0
//! and the pair sum over i < j. The local field is h_i = Σ_j J_ij s_j and
//! flipping spin i changes the energy by ΔH_i = 2 s_i h_i.
//!
//! Internally the couplings are kept as the integers C_ij = N J_ij, so local
//! fields, ties (h_i = 0) and stability are decided exactly.
//!
//! # References
//! - J. J. Hopfield, "Neural networks and physical systems with emergent
//!   collective computational abilities", PNAS 79, 2554 (1982).
//! - D. J. Amit, H. Gutfreund and H. Sompolinsky, "Spin-glass models of
//!   neural networks", Phys. Rev. A 32, 1007 (1985), and "Storing infinite
//!   numbers of patterns in a spin-glass model of neural networks",
//!   PRL 55, 1530 (1985): the symmetric mixture states sign(ξ¹ + ξ² + ξ³)
//!   are spurious minima.

use rayon::prelude::*;
use serde::Serialize;

use super::enumerate::chunk_bits;
use super::spin::SpinHamiltonian;
use crate::rng::Rng;
use crate::{Error, Result};

/// The largest N for which [`Hopfield::fixed_points`] enumerates all states.
pub const MAX_FIXED_POINT_SPINS: usize = 24;

/// The sweep limit used by [`Hopfield::recall`].
pub const DEFAULT_MAX_SWEEPS: usize = 1000;

/// A Hopfield network with Hebbian couplings, eq. (J) of the module docs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hopfield {
    n_spins: usize,
    patterns: Vec<Vec<i8>>,
    /// C_ij = N J_ij = Σ_μ ξ_i^μ ξ_j^μ for i ≠ j, 0 on the diagonal; row-major.
    hebb: Vec<i32>,
}

/// The outcome of [`Hopfield::recall`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recall {
    /// The final state.
    pub state: Vec<i8>,
    /// Sweeps performed, including the final one in which nothing changed.
    pub sweeps: usize,
    /// True if a full sweep changed no spin (the state is a fixed point).
    pub converged: bool,
    /// Overlaps m^μ = (1/N) Σ_i ξ_i^μ s_i of the final state with each
    /// stored pattern.
    pub overlaps: Vec<f64>,
}

/// What a fixed point of the zero-temperature dynamics is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FixedPointClass {
    /// Equal to stored pattern ξ^μ (the first such μ).
    Stored(usize),
    /// Equal to the reversed pattern −ξ^μ (the first such μ), a minimum by
    /// the s → −s symmetry of eq. (E).
    Reversed(usize),
    /// Neither: a spurious memory (mixture or spin-glass state).
    Spurious,
}

/// A state that no single spin flip can lower in energy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPoint {
    /// The state s.
    pub state: Vec<i8>,
    /// Its energy H(s), eq. (E).
    pub energy: f64,
    /// Overlaps m^μ = (1/N) Σ_i ξ_i^μ s_i with every stored pattern.
    pub overlaps: Vec<f64>,
    /// Stored, reversed, or spurious.
    pub class: FixedPointClass,
}

/// The overlap m = (1/N) Σ_i a_i b_i of two states.
///
/// # Panics
/// If the lengths differ.
pub fn overlap(a: &[i8], b: &[i8]) -> f64 {
    assert_eq!(a.len(), b.len(), "overlap of states of different lengths");
    if a.is_empty() {
        return 0.0;
    }
    let dot: i64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| i64::from(x) * i64::from(y))
        .sum();
    dot as f64 / a.len() as f64
}

impl Hopfield {
    /// Stores `patterns` with the Hebbian rule, eq. (J):
    /// J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ for i ≠ j and J_ii = 0.
    ///
    /// Errors if there are no patterns, a pattern is empty, the patterns
    /// have unequal lengths, or an entry is not ±1.
    ///
    /// # References
    /// J. J. Hopfield, PNAS 79, 2554 (1982).
    pub fn from_patterns(patterns: &[Vec<i8>]) -> Result<Self> {
        let first = patterns
            .first()
            .ok_or_else(|| Error::invalid("patterns", "[]", "at least one pattern"))?;
        let n = first.len();
        if n == 0 {
            return Err(Error::invalid(
                "patterns",
                "[[]]",
                "patterns with at least one spin",
            ));
        }
        for (mu, pattern) in patterns.iter().enumerate() {
            if pattern.len() != n {
                return Err(Error::ShapeMismatch {
                    what: format!("pattern {mu}"),
                    expected: format!("{n} spins (the length of pattern 0)"),
                    found: format!("{} spins", pattern.len()),
                });
            }
            check_spins("patterns", pattern, &format!("pattern {mu}"))?;
        }
        if i32::try_from(patterns.len()).is_err() {
            return Err(Error::invalid(
                "patterns",
                patterns.len(),
                "fewer than 2^31 patterns",
            ));
        }
        let mut hebb = vec![0i32; n * n];
        for pattern in patterns {
            for i in 0..n {
                let xi = i32::from(pattern[i]);
                let row = &mut hebb[i * n..(i + 1) * n];
                for (c, &xj) in row.iter_mut().zip(pattern) {
                    *c += xi * i32::from(xj);
                }
            }
        }
        for i in 0..n {
            hebb[i * n + i] = 0;
        }
        Ok(Hopfield {
            n_spins: n,
            patterns: patterns.to_vec(),
            hebb,
        })
    }

    /// Number of spins N.
    pub fn n_spins(&self) -> usize {
        self.n_spins
    }

    /// The stored patterns ξ^μ.
    pub fn patterns(&self) -> &[Vec<i8>] {
        &self.patterns
    }

    /// The coupling J_ij of eq. (J).
    ///
    /// # Panics
    /// If `i` or `j` is ≥ N.
    pub fn coupling(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.n_spins && j < self.n_spins,
            "spin index out of range"
        );
        f64::from(self.hebb[i * self.n_spins + j]) / self.n_spins as f64
    }

    /// All couplings J_ij of eq. (J), row-major N × N (symmetric, zero
    /// diagonal).
    pub fn couplings(&self) -> Vec<f64> {
        let n = self.n_spins as f64;
        self.hebb.iter().map(|&c| f64::from(c) / n).collect()
    }

    /// The network as a [`SpinHamiltonian`]: one pair term with K_ij = J_ij
    /// for every i < j with J_ij ≠ 0, so that its energy is eq. (E),
    /// H = −Σ_{i<j} J_ij s_i s_j = −½ Σ_{i≠j} J_ij s_i s_j.
    pub fn to_hamiltonian(&self) -> SpinHamiltonian {
        let n = self.n_spins;
        let mut h = SpinHamiltonian::new(n);
        for i in 0..n {
            for j in i + 1..n {
                let c = self.hebb[i * n + j];
                if c != 0 {
                    // Indices are distinct and < n, the coupling finite.
                    if let Err(e) = h.add_term(&[i, j], f64::from(c) / n as f64) {
                        unreachable!("valid Hopfield pair term rejected: {e}");
                    }
                }
            }
        }
        h
    }

    /// The energy of eq. (E), H(s) = −Σ_{i<j} J_ij s_i s_j, computed exactly
    /// in integers and divided by N once.
    ///
    /// # Panics
    /// If `spins.len() != N`.
    pub fn energy(&self, spins: &[i8]) -> f64 {
        self.check_len(spins);
        let twice: i64 = (0..self.n_spins)
            .map(|i| i64::from(spins[i]) * self.scaled_field(spins, i))
            .sum();
        -(twice as f64) / (2.0 * self.n_spins as f64)
    }

    /// The local field h_i = Σ_j J_ij s_j (J_ii = 0), so that flipping spin
    /// i changes eq. (E) by ΔH_i = 2 s_i h_i.
    ///
    /// # Panics
    /// If `spins.len() != N` or `i >= N`.
    pub fn local_field(&self, spins: &[i8], i: usize) -> f64 {
        self.check_len(spins);
        self.scaled_field(spins, i) as f64 / self.n_spins as f64
    }

    /// Overlaps m^μ = (1/N) Σ_i ξ_i^μ s_i of `spins` with every pattern.
    ///
    /// # Panics
    /// If `spins.len() != N`.
    pub fn overlaps(&self, spins: &[i8]) -> Vec<f64> {
        self.patterns.iter().map(|p| overlap(p, spins)).collect()
    }

    /// The symmetric mixture state s_i = sign(Σ_{μ∈members} ξ_i^μ) of an odd
    /// number of distinct patterns (Amit, Gutfreund & Sompolinsky 1985).
    ///
    /// Errors if `members` is empty or even-sized (ties), has repeats, or
    /// names a pattern that does not exist.
    ///
    /// # References
    /// D. J. Amit, H. Gutfreund and H. Sompolinsky, PRL 55, 1530 (1985);
    /// Phys. Rev. A 32, 1007 (1985).
    pub fn symmetric_mixture(&self, members: &[usize]) -> Result<Vec<i8>> {
        if members.len() & 1 == 0 {
            return Err(Error::invalid(
                "mixture members",
                format!("{members:?}"),
                "an odd number of pattern indices (an even mixture has ties)",
            ));
        }
        for (k, &mu) in members.iter().enumerate() {
            if mu >= self.patterns.len() {
                return Err(Error::invalid(
                    "mixture members",
                    format!("{members:?}"),
                    format!("pattern indices below {}", self.patterns.len()),
                ));
            }
            if members[..k].contains(&mu) {
                return Err(Error::invalid(
                    "mixture members",
                    format!("{members:?}"),
                    format!("distinct pattern indices; {mu} is repeated"),
                ));
            }
        }
        Ok((0..self.n_spins)
            .map(|i| {
                let sum: i64 = members
                    .iter()
                    .map(|&mu| i64::from(self.patterns[mu][i]))
                    .sum();
                if sum > 0 {
                    1
                } else {
                    -1
                }
            })
            .collect())
    }

    /// Zero-temperature asynchronous recall (Hopfield 1982) with at most
    /// [`DEFAULT_MAX_SWEEPS`] sweeps; see
    /// [`recall_with_max_sweeps`](Self::recall_with_max_sweeps).
    ///
    /// # References
    /// J. J. Hopfield, PNAS 79, 2554 (1982).
    pub fn recall(&self, start: &[i8], rng: &mut Rng) -> Result<Recall> {
        self.recall_with_max_sweeps(start, DEFAULT_MAX_SWEEPS, rng)
    }

    /// Zero-temperature asynchronous dynamics from `start`: each sweep visits
    /// the spins in a fresh random order (Fisher–Yates from `rng`) and sets
    /// s_i ← sign(h_i), keeping s_i when h_i = 0 exactly. Each change lowers
    /// eq. (E) by 2|h_i| > 0, so the dynamics always converges; it stops
    /// after a sweep that changes nothing, or after `max_sweeps` sweeps.
    ///
    /// Errors if `start` has the wrong length or an entry other than ±1, or
    /// if `max_sweeps` is 0.
    ///
    /// # References
    /// J. J. Hopfield, PNAS 79, 2554 (1982).
    pub fn recall_with_max_sweeps(
        &self,
        start: &[i8],
        max_sweeps: usize,
        rng: &mut Rng,
    ) -> Result<Recall> {
        if start.len() != self.n_spins {
            return Err(Error::ShapeMismatch {
                what: "recall start state".into(),
                expected: format!("{} spins", self.n_spins),
                found: format!("{} spins", start.len()),
            });
        }
        check_spins("start", start, "start state")?;
        if max_sweeps == 0 {
            return Err(Error::invalid("max_sweeps", 0, "at least 1"));
        }
        let mut state = start.to_vec();
        let mut order: Vec<usize> = (0..self.n_spins).collect();
        let mut sweeps = 0;
        let mut converged = false;
        while sweeps < max_sweeps {
            sweeps += 1;
            // Fisher–Yates with unbiased draws: the permutation depends only
            // on the stream.
            crate::rng::shuffle(&mut order, |bound| {
                crate::rng::index_unbiased(rng, bound as u64) as usize
            });
            let mut changed = false;
            for &i in &order {
                let field = self.scaled_field(&state, i);
                let new = match field.signum() {
                    1 => 1,
                    -1 => -1,
                    _ => state[i],
                };
                if new != state[i] {
                    state[i] = new;
                    changed = true;
                }
            }
            if !changed {
                converged = true;
                break;
            }
        }
        let overlaps = self.overlaps(&state);
        Ok(Recall {
            state,
            sweeps,
            converged,
            overlaps,
        })
    }

    /// Every fixed point of the zero-temperature dynamics: the states with
    /// s_i h_i ≥ 0 for all i, i.e. no single flip lowers eq. (E)
    /// (ΔH_i = 2 s_i h_i ≥ 0; with exact ties, h_i = 0, both a state and its
    /// flip are listed). Each is classified as [`FixedPointClass::Stored`],
    /// [`FixedPointClass::Reversed`] or [`FixedPointClass::Spurious`].
    ///
    /// All 2^N states are visited in Gray-code order in fixed chunks (run
    /// with rayon), updating the integer local fields in O(N) per flip. The
    /// result is sorted by energy, then by state (as the binary number with
    /// bit i set where s_i = −1), so it is deterministic.
    ///
    /// Errors with [`Error::TooManySpins`] if N > [`MAX_FIXED_POINT_SPINS`].
    ///
    /// # References
    /// J. J. Hopfield, PNAS 79, 2554 (1982); D. J. Amit, H. Gutfreund and
    /// H. Sompolinsky, PRL 55, 1530 (1985).
    pub fn fixed_points(&self) -> Result<Vec<FixedPoint>> {
        let n = self.n_spins;
        if n > MAX_FIXED_POINT_SPINS {
            return Err(Error::TooManySpins {
                n_spins: n,
                max_spins: MAX_FIXED_POINT_SPINS,
            });
        }
        let k = chunk_bits(n);
        let found: Vec<Vec<u32>> = (0..1usize << k)
            .into_par_iter()
            .map(|chunk| self.stable_states_in_chunk(k, chunk))
            .collect();
        let mut points: Vec<(i64, u32)> = found
            .into_iter()
            .flatten()
            .map(|mask| {
                let state = state_of_mask(mask, n);
                let twice_scaled: i64 = (0..n)
                    .map(|i| i64::from(state[i]) * self.scaled_field(&state, i))
                    .sum();
                (-twice_scaled, mask)
            })
            .collect();
        points.sort_unstable();
        Ok(points
            .into_iter()
            .map(|(twice_scaled_energy, mask)| {
                let state = state_of_mask(mask, n);
                let overlaps = self.overlaps(&state);
                let class = self.classify(&state);
                FixedPoint {
                    state,
                    energy: twice_scaled_energy as f64 / (2.0 * n as f64),
                    overlaps,
                    class,
                }
            })
            .collect())
    }

    /// Stored(μ) if s = ξ^μ, Reversed(μ) if s = −ξ^μ, else Spurious.
    pub fn classify(&self, spins: &[i8]) -> FixedPointClass {
        for (mu, p) in self.patterns.iter().enumerate() {
            if p.as_slice() == spins {
                return FixedPointClass::Stored(mu);
            }
        }
        for (mu, p) in self.patterns.iter().enumerate() {
            if p.len() == spins.len() && p.iter().zip(spins).all(|(&a, &b)| a == -b) {
                return FixedPointClass::Reversed(mu);
            }
        }
        FixedPointClass::Spurious
    }

    /// Stable states (as bitmasks, bit i set ⇔ s_i = −1) of one chunk: top
    /// `k` spins fixed by `chunk`, the rest in Gray-code order from all +1.
    fn stable_states_in_chunk(&self, k: usize, chunk: usize) -> Vec<u32> {
        let n = self.n_spins;
        let low = n - k;
        let mut spins = vec![1i8; n];
        let mut mask = 0u32;
        for j in 0..k {
            if (chunk >> j) & 1 == 1 {
                spins[low + j] = -1;
                mask |= 1 << (low + j);
            }
        }
        // N h_i = Σ_j C_ij s_j.
        let mut fields: Vec<i64> = (0..n).map(|i| self.scaled_field(&spins, i)).collect();
        let mut stable = Vec::new();
        for t in 0..1u64 << low {
            if t > 0 {
                let f = t.trailing_zeros() as usize;
                spins[f] = -spins[f];
                mask ^= 1 << f;
                let twice_new = 2 * i64::from(spins[f]);
                let column = &self.hebb[f * n..(f + 1) * n];
                for (h, &c) in fields.iter_mut().zip(column) {
                    *h += twice_new * i64::from(c);
                }
            }
            if spins
                .iter()
                .zip(&fields)
                .all(|(&s, &h)| i64::from(s) * h >= 0)
            {
                stable.push(mask);
            }
        }
        stable
    }

    /// N h_i = Σ_j C_ij s_j, exact.
    fn scaled_field(&self, spins: &[i8], i: usize) -> i64 {
        let row = &self.hebb[i * self.n_spins..(i + 1) * self.n_spins];
        row.iter()
            .zip(spins)
            .map(|(&c, &s)| i64::from(c) * i64::from(s))
            .sum()
    }

    fn check_len(&self, spins: &[i8]) {
        assert_eq!(
            spins.len(),
            self.n_spins,
            "state has {} entries but the network has {} spins",
            spins.len(),
            self.n_spins
        );
    }
}

/// Errors unless every entry is ±1.
fn check_spins(name: &'static str, spins: &[i8], what: &str) -> Result<()> {
    match spins.iter().position(|&s| s != 1 && s != -1) {
        None => Ok(()),
        Some(i) => Err(Error::invalid(
            name,
            format!("{} at spin {i} of {what}", spins[i]),
            "every entry −1 or +1",
        )),
    }
}

fn state_of_mask(mask: u32, n: usize) -> Vec<i8> {
    (0..n)
        .map(|i| if (mask >> i) & 1 == 1 { -1 } else { 1 })
        .collect()
}
