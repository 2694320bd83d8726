//! The figures of learned features: one scatter panel per head, in the shared
//! look of [`crate::plot`].
//!
//! Every digit has its own colour and its own marker shape, so the ten classes
//! can be told apart without colour. Both axes of a panel have the same scale
//! (a degree of longitude is as long as a degree of latitude; one feature unit
//! as long on both axes), so angles in the picture are the angles in the data.

use std::f64::consts::PI;
use std::path::Path;

use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::experiments::{FeaturePanel, MarginDiagram};
use crate::error::{Error, Result};
use crate::plot::{self, Axis, GRID, INK, MINOR_GRID, WIDTH};

/// One colour per digit: the shared palette, then wine and indigo (Tol's muted
/// scheme) for digits 8 and 9.
pub const DIGIT_COLORS: [RGBColor; 10] = [
    plot::PALETTE[0],
    plot::PALETTE[1],
    plot::PALETTE[2],
    plot::PALETTE[3],
    plot::PALETTE[4],
    plot::PALETTE[5],
    plot::PALETTE[6],
    plot::PALETTE[7],
    RGBColor(136, 34, 85),
    RGBColor(51, 34, 136),
];

/// Marker radius of a feature point, in pixels.
const DOT: i32 = 3;
/// Height of the strip with a panel's title.
const PANEL_TITLE: u32 = 26;
/// Height of the figure's title strip and of the legend strip.
const FIGURE_TITLE: u32 = 42;
const LEGEND: u32 = 34;
/// Margin around each panel's plot, and the height of its x-label area.
const MARGIN: u32 = 8;
/// Right margin: room for half of the last x tick label.
const MARGIN_RIGHT: u32 = 22;
const X_AREA: u32 = 48;

/// How the panels' coordinates are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelKind {
    /// 2-D features in the plane, class weights as rays from the origin.
    Plane,
    /// (longitude°, latitude°) of directions, class weights as numbered rings.
    Map,
}

/// A feature point of digit `digit` (0–9): its colour and one of ten shapes.
#[derive(Debug, Clone)]
struct DigitMark<C> {
    at: C,
    digit: usize,
    r: i32,
}

impl<'a, C> PointCollection<'a, C> for &'a DigitMark<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for DigitMark<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        b: &mut DB,
        _: (u32, u32),
    ) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let (r, c) = (self.r, DIGIT_COLORS[self.digit % 10]);
        let (fill, line) = (c.filled(), c.stroke_width(2));
        let p = |pts: &[(i32, i32)]| -> Vec<BackendCoord> {
            pts.iter().map(|(dx, dy)| (x + dx, y + dy)).collect()
        };
        let tri_up = p(&[(0, -r - 1), (r + 1, r), (-r - 1, r)]);
        let square = p(&[(-r, -r), (r, -r), (r, r), (-r, r), (-r, -r)]);
        match self.digit % 10 {
            0 => b.draw_circle((x, y), r as u32, &fill, true),
            1 => b.draw_rect((x - r, y - r), (x + r, y + r), &fill, true),
            2 => b.fill_polygon(tri_up, &fill),
            3 => b.fill_polygon(
                p(&[(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)]),
                &fill,
            ),
            4 => {
                b.draw_line((x - r, y - r), (x + r, y + r), &line)?;
                b.draw_line((x - r, y + r), (x + r, y - r), &line)
            }
            5 => b.fill_polygon(p(&[(0, r + 1), (r + 1, -r), (-r - 1, -r)]), &fill),
            6 => {
                b.draw_line((x - r - 1, y), (x + r + 1, y), &line)?;
                b.draw_line((x, y - r - 1), (x, y + r + 1), &line)
            }
            7 => b.draw_circle((x, y), r as u32, &line, false),
            8 => b.draw_path(square, &c.stroke_width(1)),
            _ => {
                let mut t = tri_up;
                t.push(t[0]);
                b.draw_path(t, &c.stroke_width(1))
            }
        }
    }
}

fn err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| plot::plot_err(path, e)
}

fn centred(size: u32) -> TextStyle<'static> {
    (plot::FONT, size)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

