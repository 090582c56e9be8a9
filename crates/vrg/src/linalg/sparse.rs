//! Products with a sparse left operand: C = A·B where most entries of A are
//! zero (MNIST pixels, sampled 0/1 units).
//!
//! Row r of A·B is Σ_{k: A_rk ≠ 0} A_rk · B[k, :], a sum of rows of B. A
//! dense GEMM spends the same work on every k; this spends it only on the
//! nonzeros, at a lower rate per multiply-add (each row of B is read from
//! L2 for one use instead of being reused from registers). On this
//! machine the sum wins below a density of about 0.45 (DESIGN.md,
//! "Performance model"; `cargo bench -p vrg --bench rbm`).
//!
//! [`SparseRows`] stores the nonzeros of each row in a fixed slot of
//! capacity `n_cols` (no prefix sums), so rows are filled and used in
//! parallel, and every output element is summed in the order of its
//! nonzeros: results do not depend on the thread count.

pub use super::aligned::AlignedRows;
use super::disjoint::DisjointMut;
use rayon::prelude::*;

/// Output rows per parallel task.
const ROWS_PER_TASK: usize = 8;

/// The nonzeros of a row-major `n_rows × n_cols` matrix, row by row, in
/// increasing column order. Row r's entries are `indices[r·n_cols ..]` and
/// `values[r·n_cols ..]`, `counts[r]` of them; `block_ends[r·B + b]` of
/// them lie in columns below (b + 1)·[`DEPTH_BLOCK`] (B blocks per row), so
/// that the product walks each block of a row as a counted loop.
#[derive(Clone, Debug, Default)]
pub struct SparseRows {
    n_rows: usize,
    n_cols: usize,
    counts: Vec<u32>,
    indices: Vec<u32>,
    values: Vec<f32>,
    block_ends: Vec<u32>,
}

/// Depth blocks of a row of `n_cols` columns.
fn blocks(n_cols: usize) -> usize {
    n_cols.div_ceil(DEPTH_BLOCK)
}

