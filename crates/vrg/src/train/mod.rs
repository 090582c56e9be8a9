//! Training RBMs: contrastive divergence (CD-k), persistent CD (PCD-k),
//! momentum, weight decay, L1, sparsity and dropout, with the per-epoch
//! free-energy monitor of Hinton's practical guide (§6).

pub mod checkpoint;
mod momentum;
mod monitor;
mod params;
mod trainer;

pub use monitor::{EpochMetrics, Monitor};
pub use params::{Method, TrainParams};
pub use trainer::{initial_rbm, TrainState, Trainer, CHUNK_ROWS};
