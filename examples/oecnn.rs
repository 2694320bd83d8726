//! Age-invariant features (OE-CNN) and patch ensembles: runs every
//! experiment of the chapter (`papernotes::oecnn::experiments`), draws its
//! figures and records its numbers.
//!
//! `cargo run --release --example oecnn` writes `figures/oecnn/`;
//! `cargo run --example oecnn -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use papernotes::Result;
use papernotes::oecnn::age::{Nuisance, R_AGE, S_BLUR};
use papernotes::oecnn::experiments::{self as ex, Comparison, Plan, Table, Verdict};
use papernotes::oecnn::figure;
use papernotes::oecnn::train::Method;
use papernotes::plot::{self, LineChart, Mark, Scale, Series, Summary};
use papernotes::run::{CommonArgs, Fmt, Run};

#[derive(Parser)]
#[command(about = "OE-CNN: age in the norm, identity in the direction; DeepID2 patch ensembles")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

type Item = fn(&mut Run, &Plan) -> Result<()>;

fn run() -> Result<()> {
    let args = Args::parse();
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "oecnn",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = Plan::new(run.quick(), run.seed(), device);
    let s = &plan.settings;
    let int = |v: usize| (v as f64, Fmt::Int);
    for (key, (v, fmt)) in [
        ("seeds", int(plan.seeds as usize)),
        ("epochs", int(s.epochs)),
        ("dim", int(s.dim)),
        ("hidden", int(s.hidden)),
        ("batch", int(s.batch)),
        ("copies", int(plan.copies)),
        ("test_copies", int(plan.test_copies)),
        ("m", int(s.m as usize)),
        ("lr", (s.lr, Fmt::Fixed(2))),
        ("scale", (s.scale, Fmt::Int)),
        ("lambda_age", (s.lambda_age, Fmt::Int)),
        ("lambda_verif", (s.lambda_verif, Fmt::Fixed(2))),
        ("margin", (s.margin, Fmt::Int)),
        ("gap", (ex::GAP, Fmt::Fixed(1))),
        ("tol", (ex::TOL, Fmt::Fixed(1))),
        ("r_age", (R_AGE, Fmt::Fixed(1))),
        ("s_blur", (S_BLUR, Fmt::Fixed(1))),
    ] {
        run.number(key, v, fmt);
    }
    let items: [(&str, Item); 5] = [
        (
            "item 1: nuisances and orthogonality",
            picture_and_orthogonality,
        ),
        ("item 2: CAF arithmetic", |r, _| caf(r)),
        ("item 3: methods across age", age_comparison),
        ("item 4: blur as the nuisance", blur_comparison),
        ("item 5: patch ensembles", patches),
    ];
    let mut times = Vec::new();
    for (label, item) in items {
        let t0 = Instant::now();
        item(&mut run, &plan)?;
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

fn verdict(run: &mut Run, key: &str, v: Verdict) {
    run.snippet(key, v.label());
}

/// Records how metric `name` of method `a` compares with `b`, in words.
fn contrast(run: &mut Run, cmp: &Comparison, (a, b): (Method, Method), name: &str) -> Result<()> {
    let c = ex::Contrast::of(&cmp.values(a, name), &cmp.values(b, name))?;
    let key = format!("cmp_{}_{}_{}_{name}", cmp.nuisance.name(), a.key(), b.key());
    run.snippet(&key, c.words());
    Ok(())
}

fn picture_and_orthogonality(run: &mut Run, plan: &Plan) -> Result<()> {
    let path = run.figure(
        "aged_digits.svg",
        "Three test digits under the two nuisances: stroke thickening (age) and blur, amount 0 to 1 from left to right",
    );
    let s = ex::split(plan)?;
    figure::digit_grid(&path, &s.test_x, &[0, 1, 2], &[0.0, 0.25, 0.5, 0.75, 1.0])?;
    let o = ex::orthogonality(plan.ortho_points, plan.seed)?;
    run.number("ortho_points", o.points as f64, Fmt::Int);
    run.number("ortho_age_tan", o.age_tangential, Fmt::Sci(1));
    run.number("ortho_id_rad", o.id_radial, Fmt::Sci(1));
    run.number("ortho_plane_age", o.plane_age_off_normal, Fmt::Sci(1));
    run.number("ortho_plane_id", o.plane_id_off_plane, Fmt::Sci(1));
    let path = run.figure(
        "decomposition.svg",
        "Gradients of the OE losses at 2-D features on the circle ‖x‖ = 1.5, by automatic differentiation: the age loss's is radial, the identity loss's tangential",
    );
    let mut chart = LineChart::new("Where the two losses push a feature", "x₁", "x₂");
    let circle = (0..=120)
        .map(|k| {
            let t = 2.0 * std::f64::consts::PI * k as f64 / 120.0;
            (1.5 * t.cos(), 1.5 * t.sin())
        })
        .collect();
    chart.push(Series::line("theory: ‖x‖ = 1.5, one age", circle, 7).with_mark(Mark::Dashed));
    for (k, a) in o.arrows.iter().enumerate() {
        for (c, g, label) in [
            (0, a.age, "∇L_age (measured, AD)"),
            (1, a.id, "∇L_id (measured, AD)"),
        ] {
            let n = (g.0 * g.0 + g.1 * g.1).sqrt().max(1e-12);
            let end = (a.x.0 + 0.6 * g.0 / n, a.x.1 + 0.6 * g.1 / n);
            let s = Series::line(label, vec![a.x, end], c);
            chart.push(if k == 0 { s } else { s.without_key() });
        }
    }
    chart.x_range = Some((-4.1, 4.1));
    chart.y_range = Some((-2.2, 2.2));
    chart.save(&path)
}

fn caf(run: &mut Run) -> Result<()> {
    let c = ex::caf();
    run.number("caf_per_identity", c.per_identity, Fmt::Fixed(1));
    run.number("caf_rel_error", 100.0 * c.relative_error, Fmt::Int);
    verdict(run, "caf_verdict", ex::caf_verdict(&c));
    Ok(())
}

/// Records a comparison: table, per-seed values, pair counts, ROC figure.
fn record(run: &mut Run, key: &str, cmp: &Comparison, title: &str) -> Result<()> {
    table(run, key, &cmp.table());
    run.record(key, cmp.per_seed())?;
    run.number(&format!("{key}_genuine"), cmp.pairs.0 as f64, Fmt::Int);
    run.number(&format!("{key}_impostor"), cmp.pairs.1 as f64, Fmt::Int);
    let epoch_rows: Vec<Vec<String>> = cmp
        .methods()
        .into_iter()
        .map(|m| {
            let ms: Vec<f64> = cmp
                .values(m, "epoch_s")
                .iter()
                .map(|s| 1000.0 * s)
                .collect();
            vec![m.name().to_string(), ex::pm(&ms, 1)]
        })
        .collect();
    run.table(
        &format!("{key}_epoch_ms"),
        &["method", "ms per epoch"],
        &epoch_rows,
    );
    for m in cmp.methods() {
        for name in [
            "test_acc",
            "auc",
            "tar2",
            "tar3",
            "probe_dir",
            "probe_raw",
            "readout_r2",
            "gap",
        ] {
            let values = cmp.values(m, name);
            if values.iter().all(|v| v.is_nan()) {
                continue; // no age read-out: nothing to quote
            }
            let (mean, _) = ex::mean_std(&values);
            run.number(&format!("{key}_{}_{name}", m.key()), mean, Fmt::Fixed(3));
        }
        let (ms, _) = ex::mean_std(&cmp.values(m, "epoch_s"));
        run.number(
            &format!("{key}_{}_epoch_ms", m.key()),
            1000.0 * ms,
            Fmt::Fixed(1),
        );
    }
    let path = run.figure(
        &format!("{key}_roc.svg"),
        &format!("Cross-{} verification ROC per method: mean TAR over seeds, band from the lowest to the highest seed", cmp.nuisance.name()),
    );
    let mut chart = LineChart::new(
        title,
        "false accept rate (matched-amount impostor pairs)",
        "true accept rate (far-apart genuine pairs)",
    );
    let grid = ex::roc_grid();
    for m in cmp.methods() {
        // One colour per method in every figure: its place in Method::ALL.
        let k = Method::ALL.iter().position(|&a| a == m).unwrap_or(0);
        let s = Series::summary(m.name(), &grid, &cmp.roc(m), k, Summary::MeanMinMax)?;
        chart.push(s);
    }
    chart.x_scale = Scale::Log;
    chart.legend = plot::Legend::Right;
    chart.save(&path)
}

fn age_comparison(run: &mut Run, plan: &Plan) -> Result<()> {
    let sets = ex::sets(plan, Nuisance::Thicken)?;
    let (all, _) = papernotes::data::digits::load()?;
    run.number("n_digits", all.nrows() as f64, Fmt::Int);
    run.number("test_percent", 100.0 * ex::TEST_FRACTION, Fmt::Int);
    run.number("n_train", sets.train.len() as f64, Fmt::Int);
    run.number("n_test", sets.test.len() as f64, Fmt::Int);
    let cmp = ex::compare(plan, &sets, &Method::ALL)?;
    record(run, "age", &cmp, "Cross-age verification of digits")?;
    let v = |m, n| cmp.values(m, n);
    let inv = ex::invariance_verdict(
        &v(Method::Oe, "probe_dir"),
        &v(Method::Softmax, "probe_dir"),
    )?;
    verdict(run, "verdict_invariance", inv);
    let over = ex::overfitting_verdict(&v(Method::Oe, "gap"), &v(Method::ASoftmax, "gap"))?;
    verdict(run, "verdict_overfitting", over);
    let mix = ex::better_verdict(&v(Method::Oe, "tar2"), &v(Method::SoftmaxAge, "tar2"))?;
    verdict(run, "verdict_mixing", mix);
    let plane = ex::plane_verdict(
        (&v(Method::Plane, "tar2"), &v(Method::Oe, "tar2")),
        (
            &v(Method::Plane, "readout_r2"),
            &v(Method::Oe, "readout_r2"),
        ),
    )?;
    verdict(run, "verdict_plane", plane);
    let verif = ex::better_verdict(
        &v(Method::Verification, "tar2"),
        &v(Method::Softmax, "tar2"),
    )?;
    verdict(run, "verdict_verification", verif);
    let works = ex::decomposition_works(
        &v(Method::Oe, "readout_r2"),
        &v(Method::Oe, "tar2"),
        &v(Method::ASoftmax, "tar2"),
    )?;
    run.snippet("age_works", if works { "yes" } else { "no" });
    for (pair, name) in [
        ((Method::Oe, Method::ASoftmax), "tar2"),
        ((Method::Oe, Method::Softmax), "tar2"),
        ((Method::SoftmaxAge, Method::Softmax), "tar2"),
        ((Method::Oe, Method::Softmax), "probe_dir"),
        ((Method::Oe, Method::ASoftmax), "probe_dir"),
        ((Method::Oe, Method::ASoftmax), "gap"),
    ] {
        contrast(run, &cmp, pair, name)?;
    }
    age_weight(run, plan, &sets)
}

fn age_weight(run: &mut Run, plan: &Plan, sets: &ex::Sets) -> Result<()> {
    let sweep = ex::age_weight_sweep(plan, sets, &[0.3, 1.0, 3.0, 10.0, 30.0])?;
    table(run, "sweep", &sweep.table());
    run.record("sweep", sweep.per_seed())?;
    verdict(
        run,
        "verdict_length",
        ex::length_verdict(&sweep.lambdas, &sweep.values("readout_r2"))?,
    );
    let path = run.figure(
        "age_weight.svg",
        "OE (sphere) trained with age-loss weights 0.3 to 30: the norm's age read-out R², the age left in the direction, and cross-age TAR at FAR = 1e-2; mean over seeds, band from the lowest to the highest seed",
    );
    let mut chart = LineChart::new(
        "How hard to force the norm to be the age",
        "age-loss weight Λ_age",
        "R² or TAR",
    );
    let series = [
        ("readout_r2", "age read-out R² of the norm"),
        ("probe_dir", "age R² of a linear probe on x̃"),
        ("tar2", "cross-age TAR at FAR = 1e-2"),
    ];
    for (k, (name, label)) in series.into_iter().enumerate() {
        let s = Series::summary(
            label,
            &sweep.lambdas,
            &sweep.curves(name),
            k,
            Summary::MeanMinMax,
        )?;
        chart.push(s.with_mark(Mark::LinePoints));
    }
    chart.x_scale = Scale::Log;
    chart.y_range = Some((-0.1, 1.0));
    chart.save(&path)
}

fn blur_comparison(run: &mut Run, plan: &Plan) -> Result<()> {
    let sets = ex::sets(plan, Nuisance::Blur)?;
    let methods = [
        Method::Softmax,
        Method::ASoftmax,
        Method::SoftmaxAge,
        Method::Oe,
    ];
    let cmp = ex::compare(plan, &sets, &methods)?;
    record(run, "blur", &cmp, "Cross-blur verification of digits")?;
    let v = |m, n| cmp.values(m, n);
    let nv = ex::nuisance_verdict(
        &v(Method::Oe, "readout_r2"),
        &v(Method::Oe, "tar2"),
        &v(Method::ASoftmax, "tar2"),
    )?;
    verdict(run, "verdict_blur", nv);
    contrast(run, &cmp, (Method::Oe, Method::ASoftmax), "tar2")?;
    Ok(())
}

fn patches(run: &mut Run, plan: &Plan) -> Result<()> {
    let p = ex::patches(plan)?;
    table(run, "patches", &p.table());
    run.record("patches", p.per_seed())?;
    run.number("patch_hidden", p.hidden.1 as f64, Fmt::Int);
    run.number("params_whole", p.params.0 as f64, Fmt::Int);
    run.number("params_ens", p.params.1 as f64, Fmt::Int);
    let ps = p.per_seed();
    let get = |k: &str| ps.get(k).cloned().unwrap_or_default();
    run.snippet("whole_drop", ex::pm(&get("whole_worst_drop"), 3));
    run.snippet("ens_drop", ex::pm(&get("ens_worst_drop"), 3));
    let pv = ex::patch_verdict(&get("ens_worst_drop"), &get("whole_worst_drop"))?;
    verdict(run, "verdict_patches", pv);
    let path = run.figure(
        "occlusion.svg",
        "Test accuracy of one network on the whole digit and of four networks on its quadrants (same parameters), clean (0) and with quadrant 1–4 occluded: mean over seeds, band from the lowest to the highest seed",
    );
    let mut chart = LineChart::new(
        "Occluding one quadrant at test time",
        "occluded quadrant (0: none)",
        "test accuracy",
    );
    let xs: Vec<f64> = (0..5).map(f64::from).collect();
    for (k, (name, label)) in [
        ("whole_acc", "one network, whole image"),
        ("ens_acc", "four patch networks"),
    ]
    .into_iter()
    .enumerate()
    {
        let runs: Vec<Vec<f64>> = p
            .runs
            .iter()
            .map(|r| {
                if name == "whole_acc" {
                    r.whole_acc.clone()
                } else {
                    r.ens_acc.clone()
                }
            })
            .collect();
        let s = Series::summary(label, &xs, &runs, k, Summary::MeanMinMax)?;
        chart.push(s.with_mark(Mark::LinePoints));
    }
    chart.save(&path)
}
