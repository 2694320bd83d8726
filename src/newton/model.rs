//! The second-order model of `f` at a point, and what the notes wrote instead.
//!
//! The correct model in `n` variables is
//! `m(Δx) = f(x) + ∇f(x)ᵀΔx + ½ ΔxᵀH Δx` (a scalar), see the Taylor chapter.
//! Setting its gradient `∇f(x) + H Δx` to zero gives the Newton system
//! `H Δx = −∇f(x)` (N&W eq. 2.14–2.15).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite};

/// Checks that `h` is `n × n` and `g` (when given) has `n` entries, for a step of
/// length `n`, and that every entry is finite.
fn check(g: Option<&DVector<f64>>, h: &DMatrix<f64>, dx: &DVector<f64>) -> Result<()> {
    let n = dx.len();
    let g_len = g.map_or(n, |g| g.len());
    if h.nrows() != n || h.ncols() != n || g_len != n {
        return Err(Error::ShapeMismatch {
            what: "quadratic model: gradient, Hessian and step",
            expected: format!("{n}, {n}×{n}, {n}"),
            got: format!("{g_len}, {}×{}, {n}", h.nrows(), h.ncols()),
        });
    }
    if let Some(g) = g {
        ensure_finite("gradient", g.as_slice())?;
    }
    ensure_finite("Hessian", h.as_slice())?;
    ensure_finite("step", dx.as_slice())
}

// ANCHOR: model
/// The second-order model `m(Δx) = f + gᵀΔx + ½ ΔxᵀH Δx`: a number.
///
/// # Errors
/// [`Error::ShapeMismatch`] for sizes that differ; [`Error::NonFinite`] for NaN.
pub fn quadratic_model(
    f: f64,
    g: &DVector<f64>,
    h: &DMatrix<f64>,
    dx: &DVector<f64>,
) -> Result<f64> {
    ensure_finite("f", &[f])?;
    check(Some(g), h, dx)?;
    Ok(f + g.dot(dx) + 0.5 * dx.dot(&(h * dx)))
}

/// The notes' second-order term `½ H Δx (Δx)ᵀ`, computed as written: an
/// `n × n` matrix, which cannot be added to the scalars `f` and `Δxᵀ∇f`.
/// Its trace, `½ ΔxᵀH Δx`, is the correct term.
///
/// # Errors
/// [`Error::ShapeMismatch`] for sizes that differ; [`Error::NonFinite`] for NaN.
pub fn notes_second_order_term(h: &DMatrix<f64>, dx: &DVector<f64>) -> Result<DMatrix<f64>> {
    check(None, h, dx)?;
    Ok(0.5 * h * dx * dx.transpose())
}
// ANCHOR_END: model
