//! Swendsen's Monte Carlo renormalization group (MCRG): the linearised RG
//! matrix of a block-spin transform, and the critical exponents y_T and
//! y_H from its eigenvalues, measured from equilibrium configurations.
//!
//! # Method (Swendsen 1979; Swendsen 1982, §4)
//! Write the Hamiltonian of the configurations at blocking level n as
//! H^{(n)} = Σ_α K_α^{(n)} S_α^{(n)}, with S_α^{(n)} the lattice sums of
//! products of block spins of the shapes in [`OPERATORS`] (the sign
//! convention, −βH or βH, cancels). The chain rule for the expectation of
//! a level-(n) operator,
//!
//! ∂⟨S_γ^{(n)}⟩/∂K_β^{(n−1)} = Σ_α ∂⟨S_γ^{(n)}⟩/∂K_α^{(n)} · ∂K_α^{(n)}/∂K_β^{(n−1)},
//!
//! with ∂⟨X⟩/∂K_β = ⟨X S_β⟩ − ⟨X⟩⟨S_β⟩, reads **B = A T** (Swendsen 1979,
//! eqs. 4–6), where
//!
//! - A_γα = ⟨S_γ^{(n)} S_α^{(n)}⟩ − ⟨S_γ^{(n)}⟩⟨S_α^{(n)}⟩,
//! - B_γβ = ⟨S_γ^{(n)} S_β^{(n−1)}⟩ − ⟨S_γ^{(n)}⟩⟨S_β^{(n−1)}⟩,
//! - T_αβ = ∂K_α^{(n)}/∂K_β^{(n−1)}, the linearised RG matrix of the step
//!   from level n − 1 to level n ("level n" below).
//!
//! T is computed in a truncated operator space, separately for the even
//! operators (products of an even number of spins; the thermal sector)
//! and the odd ones (the magnetic sector), which do not mix at h = 0. Its
//! largest eigenvalue λ gives the exponent y = ln λ / ln b: y_T from the
//! even sector (1 for the 2D Ising model), y_H from the odd one (15/8).
//! An operator enters level n only if it fits on the level's lattice (its
//! extent e, the largest coordinate difference between its spins,
//! satisfies 2e ≤ L/bⁿ), so that no two of its spins coincide and its
//! bonds are not the periodic images of another operator's.
//!
//! # Matched lattices (Swendsen 1979 PRB; Swendsen 1982, §5)
//! Configurations of an L lattice blocked n times and of an L/b lattice
//! blocked n − 1 times live on lattices of the same side, so comparing
//! them removes most finite-size effects. The matched-lattice map K → K′
//! is defined by ⟨S_γ^{(n)}⟩_L(K) = ⟨S_γ^{(n−1)}⟩_{L/b}(K′); differentiating
//! with respect to the couplings K^{(0)} of the unblocked lattices gives
//! again B = A T, now with
//!
//! - B_γβ = ⟨S_γ^{(n)} S_β^{(0)}⟩_c on the L lattice,
//! - A_γα = ⟨S_γ^{(n−1)} S_α^{(0)}⟩_c on the L/b lattice,
//! - T_αβ = ∂K′_α/∂K_β, which near the fixed point is conjugate to the RG
//!   step (T = (DRⁿ⁻¹)⁻¹ DRⁿ) and has the eigenvalues b^{y}.
//!
//! This is well conditioned at level 1 only: after several blockings the
//! response to every K^{(0)} direction is dominated by the one relevant
//! direction, A is nearly of rank one, and A⁻¹ amplifies the noise (the
//! bench `benches/mcrg.sh` shows y_T's jackknife error growing from 0.01
//! at level 1 to O(1) at level 2 with 10⁵ configurations).
//!
//! # Given levels
//! [`mcrg`] makes its levels by blocking one lattice repeatedly;
//! [`mcrg_levels`] takes the levels' configurations instead, from any
//! coarse-graining (e.g. a DBN's hidden units placed on coarse lattices,
//! [`super::learned_mcrg`]), each level's T then using its own block
//! side b_n = L_{n−1}/L_n. Both share the operator values, the integer
//! moments, the jackknife and the solve of B = A T; fed the levels of
//! [`super::block_spin::block_levels`], [`mcrg_levels`] gives [`mcrg`]'s
//! plain-form results bit for bit.
//!
//! # Errors bars
//! Jackknife over blocks of consecutive configurations (Efron 1982): the
//! data are cut into J blocks, every quantity is recomputed J times with
//! one block left out, and σ² = (J − 1)/J Σ_j (x_j − x̄)².
//!
//! # References
//! - R. H. Swendsen, "Monte Carlo renormalization group", Phys. Rev. Lett.
//!   42, 859 (1979).
//! - R. H. Swendsen, "Monte Carlo renormalization-group studies of the d = 2
//!   Ising model", Phys. Rev. B 20, 2080 (1979).
//! - R. H. Swendsen, "Monte Carlo renormalization", in *Real-Space
//!   Renormalization*, T. W. Burkhardt and J. M. J. van Leeuwen eds.,
//!   Topics in Current Physics 30 (Springer, 1982), p. 57.
//! - Y. Wu and R. Car, "Variational approach to Monte Carlo
//!   renormalization group", Phys. Rev. Lett. 119, 220602 (2017) (MCRG
//!   y_T = 0.991, y_H = 1.860 with 3 × 3 majority blocks at L = 45).
//! - B. Efron, *The Jackknife, the Bootstrap and Other Resampling Plans*
//!   (SIAM, 1982).

