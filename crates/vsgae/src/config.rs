//! Every configuration of the models and their training, declared once. The CLI flags, the GUI
//! form and saved checkpoints all use these structs.

use burn::config::Config;
use nasbench::sampling::Sampling;
use nasbench::split::Task;

/// The GNN encoder: node embedding, message passing with forward and reverse messages into a
/// GRU cell, and a gated-sum readout.
#[derive(Config, Debug, PartialEq)]
pub struct EncoderConfig {
    /// Node types: output, input and the three ops.
    #[config(default = 5)]
    pub num_node_types: usize,
    /// Width of the node states.
    #[config(default = 250)]
    pub node_dim: usize,
    /// Width of the graph vector.
    #[config(default = 56)]
    pub graph_dim: usize,
    /// Rounds of message passing.
    #[config(default = 2)]
    pub num_layers: usize,
}

/// The performance predictor: the encoder's mean head, then an MLP 56→28→14→7→1.
#[derive(Config, Debug, PartialEq)]
pub struct PredictorConfig {
    /// The GNN encoder whose graph vector the head reads.
    pub encoder: EncoderConfig,
    /// Linear layers of the accuracy head, each halving the width.
    #[config(default = 4)]
    pub num_head_layers: usize,
    /// Extra outputs, one per auxiliary target, from a linear layer on the graph vector; absent
    /// means none (the reference's model).
    pub auxiliary_outputs: Option<usize>,
    /// Independently initialised networks whose mean is the prediction and whose spread is its
    /// uncertainty; absent means 1 (the reference's model).
    pub ensemble_size: Option<usize>,
    /// An affine map of the members' mean, fitted on the validation part after training
    /// (`vsgae calibrate-predictor`); absent means none (the reference's model).
    pub calibration: Option<Calibration>,
    /// Split-conformal intervals on the ensemble's spread, fitted on the validation part after
    /// training (`vsgae calibrate-intervals`); absent means a bare spread (the reference's model
    /// has none).
    pub intervals: Option<ConformalIntervals>,
}

/// `accuracy = offset + scale · mean`: the map from the members' mean to the predicted accuracy,
/// least squares on the validation part. The spread is scaled by `|scale|` with it.
#[derive(Config, Debug, PartialEq, Copy)]
pub struct Calibration {
    /// Multiplies the members' mean.
    pub scale: f64,
    /// Added after scaling.
    pub offset: f64,
}

/// Split-conformal prediction intervals, normalised by the ensemble's spread (Papadopoulos et
/// al.'s normalised nonconformity score `|truth − mean| / (spread + floor)`): the interval at
/// level `L` is `mean ± scale_L · (spread + floor)`, where `scale_L` is the `⌈(n + 1) L⌉`-th
/// smallest score of the `n` validation cells. For a cell exchangeable with them, it holds the
/// truth with probability at least `L`.
#[derive(Config, Debug, PartialEq, Copy)]
pub struct ConformalIntervals {
    /// Added to every spread, so that a cell whose members agree still gets an interval: the
    /// validation part's median spread.
    pub floor: f64,
    /// The 50 % interval's scale.
    pub scale_50: f64,
    /// The 80 % interval's scale.
    pub scale_80: f64,
    /// The 95 % interval's scale.
    pub scale_95: f64,
}

/// The variational-sequential graph autoencoder.
#[derive(Config, Debug, PartialEq)]
pub struct VsGaeConfig {
    /// The GNN encoder, whose two gated-sum heads give the posterior's mean and log-variance.
    pub encoder: EncoderConfig,
    /// Weight of the KL term (a β-VAE).
    #[config(default = 0.005)]
    pub beta: f64,
    /// Weight of the edge loss against the node-type loss in each decoding step.
    #[config(default = 0.5)]
    pub alpha: f64,
    /// Scale of the reparameterisation noise in training.
    #[config(default = 0.01)]
    pub noise_scale: f64,
    /// Generation stops after this many nodes.
    #[config(default = 20)]
    pub max_nodes: usize,
    /// Which graph vector and latent the edge head reads for each candidate predecessor in
    /// training; absent means [`EdgePairing::Reference`] (configs written before the option).
    pub edge_pairing: Option<EdgePairing>,
    /// How a step's edge losses over its candidate predecessors combine; absent means
    /// [`EdgeLoss::Mean`].
    pub edge_loss: Option<EdgeLoss>,
    /// How the KL term gathers over a batch's graphs; absent means [`KlReduction::Sum`] (the
    /// reference's).
    pub kl_reduction: Option<KlReduction>,
    /// What the edge head sees of the partial graph besides the node states; absent means
    /// [`EdgeContext::None`] (the reference's decoder).
    pub edge_context: Option<EdgeContext>,
}

