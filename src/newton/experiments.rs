//! Every experiment the chapter "Newton's method" reports: a [`Plan`] (sizes,
//! tolerances) in, plain result structs out.
//!
//! The example `examples/newton.rs` calls these functions, draws their curves
//! and records their numbers; `tests/newton.rs` calls each of them at
//! [`Plan::quick`] size and checks a property of the result. The two random
//! experiments ([`kappa_sweep`], then [`step_cost`]) take the run's random
//! number generator, in that order, so one seed fixes every number of a run.

use std::time::Instant;

use candle_core::Device;
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::diff::hessian;
use crate::error::{Error, Result, ensure_len};
use crate::functions::{ChainedRosenbrock, Rosenbrock};
pub use crate::run::Table;

use super::cost::loglog_fit;
use super::damped::{DampedOptions, minimize};
use super::functions::{ArctanPrimitive, DoubleWell, Quadratic, Quartic, SmoothMinimum};
use super::gradient_descent::{fixed_step_quadratic, gradient_descent};
use super::line_search::Armijo;
use super::linsys::{hilbert, hilbert_condition, relative_residual, solve_lu, solve_via_inverse};
use super::logistic::{
    CandleLogistic, HostLogistic, Objective, breast_cancer, gradient_descent_fixed, irls,
};
use super::scalar::{Stop1, Trace1, arctan_critical_start, newton_1d, newton_1d_trace};
use super::solve::newton;
use super::{Options, Solution};

/// The sizes and tolerances of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Hilbert systems of order `2..=hilbert_max`.
    pub hilbert_max: usize,
    /// Starts in `(0, 3]` at which Newton on `f' = atan` is run.
    pub arctan_grid: usize,
    /// Condition numbers `10^{1}, 10^{1.5}, …, 10^{kappa_max_exponent}`.
    pub kappa_max_exponent: u32,
    /// Dimension of the quadratics of the κ sweep.
    pub kappa_dim: usize,
    /// Orders at which a Newton step's parts are timed.
    pub step_cost_sizes: Vec<usize>,
    /// Largest order at which the AD Hessian is timed.
    pub hessian_max: usize,
    /// Budget of gradient descent on Rosenbrock.
    pub rosenbrock_gd_budget: usize,
    /// Regularisation λ of the logistic regression.
    pub logistic_lambda: f64,
    /// Gradient tolerance of the logistic regression.
    pub logistic_tol: f64,
}

impl Plan {
    /// The run that writes `figures/newton/`.
    pub fn full() -> Plan {
        Plan {
            hilbert_max: 14,
            arctan_grid: 2000,
            kappa_max_exponent: 5,
            kappa_dim: 10,
            step_cost_sizes: vec![64, 128, 256, 512, 1024],
            hessian_max: 1024,
            rosenbrock_gd_budget: 1_000_000,
            logistic_lambda: 1.0,
            logistic_tol: 1e-8,
        }
    }

    /// Seconds in a debug build: smaller sweeps, and β = 100 (a better
    /// conditioned problem) so that gradient descent on the logistic loss ends soon.
    pub fn quick() -> Plan {
        Plan {
            kappa_max_exponent: 3,
            step_cost_sizes: vec![16, 32, 64],
            hessian_max: 64,
            logistic_lambda: 100.0,
            logistic_tol: 1e-4,
            ..Plan::full()
        }
    }
}

/// The residuals of one Hilbert system `H_n x = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HilbertRow {
    /// Order `n`.
    pub n: usize,
    /// `κ₂(H_n)`.
    pub kappa: f64,
    /// Relative residual `‖Ax − b‖/(‖A‖‖x‖)` of the LU solve.
    pub solve: f64,
    /// The same for the explicit inverse times `b`.
    pub inverse: f64,
}

/// Solves `H_n x = 1` for `n = 2..=max_n` by LU and by the explicit inverse.
///
/// # Errors
/// [`Error::InvalidParameter`] for `max_n < 2`; a failed solve.
pub fn hilbert_residuals(max_n: usize) -> Result<Vec<HilbertRow>> {
    if max_n < 2 {
        return Err(Error::InvalidParameter {
            name: "hilbert_max",
            reason: format!("must be at least 2, got {max_n}"),
        });
    }
    (2..=max_n)
        .map(|n| {
            let a = hilbert(n);
            let b = DVector::from_element(n, 1.0);
            Ok(HilbertRow {
                n,
                kappa: hilbert_condition(n),
                solve: relative_residual(&a, &solve_lu(&a, &b)?, &b)?,
                inverse: relative_residual(&a, &solve_via_inverse(&a, &b)?, &b)?,
            })
        })
        .collect()
}

