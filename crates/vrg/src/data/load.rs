//! Reading a [`Dataset`] from `.npy`, IDX or PNG, chosen by content.

use super::preprocess::{
    binarize_byte_rows, check_threshold, row_streams, RowBinarizer, ROWS_PER_STREAM,
};
use super::{binarize, Binarize, Dataset};
use crate::error::shape_text;
use crate::io::{idx, image, limits, npy};
use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options for [`load`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadOptions {
    /// Keep only the first `limit` rows (at least 1).
    pub limit: Option<usize>,
    /// Divide `.npy` values by this (finite, non-zero). Pixel formats are
    /// always scaled by 1/255 and reject it.
    pub scale: Option<f32>,
    /// Binarize after loading.
    pub binarize: Option<Binarize>,
}

impl LoadOptions {
    fn check(&self) -> Result<()> {
        if self.limit == Some(0) {
            return Err(Error::invalid("limit", 0, "at least 1 row"));
        }
        if let Some(s) = self.scale {
            if !s.is_finite() || s == 0.0 {
                return Err(Error::invalid("scale", s, "a finite, non-zero number"));
            }
        }
        Ok(())
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// `v / 255` for every byte.
fn byte_scale() -> [f32; 256] {
    std::array::from_fn(|v| v as f32 / 255.0)
}

enum Format {
    Npy,
    Idx,
    Png,
}

fn sniff(path: &Path) -> Result<Format> {
    let mut head = [0u8; 8];
    let (mut file, _) = limits::open_regular(path)?;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let head = &head[..got];
    if head.starts_with(b"\x93NUMPY") {
        Ok(Format::Npy)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(Format::Png)
    } else if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0, 0]) {
        Ok(Format::Idx)
    } else {
        Err(invalid(
            path,
            "unrecognised file format; expected .npy, IDX (plain or gzip) or PNG",
        ))
    }
}

/// Loads a dataset, choosing the reader from the content (not the name):
/// - `.npy` (bool, integers, floats): 2-D as `(rows, features)`; N-D arrays
///   have their trailing axes flattened (a 3-D `(n, h, w)` array gives
///   `shape_hint = (h, w)`); 1-D arrays are an error. Values are kept as they
///   are, or divided by `options.scale`.
/// - IDX, plain or gzip (MNIST): first axis = rows, pixel bytes ÷ 255.
/// - a PNG file: one row of grey levels in [0, 1].
/// - a directory: its `*.png` files (sorted by name) as rows; all must have
///   the same size.
pub fn load(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    options.check()?;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let format = if meta.is_dir() {
        None
    } else {
        Some(sniff(path)?)
    };
    if options.scale.is_some() && !matches!(format, Some(Format::Npy)) {
        return Err(invalid(
            path,
            "scale applies only to .npy data; IDX and PNG pixels are always divided by 255",
        ));
    }
    // IDX and PNG directories are binarized as they are read (packed, never
    // held as f32); the others after.
    let mut binarized = false;
    let mut data = match format {
        None => {
            binarized = options.binarize.is_some();
            load_png_dir(path, options.limit, options.binarize)?
        }
        Some(Format::Npy) => load_npy(path, options)?,
        Some(Format::Idx) => {
            binarized = options.binarize.is_some();
            load_idx(path, options.limit, options.binarize)?
        }
        Some(Format::Png) => {
            let img = image::read_grey_f32(path)?;
            let mut data = Dataset::new(1, img.height * img.width, img.pixels)?;
            data.shape_hint = Some((img.height, img.width));
            data
        }
    };
    data.source = Some(path.to_path_buf());
    if let Some(how) = options.binarize {
        if !binarized {
            binarize(&mut data, how)?;
        }
        data.pack();
    }
    Ok(data)
}

/// How an N-D array maps onto rows.
struct Layout {
    n_rows: usize,
    n_features: usize,
    shape_hint: Option<(usize, usize)>,
}

/// Rows = first axis, features = the other axes flattened; a 3-D array's
/// trailing axes are the image shape.
fn rows_and_features(path: &Path, shape: &[usize]) -> Result<Layout> {
    if shape.len() < 2 {
        return Err(invalid(
            path,
            format!(
                "array of shape {}: expected at least 2 dimensions (rows × features)",
                shape_text(shape)
            ),
        ));
    }
    let n_features = shape[1..]
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            invalid(
                path,
                format!(
                    "array of shape {}: more than 2^64 features per row",
                    shape_text(shape)
                ),
            )
        })?;
    if shape[0] == 0 || n_features == 0 {
        return Err(invalid(
            path,
            format!("array of shape {} holds no data", shape_text(shape)),
        ));
    }
    Ok(Layout {
        n_rows: shape[0],
        n_features,
        shape_hint: (shape.len() == 3).then(|| (shape[1], shape[2])),
    })
}

/// Fails unless `n_values` f32 values fit in the memory limit.
fn check_f32_memory(path: &Path, shape: &[usize], n_values: usize) -> Result<()> {
    limits::check_memory(
        path,
        || format!("the data of shape {} as float32", shape_text(shape)),
        n_values as u128 * 4,
    )
}

fn load_npy(path: &Path, options: &LoadOptions) -> Result<Dataset> {
    let array = npy::read(path)?;
    let layout = rows_and_features(path, &array.shape)?;
    let n_features = layout.n_features;
    let n_rows = options
        .limit
        .map_or(layout.n_rows, |l| l.min(layout.n_rows));
    let kept = &array.values[..n_rows * n_features];
    check_f32_memory(path, &array.shape, kept.len())?;
    let values: Vec<f32> = match options.scale {
        Some(s) => {
            let s = f64::from(s);
            kept.iter().map(|&v| (v / s) as f32).collect()
        }
        None => kept.iter().map(|&v| v as f32).collect(),
    };
    let mut data = Dataset::new(n_rows, n_features, values)?;
    data.shape_hint = layout.shape_hint;
    Ok(data)
}

