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

use crate::io::atomic::write_bytes;
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::train::{TrainParams, TrainState};
use crate::{Error, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
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
    let file = SafeTensors::deserialize(&buffer)
        .map_err(|e| invalid(path, format!("not a valid .safetensors file ({e})")))?;
    let (_, header) = SafeTensors::read_metadata(&buffer)
        .map_err(|e| invalid(path, format!("unreadable header ({e})")))?;
    let metadata = header.metadata().clone().unwrap_or_default();
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
