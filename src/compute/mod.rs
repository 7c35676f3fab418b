//! The compute side of the app: it owns the device and the models and runs what the GUI asks
//! for, so a frame never waits on a model. The GUI sends [`Command`]s through a
//! [`ComputeHandle`] and reads [`Event`]s back (the command-queue / event-stream pattern).
//!
//! Natively the engine runs on a worker thread; in the browser it runs as a task on the page's
//! event loop that does one bounded piece of work at a time and yields between pieces, with
//! asynchronous readback only.

mod backend;
mod commands;
mod engine;
mod handle;
mod platform;
mod ranking;
mod training;

pub use backend::{BackendChoice, ComputeDevices};
pub use commands::{
    Command, DatasetInfo, Event, InterpolationPoint, LatentPoint, PredictionRequest, TrainRequest, TrainingState,
};
pub use handle::{ComputeHandle, ComputeOptions};
