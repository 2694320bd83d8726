//! Every experiment of the chapter "Rectifier networks": a plan in, plain
//! results out.
//!
//! `examples/rectifier.rs` calls these functions, draws their results and records
//! them; `tests/rectifier.rs` calls each one at quick size. Every number and table
//! the chapter quotes is computed here or deeper in `src/rectifier/`; the `table`
//! methods write the rows exactly as the book shows them.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};

use super::backprop::{Target, gradients, loss, sgd_step};
use super::compare::{Decision, Paired};
use super::construct::{best_piecewise_linear_mse, best_single_relu_fit};
use super::rescale::{balance, rescale, rescale_biases_by_own_alpha};
use super::sparse::{MacCount, sparse_forward};
use super::train::{
    EpochStats, Net, NetAct, Rule, TrainConfig, accuracy, fit_regression, pretrain_first_layer,
    step, train, zero_fraction,
};
use super::{Activation, Mlp, rel_max_diff};
use crate::data::digits::{self, Split};
use crate::error::{Error, Result, ensure_len};
use crate::nn::{Data, to_tensor};

/// Layer sizes of the 7-layer MLP of the deep-training runs and the benchmark.
pub const DEEP: [usize; 8] = [64, 64, 64, 64, 64, 64, 64, 10];

/// Sizes, seeds and sweeps of one run of the chapter's experiments.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Base seed; every experiment derives its own seeds from it.
    pub seed: u64,
    /// Random networks checked in [`rescaling`].
    pub random_nets: usize,
    /// Epochs of each run in [`ill_conditioning`].
    pub ill_epochs: usize,
    /// Hidden-layer widths `k` in [`antisymmetric`].
    pub antisym_ks: Vec<usize>,
    /// Gradient steps of each fit in [`antisymmetric`].
    pub antisym_steps: usize,
    /// Random restarts per width and activation in [`antisymmetric`].
    pub antisym_restarts: usize,
    /// Epochs of each run at the ordinary learning rate in [`deep`].
    pub deep_epochs: usize,
    /// Seeds per configuration in [`deep`] and [`pretraining`].
    pub seeds: u64,
    /// Epochs of each run at the high learning rate in [`deep`].
    pub high_lr_epochs: usize,
    /// Adam steps of each fit in [`dead_unit`].
    pub dead_unit_steps: usize,
    /// Epochs of each run in [`sparsity`].
    pub sparse_epochs: usize,
    /// Epochs of autoencoder pre-training in [`pretraining`].
    pub pre_epochs: usize,
    /// Epochs of fine-tuning on the labelled digits in [`pretraining`].
    pub fine_epochs: usize,
    /// Timed steps in [`bench_step`].
    pub bench_steps: usize,
    /// Use only the first rows of the training split (`None`: all of it).
    pub train_rows: Option<usize>,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64) -> Plan {
        Plan {
            seed,
            random_nets: 500,
            ill_epochs: 30,
            antisym_ks: vec![1, 2, 3, 4, 6, 8, 12],
            antisym_steps: 3000,
            antisym_restarts: 3,
            deep_epochs: 40,
            seeds: 5,
            high_lr_epochs: 25,
            dead_unit_steps: 1500,
            sparse_epochs: 30,
            pre_epochs: 20,
            fine_epochs: 200,
            bench_steps: 300,
            train_rows: None,
        }
    }

    /// Small sizes that run in seconds in a debug build (CI, tests).
    pub fn quick(seed: u64) -> Plan {
        Plan {
            seed,
            random_nets: 20,
            ill_epochs: 2,
            antisym_ks: vec![1, 2, 4],
            antisym_steps: 60,
            antisym_restarts: 1,
            deep_epochs: 2,
            seeds: 1,
            high_lr_epochs: 2,
            dead_unit_steps: 300,
            sparse_epochs: 2,
            pre_epochs: 1,
            fine_epochs: 2,
            bench_steps: 5,
            train_rows: Some(200),
        }
    }
}

pub use crate::run::Table;

/// A fraction as a percentage with one decimal, as the tables print it.
pub fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

/// The chapter's data: the digits split, and both halves as f32 tensors.
#[derive(Debug)]
pub struct Inputs {
    /// The split (training rows cut to [`Plan::train_rows`]).
    pub split: Split,
    /// The training half on the device.
    pub train: Data,
    /// The test half on the device.
    pub test: Data,
}

/// Loads the digits, splits them 80/20 with the plan's seed and moves them to `device`.
///
/// # Errors
///
/// A missing or corrupt digits file, [`Plan::train_rows`] of 0, or a tensor error.
pub fn inputs(plan: &Plan, device: &Device) -> Result<Inputs> {
    let mut split = digits::split(0.2, plan.seed)?;
    if let Some(n) = plan.train_rows {
        ensure_len("training rows", n, 1)?;
        let rows: Vec<usize> = (0..n.min(split.train_x.nrows())).collect();
        split.train_x = split.train_x.select_rows(&rows);
        split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
    }
    let train = Data::new(&split.train_x, &split.train_y, DType::F32, device)?;
    let test = Data::new(&split.test_x, &split.test_y, DType::F32, device)?;
    Ok(Inputs { split, train, test })
}

/// A network with Glorot weights and biases drawn from N(0, `bias_sd`²)
/// (Glorot's zero biases when `bias_sd` is 0).
///
/// # Errors
///
/// Sizes [`Mlp::glorot`] rejects, or a negative or non-finite `bias_sd`.
pub fn random_net(sizes: &[usize], act: Activation, bias_sd: f64, rng: &mut StdRng) -> Result<Mlp> {
    if !(bias_sd.is_finite() && bias_sd >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "bias sd",
            reason: format!("must be finite and not negative, got {bias_sd}"),
        });
    }
    let m = Mlp::glorot(sizes, act, rng)?;
    if bias_sd == 0.0 {
        return Ok(m);
    }
    let normal = Normal::new(0.0, bias_sd).map_err(|e| Error::InvalidParameter {
        name: "bias sd",
        reason: e.to_string(),
    })?;
    let biases: Vec<DVector<f64>> = m
        .biases()
        .iter()
        .map(|b| b.map(|_| normal.sample(rng)))
        .collect();
    Mlp::new(m.weights().to_vec(), biases, act)
}

/// Momentum SGD with the given settings and no activation penalty.
pub fn sgd(lr: f64, momentum: f64, batch: usize, epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch,
        lr,
        rule: Rule::Sgd { momentum },
        l1: 0.0,
        seed,
    }
}

// ------------------------------------------------------------------ claim 1

