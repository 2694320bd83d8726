//! Critical points of a [`Landscape`]: found by a damped Newton iteration on
//! the gradient, classified by the signs of the Hessian's eigenvalues.
//!
//! Newton's method for `∇L(θ) = 0` converges to a critical point of any kind
//! (a minimum, a saddle or a maximum), which is what a landscape survey needs;
//! plain descent on `L` would only find minima. Far from a critical point the
//! pure Newton step is unreliable, so each step minimises the Gauss–Newton
//! model of `½‖∇L‖²` with a Levenberg–Marquardt damping `μ`:
//!
//! `p = argmin ‖∇L + H p‖² + μ‖p‖² = −Q diag(λ_i / (λ_i² + μ)) Qᵀ ∇L`,
//!
//! with `H = Q diag(λ_i) Qᵀ` (Dauphin et al., NIPS 2014, §4, use the related
//! `|λ_i|` rescaling to flee saddles; here the aim is the opposite, to land on
//! them). `μ` shrinks after a step that lowers `‖∇L‖` and grows otherwise; as
//! `μ → 0` the step becomes the Newton step `−H⁻¹∇L` and converges
//! quadratically. A point counts as **critical** when the exact
//! (back-propagated) gradient has norm at most `tol`; a search that cannot
//! lower `‖∇L‖` any further has found a minimum of `‖∇L‖²` that is not a
//! critical point of `L`, and is reported as stuck.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::landscape::Landscape;
use crate::error::{Error, Result, ensure_finite};

/// An eigenvalue below `−EIG_TOL` counts as a downward-curving direction.
pub const EIG_TOL: f64 = 1e-6;

/// Stopping rules of [`find_critical`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    /// Stop, critical, once `‖∇L‖ ≤ tol`.
    pub tol: f64,
    /// Give up after this many Hessian evaluations.
    pub max_hessians: usize,
    /// Initial damping `μ`.
    pub mu: f64,
    /// Give up when the last `stall` Hessians lowered `‖∇L‖` by less than a
    /// factor of 10 (0: never): a search crawling along a gradient-flat region
    /// spends its budget without reaching a critical point.
    pub stall: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            tol: 1e-9,
            max_hessians: 60,
            mu: 1e-2,
            stall: 30,
        }
    }
}

/// The curvature of a critical point.
#[derive(Debug, Clone, PartialEq)]
pub struct Curvature {
    /// Eigenvalues below `−EIG_TOL`.
    pub negative: usize,
    /// `negative / n`: the index as Dauphin et al. plot it.
    pub index: f64,
    /// Smallest eigenvalue.
    pub min: f64,
    /// Largest eigenvalue.
    pub max: f64,
    /// Smallest `|λ|`: far from 0 means the critical point is non-degenerate.
    pub min_abs: f64,
}

// ANCHOR: index
/// The index of a symmetric matrix: how many eigenvalues are below `−EIG_TOL`,
/// and what fraction of all they are.
///
/// # Errors
/// [`Error::TooFew`] for an empty matrix, [`Error::ShapeMismatch`] if it is
/// not square, [`Error::NonFinite`] for a non-finite entry.
pub fn curvature(h: &DMatrix<f64>) -> Result<Curvature> {
    crate::error::ensure_len("Hessian rows", h.nrows(), 1)?;
    if !h.is_square() {
        return Err(Error::ShapeMismatch {
            what: "Hessian",
            expected: "a square matrix".into(),
            got: format!("{} × {}", h.nrows(), h.ncols()),
        });
    }
    ensure_finite("Hessian", h.as_slice())?;
    let ev = SymmetricEigen::new(h.clone()).eigenvalues;
    let negative = ev.iter().filter(|&&l| l < -EIG_TOL).count();
    Ok(Curvature {
        negative,
        index: negative as f64 / ev.len() as f64,
        min: ev.min(),
        max: ev.max(),
        min_abs: ev.iter().fold(f64::INFINITY, |m, l| m.min(l.abs())),
    })
}
// ANCHOR_END: index

/// What one search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The last iterate.
    pub theta: Vec<f64>,
    /// `L` there.
    pub loss: f64,
    /// `‖∇L‖` there.
    pub grad_norm: f64,
    /// Whether `‖∇L‖ ≤ tol` (a critical point).
    pub critical: bool,
    /// The Hessian's curvature at the last iterate.
    pub curvature: Curvature,
    /// Hessian evaluations spent (each `2n` gradients).
    pub hessians: usize,
}

