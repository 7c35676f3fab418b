//! `vsgae bench`: throughput of the models on a backend, as graphs per second, beside the FLOPs
//! they do and what the same backend reaches on one large matrix product.

use std::path::PathBuf;
use std::time::Instant;

use std::sync::Arc;

use anyhow::Context as _;
use burn::tensor::{Device, Distribution, Tensor};
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use serde_json::{Map, Value, json};
use vsgae::Predictor;
use vsgae::device_counts::{Counting, DeviceCounts, PerStep};
use vsgae::inference::PREDICT_CHUNK;
use vsgae::model::batch::GraphBatch;
use vsgae::model::decoding::DecodeMode;
use vsgae::model::flops;
use vsgae::model::predictor::SecondRound;
use vsgae::parallel::host_threads;
use vsgae::training::{PredictorData, PredictorSession, Session, TrainingTask, VsGaeSession};
use vsgae::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGae, VsGaeConfig, VsGaeTrainingConfig};

use crate::backend::Backend;

/// What `vsgae bench` can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// One large matrix product per thread at once (the backend's ceiling).
    Matmul,
    PredictorTrain,
    /// Predicting 4,096 prepared cells with the second round on node signatures (as `vsgae
    /// predict` does): the forward passes and the readback, as the reference is timed.
    PredictorInference,
    /// The same prediction with the dense second round, in the reference's order of operations.
    PredictorInferenceDense,
    VaeTrain,
    /// Decoding 16 latent points one at a time.
    Decode1,
    /// Decoding 1,024 latent points as one batch.
    DecodeBatch,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Graphs per training batch.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Timed repetitions of each measurement (after one warm-up).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Optimiser steps in each timed repetition of a training measurement, read back once at
    /// its end (a GPU runs the steps back to back in between).
    #[arg(long, default_value_t = 4)]
    steps: usize,
    /// Bench on the first 4,096 cells of this file (any format `nasbench` reads) instead of the
    /// first 4,096 seven-vertex cells of the search space. The space's first cells share 19
    /// graphs between them, so they repeat node neighbourhoods far more than a training batch
    /// drawn from NAS-Bench-101 does: time training on a file of real cells.
    #[arg(long)]
    cells: Option<PathBuf>,
    /// Only the cells with this many vertices (default: 7 from the search space, every size
    /// from a file).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=7))]
    vertices: Option<u8>,
    /// Threads a training batch is split over (default: every core on the CPU backend, one on a
    /// GPU).
    #[arg(long)]
    threads: Option<usize>,
    /// Measure only these (all when absent); for profiling one of them.
    #[arg(long, value_enum, num_args = 1..)]
    only: Vec<Section>,
    /// End each training phase (forward, backward, optimizer) by handing the device its queued
    /// work, so that a fusing backend's launches are counted in the phase that made them (it
    /// fuses a little less across phases; for finding where launches come from, not for timing).
    #[arg(long)]
    attribute_phases: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Cells benched on: the inference batch; training uses the first `batch_size` of them.
const BENCH_CELLS: usize = 4096;
/// Side of the square matrix product of [`Section::Matmul`].
const MATMUL_SIDE: usize = 2048;

/// A timing: the median of the repeats, and the process's CPU time per wall second over them.
struct Timing {
    seconds: f64,
    cpu_per_wall: Option<f64>,
}

/// This process's user plus system CPU seconds (Linux; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux platform Rust supports.
    Some(ticks / 100.0)
}

/// The median of `repeats` timings of `work`, after one warm-up run, and what the device did
/// over the timed runs.
fn time(repeats: usize, mut work: impl FnMut()) -> (Timing, DeviceCounts) {
    // Counted too, so that the kernels it compiles are not new to the timed runs' count.
    let warm_up = Counting::start();
    work();
    drop(warm_up.finish());
    let counting = Counting::start();
    let (cpu_before, wall_before) = (cpu_seconds(), Instant::now());
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64()
        })
        .collect();
    let wall = wall_before.elapsed().as_secs_f64();
    let counts = counting.finish();
    let cpu_per_wall = cpu_seconds().zip(cpu_before).map(|(after, before)| (after - before) / wall);
    times.sort_by(f64::total_cmp);
    (Timing { seconds: times[times.len() / 2], cpu_per_wall }, counts)
}

