//! Taylor polynomials, partial sums and the Lagrange form of the remainder.
//!
//! With `c_k = f^{(k)}(a)/k!`, the Taylor polynomial of degree `n` is
//! `T_n(x) = Σ_{k=0}^{n} c_k (x − a)^k`, and the remainder `R_n(x) = f(x) − T_n(x)`
//! has Lagrange's form `R_n(x) = f^{(n+1)}(ξ)/(n+1)! · (x − a)^{n+1}` for some
//! `ξ` between `a` and `x`, provided `f^{(n+1)}` exists on that interval
//! (Apostol, *Calculus* I, §7.5–7.7; Rudin, Theorem 5.15). Hence
//! `|R_n(x)| ≤ M_{n+1} |x − a|^{n+1}/(n+1)!` with `M_{n+1} = max |f^{(n+1)}|` there.

use crate::Error;
use crate::error::{Result, ensure_finite, ensure_len};

// ANCHOR: horner
/// `T(x) = Σ_k c_k (x − a)^k` by Horner's rule (`n` multiplications and additions).
///
/// # Errors
///
/// [`Error::TooFew`] for no coefficients; [`Error::NonFinite`] if a coefficient, `a`
/// or `x` is NaN or infinite.
pub fn evaluate(coeffs: &[f64], a: f64, x: f64) -> Result<f64> {
    ensure_len("coefficients", coeffs.len(), 1)?;
    ensure_finite("coefficients", coeffs)?;
    ensure_finite("a and x", &[a, x])?;
    let h = x - a;
    Ok(coeffs.iter().rev().fold(0.0, |acc, &c| acc * h + c))
}
// ANCHOR_END: horner

/// The partial sums `S_0(x), …, S_{N−1}(x)`, `S_n = Σ_{k=0}^{n} c_k (x − a)^k`
/// (`S_n` is the sum of the first `n + 1` terms, the notes' red curves).
///
/// # Errors
///
/// [`Error::TooFew`] for no coefficients; [`Error::NonFinite`] if a coefficient, `a`
/// or `x` is NaN or infinite.
pub fn partial_sums(coeffs: &[f64], a: f64, x: f64) -> Result<Vec<f64>> {
    ensure_len("coefficients", coeffs.len(), 1)?;
    ensure_finite("coefficients", coeffs)?;
    ensure_finite("a and x", &[a, x])?;
    let h = x - a;
    let mut power = 1.0;
    let mut sum = 0.0;
    Ok(coeffs
        .iter()
        .map(|&c| {
            sum += c * power;
            power *= h;
            sum
        })
        .collect())
}

// ANCHOR: lagrange_bound
/// Lagrange's bound `|R_n(x)| ≤ M |x − a|^{n+1} / (n+1)!`, where `M` bounds
/// `|f^{(n+1)}|` between `a` and `x`.
///
/// The power and factorial are formed as one product `Π_{k=1}^{n+1} |x−a|/k`,
/// which neither overflows nor underflows early.
///
/// # Errors
///
/// [`Error::NonFinite`] if `M`, `a` or `x` is NaN or infinite;
/// [`Error::InvalidParameter`] for a negative `M`.
pub fn lagrange_bound(m: f64, a: f64, x: f64, n: usize) -> Result<f64> {
    ensure_finite("M, a and x", &[m, a, x])?;
    if m < 0.0 {
        return Err(Error::InvalidParameter {
            name: "M",
            reason: format!("a bound on |f^(n+1)| must be non-negative, got {m}"),
        });
    }
    // ANCHOR: lagrange_product
    let h = (x - a).abs();
    Ok(m * (1..=n + 1).map(|k| h / k as f64).product::<f64>())
    // ANCHOR_END: lagrange_product
}
// ANCHOR_END: lagrange_bound

/// The remainder `R_n(x) = e^x − T_n(x)` of the exponential at 0, summed as
/// its tail `Σ_{k>n} x^k/k!` (no subtraction of nearly equal numbers when the
/// tail's terms decrease from the start, i.e. for `n + 1 > |x|`).
///
/// # Errors
///
/// [`Error::NonFinite`] if `x` is NaN or infinite; [`Error::NoConvergence`] if the
/// terms of the tail are still not negligible after 100 000 of them.
pub fn exp_remainder(x: f64, n: usize) -> Result<f64> {
    ensure_finite("x", &[x])?;
    let mut term: f64 = (1..=n + 1).map(|k| x / k as f64).product();
    let mut sum = 0.0;
    let mut k = n + 1;
    loop {
        sum += term;
        k += 1;
        term *= x / k as f64;
        if (k as f64) > x.abs() && term.abs() <= f64::EPSILON * 0.25 * sum.abs() {
            break;
        }
        if k > 100_000 {
            return Err(Error::NoConvergence {
                method: "exp remainder tail sum",
                iterations: k,
                reason: "terms did not become negligible".into(),
                last: vec![sum],
            });
        }
    }
    Ok(sum)
}
