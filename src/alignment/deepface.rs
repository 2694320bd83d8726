//! DeepFace's 2-D alignment (Taigman et al. 2014, §2, "2D Alignment"): six
//! fiducial points (eye centres, nose tip, mouth corners and centre) are
//! aligned to a template by a similarity transform `T = (s, R, t)`; the image is
//! warped, the points detected again on the new crop, and the step repeated
//! until nothing changes; the final transform is the composition of the steps.

use super::P2;
use super::fit::{Transform2, fit_similarity};
use super::warp::{Interp, warp};
use crate::data::Gray;
use crate::error::{Error, Result};

// ANCHOR: fiducials6
/// The six DeepFace fiducials derived from the 68 iBUG landmarks: the two eye
/// centres (means of points 36–41 and 42–47), the nose tip (30), the mouth
/// corners (48, 54) and the mouth centre (mean of the inner-lip midpoints 62, 66).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `l` holds exactly the 68 iBUG landmarks.
pub fn fiducials6(l: &[P2]) -> Result<[P2; 6]> {
    if l.len() != 68 {
        return Err(Error::ShapeMismatch {
            what: "landmarks for the six fiducials",
            expected: "68 iBUG points".into(),
            got: l.len().to_string(),
        });
    }
    let mean = |r: std::ops::Range<usize>| {
        let n = r.len() as f64;
        P2::from(r.map(|i| l[i].coords).sum::<nalgebra::Vector2<f64>>() / n)
    };
    Ok([
        mean(36..42),
        mean(42..48),
        l[30],
        l[48],
        l[54],
        P2::from((l[62].coords + l[66].coords) / 2.0),
    ])
}
// ANCHOR_END: fiducials6

/// Names of the six fiducials, in the order of [`fiducials6`].
pub const FIDUCIAL_NAMES: [&str; 6] = [
    "eye centre (image left)",
    "eye centre (image right)",
    "nose tip",
    "mouth corner (image left)",
    "mouth corner (image right)",
    "mouth centre",
];

/// The result of [`align_2d`].
#[derive(Debug, Clone)]
pub struct Aligned2d {
    /// Photo → crop transform (the composition of all steps).
    pub transform: Transform2,
    /// The final crop.
    pub crop: Gray,
    /// Per step: the largest fiducial displacement the step made (crop pixels).
    pub updates: Vec<f64>,
    /// Per step: RMS distance of the detected fiducials to the template before the step.
    pub residuals: Vec<f64>,
}

// ANCHOR: align_2d
/// Iterated 2-D alignment. `detect(crop, photo_to_crop)` returns the six
/// fiducials found in the current crop (crop coordinates). Stops when a step
/// moves no fiducial by more than `tol` crop pixels, or after `max_iter` steps.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `max_iter == 0`, or for a crop `size` of 0 or
/// with an area above `2^28` pixels; any error `detect` returns; [`Error::NonFinite`]
/// for a NaN or infinite detected fiducial; [`Error::Singular`] when the detected
/// fiducials (or the template's) all coincide, or the accumulated transform has no
/// inverse.
pub fn align_2d(
    photo: &Gray,
    mut detect: impl FnMut(&Gray, &Transform2) -> Result<[P2; 6]>,
    template: &[P2; 6],
    size: usize,
    max_iter: usize,
    tol: f64,
) -> Result<Aligned2d> {
    if max_iter == 0 {
        return Err(Error::InvalidParameter {
            name: "max_iter",
            reason: "at least one alignment step is needed".into(),
        });
    }
    let mut total = Transform2::identity();
    let (mut updates, mut residuals) = (Vec::new(), Vec::new());
    for k in 0..max_iter {
        let found = if k == 0 {
            // The first detection runs on the photo itself (identity transform).
            detect(photo, &total)?
        } else {
            let crop = warp(photo, &total.inverse()?, size, size, Interp::Bilinear)?;
            detect(&crop, &total)?
        };
        let rms = (found
            .iter()
            .zip(template)
            .map(|(a, b)| (a - b).norm_squared())
            .sum::<f64>()
            / 6.0)
            .sqrt();
        residuals.push(rms);
        // ANCHOR: align_2d_step
        let step = fit_similarity(&found, template)?;
        let moved = found
            .iter()
            .map(|p| (step.apply(p) - p).norm())
            .fold(0.0, f64::max);
        total = step.after(&total);
        updates.push(moved);
        if moved <= tol {
            break;
        }
        // ANCHOR_END: align_2d_step
    }
    let crop = warp(photo, &total.inverse()?, size, size, Interp::Bilinear)?;
    Ok(Aligned2d {
        transform: total,
        crop,
        updates,
        residuals,
    })
}
// ANCHOR_END: align_2d
