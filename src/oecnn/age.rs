//! The nuisance variables applied to real digits, and the aged data set.
//!
//! **Age** is stroke thickening by grey-level dilation with a continuous
//! radius `r = R_AGE · a` for an age `a ∈ [0, 1]`:
//! `out(p) = max_q img(q) · k_r(‖p − q‖)`, `k_r(δ) = clamp(1 + r − δ, 0, 1)`.
//! At `r = 0` only `q = p` has a positive weight, so the image is unchanged;
//! as `r` grows the strokes widen (shape) and the grey levels of the
//! pixels next to a stroke rise (texture), continuously in `r`.
//!
//! **Blur**, the second nuisance, is a Gaussian blur of width `σ = S_BLUR · a`
//! (the blur of the softmax chapter).

use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::SIDE;
use crate::error::{Error, Result, ensure_finite, ensure_len};
use crate::softmax::blur::gaussian_blur;

/// Dilation radius (pixels) at age 1.
pub const R_AGE: f64 = 1.5;
/// Blur width (pixels) at nuisance 1.
pub const S_BLUR: f64 = 1.2;

/// Checks that nuisance amounts ("ages") are finite and non-negative.
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite amount, [`Error::InvalidParameter`]
/// for a negative one.
pub fn check_ages(ages: &[f64]) -> Result<()> {
    ensure_finite("ages", ages)?;
    if let Some((i, a)) = ages.iter().enumerate().find(|(_, a)| **a < 0.0) {
        return Err(Error::InvalidParameter {
            name: "ages",
            reason: format!("an age is ≥ 0, but age {i} is {a}"),
        });
    }
    Ok(())
}

// ANCHOR: thicken
/// Grey-level dilation of one `side × side` image (row-major) with radius `r`.
///
/// # Errors
/// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a bad radius;
/// [`Error::ShapeMismatch`] if the image does not have `side²` pixels.
pub fn thicken(img: &[f64], side: usize, r: f64) -> Result<Vec<f64>> {
    check_ages(&[r])?;
    check_image(img, side)?;
    // ANCHOR: thicken_kernel
    let k = |d: f64| (1.0 + r - d).clamp(0.0, 1.0);
    let reach = r.ceil() as isize + 1;
    let mut out = vec![0.0; img.len()];
    for (p, o) in out.iter_mut().enumerate() {
        let (i, j) = ((p / side) as isize, (p % side) as isize);
        for di in -reach..=reach {
            for dj in -reach..=reach {
                let (a, b) = (i + di, j + dj);
                if a < 0 || b < 0 || a >= side as isize || b >= side as isize {
                    continue;
                }
                let w = k(((di * di + dj * dj) as f64).sqrt());
                *o = f64::max(*o, w * img[a as usize * side + b as usize]);
            }
        }
    }
    // ANCHOR_END: thicken_kernel
    Ok(out)
}
// ANCHOR_END: thicken

fn check_image(img: &[f64], side: usize) -> Result<()> {
    if img.len() != side * side {
        return Err(Error::ShapeMismatch {
            what: "image size",
            expected: format!("{} pixels", side * side),
            got: format!("{} pixels", img.len()),
        });
    }
    ensure_finite("image", img)
}

/// The nuisance variable of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Nuisance {
    /// Stroke thickening ("age"), radius `R_AGE · a`.
    Thicken,
    /// Gaussian blur, width `S_BLUR · a`.
    Blur,
}

impl Nuisance {
    /// A short name for tables and figures.
    pub fn name(self) -> &'static str {
        match self {
            Nuisance::Thicken => "thickening",
            Nuisance::Blur => "blur",
        }
    }

    /// One 8×8 image at nuisance amount `a`.
    ///
    /// # Errors
    /// As [`thicken`] and [`gaussian_blur`].
    pub fn apply(self, img: &[f64], a: f64) -> Result<Vec<f64>> {
        check_ages(&[a])?;
        match self {
            Nuisance::Thicken => thicken(img, SIDE, R_AGE * a),
            Nuisance::Blur => {
                check_image(img, SIDE)?;
                let m = DMatrix::from_row_slice(1, img.len(), img);
                Ok(gaussian_blur(&m, SIDE, S_BLUR * a)?
                    .iter()
                    .copied()
                    .collect())
            }
        }
    }
}

