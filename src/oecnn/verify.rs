//! Cross-age verification as face papers report it, and the linear age
//! probe that measures how much age a representation still carries.
//!
//! Genuine pairs: two images of one identity far apart in age
//! (`|z_i − z_j| ≥ gap`, different source images). Impostor pairs: images
//! of different identities at matched ages (`|z_i − z_j| ≤ tol`). Scores
//! are cosines; ROC, AUC and TAR at FAR come from [`crate::nn::metrics`].

use nalgebra::{DMatrix, DVector};

use super::age::{check_ages, check_identities};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::metrics::row_norms;

/// Index pairs `(i, j)`, `i < j`, of a cross-age protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairs {
    /// Same identity, far apart in age.
    pub genuine: Vec<(usize, usize)>,
    /// Different identities, matched ages.
    pub impostor: Vec<(usize, usize)>,
}

// ANCHOR: cross_age_pairs
/// The cross-age pairs of a set with identities, ages and source images.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; the age checks'
/// errors; [`Error::InvalidParameter`] for an identity with one image or a
/// gap or tolerance that is negative or not finite; [`Error::TooFew`] if the
/// protocol yields no genuine or no impostor pair.
pub fn cross_age_pairs(
    identity: &[usize],
    age: &[f64],
    source: &[usize],
    gap: f64,
    tol: f64,
) -> Result<Pairs> {
    for (what, n) in [
        ("ages vs identities", age.len()),
        ("sources vs identities", source.len()),
    ] {
        if n != identity.len() {
            return Err(Error::ShapeMismatch {
                what,
                expected: identity.len().to_string(),
                got: n.to_string(),
            });
        }
    }
    check_ages(age)?;
    check_identities(identity)?;
    ensure_finite("gap and tolerance", &[gap, tol])?;
    if gap < 0.0 || tol < 0.0 {
        return Err(Error::InvalidParameter {
            name: "gap and tolerance",
            reason: "age differences are ≥ 0".into(),
        });
    }
    // ANCHOR: pairs_loop
    let (mut genuine, mut impostor) = (vec![], vec![]);
    for i in 0..identity.len() {
        for j in i + 1..identity.len() {
            let dz = (age[i] - age[j]).abs();
            if identity[i] == identity[j] {
                if dz >= gap && source[i] != source[j] {
                    genuine.push((i, j));
                }
            } else if dz <= tol {
                impostor.push((i, j));
            }
        }
    }
    // ANCHOR_END: pairs_loop
    ensure_len("genuine cross-age pairs", genuine.len(), 1)?;
    ensure_len("impostor matched-age pairs", impostor.len(), 1)?;
    Ok(Pairs { genuine, impostor })
}
// ANCHOR_END: cross_age_pairs

/// Cosine scores of the pairs, from embeddings (one row per image).
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite embedding; [`Error::InvalidParameter`]
/// for a zero embedding or a pair index out of range.
pub fn scores(e: &DMatrix<f64>, pairs: &Pairs) -> Result<(Vec<f64>, Vec<f64>)> {
    ensure_finite("embeddings", e.as_slice())?;
    let n = row_norms(e)?;
    let cos = |&(i, j): &(usize, usize)| -> Result<f64> {
        if i >= e.nrows() || j >= e.nrows() {
            return Err(Error::InvalidParameter {
                name: "pair",
                reason: format!(
                    "pair ({i}, {j}) is out of range for {} embeddings",
                    e.nrows()
                ),
            });
        }
        Ok((e.row(i).dot(&e.row(j)) / (n[i] * n[j])).clamp(-1.0, 1.0))
    };
    Ok((
        pairs.genuine.iter().map(cos).collect::<Result<_>>()?,
        pairs.impostor.iter().map(cos).collect::<Result<_>>()?,
    ))
}

/// Rows scaled to unit norm.
///
/// # Errors
/// As [`row_norms`] (a zero row has no direction).
pub fn normalize_rows(f: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let n = row_norms(f)?;
    let mut out = f.clone();
    for (i, ni) in n.iter().enumerate() {
        out.row_mut(i).scale_mut(1.0 / ni);
    }
    Ok(out)
}

