//! `plot-curves`: the learning curves of several `train-vae` runs on one figure, and their table.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct PlotCurvesArgs {
    /// Directories written by train-vae with --evaluate-every.
    #[arg(long, required = true, num_args = 1..)]
    runs: Vec<PathBuf>,
    /// The PNG to draw.
    #[arg(long)]
    out: PathBuf,
    /// Graphs seen at which the table reads each run (its last measurement at or before each,
    /// counting the graphs of the runs it was warm-started from); by default its last
    /// measurement.
    #[arg(long, num_args = 1..)]
    budgets: Vec<usize>,
}

/// Draws several runs' learning curves on one figure and prints them as a Markdown table.
pub fn plot_curves(args: PlotCurvesArgs) -> anyhow::Result<()> {
    crate::plot::learning_curves(&args.out, &args.runs)?;
    println!(
        "| run | graphs seen | reconstruction by hash, sampled | greedy | validity (NAS-Bench-101) | held-out loss |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for run in &args.runs {
        let measurements = crate::plot::measurements(run)?;
        let budgets: Vec<f64> = if args.budgets.is_empty() {
            measurements.last().map(crate::plot::Measurement::graphs).into_iter().collect()
        } else {
            args.budgets.iter().map(|&b| b as f64).collect()
        };
        for budget in budgets {
            let Some(m) = measurements.iter().rev().find(|m| m.graphs() <= budget) else { continue };
            println!(
                "| {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} |",
                crate::plot::run_name(run),
                m.graphs(),
                m.sampled.by_hash,
                m.greedy.by_hash,
                m.validity_nasbench,
                m.held_out_loss
            );
        }
    }
    Ok(())
}
