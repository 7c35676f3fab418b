//! The configs' own defaults, which the command line's options show and fall back to, so each
//! default is declared once, in `vsgae::config`.

use vsgae::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};

/// The reference's encoder sizes.
pub fn encoder() -> EncoderConfig {
    EncoderConfig::new()
}

/// The reference's predictor training.
pub fn predictor() -> PredictorTrainingConfig {
    PredictorTrainingConfig::new(PredictorConfig::new(encoder()))
}

/// The reference's VS-GAE training.
pub fn vsgae() -> VsGaeTrainingConfig {
    VsGaeTrainingConfig::new(VsGaeConfig::new(encoder()))
}
