//! Issue #11: no file can crash or exhaust the machine. Every reader is fed
//! mutated valid files (bit flips, inserted, deleted and copied bytes,
//! truncation, header fields rewritten with huge numbers) and random bytes:
//! each case must give `Ok` or a one-line error naming the file, never a
//! panic, and never allocate more than `64 × input + SLACK` bytes (a
//! counting global allocator in this test binary measures the peak).
//!
//! 10 000 cases per reader by default, deterministic (case `i` of a reader
//! uses the random stream of its base seed + i); `VRG_FUZZ_CASES=N` runs N.
//! Longer, coverage-guided runs: see `fuzz/` (cargo fuzz).

mod common;
mod fuzz_support;

use common::{gzip, idx_bytes, npy_bytes};
use fuzz_support::{assert_clean, case_count, huge_number, rewrite_number, run, Rng64};
use rand::Rng;
use std::path::Path;
use vrg::data::{load, LoadOptions};
use vrg::dbn::file as dbn_file;
use vrg::dbn::Dbn;
use vrg::io::{idx, image, npy, sidecar};
use vrg::rbm::file as rbm_file;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{TrainConfig, TrainState};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

// -------------------------------------------------------------------- .npy

fn npy_seeds() -> Vec<Vec<u8>> {
    let f32s: Vec<u8> = (0..12)
        .flat_map(|i| (i as f32 * 0.5).to_le_bytes())
        .collect();
    let f64_be: Vec<u8> = (0..4).flat_map(|i| (i as f64).to_be_bytes()).collect();
    vec![
        npy_bytes(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
            &f32s,
        ),
        npy_bytes(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }",
            &(0..12).collect::<Vec<u8>>(),
        ),
        npy_bytes(
            "{'descr': '|b1', 'fortran_order': False, 'shape': (4, 2), }",
            &[1, 0, 0, 1, 1, 1, 0, 0],
        ),
        npy_bytes(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }",
            &f64_be,
        ),
        npy_bytes(
            "{'descr': '<i2', 'fortran_order': True, 'shape': (6,), }",
            &[1, 0, 255, 255, 1, 0, 1, 0, 255, 255, 0, 0],
        ),
    ]
}

/// Rewrites a number in the header text and fixes the header length, so
/// that the rewritten field (usually the shape) is what is tested.
fn npy_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    if bytes.len() < 10 {
        return "too short to rewrite".into();
    }
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let end = (10 + len).min(bytes.len());
    let mut header = bytes[10..end].to_vec();
    let what = rewrite_number(&mut header, rng).unwrap_or_else(|| "no number".into());
    let data = bytes[end..].to_vec();
    bytes.truncate(8);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&data);
    format!("header {what}")
}

#[test]
fn fuzz_npy() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        "npy",
        &dir.path().join("fuzz.npy"),
        &npy_seeds(),
        npy_rewrite,
        case_count(),
        0x11_0001,
        |p| {
            npy::read(p).map_err(text)?;
            load(p, &LoadOptions::default()).map(|_| ()).or_else(|e| {
                // 1-D arrays read but are not datasets.
                let e = text(e);
                if e.contains("expected at least 2 dimensions") {
                    Ok(())
                } else {
                    Err(e)
                }
            })
        },
    );
    assert_clean(&report);
}

// --------------------------------------------------------------------- IDX

fn idx_seeds() -> Vec<Vec<u8>> {
    vec![
        idx_bytes(
            &[3, 4, 5],
            &(0..60).map(|i| (i * 4) as u8).collect::<Vec<_>>(),
        ),
        idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6]),
        idx_bytes(&[4, 1, 2, 2], &[9; 16]),
    ]
}

/// Rewrites the number of axes or one axis's size.
#[allow(clippy::ptr_arg)] // a `Rewrite`, which may also resize
fn idx_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    if bytes.len() < 4 {
        return "too short to rewrite".into();
    }
    let n_dims = bytes[3] as usize;
    if n_dims == 0 || rng.random_range(0..5) == 0 {
        bytes[3] = rng.random();
        return format!("n_dims := {}", bytes[3]);
    }
    let axis = rng.random_range(0..n_dims);
    let at = 4 + 4 * axis;
    if bytes.len() < at + 4 {
        return "axis beyond the file".into();
    }
    let value = huge_number(rng) as u32;
    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
    format!("axis {axis} := {value}")
}

/// Rewrites the header inside the compressed stream (and recompresses).
fn idx_gz_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    use std::io::Read;
    let mut plain = Vec::new();
    if flate2::read::GzDecoder::new(&bytes[..])
        .take(1 << 20)
        .read_to_end(&mut plain)
        .is_err()
    {
        return "not gzip, not rewritten".into();
    }
    let what = idx_rewrite(&mut plain, rng);
    *bytes = gzip(&plain, flate2::Compression::fast());
    format!("inside gzip: {what}")
}

