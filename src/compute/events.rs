//! How the engine starts and where its events go: what the engine, the GUI's handle and the
//! compute worker share.

use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};

use super::commands::Event;

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

/// Where the engine's events go.
#[derive(Clone)]
pub(crate) enum EventSender {
    /// Into the GUI's queue, waking the GUI once it has a context ([`ComputeHandle::wake`]).
    Queue { events: Sender<Event>, repaint: Arc<OnceLock<egui::Context>> },
    /// From the compute worker to the page, which queues them: the worker's function that posts
    /// an event (see `super::worker`).
    #[cfg(target_arch = "wasm32")]
    Page(fn(&Event)),
}

impl EventSender {
    pub fn send(&self, event: Event) {
        match self {
            Self::Queue { events, repaint } => {
                // The GUI only goes away when the app closes; then nobody needs the event.
                let _ = events.send(event);
                if let Some(ctx) = repaint.get() {
                    ctx.request_repaint();
                }
            }
            #[cfg(target_arch = "wasm32")]
            Self::Page(post) => post(&event),
        }
    }
}
