//! Training the performance predictor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use nasbench::sampling::sample;
use nasbench::{Cell, Dataset, MetricKey, ModuleHash};
use serde::{Deserialize, Serialize};

use super::checkpoint::{AdamState, Checkpoint, restore_adam};
use super::cursor::{EpochCursor, EpochPosition};
use super::events::{EpochRecord, EventSink, TrainingEvent};
use super::{StepOutcome, TrainError, report_epoch};
use crate::batch::GraphBatch;
use crate::config::PredictorTrainingConfig;
use crate::metrics::RegressionMetrics;
use crate::predictor::Predictor;
use crate::stable_ids::with_stable_ids;
use crate::state_dict::ReferenceParams;

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

/// Predictions for many cells, in chunks of `chunk`.
pub fn predict(model: &Predictor, cells: &[Cell], device: &Device, chunk: usize) -> Vec<f64> {
    crate::readback::block_on(predict_async(model, cells, device, chunk))
}

/// [`predict`] with asynchronous readback (the form a browser needs).
pub async fn predict_async(model: &Predictor, cells: &[Cell], device: &Device, chunk: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(cells.len());
    for part in cells.chunks(chunk.max(1)) {
        let refs: Vec<&Cell> = part.iter().collect();
        let batch = GraphBatch::new(&refs, device);
        let values = crate::readback::floats_async(model.forward(&batch)).await;
        out.extend(values.into_iter().map(f64::from));
    }
    out
}

/// The metrics of a model on some cells.
pub fn evaluate(
    model: &Predictor,
    data: &PredictorData,
    indices: &[usize],
    device: &Device,
) -> Option<RegressionMetrics> {
    if indices.is_empty() {
        return None;
    }
    crate::readback::block_on(evaluate_async(model, data, indices, device))
}

/// [`evaluate`] with asynchronous readback.
pub async fn evaluate_async(
    model: &Predictor,
    data: &PredictorData,
    indices: &[usize],
    device: &Device,
) -> Option<RegressionMetrics> {
    if indices.is_empty() {
        return None;
    }
    let cells: Vec<Cell> = indices.iter().map(|&i| data.cells[i]).collect();
    let truth: Vec<f64> = indices.iter().map(|&i| data.targets[i]).collect();
    Some(RegressionMetrics::compute(&predict_async(model, &cells, device, 2048).await, &truth))
}

/// How far a run has come; written last into a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    epochs_done: usize,
    /// Where the unfinished epoch stands (checkpoints taken between epochs have it empty).
    #[serde(default)]
    within_epoch: EpochPosition,
    cells: usize,
    first_hash: Option<String>,
    history: Vec<EpochRecord>,
}

/// A predictor training run that advances one optimiser step per [`PredictorSession::step`].
pub struct PredictorSession {
    config: PredictorTrainingConfig,
    data: Arc<PredictorData>,
    split: PredictorSplit,
    model: Predictor,
    optimizer: ModuleOptimizer,
    device: Device,
    cancel: Arc<AtomicBool>,
    cursor: EpochCursor,
    history: Vec<EpochRecord>,
    checkpoint_dir: Option<std::path::PathBuf>,
    checkpoint_every_steps: usize,
    evaluate_every: usize,
    optimizer_restored: bool,
}

impl std::fmt::Debug for PredictorSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredictorSession").field("cursor", &self.cursor).finish()
    }
}

impl PredictorSession {
    /// A new run. `device` should have autodiff (`Device::flex().autodiff()`, …).
    pub fn new(config: PredictorTrainingConfig, data: Arc<PredictorData>, device: Device) -> Result<Self, TrainError> {
        let split = PredictorSplit::new(&data, &config)?;
        let model = with_stable_ids(config.model.init_seeded(&device, config.seed)?);
        Ok(Self::assemble(config, data, split, model, device))
    }

    fn assemble(
        config: PredictorTrainingConfig,
        data: Arc<PredictorData>,
        split: PredictorSplit,
        model: Predictor,
        device: Device,
    ) -> Self {
        Self {
            optimizer: super::reference_adam(),
            config,
            data,
            split,
            model,
            device,
            cancel: Arc::new(AtomicBool::new(false)),
            cursor: EpochCursor::default(),
            history: Vec::new(),
            checkpoint_dir: None,
            checkpoint_every_steps: 0,
            evaluate_every: 1,
            optimizer_restored: true,
        }
    }

