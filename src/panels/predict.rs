//! The predict panel: paste cells (or predict the whole current dataset) and get predicted
//! accuracies; rank the whole search space by predicted accuracy.

use nasbench::Cell;
use nasbench::parse_line;
use serde::{Deserialize, Serialize};
use vsgae::evaluation::metrics::RegressionMetrics;

use crate::compute::{Command, Event, PredictionRequest};
use vsgae::inference::Prediction;

use crate::panels::{Panel, PanelContext, percent, with_uncertainty};
use crate::shared::Shared;

/// The form; persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PredictSettings {
    /// One cell per line: adjacency rows, then `|`, then ops (our CSV's columns).
    pub text: String,
    pub top: usize,
    /// Rank the search space screened: an ensemble's first member predicts every cell, the
    /// whole ensemble the best 2 % (about a quarter of the work for four members).
    pub screen: bool,
}

impl PredictSettings {
    /// How the ranking spends its predictions.
    pub fn screening(&self) -> Option<vsgae::inference::Screening> {
        self.screen.then(vsgae::inference::Screening::default)
    }
}

impl Default for PredictSettings {
    fn default() -> Self {
        Self {
            text: "0111010,0000001,0000001,0000100,0000001,0000001,0000000 | \
                   input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output"
                .to_owned(),
            top: 20,
            screen: true,
        }
    }
}

/// The best cells of the search space by predicted accuracy.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub top: Vec<(Cell, Prediction)>,
    /// How many cells were predicted, how many of them by the whole ensemble, and in how many
    /// seconds.
    pub cells: usize,
    pub rescored: usize,
    pub seconds: f64,
}

/// Predictions for a list of cells, and the request that asked for them.
#[derive(Debug, Default)]
pub struct PredictionTable {
    pub request: Option<PredictionRequest>,
    pub cells: Vec<Cell>,
    pub values: Vec<Prediction>,
    /// What computed them.
    pub device: String,
}

#[derive(Debug, Default)]
pub struct PredictPanel {
    /// The built-in predictor chosen here (a trained one may have replaced it since).
    pub built_in: crate::embedded::BuiltInPredictor,
    pub pasted: PredictionTable,
    pub dataset: PredictionTable,
    pub ranking: Option<Ranking>,
    errors: Vec<String>,
}

impl Panel for PredictPanel {
    /// Takes the predictions of this panel's tables and the search space's ranking.
    fn on_event(&mut self, event: &Event, _: &mut PanelContext<'_>) {
        match event {
            Event::Predictions { request, cells, values, device } => {
                if let Some(table) =
                    [&mut self.pasted, &mut self.dataset].into_iter().find(|t| t.request == Some(*request))
                {
                    table.cells = cells.clone();
                    table.values = values.clone();
                    table.device = device.clone();
                }
            }
            Event::Ranking { top, cells, rescored, seconds, .. } => {
                self.ranking =
                    Some(Ranking { top: top.clone(), cells: *cells, rescored: *rescored, seconds: *seconds });
            }
            _ => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (settings, shared, compute) = (&mut ctx.settings.predict, &mut *ctx.shared, ctx.compute);
        ui.horizontal(|ui| {
            ui.label("Predictor:");
            let before = self.built_in;
            egui::ComboBox::from_id_salt("built_in_predictor").selected_text(self.built_in.label()).show_ui(ui, |ui| {
                for &which in crate::embedded::BuiltInPredictor::ALL {
                    ui.selectable_value(&mut self.built_in, which, which.label());
                }
            });
            if self.built_in != before {
                compute.send(Command::UseBuiltInPredictor(self.built_in));
            }
        });
        ui.label("Cells, one per line: adjacency rows, `|`, ops (as in our CSV).");
        let text = ui.add(
            egui::TextEdit::multiline(&mut settings.text).desired_rows(4).desired_width(f32::INFINITY).code_editor(),
        );
        shared.anchor("cells_text", &text);
        ui.horizontal(|ui| {
            let button = ui.button("Predict these cells");
            shared.anchor("Predict these cells", &button);
            if button.clicked() {
                let (cells, errors): (Vec<_>, Vec<_>) = settings
                    .text
                    .lines()
                    .enumerate()
                    .filter(|(_, line)| !line.trim().is_empty())
                    .map(|(k, line)| parse_line(line).map_err(|e| format!("line {}: {e}", k + 1)))
                    .partition(Result::is_ok);
                self.errors = errors.into_iter().filter_map(Result::err).collect();
                let cells: Vec<Cell> = cells.into_iter().filter_map(Result::ok).collect();
                let request = shared.next_request();
                self.pasted = PredictionTable { request: Some(request), ..Default::default() };
                if !cells.is_empty() {
                    compute.send(Command::Predict { request, cells });
                }
            }
            let dataset = shared.dataset.clone();
            if ui.add_enabled(dataset.is_some(), egui::Button::new("Predict the current dataset")).clicked()
                && let Some(info) = dataset
            {
                let request = shared.next_request();
                self.dataset = PredictionTable { request: Some(request), ..Default::default() };
                let cells = info.dataset.records().iter().map(|r| r.cell).collect();
                compute.send(Command::Predict { request, cells });
            }
        });
        for error in &self.errors {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        table_ui(ui, "pasted_predictions", &self.pasted, shared, 50);
        self.dataset_ui(ui, shared);
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Rank the whole search space; show the top");
            ui.add(egui::DragValue::new(&mut settings.top).range(1..=1000));
            let button = ui.button("Rank");
            shared.anchor("Rank", &button);
            if button.clicked() {
                compute.send(Command::RankSpace { top: settings.top, screening: settings.screening() });
            }
            ui.checkbox(&mut settings.screen, "Screen with one network").on_hover_text(
                "An ensemble's first network predicts every cell; the whole ensemble re-predicts the best 2 % \
                 (about a quarter of the work for four networks). Off: every network predicts every cell.",
            );
            let cancel = ui.button("Cancel");
            shared.anchor("Cancel", &cancel);
            if cancel.clicked() {
                compute.cancel_job();
            }
        });
        if let Some(Ranking { top, cells, rescored, seconds }) = &self.ranking {
            let screened = if rescored < cells {
                format!("; the ensemble re-predicted the best {rescored} of the first network's screen")
            } else {
                String::new()
            };
            ui.label(format!(
                "{cells} cells predicted in {seconds:.2} s ({:.0} cells/s){screened}",
                *cells as f64 / seconds.max(1e-9)
            ));
            let table = PredictionTable {
                request: None,
                cells: top.iter().map(|(c, _)| *c).collect(),
                values: top.iter().map(|(_, v)| *v).collect(),
                device: String::new(),
            };
            table_ui(ui, "ranking", &table, shared, top.len());
        }
    }
}

