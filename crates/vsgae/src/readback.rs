//! Reading tensors back to the host.
//!
//! The `_async` forms are the ones to use in a browser, where WebGPU cannot be read
//! synchronously; the others block on them (native code, tests and the CLI).

use burn::tensor::Tensor;

/// The elements of a float tensor as `f32`, row-major.
pub fn try_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))
}

/// [`try_floats`], or nothing where the data cannot be read as `f32`.
pub fn floats<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    try_floats(tensor).unwrap_or_default()
}

/// [`try_floats`] without blocking: the only readback WebGPU allows in a browser.
pub async fn try_floats_async<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = tensor.into_data_async().await.map_err(|e| format!("{e:?}"))?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))
}

/// [`floats`] without blocking.
pub async fn floats_async<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    try_floats_async(tensor).await.unwrap_or_default()
}

/// Runs a readback future to completion on this thread (native code only).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}
