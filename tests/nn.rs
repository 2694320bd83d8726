//! The shared candle plumbing: conversions, minibatches, optimisers, metrics.

use approx::assert_relative_eq;
use candle_core::{DType, Device, Tensor, Var};
use nalgebra::DMatrix;
use papernotes::Error;
use papernotes::nn::metrics::{Similarity, accuracy, auc, pair_scores, roc, tar_at_far};
use papernotes::nn::optim::Sgd;
use papernotes::nn::{Batches, Data, scalar, to_matrix, to_tensor};
use proptest::prelude::*;

proptest! {
    /// A matrix survives the round trip to an f64 tensor and back exactly.
    #[test]
    fn tensor_round_trip(rows in 1usize..6, cols in 1usize..6, seed in 0u64..1000) {
        let m = DMatrix::from_fn(rows, cols, |i, j| (seed as f64 + 1.3 * i as f64 - 0.7 * j as f64).sin());
        let back = to_matrix(&to_tensor(&m, DType::F64, &Device::Cpu).unwrap()).unwrap();
        prop_assert_eq!(back, m);
    }

    /// Every epoch visits every example exactly once, and the same seed
    /// gives the same order.
    #[test]
    fn batches_cover_each_example_once(n in 1usize..50, batch in 1usize..9, seed in 0u64..100) {
        let mut a = Batches::new(n, batch, seed).unwrap();
        let mut b = Batches::new(n, batch, seed).unwrap();
        for _ in 0..3 {
            let ea: Vec<Vec<u32>> = a.epoch(&Device::Cpu).unwrap().iter().map(|t| t.to_vec1().unwrap()).collect();
            let eb: Vec<Vec<u32>> = b.epoch(&Device::Cpu).unwrap().iter().map(|t| t.to_vec1().unwrap()).collect();
            prop_assert_eq!(&ea, &eb);
            prop_assert!(ea.iter().all(|c| !c.is_empty() && c.len() <= batch));
            let mut all: Vec<u32> = ea.concat();
            all.sort_unstable();
            prop_assert_eq!(all, (0..n as u32).collect::<Vec<_>>());
        }
    }

    /// AUC is the fraction of (genuine, impostor) pairs ordered correctly,
    /// ties one half, and lies in [0, 1].
    #[test]
    fn auc_counts_ordered_pairs(g in prop::collection::vec(-5i32..5, 1..12), i in prop::collection::vec(-5i32..5, 1..12)) {
        let g: Vec<f64> = g.into_iter().map(f64::from).collect();
        let i: Vec<f64> = i.into_iter().map(f64::from).collect();
        let mut count = 0.0;
        for &a in &g {
            for &b in &i {
                count += if a > b { 1.0 } else if a == b { 0.5 } else { 0.0 };
            }
        }
        let want = count / (g.len() * i.len()) as f64;
        prop_assert!((auc(&g, &i).unwrap() - want).abs() < 1e-12);
        let curve = roc(&g, &i).unwrap();
        prop_assert_eq!(*curve.last().unwrap(), (1.0, 1.0));
        prop_assert!(curve.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }
}

#[test]
fn metrics_reject_empty_and_non_finite_scores() {
    for (g, i) in [(&[][..], &[1.0][..]), (&[1.0][..], &[][..])] {
        assert!(matches!(auc(g, i), Err(Error::TooFew { .. })));
        assert!(matches!(roc(g, i), Err(Error::TooFew { .. })));
        assert!(matches!(tar_at_far(g, i, 0.1), Err(Error::TooFew { .. })));
    }
    assert!(matches!(
        auc(&[f64::NAN], &[0.0]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        tar_at_far(&[1.0], &[0.0], 1.5),
        Err(Error::InvalidParameter { .. })
    ));
    let f = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 0.1]);
    assert!(pair_scores(&f, &[0, 1], Similarity::Cosine).is_err());
    assert!(
        pair_scores(&f, &[0, 0, 0], Similarity::Cosine).is_err(),
        "no impostor pair"
    );
    let (g, i) = pair_scores(&f, &[0, 1, 0], Similarity::Cosine).unwrap();
    assert_eq!((g.len(), i.len()), (1, 2));
    assert_relative_eq!(tar_at_far(&g, &i, 0.0).unwrap(), 1.0);
}

