//! End-to-end tests of `vrg rbm …` in temporary directories.

mod common;
use common::{
    files, json_lines, snapshot, stderr, vrg, vrg_ok, vrg_one_line_err, vrg_stdout, words,
    write_npy, MNIST_SUBSET_TRAIN,
};

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use vrg::rbm::file::load_rbm;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

const LOG_KEYS: [&str; 9] = [
    "epoch",
    "free_energy_train",
    "free_energy_validation",
    "free_energy_gap",
    "reconstruction_error",
    "pseudo_log_likelihood",
    "seconds",
    "learning_rate",
    "momentum",
];

/// Shape, numpy dtype string and values (as f64) of a `.npy` file.
fn read_npy(path: &Path) -> (Vec<u64>, String, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().to_vec();
    let dtype = npy.dtype().descr().trim_matches('\'').to_string();
    let values = match dtype.as_str() {
        "|i1" => npy
            .into_vec::<i8>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect(),
        "<f8" => npy.into_vec::<f64>().unwrap(),
        other => panic!("unexpected dtype {other}"),
    };
    (shape, dtype, values)
}

/// A small pseudo-random generator for test data (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `rows` binary rows of 64 pixels: one of two 8×8 stripe patterns with 10%
/// of the pixels flipped.
fn binary_rows(rows: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut values = Vec::with_capacity(rows * 64);
    for r in 0..rows {
        for i in 0..64 {
            let on = if r % 2 == 0 {
                (i / 8) % 2 == 0
            } else {
                i % 2 == 0
            };
            let flip = rng.uniform() < 0.1;
            values.push(u8::from(on != flip));
        }
    }
    values
}

/// Writes `name` as 200 × 64 binary data.
fn write_binary_data(dir: &Path, name: &str) {
    write_npy(&dir.join(name), &[200, 64], &binary_rows(200, 7));
}

/// [`train_small`] with `extra` flags and `--log log`; returns the log's
/// records.
fn train_small_logged(dir: &Path, out: &str, extra: &[&str], log: &str) -> Vec<Value> {
    let mut flags = extra.to_vec();
    flags.extend(["--log", log]);
    train_small(dir, out, &flags);
    json_lines(&dir.join(log))
}

/// Fails unless the estimate `json[key]`, with its error bar
/// `json[key_stderr]`, lies within 4 error bars (at least 4 × 0.001) and 0.2
/// of the `exact` value; `what` names the estimate in the message.
fn assert_within_error_bars(json: &Value, key: &str, exact: f64, what: &str) {
    let (estimate, error_bar) = (
        json[key].as_f64().unwrap(),
        json[format!("{key}_stderr").as_str()].as_f64().unwrap(),
    );
    assert!(
        (estimate - exact).abs() < 4.0 * error_bar.max(1e-3) && (estimate - exact).abs() < 0.2,
        "{what} {estimate} ± {error_bar} against exact {exact}"
    );
}

/// Runs `vrg rbm free-energy` on `m.safetensors` and `data` in `dir` and
/// fails unless it prints a mean free energy over `rows` rows.
fn assert_mean_free_energy_printed(dir: &Path, data: &str, rows: usize) {
    let args = [
        "rbm",
        "free-energy",
        "--model",
        "m.safetensors",
        "--data",
        data,
    ];
    let text = vrg_stdout(dir, &args);
    assert!(
        text.contains("mean free energy") && text.contains(&format!("{rows} rows")),
        "{text}"
    );
}

/// A fresh temporary directory holding `d.npy`, 200 × 64 binary data.
fn dir_with_binary_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_binary_data(dir.path(), "d.npy");
    dir
}

const SMALL_TRAIN: [&str; 10] = [
    "--data", "d.npy", "--hidden", "16", "--epochs", "3", "--batch", "20", "--seed", "5",
];

fn train_small(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["rbm", "train"];
    args.extend_from_slice(&SMALL_TRAIN);
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out]);
    vrg_ok(dir, &args)
}

