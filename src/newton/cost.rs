//! What a Newton step costs: flop-counted textbook algorithms and a
//! log–log least-squares fit for measured times.
//!
//! The counted versions are written for clarity, not speed (the example
//! times nalgebra's); they make the `O(n³)` statements exact and testable:
//! a Cholesky solve costs `n³/3 + O(n²)` flops, an in-place Gauss–Jordan
//! inverse `2n³ + O(n²)` (Golub & Van Loan, *Matrix Computations*, 4th ed.,
//! §4.2 and §3.1; Higham §14.4).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_len};

/// Checks that `A` is `n × n` for a right-hand side of length `n ≥ 1`, and
/// that both are finite.
fn check_system(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<usize> {
    let n = b.len();
    ensure_len("right-hand side b", n, 1)?;
    if a.shape() != (n, n) {
        return Err(Error::ShapeMismatch {
            what: "counted solve A x = b",
            expected: format!("a {n} × {n} matrix for b of length {n}"),
            got: format!("{} × {}", a.nrows(), a.ncols()),
        });
    }
    crate::error::ensure_finite("A", a.as_slice())?;
    crate::error::ensure_finite("b", b.as_slice())?;
    Ok(n)
}

// ANCHOR: counted
/// Solves `A x = b` for a symmetric positive definite `A` by Cholesky
/// (`A = L Lᵀ`, then `L y = b`, `Lᵀ x = y`), counting floating-point
/// operations (`+ − × ÷ √`, one each). Returns `(x, flops)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless `A` is `n × n` for `b` of length `n`,
/// [`Error::TooFew`] for `n = 0`, [`Error::NonFinite`] for a non-finite entry,
/// [`Error::NotPositiveDefinite`] if a pivot is not positive.
pub fn cholesky_solve_counted(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<(DVector<f64>, u64)> {
    let n = check_system(a, b)?;
    let mut l = DMatrix::<f64>::zeros(n, n);
    let mut flops = 0u64;
    for j in 0..n {
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[(j, k)] * l[(j, k)];
        }
        flops += 2 * j as u64;
        if d.is_nan() || d <= 0.0 {
            return Err(Error::NotPositiveDefinite {
                detail: format!("pivot {j} is {d:e}"),
            });
        }
        l[(j, j)] = d.sqrt();
        flops += 1;
        for i in j + 1..n {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / l[(j, j)];
            flops += 2 * j as u64 + 1;
        }
    }
    let mut y = b.clone();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[(i, k)] * y[k];
        }
        y[i] /= l[(i, i)];
        flops += 2 * i as u64 + 1;
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[(k, i)] * y[k];
        }
        y[i] /= l[(i, i)];
        flops += 2 * (n - 1 - i) as u64 + 1;
    }
    Ok((y, flops))
}

/// Computes `x = A⁻¹ b` by an in-place Gauss–Jordan inversion (no pivoting,
/// fine for symmetric positive definite `A`) and a matrix–vector product,
/// counting floating-point operations. Returns `(x, flops)`.
///
/// # Errors
/// As [`cholesky_solve_counted`] for the shapes, and [`Error::Singular`] if a
/// pivot is zero.
pub fn inverse_multiply_counted(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<(DVector<f64>, u64)> {
    let n = check_system(a, b)?;
    let mut m = a.clone();
    let mut flops = 0u64;
    for k in 0..n {
        let pivot = m[(k, k)];
        if pivot == 0.0 {
            return Err(Error::Singular {
                what: "the matrix A",
                detail: format!("Gauss–Jordan pivot {k} is zero"),
            });
        }
        let p = 1.0 / pivot;
        m[(k, k)] = 1.0;
        for j in 0..n {
            m[(k, j)] *= p;
        }
        flops += 1 + n as u64;
        for i in (0..n).filter(|&i| i != k) {
            let f = m[(i, k)];
            m[(i, k)] = 0.0;
            for j in 0..n {
                m[(i, j)] -= f * m[(k, j)];
            }
            flops += 2 * n as u64;
        }
    }
    let x = &m * b;
    flops += 2 * (n * n) as u64;
    Ok((x, flops))
}
// ANCHOR_END: counted

// ANCHOR: loglog_fit
/// Least-squares fit of `ln y = p·ln x + c`; returns `(p, c)`.
///
/// `p` is the measured exponent of a cost `y ≈ e^c·x^p`.
///
/// # Errors
/// [`Error::TooFew`] for fewer than two points, [`Error::ShapeMismatch`] for
/// unequal lengths, [`Error::InvalidParameter`] for a value that is not
/// positive and finite or all `x` equal.
pub fn loglog_fit(xs: &[f64], ys: &[f64]) -> Result<(f64, f64)> {
    ensure_len("xs", xs.len(), 2)?;
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch {
            what: "log–log fit: xs and ys",
            expected: format!("{} values", xs.len()),
            got: format!("{} values", ys.len()),
        });
    }
    if let Some(v) = xs.iter().chain(ys).find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "xs, ys",
            reason: format!("a log–log fit needs positive finite values, got {v}"),
        });
    }
    let lx: Vec<f64> = xs.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = ys.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxx: f64 = lx.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    if sxx == 0.0 {
        return Err(Error::InvalidParameter {
            name: "xs",
            reason: "all x are equal, so no slope can be fitted".into(),
        });
    }
    let p = sxy / sxx;
    Ok((p, my - p * mx))
}
// ANCHOR_END: loglog_fit
