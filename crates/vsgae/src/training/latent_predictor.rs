//! The paper's stability experiment: the accuracy head trained on frozen VS-GAE latents.
//!
//! The cells are encoded once (the VS-GAE's means); then the predictor's MLP head alone
//! (`graph → graph/2 → … → 1`) is trained on them with the same split, sampling, optimiser and
//! loss as the full predictor. Training takes seconds, so it runs in one call without checkpoints.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::TrainError;
use super::cursor::EpochCursor;
use super::events::{EpochRecord, EventSink, TrainingEvent};
use super::predictor::{PredictorData, PredictorSplit};
use crate::config::PredictorTrainingConfig;
use crate::metrics::RegressionMetrics;

/// The predictor's MLP head on latent vectors.
#[derive(Module, Debug)]
pub struct LatentPredictor {
    pub head: Vec<Linear>,
}

impl LatentPredictor {
    /// A head for `graph_dim`-wide latents with `layers` linear layers, seeded.
    pub fn init(graph_dim: usize, layers: usize, device: &Device, seed: u64) -> Result<Self, crate::ImportError> {
        use crate::state_dict::{ReferenceParams, StateDict};
        let widths: Vec<usize> = (0..layers).map(|k| graph_dim >> k).chain([1]).collect();
        let model = Self { head: widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect() };
        let mut weights = StateDict::default();
        for (k, layer) in model.head.iter().enumerate() {
            layer.save(&mut weights, &format!("Accuracy.lin_layers.{k}."));
        }
        crate::initialization::randomize(&mut weights, seed);
        let head = model
            .head
            .into_iter()
            .enumerate()
            .map(|(k, layer)| layer.load(&mut weights, &format!("Accuracy.lin_layers.{k}."), device))
            .collect::<Result<_, _>>()?;
        Ok(Self { head })
    }

    /// The predicted accuracies.
    ///
    /// # Shapes
    /// - `latents`: `[batch, graph_dim]`
    /// - output: `[batch]`
    pub fn forward(&self, latents: Tensor<2>) -> Tensor<1> {
        let last = self.head.len().saturating_sub(1);
        self.head
            .iter()
            .enumerate()
            .fold(latents, |x, (k, layer)| if k < last { relu(layer.forward(x)) } else { layer.forward(x) })
            .squeeze_dim(1)
    }
}

fn rows(latents: &Tensor<2>, indices: &[usize]) -> Tensor<2> {
    let device = latents.device();
    let index: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    latents.clone().select(0, Tensor::<1, Int>::from_data(TensorData::new(index, [indices.len()]), &device))
}

fn evaluate(
    model: &LatentPredictor,
    latents: &Tensor<2>,
    data: &PredictorData,
    indices: &[usize],
) -> Option<RegressionMetrics> {
    if indices.is_empty() {
        return None;
    }
    let predicted = crate::readback::try_floats(model.forward(rows(latents, indices))).ok()?;
    let predicted: Vec<f64> = predicted.into_iter().map(f64::from).collect();
    let truth: Vec<f64> = indices.iter().map(|&i| data.targets[i]).collect();
    Some(RegressionMetrics::compute(&predicted, &truth))
}

/// Trains the head on `latents` (one row per cell of `data`), reporting every epoch.
///
/// `latents` must live on `device` without autodiff; `device` is the autodiff device to train on.
pub fn train_latent_predictor(
    config: &PredictorTrainingConfig,
    data: &PredictorData,
    latents: Tensor<2>,
    device: &Device,
    sink: &mut dyn EventSink,
) -> Result<(LatentPredictor, Vec<EpochRecord>), TrainError> {
    let split = PredictorSplit::new(data, config)?;
    let graph_dim = latents.dims()[1];
    let mut model = LatentPredictor::init(graph_dim, config.model.num_head_layers, device, config.seed)?;
    let mut optimizer = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8).init();
    let batch_size = config.batch_size.max(1);
    let train_latents = latents.clone().to_device(device);
    let mut history = Vec::with_capacity(config.epochs);
    sink.event(TrainingEvent::Started {
        epoch: 1,
        epochs: config.epochs,
        steps_per_epoch: split.train.len().div_ceil(batch_size),
        training_cells: split.train.len(),
    });
    let mut cursor = EpochCursor::default();
    while cursor.epochs_done < config.epochs {
        loop {
            let indices = cursor.next_batch(&split.train, config.seed, batch_size);
            let targets: Vec<f32> = indices.iter().map(|&i| data.targets[i] as f32).collect();
            let targets = Tensor::<1>::from_data(TensorData::new(targets, [indices.len()]), device);
            let loss = (model.forward(rows(&train_latents, &indices)) - targets).powi_scalar(2).mean();
            let epoch_done = cursor.record(f64::from(loss.clone().into_scalar::<f32>()), sink)?;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            if epoch_done {
                break;
            }
        }
        let train_loss = cursor.finish_epoch();
        let frozen = model.valid();
        let record = EpochRecord {
            epoch: cursor.epochs_done,
            train_loss,
            learning_rate: config.learning_rate,
            validation: evaluate(&frozen, &latents, data, &split.validation),
            test: evaluate(&frozen, &latents, data, &split.test),
            validation_loss: None,
        };
        history.push(record.clone());
        sink.event(TrainingEvent::Epoch(record));
    }
    sink.event(TrainingEvent::Finished { epochs: config.epochs });
    Ok((model.valid(), history))
}