/// Result of [`rescaling`]: counts over random networks, and one network's curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescaling {
    /// Random 4-8-8-3 ReLU networks checked.
    pub nets: usize,
    /// Largest relative output change under positive α with ∏α = 1.
    pub max_positive: f64,
    /// Networks whose output changed (> 1e-6) under α = (−a₁, −a₂, 1/(a₁a₂)).
    pub changed_negative: usize,
    /// Networks whose output changed when each bias is divided by its own α.
    pub changed_own_bias: usize,
    /// Inputs of the 1-8-8-1 example network.
    pub xs: Vec<f64>,
    /// Its outputs as drawn.
    pub original: Vec<f64>,
    /// After α = (3, 1/6, 2).
    pub positive: Vec<f64>,
    /// After α = (−1, −1, 1).
    pub negative: Vec<f64>,
    /// After α = (3, 1/6, 2) with biases divided by their own α.
    pub own_bias: Vec<f64>,
}

/// Claim 1: positive α-rescaling with ∏α = 1 keeps a ReLU network's function;
/// negative α or biases scaled by their own α do not.
///
/// # Errors
///
/// Only internal shape errors of the network code.
pub fn rescaling(plan: &Plan) -> Result<Rescaling> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let (mut max_positive, mut changed_negative, mut changed_own_bias) = (0.0f64, 0, 0);
    let logs = Uniform::new(-2.0f64, 2.0).map_err(|e| Error::Data(e.to_string()))?;
    for _ in 0..plan.random_nets {
        let mlp = random_net(&[4, 8, 8, 3], Activation::Relu, 0.5, &mut rng)?;
        let x = DMatrix::from_fn(16, 4, |_, _| rng.random_range(-2.0..2.0));
        let (a1, a2) = (logs.sample(&mut rng).exp(), logs.sample(&mut rng).exp());
        let alphas = [a1, a2, 1.0 / (a1 * a2)];
        let s = mlp.forward(&x)?;
        max_positive = max_positive.max(rel_max_diff(&s, &rescale(&mlp, &alphas)?.forward(&x)?)?);
        let negative = [-a1, -a2, 1.0 / (a1 * a2)];
        if rel_max_diff(&s, &rescale(&mlp, &negative)?.forward(&x)?)? > 1e-6 {
            changed_negative += 1;
        }
        let own = rescale_biases_by_own_alpha(&mlp, &alphas)?;
        if rel_max_diff(&s, &own.forward(&x)?)? > 1e-6 {
            changed_own_bias += 1;
        }
    }
    let mut rng = StdRng::seed_from_u64(plan.seed + 1);
    let net = random_net(&[1, 8, 8, 1], Activation::Relu, 0.5, &mut rng)?;
    let xs: Vec<f64> = (0..=240).map(|i| -3.0 + i as f64 * 0.025).collect();
    let x = DMatrix::from_column_slice(xs.len(), 1, &xs);
    let eval = |m: &Mlp| -> Result<Vec<f64>> { Ok(m.forward(&x)?.as_slice().to_vec()) };
    let pos = [3.0, 1.0 / 6.0, 2.0];
    Ok(Rescaling {
        nets: plan.random_nets,
        max_positive,
        changed_negative,
        changed_own_bias,
        original: eval(&net)?,
        positive: eval(&rescale(&net, &pos)?)?,
        negative: eval(&rescale(&net, &[-1.0, -1.0, 1.0])?)?,
        own_bias: eval(&rescale_biases_by_own_alpha(&net, &pos)?)?,
        xs,
    })
}

// ------------------------------------------------------------------ claim 2

/// One training run of [`ill_conditioning`].
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend label.
    pub name: String,
    /// Statistics per epoch.
    pub stats: Vec<EpochStats>,
}

/// Result of [`ill_conditioning`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ill {
    /// The rescaling α that maps Θ to Θ′.
    pub alphas: Vec<f64>,
    /// One plain SGD step in f64: loss before, after the step from Θ, after the step from Θ′.
    pub one_step: (f64, f64, f64),
    /// Six runs in pairs (from Θ, from Θ′): plain SGD, balanced start, relative steps.
    pub curves: Vec<Curve>,
}

/// One row of the ill-conditioning table: a method run from Θ and from Θ′.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IllRow {
    /// Final training loss from Θ and from Θ′.
    pub final_loss: (f64, f64),
    /// Final test accuracy from Θ and from Θ′.
    pub final_accuracy: (f64, f64),
    /// Largest absolute difference between the two training-loss curves.
    pub max_gap: f64,
}

/// Claim 2: equivalent parametrizations of the same ReLU network train differently
/// under SGD, and identically after balancing or under layer-wise relative steps.
///
/// # Errors
///
/// Fewer than one training example, or a training error.
pub fn ill_conditioning(plan: &Plan, inputs: &Inputs, device: &Device) -> Result<Ill> {
    let split = &inputs.split;
    ensure_len("training examples", split.train_x.nrows(), 1)?;
    let mut rng = StdRng::seed_from_u64(plan.seed + 2);
    // Biases start at 0.01 (not 0) so that the relative rule can move them.
    let glorot = Mlp::glorot(&[64, 32, 32, 10], Activation::Relu, &mut rng)?;
    let biases = glorot.biases().iter().map(|b| b.map(|_| 0.01)).collect();
    let theta = Mlp::new(glorot.weights().to_vec(), biases, Activation::Relu)?;
    let alphas = vec![3.0, 1.0 / 3.0, 1.0];
    let theta2 = rescale(&theta, &alphas)?;
    // One plain SGD step in f64 on the first 64 training examples.
    let rows: Vec<usize> = (0..64.min(split.train_x.nrows())).collect();
    let xb = split.train_x.select_rows(&rows);
    let yb: Vec<usize> = rows.iter().map(|&r| split.train_y[r]).collect();
    let t = Target::Classes(&yb);
    let lr = 0.05;
    let (l0, g) = gradients(&theta, &xb, t)?;
    let (_, g2) = gradients(&theta2, &xb, t)?;
    let la = loss(&sgd_step(&theta, &g, lr)?, &xb, t)?;
    let lb = loss(&sgd_step(&theta2, &g2, lr)?, &xb, t)?;
    let plain = sgd(lr, 0.0, 32, plan.ill_epochs, plan.seed);
    let relative = TrainConfig {
        rule: Rule::Relative,
        lr: 0.01,
        ..plain
    };
    let (b1, _) = balance(&theta)?;
    let (b2, _) = balance(&theta2)?;
    let mut curves = Vec::new();
    for (name, start, cfg) in [
        ("SGD from Θ", &theta, plain),
        ("SGD from Θ′ = R_α Θ", &theta2, plain),
        ("balanced, then SGD (from Θ)", &b1, plain),
        ("balanced, then SGD (from Θ′)", &b2, plain),
        ("relative steps from Θ", &theta, relative),
        ("relative steps from Θ′", &theta2, relative),
    ] {
        let net = Net::from_mlp(start, NetAct::Fixed(Activation::Relu), DType::F32, device)?;
        let stats = train(&net, &inputs.train, &inputs.test, &cfg)?;
        curves.push(Curve {
            name: name.to_string(),
            stats,
        });
    }
    Ok(Ill {
        alphas,
        one_step: (l0, la, lb),
        curves,
    })
}

