//! numpy's `.npy` format (via `npyz`), C order.

use super::atomic::AtomicFile;
use crate::{Error, Result};
use npyz::{DType, Order, TypeChar, WriterBuilder};
use std::path::Path;

/// An array read from a `.npy` file, values converted to `f64` (exact for
/// every integer and float type numpy writes, except 64-bit integers beyond
/// 2^53).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    /// numpy's type string, e.g. `<f4`, `|i1`.
    pub dtype: String,
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a C-order `.npy` file of bool, (u)int8–64, float32 or float64.
pub fn read(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let file = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| invalid(path, format!("not a valid .npy file ({e})")))?;
    if file.order() != Order::C && file.shape().len() > 1 {
        return Err(invalid(path, "array is in Fortran order; expected C order"));
    }
    let shape: Vec<usize> = file.shape().iter().map(|&d| d as usize).collect();
    let dtype = file.dtype();
    let DType::Plain(type_str) = &dtype else {
        return Err(invalid(
            path,
            format!("structured dtype {dtype:?}; expected a plain numeric dtype"),
        ));
    };
    let type_name = type_str.to_string();
    let size = type_str.size_field();
    let map = |e: std::io::Error| invalid(path, format!("cannot read data ({e})"));
    let values: Vec<f64> = match (type_str.type_char(), size) {
        (TypeChar::Bool, 1) => file
            .into_vec::<bool>()
            .map_err(map)?
            .into_iter()
            .map(|b| b as u8 as f64)
            .collect(),
        (TypeChar::Int, 1) => file
            .into_vec::<i8>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 2) => file
            .into_vec::<i16>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 4) => file
            .into_vec::<i32>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 8) => file
            .into_vec::<i64>()
            .map_err(map)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        (TypeChar::Uint, 1) => file
            .into_vec::<u8>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 2) => file
            .into_vec::<u16>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 4) => file
            .into_vec::<u32>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 8) => file
            .into_vec::<u64>()
            .map_err(map)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        (TypeChar::Float, 4) => file
            .into_vec::<f32>()
            .map_err(map)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Float, 8) => file.into_vec::<f64>().map_err(map)?,
        _ => {
            return Err(invalid(
                path,
                format!("dtype {type_name} not supported; expected bool, int, uint or float"),
            ))
        }
    };
    Ok(NpyArray {
        shape,
        values,
        dtype: type_name,
    })
}

/// Writes `data` (C order, `shape`) as an int8 `.npy` file, atomically.
pub fn write_i8(path: impl AsRef<Path>, shape: &[usize], data: &[i8]) -> Result<()> {
    prepare(path, shape, data)?.commit()
}

/// Writes `data` (C order, `shape`) as a float64 `.npy` file, atomically.
pub fn write_f64(path: impl AsRef<Path>, shape: &[usize], data: &[f64]) -> Result<()> {
    prepare(path, shape, data)?.commit()
}

/// Writes `data` (C order, `shape`) as a `.npy` file under its temporary
/// name, to be committed by the caller (with other files of the same
/// output, see [`crate::io::atomic::commit_all`]).
pub fn prepare<T: npyz::AutoSerialize + Copy>(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[T],
) -> Result<AtomicFile> {
    let path = path.as_ref();
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(Error::ShapeMismatch {
            what: format!("array for {}", path.display()),
            expected: format!("{shape:?} = {expected} values"),
            found: format!("{} values", data.len()),
        });
    }
    let mut file = AtomicFile::create(path)?;
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&shape)
            .writer(&mut file)
            .begin_nd()
            .map_err(|e| Error::io(path, e))?;
        writer
            .extend(data.iter().copied())
            .map_err(|e| Error::io(path, e))?;
        writer.finish().map_err(|e| Error::io(path, e))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_i8_and_f64() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write_i8(&p, &[2, 3], &[1, -1, 1, 1, -1, -1]).unwrap();
        let a = read(&p).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.values, vec![1.0, -1.0, 1.0, 1.0, -1.0, -1.0]);
        assert_eq!(a.dtype, "|i1");
        let q = dir.path().join("b.npy");
        write_f64(&q, &[3], &[0.5, 1.5, -2.0]).unwrap();
        assert_eq!(read(&q).unwrap().values, vec![0.5, 1.5, -2.0]);
        // no temporary files left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn shape_mismatch_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        assert!(write_i8(&p, &[2, 2], &[1, 1, 1]).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("junk.npy");
        std::fs::write(&p, b"not numpy").unwrap();
        let err = read(&p).unwrap_err().to_string();
        assert!(
            err.contains("junk.npy") && err.contains("not a valid .npy"),
            "{err}"
        );
    }
}
