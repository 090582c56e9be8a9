//! The HTML report: `vrg demo` and `vrg dbn analyze` write it, `vrg report
//! DIR` rebuilds it; it is well-formed, self-contained, every image decodes
//! and every number in its tables is the one in summary.json.

mod common;
use common::{stderr, vrg_err, vrg_ok, words};

use base64::Engine as _;
use serde_json::Value;
use std::path::Path;

const TINY: &str =
    "[ising]\nsize = 8\ntemperature = 2.45\nsamples = 300\nsweeps = 2\nburn_in = 50\n\n\
[train]\nmethod = \"cd\"\nepochs = 2\nbatch = 50\nlr = 0.05\n\n[[layer]]\nhidden = 16\n\n\
[[layer]]\nhidden = 4\n\n[analysis]\nwindow = 2\ngenerate = 4\ngibbs_steps = 10\n";

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Checks `dir/report.html` against `dir/summary.json`; returns the number
/// of figures and of traced numbers.
fn check_report(dir: &Path) -> (usize, usize) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let summary = summary(dir);
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("well-formed HTML (XML syntax)");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no link out"
    );

    // Every image is embedded and decodes to the size its tag says.
    let mut figures = 0;
    for img in doc.descendants().filter(|n| n.has_tag_name("img")) {
        let src = img.attribute("src").unwrap();
        let data = src
            .strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("not embedded: {}", &src[..src.len().min(40)]));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(
            (
                img.attribute("width").unwrap(),
                img.attribute("height").unwrap()
            ),
            (&*info.width.to_string(), &*info.height.to_string())
        );
        // The file it came from, byte for byte.
        let name = img.attribute("alt").unwrap();
        let file = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(file),
            data,
            "{name}"
        );
        let caption = img
            .next_sibling_element()
            .filter(|c| c.has_tag_name("figcaption"))
            .unwrap();
        let text: String = caption.descendants().filter_map(|n| n.text()).collect();
        assert!(text.len() > 20, "{name} has a caption: {text}");
        figures += 1;
    }
    let listed = summary["figures"]
        .as_object()
        .unwrap()
        .values()
        .filter(|f| f.as_str().unwrap().ends_with(".png"))
        .count();
    assert_eq!(figures, listed, "every PNG figure of the summary is shown");

    // Every traced number is the summary's.
    let mut numbers = 0;
    for td in doc.descendants().filter(|n| n.has_attribute("data-source")) {
        let pointer = td.attribute("data-source").unwrap();
        let expected = summary
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer} not in summary.json"));
        let value: Value = serde_json::from_str(td.attribute("data-value").unwrap()).unwrap();
        assert_eq!(&value, expected, "{pointer}");
        if let Some(v) = value.as_f64() {
            let shown: f64 = td.text().unwrap().replace('−', "-").parse().unwrap();
            assert!(
                (shown - v).abs() <= 5e-5 * v.abs(),
                "{pointer}: shows {shown}, summary {v}"
            );
            numbers += 1;
        }
    }
    (figures, numbers)
}

