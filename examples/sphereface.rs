//! Experiments of the chapter "A-Softmax geometry (SphereFace)".
//!
//! `cargo run --release --example sphereface` writes `figures/sphereface/`;
//! `cargo run --example sphereface -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::f64::consts::PI;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use clap::Parser;
use nalgebra::DMatrix;
use papernotes::data::digits;
use papernotes::nn::Head as _;
use papernotes::nn::feature::{feature_matrix, weight_matrix};
use papernotes::nn::metrics::{Similarity, auc, pair_scores, roc, tar_at_far};
use papernotes::nn::train::train;
use papernotes::nn::{Data, EpochStats, FeatureNet, TrainConfig};
use papernotes::plot::{self, Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::softmax::verify::{FeatureCriterion, angles_to_own_weight, feature_criterion};
use papernotes::sphereface::geometry::{
    paper_binary_bound, paper_binary_intra_inter, paper_multiclass_intra_inter, region_criterion,
    uniform_directions,
};
use papernotes::sphereface::train::Head;
use papernotes::sphereface::{Anneal, psi};
use plotters::prelude::*;

#[derive(Parser)]
#[command(about = "A-Softmax (SphereFace): psi, margins, bounds on m, training on digits")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Only time the heads' forward+backward and print it as JSON (no figures,
    /// no run record); `benches/peer_torch.py` times the same in PyTorch in the
    /// same script run.
    #[arg(long)]
    bench_head: bool,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

/// Sizes of everything, full or quick.
struct Plan {
    grid: usize,
    thetas: usize,
    epochs: usize,
    seeds: u64,
    train_rows: Option<usize>,
    bench_reps: usize,
}

const HIDDEN: usize = 64;
const BATCH: usize = 32;
const LR: f64 = 0.01;
const NORMFACE_S: f64 = 10.0;
const OPEN_DIM: usize = 8;
const SEEN: usize = 7;

fn heads() -> Vec<Head> {
    let mut h = vec![
        Head::Softmax { bias: false },
        Head::NormFace { scale: NORMFACE_S },
    ];
    for m in 1..=4 {
        h.push(Head::ASoftmax {
            m,
            anneal: Anneal::sphereface(),
        });
    }
    h
}

/// The six heads of the figures, and A-Softmax m = 4 annealed to λ = 0.
fn all_heads() -> Vec<Head> {
    let mut h = heads();
    h.push(pure_m4());
    h
}

/// A-Softmax m = 4 without annealing: λ = 0 from the first iteration,
/// the loss of SphereFace Eq. 7 as written.
fn pure_m4() -> Head {
    Head::ASoftmax {
        m: 4,
        anneal: Anneal::none(),
    }
}

fn head_label(h: &Head) -> String {
    match h {
        Head::ASoftmax { anneal, .. } if anneal.lambda_min == 0.0 => {
            format!("{}, λ = 0", h.name())
        }
        _ => h.name(),
    }
}

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let plan = if args.common.quick {
        Plan {
            grid: 360,
            thetas: 6,
            epochs: 2,
            seeds: 1,
            train_rows: Some(200),
            bench_reps: 3,
        }
    } else {
        Plan {
            grid: 5760,
            thetas: 36,
            epochs: 40,
            seeds: 3,
            train_rows: None,
            bench_reps: 30,
        }
    };
    if args.bench_head {
        let rows = bench(&plan, &device)?;
        let json = serde_json::json!({
            "what": "head forward (logits + cross-entropy) and backward, f32",
            "threads": candle_core::utils::get_num_threads(),
            "reps": plan.bench_reps,
            "rows": rows,
        });
        println!("{json}");
        return Ok(());
    }
    let mut run = Run::start(
        "sphereface",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let seed = run.seed();

    psi_figure(&mut run)?;
    let t0 = Instant::now();
    bounds(&mut run, &plan)?;
    run.number("bounds_seconds", t0.elapsed().as_secs_f64(), Fmt::Fixed(1));
    anneal_figure(&mut run, &plan)?;

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
    let iters = plan.epochs * split.train_x.nrows().div_ceil(BATCH);
    run.number("iterations", iters as f64, Fmt::Int);
    run.number(
        "final_lambda",
        Anneal::sphereface().lambda(iters as u64)?,
        Fmt::Fixed(1),
    );
    let tr = Data::new(&split.train_x, &split.train_y, DType::F32, &device)?;
    let te = Data::new(&split.test_x, &split.test_y, DType::F32, &device)?;

    let closed = run.time("closed-set training (d = 2, 3)", || {
        closed_set(&plan, &tr, &te, &split.test_y, &device, seed)
    })?;
    closed_report(&mut run, &closed, &split.test_y)?;

    let open = run.time("open-set training and verification", || {
        open_set(&plan, &split, &device, seed)
    })?;
    open_report(&mut run, &open)?;

    let b = run.time("benchmark", || bench(&plan, &device))?;
    let b: Vec<Vec<String>> = b
        .iter()
        .map(|r| {
            vec![
                r.head.clone(),
                format!("{} × {} × {}", r.batch, r.dim, r.classes),
                format!("{:.3}", r.median_ms),
                format!("{:.3}–{:.3}", r.p10_ms, r.p90_ms),
            ]
        })
        .collect();
    run.table(
        "bench",
        &[
            "head",
            "batch × d × classes",
            "forward+backward, median (ms)",
            "p10–p90 (ms)",
        ],
        &b,
    );
    run.finish()
}

// ------------------------------------------------------------------ ψ figure

fn psi_figure(run: &mut Run) -> papernotes::Result<()> {
    let path = run.figure(
        "psi.svg",
        "ψ(θ) for m = 1..4 against cos θ (SphereFace Eq. 7)",
    );
    let mut chart = LineChart::new("A-Softmax target function ψ(θ)", "θ (degrees)", "ψ(θ)");
    let pts = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        (0..=360)
            .map(|i| {
                let t = PI * f64::from(i) / 360.0;
                (t.to_degrees(), f(t))
            })
            .collect()
    };
    for m in 1..=4u32 {
        chart.push(Series::line(
            format!("m = {m}"),
            pts(&|t| psi(t, m).unwrap_or(f64::NAN)),
            m as usize - 1,
        ));
    }
    chart.push(Series::line("cos θ", pts(&f64::cos), 7).with_mark(Mark::Dashed));
    chart.legend = Legend::LowerLeft;
    chart.save(&path)
}

