//! Every experiment of the chapter "The deep-learning review: saddle points and
//! representations": a plan in, plain results out.
//!
//! `examples/review.rs` calls these functions, draws their results and records
//! them; `tests/review.rs` calls each one at quick size. Every number, table and
//! verdict the chapter shows is computed here or deeper in `src/review/`.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::cnn::{random_filters, train_filters};
use super::conv::{Pool, batch, canvas, relative_change, represent, shift};
use super::critical::{SearchOptions, find_critical, minimise_saddle_free, pearson};
use super::landscape::Landscape;
use super::probe::{ProbeAccuracy, handmade_features, linear_probe};
use super::shells::shells;
use crate::data::digits::{self, Split};
use crate::error::{Error, Result, ensure_len};
use crate::nn::{Data, to_tensor};
use crate::rectifier::compare::{Decision, Paired};
use crate::rectifier::experiments::sgd;
use crate::rectifier::train::{Net, NetAct, accuracy, pretrain_first_layer, train};
use crate::rectifier::{Activation, Mlp};

pub use crate::run::Table;

/// Sizes, seeds and sweeps of one run of the chapter's experiments.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Base seed; every experiment derives its own seeds from it.
    pub seed: u64,
    /// Seeds per configuration of the empirical experiments.
    pub seeds: u64,
    /// Hidden widths of the landscape networks (16 inputs, 10 outputs).
    pub widths: Vec<usize>,
    /// Training examples of the landscape (digits pooled to 4 × 4).
    pub landscape_rows: usize,
    /// Starts of the critical-point search per width.
    pub starts: usize,
    /// Gradient-descent steps before the last start's search (earlier starts take fewer).
    pub max_descent: usize,
    /// Hessian budget of each search.
    pub max_hessians: usize,
    /// Rows of the digits training split used by the probes (`None`: all).
    pub probe_rows: Option<usize>,
    /// Training epochs of the probed networks.
    pub probe_epochs: usize,
    /// Points of the synthetic shells (half train, half test).
    pub shell_points: usize,
    /// Test digits whose representations are shifted.
    pub pool_images: usize,
    /// Training epochs of the convolutional classifier.
    pub cnn_epochs: usize,
    /// Labelled examples per class in the pre-training comparison (`usize::MAX`: all).
    pub per_class: Vec<usize>,
    /// Autoencoder epochs of pre-training.
    pub pre_epochs: usize,
    /// Fine-tuning minibatch steps (the epochs follow from the labelled-set size).
    pub fine_steps: usize,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64) -> Plan {
        Plan {
            seed,
            seeds: 5,
            widths: vec![2, 4, 8],
            landscape_rows: 200,
            starts: 16,
            max_descent: 3000,
            max_hessians: 100,
            probe_rows: None,
            probe_epochs: 30,
            shell_points: 2000,
            pool_images: 200,
            cnn_epochs: 10,
            per_class: vec![5, 10, 50, usize::MAX],
            pre_epochs: 20,
            fine_steps: 1000,
        }
    }

    /// Small sizes that run in seconds in a debug build (CI, tests).
    pub fn quick(seed: u64) -> Plan {
        Plan {
            seed,
            seeds: 3,
            widths: vec![2],
            landscape_rows: 20,
            starts: 2,
            max_descent: 50,
            max_hessians: 25,
            probe_rows: Some(150),
            probe_epochs: 30,
            shell_points: 200,
            pool_images: 20,
            cnn_epochs: 1,
            per_class: vec![5, 10],
            pre_epochs: 1,
            fine_steps: 40,
        }
    }

    /// [`Plan::quick`] or [`Plan::full`].
    pub fn new(quick: bool, seed: u64) -> Plan {
        if quick {
            Plan::quick(seed)
        } else {
            Plan::full(seed)
        }
    }
}

/// Mean of a sample (NaN for an empty one).
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Smallest and largest value of a sample.
pub fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &a| {
            (lo.min(a), hi.max(a))
        })
}

/// A fraction as a percentage with one decimal.
pub fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

/// Mean and range of a sample of fractions, as the tables print them.
pub fn pct_spread(v: &[f64]) -> String {
    let (lo, hi) = range(v);
    format!("{} ({}–{})", pct(mean(v)), pct(lo), pct(hi))
}

