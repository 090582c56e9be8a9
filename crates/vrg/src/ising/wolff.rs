//! Wolff single-cluster updates.
//!
//! A seed site is chosen uniformly; the cluster grows over aligned
//! neighbours, each bond added with probability p_add = 1 − e^{−2βJ}, and the
//! whole cluster is flipped. Detailed balance holds exactly at zero field
//! (J > 0), and critical slowing down is nearly removed (z ≈ 0.25 in 2D).
//!
//! One *sweep* here is a fixed number n_c of cluster updates chosen so that
//! L² spins flip on average: n_c = round(N / ⟨|C|⟩), with the mean cluster
//! size ⟨|C|⟩ measured during burn-in ([`Wolff::freeze_sweep_length`]).
//! Until frozen, a sweep runs clusters until N spins have flipped. That
//! state-dependent stopping rule is fine for burn-in but would bias
//! measurements (the sweep would end preferentially right after a large
//! cluster), so measured sweeps always use the fixed n_c.
//!
//! # References
//! - U. Wolff, "Collective Monte Carlo updating for spin systems",
//!   Phys. Rev. Lett. 62, 361 (1989).
//! - R. H. Swendsen and J.-S. Wang, Phys. Rev. Lett. 58, 86 (1987).

use super::model::{bond_and_spin_sums, IsingModel};
use crate::rng::Rng;
use crate::{Error, Result};
use rand::RngCore;

/// A byte-per-spin configuration updated by Wolff clusters.
#[derive(Clone, Debug)]
pub struct Wolff {
    model: IsingModel,
    spins: Vec<i8>,
    /// p_add as a 64-bit threshold: add ⇔ u64 draw < threshold.
    add_threshold: u64,
    rng: Rng,
    /// The cluster's frontier, reused across clusters: entries are sites
    /// when L is a power of two, else site << 32 | column; N + 1 slots (pushes are branch-free, so one
    /// slot past the last live entry is written).
    stack: Vec<u64>,
    /// Spins flipped beyond the last whole sweep (carried over), while the
    /// sweep length is not yet frozen.
    credit: u64,
    /// Cluster updates per sweep once frozen (0 until then).
    clusters_per_sweep: usize,
    /// Total spins flipped and clusters built, for diagnostics.
    flipped_total: u64,
    clusters_total: u64,
}

/// Checks that Wolff's cluster rule samples `model`'s Boltzmann
/// distribution: the bond probability p_add = 1 − e^{−2βJ} satisfies
/// detailed balance only at zero field (h = 0) and for a ferromagnetic
/// coupling (J > 0) (Wolff 1989). Errors name the offending parameter.
///
/// # References
/// - U. Wolff, "Collective Monte Carlo updating for spin systems",
///   Phys. Rev. Lett. 62, 361 (1989).
pub fn check_preconditions(model: &IsingModel) -> Result<()> {
    if model.field != 0.0 {
        return Err(Error::invalid(
            "field",
            model.field,
            "h = 0 for Wolff cluster updates (use metropolis)",
        ));
    }
    if model.coupling <= 0.0 {
        return Err(Error::invalid(
            "coupling",
            model.coupling,
            "a ferromagnetic J > 0 for Wolff cluster updates (use metropolis)",
        ));
    }
    Ok(())
}

impl Wolff {
    /// A sampler started from `spins` (L×L, row-major, ±1). Wolff's cluster
    /// rule needs h = 0 and J > 0 ([`check_preconditions`]).
    pub fn new(model: IsingModel, spins: &[i8], rng: Rng) -> Result<Self> {
        check_preconditions(&model)?;
        if spins.len() != model.n_spins() {
            return Err(Error::ShapeMismatch {
                what: "initial configuration".into(),
                expected: format!("{} spins", model.n_spins()),
                found: format!("{}", spins.len()),
            });
        }
        let p_add = -(-2.0 * model.beta() * model.coupling).exp_m1();
        let add_threshold = if p_add >= 1.0 {
            u64::MAX
        } else {
            (p_add * 18446744073709551616.0) as u64
        };
        Ok(Wolff {
            model,
            spins: spins.to_vec(),
            add_threshold,
            rng,
            stack: vec![0; model.n_spins() + 1],
            credit: 0,
            clusters_per_sweep: 0,
            flipped_total: 0,
            clusters_total: 0,
        })
    }

    /// The current configuration (L×L, row-major, ±1).
    pub fn spins(&self) -> &[i8] {
        &self.spins
    }

