//! `f(x) = e^{−1/x²}` (with `f(0) = 0`): smooth everywhere, every derivative
//! zero at 0, so its Taylor series at 0 is the zero series, which converges
//! (everywhere) to the wrong function.
//!
//! For `x ≠ 0`, `f^{(n)}(x) = P_n(1/x) e^{−1/x²}` for polynomials `P_n` with
//! `P_0 = 1` and `P_{n+1}(u) = 2u³ P_n(u) − u² P_n'(u)` (differentiate
//! `P_n(1/x) e^{−1/x²}` with `du/dx = −u²` and `d(−1/x²)/dx = 2u³`). Since
//! `u^m e^{−u²} → 0` as `u → ∞` for every `m`, each `f^{(n)}(x) → 0` as `x → 0`,
//! and by induction (the difference quotient `f^{(n)}(h)/h = u·P_n(u)e^{−u²} → 0`)
//! `f^{(n)}(0) = 0` for all `n`. Cauchy's example; see Rudin, *Principles of
//! Mathematical Analysis*, 3rd ed., Exercise 8.1.

use crate::error::{Result, ensure_finite};

// ANCHOR: flat_polynomial
/// Coefficients of `P_n` (index = power of `u`): `f^{(n)}(x) = P_n(1/x) e^{−1/x²}`.
pub fn polynomial(n: usize) -> Vec<f64> {
    let mut p = vec![1.0];
    for _ in 0..n {
        // P_{n+1}(u) = 2u³ P_n(u) − u² P_n'(u)
        let mut q = vec![0.0; p.len() + 3];
        for (k, &pk) in p.iter().enumerate() {
            q[k + 3] += 2.0 * pk;
            if k >= 1 {
                q[k + 1] -= k as f64 * pk;
            }
        }
        p = q;
    }
    p
}
// ANCHOR_END: flat_polynomial

/// `f(x) = e^{−1/x²}`, `f(0) = 0`.
///
/// # Errors
///
/// [`crate::Error::NonFinite`] if `x` is NaN or infinite.
pub fn value(x: f64) -> Result<f64> {
    derivative(0, x)
}

/// `f^{(n)}(x)`, exactly 0 at `x = 0` and `P_n(1/x) e^{−1/x²}` elsewhere.
///
/// `P_n(1/x)` overflows for tiny `x` although the product underflows, so the
/// product is formed in logarithms: with `d = deg P_n` and `P_n(u) = u^d s`,
/// `s = Σ p_k x^{d−k}` is evaluated by Horner in `x` (bounded for `|x| ≤ 1`),
/// and `f^{(n)}(x) = sign(s·u^d) · exp(d ln|u| + ln|s| − u²)`.
///
/// # Errors
///
/// [`crate::Error::NonFinite`] if `x` is NaN or infinite, or when the result is not
/// finite (for large `n` the coefficients of `P_n` overflow).
pub fn derivative(n: usize, x: f64) -> Result<f64> {
    ensure_finite("x", &[x])?;
    if x == 0.0 {
        return Ok(0.0);
    }
    let p = polynomial(n);
    let d = p.len() - 1;
    let u = 1.0 / x;
    if x.abs() >= 1.0 {
        let poly = p.iter().rev().fold(0.0, |acc, &c| acc * u + c);
        let v = poly * (-u * u).exp();
        ensure_finite(
            "f^(n)(x) (the coefficients of P_n overflow for large n)",
            &[v],
        )?;
        return Ok(v);
    }
    // s = Σ_k p_k x^{d-k} = p_d + p_{d-1} x + … (Horner in x over reversed coefficients)
    let s = p.iter().fold(0.0, |acc, &c| acc * x + c);
    if s == 0.0 {
        return Ok(0.0);
    }
    let sign = s.signum() * if u < 0.0 && d % 2 == 1 { -1.0 } else { 1.0 };
    let v = sign * (d as f64 * u.abs().ln() + s.abs().ln() - u * u).exp();
    // For very large n the coefficients of P_n overflow; say so rather than return ∞ or NaN.
    ensure_finite(
        "f^(n)(x) (the coefficients of P_n overflow for large n)",
        &[v],
    )?;
    Ok(v)
}
