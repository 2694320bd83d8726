//! A small candle feature network on the digits with a pluggable classification head.
//!
//! The network maps an input through one ReLU hidden layer to a `d`-dimensional
//! feature `x` (linear, no non-linearity, so features can point anywhere), and a
//! head turns `x` into class logits:
//!
//! * [`Head::Softmax`]: `W x (+ b)`, the plain softmax classifier;
//! * [`Head::WeightNorm`]: `Ŵ x` with unit-norm rows `Ŵ_j = W_j/‖W_j‖`;
//! * [`Head::NormFace`]: `s · Ŵ x̂`, cosine logits times a scale `s`
//!   (Wang et al., *NormFace*, ACM MM 2017);
//! * [`Head::ASoftmax`]: SphereFace's A-Softmax with margin `m` and the
//!   annealing of [`crate::sphereface::Anneal`].
//!
//! Parameters are `f32` candle [`Var`]s trained by Adam; everything runs on the
//! device the caller chooses.

use std::f64::consts::PI;
use std::time::Instant;

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::rectifier::train::{Data, scalar, to_matrix};
use crate::sphereface::{Anneal, check_m};

/// Small constant under the square root of a norm, so that a zero feature or
/// weight row gets a finite (zero) direction instead of a NaN gradient.
pub const NORM_EPS: f64 = 1e-12;

/// The classification head.
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
    /// A-Softmax with margin `m`.
    ASoftmax {
        /// Angular margin parameter, an integer ≥ 1.
        m: u32,
        /// The softmax admixture schedule.
        anneal: Anneal,
    },
}

impl Head {
    /// A short name for figures and tables.
    pub fn name(&self) -> String {
        match self {
            Head::Softmax { bias: true } => "softmax + bias".into(),
            Head::Softmax { bias: false } => "softmax".into(),
            Head::WeightNorm => "weight-normalized".into(),
            Head::NormFace { scale } => format!("NormFace s={scale}"),
            Head::ASoftmax { m, .. } => format!("A-Softmax m={m}"),
        }
    }

    /// Checks the parameters of the head.
    pub fn validate(&self) -> Result<()> {
        match self {
            Head::NormFace { scale } => {
                ensure_finite("scale", &[*scale])?;
                if *scale <= 0.0 {
                    return Err(Error::InvalidParameter {
                        name: "scale",
                        reason: "the NormFace scale s must be positive".into(),
                    });
                }
                Ok(())
            }
            Head::ASoftmax { m, anneal } => {
                check_m(*m)?;
                anneal.lambda(1).map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// Whether the head compares directions only (prediction by cosine).
    pub fn angular(&self) -> bool {
        !matches!(self, Head::Softmax { .. })
    }
}

/// The feature network `input → hidden (ReLU) → d`, and the head's class weights.
#[derive(Debug)]
pub struct FeatureNet {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
    /// Class weights `(classes, d)`.
    pub head_w: Var,
    /// Class biases `(classes)` (trained only by `Head::Softmax { bias: true }`).
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
    pub fn classes(&self) -> Result<usize> {
        Ok(self.head_w.as_tensor().dim(0)?)
    }

    /// The variables a head trains (the bias only for a softmax with bias).
    pub fn vars(&self, head: &Head) -> Vec<Var> {
        let mut v = vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
            self.head_w.clone(),
        ];
        if matches!(head, Head::Softmax { bias: true }) {
            v.push(self.head_b.clone());
        }
        v
    }

    /// Features `(batch, d)` of a batch of inputs.
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        let h = x
            .matmul(&self.w1.as_tensor().t()?)?
            .broadcast_add(self.b1.as_tensor())?
            .relu()?;
        Ok(h.matmul(&self.w2.as_tensor().t()?)?
            .broadcast_add(self.b2.as_tensor())?)
    }

    /// Class weights with unit-norm rows.
    pub fn normalized_weights(&self) -> Result<Tensor> {
        row_normalize(self.head_w.as_tensor())
    }

    /// Logits for a batch. `labels` is needed by A-Softmax (its target logit
    /// differs), `lambda` is the annealing weight (ignored by other heads).
    pub fn logits(
        &self,
        x: &Tensor,
        labels: Option<&Tensor>,
        head: &Head,
        lambda: f64,
    ) -> Result<Tensor> {
        let f = self.features(x)?;
        head_logits(
            &f,
            self.head_w.as_tensor(),
            self.head_b.as_tensor(),
            labels,
            head,
            lambda,
        )
    }
}

/// Rows divided by their norms (with [`NORM_EPS`] under the square root).
pub fn row_normalize(t: &Tensor) -> Result<Tensor> {
    let n = (t.sqr()?.sum_keepdim(D::Minus1)? + NORM_EPS)?.sqrt()?;
    Ok(t.broadcast_div(&n)?)
}

// ANCHOR: a_softmax_tensor
/// `ψ(θ)` from `c = cos θ` on a tensor: Chebyshev `T_m(c) = cos(mθ)`, and
/// `k = #{j = 1..m−1 : c ≤ cos(jπ/m)}`; the sign `(−1)^k` is the product of
/// one factor `1 − 2[c ≤ cos(jπ/m)]` per breakpoint passed. `k` is a step
/// function, so it carries no gradient (as in the SphereFace Caffe layer).
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

/// Logits of a head from features `f` `(batch, d)`, class weights `w` and biases `b`.
pub fn head_logits(
    f: &Tensor,
    w: &Tensor,
    b: &Tensor,
    labels: Option<&Tensor>,
    head: &Head,
    lambda: f64,
) -> Result<Tensor> {
    head.validate()?;
    Ok(match head {
        Head::Softmax { bias } => {
            let z = f.matmul(&w.t()?)?;
            if *bias { z.broadcast_add(b)? } else { z }
        }
        Head::WeightNorm => f.matmul(&row_normalize(w)?.t()?)?,
        Head::NormFace { scale } => (row_normalize(f)?.matmul(&row_normalize(w)?.t()?)? * *scale)?,
        Head::ASoftmax { m, .. } => {
            let labels = labels.ok_or(Error::InvalidParameter {
                name: "labels",
                reason: "the A-Softmax target logit needs the labels".into(),
            })?;
            let classes = w.dim(0)?;
            let norm = (f.sqr()?.sum_keepdim(D::Minus1)? + NORM_EPS)?.sqrt()?; // (B, 1)
            let cos = f
                .broadcast_div(&norm)?
                .matmul(&row_normalize(w)?.t()?)?
                .clamp(-1.0, 1.0)?; // (B, C)
            let idx = labels.unsqueeze(1)?;
            let cos_y = cos.gather(&idx, 1)?; // (B, 1)
            let psi_y = psi_tensor(&cos_y, *m)?;
            let target = ((cos_y.clone() * lambda)? + psi_y)?.affine(1.0 / (1.0 + lambda), 0.0)?;
            let onehot = idx
                .broadcast_eq(&Tensor::arange(0u32, classes as u32, f.device())?.unsqueeze(0)?)?
                .to_dtype(f.dtype())?;
            let delta = (target - cos_y)?; // (B, 1)
            let adjusted = (cos + onehot.broadcast_mul(&delta)?)?;
            adjusted.broadcast_mul(&norm)?
        }
    })
}
// ANCHOR_END: a_softmax_tensor

/// Settings of a training run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of the minibatch order.
    pub seed: u64,
}

