//! Tests for the chapter "Age-invariant features (OE-CNN) and patch
//! ensembles": the decomposition and its orthogonality by automatic
//! differentiation, the OE loss and its errors, the nuisance transforms, the
//! experiments at tiny size, and the verdicts of the committed full run.
//!
//! Tolerances. AD gradients are exact up to rounding; the radial part of
//! the identity gradient is rounding of a combination of logit gradients of
//! norm at most s·m²/‖x‖, so it is compared with 1e-12 of that. The tensor loss is `f32`
//! against the `f64` reference: 1e-4 relative.

mod common;

use approx::assert_relative_eq;
use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, DVector};
use papernotes::Error;
use papernotes::diff::gradient;
use papernotes::nn::{to_matrix, to_tensor};
use papernotes::oecnn::age::{AgedSet, Nuisance, check_identities, thicken};
use papernotes::oecnn::decompose::{
    AgeField, Geometry, IdentityField, OeParams, age_loss, identity_loss, oe_loss, psi_cos,
    radial_tangential, with_age_code,
};
use papernotes::oecnn::experiments::{self as ex, Contrast, Plan, Verdict};
use papernotes::oecnn::patches::{matched_hidden, occlude, params, quadrants, take};
use papernotes::oecnn::train::{Method, Model};
use papernotes::oecnn::verify::{age_probe, cross_age_pairs, r_squared};
use papernotes::sphereface::psi_from_cos;
use proptest::prelude::*;

fn params_of(g: Geometry, scale: f64, m: u32, alpha: f64, beta: f64) -> OeParams {
    OeParams {
        scale,
        m,
        lambda: 1.0,
        alpha,
        beta,
        geometry: g,
    }
}

fn weights(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        ((seed as f64 + 1.0) * (i as f64 + 0.3) * (j as f64 + 1.7)).sin()
    })
}

// ------------------------------------------------------------ the decomposition

