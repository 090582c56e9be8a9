//! One entry point for ln Z: exact enumeration when the smaller discrete
//! layer is small, annealed importance sampling otherwise.

use super::ais::{ais_bracket, ais_log_partition, base_rate_biases, AisEstimate, BetaSchedule};
use super::exact::{log_partition_exact, smaller_layer, ExactLogZ, Layer};
use crate::rbm::Rbm;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The largest smaller layer [`LogZMethod::Auto`] enumerates (2²⁵ states:
/// about a second for 784 visible units on two cores).
pub const AUTO_EXACT_UNITS: usize = 25;

/// How ln Z is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum LogZMethod {
    /// Sum over every state of the smaller discrete layer.
    Exact,
    /// Annealed importance sampling from a base-rate model.
    Ais,
    /// Exact up to [`AUTO_EXACT_UNITS`] enumerated units, else AIS.
    Auto,
}

impl std::fmt::Display for LogZMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogZMethod::Exact => "exact",
            LogZMethod::Ais => "ais",
            LogZMethod::Auto => "auto",
        })
    }
}

impl std::str::FromStr for LogZMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "exact" => Ok(LogZMethod::Exact),
            "ais" => Ok(LogZMethod::Ais),
            "auto" => Ok(LogZMethod::Auto),
            other => Err(Error::invalid("logz", other, "exact, ais or auto")),
        }
    }
}

/// Settings of [`estimate_log_partition`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogZOptions {
    pub method: LogZMethod,
    /// AIS chains.
    pub chains: usize,
    /// AIS temperatures (`None`: Salakhutdinov & Murray's 14 500).
    pub betas: Option<usize>,
    /// Seed of the AIS chains.
    pub seed: u64,
    /// Also run reverse AIS for an upper-side estimate.
    pub bracket: bool,
}

impl Default for LogZOptions {
    fn default() -> Self {
        LogZOptions {
            method: LogZMethod::Auto,
            chains: 100,
            betas: None,
            seed: 1,
            bracket: false,
        }
    }
}

/// ln Z and how it was obtained.
#[derive(Clone, Debug)]
pub enum LogZ {
    Exact(ExactLogZ),
    Ais {
        forward: AisEstimate,
        /// Reverse AIS (with [`LogZOptions::bracket`]).
        reverse: Option<AisEstimate>,
        betas: usize,
    },
}

impl LogZ {
    pub fn log_z(&self) -> f64 {
        match self {
            LogZ::Exact(e) => e.log_z,
            LogZ::Ais { forward, .. } => forward.log_z,
        }
    }

    /// Standard error of ln Z (0 when exact).
    pub fn stderr(&self) -> f64 {
        match self {
            LogZ::Exact(_) => 0.0,
            LogZ::Ais { forward, .. } => forward.log_z_stderr,
        }
    }

    /// "exact" or "ais".
    pub fn method_name(&self) -> &'static str {
        match self {
            LogZ::Exact(_) => "exact",
            LogZ::Ais { .. } => "ais",
        }
    }
}

/// Whether `method` enumerates `rbm`'s smaller discrete layer.
pub fn uses_enumeration(rbm: &Rbm, method: LogZMethod) -> bool {
    let units = match smaller_layer(rbm) {
        Layer::Visible => rbm.n_visible(),
        Layer::Hidden => rbm.n_hidden(),
    };
    match method {
        LogZMethod::Exact => true,
        LogZMethod::Ais => false,
        LogZMethod::Auto => units <= AUTO_EXACT_UNITS,
    }
}

/// ln Z of `rbm` by `options.method`. AIS starts from the base-rate model
/// of `data` (rows of `rbm`'s visible units; [`base_rate_biases`]).
pub fn estimate_log_partition(rbm: &Rbm, data: &[f32], options: &LogZOptions) -> Result<LogZ> {
    if uses_enumeration(rbm, options.method) {
        return Ok(LogZ::Exact(log_partition_exact(rbm)?));
    }
    let schedule = match options.betas {
        Some(k) => BetaSchedule::scaled(k)?,
        None => BetaSchedule::salakhutdinov_murray(),
    };
    let base = base_rate_biases(data, rbm.n_visible(), rbm.visible_units());
    let (forward, reverse) = if options.bracket {
        let (f, r) = ais_bracket(rbm, &base, options.chains, &schedule, options.seed)?;
        (f, Some(r))
    } else {
        (
            ais_log_partition(rbm, &base, options.chains, &schedule, options.seed)?,
            None,
        )
    };
    Ok(LogZ::Ais {
        forward,
        reverse,
        betas: schedule.steps(),
    })
}
