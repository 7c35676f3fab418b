//! One training session for every model: it owns the epoch cursor, Adam, checkpoints, the
//! history, the cancel flag and the events, and advances one optimiser step per
//! [`Session::step`]; the [`TrainingTask`] says what is trained and how its loss is computed.
//!
//! Natively a batch is split into one shard per thread; each thread runs the forward and
//! backward pass of its shard on its own copy of the parameters, and the shards' gradients are
//! added before the one Adam step. The split depends only on the thread count, so a run is
//! reproducible for a given count (a different count rounds differently in the last bits).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::Module;
#[cfg(not(target_family = "wasm"))]
use burn::module::{ModuleMapper, Param};
#[cfg(not(target_family = "wasm"))]
use burn::optim::GradientsAccumulator;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::adam::ReferenceAdam;
use super::cursor::{EpochCursor, EpochPosition, StepTaken};
use super::events::{EpochRecord, EventSink, TrainingEvent};
use super::task::{DataFingerprint, EpochClosing, ModelKind, Shard, ShardLoss, StepPosition, TrainingTask};
use super::{StepOutcome, TrainError};
use crate::io::checkpoint::{AdamState, Checkpoint, CheckpointError, PARAMETER_LAYOUT};
use crate::io::state_dict::StateDict;
use crate::parallel::host_threads;
use crate::training::stable_ids::with_stable_ids;

/// Steps between readbacks of the loss on a GPU: a readback makes the host wait until the device
/// has finished every step before it, so reading each step's loss would leave the device idle
/// while the host prepares the next step.
const GPU_LOG_EVERY: usize = 20;

/// How far a run has come; written last into a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress<S> {
    /// Absent in checkpoints written before kinds were recorded.
    #[serde(default)]
    kind: Option<ModelKind>,
    /// The parameter layout Adam's state follows ([`PARAMETER_LAYOUT`]); absent before it was
    /// recorded.
    #[serde(default)]
    layout: Option<u32>,
    epochs_done: usize,
    /// Where the unfinished epoch stands (checkpoints taken between epochs have it empty).
    #[serde(default)]
    within_epoch: EpochPosition,
    #[serde(flatten)]
    fingerprint: DataFingerprint,
    #[serde(flatten)]
    state: S,
    history: Vec<EpochRecord>,
    /// The best epoch so far, for runs that keep it (its weights are `best.safetensors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    best: Option<BestEpoch>,
}

/// The epoch with the best selection score so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestEpoch {
    /// The epoch, from 0.
    pub epoch: usize,
    /// Its selection score.
    pub score: f64,
}

/// A training run that advances one optimiser step per [`Session::step`].
pub struct Session<T: TrainingTask> {
    task: T,
    model: T::Model,
    optimizer: ModuleOptimizer,
    state: T::State,
    device: Device,
    cancel: Arc<AtomicBool>,
    cursor: EpochCursor,
    history: Vec<EpochRecord>,
    checkpoint_dir: Option<PathBuf>,
    checkpoint_every_steps: usize,
    evaluate_every: usize,
    threads: usize,
    optimizer_restored: bool,
    /// The best epoch and its weights (`.safetensors`), for tasks that select one.
    best: Option<(BestEpoch, Vec<u8>)>,
    /// Steps taken whose losses stay on the device until the next logging point.
    pending: Vec<PendingStep>,
    /// Steps between logging points, where the losses are read back.
    log_every: usize,
}

impl<T: TrainingTask> std::fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("kind", &T::KIND).field("cursor", &self.cursor).finish()
    }
}

/// Steps between readbacks of the loss on `device`: every step on Burn's CPU backend, where a
/// readback is a copy, every `GPU_LOG_EVERY` steps on a GPU.
pub fn default_log_every(device: &Device) -> usize {
    if crate::parallel::is_cpu(device) { 1 } else { GPU_LOG_EVERY }
}

impl<T: TrainingTask> Session<T> {
    /// A new run of `config` on `data`. `device` should have autodiff (`Device::flex().autodiff()`, …).
    pub fn new(config: T::Config, data: T::Data, device: Device) -> Result<Self, TrainError> {
        let task = T::new(config, data)?;
        let model = with_stable_ids(task.new_model(&device)?);
        Ok(Self::assemble(task, model, device))
    }

