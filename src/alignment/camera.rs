//! Fitting a camera that maps the generic 3-D face onto a photo's landmarks.
//!
//! DeepFace (Taigman et al. 2014, §2, "3D Alignment") fits an affine 3 × 4
//! camera `P` to the 2-D fiducials `x_2d` and the 3-D reference points `X_3d` by
//! generalized least squares, `min (x_2d − X_3d P)ᵀ Σ⁻¹ (x_2d − X_3d P)`, with Σ
//! the covariance of the fiducial detector's errors. An affine camera's last
//! row is `(0, 0, 0, 1)`, so it has 8 free numbers: two rows `(m_k, t_k)`,
//! `x = m₁·X + t₁`, `y = m₂·X + t₂`.

use nalgebra::{DMatrix, Matrix2x3, Matrix3, Rotation3, SMatrix, SVector, Vector2, Vector3};

use super::{P2, P3};
use crate::error::{Error, Result, ensure_finite};

/// An affine camera `x = M X + t` (`M` is 2 × 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AffineCamera {
    /// The linear part.
    pub m: Matrix2x3<f64>,
    /// The translation.
    pub t: Vector2<f64>,
}

fn check_pairs(points2: &[P2], points3: &[P3]) -> Result<()> {
    if points2.len() != points3.len() {
        return Err(Error::ShapeMismatch {
            what: "2-D landmarks and 3-D anchors",
            expected: format!("{} landmarks (one per anchor)", points3.len()),
            got: points2.len().to_string(),
        });
    }
    Ok(())
}

fn check(points2: &[P2], points3: &[P3]) -> Result<()> {
    check_pairs(points2, points3)?;
    crate::error::ensure_len("landmark-anchor pairs for a camera fit", points2.len(), 4)?;
    for p in points2 {
        ensure_finite("2-D landmark", &[p.x, p.y])?;
    }
    for p in points3 {
        ensure_finite("3-D anchor", &[p.x, p.y, p.z])?;
    }
    Ok(())
}

impl AffineCamera {
    // ANCHOR: camera_fit
    /// Least-squares affine camera, optionally weighted (weights `w_i > 0` are
    /// inverse variances, the diagonal of DeepFace's `Σ⁻¹`).
    ///
    /// Each image coordinate is its own least-squares problem with design rows
    /// `√w_i (X_i − X̄, 1)`; the anchors must not be coplanar, or the depth
    /// column is undetermined.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] unless there is one landmark (and one weight) per
    /// anchor; [`Error::TooFew`] for fewer than 4 pairs; [`Error::NonFinite`] for a
    /// NaN or infinite coordinate or weight; [`Error::InvalidParameter`] for a weight
    /// that is not positive; [`Error::Singular`] when the anchors are coplanar or
    /// coincide (the design matrix is rank-deficient).
    pub fn fit_weighted(points2: &[P2], points3: &[P3], weights: Option<&[f64]>) -> Result<Self> {
        check(points2, points3)?;
        let n = points2.len();
        if let Some(w) = weights {
            if w.len() != n {
                return Err(Error::ShapeMismatch {
                    what: "camera-fit weights",
                    expected: n.to_string(),
                    got: w.len().to_string(),
                });
            }
            ensure_finite("camera-fit weight", w)?;
            if let Some(bad) = w.iter().find(|&&v| v <= 0.0) {
                return Err(Error::InvalidParameter {
                    name: "camera-fit weights",
                    reason: format!("every weight must be positive, found {bad}"),
                });
            }
        }
        // ANCHOR: camera_rows
        let mean = points3.iter().map(|p| p.coords).sum::<Vector3<f64>>() / n as f64;
        let mut a = DMatrix::zeros(n, 4);
        let mut b = DMatrix::zeros(n, 2);
        for i in 0..n {
            let s = weights.map_or(1.0, |w| w[i].sqrt());
            let d = points3[i].coords - mean;
            a.row_mut(i)
                .copy_from_slice(&[s * d.x, s * d.y, s * d.z, s]);
            b[(i, 0)] = s * points2[i].x;
            b[(i, 1)] = s * points2[i].y;
        }
        let svd = a.svd(true, true);
        // ANCHOR_END: camera_rows
        let (smax, smin) = (svd.singular_values.max(), svd.singular_values.min());
        if smin <= 1e-9 * smax {
            return Err(Error::Singular {
                what: "the camera design matrix",
                detail: format!(
                    "condition number {:.3e}: the 3-D anchors are coplanar or coincide",
                    smax / smin
                ),
            });
        }
        let sol = svd.solve(&b, 0.0).map_err(|e| Error::Singular {
            what: "the camera design matrix",
            detail: e.to_string(),
        })?;
        let m = Matrix2x3::new(
            sol[(0, 0)],
            sol[(1, 0)],
            sol[(2, 0)],
            sol[(0, 1)],
            sol[(1, 1)],
            sol[(2, 1)],
        );
        let t = Vector2::new(sol[(3, 0)], sol[(3, 1)]) - m * mean;
        Ok(AffineCamera { m, t })
    }
    // ANCHOR_END: camera_fit

