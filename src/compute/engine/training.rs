//! The training run: started, paused, stepped in bounded slices, checkpointed, and its model
//! handed to the rest of the app.

use std::path::Path;
use std::sync::Arc;

use vsgae::io::checkpoint::{AdamState, Checkpoint};
use vsgae::training::{
    ModelKind, PredictorData, PredictorSession, StepOutcome, TrainedModel, TrainingEvent, VsGaeSession,
};
use web_time::{Duration, Instant};

use super::training_run::ActiveTraining;
use super::{Engine, Loaded};
use crate::compute::backend::BackendChoice;
use crate::compute::commands::{Event, TrainRequest, TrainingState};
use crate::compute::error::ComputeError;

/// How long one slice of training may run before the engine looks at its commands again (and,
/// where the engine shares the page's thread, before the page gets a turn).
pub(super) fn slice() -> Duration {
    Duration::from_millis(if crate::compute::platform::shares_the_page_thread() { 8 } else { 50 })
}

/// A file name that says what a checkpoint holds.
fn checkpoint_file_name(run: &dyn vsgae::training::TrainingRun) -> String {
    format!("{}-checkpoint-epoch{}.zip", run.kind().name(), run.epochs_done())
}

impl Engine {
    fn training_data(&self, config: &vsgae::PredictorTrainingConfig) -> Result<Arc<PredictorData>, ComputeError> {
        let info = self.dataset.as_ref().ok_or(ComputeError::NoDataset("training needs its cells"))?;
        let data = PredictorData::for_config(&info.dataset, config).map_err(ComputeError::Config)?;
        if data.is_empty() {
            return Err(ComputeError::NoTrainingCells { dataset: info.name.clone(), metric: config.target.clone() });
        }
        Ok(Arc::new(data))
    }

    fn training_cells(&self) -> Result<Arc<Vec<nasbench::Cell>>, ComputeError> {
        let info = self.dataset.as_ref().ok_or(ComputeError::NoDataset("training needs its cells"))?;
        Ok(Arc::new(info.dataset.records().iter().map(|r| r.cell).collect()))
    }

    pub(super) fn start_training(&mut self, request: TrainRequest) {
        let (run, backend): (Result<Box<dyn vsgae::training::TrainingRun>, ComputeError>, _) = match request {
            TrainRequest::Predictor { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let run = self
                    .training_data(&config)
                    .and_then(|data| Ok(Box::new(PredictorSession::new(config, data, device)?) as _));
                (run, backend)
            }
            TrainRequest::VsGae { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let run = self
                    .training_cells()
                    .and_then(|cells| Ok(Box::new(VsGaeSession::new(config, cells, device)?) as _));
                (run, backend)
            }
        };
        self.begin(run, backend);
    }

    fn begin(&mut self, run: Result<Box<dyn vsgae::training::TrainingRun>, ComputeError>, backend: BackendChoice) {
        match run {
            Ok(run) => {
                // A resumed run shows the epochs it already has.
                self.events.send(Event::TrainingBegan { history: run.history().to_vec() });
                self.training = Some(ActiveTraining { run, paused: false, done: false, backend });
                let device = self.devices.name(backend).to_owned();
                self.events.send(Event::TrainingState(TrainingState::Running { device }));
            }
            Err(error) => self.events.send(Event::TrainingState(TrainingState::Failed(error.to_string()))),
        }
    }

    pub(super) fn resume_training(&mut self, dir: &Path, backend: BackendChoice) {
        let run = Checkpoint::read_dir(dir).map_err(ComputeError::from).and_then(|checkpoint| {
            let mut run = self.resume_run(&checkpoint, backend)?;
            run.set_checkpoint_dir(dir);
            Ok(run)
        });
        self.begin(run.map_err(ComputeError::resuming(dir.display())), backend);
    }

    pub(super) fn resume_from_zip(&mut self, name: &str, bytes: &[u8], backend: BackendChoice) {
        let run = Checkpoint::from_zip(bytes, name)
            .map_err(ComputeError::from)
            .and_then(|checkpoint| self.resume_run(&checkpoint, backend).map_err(ComputeError::resuming(name)));
        self.begin(run, backend);
    }