impl PredictPanel {
    fn dataset_ui(&self, ui: &mut egui::Ui, shared: &Shared) {
        if self.dataset.values.is_empty() {
            return;
        }
        let pairs: Vec<(f64, f64)> = self
            .dataset
            .cells
            .iter()
            .zip(&self.dataset.values)
            .filter_map(|(c, p)| shared.true_accuracy(c).map(|t| (p.mean, t)))
            .collect();
        if pairs.is_empty() {
            ui.label(format!(
                "{} cells predicted (the dataset has no accuracies to compare with).",
                self.dataset.values.len()
            ));
            return;
        }
        let (predicted, truth): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        match RegressionMetrics::compute(&predicted, &truth) {
            Ok(m) => ui.label(format!(
                "{} cells of the dataset: RMSE {:.4}, Kendall τ {:.3}, Spearman ρ {:.3}, R² {:.3}",
                m.n, m.rmse, m.kendall_tau, m.spearman, m.r2
            )),
            Err(error) => ui.label(format!("No metrics: {error}.")),
        };
    }
}

fn table_ui(ui: &mut egui::Ui, id: &str, table: &PredictionTable, shared: &mut Shared, limit: usize) {
    if table.values.is_empty() {
        return;
    }
    if !table.device.is_empty() {
        ui.weak(format!("Predicted on {}", table.device));
    }
    egui::ScrollArea::vertical().id_salt(id).max_height(260.0).show(ui, |ui| {
        egui::Grid::new(id).striped(true).num_columns(5).show(ui, |ui| {
            for name in ["#", "hash", "ops", "predicted", "measured"] {
                ui.strong(name);
            }
            ui.end_row();
            for (k, (cell, value)) in table.cells.iter().zip(&table.values).take(limit).enumerate() {
                ui.label((k + 1).to_string());
                if ui.link(cell.hash().to_string()).on_hover_text("Open in the cell panel").clicked() {
                    shared.open_cell = Some(*cell);
                }
                ui.label(cell.ops().iter().map(|op| op.short_name()).collect::<Vec<_>>().join(" "));
                ui.label(with_uncertainty(*value));
                ui.label(shared.true_accuracy(cell).map(percent).unwrap_or_else(|| "—".to_owned()));
                ui.end_row();
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_text_is_the_inception_like_cell() {
        let cell = parse_line(&PredictSettings::default().text).unwrap();
        assert_eq!(cell.hash().to_string(), "28cfc7874f6d200472e1a9dcd8650aa0");
    }
}
