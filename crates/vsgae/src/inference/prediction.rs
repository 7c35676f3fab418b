//! Predictions of many cells: in chunks, spread over the host's cores on Burn's CPU backend, or
//! on this thread with asynchronous readback (the form a browser needs); each with its spread
//! over an ensemble's members, through the model's calibration.

use burn::tensor::Device;
use nasbench::Cell;
use serde::{Deserialize, Serialize};

use crate::config::{Calibration, ConformalIntervals};
use crate::model::batch::GraphBatch;
use crate::model::predictor::Predictor;
use crate::readback::ReadbackError;

/// Cells per forward pass when predicting many: every caller uses the same chunks, so a cell's
/// prediction is bit for bit the same wherever it is made on one backend.
pub const PREDICT_CHUNK: usize = 1024;

/// A prediction with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The mean of the members' predictions (the one member's for a single network).
    pub mean: f64,
    /// The members' standard deviation (n − 1 in the denominator; 0 for a single network).
    pub spread: f64,
    /// Half-widths of the calibrated intervals around `mean`, by [`IntervalLevel`], where the
    /// predictor has conformal intervals.
    #[serde(default)]
    pub half_widths: Option<[f64; 3]>,
}

/// The levels of the calibrated intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalLevel {
    /// Holds the truth for half of the cells.
    P50,
    /// For 80 % of them.
    P80,
    /// For 95 % of them.
    P95,
}

impl IntervalLevel {
    /// Every level, narrowest first.
    pub const ALL: [Self; 3] = [Self::P50, Self::P80, Self::P95];

    /// The share of cells whose truth the interval holds.
    pub fn share(self) -> f64 {
        match self {
            Self::P50 => 0.5,
            Self::P80 => 0.8,
            Self::P95 => 0.95,
        }
    }

    /// The level's scale in `intervals`.
    pub fn scale(self, intervals: &ConformalIntervals) -> f64 {
        match self {
            Self::P50 => intervals.scale_50,
            Self::P80 => intervals.scale_80,
            Self::P95 => intervals.scale_95,
        }
    }
}

impl Prediction {
    /// The mean and spread of the members' predictions of one cell.
    pub fn of_members(values: &[f32]) -> Self {
        let n = values.len();
        if n == 1 {
            return Self { mean: f64::from(values[0]), spread: 0.0, half_widths: None };
        }
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let squares = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>();
        Self { mean, spread: (squares / (n.max(2) - 1) as f64).sqrt(), half_widths: None }
    }

    /// The prediction through `calibration`, where there is one.
    pub fn calibrated(self, calibration: Option<Calibration>) -> Self {
        match calibration {
            Some(Calibration { scale, offset }) => {
                Self { mean: offset + scale * self.mean, spread: scale.abs() * self.spread, ..self }
            }
            None => self,
        }
    }

    /// The prediction with its intervals, where there are `intervals` (taken around the
    /// calibrated mean and spread).
    pub fn with_intervals(self, intervals: Option<ConformalIntervals>) -> Self {
        let half_widths = intervals.map(|i| IntervalLevel::ALL.map(|level| level.scale(&i) * (self.spread + i.floor)));
        Self { half_widths, ..self }
    }

    /// The calibrated interval `[low, high]` at `level`, where the predictor has intervals.
    pub fn interval(&self, level: IntervalLevel) -> Option<[f64; 2]> {
        let half = self.half_widths?[level as usize];
        Some([self.mean - half, self.mean + half])
    }
}

/// Predictions for many cells, in chunks of [`PREDICT_CHUNK`]; on Burn's CPU backend the chunks
/// are spread over every core.
pub fn predict(model: &Predictor, cells: &[Cell], device: &Device) -> Result<Vec<f64>, ReadbackError> {
    Ok(predict_with_spread(model, cells, device)?.into_iter().map(|p| p.mean).collect())
}

/// [`predict`] with each prediction's spread over the ensemble's members.
pub fn predict_with_spread(
    model: &Predictor,
    cells: &[Cell],
    device: &Device,
) -> Result<Vec<Prediction>, ReadbackError> {
    let chunks: Vec<&[Cell]> = cells.chunks(PREDICT_CHUNK).collect();
    let threads = crate::parallel::host_threads(device).min(chunks.len()).max(1);
    if threads == 1 {
        return crate::readback::block_on(predict_with_spread_async(model, cells, device));
    }
    let per_thread = chunks.len().div_ceil(threads);
    let jobs: Vec<_> = chunks.chunks(per_thread).map(|group| (model.clone(), group)).collect();
    let parts = crate::parallel::on_threads(
        jobs,
        |(model, group)| -> Result<Vec<Prediction>, ReadbackError> {
            let mut out = Vec::new();
            for part in group {
                out.extend(crate::readback::block_on(predict_with_spread_async(&model, part, device))?);
            }
            Ok(out)
        },
        |panic| ReadbackError(format!("a prediction thread panicked: {panic}")),
    );
    let mut out = Vec::with_capacity(cells.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// [`predict`] on this thread with asynchronous readback (the form a browser needs).
pub async fn predict_async(model: &Predictor, cells: &[Cell], device: &Device) -> Result<Vec<f64>, ReadbackError> {
    Ok(predict_with_spread_async(model, cells, device).await?.into_iter().map(|p| p.mean).collect())
}

/// [`predict_with_spread`] on this thread with asynchronous readback.
pub async fn predict_with_spread_async(
    model: &Predictor,
    cells: &[Cell],
    device: &Device,
) -> Result<Vec<Prediction>, ReadbackError> {
    let members = model.members.len().max(1);
    let mut out = Vec::with_capacity(cells.len());
    for part in cells.chunks(PREDICT_CHUNK) {
        let refs: Vec<&Cell> = part.iter().collect();
        let batch = GraphBatch::new(&refs, device);
        let values = crate::readback::floats_async(model.predict_members(&batch)).await?;
        if values.len() != part.len() * members {
            return Err(ReadbackError(format!(
                "{} values came back for {} cells of {members} members",
                values.len(),
                part.len()
            )));
        }
        out.extend(values.chunks(members).map(|values| {
            Prediction::of_members(values).calibrated(model.calibration).with_intervals(model.intervals)
        }));
    }
    Ok(out)
}
