//! Inverse-mapping warps with nearest-neighbour or bilinear interpolation.
//!
//! A warp fills each output pixel `q` with the source image sampled at
//! `T⁻¹(q)`: the map handed in goes from *output* to *source* coordinates (as
//! OpenCV's `warpAffine` with `WARP_INVERSE_MAP`). Mapping forward instead would
//! leave holes and collisions. Outside the source the value is 0 (a constant
//! border, OpenCV's `BORDER_CONSTANT`).

use super::P2;
use super::fit::Transform2;
use crate::data::Gray;
use crate::error::{Error, Result};

/// The notes' "two ways" of interpolating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// "Use the nearest point as a substitute".
    Nearest,
    /// "A linear combination of four closest points".
    Bilinear,
}

impl Interp {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Interp::Nearest => "nearest",
            Interp::Bilinear => "bilinear",
        }
    }
}

#[inline]
fn pixel_or_zero(img: &Gray, x: isize, y: isize) -> f32 {
    if x < 0 || y < 0 || x >= img.width as isize || y >= img.height as isize {
        0.0
    } else {
        img.data[y as usize * img.width + x as usize]
    }
}

// ANCHOR: sample
/// Samples `img` at the real position `(x, y)`; outside the image the value is 0.
///
/// Nearest rounds to the closest pixel centre. Bilinear takes the four pixels
/// around `(x, y)` with weights `(1−f)(1−g), f(1−g), (1−f)g, fg`, where
/// `f, g ∈ [0, 1)` are the fractional parts: a convex combination, so the result
/// lies between the smallest and largest of the four.
///
/// # Errors
/// [`Error::NonFinite`] if `x` or `y` is not finite (it names no pixel).
pub fn sample(img: &Gray, x: f64, y: f64, interp: Interp) -> Result<f32> {
    crate::error::ensure_finite("sample position", &[x, y])?;
    Ok(sample_finite(img, x, y, interp))
}

/// [`sample`] for a position already known to be finite.
fn sample_finite(img: &Gray, x: f64, y: f64, interp: Interp) -> f32 {
    match interp {
        Interp::Nearest => pixel_or_zero(img, x.round() as isize, y.round() as isize),
        // ANCHOR: bilinear
        Interp::Bilinear => {
            let (x0, y0) = (x.floor(), y.floor());
            let (f, g) = ((x - x0) as f32, (y - y0) as f32);
            let (i, j) = (x0 as isize, y0 as isize);
            let p00 = pixel_or_zero(img, i, j);
            let p10 = pixel_or_zero(img, i + 1, j);
            let p01 = pixel_or_zero(img, i, j + 1);
            let p11 = pixel_or_zero(img, i + 1, j + 1);
            (1.0 - g) * ((1.0 - f) * p00 + f * p10) + g * ((1.0 - f) * p01 + f * p11)
            // ANCHOR_END: bilinear
        }
    }
}
// ANCHOR_END: sample

/// Bilinear value and its derivatives `(∂/∂x, ∂/∂y)` at `(x, y)`.
///
/// These are what a spatial transformer network back-propagates through: the
/// chain rule through `(x, y) = T_θ(q)` gives the gradient with respect to the
/// transform parameters θ. Nearest-neighbour sampling is piecewise constant, so
/// its derivative is zero almost everywhere and nothing can be learned through it.
///
/// # Errors
/// [`Error::NonFinite`] if `x` or `y` is not finite.
pub fn bilinear_with_gradient(img: &Gray, x: f64, y: f64) -> Result<(f64, f64, f64)> {
    crate::error::ensure_finite("sample position", &[x, y])?;
    let (x0, y0) = (x.floor(), y.floor());
    let (f, g) = (x - x0, y - y0);
    let (i, j) = (x0 as isize, y0 as isize);
    let p = |a, b| f64::from(pixel_or_zero(img, a, b));
    let (p00, p10, p01, p11) = (p(i, j), p(i + 1, j), p(i, j + 1), p(i + 1, j + 1));
    let v = (1.0 - g) * ((1.0 - f) * p00 + f * p10) + g * ((1.0 - f) * p01 + f * p11);
    let dx = (1.0 - g) * (p10 - p00) + g * (p11 - p01);
    let dy = (1.0 - f) * (p01 - p00) + f * (p11 - p10);
    Ok((v, dx, dy))
}

