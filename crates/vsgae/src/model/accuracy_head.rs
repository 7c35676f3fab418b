//! The accuracy head: an MLP from a graph vector to one number (`GetAcc` in the reference).

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// `graph → graph/2 → … → 1`, ReLU between the layers.
#[derive(Module, Debug)]
pub struct AccuracyHead {
    /// The linear layers, first to last (ReLU between them).
    pub layers: Vec<Linear>,
}

impl AccuracyHead {
    /// A head of `num_layers` linear layers with Burn's default initialisation.
    pub fn init(graph_dim: usize, num_layers: usize, device: &Device) -> Self {
        let widths: Vec<usize> =
            (0..num_layers).map(|k| graph_dim.checked_shr(k as u32).unwrap_or(0).max(1)).chain([1]).collect();
        Self { layers: widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect() }
    }

    /// The predicted accuracies.
    ///
    /// # Shapes
    /// - `graph`: `[batch, graph_dim]`
    /// - output: `[batch]`
    pub fn forward(&self, graph: Tensor<2>) -> Tensor<1> {
        let last = self.layers.len().saturating_sub(1);
        self.layers
            .iter()
            .enumerate()
            .fold(graph, |x, (k, layer)| if k < last { relu(layer.forward(x)) } else { layer.forward(x) })
            .squeeze_dim(1)
    }
}

/// The reference's `GetAcc` names: `lin_layers.k`.
impl ReferenceParams for AccuracyHead {
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
