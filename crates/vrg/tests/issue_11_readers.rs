//! Issue #11, one test per class of what an attacker found: sizes from a
//! header used before being checked, memory exhausted by small inputs,
//! silently wrong shapes, misleading or multi-line messages, model files of
//! the wrong kind or a newer format, and model files that differ between
//! identical runs. Each test fails on the readers before the fix.

use std::collections::HashMap;
use std::path::Path;
use vrg::data::{load, LoadOptions};
use vrg::dbn::file::{load_dbn, save_dbn};
use vrg::dbn::Dbn;
use vrg::io::{idx, image, npy};
use vrg::rbm::file::{load_rbm, save_rbm};
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::TrainConfig;

mod common;
use common::{gzip, npy_bytes};

fn one_line_naming(e: &str, file: &str) {
    assert!(!e.contains('\n'), "several lines: {e:?}");
    assert!(e.contains(file), "{e} should name {file}");
}

fn rbm(nv: usize, nh: usize) -> Rbm {
    let w = (0..nv * nh).map(|k| (k as f32 - 3.0) / 8.0).collect();
    let b = (0..nv).map(|i| i as f32 / 4.0).collect();
    let c = (0..nh).map(|j| -(j as f32) / 2.0).collect();
    Rbm::from_parameters(VisibleUnits::Bernoulli, HiddenUnits::Bernoulli, w, b, c).unwrap()
}

fn dbn() -> Dbn {
    Dbn::new(vec![rbm(6, 4), rbm(4, 3), rbm(3, 2)]).unwrap()
}

/// A `.safetensors` file written by the `safetensors` crate (as numpy or
/// PyTorch would), with the given metadata and f32 tensors.
fn safetensors_file(path: &Path, metadata: &[(&str, &str)], tensors: &[(&str, Vec<usize>)]) {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, shape)| vec![0u8; 4 * shape.iter().product::<usize>()])
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .zip(&data)
        .map(|((name, shape), bytes)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .unwrap();
            (name.to_string(), view)
        })
        .collect();
    let metadata: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    std::fs::write(path, safetensors::serialize(views, Some(metadata)).unwrap()).unwrap();
}

// ------------------------------------------------ silently wrong / overflow

/// The shape's product overflows 64 bits: numpy's 9·10¹⁸ rows are refused
/// with what they would need, not read as some other number of rows.
#[test]
fn issue_11_npy_shape_overflow_is_refused_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("data.npy");
    std::fs::write(
        &p,
        npy_bytes(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }",
            &[0; 16],
        ),
    )
    .unwrap();
    for e in [
        npy::read(&p).unwrap_err().to_string(),
        load(&p, &LoadOptions::default()).unwrap_err().to_string(),
    ] {
        assert!(
            e.contains(
                "data.npy: shape (9223372036854775807, 2) of float32 needs 73786976294838206456 \
                 bytes, more than the file holds (16 bytes after the 128-byte header)"
            ),
            "{e}"
        );
    }
    // A product that wraps to exactly 0 in 64 bits.
    std::fs::write(
        &p,
        npy_bytes(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[],
        ),
    )
    .unwrap();
    let e = npy::read(&p).unwrap_err().to_string();
    assert!(e.contains("needs 18446744073709551616 bytes"), "{e}");
    // Elements below 2^128 whose bytes are not.
    std::fs::write(
        &p,
        npy_bytes(
            "{'descr': '<f8', 'fortran_order': False, \
             'shape': (18446744073709551615, 18446744073709551615), }",
            &[],
        ),
    )
    .unwrap();
    let e = npy::read(&p).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "data.npy: shape (18446744073709551615, 18446744073709551615) of float64 \
             has more than 2^128 bytes"
        ),
        "{e}"
    );
    // No rows, but rows of more than 2^64 features.
    std::fs::write(
        &p,
        npy_bytes(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
            &[],
        ),
    )
    .unwrap();
    let e = load(&p, &LoadOptions::default()).unwrap_err().to_string();
    one_line_naming(&e, "data.npy");
}

