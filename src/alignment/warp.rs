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
use rayon::prelude::*;

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
/// An affine bilinear warp runs the fast path ([`warp_affine_bilinear`] with
/// [`Kernel::best`]), which agrees with [`sample`] at every pixel to within
/// rounding (a property test checks it).
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
    if !is_finite_affine(out_to_src) {
        return Ok(warp_generic(img, out_to_src, width, height, interp));
    }
    Ok(match interp {
        Interp::Bilinear => {
            let mut out = Gray::new(width, height, 0.0);
            warp_affine_bilinear_rows(img, out_to_src, &mut out.data, width, Kernel::best());
            out
        }
        Interp::Nearest => warp_affine_nearest(img, out_to_src, width, height),
    })
}

fn is_finite_affine(t: &Transform2) -> bool {
    let m = t.m;
    m[(2, 0)] == 0.0 && m[(2, 1)] == 0.0 && m[(2, 2)] == 1.0 && m.iter().all(|v| v.is_finite())
}

/// The inner loop of the fast bilinear affine warp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust, one pixel at a time (every CPU).
    Portable,
    /// Eight pixels at a time with AVX2 gathers and FMA (x86-64 CPUs that have them).
    Simd,
}

impl Kernel {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Simd => "simd",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Simd => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Simd => false,
        }
    }

    /// The fastest kernel this CPU can run.
    pub fn best() -> Kernel {
        if Kernel::Simd.available() {
            Kernel::Simd
        } else {
            Kernel::Portable
        }
    }
}

/// The bilinear warp of `img` by an affine `out_to_src` with a chosen inner
/// loop: what [`warp`] runs for affine maps, exposed so that each kernel can
/// be tested against [`sample`] and timed.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a map that is not affine with finite
/// entries, a zero `width` or `height`, an output area above `2^28` pixels, or
/// a kernel this CPU cannot run.
pub fn warp_affine_bilinear(
    img: &Gray,
    out_to_src: &Transform2,
    width: usize,
    height: usize,
    kernel: Kernel,
) -> Result<Gray> {
    check_size(width, height)?;
    let mut out = Gray::new(width, height, 0.0);
    warp_affine_bilinear_into(img, out_to_src, &mut out, kernel)?;
    Ok(out)
}

