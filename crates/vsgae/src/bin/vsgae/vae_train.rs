//! `train-vae`: the VS-GAE trained on a dataset or the search space, with its learning curve.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use burn::tensor::Device;
use nasbench::Cell;
use nasbench::space::enumerate_space;
use serde::{Deserialize, Serialize};
use serde_json::json;
use vsgae::config::{
    EdgeContext, EdgeLoss, EdgePairing, KlReduction, LearningRateSchedule, MaskedMidpoints, MidpointDecoding,
};
use vsgae::evaluation::abilities::{CurveProbe, PriorDraws, test_abilities_with};
use vsgae::io::checkpoint::{read_json, write_json};
use vsgae::latent::fit::PriorFit;
use vsgae::latent::prior::LatentPrior;
use vsgae::training::{CheckpointFiles, StepOutcome, TrainingEvent, VsGaeSession};
use vsgae::{VsGae, VsGaeConfig, VsGaeTrainingConfig};

use crate::backend::Backend;
use crate::data::read_dataset;
use crate::progress::{MetricsLog, TrainingProgress};
use crate::vae_harness::HarnessArgs;

/// Where the cells come from; saved as `data.json` beside a trained model.
#[derive(Debug, Clone, clap::Args, Serialize, Deserialize)]
pub struct CellSource {
    /// Data files (any format), merged by hash.
    #[arg(long, num_args = 1.., conflicts_with = "space")]
    #[serde(default)]
    data: Vec<PathBuf>,
    /// The whole generated search space (423,624 cells).
    #[arg(long)]
    #[serde(default)]
    space: bool,
}

impl CellSource {
    pub(crate) fn cells(&self) -> anyhow::Result<Vec<Cell>> {
        if self.space {
            return Ok(enumerate_space().into_iter().map(|c| c.cell).collect());
        }
        anyhow::ensure!(!self.data.is_empty(), "give --data FILE... or --space");
        Ok(read_dataset(&self.data)?.records().iter().map(|r| r.cell).collect())
    }
}

/// A model folder's cells (its `data.json`) and its 90/10 split of them: the cells, then the
/// indices of the training and the held-out ones.
pub(crate) fn model_cells(dir: &Path, seed: u64) -> anyhow::Result<(Vec<Cell>, Vec<usize>, Vec<usize>)> {
    let source: CellSource = read_json(&dir.join("data.json"))?;
    let cells = source.cells()?;
    let (train, test) = vsgae::training::vae::vae_split(cells.len(), seed);
    Ok((cells, train, test))
}

#[derive(Debug, clap::Args)]
pub struct TrainVaeArgs {
    #[command(flatten)]
    source: CellSource,
    #[command(flatten)]
    size: crate::ModelSize,
    #[arg(long, default_value_t = crate::defaults::vsgae().epochs)]
    epochs: usize,
    #[arg(long, default_value_t = crate::defaults::vsgae().batch_size)]
    batch_size: usize,
    #[arg(long, default_value_t = crate::defaults::vsgae().learning_rate)]
    lr: f64,
    #[arg(long, default_value_t = crate::defaults::vsgae().seed)]
    seed: u64,
    #[command(flatten)]
    recipe: Recipe,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Threads a batch is split over (default: every core on the CPU backend, one on a GPU).
    #[arg(long)]
    threads: Option<usize>,
    #[arg(long, default_value_t = crate::defaults::vsgae().checkpoint_every)]
    checkpoint_every: usize,
    /// Stop (with a checkpoint) once the run has seen this many training graphs; `--resume`
    /// continues it.
    #[arg(long)]
    max_graphs: Option<usize>,
    #[command(flatten)]
    harness: HarnessArgs,
    /// Continue the run checkpointed in this directory.
    #[arg(long, conflicts_with = "warm_start")]
    resume: Option<PathBuf>,
    /// Start a new run from the weights of this model folder (`data/vsgae`, or a run's
    /// folder): its architecture and these options' recipe, a fresh optimiser and schedule. The
    /// seed must be the folder's, so its held-out cells stay held out. `warm_start.json` in
    /// `--out` records where the weights came from and what they had seen.
    #[arg(long)]
    warm_start: Option<PathBuf>,
    /// Run the ability tests at the end, as the reference's --test.
    #[arg(long)]
    test: bool,
    /// Latent points for the validity test.
    #[arg(long, default_value_t = 1000)]
    prior_points: usize,
    /// The run's folder (a resumed run stays in its own).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
}