/// ends[b] = how many of the sorted column indices `idx` are below
/// (b + 1)·[`DEPTH_BLOCK`].
fn block_ends_of(idx: &[u32], ends: &mut [u32]) {
    let last = ends.len().saturating_sub(1);
    for (b, end) in ends.iter_mut().enumerate() {
        *end = if b == last {
            idx.len() as u32
        } else {
            let limit = ((b + 1) * DEPTH_BLOCK) as u32;
            idx.partition_point(|&k| k < limit) as u32
        };
    }
}

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

    fn reshape(&mut self, n_rows: usize, n_cols: usize) {
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

/// Some consecutive rows of a [`SparseRows`] (from
/// [`SparseRows::chunks_for_filling`]).
#[derive(Debug)]
pub struct SparseChunk<'a> {
    cols: usize,
    counts: &'a mut [u32],
    indices: &'a mut [u32],
    values: &'a mut [f32],
    block_ends: &'a mut [u32],
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

/// Writes the column indices and values of the nonzeros of `row` to the
/// front of `indices` and `values`; returns how many.
fn compress_row(row: &[f32], indices: &mut [u32], values: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if super::dispatch::isa() == super::dispatch::Isa::Avx512 {
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

/// Columns of dst per task of [`sparse_times_dense`] (4 zmm accumulators).
pub const COLUMN_TILE: usize = 64;
/// Rows of B (depth) per block (the best of 32–256 measured with
/// `examples/gemm_shapes.rs`).
pub const DEPTH_BLOCK: usize = 128;

pub use super::Finish;

/// dst = A·B for sparse A (`m × k`) and dense B (`k × n`, row r at
/// `b[r·b_stride ..]`), dst row-major `m × n`. B's rows are best 64-byte
/// aligned ([`AlignedRows`]): unaligned 16-lane loads straddle cache lines
/// and cost this kernel about a third of its speed.
///
/// Blocked like a dense GEMM: each task owns a tile of [`COLUMN_TILE`]
/// columns of dst and walks B in blocks of [`DEPTH_BLOCK`] rows, applying
/// every row of A's nonzeros in that block before moving on, so a block of
/// B is read from L2 once per task rather than once per nonzero. Tasks run
/// in parallel when `parallel`; each element is summed in the order of its
/// row's nonzeros either way.
pub fn sparse_times_dense(
    dst: &mut [f32],
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    n: usize,
    parallel: bool,
) {
    sparse_times_dense_then(dst, n, a, b, b_stride, n, parallel, &|_, _, _| {});
}

/// [`sparse_times_dense`] into a destination whose row r starts at
/// `dst[r·dst_stride]`, then `finish(r, j0, x)` on each finished piece
/// x = dst[r, j0 .. j0 + x.len()] (an element-wise epilogue such as adding
/// a bias and applying σ, fused so that dst is not read again).
#[allow(clippy::too_many_arguments)]
pub fn sparse_times_dense_then(
    dst: &mut [f32],
    dst_stride: usize,
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    n: usize,
    parallel: bool,
    finish: Finish<'_>,
) {
    sparse_times_dense_on(
        SparsePath::for_this_processor(),
        dst,
        dst_stride,
        a,
        b,
        b_stride,
        n,
        parallel,
        finish,
    );
}

/// The column-tile kernels [`sparse_times_dense_then`] chooses between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SparsePath {
    /// AVX-512 accumulators over blocks of B (tiles up to 256 columns).
    Avx512,
    /// A plain loop of axpys over each row's nonzeros.
    Generic,
}

impl SparsePath {
    /// The path [`sparse_times_dense_then`] takes on the running processor.
    pub(crate) fn for_this_processor() -> Self {
        if super::dispatch::isa() == super::dispatch::Isa::Avx512 {
            SparsePath::Avx512
        } else {
            SparsePath::Generic
        }
    }

    /// Every path the running processor can take (for tests).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Self> {
        [SparsePath::Avx512, SparsePath::Generic]
            .into_iter()
            .filter(|&p| p != SparsePath::Avx512 || Self::for_this_processor() == p)
            .collect()
    }
}

/// [`sparse_times_dense_then`] through the given path. Panics if the
/// processor cannot take `path`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sparse_times_dense_on(
    path: SparsePath,
    dst: &mut [f32],
    dst_stride: usize,
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    n: usize,
    parallel: bool,
    finish: Finish<'_>,
) {
    assert!(
        path == SparsePath::Generic || SparsePath::for_this_processor() == path,
        "sparse: this processor cannot take the {path:?} path"
    );
    assert!(
        dst_stride >= n && (a.n_rows == 0 || dst.len() >= (a.n_rows - 1) * dst_stride + n),
        "sparse: destination is not {} × {n} at stride {dst_stride}",
        a.n_rows
    );
    assert!(
        b_stride >= n,
        "sparse: row stride {b_stride} below {n} columns"
    );
    assert!(
        a.n_cols == 0 || b.len() >= (a.n_cols - 1) * b_stride + n,
        "sparse: B is not {} × {n}",
        a.n_cols
    );
    if n == 0 || a.n_rows == 0 {
        return;
    }
    let (ct, db) = (COLUMN_TILE, DEPTH_BLOCK);
    let tiles = n.div_ceil(ct);
    let dst_ptr = DisjointMut::new(dst);
    let task = |tile: usize| {
        let j0 = tile * ct;
        let width = (n - j0).min(ct);
        // SAFETY: tasks own disjoint column ranges j0..j0 + width of dst,
        // which holds a.n_rows rows of n floats at stride dst_stride; the
        // processor can take `path` (asserted above).
        unsafe {
            column_tile(
                path,
                a,
                b,
                b_stride,
                n,
                dst_stride,
                j0,
                width,
                db,
                dst_ptr.get(),
                finish,
            )
        };
    };
    if parallel {
        (0..tiles).into_par_iter().for_each(task);
    } else {
        (0..tiles).for_each(task);
    }
}

