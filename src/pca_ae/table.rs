//! From the Ames sales to a matrix a practitioner would hand to PCA or an
//! autoencoder: a seeded train / validation / test split, median imputation,
//! one-hot encoding (or dropping) of the categorical variables, removal of
//! columns that are constant on the training rows, and standardisation fitted
//! on the training rows only.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::ames::{Ames, Column};
use crate::error::{Error, Result, ensure_finite, ensure_len};

/// Which explanatory variables become columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    /// The numeric variables only; the categorical ones are dropped.
    NumericOnly,
    /// The numeric variables and one indicator column per level of each
    /// categorical variable ("missing" counted as a level of its own).
    OneHot,
}

impl Encoding {
    /// A short name for tables and keys.
    pub fn key(self) -> &'static str {
        match self {
            Encoding::NumericOnly => "numeric",
            Encoding::OneHot => "onehot",
        }
    }
}

/// Row indices of the three parts of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows the models are fitted on (and the standardisation).
    pub train: Vec<usize>,
    /// Rows for early stopping.
    pub valid: Vec<usize>,
    /// Held-out rows, used only to report errors.
    pub test: Vec<usize>,
}

/// A seeded random split of `n` rows with the given validation and test
/// fractions; the rest is training.
///
/// # Errors
/// [`Error::InvalidParameter`] if a fraction is not finite, negative, or the
/// two leave no training row; [`Error::TooFew`] if `n` is 0.
pub fn split(n: usize, valid: f64, test: f64, seed: u64) -> Result<Split> {
    ensure_len("rows", n, 1)?;
    if !(valid.is_finite() && test.is_finite() && valid >= 0.0 && test >= 0.0)
        || valid + test >= 1.0
    {
        return Err(Error::InvalidParameter {
            name: "split fractions",
            reason: format!(
                "validation {valid} and test {test} must be ≥ 0 and leave training rows"
            ),
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_test = (n as f64 * test).round() as usize;
    let n_valid = (n as f64 * valid).round() as usize;
    let test_rows = idx[..n_test].to_vec();
    let valid_rows = idx[n_test..n_test + n_valid].to_vec();
    let train_rows = idx[n_test + n_valid..].to_vec();
    ensure_len("training rows", train_rows.len(), 1)?;
    Ok(Split {
        train: train_rows,
        valid: valid_rows,
        test: test_rows,
    })
}

/// Centring and scaling fitted on training rows: `(x − mean) / sd`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means of the training rows.
    pub mean: DVector<f64>,
    /// Column standard deviations of the training rows (divisor `n`).
    pub sd: DVector<f64>,
}

impl Standardizer {
    /// Fits means and standard deviations to the rows of `x`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for no rows or columns, [`Error::NonFinite`] for a NaN
    /// or infinite entry, [`Error::InvalidParameter`] naming the first column
    /// that is constant (zero standard deviation: it cannot be scaled, and
    /// carries nothing to reconstruct; drop it first).
    pub fn fit(x: &DMatrix<f64>) -> Result<Standardizer> {
        ensure_len("rows", x.nrows(), 1)?;
        ensure_len("columns", x.ncols(), 1)?;
        ensure_finite("table entries", x.as_slice())?;
        let n = x.nrows() as f64;
        let mean = x.row_mean().transpose();
        let mut sd = DVector::zeros(x.ncols());
        for j in 0..x.ncols() {
            let s = x
                .column(j)
                .iter()
                .map(|v| (v - mean[j]).powi(2))
                .sum::<f64>()
                / n;
            sd[j] = s.sqrt();
            if sd[j] <= 1e-12 * (1.0 + mean[j].abs()) {
                return Err(Error::InvalidParameter {
                    name: "column",
                    reason: format!("column {j} is constant on the rows it is fitted on"),
                });
            }
        }
        Ok(Standardizer { mean, sd })
    }

    /// Standardises the rows of `x` with the fitted means and deviations.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` has another number of columns,
    /// [`Error::NonFinite`] for a NaN or infinite entry.
    pub fn apply(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::ShapeMismatch {
                what: "standardised columns",
                expected: self.mean.len().to_string(),
                got: x.ncols().to_string(),
            });
        }
        ensure_finite("table entries", x.as_slice())?;
        let mut out = x.clone();
        for j in 0..x.ncols() {
            out.column_mut(j)
                .apply(|v| *v = (*v - self.mean[j]) / self.sd[j]);
        }
        Ok(out)
    }
}

