//! Which device candle computes on: the one place that knows about CUDA.
//!
//! Examples take `--device cpu|cuda` and call [`select`]; nothing else in an
//! example needs to know where its tensors live. CUDA support is compiled only
//! with the `cuda` cargo feature, because a binary built with it needs the CUDA
//! libraries to start at all.

use candle_core::Device;
use serde::Serialize;

use crate::error::{Error, Result};

/// The device asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The CPU (the default; always available).
    #[default]
    Cpu,
    /// The first CUDA GPU (needs the `cuda` feature and a GPU).
    Cuda,
}

/// Returns the candle device for `choice`.
///
/// # Errors
///
/// [`Error::Device`] when CUDA is asked for in a build without the `cuda`
/// feature, or when no usable GPU is found.
pub fn select(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda => cuda(),
    }
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Device> {
    Device::new_cuda(0).map_err(|e| Error::Device(format!("no usable CUDA GPU: {e}")))
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Device> {
    Err(Error::Device(
        "this build has no CUDA support; rebuild with `--features cuda` to use `--device cuda`"
            .into(),
    ))
}

/// A short description of `device` for run records ("cpu", "cuda:0").
pub fn describe(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(_) => "cuda:0".into(),
        Device::Metal(_) => "metal".into(),
    }
}

/// Makes candle's CPU kernels use one thread unless `RAYON_NUM_THREADS` is set.
///
/// On the two shared cores this project targets, a second candle thread was
/// measured to slow training down several times when another process is busy,
/// and one thread keeps timings comparable between runs. The run record states
/// the thread count either way.
///
/// # Safety
///
/// Sets an environment variable, which is only sound while no other thread
/// exists: call it first thing in `main`.
pub unsafe fn default_to_one_thread() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: the caller guarantees that no other thread exists yet.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
}
