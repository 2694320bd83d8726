//! Experiments of the chapter "Rectifier networks".
//!
//! `cargo run --release --example rectifier` writes `figures/rectifier/`;
//! `cargo run --example rectifier -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::process::ExitCode;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use clap::Parser;
use nalgebra::{DMatrix, DVector};
use papernotes::data::digits::{self, Split};
use papernotes::nn::{Data, to_tensor};
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series};
use papernotes::rectifier::backprop::{Target, gradients, loss, sgd_step};
use papernotes::rectifier::rescale::{balance, rescale, rescale_biases_by_own_alpha};
use papernotes::rectifier::train::{
    EpochStats, Net, NetAct, Rule, TrainConfig, accuracy, fit_regression, pretrain_first_layer,
    step, train, zero_fraction,
};
use papernotes::rectifier::{Activation, Mlp, rel_max_diff};
use papernotes::run::{CommonArgs, Fmt, Run};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};

#[derive(Parser)]
#[command(about = "Rectifier networks: rescaling, conversions, sparsity, deep training")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Only time one training step of the 7-layer MLP and print it as JSON (no
    /// figures, no run record); `benches/peer_torch.py` times the same step in
    /// PyTorch in the same script run.
    #[arg(long)]
    bench_step: bool,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

/// Sizes of everything, full or quick.
struct Plan {
    random_nets: usize,
    ill_epochs: usize,
    antisym_ks: Vec<usize>,
    antisym_steps: usize,
    antisym_restarts: usize,
    deep_epochs: usize,
    seeds: u64,
    high_lr_epochs: usize,
    sparse_epochs: usize,
    pre_epochs: usize,
    fine_epochs: usize,
    bench_steps: usize,
    train_rows: Option<usize>,
}

/// The sizes of a full run, or of a `--quick` one.
fn plan(quick: bool) -> Plan {
    if quick {
        Plan {
            random_nets: 20,
            ill_epochs: 2,
            antisym_ks: vec![1, 2, 4],
            antisym_steps: 60,
            antisym_restarts: 1,
            deep_epochs: 2,
            seeds: 1,
            high_lr_epochs: 2,
            sparse_epochs: 2,
            pre_epochs: 1,
            fine_epochs: 2,
            bench_steps: 5,
            train_rows: Some(200),
        }
    } else {
        Plan {
            random_nets: 500,
            ill_epochs: 30,
            antisym_ks: vec![1, 2, 3, 4, 6, 8, 12],
            antisym_steps: 3000,
            antisym_restarts: 3,
            deep_epochs: 40,
            seeds: 3,
            high_lr_epochs: 25,
            sparse_epochs: 30,
            pre_epochs: 20,
            fine_epochs: 200,
            bench_steps: 300,
            train_rows: None,
        }
    }
}

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let plan = plan(args.common.quick);
    if args.bench_step {
        return bench_only(&plan, &device, args.common.seed);
    }
    let mut run = Run::start(
        "rectifier",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let seed = run.seed();
    let mut split = digits::split(0.2, seed)?;
    if let Some(n) = plan.train_rows {
        let rows: Vec<usize> = (0..n).collect();
        split.train_x = split.train_x.select_rows(&rows);
        split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
    }
    run.number("n_train", split.train_x.nrows() as f64, Fmt::Int);
    run.number("n_test", split.test_x.nrows() as f64, Fmt::Int);
    let tr = Data::new(&split.train_x, &split.train_y, DType::F32, &device)?;
    let te = Data::new(&split.test_x, &split.test_y, DType::F32, &device)?;

    let r1 = run.time("claim 1: rescaling", || rescaling_compute(&plan, seed))?;
    rescaling_report(&mut run, r1)?;
    let r2 = run.time("claim 2: ill-conditioning", || {
        ill_compute(&plan, &split, &tr, &te, &device, seed)
    })?;
    ill_report(&mut run, r2)?;
    let r4 = run.time("claim 4: antisymmetric fits", || {
        antisym_compute(&plan, &device, seed)
    })?;
    antisym_report(&mut run, r4)?;
    let r7 = run.time("claims 5, 7: deep MLPs", || {
        deep_compute(&plan, &tr, &te, &device, seed)
    })?;
    deep_report(&mut run, &plan, r7)?;
    let r6 = run.time("claim 6: sparsity", || {
        sparse_compute(&plan, &tr, &te, &device, seed)
    })?;
    sparse_report(&mut run, r6)?;
    let r8 = run.time("claim 8: pre-training", || {
        pre_compute(&plan, &split, &te, &device, seed)
    })?;
    pre_report(&mut run, r8)?;
    let r9 = run.time("benchmark: one training step", || {
        bench_compute(&plan, &tr, &device, seed)
    })?;
    bench_report(&mut run, r9);
    run.finish()
}

