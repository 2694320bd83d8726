//! Axes and their tick labels.
//!
//! [`Axis`] is a plotters coordinate that chooses its own ticks: multiples of
//! 1, 2 or 5 × 10ᵏ on a linear axis, decades on a logarithmic one (every
//! decade, or every second, third, ... when the range spans many), always
//! starting from the lowest one in range so that no data sits below the last
//! label. It formats its ticks the same way along the whole axis: plain
//! decimals with one number of decimals, or powers of ten written 10⁻¹⁴
//! (Unicode superscripts), never "1e-14" and never "0" for a small tick.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, KeyPointWeight, Ranged};

use super::Scale;

/// Most major ticks an axis draws.
const MAX_MAJOR: usize = 8;

/// An axis: a range, a scale, and the ticks and labels that go with them.
///
/// Pass it to `ChartBuilder::build_cartesian_2d` and format the mesh's labels
/// with [`Axis::label`]; [`super::LineChart`] does both.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    lo: f64,
    hi: f64,
    scale: Scale,
    degrees: bool,
    integers: bool,
}

impl Axis {
    /// An axis over `lo..hi` (swapped if reversed).
    ///
    /// A log axis needs `0 < lo`; a range that is empty or not finite is
    /// widened to a unit range (a decade on a log axis), so that drawing never
    /// divides by zero.
    pub fn new(lo: f64, hi: f64, scale: Scale) -> Self {
        let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        match scale {
            Scale::Linear => {
                if !(lo.is_finite() && hi.is_finite()) {
                    (lo, hi) = (0.0, 1.0);
                } else if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) {
                    (lo, hi) = (lo - 0.5, hi + 0.5);
                }
            }
            Scale::Log => {
                if !(lo.is_finite() && hi.is_finite() && lo > 0.0) {
                    (lo, hi) = (1.0, 10.0);
                } else if hi / lo < 1.0 + 1e-12 {
                    (lo, hi) = (lo / 10f64.sqrt(), hi * 10f64.sqrt());
                }
            }
        }
        Axis {
            lo,
            hi,
            scale,
            degrees: false,
            integers: false,
        }
    }

    /// Same axis, with ticks on whole numbers only (epochs, iterations,
    /// degrees of a polynomial); linear only.
    pub fn in_integers(mut self) -> Self {
        self.integers = self.scale == Scale::Linear;
        self
    }

    /// Same axis, labelled in degrees ("−90°", "60°") on steps that divide a
    /// right angle or a turn (1, 2, 5, 10, 15, 30, 45, 90, 180°); linear only.
    pub fn in_degrees(mut self) -> Self {
        self.degrees = self.scale == Scale::Linear;
        self
    }

    /// A linear axis over `lo..hi`.
    pub fn linear(lo: f64, hi: f64) -> Self {
        Axis::new(lo, hi, Scale::Linear)
    }

    /// A base-10 logarithmic axis over `lo..hi` (`0 < lo`).
    pub fn log(lo: f64, hi: f64) -> Self {
        Axis::new(lo, hi, Scale::Log)
    }

    /// The axis' range.
    pub fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// The labelled ticks, lowest first.
    pub fn majors(&self) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                let step = self.linear_step();
                multiples(self.lo, self.hi, step)
            }
            Scale::Log => match self.decade_stride() {
                Some(s) => decades(self.lo, self.hi, s),
                None => {
                    // Less than two decades: 1-2-5, then every digit, then
                    // linear steps, whichever first gives three ticks.
                    let t = log_mantissas(self.lo, self.hi, &[1.0, 2.0, 5.0]);
                    if t.len() >= 3 {
                        return t;
                    }
                    let t = log_mantissas(self.lo, self.hi, &[1., 2., 3., 4., 5., 6., 7., 8., 9.]);
                    if t.len() >= 3 {
                        return t;
                    }
                    multiples(self.lo, self.hi, nice_step(self.hi - self.lo))
                }
            },
        }
    }

    /// The unlabelled grid lines between the major ticks (not including them).
    pub fn minors(&self) -> Vec<f64> {
        let all = match self.scale {
            Scale::Linear => {
                let step = self.linear_step();
                // One quiet line halfway between labelled ticks.
                multiples(self.lo, self.hi, step / 2.0)
            }
            Scale::Log => match self.decade_stride() {
                Some(1) => log_mantissas(self.lo, self.hi, &[1., 2., 3., 4., 5., 6., 7., 8., 9.]),
                Some(_) => decades(self.lo, self.hi, 1),
                None => log_mantissas(self.lo, self.hi, &[1., 2., 3., 4., 5., 6., 7., 8., 9.]),
            },
        };
        let majors = self.majors();
        all.into_iter()
            .filter(|v| !majors.iter().any(|m| close(*m, *v)))
            .collect()
    }

    /// The label of tick `v`, formatted the same way as every tick of this axis.
    pub fn label(&self, v: f64) -> String {
        if self.degrees {
            return degrees(v);
        }
        match self.scale {
            Scale::Log if self.decade_stride().is_some() => {
                let k = v.log10().round() as i32;
                if close(v, 10f64.powi(k)) {
                    power_of_ten(k)
                } else {
                    scientific(v)
                }
            }
            _ => {
                let mag = self.lo.abs().max(self.hi.abs());
                let step = match self.scale {
                    Scale::Linear => self.linear_step(),
                    Scale::Log => {
                        let m = self.majors();
                        m.windows(2).map(|w| w[1] - w[0]).fold(self.hi, f64::min)
                    }
                };
                if (1e-3..1e5).contains(&mag) && step >= 1e-4 {
                    let decimals = (-step.log10() - 1e-9).ceil().max(0.0) as usize;
                    decimal(v, decimals)
                } else if v.abs() < step * 1e-6 {
                    "0".into()
                } else {
                    scientific(v)
                }
            }
        }
    }

    fn linear_step(&self) -> f64 {
        let raw = (self.hi - self.lo) / MAX_MAJOR as f64;
        let step = nice_step(self.hi - self.lo);
        if self.degrees && (1.0..=180.0).contains(&raw) {
            let steps = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 45.0, 90.0, 180.0];
            return steps.into_iter().find(|s| *s >= raw).unwrap_or(180.0);
        }
        if self.integers { step.max(1.0) } else { step }
    }

    /// Stride between labelled decades, or `None` when the range holds fewer
    /// than two decades (then ticks are 1, 2, 5 × 10ᵏ).
    fn decade_stride(&self) -> Option<i32> {
        let k0 = (self.lo.log10() - 1e-9).ceil() as i32;
        let k1 = (self.hi.log10() + 1e-9).floor() as i32;
        let n = k1 - k0 + 1;
        if n < 2 {
            return None;
        }
        let strides = [1, 2, 3, 4, 5, 6, 8, 10, 20, 25, 50, 100];
        let fits = |s: &i32| (n + s - 1) / s <= MAX_MAJOR as i32;
        let s0 = strides.into_iter().find(fits).unwrap_or(n);
        // Prefer a slightly wider stride that labels the top decade as well.
        strides
            .into_iter()
            .filter(|s| *s >= s0 && *s <= 2 * s0)
            .find(|s| (n - 1) % s == 0)
            .or(Some(s0))
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = match self.scale {
            Scale::Linear => (value - self.lo) / (self.hi - self.lo),
            Scale::Log => {
                let v = if *value > 0.0 { *value } else { self.lo * 1e-3 };
                (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
            }
        };
        let t = t.clamp(-10.0, 10.0);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        let mut v = self.majors();
        if matches!(hint.weight(), KeyPointWeight::Any) {
            v.extend(self.minors());
        }
        v
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// The step of 1, 2 or 5 × 10ᵏ that cuts `width` into at most [`MAX_MAJOR`] parts.
fn nice_step(width: f64) -> f64 {
    let (m, e) = mantissa_exponent(width / MAX_MAJOR as f64);
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|n| *n >= m - 1e-9)
        .unwrap_or(10.0);
    nice * 10f64.powi(e)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// `x = m · 10^e` with `1 ≤ m < 10`.
fn mantissa_exponent(x: f64) -> (f64, i32) {
    let e = x.abs().log10().floor() as i32;
    let m = x.abs() / 10f64.powi(e);
    // Guard against 9.9999... from rounding.
    if m >= 10.0 - 1e-9 {
        (m / 10.0, e + 1)
    } else {
        (m, e)
    }
}

/// Integer multiples of `step` in `lo..=hi`, computed as `k · step` (so zero is exact).
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    (k0..=k1).map(|k| k as f64 * step).collect()
}

/// Every `stride`-th decade in `lo..=hi`, starting from the lowest.
fn decades(lo: f64, hi: f64, stride: i32) -> Vec<f64> {
    let k0 = (lo.log10() - 1e-9).ceil() as i32;
    let k1 = (hi.log10() + 1e-9).floor() as i32;
    (k0..=k1)
        .step_by(stride.max(1) as usize)
        .map(|k| 10f64.powi(k))
        .collect()
}

/// `m · 10ᵏ` for each mantissa `m` and every decade, kept if inside `lo..=hi`.
fn log_mantissas(lo: f64, hi: f64, ms: &[f64]) -> Vec<f64> {
    let k0 = lo.log10().floor() as i32;
    let k1 = hi.log10().ceil() as i32;
    let mut out = Vec::new();
    for k in k0..=k1 {
        for m in ms {
            let v = m * 10f64.powi(k);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
    }
    out
}

const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// `k` in Unicode superscript digits, with a superscript minus when negative.
pub fn superscript(k: i32) -> String {
    let mut s = String::new();
    if k < 0 {
        s.push('⁻');
    }
    for d in k.unsigned_abs().to_string().bytes() {
        s.push(SUPERSCRIPT[usize::from(d - b'0')]);
    }
    s
}

/// `10ᵏ` with a superscript exponent: `power_of_ten(-14)` is "10⁻¹⁴".
pub fn power_of_ten(k: i32) -> String {
    format!("10{}", superscript(k))
}

/// `v` as `m×10ᵏ` (or `10ᵏ` when `m` is 1), with at most two decimals in `m`
/// and a true minus sign.
pub fn scientific(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let (m, e) = mantissa_exponent(v);
    let m = (m * 100.0).round() / 100.0;
    let (m, e) = if m >= 10.0 { (m / 10.0, e + 1) } else { (m, e) };
    let sign = if v < 0.0 { "−" } else { "" };
    if (m - 1.0).abs() < 1e-9 {
        format!("{sign}{}", power_of_ten(e))
    } else {
        format!("{sign}{}×{}", trim(&format!("{m:.2}")), power_of_ten(e))
    }
}

/// `v` with `decimals` decimals and a true minus sign ("−0.5", never "-0").
pub fn decimal(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("−{s}")
    } else {
        s
    }
}

fn trim(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A tick label on its own, without the axis it belongs to: plain decimals
/// (up to three, trailing zeros dropped) for magnitudes in `[0.001, 10⁵)`,
/// `m×10ᵏ` otherwise. Only an exact zero prints "0".
///
/// Prefer [`Axis::label`], which formats all ticks of one axis alike.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e5).contains(&a) {
        let s = decimal(v, 3);
        trim(&s).to_string()
    } else {
        scientific(v)
    }
}

/// A plain number: at most three decimals, trailing zeros dropped, a true
/// minus sign ("60", "−100", "0.25"); for axes drawn with plotters directly.
pub fn plain(v: f64) -> String {
    trim(&decimal(v, 3)).to_string()
}

/// An angle in degrees: "60°", "−100°".
pub fn degrees(v: f64) -> String {
    format!("{}°", plain(v))
}
