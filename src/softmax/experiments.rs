//! Every experiment of the chapter "Softmax weight imbalance and normalization":
//! a [`Plan`] (sizes, seeds) and a device in, plain result structs out.
//!
//! `examples/softmax.rs` calls these functions, draws their results and records
//! them; `tests/softmax.rs` calls each one at [`Plan::quick`] size and checks a
//! property of its result. Every number, table and verdict the chapter quotes is
//! computed here or deeper in `src/`; the `table` methods write the rows exactly
//! as the book shows them.

use candle_core::{DType, Device};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::bias::{entropy, min_loss_bounded_logits};
use super::blur::gaussian_blur;
use super::imbalance::{geometric_sizes, spearman, subset};
use super::normface::{loss_lower_bound, min_scale};
use super::train::Head;
use super::twoclass::{descend, gradient, notes_gradient};
use crate::data::digits::{self, Split};
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::nn::feature::{feature_matrix, weight_matrix};
use crate::nn::metrics::{Similarity, auc, pair_scores, roc, tar_at_far};
use crate::nn::train::{accuracy, class_accuracy, train, train_with_optimizer};
use crate::nn::{Data, FeatureNet, Head as _, Opt, TrainConfig, scalar, to_tensor};

/// Width of the hidden layer of every feature network.
pub const HIDDEN: usize = 64;
/// Minibatch size.
pub const BATCH: usize = 32;
/// Adam's learning rate.
pub const LR: f64 = 0.01;
/// The learning rate of SGD with momentum in the imbalance experiment.
pub const SGD_LR: f64 = 0.05;
/// Feature dimension of the networks that are not drawn in 2-D or 3-D.
pub const DIM: usize = 16;
/// The NormFace scale in the imbalance experiment.
pub const NORMFACE_S: f64 = 10.0;
/// The target mean loss ℓ* of the NormFace scale experiment.
pub const EPS_TARGET: f64 = 0.05;
/// The digits' classes.
pub const CLASSES: usize = 10;
/// Pixels of a digit image (8 × 8).
const INPUTS: usize = 64;
/// Class sizes of the imbalanced subsets: geometric from this to [`LARGEST`].
const SMALLEST: usize = 14;
/// See [`SMALLEST`].
const LARGEST: usize = 140;

pub use crate::run::Table;

/// Sizes and seeds of one run of the chapter's experiments.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The run's seed: the train/test split, minibatch orders, class-size shuffles.
    pub seed: u64,
    /// Training epochs of the bias, radial, NormFace-scale and blur experiments.
    pub epochs: usize,
    /// Training epochs of the imbalance experiment.
    pub imb_epochs: usize,
    /// Seeds (networks) per configuration in the imbalance, bias and radial experiments.
    pub seeds: u64,
    /// Use only the first rows of the training split (`None`: all of it).
    pub train_rows: Option<usize>,
    /// The imbalanced class sizes are divided by this (at least 1 example per class).
    pub imb_divisor: usize,
    /// The NormFace scales `s` trained in [`normface_scale`].
    pub scales: Vec<f64>,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64) -> Plan {
        Plan {
            seed,
            epochs: 40,
            imb_epochs: 60,
            seeds: 5,
            train_rows: None,
            imb_divisor: 1,
            scales: vec![0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0],
        }
    }

    /// Small sizes that run in seconds in a debug build (`--quick`, CI, tests).
    pub fn quick(seed: u64) -> Plan {
        Plan {
            seed,
            epochs: 2,
            imb_epochs: 2,
            seeds: 3,
            train_rows: Some(300),
            imb_divisor: 10,
            scales: vec![1.0, 8.0],
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
        ensure_len("epochs", self.epochs, 1)?;
        ensure_len("imbalance epochs", self.imb_epochs, 1)?;
        ensure_len("seeds", self.seeds as usize, 1)?;
        ensure_len("imbalance size divisor", self.imb_divisor, 1)?;
        ensure_finite("scales", &self.scales)
    }

    fn config(&self, epochs: usize, seed: u64) -> TrainConfig {
        TrainConfig {
            epochs,
            batch: BATCH,
            lr: LR,
            seed,
        }
    }
}

/// The digits split by the run's seed, as matrices and as tensors on the device.
#[derive(Debug, Clone)]
pub struct Digits {
    /// The split (training rows cut to [`Plan::train_rows`]).
    pub split: Split,
    /// The training set on the device.
    pub train: Data,
    /// The test set on the device.
    pub test: Data,
}

impl Digits {
    /// Splits the digits 80/20 with the plan's seed and moves both parts to `device`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for `train_rows = Some(0)`, [`Error::ShapeMismatch`] for
    /// more training rows than the split has; the loader's and [`Data::new`]'s.
    pub fn load(plan: &Plan, device: &Device) -> Result<Digits> {
        let mut split = digits::split(0.2, plan.seed)?;
        if let Some(n) = plan.train_rows {
            ensure_len("training rows", n, 1)?;
            if n > split.train_x.nrows() {
                return Err(Error::ShapeMismatch {
                    what: "training rows of the digits",
                    expected: format!("at most {}", split.train_x.nrows()),
                    got: n.to_string(),
                });
            }
            let rows: Vec<usize> = (0..n).collect();
            split.train_x = split.train_x.select_rows(&rows);
            split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
        }
        let train = Data::new(&split.train_x, &split.train_y, DType::F32, device)?;
        let test = Data::new(&split.test_x, &split.test_y, DType::F32, device)?;
        Ok(Digits { split, train, test })
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

// ANCHOR: seed_stats
/// One quantity measured once per seed: the values, their mean, sample
/// standard deviation and standard error of the mean.
///
/// The chapter's decision rule for every empirical claim: a mean differs from
/// a reference value `x` when it lies more than two standard errors from it
/// ([`SeedStats::above`], [`SeedStats::below`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedStats {
    /// One value per seed.
    pub values: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (divisor n − 1).
    pub sd: f64,
    /// The standard error of the mean, `sd/√n`.
    pub se: f64,
}

impl SeedStats {
    /// The statistics of `values`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 values (no spread);
    /// [`Error::NonFinite`] for a non-finite value.
    pub fn new(values: Vec<f64>) -> Result<SeedStats> {
        ensure_len("seeds", values.len(), 2)?;
        ensure_finite("values over seeds", &values)?;
        let n = values.len() as f64;
        let m = mean(&values);
        let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Ok(SeedStats {
            mean: m,
            sd,
            se: sd / n.sqrt(),
            values,
        })
    }

    /// The mean lies more than two standard errors above `x`.
    pub fn above(&self, x: f64) -> bool {
        self.mean - 2.0 * self.se > x
    }

    /// The mean lies more than two standard errors below `x`.
    pub fn below(&self, x: f64) -> bool {
        self.mean + 2.0 * self.se < x
    }

