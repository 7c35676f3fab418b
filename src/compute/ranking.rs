//! Ranking the whole search space by predicted accuracy.

use std::sync::Arc;

use nasbench::Cell;
use vsgae::training::predictor::Prediction;
use web_time::Instant;

use super::commands::Event;
use super::engine::Engine;
use super::platform::pause;

const JOB: &str = "ranking the search space";

/// Cells per ranking chunk: small in the browser, where each chunk is one turn of the page and
/// a software WebGPU adapter predicts only tens of cells a second. Natively a multiple of the
/// prediction chunk, so the ranking's predictions equal `vsgae predict`'s bit for bit.
const RANK_CHUNK: usize =
    if cfg!(target_arch = "wasm32") { 512 } else { 16 * vsgae::training::predictor::PREDICT_CHUNK };

impl Engine {
    /// Predicts every cell of the space in chunks (yielding between them) and reports the best
    /// `top`, with the time from the request to the last prediction, and every prediction in
    /// ascending order.
    pub(crate) async fn rank_space(&mut self, top: usize) {
        let started = Instant::now();
        self.cancel.store(false, std::sync::atomic::Ordering::Relaxed);
        let space = self.space().await;
        let mut scored: Vec<(Cell, Prediction)> = Vec::with_capacity(space.len());
        for chunk in space.chunks(RANK_CHUNK) {
            if self.cancelled() {
                self.events.send(Event::Notice("ranking cancelled".to_owned()));
                return;
            }
            let Some(values) = self.predict(chunk).await else { return };
            scored.extend(chunk.iter().copied().zip(values));
            self.events.send(Event::Progress { job: JOB, done: scored.len(), total: space.len() });
            pause(0).await;
        }
        let seconds = Engine::elapsed_seconds(started);
        let count = scored.len();
        scored.sort_unstable_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
        let ascending: Vec<f64> = scored.iter().rev().map(|(_, p)| p.mean).collect();
        scored.truncate(top);
        self.events.send(Event::Ranking { top: scored, cells: count, seconds, ascending: Arc::new(ascending) });
    }
}