/// [`warp_affine_bilinear`] into an image the caller owns: `out`'s size is
/// the output size and every one of its pixels is overwritten. A caller that
/// warps many frames of one size reuses one buffer instead of allocating (and
/// the operating system zero-filling) a new one per frame.
///
/// Rows are independent and run in parallel on the current rayon thread pool
/// (the global one unless the call is inside `ThreadPool::install`); the result
/// does not depend on the number of threads.
///
/// # Errors
///
/// As [`warp_affine_bilinear`], and [`Error::ShapeMismatch`] when `out`'s
/// pixel buffer does not hold `width × height` values.
pub fn warp_affine_bilinear_into(
    img: &Gray,
    out_to_src: &Transform2,
    out: &mut Gray,
    kernel: Kernel,
) -> Result<()> {
    check_size(out.width, out.height)?;
    if out.data.len() != out.width * out.height {
        return Err(Error::ShapeMismatch {
            what: "output image",
            expected: format!(
                "{} × {} = {} pixels",
                out.width,
                out.height,
                out.width * out.height
            ),
            got: format!("{} pixels", out.data.len()),
        });
    }
    if !is_finite_affine(out_to_src) {
        return Err(Error::InvalidParameter {
            name: "out_to_src",
            reason:
                "the fast bilinear warp needs an affine map (last row 0 0 1) with finite entries"
                    .into(),
        });
    }
    if !kernel.available() {
        return Err(Error::InvalidParameter {
            name: "kernel",
            reason: format!("this CPU cannot run the {} kernel", kernel.name()),
        });
    }
    let width = out.width;
    warp_affine_bilinear_rows(img, out_to_src, &mut out.data, width, kernel);
    Ok(())
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

/// The output columns `x` of one row for which `p0 + step · x` may lie in
/// `(lo, hi)`, grown by one column at each end: outside them the sample is
/// certainly 0 and nothing needs computing.
fn touching_columns(p0: f64, step: f64, lo: f64, hi: f64, n: usize) -> (usize, usize) {
    let (a, b) = if step == 0.0 {
        if p0 > lo && p0 < hi {
            (0.0, n as f64)
        } else {
            (0.0, 0.0)
        }
    } else {
        let (t1, t2) = ((lo - p0) / step, (hi - p0) / step);
        (t1.min(t2).floor() - 1.0, t1.max(t2).ceil() + 1.0)
    };
    let start = a.clamp(0.0, n as f64) as usize;
    let end = b.clamp(0.0, n as f64) as usize;
    (start, end.max(start))
}

/// One unit of a 32.32 fixed-point source coordinate.
const FIXED_ONE: f64 = 4_294_967_296.0;

/// Integer part and fraction (to 2⁻²⁴, as an `f32` weight) of a 32.32
/// fixed-point coordinate that is known to be non-negative.
#[inline(always)]
fn split_fixed(q: i64) -> (usize, f32) {
    let frac = ((q as u32) >> 8) as f32 * (1.0 / 16_777_216.0);
    ((q >> 32) as usize, frac)
}

/// One output row of the fast path: the source position starts at `(xq, yq)`
/// (32.32 fixed point) and advances by `(aq, dq)` per column, with all four
/// neighbours inside the image for every column (the caller checked).
fn bilinear_row_portable(src: &[f32], w: usize, out: &mut [f32], p: [i64; 4]) {
    let [mut xq, mut yq, aq, dq] = p;
    for o in out {
        let ((i, fx), (j, fy)) = (split_fixed(xq), split_fixed(yq));
        let k = j * w + i;
        let (top, bot) = (&src[k..k + 2], &src[k + w..k + w + 2]);
        let t0 = top[0] + fx * (top[1] - top[0]);
        let t1 = bot[0] + fx * (bot[1] - bot[0]);
        *o = t0 + fy * (t1 - t0);
        xq += aq;
        yq += dq;
    }
}

/// The bilinear affine warp, written for speed, into `out` (rows of `width`
/// pixels, every pixel overwritten). Per output row: the columns whose four
/// neighbours all lie inside the image are found in closed form and checked
/// exactly in the arithmetic the inner loop uses; along them the source
/// position advances by a constant fixed-point step (no per-pixel matrix
/// product, no bounds test). The few columns between that span and the zero
/// region outside the image go through the checked sampler. Rows are
/// independent and are shared out in blocks over the rayon pool.
fn warp_affine_bilinear_rows(
    img: &Gray,
    t: &Transform2,
    out: &mut [f32],
    width: usize,
    kernel: Kernel,
) {
    let m = t.m;
    let [a, b, c, d, e, f] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)].map(|ij| m[ij]);
    let (w, h) = (img.width, img.height);
    let fixed_ok = a.abs() < 1e6 && d.abs() < 1e6 && w < 1 << 24 && h < 1 << 24;
    let warp_row = |(y, row): (usize, &mut [f32])| {
        let (bx, by) = (b * y as f64 + c, e * y as f64 + f);
        let (tx0, tx1) = touching_columns(bx, a, -1.0, w as f64, width);
        let (ty0, ty1) = touching_columns(by, d, -1.0, h as f64, width);
        let (t0, t1) = (tx0.max(ty0), tx1.min(ty1).max(tx0.max(ty0)));
        row[..t0].fill(0.0);
        row[t1..].fill(0.0);
        let (lo, hi) = if fixed_ok {
            fast_span(img, row, [bx, by, a, d], t0, t1, kernel)
        } else {
            (t0, t0)
        };
        for x in (t0..lo).chain(hi..t1) {
            let (sx, sy) = (bx + a * x as f64, by + d * x as f64);
            row[x] = sample_finite(img, sx, sy, Interp::Bilinear);
        }
    };
    let threads = rayon::current_num_threads();
    if threads == 1 {
        out.chunks_exact_mut(width).enumerate().for_each(warp_row);
        return;
    }
    // About four contiguous blocks of rows per thread (enough to even out a
    // thread slowed by other work), each of at least 16 rows so that a block
    // costs far more than handing it to a thread.
    let rows_per_task = (out.len() / width).div_ceil(4 * threads).max(16);
    out.par_chunks_exact_mut(width)
        .enumerate()
        .with_min_len(rows_per_task)
        .for_each(warp_row);
}

