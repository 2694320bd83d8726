//! Every experiment the chapter "Taylor series" reports: a [`Plan`] (sizes) in,
//! plain result structs out.
//!
//! The example `examples/taylor.rs` calls these functions, draws their curves and
//! records their numbers; `tests/taylor.rs` calls each of them at [`Plan::quick`]
//! size and checks a property of the result. Random experiments take the run's
//! random number generator, so one seed fixes every number of a run; they draw
//! from it in the order the example calls them.

use nalgebra::DVector;
use rand::Rng;

use super::cancellation::{
    exp_series_direct, exp_series_error_bound, exp_series_reciprocal, exp_series_relative_bound,
    gamma,
};
use super::fd::{central_difference, central_difference_bound};
use super::functions::{ClosedForm, Exp, Flat, InverseSquare, Log1p, Sin, SmoothField, factorial};
use super::multivariate::{QuadraticModel, directional_coefficients, loglog_slope};
use super::radius::estimate_radius;
use super::series::{evaluate, exp_remainder, lagrange_bound, partial_sums};
use super::{derivatives, flat, taylor_coefficients};
use crate::Error;
use crate::diff::derivs1;
use crate::diff::{Field, Scalar, ScalarFn};
use crate::error::{Result, ensure_finite, ensure_len};
use crate::functions::Rosenbrock;

/// Points `(x, y)` of a curve.
pub type Curve = Vec<(f64, f64)>;

/// The sizes of a run: how many points each drawn curve has and how many random
/// cases each sweep draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Points of the curves of e^x and its partial sums on `[−4, 3]`.
    pub exp_curve_points: usize,
    /// Points of the curves of 1/(1+x²) and its partial sums on `[−1.6, 1.6]`.
    pub radius_curve_points: usize,
    /// Points of the curve of e^(−1/x²) on `[−3, 3]`.
    pub flat_curve_points: usize,
    /// Random `(x, n)` drawn to test Lagrange's bound.
    pub lagrange_cases: usize,
    /// Random centres at which jets are compared with closed forms and with autodiff.
    pub jet_cases: usize,
    /// Points of `[−30, 0]` at which the exp series is summed.
    pub cancellation_points: usize,
    /// Random (field, point, direction) triples whose remainder slope is fitted.
    pub slope_cases: usize,
}

impl Plan {
    /// The sizes of the full run that writes `figures/taylor/`.
    pub fn full() -> Plan {
        Plan {
            exp_curve_points: 701,
            radius_curve_points: 801,
            flat_curve_points: 601,
            lagrange_cases: 200_000,
            jet_cases: 20_000,
            cancellation_points: 30_001,
            slope_cases: 3_000,
        }
    }

    /// Small sizes that finish in well under a second (`--quick`, and the tests).
    pub fn quick() -> Plan {
        Plan {
            exp_curve_points: 141,
            radius_curve_points: 161,
            flat_curve_points: 121,
            lagrange_cases: 2_000,
            jet_cases: 200,
            cancellation_points: 301,
            slope_cases: 30,
        }
    }

    /// [`Plan::quick`] if `quick`, else [`Plan::full`].
    pub fn new(quick: bool) -> Plan {
        if quick { Plan::quick() } else { Plan::full() }
    }
}

