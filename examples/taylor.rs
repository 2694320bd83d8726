//! The experiments of the chapter "Taylor series": figures and numbers.
//!
//! ```sh
//! cargo run --release --example taylor            # full run, writes figures/taylor/
//! cargo run --example taylor -- --quick           # small sweeps, target/quick/taylor/
//! ```

use clap::Parser;
use nalgebra::DVector;
use papernotes::Result;
use papernotes::diff::{Field, Scalar, ScalarFn, derivs1};
use papernotes::functions::Rosenbrock;
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::taylor::cancellation::{
    exp_series_direct, exp_series_error_bound, exp_series_reciprocal, exp_series_relative_bound,
    gamma,
};
use papernotes::taylor::fd::{central_difference, central_difference_bound};
use papernotes::taylor::functions::{
    ClosedForm, Exp, InverseSquare, Log1p, Sin, SmoothField, factorial,
};
use papernotes::taylor::multivariate::{QuadraticModel, directional_coefficients, loglog_slope};
use papernotes::taylor::radius::estimate_radius;
use papernotes::taylor::series::{evaluate, exp_remainder, lagrange_bound, partial_sums};
use papernotes::taylor::{derivatives, flat, taylor_coefficients};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
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
    let mut rng = StdRng::seed_from_u64(run.seed());
    exp_partial_sums(&mut run)?;
    remainder_bound(&mut run, &mut rng)?;
    derivative_checks(&mut run, &mut rng)?;
    radius(&mut run)?;
    flat_function(&mut run)?;
    cancellation(&mut run)?;
    multivariate(&mut run, &mut rng)?;
    run.finish()
}

/// Evenly spaced points on `[lo, hi]`.
fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// The notes' figure: e^x and the partial sums of its series at 0.
fn exp_partial_sums(run: &mut Run) -> Result<()> {
    let xs = grid(-4.0, 3.0, if run.quick() { 141 } else { 701 });
    let c = taylor_coefficients::<12, _>(&Exp, 0.0)?;
    let mut chart = LineChart::new("e^x and its Taylor partial sums at 0", "x", "y");
    chart.y_range = Some((-4.0, 20.0));
    chart.legend = Legend::UpperLeft;
    chart.push(Series::line(
        "e^x",
        xs.iter().map(|&x| (x, x.exp())).collect(),
        0,
    ));
    for (i, n) in [0usize, 1, 2, 3, 5, 8].into_iter().enumerate() {
        let pts = xs
            .iter()
            .map(|&x| Ok((x, evaluate(&c[..=n], 0.0, x)?)))
            .collect::<Result<Vec<_>>>()?;
        let mark = if i % 2 == 0 { Mark::Dashed } else { Mark::Line };
        chart.push(
            Series::line(
                format!("first {} term(s)", n + 1),
                pts,
                [1, 2, 3, 4, 6, 7][i],
            )
            .with_mark(mark),
        );
    }
    chart.save(&run.figure(
        "exp_partial_sums.svg",
        "e^x (blue) and the sums of the first n + 1 terms of its Taylor series at 0, n = 0, 1, 2, 3, 5, 8",
    ))?;

    // Worst error of each partial sum on [−3, 3] against Lagrange's bound e^3·3^{n+1}/(n+1)!.
    let xs = grid(-3.0, 3.0, 601);
    let c = taylor_coefficients::<24, _>(&Exp, 0.0)?;
    let mut rows = Vec::new();
    for n in [1usize, 3, 5, 8, 12, 16, 20] {
        let worst = xs
            .iter()
            .map(|&x| Ok((x.exp() - evaluate(&c[..=n], 0.0, x)?).abs()))
            .collect::<Result<Vec<_>>>()?;
        let worst = worst.into_iter().fold(0.0, f64::max);
        let bound = lagrange_bound(3f64.exp(), 0.0, 3.0, n)?;
        rows.push(vec![
            format!("{}", n + 1),
            format!("{worst:.2e}"),
            format!("{bound:.2e}"),
        ]);
    }
    run.table(
        "exp_partial_sum_errors",
        &[
            "terms n + 1",
            "max error on [−3, 3]",
            "Lagrange bound e³·3ⁿ⁺¹/(n+1)!",
        ],
        &rows,
    );
    // terms needed for full double precision at x = 1 and x = 3
    for (key, x) in [
        ("exp_terms_for_eps_at_1", 1.0f64),
        ("exp_terms_for_eps_at_3", 3.0),
    ] {
        let s = partial_sums(&c, 0.0, x)?;
        let n = s
            .iter()
            .position(|v| (v - x.exp()).abs() <= f64::EPSILON * x.exp())
            .unwrap_or(s.len());
        run.number(key, (n + 1) as f64, Fmt::Int);
    }
    Ok(())
}

