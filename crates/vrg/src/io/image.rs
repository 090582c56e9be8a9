//! PNG images as grey levels (via the `png` crate).
//!
//! Every PNG colour type is read: palette and sub-byte grey are expanded to
//! 8 bits, alpha is ignored, colour becomes luminance
//! Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), and 16-bit samples keep
//! their precision in [`read_grey_f32`] and are rounded in [`read_grey_u8`].

use super::atomic::AtomicFile;
use super::limits;
use crate::{Error, Result};
use png::{BitDepth, ColorType, InterlaceInfo, Transformations};
use std::io::BufReader;
use std::path::Path;

/// A grey image, row-major: pixel (r, c) is `pixels[r * width + c]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GreyImage<T> {
    pub height: usize,
    pub width: usize,
    /// `height × width` grey levels.
    pub pixels: Vec<T>,
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Appends the grey levels of one decoded row (`width` pixels of
/// `channels` samples of `bytes_per_sample` bytes, big-endian) to `out`.
fn push_grey_row(
    row: &[u8],
    width: usize,
    channels: usize,
    bytes_per_sample: usize,
    out: &mut Vec<f32>,
) {
    let pixel_bytes = channels * bytes_per_sample;
    for px in row[..width * pixel_bytes].chunks_exact(pixel_bytes) {
        let sample = |k: usize| -> f32 {
            if bytes_per_sample == 1 {
                px[k] as f32
            } else {
                // 65535 / 257 = 255 exactly.
                u16::from_be_bytes([px[2 * k], px[2 * k + 1]]) as f32 / 257.0
            }
        };
        let grey = if channels < 3 {
            sample(0)
        } else {
            0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2)
        };
        out.push(grey);
    }
}

