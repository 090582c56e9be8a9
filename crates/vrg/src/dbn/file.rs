//! Deep-belief-network files: the finished stack ([`save_dbn`],
//! [`load_dbn`]) and checkpoints of greedy training ([`save_dbn_checkpoint`],
//! [`load_dbn_checkpoint`]), on `.safetensors` like the RBM files of
//! [`crate::rbm::file`], whose header checks and layer reader they share.
//!
//! Reading checks, besides what [`crate::rbm::file`] says of every model
//! file, the layer count in the metadata against the tensors present.
//!
//! A checkpoint written while a layer is in training
//! ([`save_dbn_checkpoint`]) holds the finished layers as in [`save_dbn`]
//! plus that layer as tensors `train.W`, `train.b`, `train.c` and its
//! optimiser state `train.velocity_W`, `train.velocity_b`,
//! `train.velocity_c`, `train.chains`, `train.hidden_activity` (see
//! [`crate::train::checkpoint`]), with metadata `train.layer` (its index,
//! = `n_layers`), `train.epoch`, `train.visible_units`, `train.hidden_units`
//! and `train.train_params`. `n_layers` counts finished layers only (it is
//! 0 while the first layer trains); readers of the finished stack
//! ([`load_dbn`]) ignore the `train.` entries, and the file written when the
//! last layer finishes has none.

use super::Dbn;
use crate::error::quoted;
use crate::io::safetensors::{
    self as container, add_metadata, entry, invalid, metadata_count, Contents, Tensors,
};
use crate::rbm::file::{
    check_format, insert_layer, layers_present, read_layer, weight_shape, LayerKeys, RbmFile,
    FORMAT_VERSION,
};
use crate::rbm::Rbm;
use crate::train::checkpoint::{insert_state, params_json, read_params, read_state};
use crate::train::{TrainParams, TrainState};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Format name of deep-belief-network files.
pub const DBN_FORMAT: &str = "vrg-dbn";

/// Writes a [`Dbn`] as one `.safetensors` file, atomically:
/// tensors `W0`, `b0`, `c0`, `W1`, … (layer l's weights, visible and
/// hidden biases, f32) and metadata `format` = "vrg-dbn",
/// `format_version`, `n_layers`, `sizes` (comma-separated units per level),
/// `visible_units_l`, `hidden_units_l`, and `train_params_l` (JSON) for
/// each layer whose parameters are given.
pub fn save_dbn(path: impl AsRef<Path>, dbn: &Dbn, params: &[Option<TrainParams>]) -> Result<()> {
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
/// metadata keys (the resume records of [`crate::train::checkpoint`]).
/// Errors if the layers do not chain or an extra key is one the format
/// writes itself.
pub fn save_dbn_checkpoint(
    path: impl AsRef<Path>,
    layers: &[Rbm],
    params: &[Option<TrainParams>],
    in_progress: Option<LayerInProgress<'_>>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    if !layers.is_empty() {
        Dbn::new(layers.to_vec())?;
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
        insert_layer(
            &mut tensors,
            rbm,
            [format!("W{l}"), format!("b{l}"), format!("c{l}")],
        );
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
        insert_layer(
            &mut tensors,
            rbm,
            ["train.W", "train.b", "train.c"].map(String::from),
        );
        insert_state(&mut tensors, p.state, nv, nh);
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
    container::write(path, &tensors, &metadata)
}

/// A deep belief network read back from [`save_dbn`]'s file, with each
/// layer's training parameters where the file has them.
#[derive(Clone, Debug)]
pub struct DbnFile {
    pub dbn: Dbn,
    pub params: Vec<Option<TrainParams>>,
}

/// Reads a file written by [`save_dbn`]. Errors name the file and what is
/// wrong (not a DBN file, a format version this vrg does not read, a layer
/// count that disagrees with the tensors, a missing tensor or metadata key,
/// shapes that do not chain, non-finite values).
pub fn load_dbn(path: impl AsRef<Path>) -> Result<DbnFile> {
    let path = path.as_ref();
    let buffer = container::read(path)?;
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
        let [w, b, c] = [format!("W{l}"), format!("b{l}"), format!("c{l}")];
        let [visible, hidden] = [format!("visible_units_{l}"), format!("hidden_units_{l}")];
        let context = format!("layer {l}: ");
        let keys = LayerKeys {
            tensors: [&w, &b, &c],
            units: [&visible, &hidden],
            default_units: None,
            context: &context,
        };
        let shape = weight_shape(path, &contents, &w)?;
        layers.push(read_layer(path, &contents, &keys, shape)?);
        params.push(read_params(path, &contents, &format!("train_params_{l}"))?);
    }
    let dbn = Dbn::new(layers).map_err(|e| invalid(path, e.to_string()))?;
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
    let buffer = container::read(path)?;
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
    let keys = LayerKeys {
        tensors: ["train.W", "train.b", "train.c"],
        units: ["train.visible_units", "train.hidden_units"],
        default_units: None,
        context: "layer in training: ",
    };
    let (nv, nh) = weight_shape(path, contents, "train.W")?;
    let rbm = read_layer(path, contents, &keys, (nv, nh))?;
    if !layers.is_empty() {
        let mut stack = layers.to_vec();
        stack.push(rbm.clone());
        Dbn::new(stack).map_err(|e| invalid(path, format!("layer in training: {e}")))?;
    }
    let params = read_params(path, contents, "train.train_params")?
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
