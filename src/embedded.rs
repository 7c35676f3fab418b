//! The shipped models (`data/predictor/`, `data/vsgae/`), built into the binary so the app is
//! useful the moment it opens, with no file to load.

use burn::tensor::Device;
use vsgae::io::model_files::{ModelFileError, load_from_bytes};
use vsgae::{Predictor, PredictorTrainingConfig, VsGae, VsGaeTrainingConfig};

pub const PREDICTOR_CONFIG: &[u8] = include_bytes!("../data/predictor/config.json");
pub const PREDICTOR_WEIGHTS: &[u8] = include_bytes!("../data/predictor/weights.safetensors");
pub const VSGAE_CONFIG: &[u8] = include_bytes!("../data/vsgae/config.json");
pub const VSGAE_WEIGHTS: &[u8] = include_bytes!("../data/vsgae/weights.safetensors");

/// The shipped predictor.
pub fn predictor(device: &Device) -> Result<(PredictorTrainingConfig, Predictor), ModelFileError> {
    load_from_bytes::<Predictor>(PREDICTOR_CONFIG, PREDICTOR_WEIGHTS, "data/predictor", device)
}

/// The shipped VS-GAE.
pub fn vsgae(device: &Device) -> Result<(VsGaeTrainingConfig, VsGae), ModelFileError> {
    load_from_bytes::<VsGae>(VSGAE_CONFIG, VSGAE_WEIGHTS, "data/vsgae", device)
}
