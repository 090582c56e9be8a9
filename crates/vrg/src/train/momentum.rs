//! The optimiser step of the trainer: momentum SGD with L2 and L1 weight
//! decay and the sparsity penalty, applied in place to a piece of a row of
//! W, vectorised (`multiversion!`).
//!
//! # References
//! - G. E. Hinton, *A Practical Guide to Training Restricted Boltzmann
//!   Machines*, UTML TR 2010-003 (2010), §9–11.

use crate::linalg::dispatch::multiversion;

/// Coefficients of one momentum step (see [`momentum_step`]).
#[derive(Clone, Copy, Debug)]
pub struct MomentumStep {
    /// μ
    pub momentum: f32,
    /// ε
    pub learning_rate: f32,
    /// λ₂
    pub l2: f32,
    /// λ₁
    pub l1: f32,
    /// α, the factor of the summed gradient (ε / B).
    pub alpha: f32,
}

multiversion! {
    /// The momentum step on a piece of a row i of W with its gradient G
    /// already summed: ΔW ← μΔW − ε(λ₂W + λ₁ sign W + s_j m_i) + α G, then
    /// W ← W + ΔW, element by element; the sparsity term s_j m_i is there
    /// when `sparsity` = Some((s, m_i)), s covering the piece's columns.
    pub fn momentum_step(velocity: &mut [f32], weights: &mut [f32], gradient: &[f32], step: MomentumStep, sparsity: Option<(&[f32], f32)>) {
        let MomentumStep { momentum, learning_rate, l2, l1, alpha } = step;
        let n = velocity.len();
        let (weights, gradient) = (&mut weights[..n], &gradient[..n]);
        let sign = |w: f32| if w > 0.0 { 1.0 } else if w < 0.0 { -1.0 } else { 0.0 };
        match sparsity {
            None => {
                for j in 0..n {
                    let w = weights[j];
                    let dw = momentum * velocity[j] - learning_rate * (l2 * w + l1 * sign(w)) + alpha * gradient[j];
                    velocity[j] = dw;
                    weights[j] = w + dw;
                }
            }
            Some((s, m)) => {
                let s = &s[..n];
                for j in 0..n {
                    let w = weights[j];
                    let dw = momentum * velocity[j] - learning_rate * (l2 * w + l1 * sign(w) + s[j] * m) + alpha * gradient[j];
                    velocity[j] = dw;
                    weights[j] = w + dw;
                }
            }
        }
    }
}
