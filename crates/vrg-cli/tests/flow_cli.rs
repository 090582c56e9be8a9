//! `vrg rg flow` and `vrg rg flow-experiment` end to end: a copying RBM
//! stays where it starts, flows do not depend on the thread count, bad
//! input is refused before anything is written, and a small experiment
//! writes its summary.

mod common;
use common::{vrg_err, vrg_ok, words};

use serde_json::Value;
use std::path::Path;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// An RBM on an `side`×`side` torus of spins that copies its input: one
/// spin hidden unit per site, weight `w` to that site alone.
fn copier(dir: &Path, name: &str, side: usize, w: f32) {
    let n = side * side;
    let mut weights = vec![0f32; n * n];
    for i in 0..n {
        weights[i * n + i] = w;
    }
    let rbm = Rbm::from_parameters(
        VisibleUnits::Spin,
        HiddenUnits::Spin,
        weights,
        vec![0.0; n],
        vec![0.0; n],
    )
    .unwrap();
    vrg::rbm::file::save_rbm(dir.join(name), &rbm, None, None).unwrap();
}

/// A small RBM with weak, varied weights: its flows move.
fn mixer(dir: &Path, name: &str, side: usize) {
    let n = side * side;
    let weights: Vec<f32> = (0..n * n)
        .map(|i| ((i * 7919) % 17) as f32 / 17.0 - 0.45)
        .collect();
    let rbm = Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        weights,
        vec![-0.2; n],
        vec![0.1; n],
    )
    .unwrap();
    vrg::rbm::file::save_rbm(dir.join(name), &rbm, None, None).unwrap();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_copying_rbm_stays_at_its_start_and_the_thermometer_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copier(d, "copy.safetensors", 6, 40.0);
    vrg_ok(
        d,
        &words(
            "rg flow --model copy.safetensors --chains 200 --steps 20 --curve-sweeps 200 --out f",
        ),
    );
    let doc = read_json(&d.join("f/flow.json"));
    assert_eq!(doc["lattice"], 6);
    let flows = doc["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2);
    let up = &flows[0];
    assert_eq!(up["start"], "up");
    for step in up["steps"].as_array().unwrap() {
        assert_eq!(step["energy_per_spin"], -2.0);
        assert_eq!(step["abs_magnetization"], 1.0);
        assert_eq!(step["temperature"], 0.0);
    }
    assert_eq!(up["fixed_point"]["step"], 0);
    let random = &flows[1];
    let first = &random["steps"][0];
    let last = &random["steps"][20];
    assert_eq!(first["energy_per_spin"], last["energy_per_spin"]);
    // Independent spins have e ≈ 0: a temperature only if e < 0, and then a
    // high one; otherwise none, with the reason.
    match first["temperature"].as_f64() {
        Some(t) => assert!(t > 5.0, "{first}"),
        None => assert!(
            first["note"].as_str().unwrap().contains("energy"),
            "{first}"
        ),
    }
    // The saved steps (0 and 20 by default) hold the same configurations.
    let start = std::fs::read(d.join("f/start_random_step_0.npy")).unwrap();
    let end = std::fs::read(d.join("f/start_random_step_20.npy")).unwrap();
    assert_eq!(start, end);
    assert!(d.join("f/flow.png").is_file());
    let array = vrg::io::npy::read(d.join("f/start_up_step_20.npy")).unwrap();
    assert_eq!(array.shape, vec![200, 6, 6]);
}

#[test]
fn flows_are_the_same_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mixer(d, "mix.safetensors", 5);
    for threads in ["1", "2"] {
        let mut args = words("rg flow --model mix.safetensors --chains 300 --steps 8 --curve-sweeps 100 --save-steps 8");
        args.extend(["--threads", threads, "--out", threads]);
        vrg_ok(d, &args);
    }
    let flows = |t: &str| read_json(&d.join(t).join("flow.json"))["flows"].clone();
    assert_eq!(flows("1"), flows("2"));
    for start in ["up", "random"] {
        let file = format!("start_{start}_step_8.npy");
        assert_eq!(
            std::fs::read(d.join("1").join(&file)).unwrap(),
            std::fs::read(d.join("2").join(&file)).unwrap()
        );
    }
}

