//! Autoencoders against PCA (chapter "Autoencoders vs PCA").
//!
//! The notes reduced the Kaggle house-price data to 30 dimensions with an
//! autoencoder and with PCA and found PCA better. This module makes that
//! comparison reproducible and explains it: PCA is the optimal linear
//! reconstruction (Eckart–Young), a linear autoencoder can at best reach it
//! (Baldi–Hornik), and a non-linear one wins only where the data lie near a
//! curved low-dimensional set whose linear span is larger than the code.
//!
//! * [`table`]: split, imputation, one-hot encoding, standardisation;
//! * [`pca`]: PCA by SVD, and by the covariance eigendecomposition (the oracle);
//! * [`autoencoder`]: linear and `tanh` autoencoders in candle, early stopping;
//! * [`manifold`]: a curved data set where a non-linear autoencoder should win;
//! * [`experiments`]: every experiment the chapter reports, plan in, results out.

pub mod autoencoder;
pub mod experiments;
pub mod manifold;
pub mod pca;
pub mod table;
