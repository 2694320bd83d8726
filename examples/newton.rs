//! Runs the experiments of the chapter "Newton's method" and writes its
//! figures and run record to `figures/newton/` (or `target/quick/newton/`
//! with `--quick`).
//!
//! ```text
//! cargo run --release --example newton              # full run, for the book
//! cargo run --example newton -- --quick             # seconds, for CI
//! cargo run --release --features cuda --example newton -- --device cuda
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nalgebra::{DMatrix, DVector};
use plotters::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use papernotes::Result;
use papernotes::diff::{derivs1, hessian};
use papernotes::functions::{ChainedRosenbrock, Rosenbrock};
use papernotes::newton::cost::loglog_fit;
use papernotes::newton::damped::{DampedOptions, minimize};
use papernotes::newton::experiments::{ConvergencePlan, convergence};
use papernotes::newton::functions::{ArctanPrimitive, DoubleWell, Quadratic};
use papernotes::newton::gradient_descent::{fixed_step_quadratic, gradient_descent};
use papernotes::newton::line_search::Armijo;
use papernotes::newton::linsys::{
    hilbert, hilbert_condition, relative_residual, solve_lu, solve_via_inverse,
};
use papernotes::newton::logistic::{
    CandleLogistic, HostLogistic, Objective, breast_cancer, gradient_descent_fixed, irls,
};
use papernotes::newton::scalar::{arctan_critical_start, newton_1d, step_1d};
use papernotes::newton::solve::newton;
use papernotes::newton::{Options, Solution};
use papernotes::plot::{self, Legend, LineChart, Mark, Scale, Series};
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
    let mut rng = StdRng::seed_from_u64(run.seed());

    hilbert_section(&mut run)?;
    arctan_section(&mut run)?;
    convergence_section(&mut run)?;
    kappa_section(&mut run, &mut rng)?;
    rosenbrock_section(&mut run)?;
    saddle_section(&mut run)?;
    step_cost_section(&mut run, &mut rng)?;
    logistic_section(&mut run, &device)?;
    run.finish()
}

/// Solve vs explicit inverse on Hilbert systems.
fn hilbert_section(run: &mut Run) -> Result<()> {
    let ns: Vec<usize> = (2..=14).collect();
    let (mut solve_pts, mut inv_pts, mut keps_pts, mut rows) = (vec![], vec![], vec![], vec![]);
    let rows_out = run.time("hilbert", || -> Result<Vec<(usize, f64, f64, f64)>> {
        ns.iter()
            .map(|&n| {
                let a = hilbert(n);
                let b = DVector::from_element(n, 1.0);
                let rs = relative_residual(&a, &solve_lu(&a, &b)?, &b)?;
                let ri = relative_residual(&a, &solve_via_inverse(&a, &b)?, &b)?;
                Ok((n, hilbert_condition(n), rs, ri))
            })
            .collect()
    })?;
    for &(n, kappa, rs, ri) in &rows_out {
        let x = n as f64;
        // An exact 0 (small n) has no place on a log axis: leave it out.
        if rs > 0.0 {
            solve_pts.push((x, rs));
        }
        if ri > 0.0 {
            inv_pts.push((x, ri));
        }
        keps_pts.push((x, kappa * f64::EPSILON));
        if n % 2 == 0 {
            rows.push(vec![
                n.to_string(),
                format!("{kappa:.1e}"),
                format!("{rs:.1e}"),
                format!("{ri:.1e}"),
            ]);
        }
        if n == 12 {
            run.number("hilbert12_kappa", kappa, Fmt::Sci(1));
            run.number("hilbert12_solve", rs, Fmt::Sci(1));
            run.number("hilbert12_inverse", ri, Fmt::Sci(1));
            run.number(
                "hilbert12_ratio",
                ri / rs.max(f64::MIN_POSITIVE),
                Fmt::Sci(0),
            );
        }
    }
    run.table(
        "hilbert_table",
        &["n", "κ₂(Hₙ)", "residual, LU solve", "residual, inverse × b"],
        &rows,
    );
    let mut chart = LineChart::new(
        "Hilbert systems: relative residual ‖Ax − b‖/(‖A‖‖x‖)",
        "n",
        "relative residual",
    );
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-18, 1e4));
    chart.legend = Legend::UpperLeft;
    chart.push(Series::line("LU solve", solve_pts, 0).with_mark(Mark::LinePoints));
    chart.push(
        Series::line("explicit inverse, then multiply", inv_pts, 1).with_mark(Mark::LinePoints),
    );
    chart.push(Series::line("κ₂(A)·ε", keps_pts, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "hilbert_residuals.svg",
        "Hilbert systems: residual of LU solve vs explicit inverse",
    ))
}

