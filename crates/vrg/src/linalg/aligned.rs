//! Matrices with 64-byte aligned rows, and column slabs of them that
//! parallel tasks own.
//!
//! A 16-lane load from a row that is not 64-byte aligned straddles two
//! cache lines; the sparse products lose about a third of their speed to
//! that, so the trainer keeps W, its velocity and the hidden rows in
//! [`AlignedRows`]. Column slabs ([`AlignedRows::column_slabs_mut`]) let
//! tasks that own disjoint ranges of columns update them in parallel, so
//! that a thread updates the same columns of W that its share of the
//! sparse products reads (they stay in its cache).

use super::disjoint::DisjointMut;
use std::marker::PhantomData;

/// A row-major matrix whose rows start on 64-byte boundaries: row r is
/// `as_slice()[r·stride ..][.. cols]`, with the stride a multiple of 16
/// floats chosen off powers of two (rows 2ᵏ bytes apart share cache sets).
#[derive(Clone, Debug, Default)]
pub struct AlignedRows {
    buffer: Vec<f32>,
    offset: usize,
    rows: usize,
    cols: usize,
    stride: usize,
}

impl AlignedRows {
    /// Reshapes to `rows × cols` (contents unspecified until written).
    pub fn reshape(&mut self, rows: usize, cols: usize) {
        let mut stride = cols.div_ceil(16) * 16;
        if stride.is_power_of_two() && stride >= 256 {
            stride += 16;
        }
        let len = rows * stride;
        if self.buffer.len() < len + 16 {
            self.buffer.resize(len + 16, 0.0);
        }
        self.offset = self.buffer.as_ptr().align_offset(64).min(15);
        (self.rows, self.cols, self.stride) = (rows, cols, stride);
    }

    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The rows (with padding between them).
    pub fn as_slice(&self) -> &[f32] {
        &self.buffer[self.offset..self.offset + self.rows * self.stride]
    }

    /// The rows (with padding between them), mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        let len = self.rows * self.stride;
        &mut self.buffer[self.offset..self.offset + len]
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row r.
    pub fn row(&self, r: usize) -> &[f32] {
        let start = self.offset + r * self.stride;
        &self.buffer[start..start + self.cols]
    }

    /// Copies the rows out into a contiguous row-major `rows × cols` slice.
    pub fn copy_to(&self, x: &mut [f32]) {
        assert_eq!(x.len(), self.rows * self.cols);
        for (r, row) in x.chunks_exact_mut(self.cols.max(1)).enumerate() {
            row.copy_from_slice(self.row(r));
        }
    }

    /// Row r.
    pub fn row_mut(&mut self, r: usize) -> &mut [f32] {
        let start = self.offset + r * self.stride;
        &mut self.buffer[start..start + self.cols]
    }

    /// Copies a contiguous row-major `rows × cols` matrix in.
    pub fn copy_from(&mut self, x: &[f32]) {
        assert_eq!(x.len(), self.rows * self.cols);
        for (r, row) in x.chunks_exact(self.cols.max(1)).enumerate() {
            self.row_mut(r).copy_from_slice(row);
        }
    }
}

/// Columns j0 .. j0 + width of every row of an [`AlignedRows`], owned by
/// one task: no other slab of the same call overlaps it.
#[derive(Debug)]
pub struct SlabMut<'a> {
    first: DisjointMut<f32>,
    rows: usize,
    width: usize,
    stride: usize,
    j0: usize,
    _rows: PhantomData<&'a mut [f32]>,
}

impl SlabMut<'_> {
    /// The first column.
    pub fn first_column(&self) -> usize {
        self.j0
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Row r of the slab.
    #[inline]
    pub fn row(&mut self, r: usize) -> &mut [f32] {
        assert!(r < self.rows, "slab: row {r} of {}", self.rows);
        // SAFETY: row r's `width` values lie inside the matrix this slab
        // borrows, and only this slab reaches them.
        unsafe { std::slice::from_raw_parts_mut(self.first.get().add(r * self.stride), self.width) }
    }
}

/// Pieces of rows of an [`AlignedRows`] handed out by position, for tasks
/// that each own different pieces but reach them through one shared value
/// (the epilogue of [`crate::linalg::sparse::sparse_times_dense_then`],
/// called once per finished (row, column tile) piece).
#[derive(Debug)]
pub struct RowPieces<'a> {
    first: DisjointMut<f32>,
    rows: usize,
    cols: usize,
    stride: usize,
    _rows: PhantomData<&'a mut [f32]>,
}

impl<'a> RowPieces<'a> {
    pub fn new(m: &'a mut AlignedRows) -> Self {
        let (rows, cols, stride) = (m.rows, m.cols, m.stride);
        RowPieces {
            first: DisjointMut::new(m.as_mut_slice()),
            rows,
            cols,
            stride,
            _rows: PhantomData,
        }
    }

