//! The training losses on tensors and their training loop: OE (age in the
//! norm, identity in the direction), its plane variant, and the baselines on
//! the same backbone ([`FeatureNet`]) and budget.
//!
//! The identification heads are the shared ones: plain softmax from
//! [`crate::softmax::train`], A-Softmax from [`crate::sphereface::train`].
//! OE feeds `s · x̂` to the A-Softmax logits (whose norm factor is then the
//! constant `s`) and adds `λ · ½(α‖x‖ + β − z)²`.

use std::time::Instant;

use candle_core::{D, DType, Device, Tensor, Var};
use nalgebra::DMatrix;

use super::decompose::Geometry;
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::feature::row_normalize;
use crate::nn::optim::Stepper;
use crate::nn::{Batches, Data, FeatureNet, Opt, scalar, to_matrix, to_tensor};
use crate::sphereface::Anneal;
use crate::sphereface::train::a_softmax_logits;

use super::age::AgedSet;

/// A training method: loss and where identity and age are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    /// Softmax cross-entropy on `W x` (no bias).
    Softmax,
    /// Softmax plus DeepID2's verification (contrastive) term.
    Verification,
    /// A-Softmax (`m`, the published annealing) on `x`.
    ASoftmax,
    /// Softmax plus a linear age-regression head `u·x + c` on the same `x`.
    SoftmaxAge,
    /// OE: A-Softmax on `s x̂`, age regressed on `‖x‖`.
    Oe,
    /// The plane variant: A-Softmax on the direction of `x_{1..d−1}`, age on `x_d`.
    Plane,
}

impl Method {
    /// Every method, in the order of the tables.
    pub const ALL: [Method; 6] = [
        Method::Softmax,
        Method::Verification,
        Method::ASoftmax,
        Method::SoftmaxAge,
        Method::Oe,
        Method::Plane,
    ];

    /// The name in tables and figures.
    pub fn name(self) -> &'static str {
        match self {
            Method::Softmax => "softmax",
            Method::Verification => "softmax + verification",
            Method::ASoftmax => "A-Softmax",
            Method::SoftmaxAge => "softmax + age head",
            Method::Oe => "OE (sphere)",
            Method::Plane => "OE (plane)",
        }
    }

    /// A key for run-record snippets.
    pub fn key(self) -> &'static str {
        match self {
            Method::Softmax => "softmax",
            Method::Verification => "verif",
            Method::ASoftmax => "asoftmax",
            Method::SoftmaxAge => "agehead",
            Method::Oe => "oe",
            Method::Plane => "plane",
        }
    }

    /// Where the identity and age codes live, for the two OE methods.
    pub fn geometry(self) -> Option<Geometry> {
        match self {
            Method::Oe => Some(Geometry::Sphere),
            Method::Plane => Some(Geometry::Plane),
            _ => None,
        }
    }

    /// Whether prediction compares directions (cosine to the class weights).
    pub fn angular(self) -> bool {
        matches!(self, Method::ASoftmax | Method::Oe | Method::Plane)
    }
}

/// Sizes and loss weights of a training run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Hidden ReLU units.
    pub hidden: usize,
    /// Feature dimension `d`.
    pub dim: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// OE's scale `s`.
    pub scale: f64,
    /// The angular margin `m` (A-Softmax and OE).
    pub m: u32,
    /// Weight `λ` of the age loss (OE, plane, age head).
    pub lambda_age: f64,
    /// Weight of the verification term.
    pub lambda_verif: f64,
    /// Margin of the verification term for different identities.
    pub margin: f64,
}

