//! Newton's method: one test per claim of the notes (and per check the notes
//! leave out), plus one per error path. The claims ledger at the end of
//! `book/src/newton.md` names the deciding test of each claim.

mod common;

use std::cell::Cell;

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

use papernotes::Error;
use papernotes::diff::{Field, Scalar, ScalarFn, derivs1, value, value_gradient_hessian};
use papernotes::functions::Rosenbrock;
use papernotes::newton::cost::{cholesky_solve_counted, inverse_multiply_counted, loglog_fit};
use papernotes::newton::damped::{DampedOptions, HessianMode, minimize, modified_cholesky};
use papernotes::newton::functions::{
    ArctanPrimitive, CosineSum, DoubleWell, Quadratic, Quartic, Sine, SmoothMinimum,
    SmoothMinimumDerivative,
};
use papernotes::newton::gradient_descent::{fixed_step_quadratic, gradient_descent};
use papernotes::newton::line_search::Armijo;
use papernotes::newton::linsys::{
    hilbert, hilbert_condition, hilbert_inverse, relative_residual, solve_cholesky, solve_lu,
    solve_via_inverse,
};
use papernotes::newton::logistic::{
    CandleLogistic, HostLogistic, LogisticData, Objective, breast_cancer, gradient_descent_fixed,
    irls,
};
use papernotes::newton::model::{notes_second_order_term, quadratic_model};
use papernotes::newton::scalar::{arctan_critical_start, newton_1d, newton_root, step_1d};
use papernotes::newton::solve::{newton, newton_step};
use papernotes::newton::{Options, logistic};
use papernotes::taylor::multivariate::directional_coefficients;

const EPS: f64 = f64::EPSILON;

/// An orthogonal matrix: the Q factor of a generated square matrix.
fn orthogonal(n: usize, entries: &[f64]) -> DMatrix<f64> {
    let m = DMatrix::from_column_slice(n, n, entries) + DMatrix::identity(n, n) * 0.1;
    m.qr().q()
}

/// Strategy: a dimension `n` in `lo..hi` and `n²` entries for [`orthogonal`].
fn basis(lo: usize, hi: usize) -> impl Strategy<Value = (usize, Vec<f64>)> {
    (lo..hi).prop_flat_map(|n| (Just(n), prop::collection::vec(-1.0..1.0f64, n * n)))
}

/// `x³ − c`, whose only real root is `c^{1/3}`.
struct CubeMinus(f64);
impl ScalarFn for CubeMinus {
    fn eval<T: Scalar>(&self, x: T) -> T {
        x * x * x - T::cst(self.0)
    }
}

/// `x³ − 3x`: `f''(0) = 0` while `f'(0) = −3`.
struct CubicInflection;
impl ScalarFn for CubicInflection {
    fn eval<T: Scalar>(&self, x: T) -> T {
        x * x * x - T::cst(3.0) * x
    }
}

/// `(x + y)² + x`: constant singular Hessian `[[2, 2], [2, 2]]`.
struct SingularPlane;
impl Field for SingularPlane {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let s = x[0] + x[1];
        s * s + x[0]
    }
}

/// A field that counts its evaluations.
struct Counting {
    n: usize,
    calls: Cell<usize>,
}
impl Field for Counting {
    fn dim(&self) -> usize {
        self.n
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        self.calls.set(self.calls.get() + 1);
        x.iter().fold(T::cst(0.0), |s, &v| s + v.exp()) * x[0]
    }
}

/// `g(y) = f(T y + c)`, the same function in affinely transformed coordinates.
struct Affine<'a, F: Field> {
    inner: &'a F,
    t: DMatrix<f64>,
    c: DVector<f64>,
}
impl<F: Field> Field for Affine<'_, F> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn eval<T: Scalar>(&self, y: &[T]) -> T {
        let n = self.dim();
        let x: Vec<T> = (0..n)
            .map(|i| (0..n).fold(T::cst(self.c[i]), |s, j| s + T::cst(self.t[(i, j)]) * y[j]))
            .collect();
        self.inner.eval(&x)
    }
}

/// One pure Newton step by AD and LU.
fn pure_step<F: Field>(f: &F, x: &DVector<f64>) -> DVector<f64> {
    let (_, g, h) = value_gradient_hessian(f, x).unwrap();
    x + newton_step(&g, &h).unwrap()
}

fn smooth_minimum() -> impl Strategy<Value = SmoothMinimum> {
    (
        -1.0..1.0f64,
        0.5..2.0f64,
        1.0..3.0f64,
        prop::bool::ANY,
        -1.0..1.0f64,
    )
        .prop_map(|(m, a, b, neg, c)| SmoothMinimum {
            m,
            a,
            b: if neg { -b } else { b },
            c,
        })
}

// ---------------------------------------------------------------------------
// The notes' claims, in order.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(common::config())]

    /// "Newton's method is an iterative method for finding the roots of a
    /// differentiable function": on `x³ − c` it reaches `c^{1/3}`.
    #[test]
    fn newton_root_finds_the_root_of_a_cubic(c in 0.1..50.0f64) {
        let sol = newton_root(&CubeMinus(c), c.max(1.0), &Options::new(1e-12, 100)).unwrap();
        // |x − r| ≈ |g(x)|/g'(r) ≤ 1e-12/(3 r²), plus rounding of r itself.
        let r = c.cbrt();
        prop_assert!((sol.x - r).abs() <= 1e-12 / (3.0 * r * r) + 4.0 * EPS * r);
    }

    /// "We apply Newton's method to the derivative f' of the cost function":
    /// the stationary-point iteration on `f` is, iterate for iterate, the root
    /// iteration on a hand-written `f'`.
    #[test]
    fn stationary_point_iteration_is_the_root_iteration_on_f_prime(
        s in smooth_minimum(), r in 0.02..0.2f64, neg in prop::bool::ANY,
    ) {
        let delta = if neg { -r } else { r } * s.a / (s.a + s.b.abs() + s.c.abs());
        let opts = Options::new(1e-12, 50);
        let a = newton_1d(&s, s.m + delta, &opts).unwrap();
        let b = newton_root(&SmoothMinimumDerivative(s), s.m + delta, &opts).unwrap();
        prop_assert_eq!(a.path.len(), b.path.len());
        for (p, q) in a.path.iter().zip(&b.path) {
            // f' by AD of ln cosh (sinh/cosh) vs tanh by hand: equal up to rounding,
            // which the contracting iteration does not amplify.
            prop_assert!((p - q).abs() <= 1e-12);
        }
    }

    /// The 1-D construction: `Δx = −f'/f''` is the stationary point of the
    /// model `f + f'Δx + ½f''Δx²`, a minimum of the model iff `f'' > 0`.
    #[test]
    fn one_d_step_is_the_stationary_point_of_the_quadratic_model(
        d1 in -10.0..10.0f64, d2 in prop::num::f64::NORMAL.prop_filter("moderate", |v| v.abs() > 1e-3 && v.abs() < 1e3),
    ) {
        let p = step_1d(d1, d2, 0.0).unwrap();
        let model = |t: f64| d1 * t + 0.5 * d2 * t * t;
        prop_assert!((d1 + d2 * p).abs() <= 4.0 * EPS * d1.abs());
        let h = 1e-3 * (1.0 + p.abs());
        let (left, mid, right) = (model(p - h), model(p), model(p + h));
        if d2 > 0.0 {
            prop_assert!(mid < left && mid < right);
        } else {
            prop_assert!(mid > left && mid > right);
        }
    }

    /// "It can be hoped that x_{n+1} will be closer": true near a
    /// non-degenerate stationary point (the error at least halves).
    #[test]
    fn newton_gets_closer_near_a_nondegenerate_stationary_point(s in smooth_minimum(), r in -0.1..0.1f64) {
        let x0 = s.m + r * s.a / (s.a + s.b.abs() + s.c.abs());
        let d = derivs1(&s, x0).unwrap();
        let x1 = x0 + step_1d(d.d1, d.d2, x0).unwrap();
        prop_assert!((x1 - s.m).abs() <= 0.5 * (x0 - s.m).abs());
    }

    /// The n-D model with the correct term `½ΔxᵀHΔx` matches `f` to third
    /// order: halving the step divides the error by about 8 (at least 7),
    /// while the model without the second-order term only reaches 4.
    #[test]
    fn quadratic_model_matches_f_to_third_order(
        x in prop::collection::vec(-1.5..1.5f64, 2), d in prop::collection::vec(-1.0..1.0f64, 2),
    ) {
        let (x, d) = (DVector::from_vec(x), DVector::from_vec(d));
        prop_assume!(d.norm() > 0.3);
        let f = Rosenbrock;
        let (v, g, h) = value_gradient_hessian(&f, &x).unwrap();
        let err = |t: f64, with_h: bool| {
            let dx = &d * t;
            let hh = if with_h { h.clone() } else { DMatrix::zeros(2, 2) };
            (value(&f, &(&x + &dx)).unwrap() - quadratic_model(v, &g, &hh, &dx).unwrap()).abs()
        };
        let t = 1e-2;
        // f ≤ ~1e3 here, so rounding (~1e-13) is far below err(t/2) unless the
        // cubic and quartic terms both vanish, which the assumption excludes.
        prop_assume!(err(t / 2.0, true) > 1e-10);
        // Along the line the error is exactly c₃t³ + c₄t⁴ (f is quartic), so the
        // ratio is 8(1 + r)/(1 + r/2) with r = c₄t/c₃: above 7 for r > −2/9.
        // Where the quartic term nearly cancels the cubic one (|r| > 0.2) the
        // halving test says nothing about the order; those directions are skipped.
        let c = directional_coefficients::<5, _>(&f, &x, &d).unwrap();
        prop_assume!(c[4].abs() * t <= 0.2 * c[3].abs());
        prop_assert!(err(t, true) / err(t / 2.0, true) > 7.0);
        // Without H the error is c₂t² + c₃t³ + c₄t⁴: its ratio is within 4·1.05/0.975
        // < 4.5 of 4 where the quadratic term dominates (directions with ΔᵀHΔ ≈ 0,
        // where H is indefinite, make the t² term vanish and are skipped).
        if (c[3].abs() * t + c[4].abs() * t * t) <= 0.05 * c[2].abs() {
            prop_assert!(err(t, false) / err(t / 2.0, false) < 4.5);
        }
    }

    /// The Newton step solves `H p = −g`, so it is the stationary point of the
    /// model and, for positive definite `H`, its minimiser.
    #[test]
    fn newton_step_minimises_the_quadratic_model(
        (n, q) in basis(2, 7), eig in prop::collection::vec(0.1..10.0f64, 7),
        g in prop::collection::vec(-1.0..1.0f64, 7), e in prop::collection::vec(-1.0..1.0f64, 7),
    ) {
        let h = Quadratic::with_spectrum(&orthogonal(n, &q), &eig[..n], DVector::zeros(n)).unwrap().a;
        let (g, e) = (DVector::from_column_slice(&g[..n]), DVector::from_column_slice(&e[..n]));
        let p = newton_step(&g, &h).unwrap();
        // backward stable solve: ‖Hp + g‖ ≲ n ε ‖H‖ ‖p‖ (tiny constant)
        prop_assert!((&h * &p + &g).norm() <= 10.0 * n as f64 * EPS * (h.norm() * p.norm() + g.norm()));
        let m = |dx: &DVector<f64>| quadratic_model(0.0, &g, &h, dx).unwrap();
        prop_assert!(m(&p) <= m(&(&p + &e * 1e-3)));
    }

    /// "Δx = −H⁻¹∇f should be a good choice" for a minimum: it is a descent
    /// direction whenever H is positive definite …
    #[test]
    fn newton_direction_descends_when_the_hessian_is_positive_definite(
        (n, q) in basis(2, 7), eig in prop::collection::vec(0.01..100.0f64, 7),
        g in prop::collection::vec(-1.0..1.0f64, 7),
    ) {
        let h = Quadratic::with_spectrum(&orthogonal(n, &q), &eig[..n], DVector::zeros(n)).unwrap().a;
        let g = DVector::from_column_slice(&g[..n]);
        prop_assume!(g.norm() > 1e-3);
        prop_assert!(g.dot(&newton_step(&g, &h).unwrap()) < 0.0);
    }

    /// … and an ascent direction along a direction of negative curvature.
    #[test]
    fn newton_direction_ascends_along_negative_curvature(
        (n, q) in basis(2, 7), eig in prop::collection::vec(0.1..10.0f64, 7), neg in 0.1..10.0f64,
    ) {
        let mut eig = eig[..n].to_vec();
        eig[0] = -neg;
        let qm = orthogonal(n, &q);
        let h = Quadratic::with_spectrum(&qm, &eig, DVector::zeros(n)).unwrap().a;
        let g = qm.column(0).into_owned(); // eigenvector of the negative eigenvalue
        // gᵀp = −gᵀH⁻¹g = 1/neg > 0
        let slope = g.dot(&newton_step(&g, &h).unwrap());
        prop_assert!(slope > 0.0);
        prop_assert!((slope - 1.0 / neg).abs() <= 1e-10 / neg);
    }
}