    /// "mean ± sd" with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        format!("{:.*} ± {:.*}", digits, self.mean, digits, self.sd)
    }
}
// ANCHOR_END: seed_stats

/// Paired differences `a[s] − b[s]` over seeds.
fn paired(a: &[f64], b: &[f64]) -> Result<SeedStats> {
    SeedStats::new(a.iter().zip(b).map(|(x, y)| x - y).collect())
}

// ---------------------------------------------------------------------------
// Item 1: the notes' two-class problem
// ---------------------------------------------------------------------------

/// The notes' two-class problem with m = 100, n = 1, and gradient descent on it.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoClass {
    /// The exact gradient `(∂L/∂w₁, ∂L/∂w₂)` at `w = 0`.
    pub gradient: (f64, f64),
    /// The notes' gradient `(m(m − 1), n(n − 1))`.
    pub notes_gradient: (f64, f64),
    /// Every iterate `(w₁, w₂)` of 300 steps of size 0.01 from (0.3, −0.5).
    pub path: Vec<(f64, f64)>,
    /// `|(w₁ + w₂)_final − (w₁ + w₂)_start|`.
    pub sum_drift: f64,
}

impl TwoClass {
    /// The last iterate.
    pub fn last(&self) -> (f64, f64) {
        self.path[self.path.len() - 1]
    }
}

/// The exact and the notes' gradients at 0, and the descent the chapter draws.
///
/// # Errors
/// None in practice: the inputs are fixed; an internal failure is passed on.
pub fn two_class() -> Result<TwoClass> {
    let (m, n) = (100.0, 1.0);
    let w0 = (0.3, -0.5);
    let path = descend(m, n, w0, 0.01, 300)?;
    let last = path[path.len() - 1];
    Ok(TwoClass {
        gradient: gradient(m, n, 0.0, 0.0)?,
        notes_gradient: notes_gradient(m, n),
        sum_drift: ((last.0 + last.1) - (w0.0 + w0.1)).abs(),
        path,
    })
}

// ---------------------------------------------------------------------------
// Item 2: weight norms and class sizes
// ---------------------------------------------------------------------------

/// The heads compared on imbalanced data, in table order.
pub const IMBALANCE_HEADS: [Head; 3] = [
    Head::Softmax { bias: false },
    Head::WeightNorm,
    Head::NormFace { scale: NORMFACE_S },
];

/// The optimizers compared on imbalanced data, in table order.
pub const IMBALANCE_OPTS: [Opt; 2] = [Opt::Adam, Opt::Sgd { momentum: 0.9 }];

/// A short key for a head of [`IMBALANCE_HEADS`] (`softmax`, `wn`, `normface`).
pub fn head_key(head: &Head) -> &'static str {
    match head {
        Head::Softmax { .. } => "softmax",
        Head::WeightNorm => "wn",
        Head::NormFace { .. } => "normface",
    }
}

/// A short key for an optimizer (`adam`, `sgd`).
pub fn opt_key(opt: Opt) -> &'static str {
    match opt {
        Opt::Adam => "adam",
        Opt::Sgd { .. } => "sgd",
    }
}

/// The optimizer's name in tables and legends.
pub fn opt_name(opt: Opt) -> &'static str {
    match opt {
        Opt::Adam => "Adam",
        Opt::Sgd { .. } => "SGD + momentum",
    }
}

/// Test accuracy of one head and optimizer on imbalanced data, mean over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct ImbalanceRow {
    /// The head.
    pub head: Head,
    /// The optimizer.
    pub opt: Opt,
    /// Accuracy on the (balanced) test split.
    pub accuracy: f64,
    /// Mean test accuracy of the three classes with the fewest training examples.
    pub rare_accuracy: f64,
    /// [`ImbalanceRow::rare_accuracy`] of each seed.
    pub rare_each: Vec<f64>,
    /// The prior the network learned, per seed: Spearman's ρ between the class
    /// sizes `N_j` and the mean predicted probability of class `j` over the
    /// balanced test split (0: no preference for large classes).
    pub prior_rho_each: Vec<f64>,
}

/// How the softmax head's weight norms follow the class sizes under one optimizer.
#[derive(Debug, Clone, PartialEq)]
pub struct RankCorrelation {
    /// The optimizer.
    pub opt: Opt,
    /// `curves[seed][e]`: Spearman's ρ between ‖w_j‖ and n_j after epoch `e + 1`.
    pub curves: Vec<Vec<f64>>,
}

impl RankCorrelation {
    /// ρ after the last epoch, one per seed.
    pub fn last(&self) -> Vec<f64> {
        self.curves
            .iter()
            .filter_map(|c| c.last().copied())
            .collect()
    }

    /// The mean of [`RankCorrelation::last`].
    pub fn mean_last(&self) -> f64 {
        mean(&self.last())
    }
}

/// `(n_j, ‖w_j‖)` for each class `j`.
pub type Norms = Vec<(f64, f64)>;

/// Everything the imbalance experiment measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Imbalance {
    /// The class sizes before shuffling (smallest first).
    pub sizes: Vec<usize>,
    /// Mean accuracies, optimizers outer, heads inner ([`IMBALANCE_OPTS`] × [`IMBALANCE_HEADS`]).
    pub rows: Vec<ImbalanceRow>,
    /// The softmax head's rank correlations, one entry per optimizer.
    pub rho: Vec<RankCorrelation>,
    /// `(n_j, ‖w_j‖)` after the first epoch (softmax, SGD, first seed).
    pub early_norms: Vec<(f64, f64)>,
    /// `(n_j, ‖w_j‖)` after the last epoch (softmax, SGD, first seed).
    pub final_norms: Vec<(f64, f64)>,
    /// `(n_j, ‖w_j‖)` after the first and after the last epoch, sorted by
    /// `n_j`, one pair of lists per seed (softmax, SGD).
    pub norms_each: Vec<(Norms, Norms)>,
}