#[test]
fn train_writes_a_checkpoint_and_a_log() {
    let dir = dir_with_binary_data();
    let o = train_small(dir.path(), "m.safetensors", &["--log", "log.jsonl"]);
    assert_eq!(
        files(dir.path()),
        vec!["d.npy", "log.jsonl", "m.safetensors"]
    );
    let err = stderr(&o);
    for epoch in 1..=3 {
        assert!(err.contains(&format!("epoch {epoch}/3")), "{err}");
    }
    let file = load_rbm(dir.path().join("m.safetensors")).unwrap();
    assert_eq!(file.rbm.n_visible(), 64);
    assert_eq!(file.rbm.n_hidden(), 16);
    assert_eq!(file.rbm.visible_units(), VisibleUnits::Bernoulli);
    assert_eq!(file.epoch, 3);
    let params = file.params.expect("training parameters saved");
    assert_eq!(params.epochs(), 3);
    assert_eq!(params.batch_size(), 20);
    assert_eq!(params.seed(), 5);
    assert_eq!(
        params.learning_rate(),
        vrg::train::TrainConfig::new()
            .check(usize::MAX)
            .unwrap()
            .learning_rate()
    );
    assert_eq!(file.state.expect("optimiser state saved").epochs_done, 3);

    let log = json_lines(&dir.path().join("log.jsonl"));
    assert_eq!(log.len(), 3);
    for (i, line) in log.iter().enumerate() {
        for key in LOG_KEYS {
            assert!(line.get(key).is_some(), "line {i} lacks {key}: {line}");
        }
        assert_eq!(line["epoch"], i + 1);
        // The default 10% split gives a held-out free energy and a gap.
        let train = line["free_energy_train"].as_f64().unwrap();
        let held_out = line["free_energy_validation"].as_f64().unwrap();
        let gap = line["free_energy_gap"].as_f64().unwrap();
        assert!((gap - (held_out - train)).abs() < 1e-9);
        assert!(line["pseudo_log_likelihood"].as_f64().unwrap() < 0.0);
        assert!(line["reconstruction_error"].as_f64().unwrap() >= 0.0);
        assert_eq!(line["learning_rate"].as_f64().unwrap(), 0.01);
        assert_eq!(line["momentum"].as_f64().unwrap(), 0.5);
    }

    // --validation-fraction 0: no held-out monitor.
    let log = train_small_logged(
        dir.path(),
        "n.safetensors",
        &["--validation-fraction", "0"],
        "n.jsonl",
    );
    assert!(log[0]["free_energy_validation"].is_null());
    assert!(log[0]["free_energy_gap"].is_null());
    // A fresh run replaces its log; --validation FILE gives a held-out value.
    write_npy(
        &dir.path().join("v.npy"),
        &[30, 64],
        &binary_rows(30, 99)[..],
    );
    let log = train_small_logged(
        dir.path(),
        "n.safetensors",
        &["--validation", "v.npy"],
        "n.jsonl",
    );
    assert_eq!(log.len(), 3);
    assert!(log[2]["free_energy_validation"].is_number());
}

#[test]
fn train_on_mnist_and_draw_filters() {
    let dir = tempfile::tempdir().unwrap();
    let o = vrg_ok(
        dir.path(),
        &[
            "rbm",
            "train",
            "--data",
            MNIST_SUBSET_TRAIN,
            "--limit",
            "600",
            "--binarize",
            "stochastic:1",
            "--hidden",
            "16",
            "--epochs",
            "2",
            "--batch",
            "50",
            "--log",
            "log.jsonl",
            "--out",
            "m.safetensors",
        ],
    );
    assert!(stderr(&o).contains("epoch 2/2"));
    let file = load_rbm(dir.path().join("m.safetensors")).unwrap();
    assert_eq!((file.rbm.n_visible(), file.rbm.n_hidden()), (784, 16));
    let log = json_lines(&dir.path().join("log.jsonl"));
    assert_eq!(log.len(), 2);
    assert!(log[1]["free_energy_validation"].is_number());
    assert!(log[1]["pseudo_log_likelihood"].is_number());

    // Default layout: 28×28 tiles (784 is a square), ⌈√16⌉ = 4 columns.
    vrg_ok(
        dir.path(),
        &words("rbm filters --model m.safetensors --out f.png"),
    );
    let image = vrg::io::image::read_grey_u8(dir.path().join("f.png")).unwrap();
    assert_eq!((image.height, image.width), (4 * 28 + 3, 4 * 28 + 3));
    // Each tile spans the full grey range of its own weights.
    let tile: Vec<u8> = (0..28)
        .flat_map(|r| image.pixels[r * image.width..r * image.width + 28].to_vec())
        .collect();
    let (lo, hi) = (*tile.iter().min().unwrap(), *tile.iter().max().unwrap());
    assert!(lo == 1 || hi == 255, "tile range {lo}..{hi}");
    // The gap after the first tile is black.
    assert!((0..28).all(|r| image.pixels[r * image.width + 28] == 0));

    // Explicit shape and columns: 16 tiles of 16×49 in 5 columns → 4 rows.
    vrg_ok(
        dir.path(),
        &words("rbm filters --model m.safetensors --shape 16x49 --columns 5 --out g.png"),
    );
    let image = vrg::io::image::read_grey_u8(dir.path().join("g.png")).unwrap();
    assert_eq!((image.height, image.width), (4 * 16 + 3, 5 * 49 + 4));
}

