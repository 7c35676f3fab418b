//! The latent panel: interpolate between two cells' VS-GAE latents and show the decoded strip,
//! draw cells from the prior, and map the dataset's latents to 2-D (PCA) coloured by accuracy;
//! click a cell or a point to open it.

use egui::Color32;
use egui_plot::{AxisHints, Plot, PlotPoints, Points};
use nasbench::{Cell, ModuleHash, Op};
use serde::{Deserialize, Serialize};
use vsgae::latent::Interpolation;

use crate::compute::{Command, ComputeHandle, DecodedPoint, Event, LatentPoint};
use crate::error::AppError;
use crate::panels::{Panel, PanelContext, percent};
use crate::shared::Shared;
use crate::widgets::cell_graph::cell_graph_ui;

/// The form; persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LatentSettings {
    pub from_hash: String,
    pub to_hash: String,
    pub steps: usize,
    pub how: Interpolation,
    pub map_cells: usize,
    /// How many points "Sample from the prior" draws.
    pub prior_samples: usize,
}

impl Default for LatentSettings {
    fn default() -> Self {
        Self {
            from_hash: String::new(),
            to_hash: String::new(),
            steps: 8,
            how: Interpolation::Linear,
            map_cells: 2000,
            prior_samples: 8,
        }
    }
}

#[derive(Debug, Default)]
pub struct LatentPanel {
    pub strip: Vec<DecodedPoint>,
    pub samples: Vec<DecodedPoint>,
    pub map: Vec<LatentPoint>,
    /// The share of the latents' variance along the map's two axes.
    pub map_variance_shares: [f64; 2],
    message: Option<String>,
}

/// The latent map's plot height: never shorter or taller than this.
const MAP_HEIGHTS: [f32; 2] = [200.0, 560.0];
/// What the plot's axes (tick labels and names) take of its width and height.
const MAP_AXES: egui::Vec2 = egui::vec2(64.0, 44.0);

/// The latent map's plot size within `available_width`, at equal scales on both axes: as tall as
/// the points' spread needs at the full width, within [`MAP_HEIGHTS`]; where that height caps a
/// spread taller than wide, the plot narrows to the spread too, so neither axis is left half empty.
fn map_size(points: &[LatentPoint], available_width: f32) -> egui::Vec2 {
    let [wide, high] = map_extent(points).unwrap_or([1.0, 1.0]).map(|spread| spread.max(f32::EPSILON));
    let [shortest, tallest] = MAP_HEIGHTS;
    let frame_width = (available_width - MAP_AXES.x).max(1.0);
    let height = (frame_width * high / wide + MAP_AXES.y).clamp(shortest, tallest);
    let width =
        ((height - MAP_AXES.y) * wide / high + MAP_AXES.x).clamp(shortest.min(available_width), available_width);
    egui::vec2(width, height)
}

/// The width and height of the latent map's finite points.
pub fn map_extent(points: &[LatentPoint]) -> Option<[f32; 2]> {
    let finite = points.iter().map(|p| p.position).filter(|p| p.iter().all(|v| v.is_finite()));
    let (low, high) = finite.fold(None, |bounds: Option<([f32; 2], [f32; 2])>, p| {
        Some(bounds.map_or((p, p), |(l, h)| ([l[0].min(p[0]), l[1].min(p[1])], [h[0].max(p[0]), h[1].max(p[1])])))
    })?;
    Some([high[0] - low[0], high[1] - low[1]])
}

/// Colour for an accuracy in `[low, high]`: blue (low) to yellow (high); grey where unknown.
fn accuracy_color(accuracy: Option<f64>, low: f64, high: f64) -> Color32 {
    let Some(a) = accuracy else { return Color32::GRAY };
    let t = ((a - low) / (high - low).max(1e-9)).clamp(0.0, 1.0) as f32;
    Color32::from_rgb((40.0 + 215.0 * t) as u8, (60.0 + 160.0 * t) as u8, (200.0 * (1.0 - t)) as u8)
}