#[test]
fn accuracy_counts_argmax_hits() {
    let dev = Device::Cpu;
    let scores = Tensor::from_vec(vec![0.9f32, 0.1, 0.2, 0.8, 0.6, 0.4], (3, 2), &dev).unwrap();
    let labels = Tensor::from_vec(vec![0u32, 1, 1], 3, &dev).unwrap();
    assert_relative_eq!(accuracy(&scores, &labels).unwrap(), 2.0 / 3.0);
    let none = Tensor::from_vec(Vec::<u32>::new(), 0, &dev).unwrap();
    assert!(accuracy(&scores, &none).is_err());
}

/// Momentum SGD as PyTorch defines it: `buf₁ = g₁`, `buf_t = μ buf_{t−1} + g_t`,
/// `p −= η buf_t`, checked on the quadratic `p²/2` (gradient `p`).
#[test]
fn sgd_momentum_matches_pytorch_recurrence() {
    let (lr, mu) = (0.1, 0.9);
    let v = Var::from_tensor(&Tensor::new(&[1.0f64], &Device::Cpu).unwrap()).unwrap();
    let mut sgd = Sgd::new(1, lr, mu).unwrap();
    let (mut p, mut buf) = (1.0f64, None::<f64>);
    for _ in 0..5 {
        let loss = (v.as_tensor().sqr().unwrap() * 0.5)
            .unwrap()
            .sum_all()
            .unwrap();
        sgd.step(std::slice::from_ref(&v), &loss.backward().unwrap())
            .unwrap();
        let g = p;
        let b = buf.map_or(g, |b| mu * b + g);
        buf = Some(b);
        p -= lr * b;
        let got: Vec<f64> = v.as_tensor().to_vec1().unwrap();
        assert_relative_eq!(got[0], p, epsilon = 1e-15);
    }
    assert!(Sgd::new(1, -0.1, 0.0).is_err());
    assert!(Sgd::new(1, 0.1, f64::NAN).is_err());
}

#[test]
fn data_checks_shapes_and_labels() {
    let x = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 2.0, 3.0]);
    assert!(matches!(
        Data::new(&x, &[0], DType::F32, &Device::Cpu),
        Err(Error::ShapeMismatch { .. })
    ));
    let d = Data::new(&x, &[0, 3], DType::F32, &Device::Cpu).unwrap();
    assert!(d.check_labels(4).is_ok());
    assert!(matches!(
        d.check_labels(3),
        Err(Error::InvalidParameter { .. })
    ));
    let idx = Tensor::new(&[1u32], &Device::Cpu).unwrap();
    let (xb, yb) = d.select(&idx).unwrap();
    assert_eq!(
        to_matrix(&xb).unwrap(),
        DMatrix::from_row_slice(1, 2, &[2.0, 3.0])
    );
    assert_eq!(yb.to_vec1::<u32>().unwrap(), vec![3]);
    assert_relative_eq!(
        scalar(&Tensor::new(2.5f32, &Device::Cpu).unwrap()).unwrap(),
        2.5
    );
}

/// A head defined outside the crate: the trainer needs nothing else. Its
/// schedule returns the iteration number, so the recorded weight shows that
/// the trainer counts minibatch iterations from 1 across epochs.
struct Counting;

impl papernotes::nn::Head for Counting {
    fn name(&self) -> String {
        "counting".into()
    }
    fn validate(&self) -> papernotes::Result<()> {
        Ok(())
    }
    fn angular(&self) -> bool {
        false
    }
    fn schedule(&self, t: u64) -> papernotes::Result<f64> {
        Ok(t as f64)
    }
    fn logits(
        &self,
        f: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _labels: Option<&Tensor>,
        _weight: f64,
    ) -> papernotes::Result<Tensor> {
        Ok(f.matmul(&w.t()?)?)
    }
}

