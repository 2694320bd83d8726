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

/// Side of the filters of [`ConvNet`].
pub const FILTER: usize = 3;

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

/// The classifier's parameters: filters `w`, output weights `V` and biases `c`.
#[derive(Debug)]
pub struct ConvNet {
    w: Var,
    v: Var,
    c: Var,
    flat: usize,
}

impl ConvNet {
    /// A classifier of `h × w` images into `classes` with `channels` filters of
    /// 3 × 3: filters from [`random_filters`], `V` from `N(0, 1/fan-in)`, `c = 0`;
    /// the seed fixes everything, so two devices get the same start.
    ///
    /// # Errors
    /// [`Error::TooFew`] for no channel or class; an image side below 4
    /// (nothing to pool) as [`Error::InvalidParameter`]; candle's errors.
    pub fn new(
        channels: usize,
        classes: usize,
        (h, w): (usize, usize),
        seed: u64,
        device: &Device,
    ) -> Result<ConvNet> {
        ensure_len("classes", classes, 1)?;
        let k = FILTER;
        if h < k + 1 || w < k + 1 {
            return Err(Error::InvalidParameter {
                name: "image size",
                reason: format!(
                    "{h} × {w} images are too small for {k} × {k} filters and 2 × 2 pooling"
                ),
            });
        }
        // Feature maps of (h − k + 1) × (w − k + 1), halved (rounding down) by pooling.
        let (maps_h, maps_w) = (h - k + 1, w - k + 1);
        let flat = channels * (maps_h / 2) * (maps_w / 2);
        let mut rng = StdRng::seed_from_u64(seed);
        let wv = Var::from_tensor(&random_filters(channels, k, seed, device)?)?;
        let v0 = normal(classes * flat, (1.0 / flat as f64).sqrt(), &mut rng)?;
        let vv = Var::from_tensor(&Tensor::from_vec(v0, (classes, flat), device)?)?;
        let cv = Var::from_tensor(&Tensor::zeros(classes, DType::F32, device)?)?;
        Ok(ConvNet {
            w: wv,
            v: vv,
            c: cv,
            flat,
        })
    }

    /// The logits of a batch `(n, 1, h, w)`.
    ///
    /// # Errors
    /// candle's errors for a batch of the wrong shape.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let m = x
            .conv2d(self.w.as_tensor(), 0, 1, 1, 1)?
            .relu()?
            .max_pool2d(2)?;
        let b = m.dim(0)?;
        Ok(m.reshape((b, self.flat))?
            .matmul(&self.v.as_tensor().t()?)?
            .broadcast_add(self.c.as_tensor())?)
    }

    /// The trainable variables: filters, output weights, output biases.
    pub fn vars(&self) -> Vec<Var> {
        vec![self.w.clone(), self.v.clone(), self.c.clone()]
    }

    /// The filters `(channels, 1, 3, 3)`.
    pub fn filters(&self) -> &Tensor {
        self.w.as_tensor()
    }
}

/// Trains a [`ConvNet`] on images `(n, 1, h, w)` with `labels` (`u32`,
/// classes `0..classes`) by Adam for `epochs` passes in batches of 64.
///
/// # Errors
/// [`Error::TooFew`] for no epoch, no image or no class; as [`ConvNet::new`];
/// candle's errors.
pub fn train_filters(
    images: &Tensor,
    labels: &Tensor,
    classes: usize,
    channels: usize,
    epochs: usize,
    seed: u64,
) -> Result<Trained> {
    ensure_len("epochs", epochs, 1)?;
    let (n, _, h, w) = images.dims4()?;
    ensure_len("images", n, 1)?;
    let device = images.device();
    let net = ConvNet::new(channels, classes, (h, w), seed, device)?;
    let mut opt = adam(net.vars(), 1e-2)?;
    let mut batches = Batches::new(n, 64, seed)?;
    for _ in 0..epochs {
        for idx in batches.epoch(device)? {
            let x = images.index_select(&idx, 0)?;
            let y = labels.index_select(&idx, 0)?;
            opt.backward_step(&candle_nn::loss::cross_entropy(&net.logits(&x)?, &y)?)?;
        }
    }
    let train_accuracy = crate::nn::metrics::accuracy(&net.logits(images)?, labels)?;
    Ok(Trained {
        filters: net.filters().clone(),
        train_accuracy,
    })
}
