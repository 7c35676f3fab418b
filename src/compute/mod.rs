//! The compute side of the app: it owns the device and the models and runs what the GUI asks
//! for, so a frame never waits on a model. The GUI sends [`Command`]s through a
//! [`ComputeHandle`] and reads [`Event`]s back (the command-queue / event-stream pattern).
//!
//! Natively the engine runs on a thread of its own; in the browser it runs in a Web Worker
//! ([`worker`], its messages in [`wire`]), or on the page's event loop where no worker can
//! start. On the web it does one bounded piece of work at a time and yields between pieces (so
//! commands such as pause and cancel get in), with asynchronous readback only.

mod backend;
mod commands;
mod engine;
mod error;
mod events;
mod handle;
mod platform;
// Natively the engine shares the GUI's memory; only the tests use the wire there.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod wire;
#[cfg(target_arch = "wasm32")]
pub mod worker;

pub use backend::{BackendChoice, ComputeDevices};
pub use commands::{
    Awaited, Command, DatasetInfo, DecodedPoint, Event, LatentPoint, PredictionRequest, SearchRequest, SearchState,
    SearchedCell, TrainRequest, TrainingState,
};
pub use error::ModelsUnavailable;
pub use handle::{ComputeHandle, ComputeOptions};
pub use platform::in_worker;
