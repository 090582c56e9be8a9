//! The summed-out layer's term of a free energy in f64, vectorised:
//! Σ_j softplus(a_j) for Bernoulli units and Σ_j ln 2cosh(a_j) for spins,
//! with a_j the unit's input (exact enumeration and AIS sum these over
//! millions of states).

use crate::linalg::dispatch::multiversion;
use crate::linalg::{ln_2cosh_f64, softplus_f64};

/// Σ_i f(a_i) in f64 with 32 running sums (four independent vectors of
/// polynomial chains in flight per iteration), then added in order; inlined
/// into each `multiversion!` kernel that uses it, so it vectorises there.
#[inline(always)]
fn lane_sum_f64(a: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; 32];
    let mut chunks = a.chunks_exact(32);
    for c in &mut chunks {
        for l in 0..32 {
            lanes[l] += f(c[l]);
        }
    }
    let mut total: f64 = lanes.iter().sum();
    for &x in chunks.remainder() {
        total += f(x);
    }
    total
}

multiversion! {
    /// Σ_i softplus(a_i) in f64.
    pub fn softplus_sum_f64(a: &[f64]) -> f64 {
        lane_sum_f64(a, softplus_f64)
    }
}

multiversion! {
    /// Σ_i ln 2cosh(a_i) in f64.
    pub fn ln_2cosh_sum_f64(a: &[f64]) -> f64 {
        lane_sum_f64(a, ln_2cosh_f64)
    }
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
