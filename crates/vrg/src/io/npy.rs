//! numpy's `.npy` format, C order. Writing goes through `npyz`; reading is
//! vrg's own, so that every size in the header is checked (against the
//! file's length and the memory limit, see [`super::limits`]) before
//! anything is allocated, and every error is one line.

use super::atomic::AtomicFile;
use super::limits;
use crate::error::{quoted, shape_text};
use crate::{Error, Result};
use npyz::WriterBuilder;
use std::io::{BufReader, Read};
use std::path::Path;

/// An array read from a `.npy` file, values converted to `f64` (exact for
/// every integer and float type numpy writes, except 64-bit integers beyond
/// 2^53).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    /// numpy's type string as in the file, e.g. `<f4`, `|i1`.
    pub dtype: String,
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn not_npy(path: &Path, reason: impl std::fmt::Display) -> Error {
    invalid(path, format!("not a valid .npy file ({reason})"))
}

/// The longest header read (numpy itself refuses headers over 10 000 bytes
/// unless told otherwise).
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// Nesting allowed in the header's Python literal.
const MAX_DEPTH: usize = 32;

/// Element types read: kind (`b`, `i`, `u`, `f`), size in bytes and byte
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Element {
    kind: u8,
    size: usize,
    big_endian: bool,
}

impl Element {
    /// Parses a plain type string such as `<f4`, `|u1`, `>i8`, `b1`.
    fn parse(descr: &str) -> std::result::Result<Element, String> {
        let (big_endian, rest) = match descr.as_bytes().first() {
            Some(b'<' | b'|') => (false, &descr[1..]),
            Some(b'=') => (cfg!(target_endian = "big"), &descr[1..]),
            Some(b'>') => (true, &descr[1..]),
            _ => (false, descr),
        };
        let unsupported = || {
            format!(
                "dtype {} not supported; expected bool, int, uint or float (b1, i1–i8, u1–u8, f4, f8)",
                quoted(descr)
            )
        };
        let kind = *rest.as_bytes().first().ok_or_else(unsupported)?;
        let size: usize = rest
            .get(1..)
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(unsupported)?;
        let ok = match kind {
            b'b' => size == 1,
            b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
            b'f' => matches!(size, 4 | 8),
            _ => false,
        };
        if !ok {
            return Err(unsupported());
        }
        Ok(Element {
            kind,
            size,
            big_endian,
        })
    }

    /// numpy's name of the type: `float32`, `uint8`, `bool`.
    fn name(self) -> String {
        match self.kind {
            b'b' => "bool".into(),
            b'i' => format!("int{}", 8 * self.size),
            b'u' => format!("uint{}", 8 * self.size),
            _ => format!("float{}", 8 * self.size),
        }
    }

    /// The value of one element's bytes.
    fn decode(self, b: &[u8]) -> Option<f64> {
        let mut le = [0u8; 8];
        le[..self.size].copy_from_slice(b);
        if self.big_endian {
            le[..self.size].reverse();
        }
        Some(match (self.kind, self.size) {
            (b'b', _) => match le[0] {
                0 => 0.0,
                1 => 1.0,
                _ => return None,
            },
            (b'i', 1) => f64::from(le[0] as i8),
            (b'i', 2) => f64::from(i16::from_le_bytes([le[0], le[1]])),
            (b'i', 4) => f64::from(i32::from_le_bytes([le[0], le[1], le[2], le[3]])),
            (b'i', _) => i64::from_le_bytes(le) as f64,
            (b'u', 1) => f64::from(le[0]),
            (b'u', 2) => f64::from(u16::from_le_bytes([le[0], le[1]])),
            (b'u', 4) => f64::from(u32::from_le_bytes([le[0], le[1], le[2], le[3]])),
            (b'u', _) => u64::from_le_bytes(le) as f64,
            (_, 4) => f64::from(f32::from_le_bytes([le[0], le[1], le[2], le[3]])),
            _ => f64::from_le_bytes(le),
        })
    }
}

/// A value of the header's Python literal.
#[derive(Debug)]
enum Literal {
    Str(String),
    /// A non-negative integer; `None` if it does not fit in 64 bits.
    Int(Option<u64>),
    Negative,
    Bool(bool),
    PyNone,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(String, Literal)>),
}

impl Literal {
    fn kind(&self) -> &'static str {
        match self {
            Literal::Str(_) => "a string",
            Literal::Int(_) | Literal::Negative => "an integer",
            Literal::Bool(_) => "a boolean",
            Literal::PyNone => "None",
            Literal::Tuple(_) => "a tuple",
            Literal::List(_) => "a list",
            Literal::Dict(_) => "a dict",
        }
    }
}