/// The digits split of the chapter (80/20, the plan's seed).
///
/// # Errors
/// As [`digits::split`].
pub fn digits_split(plan: &Plan) -> Result<Split> {
    digits::split(0.2, plan.seed)
}

/// 8 × 8 digits averaged over 2 × 2 blocks: 16 inputs per image.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless `x` has 64 columns.
pub fn pool_to_4x4(x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    if x.ncols() != 64 {
        return Err(Error::ShapeMismatch {
            what: "digit images",
            expected: "64 pixels".into(),
            got: x.ncols().to_string(),
        });
    }
    Ok(DMatrix::from_fn(x.nrows(), 16, |r, c| {
        let (i, j) = (2 * (c / 4), 2 * (c % 4));
        (x[(r, 8 * i + j)] + x[(r, 8 * i + j + 1)] + x[(r, 8 * i + 8 + j)] + x[(r, 8 * i + 9 + j)])
            / 4.0
    }))
}

// ------------------------------------------------------------------ claim 1: landscape

/// Weight decay `λ` of the landscape loss.
pub const DECAY: f64 = 1e-3;

/// One search of [`landscape`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    /// Hidden width.
    pub width: usize,
    /// Parameters of the network.
    pub params: usize,
    /// The search: "Newton on the gradient" or "saddle-free Newton".
    pub method: &'static str,
    /// Gradient-descent steps before the search.
    pub descent: usize,
    /// Loss at the point found.
    pub loss: f64,
    /// Index (fraction of negative Hessian eigenvalues).
    pub index: f64,
    /// Number of negative eigenvalues.
    pub negative: usize,
    /// `‖∇L‖` at the point.
    pub grad_norm: f64,
    /// Smallest `|λ|` of the Hessian there.
    pub min_abs_eigen: f64,
    /// Whether the search met the gradient tolerance.
    pub critical: bool,
    /// Hessian evaluations spent.
    pub hessians: usize,
}

/// What the landscape survey found for one width.
#[derive(Debug, Clone, PartialEq)]
pub struct WidthSummary {
    /// Hidden width.
    pub width: usize,
    /// Parameters.
    pub params: usize,
    /// Critical points found (of the starts).
    pub critical: usize,
    /// Starts.
    pub starts: usize,
    /// Critical points of index 0 (minima).
    pub minima: usize,
    /// Distinct minima (loss values that differ by more than 1e-6 relative).
    pub distinct_minima: usize,
    /// Lowest and highest loss among the minima (NaN if none).
    pub minima_loss: (f64, f64),
    /// Saddles (critical, index > 0).
    pub saddles: usize,
    /// Largest index found.
    pub max_index: f64,
    /// Pearson correlation of loss and index over the critical points (NaN if undefined).
    pub correlation: f64,
    /// Whether every saddle has a higher loss than the lowest minimum.
    pub saddles_above_best_minimum: bool,
}

/// Result of [`landscape`].
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeSurvey {
    /// Every search.
    pub points: Vec<Point>,
    /// Per width.
    pub widths: Vec<WidthSummary>,
    /// Correlation of loss and index over all critical points.
    pub correlation: f64,
    /// Wall time of all searches, seconds.
    pub seconds: f64,
    /// Hessian evaluations of all searches.
    pub hessians: usize,
    /// Training examples.
    pub rows: usize,
}

