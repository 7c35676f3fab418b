//! The test probes, left out of the product. A [`Probe`] observes the app from outside its
//! panels: when the first prediction came, where the main controls were drawn ([`Anchors`]),
//! the status the browser test and the native measurements read ([`status`]), and scripted runs
//! of the native app ([`automation`]).
//!
//! Without the `probe` feature the same names observe nothing and cost nothing, so the app
//! calls them without feature gates of its own.

use std::path::PathBuf;

#[cfg(all(feature = "probe", not(target_arch = "wasm32")))]
pub mod automation;
#[cfg(feature = "probe")]
mod observer;
#[cfg(feature = "probe")]
pub mod status;

#[cfg(feature = "probe")]
pub use observer::{Anchors, Probe};

/// What to do without a person at the native app (with the `probe` feature; ignored without).
#[derive(Debug, Clone, Default)]
pub struct Automation {
    /// Start training (the train panel's form, predictor) once a labelled dataset is loaded.
    pub train: bool,
    /// Rank the search space once the engine is ready.
    pub rank: bool,
    /// Write the status JSON here, four times a second.
    pub report: Option<PathBuf>,
    /// Close the window after this many seconds (a `rank` run closes as soon as it is done).
    pub quit_after: Option<f64>,
}

#[cfg(not(feature = "probe"))]
pub use inert::{Anchors, Probe};

/// The probe without the `probe` feature: it observes nothing.
#[cfg(not(feature = "probe"))]
mod inert {
    use super::Automation;
    use crate::StudioApp;

    /// Observes nothing.
    #[derive(Debug, Default)]
    pub struct Probe;

    impl Probe {
        pub fn new(_automation: Option<Automation>) -> Self {
            Self
        }

        pub fn before_frame(&mut self, _app: &mut StudioApp, _ctx: &egui::Context) {}

        pub fn saw_prediction(&mut self, _device: &str) {}

        pub fn after_frame(&mut self, _app: &StudioApp, _ctx: &egui::Context) {}
    }

    /// Keeps no positions.
    #[derive(Debug, Default)]
    pub struct Anchors;

    impl Anchors {
        pub fn record(&mut self, _name: &'static str, _rect: egui::Rect) {}

        pub fn clear(&mut self) {}
    }
}
