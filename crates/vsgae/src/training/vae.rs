//! Training the VS-GAE: the reference's `train_gae.py` (Adam, ReduceLROnPlateau on the training
//! loss, 90/10 split), resumable like the predictor's loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use nasbench::Cell;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::checkpoint::{AdamState, Checkpoint, restore_adam};
use super::cursor::{EpochCursor, EpochPosition};
use super::events::{EpochRecord, EventSink, TrainingEvent};
use super::plateau::ReduceLrOnPlateau;
use super::{StepOutcome, TrainError, epoch_seed, report_epoch};
use crate::batch::GraphBatch;
use crate::config::VsGaeTrainingConfig;
use crate::stable_ids::with_stable_ids;
use crate::state_dict::ReferenceParams;
use crate::vae::{Latent, VsGae};

/// The reference's 90/10 split of cells into training and test (validation) cells.
pub fn vae_split(count: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(&mut nasbench::split::rng(seed));
    let train = (count as f64 * 0.9).round() as usize;
    let test = order.split_off(train);
    (order, test)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    epochs_done: usize,
    /// Where the unfinished epoch stands (checkpoints taken between epochs have it empty).
    #[serde(default)]
    within_epoch: EpochPosition,
    cells: usize,
    first_hash: Option<String>,
    plateau: ReduceLrOnPlateau,
    history: Vec<EpochRecord>,
}

/// The seed of one step's reparameterisation noise.
fn step_seed(seed: u64, epoch: usize, step: usize) -> u64 {
    epoch_seed(seed.wrapping_add(1), epoch) ^ (step as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)
}

/// A VS-GAE training run that advances one optimiser step per [`VaeSession::step`].
pub struct VaeSession {
    config: VsGaeTrainingConfig,
    cells: Arc<Vec<Cell>>,
    train: Vec<usize>,
    test: Vec<usize>,
    model: VsGae,
    optimizer: ModuleOptimizer,
    plateau: ReduceLrOnPlateau,
    device: Device,
    cancel: Arc<AtomicBool>,
    cursor: EpochCursor,
    history: Vec<EpochRecord>,
    checkpoint_dir: Option<std::path::PathBuf>,
    checkpoint_every_steps: usize,
    optimizer_restored: bool,
}

impl std::fmt::Debug for VaeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaeSession").field("cursor", &self.cursor).finish()
    }
}

impl VaeSession {
    /// A new run on `cells`. `device` should have autodiff.
    pub fn new(config: VsGaeTrainingConfig, cells: Arc<Vec<Cell>>, device: Device) -> Result<Self, TrainError> {
        let model = with_stable_ids(crate::initialization::seeded(|d| config.model.init(d), &device, config.seed)?);
        Self::assemble(config, cells, model, device)
    }

    fn assemble(
        config: VsGaeTrainingConfig,
        cells: Arc<Vec<Cell>>,
        model: VsGae,
        device: Device,
    ) -> Result<Self, TrainError> {
        let (train, test) = vae_split(cells.len(), config.seed);
        if train.is_empty() {
            return Err(TrainError::NoData("no cells to train the VS-GAE on".to_owned()));
        }
        Ok(Self {
            optimizer: super::reference_adam(),
            plateau: ReduceLrOnPlateau::new(config.learning_rate, config.plateau_factor, config.plateau_patience),
            config,
            cells,
            train,
            test,
            model,
            device,
            cancel: Arc::new(AtomicBool::new(false)),
            cursor: EpochCursor::default(),
            history: Vec::new(),
            checkpoint_dir: None,
            checkpoint_every_steps: 0,
            optimizer_restored: true,
        })
    }

