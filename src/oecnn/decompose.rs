//! The orthogonal decomposition and the OE loss on plain numbers: the
//! reference implementation, generic over [`Scalar`] so that automatic
//! differentiation ([`crate::diff`]) can take its gradients.
//!
//! OE-CNN (Wang et al., ECCV 2018, Sec. 3) writes a feature as
//! `x = ‖x‖ · x̂`, `x̂ = x/‖x‖`. The **age loss** `½(α‖x‖ + β − z)²`
//! regresses the age `z` on the norm through a learned line; the **identity
//! loss** is the A-Softmax cross-entropy of the direction with a fixed scale
//! `s`: logits `s cos θ_j` for the other classes and `s ψ(θ_y)` for the
//! label. The total is `L_id + λ L_age`.
//!
//! The **plane variant** (the notes' question) keeps the first `d − 1`
//! coordinates for identity (their direction `x_∥/‖x_∥‖`) and reads the age
//! off the height `x_d` along the normal `e_d` of that hyperplane.

use nalgebra::{DMatrix, DVector};

use crate::diff::{Field, Scalar};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::numeric::log_sum_exp;
use crate::sphereface::check_m;

use super::age::check_ages;

/// Where the age lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Geometry {
    /// OE-CNN: age in the norm `‖x‖`, identity in the direction `x/‖x‖`.
    Sphere,
    /// The plane variant: age in the height `x_d`, identity in the direction
    /// of `(x_1, …, x_{d−1})`.
    Plane,
}

/// The parameters of the OE loss.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OeParams {
    /// The fixed scale `s` of the identity logits.
    pub scale: f64,
    /// The angular margin `m` of `ψ` (an integer ≥ 1).
    pub m: u32,
    /// The weight `λ` of the age loss.
    pub lambda: f64,
    /// Slope `α` of the age read-out.
    pub alpha: f64,
    /// Intercept `β` of the age read-out.
    pub beta: f64,
    /// Sphere (OE-CNN) or plane.
    pub geometry: Geometry,
}

impl OeParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a scale that is
    /// not positive, a negative `λ`, or `m = 0`.
    pub fn check(&self) -> Result<()> {
        check_m(self.m)?;
        ensure_finite(
            "OE parameters",
            &[self.scale, self.lambda, self.alpha, self.beta],
        )?;
        if self.scale <= 0.0 || self.lambda < 0.0 {
            return Err(Error::InvalidParameter {
                name: "OE parameters",
                reason: "the scale s must be positive and the age weight λ ≥ 0".into(),
            });
        }
        Ok(())
    }
}

// ANCHOR: parts
/// The coordinates that carry identity: all of `x` on the sphere, the first
/// `d − 1` on the plane.
pub fn identity_part<S: Scalar>(x: &[S], g: Geometry) -> &[S] {
    match g {
        Geometry::Sphere => x,
        Geometry::Plane => &x[..x.len().saturating_sub(1)],
    }
}

/// The age code: `‖x‖` on the sphere, the height `x_d` on the plane.
pub fn age_code<S: Scalar>(x: &[S], g: Geometry) -> S {
    match g {
        Geometry::Sphere => norm(x),
        Geometry::Plane => x[x.len() - 1],
    }
}
// ANCHOR_END: parts

fn norm<S: Scalar>(v: &[S]) -> S {
    v.iter().fold(S::cst(0.0), |a, &b| a + b * b).sqrt()
}

/// `ψ` of SphereFace (Eq. 7) from `c = cos θ` on any [`Scalar`]: Chebyshev
/// `T_m(c) = cos(mθ)`, the piece `k` read off the plain value of `c` (a step
/// function, which carries no derivative). `sphereface::psi_from_cos` is the
/// `f64` original the tests compare it with.
pub fn psi_cos<S: Scalar>(c: S, m: u32) -> S {
    let (mut t_prev, mut t) = (S::cst(1.0), c);
    for _ in 1..m {
        let next = S::cst(2.0) * c * t - t_prev;
        t_prev = t;
        t = next;
    }
    let k = (1..m)
        .filter(|&j| c.re() <= (f64::from(j) * std::f64::consts::PI / f64::from(m)).cos())
        .count();
    let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
    S::cst(sign) * t - S::cst(2.0 * k as f64)
}

