//! Verification on pairs of features, and the metric-learning criterion on learned features.
//!
//! Face verification decides whether two images show the same identity by
//! thresholding a similarity of their features. The ROC curve plots the true
//! accept rate (TAR, same-class pairs accepted) against the false accept rate
//! (FAR, different-class pairs accepted) as the threshold moves.

use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::sphereface::clamped_acos;

/// How two features are compared (larger = more similar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Similarity {
    /// `−‖a − b‖`.
    NegEuclidean,
    /// `a·b / (‖a‖‖b‖)`.
    Cosine,
}

fn check_features(f: &DMatrix<f64>, labels: &[usize]) -> Result<()> {
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

/// Row norms; a zero row is an error for angular comparisons (no direction).
fn norms(f: &DMatrix<f64>) -> Result<Vec<f64>> {
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
pub fn pair_scores(
    f: &DMatrix<f64>,
    labels: &[usize],
    sim: Similarity,
) -> Result<(Vec<f64>, Vec<f64>)> {
    check_features(f, labels)?;
    let n = if sim == Similarity::Cosine {
        norms(f)?
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

// ANCHOR: tar_at_far
/// TAR at a given FAR: the threshold is the smallest score that accepts at
/// most `far` of the impostor pairs (scores strictly above it are accepted).
pub fn tar_at_far(genuine: &[f64], impostor: &[f64], far: f64) -> Result<f64> {
    ensure_len("genuine scores", genuine.len(), 1)?;
    ensure_len("impostor scores", impostor.len(), 1)?;
    if !(0.0..=1.0).contains(&far) {
        return Err(Error::InvalidParameter {
            name: "FAR",
            reason: format!("a false accept rate lies in [0, 1], got {far}"),
        });
    }
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
}
// ANCHOR_END: tar_at_far

/// ROC curve points `(FAR, TAR)` at every impostor score as threshold.
pub fn roc(genuine: &[f64], impostor: &[f64]) -> Vec<(f64, f64)> {
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
    out
}

/// Area under the ROC curve: the probability that a random genuine pair
/// scores above a random impostor pair (ties count one half).
pub fn auc(genuine: &[f64], impostor: &[f64]) -> f64 {
    let mut imp = impostor.to_vec();
    imp.sort_by(f64::total_cmp);
    let mut total = 0.0;
    for &s in genuine {
        let below = imp.partition_point(|&v| v < s);
        let ties = imp[below..].partition_point(|&v| v <= s);
        total += below as f64 + 0.5 * ties as f64;
    }
    total / (genuine.len() as f64 * imp.len() as f64)
}

/// The criterion "max intra-class distance < min inter-class distance"
/// measured on features, with angles (radians) between feature directions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FeatureCriterion {
    /// Largest angle between two features of the same class.
    pub max_intra: f64,
    /// Smallest angle between features of different classes.
    pub min_inter: f64,
    /// 95th percentile of same-class angles.
    pub intra_p95: f64,
    /// 5th percentile of different-class angles.
    pub inter_p05: f64,
}

impl FeatureCriterion {
    /// Whether the strict criterion holds.
    pub fn holds(&self) -> bool {
        self.max_intra < self.min_inter
    }
}

// ANCHOR: feature_criterion
/// The metric-learning criterion on learned features, by angle.
pub fn feature_criterion(f: &DMatrix<f64>, labels: &[usize]) -> Result<FeatureCriterion> {
    let (g, i) = pair_scores(f, labels, Similarity::Cosine)?;
    let to_angle = |v: Vec<f64>| -> Result<Vec<f64>> {
        let mut a = v
            .into_iter()
            .map(clamped_acos)
            .collect::<Result<Vec<f64>>>()?;
        a.sort_by(f64::total_cmp);
        Ok(a)
    };
    let (g, i) = (to_angle(g)?, to_angle(i)?);
    let q = |a: &[f64], p: f64| a[((a.len() - 1) as f64 * p).round() as usize];
    Ok(FeatureCriterion {
        max_intra: g[g.len() - 1],
        min_inter: i[0],
        intra_p95: q(&g, 0.95),
        inter_p05: q(&i, 0.05),
    })
}
// ANCHOR_END: feature_criterion

/// Angle between each feature and the weight of its own class (radians).
pub fn angles_to_own_weight(
    f: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
) -> Result<Vec<f64>> {
    check_features(f, labels)?;
    let nf = norms(f)?;
    let nw = norms(w)?;
    labels
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            if y >= w.nrows() {
                return Err(Error::InvalidParameter {
                    name: "label",
                    reason: format!("label {y} is out of range for {} classes", w.nrows()),
                });
            }
            clamped_acos(f.row(i).dot(&w.row(y)) / (nf[i] * nw[y]))
        })
        .collect()
}