impl Panel for LatentPanel {
    fn on_event(&mut self, event: &Event, _: &mut PanelContext<'_>) {
        match event {
            Event::Interpolation(points) => self.strip = points.clone(),
            Event::LatentMap { points, variance_shares } => {
                self.map = points.clone();
                self.map_variance_shares = *variance_shares;
            }
            Event::PriorSamples(points) => self.samples = points.clone(),
            _ => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (settings, shared, compute) = (&mut ctx.settings.latent, &mut *ctx.shared, ctx.compute);
        for (k, slot) in shared.picked.iter_mut().enumerate() {
            if let Some(cell) = slot.take() {
                let hash = cell.hash().to_string();
                if k == 0 { settings.from_hash = hash } else { settings.to_hash = hash }
            }
        }
        ui.horizontal(|ui| {
            ui.label("From hash");
            let from = ui.add(egui::TextEdit::singleline(&mut settings.from_hash).desired_width(260.0));
            shared.anchor("from_hash", &from);
            ui.label("to hash");
            let to = ui.add(egui::TextEdit::singleline(&mut settings.to_hash).desired_width(260.0));
            shared.anchor("to_hash", &to);
        });
        ui.horizontal(|ui| {
            ui.label("Steps");
            ui.add(egui::DragValue::new(&mut settings.steps).range(2..=32));
            ui.selectable_value(&mut settings.how, Interpolation::Linear, "linear");
            ui.selectable_value(&mut settings.how, Interpolation::Spherical, "spherical");
            let button = ui.button("Interpolate");
            shared.anchor("Interpolate", &button);
            if button.clicked() {
                match (find(shared, &settings.from_hash), find(shared, &settings.to_hash)) {
                    (Ok(from), Ok(to)) => {
                        self.message = None;
                        compute.send(Command::Interpolate { from, to, steps: settings.steps, how: settings.how });
                    }
                    (Err(e), _) | (_, Err(e)) => self.message = Some(e.to_string()),
                }
            }
        });
        ui.label("Pick the cells with the A and B buttons of the data panel's table, or paste their hashes.");
        ui.label(
            "Points here are decoded to their most likely cell under NAS-Bench-101's rules: choices that would \
             break them (more than 7 vertices or 9 edges, a vertex off every path from input to output) are \
             masked, so every point is a cell.",
        );
        if let Some(message) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        if self.strip.len() > 2 {
            // The two ends decode the chosen cells; the inner points say whether the space
            // between them holds cells.
            let inner = &self.strip[1..self.strip.len() - 1];
            ui.label(format!("Distinct cells among the inner points: {}", distinct_share(inner)));
        }
        decoded_row(ui, &self.strip, "strip", shared);
        ui.separator();
        ui.horizontal(|ui| {
            let button = ui.button("Sample from the prior");
            shared.anchor("Sample from the prior", &button);
            ui.add(egui::DragValue::new(&mut settings.prior_samples).range(1..=64));
            ui.label("points, from the VS-GAE's prior (the built-in one's mixture fitted to its training latents)");
            if button.clicked() {
                compute.send(Command::SamplePrior { count: settings.prior_samples });
            }
        });
        if !self.samples.is_empty() {
            ui.label(format!("Distinct cells among the samples: {}", distinct_share(&self.samples)));
        }
        decoded_row(ui, &self.samples, "samples", shared);
        ui.separator();
        self.map_ui(ui, settings, shared, compute);
    }
}

/// "k of n (p %)": the distinct NAS-Bench-101 cells among the decodings of `points`.
fn distinct_share(points: &[DecodedPoint]) -> String {
    let distinct: std::collections::HashSet<_> = points.iter().filter_map(|p| p.cell.map(|c| c.hash())).collect();
    format!("{} of {} ({})", distinct.len(), points.len(), percent(distinct.len() as f64 / points.len().max(1) as f64))
}

/// A scrollable row of decoded cells, each with its validity and predicted accuracy; a click on
/// a valid cell opens it in the cell panel.
fn decoded_row(ui: &mut egui::Ui, points: &[DecodedPoint], id: &str, shared: &mut Shared) {
    if points.is_empty() {
        return;
    }
    egui::ScrollArea::horizontal().id_salt(id).show(ui, |ui| {
        ui.horizontal(|ui| {
            for (k, point) in points.iter().enumerate() {
                ui.vertical(|ui| {
                    let ops: Vec<_> = point
                        .graph
                        .types
                        .iter()
                        .map(|&t| Op::from_node_att(i64::from(t)).unwrap_or(Op::Output))
                        .collect();
                    let (response, _) =
                        cell_graph_ui(ui, &ops, &point.graph.edges, egui::vec2(120.0, 150.0), None, None);
                    let validity = match (&point.cell, point.graph.is_valid()) {
                        (Some(_), _) => "valid cell",
                        (None, true) => "valid DAG, not a cell",
                        (None, false) => "invalid",
                    };
                    ui.label(format!("{k}: {validity}"));
                    if let Some(p) = point.predicted {
                        ui.label(format!("predicted {}", percent(p)));
                    }
                    if let Some(cell) = point.cell
                        && response.on_hover_text("Open in the cell panel").clicked()
                    {
                        shared.open_cell = Some(cell);
                    }
                });
            }
        });
    });
}

impl LatentPanel {
    fn map_ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut LatentSettings,
        shared: &mut Shared,
        compute: &ComputeHandle,
    ) {
        ui.horizontal(|ui| {
            ui.label("Latent map of up to");
            let cells = ui.add(egui::DragValue::new(&mut settings.map_cells).range(100..=50_000));
            shared.anchor("map_cells", &cells);
            ui.label("cells of the current dataset");
            let button = ui.button("Map");
            shared.anchor("Map", &button);
            if button.clicked() {
                compute.send(Command::LatentMap { max_cells: settings.map_cells });
            }
        });
        if self.map.is_empty() {
            return;
        }
        // The colour scale spans the 5th to the 95th percentile, so a few failed trainings
        // (NAS-Bench-101 has cells near 10 %) do not wash out the rest.
        let mut known: Vec<f64> = self.map.iter().filter_map(|p| p.accuracy).collect();
        known.sort_unstable_by(f64::total_cmp);
        let quantile = |q: f64| known.get(((known.len() as f64 - 1.0) * q).round() as usize).copied();
        let low = quantile(0.05).unwrap_or(f64::INFINITY);
        let high = quantile(0.95).unwrap_or(f64::NEG_INFINITY);
        // One series per colour band, so the plot draws each with its own colour.
        const BANDS: usize = 10;
        let mut bands: Vec<Vec<[f64; 2]>> = vec![Vec::new(); BANDS + 1];
        for p in &self.map {
            let band = p.accuracy.map_or(BANDS, |a| {
                (((a - low) / (high - low).max(1e-9)) * (BANDS - 1) as f64).round().clamp(0.0, (BANDS - 1) as f64)
                    as usize
            });
            bands[band].push([f64::from(p.position[0]), f64::from(p.position[1])]);
        }
        ui.label(format!(
            "{} cells; colour: validation accuracy from {} (blue) to {} (yellow); click a point to open it",
            self.map.len(),
            if low.is_finite() { percent(low) } else { "—".to_owned() },
            if high.is_finite() { percent(high) } else { "—".to_owned() }
        ));
        // Equal scales on both axes (distances mean the same either way), with the plot sized to
        // the points' spread, so the view is not half empty.
        let axis_name = |k: usize| {
            format!("principal axis {} ({:.0} % of the latents' variance)", k + 1, 100.0 * self.map_variance_shares[k])
        };
        let size = map_size(&self.map, ui.available_width());
        let response = Plot::new("latent_map")
            .data_aspect(1.0)
            .width(size.x)
            .height(size.y)
            .custom_x_axes(vec![AxisHints::new_x().label(axis_name(0))])
            .custom_y_axes(vec![AxisHints::new_y().label(axis_name(1))])
            .show(ui, |plot| {
                for (band, points) in bands.into_iter().enumerate() {
                    let accuracy = (band < BANDS).then(|| low + (high - low) * band as f64 / (BANDS - 1) as f64);
                    let color = accuracy_color(accuracy, low, high);
                    plot.points(Points::new(format!("band {band}"), PlotPoints::from(points)).color(color).radius(2.0));
                }
                plot.pointer_coordinate()
            });
        if response.response.clicked()
            && let Some(at) = response.inner
        {
            let nearest = self.map.iter().min_by(|a, b| {
                let d = |p: &LatentPoint| {
                    (f64::from(p.position[0]) - at.x).powi(2) + (f64::from(p.position[1]) - at.y).powi(2)
                };
                d(a).total_cmp(&d(b))
            });
            if let Some(point) = nearest {
                shared.open_cell = Some(point.cell);
            }
        }
    }
}