    /// A new run of `config` on `data` whose model starts from `weights` (a warm start): the
    /// optimiser, the schedule and the epochs start afresh, the weights do not.
    pub fn warm_start(
        config: T::Config,
        data: T::Data,
        mut weights: StateDict,
        device: Device,
    ) -> Result<Self, TrainError> {
        let task = T::new(config, data)?;
        let model = task.load_model(&mut weights, &device)?;
        weights.finish()?;
        Ok(Self::assemble(task, with_stable_ids(model), device))
    }

    fn assemble(task: T, model: T::Model, device: Device) -> Self {
        let threads = host_threads(&device);
        let log_every = default_log_every(&device);
        Self {
            state: task.initial_state(),
            task,
            model,
            optimizer: ReferenceAdam::init(),
            device,
            cancel: Arc::new(AtomicBool::new(false)),
            cursor: EpochCursor::default(),
            history: Vec::new(),
            checkpoint_dir: None,
            checkpoint_every_steps: 0,
            evaluate_every: 1,
            threads,
            optimizer_restored: true,
            best: None,
            pending: Vec::new(),
            log_every,
        }
    }

    /// Writes checkpoints into `dir` (every `checkpoint_every` epochs of the config, and at the end).
    pub fn with_checkpoints(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_into(dir);
        self
    }

    /// [`Session::with_checkpoints`] on a run in place.
    pub fn checkpoint_into(&mut self, dir: impl Into<PathBuf>) {
        self.checkpoint_dir = Some(dir.into());
    }

    /// Also writes a checkpoint every `steps` optimiser steps inside an epoch (0: only between
    /// epochs); a resumed run continues from the step it stopped at.
    pub fn with_step_checkpoints(mut self, steps: usize) -> Self {
        self.checkpoint_every_steps = steps;
        self
    }

    /// Evaluates every `epochs` epochs (and after the last) instead of after each: the
    /// reference's per-epoch evaluation dominates a run on few cells.
    pub fn with_evaluate_every(mut self, epochs: usize) -> Self {
        self.evaluate_every = epochs.max(1);
        self
    }

