//! The 2D Ising model on an L×L periodic square lattice.

pub mod exact;
