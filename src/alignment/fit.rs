//! Fitting 2-D transforms to point correspondences by least squares.
//!
//! Three families, nested: similarity ⊂ affine ⊂ projective. Each fit takes
//! source points `x_i` and destination points `y_i` and returns the transform
//! `T` minimising the point residual `Σ ‖T(x_i) − y_i‖²` within its family:
//!
//! * similarity (4 parameters, ≥ 2 points): closed form of Umeyama (1991),
//!   "Least-squares estimation of transformation parameters between two point
//!   patterns", IEEE PAMI 13(4), eqs. 40–42 (orthogonal Procrustes plus scale);
//! * affine (6 parameters, ≥ 3 non-collinear points): linear least squares,
//!   one 3-column problem per output coordinate;
//! * projective (8 parameters, ≥ 4 points, no three collinear): the normalized
//!   direct linear transform (Hartley & Zisserman, *Multiple View Geometry*,
//!   2nd ed., Alg. 4.2) as a start, then Levenberg–Marquardt on the point
//!   residual (H&Z §4.5), because the DLT minimises an algebraic error, not the
//!   residual.

use nalgebra::{DMatrix, DVector, Matrix2, Matrix3, SMatrix, SVector, Vector2, Vector3};

use super::P2;
use crate::error::{Error, Result, ensure_finite};

/// A transform family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Rotation, uniform scale and translation.
    Similarity,
    /// Any invertible linear map plus translation.
    Affine,
    /// Homography: a 3 × 3 matrix up to scale.
    Projective,
}

// ANCHOR: family_counts
impl Family {
    /// All three families, smallest first.
    pub const ALL: [Family; 3] = [Family::Similarity, Family::Affine, Family::Projective];

    /// Degrees of freedom: similarity `(s cos θ, s sin θ, t_x, t_y)` = 4; affine
    /// `(a₁₁, a₁₂, a₂₁, a₂₂, t_x, t_y)` = 6; projective: 9 entries minus one for
    /// the overall scale = 8.
    pub fn params(self) -> usize {
        match self {
            Family::Similarity => 4,
            Family::Affine => 6,
            Family::Projective => 8,
        }
    }

    /// Each correspondence gives two equations, so the minimum is
    /// `ceil(params / 2)` points in general position: 2, 3 and 4.
    pub fn min_points(self) -> usize {
        self.params().div_ceil(2)
    }
    // ANCHOR_END: family_counts

    /// Lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Similarity => "similarity",
            Family::Affine => "affine",
            Family::Projective => "projective",
        }
    }
}

/// A planar transform acting on homogeneous coordinates `(x, y, 1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform2 {
    /// The 3 × 3 matrix; the last row is `(0, 0, 1)` for similarity and affine.
    pub m: Matrix3<f64>,
}

impl Transform2 {
    /// The identity.
    pub fn identity() -> Self {
        Transform2 {
            m: Matrix3::identity(),
        }
    }

    /// Wraps a matrix.
    ///
    /// # Errors
    ///
    /// [`Error::NonFinite`] for a NaN or infinite entry; [`Error::Singular`] for a
    /// zero matrix or one whose determinant is below `1e-14` times the cube of its
    /// largest entry.
    pub fn from_matrix(m: Matrix3<f64>) -> Result<Self> {
        ensure_finite("transform matrix", m.as_slice())?;
        let scale = m.abs().max();
        let det = m.determinant();
        if scale == 0.0 || det.abs() <= 1e-14 * scale.powi(3) {
            return Err(Error::Singular {
                what: "the transform matrix",
                detail: format!("determinant {det:e} relative to entries of size {scale:e}"),
            });
        }
        Ok(Transform2 { m })
    }

    /// Similarity `p ↦ s R(θ) p + t`.
    pub fn similarity(scale: f64, angle: f64, t: Vector2<f64>) -> Self {
        let (s, c) = angle.sin_cos();
        Transform2 {
            m: Matrix3::new(
                scale * c,
                -scale * s,
                t.x,
                scale * s,
                scale * c,
                t.y,
                0.0,
                0.0,
                1.0,
            ),
        }
    }

    /// Maps a point (dividing by the homogeneous coordinate).
    pub fn apply(&self, p: &P2) -> P2 {
        let v = self.m * Vector3::new(p.x, p.y, 1.0);
        P2::new(v.x / v.z, v.y / v.z)
    }