/// The `hilbert_table` table: every even order.
pub fn hilbert_table(rows: &[HilbertRow]) -> Table {
    Table {
        header: vec!["d", "κ(𝓗_d)", "residual, LU solve", "residual, inverse × b"],
        rows: rows
            .iter()
            .filter(|r| r.n % 2 == 0)
            .map(|r| {
                vec![
                    r.n.to_string(),
                    format!("{:.1e}", r.kappa),
                    format!("{:.1e}", r.solve),
                    format!("{:.1e}", r.inverse),
                ]
            })
            .collect(),
    }
}

/// One run of Newton on `f' = atan` for the divergence figure.
#[derive(Debug, Clone, PartialEq)]
pub struct ArctanPath {
    /// The start.
    pub x0: f64,
    /// The legend label of the start.
    pub label: &'static str,
    /// The iterates and why they stopped.
    pub trace: Trace1,
}

impl ArctanPath {
    /// "converges", "diverges" or, when 40 steps decide neither, "undecided".
    pub fn outcome(&self) -> &'static str {
        match self.trace.stop {
            Stop1::Converged(_) => "converges",
            Stop1::Diverged => "diverges",
            Stop1::Budget | Stop1::NonFinite => "undecided",
        }
    }
}

/// Newton on `f' = atan`: the critical start, four paths, and a grid count.
#[derive(Debug, Clone, PartialEq)]
pub struct Arctan {
    /// The critical start `x_c` (the 2-cycle).
    pub xc: f64,
    /// From 1, just inside and outside `x_c`, and 1.5: at most 40 steps each.
    pub paths: Vec<ArctanPath>,
    /// Grid starts whose outcome (converges or not) is the one `x₀ < x_c` predicts.
    pub grid_agree: usize,
    /// Grid starts tried.
    pub grid_total: usize,
}

/// Runs Newton on `f' = atan` from the four starts of the figure and from
/// `grid` starts `3i/grid`, `i = 1..=grid`.
///
/// # Errors
/// [`Error::InvalidParameter`] for an empty grid; a failed bisection.
pub fn arctan(grid: usize) -> Result<Arctan> {
    if grid == 0 {
        return Err(Error::InvalidParameter {
            name: "arctan_grid",
            reason: "must be at least 1".into(),
        });
    }
    let xc = arctan_critical_start()?;
    let starts = [
        (1.0, "x₀ = 1"),
        (xc * (1.0 - 1e-3), "x₀ = x_c·(1 − 10⁻³)"),
        (xc * (1.0 + 1e-3), "x₀ = x_c·(1 + 10⁻³)"),
        (1.5, "x₀ = 1.5"),
    ];
    // A tolerance below every normal number: a converging path runs until
    // f'(x) = atan x underflows to 0.
    let figure_opts = Options::new(f64::MIN_POSITIVE, 40);
    let paths = starts
        .iter()
        .map(|&(x0, label)| {
            let trace = newton_1d_trace(&ArctanPrimitive, x0, &figure_opts)?;
            Ok(ArctanPath { x0, label, trace })
        })
        .collect::<Result<Vec<_>>>()?;
    let opts = Options::new(1e-14, 200);
    let grid_agree = (1..=grid)
        .map(|i| 3.0 * i as f64 / grid as f64)
        .filter(|&x0| newton_1d(&ArctanPrimitive, x0, &opts).is_ok() == (x0 < xc))
        .count();
    Ok(Arctan {
        xc,
        paths,
        grid_agree,
        grid_total: grid,
    })
}

/// What [`convergence`] runs: a non-degenerate minimum and the degenerate `x⁴`.
#[derive(Debug, Clone, Copy)]
pub struct ConvergencePlan {
    /// The smooth minimum (`f''(m) = a > 0`), started at `m + offset`.
    pub smooth: SmoothMinimum,
    /// Start offset from the minimum.
    pub offset: f64,
    /// Gradient tolerance for the smooth minimum.
    pub tol: f64,
    /// Start for `x⁴`.
    pub quartic_start: f64,
    /// Step floor that ends the `x⁴` run (its gradient tolerance, `1e-300`,
    /// is out of reach of linear convergence).
    pub quartic_step_floor: f64,
    /// Iteration budget of both runs.
    pub max_iter: usize,
}

