//! Turning results and errors into what the user reads.

use anyhow::Context;
use std::path::Path;

/// One line describing an error: library parameter errors are phrased with
/// the command-line flag that carries the parameter.
pub fn describe(error: &anyhow::Error) -> String {
    if let Some(vrg::Error::InvalidParameter {
        name,
        value,
        expected,
    }) = error.downcast_ref::<vrg::Error>()
    {
        return format!(
            "invalid --{} {value}: expected {expected}",
            name.replace('_', "-")
        );
    }
    format!("{error:#}")
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
