//! Every experiment of the chapter "A-Softmax geometry (SphereFace)": a [`Plan`]
//! (sizes, seeds, device) in, plain result structs out.
//!
//! `examples/sphereface.rs` calls these functions, draws their results and records
//! them; `tests/sphereface.rs` calls each one at [`Plan::quick`] size and checks a
//! property of its result. Every number, table and verdict the chapter quotes is
//! computed here or deeper in `src/`; the `table` methods write the rows exactly as
//! the book shows them.

use std::f64::consts::PI;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use nalgebra::DMatrix;

use super::geometry::{
    binary_margin, paper_binary_bound, paper_binary_intra_inter, paper_multiclass_intra_inter,
    region_criterion, regions_on_circle, uniform_directions,
};
use super::projection::MapFrame;
use super::train::Head;
use super::{Anneal, psi};
use crate::data::digits::{self, Split};
use crate::error::{Error, Result, ensure_len};
use crate::nn::Head as _;
use crate::nn::feature::{feature_matrix, weight_matrix};
use crate::nn::metrics::{Similarity, auc, pair_scores, roc, tar_at_far};
use crate::nn::train::train;
use crate::nn::{Data, EpochStats, FeatureNet, TrainConfig, to_tensor};
use crate::softmax::experiments::SeedStats;
use crate::softmax::verify::{FeatureCriterion, angles_to_own_weight, feature_criterion};

/// Points `(x, y)` of a curve.
pub type Curve = Vec<(f64, f64)>;

/// Hidden ReLU units of the feature network.
pub const HIDDEN: usize = 64;
/// Minibatch size.
pub const BATCH: usize = 32;
/// Adam's learning rate.
pub const LR: f64 = 0.01;
/// NormFace's scale `s`.
pub const NORMFACE_S: f64 = 10.0;
/// Feature dimension of the open-set experiment.
pub const OPEN_DIM: usize = 8;
/// Digits `0..SEEN` are seen in open-set training; the others are the unseen classes.
pub const SEEN: usize = 7;
/// Fraction of the digits held out for testing.
pub const TEST_FRACTION: f64 = 0.2;
/// Feature dimensions of the closed-set experiment.
pub const CLOSED_DIMS: [usize; 2] = [2, 3];

/// Sizes, seeds and device of one run of the chapter's experiments.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Directions sampled on the circle for the decision regions.
    pub grid: usize,
    /// Values of `θ₁₂` in the binary sweep (from 10° to 180°).
    pub thetas: usize,
    /// Training epochs of every network.
    pub epochs: usize,
    /// Seeds per head: `seed, seed + 1, …`.
    pub seeds: u64,
    /// The first seed (also the seed of the train/test split).
    pub seed: u64,
    /// Only the first rows of the training set (`None`: all of it).
    pub train_rows: Option<usize>,
    /// Timed repetitions of the head benchmark.
    pub bench_reps: usize,
    /// Where the tensors live.
    pub device: Device,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64, device: Device) -> Plan {
        Plan {
            grid: 5760,
            thetas: 36,
            epochs: 40,
            seeds: 5,
            seed,
            train_rows: None,
            bench_reps: 30,
            device,
        }
    }

    /// Small sizes that run in seconds in a debug build (`--quick`, the tests).
    pub fn quick(seed: u64, device: Device) -> Plan {
        Plan {
            grid: 360,
            thetas: 6,
            epochs: 2,
            seeds: 1,
            train_rows: Some(200),
            bench_reps: 3,
            ..Plan::full(seed, device)
        }
    }

    /// [`Plan::quick`] if `quick`, else [`Plan::full`].
    pub fn new(quick: bool, seed: u64, device: Device) -> Plan {
        if quick {
            Plan::quick(seed, device)
        } else {
            Plan::full(seed, device)
        }
    }

    fn check(&self) -> Result<()> {
        ensure_len("grid directions", self.grid, 8)?;
        ensure_len("θ₁₂ values", self.thetas, 2)?;
        ensure_len("epochs", self.epochs, 1)?;
        ensure_len("seeds", self.seeds as usize, 1)?;
        ensure_len("benchmark repetitions", self.bench_reps, 1)?;
        if let Some(n) = self.train_rows {
            ensure_len("training rows", n, BATCH)?;
        }
        Ok(())
    }
}

pub use crate::run::Table;

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = v.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

// ---------------------------------------------------------------------------
// The heads
// ---------------------------------------------------------------------------

/// The six heads of the figures: softmax without bias, NormFace and A-Softmax
/// `m = 1..4` with the published annealing.
pub fn heads() -> Vec<Head> {
    let mut h = vec![
        Head::Softmax { bias: false },
        Head::NormFace { scale: NORMFACE_S },
    ];
    for m in 1..=4 {
        h.push(Head::ASoftmax {
            m,
            anneal: Anneal::sphereface(),
        });
    }
    h
}

/// A-Softmax `m = 4` without annealing: `λ = 0` from the first iteration,
/// the loss of SphereFace Eq. 7 as written.
pub fn pure_m4() -> Head {
    Head::ASoftmax {
        m: 4,
        anneal: Anneal::none(),
    }
}

/// The heads of the closed-set table: [`heads`] and [`pure_m4`].
pub fn all_heads() -> Vec<Head> {
    let mut h = heads();
    h.push(pure_m4());
    h
}

/// The heads of the open-set experiment: softmax, NormFace, A-Softmax `m = 4`
/// annealed and unannealed.
pub fn open_heads() -> Vec<Head> {
    vec![
        Head::Softmax { bias: false },
        Head::NormFace { scale: NORMFACE_S },
        Head::ASoftmax {
            m: 4,
            anneal: Anneal::sphereface(),
        },
        pure_m4(),
    ]
}

/// The head's name as the tables show it ("A-Softmax m=4, λ = 0" for the
/// unannealed head).
pub fn head_label(h: &Head) -> String {
    match h {
        Head::ASoftmax { anneal, .. } if anneal.lambda_min == 0.0 => {
            format!("{}, λ = 0", h.name())
        }
        _ => h.name(),
    }
}

/// The short key of the head in run-record names (`softmax`, `normface`, `m4`,
/// `m4_pure`, `wn`).
pub fn head_key(h: &Head) -> String {
    match *h {
        Head::Softmax { .. } => "softmax".to_string(),
        Head::NormFace { .. } => "normface".to_string(),
        Head::ASoftmax { m, anneal } if anneal.lambda_min == 0.0 => format!("m{m}_pure"),
        Head::ASoftmax { m, .. } => format!("m{m}"),
        Head::WeightNorm => "wn".to_string(),
    }
}

// ---------------------------------------------------------------------------
// The binary regions (Figure 5.1)
// ---------------------------------------------------------------------------

