//! `train-predictor`, `eval-predictor` and `predict`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;
use vsgae::evaluation::metrics::RegressionMetrics;
use vsgae::inference::{IntervalLevel, Prediction, predict_with_spread};
use vsgae::io::checkpoint::write_json;
use vsgae::training::{CheckpointFiles, PredictorSession, PredictorSplit, TrainingEvent};
use vsgae::{EncoderConfig, Predictor, PredictorConfig, PredictorTrainingConfig, ReferenceParams};

use crate::OutDir;
use crate::backend::Backend;
use crate::data::{read_dataset, read_targets, read_training_data};
use crate::progress::{MetricsLog, TrainingProgress};

#[derive(Debug, clap::Args)]
pub struct TrainPredictorArgs {
    #[command(flatten)]
    run: crate::PredictorRun,
    #[command(flatten)]
    size: crate::ModelSize,
    #[command(flatten)]
    recipe: PredictorRecipe,
    /// Write a checkpoint every this many epochs (and at the end).
    #[arg(long, default_value_t = 10)]
    checkpoint_every: usize,
    /// Continue the run checkpointed in this directory (its config is used; --out is ignored).
    #[arg(long)]
    resume: Option<PathBuf>,
    #[command(flatten)]
    out: OutDir,
}

/// Departures from the reference's predictor training (each a named option; the defaults are
/// the reference's).
#[derive(Debug, Clone, clap::Args)]
pub struct PredictorRecipe {
    /// The loss: the reference's MSE, or a logistic pairwise ranking loss over the batch's
    /// pairs plus --mse-weight × the MSE.
    #[arg(long, value_enum, default_value_t = LossArg::Mse)]
    loss: LossArg,
    /// The ranking loss's temperature, in units of the target (ranking).
    #[arg(long, default_value_t = 0.01)]
    ranking_temperature: f64,
    /// The weight of the MSE beside the ranking loss (ranking; 0 for ranking alone).
    #[arg(long, default_value_t = 0.0)]
    mse_weight: f64,
    #[command(flatten)]
    schedule: crate::ScheduleOptions,
    /// Metrics the model also predicts, from extra outputs (e.g. val_acc_4,val_acc_12,val_acc_36).
    #[arg(long, value_delimiter = ',')]
    auxiliary_targets: Vec<String>,
    /// The weight of each auxiliary target's MSE.
    #[arg(long, default_value_t = 1.0)]
    auxiliary_weight: f64,
    /// Exactly this many training cells (drawn by --sampling from the training part) instead
    /// of --training-size percent.
    #[arg(long)]
    training_cells: Option<usize>,
    /// Seeds the split and the sampling (default: --seed), so runs of several seeds share cells.
    #[arg(long)]
    split_seed: Option<u64>,
    /// Train this many independently initialised networks together; the prediction is their
    /// mean and its uncertainty their spread.
    #[arg(long, default_value_t = 1)]
    ensemble: usize,
    /// Start every member's encoder from this VS-GAE model folder's trained encoder, and
    /// fine-tune it (the head on the VS-GAE's latents, fine-tuned).
    #[arg(long)]
    encoder_from: Option<PathBuf>,
    /// Keep the weights of the epoch with the best validation Kendall τ (needs --evaluate-every 1
    /// to consider every epoch).
    #[arg(long)]
    keep_best: bool,
}

/// `--loss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LossArg {
    Mse,
    Ranking,
}

impl PredictorRecipe {
    fn apply(&self, mut config: PredictorTrainingConfig) -> PredictorTrainingConfig {
        use vsgae::config::{LearningRateSchedule, PredictorLoss};
        config.loss = Some(match self.loss {
            LossArg::Mse => PredictorLoss::Mse,
            LossArg::Ranking => {
                PredictorLoss::Ranking { temperature: self.ranking_temperature, mse_weight: self.mse_weight }
            }
        });
        config.schedule = Some(self.schedule.schedule(LearningRateSchedule::Constant));
        if !self.auxiliary_targets.is_empty() {
            config.model.auxiliary_outputs = Some(self.auxiliary_targets.len());
            config.auxiliary_targets = Some(self.auxiliary_targets.clone());
            config.auxiliary_weight = Some(self.auxiliary_weight);
        }
        config.keep_best = Some(self.keep_best);
        config.training_cells = self.training_cells;
        config.encoder_from = self.encoder_from.as_ref().map(|dir| dir.display().to_string());
        if self.ensemble != 1 {
            config.model.ensemble_size = Some(self.ensemble);
        }
        config.split_seed = self.split_seed;
        config
    }
}

