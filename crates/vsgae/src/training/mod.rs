//! Explicit, resumable training loops that advance one step at a time (so the browser can yield
//! between steps), report [`TrainingEvent`]s to a sink, check a cancel flag, and never print.

pub mod checkpoint;
mod cursor;
pub mod events;
pub mod latent_predictor;
pub mod plateau;
pub mod predictor;
pub mod vae;

pub use checkpoint::{CheckpointError, CheckpointFiles};
pub use events::{EpochRecord, EventSink, TrainingEvent};
pub use predictor::{PredictorData, PredictorSession, PredictorSplit};
pub use vae::VaeSession;

/// Why a training run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("the loss became {loss} at epoch {epoch}, step {step}")]
    NonFinite { epoch: usize, step: usize, loss: f64 },
    #[error("cancelled")]
    Cancelled,
    #[error("no training cells: {0}")]
    NoData(String),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Import(#[from] crate::state_dict::ImportError),
    #[error(transparent)]
    Sampling(#[from] nasbench::sampling::SamplingError),
    #[error("the checkpoint does not fit this run: {0}")]
    Mismatch(String),
    #[error("reading a result back from the device failed: {0}")]
    Readback(String),
}

impl TrainError {
    fn readback(error: impl std::fmt::Debug) -> Self {
        Self::Readback(format!("{error:?}"))
    }
}

/// What one call of `step` did.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// One optimiser step; the epoch goes on.
    Stepped,
    /// The step finished an epoch.
    EpochDone(Box<EpochRecord>),
    /// Every epoch is done.
    Finished,
}

/// The per-epoch shuffling seed: derived from the run's seed and the epoch, so a resumed run
/// shuffles exactly as an uninterrupted one without storing generator state.
pub(crate) fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ (epoch as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Reports a finished epoch: the record, then a checkpoint where one is due (written by
/// `write_checkpoint` into `checkpoint_dir`), then the end of the run after the last epoch.
pub(crate) fn report_epoch(
    sink: &mut dyn EventSink,
    record: &EpochRecord,
    epochs: usize,
    checkpoint_every: usize,
    checkpoint_dir: Option<&std::path::Path>,
    write_checkpoint: impl FnOnce(&std::path::Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    sink.event(TrainingEvent::Epoch(record.clone()));
    let last = record.epoch == epochs;
    if let Some(dir) = checkpoint_dir
        && (last || (checkpoint_every > 0 && record.epoch.is_multiple_of(checkpoint_every)))
    {
        write_checkpoint(dir)?;
        sink.event(TrainingEvent::Checkpoint { epoch: record.epoch, path: dir.display().to_string() });
    }
    if last {
        sink.event(TrainingEvent::Finished { epochs: record.epoch });
    }
    Ok(())
}

/// Writes a checkpoint inside an epoch where one is due (every `every` steps of it, with a
/// checkpoint folder), then reports it.
pub(crate) fn checkpoint_within_epoch(
    sink: &mut dyn EventSink,
    cursor: &cursor::EpochCursor,
    every: usize,
    checkpoint_dir: Option<&std::path::Path>,
    write_checkpoint: impl FnOnce(&std::path::Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    if let Some(dir) = checkpoint_dir
        && every > 0
        && cursor.step_in_epoch().is_multiple_of(every)
    {
        write_checkpoint(dir)?;
        sink.event(TrainingEvent::Checkpoint { epoch: cursor.epochs_done, path: dir.display().to_string() });
    }
    Ok(())
}

/// The reference's optimiser: Adam with β = (0.9, 0.999) and ε = 1e-8.
pub(crate) fn reference_adam() -> burn::optim::ModuleOptimizer {
    burn::optim::AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8).init()
}

/// A run as an in-memory checkpoint: `model`'s weights read back without blocking, and Adam's
/// state where `device` can be read synchronously (not WebGPU in a browser).
pub(crate) async fn capture_checkpoint(
    config: &impl serde::Serialize,
    model: &impl crate::state_dict::ReferenceParams,
    optimizer: &burn::optim::ModuleOptimizer,
    device: &burn::tensor::Device,
    progress: &impl serde::Serialize,
) -> Result<checkpoint::Checkpoint, TrainError> {
    let mut weights = crate::state_dict::StateDict::deferred();
    model.save(&mut weights, "");
    let weights = weights.read_back_async().await?;
    let optimizer = checkpoint::reads_synchronously(device).then_some(optimizer);
    Ok(checkpoint::Checkpoint::new(config, &weights, optimizer, progress)?)
}