/// `steps` optimiser steps of a run that never evaluates, then the losses read back: the
/// device runs the steps back to back and the readback waits for the last.
fn steps<T: TrainingTask>(session: &mut Session<T>, steps: usize) {
    let result = vsgae::readback::block_on(async {
        for _ in 0..steps {
            session.step(&mut |_| {}).await?;
        }
        session.read_losses(&mut |_| {}).await
    });
    if let Err(error) = result {
        tracing::error!(%error, "a bench step failed");
    }
}

/// The predictions of prepared batches, the batches spread over `threads` threads.
fn predict_prepared(model: &Predictor, batches: &[GraphBatch], threads: usize) -> anyhow::Result<usize> {
    let per_thread = batches.len().div_ceil(threads.max(1)).max(1);
    let counts = vsgae::parallel::on_threads(
        batches.chunks(per_thread).collect(),
        |group| -> anyhow::Result<usize> {
            let mut count = 0;
            for batch in group {
                count += vsgae::readback::floats(model.predict_members(batch))?.len();
            }
            Ok(count)
        },
        |panic| anyhow::anyhow!("a bench thread panicked: {panic}"),
    );
    counts.into_iter().sum()
}

fn bench_cells(file: Option<&PathBuf>, vertices: Option<u8>) -> anyhow::Result<Vec<Cell>> {
    let wanted = |cell: &Cell| vertices.is_none_or(|n| cell.n_vertices() == usize::from(n));
    let cells: Vec<Cell> = match file {
        Some(file) => {
            let dataset = crate::data::read_dataset(std::slice::from_ref(file))?;
            dataset.records().iter().map(|record| record.cell).filter(wanted).take(BENCH_CELLS).collect()
        }
        None => {
            enumerate_vertices(vertices.map_or(7, usize::from)).into_iter().map(|c| c.cell).take(BENCH_CELLS).collect()
        }
    };
    match (file, vertices) {
        (Some(file), Some(n)) => anyhow::ensure!(!cells.is_empty(), "{} has no cell of {n} vertices", file.display()),
        _ => anyhow::ensure!(!cells.is_empty(), "no cells to bench on"),
    }
    Ok(cells)
}

/// The mean of `per_graph` over the cells.
fn mean_flops(cells: &[&Cell], per_graph: impl Fn(usize) -> f64) -> f64 {
    cells.iter().map(|c| per_graph(c.n_vertices())).sum::<f64>() / cells.len().max(1) as f64
}

/// The FLOPs per graph that training's encoder saves by working its second round on node
/// signatures ([`flops::saved_on_signatures`]), for `cells` split into one shard per thread as
/// a training step splits its batch; none on a device that works the rounds densely.
fn saved_on_signatures(cells: &[&Cell], threads: usize, encoder: &EncoderConfig, device: &Device) -> f64 {
    if !vsgae::parallel::is_cpu(device) || encoder.num_layers < 2 || cells.is_empty() {
        return 0.0;
    }
    let saved: f64 = cells
        .chunks(vsgae::parallel::shard_len(cells.len(), threads))
        .map(|shard| {
            let batch = GraphBatch::new(shard, device);
            let signatures = batch.signatures(device);
            if !signatures.repeat_enough() {
                return 0.0;
            }
            let per_node = signatures.len() as f64 / (shard.len() * batch.nodes()) as f64;
            shard.iter().map(|c| flops::saved_on_signatures(encoder, c.n_vertices(), per_node)).sum::<f64>()
        })
        .sum();
    saved / cells.len() as f64
}

