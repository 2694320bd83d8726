//! Conversions between candle tensors and nalgebra matrices.

use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;

use crate::error::Result;

/// Converts a matrix (one example per row) to a 2-D candle tensor of type
/// `dtype` on `device`.
///
/// # Errors
/// [`crate::Error::Candle`] if candle cannot build the tensor (an unsupported
/// `dtype` or device).
pub fn to_tensor(m: &DMatrix<f64>, dtype: DType, device: &Device) -> Result<Tensor> {
    let rows: Vec<f64> = m.transpose().as_slice().to_vec(); // row-major
    Ok(Tensor::from_vec(rows, (m.nrows(), m.ncols()), device)?.to_dtype(dtype)?)
}

/// Converts a 2-D candle tensor back to a matrix.
///
/// # Errors
/// [`crate::Error::Candle`] if `t` is not 2-D.
pub fn to_matrix(t: &Tensor) -> Result<DMatrix<f64>> {
    let (r, c) = t.dims2()?;
    let v: Vec<f64> = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1()?;
    Ok(DMatrix::from_row_slice(r, c, &v))
}

/// A scalar (0-dimensional) tensor as `f64`.
///
/// # Errors
/// [`crate::Error::Candle`] if `t` has more than one element.
pub fn scalar(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}
