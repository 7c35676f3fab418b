//! Weights, model folders and checkpoints on disk and in memory.
//!
//! - [`state_dict`]: tensors by the reference's parameter names (`.safetensors`, `.pt`).
//! - [`model_files`]: a trained model's folder (config and weights).
//! - [`checkpoint`]: a training run's checkpoint (folder or zip).
//! - [`gradients`]: gradients laid out as their module, to save or compare by name.

pub mod checkpoint;
pub mod gradients;
pub mod model_files;
pub mod state_dict;
