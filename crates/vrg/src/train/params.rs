//! Training hyper-parameters, checked before any work starts.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the negative phase is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Contrastive divergence: k Gibbs steps started at the data
    /// (Hinton 2002).
    Cd,
    /// Persistent contrastive divergence: k Gibbs steps continuing
    /// persistent chains across updates (Tieleman 2008).
    Pcd,
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cd" => Ok(Method::Cd),
            "pcd" => Ok(Method::Pcd),
            other => Err(Error::invalid("method", other, "cd or pcd")),
        }
    }
}

/// Hyper-parameters of RBM training. Defaults follow Hinton's practical
/// guide (2010): learning rate 0.01 for Bernoulli units, momentum 0.5 for
/// the first 5 epochs then 0.9, weights initialised from N(0, 0.01²).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub method: Method,
    /// Gibbs steps per update (k ≥ 1).
    pub k: usize,
    /// Epochs (passes over the training set).
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Learning rate at the first epoch.
    pub learning_rate: f64,
    /// If set, the learning rate falls linearly to this value at the last epoch.
    pub learning_rate_final: Option<f64>,
    /// Momentum after `momentum_switch_epoch` epochs.
    pub momentum: f64,
    /// Momentum before that (Hinton's guide §9: 0.5, then 0.9).
    pub initial_momentum: f64,
    pub momentum_switch_epoch: usize,
    /// L2 weight decay coefficient (on W only, Hinton's guide §10).
    pub l2: f64,
    /// L1 weight penalty coefficient (on W only).
    pub l1: f64,
    /// Target mean activation p of the hidden units (Hinton's guide §11).
    pub sparsity_target: Option<f64>,
    /// Cost of the sparsity penalty.
    pub sparsity_cost: f64,
    /// Decay λ of the running estimate q ← λq + (1 − λ)⟨h⟩.
    pub sparsity_decay: f64,
    /// Probability of dropping each hidden unit for a training case
    /// (Srivastava et al. 2014).
    pub dropout: f64,
    /// Persistent chains for PCD (default: the batch size).
    pub persistent_chains: Option<usize>,
    /// Standard deviation of the initial weights.
    pub init_std: f64,
    /// Seed of all random streams.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            method: Method::Pcd,
            k: 1,
            epochs: 10,
            batch_size: 100,
            learning_rate: 0.01,
            learning_rate_final: None,
            momentum: 0.9,
            initial_momentum: 0.5,
            momentum_switch_epoch: 5,
            l2: 1e-4,
            l1: 0.0,
            sparsity_target: None,
            sparsity_cost: 0.1,
            sparsity_decay: 0.95,
            dropout: 0.0,
            persistent_chains: None,
            init_std: 0.01,
            seed: 1,
        }
    }
}

fn check_range(name: &'static str, value: f64, low: f64, high: f64, expected: &str) -> Result<()> {
    if value.is_finite() && value >= low && value <= high {
        Ok(())
    } else {
        Err(Error::invalid(name, value, expected))
    }
}

impl TrainParams {
    /// Checks every range; `n_train` is the number of training rows.
    pub fn check(&self, n_train: usize) -> Result<()> {
        if self.k == 0 {
            return Err(Error::invalid("k", 0, "at least 1 Gibbs step"));
        }
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "at least 1 epoch"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch", 0, "a batch size of at least 1"));
        }
        if self.batch_size > n_train {
            return Err(Error::invalid(
                "batch",
                self.batch_size,
                format!("at most the {n_train} training rows"),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::invalid(
                "lr",
                self.learning_rate,
                "a finite learning rate > 0",
            ));
        }
        if let Some(last) = self.learning_rate_final {
            if !(last.is_finite() && last >= 0.0) {
                return Err(Error::invalid(
                    "lr-final",
                    last,
                    "a finite learning rate ≥ 0",
                ));
            }
        }
        check_range(
            "momentum",
            self.momentum,
            0.0,
            0.999_999,
            "a momentum in [0, 1)",
        )?;
        check_range(
            "initial-momentum",
            self.initial_momentum,
            0.0,
            0.999_999,
            "a momentum in [0, 1)",
        )?;
        check_range("l2", self.l2, 0.0, f64::MAX, "a weight decay ≥ 0")?;
        check_range("l1", self.l1, 0.0, f64::MAX, "an L1 penalty ≥ 0")?;
        if let Some(p) = self.sparsity_target {
            if !(p > 0.0 && p < 1.0) {
                return Err(Error::invalid(
                    "sparsity",
                    p,
                    "a target activation in (0, 1)",
                ));
            }
        }
        check_range(
            "sparsity-cost",
            self.sparsity_cost,
            0.0,
            f64::MAX,
            "a cost ≥ 0",
        )?;
        check_range(
            "sparsity-decay",
            self.sparsity_decay,
            0.0,
            0.999_999,
            "a decay in [0, 1)",
        )?;
        check_range(
            "dropout",
            self.dropout,
            0.0,
            0.99,
            "a dropout probability in [0, 0.99]",
        )?;
        if self.persistent_chains == Some(0) {
            return Err(Error::invalid("chains", 0, "at least 1 persistent chain"));
        }
        check_range(
            "init-std",
            self.init_std,
            0.0,
            10.0,
            "a standard deviation in [0, 10]",
        )?;
        Ok(())
    }

    /// The learning rate at `epoch` (0-based).
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        match self.learning_rate_final {
            Some(last) if self.epochs > 1 => {
                let f = epoch.min(self.epochs - 1) as f64 / (self.epochs - 1) as f64;
                self.learning_rate + (last - self.learning_rate) * f
            }
            _ => self.learning_rate,
        }
    }

    /// The momentum at `epoch` (0-based).
    pub fn momentum_at(&self, epoch: usize) -> f64 {
        if epoch < self.momentum_switch_epoch {
            self.initial_momentum
        } else {
            self.momentum
        }
    }

    /// Number of persistent chains (PCD).
    pub fn n_chains(&self) -> usize {
        self.persistent_chains.unwrap_or(self.batch_size)
    }
}
