//! The figure style shared by every chapter: SVG only, one palette, one font.
//!
//! Every figure carries its own light background, so it reads the same on
//! mdBook's light themes and on its dark ones (where a transparent figure with
//! dark text would vanish). The palette is Okabe–Ito, which stays
//! distinguishable under the common colour-vision deficiencies; series also
//! differ by dash or marker where colour alone would carry meaning.
//!
//! [`LineChart`] covers the common case (curves against one x axis, linear or
//! logarithmic axes). Figures that need more (contours, paths, scatter with
//! annotations) start from [`svg_root`] and the constants here, so they still
//! share the look.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Figure width in pixels (the book's content column is about 750 px wide).
pub const WIDTH: u32 = 760;
/// Figure height in pixels.
pub const HEIGHT: u32 = 470;
/// Background of every figure: an off-white card, readable on light and dark themes.
pub const BACKGROUND: RGBColor = RGBColor(250, 250, 250);
/// Text and axis colour.
pub const INK: RGBColor = RGBColor(34, 34, 34);
/// Light grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Font family; the browser picks its own sans-serif face, so no font ships.
pub const FONT: &str = "sans-serif";
/// Caption (title) font size.
pub const TITLE_SIZE: u32 = 22;
/// Axis-label and legend font size.
pub const LABEL_SIZE: u32 = 16;

/// Okabe–Ito palette (blue, vermillion, bluish green, orange, reddish purple,
/// sky blue, yellow-brown, grey).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(170, 130, 0),
    RGBColor(110, 110, 110),
];

/// The `i`-th palette colour (cycling).
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Title text style.
pub fn title_style() -> TextStyle<'static> {
    (FONT, TITLE_SIZE).into_font().color(&INK)
}

/// Axis label and legend text style.
pub fn label_style() -> TextStyle<'static> {
    (FONT, LABEL_SIZE).into_font().color(&INK)
}

/// Creates the SVG file at `path` (and its directory) and fills the background.
///
/// Call `.present()` on the returned area (or let [`finish`] do it) when done.
pub fn svg_root(path: &Path, size: (u32, u32)) -> Result<DrawingArea<SVGBackend<'_>, Shift>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            action: "create directory",
            path: dir.display().to_string(),
            source,
        })?;
    }
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&BACKGROUND).map_err(|e| plot_err(path, e))?;
    Ok(root)
}

/// Writes the figure to disk.
pub fn finish(root: DrawingArea<SVGBackend<'_>, Shift>, path: &Path) -> Result<()> {
    root.present().map_err(|e| plot_err(path, e))
}

/// Converts any drawing error into [`Error::Plot`] for the figure at `path`.
pub fn plot_err<E: std::fmt::Display>(path: &Path, e: E) -> Error {
    Error::Plot {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Linear axis.
    #[default]
    Linear,
    /// Base-10 logarithmic axis (all values must be positive).
    Log,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    /// Solid line.
    #[default]
    Line,
    /// Dashed line.
    Dashed,
    /// Markers only.
    Points,
    /// Solid line with markers.
    LinePoints,
}

/// One curve of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry; an empty label keeps the series out of the legend.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// How the series is drawn.
    pub mark: Mark,
    /// Palette index.
    pub color: usize,
}

impl Series {
    /// A solid line in palette colour `color`.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: label.into(),
            points,
            mark: Mark::Line,
            color,
        }
    }

    /// Same series, drawn with another mark.
    pub fn with_mark(mut self, mark: Mark) -> Self {
        self.mark = mark;
        self
    }
}

/// Curves against a common x axis: the workhorse figure of the book.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    /// Title drawn above the plot.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// x range; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    /// y range; `None` fits the data (with a 5 % margin on linear axes).
    pub y_range: Option<(f64, f64)>,
    /// x-axis scale.
    pub x_scale: Scale,
    /// y-axis scale.
    pub y_scale: Scale,
    /// The curves.
    pub series: Vec<Series>,
    /// Where the legend goes.
    pub legend: Legend,
}

/// Legend placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Upper left.
    #[default]
    UpperLeft,
    /// Upper right.
    UpperRight,
    /// Lower left.
    LowerLeft,
    /// Lower right.
    LowerRight,
    /// No legend.
    None,
}

impl LineChart {
    /// A chart with a title and axis labels and no series yet.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }

    /// Adds a series.
    pub fn push(&mut self, s: Series) -> &mut Self {
        self.series.push(s);
        self
    }

