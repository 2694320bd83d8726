//! Every experiment of the chapter "Autoencoders vs PCA": a [`Plan`] (sizes,
//! seeds) and a device in, plain result structs out.
//!
//! `examples/pca_ae.rs` calls these functions, draws their results and records
//! them; `tests/pca_ae.rs` calls each one at [`Plan::quick`] size. Every number,
//! table and verdict the chapter quotes is computed here or deeper in `src/`.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;

use super::autoencoder::{Arch, Autoencoder, Fit, TrainPlan, train};
use super::manifold::{Curve, sample};
use super::pca::{Pca, center, subspace_distance};
use super::table::{Encoding, Standardizer, Table, prepare, split};
use crate::data::ames::{self, Ames};
use crate::error::{Error, Result, ensure_len};
use crate::nn::to_tensor;

pub use crate::run::Table as BookTable;

/// Fractions of the rows held out for validation (early stopping) and test.
pub const VALID_FRACTION: f64 = 0.2;
/// See [`VALID_FRACTION`].
pub const TEST_FRACTION: f64 = 0.2;
/// The largest relative excess of the linear autoencoder's training error over
/// the Eckart–Young optimum that counts as "reaches the optimum".
pub const LINEAR_TOLERANCE: f64 = 0.01;
/// Adam's initial learning rate for the full-batch linear autoencoder.
pub const LINEAR_LR: f64 = 0.1;

/// Sizes and seeds of one run of the chapter's experiments.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    /// Seed of the splits and the curved set; autoencoder seeds are `seed + 1, …`.
    pub seed: u64,
    /// Autoencoder seeds per architecture and code size.
    pub seeds: u64,
    /// Use only the first rows of the Ames table (`None`: all 2930).
    pub rows: Option<usize>,
    /// The non-linear architectures.
    pub archs: Vec<Arch>,
    /// Code sizes of the autoencoder sweeps on the Ames tables.
    pub ks: Vec<usize>,
    /// The code size the notes used, at which the tables compare (30).
    pub k_report: usize,
    /// Epochs, patience, batch and learning rate of the non-linear autoencoders.
    pub train: TrainPlan,
    /// Full-batch epochs of the linear autoencoder.
    pub linear_epochs: usize,
    /// The curved set (its seed is replaced by the plan's).
    pub curve: Curve,
    /// Code sizes compared on the curved set.
    pub curve_ks: Vec<usize>,
}

impl Plan {
    /// The sizes of the committed full run (under 10 minutes on one idle
    /// thread; the one-hot sweep takes most of it).
    pub fn full(seed: u64) -> Plan {
        Plan {
            seed,
            seeds: 5,
            rows: None,
            archs: vec![
                Arch::tanh(&[32]),
                Arch::tanh(&[128]),
                Arch::tanh(&[128, 32]),
            ],
            ks: vec![2, 5, 10, 20, 30],
            k_report: 30,
            train: TrainPlan {
                max_epochs: 120,
                patience: 10,
                batch: 128,
                lr: 3e-3,
                seed,
            },
            linear_epochs: 2000,
            curve: Curve {
                rows: 2000,
                dim: 40,
                harmonics: 3,
                noise: 0.02,
                seed,
            },
            curve_ks: vec![1, 2, 4, 6, 8, 30],
        }
    }

    /// Small sizes that run in seconds in a debug build (`--quick`, CI, tests).
    pub fn quick(seed: u64) -> Plan {
        Plan {
            seed,
            seeds: 3,
            rows: Some(500),
            archs: vec![Arch::tanh(&[16]), Arch::tanh(&[16, 8])],
            ks: vec![2, 10],
            k_report: 10,
            train: TrainPlan {
                max_epochs: 8,
                patience: 3,
                batch: 64,
                lr: 1e-2,
                seed,
            },
            linear_epochs: 300,
            curve: Curve {
                rows: 300,
                dim: 12,
                harmonics: 2,
                noise: 0.02,
                seed,
            },
            curve_ks: vec![1, 4, 10],
        }
    }

