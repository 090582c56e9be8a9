//! Turning results and errors into what the user reads.

use anyhow::Context;
use std::path::Path;
use vrg::rbm::VisibleUnits;

/// One line describing an error. A library parameter error is phrased with
/// the command-line flag that carries the parameter only when the user gave
/// that flag (`given` are the command-line words) and nothing else explains
/// where the value came from; a value read from a file or computed keeps
/// the library's wording and its context (which file, which table).
pub fn describe(error: &anyhow::Error, given: &[String]) -> String {
    if let Some(vrg::Error::InvalidParameter {
        name,
        value,
        expected,
    }) = error.downcast_ref::<vrg::Error>()
    {
        let flag = format!("--{}", name.replace('_', "-"));
        let flag_given = given
            .iter()
            .any(|word| word == &flag || word.starts_with(&format!("{flag}=")));
        if flag_given && error.chain().count() == 1 {
            return format!("invalid {flag} {value}: expected {expected}");
        }
    }
    one_line(&format!("{error:#}"))
}

/// The words of this process's command line.
pub fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Folds a message onto one line: line breaks (from a parser's report)
/// become "; ".
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Serialises `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<vrg::io::AtomicFile> {
    use std::io::Write;
    let mut file = vrg::io::AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut file, value)
        .with_context(|| format!("{}: cannot write JSON", path.display()))?;
    file.write_all(b"\n")
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(file)
}

/// Prints `value` as pretty JSON to stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A flag value clap refused (not one of an enum's values, or not
/// parsed), as one line naming the flag, the value and what was expected:
/// `invalid --algorithm gibbs: expected metropolis, wolff or auto`.
/// `None` for other command-line errors (clap's own message then).
pub fn invalid_value(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let flag = text(ContextKind::InvalidArg)?;
    let flag = flag.split_whitespace().next().unwrap_or(&flag).to_string();
    let value = text(ContextKind::InvalidValue)?;
    let expected = match error.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => match values.split_last() {
            Some((last, [])) => format!("expected {last}"),
            Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
            None => "no value is valid".into(),
        },
        _ => {
            let source = std::error::Error::source(error)
                .map(|e| e.to_string())
                .unwrap_or_else(|| "not a valid value".into());
            // A library error names the value again: keep what it expects.
            let source = one_line(&source);
            match source
                .strip_prefix("invalid ")
                .and_then(|s| s.split_once(": "))
            {
                Some((_, expected)) => expected.to_string(),
                None => source,
            }
        }
    };
    Some(format!("invalid {flag} {value}: {expected}"))
}

/// Writes samples of `units` as `.npy`: int8 for Bernoulli and spin units,
/// float64 for Gaussian ones; returns the dtype's name.
pub fn write_samples(
    path: &Path,
    shape: [usize; 2],
    samples: &[f32],
    units: VisibleUnits,
) -> anyhow::Result<&'static str> {
    Ok(match units {
        VisibleUnits::Gaussian => {
            let values: Vec<f64> = samples.iter().map(|&v| f64::from(v)).collect();
            vrg::io::npy::write_f64(path, &shape, &values)?;
            "float64"
        }
        VisibleUnits::Bernoulli | VisibleUnits::Spin => {
            let values: Vec<i8> = samples.iter().map(|&v| v as i8).collect();
            vrg::io::npy::write_i8(path, &shape, &values)?;
            "int8"
        }
    })
}
