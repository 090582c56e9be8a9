//! Data loading: real MNIST (the subset shipped in `tests/data/mnist-subset`),
//! IDX/.npy/PNG round trips, binarization, unit checks and validation splits.

use std::path::{Path, PathBuf};
use vrg::data::{
    binarize, fit_units, load, split_validation, to_binary, to_spins, validate_units, Binarize,
    Dataset, LoadOptions, UnitKind,
};
use vrg::io::{idx, image, npy};
use vrg::rbm::VisibleUnits;

mod common;
use common::{gunzip, gzip, idx_bytes, md5_hex, mnist_subset as mnist, write_npy};

// ---------------------------------------------------------------- real MNIST

/// Rows kept by the shipped subset (see its README.md and make_subset.py).
const TRAIN_ROWS: usize = 2000;
const TEST_ROWS: usize = 1000;

/// The sum of the raw 0..=255 pixel values behind `values` (loaded with the
/// default 1/255 scaling).
fn pixel_sum(values: &[f32]) -> u64 {
    values.iter().map(|&v| (v * 255.0).round() as u64).sum()
}

/// The shipped files are the bytes its README documents: the uncompressed
/// MD5s, and the original IDX headers with the row counts changed.
#[test]
fn mnist_subset_is_the_documented_bytes() {
    for (name, md5, header) in [
        (
            "train-images-idx3-ubyte.gz",
            "294fd329ff7cac24b682d047b71117e9",
            &[0x0803, TRAIN_ROWS as u32, 28, 28][..],
        ),
        (
            "train-labels-idx1-ubyte.gz",
            "529b059f379972fba6ba13392ba4af56",
            &[0x0801, TRAIN_ROWS as u32][..],
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "bac4371a484d0b5651e81d99305acb5a",
            &[0x0803, TEST_ROWS as u32, 28, 28][..],
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            "556860b2f10365a8f7444c1e79c7e9af",
            &[0x0801, TEST_ROWS as u32][..],
        ),
    ] {
        let raw = gunzip(&mnist(name));
        assert_eq!(md5_hex(&raw), md5, "{name}");
        let words: Vec<u32> = raw
            .chunks(4)
            .take(header.len())
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        assert_eq!(words, header, "{name}");
        let row_bytes: u32 = header[2..].iter().product();
        assert_eq!(
            raw.len(),
            4 * header.len() + header[1] as usize * row_bytes as usize
        );
    }
    // The digest itself, on RFC 1321's test vectors.
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        md5_hex(&b"1234567890".repeat(8)),
        "57edf4a22be3c955ac49da2e2107b67a",
        "a message longer than one block"
    );
}

