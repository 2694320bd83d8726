//! Taylor series (chapter "Taylor series").
