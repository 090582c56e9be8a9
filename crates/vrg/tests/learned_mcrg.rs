//! MCRG on given levels and on a learned coarse-graining (issue #16 item
//! 4): `mcrg_levels` fed majority-rule levels is `mcrg` bit for bit; a
//! "learned" level that is the majority rule with its units permuted and
//! some negated is placed back exactly and gives majority rule's exponents
//! bit for bit; units whose best-matching blocks collide are placed by
//! the optimal one-to-one assignment (checked against all permutations).

use vrg::ising::{run_chain, Algorithm, IsingModel, SamplingPlan};
use vrg::rg::block_spin::{block_levels, block_spins, BlockRule};
use vrg::rg::mcrg::{mcrg, mcrg_levels, LevelResult, LevelSpins, McrgOptions};
use vrg::rg::{
    best_matching_blocks, block_correlations, learned_and_majority, place_units, LevelMcrg,
    Placement,
};
use vrg::rng;

/// Configurations of the side × side Ising model at K = 0.44 (near K_c).
fn ising(side: usize, rows: usize, seed: u64) -> Vec<i8> {
    let model = IsingModel::new(side, 1.0, 0.0, 1.0 / 0.44).unwrap();
    let plan = SamplingPlan {
        samples: rows,
        sweeps: 2,
        burn_in: 200,
        algorithm: Algorithm::Metropolis,
    };
    let mut spins = vec![0i8; rows * side * side];
    run_chain(&model, &plan, rng::root(seed), Some(&mut spins), &|_| {}).unwrap();
    spins
}