/// What the decoder's edge head reads of the partial graph beside the node states, the graph
/// vector and the latent.
///
/// The reference scores each candidate edge to the new node independently, and nothing in its
/// decoder counts edges, while most NAS-Bench-101 cells sit at the limit of 9. Every decoding of
/// the prior over that limit is over it by exactly one edge (docs/results.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum EdgeContext {
    /// Nothing more (the reference).
    #[default]
    None,
    /// Each candidate row also reads the partial graph's edge count and vertex count and whether
    /// the candidate has a successor yet (`crate::model::edge_context`), through a linear map
    /// initialised at zero, so that a model warm-started with it begins as the reference's.
    Counts,
}

/// How the KL term of a batch gathers over its graphs. The reconstruction loss is a mean over
/// the batch, so with the reference's sum the KL term's weight per graph grows with the batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum KlReduction {
    /// Summed over the batch (the reference): `β` weighs `batch` graphs' KL against one graph's
    /// reconstruction.
    #[default]
    Sum,
    /// The mean over the batch: `β` weighs one graph's KL against one graph's reconstruction at
    /// every batch size (`β = 0.64` is the reference's weight at batch 128).
    Mean,
}

/// Which graph vector `h_G` and latent `c` the edge head of a teacher-forced step pairs with the
/// state of candidate predecessor `j` of graph `b` (with `n` nodes per graph and `B` graphs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum EdgePairing {
    /// The reference's rows: graph `(b·n + j) mod B` (`h_G.repeat(n, 1)` in PyTorch), so most
    /// rows read another graph's vectors. Kept for equivalence with the reference.
    #[default]
    Reference,
    /// Graph `b`'s own vectors, as decoding one graph uses them.
    PerGraph,
}

/// How the edge losses of a teacher-forced step combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum EdgeLoss {
    /// The mean over the candidate predecessors (the reference).
    #[default]
    Mean,
    /// The sum: each step's term is the negative log-likelihood of its edges, so the loss is
    /// the cell's full likelihood under the decoder.
    Sum,
}

/// Training of the predictor, as the reference does it (`enc_perf_prediction.py`: Adam, MSE,
/// no learning-rate schedule).
#[derive(Config, Debug, PartialEq)]
pub struct PredictorTrainingConfig {
    /// The predictor to train.
    pub model: PredictorConfig,
    /// Passes over the training cells.
    #[config(default = 100)]
    pub epochs: usize,
    /// Cells per optimiser step.
    #[config(default = 128)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 1e-5)]
    pub learning_rate: f64,
    /// Which cells are trained on and which are predicted.
    #[config(default = "Task::Interpolation")]
    pub task: Task,
    /// Percent of the training split to train on (1–100).
    #[config(default = 100)]
    pub training_size: u8,
    /// How the training subset is chosen.
    #[config(default = "Sampling::Random")]
    pub sampling: Sampling,
    /// Exactly this many training cells instead of `training_size` percent (e.g. 4,236, 1 % of
    /// the search space, as PINAT and others train); absent means `training_size`.
    pub training_cells: Option<usize>,
    /// The metric to predict (see `nasbench::MetricKey`).
    #[config(default = "String::from(\"val_acc_108\")")]
    pub target: String,
    /// Seeds the initialisation and the shuffling, and the split and the sampling unless
    /// `split_seed` is given.
    #[config(default = 0)]
    pub seed: u64,
    /// Write a checkpoint every this many epochs (and at the end); 0 only at the end.
    #[config(default = 10)]
    pub checkpoint_every: usize,
    /// Seeds the split and the sampling (so runs of several seeds, an ensemble's members, share
    /// their cells); absent means `seed`.
    pub split_seed: Option<u64>,
    /// The loss; absent means [`PredictorLoss::Mse`] (the reference's).
    pub loss: Option<PredictorLoss>,
    /// The learning-rate schedule; absent means [`LearningRateSchedule::Constant`] (the
    /// reference's).
    pub schedule: Option<LearningRateSchedule>,
    /// Metrics the model also predicts, from the auxiliary outputs (e.g. `val_acc_36`), each
    /// adding `auxiliary_weight` × its MSE to the loss; absent means none.
    pub auxiliary_targets: Option<Vec<String>>,
    /// The weight of each auxiliary target's MSE; absent means 1.
    pub auxiliary_weight: Option<f64>,
    /// A VS-GAE model folder whose trained encoder (node embedding, message passing and mean
    /// readout) starts every member's encoder, to be fine-tuned; absent means the seeded
    /// initialisation. Read when a run starts (natively), not when it resumes.
    pub encoder_from: Option<String>,
    /// Keep the weights of the epoch with the best validation Kendall τ, instead of the last
    /// epoch's, as the run's result; absent means false (the reference keeps the last).
    pub keep_best: Option<bool>,
}

