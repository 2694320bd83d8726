//! Runs the experiments of the chapter "Newton's method" and writes its
//! figures and run record to `figures/newton/` (or `target/quick/newton/`
//! with `--quick`). Every number comes from `papernotes::newton::experiments`;
//! this file parses flags, draws and records.
//!
//! ```text
//! cargo run --release --example newton              # full run, for the book
//! cargo run --example newton -- --quick             # seconds, for CI
//! cargo run --release --features cuda --example newton -- --device cuda
//! ```

use std::process::ExitCode;

use clap::Parser;
use rand::SeedableRng;
use rand::rngs::StdRng;

use papernotes::Result;
use papernotes::newton::Solution;
use papernotes::newton::experiments::{self as ex, ConvergencePlan, Plan, Table};
use papernotes::plot::contour::{PathSeries, PathsFigure};
use papernotes::plot::{LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};

#[derive(Parser)]
#[command(about = "Newton's method: the chapter's experiments")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    papernotes::run::report(real_main())
}

fn real_main() -> Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "newton",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = if run.quick() {
        Plan::quick()
    } else {
        Plan::full()
    };
    let mut rng = StdRng::seed_from_u64(run.seed());

    step_picture_section(&mut run)?;
    hilbert_section(&mut run, &plan)?;
    arctan_section(&mut run, &plan)?;
    convergence_section(&mut run)?;
    kappa_section(&mut run, &plan, &mut rng)?;
    rosenbrock_section(&mut run, &plan)?;
    saddle_section(&mut run)?;
    step_cost_section(&mut run, &plan, &mut rng)?;
    logistic_section(&mut run, &plan, &device)?;
    run.finish()
}

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
}

/// A line chart with the axis scales `(x, y)`.
fn chart_with(title: impl Into<String>, x: &str, y: &str, scales: (Scale, Scale)) -> LineChart {
    let mut chart = LineChart::new(title, x, y);
    (chart.x_scale, chart.y_scale) = scales;
    chart
}

/// One Newton step: f, its quadratic model at x₀, and the model's minimum.
fn step_picture_section(run: &mut Run) -> Result<()> {
    let p = ex::step_picture(201)?;
    let mut chart = LineChart::new("One Newton step", "x", "value");
    chart.push(Series::line("f", p.f, 0));
    chart
        .push(Series::line("quadratic model q at x₀ (theory)", p.model, 7).with_mark(Mark::Dashed));
    let pts = [
        (p.start, "start (x₀, f(x₀))", 0),
        (p.model_min, "minimum of q, at x₁", 7),
        (p.next, "next iterate (x₁, f(x₁))", 1),
    ];
    for (at, label, c) in pts {
        chart.push(Series::line(label, vec![at], c).with_mark(Mark::Points));
    }
    chart.save(&run.figure(
        "newton_step.svg",
        "One Newton step: the next iterate is the minimum of the quadratic model at x₀",
    ))
}

/// Solve vs explicit inverse on Hilbert systems.
fn hilbert_section(run: &mut Run, plan: &Plan) -> Result<()> {
    let rows = run.time("hilbert", || ex::hilbert_residuals(plan.hilbert_max))?;
    if let Some(r) = rows.iter().find(|r| r.n == 12) {
        run.number("hilbert12_kappa", r.kappa, Fmt::Sci(1));
        run.number("hilbert12_solve", r.solve, Fmt::Sci(1));
        run.number("hilbert12_inverse", r.inverse, Fmt::Sci(1));
        let ratio = r.inverse / r.solve.max(f64::MIN_POSITIVE);
        run.number("hilbert12_ratio", ratio, Fmt::Sci(0));
    }
    table(run, "hilbert_table", &ex::hilbert_table(&rows));
    // An exact 0 (small n) has no place on a log axis: LineChart leaves it out.
    let pts = |f: &dyn Fn(&ex::HilbertRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.n as f64, f(r))).collect()
    };
    let mut chart = chart_with(
        "Hilbert systems: relative residual ‖Ax − b‖/(‖A‖‖x‖)",
        "order d",
        "relative residual",
        (Scale::Linear, Scale::Log),
    );
    chart.y_range = Some((1e-18, 1e4));
    chart.push(Series::line("LU solve", pts(&|r| r.solve), 0).with_mark(Mark::LinePoints));
    let inv = Series::line("explicit inverse, then multiply", pts(&|r| r.inverse), 1);
    chart.push(inv.with_mark(Mark::LinePoints));
    let keps = pts(&|r| r.kappa * f64::EPSILON);
    chart.push(Series::line("theory: κ(A)·ε", keps, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "hilbert_residuals.svg",
        "Hilbert systems: residual of LU solve vs explicit inverse",
    ))
}