/// Draws `panels` (at most six) into an SVG file at `path`: a title, a legend of
/// the ten digits and the class weights, and a grid of panels with equal scales
/// on both axes (three columns for [`PanelKind::Plane`], two for
/// [`PanelKind::Map`]).
///
/// # Errors
/// [`Error::TooFew`] for no panel; [`Error::InvalidParameter`] for more than six;
/// [`Error::Plot`] or [`Error::Io`] if drawing or writing fails.
pub fn draw_feature_panels(
    path: &Path,
    title: &str,
    panels: &[FeaturePanel],
    kind: PanelKind,
) -> Result<()> {
    crate::error::ensure_len("panels", panels.len(), 1)?;
    if panels.len() > 6 {
        return Err(Error::InvalidParameter {
            name: "panels",
            reason: format!("the grid holds at most six panels, got {}", panels.len()),
        });
    }
    let (cols, ya) = match kind {
        PanelKind::Plane => (3, plane_axes(panels, (1, 1)).1),
        PanelKind::Map => (2, Axis::linear(-90.0, 90.0).in_degrees()),
    };
    let y_area = plot::y_label_area(&ya);
    let panel_w = WIDTH / cols;
    let plot_w = panel_w - MARGIN - MARGIN_RIGHT - y_area;
    let plot_h = match kind {
        PanelKind::Plane => plot_w,
        PanelKind::Map => plot_w / 2,
    };
    let panel_h = PANEL_TITLE + plot_h + 2 * MARGIN + X_AREA;
    let rows = panels.len().div_ceil(cols as usize) as u32;
    let height = FIGURE_TITLE + LEGEND + rows * panel_h;
    let root = plot::svg_root(path, (WIDTH, height))?;
    root.draw_text(
        title,
        &centred(plot::TITLE_SIZE),
        (WIDTH as i32 / 2, FIGURE_TITLE as i32 / 2),
    )
    .map_err(err(path))?;
    legend(&root, kind).map_err(err(path))?;
    for (i, p) in panels.iter().enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        let area = root.clone().shrink(
            (c * panel_w, FIGURE_TITLE + LEGEND + r * panel_h),
            (panel_w, panel_h),
        );
        panel(&area, p, kind, (plot_w, plot_h), y_area).map_err(err(path))?;
    }
    plot::finish(root, path)
}

/// The axes of the plane panels for a plot of `(w, h)` pixels: both cover every
/// feature with 5 % to spare and have the same units per pixel.
fn plane_axes(panels: &[FeaturePanel], (w, h): (u32, u32)) -> (Axis, Axis) {
    let r = panels
        .iter()
        .flat_map(|p| p.points.iter())
        .map(|&(x, y)| x.abs().max(y.abs()))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-12)
        * 1.05;
    let (w, h) = (f64::from(w.max(1)), f64::from(h.max(1)));
    let (rx, ry) = (r * (w / h).max(1.0), r * (h / w).max(1.0));
    (Axis::linear(-rx, rx), Axis::linear(-ry, ry))
}

/// Labels at most five ticks of an axis (every second one, from zero, when it has more).
fn sparse_label(axis: &Axis, v: f64) -> String {
    let m = axis.majors();
    if m.len() > 5 && m.len() >= 2 {
        let step = m[1] - m[0];
        if ((v / step).round() as i64) % 2 != 0 {
            return String::new();
        }
    }
    axis.label(v)
}

