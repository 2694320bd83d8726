//! A-Softmax geometry (chapter "A-Softmax geometry (SphereFace)").
