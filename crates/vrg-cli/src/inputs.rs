//! Loading what commands read: data files with their preprocessing flags,
//! models with data for them, and the checks on output paths made before
//! any work.

use crate::flags::RbmDataArgs;
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;
use vrg::data;
use vrg::data::{Binarize, Dataset, LoadOptions, UnitMapping};
use vrg::dbn::Dbn;
use vrg::rbm::file::load_rbm;
use vrg::rbm::{Rbm, VisibleUnits};

/// Parses `--binarize`: `threshold:X` (finite X) or `stochastic:SEED`.
pub(crate) fn parse_binarize(text: &str) -> Result<Binarize> {
    let malformed =
        || anyhow!("invalid --binarize {text}: expected threshold:X or stochastic:SEED");
    match text.split_once(':') {
        Some(("threshold", x)) => match x.trim().parse::<f32>() {
            Ok(x) if x.is_finite() => Ok(Binarize::Threshold(x)),
            _ => Err(malformed()),
        },
        Some(("stochastic", seed)) => seed
            .trim()
            .parse::<u64>()
            .map(Binarize::Stochastic)
            .map_err(|_| malformed()),
        _ => Err(malformed()),
    }
}

impl RbmDataArgs {
    /// `--scale` as the float32 the data are divided by, refused (with the
    /// value as given) unless it is finite, non-zero and stays so in float32.
    pub fn scale_f32(&self) -> Result<Option<f32>> {
        let Some(text) = self.scale.as_deref() else {
            return Ok(None);
        };
        let scale: f64 = text
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid --scale {text}: expected a number"))?;
        let narrow = scale as f32;
        if !(scale.is_finite() && narrow.is_finite() && narrow != 0.0) {
            bail!(
                "invalid --scale {text}: expected a finite, non-zero number within float32's range (about 1.2e-38 to 3.4e38 in magnitude)"
            );
        }
        Ok(Some(narrow))
    }

    /// The parsed `--binarize` flag.
    pub fn binarize(&self) -> Result<Option<Binarize>> {
        self.binarize.as_deref().map(parse_binarize).transpose()
    }
}

/// Fails unless `path`, given by `flag`, ends in `.extension` (any case).
pub(crate) fn check_extension(flag: &str, path: &Path, extension: &str) -> Result<()> {
    let matches = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !matches {
        bail!(
            "invalid {flag} {}: expected a path ending in .{extension}",
            path.display()
        );
    }
    Ok(())
}

/// Fails unless `path`'s directory can take a new file and `path` is not a
/// directory. Creating (and dropping) the temporary file proves that; the
/// target itself is not touched.
pub(crate) fn check_writable(path: &Path) -> Result<()> {
    drop(vrg::io::AtomicFile::create(path)?);
    Ok(())
}

/// Checks the paths of a command that reads `--model` (and `--data`, where
/// given) and writes one `.npy` file to `--out`: the extension first, then
/// that the inputs exist and none of them is the output.
pub(crate) fn check_npy_paths(model: &Path, data: Option<&Path>, out: &Path) -> Result<()> {
    check_extension("--out", out, "npy")?;
    vrg::io::PathPlan::new()
        .input("--model", model)
        .input_if("--data", data)
        .output("--out", out)
        .check()?;
    Ok(())
}

/// Fails unless a sampling command draws at least one `what` (`--samples`:
/// "sample" or "chain") and runs at least one Gibbs step.
pub(crate) fn check_sample_counts(samples: usize, what: &str, gibbs_steps: usize) -> Result<()> {
    if samples == 0 {
        bail!("invalid --samples 0: expected at least 1 {what}");
    }
    if gibbs_steps == 0 {
        bail!("invalid --gibbs-steps 0: expected at least 1 step");
    }
    Ok(())
}

/// Checks the paths of a training command: `--data` and the other input
/// `extra` (a flag's name and its path, where given) exist and are not
/// outputs, and `--out`, `--log` and the files `written_whole` (each a flag
/// and its path, where given: `--plot`, `--report`) can be written.
pub(crate) fn check_training_paths(
    data: &Path,
    extra: (&str, Option<&Path>),
    out: &Path,
    log: Option<&Path>,
    written_whole: &[(&str, Option<&Path>)],
) -> Result<()> {
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--data", data)
        .input_if(extra.0, extra.1)
        .output("--out", out)
        .output_if("--log", log);
    for &(flag, path) in written_whole {
        plan.output_if(flag, path);
    }
    plan.check()?;
    check_writable(out).context("invalid --out")?;
    if let Some(log) = log {
        check_writable(log).context("invalid --log")?;
    }
    for &(flag, path) in written_whole {
        if let Some(path) = path {
            vrg::io::atomic::check_writable_target(path)
                .with_context(|| format!("invalid {flag}"))?;
        }
    }
    Ok(())
}