/// One measured section as JSON fields.
struct Measured {
    /// Graphs (or points) per second, under the key of the section.
    rate_key: &'static str,
    rate: f64,
    /// FLOPs per graph, where counted.
    flops_per_graph: Option<f64>,
    timing: Timing,
    /// What the device did per step (a training step, or one call of the measured work).
    per_step: PerStep,
    /// The kernels launched most per step: phase, kernel, launches.
    top_kernels: Vec<(String, String, f64)>,
}

impl Measured {
    /// `units` per timed run, counted over `runs` runs of `steps_per_run` steps each.
    fn new(
        rate_key: &'static str,
        units: f64,
        flops_per_graph: Option<f64>,
        (timing, counts): (Timing, DeviceCounts),
        steps: usize,
    ) -> Self {
        let top_kernels = counts
            .top_kernels(TOP_KERNELS)
            .into_iter()
            .map(|(phase, kernel, count)| (phase, kernel, count as f64 / steps.max(1) as f64))
            .collect();
        Self {
            rate_key,
            rate: units / timing.seconds,
            flops_per_graph,
            per_step: counts.per_step(steps),
            top_kernels,
            timing,
        }
    }
}

/// Kernels listed per section in the report.
const TOP_KERNELS: usize = 12;

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let all = args.only.is_empty();
    let wanted = |section: Section| all || args.only.contains(&section);
    let cells = bench_cells(args.cells.as_ref(), args.vertices).with_context(|| "the bench's cells")?;
    let train_cells: Vec<&Cell> = cells.iter().take(args.batch_size.max(1)).collect();
    let all_cells: Vec<&Cell> = cells.iter().collect();
    let training_graphs = train_cells.len() as f64;
    let device = args.backend.device(true)?;
    let inference_device = args.backend.device(false)?;
    let predictor_config = PredictorConfig::new(EncoderConfig::new());
    let vae_config = VsGaeConfig::new(EncoderConfig::new());
    let mut measured: Vec<Measured> = Vec::new();
    let threads = args.threads.unwrap_or_else(|| host_threads(&device));
    let repeats = args.repeats.max(1);
    vsgae::device_counts::attribute_phases(args.attribute_phases);
    let steps_per_repeat = args.steps.max(1);

    if wanted(Section::Matmul) {
        // One product per thread at once: the ceiling of work split over threads, as training is.
        let side = MATMUL_SIDE;
        let a = Tensor::<2>::random([side, side], Distribution::Default, &inference_device);
        let b = Tensor::<2>::random([side, side], Distribution::Default, &inference_device);
        let measured_run = time(repeats, || {
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| vsgae::readback::floats(a.clone().matmul(b.clone())));
                }
            });
        });
        let flops = threads as f64 * 2.0 * (side as f64).powi(3);
        measured.push(Measured::new("matmul_per_s", 1.0, Some(flops), measured_run, repeats));
    }

    if wanted(Section::PredictorTrain) {
        let data = Arc::new(PredictorData {
            hashes: cells.iter().map(Cell::hash).collect(),
            cells: cells.clone(),
            auxiliary: Vec::new(),
            targets: vec![0.9; cells.len()],
        });
        let config = PredictorTrainingConfig::new(predictor_config.clone())
            .with_batch_size(args.batch_size)
            .with_epochs(usize::MAX);
        let mut session =
            PredictorSession::new(config, data, device.clone())?.with_threads(threads).with_evaluate_every(usize::MAX);
        let run = time(repeats, || steps(&mut session, steps_per_repeat));
        let saved = saved_on_signatures(&train_cells, threads, &predictor_config.encoder, &device);
        let per_graph =
            flops::training(mean_flops(&train_cells, |n| flops::predictor_forward(&predictor_config, n)) - saved);
        let graphs = training_graphs * steps_per_repeat as f64;
        let steps = repeats * steps_per_repeat;
        measured.push(Measured::new("predictor_train_graphs_per_s", graphs, Some(per_graph), run, steps));
    }

    for (section, second_round, rate_key) in [
        (Section::PredictorInference, SecondRound::Signatures, "predictor_inference_graphs_per_s"),
        (Section::PredictorInferenceDense, SecondRound::Dense, "predictor_inference_dense_graphs_per_s"),
    ] {
        if !wanted(section) {
            continue;
        }
        let mut inference = predictor_config.init_seeded(&inference_device, 0)?;
        inference.second_round = second_round;
        // As the reference is timed: the batches are prepared first, so the time is the
        // forward passes and the readback. Burn's CPU backend predicts chunks on every core, a
        // GPU the whole batch at once.
        let chunk = if host_threads(&inference_device) > 1 { PREDICT_CHUNK } else { all_cells.len() };
        let batches: Vec<GraphBatch> = all_cells.chunks(chunk).map(|c| GraphBatch::new(c, &inference_device)).collect();
        let run = time(repeats, || {
            if let Err(error) = predict_prepared(&inference, &batches, threads) {
                tracing::error!(%error, "a bench prediction failed");
            }
        });
        // The dense round's products; the round on signatures does a fraction of them.
        let per_graph = mean_flops(&all_cells, |n| flops::predictor_forward(&predictor_config, n));
        let flops = (second_round == SecondRound::Dense).then_some(per_graph);
        measured.push(Measured::new(rate_key, all_cells.len() as f64, flops, run, repeats));
    }

    if wanted(Section::VaeTrain) {
        let config =
            VsGaeTrainingConfig::new(vae_config.clone()).with_batch_size(args.batch_size).with_epochs(usize::MAX);
        let mut session = VsGaeSession::new(config, Arc::new(cells.clone()), device.clone())?
            .with_threads(threads)
            .with_evaluate_every(usize::MAX);
        let run = time(repeats, || steps(&mut session, steps_per_repeat));
        let saved = saved_on_signatures(&train_cells, threads, &vae_config.encoder, &device);
        let per_graph = flops::training(mean_flops(&train_cells, |n| flops::vae_forward(&vae_config, n)) - saved);
        let graphs = training_graphs * steps_per_repeat as f64;
        let steps = repeats * steps_per_repeat;
        measured.push(Measured::new("vae_train_graphs_per_s", graphs, Some(per_graph), run, steps));
    }

    let decoding = wanted(Section::Decode1) || wanted(Section::DecodeBatch);
    // Seeded, so every build decodes with the same untrained model (its graphs often run long).
    let decoder_model: Option<VsGae> = if decoding {
        Some(vsgae::model::initialization::seeded(|d| vae_config.init(d), &inference_device, 0)?)
    } else {
        None
    };
    let mut rng = nasbench::split::rng(0);
    let point = |n: usize| {
        Tensor::<2>::random([n, vae_config.encoder.graph_dim], Distribution::Normal(0.0, 1.0), &inference_device)
    };
    if let Some(model) = decoder_model.as_ref().filter(|_| wanted(Section::Decode1)) {
        let single = point(1);
        let singles = 16;
        let run = time(repeats, || {
            for _ in 0..singles {
                let _ = model.decode(single.clone(), DecodeMode::Sample, &mut rng);
            }
        });
        measured.push(Measured::new("decode_points_per_s_batch_1", singles as f64, None, run, repeats));
    }
    if let Some(model) = decoder_model.as_ref().filter(|_| wanted(Section::DecodeBatch)) {
        let points = 1024;
        let many = point(points);
        let run = time(repeats, || {
            let _ = model.decode(many.clone(), DecodeMode::Sample, &mut rng);
        });
        measured.push(Measured::new("decode_points_per_s_batch_1024", points as f64, None, run, repeats));
    }

    report(&args, threads, &cells, &measured)
}

