//! Softmax weight imbalance and normalization: runs every experiment of the
//! chapter (`papernotes::softmax::experiments`), draws its figures and records
//! its numbers.
//!
//! `cargo run --release --example softmax` writes `figures/softmax/`;
//! `cargo run --example softmax -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nalgebra::DMatrix;
use papernotes::Result;
use papernotes::nn::metrics::Similarity;
use papernotes::nn::{Head as _, Opt};
use papernotes::plot::{
    self, Axis, Key, KeySpread, Legend, LineChart, Mark, Marker, Scale, Series, Shape, Summary,
};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::softmax::experiments::{self as ex, Digits, Plan, Table};

#[derive(Parser)]
#[command(about = "Softmax: weight imbalance, biases, radial features, NormFace scale, blur")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

type Item = fn(&mut Run, &Plan, &Digits, &candle_core::Device) -> Result<()>;

fn run() -> Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "softmax",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = Plan::new(run.quick(), run.seed());
    let data = Digits::load(&plan, &device)?;
    run.number("n_train", data.train.n as f64, Fmt::Int);
    run.number("n_test", data.test.n as f64, Fmt::Int);
    run.number("epochs", plan.epochs as f64, Fmt::Int);
    run.number("seeds", plan.seeds as f64, Fmt::Int);
    let items: [(&str, Item); 7] = [
        ("item 1: two classes", |r, _, _, _| two_class(r)),
        ("item 2: imbalance", imbalance),
        ("item 3: biases", biases),
        ("item 4: radial features", radial),
        ("item 5: NormFace scale", normface_scale),
        ("item 6: blur", blur),
        ("item 7: training on blurred digits", blur_training),
    ];
    let mut times = Vec::new();
    for (label, item) in items {
        let t0 = Instant::now();
        item(&mut run, &plan, &data, &device)?;
        times.push(vec![
            label.to_string(),
            format!("{:.3}", t0.elapsed().as_secs_f64()),
        ]);
    }
    run.table("item_timings", &["experiment", "wall time (s)"], &times);
    run.finish()
}

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
}

fn two_class(run: &mut Run) -> Result<()> {
    let tc = ex::two_class()?;
    run.number("tc_g1", tc.gradient.0, Fmt::Fixed(1));
    run.number("tc_g2", tc.gradient.1, Fmt::Fixed(1));
    run.number("tc_notes_g1", tc.notes_gradient.0, Fmt::Int);
    run.number("tc_notes_g2", tc.notes_gradient.1, Fmt::Int);
    let path = run.figure(
        "two_class.svg",
        "Gradient descent on the notes' two-class problem (m = 100, n = 1): w₁, w₂ and the conserved w₁ + w₂",
    );
    let mut chart = LineChart::new(
        "Two classes at f = ±1, m = 100 and n = 1, no biases",
        "gradient-descent step",
        "weight",
    );
    let pts = |f: &dyn Fn(&(f64, f64)) -> f64| -> Vec<(f64, f64)> {
        let it = tc.path.iter().enumerate();
        it.map(|(k, w)| (k as f64, f(w))).collect()
    };
    chart.push(Series::line("w₁ (class 1, 100 samples)", pts(&|w| w.0), 0));
    chart.push(Series::line("w₂ (class 2, 1 sample)", pts(&|w| w.1), 1));
    chart.push(Series::line("w₁ + w₂", pts(&|w| w.0 + w.1), 2).with_mark(Mark::Dashed));
    chart.save(&path)?;
    run.number("tc_sum_drift", tc.sum_drift, Fmt::Sci(1));
    run.number("tc_w1_final", tc.last().0, Fmt::Fixed(2));
    run.number("tc_w2_final", tc.last().1, Fmt::Fixed(2));
    Ok(())
}

