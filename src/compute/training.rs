//! The training run: started, paused, stepped in bounded slices, checkpointed, and its model
//! handed to the rest of the app.

use std::path::Path;
use std::sync::Arc;

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
                self.training = Some(TrainingRun { session, paused: false, done: false, backend });
                let device = self.devices.name(backend).to_owned();
                self.events.send(Event::TrainingState(TrainingState::Running { device }));
            }
            Err(message) => self.events.send(Event::TrainingState(TrainingState::Failed(message))),
        }
    }

    pub(crate) fn resume_training(&mut self, dir: &Path, backend: BackendChoice) {
        let device = self.devices.device(backend).autodiff();
        // A VS-GAE run's config has a learning-rate schedule; a predictor run's has a target.
        let is_predictor = std::fs::read(dir.join("config.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|config| config.get("target").is_some());
        let session = if is_predictor {
            self.training_data().and_then(|data| {
                PredictorSession::resume(dir, data, device)
                    .map(|s| Session::Predictor(Box::new(s)))
                    .map_err(|e| e.to_string())
            })
        } else {
            self.training_cells().and_then(|cells| {
                VaeSession::resume(dir, cells, device).map(|s| Session::VsGae(Box::new(s))).map_err(|e| e.to_string())
            })
        };
        self.begin(session.map_err(|e| format!("{}: {e}", dir.display())), backend);
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
