//! PNG images as grey levels (via the `png` crate).
//!
//! Every PNG colour type is read: palette and sub-byte grey are expanded to
//! 8 bits, alpha is ignored, colour becomes luminance
//! Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), and 16-bit samples keep
//! their precision in [`read_grey_f32`] and are rounded in [`read_grey_u8`].

use super::atomic::AtomicFile;
use crate::{Error, Result};
use png::{BitDepth, ColorType, Transformations};
use std::fs::File;
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

/// Decodes `path` to grey levels on the 0–255 scale (fractional for colour
/// and 16-bit images).
fn decode(path: &Path) -> Result<GreyImage<f32>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(Transformations::EXPAND);
    let mut reader = decoder
        .read_info()
        .map_err(|e| invalid(path, format!("not a readable PNG image ({e})")))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| invalid(path, "PNG image is too large"))?;
    let mut buf = vec![0u8; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| invalid(path, format!("cannot decode PNG image data ({e})")))?;
    let (height, width) = (frame.height as usize, frame.width as usize);
    let channels = match frame.color_type {
        ColorType::Grayscale => 1,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb => 3,
        ColorType::Rgba => 4,
        ColorType::Indexed => {
            return Err(invalid(path, "palette was not expanded by the PNG decoder"))
        }
    };
    let bytes_per_sample = match frame.bit_depth {
        BitDepth::Eight => 1,
        BitDepth::Sixteen => 2,
        other => {
            return Err(invalid(
                path,
                format!("unexpected bit depth {other:?} after expansion"),
            ))
        }
    };
    let stride = frame.line_size;
    let n_pixels = height * width;
    let mut pixels = Vec::with_capacity(n_pixels);
    let pixel_bytes = channels * bytes_per_sample;
    for row in buf[..stride * height].chunks_exact(stride) {
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
            pixels.push(grey);
        }
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
