//! Reading tensors back to the host.
//!
//! The `_async` forms are the ones to use in a browser, where WebGPU cannot be read
//! synchronously; the others block on them (native code, tests and the CLI). A failed read is an
//! error, never an empty result.
//!
//! Every readback of this crate goes through here, so [`readbacks`] counts the host–device
//! synchronisations a piece of work makes ([`crate::device_counts`]).

use std::sync::atomic::{AtomicU64, Ordering};

use burn::tensor::Tensor;

/// Readbacks so far in this process.
static READBACKS: AtomicU64 = AtomicU64::new(0);

/// How many times values were read back from a device so far in this process (on every backend;
/// on Burn's CPU backend a readback is a copy).
pub fn readbacks() -> u64 {
    READBACKS.load(Ordering::Relaxed)
}

/// Why values could not be read back from a device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading values back from the device failed: {0}")]
pub struct ReadbackError(pub String);

/// The elements of a float tensor as `f32`, row-major.
pub fn floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ReadbackError> {
    block_on(floats_async(tensor))
}

/// [`floats`] without blocking: the only readback WebGPU allows in a browser.
pub async fn floats_async<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ReadbackError> {
    READBACKS.fetch_add(1, Ordering::Relaxed);
    #[allow(clippy::disallowed_methods, reason = "the one place that reads floats back")]
    let data = tensor.into_data_async().await.map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| ReadbackError(format!("{e:?}")))
}

/// The one value of a single-element tensor (a loss), without blocking.
pub async fn scalar_async(tensor: Tensor<1>) -> Result<f32, ReadbackError> {
    let values = floats_async(tensor).await?;
    match values.as_slice() {
        [value] => Ok(*value),
        _ => Err(ReadbackError(format!("{} values came back where one was expected", values.len()))),
    }
}

/// [`scalar_async`], blocking (native code only).
pub fn scalar(tensor: Tensor<1>) -> Result<f32, ReadbackError> {
    block_on(scalar_async(tensor))
}

/// The elements of an integer tensor, row-major.
pub fn ints<const D: usize>(tensor: Tensor<D, burn::tensor::Int>) -> Result<Vec<i64>, ReadbackError> {
    READBACKS.fetch_add(1, Ordering::Relaxed);
    #[allow(clippy::disallowed_methods, reason = "the one place that reads integers back")]
    let data = block_on(tensor.into_data_async()).map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.convert::<i64>().try_into_vec::<i64>().map_err(|e| ReadbackError(format!("{e:?}")))
}

/// A device that gave no answer to [`probe_device`], in the words of the panics it raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device gave no answer: {}", .0.join("; "))]
pub struct DeviceSilent(pub Vec<String>);

/// Makes a tensor on `device` and reads it back: the one probe of a device. A wgpu device without
/// an adapter, or a CUDA device without a driver, panics on first use (on this thread or on the
/// device's own); the panics are caught and their messages kept, not printed. Native code only:
/// it blocks.
pub fn probe_device(device: &burn::tensor::Device) -> Result<(), DeviceSilent> {
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = said.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = crate::parallel::panic_message(info.payload());
        if let Ok(mut heard) = heard.lock() {
            heard.push(message);
        }
    }));
    let device = device.clone();
    #[allow(clippy::disallowed_methods, reason = "the one place that contains a device's panic")]
    let answered = std::panic::catch_unwind(move || floats(Tensor::<1>::zeros([1], &device)));
    std::panic::set_hook(previous);
    let said = said.lock().map(|said| said.clone()).unwrap_or_default();
    match answered {
        Ok(Ok(_)) if said.is_empty() => Ok(()),
        Ok(Err(error)) => Err(DeviceSilent(said.into_iter().chain([error.to_string()]).collect())),
        _ => Err(DeviceSilent(if said.is_empty() { vec!["it panicked".to_owned()] } else { said })),
    }
}

/// Whether [`probe_device`] gets an answer.
pub fn device_answers(device: &burn::tensor::Device) -> bool {
    probe_device(device).is_ok()
}

/// Runs a readback future to completion on this thread (native code only).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}