// ------------------------------------------------------------- bounds on m

fn bounds(run: &mut Run, plan: &Plan) -> papernotes::Result<()> {
    let path = run.figure(
        "binary_criterion.svg",
        "Binary case: max intra-class over min inter-class angle of the A-Softmax regions, against θ₁₂ (solid: computed from ψ on the circle; dashed: the paper's appendix formula)",
    );
    let mut chart = LineChart::new(
        "Binary A-Softmax regions: max intra / min inter angle",
        "angle θ₁₂ between the two class weights (degrees)",
        "max intra-class / min inter-class angle",
    );
    // θ₁₂ from 10° (below that the regions span only a few grid points).
    let thetas: Vec<f64> = (0..plan.thetas)
        .map(|k| (10.0 + 170.0 * k as f64 / (plan.thetas - 1) as f64).to_radians())
        .collect();
    let mut rows = Vec::new();
    for m in 2..=5u32 {
        let mut pts = Vec::new();
        let mut paper = Vec::new();
        let mut worst = 0.0f64;
        let mut worst_at = 0.0;
        let mut worst_pair = (0.0, 0.0);
        for &t in &thetas {
            let c = region_criterion(&[0.0, t], m, plan.grid)?;
            let ratio = c.max_intra / c.min_inter;
            if ratio > worst {
                worst = ratio;
                worst_at = t.to_degrees();
                worst_pair = (c.max_intra, c.min_inter);
            }
            pts.push((t.to_degrees(), ratio));
            if t <= (f64::from(m) - 1.0) * PI / f64::from(m) {
                let (i, e) = paper_binary_intra_inter(f64::from(m), t);
                paper.push((t.to_degrees(), i / e));
            }
        }
        chart.push(Series::line(format!("m = {m}"), pts, m as usize - 2));
        chart.push(
            Series::line("", paper, m as usize - 2)
                .with_mark(Mark::Dashed)
                .without_key(),
        );
        let (pi, pe) = paper_binary_intra_inter(f64::from(m), 1.0);
        let c10 = region_criterion(&uniform_directions(10), m, plan.grid)?;
        let (qi, qe) = paper_multiclass_intra_inter(f64::from(m), 10);
        rows.push(vec![
            m.to_string(),
            format!("{:.3}", pi / pe),
            format!("{worst:.3} (at θ₁₂ = {worst_at:.0}°)"),
            verdict(worst_pair.1 - worst_pair.0, plan.grid),
            format!(
                "{:.1} / {:.1}",
                c10.max_intra.to_degrees(),
                c10.min_inter.to_degrees()
            ),
            format!("{:.1} / {:.1}", qi.to_degrees(), qe.to_degrees()),
            verdict(c10.min_inter - c10.max_intra, plan.grid),
        ]);
    }
    chart.push(
        Series::line("criterion: ratio < 1", vec![(10.0, 1.0), (180.0, 1.0)], 7)
            .with_mark(Mark::Dashed),
    );
    chart.y_range = Some((0.0, 4.5));
    chart.legend = Legend::UpperRight;
    chart.save(&path)?;
    run.table(
        "bounds",
        &[
            "m",
            "binary, paper's formula: intra / inter",
            "binary, computed: worst intra / inter over θ₁₂",
            "binary criterion",
            "10 uniform classes: max intra / min inter (°), computed",
            "paper's 2θ/(m+1) / (m−1)θ/(m+1) (°)",
            "10-class criterion",
        ],
        &rows,
    );
    run.number("paper_binary_bound", paper_binary_bound(), Fmt::Fixed(4));
    run.number("grid_points", plan.grid as f64, Fmt::Int);
    Ok(())
}

