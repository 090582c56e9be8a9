//! Deep belief networks as stacks of RBMs: layer l's hidden units are
//! layer l + 1's visible units, and each layer is one step of the
//! variational renormalization group (Mehta & Schwab 2014, §IV): the up-pass
//! maps a configuration to its coarse-grained description, the down-pass
//! maps it back.
//!
//! This module holds the stack, its mean-field passes and greedy
//! layer-wise training; the file format and the RG analysis build on it.
//!
//! # References
//! - G. E. Hinton, S. Osindero and Y.-W. Teh, "A fast learning algorithm for
//!   deep belief nets", Neural Computation 18, 1527 (2006).
//! - P. Mehta and D. J. Schwab, "An exact mapping between the Variational
//!   Renormalization Group and Deep Learning", arXiv:1410.3831 (2014).

pub mod file;
pub mod free_energy;

pub use free_energy::{
    layer_free_energies, layer_free_energy, layer_free_energy_on_inputs, LayerFreeEnergy,
};

use crate::data::Dataset;
use crate::rbm::{HiddenUnits, Rbm, VisibleUnits};
use crate::rng::Rng;
use crate::train::{
    fit, initial_rbm, EpochMetrics, EpochRecord, FitOptions, Monitor, TrainParams, TrainState,
    Trainer,
};
use crate::{Error, Result};

/// A layer just trained by [`Dbn::train_greedy`]: the stack so far (this
/// layer last) and the inputs it was trained and monitored on.
pub struct LayerTrained<'a> {
    pub layer: usize,
    pub stack: &'a [Rbm],
    pub train_inputs: &'a Dataset,
    pub validation_inputs: Option<&'a Dataset>,
}

/// An epoch just trained by [`Dbn::train_greedy`]: the layer, its
/// monitor's metrics, the finished layers below it and the layer's trainer
/// (its model, parameters and optimiser state: what a checkpoint needs).
pub struct EpochTrained<'a> {
    pub layer: usize,
    pub metrics: &'a EpochMetrics,
    pub finished: &'a [Rbm],
    pub trainer: &'a Trainer,
}

/// What [`Dbn::train_greedy`] reports as it goes; an error from either
/// hook stops training and is returned.
pub struct GreedyHooks<'a> {
    /// After each epoch.
    pub epoch_done: &'a mut dyn FnMut(EpochTrained<'_>) -> Result<()>,
    /// After each layer.
    pub layer_done: &'a mut dyn FnMut(LayerTrained<'_>) -> Result<()>,
}

/// Where [`Dbn::train_greedy_from`] starts: the layers already trained
/// (bottom first) and, optionally, the next layer part-way through its
/// epochs with its optimiser state (from a checkpoint). The default is a
/// fresh start.
#[derive(Clone, Debug, Default)]
pub struct GreedyStart {
    pub finished: Vec<Rbm>,
    pub in_progress: Option<(Rbm, TrainState)>,
}

/// Errors unless `rbm` is what layer `l` of `spec` trains on inputs of
/// `n_visible` units of kind `units`.
fn check_resumed_layer(
    l: usize,
    rbm: &Rbm,
    spec: &LayerSpec,
    n_visible: usize,
    units: VisibleUnits,
) -> Result<()> {
    if (rbm.n_visible(), rbm.n_hidden()) != (n_visible, spec.n_hidden) {
        return Err(Error::ShapeMismatch {
            what: format!("layer {l} to resume"),
            expected: format!("{n_visible} × {} units", spec.n_hidden),
            found: format!("{} × {}", rbm.n_visible(), rbm.n_hidden()),
        });
    }
    if (rbm.visible_units(), rbm.hidden_units()) != (units, spec.hidden_units) {
        return Err(Error::invalid(
            "layer unit types",
            format!(
                "{} → {} in layer {l} to resume",
                rbm.visible_units(),
                rbm.hidden_units()
            ),
            format!("{units} → {} as specified", spec.hidden_units),
        ));
    }
    Ok(())
}

/// Errors for Gaussian hidden units in layer `l` of a DBN. Their real
/// values could only feed Gaussian visible units above, and the DBN's
/// analyses (block spins, per-level observables, spin readings of the
/// hidden levels) assume discrete levels; a Gaussian-hidden RBM is trained
/// and analysed on its own.
fn check_discrete_hidden(l: usize, hidden_units: HiddenUnits) -> Result<()> {
    if hidden_units.is_discrete() {
        Ok(())
    } else {
        Err(Error::invalid(
            "layer unit types",
            format!("{hidden_units} hidden units in layer {l}"),
            "bernoulli or spin hidden units in a DBN (Gaussian hidden units are \
             supported in a single RBM, not in a stack)",
        ))
    }
}

