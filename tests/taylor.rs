//! Checks of every Taylor-series claim in the notes (chapter "Taylor series").
//!
//! Each test is named after the claim it decides; the chapter's claims ledger
//! points here. Tolerances are derived from the conditioning of the quantity
//! compared, in the comment next to each.

mod common;

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector};
use papernotes::Error;
use papernotes::diff::{Field, Scalar, ScalarFn, derivs1, value_gradient_hessian};
use papernotes::functions::Rosenbrock;
use papernotes::taylor::cancellation::{
    exp_series_direct, exp_series_error_bound, exp_series_reciprocal, exp_series_relative_bound,
    gamma,
};
use papernotes::taylor::fd::{central_difference, central_difference_bound};
use papernotes::taylor::functions::{
    ClosedForm, Cos, Exp, Flat, InverseSquare, Log1p, Sin, SmoothField, factorial,
};
use papernotes::taylor::multivariate::{
    QuadraticModel, directional_coefficients, loglog_slope, notes_hessian_term,
};
use papernotes::taylor::radius::estimate_radius;
use papernotes::taylor::series::{evaluate, exp_remainder, lagrange_bound, partial_sums};
use papernotes::taylor::{Jet, derivatives, flat, taylor_coefficients};
use proptest::prelude::*;

const EPS: f64 = f64::EPSILON;

/// A formula with the transcendental functions beyond the composite's:
/// atan, tanh, cosh and ln(1 + u).
struct Transcendental;

impl ScalarFn for Transcendental {
    fn eval<S: Scalar>(&self, x: S) -> S {
        x.atan() * x.tanh() + (x * S::cst(0.5)).cosh() - (x * x).ln_1p() * S::cst(0.3)
    }
}

/// At 0 the jets reproduce the textbook series: atan x = x − x³/3 + x⁵/5,
/// tanh x = x − x³/3 + 2x⁵/15, cosh x = 1 + x²/2 + x⁴/24, ln(1+x) = x − x²/2 + x³/3 − x⁴/4.
#[test]
fn jet_transcendentals_have_the_textbook_series_at_zero() {
    let t = Jet::<6>::variable(0.0);
    let close = |got: &[f64; 6], want: [f64; 6]| {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 4.0 * EPS, "{got:?} vs {want:?}");
        }
    };
    close(
        Scalar::atan(t).coeffs(),
        [0.0, 1.0, 0.0, -1.0 / 3.0, 0.0, 0.2],
    );
    close(
        Scalar::tanh(t).coeffs(),
        [0.0, 1.0, 0.0, -1.0 / 3.0, 0.0, 2.0 / 15.0],
    );
    close(
        Scalar::cosh(t).coeffs(),
        [1.0, 0.0, 0.5, 0.0, 1.0 / 24.0, 0.0],
    );
    close(
        Scalar::ln_1p(t).coeffs(),
        [0.0, 1.0, -0.5, 1.0 / 3.0, -0.25, 0.2],
    );
}

/// A composite formula that exercises every jet operation
/// (+, −, ×, ÷, exp, ln, sin, cos, sqrt, powi).
struct Composite;

impl ScalarFn for Composite {
    fn eval<S: Scalar>(&self, x: S) -> S {
        let one = S::cst(1.0);
        x.sin() * (-(x * x) * S::cst(0.5)).exp() + (one + x * x).sqrt() / (S::cst(2.0) + x.cos())
            - (one + x * x).ln()
            + x.powi(3) * S::cst(0.1)
            - (S::cst(3.0) + x).powi(-2)
    }
}

/// The coefficient scale of `f` at `a` used for jet tolerances: an envelope
/// `e_k ≥ |c_k|` that does not vanish where an oscillating `c_k` happens to.
fn envelope(which: usize, a: f64, k: usize) -> f64 {
    match which {
        0 => a.exp() / factorial(k),
        1 | 2 => 1.0 / factorial(k),
        3 => (1.0 + a * a).powf(-(k as f64 + 1.0) / 2.0),
        _ => {
            if k == 0 {
                a.ln_1p().abs().max(1.0)
            } else {
                1.0 / (k as f64 * (1.0 + a).powi(k as i32))
            }
        }
    }
}

fn jet_coeffs_of(which: usize, a: f64) -> [f64; 16] {
    match which {
        0 => taylor_coefficients::<16, _>(&Exp, a),
        1 => taylor_coefficients::<16, _>(&Sin, a),
        2 => taylor_coefficients::<16, _>(&Cos, a),
        3 => taylor_coefficients::<16, _>(&InverseSquare, a),
        _ => taylor_coefficients::<16, _>(&Log1p, a),
    }
    .unwrap()
}

fn closed_form(which: usize, k: usize, a: f64) -> f64 {
    match which {
        0 => Exp.derivative(k, a),
        1 => Sin.derivative(k, a),
        2 => Cos.derivative(k, a),
        3 => InverseSquare.derivative(k, a),
        _ => Log1p.derivative(k, a),
    }
}

fn unit(v: Vec<f64>) -> DVector<f64> {
    let d = DVector::from_vec(v);
    let n = d.norm();
    if n < 1e-3 {
        DVector::from_element(d.len(), 1.0 / (d.len() as f64).sqrt())
    } else {
        d / n
    }
}

fn smooth_field(dim: usize, params: &[f64], gamma3: f64) -> SmoothField {
    // three sine ridges; params supplies 3 amplitudes, 3 phases and 3·dim frequencies
    let a = params[0..3].to_vec();
    let b = params[3..6].to_vec();
    let w = (0..3)
        .map(|k| params[6 + k * dim..6 + (k + 1) * dim].to_vec())
        .collect();
    SmoothField::new(dim, a, w, b, gamma3).unwrap()
}