/// The predictor's loss on a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictorLoss {
    /// The mean squared error on the target (the reference).
    #[default]
    Mse,
    /// A logistic pairwise ranking loss, `softplus(-(p_i - p_j) / temperature)` averaged over the
    /// pairs of a batch with `y_i > y_j`, plus `mse_weight` × the MSE (0: ranking alone, whose
    /// predictions have no fixed scale). Natively the pairs are those within each thread's
    /// shard of the batch.
    /// The pairwise ranking loss.
    Ranking {
        /// Divides the predicted difference of a pair.
        temperature: f64,
        /// Weight of the MSE beside it.
        mse_weight: f64,
    },
}

/// How the learning rate moves during a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningRateSchedule {
    /// The learning rate stays the same (the reference's predictor).
    Constant,
    /// ReduceLROnPlateau on the training loss (`plateau_factor`, `plateau_patience`): the
    /// reference's.
    #[default]
    Plateau,
    /// A linear warm-up from 0 over `warmup_steps` steps, then a cosine decay to
    /// `final_factor` × the learning rate at the end of the planned epochs.
    /// Warm-up, then cosine decay.
    WarmupCosine {
        /// Optimiser steps of the linear warm-up.
        warmup_steps: usize,
        /// The last step's learning rate, as a share of the peak.
        final_factor: f64,
    },
}

impl LearningRateSchedule {
    /// The learning rate of step `step` (counted from 0) of `total` planned steps, for a peak of
    /// `peak`; [`LearningRateSchedule::Plateau`] keeps `peak` (the plateau lowers it per epoch).
    pub fn at(self, peak: f64, step: usize, total: usize) -> f64 {
        match self {
            Self::Constant | Self::Plateau => peak,
            Self::WarmupCosine { warmup_steps, final_factor } => {
                if step < warmup_steps {
                    return peak * (step + 1) as f64 / warmup_steps as f64;
                }
                let span = total.saturating_sub(warmup_steps).max(1) as f64;
                let progress = ((step - warmup_steps) as f64 / span).min(1.0);
                let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
                peak * (final_factor + (1.0 - final_factor) * cosine)
            }
        }
    }
}

/// Training of the VS-GAE, as the reference does it.
#[derive(Config, Debug, PartialEq)]
pub struct VsGaeTrainingConfig {
    /// The VS-GAE to train.
    pub model: VsGaeConfig,
    /// Passes over the training cells.
    #[config(default = 300)]
    pub epochs: usize,
    /// Cells per optimiser step.
    #[config(default = 128)]
    pub batch_size: usize,
    /// Adam's (peak) learning rate.
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Factor of ReduceLROnPlateau on the training loss.
    #[config(default = 0.1)]
    pub plateau_factor: f64,
    /// Patience of ReduceLROnPlateau, in epochs.
    #[config(default = 10)]
    pub plateau_patience: usize,
    /// The learning-rate schedule; absent means [`LearningRateSchedule::Plateau`] (the
    /// reference's).
    pub schedule: Option<LearningRateSchedule>,
    /// Seeds the initialisation, the shuffling and the reparameterisation noise.
    #[config(default = 0)]
    pub seed: u64,
    /// Write a checkpoint every this many epochs (and at the end); 0 only at the end.
    #[config(default = 10)]
    pub checkpoint_every: usize,
    /// β rises linearly from 0 over this many optimiser steps (a KL warm-up); absent means none
    /// (the reference's).
    pub beta_warmup_steps: Option<usize>,
    /// Hard-example replay: this share of each epoch's draws goes to the training cells the
    /// decoder got wrong in the previous epoch (some teacher-forced decision at a loss above
    /// ln 2), the rest to the others as usual; an epoch keeps its number of steps. Absent means
    /// none (the reference's: every cell once an epoch).
    pub replay_share: Option<f64>,
    /// Teaching the unmasked decoder what masked decoding writes between training latents;
    /// absent means none (the reference's).
    pub masked_midpoints: Option<MaskedMidpoints>,
}

