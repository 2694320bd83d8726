//! The figure style shared by every chapter: SVG only, one palette, one font.
//!
//! Every figure carries its own light background, so it reads the same on
//! mdBook's light themes and on its dark ones (where a transparent figure with
//! dark text would vanish). The palette is Okabe–Ito in an order that keeps
//! look-alike hues apart, and every palette colour has its own marker shape,
//! so series never differ by colour alone.
//!
//! [`LineChart`] covers the common case (curves against one x axis, linear or
//! logarithmic axes, optional spread bands or error bars). Its legend sits
//! outside the plot area, under it or in a column to its right, and draws each
//! key in its series' style. Figures that need more (contours, paths, scatter
//! with annotations) start from [`svg_root`], [`Axis`] and the constants
//! here, so they still share the look.

pub mod contour;
mod legend;
mod marker;
mod ticks;

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

pub use legend::{Key, KeySpread, draw_key};
pub use marker::{ErrorBar, MARKER_SIZE, Marker, Shape};
pub use ticks::{Axis, decimal, degrees, plain, power_of_ten, scientific, superscript, tick};

/// Figure width in pixels (the book's content column is about 750 px wide).
pub const WIDTH: u32 = 760;
/// Height in pixels of a figure's title and plot; a legend below adds to it.
pub const HEIGHT: u32 = 470;
/// Background of every figure: an off-white card, readable on light and dark themes.
pub const BACKGROUND: RGBColor = RGBColor(250, 250, 250);
/// Text and axis colour.
pub const INK: RGBColor = RGBColor(34, 34, 34);
/// Major grid lines (at labelled ticks).
pub const GRID: RGBColor = RGBColor(218, 218, 218);
/// Minor grid lines: lighter than the major grid, so log axes do not turn grey.
pub const MINOR_GRID: RGBColor = RGBColor(238, 238, 238);
/// Font family; the browser picks its own sans-serif face, so no font ships.
pub const FONT: &str = "sans-serif";
/// Caption (title) font size in points (the SVG backend writes `size / 1.24` px:
/// 19 px in the figure).
pub const TITLE_SIZE: u32 = 24;
/// Axis-title and legend font size in points (16 px in the figure).
pub const LABEL_SIZE: u32 = 20;
/// Tick-label font size in points (14.5 px in the figure).
pub const TICK_SIZE: u32 = 18;
/// Opacity of a spread band.
pub const BAND_ALPHA: f64 = 0.22;
/// Marks a dashed stroke for [`finish`], which turns it into an SVG
/// `stroke-dasharray` (plotters' own dashes are separate segments).
const DASH_ALPHA: f64 = 0.998;
/// The dash pattern of dashed lines, in pixels.
pub const DASH_PATTERN: &str = "9 6";

/// Okabe–Ito palette, ordered so that neighbours differ in hue and lightness:
/// blue, vermillion, bluish green, reddish purple, orange, sky blue,
/// dark yellow, grey (index 7, used for theory curves and bounds).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
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

/// Axis-title and legend text style.
pub fn label_style() -> TextStyle<'static> {
    (FONT, LABEL_SIZE).into_font().color(&INK)
}

/// Tick-label text style.
pub fn tick_style() -> TextStyle<'static> {
    (FONT, TICK_SIZE).into_font().color(&INK)
}

/// A stroke for a dashed line (turned into a real SVG dash by [`finish`]).
pub fn dashed_stroke(c: RGBColor, width: u32) -> ShapeStyle {
    c.mix(DASH_ALPHA).stroke_width(width)
}

/// Creates the SVG file at `path` (and its directory) and fills the background.
///
/// Call [`finish`] on the returned area when done.
///
/// # Errors
/// [`Error::Io`] if the directory cannot be created, [`Error::Plot`] if the
/// background cannot be drawn.
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

