//! Every experiment of the chapter: a plan in, plain results out, and the
//! decision rule of every verdict the ledger reports.

use std::collections::BTreeMap;

use candle_core::{DType, Device};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::age::{AgedSet, Nuisance};
use super::decompose::{AgeField, Geometry, IdentityField, OeParams, radial_tangential};
use super::patches::{matched_hidden, occlude, quadrants, take};
use super::train::{Method, Model, Settings};
use super::verify::{age_probe, cross_age_pairs, normalize_rows, r_squared, scores};
use crate::data::digits;
use crate::diff::gradient;
use crate::error::{Error, Result, ensure_len};
use crate::nn::feature::{feature_matrix, weight_matrix};
use crate::nn::metrics::{Similarity, auc, pair_scores, tar_at_far};
use crate::nn::train::train;
use crate::nn::{Data, FeatureNet, TrainConfig, to_tensor};
use crate::softmax::train::Head;

pub use crate::run::Table;

/// Age gap of a genuine cross-age pair.
pub const GAP: f64 = 0.5;
/// Largest age difference of an impostor (matched-age) pair.
pub const TOL: f64 = 0.1;
/// The false accept rates the tables report.
pub const FARS: [f64; 2] = [1e-2, 1e-3];
/// Ridge penalty of the age probe.
pub const RIDGE: f64 = 1e-3;
/// Fraction of the digits held out for testing.
pub const TEST_FRACTION: f64 = 0.2;

/// Sizes, seeds and device of one run of the chapter's experiments.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seeds per method: `seed, seed + 1, …`.
    pub seeds: u64,
    /// The first seed (also the seed of the split and the rendering).
    pub seed: u64,
    /// Renderings of each training image at random ages.
    pub copies: usize,
    /// Renderings of each test image.
    pub test_copies: usize,
    /// Only the first training images (`None`: all).
    pub train_rows: Option<usize>,
    /// Only the first test images (`None`: all).
    pub test_rows: Option<usize>,
    /// Network sizes and loss weights.
    pub settings: Settings,
    /// Points of the automatic-differentiation orthogonality check.
    pub ortho_points: usize,
    /// Where the tensors live.
    pub device: Device,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64, device: Device) -> Plan {
        Plan {
            seeds: 5,
            seed,
            copies: 3,
            test_copies: 2,
            train_rows: None,
            test_rows: None,
            settings: Settings {
                hidden: 64,
                dim: 16,
                epochs: 20,
                batch: 64,
                lr: 0.01,
                scale: 10.0,
                m: 4,
                lambda_age: 1.0,
                lambda_verif: 0.05,
                margin: 2.0,
            },
            ortho_points: 2000,
            device,
        }
    }

    /// Tiny sizes that run in seconds in a debug build (`--quick`, the tests):
    /// three seeds, few images, few epochs.
    pub fn quick(seed: u64, device: Device) -> Plan {
        let full = Plan::full(seed, device);
        Plan {
            seeds: 3,
            copies: 2,
            train_rows: Some(300),
            test_rows: Some(100),
            settings: Settings {
                epochs: 4,
                batch: 32,
                ..full.settings
            },
            ortho_points: 50,
            ..full
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

    fn seeds(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.seeds).map(move |k| self.seed + k)
    }
}

/// Mean and sample standard deviation (`n − 1`; 0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

/// "mean ± std" with `d` decimals.
pub fn pm(v: &[f64], d: usize) -> String {
    let (m, s) = mean_std(v);
    format!("{m:.d$} ± {s:.d$}")
}

// ANCHOR: contrast
/// How two sets of per-seed values compare: the difference of the means
/// `a − b` against twice its standard error `√(s_a²/n_a + s_b²/n_b)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Contrast {
    /// `mean(a) − mean(b)`.
    pub diff: f64,
    /// Standard error of the difference.
    pub se: f64,
}

impl Contrast {
    /// Compares `a` with `b`.
    ///
    /// # Errors
    /// [`Error::TooFew`] for fewer than two values on either side.
    pub fn of(a: &[f64], b: &[f64]) -> Result<Contrast> {
        ensure_len("seeds of the first method", a.len(), 2)?;
        ensure_len("seeds of the second method", b.len(), 2)?;
        let ((ma, sa), (mb, sb)) = (mean_std(a), mean_std(b));
        let se = (sa * sa / a.len() as f64 + sb * sb / b.len() as f64).sqrt();
        Ok(Contrast { diff: ma - mb, se })
    }

    /// The comparison in words, for prose: "higher", "lower", or "not
    /// different beyond two standard errors".
    pub fn words(&self) -> &'static str {
        match self.sign() {
            1 => "higher",
            -1 => "lower",
            _ => "not different beyond two standard errors",
        }
    }

    /// `+1` if `a` is larger by more than two standard errors, `−1` if
    /// smaller by more than two, `0` otherwise (no decision).
    pub fn sign(&self) -> i32 {
        if self.diff > 2.0 * self.se {
            1
        } else if self.diff < -2.0 * self.se {
            -1
        } else {
            0
        }
    }
}
// ANCHOR_END: contrast

