//! Distributions of latent points to decode: the VS-GAE's priors, each a mixture of diagonal
//! Gaussians.
//!
//! - [`PriorKind::Fitted`], the reference's: one Gaussian, the training latents' per-dimension
//!   mean and deviation;
//! - [`PriorKind::StandardNormal`]: the VAE's own `N(0, I)`;
//! - [`PriorKind::AggregatePosterior`]: one component per training cell, its posterior as
//!   training samples it;
//! - [`PriorKind::Mixture`]: `K` Gaussians fitted to the training latents by expectation
//!   maximisation ([`super::mixture`]);
//! - [`PriorKind::Kernel`]: a kernel density estimate, one Gaussian on each of `N` training
//!   latents, its deviation a bandwidth times the latents' own per dimension.
//!
//! A temperature scales every component's deviation when drawing. A model folder may ship its
//! prior as `prior.json` ([`LatentPrior::from_json`]).

use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::model::initialization::standard_normal;
use crate::readback::ReadbackError;

/// Which distribution a prior is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    /// The reference's: `N(mean, std)` of the training cells' latent means, per dimension.
    #[default]
    Fitted,
    /// The VAE's own prior, `N(0, I)`.
    StandardNormal,
    /// The aggregate posterior: a training cell drawn at random, then a point from its posterior
    /// as training samples it, `N(μ, (noise_scale · σ)²)` (a mixture with one component per
    /// training cell; the reference scales the reparameterisation's noise by `noise_scale`, 0.01,
    /// so the decoder never sees points a full `σ` away).
    AggregatePosterior,
    /// A mixture of diagonal Gaussians fitted to the training cells' latent means.
    Mixture,
    /// A kernel density estimate of the training cells' latent means: one Gaussian on each of
    /// them (up to [`super::fit::PriorFit::fitted_cells`]), with deviations [`super::fit::PriorFit::bandwidth`] times
    /// the means' own.
    Kernel,
}

/// Why a prior cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PriorError {
    /// The prior's file cannot be read or parsed: which, and why.
    #[error("{file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The prior's numbers do not form a distribution: how.
    #[error("{0}")]
    Invalid(String),
    /// The latents it is fitted to could not be read back.
    #[error(transparent)]
    Readback(#[from] ReadbackError),
}

/// A mixture of diagonal Gaussians over the latent space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentPrior {
    /// Which distribution this is.
    pub kind: PriorKind,
    /// The latent space's width.
    pub dim: usize,
    /// Each component's weight (they sum to 1).
    pub weights: Vec<f64>,
    /// Each component's mean, row by row (`components × dim`).
    pub means: Vec<f32>,
    /// Each component's standard deviation, row by row (`components × dim`).
    pub stds: Vec<f32>,
    /// Scales every deviation when drawing (1: as fitted).
    #[serde(default = "unit_temperature")]
    pub temperature: f64,
}

fn unit_temperature() -> f64 {
    1.0
}

/// The file a model folder ships its prior in.
pub const PRIOR_FILE: &str = "prior.json";

/// The most components a prior file may hold (the aggregate posterior of the whole search
/// space's training cells is not shipped as a file).
const MAX_FILE_COMPONENTS: usize = 65_536;

impl LatentPrior {
    /// `N(0, I)` in `dim` dimensions.
    pub fn standard_normal(dim: usize) -> Self {
        Self::single(PriorKind::StandardNormal, vec![0.0; dim], vec![1.0; dim])
    }

    /// The reference's prior ([`PriorKind::Fitted`]) of latent means, as rows of `dim` values.
    pub fn fitted(means: &[f32], dim: usize) -> Self {
        let (mean, std) = moments(means, dim, None);
        Self::single(PriorKind::Fitted, mean, std)
    }

    /// The aggregate posterior of cells with posterior `means` and deviations `stds` (rows of
    /// `dim`; the deviations already scaled by the model's noise scale).
    pub fn aggregate_posterior(means: Vec<f32>, stds: Vec<f32>, dim: usize) -> Self {
        let components = means.len() / dim.max(1);
        Self {
            kind: PriorKind::AggregatePosterior,
            dim,
            weights: vec![1.0 / components.max(1) as f64; components],
            means,
            stds,
            temperature: 1.0,
        }
    }

    /// A kernel density estimate of latent `means` (rows of `dim`): one component on each, its
    /// deviation `bandwidth` times the means' own per dimension.
    pub fn kernel(means: Vec<f32>, dim: usize, bandwidth: f64) -> Self {
        let (_, spread) = moments(&means, dim, None);
        let components = means.len() / dim.max(1);
        let row: Vec<f32> = spread.iter().map(|s| (s * bandwidth) as f32).collect();
        Self {
            kind: PriorKind::Kernel,
            dim,
            weights: vec![1.0 / components.max(1) as f64; components],
            stds: row.repeat(components),
            means,
            temperature: 1.0,
        }
    }

