//! Tests of the shared pieces every chapter relies on: automatic
//! differentiation, the run record, the figure style, the device choice and
//! the error helpers.

mod common;

use approx::assert_relative_eq;
use candle_core::{DType, Device, Tensor};
use nalgebra::DVector;
use papernotes::Error;
use papernotes::device::{DeviceChoice, select};
use papernotes::diff::{self, Field, Scalar, ScalarFn};
use papernotes::functions::{ChainedRosenbrock, Rosenbrock};
use papernotes::nn::feature::row_normalize;
use papernotes::nn::metrics::{accuracy, auc, tar_at_far};
use papernotes::plot::{LineChart, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run, format_number};
use proptest::prelude::*;

/// f(x) = exp(a x) sin(x): derivatives known in closed form.
struct ExpSin {
    a: f64,
}

impl ScalarFn for ExpSin {
    fn eval<T: Scalar>(&self, x: T) -> T {
        (T::cst(self.a) * x).exp() * x.sin()
    }
}

/// f(x) = Σ_i c_i x_i² + x_0 x_1 x_2 + exp(x_0 - x_1): gradient and Hessian known in closed form.
struct Poly3 {
    c: [f64; 3],
}

impl Field for Poly3 {
    fn dim(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[T]) -> T {
        let sq = (0..3).fold(T::cst(0.0), |s, i| s + T::cst(self.c[i]) * x[i] * x[i]);
        sq + x[0] * x[1] * x[2] + (x[0] - x[1]).exp()
    }
}

