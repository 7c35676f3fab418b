//! The data panel: open NAS-Bench-101 files (dialog or drag-and-drop), see what they hold, and
//! browse the cells in a searchable, sortable table.

use std::sync::Arc;

use nasbench::{MetricKey, Record};

use crate::compute::{Command, DatasetInfo};
use crate::files::FileInbox;
use crate::panels::{Panel, PanelContext, percent};
use crate::shared::Shared;
use crate::widgets::histogram::{XTicks, bin, histogram_ui};

/// Table columns that can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Order,
    Vertices,
    Edges,
    Accuracy,
}

/// What the table's rows were computed for.
#[derive(Debug)]
struct RowsKey {
    of: Arc<DatasetInfo>,
    search: String,
    sort: SortColumn,
    descending: bool,
}

impl RowsKey {
    fn matches(&self, of: &Arc<DatasetInfo>, search: &str, sort: SortColumn, descending: bool) -> bool {
        Arc::ptr_eq(&self.of, of) && self.search == search && self.sort == sort && self.descending == descending
    }
}

/// The accuracy histogram of one dataset.
#[derive(Debug)]
struct AccuracyBars {
    of: Arc<DatasetInfo>,
    bars: Vec<(f64, f64)>,
    width: f64,
}

#[derive(Debug, Default)]
pub struct DataPanel {
    pub inbox: FileInbox,
    search: String,
    sort: SortColumn,
    descending: bool,
    /// Rows of the table after search and sort, and what they were computed for: the dataset
    /// itself (a different file of the same size is another dataset), the search and the order.
    rows: Vec<usize>,
    rows_for: Option<RowsKey>,
    /// The accuracy histogram's bars and width, and the dataset they were binned for.
    accuracy_bars: Option<AccuracyBars>,
}

fn accuracy(record: &Record) -> Option<f64> {
    record.mean(MetricKey::VAL_ACC_108)
}

impl Panel for DataPanel {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (shared, compute) = (&mut *ctx.shared, ctx.compute);
        ui.horizontal(|ui| {
            if ui.button("Open file…").clicked() {
                self.inbox.open_dialog(ui.ctx(), crate::files::FileKind::Data);
            }
            let button = ui.button("Use the search space").on_hover_text("All 423,624 cells, without labels");
            shared.anchor("Use the search space", &button);
            if button.clicked() {
                compute.send(Command::LoadSpace);
            }
            ui.label("or drop a .zip, .pth, .tfrecord or .csv file on the window.");
        });
        if let Some(error) = &shared.load_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let Some(info) = shared.dataset.clone() else {
            ui.label("No dataset yet.");
            return;
        };
        ui.separator();
        let histogram = self.accuracy_histogram(&info);
        summary_ui(ui, &info, histogram);
        ui.separator();
        self.table_ui(ui, &info, shared);
    }
}

impl DataPanel {
    /// The accuracy histogram of `info`, binned once per dataset rather than every frame.
    fn accuracy_histogram(&mut self, info: &Arc<DatasetInfo>) -> Option<(&[(f64, f64)], f64)> {
        if self.accuracy_bars.as_ref().is_none_or(|cached| !Arc::ptr_eq(&cached.of, info)) {
            let accuracies: Vec<f64> = info.dataset.records().iter().filter_map(accuracy).collect();
            let (bars, width) = bin(&accuracies, 30);
            self.accuracy_bars = Some(AccuracyBars { of: info.clone(), bars, width });
        }
        self.accuracy_bars
            .as_ref()
            .filter(|cached| !cached.bars.is_empty())
            .map(|cached| (cached.bars.as_slice(), cached.width))
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, info: &Arc<DatasetInfo>, shared: &mut Shared) {
        ui.horizontal(|ui| {
            ui.label("Search:");
            ui.add(
                egui::TextEdit::singleline(&mut self.search).hint_text("hash prefix or op name").desired_width(200.0),
            );
            ui.label("Sort by:");
            for (column, name) in [
                (SortColumn::Order, "file order"),
                (SortColumn::Vertices, "vertices"),
                (SortColumn::Edges, "edges"),
                (SortColumn::Accuracy, "accuracy"),
            ] {
                ui.selectable_value(&mut self.sort, column, name);
            }
            ui.checkbox(&mut self.descending, "descending");
        });
        let records = info.dataset.records();
        if !self.rows_for.as_ref().is_some_and(|key| key.matches(info, &self.search, self.sort, self.descending)) {
            self.rows = filter_and_sort(records, &self.search, self.sort, self.descending);
            self.rows_for = Some(RowsKey {
                of: info.clone(),
                search: self.search.clone(),
                sort: self.sort,
                descending: self.descending,
            });
        }
        ui.label(format!("{} of {} cells", self.rows.len(), records.len()));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(
            ui,
            row_height,
            self.rows.len(),
            |ui, range| {
                egui::Grid::new("cells").striped(true).num_columns(6).show(ui, |ui| {
                    for &index in &self.rows[range] {
                        let record = &records[index];
                        ui.monospace(&record.hash.to_string()[..12]);
                        ui.label(format!("{} v", record.cell.n_vertices()));
                        ui.label(format!("{} e", record.cell.n_edges()));
                        ui.label(record.cell.ops().iter().map(|op| op.short_name()).collect::<Vec<_>>().join(" "));
                        ui.label(accuracy(record).map(percent).unwrap_or_else(|| "—".to_owned()));
                        ui.horizontal(|ui| {
                            if ui.small_button("Open").clicked() {
                                shared.open_cell = Some(record.cell);
                            }
                            if ui.small_button("A").on_hover_text("Interpolate from this cell").clicked() {
                                shared.picked[0] = Some(record.cell);
                            }
                            if ui.small_button("B").on_hover_text("Interpolate to this cell").clicked() {
                                shared.picked[1] = Some(record.cell);
                            }
                        });
                        ui.end_row();
                    }
                });
            },
        );
    }
}