/// A verdict on the Introduction's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// The claim holds.
    Holds,
    /// It holds under stated conditions.
    HoldsUnderConditions,
    /// It is wrong.
    Wrong,
}

impl Verdict {
    /// The word of the ledger.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsUnderConditions => "holds under conditions",
            Verdict::Wrong => "wrong",
        }
    }
}

// ---------------------------------------------------------------------------
// The CAF arithmetic
// ---------------------------------------------------------------------------

/// The notes' CAF figures and their quotient.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Caf {
    /// Images, as the notes give them.
    pub images: f64,
    /// Identities.
    pub identities: f64,
    /// Images per identity, `images / identities`.
    pub per_identity: f64,
    /// The notes' "approximately 80".
    pub notes_per_identity: f64,
    /// `80 / quotient − 1`.
    pub relative_error: f64,
}

/// 313,986 images of 4,668 identities: how many each?
pub fn caf() -> Caf {
    let (images, identities, notes) = (313_986.0, 4_668.0, 80.0);
    let per = images / identities;
    Caf {
        images,
        identities,
        per_identity: per,
        notes_per_identity: notes,
        relative_error: notes / per - 1.0,
    }
}

/// "Approximately": within 10 % of the quotient.
pub fn caf_verdict(c: &Caf) -> Verdict {
    if c.relative_error.abs() <= 0.1 {
        Verdict::Holds
    } else {
        Verdict::Wrong
    }
}

// ---------------------------------------------------------------------------
// Orthogonality by automatic differentiation
// ---------------------------------------------------------------------------

/// One feature of the 2-D picture with its two loss gradients.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Arrow {
    /// The feature `x`.
    pub x: (f64, f64),
    /// `∇_x L_age`.
    pub age: (f64, f64),
    /// `∇_x L_id`.
    pub id: (f64, f64),
}

/// The largest off-axis parts of the two gradients over random features.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Orthogonality {
    /// Features checked.
    pub points: usize,
    /// Sphere: max `‖tangential part of ∇L_age‖ / ‖∇L_age‖`.
    pub age_tangential: f64,
    /// Sphere: max `|∇L_id · x̂|`, in units of `s / ‖x‖` (see `logit_scale`).
    pub id_radial: f64,
    /// Plane: max share of `∇L_age` off the normal `e_d`.
    pub plane_age_off_normal: f64,
    /// Plane: max `|∇L_id · e_d|` and `|∇L_id · x̂_∥|`, in units of `s / ‖x_∥‖`.
    pub plane_id_off_plane: f64,
    /// The 2-D picture: features on a circle of radius 1.5 with both gradients.
    pub arrows: Vec<Arrow>,
}

fn random_params(rng: &mut StdRng, g: Geometry) -> OeParams {
    OeParams {
        scale: rng.random_range(1.0..30.0),
        m: rng.random_range(1..=4),
        lambda: 1.0,
        alpha: rng.random_range(-2.0..2.0),
        beta: rng.random_range(-1.0..1.0),
        geometry: g,
    }
}

fn share(part: &DVector<f64>, whole: &DVector<f64>) -> f64 {
    let n = whole.norm();
    if n == 0.0 { 0.0 } else { part.norm() / n }
}

/// `s / ‖v‖`: the largest norm of the gradient of one logit `s cos θ` at `v`.
/// The identity gradient is a combination of such gradients whose
/// coefficients nearly cancel where the softmax saturates, so its rounding
/// error is a fraction of this scale, not of the (tiny) gradient itself.
fn logit_scale(p: &OeParams, v: &DVector<f64>) -> f64 {
    p.scale / v.norm()
}

