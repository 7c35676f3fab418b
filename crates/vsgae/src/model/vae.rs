//! The variational-sequential graph autoencoder: encoder, reparameterisation, decoder, β-VAE loss.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use nasbench::{Cell, MAX_VERTICES};
use rand::Rng;

use crate::config::{KlReduction, VsGaeConfig};
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::decoder::{Decoder, DecoderTargets, ReconstructionLoss};
use crate::model::decoding::{DecodedGraph, Decoding};
use crate::model::vae_encoder::VsGaeEncoder;
use crate::node_types::INPUT_TYPE;
use crate::readback::ReadbackError;

/// The reference's `GNNVAE`.
#[derive(Module, Debug)]
pub struct VsGae {
    /// Gives each graph's posterior mean and log-variance.
    pub encoder: VsGaeEncoder,
    /// Builds graphs node by node from latent points.
    pub decoder: Decoder,
    /// The most nodes a decoding may have before it is cut off ([`VsGaeConfig::max_nodes`]).
    #[module(skip)]
    pub max_nodes: usize,
}

/// The β-VAE loss of a batch and its parts.
#[derive(Debug, Clone)]
pub struct VsGaeLoss {
    /// `recon + β·kl`.
    pub total: Tensor<1>,
    /// The reconstruction loss (`total` without the KL term).
    pub recon: Tensor<1>,
    /// `−½ Σ_{b,d} (1 + log σ² − μ² − σ²)`, summed over the batch as in the reference (or its
    /// mean over the batch, [`crate::config::KlReduction::Mean`]).
    pub kl: Tensor<1>,
    /// The reconstruction loss's parts.
    pub reconstruction: ReconstructionLoss,
    /// The posterior means.
    ///
    /// # Shapes
    /// - `[batch, graph_dim]`
    pub mean: Tensor<2>,
}

impl VsGaeLoss {
    /// Every decoding step's loss before masking (computed when asked for).
    ///
    /// # Shapes
    /// - output: `[batch, steps]`
    pub fn per_step(&self) -> Tensor<2> {
        self.reconstruction.per_step()
    }
}

/// How the latent point `c` is drawn from the posterior.
#[derive(Debug, Clone)]
pub enum Latent {
    /// `c = mean` (the reference in eval mode).
    Mean,
    /// `c = mean + scale · ε · exp(½ log σ²)`, `ε ~ N(0, 1)` drawn here (training).
    Sampled,
    /// As [`Latent::Sampled`] with a given `ε` of shape `[batch, graph_dim]`.
    WithNoise(Box<Tensor<2>>),
}

impl VsGaeConfig {
    /// A VS-GAE with Burn's default initialisation.
    pub fn init(&self, device: &Device) -> VsGae {
        VsGae {
            encoder: VsGaeEncoder::init(&self.encoder, device),
            decoder: Decoder::init(&self.encoder, self.edge_context(), device),
            max_nodes: self.max_nodes,
        }
    }

    /// Adds, at zero, the parameters of this config's departures that `weights` (a model
    /// trained without them, which a warm start grows) lacks: the edge context's map. The
    /// grown model computes what the one the weights came from did.
    pub fn add_absent_parameters(&self, weights: &mut StateDict) {
        Decoder::add_absent_context(weights, "Decoder.", &self.encoder, self.edge_context());
    }
}

impl VsGae {
    /// Width of the latent space (the encoder's graph vector).
    pub fn latent_dim(&self) -> usize {
        self.encoder.mean.value.weight.dims()[1]
    }

    /// Decodes every latent point once, up to [`VsGae::max_nodes`] nodes each
    /// ([`Decoder::decode`]: blocking on each readback, split over the cores on the CPU).
    ///
    /// # Shapes
    /// - `c`: `[points, latent_dim]`
    pub fn decode(
        &self,
        c: Tensor<2>,
        decoding: impl Into<Decoding>,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        self.decoder.decode(c, self.max_nodes, decoding, rng)
    }

    /// [`VsGae::decode`] with asynchronous readback (the form a browser needs).
    ///
    /// # Shapes
    /// - `c`: `[points, latent_dim]`
    pub async fn decode_async(
        &self,
        c: Tensor<2>,
        decoding: impl Into<Decoding>,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        self.decoder.decode_async(c, self.max_nodes, decoding, rng).await
    }

    /// The teacher-forcing targets of cells: padded to 7 nodes with the reference's padding type.
    pub fn targets(cells: &[&Cell], device: &Device) -> DecoderTargets {
        DecoderTargets::new(cells, MAX_VERTICES, i64::from(INPUT_TYPE), device)
    }

    /// The β-VAE loss of the reference.
    ///
    /// `batch` holds the cells for the encoder ([`GraphBatch::new`]), `targets` the same cells
    /// padded for teacher forcing ([`VsGae::targets`]).
    pub fn loss(
        &self,
        batch: &GraphBatch,
        targets: &DecoderTargets,
        latent: Latent,
        config: &VsGaeConfig,
    ) -> VsGaeLoss {
        let (mean, log_var) = self.encoder.forward(batch);
        let noise = match latent {
            Latent::Mean => None,
            Latent::Sampled => Some(Tensor::random(mean.dims(), Distribution::Normal(0.0, 1.0), &mean.device())),
            Latent::WithNoise(eps) => Some(*eps),
        };
        let c = match noise {
            None => mean.clone(),
            Some(eps) => mean.clone() + eps.mul_scalar(config.noise_scale) * log_var.clone().mul_scalar(0.5).exp(),
        };
        let batch = mean.dims()[0].max(1);
        let kl = (log_var.clone().add_scalar(1.0) - mean.clone().powi_scalar(2) - log_var.exp()).sum().mul_scalar(-0.5);
        let kl = match config.kl_reduction() {
            KlReduction::Sum => kl,
            KlReduction::Mean => kl.div_scalar(batch as f64),
        };
        let recon = self.decoder.teacher_forced_loss(c, targets, config);
        VsGaeLoss {
            total: recon.total.clone() + kl.clone().mul_scalar(config.beta),
            recon: recon.total.clone(),
            kl,
            reconstruction: recon,
            mean,
        }
    }
}

/// The reference's `GNNVAE` names: `Encoder`, `Decoder`.
impl ReferenceParams for VsGae {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        Ok(Self {
            encoder: self.encoder.load(weights, &format!("{prefix}Encoder."), device)?,
            decoder: self.decoder.load(weights, &format!("{prefix}Decoder."), device)?,
            max_nodes: self.max_nodes,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        self.encoder.save(weights, &format!("{prefix}Encoder."));
        self.decoder.save(weights, &format!("{prefix}Decoder."));
    }
}