#[test]
fn demo_writes_a_report_that_vrg_report_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    let o = vrg_ok(d, &words("demo --config tiny.toml --out out"));
    assert!(stderr(&o).contains("report.html"), "{}", stderr(&o));
    let out = d.join("out");
    let (figures, numbers) = check_report(&out);
    assert!(figures >= 5, "{figures} figures");
    let s = summary(&out);
    // The Ising table, the parameters and every layer's ln Z are traced.
    assert!(numbers > 40, "{numbers} numbers");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for layer in 0..2 {
        assert!(html.contains(&format!("data-source=\"/free_energies/{layer}/log_z\"")));
        // The TAP2 estimate sits beside ln Z, traced to the same summary.
        let tap2 = s["free_energies"][layer]["log_z_tap2"].as_f64();
        assert!(tap2.is_some_and(f64::is_finite), "layer {layer}: {tap2:?}");
        assert!(html.contains(&format!(
            "data-source=\"/free_energies/{layer}/log_z_tap2\""
        )));
    }
    // The header says what was run.
    let run = &s["run"];
    assert_eq!(run["command"], "vrg demo --config tiny.toml --out out");
    assert_eq!(run["seeds"]["ising"], 1);
    assert_eq!(run["seeds"]["training"], serde_json::json!([1, 2]));
    for needle in [
        "vrg demo --config tiny.toml --out out",
        "started (UTC)",
        "wall time",
        "machine",
        "seeds",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(html.contains(needle), "header lacks {needle}");
    }

    // `vrg report` builds the same page from the directory.
    vrg_ok(d, &words("report out --out again.html"));
    assert_eq!(std::fs::read_to_string(d.join("again.html")).unwrap(), html);
    let o = vrg_ok(d, &words("report out"));
    assert!(stderr(&o).contains("out/report.html"));
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        html
    );

    // Bad inputs: each refused with the file named, nothing overwritten.
    vrg_err(d, &words("report missing"), &["missing"]);
    vrg_err(
        d,
        &words("report tiny.toml"),
        &["tiny.toml", "not a directory"],
    );
    std::fs::create_dir(d.join("empty")).unwrap();
    vrg_err(d, &words("report empty"), &["empty", "no summary.json"]);
    vrg_err(
        d,
        &words("report out --out out/summary.json"),
        &["--out", "summary.json", "may not replace an input"],
    );
    vrg_err(
        d,
        &words("report out --out out/block_spins.png"),
        &["--out", "block_spins.png", "may not replace an input"],
    );
    assert!(vrg::io::image::read_grey_u8(out.join("block_spins.png")).is_ok());
    let copy = d.join("copy");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&out).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    std::fs::write(copy.join("generated.png"), b"not a png").unwrap();
    vrg_err(
        d,
        &words("report copy"),
        &["generated.png", "not a readable PNG"],
    );
    std::fs::remove_file(copy.join("generated.png")).unwrap();
    vrg_err(d, &words("report copy"), &["generated.png"]);
    let mut bad = s.clone();
    bad["figures"]["generated"] = "../tiny.toml.png".into();
    std::fs::write(copy.join("summary.json"), bad.to_string()).unwrap();
    vrg_err(
        d,
        &words("report copy"),
        &["../tiny.toml.png", "inside the directory"],
    );
    std::fs::write(copy.join("summary.json"), "{ not json").unwrap();
    vrg_err(
        d,
        &words("report copy"),
        &["summary.json", "not valid JSON"],
    );
    assert!(
        !copy.join("report.html").exists() || {
            // The copied report was left as it was.
            std::fs::read_to_string(copy.join("report.html")).unwrap() == html
        }
    );
}

#[test]
fn analyze_writes_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vrg_ok(
        d,
        &words("ising sample --size 8 --temperature 2.45 --samples 200 --sweeps 2 --burn-in 50 --out ising.npy"),
    );
    vrg_ok(
        d,
        &words("dbn train --data ising.npy --layers 64,16 --epochs 2 --lr 0.05 --method cd --logz none --out dbn.safetensors"),
    );
    let o = vrg_ok(
        d,
        &words("dbn analyze --model dbn.safetensors --data ising.npy --window 2 --generate 4 --gibbs-steps 5 --out a"),
    );
    assert!(stderr(&o).contains("a/report.html"), "{}", stderr(&o));
    let (figures, numbers) = check_report(&d.join("a"));
    assert!(
        figures >= 4 && numbers > 10,
        "{figures} figures, {numbers} numbers"
    );
    let s = summary(&d.join("a"));
    assert!(s["run"]["command"]
        .as_str()
        .unwrap()
        .starts_with("vrg dbn analyze --model dbn.safetensors"));
}

#[test]
fn rbm_train_writes_a_report_of_every_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vrg_ok(
        d,
        &words("ising sample --size 4 --temperature 2.45 --samples 200 --sweeps 1 --burn-in 20 --out i.npy"),
    );
    let o = vrg_ok(
        d,
        &words("rbm train --data i.npy --hidden 4 --epochs 3 --eval-every 3 --log t.jsonl --report r.html --out m.safetensors"),
    );
    assert!(stderr(&o).contains("report: r.html"), "{}", stderr(&o));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let images: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("img"))
        .collect();
    assert_eq!(images.len(), 1, "the training curves");
    let data = images[0].attribute("src").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    // One table row per epoch, with the log's values.
    let log: Vec<Value> = std::fs::read_to_string(d.join("t.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let table = doc
        .descendants()
        .rfind(|n| n.has_tag_name("table"))
        .unwrap();
    let rows: Vec<Vec<String>> = table
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .skip(1)
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td"))
                .map(|c| c.text().unwrap_or("").to_owned())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 3);
    for (row, line) in rows.iter().zip(&log) {
        assert_eq!(row[0], line["epoch"].to_string());
        let shown: f64 = row[1].replace('−', "-").parse().unwrap();
        let logged = line["free_energy_train"].as_f64().unwrap();
        assert!((shown - logged).abs() <= 5e-5 * logged.abs());
    }
    assert!(html.contains("vrg rbm train --data i.npy --hidden 4"));

    vrg_err(
        d,
        &words("rbm train --data i.npy --hidden 4 --epochs 1 --report r.txt --out n.safetensors"),
        &["--report r.txt", ".html"],
    );
    vrg_err(
        d,
        &words("rbm train --data i.npy --hidden 4 --epochs 1 --report m.html --log m.html --out n.safetensors"),
        &["--report", "--log", "m.html"],
    );
}
