//! Checkpoints: weights (reference layout), config, optimizer state and progress, each file
//! written atomically (a temporary file, then a rename), so a killed run never leaves a torn one.

use std::path::{Path, PathBuf};

use burn::optim::{ModuleOptimizer, OptimizerRecord};
use serde::{Serialize, de::DeserializeOwned};

use crate::io::state_dict::StateDict;

/// Which model a checkpoint holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The performance predictor.
    Predictor,
    /// The VS-GAE.
    VsGae,
    /// The accuracy head on frozen VS-GAE latents.
    #[serde(rename = "latent_predictor")]
    LatentPredictor,
}

impl ModelKind {
    /// The name files and messages use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Predictor => "predictor",
            Self::VsGae => "vsgae",
            Self::LatentPredictor => "latent-predictor",
        }
    }
}

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A file of the checkpoint that cannot be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
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

/// The largest file a checkpoint may hold: the VS-GAE's weights are 20 MB, Adam's state twice that.
pub const MAX_CHECKPOINT_FILE_BYTES: u64 = 256 << 20;

/// The files of a checkpoint directory.
#[derive(Debug, Clone)]
pub struct CheckpointFiles {
    /// The checkpoint's folder.
    pub dir: PathBuf,
}

impl CheckpointFiles {
    /// The files of a checkpoint in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The model's weights (`weights.safetensors`).
    pub fn weights(&self) -> PathBuf {
        self.dir.join(WEIGHTS)
    }

    /// The training config (`config.json`).
    pub fn config(&self) -> PathBuf {
        self.dir.join(CONFIG)
    }

    /// Adam's state (`optimizer.bpk`).
    pub fn optimizer(&self) -> PathBuf {
        self.dir.join(OPTIMIZER)
    }

    /// Where the run stands (`progress.json`).
    pub fn progress(&self) -> PathBuf {
        self.dir.join(PROGRESS)
    }

    /// The weights of the best epoch so far (`best.safetensors`).
    pub fn best(&self) -> PathBuf {
        self.dir.join(BEST)
    }
}

const WEIGHTS: &str = "weights.safetensors";
const CONFIG: &str = "config.json";
const OPTIMIZER: &str = "optimizer.bpk";
const PROGRESS: &str = "progress.json";
const BEST: &str = "best.safetensors";

/// A checkpoint in memory: the files of a checkpoint directory (or of a checkpoint zip, the
/// form a browser downloads and uploads), named by where they came from for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Where it came from (a directory or an archive), for messages.
    pub origin: PathBuf,
    /// The training config, JSON.
    pub config: Vec<u8>,
    /// The weights, `.safetensors` in the reference's layout.
    pub weights: Vec<u8>,
    /// Adam's state as a burnpack, where the device could be read back synchronously.
    pub optimizer: Option<Vec<u8>>,
    /// Epochs done, position in the current epoch, schedule and history, JSON.
    pub progress: Vec<u8>,
    /// The weights of the best epoch so far, for runs that keep it (`.safetensors`).
    pub best: Option<Vec<u8>>,
}

impl Checkpoint {
    /// Builds a checkpoint from its parts.
    pub fn new(
        config: &impl Serialize,
        weights: &StateDict,
        optimizer: Option<&ModuleOptimizer>,
        progress: &impl Serialize,
    ) -> Result<Self, CheckpointError> {
        let origin = PathBuf::from("checkpoint");
        let json = |name: &str, value: Result<Vec<u8>, serde_json::Error>| {
            value.map_err(|e| file_error(&origin.join(name), e))
        };
        let optimizer = optimizer
            .map(|o| {
                o.to_record()
                    .into_bytes()
                    .map(|b| b.to_vec())
                    .map_err(|e| file_error(&origin.join(OPTIMIZER), format!("{e:?}")))
            })
            .transpose()?;
        Ok(Self {
            config: json(CONFIG, serde_json::to_vec_pretty(config))?,
            weights: weights.to_safetensors().map_err(|e| file_error(&origin.join(WEIGHTS), e))?,
            optimizer,
            progress: json(PROGRESS, serde_json::to_vec_pretty(progress))?,
            best: None,
            origin,
        })
    }

    /// The checkpoint with the best epoch's weights (`.safetensors`) beside the current ones.
    pub fn with_best(mut self, best: Option<Vec<u8>>) -> Self {
        self.best = best;
        self
    }

