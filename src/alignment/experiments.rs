//! Every experiment of the chapter "Face alignment in 2-D and 3-D": a plan in,
//! plain results out.
//!
//! `examples/alignment.rs` calls these functions, draws their results and records
//! them; `tests/alignment.rs` calls each one at quick size. Every number, table and
//! verdict the chapter quotes is computed here or deeper in `src/alignment/`; the
//! `table` methods write the rows exactly as the book shows them.

use std::time::Instant;

use nalgebra::Vector2;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde_json::{Value, json};

use super::camera::{AffineCamera, WeakPerspective, facing_camera, yaw_rotation};
use super::deepface::{Aligned2d, align_2d, fiducials6};
use super::fit::{Family, Transform2, fit, fit_homography_dlt, rms_residual};
use super::frontalize::{Frontal, FrontalFrame, frontalize, piecewise_affine};
use super::illumination::normalized_distance;
use super::shape::shape_distortion;
use super::warp::{
    Interp, Kernel, box_downscale, rms_diff, warp, warp_affine_bilinear, warp_affine_bilinear_into,
    zoom_out_map,
};
use super::{Face, Gray, Mesh, P2, P3};
use crate::error::{Error, Result};

/// Side of the aligned crops (pixels), as in DeepFace.
pub const CROP: usize = 152;

/// Sizes, seeds and sweeps of one run of the chapter's experiments.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Seed of the landmark noise in [`distortion`].
    pub seed: u64,
    /// Noisy draws per (point set, family, σ) in [`distortion`].
    pub distortion_draws: usize,
    /// Landmark noise levels σ (pixels) in [`distortion`].
    pub noise_sigmas: Vec<f64>,
    /// The σ whose medians the distortion table reports.
    pub table_sigma: f64,
    /// Zoom-out factors in [`zoom_out`].
    pub zoom_factors: Vec<usize>,
    /// [`roundtrip`] uses only the central square of this side of larger photos
    /// (`None`: whole photos).
    pub roundtrip_crop: Option<usize>,
    /// Timed repetitions in [`warp_timing`].
    pub warp_reps: usize,
    /// Yaw angles (degrees) of the back-facing sweep.
    pub yaws: Vec<f64>,
    /// Yaw (degrees) of the synthetic turned head in [`frontalization`].
    pub turned_yaw: f64,
}

impl Plan {
    /// The sizes of the committed full run.
    pub fn full(seed: u64) -> Plan {
        Plan {
            seed,
            distortion_draws: 2000,
            noise_sigmas: vec![0.5, 1.0, 2.0, 3.0, 4.0],
            table_sigma: 2.0,
            zoom_factors: vec![2, 3, 4, 5, 6, 8],
            roundtrip_crop: None,
            warp_reps: 50,
            yaws: (0..=18_i32).map(|k| 5.0 * f64::from(k)).collect(),
            turned_yaw: 50.0,
        }
    }

    /// Small sizes that run in seconds in a debug build (CI, tests).
    pub fn quick(seed: u64) -> Plan {
        Plan {
            distortion_draws: 15,
            zoom_factors: vec![2, 4, 8],
            roundtrip_crop: Some(256),
            warp_reps: 3,
            ..Plan::full(seed)
        }
    }
}

pub use crate::run::Table;

/// The chapter's data: the two annotated photos and the generic 3-D model.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The Einstein photo (817 × 1024).
    pub einstein: Face,
    /// The takeo photo.
    pub takeo: Face,
    /// The generic 3-D face mesh with its 68 anchors.
    pub mesh: Mesh,
}

impl Inputs {
    /// Loads the photos and the mesh from `data/`.
    ///
    /// # Errors
    ///
    /// Any error of [`Face::load`] or [`Mesh::load`] (missing or corrupt files).
    pub fn load() -> Result<Inputs> {
        Ok(Inputs {
            einstein: Face::load("einstein")?,
            takeo: Face::load("takeo")?,
            mesh: Mesh::load()?,
        })
    }

    /// Both photos, Einstein first.
    pub fn faces(&self) -> [&Face; 2] {
        [&self.einstein, &self.takeo]
    }

    /// Where the generic model's anchors sit in a frontal [`CROP`] × [`CROP`] crop.
    pub fn frame(&self) -> FrontalFrame {
        FrontalFrame::fit(&self.mesh.anchors(), CROP, 0.86)
    }

    /// The 2-D alignment template: the six fiducials of the frontal model.
    ///
    /// # Errors
    ///
    /// [`fiducials6`]'s, if the mesh has fewer than 68 anchors.
    pub fn template(&self) -> Result<[P2; 6]> {
        let frame = self.frame();
        let placed: Vec<P2> = self.mesh.anchors().iter().map(|p| frame.place(p)).collect();
        fiducials6(&placed)
    }
}

fn landmark(face: &Face, i: usize) -> Result<P2> {
    face.landmarks.get(i).copied().ok_or(Error::TooFew {
        name: "landmarks",
        needed: 68,
        got: face.landmarks.len(),
    })
}

/// Sorts `v` and returns its `p`-quantile as the element at index `⌊p·n⌋`
/// (the median is `v[n/2]`).
fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    let k = ((p * v.len() as f64) as usize).min(v.len().saturating_sub(1));
    v.get(k).copied().unwrap_or(f64::NAN)
}

fn fmt4(v: f64) -> String {
    format!("{v:.4}")
}

