//! Autoencoders in candle: an encoder from `d` inputs to a `k`-dimensional
//! code and a decoder back to `d`, trained to reproduce their input by
//! minimising the mean squared error. Without hidden layers both maps are
//! affine (the linear autoencoder of Baldi & Hornik 1989); with hidden layers
//! each hidden layer applies `tanh`, the code and the output stay linear.
//!
//! Training: Adam on shuffled minibatches ([`crate::nn::Batches`]) with a
//! cosine learning-rate decay, and early stopping on a validation set: after
//! every epoch the validation error is measured, training stops after
//! `patience` epochs without an improvement of at least [`MIN_IMPROVEMENT`],
//! and the weights of the best epoch are restored.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::Optimizer;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::optim::adam;
use crate::nn::{Batches, scalar, to_matrix};

/// The hidden layers of the encoder (the decoder mirrors them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Arch {
    /// Widths of the encoder's hidden layers, input side first; empty for
    /// the linear autoencoder.
    pub hidden: Vec<usize>,
}

impl Arch {
    /// The linear autoencoder: `x ↦ (x W_e + b_e) W_d + b_d`.
    pub fn linear() -> Arch {
        Arch { hidden: Vec::new() }
    }

    /// A `tanh` autoencoder with these encoder hidden widths.
    pub fn tanh(hidden: &[usize]) -> Arch {
        Arch {
            hidden: hidden.to_vec(),
        }
    }

    /// A short name: "linear" or "tanh 64-32" (the encoder's widths).
    pub fn name(&self) -> String {
        if self.hidden.is_empty() {
            "linear".into()
        } else {
            let w: Vec<String> = self.hidden.iter().map(ToString::to_string).collect();
            format!("tanh {}", w.join("-"))
        }
    }
}

#[derive(Debug)]
struct Layer {
    w: Var,
    b: Var,
}

impl Layer {
    fn new(rng: &mut StdRng, inputs: usize, outputs: usize, device: &Device) -> Result<Layer> {
        let r = (6.0 / (inputs + outputs) as f64).sqrt();
        let v: Vec<f32> = (0..inputs * outputs)
            .map(|_| rng.random_range(-r..r) as f32)
            .collect();
        Ok(Layer {
            w: Var::from_tensor(&Tensor::from_vec(v, (inputs, outputs), device)?)?,
            b: Var::zeros(outputs, DType::F32, device)?,
        })
    }

    fn apply(&self, x: &Tensor, tanh: bool) -> Result<Tensor> {
        let y = x
            .matmul(self.w.as_tensor())?
            .broadcast_add(self.b.as_tensor())?;
        Ok(if tanh { y.tanh()? } else { y })
    }
}

/// An autoencoder with `f32` parameters on one device.
#[derive(Debug)]
pub struct Autoencoder {
    encoder: Vec<Layer>,
    decoder: Vec<Layer>,
    device: Device,
}

impl Autoencoder {
    /// Glorot-uniform weights and zero biases from a generator seeded with `seed`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for `d = 0`, `k = 0` or a hidden width 0;
    /// [`Error::InvalidParameter`] for `k ≥ d` (nothing to compress);
    /// [`Error::Candle`] if the parameters cannot be built on `device`.
    pub fn new(d: usize, k: usize, arch: &Arch, seed: u64, device: &Device) -> Result<Self> {
        ensure_len("input dimension", d, 1)?;
        ensure_len("code size k", k, 1)?;
        for &h in &arch.hidden {
            ensure_len("hidden width", h, 1)?;
        }
        if k >= d {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: format!("the code size must be below the input dimension {d}, got {k}"),
            });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut widths = vec![d];
        widths.extend(&arch.hidden);
        widths.push(k);
        let mut encoder = Vec::new();
        for w in widths.windows(2) {
            encoder.push(Layer::new(&mut rng, w[0], w[1], device)?);
        }
        let mut decoder = Vec::new();
        for w in widths.windows(2).rev() {
            decoder.push(Layer::new(&mut rng, w[1], w[0], device)?);
        }
        Ok(Autoencoder {
            encoder,
            decoder,
            device: device.clone(),
        })
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    // ANCHOR: forward
    /// The code `(rows, k)` of the rows of `x`.
    ///
    /// # Errors
    /// [`Error::Candle`] if `x` does not have `d` columns.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        run(&self.encoder, x)
    }

    /// The reconstruction `(rows, d)` of codes `z`.
    ///
    /// # Errors
    /// [`Error::Candle`] if `z` does not have `k` columns.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        run(&self.decoder, z)
    }
    // ANCHOR_END: forward

    /// Mean squared error per entry of the reconstruction of `x`.
    ///
    /// # Errors
    /// As [`Autoencoder::encode`].
    pub fn mse(&self, x: &Tensor) -> Result<f64> {
        scalar(&candle_nn::loss::mse(&self.decode(&self.encode(x)?)?, x)?)
    }

    /// Every trained parameter.
    pub fn vars(&self) -> Vec<Var> {
        let layers = self.encoder.iter().chain(&self.decoder);
        layers.flat_map(|l| [l.w.clone(), l.b.clone()]).collect()
    }

    /// The weight matrices `W_e` (`d × k`) and `W_d` (`k × d`) of a linear
    /// autoencoder.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the autoencoder has hidden layers.
    pub fn linear_weights(&self) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
        match (self.encoder.as_slice(), self.decoder.as_slice()) {
            ([e], [d]) => Ok((to_matrix(e.w.as_tensor())?, to_matrix(d.w.as_tensor())?)),
            _ => Err(Error::InvalidParameter {
                name: "autoencoder",
                reason:
                    "only a linear autoencoder (no hidden layer) has one weight matrix per side"
                        .into(),
            }),
        }
    }
}