fn legend(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    kind: PanelKind,
) -> std::result::Result<(), String> {
    let y = FIGURE_TITLE as i32 + LEGEND as i32 / 2;
    let text = plot::label_style().pos(Pos::new(HPos::Left, VPos::Center));
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.draw_text("digit", &text, (16, y)).map_err(e)?;
    for k in 0..10 {
        let x = 76 + 46 * k as i32;
        root.draw(&DigitMark {
            at: (x, y),
            digit: k,
            r: 4,
        })
        .map_err(e)?;
        root.draw_text(&k.to_string(), &text, (x + 9, y))
            .map_err(e)?;
    }
    let x = 76 + 46 * 10 + 10;
    match kind {
        PanelKind::Plane => root
            .draw(&PathElement::new(
                vec![(x, y), (x + 30, y)],
                INK.stroke_width(2),
            ))
            .map_err(e)?,
        PanelKind::Map => root
            .draw(&Circle::new((x + 15, y), 7, INK.stroke_width(2)))
            .map_err(e)?,
    }
    root.draw_text("class weight", &text, (x + 38, y))
        .map_err(e)
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    p: &FeaturePanel,
    kind: PanelKind,
    (pw, ph): (u32, u32),
    y_area: u32,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let (head, body) = area.split_vertically(PANEL_TITLE);
    let mid = (y_area + MARGIN + pw / 2) as i32;
    head.draw_text(
        &p.title,
        &centred(plot::LABEL_SIZE),
        (mid, PANEL_TITLE as i32 / 2),
    )
    .map_err(e)?;
    let (xa, ya, names) = match kind {
        PanelKind::Plane => {
            let (xa, ya) = plane_axes(std::slice::from_ref(p), (pw, ph));
            (xa, ya, ("feature 1", "feature 2"))
        }
        PanelKind::Map => (
            Axis::linear(-180.0, 180.0).in_degrees(),
            Axis::linear(-90.0, 90.0).in_degrees(),
            ("longitude", "latitude"),
        ),
    };
    let body = body.shrink(
        (0, 0),
        (
            y_area + MARGIN + MARGIN_RIGHT + pw,
            ph + 2 * MARGIN + X_AREA,
        ),
    );
    let mut chart = ChartBuilder::on(&body)
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(X_AREA)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xa.clone(), ya.clone())
        .map_err(|e| e.to_string())?;
    let (fx, fy) = (
        |v: &f64| sparse_label(&xa, *v),
        |v: &f64| sparse_label(&ya, *v),
    );
    chart
        .configure_mesh()
        .light_line_style(MINOR_GRID)
        .bold_line_style(GRID)
        .axis_style(INK)
        .label_style(plot::tick_style())
        .axis_desc_style(plot::label_style())
        .x_desc(names.0)
        .y_desc(names.1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
        .map_err(|e| e.to_string())?;
    let r = xa.bounds().1.min(ya.bounds().1);
    if kind == PanelKind::Plane {
        rays(&mut chart, &p.weights, r)?;
    }
    chart
        .draw_series(
            p.points
                .iter()
                .zip(&p.labels)
                .map(|(&at, &digit)| DigitMark { at, digit, r: DOT }),
        )
        .map_err(|e| e.to_string())?;
    if kind == PanelKind::Map {
        rings(&mut chart, &p.weights)?;
    }
    Ok(())
}

/// Class weights of a plane panel: a ray from the origin along each weight,
/// numbered at its end.
fn rays(
    chart: &mut Chart<'_, '_>,
    weights: &[(f64, f64)],
    r: f64,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    for (j, &(x, y)) in weights.iter().enumerate() {
        let c = DIGIT_COLORS[j % 10];
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.9 * r * x, 0.9 * r * y)],
                c.stroke_width(2),
            )))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Text::new(
                j.to_string(),
                (0.97 * r * x, 0.97 * r * y),
                centred(plot::TICK_SIZE).color(&c),
            )))
            .map_err(e)?;
    }
    Ok(())
}

/// Class weights of a map panel: a ring at each weight's direction with its digit.
fn rings(chart: &mut Chart<'_, '_>, weights: &[(f64, f64)]) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    for (j, &at) in weights.iter().enumerate() {
        chart
            .draw_series(std::iter::once(Circle::new(at, 7, INK.stroke_width(2))))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(at)
                    + Text::new(
                        j.to_string(),
                        (10, -10),
                        centred(plot::TICK_SIZE).color(&INK),
                    ),
            ))
            .map_err(e)?;
    }
    Ok(())
}

