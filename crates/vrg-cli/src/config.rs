//! Experiment files (TOML) and per-layer training settings.
//!
//! One file describes a whole experiment: the Ising data to generate
//! (`[ising]`, used by `vrg demo`), the data's units (`[data]`), defaults
//! for every layer (`[train]`), one `[[layer]]` table per layer (its hidden
//! units and any settings that differ), and the analysis (`[analysis]`).
//! A setting is taken from, in rising order of precedence: vrg's defaults,
//! `[train]`, the layer's `[[layer]]` table, a command-line flag. A flag
//! takes one value for every layer or a comma-separated list with one value
//! per layer. See `examples/mehta-schwab.toml`.

use anyhow::{bail, Result};
use serde::Deserialize;
use std::path::Path;
use vrg::rbm::HiddenUnits;
use vrg::train::TrainParams;

/// Training settings of one layer; `None` leaves the value below it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LayerSettings {
    /// Hidden units of the layer (only in `[[layer]]`).
    pub hidden: Option<usize>,
    pub hidden_units: Option<String>,
    pub method: Option<String>,
    pub k: Option<usize>,
    pub epochs: Option<usize>,
    pub batch: Option<usize>,
    pub lr: Option<f64>,
    pub lr_final: Option<f64>,
    pub momentum: Option<f64>,
    pub initial_momentum: Option<f64>,
    pub momentum_switch_epoch: Option<usize>,
    pub l2: Option<f64>,
    pub l1: Option<f64>,
    pub sparsity: Option<f64>,
    pub sparsity_cost: Option<f64>,
    pub sparsity_decay: Option<f64>,
    pub dropout: Option<f64>,
    pub chains: Option<usize>,
    pub init_std: Option<f64>,
    pub seed: Option<u64>,
}

impl LayerSettings {
    /// `self` over `below`: each value of `self` that is set wins.
    pub fn over(&self, below: &LayerSettings) -> LayerSettings {
        macro_rules! pick {
            ($($field:ident),*) => {
                LayerSettings { $($field: self.$field.clone().or_else(|| below.$field.clone())),* }
            };
        }
        pick!(
            hidden,
            hidden_units,
            method,
            k,
            epochs,
            batch,
            lr,
            lr_final,
            momentum,
            initial_momentum,
            momentum_switch_epoch,
            l2,
            l1,
            sparsity,
            sparsity_cost,
            sparsity_decay,
            dropout,
            chains,
            init_std,
            seed
        )
    }

    /// Training parameters: vrg's defaults with every set value applied.
    /// Ranges are checked later, by [`TrainParams::check`].
    pub fn train_params(&self) -> Result<TrainParams> {
        let mut p = TrainParams::default();
        if let Some(method) = &self.method {
            p.method = method.parse()?;
        }
        macro_rules! set {
            ($($field:ident => $param:ident),* $(,)?) => {
                $(if let Some(value) = self.$field { p.$param = value; })*
            };
        }
        set!(
            k => k,
            epochs => epochs,
            batch => batch_size,
            lr => learning_rate,
            momentum => momentum,
            initial_momentum => initial_momentum,
            momentum_switch_epoch => momentum_switch_epoch,
            l2 => l2,
            l1 => l1,
            sparsity_cost => sparsity_cost,
            sparsity_decay => sparsity_decay,
            dropout => dropout,
            init_std => init_std,
            seed => seed,
        );
        if self.lr_final.is_some() {
            p.learning_rate_final = self.lr_final;
        }
        if self.sparsity.is_some() {
            p.sparsity_target = self.sparsity;
        }
        if self.chains.is_some() {
            p.persistent_chains = self.chains;
        }
        Ok(p)
    }