// ------------------------------------------------------------------ helpers

/// A network with Glorot weights and biases drawn from N(0, bias_sd²).
fn random_net(
    sizes: &[usize],
    act: Activation,
    bias_sd: f64,
    rng: &mut StdRng,
) -> papernotes::Result<Mlp> {
    let m = Mlp::glorot(sizes, act, rng)?;
    let biases: Vec<DVector<f64>> = if bias_sd > 0.0 {
        let normal =
            Normal::new(0.0, bias_sd).map_err(|e| papernotes::Error::InvalidParameter {
                name: "bias sd",
                reason: e.to_string(),
            })?;
        m.biases()
            .iter()
            .map(|b| b.map(|_| normal.sample(rng)))
            .collect()
    } else {
        m.biases().to_vec()
    };
    Mlp::new(m.weights().to_vec(), biases, act)
}

fn with_const_biases(m: &Mlp, v: f64) -> papernotes::Result<Mlp> {
    Mlp::new(
        m.weights().to_vec(),
        m.biases().iter().map(|b| b.map(|_| v)).collect(),
        m.activation(),
    )
}

fn curve(stats: &[EpochStats], f: impl Fn(&EpochStats) -> f64) -> Vec<(f64, f64)> {
    stats.iter().map(|s| (s.epoch as f64, f(s))).collect()
}

/// Per epoch, the mean over seeds with a band from the lowest to the highest seed.
fn seed_summary(
    label: &str,
    runs: &[&Vec<EpochStats>],
    color: usize,
    f: impl Fn(&EpochStats) -> f64,
) -> papernotes::Result<Series> {
    let len = runs.iter().map(|r| r.len()).min().unwrap_or(0);
    let xs: Vec<f64> = (1..=len).map(|e| e as f64).collect();
    let values: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r[..len].iter().map(&f).collect())
        .collect();
    Series::summary(
        label,
        &xs,
        &values,
        color,
        papernotes::plot::Summary::MeanMinMax,
    )
}

fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

fn sgd(lr: f64, momentum: f64, batch: usize, epochs: usize, seed: u64) -> TrainConfig {
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

struct Rescaling {
    nets: usize,
    max_positive: f64,
    changed_negative: usize,
    changed_own_bias: usize,
    xs: Vec<f64>,
    original: Vec<f64>,
    positive: Vec<f64>,
    negative: Vec<f64>,
    own_bias: Vec<f64>,
}

fn rescaling_compute(plan: &Plan, seed: u64) -> papernotes::Result<Rescaling> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut max_positive, mut changed_negative, mut changed_own_bias) = (0.0f64, 0, 0);
    let logs = Uniform::new(-2.0f64, 2.0).map_err(|e| papernotes::Error::Data(e.to_string()))?;
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
        if rel_max_diff(
            &s,
            &rescale_biases_by_own_alpha(&mlp, &alphas)?.forward(&x)?,
        )? > 1e-6
        {
            changed_own_bias += 1;
        }
    }
    let mut rng = StdRng::seed_from_u64(seed + 1);
    let net = random_net(&[1, 8, 8, 1], Activation::Relu, 0.5, &mut rng)?;
    let xs: Vec<f64> = (0..=240).map(|i| -3.0 + i as f64 * 0.025).collect();
    let x = DMatrix::from_column_slice(xs.len(), 1, &xs);
    let eval = |m: &Mlp| -> papernotes::Result<Vec<f64>> { Ok(m.forward(&x)?.as_slice().to_vec()) };
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

