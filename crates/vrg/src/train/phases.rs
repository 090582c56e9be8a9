//! The pieces of one update ([`super::trainer`]): conditional means of a
//! layer through the dense or sparse products, sampling them in place from
//! per-chunk random streams, dropout masks, column means in f64, and the
//! runner that keeps the pool's threads awake between the update's
//! parallel regions.

use super::trainer::{CHUNK_ROWS, PARALLEL_ELEMENTS};
use crate::linalg::aligned::AlignedRows;
use crate::linalg::sparse::{sparse_times_dense_then, SparseChunk, SparseRows};
use crate::linalg::{self, gemm_then, Operand};
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::rng::{self, Rng};
use rayon::prelude::*;

/// Takes `count` consecutive streams from `cursor` and moves it past them.
pub(super) fn take_streams(cursor: &mut Rng, count: usize) -> Vec<Rng> {
    let streams = rng::streams(cursor, count);
    for _ in 0..count {
        cursor.jump();
    }
    streams
}

/// H = mean of the hidden units given `v` (`rows × n_visible`), written
/// to `out` at row stride `out_stride`, with W from `weights`; through the
/// sparse product when `sparse` gives v's nonzeros.
pub(super) fn hidden_means(
    rbm: &Rbm,
    weights: &AlignedRows,
    v: &[f32],
    rows: usize,
    out: &mut [f32],
    out_stride: usize,
    sparse: Option<&SparseRows>,
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let bias = rbm.hidden_bias();
    let units = rbm.hidden_units();
    let activate = move |x: &mut [f32], bias: &[f32]| match units {
        HiddenUnits::Bernoulli => linalg::sigmoid_rows(x, bias),
        HiddenUnits::Spin => linalg::tanh_rows(x, bias),
        // E[h | v] = x for unit-variance Gaussian units.
        HiddenUnits::Gaussian => linalg::add_bias_rows(x, bias),
    };
    if let Some(nonzeros) = sparse {
        // The activation is applied to each finished piece of the product.
        sparse_times_dense_then(
            out,
            out_stride,
            nonzeros,
            weights.as_slice(),
            weights.stride(),
            nh,
            rows * nv * nh >= linalg::PARALLEL_MULTIPLY_ADDS,
            &|_, j0, x| activate(x, &bias[j0..j0 + x.len()]),
        );
        return;
    }
    gemm_then(
        out,
        out_stride,
        Operand::new(&v[..rows * nv], rows, nv),
        Operand::with_stride(weights.as_slice(), nv, nh, weights.stride()),
        1.0,
        false,
        Some(&|_, j0, x| activate(x, &bias[j0..j0 + x.len()])),
    );
}

/// V = mean of the visible units given `h` (`rows × n_hidden`), with W
/// from `weights`.
pub(super) fn visible_means(
    rbm: &Rbm,
    weights: &AlignedRows,
    h: &[f32],
    rows: usize,
    out: &mut [f32],
) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let bias = rbm.visible_bias();
    let units = rbm.visible_units();
    // The activation is applied to each finished piece of the product.
    let activate = |_: usize, j0: usize, x: &mut [f32]| {
        let bias = &bias[j0..j0 + x.len()];
        match units {
            VisibleUnits::Bernoulli => linalg::sigmoid_rows(x, bias),
            VisibleUnits::Spin => linalg::tanh_rows(x, bias),
            VisibleUnits::Gaussian => linalg::add_bias_rows(x, bias),
        }
    };
    gemm_then(
        &mut out[..rows * nv],
        nv,
        Operand::new(&h[..rows * nh], rows, nh),
        Operand::with_stride(weights.as_slice(), nv, nh, weights.stride()).t(),
        1.0,
        false,
        Some(&activate),
    );
}

