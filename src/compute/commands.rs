//! What the GUI asks of the engine, and what the engine reports back.

use std::sync::Arc;

use nasbench::{Cell, Dataset, DatasetSummary};
use serde::{Deserialize, Serialize};
use vsgae::inference::Prediction;
use vsgae::latent::Interpolation;
use vsgae::model::decoding::DecodedGraph;
use vsgae::training::{ModelKind, TrainingEvent};
use vsgae::{PredictorTrainingConfig, VsGaeTrainingConfig};

use super::backend::BackendChoice;

/// A request to the engine.
#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Parse a file (any supported format, detected from its content) into the current dataset.
    LoadFile {
        name: String,
        #[serde(with = "byte_string")]
        bytes: Vec<u8>,
    },
    /// Make the generated search space (423,624 cells, no labels) the current dataset.
    LoadSpace,
    /// Predict the accuracy of some cells; answered by [`Event::Predictions`] with the same `request`.
    Predict {
        request: PredictionRequest,
        cells: Vec<Cell>,
    },
    /// Predict every cell of the search space and report the best `top`.
    RankSpace {
        top: usize,
        /// Screen with an ensemble's first member (see [`vsgae::inference::Screening`]); `None`
        /// predicts every cell with every member.
        screening: Option<vsgae::inference::Screening>,
    },
    /// Decode `steps` points between the latents of `from` and `to`.
    Interpolate {
        from: Cell,
        to: Cell,
        steps: usize,
        how: Interpolation,
    },
    /// Encode (at most `max_cells` of) the current dataset and project the latents to 2-D.
    LatentMap {
        max_cells: usize,
    },
    /// Draw `count` points from the VS-GAE's prior (fitted to the current dataset's latents, or
    /// the search space's) and decode each to its most likely cell.
    SamplePrior {
        count: usize,
    },
    StartTraining(Box<TrainRequest>),
    /// Pause (`true`) or continue (`false`) the training run.
    PauseTraining(bool),
    StopTraining,
    /// Write a checkpoint of the training run into a folder (native only).
    SaveCheckpoint {
        dir: std::path::PathBuf,
    },
    /// Continue a checkpointed run on the current dataset (native only).
    ResumeTraining {
        dir: std::path::PathBuf,
        backend: BackendChoice,
    },
    /// Pack a checkpoint of the training run as a zip, for a download ([`Event::CheckpointZip`]).
    DownloadCheckpoint,
    /// Continue the run of a checkpoint zip (see [`Command::DownloadCheckpoint`]) on the current
    /// dataset; `name` is the zip's file name, for messages.
    ResumeFromZip {
        name: String,
        #[serde(with = "byte_string")]
        bytes: Vec<u8>,
        backend: BackendChoice,
    },
    /// Use the trained model for predictions (predictor) or the latent panel (VS-GAE).
    UseTrainedModel,
    /// Use one of the built-in predictors for predictions.
    UseBuiltInPredictor(crate::embedded::BuiltInPredictor),
    /// Search the current (labelled) dataset with a query budget ([`vsgae::search`]); the
    /// queries come back as [`Event::SearchQueried`].
    StartSearch(SearchRequest),
    StopSearch,
}

/// A search of the current dataset as a pool of `val_acc_108` labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub method: vsgae::search::SearchMethod,
    pub budget: usize,
    pub seed: u64,
    /// The model-based methods' acquisition; `None` takes the method's default.
    pub acquisition: Option<vsgae::search::Acquisition>,
}

/// One query of a search, as the GUI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchedCell {
    pub cell: Cell,
    /// The accuracy the query revealed.
    pub accuracy: f64,
    /// The best accuracy found after this query.
    pub best: f64,
    /// What the search's model predicted for the cell, with a 95 % interval under its Gaussian
    /// belief (model-based methods, once fitted).
    pub predicted: Option<(f64, [f64; 2])>,
}

/// Where a search stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SearchState {
    Running,
    Finished { seconds: f64 },
    Stopped,
    Failed(String),
}

/// Who asked for predictions, so that the answer goes back to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PredictionRequest {
    /// The cache of single cells' predictions that every panel reads ([`crate::Shared::prediction`]).
    Cache,
    /// One of the predict panel's tables: its request number.
    Table(u64),
}

/// What to train.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TrainRequest {
    Predictor { config: PredictorTrainingConfig, backend: BackendChoice },
    VsGae { config: VsGaeTrainingConfig, backend: BackendChoice },
}

/// The current dataset, as the GUI shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub format: String,
    pub dataset: Dataset,
    pub summary: DatasetSummary,
    /// Whether the cells carry the predictor's target metric.
    pub labelled: bool,
}

/// One decoded latent point (of an interpolation, or drawn from the prior).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecodedPoint {
    pub graph: DecodedGraph,
    /// The decoding as a NAS-Bench-101 cell, where it is one.
    pub cell: Option<Cell>,
    pub predicted: Option<f64>,
}

/// One cell of the latent map.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LatentPoint {
    pub position: [f32; 2],
    pub cell: Cell,
    pub accuracy: Option<f64>,
}

