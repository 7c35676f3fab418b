//! `nasbench`: the NAS-Bench-101 search space, hashes and dataset files from the command line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use nasbench::formats::{self, csv::write_csv_file};
use nasbench::space::{SpaceCell, enumerate_space};
use nasbench::{Cell, Dataset};
use serde_json::json;

/// NAS-Bench-101 without machine learning: the search space, the official hash, and every
/// dataset format (our CSV, the official tfrecord, the reference's .pth files and zips).
#[derive(Debug, Parser)]
#[command(name = "nasbench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enumerate every unique cell (423,624) and write them in our CSV layout.
    Space {
        /// Where to write the CSV.
        #[arg(long)]
        out: PathBuf,
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read files of any supported format and say what they hold.
    Inspect {
        /// The files; the format is detected from the content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per file.
        #[arg(long)]
        json: bool,
    },
    /// Print the official hash of a cell (32 hex digits).
    Hash {
        /// Adjacency rows of 0/1, comma-separated, e.g. 0110,0001,0001,0000.
        #[arg(long)]
        matrix: String,
        /// Ops, comma- or |-separated, e.g. input,conv3x3-bn-relu,maxpool3x3,output.
        #[arg(long)]
        ops: String,
    },
    /// Read files of any supported format, merge them by hash and write our CSV.
    Convert {
        /// The input files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The CSV to write.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nasbench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Space { out, json } => space(&out, json),
        Command::Inspect { files, json } => inspect(&files, json),
        Command::Hash { matrix, ops } => hash(&matrix, &ops),
        Command::Convert { inputs, out } => convert(&inputs, &out),
    }
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

fn space(out: &std::path::Path, as_json: bool) -> Result<()> {
    let bar = spinner("enumerating the search space".to_owned());
    let started = Instant::now();
    let cells = enumerate_space();
    let enumerate_seconds = started.elapsed().as_secs_f64();
    bar.set_message(format!("writing {}", out.display()));
    let dataset: Dataset = cells.iter().map(SpaceCell::record).collect();
    write_csv_file(&dataset, out).with_context(|| format!("{}", out.display()))?;
    bar.finish_and_clear();
    let mut by_vertices: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &cells {
        *by_vertices.entry(c.cell.n_vertices()).or_default() += 1;
    }
    if as_json {
        println!(
            "{}",
            json!({"file": out.display().to_string(), "cells": cells.len(), "vertices": by_vertices, "enumerate_seconds": enumerate_seconds, "total_seconds": started.elapsed().as_secs_f64()})
        );
    } else {
        for (n, count) in &by_vertices {
            println!("{n} vertices: {count:>7}");
        }
        println!("total:      {:>7}", cells.len());
        println!(
            "enumerated in {enumerate_seconds:.2} s, written to {} in {:.2} s total",
            out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn inspect(files: &[PathBuf], as_json: bool) -> Result<()> {
    for file in files {
        let bar = spinner(format!("reading {}", file.display()));
        let read = formats::read_file(file);
        bar.finish_and_clear();
        let (format, dataset) = read?;
        let summary = dataset.summary();
        if as_json {
            println!(
                "{}",
                json!({
                    "file": file.display().to_string(),
                    "format": format.name(),
                    "records": summary.records,
                    "cells": summary.cells,
                    "vertices": summary.vertices,
                    "ops": summary.ops,
                    "metrics": summary.metrics.keys().collect::<Vec<_>>(),
                    "cells_with_metric": summary.metrics,
                    "with_parameters": summary.with_parameters,
                    "max_repeats": summary.max_repeats,
                })
            );
        } else {
            println!("{}", file.display());
            println!("  format:   {format}");
            println!("  records:  {}", summary.records);
            println!("  cells:    {} unique by hash", summary.cells);
            let histogram: Vec<String> = summary.vertices.iter().map(|(n, c)| format!("{n}: {c}")).collect();
            println!("  vertices: {}", histogram.join(", "));
            let ops: Vec<String> = summary.ops.iter().map(|(op, c)| format!("{op}: {c}")).collect();
            println!("  ops:      {}", ops.join(", "));
            if summary.metrics.is_empty() {
                println!("  metrics:  none");
            } else {
                let metrics: Vec<String> = summary.metrics.iter().map(|(m, c)| format!("{m} ({c} cells)")).collect();
                println!("  metrics:  {}", metrics.join(", "));
                println!("  repeats:  up to {}", summary.max_repeats);
            }
            if summary.with_parameters > 0 {
                println!("  parameter counts for {} cells", summary.with_parameters);
            }
        }
    }
    Ok(())
}

fn hash(matrix: &str, ops: &str) -> Result<()> {
    let matrix = nasbench::cell::parse_adjacency_rows(matrix).context("--matrix")?;
    let ops = nasbench::cell::parse_operations(ops).context("--ops")?;
    let cell = Cell::from_spec(&matrix, &ops).context("not a valid NAS-Bench-101 cell")?;
    println!("{}", cell.hash());
    Ok(())
}

fn convert(inputs: &[PathBuf], out: &std::path::Path) -> Result<()> {
    let mut merged = Dataset::new();
    for input in inputs {
        let (format, dataset) = formats::read_file(input)?;
        tracing::info!(file = %input.display(), %format, cells = dataset.len(), "read");
        merged.merge(dataset);
    }
    write_csv_file(&merged, out).with_context(|| format!("{}", out.display()))?;
    eprintln!("wrote {} cells to {}", merged.len(), out.display());
    Ok(())
}
