//! When a softmax bias can matter: two small exact computations.

use crate::error::{Error, Result, ensure_finite, ensure_len};

fn check_binary(f: &[f64], y: &[usize]) -> Result<()> {
    ensure_len("features", f.len(), 1)?;
    ensure_finite("features", f)?;
    if f.len() != y.len() {
        return Err(Error::ShapeMismatch {
            what: "labels vs features",
            expected: f.len().to_string(),
            got: y.len().to_string(),
        });
    }
    if let Some(&bad) = y.iter().find(|&&k| k > 1) {
        return Err(Error::InvalidParameter {
            name: "label",
            reason: format!("label {bad} is out of range for 2 classes"),
        });
    }
    Ok(())
}

// ANCHOR: no_constant
/// Best training accuracy of a two-class softmax on fixed 1-D features
/// *without* bias: the decision is the sign of `(w₁ − w₂) f`, so only the
/// sign of `f` can separate the classes.
///
/// # Errors
///
/// [`Error::TooFew`] for no features; [`Error::NonFinite`] for a NaN or infinite
/// feature; [`Error::ShapeMismatch`] when `f` and `y` differ in length;
/// [`Error::InvalidParameter`] for a label other than 0 or 1.
pub fn best_accuracy_without_bias(f: &[f64], y: &[usize]) -> Result<f64> {
    check_binary(f, y)?;
    let n = f.len() as f64;
    // δ > 0: class 0 where f > 0, class 1 where f < 0 (f = 0 is a tie, counted wrong).
    let pos = f
        .iter()
        .zip(y)
        .filter(|&(&v, &k)| (v > 0.0 && k == 0) || (v < 0.0 && k == 1))
        .count() as f64;
    let neg = f
        .iter()
        .zip(y)
        .filter(|&(&v, &k)| (v > 0.0 && k == 1) || (v < 0.0 && k == 0))
        .count() as f64;
    // δ = 0 gives equal logits everywhere: a tie, counted wrong.
    Ok(pos.max(neg) / n)
}
// ANCHOR_END: no_constant

/// Best training accuracy *with* a bias: the logit difference
/// `(w₁ − w₂) f + (b₁ − b₂)` can put its threshold anywhere.
///
/// # Errors
///
/// [`Error::TooFew`] for no features; [`Error::NonFinite`] for a NaN or infinite
/// feature; [`Error::ShapeMismatch`] when `f` and `y` differ in length;
/// [`Error::InvalidParameter`] for a label other than 0 or 1.
pub fn best_accuracy_with_bias(f: &[f64], y: &[usize]) -> Result<f64> {
    check_binary(f, y)?;
    let mut v: Vec<(f64, usize)> = f.iter().copied().zip(y.iter().copied()).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = v.len();
    let total1 = v.iter().filter(|p| p.1 == 1).count();
    let mut best = 0usize;
    let mut below0 = 0usize;
    let mut below1 = 0usize;
    for k in 0..=n {
        // Threshold between v[k−1] and v[k] (skip splits inside ties).
        if k > 0 && k < n && v[k - 1].0 == v[k].0 {
            if v[k - 1].1 == 0 {
                below0 += 1;
            } else {
                below1 += 1;
            }
            continue;
        }
        let above1 = total1 - below1;
        let above0 = (n - total1) - below0;
        best = best.max(below0 + above1).max(below1 + above0);
        if k < n {
            if v[k].1 == 0 {
                below0 += 1;
            } else {
                below1 += 1;
            }
        }
    }
    Ok(best as f64 / n as f64)
}

// ANCHOR: bounded_logits
/// The smallest expected cross-entropy `−Σ_j p_j log q_j(z)` of a prediction
/// that carries no information about the input (the same logits `z` for
/// every example) when every logit is confined to `[−s, s]`, as the logits
/// `s cos θ` of normalized features and weights without bias are. Computed
/// by projected gradient descent on the convex function
/// `−p·z + log Σ e^{z_j}` (step 1, which is below 2/L for L ≤ 1/2).
/// With a free bias the minimum is the entropy `H(p)`, reached at `z = log p`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than two classes; [`Error::NonFinite`] for a NaN or
/// infinite prior or `s`; [`Error::InvalidParameter`] unless every prior probability
/// is positive, they sum to 1 (within `1e-9`) and `s ≥ 0`.
pub fn min_loss_bounded_logits(prior: &[f64], s: f64) -> Result<f64> {
    ensure_len("classes", prior.len(), 2)?;
    ensure_finite("prior", prior)?;
    ensure_finite("scale", &[s])?;
    let total: f64 = prior.iter().sum();
    if prior.iter().any(|&p| p <= 0.0) || (total - 1.0).abs() > 1e-9 || s < 0.0 {
        return Err(Error::InvalidParameter {
            name: "prior or scale",
            reason: "the prior must be positive and sum to 1, and s ≥ 0".into(),
        });
    }
    let f = |z: &[f64]| -> f64 {
        let mx = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + z.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
        lse - prior.iter().zip(z).map(|(p, v)| p * v).sum::<f64>()
    };
    let mut z: Vec<f64> = prior.iter().map(|p| p.ln().clamp(-s, s)).collect();
    // ANCHOR: projected_step
    for _ in 0..20_000 {
        let mx = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = z.iter().map(|v| (v - mx).exp()).collect();
        let se: f64 = e.iter().sum();
        for j in 0..z.len() {
            z[j] = (z[j] - (e[j] / se - prior[j])).clamp(-s, s);
        }
    }
    // ANCHOR_END: projected_step
    Ok(f(&z))
}

/// The entropy `H(p) = −Σ p_j log p_j`.
pub fn entropy(prior: &[f64]) -> f64 {
    -prior
        .iter()
        .map(|p| if *p > 0.0 { p * p.ln() } else { 0.0 })
        .sum::<f64>()
}
// ANCHOR_END: bounded_logits
