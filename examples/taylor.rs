//! The experiments of the chapter "Taylor series": figures and numbers.
//!
//! Every number is computed by `papernotes::taylor::experiments`; this program only
//! chooses the sizes, draws the figures and records the run.
//!
//! ```sh
//! cargo run --release --example taylor            # full run, writes figures/taylor/
//! cargo run --example taylor -- --quick           # small sweeps, target/quick/taylor/
//! ```

use clap::Parser;
use papernotes::Result;
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::taylor::experiments::{self as ex, Plan};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Taylor series: partial sums, remainders, radius of convergence, cancellation")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    papernotes::run::report(run())
}

fn run() -> Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "taylor",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = Plan::new(run.quick());
    // One generator for the whole run, drawn from in this order.
    let mut rng = StdRng::seed_from_u64(run.seed());
    exp_partial_sums(&mut run, &plan)?;
    remainder_bound(&mut run, &plan, &mut rng)?;
    derivative_checks(&mut run, &plan, &mut rng)?;
    radius(&mut run, &plan)?;
    flat_function(&mut run, &plan)?;
    cancellation(&mut run, &plan)?;
    multivariate(&mut run, &plan, &mut rng)?;
    run.finish()
}

/// The notes' figure: e^x and the partial sums of its series at 0; their errors.
fn exp_partial_sums(run: &mut Run, plan: &Plan) -> Result<()> {
    let curves = ex::exp_partial_sums(plan)?;
    let mut chart = LineChart::new("e^x and its Taylor partial sums at 0", "x", "y");
    chart.y_range = Some((-4.0, 20.0));
    chart.legend = Legend::UpperLeft;
    chart.push(Series::line("e^x", curves.function, 0));
    for (i, (n, pts)) in curves.sums.into_iter().enumerate() {
        let label = format!("degree {n}");
        chart.push(Series::line(label, pts, [1, 2, 3, 4, 6, 7][i]).with_mark(Mark::Dashed));
    }
    chart.save(&run.figure(
        "exp_partial_sums.svg",
        "e^x (blue) and the sums of the first n + 1 terms of its Taylor series at 0, n = 0, 1, 2, 3, 5, 8",
    ))?;

    let rows: Vec<Vec<String>> = ex::exp_partial_sum_errors()?
        .iter()
        .map(|r| {
            vec![
                format!("{}", r.degree + 1),
                format!("{:.2e}", r.max_error),
                format!("{:.2e}", r.bound),
            ]
        })
        .collect();
    run.table(
        "exp_partial_sum_errors",
        &[
            "terms n + 1",
            "max error on [−3, 3]",
            "Lagrange bound e³·3ⁿ⁺¹/(n+1)!",
        ],
        &rows,
    );
    let at1 = ex::exp_terms_for_eps(1.0)?;
    let at3 = ex::exp_terms_for_eps(3.0)?;
    // The book says "within one ε after N terms" at x = 1 and "never" at x = 3; a run
    // where either changes must not print a sentence that no longer fits.
    let (Some(n1), None) = (at1.within_eps, at3.within_eps) else {
        return Err(papernotes::Error::InvalidParameter {
            name: "exp_terms_for_eps",
            reason: format!(
                "the book's sentence on full precision no longer fits: {at1:?}, {at3:?}"
            ),
        });
    };
    run.number("exp_terms_for_eps_at_1", n1 as f64, Fmt::Int);
    run.number("exp_eps_max_terms", at3.max_terms as f64, Fmt::Int);
    run.number("exp_settles_after_at_3", at3.settles_after as f64, Fmt::Int);
    run.number(
        "exp_settled_error_eps_at_3",
        at3.settled_error_eps.abs(),
        Fmt::Fixed(1),
    );
    Ok(())
}