/// `n` evenly spaced points on `[lo, hi]`, both ends included.
///
/// # Errors
/// [`Error::TooFew`] for `n < 2`, [`Error::NonFinite`] for a bound that is not finite.
pub fn grid(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>> {
    ensure_finite("grid bounds", &[lo, hi])?;
    ensure_len("grid points", n, 2)?;
    Ok((0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect())
}

/// The curve `(x, T(x))` of the Taylor polynomial with coefficients `c` at `a`.
fn polynomial_curve(c: &[f64], a: f64, xs: &[f64]) -> Result<Curve> {
    xs.iter().map(|&x| Ok((x, evaluate(c, a, x)?))).collect()
}

// ---------------------------------------------------------------------------
// e^x: partial sums, their errors, Lagrange's bound
// ---------------------------------------------------------------------------

/// A function on a grid and some of its Taylor polynomials at 0.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialSumCurves {
    /// The function itself.
    pub function: Curve,
    /// `(n, T_n)`: the Taylor polynomial of degree `n` (the first `n + 1` terms).
    pub sums: Vec<(usize, Curve)>,
}

/// e^x on `[−4, 3]` and its partial sums at 0 of degree 0, 1, 2, 3, 5, 8 (the notes' figure).
///
/// # Errors
/// [`Error::TooFew`] if `plan.exp_curve_points < 2`.
pub fn exp_partial_sums(plan: &Plan) -> Result<PartialSumCurves> {
    let xs = grid(-4.0, 3.0, plan.exp_curve_points)?;
    let c = taylor_coefficients::<12, _>(&Exp, 0.0)?;
    let sums = [0usize, 1, 2, 3, 5, 8]
        .into_iter()
        .map(|n| Ok((n, polynomial_curve(&c[..=n], 0.0, &xs)?)))
        .collect::<Result<_>>()?;
    Ok(PartialSumCurves {
        function: xs.iter().map(|&x| (x, x.exp())).collect(),
        sums,
    })
}

/// One row of the table of partial-sum errors of e^x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialSumError {
    /// The degree `n` (the sum has `n + 1` terms).
    pub degree: usize,
    /// `max |e^x − T_n(x)|` over 601 points of `[−3, 3]`.
    pub max_error: f64,
    /// Lagrange's bound `e³·3ⁿ⁺¹/(n+1)!` on that interval.
    pub bound: f64,
}

/// The worst error of the partial sums of e^x on `[−3, 3]`, degree 1, 3, 5, 8, 12, 16, 20,
/// against Lagrange's bound.
///
/// # Errors
/// None in practice: the inputs are fixed; an internal failure is passed on.
pub fn exp_partial_sum_errors() -> Result<Vec<PartialSumError>> {
    let xs = grid(-3.0, 3.0, 601)?;
    let c = taylor_coefficients::<24, _>(&Exp, 0.0)?;
    [1usize, 3, 5, 8, 12, 16, 20]
        .into_iter()
        .map(|n| {
            let errors = xs
                .iter()
                .map(|&x| Ok((x.exp() - evaluate(&c[..=n], 0.0, x)?).abs()))
                .collect::<Result<Vec<_>>>()?;
            Ok(PartialSumError {
                degree: n,
                max_error: errors.into_iter().fold(0.0, f64::max),
                bound: lagrange_bound(3f64.exp(), 0.0, 3.0, n)?,
            })
        })
        .collect()
}

/// The most terms [`exp_terms_for_eps`] sums: enough that the truncation error at
/// |x| ≤ 3 (below 3⁴⁰/40! ≈ 1.5e-29) is far under one machine epsilon, so what is left
/// is rounding.
pub const EXP_EPS_MAX_TERMS: usize = 40;

/// How close the floating-point partial sums of the exp series at 0 come to e^x.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpTermsForEps {
    /// The point `x`.
    pub x: f64,
    /// The number of terms summed, [`EXP_EPS_MAX_TERMS`].
    pub max_terms: usize,
    /// The fewest terms whose partial sum is within one machine epsilon (relative) of
    /// e^x, or `None` if no partial sum of up to `max_terms` terms is: then rounding,
    /// not truncation, keeps the sum off.
    pub within_eps: Option<usize>,
    /// The number of terms after which adding more no longer changes the sum.
    pub settles_after: usize,
    /// The relative error of the settled sum, `(S − e^x)/e^x`, in units of ε.
    pub settled_error_eps: f64,
}

/// Sums the exp series at 0 term by term at `x`, up to [`EXP_EPS_MAX_TERMS`] terms, and
/// reports the first partial sum within one machine epsilon of e^x (if any), where the
/// sum stops changing, and how far off it stops.
///
/// # Errors
/// [`Error::NonFinite`] if `x` is not finite.
pub fn exp_terms_for_eps(x: f64) -> Result<ExpTermsForEps> {
    ensure_finite("x", &[x])?;
    let c = taylor_coefficients::<EXP_EPS_MAX_TERMS, _>(&Exp, 0.0)?;
    let s = partial_sums(&c, 0.0, x)?;
    let e = x.exp();
    let last = s[s.len() - 1];
    let settled = s.iter().rposition(|&v| v != last).map_or(0, |i| i + 1);
    Ok(ExpTermsForEps {
        x,
        max_terms: s.len(),
        within_eps: s
            .iter()
            .position(|v| (v - e).abs() <= f64::EPSILON * e)
            .map(|i| i + 1),
        settles_after: settled + 1,
        settled_error_eps: (last - e) / e / f64::EPSILON,
    })
}

