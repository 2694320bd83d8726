//! The Wisconsin diagnostic breast-cancer data: 569 examples of 30 real
//! features (cell-nucleus measurements), labels 0/1.
//!
//! Source: UCI Machine Learning Repository, "Breast Cancer Wisconsin
//! (Diagnostic)" (Wolberg, Mangasarian, Street & Street, 1995), licence
//! CC BY 4.0, as shipped inside the smartcore crate (`datasets` feature).
//! Nothing is downloaded.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

/// Loads the raw features `(569, 30)` and the 0/1 labels.
///
/// # Errors
/// [`Error::Data`] if the stored sizes disagree or a feature is not finite.
pub fn load() -> Result<(DMatrix<f64>, DVector<f64>)> {
    let d = smartcore::dataset::breast_cancer::load_dataset();
    if d.num_samples == 0
        || d.data.len() != d.num_samples * d.num_features
        || d.target.len() != d.num_samples
    {
        return Err(Error::Data("breast_cancer: stored sizes disagree".into()));
    }
    if d.data.iter().any(|v| !v.is_finite()) {
        return Err(Error::Data(
            "breast_cancer: a stored feature is not finite".into(),
        ));
    }
    let features = DMatrix::from_row_iterator(
        d.num_samples,
        d.num_features,
        d.data.iter().map(|&v| f64::from(v)),
    );
    let y = DVector::from_iterator(d.num_samples, d.target.iter().map(|&t| f64::from(t)));
    Ok((features, y))
}
