//! Training the VS-GAE: the reference's `train_gae.py` (the β-VAE loss, Adam, ReduceLROnPlateau
//! on the training loss, a 90/10 split).

use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::Cell;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::events::EpochRecord;
use super::plateau::ReduceLrOnPlateau;
use super::replay::{HardCells, replay_items};
use super::task::{DataFingerprint, EpochClosing, ModelKind, RunPlan, Shard, ShardLoss, StepPosition, TrainingTask};
use super::{TrainError, epoch_seed};
use crate::config::{KlReduction, LearningRateSchedule, VsGaeTrainingConfig};
use crate::io::state_dict::{ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::decoder::DecoderTargets;
use crate::model::vae::{Latent, VsGae, VsGaeLoss};

/// The reference's 90/10 split of cells into training and test (validation) cells.
pub fn vae_split(count: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(&mut nasbench::split::rng(seed));
    let train = (count as f64 * 0.9).round() as usize;
    let test = order.split_off(train);
    (order, test)
}

/// Mixed into the seed of masked-midpoint distillation's draws, apart from the noise's.
const MIDPOINT_STREAM: u64 = 0x6d69_6470_6f69_6e74;

/// The seed of one step's reparameterisation noise.
fn step_seed(seed: u64, epoch: usize, step: usize) -> u64 {
    epoch_seed(seed.wrapping_add(1), epoch) ^ (step as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)
}

/// What a VS-GAE run keeps between epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VsGaeState {
    /// The learning-rate schedule.
    pub plateau: ReduceLrOnPlateau,
    /// The cells hard-example replay draws more often (empty without replay).
    #[serde(default, skip_serializing_if = "HardCells::is_empty")]
    pub hard_cells: HardCells,
}

/// Training the VS-GAE on cells.
#[derive(Debug)]
pub struct VsGaeTask {
    config: VsGaeTrainingConfig,
    cells: Arc<Vec<Cell>>,
    /// Vertices of the largest cell, which every batch is padded to (stable shapes on a GPU).
    largest_cell: usize,
    train: Vec<usize>,
    test: Vec<usize>,
}

impl VsGaeTask {
    /// The training and test cells (indices into the cells).
    pub fn split(&self) -> (&[usize], &[usize]) {
        (&self.train, &self.test)
    }

    /// The cells trained on.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The loss of `model` on `indices`: its share `indices.len() / batch_len` of a batch's
    /// reconstruction loss plus its whole KL term (summed over cells, as in the reference), with
    /// the model's loss parts and the targets they are of. `beta` is the KL term's weight (the
    /// config's, or its warm-up's at this step).
    fn loss(
        &self,
        model: &VsGae,
        indices: &[usize],
        batch_len: usize,
        latent: Latent,
        beta: f64,
        device: &Device,
    ) -> (Tensor<1>, VsGaeLoss, DecoderTargets) {
        let cells: Vec<&Cell> = indices.iter().map(|&i| &self.cells[i]).collect();
        let batch = GraphBatch::at_least(&cells, self.largest_cell, device);
        let targets = VsGae::targets(&cells, device);
        let loss = model.loss(&batch, &targets, latent, &self.config.model);
        let share = indices.len() as f64 / batch_len as f64;
        let kl = match self.config.model.kl_reduction() {
            // Summed over the batch: each shard's sum is its part.
            KlReduction::Sum => loss.kl.clone(),
            // The shard's mean, weighted by its share of the batch.
            KlReduction::Mean => loss.kl.clone().mul_scalar(share),
        };
        (loss.recon.clone().mul_scalar(share) + kl.mul_scalar(beta), loss, targets)
    }

    /// The shard's loss with this step's reparameterisation noise, its parts and targets.
    fn shard_parts(&self, model: &VsGae, shard: &Shard<'_>, device: &Device) -> (Tensor<1>, VsGaeLoss, DecoderTargets) {
        let dim = self.config.model.encoder.graph_dim;
        let position = shard.position;
        let mut noise = nasbench::split::rng(step_seed(self.config.seed, position.epoch, position.step_in_epoch));
        let eps: Vec<f32> = (0..shard.batch_len * dim)
            .map(|_| crate::model::initialization::standard_normal(&mut noise))
            .skip(shard.offset * dim)
            .take(shard.items.len() * dim)
            .collect();
        let eps = Tensor::<2>::from_data(TensorData::new(eps, [shard.items.len(), dim]), device);
        let beta = self.config.beta_at(position.global_step());
        let (loss, parts, targets) =
            self.loss(model, shard.items, shard.batch_len, Latent::WithNoise(Box::new(eps)), beta, device);
        let Some(midpoints) = self.config.masked_midpoints else {
            return (loss, parts, targets);
        };
        let seed = step_seed(self.config.seed ^ MIDPOINT_STREAM, position.epoch, position.step_in_epoch);
        let mut rng = nasbench::split::rng(seed ^ shard.offset as u64);
        let share = shard.items.len() as f64 / shard.batch_len as f64;
        match super::midpoints::midpoint_loss(model, parts.mean.clone(), midpoints, &self.config.model, share, &mut rng)
        {
            Ok(Some(term)) => (loss + term, parts, targets),
            Ok(None) => (loss, parts, targets),
            Err(error) => {
                tracing::warn!("this step has no masked-midpoint term: decoding its points failed: {error}");
                (loss, parts, targets)
            }
        }
    }
}

