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
/// Fails with [`Error::Device`] when CUDA is asked for in a build without the
/// `cuda` feature, or when no usable GPU is found.
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