/// Two class weights `θ₁₂` apart and their A-Softmax decision regions, as
/// Figure 5.1 draws them: the regions found on a grid of the circle (where
/// `ψ(θ_i) > cos θ_j`), and the closed-form angles the caption quotes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MarginDiagram {
    /// The margin parameter.
    pub m: u32,
    /// The angle between the two class weights (radians).
    pub theta12: f64,
    /// Directions of `W_1` and `W_2` (radians), symmetric about the vertical.
    pub alphas: [f64; 2],
    /// Each class's region as an arc `(from, to)` of directions (radians,
    /// counter-clockwise), found on the grid.
    pub arcs: [(f64, f64); 2],
    /// Closed form: how far a region reaches towards the other weight, `θ₁₂/(m+1)`.
    pub toward: f64,
    /// Closed form: how far it reaches away from the other weight, `θ₁₂/(m−1)`.
    pub away: f64,
    /// Closed form: the band between the regions, `(m−1)θ₁₂/(m+1)`.
    pub band: f64,
    /// The grid spacing (radians): the arcs agree with the closed forms to this.
    pub step: f64,
}

/// The regions of two classes `θ₁₂` apart for margin `m`, on a grid of
/// `grid` directions.
///
/// # Errors
/// [`Error::InvalidParameter`] for `m < 2` (the regions are then half-planes
/// with no band), or when a region does not fit the closed form's reach
/// (`θ₁₂ + θ₁₂/(m−1) > π`), or for `θ₁₂` outside `(0, π]`;
/// [`Error::TooFew`] for a grid of fewer than 8 directions.
pub fn margin_diagram(m: u32, theta12: f64, grid: usize) -> Result<MarginDiagram> {
    let band = binary_margin(m, theta12)?;
    if m < 2 || theta12 + theta12 / f64::from(m - 1) > PI {
        return Err(Error::InvalidParameter {
            name: "margin diagram",
            reason: format!("needs m ≥ 2 and θ₁₂·m/(m−1) ≤ π, got m = {m}, θ₁₂ = {theta12}"),
        });
    }
    let alphas = [PI / 2.0 + theta12 / 2.0, PI / 2.0 - theta12 / 2.0];
    let regions = regions_on_circle(&alphas, m, grid)?;
    let mut arcs = [(0.0, 0.0); 2];
    for (i, region) in regions.iter().enumerate() {
        // Offsets from the class's own weight, in (−π, π].
        let offsets = region.iter().map(|&phi| {
            let d = (phi - alphas[i]).rem_euclid(2.0 * PI);
            if d > PI { d - 2.0 * PI } else { d }
        });
        let (lo, hi) = offsets.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), d| {
            (l.min(d), h.max(d))
        });
        if !lo.is_finite() {
            return Err(Error::TooFew {
                name: "grid directions in a class region",
                needed: 1,
                got: 0,
            });
        }
        arcs[i] = (alphas[i] + lo, alphas[i] + hi);
    }
    let mf = f64::from(m);
    Ok(MarginDiagram {
        m,
        theta12,
        alphas,
        arcs,
        toward: theta12 / (mf + 1.0),
        away: theta12 / (mf - 1.0),
        band,
        step: 2.0 * PI / grid as f64,
    })
}

// ---------------------------------------------------------------------------
// ψ and the annealing schedule
// ---------------------------------------------------------------------------

/// ψ for `m = 1..4` and cos θ, against θ in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct PsiCurves {
    /// `(m, (θ°, ψ(θ)))`.
    pub psi: Vec<(u32, Curve)>,
    /// `(θ°, cos θ)`.
    pub cos: Curve,
}

/// ψ(θ) for `m = 1..4` and cos θ at `points` evenly spaced angles of `[0, π]`.
///
/// # Errors
/// [`Error::TooFew`] for fewer than two points.
pub fn psi_curves(points: usize) -> Result<PsiCurves> {
    ensure_len("curve points", points, 2)?;
    let ts: Vec<f64> = (0..points)
        .map(|i| PI * i as f64 / (points - 1) as f64)
        .collect();
    let psi = (1..=4u32)
        .map(|m| {
            let c = ts
                .iter()
                .map(|&t| Ok((t.to_degrees(), psi(t, m)?)))
                .collect::<Result<Curve>>()?;
            Ok((m, c))
        })
        .collect::<Result<_>>()?;
    Ok(PsiCurves {
        psi,
        cos: ts.iter().map(|&t| (t.to_degrees(), t.cos())).collect(),
    })
}

/// The published annealing schedule over iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnealCurves {
    /// `(t, λ_t)`.
    pub lambda: Curve,
    /// `(t, 1/(1 + λ_t))`, the weight of ψ in the target logit.
    pub psi_weight: Curve,
}

/// `λ_t` of [`Anneal::sphereface`] and the weight of ψ at `t = 1, 1 + step, …` up
/// to `last`.
///
/// # Errors
/// [`Error::TooFew`] for `last = 0` or `step = 0`.
pub fn anneal_curves(last: u64, step: usize) -> Result<AnnealCurves> {
    ensure_len("iterations", last as usize, 1)?;
    ensure_len("iteration step", step, 1)?;
    let a = Anneal::sphereface();
    let l = (1..=last)
        .step_by(step)
        .map(|t| Ok((t as f64, a.lambda(t)?)))
        .collect::<Result<Curve>>()?;
    Ok(AnnealCurves {
        psi_weight: l.iter().map(|&(t, v)| (t, 1.0 / (1.0 + v))).collect(),
        lambda: l,
    })
}

// ---------------------------------------------------------------------------
// The lower bounds on m
// ---------------------------------------------------------------------------

/// The verdict of the criterion "max intra < min inter" on sampled regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// The gap `min inter − max intra` is larger than the sampling error.
    Holds,
    /// The gap is negative beyond the sampling error.
    Fails,
    /// The gap is within the sampling error: the sampled regions cannot decide.
    Tie,
}

impl Verdict {
    /// The verdict as the table writes it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::Tie => "tie (within the grid spacing)",
        }
    }
}

// ANCHOR: verdict
/// The verdict for the gap `min inter − max intra` (radians) of regions sampled at
/// `grid` directions: a tie when the gap is within four grid spacings `h = 2π/grid`
/// (a sampled region can miss up to one step at each end, so max intra may read up
/// to `2h` short and min inter up to `2h` long), else holds or fails by its sign.
///
/// # Errors
/// [`Error::TooFew`] for `grid = 0`, [`Error::NonFinite`] for a gap that is NaN.
pub fn verdict(gap: f64, grid: usize) -> Result<Verdict> {
    ensure_len("grid directions", grid, 1)?;
    if gap.is_nan() {
        return Err(Error::NonFinite {
            name: "criterion gap",
            value: gap,
        });
    }
    let h = 4.0 * 2.0 * PI / grid as f64;
    Ok(if gap.abs() <= h {
        Verdict::Tie
    } else if gap > 0.0 {
        Verdict::Holds
    } else {
        Verdict::Fails
    })
}
// ANCHOR_END: verdict