/// A directory of PNGs is data too (one image per row).
#[test]
fn train_on_a_directory_of_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let rows = binary_rows(12, 3);
    for (k, row) in rows.chunks(64).enumerate() {
        let pixels: Vec<u8> = row.iter().map(|&v| v * 255).collect();
        vrg::io::image::write_grey_png(images.join(format!("{k:02}.png")), 8, 8, &pixels).unwrap();
    }
    vrg_ok(
        dir.path(),
        &words("rbm train --data images --hidden 4 --epochs 2 --batch 5 --out m.safetensors"),
    );
    let file = load_rbm(dir.path().join("m.safetensors")).unwrap();
    assert_eq!((file.rbm.n_visible(), file.rbm.n_hidden()), (64, 4));
    assert_mean_free_energy_printed(dir.path(), "images", 12);
}

/// The library's streams are per epoch, so stopping after 2 epochs and
/// resuming to 4 gives the same parameters, bit for bit, as 4 epochs straight.
#[test]
fn resumed_training_is_bit_identical_to_an_uninterrupted_run() {
    let dir = dir_with_binary_data();
    for (method, extra) in [
        ("pcd", &["--momentum-switch-epoch", "3"][..]),
        (
            "cd",
            &["--k", "2", "--sparsity", "0.2", "--dropout", "0.2"][..],
        ),
    ] {
        let run = |out: &str, epochs: &str, resume: bool| {
            let log = format!("{out}.jsonl");
            let mut args = vec![
                "--threads",
                "1",
                "rbm",
                "train",
                "--data",
                "d.npy",
                "--hidden",
                "16",
                "--batch",
                "20",
                "--method",
                method,
                "--seed",
                "11",
                "--epochs",
                epochs,
                "--log",
            ];
            args.push(&log);
            args.extend_from_slice(extra);
            if resume {
                args.push("--resume");
            }
            args.extend_from_slice(&["--out", out]);
            vrg_ok(dir.path(), &args)
        };
        let straight = format!("straight-{method}.safetensors");
        let resumed = format!("resumed-{method}.safetensors");
        run(&straight, "4", false);
        run(&resumed, "2", false);
        assert_eq!(load_rbm(dir.path().join(&resumed)).unwrap().epoch, 2);
        let o = run(&resumed, "4", true);
        assert!(stderr(&o).contains("resuming"), "{}", stderr(&o));

        let a = load_rbm(dir.path().join(&straight)).unwrap();
        let b = load_rbm(dir.path().join(&resumed)).unwrap();
        assert_eq!(a.rbm.weights(), b.rbm.weights(), "{method}: W differs");
        assert_eq!(a.rbm.visible_bias(), b.rbm.visible_bias(), "{method}: b");
        assert_eq!(a.rbm.hidden_bias(), b.rbm.hidden_bias(), "{method}: c");
        assert_eq!(a.state, b.state, "{method}: optimiser state differs");
        assert_eq!(a.params, b.params);
        assert_eq!(b.epoch, 4);
        // The resumed log was appended to: the same four lines (but seconds).
        let strip = |mut line: Value| {
            line.as_object_mut().unwrap().remove("seconds");
            line
        };
        let la: Vec<Value> = json_lines(&dir.path().join(format!("{straight}.jsonl")))
            .into_iter()
            .map(strip)
            .collect();
        let lb: Vec<Value> = json_lines(&dir.path().join(format!("{resumed}.jsonl")))
            .into_iter()
            .map(strip)
            .collect();
        assert_eq!(la.len(), 4);
        assert_eq!(la, lb, "{method}: logs differ");
    }
    // Without --epochs, --resume continues to the checkpoint's own total;
    // here that is already reached, so there is nothing to train.
    let o = vrg_ok(
        dir.path(),
        &words("rbm train --data d.npy --resume --out straight-pcd.safetensors"),
    );
    assert!(stderr(&o).contains("nothing to train"), "{}", stderr(&o));
}

