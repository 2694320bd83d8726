//! The radius of convergence, estimated from the Taylor coefficients.
//!
//! Cauchy–Hadamard: the series `Σ c_n (x − a)^n` converges for `|x − a| < R`
//! and diverges for `|x − a| > R`, where `1/R = limsup |c_n|^{1/n}` (Rudin,
//! Theorem 3.39). For a function analytic in a disc, `R` is the distance from
//! `a` to the nearest singularity **in the complex plane** (Ahlfors, *Complex
//! Analysis*, 3rd ed., chapter 5, §1), which is why `1/(1+x²)`, smooth on all of ℝ,
//! has `R = sqrt(1 + a²)`: its poles sit at `±i`.
//!
//! Estimating a limsup from finitely many coefficients needs a model of how
//! they behave. Near an algebraic or logarithmic singularity at distance `R`,
//! `|c_n| ≈ C n^α R^{−n}` (Flajolet & Sedgewick, *Analytic Combinatorics*,
//! Theorem VI.1 and §VI.2), i.e. `ln|c_n| ≈ ln C + α ln n − n ln R`. The
//! estimate fits that line by least squares to the tail of the coefficients,
//! keeping only the largest `|c_n|` of each block of consecutive indices (the
//! upper envelope: even functions have zero odd coefficients, and a complex
//! pair of singularities makes `|c_n|` oscillate).

use nalgebra::{DMatrix, DVector};

use crate::Error;
use crate::error::{Result, ensure_finite};

/// The fitted model `ln|c_n| ≈ ln C + α ln n − n ln R`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadiusEstimate {
    /// `R` (infinite if every coefficient in the tail is zero).
    pub radius: f64,
    /// The power `α` of `n` in the model.
    pub alpha: f64,
    /// How many envelope points the fit used.
    pub points: usize,
}

// ANCHOR: estimate_radius
/// Estimates the radius of convergence from `coeffs[from..]`, taking the
/// largest `|c_n|` of each block of `block` consecutive indices.
///
/// # Errors
///
/// [`Error::NonFinite`] if a coefficient is NaN or infinite;
/// [`Error::InvalidParameter`] for `block == 0` or `from ≥ coeffs.len()`;
/// [`Error::TooFew`] if fewer than 4 blocks have a nonzero coefficient (three
/// parameters need at least one point to spare); [`Error::Singular`] if the
/// least-squares fit of the envelope cannot be solved.
pub fn estimate_radius(coeffs: &[f64], from: usize, block: usize) -> Result<RadiusEstimate> {
    ensure_finite("coefficients", coeffs)?;
    if block == 0 || from >= coeffs.len() {
        return Err(Error::InvalidParameter {
            name: "from/block",
            reason: format!(
                "need block ≥ 1 and from < {} (the number of coefficients), got from = {from}, block = {block}",
                coeffs.len()
            ),
        });
    }
    let tail = &coeffs[from..];
    if tail.iter().all(|&c| c == 0.0) {
        // A polynomial: the series converges everywhere.
        return Ok(RadiusEstimate {
            radius: f64::INFINITY,
            alpha: 0.0,
            points: 0,
        });
    }
    // ANCHOR: radius_envelope
    let envelope: Vec<(f64, f64)> = tail
        .chunks(block)
        .enumerate()
        .filter_map(|(b, chunk)| {
            let (i, c) = chunk
                .iter()
                .enumerate()
                .max_by(|p, q| p.1.abs().total_cmp(&q.1.abs()))?;
            let n = (from + b * block + i) as f64;
            (*c != 0.0 && n > 0.0).then(|| (n, c.abs().ln()))
        })
        .collect();
    // ANCHOR_END: radius_envelope
    if envelope.len() < 4 {
        return Err(Error::TooFew {
            name: "blocks with a nonzero coefficient",
            needed: 4,
            got: envelope.len(),
        });
    }
    let design = DMatrix::from_fn(envelope.len(), 3, |r, col| match col {
        0 => 1.0,
        1 => envelope[r].0.ln(),
        _ => envelope[r].0,
    });
    let rhs = DVector::from_iterator(envelope.len(), envelope.iter().map(|p| p.1));
    let beta = design
        .svd(true, true)
        .solve(&rhs, 1e-12)
        .map_err(|e| Error::Singular {
            what: "radius fit",
            detail: e.to_string(),
        })?;
    Ok(RadiusEstimate {
        radius: (-beta[2]).exp(),
        alpha: beta[1],
        points: envelope.len(),
    })
}
// ANCHOR_END: estimate_radius