/// Draws Figure 5.1: the circle of directions, the two class weights as
/// arrows, their A-Softmax regions as shaded sectors (edges dashed), the band
/// between them in grey, and the plain softmax boundary (the bisector) dotted.
/// The regions are the ones found on the grid; the angle labels are the
/// closed forms.
///
/// # Errors
/// [`Error::Io`] or [`Error::Plot`] if the file cannot be written.
pub fn draw_margin_diagram(path: &Path, d: &MarginDiagram) -> Result<()> {
    let err = |e| plot::plot_err(path, e);
    let (w, h) = (620u32, 470u32);
    let root = plot::svg_root(path, (w, h))?;
    let (cx, cy, r) = (f64::from(w) / 2.0, 255.0, 170.0);
    let at = |phi: f64, rho: f64| -> (i32, i32) {
        (
            (cx + rho * phi.cos()).round() as i32,
            (cy - rho * phi.sin()).round() as i32,
        )
    };
    let arc = |from: f64, to: f64, rho: f64| -> Vec<(i32, i32)> {
        (0..=60)
            .map(|k| at(from + (to - from) * f64::from(k) / 60.0, rho))
            .collect()
    };
    let centre = at(0.0, 0.0);
    let sector = |from: f64, to: f64| -> Vec<(i32, i32)> {
        std::iter::once(centre).chain(arc(from, to, r)).collect()
    };
    let title = format!(
        "A-Softmax regions, m = {}, θ₁₂ = {:.0}°",
        d.m,
        d.theta12.to_degrees()
    );
    let centred = |size: u32| {
        TextStyle::from((plot::FONT, size).into_font())
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center))
    };
    root.draw(&Text::new(
        title,
        (w as i32 / 2, 22),
        plot::title_style().pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    // The band between the two regions, then the regions.
    let band = (d.arcs[1].1, d.arcs[0].0);
    root.draw(&Polygon::new(
        sector(band.0, band.1),
        GRID.mix(0.9).filled(),
    ))
    .map_err(err)?;
    for (i, &(from, to)) in d.arcs.iter().enumerate() {
        root.draw(&Polygon::new(
            sector(from, to),
            plot::color(i).mix(0.35).filled(),
        ))
        .map_err(err)?;
        for edge in [from, to] {
            root.draw(&PathElement::new(
                vec![centre, at(edge, r)],
                plot::dashed_stroke(plot::color(i), 2),
            ))
            .map_err(err)?;
        }
    }
    root.draw(&PathElement::new(
        arc(0.0, 2.0 * PI, r),
        INK.mix(0.45).stroke_width(1),
    ))
    .map_err(err)?;
    // The plain softmax boundary: the bisector, dotted.
    let (top, bottom) = (cy - 1.05 * r, cy + 1.05 * r);
    for k in 0..24 {
        let y = |t: f64| (bottom + (top - bottom) * t).round() as i32;
        let (a, b) = (f64::from(k) / 24.0, (f64::from(k) + 0.45) / 24.0);
        root.draw(&PathElement::new(
            vec![(cx as i32, y(a)), (cx as i32, y(b))],
            INK.mix(0.7).stroke_width(1),
        ))
        .map_err(err)?;
    }
    // The class weights, as arrows.
    for (i, &alpha) in d.alphas.iter().enumerate() {
        let tip = at(alpha, 0.82 * r);
        root.draw(&PathElement::new(vec![centre, tip], INK.stroke_width(3)))
            .map_err(err)?;
        let head = vec![tip, at(alpha - 0.09, 0.72 * r), at(alpha + 0.09, 0.72 * r)];
        root.draw(&Polygon::new(head, INK.filled())).map_err(err)?;
        let name = if i == 0 { "w₁" } else { "w₂" };
        root.draw(&Text::new(name, at(alpha, 0.92 * r), centred(20)))
            .map_err(err)?;
        // Between the arrow and the region's far edge, clear of both.
        let far = if i == 0 { d.arcs[0].1 } else { d.arcs[1].0 };
        let label = format!("class {}", i + 1);
        root.draw(&Text::new(
            label,
            at(0.5 * (alpha + far), 0.66 * r),
            centred(16),
        ))
        .map_err(err)?;
    }
    // Angle labels: the reach of class 1's region towards W₂ and away from it,
    // and the band (closed forms).
    let deg = |x: f64| format!("{:.0}°", x.to_degrees());
    let a1 = d.alphas[0];
    for (from, to, rho, text) in [
        (a1 - d.toward, a1, 1.07 * r, deg(d.toward)),
        (a1, a1 + d.away, 1.07 * r, deg(d.away)),
        (band.0, band.1, 0.74 * r, format!("band {}", deg(d.band))),
    ] {
        root.draw(&PathElement::new(arc(from, to, rho), INK.stroke_width(1)))
            .map_err(err)?;
        if rho > r {
            // Ticks at the ends, so the two arcs read as two angles.
            for end in [from, to] {
                let tick = vec![at(end, rho - 6.0), at(end, rho + 6.0)];
                root.draw(&PathElement::new(tick, INK.stroke_width(1)))
                    .map_err(err)?;
            }
        }
        let out = if rho > r { 18.0 } else { 16.0 };
        let pos = at(0.5 * (from + to), rho + out);
        root.draw(&Text::new(text, pos, centred(15))).map_err(err)?;
    }
    root.draw(&Text::new(
        "softmax (m = 1) boundary",
        (cx as i32, (cy + r * 1.05 + 16.0) as i32),
        centred(15),
    ))
    .map_err(err)?;
    plot::finish(root, path)
}
