//! The test functions of the chapter, each written once, generic over
//! [`Scalar`], so that [`crate::diff`] differentiates them exactly.
//! Rosenbrock's functions live in [`crate::functions`], shared with the Taylor chapter.

use nalgebra::{DMatrix, DVector};

use crate::diff::{Field, Scalar, ScalarFn};
use crate::error::{Error, Result, ensure_finite, ensure_len};

// ANCHOR: arctan_primitive
/// `f(x) = x·atan(x) − ½·ln(1 + x²)`, whose derivative is `f'(x) = atan(x)`
/// and second derivative `f''(x) = 1/(1 + x²)`.
///
/// A convex function with one minimum, at 0, on which Newton's method
/// nevertheless diverges from every start with `|x₀| > x_c` (see
/// [`super::scalar::arctan_critical_start`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ArctanPrimitive;

// ANCHOR: arctan_eval
impl ScalarFn for ArctanPrimitive {
    fn eval<T: Scalar>(&self, x: T) -> T {
        x * x.atan() - T::cst(0.5) * (x * x).ln_1p()
    }
}
// ANCHOR_END: arctan_eval
// ANCHOR_END: arctan_primitive

/// `f(x) = x⁴`: a minimum at 0 where `f''(0) = 0` (degenerate), so Newton's
/// map is `N(x) = x − 4x³/(12x²) = 2x/3` and converges only linearly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quartic;

impl ScalarFn for Quartic {
    fn eval<T: Scalar>(&self, x: T) -> T {
        let x2 = x * x;
        x2 * x2
    }
}

/// `f(x) = sin(x)`: its stationary points alternate between maxima
/// (`π/2 + 2πk`) and minima (`−π/2 + 2πk`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sine;

impl ScalarFn for Sine {
    fn eval<T: Scalar>(&self, x: T) -> T {
        x.sin()
    }
}

/// A smooth function with a non-degenerate minimum at `m` and prescribed
/// `f''(m) = a > 0` and `f'''(m) = b`:
///
/// `f(x) = a t²/2 + b t³/6 + c (ln cosh t − t²/2)`, `t = x − m`.
///
/// The `ln cosh` term is not a polynomial (its Taylor series has every even
/// power) but contributes nothing to `f''(m)` or `f'''(m)`, since
/// `ln cosh t = t²/2 − t⁴/12 + …`.
#[derive(Debug, Clone, Copy)]
pub struct SmoothMinimum {
    /// Location of the minimum.
    pub m: f64,
    /// `f''(m)` (must be positive for a minimum).
    pub a: f64,
    /// `f'''(m)`.
    pub b: f64,
    /// Weight of the non-polynomial term.
    pub c: f64,
}

impl ScalarFn for SmoothMinimum {
    fn eval<T: Scalar>(&self, x: T) -> T {
        let t = x - T::cst(self.m);
        let t2 = t * t;
        T::cst(self.a / 2.0) * t2
            + T::cst(self.b / 6.0) * t2 * t
            + T::cst(self.c) * (t.cosh().ln() - T::cst(0.5) * t2)
    }
}

/// The derivative of [`SmoothMinimum`], written out by hand, so that the
/// root-finding form of Newton's method can be run on `f'` directly.
#[derive(Debug, Clone, Copy)]
pub struct SmoothMinimumDerivative(pub SmoothMinimum);

impl ScalarFn for SmoothMinimumDerivative {
    fn eval<T: Scalar>(&self, x: T) -> T {
        let s = self.0;
        let t = x - T::cst(s.m);
        T::cst(s.a) * t + T::cst(s.b / 2.0) * t * t + T::cst(s.c) * (t.tanh() - t)
    }
}

/// `f(x, y) = x² + (y² − 1)²`: minima at `(0, ±1)` and a saddle at the
/// origin, where the Hessian is `diag(2, −4)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DoubleWell;

impl Field for DoubleWell {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let w = x[1] * x[1] - T::cst(1.0);
        x[0] * x[0] + w * w
    }
}

/// `f(x) = Σᵢ cos(xᵢ)`: a maximum at the origin (Hessian `−I`).
#[derive(Debug, Clone, Copy)]
pub struct CosineSum {
    /// Number of variables.
    pub n: usize,
}