/// Departures from the reference's training (each a named option; the defaults are the
/// reference's).
#[derive(Debug, Clone, clap::Args)]
pub struct Recipe {
    /// Which graph vector and latent the edge head pairs with each candidate in training.
    #[arg(long, value_enum, default_value_t = EdgePairing::Reference)]
    edge_pairing: EdgePairing,
    /// How a step's edge losses combine.
    #[arg(long, value_enum, default_value_t = EdgeLoss::Mean)]
    edge_loss: EdgeLoss,
    /// What the edge head reads of the partial graph beside the node states (counts: its edge
    /// and vertex counts and whether each candidate has a successor, through a map that starts
    /// at zero, so a warm start from a model without it begins as that model). Default: the
    /// warm-start model's, else none (the reference).
    #[arg(long, value_enum)]
    edge_context: Option<EdgeContext>,
    /// The KL term's weight (default: the config's, the reference's 0.005).
    #[arg(long)]
    beta: Option<f64>,
    /// How the KL term gathers over a batch (mean: β weighs each graph alike at every batch size).
    #[arg(long, value_enum, default_value_t = KlReduction::Sum)]
    kl_reduction: KlReduction,
    /// β rises linearly from 0 over this many optimiser steps.
    #[arg(long)]
    beta_warmup_steps: Option<usize>,
    /// Scale of the reparameterisation noise in training, as a share of the posterior's
    /// deviation (default: the config's, the reference's 0.01). Wider noise trains the decoder
    /// on more of each latent's neighbourhood, where a prior's points land.
    #[arg(long)]
    noise_scale: Option<f64>,
    /// Hard-example replay: this share of each epoch's draws (0 to 0.9) goes to the training
    /// cells the decoder got wrong in the epoch before; default none, every cell once an epoch.
    #[arg(long)]
    replay_share: Option<f64>,
    /// Masked-midpoint distillation: each step also decodes points between pairs of its cells'
    /// latents under NAS-Bench-101's rules and adds this weight times the reconstruction loss of
    /// those cells at those points; default none.
    #[arg(long)]
    midpoint_weight: Option<f64>,
    /// Masked-midpoint distillation's points per batch cell (0 to 1).
    #[arg(long, requires = "midpoint_weight", default_value_t = 0.25)]
    midpoint_share: f64,
    /// How masked-midpoint distillation decodes its points (greedy: the most likely cell, which
    /// near a training latent is that training cell).
    #[arg(long, value_enum, requires = "midpoint_weight", default_value_t = MidpointDecoding::Sample)]
    midpoint_decoding: MidpointDecoding,
    #[command(flatten)]
    schedule: crate::ScheduleOptions,
}

impl Recipe {
    fn apply(&self, config: VsGaeTrainingConfig) -> VsGaeTrainingConfig {
        let mut config = config
            .with_schedule(Some(self.schedule.schedule(LearningRateSchedule::Plateau)))
            .with_beta_warmup_steps(self.beta_warmup_steps)
            .with_replay_share(self.replay_share)
            .with_masked_midpoints(self.midpoint_weight.map(|weight| {
                MaskedMidpoints::new(self.midpoint_share, weight).with_decoding(Some(self.midpoint_decoding))
            }));
        let beta = self.beta.unwrap_or(config.model.beta);
        let noise_scale = self.noise_scale.unwrap_or(config.model.noise_scale);
        let edge_context = self.edge_context.or(config.model.edge_context);
        config.model = config
            .model
            .with_edge_pairing(Some(self.edge_pairing))
            .with_edge_loss(Some(self.edge_loss))
            .with_kl_reduction(Some(self.kl_reduction))
            .with_edge_context(edge_context)
            .with_beta(beta)
            .with_noise_scale(noise_scale);
        config
    }
}

/// Where a warm-started run's weights came from (`warm_start.json` in its folder).
const WARM_START_FILE: &str = "warm_start.json";

/// A model folder a new run starts from.
struct WarmStart {
    config: VsGaeTrainingConfig,
    weights: vsgae::io::state_dict::StateDict,
    record: serde_json::Value,
}

