//! The softmax cross-entropy of a bias-free linear head, written from its
//! definition and generic over the number type.
//!
//! Sample `i` has a feature `x_i ∈ ℝ^d`, a label `y_i` and a multiplicity
//! `c_i` (how many identical samples it stands for). The head's weights are
//! the rows `w_j` of a `C × d` matrix, flattened row by row into the
//! parameter vector; the logits are `z_{i,j} = w_jᵀ x_i` and the loss is
//!
//! `L(W) = Σ_i c_i (log Σ_k e^{z_{i,k}} − z_{i,y_i})`,
//!
//! the definition `−Σ_i Σ_j a_{ij} log p_{ij}` with the log-probability taken
//! through [`crate::numeric::log_sum_exp`]. Nothing here knows the two-class
//! simplification of the chapter: [`crate::diff::gradient`] differentiates
//! this code, and the tests compare that gradient with the closed form.

use crate::diff::{Field, Scalar};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::numeric::log_sum_exp;

/// The summed softmax cross-entropy of a bias-free head as a function of its
/// weights (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct CrossEntropy {
    classes: usize,
    features: Vec<Vec<f64>>,
    labels: Vec<usize>,
    counts: Vec<f64>,
}

impl CrossEntropy {
    /// The loss of the samples `features[i]` with labels `labels[i]`, each
    /// counted `counts[i]` times, for a head with `classes` classes.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 classes or no sample;
    /// [`Error::ShapeMismatch`] if the three lists differ in length or the
    /// features in dimension; [`Error::InvalidParameter`] for a label out of
    /// range or a negative count; [`Error::NonFinite`] for a non-finite
    /// feature or count.
    pub fn new(
        classes: usize,
        features: Vec<Vec<f64>>,
        labels: Vec<usize>,
        counts: Vec<f64>,
    ) -> Result<CrossEntropy> {
        ensure_len("classes", classes, 2)?;
        ensure_len("samples", features.len(), 1)?;
        for (what, len) in [("labels", labels.len()), ("counts", counts.len())] {
            if len != features.len() {
                return Err(Error::ShapeMismatch {
                    what,
                    expected: features.len().to_string(),
                    got: len.to_string(),
                });
            }
        }
        let d = features[0].len();
        ensure_len("feature dimension", d, 1)?;
        for f in &features {
            if f.len() != d {
                return Err(Error::ShapeMismatch {
                    what: "feature dimension",
                    expected: d.to_string(),
                    got: f.len().to_string(),
                });
            }
            ensure_finite("features", f)?;
        }
        ensure_finite("counts", &counts)?;
        if let Some(&y) = labels.iter().find(|&&y| y >= classes) {
            return Err(Error::InvalidParameter {
                name: "labels",
                reason: format!("label {y} is out of range for {classes} classes"),
            });
        }
        if counts.iter().any(|&c| c < 0.0) {
            return Err(Error::InvalidParameter {
                name: "counts",
                reason: "a sample cannot be counted a negative number of times".into(),
            });
        }
        Ok(CrossEntropy {
            classes,
            features,
            labels,
            counts,
        })
    }

    /// The feature dimension `d`.
    pub fn feature_dim(&self) -> usize {
        self.features[0].len()
    }
}

impl Field for CrossEntropy {
    fn dim(&self) -> usize {
        self.classes * self.feature_dim()
    }

    fn eval<S: Scalar>(&self, w: &[S]) -> S {
        let d = self.feature_dim();
        let mut total = S::cst(0.0);
        for ((x, &y), &c) in self.features.iter().zip(&self.labels).zip(&self.counts) {
            let z: Vec<S> = (0..self.classes)
                .map(|j| {
                    x.iter()
                        .enumerate()
                        .fold(S::cst(0.0), |s, (k, &xk)| s + w[j * d + k] * S::cst(xk))
                })
                .collect();
            // `classes ≥ 2`, so the log-sum-exp has terms and cannot fail.
            let lse = log_sum_exp(&z).unwrap_or_else(|_| S::cst(f64::NAN));
            total = total + S::cst(c) * (lse - z[y]);
        }
        total
    }
}
