//! Level sets of a function of two variables, by marching squares.

use std::path::Path;

use plotters::prelude::*;

use super::legend::{self, Key, KeySpread};
use super::marker::{Marker, Shape};
use super::{
    Axis, INK, Mark, WIDTH, chart, color, finish, plot_err, svg_root, title_style, y_label_area,
};
use crate::error::{Error, Result, ensure_finite};

/// A straight piece of a level set, from one cell edge to another.
pub type Segment = [(f64, f64); 2];

/// The segments of the level set `f(x, y) = level` on the rectangle
/// `xr × yr`, cut into `cells.0 × cells.1` cells (marching squares).
///
/// In each cell, every edge whose corner values lie on opposite sides of the
/// level carries one crossing, placed by linear interpolation; two crossings
/// make one segment, four (a saddle cell) make two. A point at which `f` is not
/// finite counts as far above the level (its crossings sit at the other corner).
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite range or level;
/// [`Error::InvalidParameter`] for an empty range or zero cells.
pub fn contour_segments(
    f: &dyn Fn(f64, f64) -> f64,
    xr: (f64, f64),
    yr: (f64, f64),
    cells: (usize, usize),
    level: f64,
) -> Result<Vec<Segment>> {
    ensure_finite("contour range and level", &[xr.0, xr.1, yr.0, yr.1, level])?;
    if xr.0 >= xr.1 || yr.0 >= yr.1 || cells.0 == 0 || cells.1 == 0 {
        return Err(Error::InvalidParameter {
            name: "contour grid",
            reason: format!(
                "needs lo < hi on both axes and at least one cell each, got x {xr:?}, y {yr:?}, cells {cells:?}"
            ),
        });
    }
    let (nx, ny) = cells;
    let (dx, dy) = ((xr.1 - xr.0) / nx as f64, (yr.1 - yr.0) / ny as f64);
    let mut out = vec![];
    for i in 0..nx {
        for j in 0..ny {
            let (x0, y0) = (xr.0 + i as f64 * dx, yr.0 + j as f64 * dy);
            let c = [(x0, y0), (x0 + dx, y0), (x0 + dx, y0 + dy), (x0, y0 + dy)];
            let v = c.map(|(x, y)| {
                let v = f(x, y) - level;
                if v.is_finite() { v } else { f64::MAX }
            });
            let below = v.map(|v| v < 0.0);
            let mut pts = vec![];
            for a in 0..4 {
                let b = (a + 1) % 4;
                if below[a] != below[b] {
                    let t = v[a] / (v[a] - v[b]);
                    pts.push((
                        c[a].0 + t * (c[b].0 - c[a].0),
                        c[a].1 + t * (c[b].1 - c[a].1),
                    ));
                }
            }
            if pts.len() >= 2 {
                out.push([pts[0], pts[1]]);
            }
            if pts.len() == 4 {
                out.push([pts[2], pts[3]]);
            }
        }
    }
    Ok(out)
}

/// One path drawn over the level sets: a solid line, with a marker at every
/// point when `markers` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSeries {
    /// Legend label.
    pub label: String,
    /// The points, in order.
    pub points: Vec<(f64, f64)>,
    /// Palette index (the marker shape follows it).
    pub color: usize,
    /// Draw a marker at every point.
    pub markers: bool,
}

/// Paths over the level sets of a function of two variables, with both axes
/// to the same scale (the geometry is what the figure shows).
pub struct PathsFigure<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// The function whose level sets are drawn.
    pub f: &'a dyn Fn(f64, f64) -> f64,
    /// x range.
    pub xr: (f64, f64),
    /// y range.
    pub yr: (f64, f64),
    /// The levels drawn, thin and grey.
    pub levels: &'a [f64],
    /// The paths.
    pub paths: Vec<PathSeries>,
    /// A point to mark with a "+" (a minimiser), and its legend label.
    pub target: Option<((f64, f64), String)>,
}

/// Largest height of the plot area in pixels.
const MAX_PLOT_HEIGHT: f64 = 440.0;