/// Claim 1: critical points of `16-h-10` tanh networks on the digits (pooled to
/// 4 × 4) by damped Newton on the gradient, started after `0 … max_descent`
/// steps of gradient descent from Glorot initialisations.
///
/// # Errors
/// [`Error::TooFew`] for no width or no start; the landscape's and search's errors.
pub fn landscape(plan: &Plan) -> Result<LandscapeSurvey> {
    ensure_len("widths", plan.widths.len(), 1)?;
    ensure_len("starts", plan.starts, 1)?;
    let split = digits_split(plan)?;
    let rows: Vec<usize> = (0..plan.landscape_rows.min(split.train_x.nrows())).collect();
    let x = pool_to_4x4(&split.train_x.select_rows(&rows))?;
    let y: Vec<usize> = rows.iter().map(|&r| split.train_y[r]).collect();
    let t0 = Instant::now();
    let mut points = Vec::new();
    for &h in &plan.widths {
        let land = Landscape::new(&[16, h, 10], x.clone(), y.clone(), DECAY)?;
        for s in 0..plan.starts {
            points.extend(search_from(plan, &land, h, s)?);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let widths = plan.widths.iter().map(|&h| summarise(h, &points)).collect();
    let crit: Vec<&Point> = points.iter().filter(|p| p.critical).collect();
    let (l, i): (Vec<f64>, Vec<f64>) = crit.iter().map(|p| (p.loss, p.index)).unzip();
    Ok(LandscapeSurvey {
        correlation: pearson(&l, &i).unwrap_or(f64::NAN),
        hessians: points.iter().map(|p| p.hessians).sum(),
        points,
        widths,
        seconds,
        rows: x.nrows(),
    })
}

/// The search options of the survey: the plan's Hessian budget, the default
/// tolerance, damping and stall window.
pub fn search_options(plan: &Plan) -> SearchOptions {
    SearchOptions {
        max_hessians: plan.max_hessians,
        ..SearchOptions::default()
    }
}

fn search_from(plan: &Plan, land: &Landscape, h: usize, s: usize) -> Result<[Point; 2]> {
    let mut rng = StdRng::seed_from_u64(plan.seed + 1000 * h as u64 + s as u64);
    let init = Mlp::glorot(land.sizes(), Activation::Tanh, &mut rng)?;
    let frac = if plan.starts > 1 {
        s as f64 / (plan.starts - 1) as f64
    } else {
        0.0
    };
    let descent = (plan.max_descent as f64 * frac * frac).round() as usize;
    let mut theta = init.flat();
    for _ in 0..descent {
        let (_, g) = land.gradient(&theta)?;
        theta
            .iter_mut()
            .zip(g.iter())
            .for_each(|(t, d)| *t -= 0.5 * d);
    }
    let opts = search_options(plan);
    let found = [
        (
            "Newton on the gradient",
            find_critical(land, &theta, &opts)?,
        ),
        (
            "saddle-free Newton",
            minimise_saddle_free(land, &theta, &opts)?,
        ),
    ];
    Ok(found.map(|(method, r)| Point {
        width: h,
        params: land.params(),
        method,
        descent,
        loss: r.loss,
        index: r.curvature.index,
        negative: r.curvature.negative,
        grad_norm: r.grad_norm,
        min_abs_eigen: r.curvature.min_abs,
        critical: r.critical,
        hessians: r.hessians,
    }))
}

fn summarise(h: usize, points: &[Point]) -> WidthSummary {
    let all: Vec<&Point> = points.iter().filter(|p| p.width == h).collect();
    let crit: Vec<&Point> = all.iter().copied().filter(|p| p.critical).collect();
    let mut minima: Vec<f64> = crit
        .iter()
        .filter(|p| p.negative == 0)
        .map(|p| p.loss)
        .collect();
    minima.sort_by(f64::total_cmp);
    let mut distinct = minima.clone();
    distinct.dedup_by(|a, b| (*a - *b).abs() <= 1e-6 * b.abs().max(1.0));
    let best = minima.first().copied().unwrap_or(f64::NAN);
    let saddles: Vec<&&Point> = crit.iter().filter(|p| p.negative > 0).collect();
    let (l, i): (Vec<f64>, Vec<f64>) = crit.iter().map(|p| (p.loss, p.index)).unzip();
    WidthSummary {
        width: h,
        params: all.first().map_or(0, |p| p.params),
        critical: crit.len(),
        starts: all.len(),
        minima: minima.len(),
        distinct_minima: distinct.len(),
        minima_loss: (best, minima.last().copied().unwrap_or(f64::NAN)),
        saddles: saddles.len(),
        max_index: i.iter().fold(0.0, |m: f64, v| m.max(*v)),
        correlation: pearson(&l, &i).unwrap_or(f64::NAN),
        saddles_above_best_minimum: saddles.iter().all(|p| p.loss > best),
    }
}

impl LandscapeSurvey {
    /// Largest index of any critical point found.
    pub fn max_index(&self) -> f64 {
        self.widths.iter().fold(0.0, |m, w| m.max(w.max_index))
    }

    /// The widths at which at least one saddle was found.
    pub fn saddle_widths(&self) -> Vec<usize> {
        self.widths
            .iter()
            .filter(|w| w.saddles > 0)
            .map(|w| w.width)
            .collect()
    }

    /// Whether the loss range of the minima (highest − lowest) shrinks from
    /// each width to the next (false with fewer than two widths with minima).
    pub fn minima_range_shrinks(&self) -> bool {
        let r: Vec<f64> = self
            .widths
            .iter()
            .filter(|w| w.minima > 0)
            .map(|w| w.minima_loss.1 - w.minima_loss.0)
            .collect();
        r.len() >= 2 && r.windows(2).all(|p| p[1] < p[0])
    }

    /// One row per width, as the book shows it.
    pub fn table(&self) -> Table {
        let rows = self
            .widths
            .iter()
            .map(|w| {
                let corr = if w.correlation.is_nan() {
                    "—".to_string()
                } else {
                    format!("{:+.2}", w.correlation)
                };
                vec![
                    format!("16-{}-10 ({} parameters)", w.width, w.params),
                    format!("{} of {}", w.critical, w.starts),
                    format!("{} ({} distinct)", w.minima, w.distinct_minima),
                    if w.minima == 0 {
                        "—".into()
                    } else {
                        format!("{:.4}–{:.4}", w.minima_loss.0, w.minima_loss.1)
                    },
                    w.saddles.to_string(),
                    format!("{:.3}", w.max_index),
                    corr,
                ]
            })
            .collect();
        Table {
            header: vec![
                "network",
                "critical points found",
                "minima",
                "loss of the minima",
                "saddles",
                "largest index",
                "corr(loss, index)",
            ],
            rows,
        }
    }
}

// ------------------------------------------------------------------ claims 2 and 5: probes

/// The layers probed: the raw input and the two hidden layers.
pub const LAYERS: [&str; 3] = ["input", "hidden 1", "hidden 2"];

/// Probe accuracies of one data set, per layer and seed.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerProbes {
    /// Data set name.
    pub name: String,
    /// `per_layer[l][s]`: layer `l` ([`LAYERS`]), seed `s`.
    pub per_layer: Vec<Vec<ProbeAccuracy>>,
    /// Test accuracy of the trained network itself, per seed.
    pub network: Vec<f64>,
}

impl LayerProbes {
    /// Training accuracies of layer `l` over the seeds.
    pub fn train(&self, l: usize) -> Vec<f64> {
        self.per_layer[l].iter().map(|p| p.train).collect()
    }

    /// Held-out accuracies of layer `l` over the seeds.
    pub fn test(&self, l: usize) -> Vec<f64> {
        self.per_layer[l].iter().map(|p| p.test).collect()
    }

    /// Decision rule of claim 2: the last hidden layer's lowest training
    /// accuracy over the seeds beats the input's highest.
    pub fn last_layer_separates_better(&self) -> bool {
        range(&self.train(LAYERS.len() - 1)).0 > range(&self.train(0)).1
    }
}

/// Result of [`separability`].
#[derive(Debug, Clone, PartialEq)]
pub struct Separability {
    /// The digits and the shells.
    pub sets: Vec<LayerProbes>,
    /// Probe on the hand-made features of the digits (same split).
    pub handmade: ProbeAccuracy,
    /// Training and test examples of the digits.
    pub digits_rows: (usize, usize),
}

/// A 2-hidden-layer ReLU network trained on `(train)`, then probed per layer.
fn probe_layers(
    plan: &Plan,
    sets: (&DMatrix<f64>, &[usize], &DMatrix<f64>, &[usize]),
    classes: usize,
    seed: u64,
    device: &Device,
) -> Result<(Vec<ProbeAccuracy>, f64)> {
    let (tx, ty, vx, vy) = sets;
    let mut rng = StdRng::seed_from_u64(seed);
    let init = Mlp::glorot(&[tx.ncols(), 32, 32, classes], Activation::Relu, &mut rng)?;
    let net = Net::from_mlp(&init, NetAct::Fixed(Activation::Relu), DType::F32, device)?;
    let train_data = Data::new(tx, ty, DType::F32, device)?;
    let test_data = Data::new(vx, vy, DType::F32, device)?;
    train(
        &net,
        &train_data,
        &test_data,
        &sgd(0.05, 0.9, 20, plan.probe_epochs, seed),
    )?;
    let net_acc = accuracy(&net, &test_data)?;
    let mlp = net.to_mlp()?;
    let (a, b) = (mlp.trace(tx)?, mlp.trace(vx)?);
    let probes = (0..LAYERS.len())
        .map(|l| linear_probe(&a.values[l], ty, &b.values[l], vy, classes))
        .collect::<Result<Vec<_>>>()?;
    Ok((probes, net_acc))
}

/// Claims 2 and 5: linear probes on the input and each hidden layer of
/// 2-hidden-layer ReLU networks (32 units each) trained on the digits and on
/// the shells, and a probe on hand-made digit features.
///
/// # Errors
/// [`Error::TooFew`] for no seed; data, training and probe errors.
pub fn separability(plan: &Plan, device: &Device) -> Result<Separability> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    let mut split = digits_split(plan)?;
    if let Some(n) = plan.probe_rows {
        let rows: Vec<usize> = (0..n.min(split.train_x.nrows())).collect();
        split.train_x = split.train_x.select_rows(&rows);
        split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
    }
    let (sx, sy) = shells(plan.shell_points, 8, plan.seed)?;
    let half = plan.shell_points / 2;
    let (s_tr, s_te): (Vec<usize>, Vec<usize>) = (0..half).zip(half..2 * half).unzip();
    let pick = |rows: &[usize]| (sx.select_rows(rows), rows.iter().map(|&r| sy[r]).collect());
    let (stx, sty): (DMatrix<f64>, Vec<usize>) = pick(&s_tr);
    let (svx, svy): (DMatrix<f64>, Vec<usize>) = pick(&s_te);
    let inputs = [
        (
            "digits",
            &split.train_x,
            &split.train_y[..],
            &split.test_x,
            &split.test_y[..],
            10,
        ),
        ("shells", &stx, &sty[..], &svx, &svy[..], 2),
    ];
    let mut sets = Vec::new();
    for (name, tx, ty, vx, vy, classes) in inputs {
        let mut per_layer = vec![Vec::new(); LAYERS.len()];
        let mut network = Vec::new();
        for s in 0..plan.seeds {
            let (p, acc) =
                probe_layers(plan, (tx, ty, vx, vy), classes, plan.seed + 500 + s, device)?;
            p.into_iter()
                .enumerate()
                .for_each(|(l, a)| per_layer[l].push(a));
            network.push(acc);
        }
        sets.push(LayerProbes {
            name: name.into(),
            per_layer,
            network,
        });
    }
    let handmade = linear_probe(
        &handmade_features(&split.train_x)?,
        &split.train_y,
        &handmade_features(&split.test_x)?,
        &split.test_y,
        10,
    )?;
    Ok(Separability {
        sets,
        handmade,
        digits_rows: (split.train_x.nrows(), split.test_x.nrows()),
    })
}