/// The remainder of exp against the Lagrange bound, and a sweep that counts violations.
fn remainder_bound(run: &mut Run, plan: &Plan, rng: &mut StdRng) -> Result<()> {
    let mut chart = LineChart::new(
        "Remainder of the exp series and Lagrange's bound",
        "degree n",
        "|R_n(x)|",
    );
    chart.y_scale = Scale::Log;
    chart.legend = Legend::LowerLeft;
    for (i, c) in ex::exp_remainder_curves(&[2.0, -2.0, 4.0])?
        .into_iter()
        .enumerate()
    {
        let x = c.x;
        chart.push(Series::line(format!("|R_n({x})|"), c.remainder, i).with_mark(Mark::LinePoints));
        chart.push(Series::line(format!("bound at x = {x}"), c.bound, i).with_mark(Mark::Dashed));
    }
    chart.save(&run.figure(
        "remainder_bound.svg",
        "Size of the remainder e^x − T_n(x) (points) and Lagrange's bound (dashed) against the degree n, at x = 2, −2, 4",
    ))?;

    let sweep = run.time("Lagrange sweep", || ex::lagrange_sweep(plan, rng))?;
    run.number("lagrange_cases", sweep.cases as f64, Fmt::Int);
    run.number("lagrange_violations", sweep.violations as f64, Fmt::Int);
    run.number(
        "lagrange_worst_log_ratio_over_abs_x",
        sweep.worst_log_ratio_over_abs_x,
        Fmt::Fixed(4),
    );
    Ok(())
}

/// Jets against closed forms, autodiff and finite differences.
fn derivative_checks(run: &mut Run, plan: &Plan, rng: &mut StdRng) -> Result<()> {
    let closed = run.time("jets vs closed forms", || {
        ex::jets_vs_closed_forms(plan, rng)
    })?;
    run.number("jet_closed_form_cases", closed.cases as f64, Fmt::Int);
    run.number("jet_closed_form_worst_in_eps", closed.worst, Fmt::Fixed(1));
    let ad = ex::jets_vs_autodiff(plan, rng)?;
    run.number("jet_autodiff_worst", ad.worst, Fmt::Sci(1));

    let fd = ex::fd_errors()?;
    let mut chart = LineChart::new(
        "Central difference error against the step h",
        "h",
        "|D_h f(1) − f'(1)|",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.legend = Legend::UpperRight;
    chart.y_range = Some((1e-13, 1e-1));
    chart.push(Series::line("exp: error", fd.exp, 0).with_mark(Mark::LinePoints));
    chart.push(Series::line("sin: error", fd.sin, 2).with_mark(Mark::LinePoints));
    chart.push(Series::line("exp: bound h²M₃/6 + εF/h", fd.exp_bound, 1).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "fd_error.svg",
        "Error of the central difference for exp'(1) and sin'(1) against h, with the bound h²M₃/6 + εF/h",
    ))?;
    run.number("fd_best_h", fd.best_h, Fmt::Sci(1));
    run.number("fd_best_error", fd.best_error, Fmt::Sci(1));
    run.number("fd_optimal_h_theory", fd.optimal_h_theory, Fmt::Sci(1));
    Ok(())
}

