//! Truncated Taylor series ("jets"): Taylor-mode automatic differentiation.
//!
//! A [`Jet<N>`] holds the first `N` Taylor coefficients `c_0, …, c_{N-1}` of a
//! function of a small increment `t`, `u(a + t) = c_0 + c_1 t + … + c_{N-1} t^{N-1} + O(t^N)`.
//! Arithmetic on jets is arithmetic on truncated power series, so evaluating a
//! formula on the jet of the identity, `a + t`, yields the Taylor coefficients
//! of the formula at `a`, and `f^{(k)}(a) = k!·c_k`. Every coefficient is
//! computed from the ones before it by a fixed recurrence, in `O(N²)`
//! operations, with no finite differences and no symbolic algebra.
//!
//! The recurrences are the standard ones of Griewank & Walther, *Evaluating
//! Derivatives* (2nd ed., SIAM 2008), chapter 13 (Taylor coefficient
//! propagation for arithmetic and the elementary functions). Each is derived in the book by
//! differentiating the defining identity (for example `w' = u'·w` for
//! `w = exp u`) and matching coefficients of `t^{k-1}`.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::diff::Scalar;

/// The first `N` Taylor coefficients of a function at a point (`N ≥ 1`).
///
/// `Jet<N>` is `Copy`, so formulas read as they do on `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jet<const N: usize> {
    c: [f64; N],
}

// ANCHOR: jet_basics
impl<const N: usize> Jet<N> {
    const NONEMPTY: () = assert!(N >= 1, "a jet needs at least one coefficient");

    /// The jet of the constant `v`: `(v, 0, 0, …)`.
    pub fn constant(v: f64) -> Self {
        let () = Self::NONEMPTY;
        let mut c = [0.0; N];
        c[0] = v;
        Jet { c }
    }

    /// The jet of the identity at `a`, i.e. of `a + t`: `(a, 1, 0, …)`.
    /// Evaluating a formula on it gives the formula's Taylor coefficients at `a`.
    pub fn variable(a: f64) -> Self {
        let mut j = Self::constant(a);
        if N > 1 {
            j.c[1] = 1.0;
        }
        j
    }

    /// A jet with the given coefficients.
    pub fn from_coeffs(c: [f64; N]) -> Self {
        let () = Self::NONEMPTY;
        Jet { c }
    }

    /// The coefficients `c_0, …, c_{N-1}`.
    pub fn coeffs(&self) -> &[f64; N] {
        &self.c
    }

    /// The value `c_0`.
    pub fn value(&self) -> f64 {
        self.c[0]
    }

    /// The `k`-th derivative `k!·c_k` (`None` if `k ≥ N`).
    pub fn derivative(&self, k: usize) -> Option<f64> {
        let c = *self.c.get(k)?;
        Some(c * (1..=k).map(|i| i as f64).product::<f64>())
    }
}
// ANCHOR_END: jet_basics

impl<const N: usize> Add for Jet<N> {
    type Output = Self;
    fn add(mut self, o: Self) -> Self {
        self.c.iter_mut().zip(o.c).for_each(|(a, b)| *a += b);
        self
    }
}

impl<const N: usize> Sub for Jet<N> {
    type Output = Self;
    fn sub(mut self, o: Self) -> Self {
        self.c.iter_mut().zip(o.c).for_each(|(a, b)| *a -= b);
        self
    }
}

impl<const N: usize> Neg for Jet<N> {
    type Output = Self;
    fn neg(mut self) -> Self {
        self.c.iter_mut().for_each(|a| *a = -*a);
        self
    }
}

// ANCHOR: jet_mul_div
// ANCHOR: jet_mul
impl<const N: usize> Mul for Jet<N> {
    type Output = Self;
    /// Cauchy product: `(uv)_k = Σ_{j=0}^{k} u_j v_{k-j}`.
    fn mul(self, v: Self) -> Self {
        let u = self.c;
        let mut w = [0.0; N];
        for (k, wk) in w.iter_mut().enumerate() {
            *wk = (0..=k).map(|j| u[j] * v.c[k - j]).sum();
        }
        Jet { c: w }
    }
}
// ANCHOR_END: jet_mul

