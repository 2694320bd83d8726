//! A labelled data set as tensors, and its shuffled minibatches.

use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::tensor::to_tensor;
use crate::error::{Error, Result, ensure_finite, ensure_len};

/// A labelled data set as tensors.
#[derive(Debug, Clone)]
pub struct Data {
    /// Inputs `(examples, features)`.
    pub x: Tensor,
    /// Class labels `(examples)`, `u32`.
    pub y: Tensor,
    /// Number of examples.
    pub n: usize,
}

impl Data {
    /// Moves a matrix of inputs and its labels to `device` as `dtype`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for no examples, [`Error::NonFinite`] for a NaN or
    /// infinite input, [`Error::ShapeMismatch`] if `labels` and the rows of
    /// `x` differ in number, [`Error::Candle`] if the tensors cannot be built.
    pub fn new(x: &DMatrix<f64>, labels: &[usize], dtype: DType, device: &Device) -> Result<Data> {
        ensure_len("examples", x.nrows(), 1)?;
        ensure_finite("inputs", x.as_slice())?;
        if labels.len() != x.nrows() {
            return Err(Error::ShapeMismatch {
                what: "labels vs examples",
                expected: x.nrows().to_string(),
                got: labels.len().to_string(),
            });
        }
        let y: Vec<u32> = labels.iter().map(|&k| k as u32).collect();
        Ok(Data {
            x: to_tensor(x, dtype, device)?,
            y: Tensor::from_vec(y, labels.len(), device)?,
            n: x.nrows(),
        })
    }

    /// Checks that every label is below `classes`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first label out of range.
    pub fn check_labels(&self, classes: usize) -> Result<()> {
        let y: Vec<u32> = self.y.to_vec1()?;
        if let Some(&bad) = y.iter().find(|&&k| k as usize >= classes) {
            return Err(Error::InvalidParameter {
                name: "label",
                reason: format!("label {bad} is out of range for {classes} classes"),
            });
        }
        Ok(())
    }

    /// The examples whose indices are listed in `idx` (a `u32` tensor):
    /// inputs and labels of one minibatch.
    ///
    /// # Errors
    /// [`Error::Candle`] if an index is out of range.
    pub fn select(&self, idx: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((self.x.index_select(idx, 0)?, self.y.index_select(idx, 0)?))
    }
}

/// The minibatch order of a training run: example indices reshuffled at
/// every epoch by a generator seeded once, so that a run repeats exactly.
#[derive(Debug)]
pub struct Batches {
    rng: StdRng,
    order: Vec<u32>,
    batch: usize,
}

impl Batches {
    /// The order of `n` examples in minibatches of `batch`, shuffled from `seed`.
    ///
    /// # Errors
    /// [`Error::TooFew`] if `n` or `batch` is 0.
    pub fn new(n: usize, batch: usize, seed: u64) -> Result<Batches> {
        ensure_len("training examples", n, 1)?;
        ensure_len("batch size", batch, 1)?;
        Ok(Batches {
            rng: StdRng::seed_from_u64(seed),
            order: (0..n as u32).collect(),
            batch,
        })
    }

    /// Reshuffles and returns the minibatches of the next epoch, each as a
    /// `u32` index tensor on `device` (the last one may be short).
    ///
    /// # Errors
    /// [`Error::Candle`] if the index tensors cannot be built on `device`.
    pub fn epoch(&mut self, device: &Device) -> Result<Vec<Tensor>> {
        self.order.shuffle(&mut self.rng);
        self.order
            .chunks(self.batch)
            .map(|c| Ok(Tensor::from_slice(c, c.len(), device)?))
            .collect()
    }

    /// The generator, for drawing anything else of the run from the same
    /// stream (as the first-layer pre-training does after its shuffles).
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }
}
