//! One entry point for ln Z: exact enumeration when the smaller discrete
//! layer is small, annealed importance sampling otherwise, or the TAP
//! free energy of a chosen order ([`super::tap`]); and
//! [`check_feasible`], whether exact ln Z can be had for a DBN.

use super::ais::{ais_bracket, ais_log_partition, base_rate_biases_of, AisEstimate, BetaSchedule};
use super::exact::{log_partition_exact, smaller_layer, ExactLogZ, Layer, MAX_ENUMERATED_UNITS};
use super::tap::{tap_log_partition, TapEstimate, TapOptions, TapOrder};
use crate::data::Dataset;
use crate::rbm::{Rbm, VisibleUnits};
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
    /// −Γ of the first-order (naive mean-field) TAP free energy.
    Tap1,
    /// −Γ of the second-order TAP free energy (with the Onsager term).
    Tap2,
    /// −Γ of the third-order TAP free energy.
    Tap3,
}

impl LogZMethod {
    /// The order of a TAP method (`None` for exact, AIS and auto).
    pub fn tap_order(self) -> Option<TapOrder> {
        match self {
            LogZMethod::Tap1 => Some(TapOrder::First),
            LogZMethod::Tap2 => Some(TapOrder::Second),
            LogZMethod::Tap3 => Some(TapOrder::Third),
            _ => None,
        }
    }
}

impl std::fmt::Display for LogZMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogZMethod::Exact => "exact",
            LogZMethod::Ais => "ais",
            LogZMethod::Auto => "auto",
            LogZMethod::Tap1 => "tap1",
            LogZMethod::Tap2 => "tap2",
            LogZMethod::Tap3 => "tap3",
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
            "tap1" => Ok(LogZMethod::Tap1),
            "tap2" => Ok(LogZMethod::Tap2),
            "tap3" => Ok(LogZMethod::Tap3),
            other => Err(Error::invalid(
                "logz",
                other,
                "exact, ais, auto, tap1, tap2 or tap3",
            )),
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
    /// The TAP approximation (deterministic: no standard error; its bias
    /// falls as the next power of the weights, see [`super::tap`]).
    Tap(TapEstimate),
}

impl LogZ {
    pub fn log_z(&self) -> f64 {
        match self {
            LogZ::Exact(e) => e.log_z,
            LogZ::Ais { forward, .. } => forward.log_z,
            LogZ::Tap(t) => t.log_z,
        }
    }

    /// Standard error of ln Z (0 when exact, and for TAP, whose error is
    /// a bias, not noise).
    pub fn stderr(&self) -> f64 {
        match self {
            LogZ::Exact(_) => 0.0,
            LogZ::Ais { forward, .. } => forward.log_z_stderr,
            LogZ::Tap(_) => 0.0,
        }
    }

    /// "exact", "ais", "tap1", "tap2" or "tap3".
    pub fn method_name(&self) -> &'static str {
        match self {
            LogZ::Exact(_) => "exact",
            LogZ::Ais { .. } => "ais",
            LogZ::Tap(t) => t.order.name(),
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
        LogZMethod::Ais | LogZMethod::Tap1 | LogZMethod::Tap2 | LogZMethod::Tap3 => false,
        LogZMethod::Auto => units <= AUTO_EXACT_UNITS,
    }
}

/// Checks that `method` can obtain ln Z of every layer of a DBN with layer
/// sizes `sizes` (data units first) and `visible_units` at the bottom,
/// before any training. Only [`LogZMethod::Exact`] can fail: layer l
/// (n_visible × n_hidden) enumerates its smaller discrete side,
/// min(n_visible, n_hidden) units, or n_hidden when its visible units are
/// Gaussian (see [`smaller_layer`]), that is 2^units states, and that must
/// not exceed [`MAX_ENUMERATED_UNITS`].
///
/// # Errors
/// [`Error::ExactInfeasible`] for the first layer that is too large.
pub fn check_feasible(
    method: LogZMethod,
    sizes: &[usize],
    visible_units: VisibleUnits,
) -> Result<()> {
    if method != LogZMethod::Exact {
        return Ok(());
    }
    for (l, pair) in sizes.windows(2).enumerate() {
        let (n_visible, n_hidden) = (pair[0], pair[1]);
        let units = if l == 0 && !visible_units.is_discrete() {
            n_hidden
        } else {
            n_visible.min(n_hidden)
        };
        if units > MAX_ENUMERATED_UNITS {
            return Err(Error::ExactInfeasible {
                layer: l + 1,
                n_visible,
                n_hidden,
                units,
                max_units: MAX_ENUMERATED_UNITS,
            });
        }
    }
    Ok(())
}

/// ln Z of `rbm` by `options.method`. AIS starts from the base-rate model
/// of `data` (rows of `rbm`'s visible units, read chunk by chunk;
/// [`super::ais::base_rate_biases`]); TAP
/// uses [`TapOptions::new`] (tolerance 10⁻⁹, damping ½) and fails with
/// [`Error::NotConverged`] when its fixed point is not reached.
pub fn estimate_log_partition(rbm: &Rbm, data: &Dataset, options: &LogZOptions) -> Result<LogZ> {
    if let Some(order) = options.method.tap_order() {
        return Ok(LogZ::Tap(tap_log_partition(rbm, &TapOptions::new(order))?));
    }
    if uses_enumeration(rbm, options.method) {
        return Ok(LogZ::Exact(log_partition_exact(rbm)?));
    }
    let schedule = match options.betas {
        Some(k) => BetaSchedule::scaled(k)?,
        None => BetaSchedule::salakhutdinov_murray(),
    };
    if data.n_features != rbm.n_visible() {
        return Err(Error::ShapeMismatch {
            what: "AIS base-rate data".into(),
            expected: format!("rows of {} visible units", rbm.n_visible()),
            found: format!("rows of {} values", data.n_features),
        });
    }
    let base = base_rate_biases_of(data, rbm.visible_units());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_is_refused_for_the_first_layer_too_large_to_enumerate() {
        let max = MAX_ENUMERATED_UNITS;
        let spin = VisibleUnits::Spin;
        // 1000 visible units but only `max` hidden: the hidden side is enumerated.
        assert!(check_feasible(LogZMethod::Exact, &[1000, max, max], spin).is_ok());
        let e = check_feasible(LogZMethod::Exact, &[8, max + 1, max + 2, 4], spin)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "invalid --logz exact: layer 2 ({}×{}) would enumerate {} units (at most {max}); use --logz auto or ais",
                max + 1,
                max + 2,
                max + 1
            )
        );
        // Gaussian visible units are integrated: the hidden side is enumerated
        // even when it is the larger.
        let e = check_feasible(LogZMethod::Exact, &[4, max + 1], VisibleUnits::Gaussian)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "layer 1 (4×{}) would enumerate {} units",
                max + 1,
                max + 1
            )),
            "{e}"
        );
        assert!(check_feasible(LogZMethod::Exact, &[4, max + 1], spin).is_ok());
        // Only exact enumeration can be infeasible.
        for method in [LogZMethod::Ais, LogZMethod::Auto] {
            assert!(check_feasible(method, &[4096, 4096], spin).is_ok());
        }
    }
}
