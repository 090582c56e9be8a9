//! RBM model files: `.safetensors` (readable by numpy, PyTorch and the
//! `safetensors` Python package) with tensors `W` (n_visible × n_hidden),
//! `b` (visible bias, n_visible) and `c` (hidden bias, n_hidden), all
//! float32, and string metadata: `format` = "vrg-rbm", `format_version`,
//! `visible_units`, `hidden_units`, `n_visible`, `n_hidden`, `epoch`,
//! `train_params` (JSON) and `vrg_version`. A training checkpoint adds the
//! optimiser state and resume records of [`crate::train::checkpoint`];
//! readers that only want the model ignore them.
//!
//! Files are canonical (metadata keys and tensors in name order, see
//! [`crate::io::safetensors`]), so the same model and parameters always
//! give the same bytes. They are written atomically (temporary file, then
//! rename), so a crash mid-write leaves the previous checkpoint intact.
//!
//! Reading checks, before using anything: the file's length against the
//! memory limit, every tensor's offsets against the file, `format` (an RBM
//! file, a DBN file, or a foreign one) and `format_version` (this vrg reads
//! version [`FORMAT_VERSION`]; a newer file is refused by name).
//!
//! The header checks and the layer reader here serve the deep-belief-network
//! files of [`crate::dbn::file`] too, whose layers are RBMs.

use super::{HiddenUnits, Rbm, VisibleUnits};
use crate::dbn::file::DBN_FORMAT;
use crate::error::{quoted, shape_text};
use crate::io::safetensors::{
    self as container, add_metadata, entry, f32_bytes, invalid, metadata_count, metadata_value,
    read_f32, Contents, Tensors,
};
use crate::train::checkpoint::{insert_state, params_json, read_params, read_state};
use crate::train::{TrainParams, TrainState};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The format version written into every model file (RBM or DBN), and the
/// only one read.
pub const FORMAT_VERSION: &str = "1";

/// Format name of RBM files.
pub const RBM_FORMAT: &str = "vrg-rbm";

/// What a model file holds.
#[derive(Clone, Debug)]
pub struct RbmFile {
    pub rbm: Rbm,
    /// The training parameters, if the file was written by training.
    pub params: Option<TrainParams>,
    /// Epochs completed (0 if unknown).
    pub epoch: usize,
    /// The optimiser state, if the file is a checkpoint.
    pub state: Option<TrainState>,
}

/// Writes `rbm` (and, for a checkpoint, `params` and `state`) to `path`.
pub fn save_rbm(
    path: impl AsRef<Path>,
    rbm: &Rbm,
    params: Option<&TrainParams>,
    state: Option<&TrainState>,
) -> Result<()> {
    save_rbm_with_metadata(path, rbm, params, state, &BTreeMap::new())
}

/// [`save_rbm`] with `extra` metadata keys added (the resume records of
/// [`crate::train::checkpoint`]). Errors if an extra key is one the format
/// itself writes.
pub fn save_rbm_with_metadata(
    path: impl AsRef<Path>,
    rbm: &Rbm,
    params: Option<&TrainParams>,
    state: Option<&TrainState>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let mut tensors: Tensors = BTreeMap::new();
    insert_layer(&mut tensors, rbm, ["W", "b", "c"].map(String::from));
    let mut metadata = BTreeMap::from([
        entry("format", RBM_FORMAT),
        entry("format_version", FORMAT_VERSION),
        entry("visible_units", rbm.visible_units().name()),
        entry("hidden_units", rbm.hidden_units().name()),
        entry("n_visible", nv),
        entry("n_hidden", nh),
        entry("epoch", state.map_or(0, |s| s.epochs_done)),
        entry("vrg_version", env!("CARGO_PKG_VERSION")),
    ]);
    if let Some(p) = params {
        metadata.insert("train_params".into(), params_json(p)?);
    }
    if let Some(s) = state {
        insert_state(&mut tensors, s, nv, nh);
    }
    add_metadata(&mut metadata, extra)?;
    container::write(path, &tensors, &metadata)
}