// ANCHOR: identity_loss
/// The identity loss of one feature: cross-entropy of the logits
/// `s cos θ_j` (`j ≠ y`) and `s ψ(θ_y)`, where `θ_j` is the angle between
/// the identity part of `x` and the class weight `w_j`. It depends on `x`
/// only through the direction of its identity part.
pub fn identity_loss<S: Scalar>(x: &[S], w: &DMatrix<f64>, y: usize, p: &OeParams) -> S {
    // ANCHOR: identity_loss_body
    let v = identity_part(x, p.geometry);
    let n = norm(v);
    let logits: Vec<S> = (0..w.nrows())
        .map(|j| {
            let wn = w.row(j).norm();
            let dot = v
                .iter()
                .enumerate()
                .fold(S::cst(0.0), |a, (k, &vk)| a + S::cst(w[(j, k)]) * vk);
            let c = dot / (n * S::cst(wn));
            S::cst(p.scale) * if j == y { psi_cos(c, p.m) } else { c }
        })
        .collect();
    log_sum_exp(&logits).unwrap_or(S::cst(f64::NAN)) - logits[y]
    // ANCHOR_END: identity_loss_body
}

/// The age loss of one feature, `½(α a(x) + β − z)²` with the age code `a(x)`.
/// It depends on `x` only through the age code.
// ANCHOR: age_loss
pub fn age_loss<S: Scalar>(x: &[S], z: f64, p: &OeParams) -> S {
    let r = S::cst(p.alpha) * age_code(x, p.geometry) + S::cst(p.beta) - S::cst(z);
    S::cst(0.5) * r * r
}
// ANCHOR_END: age_loss
// ANCHOR_END: identity_loss

/// Checks a batch for the OE loss.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the labels or ages are not one per feature,
/// or the weights' width is not the identity part's; [`Error::NonFinite`]
/// for a non-finite feature, weight or age; [`Error::InvalidParameter`] for
/// a negative age, a label out of range, a zero weight row, or a feature
/// whose identity part is zero (it has no direction, so neither `x̂` nor
/// the identity loss exists); [`Error::TooFew`] for an empty batch, fewer
/// than two classes, or a plane with fewer than two dimensions.
pub fn check_batch(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
    ages: &[f64],
    p: &OeParams,
) -> Result<()> {
    p.check()?;
    ensure_len("batch", x.nrows(), 1)?;
    ensure_len("classes", w.nrows(), 2)?;
    for (what, n) in [
        ("labels vs features", labels.len()),
        ("ages vs features", ages.len()),
    ] {
        if n != x.nrows() {
            return Err(Error::ShapeMismatch {
                what,
                expected: x.nrows().to_string(),
                got: n.to_string(),
            });
        }
    }
    ensure_finite("features", x.as_slice())?;
    ensure_finite("weights", w.as_slice())?;
    check_ages(ages)?;
    if p.geometry == Geometry::Plane {
        ensure_len("feature dimension of the plane variant", x.ncols(), 2)?;
    }
    let id_dim = identity_part(&vec![0.0; x.ncols()], p.geometry).len();
    if w.ncols() != id_dim {
        return Err(Error::ShapeMismatch {
            what: "weight width vs identity part of the features",
            expected: id_dim.to_string(),
            got: w.ncols().to_string(),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&y| y >= w.nrows()) {
        return Err(Error::InvalidParameter {
            name: "label",
            reason: format!("label {bad} is out of range for {} classes", w.nrows()),
        });
    }
    if let Some(j) = (0..w.nrows()).find(|&j| w.row(j).norm() == 0.0) {
        return Err(Error::InvalidParameter {
            name: "weights",
            reason: format!("class {j} has a zero weight vector, which has no direction"),
        });
    }
    for i in 0..x.nrows() {
        let row: Vec<f64> = x.row(i).iter().copied().collect();
        if norm(identity_part(&row, p.geometry)) == 0.0 {
            return Err(Error::InvalidParameter {
                name: "features",
                reason: format!(
                    "feature {i} has a zero identity part, which has no direction (x/‖x‖ is undefined)"
                ),
            });
        }
    }
    Ok(())
}

// ANCHOR: oe_loss
/// The OE loss of a batch: `(1/N) Σ_i [L_id(x_i, y_i) + λ L_age(x_i, z_i)]`.
///
/// # Errors
/// As [`check_batch`].
pub fn oe_loss(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
    ages: &[f64],
    p: &OeParams,
) -> Result<f64> {
    check_batch(x, w, labels, ages, p)?;
    let mut total = 0.0;
    for i in 0..x.nrows() {
        let row: Vec<f64> = x.row(i).iter().copied().collect();
        total += identity_loss(&row, w, labels[i], p) + p.lambda * age_loss(&row, ages[i], p);
    }
    let loss = total / x.nrows() as f64;
    ensure_finite("OE loss", &[loss])?;
    Ok(loss)
}
// ANCHOR_END: oe_loss

/// The identity loss of one feature as a [`Field`] in its `d` coordinates.
#[derive(Debug, Clone)]
pub struct IdentityField<'a> {
    /// Class weights `(classes, identity dimension)`.
    pub w: &'a DMatrix<f64>,
    /// The label.
    pub y: usize,
    /// Loss parameters.
    pub p: OeParams,
    /// Feature dimension `d`.
    pub dim: usize,
}

impl Field for IdentityField<'_> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        identity_loss(x, self.w, self.y, &self.p)
    }
}

