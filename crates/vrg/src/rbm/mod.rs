//! Restricted Boltzmann machines: the model ([`Rbm`]), its unit types
//! ([`VisibleUnits`], [`HiddenUnits`]), marginal free energies, conditional
//! means, block Gibbs sampling, and model files ([`mod@file`]).
//!
//! # References
//! - G. E. Hinton, *A Practical Guide to Training Restricted Boltzmann
//!   Machines*, UTML TR 2010-003 (2010).
//! - P. Mehta and D. J. Schwab, *An exact mapping between the Variational
//!   Renormalization Group and Deep Learning*, arXiv:1410.3831 (2014).

pub mod file;
mod gibbs;
mod model;
mod units;

pub(crate) use gibbs::add_standard_normal;
pub use gibbs::SAMPLING_CHUNK_ROWS;
pub use model::Rbm;
pub(crate) use units::HALF_LN_2PI;
pub use units::{ln_2cosh, sigmoid, softplus, HiddenUnits, VisibleUnits};