proptest! {
    #![proptest_config(common::config())]

    // ---------------------------------------------------------------- derivatives

    /// Jet coefficients equal closed-form derivatives divided by k!, up to order 15.
    #[test]
    fn jet_derivatives_match_closed_forms(which in 0usize..5, s in 0.0f64..1.0) {
        let a = match which {
            0 => -5.0 + 10.0 * s,
            1 | 2 => -10.0 + 20.0 * s,
            3 => -3.0 + 6.0 * s,
            _ => -0.9 + 5.9 * s,
        };
        let c = jet_coeffs_of(which, a);
        for (k, &ck) in c.iter().enumerate() {
            let want = closed_form(which, k, a) / factorial(k);
            // c_k is a sum of at most k products, each of terms bounded by a
            // small multiple of the envelope e_k; each product carries O(kε)
            // relative error, so |Δc_k| ≲ k²ε e_k. 16(k+1)²ε leaves room for the
            // closed form's own rounding (powf, sin of (k+1)θ) and nothing more.
            let tol = 16.0 * ((k + 1) * (k + 1)) as f64 * EPS * envelope(which, a, k);
            prop_assert!((ck - want).abs() <= tol, "f#{which} a={a} k={k}: jet {ck:e} vs closed form {want:e} (tol {tol:e})");
        }
    }

    /// The jet's f, f', f'' agree with autodiff's nested dual numbers.
    #[test]
    fn jet_matches_autodiff_first_and_second_derivatives(x in -2.5f64..2.5) {
        let jet = derivatives::<3, _>(&Composite, x).unwrap();
        let ad = derivs1(&Composite, x).unwrap();
        // Two exact methods, differing only in the order of roundings: the
        // results agree to a few ulps of the largest intermediate (≤ 50 here).
        for (j, a) in jet.iter().zip([ad.value, ad.d1, ad.d2]) {
            prop_assert!((j - a).abs() <= 1e-13 * (1.0 + a.abs()), "jet {j} vs autodiff {a} at x = {x}");
        }
    }

    /// The jet recurrences for atan, tanh, cosh and ln(1 + u) agree with
    /// autodiff's nested dual numbers on f, f', f''.
    #[test]
    fn jet_transcendentals_match_autodiff(x in -2.5f64..2.5) {
        let jet = derivatives::<3, _>(&Transcendental, x).unwrap();
        let ad = derivs1(&Transcendental, x).unwrap();
        // Both exact up to rounding; values are O(10), a few dozen operations.
        for (j, a) in jet.iter().zip([ad.value, ad.d1, ad.d2]) {
            prop_assert!((j - a).abs() <= 1e-13 * (1.0 + a.abs()), "jet {j} vs autodiff {a} at x = {x}");
        }
    }

    /// Jet arithmetic is power-series arithmetic: ln(exp(u)) = u and (u·v)/v = u.
    #[test]
    fn jet_operations_are_inverse_where_they_should_be(c in prop::array::uniform8(-1.0f64..1.0), d in prop::array::uniform8(-1.0f64..1.0)) {
        let u = Jet::<8>::from_coeffs(c);
        let mut dv = d;
        dv[0] = 2.0 + d[0]; // keep v_0 away from 0 so that division is defined
        let v = Jet::<8>::from_coeffs(dv);
        let back = (u * v) / v;
        let round = u.exp().ln();
        for ((b, r), ck) in back.coeffs().iter().zip(round.coeffs()).zip(c) {
            // entries of size ≤ 1 and v_0 ≥ 1: the recurrences are well conditioned,
            // about 8·(k+1) roundings of O(1) numbers per coefficient.
            prop_assert!((b - ck).abs() <= 1e-12);
            prop_assert!((r - ck).abs() <= 1e-12);
        }
    }

    /// Central differences are off by at most h²M₃/6 + u_f F/h (truncation + rounding).
    #[test]
    fn central_difference_error_obeys_step_size_bound(use_sin in any::<bool>(), x in -3.0f64..3.0, e in -9.0f64..-1.0) {
        let h = 10f64.powf(e);
        let (d, h_used, exact, m3, big_f) = if use_sin {
            let (d, h) = central_difference(&Sin, x, h).unwrap();
            (d, h, x.cos(), 1.0, 1.0)
        } else {
            let (d, h) = central_difference(&Exp, x, h).unwrap();
            let top = (x + h).exp();
            (d, h, x.exp(), top, top)
        };
        // u_f = ε: glibc's exp and sin are accurate to within 1 ulp ≤ ε|f|;
        // the reference derivative (cos x or e^x) adds another ε|f'|.
        let bound = central_difference_bound(h_used, m3, big_f, EPS, d) + EPS * exact.abs();
        prop_assert!((d - exact).abs() <= bound, "x={x} h={h_used:e}: error {:e} > bound {bound:e}", (d - exact).abs());
    }

    // ---------------------------------------------------------------- the notes' formula

    /// The series at a sums to f(x), not f(a): the left side must be f(x).
    #[test]
    fn notes_formula_left_side_must_be_f_of_x(a in -2.0f64..2.0, dist in 0.5f64..2.0, right in any::<bool>()) {
        let x = if right { a + dist } else { a - dist };
        let c = taylor_coefficients::<60, _>(&Exp, a).unwrap();
        let s = evaluate(&c, a, x).unwrap();
        // Terms are positive or alternating with Σ|terms| = e^{a+|x−a|} ≤ e^{a} e²,
        // so the rounding error is ≤ γ_180 e^{a}e² ≈ 1e-13·e^x·e^{2·2}; 1e-11 covers it.
        prop_assert!((s - x.exp()).abs() <= 1e-11 * x.exp(), "series {s} vs e^x {}", x.exp());
        // and it is nowhere near f(a): |e^x − e^a| ≥ (1 − e^{-0.5}) min(e^a, e^x)
        prop_assert!((s - a.exp()).abs() >= 0.39 * a.exp().min(x.exp()));
    }

    /// "f^n" without parentheses is a power: sin^{(2)} = −sin, but sin² ≥ 0.
    #[test]
    fn superscript_n_without_parentheses_is_a_power_not_a_derivative(a in 0.2f64..2.9) {
        let d = derivatives::<3, _>(&Sin, a).unwrap();
        prop_assert!((d[2] + a.sin()).abs() <= 4.0 * EPS); // f^{(2)}(a) = −sin a
        let power = a.sin().powi(2); // f^2(a) = sin² a > 0 on (0, π)
        prop_assert!(power > 0.0 && d[2] < 0.0);
        prop_assert!((power - d[2]).abs() >= a.sin() * (a.sin() + 1.0) * 0.99);
    }

    // ---------------------------------------------------------------- partial sums and remainder

    /// Each partial sum is the Taylor polynomial of that degree, at any centre:
    /// `S_n(x)` equals Horner's evaluation of `c_0..c_n` in powers of `x − a`.
    #[test]
    fn partial_sums_are_the_taylor_polynomials_at_any_centre(
        a in -3.0f64..3.0,
        x in -3.0f64..3.0,
        c in proptest::collection::vec(-2.0f64..2.0, 1..12),
    ) {
        let s = partial_sums(&c, a, x).unwrap();
        prop_assert_eq!(s.len(), c.len());
        let h = (x - a).abs();
        for n in 0..c.len() {
            let horner = evaluate(&c[..=n], a, x).unwrap();
            // Both sum the same n + 1 terms in a different order: each is within
            // γ_{2n+1} Σ|c_k| |x − a|^k of the exact value, so they differ by at most twice that.
            let scale: f64 = c[..=n].iter().enumerate().map(|(k, ck)| ck.abs() * h.powi(k as i32)).sum();
            prop_assert!((s[n] - horner).abs() <= 2.0 * gamma(2 * n + 1) * scale + f64::MIN_POSITIVE);
        }
    }

    /// Lagrange's bound is `M |x − a|^{n+1} / (n+1)!` at any centre, including `M = 0`.
    #[test]
    fn lagrange_bound_is_the_textbook_expression_at_any_centre(
        a in -3.0f64..3.0,
        x in -3.0f64..3.0,
        n in 0usize..15,
        m in 0.0f64..5.0,
    ) {
        let direct = m * (x - a).abs().powi(n as i32 + 1)
            / (1..=n + 1).map(|k| k as f64).product::<f64>();
        let b = lagrange_bound(m, a, x, n).unwrap();
        // n + 2 roundings in each of two orders of evaluation.
        prop_assert!((b - direct).abs() <= 2.0 * gamma(n + 2) * direct + f64::MIN_POSITIVE);
        prop_assert_eq!(lagrange_bound(0.0, a, x, n).unwrap(), 0.0);
    }

    /// The tail sum is the remainder: `S_n(x) + R_n(x) = e^x`, and the tail has
    /// the sign of `x^{n+1}` (all its terms do, once they decrease).
    #[test]
    fn exp_remainder_completes_the_partial_sum(x in -8.0f64..8.0, n in 0usize..30) {
        let c = taylor_coefficients::<40, _>(&Exp, 0.0).unwrap();
        let s = partial_sums(&c, 0.0, x).unwrap();
        let r = exp_remainder(x, n).unwrap();
        // Every partial sum of e^{|x|}'s series is at most e^{|x|}: the rounding of
        // both sums is below γ_{3·40} e^{|x|}.
        prop_assert!((s[n] + r - x.exp()).abs() <= gamma(120) * x.abs().exp());
        if n as f64 + 1.0 > x.abs() && x != 0.0 {
            prop_assert_eq!(r.signum(), x.powi(n as i32 + 1).signum());
        }
    }

    /// The notes' figure: partial sums of e^x at 0 converge to e^x at every x.
    #[test]
    fn exp_partial_sums_converge_to_exp_everywhere(x in -10.0f64..10.0) {
        let c = taylor_coefficients::<80, _>(&Exp, 0.0).unwrap();
        let s = partial_sums(&c, 0.0, x).unwrap();
        let n = s.len() - 1;
        // |S_n − e^x| ≤ Lagrange bound + rounding γ_{3n} Σ|c_k x^k| = γ_{3n} e^{|x|}.
        let allowed = lagrange_bound(x.max(0.0).exp(), 0.0, x, n).unwrap() + gamma(3 * n) * x.abs().exp();
        prop_assert!((s[n] - x.exp()).abs() <= allowed + EPS * x.exp());
        // once the terms decrease (k > |x|), each further term shrinks the exact error:
        // |R_{k+1}| ≤ |R_k| with the remainder summed as a tail (no cancellation).
        let start = x.abs().ceil() as usize + 1;
        for k in start..40 {
            let (r0, r1) = (exp_remainder(x, k).unwrap(), exp_remainder(x, k + 1).unwrap());
            prop_assert!(r1.abs() <= r0.abs());
        }
    }

    /// |f(x) − T_n(x)| ≤ M |x|^{n+1}/(n+1)! for exp, sin and cos at 0.
    #[test]
    fn truncated_series_error_obeys_lagrange_bound(which in 0usize..3, x in -5.0f64..5.0, n in 0usize..25) {
        let (c, fx, m): (Vec<f64>, f64, f64) = match which {
            0 => (taylor_coefficients::<26, _>(&Exp, 0.0).unwrap().to_vec(), x.exp(), x.max(0.0).exp()),
            1 => (taylor_coefficients::<26, _>(&Sin, 0.0).unwrap().to_vec(), x.sin(), 1.0),
            _ => (taylor_coefficients::<26, _>(&Cos, 0.0).unwrap().to_vec(), x.cos(), 1.0),
        };
        let t = evaluate(&c[..=n], 0.0, x).unwrap();
        let bound = lagrange_bound(m, 0.0, x, n).unwrap();
        // The computed difference f(x) − T_n(x) carries Horner's rounding error,
        // at most γ_{2n} Σ|c_k x^k| ≤ γ_{2n} e^{|x|}, plus ε|f(x)| from libm and
        // ε|T_n| for the subtraction.
        let rounding = gamma(2 * n + 2) * x.abs().exp() + EPS * (fx.abs() + t.abs());
        prop_assert!((fx - t).abs() <= bound + rounding, "f#{which} x={x} n={n}: |R|={:e} > {bound:e}", (fx - t).abs());
    }

    /// For exp the bound is tight to within the factor e^{|x|}: R = e^ξ x^{n+1}/(n+1)!.
    #[test]
    fn lagrange_bound_for_exp_is_within_factor_e_to_abs_x(mag in 0.01f64..5.0, neg in any::<bool>(), n in 5usize..30) {
        let x = if neg { -mag } else { mag };
        let r = exp_remainder(x, n).unwrap(); // tail sum, accurate since n + 1 > |x|
        let bound = lagrange_bound(x.max(0.0).exp(), 0.0, x, n).unwrap();
        // 1e-12: relative accuracy of the tail sum (≤ 6 γ_{3K}) and of the bound (γ_{n+1}).
        prop_assert!(r.abs() <= bound * (1.0 + 1e-12));
        prop_assert!(bound <= r.abs() * mag.exp() * (1.0 + 1e-12));
    }

    // ---------------------------------------------------------------- radius of convergence

    /// 1/(1+x²): for |x| < 1 the partial sums converge, the error shrinking like x^{2m}.
    #[test]
    fn inverse_square_series_converges_inside_radius_one(x in -0.95f64..0.95) {
        let c = taylor_coefficients::<200, _>(&InverseSquare, 0.0).unwrap();
        let s = partial_sums(&c, 0.0, x).unwrap();
        let f = 1.0 / (1.0 + x * x);
        // exact: S_{2m} − f = −(−x²)^{m+1}/(1+x²); rounding ≤ γ_{2m} Σ x^{2k} ≤ γ_{2m}/(1−x²)
        for m in 1..99 {
            let exact_err = x.powi(2 * m as i32 + 2) / (1.0 + x * x);
            let rounding = gamma(2 * (2 * m + 1)) / (1.0 - x * x);
            prop_assert!(((s[2 * m] - f).abs() - exact_err).abs() <= rounding + EPS);
        }
    }

    /// 1/(1+x²): for |x| > 1 the terms and the error grow without bound.
    #[test]
    fn inverse_square_series_diverges_beyond_radius_one(mag in 1.05f64..3.0, neg in any::<bool>()) {
        let x = if neg { -mag } else { mag };
        let c = taylor_coefficients::<200, _>(&InverseSquare, 0.0).unwrap();
        let s = partial_sums(&c, 0.0, x).unwrap();
        let f = 1.0 / (1.0 + x * x);
        let mut last = 0.0;
        for m in (10..99).step_by(10) {
            let err = (s[2 * m] - f).abs();
            // |S_{2m} − f| = x^{2m+2}/(1+x²) exactly; its floating-point value is
            // within a relative γ_{4m} (all partial sums are sums of ± powers).
            let exact_err = x.powi(2 * m as i32 + 2) / (1.0 + x * x);
            prop_assert!((err - exact_err).abs() <= 1e-10 * exact_err);
            prop_assert!(err > last);
            last = err;
        }
        prop_assert!(last > 1.05f64.powi(198) / 10.0 - 1.0); // > 1e3: unbounded growth
    }

    /// ln(1+x): converges for |x| < 1, terms x^n/n grow without bound for x > 1.
    #[test]
    fn log1p_series_converges_inside_and_diverges_beyond_radius_one(inside in -0.9f64..0.9, outside in 1.1f64..2.0) {
        let c = taylor_coefficients::<128, _>(&Log1p, 0.0).unwrap();
        let s = partial_sums(&c, 0.0, inside).unwrap();
        // |R_n| ≤ |x|^{n+1}/((n+1)(1−|x|)) (geometric tail bound); rounding γ_{2n}·Σ|x|^k/k ≤ γ_{2n}·ln(1/(1−|x|))·… ≤ 1e-13
        let n = 127;
        let tail = inside.abs().powi(n as i32 + 1) / ((n as f64 + 1.0) * (1.0 - inside.abs()));
        prop_assert!((s[n] - inside.ln_1p()).abs() <= tail + 1e-13);
        let terms: Vec<f64> = (1..128).map(|k| (c[k] * outside.powi(k as i32)).abs()).collect();
        prop_assert!(terms[126] > 1.0 && terms[126] > terms[63]);
        let s_out = partial_sums(&c, 0.0, outside).unwrap();
        prop_assert!((s_out[127] - s_out[126]).abs() > 1.0); // consecutive partial sums differ by > 1
    }

    /// The radius estimated from 96 coefficients is the distance to the nearest
    /// complex singularity: 1 + a for ln(1+x), sqrt(1+a²) for 1/(1+x²).
    #[test]
    fn radius_estimate_matches_distance_to_nearest_singularity(a_log in -0.5f64..2.0, a_inv in -1.0f64..1.0) {
        let c = taylor_coefficients::<96, _>(&Log1p, a_log).unwrap();
        let r = estimate_radius(&c, 24, 8).unwrap();
        // the model ln|c_n| = −ln n − n ln(1+a) is exact here: only rounding remains
        prop_assert!((r.radius / (1.0 + a_log) - 1.0).abs() <= 1e-6, "ln(1+x) at {a_log}: {}", r.radius);
        let c = taylor_coefficients::<96, _>(&InverseSquare, a_inv).unwrap();
        let r = estimate_radius(&c, 24, 8).unwrap();
        // The envelope of |sin((n+1)θ)| r^{-(n+1)} is sampled at block maxima. For
        // θ ∈ [π/4, 3π/4] eight consecutive phases (n+1)θ mod π leave no gap wider
        // than π/2, so the block maximum of |sin| lies in [1/√2, 1]: ln|c_n| is off
        // the model by a δ_n in an interval of width ln √2. The intercept absorbs
        // the interval's midpoint; the rest moves the fitted ln R by at most
        // ‖row of the pseudo-inverse for the n column‖₁ · (ln √2)/2, and that row
        // norm is ≤ 0.263 for 9 blocks of 8 starting at 24 (any maximum position
        // in the block): 0.263 · 0.1733 ≈ 0.0456 in ln R. (The `α ln n` column is
        // why this is larger than the naive slope bias ln √2 / 72.)
        let want = (1.0 + a_inv * a_inv).sqrt();
        prop_assert!((r.radius / want).ln().abs() <= 0.046, "1/(1+x²) at {a_inv}: {} vs {want}", r.radius);
    }

    // ---------------------------------------------------------------- e^{-1/x²}

    /// Every derivative of e^{−1/x²} tends to 0 at 0 (and is 0 there).
    #[test]
    fn flat_function_has_all_derivatives_zero_at_origin(n in 0usize..12, mag in 1e-3f64..0.05, neg in any::<bool>()) {
        let x = if neg { -mag } else { mag };
        prop_assert_eq!(flat::derivative(n, 0.0).unwrap(), 0.0);
        // |f^{(n)}(x)| = |P_n(u)| e^{−u²} with u ≥ 20: e^{−400} ≈ 2e-174 and
        // |P_n(20)| ≤ 2^n (3n)!·20^{3n}/… < 1e70 for n < 12, so < 1e-100.
        let d = flat::derivative(n, x).unwrap();
        prop_assert!(d.abs() <= 1e-100, "f^({n})({x}) = {d:e}");
        // difference quotient of f^{(n)} at 0: (f^{(n)}(x) − 0)/x → 0, so f^{(n+1)}(0) = 0
        prop_assert!((d / x).abs() <= 1e-97);
    }

    /// The closed form P_n(1/x) e^{−1/x²} agrees with the jet of the formula away from 0.
    #[test]
    fn flat_closed_form_matches_jet_away_from_origin(mag in 0.3f64..3.0, neg in any::<bool>()) {
        let x = if neg { -mag } else { mag };
        let jet = derivatives::<10, _>(&Flat, x).unwrap();
        for (n, j) in jet.iter().enumerate() {
            let cf = flat::derivative(n, x).unwrap();
            // both are exact formulas; they differ by rounding in sums whose terms
            // are up to ~1e3 times larger than the result near x = 0.3.
            prop_assert!((j - cf).abs() <= 1e-9 * (1.0 + cf.abs()) * factorial(n), "n={n} x={x}: {j:e} vs {cf:e}");
        }
    }

    /// The Taylor series of e^{−1/x²} at 0 is 0 and converges, to the wrong function.
    #[test]
    fn flat_function_series_converges_to_the_wrong_function(mag in 0.1f64..3.0, neg in any::<bool>(), n in 0usize..30) {
        let x = if neg { -mag } else { mag };
        let coeffs: Vec<f64> = (0..=n).map(|k| flat::derivative(k, 0.0).unwrap() / factorial(k)).collect();
        let t = evaluate(&coeffs, 0.0, x).unwrap();
        prop_assert_eq!(t, 0.0);
        let f = flat::value(x).unwrap();
        // flat::value works in logarithms: exp of an argument of size u² ≤ 100
        // carries a relative error ≤ 100ε, hence 1e-12.
        prop_assert!(f > 0.0 && (f / (-1.0 / (x * x)).exp() - 1.0).abs() <= 1e-12);
        prop_assert!((f - t).abs() >= (-100.0f64).exp()); // the error does not shrink with n
    }

    // ---------------------------------------------------------------- cancellation

    /// The direct sum's error for x ∈ [−30, 30] is within the a-priori bound γ_{3N} Σ|t_k|.
    #[test]
    fn direct_exp_series_error_within_a_priori_bound(x in -30.0f64..30.0) {
        let s = exp_series_direct(x).unwrap();
        let bound = exp_series_error_bound(&s, x);
        // + ε e^x: the reference value exp(x) is itself within 1 ulp
        prop_assert!((s.value - x.exp()).abs() <= bound + EPS * x.exp(), "x={x}: error {:e} > bound {bound:e}", (s.value - x.exp()).abs());
        // Σ|t_k| = e^{|x|} (up to rounding): the bound is γ_{3N} e^{|x|}
        prop_assert!((s.abs_sum / x.abs().exp() - 1.0).abs() <= gamma(3 * s.terms));
    }

    /// Summing positive terms and taking the reciprocal is accurate to γ_{3N+1}.
    #[test]
    fn reciprocal_exp_series_is_accurate_for_negative_x(x in -30.0f64..-5.0) {
        let s = exp_series_reciprocal(x).unwrap();
        let rel = (s.value - x.exp()).abs() / x.exp();
        let bound = exp_series_relative_bound(&s, x);
        prop_assert!(rel <= bound + EPS, "x={x}: relative error {rel:e} > {bound:e}");
        // the bound itself is small: N ≤ 100 terms, so γ_{301} < 4e-14
        prop_assert!(bound < 4e-14);
    }

    /// The truncation part of the reciprocal sum's relative bound covers the omitted
    /// tail Σ_{k>N} |x|^k/k!, summed directly, relative to the positive-term sum.
    #[test]
    fn relative_bound_covers_the_omitted_tail_summed_directly(x in -30.0f64..30.0) {
        let s = exp_series_reciprocal(x).unwrap();
        let y = x.abs();
        // the next 60 terms after t_N: beyond them each ratio y/k < 1/3 has
        // shrunk the terms far below the first omitted one
        let (mut t, mut tail) = (s.last_term, 0.0f64);
        for k in s.terms + 1..=s.terms + 60 {
            t *= y / k as f64;
            tail += t;
        }
        let truncation = exp_series_relative_bound(&s, x) - gamma(3 * s.terms + 1);
        // 1e-12: the rounding of the 60-term tail sum and of the bound's own arithmetic
        prop_assert!(truncation >= tail / s.abs_sum * (1.0 - 1e-12), "x={x}: truncation part {truncation:e} < tail {:e}", tail / s.abs_sum);
    }

    // ---------------------------------------------------------------- several variables

    /// g(s) = f(x + sΔ) has g'(0) = ∇fᵀΔ and g''(0) = ΔᵀHΔ: the model's
    /// coefficients (autodiff) agree with the jet of the function along Δ.
    #[test]
    fn quadratic_model_matches_directional_derivatives(dim in 2usize..5, p in prop::collection::vec(-1.5f64..1.5, 18), x0 in prop::collection::vec(-1.0f64..1.0, 4), d0 in prop::collection::vec(-1.0f64..1.0, 4), g3 in -1.0f64..1.0) {
        let f = smooth_field(dim, &p, g3);
        let x = DVector::from_vec(x0[..dim].to_vec());
        let d = unit(d0[..dim].to_vec());
        let m = QuadraticModel::at(&f, &x).unwrap();
        let c = directional_coefficients::<3, _>(&f, &x, &d).unwrap();
        // both exact up to rounding of O(10) operations on O(10)-sized numbers
        prop_assert!((c[0] - m.value).abs() <= 1e-12);
        prop_assert!((c[1] - m.gradient.dot(&d)).abs() <= 1e-12);
        prop_assert!((2.0 * c[2] - d.dot(&(&m.hessian * &d))).abs() <= 1e-11);
    }

    /// The second-order remainder along Δ satisfies R(t)/t³ → D³f[Δ,Δ,Δ]/6: it is O(t³).
    #[test]
    fn taylor_second_order_remainder_shrinks_like_cube(dim in 2usize..5, p in prop::collection::vec(-1.5f64..1.5, 18), x0 in prop::collection::vec(-1.0f64..1.0, 4), d0 in prop::collection::vec(-1.0f64..1.0, 4), g3 in -1.0f64..1.0) {
        let f = smooth_field(dim, &p, g3);
        let x = DVector::from_vec(x0[..dim].to_vec());
        let d = unit(d0[..dim].to_vec());
        let m = QuadraticModel::at(&f, &x).unwrap();
        let c = directional_coefficients::<8, _>(&f, &x, &d).unwrap();
        let fx_scale = 1.0 + m.value.abs() + m.gradient.norm() + m.hessian.norm();
        for k in 0..6 {
            let t = 0.02 / 2f64.powi(k);
            let r = m.remainder(&f, &(&d * t)).unwrap();
            // R(t) − c₃t³ = Σ_{j≥4} c_j t^j. Along the line g is analytic with
            // radius ≥ 1 (the log term's complex zeros of 1 + ‖x+sΔ‖² lie at
            // |Im s| ≥ 1), so for t ≤ 0.02 the tail is below 2 Σ_{j=4}^{7} |c_j| t^j.
            // Rounding: f(x+tΔ) and m(tΔ) are O(fx_scale) sums of ~40 operations: 64ε·fx_scale.
            let tail: f64 = (4..8).map(|j| c[j].abs() * t.powi(j as i32)).sum();
            let allowed = 2.0 * tail + 64.0 * EPS * fx_scale;
            prop_assert!((r - c[3] * t.powi(3)).abs() <= allowed, "t={t}: R={r:e}, c3 t³={:e}", c[3] * t.powi(3));
        }
    }

    /// Halving t divides the remainder by about 8, and the log-log slope is about 3.
    #[test]
    fn taylor_second_order_loglog_slope_is_three(dim in 2usize..5, p in prop::collection::vec(-1.5f64..1.5, 18), x0 in prop::collection::vec(-1.0f64..1.0, 4), d0 in prop::collection::vec(-1.0f64..1.0, 4), g3 in -1.0f64..1.0) {
        let f = smooth_field(dim, &p, g3);
        let x = DVector::from_vec(x0[..dim].to_vec());
        let d = unit(d0[..dim].to_vec());
        let c = directional_coefficients::<5, _>(&f, &x, &d).unwrap();
        // The slope is 3 when the cubic term dominates on the fitted range:
        // require |c₃| ≥ 0.05, so that c₄t/c₃ ≤ 0.2·|c₄| at t = 0.01.
        prop_assume!(c[3].abs() >= 0.05);
        let m = QuadraticModel::at(&f, &x).unwrap();
        let pts: Vec<(f64, f64)> = (0..8)
            .map(|k| {
                let t = 0.01 / 2f64.powi(k);
                (t, m.remainder(&f, &(&d * t)).unwrap().abs())
            })
            .collect();
        let slope = loglog_slope(&pts).unwrap();
        prop_assert!((slope - 3.0).abs() <= 0.1, "slope {slope}");
        let ratio = pts[7].1 / pts[6].1;
        prop_assert!((ratio - 0.125).abs() <= 0.01, "R(t/2)/R(t) = {ratio}");
    }

    /// The notes' ½ H Δx Δxᵀ is an n×n matrix; the scalar the expansion needs is its trace.
    #[test]
    fn notes_hessian_term_is_a_matrix_not_a_scalar(n in 2usize..6, h in prop::collection::vec(-2.0f64..2.0, 36), v in prop::collection::vec(-1.0f64..1.0, 6)) {
        let hm = DMatrix::from_fn(n, n, |i, j| h[i.min(j) * 6 + i.max(j)]); // symmetric
        let d = DVector::from_vec(v[..n].to_vec());
        let notes = notes_hessian_term(&hm, &d).unwrap();
        prop_assert_eq!(notes.shape(), (n, n));
        let correct = 0.5 * d.dot(&(&hm * &d));
        // tr(HΔΔᵀ) = ΔᵀHΔ: the same n² products summed in another order
        prop_assert!((notes.trace() - correct).abs() <= 1e-13 * (1.0 + hm.norm() * d.norm_squared()));
        // and the matrix is rank one: it is not a scalar multiple of a 1×1 thing
        prop_assert!(notes.rank(1e-12 * (1.0 + notes.norm())) <= 1);
    }

    /// Newton's 1-D model f + f'Δ + ½f''Δ² leaves a remainder f'''(x)Δ³/6 + O(Δ⁴).
    #[test]
    fn second_order_expansion_1d_remainder_is_cubic(x in -2.0f64..2.0) {
        let d = derivs1(&Composite, x).unwrap();
        let c = taylor_coefficients::<8, _>(&Composite, x).unwrap();
        for k in 0..5 {
            let h = 0.02 / 2f64.powi(k);
            let r = Composite.eval(x + h) - (d.value + d.d1 * h + 0.5 * d.d2 * h * h);
            // tail beyond c₃h³ below 2 Σ_{4..7} |c_j| h^j (radius ≥ 1: nearest
            // singularity of the composite is (3+x)^{-2} at −3 or 1+x² = 0 at ±i);
            // rounding: ~30 operations on O(10) values.
            let tail: f64 = (4..8).map(|j| c[j].abs() * h.powi(j as i32)).sum();
            prop_assert!((r - c[3] * h.powi(3)).abs() <= 2.0 * tail + 64.0 * EPS * (1.0 + d.value.abs()) * 10.0);
        }
    }
}