/// Fills the columns of `row` (within `[t0, t1)`) whose four neighbours are all
/// inside the image, and returns that span.
fn fast_span(
    img: &Gray,
    row: &mut [f32],
    [bx, by, a, d]: [f64; 4],
    t0: usize,
    t1: usize,
    kernel: Kernel,
) -> (usize, usize) {
    let (w, h) = (img.width, img.height);
    let n = row.len();
    let (x_lo, x_hi) = inside_columns(bx, a, 0.0, w as f64 - 1.0, n);
    let (y_lo, y_hi) = inside_columns(by, d, 0.0, h as f64 - 1.0, n);
    let (mut lo, mut hi) = (x_lo.max(y_lo).max(t0), x_hi.min(y_hi).min(t1));
    if lo >= hi {
        return (t0, t0);
    }
    let (aq, dq) = (
        (a * FIXED_ONE).round() as i64,
        (d * FIXED_ONE).round() as i64,
    );
    let (x0, y0) = (bx + a * lo as f64, by + d * lo as f64);
    let (xq0, yq0) = (
        (x0 * FIXED_ONE).round() as i64,
        (y0 * FIXED_ONE).round() as i64,
    );
    let base = lo;
    // The integer parts are monotone along the row, so the columns that pass
    // this test (in the inner loop's own arithmetic) form one interval, and
    // checking both ends of a span proves every column in between.
    let ok = |x: usize| {
        let k = x as i64 - base as i64;
        let (xq, yq) = (xq0 + k * aq, yq0 + k * dq);
        xq >= 0 && yq >= 0 && (xq >> 32) < w as i64 - 1 && (yq >> 32) < h as i64 - 1
    };
    while lo < hi && !ok(lo) {
        lo += 1;
    }
    while hi > lo && !ok(hi - 1) {
        hi -= 1;
    }
    // The closed-form estimate keeps a column of margin at each end; take back
    // the columns that pass the exact test, so that only the pixels whose
    // neighbours straddle the border are left to the checked sampler.
    if lo < hi {
        while lo > t0 && ok(lo - 1) {
            lo -= 1;
        }
        while hi < t1 && ok(hi) {
            hi += 1;
        }
    }
    if lo < hi {
        let k = lo as i64 - base as i64;
        let p = [xq0 + k * aq, yq0 + k * dq, aq, dq];
        bilinear_row(kernel, &img.data, w, &mut row[lo..hi], p);
    }
    (lo, hi)
}
// ANCHOR_END: warp_affine