#[test]
fn bad_flow_inputs_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 15 visible units: not an L×L lattice.
    let rbm = Rbm::new(15, 4, VisibleUnits::Bernoulli, HiddenUnits::Bernoulli).unwrap();
    vrg::rbm::file::save_rbm(d.join("odd.safetensors"), &rbm, None, None).unwrap();
    copier(d, "copy.safetensors", 4, 10.0);
    vrg_err(
        d,
        &words("rg flow --model odd.safetensors --out o"),
        &["15 visible units", "L×L"],
    );
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --starts up,sideways --out o"),
        &["unknown start", "sideways"],
    );
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --chains 0 --out o"),
        &["--chains 0"],
    );
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --lattice 3 --out o"),
        &["--lattice 3", "16 visible units"],
    );
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --save-steps 500 --out o"),
        &["--save-steps 500"],
    );
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --layer 2 --out o"),
        &["--layer 2", "lattice"],
    );
    // A start file of the wrong lattice.
    vrg::io::npy::write_i8(d.join("five.npy"), &[3, 5, 5], &[1i8; 75]).unwrap();
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --starts five.npy --out o"),
        &["five.npy", "5×5", "4×4"],
    );
    // The model may not be overwritten by an output.
    vrg_err(
        d,
        &words("rg flow --model o2/flow.json --out o2"),
        &["--out", "--model"],
    );
    assert!(!d.join("o").exists(), "nothing is written on bad input");
}

#[test]
fn start_files_flow_from_their_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copier(d, "copy.safetensors", 4, 40.0);
    // 0/1 values are read as spins; 3 chains from 3 configurations.
    let mut values = vec![0i8; 3 * 16];
    values[..16].fill(1);
    vrg::io::npy::write_i8(d.join("mine.npy"), &[3, 4, 4], &values).unwrap();
    vrg_ok(
        d,
        &words("rg flow --model copy.safetensors --starts mine.npy --chains 3 --steps 4 --curve-sweeps 100 --out f"),
    );
    let doc = read_json(&d.join("f/flow.json"));
    assert_eq!(doc["flows"][0]["start"], "mine");
    let step = &doc["flows"][0]["steps"][4];
    assert_eq!(step["abs_magnetization"], 1.0);
    vrg_err(
        d,
        &words("rg flow --model copy.safetensors --starts mine.npy --chains 4 --out g"),
        &["3 configurations"],
    );
}

#[test]
fn a_small_flow_experiment_writes_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("small.toml"),
        r#"
[data]
temperatures = [0.0, 1.0, 2.5, 5.0]
samples = 60
sweeps = 2
burn_in = 50

[model]
hidden_per_site = 0.5

[train]
method = "cd"
epochs = 3
batch = 20
lr = 0.05

[flow]
chains = 40
steps = 6
curve_sweeps = 100
along_training_epochs = [1, 2]

[[run]]
name = "main"
flows_along_training = true
sizes = [4]

[[run]]
name = "extremes"
temperatures = [0.0, inf]
sizes = [4]

[[run]]
name = "permuted"
permute = true
sizes = [4]
"#,
    )
    .unwrap();
    vrg_ok(d, &words("rg flow-experiment --config small.toml --out x"));
    let summary = read_json(&d.join("x/summary.json"));
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for run in runs {
        assert_eq!(run["lattice"], 4);
        assert_eq!(run["training"]["epochs"], 3);
        assert_eq!(run["model"]["n_hidden"], 8);
        assert_eq!(run["flows"].as_array().unwrap().len(), 2);
        let name = run["run"].as_str().unwrap();
        assert!(d.join(format!("x/flow_{name}_L4.png")).is_file());
        assert!(d.join(format!("x/rbm_{name}_L4.safetensors")).is_file());
    }
    assert_eq!(runs[1]["temperatures"], serde_json::json!([0.0, "inf"]));
    // The main run also flowed after epochs 1 and 2, then at the end (3).
    let along = runs[0]["fixed_points_along_training"].as_array().unwrap();
    let epochs: Vec<u64> = along.iter().map(|a| a["epoch"].as_u64().unwrap()).collect();
    assert_eq!(epochs, [1, 2, 3]);
    assert!(d.join("x/fixed_points_main_L4.png").is_file());
    assert!(!d.join("x/fixed_points_extremes_L4.png").exists());
    assert_eq!(runs[1]["training"]["rows"], 120);
    assert!(summary["interpretation"].as_array().is_some());
    // The saved RBM flows again from the command line.
    vrg_ok(
        d,
        &words("rg flow --model x/rbm_main_L4.safetensors --chains 10 --steps 2 --curve-sweeps 50 --out again"),
    );
    // A bad experiment file is refused with its field named.
    std::fs::write(d.join("bad.toml"), "[data]\ntemperatures = []\nsamples = 1\n[model]\n[train]\n[flow]\nchains = 1\nsteps = 1\n[[run]]\nname = \"a\"\nsizes = [4]\n").unwrap();
    vrg_err(
        d,
        &words("rg flow-experiment --config bad.toml --out y"),
        &["bad.toml", "temperatures"],
    );
    assert!(!d.join("y").exists());
    std::fs::write(
        d.join("late.toml"),
        std::fs::read_to_string(d.join("small.toml"))
            .unwrap()
            .replace(
                "along_training_epochs = [1, 2]",
                "along_training_epochs = [9]",
            ),
    )
    .unwrap();
    vrg_err(
        d,
        &words("rg flow-experiment --config late.toml --out z"),
        &["along_training_epochs", "9", "epochs = 3"],
    );
}
