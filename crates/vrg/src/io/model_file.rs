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
//! Files are written atomically (temporary file, then rename), so a crash
//! mid-write leaves the previous checkpoint intact.
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

use crate::io::atomic::write_bytes;
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::train::{TrainParams, TrainState};
use crate::{Error, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The format version written into every file.
pub const FORMAT_VERSION: &str = "1";

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
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = vec![
        ("W".into(), vec![nv, nh], bytes(rbm.weights())),
        ("b".into(), vec![nv], bytes(rbm.visible_bias())),
        ("c".into(), vec![nh], bytes(rbm.hidden_bias())),
    ];
    let mut metadata = HashMap::from([
        ("format".to_string(), "vrg-rbm".to_string()),
        ("format_version".to_string(), FORMAT_VERSION.to_string()),
        (
            "visible_units".to_string(),
            rbm.visible_units().name().to_string(),
        ),
        (
            "hidden_units".to_string(),
            rbm.hidden_units().name().to_string(),
        ),
        ("n_visible".to_string(), nv.to_string()),
        ("n_hidden".to_string(), nh.to_string()),
        (
            "epoch".to_string(),
            state.map_or(0, |s| s.epochs_done).to_string(),
        ),
        (
            "vrg_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ]);
    if let Some(p) = params {
        let json = serde_json::to_string(p)
            .map_err(|e| Error::invalid("train_params", e, "serialisable parameters"))?;
        metadata.insert("train_params".into(), json);
    }
    if let Some(s) = state {
        push_state_tensors(&mut tensors, s, nv, nh);
    }
    add_metadata(&mut metadata, extra)?;
    write_tensors(path, &tensors, metadata)
}

/// Adds the optimiser state's tensors `train.velocity_W`, `train.velocity_b`,
/// `train.velocity_c`, `train.chains` and `train.hidden_activity`.
fn push_state_tensors(
    tensors: &mut Vec<(String, Vec<usize>, Vec<u8>)>,
    s: &TrainState,
    nv: usize,
    nh: usize,
) {
    tensors.push((
        "train.velocity_W".into(),
        vec![nv, nh],
        bytes(&s.velocity_weights),
    ));
    tensors.push((
        "train.velocity_b".into(),
        vec![nv],
        bytes(&s.velocity_visible_bias),
    ));
    tensors.push((
        "train.velocity_c".into(),
        vec![nh],
        bytes(&s.velocity_hidden_bias),
    ));
    tensors.push((
        "train.chains".into(),
        vec![s.chains.len() / nh.max(1), nh],
        bytes(&s.chains),
    ));
    tensors.push((
        "train.hidden_activity".into(),
        vec![nh],
        bytes(&s.hidden_activity),
    ));
}

/// Adds `extra` to `metadata`; errors on a key the format writes itself.
fn add_metadata(
    metadata: &mut HashMap<String, String>,
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
    let buffer = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, metadata) = parse(path, &buffer)?;
    Ok(metadata.into_iter().collect())
}

/// Serialises f32 tensors (name, shape, little-endian bytes) and metadata
/// as `.safetensors` and writes them atomically.
fn write_tensors(
    path: &Path,
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    metadata: HashMap<String, String>,
) -> Result<()> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, shape, data)| {
            let view =
                TensorView::new(Dtype::F32, shape.clone(), data).expect("shape matches data");
            (name.clone(), view)
        })
        .collect();
    let buffer = safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::invalid("model", e, "a serialisable model"))?;
    write_bytes(path, &buffer)
}

