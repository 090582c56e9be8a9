//! The transpose of a stack of [`SparseRows`]: the sparse left operand of
//! the gradient products (Aᵀ·B), built in parallel over column ranges.

use super::{block_ends_of, blocks, SparseRows};
use rayon::prelude::*;

impl SparseRows {
    /// Replaces the contents by the transpose of the matrix whose rows are
    /// those of `parts` stacked in order, each part's values times its
    /// factor (all parts with the same number of columns): row k of the
    /// result lists, in increasing order, the rows r of the stack with a
    /// nonzero in column k.
    pub fn fill_transpose_of_stack(&mut self, parts: &[(&SparseRows, f32)], parallel: bool) {
        let cols = parts.first().map_or(0, |p| p.0.n_cols);
        assert!(parts.iter().all(|p| p.0.n_cols == cols));
        let stacked_rows: usize = parts.iter().map(|p| p.0.n_rows).sum();
        self.reshape(cols, stacked_rows);
        if cols == 0 {
            return;
        }
        if stacked_rows == 0 {
            self.counts.iter_mut().for_each(|c| *c = 0);
            return;
        }
        let ranges = column_ranges(cols, parallel);
        // Each task owns a range of columns k (rows of the result) and scans
        // every source row's entries in that range (a contiguous run, found
        // by binary search since entries are sorted by column).
        let n = stacked_rows;
        // (first column, counts, indices, values, block ends) of each
        // task's rows.
        type Task<'s> = (
            usize,
            &'s mut [u32],
            &'s mut [u32],
            &'s mut [f32],
            &'s mut [u32],
        );
        let mut tasks: Vec<Task<'_>> = Vec::new();
        let per_row = blocks(n);
        let (mut counts, mut indices, mut values, mut block_ends) = (
            &mut self.counts[..cols],
            &mut self.indices[..cols * n],
            &mut self.values[..cols * n],
            &mut self.block_ends[..cols * per_row],
        );
        for range in &ranges {
            let len = range.end - range.start;
            let (c, rest_c) = counts.split_at_mut(len);
            let (i, rest_i) = indices.split_at_mut(len * n);
            let (v, rest_v) = values.split_at_mut(len * n);
            let (e, rest_e) = block_ends.split_at_mut(len * per_row);
            tasks.push((range.start, c, i, v, e));
            (counts, indices, values, block_ends) = (rest_c, rest_i, rest_v, rest_e);
        }
        let fill = |(k0, counts, indices, values, block_ends): Task<'_>| {
            counts.iter_mut().for_each(|c| *c = 0);
            let k_end = k0 + counts.len();
            // Where each source row's entries at or after column k0 start.
            let mut cursors: Vec<usize> = parts
                .iter()
                .flat_map(|(part, _)| {
                    (0..part.n_rows)
                        .map(move |r| part.row(r).0.partition_point(|&k| (k as usize) < k0))
                })
                .collect();
            // Columns in bands of TRANSPOSE_BAND, so that the band's output
            // rows being appended to stay in L1.
            let mut band = k0;
            while band < k_end {
                let band_end = (band + TRANSPOSE_BAND).min(k_end) as u32;
                let mut source = 0;
                let mut offset = 0u32;
                for &(part, factor) in parts {
                    for r in 0..part.n_rows {
                        let (idx, val) = part.row(r);
                        let mut i = cursors[source];
                        while i < idx.len() && idx[i] < band_end {
                            let local = idx[i] as usize - k0;
                            let slot = local * n + counts[local] as usize;
                            indices[slot] = offset + r as u32;
                            values[slot] = factor * val[i];
                            counts[local] += 1;
                            i += 1;
                        }
                        cursors[source] = i;
                        source += 1;
                    }
                    offset += part.n_rows as u32;
                }
                band = band_end as usize;
            }
            for ((count, idx), ends) in counts
                .iter()
                .zip(indices.chunks_exact(n))
                .zip(block_ends.chunks_exact_mut(per_row))
            {
                block_ends_of(&idx[..*count as usize], ends);
            }
        };
        if parallel {
            tasks.into_par_iter().for_each(fill);
        } else {
            tasks.into_iter().for_each(fill);
        }
    }
}

/// Columns per band of [`SparseRows::fill_transpose_of_stack`].
const TRANSPOSE_BAND: usize = 64;

/// Column ranges for [`SparseRows::fill_transpose_of_stack`]: one per
/// thread when parallel (the split does not change the result).
fn column_ranges(cols: usize, parallel: bool) -> Vec<std::ops::Range<usize>> {
    let parts = if parallel {
        rayon::current_num_threads().clamp(1, cols)
    } else {
        1
    };
    (0..parts)
        .map(|p| p * cols / parts..(p + 1) * cols / parts)
        .collect()
}