use super::block_spin::{
    block_chunk, block_sides, check_i8_spins, tie_break_streams, BlockRule, TIE_BREAK_CHUNK,
};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// One operator S = Σ_i Σ_shapes Π_{δ ∈ shape} s_{i+δ}: the lattice sum,
/// over all sites i and over the shape's orientations, of the product of
/// the spins at the offsets (row, column).
#[derive(Clone, Copy, Debug)]
pub struct Operator {
    pub name: &'static str,
    /// Odd operators (an odd number of spins) form the magnetic sector.
    pub odd: bool,
    /// The orientations of the shape, each a list of (row, column) offsets.
    pub shapes: &'static [&'static [(i32, i32)]],
}

impl Operator {
    /// The largest coordinate difference between two spins of a shape.
    pub fn extent(&self) -> usize {
        self.shapes
            .iter()
            .flat_map(|shape| {
                shape.iter().flat_map(move |a| {
                    shape
                        .iter()
                        .map(move |b| (a.0 - b.0).unsigned_abs().max((a.1 - b.1).unsigned_abs()))
                })
            })
            .max()
            .unwrap_or(0) as usize
    }

    /// Whether the operator fits on a side-`side` periodic lattice: 2e ≤ side.
    pub fn fits(&self, side: usize) -> bool {
        2 * self.extent() <= side
    }
}

/// The operators of the MCRG analysis, short-range ones of the kinds
/// Swendsen (1979) truncates to: six even ones (pairs at separations (0,1), (1,1),
/// (0,2), (1,2), (2,2) and the plaquette) and three odd ones (the spin, the
/// plaquette's three-spin corners and straight three-spin lines).
pub const OPERATORS: &[Operator] = &[
    Operator {
        name: "nn (0,1)",
        odd: false,
        shapes: &[&[(0, 0), (0, 1)], &[(0, 0), (1, 0)]],
    },
    Operator {
        name: "nnn (1,1)",
        odd: false,
        shapes: &[&[(0, 0), (1, 1)], &[(0, 0), (1, -1)]],
    },
    Operator {
        name: "plaquette",
        odd: false,
        shapes: &[&[(0, 0), (0, 1), (1, 0), (1, 1)]],
    },
    Operator {
        name: "pair (0,2)",
        odd: false,
        shapes: &[&[(0, 0), (0, 2)], &[(0, 0), (2, 0)]],
    },
    Operator {
        name: "pair (1,2)",
        odd: false,
        shapes: &[
            &[(0, 0), (1, 2)],
            &[(0, 0), (2, 1)],
            &[(0, 0), (1, -2)],
            &[(0, 0), (2, -1)],
        ],
    },
    Operator {
        name: "pair (2,2)",
        odd: false,
        shapes: &[&[(0, 0), (2, 2)], &[(0, 0), (2, -2)]],
    },
    Operator {
        name: "spin",
        odd: true,
        shapes: &[&[(0, 0)]],
    },
    Operator {
        name: "plaquette triple",
        odd: true,
        shapes: &[
            &[(0, 0), (0, 1), (1, 0)],
            &[(0, 0), (0, 1), (1, 1)],
            &[(0, 0), (1, 0), (1, 1)],
            &[(0, 1), (1, 0), (1, 1)],
        ],
    },
    Operator {
        name: "line triple",
        odd: true,
        shapes: &[&[(0, 0), (0, 1), (0, 2)], &[(0, 0), (1, 0), (2, 0)]],
    },
];