/// What one epoch produced.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's minibatches.
    pub train_loss: f64,
    /// Accuracy on the evaluation set.
    pub accuracy: f64,
    /// Annealing weight `λ` at the end of the epoch (0 for other heads).
    pub lambda: f64,
    /// Wall time of the epoch's updates.
    pub seconds: f64,
}

/// Checks that every label is below `classes`.
pub fn check_labels(data: &Data, classes: usize) -> Result<()> {
    let y: Vec<u32> = data.y.to_vec1()?;
    if let Some(&bad) = y.iter().find(|&&k| k as usize >= classes) {
        return Err(Error::InvalidParameter {
            name: "label",
            reason: format!("label {bad} is out of range for {classes} classes"),
        });
    }
    Ok(())
}

/// Predicted classes: argmax of the logits for the softmax head, argmax of
/// the cosine to the class weights for angular heads (the A-Softmax and
/// NormFace test-time rule; the margin is used only in training).
pub fn predict(net: &FeatureNet, x: &Tensor, head: &Head) -> Result<Tensor> {
    let scores = if head.angular() {
        row_normalize(&net.features(x)?)?.matmul(&net.normalized_weights()?.t()?)?
    } else {
        net.logits(x, None, head, 0.0)?
    };
    Ok(scores.argmax(D::Minus1)?)
}

/// Accuracy on `data`.
pub fn accuracy(net: &FeatureNet, data: &Data, head: &Head) -> Result<f64> {
    let hits = predict(net, &data.x, head)?
        .eq(&data.y)?
        .to_dtype(DType::F64)?
        .sum_all()?;
    Ok(scalar(&hits)? / data.n as f64)
}

/// Per-class accuracy on `data` (NaN for a class with no example).
pub fn class_accuracy(net: &FeatureNet, data: &Data, head: &Head) -> Result<Vec<f64>> {
    let classes = net.classes()?;
    let p: Vec<u32> = predict(net, &data.x, head)?.to_vec1()?;
    let y: Vec<u32> = data.y.to_vec1()?;
    let mut hit = vec![0.0; classes];
    let mut count = vec![0.0; classes];
    for (a, b) in p.iter().zip(&y) {
        count[*b as usize] += 1.0;
        if a == b {
            hit[*b as usize] += 1.0;
        }
    }
    Ok(hit.iter().zip(&count).map(|(h, c)| h / c).collect())
}

