//! Face alignment in 2-D and 3-D: runs every experiment of the chapter
//! (`papernotes::alignment::experiments`), draws its figures and records its numbers.
//!
//! `cargo run --release --example alignment` writes figures/alignment/;
//! `-- --quick` runs small sizes in seconds (CI). `--warp-bench N --warp-out F`
//! only times the bilinear warp of the Einstein photo (N repetitions), writes the
//! warped image as a binary PGM to F and prints the timing as JSON: the peer
//! comparison script `scripts/compare_alignment.py` calls it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use papernotes::alignment::deepface::fiducials6;
use papernotes::alignment::experiments::{self as ex, Alignment2d, Inputs, Plan, Table};
use papernotes::alignment::figure::{Panel, draw_panels};
use papernotes::alignment::frontalize::FrontalFrame;
use papernotes::alignment::{Face, Family, Gray, P2};
use papernotes::plot::{Legend, LineChart, Mark, Scale, Series};
use papernotes::run::{CommonArgs, Fmt, Run};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Only time the bilinear warp of the Einstein photo this many times.
    #[arg(long)]
    warp_bench: Option<usize>,
    /// With --warp-bench: write the warped image here (binary PGM).
    #[arg(long)]
    warp_out: Option<PathBuf>,
}

fn main() -> ExitCode {
    // SAFETY: first thing in main, before any other thread exists.
    unsafe { papernotes::device::default_to_one_thread() };
    papernotes::run::report(run())
}

fn run() -> papernotes::Result<()> {
    let args = Args::parse();
    if let Some(n) = args.warp_bench {
        return warp_bench(n, args.warp_out);
    }
    let device = papernotes::device::select(args.common.device)?;
    let mut run = Run::start(
        "alignment",
        &args.common,
        &papernotes::device::describe(&device),
    )?;
    let plan = (if run.quick() { Plan::quick } else { Plan::full })(run.seed());
    let data = Inputs::load()?;
    landmarks_figure(&mut run, &data)?;
    families(&mut run, &data)?;
    let aligned = alignment_2d(&mut run, &data)?;
    interpolation(&mut run, &plan, &data)?;
    distortion(&mut run, &plan, &data)?;
    cameras(&mut run, &data)?;
    frontalization(&mut run, &plan, &data)?;
    illumination(&mut run, &aligned)?;
    let t = run.time("warp speed", || {
        ex::warp_timing(&data.einstein.image, plan.warp_reps)
    })?;
    run.number("warp_ms", 1e3 * t.median_s, Fmt::Fixed(2));
    run.finish()
}