/// A recursive-descent parser of the Python literals numpy writes in a
/// header (dicts, tuples, lists, strings, integers, True/False/None).
struct HeaderParser<'t> {
    text: &'t [u8],
    at: usize,
}

impl HeaderParser<'_> {
    fn skip_space(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> std::result::Result<T, String> {
        Err(format!("header: {what} at byte {}", self.at))
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        if self.text.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> std::result::Result<Literal, String> {
        if depth > MAX_DEPTH {
            return self.fail(&format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        self.skip_space();
        let Some(&c) = self.text.get(self.at) else {
            return self.fail("unexpected end");
        };
        match c {
            b'{' => {
                self.at += 1;
                let mut entries = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(Literal::Dict(entries));
                    }
                    let key = match self.value(depth + 1)? {
                        Literal::Str(s) => s,
                        other => return self.fail(&format!("dict key is {}", other.kind())),
                    };
                    if !self.eat(b':') {
                        return self.fail("expected ':'");
                    }
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            return Ok(Literal::Dict(entries));
                        }
                        return self.fail("expected ',' or '}'");
                    }
                }
            }
            b'(' | b'[' => {
                let close = if c == b'(' { b')' } else { b']' };
                self.at += 1;
                let mut items = Vec::new();
                let mut trailing_comma = false;
                loop {
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    trailing_comma = self.eat(b',');
                    if !trailing_comma {
                        if self.eat(close) {
                            break;
                        }
                        return self.fail(&format!("expected ',' or '{}'", close as char));
                    }
                }
                // `(x)` is x in Python; `(x,)` is a tuple.
                if c == b'(' && items.len() == 1 && !trailing_comma {
                    return Ok(items.pop().expect("one item"));
                }
                Ok(if c == b'(' {
                    Literal::Tuple(items)
                } else {
                    Literal::List(items)
                })
            }
            b'\'' | b'"' => {
                self.at += 1;
                let start = self.at;
                while self.at < self.text.len() && self.text[self.at] != c {
                    // An escape: skip the escaped byte too.
                    self.at += if self.text[self.at] == b'\\' { 2 } else { 1 };
                }
                if self.at >= self.text.len() {
                    self.at = self.text.len();
                    return self.fail("unterminated string");
                }
                let s = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
                self.at += 1;
                Ok(Literal::Str(s))
            }
            b'0'..=b'9' | b'-' | b'+' => {
                let negative = c == b'-';
                if c == b'-' || c == b'+' {
                    self.at += 1;
                }
                let start = self.at;
                while self.at < self.text.len() && self.text[self.at].is_ascii_digit() {
                    self.at += 1;
                }
                if self.at == start {
                    return self.fail("expected digits");
                }
                let digits = std::str::from_utf8(&self.text[start..self.at]).expect("ASCII digits");
                // Python 2 wrote longs as 3L.
                if matches!(self.text.get(self.at), Some(b'L' | b'l')) {
                    self.at += 1;
                }
                let value = digits.parse::<u64>().ok();
                if negative && value != Some(0) {
                    Ok(Literal::Negative)
                } else {
                    Ok(Literal::Int(value))
                }
            }
            _ => {
                let start = self.at;
                while self.at < self.text.len() && self.text[self.at].is_ascii_alphanumeric() {
                    self.at += 1;
                }
                match &self.text[start..self.at] {
                    b"True" => Ok(Literal::Bool(true)),
                    b"False" => Ok(Literal::Bool(false)),
                    b"None" => Ok(Literal::PyNone),
                    _ => {
                        self.at = start;
                        self.fail("unexpected character")
                    }
                }
            }
        }
    }
}

/// What the header says: the data's element type, shape and order.
struct Header {
    descr: String,
    element: Element,
    shape: Vec<u64>,
    /// Bytes before the data.
    data_offset: u64,
}

