//! Patches of the 8×8 digits for DeepID2's patch ensembles: the four
//! quadrants, occlusion of a region, and the hidden width that gives an
//! ensemble of small networks the parameter budget of one network on the
//! whole image.

use nalgebra::DMatrix;

use crate::error::{Error, Result, ensure_len};

/// Pixel indices (row-major) of the four `side/2 × side/2` quadrants of a
/// `side × side` image: top left, top right, bottom left, bottom right.
///
/// # Errors
/// [`Error::InvalidParameter`] for an odd or zero side.
pub fn quadrants(side: usize) -> Result<Vec<Vec<usize>>> {
    if side == 0 || side % 2 == 1 {
        return Err(Error::InvalidParameter {
            name: "side",
            reason: format!("quadrants need an even, positive side, got {side}"),
        });
    }
    let h = side / 2;
    Ok([(0, 0), (0, h), (h, 0), (h, h)]
        .iter()
        .map(|&(r0, c0)| {
            (r0..r0 + h)
                .flat_map(|r| (c0..c0 + h).map(move |c| r * side + c))
                .collect()
        })
        .collect())
}

fn check_pixels(x: &DMatrix<f64>, idx: &[usize]) -> Result<()> {
    if let Some(&bad) = idx.iter().find(|&&k| k >= x.ncols()) {
        return Err(Error::InvalidParameter {
            name: "pixel index",
            reason: format!("pixel {bad} is out of range for {} columns", x.ncols()),
        });
    }
    Ok(())
}

/// The columns `idx` of every image (a patch).
///
/// # Errors
/// [`Error::InvalidParameter`] for an index out of range; [`Error::TooFew`]
/// for an empty patch.
pub fn take(x: &DMatrix<f64>, idx: &[usize]) -> Result<DMatrix<f64>> {
    ensure_len("patch pixels", idx.len(), 1)?;
    check_pixels(x, idx)?;
    Ok(x.select_columns(idx))
}

/// Every image with the pixels `idx` set to 0 (the region occluded).
///
/// # Errors
/// [`Error::InvalidParameter`] for an index out of range.
pub fn occlude(x: &DMatrix<f64>, idx: &[usize]) -> Result<DMatrix<f64>> {
    check_pixels(x, idx)?;
    let mut out = x.clone();
    for &k in idx {
        out.column_mut(k).fill(0.0);
    }
    Ok(out)
}

/// Parameters of a feature network `input → hidden → dim` with `classes`
/// class weights (no class biases).
pub fn params(input: usize, hidden: usize, dim: usize, classes: usize) -> usize {
    input * hidden + hidden + hidden * dim + dim + classes * dim
}

// ANCHOR: budget
/// The largest hidden width for which `patches` networks on `patch_input`
/// pixels with `patch_dim` features each have at most the parameters of one
/// network `input → hidden → dim` (all with `classes` class weights).
///
/// # Errors
/// [`Error::TooFew`] for a zero size, or if not even one hidden unit fits.
pub fn matched_hidden(
    (input, hidden, dim): (usize, usize, usize),
    (patches, patch_input, patch_dim): (usize, usize, usize),
    classes: usize,
) -> Result<usize> {
    for (name, v) in [
        ("input", input),
        ("hidden", hidden),
        ("dim", dim),
        ("patches", patches),
        ("patch input", patch_input),
        ("patch dim", patch_dim),
    ] {
        ensure_len(name, v, 1)?;
    }
    // ANCHOR: budget_search
    let budget = params(input, hidden, dim, classes);
    let per = |h: usize| patches * params(patch_input, h, patch_dim, classes);
    let mut h = 0;
    while per(h + 1) <= budget {
        h += 1;
        // ANCHOR_END: budget_search
    }
    ensure_len("hidden units within the budget", h, 1)?;
    Ok(h)
}
// ANCHOR_END: budget
