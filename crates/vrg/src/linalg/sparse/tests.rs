//! Tests of the sparse products against dense ones, on every path.

use super::product::{column_tile_generic, sparse_times_dense_on, SparsePath};
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
                    path,
                    &mut dst,
                    dst_stride,
                    &sparse,
                    &b,
                    b_stride,
                    n,
                    parallel,
                    &|_, _, run| run(&finish),
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

/// B packed as column panels gives the products of B itself bit for bit
/// (the same sums in the same order), for widths that leave a partial last
/// panel, strided B, and rows whose nonzero counts are odd and even (the
/// kernel's accumulator groups and their remainder).
#[test]
fn panel_products_equal_strided_products_bit_for_bit() {
    for (m, k, n, b_stride) in [
        (1, 1, 1, 1),
        (25, 500, 784, 784),
        (25, 784, 500, 512),
        (3, 130, 64, 64),
        (4, 9, 65, 80),
        (6, 300, 17, 17),
    ] {
        let a = sparse_matrix(m, k, 5);
        let b: Vec<f32> = (0..k * b_stride)
            .map(|i| ((i * 29 % 103) as f32 - 51.0) / 13.0)
            .collect();
        let mut sparse = SparseRows::default();
        sparse.fill_from_dense(&a, m, k, false);
        let panels = ColumnPanels::new(&b, k, n, b_stride);
        assert_eq!((panels.rows(), panels.cols()), (k, n));
        let (mut direct, mut packed) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
        sparse_times_dense(&mut direct, &sparse, &b, b_stride, n, false);
        sparse_times_panels(&mut packed, &sparse, &panels);
        let same = direct
            .iter()
            .zip(&packed)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(
            same,
            "{m}×{k}×{n} (stride {b_stride}): panel product differs"
        );
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

/// Every path: the prologue sees each column tile once (tiles of
/// [`COLUMN_TILE`] columns covering 0..n, the last narrower), and the
/// finish it hands to `run` sees exactly the pieces of its own tile, with
/// what the prologue prepared for that tile.
#[test]
fn around_prepares_each_tile_before_its_pieces() {
    use std::sync::Mutex;
    let (m, k, n) = (11, 90, 2 * COLUMN_TILE + 21);
    let a = sparse_matrix(m, k, 9);
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 11 % 31) as f32 - 15.0) / 6.0)
        .collect();
    let mut sparse = SparseRows::default();
    sparse.fill_from_dense(&a, m, k, false);
    let mut plain = vec![0.0f32; m * n];
    sparse_times_dense(&mut plain, &sparse, &b, n, n, false);
    for path in SparsePath::available() {
        for parallel in [false, true] {
            let tiles = Mutex::new(Vec::new());
            let mut dst = vec![0.0f32; m * n];
            sparse_times_dense_on(
                path,
                &mut dst,
                n,
                &sparse,
                &b,
                n,
                n,
                parallel,
                &|j0, width, run| {
                    tiles.lock().unwrap().push((j0, width));
                    // Prepared for this tile: its first column, per column.
                    let offset: Vec<f32> = (j0..j0 + width).map(|j| j as f32).collect();
                    run(&|_, jp, x| {
                        assert!(
                            jp >= j0 && jp + x.len() <= j0 + width,
                            "piece outside its tile"
                        );
                        for (v, &o) in x.iter_mut().zip(&offset[jp - j0..]) {
                            *v += o;
                        }
                    });
                },
            );
            let mut tiles = tiles.into_inner().unwrap();
            tiles.sort_unstable();
            let expected: Vec<(usize, usize)> = (0..n.div_ceil(COLUMN_TILE))
                .map(|t| (t * COLUMN_TILE, COLUMN_TILE.min(n - t * COLUMN_TILE)))
                .collect();
            assert_eq!(tiles, expected, "{path:?} parallel {parallel}");
            for (r, (got, p)) in dst.chunks_exact(n).zip(plain.chunks_exact(n)).enumerate() {
                for (j, (g, p)) in got.iter().zip(p).enumerate() {
                    let want = p + j as f32;
                    assert!(
                        (g - want).abs() <= 1e-4 * (1.0 + want.abs()),
                        "{path:?} ({r}, {j}): {g} vs {want}"
                    );
                }
            }
        }
    }
}

/// A prologue that never runs its tile is a bug in the caller, not zeros.
#[test]
#[should_panic(expected = "did not run its product")]
fn around_must_run_its_tile() {
    let a = sparse_matrix(3, 5, 1);
    let mut sparse = SparseRows::default();
    sparse.fill_from_dense(&a, 3, 5, false);
    let b = vec![1.0f32; 5 * 4];
    let mut dst = vec![0.0f32; 3 * 4];
    sparse_times_dense_around(&mut dst, 4, &sparse, &b, 4, 4, false, &|_, _, _| {});
}

/// Nor may it run its tile twice (the finish would apply twice).
#[test]
#[should_panic(expected = "ran its product twice")]
fn around_must_not_run_its_tile_twice() {
    let a = sparse_matrix(3, 5, 1);
    let mut sparse = SparseRows::default();
    sparse.fill_from_dense(&a, 3, 5, false);
    let b = vec![1.0f32; 5 * 4];
    let mut dst = vec![0.0f32; 3 * 4];
    sparse_times_dense_around(&mut dst, 4, &sparse, &b, 4, 4, false, &|_, _, run| {
        run(&|_, _, _| {});
        run(&|_, _, _| {});
    });
}
