//! A trained model as two files: `config.json` (the training config, which holds the model
//! config) and `weights.safetensors` (the reference's layout). The CLI reads them from a folder;
//! the app embeds the shipped ones as bytes.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::config::{PredictorTrainingConfig, VsGaeTrainingConfig};
use crate::io::checkpoint::{write_atomically, write_json};
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::{Predictor, VsGae};

/// Why a model could not be loaded; names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// A file cannot be read.
    #[error("{file}: {message}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The config cannot be read or is out of range.
    #[error("{file}: {problem}")]
    Config {
        /// The config file.
        file: String,
        /// What is wrong with it.
        problem: crate::config::ConfigError,
    },
    /// A file cannot be written.
    #[error("{file}: cannot write it: {message}")]
    Write {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The weights do not fit the config's model.
    #[error("{file}: {problem}")]
    Weights {
        /// The weights file.
        file: String,
        /// What does not fit.
        problem: ImportError,
    },
}

/// A training config with a model config inside, and that model's type.
pub trait TrainedModel: Sized {
    /// The training config stored beside the weights.
    type Config: serde::de::DeserializeOwned;
    /// Checks the config before anything is built from it.
    fn validate(config: &Self::Config) -> Result<(), crate::config::ConfigError>;
    /// A model of the config's shape, with fresh weights to load into.
    fn init(config: &Self::Config, device: &Device) -> Self;
}

impl TrainedModel for Predictor {
    type Config = PredictorTrainingConfig;
    fn validate(config: &Self::Config) -> Result<(), crate::config::ConfigError> {
        config.validate()
    }
    fn init(config: &Self::Config, device: &Device) -> Self {
        config.model.init(device)
    }
}

impl TrainedModel for VsGae {
    type Config = VsGaeTrainingConfig;
    fn validate(config: &Self::Config) -> Result<(), crate::config::ConfigError> {
        config.validate()
    }
    fn init(config: &Self::Config, device: &Device) -> Self {
        config.model.init(device)
    }
}

/// A model's two files read and checked, not yet built on a device (reading needs none, so it
/// can happen while a device is still being asked for).
pub struct ModelFiles<M: TrainedModel> {
    /// The config the files hold.
    pub config: M::Config,
    state: StateDict,
    weights_file: String,
}

impl<M: TrainedModel<Config: Clone>> Clone for ModelFiles<M> {
    fn clone(&self) -> Self {
        Self { config: self.config.clone(), state: self.state.clone(), weights_file: self.weights_file.clone() }
    }
}

impl<M: TrainedModel> std::fmt::Debug for ModelFiles<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFiles").field("weights_file", &self.weights_file).finish_non_exhaustive()
    }
}

impl<M: TrainedModel + ReferenceParams> ModelFiles<M> {
    /// Parses the bytes of `config.json` and `weights.safetensors` and checks the config;
    /// `source` names the files in errors.
    pub fn read(config_json: &[u8], weights: &[u8], source: &str) -> Result<Self, ModelFileError> {
        let config_file = format!("{source}/config.json");
        let weights_file = format!("{source}/weights.safetensors");
        let config: M::Config = serde_json::from_slice(config_json)
            .map_err(|e| ModelFileError::Read { file: config_file.clone(), message: e.to_string() })?;
        M::validate(&config).map_err(|problem| ModelFileError::Config { file: config_file, problem })?;
        let state = StateDict::from_bytes(weights)
            .map_err(|problem| ModelFileError::Weights { file: weights_file.clone(), problem })?;
        Ok(Self { config, state, weights_file })
    }

    /// The model on `device`, with its training config.
    pub fn build(self, device: &Device) -> Result<(M::Config, M), ModelFileError> {
        let Self { config, mut state, weights_file } = self;
        let weights_error = |problem| ModelFileError::Weights { file: weights_file.clone(), problem };
        let model = M::init(&config, device).load(&mut state, "", device).map_err(weights_error)?;
        state.finish().map_err(weights_error)?;
        Ok((config, model))
    }
}

/// Builds a model from the bytes of its two files; `source` names them in errors.
pub fn load_from_bytes<M: TrainedModel + ReferenceParams>(
    config_json: &[u8],
    weights: &[u8],
    source: &str,
    device: &Device,
) -> Result<(M::Config, M), ModelFileError> {
    ModelFiles::<M>::read(config_json, weights, source)?.build(device)
}

/// Builds a model from a folder holding `config.json` and `weights.safetensors`.
pub fn load_from_dir<M: TrainedModel + ReferenceParams>(
    dir: &Path,
    device: &Device,
) -> Result<(M::Config, M), ModelFileError> {
    let read = |name: &str| {
        let path: PathBuf = dir.join(name);
        std::fs::read(&path)
            .map_err(|e| ModelFileError::Read { file: path.display().to_string(), message: e.to_string() })
    };
    load_from_bytes::<M>(&read("config.json")?, &read("weights.safetensors")?, &dir.display().to_string(), device)
}