    /// [`Plan::quick`] if `quick`, else [`Plan::full`].
    pub fn new(quick: bool, seed: u64) -> Plan {
        if quick {
            Plan::quick(seed)
        } else {
            Plan::full(seed)
        }
    }

    fn check(&self) -> Result<()> {
        ensure_len("seeds", self.seeds as usize, 1)?;
        ensure_len("architectures", self.archs.len(), 1)?;
        ensure_len("code sizes", self.ks.len(), 1)?;
        ensure_len("curved-set code sizes", self.curve_ks.len(), 1)?;
        ensure_len("linear epochs", self.linear_epochs, 1)
    }

    fn train_plan(&self, seed: u64) -> TrainPlan {
        TrainPlan { seed, ..self.train }
    }
}

/// The Ames data after loading and the two encodings.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Rows used.
    pub rows: usize,
    /// Explanatory variables in the file (79).
    pub variables: usize,
    /// Of which numeric.
    pub numeric_variables: usize,
    /// Missing entries among the explanatory variables.
    pub missing: usize,
    /// The numeric-only table.
    pub numeric: Table,
    /// The one-hot table.
    pub onehot: Table,
}

/// Loads the Ames data and prepares both tables on one seeded split.
///
/// # Errors
/// As [`ames::load`] and [`prepare`]; [`Error::TooFew`] if `plan.rows` leaves
/// fewer than 10 rows.
pub fn tables(plan: &Plan) -> Result<Tables> {
    plan.check()?;
    let mut data = ames::load()?;
    if let Some(r) = plan.rows {
        ensure_len("rows", r, 10)?;
        data = first_rows(&data, r);
    }
    let s = split(data.rows(), VALID_FRACTION, TEST_FRACTION, plan.seed)?;
    Ok(Tables {
        rows: data.rows(),
        variables: data.columns.len(),
        numeric_variables: data.numeric_count(),
        missing: data.columns.iter().map(ames::Column::missing).sum(),
        numeric: prepare(&data, Encoding::NumericOnly, &s)?,
        onehot: prepare(&data, Encoding::OneHot, &s)?,
    })
}

fn first_rows(data: &Ames, r: usize) -> Ames {
    let r = r.min(data.rows());
    let columns = data.columns.iter().map(|c| match c {
        ames::Column::Numeric(v) => ames::Column::Numeric(v[..r].to_vec()),
        ames::Column::Categorical(v) => ames::Column::Categorical(v[..r].to_vec()),
    });
    Ames {
        names: data.names.clone(),
        columns: columns.collect(),
        price: data.price[..r].to_vec(),
    }
}

/// PCA's errors for every code size `k = 1, …, rank` of one table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PcaSweep {
    /// Input dimension.
    pub dim: usize,
    /// Rank of the centred training rows.
    pub rank: usize,
    /// Training error (per entry) for `k = 1, …, rank`.
    pub train: Vec<f64>,
    /// Held-out (test) error for `k = 1, …, rank`.
    pub test: Vec<f64>,
    /// The Eckart–Young optimum `Σ_{i>k} σ_i² / (n d)` for `k = 1, …, rank`.
    pub optimum: Vec<f64>,
    /// Cumulative explained variance for `k = 1, …, rank`.
    pub explained: Vec<f64>,
    /// Wall time of the fit (SVD) in seconds.
    pub fit_seconds: f64,
}

impl PcaSweep {
    /// The held-out error at code size `k`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `k` outside `1..=rank`.
    pub fn test_at(&self, k: usize) -> Result<f64> {
        at(&self.test, k)
    }

    /// The training error at code size `k`.
    ///
    /// # Errors
    /// As [`PcaSweep::test_at`].
    pub fn train_at(&self, k: usize) -> Result<f64> {
        at(&self.train, k)
    }
}

fn at(v: &[f64], k: usize) -> Result<f64> {
    k.checked_sub(1)
        .and_then(|i| v.get(i).copied())
        .ok_or_else(|| Error::InvalidParameter {
            name: "k",
            reason: format!("must lie in 1..={}, got {k}", v.len()),
        })
}

