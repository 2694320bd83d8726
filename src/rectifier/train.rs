//! The same multilayer perceptron in candle, for training on the selected device.
//!
//! [`Net`] holds the parameters of an [`Mlp`] as candle [`Var`]s (in f64 for the
//! equivalence test against the reference, in f32 for training) and computes
//! gradients by candle's reverse-mode autograd. Training is minibatch SGD
//! with optional PyTorch-style momentum ([`crate::nn::optim::Sgd`]) or the
//! layer-wise relative rule of [`super::backprop::relative_step`], with an
//! optional L1 penalty on hidden activations (GBB 2011 §3,
//! "sparsity-promoting penalty"). The tensor conversions, the data set type,
//! the minibatch order and the optimisers are those of [`crate::nn`].

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::Optimizer;
use nalgebra::DVector;
use rand::Rng;

use super::backprop::Grads;
use super::{Activation, Mlp};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::optim::{Sgd, adam};
use crate::nn::{Batches, Data, scalar, to_matrix, to_tensor};

/// Hidden non-linearity of a candle [`Net`]: a fixed [`Activation`] or the
/// parametric rectifier PReLU (He et al. 2015), `max(0, z) − a·max(0, −z)`
/// with one learned slope `a` per unit, initialised at 0.25.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetAct {
    /// A fixed activation.
    Fixed(Activation),
    /// Parametric ReLU with learned slopes.
    PRelu,
}

impl NetAct {
    /// A short name for figures and tables.
    pub fn name(self) -> &'static str {
        match self {
            NetAct::Fixed(a) => a.name(),
            NetAct::PRelu => "PReLU",
        }
    }
}

/// A candle copy of an [`Mlp`]: weights `(out, in)`, biases `(out)`.
#[derive(Debug)]
pub struct Net {
    ws: Vec<Var>,
    bs: Vec<Var>,
    slopes: Vec<Var>,
    act: NetAct,
    dtype: DType,
    device: Device,
}

/// The values of one forward pass.
#[derive(Debug)]
pub struct Forward {
    /// Output logits `(batch, classes)`.
    pub out: Tensor,
    /// Hidden pre-activations, one `(batch, units)` tensor per hidden layer.
    pub pre: Vec<Tensor>,
    /// Hidden activations, one per hidden layer.
    pub hidden: Vec<Tensor>,
}

impl Net {
    /// Copies the parameters of `mlp` into candle variables of type `dtype` on `device`.
    ///
    /// The parameters are copied; `act` decides the non-linearity (it may
    /// differ from `mlp`'s, so one initialisation serves several activations).
    ///
    /// # Errors
    ///
    /// [`Error::Candle`] if a tensor cannot be created on `device` with `dtype`.
    pub fn from_mlp(mlp: &Mlp, act: NetAct, dtype: DType, device: &Device) -> Result<Net> {
        let mut ws = Vec::new();
        let mut bs = Vec::new();
        for (w, b) in mlp.weights().iter().zip(mlp.biases()) {
            ws.push(Var::from_tensor(&to_tensor(w, dtype, device)?)?);
            let bt = Tensor::from_vec(b.as_slice().to_vec(), b.len(), device)?.to_dtype(dtype)?;
            bs.push(Var::from_tensor(&bt)?);
        }
        let mut slopes = Vec::new();
        if act == NetAct::PRelu {
            for w in &mlp.weights()[..mlp.depth() - 1] {
                slopes.push(Var::from_tensor(
                    &Tensor::full(0.25f64, w.nrows(), device)?.to_dtype(dtype)?,
                )?);
            }
        }
        Ok(Net {
            ws,
            bs,
            slopes,
            act,
            dtype,
            device: device.clone(),
        })
    }

