//! What a training checkpoint adds to a model file ([`crate::rbm::file`],
//! [`crate::dbn::file`]): the training parameters, the optimiser state and
//! the records an exact resume checks.
//!
//! The training parameters are metadata in JSON (`train_params` in an RBM
//! file). The optimiser state is tensors prefixed `train.`:
//! `train.velocity_W`, `train.velocity_b`, `train.velocity_c`,
//! `train.chains` (hidden states of the PCD chains, or the persistent hidden
//! magnetisations of EMF training, n_chains × n_hidden),
//! `train.visible_chains` (EMF only: the persistent visible
//! magnetisations, n_chains × n_visible), `train.gibbs_chains` (EMF with
//! `--tap-gibbs-chains` only: the hidden states of the Gibbs chains that
//! seed its restarts, G × n_hidden) and `train.hidden_activity`; readers
//! that only want the model ignore them. Reading the state checks that the
//! chains are as many as the parameters ask for.
//!
//! # Resume records
//! Checkpoints written by `vrg rbm train` and `vrg dbn train` carry, as
//! extra metadata keys ([`save_rbm_with_metadata`],
//! [`save_dbn_checkpoint`]), what an exact `--resume` checks and restores:
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
//! [`save_rbm_with_metadata`]: crate::rbm::file::save_rbm_with_metadata
//! [`save_dbn_checkpoint`]: crate::dbn::file::save_dbn_checkpoint

use super::{Method, TrainParams, TrainState};
use crate::io::safetensors::{f32_bytes, invalid, metadata_value, read_f32, Contents, Tensors};
use crate::{Error, Result};
use std::path::Path;

/// Training parameters as the JSON of a metadata value.
pub(crate) fn params_json(params: &TrainParams) -> Result<String> {
    serde_json::to_string(params)
        .map_err(|e| Error::invalid("train_params", e, "serialisable parameters"))
}

/// Training parameters from metadata `key`, if present.
pub(crate) fn read_params(
    path: &Path,
    contents: &Contents<'_>,
    key: &str,
) -> Result<Option<TrainParams>> {
    metadata_value(path, contents, key, |json| {
        serde_json::from_str(json).map_err(|e| format!("metadata {key} is not valid ({e})"))
    })
}

/// Adds the optimiser state's tensors `train.velocity_W`, `train.velocity_b`,
/// `train.velocity_c`, `train.chains`, `train.hidden_activity` and, where
/// the state has them, `train.visible_chains` and `train.gibbs_chains` of
/// an `nv × nh` layer.
pub(crate) fn insert_state(tensors: &mut Tensors, s: &TrainState, nv: usize, nh: usize) {
    let chains = vec![s.chains.len() / nh.max(1), nh];
    for (name, shape, values) in [
        ("train.velocity_W", vec![nv, nh], &s.velocity_weights),
        ("train.velocity_b", vec![nv], &s.velocity_visible_bias),
        ("train.velocity_c", vec![nh], &s.velocity_hidden_bias),
        ("train.chains", chains, &s.chains),
        ("train.hidden_activity", vec![nh], &s.hidden_activity),
    ] {
        tensors.insert(name.into(), (shape, f32_bytes(values)));
    }
    if !s.visible_chains.is_empty() {
        let rows = s.visible_chains.len() / nv.max(1);
        tensors.insert(
            "train.visible_chains".into(),
            (vec![rows, nv], f32_bytes(&s.visible_chains)),
        );
    }
    if !s.gibbs_chains.is_empty() {
        let rows = s.gibbs_chains.len() / nh.max(1);
        tensors.insert(
            "train.gibbs_chains".into(),
            (vec![rows, nh], f32_bytes(&s.gibbs_chains)),
        );
    }
}