fn read_idx(p: &Path) -> Result<(), String> {
    idx::read(p).map_err(text)?;
    idx::read_with_limit(p, Some(2)).map_err(text)?;
    load(p, &LoadOptions::default()).map(|_| ()).map_err(text)
}

#[test]
fn fuzz_idx() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        "idx",
        &dir.path().join("fuzz.idx"),
        &idx_seeds(),
        idx_rewrite,
        case_count(),
        0x11_0002,
        read_idx,
    );
    assert_clean(&report);
}

#[test]
fn fuzz_idx_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let seeds: Vec<Vec<u8>> = idx_seeds()
        .iter()
        .map(|s| gzip(s, flate2::Compression::fast()))
        .collect();
    let report = run(
        "idx.gz",
        &dir.path().join("fuzz.idx.gz"),
        &seeds,
        idx_gz_rewrite,
        case_count(),
        0x11_0003,
        read_idx,
    );
    assert_clean(&report);
}

// --------------------------------------------------------------------- PNG

fn png_bytes(
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<Vec<u8>>,
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(color);
        enc.set_depth(depth);
        if let Some(p) = palette {
            enc.set_palette(p);
        }
        let mut w = enc.write_header().unwrap();
        w.write_image_data(data).unwrap();
        w.finish().unwrap();
    }
    out
}

fn png_seeds() -> Vec<Vec<u8>> {
    use png::{BitDepth, ColorType};
    vec![
        png_bytes(
            4,
            3,
            ColorType::Grayscale,
            BitDepth::Eight,
            None,
            &(0..12).map(|i| i * 20).collect::<Vec<u8>>(),
        ),
        png_bytes(
            2,
            2,
            ColorType::Rgb,
            BitDepth::Eight,
            None,
            &[255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9],
        ),
        png_bytes(
            2,
            1,
            ColorType::Grayscale,
            BitDepth::Sixteen,
            None,
            &[0xff, 0xff, 0x80, 0x80],
        ),
        png_bytes(
            8,
            2,
            ColorType::Indexed,
            BitDepth::One,
            Some(vec![0, 0, 0, 200, 200, 200]),
            &[0b1010_0101, 0b0000_1111],
        ),
        png_bytes(
            3,
            2,
            ColorType::GrayscaleAlpha,
            BitDepth::Eight,
            None,
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        ),
    ]
}

/// Rewrites width, height, bit depth, colour type or interlacing in IHDR
/// and fixes the chunk's CRC, so that the decoder sees the new values.
#[allow(clippy::ptr_arg)] // a `Rewrite`, which may also resize
fn png_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    if bytes.len() < 33 || &bytes[12..16] != b"IHDR" {
        return "no IHDR to rewrite".into();
    }
    let what = match rng.random_range(0..6) {
        0 | 1 => {
            let v = huge_number(rng) as u32;
            bytes[16..20].copy_from_slice(&v.to_be_bytes());
            format!("width := {v}")
        }
        2 | 3 => {
            let v = huge_number(rng) as u32;
            bytes[20..24].copy_from_slice(&v.to_be_bytes());
            format!("height := {v}")
        }
        4 => {
            let (depth, color) = (
                [1u8, 2, 4, 8, 16][rng.random_range(0..5)],
                [0u8, 2, 3, 4, 6][rng.random_range(0..5)],
            );
            bytes[24] = depth;
            bytes[25] = color;
            format!("depth {depth}, colour type {color}")
        }
        _ => {
            bytes[28] ^= 1;
            "interlacing flipped".into()
        }
    };
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    what
}

#[test]
fn fuzz_png() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        "png",
        &dir.path().join("fuzz.png"),
        &png_seeds(),
        png_rewrite,
        case_count(),
        0x11_0004,
        |p| {
            image::read_grey_u8(p).map_err(text)?;
            load(p, &LoadOptions::default()).map(|_| ()).map_err(text)
        },
    );
    assert_clean(&report);
}

// ------------------------------------------------------------- model files

fn rbm(nv: usize, nh: usize, visible: VisibleUnits, hidden: HiddenUnits) -> Rbm {
    let w = (0..nv * nh).map(|k| (k as f32 - 3.0) / 8.0).collect();
    let b = (0..nv).map(|i| i as f32 / 4.0).collect();
    let c = (0..nh).map(|j| -(j as f32) / 2.0).collect();
    Rbm::from_parameters(visible, hidden, w, b, c).unwrap()
}

