//! Self-contained HTML reports: one page per run that a person opens in a
//! browser and understands without the README.
//!
//! A [`Report`] is plain data: a title, a header saying what was run
//! (command, parameters, seeds, version, date, wall time, machine),
//! sections of tables and figures. [`Report::to_html`] renders it as one
//! HTML5 file that is also well-formed XML: every PNG is embedded as a
//! `data:` URI, the style sheet is inline, and there is no script and no
//! link to anything outside the file, so it opens offline and can be mailed
//! or archived as it is.
//!
//! Where the reports come from:
//! - [`run_dir::report_for_run_dir`]: a run directory of `vrg demo` or
//!   `vrg dbn analyze` (its `summary.json` and the figures it lists); every
//!   number in its tables is a [`Cell`] that carries the JSON pointer of its
//!   value in `summary.json`, so tests check the tables against the summary;
//! - [`rbm::rbm_training_report`]: `vrg rbm train --report`, from the run's
//!   own results.

pub mod rbm;
pub mod run_dir;

use anyhow::{Context, Result};
use base64::Engine as _;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// A report: rendered by [`Report::to_html`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The page's title (also its `<h1>`).
    pub title: String,
    /// One paragraph under the title: what the run did, in words.
    pub lead: String,
    /// What was run: (what, value) rows of the header table.
    pub run: Vec<(String, String)>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// A titled part of a report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Anchor (letters, digits and `-`), for the table of contents.
    pub id: String,
    pub heading: String,
    /// An optional paragraph under the heading.
    pub intro: Option<String>,
    pub blocks: Vec<Block>,
}

/// A table or a figure.
#[derive(Debug, Clone)]
pub enum Block {
    Table(Table),
    Figure(Figure),
}

/// A table with a caption and a header row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One table cell: its text and, for a number taken from a JSON document,
/// where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    /// The JSON pointer of the value in its document (e.g. `summary.json`)
    /// and the value itself, written into the cell as `data-source` and
    /// `data-value` attributes so that a reader (or a test) can trace it.
    pub source: Option<(String, Value)>,
}

impl Cell {
    /// A cell of text.
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            source: None,
        }
    }

    /// The value at `pointer` in `document`: a number formatted by
    /// [`format_number`], a string as it is, a boolean as yes/no; "—" when
    /// the value is missing or null.
    pub fn at(document: &Value, pointer: &str) -> Self {
        let Some(value) = document.pointer(pointer).filter(|v| !v.is_null()) else {
            return Cell::text("—");
        };
        let text = match value {
            Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), format_number),
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
            other => other.to_string(),
        };
        Cell {
            text,
            source: Some((pointer.to_owned(), value.clone())),
        }
    }
}

/// A PNG figure with a one-line caption saying what to look for.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The file the figure came from (shown to the reader, used as alt text).
    pub name: String,
    pub caption: String,
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Largest figure file embedded in a report.
pub const MAX_FIGURE_BYTES: u64 = 64 << 20;

impl Figure {
    /// A figure from PNG bytes; `name` names them in errors.
    ///
    /// # Errors
    /// When the bytes are not a PNG whose header can be read.
    pub fn from_png(name: &str, caption: impl Into<String>, png: Vec<u8>) -> Result<Self> {
        let decoder = png::Decoder::new(std::io::Cursor::new(&png[..]));
        let reader = decoder
            .read_info()
            .map_err(|e| anyhow::anyhow!("{name}: not a readable PNG image: {e}"))?;
        let (width, height) = (reader.info().width, reader.info().height);
        drop(reader);
        Ok(Figure {
            name: name.to_owned(),
            caption: caption.into(),
            png,
            width,
            height,
        })
    }

    /// A figure read from the PNG file `path` (a regular file of at most
    /// [`MAX_FIGURE_BYTES`]); it is shown under `name`.
    pub fn read(path: &Path, name: &str, caption: impl Into<String>) -> Result<Self> {
        let bytes = vrg::io::limits::read_regular(path, Some((MAX_FIGURE_BYTES, "figure")))?;
        Figure::from_png(&path.display().to_string(), caption, bytes).map(|mut f| {
            f.name = name.to_owned();
            f
        })
    }
}

