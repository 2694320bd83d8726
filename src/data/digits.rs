//! The handwritten digits (UCI "Optical Recognition of Handwritten Digits",
//! CC BY 4.0), as shipped inside the smartcore crate: 1797 images of 8×8
//! pixels with values 0..16, ten classes. Nothing is downloaded.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::{Error, Result};

/// A train/test split, inputs scaled to `[0, 1]`, one example per row.
#[derive(Debug, Clone)]
pub struct Split {
    /// Training inputs.
    pub train_x: DMatrix<f64>,
    /// Training labels.
    pub train_y: Vec<usize>,
    /// Test inputs.
    pub test_x: DMatrix<f64>,
    /// Test labels.
    pub test_y: Vec<usize>,
}

/// Loads all digits: inputs `(1797, 64)` divided by 16, and labels.
///
/// # Errors
/// [`Error::Data`] if the stored sizes disagree.
pub fn load() -> Result<(DMatrix<f64>, Vec<usize>)> {
    let d = smartcore::dataset::digits::load_dataset();
    if d.num_samples == 0 || d.data.len() != d.num_samples * d.num_features {
        return Err(Error::Data(format!(
            "digits: {} values for {} samples of {} features",
            d.data.len(),
            d.num_samples,
            d.num_features
        )));
    }
    let x = DMatrix::from_row_iterator(
        d.num_samples,
        d.num_features,
        d.data.iter().map(|&v| f64::from(v) / 16.0),
    );
    let y = d.target.iter().map(|&t| t.round() as usize).collect();
    Ok((x, y))
}

/// A fixed-seed random split with `test_fraction` of the examples held out.
///
/// # Errors
/// [`Error::InvalidParameter`] for a fraction outside `(0, 1)`; as [`load`].
pub fn split(test_fraction: f64, seed: u64) -> Result<Split> {
    if !(0.0..1.0).contains(&test_fraction) || test_fraction <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "test fraction",
            reason: "must lie in (0, 1)".into(),
        });
    }
    let (x, y) = load()?;
    let mut idx: Vec<usize> = (0..x.nrows()).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_test = ((x.nrows() as f64) * test_fraction).round() as usize;
    let (test, train) = idx.split_at(n_test);
    let pick = |rows: &[usize]| {
        (
            x.select_rows(rows),
            rows.iter().map(|&r| y[r]).collect::<Vec<_>>(),
        )
    };
    let (train_x, train_y) = pick(train);
    let (test_x, test_y) = pick(test);
    Ok(Split {
        train_x,
        train_y,
        test_x,
        test_y,
    })
}

/// The first `per_class` training examples of each class (a small labelled subset).
pub fn per_class(x: &DMatrix<f64>, y: &[usize], per_class: usize) -> (DMatrix<f64>, Vec<usize>) {
    let mut seen = [0usize; 10];
    let rows: Vec<usize> = (0..y.len())
        .filter(|&r| {
            let k = y[r].min(9);
            seen[k] += 1;
            seen[k] <= per_class
        })
        .collect();
    (x.select_rows(&rows), rows.iter().map(|&r| y[r]).collect())
}
