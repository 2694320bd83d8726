//! Experiments of the chapter "Softmax weight imbalance and normalization".
//!
//! `cargo run --release --example softmax` writes `figures/softmax/`;
//! `cargo run --example softmax -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use candle_core::{DType, Device, Tensor};
use clap::Parser;
use nalgebra::DMatrix;
use papernotes::data::digits::{self, Split};
use papernotes::nn::Head as _;
use papernotes::nn::feature::{feature_matrix, weight_matrix};
use papernotes::nn::metrics::{Similarity, auc, pair_scores, roc, tar_at_far};
use papernotes::nn::train::{accuracy, class_accuracy, train, train_with_optimizer};
use papernotes::nn::{Data, FeatureNet, Opt, TrainConfig, scalar, to_tensor};
use papernotes::plot::{self, Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::softmax::bias::{entropy, min_loss_bounded_logits};
use papernotes::softmax::blur::gaussian_blur;
use papernotes::softmax::imbalance::{geometric_sizes, spearman, subset};
use papernotes::softmax::normface::{loss_lower_bound, min_scale};
use papernotes::softmax::train::Head;
use papernotes::softmax::twoclass::{descend, gradient, notes_gradient};
use plotters::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::process::ExitCode;

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

struct Plan {
    epochs: usize,
    imb_epochs: usize,
    seeds: u64,
    train_rows: Option<usize>,
    scales: Vec<f64>,
}

const HIDDEN: usize = 64;
const BATCH: usize = 32;
const LR: f64 = 0.01;
const SGD_LR: f64 = 0.05;
const DIM: usize = 16;
const NORMFACE_S: f64 = 10.0;
const EPS_TARGET: f64 = 0.05;

fn cfg(epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch: BATCH,
        lr: LR,
        seed,
    }
}

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "softmax",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = if run.quick() {
        Plan {
            epochs: 2,
            imb_epochs: 2,
            seeds: 1,
            train_rows: Some(300),
            scales: vec![1.0, 8.0],
        }
    } else {
        Plan {
            epochs: 40,
            imb_epochs: 60,
            seeds: 3,
            train_rows: None,
            scales: vec![0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0],
        }
    };
    let seed = run.seed();
    let mut split = digits::split(0.2, seed)?;
    if let Some(n) = plan.train_rows {
        let rows: Vec<usize> = (0..n).collect();
        split.train_x = split.train_x.select_rows(&rows);
        split.train_y = rows.iter().map(|&r| split.train_y[r]).collect();
    }
    run.number("n_train", split.train_x.nrows() as f64, Fmt::Int);
    run.number("n_test", split.test_x.nrows() as f64, Fmt::Int);
    run.number("epochs", plan.epochs as f64, Fmt::Int);
    run.number("seeds", plan.seeds as f64, Fmt::Int);
    let tr = Data::new(&split.train_x, &split.train_y, DType::F32, &device)?;
    let te = Data::new(&split.test_x, &split.test_y, DType::F32, &device)?;

    let mut times: Vec<Vec<String>> = Vec::new();
    let mut timed = |run: &mut Run,
                     label: &str,
                     f: &mut dyn FnMut(&mut Run) -> papernotes::Result<()>|
     -> papernotes::Result<()> {
        let t0 = std::time::Instant::now();
        f(run)?;
        times.push(vec![
            label.to_string(),
            format!("{:.3}", t0.elapsed().as_secs_f64()),
        ]);
        Ok(())
    };
    timed(&mut run, "item 1: two classes", &mut |r| two_class(r))?;
    timed(&mut run, "item 2: imbalance", &mut |r| {
        imbalance(r, &plan, &split, &te, &device)
    })?;
    timed(&mut run, "item 3: biases", &mut |r| {
        biases(r, &plan, &tr, &te, &device)
    })?;
    timed(&mut run, "item 4: radial features", &mut |r| {
        radial(r, &plan, &tr, &te, &split.test_y, &device)
    })?;
    timed(&mut run, "item 5: NormFace scale", &mut |r| {
        scale(r, &plan, &tr, &te, &device)
    })?;
    timed(&mut run, "item 6: blur", &mut |r| {
        blur(r, &plan, &split, &tr, &te, &device)
    })?;
    run.table("item_timings", &["experiment", "wall time (s)"], &times);
    run.finish()
}

