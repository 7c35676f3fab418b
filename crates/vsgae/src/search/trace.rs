//! What a search has queried, in order, and the best accuracy found after each query.

use serde::Serialize;

use super::pool::Pool;

/// The queries of one search run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// Pool indices in the order they were queried.
    pub queried: Vec<usize>,
    /// The accuracy each query revealed.
    pub accuracy: Vec<f64>,
    /// The best accuracy found after each query.
    pub best: Vec<f64>,
    #[serde(skip)]
    seen: Vec<bool>,
}

impl Trace {
    /// No queries yet, over a pool of `pool_len` cells.
    pub fn new(pool_len: usize) -> Self {
        Self { queried: Vec::new(), accuracy: Vec::new(), best: Vec::new(), seen: vec![false; pool_len] }
    }

    /// Queries cell `index`: its accuracy is revealed and recorded. A cell queried before is not
    /// queried again (the call returns `false`).
    pub fn query(&mut self, pool: &Pool, index: usize) -> bool {
        if self.seen[index] {
            return false;
        }
        self.seen[index] = true;
        let accuracy = pool.accuracy(index);
        let best = self.best.last().map_or(accuracy, |&b| b.max(accuracy));
        self.queried.push(index);
        self.accuracy.push(accuracy);
        self.best.push(best);
        true
    }

    /// Whether cell `index` has been queried.
    pub fn has(&self, index: usize) -> bool {
        self.seen[index]
    }

    /// Queries so far.
    pub fn len(&self) -> usize {
        self.queried.len()
    }

    /// Whether nothing has been queried.
    pub fn is_empty(&self) -> bool {
        self.queried.is_empty()
    }

    /// The pool's best accuracy minus the best found after `queries` queries (`None` before
    /// that many).
    pub fn regret_after(&self, pool: &Pool, queries: usize) -> Option<f64> {
        Some(pool.best() - self.best.get(queries.checked_sub(1)?)?)
    }

    /// The number of queries after which a cell at or above `threshold` had been found.
    pub fn queries_to_reach(&self, threshold: f64) -> Option<usize> {
        self.best.iter().position(|&b| b >= threshold).map(|k| k + 1)
    }
}
