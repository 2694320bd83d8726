//! Tests for the chapter "The deep-learning review: saddle points and
//! representations": one test per claim of the notes on LeCun, Bengio & Hinton
//! (2015), plus the oracles behind the measurements and the error paths.
//!
//! Tolerances. The landscape Hessian is a central difference of the exact
//! gradient with step 1e-5: truncation `O(h²)` and rounding `O(ε/h)` leave about
//! 1e-8 relative to the largest entry, so it is compared with the
//! forward-over-forward autodiff Hessian to 1e-6. Convolutions run in f64, so a
//! shifted convolution and a convolved shift agree to 1e-12.

mod common;

use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, DVector};
use papernotes::Error;
use papernotes::diff;
use papernotes::review::conv::{Pool, batch, canvas, relative_change, represent, shift};
use papernotes::review::critical::{
    SearchOptions, curvature, find_critical, minimise_saddle_free, pearson,
};
use papernotes::review::experiments::{self as ex, Plan};
use papernotes::review::landscape::{Landscape, checked_hessian};
use papernotes::review::probe::{handmade_features, linear_probe};
use papernotes::review::shells::shells;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The quick landscape survey, run once for every test that reads it.
fn survey() -> &'static ex::LandscapeSurvey {
    static S: OnceLock<ex::LandscapeSurvey> = OnceLock::new();
    S.get_or_init(|| ex::landscape(&Plan::quick(42)).unwrap())
}

/// The quick linear probes, run once for every test that reads them.
fn probes() -> &'static ex::Separability {
    static S: OnceLock<ex::Separability> = OnceLock::new();
    S.get_or_init(|| ex::separability(&Plan::quick(42), &Device::Cpu).unwrap())
}

/// A tiny landscape: a 3-2-3 tanh network on 6 random points of 3 classes.
fn tiny(seed: u64) -> Landscape {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(6, 3, |_, _| rng.random_range(-1.0..1.0));
    Landscape::new(&[3, 2, 3], x, vec![0, 1, 2, 0, 1, 2], 1e-2).unwrap()
}