/// The age loss of one feature as a [`Field`] in its `d` coordinates.
#[derive(Debug, Clone, Copy)]
pub struct AgeField {
    /// The age `z`.
    pub z: f64,
    /// Loss parameters.
    pub p: OeParams,
    /// Feature dimension `d`.
    pub dim: usize,
}

impl Field for AgeField {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        age_loss(x, self.z, &self.p)
    }
}

// ANCHOR: split
/// Splits a vector `v` at the point `x ≠ 0` into its radial part
/// `(v·x̂) x̂` and its tangential part `v − (v·x̂) x̂`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; [`Error::InvalidParameter`]
/// for `x = 0`, where no direction is radial.
pub fn radial_tangential(
    v: &DVector<f64>,
    x: &DVector<f64>,
) -> Result<(DVector<f64>, DVector<f64>)> {
    if v.len() != x.len() {
        return Err(Error::ShapeMismatch {
            what: "vector vs point",
            expected: x.len().to_string(),
            got: v.len().to_string(),
        });
    }
    let n = x.norm();
    if n == 0.0 {
        return Err(Error::InvalidParameter {
            name: "x",
            reason: "at x = 0 no direction is radial".into(),
        });
    }
    let u = x / n;
    let radial = &u * v.dot(&u);
    let tangential = v - &radial;
    Ok((radial, tangential))
}
// ANCHOR_END: split

/// `x` with its age code replaced by `code` and its identity part kept: on
/// the sphere `code · x̂`, on the plane `(x_1, …, x_{d−1}, code)`. This is
/// the "transfer" the decomposition allows: another age, the same identity.
///
/// # Errors
/// [`Error::InvalidParameter`] for a zero identity part (on the sphere, a
/// zero `x`); [`Error::NonFinite`] for a non-finite input.
pub fn with_age_code(x: &[f64], code: f64, g: Geometry) -> Result<Vec<f64>> {
    ensure_finite("feature", x)?;
    ensure_finite("age code", &[code])?;
    ensure_len(
        "feature dimension",
        x.len(),
        1 + usize::from(g == Geometry::Plane),
    )?;
    let n = norm(identity_part(x, g));
    if n == 0.0 {
        return Err(Error::InvalidParameter {
            name: "feature",
            reason: "a zero identity part has no direction to keep".into(),
        });
    }
    Ok(match g {
        Geometry::Sphere => x.iter().map(|v| v / n * code).collect(),
        Geometry::Plane => {
            let mut out = x.to_vec();
            let last = out.len() - 1;
            out[last] = code;
            out
        }
    })
}
