//! DeepFace's final L2 normalization of the descriptor, and what it does to
//! changes of illumination.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite};

// ANCHOR: l2
/// `v / ‖v‖₂`. Invariant to any positive gain `a v` (a > 0), and to nothing else
/// in general: an offset `v + b·1` or a non-linear change `v^γ` changes the
/// direction of `v`.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite entry; [`Error::Singular`] for the zero
/// vector (or an empty one), which has no direction.
pub fn l2_normalize(v: &[f64]) -> Result<Vec<f64>> {
    ensure_finite("vector to normalize", v)?;
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n == 0.0 {
        return Err(Error::Singular {
            what: "L2 normalization",
            detail: "the vector is zero, so it has no direction".into(),
        });
    }
    Ok(v.iter().map(|x| x / n).collect())
}
// ANCHOR_END: l2

/// `‖n(a) − n(b)‖₂` for the L2-normalized vectors (0 = same direction, 2 = opposite).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] when `a` and `b` differ in length; [`Error::NonFinite`]
/// for a NaN or infinite entry; [`Error::Singular`] when either vector is zero.
pub fn normalized_distance(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "vectors to compare",
            expected: a.len().to_string(),
            got: b.len().to_string(),
        });
    }
    let (na, nb) = (l2_normalize(a)?, l2_normalize(b)?);
    Ok(na
        .iter()
        .zip(&nb)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt())
}

/// Mean cross-entropy of a linear softmax classifier `softmax(W f)` on one
/// shared feature vector `f`, averaged over the given labels, and its gradient
/// with respect to `f`: `Wᵀ (p − ȳ)`, with `ȳ` the label frequencies.
///
/// This is the situation the notes describe for blurred data: when the input
/// carries no information, every sample gets the same feature.
///
/// # Errors
///
/// [`Error::TooFew`] for no labels; [`Error::ShapeMismatch`] unless `f` has one entry
/// per column of `w`; [`Error::InvalidParameter`] for a label not below the number of
/// classes (rows of `w`).
pub fn softmax_loss_shared_feature(
    w: &DMatrix<f64>,
    f: &DVector<f64>,
    labels: &[usize],
) -> Result<(f64, DVector<f64>)> {
    crate::error::ensure_len("labels", labels.len(), 1)?;
    if w.ncols() != f.len() {
        return Err(Error::ShapeMismatch {
            what: "softmax weights and feature",
            expected: format!("{} feature entries", w.ncols()),
            got: f.len().to_string(),
        });
    }
    let z = w * f;
    let zmax = z.max();
    let lse = zmax + z.iter().map(|v| (v - zmax).exp()).sum::<f64>().ln();
    let p = z.map(|v| (v - lse).exp());
    let mut ybar = DVector::zeros(w.nrows());
    let mut loss = 0.0;
    for &c in labels {
        if c >= w.nrows() {
            return Err(Error::InvalidParameter {
                name: "label",
                reason: format!("{c} is not below the number of classes {}", w.nrows()),
            });
        }
        ybar[c] += 1.0 / labels.len() as f64;
        loss += (lse - z[c]) / labels.len() as f64;
    }
    Ok((loss, w.transpose() * (p - ybar)))
}