// ------------------------------------------------------------ exact Hessians

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn landscape_hessian_matches_forward_over_forward_autodiff(
        seed in 0u64..1000,
        theta in prop::collection::vec(-2.0f64..2.0, 17),
    ) {
        let land = tiny(seed);
        let t = DVector::from_vec(theta.clone());
        let ad = diff::hessian(&land, &t).unwrap();
        let fd = land.hessian(&theta).unwrap();
        let scale = ad.amax().max(1.0);
        prop_assert!((&fd - &ad).amax() <= 1e-6 * scale, "{}", (&fd - &ad).amax());
        // The back-propagated gradient is exact: it agrees with autodiff to rounding.
        let (_, g) = land.gradient(&theta).unwrap();
        let g_ad = diff::gradient(&land, &t).unwrap();
        prop_assert!((&g - &g_ad).amax() <= 1e-12 * g_ad.amax().max(1.0));
    }

    /// The loss agrees three ways: `loss`, the value returned with the
    /// back-propagated gradient, and the loss written once for every scalar.
    #[test]
    fn landscape_loss_agrees_with_the_gradient_pass_and_the_autodiff_field(
        seed in 0u64..1000,
        theta in prop::collection::vec(-2.0f64..2.0, 17),
    ) {
        let land = tiny(seed);
        let l = land.loss(&theta).unwrap();
        let (l_bp, _) = land.gradient(&theta).unwrap();
        let l_ad = diff::value(&land, &DVector::from_vec(theta.clone())).unwrap();
        prop_assert!((l - l_ad).abs() <= 1e-12 * l_ad.abs().max(1.0), "{} vs {}", l, l_ad);
        prop_assert!((l_bp - l_ad).abs() <= 1e-12 * l_ad.abs().max(1.0), "{} vs {}", l_bp, l_ad);
    }

    #[test]
    fn index_counts_the_negative_eigenvalues(
        eig in prop::collection::vec(prop_oneof![-5.0f64..-0.01, 0.01f64..5.0], 1..12),
        seed in 0u64..1000,
    ) {
        // Q diag(λ) Qᵀ with a random orthogonal Q (from a QR factorisation).
        let n = eig.len();
        let mut rng = StdRng::seed_from_u64(seed);
        let a = DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
        let q = a.qr().q();
        let h = &q * DMatrix::from_diagonal(&DVector::from_vec(eig.clone())) * q.transpose();
        let c = curvature(&h).unwrap();
        let neg = eig.iter().filter(|&&l| l < 0.0).count();
        prop_assert_eq!(c.negative, neg);
        prop_assert!((c.index - neg as f64 / n as f64).abs() < 1e-15);
    }

    // ANCHOR: equivariance_test
    #[test]
    fn convolution_commutes_with_shifts(
        pixels in prop::collection::vec(0.0f64..1.0, 64),
        filter in prop::collection::vec(-1.0f64..1.0, 9),
        dy in -3isize..=3,
        dx in -3isize..=3,
    ) {
        // An 8 × 8 image on a 16 × 16 canvas: 4 pixels of zeros on each side,
        // so no shift of up to 3 pixels pushes content off the canvas.
        let dev = Device::Cpu;
        let x = canvas(&pixels, 16, 4, 4).unwrap();
        let w = Tensor::from_vec(filter, (1, 1, 3, 3), &dev).unwrap();
        let conv = |im: &DMatrix<f64>| {
            let t = batch(std::slice::from_ref(im), DType::F64, &dev).unwrap();
            let out = t.conv2d(&w, 0, 1, 1, 1).unwrap().squeeze(0).unwrap().squeeze(0).unwrap();
            let rows: Vec<Vec<f64>> = out.to_vec2().unwrap();
            DMatrix::from_fn(14, 14, |i, j| rows[i][j])
        };
        let lhs = conv(&shift(&x, dy, dx));
        let rhs = shift(&conv(&x), dy, dx);
        prop_assert!((&lhs - &rhs).amax() <= 1e-12, "{}", (&lhs - &rhs).amax());
    }
    // ANCHOR_END: equivariance_test
}

#[test]
fn each_convolution_unit_sees_only_its_local_patch() {
    // Unit (3, 3) of a 3 × 3 convolution reads input rows and columns 3..=5.
    let dev = Device::Cpu;
    let mut rng = StdRng::seed_from_u64(11);
    let x = DMatrix::from_fn(10, 10, |_, _| rng.random_range(0.0..1.0));
    let w = Tensor::from_vec(
        (1..=9).map(f64::from).collect::<Vec<_>>(),
        (1, 1, 3, 3),
        &dev,
    )
    .unwrap();
    let unit = |im: &DMatrix<f64>| {
        let t = batch(std::slice::from_ref(im), DType::F64, &dev).unwrap();
        let out: Vec<Vec<f64>> = t
            .conv2d(&w, 0, 1, 1, 1)
            .unwrap()
            .squeeze(0)
            .unwrap()
            .squeeze(0)
            .unwrap()
            .to_vec2()
            .unwrap();
        out[3][3]
    };
    let base = unit(&x);
    for (i, j) in [(2, 3), (6, 5), (3, 6), (0, 0), (9, 9)] {
        let mut y = x.clone();
        y[(i, j)] += 1.0;
        assert_eq!(unit(&y), base, "pixel ({i}, {j}) lies outside the patch");
    }
    let mut y = x.clone();
    y[(4, 4)] += 1.0;
    // The centre weight is 5: the unit moves by exactly 5.
    assert!((unit(&y) - base - 5.0).abs() < 1e-12);
}

#[test]
fn critical_points_found_have_zero_autodiff_gradient() {
    let land = tiny(7);
    let opts = SearchOptions::default();
    let mut found = 0;
    for s in 0..4u64 {
        let mut rng = StdRng::seed_from_u64(s);
        let theta: Vec<f64> = (0..land.params())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        for r in [
            find_critical(&land, &theta, &opts).unwrap(),
            minimise_saddle_free(&land, &theta, &opts).unwrap(),
        ] {
            if r.critical {
                found += 1;
                let g = diff::gradient(&land, &DVector::from_vec(r.theta.clone())).unwrap();
                assert!(g.norm() <= 1e-8, "autodiff gradient {:e}", g.norm());
            }
        }
    }
    assert!(found >= 4, "only {found} critical points of 8 searches");
}

