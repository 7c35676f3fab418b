//! The predictor's training loop: it learns, it resumes to the identical result, it stops on a
//! non-finite loss and on cancel, and it reports events in order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;

use burn::tensor::Device;
use nasbench::Op;
use nasbench::sampling::Sampling;
use nasbench::space::enumerate_vertices;
use vsgae::inference::{PREDICT_CHUNK, predict, predict_async};
use vsgae::io::checkpoint::AdamState;
use vsgae::readback::block_on;
use vsgae::training::task::{Shard, StepPosition};
use vsgae::training::{
    PredictorData, PredictorSession, PredictorTask, StepOutcome, TrainError, TrainingEvent, TrainingTask,
};
use vsgae::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, ReferenceParams, StateDict};

/// Every cell of at most 5 vertices with a made-up accuracy that depends on ops and size.
fn small_space() -> Arc<PredictorData> {
    let mut data = PredictorData::default();
    for c in (2..=5).flat_map(enumerate_vertices) {
        let conv3 = c.cell.ops().iter().filter(|&&op| op == Op::Conv3x3).count() as f64;
        let pool = c.cell.ops().iter().filter(|&&op| op == Op::MaxPool3x3).count() as f64;
        data.targets.push(0.5 + 0.1 * conv3 - 0.05 * pool + 0.02 * c.cell.n_edges() as f64);
        data.hashes.push(c.hash);
        data.cells.push(c.cell);
    }
    Arc::new(data)
}

fn tiny_config(epochs: usize) -> PredictorTrainingConfig {
    // A head of 32→16→8→4→1: narrower heads lose every ReLU at this learning rate.
    let encoder = EncoderConfig::new().with_node_dim(32).with_graph_dim(32);
    PredictorTrainingConfig::new(PredictorConfig::new(encoder))
        .with_epochs(epochs)
        .with_batch_size(64)
        .with_learning_rate(3e-3)
        .with_training_size(20)
        .with_sampling(Sampling::Random)
        .with_checkpoint_every(2)
        .with_seed(7)
}

fn weights(session: &PredictorSession) -> StateDict {
    let mut out = StateDict::default();
    session.model().save(&mut out, "");
    out
}