// ANCHOR: orthogonality
/// Gradients of the age and identity losses by forward-mode AD at random
/// features (`d = 2..8`, random weights, labels, ages and parameters),
/// split into radial and tangential parts (sphere) or normal and in-plane
/// parts (plane).
///
/// # Errors
/// [`Error::TooFew`] for no points; the AD's errors for a non-finite gradient.
pub fn orthogonality(points: usize, seed: u64) -> Result<Orthogonality> {
    ensure_len("points", points, 1)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Orthogonality {
        points,
        age_tangential: 0.0,
        id_radial: 0.0,
        plane_age_off_normal: 0.0,
        plane_id_off_plane: 0.0,
        arrows: vec![],
    };
    for _ in 0..points {
        let d = rng.random_range(2..=8);
        let x = DVector::from_fn(d, |_, _| rng.random_range(-3.0..3.0));
        let y = rng.random_range(0..3);
        let z = rng.random_range(0.0..1.0);
        for g in [Geometry::Sphere, Geometry::Plane] {
            let p = random_params(&mut rng, g);
            let wd = if g == Geometry::Plane { d - 1 } else { d };
            let w = DMatrix::from_fn(3, wd, |_, _| rng.random_range(-1.0..1.0));
            let ga = gradient(&AgeField { z, p, dim: d }, &x)?;
            let gi = gradient(
                &IdentityField {
                    w: &w,
                    y,
                    p,
                    dim: d,
                },
                &x,
            )?;
            if g == Geometry::Sphere {
                let (_, tan) = radial_tangential(&ga, &x)?;
                let (rad, _) = radial_tangential(&gi, &x)?;
                out.age_tangential = out.age_tangential.max(share(&tan, &ga));
                out.id_radial = out.id_radial.max(rad.norm() / logit_scale(&p, &x));
            } else {
                let mut off = ga.clone();
                off[d - 1] = 0.0;
                out.plane_age_off_normal = out.plane_age_off_normal.max(share(&off, &ga));
                let par = x.rows(0, d - 1).into_owned();
                let (rad, _) = radial_tangential(&gi.rows(0, d - 1).into_owned(), &par)?;
                let worst = rad.norm().max(gi[d - 1].abs()) / logit_scale(&p, &par);
                out.plane_id_off_plane = out.plane_id_off_plane.max(worst);
            }
        }
    }
    out.arrows = arrows_2d(12)?;
    Ok(out)
}
// ANCHOR_END: orthogonality

