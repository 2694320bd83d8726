//! Tests for the chapter "A-Softmax geometry (SphereFace)": one test per claim
//! of the notes on Liu et al. (2017), plus the error paths.
//!
//! Tolerances. `ψ` is a cosine evaluated in f64: two evaluations of the same
//! value (by angle, by Chebyshev polynomial of the cosine) agree to a few ulps
//! of the largest intermediate, `|T_m| ≤ 1` and `2k ≤ 2m`, so 1e-12 is ample
//! for `m ≤ 8` (Chebyshev's recurrence amplifies rounding by at most `m²`).
//! Near a breakpoint the Chebyshev form takes `c` where `acos` rounding may
//! place `θ` on the other side: both pieces agree there to `O(m · δθ)` with
//! `δθ ≈ 1e-8` (acos near ±1 loses half the digits), covered by 1e-7.
//! The candle f64 loss sums ten exponentials per example: 1e-10.

mod common;

use std::f64::consts::PI;

use approx::assert_relative_eq;
use candle_core::{DType, Device, Tensor};
use nalgebra::DMatrix;
use papernotes::Error;
use papernotes::nn::Head as _;
use papernotes::nn::feature::{feature_matrix, weight_matrix};
use papernotes::nn::metrics::{Similarity, auc, pair_scores, tar_at_far};
use papernotes::nn::train::train;
use papernotes::nn::{Data, FeatureNet, TrainConfig, scalar, to_tensor};
use papernotes::numeric::clamped_acos;
use papernotes::softmax::verify::feature_criterion;
use papernotes::sphereface::fused::{a_softmax_logits_fused, row_normalize_fused};
use papernotes::sphereface::geometry::{
    binary_boundary_numeric, binary_margin, paper_binary_bound, paper_binary_intra_inter,
    paper_multiclass_intra_inter, region_criterion, uniform_directions,
};
use papernotes::sphereface::loss::{a_softmax_loss, cross_entropy, logits, notes_literal_loss};
use papernotes::sphereface::train::{Head, a_softmax_logits, psi_tensor};
use papernotes::sphereface::{Anneal, mixed_target_logit, psi, psi_from_cos};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_matrix(rows: usize, cols: usize, seed: u64, scale: f64) -> DMatrix<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-scale..scale))
}

// ---------------------------------------------------------------- item 7: ψ

proptest! {
    #![proptest_config(common::config())]

    /// ψ is continuous at every breakpoint kπ/m: the two pieces meet at 1 − 2k.
    #[test]
    fn psi_is_continuous_at_breakpoints(m in 1u32..9, frac in 0.0f64..1.0) {
        let k = ((frac * f64::from(m)) as u32).clamp(1, m.max(2) - 1);
        prop_assume!(k < m);
        let b = f64::from(k) * PI / f64::from(m);
        let h = 1e-9;
        let left = psi(b - h, m).unwrap();
        let right = psi(b + h, m).unwrap();
        let at = psi(b, m).unwrap();
        // |ψ'| ≤ m, so a step of h moves ψ by at most m·h ≈ 1e-8.
        prop_assert!((left - right).abs() < 1e-7, "jump {} at k = {k}", left - right);
        prop_assert!((at - (1.0 - 2.0 * f64::from(k))).abs() < 1e-12);
    }

    /// ψ decreases strictly on [0, π] (so a larger angle always scores lower).
    #[test]
    fn psi_decreases_monotonically(m in 1u32..9, a in 0.0f64..PI, b in 0.0f64..PI) {
        prop_assume!((a - b).abs() > 1e-6);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        prop_assert!(psi(lo, m).unwrap() > psi(hi, m).unwrap());
    }

    /// ψ maps [0, π] onto [1 − 2m, 1] and never exceeds cos θ.
    #[test]
    fn psi_range_and_psi_below_cos(m in 1u32..9, t in 0.0f64..=PI) {
        let p = psi(t, m).unwrap();
        prop_assert!(p <= 1.0 + 1e-15 && p >= 1.0 - 2.0 * f64::from(m) - 1e-12);
        prop_assert!(p <= t.cos() + 1e-12, "ψ({t}) = {p} > cos = {}", t.cos());
    }

    /// The Chebyshev form used on tensors equals ψ(acos c).
    #[test]
    fn psi_from_cosine_matches_psi_of_angle(m in 1u32..9, c in -1.0f64..=1.0) {
        let a = psi_from_cos(c, m).unwrap();
        let b = psi(clamped_acos(c).unwrap(), m).unwrap();
        prop_assert!((a - b).abs() < 1e-7, "{a} vs {b}");
    }
}

/// Values at the breakpoints, the end points, and m = 1 (plain cosine).
#[test]
fn psi_values_at_breakpoints_and_end_points() {
    for m in 1..=6u32 {
        assert_relative_eq!(psi(0.0, m).unwrap(), 1.0, epsilon = 1e-15);
        // ψ(π) = (−1)^{m−1} cos(mπ) − 2(m−1) = −1 − 2(m−1) = 1 − 2m.
        assert_relative_eq!(
            psi(PI, m).unwrap(),
            1.0 - 2.0 * f64::from(m),
            epsilon = 1e-12
        );
        for k in 0..m {
            let b = f64::from(k) * PI / f64::from(m);
            assert_relative_eq!(
                psi(b, m).unwrap(),
                1.0 - 2.0 * f64::from(k),
                epsilon = 1e-12
            );
        }
    }
    for t in [0.1, 1.0, 2.0, 3.0] {
        assert_relative_eq!(psi(t, 1).unwrap(), f64::cos(t), epsilon = 1e-15);
    }
    // Strictly below cos θ inside (0, π] for m ≥ 2: the margin is real.
    assert!(psi(0.5, 4).unwrap() < f64::cos(0.5) - 0.1);
}

/// The tensor ψ (used in training) equals the reference ψ.
#[test]
fn psi_tensor_matches_reference() {
    let cs: Vec<f64> = (0..=400)
        .map(|i| -1.0 + 2.0 * f64::from(i) / 400.0)
        .collect();
    let t = Tensor::from_vec(cs.clone(), cs.len(), &Device::Cpu).unwrap();
    for m in 1..=5u32 {
        let got: Vec<f64> = psi_tensor(&t, m).unwrap().to_vec1().unwrap();
        for (c, g) in cs.iter().zip(&got) {
            let want = psi_from_cos(*c, m).unwrap();
            assert!((g - want).abs() < 1e-12, "m = {m}, c = {c}: {g} vs {want}");
        }
    }
}

// ---------------------------------------------------- item 8: the loss formula

/// The candle A-Softmax head (f64, any λ) gives the same loss as the
/// nalgebra reference with acos and ψ.
#[test]
fn a_softmax_candle_loss_matches_independent_computation() {
    let (n, d, c) = (12, 3, 5);
    for (m, lambda, seed) in [
        (1u32, 0.0, 1u64),
        (2, 0.0, 2),
        (3, 2.5, 3),
        (4, 0.0, 4),
        (4, 5.0, 5),
    ] {
        let x = random_matrix(n, d, seed, 2.0);
        let w = random_matrix(c, d, seed + 100, 1.0);
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + seed as usize) % c).collect();
        let want = a_softmax_loss(&x, &w, &labels, m, lambda).unwrap();
        let dev = Device::Cpu;
        let xt = to_tensor(&x, DType::F64, &dev).unwrap();
        let wt = to_tensor(&w, DType::F64, &dev).unwrap();
        let bt = Tensor::zeros(c, DType::F64, &dev).unwrap();
        let yt = Tensor::from_vec(
            labels.iter().map(|&y| y as u32).collect::<Vec<_>>(),
            n,
            &dev,
        )
        .unwrap();
        let head = Head::ASoftmax {
            m,
            anneal: Anneal::none(),
        };
        let z = head.logits(&xt, &wt, &bt, Some(&yt), lambda).unwrap();
        let got = scalar(&candle_nn::loss::cross_entropy(&z, &yt).unwrap()).unwrap();
        assert_relative_eq!(got, want, max_relative = 1e-10);
    }
}