/// "holds" / "fails" for the gap `min inter − max intra` (radians), or "tie"
/// when the gap is within four grid spacings `h`: a sampled region can miss
/// up to one step at each end, so max intra may read up to `2h` short and
/// min inter up to `2h` long.
fn verdict(gap: f64, grid: usize) -> String {
    let h = 4.0 * 2.0 * PI / grid as f64;
    if gap.abs() <= h {
        "tie (within the grid spacing)".into()
    } else if gap > 0.0 {
        "holds".into()
    } else {
        "fails".into()
    }
}

fn anneal_figure(run: &mut Run, plan: &Plan) -> papernotes::Result<()> {
    let path = run.figure(
        "anneal.svg",
        "The published annealing λ_t = max(5, 1000/(1 + 0.12 t)) and the weight of ψ in the target logit",
    );
    let a = Anneal::sphereface();
    let mut chart = LineChart::new("SphereFace annealing schedule", "iteration t", "value");
    let ts: Vec<u64> = (1..=4000).step_by(5).collect();
    chart.push(Series::line(
        "λ_t",
        ts.iter()
            .map(|&t| (t as f64, a.lambda(t).unwrap_or(f64::NAN)))
            .collect(),
        0,
    ));
    chart.push(Series::line(
        "1/(1 + λ_t), the weight of ψ",
        ts.iter()
            .map(|&t| (t as f64, 1.0 / (1.0 + a.lambda(t).unwrap_or(f64::NAN))))
            .collect(),
        1,
    ));
    chart.y_scale = Scale::Log;
    chart.legend = Legend::UpperRight;
    let _ = plan;
    chart.save(&path)
}

// ------------------------------------------------------- closed-set training

struct Model {
    head: Head,
    dim: usize,
    seed: u64,
    stats: Vec<EpochStats>,
    train_acc: f64,
    test_feats: DMatrix<f64>,
    weights: DMatrix<f64>,
    crit: FeatureCriterion,
    angles: Vec<f64>,
    net: FeatureNet,
}