/// The standardised matrices of one encoding and split.
#[derive(Debug, Clone)]
pub struct Table {
    /// How the variables were encoded.
    pub encoding: Encoding,
    /// Training rows.
    pub train: DMatrix<f64>,
    /// Validation rows.
    pub valid: DMatrix<f64>,
    /// Test rows.
    pub test: DMatrix<f64>,
    /// Column names (`variable` or `variable=level`).
    pub names: Vec<String>,
    /// Columns dropped because they are constant on the training rows.
    pub dropped: Vec<String>,
    /// Explanatory variables used (before encoding).
    pub variables: usize,
    /// Missing numeric values filled with the training median.
    pub imputed: usize,
}

impl Table {
    /// Number of columns.
    pub fn dim(&self) -> usize {
        self.train.ncols()
    }
}

/// Encodes, imputes and standardises the Ames variables for `split`.
///
/// Numeric variables: a missing value becomes the median of the training
/// rows. Categorical variables ([`Encoding::OneHot`]): one 0/1 column per
/// level seen in the training rows, a missing value counting as the level
/// `NA` (in these data it mostly means "none", e.g. no garage); a level seen
/// only outside the training rows gets zeros in every indicator. Columns
/// constant on the training rows are dropped (listed in [`Table::dropped`]);
/// the rest are standardised with the training means and deviations.
///
/// # Errors
/// [`Error::TooFew`] if a part of the split is empty or a numeric variable
/// has no value on the training rows, [`Error::InvalidParameter`] for a row
/// index out of range, [`Error::NonFinite`] for a non-finite value.
pub fn prepare(ames: &Ames, encoding: Encoding, split: &Split) -> Result<Table> {
    ensure_len("training rows", split.train.len(), 1)?;
    ensure_len("validation rows", split.valid.len(), 1)?;
    ensure_len("test rows", split.test.len(), 1)?;
    let n = ames.rows();
    let all = split.train.iter().chain(&split.valid).chain(&split.test);
    if let Some(&bad) = all.clone().find(|&&r| r >= n) {
        return Err(Error::InvalidParameter {
            name: "row index",
            reason: format!("row {bad} is out of range for {n} rows"),
        });
    }
    let mut names = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut imputed = 0;
    let mut variables = 0;
    for (name, column) in ames.names.iter().zip(&ames.columns) {
        match column {
            Column::Numeric(v) => {
                variables += 1;
                let med = median(split.train.iter().filter_map(|&r| v[r]).collect()).ok_or(
                    Error::TooFew {
                        name: "training values of a numeric variable",
                        needed: 1,
                        got: 0,
                    },
                )?;
                imputed += v.iter().filter(|x| x.is_none()).count();
                names.push(name.clone());
                cols.push(v.iter().map(|x| x.unwrap_or(med)).collect());
            }
            Column::Categorical(v) if encoding == Encoding::OneHot => {
                variables += 1;
                let level = |r: usize| v[r].as_deref().unwrap_or("NA");
                let mut levels: Vec<&str> = split.train.iter().map(|&r| level(r)).collect();
                levels.sort_unstable();
                levels.dedup();
                for l in levels {
                    names.push(format!("{name}={l}"));
                    cols.push((0..n).map(|r| f64::from(u8::from(level(r) == l))).collect());
                }
            }
            Column::Categorical(_) => {}
        }
    }
    let constant = |c: &Vec<f64>| {
        let first = c[split.train[0]];
        split.train.iter().all(|&r| c[r] == first)
    };
    let mut dropped = Vec::new();
    let mut kept_names = Vec::new();
    let mut kept = Vec::new();
    for (name, c) in names.into_iter().zip(cols) {
        if constant(&c) {
            dropped.push(name);
        } else {
            kept_names.push(name);
            kept.push(c);
        }
    }
    ensure_len("non-constant columns", kept.len(), 1)?;
    let rows = |idx: &[usize]| DMatrix::from_fn(idx.len(), kept.len(), |i, j| kept[j][idx[i]]);
    let (train, valid, test) = (rows(&split.train), rows(&split.valid), rows(&split.test));
    let st = Standardizer::fit(&train)?;
    Ok(Table {
        encoding,
        train: st.apply(&train)?,
        valid: st.apply(&valid)?,
        test: st.apply(&test)?,
        names: kept_names,
        dropped,
        variables,
        imputed,
    })
}

/// The median of `v` (the mean of the two middle values for an even count);
/// `None` when `v` is empty.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    })
}