/// `(loss, ∂loss/∂x, ∂loss/∂w)` of the A-Softmax cross-entropy in `f32`, by
/// the fused head or the unfused one.
fn a_softmax_f32_grads(
    x: &DMatrix<f64>,
    w: &DMatrix<f64>,
    labels: &[u32],
    m: u32,
    lambda: f64,
    fused: bool,
) -> (f64, DMatrix<f64>, DMatrix<f64>) {
    let dev = Device::Cpu;
    let xv = candle_core::Var::from_tensor(&to_tensor(x, DType::F32, &dev).unwrap()).unwrap();
    let wv = candle_core::Var::from_tensor(&to_tensor(w, DType::F32, &dev).unwrap()).unwrap();
    let yt = Tensor::from_vec(labels.to_vec(), labels.len(), &dev).unwrap();
    let head = if fused {
        a_softmax_logits_fused
    } else {
        a_softmax_logits
    };
    let z = head(xv.as_tensor(), wv.as_tensor(), &yt, m, lambda).unwrap();
    let loss = candle_nn::loss::cross_entropy(&z, &yt).unwrap();
    let g = loss.backward().unwrap();
    let grad = |v: &candle_core::Var, r: usize, c: usize| {
        let t = g.get(v.as_tensor()).unwrap().to_dtype(DType::F64).unwrap();
        DMatrix::from_row_slice(r, c, &t.flatten_all().unwrap().to_vec1::<f64>().unwrap())
    };
    let gx = grad(&xv, x.nrows(), x.ncols());
    let gw = grad(&wv, w.nrows(), w.ncols());
    (scalar(&loss.to_dtype(DType::F64).unwrap()).unwrap(), gx, gw)
}

/// Where a feature is parallel to its class's weight, the target cosine lands
/// on the clamp's bound or, by rounding, just beyond it; the fused head's
/// gradient there is still candle's clamp gradient (½ on a tie, 0 beyond), as
/// in the unfused head, and finite.
#[test]
fn fused_a_softmax_head_matches_the_unfused_head_on_the_clamp_bound() {
    let dirs = [
        [1.0, 1.0, 1.0],
        [1.0, 2.0, 3.0],
        [0.3, 0.7, 0.1],
        [1.0, 1.0, 0.0],
        [0.1, 0.2, 0.7],
        [5.0, 3.0, 1.0],
    ];
    for dir in dirs {
        let w = DMatrix::from_row_slice(
            3,
            3,
            &[dir[0], dir[1], dir[2], 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        );
        for scale in [0.7, 2.0, 3.0] {
            let x = DMatrix::from_row_slice(1, 3, &dir).map(|v| v * scale);
            for (m, lambda) in [(2u32, 0.0), (4, 5.0)] {
                let (l_f, gx_f, gw_f) = a_softmax_f32_grads(&x, &w, &[0], m, lambda, true);
                let (l_u, gx_u, gw_u) = a_softmax_f32_grads(&x, &w, &[0], m, lambda, false);
                assert_relative_eq!(l_f, l_u, max_relative = 1e-5);
                assert!(gx_f.iter().chain(gw_f.iter()).all(|v| v.is_finite()));
                assert!(
                    (&gx_f - &gx_u).amax() < 1e-4 && (&gw_f - &gw_u).amax() < 1e-4,
                    "{dir:?} × {scale}, m = {m}: {gx_f} vs {gx_u}, {gw_f} vs {gw_u}"
                );
            }
        }
    }
}

/// The head-parts benchmark times each of its four parts (the product, the
/// softmax head, A-Softmax unfused and fused), with ordered percentiles.
#[test]
fn bench_head_parts_times_every_part() {
    let rows = papernotes::sphereface::experiments::bench_head_parts(1, &Device::Cpu).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.head.as_str()).collect();
    assert_eq!(
        names,
        [
            "matmul x Wᵀ",
            "softmax",
            "A-Softmax m=4, unfused",
            "A-Softmax m=4, fused"
        ]
    );
    for r in &rows {
        assert_eq!((r.batch, r.dim, r.classes), (256, 512, 1000));
        assert!(0.0 < r.p10_ms && r.p10_ms <= r.median_ms && r.median_ms <= r.p90_ms);
    }
    assert!(papernotes::sphereface::experiments::bench_head_parts(0, &Device::Cpu).is_err());
}

#[test]
fn fused_a_softmax_head_matches_the_unfused_head_and_finite_differences() {
    let (n, d, c) = (10, 4, 6);
    for (m, lambda, seed) in [
        (1u32, 0.0, 11u64),
        (2, 2.5, 12),
        (3, 0.0, 13),
        (4, 5.0, 14),
        (4, 0.0, 15),
    ] {
        let x = random_matrix(n, d, seed, 2.0);
        let w = random_matrix(c, d, seed + 100, 1.0);
        let labels: Vec<u32> = (0..n as u32)
            .map(|i| (i * 5 + seed as u32) % c as u32)
            .collect();
        let (l_f, gx_f, gw_f) = a_softmax_f32_grads(&x, &w, &labels, m, lambda, true);
        let (l_u, gx_u, gw_u) = a_softmax_f32_grads(&x, &w, &labels, m, lambda, false);
        // Against the unfused head: the same function in f32, summed in another order.
        assert_relative_eq!(l_f, l_u, max_relative = 1e-5);
        assert!(
            (&gx_f - &gx_u).amax() < 1e-5 && (&gw_f - &gw_u).amax() < 1e-5,
            "m = {m}"
        );
        // Against central differences of the f64 reference loss (nalgebra, by angles).
        let ys: Vec<usize> = labels.iter().map(|&y| y as usize).collect();
        let loss =
            |x: &DMatrix<f64>, w: &DMatrix<f64>| a_softmax_loss(x, w, &ys, m, lambda).unwrap();
        let h = 1e-6;
        for (mat, grad, is_x) in [(&x, &gx_f, true), (&w, &gw_f, false)] {
            for k in 0..mat.len() {
                let (mut p, mut q) = (mat.clone(), mat.clone());
                p[k] += h;
                q[k] -= h;
                let fd = if is_x {
                    (loss(&p, &w) - loss(&q, &w)) / (2.0 * h)
                } else {
                    (loss(&x, &p) - loss(&x, &q)) / (2.0 * h)
                };
                assert!(
                    (grad[k] - fd).abs() < 1e-4 * (1.0 + fd.abs()),
                    "m = {m}, entry {k}: {} vs {fd}",
                    grad[k]
                );
            }
        }
    }
}

