//! LeCun's IDX format (MNIST), plain or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte, the number of dimensions `d`, then
//! `d` big-endian `u32` sizes, then the values in C order. Only type `0x08`
//! (unsigned byte) is supported, which covers every MNIST file. Compression is
//! detected from the gzip magic `0x1f 0x8b`, not from the file name.

use super::limits;
use crate::error::shape_text;
use crate::{Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// An IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Sizes of the axes, outermost first (e.g. `[60000, 28, 28]`).
    pub shape: Vec<usize>,
    /// The values in C order; `values.len()` is the product of `shape`.
    pub values: Vec<u8>,
}

/// The IDX type byte for unsigned bytes, the only one supported.
pub const TYPE_U8: u8 = 0x08;

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => return None,
    })
}

/// Reads a whole IDX file (plain or gzip-compressed).
pub fn read(path: impl AsRef<Path>) -> Result<IdxArray> {
    read_with_limit(path, None)
}

/// Where the bytes come from: the file's length bounds what a plain file
/// holds and what a gzip file can inflate to.
#[derive(Clone, Copy)]
struct Source {
    len: u64,
    gzipped: bool,
}

/// Reads an IDX file, keeping at most `limit` items along the first axis
/// (all of them for `None`). With a limit only the needed bytes are read and
/// decompressed; without one, bytes after the data are an error.
///
/// The header's sizes are checked before the values are allocated: a plain
/// file must hold them, a gzip file must be long enough to inflate to them
/// (see [`super::limits`]) and they must fit in the memory limit. A gzip
/// stream is read through a limit of the declared size (plus one byte, to
/// find trailing data), and must end exactly there.
pub fn read_with_limit(path: impl AsRef<Path>, limit: Option<usize>) -> Result<IdxArray> {
    let mut sink = Collect(Vec::new());
    let shape = read_into(path.as_ref(), limit, &mut sink)?;
    Ok(IdxArray {
        shape,
        values: sink.0,
    })
}

/// Where [`read_items`] puts the values.
pub trait ItemSink {
    /// Called once, after the header is checked and before any value is
    /// read, with the shape kept (the first axis cut to the limit) and what
    /// the values are (for error messages): the place to check the memory
    /// the sink will need and to allocate it.
    fn begin(&mut self, path: &Path, shape: &[usize], what: &dyn Fn() -> String) -> Result<()>;
    /// The values of the next whole items (along the first axis), in order.
    fn items(&mut self, values: &[u8]) -> Result<()>;
    /// Every piece but the last holds a multiple of this many items.
    fn items_multiple(&self) -> usize {
        1
    }
}

/// Holds every value.
struct Collect(Vec<u8>);

impl ItemSink for Collect {
    fn begin(&mut self, path: &Path, shape: &[usize], what: &dyn Fn() -> String) -> Result<()> {
        let wanted = shape.iter().map(|&d| d as u128).product();
        limits::check_memory(path, what, wanted)?;
        Ok(())
    }

    fn items(&mut self, values: &[u8]) -> Result<()> {
        self.0.extend_from_slice(values);
        Ok(())
    }
}

/// Values handed to an [`ItemSink`] per call of [`read_items`] (whole items,
/// at least one).
const PIECE_BYTES: usize = 1 << 22;

/// Reads an IDX file as [`read_with_limit`] does (same checks, same errors)
/// but hands the values to `sink` a piece of whole items at a time (about
/// 4 MiB) instead of holding them all; returns the shape kept.
pub fn read_items(
    path: impl AsRef<Path>,
    limit: Option<usize>,
    sink: &mut impl ItemSink,
) -> Result<Vec<usize>> {
    read_into(path.as_ref(), limit, sink)
}

fn read_into(path: &Path, limit: Option<usize>, sink: &mut impl ItemSink) -> Result<Vec<usize>> {
    let (file, len) = limits::open_regular(path)?;
    let mut buffered = BufReader::with_capacity(1 << 16, file);
    let head = buffered.fill_buf().map_err(|e| Error::io(path, e))?;
    let gzipped = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let source = Source { len, gzipped };
    if gzipped {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        read_from(path, decoder, limit, source, sink)
    } else {
        read_from(path, buffered, limit, source, sink)
    }
}

/// Reads into `buf` until it is full or the stream ends; returns how many
/// bytes were read. A stream cut short (`UnexpectedEof`) counts as an end.
fn read_fully(path: &Path, reader: &mut impl Read, buf: &mut [u8], gzipped: bool) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(stream_error(path, e, gzipped)),
        }
    }
    Ok(filled)
}

fn stream_error(path: &Path, e: std::io::Error, gzipped: bool) -> Error {
    if gzipped && e.kind() != std::io::ErrorKind::PermissionDenied {
        invalid(path, format!("corrupt gzip data ({e})"))
    } else {
        Error::io(path, e)
    }
}