impl Separability {
    /// Per data set and layer: training and held-out probe accuracy (mean and range over seeds).
    pub fn table(&self) -> Table {
        let mut rows = Vec::new();
        for set in &self.sets {
            for (l, layer) in LAYERS.iter().enumerate() {
                rows.push(vec![
                    set.name.clone(),
                    layer.to_string(),
                    pct_spread(&set.train(l)),
                    pct_spread(&set.test(l)),
                ]);
            }
            rows.push(vec![
                set.name.clone(),
                "the network itself".into(),
                "—".into(),
                pct_spread(&set.network),
            ]);
        }
        Table {
            header: vec![
                "data",
                "representation",
                "linear probe, training accuracy",
                "held-out accuracy",
            ],
            rows,
        }
    }

    /// The digits: a linear model on raw pixels, on hand-made features and on
    /// the learned last hidden layer, same split.
    pub fn features_table(&self) -> Table {
        let d = &self.sets[0];
        let last = LAYERS.len() - 1;
        let rows = vec![
            vec![
                "raw pixels (64)".into(),
                pct_spread(&d.train(0)),
                pct_spread(&d.test(0)),
            ],
            vec![
                "hand-made: projections and gradient histograms (32)".into(),
                pct(self.handmade.train),
                pct(self.handmade.test),
            ],
            vec![
                "learned: last hidden layer (32)".into(),
                pct_spread(&d.train(last)),
                pct_spread(&d.test(last)),
            ],
        ];
        Table {
            header: vec!["features", "training accuracy", "held-out accuracy"],
            rows,
        }
    }