/// The binary and ten-class criterion for one `m`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoundRow {
    /// The margin `m`.
    pub m: u32,
    /// The paper's max intra / min inter for the binary case (independent of θ₁₂).
    pub paper_ratio: f64,
    /// The largest computed ratio over the θ₁₂ sweep.
    pub worst_ratio: f64,
    /// Where it occurs (degrees).
    pub worst_at_deg: f64,
    /// The binary verdict at the worst θ₁₂.
    pub binary: Verdict,
    /// Ten uniform classes, computed: max intra (radians).
    pub uniform_max_intra: f64,
    /// Ten uniform classes, computed: min inter (radians).
    pub uniform_min_inter: f64,
    /// The paper's `2θ/(m+1)` for ten classes (radians).
    pub paper_intra: f64,
    /// The paper's `(m−1)θ/(m+1)` (radians).
    pub paper_inter: f64,
    /// The ten-class verdict.
    pub multiclass: Verdict,
}

/// One `m`'s binary ratio against θ₁₂ (degrees): computed, and the paper's formula
/// where its assumption `θ₁₂ ≤ (m−1)π/m` holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryCurve {
    /// The margin `m`.
    pub m: u32,
    /// `(θ₁₂°, max intra / min inter)` of the sampled regions.
    pub computed: Curve,
    /// `(θ₁₂°, the paper's ratio)`.
    pub paper: Curve,
}

/// What [`bounds`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    /// One row per `m = 2..5`.
    pub rows: Vec<BoundRow>,
    /// One curve per `m = 2..5`.
    pub curves: Vec<BinaryCurve>,
    /// `2 + √3`.
    pub paper_binary_bound: f64,
    /// Directions sampled on the circle.
    pub grid: usize,
}

/// The binary criterion over `plan.thetas` values of θ₁₂ from 10° to 180° (below
/// 10° the regions span only a few grid points) and the ten-class criterion with
/// uniform weights, for `m = 2..5`, on regions sampled at `plan.grid` directions.
///
/// # Errors
/// [`Error::TooFew`] for fewer than 8 grid directions or 2 values of θ₁₂.
pub fn bounds(plan: &Plan) -> Result<Bounds> {
    plan.check()?;
    let thetas: Vec<f64> = (0..plan.thetas)
        .map(|k| (10.0 + 170.0 * k as f64 / (plan.thetas - 1) as f64).to_radians())
        .collect();
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for m in 2..=5u32 {
        let mf = f64::from(m);
        let (mut computed, mut paper) = (Vec::new(), Vec::new());
        let (mut worst, mut worst_at, mut worst_gap) = (0.0f64, 0.0, 0.0);
        for &t in &thetas {
            let c = region_criterion(&[0.0, t], m, plan.grid)?;
            let ratio = c.max_intra / c.min_inter;
            if ratio > worst {
                (worst, worst_at, worst_gap) = (ratio, t.to_degrees(), c.min_inter - c.max_intra);
            }
            computed.push((t.to_degrees(), ratio));
            if t <= (mf - 1.0) * PI / mf {
                let (i, e) = paper_binary_intra_inter(mf, t);
                paper.push((t.to_degrees(), i / e));
            }
        }
        let (pi, pe) = paper_binary_intra_inter(mf, 1.0);
        let c10 = region_criterion(&uniform_directions(10), m, plan.grid)?;
        let (qi, qe) = paper_multiclass_intra_inter(mf, 10);
        rows.push(BoundRow {
            m,
            paper_ratio: pi / pe,
            worst_ratio: worst,
            worst_at_deg: worst_at,
            binary: verdict(worst_gap, plan.grid)?,
            uniform_max_intra: c10.max_intra,
            uniform_min_inter: c10.min_inter,
            paper_intra: qi,
            paper_inter: qe,
            multiclass: verdict(c10.min_inter - c10.max_intra, plan.grid)?,
        });
        curves.push(BinaryCurve { m, computed, paper });
    }
    Ok(Bounds {
        rows,
        curves,
        paper_binary_bound: paper_binary_bound(),
        grid: plan.grid,
    })
}

