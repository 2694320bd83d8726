//! The chapter's test functions, each with its `n`-th derivative in closed form.
//!
//! The closed forms are an oracle independent of the jet recurrences: they come
//! from calculus, not from propagating coefficients.

use crate::diff::{Field, Scalar, ScalarFn};

/// A function whose `n`-th derivative is known in closed form.
pub trait ClosedForm: ScalarFn {
    /// `f^{(n)}(x)` from a formula.
    fn derivative(&self, n: usize, x: f64) -> f64;
}

/// `n!` as `f64` (exact up to `n = 22`, correctly rounded-ish beyond).
pub fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// `e^x`: every derivative is `e^x`; entire (radius of convergence ∞).
#[derive(Debug, Clone, Copy, Default)]
pub struct Exp;

impl ScalarFn for Exp {
    fn eval<S: Scalar>(&self, x: S) -> S {
        x.exp()
    }
}

impl ClosedForm for Exp {
    fn derivative(&self, _n: usize, x: f64) -> f64 {
        x.exp()
    }
}

/// `sin x`: `sin^{(n)}(x) = sin(x + nπ/2)`; entire.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sin;

impl ScalarFn for Sin {
    fn eval<S: Scalar>(&self, x: S) -> S {
        x.sin()
    }
}

impl ClosedForm for Sin {
    fn derivative(&self, n: usize, x: f64) -> f64 {
        // Reduce n mod 4 instead of adding nπ/2, which would lose accuracy.
        match n % 4 {
            0 => x.sin(),
            1 => x.cos(),
            2 => -x.sin(),
            _ => -x.cos(),
        }
    }
}

/// `cos x`: `cos^{(n)}(x) = cos(x + nπ/2)`; entire.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cos;

impl ScalarFn for Cos {
    fn eval<S: Scalar>(&self, x: S) -> S {
        x.cos()
    }
}

impl ClosedForm for Cos {
    fn derivative(&self, n: usize, x: f64) -> f64 {
        Sin.derivative(n + 1, x)
    }
}

/// `1/(1 + x²)`: smooth on all of ℝ, but with poles at `±i`, so its Taylor
/// series at `a` has radius `|a − i| = sqrt(1 + a²)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct InverseSquare;

// ANCHOR: inverse_square_generic
impl ScalarFn for InverseSquare {
    fn eval<S: Scalar>(&self, x: S) -> S {
        (S::cst(1.0) + x * x).recip()
    }
}
// ANCHOR_END: inverse_square_generic

impl ClosedForm for InverseSquare {
    /// From partial fractions `1/(1+x²) = Im 1/(x − i)`:
    /// `f^{(n)}(x) = (−1)^n n! sin((n+1)θ) / (1+x²)^{(n+1)/2}` with `θ = atan2(1, x)`.
    fn derivative(&self, n: usize, x: f64) -> f64 {
        let theta = 1f64.atan2(x);
        let sign = if n.is_multiple_of(2) { 1.0 } else { -1.0 };
        sign * factorial(n) * ((n as f64 + 1.0) * theta).sin()
            / (1.0 + x * x).powf((n as f64 + 1.0) / 2.0)
    }
}

/// `ln(1 + x)`: defined for `x > −1`, singular at `−1`, so its Taylor series at
/// `a` has radius `1 + a`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Log1p;

impl ScalarFn for Log1p {
    fn eval<S: Scalar>(&self, x: S) -> S {
        (S::cst(1.0) + x).ln()
    }
}

impl ClosedForm for Log1p {
    /// `f^{(n)}(x) = (−1)^{n−1} (n−1)! / (1+x)^n` for `n ≥ 1`.
    fn derivative(&self, n: usize, x: f64) -> f64 {
        if n == 0 {
            return x.ln_1p();
        }
        let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
        sign * factorial(n - 1) / (1.0 + x).powi(n as i32)
    }
}

/// `e^{−1/x²}` as a formula (undefined at `x = 0`, where the function is
/// extended by its limit 0). The derivatives are in [`super::flat`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Flat;

impl ScalarFn for Flat {
    fn eval<S: Scalar>(&self, x: S) -> S {
        (-(x * x).recip()).exp()
    }
}

impl ClosedForm for Flat {
    fn derivative(&self, n: usize, x: f64) -> f64 {
        super::flat::derivative(n, x).unwrap_or(f64::NAN)
    }
}

/// A smooth test field with random parameters:
/// `f(x) = Σ_k a_k sin(w_kᵀx + b_k) + ½ ln(1 + ‖x‖²) + γ x₀³`.
///
/// Every derivative exists everywhere on ℝⁿ; the cubic term keeps third
/// derivatives away from zero, so the second-order remainder is genuinely cubic.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothField {
    a: Vec<f64>,
    w: Vec<Vec<f64>>,
    b: Vec<f64>,
    gamma: f64,
    dim: usize,
}

impl SmoothField {
    /// Builds the field; `w` has one row of length `dim` per amplitude in `a`.
    ///
    /// # Errors
    ///
    /// [`crate::Error::TooFew`] for `dim == 0`; [`crate::Error::ShapeMismatch`]
    /// when `w` or `b` does not have one entry per amplitude, or a row of `w` does
    /// not have `dim` entries; [`crate::Error::NonFinite`] when an amplitude, phase,
    /// frequency or `gamma` is NaN or infinite.
    pub fn new(
        dim: usize,
        a: Vec<f64>,
        w: Vec<Vec<f64>>,
        b: Vec<f64>,
        gamma: f64,
    ) -> crate::Result<Self> {
        crate::error::ensure_len("dimension", dim, 1)?;
        if w.len() != a.len() || b.len() != a.len() {
            return Err(crate::Error::ShapeMismatch {
                what: "SmoothField parameters",
                expected: format!(
                    "{} rows of w and {} phases b (one per amplitude)",
                    a.len(),
                    a.len()
                ),
                got: format!("{} rows of w and {} phases b", w.len(), b.len()),
            });
        }
        if let Some(row) = w.iter().find(|r| r.len() != dim) {
            return Err(crate::Error::ShapeMismatch {
                what: "SmoothField frequency row",
                expected: format!("{dim} entries"),
                got: format!("{} entries", row.len()),
            });
        }
        crate::error::ensure_finite("amplitudes a", &a)?;
        crate::error::ensure_finite("phases b", &b)?;
        crate::error::ensure_finite("gamma", &[gamma])?;
        for row in &w {
            crate::error::ensure_finite("frequencies w", row)?;
        }
        Ok(SmoothField {
            a,
            w,
            b,
            gamma,
            dim,
        })
    }
}

impl Field for SmoothField {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let mut f = S::cst(0.0);
        for ((ak, wk), bk) in self.a.iter().zip(&self.w).zip(&self.b) {
            let arg = wk
                .iter()
                .zip(x)
                .fold(S::cst(*bk), |s, (wi, xi)| s + S::cst(*wi) * *xi);
            f = f + S::cst(*ak) * arg.sin();
        }
        let norm2 = x.iter().fold(S::cst(0.0), |s, xi| s + *xi * *xi);
        f + S::cst(0.5) * (S::cst(1.0) + norm2).ln() + S::cst(self.gamma) * x[0] * x[0] * x[0]
    }
}
