//! Renormalized couplings: the Hamiltonian that coarse-grained spins obey,
//! fitted to their configurations, so that an RG step can be followed as a
//! flow in coupling space.
//!
//! # The Hamiltonian
//! Configurations are ±1 spins on the periodic L × L square lattice (a
//! torus, site i = row·L + col). The fitted Hamiltonian is
//!
//! H(s) = −h Σ_i s_i − K_nn Σ_⟨ij⟩ s_i s_j − K_nnn Σ_⟨⟨ij⟩⟩ s_i s_j
//!        − K_□ Σ_□ s_i s_j s_k s_l,
//!
//! with the Boltzmann weight e^{−H} (couplings are K = J/T, k_B = 1, as in
//! the rest of the crate), each term counted once on the torus:
//! - the field: N = L² terms, one per site;
//! - ⟨ij⟩: the 2N nearest-neighbour bonds, each site with its right
//!   (row, col + 1) and down (row + 1, col) neighbour;
//! - ⟨⟨ij⟩⟩: the 2N diagonal (next-nearest-neighbour) bonds, each site with
//!   (row + 1, col + 1) and (row + 1, col − 1);
//! - □: the N elementary 2 × 2 plaquettes, one with its top-left corner at
//!   each site: (row, col), (row, col + 1), (row + 1, col), (row + 1, col + 1);
//!
//! all indices mod L. For L ≥ 3 these are N, 2N, 2N and N distinct terms,
//! and a site's four neighbours, four diagonal neighbours and the other
//! sites of its four plaquettes are all distinct. For L = 2 the left and
//! right neighbours coincide (every bond would be counted twice and a
//! "diagonal" would be a bond's partner), so the fitter refuses L < 3. With
//! H(s_i = +1) − H(s_i = −1) = −2θ_i, the local field of site i is
//!
//! θ_i = h + K_nn Σ_{j nn i} s_j + K_nnn Σ_{j nnn i} s_j
//!       + K_□ Σ_{□ ∋ i} Π_{j ∈ □, j ≠ i} s_j,
//!
//! linear in the couplings with four features (1 and three sums of four ±1
//! values each).
//!
//! # The fit
//! Besag's (1975) pseudo-likelihood replaces the intractable likelihood by
//! the product of every site's conditional probability given the others,
//! p(s_i | rest) = e^{s_i θ_i} / (2 cosh θ_i); its logarithm,
//! Σ_rows Σ_i [s_i θ_i − ln 2 cosh θ_i], is concave in the couplings, and
//! its maximiser is a consistent estimator (Aurell & Ekeberg 2012 for the
//! inverse Ising problem). A site's term depends on the data only through
//! its spin and its three feature sums, each in −4..=4, so the data are
//! first reduced to per-configuration counts of these (at most 1458)
//! categories; Newton's method with the exact 4 × 4 (or 3 × 3 at h = 0)
//! gradient and Hessian and a backtracking line search then works on the
//! counts ([`fit_couplings`]). Error bars come from a bootstrap over
//! configurations ([`Bootstrap`]).
//!
//! # Flows
//! [`majority_rule_flow`] fits the couplings of Kadanoff's majority-rule
//! block spins ([`super::majority_rule`]) of the same configurations at
//! block sides b = 1, 2, 4, …; [`place_units`] puts a DBN layer's sampled
//! hidden units on the coarse lattice at their receptive-field centres,
//! with a mask of the cells no unit occupies, for [`fit_couplings`]; and
//! [`flow_direction`] says whether K_nn moves toward or away from the
//! nearest-neighbour critical coupling [`CRITICAL_COUPLING`].
//!
//! # References
//! - J. Besag, "Statistical analysis of non-lattice data", J. R. Stat. Soc.
//!   D 24, 179 (1975).
//! - E. Aurell and M. Ekeberg, "Inverse Ising inference using all the
//!   data", Phys. Rev. Lett. 108, 090201 (2012).
//! - L. P. Kadanoff, "Scaling laws for Ising models near T_c", Physics 2,
//!   263 (1966).
//! - R. H. Swendsen, "Monte Carlo renormalization group", Phys. Rev. Lett.
//!   42, 859 (1979) (renormalized couplings of majority-rule block spins).
//! - P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014).

mod dbn;
mod fit;
mod flow;

pub use crate::ising::exact::CRITICAL_COUPLING;
pub use dbn::{dbn_coupling_flow, DbnFlow, LevelCouplings};
pub use fit::{fit_couplings, Bootstrap, CouplingFit, Couplings, FitOptions, Term};
pub use flow::{
    doubling_blocks, flow_direction, majority_rule_flow, place_units, CoarseLattice, FlowDirection,
    FlowStep,
};
