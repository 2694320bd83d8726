//! Face alignment in 2-D and 3-D (chapter "Face alignment in 2-D and 3-D").
//!
//! What DeepFace (Taigman, Yang, Ranzato & Wolf, "DeepFace: Closing the Gap to
//! Human-Level Performance in Face Verification", CVPR 2014, §2) does before
//! its network sees a face, rebuilt from checked parts:
//!
//! * [`fit`]: least-squares similarity, affine and projective fits;
//! * [`warp`]: inverse-mapping warps, nearest and bilinear;
//! * [`deepface`]: the six fiducials and the iterated 2-D alignment;
//! * [`shape`]: how much a fitted transform distorts a face;
//! * [`camera`]: the affine (and weak-perspective) camera to the 3-D model,
//!   the residual-personalized model, back-facing triangles;
//! * [`triangulate`]: Delaunay triangulation of landmarks;
//! * [`frontalize`]: piecewise-affine frontalization;
//! * [`illumination`]: the final L2 normalization;
//! * the photos, landmarks and mesh come from [`crate::data`];
//! * [`figure`]: image panels for the book's figures;
//! * [`experiments`]: every experiment the chapter reports, plan in, results out.

pub mod camera;
pub mod deepface;
pub mod experiments;
pub mod figure;
pub mod fit;
pub mod frontalize;
pub mod illumination;
pub mod shape;
pub mod triangulate;
pub mod warp;

/// A 2-D point (pixels).
pub type P2 = nalgebra::Point2<f64>;
/// A 3-D point (model units, cm).
pub type P3 = nalgebra::Point3<f64>;

pub use crate::data::{Face, Gray, Mesh};
pub use fit::{Family, Transform2};
pub use warp::Interp;
