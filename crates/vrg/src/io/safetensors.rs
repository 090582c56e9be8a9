//! The `.safetensors` container, as vrg's model files use it.
//!
//! Layout (<https://github.com/huggingface/safetensors>): an 8-byte
//! little-endian header length `n`, `n` bytes of JSON (an object whose
//! `__metadata__` maps strings to strings and whose other keys are tensor
//! names with `dtype`, `shape` and `data_offsets` [begin, end) into the data
//! that follows), then the tensors' bytes, contiguous, in offset order.
//!
//! vrg reads and writes the format itself rather than through the
//! `safetensors` crate so that
//! - every offset and size is checked with overflow-checked arithmetic
//!   against the file's length before it is used (the file itself was read
//!   only after its length was checked against the memory limit);
//! - files are canonical: metadata keys and tensors sorted by name, so the
//!   same model always gives the same bytes.
//!
//! The tests check that the `safetensors` crate reads what this writes and
//! the other way round.
//!
//! What a file stores is up to its writer: [`crate::rbm::file`] (RBM
//! models), [`crate::dbn::file`] (deep belief networks and their
//! checkpoints) and [`crate::train::checkpoint`] (the training state a
//! checkpoint adds). This module knows only the container: f32 tensors and
//! string metadata, written atomically and read within [`super::limits`].

use crate::error::{quoted, shape_text};
use crate::io::atomic::write_bytes;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The largest header read, as in the `safetensors` crate.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// A tensor's element type, as named in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dtype {
    F32,
    F64,
    /// Any other type of the format, with its name and bits per element.
    Other(&'static str, u32),
}

impl Dtype {
    fn parse(name: &str) -> Option<Dtype> {
        Some(match name {
            "F32" => Dtype::F32,
            "F64" => Dtype::F64,
            _ => {
                const OTHERS: [(&str, u32); 20] = [
                    ("BOOL", 8),
                    ("F4", 4),
                    ("F6_E2M3", 6),
                    ("F6_E3M2", 6),
                    ("U8", 8),
                    ("I8", 8),
                    ("F8_E5M2", 8),
                    ("F8_E4M3", 8),
                    ("F8_E8M0", 8),
                    ("F8_E4M3FNUZ", 8),
                    ("F8_E5M2FNUZ", 8),
                    ("I16", 16),
                    ("U16", 16),
                    ("F16", 16),
                    ("BF16", 16),
                    ("I32", 32),
                    ("U32", 32),
                    ("C64", 64),
                    ("I64", 64),
                    ("U64", 64),
                ];
                let &(name, bits) = OTHERS.iter().find(|(n, _)| *n == name)?;
                Dtype::Other(name, bits)
            }
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::Other(name, _) => name,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Dtype::F32 => 32,
            Dtype::F64 => 64,
            Dtype::Other(_, bits) => bits,
        }
    }
}

/// One tensor of a parsed file; `data` holds exactly shape × dtype bytes.
#[derive(Clone, Debug)]
pub(crate) struct Tensor<'b> {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: &'b [u8],
}

/// A parsed file: metadata and tensors by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Contents<'b> {
    pub metadata: BTreeMap<String, String>,
    pub tensors: BTreeMap<String, Tensor<'b>>,
}

fn not_safetensors(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: format!("not a valid .safetensors file ({reason})"),
    }
}