/// Training and evaluation sets of one experiment.
struct Sets<'a> {
    tr: &'a Data,
    te: &'a Data,
    test_y: &'a [usize],
    device: &'a Device,
}

fn fit(
    head: Head,
    dim: usize,
    classes: usize,
    seed: u64,
    epochs: usize,
    sets: &Sets,
) -> papernotes::Result<Model> {
    let Sets {
        tr,
        te,
        test_y,
        device,
    } = *sets;
    let net = FeatureNet::new(64, HIDDEN, dim, classes, 1000 + seed, device)?;
    let cfg = TrainConfig {
        epochs,
        batch: BATCH,
        lr: LR,
        seed,
    };
    let stats = train(&net, &head, tr, te, &cfg)?;
    let train_acc = papernotes::nn::train::accuracy(&net, tr, &head)?;
    let test_feats = feature_matrix(&net, &te.x)?;
    let weights = weight_matrix(&net)?;
    let crit = feature_criterion(&test_feats, test_y)?;
    let angles = angles_to_own_weight(&test_feats, &weights, test_y)?;
    Ok(Model {
        head,
        dim,
        seed,
        stats,
        train_acc,
        test_feats,
        weights,
        crit,
        angles,
        net,
    })
}

fn closed_set(
    plan: &Plan,
    tr: &Data,
    te: &Data,
    test_y: &[usize],
    device: &Device,
    seed: u64,
) -> papernotes::Result<Vec<Model>> {
    let mut out = Vec::new();
    for dim in [2usize, 3] {
        for head in all_heads() {
            for s in 0..plan.seeds {
                out.push(fit(
                    head,
                    dim,
                    10,
                    seed + s,
                    plan.epochs,
                    &Sets {
                        tr,
                        te,
                        test_y,
                        device,
                    },
                )?);
            }
        }
    }
    Ok(out)
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = v.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn closed_report(run: &mut Run, models: &[Model], test_y: &[usize]) -> papernotes::Result<()> {
    let mut rows = Vec::new();
    for dim in [2usize, 3] {
        for head in all_heads() {
            let ms: Vec<&Model> = models
                .iter()
                .filter(|m| m.dim == dim && m.head == head)
                .collect();
            let acc: Vec<f64> = ms
                .iter()
                .map(|m| m.stats.last().map_or(f64::NAN, |s| s.accuracy))
                .collect();
            let (lo, hi) = acc
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let holds = ms.iter().filter(|m| m.crit.holds()).count();
            rows.push(vec![
                dim.to_string(),
                head_label(&head),
                format!("{:.3}", mean(ms.iter().map(|m| m.train_acc))),
                format!("{:.3} ({lo:.3}–{hi:.3})", mean(acc.iter().copied())),
                format!(
                    "{:.1}",
                    mean(
                        ms.iter()
                            .map(|m| mean(m.angles.iter().copied()).to_degrees())
                    )
                ),
                format!(
                    "{:.1} / {:.1}",
                    mean(ms.iter().map(|m| m.crit.max_intra.to_degrees())),
                    mean(ms.iter().map(|m| m.crit.min_inter.to_degrees()))
                ),
                format!(
                    "{:.1} / {:.1}",
                    mean(ms.iter().map(|m| m.crit.intra_p95.to_degrees())),
                    mean(ms.iter().map(|m| m.crit.inter_p05.to_degrees()))
                ),
                format!("{holds} of {}", ms.len()),
            ]);
            if dim == 3 {
                let key = match head {
                    Head::Softmax { .. } => "softmax".to_string(),
                    Head::NormFace { .. } => "normface".to_string(),
                    Head::ASoftmax { m, anneal } if anneal.lambda_min == 0.0 => {
                        format!("m{m}_pure")
                    }
                    Head::ASoftmax { m, .. } => format!("m{m}"),
                    Head::WeightNorm => "wn".to_string(),
                };
                run.number(
                    &format!("acc3_{key}"),
                    mean(acc.iter().copied()),
                    Fmt::Fixed(3),
                );
                run.number(
                    &format!("train_acc3_{key}"),
                    mean(ms.iter().map(|m| m.train_acc)),
                    Fmt::Fixed(3),
                );
                run.number(
                    &format!("angle3_{key}"),
                    mean(
                        ms.iter()
                            .map(|m| mean(m.angles.iter().copied()).to_degrees()),
                    ),
                    Fmt::Fixed(1),
                );
            }
        }
    }
    run.table(
        "closed_set",
        &[
            "d",
            "head",
            "train acc.",
            "test acc. (range over seeds)",
            "mean angle to own weight (°)",
            "max intra / min inter (°)",
            "95 % intra / 5 % inter (°)",
            "strict criterion holds",
        ],
        &rows,
    );
    let per_epoch: Vec<f64> = models
        .iter()
        .flat_map(|m| m.stats.iter().map(|s| s.seconds))
        .collect();
    let mut sorted = per_epoch.clone();
    sorted.sort_by(f64::total_cmp);
    run.number("epoch_ms", 1000.0 * sorted[sorted.len() / 2], Fmt::Fixed(1));
    // Training curve of the first seed, d = 3, A-Softmax m = 4 vs softmax.
    let path = run.figure(
        "training.svg",
        "Test accuracy per epoch (d = 3, first seed): softmax, NormFace and A-Softmax m = 1..4",
    );
    let mut chart = LineChart::new("Training on digits, 3-D features", "epoch", "test accuracy");
    for (k, head) in heads().iter().enumerate() {
        if let Some(m) = models
            .iter()
            .find(|m| m.dim == 3 && m.head == *head && m.seed == run.seed())
        {
            chart.push(Series::line(
                head.name(),
                m.stats
                    .iter()
                    .map(|s| (s.epoch as f64, s.accuracy))
                    .collect(),
                k,
            ));
        }
    }
    chart.legend = Legend::LowerRight;
    chart.save(&path)?;

    let seed0 = run.seed();
    let first = |dim: usize| -> Vec<&Model> {
        heads()
            .iter()
            .filter_map(|h| {
                models
                    .iter()
                    .find(|m| m.dim == dim && m.head == *h && m.seed == seed0)
            })
            .collect()
    };
    let p2 = run.figure(
        "features_2d.svg",
        "Learned 2-D test features (first seed) and class-weight directions for each head",
    );
    panels_2d(&p2, &first(2), test_y)?;
    let p3 = run.figure(
        "features_3d.svg",
        "Directions of learned 3-D test features on the sphere (longitude/latitude), class weights as black crosses",
    );
    panels_3d(&p3, &first(3), test_y)?;

    let ph = run.figure(
        "angle_hist.svg",
        "Histogram of the angle between a test feature and its class weight (d = 3, all seeds)",
    );
    let mut chart = LineChart::new(
        "Angle to the own class weight, 3-D features",
        "angle θ_y (degrees)",
        "fraction of test features per 3° bin",
    );
    for (k, head) in heads().iter().enumerate() {
        let angles: Vec<f64> = models
            .iter()
            .filter(|m| m.dim == 3 && m.head == *head)
            .flat_map(|m| m.angles.iter().map(|a| a.to_degrees()))
            .collect();
        let bins = 40;
        let mut h = vec![0.0; bins];
        for a in &angles {
            h[((a / 3.0) as usize).min(bins - 1)] += 1.0;
        }
        chart.push(Series::line(
            head.name(),
            h.iter()
                .enumerate()
                .map(|(i, c)| (3.0 * i as f64 + 1.5, c / angles.len() as f64))
                .collect(),
            k,
        ));
    }
    chart.legend = Legend::UpperRight;
    chart.save(&ph)?;

    // Radial spread of softmax features (d = 2): ratio of largest to median norm.
    if let Some(m) = first(2).first() {
        let mut n: Vec<f64> = (0..m.test_feats.nrows())
            .map(|i| m.test_feats.row(i).norm())
            .collect();
        n.sort_by(f64::total_cmp);
        run.number(
            "softmax2_norm_ratio",
            n[n.len() - 1] / n[n.len() / 2],
            Fmt::Fixed(1),
        );
        let _ = &m.weights;
    }
    Ok(())
}

/// Draws the points of each class: palette colour, circle for digits 0–7 and
/// triangle for 8–9 (the palette has eight colours).
fn draw_classes<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    pts: &[(f64, f64)],
    y: &[usize],
    path: &Path,
) -> papernotes::Result<()> {
    chart
        .draw_series(
            pts.iter()
                .zip(y)
                .filter(|(_, k)| **k < 8)
                .map(|(&p, &k)| Circle::new(p, 2, plot::color(k).filled())),
        )
        .map_err(|e| plot::plot_err(path, e))?;
    chart
        .draw_series(
            pts.iter()
                .zip(y)
                .filter(|(_, k)| **k >= 8)
                .map(|(&p, &k)| TriangleMarker::new(p, 3, plot::color(k).filled())),
        )
        .map_err(|e| plot::plot_err(path, e))?;
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn panel_grid<'a>(path: &'a Path, title: &str) -> papernotes::Result<(Area<'a>, Vec<Area<'a>>)> {
    let root = plot::svg_root(path, (plot::WIDTH, 640))?;
    let root = root
        .titled(title, plot::title_style())
        .map_err(|e| plot::plot_err(path, e))?;
    let (legend, body) = root.split_vertically(28);
    for k in 0..10 {
        let x = 20 + 73 * k as i32;
        let style = plot::color(k).filled();
        if k < 8 {
            legend.draw(&Circle::new((x, 12), 3, style))
        } else {
            legend.draw(&TriangleMarker::new((x, 12), 4, style))
        }
        .map_err(|e| plot::plot_err(path, e))?;
        legend
            .draw_text(
                &format!("digit {k}"),
                &(plot::FONT, 13).into_font().color(&plot::INK),
                (x + 7, 5),
            )
            .map_err(|e| plot::plot_err(path, e))?;
    }
    let areas = body.split_evenly((2, 3));
    Ok((legend, areas))
}

