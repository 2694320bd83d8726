//! The 2015 deep-learning review, checked (chapter "The deep-learning review:
//! saddle points and representations").
//!
//! Checks the notes on LeCun, Bengio & Hinton, "Deep learning", Nature 521
//! (2015), 436–444, on small networks and real data (the digits), reusing the
//! rest of the crate rather than writing it again: the network and its
//! back-propagation are the rectifier chapter's ([`crate::rectifier`]), the
//! logistic regression behind every linear probe is the Newton chapter's
//! IRLS ([`crate::newton::logistic`]), training runs on the shared candle
//! stack ([`crate::nn`]).
//!
//! One file per operation:
//!
//! * [`landscape`]: the loss of a small tanh network as a function of all its
//!   parameters, with its exact gradient and Hessian;
//! * [`critical`]: critical points by damped Newton on the gradient, and their
//!   index (fraction of downward-curving directions);
//! * [`probe`]: linear probes (one-against-the-rest logistic regression by
//!   IRLS) and a hand-made feature set for the digits;
//! * [`shells`]: a synthetic set that no linear classifier separates;
//! * [`conv`]: convolution, pooling and shifts in candle;
//! * [`cnn`]: a one-layer convolutional classifier that provides learned filters;
//! * [`experiments`]: every experiment the chapter reports, plan in, results out.

pub mod cnn;
pub mod conv;
pub mod critical;
pub mod experiments;
pub mod landscape;
pub mod probe;
pub mod shells;