/// The remainder of exp against the Lagrange bound, and a sweep that counts violations.
fn remainder_bound(run: &mut Run, rng: &mut StdRng) -> Result<()> {
    let mut chart = LineChart::new(
        "Remainder of the exp series and Lagrange's bound",
        "degree n",
        "|R_n(x)|",
    );
    chart.y_scale = Scale::Log;
    chart.legend = Legend::LowerLeft;
    for (i, x) in [2.0f64, -2.0, 4.0].into_iter().enumerate() {
        let ns: Vec<usize> = (0..=30).collect();
        let actual = ns
            .iter()
            .map(|&n| Ok((n as f64, exp_remainder(x, n)?.abs())))
            .collect::<Result<Vec<_>>>()?;
        let bound = ns
            .iter()
            .map(|&n| Ok((n as f64, lagrange_bound(x.max(0.0).exp(), 0.0, x, n)?)))
            .collect::<Result<Vec<_>>>()?;
        chart.push(Series::line(format!("|R_n({x})|"), actual, i).with_mark(Mark::LinePoints));
        chart.push(Series::line(format!("bound at x = {x}"), bound, i).with_mark(Mark::Dashed));
    }
    chart.save(&run.figure(
        "remainder_bound.svg",
        "Size of the remainder e^x − T_n(x) (points) and Lagrange's bound (dashed) against the degree n, at x = 2, −2, 4",
    ))?;

    // Sweep: how often the bound fails (never) and how loose it is relative to e^{|x|}.
    let cases = if run.quick() { 2_000 } else { 200_000 };
    let (mut violations, mut worst_loose) = (0usize, 0.0f64);
    run.time("Lagrange sweep", || -> Result<()> {
        for _ in 0..cases {
            let x: f64 = rng.random_range(-5.0..5.0);
            let n: usize = rng.random_range(5..30);
            if x.abs() < 1e-3 {
                continue;
            }
            let r = exp_remainder(x, n)?.abs();
            let b = lagrange_bound(x.max(0.0).exp(), 0.0, x, n)?;
            if r > b * (1.0 + 1e-12) {
                violations += 1;
            }
            worst_loose = worst_loose.max((b / r).ln() / x.abs());
        }
        Ok(())
    })?;
    run.number("lagrange_cases", cases as f64, Fmt::Int);
    run.number("lagrange_violations", violations as f64, Fmt::Int);
    run.number(
        "lagrange_worst_log_ratio_over_abs_x",
        worst_loose,
        Fmt::Fixed(4),
    );
    Ok(())
}

