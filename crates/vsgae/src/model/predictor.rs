//! The performance predictor: node states, a gated-sum graph vector, an MLP to one number; one
//! such network (the reference's) or an ensemble of independently initialised ones.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::config::{Calibration, ConformalIntervals, PredictorConfig};
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::accuracy_head::AccuracyHead;
use crate::model::batch::GraphBatch;
use crate::model::node_embedding::NodeEmbedding;
use crate::model::readout::GatedSum;
use crate::model::signature_round::NodeSignatures;

/// One network: the reference's `GNNpred`, with optional auxiliary outputs.
#[derive(Module, Debug)]
pub struct PredictorNet {
    /// The node embedding and message passing.
    pub nodes: NodeEmbedding,
    /// The gated sum that gives the graph vector.
    pub readout: GatedSum,
    /// The MLP from the graph vector to the accuracy.
    pub head: AccuracyHead,
    /// The auxiliary targets' outputs from the graph vector (not in the reference).
    pub auxiliary: Option<Linear>,
}

/// The predictor: the mean of its members' predictions (one member is the reference's model),
/// calibrated where its config says so.
#[derive(Module, Debug)]
pub struct Predictor {
    /// The ensemble's networks (one for the reference's model).
    pub members: Vec<PredictorNet>,
    /// The affine map of the members' mean, where fitted.
    #[module(skip)]
    pub calibration: Option<Calibration>,
    /// The conformal intervals around its predictions, where fitted.
    #[module(skip)]
    pub intervals: Option<ConformalIntervals>,
    /// How [`Predictor::predict_members`] computes the second round of message passing.
    #[module(skip)]
    pub second_round: SecondRound,
}

/// How prediction computes the second round of message passing; both give the same values up
/// to rounding (within 1e-5 of the reference's outputs, tested).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecondRound {
    /// On the batch's distinct node signatures ([`crate::model::signature_round`]): about a
    /// tenth of the work.
    #[default]
    Signatures,
    /// Dense over every node, in the reference's order of operations (as training computes it).
    Dense,
}

impl PredictorConfig {
    /// A predictor with Burn's default initialisation.
    pub fn init(&self, device: &Device) -> Predictor {
        Predictor {
            members: (0..self.ensemble_size()).map(|_| self.init_net(device)).collect(),
            calibration: self.calibration,
            intervals: self.intervals,
            second_round: SecondRound::default(),
        }
    }

    fn init_net(&self, device: &Device) -> PredictorNet {
        let encoder = &self.encoder;
        PredictorNet {
            nodes: NodeEmbedding::init(encoder.num_node_types, encoder.node_dim, encoder.num_layers, device),
            readout: GatedSum::init(encoder.node_dim, encoder.graph_dim, device),
            head: AccuracyHead::init(encoder.graph_dim, self.num_head_layers, device),
            auxiliary: (self.auxiliary_outputs() > 0)
                .then(|| LinearConfig::new(encoder.graph_dim, self.auxiliary_outputs()).init(device)),
        }
    }

    /// A predictor initialised from `seed` with PyTorch's default distributions (see
    /// [`crate::model::initialization`]), the same on every backend; each member of an ensemble
    /// draws its own values.
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Result<Predictor, crate::io::state_dict::ImportError> {
        crate::model::initialization::seeded(|d| self.init(d), device, seed)
    }
}

impl PredictorNet {
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

    /// [`PredictorNet::forward`] for prediction, with the second round of message passing on
    /// the batch's node `signatures`: equal up to rounding, a fraction of the work.
    ///
    /// # Shapes
    /// - output: `[batch]`
    pub fn predict(&self, batch: &GraphBatch, signatures: &NodeSignatures) -> Tensor<1> {
        let h = self.nodes.forward_on_signatures(batch, signatures);
        self.head.forward(self.readout.forward(h, batch.node_mask.clone()))
    }

