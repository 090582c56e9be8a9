//! Exact resume of training (`vrg rbm train --resume`, `vrg dbn train
//! --resume`): what a checkpoint records beside the model so that a run
//! killed at any moment continues as if it had never stopped, and the
//! checks that refuse to continue it on other data.
//!
//! Two records travel in the checkpoint's metadata (see
//! [`vrg::train::checkpoint`]):
//! - [`DataRecord`] (`train_data`): the data flags as given (paths also
//!   canonically) and a [`Fingerprint`] of the rows trained on and held
//!   out. A resume compares them before anything is written and refuses any
//!   difference in one line naming the flag and both values.
//! - [`LogState`] (`train_log`): the log the run has written so far (line
//!   count, FNV-1a hash of its bytes) and its last line.
//!
//! Each training step (an epoch, or a finished DBN layer) goes: make the log
//! line and push it into the [`JsonLog`] (its state now counts it), write the
//! checkpoint carrying that state, then append the line to the file. A kill
//! between the last two loses only the line, which the checkpoint carries;
//! a kill before the checkpoint is written loses the whole step, which the
//! resumed run redoes. On `--resume`, [`plan_log_fix`] reconciles the file
//! with the checkpoint's state: lines after the checkpoint's last step are
//! dropped, its missing last line is restored, and anything else that does
//! not match (another run's log) is refused. The file is rewritten
//! atomically only when it must change; otherwise it is appended to.

use anyhow::{anyhow, bail, Result};
pub use log::adopt_log;
pub use log::apply_log_fix;
pub use log::plan_log_fix;
pub use log::JsonLog;
pub use log::LogState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use vrg::data::{Binarize, Dataset};

mod log;

/// Metadata key of the [`DataRecord`].
pub const DATA_KEY: &str = "train_data";
/// Metadata key of the [`LogState`].
pub const LOG_KEY: &str = "train_log";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a of `bytes`, continuing from `hash` (start from
/// [`FNV_OFFSET`]).
fn fnv1a_bytes(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// 64-bit FNV-1a over 32-bit words: each value's f32 bits are xored in
/// whole, then multiplied by the FNV prime (four times fewer steps than
/// byte-wise FNV-1a, for data sets of millions of values).
#[cfg(test)]
fn fnv1a_f32(values: &[f32]) -> u64 {
    fnv1a_f32_from(FNV_OFFSET, values)
}

/// 64-bit FNV-1a over 32-bit words (each value's f32 bits xored in whole,
/// then multiplied by the FNV prime: four times fewer steps than byte-wise
/// FNV-1a, for data sets of millions of values), continued from `hash`.
fn fnv1a_f32_from(hash: u64, values: &[f32]) -> u64 {
    values.iter().fold(hash, |hash, v| {
        (hash ^ u64::from(v.to_bits())).wrapping_mul(FNV_PRIME)
    })
}

/// [`fnv1a_f32_from`] [`FNV_OFFSET`] over every value of `data` in
/// row-major order, read chunk by chunk (packed rows are decoded a chunk
/// at a time, never whole): the hash of the dense values, whatever the
/// storage.
fn fnv1a_dataset(data: &Dataset) -> u64 {
    let mut hash = FNV_OFFSET;
    let _ = data.for_each_chunk(1024, |_, rows| {
        hash = fnv1a_f32_from(hash, rows);
        Ok::<(), ()>(())
    });
    hash
}

/// What identifies a data set after preprocessing: its shape and a hash of
/// every value's f32 bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub rows: usize,
    pub features: usize,
    /// [`fnv1a_dataset`] of the values, 16 hex digits.
    pub fnv1a: String,
}

impl Fingerprint {
    pub fn of(data: &Dataset) -> Self {
        Fingerprint {
            rows: data.n_rows,
            features: data.n_features,
            fnv1a: format!("{:016x}", fnv1a_dataset(data)),
        }
    }
}

/// One data flag as the run got it: its value as given ("none" when left
/// out) and, for paths, the canonical path compared on resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagRecord {
    pub flag: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

impl FlagRecord {
    /// What a resume compares: the canonical path, or the value.
    fn key(&self) -> &str {
        self.canonical.as_deref().unwrap_or(&self.value)
    }
}

/// The data a run trains on: its data flags and the fingerprints of the
/// rows trained on and held out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRecord {
    pub flags: Vec<FlagRecord>,
    pub train: Option<Fingerprint>,
    pub validation: Option<Fingerprint>,
}

/// "none" for an absent value, else its display.
pub fn or_none<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

/// `--binarize` as it reads after parsing.
pub fn binarize_text(binarize: Option<Binarize>) -> String {
    match binarize {
        None => "none".into(),
        Some(Binarize::Threshold(x)) => format!("threshold:{x}"),
        Some(Binarize::Stochastic(seed)) => format!("stochastic:{seed}"),
    }
}