/// The mean-field hidden activations of `rbm` for every row of `inputs`.
fn propagate(rbm: &Rbm, inputs: &Dataset) -> Result<Dataset> {
    let mut next = vec![0.0f32; inputs.n_rows * rbm.n_hidden()];
    rbm.mean_hiddens(&inputs.dense_values(), inputs.n_rows, &mut next)?;
    Dataset::new(inputs.n_rows, rbm.n_hidden(), next)
}

/// One layer of a greedy stack: its hidden units and how to train it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    pub n_hidden: usize,
    pub hidden_units: HiddenUnits,
    pub params: TrainParams,
}

/// A stack of RBMs, bottom (data) layer first.
#[derive(Clone, Debug, PartialEq)]
pub struct Dbn {
    layers: Vec<Rbm>,
}

impl Dbn {
    /// A stack of `layers`. Errors unless there is at least one layer and
    /// each layer's hidden units are the next layer's visible units: the
    /// same count and the same kind (Bernoulli hidden under Bernoulli
    /// visible, spin under spin). Gaussian hidden units are refused in
    /// every layer (see `check_discrete_hidden`).
    pub fn new(layers: Vec<Rbm>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::invalid("layers", 0, "at least one RBM"));
        }
        for (l, layer) in layers.iter().enumerate() {
            check_discrete_hidden(l, layer.hidden_units())?;
        }
        for (l, pair) in layers.windows(2).enumerate() {
            let (below, above) = (&pair[0], &pair[1]);
            if below.n_hidden() != above.n_visible() {
                return Err(Error::ShapeMismatch {
                    what: format!("layer {} visible units (layer {l}'s hidden units)", l + 1),
                    expected: format!("{}", below.n_hidden()),
                    found: format!("{}", above.n_visible()),
                });
            }
            let matching = matches!(
                (below.hidden_units(), above.visible_units()),
                (HiddenUnits::Bernoulli, VisibleUnits::Bernoulli)
                    | (HiddenUnits::Spin, VisibleUnits::Spin)
            );
            if !matching {
                return Err(Error::invalid(
                    "layer unit types",
                    format!(
                        "{} hidden units under {} visible units (layers {l} and {})",
                        below.hidden_units(),
                        above.visible_units(),
                        l + 1
                    ),
                    "the same kind of unit on both sides of a layer boundary",
                ));
            }
        }
        Ok(Dbn { layers })
    }

    pub fn layers(&self) -> &[Rbm] {
        &self.layers
    }

    /// Units per level: the data's, then each layer's hidden units.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.layers[0].n_visible())
            .chain(self.layers.iter().map(Rbm::n_hidden))
            .collect()
    }

    /// The mean-field up-pass of a batch `v` (`rows × n_visible` of layer
    /// 0) to level `level` (1 = layer 0's hidden units, …): each level's
    /// conditional means E[h | means below] (Hinton et al. 2006, §4).
    pub fn up(&self, v: &[f32], rows: usize, level: usize) -> Result<Vec<f32>> {
        self.check_level(level)?;
        let mut current = v.to_vec();
        for layer in &self.layers[..level] {
            let mut next = vec![0.0f32; rows * layer.n_hidden()];
            layer.mean_hiddens(&current, rows, &mut next)?;
            current = next;
        }
        Ok(current)
    }

    /// The mean-field down-pass of a batch `h` at level `level` back to the
    /// data: each level's conditional means E[v | means above].
    pub fn down(&self, h: &[f32], rows: usize, level: usize) -> Result<Vec<f32>> {
        self.check_level(level)?;
        let mut current = h.to_vec();
        for layer in self.layers[..level].iter().rev() {
            let mut next = vec![0.0f32; rows * layer.n_visible()];
            layer.mean_visibles(&current, rows, &mut next)?;
            current = next;
        }
        Ok(current)
    }

    /// The sampled up-pass: h¹ ~ P(h | v) in layer 0, h² ~ P(h | h¹) in
    /// layer 1, … up to level `level`; returns the samples at that level.
    /// Each level draws from streams of `rng` (see [`crate::rbm`]'s Gibbs
    /// sampler), so results do not depend on the thread count.
    pub fn sample_up(
        &self,
        v: &[f32],
        rows: usize,
        level: usize,
        rng: &mut Rng,
    ) -> Result<Vec<f32>> {
        self.check_level(level)?;
        let mut current = v.to_vec();
        for layer in &self.layers[..level] {
            let mut next = vec![0.0f32; rows * layer.n_hidden()];
            layer.sample_hiddens(&current, rows, rng, &mut next)?;
            current = next;
        }
        Ok(current)
    }

    /// Reconstructions from level `level`: the mean-field up-pass to that
    /// level, then the mean-field down-pass back to the data,
    /// `down(up(v, level), level)`. Level 0 returns `v`.
    pub fn reconstruct(&self, v: &[f32], rows: usize, level: usize) -> Result<Vec<f32>> {
        let top = self.up(v, rows, level)?;
        self.down(&top, rows, level)
    }

    /// Generation (Hinton, Osindero & Teh 2006, §2 and §5): `n_samples`
    /// block-Gibbs chains of `gibbs_steps` steps in the top RBM
    /// ([`Rbm::sample_chains`] with `seed`), then an ancestral down-pass,
    /// v ~ P(v | h) in each lower layer, drawn from the sampling family's
    /// third stream. Returns samples of the data's units
    /// (`n_samples × n_visible` of layer 0); with one layer this is exactly
    /// [`Rbm::sample_chains`]. `step_done` is called after each Gibbs step.
    pub fn generate(
        &self,
        n_samples: usize,
        gibbs_steps: usize,
        seed: u64,
        step_done: &dyn Fn(),
    ) -> Result<Vec<f32>> {
        let (top, below) = self.layers.split_last().expect("at least one layer");
        let widest = self.sizes().into_iter().max().unwrap_or(0);
        crate::memory::check_product(
            || format!("{n_samples} generated samples of up to {widest} units"),
            &[n_samples, widest, 2],
            std::mem::size_of::<f32>(),
        )?;
        let mut current = top.sample_chains(n_samples, gibbs_steps, seed, step_done)?;
        let sampling = crate::rng::family(seed, crate::rng::families::SAMPLING);
        let mut rng = crate::rng::streams(&sampling, 3)
            .pop()
            .expect("three streams");
        for layer in below.iter().rev() {
            let mut next = vec![0.0f32; n_samples * layer.n_visible()];
            layer.sample_visibles(&current, n_samples, &mut rng, &mut next)?;
            current = next;
        }
        Ok(current)
    }

    /// Greedy layer-wise training (Hinton, Osindero & Teh 2006, §4): layer
    /// 0 is an RBM with `visible_units` trained on `data`; each further
    /// layer is trained on the mean-field up-pass of the data through the
    /// layers below (hidden means as inputs; spin means lie in [−1, 1]).
    /// `validation` (data-level rows, optional) is propagated alongside and
    /// monitored: after every epoch `hooks.epoch_done` receives the layer's
    /// [`EpochMetrics`] on up to `monitor_rows` rows of its training and
    /// validation inputs, and its trainer; after each layer
    /// `hooks.layer_done` receives the stack so far and that layer's inputs
    /// (to save a checkpoint or measure free energies; an error there stops
    /// training). Deterministic for given seeds, whatever the thread count.
    pub fn train_greedy(
        data: &Dataset,
        validation: Option<&Dataset>,
        visible_units: VisibleUnits,
        specs: &[LayerSpec],
        monitor_rows: usize,
        hooks: &mut GreedyHooks<'_>,
    ) -> Result<Self> {
        Self::train_greedy_from(
            data,
            validation,
            visible_units,
            specs,
            monitor_rows,
            GreedyStart::default(),
            hooks,
        )
    }

    /// [`Dbn::train_greedy`] continued from `start`: the finished layers
    /// are kept (and the data propagated through them), the layer in
    /// progress resumes at its saved epoch with its optimiser state
    /// ([`Trainer::resume`]), and the layers above are trained afresh. Every
    /// epoch draws from streams of its layer's seed and epoch number, so
    /// the result is bit for bit that of a run that never stopped. Errors
    /// if `start` does not fit `specs` (more layers than specified, shapes
    /// or unit types that differ, more epochs done than specified).
    pub fn train_greedy_from(
        data: &Dataset,
        validation: Option<&Dataset>,
        visible_units: VisibleUnits,
        specs: &[LayerSpec],
        monitor_rows: usize,
        start: GreedyStart,
        hooks: &mut GreedyHooks<'_>,
    ) -> Result<Self> {
        if specs.is_empty() {
            return Err(Error::invalid("layers", 0, "at least one layer"));
        }
        for (l, spec) in specs.iter().enumerate() {
            check_discrete_hidden(l, spec.hidden_units)?;
        }
        if let Some(v) = validation {
            if v.n_features != data.n_features {
                return Err(Error::ShapeMismatch {
                    what: "validation rows".into(),
                    expected: format!("{} features (as the training data)", data.n_features),
                    found: format!("{}", v.n_features),
                });
            }
        }
        let GreedyStart {
            finished: mut layers,
            mut in_progress,
        } = start;
        let done = layers.len() + usize::from(in_progress.is_some());
        if done > specs.len() {
            return Err(Error::invalid(
                "layers to resume",
                done,
                format!("at most {} (the layers specified)", specs.len()),
            ));
        }
        let mut inputs = data.clone();
        let mut validation_inputs = validation.filter(|v| v.n_rows > 0).cloned();
        let mut units = visible_units;
        let next_units = |spec: &LayerSpec| match spec.hidden_units {
            HiddenUnits::Bernoulli => VisibleUnits::Bernoulli,
            HiddenUnits::Spin => VisibleUnits::Spin,
            // Refused above (check_discrete_hidden); the kind that would match.
            HiddenUnits::Gaussian => VisibleUnits::Gaussian,
        };
        for (l, (rbm, spec)) in layers.iter().zip(specs).enumerate() {
            check_resumed_layer(l, rbm, spec, inputs.n_features, units)?;
            if l + 1 < specs.len() {
                inputs = propagate(rbm, &inputs)?;
                if let Some(v) = &validation_inputs {
                    validation_inputs = Some(propagate(rbm, v)?);
                }
                units = next_units(spec);
            }
        }
        for (l, spec) in specs.iter().enumerate().skip(layers.len()) {
            spec.params.check_batch(inputs.n_rows)?;
            let monitor = Monitor::new(&inputs, validation_inputs.as_ref(), monitor_rows, 0);
            let mut trainer = match in_progress.take() {
                Some((rbm, state)) => {
                    check_resumed_layer(l, &rbm, spec, inputs.n_features, units)?;
                    if state.epochs_done > spec.params.epochs() {
                        return Err(Error::invalid(
                            "epochs done in the layer to resume",
                            state.epochs_done,
                            format!("at most {} (its epochs)", spec.params.epochs()),
                        ));
                    }
                    Trainer::resume(rbm, spec.params.clone(), state)?
                }
                None => {
                    let rbm = initial_rbm(
                        &inputs,
                        spec.n_hidden,
                        units,
                        spec.hidden_units,
                        &spec.params,
                    )?;
                    Trainer::new(rbm, spec.params.clone())
                }
            };
            let mut epoch_done = |trainer: &Trainer, record: &EpochRecord| {
                (hooks.epoch_done)(EpochTrained {
                    layer: l,
                    metrics: &record.metrics,
                    finished: &layers,
                    trainer,
                })
            };
            fit(
                &mut trainer,
                &inputs,
                &monitor,
                &FitOptions::default(),
                &mut epoch_done,
            )
            .map_err(|e| in_layer(l, e))?;
            layers.push(trainer.rbm().clone());
            (hooks.layer_done)(LayerTrained {
                layer: l,
                stack: &layers,
                train_inputs: &inputs,
                validation_inputs: validation_inputs.as_ref(),
            })?;
            if l + 1 < specs.len() {
                let rbm = &layers[l];
                inputs = propagate(rbm, &inputs)?;
                if let Some(v) = &validation_inputs {
                    validation_inputs = Some(propagate(rbm, v)?);
                }
                units = next_units(spec);
            }
        }
        Dbn::new(layers)
    }

    /// Errors unless `l` names a layer (0 to n_layers − 1).
    pub fn check_layer(&self, l: usize) -> Result<()> {
        if l >= self.layers.len() {
            return Err(Error::invalid(
                "layer",
                l,
                format!("0 to {} (the top layer)", self.layers.len() - 1),
            ));
        }
        Ok(())
    }

    fn check_level(&self, level: usize) -> Result<()> {
        if level > self.layers.len() {
            return Err(Error::invalid(
                "level",
                level,
                format!("0 (the data) to {} (the top layer)", self.layers.len()),
            ));
        }
        Ok(())
    }
}

/// A divergence in layer `l` (0-based) says which layer diverged.
fn in_layer(l: usize, error: Error) -> Error {
    match error {
        Error::NonFinite { epoch, quantity } => Error::NonFinite {
            epoch,
            quantity: format!("layer {}'s {quantity}", l + 1),
        },
        other => other,
    }
}
