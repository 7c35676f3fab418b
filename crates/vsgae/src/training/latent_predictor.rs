//! The paper's stability experiment: the accuracy head trained on frozen VS-GAE latents.
//!
//! The cells are encoded once (the VS-GAE's means); then the predictor's MLP head alone
//! (`graph → graph/2 → … → 1`) is trained on them with the same split, sampling, optimiser and
//! loss as the full predictor. Training takes seconds, so it runs in one call on one thread.

use std::sync::Arc;

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::TrainError;
use super::events::{EpochRecord, EventSink};
use super::predictor::{PredictorData, PredictorSplit, Stateless};
use super::session::Session;
use super::task::{DataFingerprint, EpochClosing, ModelKind, RunPlan, Shard, StepPosition, TrainingTask};
use crate::config::PredictorTrainingConfig;
use crate::evaluation::metrics::RegressionMetrics;
use crate::io::state_dict::{ReferenceParams, StateDict};
use crate::model::accuracy_head::AccuracyHead;

/// Cells with targets and their latent points.
#[derive(Debug, Clone)]
pub struct LatentData {
    /// The cells and targets, shared with the other runs on them.
    pub data: Arc<PredictorData>,
    /// One row per cell of `data`, on a device without autodiff. Shape `[cells, graph_dim]`.
    pub latents: Tensor<2>,
}

fn rows(latents: &Tensor<2>, indices: &[usize], device: &Device) -> Tensor<2> {
    let index: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    let index = Tensor::<1, Int>::from_data(TensorData::new(index, [indices.len()]), &latents.device());
    latents.clone().select(0, index).to_device(device)
}

/// Training the accuracy head on frozen latents.
#[derive(Debug)]
pub struct LatentPredictorTask {
    config: PredictorTrainingConfig,
    data: LatentData,
    split: PredictorSplit,
}

impl LatentPredictorTask {
    async fn evaluate(
        &self,
        model: &AccuracyHead,
        indices: &[usize],
        device: &Device,
    ) -> Result<Option<RegressionMetrics>, TrainError> {
        if indices.is_empty() {
            return Ok(None);
        }
        let predicted = crate::readback::floats_async(model.forward(rows(&self.data.latents, indices, device))).await?;
        let predicted: Vec<f64> = predicted.into_iter().map(f64::from).collect();
        let truth: Vec<f64> = indices.iter().map(|&i| self.data.data.targets[i]).collect();
        Ok(Some(RegressionMetrics::compute(&predicted, &truth)?))
    }
}

impl TrainingTask for LatentPredictorTask {
    type Model = AccuracyHead;
    type Config = PredictorTrainingConfig;
    type State = Stateless;
    type Data = LatentData;
    const KIND: ModelKind = ModelKind::LatentPredictor;

    fn validate(config: &PredictorTrainingConfig) -> Result<(), crate::config::ConfigError> {
        config.validate()
    }

    fn new(config: PredictorTrainingConfig, data: LatentData) -> Result<Self, TrainError> {
        config.validate()?;
        let split = PredictorSplit::new(&data.data, &config)?;
        Ok(Self { config, data, split })
    }

    fn config(&self) -> &PredictorTrainingConfig {
        &self.config
    }

    fn plan(&self) -> RunPlan {
        let c = &self.config;
        RunPlan { epochs: c.epochs, batch_size: c.batch_size, seed: c.seed, checkpoint_every: c.checkpoint_every }
    }

    fn training_items(&self) -> &[usize] {
        &self.split.train
    }

    fn fingerprint(&self) -> DataFingerprint {
        let hashes = &self.data.data.hashes;
        DataFingerprint { cells: hashes.len(), first_hash: hashes.first().map(ToString::to_string) }
    }

    fn new_model(&self, device: &Device) -> Result<AccuracyHead, TrainError> {
        let graph_dim = self.data.latents.dims()[1];
        let layers = self.config.model.num_head_layers;
        Ok(crate::model::initialization::seeded(
            |d| AccuracyHead::init(graph_dim, layers, d),
            device,
            self.config.seed,
        )?)
    }

    fn load_model(&self, weights: &mut StateDict, device: &Device) -> Result<AccuracyHead, TrainError> {
        let graph_dim = self.data.latents.dims()[1];
        Ok(AccuracyHead::init(graph_dim, self.config.model.num_head_layers, device).load(weights, "", device)?)
    }

    fn initial_state(&self) -> Stateless {
        Stateless {}
    }

    fn learning_rate(&self, _: &Stateless, _: StepPosition) -> f64 {
        self.config.learning_rate
    }

    fn trained(model: AccuracyHead, _: &PredictorTrainingConfig) -> super::TrainedModel {
        super::TrainedModel::LatentPredictor(model)
    }

    fn shard_loss(&self, model: &AccuracyHead, shard: &Shard<'_>, device: &Device) -> Tensor<1> {
        let targets: Vec<f32> = shard.items.iter().map(|&i| self.data.data.targets[i] as f32).collect();
        let targets = Tensor::<1>::from_data(TensorData::new(targets, [shard.items.len()]), device);
        let errors = (model.forward(rows(&self.data.latents, shard.items, device)) - targets).powi_scalar(2);
        if shard.items.len() == shard.batch_len {
            errors.mean()
        } else {
            errors.sum().div_scalar(shard.batch_len as f64)
        }
    }

    async fn end_epoch(
        &self,
        model: &AccuracyHead,
        closing: EpochClosing,
        _: &mut Stateless,
        device: &Device,
    ) -> Result<EpochRecord, TrainError> {
        Ok(EpochRecord {
            epoch: closing.epoch,
            train_loss: closing.train_loss,
            learning_rate: closing.learning_rate,
            validation: self.evaluate(model, &self.split.validation, device).await?,
            test: self.evaluate(model, &self.split.test, device).await?,
            held_out_loss: None,
        })
    }
}

/// Trains the head on `latents` (one row per cell of `data`, without autodiff), reporting every
/// epoch; `device` is the autodiff device to train on.
pub fn train_latent_predictor(
    config: &PredictorTrainingConfig,
    data: Arc<PredictorData>,
    latents: Tensor<2>,
    device: &Device,
    sink: &mut dyn EventSink,
) -> Result<(AccuracyHead, Vec<EpochRecord>), TrainError> {
    let mut session =
        Session::<LatentPredictorTask>::new(config.clone(), LatentData { data, latents }, device.clone())?
            .with_threads(1);
    session.run(sink)?;
    Ok((session.model(), session.history().to_vec()))
}
