//! Damped (safeguarded) Newton's method for a **minimum**.
//!
//! Two safeguards turn the pure iteration of [`super::solve`] into a
//! minimiser that decreases `f` at every step (N&W §3.4, "Newton's method
//! with Hessian modification", Algorithm 3.2):
//!
//! 1. If the Hessian is not positive definite, replace it by `H + τI` with
//!    the smallest `τ` of a doubling sequence for which the Cholesky
//!    factorisation succeeds (N&W Algorithm 3.3). The step `p` then solves
//!    `(H + τI) p = −∇f` and is a descent direction, since
//!    `∇fᵀp = −∇fᵀ(H + τI)⁻¹∇f < 0`.
//! 2. Take `x + αp` with `α` from Armijo backtracking starting at `α = 1`
//!    ([`super::line_search`]), so far from a minimum the step is shortened,
//!    and near one (where `α = 1` is accepted) the quadratic convergence of
//!    the pure method is kept.
//!
//! With [`HessianMode::Exact`] step 1 is switched off, and an indefinite or
//! singular Hessian is reported as [`Error::NotPositiveDefinite`].

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

use crate::diff::{Field, value, value_gradient_hessian};
use crate::error::{Error, Result};

use super::line_search::{Armijo, backtrack};
use super::{Options, Probe, Solution, drive, no_convergence};

/// What the minimiser does with a Hessian that is not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HessianMode {
    /// Add a multiple of the identity until Cholesky succeeds (N&W Alg. 3.3).
    #[default]
    Modified,
    /// Use the exact Hessian and fail with [`Error::NotPositiveDefinite`].
    Exact,
}

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DampedOptions {
    /// Tolerance, budget, divergence bound.
    pub base: Options,
    /// Hessian modification on or off.
    pub hessian: HessianMode,
    /// Line-search constants.
    pub armijo: Armijo,
}

// ANCHOR: modified_cholesky
/// Cholesky factorisation of `H + τI` for the smallest `τ` in the sequence
/// `τ₀, max(2τ₀, β), …` that makes it succeed (N&W Algorithm 3.3, with
/// `β = 10⁻³·max(1, ‖H‖_F)` so the shift scales with `H`).
///
/// `τ₀ = 0` if every diagonal entry of `H` is positive, else
/// `−minᵢ Hᵢᵢ + β`. Returns the factor and the `τ` used.
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite `H`; [`Error::NotPositiveDefinite`]
/// if 200 doublings do not suffice (impossible for a finite `H`).
pub fn modified_cholesky(h: &DMatrix<f64>) -> Result<(Cholesky<f64, Dyn>, f64)> {
    crate::error::ensure_finite("Hessian", h.as_slice())?;
    // ANCHOR: shift_loop
    let beta = 1e-3 * h.norm().max(1.0);
    let min_diag = h.diagonal().min();
    let mut tau = if min_diag > 0.0 {
        0.0
    } else {
        -min_diag + beta
    };
    for _ in 0..200 {
        let shifted = h + DMatrix::identity(h.nrows(), h.ncols()) * tau;
        if let Some(chol) = Cholesky::new(shifted) {
            return Ok((chol, tau));
        }
        tau = (2.0 * tau).max(beta);
    }
    // ANCHOR_END: shift_loop
    Err(Error::NotPositiveDefinite {
        detail: format!("no shift up to τ = {tau:e} made H + τI factorisable"),
    })
}
// ANCHOR_END: modified_cholesky

/// The Cholesky factor of the exact Hessian.
///
/// # Errors
///
/// [`Error::NotPositiveDefinite`] when the Cholesky factorisation fails: `h` is not
/// positive definite (to working precision).
pub fn exact_cholesky(h: &DMatrix<f64>) -> Result<Cholesky<f64, Dyn>> {
    Cholesky::new(h.clone()).ok_or_else(|| {
        let d = h.diagonal();
        Error::NotPositiveDefinite {
            detail: format!(
                "Cholesky factorisation failed (diagonal ranges from {:e} to {:e})",
                d.min(),
                d.max()
            ),
        }
    })
}

// ANCHOR: minimize
/// Damped Newton's method for a local minimum of `f` from `x0`.
///
/// Each iteration: `∇f`, `H` by AD; factor `H` (modified if needed);
/// solve `L Lᵀ p = −∇f`; Armijo backtracking from `α = 1`. Stops when
/// `‖∇f(x)‖ ≤ tol`.
///
/// # Errors
/// As [`super::solve::newton`], plus [`Error::NotPositiveDefinite`] in
/// [`HessianMode::Exact`], and [`Error::NoConvergence`] when the line search
/// finds no decrease (the tolerance is below what rounding allows).
pub fn minimize<G: Field + ?Sized>(
    f: &G,
    x0: &DVector<f64>,
    opts: &DampedOptions,
) -> Result<Solution> {
    opts.armijo.validate()?;
    let probe = |x: &DVector<f64>| {
        let (value, g, h) = value_gradient_hessian(f, x)?;
        let grad_norm = g.norm();
        Ok(Probe {
            value,
            grad_norm,
            data: (g, h),
        })
    };
    // ANCHOR: damped_step
    drive("damped Newton", x0, &opts.base, probe, |k, x, pr| {
        let (g, h) = pr.data;
        let chol = match opts.hessian {
            HessianMode::Modified => modified_cholesky(&h)?.0,
            HessianMode::Exact => exact_cholesky(&h)?,
        };
        let p = chol.solve(&(-&g));
        let (alpha, _) = backtrack(|y| value(f, y), x, pr.value, &g, &p, 1.0, &opts.armijo)
            .map_err(|e| {
                let why = format!("the line search failed at ‖∇f‖ = {:e} ({e})", pr.grad_norm);
                no_convergence("damped Newton", k, why, x.as_slice())
            })?;
        Ok(alpha * p)
    })
    // ANCHOR_END: damped_step
}
// ANCHOR_END: minimize