    /// Splits each batch over `threads` threads (1 computes it in one piece on this thread;
    /// a browser always does).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = if cfg!(target_family = "wasm") { 1 } else { threads.clamp(1, crate::parallel::MAX_THREADS) };
        self
    }

    /// Reads the losses back every `steps` steps (and at the end of each epoch and before each
    /// checkpoint) instead of the device's default ([`default_log_every`]); `Step` events come
    /// then, for every step since the last read.
    pub fn with_log_every(mut self, steps: usize) -> Self {
        self.log_every = steps.max(1);
        self
    }

    /// Continues the run checkpointed in `dir` on the same data; it reaches the same result as
    /// an uninterrupted run with the same seed and threads.
    pub fn resume(dir: &Path, data: T::Data, device: Device) -> Result<Self, TrainError> {
        let adam = AdamState::where_possible(&device);
        let session = Self::resume_from(&Checkpoint::read_dir(dir)?, data, device, adam)?;
        Ok(session.with_checkpoints(dir))
    }

    /// Continues the run of an in-memory checkpoint (a downloaded zip in a browser). Without the
    /// optimizer state in it, or with `adam` [`AdamState::Reset`], Adam starts afresh
    /// ([`Session::optimizer_restored`]).
    pub fn resume_from(
        checkpoint: &Checkpoint,
        data: T::Data,
        device: Device,
        adam: AdamState,
    ) -> Result<Self, TrainError> {
        let kind = checkpoint.kind()?;
        if kind != T::KIND {
            return Err(TrainError::Mismatch(format!(
                "it is a {} checkpoint, not a {} one",
                kind.name(),
                T::KIND.name()
            )));
        }
        let progress: Progress<T::State> = checkpoint.progress()?;
        let task = T::new(checkpoint.validated_config(T::validate)?, data)?;
        let fingerprint = task.fingerprint();
        if progress.fingerprint != fingerprint {
            return Err(TrainError::Mismatch(format!(
                "it was trained on {} cells starting with {:?}, this data has {} starting with {:?}",
                progress.fingerprint.cells, progress.fingerprint.first_hash, fingerprint.cells, fingerprint.first_hash
            )));
        }
        let mut weights = checkpoint.weights()?;
        let model = task.load_model(&mut weights, &device)?;
        weights.finish()?;
        let mut session = Self::assemble(task, with_stable_ids(model), device);
        session.optimizer_restored = restore_adam(&mut session.optimizer, checkpoint, adam)?;
        session.state = progress.state;
        session.cursor = EpochCursor::resume(
            progress.epochs_done,
            &progress.within_epoch,
            session.task.epoch_items(&session.state, progress.epochs_done),
            session.task.plan().seed,
        );
        session.history = progress.history;
        session.best = match (progress.best, &checkpoint.best) {
            (Some(best), Some(bytes)) => Some((best, bytes.clone())),
            (Some(_), None) => {
                return Err(TrainError::Mismatch(format!(
                    "{} records a best epoch but has no best.safetensors",
                    checkpoint.origin.display()
                )));
            }
            (None, _) => None,
        };
        Ok(session)
    }

    /// Whether Adam's state came back with the weights (false after resuming a checkpoint
    /// without it, such as one a browser's GPU wrote).
    pub fn optimizer_restored(&self) -> bool {
        self.optimizer_restored
    }

    /// A flag that stops the run at its next step.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The task the session runs.
    pub fn task(&self) -> &T {
        &self.task
    }

    /// The training config.
    pub fn config(&self) -> &T::Config {
        self.task.config()
    }

    /// The task's state (the VS-GAE's learning-rate schedule).
    pub fn state(&self) -> &T::State {
        &self.state
    }

    /// The model as it is now, without autodiff.
    pub fn model(&self) -> T::Model {
        self.model.valid()
    }

    /// How many epochs are done.
    pub fn epochs_done(&self) -> usize {
        self.cursor.epochs_done
    }

    /// Optimiser steps taken so far in the whole run.
    pub fn global_step(&self) -> usize {
        self.position().global_step()
    }

    /// The epochs done so far.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// The best epoch so far, for tasks that select one (after the last epoch the model holds
    /// its weights).
    pub fn best_epoch(&self) -> Option<BestEpoch> {
        self.best.as_ref().map(|(best, _)| *best)
    }

    /// Training items the run has stepped over so far (the graphs it has seen).
    pub fn items_seen(&self) -> usize {
        self.cursor.epochs_done * self.task.training_items().len() + self.cursor.within_epoch().position
    }

    /// Optimiser steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.task.training_items().len().div_ceil(self.task.plan().batch_size.max(1))
    }

    /// The threads a batch is split over.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn position(&self) -> StepPosition {
        StepPosition {
            epoch: self.cursor.epochs_done,
            step_in_epoch: self.cursor.step_in_epoch(),
            steps_per_epoch: self.steps_per_epoch(),
        }
    }

    /// The learning rate the next step uses.
    pub fn learning_rate(&self) -> f64 {
        self.task.learning_rate(&self.state, self.position())
    }

    /// Runs one optimiser step (starting an epoch first where needed); at the end of an epoch
    /// also evaluates and checkpoints.
    pub async fn step(&mut self, sink: &mut dyn EventSink) -> Result<StepOutcome, TrainError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(TrainError::Cancelled);
        }
        let plan = self.task.plan();
        if self.cursor.epochs_done >= plan.epochs {
            return Ok(StepOutcome::Finished);
        }
        if self.cursor.at_epoch_start() {
            sink.event(TrainingEvent::Started {
                epoch: self.cursor.epochs_done + 1,
                epochs: plan.epochs,
                steps_per_epoch: self.steps_per_epoch(),
                training_cells: self.task.training_items().len(),
            });
        }
        let position = self.position();
        let learning_rate = self.task.learning_rate(&self.state, position);
        let (task, state) = (&self.task, &self.state);
        let batch = self.cursor.next_batch(|epoch| task.epoch_items(state, epoch), plan.seed, plan.batch_size);
        let (loss, grads, item_signals) = self.gradients(&batch, position)?;
        let item_signals = item_signals.map(|signals| (batch, signals));
        self.pending.push(PendingStep { taken: self.cursor.advance(), loss, item_signals });
        {
            let _phase = crate::device_counts::phase_on("optimizer", &self.device);
            self.model = self.optimizer.step(learning_rate, self.model.clone(), grads);
        }
        if !self.cursor.epoch_done() {
            let checkpoint_due = self.checkpoint_dir.is_some()
                && self.checkpoint_every_steps > 0
                && self.cursor.step_in_epoch().is_multiple_of(self.checkpoint_every_steps);
            if checkpoint_due || self.pending.len() >= self.log_every {
                self.read_losses(sink).await?;
            }
            if let Some(dir) = self.checkpoint_dir.clone().filter(|_| checkpoint_due) {
                self.write_checkpoint(&dir, sink).await?;
            }
            return Ok(StepOutcome::Stepped);
        }
        self.read_losses(sink).await?;
        Ok(StepOutcome::EpochDone(Box::new(self.finish_epoch(learning_rate, sink).await?)))
    }

    /// Reads back the losses (and item signals) of the steps taken since the last read, in one
    /// readback, and records them (a `Step` event each; the signals go to the task's state).
    pub async fn read_losses(&mut self, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        let values = read_pending(&self.pending).await?;
        for (step, (loss, signals)) in std::mem::take(&mut self.pending).into_iter().zip(values) {
            self.cursor.record_loss(step.taken, f64::from(loss), sink)?;
            if let (Some((items, _)), Some(signals)) = (&step.item_signals, signals) {
                self.task.observe(&mut self.state, items, &signals);
            }
        }
        Ok(())
    }

    /// The batch's loss and item signals (left on the device, without autodiff) and gradients:
    /// in one piece on this thread, or one shard per thread.
    fn gradients(&self, batch: &[usize], position: StepPosition) -> Result<ShardOutcome, TrainError> {
        #[cfg(not(target_family = "wasm"))]
        {
            let shards = shards(batch, self.threads, position);
            if shards.len() > 1 {
                return self.shard_gradients(&shards);
            }
        }
        let shard = Shard { items: batch, offset: 0, batch_len: batch.len(), position };
        Ok(shard_gradients(&self.task, &self.model, &shard, &self.device))
    }

    /// Each shard's forward and backward pass on its own thread, with its own copy of the
    /// parameters (separate autodiff graphs), then the gradients added pairwise on threads
    /// ([`crate::parallel::reduce_pairwise`]).
    #[cfg(not(target_family = "wasm"))]
    fn shard_gradients(&self, shards: &[Shard<'_>]) -> Result<ShardOutcome, TrainError> {
        let (task, device) = (&self.task, &self.device);
        let shards_phase = crate::device_counts::phase("shards");
        let jobs: Vec<_> = shards.iter().map(|shard| (self.model.clone().map(&mut FreshLeaves), shard)).collect();
        let results = crate::parallel::on_threads(
            jobs,
            |(replica, shard)| Ok(shard_gradients(task, &replica, shard, device)),
            TrainError::Worker,
        );
        drop(shards_phase);
        let _phase = crate::device_counts::phase("reduce");
        // Each partial sum carries a copy of the model (its tensors shared, not copied) to find
        // its parameters' gradients by, as the model does not cross threads by reference.
        let add = |(loss, grads, model): Partial<T::Model>, (more_loss, more_grads, _): Partial<T::Model>| {
            let mut accumulator = GradientsAccumulator::<T::Model>::new();
            accumulator.accumulate(&model, grads);
            accumulator.accumulate(&model, more_grads);
            Ok((loss + more_loss, accumulator.grads(), model))
        };
        let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
        // The shards' signals in batch order, where every shard has them.
        let signals: Option<Vec<Tensor<1>>> = results.iter().map(|(_, _, signals)| signals.clone()).collect();
        let partials = results.into_iter().map(|(loss, grads, _)| (loss, grads, self.model.clone())).collect();
        let (loss, grads, _) = crate::parallel::reduce_pairwise(partials, add, TrainError::Worker)?
            .ok_or_else(|| TrainError::NoData("a batch without shards".to_owned()))?;
        Ok((loss, grads, signals.map(|signals| Tensor::cat(signals, 0))))
    }

    async fn finish_epoch(&mut self, learning_rate: f64, sink: &mut dyn EventSink) -> Result<EpochRecord, TrainError> {
        let train_loss = self.cursor.finish_epoch();
        let plan = self.task.plan();
        let epoch = self.cursor.epochs_done;
        let last = epoch == plan.epochs;
        let closing = EpochClosing {
            epoch,
            train_loss,
            learning_rate,
            evaluate: last || epoch.is_multiple_of(self.evaluate_every),
        };
        let model = self.model.valid();
        let device = self.device.clone().inner();
        let record = self.task.end_epoch(&model, closing, &mut self.state, &device).await?;
        if let Some(score) = self.task.selection_score(&record)
            && self.best.as_ref().is_none_or(|(best, _)| score > best.score)
        {
            self.best = Some((BestEpoch { epoch, score }, read_weights(&model).await?));
        }
        if last && let Some((_, bytes)) = &self.best {
            let mut weights = StateDict::from_bytes(bytes)?;
            self.model = with_stable_ids(self.task.load_model(&mut weights, &self.device)?);
        }
        self.history.push(record.clone());
        sink.event(TrainingEvent::Epoch(record.clone()));
        if let Some(dir) = self.checkpoint_dir.clone()
            && (last || (plan.checkpoint_every > 0 && epoch.is_multiple_of(plan.checkpoint_every)))
        {
            self.write_checkpoint(&dir, sink).await?;
        }
        if last {
            sink.event(TrainingEvent::Finished { epochs: epoch });
        }
        Ok(record)
    }

    async fn write_checkpoint(&self, dir: &Path, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        self.snapshot().await?.write_dir(dir)?;
        sink.event(TrainingEvent::Checkpoint { epoch: self.cursor.epochs_done, path: dir.display().to_string() });
        Ok(())
    }

    /// Writes a checkpoint of where the run stands into `dir` (blocking; native code).
    pub fn checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(crate::readback::block_on(self.snapshot())?.write_dir(dir)?)
    }

    /// The run as it stands, as an in-memory checkpoint: weights read back without blocking,
    /// and Adam's state where the device can be read synchronously (not WebGPU in a browser).
    pub async fn snapshot(&self) -> Result<Checkpoint, TrainError> {
        // Steps not read back yet count in the epoch's running loss and in the task's state.
        let mut within_epoch = self.cursor.within_epoch();
        let mut state = self.state.clone();
        for (step, (loss, signals)) in self.pending.iter().zip(read_pending(&self.pending).await?) {
            within_epoch.loss_sum += f64::from(loss) * step.taken.size as f64;
            within_epoch.loss_count += step.taken.size;
            if let (Some((items, _)), Some(signals)) = (&step.item_signals, signals) {
                self.task.observe(&mut state, items, &signals);
            }
        }
        let progress = Progress {
            kind: Some(T::KIND),
            layout: Some(PARAMETER_LAYOUT),
            epochs_done: self.cursor.epochs_done,
            within_epoch,
            fingerprint: self.task.fingerprint(),
            state,
            history: self.history.clone(),
            best: self.best_epoch(),
        };
        let mut weights = StateDict::deferred();
        crate::io::state_dict::ReferenceParams::save(&self.model.valid(), &mut weights, "");
        let weights = weights.read_back_async().await?;
        let optimizer = crate::io::checkpoint::reads_synchronously(&self.device).then_some(&self.optimizer);
        let best = self.best.as_ref().map(|(_, bytes)| bytes.clone());
        Ok(Checkpoint::new(self.task.config(), &weights, optimizer, &progress)?.with_best(best))
    }

    /// Runs every remaining step, blocking (native code: the CLI and tests).
    pub fn run(&mut self, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        while crate::readback::block_on(self.step(sink))? != StepOutcome::Finished {}
        Ok(())
    }
}

