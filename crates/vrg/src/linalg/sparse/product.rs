//! The sparse × dense products: C = A·B with A a [`SparseRows`], blocked
//! like a dense GEMM, with AVX-512 and generic column-tile kernels.

use super::{blocks, AlignedRows, Finish, SparseRows};
use crate::linalg::disjoint::DisjointMut;
use crate::linalg::dispatch;
use rayon::prelude::*;

/// Columns of dst per task of [`sparse_times_dense`] (4 zmm accumulators).
pub const COLUMN_TILE: usize = 64;
/// Rows of B (depth) per block (the best of 32–256 measured with
/// `examples/gemm_shapes.rs`).
pub const DEPTH_BLOCK: usize = 128;
/// dst = A·B for sparse A (`m × k`) and dense B (`k × n`, row r at
/// `b[r·b_stride ..]`), dst row-major `m × n`. B's rows are best 64-byte
/// aligned ([`AlignedRows`](super::AlignedRows)): unaligned 16-lane loads straddle cache lines
/// and cost this kernel about a third of its speed.
///
/// Blocked like a dense GEMM: each task owns a tile of [`COLUMN_TILE`]
/// columns of dst and walks B in blocks of [`DEPTH_BLOCK`] rows, applying
/// every row of A's nonzeros in that block before moving on, so a block of
/// B is read from L2 once per task rather than once per nonzero. Tasks run
/// in parallel when `parallel`; each element is summed in an order fixed
/// by its row's nonzeros either way (in order on the generic path; on the
/// AVX-512 path within each depth block in G interleaved partial sums,
/// added in turn).
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
    sparse_times_dense_around(
        dst,
        dst_stride,
        a,
        b,
        b_stride,
        n,
        parallel,
        &|_, _, run| run(finish),
    );
}

