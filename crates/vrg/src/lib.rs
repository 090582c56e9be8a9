//! # vrg — unsupervised deep learning as Kadanoff's variational RG
//!
//! The library behind the `vrg` command-line tool. It never touches the
//! terminal; every fallible function returns [`Result`].
//!
//! Principal pieces, in the order data flows:
//! - [`ising`]: the 2D Ising model, with a multi-spin-coded checkerboard
//!   Metropolis sampler, Wolff cluster updates, observables with error bars,
//!   and exact references (Onsager, Yang, Kaufman).
//! - [`hamiltonian`]: general many-body spin Hamiltonians
//!   H(v) = −Σ K_i v_i − Σ K_ij v_i v_j − …, exact enumeration, and Hopfield
//!   networks.
//! - [`stats`]: binning error bars, jackknife and integrated autocorrelation
//!   times for Monte Carlo series.
//! - [`io`]: `.npy` files and atomic writes.

pub mod error;
pub mod hamiltonian;
pub mod io;
pub mod ising;
pub mod jet;
pub mod rng;
pub mod stats;

pub use error::{Error, Result};
