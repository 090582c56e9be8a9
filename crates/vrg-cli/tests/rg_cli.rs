//! `vrg rg couplings` end to end: an RBM built to be a known Ising
//! Hamiltonian gives back exactly its couplings.

mod common;
use common::{vrg_err, vrg_ok, vrg_stdout, words};

use serde_json::Value;
use std::path::Path;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// A 3×3 torus of spins with one spin hidden unit per nearest-neighbour
/// bond, weight `w` on both of its sites: H(s) = const − Σ_<ij> K s_i s_j
/// with K = ½ ln cosh 2w.
fn bond_rbm(dir: &Path, w: f32) -> f64 {
    let side = 3;
    let n = side * side;
    let mut bonds = Vec::new();
    for i in 0..n {
        let (r, c) = (i / side, i % side);
        bonds.push((i, r * side + (c + 1) % side));
        bonds.push((i, ((r + 1) % side) * side + c));
    }
    let mut weights = vec![0f32; n * bonds.len()];
    for (mu, &(i, j)) in bonds.iter().enumerate() {
        weights[i * bonds.len() + mu] = w;
        weights[j * bonds.len() + mu] = w;
    }
    let rbm = Rbm::from_parameters(
        VisibleUnits::Spin,
        HiddenUnits::Spin,
        weights,
        vec![0.0; n],
        vec![0.0; bonds.len()],
    )
    .unwrap();
    vrg::rbm::file::save_rbm(dir.join("bond.safetensors"), &rbm, None, None).unwrap();
    0.5 * (2.0 * f64::from(w)).cosh().ln()
}

fn coupling_of(doc: &Value, sites: &[usize]) -> Option<(f64, Option<f64>)> {
    doc["couplings"].as_array().unwrap().iter().find_map(|c| {
        let s: Vec<usize> = c["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        (s == sites).then(|| (c["value"].as_f64().unwrap(), c["stderr"].as_f64()))
    })
}

#[test]
fn a_bond_rbm_gives_back_its_couplings_exactly_and_by_monte_carlo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = bond_rbm(d, 0.7);
    let doc: Value = serde_json::from_str(&vrg_stdout(
        d,
        &words("rg couplings --model bond.safetensors --json --out c"),
    ))
    .unwrap();
    assert_eq!(doc["convention"], "spin");
    assert_eq!(doc["method"]["method"], "exact");
    // The constant comes first, under "sites": [].
    assert_eq!(doc["couplings"][0]["sites"], serde_json::json!([]));
    let list = doc["couplings"].as_array().unwrap();
    // 18 bonds (3×3 torus: every pair of a row or column is a bond), no
    // other coupling above the tolerance.
    assert_eq!(list.len(), 1 + 18, "{list:?}");
    for c in &list[1..] {
        let sites = c["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 2);
        assert!((c["value"].as_f64().unwrap() - k).abs() < 1e-9);
    }
    assert!((doc["pairs_by_distance"][0]["mean"].as_f64().unwrap() - k).abs() < 1e-9);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/couplings.json")).unwrap())
            .unwrap();
    assert_eq!(written, doc);
    for figure in ["couplings_by_order.png", "pairs_by_distance.png"] {
        vrg::io::image::read_grey_u8(d.join("c").join(figure)).unwrap();
    }

    // Monte Carlo: fields and nearest-neighbour pairs, within 4 standard
    // errors of the exact values (0 for fields).
    let mc: Value = serde_json::from_str(&vrg_stdout(
        d,
        &words("rg couplings --model bond.safetensors --method monte-carlo --distance 1 --max-order 2 --samples 4000 --json"),
    ))
    .unwrap();
    let (field, field_err) = coupling_of(&mc, &[0]).unwrap();
    let field_err = field_err.unwrap();
    assert!(
        field.abs() <= 4.0 * field_err + 1e-12,
        "{field} ± {field_err}"
    );
    let (pair, pair_err) = coupling_of(&mc, &[0, 1]).unwrap();
    assert!((pair - k).abs() <= 4.0 * pair_err.unwrap() + 1e-12);
}

#[test]
fn bad_couplings_requests_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bond_rbm(d, 0.5);
    vrg_err(
        d,
        &words("rg couplings --model bond.safetensors --max-order 0"),
        &["--max-order 0"],
    );
    vrg_err(
        d,
        &words("rg couplings --model bond.safetensors --method monte-carlo --distance 0.5"),
        &["--distance 0.5"],
    );
    vrg_err(
        d,
        &words("rg couplings --model bond.safetensors --layer 1"),
        &["--layer 1", "DBN"],
    );
    vrg_err(
        d,
        &words("rg couplings --model missing.safetensors"),
        &["missing.safetensors"],
    );
    std::fs::create_dir(d.join("out")).unwrap();
    vrg_err(
        d,
        &words("rg couplings --model out/couplings.json --out out"),
        &["--out", "--model"],
    );
}

