//! The VS-GAE against the PyTorch reference: encoder, teacher-forced loss (deterministic and with
//! injected noise), gradients and one Adam step (`../shared/fixtures/gnnvae_*`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use common::{assert_close, cells_of, floats, json, values};
use nasbench::Cell;
use serde_json::Value;
use vsgae::model::batch::GraphBatch;
use vsgae::model::decoder::DecoderTargets;
use vsgae::model::node_embedding::FirstRound;
use vsgae::{EncoderConfig, Latent, ReferenceParams, StateDict, VsGae, VsGaeConfig};

fn reference_vae(device: &Device) -> Option<VsGae> {
    let bytes = common::read_shared("fixtures/gnnvae_state.safetensors")?;
    let mut weights = StateDict::from_bytes(&bytes).unwrap();
    let model = VsGaeConfig::new(EncoderConfig::new()).init(device).load(&mut weights, "", device).unwrap();
    weights.finish().unwrap();
    Some(model)
}

fn batches(cells: &[Cell], device: &Device) -> (GraphBatch, DecoderTargets) {
    let refs: Vec<&Cell> = cells.iter().collect();
    (GraphBatch::new(&refs, device), VsGae::targets(&refs, device))
}

#[test]
fn encoder_matches_the_reference() {
    let Some(fixture) = json("gnnvae_fixture_16.json") else { return };
    let device = common::device();
    let model = reference_vae(&device).unwrap();
    let (cells, _) = cells_of(&fixture);
    let (batch, _) = batches(&cells, &device);
    let (mean, log_var) = model.encoder.forward(&batch);
    assert_close("mean", &values(mean), &floats(&fixture["encoder_raw"]["mean"]));
    assert_close("log_var", &values(log_var), &floats(&fixture["encoder_raw"]["log_var"]));
}

#[test]
fn teacher_forced_loss_matches_the_reference() {
    let Some(fixture) = json("gnnvae_fixture_16.json") else { return };
    let device = common::device();
    let model = reference_vae(&device).unwrap();
    let config = VsGaeConfig::new(EncoderConfig::new());
    let (cells, _) = cells_of(&fixture);
    let (batch, targets) = batches(&cells, &device);

    let expected = &fixture["loss_eval"];
    let loss = model.loss(&batch, &targets, Latent::Mean, &config);
    assert_close("per-step losses", &values(loss.per_step()), &floats(&expected["per_step_loss_B_x_6"]));
    assert_close("recon", &values(loss.recon), &floats(&expected["recon"]));
    assert_close("kl", &values(loss.kl), &floats(&expected["kl"]));
    assert_close("total", &values(loss.total), &floats(&expected["total"]));

    let seeded = &fixture["loss_train_seeded"];
    let eps = floats(&seeded["eps_standard_normal_16x56"]);
    let eps = Tensor::<2>::from_data(TensorData::new(eps, [16, 56]), &device);
    let loss = model.loss(&batch, &targets, Latent::WithNoise(Box::new(eps)), &config);
    assert_close("per-step losses with noise", &values(loss.per_step()), &floats(&seeded["per_step_loss_B_x_6"]));
    assert_close("total with noise", &values(loss.total), &floats(&seeded["total"]));
}

#[test]
fn gradients_and_one_adam_step_match_the_reference() {
    let Some(fixture) = json("gnnvae_fixture_16.json") else { return };
    let device = common::device().autodiff();
    let (cells, _) = cells_of(&fixture);
    let (batch, targets) = batches(&cells, &device);
    // The batch repeats node signatures, so the CPU's way works the encoder's first rounds on them.
    assert!(batch.signatures(&device).repeat_enough());
    for first_round in [FirstRound::Signatures, FirstRound::EmbeddingTable, FirstRound::Dense] {
        let mut model = reference_vae(&device).unwrap();
        model.encoder.nodes.first_round = first_round;
        gradients_and_one_adam_step(model, &batch, &targets, &fixture);
    }
}

fn gradients_and_one_adam_step(model: VsGae, batch: &GraphBatch, targets: &DecoderTargets, fixture: &Value) {
    let config = VsGaeConfig::new(EncoderConfig::new());
    let loss = model.loss(batch, targets, Latent::Mean, &config).total;
    let grads = GradientsParams::from_grads(loss.backward(), &model);

    common::assert_gradients_match(&model, &grads, "gnnvae_grads_batch16_eval.safetensors");

    let mut optimizer = vsgae::training::adam::ReferenceAdam::init();
    let model = optimizer.step(1e-4, model, grads);
    let after = model.loss(batch, targets, Latent::Mean, &config).total;
    assert_close(
        "loss after one Adam step",
        &values(after),
        &[fixture["loss_eval_after_one_adam_step"].as_f64().unwrap() as f32],
    );
}

#[test]
fn vae_weights_round_trip() {
    let Some(bytes) = common::read_shared("fixtures/gnnvae_state.safetensors") else { return };
    let model = reference_vae(&common::device()).unwrap();
    let mut exported = StateDict::default();
    model.save(&mut exported, "");
    assert_eq!(exported, StateDict::from_bytes(&bytes).unwrap());
    assert_eq!(exported.tensors.values().map(|t| t.values.len()).sum::<usize>(), 4_872_746);
}
