//! # vrg — unsupervised deep learning as Kadanoff's variational RG
//!
//! The library behind the `vrg` command-line tool. It never touches the
//! terminal; every fallible function returns [`Result`].
//!
//! Principal pieces, in the order data flows:
//! - [`ising`]: the 2D Ising model ([`ising::IsingModel`]), with a
//!   multi-spin-coded checkerboard Metropolis sampler, sequential Metropolis
//!   and Wolff cluster updates, observables with error bars, and exact
//!   references (Onsager, Yang, Kaufman).
//! - [`hamiltonian`]: general many-body spin Hamiltonians
//!   H(v) = −Σ K_i v_i − Σ K_ij v_i v_j − … ([`hamiltonian::SpinHamiltonian`]),
//!   exact enumeration, and Hopfield networks.
//! - [`stats`]: binning error bars, jackknife, integrated autocorrelation
//!   times for Monte Carlo series, and the median and quantiles.
//! - [`data`]: training data ([`data::Dataset`]) loaded from `.npy`, IDX or
//!   PNG, binarized, checked against a unit type, and split for validation.
//! - [`rbm`] and [`train`]: RBMs ([`rbm::Rbm`]) with Bernoulli, spin and
//!   Gaussian units, trained by CD-k or PCD-k ([`train::Trainer`] with
//!   [`train::TrainParams`]), resumable from checkpoints.
//! - [`dbn`]: deep belief networks ([`dbn::Dbn`]) as stacks of RBMs, their
//!   up- and down-passes, greedy layer-wise training and per-layer free
//!   energies.
//! - [`estimate`]: partition functions of learned models: exact ln Z by
//!   enumerating the smaller layer, or annealed importance sampling (AIS)
//!   with error bars.
//! - [`rg`]: RG analysis of a trained DBN: effective receptive fields and
//!   their locality, Kadanoff's block spins to compare with; effective
//!   many-body couplings of an RBM's visible marginal
//!   ([`rg::couplings`]); and the renormalized couplings of coarse-grained
//!   spins ([`rg::renormalized`]), fitted by pseudo-likelihood along the flow.
//! - [`io`]: file formats (`.npy`, IDX, gzip, PNG, the `.safetensors`
//!   container, `ising sample`'s JSON sidecars), read within the bounds of
//!   [`io::limits`] with one-line errors; atomic writes and the guard that
//!   keeps an output from overwriting an input. What model and checkpoint
//!   files store is their models' business: [`rbm::file`], [`dbn::file`],
//!   [`train::checkpoint`].
//! - [`memory`]: sizes that come from flags or models checked against the
//!   same memory limit before anything is allocated.
//! - Support: [`rng`] (seeded, thread-count-independent streams, Box–Muller
//!   normals, Fisher–Yates shuffles), [`linalg`] (matrix products and
//!   vectorised element-wise kernels), [`jet`] (exact derivatives for the
//!   Ising references), and [`Error`].
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
