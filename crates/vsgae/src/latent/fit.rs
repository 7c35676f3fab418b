//! Fitting a prior to cells' latents: which distribution, fitted how ([`PriorFit`]), and the fit
//! itself ([`LatentPrior::fit`]), which encodes the cells and hands their means to the
//! distribution's own fitting ([`super::mixture`] for a mixture).

use burn::tensor::Device;
use nasbench::Cell;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::encode_posteriors;
use super::mixture::MixtureConfig;
use super::prior::{LatentPrior, PriorError, PriorKind};
use crate::model::vae::VsGae;
use crate::readback::floats;

/// How a prior is fitted to cells' latents ([`LatentPrior::fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorFit {
    /// Which distribution.
    pub kind: PriorKind,
    /// For [`PriorKind::Mixture`]: how it is fitted.
    pub mixture: MixtureConfig,
    /// For [`PriorKind::Mixture`] and [`PriorKind::Kernel`]: the most cells it is fitted to
    /// (spread evenly over the given cells); the other kinds take every cell.
    pub fitted_cells: usize,
    /// For [`PriorKind::Kernel`]: each component's deviation as a share of the latent means'
    /// own, per dimension.
    pub bandwidth: f64,
    /// Scales every deviation when drawing.
    pub temperature: f64,
}

impl Default for PriorFit {
    fn default() -> Self {
        Self {
            kind: PriorKind::Fitted,
            mixture: MixtureConfig::default(),
            fitted_cells: 50_000,
            bandwidth: 0.1,
            temperature: 1.0,
        }
    }
}

impl LatentPrior {
    /// The prior `fit` says, fitted to the posteriors of `cells` under `model` where it is
    /// fitted; `noise_scale` (the model's [`crate::config::VsGaeConfig::noise_scale`]) scales
    /// the posteriors' deviations of [`PriorKind::AggregatePosterior`].
    pub fn fit(
        fit: &PriorFit,
        model: &VsGae,
        cells: &[Cell],
        noise_scale: f64,
        device: &Device,
        rng: &mut impl Rng,
    ) -> Result<Self, PriorError> {
        let dim = model.latent_dim();
        let prior = match fit.kind {
            PriorKind::StandardNormal => Self::standard_normal(dim),
            PriorKind::Fitted => Self::fitted(&floats(encode_posteriors(model, cells, device, 2048).0)?, dim),
            PriorKind::AggregatePosterior => {
                let (means, log_vars) = encode_posteriors(model, cells, device, 2048);
                let stds = floats(log_vars.mul_scalar(0.5).exp().mul_scalar(noise_scale))?;
                Self::aggregate_posterior(floats(means)?, stds, dim)
            }
            PriorKind::Mixture | PriorKind::Kernel => {
                let stride = cells.len().div_ceil(fit.fitted_cells.max(1)).max(1);
                let chosen: Vec<Cell> = cells.iter().step_by(stride).copied().collect();
                let means = floats(encode_posteriors(model, &chosen, device, 2048).0)?;
                if fit.kind == PriorKind::Mixture {
                    fit.mixture.fit(&means, dim, rng)?
                } else {
                    Self::kernel(means, dim, fit.bandwidth)
                }
            }
        };
        Ok(prior.with_temperature(fit.temperature))
    }
}
