//! Principal component analysis by the singular value decomposition of the
//! centred data, and a second implementation by the eigendecomposition of
//! the covariance matrix (the test oracle).
//!
//! With the centred training rows `X̃ = U Σ Vᵀ`, the first `k` columns `V_k`
//! of `V` are the principal directions; the code of a row is `V_kᵀ(x − μ)` and
//! its reconstruction `μ + V_k V_kᵀ(x − μ)`. By the Eckart–Young theorem no
//! rank-`k` approximation of `X̃` has a smaller squared error than the sum of
//! the discarded squared singular values `Σ_{i>k} σ_i²`.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// A fitted PCA: the training mean, the principal directions and the
/// singular values of the centred training rows, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Column means of the training rows `μ`.
    pub mean: DVector<f64>,
    /// Principal directions as orthonormal columns `V` (`d × min(n, d)`).
    pub components: DMatrix<f64>,
    /// Singular values `σ_1 ≥ σ_2 ≥ …` of the centred training rows.
    pub singular: Vec<f64>,
    /// Number of training rows `n`.
    pub rows: usize,
    /// How the directions were computed.
    pub via: Decomposition,
}

/// The decomposition a [`Pca`] was computed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Decomposition {
    /// The SVD of the centred rows.
    Svd,
    /// The eigendecomposition of the covariance (the fallback).
    CovarianceEigen,
}

// ANCHOR: fit
impl Pca {
    /// Fits PCA to the rows of `x` by the SVD of the centred rows.
    ///
    /// nalgebra 0.35's SVD returned a wrong decomposition for some exactly
    /// rank-deficient matrices (a 3 × 4 centred matrix recomposed with a 2 %
    /// error; found by the property tests). The fit therefore recomposes the
    /// SVD and, if it misses `X̃` by more than `1e-10·‖X̃‖`, falls back to the
    /// eigendecomposition of the covariance ([`covariance_eigen`]);
    /// [`Pca::via`] says which was used.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 rows or no column, [`Error::NonFinite`]
    /// for a NaN or infinite entry, [`Error::NoConvergence`] if the SVD fails.
    pub fn fit(x: &DMatrix<f64>) -> Result<Pca> {
        ensure_len("rows", x.nrows(), 2)?;
        ensure_len("columns", x.ncols(), 1)?;
        ensure_finite("table entries", x.as_slice())?;
        let mean = x.row_mean().transpose();
        let centred = center(x, &mean);
        // nalgebra's own default tolerance, 5ε (with ε itself its iteration
        // stopped early on some wide matrices).
        let svd = centred
            .clone()
            .try_svd(true, true, 5.0 * f64::EPSILON, 0)
            .ok_or_else(|| Error::NoConvergence {
                method: "SVD",
                iterations: 0,
                reason: "nalgebra's SVD did not converge".into(),
                last: Vec::new(),
            })?;
        let miss = svd
            .clone()
            .recompose()
            .map_or(f64::INFINITY, |r| (r - &centred).norm());
        if miss > 1e-10 * centred.norm() {
            return Pca::fit_by_covariance(x, mean);
        }
        let v_t = svd.v_t.ok_or_else(|| Error::Data("SVD without V".into()))?;
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let components = DMatrix::from_fn(x.ncols(), order.len(), |i, j| v_t[(order[j], i)]);
        let singular = order.iter().map(|&i| svd.singular_values[i]).collect();
        Ok(Pca {
            mean,
            components,
            singular,
            rows: x.nrows(),
            via: Decomposition::Svd,
        })
    }
    // ANCHOR_END: fit

    fn fit_by_covariance(x: &DMatrix<f64>, mean: DVector<f64>) -> Result<Pca> {
        let (values, vectors) = covariance_eigen(x)?;
        let r = x.nrows().min(x.ncols());
        let n = x.nrows() as f64;
        // eigenvalues below the rounding level of the covariance are zero
        let tol = x.nrows().max(x.ncols()) as f64 * f64::EPSILON * values[0].abs();
        let singular = values[..r]
            .iter()
            .map(|&l| if l > tol { (l * n).sqrt() } else { 0.0 })
            .collect();
        Ok(Pca {
            mean,
            components: vectors.columns(0, r).into_owned(),
            singular,
            rows: x.nrows(),
            via: Decomposition::CovarianceEigen,
        })
    }

    /// Input dimension `d`.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Numerical rank: singular values above `max(n, d)·ε·σ_1`.
    pub fn rank(&self) -> usize {
        let top = self.singular.first().copied().unwrap_or(0.0);
        let tol = self.rows.max(self.dim()) as f64 * f64::EPSILON * top;
        self.singular.iter().filter(|&&s| s > tol).count()
    }