#[test]
fn sample_transform_and_free_energy() {
    let dir = dir_with_binary_data();
    train_small(dir.path(), "m.safetensors", &[]);

    // sample: int8 0/1 of shape (N, n_visible); the seed fixes the result
    // whatever the thread count.
    for (threads, out) in [("1", "s1.npy"), ("2", "s2.npy")] {
        vrg_ok(
            dir.path(),
            &[
                "--threads",
                threads,
                "rbm",
                "sample",
                "--model",
                "m.safetensors",
                "--samples",
                "70",
                "--gibbs-steps",
                "5",
                "--seed",
                "3",
                "--out",
                out,
            ],
        );
    }
    let (shape, dtype, values) = read_npy(&dir.path().join("s1.npy"));
    assert_eq!(shape, vec![70, 64]);
    assert_eq!(dtype, "|i1");
    assert!(values.iter().all(|&v| v == 0.0 || v == 1.0));
    assert!(values.contains(&1.0) && values.contains(&0.0));
    assert_eq!(read_npy(&dir.path().join("s2.npy")), (shape, dtype, values));

    // transform: float64 hidden means of shape (rows, n_hidden), equal to
    // the library's.
    vrg_ok(
        dir.path(),
        &words("rbm transform --model m.safetensors --data d.npy --out h.npy"),
    );
    let (shape, dtype, values) = read_npy(&dir.path().join("h.npy"));
    assert_eq!(shape, vec![200, 16]);
    assert_eq!(dtype, "<f8");
    let rbm = load_rbm(dir.path().join("m.safetensors")).unwrap().rbm;
    let data =
        vrg::data::load(dir.path().join("d.npy"), &vrg::data::LoadOptions::default()).unwrap();
    let mut expected = vec![0.0f32; 200 * 16];
    rbm.mean_hiddens(&data.dense_values(), 200, &mut expected)
        .unwrap();
    let expected: Vec<f64> = expected.into_iter().map(f64::from).collect();
    assert_eq!(values, expected);
    // --limit applies too.
    vrg_ok(
        dir.path(),
        &words("rbm transform --model m.safetensors --data d.npy --limit 5 --out h5.npy"),
    );
    assert_eq!(read_npy(&dir.path().join("h5.npy")).0, vec![5, 16]);

    // free-energy --json: n_rows, the per-row array and its mean.
    let o = vrg_ok(
        dir.path(),
        &words("rbm free-energy --model m.safetensors --data d.npy --json"),
    );
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["n_rows"], 200);
    let energies: Vec<f64> = json["free_energy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(energies.len(), 200);
    let mean = json["mean_free_energy"].as_f64().unwrap();
    let recomputed = energies.iter().sum::<f64>() / 200.0;
    assert!(
        (mean - recomputed).abs() <= 1e-12 * mean.abs(),
        "{mean} vs {recomputed}"
    );
    let library = rbm.free_energy_visible(&data.dense_values(), 200).unwrap();
    for (a, b) in energies.iter().zip(&library) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    assert_mean_free_energy_printed(dir.path(), "d.npy", 200);
}

