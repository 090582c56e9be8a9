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
    /// Training epoch e uses family `TRAINING_EPOCHS + e`.
    pub const TRAINING_EPOCHS: usize = 16;
}

/// A uniform double in [0, 1) from the top 53 bits of a 64-bit draw.
#[inline(always)]
pub fn uniform(rng: &mut Rng) -> f64 {
    use rand::RngCore;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