impl Default for ConvergencePlan {
    /// The chapter's plan: `m = 0.5, f'' = 1, f''' = 2`, start `m + 0.4`;
    /// `x⁴` from 0.9 until a step is below `10⁻⁶`.
    fn default() -> Self {
        ConvergencePlan {
            smooth: SmoothMinimum {
                m: 0.5,
                a: 1.0,
                b: 2.0,
                c: 0.5,
            },
            offset: 0.4,
            tol: 1e-15,
            quartic_start: 0.9,
            quartic_step_floor: 1e-6,
            max_iter: 100,
        }
    }
}

/// Measured errors of Newton's method at a non-degenerate and a degenerate minimum.
#[derive(Debug, Clone, PartialEq)]
pub struct Convergence {
    /// `e_k = |x_k − m|` for the smooth minimum, one per iterate.
    pub smooth_errors: Vec<f64>,
    /// `e_{k+1}/e_k²` for each `k` with `e_{k+1} > 0` (`None` once the error is 0).
    pub smooth_ratios: Vec<Option<f64>>,
    /// The limit the ratios approach, `|f'''(m)/(2 f''(m))|`.
    pub predicted_ratio: f64,
    /// Iterations the smooth run took.
    pub smooth_iterations: usize,
    /// `|x_k|` for `x⁴`, measured: one per iterate.
    pub quartic_errors: Vec<f64>,
    /// The formula `x₀ (2/3)^k` at the same `k` (Newton's map on `x⁴` is `2x/3`).
    pub quartic_theory: Vec<f64>,
}

/// Runs [`newton_1d`] on both functions and returns every iterate's error.
///
/// # Errors
/// Whatever [`newton_1d`] reports (for the chapter's plan: nothing).
pub fn convergence(plan: &ConvergencePlan) -> Result<Convergence> {
    let s = plan.smooth;
    let sol = newton_1d(
        &s,
        s.m + plan.offset,
        &Options::new(plan.tol, plan.max_iter),
    )?;
    let smooth_errors: Vec<f64> = sol.path.iter().map(|x| (x - s.m).abs()).collect();
    let smooth_ratios = smooth_errors
        .windows(2)
        .map(|e| (e[1] > 0.0).then(|| e[1] / (e[0] * e[0])))
        .collect();
    let opts = Options::new(1e-300, plan.max_iter).with_step_tol(plan.quartic_step_floor);
    let quartic = newton_1d(&Quartic, plan.quartic_start, &opts)?;
    let quartic_errors: Vec<f64> = quartic.path.iter().map(|x| x.abs()).collect();
    let quartic_theory = (0..quartic_errors.len())
        .map(|k| plan.quartic_start.abs() * (2.0f64 / 3.0).powi(k as i32))
        .collect();
    Ok(Convergence {
        smooth_errors,
        smooth_ratios,
        predicted_ratio: (s.b / (2.0 * s.a)).abs(),
        smooth_iterations: sol.iterations,
        quartic_errors,
        quartic_theory,
    })
}

impl Convergence {
    /// The `quadratic_table` table: `k`, `e_k` and `e_{k+1}/e_k²`.
    pub fn table(&self) -> Table {
        let e = &self.smooth_errors;
        let ratio = |k: usize| {
            self.smooth_ratios
                .get(k)
                .copied()
                .flatten()
                .map_or("–".into(), |q| format!("{q:.4}"))
        };
        Table {
            header: vec!["k", "error e_k", "e_{k+1}/e_k²"],
            rows: (0..e.len())
                .map(|k| vec![k.to_string(), format!("{:.3e}", e[k]), ratio(k)])
                .collect(),
        }
    }
}

