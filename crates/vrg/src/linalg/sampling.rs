//! Bernoulli and spin draws from uniform random words: the bits come from
//! [`fill_random_bits`], the comparisons are vectorised
//! (`linalg::dispatch`).

use super::dispatch::multiversion;
use crate::rng::Rng;
use rand::RngCore;

multiversion! {
    /// out_i = 1 if u_i < p_i else 0, with u_i = (bits_i >> 8) · 2⁻²⁴ from
    /// the 32-bit random words `bits`.
    pub fn bernoulli_from_bits(p: &[f32], bits: &[u32], out: &mut [f32]) {
        for ((o, &p), &b) in out.iter_mut().zip(p).zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *o = if u < p { 1.0 } else { 0.0 };
        }
    }
}

multiversion! {
    /// x_i ← 1 if u_i < x_i else 0 (x holds probabilities), u_i from `bits`.
    pub fn bernoulli_in_place(x: &mut [f32], bits: &[u32]) {
        for (v, &b) in x.iter_mut().zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *v = if u < *v { 1.0 } else { 0.0 };
        }
    }
}

multiversion! {
    /// x_i ← +1 with probability (1 + x_i)/2 else −1 (x holds spin means).
    pub fn spin_in_place(x: &mut [f32], bits: &[u32]) {
        for (v, &b) in x.iter_mut().zip(bits) {
            let u = (b >> 8) as f32 * (1.0 / 16_777_216.0);
            *v = if u < 0.5 * (1.0 + *v) { 1.0 } else { -1.0 };
        }
    }
}

/// Fills `bits` with random 32-bit words (two per 64-bit draw).
pub fn fill_random_bits(rng: &mut Rng, bits: &mut [u32]) {
    let mut pairs = bits.chunks_exact_mut(2);
    for pair in &mut pairs {
        let x = rng.next_u64();
        pair[0] = x as u32;
        pair[1] = (x >> 32) as u32;
    }
    for last in pairs.into_remainder() {
        *last = rng.next_u64() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_frequencies() {
        let mut rng = crate::rng::root(5);
        let p = vec![0.3f32; 100_000];
        let mut bits = vec![0u32; p.len()];
        fill_random_bits(&mut rng, &mut bits);
        let mut out = vec![0.0f32; p.len()];
        bernoulli_from_bits(&p, &bits, &mut out);
        let ones: f64 = out.iter().map(|&v| v as f64).sum();
        let n = p.len() as f64;
        let z = (ones - 0.3 * n) / (n * 0.3 * 0.7).sqrt();
        assert!(z.abs() < 4.5, "z = {z}");
    }
}
