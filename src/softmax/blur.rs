//! Gaussian blur of the 8×8 digit images, for the DeepFace note on L2 normalization.

use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_finite};

// ANCHOR: blur
/// Blurs every row of `x` (an 8×8 image, row-major) with a Gaussian of
/// standard deviation `sigma` pixels. The kernel is renormalized over the
/// pixels inside the image at each position, so a constant image stays
/// constant and no intensity leaks out at the border. `sigma = 0` is the identity.
///
/// # Errors
///
/// [`Error::NonFinite`] for a NaN or infinite `sigma` or pixel;
/// [`Error::InvalidParameter`] for a negative `sigma`; [`Error::ShapeMismatch`]
/// unless `x` has `side²` columns.
pub fn gaussian_blur(x: &DMatrix<f64>, side: usize, sigma: f64) -> Result<DMatrix<f64>> {
    ensure_finite("sigma", &[sigma])?;
    ensure_finite("images", x.as_slice())?;
    if sigma < 0.0 {
        return Err(Error::InvalidParameter {
            name: "sigma",
            reason: format!("a blur width is ≥ 0, got {sigma}"),
        });
    }
    if x.ncols() != side * side {
        return Err(Error::ShapeMismatch {
            what: "image size",
            expected: format!("{} pixels", side * side),
            got: format!("{} columns", x.ncols()),
        });
    }
    if sigma == 0.0 {
        return Ok(x.clone());
    }
    // ANCHOR: blur_kernel
    let k = |d: f64| (-d * d / (2.0 * sigma * sigma)).exp();
    let mut out = DMatrix::zeros(x.nrows(), x.ncols());
    for r in 0..x.nrows() {
        for i in 0..side {
            for j in 0..side {
                let (mut acc, mut wsum) = (0.0, 0.0);
                for a in 0..side {
                    for b in 0..side {
                        let w = k(i as f64 - a as f64) * k(j as f64 - b as f64);
                        acc += w * x[(r, a * side + b)];
                        wsum += w;
                    }
                }
                out[(r, i * side + j)] = acc / wsum;
            }
        }
    }
    // ANCHOR_END: blur_kernel
    Ok(out)
}
// ANCHOR_END: blur
