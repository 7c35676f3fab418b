//! One file per panel, each behind the one [`Panel`] trait. A panel keeps its runtime state in
//! its own struct and its persisted form in [`Settings`]; it reaches the engine only through
//! typed [`crate::compute::Command`]s and hears back through [`Event`]s.

pub mod cell;
pub mod data;
pub mod latent;
pub mod predict;
pub mod search;
pub mod train;

use nasbench::CellDraft;
use serde::{Deserialize, Serialize};

use crate::compute::{ComputeHandle, Event};
use crate::shared::Shared;
use latent::LatentSettings;
use predict::PredictSettings;
use search::SearchSettings;
use train::TrainForm;

/// The panels, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tab {
    Data,
    Train,
    #[default]
    Cell,
    Latent,
    Predict,
    Search,
}

impl Tab {
    pub const ALL: [Self; 6] = [Self::Data, Self::Train, Self::Cell, Self::Latent, Self::Predict, Self::Search];

    pub fn title(self) -> &'static str {
        match self {
            Self::Data => "Data",
            Self::Train => "Train",
            Self::Cell => "Cell",
            Self::Latent => "Latent",
            Self::Predict => "Predict",
            Self::Search => "Search",
        }
    }
}

/// A panel by its title, in any case ("latent" → [`Tab::Latent`]).
impl std::str::FromStr for Tab {
    type Err = crate::error::AppError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|tab| tab.title().eq_ignore_ascii_case(name))
            .ok_or_else(|| crate::error::AppError::UnknownPanel(name.to_owned()))
    }
}

/// Everything the app remembers between runs (eframe storage): the open panel and each panel's
/// form. Runtime state (datasets, results, curves) lives in [`Shared`] and the panels.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub tab: Tab,
    pub train: TrainForm,
    pub cell: CellDraft,
    pub latent: LatentSettings,
    pub predict: PredictSettings,
    pub search: SearchSettings,
}

/// What a panel may use besides its own state.
#[derive(Debug)]
pub struct PanelContext<'a> {
    /// The persisted forms of every panel.
    pub settings: &'a mut Settings,
    /// What several panels read: the engine's status, the dataset, the prediction cache.
    pub shared: &'a mut Shared,
    pub compute: &'a ComputeHandle,
    pub egui: &'a egui::Context,
}

/// A panel of the app.
pub trait Panel {
    /// Draws the panel.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>);

    /// Takes one of the engine's events; a panel ignores the ones that are not its.
    fn on_event(&mut self, event: &Event, ctx: &mut PanelContext<'_>) {
        let _ = (event, ctx);
    }
}

/// The six panels, in tab order.
#[derive(Debug, Default)]
pub struct Panels {
    pub data: data::DataPanel,
    pub train: train::TrainPanel,
    pub cell: cell::CellPanel,
    pub latent: latent::LatentPanel,
    pub predict: predict::PredictPanel,
    pub search: search::SearchPanel,
}

impl Panels {
    /// Every panel.
    pub fn all(&mut self) -> [&mut dyn Panel; 6] {
        [&mut self.data, &mut self.train, &mut self.cell, &mut self.latent, &mut self.predict, &mut self.search]
    }

    /// The panel under `tab`.
    pub fn get(&mut self, tab: Tab) -> &mut dyn Panel {
        match tab {
            Tab::Data => &mut self.data,
            Tab::Train => &mut self.train,
            Tab::Cell => &mut self.cell,
            Tab::Latent => &mut self.latent,
            Tab::Predict => &mut self.predict,
            Tab::Search => &mut self.search,
        }
    }
}

/// A fraction as a percentage with two decimals.
pub fn percent(value: f64) -> String {
    format!("{:.2} %", value * 100.0)
}

/// A prediction in percent with its uncertainty: the calibrated 95 % interval where the
/// predictor has intervals, else the spread over an ensemble's members where it has one.
pub fn with_uncertainty(prediction: vsgae::inference::Prediction) -> String {
    match prediction.interval(vsgae::inference::IntervalLevel::P95) {
        Some([low, high]) => {
            format!("{} (95 %: {:.2}–{:.2})", percent(prediction.mean), low * 100.0, high * 100.0)
        }
        None if prediction.spread > 0.0 => {
            format!("{} ± {:.2}", percent(prediction.mean), prediction.spread * 100.0)
        }
        None => percent(prediction.mean),
    }
}

/// Where a cell stands in the search space, from the share of cells predicted below it.
pub fn space_rank_words(below: f64) -> String {
    let top = (1.0 - below) * 100.0;
    if top < 0.01 {
        "predicted above every other cell of the search space".to_owned()
    } else {
        format!("in the top {top:.2} % of the search space by predicted accuracy")
    }
}
