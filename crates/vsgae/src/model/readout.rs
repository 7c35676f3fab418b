//! The gated-sum readout from node states to a graph vector.

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// `Σ_v f_m(h_v) · σ(g_m(h_v))` over the nodes of each graph.
#[derive(Module, Debug)]
pub struct GatedSum {
    /// `Linear(node → graph)`.
    pub value: Linear,
    /// `Linear(node → 1)`, the gate.
    pub gate: Linear,
}

impl GatedSum {
    /// A readout with Burn's default initialisation.
    pub fn init(node_dim: usize, graph_dim: usize, device: &Device) -> Self {
        Self {
            value: LinearConfig::new(node_dim, graph_dim).init(device),
            gate: LinearConfig::new(node_dim, 1).init(device),
        }
    }

    /// The graph vectors.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `node_mask`: `[batch, nodes, 1]`, 1 for real nodes and 0 for padding
    /// - output: `[batch, graph_dim]`
    pub fn forward(&self, h: Tensor<3>, node_mask: Tensor<3>) -> Tensor<2> {
        let gated = self.value.forward(h.clone()) * sigmoid(self.gate.forward(h)) * node_mask;
        gated.sum_dim(1).squeeze_dim(1)
    }

    /// The graph vectors summed over every node (a mask of ones).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - output: `[batch, graph_dim]`
    pub fn forward_all(&self, h: Tensor<3>) -> Tensor<2> {
        let gated = self.value.forward(h.clone()) * sigmoid(self.gate.forward(h));
        gated.sum_dim(1).squeeze_dim(1)
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
