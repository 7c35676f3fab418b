//! `train-vae`, `test-vae`, `encode`, `decode` and `interpolate`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use burn::tensor::{Device, Tensor, TensorData};
use nasbench::Cell;
use nasbench::space::enumerate_space;
use npyz::WriterBuilder as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use vsgae::config::{EdgeLoss, EdgePairing, KlReduction, LearningRateSchedule};
use vsgae::evaluation::abilities::{CurveProbe, PriorDraws, PriorKind, encode_means, test_abilities_with};
use vsgae::io::checkpoint::{read_json, write_atomically, write_json};
use vsgae::latent::{Interpolation, interpolate};
use vsgae::model::decoding::{DecodeMode, DecodedGraph};
use vsgae::training::vae::vae_split;
use vsgae::training::{CheckpointFiles, StepOutcome, TrainingEvent, VaeSession};
use vsgae::{ReferenceParams, VsGae, VsGaeConfig, VsGaeTrainingConfig};

use crate::backend::Backend;
use crate::data::read_dataset;
use crate::progress::{MetricsLog, TrainingProgress};

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
    fn cells(&self) -> anyhow::Result<Vec<Cell>> {
        if self.space {
            return Ok(enumerate_space().into_iter().map(|c| c.cell).collect());
        }
        anyhow::ensure!(!self.data.is_empty(), "give --data FILE... or --space");
        Ok(read_dataset(&self.data)?.records().iter().map(|r| r.cell).collect())
    }
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
    /// Also checkpoint every this many steps inside an epoch (0: only between epochs), so a
    /// killed run on the whole search space loses at most that many steps.
    #[arg(long, default_value_t = 0)]
    checkpoint_steps: usize,
    /// Stop (with a checkpoint) once the run has seen this many training graphs; `--resume`
    /// continues it.
    #[arg(long)]
    max_graphs: Option<usize>,
    #[command(flatten)]
    curve: CurveArgs,
    /// Continue the run checkpointed in this directory.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Run the ability tests at the end, as the reference's --test.
    #[arg(long)]
    test: bool,
    /// Latent points for the validity test.
    #[arg(long, default_value_t = 1000)]
    prior_points: usize,
    #[arg(long)]
    out: PathBuf,
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
    /// The KL term's weight (default: the config's, the reference's 0.005).
    #[arg(long)]
    beta: Option<f64>,
    /// How the KL term gathers over a batch (mean: β weighs each graph alike at every batch size).
    #[arg(long, value_enum, default_value_t = KlReduction::Sum)]
    kl_reduction: KlReduction,
    /// β rises linearly from 0 over this many optimiser steps.
    #[arg(long)]
    beta_warmup_steps: Option<usize>,
    #[command(flatten)]
    schedule: crate::ScheduleOptions,
}

impl Recipe {
    fn apply(&self, config: VsGaeTrainingConfig) -> VsGaeTrainingConfig {
        let mut config = config
            .with_schedule(Some(self.schedule.schedule(LearningRateSchedule::Plateau)))
            .with_beta_warmup_steps(self.beta_warmup_steps);
        let beta = self.beta.unwrap_or(config.model.beta);
        config.model = config
            .model
            .with_edge_pairing(Some(self.edge_pairing))
            .with_edge_loss(Some(self.edge_loss))
            .with_kl_reduction(Some(self.kl_reduction))
            .with_beta(beta);
        config
    }
}