/// Both searches report the Hessian behind the curvature they return: a start
/// that already meets the tolerance spends exactly that one, and a budget of `k`
/// steps spends at most `k + 1`.
#[test]
fn searches_count_the_hessian_behind_the_reported_curvature() {
    let land = tiny(3);
    let mut rng = StdRng::seed_from_u64(11);
    let theta: Vec<f64> = (0..land.params())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let met = SearchOptions {
        tol: 1e6,
        ..SearchOptions::default()
    };
    for r in [
        find_critical(&land, &theta, &met).unwrap(),
        minimise_saddle_free(&land, &theta, &met).unwrap(),
    ] {
        assert!(r.critical);
        assert_eq!(r.theta, theta);
        assert_eq!(r.hessians, 1);
    }
    for k in 1..4 {
        let budget = SearchOptions {
            tol: 1e-300,
            max_hessians: k,
            stall: 0,
            ..SearchOptions::default()
        };
        for r in [
            find_critical(&land, &theta, &budget).unwrap(),
            minimise_saddle_free(&land, &theta, &budget).unwrap(),
        ] {
            assert!(
                (2..=k + 1).contains(&r.hessians),
                "{} for budget {k}",
                r.hessians
            );
        }
    }
}

/// With a tolerance no gradient can meet, the Newton search still ends on its
/// own once no step lowers `‖∇L‖` (a minimum of `‖∇L‖²`), well within its
/// budget, and reports the point as not critical.
#[test]
fn newton_search_gives_up_when_the_gradient_cannot_fall_further() {
    let land = tiny(5);
    let opts = SearchOptions {
        tol: 1e-300,
        max_hessians: 400,
        stall: 0,
        ..SearchOptions::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let found: Vec<_> = (1..5u64)
            .map(|s| {
                let mut rng = StdRng::seed_from_u64(s);
                let theta: Vec<f64> = (0..land.params())
                    .map(|_| rng.random_range(-1.0..1.0))
                    .collect();
                find_critical(&land, &theta, &opts).unwrap()
            })
            .collect();
        tx.send(found).unwrap();
    });
    // A few thousand gradients of a 17-parameter network take well under a second.
    let found = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the searches did not stop within 30 s");
    for r in found {
        assert!(!r.critical && r.grad_norm > 0.0);
        assert!(
            r.hessians <= 400,
            "{} Hessians: stopped by the budget",
            r.hessians
        );
    }
}

/// The stall rule as `SearchOptions::stall` defines it, applied to the trace
/// of a search without it: the stalled search stops after the first `h ≥
/// stall` Hessians at which `‖∇L‖` is above a tenth of its value `stall`
/// Hessians earlier, at exactly the point the free search had reached then.
/// The trace comes from rerunning the free search with budgets 0, 1, 2, … (the
/// search is deterministic), not from the code's own bookkeeping.
#[test]
fn newton_search_stops_where_the_stall_rule_says() {
    let free = |k: usize| SearchOptions {
        tol: 1e-300,
        max_hessians: k,
        stall: 0,
        ..SearchOptions::default()
    };
    let mut cut_short = 0;
    // Seeds 9 and 7 with a window of 4 fall by between 10× and 100× over their
    // first window, so a rule with another factor would stop elsewhere.
    for (seed, stall) in [(9u64, 4usize), (7, 4), (2, 1), (1, 3)] {
        let land = tiny(5);
        let mut rng = StdRng::seed_from_u64(seed);
        let theta: Vec<f64> = (0..land.params())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let budget = 40;
        // (θ, ‖∇L‖, Hessians spent) after k Newton steps; none for k = 0.
        let start = (theta.clone(), land.gradient(&theta).unwrap().1.norm(), 0);
        let trace: Vec<_> = std::iter::once(start)
            .chain((1..=budget).map(|k| {
                let r = find_critical(&land, &theta, &free(k)).unwrap();
                (r.theta, r.grad_norm, r.hessians)
            }))
            .collect();
        let norms: Vec<f64> = trace.iter().map(|t| t.1).collect();
        let predicted = (stall..budget).find(|&h| norms[h] > 0.1 * norms[h - stall]);
        let stalled = SearchOptions {
            stall,
            ..free(budget)
        };
        let r = find_critical(&land, &theta, &stalled).unwrap();
        match predicted {
            Some(h) => {
                assert_eq!(r.theta, trace[h].0, "seed {seed}: stopped elsewhere");
                assert!(!r.critical);
                if trace[budget].2 > trace[h].2.max(1) {
                    cut_short += 1;
                }
            }
            None => assert_eq!(r.theta, trace[budget].0, "seed {seed}: stopped early"),
        }
    }
    assert!(
        cut_short >= 1,
        "the stall rule never ended a search before its budget"
    );
}

