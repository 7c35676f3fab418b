//! What can go wrong in the compute layer. Each job returns a [`ComputeError`]; the engine
//! reports it once, where the command is handled (a notice, or a failed training run).

use vsgae::io::checkpoint::CheckpointError;
use vsgae::io::model_files::ModelFileError;
use vsgae::readback::ReadbackError;
use vsgae::training::TrainError;

/// Why a command of the GUI, or the engine's start, did not do what it asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComputeError {
    #[error("no predictor is loaded")]
    NoPredictor,
    #[error("the {which} predictor did not load: {source}")]
    PredictorLoad { which: &'static str, source: ModelFileError },
    #[error("no VS-GAE is loaded")]
    NoVsGae,
    #[error("the built-in VS-GAE did not load: {0}")]
    VsGaeLoad(ModelFileError),
    /// `0` says what needs the dataset.
    #[error("load a dataset first: {0}")]
    NoDataset(&'static str),
    /// `0` names the job the GUI cancelled.
    #[error("{0} cancelled")]
    Cancelled(&'static str),
    #[error("prediction failed: {0}")]
    Prediction(ReadbackError),
    #[error("encoding failed: {0}")]
    Encoding(ReadbackError),
    #[error("decoding failed: {0}")]
    Decoding(ReadbackError),
    #[error("the search: {0}")]
    Search(vsgae::search::SearchError),
    #[error("the latent map has no cell to draw")]
    EmptyLatentMap,
    /// `0` says what needs the run.
    #[error("no training run {0}")]
    NoTrainingRun(&'static str),
    #[error("checkpoint failed: {0}")]
    CheckpointWrite(TrainError),
    #[error("a latent predictor is not used by the app")]
    LatentPredictorUnused,
    #[error("the config: {0}")]
    Config(TrainError),
    #[error("{dataset} has no cell with the metric {metric} to train on")]
    NoTrainingCells { dataset: String, metric: String },
    #[error(transparent)]
    Training(#[from] TrainError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("the app cannot resume a latent predictor's run")]
    LatentPredictorRun,
    /// One of the others, for the checkpoint named `origin`.
    #[error("{origin}: {error}")]
    Resuming { origin: String, error: Box<ComputeError> },
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    #[error("a message to or from the compute worker cannot be written: {0}")]
    WireEncode(#[from] ciborium::ser::Error<std::io::Error>),
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    #[error("a message to or from the compute worker is unreadable: {0}")]
    WireDecode(#[from] ciborium::de::Error<std::io::Error>),
    /// The browser's own words (a JavaScript error's message).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    #[error("no Web Worker could start: {0}")]
    WorkerStart(String),
}

impl ComputeError {
    /// What was missing, where this error is about something missing: a notice of it is stale
    /// once that arrives.
    pub(crate) fn awaits(&self) -> Option<super::Awaited> {
        use super::Awaited;
        match self {
            Self::NoDataset(_) => Some(Awaited::Dataset),
            Self::NoPredictor => Some(Awaited::Predictor),
            Self::NoVsGae => Some(Awaited::VsGae),
            Self::NoTrainingRun(_) => Some(Awaited::TrainingRun),
            Self::Resuming { error, .. } => error.awaits(),
            _ => None,
        }
    }

    /// Wraps an error as one about resuming from the checkpoint named `origin`.
    pub(crate) fn resuming(origin: impl std::fmt::Display) -> impl FnOnce(Self) -> Self {
        move |error| Self::Resuming { origin: origin.to_string(), error: Box::new(error) }
    }
}

/// Why the shipped models did not load, in words: made on the engine's side, it crosses the
/// worker's wire to the status bar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{0}")]
pub struct ModelsUnavailable(pub String);

impl From<ComputeError> for ModelsUnavailable {
    fn from(error: ComputeError) -> Self {
        Self(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::ComputeError;

    #[test]
    fn a_failed_start_says_why_and_which_checkpoint() {
        let error = ComputeError::resuming("run.zip")(ComputeError::LatentPredictorRun);
        assert_eq!(error.to_string(), "run.zip: the app cannot resume a latent predictor's run");
        let error = ComputeError::NoTrainingCells { dataset: "cells.csv".to_owned(), metric: "val_acc_108".to_owned() };
        assert_eq!(error.to_string(), "cells.csv has no cell with the metric val_acc_108 to train on");
        assert_eq!(ComputeError::Cancelled("ranking").to_string(), "ranking cancelled");
    }
}
