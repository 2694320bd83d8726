//! Imbalanced subsets of a labelled set, and Spearman's rank correlation.

use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// Class sizes spread geometrically from `smallest` (class 0) to `largest`
/// (class `classes − 1`): `n_j = round(smallest · (largest/smallest)^{j/(C−1)})`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two classes; [`Error::InvalidParameter`] unless
/// `1 ≤ smallest ≤ largest`.
pub fn geometric_sizes(classes: usize, smallest: usize, largest: usize) -> Result<Vec<usize>> {
    ensure_len("classes", classes, 2)?;
    if smallest == 0 || largest < smallest {
        return Err(Error::InvalidParameter {
            name: "class sizes",
            reason: format!("need 1 ≤ smallest ≤ largest, got {smallest} and {largest}"),
        });
    }
    let r = largest as f64 / smallest as f64;
    Ok((0..classes)
        .map(|j| (smallest as f64 * r.powf(j as f64 / (classes - 1) as f64)).round() as usize)
        .collect())
}

/// The first `sizes[j]` examples of each class `j`.
///
/// # Errors
///
/// [`Error::Data`] when a class has fewer examples than `sizes` asks for;
/// [`Error::ShapeMismatch`] unless `y` has one label per row of `x`. Labels at or
/// above `sizes.len()` are skipped.
pub fn subset(
    x: &DMatrix<f64>,
    y: &[usize],
    sizes: &[usize],
) -> Result<(DMatrix<f64>, Vec<usize>)> {
    if y.len() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "class subset",
            expected: format!("one label per row of x ({} rows)", x.nrows()),
            got: format!("{} labels", y.len()),
        });
    }
    let mut seen = vec![0usize; sizes.len()];
    let rows: Vec<usize> = (0..y.len())
        .filter(|&r| {
            let k = y[r];
            if k < sizes.len() && seen[k] < sizes[k] {
                seen[k] += 1;
                true
            } else {
                false
            }
        })
        .collect();
    for (k, (&got, &want)) in seen.iter().zip(sizes).enumerate() {
        if got < want {
            return Err(Error::Data(format!(
                "class {k} has only {got} examples, {want} requested"
            )));
        }
    }
    Ok((x.select_rows(&rows), rows.iter().map(|&r| y[r]).collect()))
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

// ANCHOR: spearman
/// Spearman's rank correlation: Pearson's correlation of the ranks (ties
/// get their average rank).
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two values; [`Error::NonFinite`] for a NaN or
/// infinite value; [`Error::ShapeMismatch`] when `a` and `b` differ in length;
/// [`Error::InvalidParameter`] when all values of `a`, or all of `b`, are equal (no
/// rank correlation).
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    ensure_len("values", a.len(), 2)?;
    ensure_finite("values", a)?;
    ensure_finite("values", b)?;
    if a.len() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "paired values",
            expected: a.len().to_string(),
            got: b.len().to_string(),
        });
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        return Err(Error::InvalidParameter {
            name: "values",
            reason: "a rank correlation needs values that are not all equal".into(),
        });
    }
    Ok(cov / (va * vb).sqrt())
}
// ANCHOR_END: spearman