#[test]
fn spin_and_gaussian_units() {
    let dir = dir_with_binary_data();
    // Spin units on 0/1 data: mapped to ±1, and said so.
    let o = train_small(
        dir.path(),
        "spin.safetensors",
        &["--visible-units", "spin", "--hidden-units", "spin"],
    );
    assert!(stderr(&o).contains("mapped to ±1"), "{}", stderr(&o));
    let file = load_rbm(dir.path().join("spin.safetensors")).unwrap();
    assert_eq!(file.rbm.visible_units(), VisibleUnits::Spin);
    assert_eq!(file.rbm.hidden_units(), HiddenUnits::Spin);
    vrg_ok(
        dir.path(),
        &words("rbm sample --model spin.safetensors --samples 10 --gibbs-steps 3 --out s.npy"),
    );
    let (shape, dtype, values) = read_npy(&dir.path().join("s.npy"));
    assert_eq!((shape, dtype.as_str()), (vec![10, 64], "|i1"));
    assert!(values.iter().all(|&v| v == 1.0 || v == -1.0));
    // Hidden means of spin units lie in (−1, 1), some negative.
    vrg_ok(
        dir.path(),
        &words("rbm transform --model spin.safetensors --data d.npy --out h.npy"),
    );
    let (_, _, h) = read_npy(&dir.path().join("h.npy"));
    assert!(h.iter().all(|&x| (-1.0..=1.0).contains(&x)));
    assert!(h.iter().any(|&x| x < 0.0));

    // Gaussian units on real values; samples are float64.
    let mut rng = Lcg(1);
    let real: Vec<f32> = (0..200 * 10)
        .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
        .collect();
    write_npy(&dir.path().join("r.npy"), &[200, 10], &real);
    vrg_ok(
        dir.path(),
        &words("rbm train --data r.npy --visible-units gaussian --hidden 3 --epochs 2 --batch 20 --lr 0.001 --log g.jsonl --out g.safetensors"),
    );
    // No pseudo-likelihood for real-valued data.
    assert!(json_lines(&dir.path().join("g.jsonl"))[0]["pseudo_log_likelihood"].is_null());
    vrg_ok(
        dir.path(),
        &words("rbm sample --model g.safetensors --samples 4 --gibbs-steps 2 --out gs.npy"),
    );
    let (shape, dtype, values) = read_npy(&dir.path().join("gs.npy"));
    assert_eq!((shape, dtype.as_str()), (vec![4, 10], "<f8"));
    assert!(values.iter().any(|&v| v != v.round()));

    // Gaussian hidden units (issue #14): trained, saved as "gaussian",
    // real-valued hidden means; refused with Gaussian visible units.
    let records = train_small_logged(
        dir.path(),
        "gh.safetensors",
        &[
            "--visible-units",
            "spin",
            "--hidden-units",
            "gaussian",
            "--lr",
            "0.001",
        ],
        "gh.jsonl",
    );
    assert!(records
        .iter()
        .all(|r| r["pseudo_log_likelihood"].is_number()));
    let file = load_rbm(dir.path().join("gh.safetensors")).unwrap();
    assert_eq!(file.rbm.hidden_units(), HiddenUnits::Gaussian);
    vrg_ok(
        dir.path(),
        &words("rbm transform --model gh.safetensors --data d.npy --out gh.npy"),
    );
    let (_, _, h) = read_npy(&dir.path().join("gh.npy"));
    assert!(h.iter().all(|x| x.is_finite()) && h.iter().any(|&x| x.abs() > 0.0));
    let o = vrg(
        dir.path(),
        &words("rbm train --data r.npy --visible-units gaussian --hidden-units gaussian --hidden 3 --epochs 1 --batch 20 --out gg.safetensors"),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("at most one Gaussian layer"),
        "{}",
        stderr(&o)
    );
}

