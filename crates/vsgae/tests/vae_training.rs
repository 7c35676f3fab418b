//! The VS-GAE training loop: its loss falls, and a resumed run equals an uninterrupted one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use burn::tensor::Device;
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use vsgae::config::{KlReduction, MaskedMidpoints};
use vsgae::readback::block_on;
use vsgae::training::VsGaeSession;
use vsgae::{EncoderConfig, Latent, ReferenceParams, StateDict, VsGaeConfig, VsGaeTrainingConfig};

fn cells() -> Arc<Vec<Cell>> {
    Arc::new((2..=4).flat_map(enumerate_vertices).map(|c| c.cell).collect())
}

fn config(epochs: usize) -> VsGaeTrainingConfig {
    VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8)))
        .with_epochs(epochs)
        .with_batch_size(16)
        .with_learning_rate(3e-3)
        .with_checkpoint_every(1)
        .with_seed(5)
}

fn weights(session: &VsGaeSession) -> StateDict {
    let mut out = StateDict::default();
    session.model().save(&mut out, "");
    out
}

#[test]
fn the_vae_loss_falls() {
    let mut session = VsGaeSession::new(config(4), cells(), Device::flex().autodiff()).unwrap();
    session.run(&mut |_| {}).unwrap();
    let history = session.history();
    let (first, last) = (history[0].train_loss, history[3].train_loss);
    assert!(last < first * 0.8, "training loss went from {first} to {last}");
    assert!(history[3].held_out_loss.unwrap().is_finite());
}

#[test]
fn a_resumed_vae_run_equals_an_uninterrupted_one() {
    resumed_equals_straight(2);
}

#[test]
fn a_resumed_vae_run_on_one_thread_equals_an_uninterrupted_one() {
    resumed_equals_straight(1);
}

/// Five shards: their gradients are added in a tree of three levels, one shard waiting a level.
#[test]
fn a_resumed_vae_run_on_five_threads_equals_an_uninterrupted_one() {
    resumed_equals_straight(5);
}