/// A header entry as written: a tensor's dtype, shape and offsets.
#[derive(serde::Deserialize)]
struct RawTensor {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

/// The header: `__metadata__` and the tensors, duplicates refused.
#[derive(Default)]
struct RawHeader {
    metadata: Option<BTreeMap<String, String>>,
    tensors: BTreeMap<String, RawTensor>,
}

impl<'de> serde::Deserialize<'de> for RawHeader {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawHeader;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of tensors and __metadata__")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawHeader, A::Error> {
                use serde::de::Error as _;
                let mut header = RawHeader::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "__metadata__" {
                        let metadata: BTreeMap<String, String> = map.next_value()?;
                        if header.metadata.replace(metadata).is_some() {
                            return Err(A::Error::custom("__metadata__ given twice"));
                        }
                    } else {
                        let tensor: RawTensor = map.next_value()?;
                        if header.tensors.contains_key(&key) {
                            return Err(A::Error::custom(format!(
                                "tensor {} given twice",
                                quoted(&key)
                            )));
                        }
                        header.tensors.insert(key, tensor);
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Parses a whole file's bytes, checking every size and offset against
/// `buffer`'s length.
pub(crate) fn parse<'b>(path: &Path, buffer: &'b [u8]) -> Result<Contents<'b>> {
    let len = buffer.len() as u64;
    let Some(length_bytes) = buffer.get(..8) else {
        return Err(not_safetensors(
            path,
            format!("{len} bytes, too short for the 8-byte header length"),
        ));
    };
    let header_len = u64::from_le_bytes(length_bytes.try_into().expect("8 bytes"));
    if header_len > len - 8 {
        return Err(not_safetensors(
            path,
            format!(
                "header length {header_len} is more than the file holds ({} bytes after the length)",
                len - 8
            ),
        ));
    }
    if header_len > MAX_HEADER_BYTES {
        return Err(not_safetensors(
            path,
            format!("header length {header_len} is more than the {MAX_HEADER_BYTES} bytes allowed"),
        ));
    }
    let header_end = 8 + header_len as usize;
    let text = std::str::from_utf8(&buffer[8..header_end])
        .map_err(|e| not_safetensors(path, format!("header is not UTF-8: {e}")))?;
    if !text.starts_with('{') {
        return Err(not_safetensors(path, "header does not start with '{'"));
    }
    let raw: RawHeader = serde_json::from_str(text)
        .map_err(|e| not_safetensors(path, format!("header JSON: {e}")))?;
    let data = &buffer[header_end..];
    // Tensors in offset order must tile the data exactly.
    let mut by_offset: Vec<(&String, &RawTensor)> = raw.tensors.iter().collect();
    by_offset.sort_by_key(|(_, t)| t.data_offsets);
    let mut next = 0u64;
    for (name, t) in &by_offset {
        let [begin, end] = t.data_offsets;
        let name = quoted(name);
        if begin != next || end < begin {
            return Err(not_safetensors(
                path,
                format!(
                    "tensor {name} has data_offsets [{begin}, {end}], expected to start at {next}"
                ),
            ));
        }
        if end > data.len() as u64 {
            return Err(not_safetensors(
                path,
                format!(
                    "tensor {name} ends at byte {end} of the data, which holds {} bytes",
                    data.len()
                ),
            ));
        }
        let dtype = Dtype::parse(&t.dtype).ok_or_else(|| {
            not_safetensors(
                path,
                format!("tensor {name} has unknown dtype {}", quoted(&t.dtype)),
            )
        })?;
        let bits = crate::io::limits::checked_product(t.shape.iter().map(|&d| u128::from(d)))
            .and_then(|n| n.checked_mul(u128::from(dtype.bits())));
        if bits != Some(u128::from(end - begin) * 8) {
            return Err(not_safetensors(
                path,
                format!(
                    "tensor {name} of shape {} and dtype {} does not fill its {} bytes",
                    shape_text(&t.shape),
                    dtype.name(),
                    end - begin
                ),
            ));
        }
        next = end;
    }
    if next != data.len() as u64 {
        return Err(not_safetensors(
            path,
            format!(
                "the tensors hold {next} bytes but the file has {} bytes of data",
                data.len()
            ),
        ));
    }
    let mut contents = Contents {
        metadata: raw.metadata.unwrap_or_default(),
        tensors: BTreeMap::new(),
    };
    for (name, t) in raw.tensors {
        let [begin, end] = t.data_offsets;
        // Each size was checked against the data's length above, so the
        // offsets and the shape's sizes fit in usize.
        let tensor = Tensor {
            dtype: Dtype::parse(&t.dtype).expect("checked above"),
            shape: t.shape.iter().map(|&d| d as usize).collect(),
            data: &data[begin as usize..end as usize],
        };
        contents.tensors.insert(name, tensor);
    }
    Ok(contents)
}

/// Serialises f32 tensors (name → shape and little-endian bytes) and
/// string metadata as `.safetensors` bytes: metadata keys and tensors in
/// name order, the header padded with spaces to a multiple of 8 bytes, so
/// equal inputs give equal bytes.
pub(crate) fn serialize(tensors: &Tensors, metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let json = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let mut header = String::from("{");
    if !metadata.is_empty() {
        header.push_str("\"__metadata__\":{");
        let entries: Vec<String> = metadata
            .iter()
            .map(|(k, v)| format!("{}:{}", json(k), json(v)))
            .collect();
        header.push_str(&entries.join(","));
        header.push('}');
    }
    let mut offset = 0usize;
    for (name, (shape, bytes)) in tensors {
        if header.len() > 1 {
            header.push(',');
        }
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        header.push_str(&format!(
            "{}:{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
            json(name),
            dims.join(","),
            offset,
            offset + bytes.len()
        ));
        offset += bytes.len();
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, bytes) in tensors.values() {
        out.extend_from_slice(bytes);
    }
    out
}

/// Tensors to write: name → shape and little-endian f32 bytes.
pub(crate) type Tensors = BTreeMap<String, (Vec<usize>, Vec<u8>)>;

/// `values` as little-endian f32 bytes, a tensor's data in [`Tensors`].
pub(crate) fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A metadata entry: `key` and `value` as text.
pub(crate) fn entry(key: &str, value: impl ToString) -> (String, String) {
    (key.to_string(), value.to_string())
}

/// Adds `extra` to `metadata`; errors on a key the format writes itself.
pub(crate) fn add_metadata(
    metadata: &mut BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    for (key, value) in extra {
        if metadata.contains_key(key) {
            return Err(Error::invalid(
                "metadata key",
                key,
                "a key the model format does not write itself",
            ));
        }
        metadata.insert(key.clone(), value.clone());
    }
    Ok(())
}

/// Every metadata key and value of a `.safetensors` file (the resume
/// records of a training checkpoint among them).
pub fn read_metadata(path: impl AsRef<Path>) -> Result<BTreeMap<String, String>> {
    let path = path.as_ref();
    let buffer = read(path)?;
    Ok(parse(path, &buffer)?.metadata)
}

/// Serialises f32 tensors and metadata as canonical `.safetensors` and
/// writes them atomically (a temporary file, then a rename, so a crash
/// mid-write leaves the previous file intact).
pub(crate) fn write(
    path: &Path,
    tensors: &Tensors,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    for (name, (shape, data)) in tensors {
        let elements = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if elements.and_then(|n| n.checked_mul(4)) != Some(data.len()) {
            return Err(Error::ShapeMismatch {
                what: format!("tensor {name} for {}", path.display()),
                expected: format!("shape {}", shape_text(shape)),
                found: format!("{} bytes", data.len()),
            });
        }
    }
    write_bytes(path, &serialize(tensors, metadata))
}

/// An [`Error::InvalidData`] naming `path`.
pub(crate) fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a file's bytes (a regular file, no longer than the memory limit)
/// for [`parse`].
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    super::limits::read_regular(path, None)
}

