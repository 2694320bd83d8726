//! Taylor series (chapter "Taylor series").
//!
//! The Taylor series of a function `f` that is infinitely differentiable at `a` is
//!
//! ```text
//! f(x) ~ Σ_{n≥0} f^{(n)}(a)/n! · (x − a)^n
//! ```
//!
//! (Apostol, *Calculus* I, §7.5–7.7; Rudin, *Principles of Mathematical
//! Analysis*, 3rd ed., §8.1 and Theorem 5.15). This module computes its
//! ingredients and checks what can and cannot be concluded from it:
//!
//! * [`jet`]: Taylor coefficients of any formula by Taylor-mode automatic
//!   differentiation ([`Jet`]), the reference for `n`-th derivatives;
//! * [`series`]: Taylor polynomials, partial sums and the Lagrange remainder bound;
//! * [`fd`]: central finite differences with their truncation/rounding error bound,
//!   an independent check of the derivatives;
//! * [`radius`]: the radius of convergence estimated from the coefficients;
//! * [`flat`]: `e^{-1/x²}`, whose Taylor series at 0 converges to the wrong function;
//! * [`cancellation`]: summing the series of `e^x` for `x ≪ 0`, and the fix;
//! * [`multivariate`]: the second-order model `f(x) + ∇f(x)ᵀΔ + ½ ΔᵀHΔ` that
//!   Newton's method minimises, and its `O(‖Δ‖³)` remainder;
//! * [`functions`]: the test functions, with closed-form derivatives.
//!
//! Functions are written once against [`crate::diff::ScalarFn`] and
//! [`crate::diff::Field`], generic over [`crate::diff::Scalar`], which [`Jet`] implements.

pub mod cancellation;
pub mod experiments;
pub mod fd;
pub mod flat;
pub mod functions;
pub mod jet;
pub mod multivariate;
pub mod radius;
pub mod series;

pub use jet::Jet;

use crate::diff::ScalarFn;
use crate::error::{Result, ensure_finite};

// ANCHOR: taylor_coefficients
/// The Taylor coefficients `c_k = f^{(k)}(a)/k!`, `k = 0, …, N−1`, of `f` at `a`.
///
/// Evaluates `f` once on the jet of `a + t`.
///
/// # Errors
///
/// [`crate::Error::NonFinite`] if `a` is not finite or if a coefficient is not (the
/// formula is undefined at `a`, e.g. `ln` of a non-positive number, or a coefficient
/// overflows).
pub fn taylor_coefficients<const N: usize, G: ScalarFn + ?Sized>(
    f: &G,
    a: f64,
) -> Result<[f64; N]> {
    ensure_finite("a", &[a])?;
    let c = *f.eval(Jet::<N>::variable(a)).coeffs();
    ensure_finite("Taylor coefficient of f at a", &c)?;
    Ok(c)
}

/// The derivatives `f(a), f'(a), …, f^{(N−1)}(a)`, as `k!·c_k`.
///
/// # Errors
///
/// [`crate::Error::NonFinite`] if `a` is not finite, or if a coefficient or a
/// derivative `k!·c_k` is not (the formula is undefined at `a`, or the value
/// overflows), as [`taylor_coefficients`].
pub fn derivatives<const N: usize, G: ScalarFn + ?Sized>(f: &G, a: f64) -> Result<[f64; N]> {
    let mut d = taylor_coefficients::<N, G>(f, a)?;
    let mut factorial = 1.0;
    for (k, dk) in d.iter_mut().enumerate().skip(1) {
        factorial *= k as f64;
        *dk *= factorial;
    }
    ensure_finite("derivative of f at a", &d)?;
    Ok(d)
}
// ANCHOR_END: taylor_coefficients
