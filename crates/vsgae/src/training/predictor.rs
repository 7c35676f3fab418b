//! Training the performance predictor: by default MSE on the target metric with Adam at a
//! constant learning rate (the reference's `enc_perf_prediction.py`); the config may add a
//! pairwise ranking loss, auxiliary targets and a warm-up/cosine schedule. And predicting with it.

use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::sampling::{sample, sample_count};
use nasbench::{Cell, Dataset, MetricKey, ModuleHash};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::events::EpochRecord;
use super::task::{DataFingerprint, EpochClosing, ModelKind, RunPlan, Shard, StepPosition, TrainingTask};
use crate::config::{LearningRateSchedule, PredictorLoss, PredictorTrainingConfig};
use crate::evaluation::metrics::RegressionMetrics;
use crate::inference::{predict, predict_async};
use crate::io::state_dict::{ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::predictor::{Predictor, PredictorNet};

/// Cells with a known target.
#[derive(Debug, Clone, Default)]
pub struct PredictorData {
    /// Each cell's official hash.
    pub hashes: Vec<ModuleHash>,
    /// The cells.
    pub cells: Vec<Cell>,
    /// Each cell's target value.
    pub targets: Vec<f64>,
    /// Per cell, the auxiliary targets' values (empty without auxiliary targets).
    pub auxiliary: Vec<Vec<f64>>,
}

impl PredictorData {
    /// The records of `dataset` that have `key` (its mean over repeats is the target).
    pub fn from_dataset(dataset: &Dataset, key: MetricKey) -> Self {
        Self::with_auxiliary(dataset, key, &[])
    }

    /// The records of `dataset` that have `key` and every one of `auxiliary`.
    pub fn with_auxiliary(dataset: &Dataset, key: MetricKey, auxiliary: &[MetricKey]) -> Self {
        let mut data = Self::default();
        for record in dataset.records() {
            let Some(target) = record.mean(key) else { continue };
            let Some(extra) = auxiliary.iter().map(|&k| record.mean(k)).collect::<Option<Vec<f64>>>() else {
                continue;
            };
            data.hashes.push(record.hash);
            data.cells.push(record.cell);
            data.targets.push(target);
            if !auxiliary.is_empty() {
                data.auxiliary.push(extra);
            }
        }
        data
    }

    /// The data `config` trains on: its target and auxiliary targets.
    pub fn for_config(dataset: &Dataset, config: &PredictorTrainingConfig) -> Result<Self, TrainError> {
        let key = |name: &String| name.parse::<MetricKey>().map_err(|e| TrainError::NoData(e.to_string()));
        let auxiliary = config.auxiliary_targets().iter().map(key).collect::<Result<Vec<_>, _>>()?;
        Ok(Self::with_auxiliary(dataset, key(&config.target)?, &auxiliary))
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Which cells train, validate and test, as indices into [`PredictorData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictorSplit {
    /// The sampled training subset.
    pub train: Vec<usize>,
    /// Indices of the validation part.
    pub validation: Vec<usize>,
    /// Indices of the test part.
    pub test: Vec<usize>,
}

impl PredictorSplit {
    /// The task's split, then the sampling method at the training size, all seeded.
    pub fn new(data: &PredictorData, config: &PredictorTrainingConfig) -> Result<Self, TrainError> {
        let seed = config.split_seed();
        let split = config.task.split(&data.cells, seed);
        // Edit sampling is stratified by the distance to the best training cell.
        let reference = split.train.iter().copied().max_by(|&a, &b| data.targets[a].total_cmp(&data.targets[b]));
        let train = match config.training_cells {
            Some(count) => sample_count(&data.cells, &split.train, count, config.sampling, seed, reference),
            None => sample(&data.cells, &split.train, config.training_size, config.sampling, seed, reference)?,
        };
        if train.is_empty() {
            return Err(TrainError::NoData(format!("the {} split leaves no training cells", config.task)));
        }
        Ok(Self { train, validation: split.validation, test: split.test })
    }
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

/// `model` with every member's encoder replaced by the trained encoder of the VS-GAE in `dir`
/// (its `Encoder.NodeEmb` and `Encoder.GraphEmb_mean`); the heads keep their values.
pub fn with_vsgae_encoder(model: Predictor, dir: &std::path::Path, device: &Device) -> Result<Predictor, TrainError> {
    let file = crate::io::checkpoint::CheckpointFiles::new(dir).weights();
    let error = |message: String| {
        TrainError::Checkpoint(crate::io::checkpoint::CheckpointError::File { path: file.clone(), message })
    };
    let size = std::fs::metadata(&file).map_err(|e| error(e.to_string()))?.len();
    if size > crate::io::checkpoint::MAX_CHECKPOINT_FILE_BYTES {
        return Err(error(format!("{size} bytes, more than a model file may hold")));
    }
    let bytes = std::fs::read(&file).map_err(|e| error(e.to_string()))?;
    let vsgae = StateDict::from_bytes(&bytes).map_err(|e| error(e.to_string()))?;
    let mut weights = StateDict::default();
    model.save(&mut weights, "");
    let members = model.members.len();
    let mut replaced = 0;
    for (name, tensor) in weights.tensors.iter_mut() {
        let local = if members == 1 { Some(name.as_str()) } else { name.splitn(3, '.').nth(2) };
        let Some(local) = local.filter(|n| n.starts_with("NodeEmb.") || n.starts_with("GraphEmb_mean.")) else {
            continue;
        };
        let source = format!("Encoder.{local}");
        let trained = vsgae.tensors.get(&source).ok_or_else(|| error(format!("it has no {source}: not a VS-GAE")))?;
        if trained.shape != tensor.shape {
            return Err(error(format!(
                "{source} has shape {:?}, the predictor's encoder needs {:?}",
                trained.shape, tensor.shape
            )));
        }
        tensor.values.clone_from(&trained.values);
        replaced += 1;
    }
    if replaced == 0 {
        return Err(error("no encoder parameter matched".to_owned()));
    }
    Ok(model.load(&mut weights, "", device)?)
}

/// A shard's per-cell values summed over the whole batch's size (their batch mean once the
/// shards are added).
///
/// # Shapes
/// - `values`: `[shard]`
/// - output: `[1]`
fn batch_mean(values: Tensor<1>, shard: &Shard<'_>) -> Tensor<1> {
    if shard.items.len() == shard.batch_len { values.mean() } else { values.sum().div_scalar(shard.batch_len as f64) }
}

/// The logistic pairwise ranking loss: `softplus(-(p_i - p_j) / temperature)` averaged over the
/// pairs with `truth[i] > truth[j]` (0 where there are none).
///
/// # Shapes
/// - `predicted`: `[n]`
/// - output: `[1]`
pub fn pairwise_ranking(predicted: Tensor<1>, truth: &[f32], temperature: f64, device: &Device) -> Tensor<1> {
    RankedPairs::new(truth, device).loss(predicted, temperature)
}

/// The ordered pairs `truth[i] > truth[j]` of some cells, as a mask on the device.
struct RankedPairs {
    /// `[n, n]`: 1 where cell `i` is better than cell `j`.
    better: Tensor<2>,
    /// How many pairs (at least 1).
    count: f64,
}

impl RankedPairs {
    fn new(truth: &[f32], device: &Device) -> Self {
        let n = truth.len();
        let better: Vec<f32> = (0..n * n).map(|k| f32::from(truth[k / n] > truth[k % n])).collect();
        let count = f64::from(better.iter().sum::<f32>().max(1.0));
        Self { better: Tensor::<2>::from_data(TensorData::new(better, [n, n]), device), count }
    }

    /// See [`pairwise_ranking`].
    ///
    /// # Shapes
    /// - `predicted`: `[n]`
    /// - output: `[1]`
    fn loss(&self, predicted: Tensor<1>, temperature: f64) -> Tensor<1> {
        let margins = predicted.clone().unsqueeze_dim::<2>(1) - predicted.unsqueeze_dim::<2>(0);
        let losses = burn::tensor::activation::softplus(margins.div_scalar(-temperature), 1.0);
        (losses * self.better.clone()).sum().div_scalar(self.count)
    }
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
    /// Vertices of the largest training cell, which every batch is padded to (stable shapes on a
    /// GPU).
    largest_cell: usize,
}

impl PredictorTask {
    /// Which cells train, validate and test.
    pub fn split(&self) -> &PredictorSplit {
        &self.split
    }

    /// The cells and targets trained on.
    pub fn data(&self) -> &PredictorData {
        &self.data
    }

    /// The shard's targets on the device, built once for all of the ensemble's members.
    fn shard_targets(&self, shard: &Shard<'_>, device: &Device) -> ShardTargets {
        let truth: Vec<f32> = shard.items.iter().map(|&i| self.data.targets[i] as f32).collect();
        let pairs = match self.config.loss() {
            PredictorLoss::Mse => None,
            PredictorLoss::Ranking { .. } => Some(RankedPairs::new(&truth, device)),
        };
        let outputs = self.config.auxiliary_targets().len();
        let auxiliary = (outputs > 0).then(|| {
            let values: Vec<f32> =
                shard.items.iter().flat_map(|&i| self.data.auxiliary[i].iter().map(|&v| v as f32)).collect();
            Tensor::<2>::from_data(TensorData::new(values, [shard.items.len(), outputs]), device)
        });
        ShardTargets {
            targets: Tensor::<1>::from_data(TensorData::new(truth, [shard.items.len()]), device),
            pairs,
            auxiliary,
        }
    }

    /// One network's part of [`TrainingTask::shard_loss`].
    fn member_loss(
        &self,
        member: &PredictorNet,
        batch: &GraphBatch,
        targets: &ShardTargets,
        shard: &Shard<'_>,
    ) -> Tensor<1> {
        let (predicted, auxiliary) = member.forward_with_auxiliary(batch);
        let share = shard.items.len() as f64 / shard.batch_len as f64;
        let mse = batch_mean((predicted.clone() - targets.targets.clone()).powi_scalar(2), shard);
        let mut loss = match (self.config.loss(), &targets.pairs) {
            (PredictorLoss::Ranking { temperature, mse_weight }, Some(pairs)) => {
                pairs.loss(predicted, temperature).mul_scalar(share) + mse.mul_scalar(mse_weight)
            }
            _ => mse,
        };
        if let (Some(auxiliary), Some(truth)) = (auxiliary, &targets.auxiliary) {
            let outputs = truth.dims()[1];
            let errors =
                (auxiliary - truth.clone()).powi_scalar(2).sum_dim(1).squeeze_dim(1).div_scalar(outputs as f64);
            loss = loss + batch_mean(errors, shard).mul_scalar(self.config.auxiliary_weight());
        }
        loss
    }
}

/// A shard's targets on the device.
struct ShardTargets {
    /// `[shard]`
    targets: Tensor<1>,
    /// The ranking loss's pairs, where the loss ranks.
    pairs: Option<RankedPairs>,
    /// `[shard, auxiliary_outputs]`, for a model with auxiliary outputs.
    auxiliary: Option<Tensor<2>>,
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
        let largest_cell = split.train.iter().map(|&i| data.cells[i].n_vertices()).max().unwrap_or(1);
        Ok(Self { config, data, split, largest_cell })
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
        let model = self.config.model.init_seeded(device, self.config.seed)?;
        match &self.config.encoder_from {
            None => Ok(model),
            Some(dir) => with_vsgae_encoder(model, std::path::Path::new(dir), device),
        }
    }

    fn load_model(&self, weights: &mut StateDict, device: &Device) -> Result<Predictor, TrainError> {
        Ok(self.config.model.init(device).load(weights, "", device)?)
    }

    fn initial_state(&self) -> Stateless {
        Stateless {}
    }

    fn learning_rate(&self, _: &Stateless, position: StepPosition) -> f64 {
        let total = self.config.epochs * position.steps_per_epoch;
        let schedule = self.config.schedule.unwrap_or(LearningRateSchedule::Constant);
        schedule.at(self.config.learning_rate, position.global_step(), total)
    }

    fn trained(model: Predictor, _: &PredictorTrainingConfig) -> super::TrainedModel {
        super::TrainedModel::Predictor(Box::new(model))
    }

    /// The validation Kendall τ, for runs that keep their best epoch.
    fn selection_score(&self, record: &EpochRecord) -> Option<f64> {
        self.config.keeps_best().then_some(record.validation.as_ref()?.kendall_tau)
    }

    /// The shard's part of the batch's loss: the sum over the ensemble's members of each one's
    /// squared errors over the batch's size (the batch's MSE summed over shards), and the
    /// ranking and auxiliary terms the config adds.
    fn shard_loss(&self, model: &Predictor, shard: &Shard<'_>, device: &Device) -> Tensor<1> {
        let cells: Vec<&Cell> = shard.items.iter().map(|&i| &self.data.cells[i]).collect();
        let batch = GraphBatch::at_least(&cells, self.largest_cell, device);
        let targets = self.shard_targets(shard, device);
        let mut members = model.members.iter().map(|member| self.member_loss(member, &batch, &targets, shard));
        let first = members.next().unwrap_or_else(|| Tensor::zeros([1], device));
        members.fold(first, |sum, loss| sum + loss)
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
            held_out_loss: None,
        })
    }
}
