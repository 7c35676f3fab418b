//! Progress bars for training runs.

use indicatif::{ProgressBar, ProgressStyle};
use vsgae::training::TrainingEvent;

/// Shows training events as a progress bar over all steps, with rate and ETA.
pub struct TrainingProgress {
    bar: ProgressBar,
    steps_per_epoch: u64,
}

impl TrainingProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} steps {per_sec} ETA {eta} {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar, steps_per_epoch: 0 }
    }

    pub fn event(&mut self, event: &TrainingEvent) {
        match event {
            TrainingEvent::Started { epoch, epochs, steps_per_epoch, .. } => {
                self.steps_per_epoch = *steps_per_epoch as u64;
                self.bar.set_length((*epochs as u64) * self.steps_per_epoch);
                self.bar.set_position((*epoch as u64 - 1) * self.steps_per_epoch);
                self.bar.reset_eta();
            }
            TrainingEvent::Step { epoch, loss, .. } => {
                self.bar.set_prefix(epoch.to_string());
                self.bar.inc(1);
                self.bar.set_message(format!("loss {loss:.5}"));
            }
            TrainingEvent::Epoch(record) => {
                let validation = record
                    .validation
                    .map(|m| format!(" validation RMSE {:.5} τ {:.4}", m.rmse, m.kendall_tau))
                    .unwrap_or_default();
                self.bar.println(format!("epoch {}: train loss {:.6}{validation}", record.epoch, record.train_loss));
            }
            TrainingEvent::Checkpoint { .. } => {}
            TrainingEvent::Finished { .. } => self.bar.finish_and_clear(),
        }
    }
}

/// Keeps `metrics.jsonl` up to date while a run goes on: one line per epoch (an
/// [`vsgae::training::EpochRecord`]) and one per learning-curve evaluation (`{"evaluation": …}`).
pub struct MetricsLog {
    path: std::path::PathBuf,
    lines: Vec<serde_json::Value>,
    error: Option<vsgae::training::CheckpointError>,
}

impl MetricsLog {
    /// A log at `path` that starts with the epochs already done and, from an existing file, the
    /// evaluations of steps up to `step` (a resumed run repeats the steps after its checkpoint).
    pub fn new(path: std::path::PathBuf, history: &[vsgae::training::EpochRecord], step: usize) -> Self {
        let earlier = std::fs::read_to_string(&path).unwrap_or_default();
        let evaluations = earlier
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|line| line["evaluation"]["step"].as_u64().is_some_and(|s| s as usize <= step));
        let epochs = history.iter().filter_map(|record| serde_json::to_value(record).ok());
        Self { path, lines: epochs.chain(evaluations).collect(), error: None }
    }

    /// The last value of `key` among the evaluations so far.
    pub fn last_evaluation(&self, key: &str) -> Option<f64> {
        self.lines.iter().rev().find_map(|line| line["evaluation"][key].as_f64())
    }

    /// Records an epoch and rewrites the file (atomically); the first error is kept for [`Self::finish`].
    pub fn event(&mut self, event: &TrainingEvent) {
        if let TrainingEvent::Epoch(record) = event
            && let Ok(line) = serde_json::to_value(record)
        {
            self.push(line);
        }
    }

    /// Records a learning-curve evaluation.
    pub fn evaluation(&mut self, evaluation: serde_json::Value) {
        self.push(serde_json::json!({ "evaluation": evaluation }));
    }

    fn push(&mut self, line: serde_json::Value) {
        self.lines.push(line);
        let text: String = self.lines.iter().map(|l| l.to_string() + "\n").collect();
        if let Err(e) = vsgae::io::checkpoint::write_atomically(&self.path, text.as_bytes()) {
            self.error.get_or_insert(e);
        }
    }

    /// The first write error, if any.
    pub fn finish(self) -> anyhow::Result<()> {
        self.error.map_or(Ok(()), |e| Err(e.into()))
    }
}

/// Writes one JSON line per epoch, atomically.
pub fn write_metrics(
    path: &std::path::Path,
    history: &[vsgae::training::EpochRecord],
) -> Result<(), vsgae::training::CheckpointError> {
    let lines: String = history.iter().filter_map(|r| serde_json::to_string(r).ok()).map(|l| l + "\n").collect();
    vsgae::io::checkpoint::write_atomically(path, lines.as_bytes())
}