fn table(run: &mut Run, key: &str, t: &Table) {
    run.table(key, &t.header, &t.rows);
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

fn warp_bench(n: usize, out: Option<PathBuf>) -> papernotes::Result<()> {
    let face = Face::load("einstein")?;
    let img = &face.image;
    let t = ex::warp_timing(img, n)?;
    if let Some(path) = out {
        // The warped image, and beside it the decoded source, so that the peer
        // warps exactly the same pixels (JPEG decoders differ slightly).
        write_pgm(&t.image, &path)?;
        write_pgm(img, &path.with_extension("src.pgm"))?;
    }
    let m = t.map.m;
    let row = |r: usize| [m[(r, 0)], m[(r, 1)], m[(r, 2)]];
    let (w, h) = (img.width, img.height);
    let timing = serde_json::json!({ "median_s": t.median_s, "reps": t.reps, "width": w, "height": h, "matrix": [row(0), row(1)] });
    println!("{timing}");
    Ok(())
}

fn landmarks_figure(run: &mut Run, data: &Inputs) -> papernotes::Result<()> {
    let path = run.figure(
        "landmarks.svg",
        "The two photos with their 68 hand-annotated landmarks and the six DeepFace fiducials, and the generic 3-D model's 68 anchors seen frontally",
    );
    let mut panels = Vec::new();
    for f in data.faces() {
        let (img, lm) = ex::face_region(f, 1.4)?;
        let (w, h) = (f.image.width, f.image.height);
        let mut p = Panel::new(img, format!("{} ({w} × {h}), face region", f.name));
        p.points = lm.iter().map(|q| (*q, 0)).collect();
        p.points.extend(fiducials6(&lm)?.iter().map(|q| (*q, 1)));
        panels.push(p);
    }
    let mesh = &data.mesh;
    let whole = FrontalFrame::fit(&mesh.vertices, ex::CROP, 0.95);
    let mut m = Panel::new(
        Gray::new(ex::CROP, ex::CROP, 235.0),
        "mesh: 468 vertices, 68 anchors",
    );
    m.points = mesh.vertices.iter().map(|v| (whole.place(v), 7)).collect();
    let anchors: Vec<P2> = mesh.anchors().iter().map(|p| whole.place(p)).collect();
    m.points.extend(anchors.iter().map(|q| (*q, 0)));
    m.points
        .extend(fiducials6(&anchors)?.iter().map(|q| (*q, 1)));
    panels.push(m);
    draw_panels(
        &path,
        "Data: landmarks (blue), six fiducials (vermillion), mesh vertices (grey)",
        &panels,
        3,
        230,
    )
}

fn families(run: &mut Run, data: &Inputs) -> papernotes::Result<()> {
    let counts = ex::family_count_table(&ex::family_counts());
    table(run, "param_counts", &counts);
    let fits = run.time("fits between the photos (68 points)", || {
        ex::fits_between(&data.einstein, &data.takeo)
    })?;
    table(run, "fit_table", &fits.table());
    run.record("fits_einstein_to_takeo", fits.json())?;
    Ok(())
}

fn alignment_2d(run: &mut Run, data: &Inputs) -> papernotes::Result<Alignment2d> {
    let template = data.template()?;
    let aligned = run.time("2-D alignment", || {
        ex::align_faces(&data.faces(), &template)
    })?;
    table(run, "align2d_table", &aligned.table());
    let path = run.figure(
        "deepface_2d.svg",
        "DeepFace's 2-D alignment: six fiducials fitted to the template by a similarity, iterated; 152 × 152 crops",
    );
    let panels: Vec<Panel> = aligned
        .faces
        .iter()
        .map(|a| {
            let caption = format!("{}: 2-D aligned, 152 × 152", a.name);
            let mut p = Panel::new(a.out.crop.clone(), caption);
            p.points = aligned.template.iter().map(|q| (*q, 1)).collect();
            p.points
                .extend(a.aligned_fiducials().iter().map(|q| (*q, 2)));
            p
        })
        .collect();
    draw_panels(
        &path,
        "Template (vermillion) and aligned fiducials (green)",
        &panels,
        2,
        300,
    )?;
    Ok(aligned)
}

fn interpolation(run: &mut Run, plan: &Plan, data: &Inputs) -> papernotes::Result<()> {
    let rt = run.time("rotation round trips", || {
        ex::roundtrip(&data.faces(), plan.roundtrip_crop, 10.0)
    })?;
    table(run, "roundtrip_table", &ex::roundtrip_table(&rt));
    let zoom = run.time("zoom-out vs area average", || {
        ex::zoom_out(&data.einstein.image, &plan.zoom_factors)
    })?;
    table(run, "zoom_table", &ex::zoom_table(&zoom));
    let path = run.figure(
        "zoom_out_error.svg",
        "Zoom-out of the Einstein photo by point-sampling warps: RMS difference from the area average (box filter), nearest vs bilinear",
    );
    let mut ch = LineChart::new(
        "Zoom-out without a prefilter aliases (Einstein, 817 × 1024)",
        "zoom-out factor",
        "RMS difference from area average (grey levels)",
    );
    let curve = |f: fn(&ex::ZoomRow) -> f64| -> Vec<(f64, f64)> {
        zoom.iter().map(|r| (r.factor as f64, f(r))).collect()
    };
    ch.push(Series::line("nearest", curve(|r| r.nearest), 1).with_mark(Mark::LinePoints));
    ch.push(Series::line("bilinear", curve(|r| r.bilinear), 0).with_mark(Mark::LinePoints));
    ch.legend = Legend::UpperLeft;
    ch.save(&path)?;

    let path = run.figure(
        "interpolation.svg",
        "Nearest vs bilinear: an 8× zoom into Einstein's eye (blocks vs smooth ramps) and a 4× zoom-out (both alias; the area average does not)",
    );
    let im = ex::interpolation_images(&data.einstein)?;
    let [zn, zb] = im.zoom_in;
    let [on, ob, oa] = im.zoom_out;
    let captions = ["8× in", "8× in", "4× out", "4× out", "4× out"];
    let methods = ["nearest", "bilinear", "nearest", "bilinear", "area average"];
    let panels: Vec<Panel> = [zn, zb, on, ob, oa]
        .into_iter()
        .zip(captions.iter().zip(methods))
        .map(|(g, (c, m))| Panel::new(g, format!("{c}, {m}")))
        .collect();
    draw_panels(
        &path,
        "Interpolation: the notes' \"two ways\"",
        &panels,
        5,
        136,
    )
}

fn distortion(run: &mut Run, plan: &Plan, data: &Inputs) -> papernotes::Result<()> {
    let (sigmas, draws) = (&plan.noise_sigmas, plan.distortion_draws);
    let d = run.time("shape distortion", || {
        ex::distortion(&data.takeo, sigmas, draws, plan.seed)
    })?;
    table(run, "distortion_table", &d.table(plan.table_sigma));
    run.number("distortion_draws", d.draws as f64, Fmt::Int);
    run.record("distortion_curves", d.json())?;
    let path = run.figure(
        "distortion.svg",
        "How much a family distorts the face when fitted to noisy landmarks of the takeo photo: median shape distortion (line) and 25th to 75th percentile (bar) over the noisy draws, vs landmark noise; a similarity's is 0",
    );
    let mut ch = LineChart::new(
        format!(
            "Fits to noisy landmarks distort the face (median, quartiles of {} draws)",
            d.draws
        ),
        "landmark noise ς per coordinate (px)",
        "shape distortion (% of face radius, log scale)",
    );
    // From just below the decade under the smallest quartile, so that decade is labelled.
    let (lo, hi) = d.quartile_range();
    ch.y_range = Some((0.9 * 10f64.powf(lo.log10().floor()), 1.5 * hi));
    ch.y_scale = Scale::Log;
    ch.legend = Legend::UpperLeft;
    for (c, i) in d.curves.iter().zip([0, 1, 2, 4]) {
        let label = format!("{}, {}", c.family.name(), c.points_label);
        let median = c.spread.iter().map(|s| (s.sigma, s.median)).collect();
        ch.push(Series::line(label, median, i).with_mark(Mark::LinePoints));
        // The quartile bars, nudged sideways so that the two families' bars
        // at one σ do not hide each other.
        let dx = if c.family == Family::Affine {
            -0.04
        } else {
            0.04
        };
        for s in &c.spread {
            let bar = vec![(s.sigma + dx, s.q25), (s.sigma + dx, s.q75)];
            ch.push(Series::line("", bar, i).with_mark(Mark::Line).without_key());
        }
    }
    ch.save(&path)
}

fn cameras(run: &mut Run, data: &Inputs) -> papernotes::Result<()> {
    let anchors = data.mesh.anchors();
    let fits = run.time("camera fits", || ex::camera_fits(&data.faces(), &anchors))?;
    table(run, "camera_table", &ex::camera_table(&fits));
    run.record("cameras", ex::camera_json(&fits))?;
    let path = run.figure(
        "camera_residuals.svg",
        "Residual of each of the 68 landmarks after the least-squares affine camera fit to the generic model, as % of the inter-ocular distance",
    );
    let mut ch = LineChart::new(
        "Affine camera: residual per landmark",
        "iBUG landmark index (0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth)",
        "residual (% of inter-ocular distance)",
    );
    for (i, c) in fits.iter().enumerate() {
        let label = format!("{} (affine camera)", c.name);
        ch.push(Series::line(label, c.residual_percent(), i).with_mark(Mark::Points));
    }
    ch.legend = Legend::UpperRight;
    ch.save(&path)
}

fn frontalization(run: &mut Run, plan: &Plan, data: &Inputs) -> papernotes::Result<()> {
    let frame = data.frame();
    let fr = run.time("frontalization", || {
        ex::frontalization(&data.faces(), &data.mesh, &frame, plan.turned_yaw)
    })?;
    let fill = fr.turned.mirror_fill_percent();
    run.number("mirror_fill_percent", fill, Fmt::Fixed(1));
    run.number("turn_back_rms_3d", fr.turn_back.rms_3d, Fmt::Fixed(1));
    run.number("turn_back_rms_2d", fr.turn_back.rms_2d, Fmt::Fixed(1));
    table(run, "frontal_table", &fr.table());
    let path = run.figure(
        "frontalization.svg",
        "Piecewise-affine frontalization: Delaunay triangles on the landmarks, frontal crops with the generic and the personalized model, and a synthetic 50° turn whose hidden triangles are filled by symmetry",
    );
    let panels = frontal_panels(data, &fr)?;
    draw_panels(&path, "3-D alignment: frontalization", &panels, 3, 230)?;
    backfacing(run, plan, data)
}

fn frontal_panels(data: &Inputs, fr: &ex::Frontalization) -> papernotes::Result<Vec<Panel>> {
    let mut panels = Vec::new();
    for (f, front) in data.faces().iter().zip(&fr.faces) {
        let (img, lm) = ex::face_region(f, 1.3)?;
        let mut photo = Panel::new(img, format!("{}: Delaunay on landmarks", f.name));
        for t in &front.personalized.triangles {
            for k in 0..3 {
                photo.segments.push((lm[t[k]], lm[t[(k + 1) % 3]], 2));
            }
        }
        let generic = Panel::new(front.plain.image.clone(), "frontal, generic model");
        let own = Panel::new(front.personalized.image.clone(), "frontal, personalized");
        panels.extend([photo, generic, own]);
    }
    let last = fr
        .faces
        .last()
        .ok_or_else(|| papernotes::Error::Data("no photo was frontalized".into()))?;
    let (t, name) = (&fr.turned, &last.name);
    let caption = format!("{name} rendered at {}° yaw", t.yaw_deg);
    let mut turned = Panel::new(t.rendered.clone(), caption);
    turned.points = t.points.iter().map(|q| (*q, 0)).collect();
    let mut back = Panel::new(t.back.image.clone(), "frontalized; shaded: by symmetry");
    let hidden = t.back.triangles.iter().zip(&t.back.visible);
    back.shaded = hidden
        .filter(|(_, v)| !**v)
        .map(|(tri, _)| (tri.map(|k| t.back.target[k]), 3))
        .collect();
    let caption = format!("{name} frontal (for comparison)");
    panels.extend([
        turned,
        back,
        Panel::new(last.personalized.image.clone(), caption),
    ]);
    Ok(panels)
}

fn backfacing(run: &mut Run, plan: &Plan, data: &Inputs) -> papernotes::Result<()> {
    let sweep = ex::back_facing_sweep(&data.mesh, &plan.yaws);
    for (key, yaw) in [("backfacing_at_45", 45.0), ("backfacing_at_90", 90.0)] {
        let at = sweep
            .iter()
            .find(|b| b.yaw_deg == yaw)
            .ok_or_else(|| papernotes::Error::Data(format!("the yaw sweep has no {yaw}° point")))?;
        run.number(key, at.percent(), Fmt::Fixed(1));
    }
    let path = run.figure(
        "backfacing.svg",
        "Share of the 898 mesh triangles that face away from the camera as the head turns (yaw)",
    );
    let mut ch = LineChart::new(
        "Hidden triangles grow with yaw",
        "yaw (degrees)",
        "triangles facing away (%)",
    );
    let curve = sweep.iter().map(|b| (b.yaw_deg, b.percent())).collect();
    let total = sweep.first().map_or(0, |b| b.total);
    let label = format!("canonical mesh, {total} triangles");
    ch.push(Series::line(label, curve, 0).with_mark(Mark::LinePoints));
    ch.save(&path)
}

fn illumination(run: &mut Run, aligned: &Alignment2d) -> papernotes::Result<()> {
    let il = ex::illumination(aligned)?;
    table(run, "illumination_table", &il.table());
    let mut panels = Vec::new();
    let takeo = aligned
        .faces
        .iter()
        .zip(&il.images)
        .find(|(a, _)| a.name == "takeo");
    if let Some((a, (_, images))) = takeo {
        panels.push(Panel::new(a.out.crop.clone(), "aligned crop"));
        for (label, g) in ex::ILLUMINATION_CHANGES.iter().zip(images) {
            panels.push(Panel::new(g.clone(), *label));
        }
    }
    let path = run.figure(
        "illumination.svg",
        "Four changes of illumination applied to the aligned takeo crop; L2 normalization undoes only the first",
    );
    draw_panels(
        &path,
        "Illumination changes (takeo, 2-D aligned)",
        &panels,
        5,
        136,
    )
}