#[test]
fn a_dbn_layer_is_chosen_with_layer_and_only_data_units_have_a_lattice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vrg_ok(
        d,
        &words("ising sample --size 4 --temperature 3 --samples 100 --sweeps 1 --burn-in 20 --out i.npy"),
    );
    vrg_ok(
        d,
        &words("dbn train --data i.npy --layers 16,9,4 --epochs 1 --batch 10 --logz none --out dbn.safetensors"),
    );
    vrg_err(
        d,
        &words("rg couplings --model dbn.safetensors"),
        &["DBN of 2 layers", "--layer"],
    );
    vrg_err(
        d,
        &words("rg couplings --model dbn.safetensors --layer 3"),
        &["--layer 3", "1 to 2"],
    );
    vrg_err(
        d,
        &words("rg couplings --model dbn.safetensors --layer 2 --method monte-carlo --distance 1"),
        &["--distance", "layer 2", "no lattice order"],
    );
    let first: Value = serde_json::from_str(&vrg_stdout(
        d,
        &words("rg couplings --model dbn.safetensors --layer 1 --max-order 2 --json"),
    ))
    .unwrap();
    assert_eq!(first["lattice_side"], 4);
    assert_eq!(first["n_visible"], 16);
    let second: Value = serde_json::from_str(&vrg_stdout(
        d,
        &words("rg couplings --model dbn.safetensors --layer 2 --json"),
    ))
    .unwrap();
    assert_eq!(second["lattice_side"], Value::Null);
    assert_eq!(second["n_visible"], 9);
}

#[test]
fn renormalized_couplings_of_a_dbn_beside_majority_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vrg_ok(
        d,
        &words("ising sample --size 8 --temperature 3.3333333333333335 --samples 400 --sweeps 2 --burn-in 50 --out i.npy"),
    );
    vrg_ok(
        d,
        // 10 epochs: after 2 the 16 units' receptive fields crowd into too
        // few of the 4 × 4 cells for level 1 to be fitted (reported as such).
        &words("dbn train --data i.npy --layers 64,16,4 --epochs 10 --batch 20 --logz none --out dbn.safetensors"),
    );
    let doc: Value = serde_json::from_str(&vrg_stdout(
        d,
        &words("rg renormalized --model dbn.safetensors --data i.npy --window 2 --bootstrap 20 --data-coupling 0.3 --json --out r"),
    ))
    .unwrap();
    // The data's own couplings: K = 0.3, no next-nearest neighbours.
    let data = &doc["data"];
    let k = data["couplings"]["nearest_neighbour"].as_f64().unwrap();
    let k_err = data["errors"]["nearest_neighbour"].as_f64().unwrap();
    assert!(((k - 0.3) / k_err).abs() < 5.0, "{k} ± {k_err}");
    // Level 1 (16 units: 2×2 blocks on a 4×4 lattice) is fitted; level 2
    // (a 2×2 lattice) is too small and says so.
    let levels = doc["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1);
    assert_eq!(levels[0]["block"], 2);
    assert_eq!(levels[0]["majority_rule"]["block"], 2);
    assert!(levels[0]["learned"]["errors"].is_object());
    assert_eq!(doc["skipped"][0][0], 2);
    assert!(doc["skipped"][0][1].as_str().unwrap().contains("below 3×3"));
    assert_eq!(doc["directions"].as_array().unwrap().len(), 1);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r/renormalized.json")).unwrap())
            .unwrap();
    assert_eq!(written, doc);
    vrg::io::image::read_grey_u8(d.join("r/renormalized_flow.png")).unwrap();

    for (flags, needles) in [
        ("--bootstrap 1", &["replicates", "1"][..]),
        ("--rows 1", &["--rows 1"][..]),
        ("--window 0", &["--window 0"][..]),
        ("--window 9", &["--window 9"][..]),
    ] {
        vrg_err(
            d,
            &words(&format!(
                "rg renormalized --model dbn.safetensors --data i.npy {flags}"
            )),
            needles,
        );
    }
    vrg_err(
        d,
        &words("rg renormalized --model dbn.safetensors --data r/renormalized.json --out r"),
        &["--out", "--data", "may not replace an input"],
    );
}

#[test]
fn top_level_help_describes_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let help = vrg_stdout(dir.path(), &["--help"]);
    for (command, words) in [
        ("rg", "effective couplings"),
        ("demo", "The main job"),
        ("report", "self-contained HTML"),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{command} ")))
            .unwrap_or_else(|| panic!("no {command} in {help}"));
        assert!(line.contains(words), "{command}: {line}");
    }
}