    /// Columns j0 .. j0 + len of row r.
    ///
    /// # Safety
    /// No other piece overlapping this one may be in use while it is.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn piece(&self, r: usize, j0: usize, len: usize) -> &mut [f32] {
        assert!(
            r < self.rows && j0 + len <= self.cols,
            "piece ({r}, {j0}..{}) outside {} × {}",
            j0 + len,
            self.rows,
            self.cols
        );
        // SAFETY: inside the matrix (checked); exclusive by the caller's
        // promise.
        unsafe { std::slice::from_raw_parts_mut(self.first.get().add(r * self.stride + j0), len) }
    }

    /// Asks the processor to bring columns j0 .. j0 + len of row r into
    /// the first-level cache, for a piece used soon (nothing if the piece
    /// lies outside the matrix). A product's epilogue that walks pieces of
    /// consecutive rows between the product's own loads is not followed by
    /// the hardware prefetchers; it can fetch a few rows ahead with this.
    #[inline]
    pub fn prefetch(&self, r: usize, j0: usize, len: usize) {
        if r < self.rows && j0 + len <= self.cols {
            prefetch_floats(self.first.get().wrapping_add(r * self.stride + j0), len);
        }
    }
}

impl AlignedRows {
    /// The matrix cut into slabs of `tile` columns (the last narrower),
    /// left to right, for tasks that each own one.
    pub fn column_slabs_mut(&mut self, tile: usize) -> Vec<SlabMut<'_>> {
        assert!(tile > 0);
        let (rows, cols, stride) = (self.rows, self.cols, self.stride);
        let first = DisjointMut::new(self.as_mut_slice());
        (0..cols.div_ceil(tile))
            .map(|t| SlabMut {
                // Inside row 0 when there are rows (never dereferenced
                // otherwise).
                first: first.wrapping_add(t * tile),
                rows,
                width: tile.min(cols - t * tile),
                stride,
                j0: t * tile,
                _rows: PhantomData,
            })
            .collect()
    }
}

/// Prefetches the `len` floats from `start` into the first-level cache (a
/// hint: off x86-64 nothing). A product's epilogue that walks pieces of
/// consecutive rows, a row's stride apart, between the product's own loads
/// is not followed by the hardware prefetchers, and waits on memory at
/// every piece's first load: the momentum step in the epilogue of the
/// sparse gradient product did, 7 % of a 784 × 500 training epoch. (A
/// plain loop over the same pieces, as on the dense path, is followed.)
#[inline]
fn prefetch_floats(start: *const f32, len: usize) {
    #[cfg(target_arch = "x86_64")]
    if len > 0 {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = start as *const i8;
        let lines = (start as usize + 4 * len - 1) / 64 - start as usize / 64 + 1;
        for line in 0..lines {
            // SAFETY: SSE is part of every x86-64 processor, and a prefetch
            // is a hint: it never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(64 * line)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prefetch is only a hint: on pieces inside the matrix, rows past
    /// its end, pieces past its columns and empty pieces it neither faults
    /// nor panics, and changes nothing.
    #[test]
    fn prefetching_pieces_changes_nothing_anywhere() {
        let (rows, cols) = (3, 37);
        let mut m = AlignedRows::default();
        m.reshape(rows, cols);
        for (k, x) in m.as_mut_slice().iter_mut().enumerate() {
            *x = k as f32;
        }
        let before = m.as_slice().to_vec();
        let pieces = RowPieces::new(&mut m);
        for r in 0..rows + 5 {
            for (j0, len) in [
                (0, 37),
                (16, 21),
                (30, 7),
                (0, 0),
                (36, 1),
                (30, 8),
                (40, 3),
            ] {
                pieces.prefetch(r, j0, len);
            }
        }
        assert_eq!(m.as_slice(), &before[..]);
    }

    #[test]
    fn column_slabs_cover_every_element_once() {
        let (rows, cols) = (5, 37);
        let mut m = AlignedRows::default();
        m.reshape(rows, cols);
        m.as_mut_slice().iter_mut().for_each(|x| *x = 0.0);
        for tile in [1, 16, 32, 37, 64] {
            let slabs = m.column_slabs_mut(tile);
            assert_eq!(slabs.len(), cols.div_ceil(tile));
            for mut slab in slabs {
                for r in 0..slab.rows() {
                    let j0 = slab.first_column();
                    for (j, x) in slab.row(r).iter_mut().enumerate() {
                        assert_eq!(*x, 0.0, "tile {tile}: ({r}, {}) reached twice", j0 + j);
                        *x = (r * 100 + j0 + j) as f32;
                    }
                }
            }
            for r in 0..rows {
                let expected: Vec<f32> = (0..cols).map(|j| (r * 100 + j) as f32).collect();
                assert_eq!(m.row(r), &expected[..]);
                m.row_mut(r).iter_mut().for_each(|x| *x = 0.0);
            }
        }
        let mut out = vec![1.0; rows * cols];
        m.copy_to(&mut out);
        assert!(out.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn row_pieces_reach_the_right_elements_and_check_bounds() {
        let mut m = AlignedRows::default();
        m.reshape(3, 40);
        m.copy_from(&(0..120).map(|x| x as f32).collect::<Vec<_>>());
        let pieces = RowPieces::new(&mut m);
        // SAFETY: one piece at a time.
        let piece = unsafe { pieces.piece(2, 32, 8) };
        assert_eq!(piece, &(112..120).map(|x| x as f32).collect::<Vec<_>>()[..]);
        piece[0] = -1.0;
        let outside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: never handed out (the bounds check panics first).
            let _ = unsafe { pieces.piece(2, 33, 8) };
        }));
        assert!(outside.is_err());
        assert_eq!(m.row(2)[32], -1.0);
    }
}