/// Jets against closed forms, autodiff and finite differences.
fn derivative_checks(run: &mut Run, rng: &mut StdRng) -> Result<()> {
    // Jet coefficients vs closed forms, order ≤ 20, relative to the coefficient envelope.
    let cases = if run.quick() { 200 } else { 20_000 };
    let mut worst = 0.0f64;
    let sweep = |rng: &mut StdRng| -> Result<f64> {
        let mut worst = 0.0f64;
        for _ in 0..cases {
            let a: f64 = rng.random_range(-0.9..3.0);
            let c_exp = taylor_coefficients::<21, _>(&Exp, a)?;
            let c_inv = taylor_coefficients::<21, _>(&InverseSquare, a)?;
            let c_log = taylor_coefficients::<21, _>(&Log1p, a)?;
            for k in 0..21 {
                let kf = factorial(k);
                let e1 = (c_exp[k] - Exp.derivative(k, a) / kf).abs() / (a.exp() / kf);
                let env = (1.0 + a * a).powf(-(k as f64 + 1.0) / 2.0);
                let e2 = (c_inv[k] - InverseSquare.derivative(k, a) / kf).abs() / env;
                let env = if k == 0 {
                    1.0
                } else {
                    1.0 / (k as f64 * (1.0 + a).powi(k as i32))
                };
                let e3 = (c_log[k] - Log1p.derivative(k, a) / kf).abs() / env;
                worst = worst.max(e1).max(e2).max(e3);
            }
        }
        Ok(worst)
    };
    worst = worst.max(run.time("jets vs closed forms", || sweep(rng))?);
    run.number("jet_closed_form_cases", cases as f64, Fmt::Int);
    run.number(
        "jet_closed_form_worst_in_eps",
        worst / f64::EPSILON,
        Fmt::Fixed(1),
    );

    // Jets vs autodiff (hyper-dual numbers), orders 0–2.
    struct Mix;
    impl ScalarFn for Mix {
        fn eval<S: Scalar>(&self, x: S) -> S {
            let one = S::cst(1.0);
            x.sin() * (-(x * x)).exp() + (one + x * x).sqrt() / (S::cst(2.0) + x.cos())
                - (one + x * x).ln()
        }
    }
    let mut worst_ad = 0.0f64;
    for _ in 0..cases {
        let x: f64 = rng.random_range(-3.0..3.0);
        let j = derivatives::<3, _>(&Mix, x)?;
        let d = derivs1(&Mix, x)?;
        for (a, b) in j.iter().zip([d.value, d.d1, d.d2]) {
            worst_ad = worst_ad.max((a - b).abs() / (1.0 + b.abs()));
        }
    }
    run.number("jet_autodiff_worst", worst_ad, Fmt::Sci(1));

    // Central differences: error against h, with the a-priori bound.
    let hs: Vec<f64> = (0..=56)
        .map(|i| 10f64.powf(-0.25 * i as f64 - 1.0 + 0.25))
        .collect();
    let mut err_exp = Vec::new();
    let mut bound_exp = Vec::new();
    let mut err_sin = Vec::new();
    for &h in &hs {
        let (d, hu) = central_difference(&Exp, 1.0, h)?;
        err_exp.push((hu, (d - 1f64.exp()).abs().max(1e-18)));
        let top = (1.0 + hu).exp();
        bound_exp.push((hu, central_difference_bound(hu, top, top, f64::EPSILON, d)));
        let (d, hu) = central_difference(&Sin, 1.0, h)?;
        err_sin.push((hu, (d - 1f64.cos()).abs().max(1e-18)));
    }
    let best = err_exp
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((f64::NAN, f64::NAN));
    let mut chart = LineChart::new(
        "Central difference error against the step h",
        "h",
        "|D_h f(1) − f'(1)|",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.legend = Legend::UpperRight;
    chart.y_range = Some((1e-13, 1e-1));
    chart.push(Series::line("exp: error", err_exp, 0).with_mark(Mark::LinePoints));
    chart.push(Series::line("sin: error", err_sin, 2).with_mark(Mark::LinePoints));
    chart.push(Series::line("exp: bound h²M₃/6 + εF/h", bound_exp, 1).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "fd_error.svg",
        "Error of the central difference for exp'(1) and sin'(1) against h, with the bound h²M₃/6 + εF/h",
    ))?;
    run.number("fd_best_h", best.0, Fmt::Sci(1));
    run.number("fd_best_error", best.1, Fmt::Sci(1));
    run.number(
        "fd_optimal_h_theory",
        (3.0 * f64::EPSILON).cbrt(),
        Fmt::Sci(1),
    );
    Ok(())
}

