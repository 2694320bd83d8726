//! Newton's method for L2-regularised logistic regression (IRLS).
//!
//! For data `X ∈ ℝ^{m×p}` (rows `xᵢᵀ`, first column all ones for the
//! intercept), labels `yᵢ ∈ {0, 1}` and `λ > 0`, the loss is
//!
//! `L(w) = Σᵢ [ln(1 + e^{zᵢ}) − yᵢ zᵢ] + (λ/2)‖w‖²`, `z = X w`,
//!
//! with gradient `∇L = Xᵀ(σ(z) − y) + λw` and Hessian
//! `∇²L = Xᵀ diag(σ(z)(1 − σ(z))) X + λI`, which is positive definite for
//! every `w` (the `λI` term), so `L` is strictly convex and has exactly one
//! minimiser even when the classes are linearly separable (then the
//! unregularised loss has none). Newton's method on `L` is the classical
//! iteratively reweighted least squares (Hastie, Tibshirani & Friedman,
//! *The Elements of Statistical Learning*, 2nd ed., §4.4.1).
//!
//! Two implementations of the derivatives, one oracle for the other:
//! [`HostLogistic`] (nalgebra, the reference) and [`CandleLogistic`]
//! (candle tensors on any [`Device`], the CPU/GPU path). Both run in `f64`.
//! The `p × p` Newton system is small and is solved on the host by Cholesky.

use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::numeric::{sigmoid, softplus};

use super::damped::exact_cholesky;
use super::line_search::{Armijo, backtrack};
use super::{Options, Probe, Solution, drive, no_convergence};

/// A design matrix with an intercept column and 0/1 labels.
#[derive(Debug, Clone)]
pub struct LogisticData {
    /// `m × p` design matrix (column 0 is all ones).
    pub x: DMatrix<f64>,
    /// `m` labels, each 0 or 1.
    pub y: DVector<f64>,
}

impl LogisticData {
    /// Standardises each feature column to mean 0 and standard deviation 1
    /// and prepends an intercept column of ones.
    ///
    /// # Errors
    /// [`Error::TooFew`] for no rows or no features, [`Error::ShapeMismatch`]
    /// if `y` and `features` disagree, [`Error::NonFinite`], and
    /// [`Error::Data`] for a label that is not 0 or 1 or a constant feature.
    pub fn standardised(features: &DMatrix<f64>, y: &DVector<f64>) -> Result<Self> {
        let (m, k) = features.shape();
        ensure_len("data rows", m, 1)?;
        ensure_len("feature columns", k, 1)?;
        if y.len() != m {
            return Err(Error::ShapeMismatch {
                what: "features and labels",
                expected: format!("{m} labels (one per row)"),
                got: format!("{} labels", y.len()),
            });
        }
        ensure_finite("features", features.as_slice())?;
        ensure_finite("labels", y.as_slice())?;
        if let Some(bad) = y.iter().find(|&&v| v != 0.0 && v != 1.0) {
            return Err(Error::Data(format!("labels must be 0 or 1, found {bad}")));
        }
        let mut x = DMatrix::from_element(m, k + 1, 1.0);
        for j in 0..k {
            let col = features.column(j);
            let mean = col.mean();
            let sd = (col.map(|v| (v - mean) * (v - mean)).sum() / m as f64).sqrt();
            if sd.is_nan() || sd <= 0.0 {
                return Err(Error::Data(format!(
                    "feature column {j} is constant, so it cannot be standardised"
                )));
            }
            x.set_column(j + 1, &col.map(|v| (v - mean) / sd));
        }
        Ok(LogisticData { x, y: y.clone() })
    }

    /// Number of parameters `p` (features + intercept).
    pub fn dim(&self) -> usize {
        self.x.ncols()
    }
}

/// The Wisconsin diagnostic breast-cancer data ([`crate::data::breast_cancer`],
/// 569 × 30), standardised.
///
/// # Errors
/// As [`crate::data::breast_cancer::load`] and [`LogisticData::standardised`].
pub fn breast_cancer() -> Result<LogisticData> {
    let (features, y) = crate::data::breast_cancer::load()?;
    LogisticData::standardised(&features, &y)
}

/// A twice-differentiable objective whose derivatives are assembled in closed form.
pub trait Objective {
    /// Number of parameters.
    fn dim(&self) -> usize;
    /// `L(w)`.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::ShapeMismatch`] when `w` does not have
    /// [`Objective::dim`] entries and [`Error::NonFinite`] when an entry of `w` is
    /// NaN or infinite; one that computes on candle tensors also returns
    /// [`Error::Candle`] if a tensor operation fails.
    fn value(&self, w: &DVector<f64>) -> Result<f64>;
    /// `L(w)` and `∇L(w)`.
    ///
    /// # Errors
    ///
    /// As [`Objective::value`].
    fn value_grad(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>)>;
    /// `L(w)`, `∇L(w)` and `∇²L(w)`.
    ///
    /// # Errors
    ///
    /// As [`Objective::value`].
    fn value_grad_hess(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>, DMatrix<f64>)>;
}