/// The notes write the second-order term as `½ H Δx (Δx)ᵀ`: computed as
/// written it is an `n × n` matrix, not a number; its trace is `½ΔxᵀHΔx`.
#[test]
fn notes_second_order_term_is_a_matrix_not_a_scalar() {
    let h = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 2.0]);
    let dx = DVector::from_vec(vec![1.0, -2.0, 0.5]);
    let term = notes_second_order_term(&h, &dx).unwrap();
    assert_eq!(term.shape(), (3, 3));
    // Not a multiple of the identity, so no reading as a scalar exists …
    assert!(term[(0, 1)].abs() > 0.1);
    // … but its trace is the correct scalar term.
    assert_relative_eq!(
        term.trace(),
        0.5 * dx.dot(&(&h * &dx)),
        max_relative = 1e-15
    );
    let correct = quadratic_model(0.0, &DVector::zeros(3), &h, &dx).unwrap();
    assert_relative_eq!(correct, term.trace(), max_relative = 1e-15);
}

/// "Closer to a stationary point" can fail far from it: on `f' = atan`,
/// one step from 1.5 moves away from 0, one step from 1 moves towards it.
#[test]
fn newton_step_can_move_away_from_the_stationary_point() {
    let step = |x: f64| {
        let d = derivs1(&ArctanPrimitive, x).unwrap();
        x + step_1d(d.d1, d.d2, x).unwrap()
    };
    assert!(step(1.5).abs() > 1.5);
    assert!(step(1.0).abs() < 1.0);
}

/// "The time complexity to get A⁻¹ is O(n³)": the counted flops of an
/// in-place Gauss–Jordan inverse (and the product `A⁻¹b`) are exactly
/// `2n³ + n² + n`, those of a Cholesky solve exactly `n³/3 + 5n²/2 + n/6`:
/// both cubic, the inverse six times dearer; both give the same answer.
#[test]
fn counted_inverse_costs_six_cholesky_solves_and_both_are_cubic() {
    for n in [1usize, 2, 3, 16, 33, 128] {
        let a = hilbert(n) + DMatrix::identity(n, n); // SPD, κ < 3
        let b = DVector::from_fn(n, |i, _| (i as f64).sin() + 1.0);
        let (x1, chol) = cholesky_solve_counted(&a, &b).unwrap();
        let (x2, inv) = inverse_multiply_counted(&a, &b).unwrap();
        let x3 = solve_lu(&a, &b).unwrap();
        // κ(A) < 3: all three agree to a few ulps times n.
        assert!((&x1 - &x3).norm() <= 1e-13 * x3.norm());
        assert!((&x2 - &x3).norm() <= 1e-13 * x3.norm());
        let n = n as u64;
        assert_eq!(6 * chol, 2 * n * n * n + 15 * n * n + n);
        assert_eq!(inv, 2 * n * n * n + n * n + n);
    }
    // Leading terms: the ratio tends to 6 (already 5.6 at n = 128).
    let (_, chol) = cholesky_solve_counted(
        &(hilbert(128) + DMatrix::identity(128, 128)),
        &DVector::zeros(128),
    )
    .unwrap();
    let (_, inv) = inverse_multiply_counted(
        &(hilbert(128) + DMatrix::identity(128, 128)),
        &DVector::zeros(128),
    )
    .unwrap();
    assert!(inv as f64 / chol as f64 > 5.5);
}

/// The Hessian by forward AD costs `n(n+1)/2` evaluations of `f` (one per
/// upper-triangle entry): `O(n³)` when one evaluation costs `O(n)`.
#[test]
fn hessian_by_forward_ad_takes_n_n_plus_1_over_2_passes() {
    for n in [1usize, 2, 5, 17] {
        let f = Counting {
            n,
            calls: Cell::new(0),
        };
        let x = DVector::from_fn(n, |i, _| 0.1 * i as f64);
        value_gradient_hessian(&f, &x).unwrap();
        assert_eq!(f.calls.get(), n * (n + 1) / 2);
    }
}

/// The log–log fit recovers a known exponent (the tool behind the measured ones).
#[test]
fn loglog_fit_recovers_a_power_law() {
    let xs = [2.0, 4.0, 8.0, 16.0, 32.0];
    let ys: Vec<f64> = xs.iter().map(|x: &f64| 0.7 * x.powf(2.6)).collect();
    let (p, c) = loglog_fit(&xs, &ys).unwrap();
    assert_relative_eq!(p, 2.6, max_relative = 1e-12);
    assert_relative_eq!(c, 0.7f64.ln(), max_relative = 1e-12);
}

