//! Decision regions of A-Softmax on the unit circle, and the lower bounds on `m`.
//!
//! With normalized weights the A-Softmax decision for a feature `x` depends
//! only on its direction (every logit is `‖x‖` times a function of angles),
//! so everything here lives on the unit circle: a direction is an angle `φ`,
//! class `j` has weight direction `α_j`. A feature of class `i` is classified
//! correctly *with the margin* when `ψ(θ_i) > cos θ_j` for every `j ≠ i`
//! (SphereFace §3.2): that set is the A-Softmax decision region of class `i`.
//!
//! SphereFace, Properties 2 and 3 (and their proofs in the appendix): in the
//! binary case the criterion "max intra-class angle < min inter-class angle"
//! needs `m > 2 + √3`; in the multi-class case with weights spread uniformly
//! on the circle, `m > 3`.

use std::f64::consts::PI;

use super::{check_m, psi};
use crate::error::{Error, Result, ensure_finite, ensure_len};

/// Angular distance between two directions on the circle, in `[0, π]`.
pub fn circ_dist(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(2.0 * PI);
    d.min(2.0 * PI - d)
}

// ANCHOR: binary_margin
/// Binary case, features in the plane of `W_1` and `W_2` (angle `θ₁₂` apart),
/// between them: class 1's boundary `cos(mθ₁) = cos θ₂ = cos(θ₁₂ − θ₁)` lies at
/// `θ₁ = θ₁₂/(m+1)`, class 2's at `θ₂ = θ₁₂/(m+1)`, so the angular margin
/// (the band that belongs to neither class) is `(m−1)/(m+1) · θ₁₂`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0` or `θ₁₂` outside `(0, π]`;
/// [`Error::NonFinite`] for a NaN or infinite `θ₁₂`.
pub fn binary_margin(m: u32, theta12: f64) -> Result<f64> {
    check_m(m)?;
    check_theta12(theta12)?;
    let mf = f64::from(m);
    Ok((mf - 1.0) / (mf + 1.0) * theta12)
}
// ANCHOR_END: binary_margin

fn check_theta12(theta12: f64) -> Result<()> {
    ensure_finite("θ₁₂", &[theta12])?;
    if !(theta12 > 0.0 && theta12 <= PI) {
        return Err(Error::InvalidParameter {
            name: "θ₁₂",
            reason: format!("the angle between two class weights lies in (0, π], got {theta12}"),
        });
    }
    Ok(())
}

