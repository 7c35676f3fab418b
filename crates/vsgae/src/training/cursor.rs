//! Where a run stands inside its epochs, shared by every training loop: the epoch's seeded
//! shuffle, the position in it, the running loss, and the checks and events of each step.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::events::{EventSink, TrainingEvent};
use super::{TrainError, epoch_seed};

/// Epoch bookkeeping of a training run.
#[derive(Debug, Default)]
pub(crate) struct EpochCursor {
    /// Epochs finished.
    pub epochs_done: usize,
    order: Vec<usize>,
    position: usize,
    batch_end: usize,
    step: usize,
    loss_sum: f64,
    loss_count: usize,
}

/// A step taken whose loss may not be read back yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StepTaken {
    /// The epoch (1-based).
    pub epoch: usize,
    /// The step in its epoch (1-based).
    pub step: usize,
    /// Cells in its batch.
    pub size: usize,
}

/// The epoch's items (counted from 0) in their order: shuffled by the run's seed and the epoch
/// only, so a resumed run shuffles as an uninterrupted one.
fn epoch_order(mut items: Vec<usize>, seed: u64, epoch: usize) -> Vec<usize> {
    items.shuffle(&mut nasbench::split::rng(epoch_seed(seed, epoch)));
    items
}

/// Where a run stands inside an unfinished epoch, as a checkpoint stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpochPosition {
    /// Training cells of the epoch's shuffle already used.
    pub position: usize,
    /// Steps done in the epoch.
    pub step: usize,
    /// Sum of the batch losses so far, each weighted by its batch size.
    pub loss_sum: f64,
    /// Cells in that sum.
    pub loss_count: usize,
}

impl EpochCursor {
    /// A cursor after `epochs_done` finished epochs and `within` of the next one, whose items
    /// `epoch_items` gives, shuffled by `seed` (so it continues as an uninterrupted run).
    pub fn resume(epochs_done: usize, within: &EpochPosition, epoch_items: Vec<usize>, seed: u64) -> Self {
        let mut cursor = Self { epochs_done, ..Self::default() };
        if within.position > 0 && within.position < epoch_items.len() {
            cursor.order = epoch_order(epoch_items, seed, epochs_done);
            cursor.position = within.position;
            cursor.batch_end = within.position;
            cursor.step = within.step;
            cursor.loss_sum = within.loss_sum;
            cursor.loss_count = within.loss_count;
        }
        cursor
    }

    /// Where the run stands in the current epoch.
    pub fn within_epoch(&self) -> EpochPosition {
        EpochPosition { position: self.position, step: self.step, loss_sum: self.loss_sum, loss_count: self.loss_count }
    }

    /// Steps done in the current epoch (after [`Self::next_batch`]: the index of its batch; 0
    /// between epochs).
    pub fn step_in_epoch(&self) -> usize {
        self.step
    }

    /// Whether the next batch starts an epoch.
    pub fn at_epoch_start(&self) -> bool {
        self.position == 0
    }

    /// The next batch of the epoch, shuffling its items (which `epoch_items` gives) first at the
    /// start of an epoch, seeded by the run's seed and the epoch, so a resumed run shuffles as
    /// an uninterrupted one.
    pub fn next_batch(
        &mut self,
        epoch_items: impl FnOnce(usize) -> Vec<usize>,
        seed: u64,
        batch_size: usize,
    ) -> Vec<usize> {
        if self.position == 0 {
            self.order = epoch_order(epoch_items(self.epochs_done), seed, self.epochs_done);
            self.step = 0;
            self.loss_sum = 0.0;
            self.loss_count = 0;
        }
        self.batch_end = (self.position + batch_size.max(1)).min(self.order.len());
        self.order[self.position..self.batch_end].to_vec()
    }

    /// Moves past the batch [`Self::next_batch`] gave; returns where that batch stood, for
    /// [`Self::record_loss`] once its loss is read back.
    pub fn advance(&mut self) -> StepTaken {
        let taken =
            StepTaken { epoch: self.epochs_done + 1, step: self.step + 1, size: self.batch_end - self.position };
        self.position = self.batch_end;
        self.step = taken.step;
        taken
    }

    /// Whether the epoch's batches are all taken.
    pub fn epoch_done(&self) -> bool {
        !self.order.is_empty() && self.position >= self.order.len()
    }

    /// Records the loss of a step [`Self::advance`] took: a non-finite loss is an error naming
    /// its epoch and step; otherwise a `Step` event.
    pub fn record_loss(&mut self, taken: StepTaken, loss: f64, sink: &mut dyn EventSink) -> Result<(), TrainError> {
        let StepTaken { epoch, step, size } = taken;
        if !loss.is_finite() {
            return Err(TrainError::NonFinite { epoch, step, loss });
        }
        self.loss_sum += loss * size as f64;
        self.loss_count += size;
        sink.event(TrainingEvent::Step { epoch, step, loss });
        Ok(())
    }

    /// Closes the epoch and returns its mean training loss.
    pub fn finish_epoch(&mut self) -> f64 {
        let mean = self.loss_sum / self.loss_count.max(1) as f64;
        self.position = 0;
        self.epochs_done += 1;
        self.step = 0;
        self.loss_sum = 0.0;
        self.loss_count = 0;
        mean
    }
}
