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

use anyhow::{bail, Context, Result};
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

impl ExperimentConfig {
    /// Parses TOML `text` read from `origin` (a path or a name), naming the
    /// origin, line and key in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let config: ExperimentConfig =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
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

    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
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