    /// Reads the files of a checkpoint directory (`optimizer.bpk` may be missing).
    pub fn read_dir(dir: &Path) -> Result<Self, CheckpointError> {
        let files = CheckpointFiles::new(dir);
        let read = |path: PathBuf| std::fs::read(&path).map_err(|e| file_error(&path, e));
        let optional = |path: PathBuf| path.exists().then(|| read(path)).transpose();
        Ok(Self {
            origin: dir.to_owned(),
            config: read(files.config())?,
            weights: read(files.weights())?,
            optimizer: optional(files.optimizer())?,
            progress: read(files.progress())?,
            best: optional(files.best())?,
        })
    }

    /// Writes the files into a directory, each atomically, the progress file last (it marks the
    /// checkpoint complete); a stale `optimizer.bpk` or `best.safetensors` is removed where this
    /// one has none.
    pub fn write_dir(&self, dir: &Path) -> Result<(), CheckpointError> {
        let files = CheckpointFiles::new(dir);
        write_atomically(&files.config(), &self.config)?;
        write_atomically(&files.weights(), &self.weights)?;
        for (path, bytes) in [(files.optimizer(), &self.optimizer), (files.best(), &self.best)] {
            match bytes {
                Some(bytes) => write_atomically(&path, bytes)?,
                None if path.exists() => std::fs::remove_file(&path).map_err(|e| file_error(&path, e))?,
                None => {}
            }
        }
        write_atomically(&files.progress(), &self.progress)
    }

    /// The checkpoint as a zip of its files (stored, not compressed: weights hardly compress).
    pub fn to_zip(&self) -> Result<Vec<u8>, CheckpointError> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        let mut files = vec![(CONFIG, &self.config), (WEIGHTS, &self.weights), (PROGRESS, &self.progress)];
        if let Some(optimizer) = &self.optimizer {
            files.push((OPTIMIZER, optimizer));
        }
        if let Some(best) = &self.best {
            files.push((BEST, best));
        }
        for (name, bytes) in files {
            let error = |e: &dyn std::fmt::Display| file_error(&self.origin.join(name), e);
            writer.start_file(name, options).map_err(|e| error(&e))?;
            std::io::Write::write_all(&mut writer, bytes).map_err(|e| error(&e))?;
        }
        let cursor = writer.finish().map_err(|e| file_error(&self.origin, e))?;
        Ok(cursor.into_inner())
    }

    /// Reads a checkpoint zip; `name` (the file's name) prefixes every error message. Each
    /// member is capped at [`MAX_CHECKPOINT_FILE_BYTES`]; other members are ignored.
    pub fn from_zip(bytes: &[u8], name: &str) -> Result<Self, CheckpointError> {
        let origin = PathBuf::from(name);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| file_error(&origin, format!("not a checkpoint zip: {e}")))?;
        let mut member = |member: &str, required: bool| -> Result<Option<Vec<u8>>, CheckpointError> {
            let path = origin.join(member);
            let entry = match archive.by_name(member) {
                Ok(entry) => entry,
                Err(zip::result::ZipError::FileNotFound) if !required => return Ok(None),
                Err(zip::result::ZipError::FileNotFound) => {
                    return Err(file_error(&origin, format!("not a checkpoint zip: it has no {member}")));
                }
                Err(e) => return Err(file_error(&path, e)),
            };
            if entry.size() > MAX_CHECKPOINT_FILE_BYTES {
                return Err(file_error(&path, format!("{} bytes, more than a checkpoint file may hold", entry.size())));
            }
            // Grown as read: a header may claim any size.
            let mut content = Vec::new();
            let read = std::io::Read::read_to_end(
                &mut std::io::Read::take(entry, MAX_CHECKPOINT_FILE_BYTES + 1),
                &mut content,
            )
            .map_err(|e| file_error(&path, e))?;
            if read as u64 > MAX_CHECKPOINT_FILE_BYTES {
                return Err(file_error(&path, "larger than a checkpoint file may be"));
            }
            Ok(Some(content))
        };
        let config = member(CONFIG, true)?.unwrap_or_default();
        let weights = member(WEIGHTS, true)?.unwrap_or_default();
        let progress = member(PROGRESS, true)?.unwrap_or_default();
        let optimizer = member(OPTIMIZER, false)?;
        let best = member(BEST, false)?;
        Ok(Self { origin, config, weights, optimizer, progress, best })
    }

    /// The training config.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, CheckpointError> {
        serde_json::from_slice(&self.config).map_err(|e| file_error(&self.origin.join(CONFIG), e))
    }

    /// The training config, checked by `validate` before anything is built from it; a bad value
    /// is an error naming the file and the field.
    pub fn validated_config<T: DeserializeOwned>(
        &self,
        validate: impl FnOnce(&T) -> Result<(), crate::config::ConfigError>,
    ) -> Result<T, CheckpointError> {
        let config = self.config()?;
        validate(&config).map_err(|e| file_error(&self.origin.join(CONFIG), e))?;
        Ok(config)
    }

    /// The progress record.
    pub fn progress<T: DeserializeOwned>(&self) -> Result<T, CheckpointError> {
        serde_json::from_slice(&self.progress).map_err(|e| file_error(&self.origin.join(PROGRESS), e))
    }

    /// The model kind the progress records (checkpoints written before kinds were recorded
    /// have none).
    fn recorded_kind(&self) -> Result<Option<ModelKind>, CheckpointError> {
        Ok(self.progress::<Recorded>()?.kind)
    }

    /// The model the checkpoint holds. Checkpoints record it in their progress; for one written
    /// before they did, the config tells: a predictor's names a `target`.
    pub fn kind(&self) -> Result<ModelKind, CheckpointError> {
        if let Some(kind) = self.recorded_kind()? {
            return Ok(kind);
        }
        let config: serde_json::Value = self.config()?;
        Ok(if config.get("target").is_some() { ModelKind::Predictor } else { ModelKind::VsGae })
    }

    /// Whether the optimizer state follows the current parameter layout
    /// ([`PARAMETER_LAYOUT`]). Older checkpoints hold Adam's state of parameters since split
    /// differently; their weights still load (by the reference's names), their Adam state not.
    pub fn has_current_layout(&self) -> Result<bool, CheckpointError> {
        let recorded = self.progress::<Recorded>()?;
        Ok(recorded.kind.is_some() && recorded.layout == PARAMETER_LAYOUT)
    }

    /// The weights.
    pub fn weights(&self) -> Result<StateDict, CheckpointError> {
        StateDict::from_bytes(&self.weights).map_err(|e| file_error(&self.origin.join(WEIGHTS), e))
    }

    /// Adam's state, where the checkpoint has it.
    pub fn optimizer(&self) -> Result<Option<OptimizerRecord>, CheckpointError> {
        let Some(bytes) = &self.optimizer else { return Ok(None) };
        OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.clone()))
            .map(Some)
            .map_err(|e| file_error(&self.origin.join(OPTIMIZER), format!("{e:?}")))
    }
}