/// Adds `rbm`'s weights, visible and hidden biases as the tensors `names`.
pub(crate) fn insert_layer(tensors: &mut Tensors, rbm: &Rbm, names: [String; 3]) {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let [w, b, c] = names;
    tensors.insert(w, (vec![nv, nh], f32_bytes(rbm.weights())));
    tensors.insert(b, (vec![nv], f32_bytes(rbm.visible_bias())));
    tensors.insert(c, (vec![nh], f32_bytes(rbm.hidden_bias())));
}

/// The number of DBN layers whose weights `W0`, `W1`, … the file holds.
pub(crate) fn layers_present(contents: &Contents<'_>) -> usize {
    (0..contents.tensors.len())
        .take_while(|l| contents.tensors.contains_key(&format!("W{l}")))
        .count()
}

/// What kind of model a file is, for [`Error::WrongFileKind`].
fn describe_kind(contents: &Contents<'_>) -> String {
    match contents.metadata.get("format").map(String::as_str) {
        Some(DBN_FORMAT) => {
            let n = layers_present(contents);
            let layers = if n == 1 { "layer" } else { "layers" };
            format!("a DBN file ({DBN_FORMAT}) with {n} {layers}")
        }
        Some(RBM_FORMAT) => match contents.tensors.get("W").map(|w| &w.shape[..]) {
            Some([nv, nh]) => format!("an RBM model file ({RBM_FORMAT}) of {nv} × {nh} units"),
            _ => format!("an RBM model file ({RBM_FORMAT})"),
        },
        Some(other) => format!("a file of format {}", quoted(other)),
        None => "a .safetensors file without vrg's format metadata".to_string(),
    }
}

/// Checks `format` and `format_version`: `format` must be `expected`
/// (for an RBM, a file without `format` following the layout is accepted)
/// and `format_version` one this vrg reads.
pub(crate) fn check_format(path: &Path, contents: &Contents<'_>, expected: &str) -> Result<()> {
    let format = contents.metadata.get("format");
    match format.map(String::as_str) {
        Some(f) if f == expected => {}
        None if expected == RBM_FORMAT && layers_present(contents) == 0 => return Ok(()),
        _ => {
            return Err(Error::WrongFileKind {
                path: path.to_path_buf(),
                found: describe_kind(contents),
                expected: if expected == RBM_FORMAT {
                    format!("an RBM model file ({RBM_FORMAT})")
                } else {
                    format!("a DBN file ({DBN_FORMAT})")
                },
            })
        }
    }
    let reads = format!("this vrg reads format_version {FORMAT_VERSION}");
    match contents.metadata.get("format_version") {
        None => Err(invalid(
            path,
            format!("metadata format_version is missing; {reads}"),
        )),
        Some(v) if v == FORMAT_VERSION => Ok(()),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n > FORMAT_VERSION.parse::<u64>().expect("a number") => Err(invalid(
                path,
                format!(
                    "metadata format_version = {}: {reads} (the file was written by a newer vrg)",
                    quoted(v)
                ),
            )),
            _ => Err(invalid(
                path,
                format!("metadata format_version = {}: {reads}", quoted(v)),
            )),
        },
    }
}

/// The shape (n_visible, n_hidden) of weight tensor `name`.
pub(crate) fn weight_shape(
    path: &Path,
    contents: &Contents<'_>,
    name: &str,
) -> Result<(usize, usize)> {
    let w = contents
        .tensors
        .get(name)
        .ok_or_else(|| invalid(path, format!("missing tensor `{name}`")))?;
    match w.shape[..] {
        [nv, nh] => Ok((nv, nh)),
        _ => Err(invalid(
            path,
            format!(
                "tensor `{name}` has shape {}, expected (n_visible, n_hidden)",
                shape_text(&w.shape)
            ),
        )),
    }
}