// -------------------------------------------------------------------- unit tests

#[test]
fn direct_exp_series_at_minus_20_is_wildly_wrong() {
    let s = exp_series_direct(-20.0).unwrap();
    let truth = (-20f64).exp();
    let rel = (s.value - truth).abs() / truth;
    // The largest term is 20^20/20! ≈ 4.3e7 (k = 19 and 20 tie).
    assert_relative_eq!(
        s.max_term,
        20f64.powi(20) / factorial(20),
        max_relative = 1e-13
    );
    // The a-priori bound γ_{3N} e^{20} ≈ 8e-6 is 4000 times e^{-20}: nothing
    // guarantees a single correct digit, and indeed there is none.
    assert!(exp_series_error_bound(&s, -20.0) > 1e3 * truth);
    assert!(rel > 0.5, "relative error {rel}");
    let fixed = exp_series_reciprocal(-20.0).unwrap();
    assert!((fixed.value - truth).abs() / truth < 1e-14);
}

#[test]
fn radius_estimate_grows_without_bound_for_exp() {
    let r32 = estimate_radius(&taylor_coefficients::<32, _>(&Exp, 0.0).unwrap(), 8, 2)
        .unwrap()
        .radius;
    let r64 = estimate_radius(&taylor_coefficients::<64, _>(&Exp, 0.0).unwrap(), 16, 4)
        .unwrap()
        .radius;
    let r96 = estimate_radius(&taylor_coefficients::<96, _>(&Exp, 0.0).unwrap(), 24, 8)
        .unwrap()
        .radius;
    // ln(1/n!) has slope −ln n: the fitted "radius" ≈ n grows with the order (R = ∞)
    assert!(r32 < r64 && r64 < r96 && r96 > 30.0, "{r32} {r64} {r96}");
}