// ANCHOR: predicted_iterations
/// Iterations gradient descent with step `2/(L + μ)` needs to shrink `‖x − x*‖`
/// by `tol` on a `d`-dimensional quadratic with condition number `κ`,
/// eigenvalues spread geometrically and a start with equal components on every
/// eigenvector.
///
/// Each eigen-component of the error shrinks by `|1 − 2λᵢ/(L + μ)|` per step; the
/// two extreme ones (each `1/√d` of `‖e₀‖`) by exactly `r = (κ − 1)/(κ + 1)`, the
/// others faster. So `‖e_k‖ ≈ √(2/d)·r^k·‖e₀‖`, which reaches `tol·‖e₀‖` at
/// `k = ⌈ln(√(2/d)/tol) / ln(1/r)⌉`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `κ > 1`, `d ≥ 2` and `0 < tol < 1`.
pub fn predicted_iterations(kappa: f64, d: usize, tol: f64) -> Result<f64> {
    check_prediction(kappa, d, tol)?;
    let r = (kappa - 1.0) / (kappa + 1.0);
    Ok((((2.0 / d as f64).sqrt() / tol).ln() / (1.0 / r).ln()).ceil())
}
// ANCHOR_END: predicted_iterations

fn check_prediction(kappa: f64, d: usize, tol: f64) -> Result<()> {
    if kappa.is_finite() && kappa > 1.0 && d >= 2 && tol > 0.0 && tol < 1.0 {
        return Ok(());
    }
    Err(Error::InvalidParameter {
        name: "predicted_iterations",
        reason: format!(
            "needs κ > 1, d ≥ 2 and 0 < tol < 1, got κ = {kappa}, d = {d}, tol = {tol}"
        ),
    })
}

/// Gradient descent against Newton at one condition number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KappaRow {
    /// Condition number `κ = L/μ`.
    pub kappa: f64,
    /// Gradient-descent iterations on the rotated (coupled) quadratic.
    pub gd_rotated: usize,
    /// The same on the diagonal (uncoupled) quadratic with the same spectrum.
    pub gd_diagonal: usize,
    /// [`predicted_iterations`].
    pub predicted: f64,
    /// Newton iterations (one, on a quadratic).
    pub newton: usize,
}

/// The κ sweep: rows and the log–log slope of iterations against κ.
#[derive(Debug, Clone, PartialEq)]
pub struct KappaSweep {
    /// Relative error reduction asked of every run.
    pub tol: f64,
    /// Dimension of the quadratics.
    pub n: usize,
    /// One row per κ.
    pub rows: Vec<KappaRow>,
    /// Slope of `log(gd_rotated)` against `log κ`.
    pub slope: f64,
}

/// Gradient descent (step `2/(L + μ)`) and Newton on SPD quadratics
/// `½ xᵀAx` with `κ = 10^{1}, 10^{1.5}, …`: `A = Q diag(λ) Qᵀ` with a random
/// orthogonal `Q` drawn from `rng` and `λᵢ = κ^{i/(n−1)}`, and `diag(λ)` itself.
/// Both start at the same point in the eigenbasis (all ones), so the
/// iteration counts differ only by rounding.
///
/// # Errors
/// [`Error::InvalidParameter`] for `kappa_dim < 2` or `kappa_max_exponent < 1`;
/// a run that does not converge.
pub fn kappa_sweep(plan: &Plan, rng: &mut impl Rng) -> Result<KappaSweep> {
    let (n, tol) = (plan.kappa_dim, 1e-6);
    if n < 2 || plan.kappa_max_exponent < 1 {
        return Err(Error::InvalidParameter {
            name: "kappa sweep",
            reason: format!(
                "needs kappa_dim ≥ 2 and kappa_max_exponent ≥ 1, got {n} and {}",
                plan.kappa_max_exponent
            ),
        });
    }
    let q = DMatrix::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal))
        .qr()
        .q();
    let rows = (2..=2 * plan.kappa_max_exponent)
        .map(|i| kappa_row(&q, 10f64.powf(f64::from(i) / 2.0), tol))
        .collect::<Result<Vec<_>>>()?;
    let (ks, its): (Vec<f64>, Vec<f64>) =
        rows.iter().map(|r| (r.kappa, r.gd_rotated as f64)).unzip();
    let slope = loglog_fit(&ks, &its)?.0;
    Ok(KappaSweep {
        tol,
        n,
        rows,
        slope,
    })
}

