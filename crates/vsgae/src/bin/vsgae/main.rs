//! `vsgae`: train, evaluate and use the VS-GAE paper's models from the command line.

mod average;
mod backend;
mod bench;
mod calibrate;
mod convert;
mod data;
mod defaults;
mod latent_predictor_command;
mod plot;
mod predictor_commands;
mod progress;
mod search_command;
mod vae_curves;
mod vae_harness;
mod vae_latent;
mod vae_prior;
mod vae_train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nasbench::sampling::Sampling;
use nasbench::split::Task;

use backend::Backend;

/// See `vsgae::host_allocator`: freed tensors' memory is reused, not returned to the kernel.
#[global_allocator]
static ALLOCATOR: vsgae::host_allocator::HostAllocator = vsgae::host_allocator::HostAllocator;

/// Train, evaluate and use the models of "A Variational-Sequential Graph Autoencoder for Neural
/// Architecture Performance Prediction" on NAS-Bench-101.
#[derive(Debug, Parser)]
#[command(name = "vsgae", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train the performance predictor (the reference's enc_perf_prediction.py).
    TrainPredictor(predictor_commands::TrainPredictorArgs),
    /// Evaluate a trained predictor on data files.
    EvalPredictor(predictor_commands::EvalPredictorArgs),
    /// Leave out an ensemble's collapsed members and fit the map from the members' mean to the
    /// accuracy on the validation part.
    CalibratePredictor(calibrate::CalibratePredictorArgs),
    /// Fit split-conformal intervals on an ensemble's spread on the validation part, and report
    /// their coverage on the test part.
    CalibrateIntervals(calibrate::CalibrateIntervalsArgs),
    /// Rewrite a weights file in another precision (f32, f16 or row-scaled int8).
    ConvertWeights(convert::ConvertWeightsArgs),
    /// Average several weight files of one architecture element by element (e.g. a run's last
    /// checkpoints).
    AverageWeights(average::AverageWeightsArgs),
    /// Search a labelled pool with few queries: random search, regularised evolution,
    /// predictor-guided search and Bayesian optimisation in the VS-GAE's latent space, many
    /// seeds each.
    Search(search_command::SearchArgs),
    /// Predict the accuracy of every cell of a file.
    Predict(predictor_commands::PredictArgs),
    /// Train the VS-GAE (the reference's train_gae.py).
    TrainVae(vae_train::TrainVaeArgs),
    /// Run the VS-GAE ability tests on a trained model.
    TestVae(vae_latent::TestVaeArgs),
    /// Fit a prior to a VS-GAE's training latents and ship it in the model's folder (prior.json).
    FitPrior(vae_prior::FitPriorArgs),
    /// Encode cells into VS-GAE latent means (.npy or .csv).
    Encode(vae_latent::EncodeArgs),
    /// Decode latent points into cells.
    Decode(vae_latent::DecodeArgs),
    /// Decode points between the latents of two cells.
    Interpolate(vae_latent::InterpolateArgs),
    /// Train the accuracy head on frozen VS-GAE latents (the paper's stability experiment).
    TrainLatentPredictor(latent_predictor_command::TrainLatentPredictorArgs),
    /// Measure training and inference throughput (graphs/s).
    Bench(bench::BenchArgs),
    /// Draw the learning curves of train-vae runs on one figure and table them.
    PlotCurves(vae_curves::PlotCurvesArgs),
}

/// Options shared by the commands that train.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonTraining {
    #[arg(long, default_value = "interpolation")]
    pub task: Task,
    /// Percent of the training split to train on.
    #[arg(long, default_value_t = defaults::predictor().training_size, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub training_size: u8,
    #[arg(long, default_value = "random")]
    pub sampling: Sampling,
    #[arg(long, default_value_t = defaults::predictor().seed)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
}

/// What a predictor trains on and how: shared by `train-predictor` and `train-latent-predictor`.
#[derive(Debug, Clone, clap::Args)]
pub struct PredictorRun {
    /// Data files (our CSV, the official tfrecord, .pth or zips), merged by hash.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonTraining,
    #[arg(long, default_value_t = defaults::predictor().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = defaults::predictor().batch_size)]
    pub batch_size: usize,
    #[arg(long, default_value_t = defaults::predictor().learning_rate)]
    pub lr: f64,
    /// The metric to predict.
    #[arg(long, default_value_t = defaults::predictor().target)]
    pub target: String,
    /// Validate and test every this many epochs (and after the last).
    #[arg(long, default_value_t = 1)]
    pub evaluate_every: usize,
}