/// Loads data with the preprocessing flags (`limit` in place of `--limit`).
pub(crate) fn load_data(
    path: &Path,
    flags: &RbmDataArgs,
    limit: Option<usize>,
    binarize: Option<Binarize>,
) -> Result<Dataset> {
    let options = LoadOptions {
        limit,
        scale: flags.scale_f32()?,
        binarize,
    };
    Ok(data::load(path, &options)?)
}

/// The file `data` came from, or "data".
fn source_name(data: &Dataset) -> String {
    data.source
        .as_deref()
        .map_or_else(|| "data".to_string(), |p| p.display().to_string())
}

/// Fits `data` to the visible units ([`data::fit_units`]), saying on
/// stderr when 0/1 data became ±1 spins or ±1 data became 0/1; then packs
/// binary data one bit per value ([`Dataset::pack`]: the same values, 32
/// times less memory).
pub(crate) fn fit_units(data: &mut Dataset, units: VisibleUnits) -> Result<()> {
    let mapping = data::fit_units(data, units)?;
    data.pack();
    let note = match mapping {
        None => return Ok(()),
        Some(UnitMapping::BinaryToSpin) => {
            "0/1 values mapped to ±1 spins (s = 2v − 1) for spin visible units"
        }
        Some(UnitMapping::SpinToBinary) => {
            "±1 spins mapped to 0/1 (v = (s + 1)/2) for Bernoulli visible units"
        }
    };
    eprintln!("{}: {note}", source_name(data));
    Ok(())
}

/// Fails unless the data rows have the model's number of visible units.
fn check_features(data: &Dataset, data_path: &Path, rbm: &Rbm, model_path: &Path) -> Result<()> {
    if data.n_features != rbm.n_visible() {
        bail!(
            "{}: rows have {} features but the model {} has {} visible units",
            data_path.display(),
            data.n_features,
            model_path.display(),
            rbm.n_visible()
        );
    }
    Ok(())
}

/// Loads a model file and data for it: preprocessing flags applied, the
/// feature count checked, values fitted to the visible units.
pub fn model_and_data(model: &Path, flags: &RbmDataArgs) -> Result<(Rbm, Dataset)> {
    let binarize = flags.binarize.as_deref().map(parse_binarize).transpose()?;
    let rbm = load_rbm(model)?.rbm;
    let mut data = load_data(&flags.data, flags, flags.limit, binarize)?;
    check_features(&data, &flags.data, &rbm, model)?;
    fit_units(&mut data, rbm.visible_units())?;
    Ok((rbm, data))
}

/// Loads the data (the first `limit` rows) for the DBN in `model`, fitted
/// to its data units; errors unless each row has one value per data unit.
pub fn data_for(
    dbn: &Dbn,
    model: &Path,
    flags: &crate::flags::RbmDataArgs,
    limit: Option<usize>,
    binarize: Option<vrg::data::Binarize>,
) -> Result<Dataset> {
    let mut data = load_data(&flags.data, flags, limit, binarize)?;
    fit_units(&mut data, dbn.layers()[0].visible_units())?;
    if data.n_features != dbn.sizes()[0] {
        bail!(
            "{} has {} features per row but the DBN {} has {} data units",
            flags.data.display(),
            data.n_features,
            model.display(),
            dbn.sizes()[0]
        );
    }
    Ok(data)
}

/// The RBM of `path`, or layer `layer` (from 1) of the DBN there.
pub fn rbm_or_layer(path: &Path, layer: Option<usize>) -> Result<Rbm> {
    let Some(layer) = layer else {
        return match vrg::rbm::file::load_rbm(path) {
            Ok(file) => Ok(file.rbm),
            Err(e @ vrg::Error::WrongFileKind { .. }) => match vrg::dbn::file::load_dbn(path) {
                Ok(dbn) => bail!(
                    "--model {} is a DBN of {} layers: say which layer's RBM with --layer 1…{}",
                    path.display(),
                    dbn.dbn.layers().len(),
                    dbn.dbn.layers().len()
                ),
                Err(_) => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        };
    };
    let dbn = vrg::dbn::file::load_dbn(path)
        .with_context(|| format!("--layer {layer} needs a DBN file"))?
        .dbn;
    let layers = dbn.layers().len();
    if layer == 0 || layer > layers {
        bail!(
            "invalid --layer {layer}: {} has layers 1 to {layers}",
            path.display()
        );
    }
    Ok(dbn.layers()[layer - 1].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binarize_syntax() {
        assert_eq!(
            parse_binarize("threshold:0.5").unwrap(),
            Binarize::Threshold(0.5)
        );
        assert_eq!(
            parse_binarize("stochastic:7").unwrap(),
            Binarize::Stochastic(7)
        );
        for bad in [
            "",
            "foo:1",
            "threshold",
            "threshold:",
            "threshold:nan",
            "threshold:inf",
            "stochastic:-1",
            "stochastic:x",
            "Threshold:0.5",
        ] {
            let e = parse_binarize(bad).unwrap_err().to_string();
            assert!(
                e.contains("expected threshold:X or stochastic:SEED"),
                "{bad:?}: {e}"
            );
        }
    }
}