    /// Maps every point.
    pub fn apply_all(&self, pts: &[P2]) -> Vec<P2> {
        pts.iter().map(|p| self.apply(p)).collect()
    }

    /// The inverse transform.
    ///
    /// # Errors
    ///
    /// [`Error::Singular`] when the matrix has no inverse, or its inverse is
    /// numerically singular; [`Error::NonFinite`] when the inverse has an entry that
    /// is not finite.
    pub fn inverse(&self) -> Result<Self> {
        let inv = self.m.try_inverse().ok_or_else(|| Error::Singular {
            what: "the transform matrix",
            detail: "it has no inverse".into(),
        })?;
        Transform2::from_matrix(inv)
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn after(&self, other: &Transform2) -> Self {
        Transform2 {
            m: self.m * other.m,
        }
    }

    /// The matrix scaled so that `m[(2, 2)] = 1` (the projective normal form).
    pub fn normalized(&self) -> Matrix3<f64> {
        self.m / self.m[(2, 2)]
    }

    /// The free parameters of `family` (see [`Family::params`]).
    pub fn params(&self, family: Family) -> Vec<f64> {
        let m = self.normalized();
        match family {
            Family::Similarity => vec![m[(0, 0)], m[(1, 0)], m[(0, 2)], m[(1, 2)]],
            Family::Affine => vec![
                m[(0, 0)],
                m[(0, 1)],
                m[(0, 2)],
                m[(1, 0)],
                m[(1, 1)],
                m[(1, 2)],
            ],
            Family::Projective => m.transpose().as_slice()[..8].to_vec(),
        }
    }

    /// Builds a transform from the free parameters of `family`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] unless `p` has [`Family::params`] entries;
    /// [`Error::NonFinite`] for a NaN or infinite parameter.
    pub fn from_params(family: Family, p: &[f64]) -> Result<Self> {
        if p.len() != family.params() {
            return Err(Error::ShapeMismatch {
                what: "transform parameters",
                expected: format!("{} for {}", family.params(), family.name()),
                got: p.len().to_string(),
            });
        }
        ensure_finite("transform parameters", p)?;
        let m = match family {
            Family::Similarity => Matrix3::new(p[0], -p[1], p[2], p[1], p[0], p[3], 0.0, 0.0, 1.0),
            Family::Affine => Matrix3::new(p[0], p[1], p[2], p[3], p[4], p[5], 0.0, 0.0, 1.0),
            Family::Projective => Matrix3::new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 1.0),
        };
        Ok(Transform2 { m })
    }
}

/// Root-mean-square point residual `sqrt(Σ ‖T(x_i) − y_i‖² / n)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless there is one destination point per source
/// point; [`Error::TooFew`] for no points (the mean is undefined).
pub fn rms_residual(t: &Transform2, src: &[P2], dst: &[P2]) -> Result<f64> {
    if src.len() != dst.len() {
        return Err(Error::ShapeMismatch {
            what: "point correspondences",
            expected: format!("{} destination points (one per source point)", src.len()),
            got: dst.len().to_string(),
        });
    }
    crate::error::ensure_len("point correspondences", src.len(), 1)?;
    let ss: f64 = src
        .iter()
        .zip(dst)
        .map(|(x, y)| (t.apply(x) - y).norm_squared())
        .sum();
    Ok((ss / src.len() as f64).sqrt())
}

/// Checks lengths, counts and finiteness of a correspondence set.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer points than [`Family::min_points`];
/// [`Error::NonFinite`] for a NaN or infinite coordinate.
pub fn check_correspondences(family: Family, src: &[P2], dst: &[P2]) -> Result<()> {
    if src.len() != dst.len() {
        return Err(Error::ShapeMismatch {
            what: "point correspondences",
            expected: format!("{} destination points (one per source point)", src.len()),
            got: dst.len().to_string(),
        });
    }
    if src.len() < family.min_points() {
        return Err(Error::TooFew {
            name: match family {
                Family::Similarity => "points for a similarity fit",
                Family::Affine => "points for an affine fit",
                Family::Projective => "points for a projective fit",
            },
            needed: family.min_points(),
            got: src.len(),
        });
    }
    for (name, pts) in [("source points", src), ("destination points", dst)] {
        for p in pts {
            ensure_finite(name, &[p.x, p.y])?;
        }
    }
    Ok(())
}