#[test]
fn fused_row_normalize_matches_the_unfused_one_and_rejects_what_it_cannot_fuse() {
    let dev = Device::Cpu;
    let w = to_tensor(&random_matrix(7, 5, 3, 1.5), DType::F32, &dev).unwrap();
    let v = candle_core::Var::from_tensor(&w).unwrap();
    let r = DMatrix::from_fn(7, 5, |i, j| ((i * 5 + j) as f64 * 0.37).sin());
    let rt = to_tensor(&r, DType::F32, &dev).unwrap();
    let fused = row_normalize_fused(v.as_tensor()).unwrap();
    let plain = papernotes::nn::feature::row_normalize(v.as_tensor()).unwrap();
    let diff = (&fused - &plain).unwrap().abs().unwrap().max_all().unwrap();
    assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
    let gf = (fused * &rt)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gp = (plain * &rt)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let d = (gf.get(v.as_tensor()).unwrap() - gp.get(v.as_tensor()).unwrap()).unwrap();
    assert!(
        d.abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
            < 1e-5
    );
    // f64 falls back to the unfused operations; bad margins and λ are typed errors.
    let w64 = to_tensor(&random_matrix(7, 5, 3, 1.5), DType::F64, &dev).unwrap();
    assert!(row_normalize_fused(&w64).is_ok());
    let y = Tensor::from_vec(vec![0u32, 1], 2, &dev).unwrap();
    let x = to_tensor(&random_matrix(2, 5, 4, 1.0), DType::F32, &dev).unwrap();
    assert!(matches!(
        a_softmax_logits_fused(&x, &w, &y, 0, 1.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        a_softmax_logits_fused(&x, &w, &y, 4, f64::NAN),
        Err(Error::NonFinite { .. })
    ));
    let bad = Tensor::from_vec(vec![0u32, 9], 2, &dev).unwrap();
    assert!(matches!(
        a_softmax_logits_fused(&x, &w, &bad, 4, 1.0),
        Err(Error::Candle(_))
    ));
}

/// The notes write the other classes' terms with `‖x_j‖`; the paper has
/// `‖x_i‖`. The two agree only when every feature has the same norm.
#[test]
fn notes_loss_uses_the_wrong_norm() {
    let (n, d, c) = (8, 3, 4);
    let mut x = random_matrix(n, d, 7, 1.0);
    let w = random_matrix(c, d, 8, 1.0);
    let labels: Vec<usize> = (0..n).map(|i| i % c).collect();
    let paper = a_softmax_loss(&x, &w, &labels, 4, 0.0).unwrap();
    let notes = notes_literal_loss(&x, &w, &labels, 4).unwrap();
    assert!((paper - notes).abs() > 1e-3, "paper {paper}, notes {notes}");
    // Equal norms: the symbol no longer matters.
    for i in 0..n {
        let r = x.row(i).normalize() * 3.0;
        x.set_row(i, &r);
    }
    let paper = a_softmax_loss(&x, &w, &labels, 4, 0.0).unwrap();
    let notes = notes_literal_loss(&x, &w, &labels, 4).unwrap();
    assert_relative_eq!(paper, notes, max_relative = 1e-12);
}

/// The paper's loss depends on each example alone (it is a mean of
/// per-example terms); the notes' literal formula couples examples.
#[test]
fn paper_loss_is_per_example_and_weights_are_normalized() {
    let (n, d, c) = (6, 3, 4);
    let x = random_matrix(n, d, 11, 1.5);
    let w = random_matrix(c, d, 12, 1.0);
    let labels: Vec<usize> = (0..n).map(|i| (i + 1) % c).collect();
    let whole = a_softmax_loss(&x, &w, &labels, 3, 0.0).unwrap();
    let mean: f64 = (0..n)
        .map(|i| a_softmax_loss(&x.rows(i, 1).into_owned(), &w, &labels[i..=i], 3, 0.0).unwrap())
        .sum::<f64>()
        / n as f64;
    assert_relative_eq!(whole, mean, max_relative = 1e-12);
    // Rescaling a weight row changes nothing (‖W_j‖ = 1 is imposed).
    let mut w2 = w.clone();
    let r = w2.row(2) * 7.0;
    w2.set_row(2, &r);
    assert_relative_eq!(
        whole,
        a_softmax_loss(&x, &w2, &labels, 3, 0.0).unwrap(),
        max_relative = 1e-12
    );
}

// ------------------------------------------------ item 9: margins and bounds

proptest! {
    #![proptest_config(common::config())]

    /// Binary boundary cos(mθ₁) = cos θ₂ sits at θ₁₂/(m+1); margin (m−1)/(m+1)·θ₁₂.
    #[test]
    fn binary_angular_margin_is_m_minus_1_over_m_plus_1(m in 1u32..8, t in 0.01f64..=PI) {
        let b = binary_boundary_numeric(m, t).unwrap();
        prop_assert!((b - t / (f64::from(m) + 1.0)).abs() < 1e-12);
        // The class-2 boundary is the mirror image, so the band between is the margin.
        let margin = (t - b) - b;
        prop_assert!((margin - binary_margin(m, t).unwrap()).abs() < 1e-12);
    }

    /// Under the paper's assumption the binary criterion holds iff m² − 4m + 1 > 0.
    #[test]
    fn paper_binary_condition_is_m_above_2_plus_sqrt3(m in 1.5f64..8.0, t in 0.01f64..PI) {
        let (intra, inter) = paper_binary_intra_inter(m, t);
        prop_assert_eq!(intra < inter, m > paper_binary_bound());
    }
}

/// On the circle, computed from ψ: the binary criterion holds for every
/// θ₁₂ when m ≥ 4 and fails for some θ₁₂ when m ≤ 3, as Property 2 says
/// for integer m. The grid has 0.25° spacing; the margins compared differ by
/// at least several degrees except at the exact tie θ₁₂ = π for m = 3.
#[test]
fn binary_criterion_on_the_circle_needs_m_at_least_4() {
    let grid = 1440;
    let thetas: Vec<f64> = (1..=12).map(|k| PI * f64::from(k) / 12.0).collect();
    for m in 1..=5u32 {
        let all_hold = thetas
            .iter()
            .all(|&t| region_criterion(&[0.0, t], m, grid).unwrap().holds());
        assert_eq!(all_hold, m >= 4, "m = {m}");
    }
}

/// Multi-class, weights uniformly spaced: intra 2θ/(m+1) vs inter (m−1)θ/(m+1)
/// needs m > 3; computed regions agree (m = 3 is the tie, m = 4 holds).
#[test]
fn multiclass_criterion_with_uniform_weights_needs_m_above_3() {
    for classes in [3usize, 4, 6, 10] {
        let (i3, e3) = paper_multiclass_intra_inter(3.0, classes);
        assert_relative_eq!(i3, e3, max_relative = 1e-12);
        let (i4, e4) = paper_multiclass_intra_inter(4.0, classes);
        assert!(i4 < e4);
        let alphas = uniform_directions(classes);
        let c2 = region_criterion(&alphas, 2, 1440).unwrap();
        let c4 = region_criterion(&alphas, 4, 1440).unwrap();
        assert!(!c2.holds(), "C = {classes}, m = 2: {c2:?}");
        assert!(c4.holds(), "C = {classes}, m = 4: {c4:?}");
        // The computed m = 4 region width matches 2θ/(m+1) to the grid spacing.
        assert!(
            (c4.max_intra - i4).abs() < 2.0 * 2.0 * PI / 1440.0,
            "{c4:?} vs {i4}"
        );
    }
}

/// Property 3 needs evenly spread weights: with one pair of class weights
/// close together and the others far, no m up to 8 meets the criterion.
#[test]
fn multiclass_bound_needs_uniformly_spaced_weights() {
    let alphas = [0.0, 0.3, PI * 0.75, PI * 1.4];
    for m in 1..=8u32 {
        assert!(
            !region_criterion(&alphas, m, 1440).unwrap().holds(),
            "m = {m}"
        );
    }
}

// ------------------------------------------------------- item 10: annealing

/// λ starts near `base`, decays as (1 + γt)^(−1), and stops at the floor 5;
/// the mixed target logit runs from ‖x‖cos θ (λ → ∞) to ‖x‖ψ(θ) (λ = 0).
#[test]
fn annealing_decays_to_the_floor_and_mixes_cos_and_psi() {
    let a = Anneal::sphereface();
    assert_relative_eq!(a.lambda(1).unwrap(), 1000.0 / 1.12, max_relative = 1e-12);
    let mut prev = f64::INFINITY;
    for t in 1..5000u64 {
        let l = a.lambda(t).unwrap();
        assert!(l <= prev && l >= 5.0);
        prev = l;
    }
    // 1000/(1 + 0.12 t) = 5 at t = 199/0.12 ≈ 1658.3.
    assert!(a.lambda(1658).unwrap() > 5.0);
    assert_relative_eq!(a.lambda(1659).unwrap(), 5.0);
    let (norm, theta) = (2.5, 0.7);
    assert_relative_eq!(
        mixed_target_logit(norm, theta, 4, 0.0).unwrap(),
        norm * psi(theta, 4).unwrap(),
        max_relative = 1e-14
    );
    assert_relative_eq!(
        mixed_target_logit(norm, theta, 4, 1e12).unwrap(),
        norm * f64::cos(theta),
        max_relative = 1e-10
    );
    assert_relative_eq!(Anneal::none().lambda(1).unwrap(), 0.0);
}

// ---------------------------------------------- item 10/11: training (tiny)

fn tiny_digits(classes: usize) -> (Data, Data) {
    let (x, y) = papernotes::data::digits::load().unwrap();
    let rows: Vec<usize> = (0..x.nrows())
        .filter(|&r| y[r] < classes)
        .take(300)
        .collect();
    let xs = x.select_rows(&rows);
    let ys: Vec<usize> = rows.iter().map(|&r| y[r]).collect();
    let d = Data::new(&xs, &ys, DType::F32, &Device::Cpu).unwrap();
    (d.clone(), d)
}

/// A-Softmax with m = 4 trains (the loss falls and features cluster by
/// angle): the mean angle to the own class weight ends smaller than after
/// plain softmax training from the same initialisation.
#[test]
fn a_softmax_pulls_features_towards_their_class_weight() {
    let (tr, ev) = tiny_digits(3);
    let cfg = TrainConfig {
        epochs: 15,
        batch: 32,
        lr: 0.01,
        seed: 3,
    };
    let mean_angle = |head: Head| -> (f64, f64) {
        let net = FeatureNet::new(64, 32, 3, 3, 9, &Device::Cpu).unwrap();
        let stats = train(&net, &head, &tr, &ev, &cfg).unwrap();
        let f = feature_matrix(&net, &ev.x).unwrap();
        let w = weight_matrix(&net).unwrap();
        let y: Vec<usize> =
            ev.y.to_vec1::<u32>()
                .unwrap()
                .iter()
                .map(|&v| v as usize)
                .collect();
        let a = papernotes::softmax::verify::angles_to_own_weight(&f, &w, &y).unwrap();
        assert!(stats.last().unwrap().train_loss < stats[0].train_loss);
        (
            a.iter().sum::<f64>() / a.len() as f64,
            stats.last().unwrap().accuracy,
        )
    };
    let (soft, acc_soft) = mean_angle(Head::Softmax { bias: false });
    let (sphere, acc_sphere) = mean_angle(Head::ASoftmax {
        m: 4,
        anneal: Anneal::none(),
    });
    assert!(
        acc_soft > 0.9 && acc_sphere > 0.9,
        "{acc_soft} {acc_sphere}"
    );
    assert!(sphere < soft, "A-Softmax {sphere} vs softmax {soft}");
}

/// TAR@FAR and AUC on hand-made scores; the criterion on well separated
/// clusters holds, and on overlapping ones fails.
#[test]
fn verification_metrics_and_criterion_on_known_features() {
    assert_relative_eq!(
        tar_at_far(&[0.9, 0.8, 0.1], &[0.5, 0.2, 0.0, -0.1], 0.25).unwrap(),
        2.0 / 3.0
    );
    assert_relative_eq!(auc(&[1.0, 2.0], &[0.0, 1.5]).unwrap(), 0.75);
    let f = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.1, 0.0, 1.0, 0.1, 1.0]);
    let c = feature_criterion(&f, &[0, 0, 1, 1]).unwrap();
    assert!(c.holds());
    let c = feature_criterion(&f, &[0, 1, 0, 1]).unwrap();
    assert!(!c.holds());
    let (g, i) = pair_scores(&f, &[0, 0, 1, 1], Similarity::NegEuclidean).unwrap();
    assert_eq!((g.len(), i.len()), (2, 4));
}

