//! # papernotes
//!
//! Reference implementations behind the papernotes book. Each topic module
//! backs one chapter: it implements what a paper note claims, so that the
//! claim can be checked by the property tests in `tests/` and measured by the
//! example of the same name in `examples/`.
//!
//! ## Module map
//!
//! The shared core, one place per concept:
//!
//! | module | what |
//! |---|---|
//! | [`error`] | the typed error every public function returns |
//! | [`numeric`] | scalar helpers written once: sigmoid, softplus, log-sum-exp, clamped `acos` |
//! | [`diff`] | one family of function traits ([`diff::ScalarFn`], [`diff::Field`]) generic over the number type [`diff::Scalar`] (`f64`, dual numbers, Taylor jets), and derivatives by forward-mode automatic differentiation |
//! | [`functions`] | test functions several chapters share (Rosenbrock) |
//! | [`plot`] | the figure style |
//! | [`device`] | CPU or CUDA for candle |
//! | [`run`] | command-line flags and the run record an example writes |
//! | [`data`] | real data sets, one file each, with source and licence |
//! | [`nn`] | candle plumbing: tensors ↔ nalgebra, the data-set type, optimisers, the training loop and its `Head` trait, metrics |
//!
//! The topics, one per chapter: [`taylor`], [`newton`], [`rectifier`],
//! [`softmax`], [`sphereface`], [`alignment`], [`oecnn`], [`pca_ae`], [`review`].
//!
//! ## Allowed dependencies
//!
//! Every topic may use the core; the core never imports a topic. A topic
//! uses another only where its mathematics builds on it, never backwards:
//!
//! | topic | may also use |
//! |---|---|
//! | `taylor` | — |
//! | `newton` | `taylor` |
//! | `rectifier` | — |
//! | `softmax` | — |
//! | `sphereface` | `softmax` |
//! | `alignment` | — |
//! | `oecnn` | `sphereface`, `softmax` |
//! | `pca_ae` | — |
//! | `review` | `newton`, `rectifier` |
//!
//! `tests/architecture.rs` parses every `crate::` path under `src/` and fails
//! on an edge outside this table, so keep the two in step.

#![warn(clippy::missing_errors_doc)]

pub mod data;
pub mod device;
pub mod diff;
pub mod error;
pub mod functions;
pub mod nn;
pub mod numeric;
pub mod plot;
pub mod run;

pub mod alignment;
pub mod newton;
pub mod oecnn;
pub mod pca_ae;
pub mod rectifier;
pub mod review;
pub mod softmax;
pub mod sphereface;
pub mod taylor;

pub use error::{Error, Result};
