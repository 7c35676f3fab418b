//! Small bar charts of counts.

use egui_plot::{Bar, BarChart, Plot};

/// A bar chart of `(label position, count)` with `names` under the bars where given.
pub fn histogram_ui(ui: &mut egui::Ui, id: &str, title: &str, bars: &[(f64, f64)], width: f64, names: &[String]) {
    ui.vertical(|ui| {
        ui.label(title);
        let chart =
            BarChart::new(title, bars.iter().map(|&(x, count)| Bar::new(x, count).width(width)).collect::<Vec<_>>());
        let names = names.to_vec();
        let mut plot = Plot::new(id).height(140.0).width(260.0).allow_drag(false).allow_zoom(false).allow_scroll(false);
        if !names.is_empty() {
            // One grid mark per bar, so that every bar gets its name.
            plot = plot.x_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 1.0, 1.0]));
            plot = plot.x_axis_formatter(move |mark, _range| {
                let index = mark.value.round();
                if (mark.value - index).abs() < 1e-6 && index >= 0.0 {
                    names.get(index as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            });
        }
        plot.show(ui, |plot_ui| plot_ui.bar_chart(chart));
    });
}

/// Counts of `values` in `bins` equal bins over their range: `(bin centre, count)`.
pub fn bin(values: &[f64], bins: usize) -> (Vec<(f64, f64)>, f64) {
    let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    if values.is_empty() || bins == 0 || !low.is_finite() {
        return (Vec::new(), 1.0);
    }
    let width = ((high - low) / bins as f64).max(1e-9);
    let mut counts = vec![0.0; bins];
    for &v in values {
        let k = (((v - low) / width) as usize).min(bins - 1);
        counts[k] += 1.0;
    }
    (counts.into_iter().enumerate().map(|(k, c)| (low + (k as f64 + 0.5) * width, c)).collect(), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_counts_every_value_once() {
        let (bars, width) = bin(&[0.0, 0.1, 0.5, 1.0, 1.0], 2);
        assert_eq!(width, 0.5);
        assert_eq!(bars, vec![(0.25, 2.0), (0.75, 3.0)]);
        assert!(bin(&[], 4).0.is_empty());
    }
}