fn panels_2d(path: &Path, models: &[&Model], y: &[usize]) -> papernotes::Result<()> {
    let (_legend, areas) = panel_grid(path, "Learned 2-D features of the test digits")?;
    for (area, m) in areas.iter().zip(models) {
        let f = &m.test_feats;
        let r = (0..f.nrows())
            .map(|i| f.row(i).amax())
            .fold(0.0f64, f64::max)
            * 1.05;
        let mut chart = ChartBuilder::on(area)
            .caption(m.head.name(), plot::label_style())
            .margin(6)
            .x_label_area_size(18)
            .y_label_area_size(30)
            .build_cartesian_2d(-r..r, -r..r)
            .map_err(|e| plot::plot_err(path, e))?;
        chart
            .configure_mesh()
            .light_line_style(plot::GRID)
            .label_style((plot::FONT, 10).into_font().color(&plot::INK))
            .x_labels(5)
            .y_labels(5)
            .draw()
            .map_err(|e| plot::plot_err(path, e))?;
        let pts: Vec<(f64, f64)> = (0..f.nrows()).map(|i| (f[(i, 0)], f[(i, 1)])).collect();
        draw_classes(&mut chart, &pts, y, path)?;
        for j in 0..m.weights.nrows() {
            let w = m.weights.row(j).normalize() * r;
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, 0.0), (w[0], w[1])],
                    plot::color(j).stroke_width(1),
                ))
                .map_err(|e| plot::plot_err(path, e))?;
        }
    }
    drop(areas);
    Ok(())
}

