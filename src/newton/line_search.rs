//! Armijo backtracking line search (N&W Algorithm 3.1).

use nalgebra::DVector;

use crate::error::{Error, Result};

use super::no_convergence;

/// Parameters of the backtracking search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Armijo {
    /// Sufficient-decrease constant `c₁ ∈ (0, 1)` (N&W eq. 3.4); `1e-4` is usual.
    pub c1: f64,
    /// Factor `ρ ∈ (0, 1)` by which a rejected step is shrunk.
    pub shrink: f64,
    /// Give up when the step falls below this.
    pub min_step: f64,
}

impl Default for Armijo {
    fn default() -> Self {
        Armijo {
            c1: 1e-4,
            shrink: 0.5,
            min_step: 1e-20,
        }
    }
}

impl Armijo {
    /// Rejects constants outside `(0, 1)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming `c1` or `shrink` when it is not strictly
    /// between 0 and 1.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("c1", self.c1), ("shrink", self.shrink)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(Error::InvalidParameter {
                    name,
                    reason: format!("must lie in (0, 1), got {v}"),
                });
            }
        }
        Ok(())
    }
}

// ANCHOR: armijo
/// Backtracks from `α = alpha0` until `f(x + αp) ≤ f(x) + c₁ α ∇f(x)ᵀp`.
///
/// Returns `(α, f(x + αp))`. A trial point where `f` is not finite counts
/// as rejected. `p` must be a descent direction (`∇f(x)ᵀp < 0`).
///
/// # Errors
/// [`Error::InvalidParameter`] if `p` is not a descent direction;
/// [`Error::NoConvergence`] if `α` shrinks below `min_step` (typically
/// because `x` is already a minimiser to working precision).
pub fn backtrack(
    f: impl Fn(&DVector<f64>) -> Result<f64>,
    x: &DVector<f64>,
    fx: f64,
    g: &DVector<f64>,
    p: &DVector<f64>,
    alpha0: f64,
    params: &Armijo,
) -> Result<(f64, f64)> {
    let slope = g.dot(p);
    if slope.is_nan() || slope >= 0.0 {
        return Err(Error::InvalidParameter {
            name: "p",
            reason: format!("must be a descent direction, but ∇f(x)ᵀp = {slope:e}"),
        });
    }
    // ANCHOR: backtrack_loop
    let mut alpha = alpha0;
    while alpha >= params.min_step {
        let trial = x + alpha * p;
        if let Ok(ft) = f(&trial)
            && ft <= fx + params.c1 * alpha * slope
        {
            return Ok((alpha, ft));
        }
        alpha *= params.shrink;
    }
    // ANCHOR_END: backtrack_loop
    let why = format!("no step above {:e} decreases f enough", params.min_step);
    Err(no_convergence("Armijo backtracking", 0, why, x.as_slice()))
}
// ANCHOR_END: armijo
