//! Tests for the chapter "Softmax weight imbalance and normalization": one test
//! per claim of the notes (SphereFace and DeepFace notes on the softmax), plus
//! the error paths.
//!
//! Tolerances. The two-class loss is a sum of two softplus terms; forward-mode
//! AD and the closed form evaluate the same logistic function in different
//! orders, so they agree to a few ulps of `(m + n)`: relative 1e-12. The
//! NormFace bound is compared with a loss computed through a 10×10 matrix
//! product and a log-sum-exp: 1e-12 relative.

mod common;

use std::f64::consts::PI;

use approx::assert_relative_eq;
use candle_core::{DType, Device};
use nalgebra::DMatrix;
use papernotes::Error;
use papernotes::nn::feature::{feature_matrix, weight_matrix};
use papernotes::nn::metrics::{Similarity, auc, pair_scores};
use papernotes::nn::train::train;
use papernotes::nn::{Data, FeatureNet, Opt, TrainConfig, to_tensor};
use papernotes::softmax::bias::{
    best_accuracy_with_bias, best_accuracy_without_bias, entropy, min_loss_bounded_logits,
};
use papernotes::softmax::blur::gaussian_blur;
use papernotes::softmax::crossentropy::CrossEntropy;
use papernotes::softmax::experiments::{self as ex, Digits, Plan, class_spread};
use papernotes::softmax::imbalance::{geometric_sizes, spearman, subset};
use papernotes::softmax::normface::{balanced_loss, loss_lower_bound, min_scale, simplex};
use papernotes::softmax::train::Head;
use papernotes::softmax::twoclass::{
    closed_form_loss, descend, gradient, gradient_autodiff, loss, notes_gradient,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ------------------------------------------------------------ item 1
//
// The oracle of these tests is the generic softmax cross-entropy
// (`CrossEntropy`: log-sum-exp over the logits minus the true logit, summed)
// and its gradient by forward-mode AD of that code; neither knows the two-class
// simplification. The chapter's closed forms are compared with it.

proptest! {
    #![proptest_config(common::config())]

    /// The chapter's closed forms, (m + n) log(1 + e^{w₂ − w₁}) and
    /// ∓(m + n) σ(w₂ − w₁), equal the loss computed from the definition and its
    /// gradient by automatic differentiation, for any class sizes and weights.
    #[test]
    fn two_class_gradient_matches_autodiff(
        m in 0.0f64..500.0, n in 0.0f64..500.0, w1 in -5.0f64..5.0, w2 in -5.0f64..5.0
    ) {
        prop_assume!(m + n > 0.5);
        let (g1, g2) = gradient(m, n, w1, w2).unwrap();
        let (a1, a2) = gradient_autodiff(m, n, w1, w2).unwrap();
        prop_assert!((g1 - a1).abs() <= 1e-12 * (m + n), "{g1} vs {a1}");
        prop_assert!((g2 - a2).abs() <= 1e-12 * (m + n), "{g2} vs {a2}");
        let (l, c) = (loss(m, n, w1, w2).unwrap(), closed_form_loss(m, n, w1, w2).unwrap());
        prop_assert!((l - c).abs() <= 1e-12 * (m + n) * (1.0 + c / (m + n)), "{l} vs {c}");
    }

    /// On the AD gradient of the definition (not on the closed form):
    /// ∂L/∂w₁ + ∂L/∂w₂ = 0 up to rounding, so gradient descent with that
    /// gradient conserves w₁ + w₂, and the loss depends on w₁ − w₂ only.
    #[test]
    fn two_class_gradients_are_opposite_and_conserve_the_sum(
        m in 1.0f64..300.0, n in 1.0f64..300.0, w1 in -3.0f64..3.0, w2 in -3.0f64..3.0
    ) {
        let (a1, a2) = gradient_autodiff(m, n, w1, w2).unwrap();
        // Each partial is a sum of (p − a)·f with |p − a| ≤ 1: rounding ~ 1e-16 (m + n).
        prop_assert!((a1 + a2).abs() <= 1e-13 * (m + n), "{a1} + {a2}");
        let (mut v1, mut v2) = (w1, w2);
        let lr = 1e-3;
        for _ in 0..200 {
            let (g1, g2) = gradient_autodiff(m, n, v1, v2).unwrap();
            v1 -= lr * g1;
            v2 -= lr * g2;
        }
        // Each step adds lr·(g₁ + g₂) ≈ 0 and one rounding of the weights.
        let tol = 200.0 * (lr * 1e-13 * (m + n) + 4e-16 * (1.0 + v1.abs() + v2.abs()));
        prop_assert!(((v1 + v2) - (w1 + w2)).abs() <= tol, "sum drifted to {}", v1 + v2);
        prop_assert!(v1 - v2 > w1 - w2, "descent grows w₁ − w₂");
        let l = loss(m, n, w1, w2).unwrap();
        prop_assert!((l - loss(m, n, w1 + 0.7, w2 + 0.7).unwrap()).abs() < 1e-12 * (m + n) * (1.0 + l));
    }

    /// The notes' loss "can be written as" L = −Σ_i Σ_j a_{ij} log p_{ij}: the
    /// generic code equals the product of the softmax probabilities of the
    /// correct classes, computed naively, for random features, labels and
    /// weights of a bias-free head.
    #[test]
    fn cross_entropy_definition_matches_naive_probabilities(
        seed in 0u64..10_000, classes in 2usize..5, d in 1usize..4
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let xs: Vec<Vec<f64>> =
            (0..6).map(|_| (0..d).map(|_| rng.random_range(-2.0..2.0)).collect()).collect();
        let ys: Vec<usize> = (0..6).map(|_| rng.random_range(0..classes)).collect();
        let cs: Vec<f64> = (0..6).map(|_| f64::from(rng.random_range(1u32..4))).collect();
        let w: Vec<f64> = (0..classes * d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let ce = CrossEntropy::new(classes, xs.clone(), ys.clone(), cs.clone()).unwrap();
        let mut product = 1.0;
        for ((x, &y), &c) in xs.iter().zip(&ys).zip(&cs) {
            let z: Vec<f64> =
                (0..classes).map(|j| (0..d).map(|k| w[j * d + k] * x[k]).sum()).collect();
            let p = z[y].exp() / z.iter().map(|v| v.exp()).sum::<f64>();
            product *= p.powf(c);
        }
        let l = papernotes::diff::Field::eval(&ce, &w);
        prop_assert!((l + product.ln()).abs() < 1e-11 * (1.0 + l), "{l} vs {}", -product.ln());
    }
}

/// The set-up: "when our network is strong enough, our features are
/// distributed at both ends of the diameter of the unit circle". A normalized
/// 1-D feature is ±1 (the two ends); and for any head with w₁ ≠ w₂ the
/// cross-entropy of a sample, as a function of its feature f ∈ [−1, 1],
/// is least at one end for class 1 and at the opposite end for class 2. So a
/// network that minimises the loss puts the two classes at the two ends.
#[test]
fn normalized_1d_features_sit_at_opposite_ends_for_the_two_classes() {
    let mut rng = StdRng::seed_from_u64(6);
    for _ in 0..200 {
        let f: f64 = rng.random_range(-10.0..10.0);
        let u = f / f.abs();
        assert!(u == 1.0 || u == -1.0, "{f} normalizes to {u}");
    }
    let grid: Vec<f64> = (0..=200).map(|k| -1.0 + 0.01 * f64::from(k)).collect();
    let argmin = |class: usize, w: &[f64]| {
        let l = |t: f64| {
            let ce = CrossEntropy::new(2, vec![vec![t]], vec![class], vec![1.0]).unwrap();
            papernotes::diff::Field::eval(&ce, w)
        };
        grid.iter()
            .copied()
            .min_by(|a, b| l(*a).total_cmp(&l(*b)))
            .unwrap()
    };
    for _ in 0..50 {
        let w: [f64; 2] = [rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)];
        if (w[0] - w[1]).abs() < 1e-3 {
            continue;
        }
        let end = (w[0] - w[1]).signum();
        assert_eq!(argmin(0, &w), end, "class 1, w = {w:?}");
        assert_eq!(argmin(1, &w), -end, "class 2, w = {w:?}");
    }
}

/// The notes' gradients m(m − 1) and n(n − 1) are not the gradient: at
/// w = 0 with m = 100, n = 1 automatic differentiation of the loss's
/// definition gives ∓(m + n)/2, the ratio of the two partials is −1, and the
/// notes' ratio divides by n(n − 1) = 0.
#[test]
fn notes_two_class_gradients_are_wrong() {
    let (g1, g2) = gradient_autodiff(100.0, 1.0, 0.0, 0.0).unwrap();
    assert_relative_eq!(g1, -50.5, max_relative = 1e-15);
    assert_relative_eq!(g2, 50.5, max_relative = 1e-15);
    let (n1, n2) = notes_gradient(100.0, 1.0);
    assert_eq!((n1, n2), (9900.0, 0.0));
    assert!((g1 / g2 + 1.0).abs() < 1e-15);
    // Away from 0 too, and with other sizes: never the notes' values.
    for (m, n, w1, w2) in [
        (100.0, 1.0, 1.0, -1.0),
        (5.0, 3.0, -0.4, 0.9),
        (2.0, 2.0, 0.0, 0.0),
    ] {
        let (a1, a2) = gradient_autodiff(m, n, w1, w2).unwrap();
        let (b1, b2) = notes_gradient(m, n);
        assert!((a1 - b1).abs() + (a2 - b2).abs() > 1.0, "{a1} {a2}");
    }
    // The magnitude does not even depend on how the samples split: only on m + n.
    let (h1, _) = gradient_autodiff(50.0, 51.0, 0.0, 0.0).unwrap();
    assert_relative_eq!(g1, h1, max_relative = 1e-15);
}

// ------------------------------------------------------------ item 2

/// The ingredients of the imbalance experiment: geometric sizes spanning an
/// order of magnitude, subsets of exactly those sizes, and Spearman's ρ
/// (1 for monotone pairs, −1 for reversed, invariant to monotone maps).
#[test]
fn imbalanced_subsets_and_rank_correlation() {
    let sizes = geometric_sizes(10, 14, 140).unwrap();
    assert_eq!((sizes[0], sizes[9]), (14, 140));
    assert!(sizes.windows(2).all(|w| w[0] < w[1]));
    let (x, y) = papernotes::data::digits::load().unwrap();
    let (_, ys) = subset(&x, &y, &sizes).unwrap();
    for (k, &n) in sizes.iter().enumerate() {
        assert_eq!(ys.iter().filter(|&&v| v == k).count(), n);
    }
    let a = [1.0, 2.0, 3.0, 4.0];
    assert_relative_eq!(spearman(&a, &[10.0, 20.0, 300.0, 4000.0]).unwrap(), 1.0);
    assert_relative_eq!(spearman(&a, &[4.0, 3.0, 2.0, 1.0]).unwrap(), -1.0);
    assert!(spearman(&a, &[1.0, 1.0, 1.0, 1.0]).is_err());
}

/// A plan of the chapter's experiments at test size: 3 seeds on the full
/// training split, `epochs` epochs (each network trains in well under a second
/// in a debug build).
fn seeds3(epochs: usize, train_rows: Option<usize>) -> (Plan, Digits) {
    let plan = Plan {
        seeds: 3,
        epochs,
        imb_epochs: epochs,
        train_rows,
        imb_divisor: 1,
        ..Plan::full(42)
    };
    let data = Digits::load(&plan, &Device::Cpu).unwrap();
    (plan, data)
}

/// The imbalance experiment at test size (3 seeds, 15 epochs), trained once
/// for the tests that read it.
fn imbalance3() -> &'static ex::Imbalance {
    static RUN: std::sync::OnceLock<ex::Imbalance> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let (plan, data) = seeds3(15, None);
        ex::imbalance(&plan, &data, &Device::Cpu).unwrap()
    })
}

