//! How good a model is: regression [`metrics`] of a predictor, and the VS-GAE's [`abilities`].

pub mod abilities;
pub mod calibration;
pub mod metrics;