impl Ill {
    /// Per method, the final values from Θ and Θ′ and the largest gap between the curves.
    pub fn rows(&self) -> Vec<(String, IllRow)> {
        let last = |s: &[EpochStats]| {
            s.last()
                .map_or((f64::NAN, f64::NAN), |e| (e.train_loss, e.test_accuracy))
        };
        self.curves
            .chunks(2)
            .filter(|p| p.len() == 2)
            .map(|pair| {
                let (a, b) = (&pair[0].stats, &pair[1].stats);
                let max_gap = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x.train_loss - y.train_loss).abs())
                    .fold(0.0f64, f64::max);
                let ((la, aa), (lb, ab)) = (last(a), last(b));
                let name = pair[0].name.replace(" from Θ", "").replace(" (from Θ)", "");
                let row = IllRow {
                    final_loss: (la, lb),
                    final_accuracy: (aa, ab),
                    max_gap,
                };
                (name, row)
            })
            .collect()
    }

    /// The α as the book writes it, e.g. `$(3, 1/3, 1)$`.
    pub fn alphas_markdown(&self) -> String {
        let a = |i: usize| self.alphas.get(i).copied().unwrap_or(f64::NAN);
        format!("$({}, 1/{}, {})$", a(0), (1.0 / a(1)).round(), a(2))
    }

    /// The table of final losses, accuracies and gaps.
    pub fn table(&self) -> Table {
        let rows = self
            .rows()
            .into_iter()
            .map(|(name, r)| {
                vec![
                    name,
                    format!("{:.4} / {:.4}", r.final_loss.0, r.final_loss.1),
                    format!("{} / {}", pct(r.final_accuracy.0), pct(r.final_accuracy.1)),
                    format!("{:.2e}", r.max_gap),
                ]
            })
            .collect();
        Table {
            header: vec![
                "method",
                "final training loss (Θ / Θ′)",
                "test accuracy (Θ / Θ′)",
                "largest gap between the two loss curves",
            ],
            rows,
        }
    }
}

// ------------------------------------------------------------------ claim 4

/// Result of [`antisymmetric`]: per width `k`, the best MSE with `k` ReLU and `k` tanh units.
#[derive(Debug, Clone, PartialEq)]
pub struct Antisym {
    /// `(k, best ReLU MSE, best tanh MSE)`.
    pub rows: Vec<(usize, f64, f64)>,
    /// Per row, the least MSE any network of `2k` ReLU units can reach on the
    /// same points ([`best_piecewise_linear_mse`] with `2k + 1` pieces), however trained.
    pub relu_2k_bound: Vec<f64>,
}

/// The points of [`antisymmetric`]: 256 equally spaced `x` in [−1, 1] and `sin(2πx)`.
pub fn antisym_target() -> (Vec<f64>, Vec<f64>) {
    let xs: Vec<f64> = (0..256).map(|i| -1.0 + 2.0 * i as f64 / 255.0).collect();
    let ys = xs
        .iter()
        .map(|x| (2.0 * std::f64::consts::PI * x).sin())
        .collect();
    (xs, ys)
}

/// The start of one fit of [`antisymmetric`]: a 1-k-1 network whose kinks
/// (ReLU) or centres (tanh) are spread uniformly over [−1, 1] (slope ±[1, 4],
/// position t in [−1, 1], bias −w·t), drawn with `seed`.
///
/// # Errors
///
/// A width `k` of 0.
pub fn antisym_start(k: usize, act: Activation, seed: u64) -> Result<Mlp> {
    let rng = &mut StdRng::seed_from_u64(seed);
    let m = Mlp::glorot(&[1, k, 1], act, rng)?;
    let w1 = m.weights()[0].map(|_| {
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        sign * rng.random_range(1.0..4.0)
    });
    let b1 = DVector::from_fn(k, |i, _| -w1[(i, 0)] * rng.random_range(-1.0..1.0));
    Mlp::new(
        vec![w1, m.weights()[1].clone()],
        vec![b1, m.biases()[1].clone()],
        act,
    )
}

/// Claim 4: fits the antisymmetric target sin(2πx) on [−1, 1] with `k` ReLU or
/// `k` tanh hidden units, keeping the best of the restarts.
///
/// # Errors
///
/// A width of 0 in [`Plan::antisym_ks`], or a training error.
pub fn antisymmetric(plan: &Plan, device: &Device) -> Result<Antisym> {
    let (xs, ys) = antisym_target();
    let x = to_tensor(&DMatrix::from_column_slice(256, 1, &xs), DType::F32, device)?;
    let y = to_tensor(&DMatrix::from_column_slice(256, 1, &ys), DType::F32, device)?;
    let (mut rows, mut relu_2k_bound) = (Vec::new(), Vec::new());
    for &k in &plan.antisym_ks {
        ensure_len("hidden units k", k, 1)?;
        relu_2k_bound.push(best_piecewise_linear_mse(&xs, &ys, 2 * k + 1)?);
        let mut best = [f64::INFINITY; 2];
        for (j, act) in [Activation::Relu, Activation::Tanh].into_iter().enumerate() {
            for restart in 0..plan.antisym_restarts {
                let seed = plan.seed * 1000 + (k * 10 + restart) as u64;
                let m = antisym_start(k, act, seed)?;
                let net = Net::from_mlp(&m, NetAct::Fixed(act), DType::F32, device)?;
                let l = fit_regression(&net, &x, &y, plan.antisym_steps, 0.01)?;
                best[j] = best[j].min(l);
            }
        }
        rows.push((k, best[0], best[1]));
    }
    Ok(Antisym {
        rows,
        relu_2k_bound,
    })
}

impl Antisym {
    /// The smallest `k` of the table from which on (for it and every larger `k`)
    /// the trained `k` tanh units fit better than any `2k` ReLU units can
    /// (below [`Antisym::relu_2k_bound`]); `None` if the last `k` is not such.
    pub fn tanh_beats_any_2k_relu_from(&self) -> Option<usize> {
        let mut from = None;
        for (&(k, _, tanh), &bound) in self.rows.iter().zip(&self.relu_2k_bound).rev() {
            if tanh >= bound {
                break;
            }
            from = Some(k);
        }
        from
    }