/// Parses the header's dictionary text into a [`Header`] (errors are one
/// line and say what was found).
fn parse_dict(path: &Path, text: &[u8], data_offset: u64) -> Result<Header> {
    let mut parser = HeaderParser { text, at: 0 };
    let dict = parser.value(0).map_err(|e| not_npy(path, e))?;
    parser.skip_space();
    if parser.at != text.len() {
        return Err(not_npy(
            path,
            format!(
                "header: unexpected text after the dict at byte {}",
                parser.at
            ),
        ));
    }
    let Literal::Dict(entries) = dict else {
        return Err(not_npy(
            path,
            format!("header is {}, expected a dict", dict.kind()),
        ));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in entries {
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran,
            "shape" => &mut shape,
            _ => {
                return Err(not_npy(
                    path,
                    format!(
                        "header key {}; expected only descr, fortran_order and shape",
                        quoted(&key)
                    ),
                ))
            }
        };
        if slot.replace(value).is_some() {
            return Err(not_npy(
                path,
                format!("header key {} given twice", quoted(&key)),
            ));
        }
    }
    let missing = |key: &str| not_npy(path, format!("header has no {key}"));
    let descr = match descr.ok_or_else(|| missing("descr"))? {
        Literal::Str(s) => s,
        Literal::List(fields) => {
            return Err(invalid(
                path,
                format!(
                    "structured dtype with {} field{}; expected a plain numeric dtype (bool, int, uint or float)",
                    fields.len(),
                    if fields.len() == 1 { "" } else { "s" }
                ),
            ))
        }
        other => {
            return Err(not_npy(
                path,
                format!("header descr is {}, expected a type string", other.kind()),
            ))
        }
    };
    let fortran = match fortran.ok_or_else(|| missing("fortran_order"))? {
        Literal::Bool(b) => b,
        other => {
            return Err(not_npy(
                path,
                format!(
                    "header fortran_order is {}, expected True or False",
                    other.kind()
                ),
            ))
        }
    };
    let shape = match shape.ok_or_else(|| missing("shape"))? {
        Literal::Tuple(items) | Literal::List(items) => items,
        Literal::Int(_) | Literal::Negative => {
            return Err(not_npy(
                path,
                "header shape is an integer, expected a tuple",
            ))
        }
        other => {
            return Err(not_npy(
                path,
                format!("header shape is {}, expected a tuple", other.kind()),
            ))
        }
    };
    let mut dims = Vec::with_capacity(shape.len());
    for (axis, item) in shape.iter().enumerate() {
        match item {
            Literal::Int(Some(d)) => dims.push(*d),
            Literal::Int(None) => {
                return Err(invalid(
                    path,
                    format!("shape axis {axis} is larger than 2^64 - 1"),
                ))
            }
            Literal::Negative => {
                return Err(invalid(path, format!("shape axis {axis} is negative")))
            }
            other => {
                return Err(not_npy(
                    path,
                    format!(
                        "header shape axis {axis} is {}, expected an integer",
                        other.kind()
                    ),
                ))
            }
        }
    }
    let element = Element::parse(&descr).map_err(|reason| invalid(path, reason))?;
    if fortran && dims.len() > 1 {
        return Err(invalid(path, "array is in Fortran order; expected C order"));
    }
    Ok(Header {
        descr,
        element,
        shape: dims,
        data_offset,
    })
}

/// Reads the magic string, version and header of an open `.npy` file of
/// `len` bytes.
fn read_header(path: &Path, reader: &mut impl Read, len: u64) -> Result<Header> {
    let mut preamble = [0u8; 8];
    let got = read_up_to(path, reader, &mut preamble)?;
    if got < 8 || &preamble[..6] != b"\x93NUMPY" {
        return Err(not_npy(path, "no \\x93NUMPY magic string at the start"));
    }
    let major = preamble[6];
    let length_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Err(not_npy(
                path,
                format!(
                    "format version {major}.{}; expected 1.0, 2.0 or 3.0",
                    preamble[7]
                ),
            ))
        }
    };
    let mut length = [0u8; 4];
    if read_up_to(path, reader, &mut length[..length_bytes])? < length_bytes {
        return Err(not_npy(path, "file ends inside the header length"));
    }
    let header_len = u64::from(u32::from_le_bytes(length));
    let before = 8 + length_bytes as u64;
    let holds = len.saturating_sub(before);
    if header_len > holds {
        return Err(not_npy(
            path,
            format!("header length {header_len} is more than the file holds ({holds} bytes after the {before}-byte preamble)"),
        ));
    }
    if header_len > MAX_HEADER_BYTES {
        return Err(not_npy(
            path,
            format!(
                "header length {header_len} is more than the {MAX_HEADER_BYTES} bytes vrg reads"
            ),
        ));
    }
    let mut text = vec![0u8; header_len as usize];
    if read_up_to(path, reader, &mut text)? < text.len() {
        return Err(not_npy(path, "file ends inside the header"));
    }
    parse_dict(path, &text, before + header_len)
}

/// Reads into `buf` until it is full or the input ends; returns the count.
fn read_up_to(path: &Path, reader: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(filled)
}

/// Reads a C-order `.npy` file of bool, (u)int8–64, float32 or float64.
/// The shape is checked against the file's length and the memory limit
/// ([`super::limits`]) before the values are allocated; bytes after the
/// data are ignored, as numpy does.
pub fn read(path: impl AsRef<Path>) -> Result<NpyArray> {
    let mapped = read_mapped(path, |_| Ok(()), |_, _, v| Ok(v))?;
    Ok(NpyArray {
        shape: mapped.shape,
        values: mapped.values,
        dtype: mapped.dtype,
    })
}

