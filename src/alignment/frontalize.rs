//! Piecewise-affine frontalization (DeepFace §2, "Frontalization"): each
//! triangle of the photo's landmarks is warped by the affine map that sends its
//! three corners onto the corresponding triangle of the frontal template.

use nalgebra::{Matrix3, Vector3};

use super::camera::{AffineCamera, facing_camera, signed_area2};
use super::triangulate::delaunay;
use super::warp::{Interp, sample};
use super::{P2, P3};
use crate::data::{Gray, Mesh};
use crate::error::{Error, Result};

/// The output of [`piecewise_affine`].
#[derive(Debug, Clone)]
pub struct PiecewiseWarp {
    /// The warped image (0 where no triangle covers a pixel).
    pub image: Gray,
    /// For each output pixel, the triangle that filled it.
    pub owner: Vec<Option<u32>>,
}

// ANCHOR: triangle_affine
/// The affine map sending triangle `from` exactly onto triangle `to`: the
/// unique solution of `[to_k; 1] = A [from_k; 1]` for the three corners.
///
/// # Errors
///
/// [`Error::Singular`] when the corners of `from` enclose no area (relative to the
/// triangle's size), so no affine map is defined.
pub fn triangle_affine(from: [P2; 3], to: [P2; 3]) -> Result<Matrix3<f64>> {
    let area = signed_area2(&from[0], &from[1], &from[2]);
    let size = (from[1] - from[0]).norm().max((from[2] - from[0]).norm());
    if area.abs() <= 1e-9 * size * size || size == 0.0 {
        return Err(Error::Singular {
            what: "a triangle of the triangulation",
            detail: format!(
                "corners ({:.2}, {:.2}), ({:.2}, {:.2}), ({:.2}, {:.2}) enclose no area",
                from[0].x, from[0].y, from[1].x, from[1].y, from[2].x, from[2].y
            ),
        });
    }
    // ANCHOR: triangle_affine_core
    let f = Matrix3::from_columns(&[
        Vector3::new(from[0].x, from[0].y, 1.0),
        Vector3::new(from[1].x, from[1].y, 1.0),
        Vector3::new(from[2].x, from[2].y, 1.0),
    ]);
    let t = Matrix3::from_columns(&[
        Vector3::new(to[0].x, to[0].y, 1.0),
        Vector3::new(to[1].x, to[1].y, 1.0),
        Vector3::new(to[2].x, to[2].y, 1.0),
    ]);
    let fi = f.try_inverse().ok_or_else(|| Error::Singular {
        what: "a triangle of the triangulation",
        detail: "its corner matrix has no inverse".into(),
    })?;
    Ok(t * fi)
    // ANCHOR_END: triangle_affine_core
}
// ANCHOR_END: triangle_affine

/// Warps `src` so that each triangle `tris[k]` of `src_pts` lands on the same
/// triangle of `dst_pts`, in a `width × height` output. Only triangles with
/// `draw[k]` are drawn. Each output pixel is sampled through the inverse map of
/// the triangle containing it.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] when `src_pts` and `dst_pts` differ in length or there is
/// not one `draw` flag per triangle; [`Error::TooFew`] for no triangles;
/// [`Error::InvalidParameter`] for a triangle that names a landmark out of range;
/// [`Error::Singular`] for a destination triangle with no area; [`Error::NonFinite`]
/// when a pixel maps to a NaN or infinite source position.
#[allow(clippy::too_many_arguments)]
pub fn piecewise_affine(
    src: &Gray,
    src_pts: &[P2],
    dst_pts: &[P2],
    tris: &[[usize; 3]],
    draw: &[bool],
    width: usize,
    height: usize,
    interp: Interp,
) -> Result<PiecewiseWarp> {
    if src_pts.len() != dst_pts.len() {
        return Err(Error::ShapeMismatch {
            what: "source and destination landmarks",
            expected: src_pts.len().to_string(),
            got: dst_pts.len().to_string(),
        });
    }
    crate::error::ensure_len("triangles", tris.len(), 1)?;
    if draw.len() != tris.len() {
        return Err(Error::ShapeMismatch {
            what: "triangle visibility flags",
            expected: tris.len().to_string(),
            got: draw.len().to_string(),
        });
    }
    let n = src_pts.len();
    let mut image = Gray::new(width, height, 0.0);
    let mut owner = vec![None; width * height];
    for (k, t) in tris.iter().enumerate() {
        if let Some(&bad) = t.iter().find(|&&i| i >= n) {
            return Err(Error::InvalidParameter {
                name: "triangle",
                reason: format!("triangle {k} names landmark {bad}, but there are only {n}"),
            });
        }
        let d = [dst_pts[t[0]], dst_pts[t[1]], dst_pts[t[2]]];
        let s = [src_pts[t[0]], src_pts[t[1]], src_pts[t[2]]];
        // Inverse mapping: destination triangle -> source triangle. A zero-area
        // destination triangle is an error (it would cover no pixel and its map
        // is undefined).
        let a = triangle_affine(d, s)?;
        if !draw[k] {
            continue;
        }
        let area = signed_area2(&d[0], &d[1], &d[2]);
        let x0 = d
            .iter()
            .map(|p| p.x)
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as usize;
        let y0 = d
            .iter()
            .map(|p| p.y)
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as usize;
        let x1 = (d
            .iter()
            .map(|p| p.x)
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil() as usize)
            .min(width.saturating_sub(1));
        let y1 = (d
            .iter()
            .map(|p| p.y)
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil() as usize)
            .min(height.saturating_sub(1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                if owner[y * width + x].is_some() {
                    continue;
                }
                let q = P2::new(x as f64, y as f64);
                // Barycentric signs relative to the triangle's own orientation,
                // with a small tolerance so that shared edges leave no gap.
                let w0 = signed_area2(&d[1], &d[2], &q) / area;
                let w1 = signed_area2(&d[2], &d[0], &q) / area;
                let w2 = 1.0 - w0 - w1;
                if w0 < -1e-9 || w1 < -1e-9 || w2 < -1e-9 {
                    continue;
                }
                let p = a * Vector3::new(q.x, q.y, 1.0);
                image.data[y * width + x] = sample(src, p.x, p.y, interp)?;
                owner[y * width + x] = Some(k as u32);
            }
        }
    }
    Ok(PiecewiseWarp { image, owner })
}