    /// The parameters back as an [`Mlp`], for a network with a fixed activation.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a PReLU network: its per-unit slopes have no
    /// fixed-activation [`Mlp`] form (even when they are all equal);
    /// [`Error::Candle`] if a parameter cannot be read back; [`Error::NonFinite`] if
    /// a parameter is NaN or infinite (training diverged).
    pub fn to_mlp(&self) -> Result<Mlp> {
        let mut w = Vec::new();
        let mut b = Vec::new();
        for (wv, bv) in self.ws.iter().zip(&self.bs) {
            w.push(to_matrix(wv.as_tensor())?);
            let v: Vec<f64> = bv.as_tensor().to_dtype(DType::F64)?.to_vec1()?;
            b.push(DVector::from_vec(v));
        }
        let act = match self.act {
            NetAct::Fixed(a) => a,
            NetAct::PRelu => {
                return Err(Error::InvalidParameter {
                    name: "activation",
                    reason: "a PReLU network with per-unit slopes has no fixed-activation Mlp form"
                        .into(),
                });
            }
        };
        Mlp::new(w, b, act)
    }

    /// Every trainable variable (weights, biases, PReLU slopes).
    pub fn vars(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for (w, b) in self.ws.iter().zip(&self.bs) {
            v.push(w.clone());
            v.push(b.clone());
        }
        v.extend(self.slopes.iter().cloned());
        v
    }

    /// The weight variables, first layer first.
    pub fn weight_vars(&self) -> &[Var] {
        &self.ws
    }

    /// The bias variables, first layer first.
    pub fn bias_vars(&self) -> &[Var] {
        &self.bs
    }

    /// The tensor type of the parameters.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn activate(&self, z: &Tensor, layer: usize) -> Result<Tensor> {
        Ok(match self.act {
            NetAct::Fixed(Activation::Relu) => z.relu()?,
            NetAct::Fixed(Activation::Leaky(a)) => (z.relu()? - (z.neg()?.relu()? * a)?)?,
            NetAct::Fixed(Activation::Tanh) => z.tanh()?,
            NetAct::Fixed(Activation::Sigmoid) => candle_nn::ops::sigmoid(z)?,
            // max(z, 0) + log(1 + e^{−|z|}), as in Activation::apply.
            NetAct::Fixed(Activation::Softplus) => {
                (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?
            }
            NetAct::PRelu => {
                (z.relu()?
                    - z.neg()?
                        .relu()?
                        .broadcast_mul(self.slopes[layer].as_tensor())?)?
            }
        })
    }

    // ANCHOR: candle_forward
    /// Runs the network on a batch `(examples, features)`.
    ///
    /// # Errors
    ///
    /// [`Error::Candle`] if a tensor operation fails: `x` is not 2-D, its number of
    /// columns is not the first layer's inputs, or its dtype or device differs from
    /// the network's.
    pub fn forward(&self, x: &Tensor) -> Result<Forward> {
        let n = self.ws.len();
        let (mut pre, mut hidden) = (Vec::new(), Vec::new());
        let mut h = x.clone();
        for i in 0..n {
            let z = h
                .matmul(&self.ws[i].as_tensor().t()?)?
                .broadcast_add(self.bs[i].as_tensor())?;
            if i + 1 == n {
                return Ok(Forward {
                    out: z,
                    pre,
                    hidden,
                });
            }
            h = self.activate(&z, i)?;
            pre.push(z);
            hidden.push(h.clone());
        }
        unreachable!("a Net has at least one layer")
    }
    // ANCHOR_END: candle_forward

    /// Mean softmax cross-entropy (labels as a `u32` tensor) and candle's gradients,
    /// returned in the reference layout for comparison with
    /// [`super::backprop::gradients`].
    ///
    /// # Errors
    ///
    /// [`Error::Candle`] if a tensor operation fails (inputs of the wrong shape,
    /// dtype or device, or labels that are not one in-range `u32` per example);
    /// [`Error::Data`] if candle returns no gradient for a parameter.
    pub fn loss_and_grads_classes(&self, x: &Tensor, labels: &Tensor) -> Result<(f64, Grads)> {
        let f = self.forward(x)?;
        let loss = candle_nn::loss::cross_entropy(&f.out, labels)?;
        self.collect(&loss)
    }

    /// Mean squared error against `y` and candle's gradients.
    ///
    /// # Errors
    ///
    /// [`Error::Candle`] if a tensor operation fails (inputs of the wrong shape,
    /// dtype or device, or `y` not shaped like the output); [`Error::Data`] if candle
    /// returns no gradient for a parameter.
    pub fn loss_and_grads_regression(&self, x: &Tensor, y: &Tensor) -> Result<(f64, Grads)> {
        let f = self.forward(x)?;
        let loss = candle_nn::loss::mse(&f.out, y)?;
        self.collect(&loss)
    }