fn read_from(
    path: &Path,
    mut reader: impl Read,
    limit: Option<usize>,
    source: Source,
    sink: &mut impl ItemSink,
) -> Result<Vec<usize>> {
    let gzipped = source.gzipped;
    let after = if gzipped { " (after gunzip)" } else { "" };
    let mut magic = [0u8; 4];
    let got = read_fully(path, &mut reader, &mut magic, gzipped)?;
    if got < 4 {
        return Err(invalid(
            path,
            format!("truncated IDX header{after}: expected 4 bytes, found {got}"),
        ));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(invalid(
            path,
            format!(
                "bad IDX magic number{after} 0x{:02x} 0x{:02x} 0x{:02x} 0x{:02x}: \
                 expected 0x00 0x00, a type byte and the number of dimensions",
                magic[0], magic[1], magic[2], magic[3]
            ),
        ));
    }
    let type_code = magic[2];
    if type_code != TYPE_U8 {
        let reason = match type_name(type_code) {
            Some(name) => format!(
                "IDX element type 0x{type_code:02x} ({name}) is not supported; \
                 expected 0x08 (unsigned byte)"
            ),
            None => {
                format!("unknown IDX element type 0x{type_code:02x}; expected 0x08 (unsigned byte)")
            }
        };
        return Err(invalid(path, reason));
    }
    let n_dims = magic[3] as usize;
    if n_dims == 0 {
        return Err(invalid(path, "IDX header declares 0 dimensions"));
    }
    let mut dims_bytes = [0u8; 4 * 255];
    let dims_bytes = &mut dims_bytes[..4 * n_dims];
    let got = read_fully(path, &mut reader, dims_bytes, gzipped)?;
    if got < dims_bytes.len() {
        return Err(invalid(
            path,
            format!(
                "truncated IDX header{after}: expected {} bytes, found {}",
                4 + dims_bytes.len(),
                4 + got
            ),
        ));
    }
    let shape: Vec<u64> = dims_bytes
        .chunks_exact(4)
        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    let header = 4 + 4 * n_dims as u64;
    let what = || format!("IDX shape {} of unsigned bytes{after}", shape_text(&shape));
    // At most 255 axes below 2^32 each: the products fit in 128 bits only
    // for few axes, so they are checked.
    let item_size = limits::checked_product(shape[1..].iter().map(|&d| u128::from(d)));
    let total = item_size.and_then(|item| item.checked_mul(u128::from(shape[0])));
    let (Some(item_size), Some(total)) = (item_size, total) else {
        return Err(invalid(
            path,
            format!("{} holds more than 2^128 bytes", what()),
        ));
    };
    let keep_items = limit.map_or(u128::from(shape[0]), |l| {
        (l as u128).min(u128::from(shape[0]))
    });
    let wanted = keep_items * item_size;
    if gzipped {
        limits::check_inflated(path, what, wanted, source.len)?;
    } else {
        let holds = source.len.saturating_sub(header);
        if wanted > u128::from(holds) {
            return Err(invalid(
                path,
                format!(
                    "truncated IDX data: expected {wanted} bytes after the {header}-byte \
                     header (shape {}), found {holds}",
                    shape_text(&shape)
                ),
            ));
        }
    }
    // The file (or what it inflates to) bounds `wanted`, so it fits in
    // usize; the sink checks the memory it needs.
    let mut kept: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    kept[0] = keep_items as usize;
    sink.begin(path, &kept, &what)?;
    let wanted = wanted as usize;
    // Pieces of whole items; the buffer grows with the data read, not with
    // what the header claims.
    let item_size = item_size as usize;
    let multiple = sink.items_multiple().max(1);
    let piece = PIECE_BYTES
        .checked_div(item_size)
        .map_or(0, |items| (items / multiple).max(1) * multiple * item_size);
    let mut buffer = Vec::new();
    let mut read = 0;
    while read < wanted {
        let n = piece.min(wanted - read);
        buffer.resize(n, 0);
        let got = read_fully(path, &mut reader, &mut buffer, gzipped)?;
        read += got;
        if got < n {
            break;
        }
        sink.items(&buffer)?;
    }
    if read < wanted {
        return Err(invalid(
            path,
            format!(
                "truncated IDX data{after}: expected {wanted} bytes after the {header}-byte \
                 header (shape {}), found {}",
                shape_text(&shape),
                read
            ),
        ));
    }
    if limit.is_none() {
        let mut extra = [0u8; 1];
        if read_fully(path, &mut reader, &mut extra, gzipped)? > 0 {
            return Err(invalid(
                path,
                format!(
                    "unexpected bytes after the IDX data{after} (shape {} holds {total} bytes)",
                    shape_text(&shape)
                ),
            ));
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_tiny_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.idx");
        std::fs::write(&p, [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]).unwrap();
        let a = read(&p).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.values, vec![1, 2, 3, 4, 5, 6]);
        let b = read_with_limit(&p, Some(1)).unwrap();
        assert_eq!(b.shape, vec![1, 3]);
        assert_eq!(b.values, vec![1, 2, 3]);
    }

    #[test]
    fn unsupported_type_names_the_byte() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.idx");
        std::fs::write(&p, [0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap();
        let err = read(&p).unwrap_err().to_string();
        assert!(err.contains("f.idx") && err.contains("0x0d"), "{err}");
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.idx");
        std::fs::write(&p, [0, 0, 8, 1, 0, 0, 0, 1, 7, 9]).unwrap();
        let err = read(&p).unwrap_err().to_string();
        assert!(err.contains("after the IDX data"), "{err}");
    }
}
