//! Test functions that several chapters use, each written once against
//! [`Field`], so that [`crate::diff`] differentiates them exactly and
//! the `taylor` chapter's jets expand them.

use crate::diff::{Field, Scalar};

// ANCHOR: rosenbrock
/// Rosenbrock's function `f(x, y) = (1 − x)² + 100 (y − x²)²`, minimum 0 at
/// `(1, 1)`, where the Hessian has condition number about 2508.
///
/// A quartic polynomial: its second-order Taylor remainder along a line is
/// exactly `c₃t³ + c₄t⁴`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rosenbrock;

impl Field for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let a = T::cst(1.0) - x[0];
        let b = x[1] - x[0] * x[0];
        a * a + T::cst(100.0) * b * b
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
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let mut s = T::cst(0.0);
        for w in x.windows(2) {
            let a = T::cst(1.0) - w[0];
            let b = w[1] - w[0] * w[0];
            s = s + a * a + T::cst(100.0) * b * b;
        }
        s
    }
}