proptest! {
    #![proptest_config(common::config())]

    /// `mean_std` gives the mean and the sample standard deviation, the latter
    /// checked against the pairwise form `s² = Σ_{i<j} (a_i − a_j)² / (n (n − 1))`.
    #[test]
    fn mean_std_matches_the_pairwise_sample_variance(
        v in prop::collection::vec(-50.0f64..50.0, 1..10),
    ) {
        let n = v.len() as f64;
        let (m, s) = ex::mean_std(&v);
        prop_assert!((m * n - v.iter().sum::<f64>()).abs() <= 1e-9);
        let mut pairs = 0.0;
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                pairs += (v[i] - v[j]).powi(2);
            }
        }
        let var = if v.len() > 1 { pairs / (n * (n - 1.0)) } else { 0.0 };
        prop_assert!((s * s - var).abs() <= 1e-9 * var.max(1.0), "{} vs {}", s * s, var);
    }

    /// At every x ≠ 0 the age loss's gradient is radial and the identity
    /// loss's gradient tangential (forward-mode AD).
    #[test]
    fn age_gradient_is_radial_and_identity_gradient_tangential(
        x in prop::collection::vec(-3.0f64..3.0, 2..9),
        y in 0usize..4, z in 0.0f64..1.0, scale in 1.0f64..30.0, m in 1u32..5,
        alpha in -2.0f64..2.0, beta in -1.0f64..1.0, seed in 0u64..1000,
    ) {
        let x = DVector::from_vec(x);
        prop_assume!(x.norm() > 1e-3);
        let d = x.len();
        let p = params_of(Geometry::Sphere, scale, m, alpha, beta);
        let w = weights(4, d, seed);
        let ga = gradient(&AgeField { z, p, dim: d }, &x).unwrap();
        let gi = gradient(&IdentityField { w: &w, y, p, dim: d }, &x).unwrap();
        let (_, tan) = radial_tangential(&ga, &x).unwrap();
        let (rad, _) = radial_tangential(&gi, &x).unwrap();
        prop_assert!(tan.norm() <= 1e-9 * ga.norm() + 1e-12, "age gradient {ga} off radial by {}", tan.norm());
        // The identity gradient combines logit gradients of norm at most
        // s·m²/‖x‖ (ψ's slope in cos θ is at most m²); where the softmax
        // saturates they nearly cancel, so rounding is measured against that.
        let logit = scale * f64::from(m * m) / x.norm();
        prop_assert!(rad.norm() <= 1e-12 * logit, "identity gradient {gi} radial part {}", rad.norm());
    }

    /// The plane variant: the age gradient lies along the normal e_d, the
    /// identity gradient in the hyperplane and tangential within it.
    #[test]
    fn plane_age_gradient_is_normal_and_identity_gradient_in_plane(
        x in prop::collection::vec(-3.0f64..3.0, 2..9),
        y in 0usize..4, z in 0.0f64..1.0, scale in 1.0f64..30.0, m in 1u32..5,
        seed in 0u64..1000,
    ) {
        let x = DVector::from_vec(x);
        let d = x.len();
        let par = x.rows(0, d - 1).into_owned();
        prop_assume!(par.norm() > 1e-3);
        let p = params_of(Geometry::Plane, scale, m, 1.3, -0.2);
        let w = weights(4, d - 1, seed);
        let ga = gradient(&AgeField { z, p, dim: d }, &x).unwrap();
        let gi = gradient(&IdentityField { w: &w, y, p, dim: d }, &x).unwrap();
        prop_assert!(ga.rows(0, d - 1).norm() == 0.0, "age gradient {ga}");
        prop_assert!(gi[d - 1] == 0.0, "identity gradient {gi}");
        let (rad, _) = radial_tangential(&gi.rows(0, d - 1).into_owned(), &par).unwrap();
        let logit = scale * f64::from(m * m) / par.norm();
        prop_assert!(rad.norm() <= 1e-12 * logit, "identity gradient {gi} radial part {}", rad.norm());
    }

    /// ψ on any Scalar equals SphereFace's f64 ψ.
    #[test]
    fn generic_psi_matches_sphereface_psi(c in -1.0f64..=1.0, m in 1u32..6) {
        prop_assert!((psi_cos(c, m) - psi_from_cos(c, m).unwrap()).abs() <= 1e-12);
    }

    /// The identity loss depends on the direction only, the age loss on the
    /// norm only: rescaling x leaves the first, rotating x the second.
    #[test]
    fn identity_loss_sees_the_direction_and_age_loss_the_norm(
        x in prop::collection::vec(-3.0f64..3.0, 3..7), c in 0.1f64..10.0, seed in 0u64..100,
    ) {
        prop_assume!(x.iter().map(|v| v * v).sum::<f64>() > 1e-3);
        let p = params_of(Geometry::Sphere, 10.0, 4, 0.7, 0.1);
        let w = weights(3, x.len(), seed);
        let scaled: Vec<f64> = x.iter().map(|v| c * v).collect();
        let a = identity_loss(&x, &w, 1, &p);
        prop_assert!((identity_loss(&scaled, &w, 1, &p) - a).abs() <= 1e-9 * (1.0 + a.abs()));
        let mut rotated = x.clone();
        rotated.rotate_left(1);
        prop_assert!((age_loss(&rotated, 0.4, &p) - age_loss(&x, 0.4, &p)).abs() <= 1e-12);
    }

    /// Thickening is the identity at age 0, and each pixel grows with the age.
    #[test]
    fn thickening_is_the_identity_at_zero_and_grows_with_age(
        img in prop::collection::vec(0.0f64..1.0, 64), r1 in 0.0f64..2.0, dr in 0.0f64..1.0,
    ) {
        prop_assert_eq!(thicken(&img, 8, 0.0).unwrap(), img.clone());
        let a = thicken(&img, 8, r1).unwrap();
        let b = thicken(&img, 8, r1 + dr).unwrap();
        for k in 0..64 {
            prop_assert!(a[k] >= img[k] && b[k] >= a[k]);
        }
    }
}

/// The candle loss the training runs on equals the reference OE loss
/// (features and weights read back from the network, annealing weight 0).
#[test]
fn tensor_oe_loss_matches_the_reference() {
    let plan = Plan::quick(3, Device::Cpu);
    for method in [Method::Oe, Method::Plane] {
        let model = Model::new(method, &plan.settings, 10, 5, &Device::Cpu).unwrap();
        let x = DMatrix::from_fn(12, 64, |i, j| ((i * 64 + j) as f64 * 0.37).sin().abs());
        let y: Vec<usize> = (0..12).map(|i| i % 10).collect();
        let z: Vec<f64> = (0..12).map(|i| i as f64 / 11.0).collect();
        let xt = to_tensor(&x, DType::F32, &Device::Cpu).unwrap();
        let yt = Tensor::from_vec(
            y.iter().map(|&v| v as u32).collect::<Vec<_>>(),
            12,
            &Device::Cpu,
        )
        .unwrap();
        let zt = to_tensor(
            &DMatrix::from_column_slice(12, 1, &z),
            DType::F32,
            &Device::Cpu,
        )
        .unwrap();
        let loss = model.batch_loss(&xt, &yt, &zt, 0.0).unwrap();
        let loss = loss
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        let f = model.features(&x).unwrap();
        let w = to_matrix(model.net.head_w.as_tensor()).unwrap();
        let g = method.geometry().unwrap();
        let w = if g == Geometry::Plane {
            w.columns(0, w.ncols() - 1).into_owned()
        } else {
            w
        };
        let mut p = params_of(g, plan.settings.scale, plan.settings.m, 1.0, 0.0);
        p.lambda = plan.settings.lambda_age;
        let reference = oe_loss(&f, &w, &y, &z, &p).unwrap();
        assert_relative_eq!(loss, reference, max_relative = 1e-4);
    }
}

