//! Block-spin transforms and Swendsen's Monte Carlo RG (issue #16):
//! hand-made patterns, the non-dividing block error, thread-count
//! independence, and the MCRG correlation matrices and RG matrix of a
//! 4 × 4 lattice against exact enumeration of all 2¹⁶ states.

use vrg::ising::{run_chain, Algorithm, IsingModel, SamplingPlan};
use vrg::rg::block_spin::{block_spins, BlockRule};
use vrg::rg::mcrg::{eigenvalues, mcrg, operator_values, solve, McrgOptions, OPERATORS};
use vrg::rng;

fn random_spins(n: usize, seed: u64) -> Vec<i8> {
    let mut r = rng::root(seed);
    (0..n)
        .map(|_| if rng::uniform(&mut r) < 0.5 { 1 } else { -1 })
        .collect()
}

#[test]
fn majority_of_uniform_configurations_is_uniform() {
    for (side, block, levels) in [(8, 2, 3), (9, 3, 2), (12, 2, 2), (12, 3, 1)] {
        for sign in [1i8, -1] {
            let spins = vec![sign; 3 * side * side];
            for rule in [BlockRule::Majority, BlockRule::Decimation] {
                let out = block_spins(&spins, 3, side, block, rule, levels, 5).unwrap();
                let coarse = side / block.pow(levels as u32);
                assert_eq!(
                    out,
                    vec![sign; 3 * coarse * coarse],
                    "{side} {block} {rule:?}"
                );
            }
        }
    }
}

#[test]
fn decimation_keeps_the_top_left_spins() {
    // 6 × 6, b = 3: the top-left spins of the four blocks are at (0,0),
    // (0,3), (3,0), (3,3); every other spin is the opposite of its block's
    // top-left one, so a majority rule would disagree everywhere.
    let corners = [1i8, -1, -1, 1];
    let mut spins = vec![0i8; 36];
    for r in 0..6 {
        for c in 0..6 {
            let corner = corners[(r / 3) * 2 + c / 3];
            spins[r * 6 + c] = if r % 3 == 0 && c % 3 == 0 {
                corner
            } else {
                -corner
            };
        }
    }
    let decimated = block_spins(&spins, 1, 6, 3, BlockRule::Decimation, 1, 1).unwrap();
    assert_eq!(decimated, corners);
    let majority = block_spins(&spins, 1, 6, 3, BlockRule::Majority, 1, 1).unwrap();
    assert_eq!(majority, corners.map(|s| -s));
    // Two levels of b = 2 decimation on 8 × 8 keep sites (4R, 4C).
    let spins = random_spins(2 * 64, 3);
    let twice = block_spins(&spins, 2, 8, 2, BlockRule::Decimation, 2, 1).unwrap();
    let expected: Vec<i8> = (0..2)
        .flat_map(|k| {
            let s = &spins;
            [(0, 0), (0, 4), (4, 0), (4, 4)].map(move |(r, c)| s[k * 64 + r * 8 + c])
        })
        .collect();
    assert_eq!(twice, expected);
}

#[test]
fn a_block_that_does_not_divide_the_side_is_an_error() {
    let spins = vec![1i8; 2 * 36];
    // 6 → 3 at level 1, then b = 2 does not divide 3 at level 2.
    let message = block_spins(&spins, 2, 6, 2, BlockRule::Majority, 2, 1)
        .unwrap_err()
        .to_string();
    for part in ["level 2", "L = 6", "b = 2", "side 3"] {
        assert!(message.contains(part), "{message}");
    }
    assert!(block_spins(&spins, 2, 6, 4, BlockRule::Majority, 1, 1).is_err());
    assert!(block_spins(&spins, 2, 6, 1, BlockRule::Majority, 1, 1).is_err());
    let mut bad = spins.clone();
    bad[40] = 0;
    assert!(block_spins(&bad, 2, 6, 2, BlockRule::Majority, 1, 1).is_err());
    let options = McrgOptions {
        block: 2,
        rule: BlockRule::Majority,
        levels: 2,
        jackknife: 2,
        seed: 1,
    };
    let spins = random_spins(8 * 36, 4);
    let message = mcrg(&spins, 8, 6, None, &options).unwrap_err().to_string();
    assert!(message.contains("level 2"), "{message}");
}

