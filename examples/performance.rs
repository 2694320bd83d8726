//! The Performance appendix: draws the bilinear warp's size sweep that
//! `scripts/bench_warp.py` measured (`benches/warp_scaling.json`): papernotes
//! and OpenCV's `warpAffine`, one thread each, against the image size, with the
//! copy of the image (the memory floor) for scale.
//!
//! The timings are measured outside CI (the peer needs OpenCV), so `--quick`
//! draws the same figure from the same file: CI checks that the drawing still
//! runs and writes the same files.
//!
//! ```sh
//! python3 scripts/bench_warp.py                       # measures, writes benches/warp_*.{json,md}
//! cargo run --release --example performance          # draws figures/performance/
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use papernotes::alignment::experiments as ex;
use papernotes::alignment::warp::Kernel;
use papernotes::alignment::{Face, Gray};
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Run};
use papernotes::{Error, Result};
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Performance appendix: the warp's size sweep against OpenCV")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Only time the parts of the A-Softmax head this many times and print
    /// them as JSON (`benches/peer_torch.py` calls it).
    #[arg(long)]
    bench_head_parts: Option<usize>,
    /// Only time (for `scripts/bench_warp.py`) the bilinear warp of the Einstein photo this many times.
    #[arg(long)]
    warp_bench: Option<usize>,
    /// With --warp-bench: write the warped image here (binary PGM).
    #[arg(long)]
    warp_out: Option<PathBuf>,
    /// With --warp-bench: the inner loop (portable, simd; default the fastest this CPU runs).
    #[arg(long)]
    warp_kernel: Option<String>,
    /// With --warp-bench: also time the photo resampled by each of these
    /// factors (comma-separated), one JSON line each, sources beside --warp-out.
    #[arg(long, value_delimiter = ',')]
    warp_scales: Vec<f64>,
    /// With --warp-bench: threads the warp's rows are shared out over.
    #[arg(long, default_value_t = 1)]
    warp_threads: usize,
    /// Only time (for `benches/scaling_peer.py`) a Newton step's Cholesky
    /// solve and explicit inverse at these orders, and print them as JSON.
    #[arg(long, value_delimiter = ',')]
    newton_bench: Vec<usize>,
    /// Only time (for `benches/scaling_peer.py`) the PCA fit on Gaussian
    /// matrices of these shapes (ROWSxCOLS, comma-separated), JSON per shape.
    #[arg(long, value_delimiter = ',')]
    pca_bench: Vec<String>,
}

fn main() -> ExitCode {
    // SAFETY: first thing in main, before any other thread exists.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

fn run() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.warp_bench {
        return warp_bench(
            n,
            args.warp_out,
            args.warp_kernel.as_deref(),
            &args.warp_scales,
            args.warp_threads,
        );
    }
    if !args.newton_bench.is_empty() {
        return newton_bench(args.newton_bench, args.common.seed);
    }
    if !args.pca_bench.is_empty() {
        return pca_bench(&args.pca_bench, args.common.seed);
    }
    let device = papernotes::device::select(args.common.device)?;
    if let Some(reps) = args.bench_head_parts {
        let rows = papernotes::sphereface::experiments::bench_head_parts(reps, &device)?;
        let threads = candle_core::utils::get_num_threads();
        println!(
            "{}",
            serde_json::json!({ "threads": threads, "reps": reps, "rows": rows })
        );
        return Ok(());
    }
    let mut run = Run::start(
        "performance",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let data = read_json("benches/warp_scaling.json")?;
    // (megapixels, median ms) of one column of the sweep.
    let series = |key: &str| points(&data["scaling"], "pixels", 1e-6, &[key, "median"]);
    let mut chart = loglog_ms_chart(
        "Bilinear warp (7° rotation, zoom 0.9), one thread, median per image size",
        "source and output size (megapixels)",
    );
    let lines = [
        ("papernotes, f32 (AVX2 kernel)", "ours_ms", 0),
        ("OpenCV warpAffine, 8-bit", "opencv_u8_ms", 1),
        ("OpenCV warpAffine, f32", "opencv_f32_ms", 2),
        ("copy of the f32 image (memory floor)", "copy_ms", 7),
    ];
    for (label, key, colour) in lines {
        chart.push(Series::line(label, series(key)?, colour).with_mark(Mark::LinePoints));
    }
    chart.save(&run.figure(
        "warp_scaling.svg",
        "Bilinear warp time against image size: papernotes and OpenCV, one thread each, and the image copy",
    ))?;
    run.record("warp_scaling", &data["scaling"])?;
    draw_peer_scaling(&mut run)?;
    run.finish()
}

fn write_pgm(img: &Gray, path: &Path) -> papernotes::Result<()> {
    let mut bytes = format!("P5\n{} {}\n255\n", img.width, img.height).into_bytes();
    bytes.extend(img.data.iter().map(|v| v.round().clamp(0.0, 255.0) as u8));
    std::fs::write(path, bytes).map_err(|source| papernotes::Error::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    })
}