// ---------------------------------------------------------- item 1

fn two_class(run: &mut Run) -> papernotes::Result<()> {
    let (m, n) = (100.0, 1.0);
    let (g1, g2) = gradient(m, n, 0.0, 0.0)?;
    let (n1, n2) = notes_gradient(m, n);
    run.number("tc_g1", g1, Fmt::Fixed(1));
    run.number("tc_g2", g2, Fmt::Fixed(1));
    run.number("tc_notes_g1", n1, Fmt::Int);
    run.number("tc_notes_g2", n2, Fmt::Int);
    let path = run.figure(
        "two_class.svg",
        "Gradient descent on the notes' two-class problem (m = 100, n = 1): w₁, w₂ and the conserved w₁ + w₂",
    );
    let w0 = (0.3, -0.5);
    let it = descend(m, n, w0, 0.01, 300)?;
    let mut chart = LineChart::new(
        "Two classes at f = ±1, m = 100 and n = 1, no biases",
        "gradient-descent step",
        "weight",
    );
    let pts = |f: &dyn Fn(&(f64, f64)) -> f64| -> Vec<(f64, f64)> {
        it.iter()
            .enumerate()
            .map(|(k, w)| (k as f64, f(w)))
            .collect()
    };
    chart.push(Series::line("w₁ (class 1, 100 samples)", pts(&|w| w.0), 0));
    chart.push(Series::line("w₂ (class 2, 1 sample)", pts(&|w| w.1), 1));
    chart.push(Series::line("w₁ + w₂", pts(&|w| w.0 + w.1), 2).with_mark(Mark::Dashed));
    chart.legend = Legend::UpperLeft;
    chart.save(&path)?;
    let last = it[it.len() - 1];
    run.number(
        "tc_sum_drift",
        ((last.0 + last.1) - (w0.0 + w0.1)).abs(),
        Fmt::Sci(1),
    );
    run.number("tc_w1_final", last.0, Fmt::Fixed(2));
    run.number("tc_w2_final", last.1, Fmt::Fixed(2));
    Ok(())
}

// ---------------------------------------------------------- item 2