/// `|R_n(x)|` of the exp series and Lagrange's bound for it, against the degree.
#[derive(Debug, Clone, PartialEq)]
pub struct RemainderCurves {
    /// The point `x`.
    pub x: f64,
    /// `(n, |e^x − T_n(x)|)`.
    pub remainder: Curve,
    /// `(n, e^{max(x,0)}·|x|^{n+1}/(n+1)!)`.
    pub bound: Curve,
}

/// The remainder of the exp series at each of `xs` and its Lagrange bound, degree 0 to 30.
///
/// # Errors
/// [`Error::NonFinite`] if a point is not finite.
pub fn exp_remainder_curves(xs: &[f64]) -> Result<Vec<RemainderCurves>> {
    ensure_finite("x", xs)?;
    xs.iter()
        .map(|&x| {
            let ns = 0..=30usize;
            Ok(RemainderCurves {
                x,
                remainder: ns
                    .clone()
                    .map(|n| Ok((n as f64, exp_remainder(x, n)?.abs())))
                    .collect::<Result<_>>()?,
                bound: ns
                    .map(|n| Ok((n as f64, lagrange_bound(x.max(0.0).exp(), 0.0, x, n)?)))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

/// What a random sweep of Lagrange's bound for exp found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagrangeSweep {
    /// Random `(x, n)` drawn, `x ∈ [−5, 5)`, `n ∈ [5, 30)`.
    pub cases: usize,
    /// How often `|R_n(x)|` exceeded the bound by more than a relative 1e-12 (theory: never).
    pub violations: usize,
    /// The largest `ln(bound/|R_n(x)|)/|x|` (theory: at most 1, since the bound uses
    /// `e^{max(x,0)}` where the remainder has `e^ξ`, `ξ` between 0 and `x`).
    pub worst_log_ratio_over_abs_x: f64,
}

/// Draws `plan.lagrange_cases` random `(x, n)` and checks Lagrange's bound for exp at each
/// (points with `|x| < 1e-3` are drawn but not checked).
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn lagrange_sweep<R: Rng + ?Sized>(plan: &Plan, rng: &mut R) -> Result<LagrangeSweep> {
    let (mut violations, mut worst) = (0usize, 0.0f64);
    for _ in 0..plan.lagrange_cases {
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
        worst = worst.max((b / r).ln() / x.abs());
    }
    Ok(LagrangeSweep {
        cases: plan.lagrange_cases,
        violations,
        worst_log_ratio_over_abs_x: worst,
    })
}

// ---------------------------------------------------------------------------
// Derivatives: jets against closed forms, autodiff and finite differences
// ---------------------------------------------------------------------------

/// What a comparison of two ways of computing derivatives found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivativeSweep {
    /// Random centres drawn.
    pub cases: usize,
    /// The largest difference found, in the unit the function documents.
    pub worst: f64,
}

/// Jet coefficients of exp, 1/(1+x²) and ln(1+x) up to order 20 against their closed
/// forms, at `plan.jet_cases` random centres `a ∈ [−0.9, 3)`.
///
/// `worst` is the largest difference relative to the coefficient envelope (`e^a/k!`,
/// `(1+a²)^{−(k+1)/2}`, `1/(k(1+a)^k)`), in machine epsilons.
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn jets_vs_closed_forms<R: Rng + ?Sized>(plan: &Plan, rng: &mut R) -> Result<DerivativeSweep> {
    let mut worst = 0.0f64;
    for _ in 0..plan.jet_cases {
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
    Ok(DerivativeSweep {
        cases: plan.jet_cases,
        worst: worst / f64::EPSILON,
    })
}

/// `sin x·e^{−x²} + √(1+x²)/(2 + cos x) − ln(1+x²)`, for the comparison with autodiff.
#[derive(Debug, Clone, Copy)]
pub struct Mix;

impl ScalarFn for Mix {
    fn eval<S: Scalar>(&self, x: S) -> S {
        let one = S::cst(1.0);
        x.sin() * (-(x * x)).exp() + (one + x * x).sqrt() / (S::cst(2.0) + x.cos())
            - (one + x * x).ln()
    }
}

/// Derivatives of order 0–2 of a mixed formula by jets against hyper-dual numbers
/// ([`crate::diff::derivs1`]), at `plan.jet_cases` random points of `[−3, 3)`.
///
/// `worst` is the largest `|jet − autodiff| / (1 + |autodiff|)`.
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn jets_vs_autodiff<R: Rng + ?Sized>(plan: &Plan, rng: &mut R) -> Result<DerivativeSweep> {
    let mut worst = 0.0f64;
    for _ in 0..plan.jet_cases {
        let x: f64 = rng.random_range(-3.0..3.0);
        let j = derivatives::<3, _>(&Mix, x)?;
        let d = derivs1(&Mix, x)?;
        for (a, b) in j.iter().zip([d.value, d.d1, d.d2]) {
            worst = worst.max((a - b).abs() / (1.0 + b.abs()));
        }
    }
    Ok(DerivativeSweep {
        cases: plan.jet_cases,
        worst,
    })
}

/// The error of the central difference against the step `h`.
#[derive(Debug, Clone, PartialEq)]
pub struct FdErrors {
    /// `(h, |D_h exp(1) − e|)`, errors of 0 drawn at 1e-18; `h` is the step actually used.
    pub exp: Curve,
    /// `(h, |D_h sin(1) − cos 1|)`, likewise.
    pub sin: Curve,
    /// `(h, h²M₃/6 + εF/h)` for exp, the a-priori bound.
    pub exp_bound: Curve,
    /// The step with the smallest error for exp.
    pub best_h: f64,
    /// That smallest error.
    pub best_error: f64,
    /// The step that minimises the bound when `F ≈ M₃`: `(3ε)^{1/3}`.
    pub optimal_h_theory: f64,
}

/// Central differences of exp and sin at 1 for 57 steps `h` from 10^{−0.75} down to
/// 10^{−14.75}, a quarter decade apart.
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn fd_errors() -> Result<FdErrors> {
    let hs = (0..=56).map(|i| 10f64.powf(-0.25 * i as f64 - 1.0 + 0.25));
    let (mut exp, mut exp_bound, mut sin) = (Vec::new(), Vec::new(), Vec::new());
    for h in hs {
        let (d, hu) = central_difference(&Exp, 1.0, h)?;
        exp.push((hu, (d - 1f64.exp()).abs().max(1e-18)));
        let top = (1.0 + hu).exp();
        exp_bound.push((hu, central_difference_bound(hu, top, top, f64::EPSILON, d)));
        let (d, hu) = central_difference(&Sin, 1.0, h)?;
        sin.push((hu, (d - 1f64.cos()).abs().max(1e-18)));
    }
    let best = exp
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((f64::NAN, f64::NAN));
    Ok(FdErrors {
        exp,
        sin,
        exp_bound,
        best_h: best.0,
        best_error: best.1,
        optimal_h_theory: (3.0 * f64::EPSILON).cbrt(),
    })
}

// ---------------------------------------------------------------------------
// Radius of convergence
// ---------------------------------------------------------------------------

/// 1/(1+x²) on `[−1.6, 1.6]` and its Taylor polynomials at 0 of degree 4, 10, 20, 40.
///
/// # Errors
/// [`Error::TooFew`] if `plan.radius_curve_points < 2`.
pub fn inverse_square_partial_sums(plan: &Plan) -> Result<PartialSumCurves> {
    let xs = grid(-1.6, 1.6, plan.radius_curve_points)?;
    let c = taylor_coefficients::<64, _>(&InverseSquare, 0.0)?;
    let sums = [4usize, 10, 20, 40]
        .into_iter()
        .map(|n| Ok((n, polynomial_curve(&c[..=n], 0.0, &xs)?)))
        .collect::<Result<_>>()?;
    Ok(PartialSumCurves {
        function: xs.iter().map(|&x| (x, 1.0 / (1.0 + x * x))).collect(),
        sums,
    })
}

/// `|T_n(x) − 1/(1+x²)|` for the Taylor polynomial of degree `n ≤ 63` at 0.
///
/// # Errors
/// [`Error::InvalidParameter`] for `n > 63`, [`Error::NonFinite`] for `x` not finite.
pub fn inverse_square_error(n: usize, x: f64) -> Result<f64> {
    ensure_finite("x", &[x])?;
    if n > 63 {
        return Err(Error::InvalidParameter {
            name: "n",
            reason: format!("the degree must be at most 63, got {n}"),
        });
    }
    let c = taylor_coefficients::<64, _>(&InverseSquare, 0.0)?;
    Ok((evaluate(&c[..=n], 0.0, x)? - 1.0 / (1.0 + x * x)).abs())
}

/// The radius of convergence estimated from all of `c`: the fit of
/// [`estimate_radius`] to the last three quarters, in blocks of `len/12` (at least 2).
///
/// # Errors
/// Those of [`estimate_radius`] (too few nonzero coefficients, non-finite ones).
pub fn radius_fit(c: &[f64]) -> Result<f64> {
    estimate_radius(c, c.len() / 4, (c.len() / 12).max(2)).map(|r| r.radius)
}

/// One row of the table of radius estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct RadiusRow {
    /// The function (and how many coefficients, where that matters).
    pub function: &'static str,
    /// The centre `a`.
    pub centre: f64,
    /// The radius estimated by [`radius_fit`].
    pub estimate: f64,
    /// The exact radius, in words.
    pub exact: &'static str,
}

/// The radius of 1/(1+x²) at 0 and 0.5, of ln(1+x) at 0 and 1 (96 coefficients), and of
/// e^x at 0 (32 and 96 coefficients: infinite, so the estimate grows with the count).
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn radius_estimates() -> Result<Vec<RadiusRow>> {
    let row = |function, centre, c: &[f64], exact| -> Result<RadiusRow> {
        Ok(RadiusRow {
            function,
            centre,
            estimate: radius_fit(c)?,
            exact,
        })
    };
    Ok(vec![
        row(
            "1/(1+x²)",
            0.0,
            &taylor_coefficients::<96, _>(&InverseSquare, 0.0)?,
            "1",
        )?,
        row(
            "1/(1+x²)",
            0.5,
            &taylor_coefficients::<96, _>(&InverseSquare, 0.5)?,
            "√1.25 ≈ 1.1180",
        )?,
        row(
            "ln(1+x)",
            0.0,
            &taylor_coefficients::<96, _>(&Log1p, 0.0)?,
            "1",
        )?,
        row(
            "ln(1+x)",
            1.0,
            &taylor_coefficients::<96, _>(&Log1p, 1.0)?,
            "2",
        )?,
        row(
            "e^x (32 coefficients)",
            0.0,
            &taylor_coefficients::<32, _>(&Exp, 0.0)?,
            "∞",
        )?,
        row(
            "e^x (96 coefficients)",
            0.0,
            &taylor_coefficients::<96, _>(&Exp, 0.0)?,
            "∞",
        )?,
    ])
}

/// The partial sum of degree 63 of ln(1+x) at 0, evaluated at `x`, and its error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Log1pSum {
    /// `T_63(x)`.
    pub sum: f64,
    /// `|T_63(x) − ln(1+x)|` (NaN for `x ≤ −1`).
    pub error: f64,
}

/// The degree-63 partial sum of ln(1+x) at `x` (it converges for `|x| < 1` only).
///
/// # Errors
/// [`Error::NonFinite`] if `x` is not finite or the sum overflows.
pub fn log1p_partial_sum_63(x: f64) -> Result<Log1pSum> {
    ensure_finite("x", &[x])?;
    let c = taylor_coefficients::<64, _>(&Log1p, 0.0)?;
    let sum = partial_sums(&c, 0.0, x)?[63];
    ensure_finite("partial sum of ln(1+x)", &[sum])?;
    Ok(Log1pSum {
        sum,
        error: (sum - x.ln_1p()).abs(),
    })
}

// ---------------------------------------------------------------------------
// The flat function e^{−1/x²}
// ---------------------------------------------------------------------------

/// e^(−1/x²) and its degree-8 Taylor polynomial at 1.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatCurves {
    /// `(x, e^(−1/x²))` on `[−3, 3]`.
    pub function: Curve,
    /// The degree-8 Taylor polynomial at 1, on `[0.45, 1.95]` (200 points).
    pub taylor_at_1: Curve,
    /// The point `(1, e^{−1})` where that polynomial touches the function.
    pub centre: (f64, f64),
}

/// The curves of the flat-function figure.
///
/// # Errors
/// [`Error::TooFew`] if `plan.flat_curve_points < 2`.
pub fn flat_curves(plan: &Plan) -> Result<FlatCurves> {
    let xs = grid(-3.0, 3.0, plan.flat_curve_points)?;
    let function = xs
        .iter()
        .map(|&x| Ok((x, flat::value(x)?)))
        .collect::<Result<Curve>>()?;
    let c1 = taylor_coefficients::<9, _>(&Flat, 1.0)?;
    Ok(FlatCurves {
        function,
        taylor_at_1: polynomial_curve(&c1, 1.0, &grid(0.45, 1.95, 200)?)?,
        centre: (1.0, flat::value(1.0)?),
    })
}

/// The numbers the chapter quotes about e^(−1/x²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatNumbers {
    /// `f(0.5) = e^{−4}`.
    pub at_half: f64,
    /// The largest `|f^{(n)}(x)|`, `n ≤ 10`, over 101 points of `[−0.05, 0.05]`.
    pub max_derivative_near_0: f64,
    /// The degree of the polynomial `P_10` in `f^{(10)}(x) = P_10(1/x) e^{−1/x²}`.
    pub p10_degree: usize,
}

