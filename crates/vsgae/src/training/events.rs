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
    /// The VS-GAE's loss (reconstruction and KL) on its held-out part, the 10 % of its 90/10
    /// split (which has no validation part); read as `validation_loss` from older runs.
    #[serde(alias = "validation_loss")]
    pub held_out_loss: Option<f64>,
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
