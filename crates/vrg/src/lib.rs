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
//! - [`rbm`] and [`train`]: RBMs with Bernoulli, spin and Gaussian units,
//!   trained by CD-k or PCD-k.
//! - [`estimate`]: partition functions of learned models (exact ln Z).
//! - [`rg`]: RG analysis: receptive fields and their locality, block spins.
//! - [`io`]: `.npy`, IDX, PNG and model files, read within the bounds of
//!   [`io::limits`] with one-line errors, and atomic writes.
//!
//! Sample the 16×16 Ising model at T = 3 and judge the energy against
//! Kaufman's exact value by its z-score:
//!
//! ```
//! use vrg::ising::{exact, run_chain, Algorithm, IsingModel, SamplingPlan};
//!
//! let model = IsingModel::new(16, 1.0, 0.0, 3.0)?;
//! let plan = SamplingPlan { samples: 4000, sweeps: 1, burn_in: 200, algorithm: Algorithm::Metropolis };
//! let result = run_chain(&model, &plan, vrg::rng::root(1), None, &|_sweeps| {})?;
//! let exact = exact::kaufman(16, 16, 3.0, 1.0)?;
//! let z = result.observables.energy_per_spin.z_score(exact.energy_per_spin);
//! assert!(z.abs() < 5.0, "z = {z}");
//! # Ok::<(), vrg::Error>(())
//! ```

pub mod data;
pub mod dbn;
pub mod error;
pub mod estimate;
pub mod hamiltonian;
pub mod io;
pub mod ising;
pub mod jet;
pub mod linalg;
pub mod memory;
pub mod rbm;
pub mod rg;
pub mod rng;
pub mod stats;
pub mod train;

pub use error::{Error, Result};