/// A step taken whose loss (and item signals) may not be read back yet.
struct PendingStep {
    taken: StepTaken,
    loss: Tensor<1>,
    /// The batch's items and their signals ([`TrainingTask::observe`]), where the task gives
    /// them.
    item_signals: Option<(Vec<usize>, Tensor<1>)>,
}

/// A batch's (or shard's) loss and gradients, with its item signals where the task gives them
/// (both left on the device, without autodiff).
type ShardOutcome = (Tensor<1>, GradientsParams, Option<Tensor<1>>);

/// One shard's loss and item signals (left on the device, without autodiff) and gradients.
fn shard_gradients<T: TrainingTask>(task: &T, model: &T::Model, shard: &Shard<'_>, device: &Device) -> ShardOutcome {
    let ShardLoss { loss, item_signals } = {
        let _phase = crate::device_counts::phase_on("forward", device);
        task.shard_loss_and_signals(model, shard, device)
    };
    let _phase = crate::device_counts::phase_on("backward", device);
    let value = loss.clone().inner();
    (value, GradientsParams::from_grads(loss.backward(), model), item_signals)
}

/// The losses and item signals of the steps not read back yet, in one readback (none without
/// any): for each step its loss and, where it has them, its signals.
async fn read_pending(pending: &[PendingStep]) -> Result<Vec<(f32, Option<Vec<f32>>)>, TrainError> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts: Vec<Tensor<1>> = pending.iter().map(|step| step.loss.clone()).collect();
    parts.extend(pending.iter().filter_map(|step| step.item_signals.as_ref().map(|(_, signals)| signals.clone())));
    let signal_count: usize =
        pending.iter().filter_map(|step| step.item_signals.as_ref()).map(|(items, _)| items.len()).sum();
    let values = crate::readback::floats_async(Tensor::cat(parts, 0)).await?;
    if values.len() != pending.len() + signal_count {
        return Err(TrainError::Readback(format!(
            "{} values came back for {} steps' losses and {signal_count} item signals",
            values.len(),
            pending.len()
        )));
    }
    let (losses, mut signals) = values.split_at(pending.len());
    Ok(pending
        .iter()
        .zip(losses)
        .map(|(step, &loss)| {
            let step_signals = step.item_signals.as_ref().map(|(items, _)| {
                let (these, rest) = signals.split_at(items.len());
                signals = rest;
                these.to_vec()
            });
            (loss, step_signals)
        })
        .collect())
}

