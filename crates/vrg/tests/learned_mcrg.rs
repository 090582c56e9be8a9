//! MCRG on given levels and on a learned coarse-graining (issue #16 item
//! 4): `mcrg_levels` fed majority-rule levels is `mcrg` bit for bit; a
//! "learned" level that is the majority rule with its units permuted and
//! some negated is placed back exactly and gives majority rule's exponents
//! bit for bit; a placement that is not a bijection is reported as not
//! placeable.

use vrg::ising::{run_chain, Algorithm, IsingModel, SamplingPlan};
use vrg::rg::block_spin::{block_levels, block_spins, BlockRule};
use vrg::rg::mcrg::{mcrg, mcrg_levels, LevelResult, LevelSpins, McrgOptions};
use vrg::rg::{
    best_matching_blocks, learned_and_majority, place_units, BlockMatch, LevelMcrg, Placement,
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
    let (side, rows, seed) = (16, 400, 4);
    let spins = ising(side, rows, 7);
    // The "DBN": level 1 = 2 × 2 majority blocks (8 × 8 = 64 units),
    // level 2 = 2 × 2 majority blocks of those (4 × 4 = 16 units), each
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
        let placement = place_units(&hidden, rows, &matches, m).unwrap();
        assert_eq!(
            placement,
            Placement::Placed {
                side: m,
                spins: blocks.clone()
            }
        );
        placements.push(placement);
    }
    let result = learned_and_majority(&spins, rows, side, &placements, 8, seed).unwrap();
    assert_eq!(result.len(), 2);
    for (n, level) in result.iter().enumerate() {
        assert!(level.placed && level.reason.is_none(), "{level:?}");
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

#[test]
fn a_placement_that_is_not_a_bijection_is_not_placeable() {
    let (side, rows) = (16, 200);
    let spins = ising(side, rows, 8);
    let blocks = block_spins(&spins, rows, side, 4, BlockRule::Majority, 1, 2).unwrap();
    let hidden: Vec<f32> = blocks.iter().map(|&x| f32::from(x)).collect();
    // Units 0 and 1 both claim block 0: block 1 is left unclaimed.
    let mut matches: Vec<BlockMatch> = (0..16)
        .map(|b| BlockMatch {
            block: b,
            correlation: 0.9,
        })
        .collect();
    matches[1].block = 0;
    let placement = place_units(&hidden, rows, &matches, 4).unwrap();
    let Placement::NotPlaceable { reason } = &placement else {
        panic!("placed: {placement:?}");
    };
    assert!(reason.contains("1 of 16 blocks unclaimed"), "{reason}");
    // A unit with no correlation has no sign.
    let mut flat = (0..16)
        .map(|b| BlockMatch {
            block: b,
            correlation: 0.5,
        })
        .collect::<Vec<_>>();
    flat[3].correlation = 0.0;
    assert!(matches!(
        place_units(&hidden, rows, &flat, 4).unwrap(),
        Placement::NotPlaceable { .. }
    ));
    // Reported, not an error, and without numbers; the placeable level
    // above it steps from the data.
    let good = Placement::Placed {
        side: 4,
        spins: block_spins(&spins, rows, side, 4, BlockRule::Majority, 1, 2).unwrap(),
    };
    let result = learned_and_majority(&spins, rows, side, &[placement, good], 5, 2).unwrap();
    assert!(!result[0].placed);
    assert!(result[0].learned.is_none() && result[0].majority.is_none());
    assert!(result[0].reason.as_deref().unwrap().contains("unclaimed"));
    assert_eq!(result[1].from_level, Some(0));
    assert_eq!(result[1].block, Some(4));
    assert_eq!(result[1].learned, result[1].majority);
    assert!(result[1].learned.is_some());
    // Bad inputs are errors: values that are not ±1, wrong shapes.
    let zeros = vec![0.0f32; hidden.len()];
    assert!(place_units(&zeros, rows, &matches, 4).is_err());
    assert!(place_units(&hidden[1..], rows, &matches, 4).is_err());
    assert!(place_units(&hidden, rows, &matches, 3).is_err());
    // A level whose side does not divide the placed level below it stays
    // out of the chain, with the reason.
    let three = Placement::Placed {
        side: 3,
        spins: vec![1; rows * 9],
    };
    let level = result_level(&spins, rows, side, three);
    assert!(level.placed && level.learned.is_none(), "{level:?}");
    assert!(level.reason.unwrap().contains("does not divide"));
}

fn result_level(spins: &[i8], rows: usize, side: usize, placement: Placement) -> LevelMcrg {
    let good = Placement::Placed {
        side: 4,
        spins: block_spins(spins, rows, side, 4, BlockRule::Majority, 1, 2).unwrap(),
    };
    learned_and_majority(spins, rows, side, &[good, placement], 5, 2)
        .unwrap()
        .pop()
        .unwrap()
}