    fn collect(&self, loss: &Tensor) -> Result<(f64, Grads)> {
        let g = loss.backward()?;
        let missing = || Error::Data("candle returned no gradient for a parameter".into());
        let mut gw = Vec::new();
        let mut gb = Vec::new();
        for (w, b) in self.ws.iter().zip(&self.bs) {
            gw.push(to_matrix(g.get(w.as_tensor()).ok_or_else(missing)?)?);
            let v: Vec<f64> = g
                .get(b.as_tensor())
                .ok_or_else(missing)?
                .to_dtype(DType::F64)?
                .to_vec1()?;
            gb.push(DVector::from_vec(v));
        }
        Ok((
            scalar(loss)?,
            Grads {
                weights: gw,
                biases: gb,
            },
        ))
    }
}

/// How parameters move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// `p −= η·buf`, `buf = μ·buf + g` (plain SGD when `μ = 0`).
    Sgd {
        /// Momentum `μ`.
        momentum: f64,
    },
    /// Layer-wise relative step, `p −= η ‖p‖/‖g‖ · g`, per tensor.
    Relative,
}

/// Settings of a training run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Learning rate `η`.
    pub lr: f64,
    /// Update rule.
    pub rule: Rule,
    /// Weight `β` of the activation penalty `β · (1/B) Σ_examples Σ_hidden |h|`.
    pub l1: f64,
    /// Seed of the minibatch order.
    pub seed: u64,
}

impl TrainConfig {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for 0 epochs or a batch size of 0; [`Error::NonFinite`] for
    /// a NaN or infinite learning rate or L1 penalty; [`Error::InvalidParameter`] for
    /// a learning rate that is not positive.
    pub fn validate(&self) -> Result<()> {
        ensure_len("epochs", self.epochs, 1)?;
        ensure_len("batch size", self.batch, 1)?;
        ensure_finite("learning rate", &[self.lr])?;
        ensure_finite("L1 penalty", &[self.l1])?;
        if self.lr <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "learning rate",
                reason: "must be positive".into(),
            });
        }
        Ok(())
    }

    /// The momentum-SGD state for `n_vars` variables that [`step`] updates
    /// (momentum 0 under [`Rule::Relative`], which keeps no state).
    ///
    /// # Errors
    /// As [`TrainConfig::validate`] and [`Sgd::new`] (a negative momentum).
    pub fn sgd(&self, n_vars: usize) -> Result<Sgd> {
        self.validate()?;
        let momentum = match self.rule {
            Rule::Sgd { momentum } => momentum,
            Rule::Relative => 0.0,
        };
        Sgd::new(n_vars, self.lr, momentum)
    }
}

/// What one epoch produced (measured after the epoch).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's minibatches (without the penalty).
    pub train_loss: f64,
    /// Accuracy on the evaluation set.
    pub test_accuracy: f64,
    /// Hidden units whose pre-activation is ≤ 0 on every training example.
    pub dead_units: usize,
    /// Fraction of hidden activations that are exactly 0 on the evaluation set.
    pub zero_fraction: f64,
    /// Wall time of the epoch's updates (evaluation excluded).
    pub seconds: f64,
}

/// Classification accuracy of `net` on `data`.
///
/// # Errors
///
/// [`Error::TooFew`] for a data set with no examples; [`Error::Candle`] if a tensor
/// operation fails (the inputs do not fit the network, or the labels do not match the
/// examples).
pub fn accuracy(net: &Net, data: &Data) -> Result<f64> {
    crate::nn::metrics::accuracy(&net.forward(&data.x)?.out, &data.y)
}

/// Mean cross-entropy of `net` on `data`.
///
/// # Errors
///
/// [`Error::Candle`] if a tensor operation fails (the inputs do not fit the network,
/// or the labels are not one in-range class per example).
pub fn mean_loss(net: &Net, data: &Data) -> Result<f64> {
    let f = net.forward(&data.x)?;
    scalar(&candle_nn::loss::cross_entropy(&f.out, &data.y)?)
}

