//! Runtime state that several panels read: the engine's status, the current dataset, the
//! prediction cache and requests to open a cell.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use nasbench::{Cell, MetricKey};
use vsgae::inference::Prediction;

use crate::compute::{Awaited, Command, ComputeHandle, DatasetInfo, PredictionRequest};

/// A long job's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub job: String,
    pub done: usize,
    pub total: usize,
    /// Whether `done` and `total` count bytes.
    pub bytes: bool,
}

#[derive(Debug, Default)]
pub struct Shared {
    /// What inference runs on; `None` until the engine is ready.
    pub backend: Option<String>,
    /// The embedded models, or why they did not load.
    pub models: Option<Result<String, crate::compute::ModelsUnavailable>>,
    pub dataset: Option<Arc<DatasetInfo>>,
    /// The last file that failed to load, with why.
    pub load_error: Option<String>,
    predictions: HashMap<Cell, Prediction>,
    /// Every cell of the search space's predicted accuracy, ascending, once the space was
    /// ranked with the current predictor.
    pub space_predictions: Option<Arc<Vec<f64>>>,
    pending: HashSet<Cell>,
    pub progress: Option<Progress>,
    /// The latest notices, newest last.
    pub notices: Vec<Notice>,
    /// Why the engine stopped, if it did.
    pub engine_stopped: Option<String>,
    /// A cell another panel asked the cell panel to open.
    pub open_cell: Option<Cell>,
    /// Cells picked in the data table as the two ends of an interpolation.
    pub picked: [Option<Cell>; 2],
    /// Where the main controls are on screen (kept only for the test probes).
    pub anchors: crate::anchors::Anchors,
    next_request: u64,
}

impl Shared {
    /// The predicted accuracy of `cell`, asking the engine for it the first time (before the
    /// engine is ready too: it answers as soon as its predictor is loaded).
    pub fn prediction(&mut self, cell: &Cell, compute: &ComputeHandle) -> Option<Prediction> {
        if let Some(value) = self.predictions.get(cell) {
            return Some(*value);
        }
        if self.pending.insert(*cell) {
            compute.send(Command::Predict { request: PredictionRequest::Cache, cells: vec![*cell] });
        }
        None
    }

    /// The predicted accuracy of `cell`, if it has arrived.
    pub fn cached_prediction(&self, cell: &Cell) -> Option<Prediction> {
        self.predictions.get(cell).copied()
    }

    /// The share of the search space predicted below `accuracy` (0 to 1), once the space was
    /// ranked with the current predictor.
    pub fn space_percentile(&self, accuracy: f64) -> Option<f64> {
        let ascending = self.space_predictions.as_ref().filter(|a| !a.is_empty())?;
        Some(ascending.partition_point(|&v| v < accuracy) as f64 / ascending.len() as f64)
    }

    /// Remembers predictions the engine sent back.
    pub fn store_predictions(&mut self, cells: &[Cell], values: &[Prediction]) {
        for (cell, value) in cells.iter().zip(values) {
            self.pending.remove(cell);
            self.predictions.insert(*cell, *value);
        }
    }

    /// Forgets every prediction (the predictor changed).
    pub fn clear_predictions(&mut self) {
        self.predictions.clear();
        self.space_predictions = None;
        self.pending.clear();
    }

    /// The measured validation accuracy at 108 epochs, where the current dataset has the cell.
    pub fn true_accuracy(&self, cell: &Cell) -> Option<f64> {
        self.dataset.as_ref()?.dataset.get(&cell.hash())?.mean(MetricKey::VAL_ACC_108)
    }

    /// A fresh request for one of a panel's prediction tables.
    pub fn next_request(&mut self) -> PredictionRequest {
        self.next_request += 1;
        PredictionRequest::Table(self.next_request)
    }

    /// Remembers where a control was drawn this frame (for the test probes; nothing without
    /// the `probe` feature).
    pub fn anchor(&mut self, name: &'static str, response: &egui::Response) {
        self.anchors.record(name, response.rect);
    }

    /// A notice that stands until newer ones push it out.
    pub fn notice(&mut self, message: String) {
        self.notice_until(message, None);
    }

    /// A notice about something missing, dropped when it arrives ([`Shared::arrived`]).
    pub fn notice_until(&mut self, message: String, until: Option<Awaited>) {
        self.notices.push(Notice { message, until });
        let excess = self.notices.len().saturating_sub(5);
        self.notices.drain(..excess);
    }

    /// `what` is there now: the notices that said it was missing go.
    pub fn arrived(&mut self, what: Awaited) {
        self.notices.retain(|notice| notice.until != Some(what));
    }
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub message: String,
    /// Where the message says something is missing: what, so that it goes when that arrives.
    pub until: Option<Awaited>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_about_something_missing_goes_when_it_arrives() {
        let mut shared = Shared::default();
        shared.notice_until("load a dataset first: the map shows its cells".to_owned(), Some(Awaited::Dataset));
        shared.notice_until("no training run to checkpoint".to_owned(), Some(Awaited::TrainingRun));
        shared.notice("checkpoint written".to_owned());
        shared.arrived(Awaited::Dataset);
        let left: Vec<&str> = shared.notices.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(left, ["no training run to checkpoint", "checkpoint written"]);
    }

    #[test]
    fn a_cells_place_in_the_space_comes_from_the_ranked_predictions() {
        let mut shared = Shared::default();
        assert_eq!(shared.space_percentile(0.9), None, "no ranking yet");
        shared.space_predictions = Some(Arc::new(vec![0.1, 0.5, 0.8, 0.9]));
        assert_eq!(shared.space_percentile(0.85), Some(0.75));
        assert_eq!(shared.space_percentile(0.05), Some(0.0));
        assert_eq!(shared.space_percentile(0.95), Some(1.0));
        assert_eq!(
            crate::panels::space_rank_words(0.75),
            "in the top 25.00 % of the search space by predicted accuracy"
        );
        shared.clear_predictions();
        assert_eq!(shared.space_percentile(0.9), None, "a new predictor needs a new ranking");
    }
}
