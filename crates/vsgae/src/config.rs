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
    pub encoder: EncoderConfig,
    /// Linear layers of the accuracy head, each halving the width.
    #[config(default = 4)]
    pub num_head_layers: usize,
}

/// The variational-sequential graph autoencoder.
#[derive(Config, Debug, PartialEq)]
pub struct VsGaeConfig {
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
}

/// Training of the predictor, as the reference does it (`enc_perf_prediction.py`: Adam, MSE,
/// no learning-rate schedule).
#[derive(Config, Debug, PartialEq)]
pub struct PredictorTrainingConfig {
    pub model: PredictorConfig,
    #[config(default = 100)]
    pub epochs: usize,
    #[config(default = 128)]
    pub batch_size: usize,
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
    /// The metric to predict (see `nasbench::MetricKey`).
    #[config(default = "String::from(\"val_acc_108\")")]
    pub target: String,
    /// Seeds the split, the sampling and the shuffling.
    #[config(default = 0)]
    pub seed: u64,
    /// Write a checkpoint every this many epochs (and at the end); 0 only at the end.
    #[config(default = 10)]
    pub checkpoint_every: usize,
}

/// Training of the VS-GAE, as the reference does it.
#[derive(Config, Debug, PartialEq)]
pub struct VsGaeTrainingConfig {
    pub model: VsGaeConfig,
    #[config(default = 300)]
    pub epochs: usize,
    #[config(default = 128)]
    pub batch_size: usize,
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Factor of ReduceLROnPlateau on the validation loss.
    #[config(default = 0.1)]
    pub plateau_factor: f64,
    /// Patience of ReduceLROnPlateau, in epochs.
    #[config(default = 10)]
    pub plateau_patience: usize,
    #[config(default = 0)]
    pub seed: u64,
    /// Write a checkpoint every this many epochs (and at the end); 0 only at the end.
    #[config(default = 10)]
    pub checkpoint_every: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_reference_and_survive_json() {
        let config = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new()));
        assert_eq!(config.model.encoder.node_dim, 250);
        assert_eq!(config.model.encoder.graph_dim, 56);
        assert_eq!(config.model.beta, 0.005);
        assert_eq!(config.epochs, 300);
        let json = serde_json::to_string(&config).expect("serialise");
        let back: VsGaeTrainingConfig = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, config);
        let predictor = PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new()));
        assert_eq!((predictor.learning_rate, predictor.batch_size, predictor.epochs), (1e-5, 128, 100));
    }
}
