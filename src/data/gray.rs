//! A grey image type shared by the loaders and the image code.
//!
//! Coordinates: pixel centres sit at integers, `(0, 0)` is the centre of the
//! top-left pixel, x to the right, y down (the convention of OpenCV's warps).

use std::path::Path;

use crate::error::{Error, Result};

/// A grey image, row-major, values in `0..=255` as `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height * width` values, row by row.
    pub data: Vec<f32>,
}

impl Gray {
    /// A `width × height` image filled with `value`.
    pub fn new(width: usize, height: usize, value: f32) -> Self {
        Gray {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// Wraps row-major data, which must have `width * height` finite values.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a zero size or a wrong count, and
    /// [`Error::NonFinite`] for a NaN or infinite pixel.
    pub fn from_vec(width: usize, height: usize, data: Vec<f32>) -> Result<Self> {
        if width == 0 || height == 0 || data.len() != width * height {
            return Err(Error::ShapeMismatch {
                what: "image data",
                expected: format!("{width} × {height} = {} values", width * height),
                got: data.len().to_string(),
            });
        }
        if let Some(v) = data.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name: "image pixel",
                value: f64::from(*v),
            });
        }
        Ok(Gray {
            width,
            height,
            data,
        })
    }

    /// The pixel at column `x`, row `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `(x, y)` lies outside the image.
    pub fn at(&self, x: usize, y: usize) -> Result<f32> {
        if x >= self.width || y >= self.height {
            return Err(Error::InvalidParameter {
                name: "pixel position",
                reason: format!(
                    "({x}, {y}) is outside the {} × {} image",
                    self.width, self.height
                ),
            });
        }
        Ok(self.data[y * self.width + x])
    }

    /// Decodes any JPEG, PNG or PNM file and converts it to grey
    /// (`image`'s luma conversion, ITU-R BT.709 weights).
    ///
    /// # Errors
    /// [`Error::Io`] for a missing or unreadable file, [`Error::Data`] for
    /// one that does not decode.
    pub fn load(path: &Path) -> Result<Gray> {
        let img = image::ImageReader::open(path)
            .map_err(|source| Error::Io {
                action: "open image",
                path: path.display().to_string(),
                source,
            })?
            .with_guessed_format()
            .map_err(|source| Error::Io {
                action: "read image",
                path: path.display().to_string(),
                source,
            })?
            .decode()
            .map_err(|e| {
                Error::Data(format!(
                    "could not decode image `{}`: {e} (expected a JPEG, PNG or PNM file)",
                    path.display()
                ))
            })?
            .to_luma8();
        let (w, h) = img.dimensions();
        Gray::from_vec(
            w as usize,
            h as usize,
            img.into_raw().into_iter().map(f32::from).collect(),
        )
    }

    /// The rectangle `[x0, x0 + w) × [y0, y0 + h)` as a new image.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the rectangle is empty or leaves the image.
    pub fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> Result<Gray> {
        if w == 0 || h == 0 || x0 + w > self.width || y0 + h > self.height {
            return Err(Error::InvalidParameter {
                name: "crop rectangle",
                reason: format!(
                    "{w} × {h} at ({x0}, {y0}) does not fit in the {} × {} image",
                    self.width, self.height
                ),
            });
        }
        let mut data = Vec::with_capacity(w * h);
        for y in y0..y0 + h {
            data.extend_from_slice(&self.data[y * self.width + x0..y * self.width + x0 + w]);
        }
        Gray::from_vec(w, h, data)
    }
}
