//! The data loaders: what ships loads, and what is missing or corrupt gives a typed error.

use papernotes::Error;
use papernotes::data::faces::{Face, parse_pts};
use papernotes::data::{Gray, Mesh, breast_cancer, digits};

#[test]
fn shipped_data_sets_load_with_their_documented_sizes() {
    let (x, y) = digits::load().unwrap();
    assert_eq!((x.nrows(), x.ncols(), y.len()), (1797, 64, 1797));
    let (f, l) = breast_cancer::load().unwrap();
    assert_eq!((f.nrows(), f.ncols(), l.len()), (569, 30, 569));
    assert!(l.iter().all(|&v| v == 0.0 || v == 1.0));
    let m = Mesh::load().unwrap();
    assert_eq!(
        (m.vertices.len(), m.triangles.len(), m.anchors().len()),
        (468, 898, 68)
    );
    for name in ["einstein", "takeo"] {
        let face = Face::load(name).unwrap();
        assert_eq!(face.landmarks.len(), 68);
    }
}

#[test]
fn missing_and_corrupt_files_are_typed_errors() {
    assert!(matches!(Face::load("nobody"), Err(Error::Io { .. })));
    let dir = std::env::temp_dir().join(format!("papernotes-data-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.jpg");
    std::fs::write(&bad, b"not an image").unwrap();
    assert!(matches!(Gray::load(&bad), Err(Error::Data(_))));
    assert!(matches!(
        Gray::load(&dir.join("absent.png")),
        Err(Error::Io { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(
        parse_pts("n_points: 2\n{\n1 2\n}\n"),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(parse_pts("{\n1 x\n}\n"), Err(Error::Data(_))));
}
