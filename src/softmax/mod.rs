//! Softmax weight imbalance and normalization (chapter "Softmax weight imbalance and normalization").
//!
//! * [`crossentropy`]: the softmax cross-entropy of a bias-free head, from its definition;
//! * [`twoclass`]: the notes' two-class derivation, with the exact gradient;
//! * [`imbalance`]: imbalanced subsets and Spearman's rank correlation;
//! * [`normface`]: NormFace's lower bound on the loss with normalized features;
//! * [`blur`]: Gaussian blur of digit images (the DeepFace note on L2 normalization);
//! * [`bias`]: when a bias can and cannot matter;
//! * [`experiments`]: every experiment the chapter reports, plan in, results out.
//!
//! Shared with the SphereFace chapter: [`train`] (the softmax-family heads
//! for the feature network and trainer of [`crate::nn`]: softmax with or
//! without bias, weight-normalized, NormFace) and [`verify`] (the
//! metric-learning criterion on learned features).

pub mod bias;
pub mod blur;
pub mod crossentropy;
pub mod experiments;
pub mod imbalance;
pub mod normface;
pub mod train;
pub mod twoclass;
pub mod verify;
