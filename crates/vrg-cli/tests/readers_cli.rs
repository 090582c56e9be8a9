//! Issue #11 through the binary: the memory limit (`VRG_MAX_BYTES`),
//! devices given as inputs, malformed sidecars and model files of the wrong
//! kind give one-line errors with exit code 2.

mod common;

use common::{stderr, vrg, vrg_err, words, write_npy};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use vrg::dbn::file::save_dbn;
use vrg::dbn::Dbn;
use vrg::rbm::file::save_rbm;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

/// Runs `vrg args` in `dir` with `VRG_MAX_BYTES` set to `max`.
fn vrg_with_max(dir: &Path, max: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vrg"))
        .args(args)
        .current_dir(dir)
        .env("VRG_MAX_BYTES", max)
        .output()
        .expect("run vrg")
}

/// Fails unless the command failed with exit code 2 and one line naming
/// every one of `words`.
fn one_line_error(o: &std::process::Output, words: &[&str]) {
    let text = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "{text:?}");
    for w in words {
        assert!(text.contains(w), "{text:?} should mention {w:?}");
    }
}

/// An honest gzip IDX file of 8 MB of zeros compresses to a few kilobytes:
/// its header is checked against the memory limit before it is inflated.
#[test]
fn gzip_bomb_is_refused_by_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = vec![0u8, 0, 8, 3];
    for d in [2000u32, 64, 64] {
        plain.extend_from_slice(&d.to_be_bytes());
    }
    plain.resize(plain.len() + 2000 * 64 * 64, 0);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&plain).unwrap();
    let gz = enc.finish().unwrap();
    assert!(gz.len() < 20_000, "{}", gz.len());
    std::fs::write(dir.path().join("bomb.gz"), gz).unwrap();
    let train = [
        "rbm",
        "train",
        "--data",
        "bomb.gz",
        "--hidden",
        "2",
        "--out",
        "m.safetensors",
    ];
    let o = vrg_with_max(dir.path(), "1M", &train);
    one_line_error(
        &o,
        &[
            "bomb.gz: IDX shape (2000, 64, 64) of unsigned bytes (after gunzip) needs 8192000 bytes",
            "more than the memory limit VRG_MAX_BYTES (1048576 bytes)",
        ],
    );
    let o = vrg_with_max(dir.path(), "lots", &train);
    one_line_error(
        &o,
        &["invalid environment variable VRG_MAX_BYTES=\"lots\": expected a number of bytes"],
    );
    assert!(!dir.path().join("m.safetensors").exists());
}

/// `/dev/zero` as data, model or experiment file is refused at once.
#[test]
fn devices_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let spins: Vec<i8> = (0..40 * 16)
        .map(|k| if k % 3 == 0 { 1 } else { -1 })
        .collect();
    write_npy(&dir.path().join("s.npy"), &[40, 16], &spins);
    for args in [
        vec!["ising", "measure", "--data", "/dev/zero"],
        words("rbm train --data /dev/zero --hidden 2 --out m.safetensors"),
        words("rbm free-energy --model /dev/zero --data s.npy"),
        words("dbn train --data s.npy --config /dev/zero --out d.safetensors"),
    ] {
        let o = vrg(dir.path(), &args);
        one_line_error(&o, &["/dev/zero", "character device"]);
    }
}

/// A sidecar that is present must be valid: a broken one is an error
/// naming it, not silently ignored (which measured at the wrong
/// temperature).
#[test]
fn broken_sidecars_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let spins: Vec<i8> = (0..10 * 16)
        .map(|k| if k % 5 == 0 { 1 } else { -1 })
        .collect();
    write_npy(&dir.path().join("s.npy"), &[10, 4, 4], &spins);
    let measure = ["ising", "measure", "--data", "s.npy"];
    std::fs::write(dir.path().join("s.json"), "{\"blocks\": [\n").unwrap();
    let o = vrg(dir.path(), &measure);
    one_line_error(&o, &["s.json: not a valid sidecar JSON file"]);
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"blocks": [{"temperature": 2.0, "rows": [0, 50]}]}"#,
    )
    .unwrap();
    let o = vrg(dir.path(), &measure);
    one_line_error(
        &o,
        &["s.json: blocks[0].rows = [0, 50] go beyond the 10 rows of s.npy"],
    );
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"parameters": {"coupling": 1.0}, "blocks": [{"temperature": 2.0, "rows": [0, 10]}]}"#,
    )
    .unwrap();
    let o = vrg(dir.path(), &measure);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn rbm(nv: usize, nh: usize) -> Rbm {
    let w = (0..nv * nh).map(|k| (k % 5) as f32 / 10.0 - 0.2).collect();
    Rbm::from_parameters(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        w,
        vec![0.0; nv],
        vec![0.1; nh],
    )
    .unwrap()
}

/// A DBN file given where an RBM is expected, and the other way round.
#[test]
fn model_files_of_the_wrong_kind_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let dbn = Dbn::new(vec![rbm(16, 4), rbm(4, 2)]).unwrap();
    save_dbn(dir.path().join("dbn.safetensors"), &dbn, &[None, None]).unwrap();
    save_rbm(dir.path().join("rbm.safetensors"), &rbm(16, 4), None, None).unwrap();
    let o = vrg(
        dir.path(),
        &words("rbm sample --model dbn.safetensors --samples 2 --gibbs-steps 1 --out x.npy"),
    );
    one_line_error(
        &o,
        &["dbn.safetensors is a DBN file (vrg-dbn) with 2 layers, expected an RBM model file (vrg-rbm)"],
    );
    let text = vrg_err(
        dir.path(),
        &[
            "dbn", "sample", "--model", "rbm.safetensors", "--samples", "2", "--gibbs-steps",
            "1", "--out", "x.npy",
        ],
        &["rbm.safetensors is an RBM model file (vrg-rbm) of 16 × 4 units, expected a DBN file (vrg-dbn)"],
    );
    assert_eq!(text.trim_end().lines().count(), 1, "{text:?}");
}
