//! Stored Ising configurations: an `.npy` array of ±1 spins or 0/1 values
//! whose shape says the lattice side L, read as `i8` spins.

use crate::{Error, Result};
use std::path::Path;

/// Configurations read from `.npy` as ±1 spins, with their lattice side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configurations {
    /// `rows × size²` spins, row-major, site (r, c) of a configuration at
    /// r·size + c.
    pub spins: Vec<i8>,
    /// The lattice side L.
    pub size: usize,
    /// The number of configurations N.
    pub rows: usize,
}

/// The configuration count N and lattice side L of an array of `shape`,
/// as `(N, L)`.
/// `lattice` (from --lattice or the sidecar, with `origin` naming which)
/// settles the one ambiguous case, a 2-D (n, n) array with n a perfect
/// square: one n×n lattice, or n configurations of √n×√n.
///
/// # Errors
/// [`Error::InvalidData`] naming `path` and the shape: not (N, L, L),
/// (L, L) or (N, L²); ambiguous without `lattice`; disagreeing with it; or
/// no configuration or L < 2.
pub fn lattice_shape(
    path: &Path,
    shape: &[usize],
    lattice: Option<(usize, &str)>,
) -> Result<(usize, usize)> {
    let invalid = |reason: String| Error::InvalidData {
        path: path.to_path_buf(),
        reason,
    };
    let shape_text = format!(
        "({})",
        shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let square_root = |flat: usize| {
        let l = (flat as f64).sqrt().round() as usize;
        (l.checked_mul(l) == Some(flat)).then_some(l)
    };
    let (rows, size) = match (shape, lattice) {
        (&[n, l1, l2], _) if l1 == l2 => {
            if let Some((l, origin)) = lattice.filter(|&(l, _)| l != l1) {
                return Err(invalid(format!(
                    "shape {shape_text} holds {l1}×{l1} lattices but {origin} says L = {l}"
                )));
            }
            (n, l1)
        }
        (&[a, b], Some((l, origin))) => {
            if l.checked_mul(l) == Some(b) {
                (a, l)
            } else if a == l && b == l {
                (1, l)
            } else {
                return Err(invalid(format!(
                    "shape {shape_text} is neither (N, {l}²) nor ({l}, {l}), as {origin} L = {l} needs"
                )));
            }
        }
        (&[a, b], None) => match (a == b, square_root(b).filter(|&l| l >= 2)) {
            (true, Some(l)) => {
                return Err(invalid(format!(
                    "shape {shape_text} is ambiguous: one {a}×{a} lattice or {a} configurations of {l}×{l}; say which with --lattice {a} or --lattice {l}"
                )))
            }
            (true, None) => (1, a),
            (false, Some(l)) => (a, l),
            (false, None) => {
                return Err(invalid(format!(
                    "shape {shape_text}: a flat row of {b} values is not a square lattice"
                )))
            }
        },
        _ => {
            return Err(invalid(format!(
                "shape {shape_text}: expected (N, L, L), (L, L) or (N, L²)"
            )))
        }
    };
    if rows == 0 || size < 2 {
        return Err(invalid(format!(
            "shape {shape_text}: expected at least one configuration with L ≥ 2"
        )));
    }
    Ok((rows, size))
}

/// Reads Ising configurations from the `.npy` file at `path`: shape
/// (N, L, L), (L, L) or (N, L²) (see [`lattice_shape`], which `lattice`
/// disambiguates), values all ±1 or all 0/1 (0 read as spin −1, s = 2v − 1).
///
/// # Errors
/// The reader's errors, and [`Error::InvalidData`] naming the file for a
/// shape that is not a square lattice (or is ambiguous without `lattice`,
/// or disagrees with it) and for the first value that is neither 1 nor the
/// convention's other value, with its configuration and site.
pub fn read(path: &Path, lattice: Option<(usize, &str)>) -> Result<Configurations> {
    let invalid = |reason: String| Error::InvalidData {
        path: path.to_path_buf(),
        reason,
    };
    // All ±1, or all 0/1: the first value that is neither 1 nor the
    // convention's other value is reported with its position. Values are
    // converted as they are read, one byte each.
    let mut convention: Option<f64> = None; // −1 (spins) or 0 (binary)
    let array = crate::io::npy::read_mapped(
        path,
        |shape| lattice_shape(path, shape, lattice),
        |&(_, size), index, v| {
            let ok = if v == 1.0 {
                true
            } else if let Some(c) = convention {
                v == c
            } else if v == -1.0 || v == 0.0 {
                convention = Some(v);
                true
            } else {
                false
            };
            if !ok {
                let n = size * size;
                let (row, site) = (index / n, index % n);
                let expected = match convention {
                    Some(c) if c != 0.0 => "±1 like the values before it",
                    Some(_) => "0/1 like the values before it",
                    None => "±1 or 0/1",
                };
                return Err(invalid(format!(
                    "value {v} in configuration {row} at site ({}, {}) is not {expected}",
                    site / size,
                    site % size
                )));
            }
            Ok(if v == 1.0 { 1i8 } else { -1 })
        },
    )?;
    let (rows, size) = lattice_shape(path, &array.shape, lattice)?;
    Ok(Configurations {
        spins: array.values,
        size,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(shape: &[usize], lattice: Option<(usize, &str)>) -> Result<(usize, usize)> {
        lattice_shape(Path::new("x.npy"), shape, lattice)
    }

    #[test]
    fn shapes_give_rows_and_side() {
        assert_eq!(shape(&[5, 4, 4], None).unwrap(), (5, 4));
        assert_eq!(shape(&[5, 16], None).unwrap(), (5, 4));
        assert_eq!(shape(&[3, 3], None).unwrap(), (1, 3));
        // (16, 16): one 16×16 lattice or 16 of 4×4, only with a lattice.
        let e = shape(&[16, 16], None).unwrap_err().to_string();
        assert!(e.starts_with("x.npy: shape (16, 16) is ambiguous"), "{e}");
        assert!(e.contains("--lattice 16 or --lattice 4"), "{e}");
        assert_eq!(shape(&[16, 16], Some((4, "--lattice"))).unwrap(), (16, 4));
        assert_eq!(shape(&[16, 16], Some((16, "--lattice"))).unwrap(), (1, 16));
        let e = shape(&[5, 4, 4], Some((8, "--lattice")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("holds 4×4 lattices but --lattice says L = 8"),
            "{e}"
        );
        let e = shape(&[5, 15], None).unwrap_err().to_string();
        assert!(
            e.contains("a flat row of 15 values is not a square lattice"),
            "{e}"
        );
        let e = shape(&[0, 4, 4], None).unwrap_err().to_string();
        assert!(e.contains("at least one configuration with L ≥ 2"), "{e}");
    }

    #[test]
    fn reads_binary_as_spins_and_rejects_mixed_conventions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.npy");
        crate::io::npy::write_i8(&path, &[2, 2, 2], &[0, 1, 1, 0, 1, 1, 0, 0]).unwrap();
        let c = read(&path, None).unwrap();
        assert_eq!((c.rows, c.size), (2, 2));
        assert_eq!(c.spins, [-1, 1, 1, -1, 1, 1, -1, -1]);
        crate::io::npy::write_i8(&path, &[2, 2, 2], &[-1, 1, 1, 0, 1, 1, 1, 1]).unwrap();
        let e = read(&path, None).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "value 0 in configuration 0 at site (1, 1) is not ±1 like the values before it"
            ),
            "{e}"
        );
    }
}