impl Imbalance {
    /// The accuracy table.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "head",
                "optimizer",
                "balanced test accuracy",
                "accuracy on the 3 rarest training classes",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.head.name(),
                        opt_name(r.opt).into(),
                        format!("{:.3}", r.accuracy),
                        format!("{:.3}", r.rare_accuracy),
                    ]
                })
                .collect(),
        }
    }

    /// The row of `head` under `opt`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the experiment did not train that pair.
    pub fn row(&self, head: Head, opt: Opt) -> Result<&ImbalanceRow> {
        self.rows
            .iter()
            .find(|r| r.head == head && r.opt == opt)
            .ok_or_else(|| Error::InvalidParameter {
                name: "head and optimizer",
                reason: format!("{} with {} was not trained", head.name(), opt_name(opt)),
            })
    }

    /// ρ between ‖w_j‖ and `N_j` after the last epoch under `opt`, over seeds
    /// (the decision for "larger classes get larger norms": above 0 by more
    /// than two standard errors).
    ///
    /// # Errors
    /// As [`Imbalance::rho_for`]; [`Error::TooFew`] for fewer than 2 seeds.
    pub fn norm_rho(&self, opt: Opt) -> Result<SeedStats> {
        SeedStats::new(self.rho_for(opt)?.last())
    }

    /// What weight normalization changes under `opt`, paired over seeds.
    ///
    /// # Errors
    /// As [`Imbalance::row`]; [`Error::TooFew`] for fewer than 2 seeds.
    pub fn weight_norm_effect(&self, opt: Opt) -> Result<WeightNormEffect> {
        let plain = self.row(Head::Softmax { bias: false }, opt)?;
        let wn = self.row(Head::WeightNorm, opt)?;
        Ok(WeightNormEffect {
            opt,
            prior_plain: SeedStats::new(plain.prior_rho_each.clone())?,
            prior_wn: SeedStats::new(wn.prior_rho_each.clone())?,
            prior_drop: paired(&plain.prior_rho_each, &wn.prior_rho_each)?,
            rare_gain: paired(&wn.rare_each, &plain.rare_each)?,
        })
    }

    /// The table of [`Imbalance::weight_norm_effect`] under both optimizers.
    ///
    /// # Errors
    /// As [`Imbalance::weight_norm_effect`].
    pub fn weight_norm_table(&self) -> Result<Table> {
        let mut rows = Vec::new();
        for opt in IMBALANCE_OPTS {
            let e = self.weight_norm_effect(opt)?;
            rows.push(vec![
                opt_name(opt).into(),
                e.prior_plain.show(2),
                e.prior_wn.show(2),
                e.prior_drop.show(2),
                e.rare_gain.show(3),
                e.verdict().into(),
            ]);
        }
        Ok(Table {
            header: vec![
                "optimizer",
                "prior ρ, softmax",
                "prior ρ, weight-normalized",
                "drop of ρ (paired)",
                "rare-class accuracy gain (paired)",
                "decision",
            ],
            rows,
        })
    }

    /// The rank correlations under `opt`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the experiment did not train with `opt`.
    pub fn rho_for(&self, opt: Opt) -> Result<&RankCorrelation> {
        self.rho
            .iter()
            .find(|r| r.opt == opt)
            .ok_or_else(|| Error::InvalidParameter {
                name: "optimizer",
                reason: format!("{} was not part of the experiment", opt_name(opt)),
            })
    }
}

/// The mean softmax probability of each class over the inputs of `data`.
///
/// # Errors
/// [`Error::Candle`] if the data do not fit the network; the head's validation error.
pub fn mean_probabilities(net: &FeatureNet, data: &Data, head: &Head) -> Result<Vec<f64>> {
    let z = net.logits(&data.x, Some(&data.y), head, 0.0)?;
    let p = candle_nn::ops::softmax(&z, 1)?
        .mean(0)?
        .to_dtype(DType::F64)?;
    Ok(p.to_vec1()?)
}

/// Weight normalization against the plain softmax head on imbalanced data,
/// one optimizer, paired over seeds (same class sizes, data order and
/// initialisation for both heads).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightNormEffect {
    /// The optimizer.
    pub opt: Opt,
    /// The learned prior ([`ImbalanceRow::prior_rho_each`]) of the plain head.
    pub prior_plain: SeedStats,
    /// The same for the weight-normalized head.
    pub prior_wn: SeedStats,
    /// Plain minus weight-normalized prior ρ, per seed.
    pub prior_drop: SeedStats,
    /// Weight-normalized minus plain rare-class accuracy, per seed.
    pub rare_gain: SeedStats,
}

impl WeightNormEffect {
    /// The decision rule: normalization reduces the prior when the paired drop
    /// of ρ lies more than two standard errors above 0.
    pub fn reduces_prior(&self) -> bool {
        self.prior_drop.above(0.0)
    }

    /// The decision in words, for the table.
    pub fn verdict(&self) -> &'static str {
        if self.reduces_prior() {
            "reduces the prior"
        } else {
            "no reduction beyond 2 SE"
        }
    }
}

/// One network of the imbalance experiment: its accuracies and, for the softmax
/// head, ρ after every epoch and the `(n_j, ‖w_j‖)` pairs after the first and last.
struct ImbalanceNet {
    accuracy: f64,
    rare_accuracy: f64,
    prior_rho: f64,
    rho: Vec<f64>,
    early: Vec<(f64, f64)>,
    last: Vec<(f64, f64)>,
}

fn imbalance_net(
    plan: &Plan,
    s: u64,
    (head, opt): (Head, Opt),
    (train_set, test): (&Data, &Data),
    sizes: &[usize],
    device: &Device,
) -> Result<ImbalanceNet> {
    let net = FeatureNet::new(INPUTS, HIDDEN, DIM, CLASSES, 500 + s, device)?;
    let nj: Vec<f64> = sizes.iter().map(|&v| v as f64).collect();
    let is_softmax = head == (Head::Softmax { bias: false });
    let lr = match opt {
        Opt::Adam => LR,
        Opt::Sgd { .. } => SGD_LR,
    };
    let (mut rho, mut early, mut last) = (Vec::new(), Vec::new(), Vec::new());
    let cfg = TrainConfig {
        lr,
        ..plan.config(plan.imb_epochs, plan.seed + s)
    };
    train_with_optimizer(&net, &head, train_set, test, &cfg, opt, |e, net| {
        if is_softmax {
            let w = weight_matrix(net)?;
            let norms: Vec<f64> = (0..CLASSES).map(|j| w.row(j).norm()).collect();
            rho.push(spearman(&norms, &nj)?);
            let pts: Vec<(f64, f64)> = nj.iter().copied().zip(norms).collect();
            if e == 1 {
                early = pts.clone();
            }
            if e == plan.imb_epochs {
                last = pts;
            }
        }
        Ok(())
    })?;
    let ca = class_accuracy(&net, test, &head)?;
    let mut rare: Vec<usize> = (0..CLASSES).collect();
    rare.sort_by_key(|&j| sizes[j]);
    let rare = &rare[..3];
    Ok(ImbalanceNet {
        prior_rho: spearman(&mean_probabilities(&net, test, &head)?, &nj)?,
        accuracy: accuracy(&net, test, &head)?,
        rare_accuracy: rare.iter().map(|&j| ca[j]).sum::<f64>() / rare.len() as f64,
        rho,
        early,
        last,
    })
}

