//! The training log beside a checkpoint: its state as the checkpoint
//! records it, and its reconciliation on `--resume` (see [`super`]).

use crate::resume::{fnv1a_bytes, FNV_OFFSET};
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log a run has written: how many lines, the FNV-1a hash of their
/// bytes (newlines included), and the last line (without its newline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    pub lines: usize,
    /// 16 hex digits.
    pub fnv1a: String,
    pub last: Option<String>,
}

impl Default for LogState {
    fn default() -> Self {
        LogState {
            lines: 0,
            fnv1a: format!("{FNV_OFFSET:016x}"),
            last: None,
        }
    }
}

impl LogState {
    fn hash(&self) -> u64 {
        u64::from_str_radix(&self.fnv1a, 16).unwrap_or(0)
    }

    /// The state after `line` is written.
    pub(super) fn push(&mut self, line: &str) {
        let hash = fnv1a_bytes(fnv1a_bytes(self.hash(), line.as_bytes()), b"\n");
        self.lines += 1;
        self.fnv1a = format!("{hash:016x}");
        self.last = Some(line.to_string());
    }

    /// The state of a log whose complete lines are `lines` (each with its
    /// newline).
    pub(super) fn of_lines(lines: &[&[u8]]) -> Self {
        let hash = lines
            .iter()
            .fold(FNV_OFFSET, |hash, line| fnv1a_bytes(hash, line));
        let last = lines
            .last()
            .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\n").unwrap_or(l)).into_owned());
        LogState {
            lines: lines.len(),
            fnv1a: format!("{hash:016x}"),
            last,
        }
    }
}

/// What resuming does to the log file before training appends to it.
#[derive(Debug, PartialEq)]
pub enum LogFix {
    /// The file is the checkpoint's log: append to it.
    Keep,
    /// The file lacks only the checkpoint's last line: append it.
    Append(String),
    /// Write these bytes in its place (atomically): lines after the
    /// checkpoint dropped, its last line restored, a torn line removed.
    Rewrite { bytes: Vec<u8>, dropped: usize },
    /// The file is missing or empty: it starts with the checkpoint's last
    /// line (the lines before it are not known).
    Start(String),
}

/// The complete lines of `bytes` (each with its newline) and whether a
/// torn last line (no newline) follows them.
fn split_lines(bytes: &[u8]) -> (Vec<&[u8]>, bool) {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (
        bytes[..complete].split_inclusive(|&b| b == b'\n').collect(),
        complete < bytes.len(),
    )
}

/// How to bring the log at `path` in line with the checkpoint
/// `checkpoint`'s `state`. Errors (naming both files) when the file holds
/// lines that are not the checkpoint's log: another run's, or a run resumed
/// without `--log` for a while.
pub fn plan_log_fix(path: &Path, state: &LogState, checkpoint: &Path) -> Result<LogFix> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("invalid --log {}", path.display())),
    };
    let (lines, torn) = split_lines(&bytes);
    let n = state.lines;
    let digest = |prefix: &[&[u8]], last: Option<&str>| {
        let mut all: Vec<&[u8]> = prefix.to_vec();
        let owned = last.map(|l| format!("{l}\n"));
        if let Some(l) = &owned {
            all.push(l.as_bytes());
        }
        LogState::of_lines(&all).fnv1a
    };
    let join = |prefix: &[&[u8]], last: Option<&str>| {
        let mut out: Vec<u8> = prefix.concat();
        if let Some(l) = last {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        out
    };
    if lines.len() >= n && digest(&lines[..n], None) == state.fnv1a {
        if lines.len() == n && !torn {
            return Ok(LogFix::Keep);
        }
        return Ok(LogFix::Rewrite {
            bytes: join(&lines[..n], None),
            dropped: lines.len() - n + usize::from(torn),
        });
    }
    let Some(last) = state.last.as_deref() else {
        return Err(foreign_log(path, n, checkpoint));
    };
    if n >= 1 && lines.len() >= n - 1 && digest(&lines[..n - 1], Some(last)) == state.fnv1a {
        if lines.len() == n - 1 && !torn {
            return Ok(LogFix::Append(last.to_string()));
        }
        return Ok(LogFix::Rewrite {
            bytes: join(&lines[..n - 1], Some(last)),
            dropped: lines.len() - (n - 1) + usize::from(torn),
        });
    }
    if bytes.is_empty() {
        return Ok(LogFix::Start(last.to_string()));
    }
    if n == 1 {
        // A fresh run killed between its first checkpoint and its first
        // line left the previous run's log: it is replaced, as the fresh
        // run would have.
        return Ok(LogFix::Rewrite {
            bytes: join(&[], Some(last)),
            dropped: lines.len() + usize::from(torn),
        });
    }
    Err(foreign_log(path, n, checkpoint))
}