/// Partial sums of 1/(1+x²) and ln(1+x), and radius estimates.
fn radius(run: &mut Run, plan: &Plan) -> Result<()> {
    let curves = ex::inverse_square_partial_sums(plan)?;
    let mut chart = LineChart::new("1/(1+x²) and its Taylor partial sums at 0", "x", "y");
    chart.y_range = Some((-1.5, 1.5));
    chart.legend = Legend::LowerLeft;
    chart.push(Series::line("1/(1+x²)", curves.function, 0));
    for (i, (n, pts)) in curves.sums.into_iter().enumerate() {
        chart.push(Series::line(format!("degree {n}"), pts, i + 1).with_mark(Mark::Dashed));
    }
    chart.push(Series::line("radius 1", vec![(-1.0, -1.5), (-1.0, 1.5)], 7));
    chart.push(Series::line("", vec![(1.0, -1.5), (1.0, 1.5)], 7).without_key());
    chart.save(&run.figure(
        "radius_divergence.svg",
        "1/(1+x²), smooth on ℝ, and its Taylor polynomials at 0: they converge only on (−1, 1)",
    ))?;
    for (key, x) in [
        ("inv_square_err_deg40_at_0_9", 0.9),
        ("inv_square_err_deg40_at_1_5", 1.5),
    ] {
        run.number(key, ex::inverse_square_error(40, x)?, Fmt::Sci(2));
    }

    let estimates = ex::radius_estimates()?;
    let rows: Vec<Vec<String>> = estimates
        .iter()
        .map(|r| {
            vec![
                r.function.to_string(),
                format!("{}", r.centre),
                format!("{:.4}", r.estimate),
                r.exact.to_string(),
            ]
        })
        .collect();
    run.table(
        "radius_estimates",
        &["function", "centre a", "estimated R", "exact R"],
        &rows,
    );
    run.number(
        "radius_inv_square_at_0",
        estimates[0].estimate,
        Fmt::Fixed(6),
    );

    // ln(1+x): the partial sums diverge at x = 1.5 and converge at x = 0.5
    let at_1_5 = ex::log1p_partial_sum_63(1.5)?;
    run.number("log1p_partial_sum_63_at_1_5", at_1_5.sum, Fmt::Sci(2));
    let at_0_5 = ex::log1p_partial_sum_63(0.5)?;
    run.number("log1p_err_63_at_0_5", at_0_5.error, Fmt::Sci(1));
    Ok(())
}

/// e^{−1/x²} and its identically zero Taylor series at 0.
fn flat_function(run: &mut Run, plan: &Plan) -> Result<()> {
    let curves = ex::flat_curves(plan)?;
    let mut chart = LineChart::new(
        "e^(−1/x²) and its Taylor series at 0 (identically 0)",
        "x",
        "y",
    );
    // A range starting at −0.25 keeps the tick at 0 exact (plotters accumulates the step).
    chart.y_range = Some((-0.25, 1.45));
    chart.legend = Legend::UpperLeft;
    chart.push(Series::line("e^(−1/x²)", curves.function, 0));
    chart.push(
        Series::line(
            "Taylor series at 0, any degree: 0",
            vec![(-3.0, 0.0), (3.0, 0.0)],
            1,
        )
        .with_mark(Mark::Dashed),
    );
    chart.push(
        Series::line("degree-8 Taylor polynomial at 1", curves.taylor_at_1, 2)
            .with_mark(Mark::Dashed),
    );
    chart.push(
        Series::line("", vec![curves.centre], 2)
            .with_mark(Mark::Points)
            .without_key(),
    );
    chart.save(&run.figure(
        "flat_function.svg",
        "e^(−1/x²) with its Taylor series at 0 (all coefficients 0) and, for contrast, its degree-8 Taylor polynomial at 1",
    ))?;
    let n = ex::flat_numbers()?;
    run.number("flat_at_half", n.at_half, Fmt::Sci(3));
    run.number(
        "flat_max_derivative_near_0",
        n.max_derivative_near_0,
        Fmt::Sci(1),
    );
    run.number("flat_p10_degree", n.p10_degree as f64, Fmt::Int);
    Ok(())
}

