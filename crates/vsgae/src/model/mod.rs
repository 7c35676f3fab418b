//! The layers and the three models, each built from its config.
//!
//! - Layers: [`node_embedding`] (type embedding and [`message_passing`] rounds with a [`gru`]
//!   update), [`readout`] (gated sums), [`accuracy_head`], [`block_linear`] (a linear map of
//!   side-by-side blocks, some repeating a table's rows).
//! - Models: [`predictor`], [`vae`] ([`vae_encoder`] and [`decoder`], with [`decoding`], which
//!   [`cell_rules`] can hold to NAS-Bench-101's rules, and the edge head's optional
//!   [`edge_context`]).
//! - [`batch`]: dense batches and the operators message passing needs, built once per batch;
//!   [`signature_round`]: the second round on the nodes' distinct signatures, for prediction and
//!   for training on the CPU.
//! - [`initialization`]: seeded PyTorch-style initialisation; [`flops`]: the work per graph.

pub mod accuracy_head;
pub mod batch;
pub mod block_linear;
pub mod cell_rules;
pub mod decoder;
pub mod decoding;
pub mod edge_context;
pub mod flops;
pub mod gru;
pub mod initialization;
pub mod message_passing;
pub mod node_embedding;
pub mod predictor;
pub mod readout;
pub mod signature_round;
pub mod vae;
pub mod vae_encoder;
