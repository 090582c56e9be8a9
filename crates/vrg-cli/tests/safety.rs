//! Issue #11: no input is ever destroyed, no flag can crash or exhaust the
//! machine, nothing is left half-written, and errors name what the user
//! gave. Each test is a class of failure an attack found in the old code.

mod common;
use common::{files, read_npy, train_flat_dbn, vrg, vrg_err, vrg_ok, words, write_npy};
use std::path::Path;

/// 200 configurations of 8×8 spins as d.npy (with its sidecar d.json) and
/// a 64-visible RBM m.safetensors trained on them.
fn setup(d: &Path) {
    vrg_ok(
        d,
        &words("ising sample --size 8 --temperature 2.5 --samples 200 --sweeps 2 --burn-in 50 --out d.npy"),
    );
    vrg_ok(
        d,
        &words("rbm train --data d.npy --hidden 8 --epochs 1 --batch 20 --out m.safetensors"),
    );
}

#[test]
fn no_output_may_be_an_input_however_it_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let data = std::fs::read(d.join("d.npy")).unwrap();
    std::fs::hard_link(d.join("d.npy"), d.join("hard.npy")).unwrap();
    std::fs::hard_link(d.join("m.safetensors"), d.join("model.npy")).unwrap();
    std::fs::hard_link(d.join("m.safetensors"), d.join("model.png")).unwrap();
    let model = std::fs::read(d.join("m.safetensors")).unwrap();
    std::os::unix::fs::symlink(d.join("d.npy"), d.join("soft.npy")).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    let cases = [
        // The attack's examples: a log spelled ./d.npy, an output = input.
        "dbn train --data d.npy --layers 64,4 --epochs 1 --batch 20 --log ./d.npy --out x.safetensors",
        "rbm transform --model m.safetensors --data d.npy --out d.npy",
        // The class: other spellings, hard and symbolic links, every command.
        "rbm train --data d.npy --hidden 4 --out x.safetensors --log sub/../hard.npy",
        "rbm train --data soft.npy --hidden 4 --out x.safetensors --log d.npy",
        "rbm train --data d.npy --hidden 4 --validation d.npy --out m2.safetensors --log ./sub/../d.npy",
        "rbm sample --model model.npy --samples 4 --gibbs-steps 1 --out ./model.npy",
        "rbm filters --model m.safetensors --out model.png",
        "dbn transform --model m.safetensors --data d.npy --out soft.npy",
        "dbn sample --model m.safetensors --samples 4 --out model.npy",
    ];
    for case in cases {
        let text = vrg_err(d, &words(case), &["same file"]);
        assert_eq!(text.lines().count(), 1, "{case}: {text}");
    }
    // Two outputs of one command.
    vrg_err(
        d,
        &words("rbm train --data d.npy --hidden 4 --out x.safetensors --log x.safetensors"),
        &["--log", "--out", "two outputs"],
    );
    assert_eq!(std::fs::read(d.join("d.npy")).unwrap(), data);
    assert_eq!(std::fs::read(d.join("model.npy")).unwrap(), model);
    assert!(!d.join("x.safetensors").exists());
    assert_eq!(
        files(d),
        [
            "d.json",
            "d.npy",
            "hard.npy",
            "m.safetensors",
            "model.npy",
            "model.png",
            "soft.npy",
            "sub"
        ]
    );
}

#[test]
fn an_input_inside_an_output_directory_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    std::fs::create_dir(d.join("run")).unwrap();
    std::fs::copy(d.join("d.npy"), d.join("run/ising.npy")).unwrap();
    vrg_ok(
        d,
        &words("dbn train --data run/ising.npy --layers 64,16,4 --epochs 1 --batch 20 --out run/dbn.safetensors"),
    );
    std::fs::write(d.join("run/notes.txt"), "mine").unwrap();
    // Reading the model and data from the directory being written is fine:
    // the analysis does not write files of those names, and keeps the rest.
    vrg_ok(
        d,
        &words("dbn analyze --model run/dbn.safetensors --data run/ising.npy --generate 4 --gibbs-steps 2 --logz none --out run"),
    );
    let names = files(&d.join("run"));
    for kept in ["dbn.safetensors", "ising.npy", "notes.txt", "summary.json"] {
        assert!(names.contains(&kept.to_string()), "{names:?}");
    }
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    // But an input named like one of its outputs would be replaced.
    std::fs::copy(d.join("run/generated.png"), d.join("run/keep.png")).unwrap();
    let before = std::fs::read(d.join("run/generated.png")).unwrap();
    vrg_err(
        d,
        &words("dbn analyze --model run/dbn.safetensors --data run/generated.png --out run"),
        &["--data run/generated.png", "same file"],
    );
    assert_eq!(std::fs::read(d.join("run/generated.png")).unwrap(), before);
}

