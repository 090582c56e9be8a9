//! `vrg rg block` and `vrg rg mcrg` (issue #16): what they write, and bad
//! input refused with exit code 2, the flag named and nothing written.

mod common;
use common::{files, read_npy, vrg_err, vrg_ok, vrg_stdout, words, write_npy};
use serde_json::Value;
use std::path::Path;

/// `n` pseudo-random ±1 configurations of side `side` (shape (n, side, side)).
fn write_spins(path: &Path, n: usize, side: usize, seed: u64) -> Vec<i8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let spins: Vec<i8> = (0..n * side * side)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if state >> 63 == 1 {
                1
            } else {
                -1
            }
        })
        .collect();
    write_npy(path, &[n as u64, side as u64, side as u64], &spins);
    spins
}

#[test]
fn block_writes_the_decimated_and_majority_lattices() {
    let dir = tempfile::tempdir().unwrap();
    let spins = write_spins(&dir.path().join("x.npy"), 5, 8, 1);
    vrg_ok(
        dir.path(),
        &words("rg block --data x.npy --rule decimation --block 2 --levels 2 --out y.npy"),
    );
    let (shape, values) = read_npy::<i8>(&dir.path().join("y.npy"));
    assert_eq!(shape, vec![5, 2, 2]);
    for k in 0..5 {
        for (b, (r, c)) in [(0, 0), (0, 4), (4, 0), (4, 4)].into_iter().enumerate() {
            assert_eq!(values[k * 4 + b], spins[k * 64 + r * 8 + c]);
        }
    }
    // Majority of all-up 0/1 data (ones) is all up; 9 × 9 with b = 3.
    write_npy(&dir.path().join("ones.npy"), &[2, 81], &[1u8; 162]);
    vrg_ok(
        dir.path(),
        &words("rg block --data ones.npy --block 3 --levels 2 --out up.npy"),
    );
    let (shape, values) = read_npy::<i8>(&dir.path().join("up.npy"));
    assert_eq!((shape, values), (vec![2, 1, 1], vec![1i8, 1]));
    // The same seed gives the same tie-breaks; the command is repeatable.
    vrg_ok(
        dir.path(),
        &words("rg block --data x.npy --seed 4 --out m1.npy"),
    );
    vrg_ok(
        dir.path(),
        &words("rg block --data x.npy --seed 4 --out m2.npy"),
    );
    assert_eq!(
        read_npy::<i8>(&dir.path().join("m1.npy")),
        read_npy::<i8>(&dir.path().join("m2.npy"))
    );
}

#[test]
fn bad_block_requests_exit_2_naming_the_flag_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_spins(&dir.path().join("x.npy"), 4, 12, 2);
    write_spins(&dir.path().join("small.npy"), 4, 4, 3);
    let before = files(dir.path());
    // 12 → 6 → 3, and b = 2 does not divide 3 at level 3.
    let text = vrg_err(
        dir.path(),
        &words("rg block --data x.npy --block 2 --levels 3 --out y.npy"),
        &["--block", "L = 12", "b = 2", "level 3"],
    );
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    vrg_err(
        dir.path(),
        &words("rg block --data x.npy --block 5 --out y.npy"),
        &["--block", "L = 12", "level 1"],
    );
    vrg_err(
        dir.path(),
        &words("rg block --data x.npy --block 1 --out y.npy"),
        &["--block"],
    );
    vrg_err(
        dir.path(),
        &words("rg block --data x.npy --levels 0 --out y.npy"),
        &["--levels"],
    );
    vrg_err(
        dir.path(),
        &words("rg block --data x.npy --out x.npy"),
        &["--out"],
    );
    vrg_err(
        dir.path(),
        &words("rg block --data missing.npy --out y.npy"),
        &["missing.npy"],
    );
    vrg_err(
        dir.path(),
        &words("rg mcrg --data x.npy --block 5"),
        &["--block", "L = 12"],
    );
    vrg_err(
        dir.path(),
        &words("rg mcrg --data x.npy --jackknife 1"),
        &["--jackknife"],
    );
    vrg_err(
        dir.path(),
        &words("rg mcrg --data x.npy --jackknife 3 --out out"),
        &["--jackknife", "4 configurations"],
    );
    vrg_err(
        dir.path(),
        &words("rg mcrg --data x.npy --levels 0"),
        &["--levels"],
    );
    vrg_err(
        dir.path(),
        &words("rg mcrg --data x.npy --matched small.npy --jackknife 2 --out out"),
        &["--matched", "small.npy", "6"],
    );
    assert_eq!(
        files(dir.path()),
        before,
        "a failed command wrote something"
    );
}

#[test]
fn mcrg_prints_a_table_and_writes_json_per_level() {
    let dir = tempfile::tempdir().unwrap();
    write_spins(&dir.path().join("x.npy"), 200, 16, 5);
    write_spins(&dir.path().join("small.npy"), 200, 8, 6);
    let out = vrg_stdout(
        dir.path(),
        &words("rg mcrg --data x.npy --block 2 --jackknife 10 --json --out out"),
    );
    assert!(out.contains("y_T") && out.contains("y_H"), "{out}");
    let json: Value =
        serde_json::from_reader(std::fs::File::open(dir.path().join("out/mcrg.json")).unwrap())
            .unwrap();
    let levels = json["levels"].as_array().unwrap();
    // 16 → 8 → 4: two levels by default (sides ≥ 4).
    assert_eq!(levels.len(), 2);
    for (l, level) in levels.iter().enumerate() {
        assert_eq!(level["level"], l + 1);
        for key in ["y_t", "y_t_err", "y_h", "y_h_err", "lambda_t", "lambda_h"] {
            assert!(
                level[key].is_number() || level[key].is_null(),
                "{key}: {level}"
            );
        }
        assert_eq!(level["operators"], 9);
    }
    // Uncorrelated spins (K = 0): no operator at one level predicts the
    // next level's beyond noise; the magnetisation's λ_H is b^d/… well
    // below the critical 2^1.875 ≈ 3.67.
    let lambda_h = levels[0]["lambda_h"].as_f64().unwrap();
    assert!(lambda_h < 3.0, "{lambda_h}");
    // The matched variant runs too.
    vrg_ok(
        dir.path(),
        &words("rg mcrg --data x.npy --matched small.npy --levels 1 --jackknife 10"),
    );
}
