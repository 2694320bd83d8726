//! The 2015 deep-learning review, checked: runs every experiment of the chapter
//! (`papernotes::review::experiments`), draws its figures and records its numbers.
//!
//! `cargo run --release --example review` writes `figures/review/`;
//! `cargo run --example review -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use papernotes::Result;
use papernotes::plot::{LineChart, Mark, Scale, Series, Summary};
use papernotes::review::experiments::{self as ex, LAYERS, POOLS, Plan, SHIFTS, Table};
use papernotes::run::{CommonArgs, Fmt, Run};

#[derive(Parser)]
#[command(about = "Deep-learning review: landscape, separability, pooling, pre-training")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

type Item = fn(&mut Run, &Plan, &candle_core::Device) -> Result<()>;

fn run() -> Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "review",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = Plan::new(run.quick(), run.seed());
    run.number("seeds", plan.seeds as f64, Fmt::Int);
    let items: [(&str, Item); 4] = [
        ("claim 1: landscape", |r, p, _| landscape(r, p)),
        ("claims 2 and 5: linear probes", separability),
        ("claim 3: pooling", pooling),
        ("claim 4: pre-training", pretraining),
    ];
    let mut times = Vec::new();
    for (label, item) in items {
        let t0 = Instant::now();
        item(&mut run, &plan, &device)?;
        times.push(vec![
            label.to_string(),
            format!("{:.1}", t0.elapsed().as_secs_f64()),
        ]);
    }
    run.table("item_timings", &["experiment", "wall time (s)"], &times);
    run.finish()
}

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn landscape(run: &mut Run, plan: &Plan) -> Result<()> {
    let s = ex::landscape(plan)?;
    table(run, "landscape", &s.table());
    run.number("ls_rows", s.rows as f64, Fmt::Int);
    run.number("ls_decay", ex::DECAY, Fmt::Sci(0));
    run.number("ls_seconds", s.seconds, Fmt::Fixed(1));
    run.number("ls_hessians", s.hessians as f64, Fmt::Int);
    run.number("ls_searches", s.points.len() as f64, Fmt::Int);
    run.number("ls_correlation", s.correlation, Fmt::Fixed(2));
    let crit = s.points.iter().filter(|p| p.critical).count();
    run.number("ls_critical", crit as f64, Fmt::Int);
    let newton: Vec<_> = s
        .points
        .iter()
        .filter(|p| p.method.starts_with("Newton"))
        .collect();
    let newton_crit = newton.iter().filter(|p| p.critical).count();
    run.number("ls_newton_searches", newton.len() as f64, Fmt::Int);
    run.number("ls_newton_critical", newton_crit as f64, Fmt::Int);
    let flat = newton.iter().filter(|p| !p.critical).map(|p| p.grad_norm);
    run.number(
        "ls_flat_min_grad",
        flat.fold(f64::INFINITY, f64::min),
        Fmt::Sci(1),
    );
    let opts = ex::search_options(plan);
    run.number("ls_max_descent", plan.max_descent as f64, Fmt::Int);
    run.number("ls_max_hessians", opts.max_hessians as f64, Fmt::Int);
    run.number("ls_stall", opts.stall as f64, Fmt::Int);
    run.number("ls_max_index", s.max_index(), Fmt::Fixed(2));
    let widths: Vec<String> = s.saddle_widths().iter().map(ToString::to_string).collect();
    let widths = if widths.is_empty() {
        "none".to_string()
    } else {
        widths.join(", ")
    };
    run.snippet("ls_saddle_widths", widths);
    run.snippet("ls_range_shrinks", yes(s.minima_range_shrinks()));
    let all_above = s.widths.iter().all(|w| w.saddles_above_best_minimum);
    run.snippet("ls_saddles_above", yes(all_above));
    run.record("landscape_points", &s.points)?;
    let path = run.figure(
        "landscape.svg",
        "Loss against index (fraction of negative Hessian eigenvalues) at every critical point found, one colour per hidden width",
    );
    let mut chart = LineChart::new(
        "Critical points of one-hidden-layer tanh networks on the digits",
        "index (fraction of downward-curving directions)",
        "training loss (cross-entropy + decay)",
    );
    for (c, w) in s.widths.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|p| p.critical && p.width == w.width)
            .map(|p| (p.index, p.loss))
            .collect();
        let label = format!("width {} ({} parameters)", w.width, w.params);
        chart.push(Series::line(label, pts, c).with_mark(Mark::Points));
    }
    let stuck: Vec<(f64, f64)> = s
        .points
        .iter()
        .filter(|p| !p.critical)
        .map(|p| (p.index, p.loss))
        .collect();
    let label = "searches that stopped short of a critical point (any width)";
    chart.push(Series::line(label, stuck, s.widths.len()).with_mark(Mark::Points));
    chart.save(&path)
}

