//! Scalar helpers shared by several chapters, each written once.

use crate::error::{Result, ensure_finite};

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
