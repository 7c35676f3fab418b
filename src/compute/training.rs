//! The training run: started, paused, stepped in bounded slices, checkpointed, and its model
//! handed to the rest of the app.

use std::path::Path;
use std::sync::Arc;

use vsgae::training::checkpoint::{AdamState, Checkpoint};
use vsgae::training::{PredictorData, PredictorSession, StepOutcome, TrainError, TrainingEvent, VaeSession};
use web_time::{Duration, Instant};

use super::backend::BackendChoice;
use super::commands::{Event, TrainRequest, TrainingState};
use super::engine::{Engine, Loaded};

/// How long one slice of training may run before the engine looks at its commands again (and,
/// on the web, before the page gets a turn).
const SLICE: Duration = Duration::from_millis(if cfg!(target_arch = "wasm32") { 8 } else { 50 });

pub(crate) enum Session {
    Predictor(Box<PredictorSession>),
    VsGae(Box<VaeSession>),
}

pub(crate) struct TrainingRun {
    session: Session,
    paused: bool,
    done: bool,
    backend: BackendChoice,
}

impl Session {
    async fn step(&mut self, sink: &mut dyn vsgae::training::EventSink) -> Result<StepOutcome, TrainError> {
        match self {
            Self::Predictor(session) => session.step_async(sink).await,
            Self::VsGae(session) => session.step_async(sink).await,
        }
    }

    fn checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        match self {
            Self::Predictor(session) => session.checkpoint(dir),
            Self::VsGae(session) => session.checkpoint(dir),
        }
    }

    async fn snapshot(&self) -> Result<Checkpoint, TrainError> {
        match self {
            Self::Predictor(session) => session.snapshot_async().await,
            Self::VsGae(session) => session.snapshot_async().await,
        }
    }

    /// A file name that says what the checkpoint holds.
    fn file_name(&self) -> String {
        let (model, epochs) = match self {
            Self::Predictor(session) => ("predictor", session.epochs_done()),
            Self::VsGae(session) => ("vsgae", session.epochs_done()),
        };
        format!("{model}-checkpoint-epoch{epochs}.zip")
    }

    fn history(&self) -> &[vsgae::training::EpochRecord] {
        match self {
            Self::Predictor(session) => session.history(),
            Self::VsGae(session) => session.history(),
        }
    }

    fn optimizer_restored(&self) -> bool {
        match self {
            Self::Predictor(session) => session.optimizer_restored(),
            Self::VsGae(session) => session.optimizer_restored(),
        }
    }
}

/// Whether a checkpoint's config is a predictor's (it has a target; a VS-GAE's has a schedule).
fn is_predictor_config(config: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(config).ok().is_some_and(|config| config.get("target").is_some())
}

impl Engine {
    fn training_data(&self) -> Result<Arc<PredictorData>, String> {
        let info = self.dataset.as_ref().ok_or("load a dataset first")?;
        if !info.labelled {
            return Err(format!("{} has no validation accuracy at 108 epochs to train on", info.name));
        }
        Ok(Arc::new(PredictorData::from_dataset(&info.dataset, nasbench::MetricKey::VAL_ACC_108)))
    }

    fn training_cells(&self) -> Result<Arc<Vec<nasbench::Cell>>, String> {
        let info = self.dataset.as_ref().ok_or("load a dataset first")?;
        Ok(Arc::new(info.dataset.records().iter().map(|r| r.cell).collect()))
    }

    pub(crate) fn start_training(&mut self, request: TrainRequest) {
        let (session, backend) = match request {
            TrainRequest::Predictor { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let session = self
                    .training_data()
                    .and_then(|data| PredictorSession::new(config, data, device).map_err(|e| e.to_string()));
                (session.map(|s| Session::Predictor(Box::new(s))), backend)
            }
            TrainRequest::VsGae { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let session = self
                    .training_cells()
                    .and_then(|cells| VaeSession::new(config, cells, device).map_err(|e| e.to_string()));
                (session.map(|s| Session::VsGae(Box::new(s))), backend)
            }
        };
        self.begin(session, backend);
    }

    fn begin(&mut self, session: Result<Session, String>, backend: BackendChoice) {
        match session {
            Ok(session) => {
                // A resumed run shows the epochs it already has.
                self.events.send(Event::TrainingBegan { history: session.history().to_vec() });
                self.training = Some(TrainingRun { session, paused: false, done: false, backend });
                let device = self.devices.name(backend).to_owned();
                self.events.send(Event::TrainingState(TrainingState::Running { device }));
            }
            Err(message) => self.events.send(Event::TrainingState(TrainingState::Failed(message))),
        }
    }

    pub(crate) fn resume_training(&mut self, dir: &Path, backend: BackendChoice) {
        let session = Checkpoint::read_dir(dir).map_err(|e| e.to_string()).and_then(|checkpoint| {
            let session = self.resume_session(&checkpoint, backend)?;
            Ok(match session {
                Session::Predictor(session) => Session::Predictor(Box::new(session.with_checkpoints(dir))),
                Session::VsGae(session) => Session::VsGae(Box::new(session.with_checkpoints(dir))),
            })
        });
        self.begin(session.map_err(|e| format!("{}: {e}", dir.display())), backend);
    }

