//! The training loss of a small tanh network as a function of all its
//! parameters, with its exact gradient and Hessian.
//!
//! The network is the rectifier chapter's [`Mlp`] (tanh hidden units, linear
//! output, softmax cross-entropy), and the gradient is that chapter's
//! hand-written back-propagation ([`backprop::gradients`]), flattened in the
//! order of [`Mlp::flat`]. A small weight decay `(λ/2)‖θ‖²` keeps every
//! critical point at a finite distance: without it a network that fits its
//! training set perfectly lowers the cross-entropy forever as its weights grow.
//!
//! The Hessian is computed by **central differences of the exact gradient**,
//! column by column: `H e_j ≈ (∇L(θ + h e_j) − ∇L(θ − h e_j)) / 2h`, then
//! symmetrised. Its error is `O(h²)` from truncation plus `O(ε/h)` from
//! rounding, about `1e-9` relative at `h = 1e-5`. The same loss is also a
//! [`Field`] written once for every [`Scalar`], so forward-over-forward
//! automatic differentiation ([`crate::diff::hessian`]) gives an independent
//! exact Hessian; the tests compare the two.

use nalgebra::{DMatrix, DVector};

use crate::diff::{Field, Scalar};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::rectifier::backprop::{self, Target};
use crate::rectifier::{Activation, Mlp};

/// Step of the central differences of the gradient.
pub const FD_STEP: f64 = 1e-5;

/// The loss `L(θ) = (1/N) Σ CE(net_θ(x_i), y_i) + (λ/2)‖θ‖²` on fixed data.
#[derive(Debug, Clone)]
pub struct Landscape {
    sizes: Vec<usize>,
    x: DMatrix<f64>,
    y: Vec<usize>,
    decay: f64,
}

impl Landscape {
    /// The landscape of a tanh network with layer sizes `sizes` on inputs `x`
    /// (one example per row) with class labels `y`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than two layer sizes, a zero-width layer or
    /// no examples; [`Error::ShapeMismatch`] if `x`'s columns or `y`'s length
    /// disagree with the sizes; [`Error::InvalidParameter`] for a label not
    /// below the number of outputs or a negative decay; [`Error::NonFinite`].
    pub fn new(sizes: &[usize], x: DMatrix<f64>, y: Vec<usize>, decay: f64) -> Result<Self> {
        ensure_len("layer sizes", sizes.len(), 2)?;
        if sizes.contains(&0) {
            return Err(Error::TooFew {
                name: "units in a layer",
                needed: 1,
                got: 0,
            });
        }
        ensure_len("examples", x.nrows(), 1)?;
        if x.ncols() != sizes[0] || y.len() != x.nrows() {
            return Err(Error::ShapeMismatch {
                what: "data vs network",
                expected: format!("{} inputs and one label per row", sizes[0]),
                got: format!(
                    "{} inputs, {} labels for {} rows",
                    x.ncols(),
                    y.len(),
                    x.nrows()
                ),
            });
        }
        let out = sizes[sizes.len() - 1];
        if let Some(k) = y.iter().find(|&&k| k >= out) {
            return Err(Error::InvalidParameter {
                name: "class label",
                reason: format!("label {k} is not below the number of outputs {out}"),
            });
        }
        ensure_finite("inputs", x.as_slice())?;
        ensure_finite("decay", &[decay])?;
        if decay < 0.0 {
            return Err(Error::InvalidParameter {
                name: "decay",
                reason: format!("must not be negative, got {decay}"),
            });
        }
        Ok(Landscape {
            sizes: sizes.to_vec(),
            x,
            y,
            decay,
        })
    }

    /// Number of parameters.
    pub fn params(&self) -> usize {
        self.sizes.windows(2).map(|w| (w[0] + 1) * w[1]).sum()
    }

    /// Layer sizes.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The network whose flattened parameters ([`Mlp::flat`] order) are `theta`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong length, [`Error::NonFinite`].
    pub fn mlp(&self, theta: &[f64]) -> Result<Mlp> {
        if theta.len() != self.params() {
            return Err(Error::ShapeMismatch {
                what: "parameter vector vs network",
                expected: self.params().to_string(),
                got: theta.len().to_string(),
            });
        }
        let (mut ws, mut bs, mut at) = (Vec::new(), Vec::new(), 0);
        for w in self.sizes.windows(2) {
            let n = w[0] * w[1];
            ws.push(DMatrix::from_column_slice(w[1], w[0], &theta[at..at + n]));
            bs.push(DVector::from_column_slice(&theta[at + n..at + n + w[1]]));
            at += n + w[1];
        }
        Mlp::new(ws, bs, Activation::Tanh)
    }

