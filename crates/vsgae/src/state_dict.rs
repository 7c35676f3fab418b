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

use crate::gru::GruCell;
use crate::message_passing::MessagePassing;
use crate::node_embedding::NodeEmbedding;
use crate::readout::GatedSum;

/// Why weights could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a safetensors file or a torch state dict: {0}")]
    Format(String),
    #[error("parameter {0} is missing")]
    Missing(String),
    #[error("parameter {name} has shape {found:?}, expected {expected:?}")]
    Shape { name: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("parameters not used by the model: {0}")]
    Unused(String),
}

/// One tensor: its shape and its values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Float tensors by PyTorch parameter name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateDict {
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

    /// Reads a `.safetensors` file of f32 tensors.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ImportError> {
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| ImportError::Format(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(ImportError::Format(format!("{name} is {:?}, expected F32", view.dtype())));
            }
            let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
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

    /// Writes a `.safetensors` file.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, ImportError> {
        if let Some(failure) = &self.pending.failure {
            return Err(ImportError::Format(failure.clone()));
        }
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = self
            .tensors
            .iter()
            .map(|(name, t)| (name.clone(), t.values.iter().flat_map(|v| v.to_le_bytes()).collect(), t.shape.clone()))
            .collect();
        let views = bytes
            .iter()
            .map(|(name, data, shape)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                    .map(|view| (name.clone(), view))
                    .map_err(|e| ImportError::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None).map_err(|e| ImportError::Format(e.to_string()))
    }

    /// Fails if any tensor was not taken by the model.
    pub fn finish(self) -> Result<(), ImportError> {
        if self.tensors.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Unused(self.tensors.into_keys().collect::<Vec<_>>().join(", ")))
        }
    }

    fn take(&mut self, name: &str, expected: &[usize]) -> Result<NamedTensor, ImportError> {
        let tensor = self.tensors.remove(name).ok_or_else(|| ImportError::Missing(name.to_owned()))?;
        if tensor.shape != expected {
            return Err(ImportError::Shape { name: name.to_owned(), expected: expected.to_vec(), found: tensor.shape });
        }
        Ok(tensor)
    }

    fn put<const D: usize>(&mut self, name: String, tensor: Tensor<D>) {
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

fn tensor<const D: usize>(t: NamedTensor, shape: [usize; D], device: &Device) -> Tensor<D> {
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
        let [d_input, d_output] = self.weight.dims();
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
        let [rows, dim] = self.weight.dims();
        let weight = tensor(weights.take(&format!("{prefix}weight"), &[rows, dim])?, [rows, dim], device);
        Ok(Embedding { weight: Param::from_tensor(weight) })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        weights.put(format!("{prefix}weight"), self.weight.val());
    }
}