fn lon_lat(v: &[f64]) -> (f64, f64) {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-300);
    (
        v[1].atan2(v[0]).to_degrees(),
        (v[2] / n).clamp(-1.0, 1.0).asin().to_degrees(),
    )
}

fn panels_3d(path: &Path, models: &[&Model], y: &[usize]) -> papernotes::Result<()> {
    let (_legend, areas) = panel_grid(
        path,
        "Directions of learned 3-D features (longitude, latitude)",
    )?;
    for (area, m) in areas.iter().zip(models) {
        let f = &m.test_feats;
        let mut chart = ChartBuilder::on(area)
            .caption(m.head.name(), plot::label_style())
            .margin(6)
            .x_label_area_size(18)
            .y_label_area_size(30)
            .build_cartesian_2d(-180.0..180.0, -90.0..90.0)
            .map_err(|e| plot::plot_err(path, e))?;
        chart
            .configure_mesh()
            .light_line_style(plot::GRID)
            .label_style((plot::FONT, 10).into_font().color(&plot::INK))
            .x_labels(5)
            .y_labels(5)
            .draw()
            .map_err(|e| plot::plot_err(path, e))?;
        let pts: Vec<(f64, f64)> = (0..f.nrows())
            .map(|i| {
                let r: Vec<f64> = f.row(i).iter().copied().collect();
                lon_lat(&r)
            })
            .collect();
        draw_classes(&mut chart, &pts, y, path)?;
        chart
            .draw_series((0..m.weights.nrows()).map(|j| {
                let r: Vec<f64> = m.weights.row(j).iter().copied().collect();
                Cross::new(lon_lat(&r), 7, plot::INK.stroke_width(2))
            }))
            .map_err(|e| plot::plot_err(path, e))?;
    }
    drop(areas);
    Ok(())
}