/// The learning-curve harness of `train-vae`.
#[derive(Debug, Clone, clap::Args)]
pub struct CurveArgs {
    /// Every this many steps, measure the model on fixed held-out cells (reconstruction,
    /// sampled and greedy, and prior validity) into metrics.jsonl; 0 never.
    #[arg(long, default_value_t = 0)]
    evaluate_every: usize,
    /// Held-out cells of the measurement (the first ones of the test split).
    #[arg(long, default_value_t = 200)]
    curve_cells: usize,
    /// Sampled decodings of each held-out cell.
    #[arg(long, default_value_t = 5)]
    curve_samples: usize,
    /// Prior points decoded for validity.
    #[arg(long, default_value_t = 200)]
    curve_prior_points: usize,
    /// Redraw reconstruction against graphs seen into this PNG after each measurement.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// Training cells whose latent means set the learning curve's prior.
const CURVE_PRIOR_CELLS: usize = 2000;

pub fn train(args: TrainVaeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = args.backend.device(true)?;
    let (source, out) = match &args.resume {
        Some(dir) => (read_json::<CellSource>(&dir.join("data.json"))?, dir.clone()),
        None => (args.source.clone(), args.out.clone()),
    };
    let cells = Arc::new(source.cells()?);
    let session = match &args.resume {
        Some(dir) => VaeSession::resume(dir, cells.clone(), device)?,
        None => {
            let config = args.recipe.apply(
                VsGaeTrainingConfig::new(VsGaeConfig::new(args.size.encoder()))
                    .with_epochs(args.epochs)
                    .with_batch_size(args.batch_size)
                    .with_learning_rate(args.lr)
                    .with_seed(args.seed)
                    .with_checkpoint_every(args.checkpoint_every),
            );
            std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
            write_json(&out.join("data.json"), &source)?;
            write_json(&CheckpointFiles::new(&out).config(), &config)?;
            VaeSession::new(config, cells.clone(), device)?.with_checkpoints(&out)
        }
    };
    if args.resume.is_some() && !session.optimizer_restored() {
        tracing::warn!(
            "Adam's state was not restored: the checkpoint has none, or it predates the current parameter layout"
        );
    }
    let mut session = session.with_step_checkpoints(args.checkpoint_steps);
    if let Some(threads) = args.threads {
        session = session.with_threads(threads);
    }
    let (train, test) = {
        let (train, test) = session.task().split();
        (train.to_vec(), test.to_vec())
    };
    let probe = CurveProbe {
        held_out: test.iter().take(args.curve.curve_cells).map(|&i| cells[i]).collect(),
        prior_cells: train.iter().take(CURVE_PRIOR_CELLS).map(|&i| cells[i]).collect(),
        samples: args.curve.curve_samples,
        prior_points: args.curve.curve_prior_points,
    };
    let mut progress = TrainingProgress::new();
    let mut log = MetricsLog::new(out.join("metrics.jsonl"), session.history(), session.global_step());
    // Training time of the earlier parts of a resumed run.
    let earlier_seconds = log.last_evaluation("train_seconds").unwrap_or(0.0);
    let mut curve_rng = nasbench::split::rng(args.seed.wrapping_add(23));
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
        if args.curve.evaluate_every > 0 && step.is_multiple_of(args.curve.evaluate_every) {
            let measured = Instant::now();
            let model = session.model();
            let point = probe.measure(&model, &session.config().model, &model_device(&model), &mut curve_rng)?;
            let seconds = measured.elapsed().as_secs_f64();
            evaluation_seconds += seconds;
            let mut line = serde_json::to_value(&point)?;
            line["step"] = json!(step);
            line["graphs_seen"] = json!(session.items_seen());
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
            if let Some(plot) = &args.curve.plot {
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
        let abilities = run_abilities(
            &session.model(),
            &cells,
            &train,
            &test,
            PriorDraws { points: args.prior_points, kind: PriorKind::Fitted },
            session.config(),
            args.seed,
        )?;
        results["abilities"] = serde_json::to_value(abilities)?;
    }
    write_json(&out.join("results.json"), &results)?;
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(())
}

fn run_abilities(
    model: &VsGae,
    cells: &[Cell],
    train: &[usize],
    test: &[usize],
    draws: PriorDraws,
    config: &VsGaeTrainingConfig,
    seed: u64,
) -> anyhow::Result<vsgae::evaluation::abilities::Abilities> {
    let device = model_device(model);
    let train: Vec<Cell> = train.iter().map(|&i| cells[i]).collect();
    let test: Vec<Cell> = test.iter().map(|&i| cells[i]).collect();
    let mut rng = nasbench::split::rng(seed.wrapping_add(17));
    Ok(test_abilities_with(model, &train, &test, draws, &config.model, &device, &mut rng)?)
}

fn model_device(model: &VsGae) -> Device {
    model.decoder.add_out.weight.val().device()
}

fn load_vae(dir: &Path, device: &Device) -> anyhow::Result<(VsGaeTrainingConfig, VsGae)> {
    Ok(vsgae::io::model_files::load_from_dir::<VsGae>(dir, device)?)
}

#[derive(Debug, clap::Args)]
pub struct TestVaeArgs {
    /// A directory written by train-vae.
    #[arg(long)]
    model: PathBuf,
    #[arg(long, default_value_t = 1000)]
    prior_points: usize,
    /// Where the prior's points come from.
    #[arg(long, value_enum, default_value_t = PriorKind::Fitted)]
    prior: PriorKind,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reconstruct only the first this many held-out cells (each is decoded 100 times, so the
    /// 42,362 of the search space take over an hour on two CPU cores).
    #[arg(long)]
    limit: Option<usize>,
    /// Reconstruct these cells (any format) instead of the held-out ones.
    #[arg(long)]
    cells: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    #[arg(long)]
    json: bool,
}

pub fn test(args: TestVaeArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (config, model) = load_vae(&args.model, &device)?;
    let source: CellSource = read_json(&args.model.join("data.json"))?;
    let mut cells = source.cells()?;
    let (train, mut test) = vae_split(cells.len(), config.seed);
    if let Some(file) = &args.cells {
        // The given cells go after the training cells, as the test part.
        let given = read_dataset(std::slice::from_ref(file))?;
        test = (cells.len()..cells.len() + given.records().len()).collect();
        cells.extend(given.records().iter().map(|r| r.cell));
    }
    if let Some(limit) = args.limit {
        test.truncate(limit);
    }
    let abilities = run_abilities(
        &model,
        &cells,
        &train,
        &test,
        PriorDraws { points: args.prior_points, kind: args.prior },
        &config,
        args.seed,
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&abilities)?);
    } else {
        println!("                 exact   by hash");
        println!("reconstruction  {:.4}   {:.4}", abilities.reconstruction, abilities.reconstruction_isomorphic);
        println!(
            "validity        {:.4}   {:.4} (as NAS-Bench-101 cells)",
            abilities.validity, abilities.validity_nasbench
        );
        println!("uniqueness      {:.4}   {:.4}", abilities.uniqueness, abilities.uniqueness_isomorphic);
        println!("uniqueness of the points (one decoding each, by hash): {:.4}", abilities.uniqueness_of_points);
        println!("novelty         {:.4}   {:.4}", abilities.novelty, abilities.novelty_isomorphic);
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    #[arg(long)]
    model: PathBuf,
    /// The cells (any format).
    #[arg(long)]
    cells: PathBuf,
    /// `.npy` (float32, cells × 56) or `.csv` (hash, then the coordinates).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

pub fn encode(args: EncodeArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (_, model) = load_vae(&args.model, &device)?;
    let dataset = read_dataset(std::slice::from_ref(&args.cells))?;
    let cells: Vec<Cell> = dataset.records().iter().map(|r| r.cell).collect();
    let means = encode_means(&model, &cells, &device, 2048);
    let [rows, dim] = means.dims();
    let values = vsgae::readback::floats(means)?;
    let bytes = if args.out.extension().is_some_and(|e| e == "csv") {
        let mut text = String::from("hash");
        (0..dim).for_each(|d| text.push_str(&format!(",z{d}")));
        text.push('\n');
        for (record, row) in dataset.records().iter().zip(values.chunks(dim)) {
            text.push_str(&record.hash.to_string());
            row.iter().for_each(|v| text.push_str(&format!(",{v}")));
            text.push('\n');
        }
        text.into_bytes()
    } else {
        let mut out = Vec::new();
        let mut writer = npyz::WriteOptions::<f32>::new()
            .default_dtype()
            .shape(&[rows as u64, dim as u64])
            .writer(&mut out)
            .begin_nd()?;
        writer.extend(values.iter().copied())?;
        writer.finish()?;
        out
    };
    write_atomically(&args.out, &bytes)?;
    eprintln!("encoded {rows} cells into {}", args.out.display());
    Ok(())
}

fn graph_json(graph: &DecodedGraph) -> serde_json::Value {
    let cell = graph.to_cell();
    json!({
        "node_atts": graph.types,
        "edges": graph.edges,
        "valid": graph.is_valid(),
        "nasbench_cell": cell.is_some(),
        "hash": cell.map(|c| c.hash().to_string()),
    })
}

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    #[arg(long)]
    model: PathBuf,
    /// Latent points, a `.npy` of float32 (points × 56); without it, --random points from N(0, 1).
    #[arg(long)]
    latent: Option<PathBuf>,
    #[arg(long, default_value_t = 10)]
    random: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The most likely graph of each point instead of a sample.
    #[arg(long)]
    greedy: bool,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

fn decode_mode(greedy: bool) -> DecodeMode {
    if greedy { DecodeMode::Greedy } else { DecodeMode::Sample }
}

pub fn decode(args: DecodeArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (config, model) = load_vae(&args.model, &device)?;
    let dim = config.model.encoder.graph_dim;
    let mut rng = nasbench::split::rng(args.seed);
    let values: Vec<f32> = match &args.latent {
        Some(file) => {
            let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
            let npy = npyz::NpyFile::new(&bytes[..]).with_context(|| file.display().to_string())?;
            let shape = npy.shape().to_vec();
            anyhow::ensure!(
                shape.len() == 2 && shape[1] as usize == dim,
                "{}: expected points × {dim}, found {shape:?}",
                file.display()
            );
            npy.into_vec::<f32>().with_context(|| file.display().to_string())?
        }
        None => (0..args.random * dim).map(|_| vsgae::model::initialization::standard_normal(&mut rng)).collect(),
    };
    let points = values.len() / dim;
    let c = Tensor::<2>::from_data(TensorData::new(values, [points, dim]), &device);
    for graph in model.decoder.decode(c, config.model.max_nodes, decode_mode(args.greedy), &mut rng)? {
        println!("{}", graph_json(&graph));
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct InterpolateArgs {
    #[arg(long)]
    model: PathBuf,
    /// The hash of the first cell.
    #[arg(long)]
    from: nasbench::ModuleHash,
    /// The hash of the last cell.
    #[arg(long)]
    to: nasbench::ModuleHash,
    #[arg(long, default_value_t = 8)]
    steps: usize,
    #[arg(long)]
    spherical: bool,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The most likely graph of each point instead of a sample.
    #[arg(long)]
    greedy: bool,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

pub fn interpolate_cells(args: InterpolateArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (config, model) = load_vae(&args.model, &device)?;
    // The two cells, found in the search space by hash.
    let space = enumerate_space();
    let find = |hash: nasbench::ModuleHash| {
        space
            .iter()
            .find(|c| c.hash == hash)
            .map(|c| c.cell)
            .with_context(|| format!("no cell of the search space has hash {hash}"))
    };
    let ends = [find(args.from)?, find(args.to)?];
    let means = encode_means(&model, &ends, &device, 2);
    let dim = config.model.encoder.graph_dim;
    let values = vsgae::readback::floats(means)?;
    let how = if args.spherical { Interpolation::Spherical } else { Interpolation::Linear };
    let path = interpolate(&values[..dim], &values[dim..], args.steps, how);
    let flat: Vec<f32> = path.iter().flatten().copied().collect();
    let c = Tensor::<2>::from_data(TensorData::new(flat, [path.len(), dim]), &device);
    let mut rng = nasbench::split::rng(args.seed);
    let graphs = model.decoder.decode(c, config.model.max_nodes, decode_mode(args.greedy), &mut rng)?;
    for (k, graph) in graphs.iter().enumerate() {
        let mut line = graph_json(graph);
        line["t"] = json!(k as f64 / (path.len().max(2) - 1) as f64);
        println!("{line}");
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct TrainLatentPredictorArgs {
    /// A directory written by train-vae; its encoder stays frozen.
    #[arg(long)]
    vae: PathBuf,
    #[command(flatten)]
    run: crate::PredictorRun,
    #[arg(long)]
    out: PathBuf,
}

/// The paper's stability experiment: the accuracy head on frozen VS-GAE latents.
pub fn train_latent_predictor(args: TrainLatentPredictorArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = args.run.common.backend.device(false)?;
    let (vae_config, model) = load_vae(&args.vae, &device)?;
    let data = Arc::new(crate::data::read_targets(&args.run.data, &args.run.target)?);
    let latents = encode_means(&model, &data.cells, &device, 2048);
    let config = args.run.config(vae_config.model.encoder.clone());
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    write_json(&args.out.join("config.json"), &config)?;
    let mut progress = TrainingProgress::new();
    let (head, history) = vsgae::training::latent_predictor::train_latent_predictor(
        &config,
        data.clone(),
        latents,
        &args.run.common.backend.device(true)?,
        &mut |event: TrainingEvent| progress.event(&event),
    )?;
    crate::progress::write_metrics(&args.out.join("metrics.jsonl"), &history)?;
    let mut weights = vsgae::StateDict::default();
    head.save(&mut weights, "Accuracy.");
    write_atomically(&args.out.join("head.safetensors"), &weights.to_safetensors()?)?;
    let last = history.last();
    let results = json!({
        "vae": args.vae.display().to_string(),
        "task": config.task,
        "training_size": config.training_size,
        "sampling": config.sampling,
        "seed": config.seed,
        "epochs": history.len(),
        "validation": last.and_then(|r| r.validation),
        "test": last.and_then(|r| r.test),
        "wall_seconds": started.elapsed().as_secs_f64(),
    });
    write_json(&args.out.join("results.json"), &results)?;
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct PlotCurvesArgs {
    /// Directories written by train-vae with --evaluate-every.
    #[arg(long, required = true, num_args = 1..)]
    runs: Vec<PathBuf>,
    /// The PNG to draw.
    #[arg(long)]
    out: PathBuf,
    /// Graphs seen at which the table reads each run (its last measurement at or before each);
    /// by default its last measurement.
    #[arg(long, num_args = 1..)]
    budgets: Vec<usize>,
}

/// Draws several runs' learning curves on one figure and prints them as a Markdown table.
pub fn plot_curves(args: PlotCurvesArgs) -> anyhow::Result<()> {
    crate::plot::learning_curves(&args.out, &args.runs)?;
    println!(
        "| run | graphs seen | reconstruction by hash, sampled | greedy | validity (NAS-Bench-101) | held-out loss |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for run in &args.runs {
        let measurements = crate::plot::measurements(run)?;
        let budgets: Vec<f64> = if args.budgets.is_empty() {
            measurements.last().map(|m| m.graphs_seen).into_iter().collect()
        } else {
            args.budgets.iter().map(|&b| b as f64).collect()
        };
        for budget in budgets {
            let Some(m) = measurements.iter().rev().find(|m| m.graphs_seen <= budget) else { continue };
            println!(
                "| {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} |",
                crate::plot::run_name(run),
                m.graphs_seen,
                m.sampled.by_hash,
                m.greedy.by_hash,
                m.validity_nasbench,
                m.held_out_loss
            );
        }
    }
    Ok(())
}