    /// Draws the chart to an SVG file at `path`.
    ///
    /// Points that are not finite (or not positive on a log axis) are dropped
    /// from the drawing, so a diverging series simply leaves the plot; the
    /// chart fails with [`Error::Plot`] only if no drawable point remains.
    pub fn save(&self, path: &Path) -> Result<()> {
        let keep = |&(x, y): &(f64, f64)| {
            x.is_finite()
                && y.is_finite()
                && (self.x_scale == Scale::Linear || x > 0.0)
                && (self.y_scale == Scale::Linear || y > 0.0)
        };
        let all: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(keep)
            .collect();
        if all.is_empty() {
            return Err(plot_err(path, "no finite point to draw"));
        }
        let xr = self
            .x_range
            .unwrap_or_else(|| span(all.iter().map(|p| p.0), self.x_scale));
        let yr = self
            .y_range
            .unwrap_or_else(|| span(all.iter().map(|p| p.1), self.y_scale));
        let root = svg_root(path, (WIDTH, HEIGHT))?;
        let res = match (self.x_scale, self.y_scale) {
            (Scale::Linear, Scale::Linear) => self.draw(&root, xr.0..xr.1, yr.0..yr.1),
            (Scale::Linear, Scale::Log) => self.draw(&root, xr.0..xr.1, (yr.0..yr.1).log_scale()),
            (Scale::Log, Scale::Linear) => self.draw(&root, (xr.0..xr.1).log_scale(), yr.0..yr.1),
            (Scale::Log, Scale::Log) => {
                self.draw(&root, (xr.0..xr.1).log_scale(), (yr.0..yr.1).log_scale())
            }
        };
        res.map_err(|e| plot_err(path, e))?;
        finish(root, path)
    }

    fn draw<X, Y>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, Shift>,
        x: X,
        y: Y,
    ) -> std::result::Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let (xr, yr) = (
            self.x_range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY)),
            self.y_range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY)),
        );
        let inside = |&(px, py): &(f64, f64)| {
            px.is_finite() && py.is_finite() && px >= xr.0 && px <= xr.1 && py >= yr.0 && py <= yr.1
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_style())
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x, y)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .axis_style(INK)
            .label_style(label_style())
            .axis_desc_style(label_style())
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|e| e.to_string())?;
        for s in &self.series {
            let c = color(s.color);
            // Split the series at points that leave the drawable range, so a
            // diverging sequence does not draw a line to infinity.
            let segments = segments(&s.points, &inside);
            let style = c.stroke_width(2);
            let mut first = true;
            for seg in segments {
                let drawn = match s.mark {
                    Mark::Line => chart.draw_series(LineSeries::new(seg.clone(), style)),
                    Mark::Dashed => {
                        chart.draw_series(DashedLineSeries::new(seg.clone(), 8, 5, style))
                    }
                    Mark::Points => {
                        chart.draw_series(seg.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    }
                    Mark::LinePoints => {
                        chart
                            .draw_series(LineSeries::new(seg.clone(), style))
                            .map_err(|e| e.to_string())?;
                        chart.draw_series(seg.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    }
                }
                .map_err(|e| e.to_string())?;
                if first && !s.label.is_empty() {
                    drawn.label(s.label.as_str()).legend(move |(lx, ly)| {
                        PathElement::new(vec![(lx, ly), (lx + 20, ly)], c.stroke_width(3))
                    });
                    first = false;
                }
            }
        }
        let pos = match self.legend {
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
            Legend::None => return Ok(()),
        };
        if self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(pos)
                .background_style(BACKGROUND.mix(0.9))
                .border_style(GRID)
                .label_font(label_style())
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn segments(points: &[(f64, f64)], inside: &dyn Fn(&(f64, f64)) -> bool) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for p in points {
        if inside(p) {
            if let Some(last) = out.last_mut() {
                last.push(*p);
            }
        } else if out.last().is_some_and(|s| !s.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn span(values: impl Iterator<Item = f64>, scale: Scale) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    match scale {
        Scale::Linear => {
            let pad = if hi > lo {
                0.05 * (hi - lo)
            } else {
                0.5 * lo.abs().max(1.0)
            };
            (lo - pad, hi + pad)
        }
        Scale::Log => {
            if hi > lo {
                (lo / 1.5, hi * 1.5)
            } else {
                (lo / 10.0, hi * 10.0)
            }
        }
    }
}

/// Tick label: short decimals for ordinary magnitudes, scientific notation otherwise.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    // Ticks computed as sums of steps land near, not on, zero (e.g. -5.6e-17).
    if a < 1e-12 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        if (m.abs() - 1.0).abs() < 1e-9 {
            format!("{}1e{e}", if v < 0.0 { "-" } else { "" })
        } else {
            format!("{m:.1}e{e}")
        }
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