impl WarmStart {
    fn read(dir: &Path) -> anyhow::Result<Self> {
        let config: VsGaeTrainingConfig = read_json(&dir.join("config.json"))?;
        config.validate().with_context(|| format!("{}: config.json", dir.display()))?;
        let weights = crate::convert::read_weights(&dir.join("weights.safetensors"))?;
        // What the weights had seen: the folder's run and the runs it was warm-started from.
        let results: serde_json::Value = read_json(&dir.join("results.json")).unwrap_or(serde_json::Value::Null);
        let earlier: serde_json::Value = read_json(&dir.join(WARM_START_FILE)).unwrap_or(serde_json::Value::Null);
        let total = |key: &str, earlier_key: &str| {
            results[key].as_f64().unwrap_or(0.0) + earlier[earlier_key].as_f64().unwrap_or(0.0)
        };
        let record = json!({
            "from": dir.display().to_string(),
            "graphs_seen_before": total("graphs_seen", "graphs_seen_before"),
            "wall_seconds_before": total("wall_seconds", "wall_seconds_before"),
            "origin_config": config,
            "origin_results": results,
            "origin_warm_start": earlier,
        });
        Ok(Self { config, weights, record })
    }

    /// The folder's model, checked to share the new run's split seed.
    fn model_config(&self, seed: u64) -> anyhow::Result<VsGaeConfig> {
        anyhow::ensure!(
            self.config.seed == seed,
            "--warm-start's model was trained with --seed {} (its 90/10 split); give the same seed, or its held-out cells would be trained on",
            self.config.seed
        );
        Ok(self.config.model.clone())
    }
}

/// Training cells whose latent means set the learning curve's prior.
const CURVE_PRIOR_CELLS: usize = 2000;