fn check_lambda(lambda: f64) -> Result<()> {
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(Error::InvalidParameter {
            name: "lambda",
            reason: format!(
                "must be positive and finite (it makes the minimiser exist), got {lambda}"
            ),
        });
    }
    Ok(())
}

fn check_w(w: &DVector<f64>, p: usize) -> Result<()> {
    if w.len() != p {
        return Err(Error::ShapeMismatch {
            what: "weights and design matrix",
            expected: format!("{p} weights"),
            got: format!("{} weights", w.len()),
        });
    }
    ensure_finite("w", w.as_slice())
}

/// The reference implementation: nalgebra on the host.
#[derive(Debug, Clone)]
pub struct HostLogistic {
    data: LogisticData,
    lambda: f64,
}

impl HostLogistic {
    /// # Errors
    /// [`Error::InvalidParameter`] unless `lambda > 0`.
    pub fn new(data: LogisticData, lambda: f64) -> Result<Self> {
        check_lambda(lambda)?;
        Ok(HostLogistic { data, lambda })
    }

    /// An upper bound `‖X‖₂²/4 + λ` on the largest eigenvalue of every
    /// Hessian (since `σ(1 − σ) ≤ 1/4`): the Lipschitz constant of `∇L`.
    pub fn lipschitz(&self) -> f64 {
        let s = self.data.x.clone().singular_values().max();
        s * s / 4.0 + self.lambda
    }
}

// ANCHOR: host_derivatives
impl Objective for HostLogistic {
    fn dim(&self) -> usize {
        self.data.dim()
    }

    fn value(&self, w: &DVector<f64>) -> Result<f64> {
        check_w(w, self.dim())?;
        let z = &self.data.x * w;
        let data: f64 = z
            .iter()
            .zip(self.data.y.iter())
            .map(|(&z, &y)| softplus(z) - y * z)
            .sum();
        Ok(data + 0.5 * self.lambda * w.norm_squared())
    }

    fn value_grad(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>)> {
        let v = self.value(w)?;
        let z = &self.data.x * w;
        // ANCHOR: host_gradient
        let r = z.map(sigmoid) - &self.data.y;
        Ok((v, self.data.x.tr_mul(&r) + self.lambda * w))
        // ANCHOR_END: host_gradient
    }

    fn value_grad_hess(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>, DMatrix<f64>)> {
        let (v, g) = self.value_grad(w)?;
        // ANCHOR: host_hessian
        let z = &self.data.x * w;
        let s = z.map(|z| {
            let p = sigmoid(z);
            p * (1.0 - p)
        });
        let mut xs = self.data.x.clone();
        for (i, mut row) in xs.row_iter_mut().enumerate() {
            row *= s[i];
        }
        let p = self.dim();
        let h = self.data.x.tr_mul(&xs) + DMatrix::identity(p, p) * self.lambda;
        // ANCHOR_END: host_hessian
        Ok((v, g, h))
    }
}
// ANCHOR_END: host_derivatives

/// The same derivatives as candle tensors on a [`Device`] (CPU or CUDA).
#[derive(Debug, Clone)]
pub struct CandleLogistic {
    x: Tensor,
    xt: Tensor,
    y: Tensor,
    eye: Tensor,
    lambda: f64,
    p: usize,
}

impl CandleLogistic {
    /// Copies the data to `device` as `f64` tensors.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `lambda > 0`; [`Error::Candle`] if
    /// the device cannot hold the tensors.
    pub fn new(data: &LogisticData, lambda: f64, device: &Device) -> Result<Self> {
        check_lambda(lambda)?;
        let (m, p) = data.x.shape();
        let row_major: Vec<f64> = data.x.transpose().as_slice().to_vec();
        let x = Tensor::from_vec(row_major, (m, p), device)?;
        let xt = x.t()?.contiguous()?;
        let y = Tensor::from_slice(data.y.as_slice(), (m, 1), device)?;
        let eye = Tensor::eye(p, DType::F64, device)?;
        Ok(CandleLogistic {
            x,
            xt,
            y,
            eye,
            lambda,
            p,
        })
    }

    fn column(&self, w: &DVector<f64>) -> Result<Tensor> {
        check_w(w, self.p)?;
        Ok(Tensor::from_slice(
            w.as_slice(),
            (self.p, 1),
            self.x.device(),
        )?)
    }

    fn to_vector(t: &Tensor) -> Result<DVector<f64>> {
        Ok(DVector::from_vec(t.flatten_all()?.to_vec1::<f64>()?))
    }
}

// ANCHOR: candle_derivatives
impl CandleLogistic {
    /// `(z, σ(z))` for `z = X w`, as `m × 1` tensors on the device.
    fn forward(&self, wt: &Tensor) -> Result<(Tensor, Tensor)> {
        let z = self.x.matmul(wt)?;
        // σ(z) = (1 + tanh(z/2))/2: no overflow for any z.
        let p = ((z.affine(0.5, 0.0)?.tanh()? + 1.0)? * 0.5)?;
        Ok((z, p))
    }

