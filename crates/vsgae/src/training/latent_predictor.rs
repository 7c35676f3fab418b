//! The paper's stability experiment: the accuracy head trained on frozen VS-GAE latents.
//!
//! The cells are encoded once (the VS-GAE's means); then the predictor's MLP head alone
//! (`graph → graph/2 → … → 1`) is trained on them with the same split, sampling, optimiser and
//! loss as the full predictor. Training takes seconds, so it runs in one call without checkpoints.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::TrainError;
use super::cursor::EpochCursor;
use super::events::{EpochRecord, EventSink, TrainingEvent};
use super::predictor::{PredictorData, PredictorSplit};
use crate::accuracy_head::AccuracyHead;
use crate::config::PredictorTrainingConfig;
use crate::metrics::RegressionMetrics;

fn rows(latents: &Tensor<2>, indices: &[usize]) -> Tensor<2> {
    let device = latents.device();
    let index: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    latents.clone().select(0, Tensor::<1, Int>::from_data(TensorData::new(index, [indices.len()]), &device))
}

fn evaluate(
    model: &AccuracyHead,
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
) -> Result<(AccuracyHead, Vec<EpochRecord>), TrainError> {
    let split = PredictorSplit::new(data, config)?;
    let graph_dim = latents.dims()[1];
    let mut model = crate::initialization::seeded(
        |d| AccuracyHead::init(graph_dim, config.model.num_head_layers, d),
        device,
        config.seed,
    )?;
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