fn kappa_row(q: &DMatrix<f64>, kappa: f64, tol: f64) -> Result<KappaRow> {
    let n = q.nrows();
    let eig: Vec<f64> = (0..n)
        .map(|i| kappa.powf(i as f64 / (n - 1) as f64))
        .collect();
    let rotated = Quadratic::with_spectrum(q, &eig, DVector::zeros(n))?;
    let diag = Quadratic::with_spectrum(&DMatrix::identity(n, n), &eig, DVector::zeros(n))?;
    let y0 = DVector::from_element(n, 1.0);
    let x0 = q * &y0;
    let step = 2.0 / (kappa + 1.0);
    let gd_rotated = fixed_step_quadratic(&rotated, &x0, step, tol, 10_000_000)?;
    let gd_diagonal = fixed_step_quadratic(&diag, &y0, step, tol, 10_000_000)?;
    let g0 = rotated.grad(&x0).norm();
    let newton = newton(&rotated, &x0, &Options::new(1e-9 * g0, 10))?.iterations;
    Ok(KappaRow {
        kappa,
        gd_rotated,
        gd_diagonal,
        predicted: predicted_iterations(kappa, n, tol)?,
        newton,
    })
}

impl KappaSweep {
    /// The `kappa_table` table.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "κ",
                "GD iterations, rotated A (coupled)",
                "GD iterations, diagonal A (uncoupled)",
                "predicted: ⌈ln(√(2/d)/tol)/ln((κ+1)/(κ−1))⌉",
                "Newton iterations",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        format!("{:.0}", r.kappa),
                        r.gd_rotated.to_string(),
                        r.gd_diagonal.to_string(),
                        format!("{:.0}", r.predicted),
                        r.newton.to_string(),
                    ]
                })
                .collect(),
        }
    }

    /// The rough rule `(κ/2)·ln(1/tol)` at each κ of the sweep (the large-κ
    /// limit of [`predicted_iterations`] without the `√(2/d)` factor).
    pub fn rough_rule(&self) -> Vec<(f64, f64)> {
        self.rows
            .iter()
            .map(|r| (r.kappa, r.kappa / 2.0 * (1.0 / self.tol).ln()))
            .collect()
    }
}

/// Three minimisers on Rosenbrock from `(−1.2, 1)`.
#[derive(Debug, Clone)]
pub struct RosenbrockRuns {
    /// Damped Newton (modified Cholesky + Armijo backtracking).
    pub damped: Solution,
    /// Pure Newton.
    pub pure: Solution,
    /// Gradient descent with Armijo backtracking.
    pub gd: Solution,
    /// Wall time of the gradient-descent run, in seconds.
    pub gd_seconds: f64,
}

/// Runs damped Newton, pure Newton and gradient descent on Rosenbrock from
/// `(−1.2, 1)` to `‖∇f‖ ≤ 10⁻⁸`.
///
/// # Errors
/// A run that does not converge (gradient descent within `gd_budget`).
pub fn rosenbrock(gd_budget: usize) -> Result<RosenbrockRuns> {
    let x0 = DVector::from_vec(vec![-1.2, 1.0]);
    let tol = 1e-8;
    let damped = minimize(
        &Rosenbrock,
        &x0,
        &DampedOptions {
            base: Options::new(tol, 200),
            ..Default::default()
        },
    )?;
    let pure = newton(&Rosenbrock, &x0, &Options::new(tol, 200))?;
    let t = Instant::now();
    let gd = gradient_descent(
        &Rosenbrock,
        &x0,
        &Options::new(tol, gd_budget),
        &Armijo::default(),
    )?;
    Ok(RosenbrockRuns {
        damped,
        pure,
        gd,
        gd_seconds: t.elapsed().as_secs_f64(),
    })
}

impl RosenbrockRuns {
    /// The window `(x range, y range)` that holds `[−2, 2] × [−1, 3]` and every
    /// iterate of the three runs, with a margin of 0.1.
    pub fn window(&self) -> ((f64, f64), (f64, f64)) {
        let all = || {
            self.damped
                .path
                .iter()
                .chain(&self.pure.path)
                .chain(&self.gd.path)
        };
        let lo = |i: usize, floor: f64| all().map(|p| p[i]).fold(floor, f64::min) - 0.1;
        let hi = |i: usize, ceil: f64| all().map(|p| p[i]).fold(ceil, f64::max) + 0.1;
        ((lo(0, -2.0), hi(0, 2.0)), (lo(1, -1.0), hi(1, 3.0)))
    }
}

/// Pure and damped Newton on the double well `x² + (y² − 1)²` from `(0.6, 0.15)`.
#[derive(Debug, Clone)]
pub struct DoubleWellRuns {
    /// Pure Newton (it converges to the saddle `(0, 0)`).
    pub pure: Solution,
    /// Damped Newton (it converges to the minimum `(0, 1)`).
    pub damped: Solution,
}

