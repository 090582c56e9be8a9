//! The per-epoch monitor: free energies of training and held-out data and
//! their gap (Hinton's guide §6: "If the model is not overfitting at all,
//! the average free energy should be about the same on training and
//! validation data"), reconstruction error, and an exact pseudo-likelihood.

use crate::data::Dataset;
use crate::linalg::dispatch::multiversion;
use crate::linalg::{self, gemm, ln_2cosh_f32, softplus_f32, Operand};
use crate::rbm::{softplus, HiddenUnits, Rbm, VisibleUnits};
use crate::Result;
use serde::Serialize;

/// One epoch's line of the training log.
#[derive(Clone, Debug, Serialize)]
pub struct EpochMetrics {
    /// Epochs completed (1-based).
    pub epoch: usize,
    /// Mean H(v) = −ln Σ_h e^{−E(v,h)} over a fixed subset of training rows.
    pub free_energy_train: f64,
    /// Mean H(v) over the validation rows (null without validation data).
    pub free_energy_validation: Option<f64>,
    /// free_energy_validation − free_energy_train: grows when the model
    /// overfits.
    pub free_energy_gap: Option<f64>,
    /// Mean squared error per visible unit of the mean-field reconstruction
    /// v → E[h|v] → E[v|h], over the training subset.
    pub reconstruction_error: f64,
    /// Mean over rows of Σ_i ln P(v_i | v_{−i}), every visible unit exact,
    /// over the first `pll_rows` rows of the training subset (null for
    /// Gaussian or non-binary data).
    pub pseudo_log_likelihood: Option<f64>,
    pub learning_rate: f64,
    pub momentum: f64,
    /// Wall-clock seconds of the epoch's training (monitor excluded).
    pub seconds: f64,
    /// EMF training: mean TAP sweeps per update in the epoch (absent for
    /// CD and PCD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tap_sweeps: Option<f64>,
}

/// Fixed data the monitor evaluates every epoch.
#[derive(Clone, Debug)]
pub struct Monitor {
    train_subset: Dataset,
    validation: Option<Dataset>,
    pll_rows: usize,
}

/// Mean of a slice of f64.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

impl Monitor {
    /// Monitors the first `monitor_rows` training rows, up to `monitor_rows`
    /// validation rows, and the pseudo-likelihood on the first `pll_rows`.
    pub fn new(
        train: &Dataset,
        validation: Option<&Dataset>,
        monitor_rows: usize,
        pll_rows: usize,
    ) -> Self {
        let take =
            |d: &Dataset| d.select_rows(&(0..d.n_rows.min(monitor_rows)).collect::<Vec<_>>());
        Monitor {
            train_subset: take(train),
            validation: validation.filter(|v| v.n_rows > 0).map(take),
            pll_rows,
        }
    }

    /// Free energies, reconstruction error and pseudo-likelihood of `rbm`.
    /// `learning_rate`, `momentum`, `seconds` and `epoch` are copied into the
    /// result.
    pub fn evaluate(
        &self,
        rbm: &Rbm,
        epoch: usize,
        learning_rate: f64,
        momentum: f64,
        seconds: f64,
    ) -> Result<EpochMetrics> {
        let train = &self.train_subset;
        // The monitored rows are at most `monitor_rows` per set: small
        // enough to decode whole.
        let free_energy_train =
            mean(&rbm.free_energy_visible(&train.dense_values(), train.n_rows)?);
        let free_energy_validation = match &self.validation {
            Some(v) => Some(mean(&rbm.free_energy_visible(&v.dense_values(), v.n_rows)?)),
            None => None,
        };
        Ok(EpochMetrics {
            epoch,
            free_energy_train,
            free_energy_validation,
            free_energy_gap: free_energy_validation.map(|v| v - free_energy_train),
            reconstruction_error: reconstruction_error(rbm, train)?,
            pseudo_log_likelihood: pseudo_log_likelihood(rbm, train, self.pll_rows)?,
            learning_rate,
            momentum,
            seconds,
            tap_sweeps: None,
        })
    }
}