fn warp_bench(
    n: usize,
    out: Option<PathBuf>,
    kernel: Option<&str>,
    scales: &[f64],
    threads: usize,
) -> papernotes::Result<()> {
    let kernel = match kernel {
        None => Kernel::best(),
        Some("portable") => Kernel::Portable,
        Some("simd") => Kernel::Simd,
        Some(k) => {
            return Err(papernotes::Error::InvalidParameter {
                name: "--warp-kernel",
                reason: format!("{k}: expected portable or simd"),
            });
        }
    };
    let face = Face::load("einstein")?;
    let img = &face.image;
    let t = ex::warp_timing_with(img, n, kernel, threads)?;
    if let Some(path) = &out {
        // The warped image, and beside it the decoded source, so that the peer
        // warps exactly the same pixels (JPEG decoders differ slightly).
        write_pgm(&t.image, path)?;
        write_pgm(img, &path.with_extension("src.pgm"))?;
    }
    print_timing(
        img,
        &t,
        1.0,
        kernel,
        n,
        out.as_ref().map(|p| p.with_extension("src.pgm")),
    );
    for &k in scales {
        let src = ex::scaled_source(img, k)?;
        let t = ex::warp_timing_with(&src, n, kernel, threads)?;
        let path = out
            .as_ref()
            .map(|p| p.with_extension(format!("x{k}.src.pgm")));
        if let Some(p) = &path {
            write_pgm(&src, p)?;
        }
        print_timing(&src, &t, k, kernel, n, path);
    }
    Ok(())
}

/// One JSON line: the warp's timing, the copy floor and the map, for the peer script.
fn print_timing(
    img: &Gray,
    t: &ex::WarpTiming,
    scale: f64,
    kernel: Kernel,
    n: usize,
    src: Option<PathBuf>,
) {
    let m = t.map.m;
    let row = |r: usize| [m[(r, 0)], m[(r, 1)], m[(r, 2)]];
    let timing = serde_json::json!({
        "scale": scale, "kernel": kernel.name(), "median_s": t.median_s, "min_s": t.min_s,
        "reused_median_s": t.reused_median_s, "reused_min_s": t.reused_min_s,
        "reps": t.reps, "threads": t.threads, "width": img.width, "height": img.height,
        "copy_fresh_s": ex::copy_timing(img, n, true), "copy_reused_s": ex::copy_timing(img, n, false),
        "matrix": [row(0), row(1)], "src": src,
    });
    println!("{timing}");
}

/// Reads a JSON file of the repository (a bench driver's output).
fn read_json(rel: &str) -> Result<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Data(format!("{rel}: {e}")))
}

/// `(x · x_scale, y)` for each row of `rows`, `y` found by following `y_path`.
fn points(rows: &Value, x_key: &str, x_scale: f64, y_path: &[&str]) -> Result<Vec<(f64, f64)>> {
    let rows = rows
        .as_array()
        .ok_or_else(|| Error::Data(format!("no rows for `{}`", y_path.join("."))))?;
    rows.iter()
        .map(|r| {
            let y = y_path.iter().fold(r, |v, k| &v[*k]);
            match (r[x_key].as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => Ok((x * x_scale, y)),
                _ => Err(Error::Data(format!(
                    "a row lacks `{x_key}` or `{}`",
                    y_path.join(".")
                ))),
            }
        })
        .collect()
}

