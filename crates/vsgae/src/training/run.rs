//! A training run of any kind behind one object-safe trait, for callers that hold a run without
//! knowing which model it trains (the app's engine).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::events::{EpochRecord, EventSink};
use super::session::Session;
use super::task::{ModelKind, TrainedModel, TrainingTask};
use super::{StepOutcome, TrainError};
use crate::io::checkpoint::Checkpoint;

/// A future a run returns, borrowing the run.
pub type RunFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TrainError>> + 'a>>;

/// What a caller does with a run of any kind. Every [`Session`] is one.
pub trait TrainingRun {
    /// Which model the run trains.
    fn kind(&self) -> ModelKind;
    /// One optimiser step ([`Session::step`]).
    fn step<'a>(&'a mut self, sink: &'a mut dyn EventSink) -> RunFuture<'a, StepOutcome>;
    /// Reads back the losses of the steps not read yet ([`Session::read_losses`]).
    fn read_losses<'a>(&'a mut self, sink: &'a mut dyn EventSink) -> RunFuture<'a, ()>;
    /// The run as an in-memory checkpoint ([`Session::snapshot`]).
    fn snapshot(&self) -> RunFuture<'_, Checkpoint>;
    /// Writes a checkpoint into `dir` (blocking; native code).
    fn checkpoint(&self, dir: &Path) -> Result<(), TrainError>;
    /// Checkpoints into `dir` from now on.
    fn set_checkpoint_dir(&mut self, dir: &Path);
    /// The epochs done so far.
    fn history(&self) -> &[EpochRecord];
    /// How many epochs are done.
    fn epochs_done(&self) -> usize;
    /// Whether Adam's state came back from the checkpoint (rather than starting fresh).
    fn optimizer_restored(&self) -> bool;
    /// The model as it is now.
    fn trained(&self) -> TrainedModel;
}

impl<T: TrainingTask> TrainingRun for Session<T> {
    fn kind(&self) -> ModelKind {
        T::KIND
    }

    fn step<'a>(&'a mut self, sink: &'a mut dyn EventSink) -> RunFuture<'a, StepOutcome> {
        Box::pin(Session::step(self, sink))
    }

    fn read_losses<'a>(&'a mut self, sink: &'a mut dyn EventSink) -> RunFuture<'a, ()> {
        Box::pin(Session::read_losses(self, sink))
    }

    fn snapshot(&self) -> RunFuture<'_, Checkpoint> {
        Box::pin(Session::snapshot(self))
    }

    fn checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        Session::checkpoint(self, dir)
    }

    fn set_checkpoint_dir(&mut self, dir: &Path) {
        self.checkpoint_into(dir);
    }

    fn history(&self) -> &[EpochRecord] {
        Session::history(self)
    }

    fn epochs_done(&self) -> usize {
        Session::epochs_done(self)
    }

    fn optimizer_restored(&self) -> bool {
        Session::optimizer_restored(self)
    }

    fn trained(&self) -> TrainedModel {
        T::trained(self.model(), self.config())
    }
}