/// Mean and the singular values of the centred 2 × n scatter (largest first).
fn spread(pts: &[P2]) -> (Vector2<f64>, [f64; 2]) {
    let n = pts.len() as f64;
    let mean = pts.iter().map(|p| p.coords).sum::<Vector2<f64>>() / n;
    let mut c = Matrix2::zeros();
    for p in pts {
        let d = p.coords - mean;
        c += d * d.transpose();
    }
    let e = c.symmetric_eigenvalues();
    let (a, b) = (e[0].max(0.0).sqrt(), e[1].max(0.0).sqrt());
    (mean, [a.max(b), a.min(b)])
}

/// Relative size below which a spread counts as zero: far below any pixel
/// noise, far above the rounding error of centring (about 1e-16 relative).
const DEGENERATE: f64 = 1e-9;

fn ensure_not_coincident(name: &'static str, pts: &[P2]) -> Result<Vector2<f64>> {
    let (mean, s) = spread(pts);
    let size = mean.norm().max(1.0);
    if s[0] <= DEGENERATE * size {
        return Err(Error::Singular {
            what: name,
            detail: "all points coincide, so no scale or rotation can be fitted".into(),
        });
    }
    Ok(mean)
}

fn ensure_not_collinear(name: &'static str, pts: &[P2]) -> Result<()> {
    let (_, s) = spread(pts);
    if s[1] <= DEGENERATE * s[0] {
        return Err(Error::Singular {
            what: name,
            detail: format!(
                "the points are collinear (spread {:.3e} across the line, {:.3e} along it), \
                 so the map off the line is undetermined",
                s[1], s[0]
            ),
        });
    }
    Ok(())
}

// ANCHOR: umeyama
/// Least-squares similarity `y ≈ s R x + t` (Umeyama 1991, eqs. 40–42).
///
/// With centred points `x̄_i`, `ȳ_i`, the cross-covariance `Σ = Σ_i ȳ_i x̄_iᵀ`
/// has SVD `U D Vᵀ`; the rotation is `R = U S Vᵀ` with `S = diag(1, det U det V)`
/// (a proper rotation, never a reflection), the scale `s = tr(D S) / Σ_i ‖x̄_i‖²`
/// and the translation `t = ȳ − s R x̄`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer than 2 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate; [`Error::Singular`] when the source or destination points all
/// coincide, or the fitted matrix is singular.
pub fn fit_similarity(src: &[P2], dst: &[P2]) -> Result<Transform2> {
    check_correspondences(Family::Similarity, src, dst)?;
    let mx = ensure_not_coincident("the source points", src)?;
    let my = ensure_not_coincident("the destination points", dst)?;
    // ANCHOR: umeyama_core
    let mut cov = Matrix2::zeros();
    let mut var_x = 0.0;
    for (x, y) in src.iter().zip(dst) {
        let (dx, dy) = (x.coords - mx, y.coords - my);
        cov += dy * dx.transpose();
        var_x += dx.norm_squared();
    }
    let svd = cov.svd(true, true);
    let (u, v_t) = (svd.u.unwrap(), svd.v_t.unwrap());
    let d = (u.determinant() * v_t.determinant()).signum();
    let s_mat = Matrix2::new(1.0, 0.0, 0.0, d);
    let r = u * s_mat * v_t;
    let scale = (svd.singular_values[0] + d * svd.singular_values[1]) / var_x;
    let t = my - scale * r * mx;
    // ANCHOR_END: umeyama_core
    let sr = scale * r;
    #[rustfmt::skip]
    let m = Matrix3::new(
        sr[(0, 0)], sr[(0, 1)], t.x,
        sr[(1, 0)], sr[(1, 1)], t.y,
        0.0,        0.0,        1.0,
    );
    Transform2::from_matrix(m)
}
// ANCHOR_END: umeyama

