//! Node states: an embedding of each node's type, then rounds of message passing.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::{Device, Tensor};

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::message_passing::{MessagePassing, MessagePassingConfig};
use crate::model::signature_round::NodeSignatures;

/// The reference's `NodeEmb`.
#[derive(Module, Debug)]
pub struct NodeEmbedding {
    /// One vector per node type.
    pub types: Embedding,
    pub layers: Vec<MessagePassing>,
}

impl NodeEmbedding {
    /// Node embeddings with Burn's default initialisation.
    pub fn init(num_node_types: usize, node_dim: usize, num_layers: usize, device: &Device) -> Self {
        Self {
            types: EmbeddingConfig::new(num_node_types, node_dim).init(device),
            layers: (0..num_layers).map(|_| MessagePassingConfig::new(node_dim).init(device)).collect(),
        }
    }

    /// The node states after every round. The first round works on the embedding table (see
    /// [`MessagePassing::forward_from_embedding`]).
    ///
    /// # Shapes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, batch: &GraphBatch) -> Tensor<3> {
        let Some((first, rest)) = self.layers.split_first() else { return self.types.forward(batch.ops.clone()) };
        let h = first.forward_from_embedding(self.types.weight.val(), &batch.selection);
        rest.iter().fold(h, |h, layer| layer.forward(h, &batch.messages))
    }

    /// [`NodeEmbedding::forward`] for prediction: the second round works on the batch's node
    /// `signatures` ([`MessagePassing::forward_on_signatures`]), a tenth of the dense round's
    /// work; equal up to rounding.
    ///
    /// # Shapes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward_on_signatures(&self, batch: &GraphBatch, signatures: &NodeSignatures) -> Tensor<3> {
        let [first, second, rest @ ..] = self.layers.as_slice() else { return self.forward(batch) };
        let h = second.forward_on_signatures(first, self.types.weight.val(), signatures);
        rest.iter().fold(h, |h, layer| layer.forward(h, &batch.messages))
    }
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
