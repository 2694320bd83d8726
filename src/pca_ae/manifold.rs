//! A curved data set on which a non-linear autoencoder should beat PCA: a
//! one-dimensional curve whose linear span has `2m` dimensions, embedded in
//! `D` dimensions by a random orthonormal map, plus Gaussian noise.
//!
//! The curve is `t ↦ (cos πt, sin πt, cos 2πt, sin 2πt, …, cos mπt, sin mπt)`
//! for `t ∈ [0, 1)`. Its first pair traces half a circle, so the curve never
//! meets itself and `t` can be read off the point: one number is enough to
//! describe each point, yet every linear subspace of dimension below `2m`
//! misses part of it.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Uniform};

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// The parameters of the curved set.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Curve {
    /// Number of points.
    pub rows: usize,
    /// Ambient dimension `D`.
    pub dim: usize,
    /// Harmonics `m` (the linear span has `2m` dimensions).
    pub harmonics: usize,
    /// Standard deviation of the noise added to every coordinate.
    pub noise: f64,
    /// Seed of the parameters `t`, the embedding and the noise.
    pub seed: u64,
}

impl Curve {
    /// The dimension of the curve's linear span, `2m`.
    pub fn span(&self) -> usize {
        2 * self.harmonics
    }
}

/// The points of `c` (one per row) and their parameters `t`.
///
/// # Errors
/// [`Error::TooFew`] for no rows or harmonics; [`Error::InvalidParameter`] if
/// `2m > D` or the noise is negative; [`Error::NonFinite`] for a non-finite noise.
pub fn sample(c: &Curve) -> Result<(DMatrix<f64>, Vec<f64>)> {
    ensure_len("rows", c.rows, 1)?;
    ensure_len("harmonics", c.harmonics, 1)?;
    ensure_finite("noise", &[c.noise])?;
    if c.span() > c.dim || c.noise < 0.0 {
        return Err(Error::InvalidParameter {
            name: "curve",
            reason: format!(
                "needs 2m = {} ≤ D = {} and noise ≥ 0 (got {})",
                c.span(),
                c.dim,
                c.noise
            ),
        });
    }
    let mut rng = StdRng::seed_from_u64(c.seed);
    let gauss = Normal::new(0.0, 1.0).map_err(|e| Error::Data(e.to_string()))?;
    let unit = Uniform::new(0.0, 1.0).map_err(|e| Error::Data(e.to_string()))?;
    let g = DMatrix::from_fn(c.dim, c.span(), |_, _| gauss.sample(&mut rng));
    let q = g.qr().q(); // D × 2m, orthonormal columns
    // ANCHOR: curve
    let t: Vec<f64> = (0..c.rows).map(|_| unit.sample(&mut rng)).collect();
    let f = DMatrix::from_fn(c.rows, c.span(), |i, j| {
        let a = std::f64::consts::PI * (j / 2 + 1) as f64 * t[i];
        if j % 2 == 0 { a.cos() } else { a.sin() }
    });
    let noise = DMatrix::from_fn(c.rows, c.dim, |_, _| c.noise * gauss.sample(&mut rng));
    Ok((f * q.transpose() + noise, t))
    // ANCHOR_END: curve
}