fn imbalance(run: &mut Run, plan: &Plan, data: &Digits, dev: &candle_core::Device) -> Result<()> {
    let imb = ex::imbalance(plan, data, dev)?;
    for r in &imb.rows {
        let (h, o) = (ex::head_key(&r.head), ex::opt_key(r.opt));
        run.number(&format!("imb_acc_{h}_{o}"), r.accuracy, Fmt::Fixed(3));
        run.number(&format!("imb_rare_{h}_{o}"), r.rare_accuracy, Fmt::Fixed(3));
    }
    for rho in &imb.rho {
        let o = ex::opt_key(rho.opt);
        run.number(&format!("imb_rho_{o}"), rho.mean_last(), Fmt::Fixed(2));
        let each: Vec<String> = rho.last().iter().map(|v| format!("{v:.2}")).collect();
        run.snippet(&format!("imb_rho_{o}_each"), each.join(", "));
        let st = imb.norm_rho(rho.opt)?;
        run.snippet(&format!("imb_rho_{o}_stats"), st.show(2));
        run.number(&format!("imb_rho_{o}_se"), st.se, Fmt::Fixed(2));
    }
    table(run, "imbalance", &imb.table());
    table(run, "imb_weight_norm", &imb.weight_norm_table()?);
    let sizes: Vec<String> = imb.sizes.iter().map(ToString::to_string).collect();
    run.snippet("imb_sizes", sizes.join(", "));
    run.number("imb_epochs", plan.imb_epochs as f64, Fmt::Int);
    let path = run.figure(
        "weight_norms.svg",
        "Softmax class-weight norm ‖w_j‖ against class size n_j after the first and the last epoch (SGD with momentum): mean over seeds, band from the lowest to the highest seed",
    );
    let mut chart = LineChart::new(
        "Class-weight norms on an imbalanced subset",
        "training examples of the class, n_j",
        "‖w_j‖",
    );
    let xs: Vec<f64> = imb.norms_each[0].0.iter().map(|p| p.0).collect();
    for (k, label) in ["after epoch 1", "after the last epoch"].iter().enumerate() {
        let runs: Vec<Vec<f64>> = (imb.norms_each.iter())
            .map(|e| if k == 0 { &e.0 } else { &e.1 })
            .map(|v| v.iter().map(|p| p.1).collect())
            .collect();
        let label = format!("{label} ({} seeds)", runs.len());
        let s = Series::summary(label, &xs, &runs, k, Summary::MeanMinMax)?;
        chart.push(s.with_mark(Mark::LinePoints));
    }
    chart.x_scale = Scale::Log;
    // The class sizes span one decade: a margin around them, not whole decades.
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
    chart.x_range = Some((lo / 1.15, hi * 1.15));
    chart.save(&path)?;
    let path = run.figure(
        "rank_correlation.svg",
        "Spearman rank correlation between ‖w_j‖ and n_j during training of the softmax head, SGD with momentum against Adam: mean over seeds, band from the lowest to the highest seed",
    );
    let mut chart = LineChart::new(
        "Does the larger class get the larger weight norm?",
        "epoch",
        "Spearman correlation of ‖w_j‖ and n_j",
    );
    let epochs: Vec<f64> = (1..=plan.imb_epochs).map(|e| e as f64).collect();
    for (k, opt) in [Opt::Sgd { momentum: 0.9 }, Opt::Adam]
        .into_iter()
        .enumerate()
    {
        let rho = imb.rho_for(opt)?;
        let label = format!("{} ({} seeds)", ex::opt_name(opt), rho.curves.len());
        let s = Series::summary(label, &epochs, &rho.curves, k, Summary::MeanMinMax)?;
        chart.push(s.with_mark(Mark::LinePoints));
    }
    chart.y_range = Some((-1.0, 1.0));
    chart.save(&path)
}

fn biases(run: &mut Run, plan: &Plan, data: &Digits, dev: &candle_core::Device) -> Result<()> {
    let b = ex::biases(plan, data, dev)?;
    table(run, "bias", &b.table());
    run.number("bias_diff", b.difference(), Fmt::Fixed(3));
    let g = b.gain()?;
    run.snippet("bias_gain", g.show(3));
    run.number("bias_gain_se", g.se, Fmt::Fixed(3));
    let useless = if b.useless()? { "yes" } else { "no" };
    run.snippet("bias_useless", useless);
    run.number("epoch_ms", 1000.0 * b.epoch_seconds, Fmt::Fixed(1));
    table(run, "bias_bounded", &b.bounded_table());
    Ok(())
}