#[test]
fn the_predictor_learns() {
    let config = tiny_config(8).with_training_size(50).with_learning_rate(3e-3);
    let mut session = PredictorSession::new(config, small_space(), Device::flex().autodiff()).unwrap();
    session.run(&mut |_| {}).unwrap();
    let history = session.history();
    assert_eq!(history.len(), 8);
    let first = history[0].validation.unwrap().rmse;
    let last = history[7].validation.unwrap().rmse;
    assert!(last < first * 0.3, "validation RMSE went from {first} to {last}");
    assert!(history[7].test.unwrap().kendall_tau > 0.6, "{:?}", history[7].test);
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let data = small_space();
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = PredictorSession::new(tiny_config(4), data.clone(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(straight_dir.path());
    straight.run(&mut |_| {}).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut first_half = PredictorSession::new(tiny_config(4), data.clone(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(dir.path());
    while first_half.epochs_done() < 2 {
        block_on(first_half.step(&mut |_| {})).unwrap();
    }
    // Half an epoch more that the checkpoint does not hold: a kill loses it, nothing else.
    block_on(first_half.step(&mut |_| {})).unwrap();
    drop(first_half);

    let mut resumed = PredictorSession::resume(dir.path(), data, Device::flex().autodiff()).unwrap();
    assert_eq!(resumed.epochs_done(), 2);
    resumed.run(&mut |_| {}).unwrap();
    // JSON, because NaN metrics (constant predictions) are not equal to themselves.
    let json = |s: &PredictorSession| serde_json::to_string(s.history()).unwrap();
    assert_eq!(json(&resumed), json(&straight));
    assert_eq!(weights(&resumed), weights(&straight));
    // The final checkpoints agree too.
    assert_eq!(
        std::fs::read(dir.path().join("weights.safetensors")).unwrap(),
        std::fs::read(straight_dir.path().join("weights.safetensors")).unwrap()
    );
}

#[test]
fn resume_refuses_other_data() {
    let data = small_space();
    let dir = tempfile::tempdir().unwrap();
    let mut session = PredictorSession::new(tiny_config(1), data.clone(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(dir.path());
    session.run(&mut |_| {}).unwrap();
    let mut other = (*data).clone();
    other.cells.pop();
    other.targets.pop();
    other.hashes.pop();
    let error = PredictorSession::resume(dir.path(), Arc::new(other), Device::flex().autodiff()).unwrap_err();
    assert!(matches!(error, TrainError::Mismatch(_)), "{error}");
}

#[test]
fn a_non_finite_loss_stops_the_run_naming_epoch_and_step() {
    let mut data = (*small_space()).clone();
    data.targets.iter_mut().for_each(|t| *t = f64::NAN);
    let mut session = PredictorSession::new(tiny_config(2), Arc::new(data), Device::flex().autodiff()).unwrap();
    let error = session.run(&mut |_| {}).unwrap_err();
    assert_eq!(error.to_string(), "the loss became NaN at epoch 1, step 1");
}

#[test]
fn cancel_stops_at_the_next_step_and_events_come_in_order() {
    let mut session = PredictorSession::new(tiny_config(1), small_space(), Device::flex().autodiff()).unwrap();
    let mut events = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let mut session_with_files = PredictorSession::new(tiny_config(1), small_space(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(dir.path());
    session_with_files.run(&mut |e| events.push(e)).unwrap();
    let steps = session_with_files.steps_per_epoch();
    assert!(matches!(events[0], TrainingEvent::Started { epoch: 1, epochs: 1, .. }));
    assert!(events[1..=steps].iter().all(|e| matches!(e, TrainingEvent::Step { .. })));
    assert!(matches!(events[steps + 1], TrainingEvent::Epoch(_)));
    assert!(matches!(events[steps + 2], TrainingEvent::Checkpoint { epoch: 1, .. }));
    assert!(matches!(events[steps + 3], TrainingEvent::Finished { epochs: 1 }));
    assert_eq!(events.len(), steps + 4);
    for file in ["weights.safetensors", "config.json", "optimizer.bpk", "progress.json"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }

    assert_eq!(block_on(session.step(&mut |_| {})).unwrap(), StepOutcome::Stepped);
    session.cancel_flag().store(true, Ordering::Relaxed);
    assert!(matches!(block_on(session.step(&mut |_| {})), Err(TrainError::Cancelled)));
}

#[test]
fn a_run_resumed_mid_epoch_from_a_checkpoint_zip_equals_an_uninterrupted_one() {
    use vsgae::io::checkpoint::Checkpoint;
    let data = small_space();
    let mut straight = PredictorSession::new(tiny_config(3), data.clone(), Device::flex().autodiff()).unwrap();
    straight.run(&mut |_| {}).unwrap();

    let mut first = PredictorSession::new(tiny_config(3), data.clone(), Device::flex().autodiff()).unwrap();
    while first.epochs_done() < 1 {
        block_on(first.step(&mut |_| {})).unwrap();
    }
    // One step into the second epoch: the checkpoint must hold the position inside it.
    assert_eq!(block_on(first.step(&mut |_| {})).unwrap(), StepOutcome::Stepped);
    let zip = block_on(first.snapshot()).unwrap().to_zip().unwrap();
    drop(first);

    let checkpoint = Checkpoint::from_zip(&zip, "run.zip").unwrap();
    assert!(checkpoint.optimizer.is_some(), "the CPU backend reads Adam's state back");
    let mut resumed =
        PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore).unwrap();
    assert!(resumed.optimizer_restored());
    assert_eq!(resumed.epochs_done(), 1);
    resumed.run(&mut |_| {}).unwrap();
    let json = |s: &PredictorSession| serde_json::to_string(s.history()).unwrap();
    assert_eq!(json(&resumed), json(&straight));
    assert_eq!(weights(&resumed), weights(&straight));
}

#[test]
fn a_checkpoint_without_optimizer_state_resumes_with_a_fresh_adam() {
    let data = small_space();
    let mut first = PredictorSession::new(tiny_config(2), data.clone(), Device::flex().autodiff()).unwrap();
    block_on(first.step(&mut |_| {})).unwrap();
    let mut checkpoint = block_on(first.snapshot()).unwrap();
    checkpoint.optimizer = None;
    let zip = checkpoint.to_zip().unwrap();
    let checkpoint = vsgae::io::checkpoint::Checkpoint::from_zip(&zip, "browser.zip").unwrap();
    let mut resumed =
        PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore).unwrap();
    assert!(!resumed.optimizer_restored());
    assert_eq!(weights(&resumed), weights(&first));
    resumed.run(&mut |_| {}).unwrap();
    assert_eq!(resumed.epochs_done(), 2);
}

#[test]
fn adam_state_is_restored_only_where_the_default_device_can_hold_it() {
    let flex = Device::flex().autodiff();
    // Natively Burn starts its default device on demand, so a native run always tries.
    assert_eq!(AdamState::where_possible(&flex), AdamState::Restore);
    let data = small_space();
    let mut first = PredictorSession::new(tiny_config(2), data.clone(), flex.clone()).unwrap();
    block_on(first.step(&mut |_| {})).unwrap();
    let checkpoint = block_on(first.snapshot()).unwrap();
    assert!(checkpoint.optimizer.is_some());
    let resumed = PredictorSession::resume_from(&checkpoint, data, flex, AdamState::Reset).unwrap();
    assert!(!resumed.optimizer_restored());
}

#[test]
fn bad_checkpoint_zips_are_refused_naming_the_file_and_the_problem() {
    use vsgae::io::checkpoint::Checkpoint;
    let error = Checkpoint::from_zip(b"not a zip at all", "noise.zip").unwrap_err().to_string();
    assert!(error.starts_with("noise.zip: not a checkpoint zip"), "{error}");

    let data = small_space();
    let session = PredictorSession::new(tiny_config(1), data.clone(), Device::flex().autodiff()).unwrap();
    let mut checkpoint = block_on(session.snapshot()).unwrap();
    checkpoint.weights = b"garbage".to_vec();
    let zip = checkpoint.to_zip().unwrap();
    let checkpoint = Checkpoint::from_zip(&zip, "torn.zip").unwrap();
    let error = PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore)
        .unwrap_err()
        .to_string();
    assert!(error.contains("torn.zip/weights.safetensors"), "{error}");

    // A zip of something else: the missing member is named.
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("notes.txt", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut writer, b"hello").unwrap();
    let other = writer.finish().unwrap().into_inner();
    let error = Checkpoint::from_zip(&other, "notes.zip").unwrap_err().to_string();
    assert!(error.contains("notes.zip") && error.contains("config.json"), "{error}");
}

#[test]
fn evaluate_every_skips_the_metrics_of_the_epochs_between_but_never_the_last() {
    let data = small_space();
    let mut session =
        PredictorSession::new(tiny_config(3), data, Device::flex().autodiff()).unwrap().with_evaluate_every(2);
    session.run(&mut |_| {}).unwrap();
    let evaluated: Vec<bool> = session.history().iter().map(|r| r.validation.is_some() && r.test.is_some()).collect();
    assert_eq!(evaluated, vec![false, true, true]);
}

/// The loss and gradients of `shards` of a batch, summed.
fn shard_sums(
    task: &PredictorTask,
    model: &vsgae::Predictor,
    batch: &[usize],
    cuts: &[usize],
    device: &Device,
) -> (f32, StateDict) {
    let position = StepPosition { epoch: 0, step_in_epoch: 0, steps_per_epoch: 1 };
    let bounds: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).chain([batch.len()]).collect();
    let loss = bounds
        .windows(2)
        .map(|w| {
            let shard = Shard { items: &batch[w[0]..w[1]], offset: w[0], batch_len: batch.len(), position };
            task.shard_loss(model, &shard, device)
        })
        .reduce(|a, b| a + b)
        .unwrap();
    let value = vsgae::readback::floats(loss.clone()).unwrap()[0];
    let grads = burn::optim::GradientsParams::from_grads(loss.backward(), model);
    let mut out = StateDict::default();
    vsgae::io::gradients::gradients_as_module(model, &grads).save(&mut out, "");
    (value, out)
}

#[test]
fn the_shards_of_a_batch_add_up_to_its_loss_and_gradients() {
    let task = PredictorTask::new(tiny_config(1), small_space()).unwrap();
    let device = Device::flex().autodiff();
    let model = task.new_model(&device).unwrap();
    let batch = &task.training_items()[..24];
    let (whole, whole_grads) = shard_sums(&task, &model, batch, &[], &device);
    let (split, split_grads) = shard_sums(&task, &model, batch, &[7, 15], &device);
    assert!((whole - split).abs() <= 1e-6 * whole.abs(), "{whole} vs {split}");
    for (name, tensor) in &whole_grads.tensors {
        let other = &split_grads.tensors[name];
        for (a, b) in tensor.values.iter().zip(&other.values) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1e-3), "{name}: {a} vs {b}");
        }
    }
    assert!(whole_grads.tensors.values().any(|t| t.values.iter().any(|&v| v != 0.0)), "gradients are all zero");
}

#[test]
fn a_corrupt_optimizer_state_is_an_error_naming_the_file() {
    let data = small_space();
    let mut first = PredictorSession::new(tiny_config(1), data.clone(), Device::flex().autodiff()).unwrap();
    block_on(first.step(&mut |_| {})).unwrap();
    let mut checkpoint = block_on(first.snapshot()).unwrap();
    checkpoint.optimizer = Some(b"not a burnpack".to_vec());
    let checkpoint = vsgae::io::checkpoint::Checkpoint::from_zip(&checkpoint.to_zip().unwrap(), "torn.zip").unwrap();
    let error = PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore)
        .unwrap_err()
        .to_string();
    assert!(error.contains("torn.zip/optimizer.bpk"), "{error}");
}