// ------------------------------------------------------- memory exhaustion

/// A small gzip whose IDX header declares 2^64 bytes: refused because the
/// file cannot inflate to that, before anything is allocated for it.
#[test]
fn issue_11_gzip_idx_header_bounded_by_what_the_file_can_inflate_to() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.gz");
    let mut header = vec![0, 0, 8, 2];
    header.extend_from_slice(&u32::MAX.to_be_bytes());
    header.extend_from_slice(&u32::MAX.to_be_bytes());
    header.extend_from_slice(&[7; 100]);
    std::fs::write(&p, gzip(&header, flate2::Compression::best())).unwrap();
    let e = idx::read(&p).unwrap_err().to_string();
    assert!(
        e.contains("huge.gz: IDX shape (4294967295, 4294967295) of unsigned bytes (after gunzip) needs 18446744065119617025 bytes")
            && e.contains("compressed file can hold"),
        "{e}"
    );
    // A stream longer than its header promises is refused too.
    let mut long = vec![0, 0, 8, 1, 0, 0, 0, 4];
    long.extend_from_slice(&[0; 4000]);
    let q = dir.path().join("long.gz");
    std::fs::write(&q, gzip(&long, flate2::Compression::best())).unwrap();
    let e = idx::read(&q).unwrap_err().to_string();
    assert!(e.contains("unexpected bytes after the IDX data"), "{e}");
}

/// A plain IDX header declaring more than the file holds is refused by
/// the file's length, before reading.
#[test]
fn issue_11_plain_idx_header_bounded_by_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.idx");
    let mut bytes = vec![0, 0, 8, 3];
    for d in [u32::MAX, u32::MAX, u32::MAX] {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    std::fs::write(&p, &bytes).unwrap();
    let e = idx::read(&p).unwrap_err().to_string();
    assert!(
        e.contains("expected 79228162458924105385300197375 bytes after the 16-byte header")
            && e.contains("found 0"),
        "{e}"
    );
}

/// A PNG header declaring 40000 × 40000 pixels in a few hundred bytes is
/// refused before the frame is allocated.
#[test]
fn issue_11_png_dimensions_checked_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.png");
    image::write_grey_png(&p, 2, 2, &[1, 2, 3, 4]).unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[16..20].copy_from_slice(&40000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&40000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    std::fs::write(&p, &bytes).unwrap();
    let e = image::read_grey_f32(&p).unwrap_err().to_string();
    assert!(
        e.contains("big.png: a 40000×40000 PNG image needs 1600040000 bytes")
            && e.contains("compressed file can hold"),
        "{e}"
    );
}

/// `/dev/zero`, a directory and a FIFO given as data or model are refused
/// by their type, without reading (a FIFO would block, /dev/zero never ends).
#[test]
fn issue_11_devices_and_fifos_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.npy");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let zero = Path::new("/dev/zero");
    let mut cases: Vec<(&Path, &str)> = vec![(zero, "character device")];
    if made {
        cases.push((&fifo, "FIFO"));
    }
    for (path, kind) in cases {
        let name = path.display().to_string();
        for e in [
            npy::read(path).unwrap_err().to_string(),
            idx::read(path).unwrap_err().to_string(),
            image::read_grey_u8(path).unwrap_err().to_string(),
            load(path, &LoadOptions::default()).unwrap_err().to_string(),
            load_rbm(path).unwrap_err().to_string(),
            load_dbn(path).unwrap_err().to_string(),
            vrg::io::sidecar::read(path).unwrap_err().to_string(),
        ] {
            assert!(e.contains(&name) && e.contains(kind), "{e}");
        }
    }
    let e = npy::read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("a directory; expected a regular file"), "{e}");
}

// ----------------------------------------------------------- model files