/// The optimiser state `train.velocity_W`, …, `train.hidden_activity` of a
/// checkpoint of an `nv × nh` layer trained with `params`.
pub(crate) fn read_state(
    path: &Path,
    contents: &Contents<'_>,
    params: Option<&TrainParams>,
    epoch: usize,
    nv: usize,
    nh: usize,
) -> Result<TrainState> {
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
            Method::Tap2 | Method::Tap3 => ("EMF", p.n_chains()),
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
    // EMF's Gibbs chains: as many as the parameters ask for (a checkpoint
    // is written after an epoch, when they exist).
    let gibbs_rows = match params {
        Some(p) if p.method.tap_order().is_some() => Some(p.tap_gibbs_chains),
        Some(_) => Some(0),
        None => None,
    };
    let gibbs_chains = match (contents.tensors.get("train.gibbs_chains"), gibbs_rows) {
        (None, None | Some(0)) => Vec::new(),
        (None, Some(expected)) => {
            return Err(invalid(
                path,
                format!(
                    "metadata train_params asks for {expected} Gibbs chains \
                     (--tap-gibbs-chains), but tensor `train.gibbs_chains` is missing"
                ),
            ))
        }
        (Some(tensor), expected) => {
            let rows = tensor.shape.first().copied().unwrap_or(0);
            read_f32(
                path,
                contents,
                "train.gibbs_chains",
                &[expected.unwrap_or(rows), nh],
            )?
        }
    };
    Ok(TrainState {
        epochs_done: epoch,
        velocity_weights: read_f32(path, contents, "train.velocity_W", &[nv, nh])?,
        velocity_visible_bias: read_f32(path, contents, "train.velocity_b", &[nv])?,
        velocity_hidden_bias: read_f32(path, contents, "train.velocity_c", &[nh])?,
        chains: read_f32(path, contents, "train.chains", &[chains_rows, nh])?,
        // Only EMF keeps them, and checkpoints from before they were kept
        // lack them (the trainer restarts them from the naive mean field).
        visible_chains: match contents.tensors.get("train.visible_chains") {
            Some(_) => read_f32(path, contents, "train.visible_chains", &[chains_rows, nv])?,
            None => Vec::new(),
        },
        gibbs_chains,
        hidden_activity: read_f32(path, contents, "train.hidden_activity", &[nh])?,
    })
}

/// Writes `trainer`'s checkpoint to `path`, atomically: the model, the
/// training parameters and the optimiser state (an RBM model file that
/// [`load`] continues bit for bit). The sink of [`super::fit`]'s hooks.
pub fn save(path: impl AsRef<Path>, trainer: &super::Trainer) -> Result<()> {
    crate::rbm::file::save_rbm(
        path,
        trainer.rbm(),
        Some(trainer.params()),
        Some(trainer.state()),
    )
}

/// The trainer saved by [`save`] at `path`, ready to continue to
/// `epochs` epochs (the saved count if `None`; the learning-rate schedule
/// follows the new count). Errors if the file is a model without training
/// state, or has trained more than `epochs` epochs.
pub fn load(path: impl AsRef<Path>, epochs: Option<usize>) -> Result<super::Trainer> {
    let path = path.as_ref();
    let file = crate::rbm::file::load_rbm(path)?;
    let (Some(params), Some(state)) = (file.params, file.state) else {
        return Err(Error::WrongFileKind {
            path: path.to_path_buf(),
            found: "a model without training state".into(),
            expected: "a training checkpoint (training parameters and optimiser state)".into(),
        });
    };
    let epochs = epochs.unwrap_or(params.epochs());
    if epochs < state.epochs_done {
        return Err(Error::invalid(
            "epochs",
            epochs,
            format!(
                "at least the {} epochs {} has trained",
                state.epochs_done,
                path.display()
            ),
        ));
    }
    super::Trainer::resume(file.rbm, params.with_epochs(epochs)?, state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
    use crate::train::{initial_rbm, TrainConfig, Trainer};

    /// A model file without training state, and a checkpoint asked to
    /// continue to fewer epochs than it has trained, are clear errors.
    #[test]
    fn load_refuses_models_and_shorter_schedules() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.safetensors");
        let rbm = Rbm::new(4, 2, VisibleUnits::Bernoulli, HiddenUnits::Bernoulli).unwrap();
        crate::rbm::file::save_rbm(&model, &rbm, None, None).unwrap();
        let e = load(&model, None).unwrap_err().to_string();
        assert!(e.contains("a model without training state"), "{e}");

        let data =
            Dataset::new(8, 4, (0..32).map(|i| (i % 3 == 0) as u8 as f32).collect()).unwrap();
        let params = TrainConfig::new().epochs(2).batch_size(4).check(8).unwrap();
        let start = initial_rbm(
            &data,
            2,
            VisibleUnits::Bernoulli,
            HiddenUnits::Bernoulli,
            &params,
        )
        .unwrap();
        let mut trainer = Trainer::new(start, params);
        trainer.train_epoch(&data, &|_| {}).unwrap();
        trainer.train_epoch(&data, &|_| {}).unwrap();
        let path = dir.path().join("checkpoint.safetensors");
        save(&path, &trainer).unwrap();
        let e = load(&path, Some(1)).unwrap_err().to_string();
        assert!(
            e.contains("invalid epochs = 1") && e.contains("at least the 2 epochs"),
            "{e}"
        );
        let resumed = load(&path, Some(3)).unwrap();
        assert_eq!((resumed.epochs_done(), resumed.params().epochs()), (2, 3));
        assert_eq!(resumed.rbm(), trainer.rbm());
    }
}
