//! Newton's method (chapter "Newton's method").
