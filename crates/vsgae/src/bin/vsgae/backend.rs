//! Choosing where tensors live.

use burn::tensor::Device;

/// A backend named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend.
    Cpu,
    /// Burn's wgpu backend (Vulkan/Metal/DX12).
    Wgpu,
    /// Burn's CUDA backend (NVIDIA GPUs; needs the driver, and $CUDA_PATH/nvvm/libdevice/libdevice.10.bc,
    /// at run time).
    Cuda,
}

impl Backend {
    /// The device, with autodiff for training.
    pub fn device(self, autodiff: bool) -> anyhow::Result<Device> {
        let device = match self {
            Self::Cpu => Device::flex(),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(not(feature = "wgpu"))]
            Self::Wgpu => anyhow::bail!("this build has no wgpu backend (build with --features wgpu)"),
            #[cfg(feature = "cuda")]
            Self::Cuda => vsgae::cuda_runtime::cuda_device(0)?,
            #[cfg(not(feature = "cuda"))]
            Self::Cuda => anyhow::bail!("this build has no CUDA backend (build with --features cuda)"),
        };
        Ok(if autodiff { device.autodiff() } else { device })
    }
}
