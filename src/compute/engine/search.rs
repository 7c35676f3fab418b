//! The engine's search: one [`Search`] at a time over the loaded dataset's labels, stepped in
//! bounded slices (as training is), its queries reported as they come.

use std::sync::Arc;

use nasbench::MetricKey;
use vsgae::search::{Features, Pool, Query, Search, SearchConfig};
use web_time::Instant;

use super::Engine;
use crate::compute::backend::BackendChoice;
use crate::compute::commands::{Event, SearchRequest, SearchState, SearchedCell};
use crate::compute::error::ComputeError;

/// A search under way, with when it began.
pub(super) struct SearchJob {
    search: Search,
    started: Instant,
}

/// The 95 % interval of a Gaussian belief.
const Z_95: f64 = 1.959_963_984_540_054;

impl Engine {
    /// Starts a search of the loaded dataset (a pool of its `val_acc_108` labels); the
    /// model-based methods search the VS-GAE's latent means of its cells. A running search is
    /// replaced.
    pub(super) async fn start_search(&mut self, request: SearchRequest) -> Result<(), ComputeError> {
        self.stop_search();
        self.begin_cancellable_job();
        let info = self.dataset.clone().ok_or(ComputeError::NoDataset("the search reveals its cells' accuracies"))?;
        let pool = Arc::new(Pool::from_dataset(&info.dataset, MetricKey::VAL_ACC_108).map_err(ComputeError::Search)?);
        let features = if request.method.needs_features() {
            self.ensure_vsgae().await?;
            let (latents, dim) = self.encode(pool.cells()).await?;
            Some(Arc::new(Features::new(latents, dim).map_err(ComputeError::Search)?))
        } else {
            None
        };
        let defaults = SearchConfig::new(request.method, request.seed);
        let config = SearchConfig {
            budget: request.budget,
            acquisition: request.acquisition.unwrap_or(defaults.acquisition),
            ..defaults
        };
        // The search's models are small: the CPU fits them, on the web too.
        let device = self.devices.device(BackendChoice::Cpu);
        let (pool_cells, pool_best) = (pool.len(), pool.best());
        let search = Search::new(pool, features, config, &device).map_err(ComputeError::Search)?;
        self.events.send(Event::SearchBegan { request, pool_cells, pool_best });
        self.events.send(Event::SearchState(SearchState::Running));
        self.search = Some(SearchJob { search, started: Instant::now() });
        Ok(())
    }

    /// Stops the running search, if any.
    pub(super) fn stop_search(&mut self) {
        if self.search.take().is_some() {
            self.events.send(Event::SearchState(SearchState::Stopped));
        }
    }

    /// Makes queries for up to one slice; whether it did any work.
    pub(super) fn search_slice(&mut self) -> bool {
        let Some(job) = &mut self.search else { return false };
        let started = Instant::now();
        let mut queried = Vec::new();
        let mut state = None;
        while state.is_none() && started.elapsed() < super::training::slice() {
            match job.search.step() {
                Ok(queries) => {
                    // The step's queries are the trace's last ones, in order.
                    let trace = job.search.trace();
                    let bests = &trace.best[trace.len() - queries.len()..];
                    let pool = job.search.pool();
                    queried.extend(queries.iter().zip(bests).map(|(query, &best)| searched_cell(pool, query, best)));
                }
                Err(error) => state = Some(SearchState::Failed(ComputeError::Search(error).to_string())),
            }
            if job.search.done() && state.is_none() {
                state = Some(SearchState::Finished { seconds: job.started.elapsed().as_secs_f64() });
            }
        }
        if !queried.is_empty() {
            self.events.send(Event::SearchQueried(queried));
        }
        if let Some(state) = state {
            self.search = None;
            self.events.send(Event::SearchState(state));
        }
        true
    }
}

/// A query as the GUI shows it, with the `best` accuracy found after it.
fn searched_cell(pool: &Pool, query: &Query, best: f64) -> SearchedCell {
    SearchedCell {
        cell: pool.cells()[query.index],
        accuracy: query.accuracy,
        best,
        predicted: query.belief.map(|b| (b.mean, [b.mean - Z_95 * b.sd, b.mean + Z_95 * b.sd])),
    }
}
