//! A-Softmax geometry (chapter "A-Softmax geometry (SphereFace)").
//!
//! Liu, Wen, Yu, Li, Raj & Song, *SphereFace: Deep Hypersphere Embedding for
//! Face Recognition*, CVPR 2017. The A-Softmax loss replaces the target
//! logit `‖x‖ cos θ_y` of a softmax with normalized weights by `‖x‖ ψ(θ_y)`,
//! where `ψ` (paper, Eq. 7) extends `cos(mθ)` to a monotonically decreasing
//! function on `[0, π]`.
//!
//! * [`psi`] and [`psi_from_cos`]: the function `ψ`, by angle and (as the
//!   training code computes it, with Chebyshev polynomials) by cosine;
//! * [`loss`]: the loss on plain matrices (the reference the candle head is
//!   checked against) and the notes' literal formula;
//! * [`geometry`]: decision regions on the circle, the binary margin and the
//!   lower bounds on `m` (paper, Properties 2 and 3);
//! * [`Anneal`]: the published schedule that mixes softmax and A-Softmax logits;
//! * [`train`]: the A-Softmax head on tensors, for the trainer of [`crate::nn`];
//! * [`experiments`]: every experiment of the chapter, plan in, results out;
//! * [`projection`]: longitude and latitude of 3-D feature directions, in a
//!   frame whose seam passes clear of the clusters;
//! * [`figure`]: the scatter panels of learned features.

use std::f64::consts::PI;

use crate::error::{Error, Result, ensure_finite};

pub mod experiments;
pub mod figure;
pub mod geometry;
pub mod loss;
pub mod projection;
pub mod train;

/// Checks the margin parameter: the paper defines `ψ` for integer `m ≥ 1`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0`.
pub fn check_m(m: u32) -> Result<()> {
    if m == 0 {
        return Err(Error::InvalidParameter {
            name: "m",
            reason: "the angular margin must be an integer m ≥ 1 (m = 1 is the plain normalized-weight softmax)".into(),
        });
    }
    Ok(())
}

// ANCHOR: psi
/// `ψ(θ) = (−1)^k cos(mθ) − 2k` for `θ ∈ [kπ/m, (k+1)π/m]`, `k = 0, …, m−1`
/// (SphereFace, Eq. 7). At a breakpoint `θ = kπ/m` both pieces give `1 − 2k`,
/// so the choice of `k` there does not matter.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0` or `θ` outside `[0, π]`;
/// [`Error::NonFinite`] for a NaN or infinite `θ`.
pub fn psi(theta: f64, m: u32) -> Result<f64> {
    check_m(m)?;
    ensure_finite("theta", &[theta])?;
    if !(0.0..=PI).contains(&theta) {
        return Err(Error::InvalidParameter {
            name: "theta",
            reason: format!("an angle between two vectors lies in [0, π], got {theta}"),
        });
    }
    // ANCHOR: psi_pieces
    let mf = f64::from(m);
    let k = ((theta * mf / PI).floor() as u32).min(m - 1);
    let sign = if k.is_multiple_of(2) { 1.0 } else { -1.0 };
    Ok(sign * (mf * theta).cos() - 2.0 * f64::from(k))
    // ANCHOR_END: psi_pieces
}
// ANCHOR_END: psi

