//! Experiments of the chapter "Rectifier networks".
//!
//! `cargo run --release --example rectifier` writes `figures/rectifier/`;
//! `cargo run --example rectifier -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.
//!
//! Every number and table comes from `papernotes::rectifier::experiments`; this
//! file only parses flags, calls the experiments, draws and records.

use std::process::ExitCode;

use candle_core::Device;
use clap::Parser;
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series, Summary};
use papernotes::rectifier::Activation;
use papernotes::rectifier::experiments::{
    self as ex, Antisym, Bench, Deep, DeepRun, Ill, Inputs, Plan, Pre, Rescaling, Sparse, Table,
};
use papernotes::rectifier::train::{EpochStats, NetAct};
use papernotes::run::{CommonArgs, Fmt, Run};

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

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    if args.bench_step {
        return bench_only(&args.common, &device);
    }
    let mut run = Run::start(
        "rectifier",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = if args.common.quick {
        Plan::quick(run.seed())
    } else {
        Plan::full(run.seed())
    };
    let inputs = ex::inputs(&plan, &device)?;
    run.number("n_train", inputs.split.train_x.nrows() as f64, Fmt::Int);
    run.number("n_test", inputs.split.test_x.nrows() as f64, Fmt::Int);

    let r1 = run.time("claim 1: rescaling", || ex::rescaling(&plan))?;
    rescaling_report(&mut run, &r1)?;
    let r2 = run.time("claim 2: ill-conditioning", || {
        ex::ill_conditioning(&plan, &inputs, &device)
    })?;
    ill_report(&mut run, &r2)?;
    let r4 = run.time("claim 4: antisymmetric fits", || {
        ex::antisymmetric(&plan, &device)
    })?;
    antisym_report(&mut run, &r4)?;
    let r7 = run.time("claims 5, 7: deep MLPs", || {
        ex::deep(&plan, &inputs, &device)
    })?;
    deep_report(&mut run, &plan, &r7)?;
    dead_report(&mut run, &r7)?;
    let r5 = run.time("claim 5: a dead unit", || ex::dead_unit(&plan, &device))?;
    table(&mut run, "dead_unit_table", &r5.table());
    run.number("dead_unit_bound", r5.one_unit_bound, Fmt::Sci(2));
    run.number("dead_unit_steps", plan.dead_unit_steps as f64, Fmt::Int);
    let r6 = run.time("claim 6: sparsity", || {
        ex::sparsity(&plan, &inputs, &device)
    })?;
    sparse_report(&mut run, &r6)?;
    let r8 = run.time("claim 8: pre-training", || {
        ex::pretraining(&plan, &inputs, &device)
    })?;
    pre_report(&mut run, &r8)?;
    let r9 = run.time("benchmark: one training step", || {
        ex::bench_step(&plan, &inputs.train, &device)
    })?;
    bench_report(&mut run, &r9);
    run.finish()
}

// ------------------------------------------------------------------ helpers

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
}

fn curve(stats: &[EpochStats], f: impl Fn(&EpochStats) -> f64) -> Vec<(f64, f64)> {
    stats.iter().map(|s| (s.epoch as f64, f(s))).collect()
}

/// Per epoch, the mean over seeds with a band from the lowest to the highest seed.
fn seed_summary(
    label: &str,
    runs: &[&DeepRun],
    color: usize,
    f: impl Fn(&EpochStats) -> f64,
) -> papernotes::Result<Series> {
    let len = runs.iter().map(|r| r.stats.len()).min().unwrap_or(0);
    let xs: Vec<f64> = (1..=len).map(|e| e as f64).collect();
    let values: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.stats[..len].iter().map(&f).collect())
        .collect();
    Series::summary(label, &xs, &values, color, Summary::MeanMinMax)
}

// ------------------------------------------------------------------ claim 1