impl PathsFigure<'_> {
    fn keys(&self) -> Vec<Key> {
        let key = |label: String, mark, color, shape| Key {
            label,
            mark,
            color,
            shape,
            spread: KeySpread::None,
        };
        let mut keys = vec![key("level sets of f".into(), Mark::Line, 7, Shape::Circle)];
        for p in &self.paths {
            let mark = if p.markers {
                Mark::LinePoints
            } else {
                Mark::Line
            };
            keys.push(key(
                p.label.clone(),
                mark,
                p.color,
                Shape::for_index(p.color),
            ));
        }
        if let Some((_, label)) = &self.target {
            keys.push(key(label.clone(), Mark::Points, 7, Shape::Plus));
        }
        keys
    }

    /// Draws the figure to an SVG file at `path`: level sets, paths and target
    /// on a plot whose x and y pixels per unit agree, the legend in a column to
    /// its right (under it when the column does not fit).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty or non-finite range;
    /// [`Error::Plot`] if drawing fails or the plot would not be to scale;
    /// [`Error::Io`] if the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |e: String| plot_err(path, e);
        let (xa, ya) = (
            Axis::linear(self.xr.0, self.xr.1),
            Axis::linear(self.yr.0, self.yr.1),
        );
        // Validates the ranges (a contour of nothing costs nothing).
        contour_segments(self.f, self.xr, self.yr, (1, 1), 0.0)?;
        let y_area = y_label_area(&ya);
        let keys = self.keys();
        let (dx, dy) = (self.xr.1 - self.xr.0, self.yr.1 - self.yr.0);
        let key_w = legend::width_right(&keys);
        // plot::chart leaves 12 + 12 px above and below the plot and 54 px for
        // the x labels, 12 px left of the y labels and 24 px right of the plot.
        let frame = 36 + y_area;
        let right_scale = f64::from(WIDTH.saturating_sub(frame + key_w)) / dx;
        let right = right_scale * dy >= 0.6 * MAX_PLOT_HEIGHT;
        let width_for_plot = if right {
            WIDTH - frame - key_w
        } else {
            WIDTH - frame
        };
        let scale = f64::min(f64::from(width_for_plot) / dx, MAX_PLOT_HEIGHT / dy);
        let (pw, ph) = ((dx * scale).round() as u32, (dy * scale).round() as u32);
        let legend_h = if right {
            0
        } else {
            legend::ROW as u32 * keys.len() as u32 + 12
        };
        let root = svg_root(path, (WIDTH, 44 + ph + 78 + legend_h))?;
        let body = root
            .titled(self.title, title_style())
            .map_err(|e| err(e.to_string()))?;
        let (top, below) = body.split_vertically(ph + 78);
        let (area, side) = top.split_horizontally(pw + frame);
        let mut chart = chart(&area, "", ("x", xa), ("y", ya), y_area).map_err(err)?;
        let (w, h) = chart.plotting_area().dim_in_pixel();
        if (f64::from(w) * dy - f64::from(h) * dx).abs() > 0.02 * f64::from(h) * dx {
            return Err(err(format!("the plot is {w} × {h} px, not to scale")));
        }
        self.draw(&mut chart).map_err(err)?;
        if right {
            legend::draw_column(&side, &keys, 12)
        } else {
            legend::draw_column(&below, &keys, 0)
        }
        .map_err(err)?;
        finish(root, path)
    }

    fn draw(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<Axis, Axis>>,
    ) -> std::result::Result<(), String> {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        let grey = color(7).mix(0.45);
        for &level in self.levels {
            let segs = contour_segments(self.f, self.xr, self.yr, (150, 100), level)
                .map_err(|e| e.to_string())?;
            let lines = segs
                .into_iter()
                .map(|s| PathElement::new(s.to_vec(), grey.stroke_width(1)));
            chart.draw_series(lines).map_err(e)?;
        }
        let min_gap = (self.xr.1 - self.xr.0) / 400.0;
        for p in &self.paths {
            let c = color(p.color);
            let line = LineSeries::new(thin(&p.points, min_gap), c.stroke_width(2));
            chart.draw_series(line).map_err(e)?;
            if p.markers {
                let shape = Shape::for_index(p.color);
                let marks = p.points.iter().map(|&q| Marker::new(q, shape, c));
                chart.draw_series(marks).map_err(e)?;
            }
        }
        if let Some((at, _)) = self.target {
            let plus = Marker::new(at, Shape::Plus, INK);
            chart.draw_series(std::iter::once(plus)).map_err(e)?;
        }
        Ok(())
    }
}

/// The points of a path at least `d` apart (and the last one): a long path of
/// tiny steps draws as a line instead of a pile of overlapping segments.
fn thin(points: &[(f64, f64)], d: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = vec![];
    for &q in points {
        let far = |l: &(f64, f64)| (l.0 - q.0).hypot(l.1 - q.1) >= d;
        if out.last().is_none_or(far) {
            out.push(q);
        }
    }
    if let Some(&q) = points.last() {
        out.push(q);
    }
    out
}