    /// Builds and flips one cluster; returns its size.
    ///
    /// Each popped site draws two 64-bit words, four 32-bit uniforms, one
    /// per neighbour: a bond to an aligned neighbour is added when
    /// u < p_add, compared to the 64-bit threshold exactly (the high 32
    /// bits first; only on a tie, probability 2⁻³², a further 32 bits).
    /// When L is a power of two, neighbours and columns are bit masks of the
    /// site index; otherwise the column is kept beside each site on the
    /// stack (no division). The spins themselves mark the cluster (a site
    /// joins by flipping), growth is depth first (the last pushed site is
    /// popped next, a neighbour of the site just visited, so accesses stay
    /// local on large lattices), and pushes are branch-free.
    pub fn cluster_update(&mut self) -> usize {
        let l = self.model.size;
        let n = l * l;
        // Uniform seed site without modulo bias worth mentioning (n ≤ 2^32).
        let seed = (((self.rng.next_u64() >> 32) * n as u64) >> 32) as usize;
        let orientation = self.spins[seed];
        self.spins[seed] = -orientation;
        self.grow(seed, orientation, l.is_power_of_two())
    }

    /// Grows and flips the cluster of `seed` (already flipped from
    /// `orientation`), with the power-of-two neighbour arithmetic or the
    /// general one (the same chain either way); returns its size.
    fn grow(&mut self, seed: usize, orientation: i8, power_of_two: bool) -> usize {
        let l = self.model.size;
        let n = l * l;
        let grow = Grow {
            l,
            n,
            orientation,
            high: (self.add_threshold >> 32) as u32,
            low: self.add_threshold as u32,
        };
        let size = if power_of_two {
            grow.cluster::<true>(seed, &mut self.spins, &mut self.stack, &mut self.rng)
        } else {
            grow.cluster::<false>(seed, &mut self.spins, &mut self.stack, &mut self.rng)
        };
        self.flipped_total += size as u64;
        self.clusters_total += 1;
        size
    }

    /// One sweep: the frozen number of cluster updates, or, before
    /// [`Wolff::freeze_sweep_length`], clusters until N spins have flipped
    /// (carrying the excess over).
    pub fn sweep(&mut self) {
        if self.clusters_per_sweep > 0 {
            for _ in 0..self.clusters_per_sweep {
                self.cluster_update();
            }
            return;
        }
        let n = self.model.n_spins() as u64;
        while self.credit < n {
            self.credit += self.cluster_update() as u64;
        }
        self.credit -= n;
    }

    /// Fixes the sweep length at n_c = max(1, round(N / ⟨|C|⟩)) cluster
    /// updates, from the clusters built so far (at least 100 are built first
    /// if fewer exist). Call at the end of burn-in, before measuring.
    pub fn freeze_sweep_length(&mut self) {
        while self.clusters_total < 100 {
            self.cluster_update();
        }
        let n = self.model.n_spins() as f64;
        self.clusters_per_sweep = ((n / self.mean_cluster_size()).round() as usize).max(1);
    }

    /// Cluster updates per sweep (0 until frozen).
    pub fn clusters_per_sweep(&self) -> usize {
        self.clusters_per_sweep
    }

    /// Mean cluster size so far (⟨|C|⟩ = χ/β at h = 0 above T_c).
    pub fn mean_cluster_size(&self) -> f64 {
        self.flipped_total as f64 / self.clusters_total.max(1) as f64
    }

    /// Bond sum over the 2N bonds and magnetisation.
    pub fn bond_and_spin_sums(&self) -> (i64, i64) {
        bond_and_spin_sums(&self.spins, self.model.size)
    }
}

/// What growing one cluster needs besides the lattice, stack and stream.
struct Grow {
    l: usize,
    n: usize,
    /// The cluster's original orientation.
    orientation: i8,
    /// p_add's threshold, high and low 32 bits.
    high: u32,
    low: u32,
}

impl Grow {
    /// Grows the cluster from `seed` (already flipped) depth first; returns
    /// its size. `POW2`: L is a power of two, so neighbours and columns come
    /// from bit masks and stack entries are plain sites; otherwise entries
    /// carry the column (site << 32 | column), so no division is needed.
    #[inline(always)]
    fn cluster<const POW2: bool>(
        &self,
        seed: usize,
        spins: &mut [i8],
        stack: &mut [u64],
        rng: &mut Rng,
    ) -> usize {
        stack[0] = self.entry::<POW2>(seed, seed % self.l);
        let (mut top, mut size) = (1, 1);
        while top > 0 {
            top -= 1;
            let popped = stack[top];
            let added = self.visit::<POW2>(popped, spins, &mut stack[top..], rng);
            top += added;
            size += added;
        }
        size
    }

    #[inline(always)]
    fn entry<const POW2: bool>(&self, site: usize, col: usize) -> u64 {
        if POW2 {
            site as u64
        } else {
            ((site as u64) << 32) | col as u64
        }
    }