/// `v` with about five significant figures: whole numbers below 10¹⁵ and
/// numbers of at most five significant digits as they are, magnitudes from 10⁻³ to 10⁶ in fixed point, others in
/// scientific notation. Non-finite values as `NaN`, `∞`, `−∞`.
pub fn format_number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.into();
    }
    let a = v.abs();
    let shortest = v.to_string();
    let digits = shortest
        .trim_start_matches(['-', '0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    let text = if v.fract() == 0.0 && a < 1e15 {
        format!("{v:.0}")
    } else if digits <= 5 && shortest.len() <= 9 {
        // Short as it is (0.05, 5e-4 as 0.0005, 0.408): no padding zeros.
        shortest
    } else if (1e-3..1e6).contains(&a) {
        let decimals = (4 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.4e}")
    };
    // A true minus sign reads better than a hyphen.
    match text.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => text,
    }
}

/// The number a [`format_number`] text stands for (`−` read as `-`).
#[cfg(test)]
pub fn parse_number(text: &str) -> Option<f64> {
    text.replace('−', "-").parse().ok()
}

/// Escapes `text` for HTML (and XML) text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; color: #1d1d1f;
  max-width: 1320px; margin: 0 auto; padding: 1.5em 2em 4em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
p.lead { font-size: 1.05em; color: #333; max-width: 60em; }
nav { background: #f4f5f7; padding: 0.5em 1em; border-radius: 4px; }
nav a { margin-right: 1.2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f5f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.run td { font-family: 'DejaVu Sans Mono', Menlo, monospace; font-size: 0.95em; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption { color: #333; max-width: 60em; margin-top: 0.3em; }
figcaption code { color: #666; }
footer { margin-top: 3em; color: #666; font-size: 0.9em; }
";

impl Report {
    /// The report as one self-contained HTML5 page (well-formed XML too).
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let title = escape(&self.title);
        // Writing to a String cannot fail.
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n"
        );
        if !self.lead.is_empty() {
            let _ = writeln!(h, "<p class=\"lead\">{}</p>", escape(&self.lead));
        }
        if !self.run.is_empty() {
            h.push_str("<table class=\"run\">\n<caption>What was run</caption>\n");
            for (what, value) in &self.run {
                let _ = writeln!(
                    h,
                    "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                    escape(what),
                    escape(value)
                );
            }
            h.push_str("</table>\n");
        }
        h.push_str("</header>\n");
        if self.sections.len() > 1 {
            h.push_str("<nav>");
            for s in &self.sections {
                let _ = write!(
                    h,
                    "<a href=\"#{}\">{}</a>",
                    escape(&s.id),
                    escape(&s.heading)
                );
            }
            h.push_str("</nav>\n");
        }
        for s in &self.sections {
            let _ = writeln!(
                h,
                "<section id=\"{}\">\n<h2>{}</h2>",
                escape(&s.id),
                escape(&s.heading)
            );
            if let Some(intro) = &s.intro {
                let _ = writeln!(h, "<p>{}</p>", escape(intro));
            }
            for block in &s.blocks {
                match block {
                    Block::Table(t) => table_html(&mut h, t),
                    Block::Figure(f) => figure_html(&mut h, f),
                }
            }
            h.push_str("</section>\n");
        }
        let _ = write!(
            h,
            "<footer>Written by vrg {} (unsupervised deep learning as Kadanoff's variational \
             renormalization group). This page is self-contained: its images are embedded, it \
             loads nothing from the network and runs no script.</footer>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
        h
    }

    /// Every figure of the report, in order.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Figure(f) => Some(f),
                Block::Table(_) => None,
            })
        })
    }

    /// Writes [`Report::to_html`] to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        vrg::io::atomic::write_bytes(path, self.to_html().as_bytes())
            .with_context(|| format!("cannot write the report {}", path.display()))
    }
}