/// Where the frontal template lives in the output crop.
#[derive(Debug, Clone, Copy)]
pub struct FrontalFrame {
    /// Output side in pixels.
    pub size: usize,
    /// Pixels per model unit (cm).
    pub scale: f64,
    /// Model-space point shown at the crop's centre (x, y).
    pub centre: (f64, f64),
}

impl FrontalFrame {
    /// A frame that fits the generic model's anchors into `fill` of a square
    /// crop of side `size`.
    pub fn fit(anchors: &[P3], size: usize, fill: f64) -> Self {
        let (mut lo, mut hi) = (
            (f64::INFINITY, f64::INFINITY),
            (f64::NEG_INFINITY, f64::NEG_INFINITY),
        );
        for p in anchors {
            lo = (lo.0.min(p.x), lo.1.min(p.y));
            hi = (hi.0.max(p.x), hi.1.max(p.y));
        }
        let span = (hi.0 - lo.0).max(hi.1 - lo.1);
        FrontalFrame {
            size,
            scale: fill * size as f64 / span,
            centre: ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0),
        }
    }

    /// The frontal (orthographic, y down) position of a model point in the crop.
    pub fn place(&self, p: &P3) -> P2 {
        let c = (self.size as f64 - 1.0) / 2.0;
        P2::new(
            c + self.scale * (p.x - self.centre.0),
            c - self.scale * (p.y - self.centre.1),
        )
    }
}

/// A frontalized face.
#[derive(Debug, Clone)]
pub struct Frontal {
    /// The frontal crop.
    pub image: Gray,
    /// Per pixel: 0 = not covered, 1 = warped from the photo, 2 = filled by symmetry.
    pub source: Vec<u8>,
    /// The triangles (indices into the 68 landmarks).
    pub triangles: Vec<[usize; 3]>,
    /// Which triangles face the camera.
    pub visible: Vec<bool>,
    /// The landmarks' positions in the frontal crop.
    pub target: Vec<P2>,
}

// ANCHOR: frontalize
/// DeepFace's frontalization of one photo.
///
/// 1. Fit the affine camera `P` from the 68 landmarks to the 68 anchors.
/// 2. Optionally personalize the model: move each anchor by `M⁺ r_i`
///    ([`AffineCamera::personalize`]), so that the frontal template keeps the
///    identity-specific residual shape.
/// 3. Place the (personalized) anchors frontally in the crop and triangulate
///    them (Delaunay).
/// 4. Mark the triangles the camera sees from behind ([`facing_camera`]).
/// 5. Warp every visible triangle from the photo; fill the pixels of hidden
///    triangles from their mirror image about the face's midline, where that
///    mirror pixel was warped from the photo (the symmetry assumption).
///
/// # Errors
///
/// As its steps: [`Error::ShapeMismatch`] unless there is one landmark per mesh
/// anchor (68); [`Error::NonFinite`] for a NaN or infinite landmark;
/// [`Error::Singular`] when the camera cannot be fitted or personalized, the placed
/// anchors are collinear, or a placed triangle has no area;
/// [`Error::InvalidParameter`] when two placed anchors coincide.
pub fn frontalize(
    photo: &Gray,
    landmarks: &[P2],
    mesh: &Mesh,
    frame: &FrontalFrame,
    personalize: bool,
    interp: Interp,
) -> Result<Frontal> {
    let anchors = mesh.anchors();
    let camera = AffineCamera::fit(landmarks, &anchors)?;
    let model = if personalize {
        camera.personalize(landmarks, &anchors)?
    } else {
        anchors.clone()
    };
    let target: Vec<P2> = model.iter().map(|p| frame.place(p)).collect();
    let triangles = delaunay(&target)?;
    let visible = facing_camera(|p| camera.project(p), &model, &triangles);
    let size = frame.size;
    let warped = piecewise_affine(
        photo, landmarks, &target, &triangles, &visible, size, size, interp,
    )?;
    let mut image = warped.image;
    let mut source: Vec<u8> = warped.owner.iter().map(|o| u8::from(o.is_some())).collect();
    // Midline: nose bridge and tip, chin, lip centres.
    let mid = [27, 28, 29, 30, 33, 8, 51, 57, 62, 66];
    let cx = mid.iter().map(|&i| target[i].x).sum::<f64>() / mid.len() as f64;
    if visible.iter().any(|v| !v) {
        let hidden = piecewise_affine(
            photo,
            landmarks,
            &target,
            &triangles,
            &visible.iter().map(|v| !v).collect::<Vec<_>>(),
            size,
            size,
            interp,
        )?;
        for y in 0..size {
            for x in 0..size {
                if hidden.owner[y * size + x].is_none() || source[y * size + x] == 1 {
                    continue;
                }
                let xm = (2.0 * cx - x as f64).round();
                if xm < 0.0 || xm >= size as f64 {
                    continue;
                }
                let j = y * size + xm as usize;
                if source[j] == 1 {
                    image.data[y * size + x] = image.data[j];
                    source[y * size + x] = 2;
                }
            }
        }
    }
    Ok(Frontal {
        image,
        source,
        triangles,
        visible,
        target,
    })
}
// ANCHOR_END: frontalize
