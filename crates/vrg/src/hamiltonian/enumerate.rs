//! Exact enumeration of all 2^N states of a [`SpinHamiltonian`].
//!
//! Boltzmann weights are e^{−β H(s)} with an explicit inverse temperature
//! `beta` (β = 1 is the reference text's Z = Σ_v e^{−H(v)}).
//!
//! ## Algorithm
//! The states are split into a fixed number of chunks by fixing the top
//! k spins, where k depends only on N ([`chunk_bits`]). Inside a chunk the
//! remaining N − k spins are visited in binary-reflected Gray-code order:
//! step t flips spin `t.trailing_zeros()`, and the energy is updated by
//! [`SpinHamiltonian::flip_delta`]'s rule, ΔH = 2 Σ_{S∋i} K_S Π_{j∈S} s_j,
//! so each state costs O(terms touching the flipped spin), not O(all
//! terms). The energy is recomputed from scratch every 2^10 steps so that
//! rounding cannot drift.
//!
//! Each chunk accumulates in log space: it keeps a running shift x* (the
//! lowest β H seen so far, reached at energy H*) and sums the weights
//! e^{−(βH − x*)} ≤ 1, together with the moments of H − H*; when a lower
//! x appears, the sums are rescaled. Chunks run in parallel with rayon but
//! are combined sequentially in chunk order (log-sum-exp onto the overall
//! lowest shift), so results are bitwise identical whatever the number of
//! threads.

use rayon::prelude::*;

use super::spin::{check_finite, SpinHamiltonian};
use crate::{Error, Result};

/// The largest N that exact enumeration accepts (2^30 ≈ 10^9 states).
pub const MAX_ENUMERATION_SPINS: usize = 30;

/// Recompute the energy from scratch every 2^RESYNC_BITS Gray-code steps.
const RESYNC_BITS: u32 = 10;

/// Number of top spins fixed per chunk for an N-spin enumeration: at most
/// 8 (256 chunks), and none below 13 spins. Depends only on N, which is
/// what makes the chunked sums independent of the thread count.
pub fn chunk_bits(n_spins: usize) -> usize {
    n_spins.saturating_sub(12).min(8)
}

/// Exact thermodynamics of a [`SpinHamiltonian`] at inverse temperature β,
/// from a sum over all 2^N states.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Enumeration {
    /// ln Z with Z = Σ_s e^{−β H(s)}.
    pub log_z: f64,
    /// −ln Z (the dimensionless free energy βF; equal to the reference
    /// text's F = −ln Z at β = 1).
    pub free_energy: f64,
    /// ⟨H⟩ = Σ_s H(s) e^{−βH(s)} / Z.
    pub mean_energy: f64,
    /// ⟨H²⟩ − ⟨H⟩², computed from moments of H − H* about the energy H* of
    /// the most probable state, which avoids cancellation; the heat
    /// capacity is C = β² times this.
    pub energy_variance: f64,
    /// ⟨s_i⟩ for every spin i.
    pub magnetizations: Vec<f64>,
}

/// Boltzmann averages of M user observables, from
/// [`SpinHamiltonian::enumerate_observables`].
#[derive(Clone, Debug, PartialEq)]
pub struct BoltzmannAverages<const M: usize> {
    /// ln Z with Z = Σ_s e^{−β H(s)}.
    pub log_z: f64,
    /// ⟨O_m⟩ = Σ_s O_m(s) e^{−βH(s)} / Z for each observable m.
    pub averages: [f64; M],
}

/// The exact pair correlation matrix ⟨s_i s_j⟩, from
/// [`SpinHamiltonian::pair_correlations`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PairCorrelations {
    /// N.
    pub n_spins: usize,
    /// ln Z with Z = Σ_s e^{−β H(s)}.
    pub log_z: f64,
    /// ⟨s_i s_j⟩ in row-major N × N order (symmetric, unit diagonal).
    pub matrix: Vec<f64>,
}

impl PairCorrelations {
    /// ⟨s_i s_j⟩.
    ///
    /// # Panics
    /// If `i` or `j` is ≥ N.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.n_spins && j < self.n_spins,
            "spin index out of range"
        );
        self.matrix[i * self.n_spins + j]
    }
}

impl SpinHamiltonian {
    /// Exact ln Z, −ln Z, ⟨H⟩, Var H and ⟨s_i⟩ at inverse temperature
    /// `beta`, with Boltzmann weights e^{−β H(s)} over all 2^N states (see
    /// the module docs for the Gray-code, chunked, log-space algorithm).
    ///
    /// Cost: 2^N · (O(terms touching a spin) + O(N) for the
    /// magnetizations). About 0.2 s for 24 spins with nearest-neighbour
    /// couplings on two cores (release build).
    ///
    /// Errors with [`Error::TooManySpins`] if N > [`MAX_ENUMERATION_SPINS`],
    /// and if `beta` is not finite.
    pub fn enumerate(&self, beta: f64) -> Result<Enumeration> {
        let n = self.n_spins();
        let totals = enumerate_sums(self, beta, n, |spins, _energy, weight, sums| {
            for (sum, &s) in sums.iter_mut().zip(spins) {
                *sum += weight * f64::from(s);
            }
        })?;
        Ok(Enumeration {
            log_z: totals.log_z,
            free_energy: -totals.log_z,
            mean_energy: totals.mean_energy,
            energy_variance: totals.energy_variance,
            magnetizations: totals.averages,
        })
    }

