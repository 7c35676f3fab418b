//! The accuracy head trained on frozen VS-GAE latents learns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use burn::tensor::Device;
use nasbench::Op;
use nasbench::space::enumerate_vertices;
use vsgae::latent::encode_means;
use vsgae::training::PredictorData;
use vsgae::training::latent_predictor::train_latent_predictor;
use vsgae::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig};

#[test]
fn the_head_learns_from_frozen_latents() {
    let mut data = PredictorData::default();
    for c in (2..=5).flat_map(enumerate_vertices) {
        let conv3 = c.cell.ops().iter().filter(|&&op| op == Op::Conv3x3).count() as f64;
        data.targets.push(0.6 + 0.08 * conv3);
        data.hashes.push(c.hash);
        data.cells.push(c.cell);
    }
    let device = Device::flex();
    let encoder = EncoderConfig::new().with_node_dim(32).with_graph_dim(32);
    let vae = VsGaeConfig::new(encoder.clone()).init(&device);
    let latents = encode_means(&vae, &data.cells, &device, 512);
    let config = PredictorTrainingConfig::new(PredictorConfig::new(encoder))
        .with_epochs(10)
        .with_batch_size(64)
        .with_learning_rate(3e-3)
        .with_training_size(50)
        .with_seed(2);
    let mut epochs = 0;
    let (_, history) =
        train_latent_predictor(&config, std::sync::Arc::new(data), latents, &device.clone().autodiff(), &mut |e| {
            if let vsgae::training::TrainingEvent::Epoch(_) = e {
                epochs += 1;
            }
        })
        .unwrap();
    assert_eq!((history.len(), epochs), (10, 10));
    let (first, last) = (history[0].train_loss, history[9].train_loss);
    assert!(last < first * 0.5, "training loss went from {first} to {last}");
    assert!(history[9].test.unwrap().rmse.is_finite());
}