/// Divergence of Newton on f' = atan, and the critical start.
fn arctan_section(run: &mut Run, plan: &Plan) -> Result<()> {
    let r = ex::arctan(plan.arctan_grid)?;
    run.number("arctan_xc", r.xc, Fmt::Fixed(10));
    run.number("arctan_grid_agree", r.grid_agree as f64, Fmt::Int);
    run.number("arctan_grid_total", r.grid_total as f64, Fmt::Int);
    let mut chart = chart_with(
        "Newton on f′(x) = atan x: |x_k| against k",
        "iteration k",
        "|x_k|",
        (Scale::Linear, Scale::Log),
    );
    chart.y_range = Some((1e-17, 1e13));
    for (i, p) in r.paths.iter().enumerate() {
        let pts = p.trace.path.iter().enumerate();
        let pts = pts.map(|(k, x)| (k as f64, x.abs())).collect();
        let label = format!("{} ({})", p.label, p.outcome());
        chart.push(Series::line(label, pts, i).with_mark(Mark::LinePoints));
    }
    chart.save(&run.figure(
        "arctan_divergence.svg",
        "Newton on f′ = atan: convergence inside x_c, divergence outside",
    ))
}

fn indexed(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(k, e)| (k as f64, *e)).collect()
}

/// Quadratic convergence at a non-degenerate minimum vs linear at a degenerate one.
fn convergence_section(run: &mut Run) -> Result<()> {
    let r = ex::convergence(&ConvergencePlan::default())?;
    table(run, "quadratic_table", &r.table());
    run.number("qc_predicted", r.predicted_ratio, Fmt::Fixed(4));
    run.number("qc_iterations", r.smooth_iterations as f64, Fmt::Int);
    let mut chart = chart_with(
        "Error |x_k − x*| of Newton's method",
        "iteration k",
        "error",
        (Scale::Linear, Scale::Log),
    );
    let smooth = indexed(&r.smooth_errors);
    let label = "non-degenerate minimum (f″ > 0): quadratic";
    chart.push(Series::line(label, smooth, 0).with_mark(Mark::LinePoints));
    let label = "f = x⁴ (f″ = 0 at the minimum): linear, measured";
    let quartic = indexed(&r.quartic_errors);
    chart.push(Series::line(label, quartic, 1).with_mark(Mark::LinePoints));
    let theory = indexed(&r.quartic_theory);
    chart.push(Series::line("theory: 0.9·(2/3)^k", theory, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "quadratic_convergence.svg",
        "Quadratic vs linear convergence of Newton's method (measured, solid; theory, dashed)",
    ))
}

/// Gradient descent iterations against κ on SPD quadratics; Newton's one step.
fn kappa_section(run: &mut Run, plan: &Plan, rng: &mut StdRng) -> Result<()> {
    let r = run.time("gd_vs_kappa", || ex::kappa_sweep(plan, rng))?;
    if let Some(last) = r.rows.last() {
        run.number("kappa_max", last.kappa, Fmt::Sci(0));
        run.number("kappa_max_gd_iters", last.gd_rotated as f64, Fmt::Int);
    }
    run.number("kappa_slope", r.slope, Fmt::Fixed(3));
    table(run, "kappa_table", &r.table());
    let pick = |f: &dyn Fn(&ex::KappaRow) -> f64| -> Vec<(f64, f64)> {
        r.rows.iter().map(|k| (k.kappa, f(k))).collect()
    };
    let mut chart = chart_with(
        "Iterations to reduce ‖x − x*‖ by 10⁶ on an SPD quadratic (d = 10)",
        "condition number κ",
        "iterations",
        (Scale::Log, Scale::Log),
    );
    chart.y_range = Some((0.5, 2e7));
    let gd = pick(&|k| k.gd_rotated as f64);
    let label = "gradient descent, step 2/(L + μ)";
    chart.push(Series::line(label, gd, 0).with_mark(Mark::LinePoints));
    let rule = Series::line("theory: (κ/2)·ln(1/tol)", r.rough_rule(), 7);
    chart.push(rule.with_mark(Mark::Dashed));
    let newton = pick(&|k| k.newton as f64);
    chart.push(Series::line("Newton", newton, 1).with_mark(Mark::LinePoints));
    chart.save(&run.figure(
        "gd_vs_kappa.svg",
        "Gradient descent iterations grow like κ; Newton takes one step",
    ))
}

/// Log-spaced samples `(k + 1, v_k − v*)` of a long per-iteration sequence.
fn log_samples(values: &[f64], fstar: f64) -> Vec<(f64, f64)> {
    let mut out = vec![];
    let mut next = 1.0f64;
    for (k, v) in values.iter().enumerate() {
        if (k + 1) as f64 >= next || k + 1 == values.len() {
            out.push(((k + 1) as f64, v - fstar));
            next = (next * 1.05).max(next + 1.0);
        }
    }
    out
}