/// The class sizes of seed `s`: `base` divided by the plan's divisor, in an
/// order shuffled by the seed, reshuffled (same generator) until every class
/// of `labels` has enough examples for its size.
fn seed_sizes(plan: &Plan, s: u64, base: &[usize], labels: &[usize]) -> Result<Vec<usize>> {
    let have: Vec<usize> = (0..base.len())
        .map(|c| labels.iter().filter(|&&y| y == c).count())
        .collect();
    let mut rng = StdRng::seed_from_u64(plan.seed + 77 + s);
    let mut sizes = base.to_vec();
    for _ in 0..1000 {
        sizes.shuffle(&mut rng);
        let scaled: Vec<usize> = sizes
            .iter()
            .map(|&v| (v / plan.imb_divisor).max(1))
            .collect();
        if scaled.iter().zip(&have).all(|(n, h)| n <= h) {
            return Ok(scaled);
        }
    }
    Err(Error::Data(format!(
        "no order of the class sizes {base:?} fits the training split's classes {have:?}"
    )))
}

/// Trains each head of [`IMBALANCE_HEADS`] with each optimizer of
/// [`IMBALANCE_OPTS`] on training subsets whose class sizes run geometrically
/// from 14 to 140 (assigned to the digits in a shuffled order per seed), and
/// follows the softmax head's weight norms.
///
/// # Errors
/// [`Error::TooFew`] for a plan with no epoch or seed; [`Error::Data`] if a class
/// of the split has fewer examples than its size; training errors.
pub fn imbalance(plan: &Plan, data: &Digits, device: &Device) -> Result<Imbalance> {
    plan.check()?;
    let base = geometric_sizes(CLASSES, SMALLEST, LARGEST)?;
    let mut nets: Vec<(Head, Opt, ImbalanceNet)> = Vec::new();
    let mut early_norms = Vec::new();
    let mut final_norms = Vec::new();
    let mut norms_each = Vec::new();
    for s in 0..plan.seeds {
        let sizes = seed_sizes(plan, s, &base, &data.split.train_y)?;
        let (x, y) = subset(&data.split.train_x, &data.split.train_y, &sizes)?;
        let trd = Data::new(&x, &y, DType::F32, device)?;
        for (head, opt) in IMBALANCE_HEADS
            .iter()
            .flat_map(|h| IMBALANCE_OPTS.iter().map(move |o| (*h, *o)))
        {
            let r = imbalance_net(plan, s, (head, opt), (&trd, &data.test), &sizes, device)?;
            if head == (Head::Softmax { bias: false }) && opt != Opt::Adam {
                if s == 0 {
                    early_norms = r.early.clone();
                    final_norms = r.last.clone();
                }
                let by_size = |v: &[(f64, f64)]| {
                    let mut v = v.to_vec();
                    v.sort_by(|a, b| a.0.total_cmp(&b.0));
                    v
                };
                norms_each.push((by_size(&r.early), by_size(&r.last)));
            }
            nets.push((head, opt, r));
        }
    }
    let mut rows = Vec::new();
    for opt in IMBALANCE_OPTS {
        for head in IMBALANCE_HEADS {
            let v: Vec<&ImbalanceNet> = nets
                .iter()
                .filter(|a| a.0 == head && a.1 == opt)
                .map(|a| &a.2)
                .collect();
            let k = v.len() as f64;
            rows.push(ImbalanceRow {
                head,
                opt,
                accuracy: v.iter().map(|a| a.accuracy).sum::<f64>() / k,
                rare_accuracy: v.iter().map(|a| a.rare_accuracy).sum::<f64>() / k,
                rare_each: v.iter().map(|a| a.rare_accuracy).collect(),
                prior_rho_each: v.iter().map(|a| a.prior_rho).collect(),
            });
        }
    }
    let rho = IMBALANCE_OPTS
        .iter()
        .map(|&opt| RankCorrelation {
            opt,
            curves: nets
                .iter()
                .filter(|a| a.1 == opt && !a.2.rho.is_empty())
                .map(|a| a.2.rho.clone())
                .collect(),
        })
        .collect();
    Ok(Imbalance {
        sizes: base,
        rows,
        rho,
        early_norms,
        final_norms,
        norms_each,
    })
}

// ---------------------------------------------------------------------------
// Item 3: biases
// ---------------------------------------------------------------------------

/// The accuracy difference (absolute, on the test split) below which a head
/// bias counts as useless, see [`Biases::useless`].
pub const BIAS_EQUIVALENCE: f64 = 0.02;

/// Test accuracies of one head over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct BiasRow {
    /// The head.
    pub head: Head,
    /// Test accuracy of each seed.
    pub accuracies: Vec<f64>,
}

impl BiasRow {
    /// The mean over seeds.
    pub fn mean(&self) -> f64 {
        mean(&self.accuracies)
    }
}

/// The least loss of an uninformative prediction with bounded logits, at one scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundedRow {
    /// The logit bound `s`.
    pub scale: f64,
    /// The least loss with logits in `[−s, s]` and no bias.
    pub least_loss: f64,
    /// With a bias: the entropy `H(p)` of the prior.
    pub entropy: f64,
}

/// Softmax with and without head bias on the digits, and the bounded-logit computation.
#[derive(Debug, Clone, PartialEq)]
pub struct Biases {
    /// Without bias, then with.
    pub rows: Vec<BiasRow>,
    /// Median wall time of one training epoch (seconds).
    pub epoch_seconds: f64,
    /// The least loss for the imbalanced prior of [`imbalance`] at s = 0.5 … 4.
    pub bounded: Vec<BoundedRow>,
}

impl Biases {
    /// Mean accuracy with bias minus mean accuracy without.
    pub fn difference(&self) -> f64 {
        self.rows[1].mean() - self.rows[0].mean()
    }

    /// The accuracy gained by the bias, paired over seeds (the same
    /// initialisation and data order with and without it).
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 seeds.
    pub fn gain(&self) -> Result<SeedStats> {
        paired(&self.rows[1].accuracies, &self.rows[0].accuracies)
    }

    /// The decision rule for "biases are useless": the bias's paired gain,
    /// with two standard errors either side, lies within
    /// ±[`BIAS_EQUIVALENCE`] of 0.
    ///
    /// # Errors
    /// As [`Biases::gain`].
    pub fn useless(&self) -> Result<bool> {
        let g = self.gain()?;
        Ok(g.mean.abs() + 2.0 * g.se < BIAS_EQUIVALENCE)
    }

