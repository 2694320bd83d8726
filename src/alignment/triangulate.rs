//! Delaunay triangulation of landmarks (DeepFace §2: "directed by the Delaunay
//! triangulation derived from the 67 fiducial points"), computed by the `spade`
//! crate (exact geometric predicates), with the input checks spade leaves to us.

use spade::{DelaunayTriangulation, Point2 as SPoint, Triangulation};

use super::P2;
use crate::error::{Error, Result, ensure_finite};

// ANCHOR: delaunay
/// Delaunay triangles of `pts` as index triples into `pts`.
///
/// # Errors
///
/// [`Error::TooFew`] for fewer than 3 points; [`Error::NonFinite`] for a NaN or
/// infinite coordinate; [`Error::InvalidParameter`] when two points coincide (spade
/// would silently merge them and the indices would no longer match) or spade rejects
/// a point; [`Error::Singular`] when all points are collinear (no triangle exists).
pub fn delaunay(pts: &[P2]) -> Result<Vec<[usize; 3]>> {
    crate::error::ensure_len("points to triangulate", pts.len(), 3)?;
    for p in pts {
        ensure_finite("point to triangulate", &[p.x, p.y])?;
    }
    let mut tri: DelaunayTriangulation<SPoint<f64>> = DelaunayTriangulation::new();
    // spade numbers vertices in insertion order; a duplicate returns the old handle.
    for (i, p) in pts.iter().enumerate() {
        let h = tri
            .insert(SPoint::new(p.x, p.y))
            .map_err(|e| Error::InvalidParameter {
                name: "point to triangulate",
                reason: format!("point {i} ({}, {}): {e:?}", p.x, p.y),
            })?;
        if h.index() != i {
            return Err(Error::InvalidParameter {
                name: "points to triangulate",
                reason: format!(
                    "points {} and {i} coincide at ({}, {})",
                    h.index(),
                    p.x,
                    p.y
                ),
            });
        }
    }
    let faces: Vec<[usize; 3]> = tri
        .inner_faces()
        .map(|f| {
            let v = f.vertices();
            [v[0].fix().index(), v[1].fix().index(), v[2].fix().index()]
        })
        .collect();
    if faces.is_empty() {
        return Err(Error::Singular {
            what: "the point set",
            detail: "all points are collinear, so there is no triangle".into(),
        });
    }
    Ok(faces)
}
// ANCHOR_END: delaunay

/// Whether `d` lies strictly inside the circumcircle of triangle `(a, b, c)`
/// (the in-circle determinant, oriented by the triangle), with a relative
/// tolerance for the floating-point evaluation.
pub fn in_circumcircle(a: &P2, b: &P2, c: &P2, d: &P2) -> bool {
    let m = [
        [a.x - d.x, a.y - d.y],
        [b.x - d.x, b.y - d.y],
        [c.x - d.x, c.y - d.y],
    ];
    let l = |r: [f64; 2]| r[0] * r[0] + r[1] * r[1];
    let det = m[0][0] * (m[1][1] * l(m[2]) - l(m[1]) * m[2][1])
        - m[0][1] * (m[1][0] * l(m[2]) - l(m[1]) * m[2][0])
        + l(m[0]) * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let orient = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    let scale = [a, b, c]
        .iter()
        .map(|p| (p.coords - d.coords).norm())
        .fold(0.0f64, f64::max)
        .powi(4);
    det * orient.signum() > 1e-9 * scale
}