/// Masked-midpoint distillation, a departure from the reference aimed at the validity of prior
/// samples. Each step draws points between the latent means of two cells of its batch
/// (`μ_a + t·(μ_b − μ_a)`, `t` uniform), where a prior's points fall and no training cell's
/// latent does; decodes each once under NAS-Bench-101's rules (sampled, masked, without
/// gradients), and adds `weight` times the teacher-forced reconstruction loss of those cells at
/// those points. The decoder learns, where it sees no training cell, to write the cells masked
/// decoding writes there, which are cells by construction.
#[derive(Config, Debug, PartialEq, Copy)]
pub struct MaskedMidpoints {
    /// Points per batch cell (0 to 1).
    pub share: f64,
    /// The weight of their reconstruction loss against the batch's.
    pub weight: f64,
    /// How the points are decoded; absent means [`MidpointDecoding::Sample`].
    pub decoding: Option<MidpointDecoding>,
}

/// How masked-midpoint distillation decodes its points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum MidpointDecoding {
    /// One draw per point: the decoder learns masked decoding's distribution there.
    #[default]
    Sample,
    /// The most likely choice at every step: the decoder learns masked decoding's most likely
    /// cell there, and near a training latent that is the training cell itself.
    Greedy,
}

/// The most of an epoch that hard-example replay may take.
pub const MAX_REPLAY_SHARE: f64 = 0.9;

/// The largest weight of masked-midpoint distillation's loss.
pub const MAX_MIDPOINT_WEIGHT: f64 = 100.0;

/// A config value the models cannot be built with; names the field and what it may be.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} = {value} is not allowed: expected {allowed}")]
pub struct ConfigError {
    /// The field's path, e.g. `model.encoder.node_dim`.
    pub field: String,
    /// The value it has.
    pub value: String,
    /// What the field may be.
    pub allowed: String,
}

/// The largest node width a config may name (the reference uses 250).
pub const MAX_NODE_DIM: usize = 4096;
/// The largest graph width (the reference uses 56).
pub const MAX_GRAPH_DIM: usize = 1024;
/// The most rounds of message passing (the reference uses 2).
pub const MAX_LAYERS: usize = 16;
/// The most nodes a decoder may generate (the reference uses 20).
pub const MAX_GENERATED_NODES: usize = 64;
/// The most networks in a predictor's ensemble.
pub const MAX_ENSEMBLE_SIZE: usize = 16;
/// The most auxiliary outputs of a predictor.
pub const MAX_AUXILIARY_OUTPUTS: usize = 16;
/// The largest training batch.
pub const MAX_BATCH_SIZE: usize = 1 << 16;
/// The largest β (KL weight) a VS-GAE config accepts.
pub const MAX_BETA: f64 = 1e6;
/// The largest learning rate a training config accepts.
pub const MAX_LEARNING_RATE: f64 = 10.0;

/// Checks of one config, each naming its field under `prefix`.
struct Checks<'a> {
    prefix: &'a str,
}

impl Checks<'_> {
    fn field(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_owned() } else { format!("{}.{name}", self.prefix) }
    }

    fn count(&self, name: &str, value: usize, low: usize, high: usize) -> Result<(), ConfigError> {
        if (low..=high).contains(&value) {
            return Ok(());
        }
        Err(ConfigError { field: self.field(name), value: value.to_string(), allowed: format!("{low} to {high}") })
    }

    fn real(&self, name: &str, value: f64, low: f64, high: f64) -> Result<(), ConfigError> {
        if value.is_finite() && (low..=high).contains(&value) {
            return Ok(());
        }
        Err(ConfigError { field: self.field(name), value: value.to_string(), allowed: format!("{low} to {high}") })
    }

    fn nested(&self, name: &str) -> String {
        self.field(name)
    }
}