// -------------------------------------------------------------- error paths

#[test]
fn zero_margin_is_rejected() {
    let err = psi(0.3, 0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "m", .. }));
    assert!(err.to_string().contains("m ≥ 1"), "{err}");
    assert!(psi_from_cos(0.3, 0).is_err());
    assert!(binary_margin(0, 1.0).is_err());
    let t = Tensor::new(&[0.5f64], &Device::Cpu).unwrap();
    assert!(psi_tensor(&t, 0).is_err());
}

#[test]
fn angles_outside_0_pi_and_nan_are_rejected() {
    assert!(matches!(
        psi(-0.1, 2).unwrap_err(),
        Error::InvalidParameter { name: "theta", .. }
    ));
    assert!(matches!(
        psi(f64::NAN, 2).unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        clamped_acos(f64::NAN).unwrap_err(),
        Error::NonFinite { .. }
    ));
}

/// Rounding can push a cosine past ±1; acos would give NaN, the clamp gives 0 or π.
#[test]
fn acos_argument_is_clamped() {
    assert_eq!(clamped_acos(1.0 + 1e-15).unwrap(), 0.0);
    assert_relative_eq!(clamped_acos(-1.0 - 1e-15).unwrap(), PI);
}

#[test]
fn zero_weight_is_rejected_and_zero_feature_gives_zero_logits() {
    let x = DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 1.0, 2.0]);
    let mut w = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, -1.0, 0.0]);
    let z = logits(&x, &w, &[0, 1], 4, 0.0).unwrap();
    assert!(z.row(0).iter().all(|&v| v == 0.0));
    assert_relative_eq!(
        cross_entropy(&z.rows(0, 1).into_owned(), &[0]).unwrap(),
        3f64.ln()
    );
    // A negative annealing weight (1 + λ could vanish) is refused.
    let err = logits(&x, &w, &[0, 1], 4, -1.0).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "λ", .. }),
        "{err}"
    );
    w.row_mut(1).fill(0.0);
    let err = logits(&x, &w, &[0, 1], 4, 0.0).unwrap_err();
    assert!(err.to_string().contains("zero weight"), "{err}");
    // The candle head stays finite on a zero feature (ε under the square root).
    let dev = Device::Cpu;
    let xt = Tensor::zeros((1, 2), DType::F64, &dev).unwrap();
    let wt = to_tensor(
        &DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]),
        DType::F64,
        &dev,
    )
    .unwrap();
    let bt = Tensor::zeros(2, DType::F64, &dev).unwrap();
    let yt = Tensor::new(&[0u32], &dev).unwrap();
    let head = Head::ASoftmax {
        m: 4,
        anneal: Anneal::none(),
    };
    let z = head.logits(&xt, &wt, &bt, Some(&yt), 0.0).unwrap();
    let v: Vec<f64> = z.flatten_all().unwrap().to_vec1().unwrap();
    assert!(v.iter().all(|x| x.is_finite()));
}

#[test]
fn labels_out_of_range_empty_batches_and_nan_are_rejected() {
    let x = random_matrix(3, 2, 1, 1.0);
    let w = random_matrix(2, 2, 2, 1.0);
    let err = a_softmax_loss(&x, &w, &[0, 1, 2], 4, 0.0).unwrap_err();
    assert!(err.to_string().contains("label 2 is out of range"), "{err}");
    let empty = DMatrix::<f64>::zeros(0, 2);
    assert!(matches!(
        a_softmax_loss(&empty, &w, &[], 4, 0.0).unwrap_err(),
        Error::TooFew { .. }
    ));
    let mut xn = x.clone();
    xn[(1, 1)] = f64::NAN;
    assert!(matches!(
        a_softmax_loss(&xn, &w, &[0, 1, 0], 4, 0.0).unwrap_err(),
        Error::NonFinite { .. }
    ));
    let z = DMatrix::from_row_slice(1, 2, &[f64::NAN, 0.0]);
    assert!(matches!(
        cross_entropy(&z, &[0]).unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        notes_literal_loss(&x.rows(0, 1).into_owned(), &w, &[0], 4).unwrap_err(),
        Error::TooFew { .. }
    ));
    // Training refuses labels beyond the head's classes.
    let (tr, _) = tiny_digits(3);
    let net = FeatureNet::new(64, 8, 2, 2, 0, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        batch: 16,
        lr: 0.01,
        seed: 0,
    };
    let err = train(&net, &Head::Softmax { bias: true }, &tr, &tr, &cfg).unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    assert!(FeatureNet::new(64, 8, 2, 1, 0, &Device::Cpu).is_err());
    assert!(Head::NormFace { scale: 0.0 }.validate().is_err());
}

// ------------------------------------------- item 11: metric-learning criterion

proptest! {
    #![proptest_config(common::config())]

    /// When max intra-class angle < min inter-class angle, one threshold on
    /// the cosine accepts every same-class pair and no different-class pair:
    /// TAR = 1 at FAR = 0. (The criterion is what makes open-set verification
    /// with one global threshold exact.)
    #[test]
    fn criterion_implies_perfect_verification_at_one_threshold(
        seed in 0u64..1000, spread in 0.01f64..0.6, classes in 2usize..5
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let per = 6;
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for c in 0..classes {
            let centre = 2.0 * PI * c as f64 / classes as f64;
            for _ in 0..per {
                let a = centre + rng.random_range(-spread..spread);
                rows.extend([a.cos(), a.sin()]);
                labels.push(c);
            }
        }
        let f = DMatrix::from_row_slice(classes * per, 2, &rows);
        let crit = feature_criterion(&f, &labels).unwrap();
        let (g, i) = pair_scores(&f, &labels, Similarity::Cosine).unwrap();
        let perfect = tar_at_far(&g, &i, 0.0).unwrap() == 1.0;
        if crit.holds() {
            prop_assert!(perfect);
        }
        // Conversely a perfect single threshold needs min same-class cosine
        // > max different-class cosine, which is the criterion itself.
        prop_assert_eq!(perfect, crit.holds());
    }
}

