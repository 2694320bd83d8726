//! A small feature network with class weights: input → hidden (ReLU) → `d`
//! features (linear, no non-linearity, so features can point anywhere), and
//! one weight row (and bias) per class for a [`Head`] to turn features into
//! logits.
//!
//! Parameters are `f32` candle [`Var`]s, drawn from a seeded generator, on
//! the device the caller chooses.

use candle_core::{D, DType, Device, Tensor, Var};
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Head;
use super::tensor::to_matrix;
use crate::error::{Result, ensure_len};

/// Small constant under the square root of a norm, so that a zero feature or
/// weight row gets a finite (zero) direction instead of a NaN gradient.
pub const NORM_EPS: f64 = 1e-12;

/// Rows divided by their norms (with [`NORM_EPS`] under the square root).
///
/// # Errors
/// [`crate::Error::Candle`] if `t` has no last dimension.
pub fn row_normalize(t: &Tensor) -> Result<Tensor> {
    let n = (t.sqr()?.sum_keepdim(D::Minus1)? + NORM_EPS)?.sqrt()?;
    Ok(t.broadcast_div(&n)?)
}

/// The feature network `input → hidden (ReLU) → d`, and the class weights.
#[derive(Debug)]
pub struct FeatureNet {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
    /// Class weights `(classes, d)`.
    pub head_w: Var,
    /// Class biases `(classes)` (trained only by heads whose
    /// [`Head::trains_bias`] is true).
    pub head_b: Var,
    device: Device,
}

fn uniform(rng: &mut StdRng, rows: usize, cols: usize, device: &Device) -> Result<Var> {
    let r = (6.0 / (rows + cols) as f64).sqrt();
    let v: Vec<f32> = (0..rows * cols)
        .map(|_| rng.random_range(-r..r) as f32)
        .collect();
    Ok(Var::from_tensor(&Tensor::from_vec(
        v,
        (rows, cols),
        device,
    )?)?)
}

impl FeatureNet {
    /// Glorot-uniform weights and zero biases, drawn from a seeded generator.
    ///
    /// # Errors
    /// [`crate::Error::TooFew`] for a zero size or fewer than two classes;
    /// [`crate::Error::Candle`] if the device cannot hold the parameters.
    pub fn new(
        input: usize,
        hidden: usize,
        dim: usize,
        classes: usize,
        seed: u64,
        device: &Device,
    ) -> Result<FeatureNet> {
        ensure_len("input size", input, 1)?;
        ensure_len("hidden units", hidden, 1)?;
        ensure_len("feature dimension", dim, 1)?;
        ensure_len("classes", classes, 2)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let zeros = |n: usize| -> Result<Var> {
            Ok(Var::from_tensor(&Tensor::zeros(n, DType::F32, device)?)?)
        };
        Ok(FeatureNet {
            w1: uniform(&mut rng, hidden, input, device)?,
            b1: zeros(hidden)?,
            w2: uniform(&mut rng, dim, hidden, device)?,
            b2: zeros(dim)?,
            head_w: uniform(&mut rng, classes, dim, device)?,
            head_b: zeros(classes)?,
            device: device.clone(),
        })
    }

    /// Number of classes of the head.
    ///
    /// # Errors
    /// [`crate::Error::Candle`] only if the weights lost their shape.
    pub fn classes(&self) -> Result<usize> {
        Ok(self.head_w.as_tensor().dim(0)?)
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The variables a head trains (the class biases only if it uses them).
    pub fn vars<H: Head + ?Sized>(&self, head: &H) -> Vec<Var> {
        let mut v = vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
            self.head_w.clone(),
        ];
        if head.trains_bias() {
            v.push(self.head_b.clone());
        }
        v
    }

    /// Features `(batch, d)` of a batch of inputs.
    ///
    /// # Errors
    /// [`crate::Error::Candle`] if `x` does not have the input width.
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        let h = x
            .matmul(&self.w1.as_tensor().t()?)?
            .broadcast_add(self.b1.as_tensor())?
            .relu()?;
        Ok(h.matmul(&self.w2.as_tensor().t()?)?
            .broadcast_add(self.b2.as_tensor())?)
    }

    /// Class weights with unit-norm rows.
    ///
    /// # Errors
    /// [`crate::Error::Candle`] only if the weights lost their shape.
    pub fn normalized_weights(&self) -> Result<Tensor> {
        row_normalize(self.head_w.as_tensor())
    }

    /// Logits of `head` for a batch. `labels` is needed by heads whose target
    /// logit differs (A-Softmax); `weight` is the head's scheduled weight
    /// ([`Head::schedule`]; ignored by heads without a schedule).
    ///
    /// # Errors
    /// The head's own ([`Head::logits`]), and [`crate::Error::Candle`] on a
    /// shape mismatch.
    pub fn logits<H: Head + ?Sized>(
        &self,
        x: &Tensor,
        labels: Option<&Tensor>,
        head: &H,
        weight: f64,
    ) -> Result<Tensor> {
        let f = self.features(x)?;
        head.logits(
            &f,
            self.head_w.as_tensor(),
            self.head_b.as_tensor(),
            labels,
            weight,
        )
    }
}

/// Features of the inputs `x` as a matrix (one row per example).
///
/// # Errors
/// As [`FeatureNet::features`].
pub fn feature_matrix(net: &FeatureNet, x: &Tensor) -> Result<DMatrix<f64>> {
    to_matrix(&net.features(x)?)
}

/// Class weights as a matrix `(classes, d)`.
///
/// # Errors
/// [`crate::Error::Candle`] only if the weights lost their shape.
pub fn weight_matrix(net: &FeatureNet) -> Result<DMatrix<f64>> {
    to_matrix(net.head_w.as_tensor())
}