/// Fits PCA to `train` and measures its errors on `train` and `test` for
/// every `k`: `‖x̃ − V_k V_kᵀ x̃‖² = ‖x̃‖² − ‖V_kᵀ x̃‖²` for orthonormal `V`.
///
/// # Errors
/// As [`Pca::fit`]; [`Error::ShapeMismatch`] if the column counts differ.
pub fn pca_sweep(train: &DMatrix<f64>, test: &DMatrix<f64>) -> Result<PcaSweep> {
    let t0 = Instant::now();
    let pca = Pca::fit(train)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    if test.ncols() != pca.dim() {
        return Err(Error::ShapeMismatch {
            what: "test columns",
            expected: pca.dim().to_string(),
            got: test.ncols().to_string(),
        });
    }
    let rank = pca.rank();
    let curve = |x: &DMatrix<f64>| {
        let c = center(x, &pca.mean);
        let z = &c * pca.components.columns(0, rank);
        let total = c.norm_squared();
        let mut kept = 0.0;
        let entries = x.len() as f64;
        (0..rank)
            .map(|j| {
                kept += z.column(j).norm_squared();
                ((total - kept) / entries).max(0.0)
            })
            .collect::<Vec<f64>>()
    };
    let optimum = (1..=rank)
        .map(|k| pca.eckart_young(k))
        .collect::<Result<_>>()?;
    Ok(PcaSweep {
        dim: pca.dim(),
        rank,
        train: curve(train),
        test: curve(test),
        optimum,
        explained: pca.explained()[..rank].to_vec(),
        fit_seconds,
    })
}

/// The linear autoencoder against PCA at one code size (Baldi–Hornik).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LinearCheck {
    /// Code size.
    pub k: usize,
    /// The Eckart–Young optimum (training error of PCA).
    pub optimum: f64,
    /// Training error of the trained linear autoencoder.
    pub ae_train: f64,
    /// `(ae_train − optimum) / optimum`.
    pub excess: f64,
    /// Distance between the decoder's column space and the PCA subspace.
    pub subspace: f64,
    /// Relative residual `‖W_dᵀ − V_k A‖ / ‖W_dᵀ‖` with `A = V_kᵀ W_dᵀ`.
    pub residual: f64,
    /// Condition number of the map `A` (finite: `A` is invertible).
    pub cond: f64,
    /// `‖A − I‖ / √k`, how far the decoder's weights are from the PCA basis itself.
    pub from_basis: f64,
    /// The relative spectral gap `(γ_q − γ_{q+1}) / γ_q` that pins the
    /// optimal subspace down (0: many subspaces are optimal).
    pub gap: f64,
    /// The largest subspace distance the measured excess allows:
    /// `√(n d (E_ae − E_q) / (γ_q² − γ_{q+1}²))` (see [`subspace_bound`]).
    pub subspace_bound: f64,
    /// Whether `excess ≤ LINEAR_TOLERANCE`.
    pub reaches_optimum: bool,
    /// Wall time of the training.
    pub seconds: f64,
}