/// The face region of a photo (landmark box plus a relative `margin`, clipped to
/// the photo) and the landmarks in its coordinates.
///
/// # Errors
///
/// [`Error::TooFew`] without landmarks; the crop's error if the box leaves the photo.
pub fn face_region(face: &Face, margin: f64) -> Result<(Gray, Vec<P2>)> {
    if face.landmarks.is_empty() {
        return Err(Error::TooFew {
            name: "landmarks",
            needed: 1,
            got: 0,
        });
    }
    let (mut lo, mut hi) = (
        (f64::INFINITY, f64::INFINITY),
        (f64::NEG_INFINITY, f64::NEG_INFINITY),
    );
    for p in &face.landmarks {
        lo = (lo.0.min(p.x), lo.1.min(p.y));
        hi = (hi.0.max(p.x), hi.1.max(p.y));
    }
    let side = margin * (hi.0 - lo.0).max(hi.1 - lo.1);
    let (cx, cy) = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
    let x0 = ((cx - side / 2.0).max(0.0) as usize).min(face.image.width);
    let y0 = ((cy - side / 2.0).max(0.0) as usize).min(face.image.height);
    let w = (side as usize).min(face.image.width - x0);
    let h = (side as usize).min(face.image.height - y0);
    let crop = face.image.crop(x0, y0, w, h)?;
    let shifted = face
        .landmarks
        .iter()
        .map(|p| P2::new(p.x - x0 as f64, p.y - y0 as f64))
        .collect();
    Ok((crop, shifted))
}

// ---------- 1. the three families ----------

/// One family's parameter count, and what the notes imply it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyCount {
    /// The family.
    pub family: Family,
    /// Its degrees of freedom.
    pub params: usize,
    /// Point correspondences that determine it.
    pub min_points: usize,
    /// The count the notes imply (how they arrive at it, and the number), if any.
    pub notes: Option<(&'static str, usize)>,
}

impl FamilyCount {
    /// Whether the notes' count is right (`None` where the notes give none).
    pub fn notes_right(&self) -> Option<bool> {
        self.notes.map(|(_, n)| n == self.params)
    }
}

/// The parameter counts of the three families against the notes' counts.
pub fn family_counts() -> Vec<FamilyCount> {
    Family::ALL
        .iter()
        .map(|&family| FamilyCount {
            family,
            params: family.params(),
            min_points: family.min_points(),
            notes: match family {
                Family::Similarity => None,
                Family::Affine => Some(("4", 4)),
                Family::Projective => Some(("4 + 2 = 6", 6)),
            },
        })
        .collect()
}

/// The `param_counts` table.
pub fn family_count_table(counts: &[FamilyCount]) -> Table {
    let rows = counts
        .iter()
        .map(|c| {
            let notes = match (c.notes, c.notes_right()) {
                (Some((text, _)), Some(right)) => {
                    format!("{text} ({})", if right { "right" } else { "wrong" })
                }
                _ => "—".into(),
            };
            vec![
                c.family.name().to_string(),
                c.params.to_string(),
                c.min_points.to_string(),
                notes,
            ]
        })
        .collect();
    Table {
        header: vec![
            "family",
            "parameters",
            "minimum points",
            "count the notes imply",
        ],
        rows,
    }
}

/// One fitted map between the two photos' landmarks.
#[derive(Debug, Clone)]
pub struct FitRow {
    /// Key in the run record (`similarity`, ..., `projective_dlt`).
    pub key: String,
    /// Row label in the table.
    pub label: String,
    /// The fitted map.
    pub transform: Transform2,
    /// RMS point residual (pixels).
    pub rms: f64,
}

/// Each family fitted from one photo's 68 landmarks to the other's.
#[derive(Debug, Clone)]
pub struct Fits {
    /// Similarity, affine, projective (least squares), then the DLT-only homography.
    pub rows: Vec<FitRow>,
}

/// Fits every family from `src`'s landmarks to `dst`'s, and the homography by the
/// DLT alone.
///
/// # Errors
///
/// The fits' errors (mismatched or degenerate landmarks).
pub fn fits_between(src: &Face, dst: &Face) -> Result<Fits> {
    let (a, b) = (&src.landmarks, &dst.landmarks);
    let mut rows = Vec::new();
    for family in Family::ALL {
        let t = fit(family, a, b)?;
        rows.push(FitRow {
            key: family.name().to_string(),
            label: family.name().to_string(),
            rms: rms_residual(&t, a, b)?,
            transform: t,
        });
    }
    let dlt = fit_homography_dlt(a, b)?;
    rows.push(FitRow {
        key: "projective_dlt".into(),
        label: "projective, DLT only (algebraic error)".into(),
        rms: rms_residual(&dlt, a, b)?,
        transform: dlt,
    });
    Ok(Fits { rows })
}

impl Fits {
    /// The `fit_table` table.
    pub fn table(&self) -> Table {
        Table {
            header: vec!["family (einstein → takeo, 68 points)", "RMS residual (px)"],
            rows: self
                .rows
                .iter()
                .map(|r| vec![r.label.clone(), fmt4(r.rms)])
                .collect(),
        }
    }

    /// The fitted matrices (normalized) and residuals, for the run record.
    pub fn json(&self) -> Value {
        let matrix = |t: &Transform2| -> Vec<Vec<f64>> {
            let m = t.normalized();
            (0..3)
                .map(|r| (0..3).map(|c| m[(r, c)]).collect())
                .collect()
        };
        Value::Object(
            self.rows
                .iter()
                .map(|r| {
                    let v = json!({ "matrix": matrix(&r.transform), "rms": r.rms });
                    (r.key.clone(), v)
                })
                .collect(),
        )
    }
}

// ---------- 3. DeepFace 2-D alignment ----------

/// One photo aligned in 2-D.
#[derive(Debug, Clone)]
pub struct Aligned {
    /// The photo's name.
    pub name: String,
    /// Its six fiducials in the photo.
    pub fiducials: [P2; 6],
    /// The alignment (crop, transform, per-step residuals and updates).
    pub out: Aligned2d,
}

impl Aligned {
    /// The six fiducials carried into the aligned crop.
    pub fn aligned_fiducials(&self) -> Vec<P2> {
        self.out.transform.apply_all(&self.fiducials)
    }
}

/// Both photos aligned to the frontal template.
#[derive(Debug, Clone)]
pub struct Alignment2d {
    /// The six template points in the crop.
    pub template: [P2; 6],
    /// One entry per photo.
    pub faces: Vec<Aligned>,
}

