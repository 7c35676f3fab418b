//! Training the performance predictor: MSE on the target metric with Adam at a constant learning
//! rate (the reference's `enc_perf_prediction.py`), and predicting with it.

use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::sampling::sample;
use nasbench::{Cell, Dataset, MetricKey, ModuleHash};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::events::EpochRecord;
use super::task::{DataFingerprint, EpochClosing, ModelKind, RunPlan, Shard, StepPosition, TrainingTask};
use crate::config::PredictorTrainingConfig;
use crate::evaluation::metrics::RegressionMetrics;
use crate::io::state_dict::{ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::predictor::Predictor;
use crate::readback::ReadbackError;

/// Cells with a known target.
#[derive(Debug, Clone, Default)]
pub struct PredictorData {
    pub hashes: Vec<ModuleHash>,
    pub cells: Vec<Cell>,
    pub targets: Vec<f64>,
}

impl PredictorData {
    /// The records of `dataset` that have `key` (its mean over repeats is the target).
    pub fn from_dataset(dataset: &Dataset, key: MetricKey) -> Self {
        let mut data = Self::default();
        for record in dataset.records() {
            if let Some(target) = record.mean(key) {
                data.hashes.push(record.hash);
                data.cells.push(record.cell);
                data.targets.push(target);
            }
        }
        data
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Which cells train, validate and test, as indices into [`PredictorData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictorSplit {
    /// The sampled training subset.
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}

impl PredictorSplit {
    /// The task's split, then the sampling method at the training size, all seeded.
    pub fn new(data: &PredictorData, config: &PredictorTrainingConfig) -> Result<Self, TrainError> {
        let split = config.task.split(&data.cells, config.seed);
        // Edit sampling is stratified by the distance to the best training cell.
        let reference = split.train.iter().copied().max_by(|&a, &b| data.targets[a].total_cmp(&data.targets[b]));
        let train = sample(&data.cells, &split.train, config.training_size, config.sampling, config.seed, reference)?;
        if train.is_empty() {
            return Err(TrainError::NoData(format!("the {} split leaves no training cells", config.task)));
        }
        Ok(Self { train, validation: split.validation, test: split.test })
    }
}

/// Cells per forward pass when predicting many: every caller uses the same chunks, so a cell's
/// prediction is bit for bit the same wherever it is made on one backend.
pub const PREDICT_CHUNK: usize = 1024;

/// Predictions for many cells, in chunks of [`PREDICT_CHUNK`]; on Burn's CPU backend the chunks
/// are spread over every core.
pub fn predict(model: &Predictor, cells: &[Cell], device: &Device) -> Result<Vec<f64>, ReadbackError> {
    let chunks: Vec<&[Cell]> = cells.chunks(PREDICT_CHUNK).collect();
    let threads = super::session::host_threads(device).min(chunks.len()).max(1);
    if threads == 1 {
        return crate::readback::block_on(predict_async(model, cells, device));
    }
    let per_thread = chunks.len().div_ceil(threads);
    let parts: Vec<Result<Vec<f64>, ReadbackError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .chunks(per_thread)
            .map(|group| {
                let model = model.clone();
                scope.spawn(move || -> Result<Vec<f64>, ReadbackError> {
                    let mut out = Vec::new();
                    for part in group {
                        out.extend(crate::readback::block_on(predict_async(&model, part, device))?);
                    }
                    Ok(out)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| Err(ReadbackError("a prediction thread panicked".to_owned())))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(cells.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// [`predict`] on this thread with asynchronous readback (the form a browser needs).
pub async fn predict_async(model: &Predictor, cells: &[Cell], device: &Device) -> Result<Vec<f64>, ReadbackError> {
    let mut out = Vec::with_capacity(cells.len());
    for part in cells.chunks(PREDICT_CHUNK) {
        let refs: Vec<&Cell> = part.iter().collect();
        let batch = GraphBatch::new(&refs, device);
        let values = crate::readback::floats_async(model.forward(&batch)).await?;
        out.extend(values.into_iter().map(f64::from));
    }
    Ok(out)
}

/// The metrics of a model on some cells (`None` for no cells).
pub fn evaluate(
    model: &Predictor,
    data: &PredictorData,
    indices: &[usize],
    device: &Device,
) -> Result<Option<RegressionMetrics>, TrainError> {
    if indices.is_empty() {
        return Ok(None);
    }
    let cells: Vec<Cell> = indices.iter().map(|&i| data.cells[i]).collect();
    let truth: Vec<f64> = indices.iter().map(|&i| data.targets[i]).collect();
    Ok(Some(RegressionMetrics::compute(&predict(model, &cells, device)?, &truth)?))
}

/// [`evaluate`] on this thread with asynchronous readback.
pub async fn evaluate_async(
    model: &Predictor,
    data: &PredictorData,
    indices: &[usize],
    device: &Device,
) -> Result<Option<RegressionMetrics>, TrainError> {
    if indices.is_empty() {
        return Ok(None);
    }
    let cells: Vec<Cell> = indices.iter().map(|&i| data.cells[i]).collect();
    let truth: Vec<f64> = indices.iter().map(|&i| data.targets[i]).collect();
    Ok(Some(RegressionMetrics::compute(&predict_async(model, &cells, device).await?, &truth)?))
}

/// A task without state between epochs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stateless {}

/// Training the predictor on a split of [`PredictorData`].
#[derive(Debug)]
pub struct PredictorTask {
    config: PredictorTrainingConfig,
    data: Arc<PredictorData>,
    split: PredictorSplit,
}

impl PredictorTask {
    /// Which cells train, validate and test.
    pub fn split(&self) -> &PredictorSplit {
        &self.split
    }

    pub fn data(&self) -> &PredictorData {
        &self.data
    }
}

impl TrainingTask for PredictorTask {
    type Model = Predictor;
    type Config = PredictorTrainingConfig;
    type State = Stateless;
    type Data = Arc<PredictorData>;
    const KIND: ModelKind = ModelKind::Predictor;

    fn validate(config: &PredictorTrainingConfig) -> Result<(), crate::config::ConfigError> {
        config.validate()
    }

    fn new(config: PredictorTrainingConfig, data: Arc<PredictorData>) -> Result<Self, TrainError> {
        config.validate()?;
        let split = PredictorSplit::new(&data, &config)?;
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
        DataFingerprint { cells: self.data.len(), first_hash: self.data.hashes.first().map(ToString::to_string) }
    }

    fn new_model(&self, device: &Device) -> Result<Predictor, TrainError> {
        Ok(self.config.model.init_seeded(device, self.config.seed)?)
    }

    fn load_model(&self, weights: &mut StateDict, device: &Device) -> Result<Predictor, TrainError> {
        Ok(self.config.model.init(device).load(weights, "", device)?)
    }

    fn initial_state(&self) -> Stateless {
        Stateless {}
    }

    fn learning_rate(&self, _: &Stateless, _: StepPosition) -> f64 {
        self.config.learning_rate
    }

    fn trained(model: Predictor, _: &PredictorTrainingConfig) -> super::TrainedModel {
        super::TrainedModel::Predictor(Box::new(model))
    }

    /// The shard's squared errors over the batch's size (the batch's MSE summed over shards).
    fn shard_loss(&self, model: &Predictor, shard: &Shard<'_>, device: &Device) -> Tensor<1> {
        let cells: Vec<&Cell> = shard.items.iter().map(|&i| &self.data.cells[i]).collect();
        let targets: Vec<f32> = shard.items.iter().map(|&i| self.data.targets[i] as f32).collect();
        let targets = Tensor::<1>::from_data(TensorData::new(targets, [shard.items.len()]), device);
        let errors = (model.forward(&GraphBatch::new(&cells, device)) - targets).powi_scalar(2);
        if shard.items.len() == shard.batch_len {
            errors.mean()
        } else {
            errors.sum().div_scalar(shard.batch_len as f64)
        }
    }

    async fn end_epoch(
        &self,
        model: &Predictor,
        closing: EpochClosing,
        _: &mut Stateless,
        device: &Device,
    ) -> Result<EpochRecord, TrainError> {
        let (validation, test) = if closing.evaluate && cfg!(target_family = "wasm") {
            (
                evaluate_async(model, &self.data, &self.split.validation, device).await?,
                evaluate_async(model, &self.data, &self.split.test, device).await?,
            )
        } else if closing.evaluate {
            (
                evaluate(model, &self.data, &self.split.validation, device)?,
                evaluate(model, &self.data, &self.split.test, device)?,
            )
        } else {
            (None, None)
        };
        Ok(EpochRecord {
            epoch: closing.epoch,
            train_loss: closing.train_loss,
            learning_rate: closing.learning_rate,
            validation,
            test,
            validation_loss: None,
        })
    }
}