/// Padding of [`operator_values`]' periodic copy: at least the largest
/// offset of any shape.
const PAD: usize = 2;

/// The values of all [`OPERATORS`] (offsets within ±2) on one ±1
/// configuration of a periodic `side × side` lattice (site r·side + c),
/// written into `out`. The configuration is first copied into a periodic
/// padded array, so that every product reads straight rows.
pub fn operator_values(config: &[i8], side: usize, out: &mut [i64]) {
    let width = side + 2 * PAD;
    let mut padded = vec![0i8; width * width];
    for pr in 0..width {
        let r = (pr + side * PAD - PAD) % side;
        for pc in 0..width {
            let c = (pc + side * PAD - PAD) % side;
            padded[pr * width + pc] = config[r * side + c];
        }
    }
    let row_at = |r: usize, (dr, dc): (i32, i32)| {
        let start = (r as i64 + PAD as i64 + dr as i64) as usize * width
            + (PAD as i64 + dc as i64) as usize;
        &padded[start..start + side]
    };
    for (op, value) in OPERATORS.iter().zip(out.iter_mut()) {
        let mut total = 0i64;
        for shape in op.shapes {
            for r in 0..side {
                let sum: i32 = match *shape {
                    [a] => row_at(r, *a).iter().map(|&x| x as i32).sum(),
                    [a, b] => row_at(r, *a)
                        .iter()
                        .zip(row_at(r, *b))
                        .map(|(&x, &y)| (x * y) as i32)
                        .sum(),
                    [a, b, c] => row_at(r, *a)
                        .iter()
                        .zip(row_at(r, *b))
                        .zip(row_at(r, *c))
                        .map(|((&x, &y), &z)| (x * y * z) as i32)
                        .sum(),
                    [a, b, c, d] => row_at(r, *a)
                        .iter()
                        .zip(row_at(r, *b))
                        .zip(row_at(r, *c))
                        .zip(row_at(r, *d))
                        .map(|(((&x, &y), &z), &w)| (x * y * z * w) as i32)
                        .sum(),
                    _ => unreachable!("OPERATORS' shapes have 1 to 4 spins"),
                };
                total += sum as i64;
            }
        }
        *value = total;
    }
}

/// First and second moments of the operator vector (all levels stacked)
/// of a set of configurations, in exact integer arithmetic.
#[derive(Clone, Debug, PartialEq)]
struct Moments {
    count: u64,
    sums: Vec<i128>,
    /// Row-major dim × dim.
    products: Vec<i128>,
}

impl Moments {
    fn new(dim: usize) -> Self {
        Moments {
            count: 0,
            sums: vec![0; dim],
            products: vec![0; dim * dim],
        }
    }

    fn push(&mut self, v: &[i64]) {
        let dim = v.len();
        self.count += 1;
        for (a, &x) in v.iter().enumerate() {
            self.sums[a] += x as i128;
            let row = &mut self.products[a * dim..(a + 1) * dim];
            for (p, &y) in row.iter_mut().zip(v) {
                *p += (x * y) as i128;
            }
        }
    }

    fn add(&mut self, other: &Moments, sign: i128) {
        self.count = if sign > 0 {
            self.count + other.count
        } else {
            self.count - other.count
        };
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += sign * b;
        }
        for (a, b) in self.products.iter_mut().zip(&other.products) {
            *a += sign * b;
        }
    }

    /// ⟨X_a X_b⟩ − ⟨X_a⟩⟨X_b⟩.
    fn covariance(&self, a: usize, b: usize) -> f64 {
        let n = self.count as f64;
        let dim = self.sums.len();
        self.products[a * dim + b] as f64 / n
            - (self.sums[a] as f64 / n) * (self.sums[b] as f64 / n)
    }
}

/// What an MCRG analysis is run with.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct McrgOptions {
    pub block: usize,
    pub rule: BlockRule,
    /// Blocking levels (T of level n maps level n − 1 to level n).
    pub levels: usize,
    /// Jackknife blocks of consecutive configurations (≥ 2).
    pub jackknife: usize,
    /// Seed of the majority rule's tie-breaks.
    pub seed: u64,
}

