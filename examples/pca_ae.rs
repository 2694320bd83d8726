//! Autoencoders vs PCA: runs every experiment of the chapter
//! (`papernotes::pca_ae::experiments`) on the Ames housing table and on a
//! curved data set, draws its figures and records its numbers.
//!
//! `cargo run --release --example pca_ae` writes `figures/pca_ae/`;
//! `cargo run --example pca_ae -- --quick` runs tiny versions for CI.
//! Candle runs on one thread (`RAYON_NUM_THREADS=1`) unless that variable is
//! set, because the machine is shared; the thread count goes into the record.

use std::process::ExitCode;

use clap::Parser;
use papernotes::Result;
use papernotes::pca_ae::experiments::{
    self as ex, BookTable, CurvedResult, PcaSweep, Plan, TableResult, Tables,
};
use papernotes::plot::{LineChart, Mark, Scale, Series, Summary};
use papernotes::run::{CommonArgs, Fmt, Run};

#[derive(Parser)]
#[command(about = "Autoencoders vs PCA on the Ames housing data and on a curved set")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Instead of the experiments: write the one-hot training rows to
    /// DIR/onehot_train.csv and time PCA on them (for `benches/pca_peer.py`).
    #[arg(long, value_name = "DIR")]
    bench_pca: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`; no other thread exists yet.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

fn run() -> Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.bench_pca {
        return bench_pca(dir, args.common.seed);
    }
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "pca_ae",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = Plan::new(run.quick(), run.seed());
    let t = run.time("load and prepare the tables", || ex::tables(&plan))?;
    record_plan(&mut run, &plan, &t);
    let numeric = run.time("numeric-only table", || {
        ex::on_table(&plan, &t.numeric, &device)
    })?;
    let onehot = run.time("one-hot table", || ex::on_table(&plan, &t.onehot, &device))?;
    let curved = run.time("curved set", || ex::curved(&plan, &device))?;
    for r in [&numeric, &onehot] {
        record_table(&mut run, &plan, r)?;
        draw_table(&mut run, &plan, r)?;
    }
    record_curved(&mut run, &curved);
    draw_curved(&mut run, &plan, &curved)?;
    table(
        &mut run,
        "report",
        &ex::report_table(&numeric, &onehot, &curved, plan.k_report),
    );
    let notes = numeric.at_report.pca_better && onehot.at_report.pca_better;
    run.snippet("pca_better_both", if notes { "yes" } else { "no" });
    run.record("numeric", &numeric)?;
    run.record("onehot", &onehot)?;
    run.record("curved", &curved)?;
    run.finish()
}

/// Times `Pca::fit` on the full one-hot training rows (median of 7 after one
/// warm-up) and writes those rows as CSV, so that a peer fits the same matrix.
fn bench_pca(dir: &std::path::Path, seed: u64) -> Result<()> {
    let t = ex::tables(&Plan::full(seed))?;
    let x = &t.onehot.train;
    let mut times = Vec::new();
    let mut singular = Vec::new();
    for i in 0..8 {
        let t0 = std::time::Instant::now();
        let pca = papernotes::pca_ae::pca::Pca::fit(x)?;
        if i > 0 {
            times.push(t0.elapsed().as_secs_f64());
        }
        singular = std::hint::black_box(pca).singular;
    }
    times.sort_by(f64::total_cmp);
    let rows: Vec<String> = x
        .row_iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:e}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let path = dir.join("onehot_train.csv");
    std::fs::write(&path, rows.join("\n") + "\n").map_err(|source| papernotes::Error::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    })?;
    let singular: Vec<String> = singular.iter().map(|v| format!("{v:e}")).collect();
    println!(
        "{{\"rows\": {}, \"cols\": {}, \"median_seconds\": {}, \"singular\": [{}]}}",
        x.nrows(),
        x.ncols(),
        times[times.len() / 2],
        singular.join(", ")
    );
    Ok(())
}

fn table(run: &mut Run, key: &str, t: &BookTable) {
    run.table(key, &t.header, &t.rows);
}

fn record_plan(run: &mut Run, plan: &Plan, t: &Tables) {
    run.number("rows", t.rows as f64, Fmt::Int);
    run.number("n_train", t.numeric.train.nrows() as f64, Fmt::Int);
    run.number("n_valid", t.numeric.valid.nrows() as f64, Fmt::Int);
    run.number("n_test", t.numeric.test.nrows() as f64, Fmt::Int);
    run.number("variables", t.variables as f64, Fmt::Int);
    run.number("numeric_variables", t.numeric_variables as f64, Fmt::Int);
    let categorical = t.variables - t.numeric_variables;
    run.number("categorical_variables", categorical as f64, Fmt::Int);
    run.number("missing", t.missing as f64, Fmt::Int);
    run.number("imputed", t.numeric.imputed as f64, Fmt::Int);
    run.number("dim_numeric", t.numeric.dim() as f64, Fmt::Int);
    run.number("dim_onehot", t.onehot.dim() as f64, Fmt::Int);
    run.number("dropped_numeric", t.numeric.dropped.len() as f64, Fmt::Int);
    run.number("dropped_onehot", t.onehot.dropped.len() as f64, Fmt::Int);
    run.snippet("dropped_numeric_names", names(&t.numeric.dropped));
    run.number("k_report", plan.k_report as f64, Fmt::Int);
    run.number("seeds", plan.seeds as f64, Fmt::Int);
    run.number("max_epochs", plan.train.max_epochs as f64, Fmt::Int);
    run.number("patience", plan.train.patience as f64, Fmt::Int);
    let min_gain = 100.0 * papernotes::pca_ae::autoencoder::MIN_IMPROVEMENT;
    run.number("min_improvement", min_gain, Fmt::Fixed(1));
    run.number("lin_tolerance", 100.0 * ex::LINEAR_TOLERANCE, Fmt::Int);
    run.number("batch", plan.train.batch as f64, Fmt::Int);
    run.number("lr", plan.train.lr, Fmt::Sci(0));
    run.number("linear_epochs", plan.linear_epochs as f64, Fmt::Int);
    let archs: Vec<String> = plan.archs.iter().map(|a| a.name()).collect();
    run.snippet("archs", archs.join(", "));
    let ks: Vec<String> = plan.ks.iter().map(ToString::to_string).collect();
    run.snippet("ks", ks.join(", "));
}

fn names(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn record_table(run: &mut Run, plan: &Plan, r: &TableResult) -> Result<()> {
    let e = r.encoding.key();
    let k = plan.k_report;
    let c = &r.at_report;
    run.number(&format!("rank_{e}"), r.pca.rank as f64, Fmt::Int);
    run.number(
        &format!("pca_ms_{e}"),
        1000.0 * r.pca.fit_seconds,
        Fmt::Fixed(1),
    );
    run.number(
        &format!("explained_{e}"),
        100.0 * r.pca.explained[k - 1],
        Fmt::Fixed(1),
    );
    run.number(&format!("pca_train_{e}"), c.pca_train, Fmt::Fixed(3));
    run.number(&format!("pca_test_{e}"), c.pca_test, Fmt::Fixed(3));
    run.snippet(&format!("ae_train_{e}"), c.ae_train.text());
    run.snippet(&format!("ae_test_{e}"), c.ae_test.text());
    run.snippet(&format!("best_{e}"), c.best.name());
    run.snippet(&format!("pca_better_{e}"), yes(c.pca_better));
    run.snippet(
        &format!("pca_better_every_{e}"),
        yes(c.pca_better_than_every_run),
    );
    let l = &r.linear;
    run.number(&format!("lin_optimum_{e}"), l.optimum, Fmt::Fixed(4));
    run.number(&format!("lin_train_{e}"), l.ae_train, Fmt::Fixed(4));
    run.number(&format!("lin_excess_{e}"), 100.0 * l.excess, Fmt::Fixed(2));
    run.number(&format!("lin_subspace_{e}"), l.subspace, Fmt::Sci(1));
    run.number(&format!("lin_residual_{e}"), l.residual, Fmt::Sci(1));
    run.number(&format!("lin_cond_{e}"), l.cond, Fmt::Fixed(1));
    run.number(&format!("lin_from_basis_{e}"), l.from_basis, Fmt::Fixed(2));
    run.number(&format!("lin_seconds_{e}"), l.seconds, Fmt::Fixed(1));
    run.snippet(&format!("lin_reaches_{e}"), yes(l.reaches_optimum));
    run.number(&format!("lin_gap_{e}"), 100.0 * l.gap, Fmt::Fixed(1));
    run.number(&format!("lin_bound_{e}"), l.subspace_bound, Fmt::Sci(1));
    run.snippet(&format!("pca_wins_q_{e}"), r.winners(true));
    run.snippet(&format!("ae_wins_q_{e}"), r.winners(false));
    table(run, &format!("sweep_{e}"), &ex::sweep_table(&r.pca, &r.ae));
    Ok(())
}

/// PCA's curves up to code size `q_max`, the Eckart–Young optimum dashed, and
/// each architecture's held-out error over seeds with a band, against k. The
/// y axis is logarithmic where the errors span more than a decade.
fn error_chart(
    title: &str,
    pca: &PcaSweep,
    ae: &ex::AeSweep,
    plan_archs: &[papernotes::pca_ae::autoencoder::Arch],
    ks: &[usize],
    q_max: usize,
) -> Result<LineChart> {
    let mut chart = LineChart::new(title, "code size q", "mean squared error per entry");
    let pts = |v: &[f64]| {
        v.iter()
            .take(q_max)
            .enumerate()
            .map(|(i, &e)| ((i + 1) as f64, e))
            .collect()
    };
    let shown = pca.test.iter().chain(&pca.optimum).take(q_max);
    let shown: Vec<f64> = shown
        .chain(ae.runs.iter().map(|r| &r.test_mse))
        .copied()
        .collect();
    let (lo, hi) = shown.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    chart.push(
        Series::line(
            "theory: Eckart–Young optimum (training)",
            pts(&pca.optimum),
            7,
        )
        .with_mark(Mark::Dashed),
    );
    chart.push(Series::line("PCA, held-out", pts(&pca.test), 0));
    for (c, arch) in plan_archs.iter().enumerate() {
        let ks: Vec<usize> = ks
            .iter()
            .copied()
            .filter(|&k| !ae.at(arch, k).is_empty())
            .collect();
        let xs: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
        let seeds = ae.at(arch, ks[0]).len();
        let runs: Vec<Vec<f64>> = (0..seeds)
            .map(|s| ks.iter().map(|&k| ae.at(arch, k)[s].test_mse).collect())
            .collect();
        let label = format!("AE {}, held-out ({seeds} seeds)", arch.name());
        let s = Series::summary(label, &xs, &runs, c + 1, Summary::MeanMinMax)?;
        chart.push(s.with_mark(Mark::LinePoints));
    }
    if hi > 10.0 * lo {
        chart.y_scale = Scale::Log;
    }
    Ok(chart)
}

fn draw_table(run: &mut Run, plan: &Plan, r: &TableResult) -> Result<()> {
    let (e, name) = match r.encoding {
        papernotes::pca_ae::table::Encoding::NumericOnly => ("numeric", "numeric-only"),
        papernotes::pca_ae::table::Encoding::OneHot => ("onehot", "one-hot"),
    };
    let path = run.figure(
        &format!("{e}_error.svg"),
        &format!("Ames, {name} table: reconstruction error against code size q, PCA (held-out, and the Eckart–Young training optimum dashed) and the tanh autoencoders (held-out, mean over seeds, band from the lowest to the highest seed)"),
    );
    let title = format!("Ames {name} table (d = {})", r.pca.dim);
    let q_max = plan.ks.iter().copied().max().unwrap_or(1);
    error_chart(&title, &r.pca, &r.ae, &plan.archs, &plan.ks, q_max)?.save(&path)
}

fn record_curved(run: &mut Run, c: &CurvedResult) {
    run.number("curve_rows", c.curve.rows as f64, Fmt::Int);
    run.number("curve_dim", c.curve.dim as f64, Fmt::Int);
    run.number("curve_m", c.curve.harmonics as f64, Fmt::Int);
    run.number("curve_span", c.curve.span() as f64, Fmt::Int);
    run.number("curve_noise", c.curve.noise, Fmt::Fixed(2));
    run.snippet("curve_ae_wins", yes(c.ae_wins_below_span));
    run.snippet("curve_pca_wins", yes(c.pca_wins_beyond_span));
    if let Some(first) = c.rows.first() {
        run.number("curve_k1", first.k as f64, Fmt::Int);
        run.number("curve_pca_k1", first.pca_test, Fmt::Fixed(3));
        run.snippet("curve_ae_k1", first.ae_test.text());
    }
    let rows: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            vec![
                r.k.to_string(),
                format!("{:.3}", r.pca_test),
                r.best.name(),
                r.ae_test.text(),
                if r.pca_better { "PCA" } else { "autoencoder" }.into(),
            ]
        })
        .collect();
    run.table(
        "curved",
        &[
            "k",
            "PCA held-out",
            "best AE",
            "AE held-out, mean [min, max]",
            "lower error",
        ],
        &rows,
    );
}

fn draw_curved(run: &mut Run, plan: &Plan, c: &CurvedResult) -> Result<()> {
    let path = run.figure(
        "curved_error.svg",
        "Curved set (a curve with a 2J-dimensional linear span in d dimensions): held-out reconstruction error against the code size q, PCA against the tanh autoencoders (mean over seeds, band from the lowest to the highest seed)",
    );
    let title = format!(
        "Curve with a {}-dimensional span in {} dimensions",
        c.curve.span(),
        c.curve.dim
    );
    let mut chart = error_chart(
        &title,
        &c.pca,
        &c.ae,
        &plan.archs,
        &plan.curve_ks,
        c.pca.rank,
    )?;
    chart.x_scale = Scale::Linear;
    chart.save(&path)
}