impl EncoderConfig {
    /// Checks every field against the sizes the models can be built with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_at("")
    }

    fn validate_at(&self, prefix: &str) -> Result<(), ConfigError> {
        let check = Checks { prefix };
        let types = crate::node_types::NODE_TYPES;
        check.count("num_node_types", self.num_node_types, types, types)?;
        check.count("node_dim", self.node_dim, 1, MAX_NODE_DIM)?;
        check.count("graph_dim", self.graph_dim, 1, MAX_GRAPH_DIM)?;
        check.count("num_layers", self.num_layers, 0, MAX_LAYERS)
    }
}

impl PredictorConfig {
    /// Checks every field; each layer of the head halves the graph width, which must stay above 0.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_at("")
    }

    fn validate_at(&self, prefix: &str) -> Result<(), ConfigError> {
        let check = Checks { prefix };
        self.encoder.validate_at(&check.nested("encoder"))?;
        let halvings = (usize::BITS - self.encoder.graph_dim.leading_zeros()) as usize;
        check.count("num_head_layers", self.num_head_layers, 1, halvings)?;
        check.count("auxiliary_outputs", self.auxiliary_outputs(), 0, MAX_AUXILIARY_OUTPUTS)?;
        check.count("ensemble_size", self.ensemble_size(), 1, MAX_ENSEMBLE_SIZE)?;
        if let Some(calibration) = &self.calibration {
            check.real("calibration.scale", calibration.scale, -1e3, 1e3)?;
            check.real("calibration.offset", calibration.offset, -1e3, 1e3)?;
        }
        Ok(())
    }

    /// The networks in the ensemble.
    pub fn ensemble_size(&self) -> usize {
        self.ensemble_size.unwrap_or(1)
    }

    /// The auxiliary outputs in effect.
    pub fn auxiliary_outputs(&self) -> usize {
        self.auxiliary_outputs.unwrap_or(0)
    }
}

impl VsGaeConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_at("")
    }

    fn validate_at(&self, prefix: &str) -> Result<(), ConfigError> {
        let check = Checks { prefix };
        self.encoder.validate_at(&check.nested("encoder"))?;
        check.real("beta", self.beta, 0.0, MAX_BETA)?;
        check.real("alpha", self.alpha, 0.0, 1.0)?;
        check.real("noise_scale", self.noise_scale, 0.0, 1e3)?;
        check.count("max_nodes", self.max_nodes, 2, MAX_GENERATED_NODES)
    }
}

impl PredictorTrainingConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = Checks { prefix: "" };
        self.model.validate_at("model")?;
        check.count("epochs", self.epochs, 1, usize::MAX)?;
        check.count("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)?;
        check.real("learning_rate", self.learning_rate, f64::MIN_POSITIVE, MAX_LEARNING_RATE)?;
        check.count("training_size", usize::from(self.training_size), 1, 100)?;
        if let Some(count) = self.training_cells {
            check.count("training_cells", count, 1, usize::MAX)?;
        }
        let metric = |field: &str, name: &String| {
            name.parse::<nasbench::MetricKey>().map_err(|_| ConfigError {
                field: field.to_owned(),
                value: format!("{name:?}"),
                allowed: "a metric name such as val_acc_108, test_acc_108 or train_acc_36@18".to_owned(),
            })
        };
        metric("target", &self.target)?;
        for name in self.auxiliary_targets() {
            metric("auxiliary_targets", name)?;
        }
        let outputs = self.model.auxiliary_outputs();
        if outputs != self.auxiliary_targets().len() {
            return Err(ConfigError {
                field: "model.auxiliary_outputs".to_owned(),
                value: outputs.to_string(),
                allowed: format!("the number of auxiliary_targets ({})", self.auxiliary_targets().len()),
            });
        }
        check.real("auxiliary_weight", self.auxiliary_weight(), 0.0, 1e6)?;
        if let PredictorLoss::Ranking { temperature, mse_weight } = self.loss() {
            check.real("loss.temperature", temperature, 1e-9, 1e6)?;
            check.real("loss.mse_weight", mse_weight, 0.0, 1e9)?;
        }
        if let Some(LearningRateSchedule::Plateau) = self.schedule {
            return Err(ConfigError {
                field: "schedule".to_owned(),
                value: "plateau".to_owned(),
                allowed: "constant or warmup_cosine (the predictor has no plateau schedule)".to_owned(),
            });
        }
        if let Some(LearningRateSchedule::WarmupCosine { final_factor, .. }) = self.schedule {
            check.real("schedule.final_factor", final_factor, 0.0, 1.0)?;
        }
        Ok(())
    }

    /// The seed of the split and the sampling.
    pub fn split_seed(&self) -> u64 {
        self.split_seed.unwrap_or(self.seed)
    }

    /// The loss in effect.
    pub fn loss(&self) -> PredictorLoss {
        self.loss.unwrap_or_default()
    }

    /// The weight of each auxiliary target's MSE.
    pub fn auxiliary_weight(&self) -> f64 {
        self.auxiliary_weight.unwrap_or(1.0)
    }

    /// The auxiliary targets' metric names (none for the reference).
    pub fn auxiliary_targets(&self) -> &[String] {
        self.auxiliary_targets.as_deref().unwrap_or_default()
    }

    /// Whether the best validation epoch's weights are the result.
    pub fn keeps_best(&self) -> bool {
        self.keep_best.unwrap_or(false)
    }
}

