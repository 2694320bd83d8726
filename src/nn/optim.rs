//! Update rules: Adam(W) from candle-nn, and SGD with PyTorch-style momentum
//! (`candle_nn::SGD` has none).

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, DType, InplaceOp2, Layout, Tensor, Var, WithDType};
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
        let (momentum, lr) = (self.momentum, self.lr);
        let slot = self.slot(k)?;
        let buf = match slot {
            Some(b) if momentum > 0.0 => ((&*b * momentum)? + g)?,
            // A copy, not a second handle on the gradient's storage: `apply`
            // updates the buffer in place.
            _ if momentum > 0.0 => g.copy()?,
            _ => g.clone(),
        };
        let step = (&buf * lr)?;
        *slot = Some(buf);
        Ok(step)
    }

    fn slot(&mut self, k: usize) -> Result<&mut Option<Tensor>> {
        let n = self.bufs.len();
        self.bufs.get_mut(k).ok_or(Error::InvalidParameter {
            name: "variable index",
            reason: format!("{k} is not below the {n} variables SGD was set up for"),
        })
    }

    /// Updates variable number `k`, `var`, with gradient `g`: `var −= η·buf`
    /// after [`Sgd::update`]'s buffer update, with the same result bit for bit.
    /// On the CPU, for contiguous `f32` or `f64` tensors, the buffer and the
    /// variable are updated in place by two fused loops that round exactly as
    /// candle's `buf · μ + g`, `buf · η` and `var − step` do; otherwise it runs
    /// those tensor operations.
    ///
    /// # Errors
    /// As [`Sgd::update`].
    pub fn apply(&mut self, k: usize, var: &Var, g: &Tensor) -> Result<()> {
        let p = var.as_tensor();
        let fusable = p.device().is_cpu()
            && g.device().is_cpu()
            && matches!(g.dtype(), DType::F32 | DType::F64)
            && p.dtype() == g.dtype()
            && p.shape() == g.shape()
            && p.is_contiguous()
            && g.is_contiguous();
        if !fusable {
            let step = self.update(k, g)?;
            return Ok(var.set(&(p - step)?)?);
        }
        let (momentum, lr) = (self.momentum, self.lr);
        let slot = self.slot(k)?;
        if momentum == 0.0 {
            // buf = g: the step is η·g.
            return Ok(p.inplace_op2(g, &InPlace::Descend(lr))?);
        }
        match slot {
            Some(b) => b.inplace_op2(g, &InPlace::Momentum(momentum))?,
            None => *slot = Some(g.copy()?),
        }
        if let Some(b) = slot {
            p.inplace_op2(b, &InPlace::Descend(lr))?;
        }
        Ok(())
    }

    /// One update of every variable that has a gradient in `grads`.
    ///
    /// # Errors
    /// [`Error::Candle`] on a shape mismatch.
    pub fn step(&mut self, vars: &[Var], grads: &GradStore) -> Result<()> {
        for (k, v) in vars.iter().enumerate() {
            if let Some(g) = grads.get(v.as_tensor()) {
                self.apply(k, v, g)?;
            }
        }
        Ok(())
    }
}

/// The two in-place loops of [`Sgd::apply`], each rounding exactly as the
/// candle operations it replaces.
#[derive(Debug, Clone, Copy)]
enum InPlace {
    /// `buf ← (buf · μ + 0) + g`: candle's `affine(μ, 0)` then `add`.
    Momentum(f64),
    /// `p ← p − (buf · η + 0)`: candle's `affine(η, 0)` then `sub`.
    Descend(f64),
}

impl InPlace {
    /// Runs the loop over `dst` (updated) and `src`, two contiguous buffers
    /// of one length; the coefficient is cast to `T` as candle's `affine` does.
    fn run<T: WithDType>(
        self,
        dst: &mut [T],
        l1: &Layout,
        src: &[T],
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (Some((a0, a1)), Some((b0, b1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("the in-place SGD update needs contiguous tensors")
        };
        if a1 - a0 != b1 - b0 {
            candle_core::bail!("the in-place SGD update needs two tensors of one size")
        }
        let pairs = dst[a0..a1].iter_mut().zip(&src[b0..b1]);
        let zero = T::from_f64(0.0);
        match self {
            InPlace::Momentum(m) => {
                let m = T::from_f64(m);
                pairs.for_each(|(b, &g)| *b = (*b * m + zero) + g);
            }
            InPlace::Descend(lr) => {
                let lr = T::from_f64(lr);
                pairs.for_each(|(p, &b)| *p -= b * lr + zero);
            }
        }
        Ok(())
    }
}

impl InplaceOp2 for InPlace {
    fn name(&self) -> &'static str {
        match self {
            InPlace::Momentum(_) => "sgd-momentum",
            InPlace::Descend(_) => "sgd-descend",
        }
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        match (s1, s2) {
            (CpuStorage::F32(d), CpuStorage::F32(s)) => self.run(d, l1, s, l2),
            (CpuStorage::F64(d), CpuStorage::F64(s)) => self.run(d, l1, s, l2),
            _ => candle_core::bail!("the in-place SGD update takes f32 or f64 tensors"),
        }
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