/// Rosenbrock from (−1.2, 1): damped Newton, pure Newton, gradient descent.
fn rosenbrock_section(run: &mut Run, plan: &Plan) -> Result<()> {
    let r = run.time("rosenbrock", || ex::rosenbrock(plan.rosenbrock_gd_budget))?;
    let (damped, pure, gd) = (&r.damped, &r.pure, &r.gd);
    run.number("rosen_newton_iters", damped.iterations as f64, Fmt::Int);
    run.number("rosen_pure_iters", pure.iterations as f64, Fmt::Int);
    run.number("rosen_gd_iters", gd.iterations as f64, Fmt::Int);
    run.number("rosen_gd_time_ms", 1e3 * r.gd_seconds, Fmt::Fixed(1));
    let ratio = gd.iterations as f64 / damped.iterations as f64;
    run.number("rosen_ratio", ratio, Fmt::Int);
    let (xr, yr) = r.window();
    let runs = [
        (damped, "damped Newton", 1),
        (pure, "pure Newton", 2),
        (gd, "gradient descent", 0),
    ];
    PathsFigure {
        title: "Rosenbrock from (−1.2, 1): iterates over level sets of f",
        f: &|x: f64, y: f64| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
        xr,
        yr,
        levels: &[0.25, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0],
        paths: runs.iter().map(|&(s, l, c)| path_series(s, l, c)).collect(),
        target: Some(((1.0, 1.0), "minimiser (1, 1)".into())),
    }
    .save(&run.figure(
        "rosenbrock_paths.svg",
        "Rosenbrock from (−1.2, 1): Newton and gradient-descent paths over contours",
    ))?;
    let mut chart = chart_with(
        "Rosenbrock: f(x_k) − f* against iteration",
        "iteration k + 1",
        "f(x_k) − f*",
        (Scale::Log, Scale::Log),
    );
    for (sol, label, c) in runs {
        let s = Series::line(label, log_samples(&sol.values, 0.0), c);
        let mark = if c == 0 { Mark::Line } else { Mark::LinePoints };
        chart.push(s.with_mark(mark));
    }
    chart.save(&run.figure(
        "rosenbrock_values.svg",
        "Rosenbrock: f − f* against iteration for the three methods",
    ))
}

/// Pure vs damped Newton near the saddle of the double well.
fn saddle_section(run: &mut Run) -> Result<()> {
    let r = ex::double_well()?;
    run.number("saddle_pure_iters", r.pure.iterations as f64, Fmt::Int);
    run.number("saddle_damped_iters", r.damped.iterations as f64, Fmt::Int);
    PathsFigure {
        title: "f = x² + (y² − 1)² from (0.6, 0.15)",
        f: &|x: f64, y: f64| x * x + (y * y - 1.0).powi(2),
        xr: (-1.0, 1.0),
        yr: (-1.4, 1.4),
        levels: &[0.05, 0.2, 0.5, 1.0, 1.5, 2.5, 4.0],
        paths: vec![
            path_series(&r.pure, "pure Newton", 2),
            path_series(&r.damped, "damped Newton", 1),
        ],
        target: Some(((0.0, 1.0), "minimum (0, 1)".into())),
    }
    .save(&run.figure(
        "double_well.svg",
        "Double well: pure Newton converges to the saddle, damped Newton to a minimum",
    ))
}

/// A path figure's entry for one run: its iterates, with markers when few.
fn path_series(sol: &Solution, label: &str, color: usize) -> PathSeries {
    PathSeries {
        label: format!("{label} ({} iterations)", sol.iterations),
        points: sol.path.iter().map(|p| (p[0], p[1])).collect(),
        color,
        markers: sol.path.len() < 200,
    }
}

