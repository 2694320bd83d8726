//! A-Softmax geometry (SphereFace): runs every experiment of the chapter
//! (`papernotes::sphereface::experiments`), draws its figures and records its numbers.
//!
//! `cargo run --release --example sphereface` writes `figures/sphereface/`;
//! `cargo run --example sphereface -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use papernotes::nn::Head as _;
use papernotes::plot::{LineChart, Mark, Scale, Series, Summary};
use papernotes::run::{CommonArgs, Fmt, Run};
use papernotes::sphereface::experiments::{self as ex, ClosedSet, Digits, OpenSet, Plan, Table};
use papernotes::sphereface::figure::{PanelKind, draw_feature_panels, draw_margin_diagram};

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

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
}

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    // The run record takes its mode and seed from the same flags.
    let plan = Plan::new(args.common.quick, args.common.seed, device.clone());
    if args.bench_head {
        let rows = ex::bench(&plan)?;
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

    margin_figure(&mut run)?;
    psi_figure(&mut run)?;
    let t0 = Instant::now();
    bounds(&mut run, &plan)?;
    run.number("bounds_seconds", t0.elapsed().as_secs_f64(), Fmt::Fixed(1));
    anneal_figure(&mut run)?;

    let data = ex::digits(&plan)?;
    run.number("n_train", data.split.train_y.len() as f64, Fmt::Int);
    run.number("n_test", data.split.test_y.len() as f64, Fmt::Int);
    run.number("epochs", plan.epochs as f64, Fmt::Int);
    run.number("seeds", plan.seeds as f64, Fmt::Int);
    run.number("iterations", data.iterations as f64, Fmt::Int);
    run.number("final_lambda", data.final_lambda, Fmt::Fixed(1));

    let closed = run.time("closed-set training (d = 2, 3)", || {
        ex::closed_set(&plan, &data)
    })?;
    closed_report(&mut run, &closed)?;
    closed_figures(&mut run, &closed, &data)?;

    let open = run.time("open-set training and verification", || {
        ex::open_set(&plan, &data)
    })?;
    open_report(&mut run, &open)?;
    seen_unseen(&mut run, &plan, &data)?;

    let bench = run.time("benchmark", || ex::bench(&plan))?;
    table(&mut run, "bench", &ex::bench_table(&bench));
    run.finish()
}

// ------------------------------------------------------- the binary regions

fn margin_figure(run: &mut Run) -> papernotes::Result<()> {
    let d = ex::margin_diagram(4, std::f64::consts::FRAC_PI_2, 14_400)?;
    let deg = |x: f64| format!("{:.0}°", x.to_degrees());
    run.snippet("diagram_m", d.m.to_string());
    run.snippet("diagram_theta12", deg(d.theta12));
    run.snippet("diagram_toward", deg(d.toward));
    run.snippet("diagram_away", deg(d.away));
    run.snippet("diagram_band", deg(d.band));
    let path = run.figure(
        "margin_regions.svg",
        "Two class weights and their A-Softmax regions for m = 4, found on a grid of 14 400 directions; angles from the closed forms",
    );
    draw_margin_diagram(&path, &d)
}

// ------------------------------------------------------------------ ψ figure

fn psi_figure(run: &mut Run) -> papernotes::Result<()> {
    let c = ex::psi_curves(361)?;
    let mut chart = LineChart::new("A-Softmax target function ψ(θ)", "θ", "ψ(θ)");
    chart.x_degrees = true;
    chart.x_range = Some((0.0, 180.0));
    for (m, pts) in c.psi {
        chart.push(Series::line(format!("m = {m}"), pts, m as usize - 1));
    }
    chart.push(Series::line("cos θ", c.cos, 7).with_mark(Mark::Dashed));
    chart.save(&run.figure(
        "psi.svg",
        "ψ(θ) for m = 1..4 against cos θ (SphereFace Eq. 7)",
    ))
}

// ------------------------------------------------------------- bounds on m

fn bounds(run: &mut Run, plan: &Plan) -> papernotes::Result<()> {
    let b = ex::bounds(plan)?;
    let mut chart = LineChart::new(
        "Binary A-Softmax regions: max intra / min inter angle",
        "angle θ₁₂ between the two class weights",
        "max intra-class / min inter-class angle",
    );
    chart.x_degrees = true;
    chart.x_range = Some((0.0, 180.0));
    for c in &b.curves {
        let k = c.m as usize - 2;
        chart.push(Series::line(format!("m = {}", c.m), c.computed.clone(), k));
        chart.push(
            Series::line("", c.paper.clone(), k)
                .with_mark(Mark::Dashed)
                .without_key(),
        );
    }
    chart.push(
        Series::line("criterion: ratio < 1", vec![(10.0, 1.0), (180.0, 1.0)], 7)
            .with_mark(Mark::Dashed),
    );
    chart.y_range = Some((0.0, 4.5));
    chart.save(&run.figure(
        "binary_criterion.svg",
        "Binary case: max intra-class over min inter-class angle of the A-Softmax regions, against θ₁₂ (solid: computed from ψ on the circle; dashed: the paper's appendix formula)",
    ))?;
    table(run, "bounds", &b.table());
    run.number("paper_binary_bound", b.paper_binary_bound, Fmt::Fixed(4));
    run.number("grid_points", b.grid as f64, Fmt::Int);
    Ok(())
}

fn anneal_figure(run: &mut Run) -> papernotes::Result<()> {
    let a = ex::anneal_curves(4000, 5)?;
    let mut chart = LineChart::new("SphereFace annealing schedule", "iteration t", "value");
    chart.push(Series::line("λ_t", a.lambda, 0));
    chart.push(Series::line(
        "1/(1 + λ_t), the weight of ψ",
        a.psi_weight,
        1,
    ));
    chart.y_scale = Scale::Log;
    chart.save(&run.figure(
        "anneal.svg",
        "The published annealing λ_t = max(5, 1000/(1 + 0.12 t)) and the weight of ψ in the target logit",
    ))
}