    /// Exact Boltzmann averages ⟨O_m⟩ = Σ_s O_m(s, H(s)) e^{−βH(s)} / Z of M
    /// arbitrary per-state observables.
    ///
    /// `observe(spins, energy)` receives each state's spins (s_i ∈ {−1,+1})
    /// and its energy H(s), and returns the M observable values. For the
    /// Ising model, with m = Σ_i s_i / N and e = H / N,
    /// `|s, h| { let m = s.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    /// let e = h / n as f64; [m.abs(), m * m, m.powi(4), e, e * e] }`
    /// gives ⟨|m|⟩, ⟨m²⟩, ⟨m⁴⟩, ⟨e⟩, ⟨e²⟩.
    ///
    /// `observe` is called from several threads, once per state, in an
    /// order that is fixed for a given N; the result is bitwise
    /// deterministic. Cost: 2^N calls plus the Gray-code energy updates.
    ///
    /// Errors as [`enumerate`](Self::enumerate).
    pub fn enumerate_observables<const M: usize, F>(
        &self,
        beta: f64,
        observe: F,
    ) -> Result<BoltzmannAverages<M>>
    where
        F: Fn(&[i8], f64) -> [f64; M] + Sync,
    {
        let totals = enumerate_sums(self, beta, M, |spins, energy, weight, sums| {
            let values = observe(spins, energy);
            for (sum, value) in sums.iter_mut().zip(values) {
                *sum += weight * value;
            }
        })?;
        let mut averages = [0.0; M];
        averages.copy_from_slice(&totals.averages);
        Ok(BoltzmannAverages {
            log_z: totals.log_z,
            averages,
        })
    }

    /// Exact pair correlations ⟨s_i s_j⟩ for all i, j.
    ///
    /// Cost: O(N²/2) per state on top of the energy updates, i.e.
    /// 2^N · N(N−1)/2 multiply-adds — roughly 10× [`enumerate`](Self::enumerate)
    /// at N = 24. Errors as [`enumerate`](Self::enumerate).
    pub fn pair_correlations(&self, beta: f64) -> Result<PairCorrelations> {
        let n = self.n_spins();
        let n_pairs = n * n.saturating_sub(1) / 2;
        let totals = enumerate_sums(self, beta, n_pairs, |spins, _energy, weight, sums| {
            let mut k = 0;
            for i in 0..spins.len() {
                let ws = weight * f64::from(spins[i]);
                for &sj in &spins[i + 1..] {
                    sums[k] += ws * f64::from(sj);
                    k += 1;
                }
            }
        })?;
        let mut matrix = vec![0.0; n * n];
        let mut k = 0;
        for i in 0..n {
            matrix[i * n + i] = 1.0;
            for j in i + 1..n {
                matrix[i * n + j] = totals.averages[k];
                matrix[j * n + i] = totals.averages[k];
                k += 1;
            }
        }
        Ok(PairCorrelations {
            n_spins: n,
            log_z: totals.log_z,
            matrix,
        })
    }
}

/// ln Z, ⟨H⟩, Var H and the averages of the user sums.
struct Totals {
    log_z: f64,
    mean_energy: f64,
    energy_variance: f64,
    averages: Vec<f64>,
}

/// Weighted sums of one chunk (or of all chunks), relative to a shift:
/// `s0 = Σ e^{−(βH − shift)}`, `s1 = Σ w (H − h_ref)`, `s2 = Σ w (H − h_ref)²`,
/// `sums[m] = Σ w O_m`, where `shift = β h_ref`.
struct ChunkSums {
    shift: f64,
    h_ref: f64,
    s0: f64,
    s1: f64,
    s2: f64,
    sums: Vec<f64>,
}

impl ChunkSums {
    /// Re-expresses the sums relative to a new, lower-or-equal `shift`
    /// reached at energy `h_ref`: weights scale by e^{shift_new − shift_old}
    /// and the moments of H − h_ref shift by d = h_ref_old − h_ref_new:
    /// Σw(H−h')² = Σw(H−h)² + 2dΣw(H−h) + d²Σw.
    fn rebase(&mut self, shift: f64, h_ref: f64) {
        let factor = (shift - self.shift).exp();
        let d = self.h_ref - h_ref;
        self.s2 = (self.s2 + 2.0 * d * self.s1 + d * d * self.s0) * factor;
        self.s1 = (self.s1 + d * self.s0) * factor;
        self.s0 *= factor;
        for sum in &mut self.sums {
            *sum *= factor;
        }
        self.shift = shift;
        self.h_ref = h_ref;
    }
}

/// Per-spin flip tables: for spin i, the terms containing it as
/// (K_S, S \ {i}), flattened.
struct FlipTable {
    entry_start: Vec<usize>,
    coupling: Vec<f64>,
    others_start: Vec<usize>,
    others: Vec<usize>,
}

