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

/// The smallest mean squared error with which a function that is linear on
/// each of at most `pieces` intervals (continuous or not) can fit `ys` at the
/// increasing points `xs`.
///
/// It is the exact minimum over every way to cut the points into at most
/// `pieces` runs of consecutive points, each fit by its own least-squares
/// line, found by dynamic programming over the last cut (Bellman, "On the
/// approximation of curves by line segments using dynamic programming",
/// CACM 4, 1961). A one-hidden-layer ReLU network with `m` units is linear
/// between its at most `m` kinks, so with `pieces = m + 1` this bounds the
/// error of every such network from below, however it was trained.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two points or no piece,
/// [`Error::ShapeMismatch`] if `xs` and `ys` differ in length,
/// [`Error::NonFinite`] for NaN or infinite values, and
/// [`Error::InvalidParameter`] if `xs` is not strictly increasing.
pub fn best_piecewise_linear_mse(xs: &[f64], ys: &[f64], pieces: usize) -> Result<f64> {
    ensure_len("points", xs.len(), 2)?;
    ensure_len("pieces", pieces, 1)?;
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch {
            what: "xs vs ys",
            expected: xs.len().to_string(),
            got: ys.len().to_string(),
        });
    }
    ensure_finite("xs", xs)?;
    ensure_finite("ys", ys)?;
    if xs.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::InvalidParameter {
            name: "xs",
            reason: "the points must be strictly increasing".into(),
        });
    }
    let n = xs.len();
    let sse = segment_errors(xs, ys);
    // best[j]: least error of points 0..=j with the pieces used so far.
    let mut best: Vec<f64> = (0..n).map(|j| sse[0][j]).collect();
    for _ in 1..pieces.min(n) {
        let prev = best.clone();
        for j in 1..n {
            for i in 1..=j {
                best[j] = best[j].min(prev[i - 1] + sse[i][j]);
            }
        }
    }
    Ok(best[n - 1] / n as f64)
}

/// `sse[i][j]`: the residual sum of squares of the least-squares line through
/// the points `i..=j`, by Welford's updates of the means and co-moments (no
/// cancellation between large sums).
fn segment_errors(xs: &[f64], ys: &[f64]) -> Vec<Vec<f64>> {
    let n = xs.len();
    let mut sse = vec![vec![0.0; n]; n];
    for (i, row) in sse.iter_mut().enumerate() {
        let (mut mx, mut my, mut cxx, mut cxy, mut cyy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for j in i..n {
            let k = (j - i + 1) as f64;
            let (dx, dy) = (xs[j] - mx, ys[j] - my);
            mx += dx / k;
            my += dy / k;
            cxx += dx * (xs[j] - mx);
            cxy += dx * (ys[j] - my);
            cyy += dy * (ys[j] - my);
            let fit = if cxx > 0.0 { cxy * cxy / cxx } else { 0.0 };
            row[j] = (cyy - fit).max(0.0);
        }
    }
    sse
}