/// Direct summation of the exp series for x < 0 against the reciprocal fix.
fn cancellation(run: &mut Run, plan: &Plan) -> Result<()> {
    let c = ex::cancellation_at(-20.0)?;
    run.number("exp_minus_20_true", c.truth, Fmt::Sci(6));
    run.number("exp_minus_20_direct", c.direct, Fmt::Sci(6));
    run.number("exp_minus_20_direct_rel_err", c.direct_rel_err, Fmt::Sci(2));
    run.number("exp_minus_20_terms", c.terms as f64, Fmt::Int);
    run.number("exp_minus_20_max_term", c.max_term, Fmt::Sci(3));
    run.number("exp_minus_20_abs_sum", c.abs_sum, Fmt::Sci(3));
    run.number("exp_minus_20_bound", c.direct_bound, Fmt::Sci(2));
    run.number("exp_minus_20_fixed", c.fixed, Fmt::Sci(6));
    run.number("exp_minus_20_fixed_rel_err", c.fixed_rel_err, Fmt::Sci(2));
    run.number("exp_minus_20_fixed_bound", c.fixed_bound, Fmt::Sci(2));

    let sweep = run.time("cancellation sweep", || ex::cancellation_sweep(plan))?;
    let mut chart = LineChart::new(
        "Relative error of the summed exp series",
        "x",
        "relative error",
    );
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-18, 1e10));
    chart.legend = Legend::UpperRight;
    chart.push(Series::line("direct Σ xᵏ/k!", sweep.direct, 1).with_mark(Mark::Points));
    chart.push(Series::line("a-priori bound γ₃ₙ e^(2|x|)", sweep.bound, 7).with_mark(Mark::Dashed));
    chart.push(Series::line("1 / Σ (−x)ᵏ/k!", sweep.fixed, 0).with_mark(Mark::Points));
    chart.save(&run.figure(
        "cancellation.svg",
        "Relative error of e^x summed directly and by the reciprocal of the positive series, with the a-priori bound (errors of 0 drawn at 1e-18)",
    ))?;
    run.number("cancellation_cases", sweep.cases as f64, Fmt::Int);
    run.number(
        "cancellation_bound_violations",
        sweep.violations as f64,
        Fmt::Int,
    );
    run.number(
        "cancellation_worst_error_over_bound",
        sweep.worst_error_over_bound,
        Fmt::Sci(1),
    );
    run.number(
        "cancellation_fixed_worst_eps",
        sweep.fixed_worst_eps,
        Fmt::Fixed(2),
    );
    Ok(())
}

/// The second-order model in several variables: remainder slope 3.
fn multivariate(run: &mut Run, plan: &Plan, rng: &mut StdRng) -> Result<()> {
    let m = ex::model_remainders(rng)?;
    let rows: Vec<Vec<String>> = m
        .slopes
        .iter()
        .map(|s| {
            vec![
                s.function.to_string(),
                format!("{:.3}", s.first_order),
                format!("{:.3}", s.second_order),
            ]
        })
        .collect();
    run.table(
        "loglog_slopes",
        &[
            "function",
            "slope, first-order model",
            "slope, second-order model",
        ],
        &rows,
    );

    let cube = m.ts.iter().map(|&t| (t, t.powi(3))).collect();
    let square = m.ts.iter().map(|&t| (t, t.powi(2))).collect();
    let mut chart = LineChart::new(
        "Remainder of the Taylor models along a line",
        "t = ‖Δx‖",
        "|remainder|",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-19, 1e3));
    chart.legend = Legend::LowerRight;
    let (rosenbrock, field) = (m.rosenbrock, m.field);
    chart.push(
        Series::line("Rosenbrock, 2nd order", rosenbrock.second_order, 0)
            .with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line("random field, 2nd order", field.second_order, 2).with_mark(Mark::LinePoints),
    );
    chart.push(
        Series::line("Rosenbrock, 1st order", rosenbrock.first_order, 1).with_mark(Mark::Line),
    );
    chart.push(Series::line("theory: ∝ t³", cube, 7).with_mark(Mark::Dashed));
    chart.push(Series::line("theory: ∝ t²", square, 4).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "multivariate_remainder.svg",
        "Size of f(x+tΔ) − m(tΔ) against t on log-log axes: slope 3 for the second-order model, 2 for the first-order one; rounding floor at small t",
    ))?;

    let sweep = run.time("slope sweep", || ex::slope_sweep(plan, rng))?;
    run.number("slope_cases", sweep.used as f64, Fmt::Int);
    run.number("slope_min", sweep.min, Fmt::Fixed(3));
    run.number("slope_max", sweep.max, Fmt::Fixed(3));
    Ok(())
}
