//! The real data under `data/`: grey images, 68-point landmark files and the
//! generic 3-D face mesh (see `data/*/SOURCE.md` for provenance and licenses).
//!
//! Coordinates: pixel centres sit at integers, `(0, 0)` is the centre of the
//! top-left pixel, x to the right, y down (the convention of OpenCV's warps).

use std::path::{Path, PathBuf};

use super::{P2, P3};
use crate::error::{Error, Result, ensure_finite};

/// A grey image, row-major, values in `0..=255` as `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height * width` values, row by row.
    pub data: Vec<f32>,
}

impl Gray {
    /// A `width × height` image filled with `value`.
    pub fn new(width: usize, height: usize, value: f32) -> Self {
        Gray {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// Wraps row-major data, which must have `width * height` finite values.
    pub fn from_vec(width: usize, height: usize, data: Vec<f32>) -> Result<Self> {
        if width == 0 || height == 0 || data.len() != width * height {
            return Err(Error::ShapeMismatch {
                what: "image data",
                expected: format!("{width} × {height} = {} values", width * height),
                got: data.len().to_string(),
            });
        }
        if let Some(v) = data.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name: "image pixel",
                value: f64::from(*v),
            });
        }
        Ok(Gray {
            width,
            height,
            data,
        })
    }

    /// The pixel at column `x`, row `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `(x, y)` lies outside the image.
    pub fn at(&self, x: usize, y: usize) -> Result<f32> {
        if x >= self.width || y >= self.height {
            return Err(Error::InvalidParameter {
                name: "pixel position",
                reason: format!(
                    "({x}, {y}) is outside the {} × {} image",
                    self.width, self.height
                ),
            });
        }
        Ok(self.data[y * self.width + x])
    }

    /// Decodes any JPEG, PNG or PNM file and converts it to grey
    /// (`image`'s luma conversion, ITU-R BT.709 weights).
    pub fn load(path: &Path) -> Result<Gray> {
        let img = image::ImageReader::open(path)
            .map_err(|source| Error::Io {
                action: "open image",
                path: path.display().to_string(),
                source,
            })?
            .with_guessed_format()
            .map_err(|source| Error::Io {
                action: "read image",
                path: path.display().to_string(),
                source,
            })?
            .decode()
            .map_err(|e| {
                Error::Data(format!(
                    "could not decode image `{}`: {e} (expected a JPEG, PNG or PNM file)",
                    path.display()
                ))
            })?
            .to_luma8();
        let (w, h) = img.dimensions();
        Gray::from_vec(
            w as usize,
            h as usize,
            img.into_raw().into_iter().map(f32::from).collect(),
        )
    }

    /// The rectangle `[x0, x0 + w) × [y0, y0 + h)` as a new image.
    pub fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> Result<Gray> {
        if w == 0 || h == 0 || x0 + w > self.width || y0 + h > self.height {
            return Err(Error::InvalidParameter {
                name: "crop rectangle",
                reason: format!(
                    "{w} × {h} at ({x0}, {y0}) does not fit in the {} × {} image",
                    self.width, self.height
                ),
            });
        }
        let mut data = Vec::with_capacity(w * h);
        for y in y0..y0 + h {
            data.extend_from_slice(&self.data[y * self.width + x0..y * self.width + x0 + w]);
        }
        Gray::from_vec(w, h, data)
    }
}

/// The crate's `data/` directory.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Parses an iBUG `.pts` file (1-based coordinates) into 0-based points.
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
    /// Loads `data/faces/<name>.{jpg,ppm}` and `<name>.pts`: `"einstein"` or `"takeo"`.
    pub fn load(name: &str) -> Result<Face> {
        let dir = data_dir().join("faces");
        let img_path = ["jpg", "ppm", "png"]
            .iter()
            .map(|e| dir.join(format!("{name}.{e}")))
            .find(|p| p.exists())
            .ok_or_else(|| Error::Data(format!("no photo `{name}` under {}", dir.display())))?;
        let pts_path = dir.join(format!("{name}.pts"));
        Face::load_files(name, &img_path, &pts_path)
    }

    /// Loads a photo and its `.pts` file from explicit paths, checking them.
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

/// The generic 3-D face: the MediaPipe canonical mesh and the 68 anchors on it.
#[derive(Debug, Clone)]
pub struct Mesh {
    /// 468 vertices in cm, y up, z toward the viewer.
    pub vertices: Vec<P3>,
    /// 898 triangles (vertex ids).
    pub triangles: Vec<[usize; 3]>,
    /// Mesh vertex id of each iBUG-68 landmark.
    pub anchor_ids: Vec<usize>,
}

fn read_csv(path: &Path) -> Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            l.split(',')
                .map(|t| t.trim().parse::<f64>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| {
                    Error::Data(format!("{}: row {} is not numeric", path.display(), i + 2))
                })
        })
        .collect()
}

impl Mesh {
    /// Loads `data/mesh/{vertices,triangles,ibug68_to_mesh}.csv`.
    pub fn load() -> Result<Mesh> {
        let dir = data_dir().join("mesh");
        let v = read_csv(&dir.join("vertices.csv"))?;
        let t = read_csv(&dir.join("triangles.csv"))?;
        let a = read_csv(&dir.join("ibug68_to_mesh.csv"))?;
        let vertices: Vec<P3> = v
            .iter()
            .map(|r| P3::new(r[0], r[1], r[2]))
            .collect::<Vec<_>>();
        let nv = vertices.len();
        let id = |x: f64| -> Result<usize> {
            let i = x as usize;
            if x < 0.0 || x.fract() != 0.0 || i >= nv {
                return Err(Error::Data(format!(
                    "mesh index {x} is not a vertex id below {nv}"
                )));
            }
            Ok(i)
        };
        let triangles = t
            .iter()
            .map(|r| Ok([id(r[0])?, id(r[1])?, id(r[2])?]))
            .collect::<Result<Vec<_>>>()?;
        let anchor_ids = a.iter().map(|r| id(r[1])).collect::<Result<Vec<_>>>()?;
        if nv != 468 || triangles.len() != 898 || anchor_ids.len() != 68 {
            return Err(Error::Data(format!(
                "expected 468 vertices, 898 triangles, 68 anchors; found {nv}, {}, {}",
                triangles.len(),
                anchor_ids.len()
            )));
        }
        Ok(Mesh {
            vertices,
            triangles,
            anchor_ids,
        })
    }

    /// The 68 anchor points (3-D), in iBUG order.
    pub fn anchors(&self) -> Vec<P3> {
        self.anchor_ids.iter().map(|&i| self.vertices[i]).collect()
    }
}
