//! `search`: runs search methods over a labelled pool for many seeds and writes their
//! best-found curves (CSV and PNG) and a summary (regret after given budgets, queries to reach
//! the pool's best cells).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::json;
use vsgae::VsGae;
use vsgae::search::{Acquisition, Features, MethodSummary, Pool, Search, SearchConfig, SearchMethod, Trace, summarise};

use crate::backend::Backend;
use crate::data::read_dataset;

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The labelled pool (any data file with the metric), e.g. ../shared/data/nb101_val_20k.csv.
    #[arg(long, required = true, num_args = 1..)]
    pool: Vec<PathBuf>,
    /// The metric a query reveals.
    #[arg(long, default_value = "val_acc_108")]
    metric: String,
    /// The VS-GAE whose latent means the model-based methods search (a directory of
    /// `train-vae`).
    #[arg(long, default_value = "data/vsgae")]
    vsgae: PathBuf,
    /// The methods, side by side.
    #[arg(long, value_enum, num_args = 1.., value_delimiter = ',', default_values_t = SearchMethod::ALL)]
    methods: Vec<SearchMethod>,
    /// Queries per run.
    #[arg(long, default_value_t = 150)]
    budget: usize,
    /// Runs per method, seeded from --first-seed on.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// The model-based methods' acquisition (default: Thompson sampling for predictor-guided,
    /// expected improvement for latent-bo).
    #[arg(long, value_enum)]
    acquisition: Option<Acquisition>,
    /// Queries per model fit (default 10 for predictor-guided, 5 for latent-bo).
    #[arg(long)]
    batch: Option<usize>,
    /// Random queries before the first model fit.
    #[arg(long)]
    initial: Option<usize>,
    /// Regularised evolution's population.
    #[arg(long)]
    population: Option<usize>,
    /// Regularised evolution's tournament size.
    #[arg(long)]
    tournament: Option<usize>,
    /// The budgets after which the summary gives the regret.
    #[arg(long, value_delimiter = ',', default_values_t = [50, 100, 150])]
    report_after: Vec<usize>,
    /// Runs at once (default: the host's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Where curves.csv, summary.csv, summary.json and curves.png go.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

/// The pool's top shares whose queries-to-reach the summary gives.
const SHARES: [f64; 2] = [0.001, 0.01];

impl SearchArgs {
    fn config(&self, method: SearchMethod, seed: u64) -> SearchConfig {
        let defaults = SearchConfig::new(method, seed);
        SearchConfig {
            budget: self.budget,
            acquisition: self.acquisition.unwrap_or(defaults.acquisition),
            batch: self.batch.unwrap_or(defaults.batch),
            initial: self.initial.unwrap_or(defaults.initial),
            population: self.population.unwrap_or(defaults.population),
            tournament: self.tournament.unwrap_or(defaults.tournament),
            ..defaults
        }
    }
}

pub fn search(args: SearchArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let key: nasbench::MetricKey = args.metric.parse()?;
    let dataset = read_dataset(&args.pool)?;
    let pool = Arc::new(Pool::from_dataset(&dataset, key)?);
    for &method in &args.methods {
        args.config(method, 0).validate(pool.len())?;
    }
    let features = if args.methods.iter().any(|m| m.needs_features()) {
        let (_, model) = vsgae::io::model_files::load_from_dir::<VsGae>(&args.vsgae, &device)?;
        Some(Arc::new(Features::encode(&model, pool.cells(), &device)?))
    } else {
        None
    };
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let threads = args.threads.unwrap_or_else(|| vsgae::parallel::host_threads(&device)).max(1);
    let seeds: Vec<u64> = (args.first_seed..args.first_seed + args.seeds).collect();
    let mut summaries: Vec<MethodSummary> = Vec::new();
    let mut curves = std::io::BufWriter::new(std::fs::File::create(args.out.join("curves.csv"))?);
    writeln!(curves, "method,seed,query,cell,accuracy,best,regret")?;
    for &method in &args.methods {
        let started = std::time::Instant::now();
        let progress = indicatif::ProgressBar::new(seeds.len() as u64).with_message(method.name());
        let groups: Vec<Vec<u64>> =
            (0..threads).map(|t| seeds.iter().copied().skip(t).step_by(threads).collect()).collect();
        let parts = vsgae::parallel::on_threads(
            groups,
            |group| -> anyhow::Result<Vec<(u64, Trace)>> {
                group
                    .into_iter()
                    .map(|seed| {
                        let trace =
                            Search::new(pool.clone(), features.clone(), args.config(method, seed), &device)?.run()?;
                        progress.inc(1);
                        Ok((seed, trace))
                    })
                    .collect()
            },
            |panic| anyhow::anyhow!("a search thread panicked: {panic}"),
        );
        let mut runs: Vec<(u64, Trace)> = Vec::with_capacity(seeds.len());
        for part in parts {
            runs.extend(part?);
        }
        runs.sort_by_key(|(seed, _)| *seed);
        progress.finish_and_clear();
        for (seed, trace) in &runs {
            for (k, (&cell, (&accuracy, &best))) in
                trace.queried.iter().zip(trace.accuracy.iter().zip(&trace.best)).enumerate()
            {
                let hash = pool.cells()[cell].hash();
                writeln!(curves, "{},{seed},{},{hash},{accuracy},{best},{}", method.name(), k + 1, pool.best() - best)?;
            }
        }
        let traces: Vec<Trace> = runs.into_iter().map(|(_, t)| t).collect();
        let summary = summarise(method.name(), &pool, &traces, &args.report_after, &SHARES);
        tracing::info!(method = method.name(), seconds = started.elapsed().as_secs_f64(), "searched");
        summaries.push(summary);
    }
    curves.flush()?;
    let mut table = std::io::BufWriter::new(std::fs::File::create(args.out.join("summary.csv"))?);
    writeln!(table, "method,query,mean_regret,sd_regret")?;
    for summary in &summaries {
        for (k, r) in summary.regret.iter().enumerate() {
            writeln!(table, "{},{},{},{}", summary.method, k + 1, r.mean, r.sd)?;
        }
    }
    table.flush()?;
    let report = json!({
        "pool": args.pool.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "pool_cells": pool.len(),
        "pool_best": pool.best(),
        "metric": args.metric,
        "vsgae": args.vsgae.display().to_string(),
        "seeds": [args.first_seed, args.first_seed + args.seeds],
        "configs": args.methods.iter().map(|&m| format!("{:?}", args.config(m, args.first_seed))).collect::<Vec<_>>(),
        "methods": summaries.iter().map(|s| json!({
            "method": s.method,
            "runs": s.runs,
            "budget": s.budget,
            "regret_after": s.regret_after,
            "reach": s.reach,
        })).collect::<Vec<_>>(),
    });
    vsgae::io::checkpoint::write_json(&args.out.join("summary.json"), &report)?;
    crate::plot::search_curves(&args.out.join("curves.png"), &summaries)?;
    println!("{}", serde_json::to_string_pretty(&report["methods"])?);
    Ok(())
}
