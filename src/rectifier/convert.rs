//! Converting a tanh network into a sigmoid network that computes the same function.
//!
//! From `tanh(z) = 2σ(2z) − 1` (GBB 2011 §2.1 say the two "are equivalent up
//! to a linear transformation"). Write each tanh hidden layer as
//! `h_i = 2g_i − 1` with `g_i = σ(2 z_i)`; substituting into the next layer
//! gives, with `1` the all-ones vector:
//!
//! | layer | sigmoid weights | sigmoid biases |
//! |---|---|---|
//! | first hidden | `2 W_1` | `2 b_1` |
//! | later hidden | `4 W_i` | `2 (b_i − W_i 1)` |
//! | linear output | `2 W_n` | `b_n − W_n 1` |

use nalgebra::DVector;

use super::{Activation, Mlp};
use crate::error::{Error, Result};

// ANCHOR: tanh_to_sigmoid
/// The sigmoid network computing exactly the function of the tanh network `mlp`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] unless `mlp` uses [`Activation::Tanh`];
/// [`Error::NonFinite`] if a converted parameter overflows (weights are multiplied by
/// up to 4).
pub fn tanh_to_sigmoid(mlp: &Mlp) -> Result<Mlp> {
    if mlp.activation() != Activation::Tanh {
        return Err(Error::InvalidParameter {
            name: "activation",
            reason: format!(
                "tanh_to_sigmoid needs a tanh network, got {}",
                mlp.activation().name()
            ),
        });
    }
    let n = mlp.depth();
    let mut w = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    // ANCHOR: tanh_to_sigmoid_layers
    for (i, (wi, bi)) in mlp.weights().iter().zip(mlp.biases()).enumerate() {
        let w_one: DVector<f64> = wi.column_sum(); // W_i 1
        let (first, output) = (i == 0, i + 1 == n);
        match (first, output) {
            (true, true) => (w.push(wi.clone()), b.push(bi.clone())), // no hidden layer
            (true, false) => (w.push(wi * 2.0), b.push(bi * 2.0)),
            (false, false) => (w.push(wi * 4.0), b.push((bi - &w_one) * 2.0)),
            (false, true) => (w.push(wi * 2.0), b.push(bi - &w_one)),
        };
    }
    // ANCHOR_END: tanh_to_sigmoid_layers
    Mlp::new(w, b, Activation::Sigmoid)
}
// ANCHOR_END: tanh_to_sigmoid

/// The inverse map: the tanh network computing exactly the function of the sigmoid network `mlp`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] unless `mlp` uses [`Activation::Sigmoid`];
/// [`Error::NonFinite`] if a converted bias overflows.
pub fn sigmoid_to_tanh(mlp: &Mlp) -> Result<Mlp> {
    if mlp.activation() != Activation::Sigmoid {
        return Err(Error::InvalidParameter {
            name: "activation",
            reason: format!(
                "sigmoid_to_tanh needs a sigmoid network, got {}",
                mlp.activation().name()
            ),
        });
    }
    let n = mlp.depth();
    let mut w = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for (i, (vi, ci)) in mlp.weights().iter().zip(mlp.biases()).enumerate() {
        let (first, output) = (i == 0, i + 1 == n);
        let wi = match (first, output) {
            (true, true) => vi.clone(),
            (true, false) | (false, true) => vi / 2.0,
            (false, false) => vi / 4.0,
        };
        let w_one: DVector<f64> = wi.column_sum();
        let bi = match (first, output) {
            (true, true) => ci.clone(),
            (true, false) => ci / 2.0,
            (false, false) => ci / 2.0 + &w_one,
            (false, true) => ci + &w_one,
        };
        w.push(wi);
        b.push(bi);
    }
    Mlp::new(w, b, Activation::Tanh)
}
