//! The chapter's experiments: plan in, plain results out; the example draws
//! and records them, the tests call them at the same (small) size.

use crate::error::Result;

use super::Options;
use super::functions::{Quartic, SmoothMinimum};
use super::scalar::newton_1d;

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