    /// Held-out accuracy of a linear model on learned features minus raw pixels,
    /// per seed, in percentage points.
    pub fn learned_gain_points(&self) -> Vec<f64> {
        let d = &self.sets[0];
        let last = LAYERS.len() - 1;
        d.test(last)
            .iter()
            .zip(d.test(0))
            .map(|(a, b)| 100.0 * (a - b))
            .collect()
    }
}

// ------------------------------------------------------------------ claim 3: pooling

/// Horizontal shifts measured, in pixels.
pub const SHIFTS: [usize; 5] = [0, 1, 2, 3, 4];

/// The pooling variants compared (the last pools each whole 18 × 18 feature map).
pub const POOLS: [Pool; 4] = [Pool::None, Pool::Max(2), Pool::Avg(2), Pool::Max(18)];

/// One curve of [`pooling`]: relative change per shift, per seed.
#[derive(Debug, Clone, PartialEq)]
pub struct InvarianceCurve {
    /// "random" or "trained" filters.
    pub filters: &'static str,
    /// The pooling.
    pub pool: Pool,
    /// `runs[s][i]`: seed `s`, shift [`SHIFTS`]`[i]`.
    pub runs: Vec<Vec<f64>>,
}

impl InvarianceCurve {
    /// Mean over seeds at shift index `i`.
    pub fn mean_at(&self, i: usize) -> f64 {
        mean(&self.runs.iter().map(|r| r[i]).collect::<Vec<_>>())
    }
}

