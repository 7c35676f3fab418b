//! VS-GAE Studio: predict the accuracy of NAS-Bench-101 cells, train the paper's models, draw
//! decoded cells and walk the VS-GAE's latent space, natively (wgpu) and in the browser (WebGPU,
//! or Burn's CPU backend where the browser has no WebGPU adapter).
//!
//! - [`StudioApp`]: the eframe app; one file per panel in [`panels`].
//! - [`compute`]: the engine that owns the models, behind a command queue and an event stream.
//! - [`embedded`]: the shipped models, built into the native binary and fetched by the web build.

mod anchors;
mod app;
pub mod compute;
pub mod embedded;
mod error;
mod files;
mod frame_stats;
#[cfg(target_arch = "wasm32")]
mod model_download;
pub mod panels;
#[cfg(feature = "probe")]
pub mod probe;
mod shared;
#[cfg(target_arch = "wasm32")]
mod web_page;
pub mod widgets;

pub use app::{AppOptions, FrameObserver, StudioApp};
pub use error::AppError;
pub use panels::{Settings, Tab};
pub use shared::Shared;