/// The class-1 boundary between `W_1` and `W_2` found numerically: the root
/// `t ∈ (0, θ₁₂)` of `ψ(t) − cos(θ₁₂ − t)`, a strictly decreasing function
/// (`ψ` decreases, `cos(θ₁₂ − t)` increases), by bisection to `1e-14`.
/// An independent check of [`binary_margin`] that uses `ψ` itself.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0` or `θ₁₂` outside `(0, π]`;
/// [`Error::NonFinite`] for a NaN or infinite `θ₁₂`.
pub fn binary_boundary_numeric(m: u32, theta12: f64) -> Result<f64> {
    check_m(m)?;
    check_theta12(theta12)?;
    let g = |t: f64| -> Result<f64> { Ok(psi(t, m)? - (theta12 - t).cos()) };
    let (mut lo, mut hi) = (0.0, theta12);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if g(mid)? > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-14 {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The A-Softmax decision regions of classes with weight directions
/// `alphas` (radians), sampled at `grid` equally spaced directions: entry
/// `i` lists the directions `φ` with `ψ(θ_i) > cos θ_j` for all `j ≠ i`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0`; [`Error::TooFew`] for fewer than two
/// classes or a grid of fewer than 8 directions; [`Error::NonFinite`] for a NaN or
/// infinite weight direction.
pub fn regions_on_circle(alphas: &[f64], m: u32, grid: usize) -> Result<Vec<Vec<f64>>> {
    check_m(m)?;
    ensure_len("classes", alphas.len(), 2)?;
    ensure_len("grid", grid, 8)?;
    ensure_finite("weight directions", alphas)?;
    // ANCHOR: regions_loop
    let mut regions = vec![Vec::new(); alphas.len()];
    for g in 0..grid {
        let phi = 2.0 * PI * g as f64 / grid as f64;
        for (i, &ai) in alphas.iter().enumerate() {
            let own = psi(circ_dist(phi, ai), m)?;
            let beats_all = alphas
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .all(|(_, &aj)| own > circ_dist(phi, aj).cos());
            if beats_all {
                regions[i].push(phi);
            }
        }
    }
    Ok(regions)
    // ANCHOR_END: regions_loop
}

/// Largest angle between two directions of one set (0 for fewer than two).
pub fn max_intra(set: &[f64]) -> f64 {
    let mut best = 0.0f64;
    for (k, &a) in set.iter().enumerate() {
        for &b in &set[k + 1..] {
            best = best.max(circ_dist(a, b));
        }
    }
    best
}

/// Smallest angle between a direction of `a` and one of `b` (∞ if one is empty).
pub fn min_inter(a: &[f64], b: &[f64]) -> f64 {
    let mut best = f64::INFINITY;
    for &p in a {
        for &q in b {
            best = best.min(circ_dist(p, q));
        }
    }
    best
}

/// The metric-learning criterion evaluated on decision regions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Criterion {
    /// Largest intra-class angle over all classes.
    pub max_intra: f64,
    /// Smallest inter-class angle over all pairs of classes.
    pub min_inter: f64,
}

impl Criterion {
    /// Whether `max intra < min inter`.
    pub fn holds(&self) -> bool {
        self.max_intra < self.min_inter
    }
}

// ANCHOR: criterion
/// "Max intra-class angle < min inter-class angle" over the A-Softmax decision
/// regions of the classes with weight directions `alphas`.
///
/// # Errors
///
/// As [`regions_on_circle`]: [`Error::InvalidParameter`] for `m = 0`,
/// [`Error::TooFew`] for fewer than two classes or a grid of fewer than 8 directions,
/// [`Error::NonFinite`] for a NaN or infinite weight direction.
pub fn region_criterion(alphas: &[f64], m: u32, grid: usize) -> Result<Criterion> {
    let regions = regions_on_circle(alphas, m, grid)?;
    let max_intra = regions.iter().map(|r| max_intra(r)).fold(0.0, f64::max);
    let mut min_inter = f64::INFINITY;
    for i in 0..regions.len() {
        for j in i + 1..regions.len() {
            min_inter = min_inter.min(self::min_inter(&regions[i], &regions[j]));
        }
    }
    Ok(Criterion {
        max_intra,
        min_inter,
    })
}
// ANCHOR_END: criterion

// ANCHOR: paper_bounds
/// The paper's binary bound (Property 2), from its appendix argument: with
/// `θ₁₂ ≤ (m−1)π/m`, class 1's region reaches `θ₁₂/(m+1)` towards `W_2` and
/// `θ₁₂/(m−1)` away from it, so max intra `= θ₁₂/(m+1) + θ₁₂/(m−1)` and
/// min inter `= (m−1)θ₁₂/(m+1)`; intra < inter ⇔ `m² − 4m + 1 > 0` ⇔ `m > 2 + √3`.
pub fn paper_binary_intra_inter(m: f64, theta12: f64) -> (f64, f64) {
    (
        theta12 / (m + 1.0) + theta12 / (m - 1.0),
        (m - 1.0) * theta12 / (m + 1.0),
    )
}

/// `2 + √3`, the smallest `m` of Property 2.
pub fn paper_binary_bound() -> f64 {
    2.0 + 3.0f64.sqrt()
}

/// The paper's multi-class argument (Property 3): weights uniformly spaced,
/// neighbours `θ = 2π/C` apart; a class region is `2θ/(m+1)` wide and the gap
/// to a neighbour's region `(m−1)θ/(m+1)`, so the criterion needs `m > 3`.
pub fn paper_multiclass_intra_inter(m: f64, classes: usize) -> (f64, f64) {
    let theta = 2.0 * PI / classes as f64;
    (2.0 * theta / (m + 1.0), (m - 1.0) * theta / (m + 1.0))
}
// ANCHOR_END: paper_bounds

/// `C` weight directions spread uniformly on the circle.
pub fn uniform_directions(classes: usize) -> Vec<f64> {
    (0..classes)
        .map(|j| 2.0 * PI * j as f64 / classes as f64)
        .collect()
}