/// Columns j0..j0 + width of dst = A·B (dst row stride `ldd`), B in blocks
/// of `depth` rows.
///
/// # Safety
/// `dst` points to `a.n_rows` rows of n floats at stride ldd ≥ n, no other
/// thread touches these columns, and j0 + width ≤ n; the processor supports
/// AVX-512F if `path` is [`SparsePath::Avx512`].
#[allow(clippy::too_many_arguments)]
unsafe fn column_tile(
    path: SparsePath,
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    n: usize,
    ldd: usize,
    j0: usize,
    width: usize,
    depth: usize,
    dst: *mut f32,
    finish: Finish<'_>,
) {
    assert!(j0 + width <= n && n <= b_stride);
    assert!(a.n_cols == 0 || b.len() >= (a.n_cols - 1) * b_stride + n);
    #[cfg(target_arch = "x86_64")]
    if path == SparsePath::Avx512 && width <= 16 * 16 {
        let vectors = width.div_ceil(16);
        let tail = width - 16 * (vectors - 1);
        let tail_mask: u16 = if tail == 16 {
            0xFFFF
        } else {
            (1u16 << tail) - 1
        };
        macro_rules! tile {
            ($($v:literal)*) => {
                match vectors {
                    // SAFETY: AVX-512F is available (the caller's contract
                    // for this path), as is the rest of the contract, and
                    // every column index is below a.n_cols.
                    $($v => unsafe { column_tile_avx512::<$v>(a, b, b_stride, ldd, j0, width, tail_mask, depth, dst, finish) },)*
                    _ => unreachable!(),
                }
            };
        }
        tile!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = path;
    // SAFETY: the caller's contract.
    unsafe { column_tile_generic(a, b, b_stride, ldd, j0, width, dst, finish) }
}

/// [`column_tile`] without blocking, for processors without AVX-512.
///
/// # Safety
/// As for [`column_tile`].
#[allow(clippy::too_many_arguments)]
unsafe fn column_tile_generic(
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    ldd: usize,
    j0: usize,
    width: usize,
    dst: *mut f32,
    finish: Finish<'_>,
) {
    for r in 0..a.n_rows {
        // SAFETY: row r of dst has j0 + width floats from its start, and only
        // this task uses them.
        let out = unsafe { std::slice::from_raw_parts_mut(dst.add(r * ldd + j0), width) };
        out.iter_mut().for_each(|o| *o = 0.0);
        let (idx, val) = a.row(r);
        for (&k, &v) in idx.iter().zip(val) {
            let start = k as usize * b_stride + j0;
            super::axpy(out, v, &b[start..start + width]);
        }
        finish(r, j0, out);
    }
}

/// The AVX-512 [`column_tile`]: V vectors of accumulators (the last
/// masked to `tail_mask`), B in blocks of `depth` rows; each row's
/// nonzeros in the block are found by advancing a cursor.
///
/// # Safety
/// As for [`column_tile`], with 16(V − 1) < width ≤ 16V and the processor
/// supporting AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn column_tile_avx512<const V: usize>(
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    ldd: usize,
    j0: usize,
    width: usize,
    tail_mask: u16,
    depth: usize,
    dst: *mut f32,
    finish: Finish<'_>,
) {
    use std::arch::x86_64::*;
    debug_assert_eq!(depth, DEPTH_BLOCK);
    if a.n_cols == 0 {
        // An empty sum for every element.
        for r in 0..a.n_rows {
            // SAFETY: row r of dst holds columns j0.. j0 + width.
            let out = unsafe { std::slice::from_raw_parts_mut(dst.add(r * ldd + j0), width) };
            out.fill(0.0);
            finish(r, j0, out);
        }
        return;
    }
    let per_row = blocks(a.n_cols);
    let (indices, values) = (a.indices.as_ptr(), a.values.as_ptr());
    let b = b.as_ptr();
    for block in 0..per_row {
        let first_block = block == 0;
        let last_block = block + 1 == per_row;
        for r in 0..a.n_rows {
            // Row r's entries of this block: a counted run (block_ends).
            let ends = &a.block_ends[r * per_row..(r + 1) * per_row];
            let start = r * a.n_cols
                + if first_block {
                    0
                } else {
                    ends[block - 1] as usize
                };
            let end = r * a.n_cols + ends[block] as usize;
            // SAFETY: start ≤ end stay inside row r's slot of indices/values;
            // every k < a.n_cols so row k of B has n floats, of which columns
            // j0.. j0 + 16V (masked) are read; row r of dst likewise.
            unsafe {
                let out = dst.add(r * ldd + j0);
                let mut acc = [_mm512_setzero_ps(); V];
                if !first_block {
                    for (t, s) in acc.iter_mut().enumerate().take(V - 1) {
                        *s = _mm512_loadu_ps(out.add(16 * t));
                    }
                    acc[V - 1] = _mm512_maskz_loadu_ps(tail_mask, out.add(16 * (V - 1)));
                }
                for i in start..end {
                    let row = b.add(*indices.add(i) as usize * b_stride + j0);
                    let v = _mm512_set1_ps(*values.add(i));
                    for (t, s) in acc.iter_mut().enumerate().take(V - 1) {
                        *s = _mm512_fmadd_ps(v, _mm512_loadu_ps(row.add(16 * t)), *s);
                    }
                    let last = _mm512_maskz_loadu_ps(tail_mask, row.add(16 * (V - 1)));
                    acc[V - 1] = _mm512_fmadd_ps(v, last, acc[V - 1]);
                }
                for (t, s) in acc.iter().enumerate().take(V - 1) {
                    _mm512_storeu_ps(out.add(16 * t), *s);
                }
                _mm512_mask_storeu_ps(out.add(16 * (V - 1)), tail_mask, acc[V - 1]);
                if last_block {
                    finish(r, j0, std::slice::from_raw_parts_mut(out, width));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sparse_matrix(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
        (0..rows * cols)
            .map(|i| {
                let h = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                if h.is_multiple_of(5) {
                    (h % 97) as f32 / 13.0 - 3.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn sparse_product_equals_dense_product() {
        for (m, k, n) in [
            (1, 1, 1),
            (7, 33, 17),
            (20, 784, 500),
            (3, 40, 256),
            (5, 9, 257),
        ] {
            let a = sparse_matrix(m, k, 1);
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 31 % 101) as f32 - 50.0) / 17.0)
                .collect();
            let mut sparse = SparseRows::default();
            sparse.fill_from_dense(&a, m, k, true);
            let expected_nonzeros = a.iter().filter(|&&v| v != 0.0).count();
            assert_eq!(sparse.nonzeros(), expected_nonzeros);
            let mut fast = vec![f32::NAN; m * n];
            sparse_times_dense(&mut fast, &sparse, &b, n, n, true);
            for i in 0..m {
                for j in 0..n {
                    let exact: f64 = (0..k)
                        .map(|l| a[i * k + l] as f64 * b[l * n + j] as f64)
                        .sum();
                    let got = fast[i * n + j] as f64;
                    assert!(
                        (got - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                        "{m}×{k}×{n} ({i},{j})"
                    );
                }
            }
        }
    }

    /// Every sparse-row product path this processor can take, serial and
    /// parallel, with padded B and destination strides (the trainer's
    /// aligned rows) and an epilogue: each element equals the f64 product,
    /// the epilogue sees it exactly once, and the padding is untouched.
    #[test]
    fn every_sparse_path_matches_f64_with_padded_strides() {
        use std::sync::atomic::{AtomicU32, Ordering};
        for path in SparsePath::available() {
            eprintln!("sparse: path {path:?}");
            for (m, k, n) in [
                (1usize, 1usize, 1usize),
                (7, 33, 17),
                (20, 300, 130),
                (5, 9, 257),
                (3, 200, 64),
            ] {
                let (b_stride, dst_stride) = (n.next_multiple_of(16) + 16, n + 3);
                let a = sparse_matrix(m, k, 11);
                let b: Vec<f32> = (0..k * b_stride)
                    .map(|i| ((i * 31 % 101) as f32 - 50.0) / 17.0)
                    .collect();
                let mut sparse = SparseRows::default();
                sparse.fill_from_dense(&a, m, k, false);
                for parallel in [false, true] {
                    let mut dst = vec![-7.0f32; m * dst_stride];
                    let seen: Vec<AtomicU32> = (0..m * n).map(|_| AtomicU32::new(0)).collect();
                    let finish = |r: usize, j0: usize, x: &mut [f32]| {
                        for (j, v) in x.iter_mut().enumerate() {
                            seen[r * n + j0 + j].fetch_add(1, Ordering::Relaxed);
                            *v += 0.5;
                        }
                    };
                    sparse_times_dense_on(
                        path, &mut dst, dst_stride, &sparse, &b, b_stride, n, parallel, &finish,
                    );
                    let case = format!("{path:?} {m}×{k}×{n} parallel {parallel}");
                    for i in 0..m {
                        for j in 0..n {
                            let exact: f64 = 0.5
                                + (0..k)
                                    .map(|l| a[i * k + l] as f64 * b[l * b_stride + j] as f64)
                                    .sum::<f64>();
                            let got = dst[i * dst_stride + j] as f64;
                            assert!(
                                (got - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                                "{case} ({i},{j}): {got} vs {exact}"
                            );
                            assert_eq!(seen[i * n + j].load(Ordering::Relaxed), 1, "{case}");
                        }
                        assert!(
                            dst[i * dst_stride + n..(i + 1) * dst_stride]
                                .iter()
                                .all(|&v| v == -7.0),
                            "{case}: padding of row {i} written"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn transpose_of_stack_lists_rows_in_order_with_factors() {
        let (a, b) = (sparse_matrix(6, 19, 2), sparse_matrix(4, 19, 3));
        let (mut sa, mut sb, mut t) = Default::default();
        SparseRows::fill_from_dense(&mut sa, &a, 6, 19, false);
        SparseRows::fill_from_dense(&mut sb, &b, 4, 19, false);
        for parallel in [false, true] {
            // The second part's values are scaled by its factor.
            SparseRows::fill_transpose_of_stack(&mut t, &[(&sa, 1.0), (&sb, -0.5)], parallel);
            assert_eq!((t.n_rows(), t.n_cols()), (19, 10));
            for k in 0..19 {
                let expected: Vec<(u32, f32)> = a
                    .chunks(19)
                    .chain(b.chunks(19))
                    .enumerate()
                    .filter(|(_, row)| row[k] != 0.0)
                    .map(|(r, row)| (r as u32, if r < 6 { row[k] } else { -0.5 * row[k] }))
                    .collect();
                let (idx, val) = t.row(k);
                let got: Vec<(u32, f32)> = idx.iter().copied().zip(val.iter().copied()).collect();
                assert_eq!(got, expected, "column {k}");
            }
        }
    }

    #[test]
    fn chunks_fill_their_own_rows_and_empty_rows_reset() {
        let (rows, cols) = (11, 37);
        let x = sparse_matrix(rows, cols, 9);
        let mut whole = SparseRows::default();
        whole.fill_from_dense(&x, rows, cols, false);
        let mut chunked = SparseRows::default();
        // Fill the chunks out of order, as parallel tasks may.
        let mut chunks = chunked.chunks_for_filling(rows, cols, 4);
        assert_eq!(
            chunks.iter().map(|c| c.rows()).collect::<Vec<_>>(),
            [4, 4, 3]
        );
        for (c, chunk) in chunks.iter_mut().enumerate().rev() {
            let end = ((c + 1) * 4).min(rows);
            chunk.fill_from_dense(&x[c * 4 * cols..end * cols]);
        }
        for r in 0..rows {
            assert_eq!(chunked.row(r), whole.row(r), "row {r}");
        }
        // No columns: every row is empty, whatever was there before.
        chunked.fill_from_dense(&[], rows, 0, true);
        assert_eq!((chunked.n_rows(), chunked.nonzeros()), (rows, 0));
    }

    #[test]
    fn generic_tile_equals_the_vector_tile() {
        let (m, k, n) = (9, 70, 150);
        let a = sparse_matrix(m, k, 4);
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 7.0)
            .collect();
        let mut sparse = SparseRows::default();
        sparse.fill_from_dense(&a, m, k, false);
        let mut fast = vec![0.0f32; m * n];
        sparse_times_dense(&mut fast, &sparse, &b, n, n, false);
        let mut plain = vec![f32::NAN; m * n];
        // SAFETY: plain holds m × n floats and columns 0..n exist.
        unsafe { column_tile_generic(&sparse, &b, n, n, 0, n, plain.as_mut_ptr(), &|_, _, _| {}) };
        for (x, y) in fast.iter().zip(&plain) {
            assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn finish_sees_every_piece_once_and_aligned_rows_hold_the_matrix() {
        let (m, k, n) = (13, 300, 290);
        let a = sparse_matrix(m, k, 7);
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 7 % 23) as f32 - 11.0) / 5.0)
            .collect();
        let mut aligned = AlignedRows::default();
        aligned.reshape(k, n);
        aligned.copy_from(&b);
        assert_eq!(aligned.as_slice().as_ptr() as usize % 64, 0);
        assert_eq!(aligned.stride() % 16, 0);
        let mut sparse = SparseRows::default();
        sparse.fill_from_dense(&a, m, k, true);
        let mut plain = vec![0.0f32; m * n];
        sparse_times_dense(&mut plain, &sparse, &b, n, n, true);
        // Into a destination with padding between its rows, which stays.
        let ldd = n + 7;
        let mut finished = vec![-9.0f32; (m - 1) * ldd + n];
        let seen = std::sync::Mutex::new(vec![0u32; m * n]);
        sparse_times_dense_then(
            &mut finished,
            ldd,
            &sparse,
            aligned.as_slice(),
            aligned.stride(),
            n,
            true,
            &|r, j0, x: &mut [f32]| {
                let mut seen = seen.lock().unwrap();
                for (j, v) in x.iter_mut().enumerate() {
                    seen[r * n + j0 + j] += 1;
                    *v = 2.0 * *v + 1.0;
                }
            },
        );
        assert!(seen.into_inner().unwrap().iter().all(|&c| c == 1));
        for (r, p) in plain.chunks_exact(n).enumerate() {
            let row = &finished[r * ldd..r * ldd + n];
            for (f, p) in row.iter().zip(p) {
                assert_eq!(*f, 2.0 * p + 1.0);
            }
            if r + 1 < m {
                assert!(finished[r * ldd + n..(r + 1) * ldd]
                    .iter()
                    .all(|&x| x == -9.0));
            }
        }
    }
}
