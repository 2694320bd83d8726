//! The metric-learning criterion on learned features, by angle.
//!
//! The pair scores, ROC, AUC and TAR at FAR it builds on are in
//! [`crate::nn::metrics`].

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::nn::metrics::{Similarity, check_features, pair_scores, row_norms};
use crate::numeric::clamped_acos;

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
///
/// # Errors
/// As [`pair_scores`] with cosine similarity (too few features or pairs,
/// non-finite or zero features, labels that do not match).
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
///
/// # Errors
/// As [`check_features`]; [`Error::InvalidParameter`] for a zero feature or
/// weight row or a label with no weight row.
pub fn angles_to_own_weight(
    f: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[usize],
) -> Result<Vec<f64>> {
    check_features(f, labels)?;
    let nf = row_norms(f)?;
    let nw = row_norms(w)?;
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
