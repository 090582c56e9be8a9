//! End-to-end tests of the figures `vrg` draws (`vrg ising sample --plot`).

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