/// The iterates of pure Newton on f' = atan from `x0`, up to 40 steps or divergence.
fn arctan_path(x0: f64) -> Result<Vec<f64>> {
    let mut xs = vec![x0];
    let mut x = x0;
    for _ in 0..40 {
        let d = derivs1(&ArctanPrimitive, x)?;
        if d.d1 == 0.0 {
            break;
        }
        x += step_1d(d.d1, d.d2, x)?;
        xs.push(x);
        if x.abs() > 1e12 || x.abs() < 1e-300 {
            break;
        }
    }
    Ok(xs)
}

/// Divergence of Newton on f' = atan, and the critical start.
fn arctan_section(run: &mut Run) -> Result<()> {
    let xc = arctan_critical_start()?;
    run.number("arctan_xc", xc, Fmt::Fixed(10));
    let starts = [
        (1.0, "x₀ = 1".to_string()),
        (xc * (1.0 - 1e-3), "x₀ = x_c·(1 − 10⁻³)".to_string()),
        (xc * (1.0 + 1e-3), "x₀ = x_c·(1 + 10⁻³)".to_string()),
        (1.5, "x₀ = 1.5".to_string()),
    ];
    let mut chart = LineChart::new(
        "Newton on f′(x) = atan x: |x_k| against k",
        "iteration k",
        "|x_k|",
    );
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-17, 1e13));
    chart.legend = Legend::LowerLeft;
    for (i, (x0, label)) in starts.iter().enumerate() {
        let path = arctan_path(*x0)?;
        let pts = path
            .iter()
            .enumerate()
            .map(|(k, x)| (k as f64, x.abs()))
            .collect();
        chart.push(Series::line(label.clone(), pts, i).with_mark(Mark::LinePoints));
    }
    // Count converging / diverging starts on a fine grid around x_c.
    let grid: Vec<f64> = (1..=2000).map(|i| 3.0 * i as f64 / 2000.0).collect();
    let opts = Options::new(1e-14, 200);
    let agree = grid
        .iter()
        .filter(|&&x0| {
            let converged = newton_1d(&ArctanPrimitive, x0, &opts).is_ok();
            converged == (x0 < xc)
        })
        .count();
    run.number("arctan_grid_agree", agree as f64, Fmt::Int);
    run.number("arctan_grid_total", grid.len() as f64, Fmt::Int);
    chart.save(&run.figure(
        "arctan_divergence.svg",
        "Newton on f′ = atan: convergence inside x_c, divergence outside",
    ))
}

/// Quadratic convergence at a non-degenerate minimum vs linear at a degenerate one.
fn convergence_section(run: &mut Run) -> Result<()> {
    let r = convergence(&ConvergencePlan::default())?;
    let errs = &r.smooth_errors;
    let mut rows: Vec<Vec<String>> = r
        .smooth_ratios
        .iter()
        .enumerate()
        .map(|(k, ratio)| {
            vec![
                k.to_string(),
                format!("{:.3e}", errs[k]),
                ratio.map_or("–".into(), |q| format!("{q:.4}")),
            ]
        })
        .collect();
    rows.push(vec![
        (errs.len() - 1).to_string(),
        format!("{:.3e}", errs[errs.len() - 1]),
        "–".into(),
    ]);
    run.table(
        "quadratic_table",
        &["k", "error e_k", "e_{k+1}/e_k²"],
        &rows,
    );
    run.number("qc_predicted", r.predicted_ratio, Fmt::Fixed(4));
    run.number("qc_iterations", r.smooth_iterations as f64, Fmt::Int);

    let indexed = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().map(|(k, e)| (k as f64, *e)).collect()
    };
    let mut chart = LineChart::new(
        "Error |x_k − x*| of Newton's method",
        "iteration k",
        "error",
    );
    chart.y_scale = Scale::Log;
    chart.legend = Legend::LowerLeft;
    chart.push(
        Series::line(
            "non-degenerate minimum (f″ > 0): quadratic",
            indexed(errs),
            0,
        )
        .with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line(
            "f = x⁴ (f″ = 0 at the minimum): linear, measured",
            indexed(&r.quartic_errors),
            1,
        )
        .with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line("theory: 0.9·(2/3)^k", indexed(&r.quartic_theory), 2).with_mark(Mark::Dashed),
    );
    chart.save(&run.figure(
        "quadratic_convergence.svg",
        "Quadratic vs linear convergence of Newton's method (measured, solid; theory, dashed)",
    ))
}