impl Bounds {
    /// The table `bounds` of the chapter.
    pub fn table(&self) -> Table {
        let deg = |a: f64, b: f64| format!("{:.1} / {:.1}", a.to_degrees(), b.to_degrees());
        Table {
            header: vec![
                "m",
                "binary, paper's formula: intra / inter",
                "binary, computed: worst intra / inter over θ₁₂",
                "binary criterion",
                "10 uniform classes: max intra / min inter (°), computed",
                "paper's 2θ/(m+1) / (m−1)θ/(m+1) (°)",
                "10-class criterion",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.m.to_string(),
                        format!("{:.3}", r.paper_ratio),
                        format!("{:.3} (at θ₁₂ = {:.0}°)", r.worst_ratio, r.worst_at_deg),
                        r.binary.label().into(),
                        deg(r.uniform_max_intra, r.uniform_min_inter),
                        deg(r.paper_intra, r.paper_inter),
                        r.multiclass.label().into(),
                    ]
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// The digits
// ---------------------------------------------------------------------------

/// The train/test split of the digits the training experiments use.
#[derive(Debug, Clone)]
pub struct Digits {
    /// The split (training rows cut to `plan.train_rows`).
    pub split: Split,
    /// Minibatch iterations of one training run.
    pub iterations: usize,
    /// `λ` of the published schedule at the last iteration.
    pub final_lambda: f64,
}

/// The digits split at random with `plan.seed` ([`TEST_FRACTION`] held out), the
/// training set cut to its first `plan.train_rows` rows.
///
/// # Errors
/// The loader's errors; [`Error::TooFew`] for a plan with zero sizes or
/// `train_rows` below one minibatch.
pub fn digits(plan: &Plan) -> Result<Digits> {
    plan.check()?;
    let mut split = digits::split(TEST_FRACTION, plan.seed)?;
    if let Some(n) = plan.train_rows {
        let rows: Vec<usize> = (0..n.min(split.train_y.len())).collect();
        split.train_x = split.train_x.select_rows(&rows);
        split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
    }
    let iterations = plan.epochs * split.train_y.len().div_ceil(BATCH);
    Ok(Digits {
        final_lambda: Anneal::sphereface().lambda(iterations as u64)?,
        split,
        iterations,
    })
}

// ---------------------------------------------------------------------------
// Closed set
// ---------------------------------------------------------------------------

/// One trained network and what the chapter measures on its test features.
#[derive(Debug, Clone)]
pub struct Model {
    /// The head.
    pub head: Head,
    /// Feature dimension.
    pub dim: usize,
    /// The seed of its initialisation (`1000 + seed`) and minibatch order.
    pub seed: u64,
    /// Per-epoch loss and test accuracy.
    pub stats: Vec<EpochStats>,
    /// Accuracy on the training set after training.
    pub train_acc: f64,
    /// Test features, one row per test digit.
    pub test_feats: DMatrix<f64>,
    /// Class weights, one row per class.
    pub weights: DMatrix<f64>,
    /// The criterion on the test features.
    pub crit: FeatureCriterion,
    /// Angle (radians) between each test feature and its class weight.
    pub angles: Vec<f64>,
}

impl Model {
    /// Test accuracy after the last epoch.
    pub fn test_acc(&self) -> f64 {
        self.stats.last().map_or(f64::NAN, |s| s.accuracy)
    }
}

/// A training set and the evaluation set of one experiment.
struct Sets<'a> {
    tr: &'a Data,
    te: &'a Data,
    test_y: &'a [usize],
}

fn fit(
    plan: &Plan,
    head: Head,
    (dim, classes): (usize, usize),
    seed: u64,
    sets: &Sets,
) -> Result<(Model, FeatureNet)> {
    let net = FeatureNet::new(64, HIDDEN, dim, classes, 1000 + seed, &plan.device)?;
    let cfg = TrainConfig {
        epochs: plan.epochs,
        batch: BATCH,
        lr: LR,
        seed,
    };
    let stats = train(&net, &head, sets.tr, sets.te, &cfg)?;
    let train_acc = crate::nn::train::accuracy(&net, sets.tr, &head)?;
    let test_feats = feature_matrix(&net, &sets.te.x)?;
    let weights = weight_matrix(&net)?;
    let model = Model {
        head,
        dim,
        seed,
        stats,
        train_acc,
        crit: feature_criterion(&test_feats, sets.test_y)?,
        angles: angles_to_own_weight(&test_feats, &weights, sets.test_y)?,
        test_feats,
        weights,
    };
    Ok((model, net))
}

/// Every closed-set model: each of [`all_heads`], each dimension of
/// [`CLOSED_DIMS`], each seed.
#[derive(Debug, Clone)]
pub struct ClosedSet {
    /// The models, by dimension, then head, then seed.
    pub models: Vec<Model>,
    /// The first seed.
    pub seed: u64,
}

/// One row of the closed-set table: means over seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClosedRow {
    /// Feature dimension.
    pub dim: usize,
    /// The head.
    pub head: Head,
    /// Mean training accuracy.
    pub train_acc: f64,
    /// Mean test accuracy.
    pub test_acc: f64,
    /// Lowest and highest test accuracy over seeds.
    pub test_acc_range: (f64, f64),
    /// Mean angle between a test feature and its class weight (degrees).
    pub mean_angle_deg: f64,
    /// Mean over seeds of max intra / min inter (degrees).
    pub max_intra_deg: f64,
    /// See `max_intra_deg`.
    pub min_inter_deg: f64,
    /// Mean over seeds of the 95th percentile of same-class angles (degrees).
    pub intra_p95_deg: f64,
    /// Mean over seeds of the 5th percentile of different-class angles (degrees).
    pub inter_p05_deg: f64,
    /// Seeds in which the strict criterion holds.
    pub holds: usize,
    /// Seeds.
    pub runs: usize,
}

/// Trains every closed-set model on `data` (ten classes, `plan.seeds` seeds).
///
/// # Errors
/// The trainer's errors (see [`crate::nn::train::train_with_optimizer`]).
pub fn closed_set(plan: &Plan, data: &Digits) -> Result<ClosedSet> {
    plan.check()?;
    let s = &data.split;
    let tr = Data::new(&s.train_x, &s.train_y, DType::F32, &plan.device)?;
    let te = Data::new(&s.test_x, &s.test_y, DType::F32, &plan.device)?;
    let sets = Sets {
        tr: &tr,
        te: &te,
        test_y: &s.test_y,
    };
    let mut models = Vec::new();
    for dim in CLOSED_DIMS {
        for head in all_heads() {
            for k in 0..plan.seeds {
                models.push(fit(plan, head, (dim, 10), plan.seed + k, &sets)?.0);
            }
        }
    }
    Ok(ClosedSet {
        models,
        seed: plan.seed,
    })
}

impl ClosedSet {
    /// The models of one dimension and head, in seed order.
    pub fn of(&self, dim: usize, head: &Head) -> Vec<&Model> {
        self.models
            .iter()
            .filter(|m| m.dim == dim && m.head == *head)
            .collect()
    }

    /// The first seed's model of each of [`heads`] at dimension `dim`.
    pub fn first_seed(&self, dim: usize) -> Vec<&Model> {
        heads()
            .iter()
            .filter_map(|h| {
                self.models
                    .iter()
                    .find(|m| m.dim == dim && m.head == *h && m.seed == self.seed)
            })
            .collect()
    }

    /// One row per dimension and head of [`all_heads`] that has models.
    pub fn rows(&self) -> Vec<ClosedRow> {
        let mut rows = Vec::new();
        for dim in CLOSED_DIMS {
            for head in all_heads() {
                let ms = self.of(dim, &head);
                if ms.is_empty() {
                    continue;
                }
                let acc: Vec<f64> = ms.iter().map(|m| m.test_acc()).collect();
                let lo = acc.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let deg = |f: &dyn Fn(&FeatureCriterion) -> f64| {
                    mean(ms.iter().map(|m| f(&m.crit).to_degrees()))
                };
                rows.push(ClosedRow {
                    dim,
                    head,
                    train_acc: mean(ms.iter().map(|m| m.train_acc)),
                    test_acc: mean(acc.iter().copied()),
                    test_acc_range: (lo, hi),
                    mean_angle_deg: mean(
                        ms.iter()
                            .map(|m| mean(m.angles.iter().copied()).to_degrees()),
                    ),
                    max_intra_deg: deg(&|c| c.max_intra),
                    min_inter_deg: deg(&|c| c.min_inter),
                    intra_p95_deg: deg(&|c| c.intra_p95),
                    inter_p05_deg: deg(&|c| c.inter_p05),
                    holds: ms.iter().filter(|m| m.crit.holds()).count(),
                    runs: ms.len(),
                });
            }
        }
        rows
    }