fn separability(run: &mut Run, plan: &Plan, dev: &candle_core::Device) -> Result<()> {
    let s = ex::separability(plan, dev)?;
    table(run, "probes", &s.table());
    table(run, "features", &s.features_table());
    run.number("probe_train_rows", s.digits_rows.0 as f64, Fmt::Int);
    run.number("probe_test_rows", s.digits_rows.1 as f64, Fmt::Int);
    run.number("probe_epochs", plan.probe_epochs as f64, Fmt::Int);
    run.number("shell_points", plan.shell_points as f64, Fmt::Int);
    for set in &s.sets {
        let n = &set.name;
        run.snippet(
            &format!("{n}_separates"),
            yes(set.last_layer_separates_better()),
        );
        for (l, key) in ["input", "h1", "h2"].iter().enumerate() {
            run.number(
                &format!("{n}_{key}_train"),
                100.0 * ex::mean(&set.train(l)),
                Fmt::Fixed(1),
            );
            run.number(
                &format!("{n}_{key}_test"),
                100.0 * ex::mean(&set.test(l)),
                Fmt::Fixed(1),
            );
        }
    }
    let gains = s.learned_gain_points();
    let (lo, hi) = ex::range(&gains);
    run.number("learned_gain_lo", lo, Fmt::Fixed(1));
    run.number("learned_gain_hi", hi, Fmt::Fixed(1));
    run.number("handmade_test", 100.0 * s.handmade.test, Fmt::Fixed(1));
    let path = run.figure(
        "probes.svg",
        "Accuracy of a linear probe (logistic regression by IRLS) on the input and on each hidden layer, mean and range over seeds",
    );
    let mut chart = LineChart::new(
        "Linear probes per layer",
        "layer (0 = input)",
        "linear-probe accuracy",
    );
    let xs: Vec<f64> = (0..LAYERS.len()).map(|l| l as f64).collect();
    for (k, set) in s.sets.iter().enumerate() {
        for (j, (what, get)) in [("training", 0), ("held-out", 1)].iter().enumerate() {
            let runs: Vec<Vec<f64>> = (0..set.network.len())
                .map(|seed| {
                    set.per_layer
                        .iter()
                        .map(|l| {
                            if *get == 0 {
                                l[seed].train
                            } else {
                                l[seed].test
                            }
                        })
                        .collect()
                })
                .collect();
            let label = format!("{}, {what}", set.name);
            let line = Series::summary(label, &xs, &runs, 2 * k + j, Summary::MeanMinMax)?;
            chart.push(line.with_mark(Mark::LinePoints));
        }
    }
    chart.save(&path)
}

