//! The app's machine-readable status: backend, timings, progress and where the main controls
//! are. The web page publishes it in `#studio_status`; the native app writes it to the file
//! given with `--report`. The browser test and the native measurements read it.

use serde::Serialize;
use web_time::{Duration, Instant};

use crate::StudioApp;
use crate::frame_stats::Spread;

#[derive(Serialize, Debug)]
struct Status<'a> {
    backend: Option<&'a str>,
    models: Option<&'a str>,
    model_error: Option<&'a str>,
    dataset_cells: Option<usize>,
    load_error: Option<&'a str>,
    cell_hash: Option<String>,
    cell_predicted: Option<f64>,
    first_prediction_ms: Option<f64>,
    first_prediction_on: Option<&'a str>,
    /// The predict panel's pasted cells: their predicted means and what computed them.
    pasted_predicted: Vec<f64>,
    pasted_predicted_on: &'a str,
    frame_intervals: Option<Spread>,
    ui_times: Option<Spread>,
    frame_cpu_times: Option<Spread>,
    training_state: Option<String>,
    training_steps: usize,
    training_epochs: usize,
    strip: usize,
    /// Points of the latent map with finite positions, and the width and height they span: the
    /// browser test asserts that the plot has something to draw.
    map_points: usize,
    map_extent: Option<[f32; 2]>,
    progress: Option<(usize, usize)>,
    ranking_cells: Option<usize>,
    ranking_seconds: Option<f64>,
    /// How many cells the whole ensemble predicted (the rest the first member's screen).
    ranking_rescored: Option<usize>,
    /// The search panel's queries so far, its state, and the best accuracy found.
    search_queries: usize,
    search_state: Option<String>,
    search_best: Option<f64>,
    anchors: &'a crate::anchors::Anchors,
    notices: Vec<&'a str>,
}

/// Says when the status is due again (at most four times a second).
#[derive(Debug, Default)]
pub struct StatusClock {
    last: Option<Instant>,
}

impl StatusClock {
    pub fn due(&mut self) -> bool {
        if self.last.is_some_and(|t| t.elapsed() < Duration::from_millis(250)) {
            return false;
        }
        self.last = Some(Instant::now());
        true
    }
}

/// When the probe saw the first prediction (milliseconds since the start) and what computed it.
pub type FirstPrediction = (f64, String);

/// The status as JSON; `first_prediction` is the probe's own record (the probe watches the app
/// from outside it, so the app does not hold it).
pub fn status_json(app: &StudioApp, first_prediction: Option<&FirstPrediction>) -> String {
    let shared = &app.shared;
    let cell = app.settings.cell.to_cell().ok();
    let status = Status {
        backend: shared.backend.as_deref(),
        models: shared.models.as_ref().and_then(|m| m.as_ref().ok()).map(String::as_str),
        model_error: shared.models.as_ref().and_then(|m| m.as_ref().err()).map(|e| e.0.as_str()),
        dataset_cells: shared.dataset.as_ref().map(|d| d.summary.cells),
        load_error: shared.load_error.as_deref(),
        cell_hash: cell.map(|c| c.hash().to_string()),
        cell_predicted: cell.and_then(|c| shared.cached_prediction(&c)).map(|p| p.mean),
        first_prediction_ms: first_prediction.map(|(ms, _)| *ms),
        first_prediction_on: first_prediction.map(|(_, on)| on.as_str()),
        pasted_predicted: app.panels.predict.pasted.values.iter().map(|p| p.mean).collect(),
        pasted_predicted_on: &app.panels.predict.pasted.device,
        frame_intervals: app.frames.intervals(),
        ui_times: app.frames.ui_times(),
        frame_cpu_times: app.frames.frame_cpu_times(),
        training_state: app.panels.train.state.as_ref().map(|s| format!("{s:?}")),
        training_steps: app.panels.train.steps_recorded(),
        training_epochs: app.panels.train.epochs.len(),
        strip: app.panels.latent.strip.len(),
        map_points: app.panels.latent.map.iter().filter(|p| p.position.iter().all(|v| v.is_finite())).count(),
        map_extent: crate::panels::latent::map_extent(&app.panels.latent.map),
        progress: shared.progress.as_ref().map(|p| (p.done, p.total)),
        ranking_cells: app.panels.predict.ranking.as_ref().map(|r| r.cells),
        ranking_seconds: app.panels.predict.ranking.as_ref().map(|r| r.seconds),
        ranking_rescored: app.panels.predict.ranking.as_ref().map(|r| r.rescored),
        search_queries: app.panels.search.queried.len(),
        search_state: app.panels.search.state.as_ref().map(|s| format!("{s:?}")),
        search_best: app.panels.search.queried.last().map(|q| q.best),
        anchors: &shared.anchors,
        notices: shared.notices.iter().map(|notice| notice.message.as_str()).collect(),
    };
    serde_json::to_string(&status).unwrap_or_default()
}

/// Writes the app's status into the page's `#studio_status`, for the browser test.
#[cfg(target_arch = "wasm32")]
pub fn publish_in_page(app: &StudioApp, first_prediction: Option<&FirstPrediction>) {
    if let Some(element) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("studio_status"))
    {
        element.set_text_content(Some(&status_json(app, first_prediction)));
    }
}