#[test]
fn majority_ties_are_fair_coins_whatever_the_thread_count() {
    // Random 8 × 8 configurations: about 3/8 of the 2 × 2 blocks tie.
    let rows = 500;
    let spins = random_spins(rows * 64, 11);
    let in_pool = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| block_spins(&spins, rows, 8, 2, BlockRule::Majority, 2, 9).unwrap())
    };
    let one = in_pool(1);
    assert_eq!(one, in_pool(3));
    assert_eq!(one, in_pool(8));
    // Ties: the fraction of tied blocks set to +1 is ½ within 4σ, and a
    // different seed draws different coins.
    let level1 = block_spins(&spins, rows, 8, 2, BlockRule::Majority, 1, 9).unwrap();
    let (mut ties, mut up) = (0usize, 0usize);
    for k in 0..rows {
        for b in 0..16 {
            let (br, bc) = (b / 4, b % 4);
            let sum: i32 = [(0, 0), (0, 1), (1, 0), (1, 1)]
                .iter()
                .map(|&(dr, dc)| spins[k * 64 + (2 * br + dr) * 8 + 2 * bc + dc] as i32)
                .sum();
            let out = level1[k * 16 + b];
            if sum == 0 {
                ties += 1;
                up += (out == 1) as usize;
            } else {
                assert_eq!(out as i32, sum.signum());
            }
        }
    }
    let z = (up as f64 - ties as f64 / 2.0) / (ties as f64 / 4.0).sqrt();
    assert!(
        ties > 2000 && z.abs() < 4.0,
        "{ties} ties, {up} up, z = {z}"
    );
    let other = block_spins(&spins, rows, 8, 2, BlockRule::Majority, 1, 10).unwrap();
    assert_ne!(level1, other);
}