proptest! {
    #![proptest_config(common::config())]

    /// Hyper-dual numbers give f' and f'' of exp(ax)·sin x to rounding error.
    #[test]
    fn derivs1_matches_closed_form(a in -2.0..2.0f64, x in -3.0..3.0f64) {
        let d = diff::derivs1(&ExpSin { a }, x).unwrap();
        let (e, s, c) = ((a * x).exp(), x.sin(), x.cos());
        // f' = e(a s + c), f'' = e((a² - 1) s + 2 a c); values are O(e^6), so a
        // relative tolerance of 1e-12 leaves a margin of ~1e3 ulps for the few
        // operations involved.
        prop_assert!((d.value - e * s).abs() <= 1e-12 * e.max(1.0));
        prop_assert!((d.d1 - e * (a * s + c)).abs() <= 1e-12 * e.max(1.0) * (1.0 + a.abs()));
        prop_assert!((d.d2 - e * ((a * a - 1.0) * s + 2.0 * a * c)).abs() <= 1e-12 * e.max(1.0) * (1.0 + a * a));
    }

    /// Gradient and Hessian of a coupled cubic agree with the hand-derived ones,
    /// and the Hessian is symmetric by construction.
    #[test]
    fn gradient_and_hessian_match_closed_form(
        c in proptest::array::uniform3(-2.0..2.0f64),
        x in proptest::array::uniform3(-1.5..1.5f64),
    ) {
        let f = Poly3 { c };
        let p = DVector::from_row_slice(&x);
        let (v, g, h) = diff::value_gradient_hessian(&f, &p).unwrap();
        let e = (x[0] - x[1]).exp();
        let g_true = [
            2.0 * c[0] * x[0] + x[1] * x[2] + e,
            2.0 * c[1] * x[1] + x[0] * x[2] - e,
            2.0 * c[2] * x[2] + x[0] * x[1],
        ];
        let h_true = [
            [2.0 * c[0] + e, x[2] - e, x[1]],
            [x[2] - e, 2.0 * c[1] + e, x[0]],
            [x[1], x[0], 2.0 * c[2]],
        ];
        prop_assert!((v - f.eval(&x)).abs() <= 1e-12 * v.abs().max(1.0));
        let g2 = diff::gradient(&f, &p).unwrap();
        for i in 0..3 {
            // Entries are sums of a few O(e^3) terms: 1e-12 relative to that scale.
            prop_assert!((g[i] - g_true[i]).abs() <= 1e-12 * 25.0);
            prop_assert!((g2[i] - g_true[i]).abs() <= 1e-12 * 25.0);
            for j in 0..3 {
                prop_assert!((h[(i, j)] - h_true[i][j]).abs() <= 1e-12 * 25.0);
                prop_assert_eq!(h[(i, j)], h[(j, i)]);
            }
        }
    }

    /// Rosenbrock's function is non-negative, agrees with the chained form for n = 2,
    /// and vanishes only at its documented minimum (1, 1) on the parabola y = x².
    #[test]
    fn rosenbrock_is_non_negative_and_matches_the_chained_form(
        x in -2.0..2.0f64,
        y in -1.0..3.0f64,
    ) {
        let f = Rosenbrock.eval(&[x, y]);
        let chained = ChainedRosenbrock { n: 2 }.eval(&[x, y]);
        prop_assert!(f >= 0.0);
        prop_assert!((f - chained).abs() <= 1e-12 * f.max(1.0));
        // On the parabola y = x² only the (1 − x)² term is left.
        let on_parabola = Rosenbrock.eval(&[x, x * x]);
        prop_assert!((on_parabola - (1.0 - x).powi(2)).abs() <= 1e-12 * on_parabola.max(1.0));
    }

    /// Accuracy is the fraction of rows whose largest score sits at the label,
    /// counted here row by row on the raw numbers.
    #[test]
    fn accuracy_is_the_fraction_of_argmax_hits(
        rows in 1usize..8,
        seed in 0u32..10_000,
        labels in prop::collection::vec(0u32..3, 8),
    ) {
        // Distinct scores per row (no ties for the argmax to break).
        let scores: Vec<f32> = (0..rows * 3)
            .map(|k| ((seed as f32 + 1.7 * k as f32).sin() * 100.0).round() + 0.001 * k as f32)
            .collect();
        let labels = &labels[..rows];
        let hits = (0..rows)
            .filter(|&r| {
                let row = &scores[3 * r..3 * r + 3];
                let l = labels[r] as usize;
                (0..3).all(|c| c == l || row[c] < row[l])
            })
            .count();
        let st = Tensor::from_vec(scores, (rows, 3), &Device::Cpu).unwrap();
        let lt = Tensor::from_vec(labels.to_vec(), rows, &Device::Cpu).unwrap();
        let acc = accuracy(&st, &lt).unwrap();
        prop_assert!((acc - hits as f64 / rows as f64).abs() < 1e-12, "{} vs {}/{}", acc, hits, rows);
    }

    /// TAR at FAR follows its definition: the threshold is the smallest impostor
    /// score (or −∞) that lets through at most a `far` fraction of impostors, and
    /// TAR is the fraction of genuine scores strictly above it.
    #[test]
    fn tar_at_far_matches_its_threshold_definition(
        g in prop::collection::vec(-4i32..4, 1..10),
        i in prop::collection::vec(-4i32..4, 1..10),
        far in 0.0..=1.0f64,
    ) {
        let g: Vec<f64> = g.into_iter().map(f64::from).collect();
        let i: Vec<f64> = i.into_iter().map(f64::from).collect();
        let accepted = |t: f64, s: &[f64]| s.iter().filter(|&&v| v > t).count();
        let threshold = i
            .iter()
            .copied()
            .chain([f64::NEG_INFINITY])
            .filter(|&t| accepted(t, &i) as f64 <= far * i.len() as f64)
            .fold(f64::INFINITY, f64::min);
        let want = accepted(threshold, &g) as f64 / g.len() as f64;
        let tar = tar_at_far(&g, &i, far).unwrap();
        prop_assert!((tar - want).abs() < 1e-12, "TAR {} vs {}", tar, want);
        prop_assert!((0.0..=1.0).contains(&tar));
    }

    /// Swapping genuine and impostor scores turns the AUC into its complement:
    /// every pair counts once in one of the two areas, ties half in each.
    #[test]
    fn auc_of_swapped_scores_is_the_complement(
        g in prop::collection::vec(-3i32..3, 1..10),
        i in prop::collection::vec(-3i32..3, 1..10),
    ) {
        let g: Vec<f64> = g.into_iter().map(f64::from).collect();
        let i: Vec<f64> = i.into_iter().map(f64::from).collect();
        let (a, b) = (auc(&g, &i).unwrap(), auc(&i, &g).unwrap());
        prop_assert!((a + b - 1.0).abs() < 1e-12, "{} + {}", a, b);
    }

    /// Normalised rows have unit length and keep their direction.
    #[test]
    fn row_normalize_gives_unit_rows_in_the_same_direction(
        rows in 1usize..5,
        cols in 1usize..6,
        seed in 0u32..10_000,
    ) {
        let v: Vec<f64> = (0..rows * cols)
            .map(|k| (seed as f64 + 0.9 * k as f64).sin() * 10.0 + 0.5)
            .collect();
        let t = Tensor::from_vec(v.clone(), (rows, cols), &Device::Cpu).unwrap();
        let u: Vec<Vec<f64>> = row_normalize(&t).unwrap().to_dtype(DType::F64).unwrap().to_vec2().unwrap();
        for (r, ur) in u.iter().enumerate() {
            let x = &v[r * cols..(r + 1) * cols];
            let norm = x.iter().map(|a| a * a).sum::<f64>().sqrt();
            for (a, b) in x.iter().zip(ur) {
                prop_assert!((a / norm - b).abs() < 1e-9, "{} vs {}", a / norm, b);
            }
        }
    }
}

