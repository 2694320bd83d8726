//! How much a transform changes the *shape* of a face: what is left after the
//! best similarity (which changes only pose and size) is taken out.

use super::P2;
use super::fit::{Transform2, fit_similarity};
use crate::error::Result;

// ANCHOR: shape_distortion
/// Shape distortion of `t` on the landmark set `pts`: the RMS distance between
/// `t(pts)` and the similarity fitted to it from `pts`, divided by the RMS radius
/// of `t(pts)`. It is 0 exactly when `t` acts on `pts` as a similarity, and it
/// does not depend on the size, position or rotation of either shape.
///
/// # Errors
///
/// As [`fit_similarity`]: [`crate::Error::TooFew`] for fewer than 2 points;
/// [`crate::Error::NonFinite`] for a NaN or infinite point, or one that `t` sends to
/// infinity; [`crate::Error::Singular`] when the points, or their images under `t`,
/// all coincide.
pub fn shape_distortion(t: &Transform2, pts: &[P2]) -> Result<f64> {
    let moved = t.apply_all(pts);
    let s = fit_similarity(pts, &moved)?;
    let fitted = s.apply_all(pts);
    let n = pts.len() as f64;
    let mean = moved
        .iter()
        .map(|p| p.coords)
        .sum::<nalgebra::Vector2<f64>>()
        / n;
    let radius = (moved
        .iter()
        .map(|p| (p.coords - mean).norm_squared())
        .sum::<f64>()
        / n)
        .sqrt();
    let rms = (moved
        .iter()
        .zip(&fitted)
        .map(|(a, b)| (a - b).norm_squared())
        .sum::<f64>()
        / n)
        .sqrt();
    Ok(rms / radius)
}
// ANCHOR_END: shape_distortion