/// The same similarity fit as a linear least-squares problem in
/// `(a, b, t_x, t_y)` with `sR = [[a, −b], [b, a]]`: an independent oracle for
/// [`fit_similarity`] in the tests.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer than 2 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate; [`Error::Singular`] when the source points all coincide (the
/// design matrix is rank-deficient).
pub fn fit_similarity_linear(src: &[P2], dst: &[P2]) -> Result<Transform2> {
    check_correspondences(Family::Similarity, src, dst)?;
    ensure_not_coincident("the source points", src)?;
    let n = src.len();
    let mut a = DMatrix::zeros(2 * n, 4);
    let mut b = DVector::zeros(2 * n);
    for (i, (x, y)) in src.iter().zip(dst).enumerate() {
        a.row_mut(2 * i).copy_from_slice(&[x.x, -x.y, 1.0, 0.0]);
        a.row_mut(2 * i + 1).copy_from_slice(&[x.y, x.x, 0.0, 1.0]);
        b[2 * i] = y.x;
        b[2 * i + 1] = y.y;
    }
    let p = lstsq(a, b, "the similarity design matrix")?;
    Transform2::from_params(Family::Similarity, p.as_slice())
}

fn lstsq(a: DMatrix<f64>, b: DVector<f64>, what: &'static str) -> Result<DVector<f64>> {
    let svd = a.svd(true, true);
    let smax = svd.singular_values.max();
    let smin = svd.singular_values.min();
    if smin <= DEGENERATE * smax {
        return Err(Error::Singular {
            what,
            detail: format!("condition number {:.3e}", smax / smin),
        });
    }
    svd.solve(&b, 0.0).map_err(|e| Error::Singular {
        what,
        detail: e.to_string(),
    })
}

// ANCHOR: affine
/// Least-squares affine map `y ≈ A x + t`.
///
/// Each output coordinate is an ordinary least-squares problem with design rows
/// `(x̄_i, ȳ_i, 1)` (coordinates centred for conditioning), solved by SVD. The
/// normal equations are never formed.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer than 3 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate; [`Error::Singular`] when the source points are collinear, or
/// the fitted matrix is singular (collinear destination points).
pub fn fit_affine(src: &[P2], dst: &[P2]) -> Result<Transform2> {
    check_correspondences(Family::Affine, src, dst)?;
    ensure_not_collinear("the source points", src)?;
    let (mx, _) = spread(src);
    let n = src.len();
    // ANCHOR: affine_core
    let mut a = DMatrix::zeros(n, 3);
    let mut b = DMatrix::zeros(n, 2);
    for (i, (x, y)) in src.iter().zip(dst).enumerate() {
        let d = x.coords - mx;
        a.row_mut(i).copy_from_slice(&[d.x, d.y, 1.0]);
        b[(i, 0)] = y.x;
        b[(i, 1)] = y.y;
    }
    let svd = a.svd(true, true);
    let sol = svd.solve(&b, 0.0).map_err(|e| Error::Singular {
        what: "the affine design matrix",
        detail: e.to_string(),
    })?;
    // ANCHOR_END: affine_core
    // Undo the centring: y = L (x − m) + c = L x + (c − L m).
    let l = Matrix2::new(sol[(0, 0)], sol[(1, 0)], sol[(0, 1)], sol[(1, 1)]);
    let t = Vector2::new(sol[(2, 0)], sol[(2, 1)]) - l * mx;
    #[rustfmt::skip]
    let m = Matrix3::new(
        l[(0, 0)], l[(0, 1)], t.x,
        l[(1, 0)], l[(1, 1)], t.y,
        0.0,       0.0,       1.0,
    );
    Transform2::from_matrix(m)
}
// ANCHOR_END: affine

/// Hartley's normalization: centroid to the origin, mean distance √2.
fn hartley(pts: &[P2]) -> Matrix3<f64> {
    let n = pts.len() as f64;
    let mean = pts.iter().map(|p| p.coords).sum::<Vector2<f64>>() / n;
    let d = pts.iter().map(|p| (p.coords - mean).norm()).sum::<f64>() / n;
    let s = std::f64::consts::SQRT_2 / d;
    Matrix3::new(s, 0.0, -s * mean.x, 0.0, s, -s * mean.y, 0.0, 0.0, 1.0)
}