    /// The accuracy table.
    pub fn table(&self) -> Table {
        Table {
            header: vec!["head (d = 16)", "test accuracy per seed", "mean"],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.head.name(),
                        r.accuracies
                            .iter()
                            .map(|a| format!("{a:.3}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        format!("{:.3}", r.mean()),
                    ]
                })
                .collect(),
        }
    }

    /// The bounded-logit table.
    pub fn bounded_table(&self) -> Table {
        Table {
            header: vec![
                "scale s",
                "least loss, logits in [−s, s], no bias",
                "with a bias: H(p)",
                "excess",
            ],
            rows: self
                .bounded
                .iter()
                .map(|r| {
                    vec![
                        format!("{}", r.scale),
                        format!("{:.4}", r.least_loss),
                        format!("{:.4}", r.entropy),
                        format!("{:.4}", (r.least_loss - r.entropy).max(0.0)),
                    ]
                })
                .collect(),
        }
    }
}

/// Trains softmax with and without head bias (d = 16) over the plan's seeds; and
/// the least loss of bounded logits on the imbalanced prior of [`imbalance`].
///
/// # Errors
/// [`Error::TooFew`] for a plan with no epoch or seed; training errors.
pub fn biases(plan: &Plan, data: &Digits, device: &Device) -> Result<Biases> {
    plan.check()?;
    let mut rows = Vec::new();
    let mut secs = Vec::new();
    for bias in [false, true] {
        let head = Head::Softmax { bias };
        let mut accuracies = Vec::new();
        for s in 0..plan.seeds {
            let net = FeatureNet::new(INPUTS, HIDDEN, DIM, CLASSES, 900 + s, device)?;
            let cfg = plan.config(plan.epochs, plan.seed + s);
            let st = train(&net, &head, &data.train, &data.test, &cfg)?;
            secs.extend(st.iter().map(|e| e.seconds));
            accuracies.push(accuracy(&net, &data.test, &head)?);
        }
        rows.push(BiasRow { head, accuracies });
    }
    secs.sort_by(f64::total_cmp);
    let sizes = geometric_sizes(CLASSES, SMALLEST, LARGEST)?;
    let total: f64 = sizes.iter().map(|&v| v as f64).sum();
    let prior: Vec<f64> = sizes.iter().map(|&v| v as f64 / total).collect();
    let h = entropy(&prior);
    let bounded = [0.5, 1.0, 1.5, 2.0, 4.0]
        .into_iter()
        .map(|s| {
            Ok(BoundedRow {
                scale: s,
                least_loss: min_loss_bounded_logits(&prior, s)?,
                entropy: h,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Biases {
        rows,
        epoch_seconds: secs[secs.len() / 2],
        bounded,
    })
}

// ---------------------------------------------------------------------------
// Item 4: radial features
// ---------------------------------------------------------------------------

/// How a class's features spread: in norm and in direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassSpread {
    /// Mean over classes of std/mean of the feature norms.
    pub norm_cv: f64,
    /// Mean over classes of the RMS angle (radians) between a feature and its
    /// class's mean direction.
    pub angle_rms: f64,
}

// ANCHOR: class_spread
/// The spread of features `f` (one per row) within each class of `y`, averaged
/// over the classes with at least two features: the coefficient of variation of
/// the norms (a ray has a large one) and the RMS angle to the class's mean
/// direction (a ray has none).
///
/// # Errors
/// [`Error::ShapeMismatch`] if `y` and the rows of `f` differ in number;
/// [`Error::NonFinite`] for a non-finite feature; [`Error::InvalidParameter`]
/// for a zero feature (it has no direction); [`Error::TooFew`] if no class has
/// two features.
pub fn class_spread(f: &DMatrix<f64>, y: &[usize]) -> Result<ClassSpread> {
    if f.nrows() != y.len() {
        return Err(Error::ShapeMismatch {
            what: "labels vs features",
            expected: f.nrows().to_string(),
            got: y.len().to_string(),
        });
    }
    ensure_finite("features", f.as_slice())?;
    if let Some(i) = (0..f.nrows()).find(|&i| f.row(i).norm() == 0.0) {
        return Err(Error::InvalidParameter {
            name: "features",
            reason: format!("feature {i} is the zero vector and has no direction"),
        });
    }
    let classes = y.iter().max().map_or(0, |&m| m + 1);
    let (mut cv, mut ang, mut k) = (0.0, 0.0, 0.0);
    for c in 0..classes {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        if rows.len() < 2 {
            continue;
        }
        let norms: Vec<f64> = rows.iter().map(|&i| f.row(i).norm()).collect();
        let m = norms.iter().sum::<f64>() / norms.len() as f64;
        let sd = (norms.iter().map(|v| (v - m).powi(2)).sum::<f64>() / norms.len() as f64).sqrt();
        let mut dir = f.row(rows[0]) * 0.0;
        for &i in &rows {
            dir += f.row(i) / f.row(i).norm().max(1e-300);
        }
        let dir = dir.normalize();
        let a2: f64 = rows
            .iter()
            .map(|&i| {
                let c = (f.row(i).dot(&dir) / f.row(i).norm().max(1e-300)).clamp(-1.0, 1.0);
                c.acos().powi(2)
            })
            .sum::<f64>()
            / rows.len() as f64;
        cv += sd / m;
        ang += a2.sqrt();
        k += 1.0;
    }
    if k == 0.0 {
        return Err(Error::TooFew {
            name: "features of one class",
            needed: 2,
            got: 1,
        });
    }
    Ok(ClassSpread {
        norm_cv: cv / k,
        angle_rms: ang / k,
    })
}
// ANCHOR_END: class_spread

/// How much a class's features are a line: the elongation `√(λ₁/λ₂)` of
/// the two largest eigenvalues of the class's covariance, averaged over the
/// classes with at least three features. A thick line (a ray) has a large
/// elongation, a round cluster about 1.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `y` and the rows of `f` differ in number or the
/// features have fewer than 2 coordinates; [`Error::NonFinite`] for a
/// non-finite feature; [`Error::TooFew`] if no class has three features or a
/// class has no spread at all.
pub fn elongation(f: &DMatrix<f64>, y: &[usize]) -> Result<f64> {
    if f.nrows() != y.len() || f.ncols() < 2 {
        return Err(Error::ShapeMismatch {
            what: "labels vs features (at least 2 coordinates)",
            expected: format!("{} rows", y.len()),
            got: format!("{}×{}", f.nrows(), f.ncols()),
        });
    }
    ensure_finite("features", f.as_slice())?;
    let classes = y.iter().max().map_or(0, |&m| m + 1);
    let mut ratios = Vec::new();
    for c in 0..classes {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        if rows.len() < 3 {
            continue;
        }
        let x = f.select_rows(&rows);
        let centred = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - x.column(j).mean());
        let cov = centred.transpose() * &centred / (x.nrows() - 1) as f64;
        let mut ev: Vec<f64> = cov.symmetric_eigenvalues().iter().copied().collect();
        ev.sort_by(|a, b| b.total_cmp(a));
        if ev[1] <= 0.0 {
            return Err(Error::TooFew {
                name: "directions of spread in a class",
                needed: 2,
                got: 1,
            });
        }
        ratios.push((ev[0] / ev[1]).sqrt());
    }
    ensure_len("classes with three features", ratios.len(), 1)?;
    Ok(mean(&ratios))
}

/// The rows of `f` scaled to norm 1.
///
/// # Errors
/// [`Error::InvalidParameter`] for a zero row (it has no direction).
pub fn unit_rows(f: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let mut out = f.clone();
    for i in 0..f.nrows() {
        let r = f.row(i).norm();
        if r == 0.0 {
            return Err(Error::InvalidParameter {
                name: "features",
                reason: format!("feature {i} is the zero vector and has no direction"),
            });
        }
        out.set_row(i, &(f.row(i) / r));
    }
    Ok(out)
}

/// The elongation ([`elongation`]) of the classes of 3-D softmax features, per seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Raw features.
    pub raw: Vec<f64>,
    /// The same features after L2 normalization.
    pub unit: Vec<f64>,
}

