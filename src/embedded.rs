//! The shipped models (`data/predictor/`, `data/predictor-reference/`, `data/vsgae/`), built into
//! the binary so the app is useful the moment it opens, with no file to load.

use burn::tensor::Device;
use vsgae::io::model_files::{ModelFileError, load_from_bytes};
use vsgae::{Predictor, PredictorTrainingConfig, VsGae, VsGaeTrainingConfig};

pub const PREDICTOR_CONFIG: &[u8] = include_bytes!("../data/predictor/config.json");
pub const PREDICTOR_WEIGHTS: &[u8] = include_bytes!("../data/predictor/weights.safetensors");
// The web build leaves the reference predictor out, to keep its download small.
#[cfg(not(target_arch = "wasm32"))]
pub const REFERENCE_PREDICTOR_CONFIG: &[u8] = include_bytes!("../data/predictor-reference/config.json");
#[cfg(not(target_arch = "wasm32"))]
pub const REFERENCE_PREDICTOR_WEIGHTS: &[u8] = include_bytes!("../data/predictor-reference/weights.safetensors");
pub const VSGAE_CONFIG: &[u8] = include_bytes!("../data/vsgae/config.json");
pub const VSGAE_WEIGHTS: &[u8] = include_bytes!("../data/vsgae/weights.safetensors");

/// The built-in predictors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BuiltInPredictor {
    /// The best predictor (the app's default).
    #[default]
    Shipped,
    /// The paper's GNN predictor trained as the reference trains it, for comparison.
    Reference,
}

impl BuiltInPredictor {
    /// The built-in predictors of this build (the web build has only the shipped one).
    pub const ALL: &[Self] =
        if cfg!(target_arch = "wasm32") { &[Self::Shipped] } else { &[Self::Shipped, Self::Reference] };

    /// What a user reads in the predictor menu.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shipped => "built-in (best)",
            Self::Reference => "built-in reference (the paper's GNN)",
        }
    }

    /// Loads it onto `device`.
    pub fn load(self, device: &Device) -> Result<(PredictorTrainingConfig, Predictor), ModelFileError> {
        match self {
            Self::Shipped => {
                load_from_bytes::<Predictor>(PREDICTOR_CONFIG, PREDICTOR_WEIGHTS, "data/predictor", device)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Self::Reference => load_from_bytes::<Predictor>(
                REFERENCE_PREDICTOR_CONFIG,
                REFERENCE_PREDICTOR_WEIGHTS,
                "data/predictor-reference",
                device,
            ),
            #[cfg(target_arch = "wasm32")]
            Self::Reference => Err(ModelFileError::Read {
                file: "data/predictor-reference".to_owned(),
                message: "the web build does not include the reference predictor; run the app natively".to_owned(),
            }),
        }
    }
}

/// The shipped predictor.
pub fn predictor(device: &Device) -> Result<(PredictorTrainingConfig, Predictor), ModelFileError> {
    BuiltInPredictor::Shipped.load(device)
}

/// The shipped VS-GAE.
pub fn vsgae(device: &Device) -> Result<(VsGaeTrainingConfig, VsGae), ModelFileError> {
    load_from_bytes::<VsGae>(VSGAE_CONFIG, VSGAE_WEIGHTS, "data/vsgae", device)
}
