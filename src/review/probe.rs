//! Linear probes: how well a linear classifier separates the classes on a
//! given representation (the raw input, a hidden layer, hand-made features).
//!
//! The classifier is L2-regularised logistic regression fitted by Newton's
//! method (IRLS) from the Newton chapter ([`crate::newton::logistic::irls`]),
//! one class against the rest, predicting the class of highest score. Each
//! feature is standardised with the training mean and deviation; a feature
//! that is constant on the training set carries no information and is dropped.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::newton::Options;
use crate::newton::logistic::{HostLogistic, LogisticData, irls};

/// Ridge weight `λ` of every probe (the loss is a sum over examples, so this is tiny).
pub const PROBE_LAMBDA: f64 = 1e-2;

/// Training and held-out accuracy of one probe.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ProbeAccuracy {
    /// Accuracy on the examples the probe was fitted to.
    pub train: f64,
    /// Accuracy on held-out examples.
    pub test: f64,
}

fn check(x: &DMatrix<f64>, y: &[usize], what: &'static str) -> Result<()> {
    ensure_len(what, x.nrows(), 1)?;
    ensure_len("features", x.ncols(), 1)?;
    if y.len() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "features and labels",
            expected: format!("{} labels", x.nrows()),
            got: format!("{} labels", y.len()),
        });
    }
    ensure_finite("features", x.as_slice())
}

/// Standardises the columns of `train` and `test` with `train`'s statistics,
/// drops the columns constant on `train`, and prepends an intercept column.
fn designs(train: &DMatrix<f64>, test: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
    let m = train.nrows() as f64;
    let keep: Vec<(usize, f64, f64)> = (0..train.ncols())
        .filter_map(|j| {
            let c = train.column(j);
            let mean = c.mean();
            let sd = (c.map(|v| (v - mean).powi(2)).sum() / m).sqrt();
            (sd > 1e-12).then_some((j, mean, sd))
        })
        .collect();
    let build = |x: &DMatrix<f64>| {
        DMatrix::from_fn(x.nrows(), keep.len() + 1, |r, c| {
            if c == 0 {
                1.0
            } else {
                let (j, mean, sd) = keep[c - 1];
                (x[(r, j)] - mean) / sd
            }
        })
    };
    (build(train), build(test))
}

// ANCHOR: probe
/// Fits one-against-the-rest logistic regressions on `(train_x, train_y)` by
/// IRLS and reports the accuracy of the highest-scoring class on both sets.
///
/// # Errors
/// [`Error::TooFew`] for an empty set or no features or fewer than 2 classes,
/// [`Error::ShapeMismatch`] for labels that do not match the rows or test
/// features whose number differs, [`Error::InvalidParameter`] for a label not
/// below `classes`, [`Error::NonFinite`].
pub fn linear_probe(
    train_x: &DMatrix<f64>,
    train_y: &[usize],
    test_x: &DMatrix<f64>,
    test_y: &[usize],
    classes: usize,
) -> Result<ProbeAccuracy> {
    ensure_len("classes", classes, 2)?;
    check(train_x, train_y, "training examples")?;
    check(test_x, test_y, "test examples")?;
    if test_x.ncols() != train_x.ncols() {
        return Err(Error::ShapeMismatch {
            what: "training and test features",
            expected: train_x.ncols().to_string(),
            got: test_x.ncols().to_string(),
        });
    }
    if let Some(k) = train_y.iter().chain(test_y).find(|&&k| k >= classes) {
        return Err(Error::InvalidParameter {
            name: "class label",
            reason: format!("label {k} is not below the number of classes {classes}"),
        });
    }
    let (dx, tx) = designs(train_x, test_x);
    let fits = if classes == 2 { 1 } else { classes };
    let (mut s_train, mut s_test) = (Vec::new(), Vec::new());
    // ANCHOR: probe_fit
    for c in 0..fits {
        let target = if classes == 2 { 1 } else { c };
        let y = DVector::from_iterator(
            train_y.len(),
            train_y.iter().map(|&k| f64::from(u8::from(k == target))),
        );
        let obj = HostLogistic::new(LogisticData { x: dx.clone(), y }, PROBE_LAMBDA)?;
        let w = match irls(&obj, &DVector::zeros(dx.ncols()), &Options::new(1e-6, 30)) {
            Ok(sol) => sol.x,
            // Nearly separable classes: the last iterate already separates them.
            Err(Error::NoConvergence { last, .. }) => DVector::from_vec(last),
            Err(e) => return Err(e),
        };
        s_train.push(&dx * &w);
        s_test.push(&tx * &w);
    }
    // ANCHOR_END: probe_fit
    let acc = |scores: &[DVector<f64>], y: &[usize]| {
        let hits = (0..y.len())
            .filter(|&r| {
                let pred = if classes == 2 {
                    usize::from(scores[0][r] > 0.0)
                } else {
                    (0..classes)
                        .max_by(|&a, &b| scores[a][r].total_cmp(&scores[b][r]))
                        .unwrap_or(0)
                };
                pred == y[r]
            })
            .count();
        hits as f64 / y.len() as f64
    };
    Ok(ProbeAccuracy {
        train: acc(&s_train, train_y),
        test: acc(&s_test, test_y),
    })
}
// ANCHOR_END: probe

// ANCHOR: handmade
/// Hand-made features of an 8 × 8 digit (one image per row of `x`, row-major):
/// the 8 row sums, the 8 column sums, and a histogram of gradient orientations
/// (4 unsigned orientation bins, weighted by gradient magnitude) in each of the
/// four 4 × 4 quadrants: 32 features.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless `x` has 64 columns; [`Error::TooFew`] for no rows.
pub fn handmade_features(x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    ensure_len("images", x.nrows(), 1)?;
    if x.ncols() != 64 {
        return Err(Error::ShapeMismatch {
            what: "digit images",
            expected: "64 pixels (8 × 8)".into(),
            got: x.ncols().to_string(),
        });
    }
    let mut f = DMatrix::zeros(x.nrows(), 32);
    for r in 0..x.nrows() {
        let p = |i: usize, j: usize| x[(r, 8 * i + j)];
        for i in 0..8 {
            f[(r, i)] = (0..8).map(|j| p(i, j)).sum::<f64>();
            f[(r, 8 + i)] = (0..8).map(|j| p(j, i)).sum::<f64>();
        }
        for i in 0..8 {
            for j in 0..8 {
                let gx = p(i, (j + 1).min(7)) - p(i, j.saturating_sub(1));
                let gy = p((i + 1).min(7), j) - p(i.saturating_sub(1), j);
                let mag = gx.hypot(gy);
                if mag == 0.0 {
                    continue;
                }
                let angle = gy.atan2(gx).rem_euclid(std::f64::consts::PI);
                let bin = ((angle / std::f64::consts::FRAC_PI_4) as usize).min(3);
                let quadrant = 2 * (i / 4) + j / 4;
                f[(r, 16 + 4 * quadrant + bin)] += mag;
            }
        }
    }
    Ok(f)
}
// ANCHOR_END: handmade
