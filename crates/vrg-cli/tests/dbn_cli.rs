//! End-to-end tests of `vrg dbn …` and `vrg demo` in temporary directories,
//! on small Ising data.

mod common;
use common::{json_lines, read_npy, stderr, train_flat_dbn, vrg_err, vrg_ok, words};

use serde_json::Value;
use std::path::Path;
use vrg::dbn::file::load_dbn;

/// Command-line words split on spaces.
/// 400 configurations of the 8×8 Ising model at T = 2.45 as `ising.npy`.
/// Checks that every figure in `summary["figures"]` exists in `dir`, every
/// PNG decodes in full (RGB, at least 64 pixels a side) and has a caption
/// in `summary["captions"]`; returns the figure keys.
fn check_figures(dir: &Path, summary: &Value) -> Vec<String> {
    let figures = summary["figures"].as_object().expect("figures");
    let captions = summary["captions"].as_object().expect("captions");
    for (key, file) in figures {
        let file = file.as_str().unwrap();
        let path = dir.join(file);
        assert!(path.is_file(), "{key}: {file} missing");
        if file.ends_with(".png") {
            let decoder =
                png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
            let mut reader = decoder.read_info().unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            let frame = reader.next_frame(&mut pixels).unwrap();
            assert!(frame.width >= 64 && frame.height >= 64, "{file}");
            let caption = captions.get(key).and_then(Value::as_str);
            assert!(caption.is_some_and(|c| c.len() > 20), "{key}: no caption");
        }
    }
    for key in captions.keys() {
        assert!(figures.contains_key(key), "caption {key} without a figure");
    }
    figures.keys().cloned().collect()
}

fn ising_data(dir: &Path) {
    vrg_ok(
        dir,
        &words("ising sample --size 8 --temperature 2.45 --samples 400 --sweeps 2 --burn-in 100 --out ising.npy"),
    );
}

#[test]
fn train_logs_every_epoch_and_each_layers_free_energies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ising_data(d);
    let o = vrg_ok(
        d,
        &words("dbn train --data ising.npy --layers 64,16,4 --epochs 2,3 --lr 0.05 --method cd --l1 1e-3 --batch 50 --log train.jsonl --out dbn.safetensors"),
    );
    let text = stderr(&o);
    assert!(text.contains("±1 spins mapped to 0/1"), "{text}");
    assert!(text.contains("layer 2 (16×4)"), "{text}");
    let file = load_dbn(d.join("dbn.safetensors")).unwrap();
    assert_eq!(file.dbn.sizes(), vec![64, 16, 4]);
    assert_eq!(file.params[0].as_ref().unwrap().epochs(), 2);
    assert_eq!(file.params[1].as_ref().unwrap().epochs(), 3);
    assert_eq!(
        file.params[1].as_ref().unwrap().seed(),
        2,
        "layer seeds default to 1, 2, …"
    );
    let lines = json_lines(&d.join("train.jsonl"));
    let epochs: Vec<(u64, u64)> = lines
        .iter()
        .filter(|l| l.get("epoch").is_some())
        .map(|l| (l["layer"].as_u64().unwrap(), l["epoch"].as_u64().unwrap()))
        .collect();
    assert_eq!(epochs, vec![(0, 1), (0, 2), (1, 1), (1, 2), (1, 3)]);
    let done: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "layer_done")
        .collect();
    assert_eq!(done.len(), 2);
    for (l, f) in done.iter().enumerate() {
        // 16 and 4 hidden units: both enumerated exactly.
        assert_eq!(f["log_z_method"], "exact");
        let log_z = f["log_z"].as_f64().unwrap();
        let n = f["n_visible"].as_f64().unwrap();
        assert!((f["free_energy_per_unit"].as_f64().unwrap() + log_z / n).abs() < 1e-9);
        let ll = f["log_likelihood"].as_f64().unwrap();
        assert!((ll + f["mean_free_energy"].as_f64().unwrap() + log_z).abs() < 1e-6);
        assert!(f["log_likelihood_validation"].is_number());
        if l == 1 {
            let below = done[0]["free_energy_per_unit"].as_f64().unwrap();
            let delta = f["delta_free_energy_per_unit"].as_f64().unwrap();
            assert!((delta - (f["free_energy_per_unit"].as_f64().unwrap() - below)).abs() < 1e-9);
        } else {
            assert!(f["delta_free_energy_per_unit"].is_null());
        }
    }
    // The library computes the same free energies from the saved model.
    let exact = vrg::estimate::log_partition_exact(&file.dbn.layers()[1]).unwrap();
    assert!((done[1]["log_z"].as_f64().unwrap() - exact.log_z).abs() < 1e-9);
}