/// Spread and verification scores of softmax features of one dimension, mean over seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadialRow {
    /// Feature dimension.
    pub dim: usize,
    /// [`ClassSpread::norm_cv`].
    pub norm_cv: f64,
    /// [`ClassSpread::angle_rms`] (radians).
    pub angle_rms: f64,
    /// TAR at FAR 10⁻² with negative Euclidean distance.
    pub tar_euclidean: f64,
    /// TAR at FAR 10⁻² with cosine similarity.
    pub tar_cosine: f64,
    /// AUC with negative Euclidean distance.
    pub auc_euclidean: f64,
    /// AUC with cosine similarity.
    pub auc_cosine: f64,
}

/// Verification scores of one network's features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verification {
    /// TAR at FAR 10⁻² with negative Euclidean distance.
    pub tar_euclidean: f64,
    /// TAR at FAR 10⁻² with cosine similarity.
    pub tar_cosine: f64,
    /// AUC with negative Euclidean distance.
    pub auc_euclidean: f64,
    /// AUC with cosine similarity.
    pub auc_cosine: f64,
}

/// One ROC curve of the first seed.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// Feature dimension.
    pub dim: usize,
    /// The pair score.
    pub similarity: Similarity,
    /// `(FAR, TAR)` points.
    pub points: Vec<(f64, f64)>,
}

/// Softmax features in 2-D and 3-D: radial shape and verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Radial {
    /// d = 2, then d = 3.
    pub rows: Vec<RadialRow>,
    /// ROC curves of the first seed: per dimension, Euclidean then cosine.
    pub roc: Vec<RocCurve>,
    /// The 2-D test features of the first seed (one row per test digit).
    pub features_2d: DMatrix<f64>,
    /// The shape of the classes of the 3-D features, before and after L2
    /// normalization, one value per seed.
    pub shape: Shape,
    /// Per dimension (2, then 3), one entry per seed.
    pub verify_each: Vec<Vec<Verification>>,
    /// Their labels.
    pub labels: Vec<usize>,
}

impl Radial {
    /// Cosine minus Euclidean TAR at FAR 10⁻² of the `k`-th dimension
    /// (0: d = 2, 1: d = 3), paired over seeds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a `k` the experiment did not train;
    /// [`Error::TooFew`] for fewer than 2 seeds.
    pub fn cosine_gain(&self, k: usize) -> Result<SeedStats> {
        let v = self
            .verify_each
            .get(k)
            .ok_or_else(|| Error::InvalidParameter {
                name: "dimension index",
                reason: format!(
                    "the experiment trained {} dimensions",
                    self.verify_each.len()
                ),
            })?;
        SeedStats::new(v.iter().map(|r| r.tar_cosine - r.tar_euclidean).collect())
    }

    /// The spread and verification table.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "d",
                "norm spread within a class (std/mean)",
                "angular spread within a class (°)",
                "TAR @ FAR 1e-2, Euclidean",
                "TAR @ FAR 1e-2, cosine",
                "AUC, Euclidean",
                "AUC, cosine",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.dim.to_string(),
                        format!("{:.2}", r.norm_cv),
                        format!("{:.1}", r.angle_rms.to_degrees()),
                        format!("{:.3}", r.tar_euclidean),
                        format!("{:.3}", r.tar_cosine),
                        format!("{:.3}", r.auc_euclidean),
                        format!("{:.3}", r.auc_cosine),
                    ]
                })
                .collect(),
        }
    }
}

/// Trains bias-free softmax with 2-D and 3-D features over the plan's seeds and
/// measures the features' spread and their verification on test pairs.
///
/// # Errors
/// [`Error::TooFew`] for a plan with no epoch or seed; training and metric errors.
pub fn radial(plan: &Plan, data: &Digits, device: &Device) -> Result<Radial> {
    plan.check()?;
    let head = Head::Softmax { bias: false };
    let test_y = &data.split.test_y;
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut first2 = None;
    let (mut shape_raw, mut shape_unit) = (Vec::new(), Vec::new());
    let mut verify_each = Vec::new();
    for dim in [2usize, 3] {
        let (mut t_e, mut t_c, mut a_e, mut a_c, mut cv, mut ang) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut aucs = Vec::new();
        for s in 0..plan.seeds {
            let net = FeatureNet::new(INPUTS, HIDDEN, dim, CLASSES, 300 + s, device)?;
            let cfg = plan.config(plan.epochs, plan.seed + s);
            train(&net, &head, &data.train, &data.test, &cfg)?;
            let f = feature_matrix(&net, &data.test.x)?;
            let sp = class_spread(&f, test_y)?;
            if dim == 3 {
                shape_raw.push(elongation(&f, test_y)?);
                shape_unit.push(elongation(&unit_rows(&f)?, test_y)?);
            }
            cv += sp.norm_cv;
            ang += sp.angle_rms;
            let (ge, ie) = pair_scores(&f, test_y, Similarity::NegEuclidean)?;
            let (gc, ic) = pair_scores(&f, test_y, Similarity::Cosine)?;
            let v = Verification {
                tar_euclidean: tar_at_far(&ge, &ie, 1e-2)?,
                tar_cosine: tar_at_far(&gc, &ic, 1e-2)?,
                auc_euclidean: auc(&ge, &ie)?,
                auc_cosine: auc(&gc, &ic)?,
            };
            t_e += v.tar_euclidean;
            t_c += v.tar_cosine;
            a_e += v.auc_euclidean;
            a_c += v.auc_cosine;
            aucs.push(v);
            if s == 0 {
                for (similarity, (g, i)) in [
                    (Similarity::NegEuclidean, (&ge, &ie)),
                    (Similarity::Cosine, (&gc, &ic)),
                ] {
                    let points = roc(g, i)?;
                    curves.push(RocCurve {
                        dim,
                        similarity,
                        points,
                    });
                }
                if dim == 2 {
                    first2 = Some(f);
                }
            }
        }
        let k = plan.seeds as f64;
        rows.push(RadialRow {
            dim,
            norm_cv: cv / k,
            angle_rms: ang / k,
            tar_euclidean: t_e / k,
            tar_cosine: t_c / k,
            auc_euclidean: a_e / k,
            auc_cosine: a_c / k,
        });
        verify_each.push(aucs);
    }
    Ok(Radial {
        rows,
        roc: curves,
        features_2d: first2.unwrap_or_else(|| DMatrix::zeros(0, 2)),
        shape: Shape {
            raw: shape_raw,
            unit: shape_unit,
        },
        verify_each,
        labels: test_y.clone(),
    })
}

