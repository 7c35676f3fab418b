//! The shipped models (`data/predictor/`, `data/predictor-reference/`, `data/vsgae/`).
//!
//! Natively they are built into the binary, so the app is useful the moment it opens with no file
//! to load. The web build leaves them out of its wasm: `web/build.sh` writes them beside the page
//! (`models/`, in half precision) and [`crate::model_download`] fetches each one the first time it
//! is needed, with progress, and keeps it in the browser's cache.

use std::borrow::Cow;

use burn::tensor::Device;
use vsgae::io::model_files::{ModelFileError, ModelFiles, load_from_bytes};
use vsgae::{Predictor, PredictorTrainingConfig, VsGae, VsGaeTrainingConfig};

/// The shipped models, by the folder they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShippedModel {
    Predictor,
    ReferencePredictor,
    VsGae,
}

impl ShippedModel {
    /// The folder's name, under `data/` in the repository and under `models/` beside the web page.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Predictor => "predictor",
            Self::ReferencePredictor => "predictor-reference",
            Self::VsGae => "vsgae",
        }
    }

    /// Where a user reads the model came from, in errors.
    pub fn source(self) -> String {
        if cfg!(target_arch = "wasm32") {
            format!("models/{}", self.folder())
        } else {
            format!("data/{}", self.folder())
        }
    }

    /// Its `config.json` and `weights.safetensors`.
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn bytes(self, _progress: impl Fn(usize, usize)) -> Result<ModelBytes, ModelFileError> {
        let files = match self {
            Self::Predictor => vsgae::shipped::PREDICTOR,
            Self::ReferencePredictor => vsgae::shipped::REFERENCE_PREDICTOR,
            Self::VsGae => vsgae::shipped::VSGAE,
        };
        Ok(ModelBytes { config: Cow::Borrowed(files.config), weights: Cow::Borrowed(files.weights) })
    }

    /// Its `config.json` and `weights.safetensors`, fetched beside the page; `progress(done,
    /// total)` hears of the bytes as they arrive.
    #[cfg(target_arch = "wasm32")]
    pub async fn bytes(self, progress: impl Fn(usize, usize) + 'static) -> Result<ModelBytes, ModelFileError> {
        let (config, weights) = crate::model_download::fetch(self.folder(), progress)
            .await
            .map_err(|error| ModelFileError::Read { file: self.source(), message: error.to_string() })?;
        Ok(ModelBytes { config: Cow::Owned(config), weights: Cow::Owned(weights) })
    }
}

/// A model folder's two files.
pub struct ModelBytes {
    pub config: Cow<'static, [u8]>,
    pub weights: Cow<'static, [u8]>,
}

impl std::fmt::Debug for ModelBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelBytes")
            .field("config_bytes", &self.config.len())
            .field("weights_bytes", &self.weights.len())
            .finish()
    }
}

impl ModelBytes {
    /// The VS-GAE these bytes describe, on `device`.
    pub fn vsgae(&self, device: &Device) -> Result<(VsGaeTrainingConfig, VsGae), ModelFileError> {
        load_from_bytes::<VsGae>(&self.config, &self.weights, &ShippedModel::VsGae.source(), device)
    }
}

/// The built-in predictors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BuiltInPredictor {
    /// The best predictor (the app's default).
    #[default]
    Shipped,
    /// The paper's GNN predictor trained as the reference trains it, for comparison.
    Reference,
}

impl BuiltInPredictor {
    /// The built-in predictors of this build (the web build offers only the shipped one, to keep
    /// its downloads small).
    pub const ALL: &[Self] =
        if cfg!(target_arch = "wasm32") { &[Self::Shipped] } else { &[Self::Shipped, Self::Reference] };

    /// What a user reads in the predictor menu.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shipped => "built-in (best)",
            Self::Reference => "built-in reference (the paper's GNN)",
        }
    }

    /// The folder it comes from.
    pub fn model(self) -> ShippedModel {
        match self {
            Self::Shipped => ShippedModel::Predictor,
            Self::Reference => ShippedModel::ReferencePredictor,
        }
    }

    /// Loads it onto `device`.
    pub async fn load(
        self,
        device: &Device,
        progress: impl Fn(usize, usize) + 'static,
    ) -> Result<(PredictorTrainingConfig, Predictor), ModelFileError> {
        self.read(progress).await?.build(device)
    }

    /// Fetches (on the web) and parses its files, which needs no device.
    pub async fn read(
        self,
        progress: impl Fn(usize, usize) + 'static,
    ) -> Result<ModelFiles<Predictor>, ModelFileError> {
        if cfg!(target_arch = "wasm32") && self == Self::Reference {
            return Err(ModelFileError::Read {
                file: self.model().source(),
                message: "the web build does not offer the reference predictor; run the app natively".to_owned(),
            });
        }
        let started = web_time::Instant::now();
        let bytes = self.model().bytes(progress).await?;
        let fetched = started.elapsed();
        let files = ModelFiles::read(&bytes.config, &bytes.weights, &self.model().source())?;
        log::info!(
            "{}: fetched in {:.0} ms, parsed in {:.0} ms",
            self.model().source(),
            fetched.as_secs_f64() * 1e3,
            (started.elapsed() - fetched).as_secs_f64() * 1e3
        );
        Ok(files)
    }
}

/// The shipped VS-GAE.
pub async fn vsgae(
    device: &Device,
    progress: impl Fn(usize, usize) + 'static,
) -> Result<(VsGaeTrainingConfig, VsGae), ModelFileError> {
    ShippedModel::VsGae.bytes(progress).await?.vsgae(device)
}