/// The canonical form of `path` (absolute, links resolved), or the path
/// as given when it cannot be resolved.
fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

impl DataRecord {
    /// Adds a flag's value.
    pub fn value(mut self, flag: &str, value: impl std::fmt::Display) -> Self {
        self.flags.push(FlagRecord {
            flag: flag.into(),
            value: value.to_string(),
            canonical: None,
        });
        self
    }

    /// Adds a path flag (or "none").
    pub fn path(mut self, flag: &str, path: Option<&Path>) -> Self {
        self.flags.push(FlagRecord {
            flag: flag.into(),
            value: path.map_or_else(|| "none".into(), |p| p.display().to_string()),
            canonical: path.map(canonical),
        });
        self
    }

    /// The record with the fingerprints of `train` and `validation`.
    pub fn with_data(mut self, train: &Dataset, validation: Option<&Dataset>) -> Self {
        self.train = Some(Fingerprint::of(train));
        self.validation = validation.map(Fingerprint::of);
        self
    }

    /// Errors, in one line naming the first flag that differs and both
    /// values, unless every flag recorded in `saved` (the checkpoint
    /// `checkpoint`'s) has the same value here. Flags the checkpoint did
    /// not record are not checked.
    pub fn check_flags(&self, saved: &DataRecord, checkpoint: &Path) -> Result<()> {
        for given in &self.flags {
            let Some(old) = saved.flags.iter().find(|f| f.flag == given.flag) else {
                continue;
            };
            if given.key() == old.key() {
                continue;
            }
            let (now, then) = if given.value == old.value {
                (
                    format!("{} ({})", given.value, given.key()),
                    old.key().to_string(),
                )
            } else {
                (given.value.clone(), old.value.clone())
            };
            bail!(
                "--resume: {} {now} differs from the checkpoint {} ({then}); resume with the same data flags or train afresh",
                given.flag,
                checkpoint.display()
            );
        }
        Ok(())
    }

    /// Errors, in one line naming the field and both values, unless the
    /// rows trained on and held out are those of the checkpoint
    /// `checkpoint` (`saved`). A checkpoint without fingerprints is not
    /// checked.
    pub fn check_data(&self, saved: &DataRecord, checkpoint: &Path) -> Result<()> {
        if saved.train.is_none() {
            return Ok(());
        }
        for (what, now, then) in [
            ("training data", &self.train, &saved.train),
            ("held-out data", &self.validation, &saved.validation),
        ] {
            let differs = |field: &str, now: String, then: String| {
                anyhow!(
                    "--resume: the {what}'s {field} {now} differs from the checkpoint {} ({then}): the data changed; resume with the same data or train afresh",
                    checkpoint.display()
                )
            };
            match (now, then) {
                (Some(a), Some(b)) => {
                    if a.rows != b.rows {
                        return Err(differs("row count", a.rows.to_string(), b.rows.to_string()));
                    }
                    if a.features != b.features {
                        return Err(differs(
                            "feature count",
                            a.features.to_string(),
                            b.features.to_string(),
                        ));
                    }
                    if a.fnv1a != b.fnv1a {
                        return Err(differs("FNV-1a hash", a.fnv1a.clone(), b.fnv1a.clone()));
                    }
                }
                (None, None) => {}
                (a, b) => {
                    let rows = |f: &Option<Fingerprint>| {
                        f.as_ref()
                            .map_or_else(|| "0".to_string(), |f| f.rows.to_string())
                    };
                    return Err(differs("row count", rows(a), rows(b)));
                }
            }
        }
        Ok(())
    }
}

/// The checkpoint metadata of the resume records.
pub fn metadata(data: &DataRecord, log: &LogState) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            DATA_KEY.to_string(),
            serde_json::to_string(data).expect("strings and counts serialise"),
        ),
        (
            LOG_KEY.to_string(),
            serde_json::to_string(log).expect("strings and counts serialise"),
        ),
    ])
}

