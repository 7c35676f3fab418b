//! What the app remembers between runs (eframe storage): the open panel and each panel's form.
//! Runtime state (datasets, results, curves) lives in [`crate::Shared`] and the panels.

use serde::{Deserialize, Serialize};

use nasbench::CellDraft;

use crate::panels::{latent::LatentSettings, predict::PredictSettings, train::TrainForm};

/// The panels, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tab {
    Data,
    Train,
    #[default]
    Cell,
    Latent,
    Predict,
}

impl Tab {
    pub const ALL: [Self; 5] = [Self::Data, Self::Train, Self::Cell, Self::Latent, Self::Predict];

    pub fn title(self) -> &'static str {
        match self {
            Self::Data => "Data",
            Self::Train => "Train",
            Self::Cell => "Cell",
            Self::Latent => "Latent",
            Self::Predict => "Predict",
        }
    }
}

/// Everything persisted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub tab: Tab,
    pub train: TrainForm,
    pub cell: CellDraft,
    pub latent: LatentSettings,
    pub predict: PredictSettings,
}