impl VsGaeTrainingConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = Checks { prefix: "" };
        self.model.validate_at("model")?;
        check.count("epochs", self.epochs, 1, usize::MAX)?;
        check.count("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)?;
        check.real("learning_rate", self.learning_rate, f64::MIN_POSITIVE, MAX_LEARNING_RATE)?;
        check.real("plateau_factor", self.plateau_factor, f64::MIN_POSITIVE, 1.0)?;
        if let Some(LearningRateSchedule::WarmupCosine { final_factor, .. }) = self.schedule {
            check.real("schedule.final_factor", final_factor, 0.0, 1.0)?;
        }
        if let Some(share) = self.replay_share {
            check.real("replay_share", share, 0.0, MAX_REPLAY_SHARE)?;
        }
        if let Some(midpoints) = self.masked_midpoints {
            check.real("masked_midpoints.share", midpoints.share, f64::MIN_POSITIVE, 1.0)?;
            check.real("masked_midpoints.weight", midpoints.weight, 0.0, MAX_MIDPOINT_WEIGHT)?;
        }
        Ok(())
    }
}

impl VsGaeTrainingConfig {
    /// The weight of the KL term at optimiser step `step` (counted from 0 in the whole run).
    pub fn beta_at(&self, step: usize) -> f64 {
        match self.beta_warmup_steps {
            Some(warmup) if step < warmup => self.model.beta * (step + 1) as f64 / warmup as f64,
            _ => self.model.beta,
        }
    }
}

impl VsGaeConfig {
    /// How the KL term gathers over a batch.
    pub fn kl_reduction(&self) -> KlReduction {
        self.kl_reduction.unwrap_or_default()
    }

    /// The edge pairing in effect.
    pub fn edge_pairing(&self) -> EdgePairing {
        self.edge_pairing.unwrap_or_default()
    }

    /// The edge loss in effect.
    pub fn edge_loss(&self) -> EdgeLoss {
        self.edge_loss.unwrap_or_default()
    }

    /// The edge head's context in effect.
    pub fn edge_context(&self) -> EdgeContext {
        self.edge_context.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_written_before_the_recipe_options_load_as_the_reference() {
        let old = r#"{"encoder":{"num_node_types":5,"node_dim":250,"graph_dim":56,"num_layers":2},
            "beta":0.005,"alpha":0.5,"noise_scale":0.01,"max_nodes":20}"#;
        let config: VsGaeConfig = serde_json::from_str(old).expect("an old config reads");
        assert_eq!((config.edge_pairing(), config.edge_loss()), (EdgePairing::Reference, EdgeLoss::Mean));
        assert_eq!((config.kl_reduction(), config.edge_context()), (KlReduction::Sum, EdgeContext::None));
        let new = config
            .with_edge_pairing(Some(EdgePairing::PerGraph))
            .with_edge_loss(Some(EdgeLoss::Sum))
            .with_edge_context(Some(EdgeContext::Counts));
        let back: VsGaeConfig = serde_json::from_str(&serde_json::to_string(&new).expect("write")).expect("read");
        assert_eq!((back.edge_pairing(), back.edge_loss()), (EdgePairing::PerGraph, EdgeLoss::Sum));
        assert_eq!(back.edge_context(), EdgeContext::Counts);
    }

