//! The engine: devices, models, the current dataset and the training run. Every job here is
//! `async` with asynchronous readback, so the same code runs on the worker thread (blocked on)
//! and in the browser (awaited between turns of the event loop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use burn::tensor::Device;
use nasbench::{Cell, Dataset, MetricKey, Record};
use rand_chacha::ChaCha8Rng;
use vsgae::inference::Prediction;
use vsgae::io::model_files::{ModelFileError, ModelFiles};
use vsgae::{Predictor, VsGae};
use web_time::Instant;

use crate::compute::backend::ComputeDevices;
use crate::compute::commands::{Command, DatasetInfo, Event};
use crate::compute::error::{ComputeError, ModelsUnavailable};
use crate::compute::events::{ComputeOptions, EventSender};
use crate::compute::platform::pause;
use models::download_progress;
use training_run::ActiveTraining;

mod latent;
mod models;
mod ranking;
mod search;
mod training;
mod training_run;

/// A model with the device its weights live on.
struct Loaded<M> {
    model: M,
    device: Device,
}

pub(crate) struct Engine {
    devices: ComputeDevices,
    predictor: Option<Loaded<Predictor>>,
    vsgae: Option<Loaded<VsGae>>,
    /// The prior the loaded VS-GAE came with (the shipped one's); none for one trained here.
    vsgae_prior: Option<vsgae::latent::prior::LatentPrior>,
    dataset: Option<Arc<DatasetInfo>>,
    space: Option<Arc<Vec<Cell>>>,
    training: Option<ActiveTraining>,
    search: Option<search::SearchJob>,
    events: EventSender,
    cancel: Arc<AtomicBool>,
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
    let acquiring = async {
        let devices = ComputeDevices::acquire(options.prefer_gpu).await;
        log::info!("the engine has its devices after {:.0} ms", Engine::elapsed_seconds(started) * 1e3);
        devices
    };
    futures_lite::pin!(acquiring);
    let reading =
        crate::embedded::BuiltInPredictor::Shipped.read(download_progress(&events, "downloading the predictor"));
    futures_lite::pin!(reading);
    let mut engine = Engine::new(ComputeDevices::cpu_only("the engine has not chosen its devices yet"), events, cancel);
    let first = futures_lite::future::or(async { StartingStep::Devices((&mut acquiring).await) }, async {
        StartingStep::Predictor((&mut reading).await)
    })
    .await;
    let (predictor, held) = match first {
        StartingStep::Devices(devices) => {
            engine.devices = devices;
            (engine.use_shipped_predictor(reading.await), Vec::new())
        }
        StartingStep::Predictor(files) => {
            engine.answer_on_the_cpu_until_devices(files, options.prefer_gpu, acquiring, &commands).await
        }
    };
    let models = engine.load_shipped_vsgae(predictor).await.map_err(ModelsUnavailable::from);
    log::info!("the engine is ready after {:.0} ms", Engine::elapsed_seconds(started) * 1e3);
    let gpu_error = engine.devices.gpu_error.clone();
    engine.events.send(Event::Ready { backend: engine.devices.description.clone(), models, gpu_error });
    for command in held {
        engine.handle(command).await;
    }
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
        if engine.search_slice() {
            worked = true;
        }
        // Natively the thread naps when idle; on the web every turn goes back to the page.
        pause(if worked { 0 } else { 10 }).await;
    }
}

/// What the engine's start finished first: the devices, or reading the shipped predictor.
enum StartingStep {
    Devices(ComputeDevices),
    Predictor(Result<ModelFiles<Predictor>, ModelFileError>),
}

impl Engine {
    fn new(devices: ComputeDevices, events: EventSender, cancel: Arc<AtomicBool>) -> Self {
        Self {
            devices,
            predictor: None,
            vsgae: None,
            vsgae_prior: None,
            dataset: None,
            space: None,
            training: None,
            search: None,
            events,
            cancel,
            rng: nasbench::split::rng(0),
        }
    }

    /// Does what `command` asks; a job that fails is reported here, once, as a notice.
    async fn handle(&mut self, command: Command) {
        if let Err(error) = self.try_handle(command).await {
            self.events.send(Event::Notice { message: error.to_string(), until: error.awaits() });
        }
    }

    async fn try_handle(&mut self, command: Command) -> Result<(), ComputeError> {
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
                let values = self.predict(&cells).await?;
                let device = self.predictor.as_ref().map(|p| self.devices.name_of(&p.device).to_owned());
                self.events.send(Event::Predictions { request, cells, values, device: device.unwrap_or_default() });
            }
            Command::RankSpace { top, screening } => self.rank_space(top, screening).await?,
            Command::Interpolate { from, to, steps, how } => self.interpolate(from, to, steps, how).await?,
            Command::LatentMap { max_cells } => self.latent_map(max_cells).await?,
            Command::SamplePrior { count } => self.sample_prior(count).await?,
            Command::StartTraining(request) => self.start_training(*request),
            Command::PauseTraining(paused) => self.pause_training(paused),
            Command::StopTraining => self.stop_training(),
            Command::SaveCheckpoint { dir } => self.save_checkpoint(&dir)?,
            Command::ResumeTraining { dir, backend } => self.resume_training(&dir, backend),
            Command::DownloadCheckpoint => self.download_checkpoint().await?,
            Command::ResumeFromZip { name, bytes, backend } => self.resume_from_zip(&name, &bytes, backend),
            Command::UseTrainedModel => self.use_trained_model()?,
            Command::UseBuiltInPredictor(which) => self.use_built_in_predictor(which).await?,
            Command::StartSearch(request) => self.start_search(request).await?,
            Command::StopSearch => self.stop_search(),
        }
        Ok(())
    }

    pub(crate) fn notice(&self, message: impl Into<String>) {
        self.events.send(Event::Notice { message: message.into(), until: None });
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
    pub async fn predict(&self, cells: &[Cell]) -> Result<Vec<Prediction>, ComputeError> {
        let loaded = self.predictor.as_ref().ok_or(ComputeError::NoPredictor)?;
        self.predict_with(&loaded.model, cells).await
    }

    /// [`Engine::predict`] with `model` (the loaded predictor or part of it).
    pub async fn predict_with(&self, model: &Predictor, cells: &[Cell]) -> Result<Vec<Prediction>, ComputeError> {
        let device = &self.predictor.as_ref().ok_or(ComputeError::NoPredictor)?.device;
        let predicted = if cfg!(target_arch = "wasm32") {
            vsgae::inference::predict_with_spread_async(model, cells, device).await
        } else {
            vsgae::inference::predict_with_spread(model, cells, device)
        };
        predicted.map_err(ComputeError::Prediction)
    }

    /// Whether the GUI asked the running job to stop; clears the request.
    pub fn cancelled(&self) -> bool {
        self.cancel.swap(false, Ordering::Relaxed)
    }

    /// Clears a stop request left from before, as a job that [`Engine::cancelled`] can stop
    /// begins: a stop asked for after the last job ended must not end the next one.
    pub fn begin_cancellable_job(&self) {
        self.cancel.store(false, Ordering::Relaxed);
    }

    pub fn elapsed_seconds(started: Instant) -> f64 {
        started.elapsed().as_secs_f64()
    }
}