/// Trains `net` with `head` by Adam on minibatches; evaluates on `eval`
/// after each epoch. `λ` follows the head's annealing per minibatch
/// iteration, counted from 1 as in the Caffe layer. Stops (with the
/// non-finite loss as the last entry) if the loss stops being finite.
pub fn train(
    net: &FeatureNet,
    head: &Head,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
) -> Result<Vec<EpochStats>> {
    train_with(net, head, train, eval, cfg, |_, _| Ok(()))
}

/// [`train`], calling `on_epoch(epoch, net)` after every epoch (to record
/// how parameters evolve without restarting the optimizer).
pub fn train_with(
    net: &FeatureNet,
    head: &Head,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
    on_epoch: impl FnMut(usize, &FeatureNet) -> Result<()>,
) -> Result<Vec<EpochStats>> {
    train_with_optimizer(net, head, train, eval, cfg, Opt::Adam, on_epoch)
}

/// The update rule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Opt {
    /// Adam (Kingma & Ba 2015), no weight decay: per-coordinate step sizes,
    /// so the size of a gradient hardly matters, only its sign pattern.
    Adam,
    /// SGD with PyTorch-style momentum `buf = μ·buf + g; p −= η·buf`: steps
    /// proportional to gradients (`candle_nn::SGD` has no momentum).
    Sgd {
        /// Momentum `μ`.
        momentum: f64,
    },
}

// ANCHOR: train
/// [`train_with`] with a choice of update rule.
pub fn train_with_optimizer(
    net: &FeatureNet,
    head: &Head,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
    opt_kind: Opt,
    mut on_epoch: impl FnMut(usize, &FeatureNet) -> Result<()>,
) -> Result<Vec<EpochStats>> {
    head.validate()?;
    ensure_len("epochs", cfg.epochs, 1)?;
    ensure_len("batch size", cfg.batch, 1)?;
    ensure_len("training examples", train.n, 1)?;
    ensure_finite("learning rate", &[cfg.lr])?;
    check_labels(train, net.classes()?)?;
    check_labels(eval, net.classes()?)?;
    let params = ParamsAdamW {
        lr: cfg.lr,
        weight_decay: 0.0,
        ..Default::default()
    };
    let vars = net.vars(head);
    let mut opt = AdamW::new(vars.clone(), params)?;
    let mut bufs: Vec<Option<Tensor>> = vec![None; vars.len()];
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut order: Vec<u32> = (0..train.n as u32).collect();
    let mut iter = 0u64;
    let mut stats = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let (mut sum, mut count, mut lambda) = (0.0, 0.0, 0.0);
        for chunk in order.chunks(cfg.batch) {
            iter += 1;
            lambda = match head {
                Head::ASoftmax { anneal, .. } => anneal.lambda(iter)?,
                _ => 0.0,
            };
            let idx = Tensor::from_slice(chunk, chunk.len(), &net.device)?;
            let xb = train.x.index_select(&idx, 0)?;
            let yb = train.y.index_select(&idx, 0)?;
            let logits = net.logits(&xb, Some(&yb), head, lambda)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &yb)?;
            match opt_kind {
                Opt::Adam => opt.backward_step(&loss)?,
                Opt::Sgd { momentum } => {
                    let grads = loss.backward()?;
                    for (k, v) in vars.iter().enumerate() {
                        let Some(g) = grads.get(v.as_tensor()) else {
                            continue;
                        };
                        let buf = match &bufs[k] {
                            Some(b) if momentum > 0.0 => ((b * momentum)? + g)?,
                            _ => g.clone(),
                        };
                        v.set(&(v.as_tensor() - (&buf * cfg.lr)?)?)?;
                        bufs[k] = Some(buf);
                    }
                }
            }
            sum += scalar(&loss)?;
            count += 1.0;
        }
        let seconds = t0.elapsed().as_secs_f64();
        let train_loss = sum / count;
        let finite = train_loss.is_finite();
        stats.push(EpochStats {
            epoch,
            train_loss,
            accuracy: if finite {
                accuracy(net, eval, head)?
            } else {
                f64::NAN
            },
            lambda,
            seconds,
        });
        if !finite {
            break;
        }
        on_epoch(epoch, net)?;
    }
    Ok(stats)
}
// ANCHOR_END: train

/// Features of `data` as a matrix (one row per example).
pub fn feature_matrix(net: &FeatureNet, x: &Tensor) -> Result<DMatrix<f64>> {
    to_matrix(&net.features(x)?)
}

/// Class weights as a matrix `(classes, d)`.
pub fn weight_matrix(net: &FeatureNet) -> Result<DMatrix<f64>> {
    to_matrix(net.head_w.as_tensor())
}