#[test]
fn config_files_and_per_layer_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ising_data(d);
    std::fs::write(
        d.join("exp.toml"),
        "[train]\nmethod = \"cd\"\nepochs = 2\nbatch = 40\nlr = 0.05\nl1 = 1e-3\n\n[[layer]]\nhidden = 16\n\n[[layer]]\nhidden = 9\nepochs = 1\nl1 = 0.0\n\n[analysis]\nlogz = \"none\"\n",
    )
    .unwrap();
    vrg_ok(
        d,
        &words("dbn train --data ising.npy --config exp.toml --lr 0.02 --out a.safetensors"),
    );
    let file = load_dbn(d.join("a.safetensors")).unwrap();
    assert_eq!(file.dbn.sizes(), vec![64, 16, 9]);
    let (p0, p1) = (
        file.params[0].clone().unwrap(),
        file.params[1].clone().unwrap(),
    );
    assert_eq!((p0.epochs(), p1.epochs()), (2, 1), "[[layer]] over [train]");
    assert_eq!((p0.l1(), p1.l1()), (1e-3, 0.0));
    assert_eq!(
        (p0.learning_rate(), p1.learning_rate()),
        (0.02, 0.02),
        "flags over the file"
    );
    assert_eq!(p0.batch_size(), 40);
    // --layers replaces the file's hidden sizes when the counts agree.
    vrg_ok(
        d,
        &words("dbn train --data ising.npy --config exp.toml --layers 64,8,4 --out b.safetensors"),
    );
    assert_eq!(
        load_dbn(d.join("b.safetensors")).unwrap().dbn.sizes(),
        vec![64, 8, 4]
    );

    // Bad inputs: each names the problem, exits 2 and writes no model.
    std::fs::write(d.join("bad.toml"), "[train]\nlearning_rate = 0.1\n").unwrap();
    std::fs::write(d.join("nohidden.toml"), "[[layer]]\nepochs = 2\n").unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--config", "exp.toml", "--layers", "64,8"],
            &["1 layers", "2 [[layer]]"],
        ),
        (&["--layers", "100,8"], &["100", "64 features"]),
        (
            &["--layers", "64"],
            &["--layers", "at least one hidden layer"],
        ),
        (&["--layers", "64,x"], &["--layers", "\"x\""]),
        (
            &["--layers", "64,8,4", "--lr", "0.1,0.2,0.3"],
            &["--lr", "3 values for 2 layers"],
        ),
        (
            &["--layers", "64,8,4", "--lr", "0.1,-1"],
            &["layer 2", "lr"],
        ),
        (
            &["--layers", "64,8", "--hidden-units", "gauss"],
            &["gauss", "bernoulli, spin or gaussian"],
        ),
        (&["--layers", "64,8", "--logz", "magic"], &["magic"]),
        (
            &["--config", "bad.toml", "--layers", "64,8"],
            &["bad.toml", "learning_rate"],
        ),
        (&["--config", "nohidden.toml"], &["nohidden.toml", "hidden"]),
        (&[], &["--layers"]),
    ];
    for (flags, words) in cases {
        let mut args = vec![
            "dbn",
            "train",
            "--data",
            "ising.npy",
            "--out",
            "c.safetensors",
        ];
        args.extend_from_slice(flags);
        vrg_err(d, &args, words);
    }
    vrg_err(
        d,
        &words("dbn train --data ising.npy --layers 64,8 --out c.npy"),
        &[".safetensors"],
    );
    vrg_err(
        d,
        &words("dbn train --data missing.npy --layers 64,8 --out c.safetensors"),
        &["missing.npy"],
    );
    // Exact ln Z that cannot be done is refused before any training.
    let text = vrg_err(
        d,
        &words("dbn train --data ising.npy --layers 64,20,40,36 --logz exact --out c.safetensors"),
        &["--logz exact", "layer 3", "36 units", "at most 34"],
    );
    assert!(!text.contains("layer 1 ("), "no layer was trained: {text}");
    assert!(!d.join("c.safetensors").exists());
}

