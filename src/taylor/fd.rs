//! Central finite differences: an independent, approximate check of derivatives.
//!
//! `D_h f(x) = (f(x+h) − f(x−h)) / (2h)`. By Taylor's theorem with the Lagrange
//! remainder, `f(x±h) = f(x) ± h f'(x) + h²/2 f''(x) ± h³/6 f'''(ξ±)`, so the
//! truncation error is at most `h²/6 · M₃` with `M₃ = max |f'''|` on `[x−h, x+h]`.
//! In floating point each value `f(x±h)` carries a relative error of at most
//! `u_f` (a few ulps for a library `exp` or `sin`), which the division by `2h`
//! amplifies to at most `u_f · F / h` with `F = max |f|` on the interval. Hence
//!
//! ```text
//! |D_h f(x) − f'(x)| ≤ h² M₃ / 6 + u_f F / h   (+ ε |D_h f(x)| for the last two roundings),
//! ```
//!
//! minimised near `h* = (3 u_f F / M₃)^{1/3}`, about `10⁻⁵` for `F ≈ M₃`
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., §8.1).
//! The step actually used is `fl(x+h) − x`, which is exact, so that the two
//! arguments are exactly `2h` apart (Press et al., *Numerical Recipes*, §5.7).

use crate::Error;
use crate::error::{Result, ensure_finite};

use crate::diff::ScalarFn;

// ANCHOR: central_difference
/// `(f(x+h) − f(x−h)) / (2h)` with the representable step `h = fl(x+h) − x`.
///
/// Returns the estimate and the step used.
///
/// # Errors
///
/// [`Error::NonFinite`] if `x`, `h`, `f(x + h)` or `f(x − h)` is NaN or
/// infinite; [`Error::InvalidParameter`] unless `h > 0`, or when `h` is so small
/// that `x + h` rounds to `x`.
pub fn central_difference<G: ScalarFn + ?Sized>(f: &G, x: f64, h: f64) -> Result<(f64, f64)> {
    ensure_finite("x and h", &[x, h])?;
    if h <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "h",
            reason: format!("the step must be positive, got {h}"),
        });
    }
    let h = (x + h) - x;
    if h == 0.0 {
        return Err(Error::InvalidParameter {
            name: "h",
            reason: format!("the step is below the spacing of floating-point numbers near x = {x}"),
        });
    }
    let (fp, fm) = (f.eval(x + h), f.eval(x - h));
    ensure_finite("f(x ± h)", &[fp, fm])?;
    Ok(((fp - fm) / (2.0 * h), h))
}
// ANCHOR_END: central_difference

// ANCHOR: central_difference_bound
/// The a-priori error bound `h² M₃ / 6 + u_f F / h + ε |D_h|` of
/// [`central_difference`], for `|f'''| ≤ M₃` and `|f| ≤ F` on `[x−h, x+h]` and
/// function values with relative error at most `u_f`; `d` is the computed
/// estimate (the subtraction and the division each round by at most `ε/2`,
/// the `ε |d|` term).
pub fn central_difference_bound(h: f64, m3: f64, big_f: f64, u_f: f64, d: f64) -> f64 {
    h * h * m3 / 6.0 + u_f * big_f / h + f64::EPSILON * d.abs()
}
// ANCHOR_END: central_difference_bound
