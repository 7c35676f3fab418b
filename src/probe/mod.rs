//! The test probes, left out of the product (the `probe` feature). A [`Probe`] observes the app
//! from outside its panels, as the app's [`crate::app::FrameObserver`]: when the first prediction
//! came, the status the browser test and the native measurements read ([`status`]), and scripted
//! runs of the native app ([`automation`]). The binary hands it to the app; the app never names
//! it.

use std::path::PathBuf;

#[cfg(not(target_arch = "wasm32"))]
pub mod automation;
mod observer;
pub mod status;

pub use observer::Probe;

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