fn rescaling_report(run: &mut Run, r: &Rescaling) -> papernotes::Result<()> {
    run.number("rescale_nets", r.nets as f64, Fmt::Int);
    run.number("rescale_max_diff", r.max_positive, Fmt::Sci(1));
    let negative = r.changed_negative as f64;
    run.number("rescale_negative_changed", negative, Fmt::Int);
    let own_bias = r.changed_own_bias as f64;
    run.number("rescale_own_bias_changed", own_bias, Fmt::Int);
    let path = run.figure(
        "rescale_counterexample.svg",
        "A 1-8-8-1 ReLU network before and after α-rescaling with ∏α = 1: positive α keep the function, a negative pair or biases scaled by their own α do not",
    );
    let zip = |ys: &[f64]| r.xs.iter().copied().zip(ys.iter().copied()).collect();
    let mut c = LineChart::new(
        "α-rescaling of a ReLU network (∏α = 1)",
        "input x",
        "output s(x)",
    );
    c.push(Series::line("original", zip(&r.original), 0));
    let same = Series::line("α = (3, 1/6, 2): same function", zip(&r.positive), 2);
    c.push(same.with_mark(Mark::Dashed));
    c.push(Series::line("α = (−1, −1, 1)", zip(&r.negative), 1));
    let own = "b_i / α_i instead of b_i / ∏α";
    c.push(Series::line(own, zip(&r.own_bias), 3));
    c.legend = Legend::UpperRight;
    c.save(&path)
}

// ------------------------------------------------------------------ claim 2

fn ill_report(run: &mut Run, r: &Ill) -> papernotes::Result<()> {
    run.snippet("ill_alphas", r.alphas_markdown());
    run.number("ill_step_l0", r.one_step.0, Fmt::Fixed(4));
    run.number("ill_step_la", r.one_step.1, Fmt::Fixed(4));
    run.number("ill_step_lb", r.one_step.2, Fmt::Fixed(4));
    table(run, "ill_table", &r.table());
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
    for (i, run) in r.curves.iter().enumerate() {
        let mark = if i % 2 == 1 { Mark::Dashed } else { Mark::Line };
        let points = curve(&run.stats, |s| s.train_loss);
        c.push(Series::line(run.name.clone(), points, i / 2).with_mark(mark));
    }
    c.save(&path)
}

// ------------------------------------------------------------------ claim 4

fn antisym_report(run: &mut Run, r: &Antisym) -> papernotes::Result<()> {
    table(run, "antisym_table", &r.table());
    run.record("antisym_rows", &r.rows)?;
    let from = r
        .tanh_beats_any_2k_relu_from()
        .map_or(f64::NAN, |k| k as f64);
    run.number("antisym_tanh_beats_2k_from", from, Fmt::Int);
    let upto = r
        .relu_2k_matches_tanh_up_to()
        .map_or(f64::NAN, |k| k as f64);
    run.number("antisym_relu_2k_matches_to", upto, Fmt::Int);
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
    let relu = r.rows.iter().map(|&(k, a, _)| (k as f64, a)).collect();
    c.push(Series::line("ReLU", relu, 0).with_mark(Mark::LinePoints));
    let tanh = r.rows.iter().map(|&(k, _, b)| (k as f64, b)).collect();
    c.push(Series::line("tanh", tanh, 1).with_mark(Mark::LinePoints));
    c.save(&path)
}

// ------------------------------------------------------------------ claims 5, 7

fn deep_report(run: &mut Run, plan: &Plan, r: &Deep) -> papernotes::Result<()> {
    run.number("deep_lr", r.lr, Fmt::Fixed(2));
    run.number("deep_high_lr", r.high_lr, Fmt::Fixed(2));
    run.number("deep_epochs", plan.deep_epochs as f64, Fmt::Int);
    run.number("deep_seeds", plan.seeds as f64, Fmt::Int);
    run.number("high_lr_epochs", plan.high_lr_epochs as f64, Fmt::Int);
    let mut c = LineChart::new(
        "7-layer MLP on the digits: mean and range over seeds",
        "epoch",
        "test accuracy",
    );
    c.legend = Legend::LowerRight;
    c.y_range = Some((0.0, 1.0));
    let summaries = r.summaries();
    for (i, s) in summaries.iter().enumerate() {
        let name = s.act.name();
        run.record(&format!("deep_final_accuracy_{name}"), &s.final_accuracy)?;
        let key = format!("deep_acc_{}", name.replace(' ', "_").to_lowercase());
        run.number(&key, s.mean_accuracy, Fmt::Fixed(3));
        let runs = ex::runs_of(&r.normal, s.act);
        c.push(seed_summary(name, &runs, i, |e| e.test_accuracy)?);
    }
    table(run, "deep_table", &r.table());
    table(run, "deep_comparisons", &r.comparisons_table());
    let (relu, tanh) = (
        NetAct::Fixed(Activation::Relu),
        NetAct::Fixed(Activation::Tanh),
    );
    let pairs = [
        (relu, NetAct::Fixed(Activation::Softplus)),
        (relu, NetAct::Fixed(Activation::Sigmoid)),
        (tanh, relu),
    ];
    let counts: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| (a.name(), b.name(), r.seed_comparisons(a, b)))
        .collect();
    run.record("deep_seed_comparisons", &counts)?;
    let epoch_secs: Vec<(&str, f64)> = summaries
        .iter()
        .map(|s| (s.act.name(), s.seconds_per_epoch))
        .collect();
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
    c.save(&path)
}

