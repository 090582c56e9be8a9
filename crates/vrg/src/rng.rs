//! Random-number streams.
//!
//! All randomness flows from one user seed through explicit, fixed-algorithm
//! streams (xoshiro256++). Work is split into fixed chunks, each with its own
//! stream, so the same seed draws the same numbers whatever the thread count.
//! Streams are separated by xoshiro's `jump()` (2^128 draws apart) and
//! families of streams by `long_jump()` (2^192 apart), so they never overlap.

use rand::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// The root stream for a user seed.
pub fn root(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// `count` non-overlapping streams: `base`, `base.jump()`, `base.jump().jump()`, ….
pub fn streams(base: &Rng, count: usize) -> Vec<Rng> {
    let mut current = base.clone();
    (0..count)
        .map(|_| {
            let this = current.clone();
            current.jump();
            this
        })
        .collect()
}

/// The `index`-th family of streams under `seed`: the root jumped `index`
/// times with `long_jump()`. Each family can then be split with [`streams`].
pub fn family(seed: u64, index: usize) -> Rng {
    let mut rng = root(seed);
    for _ in 0..index {
        rng.long_jump();
    }
    rng
}

/// Which family of streams each use of a seed draws from, so that two uses
/// of the same seed (say `--seed 1` and `--binarize stochastic:1`) never
/// share random numbers.
pub mod families {
    /// Initial weights of a model.
    pub const INITIALIZATION: usize = 0;
    /// The validation split of a data set.
    pub const VALIDATION_SPLIT: usize = 1;
    /// Stochastic binarisation of data.
    pub const BINARIZATION: usize = 2;
    /// Sampling from a trained model (`vrg rbm sample`).
    pub const SAMPLING: usize = 3;
    /// Annealed importance sampling of a partition function.
    pub const AIS: usize = 4;
    /// Monte Carlo estimates of effective couplings.
    pub const COUPLINGS: usize = 5;
    /// RG flows of configurations (`vrg rg flow`).
    pub const FLOWS: usize = 6;
    /// The row order of a generated data set (`vrg rg flow-experiment`).
    pub const ROW_ORDER: usize = 7;
    /// A fixed permutation of lattice sites (`vrg rg flow-experiment`'s
    /// lattice-blind control).
    pub const SITE_PERMUTATION: usize = 8;
    /// Majority-rule tie-breaks of block spins (`vrg rg block`, `vrg rg mcrg`).
    pub const BLOCK_TIE_BREAKS: usize = 9;
    /// Training epoch e uses family `TRAINING_EPOCHS + e`.
    pub const TRAINING_EPOCHS: usize = 16;
}

/// A uniform double in [0, 1) from the top 53 bits of a 64-bit draw.
#[inline(always)]
pub fn uniform(rng: &mut Rng) -> f64 {
    use rand::RngCore;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Two independent standard normals from two uniforms by Box–Muller:
/// z₁ = r cos 2πu₂, z₂ = r sin 2πu₂ with r = √(−2 ln(1 − u₁)) (Box & Muller
/// 1958). A caller that needs one normal takes `.0` (two uniforms drawn
/// either way, so the stream does not depend on how many are used).
///
/// # References
/// G. E. P. Box and M. E. Muller, Ann. Math. Statist. 29, 610 (1958).
#[inline(always)]
pub fn normal_pair(rng: &mut Rng) -> (f64, f64) {
    let u1 = uniform(rng);
    let u2 = uniform(rng);
    let r = (-2.0 * (1.0 - u1).ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    (r * c, r * s)
}

/// Fisher–Yates shuffle (Durstenfeld's form): for i = n − 1 down to 1,
/// swaps `items[i]` with `items[j]`, j = `index_below(i + 1)` ∈ [0, i]. The
/// caller chooses how j is drawn (say [`index_unbiased`] or
/// [`index_multiply_shift`]), which fixes the permutation a stream gives.
///
/// # References
/// R. Durstenfeld, Commun. ACM 7, 420 (1964).
pub fn shuffle<T>(items: &mut [T], mut index_below: impl FnMut(usize) -> usize) {
    for i in (1..items.len()).rev() {
        let j = index_below(i + 1);
        items.swap(i, j);
    }
}

/// A uniform integer in [0, bound), bound ≥ 1, without bias (Lemire's
/// multiply-and-reject).
///
/// # References
/// D. Lemire, ACM Trans. Model. Comput. Simul. 29, 3 (2019).
pub fn index_unbiased(rng: &mut Rng, bound: u64) -> u64 {
    use rand::RngCore;
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(bound);
        if (product as u64) >= threshold {
            return (product >> 64) as u64;
        }
    }
}

/// ⌊x · bound / 2⁶⁴⌋ for one 64-bit draw x: an integer in [0, bound) by
/// Lemire's multiply-shift, without rejection (bias ≤ bound/2⁶⁴).
pub fn index_multiply_shift(rng: &mut Rng, bound: u64) -> u64 {
    use rand::RngCore;
    ((u128::from(rng.next_u64()) * u128::from(bound)) >> 64) as u64
}