    #[test]
    fn configs_out_of_range_are_refused_naming_the_field() {
        let huge =
            PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new().with_node_dim(1_000_000_000)));
        let error = huge.validate().expect_err("refused");
        assert_eq!(error.field, "model.encoder.node_dim");
        assert!(error.to_string().contains("1000000000"), "{error}");
        let deep = PredictorConfig::new(EncoderConfig::new()).with_num_head_layers(64);
        assert_eq!(deep.validate().expect_err("refused").field, "num_head_layers");
        let vae = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new()).with_max_nodes(1_000_000));
        assert_eq!(vae.validate().expect_err("refused").field, "model.max_nodes");
        let replaying = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new()));
        assert!(replaying.clone().with_replay_share(Some(0.25)).validate().is_ok());
        for share in [-0.1, 0.95, f64::NAN] {
            let refused = replaying.clone().with_replay_share(Some(share)).validate().expect_err("refused");
            assert_eq!(refused.field, "replay_share");
        }
        assert!(VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new())).validate().is_ok());
        assert!(PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new())).validate().is_ok());
    }

    #[test]
    fn predictor_configs_written_before_the_recipe_options_load_as_the_reference() {
        let old = r#"{"model":{"encoder":{"num_node_types":5,"node_dim":250,"graph_dim":56,"num_layers":2},
            "num_head_layers":4},"epochs":30,"batch_size":128,"learning_rate":0.001,"task":"interpolation",
            "training_size":100,"sampling":"random","target":"val_acc_108","seed":0,"checkpoint_every":10}"#;
        let config: PredictorTrainingConfig = serde_json::from_str(old).expect("an old config reads");
        assert_eq!(config.loss(), PredictorLoss::Mse);
        assert_eq!(config.schedule, None);
        assert_eq!(config.model.auxiliary_outputs(), 0);
        assert!(config.auxiliary_targets().is_empty() && !config.keeps_best());
        assert_eq!((config.split_seed(), config.training_cells), (0, None));
        assert!(config.validate().is_ok());
        let plateau = config.with_schedule(Some(LearningRateSchedule::Plateau));
        assert_eq!(plateau.validate().expect_err("refused").field, "schedule");
    }

    #[test]
    fn warm_up_then_cosine_decay() {
        let schedule = LearningRateSchedule::WarmupCosine { warmup_steps: 10, final_factor: 0.1 };
        assert!((schedule.at(1e-3, 0, 110) - 1e-4).abs() < 1e-12);
        assert!((schedule.at(1e-3, 9, 110) - 1e-3).abs() < 1e-12);
        assert!((schedule.at(1e-3, 60, 110) - 0.55e-3).abs() < 1e-12, "halfway down the cosine");
        assert!((schedule.at(1e-3, 110, 110) - 1e-4).abs() < 1e-12);
        assert_eq!(LearningRateSchedule::Plateau.at(1e-3, 50, 110), 1e-3);
    }

    #[test]
    fn beta_warms_up_linearly() {
        let config = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new()).with_beta(0.5));
        assert_eq!(config.beta_at(0), 0.5);
        let warm = config.with_beta_warmup_steps(Some(10));
        assert!((warm.beta_at(0) - 0.05).abs() < 1e-12);
        assert!((warm.beta_at(4) - 0.25).abs() < 1e-12);
        assert_eq!((warm.beta_at(9), warm.beta_at(1000)), (0.5, 0.5));
    }

    #[test]
    fn defaults_match_the_reference_and_survive_json() {
        let config = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new()));
        assert_eq!(config.model.encoder.node_dim, 250);
        assert_eq!(config.model.encoder.graph_dim, 56);
        assert_eq!(config.model.beta, 0.005);
        assert_eq!(config.epochs, 300);
        assert_eq!(config.replay_share, None, "every cell once an epoch");
        let json = serde_json::to_string(&config).expect("serialise");
        let back: VsGaeTrainingConfig = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, config);
        let predictor = PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new()));
        assert_eq!((predictor.learning_rate, predictor.batch_size, predictor.epochs), (1e-5, 128, 100));
    }
}