    /// The layer's hidden unit type (default Bernoulli).
    pub fn hidden_unit_type(&self) -> Result<HiddenUnits> {
        match self.hidden_units.as_deref() {
            None | Some("bernoulli") => Ok(HiddenUnits::Bernoulli),
            Some("spin") => Ok(HiddenUnits::Spin),
            Some(other) => bail!("invalid hidden_units {other:?}: expected bernoulli or spin"),
        }
    }
}

/// Ising data generated for an experiment (`vrg demo`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IsingSettings {
    /// Lattice side L.
    pub size: usize,
    /// Temperature T (k_B = 1).
    pub temperature: f64,
    /// Coupling J (so J/T is the dimensionless coupling).
    #[serde(default = "one")]
    pub coupling: f64,
    /// Configurations to generate.
    pub samples: usize,
    /// Sweeps between stored configurations.
    #[serde(default = "ten")]
    pub sweeps: usize,
    #[serde(default = "thousand")]
    pub burn_in: usize,
    #[serde(default = "one_u64")]
    pub seed: u64,
}

fn one() -> f64 {
    1.0
}
fn ten() -> usize {
    10
}
fn thousand() -> usize {
    1000
}
fn one_u64() -> u64 {
    1
}

/// How the data meet the first layer.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataSettings {
    /// bernoulli, spin or gaussian.
    pub visible_units: Option<String>,
    /// Fraction held out for validation.
    pub validation_fraction: Option<f64>,
}

/// Settings of `vrg dbn analyze`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
    /// Side of the window of the locality measure.
    pub window: Option<usize>,
    /// exact, ais or auto.
    pub logz: Option<String>,
    /// AIS temperatures.
    pub betas: Option<usize>,
    /// AIS chains.
    pub chains: Option<usize>,
    /// Configurations generated by the DBN.
    pub generate: Option<usize>,
    /// Gibbs steps in the top RBM when generating.
    pub gibbs_steps: Option<usize>,
    /// Rows of the data analysed (the first ones).
    pub rows: Option<usize>,
}

/// A whole experiment file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    pub ising: Option<IsingSettings>,
    #[serde(default)]
    pub data: DataSettings,
    #[serde(default)]
    pub train: LayerSettings,
    #[serde(default, rename = "layer")]
    pub layers: Vec<LayerSettings>,
    #[serde(default)]
    pub analysis: AnalysisSettings,
}

/// The largest experiment file read (1 MiB; the examples are about 1 KiB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A TOML error on one line: where (line and column, counting from 1) and
/// the parser's message, not its multi-line excerpt of the file.
fn toml_error(origin: &str, text: &str, error: &toml::de::Error) -> anyhow::Error {
    let message = vrg::error::one_line(error.message().trim());
    match error.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            anyhow::anyhow!("{origin}: line {line}, column {column}: {message}")
        }
        None => anyhow::anyhow!("{origin}: {message}"),
    }
}

impl ExperimentConfig {
    /// Parses TOML `text` read from `origin` (a path or a name), naming the
    /// origin, line and key in errors (one line each).
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let config: ExperimentConfig =
            toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
        if config.train.hidden.is_some() {
            bail!("{origin}: [train] sets hidden; give each layer's hidden units in its [[layer]] table");
        }
        for (l, layer) in config.layers.iter().enumerate() {
            if layer.hidden.is_none() {
                bail!("{origin}: [[layer]] number {} has no hidden = N", l + 1);
            }
        }
        Ok(config)
    }

    /// [`ExperimentConfig::read`] of `path` if given, else the empty
    /// experiment (every setting at its default).
    pub fn read_if_given(path: Option<&Path>) -> Result<Self> {
        path.map_or_else(|| Ok(Self::default()), Self::read)
    }

    /// Reads and parses the file at `path`: a regular file of at most
    /// [`MAX_CONFIG_BYTES`] bytes of UTF-8 text.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes =
            vrg::io::limits::read_regular(path, Some((MAX_CONFIG_BYTES, "experiment file")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        Self::parse(&text, &path.display().to_string())
    }
}