fn arrows_2d(n: usize) -> Result<Vec<Arrow>> {
    let p = OeParams {
        scale: 4.0,
        m: 2,
        lambda: 1.0,
        alpha: 1.0,
        beta: 0.0,
        geometry: Geometry::Sphere,
    };
    let w = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    (0..n)
        .map(|k| {
            let t = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            let x = DVector::from_vec(vec![1.5 * t.cos(), 1.5 * t.sin()]);
            let ga = gradient(&AgeField { z: 1.0, p, dim: 2 }, &x)?;
            let gi = gradient(
                &IdentityField {
                    w: &w,
                    y: 0,
                    p,
                    dim: 2,
                },
                &x,
            )?;
            Ok(Arrow {
                x: (x[0], x[1]),
                age: (ga[0], ga[1]),
                id: (gi[0], gi[1]),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// The aged training and test sets of one nuisance.
#[derive(Debug, Clone)]
pub struct Sets {
    /// The nuisance.
    pub nuisance: Nuisance,
    /// Training images, `copies` renderings each.
    pub train: AgedSet,
    /// Test images, `test_copies` renderings each.
    pub test: AgedSet,
}

/// The digit split of the plan (clean images and labels).
///
/// # Errors
/// As [`digits::split`].
pub fn split(plan: &Plan) -> Result<digits::Split> {
    let mut s = digits::split(TEST_FRACTION, plan.seed)?;
    if let Some(n) = plan.train_rows {
        let n = n.min(s.train_y.len());
        s.train_x = s.train_x.rows(0, n).into_owned();
        s.train_y.truncate(n);
    }
    if let Some(n) = plan.test_rows {
        let n = n.min(s.test_y.len());
        s.test_x = s.test_x.rows(0, n).into_owned();
        s.test_y.truncate(n);
    }
    Ok(s)
}

/// Renders the plan's split under `nuisance`.
///
/// # Errors
/// As [`split`] and [`AgedSet::render`].
pub fn sets(plan: &Plan, nuisance: Nuisance) -> Result<Sets> {
    let s = split(plan)?;
    Ok(Sets {
        nuisance,
        train: AgedSet::render(&s.train_x, &s.train_y, plan.copies, nuisance, plan.seed)?,
        test: AgedSet::render(
            &s.test_x,
            &s.test_y,
            plan.test_copies,
            nuisance,
            plan.seed + 7,
        )?,
    })
}

// ---------------------------------------------------------------------------
// The comparison of methods
// ---------------------------------------------------------------------------

/// What one trained model measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunResult {
    /// The method.
    pub method: Method,
    /// The seed of initialisation and minibatch order.
    pub seed: u64,
    /// Identification accuracy on the training images.
    pub train_acc: f64,
    /// Identification accuracy on the test images.
    pub test_acc: f64,
    /// Cross-age verification AUC.
    pub auc: f64,
    /// TAR at each of [`FARS`].
    pub tar: Vec<f64>,
    /// `R²` of the linear age probe on the identity direction.
    pub probe_dir: f64,
    /// `R²` of the linear age probe on the raw feature.
    pub probe_raw: f64,
    /// `R²` of the model's own age read-out on the test images (NaN without one).
    pub readout_r2: f64,
    /// Mean wall time of an epoch (s).
    pub epoch_s: f64,
    /// TAR at the FARs of [`roc_grid`].
    pub roc: Vec<f64>,
}

/// The FARs at which ROC curves are sampled (log-spaced, 1e-3 to 1).
pub fn roc_grid() -> Vec<f64> {
    (0..=30)
        .map(|k| 10f64.powf(-3.0 + 0.1 * k as f64))
        .collect()
}

fn accuracy(pred: &[usize], y: &[usize]) -> f64 {
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
}

// ANCHOR: evaluate
/// Trains `method` with `seed` on the training set and measures it.
///
/// # Errors
/// As [`Model::fit`], [`cross_age_pairs`], [`scores`] and [`age_probe`].
pub fn evaluate(plan: &Plan, sets: &Sets, method: Method, seed: u64) -> Result<RunResult> {
    let mut model = Model::new(method, &plan.settings, 10, 1000 + seed, &plan.device)?;
    model.fit(&sets.train, seed)?;
    let (tr, te) = (&sets.train, &sets.test);
    let (f_tr, f_te) = (model.features(&tr.x)?, model.features(&te.x)?);
    let pairs = cross_age_pairs(&te.identity, &te.age, &te.source, GAP, TOL)?;
    let (g, i) = scores(&model.embedding(&f_te), &pairs)?;
    let probe = |a: &DMatrix<f64>, b: &DMatrix<f64>| age_probe(a, &tr.age, b, &te.age, RIDGE);
    let e_tr = normalize_rows(&model.embedding(&f_tr))?;
    let probe_dir = probe(&e_tr, &normalize_rows(&model.embedding(&f_te))?)?;
    let probe_raw = probe(&f_tr, &f_te)?;
    let readout_r2 = match model.age_readout(&f_te)? {
        Some(p) => r_squared(&p, &te.age)?,
        None => f64::NAN,
    };
    Ok(RunResult {
        method,
        seed,
        train_acc: accuracy(&model.predict(&f_tr)?, &tr.identity),
        test_acc: accuracy(&model.predict(&f_te)?, &te.identity),
        auc: auc(&g, &i)?,
        tar: FARS
            .iter()
            .map(|&f| tar_at_far(&g, &i, f))
            .collect::<Result<_>>()?,
        probe_dir,
        probe_raw,
        readout_r2,
        epoch_s: model.epoch_mean_seconds(),
        roc: roc_grid()
            .iter()
            .map(|&f| tar_at_far(&g, &i, f))
            .collect::<Result<_>>()?,
    })
}
// ANCHOR_END: evaluate

/// Every method × seed on one nuisance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// The nuisance.
    pub nuisance: Nuisance,
    /// Genuine and impostor pairs of the protocol.
    pub pairs: (usize, usize),
    /// One entry per method and seed.
    pub runs: Vec<RunResult>,
}

/// Trains and measures `methods` over the plan's seeds.
///
/// # Errors
/// As [`evaluate`]; [`Error::TooFew`] for no method.
pub fn compare(plan: &Plan, sets: &Sets, methods: &[Method]) -> Result<Comparison> {
    ensure_len("methods", methods.len(), 1)?;
    let te = &sets.test;
    let p = cross_age_pairs(&te.identity, &te.age, &te.source, GAP, TOL)?;
    let mut runs = vec![];
    for &m in methods {
        for seed in plan.seeds() {
            runs.push(evaluate(plan, sets, m, seed)?);
        }
    }
    Ok(Comparison {
        nuisance: sets.nuisance,
        pairs: (p.genuine.len(), p.impostor.len()),
        runs,
    })
}

/// The metrics a [`RunResult`] has, by name.
pub const METRICS: [&str; 10] = [
    "train_acc",
    "test_acc",
    "gap",
    "auc",
    "tar2",
    "tar3",
    "probe_dir",
    "probe_raw",
    "readout_r2",
    "epoch_s",
];

fn metric(r: &RunResult, name: &str) -> f64 {
    match name {
        "train_acc" => r.train_acc,
        "test_acc" => r.test_acc,
        "gap" => r.train_acc - r.test_acc,
        "auc" => r.auc,
        "tar2" => r.tar[0],
        "tar3" => r.tar[1],
        "probe_dir" => r.probe_dir,
        "probe_raw" => r.probe_raw,
        "readout_r2" => r.readout_r2,
        _ => r.epoch_s,
    }
}

impl Comparison {
    /// The methods compared, in order.
    pub fn methods(&self) -> Vec<Method> {
        let mut m: Vec<Method> = vec![];
        for r in &self.runs {
            if !m.contains(&r.method) {
                m.push(r.method);
            }
        }
        m
    }

    /// Per-seed values of a metric (one of [`METRICS`]) for a method.
    pub fn values(&self, method: Method, name: &str) -> Vec<f64> {
        let runs = self.runs.iter().filter(|r| r.method == method);
        runs.map(|r| metric(r, name)).collect()
    }

    /// Every metric of every method per seed, keyed by method key and
    /// metric name: what the run record stores and the verdict tests read.
    pub fn per_seed(&self) -> BTreeMap<String, BTreeMap<String, Vec<f64>>> {
        self.methods()
            .into_iter()
            .map(|m| {
                let v = METRICS.iter().map(|n| (n.to_string(), self.values(m, n)));
                (m.key().to_string(), v.collect())
            })
            .collect()
    }

    /// The per-seed ROC curves of a method (TAR at [`roc_grid`]).
    pub fn roc(&self, method: Method) -> Vec<Vec<f64>> {
        let runs = self.runs.iter().filter(|r| r.method == method);
        runs.map(|r| r.roc.clone()).collect()
    }

    /// The table of the chapter: mean ± std over seeds per method.
    pub fn table(&self) -> Table {
        let rows = self.methods().into_iter().map(|m| {
            let v = |n: &str| self.values(m, n);
            let readout = v("readout_r2");
            vec![
                m.name().to_string(),
                pm(&v("test_acc"), 3),
                pm(&v("gap"), 3),
                pm(&v("auc"), 4),
                pm(&v("tar2"), 3),
                pm(&v("tar3"), 3),
                pm(&v("probe_dir"), 2),
                pm(&v("probe_raw"), 2),
                if readout.iter().all(|a| a.is_nan()) {
                    "—".into()
                } else {
                    pm(&readout, 2)
                },
            ]
        });
        let (on_dir, on_raw, readout) = match self.nuisance {
            Nuisance::Thicken => ("age R² on x̃", "age R² on x", "age read-out R²"),
            Nuisance::Blur => ("blur R² on x̃", "blur R² on x", "blur read-out R²"),
        };
        Table {
            header: vec![
                "method",
                "test accuracy",
                "train − test",
                "AUC",
                "TAR@1e-2",
                "TAR@1e-3",
                on_dir,
                on_raw,
                readout,
            ],
            rows: rows.collect(),
        }
    }
}

/// OE trained with several age-loss weights `Λ_age`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sweep {
    /// The weights.
    pub lambdas: Vec<f64>,
    /// `runs[k]`: one result per seed at `lambdas[k]`.
    pub runs: Vec<Vec<RunResult>>,
}

// ANCHOR: sweep
/// Trains OE (sphere) at each age-loss weight in `lambdas`, over the plan's seeds.
///
/// # Errors
/// As [`evaluate`]; [`Error::TooFew`] for no weight.
pub fn age_weight_sweep(plan: &Plan, sets: &Sets, lambdas: &[f64]) -> Result<Sweep> {
    ensure_len("age weights", lambdas.len(), 1)?;
    let mut runs = vec![];
    for &lambda in lambdas {
        let mut p = plan.clone();
        p.settings.lambda_age = lambda;
        runs.push(
            plan.seeds()
                .map(|seed| evaluate(&p, sets, Method::Oe, seed))
                .collect::<Result<_>>()?,
        );
    }
    Ok(Sweep {
        lambdas: lambdas.to_vec(),
        runs,
    })
}
// ANCHOR_END: sweep

impl Sweep {
    /// Per-seed values of a metric at each weight: `out[k][seed]`.
    pub fn values(&self, name: &str) -> Vec<Vec<f64>> {
        self.runs
            .iter()
            .map(|rs| rs.iter().map(|r| metric(r, name)).collect())
            .collect()
    }

    /// The same, one curve per seed across the weights: `out[seed][k]`.
    pub fn curves(&self, name: &str) -> Vec<Vec<f64>> {
        let v = self.values(name);
        let seeds = v.first().map_or(0, Vec::len);
        (0..seeds)
            .map(|s| v.iter().map(|at| at[s]).collect())
            .collect()
    }

    /// Every metric per weight and seed, for the run record.
    pub fn per_seed(&self) -> BTreeMap<String, BTreeMap<String, Vec<f64>>> {
        self.lambdas
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let v = METRICS
                    .iter()
                    .map(|n| (n.to_string(), self.values(n)[k].clone()));
                (format!("lambda_{l}"), v.collect())
            })
            .collect()
    }

    /// Read-out, probe and verification per weight, mean ± std over seeds.
    pub fn table(&self) -> Table {
        let rows = self.lambdas.iter().enumerate().map(|(k, l)| {
            let v = |n: &str| self.values(n)[k].clone();
            vec![
                format!("{l}"),
                pm(&v("readout_r2"), 2),
                pm(&v("probe_dir"), 2),
                pm(&v("test_acc"), 3),
                pm(&v("auc"), 4),
                pm(&v("tar2"), 3),
            ]
        });
        Table {
            header: vec![
                "Λ_age",
                "age read-out R²",
                "age R² on x̃",
                "test accuracy",
                "AUC",
                "TAR@1e-2",
            ],
            rows: rows.collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Decision rules
// ---------------------------------------------------------------------------

// ANCHOR: verdicts
/// Age-invariant after normalization (OE-02, OE-08): holds if the probe
/// explains at most 5 % of the age variance from OE's direction; holds under
/// conditions if it explains less than from softmax's direction (by more
/// than two standard errors); wrong otherwise.
///
/// # Errors
/// As [`Contrast::of`].
pub fn invariance_verdict(oe_dir: &[f64], softmax_dir: &[f64]) -> Result<Verdict> {
    let c = Contrast::of(oe_dir, softmax_dir)?;
    Ok(if mean_std(oe_dir).0 <= 0.05 {
        Verdict::Holds
    } else if c.sign() < 0 {
        Verdict::HoldsUnderConditions
    } else {
        Verdict::Wrong
    })
}

/// Lower capacity, less over-fitting than A-Softmax (OE-18): holds under
/// conditions if OE's train − test gap is smaller by two standard errors;
/// wrong otherwise.
///
/// # Errors
/// As [`Contrast::of`].
pub fn overfitting_verdict(oe_gap: &[f64], asoftmax_gap: &[f64]) -> Result<Verdict> {
    Ok(match Contrast::of(oe_gap, asoftmax_gap)?.sign() {
        -1 => Verdict::HoldsUnderConditions,
        _ => Verdict::Wrong,
    })
}

/// A method `a` verifies better than `b` (a higher TAR at FAR = 1e-2 by two
/// standard errors): holds under conditions; no decision or worse: wrong.
///
/// # Errors
/// As [`Contrast::of`].
pub fn better_verdict(a_tar: &[f64], b_tar: &[f64]) -> Result<Verdict> {
    Ok(match Contrast::of(a_tar, b_tar)?.sign() {
        1 => Verdict::HoldsUnderConditions,
        _ => Verdict::Wrong,
    })
}

/// Whether the decomposition works for a nuisance: the norm carries some
/// of it (mean read-out `R²` above 0 by two standard errors) and the
/// direction verifies across it no worse than the same margin loss without
/// the decomposition (A-Softmax; TAR at 1e-2 not lower by two standard errors).
///
/// # Errors
/// As [`Contrast::of`].
pub fn decomposition_works(
    oe_readout: &[f64],
    oe_tar: &[f64],
    asoftmax_tar: &[f64],
) -> Result<bool> {
    let zero = vec![0.0; oe_readout.len()];
    let reads = Contrast::of(oe_readout, &zero)?.sign() > 0;
    Ok(reads && Contrast::of(oe_tar, asoftmax_tar)?.sign() >= 0)
}

/// A second nuisance in place of age (OE-15): holds under conditions if
/// [`decomposition_works`] for it, wrong otherwise.
///
/// # Errors
/// As [`Contrast::of`].
pub fn nuisance_verdict(
    oe_readout: &[f64],
    oe_tar: &[f64],
    asoftmax_tar: &[f64],
) -> Result<Verdict> {
    Ok(if decomposition_works(oe_readout, oe_tar, asoftmax_tar)? {
        Verdict::HoldsUnderConditions
    } else {
        Verdict::Wrong
    })
}

/// The plane variant against the sphere: holds if it verifies across age no
/// worse (TAR at 1e-2 not lower by two standard errors) and reads the age
/// better (read-out `R²` higher by two standard errors); holds under
/// conditions if only one of the two; wrong if neither.
///
/// # Errors
/// As [`Contrast::of`].
pub fn plane_verdict(
    (plane_tar, oe_tar): (&[f64], &[f64]),
    (plane_readout, oe_readout): (&[f64], &[f64]),
) -> Result<Verdict> {
    let verifies = Contrast::of(plane_tar, oe_tar)?.sign() >= 0;
    let reads = Contrast::of(plane_readout, oe_readout)?.sign() > 0;
    Ok(match (verifies, reads) {
        (true, true) => Verdict::Holds,
        (false, false) => Verdict::Wrong,
        _ => Verdict::HoldsUnderConditions,
    })
}

/// "Force the length of features to represent the age" (OE-01): holds if
/// the norm reads the age with mean `R² ≥ 0.5` at the default weight
/// (`Λ_age = 1`), holds under conditions if only at a larger weight, wrong
/// if at none. `readout[k]` holds the per-seed `R²` at `lambdas[k]`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; [`Error::TooFew`] for no weight.
pub fn length_verdict(lambdas: &[f64], readout: &[Vec<f64>]) -> Result<Verdict> {
    ensure_len("age weights", lambdas.len(), 1)?;
    if readout.len() != lambdas.len() {
        return Err(Error::ShapeMismatch {
            what: "read-outs vs age weights",
            expected: lambdas.len().to_string(),
            got: readout.len().to_string(),
        });
    }
    let ok = |k: usize| mean_std(&readout[k]).0 >= 0.5;
    let at_default = (0..lambdas.len()).any(|k| lambdas[k] == 1.0 && ok(k));
    let larger = (0..lambdas.len()).any(|k| lambdas[k] > 1.0 && ok(k));
    Ok(if at_default {
        Verdict::Holds
    } else if larger {
        Verdict::HoldsUnderConditions
    } else {
        Verdict::Wrong
    })
}
// ANCHOR_END: verdicts

// ---------------------------------------------------------------------------
// Patch ensembles
// ---------------------------------------------------------------------------

/// Whole-image network against the patch ensemble, one seed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PatchRun {
    /// The seed.
    pub seed: u64,
    /// Whole network: accuracy clean, then with quadrant 1..4 occluded.
    pub whole_acc: Vec<f64>,
    /// Ensemble: the same.
    pub ens_acc: Vec<f64>,
    /// Whole network: verification AUC on all test pairs, clean then occluded.
    pub whole_auc: Vec<f64>,
    /// Ensemble: the same.
    pub ens_auc: Vec<f64>,
}

impl PatchRun {
    /// The largest accuracy drop under an occluded quadrant: (whole, ensemble).
    pub fn worst_drop(&self) -> (f64, f64) {
        let drop = |v: &[f64]| v[1..].iter().map(|a| v[0] - a).fold(f64::MIN, f64::max);
        (drop(&self.whole_acc), drop(&self.ens_acc))
    }
}

/// The patch experiment over seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Patches {
    /// Hidden units of the whole network and of each patch network.
    pub hidden: (usize, usize),
    /// Parameters of the whole network and of the ensemble.
    pub params: (usize, usize),
    /// One entry per seed.
    pub runs: Vec<PatchRun>,
}

fn fit_net(
    plan: &Plan,
    (x, y): (&DMatrix<f64>, &[usize]),
    (hidden, dim): (usize, usize),
    seed: u64,
) -> Result<FeatureNet> {
    let dev = &plan.device;
    let d = Data::new(x, y, DType::F32, dev)?;
    let net = FeatureNet::new(x.ncols(), hidden, dim, 10, 1000 + seed, dev)?;
    let s = &plan.settings;
    let cfg = TrainConfig {
        epochs: s.epochs,
        batch: s.batch,
        lr: s.lr,
        seed,
    };
    train(&net, &Head::Softmax { bias: false }, &d, &d, &cfg)?;
    Ok(net)
}

/// Features and logits `W f` of images under a network.
fn feats_logits(net: &FeatureNet, x: &DMatrix<f64>) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
    let f = feature_matrix(net, &to_tensor(x, DType::F32, net.device())?)?;
    let logits = &f * weight_matrix(net)?.transpose();
    Ok((f, logits))
}

