//! RG analysis of trained models: where each unit looks, and how its
//! configurations compare with Kadanoff's block spins.
//!
//! Mehta & Schwab (2014, §V and Fig. 4) read a deep belief network trained
//! on Ising configurations as a sequence of variational RG steps and show
//! that each hidden unit's *effective receptive field* — the product of the
//! weight matrices below it, W0·W1·…·W_{l−1} — is concentrated on a small
//! patch of the lattice that grows from level to level, like Kadanoff's
//! block spins (Kadanoff 1966), each of which sums the spins of one
//! b × b block. This module measures both sides of that picture:
//!
//! - [`receptive_fields`] multiplies the weights; [`field_locality`],
//!   [`best_window_mass_fractions`], [`layer_locality`] and
//!   [`summarize_locality`] say how much of a field's mass lies in its best
//!   window, where its centre is and how wide it is.
//! - [`majority_rule`] makes Kadanoff block spins; [`best_matching_blocks`]
//!   pairs each hidden unit with the block spin it follows most closely;
//!   [`level_observables`] measures the magnetisation and nearest-neighbour
//!   correlation at any level, so they can be followed along the flow.
//! - [`couplings`] expands an RBM's visible marginal H(v) into many-body
//!   Ising couplings K_S (exactly by a Walsh–Hadamard transform, per hidden
//!   unit on its support, by Monte Carlo, or in the Gaussian approximation)
//!   and summarises them by order and by lattice distance.
//! - [`analyze_dbn`] puts these together for a DBN, level by level;
//!   [`block_spin_figure`] lays out configurations beside their block
//!   spins and the hidden units at their centres.
//! - [`learned_mcrg`] places a DBN's hidden levels on coarse lattices and
//!   measures the exponents y_T and y_H of the learned coarse-graining by
//!   Swendsen's MCRG ([`mcrg`]), beside majority rule's.
//! - [`renormalized`] fits the Hamiltonian (field, nearest- and
//!   next-nearest-neighbour and plaquette couplings) that coarse-grained
//!   spins obey, by pseudo-likelihood with bootstrap errors, and follows
//!   it along the flow of majority-rule block spins.
//! - [`flow`] iterates an RBM's map v → h → v′ on many chains, measures
//!   each step's configurations and finds where they settle.
//!
//! # Lattice convention
//! The data are configurations of an L × L square lattice with periodic
//! boundaries (a torus); site (row, col) has index i = row·L + col, and a
//! position is a `(row, col)` pair of reals on that torus
//! (see [`lattice`]).
//!
//! # References
//! - P. Mehta and D. J. Schwab, "An exact mapping between the Variational
//!   Renormalization Group and Deep Learning", arXiv:1410.3831 (2014).
//! - L. P. Kadanoff, "Scaling laws for Ising models near T_c", Physics 2,
//!   263 (1966).

pub mod analysis;
pub mod assignment;
pub mod block_spin;
pub mod couplings;
pub mod flow;
pub mod kadanoff;
pub mod lattice;
pub mod learned_mcrg;
pub mod mcrg;
pub mod receptive;
pub mod renormalized;

pub use analysis::{
    analyze_dbn, block_spin_figure, dead_units, AnalysisOptions, BlockComparison, BlockSpinFigure,
    DbnAnalysis, LevelReport, DEAD_UNIT_STD,
};
pub use assignment::max_weight_assignment;
pub use block_spin::{
    best_blocks, best_matching_blocks, block_correlations, level_observables, majority_rule,
    BlockMatch, LevelObservables,
};
pub use lattice::{lattice_side, torus_delta, torus_distance};
pub use learned_mcrg::{
    learned_and_majority, place_units, AssignmentQuality, Exponents, LevelMcrg, Placement,
};
pub use receptive::{
    best_window_mass_fractions, field_locality, layer_locality, participation_ratio,
    receptive_fields, summarize_locality, Locality, LocalitySummary,
};