    /// Tries the bonds from the popped site `popped` to its four
    /// neighbours: draws two 64-bit words (four 32-bit uniforms), flips the
    /// aligned neighbours whose bond is added and pushes them onto `free`
    /// (the stack from its top on). Returns how many were pushed.
    #[inline(always)]
    fn visit<const POW2: bool>(
        &self,
        popped: u64,
        spins: &mut [i8],
        free: &mut [u64],
        rng: &mut Rng,
    ) -> usize {
        let (l, n, orientation) = (self.l, self.n, self.orientation);
        let neighbours = if POW2 {
            let site = popped as usize;
            let (row_mask, col_mask) = (n - 1, l - 1);
            let row_start = site & !col_mask;
            [
                (site.wrapping_sub(l) & row_mask, 0),
                ((site + l) & row_mask, 0),
                (row_start | (site.wrapping_sub(1) & col_mask), 0),
                (row_start | ((site + 1) & col_mask), 0),
            ]
        } else {
            let (site, col) = ((popped >> 32) as usize, (popped as u32) as usize);
            let up = if site >= l { site - l } else { site + n - l };
            let down = if site + l < n { site + l } else { site + l - n };
            let (left, left_col) = if col == 0 {
                (site + l - 1, l - 1)
            } else {
                (site - 1, col - 1)
            };
            let (right, right_col) = if col + 1 == l {
                (site + 1 - l, 0)
            } else {
                (site + 1, col + 1)
            };
            [(up, col), (down, col), (left, left_col), (right, right_col)]
        };
        let (r1, r2) = (rng.next_u64(), rng.next_u64());
        let uniforms = [r1 as u32, (r1 >> 32) as u32, r2 as u32, (r2 >> 32) as u32];
        let mut pushed = 0;
        for ((nb, nb_col), u) in neighbours.into_iter().zip(uniforms) {
            let s = spins[nb];
            let mut bond = u < self.high;
            if u == self.high {
                bond = (rng.next_u64() as u32) < self.low;
            }
            // Aligned with the cluster's original orientation (so not yet
            // flipped) and bonded.
            let add = (s == orientation) & bond;
            spins[nb] = if add { -orientation } else { s };
            free[pushed] = self.entry::<POW2>(nb, nb_col);
            pushed += add as usize;
        }
        pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The power-of-two neighbour arithmetic gives the same clusters, in
    /// the same order, as the general one (periodic wrap in both
    /// directions included).
    #[test]
    fn power_of_two_path_equals_general_path() {
        for (l, t) in [
            (2, 2.0),
            (4, 2.0),
            (8, 2.269),
            (64, 2.269),
            (64, 1.5),
            (16, 4.0),
        ] {
            let model = IsingModel::new(l, 1.0, 0.0, t).unwrap();
            let mut r = crate::rng::root(l as u64);
            let spins: Vec<i8> = (0..l * l)
                .map(|_| if r.next_u64() & 1 == 1 { 1 } else { -1 })
                .collect();
            let mut fast = Wolff::new(model, &spins, crate::rng::root(3)).unwrap();
            let mut general = fast.clone();
            let mut total = 0;
            for _ in 0..200 {
                let seed = (fast.rng.next_u64() % (l * l) as u64) as usize;
                general.rng.next_u64();
                let orientation = fast.spins[seed];
                fast.spins[seed] = -orientation;
                general.spins[seed] = -orientation;
                let a = fast.grow(seed, orientation, true);
                let b = general.grow(seed, orientation, false);
                assert_eq!(a, b, "L = {l}: cluster sizes");
                assert_eq!(fast.spins, general.spins, "L = {l}");
                total += a;
            }
            assert!(total > 200, "L = {l}: clusters grew beyond their seeds");
        }
    }

    #[test]
    fn preconditions_accept_zero_field_ferromagnet_only() {
        let ok = IsingModel::new(4, 1.0, 0.0, 2.0).unwrap();
        assert!(check_preconditions(&ok).is_ok());
        let field = IsingModel::new(4, 1.0, 0.1, 2.0).unwrap();
        let e = check_preconditions(&field).unwrap_err().to_string();
        assert!(e.contains("invalid field") && e.contains("h = 0"), "{e}");
        let anti = IsingModel::new(4, -1.0, 0.0, 2.0).unwrap();
        let e = check_preconditions(&anti).unwrap_err().to_string();
        assert!(e.contains("invalid coupling") && e.contains("J > 0"), "{e}");
        // The sampler refuses what the check refuses.
        assert!(Wolff::new(field, &[1; 16], crate::rng::root(0)).is_err());
    }
}