/// A column tile's prologue for [`sparse_times_dense_around`]:
/// `around(j0, width, run)` prepares what the epilogue of columns
/// j0 .. j0 + width reads (say a block of another matrix, formed where it
/// stays in cache for the tile) and calls `run` exactly once with that
/// epilogue, which computes the tile and finishes its pieces.
pub type AroundTile<'a> = &'a (dyn Fn(usize, usize, &mut dyn FnMut(Finish<'_>)) + Sync);

/// [`sparse_times_dense_then`] with a prologue per column tile: each task
/// (columns j0 .. j0 + width, [`COLUMN_TILE`] wide) calls
/// `around(j0, width, run)`, and `run(finish)` computes the tile and calls
/// `finish(r, j, x)` on its pieces. Panics if `around` does not call
/// `run` exactly once.
#[allow(clippy::too_many_arguments)]
pub fn sparse_times_dense_around(
    dst: &mut [f32],
    dst_stride: usize,
    a: &SparseRows,
    b: &[f32],
    b_stride: usize,
    n: usize,
    parallel: bool,
    around: AroundTile<'_>,
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
        around,
    );
}

/// A dense k × n matrix B cut into panels of [`COLUMN_TILE`] columns,
/// each stored contiguously (k rows of `COLUMN_TILE` floats, 64-byte
/// aligned, the last panel zero-padded), for [`sparse_times_panels`].
///
/// In row-major B a depth block of [`DEPTH_BLOCK`] rows of one column tile
/// is spread over [`DEPTH_BLOCK`] rows of the whole matrix (e.g. 400 KB and
/// about 100 pages for n = 784), more than the first-level TLB maps; a
/// panel's block is 32 KB on 8 pages, and stays in L1. Worth packing when
/// B is multiplied many times, as AIS's weights are (14 500 temperatures).
#[derive(Clone, Debug, Default)]
pub struct ColumnPanels {
    k: usize,
    n: usize,
    panels: AlignedRows,
}

impl ColumnPanels {
    /// The panels of B (`k × n`, row r at `b[r·b_stride ..]`).
    pub fn new(b: &[f32], k: usize, n: usize, b_stride: usize) -> Self {
        assert!(
            b_stride >= n && (k == 0 || b.len() >= (k - 1) * b_stride + n),
            "panels: B is not {k} × {n} at stride {b_stride}"
        );
        let tiles = n.div_ceil(COLUMN_TILE);
        let mut panels = AlignedRows::default();
        panels.reshape(tiles * k, COLUMN_TILE);
        for t in 0..tiles {
            let (j0, width) = (t * COLUMN_TILE, COLUMN_TILE.min(n - t * COLUMN_TILE));
            for r in 0..k {
                let out = panels.row_mut(t * k + r);
                out[..width].copy_from_slice(&b[r * b_stride + j0..r * b_stride + j0 + width]);
                out[width..].fill(0.0);
            }
        }
        ColumnPanels { k, n, panels }
    }

    /// k, B's rows.
    pub fn rows(&self) -> usize {
        self.k
    }

    /// n, B's columns.
    pub fn cols(&self) -> usize {
        self.n
    }
}

/// dst = A·B for sparse A (`m × k`) and B held as [`ColumnPanels`], dst
/// row-major `m × n`, on the calling thread: the same sums, in the same
/// order, as [`sparse_times_dense`] on B itself (bit for bit), each
/// column tile read from its contiguous panel.
pub fn sparse_times_panels(dst: &mut [f32], a: &SparseRows, b: &ColumnPanels) {
    assert_eq!(
        a.n_cols, b.k,
        "sparse: A has {} columns, B {} rows",
        a.n_cols, b.k
    );
    let (k, n) = (b.k, b.n);
    let stride = b.panels.stride();
    for t in 0..n.div_ceil(COLUMN_TILE) {
        let j0 = t * COLUMN_TILE;
        let width = COLUMN_TILE.min(n - j0);
        let panel = &b.panels.as_slice()[t * k * stride..];
        sparse_times_dense_then(
            &mut dst[j0..],
            n,
            a,
            panel,
            stride,
            width,
            false,
            &|_, _, _| {},
        );
    }
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
        if dispatch::isa() == dispatch::Isa::Avx512 {
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

/// [`sparse_times_dense_around`] through the given path. Panics if the
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
    around: AroundTile<'_>,
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
        let mut runs = 0;
        around(j0, width, &mut |finish| {
            runs += 1;
            assert!(runs == 1, "sparse: a tile's prologue ran its product twice");
            // SAFETY: tasks own disjoint column ranges j0..j0 + width of
            // dst, which holds a.n_rows rows of n floats at stride
            // dst_stride, and each runs its tile once (asserted); the
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
        });
        assert!(
            runs == 1,
            "sparse: a tile's prologue did not run its product"
        );
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
                    $($v => unsafe { column_tile_avx512::<$v, { if $v >= 3 { 2 } else { 4 } }>(a, b, b_stride, ldd, j0, width, tail_mask, depth, dst, finish) },)*
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
pub(super) unsafe fn column_tile_generic(
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
            crate::linalg::axpy(out, v, &b[start..start + width]);
        }
        finish(r, j0, out);
    }
}

/// The AVX-512 [`column_tile`]: G groups of V vectors of accumulators
/// (the last vector masked to `tail_mask`), B in blocks of `depth` rows;
/// each row's nonzeros in the block are found by advancing a cursor and
/// dealt to the groups in turn (nonzero i to group i mod G, the run's last
/// i mod G to group 0), then the groups are added to group 0 in order. With
/// one group every addition waits for the previous one; G independent
/// chains hide that latency (G = 2 for tiles of 3–4 vectors, 4 for
/// narrower ones: 6–7 % off an AIS run on 784 × 500).
///
/// # Safety
/// As for [`column_tile`], with 16(V − 1) < width ≤ 16V and the processor
/// supporting AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn column_tile_avx512<const V: usize, const G: usize>(
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
                // G groups of V accumulators take the run's nonzeros in
                // turn, so that G independent chains of additions hide the
                // latency of each (one chain is latency-bound).
                let mut acc = [[_mm512_setzero_ps(); V]; G];
                if !first_block {
                    for (t, s) in acc[0].iter_mut().enumerate().take(V - 1) {
                        *s = _mm512_loadu_ps(out.add(16 * t));
                    }
                    acc[0][V - 1] = _mm512_maskz_loadu_ps(tail_mask, out.add(16 * (V - 1)));
                }
                let add_row = |acc: &mut [__m512; V], i: usize| {
                    let row = b.add(*indices.add(i) as usize * b_stride + j0);
                    let v = _mm512_set1_ps(*values.add(i));
                    for (t, s) in acc.iter_mut().enumerate().take(V - 1) {
                        *s = _mm512_fmadd_ps(v, _mm512_loadu_ps(row.add(16 * t)), *s);
                    }
                    let last = _mm512_maskz_loadu_ps(tail_mask, row.add(16 * (V - 1)));
                    acc[V - 1] = _mm512_fmadd_ps(v, last, acc[V - 1]);
                };
                let mut i = start;
                while i + G <= end {
                    for (g, group) in acc.iter_mut().enumerate() {
                        add_row(group, i + g);
                    }
                    i += G;
                }
                for i in i..end {
                    add_row(&mut acc[0], i);
                }
                let (first, rest) = acc.split_at_mut(1);
                for group in rest {
                    for (s, &x) in first[0].iter_mut().zip(group.iter()) {
                        *s = _mm512_add_ps(*s, x);
                    }
                }
                let acc = &first[0];
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
