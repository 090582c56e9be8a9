//! ln Z as the commands report it: estimated with a spinner, as JSON
//! fields, with a warning when AIS's effective sample size is small.

use crate::progress;
use anyhow::Result;
use serde_json::json;
use vrg::estimate::LogZMethod;
use vrg::rbm::Rbm;

/// ln Z of `rbm` by `method`, as JSON fields: method, log_z, log_z_stderr,
/// ess, and enumerated_layer and states (exact), iterations and residual
/// (TAP: the fixed point's sweeps and residual), or log_z_base, chains and
/// betas (AIS, with base-rate biases from the rows `data`; a warning on
/// stderr when the effective sample size is small), and with `bracket` the
/// reverse-AIS upper-side estimate log_z_upper, log_z_upper_stderr and
/// ess_reverse.
pub(crate) fn estimate_log_z(
    rbm: &Rbm,
    method: LogZMethod,
    data: &vrg::data::Dataset,
    chains: usize,
    betas: Option<usize>,
    seed: u64,
    bracket: bool,
) -> Result<serde_json::Value> {
    use vrg::estimate::choice;
    let options = choice::LogZOptions {
        method,
        chains,
        betas,
        seed,
        bracket,
    };
    let ais = !choice::uses_enumeration(rbm, method) && method.tap_order().is_none();
    let bar = ais.then(|| {
        progress::spinner(&format!(
            "AIS: {chains} chains × {} temperatures",
            betas.unwrap_or(vrg::estimate::BetaSchedule::salakhutdinov_murray().steps())
        ))
    });
    let estimate = choice::estimate_log_partition(rbm, data, &options)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(log_z_json(&estimate))
}

/// Warns on stderr that an AIS estimate's effective sample size is small.
pub fn warn_low_ess(forward: &vrg::estimate::AisEstimate) {
    eprintln!(
        "vrg: warning: AIS effective sample size {:.1} of {} chains is small; ln Z is \
         likely underestimated (try more temperatures or chains)",
        forward.ess, forward.chains
    );
}

/// The JSON fields of an ln Z estimate (see [`estimate_log_z`]), with a
/// warning on stderr when an AIS effective sample size is small.
pub(crate) fn log_z_json(estimate: &vrg::estimate::LogZ) -> serde_json::Value {
    use vrg::estimate::LogZ;
    match estimate {
        LogZ::Exact(result) => json!({
            "method": "exact",
            "log_z": result.log_z,
            "log_z_stderr": 0.0,
            "ess": null,
            "enumerated_layer": result.enumerated.name(),
            "states": result.states,
        }),
        LogZ::Tap(tap) => json!({
            "method": tap.order.name(),
            "log_z": tap.log_z,
            "log_z_stderr": 0.0,
            "ess": null,
            "iterations": tap.iterations,
            "residual": tap.residual,
        }),
        LogZ::Ais {
            forward,
            reverse,
            betas,
        } => {
            if forward.low_ess {
                warn_low_ess(forward);
            }
            let mut report = json!({
                "method": "ais",
                "log_z": forward.log_z,
                "log_z_stderr": forward.log_z_stderr,
                "ess": forward.ess,
                "log_z_base": forward.log_z_base,
                "chains": forward.chains,
                "betas": betas,
            });
            if let Some(reverse) = reverse {
                let fields = report.as_object_mut().expect("an object");
                fields.insert("log_z_upper".into(), json!(reverse.log_z));
                fields.insert("log_z_upper_stderr".into(), json!(reverse.log_z_stderr));
                fields.insert("ess_reverse".into(), json!(reverse.ess));
            }
            report
        }
    }
}