    /// The table `closed_set` of the chapter.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "d",
                "head",
                "train acc.",
                "test acc. (range over seeds)",
                "mean angle to own weight (°)",
                "max intra / min inter (°)",
                "95 % intra / 5 % inter (°)",
                "strict criterion holds",
            ],
            rows: self
                .rows()
                .iter()
                .map(|r| {
                    vec![
                        r.dim.to_string(),
                        head_label(&r.head),
                        format!("{:.3}", r.train_acc),
                        format!(
                            "{:.3} ({:.3}–{:.3})",
                            r.test_acc, r.test_acc_range.0, r.test_acc_range.1
                        ),
                        format!("{:.1}", r.mean_angle_deg),
                        format!("{:.1} / {:.1}", r.max_intra_deg, r.min_inter_deg),
                        format!("{:.1} / {:.1}", r.intra_p95_deg, r.inter_p05_deg),
                        format!("{} of {}", r.holds, r.runs),
                    ]
                })
                .collect(),
        }
    }

    /// Median wall time of one epoch over every model and epoch (milliseconds).
    ///
    /// # Errors
    /// [`Error::TooFew`] if there is no model.
    pub fn epoch_ms(&self) -> Result<f64> {
        let mut s: Vec<f64> = self
            .models
            .iter()
            .flat_map(|m| m.stats.iter().map(|s| s.seconds))
            .collect();
        ensure_len("epochs timed", s.len(), 1)?;
        s.sort_by(f64::total_cmp);
        Ok(1000.0 * s[s.len() / 2])
    }

    /// The epochs and each seed's test accuracy per epoch, for one dimension and head.
    ///
    /// # Errors
    /// [`Error::TooFew`] if there is no such model; [`Error::ShapeMismatch`] if
    /// the seeds trained for different numbers of epochs (a run stopped early).
    pub fn accuracy_runs(&self, dim: usize, head: &Head) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        let ms = self.of(dim, head);
        ensure_len("models of this head", ms.len(), 1)?;
        let xs: Vec<f64> = ms[0].stats.iter().map(|s| s.epoch as f64).collect();
        let runs: Vec<Vec<f64>> = ms
            .iter()
            .map(|m| m.stats.iter().map(|s| s.accuracy).collect())
            .collect();
        if let Some(r) = runs.iter().find(|r| r.len() != xs.len()) {
            return Err(Error::ShapeMismatch {
                what: "epochs per seed",
                expected: xs.len().to_string(),
                got: r.len().to_string(),
            });
        }
        Ok((xs, runs))
    }

    /// Histogram of the angle between a test feature and its class weight, over
    /// every seed of one dimension and head: `(bin centre°, fraction)` for `bins`
    /// bins of `width` degrees from 0 (angles beyond the last bin count in it).
    ///
    /// # Errors
    /// [`Error::TooFew`] for no bins or no angles; [`Error::InvalidParameter`]
    /// for a width that is not positive.
    pub fn angle_histogram(
        &self,
        dim: usize,
        head: &Head,
        width: f64,
        bins: usize,
    ) -> Result<Curve> {
        ensure_len("bins", bins, 1)?;
        if !(width > 0.0 && width.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "bin width",
                reason: format!("must be a positive number of degrees, got {width}"),
            });
        }
        let angles: Vec<f64> = self
            .of(dim, head)
            .iter()
            .flat_map(|m| m.angles.iter().map(|a| a.to_degrees()))
            .collect();
        ensure_len("angles", angles.len(), 1)?;
        let mut h = vec![0.0; bins];
        for a in &angles {
            h[((a / width) as usize).min(bins - 1)] += 1.0;
        }
        Ok(h.iter()
            .enumerate()
            .map(|(i, c)| (width * (i as f64 + 0.5), c / angles.len() as f64))
            .collect())
    }

    /// Largest over median test-feature norm of the first seed's model of `head`
    /// at dimension `dim` (the radial spread of its features).
    ///
    /// # Errors
    /// [`Error::TooFew`] if there is no such model.
    pub fn norm_ratio(&self, dim: usize, head: &Head) -> Result<f64> {
        let m = self
            .of(dim, head)
            .into_iter()
            .find(|m| m.seed == self.seed)
            .ok_or(Error::TooFew {
                name: "models of this head and dimension",
                needed: 1,
                got: 0,
            })?;
        let mut n: Vec<f64> = m.test_feats.row_iter().map(|r| r.norm()).collect();
        ensure_len("test features", n.len(), 1)?;
        n.sort_by(f64::total_cmp);
        Ok(n[n.len() - 1] / n[n.len() / 2])
    }
}

/// A panel of learned features: points, their digits and the class weights.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturePanel {
    /// The head's name.
    pub title: String,
    /// One point per test feature: the 2-D feature itself, or (longitude°,
    /// latitude°) of a 3-D feature's direction.
    pub points: Vec<(f64, f64)>,
    /// The digit of each point.
    pub labels: Vec<usize>,
    /// One point per class weight, in the same coordinates (2-D: the unit
    /// direction).
    pub weights: Vec<(f64, f64)>,
}

/// The first seed's 2-D test features of each of [`heads`].
///
/// # Errors
/// [`Error::ShapeMismatch`] if the models are not 2-D.
pub fn panels_2d(closed: &ClosedSet, labels: &[usize]) -> Result<Vec<FeaturePanel>> {
    closed
        .first_seed(2)
        .into_iter()
        .map(|m| {
            let (f, w) = (&m.test_feats, &m.weights);
            if f.ncols() != 2 || w.ncols() != 2 || f.nrows() != labels.len() {
                return Err(Error::ShapeMismatch {
                    what: "2-D feature panel",
                    expected: format!("{} × 2 features and 2-D weights", labels.len()),
                    got: format!("{} × {} and {}-D", f.nrows(), f.ncols(), w.ncols()),
                });
            }
            let weights = w
                .row_iter()
                .map(|r| {
                    let n = r.norm().max(f64::MIN_POSITIVE);
                    (r[0] / n, r[1] / n)
                })
                .collect();
            Ok(FeaturePanel {
                title: m.head.name(),
                points: f.row_iter().map(|r| (r[0], r[1])).collect(),
                labels: labels.to_vec(),
                weights,
            })
        })
        .collect()
}

/// The first seed's 3-D test feature directions of each of [`heads`] as
/// longitude and latitude, each panel in the frame [`MapFrame::choose`] turns so
/// that no cluster straddles the map's edge.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the models are not 3-D; [`MapFrame`]'s errors
/// for a zero feature.
pub fn panels_3d(closed: &ClosedSet, labels: &[usize]) -> Result<Vec<FeaturePanel>> {
    closed
        .first_seed(3)
        .into_iter()
        .map(|m| {
            let (f, w) = (&m.test_feats, &m.weights);
            if f.nrows() != labels.len() {
                return Err(Error::ShapeMismatch {
                    what: "3-D feature panel",
                    expected: format!("{} features", labels.len()),
                    got: f.nrows().to_string(),
                });
            }
            // The seam passes clear of the features and of the class weights.
            let frame = MapFrame::choose(&stack(f, w)?)?;
            Ok(FeaturePanel {
                title: m.head.name(),
                points: frame.lon_lat_rows(f)?,
                labels: labels.to_vec(),
                weights: frame.lon_lat_rows(w)?,
            })
        })
        .collect()
}