    /// The largest `k` up to which (for every `k` whose `2k` is also in the
    /// table) the best `2k`-unit ReLU fit found is at least as good as the best
    /// `k`-unit tanh fit; `None` if that fails at the first such `k`.
    pub fn relu_2k_matches_tanh_up_to(&self) -> Option<usize> {
        let mut upto = None;
        for &(k, _, tanh) in &self.rows {
            let Some(&(_, relu_2k, _)) = self.rows.iter().find(|r| r.0 == 2 * k) else {
                continue;
            };
            if relu_2k > tanh {
                break;
            }
            upto = Some(k);
        }
        upto
    }

    /// The table of best errors per width.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "hidden units k",
                "k ReLU units: best MSE found",
                "k tanh units: best MSE found",
                "any 2k ReLU units: MSE at least",
            ],
            rows: self
                .rows
                .iter()
                .zip(&self.relu_2k_bound)
                .map(|(&(k, relu, tanh), bound)| {
                    vec![
                        k.to_string(),
                        format!("{relu:.2e}"),
                        format!("{tanh:.2e}"),
                        format!("{bound:.2e}"),
                    ]
                })
                .collect(),
        }
    }
}

// ------------------------------------------------------------------ claims 5, 7

/// One training run of [`deep`].
#[derive(Debug, Clone, PartialEq)]
pub struct DeepRun {
    /// Activation of the hidden layers.
    pub act: NetAct,
    /// Seed index (0-based) within the plan.
    pub seed: u64,
    /// Statistics per epoch.
    pub stats: Vec<EpochStats>,
}

/// Result of [`deep`]: the 7-layer MLP at an ordinary and at a high learning rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Deep {
    /// Runs at the ordinary learning rate (ReLU, tanh, sigmoid, softplus, PReLU per seed).
    pub normal: Vec<DeepRun>,
    /// Runs at the high learning rate (ReLU, leaky ReLU, PReLU, softplus per seed).
    pub high: Vec<DeepRun>,
    /// The ordinary learning rate.
    pub lr: f64,
    /// The high learning rate.
    pub high_lr: f64,
}

/// Claims 5 and 7: the same 7-layer MLP on the digits with several activations,
/// one shared Glorot start per seed, at an ordinary and at a high learning rate.
///
/// # Errors
///
/// [`Plan::seeds`] of 0, or a training error.
pub fn deep(plan: &Plan, inputs: &Inputs, device: &Device) -> Result<Deep> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    let (lr, high_lr) = (0.05, 0.07);
    let normal_acts = [
        NetAct::Fixed(Activation::Relu),
        NetAct::Fixed(Activation::Tanh),
        NetAct::Fixed(Activation::Sigmoid),
        NetAct::Fixed(Activation::Softplus),
        NetAct::PRelu,
    ];
    let high_acts = [
        NetAct::Fixed(Activation::Relu),
        NetAct::Fixed(Activation::Leaky(0.01)),
        NetAct::PRelu,
        NetAct::Fixed(Activation::Softplus),
    ];
    let normal = deep_runs(plan, inputs, device, &normal_acts, lr, plan.deep_epochs)?;
    let high = deep_runs(
        plan,
        inputs,
        device,
        &high_acts,
        high_lr,
        plan.high_lr_epochs,
    )?;
    Ok(Deep {
        normal,
        high,
        lr,
        high_lr,
    })
}

/// Per seed, one Glorot start of the [`DEEP`] network trained with each
/// activation by SGD with momentum 0.9 in minibatches of 32.
///
/// # Errors
///
/// A training error.
pub fn deep_runs(
    plan: &Plan,
    inputs: &Inputs,
    device: &Device,
    acts: &[NetAct],
    lr: f64,
    epochs: usize,
) -> Result<Vec<DeepRun>> {
    let mut runs = Vec::new();
    for s in 0..plan.seeds {
        let mut rng = StdRng::seed_from_u64(plan.seed + 100 + s);
        let init = Mlp::glorot(&DEEP, Activation::Relu, &mut rng)?;
        for &act in acts {
            let net = Net::from_mlp(&init, act, DType::F32, device)?;
            let cfg = sgd(lr, 0.9, 32, epochs, plan.seed + s);
            let stats = train(&net, &inputs.train, &inputs.test, &cfg)?;
            runs.push(DeepRun {
                act,
                seed: s,
                stats,
            });
        }
    }
    Ok(runs)
}

/// The activations of `runs` in first-seen order.
fn activations(runs: &[DeepRun]) -> Vec<NetAct> {
    let mut acts: Vec<NetAct> = Vec::new();
    for r in runs {
        if !acts.contains(&r.act) {
            acts.push(r.act);
        }
    }
    acts
}

/// The runs of one activation, in seed order.
pub fn runs_of(runs: &[DeepRun], act: NetAct) -> Vec<&DeepRun> {
    runs.iter().filter(|r| r.act == act).collect()
}

/// Summary over seeds of one activation at the ordinary learning rate.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepSummary {
    /// The activation.
    pub act: NetAct,
    /// Final test accuracy per seed.
    pub final_accuracy: Vec<f64>,
    /// Mean of [`DeepSummary::final_accuracy`].
    pub mean_accuracy: f64,
    /// Lowest and highest final test accuracy.
    pub accuracy_range: (f64, f64),
    /// Mean final training loss.
    pub mean_loss: f64,
    /// Lowest and highest final training loss.
    pub loss_range: (f64, f64),
    /// Per seed, the first epoch with test accuracy ≥ 90 % (`None`: never).
    pub epoch_to_90: Vec<Option<usize>>,
    /// Per seed, the units off on all training images at the end.
    pub dead_units: Vec<usize>,
    /// Mean wall time of an epoch (seconds).
    pub seconds_per_epoch: f64,
}

/// A per-run number that two activations are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Final test accuracy.
    TestAccuracy,
    /// Final training loss (mean cross-entropy of the last epoch).
    TrainLoss,
    /// First epoch with test accuracy ≥ 90 %; a run that never gets there
    /// counts as one epoch past its last.
    EpochTo90,
}

impl Measure {
    /// The measure of one run (NaN for a run with no epoch).
    pub fn of(self, run: &DeepRun) -> f64 {
        let Some(last) = run.stats.last() else {
            return f64::NAN;
        };
        match self {
            Measure::TestAccuracy => last.test_accuracy,
            Measure::TrainLoss => last.train_loss,
            Measure::EpochTo90 => run
                .stats
                .iter()
                .find(|e| e.test_accuracy >= 0.9)
                .map_or(last.epoch + 1, |e| e.epoch) as f64,
        }
    }