fn resumed_equals_straight(threads: usize) {
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = VsGaeSession::new(config(3), cells(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(straight_dir.path())
        .with_threads(threads);
    straight.run(&mut |_| {}).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut first = VsGaeSession::new(config(3), cells(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(dir.path())
        .with_threads(threads);
    while first.epochs_done() < 2 {
        block_on(first.step(&mut |_| {})).unwrap();
    }
    drop(first);
    let mut resumed =
        VsGaeSession::resume(dir.path(), cells(), Device::flex().autodiff()).unwrap().with_threads(threads);
    resumed.run(&mut |_| {}).unwrap();
    let json = |s: &VsGaeSession| serde_json::to_string(s.history()).unwrap();
    assert_eq!(json(&resumed), json(&straight));
    assert_eq!(weights(&resumed), weights(&straight));
}

#[test]
fn a_vae_run_killed_mid_epoch_resumes_from_its_step_checkpoint() {
    killed_mid_epoch_resumes(config(2));
}

/// With hard-example replay the second epoch draws the first's wrong cells again, and a run
/// killed inside it resumes with them (they are part of the checkpoint).
#[test]
fn a_replaying_vae_run_killed_mid_epoch_resumes_with_its_hard_cells() {
    let replaying = config(2).with_replay_share(Some(0.3));
    let mut one_epoch = VsGaeSession::new(replaying.clone(), cells(), Device::flex().autodiff()).unwrap();
    while one_epoch.epochs_done() < 1 {
        block_on(one_epoch.step(&mut |_| {})).unwrap();
    }
    let hard = &one_epoch.state().hard_cells;
    let train = one_epoch.task().split().0.len();
    // A model this small gets most cells wrong after one epoch (which cells: the unit tests).
    assert!(
        !hard.last_epoch.is_empty() && hard.last_epoch.len() <= train,
        "{} of {train} wrong",
        hard.last_epoch.len()
    );
    let straight = killed_mid_epoch_resumes(replaying);
    let mut plain = VsGaeSession::new(config(2), cells(), Device::flex().autodiff()).unwrap();
    plain.run(&mut |_| {}).unwrap();
    assert_eq!(plain.history()[0], straight.history()[0], "the first epoch draws every cell once");
    assert_ne!(plain.history()[1], straight.history()[1], "the second replays the hard cells");
}

/// Runs `config` straight, and again killed three steps into its second epoch and resumed from
/// the step checkpoint after its second step; both end alike. Returns the straight run.
fn killed_mid_epoch_resumes(config: VsGaeTrainingConfig) -> VsGaeSession {
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = VsGaeSession::new(config.clone(), cells(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(straight_dir.path());
    straight.run(&mut |_| {}).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut first = VsGaeSession::new(config, cells(), Device::flex().autodiff())
        .unwrap()
        .with_checkpoints(dir.path())
        .with_step_checkpoints(2);
    let mut checkpoints = Vec::new();
    while first.epochs_done() < 1 {
        block_on(first.step(&mut |_| {})).unwrap();
    }
    // Three steps into the second epoch; the step checkpoint after the second one survives.
    for _ in 0..3 {
        block_on(first.step(&mut |event| {
            if let vsgae::training::TrainingEvent::Checkpoint { epoch, .. } = event {
                checkpoints.push(epoch);
            }
        }))
        .unwrap();
    }
    assert_eq!(checkpoints, vec![1], "one step checkpoint inside the second epoch");
    drop(first);
    let mut resumed = VsGaeSession::resume(dir.path(), cells(), Device::flex().autodiff()).unwrap();
    assert_eq!(resumed.epochs_done(), 1);
    resumed.run(&mut |_| {}).unwrap();
    let json = |s: &VsGaeSession| serde_json::to_string(s.history()).unwrap();
    assert_eq!(json(&resumed), json(&straight));
    assert_eq!(weights(&resumed), weights(&straight));
    assert_eq!(resumed.state(), straight.state());
    straight
}

#[test]
fn the_kl_term_as_a_mean_over_the_batch_is_the_sum_over_its_size() {
    let device = Device::flex();
    let config = config(1).model;
    let model = config.init(&device);
    let cells = cells();
    let refs: Vec<&Cell> = cells.iter().take(12).collect();
    let batch = vsgae::model::batch::GraphBatch::new(&refs, &device);
    let targets = vsgae::VsGae::targets(&refs, &device);
    let kl =
        |config: &VsGaeConfig| vsgae::readback::scalar(model.loss(&batch, &targets, Latent::Mean, config).kl).unwrap();
    let mean = config.clone().with_kl_reduction(Some(KlReduction::Mean));
    let (summed, averaged) = (kl(&config), kl(&mean));
    assert!(summed > 0.0);
    assert!((averaged - summed / 12.0).abs() <= 1e-6 * summed, "{averaged} vs {summed}");
}

#[test]
fn a_beta_warm_up_lowers_the_first_steps_loss_by_the_kl_term() {
    let device = Device::flex().autodiff();
    let first_loss = |config: VsGaeTrainingConfig| {
        let mut session = VsGaeSession::new(config, cells(), device.clone()).unwrap();
        let mut loss = None;
        block_on(session.step(&mut |event| {
            if let vsgae::training::TrainingEvent::Step { loss: value, .. } = event {
                loss = Some(value);
            }
        }))
        .unwrap();
        loss.unwrap()
    };
    let mut big_beta = config(1);
    big_beta.model = big_beta.model.with_beta(50.0);
    let plain = first_loss(big_beta.clone());
    let warm = first_loss(big_beta.with_beta_warmup_steps(Some(1000)));
    assert!(warm < plain, "{warm} vs {plain}");
}

#[test]
fn padding_a_batch_to_the_largest_cell_changes_no_latent() {
    let device = Device::flex();
    let model = config(1).model.init(&device);
    let cells = cells();
    let refs: Vec<&Cell> = cells.iter().take(20).collect();
    let plain = vsgae::model::batch::GraphBatch::new(&refs, &device);
    let padded = vsgae::model::batch::GraphBatch::at_least(&refs, 7, &device);
    assert_eq!((plain.nodes(), padded.nodes()), (4, 7));
    let (mean, _) = model.encoder.forward(&plain);
    let (padded_mean, _) = model.encoder.forward(&padded);
    assert_eq!(vsgae::readback::floats(mean).unwrap(), vsgae::readback::floats(padded_mean).unwrap());
}

#[test]
fn a_warm_started_run_starts_from_the_given_weights_and_trains_them() {
    let mut first = VsGaeSession::new(config(1), cells(), Device::flex().autodiff()).unwrap();
    first.run(&mut |_| {}).unwrap();
    let trained = weights(&first);
    // Another seed would initialise other weights: the warm start must replace them all.
    let warm = VsGaeSession::warm_start(config(2), cells(), trained.clone(), Device::flex().autodiff()).unwrap();
    assert_eq!(weights(&warm), trained);
    assert_eq!((warm.global_step(), warm.items_seen()), (0, 0), "the schedule and the epochs start afresh");
    let fresh = VsGaeSession::new(config(2), cells(), Device::flex().autodiff()).unwrap();
    assert_ne!(weights(&fresh), trained);
    let mut warm = warm;
    warm.run(&mut |_| {}).unwrap();
    assert_ne!(weights(&warm), trained, "the warm-started run trains");
    // Weights of another shape are refused, naming what does not fit.
    let wider = VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new().with_node_dim(32).with_graph_dim(8)));
    let error = VsGaeSession::warm_start(wider, cells(), trained, Device::flex().autodiff()).unwrap_err().to_string();
    assert!(error.contains("has shape") && error.contains("expected"), "{error}");
}

/// Masked-midpoint distillation adds a positive term to every step's loss (weight 0 adds
/// nothing), trains, and a run with it killed mid-epoch resumes as if it never stopped.
#[test]
fn masked_midpoints_add_their_loss_and_a_run_with_them_resumes() {
    let with = |weight: f64| config(1).with_masked_midpoints(Some(MaskedMidpoints::new(0.5, weight)));
    let first_epoch = |config: VsGaeTrainingConfig| {
        let mut session = VsGaeSession::new(config, cells(), Device::flex().autodiff()).unwrap();
        session.run(&mut |_| {}).unwrap();
        session.history()[0].train_loss
    };
    let plain = first_epoch(config(1));
    assert_eq!(first_epoch(with(0.0)), plain, "weight 0 leaves the loss as it is");
    let distilled = first_epoch(with(1.0));
    assert!(distilled.is_finite() && distilled > plain * 1.2, "{distilled} against {plain}");
    killed_mid_epoch_resumes(config(2).with_masked_midpoints(Some(MaskedMidpoints::new(0.5, 1.0))));
}