/// Closed set vs open set: features trained to classify digits 0–3 verify
/// pairs of those digits better than pairs of digits 4–6 never seen in
/// training (AUC of the cosine similarity).
#[test]
fn classification_features_verify_unseen_classes_worse_than_seen() {
    let (x, y) = papernotes::data::digits::load().unwrap();
    let take = |lo: usize, hi: usize, n: usize| {
        let rows: Vec<usize> = (0..x.nrows())
            .filter(|&r| y[r] >= lo && y[r] < hi)
            .take(n)
            .collect();
        (
            x.select_rows(&rows),
            rows.iter().map(|&r| y[r]).collect::<Vec<_>>(),
        )
    };
    let (sx, sy) = take(0, 4, 400);
    let (ux, uy) = take(4, 7, 150);
    let tr = Data::new(&sx, &sy, DType::F32, &Device::Cpu).unwrap();
    let net = FeatureNet::new(64, 32, 4, 4, 5, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: 12,
        batch: 32,
        lr: 0.01,
        seed: 5,
    };
    let stats = train(&net, &Head::Softmax { bias: false }, &tr, &tr, &cfg).unwrap();
    assert!(stats.last().unwrap().accuracy > 0.95);
    let auc_of = |m: &DMatrix<f64>, l: &[usize]| {
        let t = to_tensor(m, DType::F32, &Device::Cpu).unwrap();
        let f = feature_matrix(&net, &t).unwrap();
        let (g, i) = pair_scores(&f, l, Similarity::Cosine).unwrap();
        auc(&g, &i).unwrap()
    };
    let seen = auc_of(&sx.rows(0, 150).into_owned(), &sy[..150]);
    let unseen = auc_of(&ux, &uy);
    assert!(seen > unseen + 0.05, "seen {seen}, unseen {unseen}");
}

// ------------------------------------------- experiments at quick size

mod experiments {
    use std::f64::consts::PI;
    use std::sync::OnceLock;

    use approx::assert_relative_eq;
    use candle_core::Device;
    use nalgebra::{DMatrix, Vector3};
    use papernotes::Error;
    use papernotes::sphereface::Anneal;
    use papernotes::sphereface::experiments::{
        self as ex, ClosedSet, Digits, Plan, SEEN, Verdict, verdict,
    };
    use papernotes::sphereface::figure::{PanelKind, draw_feature_panels};
    use papernotes::sphereface::projection::{MapFrame, SEAM_CLEARANCE};

    fn plan() -> Plan {
        Plan::quick(42, Device::Cpu)
    }