/// Bad input: exit code 2, one line naming the flag or file and the value,
/// no output file left behind, existing files kept as they were.
#[test]
fn bad_inputs_are_clear_errors_with_exit_code_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_binary_data(d, "d.npy");
    // m.safetensors: 64 visible, 16 hidden, 3 epochs. Other inputs follow.
    train_small(d, "m.safetensors", &[]);
    let mut half = vec![1.0f32; 10 * 8];
    half[2 * 8 + 7] = 0.5;
    write_npy(&d.join("half.npy"), &[10, 8], &half);
    let mut grey = vec![0.25f32; 10 * 8];
    grey[3 * 8 + 5] = 2.0;
    write_npy(&d.join("grey.npy"), &[10, 8], &grey);
    write_npy(&d.join("narrow.npy"), &[10, 32], &[0u8; 320]);
    std::fs::write(d.join("junk.bin"), b"hello, world").unwrap();
    std::fs::write(d.join("keep.safetensors"), b"precious").unwrap();
    std::fs::write(d.join("keep.npy"), b"precious").unwrap();
    std::fs::write(d.join("keep.png"), b"precious").unwrap();
    let plain = Rbm::new(64, 4, VisibleUnits::Bernoulli, HiddenUnits::Bernoulli).unwrap();
    vrg::rbm::file::save_rbm(d.join("plain.safetensors"), &plain, None, None).unwrap();
    let odd = Rbm::new(50, 4, VisibleUnits::Bernoulli, HiddenUnits::Bernoulli).unwrap();
    vrg::rbm::file::save_rbm(d.join("odd.safetensors"), &odd, None, None).unwrap();

    let before = snapshot(d);

    /// `rbm train` with small defaults, each (flag, value) replacing the
    /// default of that flag or added; an empty value is a bare switch.
    fn train(overrides: &[(&'static str, &'static str)]) -> Vec<&'static str> {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("--data", "d.npy"),
            ("--hidden", "16"),
            ("--epochs", "1"),
            ("--batch", "20"),
            ("--out", "keep.safetensors"),
        ];
        for &(flag, value) in overrides {
            match pairs.iter_mut().find(|p| p.0 == flag) {
                Some(p) => p.1 = value,
                None => pairs.push((flag, value)),
            }
        }
        let mut args = vec!["rbm", "train"];
        for (flag, value) in pairs {
            args.push(flag);
            if !value.is_empty() {
                args.push(value);
            }
        }
        args
    }
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (train(&[("--hidden", "0")]), vec!["--hidden 0"]),
        (train(&[("--lr", "-1")]), vec!["--lr -1"]),
        (train(&[("--batch", "500")]), vec!["--batch 500", "180"]),
        (
            train(&[("--method", "foo")]),
            vec!["--method foo", "cd, pcd, tap2 or tap3"],
        ),
        (
            train(&[("--visible-units", "gauss")]),
            vec!["--visible-units gauss", "gaussian"],
        ),
        (
            train(&[("--hidden-units", "gauss")]),
            vec!["--hidden-units gauss"],
        ),
        (
            train(&[("--binarize", "foo:1")]),
            vec!["--binarize foo:1", "threshold:X or stochastic:SEED"],
        ),
        (
            train(&[
                ("--data", "grey.npy"),
                ("--binarize", "stochastic:1"),
                ("--batch", "2"),
            ]),
            vec!["grey.npy", "row 3, column 5", "value 2"],
        ),
        (
            train(&[
                ("--data", "half.npy"),
                ("--visible-units", "spin"),
                ("--batch", "2"),
            ]),
            vec!["half.npy", "row 2, column 7", "value 0.5"],
        ),
        (
            train(&[("--data", "grey.npy"), ("--batch", "2")]),
            vec!["grey.npy", "row 3, column 5", "Bernoulli"],
        ),
        (train(&[("--data", "absent.npy")]), vec!["absent.npy"]),
        (
            train(&[("--data", "junk.bin")]),
            vec!["junk.bin", "unrecognised file format"],
        ),
        (train(&[("--limit", "0")]), vec!["--limit 0"]),
        (train(&[("--scale", "0")]), vec!["--scale 0"]),
        (train(&[("--momentum", "1.5")]), vec!["--momentum 1.5"]),
        (train(&[("--dropout", "1")]), vec!["--dropout 1"]),
        (train(&[("--sparsity", "2")]), vec!["--sparsity 2"]),
        (
            train(&[("--validation-fraction", "1.5")]),
            vec!["--validation-fraction 1.5"],
        ),
        (
            train(&[("--validation", "d.npy"), ("--validation-fraction", "0.2")]),
            vec!["--validation d.npy", "--validation-fraction 0.2"],
        ),
        (
            train(&[("--validation", "narrow.npy")]),
            vec!["narrow.npy", "32 features"],
        ),
        (train(&[("--monitor-rows", "0")]), vec!["--monitor-rows 0"]),
        (
            train(&[("--log", "./d.npy")]),
            vec!["--log ./d.npy", "same file as --data"],
        ),
        (
            train(&[("--out", "plain.safetensors"), ("--resume", "")]),
            vec!["plain.safetensors", "is not a training checkpoint"],
        ),
        (
            train(&[("--resume", "")]),
            vec!["keep.safetensors", "not a valid .safetensors"],
        ),
        (
            train(&[("--out", "absent.safetensors"), ("--resume", "")]),
            vec!["absent.safetensors"],
        ),
        (
            train(&[
                ("--out", "m.safetensors"),
                ("--resume", ""),
                ("--epochs", "5"),
                ("--lr", "0.5"),
            ]),
            vec!["--lr 0.5", "only --epochs may change"],
        ),
        (
            train(&[
                ("--out", "m.safetensors"),
                ("--resume", ""),
                ("--epochs", "2"),
            ]),
            vec!["--epochs 2", "already trained 3 epochs"],
        ),
        (
            train(&[("--out", "missing/m.safetensors")]),
            vec!["missing/m.safetensors"],
        ),
        (train(&[("--out", "m.txt")]), vec!["--out m.txt"]),
        (
            train(&[("--log", "missing/log.jsonl")]),
            vec!["--log", "missing/log.jsonl"],
        ),
        (
            words("rbm sample --model m.safetensors --samples 0 --gibbs-steps 2 --out keep.npy"),
            vec!["--samples 0"],
        ),
        (
            words("rbm sample --model absent.safetensors --samples 3 --gibbs-steps 2 --out keep.npy"),
            vec!["absent.safetensors"],
        ),
        (
            words("rbm sample --model junk.bin --samples 3 --gibbs-steps 2 --out keep.npy"),
            vec!["junk.bin", "not a valid .safetensors"],
        ),
        (
            words("rbm sample --model m.safetensors --samples 3 --gibbs-steps 2 --out missing/s.npy"),
            vec!["missing/s.npy"],
        ),
        (
            words("rbm transform --model m.safetensors --data narrow.npy --out keep.npy"),
            vec!["narrow.npy", "32 features", "64 visible units"],
        ),
        (
            words("rbm transform --model m.safetensors --data d.npy --binarize stochastic --out keep.npy"),
            vec!["--binarize stochastic"],
        ),
        (
            words("rbm free-energy --model m.safetensors --data narrow.npy"),
            vec!["narrow.npy", "32 features"],
        ),
        (
            words("rbm filters --model odd.safetensors --out keep.png"),
            vec!["50 visible units", "--shape"],
        ),
        (
            words("rbm filters --model odd.safetensors --shape 7x7 --out keep.png"),
            vec!["--shape 7x7"],
        ),
        (
            words("rbm filters --model m.safetensors --columns 0 --out keep.png"),
            vec!["--columns 0"],
        ),
        (
            words("rbm filters --model m.safetensors --out missing/f.png"),
            vec!["missing/f.png"],
        ),
    ];
    for (args, needles) in cases {
        vrg_one_line_err(d, &args, &needles);
        let after = snapshot(d);
        assert!(
            after == before,
            "{args:?} changed the directory: {:?}",
            files(d)
        );
    }
}

