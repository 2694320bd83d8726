//! Criterion benchmarks of the alignment chapter: the bilinear and nearest warps
//! of the Einstein photo (817 × 1024), into a new or a reused output, and each least-squares fit on 68 landmarks.
//! Run with `cargo bench --bench alignment`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::Vector2;
use papernotes::alignment::camera::AffineCamera;
use papernotes::alignment::fit::{Family, Transform2, fit};
use papernotes::alignment::warp::{
    Interp, Kernel, warp, warp_affine_bilinear, warp_affine_bilinear_into,
};
use papernotes::data::{Face, Mesh};

fn benches(c: &mut Criterion) {
    let einstein = Face::load("einstein").expect("data/faces ships with the crate");
    let takeo = Face::load("takeo").expect("data/faces ships with the crate");
    let mesh = Mesh::load().expect("data/mesh ships with the crate");
    let img = &einstein.image;
    let centre = Vector2::new(img.width as f64 / 2.0, img.height as f64 / 2.0);
    let shift = |v: Vector2<f64>| Transform2::similarity(1.0, 0.0, v);
    let t = shift(centre)
        .after(&Transform2::similarity(
            1.0 / 0.9,
            7f64.to_radians(),
            Vector2::zeros(),
        ))
        .after(&shift(-centre));
    for interp in [Interp::Bilinear, Interp::Nearest] {
        c.bench_function(&format!("warp einstein 817x1024 {}", interp.name()), |b| {
            b.iter(|| warp(black_box(img), &t, img.width, img.height, interp).unwrap())
        });
    }
    for kernel in [Kernel::Portable, Kernel::Simd] {
        if kernel.available() {
            let name = format!("warp einstein 817x1024 bilinear, {} kernel", kernel.name());
            c.bench_function(&name, |b| {
                b.iter(|| {
                    warp_affine_bilinear(black_box(img), &t, img.width, img.height, kernel).unwrap()
                })
            });
            let mut out = img.clone();
            c.bench_function(&format!("{name}, into a reused buffer"), |b| {
                b.iter(|| warp_affine_bilinear_into(black_box(img), &t, &mut out, kernel).unwrap())
            });
        }
    }
    let mut copy = img.data.clone();
    c.bench_function("copy einstein 817x1024 f32 (memory floor)", |b| {
        b.iter(|| copy.copy_from_slice(black_box(&img.data)))
    });
    for family in Family::ALL {
        c.bench_function(&format!("fit {} 68 points", family.name()), |b| {
            b.iter(|| fit(family, black_box(&einstein.landmarks), &takeo.landmarks).unwrap())
        });
    }
    let anchors = mesh.anchors();
    c.bench_function("fit affine camera 68 points", |b| {
        b.iter(|| AffineCamera::fit(black_box(&takeo.landmarks), &anchors).unwrap())
    });
}

criterion_group!(alignment, benches);
criterion_main!(alignment);
