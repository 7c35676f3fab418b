//! The GUI's end of the command queue and the event stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use super::commands::{Command, Event};
use super::engine;

/// How the engine starts.
#[derive(Debug, Clone, Copy)]
pub struct ComputeOptions {
    /// Ask wgpu for a GPU adapter (else Burn's CPU backend only).
    pub prefer_gpu: bool,
}

impl Default for ComputeOptions {
    fn default() -> Self {
        Self { prefer_gpu: true }
    }
}

/// Sends events to the GUI and wakes it.
#[derive(Clone)]
pub(crate) struct EventSender {
    events: Sender<Event>,
    repaint: Option<egui::Context>,
}

impl EventSender {
    pub fn send(&self, event: Event) {
        // The GUI only goes away when the app closes; then nobody needs the event.
        let _ = self.events.send(event);
        if let Some(ctx) = &self.repaint {
            ctx.request_repaint();
        }
    }
}

/// The message of a panic, where it has one.
#[cfg(not(target_arch = "wasm32"))]
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unknown error".to_owned())
}

/// The GUI's handle on the engine.
#[derive(Debug)]
pub struct ComputeHandle {
    commands: Sender<Command>,
    events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl ComputeHandle {
    /// Starts the engine: on a worker thread natively, as a browser task on the web.
    pub fn spawn(repaint: Option<egui::Context>, options: ComputeOptions) -> Self {
        let (command_sender, command_receiver) = channel();
        let (event_sender, event_receiver) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let events = EventSender { events: event_sender, repaint };
        let engine_cancel = cancel.clone();
        #[cfg(not(target_arch = "wasm32"))]
        {
            let reporter = events.clone();
            let started = std::thread::Builder::new().name("vsgae-compute".to_owned()).spawn(move || {
                let run = std::panic::AssertUnwindSafe(|| {
                    vsgae::readback::block_on(engine::run(options, command_receiver, events, engine_cancel));
                });
                // A panic ends the engine; the GUI shows why instead of looking alive.
                if let Err(panic) = std::panic::catch_unwind(run) {
                    reporter.send(Event::EngineStopped(panic_message(panic.as_ref())));
                }
            });
            if let Err(error) = started {
                log::error!("could not start the compute thread: {error}");
            }
        }
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_futures::spawn_local(engine::run(options, command_receiver, events, engine_cancel));
        Self { commands: command_sender, events: event_receiver, cancel }
    }

    /// Queues a command.
    pub fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            log::error!("the compute engine has stopped");
        }
    }

    /// Asks the long job that runs now (ranking, latent map) to stop early.
    pub fn cancel_job(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Every event that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}
