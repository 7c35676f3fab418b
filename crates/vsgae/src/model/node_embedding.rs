//! Node states: an embedding of each node's type, then rounds of message passing.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::{Device, Tensor};

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::message_passing::{MessagePassing, MessagePassingConfig};
use crate::model::signature_round::{GateInputs, NodeSignatures};

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

/// How the first rounds of message passing are computed; all give the same values up to
/// rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FirstRound {
    /// The first round on the embedding table for the batch's distinct node signatures, and the
    /// second's maps on those signatures' states ([`crate::model::signature_round`], the GRU's
    /// input maps per node, [`GateInputs::PerNode`]): a batch of 128 cells of 7 vertices has
    /// about 314 signatures against 896 nodes. As [`FirstRound::EmbeddingTable`] where a batch
    /// repeats too few signatures ([`NodeSignatures::repeat_enough`]). The fastest on Burn's
    /// CPU backend.
    #[default]
    Signatures,
    /// On the embedding table ([`MessagePassing::forward_from_embedding`]): a handful of rows
    /// through each map instead of every node; the later rounds over every node.
    EmbeddingTable,
    /// Over every node's embedded state, as the other rounds: fewer, larger kernels, the fastest
    /// on a GPU, where launches cost more than arithmetic.
    Dense,
}

impl FirstRound {
    /// The faster way on `device`.
    pub fn for_device(device: &Device) -> Self {
        if crate::parallel::is_cpu(device) { Self::Signatures } else { Self::Dense }
    }
}

impl NodeEmbedding {
    /// Node embeddings with Burn's default initialisation, computing the first rounds the faster
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
        if self.first_round == FirstRound::Signatures && self.layers.len() >= 2 {
            let signatures = batch.signatures(&batch.node_mask.device());
            if signatures.repeat_enough() {
                return self.rounds_on_signatures(batch, &signatures, GateInputs::PerNode);
            }
        }
        let Some((first, rest)) = self.layers.split_first() else { return self.types.forward(batch.ops.clone()) };
        let h = match self.first_round {
            FirstRound::Signatures | FirstRound::EmbeddingTable => {
                first.forward_from_embedding(self.types.weight.val(), &batch.selection)
            }
            FirstRound::Dense => first.forward(self.types.forward(batch.ops.clone()), &batch.messages),
        };
        rest.iter().fold(h, |h, layer| layer.forward(h, &batch.messages))
    }

    /// [`NodeEmbedding::forward`] for prediction: the second round works on the batch's node
    /// `signatures` with the GRU's input maps composed into the table ([`GateInputs::Composed`]),
    /// a tenth of the dense round's work; equal up to rounding.
    ///
    /// # Shapes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward_on_signatures(&self, batch: &GraphBatch, signatures: &NodeSignatures) -> Tensor<3> {
        self.rounds_on_signatures(batch, signatures, GateInputs::Composed)
    }

    /// The first two rounds on `signatures` ([`MessagePassing::forward_on_signatures`]), the
    /// rest over every node; with fewer than two rounds, [`NodeEmbedding::forward`].
    ///
    /// # Shapes
    /// - output: `[batch, nodes, node_dim]`
    fn rounds_on_signatures(
        &self,
        batch: &GraphBatch,
        signatures: &NodeSignatures,
        gate_inputs: GateInputs,
    ) -> Tensor<3> {
        let [first, second, rest @ ..] = self.layers.as_slice() else { return self.forward(batch) };
        let h = second.forward_on_signatures(first, self.types.weight.val(), signatures, gate_inputs);
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
    fn every_way_of_the_first_rounds_gives_the_same_states() {
        let device = Device::flex();
        let mut nodes = NodeEmbedding::init(crate::node_types::NODE_TYPES, 8, 3, &device);
        assert_eq!(nodes.first_round, FirstRound::Signatures, "the CPU's way on the CPU");
        // Cells of 7 vertices, which repeat signatures as training's batches do.
        let cells: Vec<nasbench::Cell> =
            nasbench::space::enumerate_vertices(7).into_iter().step_by(4099).take(40).map(|c| c.cell).collect();
        let refs: Vec<&nasbench::Cell> = cells.iter().collect();
        let batch = GraphBatch::new(&refs, &device);
        assert!(batch.signatures(&device).repeat_enough(), "the batch is worked on signatures");
        let states = |nodes: &NodeEmbedding| crate::readback::floats(nodes.forward(&batch)).expect("read");
        let on_signatures = states(&nodes);
        assert_eq!(on_signatures.len(), cells.len() * 7 * 8);
        for way in [FirstRound::EmbeddingTable, FirstRound::Dense] {
            nodes.first_round = way;
            for (a, b) in on_signatures.iter().zip(&states(&nodes)) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{way:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_batch_of_distinct_neighbourhoods_is_not_worked_on_signatures() {
        let device = Device::flex();
        // A cell of 7 vertices whose nodes all differ in type or neighbours' types.
        let signatures = nasbench::space::enumerate_vertices(7)
            .into_iter()
            .map(|c| GraphBatch::new(&[&c.cell], &device).signatures(&device))
            .find(|signatures| signatures.len() == 7)
            .expect("a cell of distinct neighbourhoods");
        assert!(!signatures.repeat_enough());
    }
}
