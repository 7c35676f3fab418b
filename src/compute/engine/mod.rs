//! The engine: devices, models, the current dataset and the training run. Every job here is
//! `async` with asynchronous readback, so the same code runs on the worker thread (blocked on)
//! and in the browser (awaited between turns of the event loop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::{Cell, Dataset, MetricKey, Record};
use rand_chacha::ChaCha8Rng;
use vsgae::evaluation::abilities::LatentPrior;
use vsgae::io::model_files::{ModelFileError, ModelFiles};
use vsgae::latent::{interpolate, principal_plane};
use vsgae::model::decoding::DecodeMode;
use vsgae::{Predictor, VsGae};
use web_time::Instant;

use crate::compute::backend::{BackendChoice, ComputeDevices};
use crate::compute::commands::{Command, DatasetInfo, DecodedPoint, Event, LatentPoint};
use crate::compute::events::{ComputeOptions, EventSender};
use crate::compute::platform::pause;
use training_run::TrainingRun;

mod ranking;
mod training;
mod training_run;

/// A model with the device its weights live on.
pub(crate) struct Loaded<M> {
    pub(super) model: M,
    pub(super) device: Device,
}

pub(crate) struct Engine {
    pub(super) devices: ComputeDevices,
    pub(super) predictor: Option<Loaded<Predictor>>,
    pub(super) vsgae: Option<Loaded<VsGae>>,
    pub(super) dataset: Option<Arc<DatasetInfo>>,
    pub(super) space: Option<Arc<Vec<Cell>>>,
    pub(super) training: Option<TrainingRun>,
    pub(super) events: EventSender,
    pub(super) cancel: Arc<AtomicBool>,
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
    let models = engine.load_shipped_vsgae(predictor).await;
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
        // Natively the thread naps when idle; on the web every turn goes back to the page.
        pause(if worked { 0 } else { 10 }).await;
    }
}

/// What the engine's start finished first: the devices, or reading the shipped predictor.
enum StartingStep {
    Devices(ComputeDevices),
    Predictor(Result<ModelFiles<Predictor>, ModelFileError>),
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
    fn new(devices: ComputeDevices, events: EventSender, cancel: Arc<AtomicBool>) -> Self {
        Self {
            devices,
            predictor: None,
            vsgae: None,
            dataset: None,
            space: None,
            training: None,
            events,
            cancel,
            rng: nasbench::split::rng(0),
        }
    }