/// Result of [`pooling`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pooling {
    /// Random and trained filters × [`POOLS`].
    pub curves: Vec<InvarianceCurve>,
    /// Training accuracy of the convolutional classifiers, per seed.
    pub cnn_accuracy: Vec<f64>,
    /// Canvas side.
    pub canvas: usize,
}

/// Canvas side of the pooling measurement: an 8 × 8 digit at row 6, column 4,
/// so that after a shift of 4 pixels to the right 4 columns of zeros remain on
/// each side (more than the 2 a 3 × 3 filter reaches past the digit).
pub const CANVAS: usize = 20;

fn canvases(x: &DMatrix<f64>, n: usize, dx: usize) -> Result<Vec<DMatrix<f64>>> {
    (0..n.min(x.nrows()))
        .map(|r| {
            let px: Vec<f64> = x.row(r).iter().copied().collect();
            Ok(shift(&canvas(&px, CANVAS, 6, 4)?, 0, dx as isize))
        })
        .collect()
}

/// Claim 3: relative change of `pool(max(0, x ⋆ w))` (8 filters of 3 × 3) when
/// test digits move right by 0–4 pixels on a 20 × 20 canvas, for random
/// filters and filters learned by a one-layer convolutional classifier.
///
/// # Errors
/// [`Error::TooFew`] for no seed or no image; candle's errors.
pub fn pooling(plan: &Plan, device: &Device) -> Result<Pooling> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    ensure_len("images", plan.pool_images, 1)?;
    let split = digits_split(plan)?;
    let shifted: Vec<Tensor> = SHIFTS
        .iter()
        .map(|&s| {
            batch(
                &canvases(&split.test_x, plan.pool_images, s)?,
                DType::F32,
                device,
            )
        })
        .collect::<Result<_>>()?;
    let train_images = batch(
        &canvases(&split.train_x, usize::MAX, 0)?,
        DType::F32,
        device,
    )?;
    let labels: Vec<u32> = split.train_y.iter().map(|&k| k as u32).collect();
    let labels = Tensor::from_vec(labels, split.train_y.len(), device)?;
    let mut curves: Vec<InvarianceCurve> = ["random", "trained"]
        .iter()
        .flat_map(|f| POOLS.iter().map(move |&pool| (f, pool)))
        .map(|(f, pool)| InvarianceCurve {
            filters: f,
            pool,
            runs: Vec::new(),
        })
        .collect();
    let mut cnn_accuracy = Vec::new();
    for s in 0..plan.seeds {
        let seed = plan.seed + 700 + s;
        let trained = train_filters(&train_images, &labels, 10, 8, plan.cnn_epochs, seed)?;
        cnn_accuracy.push(trained.train_accuracy);
        let banks = [random_filters(8, 3, seed, device)?, trained.filters];
        for curve in &mut curves {
            let w = &banks[usize::from(curve.filters == "trained")];
            let base = represent(&shifted[0], w, curve.pool)?;
            let run = shifted
                .iter()
                .map(|x| relative_change(&base, &represent(x, w, curve.pool)?))
                .collect::<Result<Vec<_>>>()?;
            curve.runs.push(run);
        }
    }
    Ok(Pooling {
        curves,
        cnn_accuracy,
        canvas: CANVAS,
    })
}

