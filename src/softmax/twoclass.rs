//! The notes' two-class example: 1-D normalized features at ±1, no biases.
//!
//! Class 1 has `m` samples with feature `f = +1`, class 2 has `n` samples with
//! `f = −1`; the logits of a sample are `(w₁ f, w₂ f)` and the loss is the summed
//! softmax cross-entropy `L = −Σ_i Σ_j a_{ij} log p_{ij}`.

use nalgebra::DVector;

use crate::diff::{Field, Scalar};
use crate::error::{Error, Result, ensure_finite};
use crate::numeric::softplus;

fn check(m: f64, n: f64, w: &[f64]) -> Result<()> {
    ensure_finite("class sizes and weights", &[m, n])?;
    ensure_finite("weights", w)?;
    if m < 0.0 || n < 0.0 || m + n == 0.0 {
        return Err(Error::InvalidParameter {
            name: "class sizes",
            reason: format!("m and n must be ≥ 0 and not both 0, got m = {m}, n = {n}"),
        });
    }
    Ok(())
}

/// The loss written from its definition, generic over the number type so
/// that [`crate::diff::gradient`] differentiates it: per sample
/// `−log p_y = log(e^{w₁f} + e^{w₂f}) − w_y f`, summed.
#[derive(Debug, Clone, Copy)]
pub struct TwoClassLoss {
    /// Samples of class 1 (feature +1).
    pub m: f64,
    /// Samples of class 2 (feature −1).
    pub n: f64,
}

impl Field for TwoClassLoss {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, w: &[T]) -> T {
        let (w1, w2) = (w[0], w[1]);
        // Class 1, f = +1: −log p₁ = log(1 + e^{w₂ − w₁}).
        let l1 = softplus(w2 - w1);
        // Class 2, f = −1: logits (−w₁, −w₂), −log p₂ = log(1 + e^{w₂ − w₁}).
        let l2 = softplus(w2 - w1);
        T::cst(self.m) * l1 + T::cst(self.n) * l2
    }
}

/// The loss value `L(w₁, w₂) = (m + n) log(1 + e^{−(w₁ − w₂)})`.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `m`, `n`, `w₁` or `w₂`;
/// [`Error::InvalidParameter`] for a negative class size, or `m = n = 0`.
pub fn loss(m: f64, n: f64, w1: f64, w2: f64) -> Result<f64> {
    check(m, n, &[w1, w2])?;
    Ok(TwoClassLoss { m, n }.eval(&[w1, w2]))
}

// ANCHOR: gradient
/// The exact gradient: with `δ = w₁ − w₂` and `σ` the logistic function,
/// `∂L/∂w₁ = −(m + n) σ(−δ)` and `∂L/∂w₂ = +(m + n) σ(−δ)`.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `m`, `n`, `w₁` or `w₂`;
/// [`Error::InvalidParameter`] for a negative class size, or `m = n = 0`.
pub fn gradient(m: f64, n: f64, w1: f64, w2: f64) -> Result<(f64, f64)> {
    check(m, n, &[w1, w2])?;
    // ANCHOR: sign_branch
    let d = w1 - w2;
    let s = if d >= 0.0 {
        (-d).exp() / (1.0 + (-d).exp())
    } else {
        1.0 / (1.0 + d.exp())
    };
    let g = (m + n) * s;
    // ANCHOR_END: sign_branch
    Ok((-g, g))
}
// ANCHOR_END: gradient

/// The notes' gradients `∂L/∂w₁ = m(m − 1)`, `∂L/∂w₂ = n(n − 1)`.
pub fn notes_gradient(m: f64, n: f64) -> (f64, f64) {
    (m * (m - 1.0), n * (n - 1.0))
}

/// The gradient by forward-mode automatic differentiation of [`TwoClassLoss`].
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `m`, `n`, `w₁` or `w₂`, or gradient;
/// [`Error::InvalidParameter`] for a negative class size, or `m = n = 0`.
pub fn gradient_autodiff(m: f64, n: f64, w1: f64, w2: f64) -> Result<(f64, f64)> {
    check(m, n, &[w1, w2])?;
    let g = crate::diff::gradient(&TwoClassLoss { m, n }, &DVector::from_vec(vec![w1, w2]))?;
    Ok((g[0], g[1]))
}

// ANCHOR: descent
/// Plain gradient descent from `(w₁, w₂)` for `steps` steps of size `lr`;
/// returns every iterate.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `lr`. When `steps > 0`, as
/// [`gradient`] at each iterate: [`Error::NonFinite`] for a NaN or infinite `m`, `n`
/// or iterate (the iteration overflowed), [`Error::InvalidParameter`] for a negative
/// class size or `m = n = 0`.
pub fn descend(m: f64, n: f64, w: (f64, f64), lr: f64, steps: usize) -> Result<Vec<(f64, f64)>> {
    ensure_finite("learning rate", &[lr])?;
    let mut out = vec![w];
    let (mut w1, mut w2) = w;
    for _ in 0..steps {
        let (g1, g2) = gradient(m, n, w1, w2)?;
        w1 -= lr * g1;
        w2 -= lr * g2;
        out.push((w1, w2));
    }
    Ok(out)
}
// ANCHOR_END: descent