/// The rows of `a` followed by the rows of `b`.
fn stack(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    if a.ncols() != b.ncols() {
        return Err(Error::ShapeMismatch {
            what: "rows to stack",
            expected: format!("{} columns", a.ncols()),
            got: b.ncols().to_string(),
        });
    }
    Ok(DMatrix::from_fn(
        a.nrows() + b.nrows(),
        a.ncols(),
        |r, c| {
            if r < a.nrows() {
                a[(r, c)]
            } else {
                b[(r - a.nrows(), c)]
            }
        },
    ))
}

// ---------------------------------------------------------------------------
// Open set
// ---------------------------------------------------------------------------

/// The open-set protocol's data: digits `0..SEEN` to train and test on, every
/// image of the other digits (training and test images) to verify.
#[derive(Debug, Clone)]
pub struct OpenSplit {
    /// Training images of the seen digits.
    pub seen_train: (DMatrix<f64>, Vec<usize>),
    /// Test images of the seen digits.
    pub seen_test: (DMatrix<f64>, Vec<usize>),
    /// Every image of the unseen digits: training images first, then test images.
    pub unseen: (DMatrix<f64>, Vec<usize>),
}

/// Splits `split` into the digits below `seen` and the others.
///
/// # Errors
/// [`Error::InvalidParameter`] if `seen` leaves fewer than two seen or two
/// unseen digits (labels are 0–9); [`Error::ShapeMismatch`] if inputs and
/// labels differ in length.
pub fn open_split(split: &Split, seen: usize) -> Result<OpenSplit> {
    if !(2..=8).contains(&seen) {
        return Err(Error::InvalidParameter {
            name: "seen digits",
            reason: format!("need 2 to 8 seen digits of 0–9, got {seen}"),
        });
    }
    for (x, y) in [
        (&split.train_x, &split.train_y),
        (&split.test_x, &split.test_y),
    ] {
        if x.nrows() != y.len() {
            return Err(Error::ShapeMismatch {
                what: "digits split",
                expected: format!("{} labels", x.nrows()),
                got: y.len().to_string(),
            });
        }
    }
    let pick = |x: &DMatrix<f64>, y: &[usize], keep: bool| {
        let rows: Vec<usize> = (0..y.len()).filter(|&r| (y[r] < seen) == keep).collect();
        (x.select_rows(&rows), rows.iter().map(|&r| y[r]).collect())
    };
    let (ux1, uy1): (DMatrix<f64>, Vec<usize>) = pick(&split.train_x, &split.train_y, false);
    let (ux2, uy2): (DMatrix<f64>, Vec<usize>) = pick(&split.test_x, &split.test_y, false);
    Ok(OpenSplit {
        seen_train: pick(&split.train_x, &split.train_y, true),
        seen_test: pick(&split.test_x, &split.test_y, true),
        unseen: (stack(&ux1, &ux2)?, uy1.into_iter().chain(uy2).collect()),
    })
}

/// One row of the open-set table: means over seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpenRow {
    /// Head and similarity, as the table writes them.
    pub label: String,
    /// The head.
    pub head: Head,
    /// Whether pairs are compared by cosine (else by negative Euclidean distance).
    pub cosine: bool,
    /// Mean closed-set test accuracy on the seen digits.
    pub accuracy: f64,
    /// Mean TAR at FAR = 1e-2 on the unseen digits.
    pub tar_1e2: f64,
    /// Mean TAR at FAR = 1e-3.
    pub tar_1e3: f64,
    /// Mean AUC.
    pub auc: f64,
    /// Seeds in which the strict criterion holds on the unseen digits.
    pub holds: usize,
    /// Seeds.
    pub runs: usize,
}

/// What [`open_set`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSet {
    /// One row per head and similarity.
    pub rows: Vec<OpenRow>,
    /// Every seed's ROC `(FAR, TAR)` of each row, labelled as the row.
    pub curves: Vec<(String, Vec<Curve>)>,
}

#[derive(Default)]
struct Sums {
    tar2: f64,
    tar3: f64,
    auc: f64,
    curves: Vec<Curve>,
}

/// Trains [`OPEN_DIM`]-dimensional features of each of [`open_heads`] on the
/// digits below [`SEEN`] and verifies all pairs of the unseen digits: by cosine,
/// and for the non-angular softmax also by Euclidean distance.
///
/// # Errors
/// [`open_split`]'s, the trainer's and the metrics' errors.
pub fn open_set(plan: &Plan, data: &Digits) -> Result<OpenSet> {
    plan.check()?;
    let o = open_split(&data.split, SEEN)?;
    let tr = Data::new(&o.seen_train.0, &o.seen_train.1, DType::F32, &plan.device)?;
    let te = Data::new(&o.seen_test.0, &o.seen_test.1, DType::F32, &plan.device)?;
    let (ux, uy) = (&o.unseen.0, &o.unseen.1);
    let ux_t = to_tensor(ux, DType::F32, &plan.device)?;
    let sets = Sets {
        tr: &tr,
        te: &te,
        test_y: &o.seen_test.1,
    };
    let (mut rows, mut curves) = (Vec::new(), Vec::new());
    for head in open_heads() {
        let sims: &[Similarity] = if head.angular() {
            &[Similarity::Cosine]
        } else {
            &[Similarity::Cosine, Similarity::NegEuclidean]
        };
        let mut sums: Vec<Sums> = sims.iter().map(|_| Sums::default()).collect();
        let (mut acc, mut holds) = (0.0, 0);
        for k in 0..plan.seeds {
            let (m, net) = fit(plan, head, (OPEN_DIM, SEEN), plan.seed + k, &sets)?;
            acc += m.test_acc();
            // Features of the unseen classes from the trained network.
            let f = feature_matrix(&net, &ux_t)?;
            for (sim, s) in sims.iter().zip(&mut sums) {
                let (g, i) = pair_scores(&f, uy, *sim)?;
                s.tar2 += tar_at_far(&g, &i, 1e-2)?;
                s.tar3 += tar_at_far(&g, &i, 1e-3)?;
                s.auc += auc(&g, &i)?;
                s.curves.push(roc(&g, &i)?);
            }
            if feature_criterion(&f, uy)?.holds() {
                holds += 1;
            }
        }
        let n = plan.seeds as f64;
        for (sim, s) in sims.iter().zip(sums) {
            let cosine = *sim == Similarity::Cosine;
            let label = format!(
                "{}, {}",
                head_label(&head),
                if cosine { "cosine" } else { "Euclidean" }
            );
            curves.push((label.clone(), s.curves));
            rows.push(OpenRow {
                label,
                head,
                cosine,
                accuracy: acc / n,
                tar_1e2: s.tar2 / n,
                tar_1e3: s.tar3 / n,
                auc: s.auc / n,
                holds,
                runs: plan.seeds as usize,
            });
        }
    }
    Ok(OpenSet { rows, curves })
}

