//! Sizes checked before memory is allocated.
//!
//! Every buffer whose size comes from a flag, a file header or a metadata
//! key is checked here first, with overflow-checked arithmetic, against the
//! memory this process may use: the machine's available memory
//! (`MemAvailable` in `/proc/meminfo`), or `VRG_MAX_BYTES` when that
//! environment variable is set (bytes, an integer). A request above it is an
//! [`Error::TooLarge`] that says what was asked for and how much it needs,
//! instead of an abort inside the allocator.

use crate::{Error, Result};

/// Used when the available memory cannot be read (not Linux): 64 GiB.
const FALLBACK_LIMIT: u64 = 64 << 30;

/// The most bytes one request may take, and where that limit comes from.
pub fn limit() -> (u64, String) {
    if let Ok(text) = std::env::var("VRG_MAX_BYTES") {
        if let Ok(bytes) = text.trim().parse::<u64>() {
            return (bytes, format!("VRG_MAX_BYTES is {bytes}"));
        }
    }
    match available_bytes() {
        Some(bytes) => (
            bytes,
            format!(
                "only {} of memory is available",
                crate::error::human_bytes(u128::from(bytes))
            ),
        ),
        None => (
            FALLBACK_LIMIT,
            format!(
                "the limit is {} (set VRG_MAX_BYTES to change it)",
                crate::error::human_bytes(u128::from(FALLBACK_LIMIT))
            ),
        ),
    }
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The product of `factors`, or `None` on overflow.
pub fn product(factors: &[usize]) -> Option<usize> {
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

/// Checks that `count` items of `item_bytes` each fit in memory; `what`
/// names the request as the user knows it (`"--samples 1000000 × 784
/// visible units"`). Returns the count.
pub fn check(what: impl FnOnce() -> String, count: usize, item_bytes: usize) -> Result<usize> {
    let needed = count as u128 * item_bytes as u128;
    let (limit, why) = limit();
    if needed > u128::from(limit) {
        return Err(Error::TooLarge {
            what: what(),
            needed,
            limit: why,
        });
    }
    Ok(count)
}

/// [`check`] for a product of dimensions that may itself overflow.
pub fn check_product(
    what: impl FnOnce() -> String,
    factors: &[usize],
    item_bytes: usize,
) -> Result<usize> {
    let needed = factors
        .iter()
        .try_fold(item_bytes as u128, |acc, &f| acc.checked_mul(f as u128))
        .unwrap_or(u128::MAX);
    let (limit, why) = limit();
    if needed > u128::from(limit) {
        return Err(Error::TooLarge {
            what: what(),
            needed,
            limit: why,
        });
    }
    Ok(product(factors).expect("fits in memory, so in usize"))
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
