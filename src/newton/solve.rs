//! Pure Newton's method in `n` variables: `x ← x + p` with `H p = −∇f(x)`.
//!
//! "Pure" means no safeguard: the step is the stationary point of the
//! second-order model, whatever the sign of the curvature, so the iteration
//! is attracted to minima, maxima and saddle points alike (N&W §2.2, §3.3).

use nalgebra::{DMatrix, DVector};

use crate::diff::{Field, value_gradient_hessian};
use crate::error::{Error, Result};

use super::{Options, Probe, Solution, drive};

// ANCHOR: newton_step
/// Solves the Newton system `H p = −g` by LU with partial pivoting.
///
/// The inverse `H⁻¹` is never formed: a solve costs a third of the flops of
/// an inversion and is backward stable (see [`super::linsys`]).
///
/// # Errors
/// [`Error::ShapeMismatch`] if `H` is not `n × n`; [`Error::Singular`] if a
/// pivot of the LU factorisation is zero or smaller than `n·ε` times the
/// largest one (the system is singular to working precision).
pub fn newton_step(g: &DVector<f64>, h: &DMatrix<f64>) -> Result<DVector<f64>> {
    let n = g.len();
    if h.nrows() != n || h.ncols() != n {
        return Err(Error::ShapeMismatch {
            what: "Newton system H p = −g",
            expected: format!("{n}×{n}"),
            got: format!("{}×{}", h.nrows(), h.ncols()),
        });
    }
    // ANCHOR: newton_solve
    let lu = h.clone().lu();
    let pivots = lu.u().diagonal().map(f64::abs);
    let (small, large) = (pivots.min(), pivots.max());
    if small.is_nan() || small <= n as f64 * f64::EPSILON * large {
        return Err(Error::Singular {
            what: "the Hessian",
            detail: format!("smallest LU pivot {small:e} vs largest {large:e}"),
        });
    }
    lu.solve(&(-g)).ok_or_else(|| Error::Singular {
        what: "the Hessian",
        detail: "the LU solve met a zero pivot".into(),
    })
    // ANCHOR_END: newton_solve
}
// ANCHOR_END: newton_step

// ANCHOR: newton
/// Pure Newton's method for a stationary point of `f` from `x0`.
///
/// Derivatives come from [`value_gradient_hessian`] (forward-mode AD);
/// each step solves `H p = −∇f` with [`newton_step`]. Stops when
/// `‖∇f(x)‖ ≤ opts.tol` (or a step is below `opts.step_tol`).
///
/// # Errors
/// [`Error::ShapeMismatch`]/[`Error::NonFinite`] for a bad start,
/// [`Error::Singular`] for a singular Hessian, [`Error::NoConvergence`] with
/// the last iterate when the budget runs out or the iterates diverge.
pub fn newton<G: Field + ?Sized>(f: &G, x0: &DVector<f64>, opts: &Options) -> Result<Solution> {
    // ANCHOR: newton_loop
    let probe = |x: &DVector<f64>| {
        let (value, g, h) = value_gradient_hessian(f, x)?;
        let grad_norm = g.norm();
        Ok(Probe {
            value,
            grad_norm,
            data: (g, h),
        })
    };
    drive("Newton's method", x0, opts, probe, |_, _, pr| {
        let (g, h) = pr.data;
        newton_step(&g, &h)
    })
    // ANCHOR_END: newton_loop
}
// ANCHOR_END: newton