// ANCHOR: linear
/// Trains a linear autoencoder full-batch on `x` and compares it with PCA at
/// code size `k`.
///
/// # Errors
/// As [`Pca::fit`], [`Pca::basis`], [`Autoencoder::new`] and [`train`].
pub fn linear_check(
    x: &DMatrix<f64>,
    k: usize,
    epochs: usize,
    lr: f64,
    seed: u64,
    device: &Device,
) -> Result<LinearCheck> {
    let pca = Pca::fit(x)?;
    let v = pca.basis(k)?;
    let ae = Autoencoder::new(x.ncols(), k, &Arch::linear(), seed, device)?;
    let xt = to_tensor(x, DType::F32, device)?;
    let plan = TrainPlan {
        max_epochs: epochs,
        patience: epochs,
        batch: x.nrows(),
        lr,
        seed,
    };
    let fit = train(&ae, &xt, &xt, &plan)?;
    // ANCHOR: baldi_hornik
    let (_, w_d) = ae.linear_weights()?;
    let w = w_d.transpose(); // d × k: the directions the decoder writes along
    let a = v.transpose() * &w;
    let residual = (&w - &v * &a).norm() / w.norm();
    let q = w.clone().qr().q();
    let sv = a.singular_values();
    let cond = sv.max() / sv.min();
    // ANCHOR_END: baldi_hornik
    let optimum = pca.eckart_young(k)?;
    let excess = (fit.train_mse - optimum) / optimum;
    let entries = (x.nrows() * x.ncols()) as f64;
    Ok(LinearCheck {
        k,
        optimum,
        ae_train: fit.train_mse,
        excess,
        subspace: subspace_distance(&q, &v)?,
        residual,
        cond,
        from_basis: (&a - DMatrix::identity(k, k)).norm() / (k as f64).sqrt(),
        gap: pca.singular.get(k).map_or(1.0, |next| {
            (pca.singular[k - 1] - next) / pca.singular[k - 1]
        }),
        subspace_bound: subspace_bound(&pca.singular, k, entries * (fit.train_mse - optimum)),
        reaches_optimum: excess <= LINEAR_TOLERANCE,
        seconds: fit.seconds,
    })
}
// ANCHOR_END: linear

/// The largest distance between an optimal subspace and the decoder's
/// subspace `S` of a linear code whose squared training error exceeds the
/// Eckart–Young optimum by `excess` (a sum over all entries):
/// `√(excess / (γ_q² − γ_{q+1}²))`, infinite without a gap.
///
/// Why: any affine decoder into `S` errs at least by the projection of the
/// centred rows onto `S`, and with `a_i = v_iᵀ P_S v_i ∈ [0, 1]`, `Σ a_i = q`,
/// the projection keeps `Σ γ_i² a_i ≤ Σ_{i≤q} γ_i² − (γ_q² − γ_{q+1}²)·s`,
/// where `s = q − Σ_{i≤q} a_i = ‖P_S − P_V‖²_F / 2` is the squared distance.
/// A small excess pins the subspace down only where the gap is large.
pub fn subspace_bound(singular: &[f64], q: usize, excess: f64) -> f64 {
    let (Some(a), b) = (
        singular.get(q.wrapping_sub(1)),
        singular.get(q).copied().unwrap_or(0.0),
    ) else {
        return f64::INFINITY;
    };
    let gap = a * a - b * b;
    if gap > 0.0 {
        (excess.max(0.0) / gap).sqrt()
    } else {
        f64::INFINITY
    }
}

/// One trained autoencoder.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AeRun {
    /// Architecture.
    pub arch: Arch,
    /// Code size.
    pub k: usize,
    /// Seed of its weights and minibatches.
    pub seed: u64,
    /// Training record (train and validation errors of the kept weights).
    pub fit: Fit,
    /// Held-out error of the kept weights.
    pub test_mse: f64,
}

/// Mean, smallest and largest of some runs' values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `v` (NaN everywhere for an empty slice).
    pub fn of(v: &[f64]) -> Spread {
        let n = v.len() as f64;
        Spread {
            mean: v.iter().sum::<f64>() / n,
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// "mean [min, max]" with three significant digits.
    pub fn text(&self) -> String {
        format!("{:.3} [{:.3}, {:.3}]", self.mean, self.min, self.max)
    }
}

/// Every autoencoder of a sweep over architectures, code sizes and seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AeSweep {
    /// The runs.
    pub runs: Vec<AeRun>,
}

impl AeSweep {
    /// The runs of `arch` at `k`.
    pub fn at(&self, arch: &Arch, k: usize) -> Vec<&AeRun> {
        self.runs
            .iter()
            .filter(|r| &r.arch == arch && r.k == k)
            .collect()
    }

    /// The spread of `f` over the seeds of `arch` at `k`.
    pub fn spread(&self, arch: &Arch, k: usize, f: impl Fn(&AeRun) -> f64) -> Spread {
        let v: Vec<f64> = self.at(arch, k).into_iter().map(f).collect();
        Spread::of(&v)
    }

