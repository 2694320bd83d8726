//! A synthetic two-class set that no linear classifier can separate: points
//! on two concentric shells in `d` dimensions.
//!
//! Class 0 has radius drawn uniformly from `[0, 1]`, class 1 from `[1.5, 2.5]`,
//! directions uniform on the sphere (normalised Gaussian vectors); the seed
//! fixes everything. Because the inner ball lies inside the convex hull of the
//! outer shell, every half-space that contains the outer class contains most
//! of the inner class too: the raw input is not linearly separable, while
//! `‖x‖²` (one quadratic feature) separates it perfectly. It stands in for
//! Fashion-MNIST, which the build does not download.

use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::error::{Result, ensure_len};

/// `n` points of the two shells in `dim` dimensions, alternating classes 0 and 1.
///
/// # Errors
/// [`crate::Error::TooFew`] for `n < 2` or `dim < 1`.
pub fn shells(n: usize, dim: usize, seed: u64) -> Result<(DMatrix<f64>, Vec<usize>)> {
    ensure_len("examples", n, 2)?;
    ensure_len("dimensions", dim, 1)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = DMatrix::zeros(n, dim);
    let mut y = Vec::with_capacity(n);
    for r in 0..n {
        let class = r % 2;
        let mut u: Vec<f64> = (0..dim).map(|_| rng.sample(StandardNormal)).collect();
        let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
        let radius = if class == 0 {
            rng.random_range(0.0..1.0)
        } else {
            rng.random_range(1.5..2.5)
        };
        for (j, v) in u.iter_mut().enumerate() {
            x[(r, j)] = *v / norm * radius;
        }
        y.push(class);
    }
    Ok((x, y))
}
