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
