//! The engine: devices, models, the current dataset and the training run. Every job here is
//! `async` with asynchronous readback, so the same code runs on the worker thread (blocked on)
//! and in the browser (awaited between turns of the event loop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::{Cell, Dataset, MetricKey, Record};
use rand_chacha::ChaCha8Rng;
use vsgae::io::model_files::{ModelFileError, ModelFiles};
use vsgae::latent::{interpolate, principal_plane};
use vsgae::model::decoding::DecodeMode;
use vsgae::{Predictor, VsGae};
use web_time::Instant;

use super::backend::{BackendChoice, ComputeDevices};
use super::commands::{Command, DatasetInfo, Event, InterpolationPoint, LatentPoint};
use super::handle::{ComputeOptions, EventSender};
use super::platform::pause;
use super::training::TrainingRun;

/// A model with the device its weights live on.
pub(crate) struct Loaded<M> {
    pub model: M,
    pub device: Device,
    pub max_nodes: usize,
}

pub(crate) struct Engine {
    pub devices: ComputeDevices,
    pub predictor: Option<Loaded<Predictor>>,
    pub vsgae: Option<Loaded<VsGae>>,
    pub dataset: Option<Arc<DatasetInfo>>,
    pub space: Option<Arc<Vec<Cell>>>,
    pub training: Option<TrainingRun>,
    pub events: EventSender,
    pub cancel: Arc<AtomicBool>,
    rng: ChaCha8Rng,
}

