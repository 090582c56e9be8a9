//! Write-then-rename files and directories.
//!
//! A file is written as `.NAME.PID.tmp` beside its target and renamed onto
//! it when complete; a directory of outputs is built as `.NAME.PID.tmpdir`
//! beside its target. Dropped without commit (an error), the temporary is
//! removed. Temporaries left by a killed run (their process id no longer
//! running) are recognised by the next run that writes the same target and
//! removed.

use crate::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name beside its target and renamed onto
/// it by [`AtomicFile::commit`]. Dropped without commit, the temporary file is
/// removed and the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temporary: PathBuf,
    writer: Option<BufWriter<File>>,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file. Fails (naming the path) if the target is a
    /// directory or its directory does not exist or is not writable.
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        check_writable_target(&target)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale_temporaries(&target, "tmp");
        remove_stale_temporaries(&target, "bak");
        let temporary = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)
            .map_err(|e| Error::io(&target, e))?;
        Ok(AtomicFile {
            target,
            temporary,
            writer: Some(BufWriter::new(file)),
            committed: false,
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the file onto its target.
    pub fn commit(mut self) -> Result<()> {
        self.finish()?;
        self.rename()
    }

    /// Flushes and syncs the temporary file and closes it.
    fn finish(&mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| Error::io(&self.target, e.into_error()))?;
            file.sync_all().map_err(|e| Error::io(&self.target, e))?;
        }
        Ok(())
    }

    /// Renames the finished temporary onto the target.
    fn rename(&mut self) -> Result<()> {
        std::fs::rename(&self.temporary, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("write after finish"))?
            .write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("flush after finish"))?
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Commits several files as a unit: every file is flushed and synced
/// first, so a failure while finishing any of them leaves none of the
/// targets changed (and every temporary removed); then each existing
/// target is kept as a hard-linked backup and the files are renamed into
/// place. If a rename fails, the targets renamed before it are put back as
/// they were (their old contents restored, or removed if they were new).
pub fn commit_all(mut files: Vec<AtomicFile>) -> Result<()> {
    for file in &mut files {
        file.finish()?;
    }
    let mut backups: Vec<Option<PathBuf>> = Vec::with_capacity(files.len());
    let mut failure = None;
    for file in &mut files {
        let backup = match keep_backup(&file.target) {
            Ok(backup) => backup,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        if let Err(e) = file.rename() {
            if let Some(b) = backup {
                let _ = std::fs::remove_file(b);
            }
            failure = Some(e);
            break;
        }
        backups.push(backup);
    }
    match failure {
        None => {
            for backup in backups.into_iter().flatten() {
                let _ = std::fs::remove_file(backup);
            }
            Ok(())
        }
        Some(error) => {
            for (file, backup) in files.iter().zip(backups) {
                let _ = match backup {
                    Some(b) => std::fs::rename(b, &file.target),
                    None => std::fs::remove_file(&file.target),
                };
            }
            Err(error)
        }
    }
}

/// A hard link (or, where links are not supported, a copy) of `target`'s
/// current contents as `.NAME.PID.bak`, if it exists.
fn keep_backup(target: &Path) -> Result<Option<PathBuf>> {
    if !target.is_file() {
        return Ok(None);
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let backup = target.with_file_name(format!(".{name}.{}.bak", std::process::id()));
    let _ = std::fs::remove_file(&backup);
    if std::fs::hard_link(target, &backup).is_err() {
        std::fs::copy(target, &backup).map_err(|e| Error::io(target, e))?;
    }
    Ok(Some(backup))
}

/// Whether process `pid` is running (on Linux; elsewhere assumed running,
/// so that nothing is removed that might be in use).
fn process_running(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes `.NAME.PID.SUFFIX` temporaries of `target` left by processes
/// that no longer run; returns what was removed.
pub fn remove_stale_temporaries(target: &Path, suffix: &str) -> Vec<PathBuf> {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let prefix = format!(".{name}.");
    let ending = format!(".{suffix}");
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(&ending))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_running(pid) {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// A directory of outputs built under a temporary name beside its target.
/// [`OutputDir::commit`] renames it onto the target when the target does
/// not exist (or is empty); into an existing directory it moves each file
/// (each rename atomic), so files there that this run does not write are
/// kept. Dropped without commit, the temporary directory is removed.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    temporary: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Creates the temporary directory (and the target's missing parent
    /// directories). Fails, naming the path, if the target exists and is
    /// not a directory.
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let invalid = |why: &str| {
            Error::io(
                &target,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_string()),
            )
        };
        if target.exists() && !target.is_dir() {
            return Err(invalid("exists and is not a directory"));
        }
        let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Err(invalid("has no directory name"));
        };
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        remove_stale_temporaries(&target, "tmpdir");
        let temporary = parent.join(format!(".{name}.{}.tmpdir", std::process::id()));
        if temporary.exists() {
            std::fs::remove_dir_all(&temporary).map_err(|e| Error::io(&temporary, e))?;
        }
        std::fs::create_dir(&temporary).map_err(|e| Error::io(&target, e))?;
        Ok(OutputDir {
            target,
            temporary,
            committed: false,
        })
    }

    /// Where the files are written until commit.
    pub fn path(&self) -> &Path {
        &self.temporary
    }

    /// The final directory.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the outputs into place.
    pub fn commit(mut self) -> Result<()> {
        let empty =
            || std::fs::read_dir(&self.target).is_ok_and(|mut entries| entries.next().is_none());
        if !self.target.exists() || (self.target.is_dir() && empty()) {
            if self.target.exists() {
                std::fs::remove_dir(&self.target).map_err(|e| Error::io(&self.target, e))?;
            }
            std::fs::rename(&self.temporary, &self.target)
                .map_err(|e| Error::io(&self.target, e))?;
        } else {
            let entries =
                std::fs::read_dir(&self.temporary).map_err(|e| Error::io(&self.temporary, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&self.temporary, e))?;
                let destination = self.target.join(entry.file_name());
                std::fs::rename(entry.path(), &destination)
                    .map_err(|e| Error::io(&destination, e))?;
            }
            std::fs::remove_dir(&self.temporary).map_err(|e| Error::io(&self.temporary, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temporary);
        }
    }
}

/// Checks, before any work, that `target` can be written: not an existing
/// directory, and its parent directory exists.
pub fn check_writable_target(target: &Path) -> Result<()> {
    if target.is_dir() {
        return Err(Error::io(
            target,
            std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory, expected a file path",
            ),
        ));
    }
    if target.file_name().is_none() {
        return Err(Error::io(
            target,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "has no file name"),
        ));
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::io(
            target,
            std::io::Error::new(std::io::ErrorKind::NotFound, "its directory does not exist"),
        ));
    }
    Ok(())
}

/// Writes `bytes` to `target` atomically.
pub fn write_bytes(target: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(target)?;
    let path = file.target().to_path_buf();
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}
