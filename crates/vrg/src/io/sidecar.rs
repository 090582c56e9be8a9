//! The JSON sidecar `FILE.json` that `vrg ising sample` writes beside
//! `FILE.npy`: the parameters that made the configurations and which rows
//! belong to which temperature. Readers take what they need (`parameters`
//! `coupling` and `field`, and each block's `temperature` and `rows`) and
//! ignore the rest; a sidecar that is present but malformed is an error,
//! not silently ignored.

use super::limits;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The largest sidecar read (64 MiB; a sidecar holds a few kilobytes per
/// temperature).
pub const MAX_SIDECAR_BYTES: u64 = 64 << 20;

/// What a sidecar says about its data file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sidecar {
    /// Coupling J of the Hamiltonian, if recorded.
    pub coupling: Option<f64>,
    /// External field h, if recorded.
    pub field: Option<f64>,
    /// Lattice side L, if recorded.
    pub size: Option<usize>,
    /// Blocks of rows sampled at one temperature each.
    pub blocks: Vec<SidecarBlock>,
}

/// Rows `start..end` of the data, sampled at `temperature`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SidecarBlock {
    pub temperature: f64,
    pub start: usize,
    pub end: usize,
}

#[derive(Deserialize)]
#[serde(rename = "sidecar")]
struct RawSidecar {
    parameters: Option<RawParameters>,
    blocks: Option<Vec<RawBlock>>,
}

#[derive(Deserialize)]
struct RawParameters {
    coupling: Option<f64>,
    field: Option<f64>,
    size: Option<usize>,
}

#[derive(Deserialize)]
struct RawBlock {
    temperature: f64,
    rows: [u64; 2],
}

/// The sidecar path `FILE.json` of a data file `FILE.npy`.
pub fn path_for(data: &Path) -> PathBuf {
    data.with_extension("json")
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads the sidecar at `path`: `None` if there is none, an error if it is
/// not a regular file, larger than [`MAX_SIDECAR_BYTES`], or malformed.
pub fn read(path: &Path) -> Result<Option<Sidecar>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
        Ok(_) => {}
    }
    let bytes = limits::read_regular(path, Some((MAX_SIDECAR_BYTES, "sidecar JSON file")))?;
    parse(path, &bytes).map(Some)
}

/// Parses a sidecar's bytes (`path` names it in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Sidecar> {
    let raw: RawSidecar = serde_json::from_slice(bytes)
        .map_err(|e| invalid(path, format!("not a valid sidecar JSON file ({e})")))?;
    let parameters = raw.parameters.unwrap_or(RawParameters {
        coupling: None,
        field: None,
        size: None,
    });
    for (key, value) in [
        ("coupling", parameters.coupling),
        ("field", parameters.field),
    ] {
        if value.is_some_and(|v| !v.is_finite()) {
            return Err(invalid(
                path,
                format!("parameters.{key} is not a finite number"),
            ));
        }
    }
    let mut blocks = Vec::new();
    for (i, block) in raw.blocks.unwrap_or_default().iter().enumerate() {
        let t = block.temperature;
        if !(t.is_finite() && t > 0.0) {
            return Err(invalid(
                path,
                format!("blocks[{i}].temperature = {t}: expected a temperature > 0"),
            ));
        }
        let [start, end] = block.rows;
        if start >= end {
            return Err(invalid(
                path,
                format!("blocks[{i}].rows = [{start}, {end}]: expected start < end"),
            ));
        }
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(invalid(
                path,
                format!("blocks[{i}].rows = [{start}, {end}] are beyond any array"),
            ));
        };
        blocks.push(SidecarBlock {
            temperature: t,
            start,
            end,
        });
    }
    Ok(Sidecar {
        coupling: parameters.coupling,
        field: parameters.field,
        size: parameters.size,
        blocks,
    })
}

impl Sidecar {
    /// Fails unless every block lies within `n_rows` rows of `data`.
    pub fn check_rows(&self, path: &Path, data: &Path, n_rows: usize) -> Result<()> {
        match self.blocks.iter().position(|b| b.end > n_rows) {
            None => Ok(()),
            Some(i) => Err(invalid(
                path,
                format!(
                    "blocks[{i}].rows = [{}, {}] go beyond the {n_rows} rows of {}",
                    self.blocks[i].start,
                    self.blocks[i].end,
                    data.display()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_matters_and_refuses_nonsense() {
        let p = Path::new("s.json");
        let s = parse(
            p,
            br#"{"parameters":{"coupling":1.0,"size":4},"blocks":[{"temperature":2.5,"rows":[0,10],"observables":{}}],"x":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(s.coupling, Some(1.0));
        assert_eq!(s.field, None);
        assert_eq!(s.size, Some(4));
        assert_eq!(
            s.blocks,
            vec![SidecarBlock {
                temperature: 2.5,
                start: 0,
                end: 10
            }]
        );
        assert!(s.check_rows(p, Path::new("s.npy"), 10).is_ok());
        let e = s
            .check_rows(p, Path::new("s.npy"), 9)
            .unwrap_err()
            .to_string();
        assert!(e.contains("beyond the 9 rows of s.npy"), "{e}");
        for (bad, needle) in [
            (
                &br#"{"blocks":[{"temperature":-1,"rows":[0,1]}]}"#[..],
                "temperature = -1",
            ),
            (
                br#"{"blocks":[{"temperature":1,"rows":[3,1]}]}"#,
                "start < end",
            ),
            (br#"{"blocks":[{"temperature":1}]}"#, "missing field `rows`"),
            (b"{\n\"blocks\": 7", "not a valid sidecar JSON"),
        ] {
            let e = parse(p, bad).unwrap_err().to_string();
            assert!(e.contains(needle) && !e.contains('\n'), "{e}");
        }
    }
}
