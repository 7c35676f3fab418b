//! The engine's training run, as the engine holds it between slices of work.

use crate::compute::backend::BackendChoice;

/// A run the engine trains in slices, with what the GUI set for it.
pub(crate) struct ActiveTraining {
    pub(super) run: Box<dyn vsgae::training::TrainingRun>,
    pub(super) paused: bool,
    pub(super) done: bool,
    pub(super) backend: BackendChoice,
}
