//! Rectifier networks (chapter "Rectifier networks").
//!
//! Checks the notes on Glorot, Bordes & Bengio, "Deep Sparse Rectifier Neural
//! Networks", AISTATS 2011 (cited below as *GBB 2011*), and the activation
//! lines of LeCun, Bengio & Hinton, "Deep learning", Nature 521 (2015).
//!
//! The reference network is [`Mlp`]: a multilayer perceptron whose parameters
//! are plain nalgebra matrices, with a hand-written forward pass and
//! back-propagation ([`backprop`]). The same network runs in candle for
//! training ([`train`]); a test checks that both give the same outputs and
//! gradients. Operations on parameters each have their own file:
//! [`rescale`] (the α-rescaling of GBB 2011 §3 and its remedies),
//! [`convert`] (tanh network → sigmoid network), [`construct`] (exact
//! rectifier constructions of |x|, x and hard tanh), [`sparse`] (a forward
//! pass that skips exact zeros and counts the multiply-adds it saves),
//! [`compare`] (paired comparisons over seeds); the data come from
//! [`crate::data::digits`]. [`experiments`] runs every experiment the chapter
//! reports and builds its tables.

pub mod backprop;
pub mod compare;
pub mod construct;
pub mod convert;
pub mod experiments;
pub mod rescale;
pub mod sparse;
pub mod train;

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, Uniform};

use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::numeric::{sigmoid, softplus};

/// The hidden-unit non-linearity. The output layer is always linear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// Rectifier `max(0, z)` (GBB 2011 eq. 1). Its derivative at exactly 0 is taken as 0.
    Relu,
    /// Leaky rectifier `max(0, z) − a·max(0, −z)` with fixed slope `a` on the negative side.
    Leaky(f64),
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid `σ(z) = 1 / (1 + e^{−z})`.
    Sigmoid,
    /// Softplus `log(1 + e^z)`, the smooth counterpart of the rectifier (GBB 2011 §2.2).
    Softplus,
}

// ANCHOR: activation
impl Activation {
    /// The activation `φ(z)`.
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Relu => z.max(0.0),
            Activation::Leaky(a) => z.max(0.0) + a * z.min(0.0),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z),
            Activation::Softplus => softplus(z),
        }
    }

    /// The derivative `φ'(z)` (for the rectifiers, 0 and `a` for `z ≤ 0`).
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Relu => f64::from(u8::from(z > 0.0)),
            Activation::Leaky(a) => {
                if z > 0.0 {
                    1.0
                } else {
                    a
                }
            }
            Activation::Tanh => 1.0 - z.tanh().powi(2),
            Activation::Sigmoid => sigmoid(z) * (1.0 - sigmoid(z)),
            Activation::Softplus => sigmoid(z),
        }
    }
}
// ANCHOR_END: activation

impl Activation {
    /// Whether `φ(αz) = α·φ(z)` for every `α > 0` (positive homogeneity).
    pub fn is_positively_homogeneous(self) -> bool {
        matches!(self, Activation::Relu | Activation::Leaky(_))
    }

    /// A short name for figures and tables.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Leaky(_) => "leaky ReLU",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus => "softplus",
        }
    }
}

/// A multilayer perceptron with hidden activation `act` and a linear output layer.
///
/// Layer `i` (1-based, `i = 1..=n`) maps `h_{i−1}` to
/// `h_i = φ(W_i h_{i−1} + b_i)`, with `h_0 = x`; the last layer `n` has no
/// non-linearity, so the output is `s = W_n h_{n−1} + b_n`. A batch is a
/// matrix with one example per **row**, so in code a layer reads
/// `Z = H Wᵀ + 1 bᵀ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    weights: Vec<DMatrix<f64>>,
    biases: Vec<DVector<f64>>,
    act: Activation,
}

/// All intermediate values of a forward pass.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Pre-activations `Z_i` of every layer, `i = 1..=n` (the last is the output).
    pub pre: Vec<DMatrix<f64>>,
    /// Layer values `H_i`, `i = 0..=n`: the input, the hidden activations, the output.
    pub values: Vec<DMatrix<f64>>,
}

impl Mlp {
    /// Builds a network from its layers, checking that the shapes chain and that
    /// every parameter is finite.
    ///
    /// `weights[i]` has shape `(out_i, in_i)`, `biases[i]` length `out_i`, and
    /// `in_{i+1} = out_i`.
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for no layers or a layer with no units;
    /// [`Error::ShapeMismatch`] when there is not one bias vector per weight matrix,
    /// a bias length differs from the rows of its weight matrix, or a layer's inputs
    /// differ from the outputs of the layer before; [`Error::NonFinite`] for a NaN or
    /// infinite weight, bias or leaky slope.
    pub fn new(
        weights: Vec<DMatrix<f64>>,
        biases: Vec<DVector<f64>>,
        act: Activation,
    ) -> Result<Mlp> {
        ensure_len("layers", weights.len(), 1)?;
        if biases.len() != weights.len() {
            return Err(Error::ShapeMismatch {
                what: "number of bias vectors vs number of weight matrices",
                expected: weights.len().to_string(),
                got: biases.len().to_string(),
            });
        }
        for (i, (w, b)) in weights.iter().zip(&biases).enumerate() {
            if w.nrows() == 0 || w.ncols() == 0 {
                return Err(Error::TooFew {
                    name: "units in a layer",
                    needed: 1,
                    got: 0,
                });
            }
            if b.len() != w.nrows() {
                return Err(Error::ShapeMismatch {
                    what: "bias length vs rows of its weight matrix",
                    expected: format!("{} (layer {})", w.nrows(), i + 1),
                    got: b.len().to_string(),
                });
            }
            if i > 0 && weights[i - 1].nrows() != w.ncols() {
                return Err(Error::ShapeMismatch {
                    what: "consecutive layers (outputs of one vs inputs of the next)",
                    expected: format!("{} inputs for layer {}", weights[i - 1].nrows(), i + 1),
                    got: w.ncols().to_string(),
                });
            }
            ensure_finite("weights", w.as_slice())?;
            ensure_finite("biases", b.as_slice())?;
        }
        if let Activation::Leaky(a) = act {
            ensure_finite("leaky slope", &[a])?;
        }
        Ok(Mlp {
            weights,
            biases,
            act,
        })
    }

