//! Update rules: Adam(W) from candle-nn, and SGD with PyTorch-style momentum
//! (`candle_nn::SGD` has none).

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};

use crate::error::{Error, Result, ensure_finite};

/// The update rule of a training run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Opt {
    /// Adam (Kingma & Ba 2015), no weight decay: per-coordinate step sizes,
    /// so the size of a gradient hardly matters, only its sign pattern.
    Adam,
    /// SGD with PyTorch-style momentum `buf = μ·buf + g; p −= η·buf`: steps
    /// proportional to gradients.
    Sgd {
        /// Momentum `μ`.
        momentum: f64,
    },
}

/// Adam without weight decay over `vars`, learning rate `lr`.
///
/// # Errors
/// [`Error::Candle`] if candle cannot set up the moment estimates.
pub fn adam(vars: Vec<Var>, lr: f64) -> Result<AdamW> {
    let params = ParamsAdamW {
        lr,
        weight_decay: 0.0,
        ..Default::default()
    };
    Ok(AdamW::new(vars, params)?)
}

/// SGD with PyTorch-style momentum: `buf = μ·buf + g` (the first `buf` is
/// `g`), then `p −= η·buf`; with `μ = 0` this is plain SGD, `p −= η·g`.
#[derive(Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    bufs: Vec<Option<Tensor>>,
}

impl Sgd {
    /// Momentum SGD for `n_vars` variables.
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a learning
    /// rate or momentum that is not finite or is negative.
    pub fn new(n_vars: usize, lr: f64, momentum: f64) -> Result<Sgd> {
        ensure_finite("learning rate and momentum", &[lr, momentum])?;
        if lr < 0.0 || momentum < 0.0 {
            return Err(Error::InvalidParameter {
                name: "learning rate or momentum",
                reason: "both must be ≥ 0".into(),
            });
        }
        Ok(Sgd {
            lr,
            momentum,
            bufs: vec![None; n_vars],
        })
    }

    /// The step `η·buf` of variable number `k` with gradient `g`, updating
    /// its momentum buffer.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `k` is not below the number of
    /// variables; [`Error::Candle`] on a shape mismatch.
    pub fn update(&mut self, k: usize, g: &Tensor) -> Result<Tensor> {
        let slot = self.bufs.get_mut(k).ok_or(Error::InvalidParameter {
            name: "variable index",
            reason: format!("SGD was set up for {} variables", k),
        })?;
        let buf = match slot {
            Some(b) if self.momentum > 0.0 => ((&*b * self.momentum)? + g)?,
            _ => g.clone(),
        };
        let step = (&buf * self.lr)?;
        *slot = Some(buf);
        Ok(step)
    }

    /// One update of every variable that has a gradient in `grads`.
    ///
    /// # Errors
    /// [`Error::Candle`] on a shape mismatch.
    pub fn step(&mut self, vars: &[Var], grads: &GradStore) -> Result<()> {
        for (k, v) in vars.iter().enumerate() {
            let Some(g) = grads.get(v.as_tensor()) else {
                continue;
            };
            let step = self.update(k, g)?;
            v.set(&(v.as_tensor() - step)?)?;
        }
        Ok(())
    }
}

/// An optimiser chosen by [`Opt`], holding its state across steps.
#[derive(Debug)]
pub enum Stepper {
    /// Adam's moment estimates.
    Adam(AdamW),
    /// Momentum buffers, with the variables they belong to.
    Sgd(Sgd, Vec<Var>),
}

impl Stepper {
    /// Sets up `opt` over `vars` with learning rate `lr`.
    ///
    /// # Errors
    /// As [`adam`] and [`Sgd::new`].
    pub fn new(opt: Opt, vars: Vec<Var>, lr: f64) -> Result<Stepper> {
        Ok(match opt {
            Opt::Adam => Stepper::Adam(adam(vars, lr)?),
            Opt::Sgd { momentum } => Stepper::Sgd(Sgd::new(vars.len(), lr, momentum)?, vars),
        })
    }

    /// Back-propagates `loss` and updates the variables.
    ///
    /// # Errors
    /// [`Error::Candle`] if back-propagation fails.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        match self {
            Stepper::Adam(a) => a.backward_step(loss)?,
            Stepper::Sgd(s, vars) => s.step(vars, &loss.backward()?)?,
        }
        Ok(())
    }
}
