//! The report of `vrg rbm train --report`: what was trained, on what, with
//! which parameters, and how every epoch went.

use super::{format_number, run_rows, Block, Cell, Figure, Report, Section, Table};
use crate::plots::{self, EpochPoint};
use anyhow::Result;
use serde_json::Value;

/// Most epochs listed in the epoch table; longer runs list evenly spaced
/// epochs and always the last one (the figure shows them all).
pub const MAX_EPOCH_ROWS: usize = 100;

/// What an `vrg rbm train` run hands its report.
pub struct RbmTraining<'a> {
    /// The model file written.
    pub model: String,
    /// The training data file.
    pub data: String,
    /// Rows trained on and rows held out for the monitor.
    pub rows: usize,
    pub held_out: Option<usize>,
    /// Unit types and sizes.
    pub visible_units: String,
    pub hidden_units: String,
    pub n_visible: usize,
    pub n_hidden: usize,
    /// The training parameters as written into the model file.
    pub params: Value,
    /// Every epoch trained so far (earlier runs' from the log on --resume).
    pub epochs: &'a [EpochPoint],
    /// [`super::run_record`] of this run.
    pub run: Value,
}

/// The report of one RBM training run.
///
/// # Errors
/// When the training curves cannot be drawn.
pub fn rbm_training_report(t: &RbmTraining) -> Result<Report> {
    let mut run = run_rows(&t.run);
    run.push(("model".into(), t.model.clone()));
    run.push(("data".into(), t.data.clone()));
    if let Some(seed) = t.params["seed"].as_u64() {
        run.push(("seed".into(), seed.to_string()));
    }
    let held = t
        .held_out
        .map_or(String::new(), |h| format!(", {h} held out for the monitor"));
    let lead = format!(
        "A restricted Boltzmann machine of {} {} visible and {} {} hidden units, trained on \
         {} rows of {}{held}. Its free energy H(v) = −ln Σ_h e^(−E(v,h)) is the marginal \
         Hamiltonian of the data; a held-out free energy rising above the training one is \
         overfitting (Hinton's monitor).",
        t.n_visible, t.visible_units, t.n_hidden, t.hidden_units, t.rows, t.data
    );
    let mut sections = vec![Section {
        id: "parameters".into(),
        heading: "Training parameters".into(),
        intro: None,
        blocks: vec![Block::Table(params_table(&t.params))],
    }];
    if !t.epochs.is_empty() {
        let mut blocks = Vec::new();
        let curves = plots::training_curves(t.epochs);
        if !curves.is_empty() {
            let png = vrg_plot::panels(&curves, plots::COLUMNS)?;
            blocks.push(Block::Figure(Figure::from_png(
                "training curves",
                "Against epoch: the mean free energy of training and held-out rows (a growing \
                 gap is overfitting), the reconstruction error (should fall and level off), \
                 and the pseudo-log-likelihood with ln p(v) where it was evaluated \
                 (should rise).",
                png,
            )?));
        }
        blocks.push(Block::Table(epochs_table(t.epochs)));
        sections.push(Section {
            id: "epochs".into(),
            heading: "Epochs".into(),
            intro: None,
            blocks,
        });
    }
    Ok(Report {
        title: format!("vrg rbm train: {}", t.model),
        lead,
        run,
        sections,
    })
}

fn params_table(params: &Value) -> Table {
    Table {
        caption: "As written into the model file".into(),
        head: vec!["parameter".into(), "value".into()],
        rows: params
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| vec![Cell::text(k), Cell::text(value_text(v))])
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), format_number),
        other => other.to_string(),
    }
}

/// The epochs listed: all of them up to [`MAX_EPOCH_ROWS`], else evenly
/// spaced ones and the last.
pub fn listed_epochs(n: usize) -> Vec<usize> {
    if n <= MAX_EPOCH_ROWS {
        return (0..n).collect();
    }
    let step = n.div_ceil(MAX_EPOCH_ROWS - 1);
    let mut picked: Vec<usize> = (0..n).step_by(step).collect();
    if picked.last() != Some(&(n - 1)) {
        picked.push(n - 1);
    }
    picked
}

fn epochs_table(epochs: &[EpochPoint]) -> Table {
    let number = |v: Option<f64>| Cell::text(v.map_or("—".into(), format_number));
    let picked = listed_epochs(epochs.len());
    let caption = if picked.len() < epochs.len() {
        format!(
            "{} of the {} epochs (evenly spaced, and the last); per row, in nats",
            picked.len(),
            epochs.len()
        )
    } else {
        "Per row, in nats".into()
    };
    Table {
        caption,
        head: [
            "epoch",
            "⟨H(v)⟩ training",
            "⟨H(v)⟩ held out",
            "gap",
            "reconstruction error",
            "pseudo-log-likelihood",
            "ln p(v) training",
            "ln p(v) held out",
        ]
        .map(String::from)
        .to_vec(),
        rows: picked
            .into_iter()
            .map(|i| {
                let e = &epochs[i];
                vec![
                    Cell::text(e.epoch.to_string()),
                    number(Some(e.free_energy_train)),
                    number(e.free_energy_validation),
                    number(e.free_energy_gap),
                    number(Some(e.reconstruction_error)),
                    number(e.pseudo_log_likelihood),
                    number(e.log_likelihood_train),
                    number(e.log_likelihood_validation),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_runs_list_spaced_epochs_and_the_last() {
        assert_eq!(listed_epochs(3), vec![0, 1, 2]);
        let picked = listed_epochs(1000);
        assert!(picked.len() <= MAX_EPOCH_ROWS);
        assert_eq!(picked[0], 0);
        assert_eq!(*picked.last().unwrap(), 999);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
    }
}
