//! The second-order model of `f` at a point, and what the notes wrote instead.
//!
//! The correct model in `n` variables is
//! `m(Δx) = f(x) + ∇f(x)ᵀΔx + ½ ΔxᵀH Δx` (a scalar), see the Taylor chapter.
//! Setting its gradient `∇f(x) + H Δx` to zero gives the Newton system
//! `H Δx = −∇f(x)` (N&W eq. 2.14–2.15).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

fn check(g: &DVector<f64>, h: &DMatrix<f64>, dx: &DVector<f64>) -> Result<()> {
    let n = g.len();
    if h.nrows() != n || h.ncols() != n || dx.len() != n {
        return Err(Error::ShapeMismatch {
            what: "quadratic model: gradient, Hessian and step",
            expected: format!("{n}, {n}×{n}, {n}"),
            got: format!("{}, {}×{}, {}", n, h.nrows(), h.ncols(), dx.len()),
        });
    }
    Ok(())
}

// ANCHOR: model
/// The second-order model `m(Δx) = f + gᵀΔx + ½ ΔxᵀH Δx`: a number.
pub fn quadratic_model(
    f: f64,
    g: &DVector<f64>,
    h: &DMatrix<f64>,
    dx: &DVector<f64>,
) -> Result<f64> {
    check(g, h, dx)?;
    Ok(f + g.dot(dx) + 0.5 * dx.dot(&(h * dx)))
}

/// The notes' second-order term `½ H Δx (Δx)ᵀ`, computed as written: an
/// `n × n` matrix, which cannot be added to the scalars `f` and `Δxᵀ∇f`.
///
/// Its trace is `½ tr(H Δx Δxᵀ) = ½ ΔxᵀH Δx`, the correct term.
pub fn notes_second_order_term(h: &DMatrix<f64>, dx: &DVector<f64>) -> DMatrix<f64> {
    0.5 * h * dx * dx.transpose()
}
// ANCHOR_END: model