    async fn use_built_in_predictor(&mut self, which: crate::embedded::BuiltInPredictor) {
        let device = self.devices.device(BackendChoice::Gpu);
        match which.load(&device, download_progress(&self.events, "downloading the predictor")).await {
            Ok((_, model)) => {
                self.predictor = Some(Loaded { model, device });
                let what = format!("the {} predictor", which.label());
                self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::Predictor, what });
            }
            Err(error) => self.notice(format!("the {} predictor did not load: {error}", which.label())),
        }
    }

    /// The shipped predictor, built from its `files` on the GPU where there is one; what it
    /// predicts, in words.
    fn use_shipped_predictor(
        &mut self,
        files: Result<ModelFiles<Predictor>, ModelFileError>,
    ) -> Result<String, String> {
        let device = self.devices.device(BackendChoice::Gpu);
        let built = Instant::now();
        let (config, predictor) = files.and_then(|files| files.build(&device)).map_err(|e| e.to_string())?;
        log::info!(
            "the predictor was built on {} in {:.0} ms",
            self.devices.name_of(&device),
            Engine::elapsed_seconds(built) * 1e3
        );
        self.predictor = Some(Loaded { model: predictor, device });
        Ok(format!("built-in predictor of {}", target_words(&config.target)))
    }

    /// The predictor was read before the devices were chosen (a browser can take a second to
    /// answer a GPU request, even to say that it has no GPU): it is built on the CPU and answers
    /// predictions at once while `acquiring` goes on. Other commands are held, in order, from the
    /// first one on. Where a GPU comes (it may where `gpu_may_come`), the predictor is built again
    /// on it.
    ///
    /// Returns the shipped predictor's description and the held commands.
    async fn answer_on_the_cpu_until_devices(
        &mut self,
        files: Result<ModelFiles<Predictor>, ModelFileError>,
        gpu_may_come: bool,
        mut acquiring: std::pin::Pin<&mut impl std::future::Future<Output = ComputeDevices>>,
        commands: &Receiver<Command>,
    ) -> (Result<String, String>, Vec<Command>) {
        let for_the_gpu = files.as_ref().ok().filter(|_| gpu_may_come).cloned();
        let mut predictor = self.use_shipped_predictor(files);
        let mut held = Vec::new();
        let devices = loop {
            if let Some(devices) = futures_lite::future::poll_once(acquiring.as_mut()).await {
                break devices;
            }
            match commands.try_recv() {
                Ok(command @ Command::Predict { .. }) if held.is_empty() && predictor.is_ok() => {
                    self.handle(command).await;
                }
                Ok(command) => held.push(command),
                Err(std::sync::mpsc::TryRecvError::Empty) => pause(10).await,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => break acquiring.await,
            }
        };
        self.devices = devices;
        if self.devices.gpu.is_some()
            && let Some(files) = for_the_gpu
        {
            predictor = self.use_shipped_predictor(Ok(files));
        }
        (predictor, held)
    }

    /// Natively the shipped VS-GAE too, beside the shipped `predictor` (the web build downloads
    /// the VS-GAE when a latent feature first needs it: [`Engine::ensure_vsgae`]); the models in
    /// words for the status bar.
    async fn load_shipped_vsgae(&mut self, predictor: Result<String, String>) -> Result<String, String> {
        let predictor = predictor?;
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
                    self.vsgae = Some(Loaded { model, device });
                    if cfg!(target_arch = "wasm32") {
                        let what = format!(
                            "the built-in VS-GAE ({}-dimensional latent space), downloaded",
                            config.model.encoder.graph_dim
                        );
                        self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::VsGae, what });
                    }
                }
                Err(error) => {
                    self.notice(format!("the built-in VS-GAE did not load: {error}"));
                    return None;
                }
            }
        }
        self.vsgae.as_ref().map(|loaded| loaded.model.latent_dim())
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
                    let device = self.predictor.as_ref().map(|p| self.devices.name_of(&p.device).to_owned());
                    self.events.send(Event::Predictions { request, cells, values, device: device.unwrap_or_default() });
                }
            }
            Command::RankSpace { top, screening } => self.rank_space(top, screening).await,
            Command::Interpolate { from, to, steps, how } => self.interpolate(from, to, steps, how).await,
            Command::LatentMap { max_cells } => self.latent_map(max_cells).await,
            Command::SamplePrior { count } => self.sample_prior(count).await,
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
    pub async fn predict(&self, cells: &[Cell]) -> Option<Vec<vsgae::inference::Prediction>> {
        let Some(loaded) = &self.predictor else {
            self.notice("no predictor is loaded");
            return None;
        };
        self.predict_with(&loaded.model, cells).await
    }

    /// [`Engine::predict`] with `model` (the loaded predictor or part of it).
    pub async fn predict_with(&self, model: &Predictor, cells: &[Cell]) -> Option<Vec<vsgae::inference::Prediction>> {
        let device = &self.predictor.as_ref()?.device;
        let predicted = if cfg!(target_arch = "wasm32") {
            vsgae::inference::predict_with_spread_async(model, cells, device).await
        } else {
            vsgae::inference::predict_with_spread(model, cells, device)
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
        let flat: Vec<f32> = points.into_iter().flatten().collect();
        let Some(loaded) = &self.vsgae else { return };
        let z = Tensor::<2>::from_data(TensorData::new(flat, [rows, dim]), &loaded.device);
        if let Some(points) = self.decode_points(z).await {
            self.events.send(Event::Interpolation(points));
        }
    }

    /// `count` points drawn from the reference's prior (a Gaussian fitted to the latent means of
    /// up to 2,000 cells spread evenly over the loaded dataset), each decoded to its most likely
    /// cell.
    async fn sample_prior(&mut self, count: usize) {
        const FITTED_CELLS: usize = 2_000;
        let Some(info) = self.vsgae_and_dataset("the prior is fitted to its cells' latents").await else { return };
        let cells: Vec<Cell> = spread_evenly(info.dataset.records(), FITTED_CELLS).iter().map(|r| r.cell).collect();
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&cells).await else { return };
        let Some(loaded) = &self.vsgae else { return };
        let prior = LatentPrior::fitted(&latents, dim);
        let count = count.clamp(1, 64);
        let z = prior.sample(count, 1, &loaded.device, &mut self.rng);
        if let Some(points) = self.decode_points(z).await {
            self.events.send(Event::PriorSamples(points));
        }
    }

    /// Latent points, decoded greedily, with the predicted accuracy of each decoding that is a
    /// NAS-Bench-101 cell; `None` (with a notice) where decoding fails.
    ///
    /// # Shapes
    /// - `z`: `[points, latent_dim]`, on the VS-GAE's device
    async fn decode_points(&mut self, z: Tensor<2>) -> Option<Vec<DecodedPoint>> {
        let loaded = self.vsgae.as_ref()?;
        let graphs = match loaded.model.decode_async(z, DecodeMode::Greedy, &mut self.rng).await {
            Ok(graphs) => graphs,
            Err(error) => {
                self.notice(format!("decoding failed: {error}"));
                return None;
            }
        };
        let decoded: Vec<Option<Cell>> = graphs.iter().map(|g| g.to_cell()).collect();
        let cells: Vec<Cell> = decoded.iter().flatten().copied().collect();
        let mut predicted = self.predict(&cells).await.unwrap_or_default().into_iter();
        let points = graphs
            .into_iter()
            .zip(decoded)
            .map(|(graph, cell)| {
                let predicted = cell.and_then(|_| predicted.next()).map(|p| p.mean);
                DecodedPoint { graph, cell, predicted }
            })
            .collect();
        Some(points)
    }

    /// Starts a VS-GAE job on the loaded dataset: the dataset, once the VS-GAE is loaded; `None`
    /// (with a notice that says why, `why` naming what needs the dataset) otherwise.
    async fn vsgae_and_dataset(&mut self, why: &str) -> Option<Arc<DatasetInfo>> {
        self.cancel.store(false, Ordering::Relaxed);
        // `ensure_vsgae` has said why where it gives nothing.
        self.ensure_vsgae().await?;
        let info = self.dataset.clone();
        if info.is_none() {
            self.notice(format!("load a dataset first: {why}"));
        }
        info
    }

    async fn latent_map(&mut self, max_cells: usize) {
        let Some(info) = self.vsgae_and_dataset("the map shows its cells").await else { return };
        let chosen = spread_evenly(info.dataset.records(), max_cells);
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

/// Up to `count` records spread evenly over `records` (all of them where there are fewer).
fn spread_evenly(records: &[Record], count: usize) -> Vec<&Record> {
    let count = count.min(records.len());
    (0..count).map(|k| &records[k * records.len() / count]).collect()
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;
    use crate::compute::PredictionRequest;

    /// Devices that come on the `polls`-th poll.
    struct DevicesAfter {
        polls: usize,
    }

    impl Future for DevicesAfter {
        type Output = ComputeDevices;
        fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<ComputeDevices> {
            self.polls -= 1;
            if self.polls == 0 {
                return Poll::Ready(ComputeDevices::cpu_only("a test"));
            }
            context.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn cells_spread_evenly_over_the_dataset() {
        let records: Vec<Record> =
            (2..=4).flat_map(nasbench::space::enumerate_vertices).take(10).map(|c| Record::new(c.cell)).collect();
        assert_eq!(records.len(), 10);
        let position = |chosen: Vec<&Record>| -> Vec<usize> {
            chosen.iter().map(|r| records.iter().position(|s| s.cell == r.cell).unwrap_or(usize::MAX)).collect()
        };
        assert_eq!(position(spread_evenly(&records, 3)), vec![0, 3, 6]);
        assert_eq!(position(spread_evenly(&records, 20)), (0..10).collect::<Vec<_>>());
        assert!(spread_evenly(&records, 0).is_empty());
    }

    #[test]
    fn predictions_asked_before_the_devices_are_answered_on_the_cpu_and_other_commands_wait_in_order() {
        let (event_sender, events) = std::sync::mpsc::channel();
        let sender = EventSender::Queue { events: event_sender, repaint: Arc::default() };
        let mut engine = Engine::new(ComputeDevices::cpu_only("not chosen yet"), sender, Arc::default());
        let (commands, received) = std::sync::mpsc::channel();
        let [first, second] = [0, 1].map(|k| nasbench::space::enumerate_vertices(5)[k].cell);
        commands.send(Command::Predict { request: PredictionRequest::Cache, cells: vec![first] }).unwrap();
        commands.send(Command::LoadSpace).unwrap();
        commands.send(Command::Predict { request: PredictionRequest::Table(1), cells: vec![second] }).unwrap();
        // One poll per command, one with the queue empty, then the devices.
        let acquiring = DevicesAfter { polls: 5 };
        futures_lite::pin!(acquiring);
        let files = vsgae::readback::block_on(crate::embedded::BuiltInPredictor::Shipped.read(|_, _| {}));
        let (predictor, held) =
            vsgae::readback::block_on(engine.answer_on_the_cpu_until_devices(files, false, acquiring, &received));

        assert!(predictor.is_ok_and(|p| p.contains("predictor")));
        assert_eq!(engine.devices.gpu_error.as_deref(), Some("a test"));
        let answered: Vec<Event> = events.try_iter().collect();
        let [Event::Predictions { request, cells, values, device }] = answered.as_slice() else {
            panic!("one answer, the first cell's: {answered:?}");
        };
        assert_eq!((*request, cells.as_slice(), values.len()), (PredictionRequest::Cache, &[first][..], 1));
        assert_eq!(device, crate::compute::backend::CPU_DESCRIPTION);
        let expected =
            vsgae::inference::predict_with_spread(&engine.predictor.as_ref().unwrap().model, &[first], &Device::flex())
                .unwrap();
        assert_eq!(values, &expected);
        // The command after the first held one waits too, so that commands keep their order.
        assert!(matches!(
            held.as_slice(),
            [Command::LoadSpace, Command::Predict { request: PredictionRequest::Table(1), .. }]
        ));
    }
}