/// The engine's life: choose devices, load the embedded models, then serve commands and train
/// in bounded steps until the GUI goes away.
pub(crate) async fn run(
    options: ComputeOptions,
    commands: Receiver<Command>,
    events: EventSender,
    cancel: Arc<AtomicBool>,
) {
    let started = Instant::now();
    // Reading the predictor needs no device: it goes on while the browser looks for a GPU.
    let progress = download_progress(&events, "downloading the predictor");
    let (devices, predictor) = futures_lite::future::zip(
        async {
            let devices = ComputeDevices::acquire(options.prefer_gpu).await;
            log::info!("the engine has its devices after {:.0} ms", Engine::elapsed_seconds(started) * 1e3);
            devices
        },
        crate::embedded::BuiltInPredictor::Shipped.read(progress),
    )
    .await;
    let mut engine = Engine {
        devices,
        predictor: None,
        vsgae: None,
        dataset: None,
        space: None,
        training: None,
        events,
        cancel,
        rng: nasbench::split::rng(0),
    };
    let models = engine.load_shipped_models(predictor).await;
    log::info!("the engine is ready after {:.0} ms", Engine::elapsed_seconds(started) * 1e3);
    let gpu_error = engine.devices.gpu_error.clone();
    engine.events.send(Event::Ready { backend: engine.devices.description.clone(), models, gpu_error });
    loop {
        let mut worked = false;
        loop {
            match commands.try_recv() {
                Ok(command) => {
                    engine.handle(command).await;
                    worked = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        }
        if engine.train_slice().await {
            worked = true;
        }
        // Natively the thread naps when idle; on the web every turn goes back to the page.
        pause(if worked { 0 } else { 10 }).await;
    }
}

/// A metric key in words ("val_acc_108" → "validation accuracy after 108 epochs").
fn target_words(target: &str) -> String {
    match target.parse::<MetricKey>() {
        Ok(key) => key.describe(),
        Err(_) => target.to_owned(),
    }
}

/// A progress callback for downloading `what` (the web build fetches its models).
fn download_progress(events: &EventSender, what: &'static str) -> impl Fn(usize, usize) + 'static {
    let events = events.clone();
    move |done, total| events.send(Event::Downloading { what: what.to_owned(), done, total })
}

impl Engine {
    async fn use_built_in_predictor(&mut self, which: crate::embedded::BuiltInPredictor) {
        let device = self.devices.device(BackendChoice::Gpu);
        match which.load(&device, download_progress(&self.events, "downloading the predictor")).await {
            Ok((_, model)) => {
                self.predictor = Some(Loaded { model, device, max_nodes: 0 });
                let what = format!("the {} predictor", which.label());
                self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::Predictor, what });
            }
            Err(error) => self.notice(format!("the {} predictor did not load: {error}", which.label())),
        }
    }

    /// The shipped predictor (read from its `files`), and natively the shipped VS-GAE too (the
    /// web build downloads the VS-GAE when a latent feature first needs it:
    /// [`Engine::ensure_vsgae`]).
    async fn load_shipped_models(
        &mut self,
        files: Result<ModelFiles<Predictor>, ModelFileError>,
    ) -> Result<String, String> {
        let device = self.devices.device(BackendChoice::Gpu);
        let built = Instant::now();
        let (predictor_config, predictor) = files.and_then(|files| files.build(&device)).map_err(|e| e.to_string())?;
        log::info!("the predictor was built in {:.0} ms", Engine::elapsed_seconds(built) * 1e3);
        self.predictor = Some(Loaded { model: predictor, device, max_nodes: 0 });
        let predictor = format!("built-in predictor of {}", target_words(&predictor_config.target));
        if cfg!(target_arch = "wasm32") {
            return Ok(format!("{predictor}; the VS-GAE is fetched when the latent panel first needs it"));
        }
        let dim = self.ensure_vsgae().await.ok_or("the built-in VS-GAE did not load")?;
        Ok(format!("{predictor} and VS-GAE with a {dim}-dimensional latent space"))
    }

    /// Loads the shipped VS-GAE where none is loaded yet; the latent space's dimension, or `None`
    /// (with a notice) where it cannot be loaded.
    async fn ensure_vsgae(&mut self) -> Option<usize> {
        if self.vsgae.is_none() {
            let device = self.devices.device(BackendChoice::Gpu);
            match crate::embedded::vsgae(&device, download_progress(&self.events, "downloading the VS-GAE")).await {
                Ok((config, model)) => {
                    self.vsgae = Some(Loaded { model, device, max_nodes: config.model.max_nodes });
                    if cfg!(target_arch = "wasm32") {
                        let what = format!(
                            "the built-in VS-GAE ({}-dimensional latent space), downloaded",
                            config.model.encoder.graph_dim
                        );
                        self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::Vsgae, what });
                    }
                }
                Err(error) => {
                    self.notice(format!("the built-in VS-GAE did not load: {error}"));
                    return None;
                }
            }
        }
        self.vsgae.as_ref().map(|loaded| loaded.model.encoder.mean.value.weight.val().dims()[1])
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::LoadFile { name, bytes } => self.load_file(name, &bytes),
            Command::LoadSpace => {
                let cells = self.space().await;
                let mut dataset = Dataset::new();
                for cell in cells.iter() {
                    dataset.push(Record::new(*cell));
                }
                self.set_dataset("generated search space".to_owned(), "generated".to_owned(), dataset);
            }
            Command::Predict { request, cells } => {
                if let Some(values) = self.predict(&cells).await {
                    self.events.send(Event::Predictions { request, cells, values });
                }
            }
            Command::RankSpace { top, screening } => self.rank_space(top, screening).await,
            Command::Interpolate { from, to, steps, how } => self.interpolate(from, to, steps, how).await,
            Command::LatentMap { max_cells } => self.latent_map(max_cells).await,
            Command::StartTraining(request) => self.start_training(*request),
            Command::PauseTraining(paused) => self.pause_training(paused),
            Command::StopTraining => self.stop_training(),
            Command::SaveCheckpoint { dir } => self.save_checkpoint(&dir),
            Command::ResumeTraining { dir, backend } => self.resume_training(&dir, backend),
            Command::DownloadCheckpoint => self.download_checkpoint().await,
            Command::ResumeFromZip { name, bytes, backend } => self.resume_from_zip(&name, &bytes, backend),
            Command::UseTrainedModel => self.use_trained_model(),
            Command::UseBuiltInPredictor(which) => self.use_built_in_predictor(which).await,
        }
    }

    pub(crate) fn notice(&self, message: impl Into<String>) {
        self.events.send(Event::Notice(message.into()));
    }

    fn load_file(&mut self, name: String, bytes: &[u8]) {
        match nasbench::formats::read_bytes(bytes) {
            Ok((format, dataset)) => self.set_dataset(name, format.name().to_owned(), dataset),
            Err(error) => self.events.send(Event::LoadFailed { message: format!("{name}: {error}"), name }),
        }
    }

    fn set_dataset(&mut self, name: String, format: String, dataset: Dataset) {
        let summary = dataset.summary();
        let labelled = summary.metrics.contains_key(&MetricKey::VAL_ACC_108);
        let info = Arc::new(DatasetInfo { name, format, dataset, summary, labelled });
        self.dataset = Some(info.clone());
        self.events.send(Event::DatasetLoaded(info));
    }

    /// The search space, enumerated once.
    pub async fn space(&mut self) -> Arc<Vec<Cell>> {
        if let Some(space) = &self.space {
            return space.clone();
        }
        self.events.send(Event::Progress { job: "enumerating the search space".to_owned(), done: 0, total: 6 });
        let mut cells = Vec::with_capacity(nasbench::space::UNIQUE_CELLS);
        for vertices in 2..=nasbench::MAX_VERTICES {
            cells.extend(nasbench::space::enumerate_vertices(vertices).into_iter().map(|c| c.cell));
            self.events.send(Event::Progress {
                job: "enumerating the search space".to_owned(),
                done: vertices - 1,
                total: nasbench::MAX_VERTICES - 1,
            });
            pause(0).await;
        }
        let space = Arc::new(cells);
        self.space = Some(space.clone());
        space
    }

    /// Predictions of the loaded predictor: natively on every core (the same chunks and
    /// values as `vsgae predict`), in a page with asynchronous readback.
    pub async fn predict(&self, cells: &[Cell]) -> Option<Vec<vsgae::training::predictor::Prediction>> {
        let Some(loaded) = &self.predictor else {
            self.notice("no predictor is loaded");
            return None;
        };
        self.predict_with(&loaded.model, cells).await
    }

    /// [`Engine::predict`] with `model` (the loaded predictor or part of it).
    pub async fn predict_with(
        &self,
        model: &Predictor,
        cells: &[Cell],
    ) -> Option<Vec<vsgae::training::predictor::Prediction>> {
        let device = &self.predictor.as_ref()?.device;
        let predicted = if cfg!(target_arch = "wasm32") {
            vsgae::training::predictor::predict_with_spread_async(model, cells, device).await
        } else {
            vsgae::training::predictor::predict_with_spread(model, cells, device)
        };
        match predicted {
            Ok(values) => Some(values),
            Err(error) => {
                self.notice(format!("prediction failed: {error}"));
                None
            }
        }
    }

    /// The VS-GAE's latent means of `cells`, in chunks (reporting progress and yielding
    /// between them), as rows of `dim` values; `None` without a VS-GAE or when cancelled.
    async fn encode(&self, cells: &[Cell]) -> Option<(Vec<f32>, usize)> {
        const JOB: &str = "encoding cells";
        let loaded = self.vsgae.as_ref()?;
        let mut dim = 0;
        let mut latents = Vec::new();
        for part in cells.chunks(512) {
            if self.cancelled() {
                self.notice("encoding cancelled");
                return None;
            }
            let means = vsgae::evaluation::abilities::encode_means(&loaded.model, part, &loaded.device, 512);
            dim = means.dims()[1];
            match vsgae::readback::floats_async(means).await {
                Ok(values) => latents.extend(values),
                Err(error) => {
                    self.notice(format!("encoding failed: {error}"));
                    return None;
                }
            }
            self.events.send(Event::Progress {
                job: JOB.to_owned(),
                done: latents.len() / dim.max(1),
                total: cells.len(),
            });
            pause(0).await;
        }
        Some((latents, dim))
    }

    async fn interpolate(&mut self, from: Cell, to: Cell, steps: usize, how: vsgae::latent::Interpolation) {
        if self.ensure_vsgae().await.is_none() {
            return;
        }
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&[from, to]).await else { return };
        if latents.len() != 2 * dim {
            self.notice("encoding the two cells failed");
            return;
        }
        let points = interpolate(&latents[..dim], &latents[dim..], steps.clamp(2, 64), how);
        let rows = points.len();
        let Some(loaded) = &self.vsgae else { return };
        let flat: Vec<f32> = points.into_iter().flatten().collect();
        let z = Tensor::<2>::from_data(TensorData::new(flat, [rows, dim]), &loaded.device);
        let graphs =
            match loaded.model.decoder.decode_async(z, loaded.max_nodes, DecodeMode::Greedy, &mut self.rng).await {
                Ok(graphs) => graphs,
                Err(error) => {
                    self.notice(format!("decoding failed: {error}"));
                    return;
                }
            };
        let cells: Vec<Cell> = graphs.iter().filter_map(|g| g.to_cell()).collect();
        let mut predicted = self.predict(&cells).await.unwrap_or_default().into_iter();
        let points = graphs
            .into_iter()
            .map(|graph| {
                let cell = graph.to_cell();
                let predicted = cell.and_then(|_| predicted.next()).map(|p| p.mean);
                InterpolationPoint { graph, cell, predicted }
            })
            .collect();
        self.events.send(Event::Interpolation(points));
    }

    async fn latent_map(&mut self, max_cells: usize) {
        self.cancel.store(false, Ordering::Relaxed);
        if self.ensure_vsgae().await.is_none() {
            return;
        }
        let Some(info) = self.dataset.clone() else {
            self.notice("load a dataset first");
            return;
        };
        let records = info.dataset.records();
        // `max_cells` cells spread evenly over the dataset (all of them where it is smaller).
        let count = max_cells.min(records.len());
        let chosen: Vec<&Record> = (0..count).map(|k| &records[k * records.len() / count]).collect();
        let cells: Vec<Cell> = chosen.iter().map(|r| r.cell).collect();
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&cells).await else { return };
        // A cell whose latent is not finite would make every projected position NaN (an empty
        // plot); such cells are left out and counted.
        let (finite, records): (Vec<&[f32]>, Vec<&Record>) = latents
            .chunks_exact(dim.max(1))
            .zip(chosen)
            .filter(|(latent, _)| latent.iter().all(|v| v.is_finite()))
            .unzip();
        let left_out = cells.len() - records.len();
        if left_out > 0 {
            self.notice(format!(
                "{left_out} of {} cells have latents that are not finite numbers; the map leaves them out",
                cells.len()
            ));
        }
        let plane = principal_plane(&finite.concat(), dim);
        let points: Vec<LatentPoint> = plane
            .into_iter()
            .zip(records)
            .filter(|(position, _)| position.iter().all(|v| v.is_finite()))
            .map(|(position, record)| LatentPoint {
                position,
                cell: record.cell,
                accuracy: record.mean(MetricKey::VAL_ACC_108),
            })
            .collect();
        if points.is_empty() {
            self.notice("the latent map has no cell to draw");
            return;
        }
        self.events.send(Event::LatentMap(points));
    }

    /// Whether the GUI asked the running job to stop; clears the request.
    pub fn cancelled(&self) -> bool {
        self.cancel.swap(false, Ordering::Relaxed)
    }

    pub fn elapsed_seconds(started: Instant) -> f64 {
        started.elapsed().as_secs_f64()
    }
}
