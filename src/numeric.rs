//! Scalar helpers shared by several chapters, each written once.
//!
//! The helpers are generic over [`Scalar`], so the same code runs on `f64`,
//! on the dual numbers that [`crate::diff`] differentiates with, and on
//! Taylor jets. Each is written in the form that neither overflows nor
//! loses the small terms (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §1.14 on `log(1 + x)`).

use crate::diff::Scalar;
use crate::error::{Result, ensure_finite, ensure_len};

/// `ln(1 + e^z)` without overflow: `max(z, 0) + ln(1 + e^{−|z|})`.
pub fn softplus<S: Scalar>(z: S) -> S {
    let positive = if z.re() > 0.0 { z } else { S::cst(0.0) };
    positive + (-z.abs()).exp().ln_1p()
}

/// The logistic function `σ(z) = 1/(1 + e^{−z})`, as `(1 + tanh(z/2))/2`,
/// which overflows for no `z`.
pub fn sigmoid<S: Scalar>(z: S) -> S {
    S::cst(0.5) * (S::cst(1.0) + (S::cst(0.5) * z).tanh())
}

/// `ln Σᵢ e^{xᵢ}` without overflow: `m + ln Σᵢ e^{xᵢ − m}` with `m = maxᵢ xᵢ`.
///
/// # Errors
/// [`crate::Error::TooFew`] for an empty slice (the sum would be `ln 0 = −∞`).
pub fn log_sum_exp<S: Scalar>(xs: &[S]) -> Result<S> {
    ensure_len("log-sum-exp terms", xs.len(), 1)?;
    let m = xs
        .iter()
        .copied()
        .fold(xs[0], |a, b| if b.re() > a.re() { b } else { a });
    let sum = xs.iter().fold(S::cst(0.0), |s, &x| s + (x - m).exp());
    Ok(m + sum.ln())
}

/// The angle between two vectors from its cosine, with the argument clamped
/// to `[−1, 1]`: rounding can push a computed cosine of parallel vectors to
/// `1 + 1e-16`, where `acos` would return NaN.
///
/// # Errors
/// [`crate::Error::NonFinite`] if `c` is NaN or infinite.
pub fn clamped_acos(c: f64) -> Result<f64> {
    ensure_finite("cosine", &[c])?;
    Ok(c.clamp(-1.0, 1.0).acos())
}