fn radial(run: &mut Run, plan: &Plan, data: &Digits, dev: &candle_core::Device) -> Result<()> {
    let r = ex::radial(plan, data, dev)?;
    for row in &r.rows {
        let d = row.dim;
        run.number(&format!("tar_euc_{d}"), row.tar_euclidean, Fmt::Fixed(3));
        run.number(&format!("tar_cos_{d}"), row.tar_cosine, Fmt::Fixed(3));
    }
    table(run, "radial", &r.table());
    for (key, v) in [("shape_raw", &r.shape.raw), ("shape_unit", &r.shape.unit)] {
        run.snippet(key, ex::SeedStats::new(v.clone())?.show(2));
    }
    for (k, d) in [(0, 2), (1, 3)] {
        run.snippet(&format!("cos_gain_{d}"), r.cosine_gain(k)?.show(3));
    }
    let path = run.figure(
        "radial_2d.svg",
        "2-D softmax features of the test digits (first seed), axes to the same scale: each class a thick ray from the origin",
    );
    scatter(&path, &r.features_2d, &r.labels)?;
    let path = run.figure(
        "verification_roc.svg",
        "Verification ROC on test-digit pairs from softmax features: Euclidean distance vs cosine similarity",
    );
    let mut chart = LineChart::new(
        "Pairs of test digits: same class or not?",
        "false accept rate",
        "true accept rate",
    );
    for (k, c) in r.roc.iter().enumerate() {
        let how = match c.similarity {
            Similarity::NegEuclidean => "Euclidean",
            Similarity::Cosine => "cosine",
        };
        let pts = c.points.iter().copied().filter(|p| p.0 > 0.0).collect();
        chart.push(Series::line(format!("d = {}, {how}", c.dim), pts, k));
    }
    chart.x_scale = Scale::Log;
    chart.legend = Legend::Right;
    chart.save(&path)
}

/// The palette colour and marker shape of digit `k`: the first eight take the
/// palette in order; 8 and 9 reuse the first two colours with shapes of their own.
fn digit_style(k: usize) -> (usize, Shape) {
    match k {
        8 => (0, Shape::Ring),
        9 => (1, Shape::TriangleDown),
        _ => (k, Shape::for_index(k)),
    }
}

/// The 2-D features as a scatter with both axes to the same scale, the legend
/// in a column to the right of the plot.
fn scatter(path: &Path, f: &DMatrix<f64>, y: &[usize]) -> Result<()> {
    let err = |e: String| plot::plot_err(path, e);
    let r = (0..f.nrows()).map(|i| f.row(i).amax()).fold(0.0, f64::max) * 1.05;
    let (xa, ya) = (Axis::linear(-r, r), Axis::linear(-r, r));
    let y_area = plot::y_label_area(&ya);
    let root = plot::svg_root(path, (plot::WIDTH, 640))?;
    let title = "2-D softmax features of the test digits";
    let body = root
        .titled(title, plot::title_style())
        .map_err(|e| err(e.to_string()))?;
    // plot::chart leaves 12 px above and below the plot and 54 px for the x
    // labels, 12 px left of the y labels and 24 px right of the plot.
    let side = body.dim_in_pixel().1 - 78;
    let (left, key_area) = body.split_horizontally(side + 36 + y_area);
    let classes = y.iter().max().map_or(0, |&m| m + 1);
    let mut chart =
        plot::chart(&left, "", ("feature 1", xa), ("feature 2", ya), y_area).map_err(err)?;
    let (w, h) = chart.plotting_area().dim_in_pixel();
    if w.abs_diff(h) > 1 {
        return Err(err(format!("the plot is {w} × {h} px, not square")));
    }
    for k in 0..classes {
        let (c, shape) = digit_style(k);
        let pts = (0..f.nrows()).filter(|&i| y[i] == k);
        let markers = pts.map(|i| Marker::new((f[(i, 0)], f[(i, 1)]), shape, plot::color(c)));
        chart.draw_series(markers).map_err(|e| err(e.to_string()))?;
        let key = Key {
            label: format!("digit {k}"),
            mark: Mark::Points,
            color: c,
            shape,
            spread: KeySpread::None,
        };
        plot::draw_key(&key_area, &key, (8, 30 + 30 * k as i32)).map_err(err)?;
    }
    plot::finish(root, path)
}

