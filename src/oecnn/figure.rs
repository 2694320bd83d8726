//! The picture of the nuisances: digits drawn pixel by pixel, one row per
//! (digit, nuisance), one column per amount.

use std::path::Path;

use nalgebra::DMatrix;
use plotters::prelude::{Color, RGBColor, Rectangle};

use super::SIDE;
use super::age::Nuisance;
use crate::error::{Error, Result};
use crate::plot;

/// Draws rows `rows` of `images` (8×8, values in `[0, 1]`, dark = ink) under
/// each nuisance at each amount in `amounts`, as grey squares, to an SVG file.
///
/// # Errors
/// [`Error::InvalidParameter`] for a row out of range; as
/// [`Nuisance::apply`]; [`Error::Plot`] or [`Error::Io`] if drawing fails.
pub fn digit_grid(
    path: &Path,
    images: &DMatrix<f64>,
    rows: &[usize],
    amounts: &[f64],
) -> Result<()> {
    if let Some(&bad) = rows.iter().find(|&&r| r >= images.nrows()) {
        return Err(Error::InvalidParameter {
            name: "rows",
            reason: format!("row {bad} is out of range for {} images", images.nrows()),
        });
    }
    let err = |e: String| plot::plot_err(path, e);
    let lines: Vec<(usize, Nuisance)> = rows
        .iter()
        .flat_map(|&r| [(r, Nuisance::Thicken), (r, Nuisance::Blur)])
        .collect();
    let (px, gap, side) = (12i32, 10i32, SIDE as i32);
    let cell = side * px + gap;
    let size = (
        amounts.len() as i32 * cell + gap,
        lines.len() as i32 * cell + gap,
    );
    let root = plot::svg_root(path, (size.0 as u32, size.1 as u32))?;
    for (ri, &(r, nuisance)) in lines.iter().enumerate() {
        let img: Vec<f64> = images.row(r).iter().copied().collect();
        for (ci, &a) in amounts.iter().enumerate() {
            let (x0, y0) = (gap + ci as i32 * cell, gap + ri as i32 * cell);
            for (k, v) in nuisance.apply(&img, a)?.iter().enumerate() {
                let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
                let (i, j) = (k as i32 / side, k as i32 % side);
                let corners = [
                    (x0 + j * px, y0 + i * px),
                    (x0 + (j + 1) * px, y0 + (i + 1) * px),
                ];
                let rect = Rectangle::new(corners, RGBColor(g, g, g).filled());
                root.draw(&rect).map_err(|e| err(e.to_string()))?;
            }
        }
    }
    plot::finish(root, path)
}
