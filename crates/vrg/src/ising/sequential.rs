//! Plain byte-per-spin Metropolis.
//!
//! The reference implementation the multi-spin-coded sampler is benchmarked
//! against (typewriter order), and the Metropolis sampler for odd L (whose
//! torus has no checkerboard decomposition) and for L = 2 (random order).
//! A site is flipped with probability min(1, e^{−βΔE}),
//! ΔE = 2s(JΣ_nb s_j + h), looked up in a table over (s, Σ_nb s_j).
//!
//! Why random order on tiny lattices: Metropolis flips every ΔE = 0 move
//! deterministically, and with a fixed visiting order the sweep-to-sweep
//! chain can split into closed classes. On the 2×2 and 3×3 tori this
//! happens (measured energies off by tens of error bars); choosing each of
//! the N visits' sites uniformly at random makes every single flip possible
//! in every step, so the chain is irreducible at any T > 0.
//!
//! # References
//! - N. Metropolis et al., J. Chem. Phys. 21, 1087 (1953).
//! - M. E. J. Newman and G. T. Barkema, "Monte Carlo Methods in Statistical
//!   Physics" (Oxford, 1999), ch. 3.

use super::model::{bond_and_spin_sums, neighbour_sum, IsingModel};
use crate::rng::Rng;
use crate::{Error, Result};
use rand::RngCore;

/// The order sites are visited in during a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteOrder {
    /// Row-major, every site once per sweep.
    Typewriter,
    /// N sites drawn uniformly at random (with replacement) per sweep.
    Random,
}

/// A byte-per-spin configuration updated by single-spin Metropolis sweeps.
#[derive(Clone, Debug)]
pub struct SequentialMetropolis {
    model: IsingModel,
    order: SiteOrder,
    spins: Vec<i8>,
    /// Acceptance thresholds (64-bit fixed point) indexed by
    /// [(s+1)/2][(Σ_nb + 4)/2]; `u64::MAX` means always.
    thresholds: [[u64; 5]; 2],
    rng: Rng,
}

impl SequentialMetropolis {
    /// A sampler started from `spins` (L×L, row-major, ±1).
    pub fn new(model: IsingModel, spins: &[i8], rng: Rng, order: SiteOrder) -> Result<Self> {
        if spins.len() != model.n_spins() {
            return Err(Error::ShapeMismatch {
                what: "initial configuration".into(),
                expected: format!("{} spins", model.n_spins()),
                found: format!("{}", spins.len()),
            });
        }
        let mut thresholds = [[0u64; 5]; 2];
        for (si, s) in [-1i8, 1].into_iter().enumerate() {
            for (k, sum) in [-4, -2, 0, 2, 4].into_iter().enumerate() {
                let p = (-model.beta() * model.flip_delta(s, sum)).exp();
                thresholds[si][k] = if p >= 1.0 {
                    u64::MAX
                } else {
                    (p * 18446744073709551616.0) as u64
                };
            }
        }
        Ok(SequentialMetropolis {
            model,
            order,
            spins: spins.to_vec(),
            thresholds,
            rng,
        })
    }

    /// The current configuration (L×L, row-major, ±1).
    pub fn spins(&self) -> &[i8] {
        &self.spins
    }

    /// One sweep: N single-site Metropolis updates in the sampler's order.
    pub fn sweep(&mut self) {
        let l = self.model.size;
        match self.order {
            SiteOrder::Typewriter => {
                for row in 0..l {
                    for col in 0..l {
                        self.update(row, col);
                    }
                }
            }
            SiteOrder::Random => {
                let n = (l * l) as u64;
                for _ in 0..n {
                    let site = (((self.rng.next_u64() >> 32) * n) >> 32) as usize;
                    self.update(site / l, site % l);
                }
            }
        }
    }

    #[inline(always)]
    fn update(&mut self, row: usize, col: usize) {
        let l = self.model.size;
        let i = row * l + col;
        let s = self.spins[i];
        let sum = neighbour_sum(&self.spins, l, row, col);
        let t = self.thresholds[((s + 1) / 2) as usize][((sum + 4) / 2) as usize];
        if t == u64::MAX || self.rng.next_u64() < t {
            self.spins[i] = -s;
        }
    }

    /// Bond sum over the 2N bonds and magnetisation.
    pub fn bond_and_spin_sums(&self) -> (i64, i64) {
        bond_and_spin_sums(&self.spins, self.model.size)
    }
}
