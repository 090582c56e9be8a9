//! Train/validation splits.

use super::Dataset;
use crate::{rng, Error, Result};

/// Splits `data` into `(train, validation)` by a seeded random permutation:
/// validation gets `round(fraction · n_rows)` rows, train the rest. Both
/// keep the original row order. The permutation uses family `rng::families::VALIDATION_SPLIT` of the seed,
/// apart from the streams [`super::binarize`] draws from the same seed.
///
/// Errors if `fraction` is outside [0, 1) or the training set would be empty.
pub fn split_validation(data: &Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::invalid(
            "validation fraction",
            fraction,
            "a number in [0, 1)",
        ));
    }
    let n = data.n_rows;
    let n_validation = (fraction * n as f64).round() as usize;
    if n_validation >= n {
        return Err(Error::invalid(
            "validation fraction",
            fraction,
            format!(
                "a fraction that leaves training rows (it takes {n_validation} of {n} rows from {})",
                data.origin().display()
            ),
        ));
    }
    // Fisher–Yates shuffle; index draws by Lemire's multiply-shift (bias ≤ n/2^64).
    let mut order: Vec<usize> = (0..n).collect();
    let mut stream = rng::family(seed, rng::families::VALIDATION_SPLIT);
    rng::shuffle(&mut order, |bound| {
        rng::index_multiply_shift(&mut stream, bound as u64) as usize
    });
    let (validation, train) = order.split_at_mut(n_validation);
    validation.sort_unstable();
    train.sort_unstable();
    Ok((data.select_rows(train), data.select_rows(validation)))
}
