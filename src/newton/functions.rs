//! The test functions of the chapter, each written once, generic over
//! [`Float`], so that [`crate::diff`] differentiates them exactly.

use autodiff::Float;
use nalgebra::{DMatrix, DVector};

use crate::diff::{Field, ScalarFn, lit};
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

impl ScalarFn for ArctanPrimitive {
    fn eval<T: Float>(&self, x: T) -> T {
        x * x.atan() - lit::<T>(0.5) * (x * x).ln_1p()
    }
}
// ANCHOR_END: arctan_primitive

/// `f(x) = sin(x)`: its stationary points alternate between maxima
/// (`π/2 + 2πk`) and minima (`−π/2 + 2πk`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sine;

impl ScalarFn for Sine {
    fn eval<T: Float>(&self, x: T) -> T {
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
    fn eval<T: Float>(&self, x: T) -> T {
        let t = x - lit::<T>(self.m);
        let t2 = t * t;
        lit::<T>(self.a / 2.0) * t2
            + lit::<T>(self.b / 6.0) * t2 * t
            + lit::<T>(self.c) * (t.cosh().ln() - lit::<T>(0.5) * t2)
    }
}

/// The derivative of [`SmoothMinimum`], written out by hand, so that the
/// root-finding form of Newton's method can be run on `f'` directly.
#[derive(Debug, Clone, Copy)]
pub struct SmoothMinimumDerivative(pub SmoothMinimum);

impl ScalarFn for SmoothMinimumDerivative {
    fn eval<T: Float>(&self, x: T) -> T {
        let s = self.0;
        let t = x - lit::<T>(s.m);
        lit::<T>(s.a) * t + lit::<T>(s.b / 2.0) * t * t + lit::<T>(s.c) * (t.tanh() - t)
    }
}

// ANCHOR: rosenbrock
/// Rosenbrock's function `f(x, y) = (1 − x)² + 100 (y − x²)²`, minimum 0 at
/// `(1, 1)`, where the Hessian has condition number about 2508.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rosenbrock;

impl Field for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Float>(&self, x: &[T]) -> T {
        let a = T::one() - x[0];
        let b = x[1] - x[0] * x[0];
        a * a + lit::<T>(100.0) * b * b
    }
}
// ANCHOR_END: rosenbrock

/// The chained Rosenbrock function in `n ≥ 2` variables,
/// `Σᵢ (1 − xᵢ)² + 100 (xᵢ₊₁ − xᵢ²)²`: one evaluation costs `O(n)`.
#[derive(Debug, Clone, Copy)]
pub struct ChainedRosenbrock {
    /// Number of variables.
    pub n: usize,
}

impl Field for ChainedRosenbrock {
    fn dim(&self) -> usize {
        self.n
    }
    fn eval<T: Float>(&self, x: &[T]) -> T {
        let mut s = T::zero();
        for w in x.windows(2) {
            let a = T::one() - w[0];
            let b = w[1] - w[0] * w[0];
            s = s + a * a + lit::<T>(100.0) * b * b;
        }
        s
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
    fn eval<T: Float>(&self, x: &[T]) -> T {
        let w = x[1] * x[1] - T::one();
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
    fn eval<T: Float>(&self, x: &[T]) -> T {
        x.iter().fold(T::zero(), |s, &v| s + v.cos())
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
    pub fn stationary_point(&self) -> Result<DVector<f64>> {
        super::linsys::solve_lu(&self.a, &self.b)
    }
}

impl Field for Quadratic {
    fn dim(&self) -> usize {
        self.b.len()
    }
    fn eval<T: Float>(&self, x: &[T]) -> T {
        let n = self.b.len();
        let mut s = T::zero();
        for i in 0..n {
            let ax = self
                .a
                .row(i)
                .iter()
                .zip(x)
                .fold(T::zero(), |acc, (&a, &xj)| acc + lit::<T>(a) * xj);
            s = s + x[i] * (lit::<T>(0.5) * ax - lit::<T>(self.b[i]));
        }
        s
    }
}