// ------------------------------------------------------------ claim 1: landscape

#[test]
fn saddle_free_newton_finds_minima_and_the_loss_rises_with_the_index() {
    let s = survey();
    let w = &s.widths[0];
    assert!(w.minima >= 1, "no minimum found");
    assert!(w.saddles >= 1, "no saddle found");
    // Every saddle found lies above the lowest minimum, and loss and index correlate.
    assert!(w.saddles_above_best_minimum);
    assert!(s.correlation > 0.5, "corr {}", s.correlation);
    assert!(s.hessians > 0 && s.seconds > 0.0);
}

/// `minima_range_shrinks` follows its documented meaning on surveys built by
/// hand: the spread of the minima's losses falls from each width with minima to
/// the next, and there are at least two such widths.
#[test]
fn minima_range_shrinks_reads_the_widths_with_minima_in_order() {
    let width = |h: usize, minima: usize, lo: f64, hi: f64| ex::WidthSummary {
        width: h,
        params: 0,
        critical: minima,
        starts: minima,
        minima,
        distinct_minima: minima,
        minima_loss: if minima > 0 {
            (lo, hi)
        } else {
            (f64::NAN, f64::NAN)
        },
        saddles: 0,
        max_index: 0.0,
        correlation: f64::NAN,
        saddles_above_best_minimum: true,
    };
    let survey = |widths: Vec<ex::WidthSummary>| ex::LandscapeSurvey {
        points: Vec::new(),
        widths,
        correlation: f64::NAN,
        seconds: 0.0,
        hessians: 0,
        rows: 0,
    };
    // Spreads 0.5, then 0.2 (a width without minima in between is skipped), then 0.1.
    let shrinking = vec![
        width(2, 2, 1.0, 1.5),
        width(4, 0, 0.0, 0.0),
        width(8, 3, 0.9, 1.1),
        width(16, 1, 0.7, 0.8),
    ];
    assert!(survey(shrinking.clone()).minima_range_shrinks());
    // One width whose spread grows breaks the claim.
    let mut growing = shrinking.clone();
    growing[3] = width(16, 2, 0.5, 0.8);
    assert!(!survey(growing).minima_range_shrinks());
    // Fewer than two widths with minima: nothing to compare.
    assert!(!survey(shrinking[..2].to_vec()).minima_range_shrinks());
    assert!(!survey(Vec::new()).minima_range_shrinks());
}

#[test]
fn minima_of_one_width_differ_in_loss_by_little() {
    // Several distinct minima, whose losses differ by well under the loss at the
    // origin saddle (ln 10 ≈ 2.3): "not a serious problem".
    let w = &survey().widths[0];
    assert!(
        w.distinct_minima >= 2,
        "{} distinct minima",
        w.distinct_minima
    );
    let (lo, hi) = w.minima_loss;
    assert!(hi - lo < 0.1 * 10f64.ln(), "minima from {lo} to {hi}");
}

// ------------------------------------------------------------ claims 2 and 5: probes

