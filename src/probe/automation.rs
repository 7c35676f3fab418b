//! Scripted runs of the native app (`--train`, `--rank`, `--report`, `--quit-after`): press
//! Start or Rank once the engine is ready, write the status to a file while running, and close
//! after a while. Used to measure the app for real, in a window, without a person at it.

use web_time::Instant;

use super::Automation;
use super::status::StatusClock;
use crate::StudioApp;
use crate::compute::Command;
use crate::panels::Tab;

/// An [`Automation`] under way.
#[derive(Debug)]
pub struct AutomationRun {
    plan: Automation,
    started: Instant,
    trained: bool,
    ranked: bool,
    clock: StatusClock,
}

impl AutomationRun {
    pub fn new(plan: Automation) -> Self {
        Self { plan, started: Instant::now(), trained: false, ranked: false, clock: StatusClock::default() }
    }

    /// Runs once per frame; `first_prediction` goes into the status it writes.
    pub fn tick(
        &mut self,
        app: &mut StudioApp,
        ctx: &egui::Context,
        first_prediction: Option<&super::status::FirstPrediction>,
    ) {
        let ready = app.shared.models.is_some();
        if self.plan.train && !self.trained && ready && app.shared.dataset.as_ref().is_some_and(|d| d.labelled) {
            self.trained = true;
            app.settings.tab = Tab::Train;
            if let Some(request) = app.settings.train.request(vsgae::training::ModelKind::Predictor) {
                app.compute().send(Command::StartTraining(Box::new(request)));
            }
        }
        if self.plan.rank && !self.ranked && ready {
            self.ranked = true;
            app.settings.tab = Tab::Predict;
            app.compute().send(Command::RankSpace {
                top: app.settings.predict.top,
                screening: app.settings.predict.screening(),
            });
        }
        // A scripted ranking ends the run once its result is in.
        let ranked = self.plan.rank && app.panels.predict.ranking.is_some();
        if let Some(path) = &self.plan.report
            && (self.clock.due() || ranked)
        {
            let temporary = path.with_extension("tmp");
            let written = std::fs::write(&temporary, super::status::status_json(app, first_prediction))
                .and_then(|()| std::fs::rename(&temporary, path));
            if let Err(error) = written {
                log::error!("{}: {error}", path.display());
            }
        }
        if ranked || self.plan.quit_after.is_some_and(|seconds| self.started.elapsed().as_secs_f64() > seconds) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        // Draw at up to 60 frames a second, so the frame times measure the app under load
        // rather than how often something asked for a repaint.
        ctx.request_repaint_after(web_time::Duration::from_millis(16));
    }
}