/// How flat e^(−1/x²) is at 0.
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn flat_numbers() -> Result<FlatNumbers> {
    let near = grid(-0.05, 0.05, 101)?;
    let mut worst = 0.0f64;
    for n in 0..=10 {
        for &x in &near {
            worst = worst.max(flat::derivative(n, x)?.abs());
        }
    }
    Ok(FlatNumbers {
        at_half: flat::value(0.5)?,
        max_derivative_near_0: worst,
        p10_degree: flat::polynomial(10).len() - 1,
    })
}

// ---------------------------------------------------------------------------
// Cancellation in the exp series
// ---------------------------------------------------------------------------

/// e^x summed directly and by the reciprocal of the positive series, at one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CancellationAt {
    /// `e^x` from the standard library.
    pub truth: f64,
    /// `Σ xᵏ/k!` summed directly.
    pub direct: f64,
    /// Its relative error.
    pub direct_rel_err: f64,
    /// Terms summed.
    pub terms: usize,
    /// The largest `|xᵏ/k!|`.
    pub max_term: f64,
    /// `Σ |xᵏ/k!|`.
    pub abs_sum: f64,
    /// The a-priori bound on the absolute error of the direct sum.
    pub direct_bound: f64,
    /// `1 / Σ (−x)ᵏ/k!`.
    pub fixed: f64,
    /// Its relative error.
    pub fixed_rel_err: f64,
    /// The a-priori bound on that relative error.
    pub fixed_bound: f64,
}

