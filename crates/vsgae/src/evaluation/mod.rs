//! How good a model is: regression [`metrics`] of a predictor, the VS-GAE's [`abilities`], and the
//! [`broken_rules`] of the graphs it decodes that are not cells.

pub mod abilities;
pub mod broken_rules;
pub mod calibration;
pub mod metrics;