/// The operator vectors, level by level, of every configuration: row k
/// holds [S(level 0), S(level 1), …, S(level `levels`)] of configuration
/// k, each [`OPERATORS`].len() long. Parallel over chunks of
/// [`TIE_BREAK_CHUNK`] configurations with their own tie-break streams.
fn operator_table(spins: &[i8], rows: usize, sides: &[usize], options: &McrgOptions) -> Vec<i64> {
    let n_ops = OPERATORS.len();
    let width = n_ops * sides.len();
    let levels = sides.len() - 1;
    let mut streams: Vec<Vec<crate::rng::Rng>> = (1..=levels)
        .map(|level| tie_break_streams(options.seed, level, rows))
        .collect();
    // Transpose: per chunk, its stream of every level.
    let n_chunks = rows.div_ceil(TIE_BREAK_CHUNK);
    let mut chunk_streams: Vec<Vec<crate::rng::Rng>> = (0..n_chunks)
        .map(|c| streams.iter_mut().map(|s| s[c].clone()).collect())
        .collect();
    let side = sides[0];
    let mut table = vec![0i64; rows * width];
    table
        .par_chunks_mut(TIE_BREAK_CHUNK * width)
        .zip(spins.par_chunks(TIE_BREAK_CHUNK * side * side))
        .zip(chunk_streams.par_iter_mut())
        .for_each(|((out, chunk), rngs)| {
            let n = chunk.len() / (side * side);
            let mut current = chunk.to_vec();
            for (level, &s) in sides.iter().enumerate() {
                if level > 0 {
                    let mut next = vec![0i8; n * s * s];
                    block_chunk(
                        &current,
                        sides[level - 1],
                        options.block,
                        options.rule,
                        &mut rngs[level - 1],
                        &mut next,
                    );
                    current = next;
                }
                for (k, config) in current.chunks_exact(s * s).enumerate() {
                    let at = k * width + level * n_ops;
                    operator_values(config, s, &mut out[at..at + n_ops]);
                }
            }
        });
    table
}

/// The moments of each jackknife block of the operator table, and their
/// total.
fn block_moments(
    table: &[i64],
    rows: usize,
    width: usize,
    jackknife: usize,
) -> (Moments, Vec<Moments>) {
    let blocks: Vec<Moments> = (0..jackknife)
        .into_par_iter()
        .map(|j| {
            let (start, end) = (j * rows / jackknife, (j + 1) * rows / jackknife);
            let mut m = Moments::new(width);
            for v in table[start * width..end * width].chunks_exact(width) {
                m.push(v);
            }
            m
        })
        .collect();
    let mut total = Moments::new(width);
    blocks.iter().for_each(|b| total.add(b, 1));
    (total, blocks)
}

/// An estimate with its jackknife error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Jackknifed {
    pub value: f64,
    pub error: f64,
}

/// One sector (even or odd) of one level.
#[derive(Clone, Debug, Serialize)]
pub struct SectorResult {
    /// The operators used, in the order of the matrices' rows.
    pub operators: Vec<&'static str>,
    /// A (row-major), its jackknife errors, B and its errors, T and its
    /// errors (see the module documentation).
    pub a: Vec<f64>,
    pub a_err: Vec<f64>,
    pub b: Vec<f64>,
    pub b_err: Vec<f64>,
    pub t: Vec<f64>,
    pub t_err: Vec<f64>,
    /// Eigenvalues of T as (real, imaginary), by decreasing modulus.
    pub eigenvalues: Vec<(f64, f64)>,
    /// The largest real eigenvalue λ and y = ln λ / ln b, with errors.
    pub leading: Jackknifed,
    pub y: Jackknifed,
}

/// One blocking level's results.
#[derive(Clone, Debug, Serialize)]
pub struct LevelResult {
    /// n: T maps level n − 1 to level n.
    pub level: usize,
    /// Side of the level-n lattice.
    pub side: usize,
    pub even: SectorResult,
    pub odd: SectorResult,
}

