//! One module per command group; each turns its flags into library calls
//! and output. Shared steps live outside: [`crate::inputs`],
//! [`crate::experiment`], [`crate::resume`], [`crate::output`].

pub mod dbn;
pub mod demo;
pub mod ising;
pub mod rbm;
pub mod report;
pub mod rg;