/// Writes the figure to disk, turning strokes drawn with [`dashed_stroke`]
/// into SVG dashes.
///
/// # Errors
/// [`Error::Plot`] if the file cannot be written, [`Error::Io`] if it cannot
/// be read back.
pub fn finish(root: DrawingArea<SVGBackend<'_>, Shift>, path: &Path) -> Result<()> {
    root.present().map_err(|e| plot_err(path, e))?;
    drop(root);
    let io = |action, source| Error::Io {
        action,
        path: path.display().to_string(),
        source,
    };
    let svg = std::fs::read_to_string(path).map_err(|s| io("read", s))?;
    let marker = format!("opacity=\"{DASH_ALPHA}\"");
    if svg.contains(&marker) {
        let dashed = format!("opacity=\"1\" stroke-dasharray=\"{DASH_PATTERN}\"");
        std::fs::write(path, svg.replace(&marker, &dashed)).map_err(|s| io("write", s))?;
    }
    Ok(())
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
    /// Dashed line (theory curves, bounds).
    Dashed,
    /// Markers only.
    Points,
    /// Solid line with markers.
    LinePoints,
}

/// The spread drawn with a series: `(x, low, high)` triples.
#[derive(Debug, Clone, PartialEq)]
pub enum Spread {
    /// A translucent band from low to high, under the series' line.
    Band(Vec<(f64, f64, f64)>),
    /// A vertical error bar from low to high at each x.
    ErrorBars(Vec<(f64, f64, f64)>),
}

impl Spread {
    fn triples(&self) -> &[(f64, f64, f64)] {
        match self {
            Spread::Band(t) | Spread::ErrorBars(t) => t,
        }
    }
}

/// How [`Series::summary`] summarises several runs (seeds) at each x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// Mean, with a band of ± one standard deviation (n − 1 in the denominator).
    MeanStd,
    /// Mean, with a band from the smallest to the largest run.
    MeanMinMax,
    /// Median, with a band from the smallest to the largest run.
    MedianMinMax,
}

/// One curve of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry; must be non-empty unless [`Series::without_key`] was called.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// How the series is drawn.
    pub mark: Mark,
    /// Palette index.
    pub color: usize,
    /// Marker shape; `None` takes the shape of the palette index.
    pub shape: Option<Shape>,
    /// Band or error bars drawn with the series.
    pub spread: Option<Spread>,
    /// Whether the series has a legend key (`false` only by [`Series::without_key`]).
    pub keyed: bool,
}

