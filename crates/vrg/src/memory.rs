//! Sizes checked before memory is allocated, for requests sized by flags
//! or by a model (file headers are checked by [`crate::io::limits`]).
//!
//! Every buffer whose size comes from a flag (`--samples`, `--chains`,
//! `--hidden`, `--betas`, …) is checked here first, with overflow-checked
//! arithmetic, against the same memory limit the readers use
//! ([`limits::memory_limit`]: the machine's available memory, lowered by
//! `VRG_MAX_BYTES`). A request above it is an [`Error::TooMuchMemory`] that
//! says what was asked for and how much it needs, instead of an abort
//! inside the allocator.

use crate::io::limits::{self, Bound};
use crate::{Error, Result};

/// Checks that `count` items of `item_bytes` each fit in memory; `what`
/// names the request as the user knows it (`"1000000 chains of 784
/// visible + 500 hidden units"`). Returns the count.
pub fn check(what: impl FnOnce() -> String, count: usize, item_bytes: usize) -> Result<usize> {
    check_product(what, &[count], item_bytes)
}

/// [`check`] for a product of dimensions that may itself overflow; returns
/// the product.
pub fn check_product(
    what: impl FnOnce() -> String,
    factors: &[usize],
    item_bytes: usize,
) -> Result<usize> {
    let needed = limits::checked_product(
        factors
            .iter()
            .map(|&f| f as u128)
            .chain([item_bytes as u128]),
    )
    .unwrap_or(u128::MAX);
    let limit = limits::memory_limit()?;
    if needed > u128::from(limit.bytes) {
        return Err(Error::TooMuchMemory {
            what: what(),
            needed,
            bound: Bound::Memory(limit),
        });
    }
    Ok(factors.iter().product::<usize>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_and_huge_requests_are_errors_naming_the_request() {
        let err = check_product(|| "--samples 10¹² × 784".into(), &[1 << 40, 784], 4).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--samples") && text.contains("needs"),
            "{text}"
        );
        assert!(check_product(|| "x".into(), &[usize::MAX, usize::MAX, 3], 8).is_err());
        assert_eq!(check_product(|| "x".into(), &[10, 20], 4).unwrap(), 200);
        assert!(check(|| "x".into(), usize::MAX, 8).is_err());
    }
}
