//! The app: tabs over the six panels, a status bar, and the loop that feeds engine events to
//! the panels. State that persists ([`Settings`]) is kept apart from runtime state.

use web_time::Instant;

use vsgae::training::ModelKind;

use crate::compute::{Awaited, ComputeHandle, ComputeOptions, Event, PredictionRequest};
use crate::frame_stats::FrameStats;
use crate::panels::{PanelContext, Panels};
use crate::panels::{Settings, Tab};
use crate::shared::{Progress, Shared};

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub compute: ComputeOptions,
    /// Start from default settings instead of the stored ones.
    pub fresh: bool,
    /// A file to load at start: its name and bytes.
    pub open: Option<(String, Vec<u8>)>,
    /// The panel to show first.
    pub tab: Option<Tab>,
}

/// Watches the app frame by frame from outside its panels: the test probe (`probe` feature),
/// which the binary hands over with [`StudioApp::with_observer`]. The product has none.
pub trait FrameObserver: std::fmt::Debug {
    /// Before the app draws a frame.
    fn before_frame(&mut self, app: &mut StudioApp, ctx: &egui::Context);
    /// A prediction arrived, computed on `device`.
    fn saw_prediction(&mut self, device: &str);
    /// After the app drew a frame.
    fn after_frame(&mut self, app: &StudioApp, ctx: &egui::Context);
}

/// The top-level application state.
#[derive(Debug)]
pub struct StudioApp {
    pub settings: Settings,
    pub shared: Shared,
    pub panels: Panels,
    compute: ComputeHandle,
    pub(crate) frames: FrameStats,
    last_frame: Option<Instant>,
    observer: Option<Box<dyn FrameObserver>>,
}