#[test]
fn trainer_calls_any_head_and_advances_its_schedule_per_minibatch() {
    use papernotes::nn::train::{TrainConfig, train};
    let x = DMatrix::from_fn(10, 3, |i, j| ((i * 3 + j) as f64 * 0.37).sin());
    let y: Vec<usize> = (0..10).map(|i| i % 2).collect();
    let data = Data::new(&x, &y, DType::F32, &Device::Cpu).unwrap();
    let net = papernotes::nn::FeatureNet::new(3, 4, 2, 2, 7, &Device::Cpu).unwrap();
    let cfg = TrainConfig {
        epochs: 3,
        batch: 4,
        lr: 0.01,
        seed: 1,
    };
    let stats = train(&net, &Counting, &data, &data, &cfg).unwrap();
    // 10 examples in minibatches of 4: 3 iterations per epoch.
    let last: Vec<f64> = stats.iter().map(|s| s.lambda).collect();
    assert_eq!(last, vec![3.0, 6.0, 9.0]);
    assert!(stats.iter().all(|s| s.train_loss.is_finite()));
}

proptest! {
    /// `Sgd::apply` (fused, in place on the CPU) leaves the variable bit for
    /// bit where candle's tensor operations put it: `buf = g` first, then
    /// `buf = buf · μ + g`, and `p = p − buf · η`, in `f32` and `f64`, with and
    /// without momentum; a transposed (non-contiguous) gradient takes the
    /// tensor-operation path and agrees too.
    #[test]
    fn fused_sgd_update_matches_candle_ops_bit_for_bit(
        values in prop::collection::vec(-10.0f64..10.0, 12),
        grads in prop::collection::vec(prop::collection::vec(-10.0f64..10.0, 12), 1..5),
        lr in 1e-4f64..1.0,
        momentum in prop_oneof![Just(0.0), 0.0f64..0.99],
        f32_dtype in any::<bool>(),
        transposed in any::<bool>(),
    ) {
        let dev = Device::Cpu;
        let dtype = if f32_dtype { DType::F32 } else { DType::F64 };
        let tensor = |v: &[f64]| {
            let t = Tensor::from_slice(v, (3, 4), &dev).unwrap().to_dtype(dtype).unwrap();
            if transposed {
                // Same values, stored as the transpose of a 4 × 3 tensor.
                t.t().unwrap().contiguous().unwrap().t().unwrap()
            } else {
                t
            }
        };
        let var = Var::from_tensor(&Tensor::from_slice(&values, (3, 4), &dev).unwrap().to_dtype(dtype).unwrap()).unwrap();
        let mut sgd = Sgd::new(1, lr, momentum).unwrap();
        let mut p = var.as_tensor().copy().unwrap();
        let mut buf: Option<Tensor> = None;
        for g in &grads {
            let g = tensor(g);
            sgd.apply(0, &var, &g).unwrap();
            let b = match &buf {
                Some(b) if momentum > 0.0 => ((b * momentum).unwrap() + &g).unwrap(),
                _ => g.clone(),
            };
            p = (&p - (&b * lr).unwrap()).unwrap();
            buf = Some(b);
            let bits = |t: &Tensor| -> Vec<u64> {
                t.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap()
                    .iter().map(|x| x.to_bits()).collect()
            };
            prop_assert_eq!(bits(var.as_tensor()), bits(&p));
        }
    }
}

#[test]
fn sgd_rejects_a_variable_index_it_was_not_set_up_for() {
    let dev = Device::Cpu;
    let v = Var::from_tensor(&Tensor::new(&[1.0f32], &dev).unwrap()).unwrap();
    let g = Tensor::new(&[1.0f32], &dev).unwrap();
    let mut sgd = Sgd::new(1, 0.1, 0.9).unwrap();
    let err = sgd.apply(1, &v, &g).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "variable index",
            ..
        }
    ));
    assert!(err.to_string().contains("1 variables"), "{err}");
    assert!(sgd.update(3, &g).is_err());
}
