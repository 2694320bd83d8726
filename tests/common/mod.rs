//! Shared settings for the property tests.

#![allow(dead_code)]

use proptest::test_runner::{Config, RngSeed};

/// Seed of every property test: runs are reproducible, and a failure reported
/// by CI is the same failure on any machine.
pub const SEED: u64 = 0x5EED_2015;

/// A proptest configuration with a fixed seed and `cases` generated inputs.
///
/// Shrunk failures are printed rather than persisted; a case worth keeping
/// becomes a named unit test instead.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..Config::default()
    }
}
