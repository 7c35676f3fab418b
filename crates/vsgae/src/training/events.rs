//! What a training run reports while it runs. The CLI and the GUI decide what to show.

use serde::Serialize;

use crate::evaluation::metrics::RegressionMetrics;

/// One thing that happened in a training run.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainingEvent {
    /// The run starts (or resumes) at `epoch` (1-based) of `epochs`.
    /// An epoch begins.
    Started {
        /// The epoch, from 0.
        epoch: usize,
        /// Epochs planned.
        epochs: usize,
        /// Optimiser steps per epoch.
        steps_per_epoch: usize,
        /// Cells trained on.
        training_cells: usize,
    },
    /// One optimiser step.
    /// An optimiser step's loss.
    Step {
        /// The epoch.
        epoch: usize,
        /// The step within it.
        step: usize,
        /// The batch's mean loss.
        loss: f64,
    },
    /// One finished epoch.
    Epoch(EpochRecord),
    /// A checkpoint was written.
    /// A checkpoint was written.
    Checkpoint {
        /// Epochs done.
        epoch: usize,
        /// Where.
        path: String,
    },
    /// The run is done.
    /// The run is done.
    Finished {
        /// Epochs trained.
        epochs: usize,
    },
}

/// The summary of one epoch; one line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// The epoch, from 0.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// The learning rate at the epoch's end.
    pub learning_rate: f64,
    /// Metrics on the validation part, where measured.
    pub validation: Option<RegressionMetrics>,
    /// Metrics on the test part, where measured.
    pub test: Option<RegressionMetrics>,
    /// The VS-GAE's loss (reconstruction and KL) on its held-out part, the 10 % of its 90/10
    /// split (which has no validation part); read as `validation_loss` from older runs.
    #[serde(alias = "validation_loss")]
    pub held_out_loss: Option<f64>,
}

/// Receives training events.
pub trait EventSink {
    /// Takes one event.
    fn event(&mut self, event: TrainingEvent);
}

impl<F: FnMut(TrainingEvent)> EventSink for F {
    fn event(&mut self, event: TrainingEvent) {
        self(event)
    }
}

#[cfg(test)]
mod tests {
    use super::EpochRecord;

    #[test]
    fn older_runs_held_out_loss_is_read_from_its_old_name() {
        let old = r#"{"epoch":2,"train_loss":1.5,"learning_rate":0.001,"validation":null,"test":null,"validation_loss":1.75}"#;
        let record: EpochRecord = serde_json::from_str(old).unwrap();
        assert_eq!(record.held_out_loss, Some(1.75));
        let written = serde_json::to_string(&record).unwrap();
        assert!(written.contains(r#""held_out_loss":1.75"#), "{written}");
    }
}
