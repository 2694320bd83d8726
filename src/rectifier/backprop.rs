//! Loss and gradients of an [`Mlp`] by hand-written back-propagation.
//!
//! Rumelhart, Hinton & Williams (1986); the matrix form follows Goodfellow,
//! Bengio & Courville, *Deep Learning* (2016), Algorithm 6.4. The candle
//! network computes the same gradients by automatic differentiation; the
//! tests compare the two.

use nalgebra::{DMatrix, DVector};

use super::Mlp;
use crate::error::{Error, Result};

/// What the network is trained to produce.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Regression: mean squared error over all outputs,
    /// `L = (1 / (N·d_n)) Σ (s − y)²` (candle's `loss::mse`).
    Regression(&'a DMatrix<f64>),
    /// Classification: mean softmax cross-entropy over the batch, one class index per example.
    Classes(&'a [usize]),
}

/// Gradients of the loss, shaped like the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    /// `∂L/∂W_i`.
    pub weights: Vec<DMatrix<f64>>,
    /// `∂L/∂b_i`.
    pub biases: Vec<DVector<f64>>,
}

fn check_target(mlp: &Mlp, x: &DMatrix<f64>, target: Target<'_>) -> Result<()> {
    let out = *mlp.sizes().last().unwrap_or(&0);
    match target {
        Target::Regression(y) => {
            if y.shape() != (x.nrows(), out) {
                return Err(Error::ShapeMismatch {
                    what: "regression targets vs (examples, outputs)",
                    expected: format!("{:?}", (x.nrows(), out)),
                    got: format!("{:?}", y.shape()),
                });
            }
            crate::error::ensure_finite("targets", y.as_slice())
        }
        Target::Classes(c) => {
            if c.len() != x.nrows() {
                return Err(Error::ShapeMismatch {
                    what: "class labels vs examples",
                    expected: x.nrows().to_string(),
                    got: c.len().to_string(),
                });
            }
            match c.iter().find(|&&k| k >= out) {
                Some(k) => Err(Error::InvalidParameter {
                    name: "class label",
                    reason: format!("label {k} is not below the number of outputs {out}"),
                }),
                None => Ok(()),
            }
        }
    }
}

/// Softmax of each row, stabilised by subtracting the row maximum.
pub fn softmax_rows(z: &DMatrix<f64>) -> DMatrix<f64> {
    let mut p = z.clone();
    for mut row in p.row_iter_mut() {
        let m = row.max();
        row.apply(|v| *v = (*v - m).exp());
        let s = row.sum();
        row /= s;
    }
    p
}

/// The loss of `mlp` on a batch.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] when regression targets are not `(examples, outputs)`
/// or there is not one class label per example; [`Error::InvalidParameter`] for a
/// class label not below the number of outputs; [`Error::NonFinite`] for a NaN or
/// infinite target or input; [`Error::TooFew`] for an empty batch, and
/// [`Error::ShapeMismatch`] for the wrong number of input columns, as
/// [`Mlp::check_input`].
pub fn loss(mlp: &Mlp, x: &DMatrix<f64>, target: Target<'_>) -> Result<f64> {
    check_target(mlp, x, target)?;
    let s = mlp.forward(x)?;
    Ok(loss_of_output(&s, target))
}

fn loss_of_output(s: &DMatrix<f64>, target: Target<'_>) -> f64 {
    match target {
        Target::Regression(y) => (s - y).map(|v| v * v).sum() / (s.len() as f64),
        Target::Classes(c) => {
            // log-sum-exp with the row maximum pulled out.
            let total: f64 = s
                .row_iter()
                .zip(c)
                .map(|(row, &k)| {
                    let m = row.max();
                    m + row.map(|v| (v - m).exp()).sum().ln() - row[k]
                })
                .sum();
            total / s.nrows() as f64
        }
    }
}