/// DeepFace's iterated 2-D alignment of each photo to `template` in a [`CROP`]-pixel
/// crop, with an exact detector (the hand landmarks carried into the crop).
///
/// # Errors
///
/// [`fiducials6`]'s and [`align_2d`]'s errors.
pub fn align_faces(faces: &[&Face], template: &[P2; 6]) -> Result<Alignment2d> {
    let mut out = Vec::new();
    for f in faces {
        let f6 = fiducials6(&f.landmarks)?;
        let detect = |_: &Gray, t: &Transform2| -> Result<[P2; 6]> { Ok(f6.map(|p| t.apply(&p))) };
        out.push(Aligned {
            name: f.name.clone(),
            fiducials: f6,
            out: align_2d(&f.image, detect, template, CROP, 5, 1e-6)?,
        });
    }
    Ok(Alignment2d {
        template: *template,
        faces: out,
    })
}

impl Alignment2d {
    /// The `align2d_table` table.
    pub fn table(&self) -> Table {
        let rows = self
            .faces
            .iter()
            .map(|a| {
                let r = &a.out.residuals;
                vec![
                    a.name.clone(),
                    a.out.updates.len().to_string(),
                    fmt4(r.first().copied().unwrap_or(f64::NAN)),
                    fmt4(r.last().copied().unwrap_or(f64::NAN)),
                    format!("{:.1e}", a.out.updates.last().copied().unwrap_or(f64::NAN)),
                ]
            })
            .collect();
        Table {
            header: vec![
                "photo",
                "steps",
                "RMS to template before (px)",
                "after (px)",
                "last step moved (px)",
            ],
            rows,
        }
    }
}

// ---------- 4. interpolation ----------

/// RMS grey-level error of a rotation there and back, per interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundTrip {
    /// The photo's name.
    pub name: String,
    /// Nearest neighbour.
    pub nearest: f64,
    /// Bilinear.
    pub bilinear: f64,
}

/// Rotates each photo by `angle_deg` about its centre and back, and measures the
/// RMS change inside a central disc (radius 0.45 of the width), nearest and bilinear.
/// With `crop = Some(s)` photos larger than `s × s` are cut to their central square.
///
/// # Errors
///
/// The warps' errors.
pub fn roundtrip(faces: &[&Face], crop: Option<usize>, angle_deg: f64) -> Result<Vec<RoundTrip>> {
    let mut out = Vec::new();
    for f in faces {
        let (fw, fh) = (f.image.width, f.image.height);
        let img = &match crop {
            Some(s) if fw > s && fh > s => f.image.crop((fw - s) / 2, (fh - s) / 2, s, s)?,
            _ => f.image.clone(),
        };
        let (w, h) = (img.width, img.height);
        let c = Vector2::new(w as f64 / 2.0, h as f64 / 2.0);
        let shift = |v: Vector2<f64>| Transform2::similarity(1.0, 0.0, v);
        let r = shift(c)
            .after(&Transform2::similarity(
                1.0,
                angle_deg.to_radians(),
                Vector2::zeros(),
            ))
            .after(&shift(-c));
        let inside =
            |x: usize, y: usize| (Vector2::new(x as f64, y as f64) - c).norm() < 0.45 * w as f64;
        let mut e = [0.0; 2];
        for (k, interp) in [Interp::Nearest, Interp::Bilinear].into_iter().enumerate() {
            let there = warp(img, &r, w, h, interp)?;
            let back = warp(&there, &r.inverse()?, w, h, interp)?;
            e[k] = rms_diff(&back, img, inside)?;
        }
        out.push(RoundTrip {
            name: f.name.clone(),
            nearest: e[0],
            bilinear: e[1],
        });
    }
    Ok(out)
}

/// The `roundtrip_table` table.
pub fn roundtrip_table(rows: &[RoundTrip]) -> Table {
    Table {
        header: vec!["photo", "nearest: RMS after ±10° (grey levels)", "bilinear"],
        rows: rows
            .iter()
            .map(|r| vec![r.name.clone(), fmt4(r.nearest), fmt4(r.bilinear)])
            .collect(),
    }
}

/// Zoom-out by one factor: RMS difference of each point-sampling warp from the
/// area average (box filter).
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomRow {
    /// Zoom-out factor.
    pub factor: usize,
    /// Nearest neighbour vs area average (grey levels).
    pub nearest: f64,
    /// Bilinear vs area average (grey levels).
    pub bilinear: f64,
}

/// Zooms `img` out by each factor with both point-sampling warps and compares them
/// with the box-filtered reference.
///
/// # Errors
///
/// [`box_downscale`]'s errors (a factor of 0, or larger than the image).
pub fn zoom_out(img: &Gray, factors: &[usize]) -> Result<Vec<ZoomRow>> {
    let mut out = Vec::new();
    for &k in factors {
        let reference = box_downscale(img, k)?;
        let (w, h) = (reference.width, reference.height);
        let mut e = [0.0; 2];
        for (i, interp) in [Interp::Nearest, Interp::Bilinear].into_iter().enumerate() {
            let z = warp(img, &zoom_out_map(k as f64), w, h, interp)?;
            e[i] = rms_diff(&z, &reference, |_, _| true)?;
        }
        out.push(ZoomRow {
            factor: k,
            nearest: e[0],
            bilinear: e[1],
        });
    }
    Ok(out)
}

/// The `zoom_table` table.
pub fn zoom_table(rows: &[ZoomRow]) -> Table {
    Table {
        header: vec![
            "zoom-out factor",
            "nearest: RMS vs area average",
            "bilinear",
        ],
        rows: rows
            .iter()
            .map(|r| vec![r.factor.to_string(), fmt4(r.nearest), fmt4(r.bilinear)])
            .collect(),
    }
}

/// The images of the interpolation figure.
#[derive(Debug, Clone)]
pub struct InterpolationImages {
    /// An 8× zoom into the left eye (landmark 36): nearest, bilinear.
    pub zoom_in: [Gray; 2],
    /// A 4× zoom-out of fine stripes: nearest, bilinear, area average.
    pub zoom_out: [Gray; 3],
}

