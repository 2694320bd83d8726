//! Candle plumbing that several chapters train with.
//!
//! * [`tensor`]: candle tensors ↔ nalgebra matrices, scalars;
//! * [`data`]: a labelled data set as tensors, and its shuffled minibatches;
//! * [`optim`]: Adam and SGD with PyTorch-style momentum;
//! * [`feature`]: a small feature network with class weights;
//! * [`train`]: the classification training loop, which calls a [`Head`]
//!   to turn features into logits (the heads live in their chapters);
//! * [`metrics`]: accuracy, ROC, AUC and TAR at a given FAR.

pub mod data;
pub mod feature;
pub mod metrics;
pub mod optim;
pub mod tensor;
pub mod train;

pub use data::{Batches, Data};
pub use feature::FeatureNet;
pub use optim::Opt;
pub use tensor::{scalar, to_matrix, to_tensor};
pub use train::{EpochStats, Head, TrainConfig};