impl Field for CosineSum {
    fn dim(&self) -> usize {
        self.n
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        x.iter().fold(T::cst(0.0), |s, &v| s + v.cos())
    }
}

// ANCHOR: quadratic
/// `f(x) = ½ xᵀA x − bᵀx` with a symmetric `A`: gradient `A x − b`, Hessian `A`,
/// and (for an invertible `A`) one stationary point, `A x* = b`.
#[derive(Debug, Clone)]
pub struct Quadratic {
    /// The symmetric matrix `A` (the Hessian).
    pub a: DMatrix<f64>,
    /// The linear term `b`.
    pub b: DVector<f64>,
}
// ANCHOR_END: quadratic

impl Quadratic {
    /// Checks shapes, symmetry and finiteness.
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for an empty `b`; [`Error::ShapeMismatch`] unless `A` is
    /// `n × n` for `b` of length `n`; [`Error::NonFinite`] if an entry of `A` or
    /// `b` is NaN or infinite; [`Error::InvalidParameter`] if `A` is not symmetric
    /// (`max |A − Aᵀ|` above `1e-12 · max |A|`).
    pub fn new(a: DMatrix<f64>, b: DVector<f64>) -> Result<Self> {
        ensure_len("b", b.len(), 1)?;
        if a.nrows() != b.len() || a.ncols() != b.len() {
            return Err(Error::ShapeMismatch {
                what: "quadratic: A and b",
                expected: format!("{n}×{n}", n = b.len()),
                got: format!("{}×{}", a.nrows(), a.ncols()),
            });
        }
        ensure_finite("A", a.as_slice())?;
        ensure_finite("b", b.as_slice())?;
        let asym = (&a - a.transpose()).amax();
        if asym > 1e-12 * a.amax() {
            return Err(Error::InvalidParameter {
                name: "A",
                reason: format!("must be symmetric, but max |A − Aᵀ| = {asym:e}"),
            });
        }
        Ok(Quadratic { a, b })
    }

    /// `A = Q diag(λ) Qᵀ` for an orthogonal `Q` and the given eigenvalues.
    ///
    /// `q` must be square with orthonormal columns (e.g. the `Q` of a QR
    /// factorisation); the result is symmetrised to remove rounding.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] unless `q` is `n × n` for `n` eigenvalues and `b`
    /// has `n` entries; [`Error::TooFew`] for an empty `b`; [`Error::NonFinite`] if
    /// an eigenvalue, an entry of `q` or of `b` is NaN or infinite (as
    /// [`Quadratic::new`]).
    pub fn with_spectrum(q: &DMatrix<f64>, eigenvalues: &[f64], b: DVector<f64>) -> Result<Self> {
        let n = eigenvalues.len();
        if q.nrows() != n || q.ncols() != n {
            return Err(Error::ShapeMismatch {
                what: "quadratic: Q and eigenvalues",
                expected: format!("{n}×{n}"),
                got: format!("{}×{}", q.nrows(), q.ncols()),
            });
        }
        let d = DMatrix::from_diagonal(&DVector::from_column_slice(eigenvalues));
        let a = q * d * q.transpose();
        let a = (&a + a.transpose()) * 0.5;
        Quadratic::new(a, b)
    }

    /// The gradient `A x − b` (closed form, for the fast first-order baselines).
    pub fn grad(&self, x: &DVector<f64>) -> DVector<f64> {
        &self.a * x - &self.b
    }

    /// The stationary point `x* = A⁻¹ b`, computed by an LU solve.
    ///
    /// # Errors
    ///
    /// [`Error::Singular`] if `A` is singular (LU meets a zero pivot).
    pub fn stationary_point(&self) -> Result<DVector<f64>> {
        super::linsys::solve_lu(&self.a, &self.b)
    }
}

impl Field for Quadratic {
    fn dim(&self) -> usize {
        self.b.len()
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let n = self.b.len();
        let mut s = T::cst(0.0);
        for i in 0..n {
            let ax = self
                .a
                .row(i)
                .iter()
                .zip(x)
                .fold(T::cst(0.0), |acc, (&a, &xj)| acc + T::cst(a) * xj);
            s = s + x[i] * (T::cst(0.5) * ax - T::cst(self.b[i]));
        }
        s
    }
}