proptest! {
    #![proptest_config(common::config())]

    /// Steepest descent with the best fixed step `2/(L+μ)` needs
    /// `⌈ln(1/tol)/ln((κ+1)/(κ−1))⌉ ≈ (κ/2) ln(1/tol)` iterations from a start
    /// that excites both extreme eigenvectors; Newton needs one step.
    #[test]
    fn gradient_descent_iterations_grow_with_the_condition_number(
        (n, q) in basis(2, 6), log_kappa in 1.0..3.0f64, mid in prop::collection::vec(0.0..1.0f64, 6),
    ) {
        let kappa = 10f64.powf(log_kappa);
        let mut eig: Vec<f64> = mid[..n].iter().map(|t| kappa.powf(*t)).collect();
        eig[0] = 1.0;
        eig[n - 1] = kappa;
        let qm = orthogonal(n, &q);
        let quad = Quadratic::with_spectrum(&qm, &eig, DVector::zeros(n)).unwrap();
        let x0 = (qm.column(0) + qm.column(n - 1)) / 2f64.sqrt();
        let tol = 1e-6;
        let k = fixed_step_quadratic(&quad, &x0, 2.0 / (kappa + 1.0), tol, 1_000_000).unwrap();
        let rho = (kappa - 1.0) / (kappa + 1.0);
        let predicted = ((1.0 / tol).ln() / (1.0 / rho).ln()).ceil();
        // Both extreme components shrink by exactly ρ per step; rounding can
        // move the crossing of the threshold by one iteration.
        prop_assert!((k as f64 - predicted).abs() <= 1.0, "k = {}, predicted {}", k, predicted);
        prop_assert!(k as f64 >= 0.9 * kappa / 2.0 * (1.0 / tol).ln());
    }

    /// Newton's step minimises any SPD quadratic exactly (up to the forward
    /// error `κ·ε` of a backward-stable solve), from any start, in one step.
    #[test]
    fn newton_solves_any_spd_quadratic_in_one_step(
        (n, q) in basis(2, 7), eig in prop::collection::vec(1.0..1000.0f64, 7),
        b in prop::collection::vec(-1.0..1.0f64, 7), x0 in prop::collection::vec(-10.0..10.0f64, 7),
    ) {
        let quad = Quadratic::with_spectrum(&orthogonal(n, &q), &eig[..n], DVector::from_column_slice(&b[..n])).unwrap();
        let xs = quad.stationary_point().unwrap();
        let x1 = pure_step(&quad, &DVector::from_column_slice(&x0[..n]));
        let kappa = 1000.0;
        prop_assert!((&x1 - &xs).norm() <= 10.0 * n as f64 * kappa * EPS * (xs.norm() + 10.0 * n as f64));
    }

    /// "The gradient for one weight gets messed up by simultaneous changes to
    /// all the other weights": gradient descent is just as slow with no
    /// interactions at all (a diagonal Hessian) as with a rotated Hessian of
    /// the same eigenvalues. The count depends on κ, not on coupling.
    #[test]
    fn gradient_descent_is_slow_without_any_interaction_between_weights(
        (n, q) in basis(2, 6), log_kappa in 1.0..2.5f64, x0 in prop::collection::vec(0.5..1.0f64, 6),
    ) {
        let kappa = 10f64.powf(log_kappa);
        let eig: Vec<f64> = (0..n).map(|i| kappa.powf(i as f64 / (n - 1) as f64)).collect();
        let qm = orthogonal(n, &q);
        let diag = Quadratic::with_spectrum(&DMatrix::identity(n, n), &eig, DVector::zeros(n)).unwrap();
        let rotated = Quadratic::with_spectrum(&qm, &eig, DVector::zeros(n)).unwrap();
        let y0 = DVector::from_column_slice(&x0[..n]);
        let step = 2.0 / (kappa + 1.0);
        let k_diag = fixed_step_quadratic(&diag, &y0, step, 1e-6, 1_000_000).unwrap();
        let k_rot = fixed_step_quadratic(&rotated, &(&qm * &y0), step, 1e-6, 1_000_000).unwrap();
        prop_assert!((k_diag as i64 - k_rot as i64).abs() <= 1);
        // No interactions, yet at least (κ/2)·ln(1/tol)·(share of the slow component).
        prop_assert!(k_diag as f64 >= 0.5 * kappa / 2.0 * (1e6f64).ln());
    }

    /// "The Hessian determines the sizes of these interactions so that Newton
    /// minimises them": Newton's iterates are affine invariant. Run in
    /// coordinates `x = T y + c`, they are the same points.
    #[test]
    fn newton_iterates_are_affine_invariant(
        t in prop::collection::vec(-0.4..0.4f64, 4), c in prop::collection::vec(-0.5..0.5f64, 2),
        y0 in prop::collection::vec(-0.3..0.3f64, 2),
    ) {
        let tm = DMatrix::identity(2, 2) + DMatrix::from_column_slice(2, 2, &t);
        prop_assume!(tm.determinant().abs() > 0.2);
        let c = DVector::from_vec(c);
        let g = Affine { inner: &Rosenbrock, t: tm.clone(), c: c.clone() };
        let mut y = DVector::from_vec(y0);
        let mut x = &tm * &y + &c;
        let cond = |m: &DMatrix<f64>| {
            let sv = m.singular_values();
            sv.max() / sv.min()
        };
        let kt = cond(&tm);
        let mut kh: f64 = 1.0;
        for _ in 0..3 {
            kh = kh.max(cond(&papernotes::diff::hessian(&Rosenbrock, &x).unwrap()));
            y = pure_step(&g, &y);
            x = pure_step(&Rosenbrock, &x);
            let mapped = &tm * &y + &c;
            // Equal in exact arithmetic. In floating point the step solves with
            // Tᵀ H T instead of H: relative error ~ ε κ(T)² κ(H), mapped back through
            // T (one more κ(T)). Rosenbrock's Hessian is singular on the curve
            // y = x² + 1/200, so κ(H) is measured along the path, not assumed.
            let tol = 16.0 * f64::EPSILON * kt.powi(3) * kh * (1.0 + x.norm());
            prop_assert!((&mapped - &x).norm() <= tol, "gap {:e} vs tol {tol:e} (κ(T) {kt:.1}, κ(H) {kh:.1e})", (&mapped - &x).norm());
        }
    }
}

// ---------------------------------------------------------------------------
// What the notes leave out.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(common::config())]

    /// Newton finds maxima: on `sin`, from within 0.6 of `π/2` it converges
    /// to `π/2`, where `f'' = −1 < 0`.
    #[test]
    fn newton_converges_to_a_maximum_of_sine(r in -0.6..0.6f64) {
        let half_pi = std::f64::consts::FRAC_PI_2;
        let sol = newton_1d(&Sine, half_pi + r, &Options::new(1e-14, 50)).unwrap();
        prop_assert!((sol.x - half_pi).abs() <= 1e-13);
        prop_assert!(derivs1(&Sine, sol.x).unwrap().d2 < 0.0);
    }

    /// … and the maximum of `Σ cos xᵢ` at the origin (Hessian `−I`).
    #[test]
    fn newton_converges_to_a_maximum_of_a_cosine_sum(x0 in prop::collection::vec(-0.5..0.5f64, 3)) {
        let f = CosineSum { n: 3 };
        let sol = newton(&f, &DVector::from_vec(x0), &Options::new(1e-13, 50)).unwrap();
        prop_assert!(sol.x.norm() <= 1e-12);
        let (_, _, h) = value_gradient_hessian(&f, &sol.x).unwrap();
        prop_assert!(h.symmetric_eigenvalues().max() < 0.0);
    }

    /// Newton finds saddles: on an indefinite quadratic it lands on the saddle
    /// point in one step, from anywhere.
    #[test]
    fn newton_converges_to_the_saddle_of_an_indefinite_quadratic(
        (n, q) in basis(2, 6), eig in prop::collection::vec(1.0..10.0f64, 6),
        b in prop::collection::vec(-1.0..1.0f64, 6), x0 in prop::collection::vec(-5.0..5.0f64, 6),
    ) {
        let mut eig = eig[..n].to_vec();
        eig[0] = -eig[0];
        let quad = Quadratic::with_spectrum(&orthogonal(n, &q), &eig, DVector::from_column_slice(&b[..n])).unwrap();
        let sol = newton(&quad, &DVector::from_column_slice(&x0[..n]), &Options::new(1e-10, 3)).unwrap();
        prop_assert!(sol.iterations <= 1);
        let xs = quad.stationary_point().unwrap();
        prop_assert!((&sol.x - &xs).norm() <= 1e-11 * (1.0 + xs.norm()));
        let e = quad.a.clone().symmetric_eigenvalues();
        prop_assert!(e.min() < 0.0 && e.max() > 0.0);
    }

    /// On the double well, pure Newton from near the saddle goes to the
    /// saddle; the damped minimiser goes to a minimum, decreasing `f` at
    /// every step.
    #[test]
    fn damped_newton_avoids_the_saddle_that_pure_newton_finds(x in -0.3..0.3f64, y in 0.01..0.3f64) {
        let x0 = DVector::from_vec(vec![x, y]);
        let pure = newton(&DoubleWell, &x0, &Options::new(1e-12, 50)).unwrap();
        prop_assert!(pure.x.norm() <= 1e-10);
        let damped = minimize(&DoubleWell, &x0, &DampedOptions { base: Options::new(1e-12, 100), ..Default::default() }).unwrap();
        prop_assert!((damped.x[0]).abs() <= 1e-10 && (damped.x[1] - 1.0).abs() <= 1e-10);
        prop_assert!(damped.values.windows(2).all(|w| w[1] < w[0]));
    }

    /// … but not from every start: on the saddle's stable line `y = 0` the gradient has no
    /// `y` component, so every damped iterate stays on the line and the method converges to
    /// the saddle `(0, 0)`, whose Hessian (by automatic differentiation) is indefinite.
    #[test]
    fn damped_newton_started_on_the_saddles_stable_line_converges_to_the_saddle(x in 0.05..2.0f64, neg in prop::bool::ANY) {
        let x0 = DVector::from_vec(vec![if neg { -x } else { x }, 0.0]);
        let damped = minimize(&DoubleWell, &x0, &DampedOptions { base: Options::new(1e-12, 100), ..Default::default() }).unwrap();
        prop_assert!(damped.x.norm() <= 1e-10, "stopped at {:?}", damped.x.as_slice());
        prop_assert!(damped.path.iter().all(|p| p[1] == 0.0));
        let (_, g, h) = value_gradient_hessian(&DoubleWell, &damped.x).unwrap();
        prop_assert!(g.norm() <= 1e-9);
        let eig = h.symmetric_eigen().eigenvalues;
        prop_assert!(eig.min() < -1.0 && eig.max() > 1.0, "Hessian eigenvalues {eig:?}");
    }

    /// Divergence on `f' = atan`: every start with `|x₀| < x_c` converges to 0.
    #[test]
    fn arctan_newton_converges_from_inside_the_critical_start(u in 0.0..1.0f64, neg in prop::bool::ANY) {
        let xc = arctan_critical_start().unwrap();
        // Stay 1e-6 (relative) inside: the 2-cycle is repelling with factor
        // ≈ 7 per cycle, so the iterate leaves it within ~20 steps.
        let x0 = u * xc * (1.0 - 1e-6) * if neg { -1.0 } else { 1.0 };
        let sol = newton_1d(&ArctanPrimitive, x0, &Options::new(1e-14, 100)).unwrap();
        prop_assert!(sol.x.abs() <= 1e-14);
    }

    /// … and every start with `|x₀| > x_c` diverges, with `|x_k|` growing.
    #[test]
    fn arctan_newton_diverges_from_outside_the_critical_start(u in 0.0..1.0f64, neg in prop::bool::ANY) {
        let xc = arctan_critical_start().unwrap();
        let x0 = (xc * (1.0 + 1e-6) + u * 50.0) * if neg { -1.0 } else { 1.0 };
        let err = newton_1d(&ArctanPrimitive, x0, &Options::new(1e-14, 100)).unwrap_err();
        match err {
            Error::NoConvergence { reason, last, .. } => {
                prop_assert!(reason.contains("diverged"));
                prop_assert!(last[0].abs() > x0.abs());
            }
            other => prop_assert!(false, "expected NoConvergence, got {other}"),
        }
    }

    /// Quadratic convergence near a non-degenerate minimum: one step from
    /// error `e` leaves error `C e² (1 + O(e))` with `C = |f'''(m) / (2 f''(m))|`.
    #[test]
    fn newton_converges_quadratically_near_a_nondegenerate_minimum(
        s in smooth_minimum(), log_e in -6.0..-4.0f64, neg in prop::bool::ANY,
    ) {
        let e0 = 10f64.powf(log_e);
        let x0 = s.m + if neg { -e0 } else { e0 };
        let d = derivs1(&s, x0).unwrap();
        let e1 = (x0 + step_1d(d.d1, d.d2, x0).unwrap() - s.m).abs();
        let c = (s.b / (2.0 * s.a)).abs();
        // O(e) term: its coefficient is bounded by ~ (f''''/f''' + f'''/f'') ≤ 40
        // over these parameters, so 500·e0 covers it (≤ 5 %); rounding of x
        // near m (|m| ≤ 1) is ≤ 2.2e-16, i.e. ≤ 1e-3 relative to e1 ≥ 2.5e-13.
        prop_assert!((e1 / (e0 * e0) / c - 1.0).abs() <= 500.0 * e0 + 1e-3,
            "ratio {} vs C {}", e1 / (e0 * e0), c);
    }

    /// The modified Cholesky factor reconstructs `H + τI` with `τ ≥ 0`, and
    /// `τ = 0` whenever `H` is already positive definite.
    #[test]
    fn modified_cholesky_factors_a_positive_definite_shift(
        (n, q) in basis(1, 7), eig in prop::collection::vec(-10.0..10.0f64, 7),
    ) {
        let h = Quadratic::with_spectrum(&orthogonal(n, &q), &eig[..n], DVector::zeros(n)).unwrap().a;
        let (chol, tau) = modified_cholesky(&h).unwrap();
        prop_assert!(tau >= 0.0);
        let l = chol.l();
        let shifted = &h + DMatrix::identity(n, n) * tau;
        prop_assert!((&l * l.transpose() - &shifted).norm() <= 1e-12 * shifted.norm());
        let min_eig = h.clone().symmetric_eigenvalues().min();
        if min_eig > 1e-8 && h.diagonal().min() > 0.0 {
            prop_assert_eq!(tau, 0.0);
        }
        prop_assert!(min_eig + tau > 0.0);
    }

    /// The damped minimiser decreases Rosenbrock's function at every step and
    /// reaches (1, 1) from any start in [−2, 2]².
    #[test]
    fn damped_newton_decreases_f_at_every_step(x in -2.0..2.0f64, y in -2.0..2.0f64) {
        let opts = DampedOptions { base: Options::new(1e-10, 200), ..Default::default() };
        let sol = minimize(&Rosenbrock, &DVector::from_vec(vec![x, y]), &opts).unwrap();
        prop_assert!(sol.values.windows(2).all(|w| w[1] < w[0]));
        prop_assert!((sol.x[0] - 1.0).abs() <= 1e-8 && (sol.x[1] - 1.0).abs() <= 1e-8);
    }
}

