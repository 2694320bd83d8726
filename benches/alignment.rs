//! Criterion benchmarks of the alignment chapter (filled in below).
fn main() {}