impl Pooling {
    /// The curve of `filters` and `pool`.
    pub fn curve(&self, filters: &str, pool: Pool) -> Option<&InvarianceCurve> {
        self.curves
            .iter()
            .find(|c| c.filters == filters && c.pool == pool)
    }

    /// Shifts (from [`SHIFTS`], 0 excluded) at which pooling `pool` changes the
    /// representation less than no pooling in every seed, for `filters`.
    pub fn shifts_where_pooling_helps(&self, filters: &str, pool: Pool) -> Vec<usize> {
        let (Some(p), Some(n)) = (self.curve(filters, pool), self.curve(filters, Pool::None))
        else {
            return Vec::new();
        };
        (1..SHIFTS.len())
            .filter(|&i| p.runs.iter().zip(&n.runs).all(|(a, b)| a[i] < b[i]))
            .map(|i| SHIFTS[i])
            .collect()
    }

    /// The fraction of the unpooled change that `pool` leaves at shift index
    /// `i` ([`SHIFTS`]), means over seeds (NaN if a curve is missing).
    pub fn left_by(&self, filters: &str, pool: Pool, i: usize) -> f64 {
        match (self.curve(filters, pool), self.curve(filters, Pool::None)) {
            (Some(p), Some(n)) => p.mean_at(i) / n.mean_at(i),
            _ => f64::NAN,
        }
    }

    /// Mean relative change per filter kind, pooling and shift.
    pub fn table(&self) -> Table {
        let rows = self
            .curves
            .iter()
            .map(|c| {
                let mut row = vec![format!("{} filters", c.filters), c.pool.name()];
                row.extend((1..SHIFTS.len()).map(|i| format!("{:.2}", c.mean_at(i))));
                row
            })
            .collect();
        Table {
            header: vec!["filters", "pooling", "1 px", "2 px", "3 px", "4 px"],
            rows,
        }
    }
}

// ------------------------------------------------------------------ claim 4: pre-training

/// One labelled-set size of [`pretraining`].
#[derive(Debug, Clone, PartialEq)]
pub struct PreSize {
    /// Labelled training examples.
    pub labelled: usize,
    /// Fine-tuning epochs (fixed number of steps).
    pub epochs: usize,
    /// Test accuracy per seed from a random start.
    pub without: Vec<f64>,
    /// Test accuracy per seed after first-layer autoencoder pre-training.
    pub with: Vec<f64>,
    /// Train − test accuracy per seed from a random start.
    pub gap_without: Vec<f64>,
    /// Train − test accuracy per seed with pre-training.
    pub gap_with: Vec<f64>,
}

impl PreSize {
    /// Mean gain of pre-training in test accuracy, percentage points.
    pub fn gain_points(&self) -> f64 {
        100.0 * (mean(&self.with) - mean(&self.without))
    }

    /// Test accuracy with − without pre-training, paired by seed (the same
    /// initialisation in both).
    ///
    /// # Errors
    /// As [`Paired::new`]: fewer than two seeds, or a non-finite accuracy.
    pub fn paired(&self) -> Result<Paired> {
        Paired::new(&self.with, &self.without)
    }

    /// Train − test gap without − with pre-training, paired by seed: positive
    /// where pre-training narrows the gap.
    ///
    /// # Errors
    /// As [`Paired::new`].
    pub fn gap_paired(&self) -> Result<Paired> {
        Paired::new(&self.gap_without, &self.gap_with)
    }

    /// The rectifier chapter's decision rule ([`crate::rectifier::compare`]):
    /// pre-training helps if it raises the test accuracy by more than two
    /// standard errors of the per-seed differences (false with one seed).
    pub fn helps(&self) -> bool {
        self.paired()
            .is_ok_and(|p| p.decision() == Decision::AHigher)
    }

    /// The same rule for overfitting: pre-training narrows the train − test
    /// gap by more than two standard errors.
    pub fn narrows_gap(&self) -> bool {
        self.gap_paired()
            .is_ok_and(|p| p.decision() == Decision::AHigher)
    }
}

/// Result of [`pretraining`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pretraining {
    /// One entry per labelled-set size, smallest first.
    pub sizes: Vec<PreSize>,
}

