//! Kadanoff's lower-bound (potential-moving) renormalization and the
//! Migdal–Kadanoff bond-moving recursion for the 2D square-lattice Ising
//! model `H = K Σ_⟨ij⟩ s_i s_j` (energies in units of J, K = J/T).
//!
//! All three recursions rest on the same inequality (Kadanoff 1975, Phys. Rev.
//! Lett. 34, 1005; Kadanoff, Houghton & Yalabik 1976, J. Stat. Phys. 14,
//! 171): `ln Z` is convex in the couplings, so for any moved potential V,
//! `ln Tr e^{H+V} ≥ ln Tr e^H + ⟨V⟩_H` (Eq. (K1)). When V only moves an
//! interaction onto a term that the symmetries of H make equivalent to it,
//! `⟨V⟩_H = 0` and the moved model, which can be summed exactly, bounds
//! the true one: `ln Z_moved ≥ ln Z`, i.e. the free energy per spin
//! `f = −ln Z/N` it gives is a **lower bound** on the exact one
//! (`f_moved ≤ f_exact`; equivalently an *upper* bound on `ln Z/N`; this is
//! the sense of "lower-bound renormalization").
//!
//! - [`migdal_kadanoff`]: b = 2 bond moving then decimation (Migdal 1975;
//!   Kadanoff 1976, Ann. Phys. 100, 359): `K′ = ½ ln cosh 4K` (Eq. (MK1)).
//! - [`block_cell_variational`] (module [`cells`]): Kadanoff's
//!   one-parameter transformation with 2 × 2 block spins coupled to their
//!   cells by p, every potential moved onto the corner plaquettes so that
//!   the sum is exact, p chosen where the bound is best (b = 2).
//! - [`kadanoff_variational`]: the potential-moving recursion in the space
//!   of nearest-neighbour `K₁`, next-nearest-neighbour `K₂` and four-spin
//!   (plaquette) `K₄` couplings, with decimation of one checkerboard
//!   sublattice (b = √2), without a free parameter. See its documentation
//!   for the moves and the recursion (Eqs. (V1)–(V4)).
//! - [`free_energy_per_spin`]: the bound on `f` accumulated along each
//!   recursion.
//!
//! Kadanoff reported K_c within about 1% with his one-parameter
//! transformation; the papers' text was not available while this module
//! was written, and the block-cell transformation of [`cells`] is derived
//! from the method's stated ingredients (block spins with a parameter p,
//! potentials moved until the sum is exact, p from the bound). It reaches
//! ν = 0.983 but K_c 9.7% high; the checkerboard recursion errs 8.6% low.

use crate::error::{Error, Result};

pub mod cells;
pub use cells::{
    block_cell_log_z_bound, block_cell_step, block_cell_variational, optimal_parameter,
};

/// The exact critical coupling of the square lattice, `½ ln(1 + √2)`
/// (Onsager 1944).
pub use crate::ising::exact::CRITICAL_COUPLING;

/// Which recursion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Kadanoff's one-parameter block-cell transformation ([`cells`]).
    Variational,
    /// Potential moving + checkerboard decimation in (K₁, K₂, K₄) space
    /// ([`kadanoff_variational`]).
    Checkerboard,
    /// Migdal–Kadanoff bond moving, b = 2.
    MigdalKadanoff,
}

/// The fixed point of a recursion and what follows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursionResult {
    /// Couplings at the non-trivial fixed point: `[K*]` for Migdal–Kadanoff,
    /// `[K₁*, K₂*, K₄*]` for the variational recursion (`K₄*` is the plaquette
    /// coupling the step generates at the fixed point; see
    /// [`kadanoff_variational`]).
    pub fixed_point: Vec<f64>,
    /// The nearest-neighbour coupling of the nn-only model that flows to the
    /// fixed point (its critical surface).
    pub critical_coupling: f64,
    /// The largest eigenvalue λ of the linearised recursion at the fixed point.
    pub thermal_eigenvalue: f64,
    /// Length rescaling factor b of one step.
    pub rescaling: f64,
    /// `ν = ln b / ln λ`.
    pub nu: f64,
    /// The variational parameter of the transformation at its fixed point
    /// (p* of [`block_cell_variational`]); None for recursions without one.
    pub parameter: Option<f64>,
}

