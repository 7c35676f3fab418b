//! Reading tensors back to the host.
//!
//! The `_async` forms are the ones to use in a browser, where WebGPU cannot be read
//! synchronously; the others block on them (native code, tests and the CLI). A failed read is an
//! error, never an empty result.

use burn::tensor::Tensor;

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
    let data = tensor.into_data_async().await.map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| ReadbackError(format!("{e:?}")))
}

/// Runs a readback future to completion on this thread (native code only).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}