// ANCHOR: dlt
/// Normalized DLT (Hartley & Zisserman, Alg. 4.2): the homography minimising the
/// *algebraic* error `‖A h‖` with `‖h‖ = 1`, after normalizing both point sets.
///
/// Exact for noiseless points; with noise it is a good start for
/// [`fit_homography`], which minimises the point residual.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer than 4 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate; [`Error::Singular`] when either point set coincides or is
/// collinear, when the points are not in general position (a family of homographies
/// fits them, e.g. three of four collinear), or when the fitted matrix is singular.
pub fn fit_homography_dlt(src: &[P2], dst: &[P2]) -> Result<Transform2> {
    check_correspondences(Family::Projective, src, dst)?;
    ensure_not_coincident("the source points", src)?;
    ensure_not_coincident("the destination points", dst)?;
    ensure_not_collinear("the source points", src)?;
    ensure_not_collinear("the destination points", dst)?;
    let (ts, td) = (hartley(src), hartley(dst));
    let n = src.len();
    // Zero rows pad the 2n × 9 system to at least 9 rows, so the SVD returns
    // all nine right singular vectors even for four points.
    let rows = (2 * n).max(9);
    let mut a = DMatrix::zeros(rows, 9);
    // ANCHOR: dlt_rows
    for (i, (x, y)) in src.iter().zip(dst).enumerate() {
        let p = ts * Vector3::new(x.x, x.y, 1.0);
        let q = td * Vector3::new(y.x, y.y, 1.0);
        let (u, v) = (q.x / q.z, q.y / q.z);
        #[rustfmt::skip]
        let (rx, ry) = (
            [-p.x, -p.y, -1.0, 0.0, 0.0, 0.0, u * p.x, u * p.y, u],
            [0.0, 0.0, 0.0, -p.x, -p.y, -1.0, v * p.x, v * p.y, v],
        );
        a.row_mut(2 * i).copy_from_slice(&rx);
        a.row_mut(2 * i + 1).copy_from_slice(&ry);
    }
    // ANCHOR_END: dlt_rows
    let svd = a.svd(false, true);
    let v_t = svd.v_t.unwrap();
    let sv = &svd.singular_values;
    let mut order: Vec<usize> = (0..sv.len()).collect();
    order.sort_by(|&i, &j| sv[i].total_cmp(&sv[j]));
    // The null space must be one-dimensional: the second-smallest singular
    // value must stay away from zero (three collinear of four points, say,
    // leave a two-dimensional family of homographies).
    if sv[order[1]] <= 1e-8 * sv[order[sv.len() - 1]] {
        return Err(Error::Singular {
            what: "the DLT system",
            detail: "the points are not in general position (a family of homographies fits \
                     them exactly, e.g. three of four points are collinear)"
                .into(),
        });
    }
    let h = v_t.row(order[0]);
    let hn = Matrix3::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
    let tdi = td.try_inverse().ok_or_else(|| Error::Singular {
        what: "the normalization",
        detail: "destination scale is zero".into(),
    })?;
    let m = tdi * hn * ts;
    Transform2::from_matrix(m / m[(2, 2)])
}
// ANCHOR_END: dlt

/// Least-squares homography: the normalized DLT, then Levenberg–Marquardt on
/// the point residual `Σ ‖H(x_i) − y_i‖²` over the 8 parameters with `h₃₃ = 1`.
///
/// # Errors
///
/// As [`fit_homography_dlt`] and [`refine_homography`]: [`Error::ShapeMismatch`],
/// [`Error::TooFew`] (fewer than 4 points), [`Error::NonFinite`] and
/// [`Error::Singular`] for points that are mismatched, too few, not finite or not in
/// general position.
pub fn fit_homography(src: &[P2], dst: &[P2]) -> Result<Transform2> {
    let h0 = fit_homography_dlt(src, dst)?;
    refine_homography(&h0, src, dst)
}

