//! Age-invariant features by orthogonal decomposition, and patch ensembles
//! (chapter "Age-invariant features (OE-CNN) and patch ensembles").
//!
//! Wang, Gong, Zhou, Li, Liu & Li, *Orthogonal Deep Features Decomposition
//! for Age-Invariant Face Recognition*, ECCV 2018 (OE-CNN): a deep feature
//! `x` is written as its norm times its direction, `x = ‖x‖ · x/‖x‖`; the
//! norm is regressed on the age, the direction is trained for identity with
//! an angular-margin (A-Softmax) loss. Sun, Chen, Wang & Tang, *Deep
//! Learning Face Representation by Joint Identification-Verification*, NIPS
//! 2014 (DeepID2): networks on image patches, and a verification term added
//! to the identification loss.
//!
//! No face images with age labels can be installed from a package registry,
//! so the chapter uses real handwritten digits with a nuisance variable it
//! defines exactly ([`age`]): "identity" is the digit, "age" a continuous
//! stroke thickening (and, as the second nuisance, a blur).
//!
//! * [`age`]: the nuisance transforms and the aged data set;
//! * [`decompose`]: the decomposition and the OE loss on plain numbers,
//!   generic over [`crate::diff::Scalar`] so that its gradients can be
//!   taken by automatic differentiation (the reference);
//! * [`train`]: the training losses on tensors (OE, its plane variant, and
//!   the baselines) and their training loop;
//! * [`verify`]: cross-age verification pairs and the linear age probe;
//! * [`patches`]: patches, occlusion and the equal parameter budget;
//! * [`experiments`]: every experiment of the chapter, plan in, results out;
//! * [`figure`]: the picture of the nuisances on digits.

pub mod age;
pub mod decompose;
pub mod experiments;
pub mod figure;
pub mod patches;
pub mod train;
pub mod verify;

/// Side of the square digit images, in pixels.
pub const SIDE: usize = 8;