// ANCHOR: age_probe
/// The linear age probe: ridge regression `z ≈ a·f + b` (penalty `ridge` on
/// `a`) fitted on `(train_f, train_z)`, scored by `R² = 1 − SSE/SST` on
/// `(test_f, test_z)`. `R² ≈ 0`: no linearly readable age; 1: all of it.
///
/// # Errors
/// [`Error::ShapeMismatch`] for mismatched sizes; [`Error::TooFew`] for
/// fewer than two test rows; [`Error::NonFinite`] for non-finite input;
/// [`Error::InvalidParameter`] for a negative ridge or constant test ages;
/// [`Error::Singular`] if the normal equations cannot be solved.
pub fn age_probe(
    train_f: &DMatrix<f64>,
    train_z: &[f64],
    test_f: &DMatrix<f64>,
    test_z: &[f64],
    ridge: f64,
) -> Result<f64> {
    if train_z.len() != train_f.nrows() || test_z.len() != test_f.nrows() {
        return Err(Error::ShapeMismatch {
            what: "ages vs features",
            expected: format!("{} and {}", train_f.nrows(), test_f.nrows()),
            got: format!("{} and {}", train_z.len(), test_z.len()),
        });
    }
    if train_f.ncols() != test_f.ncols() {
        return Err(Error::ShapeMismatch {
            what: "train vs test feature width",
            expected: train_f.ncols().to_string(),
            got: test_f.ncols().to_string(),
        });
    }
    ensure_len("test rows", test_z.len(), 2)?;
    ensure_finite("probe inputs", train_f.as_slice())?;
    ensure_finite("probe inputs", test_f.as_slice())?;
    ensure_finite("probe ages", train_z)?;
    ensure_finite("probe ages", test_z)?;
    ensure_finite("ridge", &[ridge])?;
    if ridge < 0.0 {
        return Err(Error::InvalidParameter {
            name: "ridge",
            reason: "a ridge penalty is ≥ 0".into(),
        });
    }
    let d = train_f.ncols();
    let a = train_f.clone().insert_column(d, 1.0);
    let mut g = a.transpose() * &a;
    for k in 0..d {
        g[(k, k)] += ridge;
    }
    let rhs = a.transpose() * DVector::from_column_slice(train_z);
    let coef = g.lu().solve(&rhs).ok_or(Error::Singular {
        what: "probe normal equations",
        detail: "no unique least-squares fit".into(),
    })?;
    let pred = test_f.clone().insert_column(d, 1.0) * coef;
    let mean = test_z.iter().sum::<f64>() / test_z.len() as f64;
    let sst: f64 = test_z.iter().map(|z| (z - mean).powi(2)).sum();
    if sst == 0.0 {
        return Err(Error::InvalidParameter {
            name: "test ages",
            reason: "all test ages are equal, so R² is undefined".into(),
        });
    }
    let sse: f64 = test_z
        .iter()
        .zip(pred.iter())
        .map(|(z, p)| (z - p).powi(2))
        .sum();
    Ok(1.0 - sse / sst)
}
// ANCHOR_END: age_probe

/// `R²` of a given prediction against the truth.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::TooFew`], [`Error::NonFinite`], or
/// [`Error::InvalidParameter`] for a constant truth.
pub fn r_squared(pred: &[f64], truth: &[f64]) -> Result<f64> {
    if pred.len() != truth.len() {
        return Err(Error::ShapeMismatch {
            what: "predictions vs truth",
            expected: truth.len().to_string(),
            got: pred.len().to_string(),
        });
    }
    ensure_len("values", truth.len(), 2)?;
    ensure_finite("predictions", pred)?;
    ensure_finite("truth", truth)?;
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let sst: f64 = truth.iter().map(|z| (z - mean).powi(2)).sum();
    if sst == 0.0 {
        return Err(Error::InvalidParameter {
            name: "truth",
            reason: "a constant truth has no variance to explain".into(),
        });
    }
    let sse: f64 = truth.iter().zip(pred).map(|(z, p)| (z - p).powi(2)).sum();
    Ok(1.0 - sse / sst)
}