    /// The quick closed-set run, trained once for all the tests that read it.
    fn closed() -> &'static (Digits, ClosedSet) {
        static RUN: OnceLock<(Digits, ClosedSet)> = OnceLock::new();
        RUN.get_or_init(|| {
            let data = ex::digits(&plan()).unwrap();
            let closed = ex::closed_set(&plan(), &data).unwrap();
            (data, closed)
        })
    }

    /// The ψ curves of the figure run from ψ(0) = 1 to ψ(π) = 1 − 2m, decrease,
    /// and coincide with cos θ for m = 1.
    #[test]
    fn psi_curves_run_from_one_to_one_minus_2m() {
        let c = ex::psi_curves(181).unwrap();
        assert_eq!(c.psi.len(), 4);
        for (m, pts) in &c.psi {
            assert_eq!(pts.len(), 181);
            assert_eq!(pts[0], (0.0, 1.0));
            assert_relative_eq!(pts[180].0, 180.0, epsilon = 1e-12);
            assert_relative_eq!(pts[180].1, 1.0 - 2.0 * f64::from(*m), epsilon = 1e-12);
            assert!(pts.windows(2).all(|w| w[1].1 < w[0].1));
        }
        for (p, q) in c.psi[0].1.iter().zip(&c.cos) {
            assert_relative_eq!(p.1, q.1, epsilon = 1e-12);
        }
        assert!(matches!(ex::psi_curves(1), Err(Error::TooFew { .. })));
    }

    /// The annealing curves: λ starts at 1000/1.12, never rises, ends on the
    /// floor 5, and the weight of ψ is 1/(1 + λ).
    #[test]
    fn anneal_curves_decay_to_the_floor() {
        let a = ex::anneal_curves(4000, 5).unwrap();
        assert_relative_eq!(a.lambda[0].1, 1000.0 / 1.12, epsilon = 1e-9);
        assert!(a.lambda.windows(2).all(|w| w[1].1 <= w[0].1));
        assert_eq!(a.lambda.last().unwrap().1, 5.0);
        for (l, w) in a.lambda.iter().zip(&a.psi_weight) {
            assert_eq!(l.0, w.0);
            assert_relative_eq!(w.1, 1.0 / (1.0 + l.1));
        }
        assert!(ex::anneal_curves(0, 5).is_err());
        assert!(ex::anneal_curves(10, 0).is_err());
    }

    /// The verdict rule: a tie within four grid spacings, else the sign decides.
    #[test]
    fn verdict_is_a_tie_within_four_grid_spacings() {
        let h = 4.0 * 2.0 * PI / 360.0;
        assert_eq!(verdict(0.0, 360).unwrap(), Verdict::Tie);
        assert_eq!(verdict(0.99 * h, 360).unwrap(), Verdict::Tie);
        assert_eq!(verdict(-0.99 * h, 360).unwrap(), Verdict::Tie);
        assert_eq!(verdict(1.01 * h, 360).unwrap(), Verdict::Holds);
        assert_eq!(verdict(-1.01 * h, 360).unwrap(), Verdict::Fails);
        // A finer grid decides a smaller gap.
        assert_eq!(verdict(1.01 * h / 16.0, 5760).unwrap(), Verdict::Holds);
        assert!(matches!(verdict(0.1, 0), Err(Error::TooFew { .. })));
        assert!(matches!(
            verdict(f64::NAN, 360),
            Err(Error::NonFinite { .. })
        ));
    }

    /// At quick size the sampled regions already give Properties 2 and 3: the
    /// binary criterion fails for m = 2, 3 and holds for m = 4, 5; with ten
    /// uniform classes m = 3 is the tie; the computed binary ratio never exceeds
    /// the paper's worst case by more than the sampling error.
    #[test]
    fn bounds_at_quick_size_give_properties_2_and_3() {
        let b = ex::bounds(&plan()).unwrap();
        let binary: Vec<Verdict> = b.rows.iter().map(|r| r.binary).collect();
        let multi: Vec<Verdict> = b.rows.iter().map(|r| r.multiclass).collect();
        use Verdict::*;
        assert_eq!(binary, [Fails, Fails, Holds, Holds]);
        assert_eq!(multi, [Fails, Tie, Holds, Holds]);
        for r in &b.rows {
            assert!(r.worst_ratio <= r.paper_ratio * 1.02, "{r:?}");
            assert!(r.worst_ratio > 0.9 * r.paper_ratio, "{r:?}");
            let h = 2.0 * 2.0 * PI / b.grid as f64;
            assert!((r.uniform_max_intra - r.paper_intra).abs() <= h, "{r:?}");
            assert!((r.uniform_min_inter - r.paper_inter).abs() <= h, "{r:?}");
        }
        for c in &b.curves {
            assert_eq!(c.computed.len(), plan().thetas);
            // The paper's formula only where θ₁₂ ≤ (m−1)π/m.
            let limit = (f64::from(c.m) - 1.0) * 180.0 / f64::from(c.m);
            assert!(c.paper.iter().all(|p| p.0 <= limit + 1e-9));
        }
        let t = b.table();
        assert_eq!(t.rows.len(), 4);
        assert!(t.rows.iter().all(|r| r.len() == t.header.len()));
        assert_eq!(t.rows[1][6], "tie (within the grid spacing)");
        let mut bad = plan();
        bad.grid = 4;
        assert!(ex::bounds(&bad).is_err());
    }

    /// The digits of the quick run: 200 training rows, 20 % of 1797 held out,
    /// and the iteration count that drives λ.
    #[test]
    fn digits_at_quick_size_are_cut_and_counted() {
        let d = ex::digits(&plan()).unwrap();
        assert_eq!(d.split.train_y.len(), 200);
        assert_eq!(d.split.train_x.nrows(), 200);
        assert_eq!(d.split.test_y.len(), 359);
        assert_eq!(d.iterations, 2 * 200usize.div_ceil(ex::BATCH));
        assert_eq!(
            d.final_lambda,
            Anneal::sphereface().lambda(d.iterations as u64).unwrap()
        );
    }

    /// The open-set split keeps every image: the seen digits below SEEN in
    /// their train/test parts, every image of the others in the unseen set.
    #[test]
    fn open_split_separates_seen_from_unseen_digits() {
        let s = papernotes::data::digits::split(0.2, 42).unwrap();
        let o = ex::open_split(&s, SEEN).unwrap();
        assert!(o.seen_train.1.iter().all(|&y| y < SEEN));
        assert!(o.seen_test.1.iter().all(|&y| y < SEEN));
        assert!(o.unseen.1.iter().all(|&y| y >= SEEN));
        let total = o.seen_train.1.len() + o.seen_test.1.len() + o.unseen.1.len();
        assert_eq!(total, 1797);
        assert_eq!(o.unseen.0.nrows(), o.unseen.1.len());
        // The unseen set starts with the training images, in their order.
        let first = (0..s.train_y.len())
            .find(|&r| s.train_y[r] >= SEEN)
            .unwrap();
        assert_eq!(o.unseen.0.row(0), s.train_x.row(first));
        assert!(ex::open_split(&s, 1).is_err());
        assert!(ex::open_split(&s, 9).is_err());
    }

    /// The quick closed-set run: one model per dimension, head and seed; the
    /// table's means agree with the models; percentiles lie inside the extremes;
    /// training beats chance; the histogram is a distribution.
    #[test]
    fn closed_set_at_quick_size() {
        let (data, c) = closed();
        assert_eq!(c.models.len(), 2 * ex::all_heads().len());
        let rows = c.rows();
        assert_eq!(rows.len(), c.models.len());
        for (r, m) in rows.iter().zip(&c.models) {
            assert_eq!((r.dim, r.head), (m.dim, m.head));
            assert_eq!(r.test_acc, m.test_acc());
            assert!(r.test_acc_range.0 <= r.test_acc && r.test_acc <= r.test_acc_range.1);
            assert!(r.intra_p95_deg <= r.max_intra_deg && r.inter_p05_deg >= r.min_inter_deg);
            assert!((0.0..=180.0).contains(&r.mean_angle_deg));
            assert_eq!(r.holds, usize::from(m.crit.holds()));
        }
        let mean_acc = rows.iter().map(|r| r.test_acc).sum::<f64>() / rows.len() as f64;
        assert!(mean_acc > 0.2, "mean test accuracy {mean_acc} (chance 0.1)");
        let t = c.table();
        assert_eq!(t.rows.len(), rows.len());
        assert!(t.rows.iter().all(|r| r.len() == t.header.len()));
        assert!(t.rows.iter().any(|r| r[1] == "A-Softmax m=4, λ = 0"));
        let h = c.angle_histogram(3, &ex::heads()[2], 3.0, 40).unwrap();
        assert_relative_eq!(h.iter().map(|p| p.1).sum::<f64>(), 1.0, epsilon = 1e-12);
        assert!(c.angle_histogram(3, &ex::heads()[2], 0.0, 40).is_err());
        assert!(c.norm_ratio(2, &ex::heads()[0]).unwrap() >= 1.0);
        let (xs, runs) = c.accuracy_runs(3, &ex::heads()[0]).unwrap();
        assert_eq!((xs, runs.len()), (vec![1.0, 2.0], 1));
        assert!(c.epoch_ms().unwrap() > 0.0);
        assert_eq!(data.split.test_y.len(), c.models[0].angles.len());
    }

    /// The feature panels: one per head of the figures; 2-D weights are unit
    /// directions; 3-D directions are valid longitudes and latitudes, in a frame
    /// whose seam is no more crowded than the standard frame's; the figure code
    /// draws them with ten digit keys.
    #[test]
    fn feature_panels_at_quick_size() {
        let (data, c) = closed();
        let y = &data.split.test_y;
        let p2 = ex::panels_2d(c, y).unwrap();
        assert_eq!(p2.len(), ex::heads().len());
        for p in &p2 {
            assert_eq!(p.points.len(), y.len());
            for w in &p.weights {
                assert_relative_eq!(w.0.hypot(w.1), 1.0, epsilon = 1e-12);
            }
        }
        let p3 = ex::panels_3d(c, y).unwrap();
        for (p, m) in p3.iter().zip(c.first_seed(3)) {
            assert!(p.points.iter().chain(&p.weights).all(|&(lon, lat)| {
                (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
            }));
            let dirs: Vec<Vector3<f64>> = m
                .test_feats
                .row_iter()
                .map(|r| Vector3::new(r[0], r[1], r[2]).normalize())
                .collect();
            let chosen = MapFrame::choose(&m.test_feats).unwrap();
            assert!(chosen.seam_penalty(&dirs) <= MapFrame::standard().seam_penalty(&dirs));
        }
        assert!(ex::panels_2d(c, &y[1..]).is_err());
        let dir = std::env::temp_dir().join(format!("sphereface-panels-{}", std::process::id()));
        let path = dir.join("features_2d.svg");
        draw_feature_panels(&path, "test", &p2, PanelKind::Plane).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("class weight") && svg.contains("digit"));
        assert!(draw_feature_panels(&path, "t", &[], PanelKind::Map).is_err());
        let seven = vec![p2[0].clone(); 7];
        assert!(draw_feature_panels(&path, "t", &seven, PanelKind::Map).is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    /// A cluster centred on the standard map's seam (longitude ±180°) and one
    /// at its pole: the chosen frame keeps both clear of the seam, so each is
    /// drawn whole, in one piece of the map.
    #[test]
    fn map_frame_keeps_clusters_off_the_seam() {
        let mut rows = Vec::new();
        for k in 0..40 {
            let a = 0.15 * (f64::from(k) / 40.0 - 0.5);
            rows.extend([-1.0, a, 0.1 * a.sin()]);
            rows.extend([0.1 * a.cos(), 0.1 * a, 1.0]);
        }
        let m = DMatrix::from_row_slice(80, 3, &rows);
        let dirs: Vec<Vector3<f64>> = m
            .row_iter()
            .map(|r| Vector3::new(r[0], r[1], r[2]).normalize())
            .collect();
        assert!(MapFrame::standard().seam_penalty(&dirs) > 0.0);
        let f = MapFrame::choose(&m).unwrap();
        let nearest = dirs
            .iter()
            .map(|u| f.seam_distance(u))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest >= SEAM_CLEARANCE, "{}", nearest.to_degrees());
        let ll = f.lon_lat_rows(&m).unwrap();
        for half in [&ll[..], &ll[1..]] {
            let lons: Vec<f64> = half.iter().step_by(2).map(|p| p.0).collect();
            let span = lons.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b))
                - lons.iter().fold(f64::INFINITY, |a, &b| a.min(b));
            assert!(span < 90.0, "a cluster spans {span}° of longitude");
        }
        // The frame is orthonormal and maps its own axes where they belong.
        assert_relative_eq!(f.centre.cross(&f.east), f.pole, epsilon = 1e-12);
        let (lon, lat) = f.lon_lat(f.centre).unwrap();
        assert!(lon.abs() < 1e-9 && lat.abs() < 1e-9);
        assert_relative_eq!(f.lon_lat(f.pole * 3.0).unwrap().1, 90.0, epsilon = 1e-9);
        assert!(f.lon_lat(Vector3::zeros()).is_err());
        assert!(MapFrame::choose(&DMatrix::zeros(3, 2)).is_err());
        assert!(MapFrame::around(Vector3::new(f64::NAN, 0.0, 1.0), 0.0).is_err());
    }

    /// The quick open-set run: five rows (softmax twice), TAR at the stricter
    /// FAR never above TAR at the looser one, AUC and TAR in [0, 1], and each
    /// ROC a non-decreasing curve that ends at (1, 1).
    #[test]
    fn open_set_at_quick_size() {
        let data = ex::digits(&plan()).unwrap();
        let o = ex::open_set(&plan(), &data).unwrap();
        let labels: Vec<&str> = o.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "softmax, cosine",
                "softmax, Euclidean",
                "NormFace s=10, cosine",
                "A-Softmax m=4, cosine",
                "A-Softmax m=4, λ = 0, cosine"
            ]
        );
        // One network per head: both softmax rows share its accuracy.
        assert_eq!(o.rows[0].accuracy, o.rows[1].accuracy);
        for r in &o.rows {
            assert!(0.0 <= r.tar_1e3 && r.tar_1e3 <= r.tar_1e2 && r.tar_1e2 <= 1.0);
            assert!((0.0..=1.0).contains(&r.auc) && (0.0..=1.0).contains(&r.accuracy));
            assert!(r.holds <= r.runs);
        }
        assert_eq!(o.curves.len(), o.rows.len());
        for (_, runs) in &o.curves {
            assert_eq!(runs.len(), plan().seeds as usize);
            for c in runs {
                assert!(c.windows(2).all(|w| w[1].0 >= w[0].0 && w[1].1 >= w[0].1));
                assert_eq!(*c.last().unwrap(), (1.0, 1.0));
            }
        }
        // On a common grid of rates the TAR never falls and reaches 1 at FAR = 1.
        let fars = [1e-3, 1e-2, 0.1, 1.0];
        for (_, runs) in o.tar_runs(&fars).unwrap() {
            for r in runs {
                assert!(r.windows(2).all(|w| w[1] >= w[0]));
                assert_eq!(r[3], 1.0);
            }
        }
        assert_eq!(o.table().rows.len(), 5);
    }

    /// TAR on a grid of rates: a step function of the ROC, 0 before its first point.
    #[test]
    fn tar_on_grid_reads_the_roc_as_a_step_function() {
        let roc = [(0.0, 0.2), (0.1, 0.5), (0.5, 0.9), (1.0, 1.0)];
        let t = ex::tar_on_grid(&roc, &[0.0, 0.05, 0.1, 0.7, 1.0]).unwrap();
        assert_eq!(t, [0.2, 0.2, 0.5, 0.9, 1.0]);
        assert_eq!(ex::tar_on_grid(&roc[1..], &[0.05]).unwrap(), [0.0]);
        assert!(ex::tar_on_grid(&[], &[0.5]).is_err());
        assert!(ex::tar_on_grid(&roc, &[1.5]).is_err());
        assert!(ex::tar_on_grid(&[(0.5, 0.5), (0.1, 0.6)], &[0.5]).is_err());
    }

    /// The benchmark rows: two heads at two sizes, quantiles in order.
    #[test]
    fn bench_at_quick_size() {
        let rows = ex::bench(&plan()).unwrap();
        assert_eq!(rows.len(), 4);
        for r in &rows {
            assert!(0.0 < r.p10_ms && r.p10_ms <= r.median_ms && r.median_ms <= r.p90_ms);
        }
        assert_eq!(ex::bench_table(&rows).rows[3][1], "256 × 512 × 1000");
        let mut bad = plan();
        bad.bench_reps = 0;
        assert!(ex::bench(&bad).is_err());
    }

    /// Every head has its own run-record key, and the unannealed head its own label.
    #[test]
    fn head_keys_are_unique() {
        let keys: Vec<String> = ex::all_heads().iter().map(ex::head_key).collect();
        let mut dedup = keys.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), keys.len());
        assert_eq!(ex::head_label(&ex::pure_m4()), "A-Softmax m=4, λ = 0");
    }
}