    /// Checks that `1 ≤ k ≤ rank`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `k = 0` or `k` above the rank.
    pub fn check_k(&self, k: usize) -> Result<()> {
        let rank = self.rank();
        if k == 0 || k > rank {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: format!(
                    "the code size must lie in 1..={rank} (the rank of the training rows), got {k}"
                ),
            });
        }
        Ok(())
    }

    /// The first `k` principal directions `V_k` (`d × k`).
    ///
    /// # Errors
    /// As [`Pca::check_k`].
    pub fn basis(&self, k: usize) -> Result<DMatrix<f64>> {
        self.check_k(k)?;
        Ok(self.components.columns(0, k).into_owned())
    }

    /// Cumulative fraction of the variance explained by the first `1, 2, …`
    /// components: `Σ_{i≤k} σ_i² / Σ_i σ_i²`.
    pub fn explained(&self) -> Vec<f64> {
        let total: f64 = self.singular.iter().map(|s| s * s).sum();
        let mut acc = 0.0;
        self.singular
            .iter()
            .map(|s| {
                acc += s * s;
                acc / total
            })
            .collect()
    }

    /// The Eckart–Young optimum as a mean squared error per entry on the
    /// training rows: `Σ_{i>k} σ_i² / (n·d)`.
    ///
    /// # Errors
    /// As [`Pca::check_k`].
    pub fn eckart_young(&self, k: usize) -> Result<f64> {
        self.check_k(k)?;
        let tail: f64 = self.singular[k..].iter().map(|s| s * s).sum();
        Ok(tail / (self.rows * self.dim()) as f64)
    }

    // ANCHOR: reconstruct
    /// Reconstructs the rows of `x` from their first `k` principal
    /// coordinates: `μ + V_k V_kᵀ (x − μ)`.
    ///
    /// # Errors
    /// As [`Pca::check_k`]; [`Error::ShapeMismatch`] if `x` has another
    /// number of columns; [`Error::NonFinite`] for a non-finite entry.
    pub fn reconstruct(&self, x: &DMatrix<f64>, k: usize) -> Result<DMatrix<f64>> {
        let v = self.basis(k)?;
        self.check_cols(x)?;
        let centred = center(x, &self.mean);
        let mut out = (&centred * &v) * v.transpose();
        for mut row in out.row_iter_mut() {
            row += self.mean.transpose();
        }
        Ok(out)
    }
    // ANCHOR_END: reconstruct

    fn check_cols(&self, x: &DMatrix<f64>) -> Result<()> {
        if x.ncols() != self.dim() {
            return Err(Error::ShapeMismatch {
                what: "PCA input columns",
                expected: self.dim().to_string(),
                got: x.ncols().to_string(),
            });
        }
        ensure_finite("table entries", x.as_slice())
    }
}

/// `x` with `mean` subtracted from every row.
pub fn center(x: &DMatrix<f64>, mean: &DVector<f64>) -> DMatrix<f64> {
    let mut c = x.clone();
    for mut row in c.row_iter_mut() {
        row -= mean.transpose();
    }
    c
}

/// Mean squared error per entry between `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the shapes differ, [`Error::TooFew`] if empty.
pub fn mse(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<f64> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            what: "reconstruction",
            expected: format!("{:?}", a.shape()),
            got: format!("{:?}", b.shape()),
        });
    }
    ensure_len("entries", a.len(), 1)?;
    Ok((a - b).norm_squared() / a.len() as f64)
}

/// The second implementation: eigenvalues (largest first) and eigenvectors
/// (columns) of the covariance `X̃ᵀX̃ / n` of the rows of `x`. The eigenvalues
/// are `σ_i² / n` and the eigenvectors span the same subspaces as [`Pca`]'s.
///
/// # Errors
/// As [`Pca::fit`].
pub fn covariance_eigen(x: &DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>)> {
    ensure_len("rows", x.nrows(), 2)?;
    ensure_len("columns", x.ncols(), 1)?;
    ensure_finite("table entries", x.as_slice())?;
    let centred = center(x, &x.row_mean().transpose());
    let cov = centred.transpose() * &centred / x.nrows() as f64;
    let eig = cov.symmetric_eigen();
    let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let values = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let vectors = DMatrix::from_fn(x.ncols(), order.len(), |i, j| {
        eig.eigenvectors[(i, order[j])]
    });
    Ok((values, vectors))
}

/// Distance between the column spaces of two matrices with orthonormal
/// columns of the same count: `‖P_a − P_b‖_F / √2`, the root of the sum of
/// the squared sines of the principal angles (0 for the same subspace).
///
/// # Errors
/// [`Error::ShapeMismatch`] if the shapes differ.
pub fn subspace_distance(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<f64> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            what: "subspace bases",
            expected: format!("{:?}", a.shape()),
            got: format!("{:?}", b.shape()),
        });
    }
    let pa = a * a.transpose();
    let pb = b * b.transpose();
    Ok((pa - pb).norm() / std::f64::consts::SQRT_2)
}
