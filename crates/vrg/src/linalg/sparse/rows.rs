//! The nonzeros of dense rows: [`SparseRows`] and [`SparseChunk`] filled
//! from row-major data, with AVX-512 compressing stores where available.

use super::{block_ends_of, blocks, SparseChunk, SparseRows, ROWS_PER_TASK};
use crate::linalg::dispatch;
use rayon::prelude::*;

impl SparseRows {
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored nonzeros.
    pub fn nonzeros(&self) -> usize {
        self.counts.iter().map(|&c| c as usize).sum()
    }

    /// Fraction of entries stored.
    pub fn density(&self) -> f64 {
        self.nonzeros() as f64 / (self.n_rows * self.n_cols).max(1) as f64
    }

    /// Row r's column indices and values.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let start = r * self.n_cols;
        let end = start + self.counts[r] as usize;
        (&self.indices[start..end], &self.values[start..end])
    }

    pub(super) fn reshape(&mut self, n_rows: usize, n_cols: usize) {
        assert!(n_cols <= u32::MAX as usize && n_rows <= u32::MAX as usize);
        self.n_rows = n_rows;
        self.n_cols = n_cols;
        self.counts.resize(n_rows, 0);
        self.block_ends.resize(n_rows * blocks(n_cols), 0);
        if self.indices.len() < n_rows * n_cols {
            self.indices.resize(n_rows * n_cols, 0);
            self.values.resize(n_rows * n_cols, 0.0);
        }
    }

    /// Replaces the contents by the nonzeros of `x` (`rows × cols`,
    /// row-major), filling rows in parallel when `parallel`.
    pub fn fill_from_dense(&mut self, x: &[f32], rows: usize, cols: usize, parallel: bool) {
        assert_eq!(x.len(), rows * cols, "sparse: data is not {rows} × {cols}");
        let chunks = self.chunks_for_filling(rows, cols, ROWS_PER_TASK);
        let fill = |(mut chunk, x): (SparseChunk<'_>, &[f32])| chunk.fill_from_dense(x);
        let x_chunks = x.chunks(ROWS_PER_TASK * cols.max(1));
        if parallel {
            chunks
                .into_par_iter()
                .zip(x_chunks.collect::<Vec<_>>())
                .for_each(fill);
        } else {
            chunks.into_iter().zip(x_chunks).for_each(fill);
        }
    }

    /// Reshapes to `rows × cols` and hands out the rows in consecutive
    /// chunks of `chunk_rows` (the last shorter), each to be filled by one
    /// task (e.g. right after the task has produced those rows).
    pub fn chunks_for_filling(
        &mut self,
        rows: usize,
        cols: usize,
        chunk_rows: usize,
    ) -> Vec<SparseChunk<'_>> {
        assert!(chunk_rows > 0);
        self.reshape(rows, cols);
        if cols == 0 {
            // Every row is empty; there is nothing to fill.
            self.counts.iter_mut().for_each(|c| *c = 0);
            return Vec::new();
        }
        let slot = cols;
        let per_row = blocks(cols);
        self.counts
            .chunks_mut(chunk_rows)
            .zip(self.indices[..rows * cols].chunks_mut(chunk_rows * slot))
            .zip(self.values[..rows * cols].chunks_mut(chunk_rows * slot))
            .zip(self.block_ends.chunks_mut(chunk_rows * per_row))
            .map(|(((counts, indices), values), block_ends)| SparseChunk {
                cols,
                counts,
                indices,
                values,
                block_ends,
            })
            .collect()
    }
}

impl SparseChunk<'_> {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.counts.len()
    }

    /// Replaces the chunk's rows by the nonzeros of `x` (its rows,
    /// row-major, `cols` columns each).
    pub fn fill_from_dense(&mut self, x: &[f32]) {
        assert_eq!(
            x.len(),
            self.rows() * self.cols,
            "sparse: chunk data is not {} × {}",
            self.rows(),
            self.cols
        );
        if self.cols == 0 {
            self.counts.iter_mut().for_each(|c| *c = 0);
            return;
        }
        let per_row = blocks(self.cols);
        for ((((count, idx), val), ends), row) in self
            .counts
            .iter_mut()
            .zip(self.indices.chunks_exact_mut(self.cols))
            .zip(self.values.chunks_exact_mut(self.cols))
            .zip(self.block_ends.chunks_exact_mut(per_row))
            .zip(x.chunks_exact(self.cols))
        {
            *count = compress_row(row, idx, val) as u32;
            block_ends_of(&idx[..*count as usize], ends);
        }
    }
}

/// Writes the column indices and values of the nonzeros of `row` to the
/// front of `indices` and `values`; returns how many.
fn compress_row(row: &[f32], indices: &mut [u32], values: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if dispatch::isa() == dispatch::Isa::Avx512 {
        // SAFETY: AVX-512F is available; the slices hold `row.len()` entries.
        return unsafe { compress_row_avx512(row, indices, values) };
    }
    let mut count = 0;
    for (k, &v) in row.iter().enumerate() {
        // Branch-free: always write, advance only past a nonzero.
        indices[count] = k as u32;
        values[count] = v;
        count += (v != 0.0) as usize;
        if count == row.len() {
            break;
        }
    }
    count
}

/// [`compress_row`] with AVX-512 compressing stores, 16 entries at a time.
///
/// # Safety
/// The processor must support AVX-512F (the slice lengths are checked
/// here: `indices` and `values` hold at least `row.len()` entries).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn compress_row_avx512(row: &[f32], indices: &mut [u32], values: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    assert!(indices.len() >= row.len() && values.len() >= row.len());
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let zero = _mm512_setzero_ps();
    let mut count = 0usize;
    let mut k = 0usize;
    while k < row.len() {
        let take = (row.len() - k).min(16);
        let load_mask: __mmask16 = if take == 16 {
            0xFFFF
        } else {
            (1u16 << take) - 1
        };
        // SAFETY: the masked load reads only the `take` valid lanes; the
        // compressed stores write popcount(nonzero) ≤ take entries at
        // `count`, and count + take ≤ row.len() ≤ the slices' lengths.
        unsafe {
            let v = _mm512_maskz_loadu_ps(load_mask, row.as_ptr().add(k));
            let nonzero = _mm512_mask_cmp_ps_mask::<_CMP_NEQ_UQ>(load_mask, v, zero);
            let idx = _mm512_add_epi32(lanes, _mm512_set1_epi32(k as i32));
            _mm512_mask_compressstoreu_epi32(indices.as_mut_ptr().add(count).cast(), nonzero, idx);
            _mm512_mask_compressstoreu_ps(values.as_mut_ptr().add(count).cast(), nonzero, v);
            count += nonzero.count_ones() as usize;
        }
        k += take;
    }
    count
}