    /// The name a table gives it.
    pub fn name(self) -> &'static str {
        match self {
            Measure::TestAccuracy => "final test accuracy (points)",
            Measure::TrainLoss => "final training loss",
            Measure::EpochTo90 => "epoch reaching 90 %",
        }
    }

    /// A value or difference as the tables print it (accuracy in percentage points).
    pub fn show(self, v: f64) -> String {
        match self {
            Measure::TestAccuracy => format!("{:+.1}", 100.0 * v),
            Measure::TrainLoss => format!("{v:+.4}"),
            Measure::EpochTo90 => format!("{v:+.1}"),
        }
    }
}

/// The paired comparison `a − b` of `measure` over the seeds of `runs`.
///
/// # Errors
///
/// Fewer than two seeds with both activations, or a non-finite value (a
/// diverged run); see [`Paired::new`].
pub fn paired_runs(runs: &[DeepRun], a: NetAct, b: NetAct, measure: Measure) -> Result<Paired> {
    let (ra, rb) = (runs_of(runs, a), runs_of(runs, b));
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for x in &ra {
        if let Some(y) = rb.iter().find(|y| y.seed == x.seed) {
            va.push(measure.of(x));
            vb.push(measure.of(y));
        }
    }
    Paired::new(&va, &vb)
}

const RELU: NetAct = NetAct::Fixed(Activation::Relu);
const TANH: NetAct = NetAct::Fixed(Activation::Tanh);
const SIGMOID: NetAct = NetAct::Fixed(Activation::Sigmoid);
const SOFTPLUS: NetAct = NetAct::Fixed(Activation::Softplus);

/// The paired comparisons the chapter reports at the ordinary learning rate.
pub const COMPARISONS: [(NetAct, NetAct, Measure); 8] = [
    (RELU, SOFTPLUS, Measure::TrainLoss),
    (RELU, SOFTPLUS, Measure::TestAccuracy),
    (RELU, SIGMOID, Measure::TestAccuracy),
    (TANH, RELU, Measure::EpochTo90),
    (TANH, RELU, Measure::TestAccuracy),
    (NetAct::PRelu, RELU, Measure::EpochTo90),
    (NetAct::PRelu, RELU, Measure::TrainLoss),
    (NetAct::PRelu, RELU, Measure::TestAccuracy),
];

/// The decision of a paired comparison in words, e.g. "ReLU lower".
pub fn decision_words(p: &Paired, a: NetAct, measure: Measure) -> String {
    let (higher, lower) = match measure {
        Measure::EpochTo90 => ("later", "sooner"),
        _ => ("higher", "lower"),
    };
    match p.decision() {
        Decision::AHigher => format!("{} {higher}", a.name()),
        Decision::BHigher => format!("{} {lower}", a.name()),
        Decision::NotDetected => "no difference beyond 2 SE".into(),
    }
}

impl Deep {
    /// The paired comparison `a − b` of `measure` at the ordinary learning rate.
    ///
    /// # Errors
    ///
    /// See [`paired_runs`].
    pub fn paired(&self, a: NetAct, b: NetAct, measure: Measure) -> Result<Paired> {
        paired_runs(&self.normal, a, b, measure)
    }

    /// The table of [`COMPARISONS`]: per-seed differences, mean ± standard error,
    /// and the decision of the two-standard-error rule.
    pub fn comparisons_table(&self) -> Table {
        let rows = COMPARISONS
            .iter()
            .map(|&(a, b, m)| {
                let pair = format!("{} − {}", a.name(), b.name());
                match self.paired(a, b, m) {
                    Ok(p) => {
                        let each: Vec<String> = p.diffs.iter().map(|d| m.show(*d)).collect();
                        vec![
                            pair,
                            m.name().to_string(),
                            each.join(", "),
                            format!(
                                "{} ± {}",
                                m.show(p.mean),
                                m.show(p.se).trim_start_matches('+')
                            ),
                            decision_words(&p, a, m),
                        ]
                    }
                    Err(Error::TooFew { .. }) => {
                        let why = "needs two or more seeds".to_string();
                        vec![pair, m.name().to_string(), "–".into(), "–".into(), why]
                    }
                    Err(e) => vec![
                        pair,
                        m.name().to_string(),
                        "–".into(),
                        "–".into(),
                        e.to_string(),
                    ],
                }
            })
            .collect();
        Table {
            header: vec![
                "difference",
                "measure",
                "per seed",
                "mean ± standard error",
                "decision (two-standard-error rule)",
            ],
            rows,
        }
    }

    /// One summary per activation at the ordinary learning rate, in run order.
    pub fn summaries(&self) -> Vec<DeepSummary> {
        activations(&self.normal)
            .into_iter()
            .map(|act| summarize(act, &runs_of(&self.normal, act)))
            .collect()
    }

    /// In how many seeds `holds(run of a, run of b)` is true at the ordinary
    /// learning rate (runs paired by seed).
    pub fn seeds_where(
        &self,
        a: NetAct,
        b: NetAct,
        holds: impl Fn(&DeepRun, &DeepRun) -> bool,
    ) -> SeedCount {
        let (ra, rb) = (runs_of(&self.normal, a), runs_of(&self.normal, b));
        let pairs: Vec<(&DeepRun, &DeepRun)> = ra
            .iter()
            .filter_map(|x| rb.iter().find(|y| y.seed == x.seed).map(|y| (*x, *y)))
            .collect();
        SeedCount {
            holds: pairs.iter().filter(|(x, y)| holds(x, y)).count(),
            of: pairs.len(),
        }
    }

