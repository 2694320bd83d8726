//! The A-Softmax head with its elementwise work fused into two tensor
//! operations, each with a hand-written backward pass.
//!
//! [`super::train::a_softmax_logits`] spells the head out in candle's
//! primitives: normalize the weights (five operations), clamp the cosines
//! (two, and about twenty in the backward pass, which builds masks of where
//! each bound was hit), gather the target cosine, evaluate `ψ` by the
//! Chebyshev recurrence and the breakpoint comparisons, mix it with `cos θ`,
//! and scatter it back through a one-hot matrix, then multiply by `‖x‖`. Every
//! step on the cosine matrix or the weights allocates and sweeps a whole
//! `batch × classes` (or `classes × d`) tensor, in the forward and again in
//! the backward pass. Here
//! the weights' normalization is one operation ([`row_normalize_fused`]) and
//! everything after the matrix product is one more (`MarginLogits`), which
//! reads each cosine once and writes each logit once; each has a one-sweep
//! backward pass. The features' norm (a `batch × 1` column, needed as a
//! factor of the logits) stays in candle's primitives. On the CPU in `f32`;
//! other devices and types use the unfused head.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, D, DType, Layout, Shape, Tensor};

use super::check_m;
use super::train::a_softmax_logits;
use crate::error::Result;
use crate::nn::feature::NORM_EPS;

/// The contiguous `f32` data of a storage, or a candle error naming `op`.
fn slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => Err(candle_core::Error::Msg(format!(
            "{op}: needs contiguous f32 data"
        ))),
    }
}

fn last_dim(l: &Layout) -> usize {
    l.dims().last().copied().unwrap_or(1).max(1)
}

/// `x / sqrt(‖x‖² + ε)` row by row (ε = [`NORM_EPS`]), as one operation.
struct RowNormalize;

impl CustomOp1 for RowNormalize {
    fn name(&self) -> &'static str {
        "row-normalize"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, d) = (slice(s, l, self.name())?, last_dim(l));
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(d) {
            let n = (row.iter().map(|v| v * v).sum::<f32>() + NORM_EPS as f32).sqrt();
            out.extend(row.iter().map(|v| v / n));
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    /// With `y = x / n`: `∂L/∂x = (g − y (g · y)) / n`.
    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(arg.apply_op2_no_bwd(
            &grad.contiguous()?,
            &RowNormalizeGrad,
        )?))
    }
}

/// The backward pass of [`RowNormalize`]: `(x, g) ↦ ∂L/∂x`.
struct RowNormalizeGrad;

