//! The VS-GAE paper's models in Burn (Friede et al., arXiv 1912.05317).
//!
//! For now this crate holds the configuration types; the encoder, predictor, VS-GAE, training
//! loops and the `vsgae` CLI follow. Defaults match the reference's `gnn_config.json`.

pub mod config;

pub use config::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};
