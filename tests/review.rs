//! Tests for the chapter "The deep-learning review: saddle points and
//! representations".

mod common;

use papernotes::review::experiments::{self as ex, Plan};

#[test]
fn smoke_quick_landscape() {
    let t = std::time::Instant::now();
    let s = ex::landscape(&Plan::quick(42)).unwrap();
    eprintln!("{:#?} {:?}", s.widths, t.elapsed());
    for p in &s.points {
        eprintln!("{p:?}");
    }
    assert!(!s.points.is_empty());
}