/// The baselines' tensor losses equal their definitions on the same
/// features: softmax cross-entropy, plus DeepID2's verification term (mean
/// over ordered pairs of ½d² or ½max(0, M − d)²), or plus the age term of a
/// zero-initialised age head (½ mean ν²).
#[test]
fn tensor_losses_of_the_baselines_match_their_definitions() {
    let plan = Plan::quick(3, Device::Cpu);
    let s = plan.settings;
    let n = 10;
    let x = DMatrix::from_fn(n, 64, |i, j| ((i * 31 + j * 7) as f64 * 0.23).cos().abs());
    let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let z: Vec<f64> = (0..n).map(|i| 0.1 * i as f64).collect();
    let dev = Device::Cpu;
    let xt = to_tensor(&x, DType::F32, &dev).unwrap();
    let yt = Tensor::from_vec(y.iter().map(|&v| v as u32).collect::<Vec<_>>(), n, &dev).unwrap();
    let zt = to_tensor(&DMatrix::from_column_slice(n, 1, &z), DType::F32, &dev).unwrap();
    let loss = |m: Method| {
        let model = Model::new(m, &s, 10, 8, &dev).unwrap();
        let l = model.batch_loss(&xt, &yt, &zt, 0.0).unwrap();
        (
            model,
            l.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap(),
        )
    };
    let (model, softmax) = loss(Method::Softmax);
    let f = model.features(&x).unwrap();
    let w = to_matrix(model.net.head_w.as_tensor()).unwrap();
    let ce = papernotes::sphereface::loss::cross_entropy(&(&f * w.transpose()), &y).unwrap();
    assert_relative_eq!(softmax, ce, max_relative = 1e-5);
    let mut pairs = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let d = (f.row(i) - f.row(j)).norm();
                let t = if y[i] == y[j] {
                    d * d
                } else {
                    (s.margin - d).max(0.0).powi(2)
                };
                pairs += 0.5 * t;
            }
        }
    }
    let verif = ce + s.lambda_verif * pairs / (n * (n - 1)) as f64;
    assert_relative_eq!(loss(Method::Verification).1, verif, max_relative = 1e-4);
    let age = 0.5 * s.lambda_age * z.iter().map(|v| v * v).sum::<f64>() / n as f64;
    assert_relative_eq!(loss(Method::SoftmaxAge).1, ce + age, max_relative = 1e-5);
}

/// The "transfer" the decomposition allows: another age code, the same
/// identity loss; the age read-out becomes the new code's.
#[test]
fn age_transfer_by_replacing_the_age_code_keeps_the_identity_loss() {
    let w = weights(3, 4, 9);
    for g in [Geometry::Sphere, Geometry::Plane] {
        let p = params_of(g, 10.0, 4, 1.0, 0.0);
        let x = [0.3, -1.2, 0.8, 2.0];
        let wg = if g == Geometry::Plane {
            w.columns(0, 3).into_owned()
        } else {
            w.clone()
        };
        let moved = with_age_code(&x, 0.25, g).unwrap();
        assert_relative_eq!(
            identity_loss(&moved, &wg, 2, &p),
            identity_loss(&x, &wg, 2, &p),
            max_relative = 1e-12
        );
        assert_relative_eq!(age_loss(&moved, 0.25, &p), 0.0, epsilon = 1e-24);
    }
}

// ------------------------------------------------------------ errors