#[test]
fn hidden_layers_make_the_shells_linearly_separable_but_not_the_input() {
    let s = probes();
    let shells = &s.sets[1];
    assert!(shells.last_layer_separates_better());
    assert!(ex::range(&shells.train(0)).1 < 0.9, "{:?}", shells.train(0));
    // The digits' raw pixels are already linearly separable on the training set,
    // up to at most 1 % of the images.
    let digits = &s.sets[0];
    assert!(
        digits.train(0).iter().all(|&a| a >= 0.99),
        "{:?}",
        digits.train(0)
    );
}

#[test]
fn learned_features_beat_raw_pixels_held_out_but_handmade_ones_do_not() {
    let s = probes();
    let gains = s.learned_gain_points();
    assert_eq!(gains.len(), 3);
    assert!(gains.iter().all(|&g| g > 0.0), "{gains:?}");
    let raw = ex::mean(&s.sets[0].test(0));
    assert!(
        s.handmade.test <= raw + 0.02,
        "{} vs {raw}",
        s.handmade.test
    );
}

// ------------------------------------------------------------ claim 3: pooling

#[test]
fn small_pooling_windows_reduce_the_change_a_little_and_whole_map_pooling_removes_it() {
    let p = ex::pooling(&Plan::quick(42), &Device::Cpu).unwrap();
    for f in ["random", "trained"] {
        let none = p.curve(f, Pool::None).unwrap();
        let max2 = p.curve(f, Pool::Max(2)).unwrap();
        let global = p.curve(f, Pool::Max(18)).unwrap();
        // A one-pixel shift still moves the 2 × 2-pooled representation by over 30 %.
        assert!(max2.mean_at(1) > 0.3, "{}", max2.mean_at(1));
        assert!(max2.mean_at(1) < none.mean_at(1));
        // One max over each whole map: exactly invariant while the digit stays inside.
        assert!(global.runs.iter().flatten().all(|&v| v < 1e-6));
    }
}

// ------------------------------------------------------------ claim 4: pre-training

#[test]
fn pretraining_at_ten_per_class_repeats_the_rectifier_measurement() {
    use papernotes::rectifier::experiments as rx;
    let dev = Device::Cpu;
    let mut rp = rx::Plan::quick(42);
    rp.train_rows = None;
    rp.seeds = 1;
    rp.pre_epochs = 1;
    rp.fine_epochs = 2;
    let theirs = rx::pretraining(&rp, &rx::inputs(&rp, &dev).unwrap(), &dev).unwrap();
    let mut plan = Plan::quick(42);
    plan.seeds = 1;
    plan.per_class = vec![10];
    plan.pre_epochs = 1;
    plan.fine_steps = 10; // 2 epochs of 5 batches of 20
    let ours = ex::pretraining(&plan, &dev).unwrap();
    assert_eq!(ours.sizes[0].epochs, 2);
    assert_eq!(ours.sizes[0].without, theirs.rows[0].without);
    assert_eq!(ours.sizes[0].with, theirs.rows[0].with);
}

/// The recorded train − test gap plus the test accuracy is a training accuracy:
/// a whole number of the labelled digits, between none and all of them.
#[test]
fn pretraining_gap_plus_test_accuracy_is_a_training_accuracy() {
    let mut plan = Plan::quick(42);
    plan.seeds = 1;
    plan.per_class = vec![5];
    let p = ex::pretraining(&plan, &Device::Cpu).unwrap();
    for s in &p.sizes {
        for (gaps, tests) in [(&s.gap_without, &s.without), (&s.gap_with, &s.with)] {
            for (gap, te) in gaps.iter().zip(tests.iter()) {
                let correct = (gap + te) * s.labelled as f64;
                assert!(
                    (-1e-9..=s.labelled as f64 + 1e-9).contains(&correct),
                    "train accuracy {} of {}",
                    gap + te,
                    s.labelled
                );
                assert!(
                    (correct - correct.round()).abs() < 1e-6,
                    "{correct} correct"
                );
            }
        }
    }
}