/// Sums the exp series at `x ≤ 0` both ways (the chapter uses `x = −20`).
///
/// # Errors
/// Those of [`exp_series_direct`] and [`exp_series_reciprocal`] (`x` out of their range).
pub fn cancellation_at(x: f64) -> Result<CancellationAt> {
    let s = exp_series_direct(x)?;
    let f = exp_series_reciprocal(x)?;
    let truth = x.exp();
    Ok(CancellationAt {
        truth,
        direct: s.value,
        direct_rel_err: (s.value - truth).abs() / truth,
        terms: s.terms,
        max_term: s.max_term,
        abs_sum: s.abs_sum,
        direct_bound: exp_series_error_bound(&s, x),
        fixed: f.value,
        fixed_rel_err: (f.value - truth).abs() / truth,
        fixed_bound: exp_series_relative_bound(&f, x),
    })
}

/// What summing the exp series over `[−30, 0]` found.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationSweep {
    /// Points summed.
    pub cases: usize,
    /// How often the direct sum's error exceeded its bound (plus one rounding of e^x).
    pub violations: usize,
    /// The largest error/bound ratio of the direct sum.
    pub worst_error_over_bound: f64,
    /// The largest relative error of the reciprocal sum, in machine epsilons.
    pub fixed_worst_eps: f64,
    /// `(x, relative error)` of the direct sum, at most about 300 points, 0 drawn at 1e-18.
    pub direct: Curve,
    /// `(x, relative error)` of the reciprocal sum, likewise.
    pub fixed: Curve,
    /// `(x, γ₃ₙ e^{2|x|})`, the a-priori relative bound of the direct sum.
    pub bound: Curve,
}