    /// The comparisons the chapter states per seed: `a` ends with higher test
    /// accuracy than `b`; `a` ends with a lower training loss; `a` reaches 90 % test
    /// accuracy no later than `b` (a run that never does counts as later than any).
    pub fn seed_comparisons(&self, a: NetAct, b: NetAct) -> [(&'static str, SeedCount); 3] {
        let last = |r: &DeepRun| r.stats.last().copied();
        let to90 = |r: &DeepRun| {
            r.stats
                .iter()
                .find(|e| e.test_accuracy >= 0.9)
                .map_or(usize::MAX, |e| e.epoch)
        };
        [
            (
                "higher final test accuracy",
                self.seeds_where(a, b, |x, y| match (last(x), last(y)) {
                    (Some(p), Some(q)) => p.test_accuracy > q.test_accuracy,
                    _ => false,
                }),
            ),
            (
                "lower final training loss",
                self.seeds_where(a, b, |x, y| match (last(x), last(y)) {
                    (Some(p), Some(q)) => p.train_loss < q.train_loss,
                    _ => false,
                }),
            ),
            (
                "reaches 90 % no later",
                self.seeds_where(a, b, |x, y| to90(x) != usize::MAX && to90(x) <= to90(y)),
            ),
        ]
    }

    /// The activations of the high-learning-rate runs, in run order.
    pub fn high_activations(&self) -> Vec<NetAct> {
        activations(&self.high)
    }

    /// The table of final accuracies, losses, epochs to 90 %, dead units and epoch times.
    pub fn table(&self) -> Table {
        let rows = self
            .summaries()
            .iter()
            .map(|s| {
                let (lo, hi) = s.accuracy_range;
                let to90: Vec<String> = s
                    .epoch_to_90
                    .iter()
                    .map(|e| e.map_or("never".to_string(), |e| e.to_string()))
                    .collect();
                let dead: Vec<String> = s.dead_units.iter().map(|d| d.to_string()).collect();
                let (llo, lhi) = s.loss_range;
                vec![
                    s.act.name().to_string(),
                    format!("{} ({}–{})", pct(s.mean_accuracy), pct(lo), pct(hi)),
                    format!("{:.4} ({llo:.4}–{lhi:.4})", s.mean_loss),
                    to90.join(", "),
                    dead.join(", "),
                    format!("{:.1}", 1000.0 * s.seconds_per_epoch),
                ]
            })
            .collect();
        Table {
            header: vec![
                "activation",
                "final test accuracy: mean (min–max)",
                "final training loss: mean (min–max)",
                "epoch reaching 90 % (per seed)",
                "units with z ≤ 0 on all training images at the end (per seed)",
                "ms per epoch",
            ],
            rows,
        }
    }

    /// The table of dead units and accuracies per seed at the high learning rate;
    /// a run whose loss went non-finite reads "diverged (epoch n)".
    pub fn dead_table(&self) -> Table {
        let rows = self
            .high_activations()
            .into_iter()
            .map(|act| {
                let runs = runs_of(&self.high, act);
                let per_seed = |f: &dyn Fn(&EpochStats) -> String| -> String {
                    runs.iter()
                        .map(|r| match r.stats.last() {
                            Some(e) if e.train_loss.is_finite() => f(e),
                            Some(e) => format!("diverged (epoch {})", e.epoch),
                            None => "–".into(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                vec![
                    act.name().to_string(),
                    per_seed(&|e| e.dead_units.to_string()),
                    per_seed(&|e| pct(e.test_accuracy)),
                ]
            })
            .collect();
        Table {
            header: vec![
                "activation",
                "units with z ≤ 0 on all training images, at the end (per seed)",
                "test accuracy (per seed)",
            ],
            rows,
        }
    }
}

/// Mean, range, epochs to 90 %, dead units and epoch time over the seeds of one activation.
fn summarize(act: NetAct, runs: &[&DeepRun]) -> DeepSummary {
    let finals: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.stats.last().map(|e| e.test_accuracy))
        .collect();
    let losses: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.stats.last().map(|e| e.train_loss))
        .collect();
    let secs: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.stats.iter().map(|e| e.seconds))
        .collect();
    DeepSummary {
        act,
        mean_accuracy: mean(&finals),
        accuracy_range: range(&finals),
        mean_loss: mean(&losses),
        loss_range: range(&losses),
        epoch_to_90: runs
            .iter()
            .map(|r| {
                r.stats
                    .iter()
                    .find(|e| e.test_accuracy >= 0.9)
                    .map(|e| e.epoch)
            })
            .collect(),
        dead_units: runs
            .iter()
            .map(|r| r.stats.last().map_or(0, |e| e.dead_units))
            .collect(),
        seconds_per_epoch: mean(&secs),
        final_accuracy: finals,
    }
}

/// Arithmetic mean (NaN for no values).
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Smallest and largest value (`(∞, −∞)` for no values).
fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(*x), h.max(*x))
        })
}

/// In how many seeds a comparison between two activations held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SeedCount {
    /// Seeds in which it held.
    pub holds: usize,
    /// Seeds compared.
    pub of: usize,
}

impl SeedCount {
    /// Whether it held in every seed (and there was at least one).
    pub fn every_seed(self) -> bool {
        self.of > 0 && self.holds == self.of
    }
}

// ------------------------------------------------------------------ claim 5, constructed

/// Result of [`dead_unit`]: fits of |x| by two units, one of them off on every input.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadUnit {
    /// The least MSE of any one-unit ReLU network plus a constant on the same
    /// points ([`best_single_relu_fit`], squared): what a ReLU network with one
    /// dead unit can reach at best.
    pub one_unit_bound: f64,
    /// Per activation (ReLU, leaky ReLU 0.01, PReLU), the final MSE per seed.
    pub fits: Vec<(NetAct, Vec<f64>)>,
}

/// A 1-2-1 network for |x| on [−1, 1] whose second unit is off on every input
/// (z = x − 3 ≤ −2); the live first unit (slope ±[0.5, ∞), kink near 0) and
/// the output weights are drawn with `seed`.
///
/// # Errors
///
/// Only internal shape errors of the network code.
pub fn one_dead_unit(seed: u64) -> Result<Mlp> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).map_err(|e| Error::Data(e.to_string()))?;
    let mut draw = || -> f64 { normal.sample(&mut rng) };
    let sign = if draw() > 0.0 { 1.0 } else { -1.0 };
    let (w, b, v) = (
        sign * (0.5 + draw().abs()),
        0.3 * draw(),
        0.5 + 0.5 * draw().abs(),
    );
    Mlp::new(
        vec![
            DMatrix::from_column_slice(2, 1, &[w, 1.0]),
            DMatrix::from_row_slice(1, 2, &[v, 0.5 + 0.5 * draw().abs()]),
        ],
        vec![
            DVector::from_vec(vec![b, -3.0]),
            DVector::from_element(1, 0.0),
        ],
        Activation::Relu,
    )
}