// ANCHOR: lm
/// Levenberg–Marquardt on the point residual of a homography (H&Z §A6.2).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `src` and `dst` have the same length;
/// [`Error::TooFew`] for fewer than 4 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate, or a refined matrix that is not finite; [`Error::Singular`]
/// when the destination points coincide (their normalization has no inverse) or the
/// refined matrix is singular.
pub fn refine_homography(h0: &Transform2, src: &[P2], dst: &[P2]) -> Result<Transform2> {
    check_correspondences(Family::Projective, src, dst)?;
    // Work in normalized coordinates for conditioning; the residual there is a
    // fixed multiple (the destination scale, the same for every point) of the
    // pixel residual, so both have the same minimiser.
    let (ts, td) = (hartley(src), hartley(dst));
    let xs: Vec<Vector3<f64>> = src
        .iter()
        .map(|p| ts * Vector3::new(p.x, p.y, 1.0))
        .collect();
    let ys: Vec<Vector2<f64>> = dst
        .iter()
        .map(|p| (td * Vector3::new(p.x, p.y, 1.0)).xy())
        .collect();
    let tsi = ts.try_inverse().unwrap_or_else(Matrix3::identity);
    let m0 = td * h0.m * tsi;
    let mn0 = m0 / m0[(2, 2)];
    let mut p = SVector::<f64, 8>::from_column_slice(&[
        mn0[(0, 0)],
        mn0[(0, 1)],
        mn0[(0, 2)],
        mn0[(1, 0)],
        mn0[(1, 1)],
        mn0[(1, 2)],
        mn0[(2, 0)],
        mn0[(2, 1)],
    ]);
    let cost = |p: &SVector<f64, 8>| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(x, y)| {
                let w = p[6] * x.x + p[7] * x.y + x.z;
                let u = (p[0] * x.x + p[1] * x.y + p[2] * x.z) / w;
                let v = (p[3] * x.x + p[4] * x.y + p[5] * x.z) / w;
                (u - y.x).powi(2) + (v - y.y).powi(2)
            })
            .sum()
    };
    let mut c = cost(&p);
    let mut lambda = 1e-3;
    for _ in 0..100 {
        let mut jtj = SMatrix::<f64, 8, 8>::zeros();
        let mut jtr = SVector::<f64, 8>::zeros();
        for (x, y) in xs.iter().zip(&ys) {
            let w = p[6] * x.x + p[7] * x.y + x.z;
            let nu = p[0] * x.x + p[1] * x.y + p[2] * x.z;
            let nv = p[3] * x.x + p[4] * x.y + p[5] * x.z;
            let (u, v) = (nu / w, nv / w);
            let ju = SVector::<f64, 8>::from_column_slice(&[
                x.x / w,
                x.y / w,
                x.z / w,
                0.0,
                0.0,
                0.0,
                -u * x.x / w,
                -u * x.y / w,
            ]);
            let jv = SVector::<f64, 8>::from_column_slice(&[
                0.0,
                0.0,
                0.0,
                x.x / w,
                x.y / w,
                x.z / w,
                -v * x.x / w,
                -v * x.y / w,
            ]);
            jtj += ju * ju.transpose() + jv * jv.transpose();
            jtr += ju * (u - y.x) + jv * (v - y.y);
        }
        let mut improved = false;
        for _ in 0..20 {
            let mut a = jtj;
            for k in 0..8 {
                a[(k, k)] += lambda * jtj[(k, k)].max(1e-12);
            }
            let Some(step) = a.cholesky().map(|ch| ch.solve(&jtr)) else {
                lambda *= 10.0;
                continue;
            };
            let trial = p - step;
            let ct = cost(&trial);
            if ct.is_finite() && ct <= c {
                let done = c - ct <= 1e-15 * c.max(1e-300) || step.norm() <= 1e-14 * p.norm();
                p = trial;
                c = ct;
                lambda = (lambda * 0.3).max(1e-12);
                improved = true;
                if done {
                    improved = false;
                }
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    let mn = Matrix3::new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 1.0);
    let tdi = td.try_inverse().ok_or_else(|| Error::Singular {
        what: "the normalization",
        detail: "destination scale is zero".into(),
    })?;
    let m = tdi * mn * ts;
    Transform2::from_matrix(m / m[(2, 2)])
}
// ANCHOR_END: lm

/// Fits `family` by least squares (dispatch to the three fits above).
///
/// # Errors
///
/// As the fit of `family`: [`fit_similarity`], [`fit_affine`] or [`fit_homography`].
pub fn fit(family: Family, src: &[P2], dst: &[P2]) -> Result<Transform2> {
    match family {
        Family::Similarity => fit_similarity(src, dst),
        Family::Affine => fit_affine(src, dst),
        Family::Projective => fit_homography(src, dst),
    }
}