/// A unit type from metadata `key` (`default` when absent).
fn units<T: std::str::FromStr>(
    path: &Path,
    contents: &Contents<'_>,
    key: &str,
    default: Option<T>,
    expected: &str,
) -> Result<T> {
    let value = metadata_value(path, contents, key, |name| {
        name.parse()
            .map_err(|_| format!("metadata {key} = {}: expected {expected}", quoted(name)))
    })?;
    value
        .or(default)
        .ok_or_else(|| invalid(path, format!("missing metadata {key}")))
}

const VISIBLE_KINDS: &str = "bernoulli, spin or gaussian";
const HIDDEN_KINDS: &str = "bernoulli, spin or gaussian";

/// Names the tensors and metadata keys of one layer in a file.
pub(crate) struct LayerKeys<'a> {
    /// The weight, visible-bias and hidden-bias tensors.
    pub tensors: [&'a str; 3],
    /// The metadata keys of the visible and hidden unit types.
    pub units: [&'a str; 2],
    /// The unit types when the metadata does not give them (an error if
    /// `None`).
    pub default_units: Option<(VisibleUnits, HiddenUnits)>,
    /// Put before an error in the parameters themselves (shapes, values).
    pub context: &'a str,
}

/// Reads the `nv × nh` layer named by `keys`: its unit types, then its
/// tensors.
pub(crate) fn read_layer(
    path: &Path,
    contents: &Contents<'_>,
    keys: &LayerKeys<'_>,
    (nv, nh): (usize, usize),
) -> Result<Rbm> {
    let [visible, hidden] = keys.units;
    let (visible_default, hidden_default) = keys.default_units.unzip();
    let visible_units = units(path, contents, visible, visible_default, VISIBLE_KINDS)?;
    let hidden_units = units(path, contents, hidden, hidden_default, HIDDEN_KINDS)?;
    let [w, b, c] = keys.tensors;
    Rbm::from_parameters(
        visible_units,
        hidden_units,
        read_f32(path, contents, w, &[nv, nh])?,
        read_f32(path, contents, b, &[nv])?,
        read_f32(path, contents, c, &[nh])?,
    )
    .map_err(|e| invalid(path, format!("{}{e}", keys.context)))
}

/// Reads a model file written by [`save_rbm`] (or by anyone else who follows
/// the layout: only `W`, `b`, `c` are required; unit types default to
/// Bernoulli when the metadata does not say). A DBN file or another
/// program's file is refused with [`Error::WrongFileKind`].
pub fn load_rbm(path: impl AsRef<Path>) -> Result<RbmFile> {
    let path = path.as_ref();
    let buffer = container::read(path)?;
    let contents = container::parse(path, &buffer)?;
    check_format(path, &contents, RBM_FORMAT)?;
    let (nv, nh) = weight_shape(path, &contents, "W")?;
    for (key, actual, axis) in [("n_visible", nv, "rows"), ("n_hidden", nh, "columns")] {
        if let Some(n) = metadata_count(path, &contents, key)? {
            if n != actual {
                return Err(invalid(
                    path,
                    format!("metadata {key} = {n}, but tensor `W` has {actual} {axis}"),
                ));
            }
        }
    }
    let keys = LayerKeys {
        tensors: ["W", "b", "c"],
        units: ["visible_units", "hidden_units"],
        default_units: Some((VisibleUnits::Bernoulli, HiddenUnits::Bernoulli)),
        context: "",
    };
    let rbm = read_layer(path, &contents, &keys, (nv, nh))?;
    let params = read_params(path, &contents, "train_params")?;
    let epoch = metadata_count(path, &contents, "epoch")?.unwrap_or(0);
    let state = if contents.tensors.contains_key("train.velocity_W") {
        Some(read_state(path, &contents, params.as_ref(), epoch, nv, nh)?)
    } else {
        None
    };
    Ok(RbmFile {
        rbm,
        params,
        epoch,
        state,
    })
}