    fn single(kind: PriorKind, mean: Vec<f64>, std: Vec<f64>) -> Self {
        Self {
            kind,
            dim: mean.len(),
            weights: vec![1.0],
            means: mean.iter().map(|&v| v as f32).collect(),
            stds: std.iter().map(|&v| v as f32).collect(),
            temperature: 1.0,
        }
    }

    /// The same prior drawn at `temperature`.
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = temperature;
        self
    }

    /// Components in the mixture.
    pub fn components(&self) -> usize {
        self.weights.len()
    }

    /// Checks that the numbers form a distribution over `dim` dimensions.
    pub fn validate(&self) -> Result<(), PriorError> {
        let invalid = |message: String| Err(PriorError::Invalid(message));
        let components = self.weights.len();
        if self.dim == 0 || components == 0 {
            return invalid(format!("a prior needs dimensions and components, found {} and {components}", self.dim));
        }
        let values = components.checked_mul(self.dim);
        if values != Some(self.means.len()) || values != Some(self.stds.len()) {
            return invalid(format!(
                "{components} components of {} dimensions need {} means and deviations, found {} and {}",
                self.dim,
                components.saturating_mul(self.dim),
                self.means.len(),
                self.stds.len()
            ));
        }
        if self.weights.iter().any(|w| !w.is_finite() || *w < 0.0) || self.weights.iter().sum::<f64>() <= 0.0 {
            return invalid("the component weights must be non-negative numbers with a positive sum".to_owned());
        }
        if self.means.iter().any(|v| !v.is_finite()) || self.stds.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return invalid("the means must be numbers and the deviations non-negative numbers".to_owned());
        }
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return invalid(format!("the temperature must be a non-negative number, found {}", self.temperature));
        }
        Ok(())
    }

    /// The prior a model folder ships (its [`PRIOR_FILE`]), for a model of `dim` latent
    /// dimensions; `None` where the folder has none.
    pub fn from_model_folder(dir: &std::path::Path, dim: usize) -> Result<Option<Self>, PriorError> {
        let file = dir.join(PRIOR_FILE);
        if !file.exists() {
            return Ok(None);
        }
        let name = file.display().to_string();
        let bytes =
            std::fs::read(&file).map_err(|e| PriorError::File { file: name.clone(), message: e.to_string() })?;
        Self::from_json(&bytes, dim, &name).map(Some)
    }

    /// Reads a prior file (`prior.json`) for a latent space of `dim` dimensions; `file` names
    /// it in errors.
    pub fn from_json(bytes: &[u8], dim: usize, file: &str) -> Result<Self, PriorError> {
        let error = |message: String| PriorError::File { file: file.to_owned(), message };
        let prior: Self = serde_json::from_slice(bytes).map_err(|e| error(e.to_string()))?;
        if prior.weights.len() > MAX_FILE_COMPONENTS {
            return Err(error(format!("{} components, more than {MAX_FILE_COMPONENTS}", prior.weights.len())));
        }
        prior.validate().map_err(|e| error(e.to_string()))?;
        if prior.dim != dim {
            return Err(error(format!("a prior of {} dimensions for a model of {dim}", prior.dim)));
        }
        Ok(prior)
    }

    /// `points` draws, each repeated `repeats` times in a row: a component by its weight, then a
    /// point of it with every deviation times the temperature.
    ///
    /// # Shapes
    /// - output: `[points · repeats, dim]`
    pub fn sample(&self, points: usize, repeats: usize, device: &Device, rng: &mut impl Rng) -> Tensor<2> {
        let dim = self.dim;
        let total: f64 = self.weights.iter().sum();
        let values: Vec<f32> = (0..points)
            .flat_map(|_| {
                let component = self.pick_component(total, rng);
                let row = component * dim..(component + 1) * dim;
                let z: Vec<f32> = self.means[row.clone()]
                    .iter()
                    .zip(&self.stds[row])
                    .map(|(&m, &s)| {
                        let noise = f64::from(standard_normal(rng)) * f64::from(s) * self.temperature;
                        (f64::from(m) + noise) as f32
                    })
                    .collect();
                std::iter::repeat_n(z, repeats).flatten()
            })
            .collect();
        Tensor::<2>::from_data(TensorData::new(values, [points * repeats, dim]), device)
    }

    fn pick_component(&self, total: f64, rng: &mut impl Rng) -> usize {
        if self.weights.len() == 1 {
            return 0;
        }
        let mut draw = rng.random::<f64>() * total;
        for (k, &w) in self.weights.iter().enumerate() {
            if draw < w {
                return k;
            }
            draw -= w;
        }
        self.weights.len() - 1
    }
}

