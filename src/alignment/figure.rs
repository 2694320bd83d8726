//! Figures that show images: panels of grey images with landmark and triangle
//! overlays, in the shared SVG style of [`crate::plot`]. Plotters draws the
//! card, titles, captions and overlays; the images are embedded as PNG data
//! under the overlays (an SVG `<image>` element), so the SVG stays one file.

use std::path::Path;

use plotters::prelude::*;

use super::P2;
use super::warp::box_downscale;
use crate::data::Gray;
use crate::error::{Error, Result};
use crate::plot::{self, INK};

/// One image in a panel figure.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The image (values clamped to 0..=255 when drawn).
    pub image: Gray,
    /// Caption under the image.
    pub caption: String,
    /// Points drawn on the image (image coordinates), with a palette index.
    pub points: Vec<(P2, usize)>,
    /// Segments drawn on the image (image coordinates), with a palette index.
    pub segments: Vec<(P2, P2, usize)>,
    /// Filled translucent triangles (image coordinates), with a palette index.
    pub shaded: Vec<([P2; 3], usize)>,
}

impl Panel {
    /// A panel with no overlays.
    pub fn new(image: Gray, caption: impl Into<String>) -> Self {
        Panel {
            image,
            caption: caption.into(),
            points: Vec::new(),
            segments: Vec::new(),
            shaded: Vec::new(),
        }
    }
}

fn png_base64(img: &Gray) -> Result<String> {
    let bytes: Vec<u8> = img
        .data
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &bytes,
        img.width as u32,
        img.height as u32,
        image::ExtendedColorType::L8,
    )
    .map_err(|e| Error::Data(format!("PNG encoding failed: {e}")))?;
    Ok(base64(&png))
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Draws `panels` in a grid of `cols` columns, each image scaled to fit a
/// `cell × cell` square, and writes the SVG to `path`.
///
/// # Errors
///
/// [`Error::Io`] when the output directory cannot be created or the SVG cannot be
/// read back or rewritten; [`Error::Plot`] when drawing fails; [`Error::Data`] when
/// an image cannot be encoded as PNG; [`Error::InvalidParameter`] for a panel image
/// so elongated that the downscaling factor its longer side needs exceeds its shorter
/// side or a zero `cell`.
pub fn draw_panels(
    path: &Path,
    title: &str,
    panels: &[Panel],
    cols: usize,
    cell: u32,
) -> Result<()> {
    if cell == 0 {
        return Err(Error::InvalidParameter {
            name: "cell",
            reason: "the side of a panel's square must be at least 1 pixel, got 0".into(),
        });
    }
    let cols = cols.max(1);
    let rows = panels.len().div_ceil(cols);
    let (pad, head, foot) = (12u32, 40u32, 28u32);
    let width = cols as u32 * (cell + pad) + pad;
    let height = head + rows as u32 * (cell + foot + pad);
    let mut images = Vec::new();
    {
        let root = plot::svg_root(path, (width, height))?;
        let e = |e| plot::plot_err(path, e);
        root.draw(&Text::new(
            title.to_string(),
            (pad as i32, 10),
            plot::title_style(),
        ))
        .map_err(e)?;
        for (i, p) in panels.iter().enumerate() {
            let (r, c) = (i / cols, i % cols);
            let x0 = pad + c as u32 * (cell + pad);
            let y0 = head + r as u32 * (cell + foot + pad);
            let k = f64::from(cell) / (p.image.width.max(p.image.height) as f64);
            let (w, h) = (p.image.width as f64 * k, p.image.height as f64 * k);
            let ox = f64::from(x0) + (f64::from(cell) - w) / 2.0;
            let oy = f64::from(y0) + (f64::from(cell) - h) / 2.0;
            // Embed at most about twice the displayed resolution, so a large
            // photo does not bloat the SVG (area-average downscaling).
            let factor = p.image.width.max(p.image.height) / (2 * cell as usize);
            let shown = if factor >= 2 {
                box_downscale(&p.image, factor)?
            } else {
                p.image.clone()
            };
            images.push((ox, oy, w, h, png_base64(&shown)?));
            let to = |q: &P2| ((ox + (q.x + 0.5) * k) as i32, (oy + (q.y + 0.5) * k) as i32);
            for (tri, col) in &p.shaded {
                root.draw(&Polygon::new(
                    tri.iter().map(to).collect::<Vec<_>>(),
                    plot::color(*col).mix(0.35).filled(),
                ))
                .map_err(e)?;
            }
            for (a, b, col) in &p.segments {
                root.draw(&PathElement::new(
                    vec![to(a), to(b)],
                    plot::color(*col).stroke_width(1),
                ))
                .map_err(e)?;
            }
            for (q, col) in &p.points {
                root.draw(&Circle::new(to(q), 3, plot::color(*col).filled()))
                    .map_err(e)?;
            }
            root.draw(&Text::new(
                p.caption.clone(),
                (x0 as i32, (y0 + cell + 6) as i32),
                ("sans-serif", 15).into_font().color(&INK),
            ))
            .map_err(e)?;
        }
        plot::finish(root, path)?;
    }
    // Put the images right after the background rectangle, under the overlays.
    let svg = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read back",
        path: path.display().to_string(),
        source,
    })?;
    let at = svg
        .find("<rect")
        .and_then(|i| svg[i..].find("/>").map(|j| i + j + 2))
        .ok_or_else(|| plot::plot_err(path, "no background rectangle in the SVG"))?;
    let mut tags = String::new();
    for (x, y, w, h, data) in images {
        tags.push_str(&format!(
            "\n<image x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
             preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" \
             href=\"data:image/png;base64,{data}\"/>"
        ));
    }
    let out = format!("{}{}{}", &svg[..at], tags, &svg[at..]);
    std::fs::write(path, out).map_err(|source| Error::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    })
}