impl PredictorRun {
    /// The training config of these options with `encoder`'s sizes.
    pub fn config(&self, encoder: vsgae::EncoderConfig) -> vsgae::PredictorTrainingConfig {
        vsgae::PredictorTrainingConfig::new(vsgae::PredictorConfig::new(encoder))
            .with_epochs(self.epochs)
            .with_batch_size(self.batch_size)
            .with_learning_rate(self.lr)
            .with_task(self.common.task)
            .with_training_size(self.common.training_size)
            .with_sampling(self.common.sampling)
            .with_target(self.target.clone())
            .with_seed(self.common.seed)
    }
}

/// The learning-rate schedule options of the training commands.
#[derive(Debug, Clone, clap::Args)]
pub struct ScheduleOptions {
    /// The learning-rate schedule: constant (the reference's predictor), the plateau (the
    /// reference's VS-GAE), or a warm-up then a cosine decay over the planned epochs. Without
    /// it, the reference's.
    #[arg(long, value_enum)]
    schedule: Option<ScheduleArg>,
    /// Steps of linear warm-up (warmup-cosine).
    #[arg(long, default_value_t = 500)]
    warmup_steps: usize,
    /// The learning rate at the end of the cosine, as a share of --lr (warmup-cosine).
    #[arg(long, default_value_t = 0.01)]
    final_lr_factor: f64,
}

/// `--schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScheduleArg {
    Constant,
    Plateau,
    WarmupCosine,
}

impl ScheduleOptions {
    /// The schedule these options name, or `reference` without `--schedule`.
    pub fn schedule(&self, reference: vsgae::config::LearningRateSchedule) -> vsgae::config::LearningRateSchedule {
        use vsgae::config::LearningRateSchedule;
        match self.schedule {
            None => reference,
            Some(ScheduleArg::Constant) => LearningRateSchedule::Constant,
            Some(ScheduleArg::Plateau) => LearningRateSchedule::Plateau,
            Some(ScheduleArg::WarmupCosine) => LearningRateSchedule::WarmupCosine {
                warmup_steps: self.warmup_steps,
                final_factor: self.final_lr_factor,
            },
        }
    }
}

/// Model sizes (the reference's defaults; smaller ones for quick experiments).
#[derive(Debug, Clone, clap::Args)]
pub struct ModelSize {
    /// Width of the node states.
    #[arg(long, default_value_t = defaults::encoder().node_dim)]
    pub node_dim: usize,
    /// Width of the graph vector (the latent space of the VS-GAE).
    #[arg(long, default_value_t = defaults::encoder().graph_dim)]
    pub graph_dim: usize,
}

impl ModelSize {
    pub fn encoder(&self) -> vsgae::EncoderConfig {
        vsgae::EncoderConfig::new().with_node_dim(self.node_dim).with_graph_dim(self.graph_dim)
    }
}

/// The output directory of a run.
#[derive(Debug, Clone, clap::Args)]
pub struct OutDir {
    /// Where config.json, metrics.jsonl, results.json, the weights and checkpoints go.
    #[arg(long)]
    pub out: PathBuf,
}

fn main() -> ExitCode {
    vsgae::subnormals::flush_unless_kept();
    vsgae::host_allocator::keep_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::TrainPredictor(args) => predictor_commands::train(args),
        Command::EvalPredictor(args) => predictor_commands::eval(args),
        Command::CalibratePredictor(args) => calibrate::calibrate(args),
        Command::CalibrateIntervals(args) => calibrate::calibrate_intervals(args),
        Command::Search(args) => search_command::search(args),
        Command::ConvertWeights(args) => convert::convert(args),
        Command::AverageWeights(args) => average::average(args),
        Command::Predict(args) => predictor_commands::predict(args),
        Command::TrainVae(args) => vae_train::train(args),
        Command::TestVae(args) => vae_latent::test(args),
        Command::FitPrior(args) => vae_prior::fit_prior(args),
        Command::Encode(args) => vae_latent::encode(args),
        Command::Decode(args) => vae_latent::decode(args),
        Command::Interpolate(args) => vae_latent::interpolate_cells(args),
        Command::TrainLatentPredictor(args) => latent_predictor_command::train_latent_predictor(args),
        Command::Bench(args) => bench::run(args),
        Command::PlotCurves(args) => vae_curves::plot_curves(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vsgae: {error:#}");
            ExitCode::FAILURE
        }
    }
}