#[test]
fn sizes_from_flags_are_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    vrg_ok(
        d,
        &words("dbn train --data d.npy --layers 64,8 --epochs 1 --batch 20 --out dbn.safetensors"),
    );
    let huge = "1000000000000";
    let cases = [
        "rbm train --data d.npy --hidden 100000000000 --out a.safetensors".to_string(),
        format!("rbm train --data d.npy --hidden 8 --method pcd --chains {huge} --out a.safetensors"),
        format!("rbm sample --model m.safetensors --samples {huge} --gibbs-steps 1 --out a.npy"),
        format!("rbm eval --model m.safetensors --data d.npy --logz ais --chains {huge}"),
        format!("rbm eval --model m.safetensors --data d.npy --logz ais --betas {huge}"),
        format!("dbn sample --model dbn.safetensors --samples {huge} --out a.npy"),
        "dbn train --data d.npy --layers 64,100000000000 --out a.safetensors".to_string(),
        format!("dbn analyze --model dbn.safetensors --data d.npy --generate {huge} --logz none --out a"),
        format!("ising sample --size 8 --temperature 2 --samples {huge} --out a.npy"),
    ];
    for case in &cases {
        let o = vrg(d, &words(case));
        let text = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {text}");
        assert!(
            text.contains("needs") || text.contains("exceed"),
            "{case}: {text}"
        );
        let errors: Vec<&str> = text.lines().filter(|l| l.contains("error")).collect();
        assert!(
            !text.contains("panicked") && errors.len() == 1,
            "{case}: {text}"
        );
    }
    vrg_err(
        d,
        &words("--threads 10000 ising exact --size 4 --temperature 2"),
        &["--threads 10000", "at most"],
    );
    assert_eq!(
        files(d),
        ["d.json", "d.npy", "dbn.safetensors", "m.safetensors"]
    );
}

#[test]
fn failures_leave_no_output_directory_file_or_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Data that train but are no square lattice: the analysis fails late,
    // after its first figures are drawn.
    train_flat_dbn(d);
    vrg_err(
        d,
        &words("dbn analyze --model flat.safetensors --data flat.npy --out z"),
        &["square-lattice"],
    );
    assert_eq!(files(d), ["flat.npy", "flat.safetensors"]);

    // A demo whose analysis window does not fit its lattice: refused before
    // any sampling or training, and no directory.
    let config = "[ising]\nsize = 6\ntemperature = 2.5\nsamples = 200\nsweeps = 1\nburn_in = 20\n\
                  [[layer]]\nhidden = 9\nepochs = 1\nbatch = 20\n\
                  [analysis]\nwindow = 7\n";
    std::fs::write(d.join("bad.toml"), config).unwrap();
    let o = vrg(d, &words("demo --config bad.toml --out demo"));
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert_eq!(files(d), ["bad.toml", "flat.npy", "flat.safetensors"]);
}

#[test]
fn temporaries_left_by_killed_runs_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    // Process ids on Linux stay below 2^22: these were never running.
    std::fs::write(d.join(".m2.safetensors.4194999.tmp"), "stale").unwrap();
    std::fs::create_dir(d.join(".run.4194998.tmpdir")).unwrap();
    vrg_ok(
        d,
        &words("dbn train --data d.npy --layers 64,4 --epochs 1 --batch 20 --out m2.safetensors"),
    );
    vrg_ok(
        d,
        &words(
            "dbn analyze --model m2.safetensors --data d.npy --logz none --generate 0 --out run",
        ),
    );
    assert!(
        files(d).iter().all(|n| !n.starts_with('.')),
        "{:?}",
        files(d)
    );
}

#[test]
fn ambiguous_lattice_shapes_are_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 64 configurations of 8×8 stored flat: (64, 64), like `vrg dbn sample`
    // writes. All up: every bond satisfied, e = −2 per spin on 8×8; as one
    // 64×64 lattice the energy would be the same, so make rows differ.
    let mut values = vec![1i8; 64 * 64];
    for row in 0..32 {
        // half the configurations are a checkerboard: e = +2 per spin.
        for site in 0..64 {
            values[row * 64 + site] = if (site / 8 + site % 8) % 2 == 0 {
                1
            } else {
                -1
            };
        }
    }
    write_npy(&d.join("flat.npy"), &[64, 64], &values);
    vrg_err(
        d,
        &words("ising measure --data flat.npy"),
        &["ambiguous", "--lattice 64", "--lattice 8"],
    );
    let o = vrg_ok(
        d,
        &words("ising measure --data flat.npy --lattice 8 --json"),
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["size"], 8);
    assert_eq!(report["configurations"], 64);
    let e = report["blocks"][0]["observables"]["energy_per_spin"]["mean"]
        .as_f64()
        .unwrap();
    assert!(e.abs() < 1e-12, "half at −2, half at +2: {e}");
    vrg_err(
        d,
        &words("ising measure --data flat.npy --lattice 7"),
        &["--lattice", "7"],
    );
    // A sidecar saying L settles it.
    std::fs::write(d.join("flat.json"), r#"{"parameters": {"size": 8}}"#).unwrap();
    let o = vrg_ok(d, &words("ising measure --data flat.npy --json"));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["size"], 8);
    // A sidecar temperature that is invalid is reported as the sidecar's.
    std::fs::write(
        d.join("flat.json"),
        r#"{"parameters": {"size": 8}, "blocks": [{"temperature": -1, "rows": [0, 64]}]}"#,
    )
    .unwrap();
    let text = vrg_err(
        d,
        &words("ising measure --data flat.npy"),
        &["flat.json", "blocks[0].temperature", "-1"],
    );
    assert!(!text.contains("--temperature"), "{text}");
}

#[test]
fn errors_name_only_what_the_user_gave_with_the_value_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    vrg_err(
        d,
        &words("rbm transform --model m.safetensors --data d.npy --scale 1e-300 --out h.npy"),
        &["--scale 1e-300"],
    );
    // A bad value in an experiment file names the file and table, not a flag.
    std::fs::write(
        d.join("e.toml"),
        "[ising]\nsize = 6\ntemperature = -1\nsamples = 10\n[[layer]]\nhidden = 4\n",
    )
    .unwrap();
    let text = vrg_err(
        d,
        &words("demo --config e.toml --out e"),
        &["e.toml", "[ising]"],
    );
    assert!(!text.contains("--temperature"), "{text}");
    assert!(!d.join("e").exists());
    let (shape, _) = read_npy::<i8>(&d.join("d.npy"));
    assert_eq!(shape, [200, 8, 8]);
}