fn imbalance(
    run: &mut Run,
    plan: &Plan,
    split: &Split,
    te: &Data,
    device: &Device,
) -> papernotes::Result<()> {
    let base = geometric_sizes(10, 14, 140)?;
    let quick = run.quick();
    let heads = [
        Head::Softmax { bias: false },
        Head::WeightNorm,
        Head::NormFace { scale: NORMFACE_S },
    ];
    let mut rho_curves: Vec<Vec<f64>> = Vec::new();
    let mut final_points: Vec<(f64, f64)> = Vec::new();
    let mut early_points: Vec<(f64, f64)> = Vec::new();
    let mut rows = Vec::new();
    let mut acc_stats: Vec<(Head, Opt, f64, f64)> = Vec::new(); // head, optimizer, all, rare
    let opts = [Opt::Adam, Opt::Sgd { momentum: 0.9 }];
    let mut rho_by_opt: Vec<(Opt, f64)> = Vec::new();
    for s in 0..plan.seeds {
        let mut sizes = base.clone();
        sizes.shuffle(&mut StdRng::seed_from_u64(run.seed() + 77 + s));
        if quick {
            for v in sizes.iter_mut() {
                *v = (*v / 10).max(1);
            }
        }
        let (x, y) = subset(&split.train_x, &split.train_y, &sizes)?;
        let trd = Data::new(&x, &y, DType::F32, device)?;
        let nj: Vec<f64> = sizes.iter().map(|&v| v as f64).collect();
        let mut rare: Vec<usize> = (0..10).collect();
        rare.sort_by_key(|&j| sizes[j]);
        let rare = &rare[..3];
        for (head, opt) in heads
            .iter()
            .flat_map(|h| opts.iter().map(move |o| (*h, *o)))
        {
            let net = FeatureNet::new(64, HIDDEN, DIM, 10, 500 + s, device)?;
            let mut rho = Vec::new();
            let is_softmax = head == (Head::Softmax { bias: false });
            let last = plan.imb_epochs;
            let lr = match opt {
                Opt::Adam => LR,
                Opt::Sgd { .. } => SGD_LR,
            };
            let record = is_softmax && opt == Opt::Adam;
            train_with_optimizer(
                &net,
                &head,
                &trd,
                te,
                &TrainConfig {
                    lr,
                    ..cfg(plan.imb_epochs, run.seed() + s)
                },
                opt,
                |e, net| {
                    if is_softmax {
                        let w = weight_matrix(net)?;
                        let norms: Vec<f64> = (0..10).map(|j| w.row(j).norm()).collect();
                        rho.push(spearman(&norms, &nj)?);
                        let pts: Vec<(f64, f64)> =
                            nj.iter().copied().zip(norms.iter().copied()).collect();
                        if s == 0 && e == 1 && !record {
                            early_points = pts.clone();
                        }
                        if s == 0 && e == last && !record {
                            final_points = pts;
                        }
                    }
                    Ok(())
                },
            )?;
            let ca = class_accuracy(&net, te, &head)?;
            let all = accuracy(&net, te, &head)?;
            let rare_acc = rare.iter().map(|&j| ca[j]).sum::<f64>() / rare.len() as f64;
            if let Some(&r) = rho.last() {
                rho_by_opt.push((opt, r));
            }
            if is_softmax && !record && !rho.is_empty() {
                rho_curves.push(rho);
            }
            acc_stats.push((head, opt, all, rare_acc));
        }
    }
    for opt in opts {
        for head in heads {
            let v: Vec<&(Head, Opt, f64, f64)> = acc_stats
                .iter()
                .filter(|a| a.0 == head && a.1 == opt)
                .collect();
            let k = v.len() as f64;
            let mean_all = v.iter().map(|a| a.2).sum::<f64>() / k;
            let mean_rare = v.iter().map(|a| a.3).sum::<f64>() / k;
            let oname = match opt {
                Opt::Adam => "Adam",
                Opt::Sgd { .. } => "SGD + momentum",
            };
            rows.push(vec![
                head.name(),
                oname.into(),
                format!("{mean_all:.3}"),
                format!("{mean_rare:.3}"),
            ]);
            let key = match head {
                Head::Softmax { .. } => "softmax",
                Head::WeightNorm => "wn",
                _ => "normface",
            };
            let okey = if opt == Opt::Adam { "adam" } else { "sgd" };
            run.number(&format!("imb_acc_{key}_{okey}"), mean_all, Fmt::Fixed(3));
            run.number(&format!("imb_rare_{key}_{okey}"), mean_rare, Fmt::Fixed(3));
        }
    }
    for (opt, okey) in [(Opt::Adam, "adam"), (Opt::Sgd { momentum: 0.9 }, "sgd")] {
        let r: Vec<f64> = rho_by_opt
            .iter()
            .filter(|p| p.0 == opt)
            .map(|p| p.1)
            .collect();
        run.number(
            &format!("imb_rho_{okey}"),
            r.iter().sum::<f64>() / r.len() as f64,
            Fmt::Fixed(2),
        );
        run.snippet(
            &format!("imb_rho_{okey}_each"),
            r.iter()
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    run.table(
        "imbalance",
        &[
            "head",
            "optimizer",
            "balanced test accuracy",
            "accuracy on the 3 rarest training classes",
        ],
        &rows,
    );
    run.snippet(
        "imb_sizes",
        base.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    run.number("imb_epochs", plan.imb_epochs as f64, Fmt::Int);
    let path = run.figure(
        "weight_norms.svg",
        "Softmax class-weight norm ‖w_j‖ against class size n_j after the first and the last epoch (SGD with momentum, first seed)",
    );
    let mut chart = LineChart::new(
        "Class-weight norms on an imbalanced subset",
        "training examples of the class, n_j",
        "‖w_j‖",
    );
    let sorted = |mut v: Vec<(f64, f64)>| {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    chart.push(Series::line("after epoch 1", sorted(early_points), 0).with_mark(Mark::LinePoints));
    chart.push(
        Series::line("after the last epoch", sorted(final_points), 1).with_mark(Mark::LinePoints),
    );
    chart.x_scale = Scale::Log;
    chart.legend = Legend::UpperLeft;
    chart.save(&path)?;
    let path = run.figure(
        "rank_correlation.svg",
        "Spearman rank correlation between ‖w_j‖ and n_j during training (SGD with momentum), one curve per seed",
    );
    let mut chart = LineChart::new(
        "Does the larger class get the larger weight norm?",
        "epoch",
        "Spearman correlation of ‖w_j‖ and n_j",
    );
    for (k, c) in rho_curves.iter().enumerate() {
        chart.push(Series::line(
            format!("seed {}", k + 1),
            c.iter()
                .enumerate()
                .map(|(e, r)| (e as f64 + 1.0, *r))
                .collect(),
            k,
        ));
    }
    chart.y_range = Some((-1.0, 1.0));
    chart.legend = Legend::LowerRight;
    chart.save(&path)
}

// ---------------------------------------------------------- item 3

fn biases(
    run: &mut Run,
    plan: &Plan,
    tr: &Data,
    te: &Data,
    device: &Device,
) -> papernotes::Result<()> {
    let mut rows = Vec::new();
    let mut means = Vec::new();
    let mut secs = Vec::new();
    for bias in [false, true] {
        let head = Head::Softmax { bias };
        let mut accs = Vec::new();
        for s in 0..plan.seeds {
            let net = FeatureNet::new(64, HIDDEN, DIM, 10, 900 + s, device)?;
            let st = train(&net, &head, tr, te, &cfg(plan.epochs, run.seed() + s))?;
            secs.extend(st.iter().map(|e| e.seconds));
            accs.push(accuracy(&net, te, &head)?);
        }
        let mean = accs.iter().sum::<f64>() / accs.len() as f64;
        means.push(mean);
        rows.push(vec![
            head.name(),
            accs.iter()
                .map(|a| format!("{a:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            format!("{mean:.3}"),
        ]);
    }
    run.table(
        "bias",
        &["head (d = 16)", "test accuracy per seed", "mean"],
        &rows,
    );
    run.number("bias_diff", means[1] - means[0], Fmt::Fixed(3));
    secs.sort_by(f64::total_cmp);
    run.number("epoch_ms", 1000.0 * secs[secs.len() / 2], Fmt::Fixed(1));
    // Bounded logits and the imbalanced prior of item 2.
    let sizes = geometric_sizes(10, 14, 140)?;
    let total: f64 = sizes.iter().map(|&v| v as f64).sum();
    let prior: Vec<f64> = sizes.iter().map(|&v| v as f64 / total).collect();
    let h = entropy(&prior);
    let mut rows = Vec::new();
    for s in [0.5, 1.0, 1.5, 2.0, 4.0] {
        let l = min_loss_bounded_logits(&prior, s)?;
        rows.push(vec![
            format!("{s}"),
            format!("{l:.4}"),
            format!("{h:.4}"),
            format!("{:.4}", (l - h).max(0.0)),
        ]);
    }
    run.table(
        "bias_bounded",
        &[
            "scale s",
            "least loss, logits in [−s, s], no bias",
            "with a bias: H(p)",
            "excess",
        ],
        &rows,
    );
    Ok(())
}

// ---------------------------------------------------------- item 4

fn radial(
    run: &mut Run,
    plan: &Plan,
    tr: &Data,
    te: &Data,
    test_y: &[usize],
    device: &Device,
) -> papernotes::Result<()> {
    let head = Head::Softmax { bias: false };
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut first2: Option<DMatrix<f64>> = None;
    for dim in [2usize, 3] {
        let (mut t_e, mut t_c, mut a_e, mut a_c, mut cv, mut ang) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for s in 0..plan.seeds {
            let net = FeatureNet::new(64, HIDDEN, dim, 10, 300 + s, device)?;
            train(&net, &head, tr, te, &cfg(plan.epochs, run.seed() + s))?;
            let f = feature_matrix(&net, &te.x)?;
            let (r_cv, r_ang) = spread(&f, test_y);
            cv += r_cv;
            ang += r_ang;
            let (ge, ie) = pair_scores(&f, test_y, Similarity::NegEuclidean)?;
            let (gc, ic) = pair_scores(&f, test_y, Similarity::Cosine)?;
            t_e += tar_at_far(&ge, &ie, 1e-2)?;
            t_c += tar_at_far(&gc, &ic, 1e-2)?;
            a_e += auc(&ge, &ie)?;
            a_c += auc(&gc, &ic)?;
            if s == 0 {
                curves.push((format!("d = {dim}, Euclidean"), roc(&ge, &ie)?));
                curves.push((format!("d = {dim}, cosine"), roc(&gc, &ic)?));
                if dim == 2 {
                    first2 = Some(f.clone());
                }
            }
        }
        let k = plan.seeds as f64;
        rows.push(vec![
            dim.to_string(),
            format!("{:.2}", cv / k),
            format!("{:.1}", (ang / k).to_degrees()),
            format!("{:.3}", t_e / k),
            format!("{:.3}", t_c / k),
            format!("{:.3}", a_e / k),
            format!("{:.3}", a_c / k),
        ]);
        run.number(&format!("tar_euc_{dim}"), t_e / k, Fmt::Fixed(3));
        run.number(&format!("tar_cos_{dim}"), t_c / k, Fmt::Fixed(3));
    }
    run.table(
        "radial",
        &[
            "d",
            "norm spread within a class (std/mean)",
            "angular spread within a class (°)",
            "TAR @ FAR 1e-2, Euclidean",
            "TAR @ FAR 1e-2, cosine",
            "AUC, Euclidean",
            "AUC, cosine",
        ],
        &rows,
    );
    if let Some(f) = first2 {
        let path = run.figure(
            "radial_2d.svg",
            "2-D softmax features of the test digits (first seed): each class a thick ray from the origin",
        );
        scatter(&path, &f, test_y)?;
    }
    let path = run.figure(
        "verification_roc.svg",
        "Verification ROC on test-digit pairs from softmax features: Euclidean distance vs cosine similarity",
    );
    let mut chart = LineChart::new(
        "Pairs of test digits: same class or not?",
        "false accept rate",
        "true accept rate",
    );
    for (k, (label, c)) in curves.into_iter().enumerate() {
        chart.push(Series::line(
            label,
            c.into_iter().filter(|p| p.0 > 0.0).collect(),
            k,
        ));
    }
    chart.x_scale = Scale::Log;
    chart.legend = Legend::LowerRight;
    chart.save(&path)
}

/// Mean over classes of (std/mean of the feature norms) and of the RMS angle
/// between a feature and its class's mean direction (radians).
fn spread(f: &DMatrix<f64>, y: &[usize]) -> (f64, f64) {
    let (mut cv, mut ang, mut k) = (0.0, 0.0, 0.0);
    for c in 0..10 {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        if rows.len() < 2 {
            continue;
        }
        let norms: Vec<f64> = rows.iter().map(|&i| f.row(i).norm()).collect();
        let m = norms.iter().sum::<f64>() / norms.len() as f64;
        let sd = (norms.iter().map(|v| (v - m).powi(2)).sum::<f64>() / norms.len() as f64).sqrt();
        let mut dir = f.row(rows[0]) * 0.0;
        for &i in &rows {
            dir += f.row(i) / f.row(i).norm().max(1e-300);
        }
        let dir = dir.normalize();
        let a2: f64 = rows
            .iter()
            .map(|&i| {
                let c = (f.row(i).dot(&dir) / f.row(i).norm().max(1e-300)).clamp(-1.0, 1.0);
                c.acos().powi(2)
            })
            .sum::<f64>()
            / rows.len() as f64;
        cv += sd / m;
        ang += a2.sqrt();
        k += 1.0;
    }
    (cv / k, ang / k)
}

fn scatter(path: &std::path::Path, f: &DMatrix<f64>, y: &[usize]) -> papernotes::Result<()> {
    let root = plot::svg_root(path, (plot::WIDTH, 560))?;
    let r = (0..f.nrows())
        .map(|i| f.row(i).amax())
        .fold(0.0f64, f64::max)
        * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "2-D softmax features of the test digits",
            plot::title_style(),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(-r..r, -r..r)
        .map_err(|e| plot::plot_err(path, e))?;
    chart
        .configure_mesh()
        .light_line_style(plot::GRID)
        .label_style(plot::label_style())
        .x_desc("feature 1")
        .y_desc("feature 2")
        .draw()
        .map_err(|e| plot::plot_err(path, e))?;
    for k in 0..10usize {
        let pts: Vec<(f64, f64)> = (0..f.nrows())
            .filter(|&i| y[i] == k)
            .map(|i| (f[(i, 0)], f[(i, 1)]))
            .collect();
        let c = plot::color(k);
        let label = format!("digit {k}");
        if k < 8 {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(|e| plot::plot_err(path, e))?
                .label(label)
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
        } else {
            chart
                .draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 4, c.filled())))
                .map_err(|e| plot::plot_err(path, e))?
                .label(label)
                .legend(move |(x, y)| TriangleMarker::new((x, y), 5, c.filled()));
        }
    }
    chart
        .configure_series_labels()
        .background_style(plot::BACKGROUND.mix(0.9))
        .border_style(plot::GRID)
        .label_font(plot::label_style())
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| plot::plot_err(path, e))?;
    plot::finish(root, path)
}

// ---------------------------------------------------------- item 5

fn mean_loss(net: &FeatureNet, data: &Data, head: &Head) -> papernotes::Result<f64> {
    let z = net.logits(&data.x, Some(&data.y), head, 0.0)?;
    scalar(&candle_nn::loss::cross_entropy(&z, &data.y)?)
}

fn scale(
    run: &mut Run,
    plan: &Plan,
    tr: &Data,
    te: &Data,
    device: &Device,
) -> papernotes::Result<()> {
    let smin = min_scale(10, EPS_TARGET)?;
    run.number("nf_eps", EPS_TARGET, Fmt::Fixed(2));
    run.number("nf_smin", smin, Fmt::Fixed(2));
    let mut trained = Vec::new();
    let mut rows = Vec::new();
    for &s in &plan.scales {
        let head = Head::NormFace { scale: s };
        let net = FeatureNet::new(64, HIDDEN, DIM, 10, 42, device)?;
        train(&net, &head, tr, te, &cfg(plan.epochs, run.seed()))?;
        let l = mean_loss(&net, tr, &head)?;
        let b = loss_lower_bound(10, s)?;
        trained.push((s, l));
        rows.push(vec![
            format!("{s}"),
            format!("{b:.4}"),
            format!("{l:.4}"),
            format!("{:.3}", accuracy(&net, te, &head)?),
            if l <= EPS_TARGET { "yes" } else { "no" }.into(),
        ]);
    }
    run.table(
        "normface",
        &[
            "scale s",
            "lower bound on the loss",
            "training loss reached",
            "test accuracy",
            "loss ≤ ε",
        ],
        &rows,
    );
    let path = run.figure(
        "normface_scale.svg",
        "NormFace: training loss reached with scale s (d = 16, 10 classes) against the lower bound log(1 + 9e^{−10s/9})",
    );
    let mut chart = LineChart::new(
        "Normalized features need a scale",
        "scale s",
        "mean training loss",
    );
    let grid: Vec<f64> = (1..=120).map(|k| 0.2 * k as f64).collect();
    chart.push(Series::line(
        "lower bound",
        grid.iter()
            .map(|&s| (s, loss_lower_bound(10, s).unwrap_or(f64::NAN)))
            .collect(),
        0,
    ));
    chart.push(Series::line("trained", trained, 1).with_mark(Mark::LinePoints));
    chart.push(
        Series::line(
            format!("target ε = {EPS_TARGET}"),
            vec![(0.2, EPS_TARGET), (24.0, EPS_TARGET)],
            7,
        )
        .with_mark(Mark::Dashed),
    );
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-9, 5.0));
    chart.legend = Legend::UpperRight;
    chart.save(&path)
}

