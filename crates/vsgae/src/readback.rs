//! Reading tensors back to the host.

use burn::tensor::Tensor;

/// The elements of a float tensor as `f32`, row-major.
pub fn try_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))
}

/// [`try_floats`], or nothing where the data cannot be read as `f32`.
pub fn floats<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    try_floats(tensor).unwrap_or_default()
}