// ANCHOR: backprop
/// The loss and its gradient with respect to every weight and bias.
///
/// # Errors
///
/// As [`loss`]: [`Error::ShapeMismatch`] for targets or inputs of the wrong shape,
/// [`Error::InvalidParameter`] for a class label not below the number of outputs,
/// [`Error::NonFinite`] for a NaN or infinite target or input, [`Error::TooFew`] for
/// an empty batch.
pub fn gradients(mlp: &Mlp, x: &DMatrix<f64>, target: Target<'_>) -> Result<(f64, Grads)> {
    check_target(mlp, x, target)?;
    let t = mlp.trace(x)?;
    let n = mlp.depth();
    let s = &t.values[n];
    let batch = x.nrows() as f64;
    // δ_n = ∂L/∂Z_n for the linear output layer.
    let mut delta = match target {
        Target::Regression(y) => (s - y) * (2.0 / s.len() as f64),
        Target::Classes(c) => {
            let mut p = softmax_rows(s);
            for (i, &k) in c.iter().enumerate() {
                p[(i, k)] -= 1.0;
            }
            p / batch
        }
    };
    let mut gw = vec![DMatrix::zeros(0, 0); n];
    let mut gb = vec![DVector::zeros(0); n];
    // ANCHOR: backprop_loop
    for i in (0..n).rev() {
        gw[i] = delta.transpose() * &t.values[i]; // ∂L/∂W = δᵀ H_{i−1}
        gb[i] = delta.row_sum().transpose(); //        ∂L/∂b = Σ_rows δ
        if i > 0 {
            let back = &delta * &mlp.weights()[i]; //   ∂L/∂H_{i−1} = δ W_i
            let act = mlp.activation();
            delta = back.zip_map(&t.pre[i - 1], |g, z| g * act.derivative(z));
        }
    }
    // ANCHOR_END: backprop_loop
    Ok((
        loss_of_output(s, target),
        Grads {
            weights: gw,
            biases: gb,
        },
    ))
}
// ANCHOR_END: backprop

/// Checks that `g` has one gradient per parameter tensor, each of its shape.
fn check_shapes(mlp: &Mlp, g: &Grads) -> Result<()> {
    let shape = |m: &DMatrix<f64>| format!("{} × {}", m.nrows(), m.ncols());
    let layers = mlp.weights().len();
    if g.weights.len() != layers || g.biases.len() != layers {
        return Err(Error::ShapeMismatch {
            what: "gradient and network",
            expected: format!("{layers} weight and {layers} bias gradients"),
            got: format!("{} and {}", g.weights.len(), g.biases.len()),
        });
    }
    for (i, (w, b)) in mlp.weights().iter().zip(mlp.biases()).enumerate() {
        let (gw, gb) = (&g.weights[i], &g.biases[i]);
        if gw.shape() != w.shape() || gb.len() != b.len() {
            return Err(Error::ShapeMismatch {
                what: "gradient of a layer",
                expected: format!("layer {}: weights {}, {} biases", i + 1, shape(w), b.len()),
                got: format!("weights {}, {} biases", shape(gw), gb.len()),
            });
        }
    }
    Ok(())
}

/// One plain gradient-descent step `Θ ← Θ − η ∇L(Θ)`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `g` is not shaped like the network's parameters
/// (as [`gradients`] returns them); [`Error::NonFinite`] if `lr` is NaN or
/// infinite, or if a parameter of the new network is (the step overflowed).
pub fn sgd_step(mlp: &Mlp, g: &Grads, lr: f64) -> Result<Mlp> {
    crate::error::ensure_finite("learning rate", &[lr])?;
    check_shapes(mlp, g)?;
    let w = mlp
        .weights()
        .iter()
        .zip(&g.weights)
        .map(|(w, d)| w - d * lr)
        .collect();
    let b = mlp
        .biases()
        .iter()
        .zip(&g.biases)
        .map(|(b, d)| b - d * lr)
        .collect();
    Mlp::new(w, b, mlp.activation())
}

/// One layer-wise *relative* step: each tensor `P` (a `W_i` or a `b_i`) moves by
/// `η ‖P‖ / ‖∇_P L‖ · ∇_P L`, a fixed fraction `η` of its own norm (the rule
/// of LARS, You, Gitman & Ginsburg 2017, without momentum or weight decay).
///
/// Because `‖P‖` scales like `P` and `‖∇_P L‖` inversely, this step commutes
/// with the α-rescaling: it is one remedy for the ill-conditioning of GBB 2011
/// §3. A tensor with zero norm or zero gradient is left unchanged.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `g` is not shaped like the network's parameters
/// (as [`gradients`] returns them); [`Error::NonFinite`] if `lr` is NaN or
/// infinite, or if a parameter of the new network is (the step overflowed).
pub fn relative_step(mlp: &Mlp, g: &Grads, lr: f64) -> Result<Mlp> {
    crate::error::ensure_finite("learning rate", &[lr])?;
    check_shapes(mlp, g)?;
    // ANCHOR: relative_step_core
    fn ratio(p: f64, g: f64) -> f64 {
        if p > 0.0 && g > 0.0 { p / g } else { 0.0 }
    }
    let w = mlp
        .weights()
        .iter()
        .zip(&g.weights)
        .map(|(w, d)| w - d * (lr * ratio(w.norm(), d.norm())))
        .collect();
    // ANCHOR_END: relative_step_core
    let b = mlp
        .biases()
        .iter()
        .zip(&g.biases)
        .map(|(b, d)| b - d * (lr * ratio(b.norm(), d.norm())))
        .collect();
    Mlp::new(w, b, mlp.activation())
}