impl<const N: usize> Div for Jet<N> {
    type Output = Self;
    /// `w = u / v` solves `w·v = u` one coefficient at a time:
    /// `w_k = (u_k − Σ_{j=0}^{k-1} w_j v_{k-j}) / v_0`.
    fn div(self, v: Self) -> Self {
        let u = self.c;
        let mut w = [0.0; N];
        for k in 0..N {
            let s: f64 = (0..k).map(|j| w[j] * v.c[k - j]).sum();
            w[k] = (u[k] - s) / v.c[0];
        }
        Jet { c: w }
    }
}
// ANCHOR_END: jet_mul_div

// ANCHOR: jet_elementary
impl<const N: usize> Jet<N> {
    // ANCHOR: jet_exp
    /// `w = exp(u)`: from `w' = u'·w`, `w_k = (1/k) Σ_{j=1}^{k} j u_j w_{k-j}`.
    pub fn exp(self) -> Self {
        let u = self.c;
        let mut w = [0.0; N];
        w[0] = u[0].exp();
        for k in 1..N {
            let s: f64 = (1..=k).map(|j| j as f64 * u[j] * w[k - j]).sum();
            w[k] = s / k as f64;
        }
        Jet { c: w }
    }
    // ANCHOR_END: jet_exp

    /// `w = ln(u)`: from `u·w' = u'`, `w_k = (u_k − (1/k) Σ_{j=1}^{k-1} j w_j u_{k-j}) / u_0`.
    pub fn ln(self) -> Self {
        let u = self.c;
        let mut w = [0.0; N];
        w[0] = u[0].ln();
        for k in 1..N {
            let s: f64 = (1..k).map(|j| j as f64 * w[j] * u[k - j]).sum();
            w[k] = (u[k] - s / k as f64) / u[0];
        }
        Jet { c: w }
    }

    /// `(sin u, cos u)` together: from `s' = u'·c` and `c' = −u'·s`,
    /// `s_k = (1/k) Σ j u_j c_{k-j}` and `c_k = −(1/k) Σ j u_j s_{k-j}`.
    pub fn sin_cos(self) -> (Self, Self) {
        let u = self.c;
        let (mut s, mut c) = ([0.0; N], [0.0; N]);
        (s[0], c[0]) = u[0].sin_cos();
        for k in 1..N {
            let (mut ds, mut dc) = (0.0, 0.0);
            for j in 1..=k {
                ds += j as f64 * u[j] * c[k - j];
                dc += j as f64 * u[j] * s[k - j];
            }
            s[k] = ds / k as f64;
            c[k] = -dc / k as f64;
        }
        (Jet { c: s }, Jet { c })
    }

    /// `w = sqrt(u)`: from `w·w = u`, `w_k = (u_k − Σ_{j=1}^{k-1} w_j w_{k-j}) / (2 w_0)`.
    pub fn sqrt(self) -> Self {
        let u = self.c;
        let mut w = [0.0; N];
        w[0] = u[0].sqrt();
        for k in 1..N {
            let s: f64 = (1..k).map(|j| w[j] * w[k - j]).sum();
            w[k] = (u[k] - s) / (2.0 * w[0]);
        }
        Jet { c: w }
    }

    /// `u^n` by repeated squaring (exact for integer `n`, also where `u_0 = 0`);
    /// a negative `n` takes the reciprocal of `u^{|n|}`.
    pub fn powi(self, n: i32) -> Self {
        let mut result = Self::constant(1.0);
        let mut base = self;
        let mut e = n.unsigned_abs();
        while e > 0 {
            if e & 1 == 1 {
                result = result * base;
            }
            base = base * base;
            e >>= 1;
        }
        if n < 0 { result.recip() } else { result }
    }