/// Mean squared error per visible unit of v → E[h|v] → E[v|h].
pub fn reconstruction_error(rbm: &Rbm, data: &Dataset) -> Result<f64> {
    let rows = data.n_rows;
    let mut hidden = vec![0.0f32; rows * rbm.n_hidden()];
    let mut visible = vec![0.0f32; rows * rbm.n_visible()];
    let values = data.dense_values();
    rbm.mean_hiddens(&values, rows, &mut hidden)?;
    rbm.mean_visibles(&hidden, rows, &mut visible)?;
    let total: f64 = values
        .iter()
        .zip(&visible)
        .map(|(&a, &b)| ((a - b) as f64).powi(2))
        .sum();
    Ok(total / (rows * rbm.n_visible()).max(1) as f64)
}

/// Mean over the first `max_rows` rows of Σ_i ln P(v_i | v_{−i}).
///
/// Flipping v_i to v'_i changes the free energy by
/// ΔF_i = −b_i d − Σ_j [φ(x_j + d W_ij) − φ(x_j)], with x = c + vᵀW,
/// d = v'_i − v_i and φ = softplus (Bernoulli hidden), ½x² (Gaussian
/// hidden, whose ½ ln 2π cancels) or ln 2cosh (spin
/// hidden); then P(v_i | v_{−i}) = σ(ΔF_i), so ln P = −softplus(−ΔF_i).
/// Every unit is evaluated (not one random unit scaled by n), so values are
/// comparable across models. `None` for Gaussian units or data that are not
/// exactly binary (0/1, or ±1 for spin units).
pub fn pseudo_log_likelihood(rbm: &Rbm, data: &Dataset, max_rows: usize) -> Result<Option<f64>> {
    let (nv, nh) = (rbm.n_visible(), rbm.n_hidden());
    let rows = data.n_rows.min(max_rows);
    if rows == 0 {
        return Ok(None);
    }
    let values = data.rows_f32(0..rows);
    let values = &values[..];
    let binary = match rbm.visible_units() {
        VisibleUnits::Bernoulli => values.iter().all(|&v| v == 0.0 || v == 1.0),
        VisibleUnits::Spin => values.iter().all(|&v| v == -1.0 || v == 1.0),
        VisibleUnits::Gaussian => false,
    };
    if !binary {
        return Ok(None);
    }
    let mut inputs = vec![0.0f32; rows * nh];
    gemm(
        &mut inputs,
        Operand::new(values, rows, nv),
        Operand::new(rbm.weights(), nv, nh),
        1.0,
        false,
    );
    linalg::add_bias_rows(&mut inputs, rbm.hidden_bias());
    let spin_visible = rbm.visible_units() == VisibleUnits::Spin;
    let mut total = 0.0f64;
    for (v, x) in values.chunks_exact(nv).zip(inputs.chunks_exact(nh)) {
        for (i, &vi) in v.iter().enumerate() {
            let d = if spin_visible {
                -2.0 * vi
            } else {
                1.0 - 2.0 * vi
            };
            let w_row = &rbm.weights()[i * nh..(i + 1) * nh];
            let shift = match rbm.hidden_units() {
                HiddenUnits::Bernoulli => softplus_shift_sum(x, w_row, d),
                HiddenUnits::Spin => ln_2cosh_shift_sum(x, w_row, d),
                HiddenUnits::Gaussian => gaussian_shift_sum(x, w_row, d),
            };
            let delta_f = -(rbm.visible_bias()[i] * d) as f64 - shift as f64;
            total -= softplus(-delta_f);
        }
    }
    Ok(Some(total / rows as f64))
}

/// Σ_j [f(x_j + d·w_j) − f(x_j)] in f32 with 16 running sums, then added
/// in order; inlined into each `multiversion!` kernel that uses it.
#[inline(always)]
fn shift_sum_f32(x: &[f32], w: &[f32], d: f32, f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; 16];
    let mut xs = x.chunks_exact(16);
    let mut ws = w.chunks_exact(16);
    for (xc, wc) in (&mut xs).zip(&mut ws) {
        for l in 0..16 {
            lanes[l] += f(xc[l] + d * wc[l]) - f(xc[l]);
        }
    }
    let mut total: f32 = lanes.iter().sum();
    for (&xv, &wv) in xs.remainder().iter().zip(ws.remainder()) {
        total += f(xv + d * wv) - f(xv);
    }
    total
}

