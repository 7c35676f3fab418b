//! What differs between training runs: the model, its loss on a batch, the learning rate and the
//! end-of-epoch evaluation. Everything else (the epoch cursor, Adam, checkpoints, history,
//! cancel, events, threads) is the one [`super::Session`].

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::TrainError;
use super::events::EpochRecord;
pub use crate::io::checkpoint::ModelKind;
use crate::io::state_dict::{ReferenceParams, StateDict};
use crate::model::accuracy_head::AccuracyHead;
use crate::model::predictor::Predictor;
use crate::model::vae::VsGae;

/// A trained model, ready to use (no autodiff).
#[derive(Debug, Clone)]
pub enum TrainedModel {
    /// A trained predictor.
    Predictor(Box<Predictor>),
    /// A trained VS-GAE.
    VsGae(Box<VsGae>),
    /// A trained accuracy head on frozen latents.
    LatentPredictor(AccuracyHead),
}

/// The shape of a run, from its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPlan {
    /// Epochs planned.
    pub epochs: usize,
    /// Cells per optimiser step.
    pub batch_size: usize,
    /// Seeds the shuffle of every epoch (and whatever else the task draws).
    pub seed: u64,
    /// Write a checkpoint every this many epochs (and at the end); 0 only at the end.
    pub checkpoint_every: usize,
}

/// Where a step stands in its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPosition {
    /// Epochs finished before this step.
    pub epoch: usize,
    /// Steps finished before this one in its epoch.
    pub step_in_epoch: usize,
    /// Optimiser steps per epoch.
    pub steps_per_epoch: usize,
}

impl StepPosition {
    /// Steps finished before this one in the whole run.
    pub fn global_step(&self) -> usize {
        self.epoch * self.steps_per_epoch + self.step_in_epoch
    }
}

/// One part of a batch that one thread computes: the batch's items `batch[offset..offset +
/// items.len()]`.
#[derive(Debug, Clone, Copy)]
pub struct Shard<'a> {
    /// The batch positions of the cells this shard computes.
    pub items: &'a [usize],
    /// The shard's first position in the batch.
    pub offset: usize,
    /// The whole batch's size.
    pub batch_len: usize,
    /// Where the step is in the run.
    pub position: StepPosition,
}

/// A shard's loss with what the task reads of each of its items on the way (see
/// [`TrainingTask::observe`]).
#[derive(Debug, Clone)]
pub struct ShardLoss {
    /// The shard's part of the batch's loss.
    pub loss: Tensor<1>,
    /// One value per item of the shard, without autodiff, for [`TrainingTask::observe`]; `None`
    /// where the task observes nothing.
    ///
    /// # Shapes
    /// - `[shard items]`
    pub item_signals: Option<Tensor<1>>,
}

/// The cells a run trains on, as a resumed run checks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// How many cells.
    pub cells: usize,
    /// The first cell's hash.
    pub first_hash: Option<String>,
}

/// A kind of training run.
pub trait TrainingTask: Sized + Sync {
    /// The model it trains.
    type Model: Module + ReferenceParams;
    /// The training config (`config.json` of a checkpoint).
    type Config: Serialize + DeserializeOwned + Clone + std::fmt::Debug;
    /// What it keeps from epoch to epoch beside the model (a learning-rate schedule); part of a
    /// checkpoint's progress.
    type State: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq;
    /// What it trains on.
    type Data: Clone;
    /// Which model the task trains.
    const KIND: ModelKind;

    /// Checks the config before anything is built from it.
    fn validate(config: &Self::Config) -> Result<(), crate::config::ConfigError>;
    /// The task of `config` on `data` (its split and sampling); the config is validated first.
    fn new(config: Self::Config, data: Self::Data) -> Result<Self, TrainError>;
    /// The training config.
    fn config(&self) -> &Self::Config;
    /// The run's epochs and batch size.
    fn plan(&self) -> RunPlan;
    /// The items an epoch shuffles and batches.
    fn training_items(&self) -> &[usize];
    /// The cells the run trains on, as a checkpoint records them.
    fn fingerprint(&self) -> DataFingerprint;
    /// A freshly initialised model (seeded by the config).
    fn new_model(&self, device: &Device) -> Result<Self::Model, TrainError>;
    /// The config's model with `weights` loaded.
    fn load_model(&self, weights: &mut StateDict, device: &Device) -> Result<Self::Model, TrainError>;
    /// What the task keeps between epochs (the data split, the plateau, the best score), at the run's start.
    fn initial_state(&self) -> Self::State;
    /// The learning rate of a step.
    fn learning_rate(&self, state: &Self::State, position: StepPosition) -> f64;
    /// The shard's part of the batch's loss: the batch's loss is the sum over its shards, so
    /// gradients of shards computed apart add up to the batch's.
    fn shard_loss(&self, model: &Self::Model, shard: &Shard<'_>, device: &Device) -> Tensor<1>;
    /// [`TrainingTask::shard_loss`] with a value per item that the session reads back with the
    /// loss and hands to [`TrainingTask::observe`] (none by default).
    fn shard_loss_and_signals(&self, model: &Self::Model, shard: &Shard<'_>, device: &Device) -> ShardLoss {
        ShardLoss { loss: self.shard_loss(model, shard, device), item_signals: None }
    }
    /// Takes in the item signals of a step's batch (`items[k]` gave `signals[k]`) once they are
    /// read back; the state carries what it learns into later epochs.
    fn observe(&self, state: &mut Self::State, items: &[usize], signals: &[f32]) {
        let _ = (state, items, signals);
    }
    /// The items epoch `epoch` (counted from 0) draws, which the session then shuffles and
    /// batches: by default every training item once. A task that draws some items more often
    /// returns as many, so every epoch has the same number of steps.
    fn epoch_items(&self, state: &Self::State, epoch: usize) -> Vec<usize> {
        let _ = (state, epoch);
        self.training_items().to_vec()
    }
    /// The model as the rest of a program uses it.
    fn trained(model: Self::Model, config: &Self::Config) -> TrainedModel;
    /// The score by which the run keeps its best epoch (higher is better), for runs that keep
    /// one; `None` keeps the last epoch's weights.
    fn selection_score(&self, record: &EpochRecord) -> Option<f64> {
        let _ = record;
        None
    }
    /// Closes an epoch: evaluates `model` (no autodiff, on the run's inner device) where
    /// `evaluate` says so, updates the state, and returns the epoch's record.
    fn end_epoch(
        &self,
        model: &Self::Model,
        closing: EpochClosing,
        state: &mut Self::State,
        device: &Device,
    ) -> impl Future<Output = Result<EpochRecord, TrainError>>;
}

/// What the session knows of an epoch that ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochClosing {
    /// The epoch (1-based).
    pub epoch: usize,
    /// The mean training loss over its batches.
    pub train_loss: f64,
    /// The learning rate its last step used.
    pub learning_rate: f64,
    /// Whether this epoch evaluates (every `evaluate_every` epochs and after the last).
    pub evaluate: bool,
}