/// Rosenbrock's minimum: value 0 and zero gradient at (1, 1), where the Hessian's
/// condition number is about 2508, as the function's documentation states.
#[test]
fn rosenbrock_minimum_and_its_conditioning() {
    let p = DVector::from_vec(vec![1.0, 1.0]);
    let (v, g, h) = diff::value_gradient_hessian(&Rosenbrock, &p).unwrap();
    assert_eq!(v, 0.0);
    assert_eq!(g.norm(), 0.0);
    let eig = h.symmetric_eigenvalues();
    let (lo, hi) = (eig.min(), eig.max());
    assert!(lo > 0.0, "the minimum is strict: {eig}");
    assert!(
        (hi / lo - 2508.0).abs() < 1.0,
        "condition number {}",
        hi / lo
    );
}

#[test]
fn diff_rejects_bad_points() {
    let f = Poly3 { c: [1.0; 3] };
    let err = diff::gradient(&f, &DVector::from_vec(vec![1.0, 2.0])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("expected 3 coordinates, got 2"),
        "{err}"
    );
    let err = diff::hessian(&f, &DVector::from_vec(vec![1.0, f64::NAN, 0.0])).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = diff::value(&f, &DVector::from_vec(vec![])).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooFew {
                needed: 1,
                got: 0,
                ..
            }
        ),
        "{err}"
    );
    let err = diff::derivs1(&ExpSin { a: 1.0 }, f64::INFINITY).unwrap_err();
    assert!(err.to_string().contains("must be finite"), "{err}");
    // A function that overflows is reported, not returned as infinity.
    let err = diff::derivs1(&ExpSin { a: 1000.0 }, 1.0).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
}

#[test]
fn cuda_without_the_feature_is_a_clear_error() {
    assert!(select(DeviceChoice::Cpu).is_ok());
    if cfg!(not(feature = "cuda")) {
        let err = select(DeviceChoice::Cuda).unwrap_err();
        assert!(matches!(err, Error::Device(_)));
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }
}