// ---------------------------------------------------------------- open set

struct Open {
    rows: Vec<Vec<String>>,
    curves: Vec<(String, Vec<(f64, f64)>)>,
    tar: Vec<(String, f64)>,
}

fn open_set(
    plan: &Plan,
    split: &digits::Split,
    device: &Device,
    seed: u64,
) -> papernotes::Result<Open> {
    let pick = |x: &DMatrix<f64>, y: &[usize], seen: bool| {
        let rows: Vec<usize> = (0..y.len()).filter(|&r| (y[r] < SEEN) == seen).collect();
        (
            x.select_rows(&rows),
            rows.iter().map(|&r| y[r]).collect::<Vec<_>>(),
        )
    };
    let (sx, sy) = pick(&split.train_x, &split.train_y, true);
    let (sxt, syt) = pick(&split.test_x, &split.test_y, true);
    // Unseen classes: every example of digits 7–9 in train and test.
    let (ux1, uy1) = pick(&split.train_x, &split.train_y, false);
    let (ux2, uy2) = pick(&split.test_x, &split.test_y, false);
    let ux = DMatrix::from_fn(ux1.nrows() + ux2.nrows(), 64, |r, c| {
        if r < ux1.nrows() {
            ux1[(r, c)]
        } else {
            ux2[(r - ux1.nrows(), c)]
        }
    });
    let uy: Vec<usize> = uy1.iter().chain(&uy2).copied().collect();
    let tr = Data::new(&sx, &sy, DType::F32, device)?;
    let te = Data::new(&sxt, &syt, DType::F32, device)?;
    let ux_t = papernotes::nn::to_tensor(&ux, DType::F32, device)?;
    let open_heads = [
        Head::Softmax { bias: false },
        Head::NormFace { scale: NORMFACE_S },
        Head::ASoftmax {
            m: 4,
            anneal: Anneal::sphereface(),
        },
        pure_m4(),
    ];
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut tar = Vec::new();
    for head in open_heads {
        for sim in [Similarity::Cosine, Similarity::NegEuclidean] {
            if head.angular() && sim == Similarity::NegEuclidean {
                continue;
            }
            let (mut t2, mut t3, mut a, mut acc, mut holds) = (0.0, 0.0, 0.0, 0.0, 0);
            let mut first_curve = None;
            for s in 0..plan.seeds {
                let m = fit(
                    head,
                    OPEN_DIM,
                    SEEN,
                    seed + s,
                    plan.epochs,
                    &Sets {
                        tr: &tr,
                        te: &te,
                        test_y: &syt,
                        device,
                    },
                )?;
                acc += m.stats.last().map_or(f64::NAN, |s| s.accuracy);
                // Features of the unseen classes from the trained network.
                let f = feature_matrix(&m.net, &ux_t)?;
                let (g, i) = pair_scores(&f, &uy, sim)?;
                t2 += tar_at_far(&g, &i, 1e-2)?;
                t3 += tar_at_far(&g, &i, 1e-3)?;
                a += auc(&g, &i)?;
                if feature_criterion(&f, &uy)?.holds() {
                    holds += 1;
                }
                if first_curve.is_none() {
                    first_curve = Some(roc(&g, &i)?);
                }
            }
            let k = plan.seeds as f64;
            let label = format!(
                "{}, {}",
                head_label(&head),
                if sim == Similarity::Cosine {
                    "cosine"
                } else {
                    "Euclidean"
                }
            );
            rows.push(vec![
                label.clone(),
                format!("{:.3}", acc / k),
                format!("{:.3}", t2 / k),
                format!("{:.3}", t3 / k),
                format!("{:.3}", a / k),
                format!("{holds} of {}", plan.seeds),
            ]);
            tar.push((label.clone(), t2 / k));
            if let Some(c) = first_curve {
                curves.push((label, c));
            }
        }
    }
    Ok(Open { rows, curves, tar })
}

