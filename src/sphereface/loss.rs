//! The A-Softmax loss on plain matrices: the reference implementation.
//!
//! SphereFace, Eq. 7 (with `λ = 0`) and the annealed version of the Caffe
//! code. Rows of `x` are features `x_i`, rows of `w` are class weights `W_j`
//! (normalized here, as the paper requires: `‖W_j‖ = 1`).

use nalgebra::{DMatrix, DVector};

use super::{check_m, psi};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::numeric::clamped_acos;

fn check_inputs(x: &DMatrix<f64>, w: &DMatrix<f64>, labels: &[usize]) -> Result<()> {
    ensure_len("batch", x.nrows(), 1)?;
    ensure_len("classes", w.nrows(), 2)?;
    ensure_finite("features", x.as_slice())?;
    ensure_finite("weights", w.as_slice())?;
    if x.ncols() != w.ncols() {
        return Err(Error::ShapeMismatch {
            what: "feature dimension vs weight dimension",
            expected: w.ncols().to_string(),
            got: x.ncols().to_string(),
        });
    }
    if labels.len() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "labels vs features",
            expected: x.nrows().to_string(),
            got: labels.len().to_string(),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&y| y >= w.nrows()) {
        return Err(Error::InvalidParameter {
            name: "label",
            reason: format!("label {bad} is out of range for {} classes", w.nrows()),
        });
    }
    for j in 0..w.nrows() {
        if w.row(j).norm() == 0.0 {
            return Err(Error::InvalidParameter {
                name: "weights",
                reason: format!(
                    "class {j} has a zero weight vector, whose direction (and angle θ) is undefined"
                ),
            });
        }
    }
    Ok(())
}

/// `(‖x‖, cos θ_j for every class j)` of one feature against normalized weights.
/// A zero feature has norm 0 and (by convention) all cosines 0: every logit
/// is `‖x‖` times a bounded factor, so all logits are 0 whatever the angles.
fn norm_and_cosines(x: &DVector<f64>, w: &DMatrix<f64>) -> (f64, Vec<f64>) {
    let n = x.norm();
    let cos = (0..w.nrows())
        .map(|j| {
            let wj = w.row(j).transpose();
            if n == 0.0 {
                0.0
            } else {
                (wj.dot(x) / (wj.norm() * n)).clamp(-1.0, 1.0)
            }
        })
        .collect();
    (n, cos)
}

// ANCHOR: logits
/// The A-Softmax logits of every example: `‖x_i‖ cos θ_{j,i}` for `j ≠ y_i`
/// and the annealed target `(λ‖x_i‖ cos θ_{y_i,i} + ‖x_i‖ ψ(θ_{y_i,i}))/(1+λ)`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `m = 0`, a negative `λ`, a label not below the
/// number of classes, or a zero weight row (its direction is undefined);
/// [`Error::TooFew`] for an empty batch or fewer than two classes;
/// [`Error::NonFinite`] for a NaN or infinite feature, weight or `λ`;
/// [`Error::ShapeMismatch`] when features and weights differ in dimension, or there
/// is not one label per example.
pub fn logits(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
    m: u32,
    lambda: f64,
) -> Result<DMatrix<f64>> {
    check_m(m)?;
    check_inputs(x, w, labels)?;
    ensure_finite("λ", &[lambda])?;
    if lambda < 0.0 {
        return Err(Error::InvalidParameter {
            name: "λ",
            reason: format!(
                "the annealing weight must be ≥ 0 (a mix of cos θ and ψ(θ)), got {lambda}"
            ),
        });
    }
    // ANCHOR: logits_loop
    let mut out = DMatrix::zeros(x.nrows(), w.nrows());
    for i in 0..x.nrows() {
        let (n, cos) = norm_and_cosines(&x.row(i).transpose(), w);
        for (j, &c) in cos.iter().enumerate() {
            out[(i, j)] = n * c;
        }
        let c = cos[labels[i]];
        let target = n * psi(clamped_acos(c)?, m)?;
        out[(i, labels[i])] = (lambda * n * c + target) / (1.0 + lambda);
    }
    // ANCHOR_END: logits_loop
    Ok(out)
}
// ANCHOR_END: logits