/// Claim 4: a 64-64-64-64-10 ReLU network fine-tuned on `k` labelled digits per
/// class from a random start and after first-layer autoencoder pre-training on
/// all training images, for each `k` of the plan. The protocol (network,
/// optimiser, seeds, pre-training) is the rectifier chapter's; at ten per class
/// and 1000 steps it is that chapter's measurement.
///
/// # Errors
/// [`Error::TooFew`] for no seed or no size, or a size of 0; training errors.
pub fn pretraining(plan: &Plan, device: &Device) -> Result<Pretraining> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    ensure_len("labelled-set sizes", plan.per_class.len(), 1)?;
    let split = digits_split(plan)?;
    let test = Data::new(&split.test_x, &split.test_y, DType::F32, device)?;
    let unlabelled = to_tensor(&split.train_x, DType::F32, device)?;
    let act = Activation::Relu;
    let mut sizes = Vec::new();
    for &k in &plan.per_class {
        ensure_len("labelled examples per class", k, 1)?;
        let (lx, ly) = digits::per_class(&split.train_x, &split.train_y, k);
        let lab = Data::new(&lx, &ly, DType::F32, device)?;
        let epochs = (plan.fine_steps * 20).div_ceil(lab.n).max(1);
        let mut r = PreSize {
            labelled: lab.n,
            epochs,
            without: Vec::new(),
            with: Vec::new(),
            gap_without: Vec::new(),
            gap_with: Vec::new(),
        };
        for s in 0..plan.seeds {
            let mut rng = StdRng::seed_from_u64(plan.seed + 300 + s);
            let init = Mlp::glorot(&[64, 64, 64, 64, 10], act, &mut rng)?;
            let cfg = sgd(0.05, 0.9, 20, epochs, plan.seed + s);
            for pre in [false, true] {
                let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
                if pre {
                    pretrain_first_layer(&net, &unlabelled, plan.pre_epochs, 1e-3, plan.seed + s)?;
                }
                train(&net, &lab, &test, &cfg)?;
                let (te, tr) = (accuracy(&net, &test)?, accuracy(&net, &lab)?);
                let (acc, gap) = if pre {
                    (&mut r.with, &mut r.gap_with)
                } else {
                    (&mut r.without, &mut r.gap_without)
                };
                acc.push(te);
                gap.push(tr - te);
            }
        }
        sizes.push(r);
    }
    Ok(Pretraining { sizes })
}

impl Pretraining {
    /// Claim "pre-training helps small data sets": it helps at the smallest size.
    pub fn helps_smallest(&self) -> bool {
        self.sizes.first().is_some_and(PreSize::helps)
    }

    /// Whether it helps at the largest size.
    pub fn helps_largest(&self) -> bool {
        self.sizes.last().is_some_and(PreSize::helps)
    }

    /// Whether it narrows the train − test gap at any size.
    pub fn narrows_gap_anywhere(&self) -> bool {
        self.sizes.iter().any(PreSize::narrows_gap)
    }

    /// The table: test accuracy and train − test gap with and without, per size,
    /// with the paired changes (mean ± standard error over seeds).
    pub fn table(&self) -> Table {
        let change = |p: Result<Paired>| match p {
            Ok(p) => {
                let verdict = match p.decision() {
                    Decision::AHigher => "pre-training better",
                    Decision::BHigher => "pre-training worse",
                    Decision::NotDetected => "no difference beyond 2 SE",
                };
                format!("{:+.1} ± {:.1}: {verdict}", 100.0 * p.mean, 100.0 * p.se)
            }
            Err(_) => "one seed: no spread".into(),
        };
        let rows = self
            .sizes
            .iter()
            .map(|r| {
                vec![
                    r.labelled.to_string(),
                    pct_spread(&r.without),
                    pct_spread(&r.with),
                    change(r.paired()),
                    pct(mean(&r.gap_without)),
                    pct(mean(&r.gap_with)),
                    change(r.gap_paired()),
                ]
            })
            .collect();
        Table {
            header: vec![
                "labelled digits",
                "test accuracy, random start",
                "with pre-training",
                "change in test accuracy (points, paired)",
                "train − test gap, random start",
                "gap with pre-training",
                "narrowing of the gap (points, paired)",
            ],
            rows,
        }
    }
}
