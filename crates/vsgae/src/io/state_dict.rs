//! Weights by the reference's parameter names: import from `.safetensors` and `.pt` state
//! dicts, export to `.safetensors`, so a model moves both ways between this project and PyTorch.
//!
//! PyTorch stores a linear layer's weight as `[out, in]`; Burn as `[in, out]`. The conversions
//! here transpose, so files stay in PyTorch's layout.

use std::collections::BTreeMap;

use burn::module::Param;
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use nasbench::formats::torch::{TensorData as TorchData, TorchFile};

/// Why weights could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a state dict: why.
    #[error("not a safetensors file or a torch state dict: {0}")]
    Format(String),
    /// A tensor the model needs is not in the state dict: its name.
    #[error("parameter {0} is missing")]
    Missing(String),
    /// A tensor of the wrong shape.
    #[error("parameter {name} has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The tensor's name.
        name: String,
        /// The shape the model needs.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor of the state dict that no parameter took: its name.
    #[error("parameters not used by the model: {0}")]
    Unused(String),
}

/// One tensor: its shape and its values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// Its values in row-major order.
    pub values: Vec<f32>,
}

/// How a `.safetensors` file stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Precision {
    /// 32-bit floats: the values exactly (checkpoints, trained models).
    #[default]
    F32,
    /// IEEE half floats: half the bytes, each value rounded to 11 significant bits (for models
    /// to download, where the prediction change is measured first).
    F16,
    /// 8-bit integers with one f32 scale per row (the first dimension) of every tensor of two or
    /// more dimensions, `value ≈ scale · q` with `q` in −127..=127 and `scale` the row's largest
    /// magnitude over 127; one-dimensional tensors (biases) stay f16. A quarter of the bytes;
    /// each weight moves by at most half its row's step (for models to download, where the
    /// prediction change is measured first).
    Int8,
}

/// The suffix of the tensor that holds an int8 tensor's row scales (`name` + `SCALE_SUFFIX`).
const SCALE_SUFFIX: &str = ":scale";

/// The f32 values of a safetensors F32 buffer.
fn little_endian_f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `values` as rows of `width`, each stored as int8 steps of its own scale.
fn quantize_rows(values: &[f32], width: usize) -> (Vec<u8>, Vec<f32>) {
    let mut steps = Vec::with_capacity(values.len());
    let mut scales = Vec::with_capacity(values.len() / width.max(1));
    for row in values.chunks(width.max(1)) {
        let largest = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        scales.push(scale);
        steps.extend(row.iter().map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8 as u8));
    }
    (steps, scales)
}

/// Float tensors by PyTorch parameter name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateDict {
    /// The tensors by their PyTorch names.
    pub tensors: BTreeMap<String, NamedTensor>,
    /// Tensors saved into a [`StateDict::deferred`] dict, not yet read back.
    pending: PendingTensors,
}

/// Device tensors waiting for an asynchronous readback (see [`StateDict::deferred`]).
#[derive(Debug, Clone, Default)]
struct PendingTensors {
    deferred: bool,
    tensors: Vec<(String, Vec<usize>, Tensor<1>)>,
    /// The first tensor that could not be read back when saved; [`StateDict::to_safetensors`]
    /// reports it.
    failure: Option<String>,
}

