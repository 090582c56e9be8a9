//! Free energies layer by layer: is F conserved along the stack, as it is
//! under an exact RG step?
//!
//! # What is compared, and why
//! Layer l of a DBN is an RBM with energy E_l(v, h) over its visible units
//! v (n_l of them: the data for l = 0, layer l − 1's hidden units above)
//! and hidden units h (n_{l+1}). Its partition function
//! Z_l = Σ_{v,h} e^{−E_l(v,h)} is also the partition function of both
//! marginals: Σ_v e^{−H_l(v)} = Σ_h e^{−H_l(h)} = Z_l, with H_l(v) =
//! −ln Σ_h e^{−E_l(v,h)} the layer's Hamiltonian of its inputs and H_l(h)
//! the coarse-grained Hamiltonian it hands up. That is the exactness
//! condition of Kadanoff's variational RG in Mehta & Schwab (2014), Eqs.
//! (6)–(8): Tr_h e^{T_λ(v,h)} = 1 makes the coarse Hamiltonian's free energy
//! equal the fine one's, F_h = F_v.
//!
//! Within one layer this holds by construction. Between layers it need not:
//! layer l + 1 is a new RBM trained on layer l's (mean-field) up-pass, not
//! on samples of H_l(h), so its Z_{l+1} is not Z_l. For each layer this
//! module reports
//! - F_l = −ln Z_l (exact enumeration when small, AIS otherwise, or the
//!   TAP free energy when asked for) and the per-unit value f_l = F_l / n_l
//!   over the layer's visible units;
//! - beside it, ln Z_l by the second-order TAP free energy
//!   ([`crate::estimate::tap`]), for layers of discrete units whose TAP
//!   fixed point converges: a deterministic mean-field figure to compare
//!   with the exact or AIS value;
//! - ΔF_l = F_l − F_{l−1} and Δf_l = f_l − f_{l−1}: zero for a stack of exact
//!   RG steps (in total), and per unit the analogue of the free energy per
//!   site that an RG flow conserves up to the constants it sheds;
//! - ⟨H_l(v)⟩ over the propagated training (and validation) inputs, and the
//!   average log-likelihood −⟨H_l(v)⟩ − ln Z_l of those inputs under the
//!   layer: how well the layer models what the layer below hands it. The
//!   train/validation gap of ⟨H_l⟩ is Hinton's overfitting monitor (2010,
//!   §6) at every level.
//!
//! Inputs of layer l ≥ 1 are the mean-field up-pass, as in training
//! ([`Dbn::up`]); free energies of non-binary inputs use the same closed
//! form as binary ones.

use super::Dbn;
use crate::data::Dataset;
use crate::estimate::{
    estimate_log_partition, tap_log_partition, LogZ, LogZOptions, TapOptions, TapOrder,
};
use crate::rbm::Rbm;
use crate::Result;
use serde::{Deserialize, Serialize};

/// Free-energy figures of one layer (see the module documentation). They
/// read back from their JSON (a training checkpoint keeps them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerFreeEnergy {
    pub layer: usize,
    pub n_visible: usize,
    pub n_hidden: usize,
    /// ln Z_l.
    pub log_z: f64,
    /// Standard error of ln Z_l (0 when exact).
    pub log_z_stderr: f64,
    /// "exact" or "ais".
    pub log_z_method: String,
    /// AIS effective sample size (`None` when exact).
    pub ess: Option<f64>,
    /// ln Z_l by the second-order TAP free energy, beside `log_z` (`None`
    /// for Gaussian units or when the TAP fixed point does not converge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_z_tap2: Option<f64>,
    /// F_l = −ln Z_l.
    pub free_energy: f64,
    /// f_l = F_l / n_visible.
    pub free_energy_per_unit: f64,
    /// F_l − F_{l−1} (`None` for layer 0).
    pub delta_free_energy: Option<f64>,
    /// f_l − f_{l−1} (`None` for layer 0).
    pub delta_free_energy_per_unit: Option<f64>,
    /// ⟨H_l(v)⟩ over the layer's inputs: the training data propagated up
    /// (or, in an analysis, the analysed data).
    pub mean_free_energy: f64,
    /// ⟨H_l(v)⟩ over the propagated validation inputs.
    pub mean_free_energy_validation: Option<f64>,
    /// −⟨H_l(v)⟩ − ln Z_l on those inputs (nats per configuration).
    pub log_likelihood: f64,
    /// The same on the validation inputs.
    pub log_likelihood_validation: Option<f64>,
}

