//! Which backend a device is, and how many host threads work on it is worth splitting over:
//! every core for Burn's CPU backend, one for a GPU (whose kernels already use all of it).

use burn::tensor::Device;

/// The most threads work is split over.
pub const MAX_THREADS: usize = 16;

/// Every core natively (at most [`MAX_THREADS`]), one in a browser.
pub fn default_threads() -> usize {
    if cfg!(target_family = "wasm") {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// The threads worth splitting work over on `device`: every core for Burn's CPU backend, one
/// for a GPU.
pub fn host_threads(device: &Device) -> usize {
    if is_cpu(device) { default_threads() } else { 1 }
}

/// Whether `device` (with or without autodiff) is Burn's CPU backend, where a kernel launch
/// costs nothing and arithmetic is what to save; on a GPU it is the other way round.
pub fn is_cpu(device: &Device) -> bool {
    #[cfg(feature = "flex")]
    if device.clone().inner() == Device::flex() {
        return true;
    }
    let _ = device;
    false
}
