//! Choosing the devices: wgpu (Vulkan/Metal/DX12 natively, WebGPU in the browser) where an
//! adapter exists, Burn's CPU backend otherwise.

use burn::tensor::Device;

/// Which device a job runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum BackendChoice {
    /// The GPU device where there is one, else the CPU.
    #[default]
    Gpu,
    /// Burn's pure-Rust CPU backend.
    Cpu,
    /// Burn's CUDA backend, in a build with the `cuda` feature where an NVIDIA driver answers;
    /// else as [`BackendChoice::Gpu`].
    Cuda,
}

impl BackendChoice {
    /// The choices this build offers, with their names in the train form.
    pub fn offered() -> &'static [(BackendChoice, &'static str)] {
        if cfg!(feature = "cuda") {
            &[(Self::Gpu, "GPU (wgpu)"), (Self::Cuda, "GPU (CUDA)"), (Self::Cpu, "CPU")]
        } else {
            &[(Self::Gpu, "GPU (wgpu)"), (Self::Cpu, "CPU")]
        }
    }
}

/// The devices the engine can use, and what they are, for the status bar and the page.
#[derive(Debug, Clone)]
pub struct ComputeDevices {
    pub gpu: Option<Device>,
    /// Burn's CUDA device, where the build has it and a driver answers.
    pub cuda: Option<Device>,
    pub cpu: Device,
    /// What inference runs on, e.g. `WebGPU: SwiftShader Device` or `CPU (Burn flex)`.
    pub description: String,
    /// Why there is no GPU device, where there is none.
    pub gpu_error: Option<String>,
}

pub const CPU_DESCRIPTION: &str = "CPU (Burn flex)";
const CUDA_DESCRIPTION: &str = "CUDA (Burn cuda)";

/// Burn's CUDA device where the build has it, the driver answers and libdevice is found
/// ([`vsgae::cuda_runtime::cuda_device`]).
fn cuda_device() -> Option<Device> {
    #[cfg(all(feature = "cuda", not(target_arch = "wasm32")))]
    {
        match vsgae::cuda_runtime::cuda_device(0) {
            Ok(device) => return Some(device),
            Err(missing) => log::info!("no CUDA backend: {missing}"),
        }
    }
    None
}

impl ComputeDevices {
    /// The CPU only.
    pub fn cpu_only(reason: impl Into<String>) -> Self {
        Self {
            gpu: None,
            cuda: None,
            cpu: Device::flex(),
            description: CPU_DESCRIPTION.to_owned(),
            gpu_error: Some(reason.into()),
        }
    }

    /// Asks wgpu for an adapter, falling back to the CPU.
    pub async fn acquire(prefer_gpu: bool) -> Self {
        if !prefer_gpu {
            return Self::cpu_only("the CPU backend was chosen");
        }
        if let Some(reason) = super::platform::missing_gpu_api() {
            return Self::cpu_only(reason);
        }
        match Device::wgpu_options().init_with_setup_async().await {
            Ok((device, setup)) => {
                let info = setup.adapter.get_info();
                let api = super::platform::gpu_api_name(&format!("{:?}", info.backend));
                Self {
                    gpu: Some(device),
                    cuda: cuda_device(),
                    cpu: Device::flex(),
                    description: format!("{api}: {}", adapter_name(&info).await),
                    gpu_error: None,
                }
            }
            Err(error) => {
                // wgpu's own words (every backend it tried) go to the log, plain words to the user.
                log::info!("no wgpu adapter: {error}");
                Self::cpu_only(if cfg!(target_arch = "wasm32") {
                    "this browser offers WebGPU but no adapter for it (the GPU may be switched off or not supported)"
                } else {
                    "no GPU with Vulkan, Metal or DirectX 12 was found"
                })
            }
        }
    }

    /// The device for `choice`: the GPU where there is one (CUDA where chosen and answering).
    pub fn device(&self, choice: BackendChoice) -> Device {
        match (choice, &self.cuda, &self.gpu) {
            (BackendChoice::Cuda, Some(cuda), _) => cuda.clone(),
            (BackendChoice::Gpu | BackendChoice::Cuda, _, Some(gpu)) => gpu.clone(),
            _ => self.cpu.clone(),
        }
    }

    /// The name of `device`: this GPU's description, or the CPU's.
    pub fn name_of(&self, device: &Device) -> &str {
        if self.cuda.as_ref() == Some(device) {
            CUDA_DESCRIPTION
        } else if self.gpu.as_ref() == Some(device) {
            &self.description
        } else {
            CPU_DESCRIPTION
        }
    }

    /// The name of the device `choice` gives.
    pub fn name(&self, choice: BackendChoice) -> &str {
        self.name_of(&self.device(choice))
    }
}

/// The adapter's name, or what the browser tells of it (browsers often leave the name empty).
async fn adapter_name(info: &burn::tensor::wgpu::wgpu::AdapterInfo) -> String {
    if !info.name.is_empty() {
        return info.name.clone();
    }
    if let Some(name) = super::platform::browser_adapter_name().await {
        return name;
    }
    let parts: Vec<&str> =
        [info.driver.as_str(), info.driver_info.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
    if parts.is_empty() { format!("{:?} adapter", info.device_type) } else { parts.join(" ") }
}
