//! The optimal one-to-one assignment of n rows to n columns (the linear
//! assignment problem), solved exactly by the Hungarian algorithm.
//!
//! # References
//! - H. W. Kuhn, "The Hungarian method for the assignment problem", Naval
//!   Research Logistics Quarterly 2, 83 (1955).
//! - J. Munkres, "Algorithms for the assignment and transportation
//!   problems", J. SIAM 5, 32 (1957).
//! - R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for
//!   dense and sparse linear assignment problems", Computing 38, 325
//!   (1987) (the O(n³) shortest-augmenting-path form used here).

use crate::{Error, Result};

/// The permutation π maximising Σ_r w(r, π(r)) over all permutations of
/// 0..n, for the row-major `n × n` weights `weights`: `result[r]` is the
/// column assigned to row r. Exact (ties go to any optimum), O(n³) in f64:
/// the Hungarian algorithm (Kuhn 1955, Munkres 1957) in its
/// shortest-augmenting-path form (Jonker & Volgenant 1987) on the costs
/// −w, adding one row at a time with dual potentials u, v kept feasible
/// (u_r + v_c ≤ cost(r, c), equality on assigned pairs).
///
/// # Errors
/// When n is 0, `weights` does not hold n² values, or a weight is not
/// finite.
pub fn max_weight_assignment(weights: &[f64], n: usize) -> Result<Vec<usize>> {
    if n == 0 || n.checked_mul(n) != Some(weights.len()) {
        return Err(Error::ShapeMismatch {
            what: "assignment weights".into(),
            expected: format!("n × n values with n ≥ 1 (n = {n})"),
            found: format!("{} values", weights.len()),
        });
    }
    if let Some(k) = weights.iter().position(|w| !w.is_finite()) {
        return Err(Error::invalid(
            "assignment weight",
            format!("{} at row {}, column {}", weights[k], k / n, k % n),
            "finite values",
        ));
    }
    let cost = |r: usize, c: usize| -weights[r * n + c];
    // 1-based rows and columns; column 0 is the free row's virtual column.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    // row_of[c]: the row assigned to column c (0: none).
    let mut row_of = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for row in 1..=n {
        row_of[0] = row;
        let mut c0 = 0usize;
        let mut min_slack = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        // Dijkstra on the reduced costs until a free column is reached.
        loop {
            used[c0] = true;
            let r0 = row_of[c0];
            let mut delta = f64::INFINITY;
            let mut c1 = 0usize;
            for c in 1..=n {
                if !used[c] {
                    let slack = cost(r0 - 1, c - 1) - u[r0] - v[c];
                    if slack < min_slack[c] {
                        min_slack[c] = slack;
                        way[c] = c0;
                    }
                    if min_slack[c] < delta {
                        delta = min_slack[c];
                        c1 = c;
                    }
                }
            }
            for c in 0..=n {
                if used[c] {
                    u[row_of[c]] += delta;
                    v[c] -= delta;
                } else {
                    min_slack[c] -= delta;
                }
            }
            c0 = c1;
            if row_of[c0] == 0 {
                break;
            }
        }
        // Augment along the path back to the virtual column.
        while c0 != 0 {
            let c1 = way[c0];
            row_of[c0] = row_of[c1];
            c0 = c1;
        }
    }
    let mut column_of = vec![0usize; n];
    for c in 1..=n {
        column_of[row_of[c] - 1] = c - 1;
    }
    Ok(column_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(weights: &[f64], n: usize, perm: &[usize]) -> f64 {
        (0..n).map(|r| weights[r * n + perm[r]]).sum()
    }

    /// The best total over all permutations of 0..n (Heap's algorithm).
    fn brute_force(weights: &[f64], n: usize) -> f64 {
        let mut perm: Vec<usize> = (0..n).collect();
        let mut counters = vec![0usize; n];
        let mut best = total(weights, n, &perm);
        let mut i = 0;
        while i < n {
            if counters[i] < i {
                if i % 2 == 0 {
                    perm.swap(0, i);
                } else {
                    perm.swap(counters[i], i);
                }
                best = best.max(total(weights, n, &perm));
                counters[i] += 1;
                i = 0;
            } else {
                counters[i] = 0;
                i += 1;
            }
        }
        best
    }

    fn is_permutation(perm: &[usize]) -> bool {
        let mut seen = vec![false; perm.len()];
        perm.iter()
            .all(|&c| c < perm.len() && !std::mem::replace(&mut seen[c], true))
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut r = crate::rng::root(11);
        for n in 1..=7 {
            for trial in 0..30 {
                // Some matrices with few distinct values, to have ties.
                let weights: Vec<f64> = (0..n * n)
                    .map(|_| {
                        let x = crate::rng::uniform(&mut r) * 2.0 - 1.0;
                        if trial % 3 == 0 {
                            (x * 3.0).round()
                        } else {
                            x
                        }
                    })
                    .collect();
                let perm = max_weight_assignment(&weights, n).unwrap();
                assert!(is_permutation(&perm), "n = {n}: {perm:?}");
                let (got, best) = (total(&weights, n, &perm), brute_force(&weights, n));
                assert!(
                    (got - best).abs() < 1e-12,
                    "n = {n}, trial {trial}: {got} vs {best}"
                );
            }
        }
    }

    #[test]
    fn resolves_a_collision_of_greedy_best_matches() {
        // Rows 0 and 1 both prefer column 0; the optimum gives it to row 1
        // (0.8 + 0.9 + 0.7 = 2.4 beats row 0 taking it: 1.0 + 0.3 + 0.7 = 2.0).
        let weights = [
            1.0, 0.8, 0.0, //
            0.9, 0.3, 0.1, //
            0.0, 0.2, 0.7,
        ];
        assert_eq!(max_weight_assignment(&weights, 3).unwrap(), vec![1, 0, 2]);
        assert!((brute_force(&weights, 3) - 2.4).abs() < 1e-12);
        // The identity stays the identity.
        let identity = [2.0, 1.0, 1.0, 2.0];
        assert_eq!(max_weight_assignment(&identity, 2).unwrap(), vec![0, 1]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(max_weight_assignment(&[], 0).is_err());
        assert!(max_weight_assignment(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(max_weight_assignment(&[1.0, f64::NAN, 3.0, 4.0], 2).is_err());
    }
}
