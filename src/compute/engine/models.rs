//! Loading the models: the shipped predictor and VS-GAE (fetched in the browser) and the
//! built-in alternatives, on the device chosen for them.

use std::sync::mpsc::Receiver;

use nasbench::MetricKey;
use vsgae::Predictor;
use vsgae::io::model_files::{ModelFileError, ModelFiles};
use web_time::Instant;

use super::{Engine, Loaded};
use crate::compute::backend::{BackendChoice, ComputeDevices};
use crate::compute::commands::{Command, Event};
use crate::compute::error::ComputeError;
use crate::compute::events::EventSender;
use crate::compute::platform::pause;
use crate::embedded::BuiltInPredictor;

/// A metric key in words ("val_acc_108" → "validation accuracy after 108 epochs").
fn target_words(target: &str) -> String {
    match target.parse::<MetricKey>() {
        Ok(key) => key.describe(),
        Err(_) => target.to_owned(),
    }
}

/// A progress callback for downloading `what` (the web build fetches its models).
pub(super) fn download_progress(events: &EventSender, what: &'static str) -> impl Fn(usize, usize) + 'static {
    let events = events.clone();
    move |done, total| events.send(Event::Downloading { what: what.to_owned(), done, total })
}

impl Engine {
    pub(super) async fn use_built_in_predictor(
        &mut self,
        which: crate::embedded::BuiltInPredictor,
    ) -> Result<(), ComputeError> {
        let device = self.devices.device(BackendChoice::Gpu);
        let (_, model) = which
            .load(&device, download_progress(&self.events, "downloading the predictor"))
            .await
            .map_err(|source| ComputeError::PredictorLoad { which: which.label(), source })?;
        self.predictor = Some(Loaded { model, device });
        let what = format!("the {} predictor", which.label());
        self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::Predictor, what });
        Ok(())
    }

    /// The shipped predictor, built from its `files` on the GPU where there is one; what it
    /// predicts, in words.
    pub(super) fn use_shipped_predictor(
        &mut self,
        files: Result<ModelFiles<Predictor>, ModelFileError>,
    ) -> Result<String, ComputeError> {
        let device = self.devices.device(BackendChoice::Gpu);
        let built = Instant::now();
        let (config, predictor) = files
            .and_then(|files| files.build(&device))
            .map_err(|source| ComputeError::PredictorLoad { which: BuiltInPredictor::Shipped.label(), source })?;
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
    pub(super) async fn answer_on_the_cpu_until_devices(
        &mut self,
        files: Result<ModelFiles<Predictor>, ModelFileError>,
        gpu_may_come: bool,
        mut acquiring: std::pin::Pin<&mut impl std::future::Future<Output = ComputeDevices>>,
        commands: &Receiver<Command>,
    ) -> (Result<String, ComputeError>, Vec<Command>) {
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
    pub(super) async fn load_shipped_vsgae(
        &mut self,
        predictor: Result<String, ComputeError>,
    ) -> Result<String, ComputeError> {
        let predictor = predictor?;
        if cfg!(target_arch = "wasm32") {
            return Ok(format!("{predictor}; the VS-GAE is fetched when the latent panel first needs it"));
        }
        let dim = self.ensure_vsgae().await?;
        Ok(format!("{predictor} and VS-GAE with a {dim}-dimensional latent space"))
    }

    /// Loads the shipped VS-GAE where none is loaded yet; the latent space's dimension.
    pub(super) async fn ensure_vsgae(&mut self) -> Result<usize, ComputeError> {
        if let Some(loaded) = &self.vsgae {
            return Ok(loaded.model.latent_dim());
        }
        let device = self.devices.device(BackendChoice::Gpu);
        let (_, model) = crate::embedded::vsgae(&device, download_progress(&self.events, "downloading the VS-GAE"))
            .await
            .map_err(ComputeError::VsGaeLoad)?;
        let dim = model.latent_dim();
        self.vsgae = Some(Loaded { model, device });
        self.vsgae_prior = vsgae::shipped::vsgae_prior(dim)
            .inspect_err(|error| self.notice(format!("prior samples come from the dataset's latents: {error}")))
            .ok();
        if cfg!(target_arch = "wasm32") {
            let what = format!("the built-in VS-GAE ({dim}-dimensional latent space), downloaded");
            self.events.send(Event::ModelReplaced { kind: vsgae::training::ModelKind::VsGae, what });
        }
        Ok(dim)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use burn::tensor::Device;

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