// ---------------------------------------------------------------------------
// Item 5: the NormFace scale
// ---------------------------------------------------------------------------

/// One NormFace network trained with scale `s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleRow {
    /// The scale `s`.
    pub scale: f64,
    /// NormFace's lower bound on the mean loss at this scale.
    pub bound: f64,
    /// Mean training loss of the trained network.
    pub loss: f64,
    /// Test accuracy.
    pub accuracy: f64,
}

impl ScaleRow {
    /// The decision rule of the table's last column: the loss reached the target ℓ*.
    pub fn reaches(&self, eps: f64) -> bool {
        self.loss <= eps
    }
}

/// NormFace: the loss reached against the scale, and the bound.
#[derive(Debug, Clone, PartialEq)]
pub struct NormFaceScale {
    /// The target loss ℓ*.
    pub eps: f64,
    /// The smallest scale at which the bound allows ℓ*.
    pub min_scale: f64,
    /// One row per scale of the plan.
    pub rows: Vec<ScaleRow>,
    /// `(s, bound)` on s = 0.2, 0.4, …, 24 (the theory curve).
    pub bound_curve: Vec<(f64, f64)>,
}

impl NormFaceScale {
    /// The table, with the verdict "loss ≤ ℓ*" per scale.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "scale s",
                "lower bound on the loss",
                "training loss reached",
                "test accuracy",
                "loss ≤ ℓ*",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        format!("{}", r.scale),
                        format!("{:.4}", r.bound),
                        format!("{:.4}", r.loss),
                        format!("{:.3}", r.accuracy),
                        if r.reaches(self.eps) { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        }
    }
}

/// Mean cross-entropy of the network's logits on `data` (the whole set at once).
///
/// # Errors
/// [`Error::Candle`] if the data do not fit the network; the head's validation error.
pub fn mean_loss(net: &FeatureNet, data: &Data, head: &Head) -> Result<f64> {
    let z = net.logits(&data.x, Some(&data.y), head, 0.0)?;
    scalar(&candle_nn::loss::cross_entropy(&z, &data.y)?)
}

/// Trains NormFace (d = 16) at each scale of the plan and compares the training
/// loss reached with the bound.
///
/// # Errors
/// [`Error::TooFew`] for a plan with no epoch; [`Error::InvalidParameter`] for a
/// scale ≤ 0; training errors.
pub fn normface_scale(plan: &Plan, data: &Digits, device: &Device) -> Result<NormFaceScale> {
    plan.check()?;
    let mut rows = Vec::new();
    for &s in &plan.scales {
        let head = Head::NormFace { scale: s };
        let net = FeatureNet::new(INPUTS, HIDDEN, DIM, CLASSES, 42, device)?;
        let cfg = plan.config(plan.epochs, plan.seed);
        train(&net, &head, &data.train, &data.test, &cfg)?;
        let loss = mean_loss(&net, &data.train, &head)?;
        rows.push(ScaleRow {
            scale: s,
            bound: loss_lower_bound(CLASSES, s)?,
            loss,
            accuracy: accuracy(&net, &data.test, &head)?,
        });
    }
    let bound_curve = (1..=120)
        .map(|k| {
            let s = 0.2 * f64::from(k);
            Ok((s, loss_lower_bound(CLASSES, s)?))
        })
        .collect::<Result<_>>()?;
    Ok(NormFaceScale {
        eps: EPS_TARGET,
        min_scale: min_scale(CLASSES, EPS_TARGET)?,
        rows,
        bound_curve,
    })
}

// ---------------------------------------------------------------------------
// Item 6: blur
// ---------------------------------------------------------------------------

/// The blur widths `r_blur` (pixels) of the blur experiment.
pub const BLUR_SIGMAS: [f64; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

/// Features of blurred test digits at one r_blur.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlurPoint {
    /// The blur width r_blur (pixels).
    pub sigma: f64,
    /// Mean feature norm of the blurred test digits over that of the sharp ones.
    pub norm_ratio: f64,
    /// Test accuracy on the blurred digits.
    pub accuracy: f64,
}

/// One head's features under blur.
#[derive(Debug, Clone, PartialEq)]
pub struct BlurCurve {
    /// The head.
    pub head: Head,
    /// One point per r_blur of [`BLUR_SIGMAS`].
    pub points: Vec<BlurPoint>,
    /// The norm ratio of the limit of infinite blur: every image replaced by its
    /// mean intensity.
    pub flat_ratio: f64,
}

/// Softmax features without L2 normalization on blurred digits.
#[derive(Debug, Clone, PartialEq)]
pub struct Blur {
    /// Without head bias, then with.
    pub curves: Vec<BlurCurve>,
}

impl Blur {
    /// The table: one row per head and r_blur.
    pub fn table(&self) -> Table {
        let mut rows = Vec::new();
        for c in &self.curves {
            for p in &c.points {
                rows.push(vec![
                    c.head.name(),
                    format!("{}", p.sigma),
                    format!("{:.3}", p.norm_ratio),
                    format!("{:.3}", p.accuracy),
                ]);
            }
        }
        Table {
            header: vec![
                "head (d = 16)",
                "r_blur (pixels)",
                "mean feature norm / clean",
                "test accuracy",
            ],
            rows,
        }
    }
}

/// Mean feature norm of the inputs `x` (one per row).
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite input; [`Error::Candle`] if `x` does not
/// have the network's input width; [`Error::TooFew`] for no input.
pub fn mean_feature_norm(net: &FeatureNet, x: &DMatrix<f64>, device: &Device) -> Result<f64> {
    ensure_len("inputs", x.nrows(), 1)?;
    ensure_finite("inputs", x.as_slice())?;
    let f = feature_matrix(net, &to_tensor(x, DType::F32, device)?)?;
    Ok((0..f.nrows()).map(|i| f.row(i).norm()).sum::<f64>() / f.nrows() as f64)
}

