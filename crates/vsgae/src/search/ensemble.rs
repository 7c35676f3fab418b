//! BANANAS-style predictor-guided search's model: an ensemble of small MLPs (the paper's
//! accuracy head, 56→28→14→7→1) on the VS-GAE's latent means, each member seeded apart and
//! refitted from scratch on the labels found so far; its mean and spread score the candidates.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

use super::SearchError;
use super::features::Features;
use crate::model::accuracy_head::AccuracyHead;

/// How the ensemble is built and fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleConfig {
    /// Networks in the ensemble.
    pub members: usize,
    /// Full-batch Adam steps per fit.
    pub steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Linear layers of each head.
    pub layers: usize,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self { members: 5, steps: 200, learning_rate: 3e-3, layers: 4 }
    }
}

/// Fits the ensemble on the cells `labelled` with their standardised `targets`, and returns
/// the mean and standard deviation of its members' predictions for every cell of `features`
/// (in the targets' units). Member `k` is initialised from `seed + k`.
pub fn fit_and_predict(
    config: &EnsembleConfig,
    features: &Features,
    labelled: &[usize],
    targets: &[f64],
    seed: u64,
    device: &Device,
) -> Result<(Vec<f64>, Vec<f64>), SearchError> {
    let dim = features.dim();
    let training = device.clone().autodiff();
    let rows: Vec<f32> = labelled.iter().flat_map(|&i| features.row(i).iter().copied()).collect();
    let x = Tensor::<2>::from_data(TensorData::new(rows, [labelled.len(), dim]), &training);
    let y = Tensor::<1>::from_data(
        TensorData::new(targets.iter().map(|&t| t as f32).collect::<Vec<_>>(), [targets.len()]),
        &training,
    );
    let everything = Tensor::<2>::from_data(TensorData::new(features.values().to_vec(), [features.len(), dim]), device);
    let mut predictions: Vec<Vec<f32>> = Vec::with_capacity(config.members);
    for member in 0..config.members as u64 {
        let mut model = crate::model::initialization::seeded(
            |d| AccuracyHead::init(dim, config.layers, d),
            &training,
            seed.wrapping_add(member),
        )
        .map_err(|error| SearchError::Model(error.to_string()))?;
        let mut optimizer = burn::optim::AdamConfig::new().init();
        for _ in 0..config.steps {
            let loss = (model.forward(x.clone()) - y.clone()).powi_scalar(2).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
        }
        let predicted = model.valid().forward(everything.clone());
        predictions.push(crate::readback::floats(predicted).map_err(|error| SearchError::Model(error.to_string()))?);
    }
    let n = features.len();
    let mut mean = vec![0.0; n];
    let mut sd = vec![0.0; n];
    for i in 0..n {
        let values: Vec<f32> = predictions.iter().map(|p| p[i]).collect();
        let prediction = crate::inference::Prediction::of_members(&values);
        (mean[i], sd[i]) = (prediction.mean, prediction.spread);
    }
    Ok((mean, sd))
}
