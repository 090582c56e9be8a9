//! The bounds every reader checks before it allocates.
//!
//! A size read from a file (an array's shape, an image's width and height,
//! a tensor's offsets) is computed with overflow-checked arithmetic and
//! checked against
//! 1. what the input can hold: the file's length for uncompressed formats,
//!    and for deflate-compressed ones (gzip IDX, PNG) the most a stream of
//!    that length can inflate to ([`DEFLATE_MAX_RATIO`] bytes per byte);
//!    a gzip stream is also read through a limit and must end exactly where
//!    its header says;
//! 2. the memory limit, [`memory_limit`]: the memory the kernel reports as
//!    available (`MemAvailable` in `/proc/meminfo`, or
//!    [`FALLBACK_MAX_BYTES`] where that cannot be read), lowered by the
//!    environment variable `VRG_MAX_BYTES` (bytes, or with a suffix `K`,
//!    `M`, `G`, `T` for powers of 1024, e.g. `VRG_MAX_BYTES=4G`).
//!
//! Only regular files are read: a directory, FIFO, socket or device
//! (`/dev/zero`) is refused by its type before it is opened, so nothing
//! blocks on a FIFO or reads an endless stream.

use crate::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The environment variable that lowers the memory limit.
pub const MAX_BYTES_VAR: &str = "VRG_MAX_BYTES";

/// The memory limit where `/proc/meminfo` cannot be read (64 GiB).
pub const FALLBACK_MAX_BYTES: u64 = 64 << 30;

/// The most output one byte of a deflate stream can produce: a 258-byte
/// match coded in 2 bits (RFC 1951), so 1032 bytes per byte.
pub const DEFLATE_MAX_RATIO: u64 = 1032;

/// Where the memory limit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// `MemAvailable` in `/proc/meminfo`.
    MemAvailable,
    /// [`FALLBACK_MAX_BYTES`]: `/proc/meminfo` could not be read.
    Fallback,
    /// The environment variable [`MAX_BYTES_VAR`].
    Variable,
}

/// The most bytes one reader may allocate for one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    pub bytes: u64,
    pub source: LimitSource,
}

/// A bound that a size declared by a file exceeds (see [`Error::TooLarge`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The file holds `holds` bytes after its `header` bytes.
    File { holds: u64, header: u64 },
    /// A `compressed`-byte deflate stream inflates to at most `at_most` bytes.
    Inflated { compressed: u64, at_most: u128 },
    /// The largest file of this kind vrg reads.
    Format { bytes: u64, kind: &'static str },
    /// The memory limit.
    Memory(MemoryLimit),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Bound::File { holds, header: 0 } => write!(f, "the file holds ({holds} bytes)"),
            Bound::File { holds, header } => write!(
                f,
                "the file holds ({holds} bytes after the {header}-byte header)"
            ),
            Bound::Inflated {
                compressed,
                at_most,
            } => write!(
                f,
                "the {compressed}-byte compressed file can hold (it inflates to at most {at_most} bytes)"
            ),
            Bound::Format { bytes, kind } => {
                write!(f, "the largest {kind} vrg reads ({bytes} bytes)")
            }
            Bound::Memory(MemoryLimit { bytes, source }) => match source {
                LimitSource::MemAvailable => write!(
                    f,
                    "the memory available ({bytes} bytes, MemAvailable in /proc/meminfo)"
                ),
                LimitSource::Fallback => write!(
                    f,
                    "the memory limit ({bytes} bytes; /proc/meminfo is unreadable, \
                     set {MAX_BYTES_VAR} to change it)"
                ),
                LimitSource::Variable => {
                    write!(f, "the memory limit {MAX_BYTES_VAR} ({bytes} bytes)")
                }
            },
        }
    }
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line["MemAvailable:".len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Parses a byte count: digits with an optional suffix `K`, `M`, `G` or `T`
/// (powers of 1024, either case, an optional trailing `B` or `iB`).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let binary = upper.ends_with("IB");
    let number = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match number.as_bytes().last() {
        Some(b'K') => (&number[..number.len() - 1], 10),
        Some(b'M') => (&number[..number.len() - 1], 20),
        Some(b'G') => (&number[..number.len() - 1], 30),
        Some(b'T') => (&number[..number.len() - 1], 40),
        _ if binary => return None,
        _ => (number, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// The memory limit now: the smaller of the memory available and
/// `VRG_MAX_BYTES` (see the module documentation). Errors if
/// `VRG_MAX_BYTES` is set but not a byte count.
pub fn memory_limit() -> Result<MemoryLimit> {
    let base = match mem_available() {
        Some(bytes) => MemoryLimit {
            bytes,
            source: LimitSource::MemAvailable,
        },
        None => MemoryLimit {
            bytes: FALLBACK_MAX_BYTES,
            source: LimitSource::Fallback,
        },
    };
    let Some(value) = std::env::var_os(MAX_BYTES_VAR) else {
        return Ok(base);
    };
    let text = value.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(base);
    }
    let bytes = parse_bytes(&text).ok_or_else(|| Error::InvalidEnvironment {
        name: MAX_BYTES_VAR,
        value: text.to_string(),
        expected: "a number of bytes, optionally with a suffix K, M, G or T (e.g. 4G)".into(),
    })?;
    Ok(if bytes < base.bytes {
        MemoryLimit {
            bytes,
            source: LimitSource::Variable,
        }
    } else {
        base
    })
}

/// The product of `sizes`, or `None` if it overflows 128 bits.
pub fn checked_product(sizes: impl IntoIterator<Item = u128>) -> Option<u128> {
    sizes
        .into_iter()
        .try_fold(1u128, |acc, d| acc.checked_mul(d))
}

/// Fails with [`Error::TooLarge`] unless `needed` bytes fit in the memory
/// limit. `what` describes the data (`shape (3, 4) of float32`).
pub fn check_memory(path: &Path, what: impl FnOnce() -> String, needed: u128) -> Result<()> {
    let limit = memory_limit()?;
    within(
        path,
        what,
        needed,
        u128::from(limit.bytes),
        Bound::Memory(limit),
    )
}

/// Fails with [`Error::TooLarge`] (naming `bound`) unless `needed` ≤
/// `capacity` bytes.
fn within(
    path: &Path,
    what: impl FnOnce() -> String,
    needed: u128,
    capacity: u128,
    bound: Bound,
) -> Result<()> {
    if needed <= capacity {
        Ok(())
    } else {
        Err(Error::TooLarge {
            path: path.to_path_buf(),
            what: what(),
            needed,
            bound,
        })
    }
}

/// Fails with [`Error::TooLarge`] unless `needed` bytes fit in the `holds`
/// bytes that follow a `header`-byte header.
pub fn check_file_holds(
    path: &Path,
    what: impl FnOnce() -> String,
    needed: u128,
    holds: u64,
    header: u64,
) -> Result<()> {
    within(
        path,
        what,
        needed,
        u128::from(holds),
        Bound::File { holds, header },
    )
}

/// The most bytes a `compressed`-byte deflate stream (with its container's
/// headers) can inflate to.
pub fn inflated_at_most(compressed: u64) -> u128 {
    u128::from(compressed) * u128::from(DEFLATE_MAX_RATIO)
}

/// Fails with [`Error::TooLarge`] unless `needed` bytes can come out of a
/// `compressed`-byte deflate-compressed file.
pub fn check_inflated(
    path: &Path,
    what: impl FnOnce() -> String,
    needed: u128,
    compressed: u64,
) -> Result<()> {
    let at_most = inflated_at_most(compressed);
    within(
        path,
        what,
        needed,
        at_most,
        Bound::Inflated {
            compressed,
            at_most,
        },
    )
}

/// What kind of non-regular file `file_type` is, for an error message.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, file_type: std::fs::FileType) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: format!("{}; expected a regular file", kind_of(file_type)),
    }
}