/// Runs pure and damped Newton on [`DoubleWell`] from `(0.6, 0.15)`.
///
/// # Errors
/// A run that does not converge (neither does, from this start).
pub fn double_well() -> Result<DoubleWellRuns> {
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
    Ok(DoubleWellRuns { pure, damped })
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

/// Wall times of a Newton step's parts at one order `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCostRow {
    /// Order.
    pub n: usize,
    /// Cholesky factorisation and solve (best of several), seconds.
    pub cholesky_s: f64,
    /// Explicit inverse, then multiply, seconds.
    pub inverse_s: f64,
    /// AD Hessian of the chained Rosenbrock function, seconds (`None` above
    /// [`Plan::hessian_max`]).
    pub hessian_s: Option<f64>,
}

/// The step-cost sweep and the exponents fitted to it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCost {
    /// One row per order.
    pub rows: Vec<StepCostRow>,
    /// Log–log slope of the Cholesky times.
    pub exp_cholesky: f64,
    /// Log–log slope of the inverse times.
    pub exp_inverse: f64,
    /// Log–log slope of the Hessian times.
    pub exp_hessian: f64,
}

/// Times the parts of one Newton step at each order of `plan.step_cost_sizes`
/// on a random SPD system `MᵀM/n + I` (entries of `M` and `b` from `rng`), and
/// the AD Hessian of [`ChainedRosenbrock`] at a random point up to
/// `plan.hessian_max`.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than two sizes, or fewer than two
/// at or below `hessian_max` (no exponent can be fitted); a failed AD Hessian.
pub fn step_cost(plan: &Plan, rng: &mut impl Rng) -> Result<StepCost> {
    let sizes = &plan.step_cost_sizes;
    if sizes.len() < 2 || sizes.iter().filter(|&&n| n <= plan.hessian_max).count() < 2 {
        return Err(Error::InvalidParameter {
            name: "step_cost_sizes",
            reason: format!(
                "needs at least two sizes, two of them ≤ hessian_max = {}, got {sizes:?}",
                plan.hessian_max
            ),
        });
    }
    let mut rows = vec![];
    for &n in sizes {
        // The step's linear algebra, timed by `solve_cost` (which the
        // Performance appendix's comparison with LAPACK calls too): a
        // Cholesky solve, and the explicit inverse then a product, on a
        // random symmetric positive definite matrix of order n, each the best
        // of a number of repetitions that shrinks as n grows.
        let (cholesky_s, inverse_s) = solve_cost(n, rng)?;
        let hessian_s = if n <= plan.hessian_max {
            let f = ChainedRosenbrock { n };
            let x = DVector::from_fn(n, |_, _| rng.random_range(-1.0..1.0));
            let mut failed = None;
            let t = best_of(if n <= 128 { 3 } else { 1 }, || {
                hessian(&f, &x).map_err(|e| failed = Some(e)).is_ok()
            });
            if let Some(e) = failed {
                return Err(e);
            }
            Some(t)
        } else {
            None
        };
        rows.push(StepCostRow {
            n,
            cholesky_s,
            inverse_s,
            hessian_s,
        });
    }
    let fit = |pick: &dyn Fn(&StepCostRow) -> Option<f64>| -> Result<f64> {
        let (xs, ys): (Vec<f64>, Vec<f64>) = rows
            .iter()
            .filter_map(|r| pick(r).map(|y| (r.n as f64, y)))
            .unzip();
        Ok(loglog_fit(&xs, &ys)?.0)
    };
    Ok(StepCost {
        exp_cholesky: fit(&|r| Some(r.cholesky_s))?,
        exp_inverse: fit(&|r| Some(r.inverse_s))?,
        exp_hessian: fit(&|r| r.hessian_s)?,
        rows,
    })
}

impl StepCost {
    /// Inverse time over Cholesky time at the largest order.
    pub fn inverse_over_cholesky(&self) -> f64 {
        self.rows
            .last()
            .map_or(f64::NAN, |r| r.inverse_s / r.cholesky_s)
    }

    /// The largest order with a Hessian time, and that time over the Cholesky time there.
    pub fn hessian_over_cholesky(&self) -> (usize, f64) {
        self.rows
            .iter()
            .rev()
            .find_map(|r| r.hessian_s.map(|h| (r.n, h / r.cholesky_s)))
            .unwrap_or((0, f64::NAN))
    }