    pub(crate) fn resume_from_zip(&mut self, name: &str, bytes: &[u8], backend: BackendChoice) {
        let session = Checkpoint::from_zip(bytes, name)
            .map_err(|e| e.to_string())
            .and_then(|checkpoint| self.resume_session(&checkpoint, backend).map_err(|e| format!("{name}: {e}")));
        self.begin(session, backend);
    }

    fn resume_session(&self, checkpoint: &Checkpoint, backend: BackendChoice) -> Result<Session, String> {
        let device = self.devices.device(backend).autodiff();
        let adam = AdamState::where_possible(&device);
        let session = self.resume_with(checkpoint, device, adam)?;
        if !session.optimizer_restored() {
            self.notice(format!(
                "resumed {} with a fresh Adam: its state is not in the checkpoint or cannot be loaded here",
                checkpoint.origin.display()
            ));
        }
        Ok(session)
    }

    fn resume_with(
        &self,
        checkpoint: &Checkpoint,
        device: burn::tensor::Device,
        adam: AdamState,
    ) -> Result<Session, String> {
        if is_predictor_config(&checkpoint.config) {
            let data = self.training_data()?;
            let session = PredictorSession::resume_from(checkpoint, data, device, adam).map_err(|e| e.to_string())?;
            Ok(Session::Predictor(Box::new(session)))
        } else {
            let cells = self.training_cells()?;
            let session = VaeSession::resume_from(checkpoint, cells, device, adam).map_err(|e| e.to_string())?;
            Ok(Session::VsGae(Box::new(session)))
        }
    }

    pub(crate) fn pause_training(&mut self, paused: bool) {
        if let Some(run) = &mut self.training {
            run.paused = paused;
            let state = if paused {
                TrainingState::Paused
            } else {
                TrainingState::Running { device: self.devices.name(run.backend).to_owned() }
            };
            self.events.send(Event::TrainingState(state));
        }
    }

    pub(crate) fn stop_training(&mut self) {
        if let Some(run) = &mut self.training {
            run.done = true;
            self.events.send(Event::TrainingState(TrainingState::Stopped));
        }
    }

    pub(crate) fn save_checkpoint(&self, dir: &Path) {
        let Some(run) = &self.training else {
            self.events.send(Event::Notice("no training run to checkpoint".to_owned()));
            return;
        };
        let message = match run.session.checkpoint(dir) {
            Ok(()) => format!("checkpoint written to {}", dir.display()),
            Err(error) => format!("checkpoint failed: {error}"),
        };
        self.events.send(Event::Notice(message));
    }

    pub(crate) async fn download_checkpoint(&self) {
        let Some(run) = &self.training else {
            self.notice("no training run to checkpoint");
            return;
        };
        let zip = run.session.snapshot().await.and_then(|checkpoint| {
            if checkpoint.optimizer.is_none() {
                self.notice("this checkpoint has no optimizer state: a browser's WebGPU cannot read it back");
            }
            Ok(checkpoint.to_zip()?)
        });
        match zip {
            Ok(bytes) => self.events.send(Event::CheckpointZip { file_name: run.session.file_name(), bytes }),
            Err(error) => self.notice(format!("checkpoint failed: {error}")),
        }
    }

    pub(crate) fn use_trained_model(&mut self) {
        let Some(run) = &self.training else {
            self.events.send(Event::Notice("no trained model yet".to_owned()));
            return;
        };
        let device = self.devices.device(run.backend);
        match &run.session {
            Session::Predictor(session) => {
                self.predictor = Some(Loaded { model: session.model(), device, max_nodes: 0 });
                self.events.send(Event::ModelReplaced { which: "predictor" });
            }
            Session::VsGae(session) => {
                let max_nodes = session.config().model.max_nodes;
                self.vsgae = Some(Loaded { model: session.model(), device, max_nodes });
                self.events.send(Event::ModelReplaced { which: "VS-GAE" });
            }
        }
    }

    /// Runs training steps for up to one slice; whether it did any work.
    pub(crate) async fn train_slice(&mut self) -> bool {
        let Some(run) = self.training.as_mut().filter(|run| !run.paused && !run.done) else {
            return false;
        };
        let started = Instant::now();
        let mut reports = Vec::new();
        let mut state = None;
        while started.elapsed() < SLICE {
            let mut sink = |event: TrainingEvent| reports.push(event);
            match run.session.step(&mut sink).await {
                Ok(StepOutcome::Stepped | StepOutcome::EpochDone(_)) => {}
                Ok(StepOutcome::Finished) => {
                    run.done = true;
                    state = Some(TrainingState::Finished);
                    break;
                }
                Err(error) => {
                    run.done = true;
                    state = Some(TrainingState::Failed(error.to_string()));
                    break;
                }
            }
        }
        for event in reports {
            self.events.send(Event::Training(event));
        }
        if let Some(state) = state {
            self.events.send(Event::TrainingState(state));
        }
        true
    }
}