// ---------------------------------------------------------- item 6

fn blur(
    run: &mut Run,
    plan: &Plan,
    split: &Split,
    tr: &Data,
    te: &Data,
    device: &Device,
) -> papernotes::Result<()> {
    let sigmas = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];
    let heads = [Head::Softmax { bias: false }, Head::Softmax { bias: true }];
    let mut series = Vec::new();
    let mut rows = Vec::new();
    for head in heads {
        let net = FeatureNet::new(64, HIDDEN, DIM, 10, 700, device)?;
        train(&net, &head, tr, te, &cfg(plan.epochs, run.seed()))?;
        let clean = mean_norm(&net, &split.test_x, device)?;
        let mut pts = Vec::new();
        for &s in &sigmas {
            let xb = gaussian_blur(&split.test_x, 8, s)?;
            let n = mean_norm(&net, &xb, device)?;
            let d = Data::new(&xb, &split.test_y, DType::F32, device)?;
            let acc = accuracy(&net, &d, &head)?;
            pts.push((s, n / clean));
            rows.push(vec![
                head.name(),
                format!("{s}"),
                format!("{:.3}", n / clean),
                format!("{acc:.3}"),
            ]);
        }
        // The limit of infinite blur: every image becomes its mean intensity.
        let flat = DMatrix::from_fn(split.test_x.nrows(), 64, |r, _| split.test_x.row(r).mean());
        let nf = mean_norm(&net, &flat, device)?;
        let key = if matches!(head, Head::Softmax { bias: true }) {
            "bias"
        } else {
            "nobias"
        };
        run.number(&format!("blur_flat_{key}"), nf / clean, Fmt::Fixed(3));
        run.number(
            &format!("blur_max_{key}"),
            pts.last().map_or(f64::NAN, |p| p.1),
            Fmt::Fixed(3),
        );
        series.push((head.name(), pts));
    }
    run.table(
        "blur",
        &[
            "head (d = 16)",
            "blur σ (pixels)",
            "mean feature norm / clean",
            "test accuracy",
        ],
        &rows,
    );
    let path = run.figure(
        "blur.svg",
        "Mean feature norm of blurred test digits relative to clean ones, softmax features without L2 normalization",
    );
    let mut chart = LineChart::new(
        "Blurred inputs: does the feature collapse to 0?",
        "Gaussian blur σ (pixels)",
        "mean ‖feature‖, relative to unblurred",
    );
    for (k, (label, pts)) in series.into_iter().enumerate() {
        chart.push(Series::line(label, pts, k).with_mark(Mark::LinePoints));
    }
    chart.y_range = Some((0.0, 1.2));
    chart.legend = Legend::LowerLeft;
    chart.save(&path)
}

fn mean_norm(net: &FeatureNet, x: &DMatrix<f64>, device: &Device) -> papernotes::Result<f64> {
    let t: Tensor = to_tensor(x, DType::F32, device)?;
    let f = feature_matrix(net, &t)?;
    Ok((0..f.nrows()).map(|i| f.row(i).norm()).sum::<f64>() / f.nrows() as f64)
}