/// "The larger the class, the larger its weight norm" holds where the step
/// is proportional to the gradient: on digits whose class sizes run
/// geometrically from 14 to 140, Spearman's ρ between ‖w_j‖ and N_j lies more
/// than two standard errors above 0 over 3 seeds under SGD with momentum,
/// and under Adam it is smaller than under SGD by more than two standard
/// errors of the paired difference.
#[test]
fn larger_classes_get_larger_weight_norms_under_sgd() {
    let imb = imbalance3();
    let sgd = imb.norm_rho(Opt::Sgd { momentum: 0.9 }).unwrap();
    let adam = imb.norm_rho(Opt::Adam).unwrap();
    assert_eq!(sgd.values.len(), 3);
    assert!(sgd.above(0.0), "SGD ρ {}", sgd.show(2));
    let diff: Vec<f64> = sgd
        .values
        .iter()
        .zip(&adam.values)
        .map(|(a, b)| a - b)
        .collect();
    let diff = ex::SeedStats::new(diff).unwrap();
    assert!(diff.above(0.0), "SGD − Adam {}", diff.show(2));
}

/// "Normalizing the weight could reduce the prior caused by the training data
/// imbalance": a plain and a weight-normalized head trained on the same
/// imbalanced digits (3 seeds, paired) learn a prior (Spearman's ρ between N_j
/// and the mean predicted probability of class j on balanced test digits)
/// well above 0; normalizing the weights removes the norm difference by
/// construction but does not lower that prior by more than two standard
/// errors, under either optimizer, nor raise the rare classes' accuracy.
#[test]
fn weight_normalization_does_not_reduce_the_learned_prior() {
    let imb = imbalance3();
    for opt in ex::IMBALANCE_OPTS {
        let e = imb.weight_norm_effect(opt).unwrap();
        assert!(
            e.prior_plain.above(0.0),
            "{opt:?}: plain prior {}",
            e.prior_plain.show(2)
        );
        assert!(
            e.prior_wn.above(0.0),
            "{opt:?}: normalized prior {}",
            e.prior_wn.show(2)
        );
        assert!(!e.reduces_prior(), "{opt:?}: drop {}", e.prior_drop.show(2));
        assert!(
            !e.rare_gain.above(0.0),
            "{opt:?}: gain {}",
            e.rare_gain.show(3)
        );
    }
    // The normalized head's logits are those of unit-norm weights ŵ_j = w_j/‖w_j‖.
    let (_, data) = seeds3(1, Some(100));
    let net = FeatureNet::new(64, 16, 4, 10, 0, &Device::Cpu).unwrap();
    let w = weight_matrix(&net).unwrap();
    let wn_logits = net
        .logits(&data.test.x, None, &Head::WeightNorm, 0.0)
        .unwrap();
    let f = feature_matrix(&net, &data.test.x).unwrap();
    let z = papernotes::nn::to_matrix(&wn_logits).unwrap();
    for j in 0..10 {
        let u = w.row(j) / w.row(j).norm();
        let want = &f * u.transpose();
        assert!((z.column(j) - want).amax() < 1e-4, "class {j}");
    }
}