fn dead_report(run: &mut Run, r: &Deep) -> papernotes::Result<()> {
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
    for (i, act) in r.high_activations().into_iter().enumerate() {
        let runs = ex::runs_of(&r.high, act);
        let finite: Vec<&DeepRun> = runs
            .iter()
            .copied()
            .filter(|s| s.stats.last().is_some_and(|e| e.train_loss.is_finite()))
            .collect();
        if !finite.is_empty() {
            let s = seed_summary(act.name(), &finite, i, |e| e.dead_units as f64)?;
            c.push(s.with_mark(Mark::LinePoints));
        }
        let accs: Vec<f64> = runs
            .iter()
            .filter_map(|s| s.stats.last().map(|e| e.test_accuracy))
            .collect();
        run.record(&format!("high_lr_accuracy_{}", act.name()), &accs)?;
    }
    table(run, "dead_table", &r.dead_table());
    c.save(&path)
}

// ------------------------------------------------------------------ claim 6

fn sparse_report(run: &mut Run, r: &Sparse) -> papernotes::Result<()> {
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
    for (i, s) in r.runs.iter().enumerate() {
        let mut pts = vec![(0.0, s.at_init)];
        pts.extend(curve(&s.stats, |e| e.zero_fraction));
        c.push(Series::line(s.name.clone(), pts, i).with_mark(Mark::LinePoints));
        let end = s.stats.last().map_or(f64::NAN, |e| e.zero_fraction);
        run.number(&format!("zeros_init_{}", s.key), s.at_init, Fmt::Fixed(3));
        run.number(&format!("zeros_end_{}", s.key), end, Fmt::Fixed(3));
        let skipped = s.macs.skipped_fraction(1);
        run.number(&format!("macs_skipped_{}", s.key), skipped, Fmt::Fixed(3));
    }
    table(run, "sparse_table", &r.table());
    c.save(&path)
}

// ------------------------------------------------------------------ claim 8

fn pre_report(run: &mut Run, r: &Pre) -> papernotes::Result<()> {
    run.number("pre_labelled", r.labelled as f64, Fmt::Int);
    run.record("pre_reconstruction_mse", &r.recon)?;
    for row in &r.rows {
        let key = format!("pre_gain_{}", row.name.to_lowercase());
        run.number(&key, row.gain_points_shown(), Fmt::Fixed(1));
        if let Ok(p) = row.paired() {
            run.record(&format!("pre_gain_paired_{}", row.name), &p)?;
        }
    }
    table(run, "pre_table", &r.table());
    Ok(())
}

// ------------------------------------------------------------------ benchmark

/// `--bench-step`: the step benchmark alone, printed as one JSON object.
fn bench_only(common: &CommonArgs, device: &Device) -> papernotes::Result<()> {
    let seed = common.seed;
    let plan = if common.quick {
        Plan::quick(seed)
    } else {
        Plan::full(seed)
    };
    let inputs: Inputs = ex::inputs(&plan, device)?;
    let b = ex::bench_step(&plan, &inputs.train, device)?;
    let json = serde_json::json!({
        "what": "one SGD+momentum step, 7-layer ReLU MLP 64-64-64-64-64-64-64-10, batch 32, f32",
        "threads": candle_core::utils::get_num_threads(),
        "steps": b.steps,
        "median_ms": b.median_ms,
        "p10_ms": b.p10_ms,
        "p90_ms": b.p90_ms,
        "forward_ms": b.forward_ms,
        "backward_ms": b.backward_ms,
        "update_ms": b.update_ms,
    });
    println!("{json}");
    Ok(())
}

fn bench_report(run: &mut Run, b: &Bench) {
    run.number("bench_step_ms", b.median_ms, Fmt::Fixed(3));
    run.number("bench_step_p10_ms", b.p10_ms, Fmt::Fixed(3));
    run.number("bench_step_p90_ms", b.p90_ms, Fmt::Fixed(3));
    run.number("bench_steps", b.steps as f64, Fmt::Int);
}
