//! RBM model files: `.safetensors` (readable by numpy, PyTorch and the
//! `safetensors` Python package) with tensors `W` (n_visible × n_hidden),
//! `b` (visible bias, n_visible) and `c` (hidden bias, n_hidden), all
//! float32, and string metadata: `format` = "vrg-rbm", `format_version`,
//! `visible_units`, `hidden_units`, `n_visible`, `n_hidden`, `epoch`,
//! `train_params` (JSON) and `vrg_version`.
//!
//! A training checkpoint adds the optimiser state as tensors prefixed
//! `train.`: `train.velocity_W`, `train.velocity_b`, `train.velocity_c`,
//! `train.chains` (hidden states of the PCD chains, n_chains × n_hidden) and
//! `train.hidden_activity`; readers that only want the model ignore them.
//!
//! Files are canonical (metadata keys and tensors in name order, see the
//! private `io::safetensors` writer), so the same model and parameters always give
//! the same bytes. They are written atomically (temporary file, then
//! rename), so a crash mid-write leaves the previous checkpoint intact.
//!
//! Reading checks, before using anything: the file's length against the
//! memory limit, every tensor's offsets against the file, `format` (an RBM
//! file, a DBN file, or a foreign one) and `format_version` (this vrg reads
//! version [`FORMAT_VERSION`]; a newer file is refused by name), and for a
//! DBN the layer count in the metadata against the tensors present.
//!
//! # Resume records
//! Checkpoints written by `vrg rbm train` and `vrg dbn train` carry, as
//! extra metadata keys ([`save_rbm_with_metadata`], [`save_dbn_checkpoint`]),
//! what an exact `--resume` checks and restores:
//! - `train_data` (JSON): the data flags as given (with canonical paths)
//!   and a fingerprint of the rows trained on and held out: row and
//!   feature counts and a 64-bit FNV-1a hash of the values' f32 bits after
//!   preprocessing;
//! - `train_log` (JSON): the log the run has written up to this checkpoint:
//!   its line count, the FNV-1a hash of its bytes, and its last line (the
//!   record of the step this checkpoint ends), restored if a kill lost it;
//! - `vrg dbn train` only: `train_plan` (JSON: units per level, unit types,
//!   every layer's training parameters, ln Z settings) and `free_energies`
//!   (JSON list: the free-energy figures of each finished layer).
//!
//! A deep-belief-network checkpoint written while a layer is in training
//! ([`save_dbn_checkpoint`]) holds the finished layers as in [`save_dbn`]
//! plus that layer as tensors `train.W`, `train.b`, `train.c` and its
//! optimiser state `train.velocity_W`, `train.velocity_b`,
//! `train.velocity_c`, `train.chains`, `train.hidden_activity`, with
//! metadata `train.layer` (its index, = `n_layers`), `train.epoch`,
//! `train.visible_units`, `train.hidden_units` and `train.train_params`.
//! `n_layers` counts finished layers only (it is 0 while the first layer
//! trains); readers of the finished stack ([`load_dbn`]) ignore the `train.`
//! entries, and the file written when the last layer finishes has none.

use super::limits;
use super::safetensors::{self as container, Contents, Dtype};
use crate::error::{quoted, shape_text};
use crate::io::atomic::write_bytes;
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::train::{Method, TrainParams, TrainState};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The format version written into every file, and the only one read.
pub const FORMAT_VERSION: &str = "1";

/// Format name of RBM files.
pub const RBM_FORMAT: &str = "vrg-rbm";

/// Format name of deep-belief-network files.
pub const DBN_FORMAT: &str = "vrg-dbn";

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

fn bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

type Tensors = BTreeMap<String, (Vec<usize>, Vec<u8>)>;

fn entry(key: &str, value: impl ToString) -> (String, String) {
    (key.to_string(), value.to_string())
}

fn params_json(params: &TrainParams) -> Result<String> {
    serde_json::to_string(params)
        .map_err(|e| Error::invalid("train_params", e, "serialisable parameters"))
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

/// [`save_rbm`] with `extra` metadata keys added (see the module
/// documentation). Errors if an extra key is one the format itself writes.
pub fn save_rbm_with_metadata(
    path: impl AsRef<Path>,
    rbm: &Rbm,
    params: Option<&TrainParams>,
    state: Option<&TrainState>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let mut tensors: Tensors = BTreeMap::from([
        ("W".into(), (vec![nv, nh], bytes(rbm.weights()))),
        ("b".into(), (vec![nv], bytes(rbm.visible_bias()))),
        ("c".into(), (vec![nh], bytes(rbm.hidden_bias()))),
    ]);
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
        insert_state_tensors(&mut tensors, s, nv, nh);
    }
    add_metadata(&mut metadata, extra)?;
    write_tensors(path, &tensors, &metadata)
}

