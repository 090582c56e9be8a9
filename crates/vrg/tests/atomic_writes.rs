//! Write-then-rename files and directories ([`vrg::io::atomic`]): pairs
//! committed as a unit, temporaries of dead processes removed, output
//! directories that appear only on commit.

mod common;
use common::files;

use std::io::Write;
use std::path::Path;
use vrg::io::atomic::{commit_all, remove_stale_temporaries, write_bytes, OutputDir};
use vrg::io::AtomicFile;

/// An atomic file for `path` holding `text`, not yet committed.
fn file_with(path: &Path, text: &str) -> AtomicFile {
    let mut file = AtomicFile::create(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn a_pair_is_committed_as_a_unit_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("sub/a.json"));
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(&a, "old a").unwrap();
    std::fs::write(&b, "old b").unwrap();
    commit_all(vec![file_with(&a, "new a"), file_with(&b, "new b")]).unwrap();
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
    assert_eq!(files(dir.path()), ["a.npy", "sub"]);
    assert_eq!(files(&dir.path().join("sub")), ["a.json"]);

    // The second rename fails (its directory vanished): the first target
    // gets its old contents back and no temporary or backup remains.
    let (first, second) = (file_with(&a, "newer a"), file_with(&b, "newer b"));
    std::fs::remove_dir_all(dir.path().join("sub")).unwrap();
    assert!(commit_all(vec![first, second]).is_err());
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
    assert_eq!(files(dir.path()), ["a.npy"]);

    // A new first file is removed again.
    let c = dir.path().join("c.npy");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let (first, second) = (file_with(&c, "c"), file_with(&b, "b"));
    std::fs::remove_dir_all(dir.path().join("sub")).unwrap();
    assert!(commit_all(vec![first, second]).is_err());
    assert_eq!(files(dir.path()), ["a.npy"]);
}

#[test]
fn temporaries_of_dead_processes_are_removed_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("m.safetensors");
    // No process has an id this large (Linux caps ids at 2^22).
    let dead = dir.path().join(".m.safetensors.4294967295.tmp");
    let dead_dir = dir.path().join(".m.safetensors.4294967294.tmpdir");
    let live = dir.path().join(".m.safetensors.1.tmp"); // init runs
    let unrelated = dir.path().join(".other.4294967295.tmp");
    for p in [&dead, &live, &unrelated] {
        std::fs::write(p, "x").unwrap();
    }
    std::fs::create_dir(&dead_dir).unwrap();
    std::fs::write(dead_dir.join("f"), "x").unwrap();
    write_bytes(&target, b"model").unwrap();
    assert!(!dead.exists() && live.exists() && unrelated.exists());
    assert_eq!(remove_stale_temporaries(&target, "tmpdir"), vec![dead_dir]);
}

#[test]
fn an_output_directory_appears_only_on_commit_and_keeps_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/run");
    {
        let out = OutputDir::create(&target).unwrap();
        std::fs::write(out.path().join("summary.json"), "{}").unwrap();
        // dropped: an error before commit
    }
    assert!(!target.exists());
    assert_eq!(files(&dir.path().join("nested")), Vec::<String>::new());

    let out = OutputDir::create(&target).unwrap();
    std::fs::write(out.path().join("summary.json"), "1").unwrap();
    out.commit().unwrap();
    assert_eq!(files(&target), ["summary.json"]);

    // Into an existing directory: same-named files replaced, others kept.
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    let out = OutputDir::create(&target).unwrap();
    std::fs::write(out.path().join("summary.json"), "2").unwrap();
    out.commit().unwrap();
    assert_eq!(files(&target), ["notes.txt", "summary.json"]);
    assert_eq!(
        std::fs::read_to_string(target.join("summary.json")).unwrap(),
        "2"
    );
    assert_eq!(files(&dir.path().join("nested")), ["run"]);

    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert!(OutputDir::create(&file).is_err());
}