fn rescaling_report(run: &mut Run, r: Rescaling) -> papernotes::Result<()> {
    run.number("rescale_nets", r.nets as f64, Fmt::Int);
    run.number("rescale_max_diff", r.max_positive, Fmt::Sci(1));
    run.number(
        "rescale_negative_changed",
        r.changed_negative as f64,
        Fmt::Int,
    );
    run.number(
        "rescale_own_bias_changed",
        r.changed_own_bias as f64,
        Fmt::Int,
    );
    let path = run.figure(
        "rescale_counterexample.svg",
        "A 1-8-8-1 ReLU network before and after α-rescaling with ∏α = 1: positive α keep the function, a negative pair or biases scaled by their own α do not",
    );
    let zip = |ys: &[f64]| {
        r.xs.iter()
            .copied()
            .zip(ys.iter().copied())
            .collect::<Vec<_>>()
    };
    let mut c = LineChart::new(
        "α-rescaling of a ReLU network (∏α = 1)",
        "input x",
        "output s(x)",
    );
    c.push(Series::line("original", zip(&r.original), 0));
    c.push(
        Series::line("α = (3, 1/6, 2): same function", zip(&r.positive), 2).with_mark(Mark::Dashed),
    );
    c.push(Series::line("α = (−1, −1, 1)", zip(&r.negative), 1));
    c.push(Series::line(
        "b_i / α_i instead of b_i / ∏α",
        zip(&r.own_bias),
        3,
    ));
    c.legend = Legend::UpperRight;
    c.save(&path)
}

// ------------------------------------------------------------------ claim 2

struct Ill {
    alphas: Vec<f64>,
    one_step: (f64, f64, f64),
    curves: Vec<(String, Vec<EpochStats>)>,
}

fn ill_compute(
    plan: &Plan,
    split: &Split,
    tr: &Data,
    te: &Data,
    device: &Device,
    seed: u64,
) -> papernotes::Result<Ill> {
    let mut rng = StdRng::seed_from_u64(seed + 2);
    // Biases start at 0.01 (not 0) so that the relative rule can move them.
    let theta = with_const_biases(
        &Mlp::glorot(&[64, 32, 32, 10], Activation::Relu, &mut rng)?,
        0.01,
    )?;
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
    let plain = sgd(lr, 0.0, 32, plan.ill_epochs, seed);
    let relative = TrainConfig {
        rule: Rule::Relative,
        lr: 0.01,
        ..plain
    };
    let (b1, _) = balance(&theta)?;
    let (b2, _) = balance(&theta2)?;
    let mut curves = Vec::new();
    for (name, start, cfg) in [
        ("SGD from θ", &theta, plain),
        ("SGD from θ′ = R_α θ", &theta2, plain),
        ("balanced, then SGD (from θ)", &b1, plain),
        ("balanced, then SGD (from θ′)", &b2, plain),
        ("relative steps from θ", &theta, relative),
        ("relative steps from θ′", &theta2, relative),
    ] {
        let net = Net::from_mlp(start, NetAct::Fixed(Activation::Relu), DType::F32, device)?;
        curves.push((name.to_string(), train(&net, tr, te, &cfg)?));
    }
    Ok(Ill {
        alphas,
        one_step: (l0, la, lb),
        curves,
    })
}

fn ill_report(run: &mut Run, r: Ill) -> papernotes::Result<()> {
    run.snippet(
        "ill_alphas",
        format!(
            "$({}, 1/{}, {})$",
            r.alphas[0],
            (1.0 / r.alphas[1]).round(),
            r.alphas[2]
        ),
    );
    run.number("ill_step_l0", r.one_step.0, Fmt::Fixed(4));
    run.number("ill_step_la", r.one_step.1, Fmt::Fixed(4));
    run.number("ill_step_lb", r.one_step.2, Fmt::Fixed(4));
    let mut rows = Vec::new();
    for pair in r.curves.chunks(2) {
        let (a, b) = (&pair[0].1, &pair[1].1);
        let gap = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x.train_loss - y.train_loss).abs())
            .fold(0.0f64, f64::max);
        let last = |s: &Vec<EpochStats>| {
            s.last()
                .map(|e| (e.train_loss, e.test_accuracy))
                .unwrap_or((f64::NAN, f64::NAN))
        };
        let ((la, aa), (lb, ab)) = (last(a), last(b));
        rows.push(vec![
            pair[0].0.replace(" from θ", "").replace(" (from θ)", ""),
            format!("{la:.4} / {lb:.4}"),
            format!("{} / {}", pct(aa), pct(ab)),
            format!("{gap:.2e}"),
        ]);
    }
    run.table(
        "ill_table",
        &[
            "method",
            "final training loss (θ / θ′)",
            "test accuracy (θ / θ′)",
            "largest gap between the two loss curves",
        ],
        &rows,
    );
    let path = run.figure(
        "ill_conditioning.svg",
        "Training loss from two parametrizations of the same ReLU network: plain SGD, balanced start, layer-wise relative steps",
    );
    let mut c = LineChart::new(
        "Same function, different parametrization",
        "epoch",
        "training cross-entropy",
    );
    c.y_scale = Scale::Log;
    c.legend = Legend::UpperRight;
    for (i, (name, stats)) in r.curves.iter().enumerate() {
        let mark = if i % 2 == 1 { Mark::Dashed } else { Mark::Line };
        c.push(Series::line(name.clone(), curve(stats, |s| s.train_loss), i / 2).with_mark(mark));
    }
    c.save(&path)
}