/// Sums the exp series directly and by the reciprocal at `plan.cancellation_points`
/// points of `[−30, 0]` and checks the direct sum against its a-priori bound.
///
/// # Errors
/// [`Error::TooFew`] if `plan.cancellation_points < 2`.
pub fn cancellation_sweep(plan: &Plan) -> Result<CancellationSweep> {
    let xs = grid(-30.0, 0.0, plan.cancellation_points)?;
    let (mut direct, mut fixed, mut bound) = (Vec::new(), Vec::new(), Vec::new());
    let (mut violations, mut worst_ratio, mut worst_fixed_eps) = (0usize, 0.0f64, 0.0f64);
    let step = xs.len().div_ceil(300);
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
        worst_fixed_eps = worst_fixed_eps.max(rel_fixed / f64::EPSILON);
        // at most about 300 points per drawn series, whatever the sweep size
        if i % step == 0 {
            direct.push((x, (e / t).max(1e-18)));
            fixed.push((x, rel_fixed.max(1e-18)));
            bound.push((x, gamma(3 * d.terms) * (2.0 * x.abs()).exp()));
        }
    }
    Ok(CancellationSweep {
        cases: xs.len(),
        violations,
        worst_error_over_bound: worst_ratio,
        fixed_worst_eps: worst_fixed_eps,
        direct,
        fixed,
        bound,
    })
}

