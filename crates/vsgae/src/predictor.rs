//! The performance predictor: node states, a gated-sum graph vector, an MLP to one number.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::batch::GraphBatch;
use crate::config::PredictorConfig;
use crate::node_embedding::NodeEmbedding;
use crate::readout::GatedSum;

/// The reference's `GNNpred`.
#[derive(Module, Debug)]
pub struct Predictor {
    pub nodes: NodeEmbedding,
    pub readout: GatedSum,
    /// `graph → graph/2 → … → 1`, ReLU between.
    pub head: Vec<Linear>,
}

impl PredictorConfig {
    /// A predictor with Burn's default initialisation.
    pub fn init(&self, device: &Device) -> Predictor {
        let encoder = &self.encoder;
        let widths: Vec<usize> = (0..self.num_head_layers).map(|k| encoder.graph_dim >> k).chain([1]).collect();
        Predictor {
            nodes: NodeEmbedding::init(encoder.num_node_types, encoder.node_dim, encoder.num_layers, device),
            readout: GatedSum::init(encoder.node_dim, encoder.graph_dim, device),
            head: widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect(),
        }
    }
}

impl PredictorConfig {
    /// A predictor initialised from `seed` with PyTorch's default distributions (see
    /// [`crate::initialization`]), the same on every backend.
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Result<Predictor, crate::state_dict::ImportError> {
        use crate::state_dict::{ReferenceParams, StateDict};
        let model = self.init(device);
        let mut weights = StateDict::default();
        model.save(&mut weights, "");
        crate::initialization::randomize(&mut weights, seed);
        model.load(&mut weights, "", device)
    }
}

impl Predictor {
    /// The graph vectors (`h_G_mean` in the reference).
    ///
    /// # Shapes
    /// - output: `[batch, graph_dim]`
    pub fn embed(&self, batch: &GraphBatch) -> Tensor<2> {
        let h = self.nodes.forward(batch.ops.clone(), batch.adjacency.clone());
        self.readout.forward(h, batch.node_mask.clone())
    }

    /// The predicted accuracy of each cell.
    ///
    /// # Shapes
    /// - output: `[batch]`
    pub fn forward(&self, batch: &GraphBatch) -> Tensor<1> {
        self.head_forward(self.embed(batch))
    }

    /// The MLP head on graph vectors (for predictors on frozen latents too).
    ///
    /// # Shapes
    /// - `graph`: `[batch, graph_dim]`
    /// - output: `[batch]`
    pub fn head_forward(&self, graph: Tensor<2>) -> Tensor<1> {
        let last = self.head.len().saturating_sub(1);
        let out = self
            .head
            .iter()
            .enumerate()
            .fold(graph, |x, (k, layer)| if k < last { relu(layer.forward(x)) } else { layer.forward(x) });
        out.squeeze_dim(1)
    }
}