// ANCHOR: psi_from_cos
/// `ψ` as a function of `c = cos θ`, without `acos`: `cos(mθ) = T_m(c)`
/// (Chebyshev polynomial, `T_0 = 1`, `T_1 = c`, `T_{j+1} = 2c T_j − T_{j−1}`),
/// and `k` counts the breakpoints `cos(jπ/m)`, `j = 1..m−1`, that `c` lies at
/// or below. This is how the SphereFace Caffe layer computes it (there for
/// `m ≤ 4`), and how [`train::psi_tensor`] computes it on tensors.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0`; [`Error::NonFinite`] for a NaN `c`
/// (an infinite `c` is clamped to `±1`, like any `c` outside `[−1, 1]`).
pub fn psi_from_cos(c: f64, m: u32) -> Result<f64> {
    check_m(m)?;
    let c = c.clamp(-1.0, 1.0);
    ensure_finite("cosine", &[c])?;
    // ANCHOR: psi_chebyshev
    let (mut t_prev, mut t) = (1.0, c);
    for _ in 1..m {
        let next = 2.0 * c * t - t_prev;
        t_prev = t;
        t = next;
    }
    let k = (1..m)
        .filter(|&j| c <= (f64::from(j) * PI / f64::from(m)).cos())
        .count() as f64;
    let sign = if (k as u32).is_multiple_of(2) {
        1.0
    } else {
        -1.0
    };
    Ok(sign * t - 2.0 * k)
    // ANCHOR_END: psi_chebyshev
}
// ANCHOR_END: psi_from_cos

// ANCHOR: anneal
/// The schedule of the SphereFace Caffe layer `MarginInnerProduct`
/// (`margin_inner_product_layer.cpp`, parameters in
/// `train/code/sphereface_model.prototxt` of github.com/wy1iu/sphereface:
/// `base: 1000, gamma: 0.12, power: 1, lambda_min: 5`). At iteration `t`
/// (counted from 1), `λ_t = max(λ_min, base · (1 + γ t)^(−power))`, and the
/// target logit is `(λ ‖x‖ cos θ_y + ‖x‖ ψ(θ_y)) / (1 + λ)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Anneal {
    /// `base`.
    pub base: f64,
    /// `gamma`.
    pub gamma: f64,
    /// `power`.
    pub power: f64,
    /// `lambda_min`, the floor.
    pub lambda_min: f64,
}

impl Anneal {
    /// The published values (SphereFace-20 prototxt).
    pub fn sphereface() -> Anneal {
        Anneal {
            base: 1000.0,
            gamma: 0.12,
            power: 1.0,
            lambda_min: 5.0,
        }
    }

    /// No softmax admixture: `λ = 0` from the first iteration (pure A-Softmax).
    pub fn none() -> Anneal {
        Anneal {
            base: 0.0,
            gamma: 0.0,
            power: 1.0,
            lambda_min: 0.0,
        }
    }

    /// `λ` at iteration `t ≥ 1`.
    ///
    /// # Errors
    ///
    /// [`Error::NonFinite`] for a NaN or infinite `base`, `gamma`, `power` or
    /// `lambda_min`; [`Error::InvalidParameter`] for a negative `base`, `gamma` or
    /// `lambda_min`.
    pub fn lambda(&self, t: u64) -> Result<f64> {
        ensure_finite(
            "annealing parameters",
            &[self.base, self.gamma, self.power, self.lambda_min],
        )?;
        if self.base < 0.0 || self.gamma < 0.0 || self.lambda_min < 0.0 {
            return Err(Error::InvalidParameter {
                name: "annealing",
                reason: "base, gamma and lambda_min must be ≥ 0".into(),
            });
        }
        let l = self.base * (1.0 + self.gamma * t as f64).powf(-self.power);
        Ok(l.max(self.lambda_min))
    }
}

/// The mixed target logit `(λ ‖x‖ cos θ + ‖x‖ ψ(θ)) / (1 + λ)`.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `norm`, `λ` or `θ`;
/// [`Error::InvalidParameter`] for a negative `norm` or `λ`, for `m = 0`, or for
/// `θ` outside `[0, π]`.
pub fn mixed_target_logit(norm: f64, theta: f64, m: u32, lambda: f64) -> Result<f64> {
    ensure_finite("feature norm and λ", &[norm, lambda])?;
    if norm < 0.0 || lambda < 0.0 {
        return Err(Error::InvalidParameter {
            name: "norm or λ",
            reason: "a norm and the mixing weight λ are ≥ 0".into(),
        });
    }
    Ok((lambda * norm * theta.cos() + norm * psi(theta, m)?) / (1.0 + lambda))
}
// ANCHOR_END: anneal