// ------------------------------------------------------------------ claim 4

struct Antisym {
    rows: Vec<(usize, f64, f64)>,
}

fn antisym_compute(plan: &Plan, device: &Device, seed: u64) -> papernotes::Result<Antisym> {
    let xs: Vec<f64> = (0..256).map(|i| -1.0 + 2.0 * i as f64 / 255.0).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|x| (2.0 * std::f64::consts::PI * x).sin())
        .collect();
    let x = to_tensor(&DMatrix::from_column_slice(256, 1, &xs), DType::F32, device)?;
    let y = to_tensor(&DMatrix::from_column_slice(256, 1, &ys), DType::F32, device)?;
    let mut rows = Vec::new();
    for &k in &plan.antisym_ks {
        let mut best = [f64::INFINITY; 2];
        for (j, act) in [Activation::Relu, Activation::Tanh].into_iter().enumerate() {
            for restart in 0..plan.antisym_restarts {
                let mut rng = StdRng::seed_from_u64(seed * 1000 + (k * 10 + restart) as u64);
                // Kinks (ReLU) or centres (tanh) spread uniformly over the data:
                // slope ±[1, 4], position t in [−1, 1], bias −w·t.
                let m = Mlp::glorot(&[1, k, 1], act, &mut rng)?;
                let w1 = m.weights()[0].map(|_| {
                    let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                    sign * rng.random_range(1.0..4.0)
                });
                let b1 = DVector::from_fn(k, |i, _| -w1[(i, 0)] * rng.random_range(-1.0..1.0));
                let m = Mlp::new(
                    vec![w1, m.weights()[1].clone()],
                    vec![b1, m.biases()[1].clone()],
                    act,
                )?;
                let net = Net::from_mlp(&m, NetAct::Fixed(act), DType::F32, device)?;
                let l = fit_regression(&net, &x, &y, plan.antisym_steps, 0.01)?;
                best[j] = best[j].min(l);
            }
        }
        rows.push((k, best[0], best[1]));
    }
    Ok(Antisym { rows })
}

fn antisym_report(run: &mut Run, r: Antisym) -> papernotes::Result<()> {
    let table: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|&(k, relu, tanh)| vec![k.to_string(), format!("{relu:.2e}"), format!("{tanh:.2e}")])
        .collect();
    run.table(
        "antisym_table",
        &["hidden units k", "ReLU: best MSE", "tanh: best MSE"],
        &table,
    );
    run.record("antisym_rows", &r.rows)?;
    let path = run.figure(
        "antisymmetric_fit.svg",
        "Best mean squared error fitting the antisymmetric target sin(2πx) on [−1, 1] with k ReLU or k tanh hidden units",
    );
    let mut c = LineChart::new(
        "Fitting sin(2πx) with one hidden layer",
        "hidden units k",
        "best mean squared error",
    );
    c.y_scale = Scale::Log;
    c.legend = Legend::UpperRight;
    c.push(
        Series::line(
            "ReLU",
            r.rows.iter().map(|&(k, a, _)| (k as f64, a)).collect(),
            0,
        )
        .with_mark(Mark::LinePoints),
    );
    c.push(
        Series::line(
            "tanh",
            r.rows.iter().map(|&(k, _, b)| (k as f64, b)).collect(),
            1,
        )
        .with_mark(Mark::LinePoints),
    );
    c.save(&path)
}

