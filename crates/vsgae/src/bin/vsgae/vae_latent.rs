//! `test-vae`, `encode`, `decode` and `interpolate`: a trained VS-GAE's abilities and latent space.

use std::path::PathBuf;

use anyhow::Context as _;
use burn::tensor::{Tensor, TensorData};
use nasbench::Cell;
use nasbench::space::enumerate_space;
use npyz::WriterBuilder as _;
use serde_json::json;
use vsgae::evaluation::abilities::PriorDraws;
use vsgae::io::checkpoint::write_atomically;
use vsgae::latent::encode_means;
use vsgae::latent::prior::LatentPrior;
use vsgae::latent::{Interpolation, interpolate};
use vsgae::model::decoding::{DecodeMode, DecodedGraph, Decoding};

use crate::backend::Backend;
use crate::data::read_dataset;
use crate::vae_prior::PriorArgs;
use crate::vae_train::{load_vae, model_cells, run_abilities};

#[derive(Debug, clap::Args)]
pub struct TestVaeArgs {
    /// A directory written by train-vae.
    #[arg(long)]
    model: PathBuf,
    #[arg(long, default_value_t = 1000)]
    prior_points: usize,
    #[command(flatten)]
    prior: PriorArgs,
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
    let (mut cells, train, mut test) = model_cells(&args.model, config.seed)?;
    if let Some(file) = &args.cells {
        // The given cells go after the training cells, as the test part.
        let given = read_dataset(std::slice::from_ref(file))?;
        test = (cells.len()..cells.len() + given.records().len()).collect();
        cells.extend(given.records().iter().map(|r| r.cell));
    }
    if let Some(limit) = args.limit {
        test.truncate(limit);
    }
    let training: Vec<Cell> = train.iter().map(|&i| cells[i]).collect();
    let prior = if args.prior_points == 0 {
        LatentPrior::standard_normal(model.latent_dim())
    } else {
        args.prior.prior(&args.model, &model, &training, config.model.noise_scale, &device, args.seed)?
    };
    let draws = PriorDraws { points: args.prior_points, prior: &prior };
    let abilities = run_abilities(&model, &cells, &train, &test, draws, &config, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&abilities)?);
        return Ok(());
    }
    println!("                 exact   by hash");
    println!("reconstruction  {:.4}   {:.4}", abilities.reconstruction, abilities.reconstruction_isomorphic);
    println!(
        "prior: {:?}, {} components, temperature {}, {} points",
        abilities.prior, abilities.prior_components, abilities.prior_temperature, abilities.prior_points
    );
    for (decoding, shares) in [("unmasked", &abilities.samples), ("masked (NAS-Bench-101 rules)", &abilities.masked)] {
        println!("{decoding}:");
        println!("  validity        {:.4}   {:.4} (as NAS-Bench-101 cells)", shares.validity, shares.validity_nasbench);
        println!("  uniqueness      {:.4}   {:.4}", shares.uniqueness, shares.uniqueness_isomorphic);
        println!("  uniqueness of the points (one decoding each, by hash): {:.4}", shares.uniqueness_of_points);
        println!("  distinct cells per point (one decoding each): {:.4}", shares.distinct_cells_per_point);
        println!("  novelty         {:.4}   {:.4}", shares.novelty, shares.novelty_isomorphic);
        let broken = &shares.broken_rules;
        println!(
            "  not cells, by the first rule broken: {:.4} vertex count, {:.4} over 9 edges, {:.4} input or output \
             misplaced, {:.4} a vertex off every path, {:.4} other",
            broken.vertices, broken.edges, broken.input_or_output, broken.off_path, broken.other
        );
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
    let started = std::time::Instant::now();
    let means = encode_means(&model, &cells, &device, 2048);
    let [rows, dim] = means.dims();
    let values = vsgae::readback::floats(means)?;
    tracing::info!(cells = rows, seconds = started.elapsed().as_secs_f64(), "encoded");
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
    /// Latent points, a `.npy` of float32 (points × 56); without it, --random points from the
    /// model folder's prior (`prior.json`), or from N(0, 1) where it has none.
    #[arg(long)]
    latent: Option<PathBuf>,
    #[arg(long, default_value_t = 10)]
    random: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    decoding: DecodingArgs,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

/// How points are decoded.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct DecodingArgs {
    /// The most likely graph of each point instead of a sample.
    #[arg(long)]
    greedy: bool,
    /// Mask every choice that would break NAS-Bench-101's rules (more than 7 vertices or 9
    /// edges, a vertex off every path from input to output), so every graph is a valid cell.
    #[arg(long)]
    masked: bool,
}

impl DecodingArgs {
    fn decoding(self) -> Decoding {
        Decoding { mode: if self.greedy { DecodeMode::Greedy } else { DecodeMode::Sample }, masked: self.masked }
    }
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
        None => {
            let prior =
                LatentPrior::from_model_folder(&args.model, dim)?.unwrap_or_else(|| LatentPrior::standard_normal(dim));
            vsgae::readback::floats(prior.sample(args.random, 1, &device, &mut rng))?
        }
    };
    let points = values.len() / dim;
    let c = Tensor::<2>::from_data(TensorData::new(values, [points, dim]), &device);
    for graph in model.decode(c, args.decoding.decoding(), &mut rng)? {
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
    #[command(flatten)]
    decoding: DecodingArgs,
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
    let graphs = model.decode(c, args.decoding.decoding(), &mut rng)?;
    for (k, graph) in graphs.iter().enumerate() {
        let mut line = graph_json(graph);
        line["t"] = json!(k as f64 / (path.len().max(2) - 1) as f64);
        println!("{line}");
    }
    Ok(())
}