impl CustomOp2 for RowNormalizeGrad {
    fn name(&self) -> &'static str {
        "row-normalize-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, g, d) = (
            slice(s1, l1, self.name())?,
            slice(s2, l2, self.name())?,
            last_dim(l1),
        );
        let mut out = Vec::with_capacity(x.len());
        for (xr, gr) in x.chunks_exact(d).zip(g.chunks_exact(d)) {
            let n = (xr.iter().map(|v| v * v).sum::<f32>() + NORM_EPS as f32).sqrt();
            let gy = xr.iter().zip(gr).map(|(a, b)| a * b).sum::<f32>() / n;
            out.extend(xr.iter().zip(gr).map(|(a, b)| (b - a / n * gy) / n));
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Rows of `t` divided by their norms, as [`crate::nn::feature::row_normalize`]
/// computes them, in one operation with a one-sweep backward pass (contiguous
/// `f32` on the CPU; otherwise the unfused version).
///
/// # Errors
/// [`crate::Error::Candle`] from the tensor operations.
pub fn row_normalize_fused(t: &Tensor) -> Result<Tensor> {
    if !(t.device().is_cpu() && t.dtype() == DType::F32) {
        return crate::nn::feature::row_normalize(t);
    }
    Ok(t.contiguous()?.apply_op1(RowNormalize)?)
}

/// The clamp to `[−1, 1]` and its derivative as candle's `clamp` gives it
/// (`maximum` then `minimum`, each halving the gradient where both arguments
/// tie): 1 inside, ½ on a bound, 0 outside.
fn clamp_unit(c: f32) -> (f32, f32) {
    if c > -1.0 && c < 1.0 {
        (c, 1.0)
    } else if c == 1.0 || c == -1.0 {
        (c, 0.5)
    } else {
        (c.clamp(-1.0, 1.0), 0.0)
    }
}

/// `ψ(c)` and `dψ/dc` for `c = cos θ ∈ [−1, 1]`: `(−1)^k T_m(c) − 2k` with `k`
/// the breakpoints `cos(jπ/m) ≥ c` passed, and `(−1)^k T_m'(c)`, `T_m' = m U_{m−1}`.
fn psi_and_slope(c: f32, m: u32) -> (f32, f32) {
    let (mut t_prev, mut t) = (1.0f32, c);
    let (mut u_prev, mut u) = (0.0f32, 1.0f32); // U_{-1}, U_0
    for _ in 1..m {
        (t_prev, t) = (t, 2.0 * c * t - t_prev);
        (u_prev, u) = (u, 2.0 * c * u - u_prev);
    }
    let mut k = 0.0f32;
    for j in 1..m {
        if f64::from(c) <= (f64::from(j) * std::f64::consts::PI / f64::from(m)).cos() {
            k += 1.0;
        }
    }
    let sign = if (k as u32).is_multiple_of(2) {
        1.0
    } else {
        -1.0
    };
    (sign * t - 2.0 * k, sign * m as f32 * u)
}

/// The A-Softmax logits from the cosines `(B, C)` and the feature norms
/// `(B, 1)`: `‖x‖ clamp(cos θ_j)` off the label, `‖x‖ (λ c + ψ(c))/(1 + λ)`
/// with `c = clamp(cos θ_y)` on it.
struct MarginLogits {
    labels: Vec<u32>,
    m: u32,
    lambda: f32,
}

impl MarginLogits {
    /// The logit factor of one cosine and its derivative.
    fn factor(&self, c: f32, target: bool) -> (f32, f32) {
        let (c, dc) = clamp_unit(c);
        if !target {
            return (c, dc);
        }
        let (p, dp) = psi_and_slope(c, self.m);
        let s = 1.0 / (1.0 + self.lambda);
        ((self.lambda * c + p) * s, (self.lambda + dp) * s * dc)
    }

    fn check(&self, rows: usize, cols: usize) -> candle_core::Result<()> {
        if self.labels.len() != rows || self.labels.iter().any(|&y| y as usize >= cols) {
            return Err(candle_core::Error::Msg(format!(
                "margin-logits: {} labels for {rows} rows of {cols} classes",
                self.labels.len()
            )));
        }
        Ok(())
    }
}

impl CustomOp2 for MarginLogits {
    fn name(&self) -> &'static str {
        "margin-logits"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (cos, norm, c) = (
            slice(s1, l1, self.name())?,
            slice(s2, l2, self.name())?,
            last_dim(l1),
        );
        self.check(norm.len(), c)?;
        let mut out = Vec::with_capacity(cos.len());
        for ((row, &n), &y) in cos.chunks_exact(c).zip(norm).zip(&self.labels) {
            out.extend(row.iter().map(|&v| n * clamp_unit(v).0));
            let k = out.len() - c + y as usize;
            out[k] = n * self.factor(row[y as usize], true).0;
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        cos: &Tensor,
        norm: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let op = |wrt| MarginLogitsGrad {
            op: MarginLogits {
                labels: self.labels.clone(),
                m: self.m,
                lambda: self.lambda,
            },
            wrt_norm: wrt,
        };
        Ok((
            Some(cos.apply_op3_no_bwd(norm, &g, &op(false))?),
            Some(cos.apply_op3_no_bwd(norm, &g, &op(true))?),
        ))
    }
}

/// The backward pass of [`MarginLogits`]: `(cos, norm, g) ↦ ∂L/∂cos` or `∂L/∂norm`.
struct MarginLogitsGrad {
    op: MarginLogits,
    wrt_norm: bool,
}

impl CustomOp3 for MarginLogitsGrad {
    fn name(&self) -> &'static str {
        "margin-logits-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let name = self.name();
        let (cos, norm, g) = (
            slice(s1, l1, name)?,
            slice(s2, l2, name)?,
            slice(s3, l3, name)?,
        );
        let c = last_dim(l1);
        self.op.check(norm.len(), c)?;
        let rows = cos
            .chunks_exact(c)
            .zip(g.chunks_exact(c))
            .zip(norm)
            .zip(&self.op.labels);
        if self.wrt_norm {
            // ∂L/∂‖x‖ = Σ_j g_j · factor_j.
            let out = rows
                .map(|(((row, gr), _), &y)| {
                    let f = |(j, (&v, &gj)): (usize, (&f32, &f32))| {
                        gj * self.op.factor(v, j == y as usize).0
                    };
                    row.iter().zip(gr).enumerate().map(f).sum::<f32>()
                })
                .collect();
            return Ok((CpuStorage::F32(out), l2.shape().clone()));
        }
        let mut out = Vec::with_capacity(cos.len());
        for (((row, gr), &n), &y) in rows {
            out.extend(row.iter().zip(gr).map(|(&v, &gj)| gj * n * clamp_unit(v).1));
            let k = out.len() - c + y as usize;
            out[k] = gr[y as usize] * n * self.op.factor(row[y as usize], true).1;
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

// ANCHOR: a_softmax_fused
/// [`a_softmax_logits`] with its elementwise work fused (see the module
/// documentation): the same function, to `f32` rounding. Other devices and
/// types than `f32` on the CPU use [`a_softmax_logits`] itself.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] for `m = 0`, [`crate::Error::NonFinite`]
/// for a non-finite `λ`; [`crate::Error::Candle`] on a shape mismatch or a
/// label out of range.
pub fn a_softmax_logits_fused(
    f: &Tensor,
    w: &Tensor,
    labels: &Tensor,
    m: u32,
    lambda: f64,
) -> Result<Tensor> {
    check_m(m)?;
    crate::error::ensure_finite("λ", &[lambda])?;
    if !(f.device().is_cpu() && f.dtype() == DType::F32 && w.dtype() == DType::F32) {
        return a_softmax_logits(f, w, labels, m, lambda);
    }
    let norm = (f.sqr()?.sum_keepdim(D::Minus1)? + NORM_EPS)?.sqrt()?; // (B, 1)
    let cos = f
        .broadcast_div(&norm)?
        .matmul(&row_normalize_fused(w)?.t()?)?; // (B, C)
    let op = MarginLogits {
        labels: labels.to_vec1::<u32>()?,
        m,
        lambda: lambda as f32,
    };
    Ok(cos.contiguous()?.apply_op2(&norm.contiguous()?, op)?)
}
// ANCHOR_END: a_softmax_fused