/// The MCRG analysis.
#[derive(Clone, Debug, Serialize)]
pub struct McrgResult {
    pub options: McrgOptions,
    pub size: usize,
    pub configurations: usize,
    /// Side and configurations of the matched (L/b) lattice, if used.
    pub matched: Option<(usize, usize)>,
    pub levels: Vec<LevelResult>,
}

/// A matrix of covariances and the point estimate/errors of a function of
/// the moments, jackknifed.
fn jackknife<F: Fn(&[&Moments]) -> Option<Vec<f64>>>(
    totals: &[Moments],
    blocks: &[&[Moments]],
    f: F,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let full: Vec<&Moments> = totals.iter().collect();
    let value = f(&full).ok_or_else(|| {
        Error::invalid(
            "configurations",
            "a singular correlation matrix",
            "configurations whose operators fluctuate independently (more or more varied configurations)",
        )
    })?;
    let j = blocks[0].len();
    let mut replicates: Vec<Vec<f64>> = Vec::with_capacity(j);
    for k in 0..j {
        let left: Vec<Moments> = totals
            .iter()
            .zip(blocks)
            .map(|(t, b)| {
                let mut m = t.clone();
                m.add(&b[k], -1);
                m
            })
            .collect();
        let refs: Vec<&Moments> = left.iter().collect();
        replicates.push(f(&refs).unwrap_or_else(|| vec![f64::NAN; value.len()]));
    }
    let error = (0..value.len())
        .map(|i| {
            let mean = replicates.iter().map(|r| r[i]).sum::<f64>() / j as f64;
            let ss: f64 = replicates.iter().map(|r| (r[i] - mean).powi(2)).sum();
            (ss * (j as f64 - 1.0) / j as f64).sqrt()
        })
        .collect();
    Ok((value, error))
}

/// Solves A X = B (n × n, row-major) by Gaussian elimination with partial
/// pivoting; None if A is singular to working precision.
pub fn solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut a = a.to_vec();
    let mut x = b.to_vec();
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&p, &q| a[p * n + col].abs().total_cmp(&a[q * n + col].abs()))?;
        if a[pivot * n + col].abs() <= 1e-13 * scale {
            return None;
        }
        for k in 0..n {
            a.swap(col * n + k, pivot * n + k);
            x.swap(col * n + k, pivot * n + k);
        }
        for row in 0..n {
            if row != col {
                let factor = a[row * n + col] / a[col * n + col];
                if factor != 0.0 {
                    for k in 0..n {
                        a[row * n + k] -= factor * a[col * n + k];
                        x[row * n + k] -= factor * x[col * n + k];
                    }
                }
            }
        }
    }
    for row in 0..n {
        let d = a[row * n + row];
        for k in 0..n {
            x[row * n + k] /= d;
        }
    }
    Some(x)
}

