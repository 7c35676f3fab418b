//! The probe with the `probe` feature.

use std::collections::BTreeMap;

use super::Automation;
use crate::StudioApp;
use crate::app::milliseconds_since_start;

/// Observes the app for the tests: the time to the first prediction, the scripted run
/// (natively) and the page's status (on the web).
#[derive(Debug, Default)]
pub struct Probe {
    /// Milliseconds from start (page load on the web) to the first prediction, and what
    /// computed it.
    pub(super) first_prediction: Option<(f64, String)>,
    #[cfg(not(target_arch = "wasm32"))]
    automation: Option<super::automation::AutomationRun>,
    #[cfg(target_arch = "wasm32")]
    clock: super::status::StatusClock,
}

impl Probe {
    /// A probe; `automation` runs natively.
    #[cfg_attr(target_arch = "wasm32", expect(unused_variables))]
    pub fn new(automation: Option<Automation>) -> Self {
        Self {
            #[cfg(not(target_arch = "wasm32"))]
            automation: automation.map(super::automation::AutomationRun::new),
            ..Self::default()
        }
    }

    /// Runs before the app draws a frame: the scripted run's next move.
    #[cfg_attr(target_arch = "wasm32", expect(unused_variables))]
    pub fn before_frame(&mut self, app: &mut StudioApp, ctx: &egui::Context) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(automation) = &mut self.automation {
            automation.tick(app, ctx);
        }
    }

    /// A prediction arrived, computed on `device`.
    pub fn saw_prediction(&mut self, device: &str) {
        if self.first_prediction.is_none() {
            self.first_prediction = Some((milliseconds_since_start(), device.to_owned()));
        }
    }

    /// Runs after the app drew a frame: the page's status, when it is due.
    #[cfg_attr(not(target_arch = "wasm32"), expect(unused_variables))]
    pub fn after_frame(&mut self, app: &StudioApp, ctx: &egui::Context) {
        #[cfg(target_arch = "wasm32")]
        if self.clock.due() {
            super::status::publish_in_page(app);
        } else {
            // Publish what this frame changed once the status is due again.
            ctx.request_repaint_after(web_time::Duration::from_millis(300));
        }
    }
}

/// Where the main controls were drawn this frame: `[min x, min y, max x, max y]` by name (for
/// the page's status, which the browser test clicks through).
#[derive(Debug, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Anchors(BTreeMap<&'static str, [f32; 4]>);

impl Anchors {
    pub fn record(&mut self, name: &'static str, rect: egui::Rect) {
        self.0.insert(name, [rect.min.x, rect.min.y, rect.max.x, rect.max.y]);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}
