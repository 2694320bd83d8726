//! Exact rectifier constructions of symmetric and antisymmetric functions.
//!
//! GBB 2011 §3: "to efficiently represent symmetric or antisymmetric behaviour
//! in the data, a rectifier network would need twice as many hidden units as a
//! network of symmetric or antisymmetric activation functions". The pairs:
//!
//! * `|x| = relu(x) + relu(−x)` (one unit of the symmetric activation `|z|`);
//! * `x = relu(x) − relu(−x)` (one unit of the antisymmetric activation `z`);
//! * `hardtanh(x) = relu(x + 1) − relu(x − 1) − 1` (one hard-tanh unit).
//!
//! A one-hidden-layer ReLU network on the line is piecewise linear, with slope
//! `Σ_{w_k > 0} c_k w_k` at `+∞` and `Σ_{w_k < 0} c_k w_k` at `−∞`: a single
//! unit is flat on one side, so neither `|x|` nor `x` can be one unit.
//! [`best_single_relu_fit`] measures how far the best single unit stays.

use nalgebra::{DMatrix, DVector, Matrix2, Vector2};

use super::{Activation, Mlp};
use crate::error::{Error, Result, ensure_finite, ensure_len};

/// `max(−1, min(1, z))`.
pub fn hard_tanh(z: f64) -> f64 {
    z.clamp(-1.0, 1.0)
}

fn net(w1: &[f64], b1: &[f64], w2: &[f64], b2: f64) -> Result<Mlp> {
    Mlp::new(
        vec![
            DMatrix::from_column_slice(w1.len(), 1, w1),
            DMatrix::from_row_slice(1, w2.len(), w2),
        ],
        vec![DVector::from_column_slice(b1), DVector::from_element(1, b2)],
        Activation::Relu,
    )
}

// ANCHOR: pairs
// ANCHOR: pairs_abs_identity
/// `|x| = relu(x) + relu(−x)`: two ReLU units.
///
/// # Errors
///
/// None in practice: the parameters are fixed and valid; the `Result` is that of
/// [`Mlp::new`].
pub fn abs_net() -> Result<Mlp> {
    net(&[1.0, -1.0], &[0.0, 0.0], &[1.0, 1.0], 0.0)
}

/// `x = relu(x) − relu(−x)`: two ReLU units.
///
/// # Errors
///
/// None in practice: the parameters are fixed and valid; the `Result` is that of
/// [`Mlp::new`].
pub fn identity_net() -> Result<Mlp> {
    net(&[1.0, -1.0], &[0.0, 0.0], &[1.0, -1.0], 0.0)
}
// ANCHOR_END: pairs_abs_identity

/// `Σ_k c_k hardtanh(a_k x)`, an antisymmetric function, from `2k` ReLU units:
/// `c·hardtanh(a x) = c·relu(a x + 1) − c·relu(a x − 1) − c`.
///
/// # Errors
///
/// [`Error::TooFew`] for no units; [`Error::NonFinite`] for a NaN or infinite `a_k`
/// or `c_k`, or when the output bias `−Σ c_k` overflows.
pub fn hard_tanh_sum_net(units: &[(f64, f64)]) -> Result<Mlp> {
    ensure_len("hard-tanh units", units.len(), 1)?;
    let flat: Vec<f64> = units.iter().flat_map(|&(a, c)| [a, c]).collect();
    ensure_finite("hard-tanh units", &flat)?;
    let w1: Vec<f64> = units.iter().flat_map(|&(a, _)| [a, a]).collect();
    let b1: Vec<f64> = units.iter().flat_map(|_| [1.0, -1.0]).collect();
    let w2: Vec<f64> = units.iter().flat_map(|&(_, c)| [c, -c]).collect();
    let b2 = -units.iter().map(|&(_, c)| c).sum::<f64>();
    net(&w1, &b1, &w2, b2)
}
// ANCHOR_END: pairs

/// The smallest root-mean-square error with which a *single* ReLU unit plus a
/// constant, `c·relu(s(x − t)) + d`, can fit `ys` at the points `xs`, over the
/// kink positions `kinks` and both directions `s = ±1` (for each, `c` and `d`
/// are found exactly by least squares). Every one-unit network
/// `c·relu(wx + b) + d` with `w ≠ 0` is of this form with `t = −b/w`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two points or no kink position;
/// [`Error::ShapeMismatch`] when `xs` and `ys` differ in length; [`Error::NonFinite`]
/// for a NaN or infinite entry of `xs`, `ys` or `kinks`.
pub fn best_single_relu_fit(xs: &[f64], ys: &[f64], kinks: &[f64]) -> Result<f64> {
    ensure_len("points", xs.len(), 2)?;
    ensure_len("kink positions", kinks.len(), 1)?;
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch {
            what: "xs vs ys",
            expected: xs.len().to_string(),
            got: ys.len().to_string(),
        });
    }
    ensure_finite("xs", xs)?;
    ensure_finite("ys", ys)?;
    ensure_finite("kinks", kinks)?;
    let n = xs.len() as f64;
    let mean = ys.iter().sum::<f64>() / n;
    // The constant fit (a unit that is off, or w = 0).
    let mut best = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n).sqrt();
    for &t in kinks {
        for s in [1.0, -1.0] {
            let f: Vec<f64> = xs.iter().map(|x| (s * (x - t)).max(0.0)).collect();
            let (sff, sf) = (f.iter().map(|v| v * v).sum::<f64>(), f.iter().sum::<f64>());
            let a = Matrix2::new(sff, sf, sf, n);
            let rhs = Vector2::new(f.iter().zip(ys).map(|(a, b)| a * b).sum(), ys.iter().sum());
            let Some(sol) = a.lu().solve(&rhs) else {
                continue;
            };
            let rss: f64 = f
                .iter()
                .zip(ys)
                .map(|(fi, y)| (sol[0] * fi + sol[1] - y).powi(2))
                .sum();
            best = best.min((rss / n).sqrt());
        }
    }
    Ok(best)
}
