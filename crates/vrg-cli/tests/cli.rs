//! End-to-end tests of the `vrg` binary in temporary directories.

mod common;
use common::{files, read_npy, stderr, vrg, vrg_ok, vrg_one_line_err, words, write_npy};

use serde_json::Value;

#[test]
fn sample_writes_npy_and_sidecar_for_several_temperatures() {
    let dir = tempfile::tempdir().unwrap();
    vrg_ok(
        dir.path(),
        &words("ising sample --size 8 --temperature 1.5:2.5:0.5 --samples 20 --sweeps 2 --burn-in 50 --out s.npy"),
    );
    assert_eq!(files(dir.path()), vec!["s.json", "s.npy"]);
    let (shape, spins) = read_npy::<i8>(&dir.path().join("s.npy"));
    assert_eq!(shape, vec![60, 8, 8]);
    assert!(spins.iter().all(|&s| s == 1 || s == -1));
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(json["shape"], serde_json::json!([60, 8, 8]));
    assert_eq!(json["parameters"]["samples"], 20);
    assert_eq!(json["parameters"]["seed"], 1);
    let blocks = json["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 3);
    for (i, (block, t)) in blocks.iter().zip([1.5, 2.0, 2.5]).enumerate() {
        assert_eq!(block["temperature"].as_f64().unwrap(), t);
        assert_eq!(block["rows"], serde_json::json!([20 * i, 20 * (i + 1)]));
        for key in words(
            "energy_per_spin abs_magnetization magnetization_squared magnetization_fourth specific_heat susceptibility binder_cumulant",
        ) {
            assert!(block["observables"][key]["mean"].is_number(), "{key}");
            assert!(block["observables"][key]["error"].is_number(), "{key}");
        }
        assert!(block["observables"]["autocorrelation_time"]["energy"].is_number());
        assert!(block["exact"]["energy_per_spin"].is_number());
    }
}

#[test]
fn sample_is_reproducible_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for (threads, out) in [("1", "a.npy"), ("2", "b.npy")] {
        let o = vrg(
            dir.path(),
            &[
                "--threads",
                threads,
                "ising",
                "sample",
                "--size",
                "64",
                "--temperature",
                "2.0,2.5",
                "--samples",
                "3",
                "--burn-in",
                "5",
                "--algorithm",
                "metropolis",
                "--seed",
                "42",
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(
        read_npy::<i8>(&dir.path().join("a.npy")),
        read_npy::<i8>(&dir.path().join("b.npy"))
    );
}

#[test]
fn exact_json_has_the_contract_keys_and_kaufman_values() {
    let dir = tempfile::tempdir().unwrap();
    let o = vrg_ok(
        dir.path(),
        &words("ising exact --size 16 --temperature 2.0 --json"),
    );
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    let k = vrg::ising::exact::kaufman(16, 16, 2.0, 1.0).unwrap();
    assert_eq!(json["energy_per_spin"].as_f64().unwrap(), k.energy_per_spin);
    assert_eq!(
        json["specific_heat_per_spin"].as_f64().unwrap(),
        k.specific_heat_per_spin
    );
    assert_eq!(
        json["free_energy_per_spin"].as_f64().unwrap(),
        k.free_energy_per_spin
    );
    assert_eq!(json["log_z_per_spin"].as_f64().unwrap(), k.log_z_per_spin);
    assert!(json["onsager_energy_per_spin"].is_number());
    assert!(json["onsager_magnetization"].as_f64().unwrap() > 0.9);
    let text = vrg(
        dir.path(),
        &["ising", "exact", "--size", "16", "--temperature", "1.5,tc"],
    );
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("2.269185"));
}

#[test]
fn measure_reads_spins_and_binary_and_uses_the_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    vrg_ok(
        dir.path(),
        &words("ising sample --size 6 --temperature 2.0,3.0 --samples 300 --sweeps 1 --out s.npy"),
    );
    let m = vrg(
        dir.path(),
        &["ising", "measure", "--data", "s.npy", "--json"],
    );
    assert!(m.status.success(), "{}", stderr(&m));
    let measured: Value = serde_json::from_slice(&m.stdout).unwrap();
    let sampled: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(measured["blocks"].as_array().unwrap().len(), 2);
    assert_eq!(measured["blocks"][1]["temperature"].as_f64().unwrap(), 3.0);
    // The stored configurations are every sweep here, so measuring them
    // reproduces the sampler's own estimates.
    for b in 0..2 {
        let a = measured["blocks"][b]["observables"]["energy_per_spin"]["mean"]
            .as_f64()
            .unwrap();
        let s = sampled["blocks"][b]["observables"]["energy_per_spin"]["mean"]
            .as_f64()
            .unwrap();
        assert!((a - s).abs() < 1e-12, "{a} vs {s}");
    }
    // The same configurations as 0/1 bytes, flattened to (N, L²), with an
    // explicit temperature: same energy as the ±1 rows of block 0.
    let (_, spins) = read_npy::<i8>(&dir.path().join("s.npy"));
    let binary: Vec<u8> = spins[..300 * 36]
        .iter()
        .map(|&s| ((s + 1) / 2) as u8)
        .collect();
    write_npy(&dir.path().join("b.npy"), &[300, 36], &binary);
    let m = vrg(
        dir.path(),
        &words("ising measure --data b.npy --temperature 2.0 --json"),
    );
    assert!(m.status.success(), "{}", stderr(&m));
    let binary_measured: Value = serde_json::from_slice(&m.stdout).unwrap();
    let a = binary_measured["blocks"][0]["observables"]["energy_per_spin"]["mean"]
        .as_f64()
        .unwrap();
    let s = measured["blocks"][0]["observables"]["energy_per_spin"]["mean"]
        .as_f64()
        .unwrap();
    assert!((a - s).abs() < 1e-12);
}

/// Bad input: exit code 2, one line naming the flag and the value, and no
/// output file left behind (an existing file is kept as it was).
#[test]
fn bad_inputs_are_clear_errors_with_exit_code_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    std::fs::write(dir.path().join("keep.npy"), b"precious").unwrap();
    let base = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["ising", "sample", "--samples", "5", "--burn-in", "5"];
        args.extend_from_slice(extra);
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            base(&["--size", "1", "--temperature", "2", "--out", "keep.npy"]),
            "--size 1",
        ),
        (
            base(&["--size", "8", "--temperature", "0", "--out", "keep.npy"]),
            "--temperature 0",
        ),
        (
            base(&["--size", "8", "--temperature", "-1.5", "--out", "keep.npy"]),
            "--temperature -1.5",
        ),
        (
            base(&["--size", "8", "--temperature", "nan", "--out", "keep.npy"]),
            "--temperature NaN",
        ),
        (
            base(&["--size", "8", "--temperature", "inf", "--out", "keep.npy"]),
            "--temperature inf",
        ),
        (
            base(&words("--size 8 --temperature 1.0:2.0 --out keep.npy")),
            "--temperature \"1.0:2.0\"",
        ),
        (
            base(&["--size", "8", "--temperature", "1:2:0", "--out", "keep.npy"]),
            "--temperature \"1:2:0\"",
        ),
        (
            base(&words("--size 8 --temperature 3:2:0.1 --out keep.npy")),
            "--temperature \"3:2:0.1\"",
        ),
        (
            base(&["--size", "8", "--temperature", "a,b", "--out", "keep.npy"]),
            "--temperature \"a,b\"",
        ),
        (
            base(&words(
                "--size 8 --temperature 2 --algorithm gibbs --out keep.npy",
            )),
            "--algorithm gibbs",
        ),
        (
            base(&words(
                "--size 8 --temperature 2 --algorithm wolff --field 0.5 --out keep.npy",
            )),
            "--field 0.5",
        ),
        (
            base(&["--size", "8", "--temperature", "2", "--out", "adir"]),
            "adir",
        ),
        (
            base(&words("--size 8 --temperature 2 --out missing/x.npy")),
            "missing/x.npy",
        ),
        (
            base(&words("--size 8 --temperature 2 --out keep.npy/x.npy")),
            "keep.npy/x.npy",
        ),
        (
            base(&["--size", "8", "--temperature", "2", "--out", "x.txt"]),
            "--out x.txt",
        ),
        (
            words("ising sample --samples 0 --size 8 --temperature 2 --out keep.npy"),
            "--samples 0",
        ),
        (
            vec!["ising", "exact", "--size", "1", "--temperature", "2"],
            "--size 1",
        ),
        (
            words("ising exact --size 8 --temperature 2 --coupling -1"),
            "--coupling -1",
        ),
        (
            vec!["ising", "exact", "--size", "8", "--temperature", "-2"],
            "--temperature -2",
        ),
    ];
    for (args, needle) in cases {
        vrg_one_line_err(dir.path(), &args, &[needle]);
        assert_eq!(
            files(dir.path()),
            vec!["adir", "keep.npy"],
            "{args:?} left files"
        );
        assert_eq!(
            std::fs::read(dir.path().join("keep.npy")).unwrap(),
            b"precious"
        );
    }
}

#[test]
fn measure_rejects_values_that_are_not_spins() {
    let dir = tempfile::tempdir().unwrap();
    write_npy(&dir.path().join("twos.npy"), &[1, 2, 2], &[1i8, -1, 2, 1]);
    write_npy(
        &dir.path().join("mixed.npy"),
        &[2, 4],
        &[1i8, -1, 1, 1, 0, 1, 1, 1],
    );
    write_npy(&dir.path().join("flat.npy"), &[2, 5], &[1i8; 10]);
    std::fs::write(dir.path().join("junk.npy"), b"hello").unwrap();
    for (file, needle) in [
        ("twos.npy", "value 2 in configuration 0 at site (1, 0)"),
        ("mixed.npy", "value 0 in configuration 1 at site (0, 0)"),
        ("flat.npy", "not a square lattice"),
        ("junk.npy", "not a valid .npy"),
        ("absent.npy", "absent.npy"),
    ] {
        let o = vrg(dir.path(), &["ising", "measure", "--data", file]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(needle) && err.contains(file), "{file}: {err}");
    }
}