// The chapter's exercises. Each test computes the answer that the exercise's solution
// states, independently of the derivation there, and is named in that solution.

/// Exercise 1: for `m = 2`, `ψ(θ) = 2c|c| − 1` with `c = cos θ`, on both pieces.
#[test]
fn exercise_psi_for_m_2_is_two_c_abs_c_minus_one() {
    for i in 0..=1000 {
        let theta = PI * f64::from(i) / 1000.0;
        let c = theta.cos();
        let closed = 2.0 * c * c.abs() - 1.0;
        assert!(
            (psi(theta, 2).unwrap() - closed).abs() <= 1e-12,
            "θ = {theta}"
        );
        assert!(
            (psi_from_cos(c, 2).unwrap() - closed).abs() <= 1e-12,
            "c = {c}"
        );
    }
}

/// Exercise 2: at every breakpoint `kπ/m` both one-sided first derivatives of ψ are 0,
/// and the one-sided second derivatives are `+m²` (left) and `−m²` (right), measured by
/// one-sided finite differences of ψ itself.
#[test]
fn exercise_psi_is_flat_at_breakpoints_and_its_second_derivative_jumps() {
    let h = 1e-5;
    let f = |t: f64, m: u32| psi(t, m).unwrap();
    for m in 2..=6u32 {
        let m2 = f64::from(m * m);
        for k in 1..m {
            let t0 = f64::from(k) * PI / f64::from(m);
            // second-order one-sided first derivatives: error ≈ |ψ'''| h²/3 ≤ m³h²/3
            let right1 = (-3.0 * f(t0, m) + 4.0 * f(t0 + h, m) - f(t0 + 2.0 * h, m)) / (2.0 * h);
            let left1 = (3.0 * f(t0, m) - 4.0 * f(t0 - h, m) + f(t0 - 2.0 * h, m)) / (2.0 * h);
            assert!(
                right1.abs() <= 1e-6 && left1.abs() <= 1e-6,
                "m = {m}, k = {k}"
            );
            // one-sided second differences: error ≈ |ψ'''| h ≤ m³ h, rounding ≈ 4(2m)ε/h²
            let right2 = (f(t0, m) - 2.0 * f(t0 + h, m) + f(t0 + 2.0 * h, m)) / (h * h);
            let left2 = (f(t0, m) - 2.0 * f(t0 - h, m) + f(t0 - 2.0 * h, m)) / (h * h);
            assert!((left2 - m2).abs() <= 1e-3 * m2, "m = {m}, k = {k}: {left2}");
            assert!(
                (right2 + m2).abs() <= 1e-3 * m2,
                "m = {m}, k = {k}: {right2}"
            );
        }
    }
    // the chapter's case: m = 4 at π/4, +16 from the left and −16 from the right
    let t0 = PI / 4.0;
    let left2 = (f(t0, 4) - 2.0 * f(t0 - h, 4) + f(t0 - 2.0 * h, 4)) / (h * h);
    assert!((left2 - 16.0).abs() <= 0.01, "{left2}");
}

/// Exercise 3: two weights 90° apart, m = 4: each region 48° wide, the regions 54° apart
/// (ratio 8/9), measured on the circle sampled at 0.025°.
#[test]
fn exercise_two_classes_at_90_degrees_with_m_4_are_48_degrees_wide_and_54_apart() {
    let grid = 14_400;
    let c = region_criterion(&[0.0, PI / 2.0], 4, grid).unwrap();
    let spacing = 360.0 / grid as f64;
    let (intra, inter) = (c.max_intra.to_degrees(), c.min_inter.to_degrees());
    assert!((intra - 48.0).abs() <= 2.0 * spacing, "width {intra}°");
    assert!((inter - 54.0).abs() <= 2.0 * spacing, "gap {inter}°");
    assert!(c.holds());
    assert!((intra / inter - 8.0 / 9.0).abs() <= 0.005);
}

