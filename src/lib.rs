//! # papernotes
//!
//! Reference implementations behind the papernotes book. Each module backs one
//! chapter: it implements what a paper note claims, so that the claim can be
//! checked by the property tests in `tests/` and measured by the example of the
//! same name in `examples/`.
//!
//! Shared pieces live in one place each:
//! [`error`] (the typed error every public function returns),
//! [`diff`] (one family of function traits, [`diff::ScalarFn`] and
//! [`diff::Field`], generic over the number type [`diff::Scalar`] that covers
//! `f64`, dual numbers and Taylor jets; derivatives by forward-mode automatic
//! differentiation),
//! [`numeric`] (scalar helpers: sigmoid, softplus, log-sum-exp),
//! [`functions`] (test functions several chapters share: Rosenbrock),
//! [`plot`] (the figure style), [`device`] (CPU or CUDA for candle) and
//! [`run`] (command-line flags and the run record an example writes),
//! [`data`] (real data sets that ship inside crates or under `data/`).

pub mod device;
pub mod diff;
pub mod error;
pub mod functions;
pub mod numeric;
pub mod plot;
pub mod run;

pub mod data;

pub mod alignment;
pub mod newton;
pub mod rectifier;
pub mod softmax;
pub mod sphereface;
pub mod taylor;

pub use error::{Error, Result};