    /// The architecture with the lowest mean held-out error at `k`.
    ///
    /// # Errors
    /// [`Error::TooFew`] if no run has code size `k`.
    pub fn best(&self, k: usize) -> Result<Arch> {
        let mut archs: Vec<&Arch> = self
            .runs
            .iter()
            .filter(|r| r.k == k)
            .map(|r| &r.arch)
            .collect();
        archs.dedup();
        let mean = |a: &Arch| self.spread(a, k, |r| r.test_mse).mean;
        archs
            .into_iter()
            .min_by(|a, b| mean(a).total_cmp(&mean(b)))
            .cloned()
            .ok_or(Error::TooFew {
                name: "autoencoder runs at this k",
                needed: 1,
                got: 0,
            })
    }
}

/// Trains every architecture of `plan` at every code size in `ks` for every
/// seed, on the rows of `train`, stopping early on `valid`, and measures the
/// held-out error on `test`. Code sizes not below the dimension are skipped.
///
/// # Errors
/// As [`Autoencoder::new`] and [`train`].
pub fn ae_sweep(
    plan: &Plan,
    (train_x, valid_x, test_x): (&DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>),
    ks: &[usize],
    device: &Device,
) -> Result<AeSweep> {
    plan.check()?;
    let t = |m: &DMatrix<f64>| to_tensor(m, DType::F32, device);
    let (tr, va, te) = (t(train_x)?, t(valid_x)?, t(test_x)?);
    let mut runs = Vec::new();
    for arch in &plan.archs {
        for &k in ks.iter().filter(|&&k| k < train_x.ncols()) {
            for s in 1..=plan.seeds {
                let seed = plan.seed + s;
                let ae = Autoencoder::new(train_x.ncols(), k, arch, seed, device)?;
                let fit = train(&ae, &tr, &va, &plan.train_plan(seed))?;
                let test_mse = ae.mse(&te)?;
                runs.push(AeRun {
                    arch: arch.clone(),
                    k,
                    seed,
                    fit,
                    test_mse,
                });
            }
        }
    }
    Ok(AeSweep { runs })
}

/// PCA against the best autoencoder at one code size.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Code size.
    pub k: usize,
    /// PCA's training error.
    pub pca_train: f64,
    /// PCA's held-out error.
    pub pca_test: f64,
    /// The architecture with the lowest mean held-out error.
    pub best: Arch,
    /// Its training errors over seeds.
    pub ae_train: Spread,
    /// Its held-out errors over seeds.
    pub ae_test: Spread,
    /// Decision rule: PCA's held-out error is below the best architecture's
    /// mean held-out error.
    pub pca_better: bool,
    /// PCA's held-out error is below every seed of every architecture.
    pub pca_better_than_every_run: bool,
}

/// Compares PCA with the autoencoders at code size `k`.
///
/// # Errors
/// As [`AeSweep::best`] and [`PcaSweep::test_at`].
pub fn compare(pca: &PcaSweep, ae: &AeSweep, k: usize) -> Result<Comparison> {
    let best = ae.best(k)?;
    let pca_test = pca.test_at(k)?;
    let ae_test = ae.spread(&best, k, |r| r.test_mse);
    let every = ae
        .runs
        .iter()
        .filter(|r| r.k == k)
        .all(|r| pca_test < r.test_mse);
    Ok(Comparison {
        k,
        pca_train: pca.train_at(k)?,
        pca_test,
        ae_train: ae.spread(&best, k, |r| r.fit.train_mse),
        ae_test,
        pca_better: pca_test < ae_test.mean,
        pca_better_than_every_run: every,
        best,
    })
}

/// Everything measured on one Ames table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableResult {
    /// Which table.
    pub encoding: Encoding,
    /// PCA at every `k`.
    pub pca: PcaSweep,
    /// The linear autoencoder at the report size.
    pub linear: LinearCheck,
    /// The non-linear autoencoders.
    pub ae: AeSweep,
    /// PCA against the best autoencoder at the report size.
    pub at_report: Comparison,
    /// PCA against the best autoencoder at every code size of the sweep.
    pub by_k: Vec<Comparison>,
}

