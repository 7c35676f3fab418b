//! `train-latent-predictor`: the paper's stability experiment's accuracy head on frozen VS-GAE latents.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;
use vsgae::ReferenceParams;
use vsgae::io::checkpoint::{write_atomically, write_json};
use vsgae::latent::encode_means;
use vsgae::training::TrainingEvent;

use crate::progress::TrainingProgress;
use crate::vae_train::load_vae;

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
