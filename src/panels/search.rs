//! The search panel: search the loaded dataset for its best cells with a query budget (random
//! search, regularised evolution, predictor-guided search or Bayesian optimisation in the
//! VS-GAE's latent space), with the best-found curve as it grows and each queried cell with
//! what the search's model predicted for it.

use egui_plot::{Legend, Line, Plot, PlotPoints};
use serde::{Deserialize, Serialize};
use vsgae::search::{Acquisition, SearchMethod};

use crate::compute::{Command, Event, SearchRequest, SearchState, SearchedCell};
use crate::panels::{Panel, PanelContext, percent};

/// The form; persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchSettings {
    pub method: SearchMethod,
    pub budget: usize,
    pub seed: u64,
    /// The model-based methods' acquisition; `None` takes the method's own default.
    pub acquisition: Option<Acquisition>,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self { method: SearchMethod::PredictorGuided, budget: 150, seed: 0, acquisition: None }
    }
}

impl SearchSettings {
    /// The request the form describes.
    pub fn request(&self) -> SearchRequest {
        SearchRequest { method: self.method, budget: self.budget, seed: self.seed, acquisition: self.acquisition }
    }
}

/// The most queries the form allows.
const MAX_BUDGET: usize = 2_000;

/// Queried cells listed, newest first.
const LISTED: usize = 200;

#[derive(Debug, Default)]
pub struct SearchPanel {
    /// The running or last search: what was asked, and the pool's size and best accuracy.
    pub began: Option<(SearchRequest, usize, f64)>,
    /// Every query so far, in order.
    pub queried: Vec<SearchedCell>,
    pub state: Option<SearchState>,
}

impl SearchPanel {
    /// Whether a search is running.
    pub fn running(&self) -> bool {
        matches!(self.state, Some(SearchState::Running))
    }
}

fn method_label(method: SearchMethod) -> &'static str {
    match method {
        SearchMethod::Random => "random search",
        SearchMethod::Evolution => "regularised evolution",
        SearchMethod::PredictorGuided => "predictor-guided (ensemble on latents)",
        SearchMethod::LatentBo => "Bayesian optimisation in the latent space",
    }
}

fn acquisition_label(acquisition: Option<Acquisition>) -> &'static str {
    match acquisition {
        None => "the method's default",
        Some(Acquisition::Ucb) => "upper confidence bound",
        Some(Acquisition::Ei) => "expected improvement",
        Some(Acquisition::Thompson) => "Thompson sampling",
    }
}