/// Partial sums of 1/(1+x²) and ln(1+x), and radius estimates.
fn radius(run: &mut Run) -> Result<()> {
    let xs = grid(-1.6, 1.6, if run.quick() { 161 } else { 801 });
    let c = taylor_coefficients::<64, _>(&InverseSquare, 0.0)?;
    let mut chart = LineChart::new("1/(1+x²) and its Taylor partial sums at 0", "x", "y");
    chart.y_range = Some((-1.5, 1.5));
    chart.legend = Legend::LowerLeft;
    chart.push(Series::line(
        "1/(1+x²)",
        xs.iter().map(|&x| (x, 1.0 / (1.0 + x * x))).collect(),
        0,
    ));
    for (i, n) in [4usize, 10, 20, 40].into_iter().enumerate() {
        let pts = xs
            .iter()
            .map(|&x| Ok((x, evaluate(&c[..=n], 0.0, x)?)))
            .collect::<Result<Vec<_>>>()?;
        chart.push(Series::line(format!("degree {n}"), pts, i + 1).with_mark(Mark::Dashed));
    }
    chart.push(Series::line("radius 1", vec![(-1.0, -1.5), (-1.0, 1.5)], 7));
    chart.push(Series::line("", vec![(1.0, -1.5), (1.0, 1.5)], 7));
    chart.save(&run.figure(
        "radius_divergence.svg",
        "1/(1+x²), smooth on ℝ, and its Taylor polynomials at 0: they converge only on (−1, 1)",
    ))?;

    for (key, x) in [
        ("inv_square_err_deg40_at_0_9", 0.9f64),
        ("inv_square_err_deg40_at_1_5", 1.5),
    ] {
        let err = (evaluate(&c[..=40], 0.0, x)? - 1.0 / (1.0 + x * x)).abs();
        run.number(key, err, Fmt::Sci(2));
    }

    let mut rows = Vec::new();
    let mut push = |name: &str, a: f64, est: f64, exact: String| {
        rows.push(vec![
            name.to_string(),
            format!("{a}"),
            format!("{est:.4}"),
            exact,
        ]);
    };
    let fit = |c: &[f64]| estimate_radius(c, c.len() / 4, (c.len() / 12).max(2)).map(|r| r.radius);
    push(
        "1/(1+x²)",
        0.0,
        fit(&taylor_coefficients::<96, _>(&InverseSquare, 0.0)?)?,
        "1".into(),
    );
    push(
        "1/(1+x²)",
        0.5,
        fit(&taylor_coefficients::<96, _>(&InverseSquare, 0.5)?)?,
        "√1.25 ≈ 1.1180".into(),
    );
    push(
        "ln(1+x)",
        0.0,
        fit(&taylor_coefficients::<96, _>(&Log1p, 0.0)?)?,
        "1".into(),
    );
    push(
        "ln(1+x)",
        1.0,
        fit(&taylor_coefficients::<96, _>(&Log1p, 1.0)?)?,
        "2".into(),
    );
    push(
        "e^x (32 coefficients)",
        0.0,
        fit(&taylor_coefficients::<32, _>(&Exp, 0.0)?)?,
        "∞".into(),
    );
    push(
        "e^x (96 coefficients)",
        0.0,
        fit(&taylor_coefficients::<96, _>(&Exp, 0.0)?)?,
        "∞".into(),
    );
    run.table(
        "radius_estimates",
        &["function", "centre a", "estimated R", "exact R"],
        &rows,
    );
    let r0 = fit(&taylor_coefficients::<96, _>(&InverseSquare, 0.0)?)?;
    run.number("radius_inv_square_at_0", r0, Fmt::Fixed(6));

    // ln(1+x): terms at x = 1.5 grow, partial sums at 0.5 converge
    let c = taylor_coefficients::<64, _>(&Log1p, 0.0)?;
    let s = partial_sums(&c, 0.0, 1.5)?;
    run.number("log1p_partial_sum_63_at_1_5", s[63], Fmt::Sci(2));
    let s = partial_sums(&c, 0.0, 0.5)?;
    run.number(
        "log1p_err_63_at_0_5",
        (s[63] - 0.5f64.ln_1p()).abs(),
        Fmt::Sci(1),
    );
    Ok(())
}