impl Settings {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::TooFew`] for a zero size, fewer than two feature dimensions
    /// or `m = 0`; [`Error::NonFinite`] or [`Error::InvalidParameter`] for a
    /// loss weight, rate, scale or margin that is not finite or is out of range.
    pub fn check(&self) -> Result<()> {
        ensure_len("hidden units", self.hidden, 1)?;
        ensure_len("feature dimension", self.dim, 2)?;
        ensure_len("epochs", self.epochs, 1)?;
        ensure_len("batch size", self.batch, 2)?;
        ensure_len("margin parameter m", self.m as usize, 1)?;
        let v = [
            self.lr,
            self.scale,
            self.lambda_age,
            self.lambda_verif,
            self.margin,
        ];
        ensure_finite("training settings", &v)?;
        if v.iter().any(|&a| a < 0.0) || self.lr == 0.0 || self.scale == 0.0 {
            return Err(Error::InvalidParameter {
                name: "training settings",
                reason: "rate and scale must be positive, weights and margin ≥ 0".into(),
            });
        }
        Ok(())
    }
}

/// A trained model: the network, the age read-out and the epoch timings.
#[derive(Debug)]
pub struct Model {
    /// The method it was trained with.
    pub method: Method,
    /// Backbone and class weights.
    pub net: FeatureNet,
    /// Age read-out parameters: `(α, β)` for OE and plane, `(u, c)` for the
    /// age head, none otherwise.
    pub readout: Vec<Var>,
    /// Wall time of each epoch's updates (s).
    pub epoch_seconds: Vec<f64>,
    /// Mean training loss of each epoch.
    pub losses: Vec<f64>,
    settings: Settings,
}

fn var(v: &[f32], shape: (usize, usize), device: &Device) -> Result<Var> {
    Ok(Var::from_tensor(&Tensor::from_slice(v, shape, device)?)?)
}

/// The identity part of features `(B, d)` and its class weights.
fn identity_part(f: &Tensor, w: &Tensor, method: Method) -> Result<(Tensor, Tensor)> {
    if method == Method::Plane {
        let d = f.dim(1)?;
        Ok((f.narrow(1, 0, d - 1)?, w.narrow(1, 0, d - 1)?))
    } else {
        Ok((f.clone(), w.clone()))
    }
}

/// The age code of features `(B, d)`, as `(B, 1)`.
fn age_code(f: &Tensor, method: Method) -> Result<Tensor> {
    Ok(match method {
        Method::Plane => f.narrow(1, f.dim(1)? - 1, 1)?,
        Method::SoftmaxAge => f.clone(),
        _ => (f.sqr()?.sum_keepdim(D::Minus1)? + 1e-12)?.sqrt()?,
    })
}

// ANCHOR: verification_term
/// DeepID2's verification term on a batch: the mean over ordered pairs
/// `i ≠ j` of `½‖f_i − f_j‖²` (same identity) or
/// `½ max(0, margin − ‖f_i − f_j‖)²` (different identities).
fn contrastive(f: &Tensor, y: &Tensor, margin: f64) -> Result<Tensor> {
    let b = f.dim(0)?;
    let sq = f.sqr()?.sum_keepdim(D::Minus1)?; // (B, 1)
    let d2 = (sq.broadcast_add(&sq.t()?)? - (f.matmul(&f.t()?)? * 2.0)?)?.relu()?;
    let d = (&d2 + 1e-12)?.sqrt()?;
    let same = y
        .unsqueeze(1)?
        .broadcast_eq(&y.unsqueeze(0)?)?
        .to_dtype(f.dtype())?;
    let pull = (&same * &d2)?;
    let push = ((same.ones_like()? - &same)? * d.affine(-1.0, margin)?.relu()?.sqr()?)?;
    Ok(((pull + push)?.sum_all()? * (0.5 / (b * (b - 1)) as f64))?)
}
// ANCHOR_END: verification_term

impl Model {
    /// An untrained model of `method` for `classes` identities.
    ///
    /// # Errors
    /// As [`Settings::check`] and [`FeatureNet::new`].
    pub fn new(
        method: Method,
        settings: &Settings,
        classes: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Model> {
        settings.check()?;
        let net = FeatureNet::new(64, settings.hidden, settings.dim, classes, seed, device)?;
        let readout = match method {
            Method::Oe | Method::Plane => {
                vec![var(&[1.0], (1, 1), device)?, var(&[0.0], (1, 1), device)?]
            }
            Method::SoftmaxAge => vec![
                var(&vec![0.0; settings.dim], (settings.dim, 1), device)?,
                var(&[0.0], (1, 1), device)?,
            ],
            _ => vec![],
        };
        Ok(Model {
            method,
            net,
            readout,
            epoch_seconds: vec![],
            losses: vec![],
            settings: *settings,
        })
    }

    // ANCHOR: batch_loss
    /// The training loss of one minibatch: inputs `x`, identities `y`, ages
    /// `z` `(B, 1)`, annealing weight `lambda` of the A-Softmax family.
    ///
    /// # Errors
    /// [`Error::Candle`] on a shape mismatch.
    pub fn batch_loss(&self, x: &Tensor, y: &Tensor, z: &Tensor, lambda: f64) -> Result<Tensor> {
        // ANCHOR: batch_loss_body
        let s = &self.settings;
        let f = self.net.features(x)?;
        let (v, w) = identity_part(&f, self.net.head_w.as_tensor(), self.method)?;
        let logits = match self.method {
            Method::ASoftmax => a_softmax_logits(&v, &w, y, s.m, lambda)?,
            Method::Oe | Method::Plane => {
                a_softmax_logits(&(row_normalize(&v)? * s.scale)?, &w, y, s.m, lambda)?
            }
            _ => v.matmul(&w.t()?)?,
        };
        let id = candle_nn::loss::cross_entropy(&logits, y)?;
        Ok(match self.method {
            Method::Verification => (id + (contrastive(&f, y, s.margin)? * s.lambda_verif)?)?,
            Method::SoftmaxAge | Method::Oe | Method::Plane => {
                let (a, b) = (self.readout[0].as_tensor(), self.readout[1].as_tensor());
                let code = age_code(&f, self.method)?;
                let pred = code.matmul(a)?.broadcast_add(b)?; // (B, 1)
                let age = (pred - z)?.sqr()?.mean_all()? * (0.5 * s.lambda_age);
                (id + age?)?
            }
            _ => id,
        })
        // ANCHOR_END: batch_loss_body
    }
    // ANCHOR_END: batch_loss

    /// Trains on `set` by Adam for the configured epochs; `seed` fixes the
    /// minibatch order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an identity beyond the classes;
    /// [`Error::NoConvergence`] if the loss stops being finite;
    /// [`Error::Candle`] from the tensor computations.
    pub fn fit(&mut self, set: &AgedSet, seed: u64) -> Result<()> {
        let dev = self.net.device().clone();
        let data = Data::new(&set.x, &set.identity, DType::F32, &dev)?;
        data.check_labels(self.net.classes()?)?;
        let ages = Tensor::from_vec(
            set.age.iter().map(|&a| a as f32).collect::<Vec<f32>>(),
            (set.len(), 1),
            &dev,
        )?;
        let mut vars = self
            .net
            .vars(&crate::softmax::train::Head::Softmax { bias: false });
        vars.extend(self.readout.iter().cloned());
        let mut opt = Stepper::new(Opt::Adam, vars, self.settings.lr)?;
        let mut batches = Batches::new(set.len(), self.settings.batch, seed)?;
        let anneal = Anneal::sphereface();
        let mut iter = 0u64;
        for epoch in 0..self.settings.epochs {
            let t0 = Instant::now();
            let (mut sum, mut count) = (0.0, 0.0);
            for idx in batches.epoch(&dev)? {
                iter += 1;
                let (xb, yb) = data.select(&idx)?;
                let zb = ages.index_select(&idx, 0)?;
                let loss = self.batch_loss(&xb, &yb, &zb, anneal.lambda(iter)?)?;
                opt.backward_step(&loss)?;
                sum += scalar(&loss)?;
                count += 1.0;
            }
            self.epoch_seconds.push(t0.elapsed().as_secs_f64());
            self.losses.push(sum / count);
            if !(sum / count).is_finite() {
                return Err(Error::NoConvergence {
                    method: "training",
                    iterations: epoch + 1,
                    reason: format!("the {} loss is not finite", self.method.name()),
                    last: vec![sum / count],
                });
            }
        }
        Ok(())
    }

    /// Raw features `x` of images (one per row).
    ///
    /// # Errors
    /// [`Error::Candle`] if the images do not have 64 pixels.
    pub fn features(&self, images: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let t = to_tensor(images, DType::F32, self.net.device())?;
        to_matrix(&self.net.features(&t)?)
    }

    /// The identity embedding of features: the first `d − 1` coordinates for
    /// the plane variant, the whole feature otherwise (verification compares
    /// its direction).
    pub fn embedding(&self, f: &DMatrix<f64>) -> DMatrix<f64> {
        if self.method == Method::Plane {
            f.columns(0, f.ncols() - 1).into_owned()
        } else {
            f.clone()
        }
    }

    /// Predicted identities from features: the largest cosine to a class
    /// weight for the angular methods, the largest logit `w_j·x` otherwise.
    ///
    /// # Errors
    /// [`Error::Candle`] only if the weights lost their shape.
    pub fn predict(&self, f: &DMatrix<f64>) -> Result<Vec<usize>> {
        let w = to_matrix(self.net.head_w.as_tensor())?;
        let e = self.embedding(f);
        let w = w.columns(0, e.ncols()).into_owned();
        let scores = &e * w.transpose();
        Ok((0..scores.nrows())
            .map(|i| {
                let row = scores.row(i);
                let norm = |j: usize| {
                    if self.method.angular() {
                        w.row(j).norm().max(1e-300)
                    } else {
                        1.0
                    }
                };
                (0..row.len())
                    .max_by(|&a, &b| (row[a] / norm(a)).total_cmp(&(row[b] / norm(b))))
                    .unwrap_or(0)
            })
            .collect())
    }

    /// The age the model reads off each feature (`None` for methods without
    /// an age read-out).
    ///
    /// # Errors
    /// [`Error::Candle`] only if the read-out lost its shape.
    pub fn age_readout(&self, f: &DMatrix<f64>) -> Result<Option<Vec<f64>>> {
        if self.readout.is_empty() {
            return Ok(None);
        }
        let a = to_matrix(self.readout[0].as_tensor())?;
        let b = to_matrix(self.readout[1].as_tensor())?[(0, 0)];
        Ok(Some(
            (0..f.nrows())
                .map(|i| {
                    let row = f.row(i);
                    match self.method {
                        Method::Oe => a[(0, 0)] * row.norm() + b,
                        Method::Plane => a[(0, 0)] * row[row.len() - 1] + b,
                        _ => (row * &a)[(0, 0)] + b,
                    }
                })
                .collect(),
        ))
    }

    /// Mean wall time of an epoch (s).
    pub fn epoch_mean_seconds(&self) -> f64 {
        self.epoch_seconds.iter().sum::<f64>() / self.epoch_seconds.len().max(1) as f64
    }
}