fn foreign_log(path: &Path, n: usize, checkpoint: &Path) -> anyhow::Error {
    anyhow!(
        "--resume: --log {} does not hold the log of the checkpoint {} (its {n} lines; another run's log, or one left out while resuming); give that run's log, another --log path, or none",
        path.display(),
        checkpoint.display()
    )
}

/// Carries out `fix` on the log at `path` and returns the state of the
/// file afterwards (`state`, or for [`LogFix::Start`] a log of one line),
/// with a line on stderr saying what changed.
pub fn apply_log_fix(path: &Path, fix: LogFix, state: &LogState) -> Result<LogState> {
    let cannot = || format!("{}: cannot write the log", path.display());
    match fix {
        LogFix::Keep => Ok(state.clone()),
        LogFix::Append(last) => {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("invalid --log {}", path.display()))?;
            file.write_all(format!("{last}\n").as_bytes())
                .with_context(cannot)?;
            eprintln!(
                "{}: restored the line of the checkpoint's last step (lost when the run stopped)",
                path.display()
            );
            Ok(state.clone())
        }
        LogFix::Rewrite { bytes, dropped } => {
            vrg::io::atomic::write_bytes(path, &bytes).with_context(cannot)?;
            eprintln!(
                "{}: kept the {} lines of the checkpoint's log, dropped {dropped} written after it",
                path.display(),
                state.lines
            );
            Ok(state.clone())
        }
        LogFix::Start(last) => {
            vrg::io::atomic::write_bytes(path, format!("{last}\n").as_bytes())
                .with_context(cannot)?;
            eprintln!(
                "{}: the log was missing; it starts with the checkpoint's last step (the {} lines before it are not known)",
                path.display(),
                state.lines.saturating_sub(1)
            );
            let mut fresh = LogState::default();
            fresh.push(&last);
            Ok(fresh)
        }
    }
}

/// For a checkpoint without a log record (an older vrg): the state of the
/// log file as it is, which training then appends to (a torn last line is
/// removed first).
pub fn adopt_log(path: Option<&Path>) -> Result<LogState> {
    let Some(path) = path else {
        return Ok(LogState::default());
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("invalid --log {}", path.display())),
    };
    let (lines, torn) = split_lines(&bytes);
    if torn {
        vrg::io::atomic::write_bytes(path, &lines.concat())
            .with_context(|| format!("{}: cannot write the log", path.display()))?;
    }
    Ok(LogState::of_lines(&lines))
}

/// A JSON-lines training log that moves in step with the checkpoints:
/// [`JsonLog::push`] takes a step's line (the state now counts it), the
/// caller writes the checkpoint with [`JsonLog::state`], then
/// [`JsonLog::write_pending`] appends the line. A fresh run's log replaces
/// the file when its first line is written; a resumed run's is appended
/// to. Without a path, only the state is kept.
pub struct JsonLog {
    path: Option<PathBuf>,
    file: Option<std::fs::File>,
    append: bool,
    state: LogState,
    pending: Option<String>,
}

impl JsonLog {
    /// A fresh run's log at `path` (replaced when the first line is written).
    pub fn create(path: Option<&Path>) -> Result<Self> {
        Ok(JsonLog {
            path: path.map(Path::to_path_buf),
            file: None,
            append: false,
            state: LogState::default(),
            pending: None,
        })
    }

    /// A resumed run's log, already reconciled with `state`.
    pub fn resume(path: Option<&Path>, state: LogState) -> Self {
        JsonLog {
            path: path.map(Path::to_path_buf),
            file: None,
            append: true,
            state,
            pending: None,
        }
    }

    /// The log as the next checkpoint records it.
    pub fn state(&self) -> &LogState {
        &self.state
    }

    /// Takes the next line; it is written by [`JsonLog::write_pending`].
    pub fn push(&mut self, value: &serde_json::Value) {
        debug_assert!(self.pending.is_none(), "a line is still pending");
        let line = value.to_string();
        self.state.push(&line);
        self.pending = Some(line);
    }

    /// Appends the pushed line, if any, to the file, if any.
    pub fn write_pending(&mut self) -> vrg::Result<()> {
        let (Some(line), Some(path)) = (self.pending.take(), &self.path) else {
            return Ok(());
        };
        if self.file.is_none() {
            let mut options = std::fs::OpenOptions::new();
            if self.append {
                options.append(true).create(true);
            } else {
                options.write(true).create(true).truncate(true);
            }
            let file = options.open(path).map_err(|e| vrg::Error::io(path, e))?;
            self.file = Some(file);
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| vrg::Error::io(path, e))
    }
}