/// A random orthogonal matrix (Q of a Gaussian matrix).
fn random_orthogonal(n: usize, rng: &mut StdRng) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal))
        .qr()
        .q()
}

/// κ, GD iterations (rotated A), GD iterations (diagonal A), predicted, Newton iterations.
type KappaRow = (f64, usize, usize, f64, usize);

/// Gradient descent iterations against κ on SPD quadratics; Newton's one step.
fn kappa_section(run: &mut Run, rng: &mut StdRng) -> Result<()> {
    let n = 10;
    let tol = 1e-6;
    let max_exp = if run.quick() { 3 } else { 5 };
    let kappas: Vec<f64> = (2..=2 * max_exp)
        .map(|i| 10f64.powf(i as f64 / 2.0))
        .collect();
    let q = random_orthogonal(n, rng);
    let (mut gd_pts, mut pred_pts, mut newton_pts, mut rows) = (vec![], vec![], vec![], vec![]);
    let results = run.time("gd_vs_kappa", || -> Result<Vec<KappaRow>> {
        kappas
            .iter()
            .map(|&kappa| {
                let eig: Vec<f64> = (0..n)
                    .map(|i| kappa.powf(i as f64 / (n - 1) as f64))
                    .collect();
                let rotated = Quadratic::with_spectrum(&q, &eig, DVector::zeros(n))?;
                let diag =
                    Quadratic::with_spectrum(&DMatrix::identity(n, n), &eig, DVector::zeros(n))?;
                let y0 = DVector::from_element(n, 1.0);
                let x0 = &q * &y0;
                let step = 2.0 / (kappa + 1.0);
                let k_rot = fixed_step_quadratic(&rotated, &x0, step, tol, 10_000_000)?;
                let k_diag = fixed_step_quadratic(&diag, &y0, step, tol, 10_000_000)?;
                let rho = (kappa - 1.0) / (kappa + 1.0);
                // The two extreme eigen-components of e₀ = x₀ − x* (each 1/√n of
                // ‖e₀‖) shrink by exactly ρ per step; the others die out faster.
                // So ‖e_k‖ ≈ √(2/n)·ρ^k·‖e₀‖, which reaches tol·‖e₀‖ at:
                let predicted = (((2.0 / n as f64).sqrt() / tol).ln() / (1.0 / rho).ln()).ceil();
                let g0 = rotated.grad(&x0).norm();
                let newton_iters = newton(&rotated, &x0, &Options::new(1e-9 * g0, 10))?.iterations;
                Ok((kappa, k_rot, k_diag, predicted, newton_iters))
            })
            .collect()
    })?;
    for &(kappa, k_rot, k_diag, predicted, newton_iters) in &results {
        gd_pts.push((kappa, k_rot as f64));
        pred_pts.push((kappa, kappa / 2.0 * (1.0 / tol).ln()));
        newton_pts.push((kappa, newton_iters as f64));
        rows.push(vec![
            format!("{kappa:.0}"),
            k_rot.to_string(),
            k_diag.to_string(),
            format!("{predicted:.0}"),
            newton_iters.to_string(),
        ]);
    }
    if let Some(&(kappa, k_rot, _, _, _)) = results.last() {
        run.number("kappa_max", kappa, Fmt::Sci(0));
        run.number("kappa_max_gd_iters", k_rot as f64, Fmt::Int);
    }
    let (slope, _) = loglog_fit(
        &results.iter().map(|r| r.0).collect::<Vec<_>>(),
        &results.iter().map(|r| r.1 as f64).collect::<Vec<_>>(),
    )?;
    run.number("kappa_slope", slope, Fmt::Fixed(3));
    run.table(
        "kappa_table",
        &[
            "κ",
            "GD iterations, rotated A (coupled)",
            "GD iterations, diagonal A (uncoupled)",
            "predicted: ⌈ln(√(2/n)/tol)/ln((κ+1)/(κ−1))⌉",
            "Newton iterations",
        ],
        &rows,
    );
    let mut chart = LineChart::new(
        "Iterations to reduce ‖x − x*‖ by 10⁶ on an SPD quadratic (n = 10)",
        "condition number κ",
        "iterations",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.y_range = Some((0.5, 2e7));
    chart.push(
        Series::line("gradient descent, step 2/(L + μ)", gd_pts, 0).with_mark(Mark::LinePoints),
    );
    chart.push(Series::line("(κ/2)·ln(1/tol)", pred_pts, 7).with_mark(Mark::Dashed));
    chart.push(Series::line("Newton", newton_pts, 1).with_mark(Mark::LinePoints));
    chart.save(&run.figure(
        "gd_vs_kappa.svg",
        "Gradient descent iterations grow like κ; Newton takes one step",
    ))
}

/// Marching squares: the segments of the level set `f = level` on a grid.
fn contour_segments(
    f: &dyn Fn(f64, f64) -> f64,
    xr: (f64, f64),
    yr: (f64, f64),
    cells: (usize, usize),
    level: f64,
) -> Vec<[(f64, f64); 2]> {
    let (nx, ny) = cells;
    let (dx, dy) = ((xr.1 - xr.0) / nx as f64, (yr.1 - yr.0) / ny as f64);
    let mut out = vec![];
    for i in 0..nx {
        for j in 0..ny {
            let (x0, y0) = (xr.0 + i as f64 * dx, yr.0 + j as f64 * dy);
            let c = [(x0, y0), (x0 + dx, y0), (x0 + dx, y0 + dy), (x0, y0 + dy)];
            let v: Vec<f64> = c.iter().map(|&(x, y)| f(x, y) - level).collect();
            let mut pts = vec![];
            for e in 0..4 {
                let (a, b) = (e, (e + 1) % 4);
                if (v[a] < 0.0) != (v[b] < 0.0) {
                    let t = v[a] / (v[a] - v[b]);
                    pts.push((
                        c[a].0 + t * (c[b].0 - c[a].0),
                        c[a].1 + t * (c[b].1 - c[a].1),
                    ));
                }
            }
            if pts.len() >= 2 {
                out.push([pts[0], pts[1]]);
            }
            if pts.len() == 4 {
                out.push([pts[2], pts[3]]);
            }
        }
    }
    out
}

/// Keeps the points of a path that are at least `d` apart (and the last one).
fn thin(path: &[DVector<f64>], d: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = vec![];
    for p in path {
        let q = (p[0], p[1]);
        if out
            .last()
            .is_none_or(|l| ((l.0 - q.0).powi(2) + (l.1 - q.1).powi(2)).sqrt() >= d)
        {
            out.push(q);
        }
    }
    if let Some(p) = path.last() {
        out.push((p[0], p[1]));
    }
    out
}

/// Log-spaced samples `(k + 1, v_k)` of a long per-iteration sequence.
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
fn rosenbrock_section(run: &mut Run) -> Result<()> {
    let x0 = DVector::from_vec(vec![-1.2, 1.0]);
    let tol = 1e-8;
    let damped = run.time("rosenbrock_damped_newton", || {
        minimize(
            &Rosenbrock,
            &x0,
            &DampedOptions {
                base: Options::new(tol, 200),
                ..Default::default()
            },
        )
    })?;
    let pure = run.time("rosenbrock_pure_newton", || {
        newton(&Rosenbrock, &x0, &Options::new(tol, 200))
    })?;
    let t = Instant::now();
    let gd = run.time("rosenbrock_gradient_descent", || {
        gradient_descent(
            &Rosenbrock,
            &x0,
            &Options::new(tol, 1_000_000),
            &Armijo::default(),
        )
    })?;
    let gd_time = t.elapsed().as_secs_f64();
    run.number("rosen_newton_iters", damped.iterations as f64, Fmt::Int);
    run.number("rosen_pure_iters", pure.iterations as f64, Fmt::Int);
    run.number("rosen_gd_iters", gd.iterations as f64, Fmt::Int);
    run.number("rosen_gd_time_ms", 1e3 * gd_time, Fmt::Fixed(1));
    run.number(
        "rosen_ratio",
        gd.iterations as f64 / damped.iterations as f64,
        Fmt::Int,
    );
    println!(
        "Rosenbrock: damped Newton {} iterations, pure Newton {}, gradient descent {}",
        damped.iterations, pure.iterations, gd.iterations
    );

    // Paths over contours.
    let path = run.figure(
        "rosenbrock_paths.svg",
        "Rosenbrock from (−1.2, 1): Newton and gradient-descent paths over contours",
    );
    let all: Vec<&DVector<f64>> = damped
        .path
        .iter()
        .chain(&pure.path)
        .chain(&gd.path)
        .collect();
    let xr = (
        all.iter().map(|p| p[0]).fold(-2.0, f64::min) - 0.1,
        all.iter().map(|p| p[0]).fold(2.0, f64::max) + 0.1,
    );
    let yr = (
        all.iter().map(|p| p[1]).fold(-1.0, f64::min) - 0.1,
        all.iter().map(|p| p[1]).fold(3.0, f64::max) + 0.1,
    );
    let f = |x: f64, y: f64| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
    {
        let root = plot::svg_root(&path, (plot::WIDTH, plot::HEIGHT))?;
        let fig = PathFigure {
            title: "Rosenbrock from (−1.2, 1): iterates over level sets of f",
            f: &f,
            xr,
            yr,
            levels: &[0.25, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0],
            target: (1.0, 1.0),
        };
        draw_paths(
            &root,
            &path,
            &fig,
            &[
                (&damped, "damped Newton", 1),
                (&pure, "pure Newton", 2),
                (&gd, "gradient descent", 0),
            ],
        )?;
        plot::finish(root, &path)?;
    }

    let mut chart = LineChart::new(
        "Rosenbrock: f(x_k) − f* against iteration",
        "iteration k + 1",
        "f(x_k) − f*",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.legend = Legend::LowerLeft;
    chart.push(
        Series::line("damped Newton", log_samples(&damped.values, 0.0), 1)
            .with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line("pure Newton", log_samples(&pure.values, 0.0), 2).with_mark(Mark::LinePoints),
    );
    chart.push(Series::line(
        "gradient descent + backtracking",
        log_samples(&gd.values, 0.0),
        0,
    ));
    chart.save(&run.figure(
        "rosenbrock_values.svg",
        "Rosenbrock: f − f* against iteration for the three methods",
    ))
}

/// Pure vs damped Newton near the saddle of the double well.
fn saddle_section(run: &mut Run) -> Result<()> {
    let x0 = DVector::from_vec(vec![0.6, 0.15]);
    let pure = newton(&DoubleWell, &x0, &Options::new(1e-12, 50))?;
    let damped = minimize(
        &DoubleWell,
        &x0,
        &DampedOptions {
            base: Options::new(1e-12, 100),
            ..Default::default()
        },
    )?;
    run.number("saddle_pure_iters", pure.iterations as f64, Fmt::Int);
    run.number("saddle_damped_iters", damped.iterations as f64, Fmt::Int);
    let path = run.figure(
        "double_well.svg",
        "Double well: pure Newton converges to the saddle, damped Newton to a minimum",
    );
    let f = |x: f64, y: f64| x * x + (y * y - 1.0).powi(2);
    let root = plot::svg_root(&path, (plot::WIDTH, plot::HEIGHT))?;
    let fig = PathFigure {
        title: "f = x² + (y² − 1)² from (0.6, 0.15)",
        f: &f,
        xr: (-1.0, 1.0),
        yr: (-1.4, 1.4),
        levels: &[0.05, 0.2, 0.5, 1.0, 1.5, 2.5, 4.0],
        target: (0.0, 1.0),
    };
    draw_paths(
        &root,
        &path,
        &fig,
        &[(&pure, "pure Newton", 2), (&damped, "damped Newton", 1)],
    )?;
    plot::finish(root, &path)
}

type Root<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// What a contour-and-paths figure shows.
struct PathFigure<'a> {
    title: &'a str,
    f: &'a dyn Fn(f64, f64) -> f64,
    xr: (f64, f64),
    yr: (f64, f64),
    levels: &'a [f64],
    /// The point to mark with a cross (the minimiser).
    target: (f64, f64),
}

fn draw_paths(
    root: &Root<'_>,
    path: &Path,
    fig: &PathFigure<'_>,
    runs: &[(&Solution, &str, usize)],
) -> Result<()> {
    let (f, xr, yr) = (fig.f, fig.xr, fig.yr);
    let e = |e: &dyn std::fmt::Display| plot::plot_err(path, e);
    let mut chart = ChartBuilder::on(root)
        .caption(fig.title, plot::title_style())
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(60)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .light_line_style(plot::GRID)
        .bold_line_style(plot::GRID)
        .axis_style(plot::INK)
        .label_style(plot::label_style())
        .axis_desc_style(plot::label_style())
        .x_desc("x")
        .y_desc("y")
        .draw()
        .map_err(|x| e(&x))?;
    let grey = plot::color(7).mix(0.45);
    for &level in fig.levels {
        let segs = contour_segments(f, xr, yr, (150, 100), level);
        chart
            .draw_series(
                segs.into_iter()
                    .map(|s| PathElement::new(vec![s[0], s[1]], grey.stroke_width(1))),
            )
            .map_err(|x| e(&x))?;
    }
    for &(sol, label, c) in runs {
        let col = plot::color(c);
        let pts = thin(&sol.path, 0.01);
        chart
            .draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))
            .map_err(|x| e(&x))?
            .label(format!("{label} ({} iterations)", sol.iterations))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
        if sol.path.len() < 200 {
            chart
                .draw_series(
                    sol.path
                        .iter()
                        .map(|p| Circle::new((p[0], p[1]), 3, col.filled())),
                )
                .map_err(|x| e(&x))?;
        }
    }
    chart
        .draw_series(std::iter::once(Cross::new(
            fig.target,
            6,
            plot::INK.stroke_width(2),
        )))
        .map_err(|x| e(&x))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(plot::BACKGROUND.mix(0.9))
        .border_style(plot::GRID)
        .label_font(plot::label_style())
        .draw()
        .map_err(|x| e(&x))?;
    Ok(())
}