/// An 8× zoom (160 × 160) into the eye at landmark 36 of `face`, and a 4× zoom-out
/// of the 400 × 400 region at (400, 560) (on the Einstein photo: the lectern's
/// vertical fluting, fine stripes that alias when point-sampled).
///
/// # Errors
///
/// [`Error::TooFew`] with fewer than 37 landmarks; the crop's error on a photo
/// smaller than 800 × 960.
pub fn interpolation_images(face: &Face) -> Result<InterpolationImages> {
    let eye = landmark(face, 36)?;
    let zoom_in = |interp| {
        let mut t = Transform2::identity();
        t.m[(0, 0)] = 1.0 / 8.0;
        t.m[(1, 1)] = 1.0 / 8.0;
        t.m[(0, 2)] = eye.x - 10.0;
        t.m[(1, 2)] = eye.y - 10.0;
        warp(&face.image, &t, 160, 160, interp)
    };
    let region = face.image.crop(400, 560, 400, 400)?;
    let out = |interp| warp(&region, &zoom_out_map(4.0), 100, 100, interp);
    Ok(InterpolationImages {
        zoom_in: [zoom_in(Interp::Nearest)?, zoom_in(Interp::Bilinear)?],
        zoom_out: [
            out(Interp::Nearest)?,
            out(Interp::Bilinear)?,
            box_downscale(&region, 4)?,
        ],
    })
}

// ---------- 5. shape distortion ----------

/// Quartiles of the shape distortion over the noisy draws at one noise level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Landmark noise σ (pixels).
    pub sigma: f64,
    /// 25th percentile (% of the face radius).
    pub q25: f64,
    /// Median (% of the face radius).
    pub median: f64,
    /// 75th percentile (% of the face radius).
    pub q75: f64,
}

/// One family fitted from one point set, at every noise level.
#[derive(Debug, Clone, PartialEq)]
pub struct DistortionCurve {
    /// How many points were fitted (6 fiducials or 68 landmarks).
    pub points: usize,
    /// Which points, in words.
    pub points_label: &'static str,
    /// The fitted family.
    pub family: Family,
    /// One entry per noise level.
    pub spread: Vec<Spread>,
}

/// Shape distortion of the affine and projective fits to noisy landmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct Distortion {
    /// Draws per point of each curve.
    pub draws: usize,
    /// (6 fiducials, 68 landmarks) × (affine, projective), in that order.
    pub curves: Vec<DistortionCurve>,
}

/// Fits the affine and the projective family from noisy copies (Gaussian, σ pixels
/// per coordinate) of `face`'s six fiducials and of its 68 landmarks to the clean
/// points, and measures each fit's [`shape_distortion`] on the 68 landmarks, in % of
/// the face radius: `draws` draws per σ, one random stream seeded by `seed`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a negative or non-finite σ; the fits' errors.
pub fn distortion(face: &Face, sigmas: &[f64], draws: usize, seed: u64) -> Result<Distortion> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let f6 = fiducials6(&face.landmarks)?.to_vec();
    let mut curves = Vec::new();
    for (clean, label) in [(&f6, "6 fiducials"), (&face.landmarks, "68 landmarks")] {
        for family in [Family::Affine, Family::Projective] {
            let mut spread = Vec::new();
            for &s in sigmas {
                let bad = |reason: String| Error::InvalidParameter {
                    name: "noise σ",
                    reason,
                };
                if !(s.is_finite() && s >= 0.0) {
                    return Err(bad(format!("must be finite and at least 0, got {s}")));
                }
                let normal = Normal::new(0.0, s).map_err(|e| bad(e.to_string()))?;
                let mut d = Vec::with_capacity(draws);
                for _ in 0..draws {
                    let noisy: Vec<P2> = clean
                        .iter()
                        .map(|p| {
                            P2::new(p.x + normal.sample(&mut rng), p.y + normal.sample(&mut rng))
                        })
                        .collect();
                    let t = fit(family, &noisy, clean)?;
                    d.push(100.0 * shape_distortion(&t, &face.landmarks)?);
                }
                d.sort_by(f64::total_cmp);
                spread.push(Spread {
                    sigma: s,
                    q25: quantile_sorted(&d, 0.25),
                    median: quantile_sorted(&d, 0.5),
                    q75: quantile_sorted(&d, 0.75),
                });
            }
            curves.push(DistortionCurve {
                points: clean.len(),
                points_label: label,
                family,
                spread,
            });
        }
    }
    Ok(Distortion { draws, curves })
}

impl Distortion {
    /// The median distortion of `family` fitted from `points` points at noise `sigma`.
    pub fn median_at(&self, points: usize, family: Family, sigma: f64) -> Option<f64> {
        self.curves
            .iter()
            .find(|c| c.points == points && c.family == family)?
            .spread
            .iter()
            .find(|s| s.sigma == sigma)
            .map(|s| s.median)
    }

    /// Median projective distortion over median affine distortion, fitting `points`
    /// points at noise `sigma`: above 1 when the projective family distorts more.
    pub fn projective_over_affine(&self, points: usize, sigma: f64) -> Option<f64> {
        Some(
            self.median_at(points, Family::Projective, sigma)?
                / self.median_at(points, Family::Affine, sigma)?,
        )
    }

    /// The smallest 25th and the largest 75th percentile over all curves.
    pub fn quartile_range(&self) -> (f64, f64) {
        let spread = self.curves.iter().flat_map(|c| &c.spread);
        let lo = spread.clone().map(|s| s.q25).fold(f64::INFINITY, f64::min);
        (lo, spread.map(|s| s.q75).fold(f64::NEG_INFINITY, f64::max))
    }

