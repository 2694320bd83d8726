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
        );
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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/warp_scaling.json");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    let data: Value = serde_json::from_str(&text).map_err(|e| Error::Data(e.to_string()))?;
    let rows = data["scaling"]
        .as_array()
        .ok_or_else(|| Error::Data(format!("{}: no `scaling` array", path.display())))?;
    // (megapixels, median ms) of one column of the sweep.
    let series = |key: &str| -> Result<Vec<(f64, f64)>> {
        rows.iter()
            .map(
                |r| match (r["pixels"].as_f64(), r[key]["median"].as_f64()) {
                    (Some(px), Some(ms)) => Ok((px / 1e6, ms)),
                    _ => Err(Error::Data(format!(
                        "{}: a row lacks `{key}`",
                        path.display()
                    ))),
                },
            )
            .collect()
    };
    let mut chart = LineChart::new(
        "Bilinear warp (7° rotation, zoom 0.9), one thread, median per image size",
        "source and output size (megapixels)",
        "time (ms)",
    );
    (chart.x_scale, chart.y_scale) = (Scale::Log, Scale::Log);
    chart.legend = Legend::Below;
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
    let t = ex::warp_timing_with(img, n, kernel)?;
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
        let t = ex::warp_timing_with(&src, n, kernel)?;
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
        "reps": t.reps, "width": img.width, "height": img.height,
        "copy_fresh_s": ex::copy_timing(img, n, true), "copy_reused_s": ex::copy_timing(img, n, false),
        "matrix": [row(0), row(1)], "src": src,
    });
    println!("{timing}");
}