    /// Unweighted least-squares affine camera.
    ///
    /// # Errors
    ///
    /// As [`AffineCamera::fit_weighted`]: [`Error::ShapeMismatch`] unless there is
    /// one landmark per anchor, [`Error::TooFew`] for fewer than 4 pairs,
    /// [`Error::NonFinite`] for a NaN or infinite coordinate, [`Error::Singular`]
    /// when the anchors are coplanar or coincide.
    pub fn fit(points2: &[P2], points3: &[P3]) -> Result<Self> {
        Self::fit_weighted(points2, points3, None)
    }

    /// Projects a 3-D point.
    pub fn project(&self, p: &P3) -> P2 {
        P2::from(self.m * p.coords + self.t)
    }

    /// The 3 × 4 matrix DeepFace writes (last row `(0, 0, 0, 1)`).
    pub fn matrix3x4(&self) -> [[f64; 4]; 3] {
        [
            [self.m[(0, 0)], self.m[(0, 1)], self.m[(0, 2)], self.t.x],
            [self.m[(1, 0)], self.m[(1, 1)], self.m[(1, 2)], self.t.y],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }

    /// Residual vectors `r_i = x_i − P X_i` (pixels).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless there is one landmark per anchor.
    pub fn residuals(&self, points2: &[P2], points3: &[P3]) -> Result<Vec<Vector2<f64>>> {
        check_pairs(points2, points3)?;
        Ok(points2
            .iter()
            .zip(points3)
            .map(|(x, xx)| x - self.project(xx))
            .collect())
    }

    /// The viewing direction: the unit null vector of `M` (`m₁ × m₂`), along
    /// which a 3-D displacement does not move the projection.
    pub fn axis(&self) -> Vector3<f64> {
        let r1 = Vector3::new(self.m[(0, 0)], self.m[(0, 1)], self.m[(0, 2)]);
        let r2 = Vector3::new(self.m[(1, 0)], self.m[(1, 1)], self.m[(1, 2)]);
        r1.cross(&r2).normalize()
    }

    // ANCHOR: personalize
    /// DeepFace's "unique 3-D model": each anchor moved by the smallest 3-D
    /// displacement that makes the camera reproduce its landmark exactly,
    /// `δ_i = M⁺ r_i` (`M⁺ = Mᵀ (M Mᵀ)⁻¹`). The displacement lies in the
    /// image plane of the camera (orthogonal to [`AffineCamera::axis`]); depth
    /// along the axis stays that of the generic model, since one photo says
    /// nothing about it.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] unless there is one landmark per anchor;
    /// [`Error::TooFew`] for fewer than 4 pairs; [`Error::NonFinite`] for a NaN or
    /// infinite coordinate; [`Error::Singular`] when the camera has rank below 2
    /// (`M Mᵀ` has no inverse).
    pub fn personalize(&self, points2: &[P2], points3: &[P3]) -> Result<Vec<P3>> {
        check(points2, points3)?;
        // ANCHOR: personalize_core
        let mmt = self.m * self.m.transpose();
        let inv = mmt.try_inverse().ok_or_else(|| Error::Singular {
            what: "the camera's M Mᵀ",
            detail: "the camera has rank below 2".into(),
        })?;
        let pinv = self.m.transpose() * inv;
        Ok(self
            .residuals(points2, points3)?
            .iter()
            .zip(points3)
            .map(|(r, x)| x + pinv * r)
            .collect())
        // ANCHOR_END: personalize_core
    }
    // ANCHOR_END: personalize
}

/// A weak-perspective (scaled orthographic) camera `x = s R₂ X + t`, where `R₂`
/// is the top two rows of a rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeakPerspective {
    /// Scale (pixels per model unit).
    pub s: f64,
    /// Full rotation (its first two rows project).
    pub r: Matrix3<f64>,
    /// Translation.
    pub t: Vector2<f64>,
}