#[test]
fn oe_loss_rejects_zero_norm_features() {
    let p = params_of(Geometry::Sphere, 10.0, 4, 1.0, 0.0);
    let x = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.0]);
    let w = weights(2, 2, 1);
    let e = oe_loss(&x, &w, &[0, 1], &[0.1, 0.2], &p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "features",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("feature 1"), "{e}");
    let mut p = p;
    p.geometry = Geometry::Plane;
    let x = DMatrix::from_row_slice(1, 3, &[0.0, 0.0, 5.0]);
    let e = oe_loss(&x, &w, &[0], &[0.1], &p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "features",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn oe_loss_rejects_negative_and_non_finite_ages() {
    let p = params_of(Geometry::Sphere, 10.0, 4, 1.0, 0.0);
    let x = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let w = weights(2, 2, 1);
    let e = oe_loss(&x, &w, &[0, 1], &[0.1, -0.2], &p).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "ages", .. }),
        "{e}"
    );
    let e = oe_loss(&x, &w, &[0, 1], &[f64::NAN, 0.2], &p).unwrap_err();
    assert!(matches!(e, Error::NonFinite { name: "ages", .. }), "{e}");
    let e = Nuisance::Thicken
        .apply(&[0.0; 64], f64::INFINITY)
        .unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }), "{e}");
}

#[test]
fn oe_loss_rejects_mismatched_lengths() {
    let p = params_of(Geometry::Sphere, 10.0, 4, 1.0, 0.0);
    let x = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let w = weights(2, 2, 1);
    let e = oe_loss(&x, &w, &[0], &[0.1, 0.2], &p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "labels vs features",
                ..
            }
        ),
        "{e}"
    );
    let e = oe_loss(&x, &w, &[0, 1], &[0.1], &p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "ages vs features",
                ..
            }
        ),
        "{e}"
    );
    let e = oe_loss(&x, &weights(2, 3, 1), &[0, 1], &[0.1, 0.2], &p).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = cross_age_pairs(&[0, 0], &[0.0], &[0, 1], 0.5, 0.1).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
}