/// Metadata asking for 2^64 − 1 layers: an error naming the key and the
/// layers present, not an allocation of that many.
#[test]
fn issue_11_dbn_layer_count_bounded_by_the_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dbn.safetensors");
    let units = [
        ("visible_units_0", "bernoulli"),
        ("hidden_units_0", "bernoulli"),
        ("visible_units_1", "bernoulli"),
        ("hidden_units_1", "bernoulli"),
    ];
    let tensors = [
        ("W0", vec![3, 2]),
        ("b0", vec![3]),
        ("c0", vec![2]),
        ("W1", vec![2, 2]),
        ("b1", vec![2]),
        ("c1", vec![2]),
    ];
    for n_layers in ["18446744073709551615", "3", "0"] {
        let mut metadata = vec![
            ("format", "vrg-dbn"),
            ("format_version", "1"),
            ("n_layers", n_layers),
        ];
        metadata.extend_from_slice(&units);
        safetensors_file(&p, &metadata, &tensors);
        let e = load_dbn(&p).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "dbn.safetensors: metadata n_layers = {n_layers}, but the file holds 2 layers"
            )),
            "{e}"
        );
    }
    let metadata = [
        ("format", "vrg-dbn"),
        ("format_version", "1"),
        ("n_layers", "2"),
    ];
    let all: Vec<(&str, &str)> = metadata.iter().chain(&units).copied().collect();
    safetensors_file(&p, &all, &tensors);
    assert_eq!(load_dbn(&p).unwrap().dbn.sizes(), vec![3, 2, 2]);
}

/// A checkpoint whose training parameters ask for 2^60 persistent chains
/// but hold none: refused on reading (resuming would allocate the chains
/// by that count).
#[test]
fn issue_11_checkpoint_chains_bounded_by_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ckpt.safetensors");
    // A checkpoint without training data: any row count admits the batch.
    let params = TrainConfig::new()
        .persistent_chains(1 << 60)
        .check(usize::MAX)
        .unwrap();
    let state = vrg::train::TrainState {
        epochs_done: 1,
        velocity_weights: vec![0.0; 6],
        velocity_visible_bias: vec![0.0; 3],
        velocity_hidden_bias: vec![0.0; 2],
        chains: Vec::new(),
        visible_chains: Vec::new(),
        gibbs_chains: Vec::new(),
        hidden_activity: vec![0.0; 2],
    };
    save_rbm(&p, &rbm(3, 2), Some(&params), Some(&state)).unwrap();
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(
        e.contains(
            "ckpt.safetensors: metadata train_params asks for 1152921504606846976 persistent \
             chains (PCD), but tensor `train.chains` has 0 rows"
        ),
        "{e}"
    );
}

/// A DBN file where an RBM is expected, and the other way round, are named
/// as what they are.
#[test]
fn issue_11_rbm_and_dbn_files_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("stack.safetensors");
    let r = dir.path().join("single.safetensors");
    save_dbn(&d, &dbn(), &[None, None, None]).unwrap();
    save_rbm(&r, &rbm(6, 4), None, None).unwrap();
    let e = load_rbm(&d).unwrap_err().to_string();
    assert!(
        e.contains(
            "stack.safetensors is a DBN file (vrg-dbn) with 3 layers, expected an RBM model file (vrg-rbm)"
        ),
        "{e}"
    );
    let e = load_dbn(&r).unwrap_err().to_string();
    assert!(
        e.contains(
            "single.safetensors is an RBM model file (vrg-rbm) of 6 × 4 units, expected a DBN file (vrg-dbn)"
        ),
        "{e}"
    );
}