/// At the critical start the iteration is a 2-cycle: `N(x_c) = −x_c`.
#[test]
fn arctan_critical_start_is_a_two_cycle() {
    let xc = arctan_critical_start().unwrap();
    let d = derivs1(&ArctanPrimitive, xc).unwrap();
    let next = xc + step_1d(d.d1, d.d2, xc).unwrap();
    assert!((next + xc).abs() <= 1e-13, "N(x_c) = {next}, x_c = {xc}");
    assert!((xc - 1.391_745_200_270_7).abs() <= 1e-12);
}

/// At a degenerate minimum (`f = x⁴`, `f''(0) = 0`) convergence is only
/// linear: every error is exactly 2/3 of the previous one.
#[test]
fn newton_converges_only_linearly_at_a_degenerate_minimum() {
    let err = newton_1d(&Quartic, 1.0, &Options::new(1e-300, 20)).unwrap_err();
    let Error::NoConvergence { last, .. } = err else {
        panic!("expected NoConvergence")
    };
    assert_relative_eq!(last[0], (2.0f64 / 3.0).powi(20), max_relative = 1e-13);
}

/// Rosenbrock from (−1.2, 1): damped Newton needs a few dozen iterations,
/// backtracking gradient descent over a hundred times more.
#[test]
fn damped_newton_needs_far_fewer_iterations_than_gradient_descent_on_rosenbrock() {
    let x0 = DVector::from_vec(vec![-1.2, 1.0]);
    let newton = minimize(
        &Rosenbrock,
        &x0,
        &DampedOptions {
            base: Options::new(1e-8, 100),
            ..Default::default()
        },
    )
    .unwrap();
    let gd = gradient_descent(
        &Rosenbrock,
        &x0,
        &Options::new(1e-8, 200_000),
        &Armijo::default(),
    )
    .unwrap();
    for sol in [&newton, &gd] {
        assert!((sol.x[0] - 1.0).abs() < 1e-6 && (sol.x[1] - 1.0).abs() < 1e-6);
    }
    assert!(newton.iterations < 40, "Newton took {}", newton.iterations);
    assert!(
        gd.iterations > 100 * newton.iterations,
        "GD {} vs Newton {}",
        gd.iterations,
        newton.iterations
    );
}

// ---------------------------------------------------------------------------
// Solve, never invert.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(common::config())]

    /// LU with partial pivoting is backward stable: the relative residual is
    /// a small multiple of `n·ε`, on random and on Hilbert matrices alike.
    #[test]
    fn lu_solve_is_backward_stable(n in 2usize..13, entries in prop::collection::vec(-1.0..1.0f64, 144), hil in prop::bool::ANY) {
        let a = if hil { hilbert(n) } else { DMatrix::from_column_slice(n, n, &entries[..n * n]) };
        let b = DVector::from_fn(n, |i, _| entries[i]);
        let x = solve_lu(&a, &b).unwrap();
        // Higham Thm 9.4: ‖δA‖ ≤ γ_{3n} ρ_n ‖A‖ with growth ρ_n modest in
        // practice; 10·n·ε is a generous but κ-independent bound.
        prop_assert!(relative_residual(&a, &x, &b).unwrap() <= 10.0 * n as f64 * EPS);
    }
}

/// Hilbert systems: the explicit inverse's residual grows with `κ(H_n)`
/// (to about 1e-6 at n = 12), while the solve stays at rounding level.
#[test]
fn explicit_inverse_loses_to_the_solve_on_hilbert_matrices() {
    let mut worst_ratio: f64 = 0.0;
    for n in 8..=12 {
        let a = hilbert(n);
        let b = DVector::from_element(n, 1.0);
        let rs = relative_residual(&a, &solve_lu(&a, &b).unwrap(), &b).unwrap();
        let ri = relative_residual(&a, &solve_via_inverse(&a, &b).unwrap(), &b).unwrap();
        assert!(
            rs <= 10.0 * n as f64 * EPS,
            "solve residual {rs:e} at n = {n}"
        );
        worst_ratio = worst_ratio.max(ri / rs);
    }
    assert!(
        worst_ratio > 1e3,
        "inverse residual only {worst_ratio}× the solve's"
    );
}

// ---------------------------------------------------------------------------
// Logistic regression by Newton (IRLS): candle vs nalgebra.
// ---------------------------------------------------------------------------

/// The breast-cancer data and both objectives with λ = 1, loaded once per test
/// binary (a property test asks for them in every case).
fn cancer() -> &'static (LogisticData, HostLogistic, CandleLogistic) {
    static CANCER: std::sync::OnceLock<(LogisticData, HostLogistic, CandleLogistic)> =
        std::sync::OnceLock::new();
    CANCER.get_or_init(|| {
        let data = breast_cancer().unwrap();
        let host = HostLogistic::new(data.clone(), 1.0).unwrap();
        let dev = CandleLogistic::new(&data, 1.0, &candle_core::Device::Cpu).unwrap();
        (data, host, dev)
    })
}

/// The sums of absolute terms that bound the rounding of the logistic
/// derivatives, independent of w: `|X|ᵀ·1` (gradient, since |σ − y| ≤ 1) and
/// `|X|ᵀ|X|/4` (Hessian, since σ(1 − σ) ≤ 1/4).
fn cancer_scales() -> &'static (DVector<f64>, DMatrix<f64>) {
    static SCALES: std::sync::OnceLock<(DVector<f64>, DMatrix<f64>)> = std::sync::OnceLock::new();
    SCALES.get_or_init(|| {
        let ax = cancer().0.x.abs();
        let ones = DVector::from_element(ax.nrows(), 1.0);
        (ax.tr_mul(&ones), ax.tr_mul(&ax) / 4.0)
    })
}