fn check_size(width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 || width.saturating_mul(height) > 1 << 28 {
        return Err(Error::InvalidParameter {
            name: "output size",
            reason: format!("{width} × {height}: both sides must be positive and the area ≤ 2^28"),
        });
    }
    Ok(())
}

/// Warps `img` into a `width × height` image; `out_to_src` maps output pixel
/// coordinates to source coordinates (any homography).
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a zero `width` or `height`, or an output area
/// above `2^28` pixels.
pub fn warp(
    img: &Gray,
    out_to_src: &Transform2,
    width: usize,
    height: usize,
    interp: Interp,
) -> Result<Gray> {
    check_size(width, height)?;
    let m = out_to_src.m;
    if m[(2, 0)] == 0.0 && m[(2, 1)] == 0.0 && m[(2, 2)] == 1.0 {
        return Ok(match interp {
            Interp::Bilinear => warp_affine_bilinear(img, out_to_src, width, height),
            Interp::Nearest => warp_affine_nearest(img, out_to_src, width, height),
        });
    }
    Ok(warp_generic(img, out_to_src, width, height, interp))
}

/// The nearest-neighbour affine warp: the source position advances by a
/// constant step along each row, with no homogeneous division.
fn warp_affine_nearest(img: &Gray, t: &Transform2, width: usize, height: usize) -> Gray {
    let m = t.m;
    let mut out = vec![0.0f32; width * height];
    for (y, row) in out.chunks_exact_mut(width).enumerate() {
        let (bx, by) = (
            m[(0, 1)] * y as f64 + m[(0, 2)],
            m[(1, 1)] * y as f64 + m[(1, 2)],
        );
        for (x, o) in row.iter_mut().enumerate() {
            let (sx, sy) = (bx + m[(0, 0)] * x as f64, by + m[(1, 0)] * x as f64);
            *o = pixel_or_zero(img, sx.round() as isize, sy.round() as isize);
        }
    }
    Gray {
        width,
        height,
        data: out,
    }
}

fn warp_generic(img: &Gray, t: &Transform2, width: usize, height: usize, interp: Interp) -> Gray {
    let mut out = Gray::new(width, height, 0.0);
    for y in 0..height {
        for x in 0..width {
            let p = t.apply(&P2::new(x as f64, y as f64));
            out.data[y * width + x] = if p.x.is_finite() && p.y.is_finite() {
                sample_finite(img, p.x, p.y, interp)
            } else {
                0.0
            };
        }
    }
    out
}

// ANCHOR: warp_affine
/// The output columns `x` of one row for which `p0 + step · x` stays in
/// `[lo, hi)`, shrunk by one column at each end so that rounding in the
/// bounds can never let the fast path read outside the image (those columns
/// go through the checked sampler instead).
fn inside_columns(p0: f64, step: f64, lo: f64, hi: f64, n: usize) -> (usize, usize) {
    let (a, b) = if step == 0.0 {
        if p0 >= lo && p0 < hi {
            (0.0, n as f64)
        } else {
            (0.0, 0.0)
        }
    } else {
        let (t1, t2) = ((lo - p0) / step, (hi - p0) / step);
        (t1.min(t2).ceil() + 1.0, t1.max(t2).floor() - 1.0)
    };
    let start = a.clamp(0.0, n as f64) as usize;
    let end = b.clamp(0.0, n as f64) as usize;
    (start, end.max(start))
}