#[test]
fn analyze_writes_figures_and_summary_and_sample_generates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ising_data(d);
    vrg_ok(
        d,
        &words("dbn train --data ising.npy --layers 64,16,4 --epochs 3 --lr 0.05 --method cd --logz none --out dbn.safetensors"),
    );
    vrg_ok(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --window 2 --generate 9 --gibbs-steps 20 --out report"),
    );
    let r = d.join("report");
    for name in [
        "receptive_fields_level1.png",
        "receptive_fields_level2.png",
        "reconstructions.png",
        "block_spins.png",
        "generated.png",
        "layers.csv",
        "summary.json",
    ] {
        assert!(r.join(name).is_file(), "{name} missing");
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        check_figures(&r, &summary),
        [
            "block_spins",
            "field_sizes",
            "free_energies",
            "generated",
            "layers_csv",
            "receptive_fields_level1",
            "receptive_fields_level2",
            "reconstructions",
        ]
    );
    for level in 1..=2 {
        let locality = &summary["levels"][level]["locality"];
        let ratio = locality["median_participation_ratio"].as_f64().unwrap();
        assert!((1.0..=64.0).contains(&ratio), "{ratio}");
        assert!(
            locality["lower_quartile_participation_ratio"]
                .as_f64()
                .unwrap()
                <= ratio
        );
        assert!(
            locality["upper_quartile_participation_ratio"]
                .as_f64()
                .unwrap()
                >= ratio
        );
        assert!(summary["levels"][level]["dead_units"].is_u64());
    }
    assert_eq!(summary["sizes"], serde_json::json!([64, 16, 4]));
    assert_eq!(summary["levels"].as_array().unwrap().len(), 3);
    assert_eq!(summary["free_energies"].as_array().unwrap().len(), 2);
    let fraction = summary["receptive_fields"]["first_layer_median_mass_fraction"]
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&fraction));
    assert_eq!(summary["levels"][1]["block_spins"]["block"], 2);
    assert_eq!(summary["levels"][2]["block_spins"]["block"], 4);
    assert_eq!(summary["generated"]["samples"], 9);
    // MCRG of the learned levels beside majority rule's: each hidden level
    // has finite exponents for both, or the reason why not.
    assert!(summary["levels"][0]["mcrg"].is_null());
    for level in 1..=2 {
        let m = &summary["levels"][level]["mcrg"];
        assert!(m["placed"].is_boolean(), "{m}");
        match m["reason"].as_str() {
            Some(reason) => assert!(!reason.is_empty()),
            None => {
                for which in ["learned", "majority"] {
                    for key in ["y_t", "y_t_err", "y_h", "y_h_err"] {
                        assert!(m[which][key].as_f64().unwrap().is_finite(), "{m}");
                    }
                }
                let b = m["block"].as_u64().unwrap();
                assert!(b == 2 || b == 4, "{m}");
            }
        }
        if !m["placed"].as_bool().unwrap() {
            assert!(m["reason"].as_str().unwrap().len() > 10, "{m}");
            assert!(m["learned"].is_null() && m["majority"].is_null(), "{m}");
            assert!(m["mean_abs_correlation"].is_null(), "{m}");
        } else {
            // The one-to-one assignment's quality.
            let f = |k: &str| m[k].as_f64().unwrap();
            let (mean, min, best) = (
                f("mean_abs_correlation"),
                f("min_abs_correlation"),
                f("best_block_fraction"),
            );
            assert!(0.0 < min && min <= mean && mean <= 1.0, "{m}");
            assert!((0.0..=1.0).contains(&best), "{m}");
        }
    }
    let report = std::fs::read_to_string(r.join("report.html")).unwrap();
    assert!(report.contains("y_T learned") && report.contains("best block"));
    let csv = std::fs::read_to_string(r.join("layers.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");

    vrg_ok(
        d,
        &words("dbn sample --model dbn.safetensors --samples 5 --gibbs-steps 10 --out gen.npy"),
    );
    let (shape, values) = read_npy::<i8>(&d.join("gen.npy"));
    assert_eq!(shape, [5, 64]);
    assert!(values.iter().all(|&v| v == 0 || v == 1));

    // The up-pass: means equal the library's, samples are 0/1.
    vrg_ok(
        d,
        &words("dbn transform --model dbn.safetensors --data ising.npy --level 1 --out h1.npy"),
    );
    let (shape, means) = read_npy::<f64>(&d.join("h1.npy"));
    assert_eq!(shape, [400, 16]);
    let dbn = load_dbn(d.join("dbn.safetensors")).unwrap().dbn;
    let (_, spins) = read_npy::<i8>(&d.join("ising.npy"));
    let v: Vec<f32> = spins.iter().map(|&s| f32::from((s + 1) / 2)).collect();
    let expected = dbn.up(&v, 400, 1).unwrap();
    assert!(means
        .iter()
        .zip(&expected)
        .all(|(a, &b)| (a - f64::from(b)).abs() < 1e-7));
    vrg_ok(
        d,
        &words("dbn transform --model dbn.safetensors --data ising.npy --sample --out h2.npy"),
    );
    let (shape, samples) = read_npy::<i8>(&d.join("h2.npy"));
    assert_eq!(shape, [400, 4], "the top level by default");
    assert!(samples.iter().all(|&x| x == 0 || x == 1));
    vrg_err(
        d,
        &words("dbn transform --model dbn.safetensors --data ising.npy --level 3 --out h3.npy"),
        &["--level 3", "1", "2"],
    );

    // Data that are not a square lattice train, but do not analyse.
    train_flat_dbn(d);
    vrg_err(
        d,
        &words("dbn analyze --model flat.safetensors --data flat.npy --out z"),
        &["square-lattice", "10 data units"],
    );

    // Bad inputs.
    vrg_err(
        d,
        &words("dbn analyze --model missing.safetensors --data ising.npy --out x"),
        &["missing.safetensors"],
    );
    vrg_err(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --window 9 --out x"),
        &["window", "9"],
    );
    vrg_err(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --mcrg-jackknife 1 --out x"),
        &["--mcrg-jackknife 1", "at least 2"],
    );
    // More jackknife blocks than half the rows: every hidden level reports
    // why it has no exponents; the analysis still succeeds.
    vrg_ok(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --rows 20 --generate 0 --mcrg-jackknife 15 --out few"),
    );
    let few: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("few/summary.json")).unwrap())
            .unwrap();
    for level in 1..=2 {
        let m = &few["levels"][level]["mcrg"];
        assert!(m["learned"].is_null() && m["majority"].is_null(), "{m}");
        assert!(m["reason"].as_str().unwrap().len() > 10, "{m}");
    }
    std::fs::write(d.join("afile"), "x").unwrap();
    vrg_err(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --out afile"),
        &["afile", "not a directory"],
    );
    vrg_ok(
        d,
        &words("ising sample --size 4 --temperature 3 --samples 10 --out small.npy"),
    );
    vrg_err(
        d,
        &words("dbn analyze --model dbn.safetensors --data small.npy --out y"),
        &["16 features", "64 data units"],
    );
    vrg_err(
        d,
        &words("dbn sample --model dbn.safetensors --samples 0 --out g.npy"),
        &["--samples 0"],
    );
}