// ------------------------------------------------------------------ claims 5, 7

const DEEP: [usize; 8] = [64, 64, 64, 64, 64, 64, 64, 10];

struct Deep {
    normal: Vec<(NetAct, u64, Vec<EpochStats>)>,
    high: Vec<(NetAct, Vec<EpochStats>)>,
    lr: f64,
    high_lr: f64,
}

fn deep_compute(
    plan: &Plan,
    tr: &Data,
    te: &Data,
    device: &Device,
    seed: u64,
) -> papernotes::Result<Deep> {
    let acts = [
        NetAct::Fixed(Activation::Relu),
        NetAct::Fixed(Activation::Tanh),
        NetAct::Fixed(Activation::Sigmoid),
        NetAct::Fixed(Activation::Softplus),
        NetAct::PRelu,
    ];
    let (lr, high_lr) = (0.05, 0.07);
    let mut normal = Vec::new();
    for s in 0..plan.seeds {
        let init = Mlp::glorot(
            &DEEP,
            Activation::Relu,
            &mut StdRng::seed_from_u64(seed + 100 + s),
        )?;
        for act in acts {
            let net = Net::from_mlp(&init, act, DType::F32, device)?;
            normal.push((
                act,
                s,
                train(&net, tr, te, &sgd(lr, 0.9, 32, plan.deep_epochs, seed + s))?,
            ));
        }
    }
    let mut high = Vec::new();
    for s in 0..plan.seeds {
        let init = Mlp::glorot(
            &DEEP,
            Activation::Relu,
            &mut StdRng::seed_from_u64(seed + 100 + s),
        )?;
        for act in [
            NetAct::Fixed(Activation::Relu),
            NetAct::Fixed(Activation::Leaky(0.01)),
            NetAct::PRelu,
            NetAct::Fixed(Activation::Softplus),
        ] {
            let net = Net::from_mlp(&init, act, DType::F32, device)?;
            high.push((
                act,
                train(
                    &net,
                    tr,
                    te,
                    &sgd(high_lr, 0.9, 32, plan.high_lr_epochs, seed + s),
                )?,
            ));
        }
    }
    Ok(Deep {
        normal,
        high,
        lr,
        high_lr,
    })
}

