//! The shared figure style: legend keys drawn in their series' style and off
//! the plot, spread bands, and tick labels written as powers of ten.

use std::path::PathBuf;

use papernotes::Error;
use papernotes::plot::{
    self, Axis, HEIGHT, LineChart, Mark, Scale, Series, Shape, Summary, degrees, plain, tick,
};

fn out(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("plot")
        .join(name)
}

/// Every tag of kind `tag` (e.g. "polyline") in the SVG, as its attribute text.
fn tags<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let rest = &svg[i..];
            &rest[..rest.find('>').unwrap_or(rest.len())]
        })
        .collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

/// The y coordinates a tag's geometry touches.
fn ys(tag: &str) -> Vec<f64> {
    if let Some(points) = attr(tag, "points") {
        return points
            .split_whitespace()
            .filter_map(|p| p.split(',').nth(1)?.parse().ok())
            .collect();
    }
    ["y", "cy", "y1", "y2"]
        .iter()
        .filter_map(|a| attr(tag, a)?.parse().ok())
        .collect()
}

/// Tags drawn in the legend, which sits under the plot.
fn in_legend<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    tags(svg, tag)
        .into_iter()
        .filter(|t| {
            let y = ys(t);
            !y.is_empty() && y.iter().all(|&v| v > f64::from(HEIGHT))
        })
        .collect()
}

/// The text content of every `<text>` element whose attributes contain `filter`.
fn texts_where(svg: &str, filter: &str) -> Vec<String> {
    svg.match_indices("<text ")
        .filter_map(|(i, _)| {
            let rest = &svg[i..];
            let start = rest.find('>')? + 1;
            let end = rest.find("</text>")?;
            rest[..start]
                .contains(filter)
                .then(|| rest[start..end].trim().to_string())
        })
        .collect()
}

/// The text content of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    texts_where(svg, "")
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn sample_chart() -> LineChart {
    let xs: Vec<f64> = (0..=10).map(f64::from).collect();
    let pts = |k: f64| -> Vec<(f64, f64)> {
        xs.iter().map(|&x| (x, 10f64.powf(-k * x / 10.0))).collect()
    };
    let mut chart = LineChart::new("Every series style", "step", "error");
    chart.y_scale = Scale::Log;
    chart.y_range = Some((1e-18, 1e2));
    chart.push(Series::line("measured", pts(2.0), 0));
    chart.push(Series::line("theory", pts(4.0), 7).with_mark(Mark::Dashed));
    chart.push(
        Series::line("markers only", pts(8.0), 1)
            .with_mark(Mark::Points)
            .with_shape(Shape::Square),
    );
    chart.push(Series::line("line and markers", pts(12.0), 2).with_mark(Mark::LinePoints));
    let band: Vec<(f64, f64, f64)> = pts(16.0)
        .iter()
        .map(|&(x, y)| (x, y / 3.0, y * 3.0))
        .collect();
    chart.push(Series::line("mean over seeds", pts(16.0), 3).with_band(band));
    chart.push(Series::line("", vec![(5.0, 1e-3), (5.0, 1e-1)], 7).without_key());
    chart
}

