//! The generic 3-D face: the MediaPipe canonical face mesh and the 68 iBUG
//! anchors on it, under `data/mesh/`.
//!
//! Sources: `vertices.csv` and `triangles.csv` are decoded from the npm
//! package `@mediapipe/face_mesh@0.4.1657299874` (Apache-2.0);
//! `ibug68_to_mesh.csv` is `VTX68` of npm `@vladmandic/human@3.3.6` (MIT).
//! Provenance, decoding and checksums in `data/mesh/SOURCE.md`.

use std::path::Path;

use nalgebra::Point3;

use super::data_dir;
use crate::error::{Error, Result};

type P3 = Point3<f64>;

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

/// The numeric rows of a CSV file after its header, each with at least
/// `cols` values.
fn read_csv(path: &Path, cols: usize) -> Result<Vec<Vec<f64>>> {
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
                .and_then(|row| {
                    if row.len() < cols {
                        Err(Error::Data(format!(
                            "{}: row {} has {} values, at least {cols} are needed",
                            path.display(),
                            i + 2,
                            row.len()
                        )))
                    } else {
                        Ok(row)
                    }
                })
        })
        .collect()
}

impl Mesh {
    /// Loads `data/mesh/{vertices,triangles,ibug68_to_mesh}.csv`.
    ///
    /// # Errors
    /// [`Error::Io`] for a missing or unreadable file; [`Error::Data`] for a
    /// row that is not numeric or too short, a vertex id out of range, or
    /// counts other than 468 vertices, 898 triangles and 68 anchors.
    pub fn load() -> Result<Mesh> {
        let dir = data_dir().join("mesh");
        let v = read_csv(&dir.join("vertices.csv"), 3)?;
        let t = read_csv(&dir.join("triangles.csv"), 3)?;
        let a = read_csv(&dir.join("ibug68_to_mesh.csv"), 2)?;
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
