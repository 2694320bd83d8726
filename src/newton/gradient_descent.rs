//! Gradient descent, the first-order baseline Newton's method is compared with.

use nalgebra::DVector;

use crate::diff::{Field, gradient, value};
use crate::error::{Error, Result, ensure_finite};

use super::functions::Quadratic;
use super::line_search::{Armijo, backtrack};
use super::{Options, Probe, Solution, drive, no_convergence};

// ANCHOR: gd_backtracking
/// Steepest descent with Armijo backtracking from `α = 1` at every
/// iteration (N&W §3.1 with Algorithm 3.1). Stops when `‖∇f(x)‖ ≤ tol`.
///
/// # Errors
/// Bad start as in [`super::solve::newton`]; [`Error::NoConvergence`] with
/// the last iterate when the budget runs out or the line search stalls.
pub fn gradient_descent<G: Field + ?Sized>(
    f: &G,
    x0: &DVector<f64>,
    opts: &Options,
    armijo: &Armijo,
) -> Result<Solution> {
    armijo.validate()?;
    let probe = |x: &DVector<f64>| {
        let (value, g) = (value(f, x)?, gradient(f, x)?);
        let grad_norm = g.norm();
        Ok(Probe {
            value,
            grad_norm,
            data: g,
        })
    };
    drive("gradient descent", x0, opts, probe, |k, x, pr| {
        let (g, grad_norm) = (pr.data, pr.grad_norm);
        let p = -&g;
        let (alpha, _) =
            backtrack(|y| value(f, y), x, pr.value, &g, &p, 1.0, armijo).map_err(|e| {
                let why = format!("the line search failed at ‖∇f‖ = {grad_norm:e} ({e})");
                no_convergence("gradient descent", k, why, x.as_slice())
            })?;
        Ok(alpha * p)
    })
}
// ANCHOR_END: gd_backtracking

// ANCHOR: gd_fixed
/// Fixed-step gradient descent `x ← x − step·(A x − b)` on a quadratic;
/// returns the number of iterations until `‖x − x*‖ ≤ rel_tol·‖x₀ − x*‖`.
///
/// With eigenvalues of `A` in `[μ, L]` and `step = 2/(L + μ)` (the best fixed
/// step), the error contracts by `ρ = (κ − 1)/(κ + 1)` per iteration in the
/// worst direction, `κ = L/μ`, so about `(κ/2)·ln(1/rel_tol)` iterations are
/// needed.
///
/// # Errors
/// [`Error::InvalidParameter`] for a step or tolerance that is not positive,
/// [`Error::NoConvergence`] after `max_iter` iterations.
pub fn fixed_step_quadratic(
    q: &Quadratic,
    x0: &DVector<f64>,
    step: f64,
    rel_tol: f64,
    max_iter: usize,
) -> Result<usize> {
    ensure_finite("x0", x0.as_slice())?;
    for (name, v) in [("step", step), ("rel_tol", rel_tol)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidParameter {
                name,
                reason: format!("must be positive and finite, got {v}"),
            });
        }
    }
    // ANCHOR: gd_fixed_loop
    let xs = q.stationary_point()?;
    let target = rel_tol * (x0 - &xs).norm();
    let mut x = x0.clone();
    for k in 0..=max_iter {
        if (&x - &xs).norm() <= target {
            return Ok(k);
        }
        x -= step * q.grad(&x);
    }
    // ANCHOR_END: gd_fixed_loop
    let why = format!("‖x − x*‖ still above {target:e}");
    Err(no_convergence(
        "fixed-step gradient descent",
        max_iter,
        why,
        x.as_slice(),
    ))
}
// ANCHOR_END: gd_fixed