#[test]
fn legend_keys_are_drawn_in_each_series_style_below_the_plot() {
    let path = out("styles.svg");
    sample_chart().save(&path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();

    let dashed: Vec<&str> = in_legend(&svg, "polyline")
        .into_iter()
        .filter(|t| attr(t, "stroke-dasharray").is_some())
        .collect();
    assert_eq!(dashed.len(), 1, "one dashed key: {dashed:?}");
    assert_eq!(
        attr(dashed[0], "stroke"),
        Some(hex(plot::color(7)).as_str())
    );
    // The dashed curve itself is dashed too, not only its key.
    let dashed_all = tags(&svg, "polyline")
        .into_iter()
        .filter(|t| attr(t, "stroke-dasharray").is_some())
        .count();
    assert_eq!(dashed_all, 2);

    let solid_keys = in_legend(&svg, "polyline").len() - dashed.len();
    assert_eq!(
        solid_keys, 3,
        "solid keys: measured, line and markers, mean over seeds"
    );

    // The markers-only series is keyed by a square marker and no line.
    let squares: Vec<&str> = in_legend(&svg, "rect")
        .into_iter()
        .filter(|t| attr(t, "fill") == Some(hex(plot::color(1)).as_str()))
        .collect();
    assert_eq!(squares.len(), 1, "{squares:?}");
    // The line-and-markers series has a triangle (its palette index's shape) in its key.
    let triangles = in_legend(&svg, "polygon")
        .into_iter()
        .filter(|t| attr(t, "fill") == Some(hex(plot::color(2)).as_str()))
        .count();
    assert_eq!(triangles, 1);

    // The band is keyed by a translucent patch in its colour, and drawn translucent.
    let bands = tags(&svg, "rect")
        .into_iter()
        .chain(tags(&svg, "polygon"))
        .filter(|t| {
            attr(t, "opacity") == Some("0.22")
                && attr(t, "fill") == Some(hex(plot::color(3)).as_str())
        })
        .count();
    assert_eq!(bands, 2, "band key and band");

    let labels = texts(&svg);
    for l in [
        "measured",
        "theory",
        "markers only",
        "line and markers",
        "mean over seeds",
    ] {
        assert!(labels.iter().any(|t| t == l), "legend lacks {l}");
    }
}

#[test]
fn log_axis_ticks_read_as_powers_of_ten_down_to_the_lowest_decade() {
    let path = out("ticks.svg");
    sample_chart().save(&path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    // The y-axis tick labels are the right-aligned texts.
    let y_ticks = texts_where(&svg, "text-anchor=\"end\"");
    assert_eq!(y_ticks, ["10⁻¹⁸", "10⁻¹⁴", "10⁻¹⁰", "10⁻⁶", "10⁻²", "10²"]);
    let labels = texts(&svg);
    assert!(
        !labels
            .iter()
            .any(|t| t.contains("e-") || t.contains("e+") || t.contains("1e")),
        "{labels:?}"
    );
    // Linear x axis: plain integers.
    for l in ["0", "2", "10"] {
        assert!(labels.iter().any(|t| t == l), "no x tick {l} in {labels:?}");
    }
}

#[test]
fn an_unlabelled_series_must_be_left_out_of_the_legend_explicitly() {
    let mut chart = LineChart::new("t", "x", "y");
    chart.push(Series::line("", vec![(0.0, 1.0), (1.0, 2.0)], 0));
    let err = chart.save(&out("unlabelled.svg")).unwrap_err();
    assert!(matches!(err, Error::Plot { .. }));
    assert!(err.to_string().contains("without_key"), "{err}");
}

#[test]
fn tick_labels_use_superscript_powers_and_never_round_small_values_to_zero() {
    assert_eq!(tick(1e-14), "10⁻¹⁴");
    assert_eq!(tick(1e-13), "10⁻¹³");
    assert_eq!(tick(2.5e-14), "2.5×10⁻¹⁴");
    assert_eq!(tick(-5.6e-17), "−5.6×10⁻¹⁷");
    assert_eq!(tick(1e5), "10⁵");
    assert_eq!(tick(0.0), "0");
    assert_eq!(tick(0.001), "0.001");
    assert_eq!(tick(12.5), "12.5");
    assert_eq!(degrees(-100.0), "−100°");
    assert_eq!(degrees(60.0), "60°");
    assert_eq!(plain(-100.0), "−100");
    assert_eq!(plain(0.25), "0.25");
}

#[test]
fn one_axis_formats_all_its_ticks_alike() {
    let a = Axis::linear(0.0, 1.0);
    let labels: Vec<String> = a.majors().iter().map(|&v| a.label(v)).collect();
    assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    let big = Axis::linear(0.0, 2e7);
    let labels: Vec<String> = big.majors().iter().map(|&v| big.label(v)).collect();
    assert!(
        labels.iter().all(|l| l == "0" || l.contains("10")),
        "{labels:?}"
    );
    let log = Axis::log(1e-19, 1e3);
    let majors = log.majors();
    assert!(majors[0] <= 1e-18, "lowest decade labelled: {majors:?}");
    assert!(majors.len() <= 8);
    assert!(majors.iter().all(|&v| log.label(v).starts_with("10")));
}

#[test]
fn a_summary_over_seeds_is_the_mean_with_a_band() {
    let xs = [1.0, 2.0];
    let runs = vec![vec![1.0, 4.0], vec![3.0, 8.0]];
    let s = Series::summary("mean", &xs, &runs, 0, Summary::MeanMinMax).unwrap();
    assert_eq!(s.points, vec![(1.0, 2.0), (2.0, 6.0)]);
    assert_eq!(
        s.spread,
        Some(plot::Spread::Band(vec![(1.0, 1.0, 3.0), (2.0, 4.0, 8.0)]))
    );
    let err = Series::summary("mean", &xs, &[vec![1.0]], 0, Summary::MeanStd).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(Series::summary("mean", &xs, &[], 0, Summary::MeanStd).is_err());
}

#[test]
fn a_degree_axis_steps_by_fractions_of_a_right_angle() {
    let a = Axis::linear(-180.0, 180.0).in_degrees();
    let labels: Vec<String> = a.majors().iter().map(|&v| a.label(v)).collect();
    assert_eq!(
        labels,
        [
            "−180°", "−135°", "−90°", "−45°", "0°", "45°", "90°", "135°", "180°"
        ]
    );
}

#[test]
fn an_integer_axis_never_labels_fractions() {
    let a = Axis::linear(1.0, 2.0).in_integers();
    let labels: Vec<String> = a.majors().iter().map(|&v| a.label(v)).collect();
    assert_eq!(labels, ["1", "2"]);
}

#[test]
fn a_chart_in_degrees_labels_its_ticks_with_the_degree_sign() {
    let mut chart = LineChart::new("", "θ", "y");
    chart.x_degrees = true;
    chart.push(Series::line(
        "cos",
        vec![(0.0, 1.0), (90.0, 0.0), (180.0, -1.0)],
        0,
    ));
    let path = out("degrees.svg");
    chart.save(&path).unwrap();
    let labels = texts(&std::fs::read_to_string(&path).unwrap());
    for l in ["0°", "30°", "90°", "180°", "−1.0", "0.0", "1.0"] {
        assert!(labels.iter().any(|t| t == l), "no tick {l} in {labels:?}");
    }
}

#[test]
fn a_log_axis_within_one_decade_still_has_three_labels() {
    let a = Axis::log(1.7, 2.6);
    let labels: Vec<String> = a.majors().iter().map(|&v| a.label(v)).collect();
    assert!(labels.len() >= 3, "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains('×')), "{labels:?}");
}

#[test]
fn a_legend_on_the_right_sits_beside_the_plot_at_the_figure_height() {
    let mut chart = sample_chart();
    chart.legend = plot::Legend::Right;
    let path = out("right.svg");
    chart.save(&path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(
        svg.contains(&format!("height=\"{HEIGHT}\"")),
        "no legend rows below"
    );
    // Legend texts are left-aligned and start right of 60 % of the width.
    let xs: Vec<f64> = tags(&svg, "text")
        .into_iter()
        .filter(|t| attr(t, "text-anchor") == Some("start"))
        .filter_map(|t| attr(t, "x")?.parse().ok())
        .collect();
    assert_eq!(xs.len(), 5, "five keyed series");
    assert!(
        xs.iter().all(|&x| x > 0.6 * f64::from(plot::WIDTH)),
        "{xs:?}"
    );
    let dashed = tags(&svg, "polyline")
        .into_iter()
        .filter(|t| attr(t, "stroke-dasharray").is_some())
        .count();
    assert_eq!(dashed, 2, "the theory curve and its key");
}