/// Eigenvalues (real, imaginary) of a real n × n matrix (row-major), by
/// decreasing modulus: the unshifted QR algorithm (Francis 1961) by
/// modified Gram–Schmidt, iterated to a quasi-triangular form whose 1 × 1
/// and 2 × 2 diagonal blocks give the eigenvalues.
///
/// # References
/// - J. G. F. Francis, Comput. J. 4, 265 (1961).
pub fn eigenvalues(m: &[f64], n: usize) -> Vec<(f64, f64)> {
    let mut a = m.to_vec();
    let at = |a: &Vec<f64>, r: usize, c: usize| a[r * n + c];
    for _ in 0..20_000 {
        // A = QR by modified Gram–Schmidt on the columns.
        let mut q = vec![0.0f64; n * n];
        let mut r = vec![0.0f64; n * n];
        let mut cols: Vec<Vec<f64>> = (0..n)
            .map(|c| (0..n).map(|i| at(&a, i, c)).collect())
            .collect();
        for c in 0..n {
            for p in 0..c {
                let dot: f64 = (0..n).map(|i| q[i * n + p] * cols[c][i]).sum();
                r[p * n + c] = dot;
                for i in 0..n {
                    cols[c][i] -= dot * q[i * n + p];
                }
            }
            let norm = cols[c].iter().map(|v| v * v).sum::<f64>().sqrt();
            r[c * n + c] = norm;
            for i in 0..n {
                q[i * n + c] = if norm > 0.0 { cols[c][i] / norm } else { 0.0 };
            }
        }
        // A ← R Q.
        let mut next = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                next[i * n + j] = (i..n).map(|k| r[i * n + k] * q[k * n + j]).sum();
            }
        }
        a = next;
        // Converged when no two consecutive sub-diagonal entries are both
        // non-negligible (only 1 × 1 and 2 × 2 blocks remain) and each
        // 2 × 2 block has complex eigenvalues or a negligible corner.
        let small = |i: usize, a: &Vec<f64>| {
            at(a, i + 1, i).abs()
                <= 1e-12 * (at(a, i, i).abs() + at(a, i + 1, i + 1).abs() + 1e-300)
        };
        let lower_ok = (0..n).all(|r| (0..r.saturating_sub(1)).all(|c| at(&a, r, c).abs() < 1e-12));
        if lower_ok && (0..n.saturating_sub(2)).all(|i| small(i, &a) || small(i + 1, &a)) {
            let complex_blocks =
                (0..n.saturating_sub(1)).all(|i| small(i, &a) || block_is_complex(&a, n, i));
            if complex_blocks {
                break;
            }
        }
    }
    let mut values = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let off = if i + 1 < n {
            at(&a, i + 1, i).abs()
        } else {
            0.0
        };
        let scale = at(&a, i, i).abs()
            + if i + 1 < n {
                at(&a, i + 1, i + 1).abs()
            } else {
                0.0
            };
        if i + 1 < n && off > 1e-12 * (scale + 1e-300) {
            let (p, q, r, s) = (
                at(&a, i, i),
                at(&a, i, i + 1),
                at(&a, i + 1, i),
                at(&a, i + 1, i + 1),
            );
            let (half_trace, det) = ((p + s) / 2.0, p * s - q * r);
            let disc = half_trace * half_trace - det;
            if disc >= 0.0 {
                values.push((half_trace + disc.sqrt(), 0.0));
                values.push((half_trace - disc.sqrt(), 0.0));
            } else {
                values.push((half_trace, (-disc).sqrt()));
                values.push((half_trace, -(-disc).sqrt()));
            }
            i += 2;
        } else {
            values.push((at(&a, i, i), 0.0));
            i += 1;
        }
    }
    values.sort_by(|x, y| (y.0.hypot(y.1)).total_cmp(&x.0.hypot(x.1)));
    values
}

fn block_is_complex(a: &[f64], n: usize, i: usize) -> bool {
    let (p, q, r, s) = (
        a[i * n + i],
        a[i * n + i + 1],
        a[(i + 1) * n + i],
        a[(i + 1) * n + i + 1],
    );
    let half_trace = (p + s) / 2.0;
    half_trace * half_trace - (p * s - q * r) < 0.0
}

/// The largest real eigenvalue (NaN if there is none).
fn leading_real(values: &[(f64, f64)]) -> f64 {
    values
        .iter()
        .filter(|v| v.1 == 0.0)
        .map(|v| v.0)
        .fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m })
}

/// Which moments (data set and level) the rows and columns of A and B
/// come from: (data set index, level) for A's rows, A's columns, B's rows
/// (= A's rows) and B's columns.
#[derive(Clone, Copy)]
struct Pairing {
    a_rows: (usize, usize),
    a_cols: (usize, usize),
    b_rows: (usize, usize),
    b_cols: (usize, usize),
}

fn sector(
    totals: &[Moments],
    blocks: &[&[Moments]],
    ops: &[usize],
    pairing: Pairing,
    block: usize,
) -> Result<SectorResult> {
    let n = ops.len();
    let n_ops = OPERATORS.len();
    let index = |(_, level): (usize, usize), op: usize| level * n_ops + op;
    let matrix = |m: &[&Moments], rows: (usize, usize), cols: (usize, usize)| -> Vec<f64> {
        let mut out = Vec::with_capacity(n * n);
        for &g in ops {
            for &a in ops {
                // Cross-data-set moments never occur: rows and columns of
                // one matrix come from the same data set.
                out.push(m[rows.0].covariance(index(rows, g), index(cols, a)));
            }
        }
        out
    };
    let (a, a_err) = jackknife(totals, blocks, |m| {
        Some(matrix(m, pairing.a_rows, pairing.a_cols))
    })?;
    let (b, b_err) = jackknife(totals, blocks, |m| {
        Some(matrix(m, pairing.b_rows, pairing.b_cols))
    })?;
    let t_of = |m: &[&Moments]| {
        solve(
            &matrix(m, pairing.a_rows, pairing.a_cols),
            &matrix(m, pairing.b_rows, pairing.b_cols),
            n,
        )
    };
    let (t, t_err) = jackknife(totals, blocks, t_of)?;
    let ln_b = (block as f64).ln();
    let (lead, lead_err) = jackknife(totals, blocks, |m| {
        let t = t_of(m)?;
        let l = leading_real(&eigenvalues(&t, n));
        Some(vec![l, l.ln() / ln_b])
    })?;
    Ok(SectorResult {
        operators: ops.iter().map(|&o| OPERATORS[o].name).collect(),
        eigenvalues: eigenvalues(&t, n),
        a,
        a_err,
        b,
        b_err,
        t,
        t_err,
        leading: Jackknifed {
            value: lead[0],
            error: lead_err[0],
        },
        y: Jackknifed {
            value: lead[1],
            error: lead_err[1],
        },
    })
}

