//! Node states: an embedding of each node's type, then rounds of message passing.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::{Device, Int, Tensor};

use crate::message_passing::{MessageOperator, MessagePassing, MessagePassingConfig};

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

    /// The node states after every round.
    ///
    /// # Shapes
    /// - `ops`: `[batch, nodes]` node type codes
    /// - `messages`: built for the same `batch` graphs of `nodes` nodes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, ops: Tensor<2, Int>, messages: &MessageOperator) -> Tensor<3> {
        self.layers.iter().fold(self.types.forward(ops), |h, layer| layer.forward(h, messages))
    }
}