/// PyTorch's `GRUCell` names: `weight_ih` `[3H, I]`, `weight_hh` `[3H, H]`, `bias_ih`, `bias_hh`
/// (gates reset, update, new), split into the cell's stacked gate weights and joined again.
impl ReferenceParams for GruCell {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let [stacked, hidden] = self.reset.dims();
        let input = stacked - hidden;
        let weight_ih =
            transposed(&weights.take(&format!("{prefix}weight_ih"), &[3 * hidden, input])?.values, 3 * hidden, input);
        let weight_hh =
            transposed(&weights.take(&format!("{prefix}weight_hh"), &[3 * hidden, hidden])?.values, 3 * hidden, hidden);
        // Column block `gate` of a transposed `[in, 3H]` weight.
        let gate = |w: &[f32], rows: usize, gate: usize| -> Vec<f32> {
            w.chunks_exact(3 * hidden)
                .take(rows)
                .flat_map(|row| row[gate * hidden..(gate + 1) * hidden].to_vec())
                .collect()
        };
        let stack = |gate_index: usize| {
            let mut values = gate(&weight_ih, input, gate_index);
            values.extend(gate(&weight_hh, hidden, gate_index));
            Param::from_tensor(Tensor::from_data(TensorData::new(values, [stacked, hidden]), device))
        };
        let bias = |weights: &mut StateDict, name: &str| -> Result<Param<Tensor<1>>, ImportError> {
            Ok(Param::from_tensor(tensor(
                weights.take(&format!("{prefix}{name}"), &[3 * hidden])?,
                [3 * hidden],
                device,
            )))
        };
        Ok(GruCell {
            reset: stack(0),
            update: stack(1),
            new_input: Param::from_tensor(Tensor::from_data(
                TensorData::new(gate(&weight_ih, input, 2), [input, hidden]),
                device,
            )),
            new_hidden: Param::from_tensor(Tensor::from_data(
                TensorData::new(gate(&weight_hh, hidden, 2), [hidden, hidden]),
                device,
            )),
            input_bias: bias(weights, "bias_ih")?,
            hidden_bias: bias(weights, "bias_hh")?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let [stacked, hidden] = self.reset.dims();
        let input = stacked - hidden;
        let (reset, update) = (self.reset.val(), self.update.val());
        let part = |w: &Tensor<2>, start: usize, len: usize| w.clone().narrow(0, start, len).transpose();
        let weight_ih =
            Tensor::cat(vec![part(&reset, 0, input), part(&update, 0, input), self.new_input.val().transpose()], 0);
        let weight_hh = Tensor::cat(
            vec![part(&reset, input, hidden), part(&update, input, hidden), self.new_hidden.val().transpose()],
            0,
        );
        weights.put(format!("{prefix}weight_ih"), weight_ih);
        weights.put(format!("{prefix}weight_hh"), weight_hh);
        weights.put(format!("{prefix}bias_ih"), self.input_bias.val());
        weights.put(format!("{prefix}bias_hh"), self.hidden_bias.val());
    }
}

/// The reference's `GNNLayer` names: `msg`, `msg_rev` (each `Linear(2D → 2D)`), `upd`.
impl ReferenceParams for MessagePassing {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let width = self.message_bias.dims()[1];
        let mut stacked = Vec::with_capacity(2 * width * width);
        let mut biases = Vec::with_capacity(2 * width);
        for name in ["msg", "msg_rev"] {
            let weight = weights.take(&format!("{prefix}{name}.weight"), &[width, width])?;
            stacked.extend(transposed(&weight.values, width, width));
            biases.extend(weights.take(&format!("{prefix}{name}.bias"), &[width])?.values);
        }
        Ok(MessagePassing {
            messages: Param::from_tensor(Tensor::from_data(TensorData::new(stacked, [2 * width, width]), device)),
            message_bias: Param::from_tensor(Tensor::from_data(TensorData::new(biases, [2, width]), device)),
            update: self.update.load(weights, &format!("{prefix}upd."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let width = self.message_bias.dims()[1];
        for (k, name) in ["msg", "msg_rev"].into_iter().enumerate() {
            weights.put(format!("{prefix}{name}.weight"), self.messages.val().narrow(0, k * width, width).transpose());
            weights.put(format!("{prefix}{name}.bias"), self.message_bias.val().narrow(0, k, 1).reshape([width]));
        }
        self.update.save(weights, &format!("{prefix}upd."));
    }
}

/// `values` of a row-major `[rows, cols]` matrix, transposed to `[cols, rows]`.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for (r, row) in values.chunks_exact(cols).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

/// The reference's `NodeEmb` names: `NodeInit`, `GNNLayers.k`.
impl ReferenceParams for NodeEmbedding {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let types = self.types.load(weights, &format!("{prefix}NodeInit."), device)?;
        let layers = self
            .layers
            .into_iter()
            .enumerate()
            .map(|(k, layer)| layer.load(weights, &format!("{prefix}GNNLayers.{k}."), device))
            .collect::<Result<_, _>>()?;
        Ok(NodeEmbedding { types, layers })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.types.save(weights, &format!("{prefix}NodeInit."));
        for (k, layer) in self.layers.iter().enumerate() {
            layer.save(weights, &format!("{prefix}GNNLayers.{k}."));
        }
    }
}

/// The reference's `GraphEmb` names: `f_m`, `g_m`.
impl ReferenceParams for GatedSum {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(GatedSum {
            value: self.value.load(weights, &format!("{prefix}f_m."), device)?,
            gate: self.gate.load(weights, &format!("{prefix}g_m."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.value.save(weights, &format!("{prefix}f_m."));
        self.gate.save(weights, &format!("{prefix}g_m."));
    }
}

/// The reference's `GNNpred` names: `NodeEmb`, `GraphEmb_mean`, `Accuracy.lin_layers.k`.
impl ReferenceParams for crate::predictor::Predictor {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(Self {
            nodes: self.nodes.load(weights, &format!("{prefix}NodeEmb."), device)?,
            readout: self.readout.load(weights, &format!("{prefix}GraphEmb_mean."), device)?,
            head: self.head.load(weights, &format!("{prefix}Accuracy."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.nodes.save(weights, &format!("{prefix}NodeEmb."));
        self.readout.save(weights, &format!("{prefix}GraphEmb_mean."));
        self.head.save(weights, &format!("{prefix}Accuracy."));
    }
}

/// The reference's `GNNEncoder` names: `NodeEmb`, `GraphEmb_mean`, `GraphEmb_var`.
impl ReferenceParams for crate::vae_encoder::VaeEncoder {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(Self {
            nodes: self.nodes.load(weights, &format!("{prefix}NodeEmb."), device)?,
            mean: self.mean.load(weights, &format!("{prefix}GraphEmb_mean."), device)?,
            log_var: self.log_var.load(weights, &format!("{prefix}GraphEmb_var."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.nodes.save(weights, &format!("{prefix}NodeEmb."));
        self.mean.save(weights, &format!("{prefix}GraphEmb_mean."));
        self.log_var.save(weights, &format!("{prefix}GraphEmb_var."));
    }
}

/// The reference's `GNNDecoder.generator` names.
impl ReferenceParams for crate::decoder::Decoder {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let p = |name: &str| format!("{prefix}generator.{name}.");
        Ok(Self {
            layers: self
                .layers
                .into_iter()
                .enumerate()
                .map(|(k, layer)| layer.load(weights, &p(&format!("prop.NodeEmb.GNNLayers.{k}")), device))
                .collect::<Result<_, _>>()?,
            graph: self.graph.load(weights, &p("prop.GraphEmb"), device)?,
            graph_init: self.graph_init.load(weights, &p("prop.GraphEmb_init"), device)?,
            add_hidden: self.add_hidden.load(weights, &p("nodeAdd.f_an"), device)?,
            add_out: self.add_out.load(weights, &p("nodeAdd.f_an_2"), device)?,
            types: self.types.load(weights, &p("nodeInit.NodeInits"), device)?,
            init_hidden: self.init_hidden.load(weights, &p("nodeInit.f_init"), device)?,
            init_out: self.init_out.load(weights, &p("nodeInit.f_init_2"), device)?,
            start_hidden: self.start_hidden.load(weights, &p("nodeInit.f_start"), device)?,
            start_out: self.start_out.load(weights, &p("nodeInit.f_start_2"), device)?,
            edge_hidden: self.edge_hidden.load(weights, &p("nodes.f_s_1"), device)?,
            edge_out: self.edge_out.load(weights, &p("nodes.f_s_2"), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let p = |name: &str| format!("{prefix}generator.{name}.");
        for (k, layer) in self.layers.iter().enumerate() {
            layer.save(weights, &p(&format!("prop.NodeEmb.GNNLayers.{k}")));
        }
        self.graph.save(weights, &p("prop.GraphEmb"));
        self.graph_init.save(weights, &p("prop.GraphEmb_init"));
        self.add_hidden.save(weights, &p("nodeAdd.f_an"));
        self.add_out.save(weights, &p("nodeAdd.f_an_2"));
        self.types.save(weights, &p("nodeInit.NodeInits"));
        self.init_hidden.save(weights, &p("nodeInit.f_init"));
        self.init_out.save(weights, &p("nodeInit.f_init_2"));
        self.start_hidden.save(weights, &p("nodeInit.f_start"));
        self.start_out.save(weights, &p("nodeInit.f_start_2"));
        self.edge_hidden.save(weights, &p("nodes.f_s_1"));
        self.edge_out.save(weights, &p("nodes.f_s_2"));
    }
}

/// The reference's `GNNVAE` names: `Encoder`, `Decoder`.
impl ReferenceParams for crate::vae::VsGae {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(Self {
            encoder: self.encoder.load(weights, &format!("{prefix}Encoder."), device)?,
            decoder: self.decoder.load(weights, &format!("{prefix}Decoder."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.encoder.save(weights, &format!("{prefix}Encoder."));
        self.decoder.save(weights, &format!("{prefix}Decoder."));
    }
}

/// The reference's `GetAcc` names: `lin_layers.k`.
impl ReferenceParams for crate::accuracy_head::AccuracyHead {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let layers = self
            .layers
            .into_iter()
            .enumerate()
            .map(|(k, layer)| layer.load(weights, &format!("{prefix}lin_layers.{k}."), device))
            .collect::<Result<_, _>>()?;
        Ok(Self { layers })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        for (k, layer) in self.layers.iter().enumerate() {
            layer.save(weights, &format!("{prefix}lin_layers.{k}."));
        }
    }
}
