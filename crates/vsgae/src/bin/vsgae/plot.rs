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
