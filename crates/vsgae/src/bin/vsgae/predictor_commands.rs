//! `train-predictor`, `eval-predictor` and `predict`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;
use vsgae::evaluation::metrics::RegressionMetrics;
use vsgae::io::checkpoint::write_json;
use vsgae::training::predictor::predict as predict_cells;
use vsgae::training::{CheckpointFiles, PredictorSession, PredictorSplit, TrainingEvent};
use vsgae::{EncoderConfig, Predictor, PredictorConfig, PredictorTrainingConfig, ReferenceParams, StateDict};

use crate::OutDir;
use crate::backend::Backend;
use crate::data::{read_dataset, read_targets};
use crate::progress::{MetricsLog, TrainingProgress};

#[derive(Debug, clap::Args)]
pub struct TrainPredictorArgs {
    #[command(flatten)]
    run: crate::PredictorRun,
    #[command(flatten)]
    size: crate::ModelSize,
    /// Write a checkpoint every this many epochs (and at the end).
    #[arg(long, default_value_t = 10)]
    checkpoint_every: usize,
    /// Continue the run checkpointed in this directory (its config is used; --out is ignored).
    #[arg(long)]
    resume: Option<PathBuf>,
    #[command(flatten)]
    out: OutDir,
}

pub fn train(args: TrainPredictorArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = args.run.common.backend.device(true)?;
    let (session, out) = match &args.resume {
        Some(dir) => {
            let config: PredictorTrainingConfig =
                vsgae::io::checkpoint::read_json(&CheckpointFiles::new(dir).config())?;
            let data = Arc::new(read_targets(&args.run.data, &config.target)?);
            (PredictorSession::resume(dir, data, device)?, dir.clone())
        }
        None => {
            let config = args.run.config(args.size.encoder()).with_checkpoint_every(args.checkpoint_every);
            let data = Arc::new(read_targets(&args.run.data, &config.target)?);
            std::fs::create_dir_all(&args.out.out).with_context(|| args.out.out.display().to_string())?;
            write_json(&CheckpointFiles::new(&args.out.out).config(), &config)?;
            (PredictorSession::new(config, data, device)?.with_checkpoints(&args.out.out), args.out.out.clone())
        }
    };
    if args.resume.is_some() && !session.optimizer_restored() {
        tracing::warn!(
            "Adam's state was not restored: the checkpoint has none, or it predates the current parameter layout"
        );
    }
    let mut session = session.with_evaluate_every(args.run.evaluate_every);
    let split = session.task().split().clone();
    tracing::info!(train = split.train.len(), validation = split.validation.len(), test = split.test.len(), "split");
    let mut progress = TrainingProgress::new();
    let mut log = MetricsLog::new(out.join("metrics.jsonl"), session.history(), session.global_step());
    session.run(&mut |event: TrainingEvent| {
        progress.event(&event);
        log.event(&event);
    })?;
    log.finish()?;
    let last = session.history().last().cloned();
    let config = session.config();
    let results = json!({
        "task": config.task,
        "training_size": config.training_size,
        "sampling": config.sampling,
        "seed": config.seed,
        "epochs": session.epochs_done(),
        "train_cells": split.train.len(),
        "validation_cells": split.validation.len(),
        "test_cells": split.test.len(),
        "validation": last.as_ref().and_then(|r| r.validation),
        "test": last.as_ref().and_then(|r| r.test),
        "backend": args.run.common.backend,
        "wall_seconds": started.elapsed().as_secs_f64(),
    });
    write_json(&out.join("results.json"), &results)?;
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct EvalPredictorArgs {
    /// A directory written by train-predictor.
    #[arg(long)]
    model: PathBuf,
    /// Data files with the target metric.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Which cells: all of them, or one part of the split the model was trained with (give the
    /// data it was trained on; the split follows from its config).
    #[arg(long, value_enum, default_value_t = Part::All)]
    part: Part,
    /// Only the first this many cells of the part.
    #[arg(long)]
    limit: Option<usize>,
    /// Also draw predicted against true accuracy into this PNG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The cells `eval-predictor` evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    All,
    Train,
    Validation,
    Test,
}

/// Loads a model directory (config.json + weights.safetensors).
fn load_model_dir(dir: &Path, device: &burn::tensor::Device) -> anyhow::Result<(PredictorTrainingConfig, Predictor)> {
    Ok(vsgae::io::model_files::load_from_dir::<Predictor>(dir, device)?)
}

pub fn eval(args: EvalPredictorArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (config, model) = load_model_dir(&args.model, &device)?;
    let data = read_targets(&args.data, &config.target)?;
    let mut indices: Vec<usize> = match args.part {
        Part::All => (0..data.len()).collect(),
        part => {
            let split = PredictorSplit::new(&data, &config)?;
            match part {
                Part::Train => split.train,
                Part::Validation => split.validation,
                _ => split.test,
            }
        }
    };
    if let Some(limit) = args.limit {
        indices.truncate(limit);
    }
    anyhow::ensure!(!indices.is_empty(), "no cells to evaluate");
    let cells: Vec<nasbench::Cell> = indices.iter().map(|&i| data.cells[i]).collect();
    let truth: Vec<f64> = indices.iter().map(|&i| data.targets[i]).collect();
    let predicted = predict_cells(&model, &cells, &device)?;
    let metrics = RegressionMetrics::compute(&predicted, &truth)?;
    if let Some(path) = &args.plot {
        let title = format!(
            "{} cells ({:?} part): RMSE {:.4}, Kendall tau {:.3}",
            metrics.n, args.part, metrics.rmse, metrics.kendall_tau
        );
        crate::plot::predicted_vs_true(path, &title, &predicted, &truth)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&metrics)?);
    } else {
        println!("cells:        {}", metrics.n);
        println!("RMSE:         {:.6}", metrics.rmse);
        println!("MAE:          {:.6}", metrics.mae);
        println!("Kendall τ:    {:.4}", metrics.kendall_tau);
        println!("Spearman ρ:   {:.4}", metrics.spearman);
        println!("Pearson r:    {:.4}", metrics.pearson);
        println!("R²:           {:.4}", metrics.r2);
        println!("top-1% prec.: {:.3}", metrics.top_1pct_precision);
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false, id = "source")]
pub struct ModelSource {
    /// A directory written by train-predictor.
    #[arg(long, group = "source")]
    model: Option<PathBuf>,
    /// A reference-layout predictor state dict (.safetensors or .pt) with the reference's defaults.
    #[arg(long, group = "source")]
    weights: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[command(flatten)]
    source: ModelSource,
    /// The cells: our CSV, the official tfrecord or a .pth file.
    #[arg(long, required_unless_present = "space", conflicts_with = "space")]
    cells: Option<PathBuf>,
    /// Every cell of the search space (423,624), in the app's order.
    #[arg(long)]
    space: bool,
    /// Only the best this many cells, best first (a ranking).
    #[arg(long)]
    top: Option<usize>,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Print a JSON array, in input order (or best first with --top), of {"hash", "predicted", "true"}.
    #[arg(long)]
    json: bool,
}