/// `ln cosh x`, without overflow for large `|x|`.
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

fn check_coupling(name: &'static str, k: f64) -> Result<f64> {
    if k.is_finite() && k >= 0.0 {
        Ok(k)
    } else {
        Err(Error::invalid(name, k, "a finite coupling K ≥ 0"))
    }
}

/// One Migdal–Kadanoff step, b = 2 (Eq. (MK1)): moving every other row's
/// horizontal bonds and every other column's vertical bonds onto their
/// neighbours doubles the remaining bonds to `2K`; summing the middle spin
/// of each resulting two-bond chain gives
/// `Σ_s e^{2K s (a + b)} = e^{g + K′ ab}` with `K′ = ½ ln cosh 4K` and
/// `g = ln 2 + ½ ln cosh 4K` (Eq. (MK2)).
pub fn migdal_kadanoff_step(k: f64) -> Result<f64> {
    let k = check_coupling("K", k)?;
    Ok(0.5 * ln_cosh(4.0 * k))
}

/// Bisection for the nn coupling that separates the two basins of a flow:
/// `flows_up(K)` says whether the flow from K runs to strong coupling.
fn separatrix(mut lo: f64, mut hi: f64, flows_up: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if flows_up(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Root of `g` on `[lo, hi]` (g(lo), g(hi) of opposite signs) by bisection
/// to machine precision.
fn bisect_root(mut lo: f64, mut hi: f64, g: impl Fn(f64) -> f64) -> f64 {
    let glo = g(lo);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if (g(mid) > 0.0) == (glo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The Migdal–Kadanoff recursion for the square lattice, b = 2.
///
/// Fixed point `K* = ½ ln cosh 4K*` (K* = 0.3046889317…), thermal eigenvalue
/// `λ = dK′/dK = 2 tanh 4K*` (Eq. (MK3)), `ν = ln 2 / ln λ` (= 1.3382657…).
/// The nn model's critical coupling is K* itself (the recursion stays in the
/// one-coupling space).
pub fn migdal_kadanoff() -> RecursionResult {
    let k_star = bisect_root(0.1, 1.0, |k| 0.5 * ln_cosh(4.0 * k) - k);
    let lambda = 2.0 * (4.0 * k_star).tanh();
    let b: f64 = 2.0;
    RecursionResult {
        fixed_point: vec![k_star],
        critical_coupling: k_star,
        thermal_eigenvalue: lambda,
        rescaling: b,
        nu: b.ln() / lambda.ln(),
        parameter: None,
    }
}

/// Couplings `[K₁, K₂, K₄]` (nearest neighbour, next-nearest neighbour,
/// plaquette) of the variational recursion.
pub type Couplings = [f64; 3];

/// One step of the variational recursion and the constant it generates
/// per decimated spin: returns `([K₁′, K₂′, K₄′], A₀)`.
///
/// The lattice is split into checkerboard sublattices A (kept) and B
/// (summed). Moves (each `⟨V⟩_H = 0` by a symmetry of H, so Eq. (K1) makes
/// the moved model a bound):
/// 1. every B–B next-nearest-neighbour bond is moved onto the A–A bond that
///    the translation by one lattice spacing maps it to: A–A diagonals carry
///    `2K₂`, B spins interact only with their four A neighbours (V1);
/// 2. the plaquette coupling `K₄` (which couples two B spins in every
///    plaquette and cannot be moved off B–B pairs by any lattice symmetry)
///    is set to zero before the step. The step generates `K₄′ ≤ 0`; by
///    convexity `ln Z(K₄′) ≤ ln Z(0) + K₄′ ⟨Σ_□ s s s s⟩_{K₄′}`, so dropping
///    it keeps `ln Z` bounded from above whenever the plaquette correlation
///    of the model with `K₄′` is non-negative (true for these ferromagnetic
///    K₁, K₂ ≫ |K₄′| physically, not proved here; checked against Onsager
///    in the tests). Dropping it is what loosens the bound at low
///    temperature (`K₄′ → −K₁/2`): there `ln Z/N → 2.97 K`, not `2K`.
///
/// Summing each B spin with A neighbours a₁…a₄ (a₁a₃, a₂a₄ diagonal):
/// `2 cosh(K₁ Σa) = exp(A₀ + B Σ_adj aᵢaⱼ + C Σ_diag aᵢaⱼ + D a₁a₂a₃a₄)`
/// with `B = C = ⅛ ln cosh 4K₁`, `D = ⅛ ln cosh 4K₁ − ½ ln cosh 2K₁`,
/// `A₀ = ln 2 + ⅛ ln cosh 4K₁ + ½ ln cosh 2K₁` (V2). On the A lattice
/// (spacing √2) each new nn pair has two B neighbours and one moved A–A
/// diagonal, each new nnn pair one B neighbour:
/// `K₁′ = ¼ ln cosh 4K₁ + 2K₂`, `K₂′ = ⅛ ln cosh 4K₁`,
/// `K₄′ = ⅛ ln cosh 4K₁ − ½ ln cosh 2K₁` (V3).
pub fn variational_step(k: Couplings) -> Result<(Couplings, f64)> {
    let k1 = check_coupling("K1", k[0])?;
    let k2 = check_coupling("K2", k[1])?;
    if !k[2].is_finite() {
        return Err(Error::invalid("K4", k[2], "a finite coupling"));
    }
    let l4 = ln_cosh(4.0 * k1);
    let l2 = ln_cosh(2.0 * k1);
    let next = [0.25 * l4 + 2.0 * k2, 0.125 * l4, 0.125 * l4 - 0.5 * l2];
    let a0 = std::f64::consts::LN_2 + 0.125 * l4 + 0.5 * l2;
    Ok((next, a0))
}

/// The variational (lower-bound, potential-moving) recursion of
/// [`variational_step`], b = √2 per step.
///
/// Fixed point (V4): `K₁* = ½ ln cosh 4K₁*` (the same number as the
/// Migdal–Kadanoff K*, since ¼ + 2·⅛ = ½), `K₂* = ⅛ ln cosh 4K₁* = K₁*/4`,
/// and the plaquette coupling generated there `K₄* = K₂* − ½ ln cosh 2K₁*`.
/// Linearised in (K₁, K₂) with `t = tanh 4K₁*`: `[[t, 2], [t/2, 0]]`,
/// largest eigenvalue `λ = (t + √(t² + 4t))/2`; `ν = ln √2 / ln λ`.
/// The critical coupling is the nn coupling (K₂ = K₄ = 0) on the boundary
/// between flows to weak and to strong coupling.
///
/// Unlike Kadanoff's block-spin transformation ([`block_cell_variational`])
/// it has no free parameter left once the moves make the sum exact (every
/// B–B bond must be moved), and dropping K₄ makes its free energy a bound
/// only as far as the tests check it against Onsager. It gives
/// `K_c = 0.40295` (8.6% below 0.44069) and ν = 0.974.
pub fn kadanoff_variational() -> RecursionResult {
    let k1 = bisect_root(0.1, 1.0, |k| 0.5 * ln_cosh(4.0 * k) - k);
    let k2 = 0.125 * ln_cosh(4.0 * k1);
    let k4 = k2 - 0.5 * ln_cosh(2.0 * k1);
    let t = (4.0 * k1).tanh();
    let lambda = 0.5 * (t + (t * t + 4.0 * t).sqrt());
    let b = std::f64::consts::SQRT_2;
    let kc = separatrix(0.01, 2.0, |k| {
        let mut c = [k, 0.0, 0.0];
        for _ in 0..500 {
            c = variational_step(c)
                .map(|(n, _)| [n[0], n[1], 0.0])
                .unwrap_or(c);
            if c[0] > 5.0 {
                return true;
            }
            if c[0] < 1e-3 {
                return false;
            }
        }
        c[0] > k1
    });
    RecursionResult {
        fixed_point: vec![k1, k2, k4],
        critical_coupling: kc,
        thermal_eigenvalue: lambda,
        rescaling: b,
        nu: b.ln() / lambda.ln(),
        parameter: None,
    }
}

/// The bound on the free energy per spin `f = −ln Z/N` (k_B T = 1 units,
/// i.e. the dimensionless `−ln Z/N`) of the nn model at coupling K,
/// accumulated along the recursion: `ln Z/N = Σ_n w_n c(K⁽ⁿ⁾)` with the
/// constant generated per original spin at step n. Migdal–Kadanoff:
/// `c = ½ g + ¼ ln 2` (half the spins are chain middles, a quarter are left
/// free by the moves), `w_n = 4⁻ⁿ` (Eq. (MK2)); variational: `c = ½ A₀`,
/// `w_n = 2⁻ⁿ` (Eq. (V2)). The sum is cut where the weight times the
/// largest constant is below 10⁻¹⁷; the remaining lattice contributes its
/// infinite-temperature `ln 2` (or ground-state energy when K has grown).
///
/// Both are lower bounds on the exact `f` (upper bounds on `ln Z/N`): see
/// the module documentation.
///
/// # Errors
/// [`Error::InvalidParameter`] unless K is finite and ≥ 0.
pub fn free_energy_per_spin(method: Method, k: f64) -> Result<f64> {
    let k = check_coupling("K", k)?;
    let mut ln_z = 0.0;
    let mut weight = 1.0;
    match method {
        Method::Variational => return cells::free_energy_per_spin(k),
        Method::MigdalKadanoff => {
            let mut kn = k;
            for _ in 0..200 {
                let g = std::f64::consts::LN_2 + 0.5 * ln_cosh(4.0 * kn);
                ln_z += weight * (0.5 * g + 0.25 * std::f64::consts::LN_2);
                kn = migdal_kadanoff_step(kn)?;
                weight *= 0.25;
                if weight * (1.0 + 2.0 * kn) < 1e-17 {
                    break;
                }
            }
            ln_z += weight * (std::f64::consts::LN_2 + 2.0 * kn);
        }
        Method::Checkerboard => {
            let mut c = [k, 0.0, 0.0];
            for _ in 0..400 {
                let (next, a0) = variational_step([c[0], c[1], 0.0])?;
                ln_z += weight * 0.5 * a0;
                c = next;
                weight *= 0.5;
                if weight * (1.0 + 2.0 * (c[0] + c[1])) < 1e-17 {
                    break;
                }
            }
            ln_z += weight * (std::f64::consts::LN_2 + 2.0 * (c[0] + c[1]));
        }
    }
    Ok(-ln_z)
}

/// The recursion's result for `method`.
///
/// # Errors
/// Only [`Method::Variational`] can fail (see [`block_cell_variational`]).
pub fn recursion(method: Method) -> Result<RecursionResult> {
    match method {
        Method::Variational => block_cell_variational(),
        Method::Checkerboard => Ok(kadanoff_variational()),
        Method::MigdalKadanoff => Ok(migdal_kadanoff()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinite_temperature_gives_ln_2() {
        for m in [
            Method::Variational,
            Method::Checkerboard,
            Method::MigdalKadanoff,
        ] {
            let f = free_energy_per_spin(m, 0.0).unwrap();
            assert!((f + std::f64::consts::LN_2).abs() < 1e-14, "{m:?}: {f}");
        }
    }

    #[test]
    fn bad_couplings_are_refused() {
        for k in [-0.1, f64::NAN, f64::INFINITY] {
            assert!(free_energy_per_spin(Method::Variational, k).is_err());
            assert!(free_energy_per_spin(Method::Checkerboard, k).is_err());
            assert!(migdal_kadanoff_step(k).is_err());
        }
    }
}