fn check_options(options: &McrgOptions, rows: usize) -> Result<()> {
    if options.levels == 0 {
        return Err(Error::invalid("levels", 0, "at least 1 blocking level"));
    }
    check_jackknife(options.jackknife, rows)
}

fn check_jackknife(jackknife: usize, rows: usize) -> Result<()> {
    if jackknife < 2 {
        return Err(Error::invalid(
            "jackknife",
            jackknife,
            "at least 2 jackknife blocks",
        ));
    }
    if rows < 2 * jackknife {
        return Err(Error::invalid(
            "jackknife",
            jackknife,
            format!("at most half the number of configurations ({rows})"),
        ));
    }
    Ok(())
}

/// The even and odd sectors of level `level` (side `level_side`, T from
/// the level below with blocks of side `block`): the operators that fit
/// on the level's lattice, A and B from the moments `pairing` names.
fn level_result(
    totals: &[Moments],
    blocks: &[&[Moments]],
    level: usize,
    level_side: usize,
    pairing: Pairing,
    block: usize,
) -> Result<LevelResult> {
    let fitting = |odd: bool| -> Vec<usize> {
        (0..OPERATORS.len())
            .filter(|&o| OPERATORS[o].odd == odd && OPERATORS[o].fits(level_side))
            .collect()
    };
    Ok(LevelResult {
        level,
        side: level_side,
        even: sector(totals, blocks, &fitting(false), pairing, block)?,
        odd: sector(totals, blocks, &fitting(true), pairing, block)?,
    })
}

/// The plain-form pairing of level n: A from level n with itself, B from
/// level n with level n − 1, all in data set 0.
fn plain_pairing(level: usize) -> Pairing {
    Pairing {
        a_rows: (0, level),
        a_cols: (0, level),
        b_rows: (0, level),
        b_cols: (0, level - 1),
    }
}

/// The default number of levels: as many as leave a lattice of side ≥ 4
/// (at least 1).
pub fn default_levels(side: usize, block: usize) -> usize {
    let mut levels = 0;
    let mut s = side;
    while block >= 2 && s.is_multiple_of(block) && s / block >= 4 {
        s /= block;
        levels += 1;
    }
    levels.max(1)
}