#[test]
fn central_difference_error_is_smallest_near_cube_root_of_epsilon() {
    let errors: Vec<(f64, f64)> = (1..=10)
        .map(|k| {
            let h = 10f64.powi(-k);
            let (d, _) = central_difference(&Exp, 1.0, h).unwrap();
            (h, (d - 1f64.exp()).abs())
        })
        .collect();
    let best = errors.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    // h* = (3ε/1)^{1/3} ≈ 8.7e-6 for F = M₃ = e: the best of the decades is 1e-5 or a neighbour.
    assert!((1e-7..=1e-4).contains(&best.0), "best step {:e}", best.0);
    assert!(errors[0].1 > 1e3 * best.1 && errors[9].1 > 1e3 * best.1);
}

#[test]
fn rosenbrock_remainder_is_exactly_cubic_plus_quartic() {
    // A quartic: R(t) = c₃t³ + c₄t⁴ exactly, so R(t)/t³ − c₃ = c₄ t.
    let x = DVector::from_vec(vec![-1.2, 1.0]);
    let d = DVector::from_vec(vec![0.6, 0.8]);
    let m = QuadraticModel::at(&Rosenbrock, &x).unwrap();
    let c = directional_coefficients::<6, _>(&Rosenbrock, &x, &d).unwrap();
    assert_eq!(&c[5..], &[0.0]);
    for t in [1e-1, 1e-2, 1e-3] {
        let r = m.remainder(&Rosenbrock, &(&d * t)).unwrap();
        // rounding of f(x+tΔ) ≈ 24 and of the model: a few ε·24
        assert!(
            (r - c[3] * t.powi(3) - c[4] * t.powi(4)).abs() <= 64.0 * EPS * 30.0,
            "t={t}"
        );
    }
}