fn model_seeds(dir: &Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let p = dir.join("seed.safetensors");
    let mut rbms = Vec::new();
    let small = rbm(4, 3, VisibleUnits::Spin, HiddenUnits::Bernoulli);
    rbm_file::save_rbm(&p, &small, None, None).unwrap();
    rbms.push(std::fs::read(&p).unwrap());
    let state = TrainState {
        epochs_done: 2,
        velocity_weights: vec![0.5; 12],
        velocity_visible_bias: vec![0.0; 4],
        velocity_hidden_bias: vec![0.0; 3],
        chains: vec![1.0; 6],
        visible_chains: Vec::new(),
        gibbs_chains: Vec::new(),
        hidden_activity: vec![0.25; 3],
    };
    // Seed files only, no training data: any row count admits the batch.
    let pcd = TrainConfig::new()
        .persistent_chains(2)
        .check(usize::MAX)
        .unwrap();
    rbm_file::save_rbm(&p, &small, Some(&pcd), Some(&state)).unwrap();
    rbms.push(std::fs::read(&p).unwrap());
    let dbn = Dbn::new(vec![
        rbm(5, 3, VisibleUnits::Bernoulli, HiddenUnits::Bernoulli),
        rbm(3, 2, VisibleUnits::Bernoulli, HiddenUnits::Spin),
    ])
    .unwrap();
    let defaults = TrainConfig::new().check(usize::MAX).unwrap();
    dbn_file::save_dbn(&p, &dbn, &[Some(defaults), None]).unwrap();
    let dbns = vec![std::fs::read(&p).unwrap()];
    (rbms, dbns)
}

/// Rewrites a number in the JSON header (shapes, offsets, metadata such as
/// `n_layers`) and fixes the header length.
fn safetensors_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    if bytes.len() < 8 {
        return "too short to rewrite".into();
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    let end = usize::try_from(n.saturating_add(8))
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let mut header = bytes[8..end].to_vec();
    let what = rewrite_number(&mut header, rng).unwrap_or_else(|| "no number".into());
    let data = bytes[end..].to_vec();
    bytes.clear();
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&data);
    format!("header {what}")
}

#[test]
fn fuzz_rbm_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let (rbms, _) = model_seeds(dir.path());
    let report = run(
        "rbm",
        &dir.path().join("fuzz.safetensors"),
        &rbms,
        safetensors_rewrite,
        case_count(),
        0x11_0005,
        |p| rbm_file::load_rbm(p).map(|_| ()).map_err(text),
    );
    assert_clean(&report);
}

#[test]
fn fuzz_dbn_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, dbns) = model_seeds(dir.path());
    let report = run(
        "dbn",
        &dir.path().join("fuzz.safetensors"),
        &dbns,
        safetensors_rewrite,
        case_count(),
        0x11_0006,
        |p| dbn_file::load_dbn(p).map(|_| ()).map_err(text),
    );
    assert_clean(&report);
}

// ----------------------------------------------------------------- sidecar

fn sidecar_seeds() -> Vec<Vec<u8>> {
    vec![
        br#"{
  "vrg_version": "0.1.0",
  "command": "ising sample",
  "data_file": "s.npy",
  "shape": [600, 6, 6],
  "dtype": "int8",
  "parameters": {"size": 6, "coupling": 1.0, "field": 0.0, "temperatures": [2.0, 3.0],
                 "samples": 300, "sweeps": 1, "burn_in": 1000, "algorithm": "auto", "seed": 1},
  "blocks": [
    {"temperature": 2.0, "rows": [0, 300], "algorithm": "wolff",
     "observables": {"energy_per_spin": {"mean": -1.7, "error": 0.01}}},
    {"temperature": 3.0, "rows": [300, 600], "algorithm": "metropolis", "exact": null}
  ],
  "seconds": 0.12
}
"#
        .to_vec(),
        br#"{"parameters": {"coupling": 0.5}, "blocks": []}"#.to_vec(),
    ]
}

fn sidecar_rewrite(bytes: &mut Vec<u8>, rng: &mut Rng64) -> String {
    rewrite_number(bytes, rng).unwrap_or_else(|| "no number".into())
}

#[test]
fn fuzz_sidecar_json() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        "sidecar",
        &dir.path().join("fuzz.json"),
        &sidecar_seeds(),
        sidecar_rewrite,
        case_count(),
        0x11_0007,
        |p| {
            let s = sidecar::read(p).map_err(text)?;
            let s = s.ok_or_else(|| "missing".to_string())?;
            s.check_rows(p, Path::new("s.npy"), 600).map_err(text)
        },
    );
    assert_clean(&report);
}
