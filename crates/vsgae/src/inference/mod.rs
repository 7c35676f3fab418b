//! Using trained models: predictions of many cells with their uncertainty, and ranking many
//! cells with an ensemble at about the price of one network.

pub mod prediction;
pub mod screening;

pub use prediction::{
    IntervalLevel, PREDICT_CHUNK, Prediction, predict, predict_async, predict_with_spread, predict_with_spread_async,
};
pub use screening::{Phase, Screening};