/// What [`read_mapped`] read: the shape, numpy's type string and the
/// mapped values.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedArray<T> {
    pub shape: Vec<usize>,
    pub values: Vec<T>,
    /// numpy's type string as in the file, e.g. `<f4`, `|i1`.
    pub dtype: String,
}

/// Reads a `.npy` file like [`read`], but `check_shape` sees the shape
/// before anything is allocated (its result is handed to `map`), and each
/// value is passed through `map(&checked, index, value)` as it is decoded,
/// so only the mapped values are held: an int8 file of configurations read
/// as `i8` takes one byte per value instead of eight. The memory limit is
/// checked for `size_of::<T>()` bytes per value. An error from either
/// closure stops the reading and is returned as it is.
pub fn read_mapped<S, T>(
    path: impl AsRef<Path>,
    check_shape: impl FnOnce(&[usize]) -> Result<S>,
    mut map: impl FnMut(&S, usize, f64) -> Result<T>,
) -> Result<MappedArray<T>> {
    let path = path.as_ref();
    let (file, len) = limits::open_regular(path)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let header = read_header(path, &mut reader, len)?;
    let element = header.element;
    let what = || format!("shape {} of {}", shape_text(&header.shape), element.name());
    let too_many = || invalid(path, format!("{} has more than 2^128 bytes", what()));
    let count = limits::checked_product(header.shape.iter().map(|&d| u128::from(d)))
        .ok_or_else(too_many)?;
    let data_bytes = count
        .checked_mul(element.size as u128)
        .ok_or_else(too_many)?;
    limits::check_file_holds(
        path,
        what,
        data_bytes,
        len.saturating_sub(header.data_offset),
        header.data_offset,
    )?;
    let shape: Vec<usize> = header.shape.iter().map(|&d| d as usize).collect();
    let checked = check_shape(&shape)?;
    // count ≤ the file's length, so it fits in usize.
    limits::check_memory(path, what, count * std::mem::size_of::<T>().max(1) as u128)?;
    let count = count as usize;
    let mut values = Vec::with_capacity(count);
    let mut chunk = vec![0u8; element.size * (1 << 13)];
    while values.len() < count {
        let n = (count - values.len()).min(1 << 13);
        let bytes = &mut chunk[..n * element.size];
        reader.read_exact(bytes).map_err(|e| Error::io(path, e))?;
        for b in bytes.chunks_exact(element.size) {
            match element.decode(b) {
                Some(v) => {
                    let index = values.len();
                    values.push(map(&checked, index, v)?);
                }
                None => {
                    return Err(invalid(
                        path,
                        format!(
                            "element {} of a bool array is {}, expected 0 or 1",
                            values.len(),
                            b[0]
                        ),
                    ))
                }
            }
        }
    }
    Ok(MappedArray {
        shape,
        values,
        dtype: header.descr,
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
    let expected = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if expected != Some(data.len()) {
        let expected = expected.map_or("more than 2^64".to_string(), |n| n.to_string());
        return Err(Error::ShapeMismatch {
            what: format!("array for {}", path.display()),
            expected: format!("{} = {expected} values", shape_text(shape)),
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

#[cfg(test)]
mod read_mapped_tests {
    use super::*;

    #[test]
    fn values_are_mapped_as_read_and_the_shape_is_checked_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        write_i8(&path, &[2, 3], &[1, -1, 1, 1, 1, -1]).unwrap();
        let mapped = read_mapped(
            &path,
            |shape| Ok(shape[1]),
            |&cols, i, v| Ok((i % cols, v as i8)),
        )
        .unwrap();
        assert_eq!(mapped.shape, vec![2, 3]);
        assert_eq!(mapped.dtype, "|i1");
        assert_eq!(mapped.values[4], (1, 1));
        // A shape refusal comes before any value is mapped.
        let mut mapped_any = false;
        let err = read_mapped(
            &path,
            |_| Err::<(), _>(Error::invalid("shape", "(2, 3)", "a square")),
            |_, _, _| {
                mapped_any = true;
                Ok(0u8)
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("square"), "{err}");
        assert!(!mapped_any);
        // An error from the map stops the reading and is returned as it is.
        let err = read_mapped(
            &path,
            |_| Ok(()),
            |_, i, _| {
                if i == 1 {
                    Err(Error::invalid("value", i, "not the second"))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("not the second"), "{err}");
    }
}