/// A newer format version or a foreign format is refused, naming the file,
/// the key, what was found and what this version reads.
#[test]
fn issue_11_format_and_version_checked_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    let tensors = [("W", vec![2, 2]), ("b", vec![2]), ("c", vec![2])];
    safetensors_file(
        &p,
        &[("format", "vrg-rbm"), ("format_version", "2")],
        &tensors,
    );
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "m.safetensors: metadata format_version = \"2\": this vrg reads format_version 1 \
             (the file was written by a newer vrg)"
        ),
        "{e}"
    );
    safetensors_file(
        &p,
        &[("format", "vrg-rbm"), ("format_version", "x")],
        &tensors,
    );
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(
        e.contains("metadata format_version = \"x\": this vrg reads format_version 1"),
        "{e}"
    );
    safetensors_file(&p, &[("format", "vrg-rbm")], &tensors);
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(e.contains("metadata format_version is missing"), "{e}");
    safetensors_file(&p, &[("format", "pt"), ("format_version", "1")], &tensors);
    for e in [
        load_rbm(&p).unwrap_err().to_string(),
        load_dbn(&p).unwrap_err().to_string(),
    ] {
        assert!(
            e.contains("m.safetensors is a file of format \"pt\", expected"),
            "{e}"
        );
    }
    // A file without vrg's metadata that follows the RBM layout still loads.
    safetensors_file(&p, &[], &tensors);
    assert_eq!(load_rbm(&p).unwrap().rbm.n_visible(), 2);
}

/// Two identical runs write identical bytes: metadata and tensors in name
/// order. The `safetensors` crate reads the files.
#[test]
fn issue_11_model_files_are_canonical() {
    let dir = tempfile::tempdir().unwrap();
    // Model files only, no training data: any row count admits the batch.
    let params = TrainConfig::new().epochs(3).check(usize::MAX).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for _ in 0..4 {
        save_rbm(&a, &rbm(5, 3), Some(&params), None).unwrap();
        save_rbm(&b, &rbm(5, 3), Some(&params), None).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        save_dbn(&a, &dbn(), &[Some(params.clone()), None, None]).unwrap();
        save_dbn(&b, &dbn(), &[Some(params.clone()), None, None]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
    let bytes = std::fs::read(&a).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let keys = [
        "format",
        "format_version",
        "hidden_units_0",
        "n_layers",
        "sizes",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| header.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
    let read = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(read.tensor("W1").unwrap().shape(), &[4, 3]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(meta.metadata().as_ref().unwrap()["n_layers"], "3");
}

// ---------------------------------------------------------- one-line errors

/// Parser errors are one line, and a structured dtype is named, not
/// printed as a Rust data structure.
#[test]
fn issue_11_npy_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.npy");
    for (dict, needle) in [
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4}",
            "not a valid .npy file (header: expected ',' or ')' at byte",
        ),
        (
            "{'descr': [('x', '<i4'), ('y', '<f8', (2,))], 'fortran_order': False, 'shape': (2,), }",
            "structured dtype with 2 fields; expected a plain numeric dtype",
        ),
        (
            "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }",
            "dtype \"<c16\" not supported",
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }",
            "shape axis 0 is negative",
        ),
        (
            "{'descr': '<f4',\n 'fortran_order': False, 'shape': (2,), 'extra': 1}",
            "header key \"extra\"",
        ),
    ] {
        std::fs::write(&p, npy_bytes(dict, &[0; 64])).unwrap();
        let e = npy::read(&p).unwrap_err().to_string();
        one_line_naming(&e, "bad.npy");
        assert!(e.contains(needle), "{e}");
        assert!(!e.contains("Record") && !e.contains("TypeStr"), "{e}");
    }
}

/// Values from a file that hold line breaks are escaped in messages.
#[test]
fn issue_11_values_from_files_stay_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    safetensors_file(
        &p,
        &[("format", "vrg-\nrbm\r\nreally"), ("format_version", "1")],
        &[("W", vec![1, 1]), ("b", vec![1]), ("c", vec![1])],
    );
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(
        !e.contains('\n') && e.contains(r#""vrg-\nrbm\r\nreally""#),
        "{e}"
    );
    safetensors_file(
        &p,
        &[
            ("format", "vrg-rbm"),
            ("format_version", "1"),
            ("visible_units", "spin\nbernoulli"),
        ],
        &[("W", vec![1, 1]), ("b", vec![1]), ("c", vec![1])],
    );
    let e = load_rbm(&p).unwrap_err().to_string();
    assert!(
        !e.contains('\n') && e.contains("metadata visible_units = \"spin\\nbernoulli\""),
        "{e}"
    );
}