// ------------------------------------------------------------ item 3

/// A bias matters when the features carry no constant component: positive
/// 1-D features split at f = 1 are separable with a bias, and without one
/// the decision sign((w₁ − w₂) f) is the same for every f > 0.
#[test]
fn bias_matters_when_features_have_no_constant_component() {
    let f: Vec<f64> = (1..=40).map(|k| 0.05 * f64::from(k)).collect();
    let y: Vec<usize> = f.iter().map(|&v| usize::from(v > 1.0)).collect();
    assert_eq!(best_accuracy_with_bias(&f, &y).unwrap(), 1.0);
    assert_eq!(best_accuracy_without_bias(&f, &y).unwrap(), 0.5);
    // Centred features (a constant component removed) need no bias.
    let fc: Vec<f64> = f.iter().map(|v| v - 1.025).collect();
    assert_eq!(best_accuracy_without_bias(&fc, &y).unwrap(), 1.0);
}

/// A bias matters with normalized features and weights when the class prior
/// is imbalanced beyond what the logit range can express: logits s·cos θ lie
/// in [−s, s], so a prior ratio above e^{2s} cannot be matched and the loss
/// stays above the entropy H(p) that a bias reaches.
#[test]
fn bias_matters_for_bounded_logits_and_an_imbalanced_prior() {
    let prior = [0.9, 0.05, 0.05];
    let h = entropy(&prior);
    // Ratio 18 > e^{2·1} ≈ 7.4: excess loss.
    assert!(min_loss_bounded_logits(&prior, 1.0).unwrap() > h + 0.02);
    // Ratio 18 < e^{2·2} ≈ 54.6: the box contains log p up to a shift.
    assert!((min_loss_bounded_logits(&prior, 2.0).unwrap() - h).abs() < 1e-9);
    // A balanced prior never needs a bias.
    let flat = [1.0 / 3.0; 3];
    assert!((min_loss_bounded_logits(&flat, 0.1).unwrap() - entropy(&flat)).abs() < 1e-12);
}

/// "In practice biases are useless": on the digits, with learned features whose
/// layer has its own bias, the head bias's accuracy gain, paired over 3 seeds,
/// lies within ±0.02 with two standard errors either side
/// ([`ex::Biases::useless`]).
#[test]
fn head_bias_gains_nothing_on_digits_over_seeds() {
    let (plan, data) = seeds3(30, None);
    let b = ex::biases(&plan, &data, &Device::Cpu).unwrap();
    let g = b.gain().unwrap();
    assert_eq!(g.values.len(), 3);
    assert!(b.useless().unwrap(), "gain {} (se {})", g.show(3), g.se);
}

// ------------------------------------------------------------ item 4

/// On radial features (classes as rays, norms spread over a decade), cosine
/// similarity separates the classes perfectly and Euclidean distance does not.
#[test]
fn cosine_verifies_radial_features_better_than_euclidean_distance() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for c in 0..5 {
        let a = 2.0 * PI * f64::from(c) / 5.0;
        for _ in 0..20 {
            let r = 10f64.powf(rng.random_range(0.0..1.0));
            let t = a + rng.random_range(-0.1..0.1);
            rows.extend([r * t.cos(), r * t.sin()]);
            labels.push(c as usize);
        }
    }
    let f = DMatrix::from_row_slice(100, 2, &rows);
    let (gc, ic) = pair_scores(&f, &labels, Similarity::Cosine).unwrap();
    let (ge, ie) = pair_scores(&f, &labels, Similarity::NegEuclidean).unwrap();
    assert_eq!(auc(&gc, &ic).unwrap(), 1.0);
    assert!(auc(&ge, &ie).unwrap() < 0.95, "{:?}", auc(&ge, &ie));
}

/// The radial experiment at test size (3 seeds, 15 epochs), trained once.
fn radial3() -> &'static ex::Radial {
    static RUN: std::sync::OnceLock<ex::Radial> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let (plan, data) = seeds3(15, None);
        ex::radial(&plan, &data, &Device::Cpu).unwrap()
    })
}

/// "That's why Euclidean features failed and cos similarity works well", on
/// learned digit features (3 seeds): the cosine's true accept rate at a false
/// accept rate of 10⁻² exceeds Euclidean distance's by more than two standard
/// errors of the paired gain, in 2-D and in 3-D, but Euclidean distance does
/// not fail: its AUC stays above 0.8 in every seed (chance is 0.5).
#[test]
fn cosine_verifies_learned_digit_features_better_but_euclidean_does_not_fail() {
    let r = radial3();
    for k in 0..2 {
        let g = r.cosine_gain(k).unwrap();
        assert_eq!(g.values.len(), 3);
        assert!(
            g.above(0.0),
            "dimension {k}: cosine − Euclidean TAR {}",
            g.show(3)
        );
        let v = &r.verify_each[k];
        assert!(v.iter().all(|s| s.auc_euclidean > 0.8), "{v:?}");
    }
}

/// "After normalization, features lie on a very thick line on a hypersphere"
/// is the wrong way round. Normalization maps each ray c·u (c > 0) to the one
/// point u, so the radial extent of a class vanishes; on learned 3-D softmax
/// features (3 seeds) the raw classes spread in norm, and after normalization
/// each class is a compact cluster: its elongation √(λ₁/λ₂) lies more than two
/// standard errors below 3, the least a line would have.
#[test]
fn normalized_softmax_features_are_compact_clusters_not_lines() {
    let u = [0.6, -0.8, 0.0];
    let ray = DMatrix::from_fn(20, 3, |i, j| (1.0 + i as f64) * u[j]);
    let unit = ex::unit_rows(&ray).unwrap();
    assert!((0..20).all(|i| (unit.row(i) - unit.row(0)).norm() < 1e-15));
    let r = radial3();
    assert!(r.rows.iter().all(|row| row.norm_cv > 0.1), "{:?}", r.rows);
    let after = ex::SeedStats::new(r.shape.unit.clone()).unwrap();
    assert_eq!(after.values.len(), 3);
    assert!(
        after.below(3.0),
        "elongation after normalization {}",
        after.show(2)
    );
    // The measure sees a line: points along a thick segment on the sphere.
    let mut rng = StdRng::seed_from_u64(16);
    let arc = DMatrix::from_fn(60, 3, |i, j| {
        let t = 0.02 * i as f64;
        let e = rng.random_range(-0.02..0.02);
        [t.cos(), t.sin(), e][j]
    });
    let labels = vec![0; 60];
    assert!(ex::elongation(&ex::unit_rows(&arc).unwrap(), &labels).unwrap() > 3.0);
}

// ------------------------------------------------------------ item 5

