//! Softmax weight imbalance and normalization (chapter "Softmax weight imbalance and normalization").
