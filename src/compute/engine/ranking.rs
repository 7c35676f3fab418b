//! Ranking the whole search space by predicted accuracy: screened by an ensemble's first member,
//! the best share re-predicted by the whole ensemble ([`Screening`]), or every cell by every
//! member.

use std::sync::Arc;

use nasbench::Cell;
use vsgae::Predictor;
use vsgae::inference::Prediction;
use vsgae::inference::{Phase, Screening};
use web_time::Instant;

use super::Engine;
use crate::compute::commands::Event;
use crate::compute::error::ComputeError;
use crate::compute::platform::pause;

/// Cells per ranking chunk: small in the browser, where each chunk is one turn of the event
/// loop and a software WebGPU adapter predicts only tens of cells a second. Natively a multiple
/// of the prediction chunk, so the ranking's predictions equal `vsgae predict`'s bit for bit.
const RANK_CHUNK: usize = if cfg!(target_arch = "wasm32") { 512 } else { 16 * vsgae::inference::PREDICT_CHUNK };

impl Engine {
    /// Predicts every cell of the space in chunks (yielding between them) and reports the best
    /// `top`, with the time from the request to the last prediction, and every prediction in
    /// ascending order. With `screening`, an ensemble's first member screens the space and the
    /// whole ensemble re-predicts the best share.
    pub(super) async fn rank_space(&mut self, top: usize, screening: Option<Screening>) -> Result<(), ComputeError> {
        let started = Instant::now();
        self.begin_cancellable_job();
        let space = self.space().await;
        let model = self.predictor.as_ref().map(|loaded| loaded.model.clone()).ok_or(ComputeError::NoPredictor)?;
        let ranked = Screening::rank(screening, &model, &space, top, |network, cells, phase| {
            let job = match phase {
                Phase::Everything => "ranking the search space",
                Phase::Screen => "ranking the search space (screening)",
                Phase::Ensemble => "ranking the search space (the ensemble on the best cells)",
            };
            let engine = &*self;
            async move { engine.predict_in_chunks(&network, &cells, job).await }
        })
        .await?;
        let (predictions, rescored) = ranked;
        let seconds = Engine::elapsed_seconds(started);
        let mut scored: Vec<(Cell, Prediction)> = space.iter().copied().zip(predictions).collect();
        scored.sort_unstable_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
        let ascending: Vec<f64> = scored.iter().rev().map(|(_, p)| p.mean).collect();
        let cells = scored.len();
        scored.truncate(top);
        self.events.send(Event::Ranking { top: scored, cells, rescored, seconds, ascending: Arc::new(ascending) });
        Ok(())
    }

    /// `model`'s predictions of `cells` in chunks, reporting progress as `job` and yielding
    /// between chunks.
    async fn predict_in_chunks(
        &self,
        model: &Predictor,
        cells: &[Cell],
        job: &str,
    ) -> Result<Vec<Prediction>, ComputeError> {
        let mut predictions = Vec::with_capacity(cells.len());
        for chunk in cells.chunks(RANK_CHUNK) {
            if self.cancelled() {
                return Err(ComputeError::Cancelled("ranking"));
            }
            predictions.extend(self.predict_with(model, chunk).await?);
            self.events.send(Event::Progress { job: job.to_owned(), done: predictions.len(), total: cells.len() });
            pause(0).await;
        }
        Ok(predictions)
    }
}
