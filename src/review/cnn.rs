//! A one-layer convolutional classifier, trained only to obtain learned filters
//! for the pooling measurement: `x ↦ softmax(V · flatten(maxpool₂(max(0, x ⋆ w))) + c)`.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::Optimizer;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use crate::error::{Error, Result, ensure_len};
use crate::nn::Batches;
use crate::nn::optim::adam;

/// What [`train_filters`] returns.
#[derive(Debug)]
pub struct Trained {
    /// The learned filters `(channels, 1, k, k)`.
    pub filters: Tensor,
    /// Training accuracy at the end.
    pub train_accuracy: f64,
}

fn normal(n: usize, sd: f64, rng: &mut StdRng) -> Result<Vec<f32>> {
    let d = Normal::new(0.0, sd).map_err(|e| Error::InvalidParameter {
        name: "initial scale",
        reason: e.to_string(),
    })?;
    Ok((0..n).map(|_| d.sample(rng) as f32).collect())
}

/// Random filters `(channels, 1, k, k)` with entries drawn from `N(0, 1/k²)`.
///
/// # Errors
/// [`Error::TooFew`] for no channel or a filter size of 0.
pub fn random_filters(channels: usize, k: usize, seed: u64, device: &Device) -> Result<Tensor> {
    ensure_len("channels", channels, 1)?;
    ensure_len("filter size", k, 1)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let v = normal(channels * k * k, 1.0 / k as f64, &mut rng)?;
    Ok(Tensor::from_vec(v, (channels, 1, k, k), device)?)
}

/// Trains the classifier on images `(n, 1, h, w)` with `labels` (`u32`,
/// classes `0..classes`) by Adam for `epochs` passes in batches of 64.
///
/// # Errors
/// [`Error::TooFew`] for no epoch, no image or no class; an image side below
/// `k + 1` (nothing to pool) as [`Error::InvalidParameter`]; candle's errors.
pub fn train_filters(
    images: &Tensor,
    labels: &Tensor,
    classes: usize,
    channels: usize,
    epochs: usize,
    seed: u64,
) -> Result<Trained> {
    ensure_len("epochs", epochs, 1)?;
    ensure_len("classes", classes, 1)?;
    let (n, _, h, w) = images.dims4()?;
    ensure_len("images", n, 1)?;
    let k = 3;
    if h < k + 1 || w < k + 1 {
        return Err(Error::InvalidParameter {
            name: "image size",
            reason: format!(
                "{h} × {w} images are too small for {k} × {k} filters and 2 × 2 pooling"
            ),
        });
    }
    let device = images.device();
    let flat = channels * ((h - k + 1) / 2) * ((w - k + 1) / 2);
    let mut rng = StdRng::seed_from_u64(seed);
    let wv = Var::from_tensor(&random_filters(channels, k, seed, device)?)?;
    let v0 = normal(classes * flat, (1.0 / flat as f64).sqrt(), &mut rng)?;
    let vv = Var::from_tensor(&Tensor::from_vec(v0, (classes, flat), device)?)?;
    let cv = Var::from_tensor(&Tensor::zeros(classes, DType::F32, device)?)?;
    let logits = |x: &Tensor| -> Result<Tensor> {
        let m = x
            .conv2d(wv.as_tensor(), 0, 1, 1, 1)?
            .relu()?
            .max_pool2d(2)?;
        let b = m.dim(0)?;
        Ok(m.reshape((b, flat))?
            .matmul(&vv.as_tensor().t()?)?
            .broadcast_add(cv.as_tensor())?)
    };
    let mut opt = adam(vec![wv.clone(), vv.clone(), cv.clone()], 1e-2)?;
    let mut batches = Batches::new(n, 64, seed)?;
    for _ in 0..epochs {
        for idx in batches.epoch(device)? {
            let x = images.index_select(&idx, 0)?;
            let y = labels.index_select(&idx, 0)?;
            opt.backward_step(&candle_nn::loss::cross_entropy(&logits(&x)?, &y)?)?;
        }
    }
    let train_accuracy = crate::nn::metrics::accuracy(&logits(images)?, labels)?;
    Ok(Trained {
        filters: wv.as_tensor().clone(),
        train_accuracy,
    })
}