/// Opens a regular file and returns it with its length. A directory, FIFO,
/// socket or device is refused by its type before it is opened (so a FIFO
/// cannot block and `/dev/zero` is never read).
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // The path may have been replaced between the two calls.
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    Ok((file, meta.len()))
}

/// Reads a whole regular file, refusing (before reading) one longer than
/// `max` (with `kind` naming the format in the message, e.g.
/// `experiment file`) or than the memory limit.
pub fn read_regular(path: &Path, max: Option<(u64, &'static str)>) -> Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    if let Some((bytes, kind)) = max {
        if len > bytes {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                what: format!("a {kind} of {len} bytes"),
                needed: u128::from(len),
                bound: Bound::Format { bytes, kind },
            });
        }
    }
    check_memory(path, || "reading the whole file".into(), u128::from(len))?;
    // Within the memory limit, so within the address space.
    let capacity = len as usize;
    let mut bytes = Vec::with_capacity(capacity);
    // A file that grows while it is read stops at its length when opened.
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("1234"), Some(1234));
        assert_eq!(parse_bytes("4G"), Some(4 << 30));
        assert_eq!(parse_bytes("512m"), Some(512 << 20));
        assert_eq!(parse_bytes("2KiB"), Some(2048));
        assert_eq!(parse_bytes("3kb"), Some(3072));
        assert_eq!(parse_bytes("10B"), Some(10));
        for bad in [
            "",
            "G",
            "-1",
            "1.5G",
            "12X",
            "1 G G",
            "99999999999999999999",
            "16777216T",
        ] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn dev_zero_and_directories_are_refused_by_type() {
        let err = open_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/dev/zero") && err.contains("character device"),
            "{err}"
        );
        let err = read_regular(Path::new("/"), None).unwrap_err().to_string();
        assert!(err.contains("a directory"), "{err}");
    }

    #[test]
    fn limits_name_the_bound() {
        let p = Path::new("x.npy");
        let e = check_file_holds(
            p,
            || "shape (9223372036854775807, 2) of float32".into(),
            9223372036854775807u128 * 8,
            1234,
            128,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "x.npy: shape (9223372036854775807, 2) of float32 needs 73786976294838206456 bytes, \
             more than the file holds (1234 bytes after the 128-byte header)"
        );
        let e = check_inflated(p, || "an image".into(), 2_000_000, 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("inflates to at most 10320 bytes"), "{e}");
        let e = check_memory(p, || "everything".into(), u128::MAX)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.npy: everything needs") && e.contains("memory"),
            "{e}"
        );
    }
}
