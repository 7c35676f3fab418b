//! A progress bar over a training run's optimiser steps, drawn on standard error where it is a
//! terminal (indicatif hides it elsewhere, as in a notebook or a log file).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vsgae::training::TrainingEvent;

/// The bar of one run.
#[derive(Debug)]
pub struct TrainingProgress {
    bar: ProgressBar,
}

impl TrainingProgress {
    /// A bar, or a hidden one where `shown` is false.
    pub fn new(shown: bool) -> Self {
        let target = if shown { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} steps, {eta} left") {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar }
    }

    /// Moves the bar on by one event of the run.
    pub fn event(&mut self, event: &TrainingEvent) {
        match event {
            TrainingEvent::Started { epoch, epochs, steps_per_epoch, .. } => {
                self.bar.set_length((epochs * steps_per_epoch) as u64);
                self.bar.set_position((epoch * steps_per_epoch) as u64);
                self.bar.set_message(format!("epoch {}/{epochs}", epoch + 1));
            }
            TrainingEvent::Step { .. } => self.bar.inc(1),
            TrainingEvent::Epoch(record) => {
                let tau = record.validation.as_ref().map(|m| format!(", validation τ {:.3}", m.kendall_tau));
                self.bar.set_message(format!("epoch {} done{}", record.epoch + 1, tau.unwrap_or_default()));
            }
            TrainingEvent::Checkpoint { .. } | TrainingEvent::Finished { .. } => {}
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
