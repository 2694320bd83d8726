//! Face alignment in 2-D and 3-D: every experiment of the chapter.
//!
//! `cargo run --release --example alignment` writes figures/alignment/;
//! `-- --quick` runs small sizes in seconds (CI). `--warp-bench N --warp-out F`
//! only times the bilinear warp of the Einstein photo (N repetitions), writes the
//! warped image as a binary PGM to F and prints the timing as JSON: the peer
//! comparison script `scripts/compare_alignment.py` calls it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nalgebra::Vector2;
use papernotes::alignment::camera::{AffineCamera, WeakPerspective, facing_camera, yaw_rotation};
use papernotes::alignment::deepface::{align_2d, fiducials6};
use papernotes::alignment::figure::{Panel, draw_panels};
use papernotes::alignment::fit::{Family, Transform2, fit, fit_homography_dlt, rms_residual};
use papernotes::alignment::frontalize::{FrontalFrame, frontalize, piecewise_affine};
use papernotes::alignment::illumination::normalized_distance;
use papernotes::alignment::shape::shape_distortion;
use papernotes::alignment::warp::{Interp, box_downscale, rms_diff, warp, zoom_out_map};
use papernotes::alignment::{P2, P3};
use papernotes::data::{Face, Gray, Mesh};
use papernotes::plot::{Legend, LineChart, Mark, Series};
use papernotes::run::{CommonArgs, Fmt, Run};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

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
    papernotes::run::report(run())
}