    /// The predicted accuracy and the auxiliary targets of each cell (the latter only for a
    /// network with auxiliary outputs).
    ///
    /// # Shapes
    /// - output: `[batch]` and `[batch, auxiliary_outputs]`
    pub fn forward_with_auxiliary(&self, batch: &GraphBatch) -> (Tensor<1>, Option<Tensor<2>>) {
        let graph = self.embed(batch);
        let auxiliary = self.auxiliary.as_ref().map(|layer| layer.forward(graph.clone()));
        (self.head.forward(graph), auxiliary)
    }
}

impl Predictor {
    /// Each member's predicted accuracy of each cell.
    ///
    /// # Shapes
    /// - output: `[batch, members]`
    pub fn forward_members(&self, batch: &GraphBatch) -> Tensor<2> {
        Tensor::stack(self.members.iter().map(|member| member.forward(batch)).collect(), 1)
    }

    /// Each member's prediction of each cell, computed as [`Predictor::second_round`] says:
    /// [`PredictorNet::predict`] or [`Predictor::forward_members`].
    ///
    /// # Shapes
    /// - output: `[batch, members]`
    pub fn predict_members(&self, batch: &GraphBatch) -> Tensor<2> {
        if self.second_round == SecondRound::Dense {
            return self.forward_members(batch);
        }
        let signatures = batch.signatures(&batch.node_mask.device());
        Tensor::stack(self.members.iter().map(|member| member.predict(batch, &signatures)).collect(), 1)
    }

    /// The predicted accuracy of each cell: the members' mean (the one member's prediction, bit
    /// for bit, for the reference's model).
    ///
    /// # Shapes
    /// - output: `[batch]`
    pub fn forward(&self, batch: &GraphBatch) -> Tensor<1> {
        match self.members.as_slice() {
            [one] => one.forward(batch),
            _ => self.forward_members(batch).mean_dim(1).squeeze_dim(1),
        }
    }
}

/// The reference's `GNNpred` names: `NodeEmb`, `GraphEmb_mean`, `Accuracy.lin_layers.k`; the
/// auxiliary outputs, which the reference does not have, are `Auxiliary`.
impl ReferenceParams for PredictorNet {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(Self {
            nodes: self.nodes.load(weights, &format!("{prefix}NodeEmb."), device)?,
            readout: self.readout.load(weights, &format!("{prefix}GraphEmb_mean."), device)?,
            head: self.head.load(weights, &format!("{prefix}Accuracy."), device)?,
            auxiliary: self
                .auxiliary
                .map(|layer| layer.load(weights, &format!("{prefix}Auxiliary."), device))
                .transpose()?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.nodes.save(weights, &format!("{prefix}NodeEmb."));
        self.readout.save(weights, &format!("{prefix}GraphEmb_mean."));
        self.head.save(weights, &format!("{prefix}Accuracy."));
        if let Some(layer) = &self.auxiliary {
            layer.save(weights, &format!("{prefix}Auxiliary."));
        }
    }
}

/// One member has the reference's names; the members of an ensemble are `members.k.…`.
impl Predictor {
    /// An ensemble of the members `indices` only, uncalibrated and without intervals; the error is the first index
    /// this predictor has no member for.
    pub fn subset(&self, indices: &[usize]) -> Result<Predictor, usize> {
        let members = indices.iter().map(|&k| self.members.get(k).cloned().ok_or(k)).collect::<Result<_, _>>()?;
        Ok(Predictor { members, calibration: None, intervals: None, second_round: self.second_round })
    }
}

impl ReferenceParams for Predictor {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let single = self.members.len() == 1;
        let members = self
            .members
            .into_iter()
            .enumerate()
            .map(|(k, member)| member.load(weights, &member_prefix(prefix, k, single), device))
            .collect::<Result<_, _>>()?;
        Ok(Self { members, calibration: self.calibration, intervals: self.intervals, second_round: self.second_round })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let single = self.members.len() == 1;
        for (k, member) in self.members.iter().enumerate() {
            member.save(weights, &member_prefix(prefix, k, single));
        }
    }
}

fn member_prefix(prefix: &str, k: usize, single: bool) -> String {
    if single { prefix.to_owned() } else { format!("{prefix}members.{k}.") }
}