impl OpenSet {
    /// Each row's TAR at each of `fars`, one run per seed (see [`tar_on_grid`]):
    /// `(label, runs)` with `runs[seed][i]` the TAR at `fars[i]`.
    ///
    /// # Errors
    /// As [`tar_on_grid`].
    pub fn tar_runs(&self, fars: &[f64]) -> Result<Vec<(String, Vec<Vec<f64>>)>> {
        self.curves
            .iter()
            .map(|(label, runs)| {
                let r = runs
                    .iter()
                    .map(|c| tar_on_grid(c, fars))
                    .collect::<Result<_>>()?;
                Ok((label.clone(), r))
            })
            .collect()
    }

    /// The table `open_set` of the chapter.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "features (d = 8), similarity",
                "closed-set accuracy on digits 0–6",
                "TAR @ FAR = 1e-2, digits 7–9",
                "TAR @ FAR = 1e-3",
                "AUC",
                "strict criterion holds on 7–9",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.label.clone(),
                        format!("{:.3}", r.accuracy),
                        format!("{:.3}", r.tar_1e2),
                        format!("{:.3}", r.tar_1e3),
                        format!("{:.3}", r.auc),
                        format!("{} of {}", r.holds, r.runs),
                    ]
                })
                .collect(),
        }
    }
}

/// The TAR a ROC curve reaches at each false accept rate of `fars`: the TAR of
/// its last point whose FAR is at most that rate (0 if none is), so runs with
/// different thresholds can be averaged at common rates.
///
/// # Errors
/// [`Error::TooFew`] for an empty curve; [`Error::InvalidParameter`] for a rate
/// outside `[0, 1]` or a curve whose FARs decrease.
pub fn tar_on_grid(roc: &[(f64, f64)], fars: &[f64]) -> Result<Vec<f64>> {
    ensure_len("ROC points", roc.len(), 1)?;
    if roc.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(Error::InvalidParameter {
            name: "ROC",
            reason: "the false accept rates of a ROC curve must not decrease".into(),
        });
    }
    fars.iter()
        .map(|&f| {
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::InvalidParameter {
                    name: "FAR",
                    reason: format!("a false accept rate lies in [0, 1], got {f}"),
                });
            }
            let n = roc.partition_point(|p| p.0 <= f);
            Ok(if n == 0 { 0.0 } else { roc[n - 1].1 })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Benchmark
// ---------------------------------------------------------------------------

/// One benchmark measurement of a head: forward (logits and cross-entropy) and
/// backward, f32.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchRow {
    /// The head's name.
    pub head: String,
    /// Batch size.
    pub batch: usize,
    /// Feature dimension.
    pub dim: usize,
    /// Classes.
    pub classes: usize,
    /// Median time (ms).
    pub median_ms: f64,
    /// 10th percentile (ms).
    pub p10_ms: f64,
    /// 90th percentile (ms).
    pub p90_ms: f64,
}

/// Times softmax and A-Softmax `m = 4` forward+backward on random features and
/// weights, `plan.bench_reps` times after two warm-up runs, at the digits' size
/// (64 × 3 × 10) and a face-recognition size (256 × 512 × 1000).
///
/// # Errors
/// [`Error::TooFew`] for zero repetitions; [`Error::Candle`] from the tensors.
pub fn bench(plan: &Plan) -> Result<Vec<BenchRow>> {
    ensure_len("benchmark repetitions", plan.bench_reps, 1)?;
    let device = &plan.device;
    let mut rows = Vec::new();
    for (b, d, c) in [(64usize, 3usize, 10usize), (256, 512, 1000)] {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, d), device)?)?;
        let w = Var::from_tensor(&Tensor::randn(0f32, 1.0, (c, d), device)?)?;
        let bias = Tensor::zeros(c, DType::F32, device)?;
        let labels: Vec<u32> = (0..b as u32).map(|i| i % c as u32).collect();
        let y = Tensor::from_vec(labels, b, device)?;
        for head in [
            Head::Softmax { bias: false },
            Head::ASoftmax {
                m: 4,
                anneal: Anneal::sphereface(),
            },
        ] {
            let [p10_ms, median_ms, p90_ms] = time_steps(plan.bench_reps, || {
                let z = head.logits(x.as_tensor(), w.as_tensor(), &bias, Some(&y), 5.0)?;
                let g = candle_nn::loss::cross_entropy(&z, &y)?.backward()?;
                let _ = g.get(x.as_tensor());
                Ok(())
            })?;
            rows.push(BenchRow {
                head: head.name(),
                batch: b,
                dim: d,
                classes: c,
                median_ms,
                p10_ms,
                p90_ms,
            });
        }
    }
    Ok(rows)
}

/// What the A-Softmax head's time is made of, at the face-recognition size
/// (256 × 512 × 1000, f32), each forward and backward, `reps` times after two
/// warm-up runs: the matrix product `x Wᵀ` alone, the softmax head (product
/// and cross-entropy), and A-Softmax `m = 4` (λ = 5) unfused
/// ([`super::train::a_softmax_logits`]) and fused
/// ([`super::fused::a_softmax_logits_fused`]), so that a peer can be compared
/// part by part and the fused head against the unfused one in one run.
///
/// # Errors
/// [`Error::TooFew`] for zero repetitions; [`Error::Candle`] from the tensors.
pub fn bench_head_parts(reps: usize, device: &Device) -> Result<Vec<BenchRow>> {
    ensure_len("benchmark repetitions", reps, 1)?;
    let (b, d, c) = (256usize, 512usize, 1000usize);
    let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, d), device)?)?;
    let w = Var::from_tensor(&Tensor::randn(0f32, 1.0, (c, d), device)?)?;
    let labels: Vec<u32> = (0..b as u32).map(|i| i % c as u32).collect();
    let y = Tensor::from_vec(labels, b, device)?;
    let (xt, wt) = (x.as_tensor(), w.as_tensor());
    type Part<'a> = (&'a str, Box<dyn Fn() -> Result<Tensor> + 'a>);
    let ce = |z: Tensor| -> Result<Tensor> { Ok(candle_nn::loss::cross_entropy(&z, &y)?) };
    let parts: Vec<Part> = vec![
        (
            "matmul x Wᵀ",
            Box::new(|| Ok(xt.matmul(&wt.t()?)?.sum_all()?)),
        ),
        ("softmax", Box::new(|| ce(xt.matmul(&wt.t()?)?))),
        (
            "A-Softmax m=4, unfused",
            Box::new(|| ce(super::train::a_softmax_logits(xt, wt, &y, 4, 5.0)?)),
        ),
        (
            "A-Softmax m=4, fused",
            Box::new(|| ce(super::fused::a_softmax_logits_fused(xt, wt, &y, 4, 5.0)?)),
        ),
    ];
    let mut rows = Vec::new();
    for (name, loss) in parts {
        let [p10_ms, median_ms, p90_ms] = time_steps(reps, || {
            let _ = loss()?.backward()?.get(xt);
            Ok(())
        })?;
        rows.push(BenchRow {
            head: name.into(),
            batch: b,
            dim: d,
            classes: c,
            median_ms,
            p10_ms,
            p90_ms,
        });
    }
    Ok(rows)
}