// ---------------------------------------------------------------------------
// The second-order model in several variables
// ---------------------------------------------------------------------------

/// A random [`SmoothField`] on ℝ^`dim` with three ridge terms, parameters in `[−1.5, 1.5)`.
///
/// # Errors
/// Those of [`SmoothField::new`] (`dim == 0`).
pub fn random_field<R: Rng + ?Sized>(rng: &mut R, dim: usize) -> Result<SmoothField> {
    let mut r = || rng.random_range(-1.5..1.5);
    let a = (0..3).map(|_| r()).collect();
    let b = (0..3).map(|_| r()).collect();
    let w = (0..3).map(|_| (0..dim).map(|_| r()).collect()).collect();
    let g = r() / 1.5;
    SmoothField::new(dim, a, w, b, g)
}

/// A random unit vector of ℝ^`dim` (normalised from the cube, rejecting norms ≤ 0.1).
///
/// # Errors
/// [`Error::TooFew`] for `dim == 0`.
pub fn random_unit<R: Rng + ?Sized>(rng: &mut R, dim: usize) -> Result<DVector<f64>> {
    ensure_len("dimension", dim, 1)?;
    loop {
        let v = DVector::from_fn(dim, |_, _| rng.random_range(-1.0..1.0));
        if v.norm() > 0.1 {
            return Ok(v.normalize());
        }
    }
}

/// `(t, |remainder|)` of the first- and second-order Taylor models of `f` at `x` along
/// `x + t·d`.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRemainders {
    /// `|f(x + td) − f(x) − t∇f(x)ᵀd|`.
    pub first_order: Curve,
    /// `|f(x + td) − m(td)|` for the quadratic model `m`.
    pub second_order: Curve,
}

/// The remainders of the first- and second-order models of `f` at `x` along direction `d`,
/// at the distances `ts`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `x` or `d` has the wrong length, [`Error::NonFinite`] if the
/// model cannot be built at `x`.
pub fn line_remainders<G: Field + ?Sized>(
    f: &G,
    x: &DVector<f64>,
    d: &DVector<f64>,
    ts: &[f64],
) -> Result<LineRemainders> {
    if d.len() != x.len() {
        return Err(Error::ShapeMismatch {
            what: "direction and point",
            expected: format!("{} entries", x.len()),
            got: format!("{} entries", d.len()),
        });
    }
    let m = QuadraticModel::at(f, x)?;
    let (mut first_order, mut second_order) = (Vec::new(), Vec::new());
    for &t in ts {
        let step = d * t;
        let y = x + &step;
        let fy = f.eval(y.as_slice());
        first_order.push((t, (fy - m.value - m.gradient.dot(&step)).abs()));
        second_order.push((t, m.remainder(f, &step)?.abs()));
    }
    Ok(LineRemainders {
        first_order,
        second_order,
    })
}

/// The fitted log-log slopes of a pair of remainder curves.
#[derive(Debug, Clone, PartialEq)]
pub struct SlopeRow {
    /// The function and point, in words.
    pub function: &'static str,
    /// Slope of the first-order remainder (theory: 2).
    pub first_order: f64,
    /// Slope of the second-order remainder (theory: 3).
    pub second_order: f64,
}

