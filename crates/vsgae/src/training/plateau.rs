//! PyTorch's `ReduceLROnPlateau` (mode min, relative threshold 1e-4, no cooldown).

use serde::{Deserialize, Serialize};

/// Lowers the learning rate by `factor` once the watched loss has not improved for more than
/// `patience` epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    /// Multiplies the learning rate when the loss plateaus.
    pub factor: f64,
    /// Epochs without improvement before it does.
    pub patience: usize,
    /// The current learning rate.
    pub learning_rate: f64,
    best: Option<f64>,
    bad_epochs: usize,
}

const THRESHOLD: f64 = 1e-4;
const MIN_CHANGE: f64 = 1e-8;

impl ReduceLrOnPlateau {
    /// A plateau at `learning_rate` that has seen no epoch yet.
    pub fn new(learning_rate: f64, factor: f64, patience: usize) -> Self {
        Self { factor, patience, learning_rate, best: None, bad_epochs: 0 }
    }

    /// Records an epoch's loss and returns the learning rate for the next epoch.
    pub fn step(&mut self, loss: f64) -> f64 {
        match self.best {
            Some(best) if loss >= best * (1.0 - THRESHOLD) => self.bad_epochs += 1,
            _ => {
                self.best = Some(loss);
                self.bad_epochs = 0;
            }
        }
        if self.bad_epochs > self.patience {
            let lowered = self.learning_rate * self.factor;
            if self.learning_rate - lowered > MIN_CHANGE {
                self.learning_rate = lowered;
            }
            self.bad_epochs = 0;
        }
        self.learning_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_after_patience_epochs_without_improvement() {
        let mut plateau = ReduceLrOnPlateau::new(1e-4, 0.1, 2);
        assert_eq!(plateau.step(1.0), 1e-4);
        assert_eq!(plateau.step(0.99995), 1e-4, "less than the relative threshold is no improvement");
        assert_eq!(plateau.step(1.0), 1e-4);
        let lowered = plateau.step(1.0);
        assert!((lowered - 1e-5).abs() < 1e-18, "{lowered}");
        assert_eq!(plateau.step(0.5), lowered, "an improvement resets the count");
    }
}