/// An absurd learning rate makes the parameters overflow: exit 2 with "not
/// finite", and the last good checkpoint (if any epoch succeeded) kept.
#[test]
fn divergence_stops_with_the_last_good_checkpoint() {
    let dir = dir_with_binary_data();
    let base = [
        "rbm", "train", "--data", "d.npy", "--hidden", "16", "--batch", "20", "--epochs", "4",
    ];
    // Diverges in the first epoch: nothing is written.
    let mut args = base.to_vec();
    args.extend_from_slice(&["--lr", "1e30", "--log", "a.jsonl", "--out", "a.safetensors"]);
    let o = vrg(dir.path(), &args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not finite"), "{err}");
    let path = dir.path().join("a.safetensors");
    if path.exists() {
        load_rbm(&path).expect("the kept checkpoint loads");
    } else {
        assert!(err.contains("nothing was written"), "{err}");
        assert!(!dir.path().join("a.jsonl").exists());
    }

    // A rate that is fine for epoch 1 and absurd from epoch 2 (linear
    // schedule 0.01 → 1e30): the checkpoint of epoch 1 is kept and loads.
    let mut args = base.to_vec();
    args.extend_from_slice(&words(
        "--lr 0.01 --lr-final 1e30 --log b.jsonl --out b.safetensors",
    ));
    let o = vrg(dir.path(), &args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not finite"), "{err}");
    assert!(err.contains("training diverged at epoch 2"), "{err}");
    assert!(err.contains("keeps the checkpoint after epoch 1"), "{err}");
    let file = load_rbm(dir.path().join("b.safetensors")).expect("the kept checkpoint loads");
    assert_eq!(file.epoch, 1);
    assert!(file.rbm.weights().iter().all(|w| w.is_finite()));
    assert_eq!(json_lines(&dir.path().join("b.jsonl")).len(), 1);
    // The last line of stderr is the error.
    assert!(err
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("vrg: error:"));
}

#[test]
fn help_lists_the_commands_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let text = vrg_stdout(dir.path(), &["rbm", "--help"]);
    for command in ["train", "sample", "transform", "free-energy", "filters"] {
        assert!(text.contains(command), "{command}: {text}");
    }
    let text = vrg_stdout(dir.path(), &["rbm", "train", "--help"]);
    for needle in [
        "[default: 0.01]",
        "[default: pcd]",
        "[default: 1000]",
        "--resume",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

/// `vrg rbm eval`: exact ln Z (16 hidden units are enumerated), AIS within
/// its error bars of it, the average log-likelihood −⟨H(v)⟩ − ln Z, and the
/// bad inputs.
#[test]
fn eval_exact_and_ais() {
    let dir = dir_with_binary_data();
    train_small(dir.path(), "m.safetensors", &[]);
    let eval = |extra: &[&str]| -> Value {
        let mut args = words("rbm eval --model m.safetensors --data d.npy --json");
        args.extend_from_slice(extra);
        serde_json::from_slice(&vrg_ok(dir.path(), &args).stdout).unwrap()
    };
    let exact = eval(&[]);
    for key in [
        "log_z",
        "log_z_stderr",
        "method",
        "avg_log_likelihood",
        "avg_free_energy",
        "n_samples",
        "ess",
    ] {
        assert!(exact.get(key).is_some(), "missing {key}: {exact}");
    }
    assert_eq!(exact["method"], "exact");
    assert_eq!(exact["enumerated_layer"], "hidden");
    assert_eq!(exact["n_samples"], 200);
    let (log_z, free) = (
        exact["log_z"].as_f64().unwrap(),
        exact["avg_free_energy"].as_f64().unwrap(),
    );
    assert!((exact["avg_log_likelihood"].as_f64().unwrap() - (-free - log_z)).abs() < 1e-9);
    // The library's exact value, from the model file.
    let rbm = load_rbm(dir.path().join("m.safetensors")).unwrap().rbm;
    let library = vrg::estimate::log_partition_exact(&rbm).unwrap().log_z;
    assert_eq!(log_z, library);

    let ais = eval(&[
        "--logz", "ais", "--chains", "200", "--betas", "2000", "--seed", "4",
    ]);
    assert_eq!(ais["method"], "ais");
    assert_within_error_bars(&ais, "log_z", log_z, "AIS");
    assert!(ais["ess"].as_f64().unwrap() > 1.0);
    // The reverse-AIS upper side, within its error bars too.
    assert_within_error_bars(&ais, "log_z_upper", log_z, "reverse AIS");
    // The same seed gives the same run.
    assert_eq!(
        ais["log_z"],
        eval(&["--logz", "ais", "--chains", "200", "--betas", "2000", "--seed", "4"])["log_z"]
    );

    // Bad inputs: clear errors, non-zero exit.
    for (args, expected) in [
        (vec!["--logz", "magic"], "magic"),
        (vec!["--logz", "ais", "--chains", "1"], "chains"),
        (vec!["--logz", "ais", "--betas", "2"], "betas"),
    ] {
        let mut all = vec!["rbm", "eval", "--model", "m.safetensors", "--data", "d.npy"];
        all.extend_from_slice(&args);
        let o = vrg(dir.path(), &all);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
    // Too many units to enumerate: 64 visible and 40 hidden.
    vrg_ok(
        dir.path(),
        &words("rbm train --data d.npy --hidden 40 --epochs 1 --out wide.safetensors"),
    );
    let o = vrg(
        dir.path(),
        &words("rbm eval --model wide.safetensors --data d.npy --logz exact"),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at most 34"), "{}", stderr(&o));
}

/// `--eval-every N` adds ln Z and the log-likelihoods to every N-th epoch's
/// log line and to the last.
#[test]
fn training_logs_the_likelihood_every_n_epochs() {
    let dir = dir_with_binary_data();
    let lines = train_small_logged(
        dir.path(),
        "m.safetensors",
        &["--eval-every", "2"],
        "log.jsonl",
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[0].get("log_z").is_none());
    let rbm = load_rbm(dir.path().join("m.safetensors")).unwrap().rbm;
    for line in &lines[1..] {
        for key in LOG_KEYS {
            assert!(line.get(key).is_some(), "missing {key}: {line}");
        }
        assert_eq!(line["log_z_method"], "exact");
        let z = line["log_z"].as_f64().unwrap();
        let f = line["free_energy_validation"].as_f64().unwrap();
        let ll = line["log_likelihood_validation"].as_f64().unwrap();
        assert!((ll - (-f - z)).abs() < 1e-9, "{line}");
        assert!(ll < 0.0 && line["log_likelihood_train"].as_f64().unwrap() < 0.0);
    }
    // The last line's ln Z is the final model's.
    let z = lines[2]["log_z"].as_f64().unwrap();
    assert_eq!(z, vrg::estimate::log_partition_exact(&rbm).unwrap().log_z);
    let o = vrg(
        dir.path(),
        &words("rbm train --data d.npy --hidden 4 --eval-every 0 --out x.safetensors"),
    );
    assert!(
        !o.status.success() && stderr(&o).contains("--eval-every 0"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("x.safetensors").exists());
}