/// The Newton step cost and the PCA fit against size, papernotes and its
/// peers (`benches/scaling_peer.json`, written by `benches/scaling_peer.py`).
fn draw_peer_scaling(run: &mut Run) -> Result<()> {
    let data = read_json("benches/scaling_peer.json")?;
    let fit = |key: &str| data["fits"][key].as_f64().unwrap_or(f64::NAN);
    let mut chart = loglog_ms_chart(
        "Newton step with an n × n Hessian, one thread, best time",
        "order n",
    );
    let lines = [
        (
            "papernotes (nalgebra): Cholesky solve",
            "ours_cholesky_ms",
            0,
            "ours_cholesky",
        ),
        (
            "SciPy (LAPACK): Cholesky solve",
            "peer_cholesky_ms",
            1,
            "peer_cholesky",
        ),
        (
            "papernotes (nalgebra): inverse, then multiply",
            "ours_inverse_ms",
            2,
            "ours_inverse",
        ),
        (
            "NumPy (LAPACK): inverse, then multiply",
            "peer_inverse_ms",
            3,
            "peer_inverse",
        ),
    ];
    for (label, key, colour, slope) in lines {
        let label = format!("{label} (slope {:.2})", fit(slope));
        let pts = points(&data["newton"], "n", 1.0, &[key, "median"])?;
        chart.push(Series::line(label, pts, colour).with_mark(Mark::LinePoints));
    }
    chart.save(&run.figure(
        "newton_scaling.svg",
        "Newton step cost against the order: papernotes and SciPy/NumPy (LAPACK), one thread each",
    ))?;
    let mut chart = loglog_ms_chart(
        "PCA fit by the SVD, one thread, median per shape",
        "rows × columns² (the SVD's flop count, up to a constant)",
    );
    for (sweep, what) in [("rows", "more rows"), ("cols", "more columns")] {
        for (side, colour) in [("ours", 0), ("peer", 1)] {
            let who = if side == "ours" {
                "papernotes (nalgebra)"
            } else {
                "scikit-learn (LAPACK)"
            };
            let rows = &data["pca"][sweep];
            let pts = points(rows, "work", 1.0, &[&format!("{side}_ms"), "median"])?;
            let mark = if sweep == "rows" {
                Mark::LinePoints
            } else {
                Mark::Line
            };
            chart.push(
                Series::line(
                    format!("{who}, {what}"),
                    pts,
                    colour + 2 * usize::from(sweep == "cols"),
                )
                .with_mark(mark),
            );
        }
    }
    chart.save(&run.figure(
        "pca_scaling.svg",
        "PCA fit time against the matrix shape: papernotes and scikit-learn, one thread each",
    ))?;
    run.record("newton_scaling", &data["newton"])?;
    run.record("pca_scaling", &data["pca"])
}

/// Prints the Newton step's solve timings at each order as one JSON line.
fn newton_bench(sizes: Vec<usize>, seed: u64) -> Result<()> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let rows = sizes
        .into_iter()
        .map(|n| {
            let (cholesky_s, inverse_s) = papernotes::newton::experiments::solve_cost(n, &mut rng)?;
            Ok(serde_json::json!({"n": n, "cholesky_s": cholesky_s, "inverse_s": inverse_s}))
        })
        .collect::<Result<Vec<Value>>>()?;
    println!("{}", serde_json::json!({ "rows": rows }));
    Ok(())
}

/// Prints the PCA fit's timings, one JSON line per `ROWSxCOLS` shape.
fn pca_bench(shapes: &[String], seed: u64) -> Result<()> {
    for s in shapes {
        let parsed = s
            .split_once('x')
            .and_then(|(r, c)| Some((r.parse().ok()?, c.parse().ok()?)));
        let Some((rows, cols)) = parsed else {
            return Err(Error::InvalidParameter {
                name: "--pca-bench",
                reason: format!("{s}: expected ROWSxCOLS, e.g. 1758x321"),
            });
        };
        let t = papernotes::pca_ae::experiments::fit_timing(rows, cols, 5, seed)?;
        println!(
            "{}",
            serde_json::to_string(&t).map_err(|e| Error::Data(e.to_string()))?
        );
    }
    Ok(())
}

/// A chart of times (ms) on log–log axes, the legend below: each figure of the appendix.
fn loglog_ms_chart(title: &str, x_label: &str) -> LineChart {
    let mut chart = LineChart::new(title, x_label, "time (ms)");
    (chart.x_scale, chart.y_scale) = (Scale::Log, Scale::Log);
    chart.legend = Legend::Below;
    chart
}
