//! The GUI's end of the command queue and the event stream.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};

use super::commands::{Command, Event};
use super::engine;
pub use super::events::ComputeOptions;
use super::events::EventSender;

/// How commands reach the engine.
#[derive(Debug)]
enum CommandRoute {
    /// An engine in this memory: on a thread natively, on the page's event loop on the web.
    Local { commands: Sender<Command>, cancel: Arc<AtomicBool> },
    /// The engine in the page's compute worker.
    #[cfg(target_arch = "wasm32")]
    Worker(super::worker::ComputeWorker),
}

/// The GUI's handle on the engine.
#[derive(Debug)]
pub struct ComputeHandle {
    route: CommandRoute,
    events: Receiver<Event>,
    repaint: Arc<OnceLock<egui::Context>>,
}

impl ComputeHandle {
    /// Starts the engine: on a thread natively; in the browser in a Web Worker, or on the page's
    /// event loop where no worker can start. Its events wake `repaint`, or the context given to
    /// [`ComputeHandle::wake`] later (the web page starts the engine before the GUI).
    pub fn spawn(repaint: Option<egui::Context>, options: ComputeOptions) -> Self {
        let (event_sender, event_receiver) = channel();
        let wake = Arc::new(OnceLock::new());
        if let Some(ctx) = repaint {
            let _ = wake.set(ctx);
        }
        let events = EventSender::Queue { events: event_sender, repaint: wake.clone() };
        #[cfg(target_arch = "wasm32")]
        match super::worker::ComputeWorker::spawn(options, events.clone()) {
            Ok(worker) => {
                return Self { route: CommandRoute::Worker(worker), events: event_receiver, repaint: wake };
            }
            Err(reason) => events.send(Event::Notice {
                message: format!("the models compute on the page itself, which may pause while they work: {reason}"),
                until: None,
            }),
        }
        let (commands, command_receiver) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        spawn_local_engine(options, command_receiver, events, cancel.clone());
        Self { route: CommandRoute::Local { commands, cancel }, events: event_receiver, repaint: wake }
    }

    /// Events wake `ctx` from now on (where no context was given at the start).
    pub fn wake(&self, ctx: &egui::Context) {
        if self.repaint.set(ctx.clone()).is_ok() {
            // Events that came before had nobody to wake.
            ctx.request_repaint();
        }
    }

    /// Queues a command.
    pub fn send(&self, command: Command) {
        match &self.route {
            CommandRoute::Local { commands, .. } => {
                if commands.send(command).is_err() {
                    log::error!("the compute engine has stopped");
                }
            }
            #[cfg(target_arch = "wasm32")]
            CommandRoute::Worker(worker) => worker.send(&super::wire::ToWorker::Command(command)),
        }
    }

    /// Asks the long job that runs now (ranking, latent map) to stop early.
    pub fn cancel_job(&self) {
        match &self.route {
            CommandRoute::Local { cancel, .. } => cancel.store(true, Ordering::Relaxed),
            #[cfg(target_arch = "wasm32")]
            CommandRoute::Worker(worker) => worker.send(&super::wire::ToWorker::CancelJob),
        }
    }

    /// Every event that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

/// Runs an engine in this memory: on its own thread natively, as a task on the page's event loop
/// on the web.
fn spawn_local_engine(
    options: ComputeOptions,
    commands: Receiver<Command>,
    events: EventSender,
    cancel: Arc<AtomicBool>,
) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let reporter = events.clone();
        let engine = std::thread::Builder::new().name("vsgae-compute".to_owned()).spawn(move || {
            vsgae::readback::block_on(engine::run(options, commands, events, cancel));
        });
        // A panic ends the engine; a watcher that joins its thread tells the GUI why, instead of
        // the GUI looking alive.
        let watched = engine.and_then(|engine| {
            std::thread::Builder::new().name("vsgae-compute-watch".to_owned()).spawn(move || {
                if let Err(panic) = engine.join() {
                    reporter.send(Event::EngineStopped(vsgae::parallel::panic_message(panic.as_ref())));
                }
            })
        });
        if let Err(error) = watched {
            log::error!("could not start the compute thread: {error}");
        }
    }
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(engine::run(options, commands, events, cancel));
}