impl Series {
    /// A solid line in palette colour `color`.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: label.into(),
            points,
            mark: Mark::Line,
            color,
            shape: None,
            spread: None,
            keyed: true,
        }
    }

    /// The mean (or median) of several runs at each x, with their spread as a band.
    ///
    /// `runs[r][i]` is run `r`'s value at `xs[i]`.
    ///
    /// # Errors
    /// [`Error::TooFew`] if there is no run, [`Error::ShapeMismatch`] if a run's
    /// length differs from `xs`'.
    pub fn summary(
        label: impl Into<String>,
        xs: &[f64],
        runs: &[Vec<f64>],
        color: usize,
        how: Summary,
    ) -> Result<Self> {
        crate::error::ensure_len("runs", runs.len(), 1)?;
        if let Some(r) = runs.iter().find(|r| r.len() != xs.len()) {
            return Err(Error::ShapeMismatch {
                what: "Series::summary runs",
                expected: format!("{} values per run", xs.len()),
                got: format!("{}", r.len()),
            });
        }
        let mut line = Vec::with_capacity(xs.len());
        let mut band = Vec::with_capacity(xs.len());
        for (i, &x) in xs.iter().enumerate() {
            let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let (centre, lo, hi) = match how {
                Summary::MeanStd => {
                    let var =
                        v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
                    (mean, mean - var.sqrt(), mean + var.sqrt())
                }
                Summary::MeanMinMax => (mean, v[0], v[v.len() - 1]),
                Summary::MedianMinMax => {
                    let m = v.len() / 2;
                    let med = if v.len() % 2 == 1 {
                        v[m]
                    } else {
                        0.5 * (v[m - 1] + v[m])
                    };
                    (med, v[0], v[v.len() - 1])
                }
            };
            line.push((x, centre));
            band.push((x, lo, hi));
        }
        Ok(Series::line(label, line, color).with_band(band))
    }

    /// Same series, drawn with another mark.
    pub fn with_mark(mut self, mark: Mark) -> Self {
        self.mark = mark;
        self
    }

    /// Same series, with markers of another shape.
    pub fn with_shape(mut self, shape: Shape) -> Self {
        self.shape = Some(shape);
        self
    }

    /// Same series, with a translucent band of `(x, low, high)` under its line.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.spread = Some(Spread::Band(band));
        self
    }

    /// Same series, with error bars of `(x, low, high)`.
    pub fn with_error_bars(mut self, bars: Vec<(f64, f64, f64)>) -> Self {
        self.spread = Some(Spread::ErrorBars(bars));
        self
    }

    /// Same series, kept out of the legend on purpose (a guide line, a
    /// second piece of a curve already keyed).
    pub fn without_key(mut self) -> Self {
        self.keyed = false;
        self
    }

    /// The marker shape this series draws.
    pub fn marker_shape(&self) -> Shape {
        self.shape.unwrap_or_else(|| Shape::for_index(self.color))
    }

    /// The legend key of this series, `None` if it has none.
    pub fn key(&self) -> Option<Key> {
        self.keyed.then(|| Key {
            label: self.label.clone(),
            mark: self.mark,
            color: self.color,
            shape: self.marker_shape(),
            spread: match self.spread {
                None => KeySpread::None,
                Some(Spread::Band(_)) => KeySpread::Band,
                Some(Spread::ErrorBars(_)) => KeySpread::ErrorBars,
            },
        })
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
    /// y range; `None` fits the data (5 % margin on linear axes, whole
    /// decades on log axes).
    pub y_range: Option<(f64, f64)>,
    /// x-axis scale.
    pub x_scale: Scale,
    /// y-axis scale.
    pub y_scale: Scale,
    /// The curves.
    pub series: Vec<Series>,
    /// Where the legend goes.
    pub legend: Legend,
    /// Label x ticks as angles ("60°") on steps of 15°, 30°, 45°, 90°, ...
    pub x_degrees: bool,
    /// Label y ticks as angles.
    pub y_degrees: bool,
}

/// Legend placement: always outside the plot area, so it never hides data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Rows under the plot (the figure grows taller).
    #[default]
    Below,
    /// A column right of the plot (the plot gets narrower); falls back to
    /// [`Legend::Below`] when the labels would take more than 40 % of the width.
    Right,
    /// Same as [`Legend::Below`] (kept so older figure code compiles).
    UpperLeft,
    /// Same as [`Legend::Below`] (kept so older figure code compiles).
    UpperRight,
    /// Same as [`Legend::Below`] (kept so older figure code compiles).
    LowerLeft,
    /// Same as [`Legend::Below`] (kept so older figure code compiles).
    LowerRight,
    /// No legend.
    None,
}