proptest! {
    #![proptest_config(common::config())]

    /// NormFace Proposition 2: with unit features (one per class) and unit
    /// weights, the mean loss is at least log(1 + (n−1)e^{−sn/(n−1)}).
    #[test]
    fn normface_loss_is_bounded_below(seed in 0u64..10_000, n in 2usize..8, s in 0.1f64..20.0) {
        let mut rng = StdRng::seed_from_u64(seed);
        let d = n + 1;
        let x = DMatrix::from_fn(n, d, |_, _| rng.random_range(-1.0..1.0));
        let w = DMatrix::from_fn(n, d, |_, _| rng.random_range(-1.0..1.0));
        let l = balanced_loss(&x, &w, s).unwrap();
        let b = loss_lower_bound(n, s).unwrap();
        prop_assert!(l >= b * (1.0 - 1e-12), "loss {l} < bound {b}");
    }
}

/// The bound is attained by the simplex with every feature on its weight,
/// and `min_scale` inverts it.
#[test]
fn normface_bound_is_attained_by_the_simplex_and_inverted_by_min_scale() {
    for n in [2usize, 3, 5, 10] {
        let w = simplex(n).unwrap();
        for s in [0.5, 2.0, 8.0] {
            // lse − z_i cancels: absolute error about s·u ≈ 1e-15 on tiny losses.
            let (l, b) = (
                balanced_loss(&w, &w, s).unwrap(),
                loss_lower_bound(n, s).unwrap(),
            );
            assert!((l - b).abs() < 1e-13 + 1e-12 * b, "{l} vs {b}");
        }
        for eps in [0.01, 0.1, 0.5] {
            let s = min_scale(n, eps).unwrap();
            if s > 0.0 {
                assert_relative_eq!(loss_lower_bound(n, s).unwrap(), eps, max_relative = 1e-12);
            }
        }
    }
}

/// Training below the scale the bound requires cannot reach the target loss:
/// NormFace with s = 1 on three digit classes stays above ε = 0.05 (its
/// bound is 0.39), while s = 16 goes below.
#[test]
fn normface_training_below_the_minimum_scale_cannot_reach_the_target() {
    let (x, y) = papernotes::data::digits::load().unwrap();
    let (xs, ys) = subset(&x, &y, &[60, 60, 60]).unwrap();
    let d = Data::new(&xs, &ys, DType::F32, &Device::Cpu).unwrap();
    let eps = 0.05;
    assert!(min_scale(3, eps).unwrap() > 1.0);
    let final_loss = |s: f64| {
        let net = FeatureNet::new(64, 32, 4, 3, 2, &Device::Cpu).unwrap();
        let head = Head::NormFace { scale: s };
        let st = train(
            &net,
            &head,
            &d,
            &d,
            &TrainConfig {
                epochs: 25,
                batch: 30,
                lr: 0.01,
                seed: 2,
            },
        )
        .unwrap();
        st.last().unwrap().train_loss
    };
    let low = final_loss(1.0);
    assert!(
        low >= loss_lower_bound(3, 1.0).unwrap() * 0.99 && low > eps,
        "{low}"
    );
    assert!(final_loss(16.0) < eps);
}

// ------------------------------------------------------------ item 6

/// Blur keeps a constant image constant and preserves a pixel's neighbourhood
/// average; σ = 0 is the identity.
#[test]
fn blur_preserves_constant_images() {
    let c = DMatrix::from_element(1, 64, 0.4);
    let b = gaussian_blur(&c, 8, 2.0).unwrap();
    assert!(b.iter().all(|v| (v - 0.4).abs() < 1e-12));
    let (x, _) = papernotes::data::digits::load().unwrap();
    let one = x.rows(0, 1).into_owned();
    assert_eq!(gaussian_blur(&one, 8, 0.0).unwrap(), one);
    // Heavy blur flattens the image towards a constant.
    let heavy = gaussian_blur(&one, 8, 50.0).unwrap();
    let spread = heavy.max() - heavy.min();
    assert!(spread < 0.01 * (one.max() - one.min()), "{spread}");
}

/// The DeepFace note: "when you use softmax and the data is fairly blurred,
/// the descriptor will tend to assign 0 to every picture". A trained softmax
/// descriptor without L2 normalization keeps a feature norm of the same
/// order on heavily blurred digits (it maps them to the feature of a flat
/// image, which is not 0), while its predictions become useless.
#[test]
fn blurred_digits_are_not_mapped_to_the_zero_feature() {
    let (x, y) = papernotes::data::digits::load().unwrap();
    let (xs, ys) = subset(&x, &y, &[40; 10]).unwrap();
    let d = Data::new(&xs, &ys, DType::F32, &Device::Cpu).unwrap();
    let net = FeatureNet::new(64, 32, 8, 10, 3, &Device::Cpu).unwrap();
    let st = train(
        &net,
        &Head::Softmax { bias: false },
        &d,
        &d,
        &TrainConfig {
            epochs: 20,
            batch: 32,
            lr: 0.01,
            seed: 3,
        },
    )
    .unwrap();
    assert!(st.last().unwrap().accuracy > 0.9);
    let norm = |m: &DMatrix<f64>| {
        let f = feature_matrix(&net, &to_tensor(m, DType::F32, &Device::Cpu).unwrap()).unwrap();
        (0..f.nrows()).map(|i| f.row(i).norm()).sum::<f64>() / f.nrows() as f64
    };
    let clean = norm(&xs);
    let blurred = norm(&gaussian_blur(&xs, 8, 5.0).unwrap());
    assert!(blurred > 0.2 * clean, "clean {clean}, blurred {blurred}");
}