multiversion! {
    /// Σ_j [softplus(x_j + d·w_j) − softplus(x_j)]: the change of a
    /// Bernoulli hidden layer's log partition sum when one visible unit with
    /// weights `w` changes by `d`.
    pub fn softplus_shift_sum(x: &[f32], w: &[f32], d: f32) -> f32 {
        shift_sum_f32(x, w, d, softplus_f32)
    }
}

multiversion! {
    /// Σ_j [ln 2cosh(x_j + d·w_j) − ln 2cosh(x_j)], the spin-hidden analogue
    /// of [`softplus_shift_sum`].
    pub fn ln_2cosh_shift_sum(x: &[f32], w: &[f32], d: f32) -> f32 {
        shift_sum_f32(x, w, d, ln_2cosh_f32)
    }
}

/// Σ_j [½(x_j + d·w_j)² − ½x_j²] = Σ_j d·w_j (x_j + ½ d·w_j): the
/// Gaussian-hidden analogue of [`softplus_shift_sum`] (exact in closed form).
fn gaussian_shift_sum(x: &[f32], w: &[f32], d: f32) -> f32 {
    let total: f64 = x
        .iter()
        .zip(w)
        .map(|(&x, &w)| {
            let dw = f64::from(d) * f64::from(w);
            dw * (f64::from(x) + 0.5 * dw)
        })
        .sum();
    total as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softplus_shift_sum_matches_f64() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 1.7).collect();
        let w: Vec<f32> = (0..37).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.9).collect();
        let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
        let lc = |v: f64| v.abs() + (-2.0 * v.abs()).exp().ln_1p();
        for d in [1.0f32, -1.0, 2.0] {
            let exact: f64 = x
                .iter()
                .zip(&w)
                .map(|(&a, &b)| sp(a as f64 + (d * b) as f64) - sp(a as f64))
                .sum();
            assert!(
                (softplus_shift_sum(&x, &w, d) as f64 - exact).abs() < 1e-4,
                "{d}"
            );
            let exact: f64 = x
                .iter()
                .zip(&w)
                .map(|(&a, &b)| lc(a as f64 + (d * b) as f64) - lc(a as f64))
                .sum();
            assert!(
                (ln_2cosh_shift_sum(&x, &w, d) as f64 - exact).abs() < 1e-4,
                "{d}"
            );
        }
    }

    #[test]
    fn pseudo_log_likelihood_matches_free_energy_differences() {
        // ln P(v_i | v_−i) = −softplus(F(v) − F(v with v_i flipped)), from
        // free_energy_visible, for every hidden type (issue #14: Gaussian).
        let (nv, nh) = (5, 3);
        for hidden in HiddenUnits::ALL {
            let w: Vec<f32> = (0..nv * nh)
                .map(|k| ((k * 7 % 11) as f32 - 5.0) * 0.2)
                .collect();
            let b: Vec<f32> = (0..nv).map(|i| (i as f32 - 2.0) * 0.3).collect();
            let c: Vec<f32> = (0..nh).map(|j| (j as f32 - 1.0) * 0.4).collect();
            let rbm = Rbm::from_parameters(VisibleUnits::Spin, hidden, w, b, c).unwrap();
            let values: Vec<f32> = [1., -1., 1., 1., -1., -1., -1., 1., 1., -1.].to_vec();
            let data = Dataset::new(2, nv, values.clone()).unwrap();
            let found = pseudo_log_likelihood(&rbm, &data, 2).unwrap().unwrap();
            let mut expected = 0.0;
            for row in values.chunks_exact(nv) {
                let f = rbm.free_energy_visible(row, 1).unwrap()[0];
                for i in 0..nv {
                    let mut flipped = row.to_vec();
                    flipped[i] = -flipped[i];
                    let g = rbm.free_energy_visible(&flipped, 1).unwrap()[0];
                    expected -= softplus(f - g);
                }
            }
            expected /= 2.0;
            assert!(
                (found - expected).abs() < 1e-4,
                "{hidden}: {found} vs {expected}"
            );
        }
    }
}