impl Panel for SearchPanel {
    fn on_event(&mut self, event: &Event, _: &mut PanelContext<'_>) {
        match event {
            Event::SearchBegan { request, pool_cells, pool_best } => {
                self.began = Some((*request, *pool_cells, *pool_best));
                self.queried.clear();
            }
            Event::SearchQueried(cells) => self.queried.extend_from_slice(cells),
            Event::SearchState(state) => self.state = Some(state.clone()),
            _ => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (settings, shared, compute) = (&mut ctx.settings.search, &mut *ctx.shared, ctx.compute);
        ui.label(
            "Find the loaded dataset's best cells with few queries: each query reveals one cell's \
             validation accuracy after 108 epochs, as training it would.",
        );
        let labelled = match shared.dataset.as_ref().filter(|d| d.labelled) {
            Some(info) => {
                ui.label(format!("Pool: {} ({} cells)", info.name, info.summary.cells));
                true
            }
            None => {
                ui.label("Load a dataset with validation accuracies (the data panel) to search it.");
                false
            }
        };
        egui::Grid::new("search_form").num_columns(2).show(ui, |ui| {
            ui.label("Method");
            ui.horizontal_wrapped(|ui| {
                for method in SearchMethod::ALL {
                    let choice = ui
                        .selectable_value(&mut settings.method, method, method.name())
                        .on_hover_text(method_label(method));
                    shared.anchor(method.name(), &choice);
                }
            });
            ui.end_row();
            ui.label("Queries");
            let budget = ui.add(egui::DragValue::new(&mut settings.budget).range(1..=MAX_BUDGET));
            shared.anchor("search_budget", &budget);
            ui.end_row();
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut settings.seed));
            ui.end_row();
            if settings.method.needs_features() {
                ui.label("Acquisition");
                egui::ComboBox::from_id_salt("search_acquisition")
                    .selected_text(acquisition_label(settings.acquisition))
                    .show_ui(ui, |ui| {
                        for choice in [None, Some(Acquisition::Thompson), Some(Acquisition::Ei), Some(Acquisition::Ucb)]
                        {
                            ui.selectable_value(&mut settings.acquisition, choice, acquisition_label(choice));
                        }
                    });
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            let start = ui.add_enabled(labelled && !self.running(), egui::Button::new("Start search"));
            shared.anchor("Start search", &start);
            if start.clicked() {
                self.state = None;
                compute.send(Command::StartSearch(settings.request()));
            }
            if ui.add_enabled(self.running(), egui::Button::new("Stop")).clicked() {
                compute.send(Command::StopSearch);
            }
            match &self.state {
                Some(SearchState::Running) => ui.spinner(),
                Some(SearchState::Finished { seconds }) => ui.label(format!("Finished in {seconds:.1} s")),
                Some(SearchState::Stopped) => ui.label("Stopped"),
                Some(SearchState::Failed(why)) => ui.colored_label(ui.visuals().error_fg_color, why),
                None => ui.label(""),
            };
        });
        let Some((request, pool_cells, pool_best)) = self.began else { return };
        let best = self.queried.last().map_or(f64::NAN, |q| q.best);
        ui.label(format!(
            "{}, seed {}: {} of {} queries. Best found {}; the pool's best is {} (regret {:.2} points).",
            method_label(request.method),
            request.seed,
            self.queried.len(),
            request.budget.min(pool_cells),
            percent(best),
            percent(pool_best),
            (pool_best - best) * 100.0,
        ));
        let found: Vec<[f64; 2]> =
            self.queried.iter().enumerate().map(|(k, q)| [(k + 1) as f64, q.best * 100.0]).collect();
        let revealed: Vec<[f64; 2]> =
            self.queried.iter().enumerate().map(|(k, q)| [(k + 1) as f64, q.accuracy * 100.0]).collect();
        let ceiling = vec![[1.0, pool_best * 100.0], [request.budget.max(2) as f64, pool_best * 100.0]];
        Plot::new("search_curve")
            .height(220.0)
            .legend(Legend::default())
            .x_axis_label("queries")
            .y_axis_label("validation accuracy (%)")
            .include_y(pool_best * 100.0 - 2.0)
            .include_y(pool_best * 100.0 + 0.2)
            .show(ui, |plot| {
                plot.line(Line::new("best found", PlotPoints::from(found)));
                plot.points(egui_plot::Points::new("queried cells", PlotPoints::from(revealed)).radius(1.5));
                plot.line(Line::new("the pool's best", PlotPoints::from(ceiling)));
            });
        ui.label("Queried cells, newest first (predicted: the search's model before the query, with a 95 % interval):");
        egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
            egui::Grid::new("search_queried").striped(true).num_columns(4).show(ui, |ui| {
                for name in ["#", "hash", "accuracy", "predicted"] {
                    ui.strong(name);
                }
                ui.end_row();
                for (k, query) in self.queried.iter().enumerate().rev().take(LISTED) {
                    ui.label((k + 1).to_string());
                    if ui.link(query.cell.hash().to_string()).on_hover_text("Open in the cell panel").clicked() {
                        shared.open_cell = Some(query.cell);
                    }
                    ui.label(percent(query.accuracy));
                    ui.label(match query.predicted {
                        Some((mean, [low, high])) => {
                            format!("{} (95 %: {:.2}–{:.2})", percent(mean), low * 100.0, high * 100.0)
                        }
                        None => "— (chosen without a model)".to_owned(),
                    });
                    ui.end_row();
                }
            });
        });
    }
}
