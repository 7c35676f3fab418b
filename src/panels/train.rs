//! The train panel: a form bound to the training configs, Start / Pause / Stop, progress with
//! an ETA, live curves, the results table, checkpoints, and handing the model to the app.

use egui_plot::{Legend, Line, Plot, PlotPoints};
use nasbench::sampling::Sampling;
use nasbench::split::Task;
use serde::{Deserialize, Serialize};
use vsgae::config::{MAX_BATCH_SIZE, MAX_BETA, MAX_GRAPH_DIM, MAX_LEARNING_RATE, MAX_NODE_DIM};
use vsgae::training::{EpochRecord, ModelKind, TrainingEvent};
use vsgae::{EncoderConfig, PredictorConfig, PredictorTrainingConfig, VsGaeConfig, VsGaeTrainingConfig};
use web_time::Instant;

use crate::compute::{BackendChoice, Command, ComputeHandle, Event, TrainRequest, TrainingState};
use crate::files::{FileInbox, FileKind};
use crate::panels::{Panel, PanelContext};
use crate::shared::Shared;

/// The form; persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainForm {
    pub kind: ModelKind,
    pub backend: BackendChoice,
    pub predictor: PredictorTrainingConfig,
    pub vsgae: VsGaeTrainingConfig,
}

impl Default for TrainForm {
    fn default() -> Self {
        Self {
            kind: ModelKind::Predictor,
            backend: BackendChoice::Gpu,
            predictor: PredictorTrainingConfig::new(PredictorConfig::new(EncoderConfig::new()))
                .with_epochs(30)
                .with_learning_rate(1e-3),
            vsgae: VsGaeTrainingConfig::new(VsGaeConfig::new(EncoderConfig::new())).with_epochs(10),
        }
    }
}

impl TrainForm {
    /// The form's request to train `kind`; `None` for a model the app does not train (the
    /// latent predictor, which `vsgae train-latent-predictor` trains).
    pub fn request(&self, kind: ModelKind) -> Option<TrainRequest> {
        match kind {
            ModelKind::Predictor => {
                Some(TrainRequest::Predictor { config: self.predictor.clone(), backend: self.backend })
            }
            ModelKind::VsGae => Some(TrainRequest::VsGae { config: self.vsgae.clone(), backend: self.backend }),
            ModelKind::LatentPredictor => None,
        }
    }
}

/// What the panel shows of the run; runtime only.
#[derive(Debug, Default)]
pub struct TrainPanel {
    pub state: Option<TrainingState>,
    /// Per-step training loss: (global step, loss).
    steps: Vec<[f64; 2]>,
    pub epochs: Vec<EpochRecord>,
    epoch: usize,
    epoch_count: usize,
    steps_per_epoch: usize,
    step_in_epoch: usize,
    /// When the run (or its resumption) started, and the global step then.
    started: Option<(Instant, usize)>,
    pub checkpoint_dir: String,
    /// Checkpoint zips chosen to resume from, and what became of saved ones.
    pub inbox: FileInbox,
    /// The last checkpoint zip packed for download: its file name and bytes.
    pub checkpoint_zip: Option<(String, Vec<u8>)>,
    /// Whether the user pressed "Download checkpoint" and waits for the zip.
    download_asked: bool,
}

impl TrainPanel {
    /// A run began: forget the one shown; a resumed run brings the epochs it already has.
    fn on_begin(&mut self, history: &[EpochRecord]) {
        self.clear_run();
        self.epoch = history.last().map_or(0, |r| r.epoch);
        self.epochs = history.to_vec();
    }

    /// Takes one event of the run.
    fn on_training_event(&mut self, event: &TrainingEvent) {
        match event {
            TrainingEvent::Started { epoch, epochs, steps_per_epoch, .. } => {
                self.epoch = *epoch;
                self.epoch_count = *epochs;
                self.steps_per_epoch = *steps_per_epoch;
                self.step_in_epoch = 0;
                if self.started.is_none() {
                    self.started = Some((Instant::now(), self.global_step()));
                }
            }
            TrainingEvent::Step { step, loss, .. } => {
                self.step_in_epoch = *step;
                self.steps.push([self.global_step() as f64, *loss]);
            }
            TrainingEvent::Epoch(record) => self.epochs.push(record.clone()),
            TrainingEvent::Checkpoint { .. } | TrainingEvent::Finished { .. } => {}
        }
    }

