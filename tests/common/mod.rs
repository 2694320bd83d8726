//! Shared settings for the property tests.

#![allow(dead_code)]

use proptest::test_runner::Config;

/// The proptest configuration every property uses: proptest's own defaults.
///
/// That means 256 cases unless `PROPTEST_CASES` says otherwise, and a fresh random seed
/// unless `PROPTEST_RNG_SEED` fixes one (`scripts/check.sh` fixes it, so that a failure CI
/// reports is the same failure on any machine). A failing input is saved next to the test
/// file (`tests/<file>.proptest-regressions`) and replayed first on every later run; those
/// files are committed.
pub fn config() -> Config {
    Config::default()
}