    /// `1 / u`.
    pub fn recip(self) -> Self {
        Self::constant(1.0) / self
    }
}
// ANCHOR_END: jet_elementary

impl<const N: usize> Jet<N> {
    /// `w = ln(1 + u)`, with `w_0 = ln_1p(u_0)` accurate for small `u_0`.
    pub fn ln_1p(self) -> Self {
        let mut w = (Self::constant(1.0) + self).ln();
        w.c[0] = self.c[0].ln_1p();
        w
    }

    /// `(sinh u, cosh u)` together: from `s' = u'·c` and `c' = u'·s`,
    /// `s_k = (1/k) Σ j u_j c_{k-j}` and `c_k = (1/k) Σ j u_j s_{k-j}`.
    pub fn sinh_cosh(self) -> (Self, Self) {
        let u = self.c;
        let (mut s, mut c) = ([0.0; N], [0.0; N]);
        (s[0], c[0]) = (u[0].sinh(), u[0].cosh());
        for k in 1..N {
            let (mut ds, mut dc) = (0.0, 0.0);
            for j in 1..=k {
                ds += j as f64 * u[j] * c[k - j];
                dc += j as f64 * u[j] * s[k - j];
            }
            s[k] = ds / k as f64;
            c[k] = dc / k as f64;
        }
        (Jet { c: s }, Jet { c })
    }

    /// `w = tanh(u)`: from `w' = u'·v` with `v = 1 − w²`,
    /// `w_k = (1/k) Σ_{j=1}^{k} j u_j v_{k-j}` and `v_m = δ_{m0} − Σ_{i=0}^{m} w_i w_{m-i}`.
    pub fn tanh(self) -> Self {
        let u = self.c;
        let (mut w, mut v) = ([0.0; N], [0.0; N]);
        w[0] = u[0].tanh();
        v[0] = 1.0 - w[0] * w[0];
        for k in 1..N {
            let s: f64 = (1..=k).map(|j| j as f64 * u[j] * v[k - j]).sum();
            w[k] = s / k as f64;
            v[k] = -(0..=k).map(|i| w[i] * w[k - i]).sum::<f64>();
        }
        Jet { c: w }
    }

    /// `w = atan(u)`: from `d·w' = u'` with `d = 1 + u²`,
    /// `w_k = (k u_k − Σ_{j=1}^{k-1} (k−j) d_j w_{k-j}) / (k d_0)`.
    pub fn atan(self) -> Self {
        let u = self.c;
        let d = (Self::constant(1.0) + self * self).c;
        let mut w = [0.0; N];
        w[0] = u[0].atan();
        for k in 1..N {
            let s: f64 = (1..k).map(|j| (k - j) as f64 * d[j] * w[k - j]).sum();
            w[k] = (k as f64 * u[k] - s) / (k as f64 * d[0]);
        }
        Jet { c: w }
    }
}

impl<const N: usize> Scalar for Jet<N> {
    fn cst(v: f64) -> Self {
        Jet::constant(v)
    }
    fn re(self) -> f64 {
        self.c[0]
    }
    fn exp(self) -> Self {
        Jet::exp(self)
    }
    fn ln(self) -> Self {
        Jet::ln(self)
    }
    fn ln_1p(self) -> Self {
        Jet::ln_1p(self)
    }
    fn sin(self) -> Self {
        self.sin_cos().0
    }
    fn cos(self) -> Self {
        self.sin_cos().1
    }
    fn cosh(self) -> Self {
        self.sinh_cosh().1
    }
    fn tanh(self) -> Self {
        Jet::tanh(self)
    }
    fn atan(self) -> Self {
        Jet::atan(self)
    }
    fn sqrt(self) -> Self {
        Jet::sqrt(self)
    }
    fn recip(self) -> Self {
        Jet::recip(self)
    }
    fn powi(self, n: i32) -> Self {
        Jet::powi(self, n)
    }
}
