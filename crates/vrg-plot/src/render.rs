//! The shared machinery: the embedded font, size checks, an RGB canvas drawn
//! on by plotters, PNG encoding and atomic file writes.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::{PlotError, Result, MAX_SIDE, MIN_SIDE};

/// The font family name every figure uses; registered from embedded bytes.
pub(crate) const FONT: &str = "sans-serif";

/// Registers DejaVu Sans (embedded) as [`FONT`], once per process.
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw(
            "the embedded DejaVu Sans font could not be loaded".into(),
        ))
    }
}

/// Checks that `value` (a side of `what`, in pixels) is within
/// [`MIN_SIDE`]`..=`[`MAX_SIDE`].
pub(crate) fn check_side(what: &str, value: u32) -> Result<()> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&value) {
        return Err(PlotError::invalid(format!(
            "{what} is {value} pixels; it must be between {MIN_SIDE} and {MAX_SIDE}"
        )));
    }
    Ok(())
}

/// Allocates a white `width`×`height` RGB canvas, lets `draw` paint on it
/// through a plotters drawing area, and returns the PNG encoding.
///
/// The caller has checked the sizes with [`check_side`].
pub(crate) fn render<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>,
{
    check_side("the image width", width)?;
    check_side("the image height", height)?;
    ensure_font()?;
    let len = width as usize * height as usize * 3;
    let mut pixels = vec![255u8; len];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(PlotError::draw)?;
    }
    encode_png(&pixels, width, height)
}

/// Encodes 8-bit RGB pixels as PNG.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .write_image_data(pixels)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, flushed to disk, then renamed over `path`. A reader sees either
/// the old file or the complete new one, never a partial write; on error the
/// temporary file is removed.
pub fn write_png(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let path = path.as_ref();
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PlotError::Io { path: p, source }
    };
    let name = path.file_name().ok_or_else(|| PlotError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ),
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_png_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        write_png(&path, b"first").unwrap();
        write_png(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.png")]);
    }

    #[test]
    fn write_png_into_a_missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("a.png");
        let err = write_png(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn sizes_outside_the_bounds_are_refused() {
        assert!(check_side("w", MIN_SIDE).is_ok());
        assert!(check_side("w", MAX_SIDE).is_ok());
        let err = check_side("the image width", MAX_SIDE + 1).unwrap_err();
        assert!(err.to_string().contains("the image width"), "{err}");
        assert!(check_side("w", 0).is_err());
    }
}
