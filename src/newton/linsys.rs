//! Solve versus explicit inverse for the Newton system.
//!
//! A backward-stable solve (LU with partial pivoting, or Cholesky) returns an
//! `x̂` that exactly solves a nearby system `(A + δA) x̂ = b` with
//! `‖δA‖ ≲ c·n·ε·‖A‖`, so its relative residual `‖A x̂ − b‖ / (‖A‖ ‖x̂‖)` is of
//! order `ε` however ill-conditioned `A` is (Higham, *Accuracy and Stability
//! of Numerical Algorithms*, 2nd ed., Thm 9.4 and §14.1). Forming `A⁻¹` and
//! multiplying has no such guarantee: its residual grows with `κ(A)·ε`
//! (Higham §14.1, eq. 14.3) and it costs three times the flops.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// The `n × n` Hilbert matrix `Hᵢⱼ = 1/(i + j + 1)` (0-based): symmetric
/// positive definite, with `κ₂` growing like `e^{3.5 n}`.
pub fn hilbert(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| 1.0 / (i + j + 1) as f64)
}

fn check(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<()> {
    ensure_len("b", b.len(), 1)?;
    if a.nrows() != b.len() || a.ncols() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "linear system A x = b",
            expected: format!("{n}×{n}", n = b.len()),
            got: format!("{}×{}", a.nrows(), a.ncols()),
        });
    }
    ensure_finite("A", a.as_slice())?;
    ensure_finite("b", b.as_slice())
}

// ANCHOR: solve_vs_inverse
/// Solves `A x = b` by LU with partial pivoting.
///
/// # Errors
/// [`Error::Singular`] if a pivot is exactly zero.
pub fn solve_lu(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<DVector<f64>> {
    check(a, b)?;
    // ANCHOR: lu_solve
    a.clone().lu().solve(b).ok_or_else(|| Error::Singular {
        what: "the matrix A",
        detail: "LU factorisation met a zero pivot".into(),
    })
    // ANCHOR_END: lu_solve
}

/// Solves `A x = b` by Cholesky (`A` symmetric positive definite).
///
/// # Errors
/// [`Error::NotPositiveDefinite`] if the factorisation fails.
pub fn solve_cholesky(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<DVector<f64>> {
    check(a, b)?;
    let chol = super::damped::exact_cholesky(a)?;
    Ok(chol.solve(b))
}

/// Computes `x = A⁻¹ b` by forming the inverse first: what **not** to do.
///
/// # Errors
/// [`Error::Singular`] if the inversion fails.
pub fn solve_via_inverse(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<DVector<f64>> {
    check(a, b)?;
    // ANCHOR: inverse_then_multiply
    let inv = a.clone().try_inverse().ok_or_else(|| Error::Singular {
        what: "the matrix A",
        detail: "the inversion met a zero pivot".into(),
    })?;
    Ok(inv * b)
    // ANCHOR_END: inverse_then_multiply
}

/// The normwise relative residual `‖A x − b‖₂ / (‖A‖_F ‖x‖₂)`: of order `ε`
/// exactly when `x` is the exact solution of a slightly perturbed system.
///
/// # Errors
///
/// [`Error::TooFew`] for an empty `b`; [`Error::ShapeMismatch`] unless `A` is
/// `n × n` and `x` and `b` have `n` entries; [`Error::NonFinite`] if an entry of
/// `A`, `x` or `b` is NaN or infinite.
pub fn relative_residual(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> Result<f64> {
    check(a, b)?;
    check(a, x)?;
    Ok((a * x - b).norm() / (a.norm() * x.norm()))
}
// ANCHOR_END: solve_vs_inverse

/// The exact inverse of the `n × n` Hilbert matrix, from its closed form
/// (Choi, "Tricks or treats with the Hilbert matrix", Amer. Math. Monthly 90,
/// 1983): with 1-based indices,
/// `(H⁻¹)ᵢⱼ = (−1)^{i+j} (i+j−1) C(n+i−1, n−j) C(n+j−1, n−i) C(i+j−2, i−1)²`.
///
/// The entries are integers; in `f64` they carry only the rounding of the
/// binomials (relative `~nε`), however ill-conditioned `H` is, which is what
/// makes `κ₂(Hₙ)` computable beyond `1/ε`.
pub fn hilbert_inverse(n: usize) -> DMatrix<f64> {
    let binom = |a: usize, b: usize| -> f64 {
        (0..b).fold(1.0, |acc, k| acc * (a - k) as f64 / (k + 1) as f64)
    };
    DMatrix::from_fn(n, n, |i0, j0| {
        let (i, j) = (i0 + 1, j0 + 1);
        let sign = if (i + j) % 2 == 0 { 1.0 } else { -1.0 };
        let c = binom(i + j - 2, i - 1);
        sign * (i + j - 1) as f64 * binom(n + i - 1, n - j) * binom(n + j - 1, n - i) * c * c
    })
}

/// `κ₂(Hₙ) = λ_max(Hₙ)·λ_max(Hₙ⁻¹)`, with the inverse from its closed form.
pub fn hilbert_condition(n: usize) -> f64 {
    let top = |m: DMatrix<f64>| m.symmetric_eigenvalues().max();
    top(hilbert(n)) * top(hilbert_inverse(n))
}
