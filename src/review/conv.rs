//! Convolution, pooling and shifts of small images, in candle.
//!
//! A convolutional layer applies the same filter at every position: with
//! `(x ⋆ w)[i, j] = Σ_{a,b} w[a, b] · x[i + a, j + b]` (candle's `conv2d`, a
//! cross-correlation) and the shift `(T_s x)[i, j] = x[i − s₁, j − s₂]`,
//! `(T_s x ⋆ w)[i, j] = Σ w[a, b] x[i + a − s₁, j + b − s₂] = (x ⋆ w)[i − s₁, j − s₂]`,
//! so `T_s x ⋆ w = T_s (x ⋆ w)`: the layer is shift-**equivariant** wherever
//! the image border does not interfere, and only because the weights are
//! shared. Pooling over `p × p` windows with stride `p` is equivariant only to
//! shifts by multiples of `p`; [`relative_change`] measures how much a
//! representation moves under other shifts.

use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::to_matrix;

/// Pooling applied after the rectified convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// No pooling: the feature maps themselves.
    None,
    /// Maximum over non-overlapping `p × p` windows.
    Max(usize),
    /// Mean over non-overlapping `p × p` windows.
    Avg(usize),
}

impl Pool {
    /// A short name for figures and tables.
    pub fn name(self) -> String {
        match self {
            Pool::None => "no pooling".into(),
            Pool::Max(p) => format!("max pool {p}×{p}"),
            Pool::Avg(p) => format!("average pool {p}×{p}"),
        }
    }
}

/// `x` shifted by `(dy, dx)` pixels, filled with zeros where nothing shifts in.
pub fn shift(x: &DMatrix<f64>, dy: isize, dx: isize) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
        let (si, sj) = (i as isize - dy, j as isize - dx);
        if si >= 0 && sj >= 0 && (si as usize) < x.nrows() && (sj as usize) < x.ncols() {
            x[(si as usize, sj as usize)]
        } else {
            0.0
        }
    })
}

/// An 8 × 8 digit (64 values, row-major) placed at offset `(top, left)` of a
/// zero `size × size` canvas.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless `pixels` has 64 values;
/// [`Error::InvalidParameter`] if the digit does not fit.
pub fn canvas(pixels: &[f64], size: usize, top: usize, left: usize) -> Result<DMatrix<f64>> {
    if pixels.len() != 64 {
        return Err(Error::ShapeMismatch {
            what: "digit image",
            expected: "64 pixels".into(),
            got: pixels.len().to_string(),
        });
    }
    if top + 8 > size || left + 8 > size {
        return Err(Error::InvalidParameter {
            name: "canvas",
            reason: format!("an 8 × 8 digit at ({top}, {left}) does not fit in {size} × {size}"),
        });
    }
    let mut c = DMatrix::zeros(size, size);
    for i in 0..8 {
        for j in 0..8 {
            c[(top + i, left + j)] = pixels[8 * i + j];
        }
    }
    Ok(c)
}

/// Stacks equally sized images into an `(n, 1, h, w)` tensor.
///
/// # Errors
/// [`Error::TooFew`] for no image, [`Error::ShapeMismatch`] for sizes that differ.
pub fn batch(images: &[DMatrix<f64>], dtype: DType, device: &Device) -> Result<Tensor> {
    ensure_len("images", images.len(), 1)?;
    let (h, w) = images[0].shape();
    let mut v = Vec::with_capacity(images.len() * h * w);
    for im in images {
        if im.shape() != (h, w) {
            return Err(Error::ShapeMismatch {
                what: "images of one batch",
                expected: format!("{h} × {w}"),
                got: format!("{} × {}", im.nrows(), im.ncols()),
            });
        }
        v.extend(im.transpose().iter().copied()); // row-major
    }
    Ok(Tensor::from_vec(v, (images.len(), 1, h, w), device)?.to_dtype(dtype)?)
}

// ANCHOR: represent
/// The representation `pool(max(0, x ⋆ w))` of a batch `(n, 1, h, w)` under
/// filters `(c, 1, k, k)`, one flattened row per image.
///
/// # Errors
/// [`Error::InvalidParameter`] for a filter or pooling window larger than what
/// it is applied to, or a window of 0; candle's errors for mismatched tensors.
pub fn represent(x: &Tensor, filters: &Tensor, pool: Pool) -> Result<DMatrix<f64>> {
    let (_, _, h, w) = x.dims4()?;
    let (_, _, k, _) = filters.dims4()?;
    if k > h || k > w {
        return Err(Error::InvalidParameter {
            name: "filter size",
            reason: format!("a {k} × {k} filter does not fit a {h} × {w} image"),
        });
    }
    // ANCHOR: conv_pool
    let maps = x.conv2d(filters, 0, 1, 1, 1)?.relu()?;
    let (out_h, out_w) = (h - k + 1, w - k + 1);
    let pooled = match pool {
        Pool::None => maps,
        Pool::Max(p) | Pool::Avg(p) => {
            if p == 0 || p > out_h || p > out_w {
                return Err(Error::InvalidParameter {
                    name: "pooling window",
                    reason: format!(
                        "a {p} × {p} window does not fit {out_h} × {out_w} feature maps"
                    ),
                });
            }
            match pool {
                Pool::Max(_) => maps.max_pool2d(p)?,
                _ => maps.avg_pool2d(p)?,
            }
        }
    };
    // ANCHOR_END: conv_pool
    let n = pooled.dim(0)?;
    to_matrix(&pooled.reshape((n, ()))?.to_dtype(DType::F64)?)
}
// ANCHOR_END: represent

/// Mean over images of `‖r(T_s x) − r(x)‖ / ‖r(x)‖` (images whose
/// representation is zero are skipped).
///
/// # Errors
/// [`Error::ShapeMismatch`] for representations of different shapes,
/// [`Error::TooFew`] if no image has a non-zero representation.
pub fn relative_change(base: &DMatrix<f64>, moved: &DMatrix<f64>) -> Result<f64> {
    if base.shape() != moved.shape() {
        return Err(Error::ShapeMismatch {
            what: "representations before and after the shift",
            expected: format!("{:?}", base.shape()),
            got: format!("{:?}", moved.shape()),
        });
    }
    let ratios: Vec<f64> = (0..base.nrows())
        .filter_map(|r| {
            let b = base.row(r).norm();
            (b > 0.0).then(|| (moved.row(r) - base.row(r)).norm() / b)
        })
        .collect();
    ensure_len("images with a non-zero representation", ratios.len(), 1)?;
    let m = ratios.iter().sum::<f64>() / ratios.len() as f64;
    ensure_finite("relative change", &[m])?;
    Ok(m)
}