// -------------------------------------------------------------------- error paths

#[test]
fn error_non_finite_center() {
    let err = taylor_coefficients::<4, _>(&Exp, f64::NAN).unwrap_err();
    assert!(matches!(err, Error::NonFinite { name: "a", .. }));
    assert!(err.to_string().contains("`a` must be finite"), "{err}");
}

#[test]
fn error_formula_undefined_at_center() {
    // ln(1 + x) at x = −1.5, and e^{−1/x²} at 0 (the formula divides by 0;
    // the function's derivatives there are limits, see `flat`).
    let err = derivatives::<4, _>(&Log1p, -1.5).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = taylor_coefficients::<4, _>(&Flat, 0.0).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }));
    assert!(err.to_string().contains("Taylor coefficient"), "{err}");
}

#[test]
fn error_empty_coefficients() {
    let err = evaluate(&[], 0.0, 1.0).unwrap_err();
    assert!(matches!(
        err,
        Error::TooFew {
            needed: 1,
            got: 0,
            ..
        }
    ));
    assert!(err.to_string().contains("coefficients"), "{err}");
    assert!(matches!(
        partial_sums(&[], 0.0, 1.0).unwrap_err(),
        Error::TooFew { .. }
    ));
    assert!(matches!(
        evaluate(&[1.0], 0.0, f64::INFINITY).unwrap_err(),
        Error::NonFinite { .. }
    ));
}

#[test]
fn error_negative_derivative_bound() {
    let err = lagrange_bound(-1.0, 0.0, 1.0, 3).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "M", .. }));
    assert!(err.to_string().contains("non-negative"), "{err}");
    assert!(matches!(
        lagrange_bound(1.0, f64::NAN, 1.0, 3).unwrap_err(),
        Error::NonFinite { .. }
    ));
}

#[test]
fn error_non_positive_or_vanishing_step() {
    for h in [0.0, -1e-3] {
        let err = central_difference(&Exp, 1.0, h).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "h", .. }));
        assert!(err.to_string().contains("positive"), "{err}");
    }
    let err = central_difference(&Exp, 1.0, 1e-300).unwrap_err();
    assert!(err.to_string().contains("below the spacing"), "{err}");
    assert!(matches!(
        central_difference(&Log1p, -1.0, 1e-3).unwrap_err(),
        Error::NonFinite { .. }
    ));
}

#[test]
fn error_radius_needs_enough_nonzero_coefficients() {
    // blocks [1, 0.5] (largest at n = 0, which the model ln n cannot use),
    // [0, 0] (all zero) and [0.25, 0]: one usable point.
    let err = estimate_radius(&[1.0, 0.5, 0.0, 0.0, 0.25, 0.0], 0, 2).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooFew {
                needed: 4,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("nonzero coefficient"), "{err}");
    assert!(matches!(
        estimate_radius(&[1.0; 10], 0, 0).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        estimate_radius(&[1.0, f64::NAN], 0, 1).unwrap_err(),
        Error::NonFinite { .. }
    ));
    // a polynomial has an infinite radius, not an error
    assert!(
        estimate_radius(&[1.0, 2.0, 0.0, 0.0], 2, 1)
            .unwrap()
            .radius
            .is_infinite()
    );
}

#[test]
fn error_exp_series_input_out_of_range() {
    let err = exp_series_direct(800.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "x", .. }));
    assert!(err.to_string().contains("at most 700"), "{err}");
    assert!(matches!(
        exp_series_reciprocal(f64::NEG_INFINITY).unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        exp_remainder(f64::NAN, 3).unwrap_err(),
        Error::NonFinite { .. }
    ));
}