impl StudioApp {
    /// Called once before the first frame.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let prefer_gpu = std::env::var("VSGAE_BACKEND").map_or(true, |v| v != "cpu");
        Self::with_options(cc, AppOptions { compute: ComputeOptions { prefer_gpu }, ..AppOptions::default() })
    }

    pub fn with_options(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let compute = ComputeHandle::spawn(Some(cc.egui_ctx.clone()), options.compute);
        Self::with_compute(cc, options, compute)
    }

    /// The app with `observer` watching its frames (the test probe).
    pub fn with_observer(mut self, observer: Box<dyn FrameObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The app on an engine that is already running (the web page starts it first, so that the
    /// models load while the GUI starts).
    pub fn with_compute(cc: &eframe::CreationContext<'_>, options: AppOptions, compute: ComputeHandle) -> Self {
        compute.wake(&cc.egui_ctx);
        // Start the clock of the times to the engine's start and the first prediction.
        let _ = milliseconds_since_start();
        #[cfg_attr(not(target_arch = "wasm32"), expect(unused_mut))]
        let mut settings: Settings = cc
            .storage
            .filter(|_| !options.fresh)
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        #[cfg(target_arch = "wasm32")]
        if let Some(cell) = crate::web_page::cell_from_address() {
            settings.cell = nasbench::CellDraft::from_cell(&cell);
            settings.tab = Tab::Cell;
        }
        let mut app = Self {
            settings,
            shared: Shared::default(),
            panels: Panels::default(),
            compute,
            frames: FrameStats::default(),
            last_frame: None,
            observer: None,
        };
        if let Some(tab) = options.tab {
            app.settings.tab = tab;
        }
        if let Some((name, bytes)) = options.open {
            app.compute.send(crate::compute::Command::LoadFile { name, bytes });
        }
        app
    }

    /// The engine's handle (tests drive it directly, as the file dialog would).
    pub fn compute(&self) -> &ComputeHandle {
        &self.compute
    }

    /// Takes the engine's events: what the whole app shows goes into [`Shared`], and every
    /// event goes to every panel, which takes what is its.
    fn handle_events(&mut self, ctx: &egui::Context) {
        for event in self.compute.poll() {
            self.on_app_event(&event);
            let mut panel_ctx = PanelContext {
                settings: &mut self.settings,
                shared: &mut self.shared,
                compute: &self.compute,
                egui: ctx,
            };
            for panel in self.panels.all() {
                panel.on_event(&event, &mut panel_ctx);
            }
        }
    }

    fn on_app_event(&mut self, event: &Event) {
        match event {
            Event::Ready { backend, models, gpu_error } => {
                log::info!("the engine is ready {:.0} ms after the start", milliseconds_since_start());
                if let Some(why) = gpu_error {
                    log::info!("running on the CPU: {why}");
                    self.shared.notice(format!("Computing on the CPU: {why}"));
                }
                self.shared.backend = Some(backend.clone());
                if models.is_ok() {
                    self.shared.arrived(Awaited::Predictor);
                    self.shared.arrived(Awaited::VsGae);
                }
                self.shared.models = Some(models.clone());
                #[cfg(target_arch = "wasm32")]
                crate::web_page::show_backend(backend);
            }
            Event::DatasetLoaded(info) => {
                self.shared.load_error = None;
                self.shared.arrived(Awaited::Dataset);
                self.shared.dataset = Some(info.clone());
            }
            Event::LoadFailed { message, .. } => self.shared.load_error = Some(message.clone()),
            Event::Predictions { request, cells, values, device } => {
                if let Some(observer) = &mut self.observer {
                    observer.saw_prediction(device);
                }
                if *request == PredictionRequest::Cache {
                    self.shared.store_predictions(cells, values);
                }
            }
            Event::Progress { job, done, total } => {
                self.shared.progress =
                    (done < total).then_some(Progress { job: job.clone(), done: *done, total: *total, bytes: false });
            }
            Event::Downloading { what, done, total } => {
                self.shared.progress =
                    (done < total).then_some(Progress { job: what.clone(), done: *done, total: *total, bytes: true });
            }
            Event::Ranking { ascending, .. } => {
                self.shared.progress = None;
                self.shared.space_predictions = Some(ascending.clone());
            }
            Event::ModelReplaced { kind, what } => {
                if *kind == ModelKind::Predictor {
                    self.shared.clear_predictions();
                }
                self.shared.arrived(if *kind == ModelKind::Predictor { Awaited::Predictor } else { Awaited::VsGae });
                self.shared.notice(format!("Now serving the app: {what}."));
            }
            Event::TrainingBegan { .. } => self.shared.arrived(Awaited::TrainingRun),
            Event::Notice { message, until } => self.shared.notice_until(message.clone(), *until),
            Event::EngineStopped(message) => {
                log::error!("the compute engine stopped: {message}");
                self.shared.engine_stopped = Some(message.clone());
            }
            _ => {}
        }
    }

    fn take_files(&mut self, ctx: &egui::Context) {
        self.panels.data.inbox.take_dropped(ctx);
        for file in self.panels.data.inbox.poll() {
            match file {
                Ok((name, bytes)) => {
                    self.settings.tab = Tab::Data;
                    self.compute.send(crate::compute::Command::LoadFile { name, bytes });
                }
                Err(error) => self.shared.load_error = Some(error.to_string()),
            }
        }
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        if let Some(why) = &self.shared.engine_stopped {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("The compute engine stopped on an internal error ({why}); restart the app to compute again."),
            );
        }
        ui.horizontal_wrapped(|ui| {
            match &self.shared.backend {
                Some(backend) => ui.label(format!("Backend: {backend}")),
                None => ui.label("Starting the engine…"),
            };
            match &self.shared.models {
                Some(Ok(models)) => {
                    ui.label(format!("· Models: {models}"));
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("· Models not loaded: {error}"));
                }
                None => {}
            }
            if let Some(info) = &self.shared.dataset {
                ui.label(format!("· Dataset: {} ({} cells)", info.name, info.summary.cells));
            }
            if let Some(frames) = self.frames.frame_cpu_times().or_else(|| self.frames.ui_times()) {
                ui.label(format!(
                    "· Frame time (last minute): median {:.1} ms, worst {:.1} ms",
                    frames.median_ms, frames.worst_ms
                ));
            }
        });
        if let Some(progress) = &self.shared.progress {
            ui.add(egui::ProgressBar::new(progress.done as f32 / progress.total.max(1) as f32).text(
                if progress.bytes {
                    let megabytes = |bytes: usize| bytes as f64 / 1e6;
                    format!("{}: {:.1} / {:.1} MB", progress.job, megabytes(progress.done), megabytes(progress.total))
                } else {
                    format!("{}: {} / {}", progress.job, progress.done, progress.total)
                },
            ));
        }
        if let Some(notice) = self.shared.notices.last() {
            ui.label(&notice.message);
        }
    }
}

/// Milliseconds since the app started (since the page started loading, on the web).
pub(crate) fn milliseconds_since_start() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        // Only what this frame draws is on screen.
        self.shared.anchors.clear();
        self.handle_events(&ctx);
        self.take_files(&ctx);
        let mut observer = self.observer.take();
        if let Some(observer) = &mut observer {
            observer.before_frame(self, &ctx);
        }
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("VS-GAE Studio");
                ui.separator();
                for tab in Tab::ALL {
                    let response = ui.selectable_value(&mut self.settings.tab, tab, tab.title());
                    self.shared.anchor(tab.title(), &response);
                }
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let panel = self.panels.get(self.settings.tab);
            let mut panel_ctx = PanelContext {
                settings: &mut self.settings,
                shared: &mut self.shared,
                compute: &self.compute,
                egui: &ctx,
            };
            panel.ui(ui, &mut panel_ctx);
        });
        if self.shared.open_cell.is_some() {
            self.settings.tab = Tab::Cell;
            ctx.request_repaint();
        }
        let now = Instant::now();
        let interval = self.last_frame.map_or(0.0, |last| now.duration_since(last).as_secs_f32() * 1000.0);
        self.last_frame = Some(now);
        let cpu = frame.info().cpu_usage.map(|seconds| seconds * 1000.0);
        self.frames.record(interval, now.duration_since(started).as_secs_f32() * 1000.0, cpu);
        if let Some(observer) = &mut observer {
            observer.after_frame(self, &ctx);
        }
        self.observer = observer;
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