fn argmax_rows(m: &DMatrix<f64>) -> Vec<usize> {
    (0..m.nrows())
        .map(|i| m.row(i).transpose().argmax().0)
        .collect()
}

fn verification_auc(f: &DMatrix<f64>, y: &[usize]) -> Result<f64> {
    let (g, i) = pair_scores(f, y, Similarity::Cosine)?;
    auc(&g, &i)
}

// ANCHOR: patches
/// One network on the whole 8×8 digit against four networks on its
/// quadrants with the same parameter budget and epochs (features of the
/// ensemble: the four unit-normalized patch features side by side; its
/// prediction: the sum of the four patch logits). Both are tested clean and
/// with each quadrant occluded (set to 0) in turn.
///
/// # Errors
/// As the training and metrics they call.
pub fn patches(plan: &Plan) -> Result<Patches> {
    let s = split(plan)?;
    let quads = quadrants(super::SIDE)?;
    let (h, d) = (plan.settings.hidden, plan.settings.dim);
    let hp = matched_hidden((64, h, d), (4, 16, d / 4), 10)?;
    let mut runs = vec![];
    for seed in plan.seeds() {
        let whole = fit_net(plan, (&s.train_x, &s.train_y), (h, d), seed)?;
        let mut nets = vec![];
        for (k, q) in quads.iter().enumerate() {
            let xp = take(&s.train_x, q)?;
            nets.push(fit_net(
                plan,
                (&xp, &s.train_y),
                (hp, d / 4),
                seed + 100 * k as u64,
            )?);
        }
        let mut run = PatchRun {
            seed,
            whole_acc: vec![],
            ens_acc: vec![],
            whole_auc: vec![],
            ens_auc: vec![],
        };
        for occ in std::iter::once(None).chain(quads.iter().map(Some)) {
            let x = match occ {
                Some(q) => occlude(&s.test_x, q)?,
                None => s.test_x.clone(),
            };
            let (f, logits) = feats_logits(&whole, &x)?;
            run.whole_acc
                .push(accuracy(&argmax_rows(&logits), &s.test_y));
            run.whole_auc.push(verification_auc(&f, &s.test_y)?);
            let mut sum = DMatrix::zeros(x.nrows(), 10);
            let mut cat = DMatrix::zeros(x.nrows(), 0);
            for (net, q) in nets.iter().zip(&quads) {
                let (fp, lp) = feats_logits(net, &take(&x, q)?)?;
                sum += lp;
                let fp = normalize_or_zero(&fp);
                let at = cat.ncols();
                cat = cat.insert_columns(at, fp.ncols(), 0.0);
                cat.columns_mut(at, fp.ncols()).copy_from(&fp);
            }
            run.ens_acc.push(accuracy(&argmax_rows(&sum), &s.test_y));
            run.ens_auc.push(verification_auc(&cat, &s.test_y)?);
        }
        runs.push(run);
    }
    Ok(Patches {
        hidden: (h, hp),
        params: (
            super::patches::params(64, h, d, 10),
            4 * super::patches::params(16, hp, d / 4, 10),
        ),
        runs,
    })
}
// ANCHOR_END: patches