/// The cost of one Newton step against n: solve, inverse, AD Hessian.
fn step_cost_section(run: &mut Run, plan: &Plan, rng: &mut StdRng) -> Result<()> {
    let r = run.time("step_cost", || ex::step_cost(plan, rng))?;
    run.number("exp_cholesky", r.exp_cholesky, Fmt::Fixed(2));
    run.number("exp_inverse", r.exp_inverse, Fmt::Fixed(2));
    run.number("exp_hessian", r.exp_hessian, Fmt::Fixed(2));
    run.number(
        "inverse_over_cholesky",
        r.inverse_over_cholesky(),
        Fmt::Fixed(1),
    );
    let n_max = r.rows.last().map_or(0, |row| row.n);
    run.number("cost_n_max", n_max as f64, Fmt::Int);
    let (hn, ratio) = r.hessian_over_cholesky();
    run.number("hessian_over_cholesky", ratio, Fmt::Int);
    run.number("hessian_n", hn as f64, Fmt::Int);
    table(run, "step_cost_table", &r.table());
    let mut chart = chart_with(
        "Cost of the pieces of one Newton step",
        "d (number of variables)",
        "wall time (s)",
        (Scale::Log, Scale::Log),
    );
    let sizes = &plan.step_cost_sizes;
    chart.x_range = Some((sizes[0] as f64 / 1.3, sizes[sizes.len() - 1] as f64 * 1.3));
    let pts = |f: &dyn Fn(&ex::StepCostRow) -> Option<f64>| -> Vec<(f64, f64)> {
        r.rows
            .iter()
            .filter_map(|row| f(row).map(|t| (row.n as f64, t)))
            .collect()
    };
    let chol = pts(&|row| Some(row.cholesky_s));
    let (n_last, t_last) = chol[chol.len() - 1];
    let n3 = pts(&|row| Some(t_last * (row.n as f64 / n_last).powi(3)));
    chart.push(Series::line("Cholesky factor + solve", chol, 0).with_mark(Mark::LinePoints));
    let inv = pts(&|row| Some(row.inverse_s));
    chart.push(Series::line("explicit inverse, then multiply", inv, 1).with_mark(Mark::LinePoints));
    let label = "Hessian by forward AD (d(d+1)/2 passes)";
    chart.push(Series::line(label, pts(&|row| row.hessian_s), 2).with_mark(Mark::LinePoints));
    chart.push(Series::line("theory: ∝ d³", n3, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "step_cost.svg",
        "Wall time of a Newton step's parts against d (log–log)",
    ))
}

/// Logistic regression on the breast-cancer data: IRLS (nalgebra and candle) vs gradient descent.
fn logistic_section(run: &mut Run, plan: &Plan, device: &candle_core::Device) -> Result<()> {
    run.number("logistic_lambda", plan.logistic_lambda, Fmt::Int);
    run.number("logistic_tol", plan.logistic_tol, Fmt::Sci(0));
    let r = run.time("logistic", || ex::logistic(plan, device))?;
    let (a, b, gd) = (&r.irls_host, &r.irls_device, &r.gd);
    let (t_host, t_dev) = r.irls_seconds;
    let ratio = gd.iterations as f64 / a.iterations as f64;
    let numbers = [
        ("logistic_m", r.shape.0 as f64, Fmt::Int),
        ("logistic_p", r.shape.1 as f64, Fmt::Int),
        ("irls_iters", a.iterations as f64, Fmt::Int),
        ("irls_candle_iters", b.iterations as f64, Fmt::Int),
        ("irls_time_ms", 1e3 * t_host, Fmt::Fixed(1)),
        ("irls_candle_time_ms", 1e3 * t_dev, Fmt::Fixed(1)),
        ("candle_max_rel_diff", r.path_rel_diff, Fmt::Sci(1)),
        ("candle_hess_rel_diff", r.hess_rel_diff, Fmt::Sci(1)),
        ("candle_grad_abs_diff", r.grad_abs_diff, Fmt::Sci(1)),
        ("logistic_l_over_mu", r.l_over_mu, Fmt::Int),
        ("logistic_gd_iters", gd.iterations as f64, Fmt::Int),
        ("logistic_gd_time_s", r.gd_seconds, Fmt::Fixed(2)),
        ("logistic_ratio_iters", ratio, Fmt::Int),
        ("logistic_ratio_time", r.gd_seconds / t_host, Fmt::Int),
        ("logistic_train_accuracy", r.train_accuracy, Fmt::Fixed(1)),
    ];
    for (key, value, fmt) in numbers {
        run.number(key, value, fmt);
    }
    let fstar = a.value.min(gd.value);
    let lambda = plan.logistic_lambda;
    let mut chart = chart_with(
        format!("Logistic regression (breast cancer, β = {lambda}): L(w_k) − L*"),
        "iteration k + 1",
        "L(w_k) − L*",
        (Scale::Log, Scale::Log),
    );
    let host = log_samples(&a.values, fstar);
    chart.push(Series::line("Newton / IRLS (nalgebra)", host, 1).with_mark(Mark::LinePoints));
    let dev = log_samples(&b.values, fstar);
    chart.push(Series::line("Newton / IRLS (candle)", dev, 2).with_mark(Mark::Points));
    let gd = log_samples(&gd.values, fstar);
    chart.push(Series::line("gradient descent, step 1/L", gd, 0));
    chart.save(&run.figure(
        "logistic.svg",
        "Logistic regression: IRLS (nalgebra and candle) vs gradient descent",
    ))
}