/// Minimum wall time of `reps` calls of `f`, in seconds.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// The cost of one Newton step against n: solve, inverse, AD Hessian.
fn step_cost_section(run: &mut Run, rng: &mut StdRng) -> Result<()> {
    let (ns, hess_max): (Vec<usize>, usize) = if run.quick() {
        (vec![16, 32, 64], 64)
    } else {
        (vec![64, 128, 256, 512, 1024], 1024)
    };
    let (mut chol, mut inv, mut hess, mut rows) = (vec![], vec![], vec![], vec![]);
    run.time("step_cost", || {
        for &n in &ns {
            let m = DMatrix::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal));
            let a = m.tr_mul(&m) / n as f64 + DMatrix::identity(n, n);
            let b = DVector::from_fn(n, |_, _| rng.sample::<f64, _>(StandardNormal));
            let reps = (2e8 / (n as f64).powi(3)).clamp(3.0, 50.0) as usize;
            let tc = best_of(reps, || a.clone().cholesky().map(|c| c.solve(&b)));
            let ti = best_of(reps, || a.clone().try_inverse().map(|inv| inv * &b));
            chol.push((n as f64, tc));
            inv.push((n as f64, ti));
            let th = if n <= hess_max {
                let f = ChainedRosenbrock { n };
                let x = DVector::from_fn(n, |_, _| rng.random_range(-1.0..1.0));
                let t = best_of(if n <= 128 { 3 } else { 1 }, || hessian(&f, &x));
                hess.push((n as f64, t));
                format!("{:.3e}", t)
            } else {
                "–".into()
            };
            println!(
                "step cost n = {n}: cholesky {tc:.3e} s, inverse {ti:.3e} s, AD Hessian {th} s"
            );
            // Local exponent of the solve: log₂ of the growth since the previous (halved) n.
            let local = match chol.len() {
                k if k >= 2 => format!("{:.2}", (chol[k - 1].1 / chol[k - 2].1).log2()),
                _ => "–".into(),
            };
            rows.push(vec![
                n.to_string(),
                format!("{tc:.3e}"),
                local,
                format!("{ti:.3e}"),
                th,
                format!("{:.1}", ti / tc),
            ]);
        }
    });
    // Least-squares exponent over the whole range.
    let fit = |pts: &[(f64, f64)]| -> Result<f64> {
        let (xs, ys): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        Ok(loglog_fit(&xs, &ys)?.0)
    };
    run.number("exp_cholesky", fit(&chol)?, Fmt::Fixed(2));
    run.number("exp_inverse", fit(&inv)?, Fmt::Fixed(2));
    run.number("exp_hessian", fit(&hess)?, Fmt::Fixed(2));
    let last = chol.len() - 1;
    run.number(
        "inverse_over_cholesky",
        inv[last].1 / chol[last].1,
        Fmt::Fixed(1),
    );
    run.number("cost_n_max", chol[last].0, Fmt::Int);
    let hl = hess.len() - 1;
    let chol_at = chol
        .iter()
        .find(|p| p.0 == hess[hl].0)
        .map_or(f64::NAN, |p| p.1);
    run.number("hessian_over_cholesky", hess[hl].1 / chol_at, Fmt::Int);
    run.number("hessian_n", hess[hl].0, Fmt::Int);
    run.table(
        "step_cost_table",
        &[
            "n",
            "Cholesky factor + solve (s)",
            "local exponent of the solve",
            "inverse, then multiply (s)",
            "AD Hessian, chained Rosenbrock (s)",
            "inverse / solve",
        ],
        &rows,
    );

    let mut chart = LineChart::new(
        "Cost of the pieces of one Newton step",
        "n (number of variables)",
        "wall time (s)",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    // Two full decades, so that the log axis labels decades instead of crowding.
    chart.x_range = Some(if run.quick() {
        (10.0, 1000.0)
    } else {
        (30.0, 3000.0)
    });
    let n3: Vec<(f64, f64)> = chol
        .iter()
        .map(|&(n, _)| (n, chol[last].1 * (n / chol[last].0).powi(3)))
        .collect();
    chart.push(Series::line("Cholesky factor + solve", chol, 0).with_mark(Mark::LinePoints));
    chart.push(Series::line("explicit inverse, then multiply", inv, 1).with_mark(Mark::LinePoints));
    chart.push(
        Series::line("Hessian by forward AD (n(n+1)/2 passes)", hess, 2)
            .with_mark(Mark::LinePoints),
    );
    chart.push(Series::line("∝ n³", n3, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "step_cost.svg",
        "Wall time of a Newton step's parts against n (log–log)",
    ))
}