impl PartialEq for PendingTensors {
    /// Pending tensors compare by name and shape; their values are not on the host yet.
    fn eq(&self, other: &Self) -> bool {
        self.deferred == other.deferred
            && self.failure == other.failure
            && self.tensors.len() == other.tensors.len()
            && self.tensors.iter().zip(&other.tensors).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

impl StateDict {
    /// An empty dict that keeps saved tensors on their device until
    /// [`StateDict::read_back_async`]: the way to export weights where the device cannot be read
    /// synchronously (WebGPU in a browser).
    pub fn deferred() -> Self {
        Self { pending: PendingTensors { deferred: true, ..PendingTensors::default() }, ..Self::default() }
    }

    /// Reads back the tensors a [`StateDict::deferred`] dict holds, without blocking.
    pub async fn read_back_async(mut self) -> Result<Self, ImportError> {
        for (name, shape, tensor) in std::mem::take(&mut self.pending.tensors) {
            let values = crate::readback::floats_async(tensor)
                .await
                .map_err(|e| ImportError::Format(format!("reading {name} back: {e}")))?;
            self.tensors.insert(name, NamedTensor { shape, values });
        }
        self.pending.deferred = false;
        Ok(self)
    }

    /// Reads a `.safetensors` file or a `torch.save`d state dict (legacy or zip), by content.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ImportError> {
        if nasbench::formats::torch::is_legacy(bytes) || nasbench::formats::torch::is_torch_zip(bytes) {
            Self::from_torch(bytes)
        } else {
            Self::from_safetensors(bytes)
        }
    }

    /// Reads a `.safetensors` file of f32, f16 or row-scaled int8 tensors ([`Precision`]; f16
    /// values widen exactly to f32, int8 ones become `scale · q`).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ImportError> {
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| ImportError::Format(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            let is_int8 = |base: &str| file.tensor(base).is_ok_and(|t| t.dtype() == safetensors::Dtype::I8);
            if name.strip_suffix(SCALE_SUFFIX).is_some_and(is_int8) {
                continue;
            }
            let values = match view.dtype() {
                safetensors::Dtype::I8 => {
                    let rows = view.shape().first().copied().unwrap_or(1);
                    let scale_name = format!("{name}{SCALE_SUFFIX}");
                    let scales = file
                        .tensor(&scale_name)
                        .ok()
                        .filter(|s| s.dtype() == safetensors::Dtype::F32 && s.shape() == [rows])
                        .ok_or_else(|| {
                            ImportError::Format(format!("{name} is int8 without {rows} f32 scales in {scale_name}"))
                        })?;
                    let width = view.data().len() / rows.max(1);
                    // Row by row into one allocation (a flat-mapped collect grows it many times).
                    let mut values = Vec::with_capacity(view.data().len());
                    for (row, scale) in view.data().chunks(width.max(1)).zip(little_endian_f32s(scales.data())) {
                        values.extend(row.iter().map(|&q| scale * f32::from(q as i8)));
                    }
                    values
                }
                safetensors::Dtype::F32 => little_endian_f32s(view.data()).collect(),
                safetensors::Dtype::F16 => {
                    view.data().chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()
                }
                other => return Err(ImportError::Format(format!("{name} is {other:?}, expected F32, F16 or I8"))),
            };
            tensors.insert(name, NamedTensor { shape: view.shape().to_vec(), values });
        }
        Ok(Self { tensors, ..Self::default() })
    }

    /// Reads a `torch.save`d state dict with the safe unpickler of `nasbench`.
    pub fn from_torch(bytes: &[u8]) -> Result<Self, ImportError> {
        let file = TorchFile::from_bytes(bytes).map_err(|e| ImportError::Format(e.to_string()))?;
        let state = file.state_dict().map_err(|e| ImportError::Format(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, shape, data) in state {
            let TorchData::F64(values) = data else {
                return Err(ImportError::Format(format!("{name} is not a float tensor")));
            };
            let shape = shape.into_iter().map(|d| d as usize).collect();
            tensors.insert(name, NamedTensor { shape, values: values.into_iter().map(|v| v as f32).collect() });
        }
        Ok(Self { tensors, ..Self::default() })
    }

    /// Writes a `.safetensors` file of f32 tensors.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, ImportError> {
        self.to_safetensors_as(Precision::F32)
    }

