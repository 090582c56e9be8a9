//! General many-body spin Hamiltonians
//! H(v) = −Σ_i K_i v_i − Σ_{i<j} K_ij v_i v_j − Σ K_ijk v_i v_j v_k − …,
//! their exact enumeration (Z = Σ_v e^{−βH(v)}, F = −ln Z), and Hopfield
//! networks (H = −Σ B_i v_i − Σ J_ij v_i v_j with Hebbian J).
//!
//! - [`SpinHamiltonian`] (`spin.rs`): sparse terms, energies, flip deltas,
//!   the periodic square-lattice Ising model, JSON.
//! - [`Enumeration`] and friends (`enumerate.rs`): exact sums over all 2^N
//!   states, deterministic whatever the thread count.
//! - [`Hopfield`] (`hopfield.rs`): Hebbian storage, recall, fixed points
//!   and spurious memories.

mod enumerate;
mod hopfield;
mod spin;

pub use enumerate::{
    chunk_bits, BoltzmannAverages, Enumeration, PairCorrelations, MAX_ENUMERATION_SPINS,
};
pub use hopfield::{
    overlap, FixedPoint, FixedPointClass, Hopfield, Recall, DEFAULT_MAX_SWEEPS,
    MAX_FIXED_POINT_SPINS,
};
pub use spin::{SpinHamiltonian, Term};