/// Reads a float32 (or float64, converted) tensor of the given shape, every
/// element finite.
pub(crate) fn read_f32(
    path: &Path,
    contents: &Contents<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>> {
    let tensor = contents
        .tensors
        .get(name)
        .ok_or_else(|| invalid(path, format!("missing tensor `{name}`")))?;
    if tensor.shape != shape {
        return Err(invalid(
            path,
            format!(
                "tensor `{name}` has shape {}, expected {}",
                shape_text(&tensor.shape),
                shape_text(shape)
            ),
        ));
    }
    let data = tensor.data;
    let values: Vec<f32> = match tensor.dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        other => {
            return Err(invalid(
                path,
                format!(
                    "tensor `{name}` has dtype {}, expected F32 or F64",
                    other.name()
                ),
            ))
        }
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(invalid(
            path,
            format!("tensor `{name}` element {i} is not finite"),
        ));
    }
    Ok(values)
}

/// Metadata `key` read by `parse`, if present; `parse` says what is wrong
/// with a value it refuses.
pub(crate) fn metadata_value<T>(
    path: &Path,
    contents: &Contents<'_>,
    key: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    let value = contents.metadata.get(key);
    value
        .map(|text| parse(text).map_err(|reason| invalid(path, reason)))
        .transpose()
}

/// A count from metadata `key`, if present.
pub(crate) fn metadata_count(
    path: &Path,
    contents: &Contents<'_>,
    key: &str,
) -> Result<Option<usize>> {
    metadata_value(path, contents, key, |text| {
        text.parse()
            .map_err(|_| format!("metadata {key} = {}: expected a count", quoted(text)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_tensor() -> BTreeMap<String, (Vec<usize>, Vec<u8>)> {
        BTreeMap::from([("W".to_string(), (vec![1, 2], vec![0u8; 8]))])
    }

    #[test]
    fn round_trip_and_offsets_checked() {
        let metadata = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let bytes = serialize(&one_tensor(), &metadata);
        assert_eq!((bytes.len() - 8 - 8) % 8, 0);
        let p = Path::new("m.safetensors");
        let parsed = parse(p, &bytes).unwrap();
        assert_eq!(parsed.metadata, metadata);
        assert_eq!(parsed.tensors["W"].shape, vec![1, 2]);
        // Cut short, or with a byte too many.
        let e = parse(p, &bytes[..bytes.len() - 1]).unwrap_err().to_string();
        assert!(e.contains("ends at byte 8"), "{e}");
        let mut longer = bytes.clone();
        longer.push(0);
        let e = parse(p, &longer).unwrap_err().to_string();
        assert!(e.contains("the tensors hold 8 bytes"), "{e}");
    }

    /// Offsets near 2^64 must not wrap around (the `safetensors` crate adds
    /// them unchecked).
    #[test]
    fn huge_offsets_are_errors() {
        let header = r#"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]},"b":{"dtype":"U8","shape":[9],"data_offsets":[18446744073709551615,8]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        let e = parse(Path::new("x"), &bytes).unwrap_err().to_string();
        assert!(e.contains("not a valid .safetensors"), "{e}");
    }
}
