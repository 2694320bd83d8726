//! Face alignment in 2-D and 3-D (chapter "Face alignment in 2-D and 3-D").
