//! The cell panel: draw a cell, edit it (vertices, edges, ops) with validation messages, and
//! see its official hash, its measured accuracy where the dataset has it, and the predicted
//! accuracy, updated as you edit.

use nasbench::{Cell, CellError, MAX_VERTICES, Op};
use serde::{Deserialize, Serialize};

use crate::compute::ComputeHandle;
use crate::panels::percent;
use crate::shared::Shared;
use crate::widgets::accessible_name;
use crate::widgets::cell_graph::{GraphView, cell_graph_ui, legend_ui};

/// The cell being edited; it may be invalid. Persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDraft {
    pub ops: Vec<Op>,
    /// `(from, to)` with `from < to`.
    pub edges: Vec<(usize, usize)>,
}

impl Default for CellDraft {
    /// NAS-Bench-101's Inception-like example cell.
    fn default() -> Self {
        Self {
            ops: vec![Op::Input, Op::Conv1x1, Op::Conv3x3, Op::Conv3x3, Op::Conv3x3, Op::MaxPool3x3, Op::Output],
            edges: vec![(0, 1), (0, 2), (0, 3), (0, 5), (1, 6), (2, 6), (3, 4), (4, 6), (5, 6)],
        }
    }
}

impl CellDraft {
    pub fn from_cell(cell: &Cell) -> Self {
        Self { ops: cell.ops().to_vec(), edges: cell.edges().collect() }
    }

    /// The draft as a cell, or why it is not one.
    pub fn to_cell(&self) -> Result<Cell, CellError> {
        let n = self.ops.len();
        let mut adjacency = vec![vec![0u8; n]; n];
        for &(from, to) in &self.edges {
            if from < n && to < n {
                adjacency[from][to] = 1;
            }
        }
        Cell::new(&adjacency, &self.ops)
    }

    fn has_edge(&self, from: usize, to: usize) -> bool {
        self.edges.contains(&(from, to))
    }

    fn set_edge(&mut self, from: usize, to: usize, on: bool) {
        self.edges.retain(|&e| e != (from, to));
        if on {
            self.edges.push((from, to));
            self.edges.sort_unstable();
        }
    }

    /// Adds a vertex just before the output, with no edges.
    pub fn add_vertex(&mut self, op: Op) {
        let output = self.ops.len().saturating_sub(1);
        self.ops.insert(output, op);
        for edge in &mut self.edges {
            if edge.1 >= output {
                edge.1 += 1;
            }
            if edge.0 >= output {
                edge.0 += 1;
            }
        }
    }

    /// Removes an inner vertex and its edges.
    pub fn remove_vertex(&mut self, vertex: usize) {
        if vertex == 0 || vertex + 1 >= self.ops.len() {
            return;
        }
        self.ops.remove(vertex);
        self.edges.retain(|&(f, t)| f != vertex && t != vertex);
        for edge in &mut self.edges {
            if edge.0 > vertex {
                edge.0 -= 1;
            }
            if edge.1 > vertex {
                edge.1 -= 1;
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct CellPanel {
    view: GraphView,
    selected: Option<usize>,
}

impl CellPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, draft: &mut CellDraft, shared: &mut Shared, compute: &ComputeHandle) {
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
                ui.label(predicted.map(percent).unwrap_or_else(|| "…".to_owned()));
                ui.end_row();
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_draft_is_the_inception_like_cell() {
        let cell = CellDraft::default().to_cell().unwrap();
        assert_eq!(cell.hash().to_string(), "28cfc7874f6d200472e1a9dcd8650aa0");
    }

    #[test]
    fn adding_and_removing_vertices_keeps_edges_attached() {
        let mut draft = CellDraft::default();
        draft.add_vertex(Op::MaxPool3x3);
        assert_eq!(draft.ops.len(), 8);
        assert_eq!(draft.ops[6], Op::MaxPool3x3);
        assert!(draft.edges.contains(&(5, 7)) && !draft.edges.iter().any(|&(_, t)| t == 6));
        assert!(matches!(draft.to_cell(), Err(CellError::TooManyVertices(8))));
        draft.remove_vertex(6);
        assert_eq!(draft, CellDraft::default());
        draft.remove_vertex(3);
        assert_eq!(draft.ops.len(), 6);
        // Vertex 3 fed vertex 4 (now 3), which now has no input.
        assert!(matches!(draft.to_cell(), Err(CellError::NotOnPath(_))));
        draft.set_edge(0, 3, true);
        assert!(draft.to_cell().is_ok());
    }
}
