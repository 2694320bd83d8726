//! Paired comparisons over seeds, and the chapter's decision rule.
//!
//! Two configurations run from the same start per seed give one difference per
//! seed, `d_s = a_s − b_s`. The chapter calls a difference real when the mean
//! `d̄` is more than two standard errors `SE = sd(d)/√n` away from zero, and
//! otherwise says that no difference was detected with `n` seeds.

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// What the two-standard-error rule decides about a paired difference `a − b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Decision {
    /// `d̄ > 2 SE`: `a` is larger.
    AHigher,
    /// `d̄ < −2 SE`: `b` is larger.
    BHigher,
    /// `|d̄| ≤ 2 SE`: no difference detected with these seeds.
    NotDetected,
}

/// Per-seed differences `a_s − b_s` with their mean, standard deviation and
/// standard error.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Paired {
    /// `a_s − b_s`, in seed order.
    pub diffs: Vec<f64>,
    /// Their mean `d̄`.
    pub mean: f64,
    /// Their sample standard deviation (`n − 1` in the denominator).
    pub sd: f64,
    /// The standard error of the mean, `sd / √n`.
    pub se: f64,
}

impl Paired {
    /// Pairs `a` and `b` seed by seed.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if the lengths differ, [`Error::TooFew`] for
    /// fewer than two seeds (no spread), [`Error::NonFinite`] for a NaN or
    /// infinite value (a diverged run has no value to compare).
    pub fn new(a: &[f64], b: &[f64]) -> Result<Paired> {
        if a.len() != b.len() {
            return Err(Error::ShapeMismatch {
                what: "seeds of the two configurations",
                expected: a.len().to_string(),
                got: b.len().to_string(),
            });
        }
        ensure_len("seeds for a paired comparison", a.len(), 2)?;
        ensure_finite("first configuration's values", a)?;
        ensure_finite("second configuration's values", b)?;
        let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let n = diffs.len() as f64;
        let mean = diffs.iter().sum::<f64>() / n;
        let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Ok(Paired {
            diffs,
            mean,
            sd,
            se: sd / n.sqrt(),
        })
    }

    /// The two-standard-error rule.
    pub fn decision(&self) -> Decision {
        if self.mean > 2.0 * self.se {
            Decision::AHigher
        } else if self.mean < -2.0 * self.se {
            Decision::BHigher
        } else {
            Decision::NotDetected
        }
    }
}