    fn on_state(&mut self, state: &TrainingState) {
        if !matches!(state, TrainingState::Running { .. }) {
            self.started = None;
        }
        self.state = Some(state.clone());
    }

    /// Optimiser steps reported so far.
    pub fn steps_recorded(&self) -> usize {
        self.steps.len()
    }

    fn global_step(&self) -> usize {
        self.epoch.saturating_sub(1) * self.steps_per_epoch + self.step_in_epoch
    }

    /// Forgets the run shown, keeping the checkpoint folder and the file inbox.
    fn clear_run(&mut self) {
        *self = Self {
            checkpoint_dir: std::mem::take(&mut self.checkpoint_dir),
            inbox: std::mem::take(&mut self.inbox),
            ..Self::default()
        };
    }

    fn running(&self) -> bool {
        matches!(self.state, Some(TrainingState::Running { .. } | TrainingState::Paused))
    }
}

impl Panel for TrainPanel {
    fn on_event(&mut self, event: &Event, ctx: &mut PanelContext<'_>) {
        match event {
            Event::TrainingBegan { history } => self.on_begin(history),
            Event::Training(event) => self.on_training_event(event),
            Event::TrainingState(state) => self.on_state(state),
            Event::CheckpointZip { file_name, bytes } => {
                // Offered for saving where the user pressed the button (not where another part of
                // the app, or a test, asked the engine for it).
                if std::mem::take(&mut self.download_asked) {
                    self.inbox.save(ctx.egui, file_name.clone(), bytes.clone());
                }
                self.checkpoint_zip = Some((file_name.clone(), bytes.clone()));
            }
            _ => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut PanelContext<'_>) {
        let (form, shared, compute) = (&mut ctx.settings.train, &mut *ctx.shared, ctx.compute);
        egui::Panel::left("train_form").resizable(false).default_size(300.0).show(ui, |ui| {
            ui.add_enabled_ui(!self.running(), |ui| form_ui(ui, form));
            ui.separator();
            self.controls_ui(ui, form, shared, compute);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            self.progress_ui(ui);
            self.curves_ui(ui);
            self.results_ui(ui);
        });
    }
}

impl TrainPanel {
    fn controls_ui(&mut self, ui: &mut egui::Ui, form: &TrainForm, shared: &mut Shared, compute: &ComputeHandle) {
        ui.horizontal(|ui| {
            let start = ui.add_enabled(!self.running(), egui::Button::new("Start"));
            shared.anchor("Start", &start);
            if start.clicked()
                && let Some(request) = form.request(form.kind)
            {
                self.clear_run();
                compute.send(Command::StartTraining(Box::new(request)));
            }
            let paused = self.state == Some(TrainingState::Paused);
            let label = if paused { "Continue" } else { "Pause" };
            if ui.add_enabled(self.running(), egui::Button::new(label)).clicked() {
                compute.send(Command::PauseTraining(!paused));
            }
            let stop = ui.add_enabled(self.running(), egui::Button::new("Stop"));
            shared.anchor("Stop", &stop);
            if stop.clicked() {
                compute.send(Command::StopTraining);
            }
        });
        let has_model = self.state.is_some() && !self.epochs.is_empty();
        if ui.add_enabled(has_model, egui::Button::new("Use this model in the app")).clicked() {
            compute.send(Command::UseTrainedModel);
        }
        if cfg!(not(target_arch = "wasm32")) {
            ui.separator();
            ui.label("Checkpoint folder:");
            ui.text_edit_singleline(&mut self.checkpoint_dir);
            let dir = std::path::PathBuf::from(self.checkpoint_dir.trim());
            let usable = !self.checkpoint_dir.trim().is_empty();
            ui.horizontal(|ui| {
                if ui.add_enabled(usable && self.state.is_some(), egui::Button::new("Save checkpoint")).clicked() {
                    compute.send(Command::SaveCheckpoint { dir: dir.clone() });
                }
                if ui.add_enabled(usable && !self.running(), egui::Button::new("Resume")).clicked() {
                    self.clear_run();
                    compute.send(Command::ResumeTraining { dir, backend: form.backend });
                }
            });
        }
        self.checkpoint_zip_ui(ui, form, shared, compute);
    }