/// ⟨H(v)⟩ of `rbm` over the `rows` rows of `v`, in f64.
fn mean_free_energy(rbm: &Rbm, v: &[f32], rows: usize) -> Result<f64> {
    let energies = rbm.free_energy_visible(v, rows)?;
    Ok(energies.iter().sum::<f64>() / rows as f64)
}

/// Free-energy figures of `rbm`, layer `layer` of a stack, on its own
/// inputs (`train_inputs` and `validation_inputs`: rows of its visible
/// units, already propagated up), with ln Z by `options` (AIS seeded by
/// `options.seed + layer`, its base rates from `train_inputs`).
/// Differences to the layer below are left `None`; see [`set_differences`].
pub fn layer_free_energy_on_inputs(
    rbm: &Rbm,
    layer: usize,
    train_inputs: &Dataset,
    validation_inputs: Option<&Dataset>,
    options: &LogZOptions,
) -> Result<LayerFreeEnergy> {
    let mut layer_options = options.clone();
    layer_options.seed = options.seed.wrapping_add(layer as u64);
    let log_z = estimate_log_partition(rbm, train_inputs, &layer_options)?;
    let ln_z = log_z.log_z();
    let mean_train = mean_free_energy(rbm, &train_inputs.dense_values(), train_inputs.n_rows)?;
    let mean_validation = match validation_inputs.filter(|v| v.n_rows > 0) {
        Some(v) => Some(mean_free_energy(rbm, &v.dense_values(), v.n_rows)?),
        None => None,
    };
    Ok(LayerFreeEnergy {
        layer,
        n_visible: rbm.n_visible(),
        n_hidden: rbm.n_hidden(),
        log_z: ln_z,
        log_z_stderr: log_z.stderr(),
        log_z_method: log_z.method_name().into(),
        ess: match &log_z {
            LogZ::Exact(_) | LogZ::Tap(_) => None,
            LogZ::Ais { forward, .. } => Some(forward.ess),
        },
        log_z_tap2: match &log_z {
            LogZ::Tap(t) if t.order == TapOrder::Second => Some(t.log_z),
            _ => tap_log_partition(rbm, &TapOptions::new(TapOrder::Second))
                .ok()
                .map(|t| t.log_z),
        },
        free_energy: -ln_z,
        free_energy_per_unit: -ln_z / rbm.n_visible() as f64,
        delta_free_energy: None,
        delta_free_energy_per_unit: None,
        mean_free_energy: mean_train,
        mean_free_energy_validation: mean_validation,
        log_likelihood: -mean_train - ln_z,
        log_likelihood_validation: mean_validation.map(|m| -m - ln_z),
    })
}

/// The free-energy figures of layer `l` of `dbn` on `train` and
/// `validation` (data-level rows, propagated up by the mean-field pass),
/// as [`layer_free_energy_on_inputs`].
pub fn layer_free_energy(
    dbn: &Dbn,
    l: usize,
    train: &Dataset,
    validation: Option<&Dataset>,
    options: &LogZOptions,
) -> Result<LayerFreeEnergy> {
    dbn.check_layer(l)?;
    let lift = |d: &Dataset| -> Result<Dataset> {
        Dataset::new(
            d.n_rows,
            dbn.sizes()[l],
            dbn.up(&d.dense_values(), d.n_rows, l)?,
        )
    };
    let train_in = lift(train)?;
    let validation_in = validation.map(lift).transpose()?;
    layer_free_energy_on_inputs(
        &dbn.layers()[l],
        l,
        &train_in,
        validation_in.as_ref(),
        options,
    )
}

/// [`layer_free_energy`] of every layer, with ΔF and Δf between
/// consecutive layers.
pub fn layer_free_energies(
    dbn: &Dbn,
    train: &Dataset,
    validation: Option<&Dataset>,
    options: &LogZOptions,
    layer_done: &dyn Fn(&LayerFreeEnergy),
) -> Result<Vec<LayerFreeEnergy>> {
    let mut out: Vec<LayerFreeEnergy> = Vec::with_capacity(dbn.layers().len());
    for l in 0..dbn.layers().len() {
        let mut figures = layer_free_energy(dbn, l, train, validation, options)?;
        if let Some(below) = out.last() {
            set_differences(&mut figures, below);
        }
        layer_done(&figures);
        out.push(figures);
    }
    Ok(out)
}

/// ΔF and Δf of `figures` relative to the layer below.
pub fn set_differences(figures: &mut LayerFreeEnergy, below: &LayerFreeEnergy) {
    figures.delta_free_energy = Some(figures.free_energy - below.free_energy);
    figures.delta_free_energy_per_unit =
        Some(figures.free_energy_per_unit - below.free_energy_per_unit);
}