#[test]
fn number_formats() {
    assert_eq!(format_number(20.6, Fmt::Int), "21");
    assert_eq!(format_number(2.0612e-9, Fmt::Sci(2)), "2.06e-9");
    assert_eq!(format_number(2.71239, Fmt::Fixed(3)), "2.712");
    assert_eq!(format_number(f64::NAN, Fmt::Fixed(3)), "NaN");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("papernotes-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn run_record_writes_json_and_anchored_snippets() {
    let dir = temp_dir("run");
    let args = CommonArgs {
        quick: true,
        device: DeviceChoice::Cpu,
        out: Some(dir.clone()),
        seed: 7,
    };
    let mut run = Run::start("demo", &args, "cpu").unwrap();
    run.number("answer", 41.6, Fmt::Int);
    run.table("t", &["a", "b"], &[vec!["1".into(), "2".into()]]);
    let x = run.time("work", || 3);
    assert_eq!(x, 3);
    let fig = run.figure("f.svg", "a figure");
    assert_eq!(fig, dir.join("f.svg"));
    run.finish().unwrap();

    let md = std::fs::read_to_string(dir.join("run.md")).unwrap();
    assert!(
        md.contains("<!-- ANCHOR: answer -->\n42\n<!-- ANCHOR_END: answer -->"),
        "{md}"
    );
    for key in ["t", "provenance", "timings", "figures"] {
        assert!(md.contains(&format!("ANCHOR: {key} -->")), "missing {key}");
    }
    assert!(md.contains("| `figures/demo/f.svg` | a figure |"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["seed"], 7);
    assert_eq!(json["mode"], "quick");
    assert_eq!(json["results"]["answer"], 41.6);
    assert!(json["timings_s"]["work"].as_f64().unwrap() >= 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The UTC calendar date of a Unix time, counted year by year and month by month
/// from 1970-01-01 with the Gregorian leap-year rule.
fn civil_date(secs: u64) -> String {
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut days = secs / 86_400;
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while days >= lengths[month] {
        days -= lengths[month];
        month += 1;
    }
    format!("{year:04}-{:02}-{:02}", month + 1, days + 1)
}

/// The run record's date is today's UTC date.
#[test]
fn run_record_dates_the_run_in_utc() {
    // Known dates, to check the counting itself.
    assert_eq!(civil_date(0), "1970-01-01");
    assert_eq!(civil_date(951_782_400), "2000-02-29");
    assert_eq!(civil_date(4_107_542_400), "2100-03-01");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let dir = temp_dir("date");
    let args = CommonArgs {
        quick: true,
        device: DeviceChoice::Cpu,
        out: Some(dir.clone()),
        seed: 1,
    };
    let before = civil_date(now());
    Run::start("demo", &args, "cpu").unwrap().finish().unwrap();
    let after = civil_date(now());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let date = json["date"].as_str().unwrap();
    assert!(date == before || date == after, "{date}, today {before}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn line_chart_draws_an_svg_with_the_shared_background() {
    let dir = temp_dir("plot");
    let path = dir.join("c.svg");
    let mut chart = LineChart::new("t", "x", "y");
    chart.y_scale = Scale::Log;
    // A diverging series: the infinite and non-positive points are dropped, not drawn.
    chart.push(Series::line(
        "s",
        vec![(0.0, 1.0), (1.0, 10.0), (2.0, f64::INFINITY), (3.0, -1.0)],
        0,
    ));
    chart.save(&path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG");
    assert!(
        svg.contains("#FAFAFA") || svg.contains("rgb(250,250,250)") || svg.contains("#fafafa"),
        "no background"
    );
    let mut empty = LineChart::new("t", "x", "y");
    empty.push(Series::line("nan", vec![(f64::NAN, 1.0)], 0));
    let err = empty.save(&dir.join("e.svg")).unwrap_err();
    assert!(matches!(err, Error::Plot { .. }), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ensure_helpers_name_the_problem() {
    let e = papernotes::error::ensure_finite("weights", &[1.0, f64::NEG_INFINITY]).unwrap_err();
    assert_eq!(e.to_string(), "`weights` must be finite, but it is -inf");
    let e = papernotes::error::ensure_len("data", 0, 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`data` has 0 element(s), but at least 2 are needed"
    );
    assert_relative_eq!(<f64 as Scalar>::cst(0.5), 0.5);
}

#[test]
fn numeric_helpers_neither_overflow_nor_lose_small_terms() {
    use papernotes::numeric::{log_sum_exp, sigmoid, softplus};
    // softplus(z) = ln(1 + e^z): e^800 overflows, the stable form does not.
    assert_eq!(softplus(800.0), 800.0);
    assert_relative_eq!(softplus(-800.0f64), 0.0);
    assert_relative_eq!(softplus(-30.0f64), (-30.0f64).exp(), max_relative = 1e-12);
    assert_relative_eq!(softplus(0.0f64), 2f64.ln(), max_relative = 1e-15);
    assert_eq!(sigmoid(1000.0f64), 1.0);
    assert_eq!(sigmoid(-1000.0f64), 0.0);
    assert_relative_eq!(
        sigmoid(0.3f64),
        1.0 / (1.0 + (-0.3f64).exp()),
        max_relative = 1e-15
    );
    // derivatives through the dual numbers: softplus' = σ, σ' = σ(1 − σ).
    let d = diff::derivs1(&Softplus, 0.7).unwrap();
    let s = sigmoid(0.7f64);
    assert_relative_eq!(d.d1, s, max_relative = 1e-14);
    assert_relative_eq!(d.d2, s * (1.0 - s), max_relative = 1e-13);
    let lse = log_sum_exp(&[1000.0, 1000.0]).unwrap();
    assert_relative_eq!(lse, 1000.0 + 2f64.ln(), max_relative = 1e-15);
    assert_relative_eq!(
        log_sum_exp(&[0.1, -0.4, 2.0]).unwrap(),
        (0.1f64.exp() + (-0.4f64).exp() + 2f64.exp()).ln(),
        max_relative = 1e-15
    );
    let err = log_sum_exp::<f64>(&[]).unwrap_err();
    assert!(matches!(err, Error::TooFew { .. }), "{err}");
}

/// softplus as a function, to differentiate it.
struct Softplus;

impl ScalarFn for Softplus {
    fn eval<T: Scalar>(&self, x: T) -> T {
        papernotes::numeric::softplus(x)
    }
}

#[test]
fn run_record_refuses_a_value_json_cannot_hold() {
    let dir = temp_dir("record-error");
    let args = CommonArgs {
        quick: true,
        device: DeviceChoice::Cpu,
        out: Some(dir.clone()),
        seed: 7,
    };
    let mut run = Run::start("demo", &args, "cpu").unwrap();
    // JSON object keys are strings: a map keyed by pairs cannot be written.
    let bad: std::collections::BTreeMap<(u8, u8), f64> = [((1, 2), 0.5)].into_iter().collect();
    let e = run.record("pairs", &bad).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "run record value",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("`pairs`"), "{e}");
    run.record("fine", [1.0, 2.0]).unwrap();
    run.finish().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let text = json.to_string();
    assert!(!text.contains("\"pairs\""), "{text}");
    assert!(text.contains("\"fine\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
