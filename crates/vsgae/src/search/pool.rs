//! The labelled pool a search queries: cells with their accuracy, revealed one query at a time.

use nasbench::distance::{PaddedCell, padded_distance};
use nasbench::{Cell, Dataset, MetricKey};

use super::SearchError;

/// Cells whose accuracy is known but hidden from the search until it queries them.
#[derive(Debug, Clone)]
pub struct Pool {
    cells: Vec<Cell>,
    padded: Vec<PaddedCell>,
    accuracy: Vec<f64>,
    /// Indices from the best cell down.
    ranked: Vec<usize>,
}

impl Pool {
    /// The cells of `dataset` that have `key`, with their mean value of it; an error where fewer
    /// than two cells have it.
    pub fn from_dataset(dataset: &Dataset, key: MetricKey) -> Result<Self, SearchError> {
        let (cells, accuracy): (Vec<Cell>, Vec<f64>) =
            dataset.records().iter().filter_map(|r| Some((r.cell, r.mean(key)?))).unzip();
        Self::new(cells, accuracy)
    }

    /// A pool of `cells` with their `accuracy`.
    pub fn new(cells: Vec<Cell>, accuracy: Vec<f64>) -> Result<Self, SearchError> {
        if cells.len() < 2 || cells.len() != accuracy.len() {
            return Err(SearchError::Pool(format!(
                "a pool needs at least two cells, each with its accuracy: {} cells, {} accuracies",
                cells.len(),
                accuracy.len()
            )));
        }
        if let Some(k) = accuracy.iter().position(|a| !a.is_finite()) {
            return Err(SearchError::Pool(format!("cell {} has an accuracy that is not a number", cells[k].hash())));
        }
        let mut ranked: Vec<usize> = (0..cells.len()).collect();
        ranked.sort_by(|&a, &b| accuracy[b].total_cmp(&accuracy[a]).then(a.cmp(&b)));
        let padded = cells.iter().map(PaddedCell::new).collect();
        Ok(Self { cells, padded, accuracy, ranked })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the pool has no cells (never: [`Pool::new`] refuses fewer than two).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cells, by index.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The accuracy of cell `index` (what a query reveals).
    pub fn accuracy(&self, index: usize) -> f64 {
        self.accuracy[index]
    }

    /// The best accuracy in the pool.
    pub fn best(&self) -> f64 {
        self.accuracy[self.ranked[0]]
    }

    /// The accuracy a cell needs to be among the pool's best `share` (e.g. 0.001 for the top
    /// 0.1 %: at least one cell).
    pub fn top_threshold(&self, share: f64) -> f64 {
        let count = ((self.len() as f64 * share).round() as usize).clamp(1, self.len());
        self.accuracy[self.ranked[count - 1]]
    }

    /// The cell nearest `cell` by edit distance among those `allowed`, ties going to the lowest
    /// index; `None` where none is allowed.
    pub fn nearest(&self, cell: &Cell, allowed: impl Fn(usize) -> bool) -> Option<usize> {
        let target = PaddedCell::new(cell);
        (0..self.len()).filter(|&i| allowed(i)).min_by_key(|&i| (padded_distance(&target, &self.padded[i]), i))
    }
}