fn normalize_or_zero(f: &DMatrix<f64>) -> DMatrix<f64> {
    let mut out = f.clone();
    for i in 0..f.nrows() {
        let n = f.row(i).norm();
        if n > 0.0 {
            out.row_mut(i).scale_mut(1.0 / n);
        }
    }
    out
}

impl Patches {
    /// Per-seed values: `whole_acc_k`, `ens_acc_k`, `whole_auc_k`, `ens_auc_k`
    /// (`k = 0` clean, 1..4 the occluded quadrant) and the worst drops.
    pub fn per_seed(&self) -> BTreeMap<String, Vec<f64>> {
        let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in &self.runs {
            for k in 0..r.whole_acc.len() {
                for (name, v) in [
                    ("whole_acc", &r.whole_acc),
                    ("ens_acc", &r.ens_acc),
                    ("whole_auc", &r.whole_auc),
                    ("ens_auc", &r.ens_auc),
                ] {
                    out.entry(format!("{name}_{k}")).or_default().push(v[k]);
                }
            }
            let (w, e) = r.worst_drop();
            out.entry("whole_worst_drop".into()).or_default().push(w);
            out.entry("ens_worst_drop".into()).or_default().push(e);
        }
        out
    }

    /// Clean and occluded accuracy and AUC, mean ± std over seeds.
    pub fn table(&self) -> Table {
        let v = self.per_seed();
        let get = |k: &str| v.get(k).cloned().unwrap_or_default();
        let labels = [
            "clean",
            "top left hidden",
            "top right hidden",
            "bottom left hidden",
            "bottom right hidden",
        ];
        let rows = labels.iter().enumerate().map(|(k, l)| {
            vec![
                l.to_string(),
                pm(&get(&format!("whole_acc_{k}")), 3),
                pm(&get(&format!("ens_acc_{k}")), 3),
                pm(&get(&format!("whole_auc_{k}")), 3),
                pm(&get(&format!("ens_auc_{k}")), 3),
            ]
        });
        Table {
            header: vec![
                "test images",
                "whole: accuracy",
                "patches: accuracy",
                "whole: AUC",
                "patches: AUC",
            ],
            rows: rows.collect(),
        }
    }
}