/// A flag holding one value for every layer or a comma-separated list with
/// one value per layer.
pub fn per_layer<T: std::str::FromStr + Clone>(
    flag: &str,
    text: Option<&str>,
    n_layers: usize,
) -> Result<Vec<Option<T>>>
where
    T::Err: std::fmt::Display,
{
    let Some(text) = text else {
        return Ok(vec![None; n_layers]);
    };
    let values: Vec<T> = text
        .split(',')
        .map(|item| {
            item.trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("invalid --{flag} {text:?}: {item:?}: {e}"))
        })
        .collect::<Result<_>>()?;
    match values.len() {
        1 => {
            let only = values.into_iter().next().expect("one value");
            Ok(vec![Some(only); n_layers])
        }
        n if n == n_layers => Ok(values.into_iter().map(Some).collect()),
        n => bail!(
            "invalid --{flag} {text:?}: {n} values for {n_layers} layers; expected one value or one per layer"
        ),
    }
}

/// The fuzz harness of the library's readers (issue #11), with its counting
/// allocator, run over experiment files.
#[cfg(test)]
#[path = "../../vrg/tests/fuzz_support/mod.rs"]
mod fuzz_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_are_one_line_with_line_and_column() {
        for (text, needle) in [
            ("[train]\nlr = \n", "x.toml: line 2, column 6: "),
            (
                "[train]\nlearning_rate = 0.1\n",
                "x.toml: line 2, column 1: unknown field `learning_rate`",
            ),
            (
                "[[layer]]\nhidden = \"many\"\n",
                "x.toml: line 2, column 10: ",
            ),
            (
                "[ising]\nsize = 99999999999999999999999\n",
                "x.toml: line 2, column 8: ",
            ),
        ] {
            let e = format!("{:#}", ExperimentConfig::parse(text, "x.toml").unwrap_err());
            assert!(e.starts_with(needle) && !e.contains('\n'), "{e:?}");
        }
    }

    #[test]
    fn devices_and_huge_files_are_not_read() {
        let e = format!(
            "{:#}",
            ExperimentConfig::read(Path::new("/dev/zero")).unwrap_err()
        );
        assert!(
            e.contains("/dev/zero") && e.contains("character device"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_CONFIG_BYTES as usize + 1]).unwrap();
        let e = format!("{:#}", ExperimentConfig::read(&big).unwrap_err());
        assert!(
            e.contains("big.toml") && e.contains("more than the largest experiment file"),
            "{e}"
        );
        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(&latin1, b"[train]\n# caf\xe9\n").unwrap();
        let e = format!("{:#}", ExperimentConfig::read(&latin1).unwrap_err());
        assert!(
            e.contains("latin1.toml: not UTF-8 text (invalid byte at offset 13)"),
            "{e}"
        );
    }

    /// Mutated experiment files: `Ok` or a one-line error naming the file,
    /// never a panic, never more than 64 × the file + the slack allocated.
    #[test]
    fn fuzz_experiment_files() {
        let seeds: Vec<Vec<u8>> = [
            include_str!("../../../examples/demo.toml"),
            include_str!("../../../examples/mehta-schwab.toml"),
            "[train]\nepochs = 3\nlr = 0.1\n[[layer]]\nhidden = 4\nk = 2\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let rewrite: fuzz_support::Rewrite = |bytes, rng| {
            fuzz_support::rewrite_number(bytes, rng).unwrap_or_else(|| "no number".into())
        };
        let dir = tempfile::tempdir().unwrap();
        let report = fuzz_support::run(
            "toml",
            &dir.path().join("fuzz.toml"),
            &seeds,
            rewrite,
            fuzz_support::case_count(),
            0x11_0008,
            |p| {
                ExperimentConfig::read(p)
                    .map(|_| ())
                    .map_err(|e| format!("{e:#}"))
            },
        );
        fuzz_support::assert_clean(&report);
    }
}
