//! Criterion benchmark of the OE-CNN chapter: the OE loss forward and
//! backward on a minibatch of 64 digits (network 64 → 64 → 16, 10 classes),
//! against plain softmax and A-Softmax on the same batch.
//! Run with `cargo bench --bench oecnn`.

use std::hint::black_box;

use candle_core::{DType, Device, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use papernotes::nn::to_tensor;
use papernotes::oecnn::experiments::Plan;
use papernotes::oecnn::train::{Method, Model};

fn benches(c: &mut Criterion) {
    let dev = Device::Cpu;
    let settings = Plan::full(42, dev.clone()).settings;
    let x = DMatrix::from_fn(64, 64, |i, j| ((i * 64 + j) as f64 * 0.37).sin().abs());
    let x = to_tensor(&x, DType::F32, &dev).expect("a 64 × 64 tensor");
    let y: Vec<u32> = (0..64).map(|i| i % 10).collect();
    let y = Tensor::from_vec(y, 64, &dev).expect("labels");
    let z: Vec<f32> = (0..64).map(|i| i as f32 / 63.0).collect();
    let z = Tensor::from_vec(z, (64, 1), &dev).expect("ages");
    for method in [Method::Softmax, Method::ASoftmax, Method::Oe] {
        let model = Model::new(method, &settings, 10, 1, &dev).expect("a model");
        c.bench_function(
            &format!("{} loss forward+backward, batch 64", method.name()),
            |b| {
                b.iter(|| {
                    let loss = model.batch_loss(black_box(&x), &y, &z, 5.0).expect("loss");
                    loss.backward().expect("gradients")
                })
            },
        );
    }
}

criterion_group!(group, benches);
criterion_main!(group);