impl TrainingTask for VsGaeTask {
    type Model = VsGae;
    type Config = VsGaeTrainingConfig;
    type State = VsGaeState;
    type Data = Arc<Vec<Cell>>;
    const KIND: ModelKind = ModelKind::VsGae;

    fn validate(config: &VsGaeTrainingConfig) -> Result<(), crate::config::ConfigError> {
        config.validate()
    }

    fn new(config: VsGaeTrainingConfig, cells: Arc<Vec<Cell>>) -> Result<Self, TrainError> {
        config.validate()?;
        let (train, test) = vae_split(cells.len(), config.seed);
        if train.is_empty() {
            return Err(TrainError::NoData("no cells to train the VS-GAE on".to_owned()));
        }
        let largest_cell = cells.iter().map(Cell::n_vertices).max().unwrap_or(1);
        Ok(Self { config, cells, largest_cell, train, test })
    }

    fn config(&self) -> &VsGaeTrainingConfig {
        &self.config
    }

    fn plan(&self) -> RunPlan {
        let c = &self.config;
        RunPlan { epochs: c.epochs, batch_size: c.batch_size, seed: c.seed, checkpoint_every: c.checkpoint_every }
    }

    fn training_items(&self) -> &[usize] {
        &self.train
    }

    fn fingerprint(&self) -> DataFingerprint {
        DataFingerprint { cells: self.cells.len(), first_hash: self.cells.first().map(|c| c.hash().to_string()) }
    }

    fn new_model(&self, device: &Device) -> Result<VsGae, TrainError> {
        Ok(crate::model::initialization::seeded(|d| self.config.model.init(d), device, self.config.seed)?)
    }

    fn load_model(&self, weights: &mut StateDict, device: &Device) -> Result<VsGae, TrainError> {
        Ok(self.config.model.init(device).load(weights, "", device)?)
    }

    fn initial_state(&self) -> VsGaeState {
        let c = &self.config;
        VsGaeState {
            plateau: ReduceLrOnPlateau::new(c.learning_rate, c.plateau_factor, c.plateau_patience),
            hard_cells: HardCells::default(),
        }
    }

    fn learning_rate(&self, state: &VsGaeState, position: StepPosition) -> f64 {
        match self.config.schedule.unwrap_or_default() {
            LearningRateSchedule::Plateau => state.plateau.learning_rate,
            schedule => {
                let total = self.config.epochs.saturating_mul(position.steps_per_epoch);
                schedule.at(self.config.learning_rate, position.global_step(), total)
            }
        }
    }

    fn trained(model: VsGae, _config: &VsGaeTrainingConfig) -> super::TrainedModel {
        super::TrainedModel::VsGae(Box::new(model))
    }

    /// The reparameterisation noise follows the epoch and step (drawn for the whole batch, the
    /// shard taking its rows), so a resumed or differently split run draws the same noise.
    fn shard_loss(&self, model: &VsGae, shard: &Shard<'_>, device: &Device) -> Tensor<1> {
        self.shard_parts(model, shard, device).0
    }

    /// With hard-example replay, each cell's worst teacher-forced decision (its loss), by which
    /// [`Self::observe`] finds the cells the decoder gets wrong.
    fn shard_loss_and_signals(&self, model: &VsGae, shard: &Shard<'_>, device: &Device) -> ShardLoss {
        let (loss, parts, targets) = self.shard_parts(model, shard, device);
        let item_signals = self.config.replay_share.map(|_| parts.reconstruction.worst_decisions(&targets));
        ShardLoss { loss, item_signals }
    }

    fn observe(&self, state: &mut VsGaeState, items: &[usize], signals: &[f32]) {
        state.hard_cells.observe(items, signals);
    }

    fn epoch_items(&self, state: &VsGaeState, epoch: usize) -> Vec<usize> {
        match self.config.replay_share {
            Some(share) => replay_items(&self.train, &state.hard_cells, share, self.config.seed, epoch),
            None => self.train.clone(),
        }
    }

    async fn end_epoch(
        &self,
        model: &VsGae,
        closing: EpochClosing,
        state: &mut VsGaeState,
        device: &Device,
    ) -> Result<EpochRecord, TrainError> {
        let mut held_out_loss = None;
        if closing.evaluate && !self.test.is_empty() {
            // Summed on the device, weighted by each part's size, and read back once.
            let mut total: Option<Tensor<1>> = None;
            for part in self.test.chunks(512) {
                let loss = self
                    .loss(model, part, part.len(), Latent::Mean, self.config.model.beta, device)
                    .0
                    .mul_scalar(part.len() as f64);
                total = Some(match total {
                    Some(total) => total + loss,
                    None => loss,
                });
            }
            if let Some(total) = total {
                let total = crate::readback::scalar_async(total).await?;
                held_out_loss = Some(f64::from(total) / self.test.len() as f64);
            }
        }
        state.hard_cells.close_epoch();
        // The reference steps its schedule on the training loss.
        if self.config.schedule.unwrap_or_default() == LearningRateSchedule::Plateau {
            state.plateau.step(closing.train_loss);
        }
        Ok(EpochRecord {
            epoch: closing.epoch,
            train_loss: closing.train_loss,
            learning_rate: closing.learning_rate,
            validation: None,
            test: None,
            held_out_loss,
        })
    }
}