#[test]
fn error_step_or_point_of_wrong_length() {
    let x = DVector::from_vec(vec![0.0, 0.0]);
    let m = QuadraticModel::at(&Rosenbrock, &x).unwrap();
    let err = m.eval(&DVector::from_vec(vec![1.0, 2.0, 3.0])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(
        err.to_string()
            .contains("expected 2 coordinates, got 3 coordinates"),
        "{err}"
    );
    let err = QuadraticModel::at(&Rosenbrock, &DVector::from_vec(vec![1.0])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = directional_coefficients::<3, _>(&Rosenbrock, &x, &DVector::from_vec(vec![1.0]))
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    assert!(matches!(
        m.eval(&DVector::from_vec(vec![f64::NAN, 0.0])).unwrap_err(),
        Error::NonFinite { .. }
    ));
    // value_gradient_hessian rejects the same mismatch for the adapter
    assert!(value_gradient_hessian(&Rosenbrock, &DVector::from_vec(vec![1.0, 2.0, 3.0])).is_err());
}

#[test]
fn error_loglog_needs_two_positive_points() {
    let err = loglog_slope(&[(1.0, 1.0)]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooFew {
                needed: 2,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = loglog_slope(&[(1.0, 1.0), (2.0, 0.0)]).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }));
    assert!(err.to_string().contains("positive finite"), "{err}");
    assert!(matches!(
        loglog_slope(&[(1.0, 1.0), (1.0, 2.0)]).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
}

#[test]
fn error_smooth_field_parameters_mis_shaped() {
    let err = SmoothField::new(
        2,
        vec![1.0],
        vec![vec![1.0, 2.0], vec![0.0, 1.0]],
        vec![0.0],
        0.0,
    )
    .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(err.to_string().contains("one per amplitude"), "{err}");
    let err = SmoothField::new(2, vec![1.0], vec![vec![1.0]], vec![0.0], 0.0).unwrap_err();
    assert!(err.to_string().contains("expected 2 entries"), "{err}");
    assert!(matches!(
        SmoothField::new(0, vec![], vec![], vec![], 0.0).unwrap_err(),
        Error::TooFew { .. }
    ));
    assert!(matches!(
        SmoothField::new(1, vec![f64::NAN], vec![vec![1.0]], vec![0.0], 0.0).unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert_eq!(
        SmoothField::new(1, vec![1.0], vec![vec![1.0]], vec![0.0], 0.0)
            .unwrap()
            .dim(),
        1
    );
}

#[test]
fn error_flat_non_finite_input_or_overflow() {
    let err = flat::derivative(3, f64::NAN).unwrap_err();
    assert!(matches!(err, Error::NonFinite { name: "x", .. }));
    assert!(err.to_string().contains("must be finite"), "{err}");
    // P_400 has coefficients beyond the f64 range: an error, not ∞ or NaN
    let err = flat::derivative(400, 0.5).unwrap_err();
    assert!(err.to_string().contains("overflow"), "{err}");
}

#[test]
fn error_hessian_and_step_of_different_sizes() {
    let h = DMatrix::<f64>::identity(3, 3);
    let err = notes_hessian_term(&h, &DVector::from_vec(vec![1.0, 2.0])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(
        err.to_string()
            .contains("a 2 × 2 Hessian for a step of length 2"),
        "{err}"
    );
}

// The chapter's exercises. Each test computes the answer that the exercise's solution
// states, independently of the derivation there, and is named in that solution.

/// Exercise 1: Lagrange's bound with `M = e` asks for `n = 13` (14 terms) to reach
/// `|e − T_n(1)| ≤ 1e-10`, and the true remainder shows that 13 terms are not enough.
#[test]
fn exercise_exp_at_one_needs_fourteen_terms_for_1e_minus_10() {
    let e = 1f64.exp();
    let n = (0..40)
        .find(|&n| lagrange_bound(e, 0.0, 1.0, n).unwrap() <= 1e-10)
        .unwrap();
    assert_eq!(n, 13);
    // the true remainder, summed as the tail Σ_{k>n} 1/k!
    assert!(exp_remainder(1.0, 13).unwrap() <= 1e-10);
    assert!(exp_remainder(1.0, 12).unwrap() > 1e-10);
}

/// Exercise 2: the radius is the distance to the nearest complex singularity:
/// `|2 − i| = √5` for `1/(1+x²)` at 2, and `3 − (−1) = 4` for `ln(1+x)` at 3.
#[test]
fn exercise_radius_is_distance_to_nearest_singularity_at_new_centres() {
    // 1/(1+x²) at 2: the terms |c_n| r^n die out for r = 0.9√5 and blow up for r = 1.1√5
    // (|c_n| = |sin((n+1)θ)| 5^{−(n+1)/2}, so the largest of a block of 16 terms near
    // n = 112 is about 0.9^112/√5 ≈ 3e-6, or 1.1^112/√5 ≈ 2e4).
    let c = taylor_coefficients::<128, _>(&InverseSquare, 2.0).unwrap();
    let largest_late_term = |r: f64| {
        (112..128)
            .map(|n| (c[n] * r.powi(n as i32)).abs())
            .fold(0.0, f64::max)
    };
    assert!(largest_late_term(0.9 * 5f64.sqrt()) < 1e-4);
    assert!(largest_late_term(1.1 * 5f64.sqrt()) > 1e3);
    let c = taylor_coefficients::<96, _>(&Log1p, 3.0).unwrap();
    let r = estimate_radius(&c, 24, 8).unwrap().radius;
    assert!((r / 4.0 - 1.0).abs() <= 1e-6, "estimated {r}");
}

/// Exercise 3: the condition number `Σ|t_k| / |Σ t_k|` of the direct sum, measured
/// from the computed terms, reaches `1/ε = 2^52` at `x = −26 ln 2 ≈ −18.02`.
#[test]
fn exercise_direct_sum_condition_number_reaches_one_over_eps_at_minus_26_ln_2() {
    let log_kappa = |x: f64| (exp_series_direct(x).unwrap().abs_sum / x.exp()).ln();
    let target = (1.0 / EPS).ln();
    let (mut lo, mut hi) = (-30.0, -1.0); // log κ(lo) > target > log κ(hi)
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if log_kappa(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let want = -26.0 * 2f64.ln();
    // Σ|t̂_k| carries a relative error ≤ γ_{2K}, which moves the root by ≤ γ_{2K}/2
    assert!((lo - want).abs() <= 1e-9, "root {lo}, expected {want}");
}

/// Exercise 4: minimising `h² M₃/6 + ε_f F/h` gives `h* = (3 ε_f F / M₃)^{1/3}` and the
/// value `(M₃/2) h*²`; for `exp'(1)` with `ε_f = ε`, `F ≈ M₃ ≈ e`, so `h* = (3ε)^{1/3}`.
#[test]
fn exercise_central_difference_step_minimising_the_bound_is_cube_root_of_3_eps() {
    let m = 1.001f64.exp(); // bounds |f| and |f'''| on [1 − h, 1 + h] for h ≤ 1e-3
    let (h_best, b_best) = (0..=4000)
        .map(|i| 10f64.powf(-8.0 + 4.0 * i as f64 / 4000.0))
        .map(|h| (h, central_difference_bound(h, m, m, EPS, 0.0)))
        .min_by(|p, q| p.1.total_cmp(&q.1))
        .unwrap();
    let h_star = (3.0 * EPS).cbrt();
    // the grid has 1000 points per decade: spacing 0.23 %
    assert!(
        (h_best / h_star - 1.0).abs() <= 0.005,
        "grid {h_best} vs {h_star}"
    );
    assert!((b_best / (0.5 * m * h_star * h_star) - 1.0).abs() <= 1e-4);
    // and the bound holds at h*: the error of the estimate of exp'(1) = e
    let (d, h) = central_difference(&Exp, 1.0, h_star).unwrap();
    assert!((d - 1f64.exp()).abs() <= central_difference_bound(h, m, m, EPS, d));
}

/// Exercise 5: the notes' `½ H Δ Δᵀ` is `n × n` of rank one, `H Δ` is an eigenvector,
/// and its only nonzero eigenvalue is the correct scalar `½ Δᵀ H Δ`.
#[test]
fn exercise_notes_hessian_term_has_one_nonzero_eigenvalue_the_quadratic_form() {
    let a = DMatrix::from_fn(4, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    let h = &a + a.transpose(); // symmetric, indefinite
    let step = DVector::from_vec(vec![0.3, -1.2, 0.7, 2.0]);
    let m = notes_hessian_term(&h, &step).unwrap();
    assert_eq!(m.shape(), (4, 4));
    let q = 0.5 * step.dot(&(&h * &step));
    let v = &h * &step;
    assert_relative_eq!(&m * &v, q * &v, max_relative = 1e-13);
    let sv = m.clone().svd(false, false).singular_values;
    let nonzero = sv.iter().filter(|&&s| s > 1e-12 * sv.max()).count();
    assert_eq!(nonzero, 1);
    // the trace is the sum of the eigenvalues: q + 0 + 0 + 0
    assert_relative_eq!(m.trace(), q, max_relative = 1e-13);
}

/// `f(x) = x₁² + cos x₂`: at `(0.1, 0.5)` its Hessian `diag(2, −cos 0.5)` is indefinite.
struct SaddleCos;

impl Field for SaddleCos {
    fn dim(&self) -> usize {
        2
    }
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        x[0] * x[0] + x[1].cos()
    }
}

/// Exercise 6: with an indefinite Hessian the Newton step `Δ = (−0.1, −tan 0.5)` is a
/// stationary point of the quadratic model but not a minimiser (the model is unbounded
/// below along `e₂`), and the step increases `f`.
#[test]
fn exercise_newton_step_on_indefinite_hessian_is_a_saddle_of_the_model_and_goes_uphill() {
    let x = DVector::from_vec(vec![0.1, 0.5]);
    let q = QuadraticModel::at(&SaddleCos, &x).unwrap();
    let step = q.hessian.clone().lu().solve(&(-&q.gradient)).unwrap();
    assert_relative_eq!(step[0], -0.1, max_relative = 1e-14);
    assert_relative_eq!(step[1], -0.5f64.tan(), max_relative = 1e-14);
    // ∇q(Δ) = ∇f + HΔ = 0: a stationary point of the model
    assert!((&q.gradient + &q.hessian * &step).norm() <= 1e-15);
    // along e₂ the model falls like −½ cos(0.5) t²: no minimum
    let at_step = q.eval(&step).unwrap();
    for t in [1.0, 10.0, 100.0] {
        let moved = &step + DVector::from_vec(vec![0.0, t]);
        let drop = at_step - q.eval(&moved).unwrap();
        assert_relative_eq!(drop, 0.5 * 0.5f64.cos() * t * t, max_relative = 1e-10);
    }
    // and the step goes uphill: f rises from 0.01 + cos 0.5 to cos(0.5 − tan 0.5)
    let (before, after) = (
        SaddleCos.eval(x.as_slice()),
        SaddleCos.eval((&x + &step).as_slice()),
    );
    assert!(after > before + 0.1, "f {before} -> {after}");
    assert_relative_eq!(after, (0.5 - 0.5f64.tan()).cos(), max_relative = 1e-14);
}

/// Exercise 7: `P₂(u) = 4u⁶ − 6u⁴`, so `f''(x) = (4/x⁶ − 6/x⁴) e^{−1/x²}` for `x ≠ 0`,
/// checked against the recursion's coefficients and against a jet of the formula.
#[test]
fn exercise_flat_function_second_derivative_from_the_recursion() {
    assert_eq!(flat::polynomial(1), vec![0.0, 0.0, 0.0, 2.0]);
    assert_eq!(
        flat::polynomial(2),
        vec![0.0, 0.0, 0.0, 0.0, -6.0, 0.0, 4.0]
    );
    for x in [0.4f64, 0.7, -1.3, 2.5] {
        let by_hand = (4.0 / x.powi(6) - 6.0 / x.powi(4)) * (-1.0 / (x * x)).exp();
        let by_jet = derivatives::<3, _>(&Flat, x).unwrap()[2];
        // a few roundings of terms of size ≤ 6|x|^{-6} e^{−1/x²}
        let scale = 10.0 * x.abs().powi(-6).max(1.0) * (-1.0 / (x * x)).exp();
        assert!(
            (by_hand - by_jet).abs() <= 1e-14 * scale,
            "x = {x}: {by_hand} vs {by_jet}"
        );
    }
    // f'' vanishes at x² = 2/3, the inflection points
    let x = (2.0f64 / 3.0).sqrt();
    assert!(derivatives::<3, _>(&Flat, x).unwrap()[2].abs() <= 1e-14);
}

// ------------------------------------------------- the chapter's experiments, quick size

/// Each experiment of `papernotes::taylor::experiments` (the numbers, tables and curves the
/// chapter shows) at `Plan::quick` size, with a property its result must have.
mod experiments {
    use super::EPS;
    use approx::assert_relative_eq;
    use nalgebra::DVector;
    use papernotes::Error;
    use papernotes::diff::derivs1;
    use papernotes::functions::Rosenbrock;
    use papernotes::taylor::cancellation::{exp_series_direct, exp_series_error_bound};
    use papernotes::taylor::derivatives;
    use papernotes::taylor::experiments::{self as ex, Plan};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn rng() -> StdRng {
        StdRng::seed_from_u64(42)
    }

    #[test]
    fn grid_has_both_ends_and_rejects_fewer_than_two_points() {
        let g = ex::grid(-1.0, 2.0, 4).unwrap();
        assert_eq!(g, vec![-1.0, 0.0, 1.0, 2.0]);
        assert!(matches!(ex::grid(0.0, 1.0, 1), Err(Error::TooFew { .. })));
        assert!(matches!(
            ex::grid(0.0, f64::NAN, 5),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn exp_partial_sums_converge_to_exp_on_the_plotted_range() {
        let plan = Plan::quick();
        let c = ex::exp_partial_sums(&plan).unwrap();
        assert_eq!(c.function.len(), plan.exp_curve_points);
        let degrees: Vec<usize> = c.sums.iter().map(|s| s.0).collect();
        assert_eq!(degrees, [0, 1, 2, 3, 5, 8]);
        // every partial sum is exact at the centre, and at the right end x = 3 the error
        // shrinks with the degree (the remainder 3^{n+1}e^ξ/(n+1)! decreases for n ≥ 2)
        let end_err = |pts: &[(f64, f64)]| {
            let (x, y) = pts[pts.len() - 1];
            assert_eq!(x, 3.0);
            (y - 3f64.exp()).abs()
        };
        for w in c.sums.windows(2) {
            assert!(end_err(&w[1].1) < end_err(&w[0].1), "degree {}", w[1].0);
        }
        for (_, pts) in &c.sums {
            let at0 = pts.iter().find(|p| p.0.abs() < 1e-12).unwrap();
            assert!((at0.1 - 1.0).abs() <= 4.0 * EPS);
        }
    }

    #[test]
    fn exp_partial_sum_errors_stay_below_lagrange_and_shrink() {
        let rows = ex::exp_partial_sum_errors().unwrap();
        assert_eq!(rows.len(), 7);
        for r in &rows {
            assert!(r.max_error <= r.bound, "degree {}: {r:?}", r.degree);
        }
        assert!(rows.windows(2).all(|w| w[1].max_error < w[0].max_error));
    }

    #[test]
    fn exp_terms_for_eps_reports_reached_at_1_and_a_rounding_floor_at_3() {
        // The oracle: the partial sums from 1/k!, computed here without jets.
        let sums = |x: f64| {
            let (mut s, mut term) = (0.0, 1.0);
            (0..ex::EXP_EPS_MAX_TERMS)
                .map(|k| {
                    if k > 0 {
                        term *= x / k as f64;
                    }
                    s += term;
                    s
                })
                .collect::<Vec<f64>>()
        };
        let within = |x: f64, v: f64| (v - x.exp()).abs() <= EPS * x.exp();
        let at1 = ex::exp_terms_for_eps(1.0).unwrap();
        let s1 = sums(1.0);
        let k = at1.within_eps.expect("x = 1 reaches one epsilon");
        assert!(
            within(1.0, s1[k - 1]) && !within(1.0, s1[k - 2]),
            "{k} terms"
        );
        // 1/k! < ε first at k = 18: the sum of 18 terms (k ≤ 17) is the first that can be.
        assert_eq!(k, 18);
        // At x = 3 no partial sum of 40 terms is within one ε of e³, although the
        // truncation after 40 terms is below 3⁴⁰/40! ≈ 1.5e-29: rounding keeps it off.
        let at3 = ex::exp_terms_for_eps(3.0).unwrap();
        assert_eq!(at3.max_terms, 40);
        assert_eq!(at3.within_eps, None);
        assert!(sums(3.0).iter().all(|&v| !within(3.0, v)));
        // The sum stops changing once the terms fall below half an ulp of it.
        let s3 = sums(3.0);
        let n = at3.settles_after;
        assert!(s3[n - 1..].iter().all(|&v| v == s3[39]) && s3[n - 2] != s3[39]);
        assert_eq!(n, 27);
        let off = (s3[39] - 3f64.exp()) / 3f64.exp() / EPS;
        assert!(
            (at3.settled_error_eps - off).abs() < 1e-9,
            "{at3:?} vs {off}"
        );
        assert!(off.abs() > 1.0 && off.abs() < 4.0, "{off}");
        assert!(ex::exp_terms_for_eps(f64::INFINITY).is_err());
    }

    #[test]
    fn exp_remainder_curves_lie_below_their_bounds() {
        for c in ex::exp_remainder_curves(&[2.0, -2.0, 4.0]).unwrap() {
            assert_eq!(c.remainder.len(), 31);
            for (r, b) in c.remainder.iter().zip(&c.bound) {
                assert_eq!(r.0, b.0);
                // the computed remainder carries rounding of e^x itself
                assert!(
                    r.1 <= b.1 * (1.0 + 1e-12) + 4.0 * EPS * c.x.exp(),
                    "x = {}, n = {}",
                    c.x,
                    r.0
                );
            }
        }
    }

    #[test]
    fn lagrange_sweep_finds_no_violation_and_a_ratio_below_e_to_the_x() {
        let plan = Plan::quick();
        let s = ex::lagrange_sweep(&plan, &mut rng()).unwrap();
        assert_eq!(s.cases, plan.lagrange_cases);
        assert_eq!(s.violations, 0);
        // bound/|R| ≤ e^{|x|}: the bound takes e^{max(x,0)} where R has e^ξ
        assert!(
            s.worst_log_ratio_over_abs_x > 0.0 && s.worst_log_ratio_over_abs_x <= 1.0,
            "{s:?}"
        );
    }

    #[test]
    fn jet_sweeps_agree_with_closed_forms_and_autodiff() {
        let plan = Plan::quick();
        let mut rng = rng();
        let closed = ex::jets_vs_closed_forms(&plan, &mut rng).unwrap();
        assert_eq!(closed.cases, plan.jet_cases);
        // the tolerance of `jet_derivatives_match_closed_forms` at the top order k = 20
        assert!(closed.worst <= 16.0 * 21.0 * 21.0, "{closed:?}");
        let ad = ex::jets_vs_autodiff(&plan, &mut rng).unwrap();
        // as in `jet_matches_autodiff_first_and_second_derivatives`
        assert!(ad.worst <= 1e-13, "{ad:?}");
    }

    /// The autodiff sweep's `worst` is its documented `max |jet − autodiff| / (1 + |autodiff|)`
    /// over the same drawn points.
    #[test]
    fn jets_vs_autodiff_reports_the_largest_scaled_difference() {
        let plan = Plan::quick();
        let ad = ex::jets_vs_autodiff(&plan, &mut rng()).unwrap();
        let mut draws = rng();
        let mut worst = 0.0f64;
        for _ in 0..plan.jet_cases {
            let x: f64 = draws.random_range(-3.0..3.0);
            let j = derivatives::<3, _>(&ex::Mix, x).unwrap();
            let d = derivs1(&ex::Mix, x).unwrap();
            for (a, b) in j.iter().zip([d.value, d.d1, d.d2]) {
                worst = worst.max((a - b).abs() / (1.0 + b.abs()));
            }
        }
        assert_eq!(ad.cases, plan.jet_cases);
        assert!(worst > 0.0, "the two methods round differently somewhere");
        assert_eq!(ad.worst, worst);
    }

    /// The cancellation sweep's worst error/bound ratio and its violation count are
    /// recomputed from the direct sum and its bound (plus one rounding of e^x) on the grid.
    #[test]
    fn cancellation_sweep_reports_the_largest_error_over_bound() {
        let plan = Plan::quick();
        let s = ex::cancellation_sweep(&plan).unwrap();
        let (mut worst, mut violations) = (0.0f64, 0usize);
        for x in ex::grid(-30.0, 0.0, plan.cancellation_points).unwrap() {
            let d = exp_series_direct(x).unwrap();
            let e = (d.value - x.exp()).abs();
            let b = exp_series_error_bound(&d, x) + EPS * x.exp();
            violations += usize::from(e > b);
            worst = worst.max(e / b);
        }
        assert_eq!(s.violations, violations);
        assert!(worst > 0.0);
        assert_relative_eq!(s.worst_error_over_bound, worst, max_relative = 1e-12);
    }

    #[test]
    fn fd_errors_obey_their_bound_and_are_smallest_near_the_theoretical_step() {
        let fd = ex::fd_errors().unwrap();
        assert_eq!(fd.exp.len(), 57);
        for (e, b) in fd.exp.iter().zip(&fd.exp_bound) {
            assert!(
                e.1 <= b.1,
                "h = {:e}: error {:e} > bound {:e}",
                e.0,
                e.1,
                b.1
            );
        }
        let ratio = fd.best_h / fd.optimal_h_theory;
        assert!((0.1..=10.0).contains(&ratio), "{fd:?}");
        assert!(fd.best_error < 1e-9 && fd.best_error > 0.0);
    }

    #[test]
    fn inverse_square_sums_converge_inside_radius_one_only() {
        let c = ex::inverse_square_partial_sums(&Plan::quick()).unwrap();
        let err_at = |pts: &[(f64, f64)], x: f64| {
            let p = pts.iter().find(|p| (p.0 - x).abs() < 1e-9).unwrap();
            (p.1 - 1.0 / (1.0 + x * x)).abs()
        };
        for w in c.sums.windows(2) {
            assert!(err_at(&w[1].1, 0.5) < err_at(&w[0].1, 0.5));
            assert!(err_at(&w[1].1, 1.5) > err_at(&w[0].1, 1.5));
        }
    }

    #[test]
    fn inverse_square_error_is_the_geometric_tail() {
        // 1/(1+x²) − Σ_{k≤20} (−x²)^k = (−x²)^{21}/(1+x²)
        for x in [0.3f64, 0.9, 1.5] {
            let want = x.powi(42) / (1.0 + x * x);
            let got = ex::inverse_square_error(40, x).unwrap();
            // the partial sum has terms up to max(1, x^40): its rounding, relative to 1
            let tol = 1e-12 * want + 64.0 * EPS * x.powi(40).max(1.0);
            assert!((got - want).abs() <= tol, "x = {x}: {got:e} vs {want:e}");
        }
        assert!(matches!(
            ex::inverse_square_error(64, 0.5),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn radius_estimates_match_the_distance_to_the_nearest_singularity() {
        let rows = ex::radius_estimates().unwrap();
        let exact = [1.0, 1.25f64.sqrt(), 1.0, 2.0];
        for (r, want) in rows.iter().zip(exact) {
            assert!((r.estimate - want).abs() <= 1e-3 * want, "{r:?}");
        }
        // e^x: R = ∞, and the estimate grows with the number of coefficients
        assert!(rows[4].estimate > 10.0 && rows[5].estimate > rows[4].estimate);
    }

    #[test]
    fn log1p_partial_sum_converges_at_half_and_diverges_at_one_and_a_half() {
        let inside = ex::log1p_partial_sum_63(0.5).unwrap();
        // the tail Σ_{k≥64} 0.5^k/k < 0.5^63/64 ≈ 1.7e-21: only rounding is left
        assert!(inside.error <= 4.0 * EPS, "{inside:?}");
        let outside = ex::log1p_partial_sum_63(1.5).unwrap();
        // the last term alone is 1.5^63/63 ≈ 1.9e9
        assert!(outside.sum.abs() > 1e8, "{outside:?}");
    }

    #[test]
    fn flat_function_curves_and_numbers() {
        let c = ex::flat_curves(&Plan::quick()).unwrap();
        assert!(c.function.iter().all(|p| (0.0..1.0).contains(&p.1)));
        assert_eq!(c.centre, (1.0, (-1f64).exp()));
        // the degree-8 polynomial at 1 touches the function there
        let near = c.taylor_at_1.iter().filter(|p| (p.0 - 1.0).abs() < 0.01);
        for &(x, y) in near {
            let f = (-1.0 / (x * x)).exp();
            assert!((y - f).abs() < 1e-12, "x = {x}");
        }
        let n = ex::flat_numbers().unwrap();
        assert!((n.at_half - (-4f64).exp()).abs() <= EPS * n.at_half);
        assert!(n.max_derivative_near_0 < 1e-100, "{n:?}");
        assert_eq!(n.p10_degree, 30); // P_n has degree 3n
    }

    #[test]
    fn cancellation_at_minus_20_is_wrong_direct_and_right_reciprocal() {
        let c = ex::cancellation_at(-20.0).unwrap();
        assert_eq!(c.truth, (-20f64).exp());
        assert!(c.direct_rel_err > 0.5, "{c:?}");
        assert!((c.direct - c.truth).abs() <= c.direct_bound + EPS * c.truth);
        assert!(c.fixed_rel_err <= c.fixed_bound, "{c:?}");
        assert!(c.abs_sum >= c.max_term && c.terms > 20);
    }

    #[test]
    fn cancellation_sweep_never_beats_its_bound() {
        let plan = Plan::quick();
        let s = ex::cancellation_sweep(&plan).unwrap();
        assert_eq!(s.cases, plan.cancellation_points);
        assert_eq!(s.violations, 0);
        assert!(s.worst_error_over_bound <= 1.0);
        // the reciprocal: n roundings of positive terms and one division
        assert!(s.fixed_worst_eps < 50.0, "{}", s.fixed_worst_eps);
        assert!(s.direct.len() <= 301 && s.direct.len() == s.bound.len());
    }

    #[test]
    fn model_remainders_have_slopes_two_and_three() {
        let m = ex::model_remainders(&mut rng()).unwrap();
        assert_eq!(m.ts.len(), 49);
        assert_eq!(m.slopes.len(), 2);
        for s in &m.slopes {
            assert!((s.first_order - 2.0).abs() < 0.05, "{s:?}");
            assert!((s.second_order - 3.0).abs() < 0.05, "{s:?}");
        }
    }

    #[test]
    fn slope_sweep_fits_slope_three_for_every_used_field() {
        let plan = Plan::quick();
        let s = ex::slope_sweep(&plan, &mut rng()).unwrap();
        assert_eq!(s.drawn, plan.slope_cases);
        assert!(s.used > plan.slope_cases / 2, "{s:?}");
        assert!(s.min > 2.9 && s.max < 3.1, "{s:?}");
    }

    #[test]
    fn line_remainders_and_random_unit_check_their_input() {
        let x = DVector::from_vec(vec![0.0, 0.0]);
        let d = DVector::from_vec(vec![1.0, 0.0, 0.0]);
        assert!(matches!(
            ex::line_remainders(&Rosenbrock, &x, &d, &[0.1]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            ex::random_unit(&mut rng(), 0),
            Err(Error::TooFew { .. })
        ));
        let u = ex::random_unit(&mut rng(), 4).unwrap();
        assert!((u.norm() - 1.0).abs() <= 4.0 * EPS);
    }
}
