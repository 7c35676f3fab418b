//! `vsgae bench`: throughput of the models on a backend, as graphs per second.

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Tensor, TensorData};
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use serde_json::json;
use vsgae::batch::GraphBatch;
use vsgae::{EncoderConfig, Latent, PredictorConfig, VsGae, VsGaeConfig};

use crate::backend::Backend;

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
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The median of `repeats` timings of `work`, after one warm-up run.
fn median_seconds(repeats: usize, mut work: impl FnMut()) -> f64 {
    work();
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    // 7-vertex cells, as 85 % of the space.
    let cells: Vec<Cell> = enumerate_vertices(7).into_iter().map(|c| c.cell).take(4096).collect();
    let train_cells: Vec<&Cell> = cells.iter().take(args.batch_size).collect();
    let all_cells: Vec<&Cell> = cells.iter().collect();
    let batch_graphs = train_cells.len() as f64;

    let device = args.backend.device(true)?;
    let mut predictor = PredictorConfig::new(EncoderConfig::new()).init_seeded(&device, 0)?;
    let mut optimizer = AdamConfig::new().init();
    let batch = GraphBatch::new(&train_cells, &device);
    let targets =
        Tensor::<1>::from_data(TensorData::new(vec![0.9f32; train_cells.len()], [train_cells.len()]), &device);
    let train_seconds = median_seconds(args.repeats, || {
        let loss = (predictor.forward(&batch) - targets.clone()).powi_scalar(2).mean();
        let grads = GradientsParams::from_grads(loss.backward(), &predictor);
        predictor = optimizer.step(1e-5, predictor.clone(), grads);
        let _ = loss.into_scalar::<f32>();
    });

    let inference_device = args.backend.device(false)?;
    let inference = PredictorConfig::new(EncoderConfig::new()).init_seeded(&inference_device, 0)?;
    let inference_batch = GraphBatch::new(&all_cells, &inference_device);
    let inference_seconds = median_seconds(args.repeats, || {
        let _ = inference.forward(&inference_batch).into_data();
    });

    let config = VsGaeConfig::new(EncoderConfig::new());
    let mut vae: VsGae = config.init(&device);
    let mut vae_optimizer = AdamConfig::new().init();
    let targets = VsGae::targets(&train_cells, &device);
    let vae_seconds = median_seconds(args.repeats, || {
        let loss = vae.loss(&batch, &targets, Latent::Sampled, &config).total;
        let grads = GradientsParams::from_grads(loss.backward(), &vae);
        vae = vae_optimizer.step(1e-4, vae.clone(), grads);
        let _ = loss.into_scalar::<f32>();
    });

    let decoder_model: VsGae = config.init(&inference_device);
    let mut rng = nasbench::split::rng(0);
    let point =
        |n: usize| Tensor::<2>::random([n, 56], burn::tensor::Distribution::Normal(0.0, 1.0), &inference_device);
    let single = point(1);
    let singles = 16;
    let decode_one_seconds = median_seconds(args.repeats, || {
        for _ in 0..singles {
            let _ = decoder_model.decoder.decode(single.clone(), config.max_nodes, &mut rng);
        }
    });
    let batch_points = 1024;
    let many = point(batch_points);
    let decode_batch_seconds = median_seconds(args.repeats, || {
        let _ = decoder_model.decoder.decode(many.clone(), config.max_nodes, &mut rng);
    });

    let results = json!({
        "backend": args.backend,
        "batch_size": args.batch_size,
        "predictor_train_graphs_per_s": batch_graphs / train_seconds,
        "predictor_inference_graphs_per_s": all_cells.len() as f64 / inference_seconds,
        "vae_train_graphs_per_s": batch_graphs / vae_seconds,
        "decode_points_per_s_batch_1": singles as f64 / decode_one_seconds,
        "decode_points_per_s_batch_1024": batch_points as f64 / decode_batch_seconds,
    });
    if args.json {
        println!("{results}");
    } else {
        println!("backend {:?}, batch {}", args.backend, args.batch_size);
        println!("predictor training:  {:>10.1} graphs/s", batch_graphs / train_seconds);
        println!(
            "predictor inference: {:>10.1} graphs/s (batch {})",
            all_cells.len() as f64 / inference_seconds,
            all_cells.len()
        );
        println!("VS-GAE training:     {:>10.1} graphs/s", batch_graphs / vae_seconds);
        println!("decoding, batch 1:   {:>10.1} points/s", singles as f64 / decode_one_seconds);
        println!("decoding, batch {batch_points}: {:>10.1} points/s", batch_points as f64 / decode_batch_seconds);
    }
    Ok(())
}