/// Per dimension: the mean and deviation of rows of `dim` values, each weighted by
/// `weights[row]` where given.
pub(crate) fn moments(rows: &[f32], dim: usize, weights: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    let dim = dim.max(1);
    let weight = |r: usize| weights.map_or(1.0, |w| w[r]);
    let total: f64 = (0..rows.len() / dim).map(weight).sum::<f64>().max(f64::MIN_POSITIVE);
    let mut mean = vec![0f64; dim];
    let mut variance = vec![0f64; dim];
    for (r, row) in rows.chunks_exact(dim).enumerate() {
        row.iter().enumerate().for_each(|(d, &v)| mean[d] += weight(r) * f64::from(v) / total);
    }
    for (r, row) in rows.chunks_exact(dim).enumerate() {
        row.iter().enumerate().for_each(|(d, &v)| variance[d] += weight(r) * (f64::from(v) - mean[d]).powi(2) / total);
    }
    (mean, variance.into_iter().map(f64::sqrt).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::floats;

    #[test]
    fn a_mixture_draws_from_its_components_by_weight() {
        let prior = LatentPrior {
            kind: PriorKind::Mixture,
            dim: 1,
            weights: vec![0.25, 0.75],
            means: vec![-10.0, 10.0],
            stds: vec![1.0, 1.0],
            temperature: 0.5,
        };
        prior.validate().unwrap();
        let z = floats(prior.sample(4000, 1, &Device::flex(), &mut nasbench::split::rng(1))).unwrap();
        let right: Vec<f32> = z.iter().copied().filter(|&v| v > 0.0).collect();
        let share = right.len() as f64 / z.len() as f64;
        assert!((share - 0.75).abs() < 0.03, "{share}");
        let mean = right.iter().sum::<f32>() / right.len() as f32;
        let std = (right.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / right.len() as f32).sqrt();
        assert!((mean - 10.0).abs() < 0.05 && (std - 0.5).abs() < 0.03, "mean {mean}, std {std} at temperature 0.5");
    }

    #[test]
    fn a_kernel_prior_sits_on_each_mean_with_the_bandwidth_times_their_spread() {
        // Two means 2 apart in the first dimension, equal in the second: spreads 1 and 0.
        let prior = LatentPrior::kernel(vec![-1.0, 5.0, 1.0, 5.0], 2, 0.25);
        prior.validate().unwrap();
        assert_eq!((prior.kind, prior.components()), (PriorKind::Kernel, 2));
        assert_eq!(prior.stds, vec![0.25, 0.0, 0.25, 0.0]);
        let z = floats(prior.sample(1000, 1, &Device::flex(), &mut nasbench::split::rng(2))).unwrap();
        assert!(z.chunks(2).all(|p| p[1] == 5.0 && (p[0].abs() - 1.0).abs() < 0.25 * 5.0), "every point near a mean");
        let left = z.chunks(2).filter(|p| p[0] < 0.0).count();
        assert!((400..600).contains(&left), "{left} of 1000 points around the first mean");
    }

    #[test]
    fn bad_prior_files_name_themselves() {
        let prior = LatentPrior::fitted(&[0.0, 1.0, 2.0, 3.0], 2);
        let bytes = serde_json::to_vec(&prior).unwrap();
        assert_eq!(LatentPrior::from_json(&bytes, 2, "p.json").unwrap(), prior);
        let wrong_dim = LatentPrior::from_json(&bytes, 3, "p.json").unwrap_err().to_string();
        assert!(wrong_dim.starts_with("p.json:") && wrong_dim.contains("2 dimensions"), "{wrong_dim}");
        let short = LatentPrior { means: vec![0.0], ..prior.clone() };
        let message =
            LatentPrior::from_json(&serde_json::to_vec(&short).unwrap(), 2, "p.json").unwrap_err().to_string();
        assert!(message.contains("need 2 means"), "{message}");
        let negative = LatentPrior { weights: vec![-1.0], ..prior };
        assert!(LatentPrior::from_json(&serde_json::to_vec(&negative).unwrap(), 2, "p.json").is_err());
        assert!(LatentPrior::from_json(b"{", 2, "p.json").unwrap_err().to_string().starts_with("p.json:"));
    }

    #[test]
    fn a_model_folder_ships_its_prior_or_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(LatentPrior::from_model_folder(dir.path(), 2).unwrap(), None, "no prior.json: none");
        let prior = LatentPrior::fitted(&[0.0, 1.0, 2.0, 3.0], 2);
        std::fs::write(dir.path().join(PRIOR_FILE), serde_json::to_vec(&prior).unwrap()).unwrap();
        assert_eq!(LatentPrior::from_model_folder(dir.path(), 2).unwrap(), Some(prior));
        let message = LatentPrior::from_model_folder(dir.path(), 3).unwrap_err().to_string();
        assert!(message.starts_with(&dir.path().join(PRIOR_FILE).display().to_string()), "{message}");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("sub").join(PRIOR_FILE)).unwrap();
        let unreadable = LatentPrior::from_model_folder(&dir.path().join("sub"), 2).unwrap_err().to_string();
        assert!(unreadable.contains(PRIOR_FILE), "{unreadable}");
    }
}