fn table_html(h: &mut String, t: &Table) {
    h.push_str("<table>\n");
    if !t.caption.is_empty() {
        let _ = writeln!(h, "<caption>{}</caption>", escape(&t.caption));
    }
    if !t.head.is_empty() {
        h.push_str("<thead><tr>");
        for c in &t.head {
            let _ = write!(h, "<th scope=\"col\">{}</th>", escape(c));
        }
        h.push_str("</tr></thead>\n");
    }
    h.push_str("<tbody>\n");
    for row in &t.rows {
        h.push_str("<tr>");
        for c in row {
            match &c.source {
                Some((pointer, value)) => {
                    let class = if value.is_number() {
                        " class=\"n\""
                    } else {
                        ""
                    };
                    let _ = write!(
                        h,
                        "<td{class} data-source=\"{}\" data-value=\"{}\">{}</td>",
                        escape(pointer),
                        escape(&value.to_string()),
                        escape(&c.text)
                    );
                }
                None => {
                    let _ = write!(h, "<td>{}</td>", escape(&c.text));
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Wider than this many pixels, a figure is shown scaled down and its
/// caption says so (its tile labels need zooming in).
pub const SCALED_DOWN_WIDTH: u32 = 2000;

fn figure_html(h: &mut String, f: &Figure) {
    let data = base64::engine::general_purpose::STANDARD.encode(&f.png);
    let scaled = if f.width > SCALED_DOWN_WIDTH {
        format!(
            " Shown scaled down from {}×{} pixels: zoom in, or open {}, to read its labels.",
            f.width, f.height, f.name
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<figure>\n<img src=\"data:image/png;base64,{data}\" width=\"{}\" height=\"{}\" alt=\"{}\" />\n\
         <figcaption>{}{} <code>({})</code></figcaption>\n</figure>",
        f.width,
        f.height,
        escape(&f.name),
        escape(&f.caption),
        escape(&scaled),
        escape(&f.name)
    );
}

/// What was run, for a report's header and `summary.json`'s `run` object:
/// the command line, the version, when it started (UTC), the wall time and
/// the machine.
pub fn run_record(started: std::time::SystemTime, seconds: f64) -> Value {
    let command = crate::output::command_line();
    let mut words = command.iter();
    let program = words.next().map_or("vrg".to_owned(), |p| {
        Path::new(p)
            .file_name()
            .map_or(p.clone(), |n| n.to_string_lossy().into_owned())
    });
    let command_line = std::iter::once(program)
        .chain(words.map(|w| shell_word(w)))
        .collect::<Vec<_>>()
        .join(" ");
    serde_json::json!({
        "command": command_line,
        "version": env!("CARGO_PKG_VERSION"),
        "started_utc": humantime::format_rfc3339_seconds(started).to_string(),
        "seconds": seconds,
        "machine": machine(),
    })
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The machine a run ran on: host name, operating system, architecture,
/// logical cores and (on Linux) the processor model.
fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let hostname = read("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let cpu = read("/proc/cpuinfo").and_then(|info| {
        info.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, m)| m.trim().to_owned())
    });
    serde_json::json!({
        "hostname": hostname,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "threads": rayon::current_num_threads(),
        "cpu": cpu,
    })
}

/// The `run` object of a summary as header rows.
pub fn run_rows(run: &Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    if let Some(c) = text(&run["command"]) {
        rows.push(("command".into(), c));
    }
    if let Some(v) = text(&run["version"]) {
        rows.push(("vrg version".into(), v));
    }
    if let Some(d) = text(&run["started_utc"]) {
        rows.push(("started (UTC)".into(), d));
    }
    if let Some(s) = run["seconds"].as_f64() {
        rows.push(("wall time".into(), format_seconds(s)));
    }
    let m = &run["machine"];
    if m.is_object() {
        let mut parts = vec![];
        if let Some(h) = text(&m["hostname"]) {
            parts.push(h);
        }
        parts.push(format!(
            "{} {}",
            text(&m["os"]).unwrap_or_default(),
            text(&m["arch"]).unwrap_or_default()
        ));
        if let Some(c) = m["cores"].as_u64() {
            let threads = m["threads"]
                .as_u64()
                .map_or(String::new(), |t| format!(", {t} worker threads"));
            parts.push(format!("{c} cores{threads}"));
        }
        if let Some(cpu) = text(&m["cpu"]) {
            parts.push(cpu);
        }
        rows.push(("machine".into(), parts.join(", ")));
    }
    rows
}

/// A duration in seconds as `12.3 s`, `4 min 05 s` or `1 h 02 min`.
pub fn format_seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "—".into();
    }
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        let whole = s.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        let minutes = (s / 60.0).round() as u64;
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_five_significant_figures() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-1.1693920000000004), "−1.1694");
        assert_eq!(format_number(797.0265606370374), "797.03");
        assert_eq!(format_number(0.05), "0.05");
        assert_eq!(format_number(5e-4), "0.0005");
        assert_eq!(format_number(-0.408), "−0.408");
        assert_eq!(format_number(0.0006816914935232751), "6.8169e-4");
        assert_eq!(format_number(2.5e7 + 0.5), "2.5000e7");
        assert_eq!(format_number(f64::NAN), "NaN");
        for v in [
            -1.1693920000000004,
            0.0006816914935232751,
            797.0265606370374,
            1e-12,
        ] {
            let back = parse_number(&format_number(v)).unwrap();
            assert!((back - v).abs() <= 5e-5 * v.abs(), "{v} → {back}");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(shell_word("--out"), "--out");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(format_seconds(12.34), "12.3 s");
        assert_eq!(format_seconds(245.0), "4 min 05 s");
        assert_eq!(format_seconds(3720.0), "1 h 02 min");
    }

    fn tiny_png() -> Vec<u8> {
        let plot = vrg_plot::LinePlot {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            width: 200,
            height: 150,
            series: vec![vrg_plot::Series {
                name: "s".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
                y_errors: None,
                style: vrg_plot::SeriesStyle::Line,
            }],
        };
        vrg_plot::line_plot(&plot).unwrap()
    }

    #[test]
    fn html_is_well_formed_and_embeds_its_figures() {
        let summary = serde_json::json!({"a": {"b": [1.5, "x", null, true]}});
        let report = Report {
            title: "A <report>".into(),
            lead: "what & why".into(),
            run: vec![("command".into(), "vrg demo --out 'x y'".into())],
            sections: vec![
                Section {
                    id: "numbers".into(),
                    heading: "Numbers".into(),
                    intro: Some("intro".into()),
                    blocks: vec![Block::Table(Table {
                        caption: "c".into(),
                        head: vec!["what".into(), "value".into()],
                        rows: vec![
                            vec![Cell::text("b0"), Cell::at(&summary, "/a/b/0")],
                            vec![Cell::text("b1"), Cell::at(&summary, "/a/b/1")],
                            vec![Cell::text("b2"), Cell::at(&summary, "/a/b/2")],
                            vec![Cell::text("b3"), Cell::at(&summary, "/a/b/3")],
                        ],
                    })],
                },
                Section {
                    id: "figures".into(),
                    heading: "Figures".into(),
                    intro: None,
                    blocks: vec![Block::Figure(
                        Figure::from_png("f.png", "look", tiny_png()).unwrap(),
                    )],
                },
            ],
        };
        let html = report.to_html();
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        let img = doc.descendants().find(|n| n.has_tag_name("img")).unwrap();
        assert_eq!(img.attribute("width"), Some("200"));
        let src = img.attribute("src").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(src.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        assert_eq!(bytes, tiny_png());
        let cells: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("td")).collect();
        assert_eq!(cells[2].attribute("data-value"), Some("1.5"));
        assert_eq!(cells[2].text(), Some("1.5"));
        assert_eq!(cells[4].text(), Some("x"));
        assert_eq!(cells[6].text(), Some("—"));
        assert_eq!(cells[6].attribute("data-source"), None);
        assert_eq!(cells[8].text(), Some("yes"));
        assert!(html.contains("A &lt;report&gt;"));
        assert!(!html.contains("<script"));
        assert!(Figure::from_png("bad.png", "", b"not a png".to_vec())
            .unwrap_err()
            .to_string()
            .contains("bad.png: not a readable PNG"));
    }
}