pub fn train(args: TrainVaeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = args.backend.device(true)?;
    let (source, out) = match &args.resume {
        Some(dir) => {
            if let Some(out) = args.out.as_ref().filter(|&out| out != dir) {
                anyhow::bail!(
                    "--out {} is not the resumed run's folder {}: a run goes on in its own folder",
                    out.display(),
                    dir.display()
                );
            }
            (read_json::<CellSource>(&dir.join("data.json"))?, dir.clone())
        }
        None => (args.source.clone(), args.out.clone().context("--out names the run's folder")?),
    };
    let cells = Arc::new(source.cells()?);
    let session = match &args.resume {
        Some(dir) => VsGaeSession::resume(dir, cells.clone(), device)?,
        None => {
            let origin = args.warm_start.as_deref().map(WarmStart::read).transpose()?;
            let model = match &origin {
                Some(origin) => origin.model_config(args.seed)?,
                None => VsGaeConfig::new(args.size.encoder()),
            };
            let config = args.recipe.apply(
                VsGaeTrainingConfig::new(model)
                    .with_epochs(args.epochs)
                    .with_batch_size(args.batch_size)
                    .with_learning_rate(args.lr)
                    .with_seed(args.seed)
                    .with_checkpoint_every(args.checkpoint_every),
            );
            std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
            write_json(&out.join("data.json"), &source)?;
            write_json(&CheckpointFiles::new(&out).config(), &config)?;
            let session = match origin {
                Some(origin) => {
                    write_json(&out.join(WARM_START_FILE), &origin.record)?;
                    let mut weights = origin.weights;
                    config.model.add_absent_parameters(&mut weights);
                    VsGaeSession::warm_start(config, cells.clone(), weights, device)?
                }
                None => VsGaeSession::new(config, cells.clone(), device)?,
            };
            session.with_checkpoints(&out)
        }
    };
    if args.resume.is_some() && !session.optimizer_restored() {
        tracing::warn!(
            "Adam's state was not restored: the checkpoint has none, or it predates the current parameter layout"
        );
    }
    let harness = args.harness.resolve(&out, args.resume.is_some())?;
    let mut session = session.with_step_checkpoints(harness.checkpoint_steps);
    if let Some(threads) = args.threads {
        session = session.with_threads(threads);
    }
    let (train, test) = {
        let (train, test) = session.task().split();
        (train.to_vec(), test.to_vec())
    };
    let probe = CurveProbe {
        held_out: test.iter().take(harness.curve_cells).map(|&i| cells[i]).collect(),
        prior_cells: train.iter().take(CURVE_PRIOR_CELLS).map(|&i| cells[i]).collect(),
        samples: harness.curve_samples,
        prior_points: harness.curve_prior_points,
    };
    let mut progress = TrainingProgress::new();
    let mut log = MetricsLog::new(out.join("metrics.jsonl"), session.history(), session.global_step());
    // Training time of the earlier parts of a resumed run.
    let earlier_seconds = log.last_evaluation("train_seconds").unwrap_or(0.0);
    let mut curve_rng = nasbench::split::rng(args.seed.wrapping_add(23));
    // Graphs the warm start's weights had seen before this run, so curves continue across runs.
    let seen_before = read_json::<serde_json::Value>(&out.join(WARM_START_FILE))
        .ok()
        .and_then(|record| record["graphs_seen_before"].as_f64())
        .unwrap_or(0.0) as usize;
    let mut evaluation_seconds = 0.0;
    loop {
        let outcome = vsgae::readback::block_on(session.step(&mut |event: TrainingEvent| {
            progress.event(&event);
            log.event(&event);
        }))?;
        if outcome == StepOutcome::Finished {
            break;
        }
        let step = session.global_step();
        if harness.evaluate_every > 0 && step.is_multiple_of(harness.evaluate_every) {
            let measured = Instant::now();
            let model = session.model();
            let point = probe.measure(&model, &session.config().model, &model_device(&model), &mut curve_rng)?;
            let seconds = measured.elapsed().as_secs_f64();
            evaluation_seconds += seconds;
            let mut line = serde_json::to_value(&point)?;
            line["step"] = json!(step);
            line["graphs_seen"] = json!(session.items_seen());
            line["graphs_seen_total"] = json!(seen_before + session.items_seen());
            line["epochs"] = json!(session.items_seen() as f64 / train.len().max(1) as f64);
            line["learning_rate"] = json!(session.learning_rate());
            line["train_seconds"] = json!(earlier_seconds + started.elapsed().as_secs_f64() - evaluation_seconds);
            line["evaluation_seconds"] = json!(seconds);
            tracing::info!(
                step,
                reconstruction = point.sampled.by_hash,
                greedy = point.greedy.by_hash,
                validity = point.validity_nasbench,
                loss = point.held_out_loss,
                seconds,
                "curve"
            );
            log.evaluation(line);
            if let Some(plot) = &harness.plot {
                crate::plot::learning_curves(plot, std::slice::from_ref(&out))?;
            }
        }
        if args.max_graphs.is_some_and(|max| session.items_seen() >= max) {
            session.checkpoint(&out)?;
            tracing::info!(graphs = session.items_seen(), "stopped at --max-graphs; --resume continues");
            break;
        }
    }
    log.finish()?;
    let mut results = json!({
        "epochs": session.epochs_done(),
        "graphs_seen": session.items_seen(),
        "cells": cells.len(),
        "last": session.history().last(),
        "backend": args.backend,
        "threads": session.threads(),
        "wall_seconds": started.elapsed().as_secs_f64(),
    });
    if args.test {
        let model = session.model();
        let training: Vec<Cell> = train.iter().map(|&i| cells[i]).collect();
        let mut rng = nasbench::split::rng(args.seed.wrapping_add(29));
        let noise_scale = session.config().model.noise_scale;
        let prior =
            LatentPrior::fit(&PriorFit::default(), &model, &training, noise_scale, &model_device(&model), &mut rng)?;
        let draws = PriorDraws { points: args.prior_points, prior: &prior };
        let abilities = run_abilities(&model, &cells, &train, &test, draws, session.config(), args.seed)?;
        results["abilities"] = serde_json::to_value(abilities)?;
    }
    write_json(&out.join("results.json"), &results)?;
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(())
}

pub(crate) fn run_abilities(
    model: &VsGae,
    cells: &[Cell],
    train: &[usize],
    test: &[usize],
    draws: PriorDraws<'_>,
    config: &VsGaeTrainingConfig,
    seed: u64,
) -> anyhow::Result<vsgae::evaluation::abilities::Abilities> {
    let device = model_device(model);
    let train: Vec<Cell> = train.iter().map(|&i| cells[i]).collect();
    let test: Vec<Cell> = test.iter().map(|&i| cells[i]).collect();
    let mut rng = nasbench::split::rng(seed.wrapping_add(17));
    Ok(test_abilities_with(model, &train, &test, draws, &config.model, &device, &mut rng)?)
}

pub(crate) fn model_device(model: &VsGae) -> Device {
    model.decoder.add_out.weight.val().device()
}

pub(crate) fn load_vae(dir: &Path, device: &Device) -> anyhow::Result<(VsGaeTrainingConfig, VsGae)> {
    Ok(vsgae::io::model_files::load_from_dir::<VsGae>(dir, device)?)
}