impl TableResult {
    /// The code sizes at which PCA (`true`) or the autoencoder (`false`)
    /// has the lower held-out error, as "2, 5" (or "none").
    pub fn winners(&self, pca: bool) -> String {
        let ks: Vec<String> = self
            .by_k
            .iter()
            .filter(|c| c.pca_better == pca)
            .map(|c| c.k.to_string())
            .collect();
        if ks.is_empty() {
            "none".into()
        } else {
            ks.join(", ")
        }
    }
}

/// PCA, the linear autoencoder and the non-linear sweep on `table`.
///
/// # Errors
/// As [`pca_sweep`], [`linear_check`], [`ae_sweep`] and [`compare`].
pub fn on_table(plan: &Plan, table: &Table, device: &Device) -> Result<TableResult> {
    let pca = pca_sweep(&table.train, &table.test)?;
    let k = plan.k_report;
    let linear = linear_check(
        &table.train,
        k,
        plan.linear_epochs,
        LINEAR_LR,
        plan.seed,
        device,
    )?;
    let parts = (&table.train, &table.valid, &table.test);
    let ae = ae_sweep(plan, parts, &plan.ks, device)?;
    let at_report = compare(&pca, &ae, k)?;
    let by_k = plan
        .ks
        .iter()
        .filter(|&&k| k < table.dim())
        .map(|&k| compare(&pca, &ae, k))
        .collect::<Result<Vec<_>>>()?;
    Ok(TableResult {
        encoding: table.encoding,
        pca,
        linear,
        ae,
        at_report,
        by_k,
    })
}

/// The curved set: PCA and the autoencoders at the plan's code sizes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurvedResult {
    /// The set's parameters.
    pub curve: Curve,
    /// PCA at every `k`.
    pub pca: PcaSweep,
    /// The autoencoders.
    pub ae: AeSweep,
    /// PCA against the best autoencoder at each of the plan's code sizes.
    pub rows: Vec<Comparison>,
    /// Whether the best autoencoder beats PCA at a code size below the span.
    pub ae_wins_below_span: bool,
    /// Whether PCA beats the best autoencoder's mean at every code size
    /// above the span.
    pub pca_wins_beyond_span: bool,
}

/// Samples the curved set, splits it like the Ames rows, standardises it on
/// its training rows and compares PCA with the autoencoders.
///
/// # Errors
/// As [`sample`], [`Standardizer::fit`], [`pca_sweep`], [`ae_sweep`] and [`compare`].
pub fn curved(plan: &Plan, device: &Device) -> Result<CurvedResult> {
    plan.check()?;
    let curve = Curve {
        seed: plan.seed,
        ..plan.curve
    };
    let (x, _) = sample(&curve)?;
    let s = split(x.nrows(), VALID_FRACTION, TEST_FRACTION, plan.seed)?;
    let st = Standardizer::fit(&x.select_rows(&s.train))?;
    let part = |rows: &[usize]| st.apply(&x.select_rows(rows));
    let (tr, va, te) = (part(&s.train)?, part(&s.valid)?, part(&s.test)?);
    let pca = pca_sweep(&tr, &te)?;
    let ae = ae_sweep(plan, (&tr, &va, &te), &plan.curve_ks, device)?;
    let rows = plan
        .curve_ks
        .iter()
        .filter(|&&k| k < curve.dim)
        .map(|&k| compare(&pca, &ae, k))
        .collect::<Result<Vec<_>>>()?;
    let ae_wins_below_span = rows.iter().any(|c| c.k < curve.span() && !c.pca_better);
    let pca_wins_beyond_span = rows
        .iter()
        .filter(|c| c.k > curve.span())
        .all(|c| c.pca_better);
    Ok(CurvedResult {
        curve,
        pca,
        ae,
        rows,
        ae_wins_below_span,
        pca_wins_beyond_span,
    })
}