/// Logistic regression on the breast-cancer data: IRLS (nalgebra and candle) vs gradient descent.
fn logistic_section(run: &mut Run, device: &candle_core::Device) -> Result<()> {
    let data = breast_cancer()?;
    // λ = 1 for the book; the quick run uses λ = 100 (a better-conditioned
    // problem) so that gradient descent finishes in seconds in a debug build.
    let lambda = if run.quick() { 100.0 } else { 1.0 };
    run.number("logistic_lambda", lambda, Fmt::Int);
    let (m, p) = data.x.shape();
    run.number("logistic_m", m as f64, Fmt::Int);
    run.number("logistic_p", p as f64, Fmt::Int);
    let host = HostLogistic::new(data.clone(), lambda)?;
    let dev = CandleLogistic::new(&data, lambda, device)?;
    let w0 = DVector::zeros(p);
    let tol = if run.quick() { 1e-4 } else { 1e-8 };
    run.number("logistic_tol", tol, Fmt::Sci(0));

    let t = Instant::now();
    let a = run.time("irls_nalgebra", || irls(&host, &w0, &Options::new(tol, 50)))?;
    let t_host = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = run.time("irls_candle", || irls(&dev, &w0, &Options::new(tol, 50)))?;
    let t_dev = t.elapsed().as_secs_f64();
    let max_rel = a
        .path
        .iter()
        .zip(&b.path)
        .map(|(u, v)| (u - v).norm() / u.norm().max(1.0))
        .fold(0.0, f64::max);
    let (_, gh, hh) = host.value_grad_hess(&a.x)?;
    let (_, gd_, hd) = dev.value_grad_hess(&a.x)?;
    let hess_rel = (&hh - &hd).amax() / hh.amax();
    let grad_abs = (&gh - &gd_).amax();
    run.number("irls_iters", a.iterations as f64, Fmt::Int);
    run.number("irls_candle_iters", b.iterations as f64, Fmt::Int);
    run.number("irls_time_ms", 1e3 * t_host, Fmt::Fixed(1));
    run.number("irls_candle_time_ms", 1e3 * t_dev, Fmt::Fixed(1));
    run.number("candle_max_rel_diff", max_rel, Fmt::Sci(1));
    run.number("candle_hess_rel_diff", hess_rel, Fmt::Sci(1));
    run.number("candle_grad_abs_diff", grad_abs, Fmt::Sci(1));

    let lip = host.lipschitz();
    let mu = hh.clone().symmetric_eigenvalues().min();
    run.number("logistic_l_over_mu", lip / mu, Fmt::Int);
    let t = Instant::now();
    let gd = run.time("logistic_gradient_descent", || {
        gradient_descent_fixed(&host, &w0, 1.0 / lip, &Options::new(tol, 2_000_000))
    })?;
    let t_gd = t.elapsed().as_secs_f64();
    run.number("logistic_gd_iters", gd.iterations as f64, Fmt::Int);
    run.number("logistic_gd_time_s", t_gd, Fmt::Fixed(2));
    run.number(
        "logistic_ratio_iters",
        gd.iterations as f64 / a.iterations as f64,
        Fmt::Int,
    );
    run.number("logistic_ratio_time", t_gd / t_host, Fmt::Int);
    let correct = {
        let z = &data.x * &a.x;
        z.iter()
            .zip(data.y.iter())
            .filter(|(z, y)| (**z > 0.0) == (**y > 0.5))
            .count()
    };
    run.number(
        "logistic_train_accuracy",
        100.0 * correct as f64 / m as f64,
        Fmt::Fixed(1),
    );
    println!(
        "logistic: IRLS {} iterations ({:.1} ms host, {:.1} ms candle), GD {} iterations ({:.2} s); candle vs nalgebra {:.1e}",
        a.iterations,
        1e3 * t_host,
        1e3 * t_dev,
        gd.iterations,
        t_gd,
        max_rel
    );

    let fstar = a.value.min(gd.value);
    let mut chart = LineChart::new(
        format!("Logistic regression (breast cancer, λ = {lambda}): L(w_k) − L*"),
        "iteration k + 1",
        "L(w_k) − L*",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.legend = Legend::LowerLeft;
    chart.push(
        Series::line("Newton / IRLS (nalgebra)", log_samples(&a.values, fstar), 1)
            .with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line("Newton / IRLS (candle)", log_samples(&b.values, fstar), 2)
            .with_mark(Mark::Points),
    );
    chart.push(Series::line(
        "gradient descent, step 1/L",
        log_samples(&gd.values, fstar),
        0,
    ));
    chart.save(&run.figure(
        "logistic.svg",
        "Logistic regression: IRLS (nalgebra and candle) vs gradient descent",
    ))
}
