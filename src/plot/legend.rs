//! Legends drawn outside the plot area, each key in its series' own style.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::marker::{ErrorBar, Marker, Shape};
use super::{BAND_ALPHA, DASH_ALPHA, LABEL_SIZE, Mark, color, label_style};

/// Width of a key's glyph in pixels.
const GLYPH: i32 = 40;
/// Gap between glyph and text.
const GAP: i32 = 8;
/// Space between two entries on a row.
const SPACING: i32 = 28;
/// Height of one legend row.
pub(super) const ROW: i32 = 30;

/// How a legend key shows its series' spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpread {
    /// No spread.
    None,
    /// A translucent band behind the line.
    Band,
    /// An error bar.
    ErrorBars,
}

/// One legend entry: the label and how the series is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The text.
    pub label: String,
    /// Line style of the series.
    pub mark: Mark,
    /// Palette index.
    pub color: usize,
    /// Marker shape (used by [`Mark::Points`] and [`Mark::LinePoints`]).
    pub shape: Shape,
    /// The spread drawn with the series.
    pub spread: KeySpread,
}

/// Estimated width in pixels of `text` in the legend font (the browser's
/// sans-serif averages a little over half an em per character).
pub fn text_width(text: &str, size: u32) -> i32 {
    let px = f64::from(size) / 1.24;
    (0.56 * px * text.chars().count() as f64).ceil() as i32
}

fn entry_width(k: &Key) -> i32 {
    GLYPH + GAP + text_width(&k.label, LABEL_SIZE)
}

/// Column width and column count of a legend laid out in a grid no wider than `width`.
fn grid(keys: &[Key], width: i32) -> (i32, usize) {
    let col = keys.iter().map(entry_width).max().unwrap_or(0) + SPACING;
    let n = ((width + SPACING) / col.max(1)).max(1) as usize;
    (col, n.min(keys.len().max(1)))
}

/// Splits the keys into rows of a grid no wider than `width` pixels
/// (key `i` goes to row `i / columns`, so the legend reads left to right).
pub fn rows(keys: &[Key], width: i32) -> Vec<Vec<usize>> {
    let (_, n) = grid(keys, width);
    (0..keys.len())
        .collect::<Vec<_>>()
        .chunks(n)
        .map(<[usize]>::to_vec)
        .collect()
}

/// Height in pixels of a legend laid out in rows of at most `width` pixels.
pub fn height_below(keys: &[Key], width: i32) -> u32 {
    if keys.is_empty() {
        0
    } else {
        (rows(keys, width).len() as i32 * ROW + 12) as u32
    }
}

/// Width in pixels of a legend drawn as one column.
pub fn width_right(keys: &[Key]) -> u32 {
    keys.iter()
        .map(entry_width)
        .max()
        .map_or(0, |w| (w + 24) as u32)
}

/// Draws the keys in rows on `area`, starting `left` pixels from its left edge.
///
/// # Errors
/// Returns the backend's error text if drawing fails.
pub fn draw_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    left: i32,
) -> Result<(), String> {
    let width = area.dim_in_pixel().0 as i32 - left - 12;
    for (r, row) in rows(keys, width).iter().enumerate() {
        let y = 6 + ROW / 2 + r as i32 * ROW;
        for (c, &i) in row.iter().enumerate() {
            draw_key(area, &keys[i], (left + c as i32 * grid(keys, width).0, y))?;
        }
    }
    Ok(())
}

/// Draws the keys one under another on `area`, starting at `top`.
///
/// # Errors
/// Returns the backend's error text if drawing fails.
pub fn draw_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    top: i32,
) -> Result<(), String> {
    for (i, k) in keys.iter().enumerate() {
        draw_key(area, k, (12, top + ROW / 2 + i as i32 * ROW))?;
    }
    Ok(())
}

/// Draws one key with its glyph's left end at `(x, y)` (y is the row's centre).
///
/// # Errors
/// Returns the backend's error text if drawing fails.
pub fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &Key,
    (x, y): (i32, i32),
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let c = color(key.color);
    let mid = x + GLYPH / 2;
    match key.spread {
        KeySpread::Band => area
            .draw(&Rectangle::new(
                [(x, y - 8), (x + GLYPH, y + 8)],
                c.mix(BAND_ALPHA).filled(),
            ))
            .map_err(e)?,
        KeySpread::ErrorBars => area
            .draw(&ErrorBar::new((mid, y + 9), (mid, y - 9), c))
            .map_err(e)?,
        KeySpread::None => {}
    }
    let line = [(x, y), (x + GLYPH, y)];
    match key.mark {
        Mark::Line | Mark::LinePoints => area
            .draw(&PathElement::new(line, c.stroke_width(2)))
            .map_err(e)?,
        Mark::Dashed => area
            .draw(&PathElement::new(line, c.mix(DASH_ALPHA).stroke_width(2)))
            .map_err(e)?,
        Mark::Points => {}
    }
    if matches!(key.mark, Mark::Points | Mark::LinePoints) {
        area.draw(&Marker::new((mid, y), key.shape, c)).map_err(e)?;
    }
    let style = label_style().pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(key.label.clone(), (x + GLYPH + GAP, y), style))
        .map_err(e)
}