/// Every number of a level's results, as bits.
fn bits(levels: &[LevelResult]) -> Vec<u64> {
    levels
        .iter()
        .flat_map(|l| {
            [&l.even, &l.odd]
                .into_iter()
                .flat_map(|s| {
                    s.a.iter()
                        .chain(&s.a_err)
                        .chain(&s.b)
                        .chain(&s.b_err)
                        .chain(&s.t)
                        .chain(&s.t_err)
                        .chain([&s.y.value, &s.y.error, &s.leading.value, &s.leading.error])
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                })
                .chain([l.level as u64, l.side as u64])
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn given_majority_levels_reproduce_mcrg_bit_for_bit() {
    let (side, rows) = (16, 400);
    let spins = ising(side, rows, 5);
    for (block, levels) in [(2, 3), (4, 1)] {
        let options = McrgOptions {
            block,
            rule: BlockRule::Majority,
            levels,
            jackknife: 8,
            seed: 9,
        };
        let plain = mcrg(&spins, rows, side, None, &options).unwrap();
        // block_spins level by level and block_levels agree.
        let blocked = block_levels(
            &spins,
            rows,
            side,
            &vec![block; levels],
            BlockRule::Majority,
            9,
        )
        .unwrap();
        for (n, level) in blocked.iter().enumerate() {
            let one = block_spins(&spins, rows, side, block, BlockRule::Majority, n + 1, 9);
            assert_eq!(level, &one.unwrap(), "b = {block}, level {}", n + 1);
        }
        let mut given = vec![LevelSpins {
            side,
            spins: &spins,
        }];
        given.extend(blocked.iter().enumerate().map(|(n, s)| LevelSpins {
            side: side / block.pow(n as u32 + 1),
            spins: s,
        }));
        let explicit = mcrg_levels(&given, rows, 8).unwrap();
        assert_eq!(explicit.len(), levels);
        assert_eq!(bits(&explicit), bits(&plain.levels), "b = {block}");
        assert!(explicit.iter().all(|l| l.even.y.value.is_finite()));
    }
}

#[test]
fn given_levels_are_checked() {
    let (side, rows) = (8, 40);
    let spins: Vec<i8> = ising(side, rows, 6);
    let coarse = block_spins(&spins, rows, side, 2, BlockRule::Majority, 1, 1).unwrap();
    let fine = LevelSpins {
        side,
        spins: &spins,
    };
    let good = LevelSpins {
        side: 4,
        spins: &coarse,
    };
    assert!(mcrg_levels(&[fine, good], rows, 4).is_ok());
    // One level only; a side that does not divide; a wrong length; values
    // that are not ±1; too many jackknife blocks.
    assert!(mcrg_levels(&[fine], rows, 4).is_err());
    let three = LevelSpins {
        side: 3,
        spins: &coarse[..rows * 9],
    };
    let message = mcrg_levels(&[fine, three], rows, 4)
        .unwrap_err()
        .to_string();
    assert!(message.contains("level 1"), "{message}");
    let short = LevelSpins {
        side: 4,
        spins: &coarse[1..],
    };
    assert!(mcrg_levels(&[fine, short], rows, 4).is_err());
    let zeros = vec![0i8; coarse.len()];
    let zero = LevelSpins {
        side: 4,
        spins: &zeros,
    };
    assert!(mcrg_levels(&[fine, zero], rows, 4).is_err());
    assert!(mcrg_levels(&[fine, good], rows, 21).is_err());
    assert!(block_levels(&spins, rows, side, &[3], BlockRule::Majority, 1).is_err());
    assert!(block_levels(&spins, rows, side, &[2, 3], BlockRule::Majority, 1).is_err());
}

/// A permutation of 0..n and signs, from a seed.
fn permutation_and_signs(n: usize, seed: u64) -> (Vec<usize>, Vec<f32>) {
    let mut r = rng::root(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng::uniform(&mut r) * (i + 1) as f64) as usize;
        perm.swap(i, j.min(i));
    }
    let signs = (0..n)
        .map(|_| {
            if rng::uniform(&mut r) < 0.5 {
                -1.0
            } else {
                1.0
            }
        })
        .collect();
    (perm, signs)
}

/// Unit u of the "learned" level is σ_u × block perm[u] of `blocks`.
fn scrambled(blocks: &[i8], rows: usize, perm: &[usize], signs: &[f32]) -> Vec<f32> {
    let n = perm.len();
    (0..rows)
        .flat_map(|k| (0..n).map(move |u| signs[u] * f32::from(blocks[k * n + perm[u]])))
        .collect()
}

#[test]
fn permuted_negated_majority_units_are_placed_back_and_match_majority_exactly() {
    // 32 × 32, so that level 2 is an 8 × 8 lattice: on a 4 × 4 torus the
    // longer operators wrap onto the shorter ones and some jackknife
    // replicate of T can lose its positive real eigenvalue (then both flows
    // report the same reason and there is nothing to compare).
    let (side, rows, seed) = (32, 400, 4);
    let spins = ising(side, rows, 7);
    // The "DBN": level 1 = 2 × 2 majority blocks (16 × 16 = 256 units),
    // level 2 = 2 × 2 majority blocks of those (8 × 8 = 64 units), each
    // scrambled; the majority rule's tie-breaks use the same seed as
    // learned_and_majority's, so its blocks are the learned levels.
    let majority = block_levels(&spins, rows, side, &[2, 2], BlockRule::Majority, seed).unwrap();
    let as_f32 = |s: &[i8]| s.iter().map(|&x| f32::from(x)).collect::<Vec<f32>>();
    let mut placements = Vec::new();
    for (n, blocks) in majority.iter().enumerate() {
        let m = side >> (n + 1);
        let (perm, signs) = permutation_and_signs(m * m, 30 + n as u64);
        assert!(signs.contains(&-1.0) && signs.contains(&1.0));
        let hidden = scrambled(blocks, rows, &perm, &signs);
        // Each unit's best-matching block is its own, with its sign.
        let matches = best_matching_blocks(&hidden, m * m, &as_f32(blocks), m * m, rows).unwrap();
        for (u, mt) in matches.iter().enumerate() {
            assert_eq!(mt.block, perm[u]);
            assert_eq!(mt.correlation.signum() as f32, signs[u]);
        }
        let correlations =
            block_correlations(&hidden, m * m, &as_f32(blocks), m * m, rows).unwrap();
        let placement = place_units(&hidden, rows, &correlations, m).unwrap();
        let Placement::Placed {
            side: placed_side,
            spins: placed,
            blocks: assigned,
            quality,
        } = &placement
        else {
            panic!("not placed: {placement:?}");
        };
        assert_eq!((*placed_side, placed, assigned), (m, blocks, &perm));
        assert!(
            (quality.mean_abs_correlation - 1.0).abs() < 1e-12,
            "{quality:?}"
        );
        assert!(
            (quality.min_abs_correlation - 1.0).abs() < 1e-12,
            "{quality:?}"
        );
        assert_eq!(quality.best_block_fraction, 1.0);
        placements.push(placement);
    }
    let result = learned_and_majority(&spins, rows, side, &placements, 8, seed).unwrap();
    assert_eq!(result.len(), 2);
    for (n, level) in result.iter().enumerate() {
        assert!(level.placed && level.reason.is_none(), "{level:?}");
        assert_eq!(level.assignment.unwrap().best_block_fraction, 1.0);
        assert_eq!(level.from_level, Some(n));
        assert_eq!(level.block, Some(2));
        let (learned, majority) = (level.learned.unwrap(), level.majority.unwrap());
        assert_eq!(learned, majority, "level {}", n + 1);
        for x in [learned.y_t, learned.y_t_err, learned.y_h, learned.y_h_err] {
            assert!(x.is_finite());
        }
    }
    // And both are mcrg's plain form with b = 2, level by level.
    let options = McrgOptions {
        block: 2,
        rule: BlockRule::Majority,
        levels: 2,
        jackknife: 8,
        seed,
    };
    let plain = mcrg(&spins, rows, side, None, &options).unwrap();
    for (level, reference) in result.iter().zip(&plain.levels) {
        let learned = level.learned.unwrap();
        assert_eq!(learned.y_t.to_bits(), reference.even.y.value.to_bits());
        assert_eq!(learned.y_t_err.to_bits(), reference.even.y.error.to_bits());
        assert_eq!(learned.y_h.to_bits(), reference.odd.y.value.to_bits());
        assert_eq!(learned.y_h_err.to_bits(), reference.odd.y.error.to_bits());
    }
}

/// Every permutation of 0..n (Heap's algorithm).
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut counters = vec![0usize; n];
    let mut out = vec![perm.clone()];
    let mut i = 0;
    while i < n {
        if counters[i] < i {
            perm.swap(if i % 2 == 0 { 0 } else { counters[i] }, i);
            out.push(perm.clone());
            counters[i] += 1;
            i = 0;
        } else {
            counters[i] = 0;
            i += 1;
        }
    }
    out
}

#[test]
fn colliding_best_matches_are_resolved_by_the_optimal_assignment() {
    let (side, rows) = (8, 300);
    let spins = ising(side, rows, 8);
    // 2 × 2 coarse lattice of 4 × 4 blocks; units 0 and 1 are both mostly
    // block 0 (so both best-match it), unit 1 with some of block 1 mixed
    // in; units 2 and 3 are blocks 2 and 3 negated.
    let blocks = block_spins(&spins, rows, side, 4, BlockRule::Majority, 1, 2).unwrap();
    let mut r = rng::root(21);
    let hidden: Vec<f32> = blocks
        .chunks_exact(4)
        .flat_map(|b| {
            let u1 = if rng::uniform(&mut r) < 0.3 {
                b[1]
            } else {
                b[0]
            };
            [b[0], u1, -b[2], -b[3]].map(f32::from)
        })
        .collect();
    let as_f32: Vec<f32> = blocks.iter().map(|&x| f32::from(x)).collect();
    let matches = best_matching_blocks(&hidden, 4, &as_f32, 4, rows).unwrap();
    assert_eq!((matches[0].block, matches[1].block), (0, 0), "{matches:?}");
    let correlations = block_correlations(&hidden, 4, &as_f32, 4, rows).unwrap();
    let placement = place_units(&hidden, rows, &correlations, 2).unwrap();
    let Placement::Placed {
        spins: placed,
        blocks: assigned,
        quality,
        ..
    } = &placement
    else {
        panic!("not placed: {placement:?}");
    };
    // A permutation, and the best one over all 4! of them.
    let total = |p: &[usize]| {
        (0..4)
            .map(|u| correlations[u * 4 + p[u]].abs())
            .sum::<f64>()
    };
    let best = permutations(4).iter().map(|p| total(p)).fold(0.0, f64::max);
    let mut sorted = assigned.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![0, 1, 2, 3]);
    assert!((total(assigned) - best).abs() < 1e-12);
    assert_eq!(assigned, &vec![0, 1, 2, 3]);
    // Units 2 and 3 are placed back un-negated; unit 0 is block 0 itself.
    for (k, row) in placed.chunks_exact(4).enumerate() {
        assert_eq!(
            [row[0], row[2], row[3]],
            [blocks[4 * k], blocks[4 * k + 2], blocks[4 * k + 3]]
        );
    }
    // Quality: three exact pairs, unit 1 off its best match.
    let c11 = correlations[5].abs();
    assert!(c11 > 0.0 && c11 < 1.0, "{c11}");
    assert!((quality.mean_abs_correlation - (3.0 + c11) / 4.0).abs() < 1e-12);
    assert_eq!(quality.min_abs_correlation, c11);
    assert_eq!(quality.best_block_fraction, 0.75);
    // A unit with no correlation with any block has no sign.
    let mut flat = correlations.clone();
    flat[12..16].fill(0.0);
    let not = place_units(&hidden, rows, &flat, 2).unwrap();
    let Placement::NotPlaceable { reason } = &not else {
        panic!("placed: {not:?}");
    };
    assert!(reason.contains("unit 3"), "{reason}");
    // Reported, not an error, and without numbers; the placeable level
    // above it steps from the data.
    let good = Placement::Placed {
        side: 4,
        spins: block_spins(&spins, rows, side, 2, BlockRule::Majority, 1, 2).unwrap(),
        blocks: (0..16).collect(),
        quality: *quality,
    };
    let result = learned_and_majority(&spins, rows, side, &[not, good], 5, 2).unwrap();
    assert!(!result[0].placed && result[0].assignment.is_none());
    assert!(result[0].learned.is_none() && result[0].majority.is_none());
    assert!(result[0].reason.as_deref().unwrap().contains("no sign"));
    assert_eq!(result[1].from_level, Some(0));
    assert_eq!(result[1].block, Some(2));
    assert_eq!(result[1].learned, result[1].majority);
    assert!(result[1].learned.is_some());
    assert_eq!(result[1].assignment, Some(*quality));
    // Bad inputs are errors: values that are not ±1, wrong shapes.
    let zeros = vec![0.0f32; hidden.len()];
    assert!(place_units(&zeros, rows, &correlations, 2).is_err());
    assert!(place_units(&hidden[1..], rows, &correlations, 2).is_err());
    assert!(place_units(&hidden, rows, &correlations[1..], 2).is_err());
    assert!(place_units(&hidden, rows, &correlations, 3).is_err());
    // A level whose side does not divide the placed level below it stays
    // out of the chain, with the reason.
    let three = Placement::Placed {
        side: 3,
        spins: vec![1; rows * 9],
        blocks: (0..9).collect(),
        quality: *quality,
    };
    let level = result_level(&spins, rows, side, three);
    assert!(level.placed && level.learned.is_none(), "{level:?}");
    assert!(level.reason.unwrap().contains("does not divide"));
}

fn result_level(spins: &[i8], rows: usize, side: usize, placement: Placement) -> LevelMcrg {
    let Placement::Placed { quality, .. } = &placement else {
        panic!("not placed");
    };
    let good = Placement::Placed {
        side: 4,
        spins: block_spins(spins, rows, side, 2, BlockRule::Majority, 1, 2).unwrap(),
        blocks: (0..16).collect(),
        quality: *quality,
    };
    learned_and_majority(spins, rows, side, &[good, placement], 5, 2)
        .unwrap()
        .pop()
        .unwrap()
}