/// The record under `key` of a checkpoint's metadata, if it has one.
pub fn record<T: serde::de::DeserializeOwned>(
    metadata: &BTreeMap<String, String>,
    key: &str,
    checkpoint: &Path,
) -> Result<Option<T>> {
    metadata
        .get(key)
        .map(|json| {
            serde_json::from_str(json).map_err(|e| {
                anyhow!(
                    "--resume: {}: metadata {key} is not valid ({e})",
                    checkpoint.display()
                )
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::log::LogFix;
    use super::*;

    /// Packed data hash as the same values held as f32 did before packing
    /// existed (so checkpoints written then still resume).
    #[test]
    fn packed_data_have_the_dense_fingerprint() {
        for levels in [[0.0f32, 1.0], [-1.0, 1.0]] {
            let (rows, features) = (1500, 70);
            let values: Vec<f32> = (0..rows * features)
                .map(|k| levels[(k * 7 + k / 13) % 3 % 2])
                .collect();
            let dense = Dataset::new(rows, features, values.clone()).unwrap();
            let mut packed = dense.clone();
            assert!(packed.pack());
            let expected = format!("{:016x}", fnv1a_f32(&values));
            assert_eq!(Fingerprint::of(&dense).fnv1a, expected);
            assert_eq!(Fingerprint::of(&packed), Fingerprint::of(&dense));
        }
    }

    #[test]
    fn fnv1a_matches_the_published_values() {
        // FNV-1a 64 test vectors (Fowler, Noll & Vo).
        assert_eq!(fnv1a_bytes(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a_bytes(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a_bytes(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
        // Word-wise over f32 bits: one word is one xor and one multiply.
        let one = fnv1a_f32(&[1.0]);
        assert_eq!(
            one,
            (FNV_OFFSET ^ u64::from(1.0f32.to_bits())).wrapping_mul(FNV_PRIME)
        );
        assert_ne!(fnv1a_f32(&[0.0, 1.0]), fnv1a_f32(&[1.0, 0.0]));
        assert_ne!(fnv1a_f32(&[0.0]), fnv1a_f32(&[-0.0]));
    }

    fn state_of(lines: &[&str]) -> LogState {
        let mut s = LogState::default();
        for l in lines {
            s.push(l);
        }
        s
    }

    #[test]
    fn the_log_is_reconciled_with_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log.jsonl");
        let ck = dir.path().join("m.safetensors");
        let state = state_of(&["a", "b", "c"]);
        let plan = |content: Option<&str>| {
            match content {
                Some(c) => std::fs::write(&log, c).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&log);
                }
            }
            plan_log_fix(&log, &state, &ck)
        };
        assert_eq!(plan(Some("a\nb\nc\n")).unwrap(), LogFix::Keep);
        assert_eq!(plan(Some("a\nb\n")).unwrap(), LogFix::Append("c".into()));
        assert_eq!(
            plan(Some("a\nb\nc\nd\ne\n")).unwrap(),
            LogFix::Rewrite {
                bytes: b"a\nb\nc\n".to_vec(),
                dropped: 2
            }
        );
        assert_eq!(
            plan(Some("a\nb\nc\nd")).unwrap(),
            LogFix::Rewrite {
                bytes: b"a\nb\nc\n".to_vec(),
                dropped: 1
            }
        );
        assert_eq!(
            plan(Some("a\nb\nc-torn")).unwrap(),
            LogFix::Rewrite {
                bytes: b"a\nb\nc\n".to_vec(),
                dropped: 1
            }
        );
        assert_eq!(plan(None).unwrap(), LogFix::Start("c".into()));
        assert_eq!(plan(Some("")).unwrap(), LogFix::Start("c".into()));
        let err = plan(Some("x\nb\nc\n")).unwrap_err().to_string();
        assert!(
            err.contains("does not hold the log of the checkpoint"),
            "{err}"
        );
        assert!(plan(Some("a\n")).is_err());
        // A first line replaces another run's log.
        let first = state_of(&["a"]);
        std::fs::write(&log, "old\nolder\n").unwrap();
        assert_eq!(
            plan_log_fix(&log, &first, &ck).unwrap(),
            LogFix::Rewrite {
                bytes: b"a\n".to_vec(),
                dropped: 2
            }
        );
        // A state and the log it describes agree.
        assert_eq!(
            LogState::of_lines(&[b"a\n", b"b\n", b"c\n"]),
            state_of(&["a", "b", "c"])
        );
    }

    #[test]
    fn data_flags_and_fingerprints_are_compared() {
        let ck = Path::new("m.safetensors");
        let data = Dataset::new(2, 2, vec![0.0, 1.0, 1.0, 0.0]).unwrap();
        let other = Dataset::new(2, 2, vec![0.0, 1.0, 1.0, 1.0]).unwrap();
        let saved = DataRecord::default()
            .value("--binarize", "stochastic:1")
            .value("--limit", "none")
            .with_data(&data, None);
        let same = saved.clone();
        same.check_flags(&saved, ck).unwrap();
        same.check_data(&saved, ck).unwrap();
        let changed = DataRecord::default()
            .value("--binarize", "stochastic:2")
            .value("--limit", "none");
        let err = changed.check_flags(&saved, ck).unwrap_err().to_string();
        assert_eq!(
            err,
            "--resume: --binarize stochastic:2 differs from the checkpoint m.safetensors (stochastic:1); resume with the same data flags or train afresh"
        );
        let err = DataRecord::default()
            .with_data(&other, None)
            .check_data(&saved, ck)
            .unwrap_err()
            .to_string();
        assert!(err.contains("training data's FNV-1a hash"), "{err}");
        // Unrecorded flags (an older checkpoint) are not checked.
        DataRecord::default()
            .value("--pll-rows", 3)
            .check_flags(&saved, ck)
            .unwrap();
    }
}
