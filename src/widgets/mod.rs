//! Drawing helpers shared by the panels.

pub mod cell_graph;
pub mod histogram;

/// Gives a widget without a visible label a name for screen readers (and UI tests).
pub fn accessible_name(response: &egui::Response, kind: egui::Role, name: &str) {
    let enabled = response.enabled();
    response.widget_info(|| egui::WidgetInfo::labeled(kind, enabled, name));
}