pub fn train(args: TrainPredictorArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = args.run.common.backend.device(true)?;
    let (session, out) = match &args.resume {
        Some(dir) => {
            let config: PredictorTrainingConfig =
                vsgae::io::checkpoint::read_json(&CheckpointFiles::new(dir).config())?;
            let data = Arc::new(read_training_data(&args.run.data, &config)?);
            (PredictorSession::resume(dir, data, device)?, dir.clone())
        }
        None => {
            let config =
                args.recipe.apply(args.run.config(args.size.encoder()).with_checkpoint_every(args.checkpoint_every));
            config.validate()?;
            let data = Arc::new(read_training_data(&args.run.data, &config)?);
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
    // The record of the epoch whose weights are the result: the best one where the run keeps it.
    let best = session.best_epoch();
    let last = match best {
        Some(best) => session.history().iter().find(|r| r.epoch == best.epoch).cloned(),
        None => session.history().last().cloned(),
    };
    let config = session.config();
    let results = json!({
        "task": config.task,
        "training_size": config.training_size,
        "sampling": config.sampling,
        "seed": config.seed,
        "epochs": session.epochs_done(),
        "result_epoch": last.as_ref().map(|r| r.epoch),
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
    /// Evaluate only these networks of an ensemble (0-based, e.g. 0 or 0,1,2), as an ensemble of
    /// their own.
    #[arg(long, value_delimiter = ',')]
    members: Vec<usize>,
    /// Also list the this many cells with the largest errors (hash, predicted, true).
    #[arg(long)]
    worst: Option<usize>,
    /// Print one JSON object (with --worst, its cells under "worst").
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
    let (config, mut model) = load_model_dir(&args.model, &device)?;
    if !args.members.is_empty() {
        let count = model.members.len();
        model = model
            .subset(&args.members)
            .map_err(|k| anyhow::anyhow!("--members {k}: {} has {count} network(s)", args.model.display()))?;
    }
    // A part of the split needs the cells the run trained on (those with its auxiliary targets).
    let data = match args.part {
        Part::All => read_targets(&args.data, &config.target)?,
        _ => read_training_data(&args.data, &config)?,
    };
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
    let predictions = predict_with_spread(&model, &cells, &device)?;
    let predicted: Vec<f64> = predictions.iter().map(|p| p.mean).collect();
    let metrics = RegressionMetrics::compute(&predicted, &truth)?;
    let uncertainty = vsgae::evaluation::calibration::UncertaintyReport::compute(&predictions, &truth);
    if let Some(path) = &args.plot {
        let title = format!(
            "{} cells ({:?} part): RMSE {:.4}, Kendall tau {:.3}",
            metrics.n, args.part, metrics.rmse, metrics.kendall_tau
        );
        crate::plot::predicted_vs_true(path, &title, &predicted, &truth)?;
    }
    // The cells with the largest errors, only where asked for.
    let mut worst: Vec<(usize, f64, f64)> = Vec::new();
    if let Some(count) = args.worst {
        worst = indices.iter().zip(predicted.iter().zip(&truth)).map(|(&i, (&p, &t))| (i, p, t)).collect();
        worst.sort_unstable_by(|a, b| (b.1 - b.2).abs().total_cmp(&(a.1 - a.2).abs()));
        worst.truncate(count);
    }
    let worst_json = |&(i, predicted, truth): &(usize, f64, f64)| serde_json::json!({"hash": data.cells[i].hash().to_string(), "predicted": predicted, "true": truth});
    if args.json {
        let mut object = serde_json::to_value(metrics)?;
        if let Some(fields) = object.as_object_mut() {
            fields.insert("uncertainty".to_owned(), serde_json::to_value(uncertainty)?);
            if args.worst.is_some() {
                fields.insert("worst".to_owned(), worst.iter().map(worst_json).collect());
            }
        }
        println!("{object}");
    } else {
        println!("cells:        {}", metrics.n);
        println!("RMSE:         {:.6}", metrics.rmse);
        println!("MAE:          {:.6}", metrics.mae);
        println!("Kendall τ:    {:.4}", metrics.kendall_tau);
        println!("Spearman ρ:   {:.4}", metrics.spearman);
        println!("Pearson r:    {:.4}", metrics.pearson);
        println!("R²:           {:.4}", metrics.r2);
        println!("top-1% prec.: {:.3}", metrics.top_1pct_precision);
        println!("top-10% prec.: {:.3}", metrics.top_10pct_precision);
        if let Some(report) = uncertainty.filter(|_| model.members.len() > 1) {
            println!("spread–error Spearman: {:.3}", report.spread_error_spearman);
            println!("|error| ≤ 2 spreads:   {:.3}", report.within_two_spreads);
        }
        if let Some(report) = uncertainty
            && let (Some(c50), Some(c80), Some(c95)) = (report.coverage_50, report.coverage_80, report.coverage_95)
        {
            println!("interval coverage:     50 % {c50:.3}, 80 % {c80:.3}, 95 % {c95:.3}");
        }
        for (i, predicted, truth) in &worst {
            println!("{}  predicted {predicted:.4}  true {truth:.4}", data.cells[*i].hash());
        }
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
    /// Screen with an ensemble's first member; the whole ensemble re-predicts this share of the
    /// cells, the best by the screen (and at least --top of them). The app ranks the search
    /// space this way.
    #[arg(long, value_name = "SHARE")]
    screen: Option<f64>,
    /// Compute the second round of message passing densely, in the reference's order of
    /// operations, instead of on the cells' distinct node signatures (about a tenth of the work;
    /// equal up to rounding).
    #[arg(long)]
    dense: bool,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Print a JSON array, in input order (or best first with --top), of {"hash", "predicted",
    /// "spread", "interval_50", "interval_95", "true"} (the spread over an ensemble's members, 0
    /// for one network; the calibrated intervals as [low, high], null for a predictor without
    /// them).
    #[arg(long)]
    json: bool,
}

pub fn predict(args: PredictArgs) -> anyhow::Result<()> {
    if let Some(share) = args.screen {
        anyhow::ensure!(share > 0.0 && share <= 1.0, "--screen {share}: the share must be above 0 and at most 1");
    }
    let device = args.backend.device(false)?;
    let (target, mut model) = match (&args.source.model, &args.source.weights) {
        (Some(dir), _) => {
            let (config, model) = load_model_dir(dir, &device)?;
            (config.target, model)
        }
        (None, Some(file)) => {
            let mut weights = crate::convert::read_weights(file)?;
            let model = PredictorConfig::new(EncoderConfig::new())
                .init(&device)
                .load(&mut weights, "", &device)
                .with_context(|| file.display().to_string())?;
            ("val_acc_108".to_owned(), model)
        }
        (None, None) => anyhow::bail!("give --model DIR or --weights FILE"),
    };
    if args.dense {
        model.second_round = vsgae::model::predictor::SecondRound::Dense;
    }
    let dataset = match &args.cells {
        Some(file) => read_dataset(std::slice::from_ref(file))?,
        None => nasbench::space::enumerate_space().iter().map(nasbench::space::SpaceCell::record).collect(),
    };
    let key: nasbench::MetricKey = target.parse()?;
    let cells: Vec<nasbench::Cell> = dataset.records().iter().map(|r| r.cell).collect();
    let started = Instant::now();
    let predicted = match args.screen {
        Some(share) => {
            let screening = vsgae::inference::Screening { share };
            let (predicted, rescored) = screening.predict(&model, &cells, args.top.unwrap_or(0), &device)?;
            tracing::info!(rescored, "the ensemble re-predicted the best cells of the screen");
            predicted
        }
        None => predict_with_spread(&model, &cells, &device)?,
    };
    tracing::info!(cells = cells.len(), seconds = started.elapsed().as_secs_f64(), "predicted");
    let mut rows: Vec<(&nasbench::Record, Prediction)> = dataset.records().iter().zip(predicted).collect();
    if let Some(top) = args.top {
        rows.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
        rows.truncate(top);
    }
    let ensemble = model.members.len() > 1;
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(r, p)| {
                json!({
                    "hash": r.hash,
                    "predicted": p.mean,
                    "spread": p.spread,
                    "interval_50": p.interval(IntervalLevel::P50),
                    "interval_95": p.interval(IntervalLevel::P95),
                    "true": r.mean(key),
                })
            })
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        for (record, p) in rows {
            let spread = match p.interval(IntervalLevel::P95) {
                Some([low, high]) => format!(" [{low:.6}, {high:.6}] (95 %)"),
                None if ensemble => format!(" ± {:.6}", p.spread),
                None => String::new(),
            };
            match record.mean(key) {
                Some(t) => println!("{} {:.6}{spread} (true {t:.6})", record.hash, p.mean),
                None => println!("{} {:.6}{spread}", record.hash, p.mean),
            }
        }
    }
    Ok(())
}