/// Trains softmax without and with head bias (d = 16) on sharp digits and measures
/// the features of blurred test digits.
///
/// # Errors
/// [`Error::TooFew`] for a plan with no epoch; training errors.
pub fn blur(plan: &Plan, data: &Digits, device: &Device) -> Result<Blur> {
    plan.check()?;
    let test_x = &data.split.test_x;
    let mut curves = Vec::new();
    for head in [Head::Softmax { bias: false }, Head::Softmax { bias: true }] {
        let net = FeatureNet::new(INPUTS, HIDDEN, DIM, CLASSES, 700, device)?;
        let cfg = plan.config(plan.epochs, plan.seed);
        train(&net, &head, &data.train, &data.test, &cfg)?;
        let clean = mean_feature_norm(&net, test_x, device)?;
        let mut points = Vec::new();
        for &sigma in &BLUR_SIGMAS {
            let xb = gaussian_blur(test_x, 8, sigma)?;
            let n = mean_feature_norm(&net, &xb, device)?;
            let d = Data::new(&xb, &data.split.test_y, DType::F32, device)?;
            points.push(BlurPoint {
                sigma,
                norm_ratio: n / clean,
                accuracy: accuracy(&net, &d, &head)?,
            });
        }
        let flat = DMatrix::from_fn(test_x.nrows(), INPUTS, |r, _| test_x.row(r).mean());
        let flat_ratio = mean_feature_norm(&net, &flat, device)? / clean;
        curves.push(BlurCurve {
            head,
            points,
            flat_ratio,
        });
    }
    Ok(Blur { curves })
}

// ---------------------------------------------------------------------------
// Item 7: training on blurred digits
// ---------------------------------------------------------------------------

/// The blur widths `r_blur` (pixels) of the training set in [`blur_training`];
/// `f64::INFINITY` stands for the limit, every image replaced by its mean
/// intensity.
pub const BLUR_TRAIN: [f64; 6] = [0.0, 1.0, 2.0, 3.0, 5.0, f64::INFINITY];

/// Networks trained on digits blurred with one `r_blur`, over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct BlurTrainRow {
    /// The blur width (pixels; infinite: flat images).
    pub r_blur: f64,
    /// Mean feature norm on the blurred training digits over that of the
    /// network trained on sharp digits (same seed and initialisation).
    pub norm_ratio: SeedStats,
    /// Mean norm of the logits `W x` over that of the sharp network.
    pub logit_ratio: SeedStats,
    /// Test accuracy on equally blurred test digits.
    pub accuracy: SeedStats,
}

/// Softmax networks trained on blurred digits (the DeepFace note).
#[derive(Debug, Clone, PartialEq)]
pub struct BlurTraining {
    /// One row per width of [`BLUR_TRAIN`], sharp first.
    pub rows: Vec<BlurTrainRow>,
}

/// The feature-norm ratio below which the descriptor counts as driven towards
/// `0`: at most this fraction of the sharp network's norm, by more than two
/// standard errors.
pub const TOWARDS_ZERO: f64 = 0.5;

impl BlurTrainRow {
    /// The decision rule: the feature norm is driven towards 0 when its ratio
    /// lies more than two standard errors below [`TOWARDS_ZERO`].
    pub fn towards_zero(&self) -> bool {
        self.norm_ratio.below(TOWARDS_ZERO)
    }
}

impl BlurTraining {
    /// The table: one row per blur width.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "r_blur of the training digits (pixels)",
                "feature norm / sharp",
                "logit norm / sharp",
                "test accuracy (equally blurred)",
                "norm driven towards 0",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        if r.r_blur.is_finite() {
                            format!("{}", r.r_blur)
                        } else {
                            "∞ (flat images)".into()
                        },
                        r.norm_ratio.show(2),
                        r.logit_ratio.show(2),
                        r.accuracy.show(3),
                        if r.towards_zero() { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        }
    }
}

/// `x` blurred with width `r` (pixels); infinite `r`: each image replaced by
/// its mean intensity.
fn blurred(x: &DMatrix<f64>, r: f64) -> Result<DMatrix<f64>> {
    if r.is_finite() {
        gaussian_blur(x, 8, r)
    } else {
        Ok(DMatrix::from_fn(x.nrows(), x.ncols(), |i, _| {
            x.row(i).mean()
        }))
    }
}

/// Mean feature norm, mean logit norm and accuracy of one network trained on
/// `train` and evaluated on it and on `test`.
fn blur_net(plan: &Plan, s: u64, train_set: &Data, test: &Data) -> Result<(f64, f64, f64)> {
    let head = Head::Softmax { bias: false };
    let net = FeatureNet::new(INPUTS, HIDDEN, DIM, CLASSES, 1100 + s, train_set.x.device())?;
    train(
        &net,
        &head,
        train_set,
        test,
        &plan.config(plan.epochs, plan.seed + s),
    )?;
    let f = feature_matrix(&net, &train_set.x)?;
    let z = &f * weight_matrix(&net)?.transpose();
    let norms =
        |m: &DMatrix<f64>| (0..m.nrows()).map(|i| m.row(i).norm()).sum::<f64>() / m.nrows() as f64;
    Ok((norms(&f), norms(&z), accuracy(&net, test, &head)?))
}

/// Trains bias-free softmax networks (d = 16) on training digits blurred with
/// each width of [`BLUR_TRAIN`], `plan.seeds` seeds each, and compares their
/// feature norms with those of the network trained on sharp digits.
///
/// # Errors
/// [`Error::TooFew`] for a plan with fewer than 2 seeds or no epoch; training errors.
pub fn blur_training(plan: &Plan, data: &Digits, device: &Device) -> Result<BlurTraining> {
    plan.check()?;
    let sp = &data.split;
    let mut per: Vec<[Vec<f64>; 3]> = vec![Default::default(); BLUR_TRAIN.len()];
    for s in 0..plan.seeds {
        let mut sharp = (1.0, 1.0);
        for (k, &r) in BLUR_TRAIN.iter().enumerate() {
            let tr = Data::new(&blurred(&sp.train_x, r)?, &sp.train_y, DType::F32, device)?;
            let te = Data::new(&blurred(&sp.test_x, r)?, &sp.test_y, DType::F32, device)?;
            let (fnorm, znorm, acc) = blur_net(plan, s, &tr, &te)?;
            if k == 0 {
                sharp = (fnorm, znorm);
            }
            per[k][0].push(fnorm / sharp.0);
            per[k][1].push(znorm / sharp.1);
            per[k][2].push(acc);
        }
    }
    let rows = BLUR_TRAIN
        .iter()
        .zip(per)
        .map(|(&r_blur, [n, z, a])| {
            Ok(BlurTrainRow {
                r_blur,
                norm_ratio: SeedStats::new(n)?,
                logit_ratio: SeedStats::new(z)?,
                accuracy: SeedStats::new(a)?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(BlurTraining { rows })
}
