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
}

/// The devices the engine can use, and what they are, for the status bar and the page.
#[derive(Debug, Clone)]
pub struct ComputeDevices {
    pub gpu: Option<Device>,
    pub cpu: Device,
    /// What inference runs on, e.g. `WebGPU: SwiftShader Device` or `CPU (Burn flex)`.
    pub description: String,
    /// Why there is no GPU device, where there is none.
    pub gpu_error: Option<String>,
}

pub const CPU_DESCRIPTION: &str = "CPU (Burn flex)";

impl ComputeDevices {
    /// The CPU only.
    pub fn cpu_only(reason: impl Into<String>) -> Self {
        Self { gpu: None, cpu: Device::flex(), description: CPU_DESCRIPTION.to_owned(), gpu_error: Some(reason.into()) }
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

    /// The device for `choice`: the GPU where there is one.
    pub fn device(&self, choice: BackendChoice) -> Device {
        match (choice, &self.gpu) {
            (BackendChoice::Gpu, Some(gpu)) => gpu.clone(),
            _ => self.cpu.clone(),
        }
    }

    /// The name of `device`: this GPU's description, or the CPU's.
    pub fn name_of(&self, device: &Device) -> &str {
        if self.gpu.as_ref() == Some(device) { &self.description } else { CPU_DESCRIPTION }
    }

    /// The name of the device `choice` gives.
    pub fn name(&self, choice: BackendChoice) -> &str {
        match (choice, &self.gpu) {
            (BackendChoice::Gpu, Some(_)) => &self.description,
            _ => CPU_DESCRIPTION,
        }
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