/// Fails unless `n_rows` packed rows of `n_features` bits fit in the
/// memory limit.
fn check_packed_memory(
    path: &Path,
    shape: &[usize],
    n_rows: usize,
    n_features: usize,
) -> Result<()> {
    limits::check_memory(
        path,
        || format!("the data of shape {} as bits", shape_text(shape)),
        n_rows as u128 * n_features.div_ceil(64) as u128 * 8,
    )
}

/// IDX pixels binarized into packed rows as they are read, a piece of
/// whole stream chunks at a time ([`binarize_byte_rows`]).
struct PackPixels {
    how: Binarize,
    layout: Option<Layout>,
    words: Vec<u64>,
    streams: Vec<crate::rng::Rng>,
    rows: usize,
}

impl idx::ItemSink for PackPixels {
    fn begin(&mut self, path: &Path, shape: &[usize], _: &dyn Fn() -> String) -> Result<()> {
        let layout = rows_and_features(path, shape)?;
        check_packed_memory(path, shape, layout.n_rows, layout.n_features)?;
        self.words = vec![0u64; layout.n_rows * layout.n_features.div_ceil(64)];
        self.streams = row_streams(self.how, layout.n_rows);
        self.layout = Some(layout);
        Ok(())
    }

    fn items(&mut self, values: &[u8]) -> Result<()> {
        let layout = self.layout.as_ref().expect("begin comes first");
        let (nf, wpr) = (layout.n_features, layout.n_features.div_ceil(64));
        let rows = values.len() / nf;
        debug_assert_eq!(self.rows % ROWS_PER_STREAM, 0);
        binarize_byte_rows(
            self.how,
            nf,
            values,
            &mut self.words[self.rows * wpr..(self.rows + rows) * wpr],
            &mut self.streams[self.rows / ROWS_PER_STREAM..],
        );
        self.rows += rows;
        Ok(())
    }

    fn items_multiple(&self) -> usize {
        ROWS_PER_STREAM
    }
}

fn load_idx(path: &Path, limit: Option<usize>, binarize: Option<Binarize>) -> Result<Dataset> {
    if let Some(how) = binarize {
        if let Binarize::Threshold(threshold) = how {
            check_threshold(threshold)?;
        }
        let mut sink = PackPixels {
            how,
            layout: None,
            words: Vec::new(),
            streams: Vec::new(),
            rows: 0,
        };
        idx::read_items(path, limit, &mut sink)?;
        let layout = sink.layout.expect("a checked header");
        let mut data =
            Dataset::from_packed(layout.n_rows, layout.n_features, sink.words, [0.0, 1.0]);
        data.shape_hint = layout.shape_hint;
        return Ok(data);
    }
    let array = idx::read_with_limit(path, limit)?;
    let layout = rows_and_features(path, &array.shape)?;
    check_f32_memory(path, &array.shape, array.values.len())?;
    let table = byte_scale();
    let values: Vec<f32> = array.values.iter().map(|&b| table[b as usize]).collect();
    let mut data = Dataset::new(layout.n_rows, layout.n_features, values)?;
    data.shape_hint = layout.shape_hint;
    Ok(data)
}

fn load_png_dir(dir: &Path, limit: Option<usize>, binarize: Option<Binarize>) -> Result<Dataset> {
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let is_png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if is_png && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(invalid(dir, "directory holds no .png files"));
    }
    files.sort();
    if let Some(l) = limit {
        files.truncate(l);
    }
    let first = image::read_grey_f32(&files[0])?;
    let (height, width) = (first.height, first.width);
    let total = files.len() as u128 * (height * width) as u128;
    let check_size = |file: &Path, img: &image::GreyImage<f32>| {
        if (img.height, img.width) != (height, width) {
            return Err(invalid(
                file,
                format!(
                    "image is {}×{} but {} is {height}×{width}; all images in {} must have the same size",
                    img.height,
                    img.width,
                    files[0].display(),
                    dir.display()
                ),
            ));
        }
        Ok(())
    };
    if let Some(how) = binarize {
        let shape = [files.len(), height, width];
        check_packed_memory(dir, &shape, files.len(), height * width)?;
        let mut rows = RowBinarizer::new(files.len(), height * width, how)?;
        for (i, file) in files.iter().enumerate() {
            let img = if i == 0 {
                None
            } else {
                Some(image::read_grey_f32(file)?)
            };
            let img = img.as_ref().unwrap_or(&first);
            check_size(file, img)?;
            rows.push(&img.pixels).map_err(|j| {
                invalid(
                    file,
                    format!("pixel {j}: {} is not in [0, 1]", img.pixels[j]),
                )
            })?;
        }
        let mut data = rows.finish();
        data.shape_hint = Some((height, width));
        return Ok(data);
    }
    limits::check_memory(
        dir,
        || {
            format!(
                "{} images of {height}×{width} pixels as float32",
                files.len()
            )
        },
        total * 4,
    )?;
    let mut values = Vec::with_capacity(total as usize);
    values.extend_from_slice(&first.pixels);
    for file in &files[1..] {
        let img = image::read_grey_f32(file)?;
        check_size(file, &img)?;
        values.extend_from_slice(&img.pixels);
    }
    let mut data = Dataset::new(files.len(), height * width, values)?;
    data.shape_hint = Some((height, width));
    Ok(data)
}