/// The section's name in the report's nested keys: its rate key without the unit.
fn section_name(rate_key: &str) -> &str {
    rate_key.trim_end_matches("_graphs_per_s").trim_end_matches("_per_s")
}

fn report(args: &BenchArgs, threads: usize, cells: &[Cell], measured: &[Measured]) -> anyhow::Result<()> {
    let mut results = Map::new();
    results.insert("backend".into(), json!(args.backend));
    results.insert("batch_size".into(), json!(args.batch_size));
    results.insert(
        "cells".into(),
        json!(args.cells.as_ref().map_or("search space, 7 vertices".to_owned(), |f| f.display().to_string())),
    );
    results.insert(
        "mean_vertices".into(),
        json!(cells.iter().map(|c| c.n_vertices() as f64).sum::<f64>() / cells.len() as f64),
    );
    results.insert("threads".into(), json!(threads));
    results.insert("steps_per_repeat".into(), json!(args.steps.max(1)));
    let mut flops_per_graph = Map::new();
    let mut gflops = Map::new();
    let mut cpu_per_wall = Map::new();
    let (mut dispatches, mut readbacks, mut compilations) = (Map::new(), Map::new(), Map::new());
    let (mut by_phase, mut top_kernels, mut seconds) = (Map::new(), Map::new(), Map::new());
    for m in measured {
        results.insert(m.rate_key.into(), json!(m.rate));
        let name = section_name(m.rate_key);
        dispatches.insert(name.into(), json!(m.per_step.dispatches));
        readbacks.insert(name.into(), json!(m.per_step.readbacks));
        compilations.insert(name.into(), json!(m.per_step.compilations));
        by_phase.insert(name.into(), json!(m.per_step.dispatches_by_phase));
        seconds.insert(name.into(), json!(m.per_step.seconds_by_phase));
        top_kernels.insert(name.into(), json!(m.top_kernels));
        if let Some(flops) = m.flops_per_graph {
            flops_per_graph.insert(name.into(), json!(flops));
            gflops.insert(name.into(), json!(flops * m.rate / 1e9));
        }
        if let Some(share) = m.timing.cpu_per_wall {
            cpu_per_wall.insert(name.into(), json!(share));
        }
    }
    if let Some(matmul) = gflops.remove("matmul") {
        results.insert("matmul_gflops".into(), matmul);
        results.insert("matmul_side".into(), json!(MATMUL_SIDE));
        flops_per_graph.remove("matmul");
    }
    results.insert("flops_per_graph".into(), Value::Object(flops_per_graph));
    results.insert("achieved_gflops".into(), Value::Object(gflops));
    results.insert("cpu_seconds_per_second".into(), Value::Object(cpu_per_wall));
    results.insert("dispatches_per_step".into(), Value::Object(dispatches));
    results.insert("readbacks_per_step".into(), Value::Object(readbacks));
    results.insert("compilations_per_step".into(), Value::Object(compilations));
    results.insert("dispatches_per_step_by_phase".into(), Value::Object(by_phase));
    results.insert("top_kernels_per_step".into(), Value::Object(top_kernels));
    results.insert("seconds_per_step_by_phase".into(), Value::Object(seconds));
    let results = Value::Object(results);
    if args.json {
        println!("{results}");
        return Ok(());
    }
    println!("backend {:?}, batch {}, {threads} threads", args.backend, args.batch_size);
    for m in measured {
        let name = section_name(m.rate_key);
        let achieved = results["achieved_gflops"].get(name).and_then(Value::as_f64);
        let achieved = achieved.map_or(String::new(), |g| format!(", {g:.1} GFLOP/s"));
        let cpu = m.timing.cpu_per_wall.map_or(String::new(), |c| format!(", {c:.2} cores busy"));
        println!("{name:<22} {:>12.1} per s{achieved}{cpu}", m.rate);
        let p = &m.per_step;
        println!(
            "{:<22} per step: {:.1} dispatches, {:.2} readbacks, {:.1} compilations",
            "", p.dispatches, p.readbacks, p.compilations
        );
    }
    if let Some(matmul) = results.get("matmul_gflops").and_then(Value::as_f64) {
        println!("one {MATMUL_SIDE}² matmul: {matmul:.1} GFLOP/s");
    }
    Ok(())
}