/// DeepID2's patch argument (DI-01, DI-02): holds under conditions if the
/// ensemble's worst accuracy drop under one occluded quadrant is smaller
/// than the whole network's by two standard errors; wrong otherwise.
///
/// # Errors
/// As [`Contrast::of`].
pub fn patch_verdict(ens_worst_drop: &[f64], whole_worst_drop: &[f64]) -> Result<Verdict> {
    Ok(
        match Contrast::of(ens_worst_drop, whole_worst_drop)?.sign() {
            -1 => Verdict::HoldsUnderConditions,
            _ => Verdict::Wrong,
        },
    )
}

/// Reads the per-seed values the run record stores for one comparison back
/// out of its JSON (`results.<key>`), for the verdict tests.
///
/// # Errors
/// [`Error::Data`] if the record lacks the key or a value is not a number.
pub fn recorded(
    record: &serde_json::Value,
    key: &str,
    group: &str,
    name: &str,
) -> Result<Vec<f64>> {
    let v = &record["results"][key][group][name];
    let arr = v.as_array().ok_or_else(|| {
        Error::Data(format!(
            "the run record has no results.{key}.{group}.{name}"
        ))
    })?;
    arr.iter()
        .map(|a| {
            a.as_f64()
                .ok_or_else(|| Error::Data(format!("{key}.{group}.{name}: {a} is not a number")))
        })
        .collect()
}