/// Exact level-0 and level-1 moments of the 4 × 4 Ising model at coupling
/// K (zero field) under b = 2 majority blocks, ties averaged over both
/// outcomes: returns the exact A and B of each sector.
fn exact_matrices(k: f64, even: &[usize], odd: &[usize]) -> [(Vec<f64>, Vec<f64>); 2] {
    let n_ops = OPERATORS.len();
    let dim = 2 * n_ops;
    let mut z = 0.0f64;
    let mut first = vec![0.0f64; dim];
    let mut second = vec![0.0f64; dim * dim];
    let mut v = vec![0i64; dim];
    let mut config = [0i8; 16];
    for state in 0u32..1 << 16 {
        for (i, s) in config.iter_mut().enumerate() {
            *s = if state >> i & 1 == 1 { 1 } else { -1 };
        }
        let mut bonds = 0i32;
        for r in 0..4 {
            for c in 0..4 {
                let s = config[r * 4 + c] as i32;
                bonds +=
                    s * (config[r * 4 + (c + 1) % 4] as i32 + config[((r + 1) % 4) * 4 + c] as i32);
            }
        }
        let weight = (k * bonds as f64).exp();
        operator_values(&config, 4, &mut v[..n_ops]);
        let sums: Vec<i32> = (0..4)
            .map(|b| {
                let (br, bc) = (b / 2, b % 2);
                [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .iter()
                    .map(|&(dr, dc)| config[(2 * br + dr) * 4 + 2 * bc + dc] as i32)
                    .sum()
            })
            .collect();
        let tied: Vec<usize> = (0..4).filter(|&b| sums[b] == 0).collect();
        let share = weight / (1u32 << tied.len()) as f64;
        for coins in 0u32..1 << tied.len() {
            let mut blocked = [0i8; 4];
            for b in 0..4 {
                blocked[b] = sums[b].signum() as i8;
            }
            for (t, &b) in tied.iter().enumerate() {
                blocked[b] = if coins >> t & 1 == 1 { 1 } else { -1 };
            }
            operator_values(&blocked, 2, &mut v[n_ops..]);
            z += share;
            for a in 0..dim {
                first[a] += share * v[a] as f64;
                for b in 0..dim {
                    second[a * dim + b] += share * (v[a] * v[b]) as f64;
                }
            }
        }
    }
    let cov = |a: usize, b: usize| second[a * dim + b] / z - first[a] / z * first[b] / z;
    [even, odd].map(|ops| {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for &g in ops {
            for &o in ops {
                a.push(cov(n_ops + g, n_ops + o));
                b.push(cov(n_ops + g, o));
            }
        }
        (a, b)
    })
}

#[test]
fn mcrg_of_a_4x4_lattice_matches_exact_enumeration() {
    let k = 0.35;
    let model = IsingModel::new(4, 1.0, 0.0, 1.0 / k).unwrap();
    let rows = 60_000;
    let plan = SamplingPlan {
        samples: rows,
        sweeps: 2,
        burn_in: 1000,
        algorithm: Algorithm::Metropolis,
    };
    let mut spins = vec![0i8; rows * 16];
    run_chain(&model, &plan, rng::root(2024), Some(&mut spins), &|_| {}).unwrap();
    let options = McrgOptions {
        block: 2,
        rule: BlockRule::Majority,
        levels: 1,
        jackknife: 25,
        seed: 7,
    };
    let result = mcrg(&spins, rows, 4, None, &options).unwrap();
    let level = &result.levels[0];
    assert_eq!(level.side, 2);
    let index = |name: &str| OPERATORS.iter().position(|o| o.name == name).unwrap();
    let even: Vec<usize> = level.even.operators.iter().map(|n| index(n)).collect();
    let odd: Vec<usize> = level.odd.operators.iter().map(|n| index(n)).collect();
    assert_eq!(even.len(), 3, "nn, nnn and plaquette fit on 2 × 2");
    assert_eq!(odd.len(), 2, "spin and plaquette triple fit on 2 × 2");
    let exact = exact_matrices(k, &even, &odd);
    let mut worst = 0.0f64;
    for ((a, b), sector) in exact.iter().zip([&level.even, &level.odd]) {
        let n = sector.operators.len();
        let t = solve(a, b, n).unwrap();
        for (what, exact, mc, err) in [
            ("A", a, &sector.a, &sector.a_err),
            ("B", b, &sector.b, &sector.b_err),
            ("T", &t, &sector.t, &sector.t_err),
        ] {
            for i in 0..n * n {
                let z = (mc[i] - exact[i]) / err[i];
                assert!(
                    z.abs() < 4.5,
                    "{what}[{i}] of {:?}: MC {} ± {} vs exact {}",
                    sector.operators,
                    mc[i],
                    err[i],
                    exact[i]
                );
                worst = worst.max(z.abs());
            }
        }
        // The leading eigenvalue too.
        let lead = eigenvalues(&t, n)
            .iter()
            .filter(|v| v.1 == 0.0)
            .map(|v| v.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let z = (sector.leading.value - lead) / sector.leading.error;
        assert!(z.abs() < 4.5, "λ: MC {:?} vs exact {lead}", sector.leading);
        assert!(lead > 1.0, "the leading eigenvalue is relevant: {lead}");
    }
    // Error bars are not absurdly large: the worst entry is typically ≳ 1σ off.
    assert!(worst > 0.3, "worst |z| = {worst}");
}

#[test]
fn linear_algebra_on_known_matrices() {
    // Eigenvalues of a triangular-similar matrix and of a rotation-scaled
    // block; a solve against a known product.
    let m = [2.0, 1.0, 0.0, 0.0, 0.5, 3.0, 0.0, 0.0, -0.25];
    let e = eigenvalues(&m, 3);
    let expect = [2.0, 0.5, -0.25];
    for (v, x) in e.iter().zip(expect) {
        assert!((v.0 - x).abs() < 1e-10 && v.1 == 0.0, "{e:?}");
    }
    let rot = [1.0, -2.0, 2.0, 1.0]; // 1 ± 2i
    let e = eigenvalues(&rot, 2);
    assert!(
        (e[0].0 - 1.0).abs() < 1e-12 && (e[0].1.abs() - 2.0).abs() < 1e-12,
        "{e:?}"
    );
    // Similar to diag(3, 1, 0.2) by a non-orthogonal P.
    let p = [1.0, 2.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0];
    let d = [3.0, 1.0, 0.2];
    let pd: Vec<f64> = (0..9).map(|i| p[i] * d[i % 3]).collect();
    // M = P D P⁻¹ ⇔ Mᵀ = P⁻ᵀ D Pᵀ: solve Pᵀ Mᵀ = D Pᵀ... use M P = P D.
    let pt: Vec<f64> = (0..9).map(|i| p[(i % 3) * 3 + i / 3]).collect();
    let pdt: Vec<f64> = (0..9).map(|i| pd[(i % 3) * 3 + i / 3]).collect();
    let mt = solve(&pt, &pdt, 3).unwrap();
    let mm: Vec<f64> = (0..9).map(|i| mt[(i % 3) * 3 + i / 3]).collect();
    let e = eigenvalues(&mm, 3);
    for (v, x) in e.iter().zip([3.0, 1.0, 0.2]) {
        assert!((v.0 - x).abs() < 1e-9, "{e:?}");
    }
    assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 0.0, 0.0, 1.0], 2).is_none());
}

#[test]
fn mcrg_does_not_depend_on_the_thread_count() {
    // Random 8 × 8 configurations (many majority ties), two levels.
    let rows = 400;
    let spins = random_spins(rows * 64, 12);
    let options = McrgOptions {
        block: 2,
        rule: BlockRule::Majority,
        levels: 2,
        jackknife: 8,
        seed: 3,
    };
    let in_pool = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let r = pool.install(|| mcrg(&spins, rows, 8, None, &options).unwrap());
        r.levels
            .iter()
            .flat_map(|l| {
                [&l.even, &l.odd]
                    .into_iter()
                    .flat_map(|s| s.t.iter().chain(&s.t_err).chain([&s.y.value, &s.y.error]))
                    .map(|x| x.to_bits())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<u64>>()
    };
    let one = in_pool(1);
    assert!(!one.is_empty());
    assert_eq!(one, in_pool(4));
}