fn filter_and_sort(records: &[Record], search: &str, sort: SortColumn, descending: bool) -> Vec<usize> {
    let needle = search.trim().to_lowercase();
    let mut rows: Vec<usize> = (0..records.len())
        .filter(|&i| {
            needle.is_empty()
                || records[i].hash.to_string().starts_with(&needle)
                || records[i].cell.ops().iter().any(|op| op.name().contains(&needle))
        })
        .collect();
    match sort {
        SortColumn::Order => {}
        SortColumn::Vertices => rows.sort_by_key(|&i| records[i].cell.n_vertices()),
        SortColumn::Edges => rows.sort_by_key(|&i| records[i].cell.n_edges()),
        SortColumn::Accuracy => rows
            .sort_by(|&a, &b| accuracy(&records[a]).unwrap_or(-1.0).total_cmp(&accuracy(&records[b]).unwrap_or(-1.0))),
    }
    if descending {
        rows.reverse();
    }
    rows
}

fn summary_ui(ui: &mut egui::Ui, info: &DatasetInfo, accuracy_histogram: Option<(&[(f64, f64)], f64)>) {
    let summary = &info.summary;
    ui.label(format!(
        "{}: {} format, {} records, {} unique cells, {} metrics, up to {} repeats",
        info.name,
        info.format,
        summary.records,
        summary.cells,
        summary.metrics.len(),
        summary.max_repeats
    ));
    ui.horizontal(|ui| {
        let vertices: Vec<(f64, f64)> = summary.vertices.iter().map(|(&v, &n)| (v as f64, n as f64)).collect();
        histogram_ui(
            ui,
            "vertex_histogram",
            "Cells by vertex count",
            ["vertices", "cells"],
            &vertices,
            0.8,
            XTicks::Integers,
        );
        // Short names fit under the bars: conv1x1, conv3x3, maxpool3x3.
        let names: Vec<String> = summary.ops.keys().map(|name| name.trim_end_matches("-bn-relu").to_owned()).collect();
        let ops: Vec<(f64, f64)> = summary.ops.values().enumerate().map(|(k, &n)| (k as f64, n as f64)).collect();
        histogram_ui(ui, "op_histogram", "Inner vertices by op", ["op", "vertices"], &ops, 0.8, XTicks::Names(&names));
        if let Some((bars, width)) = accuracy_histogram {
            let ticks = XTicks::Percent { step: 0.1 };
            let label = "validation accuracy";
            histogram_ui(
                ui,
                "accuracy_histogram",
                "Validation accuracy (108 epochs)",
                [label, "cells"],
                bars,
                width,
                ticks,
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_and_sort_pick_and_order_rows() {
        let space = nasbench::space::enumerate_vertices(3);
        let mut records: Vec<Record> = space.iter().map(|c| Record::new(c.cell)).collect();
        for (k, record) in records.iter_mut().enumerate() {
            record.push_metric(MetricKey::VAL_ACC_108, k as f64 / 10.0);
        }
        let all = filter_and_sort(&records, "", SortColumn::Accuracy, true);
        assert_eq!(all, (0..records.len()).rev().collect::<Vec<_>>());
        let pools = filter_and_sort(&records, "maxpool", SortColumn::Order, false);
        assert!(!pools.is_empty() && pools.len() < records.len());
        assert!(pools.iter().all(|&i| records[i].cell.ops().contains(&nasbench::Op::MaxPool3x3)));
        let prefix = records[2].hash.to_string()[..6].to_owned();
        assert!(filter_and_sort(&records, &prefix, SortColumn::Order, false).contains(&2));
    }
}