    /// Every curve's quartiles per σ, for the run record.
    pub fn json(&self) -> Value {
        let curves: Vec<Value> = self
            .curves
            .iter()
            .map(|c| {
                let col = |f: fn(&Spread) -> f64| c.spread.iter().map(f).collect::<Vec<f64>>();
                json!({
                    "points": c.points,
                    "family": c.family.name(),
                    "sigma": col(|s| s.sigma),
                    "q25": col(|s| s.q25),
                    "median": col(|s| s.median),
                    "q75": col(|s| s.q75),
                })
            })
            .collect();
        json!({ "draws": self.draws, "curves": curves })
    }

    /// The `distortion_table` table: medians at noise `sigma`.
    pub fn table(&self, sigma: f64) -> Table {
        let mut rows: Vec<Vec<String>> = self
            .curves
            .iter()
            .filter_map(|c| {
                let s = c.spread.iter().find(|s| s.sigma == sigma)?;
                Some(vec![
                    c.points_label.to_string(),
                    c.family.name().to_string(),
                    format!("{:.2}", s.median),
                ])
            })
            .collect();
        rows.push(vec![
            "any".into(),
            "similarity".into(),
            "0 (by construction)".into(),
        ]);
        Table {
            header: vec![
                "points fitted",
                "family",
                "median shape distortion at ς = 2 px (% of face radius)",
            ],
            rows,
        }
    }
}

// ---------- 6. the 3-D camera ----------

/// The affine and weak-perspective cameras of one photo to the generic model.
#[derive(Debug, Clone)]
pub struct CameraFit {
    /// The photo's name.
    pub name: String,
    /// The least-squares affine camera.
    pub camera: AffineCamera,
    /// Its RMS residual (pixels).
    pub rms: f64,
    /// Per landmark: residual length (pixels).
    pub residuals: Vec<f64>,
    /// Distance between the outer eye corners (landmarks 36 and 45, pixels).
    pub inter_ocular: f64,
    /// RMS residual of the weak-perspective camera at its polar-decomposition start.
    pub rms_weak_start: f64,
    /// RMS residual of the least-squares weak-perspective camera.
    pub rms_weak: f64,
    /// The landmark with the largest residual, and that residual (pixels).
    pub worst: (usize, f64),
    /// The weak-perspective camera's yaw, pitch and roll (degrees).
    pub angles_deg: (f64, f64, f64),
}

impl CameraFit {
    /// The RMS residual in % of the inter-ocular distance.
    pub fn rms_percent(&self) -> f64 {
        100.0 * self.rms / self.inter_ocular
    }

    /// (landmark index, residual in % of the inter-ocular distance), for the figure.
    pub fn residual_percent(&self) -> Vec<(f64, f64)> {
        self.residuals
            .iter()
            .enumerate()
            .map(|(k, &v)| (k as f64, 100.0 * v / self.inter_ocular))
            .collect()
    }
}