/// A model's weights as `.safetensors` bytes, read back without blocking.
async fn read_weights<M: crate::io::state_dict::ReferenceParams>(model: &M) -> Result<Vec<u8>, TrainError> {
    let mut weights = StateDict::deferred();
    model.save(&mut weights, "");
    Ok(weights.read_back_async().await?.to_safetensors()?)
}

/// Loads the checkpoint's Adam state into `optimizer` where it has one, `adam` says
/// [`AdamState::Restore`] and the checkpoint has the current parameter layout; whether it did.
/// A record that cannot be read is an error naming the file.
fn restore_adam(
    optimizer: &mut ModuleOptimizer,
    checkpoint: &Checkpoint,
    adam: AdamState,
) -> Result<bool, CheckpointError> {
    if adam == AdamState::Reset || !checkpoint.has_current_layout()? {
        return Ok(false);
    }
    let Some(record) = checkpoint.optimizer()? else { return Ok(false) };
    *optimizer = std::mem::replace(optimizer, ReferenceAdam::init()).load_record(record);
    Ok(true)
}

/// The batch split into at most `threads` contiguous shards of near-equal size.
#[cfg(not(target_family = "wasm"))]
fn shards(batch: &[usize], threads: usize, position: StepPosition) -> Vec<Shard<'_>> {
    let size = crate::parallel::shard_len(batch.len(), threads);
    batch
        .chunks(size)
        .enumerate()
        .map(|(k, items)| Shard { items, offset: k * size, batch_len: batch.len(), position })
        .collect()
}

/// A shard's loss and gradients, or a sum of several, with the model they are of.
#[cfg(not(target_family = "wasm"))]
type Partial<M> = (Tensor<1>, GradientsParams, M);

/// Gives every parameter a new autodiff leaf with the same id, so a replica's operations form
/// a graph of their own (Burn merges graphs that share a leaf and locks each graph while it
/// runs backward).
#[cfg(not(target_family = "wasm"))]
struct FreshLeaves;

#[cfg(not(target_family = "wasm"))]
impl ModuleMapper for FreshLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| tensor.detach().require_grad())
    }
}