/// Mean cross-entropy `(1/N) Σ_i −log softmax(logits_i)[y_i]`, with a stable
/// log-sum-exp (the largest logit is subtracted first).
///
/// # Errors
///
/// [`Error::TooFew`] for an empty batch; [`Error::NonFinite`] for a NaN or infinite
/// logit; [`Error::ShapeMismatch`] unless there is one label per row;
/// [`Error::InvalidParameter`] for a label not below the number of columns.
pub fn cross_entropy(logits: &DMatrix<f64>, labels: &[usize]) -> Result<f64> {
    ensure_len("batch", logits.nrows(), 1)?;
    ensure_finite("logits", logits.as_slice())?;
    if labels.len() != logits.nrows() {
        return Err(Error::ShapeMismatch {
            what: "labels vs logits",
            expected: logits.nrows().to_string(),
            got: labels.len().to_string(),
        });
    }
    let mut total = 0.0;
    for (i, &y) in labels.iter().enumerate() {
        if y >= logits.ncols() {
            return Err(Error::InvalidParameter {
                name: "label",
                reason: format!("label {y} is out of range for {} classes", logits.ncols()),
            });
        }
        let row = logits.row(i);
        let mx = row.max();
        let lse = mx + row.iter().map(|&z| (z - mx).exp()).sum::<f64>().ln();
        total += lse - row[y];
    }
    Ok(total / logits.nrows() as f64)
}

/// The A-Softmax loss (SphereFace Eq. 7 when `λ = 0`).
///
/// # Errors
///
/// As [`logits`] ([`Error::InvalidParameter`], [`Error::TooFew`],
/// [`Error::NonFinite`], [`Error::ShapeMismatch`] for bad inputs), and
/// [`Error::NonFinite`] when a logit overflows.
pub fn a_softmax_loss(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
    m: u32,
    lambda: f64,
) -> Result<f64> {
    cross_entropy(&logits(x, w, labels, m, lambda)?, labels)
}

// ANCHOR: notes_literal
/// The loss exactly as the notes write it: the other classes' terms are
/// `e^{‖x_j‖ cos θ_{j,i}}`, with the norm of `x_j`, read here as the `j`-th
/// feature of the batch (the only reading that gives the symbol a value;
/// it needs at least as many examples as classes).
///
/// # Errors
///
/// As [`logits`]: [`Error::InvalidParameter`] for `m = 0`, an out-of-range label
/// or a zero weight row; [`Error::ShapeMismatch`] for mismatched dimensions or
/// labels; [`Error::NonFinite`] for a NaN or infinite feature or weight, or an
/// overflowing logit; [`Error::TooFew`] for fewer than two classes, or fewer examples
/// than classes (the notes' `‖x_j‖` needs one example per class).
pub fn notes_literal_loss(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
    m: u32,
) -> Result<f64> {
    check_m(m)?;
    check_inputs(x, w, labels)?;
    ensure_len(
        "batch (the notes' ‖x_j‖ needs one example per class)",
        x.nrows(),
        w.nrows(),
    )?;
    // ANCHOR: notes_literal_loop
    let norms: Vec<f64> = (0..x.nrows()).map(|i| x.row(i).norm()).collect();
    let mut out = DMatrix::zeros(x.nrows(), w.nrows());
    for i in 0..x.nrows() {
        let (n, cos) = norm_and_cosines(&x.row(i).transpose(), w);
        for (j, &c) in cos.iter().enumerate() {
            out[(i, j)] = norms[j] * c;
        }
        out[(i, labels[i])] = n * psi(clamped_acos(cos[labels[i]])?, m)?;
    }
    cross_entropy(&out, labels)
    // ANCHOR_END: notes_literal_loop
}
// ANCHOR_END: notes_literal
