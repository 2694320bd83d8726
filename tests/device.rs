//! The candle models give the same outputs and gradients on the CPU and on the
//! selected accelerator.
//!
//! Each test builds one model twice from the same seed (once on the CPU, once
//! on the first CUDA device), runs the same small batch through both, and
//! compares the logits, the loss and the gradient of every parameter within a
//! float32 tolerance. Without the `cuda` feature or without a GPU the
//! accelerator cannot be selected, and each test says so and returns: the CPU
//! path is checked against independent references by the chapters' own tests.

use candle_core::{DType, Device, Tensor, Var};
use nalgebra::DMatrix;
use papernotes::device::{DeviceChoice, select};
use papernotes::nn::{FeatureNet, Head as _, to_matrix, to_tensor};
use papernotes::oecnn::experiments::Plan as OePlan;
use papernotes::oecnn::train::{Method as OeMethod, Model as OeModel};
use papernotes::rectifier::Activation;
use papernotes::rectifier::experiments::random_net;
use papernotes::rectifier::train::{Net, NetAct};
use papernotes::softmax::train::Head as SoftmaxHead;
use papernotes::sphereface::{Anneal, train::Head};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The accelerator, or `None` with the reason printed.
fn accelerator(model: &str) -> Option<Device> {
    match select(DeviceChoice::Cuda) {
        Ok(d) => Some(d),
        Err(e) => {
            println!("{model}: CPU-vs-GPU comparison skipped: {e}");
            None
        }
    }
}

/// Largest entry-wise difference, relative to the largest magnitude (at least 1).
fn rel_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    assert_eq!(
        a.shape(),
        b.shape(),
        "the two devices gave different shapes"
    );
    let scale = a.amax().max(b.amax()).max(1.0);
    (a - b).amax() / scale
}

/// float32 sums of a few hundred products, reordered by the GPU's kernels:
/// a few hundred ulps of 1.2e-7 at most.
const TOL: f64 = 1e-4;