#[test]
fn pretraining_gain_is_within_two_standard_errors_at_every_size() {
    // The rectifier chapter's test protocol (4 autoencoder epochs, 150 fine-tuning
    // steps) at 5 and 10 labelled digits per class: long enough that the random
    // start catches up with the pre-trained one's head start.
    let plan = Plan {
        pre_epochs: 4,
        fine_steps: 150,
        ..Plan::quick(42)
    };
    let p = ex::pretraining(&plan, &Device::Cpu).unwrap();
    assert_eq!(p.sizes.len(), 2);
    for s in &p.sizes {
        assert_eq!(s.without.len(), 3);
        // The rule, recomputed from the per-seed accuracies: mean difference
        // against two sample standard errors.
        let d: Vec<f64> = s.with.iter().zip(&s.without).map(|(a, b)| a - b).collect();
        let m = ex::mean(&d);
        let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert_eq!(s.helps(), m > 2.0 * sd / 3f64.sqrt());
        assert!(!s.helps(), "{:?}", p.table());
    }
    assert!(!p.helps_smallest() && !p.helps_largest());
    assert!(!p.narrows_gap_anywhere(), "{:?}", p.table());
}

// ------------------------------------------------------------ errors

#[test]
fn degenerate_inputs_give_typed_errors() {
    let x = DMatrix::zeros(4, 3);
    let y = vec![0, 1, 0, 1];
    // A zero-width layer.
    let e = Landscape::new(&[3, 0, 2], x.clone(), y.clone(), 0.0).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooFew {
                name: "units in a layer",
                ..
            }
        ),
        "{e}"
    );
    // An empty data set.
    let e = Landscape::new(&[3, 2, 2], DMatrix::zeros(0, 3), vec![], 0.0).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooFew {
                name: "examples",
                ..
            }
        ),
        "{e}"
    );
    let e = linear_probe(&DMatrix::zeros(0, 3), &[], &x, &y, 2).unwrap_err();
    assert!(matches!(e, Error::TooFew { .. }), "{e}");
    // Labels and decay out of range.
    let e = Landscape::new(&[3, 2, 2], x.clone(), vec![0, 1, 2, 0], 0.0).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    let e = Landscape::new(&[3, 2, 2], x.clone(), y.clone(), -1.0).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "decay", .. }),
        "{e}"
    );
    // A parameter vector of the wrong length.
    let land = Landscape::new(&[3, 2, 2], x, y, 0.0).unwrap();
    assert!(matches!(
        land.loss(&[0.0; 3]),
        Err(Error::ShapeMismatch { .. })
    ));
    // A non-finite Hessian.
    let mut h = DMatrix::identity(3, 3);
    h[(1, 2)] = f64::NAN;
    assert!(matches!(
        checked_hessian(h.clone()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(curvature(&h), Err(Error::NonFinite { .. })));
    assert!(matches!(
        curvature(&DMatrix::zeros(2, 3)),
        Err(Error::ShapeMismatch { .. })
    ));
    // Bad search options.
    let opts = SearchOptions {
        tol: 0.0,
        ..SearchOptions::default()
    };
    let e = find_critical(&land, &vec![0.0; land.params()], &opts).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "tol", .. }),
        "{e}"
    );
}