fn normface_scale(
    run: &mut Run,
    plan: &Plan,
    data: &Digits,
    dev: &candle_core::Device,
) -> Result<()> {
    let nf = ex::normface_scale(plan, data, dev)?;
    run.number("nf_eps", nf.eps, Fmt::Fixed(2));
    run.number("nf_smin", nf.min_scale, Fmt::Fixed(2));
    table(run, "normface", &nf.table());
    let path = run.figure(
        "normface_scale.svg",
        "NormFace: training loss reached with scale s (d = 16, 10 classes) against the lower bound log(1 + 9e^{−10s/9})",
    );
    let mut chart = LineChart::new(
        "Normalized features need a scale",
        "scale s",
        "mean training loss",
    );
    let bound = Series::line("theory: lower bound", nf.bound_curve.clone(), 7);
    chart.push(bound.with_mark(Mark::Dashed));
    let trained = nf.rows.iter().map(|r| (r.scale, r.loss)).collect();
    chart.push(Series::line("trained", trained, 1).with_mark(Mark::LinePoints));
    let (lo, hi) = (
        nf.bound_curve[0].0,
        nf.bound_curve[nf.bound_curve.len() - 1].0,
    );
    let target = Series::line(
        format!("target ℓ* = {}", nf.eps),
        vec![(lo, nf.eps), (hi, nf.eps)],
        4,
    );
    chart.push(target.with_mark(Mark::Dashed));
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-9, 5.0));
    chart.save(&path)
}

fn blur(run: &mut Run, plan: &Plan, data: &Digits, dev: &candle_core::Device) -> Result<()> {
    let b = ex::blur(plan, data, dev)?;
    for c in &b.curves {
        let key = if c.head.trains_bias() {
            "bias"
        } else {
            "nobias"
        };
        run.number(&format!("blur_flat_{key}"), c.flat_ratio, Fmt::Fixed(3));
        let max = c.points.last().map_or(f64::NAN, |p| p.norm_ratio);
        run.number(&format!("blur_max_{key}"), max, Fmt::Fixed(3));
    }
    table(run, "blur", &b.table());
    let path = run.figure(
        "blur.svg",
        "Mean feature norm of blurred test digits relative to clean ones, softmax features without L2 normalization",
    );
    let mut chart = LineChart::new(
        "Blurred inputs: does the feature collapse to 0?",
        "Gaussian blur r_blur (pixels)",
        "mean ‖feature‖, relative to unblurred",
    );
    for (k, c) in b.curves.iter().enumerate() {
        let pts = c.points.iter().map(|p| (p.sigma, p.norm_ratio)).collect();
        chart.push(Series::line(c.head.name(), pts, k).with_mark(Mark::LinePoints));
    }
    chart.y_range = Some((0.0, 1.2));
    chart.save(&path)
}

fn blur_training(
    run: &mut Run,
    plan: &Plan,
    data: &Digits,
    dev: &candle_core::Device,
) -> Result<()> {
    let b = ex::blur_training(plan, data, dev)?;
    table(run, "blur_train", &b.table());
    if let Some(flat) = b.rows.last() {
        run.snippet("blur_train_flat", flat.norm_ratio.show(2));
    }
    let path = run.figure(
        "blur_training.svg",
        "Softmax networks trained on blurred digits: mean feature norm relative to the network trained on sharp digits, against r_blur, mean over seeds with the range",
    );
    let mut chart = LineChart::new(
        "Trained on blurred digits: does the feature shrink?",
        "Gaussian blur r_blur of the training digits (pixels)",
        "mean ‖feature‖, relative to sharp training",
    );
    let rows: Vec<&ex::BlurTrainRow> = b.rows.iter().filter(|r| r.r_blur.is_finite()).collect();
    let xs: Vec<f64> = rows.iter().map(|r| r.r_blur).collect();
    let runs: Vec<Vec<f64>> = (0..plan.seeds as usize)
        .map(|s| rows.iter().map(|r| r.norm_ratio.values[s]).collect())
        .collect();
    let label = format!("softmax, d = 16 ({} seeds)", runs.len());
    let s = Series::summary(label, &xs, &runs, 0, Summary::MeanMinMax)?;
    chart.push(s.with_mark(Mark::LinePoints));
    chart.y_range = Some((0.0, 1.1));
    chart.save(&path)
}