// ------------------------------------------------------- closed-set training

fn closed_report(run: &mut Run, closed: &ClosedSet) -> papernotes::Result<()> {
    for r in closed.rows().iter().filter(|r| r.dim == 3) {
        let key = ex::head_key(&r.head);
        run.number(&format!("acc3_{key}"), r.test_acc, Fmt::Fixed(3));
        run.number(&format!("train_acc3_{key}"), r.train_acc, Fmt::Fixed(3));
        run.number(&format!("angle3_{key}"), r.mean_angle_deg, Fmt::Fixed(1));
    }
    table(run, "closed_set", &closed.table());
    run.number("epoch_ms", closed.epoch_ms()?, Fmt::Fixed(1));
    Ok(())
}

fn closed_figures(run: &mut Run, closed: &ClosedSet, data: &Digits) -> papernotes::Result<()> {
    let path = run.figure(
        "training.svg",
        "Test accuracy per epoch (d = 3): softmax, NormFace and A-Softmax m = 1..4, mean over seeds with the range from the lowest to the highest seed",
    );
    let mut chart = LineChart::new("Training on digits, 3-D features", "epoch", "test accuracy");
    for (k, head) in ex::heads().iter().enumerate() {
        let (xs, runs) = closed.accuracy_runs(3, head)?;
        chart.push(Series::summary(
            head.name(),
            &xs,
            &runs,
            k,
            Summary::MeanMinMax,
        )?);
    }
    chart.save(&path)?;

    let y = &data.split.test_y;
    let p2 = run.figure(
        "features_2d.svg",
        "Learned 2-D test features (first seed) and class-weight directions for each head, equal scales on both axes",
    );
    draw_feature_panels(
        &p2,
        "Learned 2-D features of the test digits",
        &ex::panels_2d(closed, y)?,
        PanelKind::Plane,
    )?;
    let p3 = run.figure(
        "features_3d.svg",
        "Directions of learned 3-D test features (first seed) as longitude and latitude on the sphere, in a frame turned so that no cluster straddles the map's edge; class weights as numbered rings",
    );
    draw_feature_panels(
        &p3,
        "Directions of learned 3-D features on the sphere",
        &ex::panels_3d(closed, y)?,
        PanelKind::Map,
    )?;

    let ph = run.figure(
        "angle_hist.svg",
        "Histogram of the angle between a test feature and its class weight (d = 3, all seeds), for the six heads and A-Softmax m = 4 with λ = 0; the last bin holds every angle from 117° up",
    );
    let mut chart = LineChart::new(
        "Angle to the own class weight, 3-D features",
        "angle θ_y",
        "fraction of test features per 3° bin",
    );
    chart.x_degrees = true;
    for (k, head) in ex::all_heads().iter().enumerate() {
        let h = closed.angle_histogram(3, head, 3.0, 40)?;
        chart.push(Series::line(ex::head_label(head), h, k));
    }
    chart.save(&ph)?;

    // Radial spread of softmax features (d = 2): ratio of largest to median norm.
    let softmax = ex::heads()[0];
    run.number(
        "softmax2_norm_ratio",
        closed.norm_ratio(2, &softmax)?,
        Fmt::Fixed(1),
    );
    Ok(())
}

// ---------------------------------------------------------------- open set

fn open_report(run: &mut Run, o: &OpenSet) -> papernotes::Result<()> {
    table(run, "open_set", &o.table());
    for (k, r) in o.rows.iter().enumerate() {
        run.number(&format!("open_tar_{k}"), r.tar_1e2, Fmt::Fixed(3));
    }
    let path = run.figure(
        "openset_roc.svg",
        "Open-set verification ROC on digits 7–9 (never seen in training), 8-D features: TAR at 31 false accept rates from 10⁻³ to 1, mean over seeds with the range from the lowest to the highest seed",
    );
    let mut chart = LineChart::new(
        "Open-set verification on unseen digits 7–9",
        "false accept rate",
        "true accept rate",
    );
    let fars: Vec<f64> = (0..=30)
        .map(|i| 10f64.powf(-3.0 + 0.1 * f64::from(i)))
        .collect();
    for (k, (label, runs)) in o.tar_runs(&fars)?.into_iter().enumerate() {
        chart.push(Series::summary(
            label,
            &fars,
            &runs,
            k,
            Summary::MeanMinMax,
        )?);
    }
    chart.x_scale = Scale::Log;
    chart.save(&path)
}

/// Seen against unseen digits over seeds (at least 2, for a spread).
fn seen_unseen(run: &mut Run, plan: &Plan, data: &ex::Digits) -> papernotes::Result<()> {
    let plan = Plan {
        seeds: plan.seeds.max(2),
        ..plan.clone()
    };
    let su = run.time("seen vs unseen digits", || ex::seen_unseen(&plan, data))?;
    table(run, "seen_unseen", &su.table()?);
    for h in &su.heads {
        let key = ex::head_key(&h.head);
        run.snippet(&format!("su_gap_{key}"), h.gap()?.show(3));
        run.number(&format!("su_gap_se_{key}"), h.gap()?.se, Fmt::Fixed(3));
    }
    run.snippet("su_angle_gap", su.angle_gap()?.show(1));
    run.number("su_angle_gap_se", su.angle_gap()?.se, Fmt::Fixed(1));
    run.number("su_seeds", plan.seeds as f64, Fmt::Int);
    Ok(())
}