/// Runs `step` twice to warm up, then `reps` times, and returns the 10th, 50th
/// and 90th percentiles of its wall time in milliseconds.
fn time_steps(reps: usize, mut step: impl FnMut() -> Result<()>) -> Result<[f64; 3]> {
    let mut times = Vec::new();
    for rep in 0..reps + 2 {
        let t0 = Instant::now();
        step()?;
        if rep >= 2 {
            times.push(1000.0 * t0.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Ok([q(0.1), q(0.5), q(0.9)])
}

/// The table `bench` of the chapter.
pub fn bench_table(rows: &[BenchRow]) -> Table {
    Table {
        header: vec![
            "head",
            "batch × d × classes",
            "forward+backward, median (ms)",
            "p10–p90 (ms)",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.head.clone(),
                    format!("{} × {} × {}", r.batch, r.dim, r.classes),
                    format!("{:.3}", r.median_ms),
                    format!("{:.3}–{:.3}", r.p10_ms, r.p90_ms),
                ]
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Seen against unseen digits, over seeds (closed set vs open set)
// ---------------------------------------------------------------------------

/// The heads of [`seen_unseen`]: softmax without bias, then A-Softmax `m = 4`
/// with the published annealing.
pub fn seen_unseen_heads() -> [Head; 2] {
    [
        Head::Softmax { bias: false },
        Head::ASoftmax {
            m: 4,
            anneal: Anneal::sphereface(),
        },
    ]
}

/// One head of [`seen_unseen`]: one value per seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenUnseenHead {
    /// The head.
    pub head: Head,
    /// Accuracy on the training digits (the seen classes).
    pub train_acc: Vec<f64>,
    /// Cosine AUC on pairs of test digits of the seen classes.
    pub auc_seen: Vec<f64>,
    /// Cosine AUC on pairs of the unseen digits.
    pub auc_unseen: Vec<f64>,
    /// Mean angle (degrees) between a seen test feature and its class weight.
    pub angle_deg: Vec<f64>,
    /// Seeds in which the strict criterion (max intra < min inter angle) held
    /// on the seen test digits or on the unseen digits.
    pub criterion_holds: usize,
}

impl SeenUnseenHead {
    /// `auc_seen − auc_unseen`, paired over seeds.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 seeds.
    pub fn gap(&self) -> Result<SeedStats> {
        let d = self
            .auc_seen
            .iter()
            .zip(&self.auc_unseen)
            .map(|(a, b)| a - b);
        SeedStats::new(d.collect())
    }
}

/// Features trained to classify the seen digits, verified on seen and unseen ones.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenUnseen {
    /// Softmax, then A-Softmax ([`seen_unseen_heads`]).
    pub heads: Vec<SeenUnseenHead>,
}

impl SeenUnseen {
    /// Softmax's mean angle to the class weight minus A-Softmax's, paired over seeds.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than 2 seeds.
    pub fn angle_gap(&self) -> Result<SeedStats> {
        let (a, b) = (&self.heads[0].angle_deg, &self.heads[1].angle_deg);
        SeedStats::new(a.iter().zip(b).map(|(x, y)| x - y).collect())
    }

    /// The table: one row per head, mean ± sd over seeds.
    ///
    /// # Errors
    /// As [`SeenUnseenHead::gap`].
    pub fn table(&self) -> Result<Table> {
        let st = |v: &[f64], d: usize| Ok::<_, Error>(SeedStats::new(v.to_vec())?.show(d));
        let mut rows = Vec::new();
        for h in &self.heads {
            rows.push(vec![
                head_label(&h.head),
                st(&h.train_acc, 3)?,
                st(&h.auc_seen, 3)?,
                st(&h.auc_unseen, 3)?,
                h.gap()?.show(3),
                st(&h.angle_deg, 1)?,
                format!("{} of {}", h.criterion_holds, h.auc_seen.len()),
            ]);
        }
        Ok(Table {
            header: vec![
                "head (d = 8)",
                "training accuracy",
                "AUC, seen digits",
                "AUC, unseen digits",
                "seen − unseen (paired)",
                "angle to own weight (°)",
                "strict criterion met",
            ],
            rows,
        })
    }
}

/// Trains each of [`seen_unseen_heads`] on the digits below [`SEEN`] with
/// `plan.seeds` seeds and verifies pairs of held-out seen digits and of the
/// unseen digits by cosine similarity.
///
/// # Errors
/// [`Error::TooFew`] for fewer than 2 seeds; [`open_split`]'s, the trainer's
/// and the metrics' errors.
pub fn seen_unseen(plan: &Plan, data: &Digits) -> Result<SeenUnseen> {
    plan.check()?;
    ensure_len("seeds", plan.seeds as usize, 2)?;
    let o = open_split(&data.split, SEEN)?;
    let tr = Data::new(&o.seen_train.0, &o.seen_train.1, DType::F32, &plan.device)?;
    let te = Data::new(&o.seen_test.0, &o.seen_test.1, DType::F32, &plan.device)?;
    let (ux, uy) = (&o.unseen.0, &o.unseen.1);
    let ux_t = to_tensor(ux, DType::F32, &plan.device)?;
    let sets = Sets {
        tr: &tr,
        te: &te,
        test_y: &o.seen_test.1,
    };
    let cos_auc = |f: &DMatrix<f64>, y: &[usize]| -> Result<f64> {
        let (g, i) = pair_scores(f, y, Similarity::Cosine)?;
        auc(&g, &i)
    };
    let mut heads = Vec::new();
    for head in seen_unseen_heads() {
        let mut h = SeenUnseenHead {
            head,
            train_acc: Vec::new(),
            auc_seen: Vec::new(),
            auc_unseen: Vec::new(),
            angle_deg: Vec::new(),
            criterion_holds: 0,
        };
        for k in 0..plan.seeds {
            let (m, net) = fit(plan, head, (OPEN_DIM, SEEN), plan.seed + k, &sets)?;
            let fu = feature_matrix(&net, &ux_t)?;
            h.train_acc.push(m.train_acc);
            h.auc_seen.push(cos_auc(&m.test_feats, &o.seen_test.1)?);
            h.auc_unseen.push(cos_auc(&fu, uy)?);
            h.angle_deg
                .push(m.angles.iter().sum::<f64>() / m.angles.len() as f64 * 180.0 / PI);
            if m.crit.holds() || feature_criterion(&fu, uy)?.holds() {
                h.criterion_holds += 1;
            }
        }
        heads.push(h);
    }
    Ok(SeenUnseen { heads })
}
