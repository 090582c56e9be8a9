//! `vrg rbm train --method tap2|tap3` (EMF training), `vrg rbm eval --logz
//! tap1|tap2|tap3`, and EMF layers in `vrg dbn train` (issue #17).

mod common;
use common::{stderr, vrg_err, vrg_ok, words, write_npy};
use serde_json::Value;
use std::path::Path;
use vrg::dbn::file::load_dbn;
use vrg::rbm::file::load_rbm;

/// 200 rows of 16 bits, unit i on with probability 0.2 + 0.6·i/16.
fn write_data(dir: &Path) {
    let mut state = 12345u64;
    let mut bits = Vec::with_capacity(200 * 16);
    for k in 0..200 * 16 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        bits.push((u < 0.2 + 0.6 * (k % 16) as f64 / 16.0) as u8);
    }
    write_npy(&dir.join("d.npy"), &[200, 16], &bits);
}

fn train(dir: &Path, method: &str, epochs: &str, out: &str, resume: bool) {
    let mut args = words(
        "--threads 1 rbm train --data d.npy --hidden 8 --batch 20 --seed 3 \
         --tap-iterations 4 --tap-damping 0.4 --log",
    );
    let log = format!("{out}.jsonl");
    args.push(&log);
    args.extend(["--method", method, "--epochs", epochs, "--out", out]);
    if resume {
        args.push("--resume");
    }
    vrg_ok(dir, &args);
}

/// EMF training writes checkpoints whose persistent magnetisations make
/// --resume continue bit for bit, as for CD and PCD.
#[test]
fn emf_training_resumes_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    for method in ["tap2", "tap3"] {
        let straight = format!("straight-{method}.safetensors");
        let resumed = format!("resumed-{method}.safetensors");
        train(dir.path(), method, "4", &straight, false);
        train(dir.path(), method, "2", &resumed, false);
        train(dir.path(), method, "4", &resumed, true);
        let a = load_rbm(dir.path().join(&straight)).unwrap();
        let b = load_rbm(dir.path().join(&resumed)).unwrap();
        assert_eq!(b.epoch, 4);
        assert_eq!(a.rbm, b.rbm, "{method}: the model differs");
        assert_eq!(a.state, b.state, "{method}: the optimiser state differs");
        let params = a.params.unwrap();
        assert_eq!(params.method().name(), method);
        assert_eq!((params.tap_iterations(), params.tap_damping()), (4, 0.4));
        // 20 persistent magnetisation pairs (the batch size) of 8 hidden
        // and 16 visible units, each in [0, 1].
        let state = a.state.unwrap();
        let (chains, visible) = (&state.chains, &state.visible_chains);
        assert_eq!((chains.len(), visible.len()), (20 * 8, 20 * 16));
        for m in chains.iter().chain(visible) {
            assert!((0.0..=1.0).contains(m), "{chains:?} {visible:?}");
        }
        // The log reports the sweeps per update: all 4, without a tolerance.
        let log = std::fs::read_to_string(dir.path().join(format!("{straight}.jsonl"))).unwrap();
        for line in log.lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["tap_sweeps"], 4.0, "{line}");
        }
    }
    // A resumed run may not change the EMF settings.
    let mut args = words(
        "rbm train --data d.npy --hidden 8 --batch 20 --seed 3 --method tap2 \
         --tap-iterations 4 --tap-damping 0.3 --epochs 5 --resume --out straight-tap2.safetensors",
    );
    args.push("--log");
    args.push("straight-tap2.safetensors.jsonl");
    vrg_err(dir.path(), &args, &["--tap-damping", "0.3", "0.4"]);
}

/// `rbm eval --logz tapN` reports the library's TAP estimate in the JSON
/// of the other estimates, beside exact enumeration.
#[test]
fn eval_reports_tap_beside_exact() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    train(dir.path(), "pcd", "3", "m.safetensors", false);
    let eval = |logz: &str| -> Value {
        let args = words("rbm eval --model m.safetensors --data d.npy --json --logz");
        let mut args = args.clone();
        args.push(logz);
        serde_json::from_slice(&vrg_ok(dir.path(), &args).stdout).unwrap()
    };
    let exact = eval("exact");
    let exact_log_z = exact["log_z"].as_f64().unwrap();
    let rbm = load_rbm(dir.path().join("m.safetensors")).unwrap().rbm;
    for (name, order) in [
        ("tap1", vrg::estimate::TapOrder::First),
        ("tap2", vrg::estimate::TapOrder::Second),
        ("tap3", vrg::estimate::TapOrder::Third),
    ] {
        let tap = eval(name);
        assert_eq!(tap["method"], name);
        let library =
            vrg::estimate::tap_log_partition(&rbm, &vrg::estimate::TapOptions::new(order)).unwrap();
        assert_eq!(tap["log_z"].as_f64().unwrap(), library.log_z);
        assert_eq!(tap["log_z_stderr"], 0.0);
        assert!(tap["residual"].as_f64().unwrap() <= 1e-9, "{tap}");
        assert!(tap["iterations"].as_u64().unwrap() >= 1, "{tap}");
        let free = tap["avg_free_energy"].as_f64().unwrap();
        let ll = tap["avg_log_likelihood"].as_f64().unwrap();
        assert!((ll - (-free - library.log_z)).abs() < 1e-9);
        // Three epochs from small weights: every order is close to exact.
        let error = (library.log_z - exact_log_z).abs();
        eprintln!(
            "{name}: ln Z {} vs exact {exact_log_z} (error {error:.2e})",
            library.log_z
        );
        assert!(error < 0.05 * exact_log_z.abs(), "{name}: {error}");
    }
}

