//! The output-path guard: no output may be an input, or another output.
//!
//! Every command names the files it reads and the files (or directories) it
//! writes, each with the flag that named it, and calls [`PathPlan::check`]
//! before any work starts. Two paths are the same file when their canonical
//! paths agree (symbolic links and `.`/`..` resolved; for a file that does
//! not exist yet, its directory's canonical path and its name) or when both
//! exist and have the same device and inode (hard links, bind mounts). An
//! input inside an output directory is compared with each file that
//! directory will receive.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What a command reads and writes, each path with the flag that named it.
#[derive(Debug, Default)]
pub struct PathPlan {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<(String, PathBuf)>,
}

/// A path as the guard compares it.
struct Identity {
    canonical: PathBuf,
    /// (device, inode) of an existing file.
    file_id: Option<(u64, u64)>,
}

impl PathPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (or directory) the command reads; `name` is how the user
    /// knows it (`--data`).
    pub fn input(&mut self, name: impl Into<String>, path: impl AsRef<Path>) -> &mut Self {
        self.inputs.push((name.into(), path.as_ref().to_path_buf()));
        self
    }

    /// Adds an input only when it is given.
    pub fn input_if(&mut self, name: impl Into<String>, path: Option<&Path>) -> &mut Self {
        if let Some(path) = path {
            self.input(name, path);
        }
        self
    }

    /// Adds a file the command writes.
    pub fn output(&mut self, name: impl Into<String>, path: impl AsRef<Path>) -> &mut Self {
        self.outputs
            .push((name.into(), path.as_ref().to_path_buf()));
        self
    }

    /// Adds an output only when it is given.
    pub fn output_if(&mut self, name: impl Into<String>, path: Option<&Path>) -> &mut Self {
        if let Some(path) = path {
            self.output(name, path);
        }
        self
    }

    /// Adds every file `names` the command will write into directory `dir`
    /// (named `name`).
    pub fn output_dir<S: AsRef<str>>(
        &mut self,
        name: &str,
        dir: impl AsRef<Path>,
        names: impl IntoIterator<Item = S>,
    ) -> &mut Self {
        let dir = dir.as_ref();
        for file in names {
            self.output(name, dir.join(file.as_ref()));
        }
        self
    }

    /// Fails, naming both flags and paths, if an output is the same file as
    /// an input or as another output.
    pub fn check(&self) -> Result<()> {
        let inputs: Vec<Identity> = self.inputs.iter().map(|(_, p)| identity(p)).collect();
        let outputs: Vec<Identity> = self.outputs.iter().map(|(_, p)| identity(p)).collect();
        for (o, out) in outputs.iter().enumerate() {
            for (i, input) in inputs.iter().enumerate() {
                if same(out, input) {
                    return Err(conflict(
                        &self.outputs[o],
                        &self.inputs[i],
                        "an output may not replace an input",
                    ));
                }
            }
            for (p, other) in outputs.iter().enumerate().take(o) {
                if same(out, other) {
                    return Err(conflict(
                        &self.outputs[o],
                        &self.outputs[p],
                        "two outputs may not share a file",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn conflict(output: &(String, PathBuf), other: &(String, PathBuf), rule: &str) -> Error {
    Error::PathConflict {
        output: format!("{} {}", output.0, output.1.display()),
        other: format!("{} {}", other.0, other.1.display()),
        rule: rule.to_string(),
    }
}

fn same(a: &Identity, b: &Identity) -> bool {
    a.canonical == b.canonical || (a.file_id.is_some() && a.file_id == b.file_id)
}

/// The canonical path of `path` (of its nearest existing ancestor, with the
/// rest appended, when it does not exist) and its file identity.
fn identity(path: &Path) -> Identity {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut existing = absolute.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let canonical = loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            break rest.iter().rev().fold(c, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => break lexical_normal(&absolute),
        }
    };
    Identity {
        canonical: lexical_normal(&canonical),
        file_id: file_id(path),
    }
}

/// `a/./b/../c` → `a/c` without touching the file system (for the part of a
/// path that does not exist yet).
fn lexical_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
        let mut plan = PathPlan::new();
        for (n, p) in inputs {
            plan.input(*n, p);
        }
        for (n, p) in outputs {
            plan.output(*n, p);
        }
        plan.check()
    }

    #[test]
    fn spellings_links_and_hard_links_of_one_file_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d.npy");
        std::fs::write(&data, b"x").unwrap();
        let dotted = dir.path().join(".").join("sub").join("..").join("d.npy");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let hard = dir.path().join("hard.npy");
        std::fs::hard_link(&data, &hard).unwrap();
        let soft = dir.path().join("soft.npy");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&data, &soft).unwrap();
        for out in [&data, &dotted, &hard, &soft] {
            let err = plan(&[("--data", &data)], &[("--log", out)]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("--log") && text.contains("--data") && text.contains("input"),
                "{text}"
            );
        }
        let other = dir.path().join("other.npy");
        plan(&[("--data", &data)], &[("--log", &other)]).unwrap();
    }

    #[test]
    fn two_outputs_of_one_new_file_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("new/../m.safetensors");
        let b = dir.path().join("m.safetensors");
        let err = plan(&[], &[("--out", &a), ("--log", &b)]).unwrap_err();
        assert!(err.to_string().contains("two outputs"), "{err}");
    }

    #[test]
    fn an_input_inside_an_output_directory_is_caught_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        std::fs::create_dir(&out).unwrap();
        let model = out.join("dbn.safetensors");
        std::fs::write(&model, b"x").unwrap();
        let mut p = PathPlan::new();
        p.input("--model", &model)
            .output_dir("--out", &out, ["summary.json", "layers.csv"]);
        p.check().unwrap();
        p.output_dir("--out", &out, ["dbn.safetensors"]);
        assert!(p.check().is_err());
    }
}