/// Fits the affine camera and the weak-perspective camera from each photo's 68
/// landmarks to the model's 68 `anchors`.
///
/// # Errors
///
/// The camera fits' errors (mismatched counts, degenerate points).
pub fn camera_fits(faces: &[&Face], anchors: &[P3]) -> Result<Vec<CameraFit>> {
    let mut out = Vec::new();
    for f in faces {
        let lm = &f.landmarks;
        let n = lm.len() as f64;
        let camera = AffineCamera::fit(lm, anchors)?;
        let wp = WeakPerspective::fit(lm, anchors)?;
        let wp0 = WeakPerspective::from_affine(lm, anchors)?;
        let residuals: Vec<f64> = camera
            .residuals(lm, anchors)?
            .iter()
            .map(|v| v.norm())
            .collect();
        let rms = (residuals.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
        let rms_weak = (lm
            .iter()
            .zip(anchors)
            .map(|(x, a)| (wp.project(a) - x).norm_squared())
            .sum::<f64>()
            / n)
            .sqrt();
        let worst =
            residuals.iter().enumerate().fold(
                (0, 0.0),
                |acc, (k, &v)| if v > acc.1 { (k, v) } else { acc },
            );
        out.push(CameraFit {
            name: f.name.clone(),
            rms,
            inter_ocular: (landmark(f, 45)? - landmark(f, 36)?).norm(),
            rms_weak_start: (wp0.sse(lm, anchors)? / n).sqrt(),
            rms_weak,
            worst,
            angles_deg: wp.angles_deg(),
            residuals,
            camera,
        });
    }
    Ok(out)
}

/// The `camera_table` table.
pub fn camera_table(fits: &[CameraFit]) -> Table {
    let rows = fits
        .iter()
        .map(|c| {
            let (yaw, pitch, roll) = c.angles_deg;
            vec![
                c.name.clone(),
                fmt4(c.rms),
                format!("{:.1} %", c.rms_percent()),
                format!("{} → {}", fmt4(c.rms_weak_start), fmt4(c.rms_weak)),
                format!("{} ({:.2})", c.worst.0, c.worst.1),
                format!("{yaw:.1}° / {pitch:.1}° / {roll:.1}°"),
            ]
        })
        .collect();
    Table {
        header: vec![
            "photo",
            "affine camera RMS (px)",
            "as % of inter-ocular",
            "weak-perspective RMS (px): polar start → least squares",
            "worst landmark (px)",
            "yaw / pitch / roll",
        ],
        rows,
    }
}

/// The cameras for the run record.
pub fn camera_json(fits: &[CameraFit]) -> Value {
    Value::Object(
        fits.iter()
            .map(|c| {
                let v = json!({
                    "P": c.camera.matrix3x4(),
                    "rms": c.rms,
                    "rms_weak_perspective": c.rms_weak,
                });
                (c.name.clone(), v)
            })
            .collect(),
    )
}

// ---------- 7. frontalization ----------

/// One photo frontalized with the generic and the personalized model.
#[derive(Debug, Clone)]
pub struct FaceFrontal {
    /// The photo's name.
    pub name: String,
    /// With the generic model.
    pub plain: Frontal,
    /// With the residual-personalized model.
    pub personalized: Frontal,
}

/// A head rendered turned by a yaw from a frontal crop through the 3-D model, then
/// frontalized back.
#[derive(Debug, Clone)]
pub struct TurnedHead {
    /// The yaw (degrees).
    pub yaw_deg: f64,
    /// The turned landmarks in the rendered crop.
    pub points: Vec<P2>,
    /// The rendered crop.
    pub rendered: Gray,
    /// Its frontalization.
    pub back: Frontal,
}

impl TurnedHead {
    /// Triangles that face away from the camera.
    pub fn hidden(&self) -> usize {
        self.back.visible.iter().filter(|v| !**v).count()
    }

    /// Share of the covered frontal pixels filled from their mirror image (%).
    pub fn mirror_fill_percent(&self) -> f64 {
        let filled = self.back.source.iter().filter(|s| **s == 2).count();
        let covered = self.back.source.iter().filter(|s| **s > 0).count();
        100.0 * filled as f64 / covered.max(1) as f64
    }
}

/// Every photo frontalized, and the synthetic turned head.
#[derive(Debug, Clone)]
pub struct Frontalization {
    /// One entry per photo.
    pub faces: Vec<FaceFrontal>,
    /// The last photo (takeo) turned by the plan's yaw and frontalized back.
    pub turned: TurnedHead,
    /// The last photo's generic-model frontal crop turned by the same yaw and
    /// brought back by frontalization and by 2-D alignment alone.
    pub turn_back: TurnBack,
}

/// Frontalizes each photo (generic and personalized model), then renders the last
/// photo's personalized frontal crop turned by `yaw_deg` and frontalizes that back,
/// and measures how well its generic-model crop comes back ([`turn_back`]).
///
/// # Errors
///
/// [`Error::TooFew`] without photos; [`frontalize`]'s and [`turned_head`]'s errors.
pub fn frontalization(
    faces: &[&Face],
    mesh: &Mesh,
    frame: &FrontalFrame,
    yaw_deg: f64,
) -> Result<Frontalization> {
    let mut out = Vec::new();
    for f in faces {
        let run = |personalize| {
            frontalize(
                &f.image,
                &f.landmarks,
                mesh,
                frame,
                personalize,
                Interp::Bilinear,
            )
        };
        out.push(FaceFrontal {
            name: f.name.clone(),
            plain: run(false)?,
            personalized: run(true)?,
        });
    }
    let last = out.last().ok_or(Error::TooFew {
        name: "photos",
        needed: 1,
        got: 0,
    })?;
    let turned = turned_head(&last.personalized, mesh, frame, yaw_deg)?;
    let turn_back = turn_back(&last.plain, mesh, frame, yaw_deg)?;
    Ok(Frontalization {
        faces: out,
        turned,
        turn_back,
    })
}

/// Renders the frontal crop `front` as a head turned by `yaw_deg` through the
/// generic model (triangles drawn back to front, those facing away skipped), then
/// frontalizes the rendering back: hidden triangles are filled by symmetry.
///
/// # Errors
///
/// [`piecewise_affine`]'s and [`frontalize`]'s errors (degenerate triangles).
pub fn turned_head(
    front: &Frontal,
    mesh: &Mesh,
    frame: &FrontalFrame,
    yaw_deg: f64,
) -> Result<TurnedHead> {
    let r = yaw_rotation(yaw_deg);
    let model: Vec<P3> = mesh
        .anchors()
        .iter()
        .map(|p| P3::from(r * p.coords))
        .collect();
    // Centre the turned face's bounding box in the crop.
    let (xmin, xmax) = model
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| {
            (lo.min(q.x), hi.max(q.x))
        });
    let mean_x = (xmin + xmax) / 2.0;
    let c = (frame.size as f64 - 1.0) / 2.0;
    let points: Vec<P2> = model
        .iter()
        .map(|q| {
            P2::new(
                c + frame.scale * (q.x - mean_x),
                c - frame.scale * (q.y - frame.centre.1),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..front.triangles.len()).collect();
    let depth = |t: &[usize; 3]| t.iter().map(|&i| model[i].z).sum::<f64>();
    order.sort_by(|&a, &b| depth(&front.triangles[b]).total_cmp(&depth(&front.triangles[a])));
    let sorted: Vec<[usize; 3]> = order.iter().map(|&k| front.triangles[k]).collect();
    let facing = facing_camera(|p| P2::new(p.x, -p.y), &model, &sorted);
    let rendered = piecewise_affine(
        &front.image,
        &front.target,
        &points,
        &sorted,
        &facing,
        frame.size,
        frame.size,
        Interp::Bilinear,
    )?
    .image;
    let back = frontalize(&rendered, &points, mesh, frame, false, Interp::Bilinear)?;
    Ok(TurnedHead {
        yaw_deg,
        points,
        rendered,
        back,
    })
}

/// How well frontalization undoes a known turn, against 2-D alignment alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnBack {
    /// The yaw (degrees) of the rendered turn.
    pub yaw_deg: f64,
    /// RMS grey-level difference between the frontal crop and the turned rendering
    /// frontalized back, over the pixels warped from the photo in both.
    pub rms_3d: f64,
    /// The same difference after the best 2-D similarity (fitted to the 68
    /// landmarks) maps the rendering onto the frontal crop instead.
    pub rms_2d: f64,
    /// The share of the crop those pixels cover (%).
    pub compared_percent: f64,
}

/// Renders the frontal crop `front` (frontalized with the generic model) turned by
/// `yaw_deg`, then brings it back twice: by frontalization (3-D) and by the
/// least-squares similarity of its landmarks onto the frontal ones (2-D), and
/// compares both with `front` where the turned view shows the face.
///
/// # Errors
///
/// [`turned_head`]'s errors; [`Error::TooFew`] if the landmarks cannot fix a
/// similarity.
pub fn turn_back(
    front: &Frontal,
    mesh: &Mesh,
    frame: &FrontalFrame,
    yaw_deg: f64,
) -> Result<TurnBack> {
    let turned = turned_head(front, mesh, frame, yaw_deg)?;
    let n = frame.size;
    let seen =
        |x: usize, y: usize| turned.back.source[y * n + x] == 1 && front.source[y * n + x] == 1;
    let sim = super::fit::fit_similarity(&front.target, &turned.points)?;
    let two_d = warp(&turned.rendered, &sim, n, n, Interp::Bilinear)?;
    let compared = (0..n * n).filter(|&k| seen(k % n, k / n)).count();
    Ok(TurnBack {
        yaw_deg,
        rms_3d: rms_diff(&turned.back.image, &front.image, seen)?,
        rms_2d: rms_diff(&two_d, &front.image, seen)?,
        compared_percent: 100.0 * compared as f64 / (n * n) as f64,
    })
}

impl Frontalization {
    /// The `frontal_table` table.
    pub fn table(&self) -> Table {
        let mut rows: Vec<Vec<String>> = self
            .faces
            .iter()
            .map(|f| {
                let p = &f.personalized;
                vec![
                    f.name.clone(),
                    p.triangles.len().to_string(),
                    p.visible.iter().filter(|v| !**v).count().to_string(),
                ]
            })
            .collect();
        let t = &self.turned;
        let name = self.faces.last().map_or("", |f| f.name.as_str());
        rows.push(vec![
            format!("{name} turned {}° (synthetic)", t.yaw_deg),
            t.back.triangles.len().to_string(),
            t.hidden().to_string(),
        ]);
        Table {
            header: vec!["photo", "triangles", "facing away"],
            rows,
        }
    }
}

/// How many of the mesh's triangles face away from the camera at one yaw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackFacing {
    /// The yaw (degrees).
    pub yaw_deg: f64,
    /// Triangles facing away.
    pub hidden: usize,
    /// All triangles.
    pub total: usize,
}