#[test]
fn a_checkpoint_from_before_the_current_layout_keeps_its_weights_and_starts_a_fresh_adam() {
    let data = small_space();
    let mut first = PredictorSession::new(tiny_config(2), data.clone(), Device::flex().autodiff()).unwrap();
    block_on(first.step(&mut |_| {})).unwrap();
    let mut checkpoint = block_on(first.snapshot()).unwrap();
    assert!(checkpoint.has_current_layout().unwrap());
    // Progress files written before checkpoints recorded their kind.
    let mut progress: serde_json::Value = serde_json::from_slice(&checkpoint.progress).unwrap();
    progress.as_object_mut().unwrap().remove("kind");
    checkpoint.progress = serde_json::to_vec(&progress).unwrap();
    assert!(!checkpoint.has_current_layout().unwrap());
    // And those written before the GRU's biases became one parameter per gate.
    let mut layout_one = block_on(first.snapshot()).unwrap();
    let mut progress: serde_json::Value = serde_json::from_slice(&layout_one.progress).unwrap();
    assert_eq!(progress["layout"], vsgae::io::checkpoint::PARAMETER_LAYOUT);
    progress.as_object_mut().unwrap().remove("layout");
    layout_one.progress = serde_json::to_vec(&progress).unwrap();
    assert!(!layout_one.has_current_layout().unwrap());
    let resumed =
        PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore).unwrap();
    assert!(!resumed.optimizer_restored(), "Adam's old state does not fit the current parameters");
    assert_eq!(weights(&resumed), weights(&first));
}

