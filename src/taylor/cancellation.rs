//! Summing the Taylor series of `e^x` in floating point: catastrophic
//! cancellation for `x ≪ 0`, and the fix.
//!
//! The series `Σ x^k/k!` converges for every `x`, but convergence is a
//! statement about exact arithmetic. Recursive summation of `N` computed terms
//! `t̂_k` has the a-priori error bound `|Ŝ − S_N| ≤ γ_{N} Σ|t̂_k|` (Higham,
//! *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §4.2),
//! and forming `t_k = t_{k−1}·x/k` costs each term a relative error of at most
//! `γ_{2k}`; with `γ_a + γ_b + γ_a γ_b ≤ γ_{a+b}` (Higham, Lemma 3.3) the whole
//! sum is off by at most `γ_{3N} Σ|t_k|`, where `γ_m = m u/(1 − m u)` and
//! `u = ε/2`. Since `Σ|t_k| = e^{|x|}`, the *relative* error bound is
//! `γ_{3N} e^{|x|}/e^{x}`: harmless for `x ≥ 0`, but `γ_{3N} e^{2|x|}` for
//! `x < 0`, which exceeds 1 near `x = −18`. The condition number of the sum,
//! `Σ|t_k| / |Σ t_k| = e^{2|x|}`, not the series, is to blame.
//!
//! The fix sums only positive terms, whose condition number is 1, and takes a
//! reciprocal: `e^{x} = 1 / Σ (−x)^k/k!` for `x < 0`, with relative error at
//! most `γ_{3N+1}` (one more rounding for the division).

use crate::Error;
use crate::error::{Result, ensure_finite};

/// The outcome of summing the series of `e^x` term by term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesSum {
    /// The computed sum `Ŝ`.
    pub value: f64,
    /// Number of terms added after the leading 1 (`N`).
    pub terms: usize,
    /// The largest `|t̂_k|`.
    pub max_term: f64,
    /// `Σ |t̂_k|` (equal to `e^{|x|}` up to rounding).
    pub abs_sum: f64,
    /// `|t̂_N|`, the last term added.
    pub last_term: f64,
}

/// `γ_m = m u / (1 − m u)` with `u = ε/2` (Higham, §3.1).
pub fn gamma(m: usize) -> f64 {
    let mu = m as f64 * f64::EPSILON / 2.0;
    mu / (1.0 - mu)
}

fn check_x(x: f64) -> Result<()> {
    ensure_finite("x", &[x])?;
    if x.abs() > 700.0 {
        return Err(Error::InvalidParameter {
            name: "x",
            reason: format!(
                "|x| must be at most 700 (e^x is outside the f64 range beyond about 709), got {x}"
            ),
        });
    }
    Ok(())
}

// ANCHOR: exp_series_direct
/// Sums `Σ_{k≥0} x^k/k!` term by term in `f64`, stopping once the terms
/// decrease (`k > |x|`) and adding one no longer changes the sum.
///
/// # Errors
///
/// [`Error::NonFinite`] if `x` is NaN or infinite; [`Error::InvalidParameter`] for
/// `|x| > 700` (`e^x` leaves the `f64` range beyond about 709).
pub fn exp_series_direct(x: f64) -> Result<SeriesSum> {
    check_x(x)?;
    // ANCHOR: exp_series_loop
    let (mut term, mut sum, mut abs_sum, mut max_term) = (1.0f64, 1.0f64, 1.0f64, 1.0f64);
    let mut k = 0usize;
    loop {
        k += 1;
        term *= x / k as f64;
        let next = sum + term;
        abs_sum += term.abs();
        max_term = max_term.max(term.abs());
        if k as f64 > x.abs() && next == sum {
            return Ok(SeriesSum {
                value: next,
                terms: k,
                max_term,
                abs_sum,
                last_term: term.abs(),
            });
        }
        sum = next;
    }
    // ANCHOR_END: exp_series_loop
}
// ANCHOR_END: exp_series_direct

// ANCHOR: exp_series_error_bound
/// The a-priori bound on `|Ŝ − e^x|` for [`exp_series_direct`]: rounding
/// `γ_{3N} Σ|t̂_k|` (times `1 + γ_N` for having computed `Σ|t̂_k|` itself in
/// floating point) plus the truncated tail, at most `|t_N| q/(1 − q)` with
/// `q = |x|/(N+1) < 1`, since the omitted terms shrink at least geometrically.
pub fn exp_series_error_bound(s: &SeriesSum, x: f64) -> f64 {
    let n = s.terms;
    let q = x.abs() / (n as f64 + 1.0);
    let tail = s.last_term * (1.0 + gamma(2 * n)) * q / (1.0 - q);
    gamma(3 * n) * s.abs_sum * (1.0 + gamma(n)) + tail
}
// ANCHOR_END: exp_series_error_bound

// ANCHOR: exp_series_reciprocal
/// `e^x` from the series without cancellation: the direct sum for `x ≥ 0`,
/// `1 / Σ (−x)^k/k!` for `x < 0`. Relative error at most `γ_{3N+1}` plus the
/// relative truncation error (see [`exp_series_relative_bound`]).
///
/// # Errors
///
/// [`Error::NonFinite`] if `x` is NaN or infinite; [`Error::InvalidParameter`] for
/// `|x| > 700`, as [`exp_series_direct`].
pub fn exp_series_reciprocal(x: f64) -> Result<SeriesSum> {
    if x >= 0.0 {
        return exp_series_direct(x);
    }
    let s = exp_series_direct(-x)?;
    Ok(SeriesSum {
        value: 1.0 / s.value,
        ..s
    })
}
// ANCHOR_END: exp_series_reciprocal

/// The a-priori relative error bound of [`exp_series_reciprocal`]:
/// `γ_{3N+1}` for rounding plus the relative truncation error of the
/// positive-term sum (a tail of relative size `δ` perturbs `1/S` by at most `δ/(1 − δ)`).
pub fn exp_series_relative_bound(s: &SeriesSum, x: f64) -> f64 {
    let y = x.abs();
    let sum_of_positive = s.abs_sum; // all terms of Σ y^k/k! are positive
    let q = y / (s.terms as f64 + 1.0);
    let delta = s.last_term * (1.0 + gamma(2 * s.terms)) * q / (1.0 - q) / sum_of_positive;
    gamma(3 * s.terms + 1) + delta / (1.0 - delta)
}
