//! Training RBMs: contrastive divergence (CD-k), persistent CD (PCD-k),
//! EMF training on the TAP free energy (tap2, tap3; [`Method`]),
//! momentum, weight decay, L1, sparsity and dropout, with the per-epoch
//! free-energy monitor of Hinton's practical guide (§6): hyper-parameters
//! ([`TrainConfig`] → [`TrainParams`]), one update ([`Trainer`]) and the
//! loop of epochs with its hooks ([`fit`]).

pub mod checkpoint;
mod emf;
mod fit;
mod momentum;
mod monitor;
mod params;
mod phases;
mod trainer;

pub use fit::{fit, EpochRecord, FitHooks, FitOptions, Likelihood};
pub use monitor::{EpochMetrics, Monitor};
pub use params::{
    Conflict, LayerConfig, Method, PerLayer, TapPrecision, TapWeights, TrainConfig,
    TrainConfigLists, TrainParams,
};
pub use trainer::{initial_rbm, TrainState, Trainer, CHUNK_ROWS};
