//! The VS-GAE paper's models in Burn (Friede et al., arXiv 1912.05317), numerically equal to the
//! PyTorch reference.
//!
//! - [`model`]: the layers and the three models: [`Predictor`] (GNN encoder plus an MLP to the
//!   accuracy), [`VsGae`] (the variational-sequential graph autoencoder) and the accuracy head,
//!   on dense batches ([`model::batch::GraphBatch`]).
//! - [`io`]: the reference's weights in and out (`.safetensors`, `.pt`), model folders and
//!   checkpoints.
//! - [`training`]: one resumable session for every model.
//! - [`evaluation`]: regression metrics and the VS-GAE's ability tests.
//! - [`latent`]: interpolation and maps of the latent space.
//!
//! Defaults match the reference's `gnn_config.json` ([`config`]).

pub mod config;
pub mod device_counts;
pub mod evaluation;
#[cfg(feature = "host-allocator")]
pub mod host_allocator;
pub mod io;
pub mod latent;
pub mod model;
pub mod parallel;
pub mod readback;
pub mod training;

pub use config::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};
pub use io::state_dict::{ImportError, ReferenceParams, StateDict};
pub use model::predictor::Predictor;
pub use model::vae::{Latent, VaeLoss, VsGae};