/// Images with an identity, an age and the index of the source image each.
#[derive(Debug, Clone)]
pub struct AgedSet {
    /// One image per row.
    pub x: DMatrix<f64>,
    /// Identity (digit class) of each image.
    pub identity: Vec<usize>,
    /// Age (nuisance amount in `[0, 1]`) of each image.
    pub age: Vec<f64>,
    /// The source image each was rendered from.
    pub source: Vec<usize>,
}

impl AgedSet {
    /// Checks and packs an aged set.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the lengths differ from the number of
    /// images; [`check_ages`]'s errors; [`Error::InvalidParameter`] for an
    /// identity with a single image (it can appear in no genuine pair).
    pub fn new(
        x: DMatrix<f64>,
        identity: Vec<usize>,
        age: Vec<f64>,
        source: Vec<usize>,
    ) -> Result<AgedSet> {
        ensure_len("images", x.nrows(), 2)?;
        for (what, n) in [
            ("identities vs images", identity.len()),
            ("ages vs images", age.len()),
            ("sources vs images", source.len()),
        ] {
            if n != x.nrows() {
                return Err(Error::ShapeMismatch {
                    what,
                    expected: x.nrows().to_string(),
                    got: n.to_string(),
                });
            }
        }
        check_ages(&age)?;
        ensure_finite("images", x.as_slice())?;
        check_identities(&identity)?;
        Ok(AgedSet {
            x,
            identity,
            age,
            source,
        })
    }

    /// Renders every row of `images` `copies` times, each at an age drawn
    /// uniformly from `[0, 1]` (the first copy of each at age 0 when
    /// `copies > 1`, so every source appears young).
    ///
    /// # Errors
    /// [`Error::TooFew`] for no copies; [`Error::ShapeMismatch`] for labels
    /// that do not match the images; as [`Nuisance::apply`] and [`AgedSet::new`].
    pub fn render(
        images: &DMatrix<f64>,
        labels: &[usize],
        copies: usize,
        nuisance: Nuisance,
        seed: u64,
    ) -> Result<AgedSet> {
        ensure_len("copies", copies, 1)?;
        if labels.len() != images.nrows() {
            return Err(Error::ShapeMismatch {
                what: "labels vs images",
                expected: images.nrows().to_string(),
                got: labels.len().to_string(),
            });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let n = images.nrows() * copies;
        let mut x = DMatrix::zeros(n, images.ncols());
        let (mut identity, mut age, mut source) = (vec![], vec![], vec![]);
        for (r, &label) in labels.iter().enumerate() {
            let img: Vec<f64> = images.row(r).iter().copied().collect();
            for c in 0..copies {
                let a = if c == 0 && copies > 1 {
                    0.0
                } else {
                    rng.random_range(0.0..=1.0)
                };
                let out = nuisance.apply(&img, a)?;
                let row = identity.len();
                for (k, v) in out.into_iter().enumerate() {
                    x[(row, k)] = v;
                }
                identity.push(label);
                age.push(a);
                source.push(r);
            }
        }
        AgedSet::new(x, identity, age, source)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// Whether the set has no image (never true for a checked set).
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }

    /// The images whose indices are listed, in that order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an index out of range; as [`AgedSet::new`].
    pub fn select(&self, rows: &[usize]) -> Result<AgedSet> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(Error::InvalidParameter {
                name: "rows",
                reason: format!("row {bad} is out of range for {} images", self.len()),
            });
        }
        AgedSet::new(
            self.x.select_rows(rows),
            rows.iter().map(|&r| self.identity[r]).collect(),
            rows.iter().map(|&r| self.age[r]).collect(),
            rows.iter().map(|&r| self.source[r]).collect(),
        )
    }
}

/// Checks that every identity that occurs has at least two images.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the first identity with one image.
pub fn check_identities(identity: &[usize]) -> Result<()> {
    let top = identity.iter().copied().max().unwrap_or(0);
    let mut count = vec![0usize; top + 1];
    for &k in identity {
        count[k] += 1;
    }
    if let Some(k) = count.iter().position(|&c| c == 1) {
        return Err(Error::InvalidParameter {
            name: "identities",
            reason: format!(
                "identity {k} has a single image; an identity needs two to form a same-identity pair"
            ),
        });
    }
    Ok(())
}
