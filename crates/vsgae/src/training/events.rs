//! What a training run reports while it runs. The CLI and the GUI decide what to show.

use serde::Serialize;

use crate::evaluation::metrics::RegressionMetrics;

/// One thing that happened in a training run.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainingEvent {
    /// The run starts (or resumes) at `epoch` (1-based) of `epochs`.
    Started { epoch: usize, epochs: usize, steps_per_epoch: usize, training_cells: usize },
    /// One optimiser step.
    Step { epoch: usize, step: usize, loss: f64 },
    /// One finished epoch.
    Epoch(EpochRecord),
    /// A checkpoint was written.
    Checkpoint { epoch: usize, path: String },
    /// The run is done.
    Finished { epochs: usize },
}

/// The summary of one epoch; one line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub learning_rate: f64,
    pub validation: Option<RegressionMetrics>,
    pub test: Option<RegressionMetrics>,
    /// Loss parts for the VS-GAE (reconstruction, KL), on the validation cells.
    pub validation_loss: Option<f64>,
}

/// Receives training events.
pub trait EventSink {
    fn event(&mut self, event: TrainingEvent);
}

impl<F: FnMut(TrainingEvent)> EventSink for F {
    fn event(&mut self, event: TrainingEvent) {
        self(event)
    }
}
