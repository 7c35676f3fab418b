//! Predicted against true accuracy as a PNG scatter plot, drawn with plotters.

use std::path::Path;

use anyhow::Context as _;
use plotters::prelude::*;

/// The font of the plot's text: egui's default sans-serif face (no system fonts needed).
fn register_font() -> anyhow::Result<()> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
        .map_err(|_| anyhow::anyhow!("the plot font could not be loaded"))
}

/// The share of the lowest values left out of the axes: NAS-Bench-101 has a few cells that
/// failed to train (accuracy ~0.1), and showing them would squeeze everything else into a corner.
const LEFT_OUT: f64 = 0.005;

/// Draws `predicted` against `truth` (accuracies in [0, 1]) with the diagonal, titled `title`.
/// The axes span all but the lowest 0.5 % of values; the caption says how many points that hides.
pub fn predicted_vs_true(path: &Path, title: &str, predicted: &[f64], truth: &[f64]) -> anyhow::Result<()> {
    register_font()?;
    let mut values: Vec<f64> = predicted.iter().chain(truth).copied().filter(|v| v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    anyhow::ensure!(values.len() >= 2, "nothing to plot");
    let low = values[(values.len() as f64 * LEFT_OUT) as usize];
    let high = values[values.len() - 1];
    anyhow::ensure!(low < high, "nothing to plot");
    let margin = (high - low) * 0.03;
    let range = (low - margin)..(high + margin);
    let in_range = |v: f64| range.contains(&v);
    let hidden = truth.iter().zip(predicted).filter(|(t, p)| !in_range(**t) || !in_range(**p)).count();
    let title = if hidden > 0 { format!("{title} ({hidden} points below the axes)") } else { title.to_owned() };
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, (900, 900)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(range.clone(), range.clone())?;
        chart
            .configure_mesh()
            .x_desc("true validation accuracy")
            .y_desc("predicted validation accuracy")
            .label_style(("sans-serif", 16))
            .draw()?;
        chart.draw_series(LineSeries::new([(range.start, range.start), (range.end, range.end)], BLACK.mix(0.5)))?;
        chart.draw_series(
            truth
                .iter()
                .zip(predicted)
                .filter(|(t, p)| in_range(**t) && in_range(**p))
                .map(|(&t, &p)| Circle::new((t, p), 2, BLUE.mix(0.35).filled())),
        )?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow::anyhow!("{e}")).with_context(|| path.display().to_string())
}

/// One learning-curve measurement of a run (a `{"evaluation": …}` line of its metrics.jsonl).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Measurement {
    pub graphs_seen: f64,
    /// With the graphs of the runs the weights were warm-started from (`train-vae
    /// --warm-start`); absent in a run that started afresh.
    pub graphs_seen_total: Option<f64>,
    pub sampled: vsgae::evaluation::abilities::Shares,
    pub greedy: vsgae::evaluation::abilities::Shares,
    pub validity_nasbench: f64,
    pub held_out_loss: f64,
}

impl Measurement {
    /// Training graphs the measured weights have seen, counting the runs they were
    /// warm-started from.
    pub fn graphs(&self) -> f64 {
        self.graphs_seen_total.unwrap_or(self.graphs_seen)
    }
}

/// The learning-curve measurements of a run directory, in order.
pub fn measurements(run: &Path) -> anyhow::Result<Vec<Measurement>> {
    let path = run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| line.get("evaluation").cloned())
        .map(|value| {
            serde_json::from_value(value).with_context(|| format!("{}: a malformed evaluation", path.display()))
        })
        .collect()
}

/// A run's name in legends and tables: its directory's name.
pub fn run_name(run: &Path) -> String {
    run.file_name().map_or_else(|| run.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Reconstruction by hash (sampled, solid; greedy, dashed) and NAS-Bench-101 validity against
/// graphs seen, one colour per run, as a PNG.
pub fn learning_curves(path: &Path, runs: &[std::path::PathBuf]) -> anyhow::Result<()> {
    register_font()?;
    let curves: Vec<(String, Vec<Measurement>)> =
        runs.iter().map(|run| Ok((run_name(run), measurements(run)?))).collect::<anyhow::Result<_>>()?;
    let max_graphs = curves.iter().flat_map(|(_, m)| m.iter().map(Measurement::graphs)).fold(1.0, f64::max);
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, (1400, 620)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(700);
        let panels = [
            (left, "reconstruction by hash (solid: sampled, dashed: greedy)", true),
            (right, "validity as NAS-Bench-101 cells", false),
        ];
        for (area, title, reconstruction) in panels {
            let mut chart = ChartBuilder::on(&area)
                .caption(title, ("sans-serif", 20))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(55)
                .build_cartesian_2d(0.0..max_graphs * 1.02, 0.0..1.0)?;
            chart
                .configure_mesh()
                .x_desc("training graphs seen (with the runs warm-started from)")
                .y_desc("share")
                .x_label_formatter(&|v| format!("{:.0}k", v / 1000.0))
                .label_style(("sans-serif", 14))
                .draw()?;
            for (k, (name, points)) in curves.iter().enumerate() {
                let colour = Palette99::pick(k).to_rgba();
                let series = |pick: fn(&Measurement) -> f64| points.iter().map(move |m| (m.graphs(), pick(m)));
                if reconstruction {
                    chart
                        .draw_series(LineSeries::new(series(|m| m.sampled.by_hash), colour.stroke_width(2)))?
                        .label(name.clone())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
                    chart.draw_series(DashedLineSeries::new(series(|m| m.greedy.by_hash), 6, 4, colour.into()))?;
                } else {
                    chart.draw_series(LineSeries::new(series(|m| m.validity_nasbench), colour.stroke_width(2)))?;
                }
            }
            if reconstruction {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK.mix(0.3))
                    .label_font(("sans-serif", 14))
                    .draw()?;
            }
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow::anyhow!("{e}")).with_context(|| path.display().to_string())
}

/// The mean regret against queries of each method, with a band of one standard deviation.
pub fn search_curves(path: &Path, summaries: &[vsgae::search::MethodSummary]) -> anyhow::Result<()> {
    register_font()?;
    let budget = summaries.iter().map(|s| s.regret.len()).max().unwrap_or(0);
    anyhow::ensure!(budget > 0, "no search to plot");
    let top =
        summaries.iter().flat_map(|s| s.regret.iter().skip(budget / 10).map(|r| r.mean + r.sd)).fold(1e-4, f64::max)
            * 100.0;
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("regret: best accuracy in the pool minus the best found", ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(1.0..budget as f64, 0.0..top * 1.05)?;
        chart
            .configure_mesh()
            .x_desc("queries")
            .y_desc("regret (percentage points)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", 14))
            .draw()?;
        for (k, summary) in summaries.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            let point = |(q, r): (usize, &vsgae::search::summary::MeanSd), shift: f64| {
                ((q + 1) as f64, (r.mean + shift * r.sd).clamp(0.0, top / 100.0) * 100.0)
            };
            let upper: Vec<(f64, f64)> = summary.regret.iter().enumerate().map(|p| point(p, 1.0)).collect();
            let lower: Vec<(f64, f64)> = summary.regret.iter().enumerate().rev().map(|p| point(p, -1.0)).collect();
            chart.draw_series(std::iter::once(Polygon::new([upper, lower].concat(), colour.mix(0.15).filled())))?;
            chart
                .draw_series(LineSeries::new(
                    summary.regret.iter().enumerate().map(|p| point(p, 0.0)),
                    colour.stroke_width(2),
                ))?
                .label(format!("{} ({} runs)", summary.method, summary.runs))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 14))
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
}