/// Replaces means (`rows × n`, row-major) by samples, chunk c of
/// [`CHUNK_ROWS`] rows drawing from `streams[c]`. `binary`: Bernoulli
/// {0,1}; `spin`: ±1; otherwise Gaussian with unit variance. With
/// `source` = Some((x, stride)) the means are first copied from the rows of
/// x (row r at x[r·stride ..]); with `nonzeros`, each chunk's samples are
/// also compressed into it, by the task that drew them.
pub(super) fn sample_in_place(
    means: &mut [f32],
    n: usize,
    kind: UnitKind,
    streams: &mut [Rng],
    source: Option<(&[f32], usize)>,
    nonzeros: Option<&mut SparseRows>,
) {
    thread_local! {
        static BITS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let chunks = means.len().div_ceil(CHUNK_ROWS * n.max(1));
    let mut fills: Vec<Option<SparseChunk<'_>>> = match nonzeros {
        Some(s) => {
            let rows = means.len() / n.max(1);
            s.chunks_for_filling(rows, n, CHUNK_ROWS)
                .into_iter()
                .map(Some)
                .collect()
        }
        None => Vec::new(),
    };
    fills.resize_with(chunks, || None);
    type Task<'s> = (
        usize,
        ((&'s mut [f32], &'s mut Rng), Option<SparseChunk<'s>>),
    );
    let sample_chunk = |(c, ((chunk, stream), fill)): Task<'_>| {
        if let Some((x, stride)) = source {
            for (i, row) in chunk.chunks_exact_mut(n).enumerate() {
                let r = c * CHUNK_ROWS + i;
                row.copy_from_slice(&x[r * stride..r * stride + n]);
            }
        }
        match kind {
            UnitKind::Bernoulli | UnitKind::Spin => BITS.with(|bits| {
                let bits = &mut *bits.borrow_mut();
                bits.resize(chunk.len(), 0);
                linalg::fill_random_bits(stream, bits);
                if kind == UnitKind::Bernoulli {
                    linalg::bernoulli_in_place(chunk, bits);
                } else {
                    linalg::spin_in_place(chunk, bits);
                }
            }),
            UnitKind::Gaussian => crate::rbm::add_standard_normal(chunk, stream),
        }
        if let Some(mut fill) = fill {
            fill.fill_from_dense(chunk);
        }
    };
    // Each chunk has its own stream, so running chunks in parallel draws
    // the same numbers as running them in order.
    if means.len() >= PARALLEL_ELEMENTS {
        means
            .par_chunks_mut(CHUNK_ROWS * n)
            .zip(streams.par_iter_mut())
            .zip(fills)
            .enumerate()
            .for_each(sample_chunk);
    } else {
        means
            .chunks_mut(CHUNK_ROWS * n)
            .zip(streams.iter_mut())
            .zip(fills)
            .enumerate()
            .for_each(sample_chunk);
    }
}

/// How long a thread kept awake by [`with_pool_awake`] looks for work
/// before it gives up and lets rayon put it to sleep.
pub(super) const KEEP_AWAKE_IDLE: std::time::Duration = std::time::Duration::from_micros(200);

/// Runs `body` (on this thread) while the pool's other threads keep looking
/// for work instead of going to sleep. An update has about a dozen parallel
/// regions separated by short serial steps; a rayon thread idle for more
/// than ~20 µs sleeps, and waking it costs the next region a futex call
/// and its first ~20 µs of parallelism (about a tenth of an update at batch
/// 100 on two cores, measured). The helpers run `rayon::yield_now` in a
/// loop and stop when `body` returns, or after [`KEEP_AWAKE_IDLE`] without
/// work (so that helpers of two bodies running at once in one pool cannot
/// wait on each other forever). Results do not depend on it: only who runs
/// each task changes.
pub(super) fn with_pool_awake<R>(body: impl FnOnce() -> R) -> R {
    use std::sync::atomic::{AtomicBool, Ordering};
    if rayon::current_num_threads() < 2 {
        return body();
    }
    let done = AtomicBool::new(false);
    let me = rayon::current_thread_index();
    rayon::in_place_scope(|scope| {
        scope.spawn_broadcast(|_, context| {
            if Some(context.index()) == me {
                return;
            }
            let mut idle_since = std::time::Instant::now();
            while !done.load(Ordering::Acquire) {
                if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                    idle_since = std::time::Instant::now();
                } else if idle_since.elapsed() > KEEP_AWAKE_IDLE {
                    break;
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let result = body();
        done.store(true, Ordering::Release);
        result
    })
}

/// x[r, ..n] *= mask[r, ..] for the rows of x (`stride` apart) and of the
/// contiguous `mask` (n columns).
pub(super) fn multiply_rows(x: &mut [f32], stride: usize, mask: &[f32], n: usize) {
    for (row, m) in x.chunks_mut(stride).zip(mask.chunks_exact(n)) {
        for (h, m) in row[..n].iter_mut().zip(m) {
            *h *= m;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitKind {
    Bernoulli,
    Spin,
    Gaussian,
}

pub(super) fn visible_kind(units: VisibleUnits) -> UnitKind {
    match units {
        VisibleUnits::Bernoulli => UnitKind::Bernoulli,
        VisibleUnits::Spin => UnitKind::Spin,
        VisibleUnits::Gaussian => UnitKind::Gaussian,
    }
}

pub(super) fn hidden_kind(units: HiddenUnits) -> UnitKind {
    match units {
        HiddenUnits::Bernoulli => UnitKind::Bernoulli,
        HiddenUnits::Spin => UnitKind::Spin,
        HiddenUnits::Gaussian => UnitKind::Gaussian,
    }
}

/// Column means (in f64, rows summed in order) of `rows` rows of n values,
/// `stride` apart.
pub(super) fn column_means(x: &[f32], rows: usize, n: usize, stride: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|o| *o = 0.0);
    for r in 0..rows {
        linalg::add_column_sums(&x[r * stride..r * stride + n], out);
    }
    out.iter_mut().for_each(|o| *o /= rows as f64);
}
