//! The VS-GAE encoder: node states, then a mean and a log-variance graph vector.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::EncoderConfig;
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::node_embedding::NodeEmbedding;
use crate::model::readout::GatedSum;

/// The reference's `GNNEncoder`.
#[derive(Module, Debug)]
pub struct VsGaeEncoder {
    /// The node embedding and message passing.
    pub nodes: NodeEmbedding,
    /// The gated sum that gives the posterior mean.
    pub mean: GatedSum,
    /// The gated sum that gives the posterior log-variance.
    pub log_var: GatedSum,
}

impl VsGaeEncoder {
    /// An encoder with Burn's default initialisation.
    pub fn init(config: &EncoderConfig, device: &Device) -> Self {
        Self {
            nodes: NodeEmbedding::init(config.num_node_types, config.node_dim, config.num_layers, device),
            mean: GatedSum::init(config.node_dim, config.graph_dim, device),
            log_var: GatedSum::init(config.node_dim, config.graph_dim, device),
        }
    }

    /// The posterior of each cell.
    ///
    /// # Shapes
    /// - output: (`mean` `[batch, graph_dim]`, `log_var` `[batch, graph_dim]`)
    pub fn forward(&self, batch: &GraphBatch) -> (Tensor<2>, Tensor<2>) {
        let h = self.nodes.forward(batch);
        (self.mean.forward(h.clone(), batch.node_mask.clone()), self.log_var.forward(h, batch.node_mask.clone()))
    }
}

/// The reference's `GNNEncoder` names: `NodeEmb`, `GraphEmb_mean`, `GraphEmb_var`.
impl ReferenceParams for VsGaeEncoder {
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