impl BackFacing {
    /// The share facing away, in % (NaN for a mesh without triangles).
    pub fn percent(&self) -> f64 {
        100.0 * self.hidden as f64 / self.total as f64
    }
}

/// Counts the triangles of the whole mesh that face away from an orthographic camera
/// when the head turns by `yaw_deg` ([`facing_camera`], self-occlusion not counted).
pub fn back_facing(mesh: &Mesh, yaw_deg: f64) -> BackFacing {
    let r = yaw_rotation(yaw_deg);
    let v = facing_camera(
        |p| {
            let q = r * p.coords;
            P2::new(q.x, -q.y)
        },
        &mesh.vertices,
        &mesh.triangles,
    );
    BackFacing {
        yaw_deg,
        hidden: v.iter().filter(|b| !**b).count(),
        total: v.len(),
    }
}

/// [`back_facing`] at each yaw.
pub fn back_facing_sweep(mesh: &Mesh, yaws: &[f64]) -> Vec<BackFacing> {
    yaws.iter().map(|&y| back_facing(mesh, y)).collect()
}

// ---------- 9. L2 normalization ----------

/// The four illumination changes applied to an aligned crop.
pub const ILLUMINATION_CHANGES: [&str; 4] =
    ["gain × 0.6", "offset + 40", "gamma 0.6", "side light"];

/// The crop's grey levels under each of [`ILLUMINATION_CHANGES`]: a gain, an
/// offset, a gamma, and a gain ramp from 0.5 to 1.5 across the crop (side light).
pub fn illumination_variants(crop: &Gray) -> [Vec<f64>; 4] {
    let x: Vec<f64> = crop.data.iter().map(|&v| f64::from(v)).collect();
    let w = crop.width.max(1);
    [
        x.iter().map(|v| 0.6 * v).collect(),
        x.iter().map(|v| v + 40.0).collect(),
        x.iter().map(|v| 255.0 * (v / 255.0).powf(0.6)).collect(),
        x.iter()
            .enumerate()
            .map(|(k, v)| v * (0.5 + (k % w) as f64 / w as f64))
            .collect(),
    ]
}

/// The L2-normalized distance between each aligned crop and its changed copies.
#[derive(Debug, Clone)]
pub struct Illumination {
    /// (photo, one distance per change in [`ILLUMINATION_CHANGES`]).
    pub rows: Vec<(String, [f64; 4])>,
    /// (photo, the changed crops as images).
    pub images: Vec<(String, [Gray; 4])>,
}

/// Applies the four illumination changes to each 2-D aligned crop and measures how
/// far L2 normalization leaves each changed crop from the original.
///
/// # Errors
///
/// [`normalized_distance`]'s errors (an all-zero crop).
pub fn illumination(aligned: &Alignment2d) -> Result<Illumination> {
    let mut out = Illumination {
        rows: Vec::new(),
        images: Vec::new(),
    };
    for a in &aligned.faces {
        let crop = &a.out.crop;
        let x: Vec<f64> = crop.data.iter().map(|&v| f64::from(v)).collect();
        let variants = illumination_variants(crop);
        let mut d = [0.0; 4];
        for (k, v) in variants.iter().enumerate() {
            d[k] = normalized_distance(&x, v)?;
        }
        let img = |v: &Vec<f64>| {
            Gray::from_vec(
                crop.width,
                crop.height,
                v.iter().map(|&a| a as f32).collect(),
            )
        };
        let [a0, a1, a2, a3] = &variants;
        out.images
            .push((a.name.clone(), [img(a0)?, img(a1)?, img(a2)?, img(a3)?]));
        out.rows.push((a.name.clone(), d));
    }
    Ok(out)
}

impl Illumination {
    /// The `illumination_table` table.
    pub fn table(&self) -> Table {
        Table {
            header: vec![
                "crop",
                "gain × 0.6",
                "offset + 40",
                "gamma 0.6",
                "side light (gain ramp)",
            ],
            rows: self
                .rows
                .iter()
                .map(|(name, d)| {
                    let mut row = vec![name.clone()];
                    row.extend(d.iter().map(|v| format!("{v:.2e}")));
                    row
                })
                .collect(),
        }
    }
}

// ---------- speed of the warp ----------