    /// Checkpoints as zips: downloaded and uploaded in the browser, saved and opened natively.
    fn checkpoint_zip_ui(&mut self, ui: &mut egui::Ui, form: &TrainForm, shared: &mut Shared, compute: &ComputeHandle) {
        ui.separator();
        ui.horizontal(|ui| {
            let download = ui.add_enabled(self.state.is_some(), egui::Button::new("Download checkpoint"));
            shared.anchor("Download checkpoint", &download);
            if download.on_hover_text("The run as it stands, as a zip to resume from later").clicked() {
                self.download_asked = true;
                compute.send(Command::DownloadCheckpoint);
            }
            let resume = ui.add_enabled(!self.running(), egui::Button::new("Resume from zip"));
            shared.anchor("Resume from zip", &resume);
            if resume.on_hover_text("Continue a downloaded checkpoint on the current dataset").clicked() {
                self.inbox.open_dialog(ui.ctx(), FileKind::Checkpoint);
            }
        });
        if let Some((name, bytes)) = &self.checkpoint_zip {
            ui.weak(format!("Last checkpoint: {name} ({:.1} MB)", bytes.len() as f64 / 1e6));
        }
        for message in self.inbox.poll_messages() {
            shared.notice(message);
        }
        for file in self.inbox.poll() {
            match file {
                Ok((name, bytes)) => {
                    self.clear_run();
                    compute.send(Command::ResumeFromZip { name, bytes, backend: form.backend });
                }
                Err(error) => shared.notice(error.to_string()),
            }
        }
    }

    fn progress_ui(&self, ui: &mut egui::Ui) {
        let status = match &self.state {
            None => "Not started.".to_owned(),
            Some(TrainingState::Running { device }) => format!("Training on {device}."),
            Some(TrainingState::Paused) => "Paused.".to_owned(),
            Some(TrainingState::Finished) => "Finished.".to_owned(),
            Some(TrainingState::Stopped) => "Stopped.".to_owned(),
            Some(TrainingState::Failed(why)) => format!("Failed: {why}"),
        };
        ui.label(status);
        let total = self.epoch_count * self.steps_per_epoch;
        if total == 0 {
            return;
        }
        let done = self.global_step().min(total);
        let eta = self.started.and_then(|(when, first)| {
            let seconds = when.elapsed().as_secs_f64();
            let steps = done.saturating_sub(first);
            (steps > 0 && seconds > 0.5).then(|| (total - done) as f64 * seconds / steps as f64)
        });
        let text = format!(
            "epoch {}/{} · step {}/{}{}",
            self.epoch,
            self.epoch_count,
            self.step_in_epoch,
            self.steps_per_epoch,
            eta.map(|s| format!(" · ETA {}", duration_text(s))).unwrap_or_default()
        );
        ui.add(egui::ProgressBar::new(done as f32 / total as f32).text(text));
    }

