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
    /// The rounds of message passing, in order.
    pub layers: Vec<MessagePassing>,
    /// How [`NodeEmbedding::forward`] computes the first round.
    #[module(skip)]
    pub first_round: FirstRound,
}

/// How the first round of message passing is computed; both give the same values up to rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FirstRound {
    /// On the embedding table ([`MessagePassing::forward_from_embedding`]): a handful of rows
    /// through each map instead of every node, the fastest on Burn's CPU backend.
    #[default]
    EmbeddingTable,
    /// Over every node's embedded state, as the other rounds: fewer, larger kernels, the fastest
    /// on a GPU, where launches cost more than arithmetic.
    Dense,
}

impl FirstRound {
    /// The faster way on `device`.
    pub fn for_device(device: &Device) -> Self {
        if crate::parallel::is_cpu(device) { Self::EmbeddingTable } else { Self::Dense }
    }
}

impl NodeEmbedding {
    /// Node embeddings with Burn's default initialisation, computing the first round the faster
    /// way on `device` ([`FirstRound::for_device`]).
    pub fn init(num_node_types: usize, node_dim: usize, num_layers: usize, device: &Device) -> Self {
        Self {
            types: EmbeddingConfig::new(num_node_types, node_dim).init(device),
            layers: (0..num_layers).map(|_| MessagePassingConfig::new(node_dim).init(device)).collect(),
            first_round: FirstRound::for_device(device),
        }
    }

    /// The node states after every round.
    ///
    /// # Shapes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, batch: &GraphBatch) -> Tensor<3> {
        let Some((first, rest)) = self.layers.split_first() else { return self.types.forward(batch.ops.clone()) };
        let h = match self.first_round {
            FirstRound::EmbeddingTable => first.forward_from_embedding(self.types.weight.val(), &batch.selection),
            FirstRound::Dense => first.forward(self.types.forward(batch.ops.clone()), &batch.messages),
        };
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
        Ok(NodeEmbedding { types, layers, first_round: self.first_round })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.types.save(weights, &format!("{prefix}NodeInit."));
        for (k, layer) in self.layers.iter().enumerate() {
            layer.save(weights, &format!("{prefix}GNNLayers.{k}."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_first_rounds_give_the_same_states() {
        let device = Device::flex();
        let mut nodes = NodeEmbedding::init(crate::model::batch::NODE_TYPES, 8, 2, &device);
        assert_eq!(nodes.first_round, FirstRound::EmbeddingTable, "the CPU's way on the CPU");
        let cells: Vec<nasbench::Cell> = (2..=7)
            .flat_map(|n| nasbench::space::enumerate_vertices(n).into_iter().step_by(503).take(6))
            .map(|c| c.cell)
            .collect();
        let refs: Vec<&nasbench::Cell> = cells.iter().collect();
        let batch = GraphBatch::new(&refs, &device);
        let table = crate::readback::floats(nodes.forward(&batch)).expect("read");
        nodes.first_round = FirstRound::Dense;
        let dense = crate::readback::floats(nodes.forward(&batch)).expect("read");
        assert_eq!(table.len(), cells.len() * 7 * 8);
        for (a, b) in table.iter().zip(&dense) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}
