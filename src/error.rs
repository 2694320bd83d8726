//! The one error type of the crate.
//!
//! Every public function that can be handed bad input returns [`Result`]. Each
//! variant names the problem in plain words, so that the message alone tells a
//! reader what to change.

use thiserror::Error;

/// Everything that can go wrong in papernotes.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A number that must be finite is NaN or infinite.
    #[error("`{name}` must be finite, but it is {value}")]
    NonFinite {
        /// What the value is (an argument name, or a description).
        name: &'static str,
        /// The offending value.
        value: f64,
    },

    /// Fewer elements than the method needs (empty data, too few points).
    #[error("`{name}` has {got} element(s), but at least {needed} are needed")]
    TooFew {
        /// What is too short.
        name: &'static str,
        /// How many are needed.
        needed: usize,
        /// How many were given.
        got: usize,
    },

    /// Two inputs whose sizes must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Where the shapes meet.
        what: &'static str,
        /// The shape that was needed.
        expected: String,
        /// The shape that was given.
        got: String,
    },

    /// A linear system (or a second derivative) is singular to working precision.
    #[error("{what} is singular to working precision: {detail}")]
    Singular {
        /// Which matrix or quantity.
        what: &'static str,
        /// Why it counts as singular (a pivot, a determinant, a condition number).
        detail: String,
    },

    /// A Hessian that must be positive definite is not.
    #[error(
        "the Hessian is not positive definite ({detail}); a Newton step for a minimum needs one, \
         so use the damped method, which modifies the Hessian"
    )]
    NotPositiveDefinite {
        /// What was observed (failed Cholesky, smallest eigenvalue, ...).
        detail: String,
    },

    /// An iterative method stopped without meeting its tolerance.
    #[error(
        "{method} did not converge in {iterations} iterations: {reason} (last iterate {last:?})"
    )]
    NoConvergence {
        /// The method that gave up.
        method: &'static str,
        /// Iterations spent.
        iterations: usize,
        /// Why it stopped (budget spent, step blew up, ...).
        reason: String,
        /// The last iterate, so the caller can inspect or restart from it.
        last: Vec<f64>,
    },

    /// A parameter is outside the range where the method is defined.
    #[error("invalid `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The range it must lie in, in words.
        reason: String,
    },

    /// The requested compute device is not available.
    #[error("device unavailable: {0}")]
    Device(String),

    /// An error raised inside candle (tensor shapes, device kernels).
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),

    /// A data set could not be loaded or is malformed.
    #[error("data set problem: {0}")]
    Data(String),

    /// Reading or writing a file failed.
    #[error("could not {action} `{path}`: {source}")]
    Io {
        /// What was being done ("write", "create directory", ...).
        action: &'static str,
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// Drawing a figure failed.
    #[error("could not draw figure `{path}`: {reason}")]
    Plot {
        /// The figure file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Shorthand for `std::result::Result<T, papernotes::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that every value is finite.
///
/// Call it at the top of every public function that takes numbers from a user.
///
/// # Errors
///
/// [`Error::NonFinite`] naming the first value that is NaN or infinite.
pub fn ensure_finite(name: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(Error::NonFinite { name, value }),
        None => Ok(()),
    }
}

/// Checks that at least `needed` items were given.
///
/// # Errors
///
/// [`Error::TooFew`] when `got < needed`.
pub fn ensure_len(name: &'static str, got: usize, needed: usize) -> Result<()> {
    if got < needed {
        Err(Error::TooFew { name, needed, got })
    } else {
        Ok(())
    }
}
