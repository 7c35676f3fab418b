//! A cell drawn as a layered DAG: the input at the top, the output at the bottom, each vertex
//! one layer below its deepest predecessor, ops colour-coded, edges as curves. Pan by dragging,
//! zoom with the scroll wheel or a pinch.

use egui::epaint::CubicBezierShape;
use egui::{Color32, Pos2, Sense, Stroke, Vec2, pos2, vec2};
use nasbench::Op;

/// Where the view looks; persisted per panel while the app runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphView {
    pub offset: Vec2,
    pub zoom: f32,
}

impl Default for GraphView {
    fn default() -> Self {
        Self { offset: Vec2::ZERO, zoom: 1.0 }
    }
}

/// The colour of each op.
pub fn op_color(op: Op) -> Color32 {
    match op {
        Op::Input => Color32::from_rgb(90, 90, 90),
        Op::Output => Color32::from_rgb(40, 40, 40),
        Op::Conv1x1 => Color32::from_rgb(66, 133, 244),
        Op::Conv3x3 => Color32::from_rgb(219, 68, 55),
        Op::MaxPool3x3 => Color32::from_rgb(15, 157, 88),
    }
}

/// The layer of each vertex: 0 for vertices without predecessors, else one below the deepest
/// predecessor; the last vertex (the output) goes to the bottom layer.
pub fn layers(vertices: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut layer = vec![0usize; vertices];
    for to in 0..vertices {
        for &(from, target) in edges {
            if target == to && from < to {
                layer[to] = layer[to].max(layer[from] + 1);
            }
        }
    }
    if let Some(deepest) = layer.iter().copied().max()
        && let Some(last) = layer.last_mut()
    {
        *last = deepest.max(*last);
    }
    layer
}

/// Positions in a unit layout: layer `l` at `y = l`, vertices of a layer spread around `x = 0`.
fn layout(vertices: usize, edges: &[(usize, usize)]) -> Vec<Pos2> {
    let layer = layers(vertices, edges);
    let depth = layer.iter().copied().max().unwrap_or(0);
    let mut positions = vec![Pos2::ZERO; vertices];
    for l in 0..=depth {
        let members: Vec<usize> = (0..vertices).filter(|&v| layer[v] == l).collect();
        let width = members.len() as f32;
        for (k, &v) in members.iter().enumerate() {
            positions[v] = pos2(k as f32 - (width - 1.0) / 2.0, l as f32);
        }
    }
    positions
}

/// Draws the graph with `ops` (one per vertex) and `edges` into `size`; with a `view`, the user
/// can pan and zoom it. Returns the response and the vertex under a click, if any.
pub fn cell_graph_ui(
    ui: &mut egui::Ui,
    ops: &[Op],
    edges: &[(usize, usize)],
    size: Vec2,
    view: Option<&mut GraphView>,
    selected: Option<usize>,
) -> (egui::Response, Option<usize>) {
    let sense = if view.is_some() { Sense::click_and_drag() } else { Sense::click() };
    let (response, painter) = ui.allocate_painter(size, sense);
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    let mut fixed = GraphView::default();
    let view = match view {
        Some(view) => {
            if response.dragged() {
                view.offset += response.drag_delta();
            }
            if response.hovered() {
                let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
                view.zoom = (view.zoom * pinch * (scroll / 400.0).exp()).clamp(0.3, 4.0);
            }
            if response.double_clicked() {
                *view = GraphView::default();
            }
            view
        }
        None => &mut fixed,
    };
    let unit = layout(ops.len(), edges);
    let depth = unit.iter().map(|p| p.y).fold(0.0f32, f32::max).max(1.0);
    let widest = unit.iter().map(|p| p.x.abs()).fold(0.0f32, f32::max).max(0.5);
    let scale = (rect.height() * 0.8 / depth).min(rect.width() * 0.4 / widest).min(90.0) * view.zoom;
    let top = rect.center_top() + vec2(0.0, rect.height() * 0.1) + view.offset;
    let place = |p: Pos2| top + vec2(p.x * scale, p.y * scale);
    let radius = (scale * 0.22).clamp(4.0, 22.0);
    let painter = painter.with_clip_rect(rect);
    let edge_stroke = Stroke::new(1.5, ui.visuals().text_color().gamma_multiply(0.7));
    for &(from, to) in edges {
        let (Some(&a), Some(&b)) = (unit.get(from), unit.get(to)) else { continue };
        let (a, b) = (place(a), place(b));
        let bend = (b.y - a.y) * 0.45;
        let curve = CubicBezierShape::from_points_stroke(
            [a + vec2(0.0, radius), a + vec2(0.0, bend), b - vec2(0.0, bend), b - vec2(0.0, radius)],
            false,
            Color32::TRANSPARENT,
            edge_stroke,
        );
        painter.add(curve);
        let tip = b - vec2(0.0, radius);
        painter.line_segment([tip, tip + vec2(-4.0, -7.0)], edge_stroke);
        painter.line_segment([tip, tip + vec2(4.0, -7.0)], edge_stroke);
    }
    let mut clicked = None;
    let pointer = response.interact_pointer_pos();
    for (v, (&op, &p)) in ops.iter().zip(&unit).enumerate() {
        let centre = place(p);
        let outline = if selected == Some(v) {
            Stroke::new(3.0, ui.visuals().selection.stroke.color)
        } else {
            Stroke::new(1.0, Color32::WHITE)
        };
        painter.circle(centre, radius, op_color(op), outline);
        if radius >= 10.0 {
            painter.text(
                centre,
                egui::Align2::CENTER_CENTER,
                op.short_name(),
                egui::FontId::proportional(radius * 0.6),
                Color32::WHITE,
            );
        }
        if response.clicked() && pointer.is_some_and(|q| q.distance(centre) <= radius) {
            clicked = Some(v);
        }
    }
    (response, clicked)
}

/// A legend of the op colours.
pub fn legend_ui(ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        for op in [Op::Input, Op::Conv1x1, Op::Conv3x3, Op::MaxPool3x3, Op::Output] {
            let (rect, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
            ui.painter().circle_filled(rect.center(), 6.0, op_color(op));
            ui.label(op.name());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertices_sit_below_their_deepest_predecessor_and_the_output_at_the_bottom() {
        // 0→1, 0→2, 1→2, 0→3 (output): 2 is below 1, and the output shares the bottom layer.
        assert_eq!(layers(4, &[(0, 1), (0, 2), (1, 2), (0, 3)]), vec![0, 1, 2, 2]);
        assert_eq!(layers(3, &[(0, 2)]), vec![0, 0, 1]);
    }
}
