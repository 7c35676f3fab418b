//! The VS-GAE paper's models in Burn (Friede et al., arXiv 1912.05317), numerically equal to the
//! PyTorch reference.
//!
//! - [`Predictor`]: GNN encoder plus an MLP to the accuracy.
//! - [`VsGae`]: the variational-sequential graph autoencoder.
//! - [`state_dict`]: the reference's weights in and out (`.safetensors`, `.pt`).
//! - [`batch::GraphBatch`]: dense batches (ops `[B, N]`, adjacency `[B, N, N]`, node mask).
//!
//! Defaults match the reference's `gnn_config.json` ([`config`]).

pub mod abilities;
pub mod accuracy_head;
pub mod batch;
pub mod config;
pub mod decoder;
pub mod decoding;
pub mod flops;
pub mod gradients;
pub mod gru;
#[cfg(feature = "host-allocator")]
pub mod host_allocator;
pub mod initialization;
pub mod latent;
pub mod message_passing;
pub mod metrics;
pub mod model_files;
pub mod node_embedding;
pub mod predictor;
pub mod readback;
pub mod readout;
pub mod stable_ids;
pub mod state_dict;
pub mod training;
pub mod vae;
pub mod vae_encoder;

pub use config::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};
pub use predictor::Predictor;
pub use state_dict::{ImportError, ReferenceParams, StateDict};
pub use vae::{Latent, VaeLoss, VsGae};
