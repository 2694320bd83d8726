//! The A-Softmax training head on candle tensors, for the feature network and
//! trainer of [`crate::nn`].
//!
//! [`Head`] adds SphereFace's A-Softmax (margin `m`, annealed by [`Anneal`])
//! to the softmax-family heads of [`crate::softmax::train`], so that one list
//! of heads can be trained and compared.

use std::f64::consts::PI;

use candle_core::{D, Tensor};

use super::{Anneal, check_m};
use crate::error::{Error, Result};
use crate::nn::feature::{NORM_EPS, row_normalize};
use crate::softmax::train::Head as SoftmaxHead;

// ANCHOR: a_softmax_tensor
/// `ψ(θ)` from `c = cos θ` on a tensor: Chebyshev `T_m(c) = cos(mθ)`, and
/// `k = #{j = 1..m−1 : c ≤ cos(jπ/m)}`; the sign `(−1)^k` is the product of
/// one factor `1 − 2[c ≤ cos(jπ/m)]` per breakpoint passed. `k` is a step
/// function, so it carries no gradient (as in the SphereFace Caffe layer).
///
/// # Errors
/// [`Error::InvalidParameter`] for `m = 0`; [`Error::Candle`] from the tensor
/// operations.
pub fn psi_tensor(c: &Tensor, m: u32) -> Result<Tensor> {
    check_m(m)?;
    let (mut t_prev, mut t) = (c.ones_like()?, c.clone());
    for _ in 1..m {
        let next = ((c * &t)? * 2.0)?.sub(&t_prev)?;
        t_prev = t;
        t = next;
    }
    let mut k = c.zeros_like()?;
    let mut sign = c.ones_like()?;
    for j in 1..m {
        let passed = c
            .le(((f64::from(j) * PI) / f64::from(m)).cos())?
            .to_dtype(c.dtype())?;
        k = (k + &passed)?;
        sign = (sign * ((passed * -2.0)? + 1.0)?)?;
    }
    Ok(((sign * t)? - (k * 2.0)?)?)
}

/// A-Softmax logits from features `f` `(batch, d)` and class weights `w`:
/// `‖x‖ cos θ_j` for the other classes and the mixed target logit
/// `‖x‖ (λ cos θ_y + ψ(θ_y)) / (1 + λ)` for the label `y`.
///
/// # Errors
/// As [`psi_tensor`]; [`Error::Candle`] on a shape mismatch or a label out of range.
pub fn a_softmax_logits(
    f: &Tensor,
    w: &Tensor,
    labels: &Tensor,
    m: u32,
    lambda: f64,
) -> Result<Tensor> {
    // ANCHOR: a_softmax_logits_body
    let classes = w.dim(0)?;
    let norm = (f.sqr()?.sum_keepdim(D::Minus1)? + NORM_EPS)?.sqrt()?; // (B, 1)
    let cos = f
        .broadcast_div(&norm)?
        .matmul(&row_normalize(w)?.t()?)?
        .clamp(-1.0, 1.0)?; // (B, C)
    let idx = labels.unsqueeze(1)?;
    let cos_y = cos.gather(&idx, 1)?; // (B, 1)
    let psi_y = psi_tensor(&cos_y, m)?;
    let target = ((cos_y.clone() * lambda)? + psi_y)?.affine(1.0 / (1.0 + lambda), 0.0)?;
    let onehot = idx
        .broadcast_eq(&Tensor::arange(0u32, classes as u32, f.device())?.unsqueeze(0)?)?
        .to_dtype(f.dtype())?;
    let delta = (target - cos_y)?; // (B, 1)
    let adjusted = (cos + onehot.broadcast_mul(&delta)?)?;
    Ok(adjusted.broadcast_mul(&norm)?)
    // ANCHOR_END: a_softmax_logits_body
}
// ANCHOR_END: a_softmax_tensor

/// A classification head of the SphereFace chapter: the softmax family of
/// [`crate::softmax::train::Head`], or A-Softmax.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Head {
    /// `W x + b` (with `bias`) or `W x`.
    Softmax {
        /// Whether the head has per-class biases.
        bias: bool,
    },
    /// `Ŵ x`: unit-norm class weights, raw features.
    WeightNorm,
    /// `s Ŵ x̂`: scaled cosine similarity (NormFace).
    NormFace {
        /// The scale `s`.
        scale: f64,
    },
    /// A-Softmax with margin `m`.
    ASoftmax {
        /// Angular margin parameter, an integer ≥ 1.
        m: u32,
        /// The softmax admixture schedule.
        anneal: Anneal,
    },
}

impl Head {
    /// The softmax-family head this is, or `None` for A-Softmax.
    pub fn softmax_head(&self) -> Option<SoftmaxHead> {
        match *self {
            Head::Softmax { bias } => Some(SoftmaxHead::Softmax { bias }),
            Head::WeightNorm => Some(SoftmaxHead::WeightNorm),
            Head::NormFace { scale } => Some(SoftmaxHead::NormFace { scale }),
            Head::ASoftmax { .. } => None,
        }
    }
}

/// A [`Head`] split into what it delegates to.
enum Kind {
    Plain(SoftmaxHead),
    ASoftmax(u32, Anneal),
}

impl Head {
    fn kind(&self) -> Kind {
        match (*self, self.softmax_head()) {
            (Head::ASoftmax { m, anneal }, _) => Kind::ASoftmax(m, anneal),
            (_, Some(h)) => Kind::Plain(h),
            // softmax_head is Some for every other variant.
            (_, None) => Kind::Plain(SoftmaxHead::WeightNorm),
        }
    }
}

impl From<SoftmaxHead> for Head {
    fn from(h: SoftmaxHead) -> Head {
        match h {
            SoftmaxHead::Softmax { bias } => Head::Softmax { bias },
            SoftmaxHead::WeightNorm => Head::WeightNorm,
            SoftmaxHead::NormFace { scale } => Head::NormFace { scale },
        }
    }
}

impl crate::nn::Head for Head {
    fn name(&self) -> String {
        match self.kind() {
            Kind::Plain(h) => h.name(),
            Kind::ASoftmax(m, _) => format!("A-Softmax m={m}"),
        }
    }

    fn validate(&self) -> Result<()> {
        match self.kind() {
            Kind::Plain(h) => h.validate(),
            Kind::ASoftmax(m, anneal) => {
                check_m(m)?;
                anneal.lambda(1).map(|_| ())
            }
        }
    }

    fn angular(&self) -> bool {
        self.softmax_head().is_none_or(|h| h.angular())
    }

    fn trains_bias(&self) -> bool {
        self.softmax_head().is_some_and(|h| h.trains_bias())
    }

    /// The annealing weight `λ_t` of A-Softmax; 0 for the other heads.
    fn schedule(&self, t: u64) -> Result<f64> {
        match self {
            Head::ASoftmax { anneal, .. } => anneal.lambda(t),
            _ => Ok(0.0),
        }
    }

    fn logits(
        &self,
        f: &Tensor,
        w: &Tensor,
        b: &Tensor,
        labels: Option<&Tensor>,
        weight: f64,
    ) -> Result<Tensor> {
        self.validate()?;
        match self.kind() {
            Kind::Plain(h) => h.logits(f, w, b, labels, weight),
            Kind::ASoftmax(m, _) => {
                let labels = labels.ok_or(Error::InvalidParameter {
                    name: "labels",
                    reason: "the A-Softmax target logit needs the labels".into(),
                })?;
                super::fused::a_softmax_logits_fused(f, w, labels, m, weight)
            }
        }
    }
}
