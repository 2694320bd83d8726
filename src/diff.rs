//! Derivatives by forward-mode automatic differentiation (the `autodiff` crate).
//!
//! A function is written once, generic over [`Float`], and evaluated on plain
//! `f64` for its value, on dual numbers [`F1`] for first derivatives, and on
//! nested dual numbers `F<F1, F1>` ("hyper-dual" numbers) for second
//! derivatives. Nothing here uses finite differences, so the derivatives are
//! exact up to rounding; the tests compare them against closed forms.
//!
//! Cost: a gradient in `n` variables takes `n` passes, a Hessian
//! `n (n + 1) / 2` passes (one per entry of its upper triangle).

use std::ops::{Add, Div, Mul, Neg, Sub};

use autodiff::{F, F1, Float};
use nalgebra::{DMatrix, DVector};

use crate::Error;
use crate::error::{Result, ensure_finite, ensure_len};

/// A second-order dual number: value, two first-order parts and a mixed second-order part.
pub type F2 = F<F1, F1>;

// ANCHOR: scalar
/// Numbers a formula can be evaluated on: `f64`, the dual numbers of
/// `autodiff` ([`F1`], [`F2`]) and the Taylor jets
/// of the `taylor` chapter (which implements this trait for them).
///
/// A function written once, generic over `Scalar` (a [`ScalarFn`] or a
/// [`Field`]), gives its value on `f64`, its first and second derivatives on
/// dual numbers and all its Taylor coefficients on jets, which is what lets
/// the tests compare independent computations of the same derivative.
pub trait Scalar:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// The constant `v`.
    fn cst(v: f64) -> Self;
    /// The plain value (the real part of a dual number, `c₀` of a jet), for
    /// branching only: code that branches on it is differentiated piecewise.
    fn re(self) -> f64;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate for small `self`.
    fn ln_1p(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Arc tangent.
    fn atan(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `1 / self`.
    fn recip(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// `|self|`, by the sign of [`Scalar::re`].
    fn abs(self) -> Self {
        if self.re() < 0.0 { -self } else { self }
    }
}
// ANCHOR_END: scalar

impl<T: Float> Scalar for T {
    /// The conversion cannot fail for `f64` and the dual-number types; should
    /// a type refuse, the result is NaN, which every caller's finiteness
    /// check catches.
    fn cst(v: f64) -> Self {
        T::from(v).unwrap_or_else(T::nan)
    }
    fn re(self) -> f64 {
        self.to_f64().unwrap_or(f64::NAN)
    }
    fn exp(self) -> Self {
        Float::exp(self)
    }
    fn ln(self) -> Self {
        Float::ln(self)
    }
    fn ln_1p(self) -> Self {
        Float::ln_1p(self)
    }
    fn sin(self) -> Self {
        Float::sin(self)
    }
    fn cos(self) -> Self {
        Float::cos(self)
    }
    fn cosh(self) -> Self {
        Float::cosh(self)
    }
    fn tanh(self) -> Self {
        Float::tanh(self)
    }
    fn atan(self) -> Self {
        Float::atan(self)
    }
    fn sqrt(self) -> Self {
        Float::sqrt(self)
    }
    fn recip(self) -> Self {
        Float::recip(self)
    }
    fn powi(self, n: i32) -> Self {
        Float::powi(self, n)
    }
}

// ANCHOR: scalar_fn_trait
/// A function of one real variable, written once for every [`Scalar`] type.
pub trait ScalarFn {
    /// Evaluates the function at `x`.
    fn eval<S: Scalar>(&self, x: S) -> S;
}
// ANCHOR_END: scalar_fn_trait

/// A scalar function of `n` real variables, written once for every [`Scalar`] type.
pub trait Field {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// Evaluates the function at `x` (`x.len() == self.dim()`).
    fn eval<S: Scalar>(&self, x: &[S]) -> S;
}

/// Value, first and second derivative of a one-variable function at `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derivs1 {
    /// `f(x)`
    pub value: f64,
    /// `f'(x)`
    pub d1: f64,
    /// `f''(x)`
    pub d2: f64,
}

/// Computes `f(x)`, `f'(x)` and `f''(x)` in one hyper-dual pass.
///
/// # Errors
///
/// [`Error::NonFinite`] if `x` or any result is not finite.
pub fn derivs1<G: ScalarFn + ?Sized>(f: &G, x: f64) -> Result<Derivs1> {
    ensure_finite("x", &[x])?;
    // The inner dual carries d/dx once, the outer dual carries it again:
    // the outer derivative of the inner derivative is f''.
    let xx = F2::new(F1::var(x), F1::cst(1.0));
    let r = f.eval(xx);
    let out = Derivs1 {
        value: r.x.x,
        d1: r.x.dx,
        d2: r.dx.dx,
    };
    ensure_finite("f(x), f'(x) or f''(x)", &[out.value, out.d1, out.d2])?;
    Ok(out)
}

fn check_point<G: Field + ?Sized>(f: &G, x: &DVector<f64>) -> Result<()> {
    ensure_len("x", x.len(), 1)?;
    if x.len() != f.dim() {
        return Err(Error::ShapeMismatch {
            what: "point and function dimension",
            expected: format!("{} coordinates", f.dim()),
            got: format!("{} coordinates", x.len()),
        });
    }
    ensure_finite("x", x.as_slice())
}

/// Evaluates `f(x)`, checking the point's dimension and finiteness.
///
/// # Errors
///
/// [`Error::TooFew`] for an empty point, [`Error::ShapeMismatch`] when its
/// length is not the function's dimension, [`Error::NonFinite`] when the point
/// or the result is NaN or infinite.
pub fn value<G: Field + ?Sized>(f: &G, x: &DVector<f64>) -> Result<f64> {
    check_point(f, x)?;
    let v = f.eval(x.as_slice());
    ensure_finite("f(x)", &[v])?;
    Ok(v)
}

/// The gradient `∇f(x)`, one forward pass per coordinate.
///
/// # Errors
///
/// [`Error::TooFew`] for an empty point, [`Error::ShapeMismatch`] when its
/// length is not the function's dimension, [`Error::NonFinite`] when the point
/// or the result is NaN or infinite.
pub fn gradient<G: Field + ?Sized>(f: &G, x: &DVector<f64>) -> Result<DVector<f64>> {
    check_point(f, x)?;
    let mut xs: Vec<F1> = x.iter().map(|&v| F1::cst(v)).collect();
    let mut g = DVector::zeros(x.len());
    for i in 0..x.len() {
        xs[i] = F1::var(x[i]);
        g[i] = f.eval(&xs).dx;
        xs[i] = F1::cst(x[i]);
    }
    ensure_finite("gradient", g.as_slice())?;
    Ok(g)
}

/// The Hessian `∇²f(x)`, one hyper-dual pass per entry of the upper triangle.
///
/// Entry `(i, j)` seeds the inner dual with direction `e_i` and the outer one
/// with `e_j`; the mixed part of the result is `∂²f/∂x_i∂x_j`. The matrix is
/// symmetric by construction.
///
/// # Errors
///
/// [`Error::TooFew`] for an empty point, [`Error::ShapeMismatch`] when its
/// length is not the function's dimension, [`Error::NonFinite`] when the point
/// or the result is NaN or infinite.
pub fn hessian<G: Field + ?Sized>(f: &G, x: &DVector<f64>) -> Result<DMatrix<f64>> {
    Ok(value_gradient_hessian(f, x)?.2)
}

/// `f(x)`, `∇f(x)` and `∇²f(x)` together (the gradient comes for free from the
/// diagonal passes of the Hessian).
///
/// # Errors
///
/// [`Error::TooFew`] for an empty point, [`Error::ShapeMismatch`] when its
/// length is not the function's dimension, [`Error::NonFinite`] when the point
/// or the result is NaN or infinite.
pub fn value_gradient_hessian<G: Field + ?Sized>(
    f: &G,
    x: &DVector<f64>,
) -> Result<(f64, DVector<f64>, DMatrix<f64>)> {
    check_point(f, x)?;
    let n = x.len();
    let mut xs: Vec<F2> = x.iter().map(|&v| F2::cst(F1::cst(v))).collect();
    let mut h = DMatrix::zeros(n, n);
    let mut g = DVector::zeros(n);
    let mut v = f64::NAN;
    for i in 0..n {
        for j in i..n {
            xs[i].x.dx = 1.0;
            xs[j].dx.x = 1.0;
            let r = f.eval(&xs);
            xs[i].x.dx = 0.0;
            xs[j].dx.x = 0.0;
            h[(i, j)] = r.dx.dx;
            h[(j, i)] = r.dx.dx;
            if i == j {
                g[i] = r.x.dx;
                v = r.x.x;
            }
        }
    }
    ensure_finite("f(x)", &[v])?;
    ensure_finite("gradient", g.as_slice())?;
    ensure_finite("Hessian", h.as_slice())?;
    Ok((v, g, h))
}
