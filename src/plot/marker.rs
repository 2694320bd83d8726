//! Marker shapes and the small drawing elements built from them.

use plotters::element::{Drawable, PointCollection};
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor, ShapeStyle};
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// Marker radius in pixels (half the marker's width).
pub const MARKER_SIZE: i32 = 5;

/// The shape of a series' markers.
///
/// [`Shape::for_index`] gives every palette colour its own shape, so series
/// differ by shape as well as by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled triangle pointing up.
    TriangleUp,
    /// Filled diamond.
    Diamond,
    /// Diagonal cross (×).
    Cross,
    /// Filled triangle pointing down.
    TriangleDown,
    /// Upright cross (+).
    Plus,
    /// Hollow circle.
    Ring,
}

impl Shape {
    /// The shapes in the order [`Shape::for_index`] hands them out.
    pub const ALL: [Shape; 8] = [
        Shape::Circle,
        Shape::Square,
        Shape::TriangleUp,
        Shape::Diamond,
        Shape::Cross,
        Shape::TriangleDown,
        Shape::Plus,
        Shape::Ring,
    ];

    /// The shape that goes with palette index `i` (cycling).
    pub fn for_index(i: usize) -> Shape {
        Shape::ALL[i % Shape::ALL.len()]
    }
}

/// One marker of `shape` at `at`, in colour `color`.
#[derive(Debug, Clone)]
pub struct Marker<C> {
    at: C,
    shape: Shape,
    color: RGBColor,
    size: i32,
}

impl<C> Marker<C> {
    /// A marker of the standard size.
    pub fn new(at: C, shape: Shape, color: RGBColor) -> Self {
        Marker {
            at,
            shape,
            color,
            size: MARKER_SIZE,
        }
    }
}

impl<'a, C> PointCollection<'a, C> for &'a Marker<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Marker<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let r = self.size;
        let fill: ShapeStyle = self.color.filled();
        let stroke: ShapeStyle = self.color.stroke_width(2);
        let poly = |pts: &[(i32, i32)]| -> Vec<BackendCoord> {
            pts.iter().map(|(dx, dy)| (x + dx, y + dy)).collect()
        };
        match self.shape {
            Shape::Circle => backend.draw_circle((x, y), r as u32, &fill, true),
            Shape::Ring => backend.draw_circle((x, y), r as u32, &stroke, false),
            Shape::Square => {
                let s = r * 4 / 5;
                backend.draw_rect((x - s, y - s), (x + s, y + s), &fill, true)
            }
            Shape::TriangleUp => {
                backend.fill_polygon(poly(&[(0, -r - 1), (r + 1, r - 1), (-r - 1, r - 1)]), &fill)
            }
            Shape::TriangleDown => {
                backend.fill_polygon(poly(&[(0, r + 1), (r + 1, 1 - r), (-r - 1, 1 - r)]), &fill)
            }
            Shape::Diamond => {
                backend.fill_polygon(poly(&[(0, -r - 1), (r, 0), (0, r + 1), (-r, 0)]), &fill)
            }
            Shape::Cross => {
                backend.draw_line((x - r, y - r), (x + r, y + r), &stroke)?;
                backend.draw_line((x - r, y + r), (x + r, y - r), &stroke)
            }
            Shape::Plus => {
                backend.draw_line((x - r - 1, y), (x + r + 1, y), &stroke)?;
                backend.draw_line((x, y - r - 1), (x, y + r + 1), &stroke)
            }
        }
    }
}

/// A vertical error bar from `lo` to `hi` with short caps.
#[derive(Debug, Clone)]
pub struct ErrorBar<C> {
    ends: [C; 2],
    color: RGBColor,
}

impl<C> ErrorBar<C> {
    /// A bar between the two points (same x, low and high y).
    pub fn new(lo: C, hi: C, color: RGBColor) -> Self {
        ErrorBar {
            ends: [lo, hi],
            color,
        }
    }
}

impl<'a, C> PointCollection<'a, C> for &'a ErrorBar<C> {
    type Point = &'a C;
    type IntoIter = std::slice::Iter<'a, C>;
    fn point_iter(self) -> Self::IntoIter {
        self.ends.iter()
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for ErrorBar<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let (Some(a), Some(b)) = (pos.next(), pos.next()) else {
            return Ok(());
        };
        let style: ShapeStyle = self.color.stroke_width(2);
        let cap = MARKER_SIZE;
        backend.draw_line(a, b, &style)?;
        backend.draw_line((a.0 - cap, a.1), (a.0 + cap, a.1), &style)?;
        backend.draw_line((b.0 - cap, b.1), (b.0 + cap, b.1), &style)
    }
}