/// Swendsen's MCRG on the equilibrium ±1 configurations `spins`
/// (`rows × side²`), see the module documentation. With `matched`
/// (configurations of a side/b lattice at the same coupling, `(spins,
/// rows)`), level n uses the matched-lattice form; otherwise the plain
/// form on the one lattice.
///
/// Errors if a value is not ±1, a length disagrees, the block does not
/// divide the side at some level, `levels` is 0, `jackknife` < 2 or more
/// than half of a data set's configurations, or A is singular.
pub fn mcrg(
    spins: &[i8],
    rows: usize,
    side: usize,
    matched: Option<(&[i8], usize)>,
    options: &McrgOptions,
) -> Result<McrgResult> {
    check_options(options, rows)?;
    let sides = block_sides(side, options.block, options.levels)?;
    check_i8_spins(spins, rows, side)?;
    let n_ops = OPERATORS.len();
    let table = operator_table(spins, rows, &sides, options);
    let (total, blocks) = block_moments(&table, rows, n_ops * sides.len(), options.jackknife);
    drop(table);
    let mut totals = vec![total];
    let mut all_blocks = vec![blocks];
    let mut matched_shape = None;
    if let Some((small, small_rows)) = matched {
        check_options(options, small_rows)?;
        let small_side = side / options.block;
        let small_sides = block_sides(small_side, options.block, options.levels - 1)?;
        check_i8_spins(small, small_rows, small_side)?;
        let small_width = n_ops * small_sides.len();
        let table = operator_table(small, small_rows, &small_sides, options);
        let (total, blocks) = block_moments(&table, small_rows, small_width, options.jackknife);
        totals.push(total);
        all_blocks.push(blocks);
        matched_shape = Some((small_side, small_rows));
    }
    let block_refs: Vec<&[Moments]> = all_blocks.iter().map(|b| b.as_slice()).collect();
    let levels = sides
        .iter()
        .enumerate()
        .skip(1)
        .map(|(level, &level_side)| {
            let pairing = if matched.is_some() {
                Pairing {
                    a_rows: (1, level - 1),
                    a_cols: (1, 0),
                    b_rows: (0, level),
                    b_cols: (0, 0),
                }
            } else {
                plain_pairing(level)
            };
            level_result(
                &totals,
                &block_refs,
                level,
                level_side,
                pairing,
                options.block,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(McrgResult {
        options: *options,
        size: side,
        configurations: rows,
        matched: matched_shape,
        levels,
    })
}

/// The configurations of one level given to [`mcrg_levels`]: `rows ×
/// side²` ±1 spins of a periodic `side × side` lattice (site r·side + c).
#[derive(Clone, Copy, Debug)]
pub struct LevelSpins<'a> {
    pub side: usize,
    pub spins: &'a [i8],
}

/// Swendsen's MCRG (plain form, see the module documentation) on levels
/// given explicitly instead of blocked here: `levels[0]` are the
/// configurations of the finest lattice (side L₀), `levels[n]` (n ≥ 1)
/// those of a lattice of side L_n dividing L_{n−1}, produced by any
/// coarse-graining, e.g. a trained network's hidden units placed on the
/// coarse lattice. Row k of every level must come from the same
/// configuration k of level 0. Level n's T maps level n − 1 to level n
/// with the block side b_n = L_{n−1}/L_n, so y = ln λ / ln b_n. With the
/// levels of [`super::block_spin::block_levels`] this is exactly [`mcrg`]'s plain form
/// (bit for bit).
///
/// Errors if fewer than 2 levels are given, a side does not divide the
/// side below it (or equals it), a level is not `rows × side²` ±1 spins,
/// `jackknife` < 2 or more than half the rows, or A is singular.
///
/// # References
/// - R. H. Swendsen, Phys. Rev. Lett. 42, 859 (1979).
pub fn mcrg_levels(
    levels: &[LevelSpins],
    rows: usize,
    jackknife: usize,
) -> Result<Vec<LevelResult>> {
    if levels.len() < 2 {
        return Err(Error::invalid(
            "levels",
            levels.len(),
            "at least 2 levels (the configurations and one coarse-graining)",
        ));
    }
    check_jackknife(jackknife, rows)?;
    for (n, pair) in levels.windows(2).enumerate() {
        let (fine, coarse) = (pair[0].side, pair[1].side);
        if coarse == 0 || coarse >= fine || !fine.is_multiple_of(coarse) {
            return Err(Error::invalid(
                "level side",
                format!("{coarse} at level {} (level {n} has side {fine})", n + 1),
                "a proper divisor of the side of the level below",
            ));
        }
    }
    for level in levels {
        check_i8_spins(level.spins, rows, level.side)?;
    }
    let n_ops = OPERATORS.len();
    let width = n_ops * levels.len();
    let mut table = vec![0i64; rows * width];
    table
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(k, out)| {
            for (n, level) in levels.iter().enumerate() {
                let area = level.side * level.side;
                operator_values(
                    &level.spins[k * area..(k + 1) * area],
                    level.side,
                    &mut out[n * n_ops..(n + 1) * n_ops],
                );
            }
        });
    let (total, blocks) = block_moments(&table, rows, width, jackknife);
    drop(table);
    let totals = [total];
    let block_refs = [blocks.as_slice()];
    (1..levels.len())
        .map(|n| {
            level_result(
                &totals,
                &block_refs,
                n,
                levels[n].side,
                plain_pairing(n),
                levels[n - 1].side / levels[n].side,
            )
        })
        .collect()
}
