//! The app shell. The panels (data, train, cell, latent, predict) arrive with the app issue.

use nasbench::space::UNIQUE_CELLS;

/// The top-level application state.
#[derive(Debug, Default)]
pub struct StudioApp {}

impl StudioApp {
    /// Called once before the first frame.
    pub fn new(_cc: &eframe::CreationContext<'_>) -> Self {
        Self::default()
    }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("VS-GAE Studio");
            ui.label(format!("NAS-Bench-101: {UNIQUE_CELLS} unique cells."));
        });
    }
}