/// The tensors and metadata of a `.safetensors` file's bytes.
fn parse<'b>(path: &Path, buffer: &'b [u8]) -> Result<(SafeTensors<'b>, HashMap<String, String>)> {
    let file = SafeTensors::deserialize(buffer)
        .map_err(|e| invalid(path, format!("not a valid .safetensors file ({e})")))?;
    let (_, header) = SafeTensors::read_metadata(buffer)
        .map_err(|e| invalid(path, format!("unreadable header ({e})")))?;
    Ok((file, header.metadata().clone().unwrap_or_default()))
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a float32 (or float64, converted) tensor of the given shape.
fn read_tensor(
    path: &Path,
    file: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>> {
    let view = file
        .tensor(name)
        .map_err(|_| invalid(path, format!("missing tensor `{name}`")))?;
    if view.shape() != shape {
        return Err(invalid(
            path,
            format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                view.shape()
            ),
        ));
    }
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        other => {
            return Err(invalid(
                path,
                format!("tensor `{name}` has dtype {other:?}, expected F32 or F64"),
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

/// Reads a model file written by [`save_rbm`] (or by anyone else who follows
/// the layout: only `W`, `b`, `c` are required; unit types default to
/// Bernoulli when the metadata does not say).
pub fn load_rbm(path: impl AsRef<Path>) -> Result<RbmFile> {
    let path = path.as_ref();
    let buffer = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (file, metadata) = parse(path, &buffer)?;
    let w = file
        .tensor("W")
        .map_err(|_| invalid(path, "missing tensor `W`"))?;
    let [nv, nh] = w.shape()[..] else {
        return Err(invalid(
            path,
            format!(
                "tensor `W` has shape {:?}, expected [n_visible, n_hidden]",
                w.shape()
            ),
        ));
    };
    let visible_units: VisibleUnits = match metadata.get("visible_units") {
        Some(name) => name
            .parse()
            .map_err(|e: Error| invalid(path, format!("metadata visible_units: {e}")))?,
        None => VisibleUnits::Bernoulli,
    };
    let hidden_units: HiddenUnits = match metadata.get("hidden_units") {
        Some(name) => name
            .parse()
            .map_err(|e: Error| invalid(path, format!("metadata hidden_units: {e}")))?,
        None => HiddenUnits::Bernoulli,
    };
    let rbm = Rbm::from_parameters(
        visible_units,
        hidden_units,
        read_tensor(path, &file, "W", &[nv, nh])?,
        read_tensor(path, &file, "b", &[nv])?,
        read_tensor(path, &file, "c", &[nh])?,
    )
    .map_err(|e| invalid(path, e.to_string()))?;
    let params = match metadata.get("train_params") {
        Some(json) => Some(
            serde_json::from_str::<TrainParams>(json)
                .map_err(|e| invalid(path, format!("metadata train_params is not valid ({e})")))?,
        ),
        None => None,
    };
    let epoch = match metadata.get("epoch") {
        Some(e) => e
            .parse::<usize>()
            .map_err(|_| invalid(path, format!("metadata epoch = {e:?} is not a count")))?,
        None => 0,
    };
    let state = if file.names().contains(&"train.velocity_W") {
        let chains_rows = file
            .tensor("train.chains")
            .map_err(|_| invalid(path, "missing tensor `train.chains`"))?
            .shape()
            .first()
            .copied()
            .unwrap_or(0);
        Some(TrainState {
            epochs_done: epoch,
            velocity_weights: read_tensor(path, &file, "train.velocity_W", &[nv, nh])?,
            velocity_visible_bias: read_tensor(path, &file, "train.velocity_b", &[nv])?,
            velocity_hidden_bias: read_tensor(path, &file, "train.velocity_c", &[nh])?,
            chains: read_tensor(path, &file, "train.chains", &[chains_rows, nh])?,
            hidden_activity: read_tensor(path, &file, "train.hidden_activity", &[nh])?,
        })
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

/// Format name and version of deep-belief-network files.
pub const DBN_FORMAT: &str = "vrg-dbn";

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
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let sizes: Vec<String> = layers
        .first()
        .or(in_progress.map(|p| p.rbm))
        .map(Rbm::n_visible)
        .into_iter()
        .chain(layers.iter().map(Rbm::n_hidden))
        .map(|n| n.to_string())
        .collect();
    let mut metadata = HashMap::from([
        ("format".to_string(), DBN_FORMAT.to_string()),
        ("format_version".to_string(), FORMAT_VERSION.to_string()),
        ("n_layers".to_string(), layers.len().to_string()),
        ("sizes".to_string(), sizes.join(",")),
        (
            "vrg_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ]);
    for (l, rbm) in layers.iter().enumerate() {
        let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
        tensors.push((format!("W{l}"), vec![nv, nh], bytes(rbm.weights())));
        tensors.push((format!("b{l}"), vec![nv], bytes(rbm.visible_bias())));
        tensors.push((format!("c{l}"), vec![nh], bytes(rbm.hidden_bias())));
        metadata.insert(
            format!("visible_units_{l}"),
            rbm.visible_units().name().into(),
        );
        metadata.insert(
            format!("hidden_units_{l}"),
            rbm.hidden_units().name().into(),
        );
        if let Some(Some(p)) = params.get(l) {
            let json = serde_json::to_string(p)
                .map_err(|e| Error::invalid("train_params", e, "serialisable parameters"))?;
            metadata.insert(format!("train_params_{l}"), json);
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
        tensors.push(("train.W".into(), vec![nv, nh], bytes(rbm.weights())));
        tensors.push(("train.b".into(), vec![nv], bytes(rbm.visible_bias())));
        tensors.push(("train.c".into(), vec![nh], bytes(rbm.hidden_bias())));
        push_state_tensors(&mut tensors, p.state, nv, nh);
        let json = serde_json::to_string(p.params)
            .map_err(|e| Error::invalid("train_params", e, "serialisable parameters"))?;
        for (key, value) in [
            ("train.layer", layers.len().to_string()),
            ("train.epoch", p.state.epochs_done.to_string()),
            ("train.visible_units", rbm.visible_units().name().into()),
            ("train.hidden_units", rbm.hidden_units().name().into()),
            ("train.train_params", json),
        ] {
            metadata.insert(key.to_string(), value);
        }
    }
    add_metadata(&mut metadata, extra)?;
    write_tensors(path, &tensors, metadata)
}

/// A deep belief network read back from [`save_dbn`]'s file, with each
/// layer's training parameters where the file has them.
#[derive(Clone, Debug)]
pub struct DbnFile {
    pub dbn: crate::dbn::Dbn,
    pub params: Vec<Option<TrainParams>>,
}

/// Reads a file written by [`save_dbn`]. Errors name the file and what is
/// wrong (not a DBN file, a missing tensor or metadata key, shapes that do
/// not chain, non-finite values).
pub fn load_dbn(path: impl AsRef<Path>) -> Result<DbnFile> {
    let path = path.as_ref();
    let buffer = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (file, metadata) = parse(path, &buffer)?;
    match metadata.get("format") {
        Some(f) if f == DBN_FORMAT => {}
        Some(f) => {
            return Err(invalid(
                path,
                format!("a {f} file, expected a {DBN_FORMAT} file (a deep belief network)"),
            ))
        }
        None => {
            return Err(invalid(
                path,
                "no `format` in the metadata: not a vrg-dbn file",
            ))
        }
    }
    let n_layers: usize = metadata
        .get("n_layers")
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| invalid(path, "metadata n_layers is missing or not a positive count"))?;
    let mut layers = Vec::with_capacity(n_layers);
    let mut params = Vec::with_capacity(n_layers);
    for l in 0..n_layers {
        let name = format!("W{l}");
        let w = file
            .tensor(&name)
            .map_err(|_| invalid(path, format!("missing tensor `{name}`")))?;
        let [nv, nh] = w.shape()[..] else {
            return Err(invalid(
                path,
                format!(
                    "tensor `{name}` has shape {:?}, expected [n_visible, n_hidden]",
                    w.shape()
                ),
            ));
        };
        let units = |key: String| {
            metadata
                .get(&key)
                .cloned()
                .ok_or_else(|| invalid(path, format!("missing metadata {key}")))
        };
        let visible_units: VisibleUnits = units(format!("visible_units_{l}"))?
            .parse()
            .map_err(|e: Error| invalid(path, format!("metadata visible_units_{l}: {e}")))?;
        let hidden_units: HiddenUnits = units(format!("hidden_units_{l}"))?
            .parse()
            .map_err(|e: Error| invalid(path, format!("metadata hidden_units_{l}: {e}")))?;
        let rbm = Rbm::from_parameters(
            visible_units,
            hidden_units,
            read_tensor(path, &file, &name, &[nv, nh])?,
            read_tensor(path, &file, &format!("b{l}"), &[nv])?,
            read_tensor(path, &file, &format!("c{l}"), &[nh])?,
        )
        .map_err(|e| invalid(path, format!("layer {l}: {e}")))?;
        layers.push(rbm);
        params.push(match metadata.get(&format!("train_params_{l}")) {
            Some(json) => Some(serde_json::from_str::<TrainParams>(json).map_err(|e| {
                invalid(
                    path,
                    format!("metadata train_params_{l} is not valid ({e})"),
                )
            })?),
            None => None,
        });
    }
    let dbn = crate::dbn::Dbn::new(layers).map_err(|e| invalid(path, e.to_string()))?;
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
    let buffer = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (file, metadata) = parse(path, &buffer)?;
    if metadata.get("format").map(String::as_str) != Some(DBN_FORMAT) {
        // load_dbn says what the file is instead.
        load_dbn(path)?;
    }
    let n_layers: usize = metadata
        .get("n_layers")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| invalid(path, "metadata n_layers is missing or not a count"))?;
    let (layers, params) = if n_layers > 0 {
        let DbnFile { dbn, params } = load_dbn(path)?;
        (dbn.layers().to_vec(), params)
    } else {
        (Vec::new(), Vec::new())
    };
    let in_progress = match metadata.get("train.layer") {
        None => None,
        Some(layer) => {
            if layer.parse::<usize>().ok() != Some(n_layers) {
                return Err(invalid(
                    path,
                    format!("metadata train.layer = {layer:?}, expected {n_layers} (n_layers)"),
                ));
            }
            Some(read_layer_in_progress(path, &file, &metadata, &layers)?)
        }
    };
    if layers.is_empty() && in_progress.is_none() {
        return Err(invalid(path, "no finished layer and no layer in training"));
    }
    Ok(DbnCheckpoint {
        layers,
        params,
        in_progress,
        metadata: metadata.into_iter().collect(),
    })
}

/// The `train.` layer of a DBN checkpoint, above the finished `layers`.
fn read_layer_in_progress(
    path: &Path,
    file: &SafeTensors<'_>,
    metadata: &HashMap<String, String>,
    layers: &[Rbm],
) -> Result<RbmFile> {
    let key = |k: &str| {
        metadata
            .get(k)
            .ok_or_else(|| invalid(path, format!("missing metadata {k}")))
    };
    let w = file
        .tensor("train.W")
        .map_err(|_| invalid(path, "missing tensor `train.W`"))?;
    let [nv, nh] = w.shape()[..] else {
        return Err(invalid(
            path,
            format!(
                "tensor `train.W` has shape {:?}, expected [n_visible, n_hidden]",
                w.shape()
            ),
        ));
    };
    let visible_units: VisibleUnits = key("train.visible_units")?
        .parse()
        .map_err(|e: Error| invalid(path, format!("metadata train.visible_units: {e}")))?;
    let hidden_units: HiddenUnits = key("train.hidden_units")?
        .parse()
        .map_err(|e: Error| invalid(path, format!("metadata train.hidden_units: {e}")))?;
    let rbm = Rbm::from_parameters(
        visible_units,
        hidden_units,
        read_tensor(path, file, "train.W", &[nv, nh])?,
        read_tensor(path, file, "train.b", &[nv])?,
        read_tensor(path, file, "train.c", &[nh])?,
    )
    .map_err(|e| invalid(path, format!("layer in training: {e}")))?;
    if !layers.is_empty() {
        let mut stack = layers.to_vec();
        stack.push(rbm.clone());
        crate::dbn::Dbn::new(stack)
            .map_err(|e| invalid(path, format!("layer in training: {e}")))?;
    }
    let params: TrainParams = serde_json::from_str(key("train.train_params")?).map_err(|e| {
        invalid(
            path,
            format!("metadata train.train_params is not valid ({e})"),
        )
    })?;
    let epoch_text = key("train.epoch")?;
    let epoch: usize = epoch_text.parse().map_err(|_| {
        invalid(
            path,
            format!("metadata train.epoch = {epoch_text:?} is not a count"),
        )
    })?;
    let chains_rows = file
        .tensor("train.chains")
        .map_err(|_| invalid(path, "missing tensor `train.chains`"))?
        .shape()
        .first()
        .copied()
        .unwrap_or(0);
    let state = TrainState {
        epochs_done: epoch,
        velocity_weights: read_tensor(path, file, "train.velocity_W", &[nv, nh])?,
        velocity_visible_bias: read_tensor(path, file, "train.velocity_b", &[nv])?,
        velocity_hidden_bias: read_tensor(path, file, "train.velocity_c", &[nh])?,
        chains: read_tensor(path, file, "train.chains", &[chains_rows, nh])?,
        hidden_activity: read_tensor(path, file, "train.hidden_activity", &[nh])?,
    };
    Ok(RbmFile {
        rbm,
        params: Some(params),
        epoch,
        state: Some(state),
    })
}
