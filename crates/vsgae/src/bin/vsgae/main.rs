//! `vsgae`: train, evaluate and use the VS-GAE paper's models from the command line.

mod backend;
mod bench;
mod data;
mod predictor_commands;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nasbench::sampling::Sampling;
use nasbench::split::Task;

use backend::Backend;

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
    /// Predict the accuracy of every cell of a file.
    Predict(predictor_commands::PredictArgs),
    /// Measure training and inference throughput (graphs/s).
    Bench(bench::BenchArgs),
}

/// Options shared by the commands that train.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonTraining {
    #[arg(long, default_value = "interpolation", value_parser = parse_task)]
    pub task: Task,
    /// Percent of the training split to train on.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub training_size: u8,
    #[arg(long, default_value = "random", value_parser = parse_sampling)]
    pub sampling: Sampling,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
}

fn parse_task(text: &str) -> Result<Task, String> {
    text.parse().map_err(|e: nasbench::split::UnknownTask| e.to_string())
}

fn parse_sampling(text: &str) -> Result<Sampling, String> {
    text.parse().map_err(|e: nasbench::sampling::SamplingError| e.to_string())
}

/// The output directory of a run.
#[derive(Debug, Clone, clap::Args)]
pub struct OutDir {
    /// Where config.json, metrics.jsonl, results.json, the weights and checkpoints go.
    #[arg(long)]
    pub out: PathBuf,
}

fn main() -> ExitCode {
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
        Command::Predict(args) => predictor_commands::predict(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vsgae: {error:#}");
            ExitCode::FAILURE
        }
    }
}