/// The DeepFace note, "when you use softmax and the data is fairly blurred, the
/// descriptor will tend to assign 0 to every picture", holds for networks
/// trained on blurred digits, and the more so the more class information the
/// blur removes: over 3 seeds (200 training digits, 15 epochs), the mean
/// feature norm relative to the sharp network's falls with r_blur, stays
/// above 1/2 at r_blur = 1 (still readable digits) and lies more than two
/// standard errors below 1/2 from r_blur = 2 on and for flat images.
#[test]
fn training_on_blurred_digits_drives_feature_norms_towards_zero() {
    let (plan, data) = seeds3(15, Some(200));
    let b = ex::blur_training(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(b.rows.len(), ex::BLUR_TRAIN.len());
    assert!(b.rows[0].norm_ratio.values.iter().all(|&v| v == 1.0));
    let means: Vec<f64> = b.rows.iter().map(|r| r.norm_ratio.mean).collect();
    assert!(means.windows(2).all(|w| w[1] < w[0]), "{means:?}");
    for r in &b.rows {
        assert_eq!(r.norm_ratio.values.len(), 3);
        let heavy = r.r_blur >= 2.0;
        assert_eq!(
            r.towards_zero(),
            heavy,
            "r_blur {}: {}",
            r.r_blur,
            r.norm_ratio.show(2)
        );
    }
}

// ------------------------------------------------------------ error paths

#[test]
fn bad_inputs_are_rejected() {
    // The generic cross-entropy and the seed statistics.
    let ce = |c: usize, y: usize, n: f64| CrossEntropy::new(c, vec![vec![1.0]], vec![y], vec![n]);
    assert!(matches!(ce(1, 0, 1.0).unwrap_err(), Error::TooFew { .. }));
    let err = ce(2, 2, 1.0).unwrap_err();
    assert!(err.to_string().contains("label 2 is out of range"), "{err}");
    assert!(matches!(
        ce(2, 0, -1.0).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        ce(2, 0, f64::NAN).unwrap_err(),
        Error::NonFinite { .. }
    ));
    let short = CrossEntropy::new(2, vec![vec![1.0], vec![2.0]], vec![0], vec![1.0, 1.0]);
    assert!(matches!(short.unwrap_err(), Error::ShapeMismatch { .. }));
    assert!(matches!(
        ex::SeedStats::new(vec![0.5]).unwrap_err(),
        Error::TooFew { .. }
    ));
    let f = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    assert!(matches!(
        ex::elongation(&f, &[0, 0]).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let err = gradient(0.0, 0.0, 1.0, 1.0).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "class sizes",
            ..
        }
    ));
    assert!(err.to_string().contains("not both 0"), "{err}");
    assert!(matches!(
        gradient(1.0, 1.0, f64::NAN, 0.0).unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        loss_lower_bound(1, 1.0).unwrap_err(),
        Error::TooFew { .. }
    ));
    assert!(min_scale(10, 0.0).is_err());
    assert!(geometric_sizes(10, 0, 5).is_err());
    let x = DMatrix::from_element(2, 64, 0.0);
    assert!(matches!(
        gaussian_blur(&x, 8, -1.0).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        gaussian_blur(&x, 7, 1.0).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let (bx, by) = papernotes::data::digits::load().unwrap();
    assert!(matches!(
        subset(&bx, &by, &[1000]).unwrap_err(),
        Error::Data(_)
    ));
    // One label per row of x, or a typed error (not an out-of-bounds row).
    assert!(matches!(
        subset(&bx.rows(0, 5).into_owned(), &by[..6], &[1]).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let zero = DMatrix::from_element(2, 3, 0.0);
    let w = simplex(2).unwrap();
    let err = balanced_loss(&zero.columns(0, 2).into_owned(), &w, 1.0).unwrap_err();
    assert!(err.to_string().contains("zero vector"), "{err}");
    assert!(best_accuracy_without_bias(&[1.0], &[2]).is_err());
    assert!(min_loss_bounded_logits(&[0.5, 0.6], 1.0).is_err());
    // Zero features in the verification code have no direction.
    let f = DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 1.0, 0.0]);
    assert!(pair_scores(&f, &[0, 0], Similarity::Cosine).is_err());
}

proptest! {
    #![proptest_config(common::config())]

    /// Why softmax features are radial: without biases the decision regions
    /// of a softmax are cones (argmax_j w_j·x does not change when x is
    /// scaled by c > 0), and for a correctly classified x the loss falls
    /// strictly as x moves outwards along its ray.
    #[test]
    fn bias_free_softmax_decisions_are_cones_and_loss_falls_along_rays(
        seed in 0u64..10_000, c in 1.01f64..20.0
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let w = DMatrix::from_fn(5, 3, |_, _| rng.random_range(-1.0..1.0));
        let x = nalgebra::DVector::from_fn(3, |_, _| rng.random_range(-1.0..1.0));
        let z = &w * &x;
        let k = z.argmax().0;
        let zc = &w * (&x * c);
        prop_assert_eq!(zc.argmax().0, k);
        let ce = |z: &nalgebra::DVector<f64>| {
            let mx = z.max();
            mx + z.iter().map(|v| (v - mx).exp()).sum::<f64>().ln() - z[k]
        };
        // Strict decrease needs a strict winner; ties are measure zero here.
        prop_assume!(z.iter().enumerate().all(|(j, &v)| j == k || v < z[k] - 1e-9));
        prop_assert!(ce(&zc) < ce(&z));
    }
}

/// DeepFace's first reason for L2 normalization, illumination: a brightness
/// factor c scales the features of a bias-free ReLU network by c, so the
/// normalized features are unchanged; with biases they are not.
#[test]
fn l2_normalization_removes_brightness_only_for_homogeneous_nets() {
    let (x, _) = papernotes::data::digits::load().unwrap();
    let xs = x.rows(0, 20).into_owned();
    let dev = Device::Cpu;
    let unit = |m: &DMatrix<f64>| {
        let mut o = m.clone();
        for i in 0..m.nrows() {
            o.set_row(i, &(m.row(i) / m.row(i).norm()));
        }
        o
    };
    let feats = |net: &FeatureNet, c: f64| {
        feature_matrix(net, &to_tensor(&(&xs * c), DType::F32, &dev).unwrap()).unwrap()
    };
    // Freshly initialised: all biases are zero.
    let net = FeatureNet::new(64, 32, 8, 10, 4, &dev).unwrap();
    let (f1, f3) = (feats(&net, 1.0), feats(&net, 3.0));
    assert!(((&f1 * 3.0) - &f3).amax() < 1e-5 * f3.amax());
    assert!((unit(&f1) - unit(&f3)).amax() < 1e-5);
    // After training the layer biases are non-zero and the direction moves.
    let d = Data::new(
        &xs,
        &(0..20).map(|i| i % 10).collect::<Vec<_>>(),
        DType::F32,
        &dev,
    )
    .unwrap();
    train(
        &net,
        &Head::Softmax { bias: false },
        &d,
        &d,
        &TrainConfig {
            epochs: 30,
            batch: 10,
            lr: 0.02,
            seed: 4,
        },
    )
    .unwrap();
    let (g1, g3) = (feats(&net, 1.0), feats(&net, 3.0));
    assert!((unit(&g1) - unit(&g3)).amax() > 1e-2);
}

// ------------------------------------------------------------ the chapter's experiments

fn quick() -> (Plan, Digits) {
    let plan = Plan::quick(42);
    let data = Digits::load(&plan, &Device::Cpu).unwrap();
    (plan, data)
}

/// The two-class run the chapter quotes: the exact gradient at 0 is
/// ∓(m + n)/2 while the notes give (m(m − 1), n(n − 1)); descent moves w₁ up
/// and w₂ down at every step and keeps their sum to rounding.
#[test]
fn two_class_experiment_conserves_the_sum_and_contradicts_the_notes() {
    let tc = ex::two_class().unwrap();
    assert_eq!(tc.gradient, (-50.5, 50.5));
    assert_eq!(tc.notes_gradient, (9900.0, 0.0));
    assert_eq!(tc.path.len(), 301);
    assert!(tc.sum_drift < 1e-12, "{}", tc.sum_drift);
    assert!(
        tc.path
            .windows(2)
            .all(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1)
    );
    let (w1, w2) = tc.last();
    assert!(((w1 - 0.3) + (w2 + 0.5)).abs() < 1e-12);
}

/// The imbalance experiment trains every head with every optimizer; the
/// weight norms it reports for the figure are the SGD run's, with ρ equal to
/// the last point of that run's curve, read after the last epoch (every
/// seed's differ from the first epoch's), and the class sizes are the plan's.
#[test]
fn imbalance_experiment_reports_every_head_optimizer_and_rank_curve() {
    let (plan, data) = quick();
    let imb = ex::imbalance(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(imb.sizes, geometric_sizes(10, 14, 140).unwrap());
    assert_eq!(imb.rows.len(), 6);
    assert_eq!(imb.table().rows.len(), 6);
    for r in &imb.rows {
        assert!((0.0..=1.0).contains(&r.accuracy) && (0.0..=1.0).contains(&r.rare_accuracy));
    }
    for rho in &imb.rho {
        assert_eq!(rho.curves.len(), plan.seeds as usize);
        for c in &rho.curves {
            assert_eq!(c.len(), plan.imb_epochs);
            assert!(c.iter().all(|v| (-1.0..=1.0).contains(v)));
        }
    }
    let (n, w): (Vec<f64>, Vec<f64>) = imb.final_norms.iter().copied().unzip();
    let sgd = imb.rho_for(Opt::Sgd { momentum: 0.9 }).unwrap();
    assert_eq!(spearman(&w, &n).unwrap(), sgd.last()[0]);
    let mut got: Vec<usize> = n.iter().map(|&v| v as usize).collect();
    got.sort_unstable();
    let want: Vec<usize> = imb
        .sizes
        .iter()
        .map(|&v| (v / plan.imb_divisor).max(1))
        .collect();
    assert_eq!(got, want);
    assert_eq!(imb.early_norms.len(), 10);
    // Every seed's last norms are read after the last epoch: ρ is the last
    // point of that seed's curve, and the epochs after the first have moved
    // every class's weights, so no norm is still the first epoch's.
    assert_eq!(imb.norms_each.len(), plan.seeds as usize);
    assert!(plan.imb_epochs > 1);
    for ((early, last), curve) in imb.norms_each.iter().zip(&sgd.curves) {
        assert_eq!(last.len(), 10);
        let (n, w): (Vec<f64>, Vec<f64>) = last.iter().copied().unzip();
        assert_eq!(Some(&spearman(&w, &n).unwrap()), curve.last());
        for (a, b) in early.iter().zip(last) {
            assert_eq!(a.0, b.0);
            assert_ne!(a.1, b.1, "class of size {}", a.0);
        }
    }
}

/// The bias experiment: one accuracy per seed and head, the difference of
/// the means; bounded logits lose against a bias below s ≈ 1.5 and not above.
#[test]
fn bias_experiment_reports_seeds_and_the_bounded_logit_excess() {
    let (plan, data) = quick();
    let b = ex::biases(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(b.rows.len(), 2);
    assert!(
        b.rows
            .iter()
            .all(|r| r.accuracies.len() == plan.seeds as usize)
    );
    assert_eq!(b.difference(), b.rows[1].mean() - b.rows[0].mean());
    assert!(b.epoch_seconds > 0.0);
    let excess: Vec<f64> = b.bounded.iter().map(|r| r.least_loss - r.entropy).collect();
    assert!(excess.iter().all(|&e| e > -1e-9), "{excess:?}");
    assert!(
        excess.windows(2).all(|w| w[1] <= w[0] + 1e-12),
        "{excess:?}"
    );
    assert!(excess[0] > 0.01 && excess[4] < 1e-9, "{excess:?}");
    assert_eq!(b.bounded_table().rows[0][0], "0.5");
}

/// The spread metric: exact rays have no angular spread and the norms' own
/// coefficient of variation; points on a circle have no norm spread.
#[test]
fn class_spread_separates_rays_from_circles() {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for c in 0..3usize {
        let a = 2.0 * PI * c as f64 / 3.0;
        for r in [1.0, 2.0, 3.0] {
            rows.extend([r * a.cos(), r * a.sin()]);
            labels.push(c);
        }
    }
    let f = DMatrix::from_row_slice(9, 2, &rows);
    let s = class_spread(&f, &labels).unwrap();
    assert!(s.angle_rms < 1e-7, "{}", s.angle_rms);
    assert_relative_eq!(s.norm_cv, (2.0f64 / 3.0).sqrt() / 2.0, max_relative = 1e-12);
    let unit = DMatrix::from_fn(9, 2, |i, j| {
        let t = 0.1 * i as f64;
        if j == 0 { t.cos() } else { t.sin() }
    });
    let s = class_spread(&unit, &labels).unwrap();
    assert!(s.norm_cv < 1e-12 && s.angle_rms > 0.05, "{s:?}");
    assert!(matches!(
        class_spread(&f, &labels[..8]).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let mut z = f.clone();
    z.row_mut(0).fill(0.0);
    assert!(class_spread(&z, &labels).is_err());
    assert!(class_spread(&f, &[0, 1, 2, 3, 4, 5, 6, 7, 8]).is_err());
}

proptest! {
    /// Three features of a class at angles φ − δ, φ, φ + δ (any norms) have the
    /// class mean direction φ, hence an RMS angle δ·√(2/3) to it.
    #[test]
    fn class_spread_angle_is_the_rms_of_symmetric_offsets(
        phis in prop::collection::vec(-3.0f64..3.0, 3),
        delta in 0.01f64..1.0,
        radii in prop::collection::vec(0.5f64..2.0, 9),
    ) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (c, &phi) in phis.iter().enumerate() {
            for j in 0..3 {
                let a = phi + delta * (j as f64 - 1.0);
                let r = radii[3 * c + j];
                rows.extend([r * a.cos(), r * a.sin()]);
                labels.push(c);
            }
        }
        let f = DMatrix::from_row_slice(9, 2, &rows);
        let s = class_spread(&f, &labels).unwrap();
        // acos near 1 loses about √ε ≈ 1e-8 on the middle feature's zero angle,
        // a relative 1e-12 of δ² ≥ 1e-4 once squared
        prop_assert!((s.angle_rms - delta * (2.0f64 / 3.0).sqrt()).abs() <= 1e-9 * delta, "{s:?} vs δ = {delta}");
    }
}

/// The radial experiment's rows are means over seeds: with two seeds the 2-D
/// row's spreads are the mean of the two networks' `class_spread`, the second
/// network retrained as the experiment trains seed 1 (network seed 301,
/// batch seed `plan.seed + 1`).
#[test]
fn radial_rows_average_the_spread_over_seeds() {
    let (plan, data) = quick();
    let plan = Plan { seeds: 2, ..plan };
    let r = ex::radial(&plan, &data, &Device::Cpu).unwrap();
    let first = class_spread(&r.features_2d, &r.labels).unwrap();
    let net = FeatureNet::new(64, ex::HIDDEN, 2, ex::CLASSES, 301, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: plan.epochs,
        batch: ex::BATCH,
        lr: ex::LR,
        seed: plan.seed + 1,
    };
    let head = Head::Softmax { bias: false };
    train(&net, &head, &data.train, &data.test, &cfg).unwrap();
    let f = feature_matrix(&net, &data.test.x).unwrap();
    let second = class_spread(&f, &r.labels).unwrap();
    // the second seed's verification scores identify the retrained network
    let (g, i) = pair_scores(&f, &r.labels, Similarity::Cosine).unwrap();
    assert_eq!(auc(&g, &i).unwrap(), r.verify_each[0][1].auc_cosine);
    let row = &r.rows[0];
    assert_relative_eq!(
        row.norm_cv,
        (first.norm_cv + second.norm_cv) / 2.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        row.angle_rms,
        (first.angle_rms + second.angle_rms) / 2.0,
        max_relative = 1e-12
    );
}

/// The radial experiment's table agrees with its own 2-D features (one seed
/// at quick size), and its ROC curves run monotonically to (1, 1).
#[test]
fn radial_experiment_agrees_with_its_features_and_draws_monotone_rocs() {
    let (plan, data) = quick();
    let plan = Plan { seeds: 1, ..plan };
    let r = ex::radial(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(r.rows.iter().map(|r| r.dim).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(r.features_2d.shape(), (data.test.n, 2));
    assert_eq!(r.labels, data.split.test_y);
    let s = class_spread(&r.features_2d, &r.labels).unwrap();
    assert_eq!(
        (s.norm_cv, s.angle_rms),
        (r.rows[0].norm_cv, r.rows[0].angle_rms)
    );
    let (g, i) = pair_scores(&r.features_2d, &r.labels, Similarity::Cosine).unwrap();
    assert_eq!(auc(&g, &i).unwrap(), r.rows[0].auc_cosine);
    assert_eq!(r.roc.len(), 4);
    for c in &r.roc {
        assert!(
            c.points
                .windows(2)
                .all(|w| w[1].0 >= w[0].0 && w[1].1 >= w[0].1)
        );
        assert_eq!(c.points.last(), Some(&(1.0, 1.0)));
    }
    assert_eq!(r.table().rows.len(), 2);
}

/// The NormFace scale experiment: each row's bound is the formula's, no
/// trained loss is below it, and the table's verdict is "loss ≤ ε".
#[test]
fn normface_scale_experiment_compares_the_loss_with_the_bound() {
    let (plan, data) = quick();
    let nf = ex::normface_scale(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(nf.rows.len(), plan.scales.len());
    assert_relative_eq!(
        loss_lower_bound(10, nf.min_scale).unwrap(),
        nf.eps,
        max_relative = 1e-12
    );
    let t = nf.table();
    for (row, cells) in nf.rows.iter().zip(&t.rows) {
        assert_eq!(row.bound, loss_lower_bound(10, row.scale).unwrap());
        assert!(row.loss >= row.bound, "{row:?}");
        let verdict = if row.loss <= nf.eps { "yes" } else { "no" };
        assert_eq!(cells[4], verdict);
    }
    assert_eq!(nf.bound_curve.len(), 120);
    assert!(nf.bound_curve.windows(2).all(|w| w[1].1 < w[0].1));
}

/// The blur experiment: σ = 0 leaves the norm ratio at exactly 1, and the
/// flat-image limit keeps a feature norm above 0.
#[test]
fn blur_experiment_keeps_sharp_norms_and_a_nonzero_flat_limit() {
    let (plan, data) = quick();
    let b = ex::blur(&plan, &data, &Device::Cpu).unwrap();
    assert_eq!(b.curves.len(), 2);
    for c in &b.curves {
        let sigmas: Vec<f64> = c.points.iter().map(|p| p.sigma).collect();
        assert_eq!(sigmas, ex::BLUR_SIGMAS);
        assert_eq!(c.points[0].norm_ratio, 1.0);
        assert!(c.flat_ratio > 0.0 && c.points.iter().all(|p| p.norm_ratio > 0.0));
    }
    assert_eq!(b.table().rows.len(), 16);
}

/// A plan without epochs and a digit split cut to nothing are rejected.
#[test]
fn bad_plans_are_rejected() {
    let plan = Plan {
        epochs: 0,
        ..Plan::quick(1)
    };
    let data = Digits::load(&Plan::quick(1), &Device::Cpu).unwrap();
    assert!(matches!(
        ex::blur(&plan, &data, &Device::Cpu).unwrap_err(),
        Error::TooFew { .. }
    ));
    let none = Plan {
        train_rows: Some(0),
        ..Plan::quick(1)
    };
    assert!(Digits::load(&none, &Device::Cpu).is_err());
    let many = Plan {
        train_rows: Some(100_000),
        ..Plan::quick(1)
    };
    assert!(matches!(
        Digits::load(&many, &Device::Cpu).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
}

// ------------------------------------------------------------ exercises

/// The cross-entropy of one sample from its definition, `log Σ e^{z_k} − z_y`,
/// without any stabilisation (fine for moderate logits).
fn cross_entropy_direct(z: &[f64], y: usize) -> f64 {
    z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[y]
}

/// Exercise 1: the gradient of the cross-entropy with respect to the logits
/// is p − a; central differences of the definition agree with the softmax
/// probabilities minus the one-hot target, and with the numbers quoted.
#[test]
fn exercise_softmax_gradient_is_prediction_minus_target() {
    let z: [f64; 3] = [2.0, 1.0, -1.0];
    let h = 1e-5;
    let total: f64 = z.iter().map(|v| v.exp()).sum();
    let quoted = [-0.2946, 0.2595, 0.0351];
    let mut sum = 0.0;
    for k in 0..3 {
        let (mut zp, mut zm) = (z, z);
        zp[k] += h;
        zm[k] -= h;
        let fd = (cross_entropy_direct(&zp, 0) - cross_entropy_direct(&zm, 0)) / (2.0 * h);
        let target = if k == 0 { 1.0 } else { 0.0 };
        assert!(
            (fd - (z[k].exp() / total - target)).abs() < 1e-9,
            "component {k}: {fd}"
        );
        assert!((fd - quoted[k]).abs() < 1e-4, "component {k}: {fd}");
        sum += fd;
    }
    assert!(sum.abs() < 1e-9);
}

/// Exercise 2: at w = (1, −1) with 100 and 1 samples, automatic
/// differentiation of the loss gives ∓101 σ(−2) ≈ ∓12.04, the loss is
/// 101 log(1 + e^{−2}) ≈ 12.82, the split 50/51 gives the same, and descent
/// keeps w₁ + w₂ = 0.
#[test]
fn exercise_two_class_gradient_at_one_minus_one_and_what_is_conserved() {
    let (a1, a2) = gradient_autodiff(100.0, 1.0, 1.0, -1.0).unwrap();
    assert_relative_eq!(a1, -101.0 / (1.0 + 2f64.exp()), max_relative = 1e-12);
    assert!((a1 + a2).abs() < 1e-12 * 101.0);
    assert!((a1 + 12.04).abs() < 5e-3, "{a1}");
    let l = loss(100.0, 1.0, 1.0, -1.0).unwrap();
    assert_relative_eq!(l, 101.0 * (-2f64).exp().ln_1p(), max_relative = 1e-12);
    assert!((l - 12.82).abs() < 5e-3, "{l}");
    let (b1, b2) = gradient_autodiff(50.0, 51.0, 1.0, -1.0).unwrap();
    assert_relative_eq!(a1, b1, max_relative = 1e-12);
    assert_relative_eq!(a2, b2, max_relative = 1e-12);
    for (w1, w2) in descend(100.0, 1.0, (1.0, -1.0), 0.01, 100).unwrap() {
        assert!((w1 + w2).abs() < 1e-12, "{w1} + {w2}");
    }
}

/// Softmax probabilities of the logits `W x` (rows of `w` are the class
/// weights), max-subtracted.
fn softmax_probs(w: &DMatrix<f64>, x: &[f64]) -> Vec<f64> {
    let z: Vec<f64> = (0..w.nrows())
        .map(|j| (0..x.len()).map(|k| w[(j, k)] * x[k]).sum())
        .collect();
    let mx = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - mx).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// The summed bias-free cross-entropy of features `xs` with labels `ys`.
fn summed_loss(w: &DMatrix<f64>, xs: &[Vec<f64>], ys: &[usize]) -> f64 {
    xs.iter()
        .zip(ys)
        .map(|(x, &y)| -softmax_probs(w, x)[y].ln())
        .sum()
}

/// The gradient Σ_i (p_ij − a_ij) x_i, one row per class.
fn summed_gradient(w: &DMatrix<f64>, xs: &[Vec<f64>], ys: &[usize]) -> DMatrix<f64> {
    let mut g = DMatrix::zeros(w.nrows(), w.ncols());
    for (x, &y) in xs.iter().zip(ys) {
        let p = softmax_probs(w, x);
        for j in 0..w.nrows() {
            let r = p[j] - if j == y { 1.0 } else { 0.0 };
            for k in 0..w.ncols() {
                g[(j, k)] += r * x[k];
            }
        }
    }
    g
}

/// Runs 50 descent steps from W = 0 and returns the final weights, checking
/// that the sum of the class weights stays 0.
fn descend_from_zero(c: usize, xs: &[Vec<f64>], ys: &[usize]) -> DMatrix<f64> {
    let mut w = DMatrix::zeros(c, xs[0].len());
    for _ in 0..50 {
        w -= summed_gradient(&w, xs, ys) * 0.05;
        for k in 0..w.ncols() {
            assert!(w.column(k).sum().abs() < 1e-12, "Σ_j w_j moved");
        }
    }
    w
}

/// Exercise 3: for any C the class-weight gradients sum to zero (checked
/// against central differences of the loss), so descent conserves Σ_j w_j;
/// with C = 2 the two norms stay equal from W = 0, with C = 4 they do not.
#[test]
fn exercise_softmax_gradient_descent_conserves_the_sum_of_class_weights() {
    let mut rng = StdRng::seed_from_u64(11);
    let (c, d, n) = (4, 3, 7);
    let xs: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..d).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect();
    let ys: Vec<usize> = (0..n).map(|i| [0, 0, 0, 1, 1, 2, 3][i]).collect();
    let w = DMatrix::from_fn(c, d, |_, _| rng.random_range(-1.0..1.0));
    let g = summed_gradient(&w, &xs, &ys);
    let h = 1e-5;
    for j in 0..c {
        for k in 0..d {
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[(j, k)] += h;
            wm[(j, k)] -= h;
            let fd = (summed_loss(&wp, &xs, &ys) - summed_loss(&wm, &xs, &ys)) / (2.0 * h);
            assert!(
                (fd - g[(j, k)]).abs() < 1e-8,
                "({j}, {k}): {fd} vs {}",
                g[(j, k)]
            );
        }
    }
    for k in 0..d {
        assert!(g.column(k).sum().abs() < 1e-12);
    }
    let w4 = descend_from_zero(c, &xs, &ys);
    let norms: Vec<f64> = (0..c).map(|j| w4.row(j).norm()).collect();
    let spread = norms.iter().copied().fold(0.0, f64::max)
        - norms.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(spread > 1e-2, "norms {norms:?}");
    let ys2: Vec<usize> = ys.iter().map(|&y| y % 2).collect();
    let w2 = descend_from_zero(2, &xs, &ys2);
    assert!((w2.row(0).norm() - w2.row(1).norm()).abs() < 1e-12);
}

/// Exercise 4: the direct log-sum-exp of (1000, 999, 0) overflows to ∞, the
/// max-subtracted one gives log(1 + e^{−1}) ≈ 0.3133 (e^{−1000} is below the
/// `f64` range); the NormFace loss through it stays finite at s = 2000; the
/// single form of σ is NaN at δ = −800, the branch gives 1.
#[test]
fn exercise_max_subtracted_log_sum_exp_survives_logits_of_1000() {
    let z: [f64; 3] = [1000.0, 999.0, 0.0];
    assert!(cross_entropy_direct(&z, 0).is_infinite());
    let mx = 1000.0;
    let stable = mx + z.iter().map(|v| (v - mx).exp()).sum::<f64>().ln() - z[0];
    assert_relative_eq!(stable, (-1f64).exp().ln_1p(), max_relative = 1e-12);
    assert!((stable - 0.3133).abs() < 1e-4);
    let w = simplex(3).unwrap();
    let l = balanced_loss(&w, &w, 2000.0).unwrap();
    assert!(l.is_finite() && l.abs() < 1e-9, "{l}");
    let delta: f64 = -800.0;
    let single = (-delta).exp() / (1.0 + (-delta).exp());
    assert!(single.is_nan());
    let (g1, g2) = gradient(1.0, 0.0, delta, 0.0).unwrap();
    assert_eq!((g1, g2), (-1.0, 1.0));
}

/// Exercise 5: for two classes the simplex is w₂ = −w₁, the bound
/// log(1 + e^{−2s}) is attained, and bisection on the loss of that
/// configuration finds the scale ≈ 1.485 for a loss of 0.05, the closed form.
#[test]
fn exercise_normface_two_classes_need_scale_1_485_for_loss_0_05() {
    let w = simplex(2).unwrap();
    assert_relative_eq!(w.row(0).dot(&w.row(1)), -1.0, max_relative = 1e-14);
    for s in [0.5, 1.0, 3.0] {
        let l = balanced_loss(&w, &w, s).unwrap();
        assert_relative_eq!(l, (-2.0 * s).exp().ln_1p(), max_relative = 1e-12);
    }
    let (mut lo, mut hi) = (0.1, 10.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if balanced_loss(&w, &w, mid).unwrap() > 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    assert!((lo - 1.485).abs() < 1e-3, "{lo}");
    assert_relative_eq!(lo, min_scale(2, 0.05).unwrap(), max_relative = 1e-9);
}

/// Exercise 6: with constant gradients 0.01 and 1, twenty steps at η = 0.1
/// move the parameters by η t g under the crate's SGD (0.02 and 2) and by
/// about η t = 2 each under its Adam.
#[test]
fn exercise_adam_moves_by_the_learning_rate_whatever_the_gradient_size() {
    use candle_core::{Tensor, Var};
    use candle_nn::Optimizer;
    use papernotes::nn::optim::{Sgd, adam};
    let dev = Device::Cpu;
    let g = Tensor::new(&[0.01f64, 1.0], &dev).unwrap();
    let (eta, t) = (0.1, 20);
    let va = Var::zeros(2, DType::F64, &dev).unwrap();
    let mut opt = adam(vec![va.clone()], eta).unwrap();
    let vs = Var::zeros(2, DType::F64, &dev).unwrap();
    let mut sgd = Sgd::new(1, eta, 0.0).unwrap();
    for _ in 0..t {
        let grads = (va.as_tensor() * &g)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        opt.step(&grads).unwrap();
        let grads = (vs.as_tensor() * &g)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        sgd.step(std::slice::from_ref(&vs), &grads).unwrap();
    }
    let adam_moved: Vec<f64> = va.as_tensor().to_vec1().unwrap();
    let sgd_moved: Vec<f64> = vs.as_tensor().to_vec1().unwrap();
    let expect = eta * t as f64;
    // Every Adam step is η g/(|g| + c_stab) with candle's c_stab = 1e-8.
    for (k, gk) in [0.01, 1.0].into_iter().enumerate() {
        assert!((adam_moved[k] + expect).abs() < 1e-5, "{adam_moved:?}");
        assert_relative_eq!(
            adam_moved[k],
            -expect * gk / (gk + 1e-8),
            max_relative = 1e-9
        );
    }
    assert_relative_eq!(sgd_moved[0], -expect * 0.01, max_relative = 1e-12);
    assert_relative_eq!(sgd_moved[1], -expect, max_relative = 1e-12);
}
