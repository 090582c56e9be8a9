//! The model's parameters and the energy of a configuration.

use crate::{Error, Result};
use serde::Serialize;

/// A 2D Ising model on an L×L periodic square lattice,
/// H(s) = −J Σ_⟨ij⟩ s_i s_j − h Σ_i s_i, at temperature T (k_B = 1).
///
/// The sum over ⟨ij⟩ runs over the 2N bonds of the torus (each site's right
/// and down neighbour). For L = 2 both bonds between the same pair count.
/// Validated on construction: L ≥ 2, T > 0 and finite, J ≠ 0 and finite, h
/// finite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IsingModel {
    /// Linear size L (the lattice has N = L² spins).
    pub size: usize,
    /// Coupling J (energies are in units of |J| when J = 1).
    pub coupling: f64,
    /// Uniform field h.
    pub field: f64,
    /// Temperature T.
    pub temperature: f64,
}

impl IsingModel {
    /// A validated model.
    pub fn new(size: usize, coupling: f64, field: f64, temperature: f64) -> Result<Self> {
        if size < 2 {
            return Err(Error::invalid("size", size, "a lattice side L ≥ 2"));
        }
        if size > 1 << 16 {
            return Err(Error::invalid("size", size, "L ≤ 65536"));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(Error::invalid(
                "temperature",
                temperature,
                "a finite temperature T > 0",
            ));
        }
        if !(coupling.is_finite() && coupling != 0.0) {
            return Err(Error::invalid(
                "coupling",
                coupling,
                "a finite, non-zero coupling J",
            ));
        }
        if !field.is_finite() {
            return Err(Error::invalid("field", field, "a finite field h"));
        }
        Ok(IsingModel {
            size,
            coupling,
            field,
            temperature,
        })
    }

    /// Number of spins N = L².
    pub fn n_spins(&self) -> usize {
        self.size * self.size
    }

    /// Inverse temperature β = 1/T.
    pub fn beta(&self) -> f64 {
        1.0 / self.temperature
    }

    /// Energy change of flipping a spin whose value is `spin` and whose four
    /// neighbours sum to `neighbour_sum`: ΔE = 2 s (J Σ_nb s_j + h).
    #[inline]
    pub fn flip_delta(&self, spin: i8, neighbour_sum: i32) -> f64 {
        2.0 * spin as f64 * (self.coupling * neighbour_sum as f64 + self.field)
    }
}

/// Sum of the four periodic neighbours of site (row, col) on an L×L grid
/// stored row-major.
#[inline]
pub fn neighbour_sum(spins: &[i8], size: usize, row: usize, col: usize) -> i32 {
    let up = if row == 0 { size - 1 } else { row - 1 };
    let down = if row + 1 == size { 0 } else { row + 1 };
    let left = if col == 0 { size - 1 } else { col - 1 };
    let right = if col + 1 == size { 0 } else { col + 1 };
    spins[up * size + col] as i32
        + spins[down * size + col] as i32
        + spins[row * size + left] as i32
        + spins[row * size + right] as i32
}

/// Bond sum Σ_⟨ij⟩ s_i s_j over the 2N bonds and magnetisation Σ_i s_i of an
/// L×L ±1 grid stored row-major.
pub fn bond_and_spin_sums(spins: &[i8], size: usize) -> (i64, i64) {
    debug_assert_eq!(spins.len(), size * size);
    let mut bonds = 0i64;
    let mut magnetisation = 0i64;
    for row in 0..size {
        let down = if row + 1 == size { 0 } else { row + 1 };
        for col in 0..size {
            let right = if col + 1 == size { 0 } else { col + 1 };
            let s = spins[row * size + col] as i64;
            bonds += s * (spins[row * size + right] as i64 + spins[down * size + col] as i64);
            magnetisation += s;
        }
    }
    (bonds, magnetisation)
}

/// Total energy H(s) = −J Σ_⟨ij⟩ s_i s_j − h Σ_i s_i of an L×L ±1 grid.
pub fn energy(model: &IsingModel, spins: &[i8]) -> f64 {
    let (bonds, magnetisation) = bond_and_spin_sums(spins, model.size);
    -model.coupling * bonds as f64 - model.field * magnetisation as f64
}