/// Claim 5, a case where the blocked gradient hurts: fits |x| at 201 points of
/// [−1, 1] by full-batch Adam ([`Plan::dead_unit_steps`], learning rate 0.02, f64) from
/// [`one_dead_unit`] starts, one per seed, with ReLU, leaky ReLU and PReLU units.
///
/// # Errors
///
/// [`Plan::seeds`] of 0, or a training error.
pub fn dead_unit(plan: &Plan, device: &Device) -> Result<DeadUnit> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    let xs: Vec<f64> = (0..=200).map(|i| -1.0 + i as f64 * 0.01).collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.abs()).collect();
    let kinks: Vec<f64> = (0..=6000).map(|i| -3.0 + i as f64 * 1e-3).collect();
    let one_unit_bound = best_single_relu_fit(&xs, &ys, &kinks)?.powi(2);
    let column = |v: &[f64]| DMatrix::from_column_slice(v.len(), 1, v);
    let x = to_tensor(&column(&xs), DType::F64, device)?;
    let y = to_tensor(&column(&ys), DType::F64, device)?;
    let mut fits = Vec::new();
    for act in [
        NetAct::Fixed(Activation::Relu),
        NetAct::Fixed(Activation::Leaky(0.01)),
        NetAct::PRelu,
    ] {
        let mut per_seed = Vec::new();
        for s in 0..plan.seeds {
            let net = Net::from_mlp(
                &one_dead_unit(plan.seed + 500 + s)?,
                act,
                DType::F64,
                device,
            )?;
            per_seed.push(fit_regression(&net, &x, &y, plan.dead_unit_steps, 0.02)?);
        }
        fits.push((act, per_seed));
    }
    Ok(DeadUnit {
        one_unit_bound,
        fits,
    })
}

impl DeadUnit {
    /// The table of final errors per seed against the one-unit bound.
    pub fn table(&self) -> Table {
        let rows = self
            .fits
            .iter()
            .map(|(act, mse)| {
                let each: Vec<String> = mse.iter().map(|m| format!("{m:.1e}")).collect();
                let below = mse
                    .iter()
                    .filter(|&&m| m < 0.99 * self.one_unit_bound)
                    .count();
                vec![
                    act.name().to_string(),
                    each.join(", "),
                    format!("{below} of {}", mse.len()),
                ]
            })
            .collect();
        Table {
            header: vec![
                "units",
                "final MSE per seed",
                "seeds below the best one-unit error",
            ],
            rows,
        }
    }
}

// ------------------------------------------------------------------ claim 6

/// One run of [`sparsity`].
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRun {
    /// Label, e.g. "ReLU, β = 0.001".
    pub name: String,
    /// Record key, e.g. "relu_l1_0_001".
    pub key: String,
    /// Fraction of exact zeros on the test digits at initialisation.
    pub at_init: f64,
    /// Statistics per epoch.
    pub stats: Vec<EpochStats>,
    /// Multiply-adds of the trained network (in f64) on the test digits: dense,
    /// and done by [`sparse_forward`], which skips exact zeros.
    pub macs: MacCount,
}

/// Result of [`sparsity`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sparse {
    /// ReLU without penalty, with β = 1e-3 and 1e-2; softplus without and with β = 1e-2.
    pub runs: Vec<SparseRun>,
}

/// Claim 6: exact zeros in the hidden layers of a 64-128-128-10 network, with and
/// without an L1 activation penalty.
///
/// # Errors
///
/// A training error.
pub fn sparsity(plan: &Plan, inputs: &Inputs, device: &Device) -> Result<Sparse> {
    let mut rng = StdRng::seed_from_u64(plan.seed + 7);
    let init = Mlp::glorot(&[64, 128, 128, 10], Activation::Relu, &mut rng)?;
    let mut runs = Vec::new();
    for (act, l1) in [
        (Activation::Relu, 0.0),
        (Activation::Relu, 1e-3),
        (Activation::Relu, 1e-2),
        (Activation::Softplus, 0.0),
        (Activation::Softplus, 1e-2),
    ] {
        let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
        let at_init = zero_fraction(&net, &inputs.test)?;
        let cfg = TrainConfig {
            l1,
            ..sgd(0.05, 0.9, 32, plan.sparse_epochs, plan.seed)
        };
        let stats = train(&net, &inputs.train, &inputs.test, &cfg)?;
        let (_, macs) = sparse_forward(&net.to_mlp()?, &inputs.split.test_x)?;
        let name = if l1 > 0.0 {
            format!("{}, β = {l1}", act.name())
        } else {
            format!("{}, no penalty", act.name())
        };
        // ASCII keys: "relu_l1_0", "relu_l1_0.001" → "relu_l1_0_001", ...
        let key = name
            .replace("ReLU", "relu")
            .replace(", no penalty", "_l1_0")
            .replace(", β = ", "_l1_")
            .replace('.', "_");
        runs.push(SparseRun {
            name,
            key,
            at_init,
            stats,
            macs,
        });
    }
    Ok(Sparse { runs })
}

impl Sparse {
    /// The table of exact zeros at initialisation and after training, and accuracy.
    pub fn table(&self) -> Table {
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let last = r.stats.last();
                vec![
                    r.name.clone(),
                    pct(r.at_init),
                    last.map_or("–".into(), |e| pct(e.zero_fraction)),
                    pct(r.macs.skipped_fraction(1)),
                    last.map_or("–".into(), |e| pct(e.test_accuracy)),
                ]
            })
            .collect();
        Table {
            header: vec![
                "network",
                "exact zeros at init",
                "exact zeros after training",
                "multiply-adds of layers 2 and 3 skipped after training",
                "test accuracy",
            ],
            rows,
        }
    }
}

// ------------------------------------------------------------------ claim 8

/// One activation of [`pretraining`].
#[derive(Debug, Clone, PartialEq)]
pub struct PreRow {
    /// Activation name.
    pub name: String,
    /// Test accuracy per seed from a random start.
    pub without: Vec<f64>,
    /// Test accuracy per seed after first-layer autoencoder pre-training.
    pub with: Vec<f64>,
}

impl PreRow {
    /// Mean accuracy gain of pre-training, in percentage points.
    pub fn gain_points(&self) -> f64 {
        100.0 * (mean(&self.with) - mean(&self.without))
    }

    /// [`PreRow::gain_points`] rounded to one decimal as the book prints it, with
    /// a rounding residue such as −2e-14 shown as 0 rather than "−0.0".
    pub fn gain_points_shown(&self) -> f64 {
        let g = (10.0 * self.gain_points()).round() / 10.0;
        if g == 0.0 { 0.0 } else { g }
    }

    /// Seed-to-seed spread (highest minus lowest accuracy) from a random start,
    /// in percentage points.
    pub fn spread_points(&self) -> f64 {
        let (lo, hi) = range(&self.without);
        100.0 * (hi - lo)
    }

    /// The paired comparison of the test accuracy with − without pre-training,
    /// seed by seed (the same initialisation in both).
    ///
    /// # Errors
    ///
    /// Fewer than two seeds; see [`Paired::new`].
    pub fn paired(&self) -> Result<Paired> {
        Paired::new(&self.with, &self.without)
    }

    /// Whether pre-training raised the test accuracy beyond two standard errors.
    ///
    /// # Errors
    ///
    /// See [`PreRow::paired`].
    pub fn improves(&self) -> Result<bool> {
        Ok(self.paired()?.decision() == Decision::AHigher)
    }
}

