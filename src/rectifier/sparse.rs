//! A forward pass that skips exact zeros, and the multiply-adds it saves.
//!
//! GBB 2011 §2 call rectifiers "computationally efficient": a rectifier layer's
//! output has exact zeros, and a zero input contributes nothing to the next
//! layer, so its column of multiply-adds can be left out with an identical
//! result. [`sparse_forward`] does exactly that and counts what it did; a dense
//! matrix product (what candle and BLAS compute) does every multiply-add
//! whatever the values, so the saving is one of arithmetic, not of wall time
//! in this crate's training code.

use nalgebra::DMatrix;

use super::Mlp;
use crate::error::Result;

/// Multiply-adds of one forward pass over a batch, per layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MacCount {
    /// Per layer `l`, what a dense pass does: `rows · d_{l−1} · d_l`.
    pub dense: Vec<usize>,
    /// Per layer, what [`sparse_forward`] did, leaving out the exactly-zero inputs.
    pub done: Vec<usize>,
}

impl MacCount {
    /// The fraction of the dense multiply-adds of layers `from..` (0-based:
    /// 0 is the first layer, fed by the data; 1 the first fed by hidden
    /// activations) that were skipped; 0 when those layers do none.
    pub fn skipped_fraction(&self, from: usize) -> f64 {
        let dense: usize = self.dense.iter().skip(from).sum();
        let done: usize = self.done.iter().skip(from).sum();
        if dense == 0 {
            return 0.0;
        }
        (dense - done) as f64 / dense as f64
    }
}

/// Runs `mlp` on the batch `x` (one example per row), computing each layer's
/// pre-activation `z_l = W_l h_{l−1} + b_l` only from the entries of `h_{l−1}`
/// that are not exactly zero, and counts the multiply-adds done.
///
/// The output equals [`Mlp::forward`] up to the order of the summation.
///
/// # Errors
///
/// The input errors of [`Mlp::check_input`]: wrong width, no rows, or a
/// non-finite entry.
pub fn sparse_forward(mlp: &Mlp, x: &DMatrix<f64>) -> Result<(DMatrix<f64>, MacCount)> {
    mlp.check_input(x)?;
    let n = mlp.depth();
    let mut count = MacCount {
        dense: Vec::with_capacity(n),
        done: Vec::with_capacity(n),
    };
    let mut h = x.clone();
    for (l, (w, b)) in mlp.weights().iter().zip(mlp.biases()).enumerate() {
        let (rows, inputs, outputs) = (h.nrows(), h.ncols(), w.nrows());
        // Column-major storage: input k's weights are one contiguous column of W.
        let (hs, ws) = (h.as_slice(), w.as_slice());
        let mut z = DMatrix::zeros(rows, outputs);
        let mut acc = vec![0.0; outputs];
        let mut done = 0;
        for r in 0..rows {
            acc.copy_from_slice(b.as_slice());
            for k in 0..inputs {
                let v = hs[k * rows + r];
                if v == 0.0 {
                    continue;
                }
                let column = &ws[k * outputs..(k + 1) * outputs];
                for (a, wk) in acc.iter_mut().zip(column) {
                    *a += wk * v;
                }
                done += outputs;
            }
            for (o, a) in acc.iter().enumerate() {
                z[(r, o)] = *a;
            }
        }
        count.dense.push(rows * inputs * outputs);
        count.done.push(done);
        h = if l + 1 < n {
            z.map(|v| mlp.activation().apply(v))
        } else {
            z
        };
    }
    Ok((h, count))
}
