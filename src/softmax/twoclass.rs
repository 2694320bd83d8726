//! The notes' two-class example: 1-D normalized features at ±1, no biases.
//!
//! Class 1 has `m` samples with feature `f = +1`, class 2 has `n` samples with
//! `f = −1`; the logits of a sample are `(w₁ f, w₂ f)` and the loss is the summed
//! softmax cross-entropy `L = −Σ_i Σ_j a_{ij} log p_{ij}`, computed by the
//! generic [`CrossEntropy`]. The closed forms the chapter derives from it,
//! [`closed_form_loss`] and [`gradient`], are written separately, so that the
//! tests compare the derivation with the definition.

use nalgebra::DVector;

use super::crossentropy::CrossEntropy;
use crate::diff::Field;
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

/// The notes' loss written from its definition: the generic softmax
/// cross-entropy [`CrossEntropy`] of a bias-free head with 1-D features, one
/// sample at `f = +1` (class 1) counted `m` times and one at `f = −1`
/// (class 2) counted `n` times; its parameters are `(w₁, w₂)`.
///
/// # Errors
/// [`Error::InvalidParameter`] for negative sizes or `m = n = 0`;
/// [`Error::NonFinite`] for a non-finite size.
pub fn definition(m: f64, n: f64) -> Result<CrossEntropy> {
    check(m, n, &[])?;
    CrossEntropy::new(2, vec![vec![1.0], vec![-1.0]], vec![0, 1], vec![m, n])
}

/// The loss `L(w₁, w₂)`, evaluated from the definition ([`definition`]).
///
/// # Errors
/// As [`definition`]; [`Error::NonFinite`] for a non-finite weight.
pub fn loss(m: f64, n: f64, w1: f64, w2: f64) -> Result<f64> {
    check(m, n, &[w1, w2])?;
    Ok(definition(m, n)?.eval(&[w1, w2]))
}

/// The chapter's simplification of the loss, `(m + n) log(1 + e^{w₂ − w₁})`.
///
/// # Errors
/// As [`loss`].
pub fn closed_form_loss(m: f64, n: f64, w1: f64, w2: f64) -> Result<f64> {
    check(m, n, &[w1, w2])?;
    Ok((m + n) * softplus(w2 - w1))
}

// ANCHOR: gradient
/// The chapter's closed-form gradient: with `δ = w₁ − w₂` and `σ` the
/// logistic function, `∂L/∂w₁ = −(m + n) σ(−δ)` and `∂L/∂w₂ = +(m + n) σ(−δ)`.
///
/// # Errors
/// As [`loss`].
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

/// The gradient by forward-mode automatic differentiation of the loss's
/// definition ([`definition`]): independent of the closed form [`gradient`].
///
/// # Errors
/// As [`loss`].
pub fn gradient_autodiff(m: f64, n: f64, w1: f64, w2: f64) -> Result<(f64, f64)> {
    check(m, n, &[w1, w2])?;
    let g = crate::diff::gradient(&definition(m, n)?, &DVector::from_vec(vec![w1, w2]))?;
    Ok((g[0], g[1]))
}

// ANCHOR: descent
/// Plain gradient descent from `(w₁, w₂)` for `steps` steps of size `lr`;
/// returns every iterate.
///
/// # Errors
/// As [`loss`]; [`Error::NonFinite`] for a non-finite learning rate.
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
