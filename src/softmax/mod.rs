//! Softmax weight imbalance and normalization (chapter "Softmax weight imbalance and normalization").
//!
//! Shared by this chapter and the SphereFace chapter:
//! [`train`] (a candle feature network on the digits with a pluggable head:
//! softmax with or without bias, weight-normalized, NormFace, A-Softmax) and
//! [`verify`] (pair verification, ROC, and the metric-learning criterion).

pub mod train;
pub mod verify;