proptest! {
    #![proptest_config(common::config())]

    /// The candle gradient and Hessian equal the nalgebra ones to within the
    /// rounding of a 569-term sum: `|Σaᵢ − fl(Σaᵢ)| ≤ γ_m Σ|aᵢ|`, `γ_m ≈ mε`.
    #[test]
    fn candle_and_nalgebra_derivatives_agree(w in prop::collection::vec(-1.0..1.0f64, 31)) {
        let (data, host, dev) = cancer();
        let w = DVector::from_vec(w);
        let (vh, gh, hh) = host.value_grad_hess(&w).unwrap();
        let (vd, gd, hd) = dev.value_grad_hess(&w).unwrap();
        let m = data.x.nrows() as f64;
        let gamma = 2.0 * m * EPS;
        // Σ|terms| bounds: |X|ᵀ·1 + |w| for the gradient, |X|ᵀ|X|/4 for the Hessian.
        let (xsum, hscale) = cancer_scales();
        let gscale = xsum + w.abs();
        prop_assert!((vh - vd).abs() <= gamma * (vh.abs() + 10.0 * m));
        for i in 0..31 {
            prop_assert!((gh[i] - gd[i]).abs() <= gamma * gscale[i]);
            for j in 0..31 {
                prop_assert!((hh[(i, j)] - hd[(i, j)]).abs() <= gamma * (hscale[(i, j)] + 1.0));
            }
        }
    }
}

/// IRLS on the breast-cancer data: candle and nalgebra take the same number
/// of iterations and their iterates agree to 1e-10 (relative), the gradient
/// at the end is below 1e-8, in a handful of iterations.
#[test]
fn irls_candle_and_nalgebra_iterates_agree() {
    let (data, host, dev) = cancer();
    let w0 = DVector::zeros(data.dim());
    let opts = Options::new(1e-8, 50);
    let a = irls(host, &w0, &opts).unwrap();
    let b = irls(dev, &w0, &opts).unwrap();
    assert_eq!(a.iterations, b.iterations);
    assert!(a.iterations <= 15, "IRLS took {}", a.iterations);
    for (p, q) in a.path.iter().zip(&b.path) {
        // Derivatives differ by ~mε·scale ≈ 1e-13 relative; the Newton step
        // maps that through H⁻¹ (κ(H) ≲ 1e3 here): ≲ 1e-10 relative.
        assert!((p - q).norm() <= 1e-10 * p.norm().max(1.0));
    }
    assert!(a.grad_norm <= 1e-8 && b.grad_norm <= 1e-8);
}

/// Gradient descent with the safe step `1/L` is still far from the optimum
/// after 50 times the iterations IRLS needed.
#[test]
fn irls_needs_far_fewer_iterations_than_gradient_descent() {
    let (data, host, _) = cancer();
    let w0 = DVector::zeros(data.dim());
    let newton = irls(host, &w0, &Options::new(1e-8, 50)).unwrap();
    let budget = 50 * newton.iterations;
    let err = gradient_descent_fixed(
        host,
        &w0,
        1.0 / host.lipschitz(),
        &Options::new(1e-8, budget),
    )
    .unwrap_err();
    let Error::NoConvergence { last, .. } = err else {
        panic!("expected NoConvergence")
    };
    let (_, g) = host.value_grad(&DVector::from_vec(last)).unwrap();
    assert!(
        g.norm() > 1e3 * newton.grad_norm.max(1e-12),
        "GD reached ‖∇L‖ = {:e}",
        g.norm()
    );
}

// ---------------------------------------------------------------------------
// Errors and bad input.
// ---------------------------------------------------------------------------

#[test]
fn error_quadratic_model_shapes_and_values() {
    let h = DMatrix::<f64>::identity(3, 3);
    let (g, dx) = (DVector::zeros(3), DVector::from_vec(vec![1.0, 2.0, 3.0]));
    assert!(quadratic_model(0.0, &g, &h, &dx).is_ok());
    // Each of the three sizes can be the odd one out.
    let bad = [
        quadratic_model(0.0, &DVector::zeros(2), &h, &dx),
        quadratic_model(0.0, &g, &DMatrix::identity(3, 2), &dx),
        quadratic_model(0.0, &g, &DMatrix::identity(2, 3), &dx),
        quadratic_model(0.0, &g, &h, &DVector::zeros(4)),
    ];
    for err in bad {
        let err = err.unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
        assert!(
            err.to_string().contains("gradient, Hessian and step"),
            "{err}"
        );
    }
    let err = notes_second_order_term(&DMatrix::identity(2, 2), &dx).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let mut h_nan = h.clone();
    h_nan[(1, 2)] = f64::NAN;
    let err = quadratic_model(0.0, &g, &h_nan, &dx).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                name: "Hessian",
                ..
            }
        ),
        "{err}"
    );
    let err = quadratic_model(f64::INFINITY, &g, &h, &dx).unwrap_err();
    assert!(matches!(err, Error::NonFinite { name: "f", .. }), "{err}");
}