    fn curves_ui(&self, ui: &mut egui::Ui) {
        let per_epoch = |pick: &dyn Fn(&EpochRecord) -> Option<f64>| -> Vec<[f64; 2]> {
            self.epochs.iter().filter_map(|r| pick(r).map(|v| [r.epoch as f64, v])).collect()
        };
        let steps_per_epoch = self.steps_per_epoch.max(1) as f64;
        let step_curve: Vec<[f64; 2]> =
            smooth(&self.steps).into_iter().map(|[s, l]| [s / steps_per_epoch, l]).collect();
        let train = per_epoch(&|r| Some(r.train_loss));
        let validation = per_epoch(&|r| r.validation.as_ref().map(|m| m.mse));
        let held_out = per_epoch(&|r| r.held_out_loss);
        let test = per_epoch(&|r| r.test.as_ref().map(|m| m.mse));
        let tau = per_epoch(&|r| r.validation.as_ref().map(|m| m.kendall_tau));
        let rate = per_epoch(&|r| Some(r.learning_rate));
        let height = (ui.available_height() * 0.3).max(120.0);
        ui.label("Loss (train per step, smoothed; per epoch: train, validation, test, or the VS-GAE's held-out part)");
        Plot::new("loss_curves").height(height).legend(Legend::default()).x_axis_label("epoch").show(ui, |plot| {
            plot.line(Line::new("train (steps)", PlotPoints::from(step_curve)));
            plot.line(Line::new("train", PlotPoints::from(train)));
            plot.line(Line::new("validation", PlotPoints::from(validation)));
            plot.line(Line::new("test", PlotPoints::from(test)));
            plot.line(Line::new("held-out", PlotPoints::from(held_out)));
        });
        ui.columns(2, |columns| {
            columns[0].label("Kendall τ (validation)");
            Plot::new("tau_curve").height(height * 0.7).x_axis_label("epoch").show(&mut columns[0], |plot| {
                plot.line(Line::new("τ", PlotPoints::from(tau)));
            });
            columns[1].label("Learning rate");
            Plot::new("lr_curve").height(height * 0.7).x_axis_label("epoch").show(&mut columns[1], |plot| {
                plot.line(Line::new("lr", PlotPoints::from(rate)));
            });
        });
    }

    fn results_ui(&self, ui: &mut egui::Ui) {
        let Some(last) = self.epochs.last() else { return };
        ui.label(format!("Results after epoch {}", last.epoch));
        egui::Grid::new("results").striped(true).show(ui, |ui| {
            ui.strong("part");
            for name in ["cells", "RMSE", "MAE", "Kendall τ", "Spearman ρ", "R²", "top-1 % precision"] {
                ui.strong(name);
            }
            ui.end_row();
            for (part, metrics) in [("validation", &last.validation), ("test", &last.test)] {
                let Some(m) = metrics else { continue };
                ui.label(part);
                ui.label(m.n.to_string());
                for value in [m.rmse, m.mae, m.kendall_tau, m.spearman, m.r2, m.top_1pct_precision] {
                    ui.label(format!("{value:.4}"));
                }
                ui.end_row();
            }
            if let Some(loss) = last.held_out_loss {
                ui.label("held-out loss");
                ui.label(format!("{loss:.4}"));
                ui.end_row();
            }
        });
    }
}

/// The form's fields.
fn form_ui(ui: &mut egui::Ui, form: &mut TrainForm) {
    // The form trains the two models it offers; any other kind (from an edited settings file)
    // shows the predictor's form.
    if form.request(form.kind).is_none() {
        form.kind = ModelKind::Predictor;
    }
    ui.horizontal(|ui| {
        ui.selectable_value(&mut form.kind, ModelKind::Predictor, "Predictor");
        ui.selectable_value(&mut form.kind, ModelKind::VsGae, "VS-GAE");
    });
    ui.horizontal(|ui| {
        ui.label("Backend:");
        for &(choice, name) in BackendChoice::offered() {
            ui.selectable_value(&mut form.backend, choice, name);
        }
    });
    egui::Grid::new("train_form_grid").num_columns(2).show(ui, |ui| match form.kind {
        ModelKind::Predictor | ModelKind::LatentPredictor => {
            let c = &mut form.predictor;
            ui.label("Task");
            egui::ComboBox::from_id_salt("task").selected_text(c.task.name()).show_ui(ui, |ui| {
                for task in Task::ALL {
                    ui.selectable_value(&mut c.task, task, task.name());
                }
            });
            ui.end_row();
            ui.label("Training size (%)");
            ui.add(egui::DragValue::new(&mut c.training_size).range(1..=100));
            ui.end_row();
            ui.label("Sampling");
            egui::ComboBox::from_id_salt("sampling").selected_text(c.sampling.name()).show_ui(ui, |ui| {
                for sampling in [Sampling::Random, Sampling::Even, Sampling::Edit] {
                    ui.selectable_value(&mut c.sampling, sampling, sampling.name());
                }
            });
            ui.end_row();
            common_fields(ui, &mut c.epochs, &mut c.learning_rate, &mut c.batch_size, &mut c.seed);
            width_fields(ui, &mut c.model.encoder);
        }
        ModelKind::VsGae => {
            let c = &mut form.vsgae;
            common_fields(ui, &mut c.epochs, &mut c.learning_rate, &mut c.batch_size, &mut c.seed);
            ui.label("β (KL weight)");
            ui.add(egui::DragValue::new(&mut c.model.beta).speed(0.001).range(0.0..=MAX_BETA));
            ui.end_row();
            width_fields(ui, &mut c.model.encoder);
        }
    });
    if form.kind == ModelKind::VsGae {
        ui.label("The VS-GAE trains on the current dataset's cells (90/10 split).");
    }
}

fn common_fields(ui: &mut egui::Ui, epochs: &mut usize, lr: &mut f64, batch: &mut usize, seed: &mut u64) {
    ui.label("Epochs");
    ui.add(egui::DragValue::new(epochs).range(1..=usize::MAX));
    ui.end_row();
    ui.label("Learning rate");
    ui.add(egui::DragValue::new(lr).speed(1e-5).range(f64::MIN_POSITIVE..=MAX_LEARNING_RATE).max_decimals(7));
    ui.end_row();
    ui.label("Batch size");
    ui.add(egui::DragValue::new(batch).range(1..=MAX_BATCH_SIZE));
    ui.end_row();
    ui.label("Seed");
    ui.add(egui::DragValue::new(seed));
    ui.end_row();
}

/// The encoder's widths, within the limits the config accepts.
fn width_fields(ui: &mut egui::Ui, encoder: &mut EncoderConfig) {
    ui.label("Node / graph width");
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut encoder.node_dim).range(1..=MAX_NODE_DIM));
        ui.add(egui::DragValue::new(&mut encoder.graph_dim).range(1..=MAX_GRAPH_DIM));
    });
    ui.end_row();
}

