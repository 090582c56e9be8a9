//! End-to-end tests of the figures `vrg` draws (`--plot` of `vrg ising sample`, `vrg rbm train` and `vrg dbn train`).

mod common;
use common::{files, vrg_ok, vrg_one_line_err, words};

/// The (width, height) of a PNG file, decoded in full.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    (frame.width, frame.height)
}

#[test]
fn ising_sample_plot_writes_a_png_of_four_panels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = vrg_ok(
        d,
        &words("ising sample --size 4 --temperature 1.5:3.5:0.5 --samples 20 --burn-in 50 --out s.npy --plot f.png"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrote f.png"), "{err}");
    assert_eq!(files(d), ["f.png", "s.json", "s.npy"]);
    // 2 × 2 panels of 640 × 460 pixels.
    assert_eq!(png_size(&d.join("f.png")), (1280, 920));
}

#[test]
fn ising_sample_plot_in_a_field_has_no_exact_curves_but_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vrg_ok(
        d,
        &words("ising sample --size 4 --temperature 2,3 --field 0.3 --samples 10 --burn-in 20 --out s.npy --plot f.png"),
    );
    assert_eq!(png_size(&d.join("f.png")), (1280, 920));
}

#[test]
fn ising_sample_plot_refusals_are_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = "ising sample --size 4 --samples 10 --burn-in 20 --out s.npy";
    for (extra, needles) in [
        (
            "--temperature 1.5:3.5:0.5 --plot f.txt",
            &["--plot", "f.txt", ".png"][..],
        ),
        (
            // --out's own path (.npy, so the .png check refuses it first;
            // the path plan would too).
            "--temperature 1.5:3.5:0.5 --plot s.npy",
            &["--plot", "s.npy", ".png"][..],
        ),
        (
            "--temperature 2.0 --plot f.png",
            &["--plot", "at least 2 temperatures"][..],
        ),
        (
            "--temperature 2.0,2.0 --plot f.png",
            &["--plot", "at least 2 temperatures"][..],
        ),
    ] {
        let args = format!("{base} {extra}");
        vrg_one_line_err(d, &words(&args), needles);
        assert!(files(d).is_empty(), "{args}: {:?}", files(d));
    }
}

/// Writes `d.npy`, 40 rows of 8 bits, into `dir`.
fn tiny_data(dir: &std::path::Path) {
    let bits: Vec<u8> = (0..40 * 8).map(|i| ((i * 7919) % 5 < 2) as u8).collect();
    common::write_npy(&dir.join("d.npy"), &[40, 8], &bits);
}

#[test]
fn rbm_train_plot_writes_the_training_curves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_data(d);
    let o = vrg_ok(
        d,
        &words("rbm train --data d.npy --hidden 3 --epochs 3 --batch 8 --eval-every 2 --log l.jsonl --out m.safetensors --plot c.png"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrote c.png"), "{err}");
    assert_eq!(files(d), ["c.png", "d.npy", "l.jsonl", "m.safetensors"]);
    // 2 × 2 panels of 640 × 460 pixels (the held-out rows give a gap panel).
    assert_eq!(png_size(&d.join("c.png")), (1280, 920));
    // Resumed with the log: the earlier epochs are read back, drawn again.
    std::fs::remove_file(d.join("c.png")).unwrap();
    vrg_ok(
        d,
        &words("rbm train --data d.npy --epochs 4 --eval-every 2 --resume --log l.jsonl --out m.safetensors --plot c.png"),
    );
    assert_eq!(png_size(&d.join("c.png")), (1280, 920));
}

#[test]
fn rbm_train_plot_refuses_a_path_not_ending_in_png() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_data(d);
    vrg_one_line_err(
        d,
        &words("rbm train --data d.npy --hidden 3 --epochs 3 --batch 8 --out m.safetensors --plot c.txt"),
        &["--plot", "c.txt", ".png"],
    );
    assert_eq!(files(d), ["d.npy"]);
    // Nor may it be another output.
    vrg_one_line_err(
        d,
        &words("rbm train --data d.npy --hidden 3 --epochs 3 --batch 8 --log c.png --out m.safetensors --plot c.png"),
        &["--plot", "c.png"],
    );
    assert_eq!(files(d), ["d.npy"]);
}

#[test]
fn dbn_train_plot_draws_one_row_of_panels_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_data(d);
    vrg_ok(
        d,
        &words("dbn train --data d.npy --layers 8,4 --epochs 2 --batch 8 --logz none --out one.safetensors --plot one.png"),
    );
    let o = vrg_ok(
        d,
        &words("dbn train --data d.npy --layers 8,4,3 --epochs 2 --batch 8 --logz none --log l.jsonl --out two.safetensors --plot two.png"),
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("two.safetensors"));
    let (one, two) = (png_size(&d.join("one.png")), png_size(&d.join("two.png")));
    assert_eq!(one.0, two.0, "the same panels per row");
    assert!(
        two.1 > one.1 * 3 / 2,
        "a second row of panels: {one:?} vs {two:?}"
    );
    vrg_one_line_err(
        d,
        &words("dbn train --data d.npy --layers 8,4 --epochs 1 --out x.safetensors --plot x.txt"),
        &["--plot", "x.txt", ".png"],
    );
    vrg_one_line_err(
        d,
        &words("dbn train --data d.npy --layers 8,4 --epochs 1 --log x.png --out x.safetensors --plot x.png"),
        &["--plot", "--log", "x.png"],
    );
    assert!(!d.join("x.safetensors").exists());
}
