//! The trained models this repository ships in `data/`, built into whatever enables the
//! `shipped` feature: the desktop app and the Python package predict the moment they start,
//! with no file to find.
//!
//! The weights are left out on `wasm32`, where the web build fetches them beside the page; the
//! VS-GAE's prior (about 700 KB of JSON) is built in everywhere.

use burn::tensor::Device;

use crate::io::model_files::{ModelFileError, load_from_bytes};
use crate::latent::prior::{LatentPrior, PRIOR_FILE, PriorError};
use crate::{Predictor, PredictorTrainingConfig, VsGae, VsGaeTrainingConfig};

/// A shipped model folder's two files.
#[derive(Clone, Copy)]
pub struct ShippedFiles {
    /// Where the files come from in the repository (`data/…`), for errors.
    pub source: &'static str,
    /// `config.json`.
    pub config: &'static [u8],
    /// `weights.safetensors`.
    pub weights: &'static [u8],
}

impl std::fmt::Debug for ShippedFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippedFiles")
            .field("source", &self.source)
            .field("config_bytes", &self.config.len())
            .field("weights_bytes", &self.weights.len())
            .finish()
    }
}

/// The best predictor: an ensemble with calibrated intervals (`data/predictor`).
#[cfg(not(target_arch = "wasm32"))]
pub const PREDICTOR: ShippedFiles = ShippedFiles {
    source: "data/predictor",
    config: include_bytes!("../../../data/predictor/config.json"),
    weights: include_bytes!("../../../data/predictor/weights.safetensors"),
};

/// The paper's GNN predictor trained as the reference trains it (`data/predictor-reference`).
#[cfg(not(target_arch = "wasm32"))]
pub const REFERENCE_PREDICTOR: ShippedFiles = ShippedFiles {
    source: "data/predictor-reference",
    config: include_bytes!("../../../data/predictor-reference/config.json"),
    weights: include_bytes!("../../../data/predictor-reference/weights.safetensors"),
};

/// The VS-GAE (`data/vsgae`).
#[cfg(not(target_arch = "wasm32"))]
pub const VSGAE: ShippedFiles = ShippedFiles {
    source: "data/vsgae",
    config: include_bytes!("../../../data/vsgae/config.json"),
    weights: include_bytes!("../../../data/vsgae/weights.safetensors"),
};

/// The shipped VS-GAE's prior (`data/vsgae/prior.json`): a mixture fitted to its training
/// latents, for a latent space of `dim` dimensions.
pub fn vsgae_prior(dim: usize) -> Result<LatentPrior, PriorError> {
    LatentPrior::from_json(include_bytes!("../../../data/vsgae/prior.json"), dim, &format!("data/vsgae/{PRIOR_FILE}"))
}

impl ShippedFiles {
    /// The predictor these files hold, on `device`.
    pub fn predictor(&self, device: &Device) -> Result<(PredictorTrainingConfig, Predictor), ModelFileError> {
        load_from_bytes::<Predictor>(self.config, self.weights, self.source, device)
    }

    /// The VS-GAE these files hold, on `device`.
    pub fn vsgae(&self, device: &Device) -> Result<(VsGaeTrainingConfig, VsGae), ModelFileError> {
        load_from_bytes::<VsGae>(self.config, self.weights, self.source, device)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_models_load_and_the_prior_fits_the_vsgae() {
        let device = Device::flex();
        let (config, predictor) = PREDICTOR.predictor(&device).unwrap();
        assert!(predictor.intervals.is_some(), "the shipped predictor has calibrated intervals");
        assert_eq!(config.target, "val_acc_108");
        let (_, reference) = REFERENCE_PREDICTOR.predictor(&device).unwrap();
        assert!(reference.intervals.is_none());
        let (_, vsgae) = VSGAE.vsgae(&device).unwrap();
        assert!(vsgae_prior(vsgae.latent_dim()).is_ok());
        let error = vsgae_prior(vsgae.latent_dim() + 1).unwrap_err().to_string();
        assert!(error.starts_with("data/vsgae/prior.json: "), "{error}");
    }
}
