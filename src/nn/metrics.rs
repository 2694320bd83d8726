//! Evaluation metrics: classification accuracy, and verification on pairs
//! of features (ROC, AUC, TAR at a given FAR).
//!
//! Face verification decides whether two images show the same identity by
//! thresholding a similarity of their features. The ROC curve plots the true
//! accept rate (TAR, same-class pairs accepted) against the false accept rate
//! (FAR, different-class pairs accepted) as the threshold moves.

use candle_core::{D, DType, Tensor};
use nalgebra::DMatrix;

use super::tensor::scalar;
use crate::error::{Error, Result, ensure_finite, ensure_len};

/// Fraction of rows of `scores` `(examples, classes)` whose largest entry
/// sits at the label in `labels` (a `u32` tensor).
///
/// # Errors
/// [`Error::TooFew`] for no examples; [`Error::Candle`] if the shapes disagree.
pub fn accuracy(scores: &Tensor, labels: &Tensor) -> Result<f64> {
    let n = labels.elem_count();
    ensure_len("examples", n, 1)?;
    let hits = scores
        .argmax(D::Minus1)?
        .eq(labels)?
        .to_dtype(DType::F64)?
        .sum_all()?;
    Ok(scalar(&hits)? / n as f64)
}

/// How two features are compared (larger = more similar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Similarity {
    /// `−‖a − b‖`.
    NegEuclidean,
    /// `a·b / (‖a‖‖b‖)`.
    Cosine,
}

/// Checks a feature matrix (one row per example, at least two, all finite)
/// against its labels.
///
/// # Errors
/// [`Error::TooFew`], [`Error::NonFinite`], or [`Error::ShapeMismatch`] if
/// there is not one label per row.
pub fn check_features(f: &DMatrix<f64>, labels: &[usize]) -> Result<()> {
    ensure_len("features", f.nrows(), 2)?;
    ensure_finite("features", f.as_slice())?;
    if labels.len() != f.nrows() {
        return Err(Error::ShapeMismatch {
            what: "labels vs features",
            expected: f.nrows().to_string(),
            got: labels.len().to_string(),
        });
    }
    Ok(())
}

/// Row norms, for angular comparisons.
///
/// # Errors
/// [`Error::InvalidParameter`] for a zero row, which has no direction.
pub fn row_norms(f: &DMatrix<f64>) -> Result<Vec<f64>> {
    (0..f.nrows())
        .map(|i| {
            let n = f.row(i).norm();
            if n == 0.0 {
                Err(Error::InvalidParameter {
                    name: "features",
                    reason: format!("feature {i} is the zero vector, which has no direction"),
                })
            } else {
                Ok(n)
            }
        })
        .collect()
}

/// Scores of all same-class pairs and all different-class pairs `i < j`.
///
/// # Errors
/// As [`check_features`]; [`row_norms`]'s error for a zero feature under
/// [`Similarity::Cosine`]; [`Error::TooFew`] if there is no same-class or no
/// different-class pair.
pub fn pair_scores(
    f: &DMatrix<f64>,
    labels: &[usize],
    sim: Similarity,
) -> Result<(Vec<f64>, Vec<f64>)> {
    check_features(f, labels)?;
    let n = if sim == Similarity::Cosine {
        row_norms(f)?
    } else {
        vec![1.0; f.nrows()]
    };
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for i in 0..f.nrows() {
        for j in i + 1..f.nrows() {
            let s = match sim {
                Similarity::NegEuclidean => -(f.row(i) - f.row(j)).norm(),
                Similarity::Cosine => (f.row(i).dot(&f.row(j)) / (n[i] * n[j])).clamp(-1.0, 1.0),
            };
            if labels[i] == labels[j] {
                genuine.push(s);
            } else {
                impostor.push(s);
            }
        }
    }
    ensure_len("same-class pairs", genuine.len(), 1)?;
    ensure_len("different-class pairs", impostor.len(), 1)?;
    Ok((genuine, impostor))
}

fn check_scores(genuine: &[f64], impostor: &[f64]) -> Result<()> {
    ensure_len("genuine scores", genuine.len(), 1)?;
    ensure_len("impostor scores", impostor.len(), 1)?;
    ensure_finite("genuine scores", genuine)?;
    ensure_finite("impostor scores", impostor)
}

// ANCHOR: tar_at_far
/// TAR at a given FAR: the threshold is the smallest score that accepts at
/// most `far` of the impostor pairs (scores strictly above it are accepted).
///
/// # Errors
/// [`Error::TooFew`] for no genuine or no impostor score,
/// [`Error::NonFinite`] for a NaN or infinite score, and
/// [`Error::InvalidParameter`] for `far` outside `[0, 1]`.
pub fn tar_at_far(genuine: &[f64], impostor: &[f64], far: f64) -> Result<f64> {
    check_scores(genuine, impostor)?;
    if !(0.0..=1.0).contains(&far) {
        return Err(Error::InvalidParameter {
            name: "FAR",
            reason: format!("a false accept rate lies in [0, 1], got {far}"),
        });
    }
    // ANCHOR: tar_at_far_threshold
    let mut imp = impostor.to_vec();
    imp.sort_by(|a, b| b.total_cmp(a)); // descending
    let allowed = (far * imp.len() as f64).floor() as usize;
    let threshold = if allowed >= imp.len() {
        f64::NEG_INFINITY
    } else {
        imp[allowed]
    };
    let accepted = genuine.iter().filter(|&&s| s > threshold).count();
    Ok(accepted as f64 / genuine.len() as f64)
    // ANCHOR_END: tar_at_far_threshold
}
// ANCHOR_END: tar_at_far

/// ROC curve points `(FAR, TAR)` at every impostor score as threshold
/// (every `⌊n/2000⌋`-th one for `n ≥ 4000` impostor scores), ending at `(1, 1)`.
///
/// # Errors
/// [`Error::TooFew`] for no genuine or no impostor score, and
/// [`Error::NonFinite`] for a NaN or infinite score.
pub fn roc(genuine: &[f64], impostor: &[f64]) -> Result<Vec<(f64, f64)>> {
    check_scores(genuine, impostor)?;
    let mut g = genuine.to_vec();
    let mut imp = impostor.to_vec();
    g.sort_by(|a, b| b.total_cmp(a));
    imp.sort_by(|a, b| b.total_cmp(a));
    let mut out = Vec::new();
    let mut gi = 0;
    let step = (imp.len() / 2000).max(1);
    for (k, &t) in imp.iter().enumerate().step_by(step) {
        while gi < g.len() && g[gi] > t {
            gi += 1;
        }
        out.push((k as f64 / imp.len() as f64, gi as f64 / g.len() as f64));
    }
    out.push((1.0, 1.0));
    Ok(out)
}

/// Area under the ROC curve: the probability that a random genuine pair
/// scores above a random impostor pair (ties count one half).
///
/// # Errors
/// [`Error::TooFew`] for no genuine or no impostor score (the area would be
/// 0/0), and [`Error::NonFinite`] for a NaN or infinite score.
pub fn auc(genuine: &[f64], impostor: &[f64]) -> Result<f64> {
    check_scores(genuine, impostor)?;
    let mut imp = impostor.to_vec();
    imp.sort_by(f64::total_cmp);
    let mut total = 0.0;
    for &s in genuine {
        let below = imp.partition_point(|&v| v < s);
        let ties = imp[below..].partition_point(|&v| v <= s);
        total += below as f64 + 0.5 * ties as f64;
    }
    Ok(total / (genuine.len() as f64 * imp.len() as f64))
}
