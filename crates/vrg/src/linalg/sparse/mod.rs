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
//! parallel, and every output element is summed in an order fixed by its
//! row's nonzeros alone: results do not depend on the thread count.
//!
//! By role: the nonzeros' structure and its filling from dense rows
//! (`rows`), the transpose of a stack of them for the gradient products
//! (`transpose`), and the sparse × dense products (`product`).

mod product;
mod rows;
#[cfg(test)]
mod tests;
mod transpose;

pub use super::aligned::AlignedRows;
pub use super::Finish;
pub use product::{
    sparse_times_dense, sparse_times_dense_around, sparse_times_dense_then, sparse_times_panels,
    AroundTile, ColumnPanels, COLUMN_TILE, DEPTH_BLOCK,
};

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