    /// Writes a `.safetensors` file in `precision` (f16 rounds each value to the nearest half).
    pub fn to_safetensors_as(&self, precision: Precision) -> Result<Vec<u8>, ImportError> {
        if let Some(failure) = &self.pending.failure {
            return Err(ImportError::Format(failure.clone()));
        }
        let half =
            |values: &[f32]| -> Vec<u8> { values.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect() };
        let floats = |values: &[f32]| -> Vec<u8> { values.iter().flat_map(|v| v.to_le_bytes()).collect() };
        let mut encoded: Vec<(String, safetensors::Dtype, Vec<u8>, Vec<usize>)> = Vec::new();
        for (name, t) in &self.tensors {
            let (dtype, data) = match precision {
                Precision::F32 => (safetensors::Dtype::F32, floats(&t.values)),
                Precision::Int8 if t.shape.len() >= 2 => {
                    let rows = t.shape[0];
                    let (steps, scales) = quantize_rows(&t.values, t.values.len() / rows.max(1));
                    let scale_name = format!("{name}{SCALE_SUFFIX}");
                    encoded.push((scale_name, safetensors::Dtype::F32, floats(&scales), vec![rows]));
                    (safetensors::Dtype::I8, steps)
                }
                Precision::F16 | Precision::Int8 => (safetensors::Dtype::F16, half(&t.values)),
            };
            encoded.push((name.clone(), dtype, data, t.shape.clone()));
        }
        let views = encoded
            .iter()
            .map(|(name, dtype, data, shape)| {
                safetensors::tensor::TensorView::new(*dtype, shape.clone(), data)
                    .map(|view| (name.clone(), view))
                    .map_err(|e| ImportError::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None).map_err(|e| ImportError::Format(e.to_string()))
    }

    /// The element-wise mean of `dicts` (weight averaging, e.g. of a run's last checkpoints),
    /// summed in f64. Every dict must hold the same tensors, by name and shape, all on the host.
    pub fn mean(dicts: &[StateDict]) -> Result<StateDict, ImportError> {
        let Some(first) = dicts.first() else {
            return Err(ImportError::Format("no weights to average".to_owned()));
        };
        if let Some(pending) = dicts.iter().find(|d| !d.pending.tensors.is_empty() || d.pending.failure.is_some()) {
            let name = pending.pending.tensors.first().map_or("a tensor", |t| t.0.as_str());
            return Err(ImportError::Format(format!("{name} is still on its device; read it back first")));
        }
        let mut tensors = BTreeMap::new();
        for (name, tensor) in &first.tensors {
            let mut sums = vec![0f64; tensor.values.len()];
            for dict in dicts {
                let other = dict.tensors.get(name).ok_or_else(|| ImportError::Missing(name.clone()))?;
                if other.shape != tensor.shape {
                    return Err(ImportError::Shape {
                        name: name.clone(),
                        expected: tensor.shape.clone(),
                        found: other.shape.clone(),
                    });
                }
                for (sum, value) in sums.iter_mut().zip(&other.values) {
                    *sum += f64::from(*value);
                }
            }
            let values = sums.iter().map(|sum| (sum / dicts.len() as f64) as f32).collect();
            tensors.insert(name.clone(), NamedTensor { shape: tensor.shape.clone(), values });
        }
        if let Some(extra) = dicts.iter().flat_map(|d| d.tensors.keys()).find(|name| !first.tensors.contains_key(*name))
        {
            return Err(ImportError::Unused(extra.clone()));
        }
        Ok(Self { tensors, ..Self::default() })
    }

    /// Fails if any tensor was not taken by the model.
    pub fn finish(self) -> Result<(), ImportError> {
        if self.tensors.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Unused(self.tensors.into_keys().collect::<Vec<_>>().join(", ")))
        }
    }

    /// Removes the tensor `name`, which must have shape `expected`.
    pub(crate) fn take(&mut self, name: &str, expected: &[usize]) -> Result<NamedTensor, ImportError> {
        let tensor = self.tensors.remove(name).ok_or_else(|| ImportError::Missing(name.to_owned()))?;
        if tensor.shape != expected {
            return Err(ImportError::Shape { name: name.to_owned(), expected: expected.to_vec(), found: tensor.shape });
        }
        Ok(tensor)
    }

