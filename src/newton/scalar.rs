//! Newton's method in one variable.
//!
//! Root form (for `g(x) = 0`): `x ← x − g(x)/g'(x)`. Optimisation form (for
//! `f'(x) = 0`): the root form applied to `g = f'`, that is
//! `x ← x − f'(x)/f''(x)`. N&W §11.1 (root form), §2.2 (optimisation form).

use crate::diff::{ScalarFn, derivs1};
use crate::error::{Error, Result, ensure_finite};

use super::{Options, no_convergence};

/// The result of a one-variable iteration that met its tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution1 {
    /// The final iterate.
    pub x: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Every iterate `x₀, x₁, …, x_k`.
    pub path: Vec<f64>,
}

// ANCHOR: step_1d
/// One Newton step for a stationary point: `Δx = −f'(x)/f''(x)`, the
/// stationary point of the model `f(x) + f'(x) Δx + ½ f''(x) Δx²`.
///
/// # Errors
///
/// [`Error::Singular`] when `f''(x) = 0`: the model is then linear and has no
/// stationary point.
pub fn step_1d(d1: f64, d2: f64, x: f64) -> Result<f64> {
    if d2 == 0.0 {
        return Err(Error::Singular {
            what: "the second derivative f''(x)",
            detail: format!("f''({x}) = 0, so the Newton step −f'(x)/f''(x) is undefined"),
        });
    }
    Ok(-d1 / d2)
}
// ANCHOR_END: step_1d

/// Newton's method for a stationary point of `f`, from `x0`:
/// `x_{k+1} = x_k − f'(x_k)/f''(x_k)`, with `f'` and `f''` from
/// [`derivs1`]. Stops when `|f'(x)| ≤ opts.tol` or, with a step floor
/// `opts.step_tol > 0`, after a step no longer than the floor.
///
/// Finds whichever stationary point the iteration reaches: a minimum, a
/// maximum or an inflection point; the sign of `f''` there says which.
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite start, [`Error::Singular`] if
/// `f''(x_k) = 0`, [`Error::NoConvergence`] (with the last finite iterate) if
/// the budget runs out or the iterates diverge.
pub fn newton_1d<G: ScalarFn + ?Sized>(f: &G, x0: f64, opts: &Options) -> Result<Solution1> {
    opts.validate()?;
    ensure_finite("x0", &[x0])?;
    iterate(x0, opts, "Newton's method (1-D)", |x| {
        let d = derivs1(f, x)?;
        Ok((d.d1, d.d2))
    })
}

/// Newton's method for a root of `g`, from `x0`: `x ← x − g(x)/g'(x)`,
/// with `g'` from [`derivs1`]. Stops when `|g(x)| ≤ opts.tol` (or after a
/// step no longer than `opts.step_tol`).
///
/// This is the form the notes' first sentence describes; [`newton_1d`] is
/// this iteration applied to `g = f'`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for invalid `opts` (see [`Options::validate`]);
/// [`Error::NonFinite`] if `x0`, or `g` or `g'` at `x0`, is NaN or infinite;
/// [`Error::Singular`] when `g'(x) = 0` at an iterate; [`Error::NoConvergence`],
/// with the last iterate, when the budget `opts.max_iter` is spent, the iterates pass
/// `opts.blowup`, or `g` stops being finite along the way.
pub fn newton_root<G: ScalarFn + ?Sized>(g: &G, x0: f64, opts: &Options) -> Result<Solution1> {
    opts.validate()?;
    ensure_finite("x0", &[x0])?;
    iterate(x0, opts, "Newton's method (root form)", |x| {
        let d = derivs1(g, x)?;
        Ok((d.value, d.d1))
    })
}

/// How a traced one-variable iteration ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop1 {
    /// The residual met the tolerance (or a step was below the step floor)
    /// after this many iterations.
    Converged(usize),
    /// The iterate after the last recorded one was not finite or exceeded the
    /// blow-up bound; the path ends with it when it is finite.
    Diverged,
    /// The iteration budget was spent.
    Budget,
    /// The derivatives stopped being finite at the last iterate.
    NonFinite,
}

/// The iterates of a one-variable iteration, whether or not it converged.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace1 {
    /// `x₀, x₁, …`: every iterate, and the first diverging one if it is finite.
    pub path: Vec<f64>,
    /// Why the iteration stopped.
    pub stop: Stop1,
}

/// Newton's method for a stationary point of `f` from `x0`, as
/// [`newton_1d`], but returning the iterates whatever the outcome: a
/// diverging or cycling run keeps its path (the figures of divergence need it).
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite start or non-finite derivatives at
/// it, [`Error::Singular`] if `f''(x_k) = 0`, and a rejected `opts`.
pub fn newton_1d_trace<G: ScalarFn + ?Sized>(f: &G, x0: f64, opts: &Options) -> Result<Trace1> {
    opts.validate()?;
    ensure_finite("x0", &[x0])?;
    let (trace, _) = trace(x0, opts, |x| {
        let d = derivs1(f, x)?;
        Ok((d.d1, d.d2))
    })?;
    Ok(trace)
}