fn batch(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    use rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

fn labels(n: usize, classes: usize, device: &Device) -> Tensor {
    let v: Vec<u32> = (0..n).map(|i| (i % classes) as u32).collect();
    Tensor::from_vec(v, n, device).unwrap()
}

/// Logits, loss and one gradient matrix per variable of a feature network
/// with `head`, on `device`.
/// The loss as a number and the gradient of each of `vars`, every gradient as a
/// matrix with its first dimension as rows (a bias becomes one column, a
/// convolution kernel one row per output channel).
fn loss_and_grads(loss: &Tensor, vars: &[Var]) -> (f64, Vec<DMatrix<f64>>) {
    let grads = loss.backward().unwrap();
    let g = vars
        .iter()
        .map(|v| {
            let t = grads
                .get(v.as_tensor())
                .expect("every variable gets a gradient");
            let rows = t.dim(0).unwrap();
            to_matrix(&t.reshape((rows, ())).unwrap()).unwrap()
        })
        .collect();
    let loss = loss
        .to_dtype(DType::F64)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    (loss, g)
}

fn feature_net_pass(head: &Head, device: &Device) -> (DMatrix<f64>, f64, Vec<DMatrix<f64>>) {
    let (n, input, classes) = (12, 16, 4);
    let net = FeatureNet::new(input, 20, 3, classes, 7, device).unwrap();
    let x = to_tensor(&batch(n, input, 1), DType::F32, device).unwrap();
    let y = labels(n, classes, device);
    let logits = net
        .logits(&x, Some(&y), head, head.schedule(1).unwrap())
        .unwrap();
    let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
    let (loss, g) = loss_and_grads(&loss, &net.vars(head));
    (to_matrix(&logits).unwrap(), loss, g)
}

fn compare_feature_net(head: Head) {
    let Some(gpu) = accelerator(&head.name()) else {
        return;
    };
    let (l_cpu, loss_cpu, g_cpu) = feature_net_pass(&head, &Device::Cpu);
    let (l_gpu, loss_gpu, g_gpu) = feature_net_pass(&head, &gpu);
    assert!(
        rel_diff(&l_cpu, &l_gpu) < TOL,
        "{}: logits differ",
        head.name()
    );
    assert!((loss_cpu - loss_gpu).abs() < TOL * loss_cpu.abs().max(1.0));
    for (i, (a, b)) in g_cpu.iter().zip(&g_gpu).enumerate() {
        assert!(
            rel_diff(a, b) < TOL,
            "{}: gradient of variable {i} differs",
            head.name()
        );
    }
}

#[test]
fn softmax_head_is_the_same_on_cpu_and_gpu() {
    compare_feature_net(Head::Softmax { bias: true });
}

#[test]
fn weight_normalised_head_is_the_same_on_cpu_and_gpu() {
    compare_feature_net(Head::WeightNorm);
}

#[test]
fn normface_head_is_the_same_on_cpu_and_gpu() {
    compare_feature_net(Head::NormFace { scale: 16.0 });
}

#[test]
fn a_softmax_head_is_the_same_on_cpu_and_gpu() {
    compare_feature_net(Head::ASoftmax {
        m: 4,
        anneal: Anneal::sphereface(),
    });
}

#[test]
fn rectifier_network_is_the_same_on_cpu_and_gpu() {
    let Some(gpu) = accelerator("rectifier MLP") else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(3);
    let mlp = random_net(&[16, 24, 24, 4], Activation::Relu, 0.1, &mut rng).unwrap();
    let x = batch(12, 16, 2);
    let pass = |device: &Device| {
        let net = Net::from_mlp(&mlp, NetAct::Fixed(Activation::Relu), DType::F32, device).unwrap();
        let xt = to_tensor(&x, DType::F32, device).unwrap();
        let out = to_matrix(&net.forward(&xt).unwrap().out).unwrap();
        let (loss, g) = net
            .loss_and_grads_classes(&xt, &labels(12, 4, device))
            .unwrap();
        (out, loss, g)
    };
    let (o_cpu, loss_cpu, g_cpu) = pass(&Device::Cpu);
    let (o_gpu, loss_gpu, g_gpu) = pass(&gpu);
    assert!(rel_diff(&o_cpu, &o_gpu) < TOL, "outputs differ");
    assert!((loss_cpu - loss_gpu).abs() < TOL * loss_cpu.abs().max(1.0));
    for (a, b) in g_cpu.weights.iter().zip(&g_gpu.weights) {
        assert!(rel_diff(a, b) < TOL, "a weight gradient differs");
    }
    for (a, b) in g_cpu.biases.iter().zip(&g_gpu.biases) {
        let (a, b) = (
            DMatrix::from_column_slice(a.len(), 1, a.as_slice()),
            DMatrix::from_column_slice(b.len(), 1, b.as_slice()),
        );
        assert!(rel_diff(&a, &b) < TOL, "a bias gradient differs");
    }
}

/// Logits-to-loss of one OE-chapter model (`papernotes::oecnn`) on `device`:
/// the minibatch loss and the gradient of every variable, read-out included.
fn oecnn_pass(method: OeMethod, device: &Device) -> (f64, Vec<DMatrix<f64>>) {
    let n = 12;
    let settings = OePlan::quick(5, Device::Cpu).settings;
    let model = OeModel::new(method, &settings, 4, 9, device).unwrap();
    let x = to_tensor(&batch(n, 64, 3).abs(), DType::F32, device).unwrap();
    let y = labels(n, 4, device);
    let ages: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let z = to_tensor(&DMatrix::from_column_slice(n, 1, &ages), DType::F32, device).unwrap();
    let loss = model.batch_loss(&x, &y, &z, 0.5).unwrap();
    let mut vars = model.net.vars(&SoftmaxHead::Softmax { bias: false });
    vars.extend(model.readout.iter().cloned());
    loss_and_grads(&loss, &vars)
}

#[test]
fn oecnn_models_are_the_same_on_cpu_and_gpu() {
    let Some(gpu) = accelerator("OE-CNN chapter models") else {
        return;
    };
    for method in OeMethod::ALL {
        let (loss_cpu, g_cpu) = oecnn_pass(method, &Device::Cpu);
        let (loss_gpu, g_gpu) = oecnn_pass(method, &gpu);
        assert!(
            (loss_cpu - loss_gpu).abs() < TOL * loss_cpu.abs().max(1.0),
            "{}: loss {loss_cpu} on the CPU, {loss_gpu} on the GPU",
            method.name()
        );
        assert_eq!(g_cpu.len(), g_gpu.len());
        for (i, (a, b)) in g_cpu.iter().zip(&g_gpu).enumerate() {
            assert!(
                rel_diff(a, b) < TOL,
                "{}: gradient of variable {i} differs",
                method.name()
            );
        }
    }
}

#[test]
fn autoencoder_is_the_same_on_cpu_and_gpu() {
    use papernotes::pca_ae::autoencoder::{Arch, Autoencoder};
    let Some(gpu) = accelerator("pca_ae autoencoder") else {
        return;
    };
    let x = batch(12, 10, 4);
    for arch in [Arch::linear(), Arch::tanh(&[16, 8])] {
        let pass = |device: &Device| {
            let ae = Autoencoder::new(10, 3, &arch, 5, device).unwrap();
            let xt = to_tensor(&x, DType::F32, device).unwrap();
            let out = ae.decode(&ae.encode(&xt).unwrap()).unwrap();
            let loss = candle_nn::loss::mse(&out, &xt).unwrap();
            let (loss, g) = loss_and_grads(&loss, &ae.vars());
            (to_matrix(&out).unwrap(), loss, g)
        };
        let (o_cpu, loss_cpu, g_cpu) = pass(&Device::Cpu);
        let (o_gpu, loss_gpu, g_gpu) = pass(&gpu);
        let name = arch.name();
        assert!(rel_diff(&o_cpu, &o_gpu) < TOL, "{name}: outputs differ");
        assert!((loss_cpu - loss_gpu).abs() < TOL * loss_cpu.abs().max(1.0));
        for (i, (a, b)) in g_cpu.iter().zip(&g_gpu).enumerate() {
            assert!(
                rel_diff(a, b) < TOL,
                "{name}: gradient of variable {i} differs"
            );
        }
    }
}

#[test]
fn review_conv_classifier_is_the_same_on_cpu_and_gpu() {
    use papernotes::review::cnn::ConvNet;
    let Some(gpu) = accelerator("review convolutional classifier") else {
        return;
    };
    let (n, side, classes) = (6, 10, 4);
    let images = batch(n * side, side, 4);
    let pass = |device: &Device| {
        let net = ConvNet::new(3, classes, (side, side), 5, device).unwrap();
        let x = to_tensor(&images, DType::F32, device)
            .unwrap()
            .reshape((n, 1, side, side))
            .unwrap();
        let y = labels(n, classes, device);
        let logits = net.logits(&x).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
        let (loss, g) = loss_and_grads(&loss, &net.vars());
        (to_matrix(&logits).unwrap(), loss, g)
    };
    let (l_cpu, loss_cpu, g_cpu) = pass(&Device::Cpu);
    let (l_gpu, loss_gpu, g_gpu) = pass(&gpu);
    assert!(rel_diff(&l_cpu, &l_gpu) < TOL, "logits differ");
    assert!((loss_cpu - loss_gpu).abs() < TOL * loss_cpu.abs().max(1.0));
    for (i, (a, b)) in g_cpu.iter().zip(&g_gpu).enumerate() {
        assert!(rel_diff(a, b) < TOL, "gradient of variable {i} differs");
    }
}