#[test]
fn error_non_finite_start() {
    let e = newton_1d(&Sine, f64::NAN, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }));
    assert!(e.to_string().contains("must be finite"));
    let x0 = DVector::from_vec(vec![1.0, f64::INFINITY]);
    assert!(matches!(
        newton(&Rosenbrock, &x0, &Options::default()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        minimize(&Rosenbrock, &x0, &DampedOptions::default()),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn error_wrong_dimension_start() {
    let x0 = DVector::from_vec(vec![1.0, 2.0, 3.0]);
    let e = newton(&Rosenbrock, &x0, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
    assert!(e.to_string().contains("expected 2 coordinates"));
    let e = newton_step(&DVector::zeros(2), &DMatrix::zeros(3, 3)).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
}

#[test]
fn error_zero_second_derivative_is_singular() {
    let e = newton_1d(&CubicInflection, 0.0, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Singular { .. }));
    assert!(e.to_string().contains("f''(0) = 0"), "{e}");
}

#[test]
fn error_singular_hessian_is_reported() {
    let e = newton(
        &SingularPlane,
        &DVector::from_vec(vec![1.0, 1.0]),
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Singular { .. }));
    assert!(
        e.to_string().contains("singular to working precision"),
        "{e}"
    );
    let e = solve_lu(&DMatrix::zeros(2, 2), &DVector::from_element(2, 1.0)).unwrap_err();
    assert!(matches!(e, Error::Singular { .. }));
}

#[test]
fn error_linear_system_shapes_and_values() {
    let (a, b) = (hilbert(3), DVector::from_element(3, 1.0));
    let e = solve_lu(&hilbert(2), &b).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    assert!(e.to_string().contains("linear system A x = b"), "{e}");
    let e = relative_residual(&a, &DVector::from_element(2, 1.0), &b).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = solve_cholesky(&a, &DVector::from_vec(vec![1.0, f64::NAN, 0.0])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { name: "b", .. }), "{e}");
    let e = solve_via_inverse(&a, &DVector::zeros(0)).unwrap_err();
    assert!(matches!(e, Error::TooFew { .. }), "{e}");
}

#[test]
fn error_pure_minimiser_reports_a_non_positive_definite_hessian() {
    let opts = DampedOptions {
        hessian: HessianMode::Exact,
        ..Default::default()
    };
    // H = diag(2, 12·0.01 − 4): indefinite.
    let e = minimize(&DoubleWell, &DVector::from_vec(vec![0.5, 0.1]), &opts).unwrap_err();
    assert!(matches!(e, Error::NotPositiveDefinite { .. }));
    assert!(e.to_string().contains("use the damped method"), "{e}");
    // The damped (modified) version handles the same start.
    assert!(
        minimize(
            &DoubleWell,
            &DVector::from_vec(vec![0.5, 0.1]),
            &DampedOptions::default()
        )
        .is_ok()
    );
    // A zero Hessian is not positive definite either.
    assert!(matches!(
        papernotes::newton::damped::exact_cholesky(&DMatrix::zeros(2, 2)),
        Err(Error::NotPositiveDefinite { .. })
    ));
}

#[test]
fn error_no_convergence_reports_the_last_iterate() {
    let e = gradient_descent(
        &Rosenbrock,
        &DVector::from_vec(vec![-1.2, 1.0]),
        &Options::new(1e-8, 10),
        &Armijo::default(),
    )
    .unwrap_err();
    let Error::NoConvergence {
        iterations,
        last,
        reason,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!((*iterations, last.len()), (10, 2));
    assert!(reason.contains("budget"));
    assert!(e.to_string().contains("did not converge in 10 iterations"));
    // Divergence is reported with the last finite iterate.
    let e = newton_1d(&ArctanPrimitive, 2.0, &Options::default()).unwrap_err();
    let Error::NoConvergence { last, reason, .. } = &e else {
        panic!("{e}")
    };
    assert!(last[0].is_finite() && reason.contains("diverged"));
}

#[test]
fn error_invalid_options() {
    for opts in [
        Options::new(0.0, 10),
        Options::new(f64::NAN, 10),
        Options::new(1e-8, 0),
    ] {
        assert!(matches!(
            newton_1d(&Sine, 1.0, &opts),
            Err(Error::InvalidParameter { .. })
        ));
    }
    let bad = Armijo {
        c1: 1.5,
        ..Armijo::default()
    };
    let e =
        gradient_descent(&Rosenbrock, &DVector::zeros(2), &Options::default(), &bad).unwrap_err();
    assert!(e.to_string().contains("must lie in (0, 1)"));
    assert!(matches!(
        loglog_fit(&[1.0], &[1.0]),
        Err(Error::TooFew { .. })
    ));
    assert!(matches!(
        loglog_fit(&[1.0, 2.0], &[1.0, -1.0]),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn error_empty_or_misshaped_logistic_data() {
    let e = LogisticData::standardised(&DMatrix::zeros(0, 3), &DVector::zeros(0)).unwrap_err();
    assert!(matches!(e, Error::TooFew { .. }));
    assert!(e.to_string().contains("data rows"));
    let f = DMatrix::from_fn(4, 2, |i, j| (i * 3 + j * 7 % 5) as f64);
    let e = LogisticData::standardised(&f, &DVector::zeros(3)).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
    let e =
        LogisticData::standardised(&f, &DVector::from_vec(vec![0.0, 1.0, 2.0, 1.0])).unwrap_err();
    assert!(matches!(e, Error::Data(_)) && e.to_string().contains("0 or 1"));
    let mut nan = f.clone();
    nan[(1, 1)] = f64::NAN;
    assert!(matches!(
        LogisticData::standardised(&nan, &DVector::zeros(4)),
        Err(Error::NonFinite { .. })
    ));
    let data =
        LogisticData::standardised(&f, &DVector::from_vec(vec![0.0, 1.0, 0.0, 1.0])).unwrap();
    assert!(matches!(
        HostLogistic::new(data.clone(), 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    let host = HostLogistic::new(data, 1.0).unwrap();
    let e = host.value(&DVector::zeros(5)).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }) && e.to_string().contains("3 weights"));
    let _ = logistic::breast_cancer; // the real loader is exercised by the IRLS tests
}

/// The closed-form Hilbert inverse is an inverse (checked where `κ·ε` is
/// small), and `κ₂(Hₙ)` grows like `e^{3.5n}` (Todd 1954: ratio ≈ 34 per n).
#[test]
fn hilbert_inverse_closed_form_is_exact() {
    for n in 1..=8 {
        let prod = hilbert(n) * hilbert_inverse(n);
        // κ(H₈) ≈ 1.5e10: the product's error is ≲ κ·ε ≈ 3e-6.
        assert!((prod - DMatrix::identity(n, n)).amax() <= 1e-5, "n = {n}");
    }
    let ratio = hilbert_condition(13) / hilbert_condition(12);
    assert!((ratio.ln() - 3.5).abs() < 0.2, "κ ratio {ratio}");
}

/// `path` holds every iterate: `iterations + 1` points from `x0` to `x`, one
/// value per point, and each point is the method's step from the one before.
fn assert_every_iterate(
    sol: &papernotes::newton::Solution,
    x0: &DVector<f64>,
    f: impl Fn(&DVector<f64>) -> f64,
) {
    assert_eq!(sol.path.len(), sol.iterations + 1);
    assert_eq!(sol.values.len(), sol.path.len());
    assert_eq!(&sol.path[0], x0);
    assert_eq!(sol.path.last(), Some(&sol.x));
    for (p, v) in sol.path.iter().zip(&sol.values) {
        assert_relative_eq!(f(p), *v, max_relative = 1e-12);
    }
}

#[test]
fn every_optimiser_records_every_iterate_in_path() {
    let x0 = DVector::from_vec(vec![-1.2, 1.0]);
    let fr = |p: &DVector<f64>| value(&Rosenbrock, p).unwrap();
    // pure Newton: each point is the Newton step from the previous one
    let sol = newton(&Rosenbrock, &x0, &Options::new(1e-10, 50)).unwrap();
    assert!(sol.iterations > 2);
    assert_every_iterate(&sol, &x0, fr);
    for w in sol.path.windows(2) {
        assert_relative_eq!(pure_step(&Rosenbrock, &w[0]), w[1], max_relative = 1e-12);
    }
    // damped Newton and gradient descent: the value falls at every step
    let sol = minimize(&Rosenbrock, &x0, &DampedOptions::default()).unwrap();
    assert_every_iterate(&sol, &x0, fr);
    assert!(sol.values.windows(2).all(|v| v[1] < v[0]));
    let sol = gradient_descent(
        &Rosenbrock,
        &x0,
        &Options::new(1e-3, 50_000),
        &Armijo::default(),
    )
    .unwrap();
    assert!(sol.iterations > 100);
    assert_every_iterate(&sol, &x0, fr);
    assert!(sol.values.windows(2).all(|v| v[1] < v[0]));
    // IRLS and fixed-step gradient descent on the logistic loss
    let host = &cancer().1;
    let w0 = DVector::zeros(host.dim());
    let fl = |w: &DVector<f64>| host.value(w).unwrap();
    let sol = irls(host, &w0, &Options::new(1e-8, 50)).unwrap();
    assert_every_iterate(&sol, &w0, fl);
    let step = 1.0 / host.lipschitz();
    // ‖∇L‖ ≤ 10 after about 130 steps: enough iterates to check each one.
    let sol = gradient_descent_fixed(host, &w0, step, &Options::new(10.0, 10_000)).unwrap();
    assert!(sol.iterations > 100);
    assert_every_iterate(&sol, &w0, fl);
    for w in sol.path.windows(2) {
        let g = host.value_grad(&w[0]).unwrap().1;
        assert_relative_eq!(&w[0] - step * g, w[1], max_relative = 1e-12);
    }
}

#[test]
fn step_floor_stops_a_linearly_converging_iteration() {
    // On x⁴ Newton's map is 2x/3: |f'| ≤ 1e-300 would need ~570 steps, but a
    // step floor of 1e-6 ends the run once |x_k − x_{k+1}| = x_k/3 ≤ 1e-6.
    let opts = Options::new(1e-300, 100).with_step_tol(1e-6);
    let sol = newton_1d(&Quartic, 0.9, &opts).unwrap();
    let k = sol.iterations;
    assert_eq!(sol.path.len(), k + 1);
    assert!(
        sol.path[k - 1] / 3.0 <= 1e-6 && sol.path[k - 2] / 3.0 > 1e-6,
        "{:?}",
        sol.path
    );
    for w in sol.path.windows(2) {
        assert_relative_eq!(w[1], 2.0 * w[0] / 3.0, max_relative = 1e-14);
    }
    // n-D: the same floor ends pure Newton on Σ xᵢ⁴ (a degenerate minimum)
    let sol = newton(&QuarticSum, &DVector::from_vec(vec![0.9, -0.5]), &opts).unwrap();
    assert!(sol.iterations < 100);
    assert_every_iterate(&sol, &DVector::from_vec(vec![0.9, -0.5]), |p| {
        value(&QuarticSum, p).unwrap()
    });
    let bad = Options::new(1e-8, 10).with_step_tol(-1.0);
    let e = newton_1d(&Quartic, 0.9, &bad).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "step_tol",
                ..
            }
        ),
        "{e}"
    );
}

/// `Σ xᵢ⁴`: a minimum at 0 with zero Hessian.
struct QuarticSum;
impl Field for QuarticSum {
    fn dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        x.iter().fold(T::cst(0.0), |s, &v| s + v.powi(4))
    }
}

/// The chapter's convergence figure is measured: the smooth run's ratios
/// e_{k+1}/e_k² approach f'''/(2f''), and the x⁴ run ends on its step floor
/// with iterates that follow 0.9·(2/3)^k (the dashed theory curve).
#[test]
fn convergence_experiment_measures_both_curves() {
    use papernotes::newton::experiments::{ConvergencePlan, convergence};
    let plan = ConvergencePlan::default();
    let r = convergence(&plan).unwrap();
    assert_eq!(r.smooth_errors.len(), r.smooth_iterations + 1);
    let last_ratio = r.smooth_ratios.iter().rev().flatten().nth(1).unwrap();
    assert!((last_ratio - r.predicted_ratio).abs() < 0.05 * r.predicted_ratio);
    let n = r.quartic_errors.len();
    assert!((20..100).contains(&n), "{n} iterates");
    assert!(r.quartic_errors[n - 2] / 3.0 <= plan.quartic_step_floor);
    for (m, t) in r.quartic_errors.iter().zip(&r.quartic_theory) {
        assert_relative_eq!(m, t, max_relative = 1e-13);
    }
}

#[test]
fn error_counted_solvers_check_shapes() {
    let a = hilbert(3);
    for b in [DVector::from_element(2, 1.0), DVector::zeros(0)] {
        let e = cholesky_solve_counted(&a, &b).unwrap_err();
        assert!(
            matches!(e, Error::ShapeMismatch { .. } | Error::TooFew { .. }),
            "{e}"
        );
        let e = inverse_multiply_counted(&a, &b).unwrap_err();
        assert!(
            matches!(e, Error::ShapeMismatch { .. } | Error::TooFew { .. }),
            "{e}"
        );
    }
    let rect = DMatrix::from_element(3, 2, 1.0);
    let b = DVector::from_element(3, 1.0);
    let e = cholesky_solve_counted(&rect, &b).unwrap_err();
    assert!(e.to_string().contains("3 × 3 matrix"), "{e}");
    assert!(inverse_multiply_counted(&rect, &b).is_err());
    let mut nan = a.clone();
    nan[(1, 1)] = f64::NAN;
    let e = cholesky_solve_counted(&nan, &b).unwrap_err();
    assert!(matches!(e, Error::NonFinite { name: "A", .. }), "{e}");
    assert!(cholesky_solve_counted(&a, &b).is_ok());
}

// ---------------------------------------------------------------------------
// The chapter's experiments, at quick size.
// ---------------------------------------------------------------------------

mod experiments {
    use super::*;
    use papernotes::newton::experiments::{self as ex, Plan};
    use papernotes::newton::scalar::{Stop1, newton_1d_trace};
    use papernotes::plot::contour::{PathSeries, PathsFigure, contour_segments};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// The LU solve is backward stable on every Hilbert system (residual within
    /// 10nε), the explicit inverse is not (10³ times worse or more from n = 10),
    /// and the table shows the even orders.
    #[test]
    fn experiment_hilbert_residuals_solve_beats_inverse() {
        let rows = ex::hilbert_residuals(Plan::quick().hilbert_max).unwrap();
        assert_eq!(rows.len(), 13);
        for r in &rows {
            assert!(
                r.solve <= 10.0 * r.n as f64 * EPS,
                "n = {}: {:e}",
                r.n,
                r.solve
            );
            if r.n >= 10 {
                assert!(r.inverse > 1e3 * r.solve.max(EPS * EPS), "n = {}", r.n);
            }
        }
        assert_eq!(ex::hilbert_table(&rows).rows.len(), 7);
        assert!(ex::hilbert_residuals(1).is_err());
    }

    /// Every grid start converges exactly when it lies inside x_c, and the
    /// figure's four paths end as their starts predict.
    #[test]
    fn experiment_arctan_outcome_is_decided_by_the_critical_start() {
        let r = ex::arctan(Plan::quick().arctan_grid).unwrap();
        assert_eq!(r.grid_agree, r.grid_total);
        let stops: Vec<Stop1> = r.paths.iter().map(|p| p.trace.stop).collect();
        assert!(matches!(stops[0], Stop1::Converged(_)));
        assert!(matches!(stops[1], Stop1::Converged(_)));
        assert_eq!(stops[2], Stop1::Diverged);
        assert_eq!(stops[3], Stop1::Diverged);
        // Outside x_c every step lengthens the iterate: |N(x)| > |x|.
        for w in r.paths[3].trace.path.windows(2) {
            assert!(w[1].abs() > w[0].abs());
        }
        assert!(ex::arctan(0).is_err());
    }

    /// A trace that converges is newton_1d's path; one that diverges keeps
    /// its iterates, the last beyond the blow-up bound.
    #[test]
    fn newton_1d_trace_keeps_the_path_of_a_diverging_run() {
        let opts = Options::new(1e-12, 100);
        let t = newton_1d_trace(&ArctanPrimitive, 1.0, &opts).unwrap();
        let s = newton_1d(&ArctanPrimitive, 1.0, &opts).unwrap();
        assert_eq!(t.path, s.path);
        assert_eq!(t.stop, Stop1::Converged(s.iterations));
        let t = newton_1d_trace(&ArctanPrimitive, 1.5, &opts).unwrap();
        assert_eq!(t.stop, Stop1::Diverged);
        assert!(t.path.last().unwrap().abs() > opts.blowup);
        assert!(t.path.len() > 3);
    }

    /// Gradient descent needs the predicted number of iterations (±1) at every
    /// κ, coupled or not, the count grows like κ (slope 1 on log–log axes), and
    /// Newton takes one step.
    #[test]
    fn experiment_kappa_sweep_matches_the_prediction() {
        let plan = Plan::quick();
        let r = ex::kappa_sweep(&plan, &mut StdRng::seed_from_u64(42)).unwrap();
        assert_eq!(r.rows.len(), 2 * plan.kappa_max_exponent as usize - 1);
        for k in &r.rows {
            assert!((k.gd_rotated as f64 - k.predicted).abs() <= 1.0, "{k:?}");
            assert!(k.gd_rotated.abs_diff(k.gd_diagonal) <= 1, "{k:?}");
            assert_eq!(k.newton, 1);
        }
        assert!((r.slope - 1.0).abs() < 0.02, "slope {}", r.slope);
        assert_eq!(r.table().rows.len(), r.rows.len());
        assert_eq!(ex::predicted_iterations(10.0, 10, 1e-6).unwrap(), 65.0);
        assert!(ex::predicted_iterations(1.0, 10, 1e-6).is_err());
        assert!(ex::predicted_iterations(10.0, 1, 1e-6).is_err());
        assert!(ex::predicted_iterations(10.0, 10, 0.0).is_err());
    }

    /// Damped Newton reaches (1, 1) in hundreds of times fewer iterations
    /// than gradient descent; pure Newton gets there too from this start.
    #[test]
    fn experiment_rosenbrock_newton_needs_far_fewer_iterations() {
        let r = ex::rosenbrock(Plan::quick().rosenbrock_gd_budget).unwrap();
        let one = DVector::from_element(2, 1.0);
        for s in [&r.damped, &r.pure, &r.gd] {
            assert!((&s.x - &one).norm() < 1e-6, "{}", s.x);
        }
        assert!(r.gd.iterations > 100 * r.damped.iterations);
        assert!(r.gd_seconds > 0.0);
    }

    /// The plot window holds the box [−2, 2] × [−1, 3] and every iterate of the three
    /// Rosenbrock runs with a margin of 0.1, and is no larger than that needs.
    #[test]
    fn experiment_rosenbrock_window_holds_the_box_and_every_iterate() {
        let r = ex::rosenbrock(Plan::quick().rosenbrock_gd_budget).unwrap();
        let ((x_lo, x_hi), (y_lo, y_hi)) = r.window();
        let pts: Vec<_> = [&r.damped, &r.pure, &r.gd]
            .iter()
            .flat_map(|s| s.path.iter().map(|p| (p[0], p[1])))
            .collect();
        let tol = 1e-12;
        assert!(x_lo <= -2.1 + tol && x_hi >= 2.1 - tol);
        assert!(y_lo <= -1.1 + tol && y_hi >= 3.1 - tol);
        for &(x, y) in &pts {
            assert!(x - x_lo >= 0.1 - tol && x_hi - x >= 0.1 - tol, "x = {x}");
            assert!(y - y_lo >= 0.1 - tol && y_hi - y >= 0.1 - tol, "y = {y}");
        }
        // each edge sits 0.1 beyond the box or beyond an iterate
        let touches = |edge: f64, box_edge: f64, coord: &dyn Fn(&(f64, f64)) -> f64| {
            ((edge - box_edge).abs() - 0.1).abs() <= tol
                || pts
                    .iter()
                    .any(|p| ((edge - coord(p)).abs() - 0.1).abs() <= tol)
        };
        assert!(touches(x_lo, -2.0, &|p| p.0) && touches(x_hi, 2.0, &|p| p.0));
        assert!(touches(y_lo, -1.0, &|p| p.1) && touches(y_hi, 3.0, &|p| p.1));
    }

    /// Pure Newton ends on the saddle (0, 0), damped Newton on a minimum (0, ±1).
    #[test]
    fn experiment_double_well_pure_finds_the_saddle_damped_the_minimum() {
        let r = ex::double_well().unwrap();
        assert!(r.pure.x.norm() < 1e-10, "{}", r.pure.x);
        assert!(r.damped.x[0].abs() < 1e-10 && (r.damped.x[1].abs() - 1.0).abs() < 1e-10);
    }

    /// The step-cost sweep times every size, the Hessian only up to its
    /// limit, and fits finite exponents; the table has a row per size.
    #[test]
    fn experiment_step_cost_times_every_size() {
        let plan = Plan::quick();
        let r = ex::step_cost(&plan, &mut StdRng::seed_from_u64(42)).unwrap();
        assert_eq!(r.rows.len(), plan.step_cost_sizes.len());
        for row in &r.rows {
            assert!(row.cholesky_s > 0.0 && row.inverse_s > 0.0);
            assert_eq!(row.hessian_s.is_some(), row.n <= plan.hessian_max);
        }
        for e in [r.exp_cholesky, r.exp_inverse, r.exp_hessian] {
            assert!(e.is_finite());
        }
        assert_eq!(r.hessian_over_cholesky().0, 64);
        assert_eq!(r.table().rows.len(), r.rows.len());
        let bad = Plan {
            step_cost_sizes: vec![16],
            ..plan
        };
        assert!(ex::step_cost(&bad, &mut StdRng::seed_from_u64(1)).is_err());
    }

    /// The solve timing of one order: both ways timed; order 0 is refused.
    #[test]
    fn solve_cost_times_both_ways_and_refuses_order_zero() {
        let (chol, inv) = ex::solve_cost(24, &mut StdRng::seed_from_u64(3)).unwrap();
        assert!(chol > 0.0 && inv > 0.0 && chol.is_finite() && inv.is_finite());
        assert!(matches!(
            ex::solve_cost(0, &mut StdRng::seed_from_u64(3)),
            Err(papernotes::Error::TooFew { .. })
        ));
    }

    /// IRLS on the host and on candle take the same steps; gradient descent
    /// needs more iterations; the fit classifies the training set well.
    #[test]
    fn experiment_logistic_irls_host_and_candle_agree() {
        let r = ex::logistic(&Plan::quick(), &candle_core::Device::Cpu).unwrap();
        assert_eq!(r.shape, (569, 31));
        assert_eq!(r.irls_host.iterations, r.irls_device.iterations);
        assert!(r.path_rel_diff <= 1e-10 && r.hess_rel_diff <= 1e-12);
        assert!(r.gd.iterations > 10 * r.irls_host.iterations);
        assert!(r.l_over_mu > 1.0);
        assert!(r.train_accuracy > 90.0);
    }

    /// The level set x² + y² = 1 by marching squares: every segment end lies
    /// on the circle to within the interpolation error of a cell (h²), and
    /// the segments add up to 2π to within 1 %.
    #[test]
    fn contour_segments_trace_a_circle() {
        let f = |x: f64, y: f64| x * x + y * y;
        let segs = contour_segments(&f, (-2.0, 2.0), (-2.0, 2.0), (80, 80), 1.0).unwrap();
        let h: f64 = 4.0 / 80.0;
        let mut length = 0.0;
        for [a, b] in &segs {
            for p in [a, b] {
                assert!((p.0.hypot(p.1) - 1.0).abs() <= h * h, "{p:?}");
            }
            length += (a.0 - b.0).hypot(a.1 - b.1);
        }
        assert!((length / (2.0 * std::f64::consts::PI) - 1.0).abs() < 0.01);
        assert!(contour_segments(&f, (1.0, 1.0), (0.0, 1.0), (4, 4), 1.0).is_err());
        assert!(contour_segments(&f, (0.0, 1.0), (0.0, 1.0), (0, 4), 1.0).is_err());
        assert!(contour_segments(&f, (0.0, f64::NAN), (0.0, 1.0), (4, 4), 1.0).is_err());
    }

    /// The drawn Newton step: the model touches f at x₀, its sampled minimum
    /// sits at x₁ (to the grid spacing), and x₁ is lower and nearer the minimiser.
    #[test]
    fn experiment_step_picture_next_iterate_is_the_models_minimum() {
        let p = ex::step_picture(2601).unwrap();
        let at_start = p
            .model
            .iter()
            .find(|q| (q.0 - p.start.0).abs() < 1e-9)
            .unwrap();
        assert_relative_eq!(at_start.1, p.start.1, max_relative = 1e-12);
        let lowest = p
            .model
            .iter()
            .fold((0.0, f64::INFINITY), |a, &q| if q.1 < a.1 { q } else { a });
        assert!((lowest.0 - p.model_min.0).abs() <= 1e-3);
        assert!(p.next.1 < p.start.1);
        assert!((p.next.0 - p.minimiser).abs() < (p.start.0 - p.minimiser).abs());
        assert!(ex::step_picture(1).is_err());
    }

    /// A path figure is drawn to scale and keys every path.
    #[test]
    fn paths_figure_draws_to_scale() {
        let dir = std::env::temp_dir().join(format!("papernotes-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("paths.svg");
        let f = |x: f64, y: f64| x * x + 4.0 * y * y;
        let fig = PathsFigure {
            title: "test",
            f: &f,
            xr: (-2.0, 2.0),
            yr: (-1.0, 1.0),
            levels: &[0.5, 1.0],
            paths: vec![PathSeries {
                label: "a path".into(),
                points: vec![(1.0, 0.5), (0.0, 0.0)],
                color: 0,
                markers: true,
            }],
            target: Some(((0.0, 0.0), "minimum".into())),
        };
        fig.save(&file).unwrap();
        let svg = std::fs::read_to_string(&file).unwrap();
        assert!(svg.contains("a path") && svg.contains("minimum"));
        let bad = PathsFigure {
            xr: (1.0, -1.0),
            ..fig
        };
        assert!(bad.save(&file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

// ---------------------------------------------------------------------------
// The chapter's exercises: each answer against an independent computation.
// ---------------------------------------------------------------------------

/// `x⁶`: the minimum at 0 has f'' = 0.
struct Sixth;
impl ScalarFn for Sixth {
    fn eval<T: Scalar>(&self, x: T) -> T {
        x.powi(6)
    }
}

/// Exercise 1: on x⁶ the Newton map is x − 6x⁵/(30x⁴) = (4/5)x, so every
/// measured ratio x_{k+1}/x_k is 4/5.
#[test]
fn exercise_newton_on_x_to_the_sixth_shrinks_by_four_fifths() {
    let opts = Options::new(1e-300, 200).with_step_tol(1e-8);
    let sol = newton_1d(&Sixth, 0.7, &opts).unwrap();
    assert!(sol.iterations > 50);
    for w in sol.path.windows(2) {
        assert_relative_eq!(w[1] / w[0], 0.8, max_relative = 1e-12);
    }
}

/// Exercise 2: the critical start solves φ(x) = (1 + x²)·atan x − 2x = 0; a
/// secant iteration written here (no library code) finds the same root, Newton's
/// map sends it to −x_c, and φ changes sign there.
#[test]
fn exercise_arctan_critical_start_solves_phi_equals_zero() {
    let phi = |x: f64| (1.0 + x * x) * x.atan() - 2.0 * x;
    let (mut a, mut b) = (1.2f64, 1.6f64);
    for _ in 0..60 {
        if (b - a).abs() < 1e-16 || phi(b) == phi(a) {
            break;
        }
        let c = b - phi(b) * (b - a) / (phi(b) - phi(a));
        (a, b) = (b, c);
    }
    let xc = arctan_critical_start().unwrap();
    assert!((xc - b).abs() < 1e-12, "{xc} vs {b}");
    assert!((xc - 1.3917452).abs() < 1e-6);
    assert_relative_eq!(xc - (1.0 + xc * xc) * xc.atan(), -xc, max_relative = 1e-12);
    assert!(phi(0.99 * xc) < 0.0 && phi(1.01 * xc) > 0.0);
}

/// Exercise 3: the Newton (IRLS) step lands on the weighted ridge
/// least-squares fit of the working response u = Xw + D⁻¹(y − σ(Xw)): the
/// fit, computed here by QR of the stacked system [√D X; √β I] v ≈ [√D u; 0],
/// equals w − (XᵀDX + βI)⁻¹∇L.
#[test]
fn exercise_irls_step_is_a_weighted_least_squares_fit() {
    let (data, host, _) = cancer();
    let (n, d) = data.x.shape();
    let w = DVector::from_fn(d, |i, _| 0.1 * ((i as f64) * 0.7).sin());
    let (_, g, h) = host.value_grad_hess(&w).unwrap();
    let newton = &w - h.cholesky().unwrap().solve(&g);
    let z = &data.x * &w;
    let s = z.map(|z| 1.0 / (1.0 + (-z).exp()));
    let dg = s.map(|p| p * (1.0 - p));
    let u = DVector::from_fn(n, |i, _| z[i] + (data.y[i] - s[i]) / dg[i]);
    let beta: f64 = 1.0;
    let mut a = DMatrix::zeros(n + d, d);
    let mut rhs = DVector::zeros(n + d);
    for i in 0..n {
        let r = dg[i].sqrt();
        for j in 0..d {
            a[(i, j)] = r * data.x[(i, j)];
        }
        rhs[i] = r * u[i];
    }
    for j in 0..d {
        a[(n + j, j)] = beta.sqrt();
    }
    let qr = a.qr();
    let fit = qr
        .r()
        .solve_upper_triangular(&(qr.q().transpose() * rhs))
        .unwrap();
    assert!(
        (&fit - &newton).norm() <= 1e-9 * newton.norm(),
        "{:e}",
        (&fit - &newton).norm()
    );
}

/// Exercise 4: at κ = 100, d = 10, tol = 10⁻⁶ the count is
/// ⌈ln(√0.2·10⁶)/ln(101/99)⌉ = 651, and gradient descent takes exactly that many steps.
#[test]
fn exercise_gradient_descent_needs_651_steps_at_kappa_100() {
    let by_hand = ((0.2f64).sqrt() * 1e6).ln() / (101.0f64 / 99.0).ln();
    assert_eq!(by_hand.ceil(), 651.0);
    let eig: Vec<f64> = (0..10).map(|i| 100f64.powf(i as f64 / 9.0)).collect();
    let q = Quadratic::with_spectrum(&DMatrix::identity(10, 10), &eig, DVector::zeros(10)).unwrap();
    let x0 = DVector::from_element(10, 1.0);
    let k = fixed_step_quadratic(&q, &x0, 2.0 / 101.0, 1e-6, 100_000).unwrap();
    assert_eq!(k, 651);
}

/// Fixed-step gradient descent rejects a step or tolerance that is zero, negative
/// or not finite, as documented, instead of iterating.
#[test]
fn fixed_step_quadratic_rejects_a_step_or_tolerance_that_is_not_positive() {
    let q =
        Quadratic::with_spectrum(&DMatrix::identity(2, 2), &[1.0, 4.0], DVector::zeros(2)).unwrap();
    let x0 = DVector::from_element(2, 1.0);
    for (step, tol) in [
        (0.0, 1e-6),
        (-0.1, 1e-6),
        (f64::NAN, 1e-6),
        (0.4, 0.0),
        (0.4, -1e-6),
        (0.4, f64::INFINITY),
    ] {
        assert!(
            matches!(
                fixed_step_quadratic(&q, &x0, step, tol, 10),
                Err(Error::InvalidParameter { .. })
            ),
            "step {step}, tolerance {tol}"
        );
    }
    // a positive step and tolerance are accepted: 0.4 = 2/(L + μ) converges
    assert!(fixed_step_quadratic(&q, &x0, 0.4, 1e-6, 1000).is_ok());
}

/// Exercise 5: from 1.2 Newton's method on sin converges to π/2, where
/// f'' = −1 < 0: a maximum, reached in a few steps.
#[test]
fn exercise_newton_on_sine_from_1_2_finds_the_maximum() {
    let sol = newton_1d(&Sine, 1.2, &Options::new(1e-14, 20)).unwrap();
    assert!((sol.x - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    assert!(sol.iterations <= 6);
    assert_relative_eq!(
        derivs1(&Sine, sol.x).unwrap().d2,
        -1.0,
        max_relative = 1e-12
    );
}
