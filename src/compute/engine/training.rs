//! The training run: started, paused, stepped in bounded slices, checkpointed, and its model
//! handed to the rest of the app.

use std::path::Path;
use std::sync::Arc;

use vsgae::io::checkpoint::{AdamState, Checkpoint};
use vsgae::training::{
    ModelKind, PredictorData, PredictorSession, StepOutcome, TrainedModel, TrainingEvent, VaeSession,
};
use web_time::{Duration, Instant};

use super::training_run::TrainingRun;
use super::{Engine, Loaded};
use crate::compute::backend::BackendChoice;
use crate::compute::commands::{Event, TrainRequest, TrainingState};

/// How long one slice of training may run before the engine looks at its commands again (and,
/// where the engine shares the page's thread, before the page gets a turn).
fn slice() -> Duration {
    Duration::from_millis(if crate::compute::platform::shares_the_page_thread() { 8 } else { 50 })
}

/// A file name that says what a checkpoint holds.
/// Why a training run could not start or resume; reported once, as the run's failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("load a dataset first")]
    NoDataset,
    #[error("the config: {0}")]
    Config(vsgae::training::TrainError),
    #[error("{dataset} has no cell with the metric {metric} to train on")]
    NoTrainingCells { dataset: String, metric: String },
    #[error(transparent)]
    Training(#[from] vsgae::training::TrainError),
    #[error(transparent)]
    Checkpoint(#[from] vsgae::training::CheckpointError),
    #[error("the app cannot resume a latent predictor's run")]
    LatentPredictor,
    /// One of the others, for the checkpoint named `origin`.
    #[error("{origin}: {error}")]
    Resuming { origin: String, error: Box<StartError> },
}

impl StartError {
    fn resuming(origin: impl std::fmt::Display) -> impl FnOnce(Self) -> Self {
        move |error| Self::Resuming { origin: origin.to_string(), error: Box::new(error) }
    }
}

fn checkpoint_file_name(run: &dyn vsgae::training::TrainingRun) -> String {
    format!("{}-checkpoint-epoch{}.zip", run.kind().name(), run.epochs_done())
}

impl Engine {
    fn training_data(&self, config: &vsgae::PredictorTrainingConfig) -> Result<Arc<PredictorData>, StartError> {
        let info = self.dataset.as_ref().ok_or(StartError::NoDataset)?;
        let data = PredictorData::for_config(&info.dataset, config).map_err(StartError::Config)?;
        if data.is_empty() {
            return Err(StartError::NoTrainingCells { dataset: info.name.clone(), metric: config.target.clone() });
        }
        Ok(Arc::new(data))
    }

    fn training_cells(&self) -> Result<Arc<Vec<nasbench::Cell>>, StartError> {
        let info = self.dataset.as_ref().ok_or(StartError::NoDataset)?;
        Ok(Arc::new(info.dataset.records().iter().map(|r| r.cell).collect()))
    }

    pub(crate) fn start_training(&mut self, request: TrainRequest) {
        let (run, backend): (Result<Box<dyn vsgae::training::TrainingRun>, StartError>, _) = match request {
            TrainRequest::Predictor { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let run = self
                    .training_data(&config)
                    .and_then(|data| Ok(Box::new(PredictorSession::new(config, data, device)?) as _));
                (run, backend)
            }
            TrainRequest::VsGae { config, backend } => {
                let device = self.devices.device(backend).autodiff();
                let run =
                    self.training_cells().and_then(|cells| Ok(Box::new(VaeSession::new(config, cells, device)?) as _));
                (run, backend)
            }
        };
        self.begin(run, backend);
    }

    fn begin(&mut self, run: Result<Box<dyn vsgae::training::TrainingRun>, StartError>, backend: BackendChoice) {
        match run {
            Ok(run) => {
                // A resumed run shows the epochs it already has.
                self.events.send(Event::TrainingBegan { history: run.history().to_vec() });
                self.training = Some(TrainingRun { run, paused: false, done: false, backend });
                let device = self.devices.name(backend).to_owned();
                self.events.send(Event::TrainingState(TrainingState::Running { device }));
            }
            Err(error) => self.events.send(Event::TrainingState(TrainingState::Failed(error.to_string()))),
        }
    }

    pub(crate) fn resume_training(&mut self, dir: &Path, backend: BackendChoice) {
        let run = Checkpoint::read_dir(dir).map_err(StartError::from).and_then(|checkpoint| {
            let mut run = self.resume_run(&checkpoint, backend)?;
            run.set_checkpoint_dir(dir);
            Ok(run)
        });
        self.begin(run.map_err(StartError::resuming(dir.display())), backend);
    }

    pub(crate) fn resume_from_zip(&mut self, name: &str, bytes: &[u8], backend: BackendChoice) {
        let run = Checkpoint::from_zip(bytes, name)
            .map_err(StartError::from)
            .and_then(|checkpoint| self.resume_run(&checkpoint, backend).map_err(StartError::resuming(name)));
        self.begin(run, backend);
    }

    fn resume_run(
        &self,
        checkpoint: &Checkpoint,
        backend: BackendChoice,
    ) -> Result<Box<dyn vsgae::training::TrainingRun>, StartError> {
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
                Box::new(VaeSession::resume_from(checkpoint, cells, device, adam)?)
            }
            ModelKind::LatentPredictor => return Err(StartError::LatentPredictor),
        };
        if !run.optimizer_restored() {
            self.notice(format!(
                "resumed {} with a fresh Adam: its state is not in the checkpoint or cannot be loaded here",
                checkpoint.origin.display()
            ));
        }
        Ok(run)
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
        let message = match run.run.checkpoint(dir) {
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
        let zip = run.run.snapshot().await.and_then(|checkpoint| {
            if checkpoint.optimizer.is_none() {
                self.notice("this checkpoint has no optimizer state: a browser's WebGPU cannot read it back");
            }
            Ok(checkpoint.to_zip()?)
        });
        match zip {
            Ok(bytes) => {
                self.events.send(Event::CheckpointZip { file_name: checkpoint_file_name(run.run.as_ref()), bytes })
            }
            Err(error) => self.notice(format!("checkpoint failed: {error}")),
        }
    }

    pub(crate) fn use_trained_model(&mut self) {
        let Some(run) = &self.training else {
            self.events.send(Event::Notice("no trained model yet".to_owned()));
            return;
        };
        let device = self.devices.device(run.backend);
        match run.run.trained() {
            TrainedModel::Predictor(model) => {
                self.predictor = Some(Loaded { model: *model, device });
                self.events.send(Event::ModelReplaced {
                    kind: ModelKind::Predictor,
                    what: "the trained predictor".to_owned(),
                });
            }
            TrainedModel::VsGae(model) => {
                self.vsgae = Some(Loaded { model: *model, device });
                self.events
                    .send(Event::ModelReplaced { kind: ModelKind::VsGae, what: "the trained VS-GAE".to_owned() });
            }
            TrainedModel::LatentPredictor(_) => self.notice("a latent predictor is not used by the app"),
        }
    }

    /// Runs training steps for up to one slice; whether it did any work.
    pub(crate) async fn train_slice(&mut self) -> bool {
        let Some(run) = self.training.as_mut().filter(|run| !run.paused && !run.done) else {
            return false;
        };
        let (started, slice) = (Instant::now(), slice());
        let mut reports = Vec::new();
        let mut state = None;
        while started.elapsed() < slice {
            let mut sink = |event: TrainingEvent| reports.push(event);
            match run.run.step(&mut sink).await {
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
        // The slice's losses in one readback (a GPU runs its steps back to back meanwhile).
        if state.is_none()
            && let Err(error) = run.run.read_losses(&mut |event: TrainingEvent| reports.push(event)).await
        {
            run.done = true;
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

#[cfg(test)]
mod tests {
    use super::StartError;

    #[test]
    fn a_failed_start_says_why_and_which_checkpoint() {
        let error = StartError::resuming("run.zip")(StartError::LatentPredictor);
        assert_eq!(error.to_string(), "run.zip: the app cannot resume a latent predictor's run");
        let error = StartError::NoTrainingCells { dataset: "cells.csv".to_owned(), metric: "val_acc_108".to_owned() };
        assert_eq!(error.to_string(), "cells.csv has no cell with the metric val_acc_108 to train on");
    }
}
