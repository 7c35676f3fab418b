//! Where a run stands inside its epochs, shared by every training loop: the epoch's seeded
//! shuffle, the position in it, the running loss, and the checks and events of each step.

use rand::seq::SliceRandom;

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

impl EpochCursor {
    /// A cursor after `epochs_done` finished epochs.
    pub fn after(epochs_done: usize) -> Self {
        Self { epochs_done, ..Self::default() }
    }

    /// Whether the next batch starts an epoch.
    pub fn at_epoch_start(&self) -> bool {
        self.position == 0
    }

    /// The next batch of `train`, shuffling it first at the start of an epoch (seeded by the
    /// run's seed and the epoch, so a resumed run shuffles as an uninterrupted one).
    pub fn next_batch(&mut self, train: &[usize], seed: u64, batch_size: usize) -> Vec<usize> {
        if self.position == 0 {
            self.order = train.to_vec();
            self.order.shuffle(&mut nasbench::split::rng(epoch_seed(seed, self.epochs_done)));
            self.step = 0;
            self.loss_sum = 0.0;
            self.loss_count = 0;
        }
        self.batch_end = (self.position + batch_size.max(1)).min(self.order.len());
        self.order[self.position..self.batch_end].to_vec()
    }

    /// Records the loss of the batch [`Self::next_batch`] gave: a non-finite loss is an error
    /// naming the epoch and step; otherwise a `Step` event. Returns whether the epoch is done.
    pub fn record(&mut self, loss: f64, sink: &mut dyn EventSink) -> Result<bool, TrainError> {
        let (epoch, step) = (self.epochs_done + 1, self.step + 1);
        if !loss.is_finite() {
            return Err(TrainError::NonFinite { epoch, step, loss });
        }
        let size = self.batch_end - self.position;
        self.loss_sum += loss * size as f64;
        self.loss_count += size;
        self.position = self.batch_end;
        self.step = step;
        sink.event(TrainingEvent::Step { epoch, step, loss });
        Ok(self.position >= self.order.len())
    }

    /// Closes the epoch and returns its mean training loss.
    pub fn finish_epoch(&mut self) -> f64 {
        self.position = 0;
        self.epochs_done += 1;
        self.loss_sum / self.loss_count.max(1) as f64
    }
}