/// The bilinear affine warp, written for speed: for each output row the
/// columns whose four source neighbours all lie inside the image are found in
/// closed form, and only the columns outside that range go through the
/// border-checking sampler.
fn warp_affine_bilinear(img: &Gray, t: &Transform2, width: usize, height: usize) -> Gray {
    let m = t.m;
    let (a, b, c, d, e, f) = (
        m[(0, 0)],
        m[(0, 1)],
        m[(0, 2)],
        m[(1, 0)],
        m[(1, 1)],
        m[(1, 2)],
    );
    let w = img.width;
    let (wmax, hmax) = (w as f64 - 1.0, img.height as f64 - 1.0);
    let src = &img.data[..];
    let mut out = vec![0.0f32; width * height];
    for (y, row) in out.chunks_exact_mut(width).enumerate() {
        let (bx, by) = (b * y as f64 + c, e * y as f64 + f);
        let (x_lo, x_hi) = inside_columns(bx, a, 0.0, wmax, width);
        let (y_lo, y_hi) = inside_columns(by, d, 0.0, hmax, width);
        let (lo, hi) = (x_lo.max(y_lo), x_hi.min(y_hi).max(x_lo.max(y_lo)));
        for (x, o) in row.iter_mut().enumerate() {
            if x >= lo && x < hi {
                continue;
            }
            let (sx, sy) = (bx + a * x as f64, by + d * x as f64);
            if sx > -1.0 && sy > -1.0 && sx < w as f64 && sy < img.height as f64 {
                *o = sample_finite(img, sx, sy, Interp::Bilinear);
            }
        }
        for (x, o) in row[lo..hi].iter_mut().enumerate() {
            let xf = (x + lo) as f64;
            let (sx, sy) = (bx + a * xf, by + d * xf);
            let (x0, y0) = (sx as usize, sy as usize);
            let (fx, fy) = ((sx - x0 as f64) as f32, (sy - y0 as f64) as f32);
            let k = y0 * w + x0;
            let top = &src[k..k + 2];
            let bot = &src[k + w..k + w + 2];
            let t0 = top[0] + fx * (top[1] - top[0]);
            let t1 = bot[0] + fx * (bot[1] - bot[0]);
            *o = t0 + fy * (t1 - t0);
        }
    }
    Gray {
        width,
        height,
        data: out,
    }
}
// ANCHOR_END: warp_affine

/// Root-mean-square difference of two images over the pixels where `mask` is true.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] when the images differ in size; [`Error::TooFew`] when
/// `mask` selects no pixel.
pub fn rms_diff(a: &Gray, b: &Gray, mask: impl Fn(usize, usize) -> bool) -> Result<f64> {
    if a.width != b.width || a.height != b.height {
        return Err(Error::ShapeMismatch {
            what: "images to compare",
            expected: format!("{} × {}", a.width, a.height),
            got: format!("{} × {}", b.width, b.height),
        });
    }
    let (mut ss, mut n) = (0.0f64, 0usize);
    for y in 0..a.height {
        for x in 0..a.width {
            if mask(x, y) {
                let d = f64::from(a.at(x, y)? - b.at(x, y)?);
                ss += d * d;
                n += 1;
            }
        }
    }
    if n == 0 {
        return Err(Error::TooFew {
            name: "pixels in the comparison mask",
            needed: 1,
            got: 0,
        });
    }
    Ok((ss / n as f64).sqrt())
}

/// Box-filter downscaling by an integer factor (the area average): the
/// reference against which point-sampling warps alias.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for `factor == 0` or a factor above the image's
/// width or height.
pub fn box_downscale(img: &Gray, factor: usize) -> Result<Gray> {
    if factor == 0 || factor > img.width || factor > img.height {
        return Err(Error::InvalidParameter {
            name: "downscale factor",
            reason: format!(
                "{factor} must be at least 1 and at most the image side ({} × {})",
                img.width, img.height
            ),
        });
    }
    let (w, h) = (img.width / factor, img.height / factor);
    let mut out = Gray::new(w, h, 0.0);
    let norm = 1.0 / (factor * factor) as f32;
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0f32;
            for dy in 0..factor {
                for dx in 0..factor {
                    s += img.at(x * factor + dx, y * factor + dy)?;
                }
            }
            out.data[y * w + x] = s * norm;
        }
    }
    Ok(out)
}

/// The output-to-source map of a zoom-out by `factor` that keeps pixel-area
/// centres aligned with [`box_downscale`]: output pixel `q` looks at source
/// position `factor · q + (factor − 1) / 2`.
pub fn zoom_out_map(factor: f64) -> Transform2 {
    let off = (factor - 1.0) / 2.0;
    let mut t = Transform2::identity();
    t.m[(0, 0)] = factor;
    t.m[(1, 1)] = factor;
    t.m[(0, 2)] = off;
    t.m[(1, 2)] = off;
    t
}