impl WeakPerspective {
    // ANCHOR: weak_perspective
    /// Fits a weak-perspective camera by least squares over its 6 degrees of
    /// freedom (3 rotation, 1 scale, 2 translation).
    ///
    /// Start: the affine camera's `M = U Σ Vᵀ` is replaced by its nearest
    /// matrix with orthonormal rows, `R₂ = U Vᵀ` (the polar factor), completed
    /// to a rotation with `r₃ = r₁ × r₂`, and `s`, `t` are refitted in closed
    /// form. Then Gauss–Newton on the point residual, with the rotation updated
    /// multiplicatively, `R ← R exp([ω]×)`, and the step halved until the
    /// residual decreases.
    ///
    /// # Errors
    ///
    /// As [`AffineCamera::fit`] ([`Error::ShapeMismatch`], [`Error::TooFew`],
    /// [`Error::NonFinite`], [`Error::Singular`] for mismatched, too few, non-finite
    /// or coplanar points); [`Error::NonFinite`] also when the fitted scale is not
    /// finite.
    pub fn fit(points2: &[P2], points3: &[P3]) -> Result<Self> {
        let start = Self::from_affine(points2, points3)?;
        start.refine(points2, points3)
    }

    /// The starting point of [`WeakPerspective::fit`]: the polar projection
    /// of the least-squares affine camera, with `s` and `t` refitted.
    ///
    /// # Errors
    ///
    /// As [`AffineCamera::fit`] ([`Error::ShapeMismatch`], [`Error::TooFew`],
    /// [`Error::NonFinite`], [`Error::Singular`] for mismatched, too few, non-finite
    /// or coplanar points); [`Error::NonFinite`] also when the refitted scale is not
    /// finite.
    pub fn from_affine(points2: &[P2], points3: &[P3]) -> Result<Self> {
        let affine = AffineCamera::fit(points2, points3)?;
        let svd = affine.m.svd(true, true);
        let (u, v_t) = (svd.u.unwrap(), svd.v_t.unwrap());
        let r2 = u * v_t;
        let r1v = Vector3::new(r2[(0, 0)], r2[(0, 1)], r2[(0, 2)]);
        let r2v = Vector3::new(r2[(1, 0)], r2[(1, 1)], r2[(1, 2)]);
        let r3v = r1v.cross(&r2v);
        let r = Matrix3::from_rows(&[r1v.transpose(), r2v.transpose(), r3v.transpose()]);
        let n = points2.len() as f64;
        let mx = points3.iter().map(|p| p.coords).sum::<Vector3<f64>>() / n;
        let my = points2.iter().map(|p| p.coords).sum::<Vector2<f64>>() / n;
        let (mut num, mut den) = (0.0, 0.0);
        for (x, xx) in points2.iter().zip(points3) {
            let q = r2 * (xx.coords - mx);
            num += q.dot(&(x.coords - my));
            den += q.norm_squared();
        }
        let s = num / den;
        let t = my - s * r2 * mx;
        ensure_finite("weak-perspective scale", &[s])?;
        Ok(WeakPerspective { s, r, t })
    }

    /// Sum of squared point residuals.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless there is one landmark per anchor.
    pub fn sse(&self, points2: &[P2], points3: &[P3]) -> Result<f64> {
        check_pairs(points2, points3)?;
        Ok(points2
            .iter()
            .zip(points3)
            .map(|(x, xx)| (self.project(xx) - x).norm_squared())
            .sum())
    }