/// Number of hidden units whose pre-activation is ≤ 0 on every example of
/// `data`: for a ReLU these output 0 everywhere and receive no gradient
/// (GBB 2011 §3, "hard saturation at 0").
///
/// # Errors
///
/// [`Error::Candle`] if a tensor operation fails (the inputs do not fit the network).
pub fn dead_units(net: &Net, data: &Data) -> Result<usize> {
    let f = net.forward(&data.x)?;
    let mut dead = 0.0;
    for z in &f.pre {
        dead += scalar(&z.max(0)?.le(0.0)?.to_dtype(DType::F64)?.sum_all()?)?;
    }
    Ok(dead as usize)
}

/// Fraction of hidden activations (all hidden layers, all examples) that are exactly 0.
///
/// # Errors
///
/// [`Error::Candle`] if a tensor operation fails (the inputs do not fit the network).
pub fn zero_fraction(net: &Net, data: &Data) -> Result<f64> {
    let f = net.forward(&data.x)?;
    let (mut zeros, mut total) = (0.0, 0.0);
    for h in &f.hidden {
        zeros += scalar(&h.eq(0.0)?.to_dtype(DType::F64)?.sum_all()?)?;
        total += h.elem_count() as f64;
    }
    Ok(if total > 0.0 { zeros / total } else { 0.0 })
}

// ANCHOR: train_step
/// One update on a minibatch; returns the cross-entropy before the update.
/// `sgd` holds the momentum buffers ([`TrainConfig::sgd`]).
///
/// # Errors
/// [`Error::Candle`] on a shape mismatch between the net, `x` and `y`.
pub fn step(net: &Net, x: &Tensor, y: &Tensor, cfg: &TrainConfig, sgd: &mut Sgd) -> Result<f64> {
    let f = net.forward(x)?;
    let ce = candle_nn::loss::cross_entropy(&f.out, y)?;
    let mut loss = ce.clone();
    if cfg.l1 > 0.0 {
        let b = x.dim(0)? as f64;
        for h in &f.hidden {
            loss = (loss + (h.abs()?.sum_all()? * (cfg.l1 / b))?)?;
        }
    }
    let grads = loss.backward()?;
    for (k, v) in net.vars().iter().enumerate() {
        let Some(g) = grads.get(v.as_tensor()) else {
            continue;
        };
        match cfg.rule {
            Rule::Sgd { .. } => sgd.apply(k, v, g)?,
            Rule::Relative => {
                let pn = scalar(&v.as_tensor().sqr()?.sum_all()?)?.sqrt();
                let gn = scalar(&g.sqr()?.sum_all()?)?.sqrt();
                let r = if pn > 0.0 && gn > 0.0 { pn / gn } else { 0.0 };
                v.set(&(v.as_tensor() - (g * (cfg.lr * r))?)?)?;
            }
        }
    }
    scalar(&ce)
}
// ANCHOR_END: train_step

/// Trains `net` on `train`, evaluating on `eval` after each epoch.
///
/// Stops early if an epoch's loss is NaN or infinite (a diverging learning
/// rate): the last entry then carries the non-finite loss, so a caller sees
/// where training broke down instead of getting no curve at all.
///
/// # Errors
///
/// Invalid settings as [`TrainConfig::validate`] reports them ([`Error::TooFew`],
/// [`Error::NonFinite`], [`Error::InvalidParameter`]), also for a momentum that is
/// negative or not finite; [`Error::TooFew`] for a training or evaluation set with no
/// examples; [`Error::Candle`] if a tensor operation fails (the data do not fit the
/// network, or a label is out of range).
pub fn train(net: &Net, train: &Data, eval: &Data, cfg: &TrainConfig) -> Result<Vec<EpochStats>> {
    let mut sgd = cfg.sgd(net.vars().len())?;
    let mut batches = Batches::new(train.n, cfg.batch, cfg.seed)?;
    let mut stats = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        let (mut sum, mut count) = (0.0, 0.0);
        for idx in batches.epoch(net.device())? {
            let (xb, yb) = train.select(&idx)?;
            let l = step(net, &xb, &yb, cfg, &mut sgd)?;
            sum += l;
            count += 1.0;
        }
        let seconds = t0.elapsed().as_secs_f64();
        let train_loss = sum / count;
        if !train_loss.is_finite() {
            stats.push(EpochStats {
                epoch,
                train_loss,
                test_accuracy: f64::NAN,
                dead_units: 0,
                zero_fraction: f64::NAN,
                seconds,
            });
            break;
        }
        stats.push(EpochStats {
            epoch,
            train_loss,
            test_accuracy: accuracy(net, eval)?,
            dead_units: dead_units(net, train)?,
            zero_fraction: zero_fraction(net, eval)?,
            seconds,
        });
    }
    Ok(stats)
}

