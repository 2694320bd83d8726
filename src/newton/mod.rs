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
//! * [`functions`]: the test functions of the chapter;
//! * [`experiments`]: the experiments the book reports, plan in, results out.
//!
//! Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//! Springer 2006, chapters 2, 3 and 6 (cited below as N&W).

use nalgebra::DVector;

use crate::error::{Error, Result};

pub mod cost;
pub mod damped;
pub mod experiments;
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
    /// Also stop, as converged, once a step is no longer than `step_tol`
    /// (`‖x_{k+1} − x_k‖ ≤ step_tol`); `0` switches this rule off. Where the
    /// gradient tolerance cannot be met in the budget (a degenerate minimum
    /// converges only linearly), this floor still ends the run with the iterates.
    pub step_tol: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tol: 1e-10,
            max_iter: 100,
            blowup: 1e12,
            step_tol: 0.0,
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

    /// The same options with the step floor `step_tol` (see [`Options::step_tol`]).
    pub fn with_step_tol(self, step_tol: f64) -> Self {
        Options { step_tol, ..self }
    }

    /// Rejects a tolerance or bound that is not positive and finite, a step
    /// floor that is negative or not finite, and a zero budget.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the offending field.
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
        if !(self.step_tol.is_finite() && self.step_tol >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "step_tol",
                reason: format!("must be zero or positive and finite, got {}", self.step_tol),
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
    /// Every iterate `x₀, x₁, …, x_k` (`iterations + 1` of them).
    pub path: Vec<DVector<f64>>,
    /// `f` at every iterate (one per entry of `path`).
    pub values: Vec<f64>,
}

/// What an iteration knows at an iterate: `f(x)`, `‖∇f(x)‖` and whatever
/// else its step needs (gradient, Hessian, …).
pub(crate) struct Probe<D> {
    pub value: f64,
    pub grad_norm: f64,
    pub data: D,
}

// ANCHOR: drive
/// The loop every `n`-variable iteration here shares: probe the iterate, stop
/// when `‖∇f‖ ≤ tol` (or the last step was no longer than `step_tol`), else
/// take the step the method computes, reject a diverging iterate, and record
/// every iterate and its value in the [`Solution`].
///
/// A probe that fails after the start (the derivatives stopped being finite)
/// is reported as [`Error::NoConvergence`] with the last iterate; at the
/// start it is the caller's bad input and is returned as it is.
pub(crate) fn drive<D>(
    method: &'static str,
    x0: &DVector<f64>,
    opts: &Options,
    mut probe: impl FnMut(&DVector<f64>) -> Result<Probe<D>>,
    mut step: impl FnMut(usize, &DVector<f64>, Probe<D>) -> Result<DVector<f64>>,
) -> Result<Solution> {
    opts.validate()?;
    let mut x = x0.clone();
    let (mut path, mut values) = (vec![x.clone()], Vec::new());
    let mut small_step = false;
    for k in 0..=opts.max_iter {
        let pr = match probe(&x) {
            Ok(pr) => pr,
            Err(e @ Error::NonFinite { .. }) if k > 0 => {
                let why = format!("the derivatives stopped being finite ({e})");
                return Err(no_convergence(method, k, why, x.as_slice()));
            }
            Err(e) => return Err(e),
        };
        values.push(pr.value);
        if pr.grad_norm <= opts.tol || small_step {
            let (value, grad_norm) = (pr.value, pr.grad_norm);
            return Ok(Solution {
                x,
                value,
                grad_norm,
                iterations: k,
                path,
                values,
            });
        }
        if k == opts.max_iter {
            break;
        }
        let p = step(k, &x, pr)?;
        let next = &x + &p;
        if !next.iter().all(|c| c.is_finite()) || next.norm() > opts.blowup {
            let why = format!("the iterates diverged (‖x‖ = {:e})", next.norm());
            return Err(no_convergence(method, k + 1, why, x.as_slice()));
        }
        small_step = p.norm() <= opts.step_tol;
        x = next;
        path.push(x.clone());
    }
    let why = format!(
        "the iteration budget was spent with ‖∇f‖ still above {:e}",
        opts.tol
    );
    Err(no_convergence(method, opts.max_iter, why, x.as_slice()))
}
// ANCHOR_END: drive

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