    /// The `step_cost_table` table.
    pub fn table(&self) -> Table {
        let rows = self
            .rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                // Local exponent of the solve: log₂ of the growth since the previous (halved) n.
                let local = if k == 0 {
                    "–".into()
                } else {
                    format!("{:.2}", (r.cholesky_s / self.rows[k - 1].cholesky_s).log2())
                };
                vec![
                    r.n.to_string(),
                    format!("{:.3e}", r.cholesky_s),
                    local,
                    format!("{:.3e}", r.inverse_s),
                    r.hessian_s.map_or("–".into(), |t| format!("{t:.3e}")),
                    format!("{:.1}", r.inverse_s / r.cholesky_s),
                ]
            })
            .collect();
        Table {
            header: vec![
                "d",
                "Cholesky factor + solve (s)",
                "local exponent of the solve",
                "inverse, then multiply (s)",
                "AD Hessian, chained Rosenbrock (s)",
                "inverse / solve",
            ],
            rows,
        }
    }
}

/// Logistic regression on the breast-cancer data: IRLS on the host and on a
/// candle device, and gradient descent.
#[derive(Debug, Clone)]
pub struct Logistic {
    /// Samples `m` and features `p` (with the intercept column).
    pub shape: (usize, usize),
    /// IRLS with the nalgebra derivatives.
    pub irls_host: Solution,
    /// IRLS with the candle derivatives.
    pub irls_device: Solution,
    /// Wall times of the two IRLS runs, seconds.
    pub irls_seconds: (f64, f64),
    /// Largest relative difference between the two IRLS paths.
    pub path_rel_diff: f64,
    /// Largest entry of the Hessian difference over the largest Hessian entry, at the solution.
    pub hess_rel_diff: f64,
    /// Largest entry of the gradient difference at the solution.
    pub grad_abs_diff: f64,
    /// `L/μ`: the Lipschitz bound over the smallest Hessian eigenvalue at the solution.
    pub l_over_mu: f64,
    /// Gradient descent with step `1/L`.
    pub gd: Solution,
    /// Its wall time, seconds.
    pub gd_seconds: f64,
    /// Training accuracy of the IRLS weights, percent.
    pub train_accuracy: f64,
}

/// Fits L2-regularised logistic regression (`plan.logistic_lambda`) on the
/// breast-cancer data to `‖∇L‖ ≤ plan.logistic_tol` by IRLS (host and
/// `device`) and by gradient descent with step `1/L`, all from `w = 0`.
///
/// # Errors
/// A missing or corrupt data file; a device failure; a run that does not converge.
pub fn logistic(plan: &Plan, device: &Device) -> Result<Logistic> {
    let data = breast_cancer()?;
    let shape = data.x.shape();
    let host = HostLogistic::new(data.clone(), plan.logistic_lambda)?;
    let dev = CandleLogistic::new(&data, plan.logistic_lambda, device)?;
    let w0 = DVector::zeros(shape.1);
    let opts = Options::new(plan.logistic_tol, 50);
    let t = Instant::now();
    let a = irls(&host, &w0, &opts)?;
    let t_host = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = irls(&dev, &w0, &opts)?;
    let t_dev = t.elapsed().as_secs_f64();
    let path_rel_diff = a
        .path
        .iter()
        .zip(&b.path)
        .map(|(u, v)| (u - v).norm() / u.norm().max(1.0))
        .fold(0.0, f64::max);
    let (_, gh, hh) = host.value_grad_hess(&a.x)?;
    let (_, gd_, hd) = dev.value_grad_hess(&a.x)?;
    let lip = host.lipschitz();
    let mu = hh.clone().symmetric_eigenvalues().min();
    let t = Instant::now();
    let gd = gradient_descent_fixed(
        &host,
        &w0,
        1.0 / lip,
        &Options::new(plan.logistic_tol, 2_000_000),
    )?;
    let gd_seconds = t.elapsed().as_secs_f64();
    let z = &data.x * &a.x;
    let correct = z
        .iter()
        .zip(data.y.iter())
        .filter(|(z, y)| (**z > 0.0) == (**y > 0.5))
        .count();
    Ok(Logistic {
        shape,
        hess_rel_diff: (&hh - &hd).amax() / hh.amax(),
        grad_abs_diff: (&gh - &gd_).amax(),
        irls_host: a,
        irls_device: b,
        irls_seconds: (t_host, t_dev),
        path_rel_diff,
        l_over_mu: lip / mu,
        gd,
        gd_seconds,
        train_accuracy: 100.0 * correct as f64 / shape.0 as f64,
    })
}