    fn resume_run(
        &self,
        checkpoint: &Checkpoint,
        backend: BackendChoice,
    ) -> Result<Box<dyn vsgae::training::TrainingRun>, ComputeError> {
        let device = self.devices.device(backend).autodiff();
        let adam = AdamState::where_possible(&device);
        let run: Box<dyn vsgae::training::TrainingRun> = match checkpoint.kind()? {
            ModelKind::Predictor => {
                let config: vsgae::PredictorTrainingConfig = checkpoint.config()?;
                let data = self.training_data(&config)?;
                Box::new(PredictorSession::resume_from(checkpoint, data, device, adam)?)
            }
            ModelKind::VsGae => {
                let cells = self.training_cells()?;
                Box::new(VsGaeSession::resume_from(checkpoint, cells, device, adam)?)
            }
            ModelKind::LatentPredictor => return Err(ComputeError::LatentPredictorRun),
        };
        if !run.optimizer_restored() {
            self.notice(format!(
                "resumed {} with a fresh Adam: its state is not in the checkpoint or cannot be loaded here",
                checkpoint.origin.display()
            ));
        }
        Ok(run)
    }

    pub(super) fn pause_training(&mut self, paused: bool) {
        if let Some(training) = &mut self.training {
            training.paused = paused;
            let state = if paused {
                TrainingState::Paused
            } else {
                TrainingState::Running { device: self.devices.name(training.backend).to_owned() }
            };
            self.events.send(Event::TrainingState(state));
        }
    }

    pub(super) fn stop_training(&mut self) {
        if let Some(training) = &mut self.training {
            training.done = true;
            self.events.send(Event::TrainingState(TrainingState::Stopped));
        }
    }

    pub(super) fn save_checkpoint(&self, dir: &Path) -> Result<(), ComputeError> {
        let training = self.training.as_ref().ok_or(ComputeError::NoTrainingRun("to checkpoint"))?;
        training.run.checkpoint(dir).map_err(ComputeError::CheckpointWrite)?;
        self.notice(format!("checkpoint written to {}", dir.display()));
        Ok(())
    }

    pub(super) async fn download_checkpoint(&self) -> Result<(), ComputeError> {
        let training = self.training.as_ref().ok_or(ComputeError::NoTrainingRun("to checkpoint"))?;
        let checkpoint = training.run.snapshot().await.map_err(ComputeError::CheckpointWrite)?;
        if checkpoint.optimizer.is_none() {
            self.notice("this checkpoint has no optimizer state: a browser's WebGPU cannot read it back");
        }
        let bytes = checkpoint.to_zip().map_err(|error| ComputeError::CheckpointWrite(error.into()))?;
        self.events.send(Event::CheckpointZip { file_name: checkpoint_file_name(training.run.as_ref()), bytes });
        Ok(())
    }

    pub(super) fn use_trained_model(&mut self) -> Result<(), ComputeError> {
        let training = self.training.as_ref().ok_or(ComputeError::NoTrainingRun("to take a trained model from"))?;
        let device = self.devices.device(training.backend);
        match training.run.trained() {
            TrainedModel::Predictor(model) => {
                self.predictor = Some(Loaded { model: *model, device });
                self.events.send(Event::ModelReplaced {
                    kind: ModelKind::Predictor,
                    what: "the trained predictor".to_owned(),
                });
            }
            TrainedModel::VsGae(model) => {
                self.vsgae = Some(Loaded { model: *model, device });
                self.vsgae_prior = None;
                self.events
                    .send(Event::ModelReplaced { kind: ModelKind::VsGae, what: "the trained VS-GAE".to_owned() });
            }
            TrainedModel::LatentPredictor(_) => return Err(ComputeError::LatentPredictorUnused),
        }
        Ok(())
    }

    /// Runs training steps for up to one slice; whether it did any work.
    pub(super) async fn train_slice(&mut self) -> bool {
        let Some(training) = self.training.as_mut().filter(|training| !training.paused && !training.done) else {
            return false;
        };
        let (started, slice) = (Instant::now(), slice());
        let mut reports = Vec::new();
        let mut state = None;
        while started.elapsed() < slice {
            let mut sink = |event: TrainingEvent| reports.push(event);
            match training.run.step(&mut sink).await {
                Ok(StepOutcome::Stepped | StepOutcome::EpochDone(_)) => {}
                Ok(StepOutcome::Finished) => {
                    training.done = true;
                    state = Some(TrainingState::Finished);
                    break;
                }
                Err(error) => {
                    training.done = true;
                    state = Some(TrainingState::Failed(error.to_string()));
                    break;
                }
            }
        }
        // The slice's losses in one readback (a GPU runs its steps back to back meanwhile).
        if state.is_none()
            && let Err(error) = training.run.read_losses(&mut |event: TrainingEvent| reports.push(event)).await
        {
            training.done = true;
            state = Some(TrainingState::Failed(error.to_string()));
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