/// The error of every method at the report size as the book shows it.
pub fn report_table(
    numeric: &TableResult,
    onehot: &TableResult,
    curved: &CurvedResult,
    k: usize,
) -> BookTable {
    let mut rows = Vec::new();
    let named = [
        ("numeric only", &numeric.at_report),
        ("one-hot", &onehot.at_report),
    ];
    let curved_row = curved.rows.iter().find(|c| c.k == k).or(curved.rows.last());
    let all = named
        .into_iter()
        .chain(curved_row.map(|c| ("curved set", c)));
    for (name, c) in all {
        rows.push(vec![
            name.into(),
            c.k.to_string(),
            "PCA".into(),
            format!("{:.3}", c.pca_train),
            format!("{:.3}", c.pca_test),
        ]);
        rows.push(vec![
            name.into(),
            c.k.to_string(),
            format!("best AE ({})", c.best.name()),
            c.ae_train.text(),
            c.ae_test.text(),
        ]);
    }
    BookTable {
        header: vec!["data", "q", "method", "train error", "held-out error"],
        rows,
    }
}

/// Every architecture at every code size on one table: held-out error over
/// seeds, epochs to the best validation error and training time.
pub fn sweep_table(pca: &PcaSweep, ae: &AeSweep) -> BookTable {
    let mut rows = Vec::new();
    let mut keys: Vec<(Arch, usize)> = ae.runs.iter().map(|r| (r.arch.clone(), r.k)).collect();
    keys.dedup();
    for (arch, k) in keys {
        let pca_test = pca.test_at(k).map_or("—".into(), |v| format!("{v:.3}"));
        rows.push(vec![
            arch.name(),
            k.to_string(),
            pca_test,
            ae.spread(&arch, k, |r| r.test_mse).text(),
            format!(
                "{:.0}",
                ae.spread(&arch, k, |r| r.fit.best_epoch as f64).mean
            ),
            format!("{:.2}", ae.spread(&arch, k, |r| r.fit.seconds).mean),
        ]);
    }
    BookTable {
        header: vec![
            "autoencoder",
            "q",
            "PCA held-out",
            "AE held-out, mean [min, max]",
            "best epoch (mean)",
            "training time (s, mean)",
        ],
        rows,
    }
}

/// Used by tests: a tensor of `x` on `device`.
///
/// # Errors
/// As [`to_tensor`].
pub fn tensor(x: &DMatrix<f64>, device: &Device) -> Result<Tensor> {
    to_tensor(x, DType::F32, device)
}

/// Wall times of [`Pca::fit`] on one matrix: the Performance appendix's
/// scaling sweep against scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FitTiming {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Fastest fit, seconds.
    pub best_s: f64,
    /// Median fit, seconds.
    pub median_s: f64,
    /// Fits timed (after one untimed warm-up fit).
    pub reps: usize,
    /// Whether the fit used the SVD (not the covariance fallback).
    pub by_svd: bool,
}

/// Times [`Pca::fit`] on a `rows × cols` matrix of standard normal entries
/// (drawn from `seed`; full rank, so the SVD path is taken): one warm-up fit,
/// then `reps` timed fits. The time of an SVD depends on the shape, not on the
/// entries, which is what lets a peer time its own matrix of the same shape.
///
/// # Errors
/// [`Error::TooFew`] for `reps = 0`, and as [`Pca::fit`] (fewer than 2 rows or
/// no column).
pub fn fit_timing(rows: usize, cols: usize, reps: usize, seed: u64) -> Result<FitTiming> {
    use rand::{Rng, SeedableRng};
    ensure_len("timed fits", reps, 1)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(rows, cols, |_, _| {
        rng.sample::<f64, _>(rand_distr::StandardNormal)
    });
    let warm = Pca::fit(&x)?;
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let pca = Pca::fit(&x);
            std::hint::black_box(pca).map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<Result<_>>()?;
    times.sort_by(f64::total_cmp);
    Ok(FitTiming {
        rows,
        cols,
        best_s: times[0],
        median_s: times[times.len() / 2],
        reps,
        by_svd: warm.via == super::pca::Decomposition::Svd,
    })
}