/// The benchmark warp: rotate by 7° and scale by 0.9 about the image centre
/// (output → source map, as OpenCV's WARP_INVERSE_MAP takes it).
fn bench_map(w: usize, h: usize) -> Transform2 {
    let c = Vector2::new((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let shift = |v: Vector2<f64>| Transform2::similarity(1.0, 0.0, v);
    shift(c)
        .after(&Transform2::similarity(
            1.0 / 0.9,
            7f64.to_radians(),
            Vector2::zeros(),
        ))
        .after(&shift(-c))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn write_pgm(img: &Gray, path: &std::path::Path) -> papernotes::Result<()> {
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
    let t = bench_map(img.width, img.height);
    let mut times = Vec::new();
    let mut res = warp(img, &t, img.width, img.height, Interp::Bilinear)?;
    for _ in 0..n.max(1) {
        let s = Instant::now();
        res = warp(img, &t, img.width, img.height, Interp::Bilinear)?;
        times.push(s.elapsed().as_secs_f64());
    }
    if let Some(path) = out {
        // The warped image, and beside it the decoded source, so that the peer
        // warps exactly the same pixels (JPEG decoders differ slightly).
        write_pgm(&res, &path)?;
        write_pgm(img, &path.with_extension("src.pgm"))?;
    }
    let m = t.m;
    println!(
        "{{\"median_s\": {:e}, \"reps\": {}, \"width\": {}, \"height\": {}, \"matrix\": [[{:e}, {:e}, {:e}], [{:e}, {:e}, {:e}]]}}",
        median(&mut times),
        times.len(),
        img.width,
        img.height,
        m[(0, 0)],
        m[(0, 1)],
        m[(0, 2)],
        m[(1, 0)],
        m[(1, 1)],
        m[(1, 2)]
    );
    Ok(())
}

/// The face region of a photo (landmark box plus a margin) and the landmarks in it.
fn face_region(f: &Face, margin: f64) -> papernotes::Result<(Gray, Vec<P2>)> {
    let (mut lo, mut hi) = (
        (f64::INFINITY, f64::INFINITY),
        (f64::NEG_INFINITY, f64::NEG_INFINITY),
    );
    for p in &f.landmarks {
        lo = (lo.0.min(p.x), lo.1.min(p.y));
        hi = (hi.0.max(p.x), hi.1.max(p.y));
    }
    let side = margin * (hi.0 - lo.0).max(hi.1 - lo.1);
    let cx = (lo.0 + hi.0) / 2.0;
    let cy = (lo.1 + hi.1) / 2.0;
    let x0 = (cx - side / 2.0).max(0.0) as usize;
    let y0 = (cy - side / 2.0).max(0.0) as usize;
    let w = (side as usize).min(f.image.width - x0);
    let h = (side as usize).min(f.image.height - y0);
    let crop = f.image.crop(x0, y0, w, h)?;
    let shifted = f
        .landmarks
        .iter()
        .map(|p| P2::new(p.x - x0 as f64, p.y - y0 as f64))
        .collect();
    Ok((crop, shifted))
}

fn mat_rows(t: &Transform2) -> Vec<Vec<f64>> {
    let m = t.normalized();
    (0..3)
        .map(|r| (0..3).map(|c| m[(r, c)]).collect())
        .collect()
}

fn fmt_g(v: f64) -> String {
    format!("{v:.4}")
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
    let quick = run.quick();
    let mut rng = rand::rngs::StdRng::seed_from_u64(run.seed());

    let einstein = Face::load("einstein")?;
    let takeo = Face::load("takeo")?;
    let faces = [&einstein, &takeo];
    let mesh = Mesh::load()?;
    let anchors = mesh.anchors();

    // ---- data figure ----
    let frame = FrontalFrame::fit(&anchors, 152, 0.86);
    let frontal_anchors: Vec<P2> = anchors.iter().map(|p| frame.place(p)).collect();
    {
        let path = run.figure(
            "landmarks.svg",
            "The two photos with their 68 hand-annotated landmarks and the six DeepFace fiducials, and the generic 3-D model's 68 anchors seen frontally",
        );
        let mut panels = Vec::new();
        for f in faces {
            let (img, lm) = face_region(f, 1.4)?;
            let mut p = Panel::new(
                img,
                format!(
                    "{} ({} × {}), face region",
                    f.name, f.image.width, f.image.height
                ),
            );
            p.points = lm.iter().map(|q| (*q, 0)).collect();
            p.points.extend(fiducials6(&lm)?.iter().map(|q| (*q, 1)));
            panels.push(p);
        }
        let whole = FrontalFrame::fit(&mesh.vertices, 152, 0.95);
        let mut m = Panel::new(Gray::new(152, 152, 235.0), "mesh: 468 vertices, 68 anchors");
        m.points = mesh.vertices.iter().map(|v| (whole.place(v), 7)).collect();
        let wa: Vec<P2> = anchors.iter().map(|p| whole.place(p)).collect();
        m.points.extend(wa.iter().map(|q| (*q, 0)));
        m.points.extend(fiducials6(&wa)?.iter().map(|q| (*q, 1)));
        panels.push(m);
        draw_panels(
            &path,
            "Data: landmarks (blue), six fiducials (vermillion), mesh vertices (grey)",
            &panels,
            3,
            230,
        )?;
    }

    // ---- 1. families: counts and fits between the two real faces ----
    let counts: Vec<Vec<String>> = Family::ALL
        .iter()
        .map(|f| {
            vec![
                f.name().to_string(),
                f.params().to_string(),
                f.min_points().to_string(),
                match f {
                    Family::Similarity => "—".into(),
                    Family::Affine => "4 (wrong)".into(),
                    Family::Projective => "4 + 2 = 6 (wrong)".into(),
                },
            ]
        })
        .collect();
    run.table(
        "param_counts",
        &[
            "family",
            "parameters",
            "minimum points",
            "count the notes imply",
        ],
        &counts,
    );
    let mut fit_rows = Vec::new();
    let mut fits_json = serde_json::Map::new();
    for family in Family::ALL {
        let t = run.time(&format!("fit {} (68 points)", family.name()), || {
            fit(family, &einstein.landmarks, &takeo.landmarks)
        })?;
        let r = rms_residual(&t, &einstein.landmarks, &takeo.landmarks)?;
        fit_rows.push(vec![family.name().to_string(), fmt_g(r)]);
        fits_json.insert(
            family.name().to_string(),
            serde_json::json!({ "matrix": mat_rows(&t), "rms": r }),
        );
    }
    let dlt = fit_homography_dlt(&einstein.landmarks, &takeo.landmarks)?;
    let r_dlt = rms_residual(&dlt, &einstein.landmarks, &takeo.landmarks)?;
    fit_rows.push(vec![
        "projective, DLT only (algebraic error)".into(),
        fmt_g(r_dlt),
    ]);
    fits_json.insert(
        "projective_dlt".into(),
        serde_json::json!({ "matrix": mat_rows(&dlt), "rms": r_dlt }),
    );
    run.table(
        "fit_table",
        &["family (einstein → takeo, 68 points)", "RMS residual (px)"],
        &fit_rows,
    );
    run.record("fits_einstein_to_takeo", fits_json)?;

    // ---- 3. DeepFace 2-D alignment ----
    let template: [P2; 6] = fiducials6(&frontal_anchors)?;
    let mut align_rows = Vec::new();
    let mut crops = Vec::new();
    for f in faces {
        let f6 = fiducials6(&f.landmarks)?;
        let detect = |_: &Gray, t: &Transform2| -> papernotes::Result<[P2; 6]> {
            Ok(f6.map(|p| t.apply(&p)))
        };
        let out = run.time(&format!("2-D alignment {}", f.name), || {
            align_2d(&f.image, detect, &template, 152, 5, 1e-6)
        })?;
        align_rows.push(vec![
            f.name.clone(),
            out.updates.len().to_string(),
            fmt_g(out.residuals[0]),
            fmt_g(*out.residuals.last().unwrap_or(&f64::NAN)),
            format!("{:.1e}", out.updates.last().copied().unwrap_or(f64::NAN)),
        ]);
        let mut p = Panel::new(
            out.crop.clone(),
            format!("{}: 2-D aligned, 152 × 152", f.name),
        );
        p.points = template.iter().map(|q| (*q, 1)).collect();
        p.points
            .extend(out.transform.apply_all(&f6).iter().map(|q| (*q, 2)));
        crops.push((f.name.clone(), out, p));
    }
    run.table(
        "align2d_table",
        &[
            "photo",
            "steps",
            "RMS to template before (px)",
            "after (px)",
            "last step moved (px)",
        ],
        &align_rows,
    );
    {
        let path = run.figure(
            "deepface_2d.svg",
            "DeepFace's 2-D alignment: six fiducials fitted to the template by a similarity, iterated; 152 × 152 crops",
        );
        let panels: Vec<Panel> = crops.iter().map(|c| c.2.clone()).collect();
        draw_panels(
            &path,
            "2-D alignment: template (vermillion) and aligned fiducials (green)",
            &panels,
            2,
            300,
        )?;
    }

    // ---- 4. interpolation ----
    let mut rt_rows = Vec::new();
    for f in faces {
        // Quick mode (a debug build in CI) uses the central 256 × 256 of the
        // large photo; the full run uses whole photos.
        let img = &if quick && f.image.width > 256 && f.image.height > 256 {
            f.image.crop(
                (f.image.width - 256) / 2,
                (f.image.height - 256) / 2,
                256,
                256,
            )?
        } else {
            f.image.clone()
        };
        let (w, h) = (img.width, img.height);
        let c = Vector2::new(w as f64 / 2.0, h as f64 / 2.0);
        let shift = |v: Vector2<f64>| Transform2::similarity(1.0, 0.0, v);
        let r = shift(c)
            .after(&Transform2::similarity(
                1.0,
                10f64.to_radians(),
                Vector2::zeros(),
            ))
            .after(&shift(-c));
        let inside =
            |x: usize, y: usize| (Vector2::new(x as f64, y as f64) - c).norm() < 0.45 * w as f64;
        let mut row = vec![f.name.clone()];
        for interp in [Interp::Nearest, Interp::Bilinear] {
            let there = warp(img, &r, w, h, interp)?;
            let back = warp(&there, &r.inverse()?, w, h, interp)?;
            row.push(fmt_g(rms_diff(&back, img, inside)?));
        }
        rt_rows.push(row);
    }
    run.table(
        "roundtrip_table",
        &["photo", "nearest: RMS after ±10° (grey levels)", "bilinear"],
        &rt_rows,
    );
    // Zoom-out aliasing against the box-filter reference, Einstein.
    let factors: Vec<usize> = if quick {
        vec![2, 4, 8]
    } else {
        vec![2, 3, 4, 5, 6, 8]
    };
    let mut zs: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut zoom_rows = Vec::new();
    for &k in &factors {
        let reference = box_downscale(&einstein.image, k)?;
        let (w, h) = (reference.width, reference.height);
        let mut row = vec![k.to_string()];
        for (i, interp) in [Interp::Nearest, Interp::Bilinear].into_iter().enumerate() {
            let z = warp(&einstein.image, &zoom_out_map(k as f64), w, h, interp)?;
            let e = rms_diff(&z, &reference, |_, _| true)?;
            zs[i].push((k as f64, e));
            row.push(fmt_g(e));
        }
        zoom_rows.push(row);
    }
    run.table(
        "zoom_table",
        &[
            "zoom-out factor",
            "nearest: RMS vs area average",
            "bilinear",
        ],
        &zoom_rows,
    );
    {
        let path = run.figure(
            "zoom_out_error.svg",
            "Zoom-out of the Einstein photo by point-sampling warps: RMS difference from the area average (box filter), nearest vs bilinear",
        );
        let mut ch = LineChart::new(
            "Zoom-out without a prefilter aliases (Einstein, 817 × 1024)",
            "zoom-out factor",
            "RMS difference from area average (grey levels)",
        );
        ch.push(Series::line("nearest", zs[0].clone(), 1).with_mark(Mark::LinePoints));
        ch.push(Series::line("bilinear", zs[1].clone(), 0).with_mark(Mark::LinePoints));
        ch.legend = Legend::UpperLeft;
        ch.save(&path)?;
    }
    {
        // Figure: zoom-in (eye, 8x) and zoom-out (4x) with both methods.
        let path = run.figure(
            "interpolation.svg",
            "Nearest vs bilinear: an 8× zoom into Einstein's eye (blocks vs smooth ramps) and a 4× zoom-out (both alias; the area average does not)",
        );
        let eye = einstein.landmarks[36];
        let zoom_in = |interp| {
            let mut t = Transform2::identity();
            t.m[(0, 0)] = 1.0 / 8.0;
            t.m[(1, 1)] = 1.0 / 8.0;
            t.m[(0, 2)] = eye.x - 10.0;
            t.m[(1, 2)] = eye.y - 10.0;
            warp(&einstein.image, &t, 160, 160, interp)
        };
        // The lectern's vertical fluting: fine stripes that alias when point-sampled.
        let region = einstein.image.crop(400, 560, 400, 400)?;
        let panels = vec![
            Panel::new(zoom_in(Interp::Nearest)?, "8× in, nearest"),
            Panel::new(zoom_in(Interp::Bilinear)?, "8× in, bilinear"),
            Panel::new(
                warp(&region, &zoom_out_map(4.0), 100, 100, Interp::Nearest)?,
                "4× out, nearest",
            ),
            Panel::new(
                warp(&region, &zoom_out_map(4.0), 100, 100, Interp::Bilinear)?,
                "4× out, bilinear",
            ),
            Panel::new(box_downscale(&region, 4)?, "4× out, area average"),
        ];
        draw_panels(
            &path,
            "Interpolation: the notes' \"two ways\"",
            &panels,
            5,
            136,
        )?;
    }

    // ---- 5. shape distortion of each family on noisy fiducials ----
    let draws = if quick { 15 } else { 2000 };
    let sigmas = [0.5, 1.0, 2.0, 3.0, 4.0];
    let mut dist_series: Vec<Series> = Vec::new();
    let mut dist_rows = Vec::new();
    let base = &takeo;
    let f6 = fiducials6(&base.landmarks)?.to_vec();
    for (npts, label, dash) in [(6usize, "6 fiducials", false), (68, "68 landmarks", true)] {
        let clean: Vec<P2> = if npts == 6 {
            f6.clone()
        } else {
            base.landmarks.clone()
        };
        for family in [Family::Affine, Family::Projective] {
            let mut pts_curve = Vec::new();
            for &s in &sigmas {
                let normal =
                    Normal::new(0.0, s).map_err(|e| papernotes::Error::InvalidParameter {
                        name: "noise",
                        reason: e.to_string(),
                    })?;
                let mut d = Vec::with_capacity(draws);
                for _ in 0..draws {
                    let noisy: Vec<P2> = clean
                        .iter()
                        .map(|p| {
                            P2::new(p.x + normal.sample(&mut rng), p.y + normal.sample(&mut rng))
                        })
                        .collect();
                    let t = fit(family, &noisy, &clean)?;
                    d.push(100.0 * shape_distortion(&t, &base.landmarks)?);
                }
                let m = median(&mut d);
                pts_curve.push((s, m));
                if (s - 2.0).abs() < 1e-12 {
                    dist_rows.push(vec![
                        label.to_string(),
                        family.name().to_string(),
                        format!("{m:.2}"),
                    ]);
                }
            }
            let color = if family == Family::Affine { 0 } else { 1 };
            let mut ser = Series::line(format!("{}, {label}", family.name()), pts_curve, color);
            ser.mark = if dash { Mark::Dashed } else { Mark::LinePoints };
            dist_series.push(ser);
        }
    }
    dist_rows.push(vec![
        "any".into(),
        "similarity".into(),
        "0 (by construction)".into(),
    ]);
    run.table(
        "distortion_table",
        &[
            "points fitted",
            "family",
            "median shape distortion at σ = 2 px (% of face radius)",
        ],
        &dist_rows,
    );
    run.number("distortion_draws", draws as f64, Fmt::Int);
    {
        let path = run.figure(
            "distortion.svg",
            "How much a family distorts the face when fitted to noisy landmarks: median shape distortion vs landmark noise (takeo)",
        );
        let mut ch = LineChart::new(
            "Shape distortion of the fitted map (similarity: 0)",
            "landmark noise σ (px)",
            "median distortion (% of face radius)",
        );
        for s in dist_series {
            ch.push(s);
        }
        ch.save(&path)?;
    }

    // ---- 6. the 3-D camera ----
    let mut cam_rows = Vec::new();
    let mut res_series = Vec::new();
    let mut cams = Vec::new();
    let mut cam_json = serde_json::Map::new();
    for (i, f) in faces.iter().enumerate() {
        let cam = run.time(&format!("affine camera {}", f.name), || {
            AffineCamera::fit(&f.landmarks, &anchors)
        })?;
        let wp = WeakPerspective::fit(&f.landmarks, &anchors)?;
        let wp0 = WeakPerspective::from_affine(&f.landmarks, &anchors)?;
        let rms_wp0 = (wp0.sse(&f.landmarks, &anchors)? / 68.0).sqrt();
        let r = cam.residuals(&f.landmarks, &anchors)?;
        let rn: Vec<f64> = r.iter().map(|v| v.norm()).collect();
        let rms = (rn.iter().map(|v| v * v).sum::<f64>() / 68.0).sqrt();
        let rms_wp = (f
            .landmarks
            .iter()
            .zip(&anchors)
            .map(|(x, a)| (wp.project(a) - x).norm_squared())
            .sum::<f64>()
            / 68.0)
            .sqrt();
        let iod = (f.landmarks[45] - f.landmarks[36]).norm();
        let (worst, wv) =
            rn.iter().enumerate().fold(
                (0, 0.0),
                |acc, (k, &v)| if v > acc.1 { (k, v) } else { acc },
            );
        let (yaw, pitch, roll) = wp.angles_deg();
        cam_rows.push(vec![
            f.name.clone(),
            fmt_g(rms),
            format!("{:.1} %", 100.0 * rms / iod),
            format!("{} → {}", fmt_g(rms_wp0), fmt_g(rms_wp)),
            format!("{worst} ({wv:.2})"),
            format!("{yaw:.1}° / {pitch:.1}° / {roll:.1}°"),
        ]);
        cam_json.insert(
            f.name.clone(),
            serde_json::json!({ "P": cam.matrix3x4(), "rms": rms, "rms_weak_perspective": rms_wp }),
        );
        res_series.push(
            Series::line(
                format!("{} (affine camera)", f.name),
                rn.iter()
                    .enumerate()
                    .map(|(k, &v)| (k as f64, 100.0 * v / iod))
                    .collect(),
                i,
            )
            .with_mark(Mark::LinePoints),
        );
        cams.push(cam);
    }
    run.table(
        "camera_table",
        &[
            "photo",
            "affine camera RMS (px)",
            "as % of inter-ocular",
            "weak-perspective RMS (px): polar start → least squares",
            "worst landmark (px)",
            "yaw / pitch / roll",
        ],
        &cam_rows,
    );
    run.record("cameras", cam_json)?;
    {
        let path = run.figure(
            "camera_residuals.svg",
            "Residual of each of the 68 landmarks after the least-squares affine camera fit to the generic model, as % of the inter-ocular distance",
        );
        let mut ch = LineChart::new(
            "Affine camera: residual per landmark",
            "iBUG landmark index (0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth)",
            "residual (% of inter-ocular distance)",
        );
        for s in res_series {
            ch.push(s);
        }
        ch.legend = Legend::UpperRight;
        ch.save(&path)?;
    }

    // ---- 7. triangulation and frontalization ----
    let mut front_panels = Vec::new();
    let mut front_rows = Vec::new();
    let mut takeo_front = None;
    for f in faces {
        let plain = frontalize(
            &f.image,
            &f.landmarks,
            &mesh,
            &frame,
            false,
            Interp::Bilinear,
        )?;
        let pers = run.time(&format!("frontalize {}", f.name), || {
            frontalize(
                &f.image,
                &f.landmarks,
                &mesh,
                &frame,
                true,
                Interp::Bilinear,
            )
        })?;
        let (img, lm) = face_region(f, 1.3)?;
        let mut photo = Panel::new(img, format!("{}: Delaunay on landmarks", f.name));
        for t in &pers.triangles {
            for k in 0..3 {
                photo.segments.push((lm[t[k]], lm[t[(k + 1) % 3]], 2));
            }
        }
        front_panels.push(photo);
        front_panels.push(Panel::new(plain.image.clone(), "frontal, generic model"));
        front_panels.push(Panel::new(pers.image.clone(), "frontal, personalized"));
        front_rows.push(vec![
            f.name.clone(),
            pers.triangles.len().to_string(),
            pers.visible.iter().filter(|v| !**v).count().to_string(),
        ]);
        if f.name == "takeo" {
            takeo_front = Some(pers);
        }
    }
    // A turned head rendered from takeo's frontal crop through the 3-D model,
    // then frontalized back: triangles facing away must be filled by symmetry.
    let tf =
        takeo_front.ok_or_else(|| papernotes::Error::Data("takeo was not frontalized".into()))?;
    let yaw_deg = 50.0;
    let r = yaw_rotation(yaw_deg);
    let turned_model: Vec<P3> = anchors.iter().map(|p| P3::from(r * p.coords)).collect();
    // Centre the turned face's bounding box in the crop.
    let (xmin, xmax) = turned_model
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| {
            (lo.min(q.x), hi.max(q.x))
        });
    let mean_x = (xmin + xmax) / 2.0;
    let turned_pts: Vec<P2> = turned_model
        .iter()
        .map(|q| {
            P2::new(
                75.5 + frame.scale * (q.x - mean_x),
                75.5 - frame.scale * (q.y - frame.centre.1),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..tf.triangles.len()).collect();
    let depth = |t: &[usize; 3]| t.iter().map(|&i| turned_model[i].z).sum::<f64>();
    order.sort_by(|&a, &b| depth(&tf.triangles[b]).total_cmp(&depth(&tf.triangles[a])));
    let tris_sorted: Vec<[usize; 3]> = order.iter().map(|&k| tf.triangles[k]).collect();
    let facing = facing_camera(|p| P2::new(p.x, -p.y), &turned_model, &tris_sorted);
    let rendered = piecewise_affine(
        &tf.image,
        &tf.target,
        &turned_pts,
        &tris_sorted,
        &facing,
        152,
        152,
        Interp::Bilinear,
    )?;
    let back = frontalize(
        &rendered.image,
        &turned_pts,
        &mesh,
        &frame,
        false,
        Interp::Bilinear,
    )?;
    let hidden = back.visible.iter().filter(|v| !**v).count();
    front_rows.push(vec![
        format!("takeo turned {yaw_deg}° (synthetic)"),
        back.triangles.len().to_string(),
        hidden.to_string(),
    ]);
    let mut turned_panel = Panel::new(
        rendered.image.clone(),
        format!("takeo rendered at {yaw_deg}° yaw"),
    );
    turned_panel.points = turned_pts.iter().map(|q| (*q, 0)).collect();
    front_panels.push(turned_panel);
    let mut back_panel = Panel::new(back.image.clone(), "frontalized; shaded: by symmetry");
    for (t, v) in back.triangles.iter().zip(&back.visible) {
        if !v {
            back_panel
                .shaded
                .push(([back.target[t[0]], back.target[t[1]], back.target[t[2]]], 3));
        }
    }
    front_panels.push(back_panel);
    let filled = back.source.iter().filter(|s| **s == 2).count();
    let covered = back.source.iter().filter(|s| **s > 0).count();
    run.number(
        "mirror_fill_percent",
        100.0 * filled as f64 / covered.max(1) as f64,
        Fmt::Fixed(1),
    );
    front_panels.push(Panel::new(
        tf.image.clone(),
        "takeo frontal (for comparison)",
    ));
    run.table(
        "frontal_table",
        &["photo", "triangles", "facing away"],
        &front_rows,
    );
    {
        let path = run.figure(
            "frontalization.svg",
            "Piecewise-affine frontalization: Delaunay triangles on the landmarks, frontal crops with the generic and the personalized model, and a synthetic 50° turn whose hidden triangles are filled by symmetry",
        );
        draw_panels(
            &path,
            "3-D alignment: frontalization",
            &front_panels,
            3,
            230,
        )?;
    }
    // Back-facing mesh triangles vs yaw.
    let yaws: Vec<f64> = (0..=18).map(|k| 5.0 * k as f64).collect();
    let back_curve: Vec<(f64, f64)> = yaws
        .iter()
        .map(|&y| {
            let r = yaw_rotation(y);
            let v = facing_camera(
                |p| {
                    let q = r * p.coords;
                    P2::new(q.x, -q.y)
                },
                &mesh.vertices,
                &mesh.triangles,
            );
            (
                y,
                100.0 * v.iter().filter(|b| !**b).count() as f64 / v.len() as f64,
            )
        })
        .collect();
    run.number("backfacing_at_45", back_curve[9].1, Fmt::Fixed(1));
    run.number("backfacing_at_90", back_curve[18].1, Fmt::Fixed(1));
    {
        let path = run.figure(
            "backfacing.svg",
            "Share of the 898 mesh triangles that face away from the camera as the head turns (yaw)",
        );
        let mut ch = LineChart::new(
            "Hidden triangles grow with yaw",
            "yaw (degrees)",
            "triangles facing away (%)",
        );
        ch.push(
            Series::line("canonical mesh, 898 triangles", back_curve, 0)
                .with_mark(Mark::LinePoints),
        );
        ch.save(&path)?;
    }

    // ---- 9. L2 normalization on real crops ----
    let mut illum_rows = Vec::new();
    let mut illum_panels = Vec::new();
    for (name, out, _) in &crops {
        let x: Vec<f64> = out.crop.data.iter().map(|&v| f64::from(v)).collect();
        let variants: [(&str, Vec<f64>); 4] = [
            ("gain × 0.6", x.iter().map(|v| 0.6 * v).collect()),
            ("offset + 40", x.iter().map(|v| v + 40.0).collect()),
            (
                "gamma 0.6",
                x.iter().map(|v| 255.0 * (v / 255.0).powf(0.6)).collect(),
            ),
            (
                "side light",
                x.iter()
                    .enumerate()
                    .map(|(k, v)| v * (0.5 + (k % 152) as f64 / 152.0))
                    .collect(),
            ),
        ];
        let mut row = vec![name.clone()];
        if name == "takeo" {
            illum_panels.push(Panel::new(out.crop.clone(), "aligned crop"));
        }
        for (label, v) in &variants {
            row.push(format!("{:.2e}", normalized_distance(&x, v)?));
            if name == "takeo" {
                let g = Gray::from_vec(152, 152, v.iter().map(|&a| a as f32).collect())?;
                illum_panels.push(Panel::new(g, *label));
            }
        }
        illum_rows.push(row);
    }
    run.table(
        "illumination_table",
        &[
            "crop",
            "gain × 0.6",
            "offset + 40",
            "gamma 0.6",
            "side light (gain ramp)",
        ],
        &illum_rows,
    );
    {
        let path = run.figure(
            "illumination.svg",
            "Four changes of illumination applied to the aligned takeo crop; L2 normalization undoes only the first",
        );
        draw_panels(
            &path,
            "Illumination changes (takeo, 2-D aligned)",
            &illum_panels,
            5,
            136,
        )?;
    }

    // ---- speed of the warp (the peer comparison times OpenCV in its own run) ----
    let reps = if quick { 3 } else { 50 };
    let t = bench_map(einstein.image.width, einstein.image.height);
    let mut times = Vec::new();
    for _ in 0..reps {
        let s = Instant::now();
        let out = warp(
            &einstein.image,
            &t,
            einstein.image.width,
            einstein.image.height,
            Interp::Bilinear,
        )?;
        times.push(s.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    run.number("warp_ms", 1e3 * median(&mut times), Fmt::Fixed(2));
    run.finish()
}