    /// Writes checkpoints into `dir` (every `checkpoint_every` epochs and at the end).
    pub fn with_checkpoints(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Validates and tests every `epochs` epochs (and after the last) instead of after each: the
    /// reference's per-epoch evaluation dominates the run at small training sizes.
    pub fn with_evaluate_every(mut self, epochs: usize) -> Self {
        self.evaluate_every = epochs.max(1);
        self
    }

    /// Also writes a checkpoint every `steps` optimiser steps inside an epoch (0: only between
    /// epochs); a resumed run continues from the step it stopped at.
    pub fn with_step_checkpoints(mut self, steps: usize) -> Self {
        self.checkpoint_every_steps = steps;
        self
    }

    /// Continues the run checkpointed in `dir` on the same data; it reaches the same result as
    /// an uninterrupted run with the same seed.
    pub fn resume(dir: &std::path::Path, data: Arc<PredictorData>, device: Device) -> Result<Self, TrainError> {
        let adam = AdamState::where_possible(&device);
        let mut session = Self::resume_from(&Checkpoint::read_dir(dir)?, data, device, adam)?;
        session.checkpoint_dir = Some(dir.to_owned());
        Ok(session)
    }

    /// Continues the run of an in-memory checkpoint (a downloaded zip in a browser). Without the
    /// optimizer state in it, or with `adam` [`AdamState::Reset`], Adam starts afresh ([`PredictorSession::optimizer_restored`]).
    pub fn resume_from(
        checkpoint: &Checkpoint,
        data: Arc<PredictorData>,
        device: Device,
        adam: AdamState,
    ) -> Result<Self, TrainError> {
        let config: PredictorTrainingConfig = checkpoint.config()?;
        let progress: Progress = checkpoint.progress()?;
        let first_hash = data.hashes.first().map(ToString::to_string);
        if progress.cells != data.len() || progress.first_hash != first_hash {
            return Err(TrainError::Mismatch(format!(
                "it was trained on {} cells starting with {:?}, this data has {} starting with {:?}",
                progress.cells,
                progress.first_hash,
                data.len(),
                first_hash
            )));
        }
        let split = PredictorSplit::new(&data, &config)?;
        let mut weights = checkpoint.weights()?;
        let model = config.model.init(&device).load(&mut weights, "", &device)?;
        weights.finish()?;
        let model = with_stable_ids(model);
        let mut session = Self::assemble(config, data, split, model, device);
        session.optimizer_restored = restore_adam(&mut session.optimizer, checkpoint, adam)?;
        session.cursor = EpochCursor::resume(
            progress.epochs_done,
            &progress.within_epoch,
            &session.split.train,
            session.config.seed,
        );
        session.history = progress.history;
        Ok(session)
    }

    /// Whether Adam's state came back with the weights (false after resuming a checkpoint that
    /// a browser's GPU wrote without it).
    pub fn optimizer_restored(&self) -> bool {
        self.optimizer_restored
    }

    /// A flag that stops the run at its next step.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    pub fn config(&self) -> &PredictorTrainingConfig {
        &self.config
    }

    pub fn split(&self) -> &PredictorSplit {
        &self.split
    }

    /// The model as it is now, without autodiff.
    pub fn model(&self) -> Predictor {
        self.model.valid()
    }

