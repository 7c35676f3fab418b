//! The VS-GAE paper's models in Burn (Friede et al., arXiv 1912.05317), numerically equal to the
//! PyTorch reference.
//!
//! - [`model`]: the layers and the three models: [`Predictor`] (GNN encoder plus an MLP to the
//!   accuracy), [`VsGae`] (the variational-sequential graph autoencoder) and the accuracy head,
//!   on dense batches ([`model::batch::GraphBatch`]).
//! - [`io`]: the reference's weights in and out (`.safetensors`, `.pt`), model folders and
//!   checkpoints.
//! - [`inference`]: predictions of many cells with their uncertainty, and screened ranking.
//! - [`training`]: one resumable session for every model.
//! - [`evaluation`]: regression metrics and the VS-GAE's ability tests.
//! - [`latent`]: the VS-GAE's latent space: latent means, interpolation, a 2-D map, and the
//!   priors points are drawn from.
//! - `shipped` (feature `shipped`): the trained models of `data/`, built in.
//!
//! Defaults match the reference's `gnn_config.json` ([`config`]).
//!
//! Predict a cell's accuracy (here with an untrained predictor; `io::model_files` loads trained
//! ones):
//!
//! ```
//! use burn::tensor::Device;
//! use vsgae::{EncoderConfig, PredictorConfig};
//!
//! let device = Device::flex();
//! let model = PredictorConfig::new(EncoderConfig::new()).init(&device);
//! let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output").unwrap();
//! let accuracy = vsgae::inference::predict(&model, &[cell], &device)?;
//! assert!(accuracy.len() == 1 && accuracy[0].is_finite());
//! # Ok::<(), vsgae::readback::ReadbackError>(())
//! ```
//!
//! Encode cells to the VS-GAE's latent means and decode them back, node by node:
//!
//! ```
//! use burn::tensor::Device;
//! use vsgae::model::decoding::DecodeMode;
//! use vsgae::{EncoderConfig, VsGaeConfig};
//!
//! let device = Device::flex();
//! let model = VsGaeConfig::new(EncoderConfig::new()).init(&device);
//! let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output").unwrap();
//! let means = vsgae::latent::encode_means(&model, &[cell], &device, 512);
//! assert_eq!(means.dims(), [1, model.latent_dim()]);
//! let mut rng = nasbench::split::rng(0);
//! let decoded = model.decode(means, DecodeMode::Greedy, &mut rng)?;
//! assert!(decoded.len() == 1 && decoded[0].types.len() <= model.max_nodes);
//! # Ok::<(), vsgae::readback::ReadbackError>(())
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod cuda_runtime;
pub mod device_counts;
pub mod evaluation;
#[cfg(feature = "host-allocator")]
pub mod host_allocator;
pub mod inference;
pub mod io;
pub mod latent;
pub mod model;
pub mod node_types;
pub mod parallel;
pub mod readback;
pub mod search;
#[cfg(feature = "shipped")]
pub mod shipped;
pub mod subnormals;
pub mod training;

pub use config::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};
pub use io::state_dict::{ImportError, ReferenceParams, StateDict};
pub use model::predictor::Predictor;
pub use model::vae::{Latent, VsGae, VsGaeLoss};
