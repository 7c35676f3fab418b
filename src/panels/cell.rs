//! The cell panel: draw a cell, edit it (vertices, edges, ops) with validation messages, and
//! see its official hash, its measured accuracy where the dataset has it, and the predicted
//! accuracy, updated as you edit.

use nasbench::{CellDraft, MAX_VERTICES, Op};

use crate::compute::ComputeHandle;
use crate::panels::{Panel, PanelContext, percent, space_rank_words, with_uncertainty};
use crate::shared::Shared;
use crate::widgets::accessible_name;
use crate::widgets::cell_graph::{GraphView, cell_graph_ui, legend_ui};

#[derive(Debug, Default)]
pub struct CellPanel {
    view: GraphView,
    selected: Option<usize>,
}

impl Panel for CellPanel {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (draft, shared, compute) = (&mut ctx.settings.cell, &mut *ctx.shared, ctx.compute);
        if let Some(cell) = shared.open_cell.take() {
            *draft = CellDraft::from_cell(&cell);
            self.selected = None;
        }
        egui::Panel::right("cell_editor").resizable(false).default_size(330.0).show(ui, |ui| {
            self.editor_ui(ui, draft);
            ui.separator();
            facts_ui(ui, draft, shared, compute);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            legend_ui(ui);
            let size = ui.available_size();
            let (_, clicked) = cell_graph_ui(ui, &draft.ops, &draft.edges, size, Some(&mut self.view), self.selected);
            if clicked.is_some() {
                self.selected = clicked;
            }
        });
    }
}

impl CellPanel {
    fn editor_ui(&mut self, ui: &mut egui::Ui, draft: &mut CellDraft) {
        ui.heading("Vertices");
        let n = draft.ops.len();
        let mut removed = None;
        egui::Grid::new("vertex_ops").num_columns(3).show(ui, |ui| {
            for v in 0..n {
                ui.selectable_value(&mut self.selected, Some(v), format!("vertex {v}"));
                if v == 0 || v + 1 == n {
                    ui.label(draft.ops[v].name());
                } else {
                    let combo =
                        egui::ComboBox::from_id_salt(("op", v)).selected_text(draft.ops[v].name()).show_ui(ui, |ui| {
                            for op in nasbench::op::INNER_OPS {
                                ui.selectable_value(&mut draft.ops[v], op, op.name());
                            }
                        });
                    accessible_name(&combo.response, egui::Role::ComboBox, &format!("op of vertex {v}"));
                }
                if v > 0 && v + 1 < n && ui.small_button("Remove").clicked() {
                    removed = Some(v);
                }
                ui.end_row();
            }
        });
        if let Some(v) = removed {
            draft.remove_vertex(v);
            self.selected = None;
        }
        if ui.add_enabled(n < MAX_VERTICES, egui::Button::new("Add vertex")).clicked() {
            draft.add_vertex(Op::Conv3x3);
        }
        ui.heading("Edges");
        ui.label("Row to column (an edge from row to column)");
        let n = draft.ops.len();
        egui::Grid::new("edge_matrix").spacing([2.0, 2.0]).show(ui, |ui| {
            ui.label("");
            for to in 0..n {
                ui.label(to.to_string());
            }
            ui.end_row();
            for from in 0..n {
                ui.label(from.to_string());
                for to in 0..n {
                    if to > from {
                        let mut on = draft.has_edge(from, to);
                        let name = format!("edge {from} -> {to}");
                        let response = ui.checkbox(&mut on, "").on_hover_text(&name);
                        accessible_name(&response, egui::Role::CheckBox, &name);
                        if response.changed() {
                            draft.set_edge(from, to, on);
                        }
                    } else {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
    }
}

fn facts_ui(ui: &mut egui::Ui, draft: &CellDraft, shared: &mut Shared, compute: &ComputeHandle) {
    match draft.to_cell() {
        Err(error) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Not a valid cell: {error}"));
        }
        Ok(cell) => {
            egui::Grid::new("cell_facts").num_columns(2).show(ui, |ui| {
                ui.label("Hash");
                ui.monospace(cell.hash().to_string());
                ui.end_row();
                ui.label("Vertices / edges");
                ui.label(format!("{} / {}", cell.n_vertices(), cell.n_edges()));
                ui.end_row();
                ui.label("Measured accuracy");
                ui.label(shared.true_accuracy(&cell).map(percent).unwrap_or_else(|| "not in the dataset".to_owned()));
                ui.end_row();
                ui.label("Predicted accuracy");
                let predicted = shared.prediction(&cell, compute);
                ui.label(predicted.map(with_uncertainty).unwrap_or_else(|| "…".to_owned()));
                ui.end_row();
                ui.label("Within the search space");
                let percentile = predicted.and_then(|p| shared.space_percentile(p.mean));
                ui.label(percentile.map(space_rank_words).unwrap_or_else(|| {
                    "rank the search space (predict panel) to see where this cell stands".to_owned()
                }));
                ui.end_row();
            });
        }
    }
}