/// The version of the models' parameter layout, which Adam's state in a checkpoint follows
/// (parameter ids are numbered in module order). 1: message and GRU maps stacked; 2: the GRU's
/// biases one parameter per gate. Checkpoints record it in their progress.
pub const PARAMETER_LAYOUT: u32 = 2;

/// What a checkpoint's progress records of its model.
#[derive(serde::Deserialize)]
struct Recorded {
    /// Absent in checkpoints written before kinds were recorded.
    #[serde(default)]
    kind: Option<ModelKind>,
    /// Absent (1) in checkpoints written before the layout was recorded.
    #[serde(default = "first_layout")]
    layout: u32,
}

fn first_layout() -> u32 {
    1
}

/// Whether a resumed run gets Adam's state back from its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdamState {
    /// Load the checkpoint's optimizer state (where it has one).
    Restore,
    /// Start Adam afresh.
    Reset,
}

impl AdamState {
    /// Restore where Burn can: `ModuleOptimizer::load_record` builds the state on
    /// `Device::default()` and moves it to the run's device at the next step, so that device must
    /// be the run's own or one that works here. A browser cannot start another device
    /// synchronously; natively the default device (wgpu where it is compiled in) is tried once.
    pub fn where_possible(device: &burn::tensor::Device) -> Self {
        let default = burn::tensor::Device::default();
        if default == device.clone().inner() || (!cfg!(target_family = "wasm") && device_works(&default)) {
            Self::Restore
        } else {
            Self::Reset
        }
    }
}

/// Whether a tensor can be made and read on `device` (a default wgpu device panics on first
/// use where the machine has no adapter). Natively only; the answer is cached per process.
fn device_works(device: &burn::tensor::Device) -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| crate::readback::device_answers(device))
}

/// Whether tensors on `device` can be read back without awaiting: everywhere but a GPU in a
/// browser. A checkpoint there leaves out the optimizer state, which Burn reads synchronously.
pub fn reads_synchronously(device: &burn::tensor::Device) -> bool {
    !cfg!(target_family = "wasm") || crate::parallel::is_cpu(device)
}
