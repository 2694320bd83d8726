//! Longitude and latitude of 3-D feature directions, in a frame turned so that
//! no cluster of directions is cut by the map's edge.
//!
//! A map of the sphere by longitude and latitude has a seam: the half great circle
//! at longitude ±180° from pole to pole, where one cluster of directions would be
//! drawn as two halves at the left and right edges (and the poles, where a small
//! cluster is stretched across the whole width). [`MapFrame::choose`] tries a fixed
//! set of frames (poles spread evenly over the sphere, centres every 5° around each
//! pole) and keeps the one whose seam passes farthest from the directions.

use std::f64::consts::PI;

use nalgebra::{DMatrix, Vector3};

use crate::error::{Error, Result, ensure_finite, ensure_len};

/// Directions closer to the seam than this (radians, 15°) count against a frame.
pub const SEAM_CLEARANCE: f64 = 15.0 * PI / 180.0;

/// An orthonormal frame: longitude 0 and latitude 0 along `centre`, latitude 90°
/// along `pole`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapFrame {
    /// Direction of longitude 0, latitude 0.
    pub centre: Vector3<f64>,
    /// Direction of longitude 90°, latitude 0 (`pole × centre`).
    pub east: Vector3<f64>,
    /// The north pole.
    pub pole: Vector3<f64>,
}

impl MapFrame {
    /// The frame of the coordinate axes: centre `x`, pole `z`.
    pub fn standard() -> MapFrame {
        MapFrame {
            centre: Vector3::x(),
            east: Vector3::y(),
            pole: Vector3::z(),
        }
    }

    /// The frame with north pole `pole` and centre at longitude `phi` (radians)
    /// around it, measured from a fixed reference direction.
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a pole that is not
    /// finite or is zero.
    pub fn around(pole: Vector3<f64>, phi: f64) -> Result<MapFrame> {
        ensure_finite("centre longitude", &[phi])?;
        let p = unit(pole)?;
        // A reference direction not parallel to the pole.
        let r = if p.x.abs() < 0.9 {
            Vector3::x()
        } else {
            Vector3::y()
        };
        let u1 = (r - p * p.dot(&r)).normalize();
        let u2 = p.cross(&u1);
        let centre = u1 * phi.cos() + u2 * phi.sin();
        Ok(MapFrame {
            centre,
            east: p.cross(&centre),
            pole: p,
        })
    }

    /// `(longitude, latitude)` in degrees of direction `v`: longitude in
    /// `(−180°, 180°]`, latitude in `[−90°, 90°]`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::InvalidParameter`] for a vector that is
    /// not finite or is zero (it has no direction).
    pub fn lon_lat(&self, v: Vector3<f64>) -> Result<(f64, f64)> {
        let u = unit(v)?;
        let (x, y, z) = (u.dot(&self.centre), u.dot(&self.east), u.dot(&self.pole));
        Ok((
            y.atan2(x).to_degrees(),
            z.clamp(-1.0, 1.0).asin().to_degrees(),
        ))
    }

    /// [`MapFrame::lon_lat`] of each row of a matrix with three columns.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `m` has three columns; as
    /// [`MapFrame::lon_lat`] for a zero or non-finite row.
    pub fn lon_lat_rows(&self, m: &DMatrix<f64>) -> Result<Vec<(f64, f64)>> {
        rows3(m)?.into_iter().map(|v| self.lon_lat(v)).collect()
    }

    /// Angle (radians) between the unit direction `u` and the seam, the half great
    /// circle at longitude 180° from pole to pole.
    pub fn seam_distance(&self, u: &Vector3<f64>) -> f64 {
        let (x, y, z) = (u.dot(&self.centre), u.dot(&self.east), u.dot(&self.pole));
        if x < 0.0 {
            // The nearest point of the great circle y = 0 lies on the seam.
            y.abs().clamp(0.0, 1.0).asin()
        } else {
            // On the near side the nearest seam point is a pole.
            z.abs().clamp(0.0, 1.0).acos()
        }
    }

    /// How much the unit directions crowd the seam: the sum over directions of how
    /// far each lies inside [`SEAM_CLEARANCE`] (0 when none comes that close).
    pub fn seam_penalty(&self, dirs: &[Vector3<f64>]) -> f64 {
        dirs.iter()
            .map(|u| (SEAM_CLEARANCE - self.seam_distance(u)).max(0.0))
            .sum()
    }

    /// The frame with the least [`MapFrame::seam_penalty`] for the rows of `m`,
    /// among 64 poles spread evenly over the sphere (a Fibonacci lattice) and 72
    /// centres around each (the first such frame in that fixed order, so the
    /// choice is deterministic).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `m` has three columns; [`Error::TooFew`]
    /// for no rows; as [`MapFrame::lon_lat`] for a zero or non-finite row.
    pub fn choose(m: &DMatrix<f64>) -> Result<MapFrame> {
        let dirs = rows3(m)?
            .into_iter()
            .map(unit)
            .collect::<Result<Vec<_>>>()?;
        ensure_len("directions", dirs.len(), 1)?;
        let mut best = (f64::INFINITY, MapFrame::standard());
        let n = 64;
        for i in 0..n {
            // Fibonacci lattice: evenly spaced heights, golden-angle longitudes.
            let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
            let a = PI * (3.0 - 5f64.sqrt()) * i as f64;
            let r = (1.0 - z * z).sqrt();
            let pole = Vector3::new(r * a.cos(), r * a.sin(), z);
            for k in 0..72 {
                let f = MapFrame::around(pole, (5.0 * k as f64).to_radians())?;
                let p = f.seam_penalty(&dirs);
                if p < best.0 {
                    best = (p, f);
                }
            }
        }
        Ok(best.1)
    }
}

fn unit(v: Vector3<f64>) -> Result<Vector3<f64>> {
    ensure_finite("direction", v.as_slice())?;
    let n = v.norm();
    if n == 0.0 {
        return Err(Error::InvalidParameter {
            name: "direction",
            reason: "a zero vector has no direction".into(),
        });
    }
    Ok(v / n)
}

fn rows3(m: &DMatrix<f64>) -> Result<Vec<Vector3<f64>>> {
    if m.ncols() != 3 {
        return Err(Error::ShapeMismatch {
            what: "directions on the sphere",
            expected: "3 columns".into(),
            got: m.ncols().to_string(),
        });
    }
    Ok(m.row_iter()
        .map(|r| Vector3::new(r[0], r[1], r[2]))
        .collect())
}
