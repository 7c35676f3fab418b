//! The probe with the `probe` feature.

use super::Automation;
use crate::StudioApp;
use crate::app::{FrameObserver, milliseconds_since_start};

/// Observes the app for the tests: the time to the first prediction, the scripted run
/// (natively) and the page's status (on the web).
#[derive(Debug, Default)]
pub struct Probe {
    /// Milliseconds from start (page load on the web) to the first prediction, and what
    /// computed it.
    first_prediction: Option<super::status::FirstPrediction>,
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
}

impl FrameObserver for Probe {
    /// Runs before the app draws a frame: the scripted run's next move.
    #[cfg_attr(target_arch = "wasm32", expect(unused_variables))]
    fn before_frame(&mut self, app: &mut StudioApp, ctx: &egui::Context) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(automation) = &mut self.automation {
            automation.tick(app, ctx, self.first_prediction.as_ref());
        }
    }

    /// A prediction arrived, computed on `device`.
    fn saw_prediction(&mut self, device: &str) {
        if self.first_prediction.is_none() {
            self.first_prediction = Some((milliseconds_since_start(), device.to_owned()));
        }
    }

    /// Runs after the app drew a frame: the page's status, when it is due.
    #[cfg_attr(not(target_arch = "wasm32"), expect(unused_variables))]
    fn after_frame(&mut self, app: &StudioApp, ctx: &egui::Context) {
        #[cfg(target_arch = "wasm32")]
        if self.clock.due() {
            super::status::publish_in_page(app, self.first_prediction.as_ref());
        } else {
            // Publish what this frame changed once the status is due again.
            ctx.request_repaint_after(web_time::Duration::from_millis(300));
        }
    }
}