/// The cell with this hash in the current dataset.
fn find(shared: &Shared, hash: &str) -> Result<Cell, AppError> {
    let parsed: ModuleHash = hash.trim().parse().map_err(|_| AppError::NotAHash(hash.to_owned()))?;
    let dataset = shared.dataset.as_ref().ok_or(AppError::NoDatasetToSearch)?;
    dataset
        .dataset
        .get(&parsed)
        .map(|r| r.cell)
        .ok_or_else(|| AppError::NotInDataset { hash: hash.to_owned(), dataset: dataset.name.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(wide: f32, high: f32) -> Vec<LatentPoint> {
        let cell = nasbench::space::enumerate_vertices(2)[0].cell;
        [[0.0, 0.0], [wide, high]].into_iter().map(|position| LatentPoint { cell, position, accuracy: None }).collect()
    }

    /// The share of the plot's data frame that the points fill along each axis.
    fn filled(points: &[LatentPoint], size: egui::Vec2) -> [f32; 2] {
        let [wide, high] = map_extent(points).unwrap();
        let frame = size - MAP_AXES;
        // Equal scales: the axis the spread fills sets the scale, the other one has room left.
        let scale = (frame.x / wide).min(frame.y / high);
        [wide * scale / frame.x, high * scale / frame.y]
    }

    #[test]
    fn a_spread_taller_than_wide_narrows_the_map() {
        let tall = spread(1.0, 3.0);
        let size = map_size(&tall, 1200.0);
        assert_eq!(size.y, MAP_HEIGHTS[1]);
        assert!(size.x < 300.0, "the map keeps {} of 1200 points' width", size.x);
        let [x, y] = filled(&tall, size);
        assert!(x > 0.99 && y > 0.99, "the points fill {x} × {y} of the frame");
    }

    #[test]
    fn a_spread_wider_than_tall_keeps_the_width() {
        let wide = spread(3.0, 1.0);
        let size = map_size(&wide, 964.0);
        assert_eq!(size.x, 964.0);
        assert!((size.y - (900.0 / 3.0 + MAP_AXES.y)).abs() < 1e-3, "height {}", size.y);
        let [x, y] = filled(&wide, size);
        assert!(x > 0.99 && y > 0.99, "the points fill {x} × {y} of the frame");
    }

    #[test]
    fn extreme_or_missing_spreads_stay_within_bounds() {
        for (points, width) in
            [(spread(1.0, 1000.0), 800.0), (spread(1000.0, 1.0), 800.0), (Vec::new(), 800.0), (spread(1.0, 1.0), 120.0)]
        {
            let size = map_size(&points, width);
            assert!((MAP_HEIGHTS[0]..=MAP_HEIGHTS[1]).contains(&size.y), "height {}", size.y);
            assert!(size.x > 0.0 && size.x <= width, "width {} of {width}", size.x);
        }
    }
}