    /// A network with layer sizes `sizes = [d_0, d_1, …, d_n]`, weights drawn
    /// uniformly from `±sqrt(6 / (fan_in + fan_out))` (Glorot & Bengio 2010, eq. 16,
    /// the initialisation GBB 2011 use) and biases zero.
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for fewer than two layer sizes or a layer of size 0;
    /// [`Error::NonFinite`] for a [`Activation::Leaky`] slope that is NaN or
    /// infinite.
    pub fn glorot(sizes: &[usize], act: Activation, rng: &mut impl Rng) -> Result<Mlp> {
        ensure_len("layer sizes", sizes.len(), 2)?;
        if sizes.contains(&0) {
            return Err(Error::TooFew {
                name: "units in a layer",
                needed: 1,
                got: 0,
            });
        }
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for w in sizes.windows(2) {
            let r = (6.0 / (w[0] + w[1]) as f64).sqrt();
            let u = Uniform::new_inclusive(-r, r).map_err(|e| Error::InvalidParameter {
                name: "layer sizes",
                reason: e.to_string(),
            })?;
            weights.push(DMatrix::from_fn(w[1], w[0], |_, _| u.sample(rng)));
            biases.push(DVector::zeros(w[1]));
        }
        Mlp::new(weights, biases, act)
    }

    /// The weight matrices `W_1 … W_n`.
    pub fn weights(&self) -> &[DMatrix<f64>] {
        &self.weights
    }

    /// The bias vectors `b_1 … b_n`.
    pub fn biases(&self) -> &[DVector<f64>] {
        &self.biases
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// The same parameters with another hidden activation.
    pub fn with_activation(&self, act: Activation) -> Mlp {
        Mlp {
            act,
            ..self.clone()
        }
    }

    /// Number of layers `n` (hidden layers plus the output layer).
    pub fn depth(&self) -> usize {
        self.weights.len()
    }

    /// Layer sizes `[d_0, …, d_n]`.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.weights[0].ncols())
            .chain(self.weights.iter().map(|w| w.nrows()))
            .collect()
    }

    /// Checks a batch `x` (one example per row) against the input size.
    ///
    /// # Errors
    ///
    /// [`Error::TooFew`] for an empty batch; [`Error::ShapeMismatch`] when the number
    /// of columns is not the network's input size; [`Error::NonFinite`] for a NaN or
    /// infinite input.
    pub fn check_input(&self, x: &DMatrix<f64>) -> Result<()> {
        ensure_len("examples in the batch", x.nrows(), 1)?;
        if x.ncols() != self.weights[0].ncols() {
            return Err(Error::ShapeMismatch {
                what: "input features vs the first layer",
                expected: self.weights[0].ncols().to_string(),
                got: x.ncols().to_string(),
            });
        }
        ensure_finite("input", x.as_slice())
    }

    // ANCHOR: forward
    /// Runs the network on a batch and keeps every intermediate value.
    ///
    /// # Errors
    ///
    /// As [`Mlp::check_input`]: [`Error::TooFew`] for an empty batch,
    /// [`Error::ShapeMismatch`] for the wrong number of input columns,
    /// [`Error::NonFinite`] for a NaN or infinite input.
    pub fn trace(&self, x: &DMatrix<f64>) -> Result<Trace> {
        self.check_input(x)?;
        let n = self.depth();
        let mut pre = Vec::with_capacity(n);
        let mut values = vec![x.clone()];
        // ANCHOR: forward_layer
        for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            // Z_i = H_{i−1} W_iᵀ + 1 b_iᵀ
            let mut z = &values[i] * w.transpose();
            for mut row in z.row_iter_mut() {
                row += b.transpose();
            }
            let h = if i + 1 < n {
                z.map(|v| self.act.apply(v))
            } else {
                z.clone()
            };
            pre.push(z);
            values.push(h);
        }
        // ANCHOR_END: forward_layer
        Ok(Trace { pre, values })
    }
    // ANCHOR_END: forward

    /// The network's output `s` for a batch (one example per row).
    ///
    /// # Errors
    ///
    /// As [`Mlp::check_input`]: [`Error::TooFew`] for an empty batch,
    /// [`Error::ShapeMismatch`] for the wrong number of input columns,
    /// [`Error::NonFinite`] for a NaN or infinite input.
    pub fn forward(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let mut t = self.trace(x)?;
        Ok(t.values.pop().unwrap_or_default())
    }

    /// All parameters flattened (`W_1` column-major, `b_1`, `W_2`, …), for comparisons.
    pub fn flat(&self) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&self.biases)
            .flat_map(|(w, b)| w.iter().chain(b.iter()).copied().collect::<Vec<_>>())
            .collect()
    }
}

/// Largest absolute difference between two equally shaped matrices, relative
/// to the larger of 1 and the largest entry of `a`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the shapes differ (entries would otherwise be
/// paired up arbitrarily, or some left out).
pub fn rel_max_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<f64> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            what: "matrices to compare",
            expected: format!("{} × {}", a.nrows(), a.ncols()),
            got: format!("{} × {}", b.nrows(), b.ncols()),
        });
    }
    let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    Ok(a.iter()
        .zip(b.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale)
}
