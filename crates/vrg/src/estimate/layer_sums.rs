//! The summed-out layer's term of a free energy in f64, vectorised:
//! Σ_j softplus(a_j) for Bernoulli units and Σ_j ln 2cosh(a_j) for spins,
//! with a_j the unit's input (exact enumeration and AIS sum these over
//! millions of states). The kernels and their error bound are in
//! [`crate::linalg::log_sums`].

use crate::linalg::log_sums::{log_sum, LogSum};

/// Σ_i softplus(a_i) in f64.
pub fn softplus_sum_f64(a: &[f64]) -> f64 {
    log_sum(LogSum::Softplus, a)
}

/// Σ_i ln 2cosh(a_i) in f64.
pub fn ln_2cosh_sum_f64(a: &[f64]) -> f64 {
    log_sum(LogSum::Ln2Cosh, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_match_the_standard_library() {
        let a: Vec<f64> = (0..100).map(|i| (i as f64 - 50.0) * 0.37).collect();
        let exact: f64 = a.iter().map(|&x| crate::rbm::softplus(x)).sum();
        assert!((softplus_sum_f64(&a) - exact).abs() < 1e-12 * exact);
        let exact: f64 = a.iter().map(|&x| crate::rbm::ln_2cosh(x)).sum();
        assert!((ln_2cosh_sum_f64(&a) - exact).abs() < 1e-12 * exact);
    }
}