/// Remainders along one line for Rosenbrock and for one random field.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRemainders {
    /// The distances `t`: 49 points from 10⁻⁶ to 1, eight per decade.
    pub ts: Vec<f64>,
    /// Rosenbrock at (−1.2, 1) along (0.6, 0.8).
    pub rosenbrock: LineRemainders,
    /// A random smooth field on ℝ³ at a random point along a random direction.
    pub field: LineRemainders,
    /// The slopes fitted on `t ∈ [10⁻³, 10⁻²]`, Rosenbrock first.
    pub slopes: Vec<SlopeRow>,
}

/// The remainder of the first- and second-order models along a line, for Rosenbrock and a
/// random field (drawn from `rng`), with their fitted log-log slopes.
///
/// # Errors
/// [`Error::TooFew`] if a curve has fewer than two positive points in the fitted range.
pub fn model_remainders<R: Rng + ?Sized>(rng: &mut R) -> Result<ModelRemainders> {
    let ts: Vec<f64> = (0..=48)
        .map(|i| 10f64.powf(-6.0 + 0.125 * i as f64))
        .collect();
    let fit_range = |pts: &[(f64, f64)]| -> Curve {
        pts.iter()
            .copied()
            .filter(|&(t, r)| (1e-3..=1e-2).contains(&t) && r > 0.0)
            .collect()
    };
    let xr = DVector::from_vec(vec![-1.2, 1.0]);
    let dr = DVector::from_vec(vec![0.6, 0.8]);
    let rosenbrock = line_remainders(&Rosenbrock, &xr, &dr, &ts)?;
    let f = random_field(rng, 3)?;
    let xf = DVector::from_fn(3, |_, _| rng.random_range(-1.0..1.0));
    let df = random_unit(rng, 3)?;
    let field = line_remainders(&f, &xf, &df, &ts)?;
    let slopes = [
        ("Rosenbrock at (−1.2, 1)", &rosenbrock),
        ("random smooth field, n = 3", &field),
    ]
    .into_iter()
    .map(|(function, r)| {
        let second_order = loglog_slope(&fit_range(&r.second_order))?;
        let first_order = loglog_slope(&fit_range(&r.first_order))?;
        Ok(SlopeRow {
            function,
            first_order,
            second_order,
        })
    })
    .collect::<Result<_>>()?;
    Ok(ModelRemainders {
        ts,
        rosenbrock,
        field,
        slopes,
    })
}

/// What a sweep of the second-order remainder slope over random fields found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlopeSweep {
    /// Cases drawn.
    pub drawn: usize,
    /// Cases fitted: those whose cubic directional coefficient is at least 0.05 in size,
    /// so that the cubic term dominates on the fitted range.
    pub used: usize,
    /// The smallest fitted slope (theory: 3); +∞ if no case was used.
    pub min: f64,
    /// The largest fitted slope; −∞ if no case was used.
    pub max: f64,
}

/// Fits the log-log slope of the second-order remainder at `t = 0.01/2^k`, `k < 8`, for
/// `plan.slope_cases` random fields (dimension 2–5), points in `[−1, 1)ⁿ` and directions.
///
/// # Errors
/// None in practice; an internal failure is passed on.
pub fn slope_sweep<R: Rng + ?Sized>(plan: &Plan, rng: &mut R) -> Result<SlopeSweep> {
    let (mut min, mut max, mut used) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    let fit_ts: Vec<f64> = (0..8).map(|k| 0.01 / 2f64.powi(k)).collect();
    for _ in 0..plan.slope_cases {
        let dim = rng.random_range(2..6);
        let f = random_field(rng, dim)?;
        let x = DVector::from_fn(dim, |_, _| rng.random_range(-1.0..1.0));
        let d = random_unit(rng, dim)?;
        let c = directional_coefficients::<4, _>(&f, &x, &d)?;
        if c[3].abs() < 0.05 {
            continue; // the cubic term must dominate on the fitted range (see the tests)
        }
        let s = loglog_slope(&line_remainders(&f, &x, &d, &fit_ts)?.second_order)?;
        min = min.min(s);
        max = max.max(s);
        used += 1;
    }
    Ok(SlopeSweep {
        drawn: plan.slope_cases,
        used,
        min,
        max,
    })
}