#[test]
fn a_checkpoint_naming_an_impossible_width_is_refused_before_anything_is_built() {
    let data = small_space();
    let session = PredictorSession::new(tiny_config(1), data.clone(), Device::flex().autodiff()).unwrap();
    let mut checkpoint = block_on(session.snapshot()).unwrap();
    let mut config: serde_json::Value = serde_json::from_slice(&checkpoint.config).unwrap();
    config["model"]["encoder"]["node_dim"] = serde_json::json!(1_000_000_000u64);
    checkpoint.config = serde_json::to_vec(&config).unwrap();
    let checkpoint = vsgae::io::checkpoint::Checkpoint::from_zip(&checkpoint.to_zip().unwrap(), "huge.zip").unwrap();
    let error = PredictorSession::resume_from(&checkpoint, data, Device::flex().autodiff(), AdamState::Restore)
        .unwrap_err()
        .to_string();
    assert!(error.contains("huge.zip/config.json") && error.contains("model.encoder.node_dim"), "{error}");
}

#[test]
fn predictions_in_chunk_aligned_parts_equal_one_call_bit_for_bit() {
    // The app ranks the space in parts of 16 prediction chunks, `vsgae predict` in one call; both
    // must give each cell the same bits. The cells here span three chunks, the last one partial.
    let device = Device::flex();
    let model = PredictorConfig::new(EncoderConfig::new()).init_seeded(&device, 3).unwrap();
    let cells: Vec<nasbench::Cell> =
        (2..=6).flat_map(enumerate_vertices).map(|c| c.cell).take(2 * PREDICT_CHUNK + 300).collect();
    assert_eq!(cells.len(), 2 * PREDICT_CHUNK + 300);
    let whole = predict(&model, &cells, &device).unwrap();
    let mut parts = predict(&model, &cells[..PREDICT_CHUNK], &device).unwrap();
    parts.extend(block_on(predict_async(&model, &cells[PREDICT_CHUNK..], &device)).unwrap());
    assert_eq!(whole.len(), cells.len());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&whole), bits(&parts));
    assert!(whole.iter().any(|&p| p != whole[0]), "the predictions do not depend on the cell");
}