/// The benchmark warp: rotate by 7° and scale by 0.9 about the image centre
/// (output → source map, as OpenCV's `WARP_INVERSE_MAP` takes it).
pub fn bench_map(w: usize, h: usize) -> Transform2 {
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

/// Wall time of the bilinear [`bench_map`] warp of a whole image.
#[derive(Debug, Clone)]
pub struct WarpTiming {
    /// Median over the timed repetitions (seconds), each warp allocating its
    /// output as [`warp`] does.
    pub median_s: f64,
    /// Fastest of those repetitions (seconds).
    pub min_s: f64,
    /// Median over the same number of repetitions interleaved with those,
    /// each warping into one output buffer reused throughout
    /// ([`warp_affine_bilinear_into`]): the warp without allocation and
    /// first-touch page faults (seconds).
    pub reused_median_s: f64,
    /// Fastest of the reused-buffer repetitions (seconds).
    pub reused_min_s: f64,
    /// Timed repetitions of each kind.
    pub reps: usize,
    /// Threads of the rayon pool the warps ran on.
    pub threads: usize,
    /// The map.
    pub map: Transform2,
    /// The warped image.
    pub image: Gray,
}

/// Times the bilinear [`bench_map`] warp of `img` as [`warp`] runs it, on one
/// thread: one untimed warm-up, then `reps.max(1)` timed repetitions.
///
/// # Errors
///
/// [`warp`]'s errors (an empty image); [`Error::InvalidParameter`] if the
/// system refuses to start the timing's thread.
pub fn warp_timing(img: &Gray, reps: usize) -> Result<WarpTiming> {
    warp_timing_with(img, reps, Kernel::best(), 1)
}

/// [`warp_timing`] with a chosen inner loop of the fast path on a rayon pool
/// of `threads` threads. Repetitions alternate between a warp that allocates
/// its output and one into a reused buffer, so that both see the same
/// machine load.
///
/// # Errors
///
/// [`warp_affine_bilinear`]'s errors (an empty image, a kernel this CPU
/// cannot run); [`Error::InvalidParameter`] for `threads` = 0 or a thread
/// pool the system refuses to start.
pub fn warp_timing_with(
    img: &Gray,
    reps: usize,
    kernel: Kernel,
    threads: usize,
) -> Result<WarpTiming> {
    let pool = thread_pool(threads)?;
    let map = bench_map(img.width, img.height);
    let (w, h) = (img.width, img.height);
    pool.install(|| {
        let mut image = warp_affine_bilinear(img, &map, w, h, kernel)?;
        let mut reused = image.clone();
        warp_affine_bilinear_into(img, &map, &mut reused, kernel)?;
        let (mut fresh_t, mut reused_t) = (Vec::new(), Vec::new());
        for _ in 0..reps.max(1) {
            let s = Instant::now();
            image = warp_affine_bilinear(img, &map, w, h, kernel)?;
            fresh_t.push(s.elapsed().as_secs_f64());
            let s = Instant::now();
            warp_affine_bilinear_into(img, &map, &mut reused, kernel)?;
            reused_t.push(s.elapsed().as_secs_f64());
        }
        std::hint::black_box(&reused);
        fresh_t.sort_by(f64::total_cmp);
        reused_t.sort_by(f64::total_cmp);
        Ok(WarpTiming {
            median_s: quantile_sorted(&fresh_t, 0.5),
            min_s: fresh_t[0],
            reused_median_s: quantile_sorted(&reused_t, 0.5),
            reused_min_s: reused_t[0],
            reps: fresh_t.len(),
            threads,
            map,
            image,
        })
    })
}

/// A rayon pool of `threads` threads, for timings at a stated thread count.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    if threads == 0 {
        return Err(Error::InvalidParameter {
            name: "threads",
            reason: "a thread pool needs at least one thread".into(),
        });
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::InvalidParameter {
            name: "threads",
            reason: format!("could not start {threads} threads: {e}"),
        })
}

/// The memory-bandwidth floor of a warp of `img` to the same size: the median
/// time (seconds, over `reps.max(1)` repetitions after one warm-up) to copy its
/// pixels, which reads and writes as many bytes as the warp must at least
/// (every output pixel written once, about as many source pixels read). With
/// `fresh` the copy goes to a newly allocated buffer, allocation and
/// first-touch page faults included as in the warp, which allocates its
/// output; without, to one buffer reused (the bandwidth alone).
pub fn copy_timing(img: &Gray, reps: usize, fresh: bool) -> f64 {
    let mut keep = img.data.clone();
    let mut times = Vec::new();
    for _ in 0..=reps.max(1) {
        let s = Instant::now();
        if fresh {
            keep = std::hint::black_box(img.data.clone());
        } else {
            keep.copy_from_slice(std::hint::black_box(&img.data));
        }
        times.push(s.elapsed().as_secs_f64());
    }
    std::hint::black_box(&keep);
    times.remove(0);
    times.sort_by(f64::total_cmp);
    quantile_sorted(&times, 0.5)
}

/// `img` resampled (bilinear, centres aligned) to `round(scale · w) ×
/// round(scale · h)`, values rounded to whole grey levels so that an 8-bit
/// peer warps exactly the same pixels: the inputs of the warp's size sweep.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a scale that is not positive and finite
/// or gives an empty or too large image.
pub fn scaled_source(img: &Gray, scale: f64) -> Result<Gray> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::InvalidParameter {
            name: "scale",
            reason: format!("{scale} must be positive and finite"),
        });
    }
    let (w, h) = (
        (scale * img.width as f64).round() as usize,
        (scale * img.height as f64).round() as usize,
    );
    let inv = 1.0 / scale;
    let mut map = Transform2::identity();
    (map.m[(0, 0)], map.m[(1, 1)]) = (inv, inv);
    (map.m[(0, 2)], map.m[(1, 2)]) = ((inv - 1.0) / 2.0, (inv - 1.0) / 2.0);
    let mut out = warp(img, &map, w, h, Interp::Bilinear)?;
    out.data.iter_mut().for_each(|v| *v = v.round());
    Ok(out)
}
