//! The performance predictor: node states, a gated-sum graph vector, an MLP to one number.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::PredictorConfig;
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::accuracy_head::AccuracyHead;
use crate::model::batch::GraphBatch;
use crate::model::node_embedding::NodeEmbedding;
use crate::model::readout::GatedSum;

/// The reference's `GNNpred`.
#[derive(Module, Debug)]
pub struct Predictor {
    pub nodes: NodeEmbedding,
    pub readout: GatedSum,
    pub head: AccuracyHead,
}

impl PredictorConfig {
    /// A predictor with Burn's default initialisation.
    pub fn init(&self, device: &Device) -> Predictor {
        let encoder = &self.encoder;
        Predictor {
            nodes: NodeEmbedding::init(encoder.num_node_types, encoder.node_dim, encoder.num_layers, device),
            readout: GatedSum::init(encoder.node_dim, encoder.graph_dim, device),
            head: AccuracyHead::init(encoder.graph_dim, self.num_head_layers, device),
        }
    }
}

impl PredictorConfig {
    /// A predictor initialised from `seed` with PyTorch's default distributions (see
    /// [`crate::model::initialization`]), the same on every backend.
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Result<Predictor, crate::io::state_dict::ImportError> {
        crate::model::initialization::seeded(|d| self.init(d), device, seed)
    }
}

impl Predictor {
    /// The graph vectors (`h_G_mean` in the reference).
    ///
    /// # Shapes
    /// - output: `[batch, graph_dim]`
    pub fn embed(&self, batch: &GraphBatch) -> Tensor<2> {
        let h = self.nodes.forward(batch);
        self.readout.forward(h, batch.node_mask.clone())
    }

    /// The predicted accuracy of each cell.
    ///
    /// # Shapes
    /// - output: `[batch]`
    pub fn forward(&self, batch: &GraphBatch) -> Tensor<1> {
        self.head.forward(self.embed(batch))
    }
}

/// The reference's `GNNpred` names: `NodeEmb`, `GraphEmb_mean`, `Accuracy.lin_layers.k`.
impl ReferenceParams for Predictor {
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
