//! Explicit, resumable training loops that advance one step at a time (so the browser can yield
//! between steps), report [`TrainingEvent`]s to a sink, check a cancel flag, and never print.

pub mod adam;
mod cursor;
pub mod events;
pub mod latent_predictor;
mod midpoints;
pub mod plateau;
pub mod predictor;
pub mod replay;
pub mod run;
pub mod session;
pub(crate) mod stable_ids;
pub mod task;
pub mod vae;

pub use crate::io::checkpoint::{CheckpointError, CheckpointFiles};
pub use events::{EpochRecord, EventSink, TrainingEvent};
pub use predictor::{PredictorData, PredictorSplit, PredictorTask};
pub use run::TrainingRun;
pub use session::Session;
pub use task::{ModelKind, TrainedModel, TrainingTask};
pub use vae::VsGaeTask;

/// A predictor training run.
pub type PredictorSession = Session<PredictorTask>;
/// A VS-GAE training run.
pub type VsGaeSession = Session<VsGaeTask>;

/// Why a training run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss stopped being a finite number.
    #[error("the loss became {loss} at epoch {epoch}, step {step}")]
    NonFinite {
        /// The epoch.
        epoch: usize,
        /// The step within it.
        step: usize,
        /// The loss there.
        loss: f64,
    },
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Nothing to train on: why.
    #[error("no training cells: {0}")]
    NoData(String),
    /// A checkpoint cannot be read or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Weights cannot be imported.
    #[error(transparent)]
    Import(#[from] crate::io::state_dict::ImportError),
    /// The training subset cannot be chosen.
    #[error(transparent)]
    Sampling(#[from] nasbench::sampling::SamplingError),
    /// A checkpoint does not match the run resuming from it: how.
    #[error("the checkpoint does not fit this run: {0}")]
    Mismatch(String),
    /// Reading values back from the device failed: why.
    #[error("reading a result back from the device failed: {0}")]
    Readback(String),
    /// A worker thread failed: why.
    #[error("a training thread failed: {0}")]
    Worker(String),
    /// Reading values back from the device failed.
    #[error(transparent)]
    Values(#[from] crate::readback::ReadbackError),
    /// The metrics cannot be computed.
    #[error(transparent)]
    Metrics(#[from] crate::evaluation::metrics::MetricsError),
    /// The config is out of range.
    #[error("the config: {0}")]
    Config(#[from] crate::config::ConfigError),
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