#[test]
fn demo_runs_an_experiment_file_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tiny.toml"),
        "[ising]\nsize = 8\ntemperature = 2.45\nsamples = 300\nsweeps = 2\nburn_in = 50\n\n[train]\nmethod = \"cd\"\nepochs = 2\nbatch = 50\nlr = 0.05\n\n[[layer]]\nhidden = 16\n\n[[layer]]\nhidden = 4\n\n[analysis]\nwindow = 2\ngenerate = 4\ngibbs_steps = 10\n",
    )
    .unwrap();
    let o = vrg_ok(d, &["demo", "--config", "tiny.toml", "--out", "out"]);
    assert!(stderr(&o).contains("summary.json"));
    let out = d.join("out");
    for name in [
        "ising.npy",
        "dbn.safetensors",
        "train.jsonl",
        "summary.json",
        "receptive_fields_level2.png",
        "field_sizes.png",
        "free_energies.png",
        "training.png",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let keys = check_figures(&out, &summary);
    for key in [
        "field_sizes",
        "free_energies",
        "training",
        "receptive_fields_level1",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} not in {keys:?}");
    }
    let ising = &summary["ising"];
    assert_eq!(ising["size"], 8);
    // The data's measured energy is within error bars of Kaufman's.
    let e = ising["energy_per_spin"]["mean"].as_f64().unwrap();
    let err = ising["energy_per_spin"]["error"].as_f64().unwrap();
    let exact = ising["exact_energy_per_spin"].as_f64().unwrap();
    assert!(
        ((e - exact) / err).abs() < 5.0,
        "e = {e} ± {err}, exact {exact}"
    );
    let free = summary["free_energies"].as_array().unwrap();
    assert_eq!(free.len(), 2);
    assert!(
        free[0]["log_likelihood_validation"].is_number(),
        "the training run's held-out figures"
    );
    assert!(summary["free_energies_note"]
        .as_str()
        .unwrap()
        .contains("after it was trained"));
    let bound = summary["training"]["best_possible_log_likelihood_per_spin"]
        .as_f64()
        .unwrap();
    let achieved = summary["training"]["layer0_log_likelihood_per_spin_validation"]
        .as_f64()
        .unwrap();
    assert!(bound < 0.0 && bound > -std::f64::consts::LN_2);
    assert!(
        achieved < bound + 0.05,
        "no model beats the entropy bound by much: {achieved} vs {bound}"
    );

    std::fs::write(d.join("nodata.toml"), "[[layer]]\nhidden = 4\n").unwrap();
    vrg_err(
        d,
        &["demo", "--config", "nodata.toml", "--out", "o2"],
        &["nodata.toml", "[ising]"],
    );
    vrg_err(d, &["demo", "--full", "--config", "tiny.toml"], &["--full"]);
}