/// The small space with the target again as the auxiliary targets, scaled.
fn with_auxiliary(data: &PredictorData) -> Arc<PredictorData> {
    let mut data = data.clone();
    data.auxiliary = data.targets.iter().map(|&t| vec![0.5 * t, 0.9 * t]).collect();
    Arc::new(data)
}

fn recipe_config(epochs: usize) -> PredictorTrainingConfig {
    use vsgae::config::{LearningRateSchedule, PredictorLoss};
    let mut config = tiny_config(epochs)
        .with_loss(Some(PredictorLoss::Ranking { temperature: 0.05, mse_weight: 1.0 }))
        .with_schedule(Some(LearningRateSchedule::WarmupCosine { warmup_steps: 2, final_factor: 0.01 }))
        .with_auxiliary_targets(Some(vec!["val_acc_12".into(), "val_acc_36".into()]))
        .with_keep_best(Some(true));
    config.model.auxiliary_outputs = Some(2);
    config
}

#[test]
fn the_ranking_loss_is_the_mean_softplus_over_the_ordered_pairs() {
    let device = Device::flex();
    let predicted = burn::tensor::Tensor::<1>::from_floats([0.3, 0.1, 0.2], &device);
    let loss = vsgae::training::predictor::pairwise_ranking(predicted, &[3.0, 1.0, 2.0], 0.1, &device);
    // Pairs (0, 1), (0, 2), (2, 1), with margins 0.2, 0.1, 0.1 over the temperature 0.1.
    let softplus = |x: f64| (1.0 + x.exp()).ln();
    let expected = (softplus(-2.0) + 2.0 * softplus(-1.0)) / 3.0;
    let value = f64::from(vsgae::readback::floats(loss).unwrap()[0]);
    assert!((value - expected).abs() < 1e-6, "{value} vs {expected}");
    // Ties make no pair; no pair is no loss.
    let tied = burn::tensor::Tensor::<1>::from_floats([0.3, 0.1], &device);
    let none = vsgae::training::predictor::pairwise_ranking(tied, &[1.0, 1.0], 0.1, &device);
    assert_eq!(vsgae::readback::floats(none).unwrap()[0], 0.0);
}