/// Decodes `path` to grey levels on the 0–255 scale (fractional for colour
/// and 16-bit images).
///
/// Before anything is allocated, the header's width × height is checked
/// against what the file can hold (its image data inflates to at most
/// [`limits::DEFLATE_MAX_RATIO`] bytes per byte) and against the memory
/// limit; the png crate's own allocations are bounded by the same limit.
/// Rows are decoded one at a time, so memory grows with the data actually
/// decoded (an interlaced image is assembled once all its passes decoded).
fn decode(path: &Path) -> Result<GreyImage<f32>> {
    let (file, len) = limits::open_regular(path)?;
    let limit = limits::memory_limit()?;
    let png_limits = png::Limits {
        bytes: usize::try_from(limit.bytes).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(BufReader::new(file), png_limits);
    decoder.set_transformations(Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let not_png = |e: png::DecodingError| invalid(path, format!("not a readable PNG image ({e})"));
    let header = decoder.read_header_info().map_err(not_png)?;
    let (width, height, interlaced) = (header.width, header.height, header.interlaced);
    let bits_per_pixel = header.color_type.samples() as u128 * header.bit_depth as u8 as u128;
    // The filtered rows the image data must inflate to: a filter byte and
    // the packed pixels per row.
    let raw_bytes = u128::from(height) * ((u128::from(width) * bits_per_pixel).div_ceil(8) + 1);
    let what = || format!("a {width}×{height} PNG image");
    limits::check_inflated(path, what, raw_bytes, len)?;
    let mut reader = decoder.read_info().map_err(not_png)?;
    let (color, depth) = reader.output_color_type();
    let channels = match color {
        ColorType::Grayscale => 1,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb => 3,
        ColorType::Rgba => 4,
        ColorType::Indexed => {
            return Err(invalid(path, "palette was not expanded by the PNG decoder"))
        }
    };
    let bytes_per_sample = match depth {
        BitDepth::Eight => 1,
        BitDepth::Sixteen => 2,
        other => {
            return Err(invalid(
                path,
                format!("unexpected bit depth {} after expansion", other as u8),
            ))
        }
    };
    let frame_bytes = reader
        .output_buffer_size()
        .ok_or_else(|| invalid(path, format!("{} is too large to address", what())))?;
    let n_pixels = u128::from(width) * u128::from(height);
    // Grey levels as f32 (and u8 for `read_grey_u8`); an interlaced image
    // also holds its decoded passes and the assembled frame.
    let frame_copies = if interlaced { 2 } else { 0 };
    let needed = 5 * n_pixels + frame_copies * frame_bytes as u128;
    limits::check_memory(path, what, needed)?;
    let (width, height) = (width as usize, height as usize);
    let cannot_decode =
        |e: png::DecodingError| invalid(path, format!("cannot decode PNG image data ({e})"));
    let mut pixels = Vec::new();
    if !interlaced {
        while let Some(row) = reader.next_row().map_err(cannot_decode)? {
            push_grey_row(row.data(), width, channels, bytes_per_sample, &mut pixels);
        }
    } else {
        let mut passes = Vec::new();
        let mut rows = Vec::new();
        while let Some(row) = reader.next_interlaced_row().map_err(cannot_decode)? {
            if let InterlaceInfo::Adam7(info) = row.interlace() {
                rows.push((*info, row.data().len()));
                passes.extend_from_slice(row.data());
            }
        }
        let stride = frame_bytes / height.max(1);
        let mut frame = vec![0u8; frame_bytes];
        let bits = (8 * channels * bytes_per_sample) as u8;
        let mut at = 0;
        for (info, n) in rows {
            png::expand_interlaced_row(&mut frame, stride, &passes[at..at + n], &info, bits);
            at += n;
        }
        drop(passes);
        pixels.reserve_exact(width * height);
        for row in frame.chunks_exact(stride.max(1)).take(height) {
            push_grey_row(row, width, channels, bytes_per_sample, &mut pixels);
        }
    }
    if pixels.len() != width * height {
        return Err(invalid(
            path,
            format!(
                "PNG image data ends after {} of {height} rows",
                pixels.len() / width.max(1)
            ),
        ));
    }
    Ok(GreyImage {
        height,
        width,
        pixels,
    })
}

/// Reads a PNG as grey levels 0–255 (luminance and 16-bit values rounded).
pub fn read_grey_u8(path: impl AsRef<Path>) -> Result<GreyImage<u8>> {
    let image = decode(path.as_ref())?;
    Ok(GreyImage {
        height: image.height,
        width: image.width,
        pixels: image
            .pixels
            .iter()
            .map(|&g| g.round().clamp(0.0, 255.0) as u8)
            .collect(),
    })
}

/// Reads a PNG as grey levels in [0, 1] (the 0–255 level divided by 255;
/// 8-bit grey gives exactly `v as f32 / 255.0`).
pub fn read_grey_f32(path: impl AsRef<Path>) -> Result<GreyImage<f32>> {
    let mut image = decode(path.as_ref())?;
    for g in &mut image.pixels {
        *g = (*g / 255.0).clamp(0.0, 1.0);
    }
    Ok(image)
}

/// Writes an 8-bit grey PNG of `height × width` row-major `pixels`,
/// atomically (nothing appears at `path` unless the whole file was written).
pub fn write_grey_png(
    path: impl AsRef<Path>,
    height: usize,
    width: usize,
    pixels: &[u8],
) -> Result<()> {
    let path = path.as_ref();
    if height.checked_mul(width) != Some(pixels.len()) {
        return Err(Error::ShapeMismatch {
            what: format!("image for {}", path.display()),
            expected: format!("{height}×{width} pixels"),
            found: format!("{} values", pixels.len()),
        });
    }
    if height == 0 || width == 0 || height > u32::MAX as usize || width > u32::MAX as usize {
        return Err(Error::invalid(
            "image size",
            format!("{height}×{width}"),
            "both sides between 1 and 2^32 − 1",
        ));
    }
    let mut file = AtomicFile::create(path)?;
    let to_io = |e: png::EncodingError| Error::io(path, std::io::Error::other(e));
    {
        let mut encoder = png::Encoder::new(&mut file, width as u32, height as u32);
        encoder.set_color(ColorType::Grayscale);
        encoder.set_depth(BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(to_io)?;
        writer.write_image_data(pixels).map_err(to_io)?;
        writer.finish().map_err(to_io)?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.png");
        let pixels: Vec<u8> = (0..12).map(|i| (i * 21) as u8).collect();
        write_grey_png(&p, 3, 4, &pixels).unwrap();
        let back = read_grey_u8(&p).unwrap();
        assert_eq!((back.height, back.width), (3, 4));
        assert_eq!(back.pixels, pixels);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn wrong_length_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.png");
        assert!(write_grey_png(&p, 3, 4, &[0; 11]).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