/// Runs one row of the fast path with `kernel` (the caller checked that the
/// kernel is available and that every read lies inside `src`).
fn bilinear_row(kernel: Kernel, src: &[f32], w: usize, out: &mut [f32], p: [i64; 4]) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Simd if src.len() < i32::MAX as usize => {
            let done = avx2::bilinear_row(src, w, out, p);
            let k = done as i64;
            let rest = [p[0] + k * p[2], p[1] + k * p[3], p[2], p[3]];
            bilinear_row_portable(src, w, &mut out[done..], rest);
        }
        _ => bilinear_row_portable(src, w, out, p),
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 inner loop: eight output pixels per iteration, positions in
    //! 32.32 fixed point in eight 64-bit lanes, the four neighbours fetched as
    //! two horizontal pairs by 64-bit gathers (half the gathered elements of
    //! four 32-bit gathers, and the gathers are what the loop waits on), the
    //! two lerps and the blend by fused multiply-adds.

    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_add_epi64, _mm256_castpd_ps, _mm256_castsi256_si128,
        _mm256_cvtepi32_ps, _mm256_extracti128_si256, _mm256_fmadd_ps, _mm256_i32gather_pd,
        _mm256_mul_ps, _mm256_mullo_epi32, _mm256_permute2x128_si256, _mm256_permutevar8x32_epi32,
        _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_set1_ps, _mm256_setr_epi32,
        _mm256_setr_epi64x, _mm256_shuffle_ps, _mm256_srli_epi32, _mm256_storeu_ps, _mm256_sub_ps,
    };

    /// Fills the first multiple of eight columns of `out` and returns how many
    /// it filled; the caller does the rest.
    ///
    /// Needs what [`super::bilinear_row`] guarantees: AVX2 and FMA present,
    /// `src.len() < 2³¹`, and for every column the integer parts `i, j` of the
    /// position satisfy `i + 1 < w`, `(j + 1) · w + i + 1 < src.len()`.
    pub(super) fn bilinear_row(src: &[f32], w: usize, out: &mut [f32], p: [i64; 4]) -> usize {
        let n = out.len() / 8 * 8;
        // SAFETY: the caller checked that the CPU has AVX2 and FMA.
        unsafe { row(src, w, &mut out[..n], p) };
        n
    }

    #[target_feature(enable = "avx2,fma")]
    fn row(src: &[f32], w: usize, out: &mut [f32], [xq, yq, aq, dq]: [i64; 4]) {
        // The high and low 32-bit halves of four 64-bit lanes, twice.
        let (hi, lo) = (
            _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7),
            _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6),
        );
        let pack = |a: __m256i, b: __m256i, idx: __m256i| {
            let (pa, pb) = (
                _mm256_permutevar8x32_epi32(a, idx),
                _mm256_permutevar8x32_epi32(b, idx),
            );
            _mm256_permute2x128_si256::<0x20>(pa, pb)
        };
        let lanes = |q: i64, s: i64| {
            let v = _mm256_setr_epi64x(q, q + s, q + 2 * s, q + 3 * s);
            (v, _mm256_add_epi64(v, _mm256_set1_epi64x(4 * s)))
        };
        let ((mut xa, mut xb), (mut ya, mut yb)) = (lanes(xq, aq), lanes(yq, dq));
        let (step_x, step_y) = (_mm256_set1_epi64x(8 * aq), _mm256_set1_epi64x(8 * dq));
        let (wv, unit) = (
            _mm256_set1_epi32(w as i32),
            _mm256_set1_ps(1.0 / 16_777_216.0),
        );
        let base = src.as_ptr();
        let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
        for chunk in out.chunks_exact_mut(8) {
            let (i, j) = (pack(xa, xb, hi), pack(ya, yb, hi));
            let fx = _mm256_mul_ps(
                _mm256_cvtepi32_ps(_mm256_srli_epi32::<8>(pack(xa, xb, lo))),
                unit,
            );
            let fy = _mm256_mul_ps(
                _mm256_cvtepi32_ps(_mm256_srli_epi32::<8>(pack(ya, yb, lo))),
                unit,
            );
            let k = _mm256_add_epi32(_mm256_mullo_epi32(j, wv), i);
            // Pixels 0, 1, 4, 5 and 2, 3, 6, 7: each 64-bit gather fetches a
            // horizontal pair of neighbours, and the in-lane shuffles below
            // then put the eight pixels back in order.
            let k = _mm256_permutevar8x32_epi32(k, order);
            let (ka, kb) = (_mm256_castsi256_si128(k), _mm256_extracti128_si256::<1>(k));
            // SAFETY: k + 1 and k + w + 1 index `src` (the caller's guarantee),
            // and k + w + 1 < 2³¹ so the 32-bit indices do not wrap.
            let [ta, tb, ba, bb] = unsafe {
                let (top, bot) = (base.cast::<f64>(), base.add(w).cast::<f64>());
                [
                    _mm256_i32gather_pd::<4>(top, ka),
                    _mm256_i32gather_pd::<4>(top, kb),
                    _mm256_i32gather_pd::<4>(bot, ka),
                    _mm256_i32gather_pd::<4>(bot, kb),
                ]
                .map(|v| _mm256_castpd_ps(v))
            };
            let (p00, p10) = (
                _mm256_shuffle_ps::<0x88>(ta, tb),
                _mm256_shuffle_ps::<0xdd>(ta, tb),
            );
            let (p01, p11) = (
                _mm256_shuffle_ps::<0x88>(ba, bb),
                _mm256_shuffle_ps::<0xdd>(ba, bb),
            );
            let t0 = _mm256_fmadd_ps(fx, _mm256_sub_ps(p10, p00), p00);
            let t1 = _mm256_fmadd_ps(fx, _mm256_sub_ps(p11, p01), p01);
            let v = _mm256_fmadd_ps(fy, _mm256_sub_ps(t1, t0), t0);
            // SAFETY: the chunk holds exactly eight f32.
            unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), v) };
            (xa, xb) = (_mm256_add_epi64(xa, step_x), _mm256_add_epi64(xb, step_x));
            (ya, yb) = (_mm256_add_epi64(ya, step_y), _mm256_add_epi64(yb, step_y));
        }
    }
}

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
