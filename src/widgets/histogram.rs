//! Small bar charts of counts.

use egui_plot::{AxisHints, Bar, BarChart, GridMark, Plot, uniform_grid_spacer};

/// How a histogram's x axis is marked.
#[derive(Debug, Clone, Copy)]
pub enum XTicks<'a> {
    /// A mark at every whole number (counts such as vertices).
    Integers,
    /// The bars stand at 0, 1, 2…; each gets its name.
    Names(&'a [String]),
    /// Fractions, marked every `step` and written as percentages.
    Percent { step: f64 },
}

impl XTicks<'_> {
    fn step(&self) -> f64 {
        match self {
            Self::Integers | Self::Names(_) => 1.0,
            Self::Percent { step } => *step,
        }
    }

    fn text(&self, value: f64) -> String {
        let whole = value.round();
        match self {
            Self::Integers if (value - whole).abs() < 1e-6 => format!("{whole}"),
            Self::Names(names) if (value - whole).abs() < 1e-6 && whole >= 0.0 => {
                names.get(whole as usize).cloned().unwrap_or_default()
            }
            Self::Percent { .. } => format!("{:.0} %", value * 100.0),
            _ => String::new(),
        }
    }
}

/// A bar chart of `(x, count)` under `title`: its axes named `[x, what the bars count]`, the x
/// axis marked as `ticks` says, the count axis in whole numbers.
pub fn histogram_ui(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    [x_label, counted]: [&str; 2],
    bars: &[(f64, f64)],
    width: f64,
    ticks: XTicks<'_>,
) {
    ui.vertical(|ui| {
        ui.label(title);
        let chart =
            BarChart::new(title, bars.iter().map(|&(x, count)| Bar::new(x, count).width(width)).collect::<Vec<_>>());
        let step = ticks.step();
        // Marks are written wherever they fit (egui_plot's default wants 60 points between them,
        // more than a small chart has).
        let x_axis = AxisHints::new_x()
            .label(x_label)
            .label_spacing(12.0..=16.0)
            .formatter(move |mark: GridMark, _range: &std::ops::RangeInclusive<f64>| ticks.text(mark.value));
        // Counts run to six digits: written short ("40k"), in an axis wide enough for them.
        let y_axis = AxisHints::new_y()
            .label(counted)
            .min_thickness(34.0)
            .label_spacing(14.0..=20.0)
            .formatter(|mark: GridMark, _range: &std::ops::RangeInclusive<f64>| count_text(mark.value));
        Plot::new(id)
            .height(170.0)
            .width(320.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_grid_spacer(uniform_grid_spacer(move |_| [step, step * 5.0, step * 10.0]))
            .custom_x_axes(vec![x_axis])
            .custom_y_axes(vec![y_axis])
            .show(ui, |plot_ui| plot_ui.bar_chart(chart));
    });
}

/// A count as a tick label: whole numbers only, thousands as `k` and millions as `M` ("2.5k",
/// "40k", "1.2M"); nothing between whole numbers or below zero.
fn count_text(value: f64) -> String {
    let whole = value.round();
    if (value - whole).abs() > 1e-6 || whole < 0.0 {
        return String::new();
    }
    let short = |scaled: f64, unit: &str| {
        let text = if scaled < 10.0 { format!("{scaled:.1}") } else { format!("{scaled:.0}") };
        format!("{}{unit}", text.trim_end_matches(".0"))
    };
    match whole {
        w if w >= 1e6 => short(w / 1e6, "M"),
        w if w >= 1e3 => short(w / 1e3, "k"),
        w => format!("{w}"),
    }
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

    #[test]
    fn marks_are_written_as_counts_names_and_percentages() {
        assert_eq!(XTicks::Integers.text(7.0), "7");
        assert_eq!(XTicks::Integers.text(6.5), "");
        let names = ["conv1x1".to_owned(), "maxpool3x3".to_owned()];
        assert_eq!(XTicks::Names(&names).text(1.0), "maxpool3x3");
        assert_eq!(XTicks::Names(&names).text(2.0), "");
        assert_eq!(XTicks::Names(&names).text(-1.0), "");
        assert_eq!(XTicks::Percent { step: 0.1 }.text(0.9), "90 %");
    }

    #[test]
    fn counts_are_written_short_and_whole() {
        assert_eq!(count_text(0.0), "0");
        assert_eq!(count_text(800.0), "800");
        assert_eq!(count_text(2500.0), "2.5k");
        assert_eq!(count_text(40_000.0), "40k");
        assert_eq!(count_text(1_200_000.0), "1.2M");
        assert_eq!(count_text(12.5), "");
        assert_eq!(count_text(-5.0), "");
    }
}
