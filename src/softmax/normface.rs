//! NormFace's lower bound on the softmax loss with normalized features and weights.
//!
//! Wang, Xiang, Cheng & Yuille, *NormFace: L2 Hypersphere Embedding for Face
//! Verification*, ACM MM 2017, Proposition 2: with `n` classes, features and
//! weights of norm 1 and logits scaled by `s`, the class-balanced softmax loss
//! is at least `log(1 + (n − 1) e^{−s n/(n−1)})`, with equality when the
//! weights form a regular simplex and every feature sits on its class weight.

use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_finite, ensure_len};

fn check_n(n: usize) -> Result<()> {
    ensure_len("classes", n, 2)
}

// ANCHOR: bound
/// `log(1 + (n − 1) e^{−s n/(n−1)})`, the smallest mean loss reachable with scale `s`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two classes; [`Error::NonFinite`] for a NaN or
/// infinite `s`.
pub fn loss_lower_bound(n: usize, s: f64) -> Result<f64> {
    check_n(n)?;
    ensure_finite("scale", &[s])?;
    let nf = n as f64;
    Ok(((nf - 1.0) * (-s * nf / (nf - 1.0)).exp()).ln_1p())
}

/// The smallest scale for which the bound allows a mean loss `ε`:
/// `s ≥ (n−1)/n · log((n − 1)/(e^ε − 1))` (solve the bound for `s`).
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two classes; [`Error::NonFinite`] for a NaN or
/// infinite `eps`; [`Error::InvalidParameter`] for `eps ≤ 0` (a softmax loss is
/// positive).
pub fn min_scale(n: usize, eps: f64) -> Result<f64> {
    check_n(n)?;
    ensure_finite("target loss", &[eps])?;
    if eps <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "target loss",
            reason: "a softmax loss is positive; the target must be > 0".into(),
        });
    }
    let nf = n as f64;
    Ok(((nf - 1.0) / nf * ((nf - 1.0) / eps.exp_m1()).ln()).max(0.0))
}
// ANCHOR_END: bound

/// Mean loss of one feature per class, `x_i` on the unit sphere, against unit
/// weights `w` (rows), logits `s · x_i·w_j` (stable log-sum-exp).
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two classes (rows of `w`); [`Error::NonFinite`]
/// for a NaN or infinite feature or weight; [`Error::ShapeMismatch`] unless `x` has
/// the shape of `w` (one feature per class); [`Error::InvalidParameter`] for a zero
/// row, which cannot be normalized.
pub fn balanced_loss(x: &DMatrix<f64>, w: &DMatrix<f64>, s: f64) -> Result<f64> {
    ensure_len("classes", w.nrows(), 2)?;
    ensure_finite("features", x.as_slice())?;
    ensure_finite("weights", w.as_slice())?;
    if x.nrows() != w.nrows() || x.ncols() != w.ncols() {
        return Err(Error::ShapeMismatch {
            what: "one feature per class",
            expected: format!("{}×{}", w.nrows(), w.ncols()),
            got: format!("{}×{}", x.nrows(), x.ncols()),
        });
    }
    let unit = |m: &DMatrix<f64>, what: &'static str| -> Result<DMatrix<f64>> {
        let mut out = m.clone();
        for i in 0..m.nrows() {
            let r = m.row(i).norm();
            if r == 0.0 {
                return Err(Error::InvalidParameter {
                    name: what,
                    reason: format!("row {i} is the zero vector and cannot be normalized"),
                });
            }
            out.set_row(i, &(m.row(i) / r));
        }
        Ok(out)
    };
    let (x, w) = (unit(x, "features")?, unit(w, "weights")?);
    let z = &x * w.transpose() * s;
    let mut total = 0.0;
    // ANCHOR: stable_lse
    for i in 0..z.nrows() {
        let row = z.row(i);
        let mx = row.max();
        total += mx + row.iter().map(|v| (v - mx).exp()).sum::<f64>().ln() - row[i];
    }
    // ANCHOR_END: stable_lse
    Ok(total / z.nrows() as f64)
}

/// The vertices of a regular simplex with `n` unit vectors in `n` dimensions
/// (`e_i − 1/n`, normalized): pairwise cosine `−1/(n−1)`.
///
/// # Errors
///
/// [`Error::TooFew`] for `n < 2`.
pub fn simplex(n: usize) -> Result<DMatrix<f64>> {
    check_n(n)?;
    let nf = n as f64;
    let mut w = DMatrix::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - 1.0 / nf);
    for i in 0..n {
        let r = w.row(i).norm();
        w.set_row(i, &(w.row(i) / r));
    }
    Ok(w)
}