/// Where a training run stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainingState {
    Running { device: String },
    Paused,
    Finished,
    Stopped,
    Failed(String),
}

/// A report from the engine.
#[derive(Debug, Serialize, Deserialize)]
pub enum Event {
    /// The devices are chosen and the embedded models loaded (or not, with why).
    Ready {
        backend: String,
        models: Result<String, super::error::ModelsUnavailable>,
        /// Why there is no GPU device, where there is none.
        gpu_error: Option<String>,
    },
    DatasetLoaded(#[serde(with = "shared_value")] Arc<DatasetInfo>),
    /// A file could not be read; the message names the file and the problem.
    LoadFailed {
        name: String,
        message: String,
    },
    /// Predicted accuracies (with the spread over an ensemble's members) of `cells`, and what
    /// computed them (e.g. `WebGPU: SwiftShader Device` or `CPU (Burn flex)`).
    Predictions {
        request: PredictionRequest,
        cells: Vec<Cell>,
        values: Vec<Prediction>,
        device: String,
    },
    /// How far a download has come (`done` of `total` bytes).
    Downloading {
        what: String,
        done: usize,
        total: usize,
    },
    /// How far a long job has come (`done` of `total`).
    Progress {
        job: String,
        done: usize,
        total: usize,
    },
    /// The best `top` cells of the space, and every cell's predicted accuracy in ascending
    /// order (for a cell's rank within the space).
    Ranking {
        top: Vec<(Cell, Prediction)>,
        cells: usize,
        /// How many cells the whole ensemble predicted (all of them without screening).
        rescored: usize,
        seconds: f64,
        #[serde(with = "shared_value")]
        ascending: Arc<Vec<f64>>,
    },
    Interpolation(Vec<DecodedPoint>),
    /// The latent map: each cell's place on the latents' first two principal axes, and the share
    /// of the latents' variance along each axis.
    LatentMap {
        points: Vec<LatentPoint>,
        variance_shares: [f64; 2],
    },
    /// Points drawn from the prior, decoded.
    PriorSamples(Vec<DecodedPoint>),
    /// A run started or resumed; `history` holds the epochs a resumed run already has.
    TrainingBegan {
        history: Vec<vsgae::training::EpochRecord>,
    },
    Training(TrainingEvent),
    TrainingState(TrainingState),
    /// Another model now serves the app; `what` names it for the user.
    ModelReplaced {
        kind: ModelKind,
        what: String,
    },
    /// A checkpoint zip to offer for download.
    CheckpointZip {
        file_name: String,
        #[serde(with = "byte_string")]
        bytes: Vec<u8>,
    },
    /// A search began on a pool of `pool_cells` cells whose best accuracy is `pool_best`.
    SearchBegan {
        request: SearchRequest,
        pool_cells: usize,
        pool_best: f64,
    },
    /// The search's latest queries, in order.
    SearchQueried(Vec<SearchedCell>),
    SearchState(SearchState),
    /// Something the user should read, such as a failed job; `until`, where the message is about
    /// something missing, is what makes it stale once it arrives.
    Notice {
        message: String,
        until: Option<Awaited>,
    },
    /// The engine stopped on an internal error (a panic, with its message); nothing computes
    /// until the app restarts.
    EngineStopped(String),
}

/// Something a command found missing: a notice saying so is stale once it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Awaited {
    Dataset,
    Predictor,
    VsGae,
    TrainingRun,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(command_name(self))
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::LoadFile { .. } => "LoadFile",
        Command::LoadSpace => "LoadSpace",
        Command::Predict { .. } => "Predict",
        Command::RankSpace { .. } => "RankSpace",
        Command::Interpolate { .. } => "Interpolate",
        Command::LatentMap { .. } => "LatentMap",
        Command::SamplePrior { .. } => "SamplePrior",
        Command::StartTraining(_) => "StartTraining",
        Command::PauseTraining(_) => "PauseTraining",
        Command::StopTraining => "StopTraining",
        Command::StartSearch(_) => "StartSearch",
        Command::StopSearch => "StopSearch",
        Command::SaveCheckpoint { .. } => "SaveCheckpoint",
        Command::ResumeTraining { .. } => "ResumeTraining",
        Command::DownloadCheckpoint => "DownloadCheckpoint",
        Command::ResumeFromZip { .. } => "ResumeFromZip",
        Command::UseTrainedModel => "UseTrainedModel",
        Command::UseBuiltInPredictor(_) => "UseBuiltInPredictor",
    }
}

/// Serde for a value behind an `Arc` (serde's `rc` feature would serialize every `Arc` in the
/// dependency graph this way; two fields need it).
mod shared_value {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(value: &Arc<T>, serializer: S) -> Result<S::Ok, S::Error> {
        T::serialize(value, serializer)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<T>, D::Error> {
        T::deserialize(deserializer).map(Arc::new)
    }
}

/// Serde for file contents as one byte string (serde writes a `Vec<u8>` as a list of numbers).
pub mod byte_string {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(Bytes)
    }

    struct Bytes;

    impl<'de> Visitor<'de> for Bytes {
        type Value = Vec<u8>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a byte string")
        }

        fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::new();
            while let Some(byte) = seq.next_element()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}