fn pooling(run: &mut Run, plan: &Plan, dev: &candle_core::Device) -> Result<()> {
    let p = ex::pooling(plan, dev)?;
    table(run, "invariance", &p.table());
    run.number("pool_images", plan.pool_images as f64, Fmt::Int);
    run.number(
        "cnn_accuracy",
        100.0 * ex::mean(&p.cnn_accuracy),
        Fmt::Fixed(1),
    );
    for (f, pool, key) in [
        ("random", POOLS[1], "random_max"),
        ("trained", POOLS[1], "trained_max"),
        ("random", POOLS[2], "random_avg"),
        ("trained", POOLS[2], "trained_avg"),
        ("random", POOLS[3], "random_global"),
        ("trained", POOLS[3], "trained_global"),
    ] {
        let helps = p.shifts_where_pooling_helps(f, pool);
        let s: Vec<String> = helps.iter().map(ToString::to_string).collect();
        let text = if s.is_empty() {
            "none".to_string()
        } else {
            s.join(", ")
        };
        run.snippet(&format!("helps_{key}"), text);
    }
    for (i, key) in [(1, "left_1px"), (2, "left_2px"), (4, "left_4px")] {
        let left = p.left_by("trained", POOLS[1], i);
        run.number(&format!("max2_{key}"), 100.0 * left, Fmt::Fixed(0));
    }
    let path = run.figure(
        "invariance.svg",
        "Relative change of the representation when the digit moves right, without pooling, with 2 × 2 max and average pooling and with one max over each whole feature map, for random and learned filters (mean and range over seeds)",
    );
    let mut chart = LineChart::new(
        "How far a representation moves under a shift",
        "shift (pixels)",
        "‖r(shifted) − r(x)‖ / ‖r(x)‖",
    );
    let xs: Vec<f64> = SHIFTS.iter().map(|&s| s as f64).collect();
    for (c, curve) in p.curves.iter().enumerate() {
        let label = format!("{} filters, {}", curve.filters, curve.pool.name());
        let line = Series::summary(label, &xs, &curve.runs, c, Summary::MeanMinMax)?;
        chart.push(line.with_mark(Mark::LinePoints));
    }
    chart.save(&path)
}

fn pretraining(run: &mut Run, plan: &Plan, dev: &candle_core::Device) -> Result<()> {
    let p = ex::pretraining(plan, dev)?;
    table(run, "pretraining", &p.table());
    run.number("pre_steps", plan.fine_steps as f64, Fmt::Int);
    run.number("pre_epochs", plan.pre_epochs as f64, Fmt::Int);
    run.snippet("pre_helps_smallest", yes(p.helps_smallest()));
    run.snippet("pre_helps_largest", yes(p.helps_largest()));
    run.snippet("pre_narrows_gap", yes(p.narrows_gap_anywhere()));
    let helped: Vec<String> = p
        .sizes
        .iter()
        .filter(|s| s.helps())
        .map(|s| s.labelled.to_string())
        .collect();
    let text = if helped.is_empty() {
        "none".to_string()
    } else {
        helped.join(", ")
    };
    run.snippet("pre_helped_sizes", text);
    let path = run.figure(
        "pretraining.svg",
        "Test accuracy against the number of labelled digits, from a random start and after autoencoder pre-training (mean and range over seeds)",
    );
    let mut chart = LineChart::new(
        "Unsupervised pre-training and the size of the labelled set",
        "labelled training digits",
        "test accuracy",
    );
    chart.x_scale = Scale::Log;
    let xs: Vec<f64> = p.sizes.iter().map(|s| s.labelled as f64).collect();
    for (c, (label, with)) in [("random start", false), ("with pre-training", true)]
        .iter()
        .enumerate()
    {
        let runs: Vec<Vec<f64>> = (0..plan.seeds as usize)
            .map(|seed| {
                let pick = |s: &ex::PreSize| if *with { s.with[seed] } else { s.without[seed] };
                p.sizes.iter().map(pick).collect()
            })
            .collect();
        let line = Series::summary(*label, &xs, &runs, c, Summary::MeanMinMax)?;
        chart.push(line.with_mark(Mark::LinePoints));
    }
    chart.save(&path)
}
