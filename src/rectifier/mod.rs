//! Rectifier networks (chapter "Rectifier networks").