/// A running mean over 20 steps, one point per 5 steps, so long runs stay cheap to draw.
fn smooth(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    const WINDOW: usize = 20;
    let mut out = Vec::with_capacity(points.len() / 5 + 1);
    let mut sum = 0.0;
    for (i, p) in points.iter().enumerate() {
        sum += p[1];
        if i >= WINDOW {
            sum -= points[i - WINDOW][1];
        }
        if i % 5 == 0 || i + 1 == points.len() {
            out.push([p[0], sum / (i + 1).min(WINDOW) as f64]);
        }
    }
    out
}

fn duration_text(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 { format!("{}h {:02}m", s / 3600, s % 3600 / 60) } else { format!("{}m {:02}s", s / 60, s % 60) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_averages_the_window_and_keeps_the_last_point() {
        let points: Vec<[f64; 2]> = (0..11).map(|i| [i as f64, i as f64]).collect();
        let smoothed = smooth(&points);
        assert_eq!(smoothed.first(), Some(&[0.0, 0.0]));
        assert_eq!(smoothed.last(), Some(&[10.0, 5.0]));
        assert_eq!(smoothed.len(), 3);
    }

    #[test]
    fn the_eta_reads_as_minutes_or_hours() {
        assert_eq!(duration_text(75.0), "1m 15s");
        assert_eq!(duration_text(7260.0), "2h 01m");
    }

    #[test]
    fn the_progress_counts_steps_across_epochs() {
        let mut panel = TrainPanel::default();
        panel.on_training_event(&TrainingEvent::Started {
            epoch: 2,
            epochs: 3,
            steps_per_epoch: 10,
            training_cells: 100,
        });
        panel.on_training_event(&TrainingEvent::Step { epoch: 2, step: 4, loss: 0.5 });
        assert_eq!(panel.global_step(), 14);
        assert_eq!(panel.steps, vec![[14.0, 0.5]]);
    }
}