/// e^{−1/x²} and its identically zero Taylor series at 0.
fn flat_function(run: &mut Run) -> Result<()> {
    let xs = grid(-3.0, 3.0, if run.quick() { 121 } else { 601 });
    let f = xs
        .iter()
        .map(|&x| Ok((x, flat::value(x)?)))
        .collect::<Result<Vec<_>>>()?;
    let c1 = taylor_coefficients::<9, _>(&papernotes::taylor::functions::Flat, 1.0)?;
    let near = grid(0.45, 1.95, 200);
    let t1 = near
        .iter()
        .map(|&x| Ok((x, evaluate(&c1, 1.0, x)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut chart = LineChart::new(
        "e^(−1/x²) and its Taylor series at 0 (identically 0)",
        "x",
        "y",
    );
    // A range starting at −0.25 keeps the tick at 0 exact (plotters accumulates the step).
    chart.y_range = Some((-0.25, 1.45));
    chart.legend = Legend::UpperLeft;
    chart.push(Series::line("e^(−1/x²)", f, 0));
    chart.push(
        Series::line(
            "Taylor series at 0, any degree: 0",
            vec![(-3.0, 0.0), (3.0, 0.0)],
            1,
        )
        .with_mark(Mark::Dashed),
    );
    chart.push(Series::line("degree-8 Taylor polynomial at 1", t1, 2).with_mark(Mark::Dashed));
    chart.push(Series::line("", vec![(1.0, flat::value(1.0)?)], 2).with_mark(Mark::Points));
    chart.save(&run.figure(
        "flat_function.svg",
        "e^(−1/x²) with its Taylor series at 0 (all coefficients 0) and, for contrast, its degree-8 Taylor polynomial at 1",
    ))?;
    run.number("flat_at_half", flat::value(0.5)?, Fmt::Sci(3));
    let mut worst = 0.0f64;
    for n in 0..=10 {
        for &x in &grid(-0.05, 0.05, 101) {
            worst = worst.max(flat::derivative(n, x)?.abs());
        }
    }
    run.number("flat_max_derivative_near_0", worst, Fmt::Sci(1));
    run.number(
        "flat_p10_degree",
        (flat::polynomial(10).len() - 1) as f64,
        Fmt::Int,
    );
    Ok(())
}

/// Direct summation of the exp series for x < 0 against the reciprocal fix.
fn cancellation(run: &mut Run) -> Result<()> {
    let s = exp_series_direct(-20.0)?;
    let truth = (-20f64).exp();
    run.number("exp_minus_20_true", truth, Fmt::Sci(6));
    run.number("exp_minus_20_direct", s.value, Fmt::Sci(6));
    run.number(
        "exp_minus_20_direct_rel_err",
        (s.value - truth).abs() / truth,
        Fmt::Sci(2),
    );
    run.number("exp_minus_20_terms", s.terms as f64, Fmt::Int);
    run.number("exp_minus_20_max_term", s.max_term, Fmt::Sci(3));
    run.number("exp_minus_20_abs_sum", s.abs_sum, Fmt::Sci(3));
    run.number(
        "exp_minus_20_bound",
        exp_series_error_bound(&s, -20.0),
        Fmt::Sci(2),
    );
    let f = exp_series_reciprocal(-20.0)?;
    run.number("exp_minus_20_fixed", f.value, Fmt::Sci(6));
    run.number(
        "exp_minus_20_fixed_rel_err",
        (f.value - truth).abs() / truth,
        Fmt::Sci(2),
    );
    run.number(
        "exp_minus_20_fixed_bound",
        exp_series_relative_bound(&f, -20.0),
        Fmt::Sci(2),
    );

    let xs = grid(-30.0, 0.0, if run.quick() { 301 } else { 30_001 });
    let (mut direct, mut fixed, mut bound) = (Vec::new(), Vec::new(), Vec::new());
    let (mut violations, mut worst_ratio, mut worst_fixed_ulps) = (0usize, 0.0f64, 0.0f64);
    let step = xs.len().div_ceil(300);
    run.time("cancellation sweep", || -> Result<()> {
        for (i, &x) in xs.iter().enumerate() {
            let t = x.exp();
            let d = exp_series_direct(x)?;
            let b = exp_series_error_bound(&d, x) + f64::EPSILON * t;
            let e = (d.value - t).abs();
            if e > b {
                violations += 1;
            }
            worst_ratio = worst_ratio.max(e / b);
            let r = exp_series_reciprocal(x)?;
            let rel_fixed = (r.value - t).abs() / t;
            worst_fixed_ulps = worst_fixed_ulps.max(rel_fixed / f64::EPSILON);
            // draw at most about 300 points per series, whatever the sweep size
            if i % step == 0 {
                direct.push((x, (e / t).max(1e-18)));
                fixed.push((x, rel_fixed.max(1e-18)));
                bound.push((x, gamma(3 * d.terms) * (2.0 * x.abs()).exp()));
            }
        }
        Ok(())
    })?;
    let mut chart = LineChart::new(
        "Relative error of the summed exp series",
        "x",
        "relative error",
    );
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-18, 1e10));
    chart.legend = Legend::UpperRight;
    chart.push(Series::line("direct Σ xᵏ/k!", direct, 1).with_mark(Mark::Points));
    chart.push(Series::line("a-priori bound γ₃ₙ e^(2|x|)", bound, 7).with_mark(Mark::Dashed));
    chart.push(Series::line("1 / Σ (−x)ᵏ/k!", fixed, 0).with_mark(Mark::Points));
    chart.save(&run.figure(
        "cancellation.svg",
        "Relative error of e^x summed directly and by the reciprocal of the positive series, with the a-priori bound (errors of 0 drawn at 1e-18)",
    ))?;
    run.number("cancellation_cases", xs.len() as f64, Fmt::Int);
    run.number("cancellation_bound_violations", violations as f64, Fmt::Int);
    run.number(
        "cancellation_worst_error_over_bound",
        worst_ratio,
        Fmt::Sci(1),
    );
    run.number(
        "cancellation_fixed_worst_eps",
        worst_fixed_ulps,
        Fmt::Fixed(2),
    );
    Ok(())
}

fn random_field(rng: &mut StdRng, dim: usize) -> Result<SmoothField> {
    let mut r = || rng.random_range(-1.5..1.5);
    let a = (0..3).map(|_| r()).collect();
    let b = (0..3).map(|_| r()).collect();
    let w = (0..3).map(|_| (0..dim).map(|_| r()).collect()).collect();
    let g = r() / 1.5;
    SmoothField::new(dim, a, w, b, g)
}

fn unit(rng: &mut StdRng, dim: usize) -> DVector<f64> {
    loop {
        let v = DVector::from_fn(dim, |_, _| rng.random_range(-1.0..1.0));
        if v.norm() > 0.1 {
            return v.normalize();
        }
    }
}

/// Points `(t, y)` of a curve.
type Curve = Vec<(f64, f64)>;

/// Remainders of the first- and second-order models along a line.
fn remainders<G: Field>(
    f: &G,
    x: &DVector<f64>,
    d: &DVector<f64>,
    ts: &[f64],
) -> Result<(Curve, Curve)> {
    let m = QuadraticModel::at(f, x)?;
    let (mut r1, mut r2) = (Vec::new(), Vec::new());
    for &t in ts {
        let step = d * t;
        let y = x + &step;
        let fy = f.eval(y.as_slice());
        r1.push((t, (fy - m.value - m.gradient.dot(&step)).abs()));
        r2.push((t, m.remainder(f, &step)?.abs()));
    }
    Ok((r1, r2))
}

/// The second-order model in several variables: remainder slope 3.
fn multivariate(run: &mut Run, rng: &mut StdRng) -> Result<()> {
    let ts: Vec<f64> = (0..=48)
        .map(|i| 10f64.powf(-6.0 + 0.125 * i as f64))
        .collect();
    let fit_range = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        pts.iter()
            .copied()
            .filter(|&(t, r)| (1e-3..=1e-2).contains(&t) && r > 0.0)
            .collect()
    };
    let xr = DVector::from_vec(vec![-1.2, 1.0]);
    let dr = DVector::from_vec(vec![0.6, 0.8]);
    let (r1_rosen, r2_rosen) = remainders(&Rosenbrock, &xr, &dr, &ts)?;
    let field = random_field(rng, 3)?;
    let xf = DVector::from_fn(3, |_, _| rng.random_range(-1.0..1.0));
    let df = unit(rng, 3);
    let (r1_field, r2_field) = remainders(&field, &xf, &df, &ts)?;

    let mut rows = Vec::new();
    for (name, r1, r2) in [
        ("Rosenbrock at (−1.2, 1)", &r1_rosen, &r2_rosen),
        ("random smooth field, n = 3", &r1_field, &r2_field),
    ] {
        let s2 = loglog_slope(&fit_range(r2))?;
        let s1 = loglog_slope(&fit_range(r1))?;
        rows.push(vec![
            name.to_string(),
            format!("{s1:.3}"),
            format!("{s2:.3}"),
        ]);
    }
    run.table(
        "loglog_slopes",
        &[
            "function",
            "slope, first-order model",
            "slope, second-order model",
        ],
        &rows,
    );

    let cube: Vec<(f64, f64)> = ts.iter().map(|&t| (t, t.powi(3))).collect();
    let square: Vec<(f64, f64)> = ts.iter().map(|&t| (t, t.powi(2))).collect();
    let mut chart = LineChart::new(
        "Remainder of the Taylor models along a line",
        "t = ‖Δx‖",
        "|remainder|",
    );
    chart.x_scale = Scale::Log;
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-19, 1e3));
    chart.legend = Legend::LowerRight;
    chart.push(Series::line("Rosenbrock, 2nd order", r2_rosen, 0).with_mark(Mark::LinePoints));
    chart.push(Series::line("random field, 2nd order", r2_field, 2).with_mark(Mark::LinePoints));
    chart.push(Series::line("Rosenbrock, 1st order", r1_rosen, 1).with_mark(Mark::Line));
    chart.push(Series::line("t³", cube, 7).with_mark(Mark::Dashed));
    chart.push(Series::line("t²", square, 4).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "multivariate_remainder.svg",
        "Size of f(x+tΔ) − m(tΔ) against t on log-log axes: slope 3 for the second-order model, 2 for the first-order one; rounding floor at small t",
    ))?;

    // Sweep over random fields, points and directions: the fitted slope.
    let cases = if run.quick() { 30 } else { 3_000 };
    let (mut lo, mut hi, mut used) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    let fit_ts: Vec<f64> = (0..8).map(|k| 0.01 / 2f64.powi(k)).collect();
    run.time("slope sweep", || -> Result<()> {
        for _ in 0..cases {
            let dim = rng.random_range(2..6);
            let f = random_field(rng, dim)?;
            let x = DVector::from_fn(dim, |_, _| rng.random_range(-1.0..1.0));
            let d = unit(rng, dim);
            let c = directional_coefficients::<4, _>(&f, &x, &d)?;
            if c[3].abs() < 0.05 {
                continue; // the cubic term must dominate on the fitted range (see the tests)
            }
            let (_, r2) = remainders(&f, &x, &d, &fit_ts)?;
            let s = loglog_slope(&r2)?;
            lo = lo.min(s);
            hi = hi.max(s);
            used += 1;
        }
        Ok(())
    })?;
    run.number("slope_cases", used as f64, Fmt::Int);
    run.number("slope_min", lo, Fmt::Fixed(3));
    run.number("slope_max", hi, Fmt::Fixed(3));
    Ok(())
}