// ANCHOR: search
/// Damped Newton on `∇L = 0` from `theta0` (see the module documentation).
///
/// # Errors
/// [`Error::InvalidParameter`] for a tolerance or damping that is not positive
/// or a zero budget; the landscape's errors for a bad start; a non-finite
/// Hessian as [`Error::NonFinite`].
pub fn find_critical(land: &Landscape, theta0: &[f64], opts: &SearchOptions) -> Result<Search> {
    validate(opts)?;
    let mut theta = DVector::from_column_slice(theta0);
    let (mut loss, mut g) = land.gradient(theta.as_slice())?;
    let mut mu = opts.mu;
    let mut hessians = 0;
    let mut norms = Vec::new();
    while hessians < opts.max_hessians && g.norm() > opts.tol {
        norms.push(g.norm());
        if opts.stall > 0 && hessians >= opts.stall && g.norm() > 0.1 * norms[hessians - opts.stall]
        {
            break; // stalled: see SearchOptions::stall
        }
        let eig = SymmetricEigen::new(land.hessian(theta.as_slice())?);
        hessians += 1;
        let gq = eig.eigenvectors.tr_mul(&g);
        // First the Newton step −H⁻¹∇L (a descent direction for ‖∇L‖²), halved
        // until ‖∇L‖ falls; then, if that fails, Levenberg–Marquardt steps.
        // ANCHOR: newton_gradient_step
        let floor = 1e-8 * eig.eigenvalues.amax().max(1e-300);
        let newton = gq.zip_map(&eig.eigenvalues, |c, l| c / clamp_away(l, floor));
        let mut moved = false;
        let mut alpha = 1.0;
        for _ in 0..12 {
            let next = &theta - &eig.eigenvectors * (&newton * alpha);
            if let Ok((l2, g2)) = land.gradient(next.as_slice())
                && g2.norm() < (1.0 - 1e-4 * alpha) * g.norm()
            {
                (theta, loss, g) = (next, l2, g2);
                moved = true;
                break;
            }
            alpha *= 0.5;
        }
        // ANCHOR_END: newton_gradient_step
        while !moved && mu < 1e12 {
            let scaled = gq.zip_map(&eig.eigenvalues, |c, l| c * l / (l * l + mu));
            let next = &theta - &eig.eigenvectors * scaled;
            match land.gradient(next.as_slice()) {
                Ok((l2, g2)) if g2.norm() < g.norm() => {
                    (theta, loss, g) = (next, l2, g2);
                    mu = (mu / 4.0).max(1e-14);
                    moved = true;
                }
                _ => mu *= 4.0,
            }
        }
        if !moved {
            break; // a minimum of ‖∇L‖² that is not a critical point of L
        }
    }
    let curvature = curvature(&land.hessian(theta.as_slice())?)?;
    Ok(Search {
        critical: g.norm() <= opts.tol,
        grad_norm: g.norm(),
        theta: theta.as_slice().to_vec(),
        loss,
        curvature,
        hessians: hessians + 1,
    })
}
// ANCHOR_END: search

// ANCHOR: saddle_free
/// Saddle-free Newton (Dauphin et al. 2014, §4) from `theta0`: each step is
/// `p = −Q diag(1 / |λ_i|) Qᵀ ∇L`, which descends along every eigen-direction
/// (it flips the Newton step where the curvature is negative, so saddles
/// repel it), with Armijo backtracking on `L`. It ends at a minimum, or at a
/// critical point it reached by accident, when `‖∇L‖ ≤ tol`.
///
/// # Errors
/// As [`find_critical`].
pub fn minimise_saddle_free(
    land: &Landscape,
    theta0: &[f64],
    opts: &SearchOptions,
) -> Result<Search> {
    validate(opts)?;
    let mut theta = DVector::from_column_slice(theta0);
    let (mut loss, mut g) = land.gradient(theta.as_slice())?;
    let mut hessians = 0;
    while hessians < opts.max_hessians && g.norm() > opts.tol {
        // ANCHOR: sfn_step
        let eig = SymmetricEigen::new(land.hessian(theta.as_slice())?);
        hessians += 1;
        let floor = 1e-8 * eig.eigenvalues.amax().max(1e-300);
        let gq = eig.eigenvectors.tr_mul(&g);
        let p = -(&eig.eigenvectors * gq.zip_map(&eig.eigenvalues, |c, l| c / l.abs().max(floor)));
        let slope = g.dot(&p);
        let mut alpha = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let next = &theta + &p * alpha;
            if let Ok((l2, g2)) = land.gradient(next.as_slice())
                && l2 <= loss + 1e-4 * alpha * slope
            {
                (theta, loss, g) = (next, l2, g2);
                moved = true;
                break;
            }
            alpha *= 0.5;
        }
        // ANCHOR_END: sfn_step
        if !moved {
            break;
        }
    }
    let curvature = curvature(&land.hessian(theta.as_slice())?)?;
    Ok(Search {
        critical: g.norm() <= opts.tol,
        grad_norm: g.norm(),
        theta: theta.as_slice().to_vec(),
        loss,
        curvature,
        hessians: hessians + 1,
    })
}
// ANCHOR_END: saddle_free

/// `l`, moved away from 0 to at least `floor` in size (keeping its sign).
fn clamp_away(l: f64, floor: f64) -> f64 {
    if l.abs() >= floor {
        l
    } else if l < 0.0 {
        -floor
    } else {
        floor
    }
}

fn validate(opts: &SearchOptions) -> Result<()> {
    for (name, v) in [("tol", opts.tol), ("mu", opts.mu)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidParameter {
                name,
                reason: format!("must be positive and finite, got {v}"),
            });
        }
    }
    if opts.max_hessians == 0 {
        return Err(Error::InvalidParameter {
            name: "max_hessians",
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// Pearson's correlation of two equally long samples.
///
/// # Errors
/// [`Error::TooFew`] for fewer than two pairs, [`Error::ShapeMismatch`] for
/// lengths that differ, [`Error::InvalidParameter`] if either sample is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> Result<f64> {
    crate::error::ensure_len("pairs", a.len(), 2)?;
    if a.len() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "correlated samples",
            expected: a.len().to_string(),
            got: b.len().to_string(),
        });
    }
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        return Err(Error::InvalidParameter {
            name: "sample",
            reason: "a constant sample has no correlation".into(),
        });
    }
    Ok(cov / (va * vb).sqrt())
}
