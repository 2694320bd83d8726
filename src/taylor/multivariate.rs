//! The second-order Taylor model in several variables, the model Newton's method minimises.
//!
//! For `f: ℝⁿ → ℝ` three times continuously differentiable near `x`,
//!
//! ```text
//! f(x + Δ) = f(x) + ∇f(x)ᵀΔ + ½ ΔᵀH Δ + R(Δ),   |R(Δ)| ≤ (M₃/6) ‖Δ‖³,
//! ```
//!
//! with `H = ∇²f(x)` and `M₃` a bound on the third directional derivatives
//! `D³f[u, u, u]` (unit `u`) on the segment. It follows from the one-variable
//! theorem applied to `g(s) = f(x + sΔ)`, whose derivatives are
//! `g'(0) = ∇f(x)ᵀΔ`, `g''(0) = ΔᵀHΔ`, `g'''(s) = D³f(x+sΔ)[Δ,Δ,Δ]`
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Theorem 2.1).
//!
//! The quadratic term is the scalar `ΔᵀHΔ = tr(H ΔΔᵀ)`; the matrix `H ΔΔᵀ`
//! that the notes write is `n × n` (see [`notes_hessian_term`]).

use nalgebra::{DMatrix, DVector};

use crate::Error;
use crate::diff;
use crate::error::{Result, ensure_finite, ensure_len};

use crate::diff::Field;

use super::Jet;

// ANCHOR: quadratic_model
/// `m(Δ) = f(x) + ∇f(x)ᵀΔ + ½ ΔᵀHΔ`, built by forward-mode AD.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticModel {
    /// The expansion point `x`.
    pub x: DVector<f64>,
    /// `f(x)`.
    pub value: f64,
    /// `∇f(x)`.
    pub gradient: DVector<f64>,
    /// `H = ∇²f(x)`.
    pub hessian: DMatrix<f64>,
}

impl QuadraticModel {
    /// The model of `f` at `x` (value, gradient and Hessian by hyper-dual numbers).
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for an empty `x`; [`Error::ShapeMismatch`] if `x` does not
    /// have `f.dim()` coordinates; [`Error::NonFinite`] if `x`, the value or a
    /// derivative is not finite.
    pub fn at<G: Field + ?Sized>(f: &G, x: &DVector<f64>) -> Result<Self> {
        let (value, gradient, hessian) = diff::value_gradient_hessian(f, x)?;
        Ok(QuadraticModel {
            x: x.clone(),
            value,
            gradient,
            hessian,
        })
    }

    /// `m(Δ)`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] for a step whose length is not that of the expansion
    /// point; [`Error::NonFinite`] for a step with a NaN or infinite entry.
    pub fn eval(&self, step: &DVector<f64>) -> Result<f64> {
        self.check_step(step)?;
        // ANCHOR: model_value
        Ok(self.value + self.gradient.dot(step) + 0.5 * step.dot(&(&self.hessian * step)))
        // ANCHOR_END: model_value
    }

    /// `R(Δ) = f(x + Δ) − m(Δ)`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] for a step whose length is not that of the expansion
    /// point; [`Error::NonFinite`] for a step with a NaN or infinite entry, or when
    /// `f(x + Δ)` is not finite.
    pub fn remainder<G: Field + ?Sized>(&self, f: &G, step: &DVector<f64>) -> Result<f64> {
        let m = self.eval(step)?;
        let y = &self.x + step;
        let fy = f.eval(y.as_slice());
        ensure_finite("f(x + Δ)", &[fy])?;
        Ok(fy - m)
    }

    fn check_step(&self, step: &DVector<f64>) -> Result<()> {
        if step.len() != self.x.len() {
            return Err(Error::ShapeMismatch {
                what: "step and expansion point",
                expected: format!("{} coordinates", self.x.len()),
                got: format!("{} coordinates", step.len()),
            });
        }
        ensure_finite("step", step.as_slice())
    }
}
// ANCHOR_END: quadratic_model

// ANCHOR: notes_hessian_term
/// The notes' quadratic term `½ H Δ Δᵀ`, taken literally: an `n × n` matrix,
/// not a number. Its trace is the correct term `½ ΔᵀHΔ`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless `H` is `n × n` for a step of length `n`.
pub fn notes_hessian_term(hessian: &DMatrix<f64>, step: &DVector<f64>) -> Result<DMatrix<f64>> {
    let n = step.len();
    if hessian.shape() != (n, n) {
        return Err(Error::ShapeMismatch {
            what: "Hessian and step",
            expected: format!("a {n} × {n} Hessian for a step of length {n}"),
            got: format!("a {} × {} Hessian", hessian.nrows(), hessian.ncols()),
        });
    }
    // ANCHOR: notes_hessian_term_value
    Ok(0.5 * hessian * step * step.transpose())
    // ANCHOR_END: notes_hessian_term_value
}
// ANCHOR_END: notes_hessian_term

/// The Taylor coefficients `c_0, …, c_{N−1}` of `g(s) = f(x + sΔ)` at `s = 0`,
/// by evaluating `f` on the jets `x_i + s Δ_i`; `6 c_3 = D³f(x)[Δ, Δ, Δ]`.
///
/// # Errors
///
/// [`Error::TooFew`] for an empty `x`; [`Error::ShapeMismatch`] unless `x` and `dir`
/// both have `f.dim()` coordinates; [`Error::NonFinite`] if `x`, `dir` or a
/// coefficient is NaN or infinite.
pub fn directional_coefficients<const N: usize, G: Field + ?Sized>(
    f: &G,
    x: &DVector<f64>,
    dir: &DVector<f64>,
) -> Result<[f64; N]> {
    ensure_len("x", x.len(), 1)?;
    if x.len() != f.dim() || dir.len() != x.len() {
        return Err(Error::ShapeMismatch {
            what: "point, direction and function dimension",
            expected: format!("{} coordinates each", f.dim()),
            got: format!("point {}, direction {}", x.len(), dir.len()),
        });
    }
    ensure_finite("x", x.as_slice())?;
    ensure_finite("direction", dir.as_slice())?;
    let jets: Vec<Jet<N>> = x
        .iter()
        .zip(dir.iter())
        .map(|(&xi, &di)| {
            let mut c = [0.0; N];
            c[0] = xi;
            if N > 1 {
                c[1] = di;
            }
            Jet::from_coeffs(c)
        })
        .collect();
    let c = *f.eval(&jets).coeffs();
    ensure_finite("Taylor coefficient along the direction", &c)?;
    Ok(c)
}

// ANCHOR: loglog_slope
/// The least-squares slope of `ln r` against `ln t`: the order `p` in `r ≈ C t^p`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two points; [`Error::InvalidParameter`] unless
/// every `t` and `r` is positive and finite, or when all `t` are equal (no slope to
/// fit).
pub fn loglog_slope(points: &[(f64, f64)]) -> Result<f64> {
    ensure_len("points", points.len(), 2)?;
    if let Some(&(t, r)) = points
        .iter()
        .find(|(t, r)| !(t.is_finite() && r.is_finite() && *t > 0.0 && *r > 0.0))
    {
        return Err(Error::InvalidParameter {
            name: "points",
            reason: format!("a log-log fit needs positive finite (t, r), got ({t}, {r})"),
        });
    }
    let n = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|(t, r)| (t.ln(), r.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        return Err(Error::InvalidParameter {
            name: "points",
            reason: "all t are equal; no slope to fit".into(),
        });
    }
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    Ok(sxy / sxx)
}
// ANCHOR_END: loglog_slope