/// Exercise 4: with `w₁ = e₁`, `w₂ = e₂`, `m = 1`, `x₁ = (1, 1)` (class 1) and
/// `x₂ = (0, s)` (class 2), the paper's batch loss and the notes' differ by
/// `(ln(1 + e²) − ln 2)/2` at `s = 3√2` and agree at `s = √2`.
#[test]
fn exercise_notes_loss_of_one_example_depends_on_another_examples_norm() {
    let w = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let batch = |s: f64| DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 0.0, s]);
    let labels = [0, 1];
    let x = batch(3.0 * 2f64.sqrt());
    let paper = a_softmax_loss(&x, &w, &labels, 1, 0.0).unwrap();
    let notes = notes_literal_loss(&x, &w, &labels, 1).unwrap();
    let want = ((1.0 + 2f64.exp()).ln() - 2f64.ln()) / 2.0;
    assert!((notes - paper - want).abs() <= 1e-12, "{notes} − {paper}");
    // the paper's loss of the first example alone is ln 2, whatever s
    let first = DMatrix::from_row_slice(1, 2, &[1.0, 1.0]);
    assert!((a_softmax_loss(&first, &w, &[0], 1, 0.0).unwrap() - 2f64.ln()).abs() <= 1e-12);
    let x = batch(2f64.sqrt());
    let (paper, notes) = (
        a_softmax_loss(&x, &w, &labels, 1, 0.0).unwrap(),
        notes_literal_loss(&x, &w, &labels, 1).unwrap(),
    );
    assert!((notes - paper).abs() <= 1e-12);
}

/// Exercise 5: the share `1/(1 + ζ_t)` of ψ, averaged over iterations 1 to 1800 of the
/// published schedule, is about 0.095; summed from the schedule, compared with the
/// integral of the solution.
#[test]
fn exercise_mean_share_of_psi_over_the_1800_iterations_is_about_0_095() {
    let a = Anneal::sphereface();
    let mean = (1..=1800u64)
        .map(|t| 1.0 / (1.0 + a.lambda(t).unwrap()))
        .sum::<f64>()
        / 1800.0;
    let t_floor = 199.0 / 0.12;
    let integral = t_floor - 1000.0 / 0.12 * (1200.0f64 / 1001.0).ln() + (1800.0 - t_floor) / 6.0;
    assert!((mean - integral / 1800.0).abs() <= 1e-3, "{mean}");
    assert!((mean - 0.095).abs() <= 5e-4, "{mean}");
    assert!(mean < 1.0 / 6.0);
}

/// Exercise 6: four unit features at 0°, 10° (class A), 40°, 55° (class B) meet the
/// criterion and verify with TAR = 1 at FAR = 0; with 75° for 55°, TAR = 1/2.
#[test]
fn exercise_four_features_one_threshold_verifies_all_pairs_or_half() {
    let features = |degrees: [f64; 4]| {
        DMatrix::from_fn(4, 2, |r, c| {
            let a = degrees[r].to_radians();
            if c == 0 { a.cos() } else { a.sin() }
        })
    };
    let labels = [0, 0, 1, 1];
    let f = features([0.0, 10.0, 40.0, 55.0]);
    let crit = feature_criterion(&f, &labels).unwrap();
    assert!((crit.max_intra.to_degrees() - 15.0).abs() <= 1e-9);
    assert!((crit.min_inter.to_degrees() - 30.0).abs() <= 1e-9);
    assert!(crit.holds());
    let (g, i) = pair_scores(&f, &labels, Similarity::Cosine).unwrap();
    assert_eq!(tar_at_far(&g, &i, 0.0).unwrap(), 1.0);
    let f = features([0.0, 10.0, 40.0, 75.0]);
    assert!(!feature_criterion(&f, &labels).unwrap().holds());
    let (g, i) = pair_scores(&f, &labels, Similarity::Cosine).unwrap();
    assert_eq!(tar_at_far(&g, &i, 0.0).unwrap(), 0.5);
}

// ------------------------------------- closed set vs open set, over seeds

/// The seen/unseen experiment at test size: 3 seeds, 8 epochs, 300 training
/// digits; trained once for the tests that read it.
fn seen_unseen3() -> &'static papernotes::sphereface::experiments::SeenUnseen {
    use papernotes::sphereface::experiments as ex;
    static RUN: std::sync::OnceLock<ex::SeenUnseen> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let plan = ex::Plan {
            seeds: 3,
            epochs: 8,
            train_rows: Some(300),
            ..ex::Plan::quick(42, Device::Cpu)
        };
        let data = ex::digits(&plan).unwrap();
        ex::seen_unseen(&plan, &data).unwrap()
    })
}

/// "Closed-set FR can be well addressed as a classification problem. Open-set
/// FR is a metric learning problem": features trained to classify the seen
/// digits (3 seeds) verify held-out pairs of those digits better than pairs of
/// digits never seen in training, by more than two standard errors of the
/// paired AUC gap, for softmax and for A-Softmax.
#[test]
fn classification_features_verify_unseen_classes_worse_over_seeds() {
    let su = seen_unseen3();
    for h in &su.heads {
        let gap = h.gap().unwrap();
        assert_eq!(gap.values.len(), 3);
        assert!(
            gap.above(0.0),
            "{:?}: seen − unseen AUC {}",
            h.head,
            gap.show(3)
        );
    }
}

/// "The key criterion for metric learning ... max intra-class distance <
/// min inter-class distance" as a worst case over all pairs: learned digit
/// features meet it in none of the 3 seeds, for either head, on seen or
/// unseen digits.
#[test]
fn strict_criterion_is_never_met_by_learned_features() {
    let su = seen_unseen3();
    for h in &su.heads {
        assert_eq!(h.criterion_holds, 0, "{:?}", h.head);
    }
}

/// "Separable ≠ discriminative and softmax is only separable": softmax
/// separates the training digits (accuracy above 0.95 in every seed) while its
/// test features sit at a wider mean angle from their class weight than
/// A-Softmax's, by more than two standard errors of the paired difference.
#[test]
fn softmax_separates_but_a_softmax_pulls_features_closer_over_seeds() {
    let su = seen_unseen3();
    assert!(
        su.heads[0].train_acc.iter().all(|&a| a > 0.95),
        "{:?}",
        su.heads[0].train_acc
    );
    let gap = su.angle_gap().unwrap();
    assert!(gap.above(0.0), "softmax − A-Softmax angle {}", gap.show(1));
}

proptest! {
    #![proptest_config(common::config())]

    /// Figure 5.1's regions, found on a grid of the circle from ψ itself, reach
    /// θ₁₂/(m+1) towards the other weight and θ₁₂/(m−1) away from it, with a
    /// band (m−1)θ₁₂/(m+1) between them: the closed forms the caption quotes,
    /// to within one grid step.
    #[test]
    fn margin_diagram_regions_match_the_closed_forms(m in 2u32..6, t in 0.2f64..1.0) {
        use papernotes::sphereface::experiments::margin_diagram;
        let theta12 = t * PI * f64::from(m - 1) / f64::from(m);
        let d = margin_diagram(m, theta12, 3600).unwrap();
        let tol = 1.5 * d.step;
        let (a1, a2) = (d.alphas[0], d.alphas[1]);
        prop_assert!((a1 - a2 - theta12).abs() < 1e-12);
        // Class 1 (left) reaches towards W₂ down to a1 − θ₁₂/(m+1) and away up to a1 + θ₁₂/(m−1).
        prop_assert!((d.arcs[0].0 - (a1 - theta12 / f64::from(m + 1))).abs() < tol);
        prop_assert!((d.arcs[0].1 - (a1 + theta12 / f64::from(m - 1))).abs() < tol);
        prop_assert!((d.arcs[1].1 - (a2 + theta12 / f64::from(m + 1))).abs() < tol);
        prop_assert!((d.arcs[0].0 - d.arcs[1].1 - d.band).abs() < 2.0 * tol);
    }
}

#[test]
fn margin_diagram_rejects_m_below_two_and_regions_past_pi() {
    use papernotes::sphereface::experiments::margin_diagram;
    for err in [
        margin_diagram(1, 1.0, 720).unwrap_err(),
        margin_diagram(2, 2.0, 720).unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        assert!(err.to_string().contains("m ≥ 2"), "{err}");
    }
    assert!(matches!(
        margin_diagram(4, 1.0, 4).unwrap_err(),
        Error::TooFew { .. }
    ));
}
