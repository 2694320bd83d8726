//! Newton's method (chapter "Newton's method").
//!
//! Newton's method finds a zero of the gradient, `∇f(x) = 0`, by minimising
//! the second-order Taylor model of `f` at the current point and moving to the
//! model's stationary point. Everything here takes its derivatives from
//! [`crate::diff`] (forward-mode automatic differentiation, no finite
//! differences) and **solves** the Newton system `H p = −∇f` by a
//! factorisation (LU or Cholesky); no inverse is ever formed, except in
//! [`linsys::solve_via_inverse`], which exists to show why not.
//!
//! One operation per file:
//!
//! * [`scalar`]: the one-variable iteration `x ← x − f'(x)/f''(x)` (and the
//!   root-finding form it comes from);
//! * [`model`]: the second-order model and the Newton step as its minimiser;
//! * [`solve`]: pure `n`-variable Newton for stationary points (any kind);
//! * [`damped`]: the safeguarded minimiser (modified Hessian + line search);
//! * [`line_search`]: Armijo backtracking (Nocedal & Wright, Algorithm 3.1);
//! * [`gradient_descent`]: the first-order baseline;
//! * [`linsys`]: solve versus explicit inverse on ill-conditioned systems;
//! * [`cost`]: flop-counted textbook factorisations and a log–log fit;
//! * [`logistic`]: Newton (IRLS) for L2-regularised logistic regression, on
//!   the host with nalgebra and on a candle device;
//! * [`functions`]: the test functions of the chapter.
//!
//! Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//! Springer 2006, chapters 2, 3 and 6 (cited below as N&W).

use nalgebra::DVector;

use crate::error::{Error, Result};

pub mod cost;
pub mod damped;
pub mod functions;
pub mod gradient_descent;
pub mod line_search;
pub mod linsys;
pub mod logistic;
pub mod model;
pub mod scalar;
pub mod solve;

/// Stopping rules shared by every iteration in this module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Stop when `‖∇f(x)‖₂ ≤ tol` (`|f'(x)| ≤ tol` in one variable).
    pub tol: f64,
    /// Give up after this many iterations.
    pub max_iter: usize,
    /// An iterate with `‖x‖ > blowup` counts as divergence.
    pub blowup: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tol: 1e-10,
            max_iter: 100,
            blowup: 1e12,
        }
    }
}

impl Options {
    /// Options with tolerance `tol` and budget `max_iter` (other fields default).
    pub fn new(tol: f64, max_iter: usize) -> Self {
        Options {
            tol,
            max_iter,
            ..Options::default()
        }
    }

    /// Rejects a tolerance or bound that is not positive and finite, and a zero budget.
    pub fn validate(&self) -> Result<()> {
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidParameter {
                name: "tol",
                reason: format!("must be positive and finite, got {}", self.tol),
            });
        }
        if !(self.blowup.is_finite() && self.blowup > 0.0) {
            return Err(Error::InvalidParameter {
                name: "blowup",
                reason: format!("must be positive and finite, got {}", self.blowup),
            });
        }
        if self.max_iter == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iter",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// The result of an `n`-variable iteration that met its tolerance.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The final iterate.
    pub x: DVector<f64>,
    /// `f(x)` at the final iterate.
    pub value: f64,
    /// `‖∇f(x)‖₂` at the final iterate.
    pub grad_norm: f64,
    /// Iterations taken (steps, not function evaluations).
    pub iterations: usize,
    /// Every iterate `x₀, x₁, …, x_k`.
    pub path: Vec<DVector<f64>>,
    /// `f` at every iterate.
    pub values: Vec<f64>,
}

/// Builds the [`Error::NoConvergence`] every iteration here reports.
pub(crate) fn no_convergence(
    method: &'static str,
    iterations: usize,
    reason: String,
    last: &[f64],
) -> Error {
    Error::NoConvergence {
        method,
        iterations,
        reason,
        last: last.to_vec(),
    }
}