#[test]
fn mnist_train_and_test_images() {
    let start = std::time::Instant::now();
    let train = load(mnist("train-images-idx3-ubyte.gz"), &LoadOptions::default()).unwrap();
    eprintln!("MNIST train images loaded in {:?}", start.elapsed());
    assert_eq!((train.n_rows, train.n_features), (TRAIN_ROWS, 784));
    assert_eq!(train.shape_hint, Some((28, 28)));
    assert!(train.dense_values().iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(train.dense_values().contains(&0.0) && train.dense_values().contains(&1.0));
    // Every value is a pixel / 255, and they add up to the subset's pixels
    // (mean intensity 0.13018; the full training set's is 0.1307).
    assert!(train
        .dense_values()
        .iter()
        .all(|&v| ((v * 255.0).round() / 255.0 - v).abs() < 1e-7));
    assert_eq!(pixel_sum(&train.dense_values()), 52_050_445);
    assert_eq!(pixel_sum(&train.dense_values()[..784]), 27_525);
    validate_units(&train, UnitKind::Bernoulli).unwrap();

    let test = load(mnist("t10k-images-idx3-ubyte.gz"), &LoadOptions::default()).unwrap();
    assert_eq!((test.n_rows, test.n_features), (TEST_ROWS, 784));
    assert!(test.dense_values().iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(pixel_sum(&test.dense_values()), 24_443_134);

    let first = load(
        mnist("train-images-idx3-ubyte.gz"),
        &LoadOptions {
            limit: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(first.n_rows, 100);
    assert_eq!(first.dense_values()[..], train.dense_values()[..100 * 784]);
}

#[test]
fn mnist_labels() {
    let labels = idx::read(mnist("train-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(labels.shape, vec![TRAIN_ROWS]);
    assert_eq!(labels.values[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert!(labels.values.iter().all(|&l| l < 10));
    let counts = |values: &[u8]| -> Vec<usize> {
        (0..10)
            .map(|d| values.iter().filter(|&&l| l == d).count())
            .collect()
    };
    assert_eq!(
        counts(&labels.values),
        [191, 220, 198, 191, 214, 180, 200, 224, 172, 210]
    );
    let test = idx::read(mnist("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(test.shape, vec![TEST_ROWS]);
    assert_eq!(test.values[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(
        counts(&test.values),
        [85, 126, 116, 107, 110, 87, 87, 99, 89, 94]
    );
    // Labels are 1-D: not a dataset of rows.
    let err = load(mnist("train-labels-idx1-ubyte.gz"), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 2 dimensions"), "{err}");
}

// ---------------------------------------------------------------------- IDX

#[test]
fn idx_round_trip_plain_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<u8> = (0..3 * 4 * 5).map(|i| (i * 4) as u8).collect();
    let bytes = idx_bytes(&[3, 4, 5], &values);
    let plain = dir.path().join("images.idx");
    // A gzipped file is recognised by content, whatever its name.
    let gz = dir.path().join("images-no-gz-suffix");
    std::fs::write(&plain, &bytes).unwrap();
    std::fs::write(&gz, gzip(&bytes, flate2::Compression::fast())).unwrap();
    for p in [&plain, &gz] {
        let a = idx::read(p).unwrap();
        assert_eq!(a.shape, vec![3, 4, 5]);
        assert_eq!(a.values, values);
        let d = load(p, &LoadOptions::default()).unwrap();
        assert_eq!(
            (d.n_rows, d.n_features, d.shape_hint),
            (3, 20, Some((4, 5)))
        );
        let expected: Vec<f32> = values.iter().map(|&v| v as f32 / 255.0).collect();
        assert_eq!(d.dense_values(), expected);
        let limited = load(
            p,
            &LoadOptions {
                limit: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(limited.n_rows, 2);
        assert_eq!(limited.dense_values()[..], expected[..40]);
    }
}

#[test]
fn idx_truncated_and_bad_magic_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    let short = dir.path().join("short.idx");
    std::fs::write(&short, &bytes[..bytes.len() - 2]).unwrap();
    let err = idx::read(&short).unwrap_err().to_string();
    assert!(
        err.contains("short.idx") && err.contains("truncated") && err.contains("expected 6 bytes"),
        "{err}"
    );
    assert!(err.contains("found 4"), "{err}");

    let short_gz = dir.path().join("short.gz");
    std::fs::write(
        &short_gz,
        gzip(&bytes[..bytes.len() - 2], flate2::Compression::fast()),
    )
    .unwrap();
    let err = idx::read(&short_gz).unwrap_err().to_string();
    assert!(
        err.contains("short.gz") && err.contains("truncated"),
        "{err}"
    );

    // A gzip stream that is itself cut off mid-way.
    let cut_gz = dir.path().join("cut.gz");
    let big = idx_bytes(
        &[100, 100],
        &(0..10000).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>(),
    );
    let compressed = gzip(&big, flate2::Compression::fast());
    std::fs::write(&cut_gz, &compressed[..compressed.len() / 2]).unwrap();
    let err = idx::read(&cut_gz).unwrap_err().to_string();
    assert!(err.contains("cut.gz"), "{err}");

    let bad = dir.path().join("bad.idx");
    std::fs::write(&bad, [1, 2, 8, 1, 0, 0, 0, 1, 0]).unwrap();
    let err = idx::read(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.idx") && err.contains("magic"), "{err}");

    let float = dir.path().join("float.idx");
    std::fs::write(&float, [0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap();
    let err = idx::read(&float).unwrap_err().to_string();
    assert!(err.contains("float.idx") && err.contains("0x0d"), "{err}");
}

// ---------------------------------------------------------------------- npy

#[test]
fn npy_dtypes_flattening_and_scale() {
    let dir = tempfile::tempdir().unwrap();
    let opts = LoadOptions::default();

    let p = dir.path().join("f32.npy");
    write_npy(&p, &[2, 3], &[0.5f32, -1.25, 3.0, 4.0, 1e-3, 6.0]);
    let d = load(&p, &opts).unwrap();
    assert_eq!((d.n_rows, d.n_features, d.shape_hint), (2, 3, None));
    assert_eq!(d.dense_values(), vec![0.5, -1.25, 3.0, 4.0, 1e-3, 6.0]);

    let p = dir.path().join("f64.npy");
    write_npy(&p, &[2, 2], &[0.25f64, 0.5, 0.75, 1.0]);
    assert_eq!(
        load(&p, &opts).unwrap().into_values(),
        vec![0.25, 0.5, 0.75, 1.0]
    );

    let p = dir.path().join("u8.npy");
    write_npy(&p, &[1, 3], &[0u8, 128, 255]);
    assert_eq!(
        load(&p, &opts).unwrap().into_values(),
        vec![0.0, 128.0, 255.0]
    );
    let scaled = load(
        &p,
        &LoadOptions {
            scale: Some(255.0),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(scaled.dense_values(), vec![0.0, 128.0 / 255.0, 1.0]);

    let p = dir.path().join("i8.npy");
    npy::write_i8(&p, &[2, 2], &[1, -1, -1, 1]).unwrap();
    let spins = load(&p, &opts).unwrap();
    assert_eq!(spins.dense_values(), vec![1.0, -1.0, -1.0, 1.0]);
    validate_units(&spins, UnitKind::Spin).unwrap();

    let p = dir.path().join("bool.npy");
    write_npy(&p, &[2, 2], &[true, false, false, true]);
    assert_eq!(
        load(&p, &opts).unwrap().into_values(),
        vec![1.0, 0.0, 0.0, 1.0]
    );

    // 3-D (n, a, b) → (n, a·b) with the image shape kept as a hint.
    let p = dir.path().join("cube.npy");
    let cube: Vec<f64> = (0..2 * 3 * 4).map(f64::from).collect();
    npy::write_f64(&p, &[2, 3, 4], &cube).unwrap();
    let d = load(&p, &opts).unwrap();
    assert_eq!(
        (d.n_rows, d.n_features, d.shape_hint),
        (2, 12, Some((3, 4)))
    );
    assert_eq!(d.dense_values()[12], 12.0);
    let first = load(
        &p,
        &LoadOptions {
            limit: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(first.dense_values()[..], d.dense_values()[..12]);

    let p = dir.path().join("line.npy");
    npy::write_f64(&p, &[3], &[1.0, 2.0, 3.0]).unwrap();
    let err = load(&p, &opts).unwrap_err().to_string();
    assert!(
        err.contains("line.npy") && err.contains("expected at least 2 dimensions"),
        "{err}"
    );
}

#[test]
fn bad_options_and_unknown_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    npy::write_f64(&p, &[1, 1], &[1.0]).unwrap();
    for opts in [
        LoadOptions {
            limit: Some(0),
            ..Default::default()
        },
        LoadOptions {
            scale: Some(0.0),
            ..Default::default()
        },
    ] {
        assert!(load(&p, &opts).is_err());
    }
    let q = dir.path().join("x.idx");
    std::fs::write(&q, idx_bytes(&[1, 1], &[3])).unwrap();
    let err = load(
        &q,
        &LoadOptions {
            scale: Some(2.0),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("scale"), "{err}");
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello").unwrap();
    let err = load(&junk, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("junk.txt") && err.contains("unrecognised"),
        "{err}"
    );
    assert!(load(dir.path().join("missing"), &LoadOptions::default()).is_err());
}

// ---------------------------------------------------------------------- PNG

fn write_png(
    path: &Path,
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    enc.set_color(color);
    enc.set_depth(depth);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(data).unwrap();
    w.finish().unwrap();
}

#[test]
fn png_grey_rgb_16bit_and_palette() {
    let dir = tempfile::tempdir().unwrap();
    let grey: Vec<u8> = vec![0, 17, 34, 255, 128, 1];
    let p = dir.path().join("grey.png");
    write_png(
        &p,
        3,
        2,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &grey,
    );
    let img = image::read_grey_u8(&p).unwrap();
    assert_eq!(
        (img.height, img.width, img.pixels.clone()),
        (2, 3, grey.clone())
    );
    let d = load(&p, &LoadOptions::default()).unwrap();
    assert_eq!((d.n_rows, d.n_features, d.shape_hint), (1, 6, Some((2, 3))));
    let expected: Vec<f32> = grey.iter().map(|&v| v as f32 / 255.0).collect();
    assert_eq!(d.dense_values(), expected);

    // RGB → luminance 0.299 R + 0.587 G + 0.114 B.
    let rgb = [255u8, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200];
    let p = dir.path().join("rgb.png");
    write_png(&p, 2, 2, png::ColorType::Rgb, png::BitDepth::Eight, &rgb);
    let img = image::read_grey_u8(&p).unwrap();
    assert_eq!(img.pixels, vec![76, 150, 29, 200]);
    let f = image::read_grey_f32(&p).unwrap();
    for (got, want) in f.pixels.iter().zip([0.299f32, 0.587, 0.114, 200.0 / 255.0]) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    // Grey + alpha: alpha ignored.
    let p = dir.path().join("ga.png");
    write_png(
        &p,
        2,
        1,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &[10, 0, 250, 255],
    );
    assert_eq!(image::read_grey_u8(&p).unwrap().pixels, vec![10, 250]);

    // 16-bit grey: 0xFFFF → 1, 0x8080 → 128/255 exactly.
    let p = dir.path().join("g16.png");
    write_png(
        &p,
        2,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::Sixteen,
        &[0xff, 0xff, 0x80, 0x80],
    );
    let f = image::read_grey_f32(&p).unwrap();
    assert!((f.pixels[0] - 1.0).abs() < 1e-6 && (f.pixels[1] - 128.0 / 255.0).abs() < 1e-6);
    assert_eq!(image::read_grey_u8(&p).unwrap().pixels, vec![255, 128]);

    // Palette, expanded.
    let p = dir.path().join("pal.png");
    {
        let file = std::fs::File::create(&p).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), 2, 1);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(vec![0, 0, 0, 90, 90, 90]);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[1, 0]).unwrap();
        w.finish().unwrap();
    }
    assert_eq!(image::read_grey_u8(&p).unwrap().pixels, vec![90, 0]);
}

#[test]
fn png_directory_rows_sorted_and_sizes_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (name, v) in [("b.png", 20u8), ("a.png", 10), ("c.png", 30)] {
        image::write_grey_png(dir.path().join(name), 2, 2, &[v; 4]).unwrap();
    }
    std::fs::write(dir.path().join("README.txt"), "not an image").unwrap();
    let d = load(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!((d.n_rows, d.n_features, d.shape_hint), (3, 4, Some((2, 2))));
    for (i, v) in [10u8, 20, 30].iter().enumerate() {
        assert!(d.dense_values()[i * 4..(i + 1) * 4]
            .iter()
            .all(|&x| x == *v as f32 / 255.0));
    }
    let two = load(
        dir.path(),
        &LoadOptions {
            limit: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(two.n_rows, 2);

    image::write_grey_png(dir.path().join("d.png"), 3, 2, &[0; 6]).unwrap();
    let err = load(dir.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("d.png") && err.contains("3×2"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let err = load(empty.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no .png"), "{err}");
}

// ------------------------------------------------------------ preprocessing

fn dataset(n_rows: usize, n_features: usize, f: impl Fn(usize, usize) -> f32) -> Dataset {
    let values = (0..n_rows * n_features)
        .map(|k| f(k / n_features, k % n_features))
        .collect();
    Dataset::new(n_rows, n_features, values).unwrap()
}

/// `d` with value `k` (row-major) replaced by `v`.
fn with_value(d: &Dataset, k: usize, v: f32) -> Dataset {
    let mut values = d.dense_values().into_owned();
    values[k] = v;
    Dataset::new(d.n_rows, d.n_features, values).unwrap()
}

#[test]
fn threshold_binarization() {
    let mut d = dataset(2, 3, |r, c| (r * 3 + c) as f32 / 5.0);
    binarize(&mut d, Binarize::Threshold(0.5)).unwrap();
    assert_eq!(d.dense_values(), vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let mut nan = dataset(2, 2, |r, c| if (r, c) == (1, 0) { f32::NAN } else { 0.0 });
    let err = binarize(&mut nan, Binarize::Threshold(0.5))
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1") && err.contains("column 0"), "{err}");
}

#[test]
fn stochastic_binarization_matches_intensity() {
    let ps = [0.0f32, 0.05, 0.3, 0.5, 0.77, 0.95, 1.0];
    let n = 20_000;
    let mut d = dataset(n, ps.len(), |_, c| ps[c]);
    binarize(&mut d, Binarize::Stochastic(7)).unwrap();
    assert!(d.dense_values().iter().all(|&v| v == 0.0 || v == 1.0));
    for (c, &p) in ps.iter().enumerate() {
        let values = d.dense_values();
        let ones = values
            .chunks_exact(ps.len())
            .filter(|r| r[c] == 1.0)
            .count() as f64;
        let p = f64::from(p);
        if p == 0.0 || p == 1.0 {
            assert_eq!(ones, p * n as f64);
            continue;
        }
        let z = (ones - n as f64 * p) / (n as f64 * p * (1.0 - p)).sqrt();
        assert!(z.abs() < 5.0, "column {c}: p = {p}, ones = {ones}, z = {z}");
    }
}

#[test]
fn stochastic_binarization_is_deterministic_across_threads() {
    let original = dataset(1000, 37, |r, c| ((r * 31 + c * 7) % 101) as f32 / 100.0);
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut d = original.clone();
        pool.install(|| binarize(&mut d, Binarize::Stochastic(seed)))
            .unwrap();
        d.into_values()
    };
    let one = run(1, 42);
    assert_eq!(one, run(4, 42));
    assert_eq!(one, run(3, 42));
    assert_ne!(one, run(4, 43));

    let mut bad = dataset(4, 9, |r, c| if (r, c) == (2, 5) { 1.5 } else { 0.5 });
    let before = bad.clone();
    let err = binarize(&mut bad, Binarize::Stochastic(1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2") && err.contains("column 5") && err.contains("1.5"),
        "{err}"
    );
    assert_eq!(bad, before, "a failed binarization changes nothing");
}

#[test]
fn spins_and_binary_are_inverse() {
    let mut d = dataset(2, 2, |r, c| ((r + c) % 2) as f32);
    to_spins(&mut d);
    assert_eq!(d.dense_values(), vec![-1.0, 1.0, 1.0, -1.0]);
    validate_units(&d, UnitKind::Spin).unwrap();
    to_binary(&mut d);
    assert_eq!(d.dense_values(), vec![0.0, 1.0, 1.0, 0.0]);
}

#[test]
fn validate_units_names_row_column_and_file() {
    let spins = dataset(5, 10, |r, c| if (r + c) % 2 == 0 { 1.0 } else { -1.0 });
    validate_units(&spins, UnitKind::Spin).unwrap();
    validate_units(&spins, UnitKind::Gaussian).unwrap();
    assert!(validate_units(&spins, UnitKind::Bernoulli).is_err());
    let mut spins = with_value(&spins, 3 * 10 + 7, 0.5);
    spins.source = Some(PathBuf::from("spins.npy"));
    let err = validate_units(&spins, UnitKind::Spin)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("spins.npy")
            && err.contains("row 3")
            && err.contains("column 7")
            && err.contains("0.5")
            && err.contains("-1 or +1"),
        "{err}"
    );

    let probs = dataset(3, 3, |_, _| 0.25);
    validate_units(&probs, UnitKind::Bernoulli).unwrap();
    for bad in [f32::NAN, f32::INFINITY, -0.1, 1.5] {
        let d = with_value(&probs, 4, bad);
        let err = validate_units(&d, UnitKind::Bernoulli)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 1") && err.contains("column 1"), "{err}");
    }
    for bad in [f32::NAN, f32::NEG_INFINITY] {
        let d = with_value(&probs, 8, bad);
        let err = validate_units(&d, UnitKind::Gaussian)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 2") && err.contains("column 2"), "{err}");
    }
}

// ----------------------------------------------------------------- splitting

#[test]
fn split_validation_sizes_disjoint_and_deterministic() {
    // Row i holds the single value i, so rows identify themselves.
    let d = dataset(101, 1, |r, _| r as f32);
    let (train, val) = split_validation(&d, 0.2, 9).unwrap();
    assert_eq!((train.n_rows, val.n_rows), (81, 20));
    let mut all: Vec<f32> = train
        .dense_values()
        .iter()
        .chain(val.dense_values().iter())
        .copied()
        .collect();
    all.sort_by(f32::total_cmp);
    assert_eq!(all[..], d.dense_values()[..], "disjoint and covering");
    assert!(
        train.dense_values().windows(2).all(|w| w[0] < w[1]),
        "original order kept"
    );
    let (train2, val2) = split_validation(&d, 0.2, 9).unwrap();
    assert_eq!((&train, &val), (&train2, &val2));
    let (_, val3) = split_validation(&d, 0.2, 10).unwrap();
    assert_ne!(val.dense_values(), val3.dense_values());
    // The validation set is not just the first or last rows.
    assert!(
        val.dense_values().iter().any(|&v| v < 50.0)
            && val.dense_values().iter().any(|&v| v >= 50.0)
    );

    let (train, val) = split_validation(&d, 0.0, 1).unwrap();
    assert_eq!((train.n_rows, val.n_rows), (101, 0));
    assert_eq!(train, d);

    assert!(split_validation(&d, 1.0, 1).is_err());
    assert!(split_validation(&d, -0.1, 1).is_err());
    let tiny = dataset(1, 1, |_, _| 0.0);
    assert!(split_validation(&tiny, 0.6, 1).is_err());
    let (train, val) = split_validation(&tiny, 0.4, 1).unwrap();
    assert_eq!((train.n_rows, val.n_rows), (1, 0));
}

// ------------------------------------------------------ packed binarization

/// Bit patterns of `values`, for bit-for-bit comparisons.
fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Loading IDX pixels with `binarize` packs them chunk by chunk straight
/// from the bytes; the bits are those of binarizing the f32 pixels whole
/// (the path every version before packing took), across the 256-row
/// stream boundary and with rows of 65 (not 64·k) values.
#[test]
fn idx_binarized_while_loading_equals_binarizing_the_f32_pixels() {
    let (rows, h, w) = (300, 5, 13);
    let pixels: Vec<u8> = (0..rows * h * w)
        .map(|k| ((k * 2_654_435_761usize) >> 9) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pixels.gz");
    let bytes = idx_bytes(&[rows as u32, h as u32, w as u32], &pixels);
    std::fs::write(&p, gzip(&bytes, flate2::Compression::fast())).unwrap();
    for how in [
        Binarize::Stochastic(3),
        Binarize::Stochastic(4),
        Binarize::Threshold(0.4),
    ] {
        for limit in [None, Some(257)] {
            let options = LoadOptions {
                limit,
                binarize: Some(how),
                ..Default::default()
            };
            let packed = load(&p, &options).unwrap();
            assert!(packed.is_binary(), "{how:?}");
            assert_eq!(packed.shape_hint, Some((h, w)));
            let mut dense = load(
                &p,
                &LoadOptions {
                    limit,
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(!dense.is_binary());
            binarize(&mut dense, how).unwrap();
            assert_eq!(packed.n_rows, dense.n_rows);
            assert_eq!(
                bits(&packed.dense_values()),
                bits(&dense.dense_values()),
                "{how:?}, limit {limit:?}"
            );
            assert_eq!(packed.storage_bytes(), packed.n_rows * 2 * 8);
        }
    }
}

/// The same for a directory of PNG files, binarized image by image.
#[test]
fn png_directory_binarized_while_loading_equals_binarizing_the_f32_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 260;
    for i in 0..rows {
        let grey: Vec<u8> = (0..6).map(|k| ((i * 37 + k * 101) % 256) as u8).collect();
        image::write_grey_png(dir.path().join(format!("{i:03}.png")), 3, 2, &grey).unwrap();
    }
    for how in [Binarize::Stochastic(5), Binarize::Threshold(0.5)] {
        let options = LoadOptions {
            binarize: Some(how),
            ..Default::default()
        };
        let packed = load(dir.path(), &options).unwrap();
        assert!(packed.is_binary());
        let mut dense = load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            (packed.n_rows, packed.n_features, packed.shape_hint),
            (rows, 6, dense.shape_hint)
        );
        binarize(&mut dense, how).unwrap();
        assert_eq!(bits(&packed.dense_values()), bits(&dense.dense_values()));
    }
}

/// Splits of packed data are the splits of the same data dense, and stay
/// packed.
#[test]
fn split_of_packed_data_equals_split_of_dense_data() {
    let dense = dataset(130, 67, |r, c| ((r * 7 + c * 3) % 5 == 0) as u8 as f32);
    let mut packed = dense.clone();
    assert!(packed.pack());
    let (train_p, val_p) = split_validation(&packed, 0.3, 11).unwrap();
    let (train_d, val_d) = split_validation(&dense, 0.3, 11).unwrap();
    assert!(train_p.is_binary() && val_p.is_binary());
    assert_eq!((train_p.n_rows, val_p.n_rows), (91, 39));
    assert_eq!(bits(&train_p.dense_values()), bits(&train_d.dense_values()));
    assert_eq!(bits(&val_p.dense_values()), bits(&val_d.dense_values()));
}

/// Spin maps, unit fitting and unit checks act on packed data as on dense.
#[test]
fn unit_maps_and_checks_on_packed_data() {
    let dense = dataset(70, 65, |r, c| ((r + 2 * c) % 3 == 0) as u8 as f32);
    let mut packed = dense.clone();
    packed.pack();
    for units in [VisibleUnits::Spin, VisibleUnits::Bernoulli] {
        let (mut a, mut b) = (dense.clone(), packed.clone());
        assert_eq!(
            fit_units(&mut a, units).unwrap(),
            fit_units(&mut b, units).unwrap()
        );
        assert!(b.is_binary());
        assert_eq!(bits(&a.dense_values()), bits(&b.dense_values()));
        // and back
        let back = match units {
            VisibleUnits::Spin => VisibleUnits::Bernoulli,
            _ => VisibleUnits::Spin,
        };
        assert_eq!(
            fit_units(&mut a, back).unwrap(),
            fit_units(&mut b, back).unwrap()
        );
        assert_eq!(bits(&a.dense_values()), bits(&b.dense_values()));
    }
    let mut spins = packed.clone();
    to_spins(&mut spins);
    let e = validate_units(&spins, UnitKind::Bernoulli)
        .unwrap_err()
        .to_string();
    let mut spins_dense = dense.clone();
    to_spins(&mut spins_dense);
    let e_dense = validate_units(&spins_dense, UnitKind::Bernoulli)
        .unwrap_err()
        .to_string();
    assert_eq!(e, e_dense);
}

/// Rows wider than 4 MiB / 256 are read 256 at a time: pieces of whole
/// random streams, binarized as the f32 pixels are.
#[test]
fn idx_binarized_in_several_pieces_equals_binarizing_the_f32_pixels() {
    let (rows, features) = (520usize, 16_400usize);
    let pixels: Vec<u8> = (0..rows * features)
        .map(|k| ((k * 2_654_435_761usize) >> 11) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.idx");
    std::fs::write(&p, idx_bytes(&[rows as u32, features as u32], &pixels)).unwrap();
    for limit in [None, Some(300)] {
        let how = Binarize::Stochastic(8);
        let options = LoadOptions {
            limit,
            binarize: Some(how),
            ..Default::default()
        };
        let packed = load(&p, &options).unwrap();
        let mut dense = load(
            &p,
            &LoadOptions {
                limit,
                ..Default::default()
            },
        )
        .unwrap();
        binarize(&mut dense, how).unwrap();
        assert!(packed.is_binary());
        assert_eq!((packed.n_rows, packed.n_features), (dense.n_rows, features));
        assert_eq!(bits(&packed.dense_values()), bits(&dense.dense_values()));
    }
    // A file cut short fails as the whole read does: plain (from its
    // length) and gzip (once the stream ends, a few pieces in).
    let cut = &idx_bytes(&[rows as u32, features as u32], &pixels)[..6_000_000];
    let options = LoadOptions {
        binarize: Some(Binarize::Threshold(0.5)),
        ..Default::default()
    };
    for bytes in [cut.to_vec(), gzip(cut, flate2::Compression::fast())] {
        std::fs::write(&p, bytes).unwrap();
        let e = load(&p, &options).unwrap_err().to_string();
        let whole = load(&p, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("truncated IDX data"), "{e}");
        assert_eq!(e, whole);
    }
}