/// Left margin of the figure, in pixels.
const MARGIN: u32 = 12;

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

    /// The legend keys, in series order.
    pub fn keys(&self) -> Vec<Key> {
        if self.legend == Legend::None {
            return Vec::new();
        }
        self.series.iter().filter_map(Series::key).collect()
    }

    /// Draws the chart to an SVG file at `path`.
    ///
    /// Points that are not finite (or not positive on a log axis) are dropped
    /// from the drawing, so a diverging series simply leaves the plot.
    ///
    /// # Errors
    /// [`Error::Plot`] if no drawable point remains, if a keyed series has an
    /// empty label (call [`Series::without_key`] to leave it out on purpose),
    /// or if drawing fails; [`Error::Io`] if the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(s) = self
            .series
            .iter()
            .find(|s| s.keyed && s.label.trim().is_empty())
        {
            return Err(plot_err(
                path,
                format!(
                    "a series (colour {}) has an empty label; label it, or call \
                     Series::without_key to keep it out of the legend",
                    s.color
                ),
            ));
        }
        let (xa, ya) = self
            .axes()
            .ok_or_else(|| plot_err(path, "no finite point to draw"))?;
        let keys = self.keys();
        let y_area = y_label_area(&ya);
        let right = self.legend == Legend::Right && legend::width_right(&keys) <= WIDTH * 2 / 5;
        let (size, legend_h) = if right || keys.is_empty() {
            ((WIDTH, HEIGHT), 0)
        } else {
            let h = legend::height_below(&keys, (WIDTH - MARGIN - y_area) as i32 - 12);
            ((WIDTH, HEIGHT + h), h)
        };
        let root = svg_root(path, size)?;
        let (top, bottom) = root.split_vertically(HEIGHT);
        let drawn = if right {
            let (plot, side) = top.split_horizontally(WIDTH - legend::width_right(&keys));
            self.draw(&plot, xa, ya, y_area)
                .and_then(|_| legend::draw_column(&side, &keys, self.title_height() + 8))
        } else {
            self.draw(&top, xa, ya, y_area).and_then(|_| {
                if legend_h > 0 {
                    legend::draw_rows(&bottom, &keys, (MARGIN + y_area) as i32)
                } else {
                    Ok(())
                }
            })
        };
        drawn.map_err(|e| plot_err(path, e))?;
        finish(root, path)
    }

    fn title_height(&self) -> i32 {
        if self.title.is_empty() { 0 } else { 44 }
    }

    fn keep(&self, x: f64, y: f64) -> bool {
        x.is_finite()
            && y.is_finite()
            && (self.x_scale == Scale::Linear || x > 0.0)
            && (self.y_scale == Scale::Linear || y > 0.0)
    }

    /// The two axes: the given ranges, or the span of the drawable data
    /// (points and spreads); `None` when nothing is drawable.
    fn axes(&self) -> Option<(Axis, Axis)> {
        let mut all: Vec<(f64, f64)> = Vec::new();
        for s in &self.series {
            all.extend(s.points.iter().copied().filter(|&(x, y)| self.keep(x, y)));
            if let Some(sp) = &s.spread {
                for &(x, lo, hi) in sp.triples() {
                    all.extend(
                        [(x, lo), (x, hi)]
                            .into_iter()
                            .filter(|&(x, y)| self.keep(x, y)),
                    );
                }
            }
        }
        if all.is_empty() {
            return None;
        }
        let xr = self
            .x_range
            .unwrap_or_else(|| span(all.iter().map(|p| p.0), self.x_scale));
        let yr = self
            .y_range
            .unwrap_or_else(|| span(all.iter().map(|p| p.1), self.y_scale));
        let (mut xa, mut ya) = (
            Axis::new(xr.0, xr.1, self.x_scale),
            Axis::new(yr.0, yr.1, self.y_scale),
        );
        if self.x_degrees {
            xa = xa.in_degrees();
        } else if all.iter().all(|p| p.0.fract() == 0.0) {
            xa = xa.in_integers();
        }
        if self.y_degrees {
            ya = ya.in_degrees();
        }
        Some((xa, ya))
    }

    fn draw(
        &self,
        area: &DrawingArea<SVGBackend<'_>, Shift>,
        xa: Axis,
        ya: Axis,
        y_area: u32,
    ) -> std::result::Result<(), String> {
        let mut chart = chart(
            area,
            &self.title,
            (&self.x_label, xa.clone()),
            (&self.y_label, ya.clone()),
            y_area,
        )?;
        let (xb, yb) = (xa.bounds(), ya.bounds());
        // Spreads first, so that no band covers another series' line.
        for s in &self.series {
            self.draw_spread(&mut chart, s, xb, yb)?;
        }
        for s in &self.series {
            self.draw_series(&mut chart, s, xb, yb)?;
        }
        Ok(())
    }

    fn draw_spread(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<Axis, Axis>>,
        s: &Series,
        xb: (f64, f64),
        yb: (f64, f64),
    ) -> std::result::Result<(), String> {
        let Some(sp) = &s.spread else { return Ok(()) };
        let c = color(s.color);
        let clamp = |y: f64| {
            if self.y_scale == Scale::Log && y <= 0.0 {
                yb.0
            } else {
                y.clamp(yb.0, yb.1)
            }
        };
        let pts: Vec<(f64, f64, f64)> = sp
            .triples()
            .iter()
            .copied()
            .filter(|&(x, lo, hi)| {
                self.keep(x, 1.0) && x >= xb.0 && x <= xb.1 && lo.is_finite() && hi.is_finite()
            })
            .map(|(x, lo, hi)| (x, clamp(lo), clamp(hi)))
            .collect();
        let r = match sp {
            Spread::Band(_) => {
                let mut poly: Vec<(f64, f64)> = pts.iter().map(|&(x, _, hi)| (x, hi)).collect();
                poly.extend(pts.iter().rev().map(|&(x, lo, _)| (x, lo)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        c.mix(BAND_ALPHA).filled(),
                    )))
                    .map(|_| ())
            }
            Spread::ErrorBars(_) => chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, lo, hi)| ErrorBar::new((x, lo), (x, hi), c)),
                )
                .map(|_| ()),
        };
        r.map_err(|e| e.to_string())
    }

    fn draw_series(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<Axis, Axis>>,
        s: &Series,
        xb: (f64, f64),
        yb: (f64, f64),
    ) -> std::result::Result<(), String> {
        let inside = |&(px, py): &(f64, f64)| {
            self.keep(px, py) && px >= xb.0 && px <= xb.1 && py >= yb.0 && py <= yb.1
        };
        let c = color(s.color);
        let shape = s.marker_shape();
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        // Split the series at points that leave the drawable range, so a
        // diverging sequence does not draw a line to infinity.
        for seg in segments(&s.points, &inside) {
            match s.mark {
                Mark::Line | Mark::LinePoints => {
                    chart
                        .draw_series(LineSeries::new(seg.clone(), c.stroke_width(2)))
                        .map_err(e)?;
                }
                Mark::Dashed => {
                    chart
                        .draw_series(LineSeries::new(seg.clone(), dashed_stroke(c, 2)))
                        .map_err(e)?;
                }
                Mark::Points => {}
            }
            if matches!(s.mark, Mark::Points | Mark::LinePoints) {
                chart
                    .draw_series(seg.iter().map(|&p| Marker::new(p, shape, c)))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// A chart on `area` in the shared look: title (if any), axis titles, major
/// and minor grid, and tick labels formatted by the axes.
///
/// `y_area` is the width in pixels of the y-label area ([`y_label_area`]
/// fits it to the tick labels). Draw series on the returned chart as with
/// any plotters chart; figures that are not a [`LineChart`] start here.
///
/// # Errors
/// Returns the backend's error text if drawing fails.
pub fn chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    (x_label, xa): (&str, Axis),
    (y_label, ya): (&str, Axis),
    y_area: u32,
) -> std::result::Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>, String> {
    let mut builder = ChartBuilder::on(area);
    if !title.is_empty() {
        builder.caption(title, title_style());
    }
    let mut chart = builder
        .margin(MARGIN)
        .margin_right(24)
        .x_label_area_size(54)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xa.clone(), ya.clone())
        .map_err(|e| e.to_string())?;
    let (fx, fy) = (|v: &f64| xa.label(*v), |v: &f64| ya.label(*v));
    chart
        .configure_mesh()
        .light_line_style(MINOR_GRID)
        .bold_line_style(GRID)
        .axis_style(INK)
        .label_style(tick_style())
        .axis_desc_style(label_style())
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// Width of the y-label area: the widest tick label, the rotated axis title, gaps.
pub fn y_label_area(ya: &Axis) -> u32 {
    let widest = ya
        .majors()
        .iter()
        .map(|&v| legend::text_width(&ya.label(v), TICK_SIZE))
        .max()
        .unwrap_or(0);
    (widest + 44).max(60) as u32
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
        // Less than a decade: a small margin, as on a linear axis.
        Scale::Log if hi < 10.0 * lo => (lo / 1.1, hi * 1.1),
        // Whole decades, so that both ends carry a label.
        Scale::Log => {
            let lo = 10f64.powf((lo.log10() + 1e-9).floor());
            let hi = 10f64.powf((hi.log10() - 1e-9).ceil());
            if hi > lo {
                (lo, hi)
            } else {
                (lo / 10.0, hi * 10.0)
            }
        }
    }
}