pub fn predict(args: PredictArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (target, model) = match (&args.source.model, &args.source.weights) {
        (Some(dir), _) => {
            let (config, model) = load_model_dir(dir, &device)?;
            (config.target, model)
        }
        (None, Some(file)) => {
            let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
            let mut weights = StateDict::from_bytes(&bytes).with_context(|| file.display().to_string())?;
            let model = PredictorConfig::new(EncoderConfig::new())
                .init(&device)
                .load(&mut weights, "", &device)
                .with_context(|| file.display().to_string())?;
            ("val_acc_108".to_owned(), model)
        }
        (None, None) => anyhow::bail!("give --model DIR or --weights FILE"),
    };
    let dataset = match &args.cells {
        Some(file) => read_dataset(std::slice::from_ref(file))?,
        None => nasbench::space::enumerate_space().iter().map(nasbench::space::SpaceCell::record).collect(),
    };
    let key: nasbench::MetricKey = target.parse()?;
    let cells: Vec<nasbench::Cell> = dataset.records().iter().map(|r| r.cell).collect();
    let started = Instant::now();
    let predicted = predict_cells(&model, &cells, &device)?;
    tracing::info!(cells = cells.len(), seconds = started.elapsed().as_secs_f64(), "predicted");
    let mut rows: Vec<(&nasbench::Record, f64)> = dataset.records().iter().zip(predicted).collect();
    if let Some(top) = args.top {
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        rows.truncate(top);
    }
    if args.json {
        let rows: Vec<_> =
            rows.iter().map(|(r, p)| json!({"hash": r.hash, "predicted": p, "true": r.mean(key)})).collect();
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        for (record, p) in rows {
            match record.mean(key) {
                Some(t) => println!("{} {p:.6} (true {t:.6})", record.hash),
                None => println!("{} {p:.6}", record.hash),
            }
        }
    }
    Ok(())
}