/// Layers in order, `tanh` after every one but the last.
fn run(layers: &[Layer], x: &Tensor) -> Result<Tensor> {
    let mut h = x.clone();
    for (i, l) in layers.iter().enumerate() {
        h = l.apply(&h, i + 1 < layers.len())?;
    }
    Ok(h)
}

/// The relative decrease of the validation error that counts as a new best
/// epoch for early stopping (0.1 %): smaller gains, which a decaying learning
/// rate keeps producing, do not reset the patience.
pub const MIN_IMPROVEMENT: f64 = 1e-3;

/// Settings of one training run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrainPlan {
    /// Most epochs.
    pub max_epochs: usize,
    /// Epochs without a better validation error before stopping.
    pub patience: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam's initial learning rate (cosine decay to 0 over `max_epochs`).
    pub lr: f64,
    /// Seed of the minibatch order.
    pub seed: u64,
}

/// What a training run produced (errors with the restored best weights).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fit {
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept (best validation error).
    pub best_epoch: usize,
    /// Training error of the kept weights.
    pub train_mse: f64,
    /// Validation error of the kept weights.
    pub valid_mse: f64,
    /// Wall time of the training loop.
    pub seconds: f64,
}

// ANCHOR: train
/// Trains `ae` on the rows of `train` with early stopping on `valid`.
///
/// # Errors
/// [`Error::TooFew`] for zero epochs, patience, batch or rows;
/// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a learning rate
/// that is not finite and positive; [`Error::NoConvergence`] if the training
/// loss stops being finite; [`Error::Candle`] on a shape mismatch.
pub fn train(ae: &Autoencoder, train: &Tensor, valid: &Tensor, plan: &TrainPlan) -> Result<Fit> {
    ensure_len("epochs", plan.max_epochs, 1)?;
    ensure_len("patience", plan.patience, 1)?;
    ensure_finite("learning rate", &[plan.lr])?;
    if plan.lr <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "learning rate",
            reason: "must be positive".into(),
        });
    }
    let t0 = Instant::now();
    let n = train.dims2()?.0;
    let mut batches = Batches::new(n, plan.batch, plan.seed)?;
    let mut opt = adam(ae.vars(), plan.lr)?;
    let (mut best, mut best_epoch, mut saved) = (f64::INFINITY, 0, snapshot(ae)?);
    let mut epochs = 0;
    for epoch in 1..=plan.max_epochs {
        epochs = epoch;
        let phase = std::f64::consts::PI * (epoch - 1) as f64 / plan.max_epochs as f64;
        opt.set_learning_rate(plan.lr * 0.5 * (1.0 + phase.cos()));
        for idx in batches.epoch(ae.device())? {
            let xb = train.index_select(&idx, 0)?;
            let loss = candle_nn::loss::mse(&ae.decode(&ae.encode(&xb)?)?, &xb)?;
            opt.backward_step(&loss)?;
        }
        // ANCHOR: early_stop
        let v = ae.mse(valid)?;
        if !v.is_finite() {
            return Err(Error::NoConvergence {
                method: "autoencoder training",
                iterations: epoch,
                reason: format!("the validation error became {v}"),
                last: Vec::new(),
            });
        }
        if v < best * (1.0 - MIN_IMPROVEMENT) {
            (best, best_epoch, saved) = (v, epoch, snapshot(ae)?);
        } else if epoch - best_epoch >= plan.patience {
            break;
        }
    }
    restore(ae, &saved)?;
    // ANCHOR_END: early_stop
    Ok(Fit {
        epochs,
        best_epoch,
        train_mse: ae.mse(train)?,
        valid_mse: best,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
// ANCHOR_END: train

fn snapshot(ae: &Autoencoder) -> Result<Vec<Tensor>> {
    ae.vars()
        .iter()
        .map(|v| Ok(v.as_tensor().copy()?))
        .collect()
}

fn restore(ae: &Autoencoder, saved: &[Tensor]) -> Result<()> {
    for (v, t) in ae.vars().iter().zip(saved) {
        v.set(t)?;
    }
    Ok(())
}