/// Adds the optimiser state's tensors `train.velocity_W`, `train.velocity_b`,
/// `train.velocity_c`, `train.chains` and `train.hidden_activity`.
fn insert_state_tensors(tensors: &mut Tensors, s: &TrainState, nv: usize, nh: usize) {
    let chains = vec![s.chains.len() / nh.max(1), nh];
    for (name, shape, values) in [
        ("train.velocity_W", vec![nv, nh], &s.velocity_weights),
        ("train.velocity_b", vec![nv], &s.velocity_visible_bias),
        ("train.velocity_c", vec![nh], &s.velocity_hidden_bias),
        ("train.chains", chains, &s.chains),
        ("train.hidden_activity", vec![nh], &s.hidden_activity),
    ] {
        tensors.insert(name.into(), (shape, bytes(values)));
    }
}

/// Adds `extra` to `metadata`; errors on a key the format writes itself.
fn add_metadata(
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
/// records among them).
pub fn read_metadata(path: impl AsRef<Path>) -> Result<BTreeMap<String, String>> {
    let path = path.as_ref();
    let buffer = read_file(path)?;
    Ok(container::parse(path, &buffer)?.metadata)
}

/// Serialises f32 tensors and metadata as canonical `.safetensors` and
/// writes them atomically.
fn write_tensors(
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
    write_bytes(path, &container::serialize(tensors, metadata))
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a model file's bytes (a regular file, no longer than the memory
/// limit) and parses its container.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    limits::read_regular(path, None)
}

/// The number of DBN layers whose weights `W0`, `W1`, … the file holds.
fn layers_present(contents: &Contents<'_>) -> usize {
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
fn check_format(path: &Path, contents: &Contents<'_>, expected: &str) -> Result<()> {
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

/// Reads a float32 (or float64, converted) tensor of the given shape.
fn read_tensor(
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

/// The shape (n_visible, n_hidden) of weight tensor `name`.
fn weight_shape(path: &Path, contents: &Contents<'_>, name: &str) -> Result<(usize, usize)> {
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
    match contents.metadata.get(key) {
        Some(name) => name.parse().map_err(|_| {
            invalid(
                path,
                format!("metadata {key} = {}: expected {expected}", quoted(name)),
            )
        }),
        None => default.ok_or_else(|| invalid(path, format!("missing metadata {key}"))),
    }
}

const VISIBLE_KINDS: &str = "bernoulli, spin or gaussian";
const HIDDEN_KINDS: &str = "bernoulli or spin";

/// Training parameters from metadata `key`, if present.
fn train_params(path: &Path, contents: &Contents<'_>, key: &str) -> Result<Option<TrainParams>> {
    match contents.metadata.get(key) {
        Some(json) => serde_json::from_str::<TrainParams>(json)
            .map(Some)
            .map_err(|e| invalid(path, format!("metadata {key} is not valid ({e})"))),
        None => Ok(None),
    }
}

/// A count from metadata `key`, if present.
fn metadata_count(path: &Path, contents: &Contents<'_>, key: &str) -> Result<Option<usize>> {
    match contents.metadata.get(key) {
        Some(text) => text.parse::<usize>().map(Some).map_err(|_| {
            invalid(
                path,
                format!("metadata {key} = {}: expected a count", quoted(text)),
            )
        }),
        None => Ok(None),
    }
}

/// Reads a model file written by [`save_rbm`] (or by anyone else who follows
/// the layout: only `W`, `b`, `c` are required; unit types default to
/// Bernoulli when the metadata does not say). A DBN file or another
/// program's file is refused with [`Error::WrongFileKind`].
pub fn load_rbm(path: impl AsRef<Path>) -> Result<RbmFile> {
    let path = path.as_ref();
    let buffer = read_file(path)?;
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
    let visible_units = units(
        path,
        &contents,
        "visible_units",
        Some(VisibleUnits::Bernoulli),
        VISIBLE_KINDS,
    )?;
    let hidden_units = units(
        path,
        &contents,
        "hidden_units",
        Some(HiddenUnits::Bernoulli),
        HIDDEN_KINDS,
    )?;
    let rbm = Rbm::from_parameters(
        visible_units,
        hidden_units,
        read_tensor(path, &contents, "W", &[nv, nh])?,
        read_tensor(path, &contents, "b", &[nv])?,
        read_tensor(path, &contents, "c", &[nh])?,
    )
    .map_err(|e| invalid(path, e.to_string()))?;
    let params = train_params(path, &contents, "train_params")?;
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

/// The optimiser state `train.velocity_W`, …, `train.hidden_activity` of a
/// checkpoint of an `nv × nh` layer trained with `params`.
fn read_state(
    path: &Path,
    contents: &Contents<'_>,
    params: Option<&TrainParams>,
    epoch: usize,
    nv: usize,
    nh: usize,
) -> Result<TrainState> {
    {
        let chains_rows = contents
            .tensors
            .get("train.chains")
            .ok_or_else(|| invalid(path, "missing tensor `train.chains`"))?
            .shape
            .first()
            .copied()
            .unwrap_or(0);
        // The chains a resumed trainer would start are the tensor's rows,
        // never a count from the metadata alone.
        if let Some(p) = params {
            let (method, expected) = match p.method {
                Method::Pcd => ("PCD", p.n_chains()),
                Method::Cd => ("CD", 0),
            };
            if chains_rows != expected {
                return Err(invalid(
                    path,
                    format!(
                        "metadata train_params asks for {expected} persistent chains ({method}), \
                         but tensor `train.chains` has {chains_rows} rows"
                    ),
                ));
            }
        }
        Ok(TrainState {
            epochs_done: epoch,
            velocity_weights: read_tensor(path, contents, "train.velocity_W", &[nv, nh])?,
            velocity_visible_bias: read_tensor(path, contents, "train.velocity_b", &[nv])?,
            velocity_hidden_bias: read_tensor(path, contents, "train.velocity_c", &[nh])?,
            chains: read_tensor(path, contents, "train.chains", &[chains_rows, nh])?,
            hidden_activity: read_tensor(path, contents, "train.hidden_activity", &[nh])?,
        })
    }
}

/// Writes a [`Dbn`](crate::dbn::Dbn) as one `.safetensors` file, atomically:
/// tensors `W0`, `b0`, `c0`, `W1`, … (layer l's weights, visible and
/// hidden biases, f32) and metadata `format` = "vrg-dbn",
/// `format_version`, `n_layers`, `sizes` (comma-separated units per level),
/// `visible_units_l`, `hidden_units_l`, and `train_params_l` (JSON) for
/// each layer whose parameters are given.
pub fn save_dbn(
    path: impl AsRef<Path>,
    dbn: &crate::dbn::Dbn,
    params: &[Option<TrainParams>],
) -> Result<()> {
    save_dbn_checkpoint(path, dbn.layers(), params, None, &BTreeMap::new())
}

/// The layer in training when a [`save_dbn_checkpoint`] is written.
#[derive(Clone, Copy, Debug)]
pub struct LayerInProgress<'a> {
    pub rbm: &'a Rbm,
    pub params: &'a TrainParams,
    pub state: &'a TrainState,
}

/// A deep-belief-network checkpoint: the finished `layers` (bottom first;
/// none while the first layer trains) as [`save_dbn`] writes them, the
/// layer in training, if any, as `train.` tensors and metadata, and `extra`
/// metadata keys (see the module documentation). Errors if the layers do
/// not chain or an extra key is one the format writes itself.
pub fn save_dbn_checkpoint(
    path: impl AsRef<Path>,
    layers: &[Rbm],
    params: &[Option<TrainParams>],
    in_progress: Option<LayerInProgress<'_>>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    if !layers.is_empty() {
        crate::dbn::Dbn::new(layers.to_vec())?;
    }
    let mut tensors: Tensors = BTreeMap::new();
    let sizes: Vec<String> = layers
        .first()
        .or(in_progress.map(|p| p.rbm))
        .map(Rbm::n_visible)
        .into_iter()
        .chain(layers.iter().map(Rbm::n_hidden))
        .map(|n| n.to_string())
        .collect();
    let mut metadata = BTreeMap::from([
        entry("format", DBN_FORMAT),
        entry("format_version", FORMAT_VERSION),
        entry("n_layers", layers.len()),
        entry("sizes", sizes.join(",")),
        entry("vrg_version", env!("CARGO_PKG_VERSION")),
    ]);
    for (l, rbm) in layers.iter().enumerate() {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        tensors.insert(format!("W{l}"), (vec![nv, nh], bytes(rbm.weights())));
        tensors.insert(format!("b{l}"), (vec![nv], bytes(rbm.visible_bias())));
        tensors.insert(format!("c{l}"), (vec![nh], bytes(rbm.hidden_bias())));
        metadata.insert(
            format!("visible_units_{l}"),
            rbm.visible_units().name().into(),
        );
        metadata.insert(
            format!("hidden_units_{l}"),
            rbm.hidden_units().name().into(),
        );
        if let Some(Some(p)) = params.get(l) {
            metadata.insert(format!("train_params_{l}"), params_json(p)?);
        }
    }
    if let Some(p) = in_progress {
        let rbm = p.rbm;
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        if let Some(top) = layers.last() {
            if top.n_hidden() != nv {
                return Err(Error::ShapeMismatch {
                    what: "visible units of the layer in training".into(),
                    expected: format!("{} (the top layer's hidden units)", top.n_hidden()),
                    found: nv.to_string(),
                });
            }
        }
        tensors.insert("train.W".into(), (vec![nv, nh], bytes(rbm.weights())));
        tensors.insert("train.b".into(), (vec![nv], bytes(rbm.visible_bias())));
        tensors.insert("train.c".into(), (vec![nh], bytes(rbm.hidden_bias())));
        insert_state_tensors(&mut tensors, p.state, nv, nh);
        for (key, value) in [
            ("train.layer", layers.len().to_string()),
            ("train.epoch", p.state.epochs_done.to_string()),
            ("train.visible_units", rbm.visible_units().name().into()),
            ("train.hidden_units", rbm.hidden_units().name().into()),
            ("train.train_params", params_json(p.params)?),
        ] {
            metadata.insert(key.to_string(), value);
        }
    }
    add_metadata(&mut metadata, extra)?;
    write_tensors(path, &tensors, &metadata)
}

/// A deep belief network read back from [`save_dbn`]'s file, with each
/// layer's training parameters where the file has them.
#[derive(Clone, Debug)]
pub struct DbnFile {
    pub dbn: crate::dbn::Dbn,
    pub params: Vec<Option<TrainParams>>,
}

/// Reads a file written by [`save_dbn`]. Errors name the file and what is
/// wrong (not a DBN file, a format version this vrg does not read, a layer
/// count that disagrees with the tensors, a missing tensor or metadata key,
/// shapes that do not chain, non-finite values).
pub fn load_dbn(path: impl AsRef<Path>) -> Result<DbnFile> {
    let path = path.as_ref();
    let buffer = read_file(path)?;
    let contents = container::parse(path, &buffer)?;
    check_format(path, &contents, DBN_FORMAT)?;
    // The layers are the tensors present; the metadata must agree, and is
    // never used to size anything.
    let n_layers = layers_present(&contents);
    if n_layers == 0 && contents.metadata.contains_key("train.layer") {
        return Err(invalid(
            path,
            "a checkpoint of `vrg dbn train` with no finished layer yet (the first is in training); continue it with --resume",
        ));
    }
    match metadata_count(path, &contents, "n_layers")? {
        None => return Err(invalid(path, "missing metadata n_layers")),
        Some(n) if n != n_layers || n == 0 => {
            let holds = match n_layers {
                0 => "no layers (no tensor `W0`)".to_string(),
                1 => "1 layer (tensor `W0`)".to_string(),
                k => format!("{k} layers (tensors `W0` to `W{}`)", k - 1),
            };
            return Err(invalid(
                path,
                format!("metadata n_layers = {n}, but the file holds {holds}"),
            ));
        }
        Some(_) => {}
    }
    let mut layers = Vec::with_capacity(n_layers);
    let mut params = Vec::with_capacity(n_layers);
    for l in 0..n_layers {
        let name = format!("W{l}");
        let (nv, nh) = weight_shape(path, &contents, &name)?;
        let visible_units: VisibleUnits = units(
            path,
            &contents,
            &format!("visible_units_{l}"),
            None,
            VISIBLE_KINDS,
        )?;
        let hidden_units: HiddenUnits = units(
            path,
            &contents,
            &format!("hidden_units_{l}"),
            None,
            HIDDEN_KINDS,
        )?;
        let rbm = Rbm::from_parameters(
            visible_units,
            hidden_units,
            read_tensor(path, &contents, &name, &[nv, nh])?,
            read_tensor(path, &contents, &format!("b{l}"), &[nv])?,
            read_tensor(path, &contents, &format!("c{l}"), &[nh])?,
        )
        .map_err(|e| invalid(path, format!("layer {l}: {e}")))?;
        layers.push(rbm);
        params.push(train_params(path, &contents, &format!("train_params_{l}"))?);
    }
    let dbn = crate::dbn::Dbn::new(layers).map_err(|e| invalid(path, e.to_string()))?;
    if let Some(sizes) = contents.metadata.get("sizes") {
        let actual: Vec<String> = dbn.sizes().iter().map(|n| n.to_string()).collect();
        if *sizes != actual.join(",") {
            return Err(invalid(
                path,
                format!(
                    "metadata sizes = {}, but the tensors give {}",
                    quoted(sizes),
                    actual.join(",")
                ),
            ));
        }
    }
    Ok(DbnFile { dbn, params })
}

/// A deep-belief-network checkpoint read back from [`save_dbn_checkpoint`]
/// (or a finished file from [`save_dbn`]).
#[derive(Clone, Debug)]
pub struct DbnCheckpoint {
    /// The finished layers, bottom first (none while the first layer trains).
    pub layers: Vec<Rbm>,
    /// Their training parameters, where the file has them.
    pub params: Vec<Option<TrainParams>>,
    /// The layer in training (layer `layers.len()`), with its parameters,
    /// epochs done and optimiser state.
    pub in_progress: Option<RbmFile>,
    /// Every metadata key and value (the resume records among them).
    pub metadata: BTreeMap<String, String>,
}

/// Reads a checkpoint written by [`save_dbn_checkpoint`]. Errors name the
/// file and what is wrong (not a DBN file, no layers at all, a missing
/// tensor or key, shapes that do not chain, non-finite values).
pub fn load_dbn_checkpoint(path: impl AsRef<Path>) -> Result<DbnCheckpoint> {
    let path = path.as_ref();
    let buffer = read_file(path)?;
    let contents = container::parse(path, &buffer)?;
    check_format(path, &contents, DBN_FORMAT)?;
    let n_layers = metadata_count(path, &contents, "n_layers")?
        .ok_or_else(|| invalid(path, "missing metadata n_layers"))?;
    let (layers, params) = if n_layers > 0 {
        let DbnFile { dbn, params } = load_dbn(path)?;
        (dbn.layers().to_vec(), params)
    } else {
        (Vec::new(), Vec::new())
    };
    let in_progress = match contents.metadata.get("train.layer") {
        None => None,
        Some(layer) => {
            if layer.parse::<usize>().ok() != Some(n_layers) {
                return Err(invalid(
                    path,
                    format!(
                        "metadata train.layer = {}, expected {n_layers} (n_layers)",
                        quoted(layer)
                    ),
                ));
            }
            Some(read_layer_in_progress(path, &contents, &layers)?)
        }
    };
    if layers.is_empty() && in_progress.is_none() {
        return Err(invalid(path, "no finished layer and no layer in training"));
    }
    Ok(DbnCheckpoint {
        layers,
        params,
        in_progress,
        metadata: contents.metadata,
    })
}

/// The `train.` layer of a DBN checkpoint, above the finished `layers`.
fn read_layer_in_progress(path: &Path, contents: &Contents<'_>, layers: &[Rbm]) -> Result<RbmFile> {
    let (nv, nh) = weight_shape(path, contents, "train.W")?;
    let visible_units: VisibleUnits =
        units(path, contents, "train.visible_units", None, VISIBLE_KINDS)?;
    let hidden_units: HiddenUnits =
        units(path, contents, "train.hidden_units", None, HIDDEN_KINDS)?;
    let rbm = Rbm::from_parameters(
        visible_units,
        hidden_units,
        read_tensor(path, contents, "train.W", &[nv, nh])?,
        read_tensor(path, contents, "train.b", &[nv])?,
        read_tensor(path, contents, "train.c", &[nh])?,
    )
    .map_err(|e| invalid(path, format!("layer in training: {e}")))?;
    if !layers.is_empty() {
        let mut stack = layers.to_vec();
        stack.push(rbm.clone());
        crate::dbn::Dbn::new(stack)
            .map_err(|e| invalid(path, format!("layer in training: {e}")))?;
    }
    let params = train_params(path, contents, "train.train_params")?
        .ok_or_else(|| invalid(path, "missing metadata train.train_params"))?;
    let epoch = metadata_count(path, contents, "train.epoch")?
        .ok_or_else(|| invalid(path, "missing metadata train.epoch"))?;
    let state = read_state(path, contents, Some(&params), epoch, nv, nh)?;
    Ok(RbmFile {
        rbm,
        params: Some(params),
        epoch,
        state: Some(state),
    })
}