#[test]
fn pooling_and_image_errors_are_typed() {
    let dev = Device::Cpu;
    let x = batch(&[DMatrix::zeros(6, 6)], DType::F32, &dev).unwrap();
    let w = Tensor::zeros((2, 1, 3, 3), DType::F32, &dev).unwrap();
    // A pooling window larger than the 4 × 4 feature maps, and one of 0.
    for pool in [Pool::Max(5), Pool::Avg(0)] {
        let e = represent(&x, &w, pool).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParameter {
                    name: "pooling window",
                    ..
                }
            ),
            "{e}"
        );
    }
    let big = Tensor::zeros((1, 1, 7, 7), DType::F32, &dev).unwrap();
    let e = represent(&x, &big, Pool::None).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "filter size",
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        canvas(&[0.0; 64], 10, 4, 4),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        canvas(&[0.0; 10], 16, 4, 4),
        Err(Error::ShapeMismatch { .. })
    ));
    let e = batch(
        &[DMatrix::zeros(2, 2), DMatrix::zeros(3, 3)],
        DType::F32,
        &dev,
    )
    .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    assert!(matches!(
        batch(&[], DType::F32, &dev),
        Err(Error::TooFew { .. })
    ));
    let z = DMatrix::zeros(2, 4);
    assert!(matches!(relative_change(&z, &z), Err(Error::TooFew { .. })));
    assert!(matches!(
        handmade_features(&DMatrix::zeros(1, 10)),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(shells(1, 3, 0), Err(Error::TooFew { .. })));
    assert!(matches!(
        pearson(&[1.0, 1.0], &[0.0, 1.0]),
        Err(Error::InvalidParameter { .. })
    ));
    let mut plan = Plan::quick(1);
    plan.seeds = 0;
    assert!(matches!(
        ex::pooling(&plan, &dev),
        Err(Error::TooFew { .. })
    ));
    assert!(matches!(
        ex::pretraining(&plan, &dev),
        Err(Error::TooFew { .. })
    ));
    plan.widths.clear();
    assert!(matches!(ex::landscape(&plan), Err(Error::TooFew { .. })));
}

// ------------------------------------------------------------ exercises

#[test]
fn exercise_index_of_the_saddle_of_x_squared_minus_y_squared() {
    let h = DMatrix::from_diagonal(&DVector::from_vec(vec![2.0, -2.0]));
    let c = curvature(&h).unwrap();
    assert_eq!(c.negative, 1);
    assert_eq!(c.index, 0.5);
}

#[test]
fn exercise_flipping_a_tanh_unit_leaves_the_loss_unchanged() {
    // Negate hidden unit 0's incoming weights and bias and its outgoing weights:
    // tanh is odd, so the network computes the same function.
    let land = tiny(3);
    let mut rng = StdRng::seed_from_u64(9);
    let theta: Vec<f64> = (0..land.params())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let mut flipped = theta.clone();
    // Layer 1: W₁ is 2 × 3 column-major (entries 0..6), b₁ at 6..8; W₂ 3 × 2 at 8..14.
    for i in [0, 2, 4, 6] {
        flipped[i] = -flipped[i];
    }
    for i in [8, 9, 10] {
        flipped[i] = -flipped[i];
    }
    let (a, b) = (land.loss(&theta).unwrap(), land.loss(&flipped).unwrap());
    assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
    assert!(theta != flipped);
}

#[test]
fn exercise_pooling_by_p_is_equivariant_to_shifts_by_p() {
    let dev = Device::Cpu;
    let mut rng = StdRng::seed_from_u64(5);
    let px: Vec<f64> = (0..64).map(|_| rng.random_range(0.0..1.0)).collect();
    let x = canvas(&px, 16, 4, 2).unwrap();
    let w = Tensor::from_vec(
        (0..9).map(|i| (i as f64 - 4.0) / 4.0).collect::<Vec<_>>(),
        (1, 1, 3, 3),
        &dev,
    )
    .unwrap();
    let rep = |im: &DMatrix<f64>| {
        let r = represent(
            &batch(std::slice::from_ref(im), DType::F64, &dev).unwrap(),
            &w,
            Pool::Max(2),
        )
        .unwrap();
        DMatrix::from_row_slice(7, 7, r.as_slice())
    };
    let base = rep(&x);
    let moved = rep(&shift(&x, 0, 2));
    // A shift by the window size shifts the pooled map by exactly one cell …
    assert_eq!(moved, shift(&base, 0, 1));
    // … which is still a different vector.
    assert!((&moved - &base).norm() > 0.1 * base.norm());
}

#[test]
fn exercise_the_squared_norm_separates_the_shells() {
    let (x, y) = shells(400, 8, 3).unwrap();
    let sq = DMatrix::from_fn(x.nrows(), 1, |r, _| x.row(r).norm_squared());
    let p = linear_probe(&sq, &y, &sq, &y, 2).unwrap();
    assert_eq!(p.train, 1.0);
    let raw = linear_probe(&x, &y, &x, &y, 2).unwrap();
    assert!(raw.train < 0.8, "{}", raw.train);
    assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-15);
}
