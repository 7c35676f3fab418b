//! Names for the measurements a dataset may hold.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Quantity {
    /// Training time in seconds up to the evaluation.
    TrainingTime,
    /// Accuracy on the training set.
    TrainAccuracy,
    /// Accuracy on the validation set.
    ValidationAccuracy,
    /// Accuracy on the test set.
    TestAccuracy,
}

impl Quantity {
    fn prefix(self) -> &'static str {
        match self {
            Self::TrainAccuracy => "train_acc",
            Self::ValidationAccuracy => "val_acc",
            Self::TestAccuracy => "test_acc",
            Self::TrainingTime => "training_time",
        }
    }

    const ALL: [Self; 4] = [Self::TrainingTime, Self::TrainAccuracy, Self::ValidationAccuracy, Self::TestAccuracy];

    /// The quantity in words.
    pub fn words(self) -> &'static str {
        match self {
            Self::TrainAccuracy => "training accuracy",
            Self::ValidationAccuracy => "validation accuracy",
            Self::TestAccuracy => "test accuracy",
            Self::TrainingTime => "training time",
        }
    }
}

/// One measurement of a cell: a quantity, the training budget in epochs, and the epoch at which
/// it was evaluated (the budget itself for the final evaluation).
///
/// Written `val_acc_108` for the final evaluation and `val_acc_108@54` for an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    /// What is measured.
    pub quantity: Quantity,
    /// The training budget in epochs (4, 12, 36 or 108).
    pub budget: u16,
    /// The epoch at which it was evaluated (the budget itself for the final evaluation).
    pub epoch: u16,
}

impl MetricKey {
    /// The final evaluation of a training run with `budget` epochs.
    pub const fn final_at(quantity: Quantity, budget: u16) -> Self {
        Self { quantity, budget, epoch: budget }
    }

    /// Validation accuracy after the full 108 epochs: the usual prediction target.
    pub const VAL_ACC_108: Self = Self::final_at(Quantity::ValidationAccuracy, 108);
    /// Test accuracy after the full 108 epochs.
    pub const TEST_ACC_108: Self = Self::final_at(Quantity::TestAccuracy, 108);

    /// The metric in words, e.g. "validation accuracy after 108 epochs" or "training accuracy
    /// at epoch 18 of 36".
    pub fn describe(self) -> String {
        if self.epoch == self.budget {
            format!("{} after {} epochs", self.quantity.words(), self.budget)
        } else {
            format!("{} at epoch {} of {}", self.quantity.words(), self.epoch, self.budget)
        }
    }
}

/// Text that is not a metric name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a metric name (expected e.g. val_acc_108 or train_acc_36@18)")]
pub struct BadMetricName(pub String);

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.quantity.prefix(), self.budget)?;
        if self.epoch != self.budget {
            write!(f, "@{}", self.epoch)?;
        }
        Ok(())
    }
}

impl FromStr for MetricKey {
    type Err = BadMetricName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadMetricName(s.to_owned());
        // nb101_val_20k.csv calls the final training time `final_training_time_108`.
        let text = s.trim().strip_prefix("final_").unwrap_or(s.trim());
        let (name, epoch) = match text.split_once('@') {
            Some((name, epoch)) => (name, Some(epoch.parse::<u16>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let (prefix, budget) = name.rsplit_once('_').ok_or_else(bad)?;
        let budget: u16 = budget.parse().map_err(|_| bad())?;
        let quantity = Quantity::ALL.into_iter().find(|q| q.prefix() == prefix).ok_or_else(bad)?;
        Ok(Self { quantity, budget, epoch: epoch.unwrap_or(budget) })
    }
}

impl Serialize for MetricKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MetricKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn metrics_read_in_words() {
        assert_eq!(MetricKey::VAL_ACC_108.describe(), "validation accuracy after 108 epochs");
        let early: MetricKey = "train_acc_36@18".parse().expect("a metric");
        assert_eq!(early.describe(), "training accuracy at epoch 18 of 36");
    }
    use super::*;

    #[test]
    fn names_round_trip() {
        for text in ["val_acc_108", "test_acc_12", "train_acc_36@18", "training_time_4@0"] {
            assert_eq!(text.parse::<MetricKey>().unwrap().to_string(), text);
        }
        assert_eq!(
            "final_training_time_108".parse::<MetricKey>().unwrap(),
            MetricKey::final_at(Quantity::TrainingTime, 108)
        );
        for bad in ["val_acc", "acc_108", "val_acc_x", "val_acc_108@", "trainable_parameters"] {
            assert!(bad.parse::<MetricKey>().is_err(), "{bad}");
        }
    }
}