    /// Stores `tensor` as `name` (read back now, or later for a deferred dict).
    pub(crate) fn put<const D: usize>(&mut self, name: String, tensor: Tensor<D>) {
        let shape = tensor.dims().to_vec();
        if self.pending.deferred {
            self.pending.tensors.push((name, shape, tensor.flatten::<1>(0, D - 1)));
            return;
        }
        match crate::readback::floats(tensor) {
            Ok(values) => {
                self.tensors.insert(name, NamedTensor { shape, values });
            }
            Err(error) => {
                self.pending.failure.get_or_insert_with(|| format!("reading {name} back: {error}"));
            }
        }
    }
}

pub(crate) fn tensor<const D: usize>(t: NamedTensor, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(t.values, shape), device)
}

/// Modules that read and write their parameters under the reference's names.
pub trait ReferenceParams: Sized {
    /// Replaces this module's parameters with the tensors named `prefix…`, removing them.
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError>;
    /// Writes this module's parameters under `prefix…`.
    fn save(&self, weights: &mut StateDict, prefix: &str);
}

impl ReferenceParams for Linear {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let [d_input, d_output] = lazy_dims(&self.weight);
        let weight = weights.take(&format!("{prefix}weight"), &[d_output, d_input])?;
        // Transposed on the host so the parameter is contiguous, exactly as one that training
        // produced (a strided view would take other kernels and round differently).
        let weight = Tensor::from_data(
            TensorData::new(transposed(&weight.values, d_output, d_input), [d_input, d_output]),
            device,
        );
        let bias = match self.bias {
            Some(_) => Some(Param::from_tensor(tensor(
                weights.take(&format!("{prefix}bias"), &[d_output])?,
                [d_output],
                device,
            ))),
            None => None,
        };
        Ok(Linear { weight: Param::from_tensor(weight), bias })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        weights.put(format!("{prefix}weight"), self.weight.val().transpose());
        if let Some(bias) = &self.bias {
            weights.put(format!("{prefix}bias"), bias.val());
        }
    }
}

impl ReferenceParams for Embedding {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let [rows, dim] = lazy_dims(&self.weight);
        let weight = tensor(weights.take(&format!("{prefix}weight"), &[rows, dim])?, [rows, dim], device);
        Ok(Embedding { weight: Param::from_tensor(weight) })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        weights.put(format!("{prefix}weight"), self.weight.val());
    }
}

/// A parameter's shape, read without initialising it: a freshly built model's parameters stay
/// unallocated until loading replaces them, so weights that do not fit the config are refused
/// before the config's model takes any memory.
pub(crate) fn lazy_dims<const D: usize>(param: &Param<Tensor<D>>) -> [usize; D] {
    param.lazy_shape().dims::<D>()
}

