//! The α-rescaling of a rectifier network (GBB 2011 §3, "ill-conditioning of
//! the parametrization") and two remedies.
//!
//! With a scalar `α_i` per layer and `c_i = α_1 ⋯ α_i`, the notes rescale
//! `W_i' = W_i / α_i` and `b_i' = b_i / c_i`. For a positively homogeneous
//! activation (`φ(αz) = αφ(z)` for `α > 0`) and **every** `α_i > 0`, each layer
//! value becomes `h_i' = h_i / c_i`, so the output is `s' = s / c_n`, and the
//! function is unchanged exactly when `c_n = ∏ α_i = 1`.

use nalgebra::{DMatrix, DVector};

use super::Mlp;
use crate::error::{Error, Result, ensure_finite};

fn check_alphas(mlp: &Mlp, alphas: &[f64]) -> Result<()> {
    if alphas.len() != mlp.depth() {
        return Err(Error::ShapeMismatch {
            what: "one α per layer",
            expected: mlp.depth().to_string(),
            got: alphas.len().to_string(),
        });
    }
    ensure_finite("α", alphas)?;
    if let Some(i) = alphas.iter().position(|&a| a == 0.0) {
        return Err(Error::InvalidParameter {
            name: "α",
            reason: format!(
                "α_{} is 0, and W/α is undefined; every α must be non-zero (and positive to keep the function)",
                i + 1
            ),
        });
    }
    Ok(())
}

/// The cumulative products `c_i = α_1 ⋯ α_i`, `i = 1..=n`.
pub fn cumulative(alphas: &[f64]) -> Vec<f64> {
    alphas
        .iter()
        .scan(1.0, |c, a| {
            *c *= a;
            Some(*c)
        })
        .collect()
}

// ANCHOR: rescale
/// Applies the notes' rescaling `W_i' = W_i / α_i`, `b_i' = b_i / (α_1 ⋯ α_i)`.
///
/// Any non-zero `α` is accepted, so that the conditions can be broken on
/// purpose; [`preserves_function`] says when the result computes the same function.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless there is one `α` per layer; [`Error::NonFinite`]
/// for a NaN or infinite `α`, or when a rescaled parameter overflows;
/// [`Error::InvalidParameter`] for an `α` equal to 0.
pub fn rescale(mlp: &Mlp, alphas: &[f64]) -> Result<Mlp> {
    check_alphas(mlp, alphas)?;
    // ANCHOR: rescale_core
    let c = cumulative(alphas);
    let w = mlp
        .weights()
        .iter()
        .zip(alphas)
        .map(|(w, a)| w / *a)
        .collect();
    let b = mlp.biases().iter().zip(&c).map(|(b, ci)| b / *ci).collect();
    Mlp::new(w, b, mlp.activation())
    // ANCHOR_END: rescale_core
}
// ANCHOR_END: rescale

/// Whether [`rescale`] with `alphas` leaves the function of a network with
/// this activation unchanged: the activation is positively homogeneous, every
/// `α_i > 0`, and `∏ α_i = 1` (to a relative `1e-12`).
pub fn preserves_function(mlp: &Mlp, alphas: &[f64]) -> bool {
    mlp.activation().is_positively_homogeneous()
        && alphas.len() == mlp.depth()
        && alphas.iter().all(|&a| a > 0.0 && a.is_finite())
        && (alphas.iter().product::<f64>() - 1.0).abs() < 1e-12
}

// ANCHOR: balance
/// Rescales to the *balanced* representative of the network's rescaling class:
/// every `‖W_i‖_F` equal to the geometric mean `G = (∏ ‖W_i‖_F)^{1/n}`, i.e.
/// `α_i = ‖W_i‖_F / G` (so `∏ α_i = 1`). Two networks that differ by a
/// function-preserving rescaling balance to the same parameters, so training
/// from the balanced network cannot depend on which one was given.
///
/// Returns the balanced network and the `α` used.
///
/// # Errors
///
/// [`Error::Singular`] when a layer's weights are all zero (no `α` balances it);
/// [`Error::NonFinite`] when the norms or the rescaled parameters overflow.
pub fn balance(mlp: &Mlp) -> Result<(Mlp, Vec<f64>)> {
    let norms: Vec<f64> = mlp.weights().iter().map(|w| w.norm()).collect();
    if let Some(i) = norms.iter().position(|&v| v == 0.0) {
        return Err(Error::Singular {
            what: "the rescaling class",
            detail: format!("layer {} has all-zero weights, so no α balances it", i + 1),
        });
    }
    let g = (norms.iter().map(|v| v.ln()).sum::<f64>() / norms.len() as f64).exp();
    let alphas: Vec<f64> = norms.iter().map(|v| v / g).collect();
    Ok((rescale(mlp, &alphas)?, alphas))
}
// ANCHOR_END: balance

/// Each layer value of `mlp` on `x` rescaled by `c_i` (the notes' `s' = s/∏α`
/// read layer by layer): `h_i · (1 / c_i)` for `i = 1..=n`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless there is one `α` per layer, or for the wrong
/// number of input columns; [`Error::NonFinite`] for a NaN or infinite `α` or input;
/// [`Error::InvalidParameter`] for an `α` equal to 0; [`Error::TooFew`] for an empty
/// batch.
pub fn predicted_layer_values(
    mlp: &Mlp,
    x: &DMatrix<f64>,
    alphas: &[f64],
) -> Result<Vec<DMatrix<f64>>> {
    check_alphas(mlp, alphas)?;
    let t = mlp.trace(x)?;
    Ok(t.values[1..]
        .iter()
        .zip(cumulative(alphas))
        .map(|(h, c)| h / c)
        .collect())
}

/// A copy of `mlp` with biases scaled by their own layer's `α_i` only
/// (`b_i' = b_i / α_i`): the tempting but wrong variant of the rescaling,
/// kept to show in tests that the notes' cumulative product is needed.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] unless there is one `α` per layer; [`Error::NonFinite`]
/// for a NaN or infinite `α`, or when a rescaled parameter overflows;
/// [`Error::InvalidParameter`] for an `α` equal to 0.
pub fn rescale_biases_by_own_alpha(mlp: &Mlp, alphas: &[f64]) -> Result<Mlp> {
    check_alphas(mlp, alphas)?;
    let w = mlp
        .weights()
        .iter()
        .zip(alphas)
        .map(|(w, a)| w / *a)
        .collect();
    let b: Vec<DVector<f64>> = mlp
        .biases()
        .iter()
        .zip(alphas)
        .map(|(b, a)| b / *a)
        .collect();
    Mlp::new(w, b, mlp.activation())
}
