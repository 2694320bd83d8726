//! The classification training loop: a [`FeatureNet`] and a [`Head`], trained
//! on shuffled minibatches by Adam or momentum SGD, evaluated after every epoch.

use std::time::Instant;

use candle_core::{D, DType, Tensor};

use super::data::{Batches, Data};
use super::feature::{FeatureNet, row_normalize};
use super::optim::{Opt, Stepper};
use super::tensor::scalar;
use crate::error::{Result, ensure_finite, ensure_len};

/// A classification head: turns features and labels into the logits the
/// cross-entropy is taken on. The trainer calls it; each chapter defines its
/// own (plain softmax and NormFace in `softmax`, A-Softmax in `sphereface`).
pub trait Head {
    /// A short name for figures and tables.
    fn name(&self) -> String;

    /// Checks the head's parameters.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] or [`crate::Error::NonFinite`]
    /// naming the parameter that is out of range.
    fn validate(&self) -> Result<()>;

    /// Whether the head compares directions only (prediction by the cosine
    /// between a feature and the class weights).
    fn angular(&self) -> bool;

    /// Whether the class biases are trained (and added to the logits).
    fn trains_bias(&self) -> bool {
        false
    }

    /// The head's scheduled weight at minibatch iteration `t` (counted
    /// from 1), passed back to [`Head::logits`]; 0 for a head without a
    /// schedule.
    ///
    /// # Errors
    /// The schedule's, for parameters out of range.
    fn schedule(&self, _t: u64) -> Result<f64> {
        Ok(0.0)
    }

    /// Logits `(batch, classes)` from features `f` `(batch, d)`, class
    /// weights `w` `(classes, d)`, biases `b` `(classes)`, the labels of the
    /// batch (if the head needs them) and the scheduled weight.
    ///
    /// # Errors
    /// [`Head::validate`]'s, [`crate::Error::InvalidParameter`] if the head
    /// needs labels and gets none, [`crate::Error::Candle`] on a shape mismatch.
    fn logits(
        &self,
        f: &Tensor,
        w: &Tensor,
        b: &Tensor,
        labels: Option<&Tensor>,
        weight: f64,
    ) -> Result<Tensor>;
}

/// Settings of a training run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Learning rate.
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
    /// The head's scheduled weight at the end of the epoch (the A-Softmax
    /// annealing `λ`; 0 for other heads).
    pub lambda: f64,
    /// Wall time of the epoch's updates.
    pub seconds: f64,
}

/// Predicted classes: argmax of the logits for a non-angular head, argmax of
/// the cosine to the class weights for angular heads (the A-Softmax and
/// NormFace test-time rule; a margin is used only in training).
///
/// # Errors
/// [`crate::Error::Candle`] if `x` does not have the input width.
pub fn predict<H: Head + ?Sized>(net: &FeatureNet, x: &Tensor, head: &H) -> Result<Tensor> {
    let scores = if head.angular() {
        row_normalize(&net.features(x)?)?.matmul(&net.normalized_weights()?.t()?)?
    } else {
        net.logits(x, None, head, 0.0)?
    };
    Ok(scores.argmax(D::Minus1)?)
}

/// Accuracy on `data`.
///
/// # Errors
/// As [`predict`].
pub fn accuracy<H: Head + ?Sized>(net: &FeatureNet, data: &Data, head: &H) -> Result<f64> {
    let hits = predict(net, &data.x, head)?
        .eq(&data.y)?
        .to_dtype(DType::F64)?
        .sum_all()?;
    Ok(scalar(&hits)? / data.n as f64)
}

/// Per-class accuracy on `data` (NaN for a class with no example).
///
/// # Errors
/// As [`predict`], and [`crate::Error::InvalidParameter`] for a label out of range.
pub fn class_accuracy<H: Head + ?Sized>(
    net: &FeatureNet,
    data: &Data,
    head: &H,
) -> Result<Vec<f64>> {
    let classes = net.classes()?;
    data.check_labels(classes)?;
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
/// after each epoch. Stops (with the non-finite loss as the last entry) if
/// the loss stops being finite.
///
/// # Errors
/// As [`train_with_optimizer`].
pub fn train<H: Head + ?Sized>(
    net: &FeatureNet,
    head: &H,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
) -> Result<Vec<EpochStats>> {
    train_with(net, head, train, eval, cfg, |_, _| Ok(()))
}

/// [`train`], calling `on_epoch(epoch, net)` after every epoch (to record
/// how parameters evolve without restarting the optimizer).
///
/// # Errors
/// As [`train_with_optimizer`].
pub fn train_with<H: Head + ?Sized>(
    net: &FeatureNet,
    head: &H,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
    on_epoch: impl FnMut(usize, &FeatureNet) -> Result<()>,
) -> Result<Vec<EpochStats>> {
    train_with_optimizer(net, head, train, eval, cfg, Opt::Adam, on_epoch)
}

// ANCHOR: train
/// [`train_with`] with a choice of update rule. The head's schedule
/// ([`Head::schedule`]) advances per minibatch iteration, counted from 1 as
/// in the SphereFace Caffe layer.
///
/// # Errors
/// [`Head::validate`]'s; [`crate::Error::TooFew`] for zero epochs, batch
/// size or training examples; [`crate::Error::NonFinite`] or
/// [`crate::Error::InvalidParameter`] for a bad learning rate or momentum or
/// a label out of range; `on_epoch`'s; [`crate::Error::Candle`] from the
/// tensor computations.
pub fn train_with_optimizer<H: Head + ?Sized>(
    net: &FeatureNet,
    head: &H,
    train: &Data,
    eval: &Data,
    cfg: &TrainConfig,
    opt_kind: Opt,
    mut on_epoch: impl FnMut(usize, &FeatureNet) -> Result<()>,
) -> Result<Vec<EpochStats>> {
    head.validate()?;
    ensure_len("epochs", cfg.epochs, 1)?;
    ensure_finite("learning rate", &[cfg.lr])?;
    train.check_labels(net.classes()?)?;
    eval.check_labels(net.classes()?)?;
    let mut batches = Batches::new(train.n, cfg.batch, cfg.seed)?;
    let mut opt = Stepper::new(opt_kind, net.vars(head), cfg.lr)?;
    let mut iter = 0u64;
    let mut stats = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        let (mut sum, mut count, mut lambda) = (0.0, 0.0, 0.0);
        for idx in batches.epoch(net.device())? {
            iter += 1;
            lambda = head.schedule(iter)?;
            let (xb, yb) = train.select(&idx)?;
            let logits = net.logits(&xb, Some(&yb), head, lambda)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &yb)?;
            opt.backward_step(&loss)?;
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