#[test]
fn an_identity_with_one_image_is_rejected() {
    let e = check_identities(&[0, 0, 1, 2, 2]).unwrap_err();
    assert!(
        e.to_string().contains("identity 1 has a single image"),
        "{e}"
    );
    let e = cross_age_pairs(&[0, 0, 1], &[0.0, 1.0, 0.0], &[0, 1, 2], 0.5, 0.1).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "identities",
                ..
            }
        ),
        "{e}"
    );
    let x = DMatrix::zeros(3, 64);
    let e = AgedSet::new(x, vec![0, 0, 1], vec![0.0; 3], vec![0, 1, 2]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "identities",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bad_parameters_are_rejected_in_words() {
    let mut p = params_of(Geometry::Sphere, 0.0, 4, 1.0, 0.0);
    let x = DMatrix::from_row_slice(1, 2, &[1.0, 0.0]);
    assert!(matches!(
        oe_loss(&x, &weights(2, 2, 1), &[0], &[0.1], &p),
        Err(Error::InvalidParameter { .. })
    ));
    p.scale = 1.0;
    p.m = 0;
    assert!(oe_loss(&x, &weights(2, 2, 1), &[0], &[0.1], &p).is_err());
    assert!(matches!(
        thicken(&[0.0; 63], 8, 1.0),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        thicken(&[0.0; 64], 8, -1.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(quadrants(7), Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        matched_hidden((4, 1, 1), (4, 4, 1), 10),
        Err(Error::TooFew { .. })
    ));
    assert!(matches!(
        take(&DMatrix::zeros(1, 4), &[4]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        with_age_code(&[0.0, 0.0], 1.0, Geometry::Sphere),
        Err(Error::InvalidParameter { .. })
    ));
    let f = DMatrix::from_row_slice(3, 1, &[1.0, 2.0, 3.0]);
    assert!(matches!(
        age_probe(&f, &[0.1, 0.2, 0.3], &f, &[0.5; 3], 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        age_probe(&f, &[0.1, 0.2], &f, &[0.5; 3], 0.0),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        r_squared(&[1.0], &[1.0, 2.0]),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut s = Plan::quick(1, Device::Cpu).settings;
    s.lr = f64::NAN;
    assert!(matches!(
        Model::new(Method::Oe, &s, 10, 1, &Device::Cpu),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        Contrast::of(&[1.0], &[1.0, 2.0]),
        Err(Error::TooFew { .. })
    ));
}

// ------------------------------------------------------------ data and protocol

/// Genuine pairs share the identity, differ in source and are at least the
/// gap apart in age; impostor pairs differ in identity within the tolerance.
#[test]
fn cross_age_pairs_follow_the_protocol() {
    let id = [0, 0, 0, 1, 1, 1];
    let age = [0.0, 0.9, 0.05, 0.0, 0.6, 0.95];
    let src = [0, 1, 0, 2, 3, 4];
    let p = cross_age_pairs(&id, &age, &src, 0.5, 0.1).unwrap();
    assert_eq!(p.genuine, vec![(0, 1), (1, 2), (3, 4), (3, 5)]);
    assert_eq!(p.impostor, vec![(0, 3), (1, 5), (2, 3)]);
}

/// A linear probe recovers an age written linearly into the features, and
/// finds nothing in features independent of it.
#[test]
fn age_probe_finds_linear_age_and_only_that() {
    let n = 200;
    let z: Vec<f64> = (0..n).map(|i| (i as f64 * 0.618).fract()).collect();
    let with = DMatrix::from_fn(n, 3, |i, j| {
        if j == 0 {
            2.0 * z[i] + 1.0
        } else {
            ((i * 7 + j) as f64).sin()
        }
    });
    let without = DMatrix::from_fn(n, 3, |i, j| ((i * 13 + 5 * j) as f64).cos());
    let (a, b) = (
        with.rows(0, 100).into_owned(),
        with.rows(100, 100).into_owned(),
    );
    assert!(age_probe(&a, &z[..100], &b, &z[100..], 1e-6).unwrap() > 0.999);
    let (a, b) = (
        without.rows(0, 100).into_owned(),
        without.rows(100, 100).into_owned(),
    );
    assert!(age_probe(&a, &z[..100], &b, &z[100..], 1e-6).unwrap() < 0.2);
}

/// The decision rule: a difference counts only beyond two standard errors.
#[test]
fn contrasts_decide_only_beyond_two_standard_errors() {
    let c = Contrast::of(&[1.0, 1.1, 0.9], &[0.0, 0.1, -0.1]).unwrap();
    assert_eq!(c.sign(), 1);
    let c = Contrast::of(&[1.0, 2.0, 0.0], &[0.9, 1.9, -0.1]).unwrap();
    assert_eq!(c.sign(), 0);
    assert_eq!(
        ex::better_verdict(&[0.9, 0.91, 0.92], &[0.5, 0.52, 0.51]).unwrap(),
        Verdict::HoldsUnderConditions
    );
    assert_eq!(
        ex::better_verdict(&[0.5, 0.52, 0.51], &[0.5, 0.52, 0.51]).unwrap(),
        Verdict::Wrong
    );
}

// ------------------------------------------------------------ the experiments at tiny size

/// Every experiment runs at tiny size with three seeds and gives finite,
/// bounded results with the same keys as the full run.
#[test]
fn experiments_run_at_tiny_size_with_three_seeds() {
    let mut plan = Plan::quick(11, Device::Cpu);
    plan.settings.epochs = 2;
    plan.train_rows = Some(150);
    plan.test_rows = Some(60);
    let sets = ex::sets(&plan, Nuisance::Thicken).unwrap();
    let cmp = ex::compare(&plan, &sets, &[Method::Softmax, Method::Oe]).unwrap();
    assert_eq!(cmp.runs.len(), 6);
    for r in &cmp.runs {
        assert!(
            (0.0..=1.0).contains(&r.test_acc) && (0.0..=1.0).contains(&r.auc),
            "{r:?}"
        );
        assert!(r.probe_dir.is_finite() && r.roc.len() == ex::roc_grid().len());
    }
    assert_eq!(cmp.per_seed()["oe"]["auc"].len(), 3);
    // The per-seed record holds each run's own numbers under each metric's name.
    let per_seed = cmp.per_seed();
    for m in [Method::Softmax, Method::Oe] {
        let runs: Vec<_> = cmp.runs.iter().filter(|r| r.method == m).collect();
        // Compared bit for bit: a metric that is undefined at this size is NaN.
        let field =
            |f: fn(&ex::RunResult) -> f64| runs.iter().map(|r| f(r).to_bits()).collect::<Vec<_>>();
        let rec: std::collections::BTreeMap<&str, Vec<u64>> = per_seed[m.key()]
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(|x| x.to_bits()).collect()))
            .collect();
        assert_eq!(rec["train_acc"], field(|r| r.train_acc));
        assert_eq!(rec["test_acc"], field(|r| r.test_acc));
        assert_eq!(rec["gap"], field(|r| r.train_acc - r.test_acc));
        assert_eq!(rec["auc"], field(|r| r.auc));
        assert_eq!(rec["tar2"], field(|r| r.tar[0]));
        assert_eq!(rec["tar3"], field(|r| r.tar[1]));
        assert_eq!(rec["probe_dir"], field(|r| r.probe_dir));
        assert_eq!(rec["probe_raw"], field(|r| r.probe_raw));
        assert_eq!(rec["readout_r2"], field(|r| r.readout_r2));
        assert_eq!(rec["epoch_s"], field(|r| r.epoch_s));
    }
    assert_eq!(cmp.table().rows.len(), 2);
    plan.seeds = 1;
    // The age-weight sweep's tables read each run's numbers: by weight, and by
    // seed across the weights.
    let sweep = ex::age_weight_sweep(&plan, &sets, &[0.0, 1.0]).unwrap();
    let bits = |v: Vec<Vec<f64>>| -> Vec<Vec<u64>> {
        v.iter()
            .map(|r| r.iter().map(|x| x.to_bits()).collect())
            .collect()
    };
    let by_weight: Vec<Vec<f64>> = sweep
        .runs
        .iter()
        .map(|rs| rs.iter().map(|r| r.auc).collect())
        .collect();
    assert_eq!(bits(sweep.values("auc")), bits(by_weight.clone()));
    let by_seed = vec![vec![by_weight[0][0], by_weight[1][0]]];
    assert_eq!(bits(sweep.curves("auc")), bits(by_seed));
    let p = ex::patches(&plan).unwrap();
    assert!(p.params.1 <= p.params.0, "{:?}", p.params);
    assert_eq!(p.runs[0].whole_acc.len(), 5);
    let o = ex::orthogonality(20, 3).unwrap();
    assert!(o.age_tangential < 1e-12 && o.id_radial < 1e-12 && o.arrows.len() == 12);
    assert!(o.plane_age_off_normal < 1e-12 && o.plane_id_off_plane < 1e-12);
}

/// A model's mean epoch time is the mean of the epoch times it recorded (0
/// before any epoch).
#[test]
fn epoch_mean_seconds_is_the_mean_of_the_recorded_epochs() {
    let plan = Plan::quick(3, Device::Cpu);
    let mut model = Model::new(Method::Oe, &plan.settings, 10, 5, &Device::Cpu).unwrap();
    assert_eq!(model.epoch_mean_seconds(), 0.0);
    model.epoch_seconds = vec![0.25, 0.5, 0.75];
    assert_relative_eq!(model.epoch_mean_seconds(), 0.5, max_relative = 1e-15);
    model.epoch_seconds = vec![3.0];
    assert_relative_eq!(model.epoch_mean_seconds(), 3.0, max_relative = 1e-15);
}

/// A feature is too short for an age transfer below the coordinates its
/// geometry splits it into: one on the sphere, an identity coordinate and a
/// height on the plane.
#[test]
fn age_transfer_needs_the_coordinates_of_its_geometry() {
    for (x, g, needed) in [
        (&[][..], Geometry::Sphere, 1),
        (&[][..], Geometry::Plane, 2),
        (&[0.5][..], Geometry::Plane, 2),
    ] {
        let e = with_age_code(x, 0.3, g).unwrap_err();
        assert!(
            matches!(e, Error::TooFew { needed: n, got, .. } if n == needed && got == x.len()),
            "{g:?} with {} coordinates: {e}",
            x.len()
        );
    }
    // The shortest features that fit keep their identity part and take the code.
    assert_eq!(
        with_age_code(&[-2.0], 0.3, Geometry::Sphere).unwrap(),
        vec![-0.3]
    );
    assert_eq!(
        with_age_code(&[0.5, 9.0], 0.3, Geometry::Plane).unwrap(),
        vec![0.5, 0.3]
    );
}

// ------------------------------------------------------------ exercises

#[test]
fn exercise_age_gradient_at_3_4_is_radial() {
    let p = params_of(Geometry::Sphere, 10.0, 4, 1.0, 0.0);
    let g = gradient(
        &AgeField { z: 2.0, p, dim: 2 },
        &DVector::from_vec(vec![3.0, 4.0]),
    )
    .unwrap();
    assert_relative_eq!(g[0], 1.8, epsilon = 1e-12);
    assert_relative_eq!(g[1], 2.4, epsilon = 1e-12);
}

#[test]
fn exercise_identity_gradient_is_orthogonal_to_x_by_euler() {
    let p = params_of(Geometry::Sphere, 5.0, 2, 1.0, 0.0);
    let w = weights(3, 3, 4);
    let x = DVector::from_vec(vec![1.0, -2.0, 0.5]);
    let g = gradient(
        &IdentityField {
            w: &w,
            y: 0,
            p,
            dim: 3,
        },
        &x,
    )
    .unwrap();
    assert!(
        g.dot(&x).abs() < 1e-12 * g.norm() * x.norm() + 1e-15,
        "{}",
        g.dot(&x)
    );
    assert!(g.norm() > 1e-3);
}

#[test]
fn exercise_caf_quotient_and_identities_for_80_each() {
    let c = ex::caf();
    assert_relative_eq!(c.per_identity, 67.26, epsilon = 0.005);
    assert_eq!((c.images / 80.0).round(), 3925.0);
    assert_eq!(ex::caf_verdict(&c), Verdict::Wrong);
}

#[test]
fn exercise_dilation_of_one_pixel_at_radius_one() {
    let mut img = vec![0.0; 64];
    img[3 * 8 + 3] = 1.0;
    let out = thicken(&img, 8, 1.0).unwrap();
    assert_eq!(out[2 * 8 + 3], 1.0);
    assert_relative_eq!(out[2 * 8 + 2], 2.0 - 2f64.sqrt(), epsilon = 1e-15);
    assert_eq!(out[8 + 3], 0.0);
    assert_eq!(out.iter().filter(|&&v| v > 0.0).count(), 9);
}

#[test]
fn exercise_patch_networks_with_the_same_parameter_budget() {
    assert_eq!(params(64, 64, 16, 10), 5360);
    let h = matched_hidden((64, 64, 16), (4, 16, 4), 10).unwrap();
    assert_eq!(h, 61);
    assert!(4 * params(16, h, 4, 10) <= 5360 && 4 * params(16, h + 1, 4, 10) > 5360);
    let q = quadrants(8).unwrap();
    let x = DMatrix::from_element(1, 64, 1.0);
    assert_eq!(occlude(&x, &q[0]).unwrap().sum(), 48.0);
}

// ------------------------------------------------------------ verdicts of the recorded full run

/// The committed full run's record (`figures/oecnn/run.json`).
fn record() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/figures/oecnn/run.json");
    let text = std::fs::read_to_string(path).expect("figures/oecnn/run.json is committed");
    let v: serde_json::Value = serde_json::from_str(&text).expect("run.json is JSON");
    assert_eq!(
        v["mode"], "full",
        "the verdicts are decided by the full run"
    );
    v
}

/// Per-seed values of one metric of one method, at least five seeds.
fn seeds(rec: &serde_json::Value, key: &str, method: &str, metric: &str) -> Vec<f64> {
    let v = ex::recorded(rec, key, method, metric).unwrap();
    assert!(v.len() >= 5, "{key}.{method}.{metric}: {} seeds", v.len());
    v
}

/// OE-02, OE-08: OE's direction carries less age than softmax's (the probe's
/// R² lower by two standard errors) but is not age-free (R² above 0.05).
#[test]
fn oe_direction_keeps_less_age_than_softmax_but_is_not_age_free() {
    let r = record();
    let oe = seeds(&r, "age", "oe", "probe_dir");
    let sm = seeds(&r, "age", "softmax", "probe_dir");
    assert_eq!(
        ex::invariance_verdict(&oe, &sm).unwrap(),
        Verdict::HoldsUnderConditions
    );
    let a = seeds(&r, "age", "asoftmax", "probe_dir");
    assert_eq!(
        Contrast::of(&oe, &a).unwrap().sign(),
        0,
        "about as much age as A-Softmax's"
    );
}

/// OE-18: the train − test gap of OE is not smaller than A-Softmax's.
#[test]
fn oe_does_not_shrink_the_train_test_gap_against_a_softmax() {
    let r = record();
    let oe = seeds(&r, "age", "oe", "gap");
    let a = seeds(&r, "age", "asoftmax", "gap");
    assert_eq!(ex::overfitting_verdict(&oe, &a).unwrap(), Verdict::Wrong);
}

/// OE-05: OE verifies across age better than softmax with an age head on the
/// same vector (TAR at FAR = 1e-2 higher by two standard errors).
#[test]
fn oe_verifies_across_age_better_than_the_mixed_age_head() {
    let r = record();
    let oe = seeds(&r, "age", "oe", "tar2");
    let mixed = seeds(&r, "age", "agehead", "tar2");
    assert_eq!(
        ex::better_verdict(&oe, &mixed).unwrap(),
        Verdict::HoldsUnderConditions
    );
    // The conditions: the margin makes the difference, the age head changes nothing.
    let a = seeds(&r, "age", "asoftmax", "tar2");
    assert_eq!(Contrast::of(&oe, &a).unwrap().sign(), 0);
    let sm = seeds(&r, "age", "softmax", "tar2");
    assert_eq!(Contrast::of(&mixed, &sm).unwrap().sign(), 0);
}

/// The plane variant verifies across age as well as the sphere and reads the
/// age off its height far better than the sphere off its norm.
#[test]
fn plane_variant_verifies_as_well_and_reads_age_better() {
    let r = record();
    let tar = (
        seeds(&r, "age", "plane", "tar2"),
        seeds(&r, "age", "oe", "tar2"),
    );
    let ro = (
        seeds(&r, "age", "plane", "readout_r2"),
        seeds(&r, "age", "oe", "readout_r2"),
    );
    let v = ex::plane_verdict((&tar.0, &tar.1), (&ro.0, &ro.1)).unwrap();
    assert_eq!(v, Verdict::Holds);
}

/// DeepID2's verification term raises cross-age TAR over plain softmax.
#[test]
fn verification_term_raises_cross_age_tar() {
    let r = record();
    let with = seeds(&r, "age", "verif", "tar2");
    let without = seeds(&r, "age", "softmax", "tar2");
    assert_eq!(
        ex::better_verdict(&with, &without).unwrap(),
        Verdict::HoldsUnderConditions
    );
}

/// OE-15: with blur in place of age the decomposition works as it does for
/// age: the norm carries some of the blur and the direction verifies across
/// blur no worse than A-Softmax.
#[test]
fn blur_can_take_the_place_of_age() {
    let r = record();
    let v = ex::nuisance_verdict(
        &seeds(&r, "blur", "oe", "readout_r2"),
        &seeds(&r, "blur", "oe", "tar2"),
        &seeds(&r, "blur", "asoftmax", "tar2"),
    )
    .unwrap();
    assert_eq!(v, Verdict::HoldsUnderConditions);
    let age = ex::decomposition_works(
        &seeds(&r, "age", "oe", "readout_r2"),
        &seeds(&r, "age", "oe", "tar2"),
        &seeds(&r, "age", "asoftmax", "tar2"),
    );
    assert!(age.unwrap(), "the same rule must hold for age");
}

/// OE-01: the norm reads the age (R² ≥ 0.5) only at an age-loss weight
/// above the default 1.
#[test]
fn the_norm_represents_the_age_only_under_a_large_enough_age_weight() {
    let r = record();
    let lambdas = [0.3, 1.0, 3.0, 10.0, 30.0];
    let readout: Vec<Vec<f64>> = lambdas
        .iter()
        .map(|l| seeds(&r, "sweep", &format!("lambda_{l}"), "readout_r2"))
        .collect();
    let v = ex::length_verdict(&lambdas, &readout).unwrap();
    assert_eq!(v, Verdict::HoldsUnderConditions);
    assert!(ex::length_verdict(&lambdas, &readout[..2]).is_err());
    // The price: from Λ = 1 to Λ = 30 the direction carries more age and
    // cross-age TAR falls.
    let at = |l: f64, m: &str| seeds(&r, "sweep", &format!("lambda_{l}"), m);
    let more_age = Contrast::of(&at(30.0, "probe_dir"), &at(1.0, "probe_dir"));
    assert_eq!(more_age.unwrap().sign(), 1);
    assert_eq!(
        Contrast::of(&at(30.0, "tar2"), &at(1.0, "tar2"))
            .unwrap()
            .sign(),
        -1
    );
}

/// DI-01, DI-02: four patch networks lose less accuracy than one whole-image
/// network of the same size when one quadrant is occluded (the worst quadrant).
#[test]
fn patch_ensemble_loses_less_under_occlusion() {
    let r = record();
    let get = |k: &str| {
        let v: Vec<f64> = r["results"]["patches"][k]
            .as_array()
            .expect("patch results")
            .iter()
            .map(|a| a.as_f64().expect("a number"))
            .collect();
        assert!(v.len() >= 5, "{k}: {} seeds", v.len());
        v
    };
    let v = ex::patch_verdict(&get("ens_worst_drop"), &get("whole_worst_drop")).unwrap();
    assert_eq!(v, Verdict::HoldsUnderConditions);
}