impl FlipTable {
    fn new(h: &SpinHamiltonian) -> Self {
        let terms = h.term_slice();
        let mut table = FlipTable {
            entry_start: vec![0],
            coupling: Vec::new(),
            others_start: vec![0],
            others: Vec::new(),
        };
        for i in 0..h.n_spins() {
            for &t in h.term_positions_of(i) {
                let term = &terms[t];
                table.coupling.push(term.coupling);
                table
                    .others
                    .extend(term.spins.iter().copied().filter(|&j| j != i));
                table.others_start.push(table.others.len());
            }
            table.entry_start.push(table.coupling.len());
        }
        table
    }

    /// ΔH of flipping spin i: 2 s_i Σ_{S∋i} K_S Π_{j∈S∖i} s_j.
    #[inline]
    fn flip_delta(&self, spins: &[i8], i: usize) -> f64 {
        let mut sum = 0.0;
        for e in self.entry_start[i]..self.entry_start[i + 1] {
            let mut p = self.coupling[e];
            for &j in &self.others[self.others_start[e]..self.others_start[e + 1]] {
                p *= f64::from(spins[j]);
            }
            sum += p;
        }
        2.0 * f64::from(spins[i]) * sum
    }
}

/// The shared kernel: visits all 2^N states and accumulates
/// `accumulate(spins, energy, weight, sums)` with weights relative to a
/// running shift (see the module docs).
fn enumerate_sums<F>(h: &SpinHamiltonian, beta: f64, n_sums: usize, accumulate: F) -> Result<Totals>
where
    F: Fn(&[i8], f64, f64, &mut [f64]) + Sync,
{
    let n = h.n_spins();
    if n > MAX_ENUMERATION_SPINS {
        return Err(Error::TooManySpins {
            n_spins: n,
            max_spins: MAX_ENUMERATION_SPINS,
        });
    }
    check_finite("beta", beta)?;
    let table = FlipTable::new(h);
    let k = chunk_bits(n);
    let chunks: Vec<ChunkSums> = (0..1usize << k)
        .into_par_iter()
        .map(|chunk| run_chunk(h, &table, beta, k, chunk, n_sums, &accumulate))
        .collect();

    // Combine in chunk order onto the lowest shift (first chunk wins ties).
    let mut best = 0;
    for (c, chunk) in chunks.iter().enumerate() {
        if chunk.shift < chunks[best].shift {
            best = c;
        }
    }
    let (shift, h_ref) = (chunks[best].shift, chunks[best].h_ref);
    let mut total = ChunkSums {
        shift,
        h_ref,
        s0: 0.0,
        s1: 0.0,
        s2: 0.0,
        sums: vec![0.0; n_sums],
    };
    for mut chunk in chunks {
        chunk.rebase(shift, h_ref);
        total.s0 += chunk.s0;
        total.s1 += chunk.s1;
        total.s2 += chunk.s2;
        for (t, s) in total.sums.iter_mut().zip(&chunk.sums) {
            *t += s;
        }
    }
    let mean_offset = total.s1 / total.s0;
    Ok(Totals {
        log_z: total.s0.ln() - shift,
        mean_energy: h_ref + mean_offset,
        energy_variance: (total.s2 / total.s0 - mean_offset * mean_offset).max(0.0),
        averages: total.sums.iter().map(|s| s / total.s0).collect(),
    })
}

/// One chunk: the top `k` spins fixed by the bits of `chunk` (bit set ⇔
/// s = −1), the low N − k spins run through their Gray code starting from
/// all +1.
fn run_chunk<F>(
    h: &SpinHamiltonian,
    table: &FlipTable,
    beta: f64,
    k: usize,
    chunk: usize,
    n_sums: usize,
    accumulate: &F,
) -> ChunkSums
where
    F: Fn(&[i8], f64, f64, &mut [f64]),
{
    let n = h.n_spins();
    let low = n - k;
    let mut spins = vec![1i8; n];
    for (j, s) in spins[low..].iter_mut().enumerate() {
        if (chunk >> j) & 1 == 1 {
            *s = -1;
        }
    }
    let mut energy = h.energy(&spins);
    let mut acc = ChunkSums {
        shift: beta * energy,
        h_ref: energy,
        s0: 0.0,
        s1: 0.0,
        s2: 0.0,
        sums: vec![0.0; n_sums],
    };
    let resync_mask = (1u64 << RESYNC_BITS) - 1;
    for t in 0..1u64 << low {
        if t > 0 {
            let i = t.trailing_zeros() as usize;
            energy += table.flip_delta(&spins, i);
            spins[i] = -spins[i];
            if t & resync_mask == 0 {
                energy = h.energy(&spins);
            }
        }
        let x = beta * energy;
        if x < acc.shift {
            acc.rebase(x, energy);
        }
        let weight = (acc.shift - x).exp();
        let dh = energy - acc.h_ref;
        let wdh = weight * dh;
        acc.s0 += weight;
        acc.s1 += wdh;
        acc.s2 += wdh * dh;
        accumulate(&spins, energy, weight, &mut acc.sums);
    }
    acc
}