/// One Newton step drawn: `f`, its quadratic model at `x₀`, and where the
/// model's minimum sends the iterate.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPicture {
    /// `(x, f(x))` on the drawn interval.
    pub f: Vec<(f64, f64)>,
    /// `(x, q(x − x₀))`: the model `f(x₀) + f'(x₀)Δ + ½ f''(x₀)Δ²`.
    pub model: Vec<(f64, f64)>,
    /// The start `x₀` and `f(x₀)`.
    pub start: (f64, f64),
    /// The next iterate `x₁ = x₀ − f'(x₀)/f''(x₀)`, the model's minimiser, and `q` there.
    pub model_min: (f64, f64),
    /// `x₁` and `f(x₁)`.
    pub next: (f64, f64),
    /// The minimiser of `f`.
    pub minimiser: f64,
}

/// The Newton step from `m + 1` on the [`ConvergencePlan`]'s smooth minimum,
/// sampled at `points` points of `[m − 1, m + 1.6]`.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than two points; a failed derivative.
pub fn step_picture(points: usize) -> Result<StepPicture> {
    if points < 2 {
        return Err(Error::InvalidParameter {
            name: "points",
            reason: format!("a curve needs at least 2 points, got {points}"),
        });
    }
    let s = ConvergencePlan::default().smooth;
    let x0 = s.m + 1.0;
    let d = crate::diff::derivs1(&s, x0)?;
    let q = |x: f64| d.value + d.d1 * (x - x0) + 0.5 * d.d2 * (x - x0).powi(2);
    let x1 = x0 + super::scalar::step_1d(d.d1, d.d2, x0)?;
    let f = |x: f64| crate::diff::derivs1(&s, x).map(|d| d.value);
    let xs: Vec<f64> = (0..points)
        .map(|i| s.m - 1.0 + 2.6 * i as f64 / (points - 1) as f64)
        .collect();
    Ok(StepPicture {
        f: xs.iter().map(|&x| Ok((x, f(x)?))).collect::<Result<_>>()?,
        model: xs.iter().map(|&x| (x, q(x))).collect(),
        start: (x0, d.value),
        model_min: (x1, q(x1)),
        next: (x1, f(x1)?),
        minimiser: s.m,
    })
}

/// Times the two ways of taking a Newton step with an `n × n` Hessian on a
/// random symmetric positive definite `A = MᵀM/n + I` (`M` standard normal):
/// Cholesky factorisation and solve, and explicit inverse then multiply.
/// Returns `(cholesky_s, inverse_s)`, each the best of
/// `clamp(2·10⁸/n³, 3, 50)` repetitions.
///
/// # Errors
/// [`Error::TooFew`] for `n = 0`; [`Error::Singular`] if one of nalgebra's
/// factorisations fails (neither does for such `A`: its eigenvalues are ≥ 1).
pub fn solve_cost(n: usize, rng: &mut impl Rng) -> Result<(f64, f64)> {
    ensure_len("order n", n, 1)?;
    let m = DMatrix::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal));
    let a = m.tr_mul(&m) / n as f64 + DMatrix::identity(n, n);
    let b = DVector::from_fn(n, |_, _| rng.sample::<f64, _>(StandardNormal));
    let reps = (2e8 / (n as f64).powi(3)).clamp(3.0, 50.0) as usize;
    let mut ok = (true, true);
    let cholesky_s = best_of(reps, || {
        let x = a.clone().cholesky().map(|c| c.solve(&b));
        ok.0 &= x.is_some();
        x
    });
    let inverse_s = best_of(reps, || {
        let x = a.clone().try_inverse().map(|inv| inv * &b);
        ok.1 &= x.is_some();
        x
    });
    match ok {
        (true, true) => Ok((cholesky_s, inverse_s)),
        (chol, _) => Err(Error::Singular {
            what: "the step-cost Hessian",
            detail: format!(
                "nalgebra's {} failed at order {n}",
                if chol {
                    "inverse"
                } else {
                    "Cholesky factorisation"
                }
            ),
        }),
    }
}