    /// Writes checkpoints into `dir`.
    pub fn with_checkpoints(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Also writes a checkpoint every `steps` optimiser steps inside an epoch (0: only between
    /// epochs); a resumed run continues from the step it stopped at.
    pub fn with_step_checkpoints(mut self, steps: usize) -> Self {
        self.checkpoint_every_steps = steps;
        self
    }

    /// Continues the run checkpointed in `dir` on the same cells.
    pub fn resume(dir: &std::path::Path, cells: Arc<Vec<Cell>>, device: Device) -> Result<Self, TrainError> {
        let adam = AdamState::where_possible(&device);
        let mut session = Self::resume_from(&Checkpoint::read_dir(dir)?, cells, device, adam)?;
        session.checkpoint_dir = Some(dir.to_owned());
        Ok(session)
    }

    /// Continues the run of an in-memory checkpoint (a downloaded zip in a browser). Without the
    /// optimizer state in it, or with `adam` [`AdamState::Reset`], Adam starts afresh ([`VaeSession::optimizer_restored`]).
    pub fn resume_from(
        checkpoint: &Checkpoint,
        cells: Arc<Vec<Cell>>,
        device: Device,
        adam: AdamState,
    ) -> Result<Self, TrainError> {
        let config: VsGaeTrainingConfig = checkpoint.config()?;
        let progress: Progress = checkpoint.progress()?;
        let first_hash = cells.first().map(|c| c.hash().to_string());
        if progress.cells != cells.len() || progress.first_hash != first_hash {
            return Err(TrainError::Mismatch(format!(
                "it was trained on {} cells, this data has {}",
                progress.cells,
                cells.len()
            )));
        }
        let mut weights = checkpoint.weights()?;
        let model = config.model.init(&device).load(&mut weights, "", &device)?;
        weights.finish()?;
        let mut session = Self::assemble(config, cells, with_stable_ids(model), device)?;
        session.optimizer_restored = restore_adam(&mut session.optimizer, checkpoint, adam)?;
        session.plateau = progress.plateau;
        session.cursor =
            EpochCursor::resume(progress.epochs_done, &progress.within_epoch, &session.train, session.config.seed);
        session.history = progress.history;
        Ok(session)
    }

    /// Whether Adam's state came back with the weights (false after resuming a checkpoint that
    /// a browser's GPU wrote without it).
    pub fn optimizer_restored(&self) -> bool {
        self.optimizer_restored
    }

    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    pub fn config(&self) -> &VsGaeTrainingConfig {
        &self.config
    }

    /// The training and test cells (indices into the cells).
    pub fn split(&self) -> (&[usize], &[usize]) {
        (&self.train, &self.test)
    }

    /// The model as it is now, without autodiff.
    pub fn model(&self) -> VsGae {
        self.model.valid()
    }

    pub fn epochs_done(&self) -> usize {
        self.cursor.epochs_done
    }

    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.config.batch_size.max(1))
    }

    fn batch_loss(&self, model: &VsGae, indices: &[usize], latent: Latent, device: &Device) -> burn::tensor::Tensor<1> {
        let cells: Vec<&Cell> = indices.iter().map(|&i| &self.cells[i]).collect();
        let batch = GraphBatch::new(&cells, device);
        let targets = VsGae::targets(&cells, device);
        model.loss(&batch, &targets, latent, &self.config.model).total
    }

    /// Runs one optimiser step; at the end of an epoch also computes the test loss, steps the
    /// learning-rate schedule and checkpoints.
    pub fn step(&mut self, sink: &mut dyn EventSink) -> Result<StepOutcome, TrainError> {
        crate::readback::block_on(self.step_async(sink))
    }

    /// [`VaeSession::step`] with asynchronous readback (the form a browser needs).
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
                training_cells: self.train.len(),
            });
        }
        let indices = self.cursor.next_batch(&self.train, self.config.seed, self.config.batch_size);
        let dim = self.config.model.encoder.graph_dim;
        // The reparameterisation noise follows the epoch and step, so a resumed run repeats it.
        let mut noise =
            nasbench::split::rng(step_seed(self.config.seed, self.cursor.epochs_done, self.cursor.step_in_epoch()));
        let eps: Vec<f32> =
            (0..indices.len() * dim).map(|_| crate::initialization::standard_normal(&mut noise)).collect();
        let eps = burn::tensor::Tensor::<2>::from_data(
            burn::tensor::TensorData::new(eps, [indices.len(), dim]),
            &self.device,
        );
        let loss = self.batch_loss(&self.model, &indices, Latent::WithNoise(Box::new(eps)), &self.device);
        let loss_value = loss.clone().into_scalar_async::<f32>().await.map_err(TrainError::readback)?;
        let epoch_done = self.cursor.record(f64::from(loss_value), sink)?;
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self.optimizer.step(self.plateau.learning_rate, self.model.clone(), grads);
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
        let mut test_loss = 0.0;
        for part in self.test.chunks(512) {
            let loss = self.batch_loss(&model, part, Latent::Mean, &device);
            test_loss +=
                f64::from(loss.into_scalar_async::<f32>().await.map_err(TrainError::readback)?) * part.len() as f64;
        }
        let record = EpochRecord {
            epoch: self.cursor.epochs_done,
            train_loss,
            learning_rate: self.plateau.learning_rate,
            validation: None,
            test: None,
            validation_loss: (!self.test.is_empty()).then(|| test_loss / self.test.len() as f64),
        };
        // The reference steps its schedule on the training loss.
        self.plateau.step(train_loss);
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

    /// [`VaeSession::snapshot`] with asynchronous readback. Where the device cannot be read
    /// synchronously (WebGPU in a browser), the checkpoint has no optimizer state.
    pub async fn snapshot_async(&self) -> Result<Checkpoint, TrainError> {
        let progress = Progress {
            epochs_done: self.cursor.epochs_done,
            within_epoch: self.cursor.within_epoch(),
            cells: self.cells.len(),
            first_hash: self.cells.first().map(|c| c.hash().to_string()),
            plateau: self.plateau.clone(),
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