    /// Gauss–Newton refinement over `(ω, s, t)` from `self`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] unless there is one landmark per anchor;
    /// [`Error::TooFew`] for fewer than 4 pairs; [`Error::NonFinite`] for a NaN or
    /// infinite coordinate, or when the refined scale is not finite.
    pub fn refine(&self, points2: &[P2], points3: &[P3]) -> Result<Self> {
        check(points2, points3)?;
        let mut cur = *self;
        let mut cost = cur.sse(points2, points3)?;
        for _ in 0..50 {
            let mut jtj = SMatrix::<f64, 6, 6>::zeros();
            let mut jtr = SVector::<f64, 6>::zeros();
            for (x, xx) in points2.iter().zip(points3) {
                let q = cur.r * xx.coords;
                // d(R exp([ω]×) X)/dω at ω = 0 is −R [X]×.
                let d = -(cur.r * xx.coords.cross_matrix());
                let r = Vector2::new(cur.s * q.x + cur.t.x - x.x, cur.s * q.y + cur.t.y - x.y);
                for row in 0..2 {
                    let j = SVector::<f64, 6>::from_column_slice(&[
                        cur.s * d[(row, 0)],
                        cur.s * d[(row, 1)],
                        cur.s * d[(row, 2)],
                        q[row],
                        if row == 0 { 1.0 } else { 0.0 },
                        if row == 1 { 1.0 } else { 0.0 },
                    ]);
                    jtj += j * j.transpose();
                    jtr += j * r[row];
                }
            }
            let Some(step) = jtj.cholesky().map(|c| c.solve(&jtr)) else {
                break;
            };
            let mut k = 1.0;
            let mut moved = false;
            while k > 1e-6 {
                let w = Vector3::new(step[0], step[1], step[2]) * (-k);
                let trial = WeakPerspective {
                    s: cur.s - k * step[3],
                    r: cur.r * Rotation3::new(w).into_inner(),
                    t: cur.t - k * Vector2::new(step[4], step[5]),
                };
                let c = trial.sse(points2, points3)?;
                if c < cost {
                    let done = cost - c <= 1e-14 * cost;
                    cur = trial;
                    cost = c;
                    moved = !done;
                    break;
                }
                k *= 0.5;
            }
            if !moved {
                break;
            }
        }
        ensure_finite("weak-perspective scale", &[cur.s])?;
        Ok(cur)
    }
    // ANCHOR_END: weak_perspective

    /// Projects a 3-D point.
    pub fn project(&self, p: &P3) -> P2 {
        let q = self.r * p.coords;
        P2::new(self.s * q.x + self.t.x, self.s * q.y + self.t.y)
    }

    /// Yaw, pitch, roll in degrees (rotation `R = R_z(roll) R_y(yaw) R_x(pitch)`
    /// relative to the frontal view `diag(1, −1, −1)`, which flips y up to y down).
    pub fn angles_deg(&self) -> (f64, f64, f64) {
        let flip = Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, -1.0));
        let r = flip * self.r;
        let yaw = (-r[(2, 0)]).clamp(-1.0, 1.0).asin();
        let pitch = r[(2, 1)].atan2(r[(2, 2)]);
        let roll = r[(1, 0)].atan2(r[(0, 0)]);
        (yaw.to_degrees(), pitch.to_degrees(), roll.to_degrees())
    }
}

/// Twice the signed area of a 2-D triangle (positive when counter-clockwise in
/// a y-up frame).
pub fn signed_area2(a: &P2, b: &P2, c: &P2) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

// ANCHOR: facing
/// Whether each triangle of a 3-D surface faces the camera: a triangle turns
/// its back when its projected orientation differs from its orientation in the
/// frontal view `(X, −Y)`, i.e. when its normal and the direction to the camera
/// change the sign of their dot product. (An affine camera maps orientation by
/// the sign of `n · (m₁ × m₂)`.) Self-occlusion by a nearer, front-facing part
/// is not detected.
pub fn facing_camera(
    project: impl Fn(&P3) -> P2,
    points3: &[P3],
    triangles: &[[usize; 3]],
) -> Vec<bool> {
    // ANCHOR: facing_core
    let frontal = |p: &P3| P2::new(p.x, -p.y);
    triangles
        .iter()
        .map(|t| {
            let (a, b, c) = (&points3[t[0]], &points3[t[1]], &points3[t[2]]);
            let s_photo = signed_area2(&project(a), &project(b), &project(c));
            let s_front = signed_area2(&frontal(a), &frontal(b), &frontal(c));
            s_photo * s_front > 0.0
        })
        .collect()
    // ANCHOR_END: facing_core
}
// ANCHOR_END: facing

/// Rotation about the vertical (y) axis by `deg` degrees, used to synthesise
/// turned heads from the generic model.
pub fn yaw_rotation(deg: f64) -> Matrix3<f64> {
    let (s, c) = deg.to_radians().sin_cos();
    Matrix3::new(c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c)
}

/// Per-landmark residual norms (pixels).
pub fn residual_norms(r: &[Vector2<f64>]) -> Vec<f64> {
    r.iter().map(|v| v.norm()).collect()
}