/// Result of [`pretraining`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pre {
    /// ReLU and tanh.
    pub rows: Vec<PreRow>,
    /// Labelled training examples (ten per class).
    pub labelled: usize,
    /// Reconstruction MSE at the end of each pre-training.
    pub recon: Vec<f64>,
}

/// Claim 8: with ten labelled digits per class, fine-tunes a 64-64-64-64-10 network
/// from a random start and after first-layer autoencoder pre-training on all
/// training images.
///
/// # Errors
///
/// [`Plan::seeds`] of 0, or a training error.
pub fn pretraining(plan: &Plan, inputs: &Inputs, device: &Device) -> Result<Pre> {
    ensure_len("seeds", plan.seeds as usize, 1)?;
    let split = &inputs.split;
    let (lx, ly) = digits::per_class(&split.train_x, &split.train_y, 10);
    let lab = Data::new(&lx, &ly, DType::F32, device)?;
    let unlabelled = to_tensor(&split.train_x, DType::F32, device)?;
    let mut rows = Vec::new();
    let mut recon = Vec::new();
    for act in [Activation::Relu, Activation::Tanh] {
        let (mut without, mut with) = (Vec::new(), Vec::new());
        for s in 0..plan.seeds {
            let mut rng = StdRng::seed_from_u64(plan.seed + 300 + s);
            let init = Mlp::glorot(&[64, 64, 64, 64, 10], act, &mut rng)?;
            let cfg = sgd(0.05, 0.9, 20, plan.fine_epochs, plan.seed + s);
            let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
            train(&net, &lab, &inputs.test, &cfg)?;
            without.push(accuracy(&net, &inputs.test)?);
            let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
            let mse =
                pretrain_first_layer(&net, &unlabelled, plan.pre_epochs, 1e-3, plan.seed + s)?;
            recon.push(mse);
            train(&net, &lab, &inputs.test, &cfg)?;
            with.push(accuracy(&net, &inputs.test)?);
        }
        rows.push(PreRow {
            name: act.name().to_string(),
            without,
            with,
        });
    }
    Ok(Pre {
        rows,
        labelled: lab.n,
        recon,
    })
}

impl Pre {
    /// The table of accuracies per seed with and without pre-training.
    pub fn table(&self) -> Table {
        let fmt = |v: &[f64]| {
            let (lo, hi) = range(v);
            let each = v.iter().map(|a| pct(*a)).collect::<Vec<_>>().join(", ");
            format!(
                "{each} (mean {}, range {}–{})",
                pct(mean(v)),
                pct(lo),
                pct(hi)
            )
        };
        let change = |r: &PreRow| match r.paired() {
            Ok(p) => {
                let verdict = match p.decision() {
                    Decision::AHigher => "pre-training better",
                    Decision::BHigher => "pre-training worse",
                    Decision::NotDetected => "no difference beyond 2 SE",
                };
                format!(
                    "{:+.1} ± {:.1} points: {verdict}",
                    r.gain_points_shown(),
                    100.0 * p.se
                )
            }
            Err(_) => format!("{:+.1} points (one seed: no spread)", r.gain_points_shown()),
        };
        let rows = self
            .rows
            .iter()
            .map(|r| vec![r.name.clone(), fmt(&r.without), fmt(&r.with), change(r)])
            .collect();
        Table {
            header: vec![
                "activation",
                "test accuracy, random init (per seed)",
                "with first-layer autoencoder pre-training",
                "change, paired by seed: mean ± standard error",
            ],
            rows,
        }
    }
}

// ------------------------------------------------------------------ benchmark

/// Result of [`bench_step`]: wall time of one training step, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bench {
    /// Median over the timed steps.
    pub median_ms: f64,
    /// 10th percentile.
    pub p10_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// Timed steps.
    pub steps: usize,
    /// Median of the forward pass and the cross-entropy, over as many steps
    /// again, each split into its three parts.
    pub forward_ms: f64,
    /// Median of the backward pass (candle's gradients) in those steps.
    pub backward_ms: f64,
    /// Median of the SGD update of every parameter, and reading the loss
    /// back as a number, in those steps.
    pub update_ms: f64,
}

/// Times one SGD+momentum step of the 7-layer ReLU MLP on a batch of 32 (f32),
/// after up to ten warm-up steps.
///
/// # Errors
///
/// [`Plan::bench_steps`] of 0, fewer than 32 training examples, or a tensor error.
pub fn bench_step(plan: &Plan, train_data: &Data, device: &Device) -> Result<Bench> {
    ensure_len("timed steps", plan.bench_steps, 1)?;
    ensure_len("training examples for one batch", train_data.n, 32)?;
    let init = Mlp::glorot(
        &DEEP,
        Activation::Relu,
        &mut StdRng::seed_from_u64(plan.seed),
    )?;
    let net = Net::from_mlp(&init, NetAct::Fixed(Activation::Relu), DType::F32, device)?;
    let cfg = sgd(0.01, 0.9, 32, 1, plan.seed);
    let idx: Vec<u32> = (0..32).collect();
    let idx = Tensor::from_slice(&idx, 32, device)?;
    let (xb, yb) = train_data.select(&idx)?;
    let mut state = cfg.sgd(net.vars().len())?;
    for _ in 0..10.min(plan.bench_steps) {
        step(&net, &xb, &yb, &cfg, &mut state)?;
    }
    let mut times = Vec::with_capacity(plan.bench_steps);
    for _ in 0..plan.bench_steps {
        let t = Instant::now();
        step(&net, &xb, &yb, &cfg, &mut state)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // The same step again, its three parts timed apart: where the time goes.
    let mut parts = [const { Vec::new() }; 3];
    for _ in 0..plan.bench_steps {
        let t0 = Instant::now();
        let ce = candle_nn::loss::cross_entropy(&net.forward(&xb)?.out, &yb)?;
        let t1 = Instant::now();
        let grads = ce.backward()?;
        let t2 = Instant::now();
        for (k, v) in net.vars().iter().enumerate() {
            if let Some(g) = grads.get(v.as_tensor()) {
                state.apply(k, v, g)?;
            }
        }
        std::hint::black_box(crate::nn::scalar(&ce)?);
        let t3 = Instant::now();
        for (part, (a, b)) in parts.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3)]) {
            part.push((b - a).as_secs_f64() * 1000.0);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [forward_ms, backward_ms, update_ms] = parts.map(|mut v| median(&mut v));
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Ok(Bench {
        median_ms: q(0.5),
        p10_ms: q(0.1),
        p90_ms: q(0.9),
        steps: plan.bench_steps,
        forward_ms,
        backward_ms,
        update_ms,
    })
}
