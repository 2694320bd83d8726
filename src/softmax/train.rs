//! The softmax-family heads of the feature network on the digits.
//!
//! A [`FeatureNet`](crate::nn::FeatureNet) maps an input to a `d`-dimensional
//! feature `x`; a head turns `x` into class logits, and the trainer of
//! [`crate::nn::train`] minimises their cross-entropy:
//!
//! * [`Head::Softmax`]: `W x (+ b)`, the plain softmax classifier;
//! * [`Head::WeightNorm`]: `Ŵ x` with unit-norm rows `Ŵ_j = W_j/‖W_j‖`;
//! * [`Head::NormFace`]: `s · Ŵ x̂`, cosine logits times a scale `s`
//!   (Wang et al., *NormFace*, ACM MM 2017).
//!
//! SphereFace's A-Softmax head, which builds on these, lives in
//! `sphereface::train`.

use candle_core::Tensor;

use crate::error::{Error, Result, ensure_finite};
use crate::nn::feature::row_normalize;

/// The softmax-family classification heads.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Head {
    /// `W x + b` (with `bias`) or `W x`.
    Softmax {
        /// Whether the head has per-class biases.
        bias: bool,
    },
    /// `Ŵ x`: unit-norm class weights, raw features.
    WeightNorm,
    /// `s Ŵ x̂`: scaled cosine similarity.
    NormFace {
        /// The scale `s`.
        scale: f64,
    },
}

impl crate::nn::Head for Head {
    fn name(&self) -> String {
        match self {
            Head::Softmax { bias: true } => "softmax + bias".into(),
            Head::Softmax { bias: false } => "softmax".into(),
            Head::WeightNorm => "weight-normalized".into(),
            Head::NormFace { scale } => format!("NormFace s={scale}"),
        }
    }

    fn validate(&self) -> Result<()> {
        if let Head::NormFace { scale } = self {
            ensure_finite("scale", &[*scale])?;
            if *scale <= 0.0 {
                return Err(Error::InvalidParameter {
                    name: "scale",
                    reason: "the NormFace scale s must be positive".into(),
                });
            }
        }
        Ok(())
    }

    fn angular(&self) -> bool {
        !matches!(self, Head::Softmax { .. })
    }

    fn trains_bias(&self) -> bool {
        matches!(self, Head::Softmax { bias: true })
    }

    fn logits(
        &self,
        f: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _labels: Option<&Tensor>,
        _weight: f64,
    ) -> Result<Tensor> {
        self.validate()?;
        Ok(match self {
            Head::Softmax { bias } => {
                let z = f.matmul(&w.t()?)?;
                if *bias { z.broadcast_add(b)? } else { z }
            }
            Head::WeightNorm => f.matmul(&row_normalize(w)?.t()?)?,
            Head::NormFace { scale } => {
                (row_normalize(f)?.matmul(&row_normalize(w)?.t()?)? * *scale)?
            }
        })
    }
}