/// The shared loop: `eval(x)` returns `(r, r')` and the step is `−r/r'`.
/// Returns the iterates, why the loop stopped and, for [`Stop1::NonFinite`],
/// the derivatives' error.
fn trace(
    x0: f64,
    opts: &Options,
    eval: impl Fn(f64) -> Result<(f64, f64)>,
) -> Result<(Trace1, Option<Error>)> {
    let mut x = x0;
    let mut path = vec![x0];
    let mut small_step = false;
    let done = |path: Vec<f64>, stop, e| Ok((Trace1 { path, stop }, e));
    for k in 0..=opts.max_iter {
        let (r, dr) = match eval(x) {
            Ok(v) => v,
            Err(e) if k > 0 => return done(path, Stop1::NonFinite, Some(e)),
            Err(e) => return Err(e),
        };
        if r.abs() <= opts.tol || small_step {
            return done(path, Stop1::Converged(k), None);
        }
        if k == opts.max_iter {
            break;
        }
        let next = x + step_1d(r, dr, x)?;
        if !next.is_finite() || next.abs() > opts.blowup {
            if next.is_finite() {
                path.push(next);
            }
            return done(path, Stop1::Diverged, None);
        }
        small_step = (next - x).abs() <= opts.step_tol;
        x = next;
        path.push(x);
    }
    done(path, Stop1::Budget, None)
}

/// [`trace`] with every outcome but convergence turned into
/// [`Error::NoConvergence`], reporting the last finite iterate.
fn iterate(
    x0: f64,
    opts: &Options,
    method: &'static str,
    eval: impl Fn(f64) -> Result<(f64, f64)>,
) -> Result<Solution1> {
    let (Trace1 { mut path, stop }, err) = trace(x0, opts, eval)?;
    let (k, reason) = match stop {
        Stop1::Converged(iterations) => {
            let x = path[path.len() - 1];
            return Ok(Solution1 {
                x,
                iterations,
                path,
            });
        }
        Stop1::NonFinite => {
            let e = err.map_or_else(String::new, |e| e.to_string());
            let why = format!("the derivatives stopped being finite ({e})");
            (path.len() - 1, why)
        }
        Stop1::Diverged => {
            // The path holds the diverging iterate too when it is finite.
            let k = path.len() - 1;
            let next = if path.len() >= 2 && (path[k].abs() > opts.blowup) {
                path.pop().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            };
            let why = format!(
                "the iterates diverged (|x| = {:e} exceeds {:e})",
                next.abs(),
                opts.blowup
            );
            (path.len(), why)
        }
        Stop1::Budget => {
            let why = format!(
                "the iteration budget was spent with |residual| still above {:e}",
                opts.tol
            );
            (opts.max_iter, why)
        }
    };
    Err(no_convergence(method, k, reason, &[path[path.len() - 1]]))
}

/// Bisection for a sign change of `g` in `[lo, hi]`, to an interval of width
/// `≤ tol` (or until the midpoint no longer moves).
///
/// # Errors
/// [`Error::InvalidParameter`] if `g(lo)` and `g(hi)` have the same sign or
/// the bracket is not finite and ordered.
pub fn bisect(g: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> Result<f64> {
    ensure_finite("bracket", &[lo, hi, tol])?;
    if lo >= hi {
        return Err(Error::InvalidParameter {
            name: "bracket",
            reason: format!("needs lo < hi, got [{lo}, {hi}]"),
        });
    }
    let (glo, ghi) = (g(lo), g(hi));
    if glo.signum() == ghi.signum() || glo.is_nan() || ghi.is_nan() {
        return Err(Error::InvalidParameter {
            name: "bracket",
            reason: format!(
                "g must change sign on [{lo}, {hi}], but g = {glo:e} and {ghi:e} there"
            ),
        });
    }
    while hi - lo > tol {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if g(mid).signum() == glo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

// ANCHOR: critical_start
/// The start `x_c > 0` from which Newton on `f' = atan` cycles between
/// `x_c` and `−x_c`.
///
/// Newton's map for `f' = atan` is `N(x) = x − atan(x)·(1 + x²)`, odd in `x`,
/// so `N(x_c) = −x_c` exactly when `atan(x_c)·(1 + x_c²) = 2 x_c`. Found by
/// bisection on `[1, 2]`, where the left side minus the right changes sign.
///
/// # Errors
///
/// None in practice: [`Error::InvalidParameter`] would mean that
/// `atan(x)·(1 + x²) − 2x` does not change sign on `[1, 2]`, as [`bisect`]
/// requires.
pub fn arctan_critical_start() -> Result<f64> {
    bisect(|x: f64| x.atan() * (1.0 + x * x) - 2.0 * x, 1.0, 2.0, 1e-15)
}
// ANCHOR_END: critical_start