    /// `L(θ)`.
    ///
    /// # Errors
    /// As [`Landscape::mlp`].
    pub fn loss(&self, theta: &[f64]) -> Result<f64> {
        let m = self.mlp(theta)?;
        let ce = backprop::loss(&m, &self.x, Target::Classes(&self.y))?;
        Ok(ce + 0.5 * self.decay * theta.iter().map(|t| t * t).sum::<f64>())
    }

    /// `L(θ)` and the exact gradient `∇L(θ)` by back-propagation.
    ///
    /// # Errors
    /// As [`Landscape::mlp`]; [`Error::NonFinite`] if the gradient overflows.
    pub fn gradient(&self, theta: &[f64]) -> Result<(f64, DVector<f64>)> {
        let m = self.mlp(theta)?;
        let (ce, g) = backprop::gradients(&m, &self.x, Target::Classes(&self.y))?;
        let flat: Vec<f64> = g
            .weights
            .iter()
            .zip(&g.biases)
            .flat_map(|(w, b)| w.iter().chain(b.iter()).copied().collect::<Vec<_>>())
            .collect();
        let grad = DVector::from_vec(flat) + DVector::from_column_slice(theta) * self.decay;
        ensure_finite("gradient", grad.as_slice())?;
        let l2 = theta.iter().map(|t| t * t).sum::<f64>();
        Ok((ce + 0.5 * self.decay * l2, grad))
    }

    // ANCHOR: hessian
    /// The Hessian `∇²L(θ)` by central differences of the exact gradient, one
    /// pair of gradients per column, symmetrised: `2n` gradient evaluations.
    ///
    /// # Errors
    /// As [`Landscape::gradient`]; [`Error::NonFinite`] for a Hessian entry that
    /// is not finite.
    pub fn hessian(&self, theta: &[f64]) -> Result<DMatrix<f64>> {
        let n = self.params();
        let mut h = DMatrix::zeros(n, n);
        let mut t = theta.to_vec();
        for j in 0..n {
            t[j] = theta[j] + FD_STEP;
            let (_, gp) = self.gradient(&t)?;
            t[j] = theta[j] - FD_STEP;
            let (_, gm) = self.gradient(&t)?;
            t[j] = theta[j];
            h.set_column(j, &((gp - gm) / (2.0 * FD_STEP)));
        }
        let h = (&h + h.transpose()) * 0.5;
        checked_hessian(h)
    }
    // ANCHOR_END: hessian
}

/// Returns `h` if every entry is finite.
///
/// # Errors
/// [`Error::NonFinite`] naming the Hessian and the first bad entry.
pub fn checked_hessian(h: DMatrix<f64>) -> Result<DMatrix<f64>> {
    ensure_finite("Hessian", h.as_slice())?;
    Ok(h)
}

/// The same loss written once for every [`Scalar`], for automatic
/// differentiation (forward-over-forward) as an oracle for [`Landscape::hessian`].
impl Field for Landscape {
    fn dim(&self) -> usize {
        self.params()
    }

    fn eval<S: Scalar>(&self, theta: &[S]) -> S {
        let mut total = S::cst(0.0);
        for (r, &label) in self.y.iter().enumerate() {
            let mut h: Vec<S> = self.x.row(r).iter().map(|&v| S::cst(v)).collect();
            let mut at = 0;
            let layers = self.sizes.len() - 1;
            for (l, w) in self.sizes.windows(2).enumerate() {
                let (fan_in, fan_out) = (w[0], w[1]);
                let next: Vec<S> = (0..fan_out)
                    .map(|o| {
                        // Column-major weights: entry (o, i) sits at i * fan_out + o.
                        let mut z = theta[at + fan_in * fan_out + o];
                        for (i, &hi) in h.iter().enumerate() {
                            z = z + theta[at + i * fan_out + o] * hi;
                        }
                        if l + 1 < layers { z.tanh() } else { z }
                    })
                    .collect();
                at += (fan_in + 1) * fan_out;
                h = next;
            }
            let m = h.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.re()));
            let sum = h
                .iter()
                .fold(S::cst(0.0), |s, &v| s + (v - S::cst(m)).exp());
            total = total + sum.ln() + S::cst(m) - h[label];
        }
        let l2 = theta.iter().fold(S::cst(0.0), |s, &t| s + t * t);
        total / S::cst(self.y.len() as f64) + S::cst(0.5 * self.decay) * l2
    }
}