#[test]
fn a_run_keeping_its_best_epoch_ends_with_that_epochs_weights_and_resumes_to_the_same_result() {
    let data = with_auxiliary(&small_space());
    let device = Device::flex().autodiff();
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = PredictorSession::new(recipe_config(5), data.clone(), device.clone())
        .unwrap()
        .with_checkpoints(straight_dir.path());
    straight.run(&mut |_| {}).unwrap();
    let history = straight.history();
    let taus: Vec<f64> = history.iter().map(|r| r.validation.unwrap().kendall_tau).collect();
    let best = straight.best_epoch().expect("the run keeps its best epoch");
    let top = taus.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(best.score, top);
    assert_eq!(taus.iter().position(|&t| t == top).unwrap() + 1, best.epoch);
    // The result is the best epoch's model: it gives the best epoch's validation metrics again.
    let task = straight.task();
    let again = block_on(vsgae::training::predictor::evaluate_async(
        &straight.model(),
        task.data(),
        &task.split().validation,
        &Device::flex(),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(again.kendall_tau, top);
    assert!(straight.model().members[0].auxiliary.is_some());

    let dir = tempfile::tempdir().unwrap();
    let mut first =
        PredictorSession::new(recipe_config(5), data.clone(), device.clone()).unwrap().with_checkpoints(dir.path());
    while first.epochs_done() < 2 {
        block_on(first.step(&mut |_| {})).unwrap();
    }
    drop(first);
    assert!(dir.path().join("best.safetensors").exists());
    let mut resumed = PredictorSession::resume(dir.path(), data, device).unwrap();
    resumed.run(&mut |_| {}).unwrap();
    assert_eq!(resumed.best_epoch(), straight.best_epoch());
    assert_eq!(weights(&resumed), weights(&straight));
}

#[test]
fn the_auxiliary_targets_and_the_ranking_loss_add_to_the_shards_loss() {
    let data = with_auxiliary(&small_space());
    let device = Device::flex().autodiff();
    let plain = PredictorTask::new(tiny_config(1), data.clone()).unwrap();
    let model = plain.new_model(&device).unwrap();
    let batch = &plain.training_items()[..16];
    let (mse, _) = shard_sums(&plain, &model, batch, &[], &device);
    let auxiliary_config = tiny_config(1)
        .with_auxiliary_targets(Some(vec!["val_acc_12".into(), "val_acc_36".into()]))
        .with_auxiliary_weight(Some(2.0));
    let mut auxiliary_config = auxiliary_config;
    auxiliary_config.model.auxiliary_outputs = Some(2);
    let auxiliary = PredictorTask::new(auxiliary_config, data.clone()).unwrap();
    let auxiliary_model = auxiliary.new_model(&device).unwrap();
    let (with_auxiliary, grads) = shard_sums(&auxiliary, &auxiliary_model, batch, &[5], &device);
    assert!(with_auxiliary > mse, "the auxiliary MSE adds to the loss: {with_auxiliary} vs {mse}");
    assert!(grads.tensors["Auxiliary.weight"].values.iter().any(|&v| v != 0.0));
    // A config whose outputs do not match its auxiliary targets is refused.
    let mismatched = tiny_config(1).with_auxiliary_targets(Some(vec!["val_acc_12".into()]));
    assert_eq!(mismatched.validate().unwrap_err().field, "model.auxiliary_outputs");
}

#[test]
fn a_predictor_started_from_a_vsgae_has_its_encoder_and_refuses_other_files() {
    let device = Device::flex();
    let encoder = EncoderConfig::new().with_node_dim(32).with_graph_dim(32);
    let vae = vsgae::VsGaeConfig::new(encoder.clone()).init(&device);
    let mut vae_weights = StateDict::default();
    vae.save(&mut vae_weights, "");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("weights.safetensors"), vae_weights.to_safetensors().unwrap()).unwrap();

    let config = PredictorConfig::new(encoder).with_ensemble_size(Some(2));
    let model = config.init_seeded(&device, 3).unwrap();
    let started = vsgae::training::predictor::with_vsgae_encoder(model, dir.path(), &device).unwrap();
    let mut weights = StateDict::default();
    started.save(&mut weights, "");
    for member in 0..2 {
        for name in ["NodeEmb.NodeInit.weight", "NodeEmb.GNNLayers.1.msg.weight", "GraphEmb_mean.f_m.weight"] {
            assert_eq!(
                weights.tensors[&format!("members.{member}.{name}")],
                vae_weights.tensors[&format!("Encoder.{name}")],
                "member {member}: {name}"
            );
        }
    }
    // The heads keep their own, different values.
    assert_ne!(
        weights.tensors["members.0.Accuracy.lin_layers.0.weight"],
        weights.tensors["members.1.Accuracy.lin_layers.0.weight"]
    );

    let wide = PredictorConfig::new(EncoderConfig::new().with_node_dim(40).with_graph_dim(32)).init(&device);
    let error = vsgae::training::predictor::with_vsgae_encoder(wide, dir.path(), &device).unwrap_err();
    assert!(error.to_string().contains("weights.safetensors") && error.to_string().contains("shape"), "{error}");
    let missing = tempfile::tempdir().unwrap();
    let error =
        vsgae::training::predictor::with_vsgae_encoder(config.init(&device), missing.path(), &device).unwrap_err();
    assert!(error.to_string().contains("weights.safetensors"), "{error}");
}

#[test]
fn a_screened_ranking_screens_every_cell_then_the_ensemble_predicts_the_best() {
    use vsgae::inference::predict_with_spread;
    use vsgae::inference::{Phase, Screening};
    let device = Device::flex();
    let encoder = EncoderConfig::new().with_node_dim(16).with_graph_dim(16);
    let ensemble = PredictorConfig::new(encoder).with_ensemble_size(Some(3)).init_seeded(&device, 2).unwrap();
    let cells: Vec<nasbench::Cell> = small_space().cells[..50].to_vec();
    let mut phases = Vec::new();
    let screening = Screening { share: 0.1 };
    let (ranked, rescored) = block_on(Screening::rank(Some(screening), &ensemble, &cells, 7, |model, part, phase| {
        phases.push((phase, model.members.len(), part.len()));
        let predicted = predict_with_spread(&model, &part, &device);
        async move { predicted }
    }))
    .unwrap();
    // The screen (one network) on all 50, then the whole ensemble on the best 7 (more than 10 %).
    assert_eq!(phases, vec![(Phase::Screen, 1, 50), (Phase::Ensemble, 3, 7)]);
    assert_eq!(rescored, 7);
    let screen = predict_with_spread(&Screening::screen(&ensemble).unwrap(), &cells, &device).unwrap();
    let whole = predict_with_spread(&ensemble, &cells, &device).unwrap();
    let best = screening.candidates(&screen, 7);
    for k in 0..cells.len() {
        if best.contains(&k) {
            // Predicted in another batch than `whole`'s: equal up to rounding.
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
            assert!(close(ranked[k].mean, whole[k].mean) && close(ranked[k].spread, whole[k].spread), "cell {k}");
        } else {
            assert_eq!(ranked[k], screen[k], "cell {k} keeps the screen's prediction");
        }
    }
    assert!(best.iter().all(|&k| ranked[k].spread > 0.0), "the best cells carry the ensemble's spread");
    // Without screening, the whole ensemble predicts every cell once.
    let mut phases = Vec::new();
    let (plain, rescored) = block_on(Screening::rank(None, &ensemble, &cells, 7, |model, part, phase| {
        phases.push((phase, model.members.len(), part.len()));
        let predicted = predict_with_spread(&model, &part, &device);
        async move { predicted }
    }))
    .unwrap();
    assert_eq!(phases, vec![(Phase::Everything, 3, 50)]);
    assert_eq!((plain, rescored), (whole, 50));
}

#[test]
fn an_ensemble_predicts_its_members_mean_with_their_spread() {
    let device = Device::flex();
    let encoder = EncoderConfig::new().with_node_dim(16).with_graph_dim(16);
    let ensemble = PredictorConfig::new(encoder.clone()).with_ensemble_size(Some(3)).init_seeded(&device, 1).unwrap();
    let cells: Vec<nasbench::Cell> = small_space().cells[..40].to_vec();
    let predictions = vsgae::inference::predict_with_spread(&ensemble, &cells, &device).unwrap();
    let members: Vec<Vec<f64>> = (0..ensemble.members.len())
        .map(|k| predict(&ensemble.subset(&[k]).unwrap(), &cells, &device).unwrap())
        .collect();
    for (k, prediction) in predictions.iter().enumerate() {
        let values: Vec<f64> = members.iter().map(|m| m[k]).collect();
        let mean = values.iter().sum::<f64>() / 3.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((prediction.mean - mean).abs() < 1e-12 && (prediction.spread - sd).abs() < 1e-12, "{prediction:?}");
        assert!(prediction.spread > 0.0, "members drawn from one seed must differ");
    }
    // One network keeps the reference's names; an ensemble's members are prefixed.
    let mut names = StateDict::default();
    ensemble.save(&mut names, "");
    assert!(names.tensors.keys().all(|name| name.starts_with("members.")));
    let mut single = StateDict::default();
    PredictorConfig::new(encoder).init(&device).save(&mut single, "");
    assert!(single.tensors.contains_key("NodeEmb.NodeInit.weight"));
}

#[test]
fn losses_are_read_back_at_logging_points_only_and_every_step_is_reported() {
    let data = small_space();
    let config = tiny_config(1).with_training_size(100);
    let mut session = PredictorSession::new(config, data, Device::flex().autodiff()).unwrap().with_log_every(4);
    let steps_per_epoch = session.steps_per_epoch();
    assert!(steps_per_epoch > 8, "{steps_per_epoch} steps");
    let mut steps_reported = Vec::new();
    let counting = vsgae::device_counts::Counting::start();
    for step in 1..=7 {
        block_on(session.step(&mut |event| {
            if let TrainingEvent::Step { step, loss, .. } = event {
                assert!(loss.is_finite());
                steps_reported.push(step);
            }
        }))
        .unwrap();
        // Reported in fours, when they are read.
        assert_eq!(steps_reported.len(), step / 4 * 4, "after step {step}");
    }
    block_on(session.read_losses(&mut |event| {
        if let TrainingEvent::Step { step, .. } = event {
            steps_reported.push(step);
        }
    }))
    .unwrap();
    assert_eq!(steps_reported, (1..=7).collect::<Vec<_>>());
    // Other tests read back on other threads meanwhile: at least this run's two reads, and far
    // fewer than one a step when this test runs alone.
    assert!(counting.finish().readbacks >= 2);
}

#[test]
fn a_checkpoint_counts_the_losses_not_read_yet() {
    let data = small_space();
    let run = |log_every: usize| {
        let mut session = PredictorSession::new(tiny_config(2), data.clone(), Device::flex().autodiff())
            .unwrap()
            .with_log_every(log_every);
        for _ in 0..3 {
            block_on(session.step(&mut |_| {})).unwrap();
        }
        let checkpoint = block_on(session.snapshot()).unwrap();
        serde_json::from_slice::<serde_json::Value>(&checkpoint.progress).unwrap()["within_epoch"].clone()
    };
    let (eager, lazy) = (run(1), run(100));
    assert_eq!(eager["loss_count"], lazy["loss_count"]);
    assert!(eager["loss_count"].as_u64().unwrap() > 0);
    assert_eq!(eager["loss_sum"], lazy["loss_sum"]);
}