    pub fn epochs_done(&self) -> usize {
        self.cursor.epochs_done
    }

    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// Optimiser steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.split.train.len().div_ceil(self.config.batch_size.max(1))
    }

    /// Runs one optimiser step (starting an epoch first where needed); at the end of an epoch
    /// also validates, tests and checkpoints.
    pub fn step(&mut self, sink: &mut dyn EventSink) -> Result<StepOutcome, TrainError> {
        crate::readback::block_on(self.step_async(sink))
    }

    /// [`PredictorSession::step`] with asynchronous readback (the form a browser needs).
    pub async fn step_async(&mut self, sink: &mut dyn EventSink) -> Result<StepOutcome, TrainError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(TrainError::Cancelled);
        }
        if self.cursor.epochs_done >= self.config.epochs {
            return Ok(StepOutcome::Finished);
        }
        if self.cursor.at_epoch_start() {
            sink.event(TrainingEvent::Started {
                epoch: self.cursor.epochs_done + 1,
                epochs: self.config.epochs,
                steps_per_epoch: self.steps_per_epoch(),
                training_cells: self.split.train.len(),
            });
        }
        let indices = self.cursor.next_batch(&self.split.train, self.config.seed, self.config.batch_size);
        let cells: Vec<&Cell> = indices.iter().map(|&i| &self.data.cells[i]).collect();
        let targets: Vec<f32> = indices.iter().map(|&i| self.data.targets[i] as f32).collect();
        let batch = GraphBatch::new(&cells, &self.device);
        let targets = Tensor::<1>::from_data(TensorData::new(targets, [indices.len()]), &self.device);
        let loss = (self.model.forward(&batch) - targets).powi_scalar(2).mean();
        let loss_value = f64::from(loss.clone().into_scalar_async::<f32>().await.map_err(TrainError::readback)?);
        let epoch_done = self.cursor.record(loss_value, sink)?;
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self.optimizer.step(self.config.learning_rate, self.model.clone(), grads);
        if !epoch_done {
            self.checkpoint_within_epoch(sink)?;
            return Ok(StepOutcome::Stepped);
        }
        Ok(StepOutcome::EpochDone(Box::new(self.finish_epoch(sink).await?)))
    }

    async fn finish_epoch(&mut self, sink: &mut dyn EventSink) -> Result<EpochRecord, TrainError> {
        let train_loss = self.cursor.finish_epoch();
        let model = self.model.valid();
        let device = self.device.clone().inner();
        let epoch = self.cursor.epochs_done;
        let due = epoch == self.config.epochs || epoch.is_multiple_of(self.evaluate_every.max(1));
        let (validation, test) = if due {
            (
                evaluate_async(&model, &self.data, &self.split.validation, &device).await,
                evaluate_async(&model, &self.data, &self.split.test, &device).await,
            )
        } else {
            (None, None)
        };
        let record = EpochRecord {
            epoch,
            train_loss,
            learning_rate: self.config.learning_rate,
            validation,
            test,
            validation_loss: None,
        };
        self.history.push(record.clone());
        let dir = self.checkpoint_dir.clone();
        report_epoch(sink, &record, self.config.epochs, self.config.checkpoint_every, dir.as_deref(), |dir| {
            self.checkpoint(dir)
        })?;
        Ok(record)
    }

    /// Writes a checkpoint of where the run stands into `dir`.
    pub fn checkpoint(&self, dir: &std::path::Path) -> Result<(), TrainError> {
        Ok(self.snapshot()?.write_dir(dir)?)
    }

    /// The run as it stands, as an in-memory checkpoint.
    pub fn snapshot(&self) -> Result<Checkpoint, TrainError> {
        crate::readback::block_on(self.snapshot_async())
    }

    /// [`PredictorSession::snapshot`] with asynchronous readback. Where the device cannot be read
    /// synchronously (WebGPU in a browser), the checkpoint has no optimizer state.
    pub async fn snapshot_async(&self) -> Result<Checkpoint, TrainError> {
        let progress = Progress {
            epochs_done: self.cursor.epochs_done,
            within_epoch: self.cursor.within_epoch(),
            cells: self.data.len(),
            first_hash: self.data.hashes.first().map(ToString::to_string),
            history: self.history.clone(),
        };
        super::capture_checkpoint(&self.config, &self.model.valid(), &self.optimizer, &self.device, &progress).await
    }

    fn checkpoint_within_epoch(&self, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        let dir = self.checkpoint_dir.as_deref();
        super::checkpoint_within_epoch(sink, &self.cursor, self.checkpoint_every_steps, dir, |dir| self.checkpoint(dir))
    }

    /// Runs every remaining step.
    pub fn run(&mut self, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        while self.step(sink)? != StepOutcome::Finished {}
        Ok(())
    }
}