/// Fits `net` to regression targets `y` by full-batch Adam (Kingma & Ba 2015)
/// on the mean squared error; returns the final loss.
///
/// # Errors
///
/// [`Error::TooFew`] for `steps == 0`; [`Error::Candle`] if a tensor operation
/// fails (`x` or `y` do not fit the network) or Adam cannot be set up;
/// [`Error::NonFinite`] if the final loss is NaN or infinite (the fit diverged).
pub fn fit_regression(net: &Net, x: &Tensor, y: &Tensor, steps: usize, lr: f64) -> Result<f64> {
    ensure_len("steps", steps, 1)?;
    let mut opt = adam(net.vars(), lr)?;
    for _ in 0..steps {
        let loss = candle_nn::loss::mse(&net.forward(x)?.out, y)?;
        opt.backward_step(&loss)?;
    }
    let loss = scalar(&candle_nn::loss::mse(&net.forward(x)?.out, y)?)?;
    ensure_finite("regression loss", &[loss])?;
    Ok(loss)
}

/// Greedy unsupervised pre-training of the first layer (Bengio et al. 2007):
/// trains an autoencoder `x ↦ W' φ(W_1 x + b_1) + c` on the unlabelled inputs
/// `x` by Adam for `epochs` full passes in minibatches of 64, then leaves the
/// learned `W_1, b_1` in `net`. Returns the final reconstruction error.
///
/// # Errors
///
/// [`Error::TooFew`] for `epochs == 0` or no examples in `x`; [`Error::Candle`]
/// if a tensor operation fails (`x` is not 2-D or does not fit the first layer);
/// [`Error::NonFinite`] if the final reconstruction error is NaN or infinite
/// (training diverged).
pub fn pretrain_first_layer(
    net: &Net,
    x: &Tensor,
    epochs: usize,
    lr: f64,
    seed: u64,
) -> Result<f64> {
    ensure_len("epochs", epochs, 1)?;
    let (n, d) = x.dims2()?;
    let h = net.ws[0].as_tensor().dim(0)?;
    let mut batches = Batches::new(n, 64, seed)?;
    let r = (6.0 / (h + d) as f64).sqrt();
    // Decoder drawn from the seeded generator (not candle's global one), so
    // runs repeat; the minibatch shuffles continue the same stream.
    let init: Vec<f64> = (0..d * h)
        .map(|_| batches.rng().random_range(-r..r))
        .collect();
    let dec =
        Var::from_tensor(&Tensor::from_vec(init, (d, h), net.device())?.to_dtype(net.dtype)?)?;
    let c = Var::from_tensor(&Tensor::zeros(d, net.dtype, net.device())?)?;
    let vars = vec![net.ws[0].clone(), net.bs[0].clone(), dec.clone(), c.clone()];
    let mut opt = adam(vars, lr)?;
    let recon = |xb: &Tensor| -> Result<Tensor> {
        let z = xb
            .matmul(&net.ws[0].as_tensor().t()?)?
            .broadcast_add(net.bs[0].as_tensor())?;
        let hid = net.activate(&z, 0)?;
        let out = hid
            .matmul(&dec.as_tensor().t()?)?
            .broadcast_add(c.as_tensor())?;
        Ok(candle_nn::loss::mse(&out, xb)?)
    };
    for _ in 0..epochs {
        for idx in batches.epoch(net.device())? {
            opt.backward_step(&recon(&x.index_select(&idx, 0)?)?)?;
        }
    }
    let err = scalar(&recon(x)?)?;
    ensure_finite("reconstruction error", &[err])?;
    Ok(err)
}