/// `values` of a row-major `[rows, cols]` matrix, transposed to `[cols, rows]`.
pub(crate) fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for (r, row) in values.chunks_exact(cols).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> StateDict {
        let mut dict = StateDict::default();
        for (name, shape, values) in tensors {
            dict.tensors.insert((*name).to_owned(), NamedTensor { shape: shape.clone(), values: values.clone() });
        }
        dict
    }

    #[test]
    fn the_mean_of_state_dicts_averages_each_value_and_refuses_other_architectures() {
        let a = dict(&[("w", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]), ("b", vec![1], vec![-1.0])]);
        let b = dict(&[("w", vec![2, 2], vec![3.0, 2.0, -3.0, 0.5]), ("b", vec![1], vec![2.0])]);
        let c = dict(&[("w", vec![2, 2], vec![2.0, 5.0, 0.0, 0.0]), ("b", vec![1], vec![0.5])]);
        let mean = StateDict::mean(&[a.clone(), b.clone(), c]).unwrap();
        assert_eq!(mean.tensors["w"].shape, vec![2, 2]);
        assert_eq!(mean.tensors["w"].values, vec![2.0, 3.0, 0.0, 1.5]);
        assert_eq!(mean.tensors["b"].values, vec![0.5]);
        assert_eq!(StateDict::mean(std::slice::from_ref(&a)).unwrap(), a, "the mean of one dict is that dict");

        let reshaped = dict(&[("w", vec![4], vec![0.0; 4]), ("b", vec![1], vec![0.0])]);
        assert!(matches!(StateDict::mean(&[a.clone(), reshaped]), Err(ImportError::Shape { name, .. }) if name == "w"));
        let missing = dict(&[("w", vec![2, 2], vec![0.0; 4])]);
        assert!(
            matches!(StateDict::mean(&[a.clone(), missing.clone()]), Err(ImportError::Missing(name)) if name == "b")
        );
        assert!(matches!(StateDict::mean(&[missing, a]), Err(ImportError::Unused(name)) if name == "b"));
        assert!(StateDict::mean(&[]).unwrap_err().to_string().contains("no weights to average"));
    }

    #[test]
    fn int8_files_hold_each_row_in_steps_of_its_largest_magnitude() {
        let mut weights = StateDict::default();
        // Rows of very different scales, a zero row, and a bias (kept f16).
        let values = vec![0.5f32, -0.25, 0.126, 1000.0, -3.0, 0.01, 0.0, 0.0, 0.0];
        weights.tensors.insert("w".to_owned(), NamedTensor { shape: vec![3, 3], values: values.clone() });
        weights.tensors.insert("b".to_owned(), NamedTensor { shape: vec![2], values: vec![0.1, -7.0] });
        let packed = weights.to_safetensors_as(Precision::Int8).unwrap();
        let back = StateDict::from_safetensors(&packed).unwrap();
        assert_eq!(back.tensors.keys().collect::<Vec<_>>(), ["b", "w"], "the scales are not tensors of the dict");
        let read = &back.tensors["w"];
        assert_eq!(read.shape, vec![3, 3]);
        for (row, (got, want)) in read.values.chunks(3).zip(values.chunks(3)).enumerate() {
            let step = want.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= step / 2.0 * (1.0 + 1e-6), "row {row}: {g} for {w}");
            }
            // The largest magnitude of each row survives (up to the scale's rounding).
            let largest = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!((got.iter().fold(0f32, |m, v| m.max(v.abs())) - largest).abs() <= largest * 1e-6);
        }
        assert_eq!(&read.values[6..], [0.0, 0.0, 0.0]);
        // The small value of the large row is lost to its step: what int8 costs.
        assert_eq!(read.values[5], 0.0);
        assert_eq!(back.tensors["b"].values, vec![half::f16::from_f32(0.1).to_f32(), -7.0]);
    }

    #[test]
    fn an_int8_tensor_without_its_scales_is_refused() {
        let data = [1u8, 2, 3, 4];
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::I8, vec![2, 2], &data).unwrap();
        let bytes = safetensors::serialize(vec![("w".to_owned(), view)], None).unwrap();
        let error = StateDict::from_safetensors(&bytes).unwrap_err().to_string();
        assert!(error.contains("w is int8 without 2 f32 scales in w:scale"), "{error}");
    }

    #[test]
    fn f16_files_hold_each_value_rounded_to_the_nearest_half() {
        let mut weights = StateDict::default();
        let values = vec![0.1f32, -2.5, 1e-3, 65504.0, 0.333_333_34, 0.0];
        weights.tensors.insert("w".to_owned(), NamedTensor { shape: vec![2, 3], values: values.clone() });
        let full = weights.to_safetensors().unwrap();
        let halved = weights.to_safetensors_as(Precision::F16).unwrap();
        assert!(halved.len() < full.len());
        assert_eq!(StateDict::from_safetensors(&full).unwrap(), weights);
        let back = StateDict::from_safetensors(&halved).unwrap();
        let read = &back.tensors["w"];
        assert_eq!(read.shape, vec![2, 3]);
        for (got, want) in read.values.iter().zip(&values) {
            assert_eq!(*got, half::f16::from_f32(*want).to_f32());
            assert!((got - want).abs() <= want.abs() * 2f32.powi(-11), "{got} for {want}");
        }
        // Exactly representable values survive unchanged, and a second rounding changes nothing.
        assert_eq!(read.values[1], -2.5);
        assert_eq!(StateDict::from_safetensors(&back.to_safetensors_as(Precision::F16).unwrap()).unwrap(), back);
    }
}
