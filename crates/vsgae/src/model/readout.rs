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
        (self.gated_nodes(h) * node_mask).sum_dim(1).squeeze_dim(1)
    }

    /// The graph vectors summed over every node (a mask of ones).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - output: `[batch, graph_dim]`
    pub fn forward_all(&self, h: Tensor<3>) -> Tensor<2> {
        self.gated_nodes(h).sum_dim(1).squeeze_dim(1)
    }

    /// Every node's gated value `f_m(h_v) · σ(g_m(h_v))`. Both maps take the batch's nodes as
    /// the rows of one matrix: a `[batch, nodes, ·]` input would broadcast each weight to every
    /// graph, one small product per graph on Burn's CPU backend.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - output: `[batch, nodes, graph_dim]`
    fn gated_nodes(&self, h: Tensor<3>) -> Tensor<3> {
        let [batch, nodes, node_dim] = h.dims();
        let rows = h.reshape([batch * nodes, node_dim]);
        let gated = self.value.forward(rows.clone()) * sigmoid(self.gate.forward(rows));
        let graph_dim = gated.dims()[1];
        gated.reshape([batch, nodes, graph_dim])
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