    fn loss(&self, z: &Tensor, w: &DVector<f64>) -> Result<f64> {
        // ln(1 + e^z) = max(z, 0) + ln(1 + e^{−|z|}), then minus y·z.
        let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
        let data = (softplus - (&self.y * z)?)?.sum_all()?.to_scalar::<f64>()?;
        Ok(data + 0.5 * self.lambda * w.norm_squared())
    }

    fn grad(&self, wt: &Tensor, p: &Tensor) -> Result<Tensor> {
        // Xᵀ(σ − y) + λw
        Ok((self.xt.matmul(&(p - &self.y)?)? + (wt * self.lambda)?)?)
    }

    fn hess(&self, p: &Tensor) -> Result<Tensor> {
        // s = σ(1 − σ) (m × 1), then Xᵀ diag(s) X + λI
        let s = (p * (1.0 - p)?)?;
        let xs = self.x.broadcast_mul(&s)?;
        Ok((self.xt.matmul(&xs)? + (&self.eye * self.lambda)?)?)
    }
}
// ANCHOR_END: candle_derivatives

impl Objective for CandleLogistic {
    fn dim(&self) -> usize {
        self.p
    }

    fn value(&self, w: &DVector<f64>) -> Result<f64> {
        let wt = self.column(w)?;
        let (z, _) = self.forward(&wt)?;
        self.loss(&z, w)
    }

    fn value_grad(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>)> {
        let wt = self.column(w)?;
        let (z, p) = self.forward(&wt)?;
        Ok((self.loss(&z, w)?, Self::to_vector(&self.grad(&wt, &p)?)?))
    }

    fn value_grad_hess(&self, w: &DVector<f64>) -> Result<(f64, DVector<f64>, DMatrix<f64>)> {
        let wt = self.column(w)?;
        let (z, p) = self.forward(&wt)?;
        let g = Self::to_vector(&self.grad(&wt, &p)?)?;
        let h = self.hess(&p)?;
        let h = DMatrix::from_row_slice(self.p, self.p, &h.flatten_all()?.to_vec1::<f64>()?);
        Ok((self.loss(&z, w)?, g, h))
    }
}

// ANCHOR: irls
/// Newton's method (IRLS) from `w0`: solve `∇²L p = −∇L` by Cholesky on the
/// host, then Armijo backtracking from `α = 1` (which is accepted near the
/// minimiser, keeping quadratic convergence). Stops when `‖∇L‖ ≤ tol`.
///
/// # Errors
/// Bad input as the objective reports; [`Error::NotPositiveDefinite`] if a
/// Hessian fails to factor; [`Error::NoConvergence`] with the last iterate.
pub fn irls<O: Objective + ?Sized>(obj: &O, w0: &DVector<f64>, opts: &Options) -> Result<Solution> {
    let probe = |w: &DVector<f64>| {
        let (value, g, h) = obj.value_grad_hess(w)?;
        let grad_norm = g.norm();
        Ok(Probe {
            value,
            grad_norm,
            data: (g, h),
        })
    };
    drive("IRLS", w0, opts, probe, |k, w, pr| {
        // ANCHOR: irls_step
        let (g, h) = pr.data;
        let p = exact_cholesky(&h)?.solve(&(-&g));
        // ANCHOR_END: irls_step
        let (alpha, _) = backtrack(
            |u| obj.value(u),
            w,
            pr.value,
            &g,
            &p,
            1.0,
            &Armijo::default(),
        )
        .map_err(|e| {
            let why = format!("the line search failed ({e})");
            no_convergence("IRLS", k, why, w.as_slice())
        })?;
        Ok(alpha * p)
    })
}
// ANCHOR_END: irls

/// Gradient descent with the fixed step `step` (use `1/L`, L from
/// [`HostLogistic::lipschitz`], for guaranteed descent). Stops when
/// `‖∇L‖ ≤ tol`. Records every iterate and the loss at each.
///
/// # Errors
/// [`Error::InvalidParameter`] for a step that is not positive;
/// [`Error::NoConvergence`] with the last iterate.
pub fn gradient_descent_fixed<O: Objective + ?Sized>(
    obj: &O,
    w0: &DVector<f64>,
    step: f64,
    opts: &Options,
) -> Result<Solution> {
    if !(step.is_finite() && step > 0.0) {
        return Err(Error::InvalidParameter {
            name: "step",
            reason: format!("must be positive and finite, got {step}"),
        });
    }
    let probe = |w: &DVector<f64>| {
        let (value, g) = obj.value_grad(w)?;
        let grad_norm = g.norm();
        Ok(Probe {
            value,
            grad_norm,
            data: g,
        })
    };
    drive(
        "gradient descent (fixed step)",
        w0,
        opts,
        probe,
        |_, _, pr| Ok(-step * pr.data),
    )
}
