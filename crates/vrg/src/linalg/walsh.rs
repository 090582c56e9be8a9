//! The fast Walsh–Hadamard transform (WHT), in place, in f64.
//!
//! For a table t of length 2^n indexed by bit strings x ∈ {0,1}^n, the
//! (unnormalised) transform is
//!
//! t̂(S) = Σ_x t(x) (−1)^{|x ∧ S|},                                  (eq. WHT)
//!
//! S also read as a bit mask. With spins s_i = (−1)^{x_i} (bit i set ⇔
//! s_i = −1) this is t̂(S) = Σ_s t(s) Π_{i∈S} s_i, the expansion of a
//! function of n Ising spins in products of spins. It is its own inverse
//! up to a factor 2^n. The transform factors into n levels of butterflies
//! (a, b) ← (a + b, a − b) between entries whose indices differ in one bit,
//! n·2^{n−1} additions and as many subtractions in all.
//!
//! [`fwht`] works on rows of at most 2^12 entries (32 KiB, in the L1/L2
//! cache): first every row is transformed on its own (the low bits), then
//! the high bits are done three at a time on groups of 8 rows in strips of
//! 512 columns (32 KiB), so the table is read and written about
//! ⌈(n − 12)/3⌉ + 1 times instead of n times. Rows and groups are spread
//! over rayon's threads; the result does not depend on the thread count
//! (every entry sees the same additions in the same order).
//!
//! # References
//! - M. Lee and M. Kaveh, "Fast Hadamard transform based on a simple matrix
//!   factorization", IEEE Trans. ASSP 34, 1666 (1986).
//! - R. O'Donnell, *Analysis of Boolean Functions* (Cambridge, 2014), §1.2
//!   (the Fourier–Walsh expansion of a function on {−1, 1}^n).

use rayon::prelude::*;

use super::disjoint::DisjointMut;
use super::dispatch::multiversion;
use crate::{Error, Result};

/// Length of the rows [`fwht`] transforms on their own: 2^12 entries.
pub const WHT_ROW_BITS: usize = 12;

/// Row bits done together in the second stage (groups of 2^3 = 8 rows).
const GROUP_BITS: usize = 3;

/// Columns per strip in the second stage.
const STRIP: usize = 512;

multiversion! {
    /// The butterfly (a, b) ← (a + b, a − b), element by element.
    pub fn butterfly(a: &mut [f64], b: &mut [f64]) {
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            let (u, v) = (*x, *y);
            *x = u + v;
            *y = u - v;
        }
    }
}

/// The in-place transform (eq. WHT) of one row whose length is a power of
/// two (any length, but meant for rows of at most 2^[`WHT_ROW_BITS`]).
pub fn fwht_serial(row: &mut [f64]) {
    let n = row.len();
    debug_assert!(n.is_power_of_two() || n == 0);
    // Levels of half-width 1 and 2 with scalar code, the rest with the
    // vectorised butterfly on whole halves.
    if n >= 2 {
        for pair in row.chunks_exact_mut(2) {
            let (u, v) = (pair[0], pair[1]);
            pair[0] = u + v;
            pair[1] = u - v;
        }
    }
    if n >= 4 {
        for quad in row.chunks_exact_mut(4) {
            let (u0, u1, v0, v1) = (quad[0], quad[1], quad[2], quad[3]);
            quad[0] = u0 + v0;
            quad[1] = u1 + v1;
            quad[2] = u0 - v0;
            quad[3] = u1 - v1;
        }
    }
    let mut half = 4;
    while half < n {
        for block in row.chunks_exact_mut(2 * half) {
            let (a, b) = block.split_at_mut(half);
            butterfly(a, b);
        }
        half *= 2;
    }
}

/// The in-place, unnormalised fast Walsh–Hadamard transform (eq. WHT of the
/// module docs) of `data`, whose length must be a power of two (1 included).
/// Parallel over rayon's threads for tables longer than one row.
///
/// Errors with [`Error::InvalidParameter`] if the length is not a power of two.
pub fn fwht(data: &mut [f64]) -> Result<()> {
    let len = data.len();
    if !len.is_power_of_two() {
        return Err(Error::invalid(
            "Walsh–Hadamard table length",
            len,
            "a power of two",
        ));
    }
    let row_len = len.min(1 << WHT_ROW_BITS);
    data.par_chunks_mut(row_len).for_each(fwht_serial);
    let n_rows = len / row_len;
    fwht_across_rows(data, row_len, n_rows);
    Ok(())
}