fn open_report(run: &mut Run, o: &Open) -> papernotes::Result<()> {
    run.table(
        "open_set",
        &[
            "features (d = 8), similarity",
            "closed-set accuracy on digits 0–6",
            "TAR @ FAR = 1e-2, digits 7–9",
            "TAR @ FAR = 1e-3",
            "AUC",
            "strict criterion holds on 7–9",
        ],
        &o.rows,
    );
    for (k, (label, t)) in o.tar.iter().enumerate() {
        let _ = label;
        run.number(&format!("open_tar_{k}"), *t, Fmt::Fixed(3));
    }
    let path = run.figure(
        "openset_roc.svg",
        "Open-set verification ROC on digits 7–9 (never seen in training), 8-D features, first seed",
    );
    let mut chart = LineChart::new(
        "Open-set verification on unseen digits 7–9",
        "false accept rate",
        "true accept rate",
    );
    for (k, (label, c)) in o.curves.iter().enumerate() {
        chart.push(Series::line(
            label.clone(),
            c.iter().copied().filter(|p| p.0 > 0.0).collect(),
            k,
        ));
    }
    chart.x_scale = Scale::Log;
    chart.legend = Legend::LowerRight;
    chart.save(&path)
}

// --------------------------------------------------------------- benchmark

/// One benchmark measurement of a head.
#[derive(Debug, serde::Serialize)]
struct BenchRow {
    head: String,
    batch: usize,
    dim: usize,
    classes: usize,
    median_ms: f64,
    p10_ms: f64,
    p90_ms: f64,
}

fn bench(plan: &Plan, device: &Device) -> papernotes::Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    for (b, d, c) in [(64usize, 3usize, 10usize), (256, 512, 1000)] {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, d), device)?)?;
        let w = Var::from_tensor(&Tensor::randn(0f32, 1.0, (c, d), device)?)?;
        let bias = Tensor::zeros(c, DType::F32, device)?;
        let labels: Vec<u32> = (0..b as u32).map(|i| i % c as u32).collect();
        let y = Tensor::from_vec(labels, b, device)?;
        for head in [
            Head::Softmax { bias: false },
            Head::ASoftmax {
                m: 4,
                anneal: Anneal::sphereface(),
            },
        ] {
            let mut times = Vec::new();
            for rep in 0..plan.bench_reps + 2 {
                let t0 = Instant::now();
                let z = head.logits(x.as_tensor(), w.as_tensor(), &bias, Some(&y), 5.0)?;
                let loss = candle_nn::loss::cross_entropy(&z, &y)?;
                let g = loss.backward()?;
                let _ = g.get(x.as_tensor());
                if rep >= 2 {
                    times.push(1000.0 * t0.elapsed().as_secs_f64());
                }
            }
            times.sort_by(f64::total_cmp);
            let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
            rows.push(BenchRow {
                head: head.name(),
                batch: b,
                dim: d,
                classes: c,
                median_ms: q(0.5),
                p10_ms: q(0.1),
                p90_ms: q(0.9),
            });
        }
    }
    Ok(rows)
}