#[test]
fn bad_emf_settings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let base = "rbm train --data d.npy --hidden 4 --epochs 1 --batch 20 --out x.safetensors";
    for (extra, needles) in [
        ("--method tap2 --tap-damping 1", &["tap-damping", "1"][..]),
        (
            "--method tap3 --tap-iterations 0",
            &["tap-iterations", "0"][..],
        ),
        ("--method tap4", &["tap4"][..]),
        (
            "--method tap2 --tap-tolerance -0.1",
            &["tap-tolerance", "-0.1"][..],
        ),
        (
            "--method tap2 --tap-tolerance NaN",
            &["tap-tolerance", "NaN"][..],
        ),
        (
            "--method tap2 --chains 4 --tap-restarts 5",
            &["tap-restarts", "5", "4 persistent"][..],
        ),
        (
            "--method tap2 --chains 4 --tap-gibbs-chains 8",
            &["tap-gibbs-chains", "8", "without --tap-restarts"][..],
        ),
        (
            "--method tap2 --chains 4 --tap-restarts 3 --tap-gibbs-chains 1",
            &["tap-gibbs-chains", "1", "at least the 2 restarts"][..],
        ),
        (
            "--method tap2 --tap-restarts 1 --tap-gibbs-chains -1",
            &["tap-gibbs-chains", "-1"][..],
        ),
        (
            "--method tap3 --tap-precision f16",
            &["tap-precision", "f16", "bf16"][..],
        ),
        (
            "--method tap3 --tap-weights softmax",
            &["tap-weights", "softmax", "boltzmann"][..],
        ),
        (
            "--method tap2 --visible-units gaussian",
            &["method", "tap2", "Gaussian"][..],
        ),
    ] {
        let line = format!("{base} {extra}");
        vrg_err(dir.path(), &words(&line), needles);
        assert!(!dir.path().join("x.safetensors").exists(), "{extra}");
    }
}

/// `vrg dbn train --method pcd,tap2` trains its second layer by EMF, and
/// `--logz tap2` reports each layer's TAP ln Z.
#[test]
fn dbn_layers_take_the_emf_method_and_tap_free_energies() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let o = vrg_ok(
        dir.path(),
        &words(
            "dbn train --data d.npy --layers 16,8,4 --epochs 2 --batch 20 --method pcd,tap2 \
             --logz tap2 --out dbn.safetensors",
        ),
    );
    let text = stderr(&o);
    assert!(text.contains("(tap2)"), "{text}");
}

/// An experiment file selects EMF per layer, with its own settings.
#[test]
fn experiment_files_select_emf_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    std::fs::write(
        dir.path().join("exp.toml"),
        "[train]\nmethod = \"pcd\"\nepochs = 1\nbatch = 20\n\n[[layer]]\nhidden = 8\n\n\
         [[layer]]\nhidden = 4\nmethod = \"tap3\"\ntap_iterations = 2\ntap_damping = 0.25\n\
         tap_restarts = 3\ntap_precision = \"bf16\"\ntap_gibbs_chains = 6\n\
         tap_weights = \"boltzmann\"\n\n\
         [analysis]\nlogz = \"none\"\n",
    )
    .unwrap();
    vrg_ok(
        dir.path(),
        &words("dbn train --data d.npy --config exp.toml --out e.safetensors"),
    );
    let file = load_dbn(dir.path().join("e.safetensors")).unwrap();
    let (p0, p1) = (
        file.params[0].clone().unwrap(),
        file.params[1].clone().unwrap(),
    );
    assert_eq!((p0.method().name(), p1.method().name()), ("pcd", "tap3"));
    assert_eq!(
        (p1.tap_iterations(), p1.tap_damping(), p1.tap_restarts()),
        (2, 0.25, 3)
    );
    assert_eq!(
        (p0.tap_iterations(), p0.tap_damping(), p0.tap_restarts()),
        (3, 0.5, 0)
    );
    assert_eq!(
        (p0.tap_precision().name(), p1.tap_precision().name()),
        ("f32", "bf16")
    );
    assert_eq!((p0.tap_gibbs_chains(), p1.tap_gibbs_chains()), (0, 6));
    assert_eq!(
        (p0.tap_weights().name(), p1.tap_weights().name()),
        ("uniform", "boltzmann")
    );
}