/// Writes a model folder that [`load_from_dir`] reads back: `config.json` and
/// `weights.safetensors` (f32), each atomically.
pub fn write_dir<M: TrainedModel<Config: serde::Serialize> + ReferenceParams>(
    dir: &Path,
    config: &M::Config,
    model: &M,
) -> Result<(), ModelFileError> {
    let write_error =
        |file: PathBuf, message: String| ModelFileError::Write { file: file.display().to_string(), message };
    let mut state = StateDict::default();
    model.save(&mut state, "");
    let weights_file = dir.join("weights.safetensors");
    let weights = state
        .to_safetensors()
        .map_err(|problem| ModelFileError::Weights { file: weights_file.display().to_string(), problem })?;
    let config_file = dir.join("config.json");
    write_json(&config_file, config).map_err(|e| write_error(config_file.clone(), e.to_string()))?;
    write_atomically(&weights_file, &weights).map_err(|e| write_error(weights_file.clone(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EncoderConfig, PredictorConfig};

    fn tiny_config() -> PredictorTrainingConfig {
        PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new().with_node_dim(8).with_graph_dim(16)))
    }

    #[test]
    fn a_saved_predictor_loads_back_and_bad_files_name_themselves() {
        let device = Device::flex();
        let config = tiny_config();
        let model = config.model.init(&device);
        let mut weights = StateDict::default();
        model.save(&mut weights, "");
        let bytes = weights.to_safetensors().unwrap();
        let json = serde_json::to_vec(&config).unwrap();
        let (loaded_config, _) = load_from_bytes::<Predictor>(&json, &bytes, "embedded", &device).unwrap();
        assert_eq!(loaded_config, config);

        let error = load_from_bytes::<Predictor>(b"{", &bytes, "embedded", &device).unwrap_err();
        assert!(error.to_string().starts_with("embedded/config.json: "), "{error}");
        let error = load_from_bytes::<Predictor>(&json, b"noise", "embedded", &device).unwrap_err();
        assert!(error.to_string().starts_with("embedded/weights.safetensors: "), "{error}");
        let other = serde_json::to_vec(&PredictorTrainingConfig::new(PredictorConfig::new(
            EncoderConfig::new().with_node_dim(9).with_graph_dim(16),
        )))
        .unwrap();
        let error = load_from_bytes::<Predictor>(&other, &bytes, "embedded", &device).unwrap_err();
        assert!(error.to_string().contains("shape"), "{error}");
    }

    #[test]
    fn a_written_folder_reads_back_and_an_unwritable_one_names_its_file() {
        let device = Device::flex();
        let config = tiny_config();
        let model = config.model.init(&device);
        let dir = tempfile::tempdir().unwrap();
        write_dir(dir.path(), &config, &model).unwrap();
        let (loaded_config, loaded) = load_from_dir::<Predictor>(dir.path(), &device).unwrap();
        assert_eq!(loaded_config, config);
        let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output").unwrap();
        let predict = |m: &Predictor| crate::inference::predict(m, &[cell], &device).unwrap();
        assert_eq!(predict(&loaded), predict(&model));

        let blocked = dir.path().join("config.json").join("inside");
        let error = write_dir(&blocked, &config, &model).unwrap_err().to_string();
        assert!(error.contains("cannot write it"), "{error}");
    }

    /// Counts a module's parameters that hold memory.
    #[derive(Default)]
    struct Allocated(usize);

    impl burn::module::ModuleVisitor for Allocated {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<burn::tensor::Tensor<D>>) {
            self.0 += usize::from(param.is_initialized());
        }
    }

    fn allocated(module: &impl burn::module::Module) -> usize {
        let mut visitor = Allocated::default();
        module.visit(&mut visitor);
        visitor.0
    }

    #[test]
    fn the_largest_valid_configs_build_without_memory_and_small_weights_are_refused() {
        use crate::config::{MAX_ENSEMBLE_SIZE, MAX_GRAPH_DIM, MAX_LAYERS, MAX_NODE_DIM, VsGaeConfig};
        let device = Device::flex();
        let largest =
            EncoderConfig::new().with_node_dim(MAX_NODE_DIM).with_graph_dim(MAX_GRAPH_DIM).with_num_layers(MAX_LAYERS);
        let mut huge = PredictorTrainingConfig::new(PredictorConfig::new(largest.clone()));
        huge.model.ensemble_size = Some(MAX_ENSEMBLE_SIZE);
        huge.validate().unwrap();
        // Hundreds of gigabytes if built eagerly: nothing is allocated until weights arrive.
        assert_eq!(allocated(&Predictor::init(&huge, &device)), 0);
        assert_eq!(allocated(&VsGaeConfig::new(largest).init(&device)), 0);
        // The count sees memory once a parameter is read.
        let small = tiny_config().model.init(&device);
        assert_eq!(allocated(&small), 0);
        let mut weights = StateDict::default();
        small.save(&mut weights, "");
        assert!(allocated(&small) > 0);

        let bytes = weights.to_safetensors().unwrap();
        // One network, so the names match and the first tensor's shape is what refuses them.
        huge.model.ensemble_size = None;
        let json = serde_json::to_vec(&huge).unwrap();
        let error = load_from_bytes::<Predictor>(&json, &bytes, "huge", &device).unwrap_err();
        assert!(error.to_string().starts_with("huge/weights.safetensors: "), "{error}");
        assert!(error.to_string().contains("shape"), "{error}");
    }
}