fn deep_report(run: &mut Run, plan: &Plan, r: Deep) -> papernotes::Result<()> {
    run.number("deep_lr", r.lr, Fmt::Fixed(2));
    run.number("deep_high_lr", r.high_lr, Fmt::Fixed(2));
    run.number("deep_epochs", plan.deep_epochs as f64, Fmt::Int);
    run.number("deep_seeds", plan.seeds as f64, Fmt::Int);
    run.number("high_lr_epochs", plan.high_lr_epochs as f64, Fmt::Int);
    let mut acts: Vec<NetAct> = Vec::new();
    for (a, _, _) in &r.normal {
        if !acts.contains(a) {
            acts.push(*a);
        }
    }
    let mut rows = Vec::new();
    let mut c = LineChart::new(
        "7-layer MLP on the digits: mean and range over seeds",
        "epoch",
        "test accuracy",
    );
    c.legend = Legend::LowerRight;
    c.y_range = Some((0.0, 1.0));
    let mut epoch_secs = Vec::new();
    for (i, act) in acts.iter().enumerate() {
        let runs: Vec<&Vec<EpochStats>> = r
            .normal
            .iter()
            .filter(|(a, _, _)| a == act)
            .map(|(_, _, s)| s)
            .collect();
        let finals: Vec<f64> = runs
            .iter()
            .filter_map(|s| s.last().map(|e| e.test_accuracy))
            .collect();
        let losses: Vec<f64> = runs
            .iter()
            .filter_map(|s| s.last().map(|e| e.train_loss))
            .collect();
        let to90: Vec<String> = runs
            .iter()
            .map(|s| {
                s.iter()
                    .find(|e| e.test_accuracy >= 0.9)
                    .map_or("never".to_string(), |e| e.epoch.to_string())
            })
            .collect();
        let mean = finals.iter().sum::<f64>() / finals.len() as f64;
        let (lo, hi) = finals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(*v), h.max(*v))
            });
        let dead: Vec<String> = runs
            .iter()
            .map(|s| s.last().map_or(0, |e| e.dead_units).to_string())
            .collect();
        let secs: Vec<f64> = runs
            .iter()
            .flat_map(|s| s.iter().map(|e| e.seconds))
            .collect();
        let per_epoch = secs.iter().sum::<f64>() / secs.len() as f64;
        epoch_secs.push((act.name(), per_epoch));
        rows.push(vec![
            act.name().to_string(),
            format!("{} ({}–{})", pct(mean), pct(lo), pct(hi)),
            format!("{:.4}", losses.iter().sum::<f64>() / losses.len() as f64),
            to90.join(", "),
            dead.join(", "),
            format!("{:.1}", 1000.0 * per_epoch),
        ]);
        run.record(&format!("deep_final_accuracy_{}", act.name()), &finals)?;
        let key = format!("deep_acc_{}", act.name().replace(' ', "_").to_lowercase());
        run.number(&key, mean, Fmt::Fixed(3));
        c.push(seed_summary(act.name(), &runs, i, |e| e.test_accuracy)?);
    }
    run.table(
        "deep_table",
        &[
            "activation",
            "final test accuracy: mean (min–max)",
            "final training loss (mean)",
            "epoch reaching 90 % (per seed)",
            "units with z ≤ 0 on all training images at the end (per seed)",
            "ms per epoch",
        ],
        &rows,
    );
    let relu_epoch = epoch_secs
        .iter()
        .find(|(n, _)| *n == "ReLU")
        .map_or(f64::NAN, |v| v.1);
    run.number("epoch_ms_relu", 1000.0 * relu_epoch, Fmt::Fixed(1));
    run.record("epoch_seconds", &epoch_secs)?;
    let path = run.figure(
        "deep_accuracy.svg",
        "Test accuracy per epoch of the same 7-layer MLP with five activations: mean over seeds (line) and the range from the worst to the best seed (band)",
    );
    c.save(&path)?;

    let path = run.figure(
        "dead_units.svg",
        "Hidden units that are off on every training example, during training of the 7-layer MLP at a high learning rate: mean over the seeds that did not diverge (line) and the range from the lowest to the highest seed (band)",
    );
    let mut c = LineChart::new(
        format!(
            "Units off on all training images, learning rate {}",
            r.high_lr
        ),
        "epoch",
        "units off (of 384), mean and range over seeds",
    );
    c.legend = Legend::UpperLeft;
    let mut rows = Vec::new();
    let mut names: Vec<NetAct> = Vec::new();
    for (a, _) in &r.high {
        if !names.contains(a) {
            names.push(*a);
        }
    }
    for (i, act) in names.iter().enumerate() {
        let runs: Vec<&Vec<EpochStats>> = r
            .high
            .iter()
            .filter(|(a, _)| a == act)
            .map(|(_, s)| s)
            .collect();
        let full: Vec<&Vec<EpochStats>> = runs
            .iter()
            .copied()
            .filter(|s| s.last().is_some_and(|e| e.train_loss.is_finite()))
            .collect();
        if !full.is_empty() {
            c.push(
                seed_summary(act.name(), &full, i, |e| e.dead_units as f64)?
                    .with_mark(Mark::LinePoints),
            );
        }
        let per_seed = |f: &dyn Fn(&EpochStats) -> String| -> String {
            runs.iter()
                .map(|s| match s.last() {
                    Some(e) if e.train_loss.is_finite() => f(e),
                    Some(e) => format!("diverged (epoch {})", e.epoch),
                    None => "–".into(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push(vec![
            act.name().to_string(),
            per_seed(&|e| e.dead_units.to_string()),
            per_seed(&|e| pct(e.test_accuracy)),
        ]);
        let accs: Vec<f64> = runs
            .iter()
            .filter_map(|s| s.last().map(|e| e.test_accuracy))
            .collect();
        run.record(&format!("high_lr_accuracy_{}", act.name()), &accs)?;
    }
    run.table(
        "dead_table",
        &[
            "activation",
            "units with z ≤ 0 on all training images, at the end (per seed)",
            "test accuracy (per seed)",
        ],
        &rows,
    );
    c.save(&path)
}

// ------------------------------------------------------------------ claim 6

struct Sparse {
    runs: Vec<(String, f64, Vec<EpochStats>)>,
}

fn sparse_compute(
    plan: &Plan,
    tr: &Data,
    te: &Data,
    device: &Device,
    seed: u64,
) -> papernotes::Result<Sparse> {
    let init = Mlp::glorot(
        &[64, 128, 128, 10],
        Activation::Relu,
        &mut StdRng::seed_from_u64(seed + 7),
    )?;
    let mut runs = Vec::new();
    for (act, l1) in [
        (Activation::Relu, 0.0),
        (Activation::Relu, 1e-3),
        (Activation::Relu, 1e-2),
        (Activation::Softplus, 0.0),
        (Activation::Softplus, 1e-2),
    ] {
        let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
        let at_init = zero_fraction(&net, te)?;
        let cfg = TrainConfig {
            l1,
            ..sgd(0.05, 0.9, 32, plan.sparse_epochs, seed)
        };
        let stats = train(&net, tr, te, &cfg)?;
        let name = if l1 > 0.0 {
            format!("{}, λ = {l1}", act.name())
        } else {
            format!("{}, no penalty", act.name())
        };
        runs.push((name, at_init, stats));
    }
    Ok(Sparse { runs })
}

fn sparse_report(run: &mut Run, r: Sparse) -> papernotes::Result<()> {
    let path = run.figure(
        "sparsity.svg",
        "Fraction of exactly-zero hidden activations on the test digits, at initialisation (epoch 0) and during training",
    );
    let mut c = LineChart::new(
        "Exact zeros in the hidden layers (64-128-128-10)",
        "epoch",
        "fraction of activations exactly 0",
    );
    c.y_range = Some((0.0, 1.0));
    c.legend = Legend::UpperRight;
    let mut rows = Vec::new();
    for (i, (name, init, stats)) in r.runs.iter().enumerate() {
        let mut pts = vec![(0.0, *init)];
        pts.extend(curve(stats, |e| e.zero_fraction));
        c.push(Series::line(name.clone(), pts, i).with_mark(Mark::LinePoints));
        let last = stats.last();
        rows.push(vec![
            name.clone(),
            pct(*init),
            last.map_or("–".into(), |e| pct(e.zero_fraction)),
            last.map_or("–".into(), |e| pct(e.test_accuracy)),
        ]);
        // ASCII keys: "relu_l1_0", "relu_l1_0.001" → "relu_l1_0_001", ...
        let key = name
            .replace("ReLU", "relu")
            .replace(", no penalty", "_l1_0")
            .replace(", λ = ", "_l1_")
            .replace('.', "_");
        run.number(&format!("zeros_init_{key}"), *init, Fmt::Fixed(3));
        run.number(
            &format!("zeros_end_{key}"),
            last.map_or(f64::NAN, |e| e.zero_fraction),
            Fmt::Fixed(3),
        );
    }
    run.table(
        "sparse_table",
        &[
            "network",
            "exact zeros at init",
            "exact zeros after training",
            "test accuracy",
        ],
        &rows,
    );
    c.save(&path)
}

// ------------------------------------------------------------------ claim 8

struct Pre {
    rows: Vec<(String, Vec<f64>, Vec<f64>)>,
    labelled: usize,
    recon: Vec<f64>,
}

fn pre_compute(
    plan: &Plan,
    split: &Split,
    te: &Data,
    device: &Device,
    seed: u64,
) -> papernotes::Result<Pre> {
    let (lx, ly) = digits::per_class(&split.train_x, &split.train_y, 10);
    let lab = Data::new(&lx, &ly, DType::F32, device)?;
    let unlabelled = to_tensor(&split.train_x, DType::F32, device)?;
    let mut rows = Vec::new();
    let mut recon = Vec::new();
    for act in [Activation::Relu, Activation::Tanh] {
        let (mut without, mut with) = (Vec::new(), Vec::new());
        for s in 0..plan.seeds {
            let init = Mlp::glorot(
                &[64, 64, 64, 64, 10],
                act,
                &mut StdRng::seed_from_u64(seed + 300 + s),
            )?;
            let cfg = sgd(0.05, 0.9, 20, plan.fine_epochs, seed + s);
            let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
            train(&net, &lab, te, &cfg)?;
            without.push(accuracy(&net, te)?);
            let net = Net::from_mlp(&init, NetAct::Fixed(act), DType::F32, device)?;
            recon.push(pretrain_first_layer(
                &net,
                &unlabelled,
                plan.pre_epochs,
                1e-3,
                seed + s,
            )?);
            train(&net, &lab, te, &cfg)?;
            with.push(accuracy(&net, te)?);
        }
        rows.push((act.name().to_string(), without, with));
    }
    Ok(Pre {
        rows,
        labelled: lab.n,
        recon,
    })
}

fn pre_report(run: &mut Run, r: Pre) -> papernotes::Result<()> {
    run.number("pre_labelled", r.labelled as f64, Fmt::Int);
    run.record("pre_reconstruction_mse", &r.recon)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut rows = Vec::new();
    for (name, without, with) in &r.rows {
        let fmt = |v: &[f64]| v.iter().map(|a| pct(*a)).collect::<Vec<_>>().join(", ");
        rows.push(vec![
            name.clone(),
            format!("{} (mean {})", fmt(without), pct(mean(without))),
            format!("{} (mean {})", fmt(with), pct(mean(with))),
            format!("{:+.1} points", 100.0 * (mean(with) - mean(without))),
        ]);
        run.number(
            &format!("pre_gain_{}", name.to_lowercase()),
            100.0 * (mean(with) - mean(without)),
            Fmt::Fixed(1),
        );
    }
    run.table(
        "pre_table",
        &[
            "activation",
            "test accuracy, random init (per seed)",
            "with first-layer autoencoder pre-training",
            "change",
        ],
        &rows,
    );
    Ok(())
}

// ------------------------------------------------------------------ benchmark

struct Bench {
    median_ms: f64,
    p10_ms: f64,
    p90_ms: f64,
    steps: usize,
}

/// `--bench-step`: the step benchmark alone, printed as one JSON object.
fn bench_only(plan: &Plan, device: &Device, seed: u64) -> papernotes::Result<()> {
    let split = digits::split(0.2, seed)?;
    let tr = Data::new(&split.train_x, &split.train_y, DType::F32, device)?;
    let b = bench_compute(plan, &tr, device, seed)?;
    let json = serde_json::json!({
        "what": "one SGD+momentum step, 7-layer ReLU MLP 64-64-64-64-64-64-64-10, batch 32, f32",
        "threads": candle_core::utils::get_num_threads(),
        "steps": b.steps,
        "median_ms": b.median_ms,
        "p10_ms": b.p10_ms,
        "p90_ms": b.p90_ms,
    });
    println!("{json}");
    Ok(())
}

fn bench_compute(plan: &Plan, tr: &Data, device: &Device, seed: u64) -> papernotes::Result<Bench> {
    let init = Mlp::glorot(&DEEP, Activation::Relu, &mut StdRng::seed_from_u64(seed))?;
    let net = Net::from_mlp(&init, NetAct::Fixed(Activation::Relu), DType::F32, device)?;
    let cfg = sgd(0.01, 0.9, 32, 1, seed);
    let idx: Vec<u32> = (0..32).collect();
    let idx = Tensor::from_slice(&idx, 32, device)?;
    let (xb, yb) = (tr.x.index_select(&idx, 0)?, tr.y.index_select(&idx, 0)?);
    let mut sgd = cfg.sgd(net.vars().len())?;
    for _ in 0..10.min(plan.bench_steps) {
        step(&net, &xb, &yb, &cfg, &mut sgd)?;
    }
    let mut times = Vec::with_capacity(plan.bench_steps);
    for _ in 0..plan.bench_steps {
        let t = Instant::now();
        step(&net, &xb, &yb, &cfg, &mut sgd)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Ok(Bench {
        median_ms: q(0.5),
        p10_ms: q(0.1),
        p90_ms: q(0.9),
        steps: plan.bench_steps,
    })
}

fn bench_report(run: &mut Run, b: Bench) {
    run.number("bench_step_ms", b.median_ms, Fmt::Fixed(3));
    run.number("bench_step_p10_ms", b.p10_ms, Fmt::Fixed(3));
    run.number("bench_step_p90_ms", b.p90_ms, Fmt::Fixed(3));
    run.number("bench_steps", b.steps as f64, Fmt::Int);
}
