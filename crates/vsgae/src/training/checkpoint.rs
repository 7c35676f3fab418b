//! Checkpoints: weights (reference layout), config, optimizer state and progress, each file
//! written atomically (a temporary file, then a rename), so a killed run never leaves a torn one.

use std::path::{Path, PathBuf};

use burn::optim::{ModuleOptimizer, OptimizerRecord};
use serde::{Serialize, de::DeserializeOwned};

use crate::state_dict::StateDict;

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

fn file_error(path: &Path, message: impl ToString) -> CheckpointError {
    CheckpointError::File { path: path.to_owned(), message: message.to_string() }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|e| file_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        file_error(path, e)
    })
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), CheckpointError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| file_error(path, e))?;
    write_atomically(path, &text)
}

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| file_error(path, e))
}

/// The files of a checkpoint directory.
#[derive(Debug, Clone)]
pub struct CheckpointFiles {
    pub dir: PathBuf,
}

impl CheckpointFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn weights(&self) -> PathBuf {
        self.dir.join("weights.safetensors")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    pub fn optimizer(&self) -> PathBuf {
        self.dir.join("optimizer.bpk")
    }

    pub fn progress(&self) -> PathBuf {
        self.dir.join("progress.json")
    }

    /// Writes weights and optimizer state (the progress file, written last, marks it complete).
    pub fn write_state(&self, weights: &StateDict, optimizer: &ModuleOptimizer) -> Result<(), CheckpointError> {
        let bytes = weights.to_safetensors().map_err(|e| file_error(&self.weights(), e))?;
        write_atomically(&self.weights(), &bytes)?;
        let record = optimizer.to_record().into_bytes().map_err(|e| file_error(&self.optimizer(), format!("{e:?}")))?;
        write_atomically(&self.optimizer(), &record)
    }

    /// Reads the weights.
    pub fn read_weights(&self) -> Result<StateDict, CheckpointError> {
        let bytes = std::fs::read(self.weights()).map_err(|e| file_error(&self.weights(), e))?;
        StateDict::from_bytes(&bytes).map_err(|e| file_error(&self.weights(), e))
    }

    /// Reads the optimizer state.
    pub fn read_optimizer(&self) -> Result<OptimizerRecord, CheckpointError> {
        let bytes = std::fs::read(self.optimizer()).map_err(|e| file_error(&self.optimizer(), e))?;
        OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| file_error(&self.optimizer(), format!("{e:?}")))
    }
}