/// The levels of the transform across rows: for every column, the WHT of
/// length `n_rows` along the row index. `data` is `n_rows × row_len`.
pub(crate) fn fwht_across_rows(data: &mut [f64], row_len: usize, n_rows: usize) {
    assert_eq!(data.len(), row_len * n_rows);
    debug_assert!(n_rows.is_power_of_two());
    let row_bits = n_rows.trailing_zeros() as usize;
    let base = DisjointMut::new(data);
    let mut low = 0;
    while low < row_bits {
        let bits = GROUP_BITS.min(row_bits - low);
        let group = 1usize << bits;
        let stride = 1usize << low;
        // Groups: rows r + j·stride (j < group) for every r whose bits
        // low..low+bits are zero; each group is one task.
        let n_groups = n_rows / group;
        (0..n_groups).into_par_iter().for_each(|g| {
            let below = g & (stride - 1);
            let above = g >> low;
            let first = (above << (low + bits)) | below;
            let mut rows: Vec<&mut [f64]> = (0..group)
                .map(|j| {
                    let row = first + j * stride;
                    // SAFETY: row < n_rows, so the row's `row_len` elements
                    // lie inside `data`, which outlives this parallel loop
                    // (it is borrowed mutably for the whole function). The
                    // rows of one group are distinct (j·stride differ in
                    // bits low..low+bits), and groups partition the rows
                    // (each row belongs to the one group given by its other
                    // bits), so no element is reached from two tasks or twice.
                    unsafe {
                        std::slice::from_raw_parts_mut(
                            base.wrapping_add(row * row_len).get(),
                            row_len,
                        )
                    }
                })
                .collect();
            for start in (0..row_len).step_by(STRIP) {
                let end = (start + STRIP).min(row_len);
                for level in 0..bits {
                    let half = 1usize << level;
                    for j in 0..group {
                        if j & half != 0 {
                            continue;
                        }
                        let (left, right) = rows.split_at_mut(j + half);
                        butterfly(&mut left[j][start..end], &mut right[0][start..end]);
                    }
                }
            }
        });
        low += bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// t̂(S) = Σ_x t(x) (−1)^{|x∧S|} by its definition.
    fn naive(t: &[f64]) -> Vec<f64> {
        (0..t.len())
            .map(|s| {
                t.iter()
                    .enumerate()
                    .map(|(x, &v)| if (x & s).count_ones() % 2 == 0 { v } else { -v })
                    .sum()
            })
            .collect()
    }

    fn table(n: usize) -> Vec<f64> {
        let mut rng = crate::rng::root(7);
        (0..1usize << n)
            .map(|_| crate::rng::uniform(&mut rng) - 0.5)
            .collect()
    }

    #[test]
    fn walsh_matches_the_definition_for_every_small_size() {
        for n in 0..=10 {
            let t = table(n);
            let mut fast = t.clone();
            fwht(&mut fast).unwrap();
            let slow = naive(&t);
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-12, "n = {n}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn walsh_across_rows_matches_the_definition() {
        // 2^13 and 2^17 entries exercise the second stage (one and two
        // groups of row bits, the second one partial).
        for n in [13, 17] {
            let t = table(n);
            let mut fast = t.clone();
            fwht(&mut fast).unwrap();
            // Check a sample of coefficients against the definition.
            for s in [0usize, 1, 4095, 4096, 5000, (1 << n) - 1, 1 << (n - 1)] {
                let direct: f64 = t
                    .iter()
                    .enumerate()
                    .map(|(x, &v)| if (x & s).count_ones() % 2 == 0 { v } else { -v })
                    .sum();
                assert!((fast[s] - direct).abs() < 1e-9, "n = {n}, S = {s}");
            }
            // Applying it twice multiplies by 2^n.
            fwht(&mut fast).unwrap();
            let scale = (1u64 << n) as f64;
            for (a, b) in fast.iter().zip(&t) {
                assert!((a / scale - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn walsh_rejects_lengths_that_are_not_powers_of_two() {
        let err = fwht(&mut [0.0; 6]).unwrap_err().to_string();
        assert!(err.contains("power of two"), "{err}");
        assert!(fwht(&mut []).is_err());
    }
}
